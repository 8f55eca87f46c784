/*
 * hbitmap.h: a bitmap of a byte range at a granularity.
 *
 * An HBitmap covers @size items (bytes, for the block layer); each bit
 * stands for 2^granularity items.  Setting or resetting a range changes
 * every bit the range touches (so callers reset aligned ranges).  Lookups of the next set / clear bit
 * skip empty words with a summary level, so iteration over a sparse
 * bitmap of terabytes is cheap.  Main loop thread (not thread-safe).
 */
#ifndef UTIL_HBITMAP_H
#define UTIL_HBITMAP_H

#include "util/osdep.h"

typedef struct HBitmap HBitmap;

/**
 * hbitmap_alloc:
 * @size: items covered (may be 0)
 * @granularity: log2 of the items per bit (0..63)
 *
 * Returns: a new all-clear bitmap, freed with hbitmap_free().
 */
HBitmap *hbitmap_alloc(uint64_t size, int granularity);

void hbitmap_free(HBitmap *hb);

/* Returns: the granularity (log2 items per bit). */
int hbitmap_granularity(const HBitmap *hb);

/* Returns: the number of items covered. */
uint64_t hbitmap_size(const HBitmap *hb);

/* Marks every bit that [@start, @start + @count) touches. */
void hbitmap_set(HBitmap *hb, uint64_t start, uint64_t count);

/* Clears every bit that [@start, @start + @count) touches. */
void hbitmap_reset(HBitmap *hb, uint64_t start, uint64_t count);

/* Clears the whole bitmap. */
void hbitmap_reset_all(HBitmap *hb);

/* Returns: whether the bit holding item @item is set. */
bool hbitmap_get(const HBitmap *hb, uint64_t item);

/* Returns: the number of items in set bits (bits * 2^granularity, the
 * last bit counted only up to @size). */
uint64_t hbitmap_count(const HBitmap *hb);

/**
 * hbitmap_next_dirty:
 * @hb: the bitmap
 * @start: first item to look at
 * @count: how many items to look at (INT64_MAX-like: to the end)
 *
 * Returns: the first item >= @start in a set bit (the larger of @start
 * and the bit's first item), or -1 if none in [@start, @start + @count).
 */
int64_t hbitmap_next_dirty(const HBitmap *hb, uint64_t start, uint64_t count);

/* Same for clear bits. */
int64_t hbitmap_next_zero(const HBitmap *hb, uint64_t start, uint64_t count);

/**
 * hbitmap_truncate:
 * @hb: the bitmap
 * @size: new number of items
 *
 * Grows (new bits clear) or shrinks the bitmap.
 */
void hbitmap_truncate(HBitmap *hb, uint64_t size);

/* ORs @src into @dst (same size and granularity); returns false if not. */
bool hbitmap_merge(HBitmap *dst, const HBitmap *src);

#endif /* UTIL_HBITMAP_H */
