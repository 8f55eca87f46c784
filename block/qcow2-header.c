/*
 * qcow2-header.c: opening a qcow2 image — reading and validating the
 * header, the header extensions, the backing file name, the L1 and
 * refcount tables and the snapshot table bounds; repairing a dirty
 * (lazy refcounts) image.  Every size and offset read from the image is
 * bounded before it is used: a hostile image gets a clear error.  Also
 * rewriting the backing file name and format (qemu-img rebase).
 *
 * Main loop thread, outside coroutines (bdrv_open / activate).
 */
#include "util/osdep.h"

#include "block/qcow2.h"
#include "trace-block.h"

#define QCOW_MAX_SNAPSHOTS_SIZE (1024 * QCOW_MAX_SNAPSHOTS)

typedef struct Qcow2OpenCtx {
    QCowHeader h;
    int64_t file_len;
    Qcow2Feature *features;     /* feature name table, or NULL */
    size_t nb_features;
} Qcow2OpenCtx;

static void header_to_cpu(QCowHeader *h)
{
    h->magic = GUINT32_FROM_BE(h->magic);
    h->version = GUINT32_FROM_BE(h->version);
    h->backing_file_offset = GUINT64_FROM_BE(h->backing_file_offset);
    h->backing_file_size = GUINT32_FROM_BE(h->backing_file_size);
    h->cluster_bits = GUINT32_FROM_BE(h->cluster_bits);
    h->size = GUINT64_FROM_BE(h->size);
    h->crypt_method = GUINT32_FROM_BE(h->crypt_method);
    h->l1_size = GUINT32_FROM_BE(h->l1_size);
    h->l1_table_offset = GUINT64_FROM_BE(h->l1_table_offset);
    h->refcount_table_offset = GUINT64_FROM_BE(h->refcount_table_offset);
    h->refcount_table_clusters = GUINT32_FROM_BE(h->refcount_table_clusters);
    h->nb_snapshots = GUINT32_FROM_BE(h->nb_snapshots);
    h->snapshots_offset = GUINT64_FROM_BE(h->snapshots_offset);
    h->incompatible_features = GUINT64_FROM_BE(h->incompatible_features);
    h->compatible_features = GUINT64_FROM_BE(h->compatible_features);
    h->autoclear_features = GUINT64_FROM_BE(h->autoclear_features);
    h->refcount_order = GUINT32_FROM_BE(h->refcount_order);
    h->header_length = GUINT32_FROM_BE(h->header_length);
}

static int read_header(BlockDriverState *bs, Qcow2OpenCtx *c, GError **errp)
{
    size_t n;
    int ret;

    c->file_len = qcow2_file_length(bs);
    if (c->file_len < 0) {
        error_setg_errno(errp, -c->file_len, "Could not get the image size");
        return c->file_len;
    }
    n = MIN((uint64_t)c->file_len, sizeof(c->h));
    memset(&c->h, 0, sizeof(c->h));
    if (n < QCOW2_V2_HEADER_SIZE) {
        error_setg(errp, "Image is not in qcow2 format");
        return -EINVAL;
    }
    ret = qcow2_file_pread(bs, 0, &c->h, n);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read qcow2 header");
        return ret;
    }
    header_to_cpu(&c->h);
    return 0;
}

