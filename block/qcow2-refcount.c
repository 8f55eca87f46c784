/*
 * qcow2-refcount.c: qcow2 reference counts — the refcount table and
 * blocks, cluster allocation and freeing, and the metadata overlap checks.
 *
 * Refcount entries have any width from 1 to 64 bits (refcount_order
 * 0..6), stored big-endian and, below 8 bits, packed from the least
 * significant bit of each byte (qcow2.rst).  Refcount blocks live in
 * s->refcount_block_cache; the table is kept in memory in host order and
 * written entry by entry.  The table grows by writing a new table and new
 * self-describing refcount blocks into fresh clusters past the end of the
 * image and switching the header to it with one write.
 *
 * Main loop thread, s->lock held by coroutine callers.
 */
#include "util/osdep.h"

#include "block/qcow2.h"
#include "trace-block.h"

int qcow2_refcount_init(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bytes = (uint64_t)s->refcount_table_size * sizeof(uint64_t);
    int ret;

    s->refcount_table = g_try_malloc0(MAX(bytes, 1));
    if (!s->refcount_table) {
        return -ENOMEM;
    }
    if (bytes) {
        ret = qcow2_file_pread(bs, s->refcount_table_offset,
                               s->refcount_table, bytes);
        if (ret < 0) {
            return ret;
        }
    }
    s->max_refcount_table_index = 0;
    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        s->refcount_table[i] = GUINT64_FROM_BE(s->refcount_table[i]);
        if (s->refcount_table[i]) {
            s->max_refcount_table_index = i + 1;
        }
    }
    return 0;
}

void qcow2_refcount_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    g_clear_pointer(&s->refcount_table, g_free);
}

uint64_t qcow2_get_refcount_entry(BDRVQcow2State *s, const void *block,
                                  uint64_t index)
{
    const uint8_t *p = block;
    int bits = s->refcount_bits;

    switch (bits) {
    case 8:
        return p[index];
    case 16:
        return ((uint64_t)p[index * 2] << 8) | p[index * 2 + 1];
    case 32:
        return ((uint64_t)p[index * 4] << 24) |
               ((uint64_t)p[index * 4 + 1] << 16) |
               ((uint64_t)p[index * 4 + 2] << 8) | p[index * 4 + 3];
    case 64:
        return qcow2_be64_get(p + index * 8);
    default: {
        /* 1, 2, 4 bits: LSB-first within each byte */
        uint64_t bit = index * bits;
        return (p[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
    }
    }
}

void qcow2_set_refcount_entry(BDRVQcow2State *s, void *block, uint64_t index,
                              uint64_t value)
{
    uint8_t *p = block;
    int bits = s->refcount_bits;

    g_assert(value <= s->refcount_max);
    switch (bits) {
    case 8:
        p[index] = value;
        break;
    case 16:
        p[index * 2] = value >> 8;
        p[index * 2 + 1] = value;
        break;
    case 32:
        for (int i = 0; i < 4; i++) {
            p[index * 4 + i] = value >> (24 - 8 * i);
        }
        break;
    case 64:
        qcow2_be64_set(p + index * 8, value);
        break;
    default: {
        uint64_t bit = index * bits;
        uint8_t mask = ((1u << bits) - 1) << (bit % 8);
        p[bit / 8] = (p[bit / 8] & ~mask) | ((value << (bit % 8)) & mask);
        break;
    }
    }
}

/* Offset of the refcount block for table index @idx, 0 if none, -EIO bad */
static int64_t refblock_offset(BlockDriverState *bs, uint64_t idx)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off;

    if (idx >= s->refcount_table_size) {
        return 0;
    }
    off = s->refcount_table[idx] & REFT_OFFSET_MASK;
    if (off && offset_into_cluster(s, off)) {
        qcow2_signal_corruption(bs, true, off, s->cluster_size,
                                "Refblock offset %#" PRIx64
                                " unaligned (reftable index: %#" PRIx64 ")",
                                off, idx);
        return -EIO;
    }
    return off;
}

int qcow2_get_refcount(BlockDriverState *bs, int64_t cluster_index,
                       uint64_t *refcount)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t idx = cluster_index >> s->refcount_block_bits;
    int64_t block_off = refblock_offset(bs, idx);
    void *block;
    int ret;

    if (block_off <= 0) {
        *refcount = 0;
        return block_off;
    }
    ret = qcow2_cache_get(bs, s->refcount_block_cache, block_off, &block);
    if (ret < 0) {
        return ret;
    }
    *refcount = qcow2_get_refcount_entry(s, block, cluster_index &
                                         (s->refcount_block_size - 1));
    qcow2_cache_put(s->refcount_block_cache, &block);
    return 0;
}

