/*
 * qcow2.h: internal interface of the qcow2 format driver.
 *
 * The on-disk format is QEMU's docs/interop/qcow2.rst, to the bit: all
 * on-disk integers are big-endian.  This header is shared by
 * block/qcow2.c (open, create, header, requests), block/qcow2-cluster.c
 * (L1/L2 mapping), block/qcow2-cache.c (metadata caches),
 * block/qcow2-refcount.c (refcounts, allocation, overlap checks) and
 * block/qcow2-refcount-check.c (check and repair).
 *
 * Threads: everything here runs in the main loop thread; functions marked
 * coroutine_fn may yield and must be called with s->lock held unless said
 * otherwise.  Non-coroutine callers (open, create, close) use the same
 * functions: the file accessors below work inside and outside coroutines.
 *
 * In-memory conventions: s->l1_table and s->refcount_table are kept in
 * host byte order; L2 tables and refcount blocks in the caches are raw
 * cluster images (big-endian) and are accessed through the helpers below.
 */
#ifndef BLOCK_QCOW2_H
#define BLOCK_QCOW2_H

#include "block/block_int.h"
#include "util/coroutine.h"

#ifndef DIV_ROUND_UP
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#endif
#ifndef ROUND_UP
#define ROUND_UP(n, d) (DIV_ROUND_UP(n, d) * (d))
#endif
#ifndef QEMU_IS_ALIGNED
#define QEMU_IS_ALIGNED(n, m) (((n) % (m)) == 0)
#endif

#define QCOW_MAGIC (('Q' << 24) | ('F' << 16) | ('I' << 8) | 0xfb)

#define QCOW_MAX_CRYPT_CLUSTERS 32
#define QCOW_MAX_SNAPSHOTS 65536

/* Limits QEMU enforces on tables read from an image */
#define QCOW_MAX_REFTABLE_SIZE (8 * 1024 * 1024)
#define QCOW_MAX_L1_SIZE (32 * 1024 * 1024)
#define QCOW_MAX_BACKING_NAME 1023
#define QCOW_MAX_EXTENSION_SIZE (1024 * 1024)

#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21
#define QCOW2_DEFAULT_CLUSTER_BITS 16
#define QCOW2_MIN_EXTL2_CLUSTER_BITS 14
#define QCOW2_COMPRESSED_SECTOR_SIZE 512
#define QCOW2_V2_HEADER_SIZE 72
#define QCOW2_V3_MIN_HEADER_SIZE 104

/* L1/L2 entry flags and masks */
#define QCOW_OFLAG_COPIED (1ULL << 63)
#define QCOW_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW_OFLAG_ZERO (1ULL << 0)
#define QCOW_OFLAG_SUB_ALLOC(x) (1ULL << (x))
#define QCOW_OFLAG_SUB_ZERO(x) (QCOW_OFLAG_SUB_ALLOC(x) << 32)
#define QCOW_L2_BITMAP_ALL_ALLOC 0xffffffffULL
#define QCOW_L2_BITMAP_ALL_ZEROES (QCOW_L2_BITMAP_ALL_ALLOC << 32)
#define QCOW_EXTL2_SUBCLUSTERS_PER_CLUSTER 32

#define L1E_OFFSET_MASK 0x00fffffffffffe00ULL
#define L1E_RESERVED_MASK 0x7f000000000001ffULL
#define L2E_OFFSET_MASK 0x00fffffffffffe00ULL
#define L2E_STD_RESERVED_MASK 0x3f000000000001feULL
#define L2E_COMPRESSED_OFFSET_SIZE_MASK 0x3fffffffffffffffULL
#define REFT_OFFSET_MASK 0xfffffffffffffe00ULL
#define REFT_RESERVED_MASK 0x1ffULL