/* Basic header fields: magic, version, cluster size, header length */
static int check_header_basics(BDRVQcow2State *s, Qcow2OpenCtx *c,
                               GError **errp)
{
    QCowHeader *h = &c->h;

    if (h->magic != (uint32_t)QCOW_MAGIC) {
        error_setg(errp, "Image is not in qcow2 format");
        return -EINVAL;
    }
    if (h->version < 2 || h->version > 3) {
        error_setg(errp, "Unsupported qcow2 version %" PRIu32, h->version);
        return -ENOTSUP;
    }
    if (h->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
        h->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
        error_setg(errp, "Unsupported cluster size: 2^%" PRIu32,
                   h->cluster_bits);
        return -EINVAL;
    }
    s->cluster_bits = h->cluster_bits;
    s->cluster_size = 1 << s->cluster_bits;
    s->qcow_version = h->version;
    if (h->version == 2) {
        h->incompatible_features = 0;
        h->compatible_features = 0;
        h->autoclear_features = 0;
        h->refcount_order = 4;
        h->header_length = QCOW2_V2_HEADER_SIZE;
        h->compression_type = 0;
    } else if (h->header_length < QCOW2_V3_MIN_HEADER_SIZE) {
        error_setg(errp, "qcow2 header too short");
        return -EINVAL;
    } else if (h->header_length > (uint32_t)s->cluster_size) {
        error_setg(errp, "qcow2 header exceeds cluster size");
        return -EINVAL;
    } else if (h->header_length < sizeof(QCowHeader)) {
        /* fields past header_length are absent, i.e. zero */
        memset((uint8_t *)h + h->header_length, 0,
               sizeof(QCowHeader) - h->header_length);
    }
    if (h->backing_file_offset > (uint64_t)s->cluster_size) {
        error_setg(errp, "Invalid backing file offset");
        return -EINVAL;
    }
    return 0;
}

static int read_unknown_fields(BlockDriverState *bs, Qcow2OpenCtx *c,
                               GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    s->header_length = c->h.header_length;
    if (c->h.header_length <= sizeof(QCowHeader)) {
        return 0;
    }
    s->unknown_header_fields_size = c->h.header_length - sizeof(QCowHeader);
    s->unknown_header_fields = g_malloc(s->unknown_header_fields_size);
    ret = qcow2_file_pread(bs, sizeof(QCowHeader), s->unknown_header_fields,
                           s->unknown_header_fields_size);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read unknown qcow2 header "
                         "fields");
    }
    return ret;
}

static void keep_extension(BDRVQcow2State *s, uint32_t magic, uint32_t len,
                           uint8_t *data)
{
    Qcow2UnknownHeaderExtension *e = g_new0(Qcow2UnknownHeaderExtension, 1);

    e->magic = magic;
    e->len = len;
    e->data = g_memdup2(data, len);
    g_ptr_array_add(s->unknown_extensions, e);
}

static void free_extension(gpointer p)
{
    Qcow2UnknownHeaderExtension *e = p;

    g_free(e->data);
    g_free(e);
}

static int take_extension(BlockDriverState *bs, Qcow2OpenCtx *c,
                          uint32_t magic, uint32_t len, uint8_t *data,
                          GError **errp)
{
    BDRVQcow2State *s = bs->opaque;

    switch (magic) {
    case QCOW2_EXT_MAGIC_BACKING_FORMAT:
        if (len >= sizeof(bs->backing_format)) {
            error_setg(errp, "ERROR: ext_backing_format: len=%" PRIu32
                       " too large (>=%zu)", len, sizeof(bs->backing_format));
            return -EINVAL;
        }
        g_free(s->image_backing_format);
        s->image_backing_format = g_strndup((char *)data, len);
        return 0;
    case QCOW2_EXT_MAGIC_FEATURE_TABLE:
        g_free(c->features);
        c->nb_features = len / sizeof(Qcow2Feature);
        c->features = g_memdup2(data, c->nb_features * sizeof(Qcow2Feature));
        return 0;
    case QCOW2_EXT_MAGIC_BITMAPS:
        if (len >= 24) {
            s->nb_bitmaps = GUINT32_FROM_BE(*(uint32_t *)data);
            s->bitmap_directory_size = qcow2_be64_get(data + 8);
            s->bitmap_directory_offset = qcow2_be64_get(data + 16);
        }
        /* tern does not use bitmaps: keep the extension unchanged */
        keep_extension(s, magic, len, data);
        return 0;
    default:
        keep_extension(s, magic, len, data);
        return 0;
    }
}