/*
 * Whether the image looks preallocated with preallocation=metadata: far
 * more clusters have a refcount than the file has blocks on disk.  Such
 * images' data clusters are mostly holes in the file, so block status
 * asks the file which of them read as zeroes.  1 yes, 0 no, or -errno.
 */
int coroutine_fn qcow2_detect_metadata_preallocation(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    BlockDriverState *file = bs->file->bs;
    int64_t file_len, on_disk, disk_clusters, limit, end, used = 0;

    if (!file->drv || !file->drv->bdrv_get_allocated_file_size) {
        return 0;
    }
    file_len = bdrv_co_getlength(file);
    on_disk = file->drv->bdrv_get_allocated_file_size(file);
    if (file_len < 0 || on_disk < 0) {
        return file_len < 0 ? file_len : on_disk;
    }
    disk_clusters = on_disk / s->cluster_size;
    limit = MAX(disk_clusters * 10 / 9, disk_clusters + 2);
    end = DIV_ROUND_UP(file_len, s->cluster_size);
    for (int64_t i = 0; i < end && used < limit; i++) {
        uint64_t refcount;
        int ret = qcow2_get_refcount(bs, i, &refcount);

        if (ret < 0) {
            return ret;
        }
        used += refcount != 0;
    }
    return used >= limit;
}

void qcow2_inflight_writes(BDRVQcow2State *s, uint64_t host, uint64_t bytes,
                           int delta)
{
    uint64_t first = host >> s->cluster_bits;
    uint64_t last = (host + bytes - 1) >> s->cluster_bits;

    if (!s->inflight_writes) {
        s->inflight_writes = g_hash_table_new(g_direct_hash, g_direct_equal);
    }
    for (uint64_t c = first; c <= last; c++) {
        gpointer key = GSIZE_TO_POINTER(c);
        gsize n = GPOINTER_TO_SIZE(g_hash_table_lookup(s->inflight_writes,
                                                       key)) + delta;

        if (n) {
            g_hash_table_insert(s->inflight_writes, key, GSIZE_TO_POINTER(n));
        } else {
            g_hash_table_remove(s->inflight_writes, key);
            /* freed meanwhile? then it is the first free cluster again */
            s->free_cluster_index = MIN(s->free_cluster_index, c);
        }
    }
}

/* Whether writes without the lock still target cluster @c (freed or not) */
static bool cluster_busy(BDRVQcow2State *s, uint64_t c)
{
    return s->inflight_writes &&
           g_hash_table_contains(s->inflight_writes, GSIZE_TO_POINTER(c));
}

/* Find @nb_clusters free (refcount 0) clusters; does not take them */
static int64_t alloc_clusters_noref(BlockDriverState *bs, uint64_t nb)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t limit = qcow2_max_refcount_clusters(s);
    uint64_t start = s->free_cluster_index;
    uint64_t i = 0;

    while (i < nb) {
        uint64_t refcount;
        int ret;

        if (start + i >= limit) {
            return -EFBIG;
        }
        ret = qcow2_get_refcount(bs, start + i, &refcount);
        if (ret < 0) {
            return ret;
        }
        if (refcount || cluster_busy(s, start + i)) {
            start += i + 1;
            i = 0;
        } else {
            i++;
        }
    }
    s->free_cluster_index = start + nb;
    return start << s->cluster_bits;
}

/* Write entry @idx of the in-memory refcount table to disk */
static int write_reftable_entry(BlockDriverState *bs, uint64_t idx)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off = s->refcount_table_offset + idx * sizeof(uint64_t);
    uint8_t buf[8];
    int ret;

    qcow2_be64_set(buf, s->refcount_table[idx]);
    ret = qcow2_pre_write_overlap_check(bs, QCOW2_OL_REFCOUNT_TABLE, off, 8);
    if (ret < 0) {
        return ret;
    }
    return qcow2_file_pwrite(bs, off, buf, sizeof(buf));
}

