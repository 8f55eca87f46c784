/*
 * channel-file.c: QIOChannel over a non-socket descriptor.
 */
#include "util/osdep.h"

#include <sys/stat.h>

#include "io/channel-file.h"
#include "io/channel-impl.h"
#include "util/error.h"
#include "trace-io.h"

typedef struct QIOChannelFile {
    QIOChannel parent;
    int fd;             /* owned; -1 once closed */
} QIOChannelFile;

static const QIOChannelOps qio_channel_file_ops;

static QIOChannelFile *qio_channel_file(QIOChannel *ioc)
{
    return ioc->ops == &qio_channel_file_ops ? (QIOChannelFile *)ioc : NULL;
}

static ssize_t qio_channel_file_readv(QIOChannel *ioc,
                                      const struct iovec *iov, size_t niov,
                                      int **fds, size_t *nfds,
                                      GError **errp)
{
    QIOChannelFile *fioc = qio_channel_file(ioc);
    ssize_t ret;

    do {
        ret = readv(fioc->fd, iov, MIN(niov, IOV_MAX));
    } while (ret < 0 && errno == EINTR);
    if (ret < 0) {
        if (errno == EAGAIN) {
            return QIO_CHANNEL_ERR_BLOCK;
        }
        error_setg_errno(errp, errno, "Unable to read from file");
        return -1;
    }
    return ret;
}

static ssize_t qio_channel_file_writev(QIOChannel *ioc,
                                       const struct iovec *iov, size_t niov,
                                       int *fds, size_t nfds,
                                       GError **errp)
{
    QIOChannelFile *fioc = qio_channel_file(ioc);
    ssize_t ret;

    do {
        ret = writev(fioc->fd, iov, MIN(niov, IOV_MAX));
    } while (ret < 0 && errno == EINTR);
    if (ret < 0) {
        if (errno == EAGAIN) {
            return QIO_CHANNEL_ERR_BLOCK;
        }
        error_setg_errno(errp, errno, "Unable to write to file");
        return -1;
    }
    return ret;
}

static ssize_t qio_channel_file_preadv(QIOChannel *ioc,
                                       const struct iovec *iov, size_t niov,
                                       off_t offset, GError **errp)
{
    QIOChannelFile *fioc = qio_channel_file(ioc);
    ssize_t ret;

    do {
        ret = preadv(fioc->fd, iov, MIN(niov, IOV_MAX), offset);
    } while (ret < 0 && errno == EINTR);
    if (ret < 0) {
        error_setg_errno(errp, errno, "Unable to read from file");
        return -1;
    }
    return ret;
}

static ssize_t qio_channel_file_pwritev(QIOChannel *ioc,
                                        const struct iovec *iov, size_t niov,
                                        off_t offset, GError **errp)
{
    QIOChannelFile *fioc = qio_channel_file(ioc);
    ssize_t ret;

    do {
        ret = pwritev(fioc->fd, iov, MIN(niov, IOV_MAX), offset);
    } while (ret < 0 && errno == EINTR);
    if (ret < 0) {
        error_setg_errno(errp, errno, "Unable to write to file");
        return -1;
    }
    return ret;
}

static off_t qio_channel_file_seek(QIOChannel *ioc, off_t offset,
                                   int whence, GError **errp)
{
    off_t ret = lseek(qio_channel_file(ioc)->fd, offset, whence);

    if (ret < 0) {
        error_setg_errno(errp, errno, "Unable to seek to offset %lld "
                         "whence %d in file", (long long)offset, whence);
        return -1;
    }
    return ret;
}

static int qio_channel_file_set_blocking(QIOChannel *ioc, bool enabled,
                                         GError **errp)
{
    return qio_channel_fd_set_blocking(qio_channel_file(ioc)->fd, enabled,
                                       errp);
}

static int qio_channel_file_close(QIOChannel *ioc, GError **errp)
{
    QIOChannelFile *fioc = qio_channel_file(ioc);
    int fd = fioc->fd;

    fioc->fd = -1;
    if (fd >= 0 && close(fd) < 0 && errno != EINTR) {
        error_setg_errno(errp, errno, "Unable to close file");
        return -1;
    }
    return 0;
}

static int qio_channel_file_flush(QIOChannel *ioc, GError **errp)
{
    if (fdatasync(qio_channel_file(ioc)->fd) < 0 && errno != EINVAL) {
        error_setg_errno(errp, errno, "Unable to flush file");
        return -1;
    }
    return 0;
}

static GSource *qio_channel_file_create_watch(QIOChannel *ioc,
                                              GIOCondition condition)
{
    return qio_channel_fd_source_new(ioc, qio_channel_file(ioc)->fd, -1,
                                     condition);
}

static void qio_channel_file_wait(QIOChannel *ioc, GIOCondition condition)
{
    qio_channel_fd_wait(qio_channel_file(ioc)->fd, -1, condition);
}

static const QIOChannelOps qio_channel_file_ops = {
    .kind = "file",
    .io_readv = qio_channel_file_readv,
    .io_writev = qio_channel_file_writev,
    .io_preadv = qio_channel_file_preadv,
    .io_pwritev = qio_channel_file_pwritev,
    .io_seek = qio_channel_file_seek,
    .io_set_blocking = qio_channel_file_set_blocking,
    .io_close = qio_channel_file_close,
    .io_flush = qio_channel_file_flush,
    .io_create_watch = qio_channel_file_create_watch,
    .io_wait = qio_channel_file_wait,
};

QIOChannel *qio_channel_file_new_fd(int fd)
{
    QIOChannelFile *fioc = g_new0(QIOChannelFile, 1);

    qio_channel_init(&fioc->parent, &qio_channel_file_ops);
    fioc->fd = fd;
    if (lseek(fd, 0, SEEK_CUR) >= 0) {
        qio_channel_set_feature(&fioc->parent,
                                QIO_CHANNEL_FEATURE_SEEKABLE);
    }
    return &fioc->parent;
}

QIOChannel *qio_channel_file_new_path(const char *path, int flags,
                                      mode_t mode, GError **errp)
{
    QIOChannel *ioc;
    int fd = open(path, flags | O_CLOEXEC, mode);

    if (fd < 0) {
        error_setg_errno(errp, errno, "Unable to open '%s'", path);
        return NULL;
    }
    ioc = qio_channel_file_new_fd(fd);
    trace_qio_channel_file_new_path(ioc, path, flags, fd);
    return ioc;
}

int qio_channel_file_get_fd(QIOChannel *ioc)
{
    QIOChannelFile *fioc = qio_channel_file(ioc);

    return fioc ? fioc->fd : -1;
}
