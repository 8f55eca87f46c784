/*
 * block-backend.c: BlockBackend, the handle of non-node users.
 *
 * Main loop thread.  See docs/devel/block.md.
 */
#include "util/osdep.h"
#include "util/main-loop.h"
#include "util/timer.h"
#include "block/block_int.h"
#include "block/block-backend.h"
#include "graph-int.h"
#include "trace-block.h"

struct BlockBackend {
    int refcnt;
    char *name;                 /* NULL: not in the named list */
    char *dev_id;               /* the guest device attached */
    BdrvChild *root;
    uint64_t perm;
    uint64_t shared_perm;
    BlockAcctStats stats;
    unsigned in_flight;
    int quiesce_counter;        /* drained sections of the root */
    CoQueue queued_requests;    /* waiting for the drained section end */
};

static GList *named_backends;   /* BlockBackend *, creation order */
static GList *all_backends;

BlockBackend *blk_new(uint64_t perm, uint64_t shared_perm)
{
    BlockBackend *blk = g_new0(BlockBackend, 1);

    blk->refcnt = 1;
    blk->perm = perm;
    blk->shared_perm = shared_perm;
    qemu_co_queue_init(&blk->queued_requests);
    all_backends = g_list_append(all_backends, blk);
    return blk;
}

static char *blk_root_get_parent_desc(BdrvChild *c)
{
    BlockBackend *blk = c->opaque;

    if (blk->name) {
        return g_strdup_printf("block device '%s'", blk->name);
    }
    if (blk->dev_id) {
        return g_strdup_printf("block device '%s'", blk->dev_id);
    }
    return g_strdup("an unnamed block device");
}

static void blk_root_drained_begin(BdrvChild *c)
{
    BlockBackend *blk = c->opaque;

    blk->quiesce_counter++;
}

static void blk_root_drained_end(BdrvChild *c)
{
    BlockBackend *blk = c->opaque;

    g_assert(blk->quiesce_counter > 0);
    if (--blk->quiesce_counter == 0) {
        qemu_co_queue_restart_all(&blk->queued_requests);
    }
}

static const BdrvChildClass child_root = {
    .get_parent_desc = blk_root_get_parent_desc,
    .drained_begin = blk_root_drained_begin,
    .drained_end = blk_root_drained_end,
};

bool blk_insert_bs(BlockBackend *blk, BlockDriverState *bs, GError **errp)
{
    g_assert(!blk->root);
    blk->root = bdrv_root_attach_child(bs, "root", &child_root, blk,
                                       blk->perm, blk->shared_perm, errp);
    if (blk->root && bs->quiesce_counter) {
        blk->quiesce_counter = bs->quiesce_counter;
    }
    return blk->root != NULL;
}

void blk_remove_bs(BlockBackend *blk)
{
    if (blk->root) {
        blk_drain(blk);
        bdrv_root_unref_child(blk->root);
        blk->root = NULL;
        blk->quiesce_counter = 0;
    }
}

void blk_ref(BlockBackend *blk)
{
    blk->refcnt++;
}

static void blk_unref_bh(void *opaque)
{
    blk_unref(opaque);
}

void blk_unref(BlockBackend *blk)
{
    if (!blk) {
        return;
    }
    g_assert(blk->refcnt > 0);
    if (blk->refcnt == 1 && qemu_in_coroutine()) {
        /* deleting drains, which a coroutine cannot: the main loop does */
        aio_bh_schedule_oneshot(qemu_get_aio_context(), blk_unref_bh, blk);
        return;
    }
    if (--blk->refcnt > 0) {
        return;
    }
    g_assert(!blk->name);
    blk_remove_bs(blk);
    all_backends = g_list_remove(all_backends, blk);
    g_free(blk->dev_id);
    g_free(blk);
}

