/*
 * qcow2-cluster.c: qcow2 guest-to-host mapping — L1/L2 lookup and
 * allocation, writes with copy-on-write of partial (sub)clusters, zeroing,
 * discard and metadata preallocation (reads: qcow2-read.c).
 *
 * Ordering (crash safety): data and copied-on-write data are written
 * before the L2 entries that point to them; the L2 cache depends on the
 * refcount cache, so the refcounts of new clusters are durable before any
 * L2 entry uses them; freeing makes the refcount cache depend on the L2
 * cache (qcow2-refcount.c).  A crash leaks clusters at worst.
 *
 * Main loop thread; coroutine_fn functions run with s->lock held.
 */
#include "util/osdep.h"

#include "block/qcow2.h"
#include "util/buffer-is-zero.h"
#include "trace-block.h"

QCow2ClusterType qcow2_get_cluster_type(BlockDriverState *bs,
                                        uint64_t l2_entry)
{
    BDRVQcow2State *s = bs->opaque;

    if (l2_entry & QCOW_OFLAG_COMPRESSED) {
        return QCOW2_CLUSTER_COMPRESSED;
    }
    if ((l2_entry & QCOW_OFLAG_ZERO) && !has_subclusters(s)) {
        return (l2_entry & L2E_OFFSET_MASK) ? QCOW2_CLUSTER_ZERO_ALLOC
                                             : QCOW2_CLUSTER_ZERO_PLAIN;
    }
    if (!(l2_entry & L2E_OFFSET_MASK)) {
        return QCOW2_CLUSTER_UNALLOCATED;
    }
    return QCOW2_CLUSTER_NORMAL;
}

QCow2SubclusterType qcow2_get_subcluster_type(BlockDriverState *bs,
                                              uint64_t l2_entry,
                                              uint64_t l2_bitmap,
                                              unsigned sc_index)
{
    BDRVQcow2State *s = bs->opaque;
    QCow2ClusterType type = qcow2_get_cluster_type(bs, l2_entry);
    uint32_t alloc = l2_bitmap;
    uint32_t zero = l2_bitmap >> 32;

    if (!has_subclusters(s)) {
        static const QCow2SubclusterType map[] = {
            [QCOW2_CLUSTER_UNALLOCATED] = QCOW2_SUBCLUSTER_UNALLOCATED_PLAIN,
            [QCOW2_CLUSTER_ZERO_PLAIN] = QCOW2_SUBCLUSTER_ZERO_PLAIN,
            [QCOW2_CLUSTER_ZERO_ALLOC] = QCOW2_SUBCLUSTER_ZERO_ALLOC,
            [QCOW2_CLUSTER_NORMAL] = QCOW2_SUBCLUSTER_NORMAL,
            [QCOW2_CLUSTER_COMPRESSED] = QCOW2_SUBCLUSTER_COMPRESSED,
        };
        return map[type];
    }
    switch (type) {
    case QCOW2_CLUSTER_COMPRESSED:
        return QCOW2_SUBCLUSTER_COMPRESSED;
    case QCOW2_CLUSTER_NORMAL:
        if (alloc & zero) {
            return QCOW2_SUBCLUSTER_INVALID;
        }
        if (zero & (1u << sc_index)) {
            return QCOW2_SUBCLUSTER_ZERO_ALLOC;
        }
        return (alloc & (1u << sc_index)) ? QCOW2_SUBCLUSTER_NORMAL
                                          : QCOW2_SUBCLUSTER_UNALLOCATED_ALLOC;
    case QCOW2_CLUSTER_UNALLOCATED:
        if (alloc) {
            return QCOW2_SUBCLUSTER_INVALID;
        }
        return (zero & (1u << sc_index)) ? QCOW2_SUBCLUSTER_ZERO_PLAIN
                                         : QCOW2_SUBCLUSTER_UNALLOCATED_PLAIN;
    default:
        return QCOW2_SUBCLUSTER_INVALID;
    }
}

int qcow2_write_l1_entry(BlockDriverState *bs, int l1_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off = s->l1_table_offset + (uint64_t)l1_index * 8;
    uint8_t buf[8];
    int ret;

    qcow2_be64_set(buf, s->l1_table[l1_index]);
    ret = qcow2_pre_write_overlap_check(bs, QCOW2_OL_ACTIVE_L1, off, 8);
    if (ret < 0) {
        return ret;
    }
    trace_qcow2_write_l1_entry(l1_index, s->l1_table[l1_index]);
    return qcow2_file_pwrite(bs, off, buf, sizeof(buf));
}

/* Write the first @new_size entries of @table (@bytes, zero-padded) at
 * @new_off as a big-endian L1 table, then flush the file */
