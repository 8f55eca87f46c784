/*
 * Unit tests of the AioContext: bottom halves, timers, fd handlers,
 * aio_notify(), the main loop and the manual virtual clock.
 */
#include "util/osdep.h"
#include "util/aio.h"
#include "util/event-notifier.h"
#include "util/main-loop.h"
#include "tern-check.h"

/* Every wait in these tests gives up after this long. */
#define WAIT_LIMIT_NS (5 * NANOSECONDS_PER_SECOND)

static AioContext *ctx;

static void setup(void)
{
    ctx = aio_context_new(NULL);
    ck_assert_ptr_nonnull(ctx);
}

static void teardown(void)
{
    aio_context_unref(ctx);
    ctx = NULL;
}

static void nop_cb(void *opaque)
{
}

/* Polls @ctx (blocking) until *@flag is true or the limit has passed. */
static bool poll_until(AioContext *c, bool *flag)
{
    int64_t deadline = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + WAIT_LIMIT_NS;
    QEMUTimer *watchdog = aio_timer_new(c, QEMU_CLOCK_REALTIME, nop_cb, NULL);

    /* a watchdog timer bounds every blocking poll */
    while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE) &&
           qemu_clock_get_ns(QEMU_CLOCK_REALTIME) < deadline) {
        timer_mod(watchdog, deadline);
        aio_poll(c, true);
    }
    timer_free(watchdog);
    return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

/* Bottom halves */

typedef struct BHRecord {
    int order[8];
    int count;
} BHRecord;

typedef struct BHItem {
    BHRecord *rec;
    int id;
    QEMUBH *bh;
} BHItem;

static void record_bh(void *opaque)
{
    BHItem *item = opaque;

    item->rec->order[item->rec->count++] = item->id;
}

START_TEST(test_bh_order)
{
    BHRecord rec = { .count = 0 };
    BHItem items[4];
    static const int sched[] = { 2, 0, 3, 1 };

    for (int i = 0; i < 4; i++) {
        items[i] = (BHItem) { .rec = &rec, .id = i };
        items[i].bh = aio_bh_new(ctx, record_bh, &items[i]);
    }
    for (int i = 0; i < 4; i++) {
        qemu_bh_schedule(items[sched[i]].bh);
    }
    /* scheduling twice does not run twice */
    qemu_bh_schedule(items[2].bh);
    ck_assert(aio_poll(ctx, false));
    ck_assert_int_eq(rec.count, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(rec.order[i], sched[i]);
    }
    ck_assert(!aio_poll(ctx, false));
    for (int i = 0; i < 4; i++) {
        qemu_bh_delete(items[i].bh);
    }
}
END_TEST

static void reschedule_bh(void *opaque)
{
    BHItem *item = opaque;

    item->rec->count++;
    if (item->rec->count < 3) {
        qemu_bh_schedule(item->bh);
    }
}

START_TEST(test_bh_reschedule)
{
    BHRecord rec = { .count = 0 };
    BHItem item = { .rec = &rec };

    item.bh = aio_bh_new(ctx, reschedule_bh, &item);
    qemu_bh_schedule(item.bh);
    /* a BH scheduled by a BH waits for the next iteration */
    for (int i = 1; i <= 3; i++) {
        ck_assert(aio_poll(ctx, false));
        ck_assert_int_eq(rec.count, i);
    }
    ck_assert(!aio_poll(ctx, false));
    qemu_bh_delete(item.bh);
}
END_TEST

static void set_flag(void *opaque)
{
    __atomic_store_n((bool *)opaque, true, __ATOMIC_RELEASE);
}

static gpointer schedule_thread(gpointer opaque)
{
    qemu_bh_schedule(opaque);
    return NULL;
}

START_TEST(test_bh_other_thread)
{
    bool ran = false;
    QEMUBH *bh = aio_bh_new(ctx, set_flag, &ran);
    GThread *thread = g_thread_new("sched", schedule_thread, bh);

    ck_assert(poll_until(ctx, &ran));
    g_thread_join(thread);
    qemu_bh_delete(bh);
}
END_TEST

