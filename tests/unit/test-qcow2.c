/*
 * Unit tests for the qcow2 driver (block/qcow2*.c): create / open / read /
 * write / copy-on-write / zero / discard / resize round trips on temporary
 * files.  Every image tern writes is checked with `qemu-img check` and
 * read back with `qemu-io -c 'read -P ...'` when Debian's qemu-utils is
 * installed (those steps are skipped otherwise); images qemu-img creates
 * (compressed with zlib and zstd, extended L2, backing chains) are read
 * back through tern.
 */
#include "util/osdep.h"

#include <sys/wait.h>

#include "block/block-backend.h"
#include "block/block_int.h"
#include "block/qcow2.h"
#include "util/error.h"
#include "util/json.h"
#include "util/main-loop.h"
#include "tern-check.h"

#define KIB 1024
#define MIB (1024 * 1024)

static char *tmpdir;

static void setup(void)
{
    ck_assert(qemu_init_main_loop(NULL));
    tmpdir = g_dir_make_tmp("tern-qcow2-XXXXXX", NULL);
    ck_assert(tmpdir);
}

static void teardown(void)
{
    tern_check_rmdir(g_steal_pointer(&tmpdir));
}

static char *path_of(const char *name)
{
    return g_build_filename(tmpdir, name, NULL);
}

/* Create with -o style "k=v,k=v" options */
static bool create(const char *path, const char *optstr, GError **errp)
{
    BlockDriver *drv = bdrv_find_format("qcow2");
    g_auto(GStrv) kv = g_strsplit(optstr, ",", -1);
    JsonObject *opts = json_object_new();
    bool ok;

    ck_assert(drv && drv->bdrv_create);
    for (int i = 0; kv[i]; i++) {
        char *eq = strchr(kv[i], '=');
        ck_assert(eq);
        *eq = '\0';
        json_object_set_string_member(opts, kv[i], eq + 1);
    }
    ok = drv->bdrv_create(path, opts, errp);
    json_object_unref(opts);
    return ok;
}

static BlockBackend *open_rw(const char *path, GError **errp)
{
    return blk_new_open(path, "qcow2", BDRV_O_RDWR | BDRV_O_UNMAP, NULL,
                        errp);
}

static bool have_tool(const char *tool)
{
    g_autofree char *p = g_find_program_in_path(tool);
    return p != NULL;
}

/* Run argv; returns the exit status, output in *out (caller frees) */
static int run(const char *const *argv, char **out)
{
    int status = -1;
    g_autoptr(GError) err = NULL;
    char *sout = NULL;
    char *serr = NULL;

    ck_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH,
                           NULL, NULL, &sout, &serr, &status, &err));
    if (out) {
        *out = g_strconcat(sout, serr, NULL);
    }
    g_free(sout);
    g_free(serr);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* `qemu-img check` must find the image clean */
static void qemu_img_check(const char *path)
{
    const char *argv[] = { "qemu-img", "check", "-f", "qcow2", path, NULL };
    g_autofree char *out = NULL;
    int rc;

    if (!have_tool("qemu-img")) {
        return;
    }
    rc = run(argv, &out);
    ck_assert_msg(rc == 0, "qemu-img check %s: rc %d\n%s", path, rc, out);
}

/* `qemu-io -c 'read -P pat off len'` must succeed */
static void qemu_io_read(const char *path, int pat, int64_t off, int64_t len)
{
    g_autofree char *cmd = g_strdup_printf("read -P 0x%x %" PRId64 " %"
                                           PRId64, pat, off, len);
    const char *argv[] = { "qemu-io", "-f", "qcow2", "-c", cmd, path, NULL };
    g_autofree char *out = NULL;
    int rc;

    if (!have_tool("qemu-io")) {
        return;
    }
    rc = run(argv, &out);
    ck_assert_msg(rc == 0 && !strstr(out, "Pattern verification failed"),
                  "qemu-io %s %s: rc %d\n%s", path, cmd, rc, out);
}

static void write_pattern(BlockBackend *blk, int64_t off, int64_t len,
                          int pat)
{
    g_autofree uint8_t *buf = g_malloc(len);

    memset(buf, pat, len);
    ck_assert_int_eq(blk_pwrite(blk, off, len, buf, 0), 0);
}

