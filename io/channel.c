/*
 * channel.c: the generic part of QIOChannel: references, dispatch to the
 * kind's ops, whole-buffer transfers and watches.
 */
#include "util/osdep.h"

#include <poll.h>

#include "io/channel-impl.h"
#include "util/error.h"
#include "trace-io.h"

void qio_channel_init(QIOChannel *ioc, const QIOChannelOps *ops)
{
    ioc->ops = ops;
    ioc->refcount = 1;
    g_mutex_init(&ioc->lock);
    ioc->closed = 0;
    ioc->features = 0;
    ioc->name = NULL;
}

void qio_channel_set_feature(QIOChannel *ioc, QIOChannelFeature feature)
{
    ioc->features |= 1u << feature;
}

QIOChannel *qio_channel_ref(QIOChannel *ioc)
{
    g_atomic_int_inc(&ioc->refcount);
    return ioc;
}

void qio_channel_unref(QIOChannel *ioc)
{
    if (!ioc || !g_atomic_int_dec_and_test(&ioc->refcount)) {
        return;
    }
    /* The last reference: no other thread can shut down any more. */
    if (g_atomic_int_compare_and_exchange(&ioc->closed, 0, 1)) {
        ioc->ops->io_close(ioc, NULL);
    }
    if (ioc->ops->io_finalize) {
        ioc->ops->io_finalize(ioc);
    }
    g_mutex_clear(&ioc->lock);
    g_free(ioc->name);
    g_free(ioc);
}

bool qio_channel_has_feature(QIOChannel *ioc, QIOChannelFeature feature)
{
    return ioc->features & (1u << feature);
}

void qio_channel_set_name(QIOChannel *ioc, const char *name)
{
    g_free(ioc->name);
    ioc->name = g_strdup(name);
}

const char *qio_channel_get_name(QIOChannel *ioc)
{
    return ioc->name ? ioc->name : ioc->ops->kind;
}

static bool qio_channel_check_open(QIOChannel *ioc, GError **errp)
{
    if (g_atomic_int_get(&ioc->closed)) {
        error_setg(errp, "Channel '%s' is closed",
                   qio_channel_get_name(ioc));
        return false;
    }
    return true;
}

ssize_t qio_channel_readv_full(QIOChannel *ioc, const struct iovec *iov,
                               size_t niov, int **fds, size_t *nfds,
                               GError **errp)
{
    if (fds) {
        *fds = NULL;
        *nfds = 0;
    }
    if (!qio_channel_check_open(ioc, errp)) {
        return -1;
    }
    return ioc->ops->io_readv(ioc, iov, niov, fds, nfds, errp);
}

ssize_t qio_channel_writev_full(QIOChannel *ioc, const struct iovec *iov,
                                size_t niov, int *fds, size_t nfds,
                                GError **errp)
{
    if (nfds && !qio_channel_has_feature(ioc,
                                         QIO_CHANNEL_FEATURE_FD_PASS)) {
        error_setg(errp, "Channel does not support file descriptor passing");
        return -1;
    }
    if (!qio_channel_check_open(ioc, errp)) {
        return -1;
    }
    return ioc->ops->io_writev(ioc, iov, niov, fds, nfds, errp);
}

ssize_t qio_channel_readv(QIOChannel *ioc, const struct iovec *iov,
                          size_t niov, GError **errp)
{
    return qio_channel_readv_full(ioc, iov, niov, NULL, NULL, errp);
}

ssize_t qio_channel_writev(QIOChannel *ioc, const struct iovec *iov,
                           size_t niov, GError **errp)
{
    return qio_channel_writev_full(ioc, iov, niov, NULL, 0, errp);
}

ssize_t qio_channel_read(QIOChannel *ioc, char *buf, size_t len,
                         GError **errp)
{
    struct iovec iov = { .iov_base = buf, .iov_len = len };

    return qio_channel_readv_full(ioc, &iov, 1, NULL, NULL, errp);
}

ssize_t qio_channel_write(QIOChannel *ioc, const char *buf, size_t len,
                          GError **errp)
{
    struct iovec iov = { .iov_base = (char *)buf, .iov_len = len };

    return qio_channel_writev_full(ioc, &iov, 1, NULL, 0, errp);
}

