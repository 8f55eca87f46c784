/*
 * qcow2.c: the qcow2 format driver — probing, opening (header, header
 * extensions, validation are in qcow2-header.c), the request entry
 * points, flush and close ordering, image information, activation,
 * resize.  Creation is in qcow2-create.c; mapping in qcow2-cluster.c; refcounts in
 * qcow2-refcount.c.
 *
 * Main loop thread; requests in coroutines serialised by s->lock.
 */
#include "util/osdep.h"

#include "block/qcow2.h"
#include "trace-block.h"

/* ---- file access, in and out of coroutines ---- */

int qcow2_file_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      QEMUIOVector *qiov)
{
    g_autofree uint8_t *buf = NULL;
    int ret;

    if (qemu_in_coroutine()) {
        return bdrv_co_preadv(bs->file, offset, bytes, qiov, 0);
    }
    buf = g_malloc(bytes);
    ret = bdrv_pread(bs->file, offset, bytes, buf, 0);
    if (ret >= 0) {
        qemu_iovec_from_buf(qiov, 0, buf, bytes);
    }
    return ret;
}

int qcow2_file_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                       QEMUIOVector *qiov)
{
    g_autofree uint8_t *buf = NULL;

    if (qemu_in_coroutine()) {
        return bdrv_co_pwritev(bs->file, offset, bytes, qiov, 0);
    }
    buf = g_malloc(bytes);
    qemu_iovec_to_buf(qiov, 0, buf, bytes);
    return bdrv_pwrite(bs->file, offset, bytes, buf, 0);
}

int qcow2_file_pread(BlockDriverState *bs, int64_t offset, void *buf,
                     int64_t bytes)
{
    QEMUIOVector qiov;

    if (!qemu_in_coroutine()) {
        return bdrv_pread(bs->file, offset, bytes, buf, 0);
    }
    qemu_iovec_init_buf(&qiov, buf, bytes);
    return bdrv_co_preadv(bs->file, offset, bytes, &qiov, 0);
}

int qcow2_file_pwrite(BlockDriverState *bs, int64_t offset, const void *buf,
                      int64_t bytes)
{
    QEMUIOVector qiov;

    if (!qemu_in_coroutine()) {
        return bdrv_pwrite(bs->file, offset, bytes, buf, 0);
    }
    qemu_iovec_init_buf(&qiov, (void *)buf, bytes);
    return bdrv_co_pwritev(bs->file, offset, bytes, &qiov, 0);
}

int qcow2_file_flush(BlockDriverState *bs)
{
    if (!qemu_in_coroutine()) {
        return bdrv_flush(bs->file->bs);
    }
    return bdrv_co_flush(bs->file->bs);
}

int64_t qcow2_file_length(BlockDriverState *bs)
{
    if (!qemu_in_coroutine()) {
        return bdrv_getlength(bs->file->bs);
    }
    return bdrv_co_getlength(bs->file->bs);
}

/* ---- header ---- */

static const Qcow2Feature qcow2_features[] = {
    { QCOW2_FEAT_TYPE_INCOMPATIBLE, QCOW2_INCOMPAT_DIRTY_BITNR, "dirty bit" },
    { QCOW2_FEAT_TYPE_INCOMPATIBLE, QCOW2_INCOMPAT_CORRUPT_BITNR,
      "corrupt bit" },
    { QCOW2_FEAT_TYPE_INCOMPATIBLE, QCOW2_INCOMPAT_DATA_FILE_BITNR,
      "external data file" },
    { QCOW2_FEAT_TYPE_INCOMPATIBLE, QCOW2_INCOMPAT_COMPRESSION_BITNR,
      "compression type" },
    { QCOW2_FEAT_TYPE_INCOMPATIBLE, QCOW2_INCOMPAT_EXTL2_BITNR,
      "extended L2 entries" },
    { QCOW2_FEAT_TYPE_COMPATIBLE, QCOW2_COMPAT_LAZY_REFCOUNTS_BITNR,
      "lazy refcounts" },
    { QCOW2_FEAT_TYPE_AUTOCLEAR, QCOW2_AUTOCLEAR_BITMAPS_BITNR, "bitmaps" },
    { QCOW2_FEAT_TYPE_AUTOCLEAR, QCOW2_AUTOCLEAR_DATA_FILE_RAW_BITNR,
      "raw external data" },
};