static int read_extensions(BlockDriverState *bs, Qcow2OpenCtx *c,
                           GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t end = c->h.backing_file_offset ? c->h.backing_file_offset
                                            : (uint64_t)s->cluster_size;
    uint64_t off = c->h.header_length;

    s->unknown_extensions = g_ptr_array_new_with_free_func(free_extension);
    while (off + sizeof(QCowExtensionHeader) <= end) {
        QCowExtensionHeader ext;
        g_autofree uint8_t *data = NULL;
        int ret = qcow2_file_pread(bs, off, &ext, sizeof(ext));

        if (ret < 0) {
            error_setg_errno(errp, -ret, "qcow2_read_extension: ERROR");
            return ret;
        }
        ext.magic = GUINT32_FROM_BE(ext.magic);
        ext.len = GUINT32_FROM_BE(ext.len);
        off += sizeof(ext);
        if (ext.magic == QCOW2_EXT_MAGIC_END) {
            return 0;
        }
        if (ext.len > end - off) {
            error_setg(errp, "Header extension too large");
            return -EINVAL;
        }
        data = g_malloc(ext.len + 1);
        ret = qcow2_file_pread(bs, off, data, ext.len);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "ERROR: ext_backing_format: "
                             "Could not read format name");
            return ret;
        }
        ret = take_extension(bs, c, ext.magic, ext.len, data, errp);
        if (ret < 0) {
            return ret;
        }
        off += ROUND_UP((uint64_t)ext.len, 8);
    }
    return 0;
}

static void report_unsupported_features(Qcow2OpenCtx *c, uint64_t mask,
                                        GError **errp)
{
    g_autoptr(GString) features = g_string_new("");

    for (size_t i = 0; i < c->nb_features; i++) {
        Qcow2Feature *f = &c->features[i];
        if (f->type == QCOW2_FEAT_TYPE_INCOMPATIBLE && f->bit < 64 &&
            (mask & (1ULL << f->bit))) {
            if (features->len) {
                g_string_append(features, ", ");
            }
            g_string_append_printf(features, "%.46s", f->name);
            mask &= ~(1ULL << f->bit);
        }
    }
    if (mask) {
        if (features->len) {
            g_string_append(features, ", ");
        }
        g_string_append_printf(features, "Unknown incompatible feature: %"
                               PRIx64, mask);
    }
    error_setg(errp, "Unsupported qcow2 feature(s): %s", features->str);
}

/* Feature bits, encryption, compression type, refcount order */
static int check_features(BlockDriverState *bs, Qcow2OpenCtx *c, int flags,
                          GError **errp)
{
    QCowHeader *h = &c->h;

    if (h->incompatible_features & ~(uint64_t)QCOW2_INCOMPAT_MASK) {
        report_unsupported_features(c, h->incompatible_features &
                                    ~(uint64_t)QCOW2_INCOMPAT_MASK, errp);
        return -ENOTSUP;
    }
    if ((h->incompatible_features & QCOW2_INCOMPAT_CORRUPT) &&
        (flags & BDRV_O_RDWR)) {
        error_setg(errp, "qcow2: Image is corrupt; cannot be opened "
                   "read/write");
        return -EACCES;
    }
    if (h->incompatible_features & QCOW2_INCOMPAT_DATA_FILE) {
        error_setg(errp, "External data files are not supported");
        return -ENOTSUP;
    }
    if (h->refcount_order > 6) {
        error_setg(errp, "Reference count entry width too large; may not "
                   "exceed 64 bits");
        return -EINVAL;
    }
    if (h->crypt_method) {
        error_setg(errp, "Encrypted qcow2 images are not supported");
        return -ENOTSUP;
    }
    if (h->compression_type > QCOW2_COMPRESSION_TYPE_ZSTD) {
        error_setg(errp, "qcow2: unknown compression type: %u",
                   h->compression_type);
        return -ENOTSUP;
    }
    if (!!h->compression_type !=
        !!(h->incompatible_features & QCOW2_INCOMPAT_COMPRESSION)) {
        error_setg(errp, h->compression_type ?
                   "qcow2: Compression type incompatible feature bit must "
                   "be set" :
                   "qcow2: Compression type incompatible feature bit must "
                   "not be set");
        return -EINVAL;
    }
    if ((h->incompatible_features & QCOW2_INCOMPAT_EXTL2) &&
        h->cluster_bits < QCOW2_MIN_EXTL2_CLUSTER_BITS) {
        error_setg(errp, "The cluster size must be at least 16 KiB when "
                   "extended L2 entries are used");
        return -EINVAL;
    }
    return 0;
}

