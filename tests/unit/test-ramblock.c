/*
 * test-ramblock.c: RAM blocks from each backend kind, memory-backend
 * objects, machine RAM, and dirty tracking (also under a concurrent
 * writer).
 */
#include "util/osdep.h"
#include "util/error.h"
#include "system/memory-backend.h"
#include "system/user-creatable.h"
#include "tern-check.h"

#include <sys/stat.h>

#define MiB (1024 * 1024)
#define LONG_BITS (sizeof(unsigned long) * CHAR_BIT)

static char *tmpdir;

static void setup(void)
{
    tmpdir = g_dir_make_tmp("test-ramblock-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
}

static void teardown(void)
{
    g_autoptr(GDir) dir = g_dir_open(tmpdir, 0, NULL);
    const char *name;

    ram_block_list_reset();
    memory_backend_reset();
    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(tmpdir, name, NULL);

        unlink(path);
    }
    rmdir(tmpdir);
    g_free(tmpdir);
}

static RAMBlock *add_ok(const char *id, MemoryBackendConfig cfg)
{
    GError *err = NULL;
    RAMBlock *rb = ram_block_add(id, &cfg, &err);

    ck_assert_msg(rb, "%s: %s", id, err ? err->message : "?");
    return rb;
}

/* Asserts that @err is set and its message is @msg; frees it. */
static void check_error(GError *err, const char *msg)
{
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(err->message, msg);
    g_error_free(err);
}

START_TEST(test_ram_private)
{
    RAMBlock *rb = add_ok("pc.ram", (MemoryBackendConfig) {
        .kind = MEMORY_BACKEND_RAM, .size = 2 * MiB,
    });

    ck_assert_str_eq(rb->idstr, "pc.ram");
    ck_assert_uint_eq(rb->used_length, 2 * MiB);
    ck_assert_uint_eq(rb->pages, 512);
    ck_assert_int_eq(rb->fd, -1);
    ck_assert(!rb->shared);
    ck_assert_uint_eq(rb->host[2 * MiB - 1], 0);
    rb->host[12345] = 7;
    ck_assert_ptr_eq(ram_block_by_name("pc.ram"), rb);
    ck_assert_ptr_null(ram_block_by_name("nope"));
    ck_assert_uint_eq(ram_block_count(), 1);
    ck_assert_uint_eq(ram_bytes_total(), 2 * MiB);
}
END_TEST

START_TEST(test_ram_rounding_and_order)
{
    add_ok("a", (MemoryBackendConfig) {
        .kind = MEMORY_BACKEND_RAM, .size = 5000, .share = true,
    });
    add_ok("b", (MemoryBackendConfig) {
        .kind = MEMORY_BACKEND_RAM, .size = 4096, .prealloc = true,
    });
    ck_assert_str_eq(ram_block_first()->idstr, "a");
    ck_assert(ram_block_first()->shared);
    ck_assert_uint_eq(ram_block_first()->used_length, 8192);
    ck_assert_str_eq(ram_block_first()->next->idstr, "b");
    ck_assert_uint_eq(ram_block_count(), 2);
    ck_assert_uint_eq(ram_bytes_total(), 12288);
}
END_TEST

START_TEST(test_memfd)
{
    RAMBlock *rb = add_ok("mem0", (MemoryBackendConfig) {
        .kind = MEMORY_BACKEND_MEMFD, .size = MiB, .share = true,
        .prealloc = true,
    });
    char buf[4] = { 0 };

    ck_assert_int_ge(rb->fd, 0);
    ck_assert(rb->shared);
    memcpy(rb->host + 8192, "tern", 4);
    ck_assert_int_eq(pread(rb->fd, buf, 4, 8192), 4);
    ck_assert(!memcmp(buf, "tern", 4));
}
END_TEST

START_TEST(test_file_shared_second_mapping)
{
    g_autofree char *path = g_build_filename(tmpdir, "guest.ram", NULL);
    MemoryBackendConfig cfg = {
        .kind = MEMORY_BACKEND_FILE, .size = MiB, .share = true,
        .mem_path = path,
    };
    RAMBlock *rb = add_ok("mem0", cfg);
    RAMHostMap other;
    struct stat st;

    ck_assert(ram_host_map("second", &cfg, &other, NULL));
    ck_assert(rb->shared);
    memcpy(rb->host + MiB - 4, "page", 4);
    /* Another mapping of the same file (as another process would). */
    ck_assert(!memcmp(other.host + MiB - 4, "page", 4));
    memcpy(other.host, "back", 4);
    ck_assert(!memcmp(rb->host, "back", 4));
    ram_host_unmap(&other);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, MiB);
}
END_TEST