/* Fixed point: blocks cover the clusters, themselves and the table. */
uint64_t qcow2_refcount_blocks_needed(BDRVQcow2State *s, uint64_t clusters,
                                      bool generous)
{
    uint64_t per_table_cluster = s->cluster_size / sizeof(uint64_t);
    uint64_t blocks = 0, table = 0, n = 0, last;

    do {
        last = n;
        blocks = DIV_ROUND_UP(clusters + table + blocks,
                              s->refcount_block_size);
        table = DIV_ROUND_UP(blocks, per_table_cluster);
        n = clusters + blocks + table;
        if (n == last && generous) {
            clusters += DIV_ROUND_UP(table, 2);
            n = 0;
            generous = false;
        }
    } while (n != last);
    return blocks;
}

int qcow2_write_reftable_location(BlockDriverState *bs, uint64_t offset,
                                  uint32_t clusters)
{
    uint8_t hdr[12];
    int ret;

    qcow2_be64_set(hdr, offset);
    hdr[8] = clusters >> 24;
    hdr[9] = clusters >> 16;
    hdr[10] = clusters >> 8;
    hdr[11] = clusters;
    ret = qcow2_file_pwrite(bs, offsetof(QCowHeader, refcount_table_offset),
                            hdr, sizeof(hdr));
    return ret < 0 ? ret : qcow2_file_flush(bs);
}

/*
 * Fill entries [@j0, @j1) of refcount block @idx with 1 (the new refcount
 * structures); a block the table lacks is created at *@next_block.
 */
static int fill_area_block(BlockDriverState *bs, uint64_t *table,
                           uint64_t idx, uint64_t *next_block,
                           uint64_t j0, uint64_t j1)
{
    BDRVQcow2State *s = bs->opaque;
    void *block;
    int ret;

    if (table[idx]) {
        ret = qcow2_cache_get(bs, s->refcount_block_cache, table[idx],
                              &block);
    } else {
        ret = qcow2_cache_get_empty(bs, s->refcount_block_cache,
                                    *next_block, &block);
        if (ret >= 0) {
            memset(block, 0, s->cluster_size);
            table[idx] = *next_block;
            *next_block += s->cluster_size;
        }
    }
    if (ret < 0) {
        return ret;
    }
    for (uint64_t j = j0; j < j1; j++) {
        qcow2_set_refcount_entry(s, block, j, 1);
    }
    qcow2_cache_entry_mark_dirty(s->refcount_block_cache, block);
    qcow2_cache_put(s->refcount_block_cache, &block);
    return 0;
}

/*
 * Grow the refcount table: at cluster @start (where the file holds
 * nothing yet) put the refcount blocks that are missing up to the new
 * table's reach, then the new table, all describing themselves; enter
 * @new_block at @new_idx; switch the header over and free the old table.
 */
static int grow_refcount_table(BlockDriverState *bs, uint64_t start,
                               uint64_t new_idx, uint64_t new_block)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t per_cluster = s->cluster_size / sizeof(uint64_t);
    uint64_t nb_blocks = qcow2_refcount_blocks_needed(s, start, true);
    uint64_t entries = ROUND_UP(nb_blocks + DIV_ROUND_UP(nb_blocks, 2),
                                per_cluster);
    uint64_t table_clusters = entries / per_cluster;
    uint64_t first = start >> s->refcount_block_bits;
    uint64_t old_off = s->refcount_table_offset;
    uint64_t old_size = s->refcount_table_size;
    uint64_t missing = 0, next_block, table_off, end;
    g_autofree uint64_t *table = NULL;
    g_autofree uint64_t *be_table = NULL;
    int ret;

    if (entries * sizeof(uint64_t) > QCOW_MAX_REFTABLE_SIZE) {
        return -EFBIG;
    }
    g_assert(new_idx < nb_blocks);
    trace_qcow2_grow_refcount_table(old_size, entries, start);
    table = g_new0(uint64_t, entries);
    memcpy(table, s->refcount_table,
           MIN(old_size, entries) * sizeof(uint64_t));
    table[new_idx] = new_block;
    for (uint64_t i = first; i < nb_blocks; i++) {
        missing += !table[i];
    }
    next_block = start << s->cluster_bits;
    table_off = next_block + (missing << s->cluster_bits);
    end = (table_off >> s->cluster_bits) + table_clusters;
    for (uint64_t i = first; i < nb_blocks; i++) {
        uint64_t lo = i << s->refcount_block_bits;
        uint64_t j0 = lo < start ? start - lo : 0;
        uint64_t j1 = lo < end ? MIN(end - lo, s->refcount_block_size) : 0;

        ret = fill_area_block(bs, table, i, &next_block, j0, MAX(j0, j1));
        if (ret < 0) {
            return ret;
        }
    }
    g_assert(next_block == table_off);
    ret = qcow2_cache_flush(bs, s->refcount_block_cache);
    if (ret < 0) {
        return ret;
    }
    be_table = g_new(uint64_t, entries);
    for (uint64_t i = 0; i < entries; i++) {
        be_table[i] = GUINT64_TO_BE(table[i]);
    }
    ret = qcow2_file_pwrite(bs, table_off, be_table,
                            entries * sizeof(uint64_t));
    if (ret >= 0) {
        ret = qcow2_file_flush(bs);
    }
    if (ret >= 0) {
        ret = qcow2_write_reftable_location(bs, table_off, table_clusters);
    }
    if (ret < 0) {
        return ret;
    }
    g_free(s->refcount_table);
    s->refcount_table = g_steal_pointer(&table);
    s->refcount_table_size = entries;
    s->refcount_table_offset = table_off;
    s->max_refcount_table_index = 0;
    for (uint64_t i = 0; i < entries; i++) {
        if (s->refcount_table[i]) {
            s->max_refcount_table_index = i + 1;
        }
    }
    qcow2_free_clusters(bs, old_off,
                        ROUND_UP(old_size * sizeof(uint64_t),
                                 s->cluster_size));
    return 0;
}

