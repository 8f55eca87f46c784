/*
 * test-ram.c: the RAM engine on the main channel.  RAM is saved into a
 * buffer channel through the "ram" section's handlers, overwritten, and
 * loaded back: the memory must be identical.  Zero pages cost no data,
 * re-dirtied pages are re-sent, every corrupted or truncated stream is
 * refused, and a different block list is refused by name.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "io/channel.h"
#include "io/channel-buffer.h"
#include "migration/qemu-file.h"
#include "migration/migration-stats.h"
#include "migration/ram.h"
#include "system/memory-backend.h"
#include "system/ramblock.h"
#include "system/runstate.h"
#include "qapi/qapi-commands-migration.h"
#include "tern-check.h"

#define PS TARGET_PAGE_SIZE
#define MAX_BOUNDS 64

/* A saved stream and the offsets where each section payload ended. */
typedef struct Saved {
    uint8_t *data;
    size_t len;
    size_t bounds[MAX_BOUNDS];
    unsigned nbounds;
} Saved;

static RAMBlock *add_block(const char *id, uint64_t size,
                           MemoryBackendKind kind, bool share)
{
    MemoryBackendConfig cfg = { .kind = kind, .size = size, .share = share };
    GError *err = NULL;
    RAMBlock *rb = ram_block_add(id, &cfg, &err);

    ck_assert_msg(rb, "%s", err ? err->message : "?");
    return rb;
}

/* Page i: zero when its random draw says so, else random bytes. */
static void fill_block(RAMBlock *rb, uint32_t seed, int zero_pct)
{
    GRand *r = g_rand_new_with_seed(seed);

    for (uint64_t p = 0; p < rb->pages; p++) {
        uint32_t *w = (uint32_t *)(rb->host + p * PS);

        if (g_rand_int_range(r, 0, 100) < zero_pct) {
            memset(w, 0, PS);
            continue;
        }
        for (size_t i = 0; i < PS / 4; i++) {
            w[i] = g_rand_int(r);
        }
    }
    g_rand_free(r);
}

static uint8_t *snapshot(void)
{
    uint8_t *snap = g_malloc(ram_bytes_total());
    uint64_t off = 0;

    RAMBLOCK_FOREACH(rb) {
        memcpy(snap + off, rb->host, rb->used_length);
        off += rb->used_length;
    }
    return snap;
}

static void scribble(bool shared_too)
{
    RAMBLOCK_FOREACH(rb) {
        if (shared_too || !rb->shared) {
            memset(rb->host, 0x5a, rb->used_length);
        }
    }
}

static void assert_ram_equals(const uint8_t *snap)
{
    uint64_t off = 0;

    RAMBLOCK_FOREACH(rb) {
        ck_assert_msg(memcmp(snap + off, rb->host, rb->used_length) == 0,
                      "RAM block '%s' differs", rb->idstr);
        off += rb->used_length;
    }
}

static void mark_bound(Saved *s, QEMUFile *f)
{
    ck_assert_uint_lt(s->nbounds, MAX_BOUNDS);
    s->bounds[s->nbounds++] = qemu_file_transferred(f);
}

/* Setup and one or more iterations (until all was sent once). */
static QEMUFile *save_begin(QIOChannel **ioc, Saved *s)
{
    const SaveVMHandlers *h = ram_savevm_handlers();
    GError *err = NULL;
    QEMUFile *f;
    int ret;

    *ioc = qio_channel_buffer_new(1 << 16);
    f = qemu_file_new_output(*ioc);
    ck_assert_msg(h->save_setup(f, NULL, &err), "%s",
                  err ? err->message : "?");
    mark_bound(s, f);
    do {
        ret = h->save_live_iterate(f, NULL);
        ck_assert_int_ge(ret, 0);
        mark_bound(s, f);
    } while (ret == 0);
    return f;
}

/* Completion, cleanup; the stream's bytes go into @s. */
static void save_end(QIOChannel *ioc, QEMUFile *f, Saved *s)
{
    const SaveVMHandlers *h = ram_savevm_handlers();
    GError *err = NULL;
    const uint8_t *data;

    ck_assert_msg(h->save_live_complete_precopy(f, NULL, &err), "%s",
                  err ? err->message : "?");
    mark_bound(s, f);
    h->save_cleanup(NULL);
    ck_assert(qemu_fclose(f, &err));
    data = qio_channel_buffer_data(ioc, &s->len);
    s->data = g_memdup2(data, s->len);
    qio_channel_unref(ioc);
}

