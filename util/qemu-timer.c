/*
 * Clocks and the per-context timer lists.
 */
#include "util/osdep.h"
#include "util/main-loop.h"
#include "aio-int.h"

#include <time.h>

struct QEMUTimer {
    AioContext *ctx;
    QEMUClockType type;
    QEMUTimerCB *cb;
    void *opaque;
    int64_t expire_time;    /* -1 when not armed; ctx->timer_lock */
    QEMUTimer *next;        /* in ctx->timers[type]; ctx->timer_lock */
};

/* Manual virtual clock (qtest); both atomic. */
static bool virtual_manual;
static int64_t virtual_ns;

static int64_t clock_gettime_ns(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
}

bool qemu_clock_virtual_is_manual(void)
{
    return __atomic_load_n(&virtual_manual, __ATOMIC_ACQUIRE);
}

int64_t qemu_clock_get_ns(QEMUClockType type)
{
    switch (type) {
    case QEMU_CLOCK_HOST:
        return clock_gettime_ns(CLOCK_REALTIME);
    case QEMU_CLOCK_VIRTUAL:
        if (qemu_clock_virtual_is_manual()) {
            return __atomic_load_n(&virtual_ns, __ATOMIC_ACQUIRE);
        }
        return clock_gettime_ns(CLOCK_MONOTONIC);
    case QEMU_CLOCK_REALTIME:
    default:
        return clock_gettime_ns(CLOCK_MONOTONIC);
    }
}

int64_t qemu_clock_get_ms(QEMUClockType type)
{
    return qemu_clock_get_ns(type) / SCALE_MS;
}

void qemu_clock_set_virtual_manual(int64_t start_ns)
{
    __atomic_store_n(&virtual_ns, start_ns, __ATOMIC_RELEASE);
    __atomic_store_n(&virtual_manual, true, __ATOMIC_RELEASE);
}

/* Timers */

QEMUTimer *aio_timer_new(AioContext *ctx, QEMUClockType type,
                         QEMUTimerCB *cb, void *opaque)
{
    QEMUTimer *t = g_new0(QEMUTimer, 1);

    g_assert(type < QEMU_CLOCK_MAX);
    t->ctx = ctx;
    t->type = type;
    t->cb = cb;
    t->opaque = opaque;
    t->expire_time = -1;
    return t;
}

/* Unlinks @t from its list; returns whether it was armed.  timer_lock. */
static bool timer_unlink_locked(QEMUTimer *t)
{
    QEMUTimer **prev;

    if (t->expire_time < 0) {
        return false;
    }
    for (prev = &t->ctx->timers[t->type]; *prev; prev = &(*prev)->next) {
        if (*prev == t) {
            *prev = t->next;
            break;
        }
    }
    t->next = NULL;
    t->expire_time = -1;
    return true;
}

void timer_mod(QEMUTimer *t, int64_t expire_ns)
{
    AioContext *ctx = t->ctx;
    QEMUTimer **prev;
    bool first;

    expire_ns = MAX(expire_ns, 0);
    g_mutex_lock(&ctx->timer_lock);
    timer_unlink_locked(t);
    prev = &ctx->timers[t->type];
    /* after the timers with the same expiry: they fire first */
    while (*prev && (*prev)->expire_time <= expire_ns) {
        prev = &(*prev)->next;
    }
    t->next = *prev;
    t->expire_time = expire_ns;
    *prev = t;
    first = prev == &ctx->timers[t->type];
    g_mutex_unlock(&ctx->timer_lock);

    if (first) {
        /* the context may be sleeping past the new deadline */
        aio_notify(ctx);
    }
}

void timer_del(QEMUTimer *t)
{
    g_mutex_lock(&t->ctx->timer_lock);
    timer_unlink_locked(t);
    g_mutex_unlock(&t->ctx->timer_lock);
}

bool timer_pending(QEMUTimer *t)
{
    return timer_expire_time_ns(t) >= 0;
}

int64_t timer_expire_time_ns(QEMUTimer *t)
{
    int64_t expire;

    g_mutex_lock(&t->ctx->timer_lock);
    expire = t->expire_time;
    g_mutex_unlock(&t->ctx->timer_lock);
    return expire;
}

void timer_free(QEMUTimer *t)
{
    if (t) {
        timer_del(t);
        g_free(t);
    }
}

/* Per-context work, called by the loop */

