/*
 * Unit tests of coroutines: enter/yield/terminate, nesting, the stack pool
 * and its guard page, CoMutex, CoQueue, sleeping and cross-thread wake-up.
 */
#include "util/osdep.h"
#include "util/coroutine.h"
#include "util/main-loop.h"
#include "tern-check.h"

#include <signal.h>
#include <sys/wait.h>

#define WAIT_LIMIT_NS (5 * NANOSECONDS_PER_SECOND)

static AioContext *ctx;

static void setup(void)
{
    ck_assert(qemu_init_main_loop(NULL));
    ctx = qemu_get_aio_context();
}

static void nop_cb(void *opaque)
{
}

/* Polls @c (blocking) until *@flag is true or the limit has passed. */
static bool poll_until(AioContext *c, bool *flag)
{
    int64_t deadline = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + WAIT_LIMIT_NS;
    QEMUTimer *watchdog = aio_timer_new(c, QEMU_CLOCK_REALTIME, nop_cb, NULL);

    while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE) &&
           qemu_clock_get_ns(QEMU_CLOCK_REALTIME) < deadline) {
        timer_mod(watchdog, deadline);
        aio_poll(c, true);
    }
    timer_free(watchdog);
    return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

/* Enter, yield, terminate */

typedef struct YieldState {
    int steps;
    Coroutine *self;
    bool in_coroutine;
} YieldState;

static void coroutine_fn yield_three(void *opaque)
{
    YieldState *ys = opaque;

    ys->self = qemu_coroutine_self();
    ys->in_coroutine = qemu_in_coroutine();
    ck_assert(qemu_coroutine_entered(ys->self));
    for (int i = 0; i < 3; i++) {
        ys->steps++;
        qemu_coroutine_yield();
    }
    ys->steps++;
}

START_TEST(test_enter_yield)
{
    YieldState ys = { 0 };
    Coroutine *co = qemu_coroutine_create(yield_three, &ys);

    ck_assert(!qemu_in_coroutine());
    ck_assert(!qemu_coroutine_entered(co));
    ck_assert_ptr_ne(qemu_coroutine_self(), co);
    for (int i = 1; i <= 3; i++) {
        qemu_coroutine_enter(co);
        ck_assert_int_eq(ys.steps, i);
        ck_assert(!qemu_coroutine_entered(co));
    }
    ck_assert_ptr_eq(ys.self, co);
    ck_assert(ys.in_coroutine);
    qemu_coroutine_enter(co);       /* terminates */
    ck_assert_int_eq(ys.steps, 4);
    ck_assert(!qemu_in_coroutine());
}
END_TEST

typedef struct NestState {
    char trace[16];
    int len;
    Coroutine *inner;
} NestState;

static void coroutine_fn nest_inner(void *opaque)
{
    NestState *ns = opaque;

    ns->trace[ns->len++] = 'b';
    qemu_coroutine_yield();
    ns->trace[ns->len++] = 'd';
}

static void coroutine_fn nest_outer(void *opaque)
{
    NestState *ns = opaque;

    ns->trace[ns->len++] = 'a';
    ns->inner = qemu_coroutine_create(nest_inner, ns);
    qemu_coroutine_enter(ns->inner);
    ns->trace[ns->len++] = 'c';
    /* the outer coroutine is entered, the inner one has yielded */
    ck_assert(qemu_coroutine_entered(qemu_coroutine_self()));
    ck_assert(!qemu_coroutine_entered(ns->inner));
    qemu_coroutine_enter_if_inactive(ns->inner);
    ns->trace[ns->len++] = 'e';
}

START_TEST(test_nested)
{
    NestState ns = { .len = 0 };

    qemu_coroutine_enter(qemu_coroutine_create(nest_outer, &ns));
    ns.trace[ns.len] = 0;
    ck_assert_str_eq(ns.trace, "abcde");
}
END_TEST

static void coroutine_fn enter_self(void *opaque)
{
    qemu_coroutine_enter(qemu_coroutine_self());
}

START_TEST(test_reenter_aborts)
{
    qemu_coroutine_enter(qemu_coroutine_create(enter_self, NULL));
}
END_TEST