/*
 * A private, consumable copy of an iovec array: the _all loops advance it
 * past what was transferred.
 */
typedef struct IOVCursor {
    struct iovec *iov;
    size_t niov;
    struct iovec *local;
} IOVCursor;

static void iov_cursor_drop_empty(IOVCursor *c)
{
    while (c->niov && c->iov->iov_len == 0) {
        c->iov++;
        c->niov--;
    }
}

static void iov_cursor_init(IOVCursor *c, const struct iovec *iov,
                            size_t niov)
{
    c->local = g_new(struct iovec, niov ? niov : 1);
    if (niov) {
        memcpy(c->local, iov, niov * sizeof(*iov));
    }
    c->iov = c->local;
    c->niov = niov;
    iov_cursor_drop_empty(c);
}

static void iov_cursor_advance(IOVCursor *c, size_t done)
{
    while (done && c->niov) {
        size_t step = MIN(done, c->iov->iov_len);

        c->iov->iov_base = (char *)c->iov->iov_base + step;
        c->iov->iov_len -= step;
        done -= step;
        iov_cursor_drop_empty(c);
    }
}

int qio_channel_readv_all_eof(QIOChannel *ioc, const struct iovec *iov,
                              size_t niov, GError **errp)
{
    IOVCursor c;
    bool partial = false;
    int ret = 1;

    iov_cursor_init(&c, iov, niov);
    while (c.niov) {
        ssize_t len = qio_channel_readv(ioc, c.iov, c.niov, errp);

        if (len == QIO_CHANNEL_ERR_BLOCK) {
            qio_channel_wait(ioc, G_IO_IN);
            continue;
        }
        if (len < 0) {
            ret = -1;
            break;
        }
        if (len == 0) {
            if (partial) {
                error_setg(errp, "Unexpected end-of-file before all data "
                           "were read");
                ret = -1;
            } else {
                ret = 0;
            }
            break;
        }
        partial = true;
        iov_cursor_advance(&c, len);
    }
    g_free(c.local);
    return ret;
}

int qio_channel_readv_all(QIOChannel *ioc, const struct iovec *iov,
                          size_t niov, GError **errp)
{
    int ret = qio_channel_readv_all_eof(ioc, iov, niov, errp);

    if (ret == 0) {
        error_setg(errp, "Unexpected end-of-file before all data were read");
        return -1;
    }
    return ret < 0 ? -1 : 0;
}

int qio_channel_writev_full_all(QIOChannel *ioc, const struct iovec *iov,
                                size_t niov, int *fds, size_t nfds,
                                GError **errp)
{
    IOVCursor c;
    int ret = 0;

    iov_cursor_init(&c, iov, niov);
    while (c.niov) {
        ssize_t len = qio_channel_writev_full(ioc, c.iov, c.niov,
                                              fds, nfds, errp);

        if (len == QIO_CHANNEL_ERR_BLOCK) {
            qio_channel_wait(ioc, G_IO_OUT);
            continue;
        }
        if (len < 0) {
            ret = -1;
            break;
        }
        /* Descriptors travel with the first byte only. */
        fds = NULL;
        nfds = 0;
        iov_cursor_advance(&c, len);
    }
    g_free(c.local);
    return ret;
}

int qio_channel_writev_all(QIOChannel *ioc, const struct iovec *iov,
                           size_t niov, GError **errp)
{
    return qio_channel_writev_full_all(ioc, iov, niov, NULL, 0, errp);
}

int qio_channel_read_all(QIOChannel *ioc, char *buf, size_t len,
                         GError **errp)
{
    struct iovec iov = { .iov_base = buf, .iov_len = len };

    return qio_channel_readv_all(ioc, &iov, 1, errp);
}

int qio_channel_read_all_eof(QIOChannel *ioc, char *buf, size_t len,
                             GError **errp)
{
    struct iovec iov = { .iov_base = buf, .iov_len = len };

    return qio_channel_readv_all_eof(ioc, &iov, 1, errp);
}

int qio_channel_write_all(QIOChannel *ioc, const char *buf, size_t len,
                          GError **errp)
{
    struct iovec iov = { .iov_base = (char *)buf, .iov_len = len };

    return qio_channel_writev_all(ioc, &iov, 1, errp);
}

