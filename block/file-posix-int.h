/*
 * file-posix internals: the asynchronous I/O engines (io_uring, libaio)
 * shared by every "file" node of the process, and the thread pool tasks
 * (block/file-posix-task.c).
 *
 * Both engines are used from the main loop thread only: requests are
 * submitted from coroutines, which yield until the completion, delivered
 * through an eventfd watched by the main AioContext, wakes them.  A
 * RawTask runs in a thread pool worker and only touches what it is given.
 * See docs/devel/block-file-posix.md.
 */
#ifndef BLOCK_FILE_POSIX_INT_H
#define BLOCK_FILE_POSIX_INT_H

#include "util/osdep.h"
#include "util/iov.h"
#include "qapi/qapi-types-block-core.h"

/* Request types understood by the engines. */
typedef enum FilePosixAioType {
    FILE_POSIX_AIO_READ,
    FILE_POSIX_AIO_WRITE,
    FILE_POSIX_AIO_FLUSH,       /* fdatasync; io_uring only */
} FilePosixAioType;

typedef struct LuringState LuringState;
typedef struct LinuxAioState LinuxAioState;

/**
 * luring_get:
 * @errp: error object
 *
 * Returns the process's io_uring engine, creating it on first use (a ring,
 * an eventfd registered with it and watched by the main AioContext).
 * Main loop thread.
 *
 * Returns: a new reference (drop with luring_put()), or NULL with @errp
 * set when the kernel refuses io_uring.
 */
LuringState *luring_get(GError **errp);

/**
 * luring_put:
 * @s: (nullable): a reference from luring_get()
 *
 * Drops a reference; the last one tears the ring down (no request may be in
 * flight then).  Main loop thread.
 */
void luring_put(LuringState *s);

/**
 * luring_co_submit:
 * @s: the engine
 * @fd: the file descriptor
 * @offset: byte offset in the file
 * @qiov: the buffers (unused for FILE_POSIX_AIO_FLUSH)
 * @type: the operation
 *
 * Queues one request; submission is batched with the other requests of
 * the same main loop iteration.  Short transfers are resubmitted; a read
 * that hits the end of the file is completed with zeroes.
 *
 * Returns: 0 on success, -errno on failure.  Coroutine, main loop thread.
 */
int coroutine_fn luring_co_submit(LuringState *s, int fd, int64_t offset,
                                  QEMUIOVector *qiov, FilePosixAioType type);

/**
 * laio_get:
 * @errp: error object
 *
 * Returns the process's Linux AIO (libaio) engine, creating it on first
 * use.  Main loop thread.
 *
 * Returns: a new reference (drop with laio_put()), or NULL with @errp set.
 */
LinuxAioState *laio_get(GError **errp);

/**
 * laio_put:
 * @s: (nullable): a reference from laio_get()
 *
 * Drops a reference; the last one destroys the AIO context.  Main loop
 * thread.
 */
void laio_put(LinuxAioState *s);

/**
 * laio_co_submit:
 * @s: the engine
 * @fd: the file descriptor (normally opened with O_DIRECT)
 * @offset: byte offset in the file
 * @qiov: the buffers
 * @type: FILE_POSIX_AIO_READ or FILE_POSIX_AIO_WRITE
 *
 * Queues one request; submission is batched per main loop iteration.  A
 * short read is completed with zeroes (end of file); a short write fails
 * with -ENOSPC.
 *
 * Returns: 0 on success, -errno on failure.  Coroutine, main loop thread.
 */
int coroutine_fn laio_co_submit(LinuxAioState *s, int fd, int64_t offset,
                                QEMUIOVector *qiov, FilePosixAioType type);

/* ---- thread pool tasks (file-posix-task.c) ---- */

/* One operation for the thread pool (also used for the synchronous work
 * of the coroutine paths: it only touches what it is given). */
typedef enum RawTaskType {
    RAW_TASK_READ,
    RAW_TASK_WRITE,
    RAW_TASK_FLUSH,
    RAW_TASK_ZERO,
    RAW_TASK_DISCARD,
    RAW_TASK_TRUNCATE,
} RawTaskType;

typedef struct RawTask {
    int fd;
    RawTaskType type;
    bool is_blockdev;
    bool may_unmap;
    int64_t offset;
    int64_t bytes;
    QEMUIOVector *qiov;
    PreallocMode prealloc;
    const char *what;           /* TRUNCATE: the step that failed */
} RawTask;

/* Runs @t in a worker of the main AioContext's thread pool: 0 or -errno. */
int coroutine_fn raw_co_task(RawTask *t);

/* Resizes @t->fd to @t->offset with @t->prealloc (@t->what says what
 * failed): 0 or -errno.  Synchronous, any thread. */
int raw_task_truncate(RawTask *t);

#endif /* BLOCK_FILE_POSIX_INT_H */
