/*
 * qemu-file.c: the buffered migration stream over a QIOChannel.
 *
 * Output: small puts are copied into buf; each put extends the last iovec
 * when it is contiguous with it, so a flush is one writev of buf's pieces
 * interleaved, in order, with the caller memory queued by
 * qemu_put_buffer_nocopy().  Input: a read-ahead buffer refilled with
 * partial reads; big gets that find the buffer empty read straight into
 * the caller's memory.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/crc32c.h"
#include "io/channel.h"
#include "migration/qemu-file.h"
#include "trace-migration.h"

#define QEMU_FILE_BUF_SIZE (64 * 1024)
#define QEMU_FILE_MAX_IOV 64

struct QEMUFile {
    QIOChannel *ioc;
    bool is_output;
    bool eof;                   /* input: the channel reported EOF */

    uint8_t buf[QEMU_FILE_BUF_SIZE];
    size_t buf_index;           /* output: bytes used; input: read position */
    size_t buf_size;            /* input: valid bytes in buf */

    struct iovec iov[QEMU_FILE_MAX_IOV];    /* output: queued, in order */
    unsigned iovcnt;

    uint64_t transferred;       /* bytes put (output) or got (input) */

    bool crc_on;
    uint32_t crc;

    int last_error;             /* 0 or a negative errno */
    GError *last_error_obj;
};

static QEMUFile *qemu_file_new(QIOChannel *ioc, bool is_output)
{
    QEMUFile *f = g_new0(QEMUFile, 1);

    f->ioc = qio_channel_ref(ioc);
    f->is_output = is_output;
    return f;
}

QEMUFile *qemu_file_new_output(QIOChannel *ioc)
{
    return qemu_file_new(ioc, true);
}

QEMUFile *qemu_file_new_input(QIOChannel *ioc)
{
    return qemu_file_new(ioc, false);
}

QIOChannel *qemu_file_get_ioc(QEMUFile *f)
{
    return f->ioc;
}

void qemu_file_set_error(QEMUFile *f, int ret, GError *err)
{
    if (f->last_error) {
        if (err) {
            g_error_free(err);
        }
        return;
    }
    f->last_error = ret < 0 ? ret : -EIO;
    if (!err) {
        error_setg(&err, "migration stream error: %s",
                   g_strerror(-f->last_error));
    }
    f->last_error_obj = err;
    trace_qemu_file_set_error(f, f->last_error);
}

int qemu_file_get_error(QEMUFile *f)
{
    return f->last_error;
}

bool qemu_file_get_error_obj(QEMUFile *f, GError **errp)
{
    if (!f->last_error) {
        return false;
    }
    if (errp) {
        g_propagate_error(errp, g_error_copy(f->last_error_obj));
    }
    return true;
}

uint64_t qemu_file_transferred(QEMUFile *f)
{
    return f->transferred;
}

static void qemu_file_crc_update(QEMUFile *f, const void *buf, size_t len)
{
    if (f->crc_on) {
        f->crc = crc32c(f->crc, buf, len);
    }
}

/* Output */

void qemu_fflush(QEMUFile *f)
{
    GError *err = NULL;

    g_assert(f->is_output);
    if (f->iovcnt && !f->last_error) {
        if (qio_channel_writev_all(f->ioc, f->iov, f->iovcnt, &err) < 0) {
            g_prefix_error(&err, "cannot write migration stream: ");
            qemu_file_set_error(f, -EIO, err);
        }
    }
    f->iovcnt = 0;
    f->buf_index = 0;
}

/* Whether bytes at @base would extend the last queued iovec. */
static bool qemu_file_iov_extends(QEMUFile *f, const uint8_t *base)
{
    const struct iovec *last;

    if (!f->iovcnt) {
        return false;
    }
    last = &f->iov[f->iovcnt - 1];
    return (const uint8_t *)last->iov_base + last->iov_len == base;
}

/*
 * Queues [base, base + len) after the last iovec, merging when adjacent.
 * Flushes first when the iovec array is full, so @base must not point
 * into buf unless qemu_put_buffer() made room.
 */
