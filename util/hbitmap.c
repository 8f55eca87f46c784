/*
 * hbitmap.c: a bitmap of a range at a granularity, with a summary level
 * (one bit per non-zero word) so that sparse bitmaps iterate quickly.
 */
#include "util/osdep.h"
#include "util/hbitmap.h"

#define BITS_PER_WORD 64

struct HBitmap {
    uint64_t size;          /* items covered */
    int granularity;        /* log2 items per bit */
    uint64_t nbits;
    size_t nwords;
    uint64_t *words;        /* level 0 */
    uint64_t *summary;      /* bit w set iff words[w] != 0 */
    uint64_t set_bits;      /* popcount of level 0 */
};

static uint64_t hb_nbits(uint64_t size, int granularity)
{
    if (size == 0) {
        return 0;
    }
    return ((size - 1) >> granularity) + 1;
}

static void hb_alloc_arrays(HBitmap *hb)
{
    size_t nsum;

    hb->nbits = hb_nbits(hb->size, hb->granularity);
    hb->nwords = MAX((hb->nbits + BITS_PER_WORD - 1) / BITS_PER_WORD, 1);
    nsum = (hb->nwords + BITS_PER_WORD - 1) / BITS_PER_WORD;
    hb->words = g_new0(uint64_t, hb->nwords);
    hb->summary = g_new0(uint64_t, nsum);
}

HBitmap *hbitmap_alloc(uint64_t size, int granularity)
{
    HBitmap *hb = g_new0(HBitmap, 1);

    g_assert(granularity >= 0 && granularity < 64);
    hb->size = size;
    hb->granularity = granularity;
    hb_alloc_arrays(hb);
    return hb;
}

void hbitmap_free(HBitmap *hb)
{
    if (hb) {
        g_free(hb->words);
        g_free(hb->summary);
        g_free(hb);
    }
}

int hbitmap_granularity(const HBitmap *hb)
{
    return hb->granularity;
}

uint64_t hbitmap_size(const HBitmap *hb)
{
    return hb->size;
}

static void hb_update_summary(HBitmap *hb, size_t w)
{
    uint64_t bit = 1ULL << (w % BITS_PER_WORD);

    if (hb->words[w]) {
        hb->summary[w / BITS_PER_WORD] |= bit;
    } else {
        hb->summary[w / BITS_PER_WORD] &= ~bit;
    }
}

/* Sets or clears bits [first, last] of level 0. */
static void hb_change_bits(HBitmap *hb, uint64_t first, uint64_t last,
                           bool set)
{
    size_t w;

    for (w = first / BITS_PER_WORD; w <= last / BITS_PER_WORD; w++) {
        uint64_t lo = MAX(first, (uint64_t)w * BITS_PER_WORD);
        uint64_t hi = MIN(last, (uint64_t)w * BITS_PER_WORD + 63);
        int nb = hi - lo + 1;
        uint64_t mask = nb == 64 ? ~0ULL : ((1ULL << nb) - 1);
        uint64_t old = hb->words[w];

        mask <<= lo % BITS_PER_WORD;
        hb->words[w] = set ? old | mask : old & ~mask;
        hb->set_bits += __builtin_popcountll(hb->words[w]);
        hb->set_bits -= __builtin_popcountll(old);
        if (!old != !hb->words[w]) {
            hb_update_summary(hb, w);
        }
    }
}

/* Converts an item range to a bit range; false if empty. */
static bool hb_range(const HBitmap *hb, uint64_t start, uint64_t count,
                     uint64_t *first, uint64_t *last)
{
    uint64_t end;

    if (count == 0 || start >= hb->size) {
        return false;
    }
    end = count > hb->size - start ? hb->size : start + count;
    *first = start >> hb->granularity;
    *last = (end - 1) >> hb->granularity;
    return true;
}

void hbitmap_set(HBitmap *hb, uint64_t start, uint64_t count)
{
    uint64_t first, last;

    if (hb_range(hb, start, count, &first, &last)) {
        hb_change_bits(hb, first, last, true);
    }
}

void hbitmap_reset(HBitmap *hb, uint64_t start, uint64_t count)
{
    uint64_t first, last;

    if (hb_range(hb, start, count, &first, &last)) {
        hb_change_bits(hb, first, last, false);
    }
}

void hbitmap_reset_all(HBitmap *hb)
{
    memset(hb->words, 0, hb->nwords * sizeof(uint64_t));
    memset(hb->summary, 0,
           ((hb->nwords + 63) / 64) * sizeof(uint64_t));
    hb->set_bits = 0;
}

