/*
 * qcow2-check-repair.c: the second half of the qcow2 check — compare the
 * expected refcounts (qcow2-refcount-check.c) with the ones the image
 * records, count leaks and corruptions and repair them one refcount at a
 * time, rebuild the refcount structure when it is broken (-r all), and
 * check OFLAG_COPIED against the recorded refcounts.  Counts and
 * diagnostic lines are QEMU's (block/qcow2-refcount.c).
 *
 * Everything runs in the main loop thread in the check's coroutine, under
 * s->lock.  See docs/devel/block-qcow2-check.md and docs/devel/block.md.
 */
#include "util/osdep.h"

#include "block/qcow2-check-int.h"

/*
 * The refcount the image records for @cluster.  A refcount block past
 * the end of the file reads as zeroes; an unaligned one is an error.
 */
static int check_get_refcount(Qcow2Check *c, int64_t cluster,
                              uint64_t *refcount)
{
    BDRVQcow2State *s = c->s;
    uint64_t idx = cluster >> s->refcount_block_bits;
    uint64_t block;

    *refcount = 0;
    if (idx >= s->refcount_table_size) {
        return 0;
    }
    block = s->refcount_table[idx] & REFT_OFFSET_MASK;
    if (!block) {
        return 0;
    }
    if (offset_into_cluster(s, block)) {
        return -EIO;
    }
    if (block >= (uint64_t)c->file_len) {
        return 0;
    }
    return qcow2_get_refcount(c->bs, cluster, refcount);
}

static void check_compare(Qcow2Check *c, BdrvCheckResult *res,
                          BdrvCheckMode fix, bool *rebuild,
                          int64_t *highest)
{
    BDRVQcow2State *s = c->s;
    int64_t i;

    for (i = 0, *highest = 0; i < c->nb_clusters; i++) {
        uint64_t rc1, rc2 = c->refs[i];
        int *num_fixed = NULL;
        int ret = check_get_refcount(c, i, &rc1);

        if (ret < 0) {
            check_report("Can't get refcount for cluster %" PRId64 ": %s",
                         i, strerror(-ret));
            res->check_errors++;
            continue;
        }
        if (rc1 > 0 || rc2 > 0) {
            *highest = i;
        }
        if (rc1 == rc2) {
            continue;
        }
        if (rc1 == 0) {
            *rebuild = true;
        } else if (rc1 > rc2 && (fix & BDRV_FIX_LEAKS)) {
            num_fixed = &res->leaks_fixed;
        } else if (rc1 < rc2 && (fix & BDRV_FIX_ERRORS)) {
            num_fixed = &res->corruptions_fixed;
        }
        check_report("%s cluster %" PRId64 " refcount=%" PRIu64
                     " reference=%" PRIu64,
                     num_fixed ? "Repairing" :
                     rc1 < rc2 ? "ERROR" : "Leaked", i, rc1, rc2);
        if (num_fixed &&
            qcow2_update_refcount(c->bs, i << s->cluster_bits, 1,
                                  rc1 > rc2 ? rc1 - rc2 : rc2 - rc1,
                                  rc1 > rc2) >= 0) {
            (*num_fixed)++;
            continue;
        }
        if (rc1 < rc2) {
            res->corruptions++;
        } else {
            res->leaks++;
        }
    }
}

/*
 * Sizes a new refcount structure placed from cluster @first on: enough
 * refcount blocks to cover the image and themselves, and a table for
 * them.  Returns false if the table would be too large.
 */
static bool rebuild_size(Qcow2Check *c, int64_t first, int64_t *nb_blocks,
                         int64_t *table_clusters)
{
    BDRVQcow2State *s = c->s;
    int64_t entries_per_cluster = s->cluster_size / sizeof(uint64_t);
    int64_t blocks = qcow2_refcount_blocks_needed(s, first, false);
    int64_t tclusters = CHECK_DIV_ROUND_UP(blocks, entries_per_cluster);

    *nb_blocks = blocks;
    *table_clusters = tclusters;
    return tclusters * s->cluster_size <= QCOW_MAX_REFTABLE_SIZE;
}