BlockBackend *blk_new_open(const char *filename, const char *fmt, int flags,
                           JsonObject *extra, GError **errp)
{
    uint64_t perm = BLK_PERM_CONSISTENT_READ;
    uint64_t shared = BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED;
    BlockDriverState *bs;
    BlockBackend *blk;

    if (flags & BDRV_O_RDWR) {
        perm |= BLK_PERM_WRITE | BLK_PERM_RESIZE;
    }
    if (flags & BDRV_O_FORCE_SHARE) {
        shared = BLK_PERM_ALL;
    }
    bs = bdrv_open_image(filename, fmt, flags, extra, errp);
    if (!bs) {
        return NULL;
    }
    blk = blk_new(perm, shared);
    if (!blk_insert_bs(blk, bs, errp)) {
        blk_unref(blk);
        blk = NULL;
    }
    bdrv_unref(bs);
    return blk;
}

BlockDriverState *blk_bs(BlockBackend *blk)
{
    return blk->root ? blk->root->bs : NULL;
}

bool blk_set_perm(BlockBackend *blk, uint64_t perm, uint64_t shared,
                  GError **errp)
{
    if (blk->root &&
        !bdrv_child_try_set_perm(blk->root, perm, shared, errp)) {
        return false;
    }
    blk->perm = perm;
    blk->shared_perm = shared;
    return true;
}

void blk_get_perm(BlockBackend *blk, uint64_t *perm, uint64_t *shared)
{
    *perm = blk->perm;
    *shared = blk->shared_perm;
}

/* ---- names ---- */

static bool blk_name_wellformed(const char *name)
{
    size_t i;

    if (!g_ascii_isalpha(name[0])) {
        return false;
    }
    for (i = 1; name[i]; i++) {
        if (!g_ascii_isalnum(name[i]) && !strchr("-._", name[i])) {
            return false;
        }
    }
    return true;
}

bool monitor_add_blk(BlockBackend *blk, const char *name, GError **errp)
{
    g_assert(!blk->name);
    if (!*name || !blk_name_wellformed(name)) {
        error_setg(errp, "Invalid device name");
        return false;
    }
    if (blk_by_name(name)) {
        error_setg(errp, "Device with id '%s' already exists", name);
        return false;
    }
    if (bdrv_find_node(name)) {
        error_setg(errp, "Device name '%s' conflicts with an existing node "
                   "name", name);
        return false;
    }
    blk->name = g_strdup(name);
    blk_ref(blk);
    named_backends = g_list_append(named_backends, blk);
    return true;
}

void monitor_remove_blk(BlockBackend *blk)
{
    if (!blk->name) {
        return;
    }
    named_backends = g_list_remove(named_backends, blk);
    g_clear_pointer(&blk->name, g_free);
    blk_unref(blk);
}

void blk_remove_all_names(void)
{
    while (named_backends) {
        monitor_remove_blk(named_backends->data);
    }
}

const char *blk_name(const BlockBackend *blk)
{
    return blk->name ? blk->name : "";
}

BlockBackend *blk_by_name(const char *name)
{
    GList *l;

    for (l = named_backends; l; l = l->next) {
        BlockBackend *blk = l->data;

        if (!strcmp(blk->name, name)) {
            return blk;
        }
    }
    return NULL;
}

BlockBackend *blk_next_visible(BlockBackend *blk)
{
    GList *l = all_backends;

    if (blk) {
        l = g_list_find(all_backends, blk);
        l = l ? l->next : NULL;
    }
    for (; l; l = l->next) {
        BlockBackend *b = l->data;

        if (b->name || b->dev_id) {
            return b;
        }
    }
    return NULL;
}

void blk_set_dev_id(BlockBackend *blk, const char *id)
{
    g_free(blk->dev_id);
    blk->dev_id = g_strdup(id);
}

const char *blk_get_dev_id(const BlockBackend *blk)
{
    return blk->dev_id;
}