static void save_all(Saved *s)
{
    QIOChannel *ioc;
    QEMUFile *f = save_begin(&ioc, s);

    save_end(ioc, f, s);
}

/* Loads a stream as savevm would: setup payload, then the rest. */
static bool load(const uint8_t *data, size_t len, GError **errp)
{
    const SaveVMHandlers *h = ram_savevm_handlers();
    QIOChannel *ioc = qio_channel_buffer_new_data(data, len);
    QEMUFile *f = qemu_file_new_input(ioc);
    bool ok = h->load_setup(f, NULL, errp) &&
              h->load_state(f, NULL, RAM_SECTION_VERSION, errp);

    while (ok && !qemu_file_at_eof(f)) {
        ok = h->load_state(f, NULL, RAM_SECTION_VERSION, errp);
    }
    h->load_cleanup(NULL);
    qemu_fclose(f, NULL);
    qio_channel_unref(ioc);
    return ok;
}

static void load_ok(const Saved *s)
{
    GError *err = NULL;

    ck_assert_msg(load(s->data, s->len, &err), "%s",
                  err ? err->message : "?");
}

static void load_fails(const uint8_t *data, size_t len, const char *expect)
{
    GError *err = NULL;

    ck_assert(!load(data, len, &err));
    ck_assert(err);
    if (expect) {
        ck_assert_msg(strstr(err->message, expect), "'%s' lacks '%s'",
                      err->message, expect);
    }
    g_error_free(err);
}

START_TEST(test_roundtrip)
{
    Saved s = { 0 };
    g_autofree uint8_t *snap = NULL;

    fill_block(add_block("pc.ram", 4 << 20, MEMORY_BACKEND_RAM, false),
               1, 30);
    fill_block(add_block("extra", 1 << 20, MEMORY_BACKEND_MEMFD, false),
               2, 50);
    snap = snapshot();
    save_all(&s);
    scribble(true);
    load_ok(&s);
    assert_ram_equals(snap);
    ck_assert_uint_eq(mig_stats_read(normal_pages) +
                      mig_stats_read(zero_pages), (5 << 20) / PS);
    g_free(s.data);
}
END_TEST

/* The guest runs: pages are copied before they are checksummed. */
START_TEST(test_roundtrip_running)
{
    Saved s = { 0 };
    g_autofree uint8_t *snap = NULL;

    fill_block(add_block("pc.ram", 2 << 20, MEMORY_BACKEND_RAM, false),
               3, 20);
    vm_start();
    ck_assert(runstate_is_running());
    snap = snapshot();
    save_all(&s);
    scribble(true);
    load_ok(&s);
    assert_ram_equals(snap);
    g_free(s.data);
}
END_TEST

START_TEST(test_zero_pages_free)
{
    Saved s = { 0 };
    RAMBlock *rb = add_block("pc.ram", 4 << 20, MEMORY_BACKEND_RAM, false);

    save_all(&s);
    /* 1024 zero pages: 8 bytes each in the entries, never 4096. */
    ck_assert_uint_lt(s.len, rb->pages * 8 + 4096);
    ck_assert_uint_eq(mig_stats_read(zero_pages), rb->pages);
    ck_assert_uint_eq(mig_stats_read(normal_pages), 0);
    scribble(true);
    load_ok(&s);
    ck_assert(rb->host[0] == 0 && rb->host[rb->used_length - 1] == 0);
    g_free(s.data);

    /* Ten non-zero pages: their data and little else. */
    memset(&s, 0, sizeof(s));
    mig_stats_set(normal_pages, 0);
    for (int i = 0; i < 10; i++) {
        rb->host[(i * 97 + 3) * PS + i] = 1 + i;
    }
    save_all(&s);
    ck_assert_uint_ge(s.len, 10 * PS);
    ck_assert_uint_lt(s.len, 10 * PS + rb->pages * 8 + 4096);
    ck_assert_uint_eq(mig_stats_read(normal_pages), 10);
    g_free(s.data);
}
END_TEST

