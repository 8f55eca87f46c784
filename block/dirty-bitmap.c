/*
 * dirty-bitmap.c: per-node dirty bitmaps over HBitmap.
 *
 * Main loop thread.  See docs/devel/block.md.
 */
#include "util/osdep.h"
#include "util/hbitmap.h"
#include "block/block_int.h"
#include "block/dirty-bitmap.h"
#include "trace-block.h"

#define BDRV_BITMAP_DEFAULT_GRANULARITY (64 * 1024)

struct BdrvDirtyBitmap {
    BlockDriverState *bs;
    HBitmap *hb;
    char *name;             /* NULL: anonymous */
    int64_t size;
    bool disabled;
    bool busy;
    bool persistent;
};

BdrvDirtyBitmap *bdrv_create_dirty_bitmap(BlockDriverState *bs,
                                          uint32_t granularity,
                                          const char *name, GError **errp)
{
    BdrvDirtyBitmap *bm;
    int64_t size;

    if (granularity == 0) {
        granularity = BDRV_BITMAP_DEFAULT_GRANULARITY;
    }
    if (granularity < 512 || granularity > (1U << 31) ||
        (granularity & (granularity - 1))) {
        error_setg(errp, "Granularity must be power of 2 between 512 and "
                   "2147483648");
        return NULL;
    }
    if (name && bdrv_find_dirty_bitmap(bs, name)) {
        error_setg(errp, "Bitmap already exists: %s", name);
        return NULL;
    }
    if (name && strlen(name) > 1023) {
        error_setg(errp, "Bitmap name too long: %s", name);
        return NULL;
    }
    size = bdrv_getlength(bs);
    if (size < 0) {
        error_setg_errno(errp, -size, "could not get length of device");
        return NULL;
    }
    bm = g_new0(BdrvDirtyBitmap, 1);
    bm->bs = bs;
    bm->size = size;
    bm->name = g_strdup(name);
    bm->hb = hbitmap_alloc(size, __builtin_ctz(granularity));
    bs->dirty_bitmaps = g_list_append(bs->dirty_bitmaps, bm);
    trace_bdrv_create_dirty_bitmap(bs, bm, granularity);
    return bm;
}

void bdrv_release_dirty_bitmap(BdrvDirtyBitmap *bm)
{
    if (!bm) {
        return;
    }
    bm->bs->dirty_bitmaps = g_list_remove(bm->bs->dirty_bitmaps, bm);
    hbitmap_free(bm->hb);
    g_free(bm->name);
    g_free(bm);
}

void bdrv_release_all_dirty_bitmaps(BlockDriverState *bs)
{
    while (bs->dirty_bitmaps) {
        bdrv_release_dirty_bitmap(bs->dirty_bitmaps->data);
    }
}

BdrvDirtyBitmap *bdrv_find_dirty_bitmap(BlockDriverState *bs,
                                        const char *name)
{
    GList *l;

    for (l = bs->dirty_bitmaps; l; l = l->next) {
        BdrvDirtyBitmap *bm = l->data;

        if (bm->name && !strcmp(bm->name, name)) {
            return bm;
        }
    }
    return NULL;
}

BdrvDirtyBitmap *bdrv_dirty_bitmap_next(BlockDriverState *bs,
                                        BdrvDirtyBitmap *bitmap)
{
    GList *l;

    if (!bitmap) {
        return bs->dirty_bitmaps ? bs->dirty_bitmaps->data : NULL;
    }
    l = g_list_find(bs->dirty_bitmaps, bitmap);
    return l && l->next ? l->next->data : NULL;
}

const char *bdrv_dirty_bitmap_name(const BdrvDirtyBitmap *bitmap)
{
    return bitmap->name;
}

void bdrv_clear_dirty_bitmap(BdrvDirtyBitmap *bitmap)
{
    hbitmap_reset_all(bitmap->hb);
}

