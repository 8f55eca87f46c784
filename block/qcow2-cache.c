/*
 * qcow2-cache.c: write-back caches of qcow2 metadata tables (L2 tables,
 * refcount blocks) with write ordering between caches.
 *
 * A cache may depend on another cache (every dirty table of the
 * dependency is written and the file flushed before any table of this
 * cache is written) or on a flush of the image file.  The qcow2 code uses
 * this so that refcount increases reach the disk before the L2 entries
 * that use the clusters, and L2 entries that drop references reach the
 * disk before the refcount decreases: a crash leaks clusters at worst.
 *
 * Main loop thread; callers hold the qcow2 state lock when in coroutines.
 */
#include "util/osdep.h"

#include "block/qcow2.h"
#include "trace-block.h"

typedef struct Qcow2CachedTable {
    int64_t offset;             /* 0: free slot */
    uint64_t lru_counter;
    int ref;
    bool dirty;
} Qcow2CachedTable;

struct Qcow2Cache {
    Qcow2CachedTable *entries;
    uint8_t *table_array;
    int size;
    int table_size;
    Qcow2Cache *depends;
    bool depends_on_flush;
    uint64_t lru_counter;
};

static inline void *cache_table(Qcow2Cache *c, int i)
{
    return c->table_array + (size_t)i * c->table_size;
}

static int cache_index(Qcow2Cache *c, const void *table)
{
    ptrdiff_t off = (const uint8_t *)table - c->table_array;
    int i = off / c->table_size;

    g_assert(i >= 0 && i < c->size);
    return i;
}

Qcow2Cache *qcow2_cache_create(BlockDriverState *bs, int num_tables,
                               int table_size)
{
    Qcow2Cache *c = g_new0(Qcow2Cache, 1);

    c->size = num_tables;
    c->table_size = table_size;
    c->entries = g_new0(Qcow2CachedTable, num_tables);
    c->table_array = qemu_blockalign(bs, (size_t)num_tables * table_size);
    return c;
}

void qcow2_cache_destroy(Qcow2Cache *c)
{
    if (!c) {
        return;
    }
    qemu_vfree(c->table_array);
    g_free(c->entries);
    g_free(c);
}

static int cache_flush_dependency(BlockDriverState *bs, Qcow2Cache *c)
{
    int ret = qcow2_cache_flush(bs, c->depends);

    if (ret < 0) {
        return ret;
    }
    c->depends = NULL;
    c->depends_on_flush = false;
    return 0;
}

static int cache_entry_flush(BlockDriverState *bs, Qcow2Cache *c, int i)
{
    BDRVQcow2State *s = bs->opaque;
    int ign;
    int ret;

    if (!c->entries[i].dirty || !c->entries[i].offset) {
        return 0;
    }
    trace_qcow2_cache_entry_flush(c == s->l2_table_cache, c->entries[i].offset);
    if (c->depends) {
        ret = cache_flush_dependency(bs, c);
    } else if (c->depends_on_flush) {
        ret = qcow2_file_flush(bs);
        if (ret >= 0) {
            c->depends_on_flush = false;
        }
    } else {
        ret = 0;
    }
    if (ret < 0) {
        return ret;
    }
    ign = c == s->l2_table_cache ? QCOW2_OL_ACTIVE_L2 : QCOW2_OL_REFCOUNT_BLOCK;
    ret = qcow2_pre_write_overlap_check(bs, ign, c->entries[i].offset,
                                        c->table_size);
    if (ret < 0) {
        return ret;
    }
    ret = qcow2_file_pwrite(bs, c->entries[i].offset, cache_table(c, i),
                            c->table_size);
    if (ret < 0) {
        return ret;
    }
    c->entries[i].dirty = false;
    return 0;
}

int qcow2_cache_write(BlockDriverState *bs, Qcow2Cache *c)
{
    int result = 0;

    for (int i = 0; i < c->size; i++) {
        int ret = cache_entry_flush(bs, c, i);
        if (ret < 0 && result != -ENOSPC) {
            result = ret;
        }
    }
    return result;
}

int qcow2_cache_flush(BlockDriverState *bs, Qcow2Cache *c)
{
    int result = qcow2_cache_write(bs, c);
    int ret = qcow2_file_flush(bs);

    if (result == 0) {
        result = ret;
    }
    return result;
}