static int write_l1_table(BlockDriverState *bs, const uint64_t *table,
                          uint64_t new_size, int64_t new_off, uint64_t bytes)
{
    g_autofree uint64_t *be = g_new0(uint64_t, bytes / 8);
    int ret;

    for (uint64_t i = 0; i < new_size; i++) {
        be[i] = GUINT64_TO_BE(table[i]);
    }
    ret = qcow2_pre_write_overlap_check(bs, 0, new_off, bytes);
    if (ret >= 0) {
        ret = qcow2_file_pwrite(bs, new_off, be, bytes);
    }
    if (ret >= 0) {
        ret = qcow2_file_flush(bs);
    }
    return ret;
}

/* Point the header at the L1 table of @new_size entries at @new_off */
static int write_l1_header(BlockDriverState *bs, uint64_t new_size,
                           int64_t new_off)
{
    uint8_t hdr[12];

    /* l1_size (4 bytes at 36) and l1_table_offset (8 at 40) at once */
    hdr[0] = new_size >> 24;
    hdr[1] = new_size >> 16;
    hdr[2] = new_size >> 8;
    hdr[3] = new_size;
    qcow2_be64_set(hdr + 4, new_off);
    return qcow2_file_pwrite(bs, offsetof(QCowHeader, l1_size), hdr,
                             sizeof(hdr));
}

int qcow2_grow_l1_table(BlockDriverState *bs, uint64_t min_size,
                        bool exact_size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t new_size = min_size;
    uint64_t bytes;
    g_autofree uint64_t *table = NULL;
    int64_t new_off;
    int ret;

    if (min_size <= (uint64_t)s->l1_size) {
        return 0;
    }
    if (!exact_size) {
        new_size = MAX(min_size, (uint64_t)s->l1_size * 3 / 2);
    }
    if (new_size > QCOW_MAX_L1_SIZE / sizeof(uint64_t)) {
        return -EFBIG;
    }
    bytes = ROUND_UP(new_size * sizeof(uint64_t), 512);
    table = g_new0(uint64_t, bytes / 8);
    if (s->l1_size) {
        memcpy(table, s->l1_table, s->l1_size * sizeof(uint64_t));
    }
    new_off = qcow2_alloc_clusters(bs, bytes);
    if (new_off < 0) {
        return new_off;
    }
    trace_qcow2_grow_l1_table(s->l1_size, new_size, new_off);
    /* refcounts of the new table before the header points to it */
    ret = qcow2_cache_flush(bs, s->refcount_block_cache);
    if (ret >= 0) {
        ret = write_l1_table(bs, table, new_size, new_off, bytes);
    }
    if (ret < 0) {
        qcow2_free_clusters(bs, new_off, bytes);
        return ret;
    }
    ret = write_l1_header(bs, new_size, new_off);
    if (ret < 0) {
        qcow2_free_clusters(bs, new_off, bytes);
        return ret;
    }
    qcow2_free_clusters(bs, s->l1_table_offset,
                        (uint64_t)s->l1_size * sizeof(uint64_t));
    g_free(s->l1_table);
    s->l1_table = g_steal_pointer(&table);
    s->l1_table_offset = new_off;
    s->l1_size = new_size;
    return 0;
}

static int check_l2_offset(BlockDriverState *bs, int l1_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l2_offset = s->l1_table[l1_index] & L1E_OFFSET_MASK;

    if (offset_into_cluster(s, l2_offset)) {
        qcow2_signal_corruption(bs, true, l2_offset, s->cluster_size,
                                "L2 table offset %#" PRIx64
                                " unaligned (L1 index: %#x)",
                                l2_offset, l1_index);
        return -EIO;
    }
    return 0;
}

/* Give L1 entry @l1_index a fresh, exclusively owned L2 table */
static int l2_allocate(BlockDriverState *bs, int l1_index, void **l2)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old = s->l1_table[l1_index] & L1E_OFFSET_MASK;
    void *old_table;
    int64_t new_off;
    int ret;

    new_off = qcow2_alloc_clusters(bs, s->cluster_size);
    if (new_off < 0) {
        return new_off;
    }
    trace_qcow2_l2_allocate(l1_index, new_off);
    if (!s->use_lazy_refcounts) {
        ret = qcow2_cache_set_dependency(bs, s->l2_table_cache,
                                         s->refcount_block_cache);
        if (ret < 0) {
            return ret;
        }
    }
    ret = qcow2_cache_get_empty(bs, s->l2_table_cache, new_off, l2);
    if (ret < 0) {
        return ret;
    }
    if (old) {
        ret = qcow2_cache_get(bs, s->l2_table_cache, old, &old_table);
        if (ret < 0) {
            qcow2_cache_put(s->l2_table_cache, l2);
            return ret;
        }
        memcpy(*l2, old_table, s->cluster_size);
        qcow2_cache_put(s->l2_table_cache, &old_table);
    } else {
        memset(*l2, 0, s->cluster_size);
    }
    qcow2_cache_entry_mark_dirty(s->l2_table_cache, *l2);
    /* the table must be on disk before L1 points to it */
    ret = qcow2_cache_flush(bs, s->l2_table_cache);
    if (ret >= 0) {
        s->l1_table[l1_index] = new_off | QCOW_OFLAG_COPIED;
        ret = qcow2_write_l1_entry(bs, l1_index);
    }
    if (ret < 0) {
        s->l1_table[l1_index] = old ? old : 0;
        qcow2_cache_put(s->l2_table_cache, l2);
        return ret;
    }
    if (old) {
        qcow2_free_clusters(bs, old, s->cluster_size);
    }
    return 0;
}