START_TEST(test_file_private_and_directory)
{
    g_autofree char *path = g_build_filename(tmpdir, "priv.ram", NULL);
    RAMBlock *rb = add_ok("priv", (MemoryBackendConfig) {
        .kind = MEMORY_BACKEND_FILE, .size = MiB, .mem_path = path,
    });
    RAMBlock *dirb = add_ok("dir", (MemoryBackendConfig) {
        .kind = MEMORY_BACKEND_FILE, .size = MiB, .share = true,
        .mem_path = tmpdir, .prealloc = true,
    });
    char buf[4] = { 1, 1, 1, 1 };
    g_autoptr(GDir) dir = NULL;
    unsigned n = 0;

    /* share=off: writes stay private to this mapping. */
    memcpy(rb->host, "priv", 4);
    ck_assert_int_eq(pread(rb->fd, buf, 4, 0), 4);
    ck_assert(!memcmp(buf, "\0\0\0\0", 4));
    /* A directory gets an unlinked temporary file. */
    ck_assert_int_ge(dirb->fd, 0);
    dirb->host[0] = 1;
    dir = g_dir_open(tmpdir, 0, NULL);
    while (g_dir_read_name(dir)) {
        n++;
    }
    ck_assert_uint_eq(n, 1);
}
END_TEST

START_TEST(test_map_errors)
{
    g_autofree char *path = g_build_filename(tmpdir, "short", NULL);
    g_autofree char *missing = g_build_filename(tmpdir, "no/such", NULL);
    GError *err = NULL;
    MemoryBackendConfig huge = {
        .kind = MEMORY_BACKEND_RAM, .size = UINT64_C(1) << 60,
    };
    MemoryBackendConfig cfg = { .kind = MEMORY_BACKEND_RAM, .size = MiB };

    ck_assert_ptr_null(ram_block_add("huge", &huge, &err));
    check_error(err, "cannot set up guest memory 'huge': size "
                "0x1000000000000000 exceeds what the host can provide");
    err = NULL;
    huge.size = UINT64_MAX;
    ck_assert_ptr_null(ram_block_add("max", &huge, &err));
    ck_assert_ptr_nonnull(err);
    g_clear_error(&err);
    add_ok("x", cfg);
    ck_assert_ptr_null(ram_block_add("x", &cfg, &err));
    check_error(err, "RAM block 'x' already exists");
    err = NULL;
    ck_assert(g_file_set_contents(path, "abc", 3, NULL));
    cfg = (MemoryBackendConfig) {
        .kind = MEMORY_BACKEND_FILE, .size = MiB, .mem_path = path,
    };
    ck_assert_ptr_null(ram_block_add("short", &cfg, &err));
    check_error(err, "cannot set up guest memory 'short': backing store "
                "size 0x3 does not match 'size' option 0x100000");
    err = NULL;
    cfg.mem_path = missing;
    ck_assert_ptr_null(ram_block_add("missing", &cfg, &err));
    ck_assert_ptr_nonnull(err);
    ck_assert(g_str_has_prefix(err->message,
                               "cannot set up guest memory 'missing': "));
    g_error_free(err);
    ck_assert_uint_eq(ram_block_count(), 1);
}
END_TEST

/* Creates -object @json through the registry. */
static bool object_add(const char *json, GError **errp)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *props;

    ck_assert(json_parser_load_from_data(parser, json, -1, NULL));
    props = json_node_get_object(json_parser_get_root(parser));
    return user_creatable_add(props, errp);
}

static void object_add_fails(const char *json, const char *msg)
{
    GError *err = NULL;

    ck_assert_msg(!object_add(json, &err), "%s succeeded", json);
    check_error(err, msg);
}