/* Header feature bits */
enum {
    QCOW2_INCOMPAT_DIRTY_BITNR = 0,
    QCOW2_INCOMPAT_CORRUPT_BITNR = 1,
    QCOW2_INCOMPAT_DATA_FILE_BITNR = 2,
    QCOW2_INCOMPAT_COMPRESSION_BITNR = 3,
    QCOW2_INCOMPAT_EXTL2_BITNR = 4,
    QCOW2_INCOMPAT_DIRTY = 1 << QCOW2_INCOMPAT_DIRTY_BITNR,
    QCOW2_INCOMPAT_CORRUPT = 1 << QCOW2_INCOMPAT_CORRUPT_BITNR,
    QCOW2_INCOMPAT_DATA_FILE = 1 << QCOW2_INCOMPAT_DATA_FILE_BITNR,
    QCOW2_INCOMPAT_COMPRESSION = 1 << QCOW2_INCOMPAT_COMPRESSION_BITNR,
    QCOW2_INCOMPAT_EXTL2 = 1 << QCOW2_INCOMPAT_EXTL2_BITNR,
    QCOW2_INCOMPAT_MASK = 0x1f,

    QCOW2_COMPAT_LAZY_REFCOUNTS_BITNR = 0,
    QCOW2_COMPAT_LAZY_REFCOUNTS = 1 << QCOW2_COMPAT_LAZY_REFCOUNTS_BITNR,
    QCOW2_COMPAT_FEAT_MASK = QCOW2_COMPAT_LAZY_REFCOUNTS,

    QCOW2_AUTOCLEAR_BITMAPS_BITNR = 0,
    QCOW2_AUTOCLEAR_DATA_FILE_RAW_BITNR = 1,
    QCOW2_AUTOCLEAR_BITMAPS = 1 << QCOW2_AUTOCLEAR_BITMAPS_BITNR,
    QCOW2_AUTOCLEAR_DATA_FILE_RAW = 1 << QCOW2_AUTOCLEAR_DATA_FILE_RAW_BITNR,
    /* autoclear bits tern understands and keeps; it keeps none yet */
    QCOW2_AUTOCLEAR_MASK = 0,
};

/* Header extension types */
#define QCOW2_EXT_MAGIC_END 0
#define QCOW2_EXT_MAGIC_BACKING_FORMAT 0xe2792aca
#define QCOW2_EXT_MAGIC_FEATURE_TABLE 0x6803f857
#define QCOW2_EXT_MAGIC_CRYPTO_HEADER 0x0537be77
#define QCOW2_EXT_MAGIC_BITMAPS 0x23852875
#define QCOW2_EXT_MAGIC_DATA_FILE 0x44415441

/* Qcow2CompressionType (QCOW2_COMPRESSION_TYPE_ZLIB = 0, _ZSTD = 1) comes
 * from qapi/block-core.json. */

/* On-disk header (big-endian; v2 uses the first 72 bytes) */
typedef struct QCowHeader {
    uint32_t magic;
    uint32_t version;
    uint64_t backing_file_offset;
    uint32_t backing_file_size;
    uint32_t cluster_bits;
    uint64_t size;
    uint32_t crypt_method;
    uint32_t l1_size;
    uint64_t l1_table_offset;
    uint64_t refcount_table_offset;
    uint32_t refcount_table_clusters;
    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    /* version 3 */
    uint64_t incompatible_features;
    uint64_t compatible_features;
    uint64_t autoclear_features;
    uint32_t refcount_order;
    uint32_t header_length;
    uint8_t compression_type;
    uint8_t padding[7];
} __attribute__((packed)) QCowHeader;

typedef struct QCowExtensionHeader {
    uint32_t magic;
    uint32_t len;
} __attribute__((packed)) QCowExtensionHeader;

/* One entry of the feature name table extension (48 bytes) */
typedef enum {
    QCOW2_FEAT_TYPE_INCOMPATIBLE = 0,
    QCOW2_FEAT_TYPE_COMPATIBLE = 1,
    QCOW2_FEAT_TYPE_AUTOCLEAR = 2,
} Qcow2FeatType;

typedef struct Qcow2Feature {
    uint8_t type;
    uint8_t bit;
    char name[46];
} __attribute__((packed)) Qcow2Feature;

/* A header extension tern does not interpret, kept for header rewrites */
typedef struct Qcow2UnknownHeaderExtension {
    uint32_t magic;
    uint32_t len;
    uint8_t *data;
} Qcow2UnknownHeaderExtension;

