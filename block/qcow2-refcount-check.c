/*
 * qcow2-refcount-check.c: qcow2 consistency check and repair.
 *
 * qcow2_co_check() walks every structure that references clusters (header,
 * active and snapshot L1/L2 tables, compressed clusters, snapshot table,
 * refcount table and blocks, bitmap directory and tables), computes the
 * refcount each cluster should have, and compares it with the refcount
 * structures.  It counts leaks (refcount higher than the references) and
 * corruptions (refcount too low, misaligned or out-of-file offsets,
 * reserved bits, OFLAG_COPIED that disagrees with refcount == 1) exactly
 * as QEMU's block/qcow2-refcount.c does, so that tern-img check and
 * qemu-img check report the same numbers.  Repair (-r leaks / -r all)
 * adjusts refcounts in place or, when the refcount structures themselves
 * are broken, writes a new refcount table and blocks after the end of the
 * image and switches the header to them.
 *
 * This file computes the expected refcounts and runs the check; the
 * comparison with the image's refcounts, the repairs, the rebuild and the
 * OFLAG_COPIED pass are in qcow2-check-repair.c (shared declarations in
 * qcow2-check-int.h).
 *
 * The diagnostic lines go to stderr with QEMU's wording: they are
 * qemu-img check's user interface.  Everything runs in the main loop
 * thread in a coroutine, under s->lock.  See docs/devel/block-qcow2-check.md.
 */
#include "util/osdep.h"

#include "block/qcow2-check-int.h"

/* check_l1 flags */
#define CHECK_FRAG_INFO 0x2

/* QEMU's limits on the snapshot table */
#define QCOW_MAX_SNAPSHOT_EXTRA_DATA 1024
#define QCOW_SNAPSHOT_EXTRA_V3 16
#define QCOW_SNAPSHOT_HEADER_SIZE 40
#define QCOW_BITMAP_ENTRY_SIZE 24
#define BME_TABLE_ENTRY_OFFSET_MASK 0x00fffffffffffe00ULL

static uint32_t check_be32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return GUINT32_FROM_BE(v);
}

static uint16_t check_be16(const uint8_t *p)
{
    uint16_t v;

    memcpy(&v, p, sizeof(v));
    return GUINT16_FROM_BE(v);
}

void G_GNUC_PRINTF(1, 2) check_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static uint64_t check_refcount_max(Qcow2Check *c)
{
    return MIN(c->s->refcount_max, (uint64_t)UINT32_MAX);
}

/* Grows @c->refs to at least @size entries, zero-filled: 0 or -ENOMEM */
int check_refs_resize(Qcow2Check *c, int64_t size)
{
    uint32_t *refs;

    if (size <= c->nb_clusters) {
        return 0;
    }
    if (size > INT_MAX) {
        return -EFBIG;
    }
    refs = g_try_renew(uint32_t, c->refs, size);
    if (!refs) {
        return -ENOMEM;
    }
    memset(refs + c->nb_clusters, 0,
           (size - c->nb_clusters) * sizeof(uint32_t));
    c->refs = refs;
    c->nb_clusters = size;
    return 0;
}

/*
 * Reads from the image file; what lies past its end reads as zeroes (as
 * QEMU's block layer gives them), so a table past the end is empty.
 */
int check_pread(Qcow2Check *c, int64_t offset, void *buf,
                int64_t bytes)
{
    int64_t avail = offset < c->file_len ? c->file_len - offset : 0;

    if (avail < bytes) {
        memset((uint8_t *)buf + avail, 0, bytes - avail);
        bytes = avail;
    }
    return bytes ? qcow2_file_pread(c->bs, offset, buf, bytes) : 0;
}