static void assert_pattern(BlockBackend *blk, int64_t off, int64_t len,
                           int pat)
{
    g_autofree uint8_t *buf = g_malloc(len);

    ck_assert_int_eq(blk_pread(blk, off, len, buf, 0), 0);
    /* one assertion per buffer: Check records every assertion it runs */
    int64_t i = 0;

    while (i < len && buf[i] == pat) {
        i++;
    }
    ck_assert_msg(i == len, "offset %" PRId64 ": 0x%x != 0x%x", off + i,
                  i < len ? buf[i] : pat, pat);
}

/* Write a few patterns, read back, close, check with QEMU's tools */
static void round_trip(const char *optstr)
{
    g_autofree char *img = path_of("rt.qcow2");
    g_autoptr(GError) err = NULL;
    BlockBackend *blk;

    ck_assert_msg(create(img, optstr, &err), "%s: %s", optstr,
                  err ? err->message : "");
    blk = open_rw(img, &err);
    ck_assert_msg(blk, "%s", err ? err->message : "");
    write_pattern(blk, 0, 128 * KIB, 0xab);
    write_pattern(blk, MIB + 100, 3000, 0xcd);      /* unaligned */
    write_pattern(blk, 7 * MIB, 2 * MIB, 0x11);     /* multi cluster */
    assert_pattern(blk, 0, 128 * KIB, 0xab);
    assert_pattern(blk, MIB, 100, 0);
    assert_pattern(blk, MIB + 100, 3000, 0xcd);
    assert_pattern(blk, MIB + 3100, 1000, 0);
    assert_pattern(blk, 7 * MIB, 2 * MIB, 0x11);
    assert_pattern(blk, 4 * MIB, 64 * KIB, 0);
    ck_assert_int_eq(blk_flush(blk), 0);
    blk_unref(blk);

    qemu_img_check(img);
    qemu_io_read(img, 0xab, 0, 128 * KIB);
    qemu_io_read(img, 0xcd, MIB + 100, 3000);
    qemu_io_read(img, 0x11, 7 * MIB, 2 * MIB);

    blk = open_rw(img, &err);
    ck_assert(blk);
    assert_pattern(blk, 7 * MIB, 2 * MIB, 0x11);
    blk_unref(blk);
    unlink(img);
}

START_TEST(test_round_trip_default)
{
    round_trip("size=16M");
}
END_TEST

static const char *const option_sets[] = {
    "size=16M,cluster_size=512",
    "size=16M,cluster_size=2M",
    "size=16M,compat=0.10",
    "size=16M,refcount_bits=1",
    "size=16M,refcount_bits=64",
    "size=16M,refcount_bits=8,cluster_size=4k",
    "size=16M,lazy_refcounts=on",
    "size=16M,extended_l2=on",
    "size=16M,extended_l2=on,cluster_size=2M",
    "size=16M,compression_type=zstd",
    "size=16M,preallocation=metadata",
    "size=16M,preallocation=full,cluster_size=4k",
};

START_TEST(test_round_trip_options)
{
    round_trip(option_sets[_i]);
}
END_TEST

