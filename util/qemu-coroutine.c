/*
 * Coroutine life cycle: creation from a per-thread pool, enter, yield,
 * termination, and waking coroutines through their AioContext.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "aio-int.h"
#include "coroutine-int.h"

/* Free coroutines of one thread, ready to be reused with their stacks. */
typedef struct CoroutinePool {
    Coroutine *items[COROUTINE_POOL_MAX];
    unsigned count;
} CoroutinePool;

static void coroutine_pool_destroy(gpointer data)
{
    CoroutinePool *pool = data;

    while (pool->count > 0) {
        qemu_coroutine_delete(pool->items[--pool->count]);
    }
    g_free(pool);
}

/* Freed with its thread (GLib runs the destructor at thread exit). */
static GPrivate pool_key = G_PRIVATE_INIT(coroutine_pool_destroy);

static CoroutinePool *coroutine_pool_get(void)
{
    CoroutinePool *pool = g_private_get(&pool_key);

    if (!pool) {
        pool = g_new0(CoroutinePool, 1);
        g_private_set(&pool_key, pool);
    }
    return pool;
}

Coroutine *qemu_coroutine_create(CoroutineEntry *entry, void *opaque)
{
    CoroutinePool *pool = coroutine_pool_get();
    Coroutine *co;

    if (pool->count > 0) {
        co = pool->items[--pool->count];
    } else {
        co = qemu_coroutine_new();
        if (!co) {
            error_report("cannot allocate a coroutine stack: %s",
                         g_strerror(errno));
            abort();
        }
    }
    co->entry = entry;
    co->entry_arg = opaque;
    co->caller = NULL;
    co->ctx = NULL;
    co->locks_held = 0;
    co->co_queue_next = NULL;
    qemu_co_queue_init(&co->co_queue_wakeup);
    co->scheduled = NULL;
    co->co_scheduled_next = NULL;
    return co;
}

static void coroutine_release(Coroutine *co)
{
    CoroutinePool *pool = coroutine_pool_get();

    co->caller = NULL;
    if (pool->count < COROUTINE_POOL_MAX) {
        pool->items[pool->count++] = co;
    } else {
        qemu_coroutine_delete(co);
    }
}

/* Puts the coroutines @q holds in front of @pending, keeping their order. */
static void coroutine_queue_prepend(CoQueue *pending, CoQueue *q)
{
    if (!q->head) {
        return;
    }
    q->tail->co_queue_next = pending->head;
    if (!pending->head) {
        pending->tail = q->tail;
    }
    pending->head = q->head;
    q->head = q->tail = NULL;
}

static void coroutine_check_enterable(Coroutine *co)
{
    const char *scheduled = __atomic_load_n(&co->scheduled, __ATOMIC_ACQUIRE);

    if (scheduled) {
        error_report("co-routine was already scheduled in '%s'", scheduled);
        abort();
    }
    if (co->caller) {
        error_report("co-routine re-entered recursively");
        abort();
    }
}

void qemu_coroutine_enter(Coroutine *co)
{
    Coroutine *self = qemu_coroutine_self();
    CoQueue pending = { NULL, NULL };
    Coroutine *to;

    qemu_co_queue_push(&pending, co);
    while ((to = qemu_co_queue_pop(&pending)) != NULL) {
        CoroutineAction ret;

        coroutine_check_enterable(to);
        to->caller = self;
        __atomic_store_n(&to->ctx, qemu_get_current_aio_context(),
                         __ATOMIC_RELEASE);
        ret = qemu_coroutine_switch(self, to, COROUTINE_ENTER);

        /* those it woke run now, before the rest */
        coroutine_queue_prepend(&pending, &to->co_queue_wakeup);
        if (ret == COROUTINE_TERMINATE) {
            g_assert(to->locks_held == 0);
            coroutine_release(to);
        }
    }
}

void qemu_coroutine_enter_if_inactive(Coroutine *co)
{
    if (!qemu_coroutine_entered(co)) {
        qemu_coroutine_enter(co);
    }
}

void coroutine_fn qemu_coroutine_yield(void)
{
    Coroutine *self = qemu_coroutine_self();
    Coroutine *to = self->caller;

    if (!to) {
        error_report("co-routine is yielding to no one");
        abort();
    }
    self->caller = NULL;
    qemu_coroutine_switch(self, to, COROUTINE_YIELD);
}

bool qemu_coroutine_entered(Coroutine *co)
{
    return co->caller != NULL;
}

void aio_co_schedule(AioContext *ctx, Coroutine *co)
{
    const char *old = NULL;

    if (!__atomic_compare_exchange_n(&co->scheduled, &old, __func__, false,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        error_report("co-routine was already scheduled in '%s'", old);
        abort();
    }
    g_mutex_lock(&ctx->bh_lock);
    co->co_scheduled_next = NULL;
    if (ctx->co_sched_tail) {
        ctx->co_sched_tail->co_scheduled_next = co;
    } else {
        ctx->co_sched_head = co;
    }
    ctx->co_sched_tail = co;
    g_mutex_unlock(&ctx->bh_lock);
    qemu_bh_schedule(ctx->co_schedule_bh);
}

void aio_co_schedule_bh_cb(void *opaque)
{
    AioContext *ctx = opaque;
    Coroutine *co;

    g_mutex_lock(&ctx->bh_lock);
    co = ctx->co_sched_head;
    ctx->co_sched_head = ctx->co_sched_tail = NULL;
    g_mutex_unlock(&ctx->bh_lock);

    while (co) {
        Coroutine *next = co->co_scheduled_next;

        co->co_scheduled_next = NULL;
        __atomic_store_n(&co->scheduled, NULL, __ATOMIC_RELEASE);
        qemu_coroutine_enter(co);
        co = next;
    }
}

void aio_co_wake(Coroutine *co)
{
    AioContext *ctx = __atomic_load_n(&co->ctx, __ATOMIC_ACQUIRE);

    if (!ctx) {
        error_report("co-routine woken outside any AioContext");
        abort();
    }
    if (ctx != qemu_get_current_aio_context()) {
        aio_co_schedule(ctx, co);
    } else if (qemu_in_coroutine()) {
        /* run it once the caller yields or terminates */
        qemu_co_queue_push(&qemu_coroutine_self()->co_queue_wakeup, co);
    } else {
        qemu_coroutine_enter(co);
    }
}
