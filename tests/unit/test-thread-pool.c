/*
 * Unit tests of the thread pool: jobs run in workers, in parallel, and
 * complete in the context's thread with their return values.
 */
#include "util/osdep.h"
#include "util/coroutine.h"
#include "util/main-loop.h"
#include "util/thread-pool.h"
#include "tern-check.h"

#define WAIT_LIMIT_NS (10 * NANOSECONDS_PER_SECOND)

static AioContext *ctx;

static void setup(void)
{
    ck_assert(qemu_init_main_loop(NULL));
    ctx = qemu_get_aio_context();
}

static void nop_cb(void *opaque)
{
}

/* Polls @c until *@count reaches @target or the limit has passed. */
static bool poll_until_count(AioContext *c, int *count, int target)
{
    int64_t deadline = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + WAIT_LIMIT_NS;
    QEMUTimer *watchdog = aio_timer_new(c, QEMU_CLOCK_REALTIME, nop_cb, NULL);

    while (__atomic_load_n(count, __ATOMIC_ACQUIRE) < target &&
           qemu_clock_get_ns(QEMU_CLOCK_REALTIME) < deadline) {
        timer_mod(watchdog, deadline);
        aio_poll(c, true);
    }
    timer_free(watchdog);
    return __atomic_load_n(count, __ATOMIC_ACQUIRE) >= target;
}

/* Many jobs */

typedef struct Job {
    int input;
    int result;
    bool completed;
    GThread *ran_on;
    GThread *completed_on;
    int *done;
} Job;

static int job_func(void *opaque)
{
    Job *job = opaque;

    job->ran_on = g_thread_self();
    return job->input * 3 + 1;
}

static void job_cb(void *opaque, int ret)
{
    Job *job = opaque;

    ck_assert(!job->completed);
    job->completed = true;
    job->result = ret;
    job->completed_on = g_thread_self();
    (*job->done)++;
}

START_TEST(test_many_jobs)
{
    enum { N = 1000 };
    ThreadPool *pool = aio_get_thread_pool(ctx);
    Job *jobs = g_new0(Job, N);
    int done = 0;

    ck_assert_ptr_eq(aio_get_thread_pool(ctx), pool);
    for (int i = 0; i < N; i++) {
        jobs[i] = (Job) { .input = i, .done = &done };
        thread_pool_submit_aio(pool, job_func, &jobs[i], job_cb, &jobs[i]);
    }
    ck_assert(poll_until_count(ctx, &done, N));
    for (int i = 0; i < N; i++) {
        ck_assert(jobs[i].completed);
        ck_assert_int_eq(jobs[i].result, i * 3 + 1);
        ck_assert_ptr_ne(jobs[i].ran_on, g_thread_self());
        ck_assert_ptr_eq(jobs[i].completed_on, g_thread_self());
    }
    g_free(jobs);
}
END_TEST

/* Parallel workers */

typedef struct Rendezvous {
    GMutex lock;
    GCond cond;
    int arrived;
    int expected;
} Rendezvous;

/* Returns 1 if every job of the rendezvous was running at once. */
static int rendezvous_func(void *opaque)
{
    Rendezvous *r = opaque;
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    int ok;

    g_mutex_lock(&r->lock);
    r->arrived++;
    g_cond_broadcast(&r->cond);
    while (r->arrived < r->expected &&
           g_cond_wait_until(&r->cond, &r->lock, deadline)) {
        continue;
    }
    ok = r->arrived >= r->expected;
    g_mutex_unlock(&r->lock);
    return ok;
}

static void sum_cb(void *opaque, int ret)
{
    int *sums = opaque;

    sums[0] += ret;
    sums[1]++;
}

START_TEST(test_parallel)
{
    enum { N = 16 };
    Rendezvous r = { .expected = N };
    int sums[2] = { 0, 0 };
    ThreadPool *pool = aio_get_thread_pool(ctx);

    g_mutex_init(&r.lock);
    g_cond_init(&r.cond);
    for (int i = 0; i < N; i++) {
        thread_pool_submit_aio(pool, rendezvous_func, &r, sum_cb, sums);
    }
    ck_assert(poll_until_count(ctx, &sums[1], N));
    /* all N blocking jobs met: they ran in N workers at once */
    ck_assert_int_eq(sums[0], N);
    g_mutex_clear(&r.lock);
    g_cond_clear(&r.cond);
}
END_TEST

static int count_func(void *opaque)
{
    __atomic_fetch_add((int *)opaque, 1, __ATOMIC_SEQ_CST);
    return 0;
}

START_TEST(test_no_callback)
{
    int ran = 0, done = 0;
    ThreadPool *pool = aio_get_thread_pool(ctx);

    thread_pool_submit_aio(pool, count_func, &ran, NULL, NULL);
    thread_pool_submit_aio(pool, count_func, &ran, sum_cb,
                           (int[2]) { 0, 0 });
    thread_pool_submit_aio(pool, job_func, &(Job) { .input = 1 },
                           job_cb, &(Job) { .done = &done });
    ck_assert(poll_until_count(ctx, &done, 1));
    ck_assert(poll_until_count(ctx, &ran, 2));
}
END_TEST

START_TEST(test_free_with_context)
{
    AioContext *own = aio_context_new(NULL);
    ThreadPool *pool = aio_get_thread_pool(own);
    Job jobs[4];
    int done = 0;

    for (int i = 0; i < 4; i++) {
        jobs[i] = (Job) { .input = i, .done = &done };
        thread_pool_submit_aio(pool, job_func, &jobs[i], job_cb, &jobs[i]);
    }
    ck_assert(poll_until_count(own, &done, 4));
    ck_assert_int_eq(jobs[3].result, 10);
    /* the pool and its idle workers go with the context */
    aio_context_unref(own);
}
END_TEST

/* Coroutine submission */

typedef struct CoJob {
    int input;
    int result;
    int *done;
} CoJob;

static int square_func(void *opaque)
{
    CoJob *job = opaque;

    return job->input * job->input;
}

static void coroutine_fn co_submitter(void *opaque)
{
    CoJob *job = opaque;
    ThreadPool *pool = aio_get_thread_pool(qemu_get_current_aio_context());

    job->result = thread_pool_submit_co(pool, square_func, job);
    (*job->done)++;
}

START_TEST(test_submit_co)
{
    enum { N = 32 };
    CoJob jobs[N];
    int done = 0;

    for (int i = 0; i < N; i++) {
        jobs[i] = (CoJob) { .input = i, .done = &done };
        qemu_coroutine_enter(qemu_coroutine_create(co_submitter, &jobs[i]));
    }
    ck_assert_int_lt(done, N);
    ck_assert(poll_until_count(ctx, &done, N));
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(jobs[i].result, i * i);
    }
}
END_TEST

static Suite *thread_pool_suite(void)
{
    Suite *s = suite_create("thread-pool");
    TCase *tc;

    tc = tcase_create("aio");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_many_jobs);
    tcase_add_test(tc, test_parallel);
    tcase_add_test(tc, test_no_callback);
    tcase_add_test(tc, test_free_with_context);
    suite_add_tcase(s, tc);

    tc = tcase_create("coroutine");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_submit_co);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(thread_pool_suite)