/* Kinds of metadata, for the overlap checks (QEMU's QCOW2_OL_*) */
typedef enum QCow2MetadataOverlap {
    QCOW2_OL_MAIN_HEADER = 1 << 0,
    QCOW2_OL_ACTIVE_L1 = 1 << 1,
    QCOW2_OL_ACTIVE_L2 = 1 << 2,
    QCOW2_OL_REFCOUNT_TABLE = 1 << 3,
    QCOW2_OL_REFCOUNT_BLOCK = 1 << 4,
    QCOW2_OL_SNAPSHOT_TABLE = 1 << 5,
    QCOW2_OL_INACTIVE_L1 = 1 << 6,
    QCOW2_OL_INACTIVE_L2 = 1 << 7,
    QCOW2_OL_BITMAP_DIRECTORY = 1 << 8,
    QCOW2_OL_MAX_BITNR = 9,
    QCOW2_OL_NONE = 0,
    /* the set checked by default ("cached" template) */
    QCOW2_OL_CACHED = QCOW2_OL_MAIN_HEADER | QCOW2_OL_ACTIVE_L1 |
                      QCOW2_OL_ACTIVE_L2 | QCOW2_OL_REFCOUNT_TABLE |
                      QCOW2_OL_REFCOUNT_BLOCK | QCOW2_OL_SNAPSHOT_TABLE |
                      QCOW2_OL_INACTIVE_L1 | QCOW2_OL_BITMAP_DIRECTORY,
} QCow2MetadataOverlap;

/* Classification of a cluster / subcluster from its L2 entry */
typedef enum QCow2ClusterType {
    QCOW2_CLUSTER_UNALLOCATED,
    QCOW2_CLUSTER_ZERO_PLAIN,
    QCOW2_CLUSTER_ZERO_ALLOC,
    QCOW2_CLUSTER_NORMAL,
    QCOW2_CLUSTER_COMPRESSED,
} QCow2ClusterType;

typedef enum QCow2SubclusterType {
    QCOW2_SUBCLUSTER_UNALLOCATED_PLAIN,
    QCOW2_SUBCLUSTER_UNALLOCATED_ALLOC,
    QCOW2_SUBCLUSTER_ZERO_PLAIN,
    QCOW2_SUBCLUSTER_ZERO_ALLOC,
    QCOW2_SUBCLUSTER_NORMAL,
    QCOW2_SUBCLUSTER_COMPRESSED,
    QCOW2_SUBCLUSTER_INVALID,
} QCow2SubclusterType;

typedef struct Qcow2Cache Qcow2Cache;

typedef struct BDRVQcow2State {
    /* geometry */
    int cluster_bits;
    int cluster_size;
    int subcluster_bits;
    int subcluster_size;
    int subclusters_per_cluster;
    int l2_bits;                  /* log2(entries per L2 table) */
    int l2_size;                  /* entries per L2 table */
    int csize_shift;              /* compressed descriptor: 62 - (cb - 8) */
    uint64_t csize_mask;
    uint64_t cluster_offset_mask;

    /* active L1 table, host byte order */
    int l1_size;
    int l1_vm_state_index;
    uint64_t l1_table_offset;
    uint64_t *l1_table;

    /* refcounts */
    int refcount_order;
    int refcount_bits;
    uint64_t refcount_max;
    int refcount_block_bits;      /* log2(entries per refcount block) */
    int refcount_block_size;      /* entries per refcount block */
    uint64_t refcount_table_offset;
    uint32_t refcount_table_size; /* entries */
    uint64_t *refcount_table;     /* host byte order */
    uint32_t max_refcount_table_index; /* last used entry + 1 */
    uint64_t free_cluster_index;  /* allocation search hint (clusters) */

    Qcow2Cache *l2_table_cache;
    Qcow2Cache *refcount_block_cache;

    /* header */
    int64_t virtual_size;            /* guest-visible size in bytes */
    int qcow_version;
    uint64_t incompatible_features;
    uint64_t compatible_features;
    uint64_t autoclear_features;
    uint32_t header_length;
    Qcow2CompressionType compression_type;
    uint8_t *unknown_header_fields;  /* bytes 112..header_length, kept */
    int unknown_header_fields_size;
    GPtrArray *unknown_extensions;   /* Qcow2UnknownHeaderExtension * */
    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    uint64_t snapshots_size;         /* bytes, for overlap checks */
    uint32_t nb_bitmaps;             /* bitmaps extension (kept, unused) */
    uint64_t bitmap_directory_offset;
    uint64_t bitmap_directory_size;
    char *image_backing_file;        /* from the header, or NULL */
    char *image_backing_format;      /* from the extension, or NULL */

    bool use_lazy_refcounts;
    bool no_backing;                 /* backing: null given at open */
    int reopen_flags;
    bool corrupt;                    /* marked corrupt during this session */
    bool read_only;
    /* host cluster index -> in-place writes running without s->lock;
     * such clusters are never handed out again until they finish */
    GHashTable *inflight_writes;
    bool metadata_preallocation;     /* most of the file is referenced */
    bool metadata_preallocation_checked;
    int overlap_check;               /* QCow2MetadataOverlap mask */

    /* serialises metadata updates (and all writes) */
    CoMutex lock;
} BDRVQcow2State;

