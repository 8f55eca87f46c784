/*
 * io-status.c: block status (through the backing chain), truncate,
 * length, and the synchronous wrappers of the request layer.
 *
 * Main loop thread.  See docs/devel/block.md.
 */
#include "util/osdep.h"
#include "util/main-loop.h"
#include "block/block_int.h"
#include "block/dirty-bitmap.h"
#include "graph-int.h"
#include "trace-block.h"

int64_t coroutine_fn bdrv_co_getlength(BlockDriverState *bs)
{
    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    if (bs->drv->bdrv_co_getlength) {
        return bs->drv->bdrv_co_getlength(bs);
    }
    return bs->total_sectors * BDRV_SECTOR_SIZE;
}

/* What a driver without block_status reports. */
static int bdrv_default_block_status(BlockDriverState *bs, int64_t offset,
                                     int64_t bytes, int64_t *pnum,
                                     int64_t *map, BlockDriverState **file)
{
    *pnum = bytes;
    *map = offset;
    if (bs->file) {
        *file = bs->file->bs;
        return BDRV_BLOCK_RAW | BDRV_BLOCK_OFFSET_VALID;
    }
    *file = bs;
    return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
}

/* Zero for unallocated ranges without anything below them. */
static int coroutine_fn bdrv_status_unallocated(BlockDriverState *bs,
                                                int64_t offset, int ret)
{
    BlockDriverState *cow = bdrv_backing_bs(bs);
    int64_t len;

    if (ret & (BDRV_BLOCK_DATA | BDRV_BLOCK_ZERO)) {
        return ret | BDRV_BLOCK_ALLOCATED;
    }
    if (!bs->drv->supports_backing) {
        return ret;
    }
    if (!cow) {
        return ret | BDRV_BLOCK_ZERO;
    }
    len = bdrv_co_getlength(cow);
    if (len >= 0 && offset >= len) {
        ret |= BDRV_BLOCK_ZERO;
    }
    return ret;
}

/*
 * The driver said data at @map in @file but the file may know better
 * (preallocated metadata): a hole in the file, or past its end, reads as
 * zeroes.  The file's answer only adds information, so its errors are
 * ignored.
 */
static int coroutine_fn bdrv_status_ask_file(int ret, BlockDriverState *file,
                                             int64_t map, int64_t *pnum)
{
    int64_t n = 0;
    int fret;

    ret &= ~BDRV_BLOCK_RECURSE;
    if (!file || !(ret & BDRV_BLOCK_DATA) || (ret & BDRV_BLOCK_ZERO) ||
        !(ret & BDRV_BLOCK_OFFSET_VALID)) {
        return ret;
    }
    fret = bdrv_co_block_status(file, map, *pnum, &n, NULL, NULL);
    if (fret < 0) {
        return ret;
    }
    if ((fret & BDRV_BLOCK_EOF) && (n == 0 || (fret & BDRV_BLOCK_ZERO))) {
        return ret | BDRV_BLOCK_ZERO;
    }
    *pnum = n;
    return ret | (fret & BDRV_BLOCK_ZERO);
}