/* The expiry of the first timer of @type in @ctx, or -1. */
static int64_t aio_timers_first(AioContext *ctx, QEMUClockType type)
{
    int64_t expire;

    g_mutex_lock(&ctx->timer_lock);
    expire = ctx->timers[type] ? ctx->timers[type]->expire_time : -1;
    g_mutex_unlock(&ctx->timer_lock);
    return expire;
}

int64_t aio_timers_deadline_ns(AioContext *ctx)
{
    int64_t deadline = -1;

    for (int type = 0; type < QEMU_CLOCK_MAX; type++) {
        int64_t expire = aio_timers_first(ctx, type);
        int64_t delta;

        if (expire < 0) {
            continue;
        }
        delta = MAX(expire - qemu_clock_get_ns(type), 0);
        if (type == QEMU_CLOCK_VIRTUAL && qemu_clock_virtual_is_manual() &&
            delta > 0) {
            /* waiting does not move a manual clock: no deadline */
            continue;
        }
        deadline = deadline < 0 ? delta : MIN(deadline, delta);
    }
    return deadline;
}

/* Pops the first timer of @type if it expires by @now. */
static QEMUTimer *aio_timers_pop_expired(AioContext *ctx, QEMUClockType type,
                                         int64_t now)
{
    QEMUTimer *t;

    g_mutex_lock(&ctx->timer_lock);
    t = ctx->timers[type];
    if (t && t->expire_time <= now) {
        timer_unlink_locked(t);
    } else {
        t = NULL;
    }
    g_mutex_unlock(&ctx->timer_lock);
    return t;
}

bool aio_run_timers(AioContext *ctx, QEMUClockType type)
{
    int64_t now = qemu_clock_get_ns(type);
    bool progress = false;
    QEMUTimer *t;

    /* a callback may re-arm or free its own timer */
    while ((t = aio_timers_pop_expired(ctx, type, now)) != NULL) {
        t->cb(t->opaque);
        progress = true;
    }
    return progress;
}

bool aio_run_all_timers(AioContext *ctx)
{
    bool progress = false;

    for (int type = 0; type < QEMU_CLOCK_MAX; type++) {
        progress |= aio_run_timers(ctx, type);
    }
    return progress;
}

void aio_timers_detach(AioContext *ctx)
{
    g_mutex_lock(&ctx->timer_lock);
    for (int type = 0; type < QEMU_CLOCK_MAX; type++) {
        while (ctx->timers[type]) {
            timer_unlink_locked(ctx->timers[type]);
        }
    }
    g_mutex_unlock(&ctx->timer_lock);
}

/* Across all contexts */

typedef struct DeadlineSearch {
    QEMUClockType type;
    int64_t first;      /* earliest expiry found, -1 if none */
} DeadlineSearch;

static void deadline_search_one(AioContext *ctx, void *opaque)
{
    DeadlineSearch *s = opaque;
    int64_t expire = aio_timers_first(ctx, s->type);

    if (expire >= 0 && (s->first < 0 || expire < s->first)) {
        s->first = expire;
    }
}

static int64_t qemu_clock_first_expiry(QEMUClockType type)
{
    DeadlineSearch s = { .type = type, .first = -1 };

    aio_registry_foreach(deadline_search_one, &s);
    return s.first;
}

int64_t qemu_clock_deadline_ns_all(QEMUClockType type)
{
    int64_t first = qemu_clock_first_expiry(type);

    if (first < 0) {
        return -1;
    }
    return MAX(first - qemu_clock_get_ns(type), 0);
}

static void notify_one(AioContext *ctx, void *opaque)
{
    aio_notify(ctx);
}

int64_t qemu_clock_advance_virtual_time(int64_t dest)
{
    AioContext *main_ctx = qemu_get_aio_context();
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    g_assert(qemu_clock_virtual_is_manual());
    while (now < dest) {
        int64_t first = qemu_clock_first_expiry(QEMU_CLOCK_VIRTUAL);

        now = first > now && first < dest ? first : dest;
        __atomic_store_n(&virtual_ns, now, __ATOMIC_RELEASE);
        if (main_ctx) {
            AioContext *prev = aio_context_set_current(main_ctx);

            aio_run_timers(main_ctx, QEMU_CLOCK_VIRTUAL);
            aio_context_set_current(prev);
        }
        aio_registry_foreach(notify_one, NULL);
    }
    return now;
}