BlockBackend *blk_by_dev_id(const char *id)
{
    GList *l;

    for (l = all_backends; l; l = l->next) {
        BlockBackend *blk = l->data;

        if (blk->dev_id && !strcmp(blk->dev_id, id)) {
            return blk;
        }
    }
    return NULL;
}

/* ---- requests ---- */

typedef enum {
    BLK_ACCT_READ, BLK_ACCT_WRITE, BLK_ACCT_FLUSH, BLK_ACCT_UNMAP,
} BlkAcctType;

static void blk_account(BlockBackend *blk, BlkAcctType type, int64_t bytes,
                        int64_t start_ns, int ret)
{
    BlockAcctStats *s = &blk->stats;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    struct {
        uint64_t *ops, *bytes, *failed;
        int64_t *time;
    } t[] = {
        [BLK_ACCT_READ] = { &s->rd_operations, &s->rd_bytes,
                            &s->failed_rd_operations, &s->rd_total_time_ns },
        [BLK_ACCT_WRITE] = { &s->wr_operations, &s->wr_bytes,
                             &s->failed_wr_operations,
                             &s->wr_total_time_ns },
        [BLK_ACCT_FLUSH] = { &s->flush_operations, NULL,
                             &s->failed_flush_operations,
                             &s->flush_total_time_ns },
        [BLK_ACCT_UNMAP] = { &s->unmap_operations, &s->unmap_bytes,
                             &s->failed_unmap_operations,
                             &s->unmap_total_time_ns },
    };

    if (ret < 0) {
        (*t[type].failed)++;
        return;
    }
    (*t[type].ops)++;
    if (t[type].bytes) {
        *t[type].bytes += bytes;
    }
    *t[type].time += now - start_ns;
    s->last_access_time_ns = now;
}

/* Common entry: waits for drained sections, checks the range. */
static int coroutine_fn blk_co_enter(BlockBackend *blk, int64_t offset,
                                     int64_t bytes, bool write)
{
    int64_t len;

    while (blk->quiesce_counter) {
        qemu_co_queue_wait(&blk->queued_requests, NULL);
    }
    if (!blk_bs(blk)) {
        return -ENOMEDIUM;
    }
    if (write && !(blk->perm & BLK_PERM_WRITE)) {
        return -EPERM;
    }
    if (offset < 0 || bytes < 0) {
        return -EIO;
    }
    len = bdrv_co_getlength(blk_bs(blk));
    if (len < 0) {
        return len;
    }
    if (offset > len || bytes > len - offset) {
        return -EIO;
    }
    return 0;
}

typedef enum {
    BLK_OP_READ, BLK_OP_WRITE, BLK_OP_ZERO, BLK_OP_DISCARD, BLK_OP_FLUSH,
} BlkOp;

static int coroutine_fn blk_co_do(BlockBackend *blk, BlkOp op,
                                  int64_t offset, int64_t bytes,
                                  QEMUIOVector *qiov, BdrvRequestFlags flags)
{
    static const BlkAcctType acct[] = {
        [BLK_OP_READ] = BLK_ACCT_READ, [BLK_OP_WRITE] = BLK_ACCT_WRITE,
        [BLK_OP_ZERO] = BLK_ACCT_WRITE, [BLK_OP_DISCARD] = BLK_ACCT_UNMAP,
        [BLK_OP_FLUSH] = BLK_ACCT_FLUSH,
    };
    int64_t start = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    int ret;

    blk->in_flight++;
    ret = blk_co_enter(blk, offset, bytes, op != BLK_OP_READ &&
                       op != BLK_OP_FLUSH);
    if (ret == 0) {
        BlockDriverState *bs = blk_bs(blk);

        switch (op) {
        case BLK_OP_READ:
            ret = bdrv_co_preadv_bs(bs, offset, bytes, qiov, flags);
            break;
        case BLK_OP_WRITE:
            ret = bdrv_co_pwritev_bs(bs, offset, bytes, qiov, flags);
            break;
        case BLK_OP_ZERO:
            ret = bdrv_co_pwritev_bs(bs, offset, bytes, NULL,
                                     flags | BDRV_REQ_ZERO_WRITE);
            break;
        case BLK_OP_DISCARD:
            ret = bdrv_co_pdiscard_bs(bs, offset, bytes);
            break;
        case BLK_OP_FLUSH:
            ret = bdrv_co_flush(bs);
            break;
        }
    }
    blk_account(blk, acct[op], bytes, start, ret);
    if (ret == 0 && op != BLK_OP_READ && op != BLK_OP_FLUSH) {
        blk->stats.wr_highest_offset = MAX(blk->stats.wr_highest_offset,
                                           offset + bytes);
    }
    blk->in_flight--;
    return ret;
}

