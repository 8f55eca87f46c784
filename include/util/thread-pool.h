/*
 * thread-pool.h: run blocking functions in worker threads.
 *
 * Each AioContext has one pool (created on first use, freed with the
 * context).  Workers are started on demand, up to 64, and exit after ten
 * seconds without work.  A job's function runs in a worker; its completion
 * callback runs in the context's thread, from a BH.
 */
#ifndef UTIL_THREAD_POOL_H
#define UTIL_THREAD_POOL_H

#include "util/osdep.h"
#include "util/aio.h"

typedef struct ThreadPool ThreadPool;
typedef int ThreadPoolFunc(void *opaque);
typedef void ThreadPoolCompletionFunc(void *opaque, int ret);

/* The most workers a pool runs at once. */
#define THREAD_POOL_MAX_WORKERS 64

/**
 * aio_get_thread_pool:
 * @ctx: the context
 *
 * Returns: @ctx's pool, created on the first call; owned by @ctx.
 * Context thread.
 */
ThreadPool *aio_get_thread_pool(AioContext *ctx);

/**
 * thread_pool_submit_aio:
 * @pool: the pool
 * @func: the blocking function, run in a worker thread
 * @arg: its argument
 * @cb: (nullable): called with @opaque and @func's return value in the
 *      context's thread once @func has returned
 * @opaque: passed to @cb
 *
 * Queues a job.  Jobs start in submission order; completions may come in
 * any order.  Context thread.
 */
void thread_pool_submit_aio(ThreadPool *pool, ThreadPoolFunc *func,
                            void *arg, ThreadPoolCompletionFunc *cb,
                            void *opaque);

/**
 * thread_pool_submit_co:
 * @pool: the pool of the coroutine's context
 * @func: the blocking function
 * @arg: its argument
 *
 * Runs @func in a worker and yields until it has returned.
 * Coroutine only.
 *
 * Returns: @func's return value.
 */
int coroutine_fn thread_pool_submit_co(ThreadPool *pool, ThreadPoolFunc *func,
                                       void *arg);

#endif /* UTIL_THREAD_POOL_H */