/* ---- geometry helpers ---- */

static inline int64_t start_of_cluster(BDRVQcow2State *s, int64_t offset)
{
    return offset & ~((int64_t)s->cluster_size - 1);
}

static inline int64_t offset_into_cluster(BDRVQcow2State *s, int64_t offset)
{
    return offset & (s->cluster_size - 1);
}

static inline int64_t offset_into_subcluster(BDRVQcow2State *s,
                                             int64_t offset)
{
    return offset & (s->subcluster_size - 1);
}

static inline uint64_t size_to_clusters(BDRVQcow2State *s, uint64_t size)
{
    return (size + (s->cluster_size - 1)) >> s->cluster_bits;
}

static inline int64_t size_to_l1(BDRVQcow2State *s, int64_t size)
{
    int shift = s->cluster_bits + s->l2_bits;
    return (size + (1ULL << shift) - 1) >> shift;
}

static inline int offset_to_l1_index(BDRVQcow2State *s, uint64_t offset)
{
    return offset >> (s->l2_bits + s->cluster_bits);
}

static inline int offset_to_l2_index(BDRVQcow2State *s, int64_t offset)
{
    return (offset >> s->cluster_bits) & (s->l2_size - 1);
}

static inline int offset_to_sc_index(BDRVQcow2State *s, int64_t offset)
{
    return (offset >> s->subcluster_bits) &
           (s->subclusters_per_cluster - 1);
}

static inline bool has_subclusters(BDRVQcow2State *s)
{
    return s->incompatible_features & QCOW2_INCOMPAT_EXTL2;
}

static inline int l2_entry_size(BDRVQcow2State *s)
{
    return has_subclusters(s) ? 16 : 8;
}

static inline uint64_t qcow2_be64_get(const void *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return GUINT64_FROM_BE(v);
}

static inline void qcow2_be64_set(void *p, uint64_t v)
{
    v = GUINT64_TO_BE(v);
    memcpy(p, &v, sizeof(v));
}

/* L2 entry @idx of the raw (big-endian) L2 table @l2 */
static inline uint64_t get_l2_entry(BDRVQcow2State *s, const void *l2,
                                    int idx)
{
    return qcow2_be64_get((const uint8_t *)l2 + idx * l2_entry_size(s));
}

static inline void set_l2_entry(BDRVQcow2State *s, void *l2, int idx,
                                uint64_t entry)
{
    qcow2_be64_set((uint8_t *)l2 + idx * l2_entry_size(s), entry);
}

/* Subcluster bitmap of entry @idx (extended L2 only; 0 otherwise) */
static inline uint64_t get_l2_bitmap(BDRVQcow2State *s, const void *l2,
                                     int idx)
{
    if (!has_subclusters(s)) {
        return 0;
    }
    return qcow2_be64_get((const uint8_t *)l2 + idx * 16 + 8);
}

