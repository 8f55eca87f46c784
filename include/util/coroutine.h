/*
 * coroutine.h: cooperative coroutines and their locks.
 *
 * A coroutine is a function with its own stack (1 MiB, with a PROT_NONE
 * guard page below it) that can suspend itself (qemu_coroutine_yield())
 * and be resumed later (qemu_coroutine_enter(), aio_co_wake()).  Block
 * I/O and jobs run in coroutines in the main loop thread: a request yields
 * while its I/O is in flight and is woken by the completion.
 *
 * Rules:
 * - a coroutine runs only in the thread that created it; stacks are pooled
 *   per thread;
 * - functions that may yield are marked coroutine_fn and are called only
 *   from coroutines;
 * - when a coroutine wakes another one of the same context (CoMutex unlock,
 *   CoQueue next, aio_co_wake), the woken one runs as soon as the waker
 *   yields or terminates, not in the middle of the waker.
 */
#ifndef UTIL_COROUTINE_H
#define UTIL_COROUTINE_H

#include "util/osdep.h"
#include "util/aio.h"

typedef struct Coroutine Coroutine;
typedef void coroutine_fn CoroutineEntry(void *opaque);

/*
 * A FIFO of waiting coroutines.  Embeddable; zero-filled is initialised.
 * Not thread-safe by itself: protect it with a CoMutex (or use it from one
 * thread only).
 */
typedef struct CoQueue {
    Coroutine *head;
    Coroutine *tail;
} CoQueue;

/*
 * A mutex for coroutines: a coroutine that finds it locked yields until
 * the holder hands it over.  Waiters get the lock in FIFO order.  Not
 * recursive.  Embeddable; zero-filled is initialised (CO_MUTEX_INITIALIZER).
 */
typedef struct CoMutex {
    GMutex lock;            /* protects the fields below */
    Coroutine *holder;      /* NULL when unlocked */
    CoQueue waiters;
} CoMutex;

#define CO_MUTEX_INITIALIZER { 0 }

/**
 * qemu_coroutine_create:
 * @entry: the function the coroutine runs
 * @opaque: its argument
 *
 * Returns: a new coroutine that has not started yet; it frees itself when
 * @entry returns.  Aborts if no stack can be mapped.
 */
Coroutine *qemu_coroutine_create(CoroutineEntry *entry, void *opaque);

/**
 * qemu_coroutine_enter:
 * @co: a coroutine that is not running and not scheduled
 *
 * Runs @co until it yields or terminates, then returns.  From a coroutine
 * this nests: @co returns here when it yields.  Entering a coroutine that
 * is already running (re-entry) aborts.  The creating thread only.
 */
void qemu_coroutine_enter(Coroutine *co);

/* Enters @co unless it is already entered (running or in its caller chain). */
void qemu_coroutine_enter_if_inactive(Coroutine *co);

/**
 * qemu_coroutine_yield:
 *
 * Suspends the calling coroutine and returns to the one that entered it.
 * Someone must keep a pointer to the coroutine to wake it.
 */
void coroutine_fn qemu_coroutine_yield(void);

/* Returns: the running coroutine; outside coroutines, the thread's leader. */
Coroutine *qemu_coroutine_self(void);

/* Returns: whether the caller runs in a coroutine. */
bool qemu_in_coroutine(void);

/* Returns: whether @co is entered and has not yielded or terminated. */
bool qemu_coroutine_entered(Coroutine *co);

/**
 * aio_co_schedule:
 * @ctx: the context that will run @co
 * @co: a coroutine that has yielded
 *
 * Enters @co from a BH in @ctx.  Scheduling a coroutine twice before it
 * runs aborts.  Any thread.
 */
void aio_co_schedule(AioContext *ctx, Coroutine *co);

/**
 * aio_co_wake:
 * @co: a coroutine that has yielded
 *
 * Resumes @co in the context it last ran in: right away (after the caller
 * yields, when the caller is a coroutine) if that context is the caller's,
 * else through aio_co_schedule().  Any thread.
 */
void aio_co_wake(Coroutine *co);

/* Initialises @m unlocked. */
void qemu_co_mutex_init(CoMutex *m);

/**
 * qemu_co_mutex_lock:
 * @m: the mutex
 *
 * Takes @m, yielding while another coroutine holds it.  Coroutine only;
 * relocking a mutex one holds deadlocks.
 */
void coroutine_fn qemu_co_mutex_lock(CoMutex *m);

/**
 * qemu_co_mutex_unlock:
 * @m: a mutex the calling coroutine holds (anything else aborts)
 *
 * Releases @m, handing it to the first waiter, which runs after the caller
 * yields.  Coroutine only.
 */
void coroutine_fn qemu_co_mutex_unlock(CoMutex *m);

/* Initialises @q empty. */
void qemu_co_queue_init(CoQueue *q);

/**
 * qemu_co_queue_wait:
 * @q: the queue
 * @lock: (nullable): a CoMutex the caller holds, released while waiting
 *        and taken again before returning
 *
 * Yields until qemu_co_queue_next() or qemu_co_queue_restart_all() wakes
 * the caller.  Coroutine only.
 */
void coroutine_fn qemu_co_queue_wait(CoQueue *q, CoMutex *lock);

/**
 * qemu_co_queue_next:
 * @q: the queue
 *
 * Wakes the first waiter (see aio_co_wake()).  Also usable outside
 * coroutines, where the waiter runs before this returns.
 *
 * Returns: whether there was a waiter.
 */
bool qemu_co_queue_next(CoQueue *q);

/* Wakes every waiter, in FIFO order. */
void qemu_co_queue_restart_all(CoQueue *q);

/* Returns: whether nobody waits on @q. */
bool qemu_co_queue_empty(CoQueue *q);

/**
 * qemu_co_sleep_ns:
 * @type: the clock
 * @ns: how long to sleep, in nanoseconds of @type
 *
 * Yields and resumes once a timer of @type in the current context
 * expires.  Coroutine only.
 */
void coroutine_fn qemu_co_sleep_ns(QEMUClockType type, int64_t ns);

#endif /* UTIL_COROUTINE_H */