int coroutine_fn bdrv_co_block_status(BlockDriverState *bs, int64_t offset,
                                      int64_t bytes, int64_t *pnum,
                                      int64_t *map, BlockDriverState **file)
{
    BlockDriverState *lfile = NULL;
    int64_t lmap = 0, len;
    int ret;

    *pnum = 0;
    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    len = bdrv_co_getlength(bs);
    if (len < 0) {
        return len;
    }
    if (offset < 0 || bytes < 0) {
        return -EINVAL;
    }
    if (offset >= len || bytes == 0) {
        return offset >= len ? BDRV_BLOCK_EOF : 0;
    }
    bytes = MIN(bytes, len - offset);
    bs->in_flight++;
    if (bs->drv->bdrv_co_block_status) {
        ret = bs->drv->bdrv_co_block_status(bs, true, offset, bytes, pnum,
                                            &lmap, &lfile);
    } else {
        ret = bdrv_default_block_status(bs, offset, bytes, pnum, &lmap,
                                        &lfile);
    }
    if (ret >= 0) {
        *pnum = MIN(MAX(*pnum, 0), bytes);
        if (ret & BDRV_BLOCK_RAW) {
            int64_t n = *pnum;

            ret = bdrv_co_block_status(lfile, lmap, n, pnum, &lmap, &lfile);
            if (ret >= 0) {
                ret = (ret & ~BDRV_BLOCK_EOF) | BDRV_BLOCK_ALLOCATED;
                if (*pnum == 0) {
                    /* past the end of the file below: zeroes */
                    *pnum = n;
                    ret = BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED;
                }
            }
        } else {
            ret = bdrv_status_unallocated(bs, offset, ret);
        }
        if (ret & BDRV_BLOCK_RECURSE) {
            ret = bdrv_status_ask_file(ret, lfile, lmap, pnum);
        }
    }
    bs->in_flight--;
    if (ret >= 0 && offset + *pnum == len) {
        ret |= BDRV_BLOCK_EOF;
    }
    if (map) {
        *map = lmap;
    }
    if (file) {
        *file = lfile;
    }
    return ret;
}

int coroutine_fn bdrv_co_block_status_above(BlockDriverState *bs,
                                            BlockDriverState *base,
                                            int64_t offset, int64_t bytes,
                                            int64_t *pnum, int64_t *map,
                                            BlockDriverState **file)
{
    BlockDriverState *p;
    int64_t eof = -1;
    int ret;

    ret = bdrv_co_block_status(bs, offset, bytes, pnum, map, file);
    if (ret < 0 || *pnum == 0 || (ret & BDRV_BLOCK_ALLOCATED) ||
        bs == base) {
        return ret;
    }
    if (ret & BDRV_BLOCK_EOF) {
        eof = offset + *pnum;
    }
    bytes = *pnum;
    for (p = bdrv_backing_bs(bs); p && p != base; p = bdrv_backing_bs(p)) {
        ret = bdrv_co_block_status(p, offset, bytes, pnum, map, file);
        if (ret < 0) {
            return ret;
        }
        if (*pnum == 0) {
            /* @p is shorter than the overlay: zeroes */
            *pnum = bytes;
            if (file) {
                *file = p;
            }
            ret = BDRV_BLOCK_ZERO | BDRV_BLOCK_ALLOCATED;
            break;
        }
        if (ret & BDRV_BLOCK_ALLOCATED) {
            break;
        }
        bytes = MIN(bytes, *pnum);
    }
    ret &= ~BDRV_BLOCK_EOF;
    if (offset + *pnum == eof) {
        ret |= BDRV_BLOCK_EOF;
    }
    return ret;
}

int coroutine_fn bdrv_co_is_allocated_above(BlockDriverState *top,
                                            BlockDriverState *base,
                                            bool include_base, int64_t offset,
                                            int64_t bytes, int64_t *pnum)
{
    BlockDriverState *p;
    int64_t n = bytes;

    for (p = top; p; p = bdrv_backing_bs(p)) {
        int64_t pn = 0;
        int ret;

        if (p == base && !include_base) {
            break;
        }
        ret = bdrv_co_block_status(p, offset, n, &pn, NULL, NULL);
        if (ret < 0) {
            return ret;
        }
        if (pn == 0) {
            pn = n;     /* past this node's end: not allocated here */
        } else if (ret & BDRV_BLOCK_ALLOCATED) {
            *pnum = pn;
            return 1;
        }
        n = MIN(n, pn);
        if (p == base) {
            break;
        }
    }
    *pnum = n;
    return 0;
}

