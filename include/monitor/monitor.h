/*
 * monitor.h: QMP and HMP monitors.
 *
 * A monitor is one session on a chardev connection (QMP or HMP), or a
 * temporary HMP session created by human-monitor-command.  All functions
 * run in the main loop thread unless stated otherwise.
 */
#ifndef MONITOR_MONITOR_H
#define MONITOR_MONITOR_H

#include "util/osdep.h"
#include <json-glib/json-glib.h>

typedef struct Monitor Monitor;

/**
 * monitor_init_globals:
 *
 * Register the monitor's own QMP commands that are not generated
 * (query-qmp-schema) into qmp_commands, build the negotiation-mode table
 * and install the QAPI event emitter.  Call once from main() before any
 * monitor is created and before the generated qmp_init_marshal_*().
 */
void monitor_init_globals(void);

/**
 * monitor_new_from_opts:
 * @opts: a -mon option set (string leaves, from
 *        qemu_opts_parse_flat(arg, "chardev", ...)); borrowed
 * @errp: error location
 *
 * Keys: chardev (required), mode=readline|control, pretty=on|off, id.
 *
 * Returns: true on success.
 */
bool monitor_new_from_opts(JsonObject *opts, GError **errp);

/**
 * monitor_new_compat:
 * @dev: the compat DEV string of -qmp, -qmp-pretty or -monitor
 * @qmp: control (QMP) mode rather than readline (HMP)
 * @pretty: pretty-print QMP output
 * @errp: error location
 *
 * Create chardev "compat_monitorN" (N counts the calls) from @dev, or use
 * chardev ID for "chardev:ID", and attach a monitor to it.  "none" is
 * accepted and creates nothing.
 *
 * Returns: true on success.
 */
bool monitor_new_compat(const char *dev, bool qmp, bool pretty,
                        GError **errp);

/**
 * monitor_cleanup:
 *
 * Flush what can be flushed, close every session, chardev and fd, unlink
 * unix sockets.  Main thread, at exit.
 */
void monitor_cleanup(void);

/**
 * monitor_cur:
 *
 * Returns: the monitor whose command runs now in this thread, or NULL.
 */
Monitor *monitor_cur(void);

/* Whether @mon is a QMP (control) monitor. */
bool monitor_is_qmp(const Monitor *mon);

/**
 * monitor_printf:
 * @mon: an HMP monitor (a QMP monitor ignores the text)
 * @fmt: printf format; "\n" is sent as "\r\n"
 *
 * Returns: the number of bytes formatted, or -1 for a QMP monitor.
 */
int monitor_printf(Monitor *mon, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* As monitor_printf() with a string. */
int monitor_puts(Monitor *mon, const char *str);

/**
 * monitor_get_fd:
 * @mon: the monitor that received the fd (getfd)
 * @fdname: its name
 * @errp: error location
 *
 * Take a named fd out of @mon's table; the caller owns it.
 *
 * Returns: the fd, or -1 with "File descriptor named 'X' has not been
 * found".
 */
int monitor_get_fd(Monitor *mon, const char *fdname, GError **errp);

/**
 * monitor_fdset_dup_fd:
 * @fdset_id: an fd set id (/dev/fdset/N)
 * @flags: the open flags wanted (O_ACCMODE is matched)
 * @errp: error location
 *
 * Returns: a new dup of an fd of the set whose access mode matches, owned
 * by the caller, or -1 with @errp set.
 */
int monitor_fdset_dup_fd(int64_t fdset_id, int flags, GError **errp);

#endif /* MONITOR_MONITOR_H */