START_TEST(test_create_errors)
{
    g_autofree char *img = path_of("bad.qcow2");
    static const struct {
        const char *opts;
        const char *msg;
    } cases[] = {
        { "size=1M,cluster_size=256", "Cluster size must be a power of two" },
        { "size=1M,cluster_size=4M", "Cluster size must be a power of two" },
        { "size=1M,refcount_bits=3", "Refcount width must be a power" },
        { "size=1M,refcount_bits=128", "Refcount width must be a power" },
        { "size=1M,compat=0.10,lazy_refcounts=on", "Lazy refcounts only" },
        { "size=1M,extended_l2=on,cluster_size=4k", "Extended L2 entries" },
        { "size=1M,backing_fmt=raw", "Backing format cannot be used" },
        { "cluster_size=4k", "Parameter 'size' is required" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autoptr(GError) err = NULL;
        ck_assert(!create(img, cases[i].opts, &err));
        ck_assert_msg(err && strstr(err->message, cases[i].msg),
                      "%s: %s", cases[i].opts, err ? err->message : "");
    }
}
END_TEST

/* Copy-on-write from a backing file: partial cluster writes keep the rest */
START_TEST(test_backing_cow)
{
    g_autofree char *base = path_of("base.qcow2");
    g_autofree char *top = path_of("top.qcow2");
    g_autoptr(GError) err = NULL;
    BlockBackend *blk;

    ck_assert(create(base, "size=4M", &err));
    blk = open_rw(base, &err);
    ck_assert(blk);
    write_pattern(blk, 0, 4 * MIB, 0x55);
    blk_unref(blk);
    /* relative name, resolved against the overlay's directory */
    ck_assert_msg(create(top, "size=8M,backing_file=base.qcow2,"
                         "backing_fmt=qcow2", &err), "%s",
                  err ? err->message : "");
    blk = open_rw(top, &err);
    ck_assert_msg(blk, "%s", err ? err->message : "");
    ck_assert(blk_bs(blk)->backing);
    write_pattern(blk, 64 * KIB + 512, 512, 0x77);
    assert_pattern(blk, 64 * KIB, 512, 0x55);
    assert_pattern(blk, 64 * KIB + 512, 512, 0x77);
    assert_pattern(blk, 64 * KIB + 1024, 63 * KIB, 0x55);
    assert_pattern(blk, 4 * MIB, 4 * MIB, 0);       /* past the backing */
    ck_assert_int_eq(blk_pwrite_zeroes(blk, 2 * MIB, 64 * KIB, 0), 0);
    assert_pattern(blk, 2 * MIB, 64 * KIB, 0);
    ck_assert_int_eq(blk_pdiscard(blk, 3 * MIB, 128 * KIB), 0);
    assert_pattern(blk, 3 * MIB, 128 * KIB, 0);     /* not the backing */
    blk_unref(blk);
    qemu_img_check(top);
    qemu_io_read(top, 0x77, 64 * KIB + 512, 512);
    qemu_io_read(top, 0x55, 64 * KIB + 1024, 63 * KIB);
    qemu_io_read(top, 0x00, 2 * MIB, 64 * KIB);
    qemu_io_read(top, 0x00, 3 * MIB, 128 * KIB);
}
END_TEST

static void zero_discard(const char *optstr, bool v3)
{
    g_autofree char *img = path_of("zero.qcow2");
    g_autoptr(GError) err = NULL;
    BlockBackend *blk;
    int64_t pnum = 0;
    int ret;

    ck_assert(create(img, optstr, &err));
    blk = open_rw(img, &err);
    ck_assert(blk);
    write_pattern(blk, 0, 2 * MIB, 0x99);
    ck_assert_int_eq(blk_pwrite_zeroes(blk, 0, 256 * KIB, 0), 0);
    ck_assert_int_eq(blk_pwrite_zeroes(blk, 300 * KIB, 1000, 0), 0);
    ck_assert_int_eq(blk_pdiscard(blk, 512 * KIB, 512 * KIB), 0);
    assert_pattern(blk, 0, 256 * KIB, 0);
    assert_pattern(blk, 256 * KIB, 44 * KIB, 0x99);
    assert_pattern(blk, 300 * KIB, 1000, 0);
    assert_pattern(blk, 300 * KIB + 1000, 100 * KIB, 0x99);
    assert_pattern(blk, 512 * KIB, 512 * KIB, 0);
    assert_pattern(blk, MIB, MIB, 0x99);
    ret = bdrv_block_status(blk_bs(blk), 0, 256 * KIB, &pnum, NULL, NULL);
    ck_assert_int_ge(ret, 0);
    /* v3 has the zero flag; v2 falls back to writing zeroes */
    ck_assert(!v3 || (ret & BDRV_BLOCK_ZERO));
    blk_unref(blk);
    qemu_img_check(img);
    qemu_io_read(img, 0, 0, 256 * KIB);
    qemu_io_read(img, 0x99, MIB, MIB);
}

START_TEST(test_zero_discard)
{
    zero_discard("size=4M", true);
    zero_discard("size=4M,extended_l2=on", true);
    zero_discard("size=4M,compat=0.10", false);
}
END_TEST

/* The host offset guest @off maps to (data clusters) */
static int64_t host_of(BlockBackend *blk, int64_t off)
{
    int64_t pnum = 0, map = -1;
    BlockDriverState *file = NULL;
    int ret = bdrv_block_status(blk_bs(blk), off, 512, &pnum, &map, &file);

    ck_assert_int_ge(ret, 0);
    ck_assert(ret & BDRV_BLOCK_OFFSET_VALID);
    return map;
}

/*
 * An in-place write runs without the driver lock; should a discard free
 * its cluster meanwhile, the cluster must not be handed out again before
 * the write ends (its data would land in someone else's cluster).
 */
START_TEST(test_busy_cluster_not_reused)
{
    g_autofree char *img = path_of("busy.qcow2");
    g_autoptr(GError) err = NULL;
    BlockBackend *blk;
    BDRVQcow2State *s;
    int64_t busy;

    ck_assert(create(img, "size=8M", &err));
    blk = open_rw(img, &err);
    ck_assert(blk);
    s = blk_bs(blk)->opaque;
    write_pattern(blk, 0, 64 * KIB, 0x31);
    busy = host_of(blk, 0);
    /* as an unlocked overwrite of guest cluster 0 still running */
    qcow2_inflight_writes(s, busy, 64 * KIB, 1);
    ck_assert_int_eq(blk_pdiscard(blk, 0, 64 * KIB), 0);
    write_pattern(blk, MIB, 64 * KIB, 0x32);
    ck_assert_int_ne(host_of(blk, MIB), busy);
    /* once it is done, the freed cluster is the first one taken again */
    qcow2_inflight_writes(s, busy, 64 * KIB, -1);
    write_pattern(blk, 2 * MIB, 64 * KIB, 0x33);
    ck_assert_int_eq(host_of(blk, 2 * MIB), busy);
    assert_pattern(blk, MIB, 64 * KIB, 0x32);
    blk_unref(blk);
    qemu_img_check(img);
}
END_TEST

START_TEST(test_resize)
{
    g_autofree char *img = path_of("resize.qcow2");
    g_autoptr(GError) err = NULL;
    BlockBackend *blk;

    ck_assert(create(img, "size=1M,cluster_size=4k", &err));
    blk = open_rw(img, &err);
    ck_assert(blk);
    write_pattern(blk, 0, MIB, 0x21);
    ck_assert_msg(blk_truncate(blk, 64 * MIB, false, PREALLOC_MODE_OFF,
                               &err), "%s", err ? err->message : "");
    ck_assert_int_eq(blk_getlength(blk), 64 * MIB);
    write_pattern(blk, 63 * MIB, MIB, 0x22);
    assert_pattern(blk, 0, MIB, 0x21);
    assert_pattern(blk, MIB, MIB, 0);
    blk_unref(blk);
    qemu_img_check(img);
    qemu_io_read(img, 0x22, 63 * MIB, MIB);

    blk = open_rw(img, &err);
    ck_assert(blk);
    ck_assert(blk_truncate(blk, 2 * MIB, false, PREALLOC_MODE_OFF, &err));
    ck_assert_int_eq(blk_getlength(blk), 2 * MIB);
    assert_pattern(blk, 0, MIB, 0x21);
    blk_unref(blk);
    qemu_img_check(img);
}
END_TEST

/* Many small clusters: the refcount table must grow (self-describing) */
START_TEST(test_refcount_growth)
{
    g_autofree char *img = path_of("grow.qcow2");
    g_autoptr(GError) err = NULL;
    BlockBackend *blk;

    ck_assert(create(img, "size=64M,cluster_size=512,refcount_bits=64",
                     &err));
    blk = open_rw(img, &err);
    ck_assert(blk);
    for (int i = 0; i < 64; i++) {
        write_pattern(blk, (int64_t)i * MIB, 64 * KIB, i + 1);
    }
    for (int i = 0; i < 64; i++) {
        assert_pattern(blk, (int64_t)i * MIB, 64 * KIB, i + 1);
    }
    blk_unref(blk);
    qemu_img_check(img);
    qemu_io_read(img, 64, 63 * MIB, 64 * KIB);
}
END_TEST

/* Images written by qemu-img/qemu-io read back exactly through tern */
static void qemu_made(const char *create_opts, bool compress)
{
    g_autofree char *raw = path_of("src.raw");
    g_autofree char *img = path_of("qemu.qcow2");
    g_autofree char *pat = NULL;
    g_autoptr(GError) err = NULL;
    const char *mk[] = { "qemu-img", "create", "-f", "raw", raw, "4M", NULL };
    const char *wr[] = { "qemu-io", "-f", "raw", "-c",
                         "write -P 0x3c 64k 1M", raw, NULL };
    const char *cv[] = { "qemu-img", "convert", "-f", "raw", "-O", "qcow2",
                         "-o", create_opts, compress ? "-c" : "-q",
                         raw, img, NULL };
    BlockBackend *blk;

    if (!have_tool("qemu-img") || !have_tool("qemu-io")) {
        return;
    }
    ck_assert_int_eq(run(mk, NULL), 0);
    ck_assert_int_eq(run(wr, NULL), 0);
    ck_assert_int_eq(run(cv, &pat), 0);
    blk = blk_new_open(img, NULL, 0, NULL, &err);
    ck_assert_msg(blk, "%s", err ? err->message : "");
    assert_pattern(blk, 0, 64 * KIB, 0);
    assert_pattern(blk, 64 * KIB, MIB, 0x3c);
    assert_pattern(blk, MIB + 64 * KIB, 2 * MIB, 0);
    blk_unref(blk);
    if (!compress) {
        blk = open_rw(img, &err);
        ck_assert(blk);
        write_pattern(blk, 100 * KIB, 10, 0x5a);
        blk_unref(blk);
        qemu_img_check(img);
        qemu_io_read(img, 0x5a, 100 * KIB, 10);
    }
}

START_TEST(test_qemu_images)
{
    qemu_made("compression_type=zlib", true);
    qemu_made("compression_type=zstd", true);
    qemu_made("extended_l2=on", false);
    qemu_made("compat=0.10", false);
    qemu_made("cluster_size=512,refcount_bits=1", false);
}
END_TEST

static void poke_be64(const char *path, off_t off, uint64_t v)
{
    int fd = open(path, O_RDWR);

    v = GUINT64_TO_BE(v);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, &v, 8, off), 8);
    close(fd);
}

