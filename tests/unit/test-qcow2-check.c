/*
 * test-qcow2-check.c: qcow2 check and repair (block/qcow2-refcount-check.c).
 *
 * The images come from tests/data/qcow2/make-hostile.py, built afresh in a
 * temporary directory.  The expected counts are those of Debian's
 * qemu-img check (QEMU 7.2; the algorithm is unchanged in 10.0); when
 * qemu-img is installed the test also runs it on the same image and
 * compares, and checks that tern's repair leaves an image qemu-img finds
 * clean.
 */
#include "util/osdep.h"

#include <glib/gstdio.h>

#include "block/block.h"
#include "block/block_int.h"
#include "block/block-backend.h"
#include "util/main-loop.h"
#include "tern-check.h"

typedef struct CheckCase {
    const char *name;
    int corruptions;
    int leaks;
    int64_t end;            /* image_end_offset; 0: not compared */
} CheckCase;

/*
 * qemu-img check --output=json on each image (QEMU 7.2).  l1-past-eof,
 * reftable-past-eof and snapshots-past-eof are missing: QEMU opens them,
 * tern refuses them (test_refused).
 */
static const CheckCase check_cases[] = {
    { "base", 0, 0, 393216 },
    { "compressed-garbage", 0, 0, 393216 },
    { "compressed-past-eof", 1, 1, 393216 },
    { "copied-mismatch", 1, 0, 393216 },
    { "l1-entry-unaligned", 2, 0, 393216 },
    { "l1-into-header", 6, 2, 393216 },
    { "l2-into-header", 3, 1, 393216 },
    { "l2-into-reftable", 1, 1, 393216 },
    { "l2-reserved-bits", 1, 0, 393216 },
    { "overlap-l1-reftable", 6, 3, 393216 },
    { "refblock-missing", 7, 0, 393216 },
    { "refblock-past-eof", 8, 0, 393216 },
    { "refblock-unaligned", 1, 1, 393216 },
    { "refcount-leak", 0, 1, 458752 },
    { "refcount-too-low", 2, 0, 393216 },
    { "v2-incompat-bits", 0, 0, 393216 },
};

static char *img_dir;

static void setup(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *script = g_build_filename(QCHECK_SRCDIR, "tests",
                                               "data", "qcow2",
                                               "make-hostile.py", NULL);
    const char *argv[] = { QCHECK_PYTHON, script, NULL, NULL };
    int status = 0;

    ck_assert_msg(qemu_init_main_loop(&err), "%s", err ? err->message : "");
    img_dir = g_dir_make_tmp("qcheck-XXXXXX", &err);
    ck_assert_msg(img_dir, "%s", err ? err->message : "");
    argv[2] = img_dir;
    ck_assert_msg(g_spawn_sync(NULL, (char **)argv, NULL,
                               G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                               NULL, NULL, &status, &err),
                  "%s", err ? err->message : "");
    ck_assert_msg(g_spawn_check_wait_status(status, NULL),
                  "make-hostile.py failed");
}

static void teardown(void)
{
    g_autoptr(GDir) dir = g_dir_open(img_dir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(img_dir, name, NULL);
        g_unlink(path);
    }
    g_rmdir(img_dir);
    g_clear_pointer(&img_dir, g_free);
}

static char *img_path(const char *name)
{
    g_autofree char *file = g_strconcat(name, ".qcow2", NULL);

    return g_build_filename(img_dir, file, NULL);
}

typedef struct CheckRun {
    BlockDriverState *bs;
    BdrvCheckResult res;
    BdrvCheckMode fix;
    int ret;
    bool done;
} CheckRun;

static void coroutine_fn check_co(void *opaque)
{
    CheckRun *run = opaque;

    run->ret = run->bs->drv->bdrv_co_check(run->bs, &run->res, run->fix);
    run->done = true;
}

/* Opens @path as qcow2 and checks it; returns the check's return value */
static int run_check(const char *path, BdrvCheckMode fix,
                     BdrvCheckResult *res)
{
    g_autoptr(GError) err = NULL;
    CheckRun run = { .fix = fix };

    run.bs = bdrv_open_image(path, "qcow2", fix ? BDRV_O_RDWR : 0, NULL,
                             &err);
    ck_assert_msg(run.bs, "cannot open '%s': %s", path,
                  err ? err->message : "?");
    ck_assert_ptr_nonnull(run.bs->drv->bdrv_co_check);
    qemu_coroutine_enter(qemu_coroutine_create(check_co, &run));
    while (!run.done) {
        aio_poll(qemu_get_aio_context(), true);
    }
    bdrv_unref(run.bs);
    *res = run.res;
    return run.ret;
}

