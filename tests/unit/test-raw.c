/*
 * Unit tests for the raw format driver (block/raw-format.c): the offset /
 * size window over its file, out-of-range requests, open errors, resize,
 * block status passthrough, probing and image creation.
 */
#include "util/osdep.h"

#include <linux/falloc.h>
#include <sys/stat.h>

#include "block/block-backend.h"
#include "block/block_int.h"
#include "qapi/qapi-visit-block-core.h"
#include "util/error.h"
#include "util/json.h"
#include "util/main-loop.h"
#include "tern-check.h"

#define KIB 1024
#define MIB (1024 * 1024)

static char *tmpdir;
static char *img;

static void setup(void)
{
    uint8_t *buf = g_malloc(MIB);
    int fd;

    ck_assert(qemu_init_main_loop(NULL));
    tmpdir = g_dir_make_tmp("tern-raw-XXXXXX", NULL);
    img = g_build_filename(tmpdir, "base.img", NULL);
    for (int i = 0; i < MIB; i++) {
        buf[i] = (uint8_t)(i / 512);    /* each sector holds its index */
    }
    fd = open(img, O_RDWR | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, buf, MIB, 0), MIB);
    close(fd);
    g_free(buf);
}

static void teardown(void)
{
    tern_check_rmdir(g_steal_pointer(&tmpdir));
    g_free(img);
}

static BlockBackend *open_raw(const char *window, GError **errp)
{
    g_autofree char *json = g_strdup_printf(
        "{\"driver\": \"raw\", \"file\": {\"driver\": \"file\", "
        "\"filename\": \"%s\"}%s%s}", img, window ? ", " : "",
        window ? window : "");
    g_autoptr(GError) perr = NULL;
    JsonNode *node = json_parse_string(json, &perr);
    BlockdevOptions *opts;
    BlockDriverState *bs;
    BlockBackend *blk;

    ck_assert(node);
    opts = qapi_BlockdevOptions_from_json(node, QAPI_INPUT_NONE, errp);
    json_node_unref(node);
    if (!opts) {
        return NULL;
    }
    bs = bdrv_open_blockdev(opts, BDRV_O_RDWR, errp);
    qapi_free_BlockdevOptions(opts);
    if (!bs) {
        return NULL;
    }
    blk = blk_new(BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE |
                  BLK_PERM_RESIZE, BLK_PERM_ALL);
    if (!blk_insert_bs(blk, bs, errp)) {
        blk_unref(blk);
        bdrv_unref(bs);
        return NULL;
    }
    bdrv_unref(bs);
    return blk;
}

static BlockBackend *open_raw_ok(const char *window)
{
    g_autoptr(GError) err = NULL;
    BlockBackend *blk = open_raw(window, &err);

    ck_assert_msg(blk, "%s", err ? err->message : "");
    return blk;
}

static uint8_t file_byte(int64_t offset)
{
    uint8_t b = 0;
    int fd = open(img, O_RDONLY);

    ck_assert_int_eq(pread(fd, &b, 1, offset), 1);
    close(fd);
    return b;
}

START_TEST(test_whole_file)
{
    BlockBackend *blk = open_raw_ok(NULL);
    uint8_t buf[512];

    ck_assert_int_eq(blk_getlength(blk), MIB);
    ck_assert_int_eq(blk_pread(blk, 7 * 512, 512, buf, 0), 0);
    ck_assert_int_eq(buf[0], 7);
    ck_assert_str_eq(bdrv_get_format_name(blk_bs(blk)), "raw");
    blk_unref(blk);
}
END_TEST

START_TEST(test_window_rw)
{
    BlockBackend *blk = open_raw_ok("\"offset\": 65536, \"size\": 131072");
    uint8_t buf[512];

    ck_assert_int_eq(blk_getlength(blk), 128 * KIB);
    /* offset 0 of the window is sector 128 of the file */
    ck_assert_int_eq(blk_pread(blk, 0, 512, buf, 0), 0);
    ck_assert_int_eq(buf[0], 128);
    ck_assert_int_eq(blk_pread(blk, 128 * KIB - 512, 512, buf, 0), 0);
    ck_assert_int_eq(buf[511], (128 + 255) & 0xff);
    memset(buf, 0xee, sizeof(buf));
    ck_assert_int_eq(blk_pwrite(blk, 512, 512, buf, 0), 0);
    ck_assert_int_eq(blk_flush(blk), 0);
    ck_assert_int_eq(file_byte(64 * KIB + 512), 0xee);
    ck_assert_int_eq(file_byte(64 * KIB + 511), 128);
    ck_assert_int_eq(file_byte(64 * KIB + 1024), 130);
    blk_unref(blk);
}
END_TEST

START_TEST(test_window_out_of_range)
{
    BlockBackend *blk = open_raw_ok("\"offset\": 65536, \"size\": 131072");
    uint8_t buf[1024];

    memset(buf, 0x11, sizeof(buf));
    ck_assert_int_lt(blk_pread(blk, 128 * KIB - 512, 1024, buf, 0), 0);
    ck_assert_int_lt(blk_pwrite(blk, 128 * KIB - 512, 1024, buf, 0), 0);
    ck_assert_int_lt(blk_pwrite(blk, 128 * KIB, 512, buf, 0), 0);
    /* nothing leaked past the window */
    ck_assert_int_eq(file_byte(192 * KIB), 384 & 0xff);
    ck_assert_int_eq(file_byte(192 * KIB - 1), 383 & 0xff);
    blk_unref(blk);
}
END_TEST

