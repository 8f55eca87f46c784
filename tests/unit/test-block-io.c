/*
 * test-block-io.c: the request layer on the in-memory test drivers:
 * alignment (RMW), serialisation, zeroes, discard, block status through
 * a backing chain, write notifiers, dirty bitmaps, injected errors.
 */
#include "util/osdep.h"
#include "block/block_int.h"
#include "block/block-backend.h"
#include "block/dirty-bitmap.h"
#include "tern-check.h"
#include "block-testmem.h"

#define RW BDRV_O_RDWR
#define PERM_RW (BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE)
#define DISK (1 << 20)

static BlockBackend *open_blk(BlockDriverState *bs)
{
    BlockBackend *blk = blk_new(PERM_RW, BLK_PERM_ALL);
    GError *err = NULL;

    ck_assert_msg(blk_insert_bs(blk, bs, &err), "%s",
                  err ? err->message : "");
    return blk;
}

START_TEST(test_unaligned_rmw)
{
    BlockDriverState *bs = testmem_open_node(&bdrv_testmem, "d", DISK, 4096,
                                             RW);
    BlockBackend *blk = open_blk(bs);
    g_autofree uint8_t *model = g_malloc0(DISK);
    g_autofree uint8_t *buf = g_malloc(DISK);
    struct { int64_t off, len; } w[] = {
        { 100, 4900 }, { 4095, 2 }, { 8192, 4096 }, { 12000, 9000 },
        { 0, 1 }, { DISK - 3, 3 },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(w); i++) {
        memset(buf, 0x10 + i, w[i].len);
        memset(model + w[i].off, 0x10 + i, w[i].len);
        ck_assert_int_eq(blk_pwrite(blk, w[i].off, w[i].len, buf, 0), 0);
    }
    ck_assert_mem_eq(testmem_state(bs)->data, model, DISK);
    ck_assert_int_eq(blk_pread(blk, 77, 30000, buf, 0), 0);
    ck_assert_mem_eq(buf, model + 77, 30000);
    ck_assert_int_eq(blk_pread(blk, DISK - 5, 5, buf, 0), 0);
    ck_assert_mem_eq(buf, model + DISK - 5, 5);
    /* past the end of the backend */
    ck_assert_int_eq(blk_pread(blk, DISK - 5, 6, buf, 0), -EIO);
    ck_assert_int_eq(blk_pwrite(blk, -1, 1, buf, 0), -EIO);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

static void done_cb(void *opaque, int ret)
{
    int *n = opaque;

    ck_assert_int_eq(ret, 0);
    (*n)++;
}

START_TEST(test_serialised_overlap)
{
    BlockDriverState *bs = testmem_open_node(&bdrv_testmem, "d", DISK, 4096,
                                             RW);
    BlockBackend *blk = open_blk(bs);
    uint8_t pat[4][300];
    int64_t offs[4] = { 100, 600, 1000, 3900 };
    QEMUIOVector qiov[4];
    uint8_t out[4096];
    int done = 0, i;

    /* four unaligned writes into the same 4 KiB block at once: without
     * serialisation each read-modify-write would undo the others */
    for (i = 0; i < 4; i++) {
        memset(pat[i], 0xa0 + i, sizeof(pat[i]));
        qemu_iovec_init_buf(&qiov[i], pat[i], i == 3 ? 196 : 300);
        blk_aio_pwritev(blk, offs[i], &qiov[i], 0, done_cb, &done);
    }
    blk_drain(blk);
    ck_assert_int_eq(done, 4);
    ck_assert_int_eq(blk_pread(blk, 0, 4096, out, 0), 0);
    for (i = 0; i < 4; i++) {
        ck_assert_mem_eq(out + offs[i], pat[i], i == 3 ? 196 : 300);
    }
    ck_assert_uint_eq(out[0], 0);
    ck_assert_uint_eq(out[400], 0);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

START_TEST(test_zeroes_discard)
{
    BlockDriverState *bs = testmem_open_node(&bdrv_testmem, "d", DISK, 4096,
                                             RW | BDRV_O_UNMAP);
    BlockBackend *blk = open_blk(bs);
    g_autofree uint8_t *buf = g_malloc(65536);
    uint8_t *data = testmem_state(bs)->data;

    memset(buf, 0xff, 65536);
    ck_assert_int_eq(blk_pwrite(blk, 0, 65536, buf, 0), 0);
    ck_assert_int_eq(blk_pwrite_zeroes(blk, 1000, 8000, 0), 0);
    ck_assert_uint_eq(data[999], 0xff);
    ck_assert(iov_buffer_is_zero(data + 1000, 8000));
    ck_assert_uint_eq(data[9000], 0xff);
    /* discard is advisory: only whole aligned blocks go */
    ck_assert_int_eq(blk_pdiscard(blk, 10000, 20000), 0);
    ck_assert_uint_eq(data[12287], 0xff);
    ck_assert(iov_buffer_is_zero(data + 12288, 16384));
    ck_assert_uint_eq(data[28672], 0xff);
    ck_assert_int_eq(blk_get_stats(blk)->unmap_operations, 1);
    ck_assert_int_eq(blk_get_stats(blk)->wr_operations, 2);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

START_TEST(test_discard_ignored)
{
    BlockDriverState *bs = testmem_open_node(&bdrv_testmem, "d", DISK, 1, RW);
    BlockBackend *blk = open_blk(bs);

    memset(testmem_state(bs)->data, 1, 8192);
    ck_assert_int_eq(blk_pdiscard(blk, 0, 8192), 0);
    ck_assert_uint_eq(testmem_state(bs)->data[100], 1);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

/* base: cluster 0, mid: cluster 1, top: cluster 2; base is 3 clusters */
static BlockDriverState *make_chain(BlockDriverState **mid,
                                    BlockDriverState **base)
{
    BlockDriverState *top;
    GError *err = NULL;
    uint8_t buf[4096];

    *base = testmem_open_node(&bdrv_testcow, "base", 3 * 4096, 4096, RW);
    *mid = testmem_open_node(&bdrv_testcow, "mid", 8 * 4096, 4096, RW);
    top = testmem_open_node(&bdrv_testcow, "top", 8 * 4096, 4096, RW);
    ck_assert(bdrv_set_backing_hd(*mid, *base, &err));
    ck_assert(bdrv_set_backing_hd(top, *mid, &err));
    bdrv_unref(*base);
    bdrv_unref(*mid);
    memset(buf, 0xb, sizeof(buf));
    testmem_state(*base)->alloc[0] = true;
    memcpy(testmem_state(*base)->data, buf, 4096);
    /* base also has data in cluster 2, hidden by top */
    testmem_state(*base)->alloc[2] = true;
    memcpy(testmem_state(*base)->data + 8192, buf, 4096);
    memset(buf, 0xd, sizeof(buf));
    testmem_state(*mid)->alloc[1] = true;
    memcpy(testmem_state(*mid)->data + 4096, buf, 4096);
    memset(buf, 0x7, sizeof(buf));
    testmem_state(top)->alloc[2] = true;
    memcpy(testmem_state(top)->data + 8192, buf, 4096);
    return top;
}

START_TEST(test_block_status_chain)
{
    BlockDriverState *mid, *base, *file = NULL;
    BlockDriverState *top = make_chain(&mid, &base);
    BlockBackend *blk = open_blk(top);
    int64_t pnum, map;
    uint8_t buf[8 * 4096];
    int ret;

    ret = bdrv_block_status_above(top, NULL, 0, 8 * 4096, &pnum, &map,
                                  &file);
    ck_assert_int_eq(ret & (BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED),
                     BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED);
    ck_assert_int_eq(pnum, 4096);
    ck_assert_ptr_eq(file, base);
    ret = bdrv_block_status_above(top, NULL, 4096, 8 * 4096, &pnum, &map,
                                  &file);
    ck_assert(ret & BDRV_BLOCK_DATA);
    ck_assert_ptr_eq(file, mid);
    ck_assert_int_eq(pnum, 4096);
    ret = bdrv_block_status_above(top, NULL, 8192, 4096, &pnum, &map, &file);
    ck_assert(ret & BDRV_BLOCK_DATA);
    ck_assert_ptr_eq(file, top);
    /* past base's end (12 KiB): zeroes */
    ret = bdrv_block_status_above(top, NULL, 12288, 5 * 4096, &pnum, &map,
                                  &file);
    ck_assert(ret & BDRV_BLOCK_ZERO);
    ck_assert(!(ret & BDRV_BLOCK_DATA));
    ck_assert_int_eq(pnum, 5 * 4096);
    ck_assert(ret & BDRV_BLOCK_EOF);
    /* the top alone: cluster 0 is not allocated there */
    ret = bdrv_block_status(top, 0, 4096, &pnum, NULL, NULL);
    ck_assert(!(ret & BDRV_BLOCK_ALLOCATED));
    /* above base (base excluded): cluster 0 unallocated */
    ck_assert_int_eq(bdrv_is_allocated_above(top, base, false, 0, 8192,
                                             &pnum), 0);
    ck_assert_int_eq(pnum, 4096);
    ck_assert_int_eq(bdrv_is_allocated_above(top, base, true, 0, 8192,
                                             &pnum), 1);
    /* reads through the chain */
    ck_assert_int_eq(blk_pread(blk, 0, sizeof(buf), buf, 0), 0);
    ck_assert_uint_eq(buf[0], 0xb);
    ck_assert_uint_eq(buf[4096], 0xd);
    ck_assert_uint_eq(buf[8192], 0x7);
    ck_assert(iov_buffer_is_zero(buf + 12288, 5 * 4096));
    blk_unref(blk);
    bdrv_unref(top);
    ck_assert_ptr_null(bdrv_find_node("base"));
}
END_TEST

typedef struct NotifyProbe {
    BlockDriverState *bs;
    uint8_t seen;           /* data at the write's offset when notified */
    int calls;
    int fail;
} NotifyProbe;

static int coroutine_fn probe_notify(void *opaque, BdrvTrackedRequest *req)
{
    NotifyProbe *p = opaque;

    ck_assert_ptr_eq(req->bs, p->bs);
    p->seen = testmem_state(p->bs)->data[req->offset];
    p->calls++;
    return p->fail;
}

START_TEST(test_write_notifiers)
{
    BlockDriverState *bs = testmem_open_node(&bdrv_testmem, "d", DISK, 512,
                                             RW);
    BlockBackend *blk = open_blk(bs);
    NotifyProbe p = { .bs = bs };
    BdrvWriteNotifier *n;
    uint8_t buf[512];

    testmem_state(bs)->data[1024] = 0x42;
    n = bdrv_add_before_write_notifier(bs, probe_notify, &p);
    memset(buf, 0x99, sizeof(buf));
    ck_assert_int_eq(blk_pwrite(blk, 1024, 512, buf, 0), 0);
    ck_assert_int_eq(p.calls, 1);
    ck_assert_uint_eq(p.seen, 0x42);        /* ran before the write */
    ck_assert_uint_eq(testmem_state(bs)->data[1024], 0x99);
    p.fail = -EIO;
    memset(buf, 0x55, sizeof(buf));
    ck_assert_int_eq(blk_pwrite(blk, 1024, 512, buf, 0), -EIO);
    ck_assert_uint_eq(testmem_state(bs)->data[1024], 0x99);
    ck_assert_int_eq(blk_pwrite_zeroes(blk, 1024, 512, 0), -EIO);
    ck_assert_int_eq(p.calls, 3);
    bdrv_remove_before_write_notifier(n);
    ck_assert_int_eq(blk_pwrite(blk, 1024, 512, buf, 0), 0);
    ck_assert_int_eq(p.calls, 3);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

START_TEST(test_dirty_bitmaps)
{
    BlockDriverState *bs = testmem_open_node(&bdrv_testmem, "d", DISK, 1,
                                             RW | BDRV_O_UNMAP);
    BlockBackend *blk = open_blk(bs);
    BdrvDirtyBitmap *bm, *off;
    GError *err = NULL;
    uint8_t buf[100] = { 1 };

    bm = bdrv_create_dirty_bitmap(bs, 65536, "b0", &err);
    ck_assert_ptr_nonnull(bm);
    off = bdrv_create_dirty_bitmap(bs, 512, "b1", &err);
    bdrv_disable_dirty_bitmap(off);
    ck_assert_ptr_null(bdrv_create_dirty_bitmap(bs, 65536, "b0", &err));
    ck_assert_str_eq(err->message, "Bitmap already exists: b0");
    g_clear_error(&err);
    ck_assert_ptr_null(bdrv_create_dirty_bitmap(bs, 1000, "b2", &err));
    g_clear_error(&err);
    ck_assert_ptr_eq(bdrv_find_dirty_bitmap(bs, "b0"), bm);
    ck_assert_int_eq(blk_pwrite(blk, 70000, 100, buf, 0), 0);
    ck_assert_uint_eq(bdrv_dirty_bitmap_count(bm), 65536);
    ck_assert_int_eq(bdrv_dirty_bitmap_next_dirty(bm, 0, DISK), 65536);
    ck_assert_int_eq(bdrv_dirty_bitmap_next_zero(bm, 65536, DISK), 131072);
    ck_assert_int_eq(blk_pwrite_zeroes(blk, 65536 * 3, 10, 0), 0);
    ck_assert_int_eq(blk_pdiscard(blk, 65536 * 5, 65536), 0);
    ck_assert_uint_eq(bdrv_dirty_bitmap_count(bm), 3 * 65536);
    ck_assert_uint_eq(bdrv_dirty_bitmap_count(off), 0);
    bdrv_clear_dirty_bitmap(bm);
    ck_assert_uint_eq(bdrv_dirty_bitmap_count(bm), 0);
    ck_assert_uint_eq(bdrv_dirty_bitmap_granularity(bm), 65536);
    bdrv_release_dirty_bitmap(bm);
    ck_assert_ptr_null(bdrv_find_dirty_bitmap(bs, "b0"));
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

START_TEST(test_injected_errors)
{
    BlockDriverState *bs = testmem_open_node(&bdrv_testmem, "d", DISK, 4096,
                                             RW);
    BlockBackend *blk = open_blk(bs);
    TestMemState *s = testmem_state(bs);
    uint8_t buf[4096] = { 0 };

    s->fail_nth = s->nreq + 1;
    s->fail_errno = EIO;
    ck_assert_int_eq(blk_pread(blk, 0, 4096, buf, 0), -EIO);
    ck_assert_int_eq(blk_get_stats(blk)->failed_rd_operations, 1);
    ck_assert_int_eq(blk_pread(blk, 0, 4096, buf, 0), 0);
    /* the read half of a read-modify-write fails the write */
    s->fail_nth = s->nreq + 1;
    ck_assert_int_eq(blk_pwrite(blk, 10, 10, buf, 0), -EIO);
    ck_assert_int_eq(s->writes, 0);
    s->fail_nth = s->nreq + 1;
    s->fail_errno = ENOSPC;
    ck_assert_int_eq(blk_pwrite(blk, 0, 4096, buf, 0), -ENOSPC);
    ck_assert_int_eq(blk_get_stats(blk)->failed_wr_operations, 2);
    ck_assert_uint_eq(bs->in_flight, 0);
    blk_unref(blk);
    bdrv_unref(bs);
}
END_TEST

static Suite *block_io_suite(void)
{
    Suite *s = suite_create("block-io");
    TCase *tc;

    tc = tcase_create("alignment");
    tcase_add_checked_fixture(tc, testmem_setup, NULL);
    tcase_add_test(tc, test_unaligned_rmw);
    tcase_add_test(tc, test_serialised_overlap);
    suite_add_tcase(s, tc);
    tc = tcase_create("zeroes-discard");
    tcase_add_checked_fixture(tc, testmem_setup, NULL);
    tcase_add_test(tc, test_zeroes_discard);
    tcase_add_test(tc, test_discard_ignored);
    suite_add_tcase(s, tc);
    tc = tcase_create("block-status");
    tcase_add_checked_fixture(tc, testmem_setup, NULL);
    tcase_add_test(tc, test_block_status_chain);
    suite_add_tcase(s, tc);
    tc = tcase_create("notifiers-bitmaps");
    tcase_add_checked_fixture(tc, testmem_setup, NULL);
    tcase_add_test(tc, test_write_notifiers);
    tcase_add_test(tc, test_dirty_bitmaps);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, testmem_setup, NULL);
    tcase_add_test(tc, test_injected_errors);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(block_io_suite)