int coroutine_fn blk_co_preadv(BlockBackend *blk, int64_t offset,
                               int64_t bytes, QEMUIOVector *qiov,
                               BdrvRequestFlags flags)
{
    return blk_co_do(blk, BLK_OP_READ, offset, bytes, qiov, flags);
}

int coroutine_fn blk_co_pwritev(BlockBackend *blk, int64_t offset,
                                int64_t bytes, QEMUIOVector *qiov,
                                BdrvRequestFlags flags)
{
    return blk_co_do(blk, BLK_OP_WRITE, offset, bytes, qiov, flags);
}

int coroutine_fn blk_co_pwrite_zeroes(BlockBackend *blk, int64_t offset,
                                      int64_t bytes, BdrvRequestFlags flags)
{
    return blk_co_do(blk, BLK_OP_ZERO, offset, bytes, NULL, flags);
}

int coroutine_fn blk_co_pdiscard(BlockBackend *blk, int64_t offset,
                                 int64_t bytes)
{
    return blk_co_do(blk, BLK_OP_DISCARD, offset, bytes, NULL, 0);
}

int coroutine_fn blk_co_flush(BlockBackend *blk)
{
    return blk_co_do(blk, BLK_OP_FLUSH, 0, 0, NULL, 0);
}

/* ---- sync and aio ---- */

typedef struct BlkRwCo {
    BlockBackend *blk;
    BlkOp op;
    int64_t offset;
    int64_t bytes;
    QEMUIOVector *qiov;
    BdrvRequestFlags flags;
    int ret;
    bool done;
    BlockCompletionFunc *cb;
    void *opaque;
} BlkRwCo;

static void coroutine_fn blk_rw_entry(void *opaque)
{
    BlkRwCo *rw = opaque;

    rw->ret = blk_co_do(rw->blk, rw->op, rw->offset, rw->bytes, rw->qiov,
                        rw->flags);
    rw->done = true;
}

static int blk_sync(BlockBackend *blk, BlkOp op, int64_t offset,
                    int64_t bytes, const void *buf, BdrvRequestFlags flags)
{
    QEMUIOVector qiov;
    BlkRwCo rw = {
        .blk = blk, .op = op, .offset = offset, .bytes = bytes,
        .qiov = buf ? &qiov : NULL, .flags = flags,
    };

    if (bytes < 0) {
        return -EIO;
    }
    if (buf) {
        qemu_iovec_init_buf(&qiov, (void *)buf, bytes);
    }
    bdrv_run_co(blk_rw_entry, &rw, &rw.done);
    return rw.ret;
}

int blk_pread(BlockBackend *blk, int64_t offset, int64_t bytes, void *buf,
              BdrvRequestFlags flags)
{
    return blk_sync(blk, BLK_OP_READ, offset, bytes, buf, flags);
}

int blk_pwrite(BlockBackend *blk, int64_t offset, int64_t bytes,
               const void *buf, BdrvRequestFlags flags)
{
    return blk_sync(blk, BLK_OP_WRITE, offset, bytes, buf, flags);
}

