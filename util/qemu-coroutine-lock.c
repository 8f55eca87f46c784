/*
 * Coroutine locks: CoQueue (a FIFO of waiting coroutines) and CoMutex.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "coroutine-int.h"

void qemu_co_queue_push(CoQueue *q, Coroutine *co)
{
    co->co_queue_next = NULL;
    if (q->tail) {
        q->tail->co_queue_next = co;
    } else {
        q->head = co;
    }
    q->tail = co;
}

Coroutine *qemu_co_queue_pop(CoQueue *q)
{
    Coroutine *co = q->head;

    if (co) {
        q->head = co->co_queue_next;
        if (!q->head) {
            q->tail = NULL;
        }
        co->co_queue_next = NULL;
    }
    return co;
}

void qemu_co_queue_init(CoQueue *q)
{
    q->head = NULL;
    q->tail = NULL;
}

bool qemu_co_queue_empty(CoQueue *q)
{
    return q->head == NULL;
}

static void coroutine_assert_in_coroutine(const char *func)
{
    if (!qemu_in_coroutine()) {
        error_report("%s called outside a coroutine", func);
        abort();
    }
}

void coroutine_fn qemu_co_queue_wait(CoQueue *q, CoMutex *lock)
{
    coroutine_assert_in_coroutine(__func__);
    qemu_co_queue_push(q, qemu_coroutine_self());
    if (lock) {
        qemu_co_mutex_unlock(lock);
    }
    qemu_coroutine_yield();
    if (lock) {
        qemu_co_mutex_lock(lock);
    }
}

bool qemu_co_queue_next(CoQueue *q)
{
    Coroutine *co = qemu_co_queue_pop(q);

    if (!co) {
        return false;
    }
    aio_co_wake(co);
    return true;
}

void qemu_co_queue_restart_all(CoQueue *q)
{
    while (qemu_co_queue_next(q)) {
        continue;
    }
}

void qemu_co_mutex_init(CoMutex *m)
{
    memset(m, 0, sizeof(*m));
    g_mutex_init(&m->lock);
}

void coroutine_fn qemu_co_mutex_lock(CoMutex *m)
{
    Coroutine *self = qemu_coroutine_self();

    coroutine_assert_in_coroutine(__func__);
    g_mutex_lock(&m->lock);
    if (!m->holder) {
        m->holder = self;
        g_mutex_unlock(&m->lock);
    } else {
        qemu_co_queue_push(&m->waiters, self);
        g_mutex_unlock(&m->lock);
        /* the unlocker makes us the holder before waking us */
        qemu_coroutine_yield();
        g_assert(m->holder == self);
    }
    self->locks_held++;
}

void coroutine_fn qemu_co_mutex_unlock(CoMutex *m)
{
    Coroutine *self = qemu_coroutine_self();
    Coroutine *next;

    coroutine_assert_in_coroutine(__func__);
    g_mutex_lock(&m->lock);
    if (m->holder != self) {
        g_mutex_unlock(&m->lock);
        error_report("CoMutex unlocked by a coroutine that does not hold it");
        abort();
    }
    /* hand over directly: waiters get the lock in FIFO order */
    next = qemu_co_queue_pop(&m->waiters);
    m->holder = next;
    g_mutex_unlock(&m->lock);
    self->locks_held--;
    if (next) {
        aio_co_wake(next);
    }
}