static inline void set_l2_bitmap(BDRVQcow2State *s, void *l2, int idx,
                                 uint64_t bitmap)
{
    g_assert(has_subclusters(s));
    qcow2_be64_set((uint8_t *)l2 + idx * 16 + 8, bitmap);
}

static inline bool qcow2_need_accurate_refcounts(BDRVQcow2State *s)
{
    return !(s->incompatible_features & QCOW2_INCOMPAT_DIRTY);
}

static inline uint64_t qcow2_max_refcount_clusters(BDRVQcow2State *s)
{
    return ((uint64_t)QCOW_MAX_REFTABLE_SIZE / 8) << s->refcount_block_bits;
}

/* ---- qcow2.c ---- */

/*
 * qcow2_do_open (qcow2-header.c): read and validate the header, its
 * extensions, the L1 and refcount tables of the image under bs->file;
 * repair a dirty image when opened writable.  @lazy_refcounts: 1/0 to
 * override the header, -1 to follow it.  On failure everything is freed.
 */
bool qcow2_do_open(BlockDriverState *bs, int flags, int lazy_refcounts,
                   GError **errp);
/* Free the in-memory state (no writes) */
void qcow2_free_state(BlockDriverState *bs);

/* Read/write the image file child; work in and out of coroutines. */
int qcow2_file_pread(BlockDriverState *bs, int64_t offset, void *buf,
                     int64_t bytes);
int qcow2_file_pwrite(BlockDriverState *bs, int64_t offset, const void *buf,
                      int64_t bytes);
int qcow2_file_flush(BlockDriverState *bs);
int64_t qcow2_file_length(BlockDriverState *bs);
int qcow2_file_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      QEMUIOVector *qiov);
int qcow2_file_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                       QEMUIOVector *qiov);

/* Rewrite header + extensions + backing name in cluster 0: 0 or -errno */
int qcow2_update_header(BlockDriverState *bs);
int qcow2_mark_dirty(BlockDriverState *bs);
int qcow2_mark_clean(BlockDriverState *bs);
int qcow2_mark_corrupt(BlockDriverState *bs);
/* Clear the corrupt bit after a successful repair (qemu-img check -r) */
int qcow2_mark_consistent(BlockDriverState *bs);

/*
 * Report a corruption: marks the image corrupt when @fatal (writes then
 * fail with -EIO) and records @fmt (one phrase).  QEMU's
 * qcow2_signal_corruption.
 */
void qcow2_signal_corruption(BlockDriverState *bs, bool fatal,
                             int64_t offset, int64_t size,
                             const char *fmt, ...) G_GNUC_PRINTF(5, 6);

/* Creation with qemu-img's -o options (JSON object of strings);
 * qcow2-create.c */
bool qcow2_create_file(const char *filename, JsonObject *opts,
                       GError **errp);

/*
 * BlockDriver.bdrv_change_backing_file (qcow2-header.c): record
 * @backing_file (NULL or "": none, and no format extension) and
 * @backing_fmt in the header; 0 or -errno (-EINVAL name longer than
 * 1023 bytes, -ENOSPC past the first cluster), header unchanged then.
 */
int qcow2_change_backing_file(BlockDriverState *bs, const char *backing_file,
                              const char *backing_fmt);

/* ---- qcow2-cache.c ---- */

/**
 * qcow2_cache_create:
 * A write-back cache of @num_tables cluster-sized metadata tables.
 * Returns: (transfer full) the cache; free with qcow2_cache_destroy()
 * after qcow2_cache_flush().
 */
Qcow2Cache *qcow2_cache_create(BlockDriverState *bs, int num_tables,
                               int table_size);
void qcow2_cache_destroy(Qcow2Cache *c);
/* Load (or find) the table at @offset; *table points to its raw bytes */
int qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                    void **table);
/* Like get, without reading: for newly allocated tables */
int qcow2_cache_get_empty(BlockDriverState *bs, Qcow2Cache *c,
                          uint64_t offset, void **table);