static size_t put_ext(uint8_t *buf, size_t pos, size_t max, uint32_t magic,
                      const void *data, uint32_t len)
{
    size_t padded = ROUND_UP(len, 8);

    if (pos + 8 + padded > max) {
        return 0;
    }
    *(uint32_t *)(buf + pos) = GUINT32_TO_BE(magic);
    *(uint32_t *)(buf + pos + 4) = GUINT32_TO_BE(len);
    if (len) {
        memcpy(buf + pos + 8, data, len);
    }
    memset(buf + pos + 8 + len, 0, padded - len);
    return pos + 8 + padded;
}

static void fill_header(BDRVQcow2State *s, QCowHeader *h, uint32_t hlen)
{
    memset(h, 0, sizeof(*h));
    h->magic = GUINT32_TO_BE(QCOW_MAGIC);
    h->version = GUINT32_TO_BE(s->qcow_version);
    h->cluster_bits = GUINT32_TO_BE(s->cluster_bits);
    h->size = GUINT64_TO_BE(s->virtual_size);
    h->l1_size = GUINT32_TO_BE(s->l1_size);
    h->l1_table_offset = GUINT64_TO_BE(s->l1_table_offset);
    h->refcount_table_offset = GUINT64_TO_BE(s->refcount_table_offset);
    h->refcount_table_clusters =
        GUINT32_TO_BE(s->refcount_table_size * 8 / s->cluster_size);
    h->nb_snapshots = GUINT32_TO_BE(s->nb_snapshots);
    h->snapshots_offset = GUINT64_TO_BE(s->snapshots_offset);
    h->incompatible_features = GUINT64_TO_BE(s->incompatible_features);
    h->compatible_features = GUINT64_TO_BE(s->compatible_features);
    h->autoclear_features = GUINT64_TO_BE(s->autoclear_features);
    h->refcount_order = GUINT32_TO_BE(s->refcount_order);
    h->header_length = GUINT32_TO_BE(hlen);
    h->compression_type = s->compression_type;
}

/* Header, extensions and backing file name as cluster 0; 0 or -errno */
static int build_header(BDRVQcow2State *s, uint8_t *buf, size_t len)
{
    bool v3 = s->qcow_version >= 3;
    uint32_t hlen = v3 ? sizeof(QCowHeader) + s->unknown_header_fields_size
                       : QCOW2_V2_HEADER_SIZE;
    QCowHeader h;
    size_t pos = hlen;

    memset(buf, 0, len);
    if (hlen > len) {
        return -ENOSPC;
    }
    fill_header(s, &h, hlen);
    memcpy(buf, &h, v3 ? sizeof(h) : QCOW2_V2_HEADER_SIZE);
    if (v3 && s->unknown_header_fields_size) {
        memcpy(buf + sizeof(h), s->unknown_header_fields,
               s->unknown_header_fields_size);
    }
    if (s->image_backing_format) {
        pos = put_ext(buf, pos, len, QCOW2_EXT_MAGIC_BACKING_FORMAT,
                      s->image_backing_format,
                      strlen(s->image_backing_format));
    }
    /* as QEMU: the feature-name table only where it leaves room */
    if (pos && v3 && s->cluster_size > 4096) {
        pos = put_ext(buf, pos, len, QCOW2_EXT_MAGIC_FEATURE_TABLE,
                      qcow2_features, sizeof(qcow2_features));
    }
    for (guint i = 0; pos && s->unknown_extensions &&
         i < s->unknown_extensions->len; i++) {
        Qcow2UnknownHeaderExtension *e =
            g_ptr_array_index(s->unknown_extensions, i);
        pos = put_ext(buf, pos, len, e->magic, e->data, e->len);
    }
    if (pos) {
        pos = put_ext(buf, pos, len, QCOW2_EXT_MAGIC_END, NULL, 0);
    }
    if (!pos) {
        return -ENOSPC;
    }
    if (s->image_backing_file) {
        size_t blen = strlen(s->image_backing_file);
        QCowHeader *hp = (QCowHeader *)buf;

        if (pos + blen > len) {
            return -ENOSPC;
        }
        memcpy(buf + pos, s->image_backing_file, blen);
        hp->backing_file_offset = GUINT64_TO_BE(pos);
        hp->backing_file_size = GUINT32_TO_BE(blen);
    }
    return 0;
}

int qcow2_update_header(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *buf = g_malloc(s->cluster_size);
    int ret = build_header(s, buf, s->cluster_size);

    if (ret < 0) {
        return ret;
    }
    ret = qcow2_file_pwrite(bs, 0, buf, s->cluster_size);
    return ret < 0 ? ret : qcow2_file_flush(bs);
}

