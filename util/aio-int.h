/*
 * aio-int.h: the inside of an AioContext, shared by the files of util/
 * that implement the event loop, timers, coroutines and the thread pool.
 */
#ifndef UTIL_AIO_INT_H
#define UTIL_AIO_INT_H

#include "util/osdep.h"
#include "util/aio.h"
#include "util/coroutine.h"
#include "util/event-notifier.h"
#include "util/thread-pool.h"

typedef struct AioHandler AioHandler;

/* One registered descriptor.  Context thread only. */
struct AioHandler {
    GPollFD pfd;            /* also registered with the GSource */
    IOHandler *io_read;
    IOHandler *io_write;
    void *opaque;
    bool deleted;           /* removed while handlers were being walked */
    bool is_notifier;       /* the context's own wake-up: not progress */
    AioHandler *next;
};

struct AioContext {
    GSource source;             /* first: the context is its GSource */

    EventNotifier notifier;
    int notified;               /* atomic: notifier set and not yet read */

    /* fd handlers: context thread only */
    AioHandler *handlers;
    int walking_handlers;       /* > 0: removals are deferred */
    GArray *pollfds;            /* scratch array of struct pollfd */
    GPtrArray *pollnodes;       /* the AioHandler of each pollfds entry */

    /* bottom halves */
    GMutex bh_lock;
    GQueue bh_pending;          /* scheduled BHs, FIFO; bh_lock */
    uint64_t bh_seq;            /* last schedule number given; bh_lock */

    /* timers, one sorted list per clock */
    GMutex timer_lock;
    QEMUTimer *timers[QEMU_CLOCK_MAX];  /* timer_lock */

    /* coroutines woken by aio_co_schedule(), FIFO; bh_lock */
    Coroutine *co_sched_head;
    Coroutine *co_sched_tail;
    QEMUBH *co_schedule_bh;

    ThreadPool *thread_pool;    /* context thread; created on demand */
};

/* async.c */
AioContext *aio_context_set_current(AioContext *ctx);
bool aio_bh_pending(AioContext *ctx);
bool aio_dispatch(AioContext *ctx);
int64_t aio_compute_timeout(AioContext *ctx);
void aio_registry_foreach(void (*fn)(AioContext *ctx, void *opaque),
                          void *opaque);

/* aio-posix.c */
void aio_handlers_init(AioContext *ctx);
bool aio_dispatch_handlers(AioContext *ctx);
bool aio_handlers_ready(AioContext *ctx);
void aio_handlers_free(AioContext *ctx);

/* qemu-timer.c */
int64_t aio_timers_deadline_ns(AioContext *ctx);
bool aio_run_timers(AioContext *ctx, QEMUClockType type);
bool aio_run_all_timers(AioContext *ctx);
void aio_timers_detach(AioContext *ctx);

/* qemu-coroutine.c */
void aio_co_schedule_bh_cb(void *opaque);

/* thread-pool.c */
void thread_pool_free(ThreadPool *pool);

#endif /* UTIL_AIO_INT_H */