uint64_t bdrv_dirty_bitmap_count(const BdrvDirtyBitmap *bitmap)
{
    return hbitmap_count(bitmap->hb);
}

uint32_t bdrv_dirty_bitmap_granularity(const BdrvDirtyBitmap *bitmap)
{
    return 1U << hbitmap_granularity(bitmap->hb);
}

int64_t bdrv_dirty_bitmap_size(const BdrvDirtyBitmap *bitmap)
{
    return bitmap->size;
}

int64_t bdrv_dirty_bitmap_next_dirty(BdrvDirtyBitmap *bitmap, int64_t offset,
                                     int64_t bytes)
{
    if (offset < 0 || bytes <= 0) {
        return -1;
    }
    return hbitmap_next_dirty(bitmap->hb, offset, bytes);
}

int64_t bdrv_dirty_bitmap_next_zero(BdrvDirtyBitmap *bitmap, int64_t offset,
                                    int64_t bytes)
{
    if (offset < 0 || bytes <= 0) {
        return -1;
    }
    return hbitmap_next_zero(bitmap->hb, offset, bytes);
}

bool bdrv_dirty_bitmap_get(BdrvDirtyBitmap *bitmap, int64_t offset)
{
    return offset >= 0 && hbitmap_get(bitmap->hb, offset);
}

void bdrv_set_dirty_bitmap(BdrvDirtyBitmap *bitmap, int64_t offset,
                           int64_t bytes)
{
    if (offset >= 0 && bytes > 0) {
        hbitmap_set(bitmap->hb, offset, bytes);
    }
}

void bdrv_reset_dirty_bitmap(BdrvDirtyBitmap *bitmap, int64_t offset,
                             int64_t bytes)
{
    if (offset >= 0 && bytes > 0) {
        hbitmap_reset(bitmap->hb, offset, bytes);
    }
}

bool bdrv_dirty_bitmap_enabled(const BdrvDirtyBitmap *bitmap)
{
    return !bitmap->disabled;
}

void bdrv_enable_dirty_bitmap(BdrvDirtyBitmap *bitmap)
{
    bitmap->disabled = false;
}

void bdrv_disable_dirty_bitmap(BdrvDirtyBitmap *bitmap)
{
    bitmap->disabled = true;
}

bool bdrv_dirty_bitmap_busy(const BdrvDirtyBitmap *bitmap)
{
    return bitmap->busy;
}

void bdrv_dirty_bitmap_set_busy(BdrvDirtyBitmap *bitmap, bool busy)
{
    bitmap->busy = busy;
}

bool bdrv_dirty_bitmap_persistent(const BdrvDirtyBitmap *bitmap)
{
    return bitmap->persistent;
}

void bdrv_dirty_bitmap_set_persistent(BdrvDirtyBitmap *bitmap, bool pers)
{
    bitmap->persistent = pers;
}

bool bdrv_merge_dirty_bitmap(BdrvDirtyBitmap *dst, BdrvDirtyBitmap *src,
                             GError **errp)
{
    if (!hbitmap_merge(dst->hb, src->hb)) {
        error_setg(errp, "Bitmaps are incompatible and can't be merged");
        return false;
    }
    return true;
}

void bdrv_dirty_bitmap_truncate(BlockDriverState *bs, int64_t bytes)
{
    GList *l;

    for (l = bs->dirty_bitmaps; l; l = l->next) {
        BdrvDirtyBitmap *bm = l->data;

        hbitmap_truncate(bm->hb, bytes);
        bm->size = bytes;
    }
}

void bdrv_set_dirty(BlockDriverState *bs, int64_t offset, int64_t bytes)
{
    GList *l;

    for (l = bs->dirty_bitmaps; l; l = l->next) {
        BdrvDirtyBitmap *bm = l->data;

        if (!bm->disabled) {
            bdrv_set_dirty_bitmap(bm, offset, bytes);
        }
    }
}
