/*
 * block-testmem.h: in-memory test block drivers for the core's unit
 * tests, with fault injection (fail the Nth request with an errno).
 *
 * "testmem": a protocol-like node holding its bytes in memory; requests
 * yield once to the main loop so that several run at the same time.
 * "testcow": the same with a per-4 KiB allocation map and a backing
 * child: unallocated ranges read from the backing node.
 * Configure with testmem_next (read at open), then tweak bs->opaque.
 */
#ifndef TESTS_UNIT_BLOCK_TESTMEM_H
#define TESTS_UNIT_BLOCK_TESTMEM_H

#include "util/osdep.h"
#include "util/main-loop.h"
#include "block/block_int.h"

#define TESTCOW_CLUSTER 4096

typedef struct TestMemState {
    uint8_t *data;
    int64_t size;
    bool *alloc;            /* testcow: per cluster */
    int nreq;               /* requests seen */
    int fail_nth;           /* 1-based; 0 = never */
    int fail_errno;
    int max_concurrent;     /* peak in-driver requests */
    int cur;
    int writes;             /* write requests reaching the driver */
} TestMemState;

static struct {
    int64_t size;
    uint32_t align;
} testmem_next = { 1 << 20, 1 };

static bool testmem_open(BlockDriverState *bs, BlockdevOptions *opts,
                         int flags, GError **errp)
{
    TestMemState *s = bs->opaque;

    (void)opts;
    (void)flags;
    (void)errp;
    s->size = testmem_next.size;
    s->data = g_malloc0(s->size);
    s->alloc = g_new0(bool, s->size / TESTCOW_CLUSTER + 1);
    snprintf(bs->filename, sizeof(bs->filename), "testmem:%p", (void *)bs);
    return true;
}

static void testmem_close(BlockDriverState *bs)
{
    TestMemState *s = bs->opaque;

    g_free(s->data);
    g_free(s->alloc);
}

static void testmem_refresh_limits(BlockDriverState *bs)
{
    bs->bl.request_alignment = testmem_next.align;
}

/* Yields once to the main loop, counts, injects faults. */
static int coroutine_fn testmem_enter(TestMemState *s, int64_t offset,
                                      int64_t bytes, uint32_t align)
{
    int n = ++s->nreq;

    ck_assert_int_eq(offset % align, 0);
    ck_assert_int_eq(bytes % align, 0);
    s->cur++;
    s->max_concurrent = MAX(s->max_concurrent, s->cur);
    aio_co_schedule(qemu_get_aio_context(), qemu_coroutine_self());
    qemu_coroutine_yield();
    s->cur--;
    if (s->fail_nth && n == s->fail_nth) {
        return -s->fail_errno;
    }
    return 0;
}

static int coroutine_fn testmem_preadv(BlockDriverState *bs, int64_t offset,
                                       int64_t bytes, QEMUIOVector *qiov,
                                       BdrvRequestFlags flags)
{
    TestMemState *s = bs->opaque;
    int ret = testmem_enter(s, offset, bytes, bs->bl.request_alignment);
    int64_t c;

    (void)flags;
    if (ret < 0) {
        return ret;
    }
    ck_assert_int_le(offset + bytes, s->size);
    if (!bs->backing) {
        qemu_iovec_from_buf(qiov, 0, s->data + offset, bytes);
        return 0;
    }
    for (c = offset; c < offset + bytes; c += TESTCOW_CLUSTER) {
        size_t qoff = c - offset;

        if (s->alloc[c / TESTCOW_CLUSTER]) {
            qemu_iovec_from_buf(qiov, qoff, s->data + c, TESTCOW_CLUSTER);
        } else {
            QEMUIOVector part;

            qemu_iovec_init(&part, 1);
            qemu_iovec_concat(&part, qiov, qoff, TESTCOW_CLUSTER);
            ret = bdrv_co_preadv(bs->backing, c, TESTCOW_CLUSTER, &part, 0);
            qemu_iovec_destroy(&part);
            if (ret < 0) {
                return ret;
            }
        }
    }
    return 0;
}