/* Pages written after they were sent are sent again in the next pass. */
START_TEST(test_redirty)
{
    const SaveVMHandlers *h = ram_savevm_handlers();
    RAMBlock *rb = add_block("pc.ram", 1 << 20, MEMORY_BACKEND_RAM, false);
    g_autofree uint8_t *snap = NULL;
    uint64_t syncs = mig_stats_read(dirty_sync_count);
    uint64_t pending = 0;
    QIOChannel *ioc;
    QEMUFile *f;
    Saved s = { 0 };

    fill_block(rb, 4, 10);
    f = save_begin(&ioc, &s);
    ck_assert_uint_eq(mig_stats_read(dirty_sync_count), syncs + 1);
    memset(rb->host + 5 * PS, 0xee, PS);            /* changed */
    ram_block_mark_dirty(rb, 5);
    memset(rb->host + 6 * PS, 0, PS);               /* now zero */
    ram_block_mark_dirty(rb, 6);
    h->state_pending_estimate(NULL, &pending);
    ck_assert_uint_eq(pending, 0);
    h->state_pending_exact(NULL, &pending);
    ck_assert_uint_eq(pending, 2 * PS);
    ck_assert_int_eq(h->save_live_iterate(f, NULL), 1);
    mark_bound(&s, f);
    memset(rb->host + 7 * PS, 0x11, PS);            /* during "downtime" */
    ram_block_mark_dirty(rb, 7);
    snap = snapshot();
    save_end(ioc, f, &s);
    ck_assert_uint_ge(mig_stats_read(dirty_sync_count), syncs + 3);
    scribble(true);
    load_ok(&s);
    assert_ram_equals(snap);
    g_free(s.data);
}
END_TEST

/* Size of the setup payload (block list) of a one-block stream. */
static size_t setup_len(const Saved *s)
{
    return s->bounds[0];
}

static bool is_bound(const Saved *s, size_t off)
{
    for (unsigned i = 0; i < s->nbounds; i++) {
        if (s->bounds[i] == off) {
            return true;
        }
    }
    return false;
}

START_TEST(test_corrupt_every_byte)
{
    RAMBlock *rb = add_block("pc.ram", 16 * PS, MEMORY_BACKEND_RAM, false);
    Saved s = { 0 };
    g_autofree uint8_t *copy = NULL;

    fill_block(rb, 5, 50);
    save_all(&s);
    copy = g_memdup2(s.data, s.len);
    /* Every byte after the block list is covered by a packet CRC. */
    for (size_t off = setup_len(&s); off < s.len; off++) {
        copy[off] ^= 0x10;
        load_fails(copy, s.len, NULL);
        copy[off] = s.data[off];
    }
    g_free(s.data);
}
END_TEST

START_TEST(test_flip_page_data)
{
    RAMBlock *rb = add_block("pc.ram", 64 * PS, MEMORY_BACKEND_RAM, false);
    Saved s = { 0 };

    fill_block(rb, 6, 0);
    save_all(&s);
    /* Well inside the first page's data of the first batch. */
    s.data[setup_len(&s) + 16 + 8 * 64 + 100] ^= 1;
    load_fails(s.data, s.len, "checksum mismatch");
    g_free(s.data);
}
END_TEST

START_TEST(test_truncate_everywhere)
{
    RAMBlock *rb = add_block("pc.ram", 16 * PS, MEMORY_BACKEND_RAM, false);
    Saved s = { 0 };

    fill_block(rb, 7, 50);
    save_all(&s);
    for (size_t len = 0; len < s.len; len++) {
        if (!is_bound(&s, len)) {
            load_fails(s.data, len, NULL);
        }
    }
    g_free(s.data);
}
END_TEST

/* Saves one block called "pc.ram" of @size, then rebuilds local RAM. */
static void save_then_reset(Saved *s, uint64_t size)
{
    fill_block(add_block("pc.ram", size, MEMORY_BACKEND_RAM, false), 8, 50);
    save_all(s);
    ram_block_list_reset();
}

START_TEST(test_block_size_mismatch)
{
    Saved s = { 0 };

    save_then_reset(&s, 1 << 20);
    add_block("pc.ram", 2 << 20, MEMORY_BACKEND_RAM, false);
    load_fails(s.data, s.len, "RAM block 'pc.ram' size mismatch");
    g_free(s.data);
}
END_TEST