static void count_cb(void *opaque)
{
    (*(int *)opaque)++;
}

START_TEST(test_bh_oneshot)
{
    int count = 0;

    aio_bh_schedule_oneshot(ctx, count_cb, &count);
    aio_bh_schedule_oneshot(ctx, count_cb, &count);
    ck_assert(aio_poll(ctx, false));
    ck_assert_int_eq(count, 2);
    ck_assert(!aio_poll(ctx, false));
    ck_assert_int_eq(count, 2);
    /* a oneshot still queued when the context dies is freed with it */
    aio_bh_schedule_oneshot(ctx, count_cb, &count);
}
END_TEST

static void delete_self_bh(void *opaque)
{
    BHItem *item = opaque;

    item->rec->count++;
    qemu_bh_delete(item->bh);
}

START_TEST(test_bh_cancel_delete)
{
    int count = 0;
    BHRecord rec = { .count = 0 };
    BHItem item = { .rec = &rec };
    QEMUBH *bh = aio_bh_new(ctx, count_cb, &count);

    qemu_bh_schedule(bh);
    qemu_bh_cancel(bh);
    ck_assert(!aio_poll(ctx, false));
    ck_assert_int_eq(count, 0);
    qemu_bh_cancel(bh);             /* not scheduled: no-op */
    qemu_bh_schedule(bh);
    qemu_bh_delete(bh);             /* scheduled: cancelled and freed */
    ck_assert(!aio_poll(ctx, false));
    ck_assert_int_eq(count, 0);

    item.bh = aio_bh_new(ctx, delete_self_bh, &item);
    qemu_bh_schedule(item.bh);
    ck_assert(aio_poll(ctx, false));
    ck_assert_int_eq(rec.count, 1);
    qemu_bh_delete(NULL);
}
END_TEST

/* Timers */

typedef struct TimerItem {
    BHRecord *rec;
    int id;
    QEMUTimer *timer;
} TimerItem;

static void record_timer(void *opaque)
{
    TimerItem *item = opaque;

    item->rec->order[item->rec->count++] = item->id;
}

START_TEST(test_timer_order)
{
    BHRecord rec = { .count = 0 };
    TimerItem items[4];
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    /* deadlines (ms after now) in arming order; item 3 is removed */
    static const int ms[] = { 30, 10, 20, 5 };
    bool done = false;
    QEMUTimer *last;

    for (int i = 0; i < 4; i++) {
        items[i] = (TimerItem) { .rec = &rec, .id = i };
        items[i].timer = aio_timer_new(ctx, QEMU_CLOCK_REALTIME,
                                       record_timer, &items[i]);
        timer_mod(items[i].timer, now + ms[i] * SCALE_MS);
        ck_assert(timer_pending(items[i].timer));
    }
    timer_del(items[3].timer);
    ck_assert(!timer_pending(items[3].timer));
    timer_del(items[3].timer);      /* not armed: no-op */
    last = aio_timer_new(ctx, QEMU_CLOCK_REALTIME, set_flag, &done);
    timer_mod(last, now + 40 * SCALE_MS);

    ck_assert(poll_until(ctx, &done));
    ck_assert_int_ge(qemu_clock_get_ns(QEMU_CLOCK_REALTIME),
                     now + 40 * SCALE_MS);
    ck_assert_int_eq(rec.count, 3);
    ck_assert_int_eq(rec.order[0], 1);
    ck_assert_int_eq(rec.order[1], 2);
    ck_assert_int_eq(rec.order[2], 0);
    for (int i = 0; i < 4; i++) {
        ck_assert(!timer_pending(items[i].timer));
        timer_free(items[i].timer);
    }
    timer_free(last);
}
END_TEST

