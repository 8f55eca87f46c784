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