static int write_incompat(BlockDriverState *bs, uint64_t val)
{
    uint64_t be = GUINT64_TO_BE(val);
    int ret = qcow2_file_pwrite(bs, offsetof(QCowHeader,
                                             incompatible_features),
                                &be, sizeof(be));

    return ret < 0 ? ret : qcow2_file_flush(bs);
}

int qcow2_mark_dirty(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (s->qcow_version < 3 || (s->incompatible_features &
                                QCOW2_INCOMPAT_DIRTY)) {
        return 0;
    }
    ret = qcow2_file_flush(bs);
    if (ret >= 0) {
        ret = write_incompat(bs, s->incompatible_features |
                             QCOW2_INCOMPAT_DIRTY);
    }
    if (ret >= 0) {
        s->incompatible_features |= QCOW2_INCOMPAT_DIRTY;
    }
    return ret;
}

int qcow2_mark_clean(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (!(s->incompatible_features & QCOW2_INCOMPAT_DIRTY)) {
        return 0;
    }
    ret = qcow2_cache_flush(bs, s->l2_table_cache);
    if (ret >= 0) {
        ret = qcow2_cache_flush(bs, s->refcount_block_cache);
    }
    if (ret >= 0) {
        ret = write_incompat(bs, s->incompatible_features &
                             ~(uint64_t)QCOW2_INCOMPAT_DIRTY);
    }
    if (ret >= 0) {
        s->incompatible_features &= ~(uint64_t)QCOW2_INCOMPAT_DIRTY;
    }
    return ret;
}

int qcow2_mark_corrupt(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    s->incompatible_features |= QCOW2_INCOMPAT_CORRUPT;
    if (s->qcow_version < 3) {
        return 0;
    }
    return write_incompat(bs, s->incompatible_features);
}

int qcow2_mark_consistent(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (!(s->incompatible_features & QCOW2_INCOMPAT_CORRUPT)) {
        return 0;
    }
    ret = write_incompat(bs, s->incompatible_features &
                         ~(uint64_t)QCOW2_INCOMPAT_CORRUPT);
    if (ret >= 0) {
        s->incompatible_features &= ~(uint64_t)QCOW2_INCOMPAT_CORRUPT;
        s->corrupt = false;
    }
    return ret;
}

void qcow2_signal_corruption(BlockDriverState *bs, bool fatal,
                             int64_t offset, int64_t size,
                             const char *fmt, ...)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    trace_qcow2_signal_corruption(fatal, offset, size);
    if (fatal && !s->corrupt) {
        error_report("qcow2: Marking image as corrupt: %s; further "
                     "corruption events will be suppressed", msg);
        s->corrupt = true;
        if (!s->read_only) {
            qcow2_mark_corrupt(bs);
        }
    } else if (!fatal && !s->corrupt) {
        error_report("qcow2: Image is corrupt: %s; further non-fatal "
                     "corruption events will be suppressed", msg);
    }
}

/* ---- probing ---- */

static int qcow2_probe(const uint8_t *buf, int buf_size, const char *filename)
{
    if (buf_size >= 8 && GUINT32_FROM_BE(*(const uint32_t *)buf) ==
        (uint32_t)QCOW_MAGIC) {
        uint32_t version = GUINT32_FROM_BE(*(const uint32_t *)(buf + 4));
        return version >= 2 ? 100 : 0;
    }
    return 0;
}

/* ---- requests ---- */

static int coroutine_fn qcow2_co_preadv(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, QEMUIOVector *qiov,
                                        BdrvRequestFlags flags)
{
    return qcow2_co_read_request(bs, offset, bytes, qiov);
}

static int coroutine_fn prepare_write(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    if (s->corrupt || (s->incompatible_features & QCOW2_INCOMPAT_CORRUPT)) {
        return -EIO;
    }
    if (s->use_lazy_refcounts) {
        return qcow2_mark_dirty(bs);
    }
    return 0;
}

