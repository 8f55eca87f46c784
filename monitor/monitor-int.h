/*
 * monitor-int.h: what the files of monitor/ share.
 *
 * All of it runs in the main loop thread.
 */
#ifndef MONITOR_MONITOR_INT_H
#define MONITOR_MONITOR_INT_H

#include "monitor/monitor.h"
#include "monitor/chardev.h"
#include "util/error.h"

typedef struct QmpCommandList QmpCommandList;
typedef struct JsonStreamer JsonStreamer;

/* In-band requests queued per QMP client before reading stops. */
#define QMP_REQ_QUEUE_LEN_MAX 64

/* Longest HMP input line (QEMU's readline buffer). */
#define HMP_LINE_MAX 4095

/* A -mon / -qmp / -monitor configuration: the frontend of one chardev. */
typedef struct MonitorConfig {
    bool qmp;
    bool pretty;
} MonitorConfig;

struct Monitor {
    bool is_qmp;
    bool pretty;
    CharConn *conn;         /* NULL: output goes to outbuf */
    GString *outbuf;        /* temporary monitors (human-monitor-command) */
    GHashTable *fds;        /* getfd table: name -> fd (GINT_TO_POINTER) */
    GArray *msg_fds;        /* int: fds received with the current request */
};

typedef struct MonitorQMP {
    Monitor common;
    const QmpCommandList *commands;     /* negotiation or command mode */
    JsonStreamer *parser;
    GByteArray *inbuf;      /* read but not yet fed to the parser */
    GArray *in_fds;         /* received, not yet bound to a request */
    GQueue *requests;       /* QMPRequest*, in arrival order */
    GSource *dispatch_src;  /* idle source handling the queue */
    bool eof;               /* the peer sent its last byte */
    bool co_running;        /* a command's coroutine has not finished */
    bool co_yielded;        /* ... and it yielded: the queue waits for it */
    bool dead;              /* closed while co_yielded: freed when it ends */
} MonitorQMP;

typedef struct MonitorHMP {
    Monitor common;
    GString *line;
    bool skip_lf;           /* the last byte was '\r' */
    int esc_state;          /* 0, 1 after ESC, 2 inside ESC [ */
    bool suspended;         /* after quit: ignore further input */
} MonitorHMP;

/* monitor.c */
void monitor_common_init(Monitor *mon, bool is_qmp, bool pretty,
                         CharConn *conn);
void monitor_common_destroy(Monitor *mon);
void monitor_list_add(Monitor *mon);
void monitor_list_remove(Monitor *mon);
GList *monitor_list_get(void);
Monitor *monitor_set_cur(Monitor *mon);
void monitor_msg_fds_set(Monitor *mon, GArray *fds);
void monitor_msg_fds_close(Monitor *mon);
int monitor_msg_fd_take(Monitor *mon);
bool monitor_add_fd(Monitor *mon, int fd, const char *fdname,
                    GError **errp);
bool monitor_close_fd(Monitor *mon, const char *fdname, GError **errp);

/* qmp.c */
extern QmpCommandList *qmp_cap_negotiation_commands;
void monitor_qmp_open(MonitorConfig *cfg, CharConn *conn);
void monitor_qmp_init_globals(void);
void monitor_qmp_register_commands(void);
bool monitor_qmp_in_command_mode(Monitor *mon);
void monitor_qmp_enter_command_mode(Monitor *mon);
void monitor_qmp_broadcast_event(const char *event, JsonObject *data,
                                 int64_t real_us);

/* hmp.c */
void monitor_hmp_open(MonitorConfig *cfg, CharConn *conn);
void monitor_hmp_run_line(Monitor *mon, const char *line);
Monitor *monitor_hmp_new_buffered(void);
char *monitor_hmp_free_buffered(Monitor *mon);
void monitor_hmp_suspend(Monitor *mon);
void hmp_help_cmd(Monitor *mon, JsonObject *args);
void monitor_hmp_init_globals(void);
void monitor_hmp_cleanup_globals(void);

/* hmp-cmds.c */
void hmp_register_builtin_commands(void);

/* fds.c */
bool monitor_fdset_add_fd(int fd, bool has_fdset_id, int64_t fdset_id,
                          const char *opaque, int64_t *out_id,
                          GError **errp);
bool monitor_fdset_remove_fd(int64_t fdset_id, bool has_fd, int64_t fd,
                             GError **errp);
void monitor_fdsets_free_all(void);

#endif /* MONITOR_MONITOR_INT_H */