/* Counts one reference to every cluster of [@offset, @offset + @size) */
static int check_inc_refcounts(Qcow2Check *c, BdrvCheckResult *res,
                               uint64_t offset, uint64_t size)
{
    BDRVQcow2State *s = c->s;
    uint64_t start, last, cl;
    int ret;

    if (size == 0) {
        return 0;
    }
    /* The last cluster may be partly past the end of the file */
    if (offset > INT64_MAX - size ||
        (int64_t)(offset + size) - c->file_len >= s->cluster_size) {
        check_report("ERROR: counting reference for region exceeding the "
                     "end of the file by one cluster or more: offset "
                     "0x%" PRIx64 " size 0x%" PRIx64, offset, size);
        res->corruptions++;
        return 0;
    }
    start = start_of_cluster(s, offset);
    last = start_of_cluster(s, offset + size - 1);
    for (cl = start; cl <= last; cl += s->cluster_size) {
        int64_t k = cl >> s->cluster_bits;

        ret = check_refs_resize(c, k + 1);
        if (ret < 0) {
            res->check_errors++;
            return ret;
        }
        if (c->refs[k] >= check_refcount_max(c)) {
            check_report("ERROR: overflow cluster offset=0x%" PRIx64, cl);
            check_report("Use qemu-img amend to increase the refcount entry "
                         "width or qemu-img convert to create a clean copy "
                         "if the image cannot be opened for writing");
            res->corruptions++;
            continue;
        }
        c->refs[k]++;
    }
    return 0;
}

/*
 * Replaces a preallocated zero cluster's misaligned entry by a plain zero
 * entry.  Returns 0 when fixed, -errno otherwise; *@overlap is set when
 * the write was refused by the metadata overlap check.
 */
static int check_fix_l2_entry_by_zero(Qcow2Check *c, BdrvCheckResult *res,
                                      uint64_t l2_offset, void *l2, int idx,
                                      bool active, bool *overlap)
{
    BDRVQcow2State *s = c->s;
    int ign = active ? QCOW2_OL_ACTIVE_L2 : QCOW2_OL_INACTIVE_L2;
    int64_t entry_off = l2_offset + (int64_t)idx * l2_entry_size(s);
    int ret;

    if (has_subclusters(s)) {
        set_l2_entry(s, l2, idx, 0);
        set_l2_bitmap(s, l2, idx, QCOW_L2_BITMAP_ALL_ZEROES);
    } else {
        set_l2_entry(s, l2, idx, QCOW_OFLAG_ZERO);
    }
    ret = qcow2_pre_write_overlap_check(c->bs, ign, entry_off,
                                        l2_entry_size(s));
    if (ret < 0) {
        check_report("ERROR: Overlap check failed");
        *overlap = true;
        goto fail;
    }
    ret = qcow2_file_pwrite(c->bs, entry_off,
                            (uint8_t *)l2 + idx * l2_entry_size(s),
                            l2_entry_size(s));
    if (ret == 0) {
        ret = qcow2_file_flush(c->bs);
    }
    if (ret < 0) {
        check_report("ERROR: Failed to overwrite L2 table entry: %s",
                     strerror(-ret));
        goto fail;
    }
    res->corruptions--;
    res->corruptions_fixed++;
    return 0;

fail:
    res->check_errors++;
    return ret;
}

/* Per-L2-table walk state */
typedef struct CheckL2 {
    uint64_t l2_offset;
    void *table;
    int flags;
    bool active;
    uint64_t next_contiguous;
} CheckL2;

static int check_compressed_entry(Qcow2Check *c, BdrvCheckResult *res,
                                  CheckL2 *w, int i, uint64_t entry,
                                  uint64_t bitmap)
{
    BDRVQcow2State *s = c->s;
    uint64_t coffset = entry & s->cluster_offset_mask;
    uint64_t nb_csectors = ((entry >> s->csize_shift) & s->csize_mask) + 1;
    uint64_t csize = nb_csectors * QCOW2_COMPRESSED_SECTOR_SIZE -
                     (coffset & (QCOW2_COMPRESSED_SECTOR_SIZE - 1));
    int ret;

    if (entry & QCOW_OFLAG_COPIED) {
        check_report("ERROR: coffset=0x%" PRIx64 ": copied flag must never "
                     "be set for compressed clusters", coffset);
        res->corruptions++;
    }
    if (bitmap) {
        check_report("ERROR compressed cluster %d with non-zero subcluster "
                     "allocation bitmap, entry=0x%" PRIx64,
                     i, (uint64_t)(entry & ~QCOW_OFLAG_COPIED));
        res->corruptions++;
        return 0;
    }
    ret = check_inc_refcounts(c, res, coffset, csize);
    if (ret < 0) {
        return ret;
    }
    if (w->flags & CHECK_FRAG_INFO) {
        res->bfi.allocated_clusters++;
        res->bfi.compressed_clusters++;
        /* compressed clusters are fragmented by nature */
        res->bfi.fragmented_clusters++;
    }
    return 0;
}

