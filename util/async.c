/*
 * AioContext: a GSource gathering fd handlers, bottom halves and timers.
 *
 * This file holds the context's life cycle, its GSource functions, bottom
 * halves and aio_notify(); fd handlers and aio_poll() are in aio-posix.c,
 * timers in qemu-timer.c.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/main-loop.h"
#include "aio-int.h"

struct QEMUBH {
    AioContext *ctx;
    QEMUBHFunc *cb;
    void *opaque;
    GList link;         /* in ctx->bh_pending when scheduled; bh_lock */
    uint64_t seq;       /* schedule number; bh_lock */
    bool scheduled;     /* bh_lock */
    bool oneshot;       /* frees itself after running */
};

/* Every live context, for qemu_clock_deadline_ns_all(). */
static GMutex registry_lock;
static GList *registry;     /* registry_lock */

/* The context this thread is running, if any. */
static __thread AioContext *current_ctx;

AioContext *aio_context_set_current(AioContext *ctx)
{
    AioContext *prev = current_ctx;

    current_ctx = ctx;
    return prev;
}

AioContext *qemu_get_current_aio_context(void)
{
    if (current_ctx) {
        return current_ctx;
    }
    if (qemu_in_main_thread()) {
        return qemu_get_aio_context();
    }
    return NULL;
}

void aio_registry_foreach(void (*fn)(AioContext *ctx, void *opaque),
                          void *opaque)
{
    g_mutex_lock(&registry_lock);
    for (GList *l = registry; l; l = l->next) {
        fn(l->data, opaque);
    }
    g_mutex_unlock(&registry_lock);
}

/* Bottom halves */

QEMUBH *aio_bh_new(AioContext *ctx, QEMUBHFunc *cb, void *opaque)
{
    QEMUBH *bh = g_new0(QEMUBH, 1);

    bh->ctx = ctx;
    bh->cb = cb;
    bh->opaque = opaque;
    bh->link.data = bh;
    return bh;
}

void qemu_bh_schedule(QEMUBH *bh)
{
    AioContext *ctx = bh->ctx;

    g_mutex_lock(&ctx->bh_lock);
    if (!bh->scheduled) {
        bh->scheduled = true;
        bh->seq = ++ctx->bh_seq;
        g_queue_push_tail_link(&ctx->bh_pending, &bh->link);
    }
    g_mutex_unlock(&ctx->bh_lock);
    aio_notify(ctx);
}

void qemu_bh_cancel(QEMUBH *bh)
{
    AioContext *ctx = bh->ctx;

    g_mutex_lock(&ctx->bh_lock);
    if (bh->scheduled) {
        bh->scheduled = false;
        g_queue_unlink(&ctx->bh_pending, &bh->link);
    }
    g_mutex_unlock(&ctx->bh_lock);
}

void qemu_bh_delete(QEMUBH *bh)
{
    if (bh) {
        qemu_bh_cancel(bh);
        g_free(bh);
    }
}

void aio_bh_schedule_oneshot(AioContext *ctx, QEMUBHFunc *cb, void *opaque)
{
    QEMUBH *bh = aio_bh_new(ctx, cb, opaque);

    bh->oneshot = true;
    qemu_bh_schedule(bh);
}

bool aio_bh_pending(AioContext *ctx)
{
    bool pending;

    g_mutex_lock(&ctx->bh_lock);
    pending = !g_queue_is_empty(&ctx->bh_pending);
    g_mutex_unlock(&ctx->bh_lock);
    return pending;
}

/* Pops the first BH scheduled no later than @limit, or returns NULL. */
static QEMUBH *aio_bh_pop(AioContext *ctx, uint64_t limit)
{
    QEMUBH *bh = NULL;
    GList *link;

    g_mutex_lock(&ctx->bh_lock);
    link = g_queue_peek_head_link(&ctx->bh_pending);
    if (link && ((QEMUBH *)link->data)->seq <= limit) {
        bh = link->data;
        g_queue_unlink(&ctx->bh_pending, link);
        bh->scheduled = false;
    }
    g_mutex_unlock(&ctx->bh_lock);
    return bh;
}

/*
 * Runs the BHs scheduled before the call, in order.  Those scheduled by
 * the callbacks wait for the next iteration, so a BH that re-schedules
 * itself cannot starve the loop.
 */
static bool aio_bh_poll(AioContext *ctx)
{
    uint64_t limit;
    bool progress = false;
    QEMUBH *bh;

    g_mutex_lock(&ctx->bh_lock);
    limit = ctx->bh_seq;
    g_mutex_unlock(&ctx->bh_lock);

    while ((bh = aio_bh_pop(ctx, limit)) != NULL) {
        bool oneshot = bh->oneshot;

        /* the callback may delete or re-schedule a reusable BH */
        bh->cb(bh->opaque);
        if (oneshot) {
            g_free(bh);
        }
        progress = true;
    }
    return progress;
}

/* Notification */

