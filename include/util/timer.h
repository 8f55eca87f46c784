/*
 * timer.h: tern's clocks and the timers of an AioContext.
 *
 * Three clocks, all in nanoseconds:
 * - QEMU_CLOCK_REALTIME: monotonic time (CLOCK_MONOTONIC), for the daemon's
 *   own timeouts; never jumps;
 * - QEMU_CLOCK_HOST: wall-clock time since the Epoch (CLOCK_REALTIME), can
 *   jump when the host clock is set;
 * - QEMU_CLOCK_VIRTUAL: the guest's time.  It follows the monotonic clock
 *   until qemu_clock_set_virtual_manual() is called (the qtest
 *   accelerator); from then on only qemu_clock_advance_virtual_time()
 *   moves it.
 *
 * A QEMUTimer belongs to one AioContext and one clock; its callback runs in
 * that context's thread once the clock reaches the expiry time.  Timers
 * with the same expiry fire in the order they were armed.
 */
#ifndef UTIL_TIMER_H
#define UTIL_TIMER_H

#include "util/osdep.h"

typedef enum {
    QEMU_CLOCK_REALTIME,
    QEMU_CLOCK_HOST,
    QEMU_CLOCK_VIRTUAL,
    QEMU_CLOCK_MAX
} QEMUClockType;

#define NANOSECONDS_PER_SECOND 1000000000LL
#define SCALE_MS 1000000LL
#define SCALE_US 1000LL

typedef struct AioContext AioContext;
typedef void QEMUTimerCB(void *opaque);
typedef struct QEMUTimer QEMUTimer;

/**
 * qemu_clock_get_ns:
 * @type: the clock
 *
 * Returns: the current time of @type in nanoseconds.  Any thread.
 */
int64_t qemu_clock_get_ns(QEMUClockType type);

/* The same in milliseconds (rounded down). */
int64_t qemu_clock_get_ms(QEMUClockType type);

/**
 * qemu_clock_set_virtual_manual:
 * @start_ns: the value the virtual clock takes now
 *
 * Detaches QEMU_CLOCK_VIRTUAL from the host: from now on it stays put until
 * qemu_clock_advance_virtual_time() moves it, and waiting loops no longer
 * wake for virtual timers by themselves.  Used by the qtest accelerator at
 * start-up.  Main thread.
 */
void qemu_clock_set_virtual_manual(int64_t start_ns);

/* Returns: whether qemu_clock_set_virtual_manual() was called.  Any thread. */
bool qemu_clock_virtual_is_manual(void);

/**
 * qemu_clock_advance_virtual_time:
 * @dest: the target time of the virtual clock, in ns
 *
 * Moves the manual virtual clock forward to @dest, stopping at each pending
 * virtual timer deadline on the way so that the main AioContext's virtual
 * timers fire in order and see the time they asked for.  Other contexts are
 * notified and run theirs in their own threads.  If @dest is in the past
 * the clock does not move.  Main thread, outside any timer callback.
 *
 * Returns: the virtual time afterwards.
 */
int64_t qemu_clock_advance_virtual_time(int64_t dest);

/**
 * qemu_clock_deadline_ns_all:
 * @type: the clock
 *
 * Returns: nanoseconds until the earliest pending timer of @type in any
 * AioContext expires (0 when one is overdue), or -1 if none is pending.
 * Any thread.
 */
int64_t qemu_clock_deadline_ns_all(QEMUClockType type);

/**
 * aio_timer_new:
 * @ctx: the context whose thread runs the callback (not referenced: free
 *       the timer before the context goes away)
 * @type: the clock that @expire_ns values of timer_mod() refer to
 * @cb: the callback
 * @opaque: passed to @cb
 *
 * Returns: a new, disarmed timer; free it with timer_free().
 */
QEMUTimer *aio_timer_new(AioContext *ctx, QEMUClockType type,
                         QEMUTimerCB *cb, void *opaque);

/**
 * timer_mod:
 * @t: the timer
 * @expire_ns: absolute expiry time on the timer's clock
 *
 * Arms @t, or moves it if it was armed.  An expiry in the past fires on
 * the next loop iteration.  Any thread (the context is woken if needed).
 */
void timer_mod(QEMUTimer *t, int64_t expire_ns);

/* Disarms @t (no-op when it is not armed).  Any thread. */
void timer_del(QEMUTimer *t);

/* Returns: whether @t is armed.  Any thread. */
bool timer_pending(QEMUTimer *t);

/* Returns: the expiry time of an armed timer, or -1.  Any thread. */
int64_t timer_expire_time_ns(QEMUTimer *t);

/**
 * timer_free:
 * @t: (nullable): the timer
 *
 * Disarms and frees @t.  Call it in the context's thread, or when the
 * callback cannot be running.
 */
void timer_free(QEMUTimer *t);

#endif /* UTIL_TIMER_H */