START_TEST(test_backend_objects)
{
    GError *err = NULL;

    memory_backend_register_types();
    ck_assert(object_add("{\"qom-type\": \"memory-backend-ram\", "
                         "\"id\": \"r\", \"size\": \"2M\", "
                         "\"share\": \"on\", \"prealloc\": \"off\"}", &err));
    ck_assert_uint_eq(memory_backend_get_size("r"), 2 * MiB);
    ck_assert(object_add("{\"qom-type\": \"memory-backend-memfd\", "
                         "\"id\": \"m\", \"size\": 1048576, "
                         "\"share\": false}", &err));
    object_add_fails("{\"qom-type\": \"memory-backend-ram\", \"id\": \"r\","
                     " \"size\": \"1M\"}", "Duplicate ID 'r' for object");
    object_add_fails("{\"qom-type\": \"memory-backend-ram\", \"id\": \"z\"}",
                     "Parameter 'size' is missing");
    object_add_fails("{\"qom-type\": \"memory-backend-ram\", \"id\": \"z\","
                     " \"size\": \"0\"}", "can't create backend with size 0");
    object_add_fails("{\"qom-type\": \"memory-backend-ram\", \"id\": \"z\","
                     " \"size\": \"1M\", \"foo\": \"1\"}",
                     "Property 'memory-backend-ram.foo' not found");
    object_add_fails("{\"qom-type\": \"memory-backend-ram\", \"id\": \"z\","
                     " \"size\": \"1M\", \"mem-path\": \"/tmp\"}",
                     "Property 'memory-backend-ram.mem-path' not found");
    object_add_fails("{\"qom-type\": \"memory-backend-ram\", \"id\": \"z\","
                     " \"size\": \"1M\", \"share\": \"maybe\"}",
                     "Parameter 'share' expects 'on' or 'off'");
    object_add_fails("{\"qom-type\": \"memory-backend-ram\", \"id\": \"z\","
                     " \"size\": \"lots\"}", "Parameter 'size' expects a "
                     "non-negative number below 2^64");
    object_add_fails("{\"qom-type\": \"memory-backend-file\", \"id\": \"z\","
                     " \"size\": \"1M\"}", "mem-path property not set");
    ck_assert_uint_eq(memory_backend_get_size("z"), 0);
    ck_assert_uint_eq(ram_block_count(), 0);
}
END_TEST

START_TEST(test_machine_ram)
{
    GError *err = NULL;
    uint64_t size = 4 * MiB;
    MemoryBackendConfig cfg = {
        .kind = MEMORY_BACKEND_MEMFD, .size = 8 * MiB, .share = true,
    };

    ck_assert(memory_backend_new("mem0", &cfg, NULL));
    ck_assert(!machine_ram_init("nope", &size, false, &err));
    check_error(err, "Memory backend 'nope' not found");
    err = NULL;
    ck_assert(!machine_ram_init("mem0", &size, true, &err));
    check_error(err, "Size specified by -m option must match size of "
                "explicitly specified 'memory-backend' property");
    err = NULL;
    ck_assert(machine_ram_init("mem0", &size, false, &err));
    ck_assert_uint_eq(size, 8 * MiB);
    ck_assert_str_eq(ram_block_first()->idstr, "mem0");
    ck_assert(ram_block_first()->shared);
    ck_assert(!machine_ram_init("mem0", &size, false, &err));
    check_error(err, "memory backend 'mem0' can't be used multiple times");
}
END_TEST

START_TEST(test_machine_ram_default)
{
    uint64_t size = 4 * MiB;

    ck_assert(machine_ram_init(NULL, &size, false, NULL));
    ck_assert_str_eq(ram_block_first()->idstr, "pc.ram");
    ck_assert_uint_eq(ram_block_first()->used_length, 4 * MiB);
    ck_assert(!ram_block_first()->shared);
}
END_TEST

static bool bit_test(const unsigned long *map, uint64_t nr)
{
    return map[nr / LONG_BITS] & (1UL << (nr % LONG_BITS));
}

START_TEST(test_dirty_basic)
{
    RAMBlock *rb = add_ok("pc.ram", (MemoryBackendConfig) {
        .kind = MEMORY_BACKEND_RAM, .size = MiB,
    });
    unsigned long dest[256 / LONG_BITS + 1] = { 0 };

    /* Off: writers skip the bitmap. */
    ck_assert(!ram_dirty_tracking_enabled());
    ram_block_mark_dirty(rb, 3);
    ram_dirty_tracking_start();
    ck_assert(ram_dirty_tracking_enabled());
    ck_assert_uint_eq(ram_block_sync_dirty(rb, dest), 0);
    ram_block_mark_dirty(rb, 3);
    ram_block_mark_dirty(rb, 64);
    ram_block_mark_dirty(rb, 255);
    ram_block_mark_dirty(rb, 64);
    ck_assert_uint_eq(ram_block_sync_dirty(rb, dest), 3);
    ck_assert(bit_test(dest, 3) && bit_test(dest, 64) && bit_test(dest, 255));
    ck_assert(!bit_test(dest, 4));
    /* Fetch-and-clear: nothing new the second time. */
    ck_assert_uint_eq(ram_block_sync_dirty(rb, dest), 0);
    /* Already set in dest: not newly set, still set. */
    ram_block_mark_dirty(rb, 3);
    ram_block_mark_dirty(rb, 5);
    ck_assert_uint_eq(ram_block_sync_dirty(rb, dest), 1);
    ck_assert(bit_test(dest, 3) && bit_test(dest, 5));
    /* Start clears what was marked before. */
    ram_block_mark_dirty(rb, 7);
    ram_dirty_tracking_stop();
    ram_block_mark_dirty(rb, 8);
    ram_dirty_tracking_start();
    memset(dest, 0, sizeof(dest));
    ck_assert_uint_eq(ram_block_sync_dirty(rb, dest), 0);
    ram_dirty_tracking_stop();
}
END_TEST