static void setup_geometry(BDRVQcow2State *s, QCowHeader *h)
{
    s->incompatible_features = h->incompatible_features;
    s->compatible_features = h->compatible_features;
    s->autoclear_features = h->autoclear_features;
    s->compression_type = h->compression_type;
    s->subclusters_per_cluster = has_subclusters(s) ?
                                 QCOW_EXTL2_SUBCLUSTERS_PER_CLUSTER : 1;
    s->subcluster_size = s->cluster_size / s->subclusters_per_cluster;
    s->subcluster_bits = __builtin_ctz(s->subcluster_size);
    s->l2_bits = s->cluster_bits - (has_subclusters(s) ? 4 : 3);
    s->l2_size = 1 << s->l2_bits;
    s->csize_shift = 62 - (s->cluster_bits - 8);
    s->csize_mask = (1ULL << (s->cluster_bits - 8)) - 1;
    s->cluster_offset_mask = (1ULL << s->csize_shift) - 1;
    s->refcount_order = h->refcount_order;
    s->refcount_bits = 1 << s->refcount_order;
    s->refcount_max = s->refcount_bits == 64 ? UINT64_MAX
                      : (1ULL << s->refcount_bits) - 1;
    s->refcount_block_bits = s->cluster_bits - (s->refcount_order - 3);
    s->refcount_block_size = 1 << s->refcount_block_bits;
    s->virtual_size = h->size;
}

static bool table_ok(BDRVQcow2State *s, Qcow2OpenCtx *c, uint64_t offset,
                     uint64_t bytes)
{
    return !offset_into_cluster(s, offset) && offset <= INT64_MAX - bytes &&
           offset + bytes <= (uint64_t)c->file_len;
}

/* L1 and refcount table bounds */
static int check_tables(BDRVQcow2State *s, Qcow2OpenCtx *c, GError **errp)
{
    QCowHeader *h = &c->h;
    uint64_t rt_bytes = (uint64_t)h->refcount_table_clusters <<
                        s->cluster_bits;

    if (h->size > (uint64_t)BDRV_MAX_LENGTH) {
        error_setg(errp, "Image size too large");
        return -EFBIG;
    }
    if (h->l1_size > QCOW_MAX_L1_SIZE / sizeof(uint64_t)) {
        error_setg(errp, "Active L1 table too large");
        return -EFBIG;
    }
    if (h->l1_size < size_to_l1(s, h->size)) {
        error_setg(errp, "L1 table is too small");
        return -EINVAL;
    }
    if (h->l1_size && !table_ok(s, c, h->l1_table_offset,
                                (uint64_t)h->l1_size * 8)) {
        error_setg(errp, "Invalid L1 table offset");
        return -EINVAL;
    }
    if (rt_bytes > QCOW_MAX_REFTABLE_SIZE) {
        error_setg(errp, "Reference count table too large");
        return -EINVAL;
    }
    if (rt_bytes == 0) {
        error_setg(errp, "Image does not contain a reference count table");
        return -EINVAL;
    }
    if (!table_ok(s, c, h->refcount_table_offset, rt_bytes)) {
        error_setg(errp, "Invalid reference count table offset");
        return -EINVAL;
    }
    return 0;
}

/* Bounds of the snapshot table (kept for the overlap checks) */
static int check_snapshots(BlockDriverState *bs, Qcow2OpenCtx *c,
                           GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off = c->h.snapshots_offset;

    s->nb_snapshots = c->h.nb_snapshots;
    s->snapshots_offset = off;
    if (c->h.nb_snapshots > QCOW_MAX_SNAPSHOTS) {
        error_setg(errp, "Too many snapshots");
        return -EINVAL;
    }
    if (c->h.nb_snapshots && !table_ok(s, c, off, 0)) {
        error_setg(errp, "Invalid snapshot table offset");
        return -EINVAL;
    }
    for (uint32_t i = 0; i < c->h.nb_snapshots; i++) {
        uint8_t sh[40];
        int ret = qcow2_file_pread(bs, off, sh, sizeof(sh));

        if (ret < 0 || off + sizeof(sh) > (uint64_t)c->file_len) {
            error_setg(errp, "Snapshot table is past the end of the file");
            return -EINVAL;
        }
        off += sizeof(sh) + GUINT32_FROM_BE(*(uint32_t *)(sh + 36)) +
               GUINT16_FROM_BE(*(uint16_t *)(sh + 12)) +
               GUINT16_FROM_BE(*(uint16_t *)(sh + 14));
        off = ROUND_UP(off, 8);
        if (off - s->snapshots_offset > QCOW_MAX_SNAPSHOTS_SIZE ||
            off > (uint64_t)c->file_len) {
            error_setg(errp, "Snapshot table too large");
            return -EFBIG;
        }
    }
    s->snapshots_size = off - s->snapshots_offset;
    return 0;
}