START_TEST(test_yield_outside_aborts)
{
    qemu_coroutine_yield();
}
END_TEST

/* The stack pool */

static void coroutine_fn record_stack(void *opaque)
{
    int local = 0;

    *(uintptr_t *)opaque = (uintptr_t)&local;
}

START_TEST(test_pool_reuse)
{
    uintptr_t stack1 = 0, stack2 = 0;
    Coroutine *co1 = qemu_coroutine_create(record_stack, &stack1);
    Coroutine *co2;

    qemu_coroutine_enter(co1);
    co2 = qemu_coroutine_create(record_stack, &stack2);
    /* a finished coroutine comes back with its stack */
    ck_assert_ptr_eq(co1, co2);
    qemu_coroutine_enter(co2);
    ck_assert(stack1 != 0);
    ck_assert(stack1 == stack2);
}
END_TEST

static void coroutine_fn yield_once(void *opaque)
{
    (*(int *)opaque)++;
    qemu_coroutine_yield();
    (*(int *)opaque)++;
}

START_TEST(test_many)
{
    enum { N = 200 };
    Coroutine *cos[N];
    int count = 0;

    /* more live coroutines than the pool keeps */
    for (int i = 0; i < N; i++) {
        cos[i] = qemu_coroutine_create(yield_once, &count);
        qemu_coroutine_enter(cos[i]);
    }
    ck_assert_int_eq(count, N);
    for (int i = 0; i < N; i++) {
        qemu_coroutine_enter(cos[i]);
    }
    ck_assert_int_eq(count, 2 * N);
}
END_TEST

static int __attribute__((noinline)) recurse(int depth)
{
    volatile char buf[4096];

    buf[0] = (char)depth;
    buf[sizeof(buf) - 1] = (char)depth;
    if (depth == 0) {
        return buf[0];
    }
    return recurse(depth - 1) + buf[sizeof(buf) - 1];
}

static void coroutine_fn overflow(void *opaque)
{
    /* 16 MiB of frames on a 1 MiB stack */
    *(int *)opaque = recurse(4096);
}

START_TEST(test_guard_page)
{
    int status = 0;
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int result = 0;

        signal(SIGSEGV, SIG_DFL);
        qemu_coroutine_enter(qemu_coroutine_create(overflow, &result));
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
                  "child status 0x%x, expected death by SIGSEGV", status);
}
END_TEST

/* CoMutex */

typedef struct MutexState {
    CoMutex lock;
    int inside;
    int order[8];
    int n;
} MutexState;

typedef struct MutexWorker {
    MutexState *ms;
    int id;
    Coroutine *co;
} MutexWorker;

static void coroutine_fn mutex_worker(void *opaque)
{
    MutexWorker *w = opaque;
    MutexState *ms = w->ms;

    qemu_co_mutex_lock(&ms->lock);
    ck_assert_int_eq(ms->inside, 0);
    ms->inside++;
    ms->order[ms->n++] = w->id;
    qemu_coroutine_yield();         /* hold the lock across a yield */
    ms->inside--;
    qemu_co_mutex_unlock(&ms->lock);
}

START_TEST(test_co_mutex)
{
    enum { N = 5 };
    MutexState ms = { .n = 0 };
    MutexWorker w[N];

    qemu_co_mutex_init(&ms.lock);
    for (int i = 0; i < N; i++) {
        w[i] = (MutexWorker) { .ms = &ms, .id = i };
        w[i].co = qemu_coroutine_create(mutex_worker, &w[i]);
        qemu_coroutine_enter(w[i].co);
    }
    /* 0 holds the lock; 1..4 wait */
    ck_assert_int_eq(ms.n, 1);
    for (int i = 0; i < N; i++) {
        /* the holder unlocks and ends; the next waiter takes over */
        qemu_coroutine_enter(w[i].co);
        ck_assert_int_eq(ms.n, i + 1 < N ? i + 2 : N);
    }
    ck_assert_int_eq(ms.inside, 0);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(ms.order[i], i);
    }
}
END_TEST