START_TEST(test_timer_mod_moves)
{
    int count = 0;
    QEMUTimer *t = aio_timer_new(ctx, QEMU_CLOCK_HOST, count_cb, &count);
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_HOST);

    timer_mod(t, now + 3600 * NANOSECONDS_PER_SECOND);
    ck_assert(!aio_poll(ctx, false));
    /* re-arming an armed timer moves it: it fires once, now */
    timer_mod(t, now - 1);
    ck_assert_int_eq(timer_expire_time_ns(t), now - 1);
    ck_assert(aio_poll(ctx, true));
    ck_assert_int_eq(count, 1);
    ck_assert(!timer_pending(t));
    ck_assert_int_eq(timer_expire_time_ns(t), -1);
    timer_free(t);
    timer_free(NULL);
}
END_TEST

START_TEST(test_clocks)
{
    int64_t a = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    int64_t b = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    int64_t host = qemu_clock_get_ns(QEMU_CLOCK_HOST);

    ck_assert_int_ge(b, a);
    /* the host clock is wall-clock time */
    ck_assert_int_lt(llabs(host / SCALE_US - g_get_real_time()),
                     10 * G_USEC_PER_SEC);
    ck_assert(!qemu_clock_virtual_is_manual());
    ck_assert_int_ge(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), b);
}
END_TEST

/* fd handlers */

typedef struct PipeState {
    int fds[2];
    int reads;
    int writes;
    char buf[16];
    size_t len;
    bool stop_reading;
} PipeState;

static void pipe_read(void *opaque)
{
    PipeState *ps = opaque;
    ssize_t n = read(ps->fds[0], ps->buf + ps->len,
                     sizeof(ps->buf) - ps->len);

    ck_assert_int_gt(n, 0);
    ps->len += n;
    ps->reads++;
    if (ps->stop_reading) {
        aio_set_fd_handler(ctx, ps->fds[0], NULL, NULL, NULL);
    }
}

static void pipe_write(void *opaque)
{
    PipeState *ps = opaque;

    ck_assert_int_eq(write(ps->fds[1], "x", 1), 1);
    ps->writes++;
    /* one byte is enough: stop asking */
    aio_set_fd_handler(ctx, ps->fds[1], NULL, NULL, NULL);
}

static void pipe_open(PipeState *ps)
{
    memset(ps, 0, sizeof(*ps));
    ck_assert_int_eq(pipe2(ps->fds, O_NONBLOCK | O_CLOEXEC), 0);
}

static void pipe_close(PipeState *ps)
{
    close(ps->fds[0]);
    close(ps->fds[1]);
}

START_TEST(test_fd_read)
{
    PipeState ps;

    pipe_open(&ps);
    aio_set_fd_handler(ctx, ps.fds[0], pipe_read, NULL, &ps);
    ck_assert(!aio_poll(ctx, false));
    ck_assert_int_eq(write(ps.fds[1], "abc", 3), 3);
    ck_assert(aio_poll(ctx, true));
    ck_assert_int_eq(ps.reads, 1);
    ck_assert_int_eq(ps.len, 3);
    ck_assert_mem_eq(ps.buf, "abc", 3);
    ck_assert(!aio_poll(ctx, false));

    /* a handler may remove itself */
    ps.stop_reading = true;
    ck_assert_int_eq(write(ps.fds[1], "d", 1), 1);
    ck_assert(aio_poll(ctx, true));
    ck_assert_int_eq(write(ps.fds[1], "e", 1), 1);
    ck_assert(!aio_poll(ctx, false));
    ck_assert_int_eq(ps.reads, 2);
    pipe_close(&ps);
}
END_TEST

