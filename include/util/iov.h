/*
 * iov.h: QEMUIOVector, a growable scatter/gather list of buffers.
 *
 * A request's data travels through the block layer as a QEMUIOVector: a
 * list of (base, len) elements whose lengths sum to @size.  The vector
 * never owns the buffers it points to.  Not thread-safe: one user at a
 * time.
 */
#ifndef UTIL_IOV_H
#define UTIL_IOV_H

#include "util/osdep.h"
#include <sys/uio.h>

typedef struct QEMUIOVector {
    struct iovec *iov;
    int niov;
    int nalloc;         /* -1: one external element (qemu_iovec_init_buf) */
    size_t size;        /* sum of the element lengths */
    struct iovec local_iov;
} QEMUIOVector;

/**
 * qemu_iovec_init:
 * @qiov: the vector to initialise
 * @alloc_hint: how many elements to make room for
 *
 * Initialises an empty growable vector; free it with qemu_iovec_destroy().
 */
void qemu_iovec_init(QEMUIOVector *qiov, int alloc_hint);

/**
 * qemu_iovec_init_buf:
 * @qiov: the vector to initialise
 * @buf: the buffer (borrowed)
 * @len: its length
 *
 * Initialises a one-element vector over @buf without allocating; it must
 * not be grown.  qemu_iovec_destroy() on it is allowed and does nothing.
 */
void qemu_iovec_init_buf(QEMUIOVector *qiov, void *buf, size_t len);

/* Appends the element (@base, @len) (borrowed); growable vectors only. */
void qemu_iovec_add(QEMUIOVector *qiov, void *base, size_t len);

/**
 * qemu_iovec_concat:
 * @dst: a growable vector
 * @src: the source vector
 * @soffset: offset in @src where the range starts
 * @sbytes: length of the range
 *
 * Appends to @dst the elements describing @src's bytes [@soffset,
 * @soffset + @sbytes) (no data is copied).  The range must lie in @src.
 */
void qemu_iovec_concat(QEMUIOVector *dst, QEMUIOVector *src, size_t soffset,
                       size_t sbytes);

/* Frees the element array (not the buffers); @qiov is then unusable. */
void qemu_iovec_destroy(QEMUIOVector *qiov);

/* Empties @qiov, keeping its allocation. */
void qemu_iovec_reset(QEMUIOVector *qiov);

/**
 * qemu_iovec_to_buf:
 * @qiov: the vector
 * @offset: where to start in @qiov
 * @buf: destination
 * @bytes: how many bytes to copy
 *
 * Returns: the number of bytes copied (less than @bytes at the end).
 */
size_t qemu_iovec_to_buf(QEMUIOVector *qiov, size_t offset, void *buf,
                         size_t bytes);

/* Copies @bytes of @buf into @qiov at @offset; returns the count copied. */
size_t qemu_iovec_from_buf(QEMUIOVector *qiov, size_t offset,
                           const void *buf, size_t bytes);

/* Fills @bytes of @qiov at @offset with @c; returns the count filled. */
size_t qemu_iovec_memset(QEMUIOVector *qiov, size_t offset, int c,
                         size_t bytes);

/* Returns: whether the @bytes of @qiov at @offset are all zero. */
bool qemu_iovec_is_zero(QEMUIOVector *qiov, size_t offset, size_t bytes);

/* Returns: whether every byte of @buf[0..@len) is zero. */
bool iov_buffer_is_zero(const void *buf, size_t len);

#endif /* UTIL_IOV_H */