static bool qio_channel_check_seekable(QIOChannel *ioc, GError **errp)
{
    if (!qio_channel_has_feature(ioc, QIO_CHANNEL_FEATURE_SEEKABLE)) {
        error_setg(errp, "Channel '%s' does not support seeking",
                   qio_channel_get_name(ioc));
        return false;
    }
    return qio_channel_check_open(ioc, errp);
}

ssize_t qio_channel_pwritev(QIOChannel *ioc, const struct iovec *iov,
                            size_t niov, off_t offset, GError **errp)
{
    if (!qio_channel_check_seekable(ioc, errp)) {
        return -1;
    }
    return ioc->ops->io_pwritev(ioc, iov, niov, offset, errp);
}

ssize_t qio_channel_preadv(QIOChannel *ioc, const struct iovec *iov,
                           size_t niov, off_t offset, GError **errp)
{
    if (!qio_channel_check_seekable(ioc, errp)) {
        return -1;
    }
    return ioc->ops->io_preadv(ioc, iov, niov, offset, errp);
}

off_t qio_channel_io_seek(QIOChannel *ioc, off_t offset, int whence,
                          GError **errp)
{
    if (!qio_channel_check_seekable(ioc, errp)) {
        return -1;
    }
    return ioc->ops->io_seek(ioc, offset, whence, errp);
}

int qio_channel_set_blocking(QIOChannel *ioc, bool enabled, GError **errp)
{
    if (!qio_channel_check_open(ioc, errp)) {
        return -1;
    }
    if (!ioc->ops->io_set_blocking) {
        return 0;
    }
    return ioc->ops->io_set_blocking(ioc, enabled, errp);
}

/*
 * Shutting down a closed channel does nothing (a cancel may race with the
 * owner's close), except where the kind wants it during close.
 */
int qio_channel_shutdown(QIOChannel *ioc, QIOChannelShutdown how,
                         GError **errp)
{
    int ret = 0;

    trace_qio_channel_shutdown(ioc, how);
    if (!ioc->ops->io_shutdown) {
        error_setg(errp, "Data path shutdown not supported");
        return -1;
    }
    g_mutex_lock(&ioc->lock);
    if (!g_atomic_int_get(&ioc->closed) || ioc->ops->shutdown_after_close) {
        ret = ioc->ops->io_shutdown(ioc, how, errp);
    }
    g_mutex_unlock(&ioc->lock);
    return ret;
}

int qio_channel_close(QIOChannel *ioc, GError **errp)
{
    bool first;

    g_mutex_lock(&ioc->lock);
    first = g_atomic_int_compare_and_exchange(&ioc->closed, 0, 1);
    g_mutex_unlock(&ioc->lock);
    if (!first) {
        return 0;
    }
    trace_qio_channel_close(ioc, qio_channel_get_name(ioc));
    return ioc->ops->io_close(ioc, errp);
}

int qio_channel_flush(QIOChannel *ioc, GError **errp)
{
    if (!qio_channel_check_open(ioc, errp)) {
        return -1;
    }
    if (!ioc->ops->io_flush) {
        return 0;
    }
    return ioc->ops->io_flush(ioc, errp);
}

typedef struct QIOChannelSource {
    GSource parent;
    QIOChannel *ioc;
    GIOCondition condition;
    GPollFD pfd;
    GPollFD wake;
    bool has_wake;
} QIOChannelSource;

static gboolean qio_channel_source_check(GSource *source)
{
    QIOChannelSource *s = (QIOChannelSource *)source;

    return (s->pfd.revents & (s->condition | G_IO_ERR | G_IO_HUP)) ||
           (s->has_wake && (s->wake.revents & G_IO_IN));
}

static gboolean qio_channel_source_prepare(GSource *source, gint *timeout)
{
    *timeout = -1;
    return qio_channel_source_check(source);
}

static gboolean qio_channel_source_dispatch(GSource *source,
                                            GSourceFunc callback,
                                            gpointer user_data)
{
    QIOChannelSource *s = (QIOChannelSource *)source;
    QIOChannelFunc func = (QIOChannelFunc)(void (*)(void))callback;
    GIOCondition ready = s->pfd.revents & (s->condition | G_IO_ERR |
                                           G_IO_HUP);

    if (s->has_wake && (s->wake.revents & G_IO_IN)) {
        ready |= G_IO_HUP;
    }
    if (!func) {
        return G_SOURCE_REMOVE;
    }
    return func(s->ioc, ready, user_data);
}