/* Writes the refcount blocks and table, then points the header at them */
static int rebuild_write(Qcow2Check *c, int64_t first, int64_t nb_blocks,
                         int64_t tclusters, uint64_t *table)
{
    BDRVQcow2State *s = c->s;
    g_autofree uint8_t *block = g_malloc(s->cluster_size);
    int64_t b, k;
    int ret;

    for (b = 0; b < nb_blocks; b++) {
        uint64_t off = (uint64_t)(first + b) << s->cluster_bits;

        memset(block, 0, s->cluster_size);
        for (k = 0; k < s->refcount_block_size; k++) {
            int64_t cl = b * s->refcount_block_size + k;

            if (cl < c->nb_clusters && c->refs[cl]) {
                qcow2_set_refcount_entry(s, block, k, c->refs[cl]);
            }
        }
        table[b] = off;
        ret = qcow2_file_pwrite(c->bs, off, block, s->cluster_size);
        if (ret < 0) {
            return ret;
        }
    }
    for (b = 0; b < tclusters * s->cluster_size / 8; b++) {
        table[b] = GUINT64_TO_BE(table[b]);
    }
    ret = qcow2_file_pwrite(c->bs, (first + nb_blocks) << s->cluster_bits,
                            table, tclusters * s->cluster_size);
    if (ret == 0) {
        ret = qcow2_file_flush(c->bs);
    }
    if (ret < 0) {
        return ret;
    }
    return qcow2_write_reftable_location(c->bs,
                                         (first + nb_blocks) << s->cluster_bits,
                                         tclusters);
}

/*
 * Replaces the refcount structures by new ones built from @c->refs and
 * placed after everything the image uses.  The old ones become leaks.
 */
static int rebuild_refcount_structure(Qcow2Check *c)
{
    BDRVQcow2State *s = c->s;
    int64_t first = MAX(c->nb_clusters, size_to_clusters(s, c->file_len));
    int64_t nb_blocks, tclusters, k;
    g_autofree uint64_t *table = NULL;
    int ret;

    if (!rebuild_size(c, first, &nb_blocks, &tclusters)) {
        check_report("ERROR refcount table too large to rebuild");
        return -EFBIG;
    }
    ret = check_refs_resize(c, first + nb_blocks + tclusters);
    if (ret < 0) {
        return ret;
    }
    for (k = first; k < first + nb_blocks + tclusters; k++) {
        c->refs[k] = 1;
    }
    table = g_try_malloc0(tclusters * s->cluster_size);
    if (!table) {
        return -ENOMEM;
    }
    ret = qcow2_cache_empty(c->bs, s->refcount_block_cache);
    if (ret == 0) {
        ret = rebuild_write(c, first, nb_blocks, tclusters, table);
    }
    if (ret < 0) {
        check_report("ERROR writing the new refcount structure: %s",
                     strerror(-ret));
        return ret;
    }
    for (k = 0; k < tclusters * s->cluster_size / 8; k++) {
        table[k] = GUINT64_FROM_BE(table[k]);
    }
    g_free(s->refcount_table);
    s->refcount_table = g_steal_pointer(&table);
    s->refcount_table_offset = (first + nb_blocks) << s->cluster_bits;
    s->refcount_table_size = tclusters * s->cluster_size / 8;
    s->max_refcount_table_index = nb_blocks;
    s->free_cluster_index = 0;
    c->file_len = qcow2_file_length(c->bs);
    return c->file_len < 0 ? (int)c->file_len : 0;
}

/* The rebuild path of check: QEMU's qcow2_check_refcounts() */
static int check_rebuild(Qcow2Check *c, BdrvCheckResult *res,
                         BdrvCheckMode fix, int64_t *highest)
{
    BdrvCheckResult old_res = *res;
    int fresh_leaks = 0;
    bool rebuild = false;
    int ret;

    check_report("Rebuilding refcount structure");
    ret = rebuild_refcount_structure(c);
    if (ret < 0) {
        return ret;
    }
    res->corruptions = 0;
    res->leaks = 0;
    memset(c->refs, 0, c->nb_clusters * sizeof(uint32_t));
    ret = check_calculate(c, res, 0, &rebuild);
    /* the allocation figures were counted by the first pass */
    res->bfi = old_res.bfi;
    if (ret < 0) {
        return ret;
    }
    if (fix & BDRV_FIX_LEAKS) {
        BdrvCheckResult saved = *res;

        *res = (BdrvCheckResult) { 0 };
        check_compare(c, res, BDRV_FIX_LEAKS, &rebuild, highest);
        if (rebuild) {
            check_report("ERROR rebuilt refcount structure is still broken");
        }
        fresh_leaks = res->leaks;
        *res = saved;
    }
    if (res->corruptions < old_res.corruptions) {
        res->corruptions_fixed += old_res.corruptions - res->corruptions;
    }
    if (res->leaks < old_res.leaks) {
        res->leaks_fixed += old_res.leaks - res->leaks;
    }
    res->leaks += fresh_leaks;
    return 0;
}

int check_refcounts(Qcow2Check *c, BdrvCheckResult *res,
                           BdrvCheckMode fix, int64_t *highest)
{
    BdrvCheckResult pre_compare;
    bool rebuild = false;
    int ret;

    ret = check_calculate(c, res, fix, &rebuild);
    if (ret < 0) {
        return ret;
    }
    pre_compare = *res;
    check_compare(c, res, 0, &rebuild, highest);
    if (rebuild && (fix & BDRV_FIX_ERRORS)) {
        return check_rebuild(c, res, fix, highest);
    }
    if (fix && rebuild) {
        check_report("ERROR need to rebuild refcount structures");
        res->check_errors++;
        return -EIO;
    }
    if (fix && (res->leaks || res->corruptions)) {
        *res = pre_compare;
        check_compare(c, res, fix, &rebuild, highest);
    }
    return 0;
}