START_TEST(test_block_unknown)
{
    Saved s = { 0 };

    save_then_reset(&s, 1 << 20);
    add_block("other", 1 << 20, MEMORY_BACKEND_RAM, false);
    load_fails(s.data, s.len, "unknown RAM block 'pc.ram'");
    g_free(s.data);
}
END_TEST

START_TEST(test_block_missing)
{
    Saved s = { 0 };

    save_then_reset(&s, 1 << 20);
    add_block("pc.ram", 1 << 20, MEMORY_BACKEND_RAM, false);
    add_block("more", 1 << 20, MEMORY_BACKEND_RAM, false);
    load_fails(s.data, s.len, "RAM block 'more' is missing");
    g_free(s.data);
}
END_TEST

static void set_ignore_shared(bool on)
{
    MigrationCapabilityStatus st = {
        .capability = MIGRATION_CAPABILITY_X_IGNORE_SHARED, .state = on,
    };
    MigrationCapabilityStatusList list = { .value = &st };
    GError *err = NULL;

    ck_assert_msg(qmp_migrate_set_capabilities(&list, &err), "%s",
                  err ? err->message : "?");
}

START_TEST(test_ignore_shared)
{
    RAMBlock *priv = add_block("pc.ram", 1 << 20, MEMORY_BACKEND_RAM, false);
    RAMBlock *shm = add_block("shm", 4 << 20, MEMORY_BACKEND_MEMFD, true);
    g_autofree uint8_t *snap = NULL;
    Saved s = { 0 };

    ck_assert(shm->shared);
    fill_block(priv, 9, 0);
    fill_block(shm, 10, 0);
    set_ignore_shared(true);
    snap = snapshot();
    save_all(&s);
    /* The shared block's 4 MiB are not in the stream. */
    ck_assert_uint_lt(s.len, priv->used_length + 64 * 1024);
    scribble(false);
    load_ok(&s);
    assert_ram_equals(snap);

    /* A destination whose "shm" is private memory refuses. */
    ram_block_list_reset();
    add_block("pc.ram", 1 << 20, MEMORY_BACKEND_RAM, false);
    add_block("shm", 4 << 20, MEMORY_BACKEND_RAM, false);
    load_fails(s.data, s.len, "is not shared memory");
    g_free(s.data);
}
END_TEST

START_TEST(test_bad_version)
{
    const SaveVMHandlers *h = ram_savevm_handlers();
    QIOChannel *ioc = qio_channel_buffer_new_data((const uint8_t *)"", 0);
    QEMUFile *f = qemu_file_new_input(ioc);
    GError *err = NULL;

    ck_assert(h->load_setup(f, NULL, &err));
    ck_assert(!h->load_state(f, NULL, 2, &err));
    ck_assert(strstr(err->message, "version 2"));
    g_clear_error(&err);
    /* An empty payload: a clean error, not a crash. */
    ck_assert(!h->load_state(f, NULL, 1, &err));
    ck_assert(err);
    g_clear_error(&err);
    h->load_cleanup(NULL);
    qemu_fclose(f, NULL);
    qio_channel_unref(ioc);
}
END_TEST

static void ram_test_teardown(void)
{
    ram_block_list_reset();
}

static TCase *ram_tcase(const char *name)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, NULL, ram_test_teardown);
    return tc;
}

static Suite *ram_suite(void)
{
    Suite *s = suite_create("ram");
    TCase *tc;

    tc = ram_tcase("roundtrip");
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_roundtrip_running);
    tcase_add_test(tc, test_redirty);
    suite_add_tcase(s, tc);

    tc = ram_tcase("zero-pages");
    tcase_add_test(tc, test_zero_pages_free);
    suite_add_tcase(s, tc);

    tc = ram_tcase("corruption");
    tcase_add_test(tc, test_corrupt_every_byte);
    tcase_add_test(tc, test_flip_page_data);
    tcase_add_test(tc, test_truncate_everywhere);
    tcase_add_test(tc, test_bad_version);
    suite_add_tcase(s, tc);

    tc = ram_tcase("block-list");
    tcase_add_test(tc, test_block_size_mismatch);
    tcase_add_test(tc, test_block_unknown);
    tcase_add_test(tc, test_block_missing);
    suite_add_tcase(s, tc);

    tc = ram_tcase("ignore-shared");
    tcase_add_test(tc, test_ignore_shared);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(ram_suite)