int qcow2_cache_set_dependency(BlockDriverState *bs, Qcow2Cache *c,
                               Qcow2Cache *dependency)
{
    int ret;

    if (dependency->depends) {
        ret = cache_flush_dependency(bs, dependency);
        if (ret < 0) {
            return ret;
        }
    }
    if (c->depends && c->depends != dependency) {
        ret = cache_flush_dependency(bs, c);
        if (ret < 0) {
            return ret;
        }
    }
    c->depends = dependency;
    return 0;
}

void qcow2_cache_depends_on_flush(Qcow2Cache *c)
{
    c->depends_on_flush = true;
}

int qcow2_cache_empty(BlockDriverState *bs, Qcow2Cache *c)
{
    int ret = qcow2_cache_flush(bs, c);

    if (ret < 0) {
        return ret;
    }
    for (int i = 0; i < c->size; i++) {
        g_assert(c->entries[i].ref == 0);
        c->entries[i].offset = 0;
        c->entries[i].lru_counter = 0;
    }
    c->lru_counter = 0;
    return 0;
}

static int cache_find(Qcow2Cache *c, uint64_t offset)
{
    for (int i = 0; i < c->size; i++) {
        if (c->entries[i].offset == (int64_t)offset) {
            return i;
        }
    }
    return -1;
}

/* The least recently used unreferenced slot, written back if dirty */
static int cache_victim(BlockDriverState *bs, Qcow2Cache *c)
{
    uint64_t min_lru = UINT64_MAX;
    int victim = -1;
    int ret;

    for (int i = 0; i < c->size; i++) {
        if (c->entries[i].ref) {
            continue;
        }
        if (c->entries[i].lru_counter < min_lru) {
            victim = i;
            min_lru = c->entries[i].lru_counter;
        }
    }
    if (victim < 0) {
        /* every table is in use: the cache is too small for the caller */
        return -ENOSPC;
    }
    ret = cache_entry_flush(bs, c, victim);
    if (ret < 0) {
        return ret;
    }
    c->entries[victim].offset = 0;
    return victim;
}

static int cache_do_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                        void **table, bool read_from_disk)
{
    int i;
    int ret;

    g_assert(offset != 0);
    i = cache_find(c, offset);
    if (i < 0) {
        i = cache_victim(bs, c);
        if (i < 0) {
            return i;
        }
        if (read_from_disk) {
            ret = qcow2_file_pread(bs, offset, cache_table(c, i),
                                   c->table_size);
            if (ret < 0) {
                return ret;
            }
        }
        c->entries[i].offset = offset;
    }
    c->entries[i].ref++;
    c->entries[i].lru_counter = ++c->lru_counter;
    *table = cache_table(c, i);
    return 0;
}

int qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                    void **table)
{
    return cache_do_get(bs, c, offset, table, true);
}

int qcow2_cache_get_empty(BlockDriverState *bs, Qcow2Cache *c,
                          uint64_t offset, void **table)
{
    return cache_do_get(bs, c, offset, table, false);
}

void qcow2_cache_put(Qcow2Cache *c, void **table)
{
    int i = cache_index(c, *table);

    c->entries[i].ref--;
    g_assert(c->entries[i].ref >= 0);
    *table = NULL;
}

void qcow2_cache_entry_mark_dirty(Qcow2Cache *c, void *table)
{
    int i = cache_index(c, table);

    g_assert(c->entries[i].offset != 0);
    c->entries[i].dirty = true;
}

void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset)
{
    int i = cache_find(c, offset);

    if (i >= 0 && c->entries[i].ref == 0) {
        c->entries[i].offset = 0;
        c->entries[i].lru_counter = 0;
        c->entries[i].dirty = false;
    }
}

bool qcow2_cache_contains(Qcow2Cache *c, uint64_t offset)
{
    return cache_find(c, offset) >= 0;
}

bool qcow2_cache_offset_at(Qcow2Cache *c, int i, uint64_t *offset)
{
    if (i < 0 || i >= c->size) {
        return false;
    }
    *offset = c->entries[i].offset;
    return true;
}