void qcow2_cache_put(Qcow2Cache *c, void **table);
void qcow2_cache_entry_mark_dirty(Qcow2Cache *c, void *table);
/* Write all dirty tables (dependencies first); no flush of the file */
int qcow2_cache_write(BlockDriverState *bs, Qcow2Cache *c);
/* Write all dirty tables and flush the file */
int qcow2_cache_flush(BlockDriverState *bs, Qcow2Cache *c);
/* Before @c writes any table, @dependency must be flushed */
int qcow2_cache_set_dependency(BlockDriverState *bs, Qcow2Cache *c,
                               Qcow2Cache *dependency);
/* Before @c writes any table, the image file must be flushed */
void qcow2_cache_depends_on_flush(Qcow2Cache *c);
/* Flush and drop every entry */
int qcow2_cache_empty(BlockDriverState *bs, Qcow2Cache *c);
/* Drop the (unreferenced) entry for @offset without writing it */
void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset);
/* True if the table at @offset is cached (overlap checks) */
bool qcow2_cache_contains(Qcow2Cache *c, uint64_t offset);
/* Iterate the offsets of cached tables: returns false past the end */
bool qcow2_cache_offset_at(Qcow2Cache *c, int i, uint64_t *offset);

/* ---- qcow2-refcount.c ---- */

/* Load/free the refcount table (open/close) */
int qcow2_refcount_init(BlockDriverState *bs);
void qcow2_refcount_close(BlockDriverState *bs);

/* Refcount entry accessors on a raw refcount block, any refcount_order */
uint64_t qcow2_get_refcount_entry(BDRVQcow2State *s, const void *block,
                                  uint64_t index);
void qcow2_set_refcount_entry(BDRVQcow2State *s, void *block,
                              uint64_t index, uint64_t value);

/* Refcount of the cluster with index @cluster_index: 0 or -errno */
int coroutine_fn qcow2_detect_metadata_preallocation(BlockDriverState *bs);
/*
 * Refcount blocks needed to cover @clusters clusters plus the refcount
 * metadata itself (blocks and table); with @generous, room for the table
 * to grow by half is counted in too.  QEMU sizes new refcount areas the
 * same way, so both lay out images alike.
 */
uint64_t qcow2_refcount_blocks_needed(BDRVQcow2State *s, uint64_t clusters,
                                      bool generous);
/* Point the header at a refcount table already on disk (@offset,
 * @clusters clusters), then flush: 0 or -errno */
int qcow2_write_reftable_location(BlockDriverState *bs, uint64_t offset,
                                  uint32_t clusters);
/* In-place writes to host clusters [@host, +@bytes) start (+1) or end
 * (-1) running without s->lock; the allocator skips such clusters. */
void qcow2_inflight_writes(BDRVQcow2State *s, uint64_t host, uint64_t bytes,
                           int delta);
int qcow2_get_refcount(BlockDriverState *bs, int64_t cluster_index,
                       uint64_t *refcount);
/*
 * Add (@decrease false) or subtract @addend to the refcounts of every
 * cluster touched by [@offset, @offset + @length).  Refcount blocks and
 * table grow as needed.  Returns 0 or -errno (-EINVAL on overflow or
 * underflow, nothing changed for the failing cluster).
 */
int qcow2_update_refcount(BlockDriverState *bs, int64_t offset,
                          int64_t length, uint64_t addend, bool decrease);
/* Allocate clusters for @size bytes: host offset or -errno */
int64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t size);
/* Allocate @nb_clusters at @offset if free: how many were taken or -errno */
int64_t qcow2_alloc_clusters_at(BlockDriverState *bs, uint64_t offset,
                                int64_t nb_clusters);
/* Drop one reference from each cluster of the range */
void qcow2_free_clusters(BlockDriverState *bs, int64_t offset, int64_t size);
/* Free what the L2 entry @l2_entry references (normal or compressed) */
void qcow2_free_any_cluster(BlockDriverState *bs, uint64_t l2_entry);

/* Offset just past the last cluster with a non-zero refcount */
int64_t qcow2_refcount_area_end(BlockDriverState *bs);

/*
 * Overlap checks: qcow2_check_metadata_overlap returns the first
 * QCow2MetadataOverlap bit that [@offset, @offset + @size) overlaps,
 * ignoring the kinds in @ign, or 0.  qcow2_pre_write_overlap_check marks
 * the image corrupt on an overlap ("Preventing invalid write on metadata
 * (overlaps with %s)") and returns -EIO; 0 when the write may proceed.
 */
