/*
 * test-workload.c: the self-checking page pattern, the pass consistency
 * rule, the RAM digest, and the writer thread (fill, stop, token-bucket
 * rate, throttle, migratable state).
 *
 * Rate and throttle cases use a test clock: the writer never sleeps on a
 * deadline, it waits until the test advances the clock and kicks it, and
 * workload_wait_idle() says when it has caught up, so pages are counted
 * after each wake-up without any sleep.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "system/cpu-throttle.h"
#include "system/memory-backend.h"
#include "system/workload.h"
#include "tern-check.h"

#define MiB (1024 * 1024)
#define PAGE TARGET_PAGE_SIZE

static uint8_t page_buf[PAGE] __attribute__((aligned(64)));

START_TEST(test_page_roundtrip)
{
    guest_page_write(page_buf, 42, 1, 77, 3);
    ck_assert_int_eq(guest_page_check(page_buf, 1, 77), 3);
    guest_page_write(page_buf, UINT64_MAX, 0, 0, 1);
    ck_assert_int_eq(guest_page_check(page_buf, 0, 0), 1);
    memset(page_buf, 0, PAGE);
    ck_assert_int_eq(guest_page_check(page_buf, 0, 5), 0);
}
END_TEST

START_TEST(test_page_flipped_byte)
{
    /* Every byte matters: header, fill and checksum. */
    for (size_t off = 0; off < PAGE; off += 61) {
        guest_page_write(page_buf, 7, 0, 9, 2);
        page_buf[off] ^= 0x10;
        ck_assert_msg(guest_page_check(page_buf, 0, 9) == -1,
                      "flip at %zu not detected", off);
    }
    guest_page_write(page_buf, 7, 0, 9, 2);
    page_buf[PAGE - 1] ^= 1;
    ck_assert_int_eq(guest_page_check(page_buf, 0, 9), -1);
}
END_TEST

START_TEST(test_page_misplaced)
{
    guest_page_write(page_buf, 7, 0, 9, 2);
    /* A page copied to another index or block fails there. */
    ck_assert_int_eq(guest_page_check(page_buf, 0, 10), -1);
    ck_assert_int_eq(guest_page_check(page_buf, 1, 9), -1);
    /* Torn: the first half of one write, the second of another. */
    {
        uint8_t other[PAGE];

        guest_page_write(other, 7, 0, 9, 3);
        memcpy(page_buf + PAGE / 2, other + PAGE / 2, PAGE / 2);
        ck_assert_int_eq(guest_page_check(page_buf, 0, 9), -1);
    }
    /* Pass 0 is never written: a page claiming it is bad. */
    guest_page_write(page_buf, 7, 0, 9, 0);
    ck_assert_int_eq(guest_page_check(page_buf, 0, 9), -1);
}
END_TEST

/* The run of @n pass numbers, added one by one. */
static GuestPassRun run_of(const int64_t *passes, size_t n)
{
    GuestPassRun run;

    guest_pass_run_init(&run);
    for (size_t i = 0; i < n; i++) {
        guest_pass_run_add(&run, passes[i]);
    }
    return run;
}

/* Whether @passes is consistent, checked whole and split at every index. */
static bool consistent(const int64_t *passes, size_t n)
{
    GuestPassRun whole = run_of(passes, n);
    bool ok = guest_pass_run_consistent(&whole);

    for (size_t cut = 0; cut <= n; cut++) {
        GuestPassRun a = run_of(passes, cut);
        GuestPassRun b = run_of(passes + cut, n - cut);

        guest_pass_run_join(&a, &b);
        ck_assert_int_eq(guest_pass_run_consistent(&a), ok);
    }
    return ok;
}

#define CONSISTENT(...) \
    consistent((const int64_t[]){ __VA_ARGS__ }, \
               sizeof((int64_t[]){ __VA_ARGS__ }) / sizeof(int64_t))

START_TEST(test_consistency_rule)
{
    ck_assert(CONSISTENT(3, 3, 3));
    ck_assert(CONSISTENT(4, 4, 3, 3, 3));
    ck_assert(CONSISTENT(1, 1, 0, 0));
    ck_assert(CONSISTENT(0, 0, 0));
    ck_assert(CONSISTENT(5));
    ck_assert(consistent(NULL, 0));
    /* Two boundaries. */
    ck_assert(!CONSISTENT(3, 3, 2, 2, 1));
    /* A stale page in the newer part. */
    ck_assert(!CONSISTENT(4, 4, 3, 4, 3, 3));
    /* Rising, or a gap of more than one pass. */
    ck_assert(!CONSISTENT(2, 3));
    ck_assert(!CONSISTENT(4, 2, 2));
    ck_assert(!CONSISTENT(2, 2, 0));
    /* A page failing its self-check. */
    ck_assert(!CONSISTENT(2, 2, -1, 2));
}
END_TEST