static void coroutine_fn unlock_unheld(void *opaque)
{
    qemu_co_mutex_unlock(opaque);
}

START_TEST(test_co_mutex_unheld_aborts)
{
    CoMutex m = CO_MUTEX_INITIALIZER;

    qemu_coroutine_enter(qemu_coroutine_create(unlock_unheld, &m));
}
END_TEST

/* CoQueue */

typedef struct QueueState {
    CoQueue queue;
    CoMutex lock;
    int woken[8];
    int n;
    bool use_lock;
} QueueState;

typedef struct QueueWaiter {
    QueueState *qs;
    int id;
} QueueWaiter;

static void coroutine_fn queue_waiter(void *opaque)
{
    QueueWaiter *w = opaque;
    QueueState *qs = w->qs;

    if (qs->use_lock) {
        qemu_co_mutex_lock(&qs->lock);
    }
    qemu_co_queue_wait(&qs->queue, qs->use_lock ? &qs->lock : NULL);
    qs->woken[qs->n++] = w->id;
    if (qs->use_lock) {
        qemu_co_mutex_unlock(&qs->lock);
    }
}

static void start_waiters(QueueState *qs, QueueWaiter *w, int n)
{
    for (int i = 0; i < n; i++) {
        w[i] = (QueueWaiter) { .qs = qs, .id = i };
        qemu_coroutine_enter(qemu_coroutine_create(queue_waiter, &w[i]));
    }
}

START_TEST(test_co_queue_next)
{
    QueueState qs = { .n = 0 };
    QueueWaiter w[3];

    qemu_co_queue_init(&qs.queue);
    ck_assert(qemu_co_queue_empty(&qs.queue));
    ck_assert(!qemu_co_queue_next(&qs.queue));
    start_waiters(&qs, w, 3);
    ck_assert(!qemu_co_queue_empty(&qs.queue));
    ck_assert_int_eq(qs.n, 0);
    for (int i = 0; i < 3; i++) {
        ck_assert(qemu_co_queue_next(&qs.queue));
        ck_assert_int_eq(qs.n, i + 1);
        ck_assert_int_eq(qs.woken[i], i);
    }
    ck_assert(qemu_co_queue_empty(&qs.queue));
    ck_assert(!qemu_co_queue_next(&qs.queue));
}
END_TEST

START_TEST(test_co_queue_restart_all)
{
    QueueState qs = { .n = 0, .use_lock = true };
    QueueWaiter w[4];

    qemu_co_queue_init(&qs.queue);
    qemu_co_mutex_init(&qs.lock);
    start_waiters(&qs, w, 4);
    ck_assert_int_eq(qs.n, 0);
    qemu_co_queue_restart_all(&qs.queue);
    /* each retakes the lock in turn, in FIFO order */
    ck_assert_int_eq(qs.n, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(qs.woken[i], i);
    }
    ck_assert(qemu_co_queue_empty(&qs.queue));
    ck_assert_ptr_null(qs.lock.holder);
}
END_TEST

/* Waking from a coroutine: the woken one runs after the waker yields */

typedef struct WakeOrder {
    char trace[8];
    int len;
    Coroutine *sleeper;
} WakeOrder;

static void coroutine_fn wake_sleeper(void *opaque)
{
    WakeOrder *wo = opaque;

    qemu_coroutine_yield();
    wo->trace[wo->len++] = 'S';
}

static void coroutine_fn wake_waker(void *opaque)
{
    WakeOrder *wo = opaque;

    aio_co_wake(wo->sleeper);
    wo->trace[wo->len++] = 'W';
}

START_TEST(test_wake_after_yield)
{
    WakeOrder wo = { .len = 0 };

    wo.sleeper = qemu_coroutine_create(wake_sleeper, &wo);
    qemu_coroutine_enter(wo.sleeper);
    qemu_coroutine_enter(qemu_coroutine_create(wake_waker, &wo));
    wo.trace[wo.len] = 0;
    ck_assert_str_eq(wo.trace, "WS");
}
END_TEST

/* Sleeping, scheduling, waking from another thread */

typedef struct SleepState {
    int64_t ns;
    int64_t slept;
    bool done;
} SleepState;