START_TEST(test_fd_write)
{
    PipeState ps;

    pipe_open(&ps);
    aio_set_fd_handler(ctx, ps.fds[1], NULL, pipe_write, &ps);
    ck_assert(aio_poll(ctx, true));
    ck_assert_int_eq(ps.writes, 1);
    ck_assert(!aio_poll(ctx, false));

    /* level-triggered: the byte stays readable until it is read */
    aio_set_fd_handler(ctx, ps.fds[0], pipe_read, NULL, &ps);
    aio_set_fd_handler(ctx, ps.fds[0], NULL, NULL, NULL);
    aio_set_fd_handler(ctx, ps.fds[0], pipe_read, NULL, &ps);
    ck_assert(aio_poll(ctx, true));
    ck_assert_int_eq(ps.reads, 1);
    ck_assert_int_eq(ps.buf[0], 'x');
    aio_set_fd_handler(ctx, ps.fds[0], NULL, NULL, NULL);
    pipe_close(&ps);
}
END_TEST

/* aio_notify */

typedef struct NotifyState {
    AioContext *ctx;
    pid_t tid;          /* the thread that polls */
} NotifyState;

/* Whether thread @tid is asleep (state S in /proc). */
static bool thread_sleeping(pid_t tid)
{
    g_autofree char *path = g_strdup_printf("/proc/self/task/%d/stat",
                                            (int)tid);
    g_autofree char *stat = NULL;
    char *end;

    if (!g_file_get_contents(path, &stat, NULL, NULL)) {
        return false;
    }
    end = strrchr(stat, ')');
    return end && end[1] == ' ' && end[2] == 'S';
}

static gpointer notify_thread(gpointer opaque)
{
    NotifyState *ns = opaque;
    int64_t deadline = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + WAIT_LIMIT_NS;

    /* wait (bounded) until the polling thread blocks in poll() */
    while (!thread_sleeping(ns->tid) &&
           qemu_clock_get_ns(QEMU_CLOCK_REALTIME) < deadline) {
        g_thread_yield();
    }
    aio_notify(ns->ctx);
    return NULL;
}

START_TEST(test_notify_wakes_poll)
{
    NotifyState ns = { .ctx = ctx, .tid = gettid() };
    GThread *thread;
    int64_t start;

    /* a notification without a poll only makes the next poll return */
    aio_notify(ctx);
    aio_notify(ctx);
    ck_assert(!aio_poll(ctx, true));

    thread = g_thread_new("notify", notify_thread, &ns);
    start = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    /* nothing else can wake this poll: no timer, BH or fd is pending */
    ck_assert(!aio_poll(ctx, true));
    ck_assert_int_lt(qemu_clock_get_ns(QEMU_CLOCK_REALTIME) - start,
                     WAIT_LIMIT_NS);
    g_thread_join(thread);
}
END_TEST

/* Many cross-thread schedules while the loop keeps accepting wake-ups */
#define NOTIFY_STRESS_ROUNDS 200000

typedef struct StressState {
    QEMUBH *bh;
    pid_t tid;
    bool done;
    bool last_ran;
} StressState;

static gpointer stress_thread(gpointer opaque)
{
    StressState *st = opaque;

    for (int i = 0; i < NOTIFY_STRESS_ROUNDS; i++) {
        qemu_bh_schedule(st->bh);
    }
    __atomic_store_n(&st->done, true, __ATOMIC_RELEASE);
    return NULL;
}

static gpointer late_schedule_thread(gpointer opaque)
{
    StressState *st = opaque;
    int64_t deadline = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + WAIT_LIMIT_NS;

    while (!thread_sleeping(st->tid) &&
           qemu_clock_get_ns(QEMU_CLOCK_REALTIME) < deadline) {
        g_thread_yield();
    }
    qemu_bh_schedule(st->bh);
    return NULL;
}

/*
 * A wake-up racing with the loop's own acceptance of an earlier one must
 * not be lost for good: after a storm of cross-thread schedules, a BH
 * scheduled while the loop sleeps still wakes it (a lost wake-up used to
 * leave the loop asleep through every later completion from a thread).
 */
