/*
 * raw: the format driver that exposes its "file" child as it is, or a
 * window of it (offset, size).
 *
 * The window is enforced on every request: a read that would leave it
 * fails with -EINVAL and a write with -ENOSPC (as QEMU's), so a guest
 * never sees or changes bytes outside its slice.  Main loop thread.
 */
#include "util/osdep.h"

#include "block/block_int.h"
#include "util/error.h"
#include "trace-block.h"

typedef struct BDRVRawFormatState {
    uint64_t offset;            /* start of the window in the file */
    uint64_t size;              /* its length when has_size */
    bool has_size;              /* fixed window; else up to end of file */
} BDRVRawFormatState;

static int raw_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    /* anything is a raw image, with the lowest score */
    return 1;
}

static bool raw_check_window(BlockDriverState *bs, BDRVRawFormatState *s,
                             GError **errp)
{
    int64_t len = bdrv_getlength(bdrv_file_bs(bs));
    if (len < 0) {
        error_setg_errno(errp, -len, "Could not get image size");
        return false;
    }
    if (s->offset > (uint64_t)len) {
        error_setg(errp, "Offset (%" PRIu64 ") cannot be greater than size "
                   "of the containing file (%" PRId64 ")", s->offset, len);
        return false;
    }
    if (s->has_size && s->size > (uint64_t)len - s->offset) {
        error_setg(errp, "The sum of offset (%" PRIu64 ") and size (%" PRIu64
                   ") has to be smaller or equal to the  actual size of the "
                   "containing file (%" PRId64 ")", s->offset, s->size, len);
        return false;
    }
    if (s->has_size && s->size % BDRV_SECTOR_SIZE) {
        error_setg(errp, "Specified size is not multiple of %d",
                   BDRV_SECTOR_SIZE);
        return false;
    }
    return true;
}

static bool raw_read_window(BDRVRawFormatState *s, BlockdevOptionsRaw *o,
                            GError **errp)
{
    if ((o->has_offset && o->offset < 0) || (o->has_size && o->size < 0)) {
        error_setg(errp, "Parameter '%s' expects a non-negative value",
                   o->has_offset && o->offset < 0 ? "offset" : "size");
        return false;
    }
    s->offset = o->has_offset ? o->offset : 0;
    s->has_size = o->has_size;
    s->size = o->has_size ? o->size : 0;
    return true;
}

static bool raw_open(BlockDriverState *bs, BlockdevOptions *opts, int flags,
                     GError **errp)
{
    BDRVRawFormatState *s = bs->opaque;
    BlockdevOptionsRaw *o = &opts->u.raw;

    if (!raw_read_window(s, o, errp)) {
        return false;
    }
    bs->file = bdrv_open_child("file", o->file, bs,
                               BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL,
                               false, errp);
    if (!bs->file) {
        return false;
    }
    if (!bs->filename[0]) {
        g_strlcpy(bs->filename, bs->file->bs->filename,
                  sizeof(bs->filename));
    }
    trace_raw_format_open(bs, s->offset, s->size, s->has_size);
    return raw_check_window(bs, s, errp);
}

static void raw_close(BlockDriverState *bs)
{
    /* the core detaches the file child */
}

/* Checks [offset, offset + bytes) against the window and moves it into
 * the file.  Returns 0 or -EINVAL (reads) / -ENOSPC (writes). */
static int raw_adjust_offset(BlockDriverState *bs, int64_t *offset,
                             int64_t bytes, bool is_write)
{
    BDRVRawFormatState *s = bs->opaque;

    if (*offset < 0 || bytes < 0) {
        return -EINVAL;
    }
    if (s->has_size && ((uint64_t)*offset > s->size ||
                        (uint64_t)bytes > s->size - *offset)) {
        return is_write ? -ENOSPC : -EINVAL;
    }
    if ((uint64_t)*offset > (uint64_t)INT64_MAX - s->offset) {
        return -EINVAL;
    }
    *offset += s->offset;
    return 0;
}

static int coroutine_fn raw_co_preadv(BlockDriverState *bs, int64_t offset,
                                      int64_t bytes, QEMUIOVector *qiov,
                                      BdrvRequestFlags flags)
{
    int ret = raw_adjust_offset(bs, &offset, bytes, false);

    if (ret < 0) {
        return ret;
    }
    return bdrv_co_preadv(bs->file, offset, bytes, qiov, flags);
}

static int coroutine_fn raw_co_pwritev(BlockDriverState *bs, int64_t offset,
                                       int64_t bytes, QEMUIOVector *qiov,
                                       BdrvRequestFlags flags)
{
    int ret = raw_adjust_offset(bs, &offset, bytes, true);

    if (ret < 0) {
        return ret;
    }
    return bdrv_co_pwritev(bs->file, offset, bytes, qiov, flags);
}

