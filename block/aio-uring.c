/*
 * io_uring engine for file-posix.
 *
 * One ring per process, shared by every "file" node with aio=io_uring and
 * driven by the main loop: coroutines prepare SQEs, a bottom half submits
 * everything prepared during the loop iteration in one io_uring_enter, and
 * completions arrive through an eventfd registered with the ring.
 */
#include "util/osdep.h"

#include <liburing.h>
#include <sys/eventfd.h>

#include "block/file-posix-int.h"
#include "util/aio.h"
#include "util/coroutine.h"
#include "util/error.h"
#include "util/main-loop.h"
#include "trace-block.h"

/* Submission queue depth; the most requests in flight at once. */
#define LURING_ENTRIES 128

typedef struct LuringReq {
    LuringState *s;
    Coroutine *co;
    int fd;
    FilePosixAioType type;
    int64_t offset;
    QEMUIOVector *qiov;
    QEMUIOVector rest;      /* the part left after a short transfer */
    bool rest_init;
    size_t done;            /* bytes transferred so far */
    int ret;                /* -EINPROGRESS until completed */
} LuringReq;

struct LuringState {
    int refcnt;
    struct io_uring ring;
    int efd;                /* eventfd signalled on completions */
    unsigned in_flight;     /* requests owning an SQE or CQE */
    QEMUBH *submit_bh;      /* submits the prepared SQEs */
    CoQueue free_waiters;   /* requests waiting for in_flight to drop */
};

/* The process's engine; main loop thread only. */
static LuringState *luring_state;

static void luring_prep(LuringState *s, LuringReq *req)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
    QEMUIOVector *qiov = req->qiov;

    if (!sqe) {
        /* The SQ is full of prepared entries: hand them to the kernel. */
        io_uring_submit(&s->ring);
        sqe = io_uring_get_sqe(&s->ring);
        g_assert(sqe);
    }
    if (req->done) {
        if (!req->rest_init) {
            qemu_iovec_init(&req->rest, req->qiov->niov);
            req->rest_init = true;
        }
        qemu_iovec_reset(&req->rest);
        qemu_iovec_concat(&req->rest, req->qiov, req->done,
                          req->qiov->size - req->done);
        qiov = &req->rest;
    }
    switch (req->type) {
    case FILE_POSIX_AIO_READ:
        io_uring_prep_readv(sqe, req->fd, qiov->iov, qiov->niov,
                            req->offset + req->done);
        break;
    case FILE_POSIX_AIO_WRITE:
        io_uring_prep_writev(sqe, req->fd, qiov->iov, qiov->niov,
                             req->offset + req->done);
        break;
    case FILE_POSIX_AIO_FLUSH:
        io_uring_prep_fsync(sqe, req->fd, IORING_FSYNC_DATASYNC);
        break;
    }
    io_uring_sqe_set_data(sqe, req);
    qemu_bh_schedule(s->submit_bh);
}

static void luring_submit_bh(void *opaque)
{
    LuringState *s = opaque;
    int ret = io_uring_submit(&s->ring);

    trace_luring_submit(s, ret);
    if (ret == -EAGAIN || ret == -EBUSY || ret == -EINTR) {
        /* The kernel is short of resources: retry after completions. */
        qemu_bh_schedule(s->submit_bh);
    }
}

/* Decides what a completion means; returns true when @req is finished. */
static bool luring_complete_one(LuringReq *req, int res)
{
    size_t size = req->type == FILE_POSIX_AIO_FLUSH ? 0 : req->qiov->size;

    if (res == -EAGAIN || res == -EINTR) {
        return false;
    }
    if (res < 0) {
        req->ret = res;
        return true;
    }
    req->done += res;
    if (req->done >= size) {
        req->ret = 0;
        return true;
    }
    if (res > 0) {
        return false;           /* short transfer: submit the rest */
    }
    if (req->type == FILE_POSIX_AIO_READ) {
        /* End of file: the rest reads as zeroes. */
        qemu_iovec_memset(req->qiov, req->done, 0, size - req->done);
        req->ret = 0;
    } else {
        req->ret = -ENOSPC;
    }
    return true;
}

