/*
 * The main loop: the main AioContext attached to GLib's default context.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/main-loop.h"
#include "aio-int.h"

static AioContext *main_ctx;
/* The main thread; written before other threads exist, then read-only. */
static GThread *main_thread;

/* Until qemu_init_main_loop() runs, the thread that started the process. */
__attribute__((constructor))
static void main_loop_record_thread(void)
{
    main_thread = g_thread_self();
}

bool qemu_init_main_loop(GError **errp)
{
    GSource *src;

    if (main_ctx) {
        return true;
    }
    main_ctx = aio_context_new(errp);
    if (!main_ctx) {
        g_prefix_error(errp, "cannot initialise the main loop: ");
        return false;
    }
    main_thread = g_thread_self();
    src = aio_get_g_source(main_ctx);
    g_source_attach(src, g_main_context_default());
    g_source_unref(src);
    return true;
}

AioContext *qemu_get_aio_context(void)
{
    return main_ctx;
}

void main_loop_wait(bool nonblocking)
{
    g_main_context_iteration(g_main_context_default(), !nonblocking);
}

bool qemu_in_main_thread(void)
{
    return g_thread_self() == main_thread;
}

typedef struct MainLoopSyncCall {
    MainLoopSyncFunc *fn;
    void *opaque;
    GError *err;
    bool ret;
    bool done;          /* protected by lock */
    GMutex lock;
    GCond cond;
} MainLoopSyncCall;

static void main_loop_run_sync_bh(void *opaque)
{
    MainLoopSyncCall *call = opaque;

    call->ret = call->fn(call->opaque, &call->err);
    g_mutex_lock(&call->lock);
    call->done = true;
    g_cond_signal(&call->cond);
    g_mutex_unlock(&call->lock);
}

bool main_loop_run_sync(MainLoopSyncFunc *fn, void *opaque, GError **errp)
{
    MainLoopSyncCall call = { .fn = fn, .opaque = opaque };

    if (qemu_in_main_thread()) {
        return fn(opaque, errp);
    }
    g_assert(main_ctx);
    g_mutex_init(&call.lock);
    g_cond_init(&call.cond);
    aio_bh_schedule_oneshot(main_ctx, main_loop_run_sync_bh, &call);
    g_mutex_lock(&call.lock);
    while (!call.done) {
        g_cond_wait(&call.cond, &call.lock);
    }
    g_mutex_unlock(&call.lock);
    g_mutex_clear(&call.lock);
    g_cond_clear(&call.cond);
    if (!call.ret) {
        g_assert(call.err);
        g_propagate_error(errp, call.err);
    }
    return call.ret;
}