/* qemu-img check's counts, or false when qemu-img is not installed */
static bool qemu_img_check(const char *path, int *corruptions, int *leaks,
                           int *check_errors)
{
    g_autofree char *qemu_img = g_find_program_in_path("qemu-img");
    g_autofree char *out = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *obj;
    int status;
    const char *argv[] = { qemu_img, "check", "-f", "qcow2",
                           "--output=json", path, NULL };

    if (!qemu_img) {
        return false;
    }
    ck_assert(g_spawn_sync(NULL, (char **)argv, NULL,
                           G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                           NULL, &status, NULL));
    ck_assert_msg(json_parser_load_from_data(parser, out, -1, NULL),
                  "qemu-img check output: %s", out);
    obj = json_node_get_object(json_parser_get_root(parser));
    *corruptions = json_object_get_int_member_with_default(obj,
                                                           "corruptions", 0);
    *leaks = json_object_get_int_member_with_default(obj, "leaks", 0);
    *check_errors = json_object_get_int_member_with_default(obj,
                                                            "check-errors",
                                                            0);
    return true;
}

START_TEST(test_counts)
{
    const CheckCase *cc = &check_cases[_i];
    g_autofree char *path = img_path(cc->name);
    BdrvCheckResult res;

    ck_assert_int_eq(run_check(path, 0, &res), 0);
    ck_assert_msg(res.corruptions == cc->corruptions &&
                  res.leaks == cc->leaks && res.check_errors == 0,
                  "%s: corruptions %d leaks %d errors %d, want %d %d 0",
                  cc->name, res.corruptions, res.leaks, res.check_errors,
                  cc->corruptions, cc->leaks);
    ck_assert_int_eq(res.corruptions_fixed + res.leaks_fixed, 0);
    if (cc->end) {
        ck_assert_int_eq(res.image_end_offset, cc->end);
    }
}
END_TEST

START_TEST(test_frag_info)
{
    g_autofree char *base = img_path("base");
    g_autofree char *comp = img_path("compressed-garbage");
    BdrvCheckResult res;

    ck_assert_int_eq(run_check(base, 0, &res), 0);
    ck_assert_int_eq(res.bfi.total_clusters, 16);
    ck_assert_int_eq(res.bfi.allocated_clusters, 1);
    ck_assert_int_eq(res.bfi.fragmented_clusters, 0);
    ck_assert_int_eq(res.bfi.compressed_clusters, 0);
    ck_assert_int_eq(run_check(comp, 0, &res), 0);
    ck_assert_int_eq(res.bfi.compressed_clusters, 1);
    ck_assert_int_eq(res.bfi.fragmented_clusters, 1);
}
END_TEST

START_TEST(test_same_as_qemu_img)
{
    const CheckCase *cc = &check_cases[_i];
    g_autofree char *path = img_path(cc->name);
    BdrvCheckResult res;
    int corruptions, leaks, errors;

    if (!qemu_img_check(path, &corruptions, &leaks, &errors)) {
        return;     /* qemu-img not installed: the table above stands */
    }
    ck_assert_int_eq(run_check(path, 0, &res), 0);
    ck_assert_msg(res.corruptions == corruptions && res.leaks == leaks &&
                  res.check_errors == errors,
                  "%s: tern %d/%d/%d, qemu-img %d/%d/%d", cc->name,
                  res.corruptions, res.leaks, res.check_errors,
                  corruptions, leaks, errors);
}
END_TEST

typedef struct RepairCase {
    const char *name;
    BdrvCheckMode fix;
    int corruptions_fixed;      /* -1: some; -2: not compared */
    int leaks_fixed;
} RepairCase;

#define FIX_ALL (BDRV_FIX_LEAKS | BDRV_FIX_ERRORS)

/* what qemu-img check -r does to the same images */
static const RepairCase repair_cases[] = {
    { "refcount-leak", BDRV_FIX_LEAKS, 0, 1 },
    { "refcount-leak", FIX_ALL, 0, 1 },
    { "copied-mismatch", FIX_ALL, 1, 0 },
    { "copied-mismatch", BDRV_FIX_LEAKS, 1, 0 },
    { "refcount-too-low", FIX_ALL, 1, -2 },
    { "refblock-missing", FIX_ALL, 5, -2 },
    { "refblock-unaligned", FIX_ALL, -1, -2 },
};