/*
 * Finishes the requests the kernel has completed.  From a coroutine (a
 * submitter reaping while it waits for room), a request of that very
 * coroutine is only marked done: it sees that before it yields.
 */
static void luring_process_completions(LuringState *s)
{
    struct io_uring_cqe *cqe;
    Coroutine *self = qemu_in_coroutine() ? qemu_coroutine_self() : NULL;

    /* A woken coroutine may close the last node: keep the ring alive. */
    s->refcnt++;
    while (io_uring_peek_cqe(&s->ring, &cqe) == 0) {
        LuringReq *req = io_uring_cqe_get_data(cqe);
        int res = cqe->res;

        io_uring_cqe_seen(&s->ring, cqe);
        trace_luring_complete(s, req, res);
        if (!luring_complete_one(req, res)) {
            luring_prep(s, req);
            continue;
        }
        s->in_flight--;
        if (req->co != self) {
            aio_co_wake(req->co);
        }
        qemu_co_queue_next(&s->free_waiters);
    }
    luring_put(s);
}

static void luring_completion_cb(void *opaque)
{
    LuringState *s = opaque;
    uint64_t count;

    if (read(s->efd, &count, sizeof(count)) < 0) {
        count = 0;              /* EAGAIN: nothing new, still drain the CQ */
    }
    luring_process_completions(s);
}

int coroutine_fn luring_co_submit(LuringState *s, int fd, int64_t offset,
                                  QEMUIOVector *qiov, FilePosixAioType type)
{
    LuringReq req = {
        .s = s,
        .co = qemu_coroutine_self(),
        .fd = fd,
        .type = type,
        .offset = offset,
        .qiov = qiov,
        .ret = -EINPROGRESS,
    };

    if (s->in_flight >= LURING_ENTRIES) {
        /*
         * The ring is full: hand the kernel what is prepared and finish
         * what it has done, as QEMU's submission path does, so requests
         * that are done end (and their coroutines go back to the pool)
         * even when the caller queues many before the loop runs.
         */
        io_uring_submit(&s->ring);
        luring_process_completions(s);
    }
    while (s->in_flight >= LURING_ENTRIES) {
        qemu_co_queue_wait(&s->free_waiters, NULL);
    }
    s->in_flight++;
    trace_luring_co_submit(s, &req, fd, offset,
                           qiov ? (uint64_t)qiov->size : 0, (int)type);
    luring_prep(s, &req);
    while (req.ret == -EINPROGRESS) {
        qemu_coroutine_yield();
    }
    if (req.rest_init) {
        qemu_iovec_destroy(&req.rest);
    }
    return req.ret;
}

LuringState *luring_get(GError **errp)
{
    LuringState *s = luring_state;
    int ret;

    if (s) {
        s->refcnt++;
        return s;
    }
    s = g_new0(LuringState, 1);
    ret = io_uring_queue_init(LURING_ENTRIES, &s->ring, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "failed to create an io_uring");
        g_free(s);
        return NULL;
    }
    s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->efd < 0) {
        error_setg_errno(errp, errno, "failed to create an eventfd");
        io_uring_queue_exit(&s->ring);
        g_free(s);
        return NULL;
    }
    ret = io_uring_register_eventfd(&s->ring, s->efd);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "failed to register an io_uring eventfd");
        close(s->efd);
        io_uring_queue_exit(&s->ring);
        g_free(s);
        return NULL;
    }
    s->refcnt = 1;
    qemu_co_queue_init(&s->free_waiters);
    s->submit_bh = aio_bh_new(qemu_get_aio_context(), luring_submit_bh, s);
    aio_set_fd_handler(qemu_get_aio_context(), s->efd, luring_completion_cb,
                       NULL, s);
    luring_state = s;
    return s;
}

void luring_put(LuringState *s)
{
    if (!s || --s->refcnt > 0) {
        return;
    }
    g_assert(s->in_flight == 0);
    aio_set_fd_handler(qemu_get_aio_context(), s->efd, NULL, NULL, NULL);
    qemu_bh_delete(s->submit_bh);
    io_uring_unregister_eventfd(&s->ring);
    io_uring_queue_exit(&s->ring);
    close(s->efd);
    if (luring_state == s) {
        luring_state = NULL;
    }
    g_free(s);
}