static int coroutine_fn raw_co_pwrite_zeroes(BlockDriverState *bs,
                                             int64_t offset, int64_t bytes,
                                             BdrvRequestFlags flags)
{
    int ret = raw_adjust_offset(bs, &offset, bytes, true);

    if (ret < 0) {
        return ret;
    }
    return bdrv_co_pwrite_zeroes(bs->file, offset, bytes, flags);
}

static int coroutine_fn raw_co_pdiscard(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes)
{
    int ret = raw_adjust_offset(bs, &offset, bytes, true);

    if (ret < 0) {
        return ret;
    }
    return bdrv_co_pdiscard(bs->file, offset, bytes);
}

static int coroutine_fn raw_co_block_status(BlockDriverState *bs,
                                            bool want_zero, int64_t offset,
                                            int64_t bytes, int64_t *pnum,
                                            int64_t *map,
                                            BlockDriverState **file)
{
    BDRVRawFormatState *s = bs->opaque;

    *pnum = bytes;
    *map = offset + s->offset;
    *file = bs->file->bs;
    return BDRV_BLOCK_RAW | BDRV_BLOCK_OFFSET_VALID;
}

static int64_t coroutine_fn raw_co_getlength(BlockDriverState *bs)
{
    BDRVRawFormatState *s = bs->opaque;
    int64_t len;

    if (s->has_size) {
        return s->size;
    }
    len = bdrv_co_getlength(bs->file->bs);
    if (len < 0) {
        return len;
    }
    return len > (int64_t)s->offset ? len - (int64_t)s->offset : 0;
}

static int64_t raw_get_allocated_file_size(BlockDriverState *bs)
{
    BlockDriverState *file = bdrv_file_bs(bs);

    if (!file || !file->drv->bdrv_get_allocated_file_size) {
        return -ENOTSUP;
    }
    return file->drv->bdrv_get_allocated_file_size(file);
}

static int coroutine_fn raw_co_truncate(BlockDriverState *bs, int64_t offset,
                                        bool exact, PreallocMode prealloc,
                                        BdrvRequestFlags flags, GError **errp)
{
    BDRVRawFormatState *s = bs->opaque;

    if (s->has_size) {
        error_setg(errp, "Cannot resize fixed-size raw disks");
        return -ENOTSUP;
    }
    if (offset < 0 || (uint64_t)offset > (uint64_t)INT64_MAX - s->offset) {
        error_setg(errp, "Image size too large for a window at offset %"
                   PRIu64, s->offset);
        return -EINVAL;
    }
    return bdrv_co_truncate(bs->file, offset + s->offset, exact, prealloc,
                            flags, errp);
}

static bool raw_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    memset(bdi, 0, sizeof(*bdi));
    return true;
}

static void raw_child_perm(BlockDriverState *bs, BdrvChild *c,
                           const char *role, uint64_t parent_perm,
                           uint64_t parent_shared, uint64_t *nperm,
                           uint64_t *nshared)
{
    BDRVRawFormatState *s = bs->opaque;

    /* pass-through; a window must not move under its users */
    *nperm = parent_perm;
    *nshared = parent_shared;
    if (s->offset || s->has_size) {
        *nshared &= ~BLK_PERM_RESIZE;
    }
}

static bool raw_create(const char *filename, JsonObject *opts, GError **errp)
{
    BlockDriver *file = bdrv_find_format("file");

    if (!file || !file->bdrv_create) {
        error_setg(errp, "The 'file' protocol driver is not available");
        return false;
    }
    return file->bdrv_create(filename, opts, errp);
}

static const char *const raw_create_opts[] = {
    "size", "preallocation", NULL,
};

static BlockDriver bdrv_raw = {
    .format_name = "raw",
    .instance_size = sizeof(BDRVRawFormatState),
    .is_format = true,
    .bdrv_probe = raw_probe,
    .bdrv_open = raw_open,
    .bdrv_close = raw_close,
    .bdrv_co_preadv = raw_co_preadv,
    .bdrv_co_pwritev = raw_co_pwritev,
    .bdrv_co_pwrite_zeroes = raw_co_pwrite_zeroes,
    .bdrv_co_pdiscard = raw_co_pdiscard,
    .bdrv_co_block_status = raw_co_block_status,
    .bdrv_co_truncate = raw_co_truncate,
    .bdrv_co_getlength = raw_co_getlength,
    .bdrv_get_allocated_file_size = raw_get_allocated_file_size,
    .bdrv_get_info = raw_get_info,
    .bdrv_child_perm = raw_child_perm,
    .bdrv_create = raw_create,
    .create_opts = raw_create_opts,
};

static void __attribute__((constructor)) bdrv_raw_init(void)
{
    bdrv_register(&bdrv_raw);
}