static int check_data_entry(Qcow2Check *c, BdrvCheckResult *res,
                            BdrvCheckMode fix, CheckL2 *w, int i,
                            uint64_t entry, uint64_t bitmap)
{
    BDRVQcow2State *s = c->s;
    uint64_t offset = entry & L2E_OFFSET_MASK;
    int ret;

    if ((bitmap >> 32) & bitmap) {
        res->corruptions++;
        check_report("ERROR offset=%" PRIx64 ": Allocated cluster has "
                     "corrupted subcluster allocation bitmap", offset);
    }
    if (offset_into_cluster(s, offset)) {
        bool has_data = has_subclusters(s) ?
                        (bitmap & QCOW_L2_BITMAP_ALL_ALLOC) != 0 :
                        !(entry & QCOW_OFLAG_ZERO);

        res->corruptions++;
        if (has_data) {
            check_report("ERROR offset=%" PRIx64 ": Data cluster is not "
                         "properly aligned; L2 entry corrupted.", offset);
        } else {
            bool overlap = false;

            check_report("%s offset=%" PRIx64 ": Preallocated cluster is "
                         "not properly aligned; L2 entry corrupted.",
                         fix & BDRV_FIX_ERRORS ? "Repairing" : "ERROR",
                         offset);
            if (fix & BDRV_FIX_ERRORS) {
                ret = check_fix_l2_entry_by_zero(c, res, w->l2_offset,
                                                 w->table, i, w->active,
                                                 &overlap);
                if (overlap) {
                    return -EIO;
                }
                if (ret == 0) {
                    return 0;   /* the cluster is unused now */
                }
            }
        }
    }
    if (w->flags & CHECK_FRAG_INFO) {
        res->bfi.allocated_clusters++;
        if (w->next_contiguous && offset != w->next_contiguous) {
            res->bfi.fragmented_clusters++;
        }
        w->next_contiguous = offset + s->cluster_size;
    }
    return check_inc_refcounts(c, res, offset, s->cluster_size);
}

static int check_l2_entry(Qcow2Check *c, BdrvCheckResult *res,
                          BdrvCheckMode fix, CheckL2 *w, int i)
{
    BDRVQcow2State *s = c->s;
    uint64_t entry = get_l2_entry(s, w->table, i);
    uint64_t bitmap = get_l2_bitmap(s, w->table, i);
    QCow2ClusterType type = qcow2_get_cluster_type(c->bs, entry);

    if (type != QCOW2_CLUSTER_COMPRESSED &&
        (entry & L2E_STD_RESERVED_MASK)) {
        check_report("ERROR found l2 entry with reserved bits set: "
                     "%" PRIx64, entry);
        res->corruptions++;
    }
    switch (type) {
    case QCOW2_CLUSTER_COMPRESSED:
        return check_compressed_entry(c, res, w, i, entry, bitmap);
    case QCOW2_CLUSTER_ZERO_ALLOC:
    case QCOW2_CLUSTER_NORMAL:
        return check_data_entry(c, res, fix, w, i, entry, bitmap);
    case QCOW2_CLUSTER_ZERO_PLAIN:
        return 0;
    case QCOW2_CLUSTER_UNALLOCATED:
    default:
        if (bitmap & QCOW_L2_BITMAP_ALL_ALLOC) {
            res->corruptions++;
            check_report("ERROR: Unallocated cluster has non-zero "
                         "subcluster allocation map");
        }
        return 0;
    }
}