static void qemu_file_add_iov(QEMUFile *f, const uint8_t *base, size_t len)
{
    if (qemu_file_iov_extends(f, base)) {
        f->iov[f->iovcnt - 1].iov_len += len;
        return;
    }
    if (f->iovcnt == QEMU_FILE_MAX_IOV) {
        qemu_fflush(f);
    }
    f->iov[f->iovcnt].iov_base = (void *)base;
    f->iov[f->iovcnt].iov_len = len;
    f->iovcnt++;
}

void qemu_put_buffer(QEMUFile *f, const uint8_t *buf, size_t size)
{
    g_assert(f->is_output);
    if (f->last_error) {
        return;
    }
    qemu_file_crc_update(f, buf, size);
    f->transferred += size;
    while (size) {
        size_t n;
        uint8_t *dst;

        if (f->iovcnt == QEMU_FILE_MAX_IOV &&
            !qemu_file_iov_extends(f, f->buf + f->buf_index)) {
            qemu_fflush(f);
        }
        n = MIN(size, QEMU_FILE_BUF_SIZE - f->buf_index);
        dst = f->buf + f->buf_index;
        memcpy(dst, buf, n);
        f->buf_index += n;
        qemu_file_add_iov(f, dst, n);
        buf += n;
        size -= n;
        if (f->buf_index == QEMU_FILE_BUF_SIZE) {
            qemu_fflush(f);
            if (f->last_error) {
                return;
            }
        }
    }
}

void qemu_put_buffer_nocopy(QEMUFile *f, const uint8_t *buf, size_t size)
{
    g_assert(f->is_output);
    if (f->last_error || !size) {
        return;
    }
    qemu_file_crc_update(f, buf, size);
    f->transferred += size;
    qemu_file_add_iov(f, buf, size);
}

void qemu_put_byte(QEMUFile *f, uint8_t v)
{
    qemu_put_buffer(f, &v, 1);
}

void qemu_put_be16(QEMUFile *f, uint16_t v)
{
    uint8_t b[2] = { v >> 8, v };

    qemu_put_buffer(f, b, sizeof(b));
}

void qemu_put_be32(QEMUFile *f, uint32_t v)
{
    uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };

    qemu_put_buffer(f, b, sizeof(b));
}

void qemu_put_be64(QEMUFile *f, uint64_t v)
{
    qemu_put_be32(f, v >> 32);
    qemu_put_be32(f, (uint32_t)v);
}

void qemu_put_counted_string(QEMUFile *f, const char *str)
{
    size_t len = strlen(str);

    g_assert(len <= 255);
    qemu_put_byte(f, len);
    qemu_put_buffer(f, (const uint8_t *)str, len);
}

/* Input */

static void qemu_file_set_eof_error(QEMUFile *f)
{
    GError *err = NULL;

    error_setg(&err, "unexpected end of migration stream");
    qemu_file_set_error(f, -EIO, err);
}

/*
 * Reads what the channel has (at least one byte, blocking) into the free
 * tail of buf, after moving the unread bytes to the front.  Returns the
 * number of bytes added: 0 at EOF (f->eof set) or on error (set on @f).
 */
static size_t qemu_file_fill_buffer(QEMUFile *f)
{
    GError *err = NULL;
    size_t pending = f->buf_size - f->buf_index;
    ssize_t n;

    if (f->last_error || f->eof) {
        return 0;
    }
    if (f->buf_index) {
        memmove(f->buf, f->buf + f->buf_index, pending);
        f->buf_index = 0;
        f->buf_size = pending;
    }
    n = qio_channel_read(f->ioc, (char *)f->buf + pending,
                         QEMU_FILE_BUF_SIZE - pending, &err);
    if (n < 0) {
        g_prefix_error(&err, "cannot read migration stream: ");
        qemu_file_set_error(f, -EIO, err);
        return 0;
    }
    if (n == 0) {
        f->eof = true;
        return 0;
    }
    f->buf_size += n;
    return n;
}

/* Reads @size bytes straight into @buf; false (error set) if it cannot. */
static bool qemu_file_read_direct(QEMUFile *f, uint8_t *buf, size_t size)
{
    struct iovec iov = { .iov_base = buf, .iov_len = size };
    GError *err = NULL;
    int ret;

    ret = qio_channel_readv_all_eof(f->ioc, &iov, 1, &err);
    if (ret < 0) {
        g_prefix_error(&err, "cannot read migration stream: ");
        qemu_file_set_error(f, -EIO, err);
        return false;
    }
    if (ret == 0) {
        f->eof = true;
        qemu_file_set_eof_error(f);
        return false;
    }
    return true;
}