static void coroutine_fn sleeper(void *opaque)
{
    SleepState *ss = opaque;
    int64_t start = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);

    qemu_co_sleep_ns(QEMU_CLOCK_REALTIME, ss->ns);
    ss->slept = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) - start;
    __atomic_store_n(&ss->done, true, __ATOMIC_RELEASE);
}

START_TEST(test_co_sleep)
{
    SleepState ss = { .ns = 20 * SCALE_MS };

    qemu_coroutine_enter(qemu_coroutine_create(sleeper, &ss));
    ck_assert(!ss.done);
    ck_assert(poll_until(ctx, &ss.done));
    ck_assert_int_ge(ss.slept, ss.ns);
}
END_TEST

typedef struct CrossWake {
    Coroutine *co;
    AioContext *ran_in;
    bool done;
} CrossWake;

static void coroutine_fn cross_waiter(void *opaque)
{
    CrossWake *cw = opaque;

    qemu_coroutine_yield();
    cw->ran_in = qemu_get_current_aio_context();
    __atomic_store_n(&cw->done, true, __ATOMIC_RELEASE);
}

static gpointer wake_thread(gpointer opaque)
{
    CrossWake *cw = opaque;

    aio_co_wake(cw->co);
    return NULL;
}

START_TEST(test_co_wake_other_thread)
{
    CrossWake cw = { .done = false };
    GThread *thread;

    cw.co = qemu_coroutine_create(cross_waiter, &cw);
    qemu_coroutine_enter(cw.co);
    thread = g_thread_new("waker", wake_thread, &cw);
    ck_assert(poll_until(ctx, &cw.done));
    ck_assert_ptr_eq(cw.ran_in, ctx);
    g_thread_join(thread);
}
END_TEST

START_TEST(test_co_schedule)
{
    CrossWake cw = { .done = false };
    AioContext *other = aio_context_new(NULL);

    cw.co = qemu_coroutine_create(cross_waiter, &cw);
    qemu_coroutine_enter(cw.co);
    aio_co_schedule(other, cw.co);
    ck_assert(!aio_poll(ctx, false));
    ck_assert(!cw.done);
    /* runs in the context it was scheduled in */
    ck_assert(poll_until(other, &cw.done));
    ck_assert_ptr_eq(cw.ran_in, other);
    aio_context_unref(other);
}
END_TEST

START_TEST(test_co_schedule_twice_aborts)
{
    CrossWake cw = { .done = false };

    cw.co = qemu_coroutine_create(cross_waiter, &cw);
    qemu_coroutine_enter(cw.co);
    aio_co_schedule(ctx, cw.co);
    aio_co_schedule(ctx, cw.co);
}
END_TEST

static Suite *coroutine_suite(void)
{
    Suite *s = suite_create("coroutine");
    TCase *tc;

    tc = tcase_create("basic");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_enter_yield);
    tcase_add_test(tc, test_nested);
    tcase_add_test_raise_signal(tc, test_reenter_aborts, SIGABRT);
    tcase_add_test_raise_signal(tc, test_yield_outside_aborts, SIGABRT);
    suite_add_tcase(s, tc);

    tc = tcase_create("stack");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_pool_reuse);
    tcase_add_test(tc, test_many);
    tcase_add_test(tc, test_guard_page);
    suite_add_tcase(s, tc);

    tc = tcase_create("co-mutex");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_co_mutex);
    tcase_add_test_raise_signal(tc, test_co_mutex_unheld_aborts, SIGABRT);
    suite_add_tcase(s, tc);

    tc = tcase_create("co-queue");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_co_queue_next);
    tcase_add_test(tc, test_co_queue_restart_all);
    tcase_add_test(tc, test_wake_after_yield);
    suite_add_tcase(s, tc);

    tc = tcase_create("wake");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_co_sleep);
    tcase_add_test(tc, test_co_wake_other_thread);
    tcase_add_test(tc, test_co_schedule);
    tcase_add_test_raise_signal(tc, test_co_schedule_twice_aborts, SIGABRT);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(coroutine_suite)