static void qio_channel_source_finalize(GSource *source)
{
    QIOChannelSource *s = (QIOChannelSource *)source;

    qio_channel_unref(s->ioc);
}

static GSourceFuncs qio_channel_fd_source_funcs = {
    .prepare = qio_channel_source_prepare,
    .check = qio_channel_source_check,
    .dispatch = qio_channel_source_dispatch,
    .finalize = qio_channel_source_finalize,
};

/* The watch of kinds that are always ready (memory). */
static gboolean qio_channel_ready_prepare(GSource *source, gint *timeout)
{
    *timeout = 0;
    return TRUE;
}

static gboolean qio_channel_ready_check(GSource *source)
{
    return TRUE;
}

static gboolean qio_channel_ready_dispatch(GSource *source,
                                           GSourceFunc callback,
                                           gpointer user_data)
{
    QIOChannelSource *s = (QIOChannelSource *)source;
    QIOChannelFunc func = (QIOChannelFunc)(void (*)(void))callback;

    if (!func) {
        return G_SOURCE_REMOVE;
    }
    return func(s->ioc, s->condition, user_data);
}

static GSourceFuncs qio_channel_ready_source_funcs = {
    .prepare = qio_channel_ready_prepare,
    .check = qio_channel_ready_check,
    .dispatch = qio_channel_ready_dispatch,
    .finalize = qio_channel_source_finalize,
};

GSource *qio_channel_fd_source_new(QIOChannel *ioc, int fd, int wake_fd,
                                   GIOCondition condition)
{
    GSource *source = g_source_new(&qio_channel_fd_source_funcs,
                                   sizeof(QIOChannelSource));
    QIOChannelSource *s = (QIOChannelSource *)source;

    s->ioc = qio_channel_ref(ioc);
    s->condition = condition;
    s->pfd.fd = fd;
    s->pfd.events = condition;
    g_source_add_poll(source, &s->pfd);
    if (wake_fd >= 0) {
        s->has_wake = true;
        s->wake.fd = wake_fd;
        s->wake.events = G_IO_IN;
        g_source_add_poll(source, &s->wake);
    }
    return source;
}

GSource *qio_channel_create_watch(QIOChannel *ioc, GIOCondition condition)
{
    GSource *source;
    QIOChannelSource *s;

    if (ioc->ops->io_create_watch) {
        return ioc->ops->io_create_watch(ioc, condition);
    }
    source = g_source_new(&qio_channel_ready_source_funcs,
                          sizeof(QIOChannelSource));
    s = (QIOChannelSource *)source;
    s->ioc = qio_channel_ref(ioc);
    s->condition = condition;
    return source;
}

guint qio_channel_add_watch(QIOChannel *ioc, GIOCondition condition,
                            QIOChannelFunc func, gpointer user_data,
                            GDestroyNotify notify)
{
    GSource *source = qio_channel_create_watch(ioc, condition);
    guint id;

    g_source_set_callback(source, G_SOURCE_FUNC(func), user_data, notify);
    id = g_source_attach(source, NULL);
    g_source_unref(source);
    return id;
}

void qio_channel_fd_wait(int fd, int wake_fd, GIOCondition condition)
{
    struct pollfd pfd[2] = {
        { .fd = fd, .events = condition },
        { .fd = wake_fd, .events = POLLIN },
    };
    nfds_t n = wake_fd >= 0 ? 2 : 1;

    while (poll(pfd, n, -1) < 0 && errno == EINTR) {
        /* retry */
    }
}

void qio_channel_wait(QIOChannel *ioc, GIOCondition condition)
{
    if (ioc->ops->io_wait && !g_atomic_int_get(&ioc->closed)) {
        ioc->ops->io_wait(ioc, condition);
    }
}

int qio_channel_fd_set_blocking(int fd, bool enabled, GError **errp)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0) {
        error_setg_errno(errp, errno, "Unable to get descriptor flags");
        return -1;
    }
    flags = enabled ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
    if (fcntl(fd, F_SETFL, flags) < 0) {
        error_setg_errno(errp, errno, "Unable to set descriptor flags");
        return -1;
    }
    return 0;
}