/*
 * Make sure a refcount block covers @cluster_index.  Returns its offset,
 * or -EAGAIN when a block had to be created (and maybe the table grown):
 * the new metadata may sit where the caller meant to put its clusters,
 * so the caller looks for free clusters again.  As QEMU's allocator, so
 * both put the same things at the same places.
 */
static int64_t ensure_refblock(BlockDriverState *bs, uint64_t cluster_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t idx = cluster_index >> s->refcount_block_bits;
    int64_t off = refblock_offset(bs, idx);
    int64_t new_block;
    bool self;
    void *block;
    int ret;

    if (off != 0) {
        return off;
    }
    /* the table is about to point to the block: L2 updates go first */
    ret = qcow2_cache_flush(bs, s->l2_table_cache);
    if (ret < 0) {
        return ret;
    }
    new_block = alloc_clusters_noref(bs, 1);
    if (new_block < 0) {
        return new_block;
    }
    trace_qcow2_alloc_refblock(idx, new_block);
    self = ((uint64_t)new_block >> s->cluster_bits >> s->refcount_block_bits)
           == idx;
    if (!self) {
        /* described by another block (that may need creating first) */
        ret = qcow2_update_refcount(bs, new_block, s->cluster_size, 1, false);
        if (ret >= 0) {
            ret = qcow2_cache_flush(bs, s->refcount_block_cache);
        }
        if (ret < 0) {
            return ret;
        }
    }
    ret = qcow2_cache_get_empty(bs, s->refcount_block_cache, new_block,
                                &block);
    if (ret < 0) {
        return ret;
    }
    memset(block, 0, s->cluster_size);
    if (self) {
        qcow2_set_refcount_entry(s, block, (new_block >> s->cluster_bits) &
                                 (s->refcount_block_size - 1), 1);
    }
    qcow2_cache_entry_mark_dirty(s->refcount_block_cache, block);
    qcow2_cache_put(s->refcount_block_cache, &block);
    /* the block must be on disk before a table points to it */
    ret = qcow2_cache_flush(bs, s->refcount_block_cache);
    if (ret < 0) {
        return ret;
    }
    if (idx < s->refcount_table_size) {
        s->refcount_table[idx] = new_block;
        ret = write_reftable_entry(bs, idx);
        if (ret < 0) {
            s->refcount_table[idx] = 0;
            return ret;
        }
        s->max_refcount_table_index = MAX(s->max_refcount_table_index,
                                          idx + 1);
        return -EAGAIN;
    }
    /* a new table, placed past every refcount block in use so far */
    ret = grow_refcount_table(bs, ROUND_UP(MAX(cluster_index + 1,
                                               ((uint64_t)new_block >>
                                                s->cluster_bits) + 1),
                                           s->refcount_block_size),
                              idx, new_block);
    return ret < 0 ? ret : -EAGAIN;
}

