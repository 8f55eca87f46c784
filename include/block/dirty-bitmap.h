/*
 * dirty-bitmap.h: per-node dirty bitmaps (byte ranges written since the
 * bitmap was created or cleared), for incremental backup and mirror.
 *
 * Every completed write, zero write or discard on a node marks its enabled
 * bitmaps.  Offsets and lengths are bytes; a bitmap's granularity (a power
 * of two from 512 to 2^31) is the size of the range each bit stands for.
 * Main loop thread.
 */
#ifndef BLOCK_DIRTY_BITMAP_H
#define BLOCK_DIRTY_BITMAP_H

#include "block/block.h"

typedef struct BdrvDirtyBitmap BdrvDirtyBitmap;

/**
 * bdrv_create_dirty_bitmap:
 * @bs: the node
 * @granularity: bytes per bit, a power of two 512..2^31 (0: 64 KiB)
 * @name: (nullable): unique name on @bs; NULL for an anonymous bitmap
 * @errp: error ("Bitmap already exists: %s", "Granularity must be power
 *        of 2" ..., QEMU's texts)
 *
 * Returns: the new enabled, clear bitmap (owned by @bs), or NULL.
 */
BdrvDirtyBitmap *bdrv_create_dirty_bitmap(BlockDriverState *bs,
                                          uint32_t granularity,
                                          const char *name, GError **errp);
void bdrv_release_dirty_bitmap(BdrvDirtyBitmap *bitmap);
/* Releases every bitmap of @bs (node close). */
void bdrv_release_all_dirty_bitmaps(BlockDriverState *bs);
BdrvDirtyBitmap *bdrv_find_dirty_bitmap(BlockDriverState *bs,
                                        const char *name);
/* Iterates @bs's bitmaps; NULL starts. */
BdrvDirtyBitmap *bdrv_dirty_bitmap_next(BlockDriverState *bs,
                                        BdrvDirtyBitmap *bitmap);
const char *bdrv_dirty_bitmap_name(const BdrvDirtyBitmap *bitmap);
void bdrv_clear_dirty_bitmap(BdrvDirtyBitmap *bitmap);
/* Returns: dirty bytes. */
uint64_t bdrv_dirty_bitmap_count(const BdrvDirtyBitmap *bitmap);
uint32_t bdrv_dirty_bitmap_granularity(const BdrvDirtyBitmap *bitmap);
/* Returns: bytes covered (the node's length when created). */
int64_t bdrv_dirty_bitmap_size(const BdrvDirtyBitmap *bitmap);
/* Returns: the first dirty (clean) offset in [@offset, @offset + @bytes),
 * or -1. */
int64_t bdrv_dirty_bitmap_next_dirty(BdrvDirtyBitmap *bitmap, int64_t offset,
                                     int64_t bytes);
int64_t bdrv_dirty_bitmap_next_zero(BdrvDirtyBitmap *bitmap, int64_t offset,
                                    int64_t bytes);
bool bdrv_dirty_bitmap_get(BdrvDirtyBitmap *bitmap, int64_t offset);
void bdrv_set_dirty_bitmap(BdrvDirtyBitmap *bitmap, int64_t offset,
                           int64_t bytes);
void bdrv_reset_dirty_bitmap(BdrvDirtyBitmap *bitmap, int64_t offset,
                             int64_t bytes);
bool bdrv_dirty_bitmap_enabled(const BdrvDirtyBitmap *bitmap);
void bdrv_enable_dirty_bitmap(BdrvDirtyBitmap *bitmap);
void bdrv_disable_dirty_bitmap(BdrvDirtyBitmap *bitmap);
/* Busy: in use by a job; QMP refuses to touch it. */
bool bdrv_dirty_bitmap_busy(const BdrvDirtyBitmap *bitmap);
void bdrv_dirty_bitmap_set_busy(BdrvDirtyBitmap *bitmap, bool busy);
bool bdrv_dirty_bitmap_persistent(const BdrvDirtyBitmap *bitmap);
void bdrv_dirty_bitmap_set_persistent(BdrvDirtyBitmap *bitmap, bool pers);
/* Merges @src into @dst (same granularity and size); false + @errp. */
bool bdrv_merge_dirty_bitmap(BdrvDirtyBitmap *dst, BdrvDirtyBitmap *src,
                             GError **errp);
/* Resizes @bs's bitmaps to @bytes (after truncate). */
void bdrv_dirty_bitmap_truncate(BlockDriverState *bs, int64_t bytes);

#endif /* BLOCK_DIRTY_BITMAP_H */
