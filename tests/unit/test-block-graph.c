/*
 * test-block-graph.c: nodes, references, children, permissions, reopen,
 * drain and activation, on the in-memory test drivers.
 */
#include "util/osdep.h"
#include "block/block_int.h"
#include "block/block-backend.h"
#include "tern-check.h"
#include "block-testmem.h"

#define RW BDRV_O_RDWR
#define PERM_RW (BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE)

START_TEST(test_refcounts)
{
    BlockDriverState *a = testmem_open_node(&bdrv_testmem, "a", 65536, 1, RW);
    BlockDriverState *top;
    GError *err = NULL;

    ck_assert_ptr_eq(bdrv_find_node("a"), a);
    ck_assert_str_eq(bdrv_get_format_name(a), "testmem");
    ck_assert_int_eq(bdrv_get_refcnt(a), 1);
    top = testmem_open_node(&bdrv_testcow, "top", 65536, 4096, RW);
    ck_assert(bdrv_attach_child(top, a, "file", &err));
    ck_assert_ptr_eq(bdrv_file_bs(top), a);
    ck_assert_int_eq(bdrv_get_refcnt(a), 2);
    bdrv_unref(a);
    ck_assert_ptr_eq(bdrv_find_node("a"), a);
    bdrv_unref(top);
    ck_assert_ptr_null(bdrv_find_node("top"));
    ck_assert_ptr_null(bdrv_find_node("a"));
}
END_TEST

START_TEST(test_node_names)
{
    BlockDriverState *a = testmem_open_node(&bdrv_testmem, "a", 4096, 1, RW);
    BlockDriverState *anon = testmem_open_node(&bdrv_testmem, NULL, 4096, 1,
                                               RW);
    GError *err = NULL;

    ck_assert(anon->node_name[0] == '#');
    ck_assert_ptr_null(bdrv_new_open_driver(&bdrv_testmem, "a", RW, &err));
    ck_assert_str_eq(err->message, "Duplicate nodes with node-name='a'");
    g_clear_error(&err);
    ck_assert_ptr_null(bdrv_new_open_driver(&bdrv_testmem, "1x", RW, &err));
    ck_assert_str_eq(err->message, "Invalid node-name: '1x'");
    g_clear_error(&err);
    ck_assert_ptr_null(bdrv_lookup_bs("nope", "nope", &err));
    ck_assert_str_eq(err->message,
                     "Cannot find device='nope' nor node-name='nope'");
    g_clear_error(&err);
    bdrv_unref(anon);
    bdrv_unref(a);
}
END_TEST

START_TEST(test_backing_chain)
{
    BlockDriverState *base = testmem_open_node(&bdrv_testcow, "base", 65536,
                                               4096, 0);
    BlockDriverState *top = testmem_open_node(&bdrv_testcow, "top", 65536,
                                              4096, RW);
    GError *err = NULL;

    ck_assert(bdrv_set_backing_hd(top, base, &err));
    ck_assert_ptr_eq(bdrv_backing_bs(top), base);
    ck_assert_int_eq(bdrv_get_refcnt(base), 2);
    ck_assert(bdrv_chain_contains(top, base));
    /* a cycle is refused */
    ck_assert(!bdrv_set_backing_hd(base, top, &err));
    ck_assert_str_eq(err->message, "Making 'top' a backing child of 'base' "
                     "would create a cycle");
    g_clear_error(&err);
    ck_assert(bdrv_set_backing_hd(top, NULL, &err));
    ck_assert_ptr_null(bdrv_backing_bs(top));
    ck_assert_int_eq(bdrv_get_refcnt(base), 1);
    bdrv_unref(top);
    bdrv_unref(base);
}
END_TEST