static int check_l2(Qcow2Check *c, BdrvCheckResult *res, BdrvCheckMode fix,
                    uint64_t l2_offset, int flags, bool active)
{
    BDRVQcow2State *s = c->s;
    CheckL2 w = {
        .l2_offset = l2_offset,
        .flags = flags,
        .active = active,
    };
    int64_t bytes = (int64_t)s->l2_size * l2_entry_size(s);
    int ret;
    int i;

    w.table = g_malloc(bytes);
    ret = check_pread(c, l2_offset, w.table, bytes);
    if (ret < 0) {
        check_report("ERROR: I/O error in check_refcounts_l2");
        res->check_errors++;
        goto out;
    }
    for (i = 0; i < s->l2_size; i++) {
        ret = check_l2_entry(c, res, fix, &w, i);
        if (ret < 0) {
            break;
        }
    }
    /* an overlap stops this table only, as in QEMU */
    if (ret == -EIO) {
        ret = 0;
    }
out:
    g_free(w.table);
    return ret;
}

static int check_l1(Qcow2Check *c, BdrvCheckResult *res, BdrvCheckMode fix,
                    uint64_t l1_offset, uint32_t l1_size, int flags,
                    bool active)
{
    BDRVQcow2State *s = c->s;
    uint64_t bytes = (uint64_t)l1_size * sizeof(uint64_t);
    g_autofree uint64_t *l1 = NULL;
    uint32_t i;
    int ret;

    ret = check_inc_refcounts(c, res, l1_offset, bytes);
    if (ret < 0 || !l1_size) {
        return ret;
    }
    l1 = g_try_malloc(bytes);
    if (!l1) {
        res->check_errors++;
        return -ENOMEM;
    }
    ret = check_pread(c, l1_offset, l1, bytes);
    if (ret < 0) {
        check_report("ERROR: I/O error in check_refcounts_l1");
        res->check_errors++;
        return ret;
    }
    for (i = 0; i < l1_size; i++) {
        uint64_t entry = GUINT64_FROM_BE(l1[i]);
        uint64_t l2_offset = entry & L1E_OFFSET_MASK;

        if (!entry) {
            continue;
        }
        if (entry & L1E_RESERVED_MASK) {
            check_report("ERROR found L1 entry with reserved bits set: "
                         "%" PRIx64, entry);
            res->corruptions++;
        }
        ret = check_inc_refcounts(c, res, l2_offset, s->cluster_size);
        if (ret < 0) {
            return ret;
        }
        if (offset_into_cluster(s, l2_offset)) {
            check_report("ERROR l2_offset=%" PRIx64 ": Table is not "
                         "cluster aligned; L1 entry corrupted", l2_offset);
            res->corruptions++;
        }
        ret = check_l2(c, res, fix, l2_offset, flags, active);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

/* One snapshot table entry, as far as the check needs it */
typedef struct CheckSnapshot {
    uint64_t l1_offset;
    uint32_t l1_size;
    char *id;
    char *name;
} CheckSnapshot;

/*
 * Reads the snapshot entry at @offset into @sn; returns its size in bytes
 * (8-aligned) or -errno.
 */
static int64_t check_read_snapshot(Qcow2Check *c, BdrvCheckResult *res,
                                   int idx, uint64_t offset,
                                   CheckSnapshot *sn)
{
    uint8_t h[QCOW_SNAPSHOT_HEADER_SIZE];
    uint32_t extra, id_len, name_len;
    int64_t size;
    int ret;

    ret = check_pread(c, offset, h, sizeof(h));
    if (ret < 0) {
        return ret;
    }
    sn->l1_offset = qcow2_be64_get(h);
    sn->l1_size = check_be32(h + 8);
    id_len = check_be16(h + 12);
    name_len = check_be16(h + 14);
    extra = check_be32(h + 36);
    if (extra > QCOW_MAX_SNAPSHOT_EXTRA_DATA) {
        check_report("Failed to read snapshot table: Too much extra "
                     "metadata in snapshot table entry %d", idx);
        return -EFBIG;
    }
    if (c->s->qcow_version >= 3 && extra < QCOW_SNAPSHOT_EXTRA_V3) {
        check_report("ERROR snapshot table entry %d is incomplete", idx);
        res->corruptions++;
    }
    sn->id = g_malloc0(id_len + 1);
    sn->name = g_malloc0(name_len + 1);
    offset += sizeof(h) + extra;
    ret = check_pread(c, offset, sn->id, id_len);
    if (ret == 0) {
        ret = check_pread(c, offset + id_len, sn->name, name_len);
    }
    if (ret < 0) {
        return ret;
    }
    size = sizeof(h) + extra + id_len + name_len;
    return CHECK_ROUND_UP(size, 8);
}

static int check_snapshots(Qcow2Check *c, BdrvCheckResult *res,
                           BdrvCheckMode fix)
{
    BDRVQcow2State *s = c->s;
    uint64_t offset = s->snapshots_offset;
    uint32_t i;
    int ret = 0;

    for (i = 0; i < s->nb_snapshots && ret >= 0; i++) {
        CheckSnapshot sn = { 0 };
        int64_t size = check_read_snapshot(c, res, i, offset, &sn);

        if (size < 0) {
            res->check_errors++;
            ret = size;
        } else if (offset_into_cluster(s, sn.l1_offset)) {
            check_report("ERROR snapshot %s (%s) l1_offset=%#" PRIx64 ": L1 "
                         "table is not cluster aligned; snapshot table "
                         "entry corrupted", sn.id, sn.name, sn.l1_offset);
            res->corruptions++;
        } else if (sn.l1_size > QCOW_MAX_L1_SIZE / sizeof(uint64_t)) {
            check_report("ERROR snapshot %s (%s) l1_size=%#" PRIx32 ": L1 "
                         "table is too large; snapshot table entry "
                         "corrupted", sn.id, sn.name, sn.l1_size);
            res->corruptions++;
        } else {
            ret = check_l1(c, res, fix, sn.l1_offset, sn.l1_size, 0, false);
        }
        if (size > 0) {
            offset += size;
        }
        g_free(sn.id);
        g_free(sn.name);
    }
    c->snapshots_size = offset - s->snapshots_offset;
    return ret;
}

/* The persistent bitmaps: directory, bitmap tables, data clusters */
static int check_bitmaps(Qcow2Check *c, BdrvCheckResult *res)
{
    BDRVQcow2State *s = c->s;
    uint64_t dsize = s->bitmap_directory_size;
    g_autofree uint8_t *dir = NULL;
    uint64_t pos = 0;
    uint32_t n;
    int ret;

    if (!s->nb_bitmaps || !dsize || dsize > QCOW_MAX_EXTENSION_SIZE * 64) {
        return 0;
    }
    ret = check_inc_refcounts(c, res, s->bitmap_directory_offset, dsize);
    if (ret < 0) {
        return ret;
    }
    dir = g_malloc(dsize);
    ret = check_pread(c, s->bitmap_directory_offset, dir, dsize);
    for (n = 0; ret == 0 && n < s->nb_bitmaps &&
         pos + QCOW_BITMAP_ENTRY_SIZE <= dsize; n++) {
        uint64_t toff = qcow2_be64_get(dir + pos);
        uint32_t tsize = check_be32(dir + pos + 8);
        uint16_t nlen = check_be16(dir + pos + 18);
        uint32_t extra = check_be32(dir + pos + 20);
        g_autofree uint64_t *table = NULL;
        uint32_t j;

        pos += CHECK_ROUND_UP(QCOW_BITMAP_ENTRY_SIZE + (uint64_t)extra +
                              nlen, 8);
        if (tsize > QCOW_MAX_L1_SIZE / sizeof(uint64_t)) {
            break;
        }
        ret = check_inc_refcounts(c, res, toff, tsize * sizeof(uint64_t));
        table = g_malloc(tsize * sizeof(uint64_t) + 1);
        if (ret == 0) {
            ret = check_pread(c, toff, table, tsize * sizeof(uint64_t));
        }
        for (j = 0; ret == 0 && j < tsize; j++) {
            uint64_t off = GUINT64_FROM_BE(table[j]) &
                           BME_TABLE_ENTRY_OFFSET_MASK;

            if (off) {
                ret = check_inc_refcounts(c, res, off, s->cluster_size);
            }
        }
    }
    if (ret < 0) {
        res->check_errors++;
    }
    return ret;
}

static int check_refblock_outside(Qcow2Check *c, BdrvCheckResult *res,
                                  BdrvCheckMode fix, bool *rebuild,
                                  uint32_t i, uint64_t offset)
{
    BDRVQcow2State *s = c->s;
    uint64_t cluster = offset >> s->cluster_bits;
    g_autoptr(GError) err = NULL;
    int64_t len;
    int ret = -EINVAL;

    res->corruptions++;
    check_report("%s refcount block %" PRIu32 " is outside image",
                 fix & BDRV_FIX_ERRORS ? "Repairing" : "ERROR", i);
    if (!(fix & BDRV_FIX_ERRORS)) {
        return 0;
    }
    /* QEMU grows the file to hold the block; bounded by what the
     * computed refcount array can cover */
    if (offset <= (uint64_t)(INT64_MAX - s->cluster_size) &&
        size_to_clusters(s, offset + s->cluster_size) <= INT_MAX) {
        ret = bdrv_co_truncate(c->bs->file, offset + s->cluster_size, false,
                               PREALLOC_MODE_OFF, 0, &err);
    }
    len = ret < 0 ? ret : qcow2_file_length(c->bs);
    if (len >= 0) {
        c->file_len = len;
        ret = check_refs_resize(c, size_to_clusters(s, len));
        if (ret == 0 && cluster < (uint64_t)c->nb_clusters) {
            res->corruptions--;
            res->corruptions_fixed++;
            return check_inc_refcounts(c, res, offset, s->cluster_size);
        }
    }
    *rebuild = true;
    check_report("ERROR could not resize image: %s",
                 err ? err->message : strerror(len < 0 ? -len : -ret));
    return 0;
}

static int check_refblocks(Qcow2Check *c, BdrvCheckResult *res,
                           BdrvCheckMode fix, bool *rebuild)
{
    BDRVQcow2State *s = c->s;
    uint32_t i;
    int ret;

    for (i = 0; i < s->refcount_table_size; i++) {
        uint64_t offset = s->refcount_table[i] & REFT_OFFSET_MASK;
        uint64_t cluster = offset >> s->cluster_bits;

        if (s->refcount_table[i] & REFT_RESERVED_MASK) {
            check_report("ERROR refcount table entry %" PRIu32 " has "
                         "reserved bits set", i);
            res->corruptions++;
            *rebuild = true;
            continue;
        }
        if (offset_into_cluster(s, offset)) {
            check_report("ERROR refcount block %" PRIu32 " is not cluster "
                         "aligned; refcount table entry corrupted", i);
            res->corruptions++;
            *rebuild = true;
            continue;
        }
        if (cluster >= (uint64_t)c->nb_clusters) {
            ret = check_refblock_outside(c, res, fix, rebuild, i, offset);
            if (ret < 0) {
                return ret;
            }
            continue;
        }
        if (offset != 0) {
            ret = check_inc_refcounts(c, res, offset, s->cluster_size);
            if (ret < 0) {
                return ret;
            }
            if (c->refs[cluster] != 1) {
                check_report("ERROR refcount block %" PRIu32
                             " refcount=%" PRIu32, i, c->refs[cluster]);
                res->corruptions++;
                *rebuild = true;
            }
        }
    }
    return 0;
}

/* Computes the expected refcount of every cluster into @c->refs */
int check_calculate(Qcow2Check *c, BdrvCheckResult *res,
                    BdrvCheckMode fix, bool *rebuild)
{
    BDRVQcow2State *s = c->s;
    int ret;

    ret = check_inc_refcounts(c, res, 0, s->cluster_size);
    if (ret == 0) {
        ret = check_l1(c, res, fix, s->l1_table_offset, s->l1_size,
                       CHECK_FRAG_INFO, true);
    }
    if (ret == 0) {
        ret = check_snapshots(c, res, fix);
    }
    if (ret == 0) {
        ret = check_inc_refcounts(c, res, s->snapshots_offset,
                                  c->snapshots_size);
    }
    if (ret == 0) {
        ret = check_inc_refcounts(c, res, s->refcount_table_offset,
                                  (uint64_t)s->refcount_table_size *
                                  sizeof(uint64_t));
    }
    if (ret == 0) {
        ret = check_bitmaps(c, res);
    }
    if (ret == 0) {
        ret = check_refblocks(c, res, fix, rebuild);
    }
    return ret;
}

/* QEMU's qcow2_check_refcounts(), then the OFLAG_COPIED pass */
static int check_run(Qcow2Check *c, BdrvCheckResult *res, BdrvCheckMode fix)
{
    BDRVQcow2State *s = c->s;
    int64_t highest = 0, vsize;
    int ret;

    c->file_len = qcow2_file_length(c->bs);
    if (c->file_len < 0) {
        res->check_errors++;
        return c->file_len;
    }
    if (size_to_clusters(s, c->file_len) > INT_MAX) {
        res->check_errors++;
        return -EFBIG;
    }
    vsize = bdrv_co_getlength(c->bs);
    res->bfi.total_clusters = size_to_clusters(s, MAX(vsize, 0));
    ret = check_refs_resize(c, size_to_clusters(s, c->file_len));
    if (ret < 0) {
        res->check_errors++;
        return ret;
    }
    ret = check_refcounts(c, res, fix, &highest);
    if (ret < 0) {
        return ret;
    }
    ret = check_oflag_copied(c, res, fix);
    if (ret < 0) {
        return ret;
    }
    res->image_end_offset = (highest + 1) * s->cluster_size;
    return 0;
}

/**
 * qcow2_co_check:
 * @bs: an open qcow2 node
 * @result: filled with the counts (zeroed first)
 * @fix: 0 to check only; BDRV_FIX_LEAKS and/or BDRV_FIX_ERRORS to repair
 *       (the node must be writable then)
 *
 * BlockDriver.bdrv_co_check of qcow2: qemu-img check's algorithm and
 * counts.  Diagnostics are printed on stderr.  On a successful repair
 * that left no corruption, the dirty and corrupt bits are cleared.
 * Main loop thread, coroutine; takes s->lock.
 *
 * Returns: 0 when the check ran (its findings are in @result), -errno
 * when it could not complete (result->check_errors counts why).
 */
int coroutine_fn qcow2_co_check(BlockDriverState *bs,
                                BdrvCheckResult *result,
                                BdrvCheckMode fix)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2Check c = { .bs = bs, .s = s };
    int ret;

    memset(result, 0, sizeof(*result));
    qemu_co_mutex_lock(&s->lock);
    /* read tables from the file: write back and drop what is cached */
    ret = qcow2_cache_empty(bs, s->l2_table_cache);
    if (ret == 0) {
        ret = qcow2_cache_empty(bs, s->refcount_block_cache);
    }
    if (ret < 0) {
        result->check_errors++;
    } else {
        ret = check_run(&c, result, fix);
    }
    if (ret == 0 && fix && !result->check_errors && !result->corruptions) {
        ret = qcow2_mark_clean(bs);
        if (ret == 0) {
            ret = qcow2_mark_consistent(bs);
        }
    }
    if (fix) {
        int ret2 = qcow2_cache_flush(bs, s->refcount_block_cache);

        ret = ret < 0 ? ret : ret2;
    }
    qemu_co_mutex_unlock(&s->lock);
    g_free(c.refs);
    return ret;
}