/*
 * The L2 table for guest @offset in *l2 (put it with qcow2_cache_put), or
 * NULL when it is unallocated and !@allocate.
 */
static int get_l2_table(BlockDriverState *bs, uint64_t offset, bool allocate,
                        void **l2)
{
    BDRVQcow2State *s = bs->opaque;
    int l1_index = offset_to_l1_index(s, offset);
    uint64_t l1e;
    int ret;

    *l2 = NULL;
    if (l1_index >= s->l1_size) {
        if (!allocate) {
            return 0;
        }
        ret = qcow2_grow_l1_table(bs, l1_index + 1, false);
        if (ret < 0) {
            return ret;
        }
    }
    ret = check_l2_offset(bs, l1_index);
    if (ret < 0) {
        return ret;
    }
    l1e = s->l1_table[l1_index];
    if ((l1e & L1E_OFFSET_MASK) && (!allocate || (l1e & QCOW_OFLAG_COPIED))) {
        return qcow2_cache_get(bs, s->l2_table_cache, l1e & L1E_OFFSET_MASK,
                               l2);
    }
    if (!allocate) {
        return 0;
    }
    return l2_allocate(bs, l1_index, l2);
}

static bool same_run(BDRVQcow2State *s, QCow2SubclusterType type,
                     uint64_t entry, uint64_t expected_host)
{
    switch (type) {
    case QCOW2_SUBCLUSTER_NORMAL:
    case QCOW2_SUBCLUSTER_ZERO_ALLOC:
    case QCOW2_SUBCLUSTER_UNALLOCATED_ALLOC:
        return (entry & L2E_OFFSET_MASK) == expected_host;
    default:
        return true;
    }
}

/* Subclusters from (@l2_index, @sc) of the same type and contiguous */
static unsigned count_run(BlockDriverState *bs, void *l2, int l2_index,
                          unsigned sc, QCow2SubclusterType type,
                          unsigned max_sc)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t host0 = get_l2_entry(s, l2, l2_index) & L2E_OFFSET_MASK;
    unsigned n = 0;

    for (int i = l2_index; i < s->l2_size && n < max_sc; i++) {
        uint64_t entry = get_l2_entry(s, l2, i);
        uint64_t bitmap = get_l2_bitmap(s, l2, i);

        if (!same_run(s, type, entry,
                      host0 + ((uint64_t)(i - l2_index) << s->cluster_bits))) {
            break;
        }
        for (unsigned j = (i == l2_index ? sc : 0);
             j < (unsigned)s->subclusters_per_cluster && n < max_sc; j++) {
            if (qcow2_get_subcluster_type(bs, entry, bitmap, j) != type) {
                return n;
            }
            n++;
        }
    }
    return n;
}

static int classify_entry(BlockDriverState *bs, void *l2, int l2_index,
                          uint64_t offset, uint64_t *host,
                          QCow2SubclusterType *type)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t entry = get_l2_entry(s, l2, l2_index);
    uint64_t bitmap = get_l2_bitmap(s, l2, l2_index);
    uint64_t host_cluster = entry & L2E_OFFSET_MASK;

    *type = qcow2_get_subcluster_type(bs, entry, bitmap,
                                      offset_to_sc_index(s, offset));
    switch (*type) {
    case QCOW2_SUBCLUSTER_INVALID:
        qcow2_signal_corruption(bs, true, -1, -1,
                                "Invalid cluster entry found (L2 index: %#x, "
                                "L2 entry: %#" PRIx64 ", L2 bitmap: %#"
                                PRIx64 ")", l2_index, entry, bitmap);
        return -EIO;
    case QCOW2_SUBCLUSTER_COMPRESSED:
        *host = entry;
        return 0;
    case QCOW2_SUBCLUSTER_ZERO_PLAIN:
        if (s->qcow_version < 3) {
            qcow2_signal_corruption(bs, true, -1, -1,
                                    "Zero cluster entry found in pre-v3 "
                                    "image (L2 index: %#x)", l2_index);
            return -EIO;
        }
        return 0;
    case QCOW2_SUBCLUSTER_UNALLOCATED_PLAIN:
        return 0;
    default:
        if (offset_into_cluster(s, host_cluster)) {
            qcow2_signal_corruption(bs, true, -1, -1,
                                    "Cluster allocation offset %#" PRIx64
                                    " unaligned (L2 index: %#x)",
                                    host_cluster, l2_index);
            return -EIO;
        }
        *host = host_cluster + offset_into_cluster(s, offset);
        return 0;
    }
}