START_TEST(test_perm_conflict_backends)
{
    BlockDriverState *bs = testmem_open_node(&bdrv_testmem, "disk", 65536, 1,
                                             RW);
    BlockBackend *b1 = blk_new(PERM_RW, BLK_PERM_CONSISTENT_READ);
    BlockBackend *b2 = blk_new(PERM_RW, BLK_PERM_ALL);
    BlockBackend *b3 = blk_new(BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL &
                               ~BLK_PERM_WRITE);
    GError *err = NULL;

    ck_assert(monitor_add_blk(b1, "drive0", &err));
    ck_assert(blk_insert_bs(b1, bs, &err));
    ck_assert(!blk_insert_bs(b2, bs, &err));
    ck_assert_str_eq(err->message, "Conflicts with use by block device "
                     "'drive0' as 'root', which does not allow 'write' on "
                     "disk");
    g_clear_error(&err);
    ck_assert(!blk_insert_bs(b3, bs, &err));
    ck_assert_str_eq(err->message, "Conflicts with use by block device "
                     "'drive0' as 'root', which uses 'write' on disk");
    g_clear_error(&err);
    /* b1 drops write: both others now fit */
    ck_assert(blk_set_perm(b1, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL,
                           &err));
    ck_assert(blk_insert_bs(b3, bs, &err));
    ck_assert(!blk_insert_bs(b2, bs, &err));
    ck_assert_str_eq(err->message, "Conflicts with use by an unnamed block "
                     "device as 'root', which does not allow 'write' on "
                     "disk");
    g_clear_error(&err);
    blk_unref(b3);
    ck_assert(blk_insert_bs(b2, bs, &err));
    blk_unref(b2);
    monitor_remove_blk(b1);
    blk_unref(b1);
    bdrv_unref(bs);
}
END_TEST

START_TEST(test_perm_conflict_format)
{
    BlockDriverState *file = testmem_open_node(&bdrv_testmem, "mem", 65536,
                                               1, RW);
    BlockDriverState *top = testmem_open_node(&bdrv_testcow, "top", 65536,
                                              4096, RW);
    BlockBackend *blk = blk_new(PERM_RW, BLK_PERM_ALL);
    GError *err = NULL;

    ck_assert(bdrv_attach_child(top, file, "file", &err));
    ck_assert(!blk_insert_bs(blk, file, &err));
    ck_assert_str_eq(err->message, "Conflicts with use by node 'top' as "
                     "'file', which does not allow 'write' on mem");
    g_clear_error(&err);
    blk_set_dev_id(blk, "virtio0");
    ck_assert_ptr_eq(blk_by_dev_id("virtio0"), blk);
    blk_unref(blk);
    bdrv_unref(file);
    bdrv_unref(top);
}
END_TEST

