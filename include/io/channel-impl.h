/*
 * channel-impl.h: how a QIOChannel kind is written.
 *
 * A kind embeds struct QIOChannel as its first member, fills a static
 * QIOChannelOps table and calls qio_channel_init().  Callbacks left NULL
 * give the generic behaviour documented beside each member.  io/'s own
 * kinds use this header, and so may tests (fault-injecting channels) and
 * other subsystems.
 */
#ifndef IO_CHANNEL_IMPL_H
#define IO_CHANNEL_IMPL_H

#include "io/channel.h"

typedef struct QIOChannelOps {
    /* The kind's name: the default channel name ("file", "socket"...). */
    const char *kind;
    /* Required.  Same contract as qio_channel_readv_full(). */
    ssize_t (*io_readv)(QIOChannel *ioc, const struct iovec *iov,
                        size_t niov, int **fds, size_t *nfds,
                        GError **errp);
    /* Required.  Same contract as qio_channel_writev_full(). */
    ssize_t (*io_writev)(QIOChannel *ioc, const struct iovec *iov,
                         size_t niov, int *fds, size_t nfds,
                         GError **errp);
    /* Seekable kinds only. */
    ssize_t (*io_preadv)(QIOChannel *ioc, const struct iovec *iov,
                         size_t niov, off_t offset, GError **errp);
    ssize_t (*io_pwritev)(QIOChannel *ioc, const struct iovec *iov,
                          size_t niov, off_t offset, GError **errp);
    off_t (*io_seek)(QIOChannel *ioc, off_t offset, int whence,
                     GError **errp);
    /* NULL: blocking mode cannot change (always ready, e.g. memory). */
    int (*io_set_blocking)(QIOChannel *ioc, bool enabled, GError **errp);
    /*
     * NULL: "Data path shutdown not supported".  Never runs concurrently
     * with io_close's start, nor after it unless shutdown_after_close.
     */
    int (*io_shutdown)(QIOChannel *ioc, QIOChannelShutdown how,
                       GError **errp);
    /* io_shutdown stays valid during and after io_close (wakes a close
     * that waits, e.g. for a child process). */
    bool shutdown_after_close;
    /* Required.  Called at most once (by close or the last unref). */
    int (*io_close)(QIOChannel *ioc, GError **errp);
    /* NULL: nothing to flush. */
    int (*io_flush)(QIOChannel *ioc, GError **errp);
    /* NULL: a source that is always ready. */
    GSource *(*io_create_watch)(QIOChannel *ioc, GIOCondition condition);
    /* NULL: return at once (the channel is always ready). */
    void (*io_wait)(QIOChannel *ioc, GIOCondition condition);
    /* Frees the kind's resources, after io_close.  May be NULL. */
    void (*io_finalize)(QIOChannel *ioc);
} QIOChannelOps;

struct QIOChannel {
    const QIOChannelOps *ops;   /* immutable */
    gint refcount;              /* atomic */
    GMutex lock;                /* orders shutdown against close */
    gint closed;                /* atomic, set under lock: closing began */
    unsigned features;          /* 1 << QIOChannelFeature; set at creation */
    char *name;                 /* set before the channel is shared */
};

/**
 * qio_channel_init:
 * @ioc: the embedded channel of a freshly allocated (zeroed) kind struct
 *     that the last unref frees with g_free()
 * @ops: the kind's table (static storage)
 *
 * Sets the reference count to 1.
 */
void qio_channel_init(QIOChannel *ioc, const QIOChannelOps *ops);

/**
 * qio_channel_set_feature:
 *
 * Declares a feature; call before the channel is handed out.
 */
void qio_channel_set_feature(QIOChannel *ioc, QIOChannelFeature feature);

/**
 * qio_channel_fd_source_new:
 * @ioc: the channel the source reports (referenced by the source)
 * @fd: the descriptor to poll
 * @wake_fd: a second descriptor whose readability also dispatches (an
 *     eventfd a shutdown writes), or -1
 * @condition: what to wait for on @fd
 *
 * A GSource for fd-based kinds; its callback is a QIOChannelFunc.
 *
 * Returns: a new source.
 */
GSource *qio_channel_fd_source_new(QIOChannel *ioc, int fd, int wake_fd,
                                   GIOCondition condition);

/**
 * qio_channel_fd_wait:
 * @fd: the descriptor
 * @wake_fd: as in qio_channel_fd_source_new(), or -1
 * @condition: G_IO_IN or G_IO_OUT
 *
 * poll() until ready (errors and hangup count as ready).  Retries EINTR.
 */
void qio_channel_fd_wait(int fd, int wake_fd, GIOCondition condition);

/**
 * qio_channel_fd_set_blocking:
 * @fd: a descriptor
 * @enabled: clear (true) or set (false) O_NONBLOCK
 * @errp: error out
 *
 * Returns: 0, or -1 with @errp set.
 */
int qio_channel_fd_set_blocking(int fd, bool enabled, GError **errp);

#endif /* IO_CHANNEL_IMPL_H */
