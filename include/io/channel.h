/*
 * channel.h: QIOChannel, tern's one byte-stream abstraction.
 *
 * A QIOChannel moves bytes (and, on unix sockets, file descriptors) over a
 * file, a socket, a child process's pipes or a memory buffer.  Every kind
 * offers the same calls; kind-specific constructors live in
 * channel-file.h, channel-socket.h, channel-command.h, channel-buffer.h and
 * channel-util.h.  To write a new kind (a fault-injecting channel in a
 * test, for instance) see channel-impl.h.
 *
 * Threads: the reference count is atomic, so references may be taken and
 * dropped from any thread.  I/O calls on one channel may come from one
 * reading thread and one writing thread at a time; qio_channel_shutdown()
 * may be called from any thread, at any time, and makes a thread blocked
 * in I/O on the channel return.  Watches are dispatched by the GMainContext
 * they are attached to.
 *
 * Return conventions of the I/O calls:
 *   > 0  bytes transferred;
 *   0    end of file (reads only);
 *   QIO_CHANNEL_ERR_BLOCK (-2)  non-blocking channel, nothing possible now;
 *   -1   error, with errp set.
 */
#ifndef IO_CHANNEL_H
#define IO_CHANNEL_H

#include "util/osdep.h"
#include <sys/uio.h>

typedef struct QIOChannel QIOChannel;

#define QIO_CHANNEL_ERR_BLOCK -2

typedef enum QIOChannelFeature {
    QIO_CHANNEL_FEATURE_FD_PASS,    /* SCM_RIGHTS (unix sockets) */
    QIO_CHANNEL_FEATURE_SHUTDOWN,   /* qio_channel_shutdown() works */
    QIO_CHANNEL_FEATURE_LISTEN,     /* a listening socket */
    QIO_CHANNEL_FEATURE_SEEKABLE,   /* preadv/pwritev/io_seek work */
} QIOChannelFeature;

typedef enum QIOChannelShutdown {
    QIO_CHANNEL_SHUTDOWN_READ = 1,
    QIO_CHANNEL_SHUTDOWN_WRITE = 2,
    QIO_CHANNEL_SHUTDOWN_BOTH = 3,
} QIOChannelShutdown;

/**
 * QIOChannelFunc:
 * @ioc: the channel being watched
 * @condition: the conditions that are ready
 * @data: the user data given to the watch
 *
 * Returns: G_SOURCE_CONTINUE to keep watching, G_SOURCE_REMOVE to stop.
 */
typedef gboolean (*QIOChannelFunc)(QIOChannel *ioc, GIOCondition condition,
                                   gpointer data);

/**
 * qio_channel_ref:
 * @ioc: a channel
 *
 * Takes a reference.  Any thread.
 *
 * Returns: @ioc
 */
QIOChannel *qio_channel_ref(QIOChannel *ioc);

/**
 * qio_channel_unref:
 * @ioc: a channel, or NULL
 *
 * Drops a reference; the last one closes the channel (if it was not
 * closed) and frees it.  Any thread.
 */
