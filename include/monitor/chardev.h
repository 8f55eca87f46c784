/*
 * chardev.h: character devices that carry monitors.
 *
 * tern implements the subset of QEMU's -chardev that monitors need:
 * `socket` (unix path, tcp host:port or an inherited fd; server or client)
 * and `stdio`.  A listening socket serves several clients at once: each
 * accepted connection is a CharConn handed to the chardev's frontend.
 *
 * Everything here runs in the main loop thread.
 */
#ifndef MONITOR_CHARDEV_H
#define MONITOR_CHARDEV_H

#include "util/osdep.h"
#include <json-glib/json-glib.h>

/* The most fds accepted with one read; extra ones are closed. */
#define CHAR_CONN_MAX_FDS 16

typedef struct Chardev Chardev;
typedef struct CharConn CharConn;

/* A new connection on a chardev (frontend callback). */
typedef void CharOpenFunc(void *opaque, CharConn *conn);

/*
 * Bytes read from a connection, with the fds received alongside them;
 * len 0 (buf NULL) means end of input: the frontend finishes its work and
 * then calls char_conn_close().
 */
typedef void CharReadFunc(void *opaque, const uint8_t *buf, size_t len,
                          int *fds, size_t nfds);

/*
 * The connection is being closed (peer reset, char_conn_close() or
 * cleanup); it is freed right after this returns.
 */
typedef void CharCloseFunc(void *opaque);

/**
 * chardev_new_from_opts:
 * @opts: a -chardev option set (string leaves, as from
 *        qemu_opts_parse_flat(arg, "backend", ...)); borrowed
 * @errp: error location
 *
 * Create a chardev (keys backend, id, path, host, port, fd, server, wait,
 * nodelay).  A server with wait=on blocks until the first client connects.
 * Start-up only, main thread.
 *
 * Returns: the chardev (owned by the registry), or NULL with @errp set.
 */
Chardev *chardev_new_from_opts(JsonObject *opts, GError **errp);

/**
 * chardev_new_compat:
 * @label: the id of the new chardev (e.g. "compat_monitor0")
 * @dev: QEMU's compat DEV syntax: "unix:/p[,opts]", "tcp:[HOST]:PORT[,opts]",
 *       "stdio" or "chardev:ID" (returns the existing chardev ID)
 * @errp: error location
 *
 * Returns: the chardev (owned by the registry), or NULL with @errp set.
 */
Chardev *chardev_new_compat(const char *label, const char *dev,
                            GError **errp);

/**
 * chardev_find:
 * @id: a chardev id
 *
 * Returns: the chardev called @id or NULL (borrowed).
 */
Chardev *chardev_find(const char *id);

/* The id (label) of a chardev; borrowed. */
const char *chardev_get_id(Chardev *chr);

/* Whether a frontend (a monitor) is attached. */
bool chardev_has_frontend(Chardev *chr);

/**
 * chardev_set_frontend:
 * @chr: the chardev
 * @open_cb: called for every connection, including those accepted before
 * @opaque: passed to @open_cb
 * @errp: error location
 *
 * Attach the one frontend of @chr.  Fails with "Device 'ID' is in use"
 * when it already has one.  Main thread.
 *
 * Returns: true on success.
 */
bool chardev_set_frontend(Chardev *chr, CharOpenFunc *open_cb, void *opaque,
                          GError **errp);

/**
 * chardev_get_filename:
 * @chr: the chardev
 *
 * QEMU's query-chardev filename ("unix:/p,server=on", "stdio", ...).
 *
 * Returns: a newly allocated string.
 */
char *chardev_get_filename(Chardev *chr);

/* Close every chardev and connection, unlink unix socket paths. */
void chardev_cleanup_all(void);

/**
 * char_conn_set_handlers:
 * @conn: a connection given to a frontend's CharOpenFunc
 * @read_cb, @close_cb, @opaque: the frontend's callbacks
 *
 * Reading starts enabled.  Main thread.
 */
void char_conn_set_handlers(CharConn *conn, CharReadFunc *read_cb,
                            CharCloseFunc *close_cb, void *opaque);

/* Start or stop reading (backpressure).  Main thread. */
void char_conn_set_read_enabled(CharConn *conn, bool enabled);

/* Queue bytes for the peer; never blocks.  Main thread. */
void char_conn_write(CharConn *conn, const void *buf, size_t len);

/* Try hard to push queued output out (exit path); never blocks. */
void char_conn_flush(CharConn *conn);

/*
 * Close a connection: flush what can be flushed without blocking, tell
 * the frontend (close callback), free it.  stdio's fds stay open.
 */
void char_conn_close(CharConn *conn);

/* Whether writing failed (the peer is gone; output is dropped). */
bool char_conn_is_broken(CharConn *conn);

/* Whether this is the stdio connection (never closed for good). */
bool char_conn_is_stdio(CharConn *conn);

/* Whether fds can be passed on this connection (unix sockets). */
bool char_conn_can_pass_fds(CharConn *conn);

#endif /* MONITOR_CHARDEV_H */