/* Is the refcount of the cluster at @offset 1?  -1: unknown */
static int check_copied_expected(Qcow2Check *c, uint64_t offset,
                                 uint64_t *refcount)
{
    if (check_get_refcount(c, offset >> c->s->cluster_bits, refcount) < 0) {
        return -1;
    }
    return *refcount == 1;
}

static int check_oflag_l2(Qcow2Check *c, BdrvCheckResult *res, bool repair,
                          uint64_t l2_offset, void *l2)
{
    BDRVQcow2State *s = c->s;
    int dirty = 0;
    int j, ret;

    for (j = 0; j < s->l2_size; j++) {
        uint64_t entry = get_l2_entry(s, l2, j);
        QCow2ClusterType type = qcow2_get_cluster_type(c->bs, entry);
        uint64_t refcount;
        int one;

        if (type != QCOW2_CLUSTER_NORMAL && type != QCOW2_CLUSTER_ZERO_ALLOC) {
            continue;
        }
        one = check_copied_expected(c, entry & L2E_OFFSET_MASK, &refcount);
        if (one < 0 || one == !!(entry & QCOW_OFLAG_COPIED)) {
            continue;
        }
        res->corruptions++;
        check_report("%s OFLAG_COPIED data cluster: l2_entry=%" PRIx64
                     " refcount=%" PRIu64, repair ? "Repairing" : "ERROR",
                     entry, refcount);
        if (repair) {
            set_l2_entry(s, l2, j, one ? entry | QCOW_OFLAG_COPIED :
                                         entry & ~QCOW_OFLAG_COPIED);
            dirty++;
        }
    }
    if (!dirty) {
        return 0;
    }
    ret = qcow2_pre_write_overlap_check(c->bs, QCOW2_OL_ACTIVE_L2,
                                        l2_offset, s->cluster_size);
    if (ret < 0) {
        check_report("ERROR: Could not write L2 table; metadata overlap "
                     "check failed: %s", strerror(-ret));
        res->check_errors++;
        return ret;
    }
    qcow2_cache_discard(s->l2_table_cache, l2_offset);
    ret = qcow2_file_pwrite(c->bs, l2_offset, l2, s->cluster_size);
    if (ret < 0) {
        check_report("ERROR: Could not write L2 table: %s", strerror(-ret));
        res->check_errors++;
        return ret;
    }
    res->corruptions -= dirty;
    res->corruptions_fixed += dirty;
    return 0;
}

/* OFLAG_COPIED must be set exactly where the refcount is 1 */
int check_oflag_copied(Qcow2Check *c, BdrvCheckResult *res,
                              BdrvCheckMode fix)
{
    BDRVQcow2State *s = c->s;
    int64_t bytes = (int64_t)s->l2_size * l2_entry_size(s);
    g_autofree uint8_t *l2 = g_malloc(MAX(bytes, s->cluster_size));
    bool repair = (fix & BDRV_FIX_ERRORS) ||
                  ((fix & BDRV_FIX_LEAKS) && !res->check_errors &&
                   !res->corruptions && !res->leaks);
    int i, ret;

    for (i = 0; i < s->l1_size; i++) {
        uint64_t entry = s->l1_table[i];
        uint64_t l2_offset = entry & L1E_OFFSET_MASK;
        uint64_t refcount;
        int one;

        if (!l2_offset) {
            continue;
        }
        one = check_copied_expected(c, l2_offset, &refcount);
        if (one < 0) {
            continue;
        }
        if (one != !!(entry & QCOW_OFLAG_COPIED)) {
            res->corruptions++;
            check_report("%s OFLAG_COPIED L2 cluster: l1_index=%d "
                         "l1_entry=%" PRIx64 " refcount=%" PRIu64,
                         repair ? "Repairing" : "ERROR", i, entry, refcount);
            if (repair) {
                s->l1_table[i] = one ? entry | QCOW_OFLAG_COPIED :
                                       entry & ~QCOW_OFLAG_COPIED;
                if (qcow2_write_l1_entry(c->bs, i) < 0) {
                    res->check_errors++;
                    return -EIO;
                }
                res->corruptions--;
                res->corruptions_fixed++;
            }
        }
        ret = check_pread(c, l2_offset, l2, bytes);
        if (ret < 0) {
            check_report("ERROR: Could not read L2 table: %s",
                         strerror(-ret));
            res->check_errors++;
            return ret;
        }
        ret = check_oflag_l2(c, res, repair, l2_offset, l2);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}