static int coroutine_fn qcow2_co_pwritev(BlockDriverState *bs, int64_t offset,
                                         int64_t bytes, QEMUIOVector *qiov,
                                         BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;
    size_t qoff = 0;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = prepare_write(bs);
    while (ret >= 0 && bytes > 0) {
        uint64_t n = bytes;

        ret = qcow2_co_write_clusters(bs, offset, &n, qiov, qoff);
        offset += n;
        qoff += n;
        bytes -= n;
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret < 0 ? ret : 0;
}

static int coroutine_fn qcow2_co_pwrite_zeroes(BlockDriverState *bs,
                                               int64_t offset, int64_t bytes,
                                               BdrvRequestFlags flags)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t align = s->subcluster_size;
    int ret;

    if (!QEMU_IS_ALIGNED(offset, align) ||
        (!QEMU_IS_ALIGNED(offset + bytes, align) &&
         offset + bytes < s->virtual_size)) {
        return -ENOTSUP;
    }
    qemu_co_mutex_lock(&s->lock);
    ret = prepare_write(bs);
    if (ret >= 0) {
        ret = qcow2_subcluster_zeroize(bs, offset, bytes, flags);
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

static int coroutine_fn qcow2_co_pdiscard(BlockDriverState *bs,
                                          int64_t offset, int64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = prepare_write(bs);
    if (ret >= 0) {
        ret = qcow2_cluster_discard(bs, offset, bytes, false);
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

/* Write back the caches: L2 (after its refcount dependency), refcounts */
static int write_caches(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (!s->l2_table_cache) {
        return 0;
    }
    ret = qcow2_cache_write(bs, s->l2_table_cache);
    if (ret >= 0) {
        ret = qcow2_cache_write(bs, s->refcount_block_cache);
    }
    return ret;
}

static int coroutine_fn qcow2_co_flush_to_os(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = write_caches(bs);
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

static int coroutine_fn qcow2_co_block_status(BlockDriverState *bs,
                                              bool want_zero, int64_t offset,
                                              int64_t bytes, int64_t *pnum,
                                              int64_t *map,
                                              BlockDriverState **file)
{
    BDRVQcow2State *s = bs->opaque;
    unsigned n = MIN(bytes, (int64_t)1 << 30);
    QCow2SubclusterType type;
    uint64_t host;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    if (!s->metadata_preallocation_checked) {
        s->metadata_preallocation =
            qcow2_detect_metadata_preallocation(bs) == 1;
        s->metadata_preallocation_checked = true;
    }
    ret = qcow2_get_host_offset(bs, offset, &n, &host, &type);
    qemu_co_mutex_unlock(&s->lock);
    if (ret < 0) {
        return ret;
    }
    *pnum = n;
    switch (type) {
    case QCOW2_SUBCLUSTER_NORMAL:
        *map = host;
        *file = bs->file->bs;
        /* preallocated clusters are mostly holes: let the file say */
        return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID |
               (s->metadata_preallocation ? BDRV_BLOCK_RECURSE : 0);
    case QCOW2_SUBCLUSTER_COMPRESSED:
        return BDRV_BLOCK_DATA;
    case QCOW2_SUBCLUSTER_ZERO_ALLOC:
        *map = host;
        *file = bs->file->bs;
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID;
    case QCOW2_SUBCLUSTER_ZERO_PLAIN:
        return BDRV_BLOCK_ZERO;
    case QCOW2_SUBCLUSTER_UNALLOCATED_ALLOC:
        *map = host;
        *file = bs->file->bs;
        return BDRV_BLOCK_OFFSET_VALID;
    default:
        return 0;
    }
}

static int64_t coroutine_fn qcow2_co_getlength(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    return s->virtual_size;
}

static int64_t qcow2_get_allocated_file_size(BlockDriverState *bs)
{
    BlockDriverState *file = bs->file->bs;

    if (file->drv && file->drv->bdrv_get_allocated_file_size) {
        return file->drv->bdrv_get_allocated_file_size(file);
    }
    return -ENOTSUP;
}

/* ---- resize ---- */

static int write_size(BlockDriverState *bs, uint64_t size)
{
    uint64_t be = GUINT64_TO_BE(size);
    int ret = qcow2_file_pwrite(bs, offsetof(QCowHeader, size), &be,
                                sizeof(be));

    return ret < 0 ? ret : qcow2_file_flush(bs);
}

static int coroutine_fn qcow2_co_truncate(BlockDriverState *bs,
                                          int64_t offset, bool exact,
                                          PreallocMode prealloc,
                                          BdrvRequestFlags flags,
                                          GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t old = s->virtual_size;
    int ret;

    if (offset < 0 || offset % BDRV_SECTOR_SIZE) {
        error_setg(errp, "The new size must be a multiple of 512");
        return -EINVAL;
    }
    if (s->nb_snapshots && offset != old) {
        error_setg(errp, "Can't resize an image which has snapshots");
        return -ENOTSUP;
    }
    if (offset < old && prealloc != PREALLOC_MODE_OFF) {
        error_setg(errp, "Preallocation can't be used for shrinking an "
                   "image");
        return -EINVAL;
    }
    qemu_co_mutex_lock(&s->lock);
    ret = prepare_write(bs);
    if (ret >= 0 && offset < old) {
        ret = qcow2_cluster_discard(bs, ROUND_UP(offset,
                                                 (int64_t)s->cluster_size),
                                    old - ROUND_UP(offset,
                                                   (int64_t)s->cluster_size),
                                    true);
    }
    if (ret >= 0 && offset > old) {
        ret = qcow2_grow_l1_table(bs, size_to_l1(s, offset), true);
    }
    if (ret >= 0 && offset > old && prealloc != PREALLOC_MODE_OFF) {
        ret = qcow2_preallocate(bs, old, offset - old, prealloc);
    }
    if (ret >= 0) {
        ret = write_caches(bs);
    }
    if (ret >= 0) {
        ret = write_size(bs, offset);
    }
    if (ret >= 0) {
        s->virtual_size = offset;
        bs->total_sectors = DIV_ROUND_UP(offset, BDRV_SECTOR_SIZE);
    } else {
        error_setg_errno(errp, -ret, "Failed to resize the qcow2 image");
    }
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}

/* ---- information ---- */

static bool qcow2_get_info(BlockDriverState *bs, BlockDriverInfo *bdi)
{
    BDRVQcow2State *s = bs->opaque;

    bdi->cluster_size = s->cluster_size;
    bdi->is_dirty = s->incompatible_features & QCOW2_INCOMPAT_DIRTY;
    bdi->vm_state_offset = (int64_t)s->l1_vm_state_index <<
                           (s->cluster_bits + s->l2_bits);
    return true;
}

static ImageInfoSpecific *qcow2_get_specific_info(BlockDriverState *bs,
                                                  GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    ImageInfoSpecific *info = g_new0(ImageInfoSpecific, 1);
    ImageInfoSpecificQCow2 *q = g_new0(ImageInfoSpecificQCow2, 1);
    bool v3 = s->qcow_version >= 3;

    info->type = IMAGE_INFO_SPECIFIC_KIND_QCOW2;
    info->u.qcow2.data = q;
    q->compat = g_strdup(v3 ? "1.1" : "0.10");
    q->refcount_bits = s->refcount_bits;
    q->compression_type = s->compression_type;
    if (v3) {
        q->has_lazy_refcounts = true;
        q->lazy_refcounts = s->compatible_features &
                            QCOW2_COMPAT_LAZY_REFCOUNTS;
        q->has_corrupt = true;
        q->corrupt = s->incompatible_features & QCOW2_INCOMPAT_CORRUPT;
        q->has_extended_l2 = true;
        q->extended_l2 = has_subclusters(s);
    }
    return info;
}

static void qcow2_refresh_limits(BlockDriverState *bs)
{
    bs->bl.request_alignment = 1;
    bs->bl.opt_transfer = ((BDRVQcow2State *)bs->opaque)->cluster_size;
}

/* ---- close, activation ---- */

/* Write everything back; mark clean (lazy refcounts) */
static int qcow2_flush_all(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (s->read_only || !s->l2_table_cache) {
        return 0;
    }
    ret = qcow2_cache_flush(bs, s->l2_table_cache);
    if (ret >= 0) {
        ret = qcow2_cache_flush(bs, s->refcount_block_cache);
    }
    if (ret >= 0 && !s->corrupt) {
        ret = qcow2_mark_clean(bs);
    }
    return ret;
}

void qcow2_free_state(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    qcow2_cache_destroy(s->l2_table_cache);
    qcow2_cache_destroy(s->refcount_block_cache);
    s->l2_table_cache = NULL;
    s->refcount_block_cache = NULL;
    qcow2_refcount_close(bs);
    g_clear_pointer(&s->l1_table, g_free);
    g_clear_pointer(&s->unknown_header_fields, g_free);
    g_clear_pointer(&s->unknown_extensions, g_ptr_array_unref);
    g_clear_pointer(&s->image_backing_file, g_free);
    g_clear_pointer(&s->image_backing_format, g_free);
    g_clear_pointer(&s->inflight_writes, g_hash_table_unref);
}

static void qcow2_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    if (!(bs->open_flags & BDRV_O_INACTIVE) && s->l2_table_cache) {
        int ret = qcow2_flush_all(bs);
        if (ret < 0) {
            trace_qcow2_close_flush_failed(ret);
        }
    }
    qcow2_free_state(bs);
}

static bool qcow2_inactivate(BlockDriverState *bs, GError **errp)
{
    int ret = qcow2_flush_all(bs);

    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to flush the qcow2 image");
        return false;
    }
    return true;
}

static bool qcow2_activate(BlockDriverState *bs, GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int lazy_opt = s->use_lazy_refcounts;

    /* another process may have changed the image: read it again */
    qcow2_free_state(bs);
    return qcow2_do_open(bs, bs->open_flags & ~BDRV_O_INACTIVE, lazy_opt,
                         errp);
}

static bool qcow2_reopen_prepare(BlockDriverState *bs, int new_flags,
                                 GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (!(new_flags & BDRV_O_RDWR) && !s->read_only) {
        ret = qcow2_flush_all(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to flush the qcow2 image");
            return false;
        }
    }
    if ((new_flags & BDRV_O_RDWR) &&
        (s->incompatible_features & QCOW2_INCOMPAT_CORRUPT)) {
        error_setg(errp, "qcow2: Image is corrupt; cannot be opened "
                   "read/write");
        return false;
    }
    s->reopen_flags = new_flags;
    return true;
}

static void qcow2_reopen_commit(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;

    s->read_only = !(s->reopen_flags & BDRV_O_RDWR);
}

static void qcow2_reopen_abort(BlockDriverState *bs)
{
}

/* ---- open ---- */

static bool qcow2_open(BlockDriverState *bs, BlockdevOptions *opts,
                       int flags, GError **errp)
{
    BlockdevOptionsQcow2 *o = &opts->u.qcow2;
    BDRVQcow2State *s = bs->opaque;

    bs->file = bdrv_open_child("file", o->file, bs, 0, 0, false, errp);
    if (!bs->file) {
        return false;
    }
    s->overlap_check = QCOW2_OL_CACHED;
    if (!qcow2_do_open(bs, flags, o->has_lazy_refcounts ?
                       o->lazy_refcounts : -1, errp)) {
        return false;
    }
    if (o->backing && o->backing->type != QTYPE_QNULL &&
        !(flags & BDRV_O_NO_BACKING)) {
        BlockdevRef ref = { .type = o->backing->type };
        if (ref.type == QTYPE_QSTRING) {
            ref.u.reference = o->backing->u.reference;
        } else {
            ref.u.definition = o->backing->u.definition;
        }
        if (!bdrv_open_child("backing", &ref, bs, 0, 0, false, errp)) {
            qcow2_free_state(bs);
            return false;
        }
    }
    s->no_backing = o->backing && o->backing->type == QTYPE_QNULL;
    return true;
}

static const char *const qcow2_create_opts[] = {
    "size", "compat", "backing_file", "backing_fmt", "encryption",
    "cluster_size", "preallocation", "lazy_refcounts", "refcount_bits",
    "extended_l2", "compression_type", NULL,
};

static BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .instance_size = sizeof(BDRVQcow2State),
    .is_format = true,
    .supports_backing = true,
    .bdrv_probe = qcow2_probe,
    .bdrv_open = qcow2_open,
    .bdrv_close = qcow2_close,
    .bdrv_refresh_limits = qcow2_refresh_limits,
    .bdrv_co_preadv = qcow2_co_preadv,
    .bdrv_co_pwritev = qcow2_co_pwritev,
    .bdrv_co_pwrite_zeroes = qcow2_co_pwrite_zeroes,
    .bdrv_co_pdiscard = qcow2_co_pdiscard,
    .bdrv_co_flush_to_os = qcow2_co_flush_to_os,
    .bdrv_co_block_status = qcow2_co_block_status,
    .bdrv_co_truncate = qcow2_co_truncate,
    .bdrv_co_getlength = qcow2_co_getlength,
    .bdrv_get_allocated_file_size = qcow2_get_allocated_file_size,
    .bdrv_get_info = qcow2_get_info,
    .bdrv_get_specific_info = qcow2_get_specific_info,
    .bdrv_create = qcow2_create_file,
    .create_opts = qcow2_create_opts,
    .bdrv_co_check = qcow2_co_check,
    .bdrv_reopen_prepare = qcow2_reopen_prepare,
    .bdrv_reopen_commit = qcow2_reopen_commit,
    .bdrv_reopen_abort = qcow2_reopen_abort,
    .bdrv_inactivate = qcow2_inactivate,
    .bdrv_activate = qcow2_activate,
    .bdrv_change_backing_file = qcow2_change_backing_file,
};

static void __attribute__((constructor)) qcow2_register(void)
{
    bdrv_register(&bdrv_qcow2);
}