START_TEST(test_window_errors)
{
    GError *err = NULL;

    ck_assert(!open_raw("\"offset\": 2097152", &err));
    ck_assert_str_eq(err->message, "Offset (2097152) cannot be greater than "
                     "size of the containing file (1048576)");
    g_clear_error(&err);

    ck_assert(!open_raw("\"offset\": 524288, \"size\": 1048576", &err));
    ck_assert_str_eq(err->message, "The sum of offset (524288) and size "
                     "(1048576) has to be smaller or equal to the  actual "
                     "size of the containing file (1048576)");
    g_clear_error(&err);

    ck_assert(!open_raw("\"size\": 1000", &err));
    ck_assert_str_eq(err->message, "Specified size is not multiple of 512");
    g_clear_error(&err);

    ck_assert(!open_raw("\"offset\": -512", &err));
    ck_assert(err);
    g_clear_error(&err);
}
END_TEST

START_TEST(test_offset_only_and_resize)
{
    BlockBackend *blk = open_raw_ok("\"offset\": 4096");
    BlockBackend *fixed;
    g_autoptr(GError) err = NULL;
    struct stat st;

    ck_assert_int_eq(blk_getlength(blk), MIB - 4096);
    ck_assert_msg(blk_truncate(blk, 2 * MIB, true, PREALLOC_MODE_OFF, &err),
                  "%s", err ? err->message : "");
    ck_assert_int_eq(stat(img, &st), 0);
    ck_assert_int_eq(st.st_size, 2 * MIB + 4096);
    ck_assert_int_eq(blk_getlength(blk), 2 * MIB);
    blk_unref(blk);

    fixed = open_raw_ok("\"size\": 65536");
    ck_assert(!blk_truncate(fixed, 2 * MIB, true, PREALLOC_MODE_OFF, &err));
    ck_assert_str_eq(err->message, "Cannot resize fixed-size raw disks");
    blk_unref(fixed);
}
END_TEST

START_TEST(test_block_status_passthrough)
{
    BlockBackend *blk = open_raw_ok("\"offset\": 65536");
    int64_t pnum, map;
    BlockDriverState *file;
    int ret;

    /* punch a hole in the file under window offset 0..64K */
    {
        int fd = open(img, O_RDWR);

        ck_assert_int_eq(fallocate(fd, FALLOC_FL_PUNCH_HOLE |
                                   FALLOC_FL_KEEP_SIZE, 64 * KIB, 64 * KIB),
                         0);
        close(fd);
    }
    ret = bdrv_block_status_above(blk_bs(blk), NULL, 0, 256 * KIB, &pnum,
                                  &map, &file);
    ck_assert_int_ge(ret, 0);
    ck_assert(ret & BDRV_BLOCK_ZERO);
    ck_assert_int_eq(pnum, 64 * KIB);
    ret = bdrv_block_status_above(blk_bs(blk), NULL, 64 * KIB, 64 * KIB,
                                  &pnum, &map, &file);
    ck_assert_int_ge(ret, 0);
    ck_assert(ret & BDRV_BLOCK_DATA);
    if (ret & BDRV_BLOCK_OFFSET_VALID) {
        ck_assert_int_eq(map, 128 * KIB);
    }
    blk_unref(blk);
}
END_TEST

START_TEST(test_probe)
{
    BlockDriver *drv = bdrv_find_format("raw");
    uint8_t buf[512] = { 0 };

    ck_assert(drv);
    ck_assert(drv->is_format);
    ck_assert_int_eq(drv->bdrv_probe(buf, sizeof(buf), "x.img"), 1);
}
END_TEST

START_TEST(test_create)
{
    BlockDriver *drv = bdrv_find_format("raw");
    g_autofree char *path = g_build_filename(tmpdir, "new.img", NULL);
    g_autoptr(JsonObject) opts = json_object_new();
    GError *err = NULL;
    struct stat st;

    json_object_set_string_member(opts, "size", "2M");
    json_object_set_string_member(opts, "preallocation", "falloc");
    ck_assert_msg(drv->bdrv_create(path, opts, &err), "%s",
                  err ? err->message : "");
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 2 * MIB);
    ck_assert_int_ge((int64_t)st.st_blocks * 512, 2 * MIB);

    json_object_set_string_member(opts, "preallocation", "bogus");
    ck_assert(!drv->bdrv_create(path, opts, &err));
    ck_assert_str_eq(err->message, "Invalid preallocation mode: 'bogus'");
    g_clear_error(&err);

    json_object_set_string_member(opts, "preallocation", "off");
    json_object_set_string_member(opts, "size", "1k");
    ck_assert(drv->bdrv_create(path, opts, NULL));
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 1024);
}
END_TEST

static Suite *raw_suite(void)
{
    Suite *s = suite_create("raw");
    TCase *tc;

    tc = tcase_create("window");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_whole_file);
    tcase_add_test(tc, test_window_rw);
    tcase_add_test(tc, test_window_out_of_range);
    tcase_add_test(tc, test_window_errors);
    tcase_add_test(tc, test_offset_only_and_resize);
    tcase_add_test(tc, test_block_status_passthrough);
    suite_add_tcase(s, tc);

    tc = tcase_create("driver");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_probe);
    tcase_add_test(tc, test_create);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(raw_suite)