static void add_block(const char *id, uint64_t size)
{
    MemoryBackendConfig cfg = { .kind = MEMORY_BACKEND_RAM, .size = size };

    ck_assert(ram_block_add(id, &cfg, NULL));
}

static void ram_teardown(void)
{
    ram_block_list_reset();
}

/* Writes pass @pass over every page, as the writer would. */
static void write_all(uint32_t pass, uint64_t seed)
{
    uint32_t block = 0;

    RAMBLOCK_FOREACH(rb) {
        for (uint64_t p = 0; p < rb->pages; p++) {
            guest_page_write(ram_block_page_host(rb, p), seed, block, p,
                             pass);
        }
        block++;
    }
}

/* The digest's algorithm, written out plainly. */
static char *reference_digest(void)
{
    GChecksum *outer = g_checksum_new(G_CHECKSUM_SHA256);
    char *hex;

    RAMBLOCK_FOREACH(rb) {
        for (uint64_t off = 0; off < rb->used_length; off += MiB) {
            GChecksum *inner = g_checksum_new(G_CHECKSUM_SHA256);
            uint8_t sha[32];
            gsize len = sizeof(sha);

            g_checksum_update(inner, rb->host + off,
                              MIN(MiB, rb->used_length - off));
            g_checksum_get_digest(inner, sha, &len);
            g_checksum_update(outer, sha, len);
            g_checksum_free(inner);
        }
    }
    hex = g_strdup(g_checksum_get_string(outer));
    g_checksum_free(outer);
    return hex;
}

START_TEST(test_digest)
{
    g_autofree char *d1 = NULL, *d2 = NULL, *d3 = NULL, *ref = NULL;
    bool ok = false;
    RAMBlock *second;

    add_block("pc.ram", 3 * MiB + 8 * PAGE);
    add_block("extra", 2 * MiB);
    second = ram_block_by_name("extra");
    d1 = guest_ram_digest(&ok);
    ck_assert(ok);
    ck_assert_uint_eq(strlen(d1), 64);
    write_all(1, 5);
    d2 = guest_ram_digest(&ok);
    ck_assert(ok);
    ck_assert_str_ne(d1, d2);
    ref = reference_digest();
    ck_assert_str_eq(d2, ref);
    /* Stable while nothing changes; any byte changes it. */
    g_free(d1);
    d1 = guest_ram_digest(NULL);
    ck_assert_str_eq(d1, d2);
    second->host[PAGE * 3 + 100] ^= 1;
    d3 = guest_ram_digest(&ok);
    ck_assert(!ok);
    ck_assert_str_ne(d3, d2);
    second->host[PAGE * 3 + 100] ^= 1;
    /* A stale page (an older pass) breaks consistency. */
    write_all(2, 5);
    guest_page_write(ram_block_page_host(second, 4), 5, 1, 4, 1);
    g_free(d3);
    d3 = guest_ram_digest(&ok);
    ck_assert(!ok);
}
END_TEST

/* A test clock: fake_ns, plus tick_ns added at every read. */
static int64_t fake_ns;
static int64_t tick_ns;

static int64_t fake_clock(void *opaque)
{
    return __atomic_add_fetch(&fake_ns, tick_ns, __ATOMIC_SEQ_CST);
}

static void advance(Workload *w, int64_t ns)
{
    __atomic_add_fetch(&fake_ns, ns, __ATOMIC_SEQ_CST);
    workload_kick(w);
    workload_wait_idle(w);
}

static uint64_t pages_written(Workload *w)
{
    WorkloadState st;

    workload_get_state(w, &st);
    return st.pages_written;
}

typedef struct FillDone {
    GMutex lock;
    GCond cond;
    bool done;
} FillDone;

static void fill_done_cb(void *opaque)
{
    FillDone *fd = opaque;

    g_mutex_lock(&fd->lock);
    fd->done = true;
    g_cond_signal(&fd->cond);
    g_mutex_unlock(&fd->lock);
}

static void fill_and_wait(Workload *w)
{
    FillDone fd = { .done = false };

    g_mutex_init(&fd.lock);
    g_cond_init(&fd.cond);
    workload_fill(w, fill_done_cb, &fd);
    g_mutex_lock(&fd.lock);
    while (!fd.done) {
        g_cond_wait(&fd.cond, &fd.lock);
    }
    g_mutex_unlock(&fd.lock);
    g_cond_clear(&fd.cond);
    g_mutex_clear(&fd.lock);
}