int qcow2_check_metadata_overlap(BlockDriverState *bs, int ign,
                                 int64_t offset, int64_t size);
int qcow2_pre_write_overlap_check(BlockDriverState *bs, int ign,
                                  int64_t offset, int64_t size);
const char *qcow2_overlap_name(int ol);

/* ---- qcow2-cluster.c (and qcow2-read.c: reads) ---- */

QCow2ClusterType qcow2_get_cluster_type(BlockDriverState *bs,
                                        uint64_t l2_entry);
QCow2SubclusterType qcow2_get_subcluster_type(BlockDriverState *bs,
                                              uint64_t l2_entry,
                                              uint64_t l2_bitmap,
                                              unsigned sc_index);

/* Grow the active L1 table to at least @min_size entries */
int qcow2_grow_l1_table(BlockDriverState *bs, uint64_t min_size,
                        bool exact_size);
/* Write entry @l1_index of the active L1 table to disk */
int qcow2_write_l1_entry(BlockDriverState *bs, int l1_index);

/*
 * Map guest @offset: *bytes is reduced to the run of subclusters of the
 * same type (within one L2 table); *host_offset is the host offset of
 * @offset (0 when unallocated; for compressed clusters the raw L2 entry).
 * Returns 0 or -errno (-EIO on a corrupt entry, image marked).
 */
int coroutine_fn qcow2_get_host_offset(BlockDriverState *bs, uint64_t offset,
                                       unsigned int *bytes,
                                       uint64_t *host_offset,
                                       QCow2SubclusterType *type);

/*
 * Write @bytes of @qiov (from @qiov_offset) at guest @offset, allocating
 * clusters, copying the rest of partial clusters from the backing file
 * (copy-on-write), writing data before the L2 update and refcounts before
 * L2.  *bytes is set to how much was written (one L2 table at most).
 */
int coroutine_fn qcow2_co_write_clusters(BlockDriverState *bs,
                                         uint64_t offset, uint64_t *bytes,
                                         QEMUIOVector *qiov,
                                         size_t qiov_offset);
/* Mark a range as reading zeroes (v3 zero flag; subclusters) */
int coroutine_fn qcow2_subcluster_zeroize(BlockDriverState *bs,
                                          uint64_t offset, uint64_t bytes,
                                          int flags);
/* Discard whole clusters in the range (falls back to zero flag in v3) */
int coroutine_fn qcow2_cluster_discard(BlockDriverState *bs, uint64_t offset,
                                       uint64_t bytes, bool full_discard);
/* Read the guest view of [@offset, @offset + @bytes) into @qiov at
 * @qiov_offset (backing file, zeroes, compressed clusters; zeroes past the
 * end of the image) */
int coroutine_fn qcow2_co_read_guest(BlockDriverState *bs, uint64_t offset,
                                     uint64_t bytes, QEMUIOVector *qiov,
                                     size_t qiov_offset);
/* A guest read request: like qcow2_co_read_guest() but takes s->lock
 * itself and lets go of it while data moves */
int coroutine_fn qcow2_co_read_request(BlockDriverState *bs, uint64_t offset,
                                       uint64_t bytes, QEMUIOVector *qiov);
/* Read and decompress the cluster described by @l2_entry into @buf */
int coroutine_fn qcow2_read_compressed(BlockDriverState *bs,
                                       uint64_t l2_entry, uint8_t *buf);
/* Preallocate metadata (and data) for [@offset, @offset + @bytes) */
int coroutine_fn qcow2_preallocate(BlockDriverState *bs, uint64_t offset,
                                   uint64_t bytes, PreallocMode mode);

/* ---- qcow2-refcount-check.c (the "qcheck" piece) ---- */

/* BlockDriver.bdrv_co_check: count/repair leaks and corruptions */
int coroutine_fn qcow2_co_check(BlockDriverState *bs,
                                BdrvCheckResult *result,
                                BdrvCheckMode fix);

#endif