void aio_notify(AioContext *ctx)
{
    /* only the first notification since the last read writes the fd */
    if (!__atomic_exchange_n(&ctx->notified, true, __ATOMIC_SEQ_CST)) {
        event_notifier_set(&ctx->notifier);
    }
}

static void aio_notifier_read(void *opaque)
{
    AioContext *ctx = opaque;

    /*
     * Drain the fd, then clear the flag.  The other order loses wake-ups:
     * an aio_notify() between the two would write the fd, the read would
     * swallow it and the flag would stay set, so no later aio_notify()
     * wrote the fd again and the loop slept through completions from
     * other threads.  In this order a notify that finds the flag still set
     * only made work (a BH, a timer) that the loop's next prepare sees.
     */
    event_notifier_test_and_clear(&ctx->notifier);
    __atomic_store_n(&ctx->notified, false, __ATOMIC_SEQ_CST);
}

/* The GSource */

int64_t aio_compute_timeout(AioContext *ctx)
{
    if (aio_bh_pending(ctx)) {
        return 0;
    }
    return aio_timers_deadline_ns(ctx);
}

bool aio_dispatch(AioContext *ctx)
{
    AioContext *prev = aio_context_set_current(ctx);
    bool progress;

    progress = aio_bh_poll(ctx);
    progress |= aio_dispatch_handlers(ctx);
    progress |= aio_run_all_timers(ctx);
    aio_context_set_current(prev);
    return progress;
}

static gboolean aio_ctx_prepare(GSource *source, gint *timeout)
{
    AioContext *ctx = (AioContext *)source;
    int64_t ns = aio_compute_timeout(ctx);

    if (ns < 0) {
        *timeout = -1;
    } else {
        /* round up: waking early only to find nothing due would spin */
        *timeout = MIN((ns + SCALE_MS - 1) / SCALE_MS, (int64_t)INT_MAX);
    }
    return ns == 0;
}

static gboolean aio_ctx_check(GSource *source)
{
    AioContext *ctx = (AioContext *)source;

    return aio_bh_pending(ctx) || aio_handlers_ready(ctx) ||
           aio_timers_deadline_ns(ctx) == 0;
}

static gboolean aio_ctx_dispatch(GSource *source, GSourceFunc callback,
                                 gpointer user_data)
{
    aio_dispatch((AioContext *)source);
    return G_SOURCE_CONTINUE;
}

/* Frees the BHs still queued: oneshots are ours, the rest their owners'. */
static void aio_bh_cleanup(AioContext *ctx)
{
    GList *link;

    while ((link = g_queue_pop_head_link(&ctx->bh_pending)) != NULL) {
        QEMUBH *bh = link->data;

        bh->scheduled = false;
        if (bh->oneshot) {
            g_free(bh);
        }
    }
}

static void aio_ctx_finalize(GSource *source)
{
    AioContext *ctx = (AioContext *)source;

    g_mutex_lock(&registry_lock);
    registry = g_list_remove(registry, ctx);
    g_mutex_unlock(&registry_lock);

    thread_pool_free(ctx->thread_pool);
    qemu_bh_delete(ctx->co_schedule_bh);
    aio_bh_cleanup(ctx);
    aio_timers_detach(ctx);
    aio_handlers_free(ctx);
    event_notifier_cleanup(&ctx->notifier);
    g_mutex_clear(&ctx->bh_lock);
    g_mutex_clear(&ctx->timer_lock);
}

static GSourceFuncs aio_source_funcs = {
    .prepare = aio_ctx_prepare,
    .check = aio_ctx_check,
    .dispatch = aio_ctx_dispatch,
    .finalize = aio_ctx_finalize,
};

AioContext *aio_context_new(GError **errp)
{
    EventNotifier notifier;
    AioContext *ctx;
    int ret;

    ret = event_notifier_init(&notifier, false);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "cannot create the event notifier");
        return NULL;
    }
    ctx = (AioContext *)g_source_new(&aio_source_funcs, sizeof(AioContext));
    g_source_set_name(&ctx->source, "aio-context");
    ctx->notifier = notifier;
    g_mutex_init(&ctx->bh_lock);
    g_mutex_init(&ctx->timer_lock);
    g_queue_init(&ctx->bh_pending);
    aio_handlers_init(ctx);
    aio_set_fd_handler(ctx, event_notifier_get_fd(&ctx->notifier),
                       aio_notifier_read, NULL, ctx);
    ctx->handlers->is_notifier = true;
    ctx->co_schedule_bh = aio_bh_new(ctx, aio_co_schedule_bh_cb, ctx);

    g_mutex_lock(&registry_lock);
    registry = g_list_prepend(registry, ctx);
    g_mutex_unlock(&registry_lock);
    return ctx;
}

void aio_context_ref(AioContext *ctx)
{
    g_source_ref(&ctx->source);
}

void aio_context_unref(AioContext *ctx)
{
    g_source_unref(&ctx->source);
}

GSource *aio_get_g_source(AioContext *ctx)
{
    return g_source_ref(&ctx->source);
}
