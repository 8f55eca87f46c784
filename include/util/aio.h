/*
 * aio.h: the AioContext event loop.
 *
 * An AioContext is a GSource (QEMU's design) that gathers:
 * - fd handlers: poll()-based and level-triggered; a read handler runs as
 *   long as its descriptor is readable;
 * - bottom halves (BH): callbacks scheduled from any thread and run once in
 *   the context's thread, in the order they were scheduled;
 * - timers on the clocks of util/timer.h;
 * - an EventNotifier (eventfd) that aio_notify() sets to wake a thread
 *   blocked in poll().
 *
 * A context is driven either by attaching its GSource to a GMainContext
 * (the main loop does that, see util/main-loop.h) or by calling aio_poll()
 * directly.  The thread that drives it is the context's thread: fd
 * handlers, BHs and timers run there.  Functions say when they may be
 * called from other threads.
 */
#ifndef UTIL_AIO_H
#define UTIL_AIO_H

#include "util/osdep.h"
#include "util/timer.h"

typedef struct AioContext AioContext;
typedef void IOHandler(void *opaque);
typedef void QEMUBHFunc(void *opaque);
typedef struct QEMUBH QEMUBH;

/**
 * aio_context_new:
 * @errp: error out
 *
 * Creates a context with one reference.  Any thread.
 *
 * Returns: the new context, or NULL with @errp set if its event notifier
 * could not be created.
 */
AioContext *aio_context_new(GError **errp);

/* Takes a reference on @ctx.  Any thread. */
void aio_context_ref(AioContext *ctx);

/**
 * aio_context_unref:
 * @ctx: the context
 *
 * Drops a reference.  The last one frees the context, its thread pool and
 * its fd handlers; BHs and timers must have been freed by their owners
 * before.  Any thread, but the last reference must not be dropped while
 * the context is being polled.
 */
void aio_context_unref(AioContext *ctx);

/* Returns: @ctx's GSource, with a new reference the caller owns. */
GSource *aio_get_g_source(AioContext *ctx);

/**
 * qemu_get_current_aio_context:
 *
 * Returns: the context the calling thread is running (inside aio_poll() or
 * the context's GSource), else the main context when called from the main
 * thread, else NULL.  Not referenced.
 */
AioContext *qemu_get_current_aio_context(void);

/**
 * aio_set_fd_handler:
 * @ctx: the context
 * @fd: the descriptor (not owned; keep it open while it is registered)
 * @io_read: (nullable): called while @fd is readable (or hung up)
 * @io_write: (nullable): called while @fd is writable
 * @opaque: passed to the handlers
 *
 * Registers, replaces or (both handlers NULL) removes the handlers of @fd.
 * Removing is safe from inside a handler.  Context thread only.
 */
void aio_set_fd_handler(AioContext *ctx, int fd, IOHandler *io_read,
                        IOHandler *io_write, void *opaque);

/**
 * aio_bh_new:
 * @ctx: the context whose thread runs @cb
 * @cb: the callback
 * @opaque: passed to @cb
 *
 * Returns: a new, unscheduled BH owned by the caller (qemu_bh_delete()).
 * Any thread.
 */
QEMUBH *aio_bh_new(AioContext *ctx, QEMUBHFunc *cb, void *opaque);

/**
 * qemu_bh_schedule:
 * @bh: the BH
 *
 * Makes @bh run once on the next iteration of its context and wakes the
 * context.  Scheduling an already scheduled BH does nothing; a BH may
 * re-schedule itself from its callback (it then runs on the following
 * iteration).  Any thread.
 */
void qemu_bh_schedule(QEMUBH *bh);

/* Unschedules @bh if it is scheduled.  Any thread. */
void qemu_bh_cancel(QEMUBH *bh);

/**
 * qemu_bh_delete:
 * @bh: (nullable): the BH
 *
 * Cancels and frees @bh.  May be called from @bh's own callback.  Context
 * thread, or any thread when no other thread can schedule @bh any more.
 */
void qemu_bh_delete(QEMUBH *bh);

/**
 * aio_bh_schedule_oneshot:
 * @ctx: the context
 * @cb: the callback
 * @opaque: passed to @cb
 *
 * Runs @cb once in @ctx's thread on the next iteration; the BH frees
 * itself.  Any thread.
 */
void aio_bh_schedule_oneshot(AioContext *ctx, QEMUBHFunc *cb, void *opaque);

/**
 * aio_poll:
 * @ctx: the context
 * @blocking: whether to wait for something to happen
 *
 * Runs one iteration: scheduled BHs, the handlers of ready descriptors and
 * expired timers.  With @blocking and nothing ready, waits in poll() until
 * a descriptor is ready, a timer expires or aio_notify() is called.
 * Context thread; not from inside a callback of @ctx.
 *
 * Returns: true if a callback ran (a wake-up by aio_notify() alone is not
 * progress).
 */
bool aio_poll(AioContext *ctx, bool blocking);

/**
 * aio_notify:
 * @ctx: the context
 *
 * Wakes the thread blocked in @ctx's poll(), or makes the next poll() return
 * at once.  Any thread.
 */
void aio_notify(AioContext *ctx);

#endif /* UTIL_AIO_H */