static int read_backing_name(BlockDriverState *bs, Qcow2OpenCtx *c,
                             GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t off = c->h.backing_file_offset;
    uint32_t len = c->h.backing_file_size;
    g_autofree char *name = NULL;
    int ret;

    if (!off) {
        return 0;
    }
    if (len > QCOW_MAX_BACKING_NAME || off + len > (uint64_t)s->cluster_size) {
        error_setg(errp, "Backing file name too long");
        return -EINVAL;
    }
    name = g_malloc0(len + 1);
    ret = qcow2_file_pread(bs, off, name, len);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read backing file name");
        return ret;
    }
    s->image_backing_file = g_steal_pointer(&name);
    g_strlcpy(bs->backing_file, s->image_backing_file,
              sizeof(bs->backing_file));
    if (s->image_backing_format) {
        g_strlcpy(bs->backing_format, s->image_backing_format,
                  sizeof(bs->backing_format));
    }
    return 0;
}

static int load_l1(BlockDriverState *bs, Qcow2OpenCtx *c, GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    s->l1_size = c->h.l1_size;
    s->l1_table_offset = c->h.l1_table_offset;
    s->l1_vm_state_index = size_to_l1(s, c->h.size);
    s->l1_table = g_new0(uint64_t, MAX(s->l1_size, 1));
    if (!s->l1_size) {
        return 0;
    }
    ret = qcow2_file_pread(bs, s->l1_table_offset, s->l1_table,
                           (int64_t)s->l1_size * 8);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read L1 table");
        return ret;
    }
    for (int i = 0; i < s->l1_size; i++) {
        s->l1_table[i] = GUINT64_FROM_BE(s->l1_table[i]);
    }
    return 0;
}

static void create_caches(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t per_table = (uint64_t)s->l2_size << s->cluster_bits;
    uint64_t max_tables = MAX(8, (32 * 1024 * 1024) >> s->cluster_bits);
    uint64_t l2_tables = DIV_ROUND_UP(s->virtual_size, per_table) + 2;

    l2_tables = MIN(MAX(l2_tables, 8), max_tables);
    s->l2_table_cache = qcow2_cache_create(bs, l2_tables, s->cluster_size);
    s->refcount_block_cache = qcow2_cache_create(bs, 8, s->cluster_size);
}

typedef struct Qcow2RepairCo {
    BlockDriverState *bs;
    int ret;
    bool done;
} Qcow2RepairCo;

static void coroutine_fn repair_entry(void *opaque)
{
    Qcow2RepairCo *r = opaque;
    BdrvCheckResult result = { 0 };

    r->ret = qcow2_co_check(r->bs, &result,
                            BDRV_FIX_ERRORS | BDRV_FIX_LEAKS);
    r->done = true;
}

/* Writable open: repair a dirty image, clear unknown autoclear bits */
static int open_writable(BlockDriverState *bs, GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (s->incompatible_features & QCOW2_INCOMPAT_DIRTY) {
        Qcow2RepairCo r = { .bs = bs };

        trace_qcow2_repair_dirty(bs);
        bdrv_run_co(repair_entry, &r, &r.done);
        ret = r.ret < 0 ? r.ret : qcow2_mark_clean(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not repair dirty image");
            return ret;
        }
    }
    if (s->autoclear_features & ~(uint64_t)QCOW2_AUTOCLEAR_MASK) {
        s->autoclear_features &= QCOW2_AUTOCLEAR_MASK;
        ret = qcow2_update_header(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not update qcow2 header");
            return ret;
        }
    }
    return 0;
}

