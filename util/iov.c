/*
 * iov.c: QEMUIOVector.
 */
#include "util/osdep.h"
#include "util/iov.h"

void qemu_iovec_init(QEMUIOVector *qiov, int alloc_hint)
{
    memset(qiov, 0, sizeof(*qiov));
    qiov->nalloc = MAX(alloc_hint, 1);
    qiov->iov = g_new(struct iovec, qiov->nalloc);
}

void qemu_iovec_init_buf(QEMUIOVector *qiov, void *buf, size_t len)
{
    memset(qiov, 0, sizeof(*qiov));
    qiov->nalloc = -1;
    qiov->local_iov.iov_base = buf;
    qiov->local_iov.iov_len = len;
    qiov->iov = &qiov->local_iov;
    qiov->niov = 1;
    qiov->size = len;
}

void qemu_iovec_add(QEMUIOVector *qiov, void *base, size_t len)
{
    g_assert(qiov->nalloc != -1);
    if (len == 0) {
        return;
    }
    if (qiov->niov == qiov->nalloc) {
        qiov->nalloc = 2 * qiov->nalloc + 1;
        qiov->iov = g_renew(struct iovec, qiov->iov, qiov->nalloc);
    }
    qiov->iov[qiov->niov].iov_base = base;
    qiov->iov[qiov->niov].iov_len = len;
    qiov->niov++;
    qiov->size += len;
}

void qemu_iovec_concat(QEMUIOVector *dst, QEMUIOVector *src, size_t soffset,
                       size_t sbytes)
{
    int i;

    g_assert(soffset + sbytes <= src->size);
    for (i = 0; i < src->niov && sbytes > 0; i++) {
        size_t len = src->iov[i].iov_len;
        size_t n;

        if (soffset >= len) {
            soffset -= len;
            continue;
        }
        n = MIN(len - soffset, sbytes);
        qemu_iovec_add(dst, (uint8_t *)src->iov[i].iov_base + soffset, n);
        sbytes -= n;
        soffset = 0;
    }
}

void qemu_iovec_destroy(QEMUIOVector *qiov)
{
    if (qiov->nalloc != -1) {
        g_free(qiov->iov);
    }
    memset(qiov, 0, sizeof(*qiov));
}

void qemu_iovec_reset(QEMUIOVector *qiov)
{
    g_assert(qiov->nalloc != -1);
    qiov->niov = 0;
    qiov->size = 0;
}

/*
 * Walks @bytes of @qiov from @offset, calling @fn on each piece.
 * Returns: the bytes walked.
 */
typedef void IovPieceFunc(uint8_t *piece, size_t len, size_t done,
                          void *opaque);

static size_t iov_walk(QEMUIOVector *qiov, size_t offset, size_t bytes,
                       IovPieceFunc *fn, void *opaque)
{
    size_t done = 0;
    int i;

    for (i = 0; i < qiov->niov && done < bytes; i++) {
        size_t len = qiov->iov[i].iov_len;
        size_t n;

        if (offset >= len) {
            offset -= len;
            continue;
        }
        n = MIN(len - offset, bytes - done);
        fn((uint8_t *)qiov->iov[i].iov_base + offset, n, done, opaque);
        done += n;
        offset = 0;
    }
    return done;
}

static void piece_to_buf(uint8_t *piece, size_t len, size_t done, void *buf)
{
    memcpy((uint8_t *)buf + done, piece, len);
}

static void piece_from_buf(uint8_t *piece, size_t len, size_t done, void *buf)
{
    memcpy(piece, (const uint8_t *)buf + done, len);
}

static void piece_memset(uint8_t *piece, size_t len, size_t done, void *c)
{
    memset(piece, *(int *)c, len);
}

typedef struct ZeroCheck {
    bool zero;
} ZeroCheck;

static void piece_is_zero(uint8_t *piece, size_t len, size_t done, void *o)
{
    ZeroCheck *zc = o;

    if (zc->zero && !iov_buffer_is_zero(piece, len)) {
        zc->zero = false;
    }
}

size_t qemu_iovec_to_buf(QEMUIOVector *qiov, size_t offset, void *buf,
                         size_t bytes)
{
    return iov_walk(qiov, offset, bytes, piece_to_buf, buf);
}

size_t qemu_iovec_from_buf(QEMUIOVector *qiov, size_t offset,
                           const void *buf, size_t bytes)
{
    return iov_walk(qiov, offset, bytes, piece_from_buf, (void *)buf);
}

size_t qemu_iovec_memset(QEMUIOVector *qiov, size_t offset, int c,
                         size_t bytes)
{
    return iov_walk(qiov, offset, bytes, piece_memset, &c);
}

bool qemu_iovec_is_zero(QEMUIOVector *qiov, size_t offset, size_t bytes)
{
    ZeroCheck zc = { .zero = true };

    iov_walk(qiov, offset, bytes, piece_is_zero, &zc);
    return zc.zero;
}

bool iov_buffer_is_zero(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    size_t i = 0;

    /* head bytes until 8-aligned, then words, then the tail */
    while (i < len && ((uintptr_t)(p + i) & 7)) {
        if (p[i++]) {
            return false;
        }
    }
    for (; i + 32 <= len; i += 32) {
        const uint64_t *w = (const uint64_t *)(p + i);

        if (w[0] | w[1] | w[2] | w[3]) {
            return false;
        }
    }
    for (; i < len; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}