int coroutine_fn qcow2_get_host_offset(BlockDriverState *bs, uint64_t offset,
                                       unsigned int *bytes,
                                       uint64_t *host_offset,
                                       QCow2SubclusterType *type)
{
    BDRVQcow2State *s = bs->opaque;
    int l2_index = offset_to_l2_index(s, offset);
    uint64_t avail = ((uint64_t)(s->l2_size - l2_index) << s->cluster_bits)
                     - offset_into_cluster(s, offset);
    uint64_t need = MIN(*bytes, avail);
    uint64_t run;
    unsigned max_sc;
    void *l2;
    int ret;

    *host_offset = 0;
    *type = QCOW2_SUBCLUSTER_UNALLOCATED_PLAIN;
    ret = get_l2_table(bs, offset, false, &l2);
    if (ret < 0) {
        return ret;
    }
    if (!l2) {
        *bytes = need;
        return 0;
    }
    ret = classify_entry(bs, l2, l2_index, offset, host_offset, type);
    if (ret < 0) {
        qcow2_cache_put(s->l2_table_cache, &l2);
        return ret;
    }
    if (*type == QCOW2_SUBCLUSTER_COMPRESSED) {
        run = s->cluster_size - offset_into_cluster(s, offset);
    } else {
        max_sc = DIV_ROUND_UP(need + offset_into_subcluster(s, offset),
                              s->subcluster_size);
        run = (uint64_t)count_run(bs, l2, l2_index,
                                  offset_to_sc_index(s, offset), *type,
                                  max_sc) * s->subcluster_size -
              offset_into_subcluster(s, offset);
    }
    qcow2_cache_put(s->l2_table_cache, &l2);
    *bytes = MIN(need, run);
    return 0;
}

/* ---- writes ---- */

static bool in_place(BlockDriverState *bs, uint64_t entry)
{
    return qcow2_get_cluster_type(bs, entry) == QCOW2_CLUSTER_NORMAL &&
           (entry & QCOW_OFLAG_COPIED);
}

/* Whether a new cluster replacing @entry must copy all of the old one */
static bool full_copy(BlockDriverState *bs, uint64_t entry)
{
    return !has_subclusters(bs->opaque) ||
           qcow2_get_cluster_type(bs, entry) != QCOW2_CLUSTER_UNALLOCATED;
}

/* Subcluster bits of cluster @cstart touched by [@ws, @we) */
static uint64_t window_bits(BDRVQcow2State *s, uint64_t cstart, uint64_t ws,
                            uint64_t we)
{
    uint64_t lo = MAX(ws, cstart) - cstart;
    uint64_t hi = MIN(we, cstart + s->cluster_size) - cstart;
    unsigned a = lo >> s->subcluster_bits;
    unsigned b = DIV_ROUND_UP(hi, s->subcluster_size);

    return ((b >= 32 ? 0xffffffffULL : (1ULL << b) - 1)) &
           ~((1ULL << a) - 1);
}

/* Whether guest byte @off lies in a NORMAL subcluster of @entry */
static bool sc_is_normal(BlockDriverState *bs, void *l2, int l2_index,
                         uint64_t off)
{
    BDRVQcow2State *s = bs->opaque;

    return qcow2_get_subcluster_type(bs, get_l2_entry(s, l2, l2_index),
                                     get_l2_bitmap(s, l2, l2_index),
                                     offset_to_sc_index(s, off)) ==
           QCOW2_SUBCLUSTER_NORMAL;
}

typedef struct Qcow2WriteRun {
    uint64_t offset, end;       /* guest bytes written */
    uint64_t ws, we;            /* written window incl. copy-on-write */
    uint64_t cstart;            /* guest start of the first cluster */
    uint64_t host;              /* host offset of the first cluster */
    int l2_index;
    int n;                      /* clusters */
    bool inplace;
} Qcow2WriteRun;

static void write_window(BlockDriverState *bs, void *l2, Qcow2WriteRun *r)
{
    BDRVQcow2State *s = bs->opaque;
    int last = r->l2_index + r->n - 1;
    uint64_t lstart = r->cstart + ((uint64_t)(r->n - 1) << s->cluster_bits);

    r->ws = r->offset;
    r->we = r->end;
    if (r->inplace) {
        if (has_subclusters(s) && !sc_is_normal(bs, l2, r->l2_index, r->ws)) {
            r->ws &= ~((uint64_t)s->subcluster_size - 1);
        }
        if (has_subclusters(s) && !sc_is_normal(bs, l2, last, r->we - 1)) {
            r->we = ROUND_UP(r->we, (uint64_t)s->subcluster_size);
        }
        return;
    }
    if (full_copy(bs, get_l2_entry(s, l2, r->l2_index))) {
        r->ws = r->cstart;
    } else {
        r->ws &= ~((uint64_t)s->subcluster_size - 1);
    }
    if (full_copy(bs, get_l2_entry(s, l2, last))) {
        r->we = lstart + s->cluster_size;
    } else {
        r->we = ROUND_UP(r->we, (uint64_t)s->subcluster_size);
    }
}

