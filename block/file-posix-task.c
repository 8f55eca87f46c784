/*
 * file-posix-task.c: the synchronous work behind file-posix requests, one
 * RawTask at a time: preadv/pwritev loops, fdatasync, zeroing and discard
 * with fallocate() or the block device ioctls, and truncation with
 * preallocation (falloc, full).
 *
 * raw_task_run() runs in a worker thread of the main AioContext's thread
 * pool and only touches the RawTask it is given; raw_co_task() submits it
 * from a coroutine in the main loop thread.  raw_task_truncate() is also
 * called directly by image creation.  See docs/devel/block-file-posix.md
 * and docs/devel/block.md.
 */
#include "util/osdep.h"

#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "block/file-posix-int.h"
#include "util/main-loop.h"
#include "util/thread-pool.h"

static int raw_task_rw(RawTask *t)
{
    QEMUIOVector rest;
    size_t size = t->qiov->size;
    size_t done = 0;
    int ret = 0;

    qemu_iovec_init(&rest, t->qiov->niov);
    while (done < size) {
        ssize_t n;

        qemu_iovec_reset(&rest);
        qemu_iovec_concat(&rest, t->qiov, done, size - done);
        if (t->type == RAW_TASK_READ) {
            n = preadv(t->fd, rest.iov, rest.niov, t->offset + done);
        } else {
            n = pwritev(t->fd, rest.iov, rest.niov, t->offset + done);
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            ret = -errno;
            break;
        }
        if (n == 0) {
            if (t->type == RAW_TASK_READ) {
                /* end of file: the rest reads as zeroes */
                qemu_iovec_memset(t->qiov, done, 0, size - done);
            } else {
                ret = -ENOSPC;
            }
            break;
        }
        done += n;
    }
    qemu_iovec_destroy(&rest);
    return ret;
}

static int raw_fallocate(int fd, int mode, int64_t offset, int64_t bytes)
{
    int ret;

    do {
        ret = fallocate(fd, mode, offset, bytes);
    } while (ret < 0 && errno == EINTR);
    if (ret < 0) {
        return errno == EOPNOTSUPP ? -ENOTSUP : -errno;
    }
    return 0;
}

static int raw_task_zero(RawTask *t)
{
    struct stat st;
    int ret;

    if (t->is_blockdev) {
        uint64_t range[2] = { t->offset, t->bytes };
        int mode = FALLOC_FL_ZERO_RANGE;

        if (t->may_unmap) {
            mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
        }
        ret = raw_fallocate(t->fd, mode, t->offset, t->bytes);
        if (ret == -ENOTSUP && ioctl(t->fd, BLKZEROOUT, range) == 0) {
            ret = 0;
        }
        return ret;
    }
    if (fstat(t->fd, &st) < 0) {
        return -errno;
    }
    if (t->may_unmap && t->offset + t->bytes <= st.st_size) {
        ret = raw_fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                            t->offset, t->bytes);
        if (ret != -ENOTSUP) {
            return ret;
        }
    }
    ret = raw_fallocate(t->fd, FALLOC_FL_ZERO_RANGE, t->offset, t->bytes);
    if (ret == -ENOTSUP && t->offset >= st.st_size) {
        /* past the end of the file: growing it leaves a hole of zeroes */
        ret = ftruncate(t->fd, t->offset + t->bytes) < 0 ? -errno : 0;
    }
    return ret;
}

static int raw_task_discard(RawTask *t)
{
    if (t->is_blockdev) {
        uint64_t range[2] = { t->offset, t->bytes };

        if (ioctl(t->fd, BLKDISCARD, range) < 0) {
            return errno == EOPNOTSUPP ? -ENOTSUP : -errno;
        }
        return 0;
    }
    return raw_fallocate(t->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                         t->offset, t->bytes);
}

/* Writes zeroes over [from, to): preallocation=full. */
static int raw_write_zeroes_full(int fd, int64_t from, int64_t to)
{
    const size_t chunk = 1024 * 1024;
    g_autofree char *buf = g_malloc0(chunk);

    while (from < to) {
        ssize_t n = pwrite(fd, buf, MIN((int64_t)chunk, to - from), from);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0 ? -errno : -ENOSPC;
        }
        from += n;
    }
    return fsync(fd) < 0 ? -errno : 0;
}

int raw_task_truncate(RawTask *t)
{
    struct stat st;
    int ret = 0;

    if (fstat(t->fd, &st) < 0) {
        t->what = "Could not stat file";
        return -errno;
    }
    if (t->offset > st.st_size && t->prealloc == PREALLOC_MODE_FALLOC) {
        ret = raw_fallocate(t->fd, 0, st.st_size, t->offset - st.st_size);
        if (ret < 0) {
            t->what = "Could not preallocate new data";
            return ret;
        }
    }
    if (ftruncate(t->fd, t->offset) < 0) {
        t->what = "Could not resize file";
        return -errno;
    }
    if (t->offset > st.st_size && t->prealloc == PREALLOC_MODE_FULL) {
        ret = raw_write_zeroes_full(t->fd, st.st_size, t->offset);
        if (ret < 0) {
            t->what = "Could not write zeros for preallocation";
            /* leave the file as it was */
            if (ftruncate(t->fd, st.st_size) < 0) {
                t->what = "Could not write zeros for preallocation "
                          "nor restore the old size";
            }
        }
    }
    return ret;
}

static int raw_task_flush(RawTask *t)
{
    return fdatasync(t->fd) < 0 ? -errno : 0;
}

static int raw_task_run(void *opaque)
{
    RawTask *t = opaque;

    switch (t->type) {
    case RAW_TASK_READ:
    case RAW_TASK_WRITE:
        return raw_task_rw(t);
    case RAW_TASK_FLUSH:
        return raw_task_flush(t);
    case RAW_TASK_ZERO:
        return raw_task_zero(t);
    case RAW_TASK_DISCARD:
        return raw_task_discard(t);
    case RAW_TASK_TRUNCATE:
        return raw_task_truncate(t);
    }
    return -EINVAL;
}

int coroutine_fn raw_co_task(RawTask *t)
{
    return thread_pool_submit_co(aio_get_thread_pool(qemu_get_aio_context()),
                                 raw_task_run, t);
}