static int update_one(BlockDriverState *bs, uint64_t cluster_index,
                      uint64_t addend, bool decrease)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t block_off = ensure_refblock(bs, cluster_index);
    uint64_t i = cluster_index & (s->refcount_block_size - 1);
    uint64_t old, val;
    void *block;
    int ret;

    if (block_off < 0) {
        return block_off;
    }
    ret = qcow2_cache_get(bs, s->refcount_block_cache, block_off, &block);
    if (ret < 0) {
        return ret;
    }
    old = qcow2_get_refcount_entry(s, block, i);
    if (decrease ? old < addend : s->refcount_max - old < addend) {
        qcow2_cache_put(s->refcount_block_cache, &block);
        return -EINVAL;
    }
    val = decrease ? old - addend : old + addend;
    qcow2_set_refcount_entry(s, block, i, val);
    qcow2_cache_entry_mark_dirty(s->refcount_block_cache, block);
    qcow2_cache_put(s->refcount_block_cache, &block);
    if (val == 0) {
        uint64_t off = cluster_index << s->cluster_bits;
        qcow2_cache_discard(s->l2_table_cache, off);
        qcow2_cache_discard(s->refcount_block_cache, off);
        s->free_cluster_index = MIN(s->free_cluster_index, cluster_index);
    }
    return 0;
}

int qcow2_update_refcount(BlockDriverState *bs, int64_t offset,
                          int64_t length, uint64_t addend, bool decrease)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t first, last;
    int ret;

    if (length <= 0) {
        return length < 0 ? -EINVAL : 0;
    }
    trace_qcow2_update_refcount(offset, length, addend, decrease);
    if (decrease && !s->use_lazy_refcounts) {
        /* drop the references (L2) before the refcounts reach disk */
        ret = qcow2_cache_set_dependency(bs, s->refcount_block_cache,
                                         s->l2_table_cache);
        if (ret < 0) {
            return ret;
        }
    }
    first = offset >> s->cluster_bits;
    last = (offset + length - 1) >> s->cluster_bits;
    for (uint64_t c = first; c <= last; c++) {
        ret = update_one(bs, c, addend, decrease);
        if (ret < 0) {
            /* undo what was done (-EAGAIN: the caller starts over) */
            while (c-- > first) {
                update_one(bs, c, addend, !decrease);
            }
            if (ret == -EAGAIN) {
                /* the same clusters may still be free: try them first */
                s->free_cluster_index = MIN(s->free_cluster_index, first);
            }
            return ret;
        }
    }
    return 0;
}

int64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t off;
    int ret;

    do {
        off = alloc_clusters_noref(bs, size_to_clusters(s, size));
        if (off < 0) {
            return off;
        }
        ret = qcow2_update_refcount(bs, off, size, 1, false);
    } while (ret == -EAGAIN);
    if (ret < 0) {
        return ret;
    }
    trace_qcow2_alloc_clusters(off, size);
    return off;
}

int64_t qcow2_alloc_clusters_at(BlockDriverState *bs, uint64_t offset,
                                int64_t nb_clusters)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t ci = offset >> s->cluster_bits;
    int64_t i;
    int ret;

    do {
        for (i = 0; i < nb_clusters; i++) {
            uint64_t refcount;
            ret = qcow2_get_refcount(bs, ci + i, &refcount);
            if (ret < 0) {
                return ret;
            }
            if (refcount || cluster_busy(s, ci + i)) {
                break;
            }
        }
        ret = qcow2_update_refcount(bs, offset, i << s->cluster_bits, 1,
                                    false);
    } while (ret == -EAGAIN);
    return ret < 0 ? ret : i;
}

void qcow2_free_clusters(BlockDriverState *bs, int64_t offset, int64_t size)
{
    int ret = qcow2_update_refcount(bs, offset, size, 1, true);

    if (ret < 0) {
        /* the clusters leak; qemu-img check -r leaks recovers them */
        trace_qcow2_free_clusters_failed(offset, size, ret);
    }
}

void qcow2_free_any_cluster(BlockDriverState *bs, uint64_t l2_entry)
{
    BDRVQcow2State *s = bs->opaque;

    if (l2_entry & QCOW_OFLAG_COMPRESSED) {
        uint64_t coffset = l2_entry & s->cluster_offset_mask;
        uint64_t nb = ((l2_entry >> s->csize_shift) & s->csize_mask) + 1;
        uint64_t start = coffset & ~(uint64_t)511;

        qcow2_free_clusters(bs, start, nb * QCOW2_COMPRESSED_SECTOR_SIZE);
    } else if (l2_entry & L2E_OFFSET_MASK) {
        qcow2_free_clusters(bs, l2_entry & L2E_OFFSET_MASK, s->cluster_size);
    }
}