int coroutine_fn bdrv_co_truncate_bs(BlockDriverState *bs, int64_t offset,
                                     bool exact, PreallocMode prealloc,
                                     BdrvRequestFlags flags, GError **errp)
{
    int ret;

    if (!bs || !bs->drv) {
        error_setg(errp, "No medium inserted");
        return -ENOMEDIUM;
    }
    if (offset < 0 || offset > BDRV_MAX_LENGTH) {
        error_setg(errp, "Image size cannot be negative");
        return -EINVAL;
    }
    if (!bdrv_is_writable(bs)) {
        error_setg(errp, "Image is read-only");
        return -EACCES;
    }
    if (!bs->drv->bdrv_co_truncate) {
        error_setg(errp, "Image format driver does not support resize");
        return -ENOTSUP;
    }
    bs->in_flight++;
    ret = bs->drv->bdrv_co_truncate(bs, offset, exact, prealloc, flags,
                                    errp);
    if (ret == 0) {
        bs->write_gen++;
        bdrv_dirty_bitmap_truncate(bs, offset);
    }
    bs->in_flight--;
    return ret;
}

int coroutine_fn bdrv_co_truncate(BdrvChild *child, int64_t offset,
                                  bool exact, PreallocMode prealloc,
                                  BdrvRequestFlags flags, GError **errp)
{
    return bdrv_co_truncate_bs(child ? child->bs : NULL, offset, exact,
                               prealloc, flags, errp);
}

/* ---- synchronous wrappers ---- */

void bdrv_run_co(CoroutineEntry *entry, void *opaque, bool *done)
{
    if (qemu_in_coroutine()) {
        entry(opaque);
        return;
    }
    qemu_coroutine_enter(qemu_coroutine_create(entry, opaque));
    while (!*done) {
        aio_poll(qemu_get_aio_context(), true);
    }
}

typedef enum {
    SYNC_READ, SYNC_WRITE, SYNC_ZERO, SYNC_DISCARD, SYNC_FLUSH,
    SYNC_LENGTH, SYNC_STATUS, SYNC_ALLOCATED, SYNC_TRUNCATE,
} BdrvSyncOp;

typedef struct BdrvSyncCo {
    BdrvSyncOp op;
    BlockDriverState *bs;
    BlockDriverState *base;
    int64_t offset;
    int64_t bytes;
    QEMUIOVector *qiov;
    BdrvRequestFlags flags;
    bool flag;                  /* include_base / exact */
    PreallocMode prealloc;
    int64_t *pnum;
    int64_t *map;
    BlockDriverState **file;
    GError **errp;
    int64_t ret;
    bool done;
} BdrvSyncCo;

static void coroutine_fn bdrv_sync_entry(void *opaque)
{
    BdrvSyncCo *s = opaque;

    switch (s->op) {
    case SYNC_READ:
        s->ret = bdrv_co_preadv_bs(s->bs, s->offset, s->bytes, s->qiov,
                                   s->flags);
        break;
    case SYNC_WRITE:
    case SYNC_ZERO:
        s->ret = bdrv_co_pwritev_bs(s->bs, s->offset, s->bytes, s->qiov,
                                    s->flags);
        break;
    case SYNC_DISCARD:
        s->ret = bdrv_co_pdiscard_bs(s->bs, s->offset, s->bytes);
        break;
    case SYNC_FLUSH:
        s->ret = bdrv_co_flush(s->bs);
        break;
    case SYNC_LENGTH:
        s->ret = bdrv_co_getlength(s->bs);
        break;
    case SYNC_STATUS:
        s->ret = bdrv_co_block_status_above(s->bs, s->base, s->offset,
                                            s->bytes, s->pnum, s->map,
                                            s->file);
        break;
    case SYNC_ALLOCATED:
        s->ret = bdrv_co_is_allocated_above(s->bs, s->base, s->flag,
                                            s->offset, s->bytes, s->pnum);
        break;
    case SYNC_TRUNCATE:
        s->ret = bdrv_co_truncate_bs(s->bs, s->offset, s->flag, s->prealloc,
                                     s->flags, s->errp);
        break;
    }
    s->done = true;
}

static int64_t bdrv_sync(BdrvSyncCo *s)
{
    bdrv_run_co(bdrv_sync_entry, s, &s->done);
    return s->ret;
}