START_TEST(test_notify_never_lost)
{
    int runs = 0;
    StressState st = { .tid = gettid() };
    GThread *thread;

    st.bh = aio_bh_new(ctx, count_cb, &runs);
    thread = g_thread_new("stress", stress_thread, &st);
    while (!__atomic_load_n(&st.done, __ATOMIC_ACQUIRE)) {
        aio_poll(ctx, false);
    }
    g_thread_join(thread);
    while (aio_poll(ctx, false)) {
        /* drain what the storm left */
    }
    ck_assert_int_gt(runs, 0);

    runs = 0;
    thread = g_thread_new("late", late_schedule_thread, &st);
    /* only the late BH can end this poll */
    while (!runs) {
        aio_poll(ctx, true);
    }
    g_thread_join(thread);
    qemu_bh_delete(st.bh);
}
END_TEST

START_TEST(test_event_notifier)
{
    EventNotifier e;

    ck_assert_int_eq(event_notifier_init(&e, true), 0);
    ck_assert_int_ge(event_notifier_get_fd(&e), 0);
    ck_assert(event_notifier_test_and_clear(&e));
    ck_assert(!event_notifier_test_and_clear(&e));
    ck_assert_int_eq(event_notifier_set(&e), 0);
    ck_assert_int_eq(event_notifier_set(&e), 0);
    ck_assert(event_notifier_test_and_clear(&e));
    ck_assert(!event_notifier_test_and_clear(&e));
    event_notifier_cleanup(&e);
    ck_assert_int_eq(event_notifier_get_fd(&e), -1);
    event_notifier_cleanup(&e);
}
END_TEST

/* The main loop */

static gboolean idle_cb(gpointer opaque)
{
    (*(int *)opaque)++;
    return G_SOURCE_REMOVE;
}

START_TEST(test_main_loop)
{
    int bh_count = 0, idle_count = 0;
    GError *err = NULL;
    AioContext *main_ctx;

    ck_assert(qemu_init_main_loop(&err));
    ck_assert(qemu_init_main_loop(&err));
    main_ctx = qemu_get_aio_context();
    ck_assert_ptr_nonnull(main_ctx);
    ck_assert(qemu_in_main_thread());
    GLOBAL_STATE_CODE();
    ck_assert_ptr_eq(qemu_get_current_aio_context(), main_ctx);

    aio_bh_schedule_oneshot(main_ctx, count_cb, &bh_count);
    g_idle_add(idle_cb, &idle_count);
    for (int i = 0; i < 10 && (!bh_count || !idle_count); i++) {
        main_loop_wait(false);
    }
    ck_assert_int_eq(bh_count, 1);
    ck_assert_int_eq(idle_count, 1);
    main_loop_wait(true);
}
END_TEST

START_TEST(test_main_loop_fd_timer)
{
    AioContext *main_ctx;
    PipeState ps;
    bool fired = false;
    QEMUTimer *t;
    int64_t deadline;

    ck_assert(qemu_init_main_loop(NULL));
    main_ctx = qemu_get_aio_context();
    ctx = main_ctx;     /* pipe_read() removes itself from ctx */
    pipe_open(&ps);
    ps.stop_reading = true;
    aio_set_fd_handler(main_ctx, ps.fds[0], pipe_read, NULL, &ps);
    t = aio_timer_new(main_ctx, QEMU_CLOCK_REALTIME, set_flag, &fired);
    deadline = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) + 20 * SCALE_MS;
    timer_mod(t, deadline);
    ck_assert_int_eq(write(ps.fds[1], "m", 1), 1);

    /* GLib's poll drives the handler and the timer (bounded by it) */
    while (!fired) {
        main_loop_wait(false);
    }
    ck_assert_int_ge(qemu_clock_get_ns(QEMU_CLOCK_REALTIME), deadline);
    ck_assert_int_eq(ps.reads, 1);
    ck_assert_int_eq(ps.buf[0], 'm');
    timer_free(t);
    pipe_close(&ps);
    ctx = NULL;
}
END_TEST

static gpointer in_main_thread(gpointer opaque)
{
    return GINT_TO_POINTER(qemu_in_main_thread() ||
                           qemu_get_current_aio_context() != NULL);
}

