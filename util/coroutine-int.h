/*
 * coroutine-int.h: the inside of a Coroutine and the interface between
 * the generic code (qemu-coroutine*.c) and the switching backend
 * (coroutine-ucontext.c).
 */
#ifndef UTIL_COROUTINE_INT_H
#define UTIL_COROUTINE_INT_H

#include "util/osdep.h"
#include "util/coroutine.h"

/* The usable stack of a coroutine, not counting its guard page. */
#define COROUTINE_STACK_SIZE (1 << 20)

/* Free coroutines (with their stacks) kept per thread for reuse. */
#define COROUTINE_POOL_MAX 64

typedef enum {
    COROUTINE_YIELD = 1,
    COROUTINE_TERMINATE = 2,
    COROUTINE_ENTER = 3,
} CoroutineAction;

struct Coroutine {
    CoroutineEntry *entry;
    void *entry_arg;
    Coroutine *caller;          /* who entered us; NULL when not entered */
    AioContext *ctx;            /* where we last ran, for aio_co_wake() */
    unsigned locks_held;        /* CoMutexes held; must be 0 at the end */

    /* the queue we wait in (CoQueue, CoMutex) or are woken from */
    Coroutine *co_queue_next;
    /* coroutines we woke, entered when we yield or terminate */
    CoQueue co_queue_wakeup;

    /* set (atomic) by aio_co_schedule() until the coroutine runs */
    const char *scheduled;
    Coroutine *co_scheduled_next;   /* ctx->bh_lock */
};

/* Backend: a coroutine with its own stack, or NULL if none can be made. */
Coroutine *qemu_coroutine_new(void);
void qemu_coroutine_delete(Coroutine *co);

/*
 * The backend also implements qemu_coroutine_self() and qemu_in_coroutine():
 * it tracks the running coroutine of each thread as it switches.
 */

/* Backend: switches from @from (the running one) to @to. */
CoroutineAction qemu_coroutine_switch(Coroutine *from, Coroutine *to,
                                      CoroutineAction action);

/* qemu-coroutine-lock.c: queue helpers shared with qemu-coroutine.c. */
void qemu_co_queue_push(CoQueue *q, Coroutine *co);
Coroutine *qemu_co_queue_pop(CoQueue *q);

#endif /* UTIL_COROUTINE_INT_H */