START_TEST(test_fill)
{
    Workload *w;
    WorkloadState st;
    bool ok = false;
    g_autofree char *d = NULL;

    add_block("pc.ram", 4 * MiB);
    add_block("b1", 1 * MiB);
    w = workload_new(NULL, NULL);
    ck_assert_uint_eq(workload_total_pages(w), 1280);
    workload_configure(w, false, 0, false, 0, true, 99);
    workload_set_running(w, true);
    fill_and_wait(w);
    workload_get_state(w, &st);
    ck_assert_uint_eq(st.pages_written, 1280);
    ck_assert_uint_eq(st.pass, 2);
    ck_assert_uint_eq(st.block, 0);
    ck_assert_uint_eq(st.page, 0);
    ck_assert_uint_eq(st.fill_remaining, 0);
    ck_assert_uint_eq(st.insns, 1280 * (PAGE / 8));
    d = guest_ram_digest(&ok);
    ck_assert(ok);
    RAMBLOCK_FOREACH(rb) {
        uint32_t block = rb == ram_block_first() ? 0 : 1;

        for (uint64_t p = 0; p < rb->pages; p++) {
            ck_assert_int_eq(guest_page_check(ram_block_page_host(rb, p),
                                              block, p), 1);
        }
    }
    workload_free(w);
}
END_TEST

START_TEST(test_stop_parks_writer)
{
    Workload *w;
    WorkloadState a, b;
    bool ok = false;
    g_autofree char *d1 = NULL, *d2 = NULL;

    add_block("pc.ram", 8 * MiB);
    w = workload_new(NULL, NULL);
    workload_set_running(w, true);
    fill_and_wait(w);
    /* As fast as it goes: stop must wait for the page in progress. */
    workload_configure(w, true, UINT64_C(1) << 40, false, 0, false, 0);
    for (int i = 0; i < 20; i++) {
        workload_set_running(w, false);
        workload_get_state(w, &a);
        d1 = guest_ram_digest(&ok);
        ck_assert_msg(ok, "torn or lost page after stop %d", i);
        d2 = guest_ram_digest(NULL);
        workload_get_state(w, &b);
        ck_assert_str_eq(d1, d2);
        ck_assert_uint_eq(a.pages_written, b.pages_written);
        g_clear_pointer(&d1, g_free);
        g_clear_pointer(&d2, g_free);
        workload_set_running(w, true);
    }
    workload_free(w);
}
END_TEST

START_TEST(test_rate_token_bucket)
{
    Workload *w;

    add_block("pc.ram", 4 * MiB);
    fake_ns = 1000;
    tick_ns = 0;
    w = workload_new(fake_clock, NULL);
    workload_set_running(w, true);
    /* Rate 0: parked, whatever the clock does. */
    advance(w, 1000000000);
    ck_assert_uint_eq(pages_written(w), 0);
    /* 100 pages/s; the bucket starts empty. */
    workload_configure(w, true, 100 * PAGE, false, 0, false, 0);
    workload_wait_idle(w);
    ck_assert_uint_eq(pages_written(w), 0);
    for (int i = 1; i <= 5; i++) {
        advance(w, 100 * 1000 * 1000);
        ck_assert_uint_eq(pages_written(w), 10 * i);
    }
    /* Half a page of credit is not a page; the other half is. */
    advance(w, 5 * 1000 * 1000);
    ck_assert_uint_eq(pages_written(w), 50);
    advance(w, 5 * 1000 * 1000);
    ck_assert_uint_eq(pages_written(w), 51);
    /* Credit is capped at 100 ms: a long pause gives no burst. */
    advance(w, 60LL * 1000 * 1000 * 1000);
    ck_assert_uint_eq(pages_written(w), 61);
    /* Stopped: time passes, nothing is written. */
    workload_set_running(w, false);
    advance(w, 1000 * 1000 * 1000);
    ck_assert_uint_eq(pages_written(w), 61);
    workload_free(w);
}
END_TEST

START_TEST(test_throttle)
{
    Workload *w;
    WorkloadState st;
    uint64_t first;

    add_block("pc.ram", 64 * MiB);
    fake_ns = 0;
    tick_ns = 1000;                 /* each clock read: 1 us */
    w = workload_new(fake_clock, NULL);
    cpu_throttle_set(150);
    ck_assert_int_eq(cpu_throttle_get_percentage(), CPU_THROTTLE_PCT_MAX);
    cpu_throttle_set(50);
    ck_assert(cpu_throttle_active());
    workload_set_running(w, true);
    workload_fill(w, NULL, NULL);
    workload_wait_idle(w);
    /* 5 ms of running (about one page per microsecond), then asleep. */
    workload_get_state(w, &st);
    first = st.pages_written;
    ck_assert_uint_ge(first, 4000);
    ck_assert_uint_le(first, 5100);
    ck_assert_uint_gt(st.fill_remaining, 0);
    /* Not yet 5 ms of sleep: still asleep. */
    advance(w, 2 * 1000 * 1000);
    ck_assert_uint_eq(pages_written(w), first);
    advance(w, 3 * 1000 * 1000);
    ck_assert_uint_gt(pages_written(w), first);
    cpu_throttle_stop();
    ck_assert(!cpu_throttle_active());
    advance(w, 0);
    workload_get_state(w, &st);
    ck_assert_uint_eq(st.fill_remaining, 0);
    ck_assert_uint_eq(st.pages_written, 16384);
    workload_free(w);
}
END_TEST

