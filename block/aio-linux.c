/*
 * Linux AIO (libaio) engine for file-posix: aio=native.
 *
 * One AIO context per process, driven by the main loop: coroutines prepare
 * iocbs, a bottom half submits the batch with one io_submit, completions
 * are signalled through an eventfd and reaped with io_getevents.  Linux
 * AIO is only asynchronous with O_DIRECT, which file-posix enforces.
 */
#include "util/osdep.h"

#include <libaio.h>
#include <sys/eventfd.h>

#include "block/file-posix-int.h"
#include "util/aio.h"
#include "util/coroutine.h"
#include "util/error.h"
#include "util/main-loop.h"
#include "trace-block.h"

/* The most requests in flight at once (and the io_setup depth). */
#define LAIO_MAX_EVENTS 128

typedef struct LaioReq {
    struct iocb iocb;
    Coroutine *co;
    QEMUIOVector *qiov;
    FilePosixAioType type;
    int ret;                /* -EINPROGRESS until completed */
} LaioReq;

struct LinuxAioState {
    int refcnt;
    io_context_t ctx;
    int efd;                        /* eventfd signalled on completions */
    unsigned in_flight;             /* prepared, submitted or completing */
    struct iocb *pending[LAIO_MAX_EVENTS];  /* prepared, not submitted */
    unsigned n_pending;
    QEMUBH *submit_bh;
    CoQueue free_waiters;           /* requests waiting for a slot */
};

/* The process's engine; main loop thread only. */
static LinuxAioState *laio_state;

static void laio_finish(LinuxAioState *s, LaioReq *req, int ret)
{
    req->ret = ret;
    s->in_flight--;
    aio_co_wake(req->co);
    qemu_co_queue_next(&s->free_waiters);
}

static void laio_submit_bh(void *opaque)
{
    LinuxAioState *s = opaque;

    s->refcnt++;            /* a failed request's coroutine may drop it */
    while (s->n_pending > 0) {
        int ret = io_submit(s->ctx, s->n_pending, s->pending);

        trace_laio_submit(s, s->n_pending, ret);
        if (ret == -EAGAIN || ret == -EINTR) {
            qemu_bh_schedule(s->submit_bh);     /* retry after completions */
            break;
        }
        if (ret < 0) {
            /* The first iocb is refused: fail it and go on. */
            laio_finish(s, s->pending[0]->data, ret);
            ret = 1;
        }
        s->n_pending -= ret;
        memmove(s->pending, s->pending + ret,
                s->n_pending * sizeof(s->pending[0]));
    }
    laio_put(s);
}

static int laio_result(LaioReq *req, long res)
{
    size_t size = req->qiov->size;

    if (res < 0) {
        return (int)res;
    }
    if ((size_t)res == size) {
        return 0;
    }
    if (req->type == FILE_POSIX_AIO_READ) {
        /* A short read means the end of the file: the rest is zeroes. */
        qemu_iovec_memset(req->qiov, res, 0, size - res);
        return 0;
    }
    return -ENOSPC;
}

static void laio_completion_cb(void *opaque)
{
    LinuxAioState *s = opaque;
    struct io_event events[LAIO_MAX_EVENTS];
    struct timespec zero = { 0, 0 };
    uint64_t count;
    int n;

    s->refcnt++;            /* a woken coroutine may drop the last node */
    if (read(s->efd, &count, sizeof(count)) < 0) {
        count = 0;
    }
    do {
        n = io_getevents(s->ctx, 0, LAIO_MAX_EVENTS, events, &zero);
        for (int i = 0; i < n; i++) {
            LaioReq *req = events[i].data;
            long res = (long)events[i].res;

            trace_laio_complete(s, req, res);
            laio_finish(s, req, laio_result(req, res));
        }
    } while (n == LAIO_MAX_EVENTS);
    laio_put(s);
}

int coroutine_fn laio_co_submit(LinuxAioState *s, int fd, int64_t offset,
                                QEMUIOVector *qiov, FilePosixAioType type)
{
    LaioReq req = {
        .co = qemu_coroutine_self(),
        .qiov = qiov,
        .type = type,
        .ret = -EINPROGRESS,
    };

    g_assert(type == FILE_POSIX_AIO_READ || type == FILE_POSIX_AIO_WRITE);
    while (s->in_flight >= LAIO_MAX_EVENTS) {
        qemu_co_queue_wait(&s->free_waiters, NULL);
    }
    if (type == FILE_POSIX_AIO_READ) {
        io_prep_preadv(&req.iocb, fd, qiov->iov, qiov->niov, offset);
    } else {
        io_prep_pwritev(&req.iocb, fd, qiov->iov, qiov->niov, offset);
    }
    io_set_eventfd(&req.iocb, s->efd);
    req.iocb.data = &req;
    s->in_flight++;
    s->pending[s->n_pending++] = &req.iocb;
    trace_laio_co_submit(s, &req, fd, offset, (uint64_t)qiov->size, (int)type);
    qemu_bh_schedule(s->submit_bh);
    while (req.ret == -EINPROGRESS) {
        qemu_coroutine_yield();
    }
    return req.ret;
}

LinuxAioState *laio_get(GError **errp)
{
    LinuxAioState *s = laio_state;
    int ret;

    if (s) {
        s->refcnt++;
        return s;
    }
    s = g_new0(LinuxAioState, 1);
    s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->efd < 0) {
        error_setg_errno(errp, errno, "failed to create an eventfd");
        g_free(s);
        return NULL;
    }
    ret = io_setup(LAIO_MAX_EVENTS, &s->ctx);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "failed to create a Linux AIO context");
        close(s->efd);
        g_free(s);
        return NULL;
    }
    s->refcnt = 1;
    qemu_co_queue_init(&s->free_waiters);
    s->submit_bh = aio_bh_new(qemu_get_aio_context(), laio_submit_bh, s);
    aio_set_fd_handler(qemu_get_aio_context(), s->efd, laio_completion_cb,
                       NULL, s);
    laio_state = s;
    return s;
}

void laio_put(LinuxAioState *s)
{
    if (!s || --s->refcnt > 0) {
        return;
    }
    g_assert(s->in_flight == 0);
    aio_set_fd_handler(qemu_get_aio_context(), s->efd, NULL, NULL, NULL);
    qemu_bh_delete(s->submit_bh);
    io_destroy(s->ctx);
    close(s->efd);
    if (laio_state == s) {
        laio_state = NULL;
    }
    g_free(s);
}