int64_t qcow2_refcount_area_end(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t nb = (uint64_t)s->max_refcount_table_index <<
                  s->refcount_block_bits;

    while (nb > 0) {
        uint64_t refcount;
        int ret = qcow2_get_refcount(bs, nb - 1, &refcount);
        if (ret < 0) {
            return ret;
        }
        if (refcount) {
            break;
        }
        nb--;
    }
    return nb << s->cluster_bits;
}

/* ---- overlap checks ---- */

static const char *const overlap_names[QCOW2_OL_MAX_BITNR] = {
    "qcow2_header", "active L1 table", "active L2 table", "refcount table",
    "refcount block", "snapshot table", "inactive L1 table",
    "inactive L2 table", "bitmap directory",
};

const char *qcow2_overlap_name(int ol)
{
    for (int i = 0; i < QCOW2_OL_MAX_BITNR; i++) {
        if (ol & (1 << i)) {
            return overlap_names[i];
        }
    }
    return "nothing";
}

static bool ranges_overlap(int64_t a, int64_t alen, int64_t b, int64_t blen)
{
    return a < b + blen && b < a + alen;
}

static int overlap_tables(BlockDriverState *bs, int chk, int64_t offset,
                          int64_t size)
{
    BDRVQcow2State *s = bs->opaque;

    if ((chk & QCOW2_OL_ACTIVE_L2) && s->l1_table) {
        for (int i = 0; i < s->l1_size; i++) {
            uint64_t l2 = s->l1_table[i] & L1E_OFFSET_MASK;
            if (l2 && ranges_overlap(offset, size, l2, s->cluster_size)) {
                return QCOW2_OL_ACTIVE_L2;
            }
        }
    }
    if ((chk & QCOW2_OL_REFCOUNT_BLOCK) && s->refcount_table) {
        for (uint32_t i = 0; i < s->max_refcount_table_index; i++) {
            uint64_t rb = s->refcount_table[i] & REFT_OFFSET_MASK;
            if (rb && ranges_overlap(offset, size, rb, s->cluster_size)) {
                return QCOW2_OL_REFCOUNT_BLOCK;
            }
        }
    }
    return 0;
}

int qcow2_check_metadata_overlap(BlockDriverState *bs, int ign,
                                 int64_t offset, int64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    int chk = s->overlap_check & ~ign;

    if (size <= 0) {
        return 0;
    }
    if ((chk & QCOW2_OL_MAIN_HEADER) && offset < s->cluster_size) {
        return QCOW2_OL_MAIN_HEADER;
    }
    if ((chk & QCOW2_OL_ACTIVE_L1) && s->l1_size &&
        ranges_overlap(offset, size, s->l1_table_offset,
                       (int64_t)s->l1_size * 8)) {
        return QCOW2_OL_ACTIVE_L1;
    }
    if ((chk & QCOW2_OL_REFCOUNT_TABLE) &&
        ranges_overlap(offset, size, s->refcount_table_offset,
                       (int64_t)s->refcount_table_size * 8)) {
        return QCOW2_OL_REFCOUNT_TABLE;
    }
    if ((chk & QCOW2_OL_SNAPSHOT_TABLE) && s->snapshots_size &&
        ranges_overlap(offset, size, s->snapshots_offset,
                       s->snapshots_size)) {
        return QCOW2_OL_SNAPSHOT_TABLE;
    }
    if ((chk & QCOW2_OL_BITMAP_DIRECTORY) && s->bitmap_directory_size &&
        ranges_overlap(offset, size, s->bitmap_directory_offset,
                       s->bitmap_directory_size)) {
        return QCOW2_OL_BITMAP_DIRECTORY;
    }
    return overlap_tables(bs, chk, offset, size);
}

int qcow2_pre_write_overlap_check(BlockDriverState *bs, int ign,
                                  int64_t offset, int64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    int ol;

    if (s->corrupt) {
        return -EIO;
    }
    ol = qcow2_check_metadata_overlap(bs, ign, offset, size);
    if (!ol) {
        return 0;
    }
    qcow2_signal_corruption(bs, true, offset, size,
                            "Preventing invalid write on metadata "
                            "(overlaps with %s)", qcow2_overlap_name(ol));
    return -EIO;
}
