/*
 * chardev-int.h: chardev internals shared by monitor/char.c (options,
 * registry) and monitor/char-io.c (sockets and connections).
 */
#ifndef MONITOR_CHARDEV_INT_H
#define MONITOR_CHARDEV_INT_H

#include "monitor/chardev.h"

typedef enum ChardevKind {
    CHARDEV_KIND_SOCKET,
    CHARDEV_KIND_STDIO,
} ChardevKind;

/* How a socket chardev names its address. */
typedef struct ChardevSocketAddr {
    char *path;         /* unix; NULL otherwise */
    char *host;         /* tcp */
    char *port;         /* tcp */
    int fd;             /* inherited fd, or -1 */
} ChardevSocketAddr;

/* Output queued beyond this drops the connection (peer not reading). */
#define CHAR_CONN_MAX_OUTPUT (64 * 1024 * 1024)

struct Chardev {
    char *id;
    ChardevKind kind;
    bool server;
    bool wait;
    ChardevSocketAddr addr;
    char *unlink_path;      /* unix path we created and remove at close */
    int listen_fd;          /* -1 unless a listening server */
    GSource *listen_src;
    GList *conns;           /* CharConn*, newest last */
    CharOpenFunc *open_cb;  /* the frontend, or NULL */
    void *open_opaque;
};

struct CharConn {
    Chardev *chr;
    int rfd;
    int wfd;
    bool is_unix;           /* SCM_RIGHTS possible */
    bool is_stdio;          /* EOF only stops reading */
    bool read_enabled;
    bool broken;            /* write failed: output is dropped */
    bool eof;               /* the peer sent everything it will send */
    GSource *read_src;
    GSource *write_src;
    GByteArray *out;
    CharReadFunc *read_cb;
    CharCloseFunc *close_cb;
    void *opaque;
};

/* char-io.c */
bool chardev_socket_open(Chardev *chr, GError **errp);
bool chardev_stdio_open(Chardev *chr, GError **errp);
void chardev_close(Chardev *chr);
char *chardev_socket_filename(Chardev *chr);

/* char.c: the frontend learns about a new connection. */
void chardev_conn_opened(Chardev *chr, CharConn *conn);

#endif /* MONITOR_CHARDEV_INT_H */