static void assert_fixed(const char *what, int got, int want)
{
    if (want == -2) {
        return;
    }
    if (want == -1) {
        ck_assert_msg(got > 0, "%s: nothing fixed", what);
    } else {
        ck_assert_msg(got == want, "%s: fixed %d, want %d", what, got, want);
    }
}

START_TEST(test_repair)
{
    const RepairCase *rc = &repair_cases[_i];
    g_autofree char *path = img_path(rc->name);
    BdrvCheckResult res;
    int corruptions, leaks, errors;

    ck_assert_int_eq(run_check(path, rc->fix, &res), 0);
    assert_fixed("corruptions", res.corruptions_fixed,
                 rc->corruptions_fixed);
    assert_fixed("leaks", res.leaks_fixed, rc->leaks_fixed);
    ck_assert_int_eq(res.corruptions + res.leaks + res.check_errors, 0);
    /* a second check finds a clean image, and so does qemu-img */
    ck_assert_int_eq(run_check(path, 0, &res), 0);
    ck_assert_msg(res.corruptions + res.leaks + res.check_errors == 0,
                  "%s after repair: %d/%d/%d", rc->name, res.corruptions,
                  res.leaks, res.check_errors);
    if (qemu_img_check(path, &corruptions, &leaks, &errors)) {
        ck_assert_msg(corruptions + leaks + errors == 0,
                      "qemu-img check after repair of %s: %d/%d/%d",
                      rc->name, corruptions, leaks, errors);
    }
}
END_TEST

/* Repair rebuilds refcounts around the guest's data, never over it */
START_TEST(test_repair_keeps_data)
{
    g_autofree char *path = img_path(repair_cases[_i].name);
    g_autoptr(GError) err = NULL;
    g_autofree uint8_t *buf = g_malloc(65536);
    BdrvCheckResult res;
    BlockBackend *blk;
    size_t i;

    ck_assert_int_eq(run_check(path, repair_cases[_i].fix, &res), 0);
    blk = blk_new_open(path, "qcow2", 0, NULL, &err);
    ck_assert_msg(blk, "%s", err ? err->message : "");
    ck_assert_int_eq(blk_pread(blk, 0, 65536, buf, 0), 0);
    for (i = 0; i < 65536; i++) {
        ck_assert_msg(buf[i] == 0xa5, "%s: byte %zu is 0x%02x",
                      repair_cases[_i].name, i, buf[i]);
    }
    ck_assert_int_eq(blk_pread(blk, 65536, 65536, buf, 0), 0);
    ck_assert(buf[0] == 0 && !memcmp(buf, buf + 1, 65535));
    blk_unref(blk);
}
END_TEST

/* Images the driver refuses never reach the check: a clear error */
static const char *const refused[] = {
    "bad-magic", "empty", "truncated-header", "version-1", "version-4",
    "unknown-incompat", "cluster-bits-8", "cluster-bits-22",
    "l1-size-absurd", "reftable-huge", "refcount-order-7",
    "header-length-small", "backing-past-cluster", "ext-huge-length",
    "snapshots-too-many", "l1-past-eof", "reftable-past-eof",
    "snapshots-past-eof",
};

START_TEST(test_refused)
{
    g_autofree char *path = img_path(refused[_i]);
    g_autoptr(GError) err = NULL;
    BlockDriverState *bs;

    bs = bdrv_open_image(path, "qcow2", 0, NULL, &err);
    ck_assert_msg(!bs, "%s opened", refused[_i]);
    ck_assert_msg(err && err->message[0] && !strchr(err->message, '\n'),
                  "%s: unclear error", refused[_i]);
}
END_TEST

static Suite *qcow2_check_suite(void)
{
    Suite *s = suite_create("qcow2-check");
    TCase *tc;

    tc = tcase_create("counts");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_counts, 0, G_N_ELEMENTS(check_cases));
    tcase_add_test(tc, test_frag_info);
    suite_add_tcase(s, tc);

    tc = tcase_create("qemu-img");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_same_as_qemu_img, 0,
                        G_N_ELEMENTS(check_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("repair");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_repair, 0, G_N_ELEMENTS(repair_cases));
    tcase_add_loop_test(tc, test_repair_keeps_data, 0,
                        G_N_ELEMENTS(repair_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("refused");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_refused, 0, G_N_ELEMENTS(refused));
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(qcow2_check_suite)