/* Write @len bytes of @qiov from @qoff to the image file at @host */
static int coroutine_fn write_qiov_slice(BlockDriverState *bs, uint64_t host,
                                         QEMUIOVector *qiov, size_t qoff,
                                         uint64_t len)
{
    QEMUIOVector part;
    int ret;

    qemu_iovec_init(&part, qiov->niov);
    qemu_iovec_concat(&part, qiov, qoff, len);
    ret = qcow2_file_pwritev(bs, host, len, &part);
    qemu_iovec_destroy(&part);
    return ret;
}

/*
 * As QEMU's handle_alloc_space(): the copy-on-write parts of new clusters
 * read as zeroes, so zero the clusters in the file (fallocate: no data
 * moves) and write only the guest's bytes.  -ENOTSUP: the file cannot zero
 * without writing; the caller writes everything.
 */
static int coroutine_fn write_run_zero_cow(BlockDriverState *bs,
                                           Qcow2WriteRun *r,
                                           QEMUIOVector *qiov, size_t qoff,
                                           uint64_t host)
{
    int ret = bdrv_co_pwrite_zeroes(bs->file, host, r->we - r->ws,
                                    BDRV_REQ_NO_FALLBACK);

    if (ret < 0) {
        return ret;
    }
    return write_qiov_slice(bs, host + (r->offset - r->ws), qiov, qoff,
                            r->end - r->offset);
}

static int coroutine_fn write_run_data(BlockDriverState *bs,
                                       Qcow2WriteRun *r, QEMUIOVector *qiov,
                                       size_t qoff)
{
    uint64_t head = r->offset - r->ws;
    uint64_t tail = r->we - r->end;
    g_autofree uint8_t *hbuf = head ? g_malloc(head) : NULL;
    g_autofree uint8_t *tbuf = tail ? g_malloc(tail) : NULL;
    uint64_t host = r->host + (r->ws - r->cstart);
    QEMUIOVector hq, tq, all;
    int ret = 0;

    if (head) {
        qemu_iovec_init_buf(&hq, hbuf, head);
        ret = qcow2_co_read_guest(bs, r->ws, head, &hq, 0);
    }
    if (ret >= 0 && tail) {
        qemu_iovec_init_buf(&tq, tbuf, tail);
        ret = qcow2_co_read_guest(bs, r->end, tail, &tq, 0);
    }
    if (ret >= 0) {
        ret = qcow2_pre_write_overlap_check(bs, 0, host, r->we - r->ws);
    }
    if (ret < 0) {
        return ret;
    }
    if (!r->inplace && (head || tail) &&
        (!head || buffer_is_zero(hbuf, head)) &&
        (!tail || buffer_is_zero(tbuf, tail))) {
        ret = write_run_zero_cow(bs, r, qiov, qoff, host);
        if (ret != -ENOTSUP) {
            return ret;
        }
    }
    qemu_iovec_init(&all, qiov->niov + 2);
    if (head) {
        qemu_iovec_add(&all, hbuf, head);
    }
    qemu_iovec_concat(&all, qiov, qoff, r->end - r->offset);
    if (tail) {
        qemu_iovec_add(&all, tbuf, tail);
    }
    trace_qcow2_write_run(r->offset, r->end - r->offset, host, r->inplace);
    ret = qcow2_file_pwritev(bs, host, r->we - r->ws, &all);
    qemu_iovec_destroy(&all);
    return ret;
}

/* An L2 bitmap once subclusters @bits are written: allocated, not zero */
static uint64_t bitmap_after_write(uint64_t bm, uint64_t bits)
{
    return (bm & ~(bits << 32)) | bits;
}