START_TEST(test_other_thread_is_not_main)
{
    GThread *thread;

    ck_assert(qemu_init_main_loop(NULL));
    thread = g_thread_new("other", in_main_thread, NULL);
    ck_assert(!GPOINTER_TO_INT(g_thread_join(thread)));
}
END_TEST

/* The manual virtual clock (qtest) */

START_TEST(test_virtual_clock)
{
    BHRecord rec = { .count = 0 };
    TimerItem items[3];
    static const int64_t expire[] = { 300, 100, 200 };
    AioContext *main_ctx;

    ck_assert(qemu_init_main_loop(NULL));
    main_ctx = qemu_get_aio_context();
    qemu_clock_set_virtual_manual(1000);
    ck_assert(qemu_clock_virtual_is_manual());
    ck_assert_int_eq(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), 1000);
    ck_assert_int_eq(qemu_clock_deadline_ns_all(QEMU_CLOCK_VIRTUAL), -1);

    for (int i = 0; i < 3; i++) {
        items[i] = (TimerItem) { .rec = &rec, .id = i };
        items[i].timer = aio_timer_new(main_ctx, QEMU_CLOCK_VIRTUAL,
                                       record_timer, &items[i]);
        timer_mod(items[i].timer, 1000 + expire[i]);
    }
    /* waiting does not move the clock, and does not block on it */
    ck_assert(!aio_poll(main_ctx, false));
    ck_assert_int_eq(qemu_clock_deadline_ns_all(QEMU_CLOCK_VIRTUAL), 100);

    ck_assert_int_eq(qemu_clock_advance_virtual_time(1150), 1150);
    ck_assert_int_eq(rec.count, 1);
    ck_assert_int_eq(rec.order[0], 1);
    ck_assert_int_eq(qemu_clock_deadline_ns_all(QEMU_CLOCK_VIRTUAL), 50);

    /* into the past: the clock stays */
    ck_assert_int_eq(qemu_clock_advance_virtual_time(10), 1150);
    ck_assert_int_eq(qemu_clock_advance_virtual_time(5000), 5000);
    ck_assert_int_eq(rec.count, 3);
    ck_assert_int_eq(rec.order[1], 2);
    ck_assert_int_eq(rec.order[2], 0);
    ck_assert_int_eq(qemu_clock_deadline_ns_all(QEMU_CLOCK_VIRTUAL), -1);
    for (int i = 0; i < 3; i++) {
        timer_free(items[i].timer);
    }
}
END_TEST

static Suite *aio_suite(void)
{
    Suite *s = suite_create("aio");
    TCase *tc;

    tc = tcase_create("bh");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_bh_order);
    tcase_add_test(tc, test_bh_reschedule);
    tcase_add_test(tc, test_bh_other_thread);
    tcase_add_test(tc, test_bh_oneshot);
    tcase_add_test(tc, test_bh_cancel_delete);
    suite_add_tcase(s, tc);

    tc = tcase_create("timer");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_timer_order);
    tcase_add_test(tc, test_timer_mod_moves);
    tcase_add_test(tc, test_clocks);
    suite_add_tcase(s, tc);

    tc = tcase_create("fd");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_fd_read);
    tcase_add_test(tc, test_fd_write);
    suite_add_tcase(s, tc);

    tc = tcase_create("notify");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_notify_wakes_poll);
    tcase_add_test(tc, test_notify_never_lost);
    tcase_add_test(tc, test_event_notifier);
    suite_add_tcase(s, tc);

    tc = tcase_create("main-loop");
    tcase_add_test(tc, test_main_loop);
    tcase_add_test(tc, test_main_loop_fd_timer);
    tcase_add_test(tc, test_other_thread_is_not_main);
    suite_add_tcase(s, tc);

    tc = tcase_create("virtual-clock");
    tcase_add_test(tc, test_virtual_clock);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(aio_suite)