START_TEST(test_state)
{
    Workload *w;
    WorkloadState st, back;
    GError *err = NULL;

    add_block("pc.ram", 1 * MiB);
    add_block("b1", 1 * MiB);
    w = workload_new(NULL, NULL);
    workload_configure(w, true, 1000, true, 2000, true, 3);
    workload_configure(w, false, 0, false, 0, true, 4);
    workload_get_state(w, &st);
    ck_assert_uint_eq(st.ram_dirty_rate, 1000);
    ck_assert_uint_eq(st.disk_write_rate, 2000);
    ck_assert_uint_eq(st.seed, 4);
    ck_assert_uint_eq(st.pass, 1);
    st = (WorkloadState) {
        .ram_dirty_rate = 5, .seed = 6, .pass = 9, .block = 1, .page = 255,
        .pages_written = 1234, .fill_remaining = 512, .insns = 77,
    };
    ck_assert(workload_set_state(w, &st, NULL));
    workload_get_state(w, &back);
    ck_assert(!memcmp(&st, &back, sizeof(st)));
    st.page = 256;
    ck_assert(!workload_set_state(w, &st, &err));
    ck_assert_str_eq(err->message, "workload position (block 1, page 256) "
                     "is outside guest RAM");
    g_clear_error(&err);
    st.page = 0;
    st.block = 2;
    ck_assert(!workload_set_state(w, &st, &err));
    g_clear_error(&err);
    st.block = 0;
    st.pass = 0;
    ck_assert(!workload_set_state(w, &st, &err));
    ck_assert_str_eq(err->message, "workload pass must be at least 1");
    g_clear_error(&err);
    st.pass = 1;
    st.fill_remaining = 513;
    ck_assert(!workload_set_state(w, &st, &err));
    ck_assert_str_eq(err->message, "workload fill of 513 pages is larger "
                     "than guest RAM");
    g_clear_error(&err);
    workload_free(w);
}
END_TEST

START_TEST(test_continue_after_state)
{
    Workload *w;
    WorkloadState st = {
        .pass = 7, .block = 1, .page = 250, .seed = 11,
        .fill_remaining = 10,
    };
    bool ok = false;
    g_autofree char *d = NULL;

    add_block("pc.ram", 1 * MiB);
    add_block("b1", 1 * MiB);
    /* RAM as a source at pass 7 would have it, position (1, 250). */
    write_all(7, 11);
    w = workload_new(NULL, NULL);
    ck_assert(workload_set_state(w, &st, NULL));
    /* The migrated fill goes on, then the writer parks (rate 0). */
    workload_set_running(w, true);
    workload_wait_idle(w);
    workload_set_running(w, false);
    workload_get_state(w, &st);
    /* 6 pages end pass 7, 4 more start pass 8 in block 0. */
    ck_assert_uint_eq(st.pass, 8);
    ck_assert_uint_eq(st.block, 0);
    ck_assert_uint_eq(st.page, 4);
    ck_assert_uint_eq(st.pages_written, 10);
    d = guest_ram_digest(&ok);
    ck_assert(ok);
    workload_free(w);
}
END_TEST

static Suite *workload_suite(void)
{
    Suite *s = suite_create("workload");
    TCase *tc;

    tc = tcase_create("pattern");
    tcase_add_test(tc, test_page_roundtrip);
    tcase_add_test(tc, test_page_flipped_byte);
    tcase_add_test(tc, test_page_misplaced);
    suite_add_tcase(s, tc);

    tc = tcase_create("consistency");
    tcase_add_test(tc, test_consistency_rule);
    suite_add_tcase(s, tc);

    tc = tcase_create("digest");
    tcase_add_checked_fixture(tc, NULL, ram_teardown);
    tcase_add_test(tc, test_digest);
    suite_add_tcase(s, tc);

    tc = tcase_create("writer");
    tcase_add_checked_fixture(tc, NULL, ram_teardown);
    tcase_add_test(tc, test_fill);
    tcase_add_test(tc, test_stop_parks_writer);
    tcase_add_test(tc, test_continue_after_state);
    suite_add_tcase(s, tc);

    tc = tcase_create("rate");
    tcase_add_checked_fixture(tc, NULL, ram_teardown);
    tcase_add_test(tc, test_rate_token_bucket);
    tcase_add_test(tc, test_throttle);
    suite_add_tcase(s, tc);

    tc = tcase_create("state");
    tcase_add_checked_fixture(tc, NULL, ram_teardown);
    tcase_add_test(tc, test_state);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(workload_suite)