void qio_channel_unref(QIOChannel *ioc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(QIOChannel, qio_channel_unref)

/**
 * qio_channel_has_feature:
 * @ioc: a channel
 * @feature: the feature to test
 *
 * Returns: whether @ioc supports @feature.  Any thread.
 */
bool qio_channel_has_feature(QIOChannel *ioc, QIOChannelFeature feature);

/**
 * qio_channel_set_name:
 * @ioc: a channel
 * @name: a name for traces and error messages (copied)
 *
 * Call before the channel is shared with other threads.
 */
void qio_channel_set_name(QIOChannel *ioc, const char *name);

/**
 * qio_channel_get_name:
 * @ioc: a channel
 *
 * Returns: the name (owned by @ioc; never NULL: the kind's name when none
 * was set, e.g. "file", "socket").
 */
const char *qio_channel_get_name(QIOChannel *ioc);

/**
 * qio_channel_readv_full:
 * @ioc: a channel
 * @iov: buffers to fill
 * @niov: number of buffers
 * @fds: when not NULL, receives a newly allocated array (g_free()) of file
 *     descriptors passed along with the data (the caller owns them), or
 *     NULL when none came
 * @nfds: receives the number of descriptors in *@fds (with @fds)
 * @errp: error out
 *
 * Reads what is available, at most the size of @iov.  Descriptors that
 * arrive when @fds is NULL are closed.
 *
 * Returns: bytes read, 0 at end of file, QIO_CHANNEL_ERR_BLOCK, or -1 with
 * @errp set.
 */
ssize_t qio_channel_readv_full(QIOChannel *ioc, const struct iovec *iov,
                               size_t niov, int **fds, size_t *nfds,
                               GError **errp);

/**
 * qio_channel_writev_full:
 * @ioc: a channel
 * @iov: data to write
 * @niov: number of buffers
 * @fds: descriptors to pass (borrowed), or NULL
 * @nfds: number of descriptors (needs QIO_CHANNEL_FEATURE_FD_PASS when > 0)
 * @errp: error out
 *
 * Writes what can be written now (possibly less than all of @iov).
 *
 * Returns: bytes written, QIO_CHANNEL_ERR_BLOCK, or -1 with @errp set
 * (ENOSPC, EIO, EPIPE: the errno's text is in the message).
 */
ssize_t qio_channel_writev_full(QIOChannel *ioc, const struct iovec *iov,
                                size_t niov, int *fds, size_t nfds,
                                GError **errp);

/**
 * qio_channel_readv:
 *
 * qio_channel_readv_full() without descriptors.
 */
ssize_t qio_channel_readv(QIOChannel *ioc, const struct iovec *iov,
                          size_t niov, GError **errp);
/**
 * qio_channel_writev:
 *
 * qio_channel_writev_full() without descriptors.
 */
ssize_t qio_channel_writev(QIOChannel *ioc, const struct iovec *iov,
                           size_t niov, GError **errp);
/**
 * qio_channel_read:
 *
 * qio_channel_readv() of one buffer.
 */
ssize_t qio_channel_read(QIOChannel *ioc, char *buf, size_t len,
                         GError **errp);
/**
 * qio_channel_write:
 *
 * qio_channel_writev() of one buffer.
 */
ssize_t qio_channel_write(QIOChannel *ioc, const char *buf, size_t len,
                          GError **errp);

/**
 * qio_channel_readv_all_eof:
 * @ioc: a channel
 * @iov: buffers to fill completely
 * @niov: number of buffers
 * @errp: error out
 *
 * Reads until every buffer is full.  On a non-blocking channel waits (poll)
 * for readiness.  End of file after some but not all bytes is an error
 * ("Unexpected end-of-file before all data were read").
 *
 * Returns: 1 when all was read, 0 on end of file before the first byte,
 * -1 with @errp set on error.
 */
int qio_channel_readv_all_eof(QIOChannel *ioc, const struct iovec *iov,
                              size_t niov, GError **errp);

/**
 * qio_channel_readv_all:
 *
 * As qio_channel_readv_all_eof(), but end of file at any point is an
 * error.
 *
 * Returns: 0 when all was read, -1 with @errp set otherwise.
 */
int qio_channel_readv_all(QIOChannel *ioc, const struct iovec *iov,
                          size_t niov, GError **errp);

/**
 * qio_channel_writev_all:
 *
 * Writes every byte of @iov, waiting (poll) on a non-blocking channel.
 *
 * Returns: 0 when all was written, -1 with @errp set otherwise.
 */
int qio_channel_writev_all(QIOChannel *ioc, const struct iovec *iov,
                           size_t niov, GError **errp);

/**
 * qio_channel_writev_full_all:
 *
 * qio_channel_writev_all() with descriptors sent with the first byte.
 */
int qio_channel_writev_full_all(QIOChannel *ioc, const struct iovec *iov,
                                size_t niov, int *fds, size_t nfds,
                                GError **errp);

/**
 * qio_channel_read_all:
 *
 * qio_channel_readv_all() of one buffer: 0 ok, -1 error (EOF included).
 */
int qio_channel_read_all(QIOChannel *ioc, char *buf, size_t len,
                         GError **errp);
/**
 * qio_channel_read_all_eof:
 *
 * qio_channel_readv_all_eof() of one buffer: 1 ok, 0 clean EOF, -1.
 */
int qio_channel_read_all_eof(QIOChannel *ioc, char *buf, size_t len,
                             GError **errp);
/**
 * qio_channel_write_all:
 *
 * qio_channel_writev_all() of one buffer: 0 ok, -1 error.
 */
int qio_channel_write_all(QIOChannel *ioc, const char *buf, size_t len,
                          GError **errp);

/**
 * qio_channel_pwritev:
 * @ioc: a seekable channel (QIO_CHANNEL_FEATURE_SEEKABLE)
 * @iov: data to write
 * @niov: number of buffers
 * @offset: file offset
 * @errp: error out
 *
 * Positional write; does not move the channel's offset.  Any thread (no
 * shared state beyond the fd).
 *
 * Returns: bytes written or -1 with @errp set.
 */
ssize_t qio_channel_pwritev(QIOChannel *ioc, const struct iovec *iov,
                            size_t niov, off_t offset, GError **errp);

/**
 * qio_channel_preadv:
 *
 * Positional read; as qio_channel_pwritev(). 0 at end of file.
 */
ssize_t qio_channel_preadv(QIOChannel *ioc, const struct iovec *iov,
                           size_t niov, off_t offset, GError **errp);

/**
 * qio_channel_io_seek:
 * @ioc: a seekable channel
 * @offset: as lseek()
 * @whence: SEEK_SET, SEEK_CUR or SEEK_END
 * @errp: error out
 *
 * Returns: the new offset, or -1 with @errp set.
 */
off_t qio_channel_io_seek(QIOChannel *ioc, off_t offset, int whence,
                          GError **errp);

/**
 * qio_channel_set_blocking:
 * @ioc: a channel
 * @enabled: true for blocking I/O (the default of every kind)
 * @errp: error out
 *
 * Returns: 0, or -1 with @errp set.
 */
int qio_channel_set_blocking(QIOChannel *ioc, bool enabled, GError **errp);

/**
 * qio_channel_shutdown:
 * @ioc: a channel with QIO_CHANNEL_FEATURE_SHUTDOWN
 * @how: which directions
 * @errp: error out
 *
 * Stops I/O in the given directions: a thread blocked reading returns end
 * of file (or an error), a thread blocked writing returns an error, and so
 * do later calls.  Any thread, also racing with qio_channel_close(): on a
 * closed channel it does nothing (a command channel that is still reaping
 * its child kills it).  On channels without the feature it fails
 * ("Data path shutdown not supported").
 *
 * Returns: 0, or -1 with @errp set.
 */
int qio_channel_shutdown(QIOChannel *ioc, QIOChannelShutdown how,
                         GError **errp);

/**
 * qio_channel_close:
 * @ioc: a channel
 * @errp: error out
 *
 * Closes the channel's descriptors (a command channel also reaps its
 * child, and reports a failed exit status as an error).  Later I/O fails.
 * A second close does nothing.  Releasing the last reference closes too,
 * ignoring errors.
 *
 * Returns: 0, or -1 with @errp set.
 */
int qio_channel_close(QIOChannel *ioc, GError **errp);

/**
 * qio_channel_flush:
 * @ioc: a channel
 * @errp: error out
 *
 * Makes written data durable: fdatasync() on files, nothing elsewhere.
 *
 * Returns: 0, or -1 with @errp set.
 */
int qio_channel_flush(QIOChannel *ioc, GError **errp);

/**
 * qio_channel_create_watch:
 * @ioc: a channel
 * @condition: G_IO_IN, G_IO_OUT, ... to wait for
 *
 * Creates a GSource that dispatches when @condition is ready.  Set its
 * callback with g_source_set_callback(), passing the QIOChannelFunc
 * through G_SOURCE_FUNC().  The source holds a reference to @ioc.
 *
 * Returns: a new source (the caller owns the reference).
 */
GSource *qio_channel_create_watch(QIOChannel *ioc, GIOCondition condition);

/**
 * qio_channel_add_watch:
 * @ioc: a channel
 * @condition: the conditions to wait for
 * @func: called when ready (in the default main context's thread)
 * @user_data: passed to @func
 * @notify: frees @user_data when the watch goes, or NULL
 *
 * Returns: the source id in the default GMainContext (g_source_remove()).
 */
guint qio_channel_add_watch(QIOChannel *ioc, GIOCondition condition,
                            QIOChannelFunc func, gpointer user_data,
                            GDestroyNotify notify);

/**
 * qio_channel_wait:
 * @ioc: a channel
 * @condition: G_IO_IN or G_IO_OUT
 *
 * Blocks the calling thread (poll) until @condition is ready, an error or
 * hangup is pending, or the channel is shut down.  Never call it from the
 * main loop thread.
 */
void qio_channel_wait(QIOChannel *ioc, GIOCondition condition);

#endif /* IO_CHANNEL_H */