START_TEST(test_open_errors)
{
    g_autofree char *img = path_of("feat.qcow2");
    g_autoptr(GError) err = NULL;
    BlockBackend *blk;

    ck_assert(create(img, "size=1M", &err));
    poke_be64(img, offsetof(QCowHeader, incompatible_features), 1ULL << 40);
    blk = open_rw(img, &err);
    ck_assert(!blk);
    ck_assert_msg(strstr(err->message, "Unsupported qcow2 feature(s): "
                         "Unknown incompatible feature: 10000000000"),
                  "%s", err->message);
    g_clear_error(&err);

    poke_be64(img, offsetof(QCowHeader, incompatible_features),
              QCOW2_INCOMPAT_CORRUPT);
    blk = open_rw(img, &err);
    ck_assert(!blk);
    ck_assert_msg(strstr(err->message, "qcow2: Image is corrupt; cannot be "
                         "opened read/write"), "%s", err->message);
    g_clear_error(&err);
    blk = blk_new_open(img, "qcow2", 0, NULL, &err);
    ck_assert_msg(blk, "%s", err ? err->message : "");
    blk_unref(blk);
}
END_TEST

/* A metadata write over the L1 table is refused and marks the image */
START_TEST(test_overlap_check)
{
    g_autofree char *img = path_of("ol.qcow2");
    g_autoptr(GError) err = NULL;
    BlockBackend *blk;
    BDRVQcow2State *s;

    ck_assert(create(img, "size=1M", &err));
    blk = open_rw(img, &err);
    ck_assert(blk);
    s = blk_bs(blk)->opaque;
    ck_assert_int_eq(qcow2_check_metadata_overlap(blk_bs(blk), 0,
                                                  s->l1_table_offset, 8),
                     QCOW2_OL_ACTIVE_L1);
    ck_assert_int_eq(qcow2_check_metadata_overlap(blk_bs(blk), 0, 0, 8),
                     QCOW2_OL_MAIN_HEADER);
    ck_assert_int_eq(qcow2_pre_write_overlap_check(blk_bs(blk), 0,
                                                   s->refcount_table_offset,
                                                   512), -EIO);
    ck_assert(s->incompatible_features & QCOW2_INCOMPAT_CORRUPT);
    ck_assert_int_lt(blk_pwrite(blk, 0, 512, "x", 0), 0);
    blk_unref(blk);
    blk = open_rw(img, &err);
    ck_assert(!blk);
    g_clear_error(&err);
}
END_TEST

static Suite *qcow2_suite(void)
{
    Suite *s = suite_create("qcow2");
    TCase *tc;

    tc = tcase_create("round-trip");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_round_trip_default);
    tcase_add_loop_test(tc, test_round_trip_options, 0,
                        ARRAY_SIZE(option_sets));
    suite_add_tcase(s, tc);

    tc = tcase_create("create");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_create_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("cow");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_backing_cow);
    tcase_add_test(tc, test_zero_discard);
    tcase_add_test(tc, test_busy_cluster_not_reused);
    suite_add_tcase(s, tc);

    tc = tcase_create("resize");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_resize);
    tcase_add_test(tc, test_refcount_growth);
    suite_add_tcase(s, tc);

    tc = tcase_create("interop");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_qemu_images);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_open_errors);
    tcase_add_test(tc, test_overlap_check);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(qcow2_suite)