static int bdrv_sync_rw(BdrvSyncOp op, BlockDriverState *bs, int64_t offset,
                        int64_t bytes, const void *buf,
                        BdrvRequestFlags flags)
{
    QEMUIOVector qiov;
    BdrvSyncCo s = {
        .op = op, .bs = bs, .offset = offset, .bytes = bytes,
        .qiov = &qiov, .flags = flags,
    };

    if (bytes < 0) {
        return -EINVAL;
    }
    qemu_iovec_init_buf(&qiov, (void *)buf, bytes);
    return bdrv_sync(&s);
}

int bdrv_pread_bs(BlockDriverState *bs, int64_t offset, int64_t bytes,
                  void *buf)
{
    return bdrv_sync_rw(SYNC_READ, bs, offset, bytes, buf, 0);
}

int bdrv_pread(BdrvChild *child, int64_t offset, int64_t bytes, void *buf,
               BdrvRequestFlags flags)
{
    return bdrv_sync_rw(SYNC_READ, child->bs, offset, bytes, buf, flags);
}

int bdrv_pwrite(BdrvChild *child, int64_t offset, int64_t bytes,
                const void *buf, BdrvRequestFlags flags)
{
    return bdrv_sync_rw(SYNC_WRITE, child->bs, offset, bytes, buf, flags);
}

int bdrv_pwrite_sync(BdrvChild *child, int64_t offset, int64_t bytes,
                     const void *buf, BdrvRequestFlags flags)
{
    int ret = bdrv_pwrite(child, offset, bytes, buf, flags);

    return ret < 0 ? ret : bdrv_flush(child->bs);
}

int bdrv_pwrite_zeroes(BdrvChild *child, int64_t offset, int64_t bytes,
                       BdrvRequestFlags flags)
{
    BdrvSyncCo s = {
        .op = SYNC_ZERO, .bs = child->bs, .offset = offset, .bytes = bytes,
        .flags = flags | BDRV_REQ_ZERO_WRITE,
    };

    return bdrv_sync(&s);
}

int bdrv_pdiscard(BdrvChild *child, int64_t offset, int64_t bytes)
{
    BdrvSyncCo s = {
        .op = SYNC_DISCARD, .bs = child->bs, .offset = offset,
        .bytes = bytes,
    };

    return bdrv_sync(&s);
}

int bdrv_flush(BlockDriverState *bs)
{
    BdrvSyncCo s = { .op = SYNC_FLUSH, .bs = bs };

    return bdrv_sync(&s);
}

int64_t bdrv_getlength(BlockDriverState *bs)
{
    BdrvSyncCo s = { .op = SYNC_LENGTH, .bs = bs };

    return bdrv_sync(&s);
}

int bdrv_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      int64_t *pnum, int64_t *map, BlockDriverState **file)
{
    return bdrv_block_status_above(bs, bdrv_backing_bs(bs), offset, bytes,
                                   pnum, map, file);
}

int bdrv_block_status_above(BlockDriverState *bs, BlockDriverState *base,
                            int64_t offset, int64_t bytes, int64_t *pnum,
                            int64_t *map, BlockDriverState **file)
{
    BdrvSyncCo s = {
        .op = SYNC_STATUS, .bs = bs, .base = base, .offset = offset,
        .bytes = bytes, .pnum = pnum, .map = map, .file = file,
    };

    return bdrv_sync(&s);
}

int bdrv_is_allocated_above(BlockDriverState *top, BlockDriverState *base,
                            bool include_base, int64_t offset, int64_t bytes,
                            int64_t *pnum)
{
    BdrvSyncCo s = {
        .op = SYNC_ALLOCATED, .bs = top, .base = base, .flag = include_base,
        .offset = offset, .bytes = bytes, .pnum = pnum,
    };

    return bdrv_sync(&s);
}

int bdrv_truncate(BdrvChild *child, int64_t offset, bool exact,
                  PreallocMode prealloc, BdrvRequestFlags flags,
                  GError **errp)
{
    BdrvSyncCo s = {
        .op = SYNC_TRUNCATE, .bs = child->bs, .offset = offset,
        .flag = exact, .prealloc = prealloc, .flags = flags, .errp = errp,
    };

    return bdrv_sync(&s);
}