bool hbitmap_get(const HBitmap *hb, uint64_t item)
{
    uint64_t bit;

    if (item >= hb->size) {
        return false;
    }
    bit = item >> hb->granularity;
    return hb->words[bit / 64] & (1ULL << (bit % 64));
}

uint64_t hbitmap_count(const HBitmap *hb)
{
    uint64_t items = hb->set_bits << hb->granularity;
    uint64_t last = hb->nbits - 1;

    if (hb->nbits && (hb->words[last / 64] & (1ULL << (last % 64)))) {
        /* the last bit covers only up to size */
        items -= (hb->nbits << hb->granularity) - hb->size;
    }
    return items;
}

/* Returns: the first non-zero word index >= @w, or nwords. */
static size_t hb_next_nonzero_word(const HBitmap *hb, size_t w)
{
    size_t nsum = (hb->nwords + 63) / 64;
    size_t s = w / 64;
    uint64_t cur;

    if (s >= nsum) {
        return hb->nwords;
    }
    cur = hb->summary[s] & (~0ULL << (w % 64));
    while (!cur) {
        if (++s >= nsum) {
            return hb->nwords;
        }
        cur = hb->summary[s];
    }
    return s * 64 + __builtin_ctzll(cur);
}

/* Returns: the first bit in [first, last] whose value is @val, or -1. */
static int64_t hb_find_bit(const HBitmap *hb, uint64_t first, uint64_t last,
                           bool val)
{
    size_t w = first / 64;
    uint64_t cur;

    if (val && !(hb->words[w] & (~0ULL << (first % 64)))) {
        w = hb_next_nonzero_word(hb, w + 1);
        if (w >= hb->nwords) {
            return -1;
        }
        cur = hb->words[w];
    } else {
        cur = val ? hb->words[w] : ~hb->words[w];
        cur &= ~0ULL << (first % 64);
        while (!cur && !val) {
            if (++w >= hb->nwords) {
                return -1;
            }
            cur = ~hb->words[w];
        }
    }
    first = (uint64_t)w * 64 + __builtin_ctzll(cur);
    return first <= last ? (int64_t)first : -1;
}

static int64_t hb_next(const HBitmap *hb, uint64_t start, uint64_t count,
                       bool val)
{
    uint64_t first, last;
    int64_t bit;

    if (!hb_range(hb, start, count, &first, &last)) {
        return -1;
    }
    bit = hb_find_bit(hb, first, last, val);
    if (bit < 0) {
        return -1;
    }
    return MAX(start, (uint64_t)bit << hb->granularity);
}

int64_t hbitmap_next_dirty(const HBitmap *hb, uint64_t start, uint64_t count)
{
    return hb_next(hb, start, count, true);
}

int64_t hbitmap_next_zero(const HBitmap *hb, uint64_t start, uint64_t count)
{
    return hb_next(hb, start, count, false);
}

void hbitmap_truncate(HBitmap *hb, uint64_t size)
{
    uint64_t *old_words = hb->words;
    size_t old_nwords = hb->nwords;
    uint64_t old_nbits = hb->nbits;
    size_t w;

    g_free(hb->summary);
    hb->size = size;
    hb_alloc_arrays(hb);
    memcpy(hb->words, old_words,
           MIN(old_nwords, hb->nwords) * sizeof(uint64_t));
    g_free(old_words);
    if (hb->nbits < old_nbits && hb->nbits % 64) {
        /* drop the bits past the new end in the last word */
        hb->words[hb->nbits / 64] &= (1ULL << (hb->nbits % 64)) - 1;
    }
    if (hb->nbits == 0) {
        hb->words[0] = 0;
    }
    hb->set_bits = 0;
    for (w = 0; w < hb->nwords; w++) {
        hb->set_bits += __builtin_popcountll(hb->words[w]);
        hb_update_summary(hb, w);
    }
}

bool hbitmap_merge(HBitmap *dst, const HBitmap *src)
{
    size_t w;

    if (dst->size != src->size || dst->granularity != src->granularity) {
        return false;
    }
    dst->set_bits = 0;
    for (w = 0; w < dst->nwords; w++) {
        dst->words[w] |= src->words[w];
        dst->set_bits += __builtin_popcountll(dst->words[w]);
        hb_update_summary(dst, w);
    }
    return true;
}