/* Point the L2 entries of @r at the written clusters; frees old ones */
static int update_run_l2(BlockDriverState *bs, void *l2, Qcow2WriteRun *r)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint64_t *old = g_new(uint64_t, r->n);
    bool dirty = false;
    int ret;

    if (!r->inplace && !s->use_lazy_refcounts) {
        ret = qcow2_cache_set_dependency(bs, s->l2_table_cache,
                                         s->refcount_block_cache);
        if (ret < 0) {
            return ret;
        }
    }
    for (int i = 0; i < r->n; i++) {
        int idx = r->l2_index + i;
        uint64_t cstart = r->cstart + ((uint64_t)i << s->cluster_bits);
        uint64_t e = get_l2_entry(s, l2, idx);
        uint64_t bm = get_l2_bitmap(s, l2, idx);
        uint64_t bits = has_subclusters(s) ?
                        window_bits(s, cstart, r->ws, r->we) : 0;
        uint64_t nbm = bitmap_after_write(bm, bits);

        old[i] = e;
        if (!r->inplace) {
            if (has_subclusters(s) && full_copy(bs, e)) {
                nbm = QCOW_L2_BITMAP_ALL_ALLOC;
            }
            set_l2_entry(s, l2, idx, (r->host + ((uint64_t)i <<
                                                 s->cluster_bits)) |
                         QCOW_OFLAG_COPIED);
            dirty = true;
        }
        if (has_subclusters(s) && nbm != bm) {
            set_l2_bitmap(s, l2, idx, nbm);
            dirty = true;
        }
    }
    if (dirty) {
        qcow2_cache_depends_on_flush(s->l2_table_cache);
        qcow2_cache_entry_mark_dirty(s->l2_table_cache, l2);
    }
    for (int i = 0; i < r->n && !r->inplace; i++) {
        qcow2_free_any_cluster(bs, old[i]);
    }
    return 0;
}

/* Whether writing run @r (in place) changes its L2 entries or bitmaps */
static bool run_changes_l2(BlockDriverState *bs, void *l2, Qcow2WriteRun *r)
{
    BDRVQcow2State *s = bs->opaque;

    if (r->ws != r->offset || r->we != r->end) {
        return true;            /* copy-on-write of subclusters */
    }
    for (int i = 0; i < r->n && has_subclusters(s); i++) {
        int idx = r->l2_index + i;
        uint64_t cstart = r->cstart + ((uint64_t)i << s->cluster_bits);
        uint64_t bm = get_l2_bitmap(s, l2, idx);
        uint64_t bits = window_bits(s, cstart, r->ws, r->we);

        if (bitmap_after_write(bm, bits) != bm) {
            return true;
        }
    }
    return false;
}

/*
 * Overwrite data of clusters that stay as they are: no metadata changes,
 * so the data moves without s->lock (called with it, returns with it) and
 * requests to other clusters, or to these, run beside it, as QEMU's.  The
 * clusters are marked busy meanwhile so that, should a racing discard
 * free them, they are not handed out again before this write is done.
 */
static int coroutine_fn write_in_place_unlocked(BlockDriverState *bs,
                                                Qcow2WriteRun *r,
                                                QEMUIOVector *qiov,
                                                size_t qoff)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t host = r->host + (r->offset - r->cstart);
    uint64_t len = r->end - r->offset;
    int ret;

    ret = qcow2_pre_write_overlap_check(bs, 0, host, len);
    if (ret < 0) {
        return ret;
    }
    trace_qcow2_write_run(r->offset, len, host, true);
    qcow2_inflight_writes(s, host, len, 1);
    qemu_co_mutex_unlock(&s->lock);
    ret = write_qiov_slice(bs, host, qiov, qoff, len);
    qemu_co_mutex_lock(&s->lock);
    qcow2_inflight_writes(s, host, len, -1);
    return ret;
}

int coroutine_fn qcow2_co_write_clusters(BlockDriverState *bs,
                                         uint64_t offset, uint64_t *bytes,
                                         QEMUIOVector *qiov,
                                         size_t qiov_offset)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2WriteRun r = { .offset = offset };
    uint64_t oic = offset_into_cluster(s, offset);
    int64_t host;
    uint64_t e0;
    int nmax;
    void *l2;
    int ret;

    ret = get_l2_table(bs, offset, true, &l2);
    if (ret < 0) {
        return ret;
    }
    r.l2_index = offset_to_l2_index(s, offset);
    r.cstart = offset - oic;
    nmax = MIN((uint64_t)(s->l2_size - r.l2_index),
               DIV_ROUND_UP(oic + *bytes, s->cluster_size));
    e0 = get_l2_entry(s, l2, r.l2_index);
    r.inplace = in_place(bs, e0);
    for (r.n = 1; r.n < nmax; r.n++) {
        uint64_t e = get_l2_entry(s, l2, r.l2_index + r.n);
        if (in_place(bs, e) != r.inplace ||
            (r.inplace && (e & L2E_OFFSET_MASK) !=
             (e0 & L2E_OFFSET_MASK) + ((uint64_t)r.n << s->cluster_bits))) {
            break;
        }
    }
    r.end = offset + MIN(*bytes, ((uint64_t)r.n << s->cluster_bits) - oic);
    if (r.inplace) {
        QCow2SubclusterType type;
        /* validates the host offset */
        ret = classify_entry(bs, l2, r.l2_index, r.cstart, &r.host, &type);
        r.host = e0 & L2E_OFFSET_MASK;
    } else {
        host = qcow2_alloc_clusters(bs, (uint64_t)r.n << s->cluster_bits);
        ret = host < 0 ? host : 0;
        r.host = host;
    }
    if (ret >= 0) {
        write_window(bs, l2, &r);
        if (r.inplace && !run_changes_l2(bs, l2, &r)) {
            qcow2_cache_put(s->l2_table_cache, &l2);
            *bytes = r.end - offset;
            return write_in_place_unlocked(bs, &r, qiov, qiov_offset);
        }
        ret = write_run_data(bs, &r, qiov, qiov_offset);
        if (ret < 0 && !r.inplace) {
            qcow2_free_clusters(bs, r.host, (uint64_t)r.n << s->cluster_bits);
        }
    }
    if (ret >= 0) {
        ret = update_run_l2(bs, l2, &r);
    }
    qcow2_cache_put(s->l2_table_cache, &l2);
    *bytes = r.end - offset;
    return ret;
}