size_t qemu_get_buffer(QEMUFile *f, uint8_t *buf, size_t size)
{
    size_t done = 0;

    g_assert(!f->is_output);
    while (done < size && !f->last_error) {
        size_t avail = f->buf_size - f->buf_index;
        size_t n;

        if (!avail && size - done >= QEMU_FILE_BUF_SIZE / 2) {
            if (qemu_file_read_direct(f, buf + done, size - done)) {
                done = size;
            }
            break;
        }
        if (!avail && !qemu_file_fill_buffer(f)) {
            if (!f->last_error) {
                qemu_file_set_eof_error(f);
            }
            break;
        }
        n = MIN(size - done, f->buf_size - f->buf_index);
        memcpy(buf + done, f->buf + f->buf_index, n);
        f->buf_index += n;
        done += n;
    }
    if (done < size) {
        /* Callers see zeroes, never part of a value. */
        memset(buf, 0, size);
        return 0;
    }
    qemu_file_crc_update(f, buf, done);
    f->transferred += done;
    return done;
}

uint8_t qemu_get_byte(QEMUFile *f)
{
    uint8_t v;

    qemu_get_buffer(f, &v, 1);
    return v;
}

uint16_t qemu_get_be16(QEMUFile *f)
{
    uint8_t b[2];

    qemu_get_buffer(f, b, sizeof(b));
    return ((uint16_t)b[0] << 8) | b[1];
}

uint32_t qemu_get_be32(QEMUFile *f)
{
    uint8_t b[4];

    qemu_get_buffer(f, b, sizeof(b));
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
           ((uint32_t)b[2] << 8) | b[3];
}

uint64_t qemu_get_be64(QEMUFile *f)
{
    uint64_t hi = qemu_get_be32(f);

    return (hi << 32) | qemu_get_be32(f);
}

bool qemu_get_counted_string(QEMUFile *f, char buf[256])
{
    uint8_t len = qemu_get_byte(f);

    qemu_get_buffer(f, (uint8_t *)buf, len);
    buf[f->last_error ? 0 : len] = '\0';
    return !f->last_error;
}

bool qemu_file_at_eof(QEMUFile *f)
{
    g_assert(!f->is_output);
    if (f->buf_index < f->buf_size || f->last_error) {
        return false;
    }
    qemu_file_fill_buffer(f);
    return f->eof && f->buf_index == f->buf_size && !f->last_error;
}

/* CRC32C */

void qemu_file_crc_begin(QEMUFile *f)
{
    f->crc_on = true;
    f->crc = 0;
}

void qemu_file_put_crc(QEMUFile *f)
{
    uint32_t crc = f->crc;

    g_assert(f->crc_on);
    f->crc_on = false;
    qemu_put_be32(f, crc);
}

bool qemu_file_check_crc(QEMUFile *f, GError **errp)
{
    uint32_t expected = f->crc;
    uint64_t offset = f->transferred;
    uint32_t found;

    g_assert(f->crc_on);
    f->crc_on = false;
    found = qemu_get_be32(f);
    if (qemu_file_get_error_obj(f, errp)) {
        return false;
    }
    if (found != expected) {
        GError *err = NULL;

        error_setg(&err, "migration stream checksum mismatch at offset "
                   "%" PRIu64 " (computed 0x%08" PRIx32 ", stream has 0x%08"
                   PRIx32 ")", offset, expected, found);
        qemu_file_set_error(f, -EINVAL, g_error_copy(err));
        g_propagate_error(errp, err);
        return false;
    }
    return true;
}

/* Life cycle */

void qemu_file_shutdown(QEMUFile *f)
{
    qio_channel_shutdown(f->ioc, QIO_CHANNEL_SHUTDOWN_BOTH, NULL);
}

bool qemu_fclose(QEMUFile *f, GError **errp)
{
    bool ok;

    if (f->is_output) {
        qemu_fflush(f);
    }
    ok = !qemu_file_get_error_obj(f, errp);
    qio_channel_unref(f->ioc);
    if (f->last_error_obj) {
        g_error_free(f->last_error_obj);
    }
    g_free(f);
    return ok;
}
