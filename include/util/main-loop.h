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

/* A function run in the main loop on another thread's behalf. */
typedef bool MainLoopSyncFunc(void *opaque, GError **errp);

/**
 * main_loop_run_sync:
 * @fn: what to run
 * @opaque: its argument
 * @errp: receives @fn's error
 *
 * Runs @fn in the main loop thread and waits for it to return.  This is how
 * a worker thread (the migration thread) touches main-loop-owned state such
 * as devices or the run state.  Called from the main thread it simply calls
 * @fn.  The main loop must be running (not waiting on the caller).
 *
 * Returns: what @fn returned; @errp is set exactly when it returned false.
 */
bool main_loop_run_sync(MainLoopSyncFunc *fn, void *opaque, GError **errp);

/* Asserts that the caller may touch global state (the main thread). */
#define GLOBAL_STATE_CODE() g_assert(qemu_in_main_thread())

#endif /* UTIL_MAIN_LOOP_H */
