/*
 * main-loop.h: the daemon's main loop.
 *
 * The main loop is GLib's default GMainContext with the main AioContext's
 * GSource attached, so one iteration runs AioContext work (fd handlers,
 * BHs, timers) and plain GLib sources (g_unix_fd_add(), GIO, g_idle_add())
 * alike.  The thread that calls qemu_init_main_loop() is the main thread:
 * it owns the monitors, the block graph, jobs and all QAPI-visible state.
 */
#ifndef UTIL_MAIN_LOOP_H
#define UTIL_MAIN_LOOP_H

#include "util/osdep.h"
#include "util/aio.h"

/**
 * qemu_init_main_loop:
 * @errp: error out
 *
 * Creates the main AioContext, attaches it to g_main_context_default() and
 * makes the calling thread the main thread.  A second call does nothing.
 *
 * Returns: true on success; false with @errp set on failure.
 */
bool qemu_init_main_loop(GError **errp);

/* Returns: the main AioContext (NULL before qemu_init_main_loop()). */
AioContext *qemu_get_aio_context(void);

/**
 * main_loop_wait:
 * @nonblocking: return at once if nothing is ready
 *
 * Runs one iteration of g_main_context_default().  Main thread.
 */
void main_loop_wait(bool nonblocking);

/**
 * qemu_in_main_thread:
 *
 * Returns: whether the caller is the main thread (the thread that called
 * qemu_init_main_loop(), or before that the thread that started the
 * process).
 */
bool qemu_in_main_thread(void);

/* Asserts that the caller may touch global state (the main thread). */
#define GLOBAL_STATE_CODE() g_assert(qemu_in_main_thread())

#endif /* UTIL_MAIN_LOOP_H */