static int do_open_steps(BlockDriverState *bs, Qcow2OpenCtx *c, int flags,
                         int lazy, GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if ((ret = read_header(bs, c, errp)) < 0 ||
        (ret = check_header_basics(s, c, errp)) < 0 ||
        (ret = read_unknown_fields(bs, c, errp)) < 0 ||
        (ret = read_extensions(bs, c, errp)) < 0 ||
        (ret = check_features(bs, c, flags, errp)) < 0) {
        return ret;
    }
    setup_geometry(s, &c->h);
    if ((ret = check_tables(s, c, errp)) < 0 ||
        (ret = check_snapshots(bs, c, errp)) < 0 ||
        (ret = read_backing_name(bs, c, errp)) < 0 ||
        (ret = load_l1(bs, c, errp)) < 0) {
        return ret;
    }
    s->refcount_table_offset = c->h.refcount_table_offset;
    s->refcount_table_size = ((uint64_t)c->h.refcount_table_clusters <<
                              s->cluster_bits) / sizeof(uint64_t);
    ret = qcow2_refcount_init(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read refcount table");
        return ret;
    }
    s->use_lazy_refcounts = lazy >= 0 ? lazy :
        !!(s->compatible_features & QCOW2_COMPAT_LAZY_REFCOUNTS);
    if (s->use_lazy_refcounts && s->qcow_version < 3) {
        error_setg(errp, "Lazy refcounts require a qcow2 image with at least "
                   "qemu 1.1 compatibility level");
        return -EINVAL;
    }
    create_caches(bs);
    return 0;
}

bool qcow2_do_open(BlockDriverState *bs, int flags, int lazy_refcounts,
                   GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2OpenCtx c = { 0 };
    int ret;

    qemu_co_mutex_init(&s->lock);
    s->read_only = !(flags & BDRV_O_RDWR);
    s->corrupt = false;
    s->free_cluster_index = 0;
    if (!s->overlap_check) {
        s->overlap_check = QCOW2_OL_CACHED;
    }
    ret = do_open_steps(bs, &c, flags, lazy_refcounts, errp);
    if (ret >= 0 && !s->read_only && !(flags & BDRV_O_INACTIVE)) {
        ret = open_writable(bs, errp);
    }
    g_free(c.features);
    if (ret < 0) {
        qcow2_free_state(bs);
        return false;
    }
    bs->total_sectors = DIV_ROUND_UP(s->virtual_size, BDRV_SECTOR_SIZE);
    trace_qcow2_open(bs, s->qcow_version, s->cluster_size, s->virtual_size);
    return true;
}

/* ---- changing the backing file (qemu-img rebase) ---- */

int qcow2_change_backing_file(BlockDriverState *bs, const char *backing_file,
                              const char *backing_fmt)
{
    BDRVQcow2State *s = bs->opaque;
    char *old_file = s->image_backing_file;
    char *old_fmt = s->image_backing_format;
    int ret;

    if (backing_file && !backing_file[0]) {
        backing_file = NULL;
    }
    if (!backing_file) {
        /* no backing file: no format extension either */
        backing_fmt = NULL;
    }
    if (backing_file && strlen(backing_file) > QCOW_MAX_BACKING_NAME) {
        return -EINVAL;
    }
    if (s->read_only) {
        return -EACCES;
    }
    /*
     * qcow2_update_header() lays out cluster 0 as QEMU does: header,
     * extensions (the backing format first), end marker, then the
     * backing file name; -ENOSPC when that exceeds the cluster, in
     * which case nothing was written and the old names come back.
     */
    s->image_backing_file = g_strdup(backing_file);
    s->image_backing_format = g_strdup(backing_fmt);
    ret = qcow2_update_header(bs);
    if (ret < 0) {
        g_free(s->image_backing_file);
        g_free(s->image_backing_format);
        s->image_backing_file = old_file;
        s->image_backing_format = old_fmt;
        return ret;
    }
    g_free(old_file);
    g_free(old_fmt);
    return 0;
}