/* ---- zeroes and discard ---- */

/* New L2 entry and bitmap for zeroing subclusters @bits of @e / @bm */
static int zero_entry(BlockDriverState *bs, uint64_t e, uint64_t bm,
                      uint64_t bits, bool unmap, uint64_t *ne, uint64_t *nbm)
{
    BDRVQcow2State *s = bs->opaque;
    QCow2ClusterType type = qcow2_get_cluster_type(bs, e);
    bool whole = !has_subclusters(s) || bits == QCOW_L2_BITMAP_ALL_ALLOC;
    bool shared = type == QCOW2_CLUSTER_NORMAL && !(e & QCOW_OFLAG_COPIED);

    if (!whole && (type == QCOW2_CLUSTER_COMPRESSED || shared)) {
        return -ENOTSUP;
    }
    if (whole && (unmap || shared || type == QCOW2_CLUSTER_COMPRESSED ||
                  type == QCOW2_CLUSTER_ZERO_ALLOC)) {
        *ne = has_subclusters(s) ? 0 : QCOW_OFLAG_ZERO;
        *nbm = QCOW_L2_BITMAP_ALL_ZEROES;
        return 1;               /* free the old cluster */
    }
    if (!has_subclusters(s)) {
        *ne = (type == QCOW2_CLUSTER_NORMAL ? e : 0) | QCOW_OFLAG_ZERO;
        *nbm = 0;
        return 0;
    }
    *ne = e;
    *nbm = (bm & ~bits) | (bits << 32);
    return 0;
}

int coroutine_fn qcow2_subcluster_zeroize(BlockDriverState *bs,
                                          uint64_t offset, uint64_t bytes,
                                          int flags)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t end = offset + bytes;

    if (s->qcow_version < 3) {
        return -ENOTSUP;
    }
    while (offset < end) {
        uint64_t cstart = start_of_cluster(s, offset);
        uint64_t cend = MIN(end, cstart + s->cluster_size);
        uint64_t bits = has_subclusters(s) ?
                        window_bits(s, cstart, offset, cend) :
                        QCOW_L2_BITMAP_ALL_ALLOC;
        int idx = offset_to_l2_index(s, offset);
        uint64_t e, bm, ne, nbm;
        void *l2;
        int ret;

        if (!has_subclusters(s) && cend - cstart < (uint64_t)s->cluster_size &&
            cend < (uint64_t)s->virtual_size) {
            return -ENOTSUP;
        }
        ret = get_l2_table(bs, offset, true, &l2);
        if (ret < 0) {
            return ret;
        }
        e = get_l2_entry(s, l2, idx);
        bm = get_l2_bitmap(s, l2, idx);
        ret = zero_entry(bs, e, bm, bits, flags & BDRV_REQ_MAY_UNMAP,
                         &ne, &nbm);
        if (ret >= 0) {
            set_l2_entry(s, l2, idx, ne);
            if (has_subclusters(s)) {
                set_l2_bitmap(s, l2, idx, nbm);
            }
            qcow2_cache_entry_mark_dirty(s->l2_table_cache, l2);
        }
        qcow2_cache_put(s->l2_table_cache, &l2);
        if (ret < 0) {
            return ret;
        }
        if (ret == 1) {
            qcow2_free_any_cluster(bs, e);
        }
        offset = cend;
    }
    return 0;
}

