/*
 * channel-buffer.c: QIOChannel over growable memory.
 */
#include "util/osdep.h"

#include "io/channel-buffer.h"
#include "io/channel-impl.h"
#include "util/error.h"

typedef struct QIOChannelBuffer {
    QIOChannel parent;
    uint8_t *data;
    size_t capacity;
    size_t usage;       /* bytes held */
    size_t offset;      /* where the next read or write happens */
    bool read_only;
} QIOChannelBuffer;

static const QIOChannelOps qio_channel_buffer_ops;

static QIOChannelBuffer *qio_channel_buffer(QIOChannel *ioc)
{
    return ioc->ops == &qio_channel_buffer_ops ? (QIOChannelBuffer *)ioc
                                               : NULL;
}

/* Copies out from @pos; returns the bytes copied. */
static size_t buffer_copy_out(QIOChannelBuffer *bioc,
                              const struct iovec *iov, size_t niov,
                              size_t pos)
{
    size_t done = 0;

    for (size_t i = 0; i < niov && pos < bioc->usage; i++) {
        size_t n = MIN(iov[i].iov_len, bioc->usage - pos);

        memcpy(iov[i].iov_base, bioc->data + pos, n);
        pos += n;
        done += n;
    }
    return done;
}

/* Copies in at @pos, growing the buffer; returns the bytes copied. */
static ssize_t buffer_copy_in(QIOChannelBuffer *bioc,
                              const struct iovec *iov, size_t niov,
                              size_t pos, GError **errp)
{
    size_t total = 0;

    if (bioc->read_only) {
        error_setg(errp, "Unable to write to a read-only buffer channel");
        return -1;
    }
    for (size_t i = 0; i < niov; i++) {
        total += iov[i].iov_len;
    }
    if (pos + total > bioc->capacity) {
        bioc->capacity = MAX(pos + total, bioc->capacity * 2);
        bioc->data = g_realloc(bioc->data, bioc->capacity);
    }
    if (pos > bioc->usage) {
        memset(bioc->data + bioc->usage, 0, pos - bioc->usage);
    }
    for (size_t i = 0; i < niov; i++) {
        memcpy(bioc->data + pos, iov[i].iov_base, iov[i].iov_len);
        pos += iov[i].iov_len;
    }
    bioc->usage = MAX(bioc->usage, pos);
    return total;
}

static ssize_t qio_channel_buffer_readv(QIOChannel *ioc,
                                        const struct iovec *iov,
                                        size_t niov, int **fds,
                                        size_t *nfds, GError **errp)
{
    QIOChannelBuffer *bioc = qio_channel_buffer(ioc);
    size_t n = buffer_copy_out(bioc, iov, niov, bioc->offset);

    bioc->offset += n;
    return n;
}

static ssize_t qio_channel_buffer_writev(QIOChannel *ioc,
                                         const struct iovec *iov,
                                         size_t niov, int *fds,
                                         size_t nfds, GError **errp)
{
    QIOChannelBuffer *bioc = qio_channel_buffer(ioc);
    ssize_t n = buffer_copy_in(bioc, iov, niov, bioc->offset, errp);

    if (n > 0) {
        bioc->offset += n;
    }
    return n;
}

static ssize_t qio_channel_buffer_preadv(QIOChannel *ioc,
                                         const struct iovec *iov,
                                         size_t niov, off_t offset,
                                         GError **errp)
{
    if (offset < 0) {
        error_setg(errp, "Invalid buffer offset %lld", (long long)offset);
        return -1;
    }
    return buffer_copy_out(qio_channel_buffer(ioc), iov, niov, offset);
}

static ssize_t qio_channel_buffer_pwritev(QIOChannel *ioc,
                                          const struct iovec *iov,
                                          size_t niov, off_t offset,
                                          GError **errp)
{
    if (offset < 0) {
        error_setg(errp, "Invalid buffer offset %lld", (long long)offset);
        return -1;
    }
    return buffer_copy_in(qio_channel_buffer(ioc), iov, niov, offset,
                          errp);
}

static off_t qio_channel_buffer_seek(QIOChannel *ioc, off_t offset,
                                     int whence, GError **errp)
{
    QIOChannelBuffer *bioc = qio_channel_buffer(ioc);
    off_t base = whence == SEEK_SET ? 0
               : whence == SEEK_CUR ? (off_t)bioc->offset
               : whence == SEEK_END ? (off_t)bioc->usage : -1;

    if (base < 0 || base + offset < 0) {
        error_setg(errp, "Unable to seek to offset %lld whence %d in "
                   "buffer", (long long)offset, whence);
        return -1;
    }
    bioc->offset = base + offset;
    return bioc->offset;
}

/* Closing only stops I/O: the data stays readable until the last unref. */
static int qio_channel_buffer_close(QIOChannel *ioc, GError **errp)
{
    return 0;
}

static void qio_channel_buffer_finalize(QIOChannel *ioc)
{
    g_free(qio_channel_buffer(ioc)->data);
}

static const QIOChannelOps qio_channel_buffer_ops = {
    .kind = "buffer",
    .io_readv = qio_channel_buffer_readv,
    .io_writev = qio_channel_buffer_writev,
    .io_preadv = qio_channel_buffer_preadv,
    .io_pwritev = qio_channel_buffer_pwritev,
    .io_seek = qio_channel_buffer_seek,
    .io_close = qio_channel_buffer_close,
    .io_finalize = qio_channel_buffer_finalize,
};

QIOChannel *qio_channel_buffer_new(size_t capacity)
{
    QIOChannelBuffer *bioc = g_new0(QIOChannelBuffer, 1);

    qio_channel_init(&bioc->parent, &qio_channel_buffer_ops);
    qio_channel_set_feature(&bioc->parent, QIO_CHANNEL_FEATURE_SEEKABLE);
    bioc->capacity = capacity;
    bioc->data = g_malloc(capacity);
    return &bioc->parent;
}

QIOChannel *qio_channel_buffer_new_data(const uint8_t *data, size_t len)
{
    QIOChannel *ioc = qio_channel_buffer_new(0);
    QIOChannelBuffer *bioc = qio_channel_buffer(ioc);

    g_free(bioc->data);
    bioc->data = g_memdup2(data, len);
    bioc->capacity = bioc->usage = len;
    bioc->read_only = true;
    return ioc;
}

const uint8_t *qio_channel_buffer_data(QIOChannel *ioc, size_t *len)
{
    QIOChannelBuffer *bioc = qio_channel_buffer(ioc);

    g_assert(bioc);
    *len = bioc->usage;
    return bioc->data;
}

void qio_channel_buffer_rewind(QIOChannel *ioc)
{
    QIOChannelBuffer *bioc = qio_channel_buffer(ioc);

    g_assert(bioc);
    bioc->offset = 0;
}

bool qio_channel_is_buffer(QIOChannel *ioc)
{
    return qio_channel_buffer(ioc) != NULL;
}
