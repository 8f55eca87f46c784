/*
 * Thread pool: blocking functions run in worker threads, completions come
 * back to the pool's AioContext through a BH.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "aio-int.h"
#include "coroutine-int.h"

#include <pthread.h>
#include <signal.h>

/* How long an idle worker waits for work before it exits. */
#define THREAD_POOL_IDLE_TIMEOUT_US (10 * G_USEC_PER_SEC)

typedef struct ThreadPoolElement {
    ThreadPoolFunc *func;
    void *arg;
    ThreadPoolCompletionFunc *cb;
    void *opaque;
    int ret;                    /* written by the worker, read by the BH */
} ThreadPoolElement;

struct ThreadPool {
    AioContext *ctx;
    QEMUBH *completion_bh;

    GMutex lock;                /* protects everything below */
    GCond request_cond;         /* work queued, or stopping */
    GCond worker_stopped;       /* a worker exited */
    GQueue requests;            /* queued ThreadPoolElements, FIFO */
    GQueue completed;           /* finished, waiting for the BH */
    int cur_threads;
    int idle_threads;
    bool stopping;
};

/* Waits for a request; returns NULL when the worker should exit. */
static ThreadPoolElement *thread_pool_next_request(ThreadPool *pool)
{
    gint64 deadline = g_get_monotonic_time() + THREAD_POOL_IDLE_TIMEOUT_US;

    while (g_queue_is_empty(&pool->requests) && !pool->stopping) {
        bool signalled;

        pool->idle_threads++;
        signalled = g_cond_wait_until(&pool->request_cond, &pool->lock,
                                      deadline);
        pool->idle_threads--;
        if (!signalled && g_queue_is_empty(&pool->requests)) {
            return NULL;
        }
    }
    return pool->stopping ? NULL : g_queue_pop_head(&pool->requests);
}

static gpointer thread_pool_worker(gpointer opaque)
{
    ThreadPool *pool = opaque;
    ThreadPoolElement *req;

    g_mutex_lock(&pool->lock);
    while ((req = thread_pool_next_request(pool)) != NULL) {
        g_mutex_unlock(&pool->lock);
        req->ret = req->func(req->arg);
        g_mutex_lock(&pool->lock);
        g_queue_push_tail(&pool->completed, req);
        qemu_bh_schedule(pool->completion_bh);
    }
    pool->cur_threads--;
    g_cond_signal(&pool->worker_stopped);
    g_mutex_unlock(&pool->lock);
    return NULL;
}

/*
 * Starts a worker thread with asynchronous signals blocked, so that they
 * go to the main thread and never interrupt a job's system calls.
 */
static GThread *thread_pool_start_worker(ThreadPool *pool)
{
    static const int sync_signals[] = {
        SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS,
    };
    sigset_t all, old;
    GThread *thread;

    sigfillset(&all);
    for (size_t i = 0; i < ARRAY_SIZE(sync_signals); i++) {
        sigdelset(&all, sync_signals[i]);
    }
    pthread_sigmask(SIG_SETMASK, &all, &old);
    thread = g_thread_try_new("tern-worker", thread_pool_worker, pool, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return thread;
}

/*
 * Starts a worker if more jobs are queued than idle workers can take (an
 * idle worker that was signalled but has not woken yet still counts as
 * idle, and takes one of the queued jobs) and there is room.  pool->lock.
 */
static void thread_pool_spawn_locked(ThreadPool *pool)
{
    GThread *thread;

    if (g_queue_get_length(&pool->requests) <= (guint)pool->idle_threads ||
        pool->cur_threads >= THREAD_POOL_MAX_WORKERS) {
        return;
    }
    thread = thread_pool_start_worker(pool);
    if (thread) {
        pool->cur_threads++;
        g_thread_unref(thread);
    } else if (pool->cur_threads == 0) {
        error_report("cannot start a thread pool worker");
        abort();
    }
    /* else the running workers take the job when they are done */
}

static void thread_pool_completion_bh(void *opaque)
{
    ThreadPool *pool = opaque;
    GQueue done = G_QUEUE_INIT;
    ThreadPoolElement *req;

    g_mutex_lock(&pool->lock);
    done = pool->completed;
    g_queue_init(&pool->completed);
    g_mutex_unlock(&pool->lock);

    while ((req = g_queue_pop_head(&done)) != NULL) {
        if (req->cb) {
            req->cb(req->opaque, req->ret);
        }
        g_free(req);
    }
}

ThreadPool *aio_get_thread_pool(AioContext *ctx)
{
    ThreadPool *pool = ctx->thread_pool;

    if (pool) {
        return pool;
    }
    pool = g_new0(ThreadPool, 1);
    pool->ctx = ctx;
    pool->completion_bh = aio_bh_new(ctx, thread_pool_completion_bh, pool);
    g_mutex_init(&pool->lock);
    g_cond_init(&pool->request_cond);
    g_cond_init(&pool->worker_stopped);
    g_queue_init(&pool->requests);
    g_queue_init(&pool->completed);
    ctx->thread_pool = pool;
    return pool;
}

void thread_pool_submit_aio(ThreadPool *pool, ThreadPoolFunc *func,
                            void *arg, ThreadPoolCompletionFunc *cb,
                            void *opaque)
{
    ThreadPoolElement *req = g_new0(ThreadPoolElement, 1);

    req->func = func;
    req->arg = arg;
    req->cb = cb;
    req->opaque = opaque;

    g_mutex_lock(&pool->lock);
    g_queue_push_tail(&pool->requests, req);
    thread_pool_spawn_locked(pool);
    g_cond_signal(&pool->request_cond);
    g_mutex_unlock(&pool->lock);
}

typedef struct ThreadPoolCo {
    Coroutine *co;
    int ret;
    bool done;
} ThreadPoolCo;

static void thread_pool_co_cb(void *opaque, int ret)
{
    ThreadPoolCo *tpc = opaque;

    tpc->ret = ret;
    tpc->done = true;
    aio_co_wake(tpc->co);
}

int coroutine_fn thread_pool_submit_co(ThreadPool *pool, ThreadPoolFunc *func,
                                       void *arg)
{
    ThreadPoolCo tpc = { .co = qemu_coroutine_self() };

    g_assert(qemu_in_coroutine());
    thread_pool_submit_aio(pool, func, arg, thread_pool_co_cb, &tpc);
    while (!tpc.done) {
        qemu_coroutine_yield();
    }
    return tpc.ret;
}

/*
 * Stops the workers (those running a job finish it first) and frees the
 * pool.  Queued jobs that no worker has started are dropped without their
 * callbacks, and so are completions not yet delivered.
 */
void thread_pool_free(ThreadPool *pool)
{
    if (!pool) {
        return;
    }
    g_mutex_lock(&pool->lock);
    pool->stopping = true;
    g_cond_broadcast(&pool->request_cond);
    while (pool->cur_threads > 0) {
        g_cond_wait(&pool->worker_stopped, &pool->lock);
    }
    g_queue_clear_full(&pool->requests, g_free);
    g_queue_clear_full(&pool->completed, g_free);
    g_mutex_unlock(&pool->lock);

    qemu_bh_delete(pool->completion_bh);
    g_cond_clear(&pool->request_cond);
    g_cond_clear(&pool->worker_stopped);
    g_mutex_clear(&pool->lock);
    g_free(pool);
}