int blk_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes,
                      BdrvRequestFlags flags)
{
    return blk_sync(blk, BLK_OP_ZERO, offset, bytes, NULL, flags);
}

int blk_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    return blk_sync(blk, BLK_OP_DISCARD, offset, bytes, NULL, 0);
}

int blk_flush(BlockBackend *blk)
{
    return blk_sync(blk, BLK_OP_FLUSH, 0, 0, NULL, 0);
}

static void blk_aio_complete_bh(void *opaque)
{
    BlkRwCo *rw = opaque;

    rw->blk->in_flight--;
    rw->cb(rw->opaque, rw->ret);
    blk_unref(rw->blk);
    g_free(rw);
}

static void coroutine_fn blk_aio_entry(void *opaque)
{
    BlkRwCo *rw = opaque;

    rw->ret = blk_co_do(rw->blk, rw->op, rw->offset, rw->bytes, rw->qiov,
                        rw->flags);
    aio_bh_schedule_oneshot(qemu_get_aio_context(), blk_aio_complete_bh, rw);
}

static void blk_aio_start(BlockBackend *blk, BlkOp op, int64_t offset,
                          QEMUIOVector *qiov, BdrvRequestFlags flags,
                          BlockCompletionFunc *cb, void *opaque)
{
    BlkRwCo *rw = g_new0(BlkRwCo, 1);

    *rw = (BlkRwCo) {
        .blk = blk, .op = op, .offset = offset,
        .bytes = qiov ? (int64_t)qiov->size : 0, .qiov = qiov,
        .flags = flags, .cb = cb, .opaque = opaque,
    };
    blk_ref(blk);
    blk->in_flight++;       /* until the callback ran */
    qemu_coroutine_enter(qemu_coroutine_create(blk_aio_entry, rw));
}

void blk_aio_preadv(BlockBackend *blk, int64_t offset, QEMUIOVector *qiov,
                    BdrvRequestFlags flags, BlockCompletionFunc *cb,
                    void *opaque)
{
    blk_aio_start(blk, BLK_OP_READ, offset, qiov, flags, cb, opaque);
}

void blk_aio_pwritev(BlockBackend *blk, int64_t offset, QEMUIOVector *qiov,
                     BdrvRequestFlags flags, BlockCompletionFunc *cb,
                     void *opaque)
{
    blk_aio_start(blk, BLK_OP_WRITE, offset, qiov, flags, cb, opaque);
}

void blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque)
{
    blk_aio_start(blk, BLK_OP_FLUSH, 0, NULL, 0, cb, opaque);
}

/* ---- the rest ---- */

int64_t blk_getlength(BlockBackend *blk)
{
    return blk_bs(blk) ? bdrv_getlength(blk_bs(blk)) : -ENOMEDIUM;
}

bool blk_truncate(BlockBackend *blk, int64_t offset, bool exact,
                  PreallocMode prealloc, GError **errp)
{
    if (!blk_bs(blk)) {
        error_setg(errp, "No medium inserted");
        return false;
    }
    if (!(blk->perm & BLK_PERM_RESIZE)) {
        error_setg(errp, "Cannot resize: no resize permission");
        return false;
    }
    return bdrv_truncate(blk->root, offset, exact, prealloc, 0, errp) == 0;
}

void blk_drain(BlockBackend *blk)
{
    g_assert(!qemu_in_coroutine());
    while (blk->in_flight > 0 ||
           (blk_bs(blk) && bdrv_in_flight_recursive(blk_bs(blk)) > 0)) {
        aio_poll(qemu_get_aio_context(), true);
    }
}

bool blk_is_read_only(BlockBackend *blk)
{
    return blk_bs(blk) ? bdrv_is_read_only(blk_bs(blk)) : true;
}

BlockAcctStats *blk_get_stats(BlockBackend *blk)
{
    return &blk->stats;
}

unsigned blk_in_flight(BlockBackend *blk)
{
    return blk->in_flight;
}