#define RACE_PAGES 1024
#define RACE_LAPS 200

typedef struct RaceWriter {
    RAMBlock *rb;
    bool done;               /* atomic */
} RaceWriter;

/* Writes a growing sequence number over whole pages, then marks them. */
static gpointer race_writer(gpointer opaque)
{
    RaceWriter *rw = opaque;
    uint64_t seq = 0;

    for (unsigned lap = 0; lap < RACE_LAPS; lap++) {
        for (uint64_t p = 0; p < RACE_PAGES; p++) {
            uint64_t *words = (uint64_t *)ram_block_page_host(rw->rb, p);

            seq++;
            for (size_t i = 0; i < TARGET_PAGE_SIZE / 8; i++) {
                __atomic_store_n(&words[i], seq, __ATOMIC_RELAXED);
            }
            ram_block_mark_dirty(rw->rb, p);
        }
    }
    __atomic_store_n(&rw->done, true, __ATOMIC_RELEASE);
    return NULL;
}

/* Copies every page dirty in @dest into @shadow and clears @dest. */
static void copy_dirty(RAMBlock *rb, unsigned long *dest, uint8_t *shadow)
{
    for (uint64_t p = 0; p < rb->pages; p++) {
        if (bit_test(dest, p)) {
            dest[p / LONG_BITS] &= ~(1UL << (p % LONG_BITS));
            memcpy(shadow + (p << TARGET_PAGE_BITS),
                   ram_block_page_host(rb, p), TARGET_PAGE_SIZE);
        }
    }
}

START_TEST(test_dirty_concurrent_writer)
{
    RAMBlock *rb = add_ok("pc.ram", (MemoryBackendConfig) {
        .kind = MEMORY_BACKEND_RAM, .size = RACE_PAGES * TARGET_PAGE_SIZE,
    });
    unsigned long *dest = g_new0(unsigned long, RACE_PAGES / LONG_BITS);
    uint8_t *shadow = g_malloc(rb->used_length);
    RaceWriter rw = { .rb = rb };
    GThread *t;
    uint64_t syncs = 0;

    /* The first pass copies everything, as migration does. */
    ram_dirty_tracking_start();
    memcpy(shadow, rb->host, rb->used_length);
    t = g_thread_new("race-writer", race_writer, &rw);
    while (!__atomic_load_n(&rw.done, __ATOMIC_ACQUIRE)) {
        ram_block_sync_dirty(rb, dest);
        copy_dirty(rb, dest, shadow);
        syncs++;
    }
    g_thread_join(t);
    /* The writer is done: one last sync sends what is left. */
    ram_block_sync_dirty(rb, dest);
    copy_dirty(rb, dest, shadow);
    ck_assert_msg(!memcmp(shadow, rb->host, rb->used_length),
                  "a page written after tracking started was lost");
    ck_assert_uint_gt(syncs, 0);
    ram_dirty_tracking_stop();
    g_free(shadow);
    g_free(dest);
}
END_TEST

static Suite *ramblock_suite(void)
{
    Suite *s = suite_create("ramblock");
    TCase *tc;

    tc = tcase_create("backends");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ram_private);
    tcase_add_test(tc, test_ram_rounding_and_order);
    tcase_add_test(tc, test_memfd);
    tcase_add_test(tc, test_file_shared_second_mapping);
    tcase_add_test(tc, test_file_private_and_directory);
    tcase_add_test(tc, test_map_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("objects");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_backend_objects);
    tcase_add_test(tc, test_machine_ram);
    tcase_add_test(tc, test_machine_ram_default);
    suite_add_tcase(s, tc);

    tc = tcase_create("dirty");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_dirty_basic);
    tcase_add_test(tc, test_dirty_concurrent_writer);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(ramblock_suite)