START_TEST(test_reopen)
{
    BlockDriverState *bs = testmem_open_node(&bdrv_testmem, "disk", 65536, 1,
                                             0);
    BlockBackend *blk = blk_new(PERM_RW, BLK_PERM_ALL);
    GError *err = NULL;

    ck_assert(bdrv_is_read_only(bs));
    ck_assert(!blk_insert_bs(blk, bs, &err));
    ck_assert_str_eq(err->message, "Block node is read-only");
    g_clear_error(&err);
    ck_assert_int_eq(bdrv_get_refcnt(bs), 1);
    ck_assert(bdrv_reopen_set_read_only(bs, false, &err));
    ck_assert(blk_insert_bs(blk, bs, &err));
    ck_assert(!bdrv_reopen_set_read_only(bs, true, &err));
    ck_assert_str_eq(err->message, "Block node is read-only");
    g_clear_error(&err);
    ck_assert(!bdrv_is_read_only(bs));
    ck_assert_int_eq(blk_pwrite(blk, 0, 4, "abcd", 0), 0);
    ck_assert(blk_set_perm(blk, BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL,
                           &err));
    ck_assert(bdrv_reopen_set_read_only(bs, true, &err));
    ck_assert_int_eq(blk_pwrite(blk, 0, 4, "abcd", 0), -EPERM);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

static void count_cb(void *opaque, int ret)
{
    int *n = opaque;

    ck_assert_int_eq(ret, 0);
    (*n)++;
}

START_TEST(test_drain)
{
    BlockDriverState *bs = testmem_open_node(&bdrv_testmem, "disk", 65536, 1,
                                             RW);
    BlockBackend *blk = blk_new(PERM_RW, BLK_PERM_ALL);
    uint8_t buf[4][512];
    QEMUIOVector qiov[4];
    GError *err = NULL;
    int done = 0, i;

    ck_assert(blk_insert_bs(blk, bs, &err));
    for (i = 0; i < 4; i++) {
        memset(buf[i], i + 1, 512);
        qemu_iovec_init_buf(&qiov[i], buf[i], 512);
        blk_aio_pwritev(blk, i * 512, &qiov[i], 0, count_cb, &done);
    }
    ck_assert_int_eq(done, 0);
    ck_assert_uint_gt(bs->in_flight, 0);
    bdrv_drain(bs);
    ck_assert_uint_eq(bs->in_flight, 0);
    ck_assert_int_eq(testmem_state(bs)->writes, 4);
    ck_assert_int_gt(testmem_state(bs)->max_concurrent, 1);
    blk_drain(blk);
    ck_assert_int_eq(done, 4);
    ck_assert_uint_eq(testmem_state(bs)->data[1536], 4);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

START_TEST(test_activation)
{
    BlockDriverState *bs = testmem_open_node(&bdrv_testmem, "disk", 65536, 1,
                                             RW);
    BlockBackend *blk = blk_new(PERM_RW, BLK_PERM_CONSISTENT_READ);
    GError *err = NULL;
    char buf[4];

    ck_assert(blk_insert_bs(blk, bs, &err));
    ck_assert(bdrv_inactivate_all(&err));
    ck_assert(bdrv_is_inactive(bs));
    ck_assert_int_eq(blk_pwrite(blk, 0, 4, "abcd", 0), -EPERM);
    ck_assert_int_eq(blk_pread(blk, 0, 4, buf, 0), 0);
    ck_assert(bdrv_activate_all(&err));
    ck_assert(!bdrv_is_inactive(bs));
    ck_assert_int_eq(blk_pwrite(blk, 0, 4, "abcd", 0), 0);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

START_TEST(test_close_all)
{
    BlockDriverState *bs = testmem_open_node(&bdrv_testmem, "disk", 65536, 1,
                                             RW);
    BlockBackend *blk = blk_new(PERM_RW, BLK_PERM_ALL);
    BlockBackend *other = blk_new(0, BLK_PERM_ALL);
    GError *err = NULL;

    ck_assert(blk_insert_bs(blk, bs, &err));
    ck_assert(monitor_add_blk(blk, "drive0", &err));
    ck_assert(!monitor_add_blk(other, "drive0", &err));
    ck_assert_str_eq(err->message, "Device with id 'drive0' already exists");
    g_clear_error(&err);
    blk_unref(other);
    blk_unref(blk);
    bs->monitor_owned = true;
    bdrv_close_all();
    ck_assert_ptr_null(blk_by_name("drive0"));
    ck_assert_ptr_null(bdrv_find_node("disk"));
}
END_TEST

static Suite *block_graph_suite(void)
{
    Suite *s = suite_create("block-graph");
    TCase *tc;

    tc = tcase_create("nodes");
    tcase_add_checked_fixture(tc, testmem_setup, NULL);
    tcase_add_test(tc, test_refcounts);
    tcase_add_test(tc, test_node_names);
    tcase_add_test(tc, test_backing_chain);
    tcase_add_test(tc, test_close_all);
    suite_add_tcase(s, tc);
    tc = tcase_create("permissions");
    tcase_add_checked_fixture(tc, testmem_setup, NULL);
    tcase_add_test(tc, test_perm_conflict_backends);
    tcase_add_test(tc, test_perm_conflict_format);
    tcase_add_test(tc, test_reopen);
    suite_add_tcase(s, tc);
    tc = tcase_create("drain");
    tcase_add_checked_fixture(tc, testmem_setup, NULL);
    tcase_add_test(tc, test_drain);
    tcase_add_test(tc, test_activation);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(block_graph_suite)