static int discard_one(BlockDriverState *bs, uint64_t offset,
                       bool full_discard)
{
    BDRVQcow2State *s = bs->opaque;
    int idx = offset_to_l2_index(s, offset);
    uint64_t e, bm, ne = 0, nbm = 0;
    QCow2ClusterType type;
    void *l2;
    int ret;

    ret = get_l2_table(bs, offset, !full_discard && bs->backing, &l2);
    if (ret < 0 || !l2) {
        return ret;
    }
    e = get_l2_entry(s, l2, idx);
    bm = get_l2_bitmap(s, l2, idx);
    type = qcow2_get_cluster_type(bs, e);
    if (!full_discard &&
        (bs->backing || type != QCOW2_CLUSTER_UNALLOCATED || bm)) {
        if (has_subclusters(s)) {
            nbm = QCOW_L2_BITMAP_ALL_ZEROES;
        } else {
            ne = s->qcow_version >= 3 ? QCOW_OFLAG_ZERO : 0;
        }
    }
    if (ne != e || nbm != bm) {
        set_l2_entry(s, l2, idx, ne);
        if (has_subclusters(s)) {
            set_l2_bitmap(s, l2, idx, nbm);
        }
        qcow2_cache_entry_mark_dirty(s->l2_table_cache, l2);
    }
    qcow2_cache_put(s->l2_table_cache, &l2);
    if (type != QCOW2_CLUSTER_UNALLOCATED &&
        type != QCOW2_CLUSTER_ZERO_PLAIN) {
        qcow2_free_any_cluster(bs, e);
    }
    return 0;
}

int coroutine_fn qcow2_cluster_discard(BlockDriverState *bs, uint64_t offset,
                                       uint64_t bytes, bool full_discard)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start = ROUND_UP(offset, (uint64_t)s->cluster_size);
    uint64_t end = offset + bytes;

    if (end < (uint64_t)s->virtual_size) {
        end = start_of_cluster(s, end);
    } else {
        end = ROUND_UP(end, (uint64_t)s->cluster_size);
    }
    trace_qcow2_cluster_discard(offset, bytes, full_discard);
    for (uint64_t o = start; o < end; o += s->cluster_size) {
        int ret;

        if (offset_to_l1_index(s, o) >= s->l1_size) {
            break;
        }
        ret = discard_one(bs, o, full_discard);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

/* ---- preallocation ---- */

/* Allocate the unallocated clusters of one L2 table from @offset */
static int64_t prealloc_l2(BlockDriverState *bs, uint64_t offset,
                           uint64_t end, uint64_t *host_end)
{
    BDRVQcow2State *s = bs->opaque;
    int idx = offset_to_l2_index(s, offset);
    int n = MIN((uint64_t)(s->l2_size - idx),
                DIV_ROUND_UP(end - offset, s->cluster_size));
    int todo = 0;
    int64_t host;
    void *l2;
    int ret;

    ret = get_l2_table(bs, offset, true, &l2);
    if (ret < 0) {
        return ret;
    }
    for (int i = 0; i < n; i++) {
        if (!(get_l2_entry(s, l2, idx + i) & L2E_OFFSET_MASK)) {
            todo++;
        }
    }
    host = todo ? qcow2_alloc_clusters(bs, (uint64_t)todo <<
                                       s->cluster_bits) : 0;
    if (host < 0) {
        qcow2_cache_put(s->l2_table_cache, &l2);
        return host;
    }
    if (todo && !s->use_lazy_refcounts) {
        ret = qcow2_cache_set_dependency(bs, s->l2_table_cache,
                                         s->refcount_block_cache);
    }
    for (int i = 0; i < n && ret >= 0 && todo; i++) {
        uint64_t e = get_l2_entry(s, l2, idx + i);
        if (e & (L2E_OFFSET_MASK | QCOW_OFLAG_COMPRESSED)) {
            continue;
        }
        /* as QEMU: subclusters stay unallocated (the bitmap is 0) */
        set_l2_entry(s, l2, idx + i, host | QCOW_OFLAG_COPIED);
        host += s->cluster_size;
        *host_end = MAX(*host_end, (uint64_t)host);
    }
    if (todo) {
        qcow2_cache_entry_mark_dirty(s->l2_table_cache, l2);
    }
    qcow2_cache_put(s->l2_table_cache, &l2);
    return ret < 0 ? ret : (int64_t)n << s->cluster_bits;
}

int coroutine_fn qcow2_preallocate(BlockDriverState *bs, uint64_t offset,
                                   uint64_t bytes, PreallocMode mode)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t o = start_of_cluster(s, offset);
    uint64_t end = offset + bytes;
    uint64_t host_end = 0;
    int64_t file_len;

    while (o < end) {
        int64_t n = prealloc_l2(bs, o, end, &host_end);
        if (n < 0) {
            return n;
        }
        o += n - offset_into_cluster(s, o);
    }
    file_len = qcow2_file_length(bs);
    if (file_len < 0) {
        return file_len;
    }
    if (host_end <= (uint64_t)file_len) {
        return 0;
    }
    /*
     * As QEMU: the new clusters sit at the end of the file, so growing the
     * file with the same mode makes them part of it as holes (metadata),
     * allocates (falloc) or writes (full) their space.
     */
    return bdrv_co_truncate(bs->file, host_end, false,
                            mode == PREALLOC_MODE_METADATA ?
                            PREALLOC_MODE_OFF : mode, 0, NULL);
}
