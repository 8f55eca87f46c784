/*
 * qemu_co_sleep_ns(): a coroutine waits for a timer of its context.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "coroutine-int.h"

static void co_sleep_cb(void *opaque)
{
    aio_co_wake(opaque);
}

void coroutine_fn qemu_co_sleep_ns(QEMUClockType type, int64_t ns)
{
    AioContext *ctx = qemu_get_current_aio_context();
    Coroutine *self = qemu_coroutine_self();
    QEMUTimer *t;

    if (!qemu_in_coroutine() || !ctx) {
        error_report("%s needs a coroutine in an AioContext", __func__);
        abort();
    }
    t = aio_timer_new(ctx, type, co_sleep_cb, self);
    timer_mod(t, qemu_clock_get_ns(type) + MAX(ns, 0));
    qemu_coroutine_yield();
    timer_free(t);
}