static void testmem_mark(TestMemState *s, int64_t offset, int64_t bytes,
                         bool val)
{
    int64_t c;

    for (c = offset / TESTCOW_CLUSTER;
         c * TESTCOW_CLUSTER < offset + bytes; c++) {
        s->alloc[c] = val;
    }
}

static int coroutine_fn testmem_pwritev(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, QEMUIOVector *qiov,
                                        BdrvRequestFlags flags)
{
    TestMemState *s = bs->opaque;
    int ret = testmem_enter(s, offset, bytes, bs->bl.request_alignment);

    (void)flags;
    if (ret < 0) {
        return ret;
    }
    if (offset + bytes > s->size) {
        return -ENOSPC;
    }
    s->writes++;
    qemu_iovec_to_buf(qiov, 0, s->data + offset, bytes);
    testmem_mark(s, offset, bytes, true);
    return 0;
}

static int coroutine_fn testmem_pdiscard(BlockDriverState *bs,
                                         int64_t offset, int64_t bytes)
{
    TestMemState *s = bs->opaque;
    int ret = testmem_enter(s, offset, bytes, bs->bl.request_alignment);

    if (ret < 0) {
        return ret;
    }
    memset(s->data + offset, 0, bytes);
    testmem_mark(s, offset, bytes, false);
    return 0;
}

static int64_t coroutine_fn testmem_getlength(BlockDriverState *bs)
{
    TestMemState *s = bs->opaque;

    return s->size;
}

/* testcow: per-cluster allocation (requests in whole clusters) */
static int coroutine_fn testcow_block_status(BlockDriverState *bs,
                                             bool want_zero, int64_t offset,
                                             int64_t bytes, int64_t *pnum,
                                             int64_t *map,
                                             BlockDriverState **file)
{
    TestMemState *s = bs->opaque;
    int64_t c = offset / TESTCOW_CLUSTER;
    bool a = s->alloc[c];
    int64_t end = offset;

    (void)want_zero;
    while (end < offset + bytes && s->alloc[end / TESTCOW_CLUSTER] == a) {
        end = (end / TESTCOW_CLUSTER + 1) * TESTCOW_CLUSTER;
    }
    *pnum = MIN(end, offset + bytes) - offset;
    *map = offset;
    *file = bs;
    return a ? BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID : 0;
}

static BlockDriver bdrv_testmem = {
    .format_name = "testmem",
    .instance_size = sizeof(TestMemState),
    .bdrv_open = testmem_open,
    .bdrv_close = testmem_close,
    .bdrv_refresh_limits = testmem_refresh_limits,
    .bdrv_co_preadv = testmem_preadv,
    .bdrv_co_pwritev = testmem_pwritev,
    .bdrv_co_pdiscard = testmem_pdiscard,
    .bdrv_co_getlength = testmem_getlength,
};

static BlockDriver bdrv_testcow = {
    .format_name = "testcow",
    .instance_size = sizeof(TestMemState),
    .is_format = true,
    .supports_backing = true,
    .bdrv_open = testmem_open,
    .bdrv_close = testmem_close,
    .bdrv_refresh_limits = testmem_refresh_limits,
    .bdrv_co_preadv = testmem_preadv,
    .bdrv_co_pwritev = testmem_pwritev,
    .bdrv_co_pdiscard = testmem_pdiscard,
    .bdrv_co_getlength = testmem_getlength,
    .bdrv_co_block_status = testcow_block_status,
};

static inline BlockDriverState *testmem_open_node(BlockDriver *drv,
                                                  const char *name,
                                                  int64_t size,
                                                  uint32_t align, int flags)
{
    GError *err = NULL;
    BlockDriverState *bs;

    testmem_next.size = size;
    testmem_next.align = align;
    bs = bdrv_new_open_driver(drv, name, flags, &err);
    ck_assert_msg(bs, "%s", err ? err->message : "");
    return bs;
}

static inline TestMemState *testmem_state(BlockDriverState *bs)
{
    return bs->opaque;
}

static void testmem_setup(void)
{
    ck_assert(qemu_init_main_loop(NULL));
    bdrv_register(&bdrv_testmem);
    bdrv_register(&bdrv_testcow);
}

#endif /* TESTS_UNIT_BLOCK_TESTMEM_H */
