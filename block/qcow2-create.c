/*
 * qcow2-create.c: creating qcow2 images with qemu-img's -o options.
 *
 * As QEMU: write a minimal image (header in cluster 0, refcount table in
 * cluster 1, one refcount block in cluster 2), open it as qcow2, write
 * the header extensions and backing file name, then resize it to the
 * requested size with the requested preallocation.
 *
 * Main loop thread, outside coroutines (tern-img create).
 */
#include "util/osdep.h"

#include "block/qcow2.h"
#include "util/cutils.h"
#include "trace-block.h"

typedef struct Qcow2CreateOpts {
    uint64_t size;
    int version;
    uint64_t cluster_size;
    uint64_t refcount_bits;
    bool lazy_refcounts;
    bool extended_l2;
    int compression_type;
    PreallocMode prealloc;
    const char *backing_file;
    const char *backing_fmt;
} Qcow2CreateOpts;

static const char *opt_str(JsonObject *opts, const char *name)
{
    if (!opts || !json_object_has_member(opts, name)) {
        return NULL;
    }
    return json_object_get_string_member(opts, name);
}

static bool opt_bool(JsonObject *opts, const char *name, bool *val,
                     GError **errp)
{
    const char *v = opt_str(opts, name);

    return !v || qapi_bool_parse(name, v, val, errp);
}

static bool parse_enums(JsonObject *opts, Qcow2CreateOpts *o, GError **errp)
{
    const char *compat = opt_str(opts, "compat");
    const char *ct = opt_str(opts, "compression_type");
    const char *pa = opt_str(opts, "preallocation");
    static const char *const prealloc_names[] = {
        [PREALLOC_MODE_OFF] = "off", [PREALLOC_MODE_METADATA] = "metadata",
        [PREALLOC_MODE_FALLOC] = "falloc", [PREALLOC_MODE_FULL] = "full",
    };

    o->version = 3;
    if (compat && (!strcmp(compat, "0.10") || !strcmp(compat, "v2"))) {
        o->version = 2;
    } else if (compat && strcmp(compat, "1.1") && strcmp(compat, "v3")) {
        error_setg(errp, "Invalid parameter '%s'", compat);
        return false;
    }
    o->compression_type = QCOW2_COMPRESSION_TYPE_ZLIB;
    if (ct && !strcmp(ct, "zstd")) {
        o->compression_type = QCOW2_COMPRESSION_TYPE_ZSTD;
    } else if (ct && strcmp(ct, "zlib")) {
        error_setg(errp, "Invalid parameter '%s'", ct);
        return false;
    }
    o->prealloc = PREALLOC_MODE_OFF;
    for (size_t i = 0; pa && i < ARRAY_SIZE(prealloc_names); i++) {
        if (!strcmp(pa, prealloc_names[i])) {
            o->prealloc = i;
            return true;
        }
    }
    if (pa) {
        error_setg(errp, "Invalid parameter '%s'", pa);
        return false;
    }
    return true;
}

static bool parse_numbers(JsonObject *opts, Qcow2CreateOpts *o,
                          GError **errp)
{
    const char *size = opt_str(opts, "size");
    const char *cs = opt_str(opts, "cluster_size");
    const char *rb = opt_str(opts, "refcount_bits");

    if (!size) {
        error_setg(errp, "Parameter 'size' is required");
        return false;
    }
    if (!qemu_strtosz(size, &o->size, 'B', "size", errp)) {
        return false;
    }
    o->cluster_size = 1 << QCOW2_DEFAULT_CLUSTER_BITS;
    if (cs && !qemu_strtosz(cs, &o->cluster_size, 'B', "cluster_size",
                            errp)) {
        return false;
    }
    o->refcount_bits = 16;
    if (rb && qemu_strtou64(rb, NULL, 10, &o->refcount_bits) < 0) {
        error_setg(errp, "Invalid parameter '%s'", rb);
        return false;
    }
    return true;
}

/* QEMU's consistency rules between the options */
static bool check_opts(Qcow2CreateOpts *o, GError **errp)
{
    static const char hint[] = " (use compat=1.1 or greater)";

    if (o->cluster_size < 512 || o->cluster_size > 2 * 1024 * 1024 ||
        (o->cluster_size & (o->cluster_size - 1))) {
        error_setg(errp, "Cluster size must be a power of two between 512 "
                   "and 2048k");
        return false;
    }
    if (!o->refcount_bits || o->refcount_bits > 64 ||
        (o->refcount_bits & (o->refcount_bits - 1))) {
        error_setg(errp, "Refcount width must be a power of two and may not "
                   "exceed 64 bits");
        return false;
    }
    if (o->version < 3 && o->refcount_bits != 16) {
        error_setg(errp, "Different refcount widths than 16 bits require "
                   "compatibility level 1.1 or above%s", hint);
        return false;
    }
    if (o->version < 3 && o->lazy_refcounts) {
        error_setg(errp, "Lazy refcounts only supported with compatibility "
                   "level 1.1 and above%s", hint);
        return false;
    }
    if (o->version < 3 && o->extended_l2) {
        error_setg(errp, "Extended L2 entries are only supported with "
                   "compatibility level 1.1 and above%s", hint);
        return false;
    }
    if (o->extended_l2 && o->cluster_size < 16384) {
        error_setg(errp, "Extended L2 entries are only supported with "
                   "cluster sizes of at least 16384 bytes");
        return false;
    }
    if (o->version < 3 &&
        o->compression_type != QCOW2_COMPRESSION_TYPE_ZLIB) {
        error_setg(errp, "Non-zlib compression type is only supported with "
                   "compatibility level 1.1 and above%s", hint);
        return false;
    }
    if (o->backing_fmt && !o->backing_file) {
        error_setg(errp, "Backing format cannot be used without backing "
                   "file");
        return false;
    }
    if (o->backing_file && o->prealloc != PREALLOC_MODE_OFF &&
        !o->extended_l2) {
        error_setg(errp, "Backing file and preallocation can only be used at "
                   "the same time if extended_l2 is on");
        return false;
    }
    if (o->size % BDRV_SECTOR_SIZE) {
        o->size = ROUND_UP(o->size, BDRV_SECTOR_SIZE);
    }
    return true;
}

static bool parse_opts(JsonObject *opts, Qcow2CreateOpts *o, GError **errp)
{
    bool enc = false;

    memset(o, 0, sizeof(*o));
    o->backing_file = opt_str(opts, "backing_file");
    o->backing_fmt = opt_str(opts, "backing_fmt");
    if (!parse_enums(opts, o, errp) || !parse_numbers(opts, o, errp) ||
        !opt_bool(opts, "lazy_refcounts", &o->lazy_refcounts, errp) ||
        !opt_bool(opts, "extended_l2", &o->extended_l2, errp) ||
        !opt_bool(opts, "encryption", &enc, errp)) {
        return false;
    }
    if (enc) {
        error_setg(errp, "Encrypted qcow2 images are not supported");
        return false;
    }
    return check_opts(o, errp);
}

/* The minimal image: header, refcount table, one refcount block */
static bool write_skeleton(const char *filename, Qcow2CreateOpts *o,
                           GError **errp)
{
    size_t cs = o->cluster_size;
    g_autofree uint8_t *buf = g_malloc0(3 * cs);
    QCowHeader *h = (QCowHeader *)buf;
    int order = __builtin_ctzll(o->refcount_bits);
    uint64_t incompat = 0;
    BDRVQcow2State s = { .refcount_bits = o->refcount_bits,
                         .refcount_max = o->refcount_bits == 64 ? UINT64_MAX :
                         (1ULL << o->refcount_bits) - 1 };
    int fd;
    ssize_t n;

    incompat |= o->extended_l2 ? QCOW2_INCOMPAT_EXTL2 : 0;
    incompat |= o->compression_type ? QCOW2_INCOMPAT_COMPRESSION : 0;
    h->magic = GUINT32_TO_BE(QCOW_MAGIC);
    h->version = GUINT32_TO_BE(o->version);
    h->cluster_bits = GUINT32_TO_BE(__builtin_ctzll(cs));
    h->refcount_table_offset = GUINT64_TO_BE(cs);
    h->refcount_table_clusters = GUINT32_TO_BE(1);
    if (o->version >= 3) {
        h->incompatible_features = GUINT64_TO_BE(incompat);
        h->compatible_features = GUINT64_TO_BE(o->lazy_refcounts ?
                                               QCOW2_COMPAT_LAZY_REFCOUNTS :
                                               0);
        h->refcount_order = GUINT32_TO_BE(order);
        h->header_length = GUINT32_TO_BE(sizeof(QCowHeader));
        h->compression_type = o->compression_type;
    }
    qcow2_be64_set(buf + cs, 2 * cs);
    for (int i = 0; i < 3; i++) {
        qcow2_set_refcount_entry(&s, buf + 2 * cs, i, 1);
    }
    fd = open(filename, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        error_setg_errno(errp, errno, "Could not create '%s'", filename);
        return false;
    }
    n = pwrite(fd, buf, 3 * cs, 0);
    if (n != (ssize_t)(3 * cs) || fsync(fd) < 0) {
        error_setg_errno(errp, n < 0 ? errno : EIO, "Could not write '%s'",
                         filename);
        close(fd);
        return false;
    }
    close(fd);
    return true;
}

typedef struct Qcow2ResizeCo {
    BlockDriverState *bs;
    uint64_t size;
    PreallocMode prealloc;
    GError **errp;
    int ret;
    bool done;
} Qcow2ResizeCo;

static void coroutine_fn resize_entry(void *opaque)
{
    Qcow2ResizeCo *r = opaque;

    r->ret = r->bs->drv->bdrv_co_truncate(r->bs, r->size, false, r->prealloc,
                                          0, r->errp);
    r->done = true;
}

static bool finish_image(BlockDriverState *bs, Qcow2CreateOpts *o,
                         GError **errp)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2ResizeCo r = { .bs = bs, .size = o->size, .prealloc = o->prealloc,
                        .errp = errp };
    int ret;

    if (o->backing_file) {
        s->image_backing_file = g_strdup(o->backing_file);
        s->image_backing_format = g_strdup(o->backing_fmt);
    }
    ret = qcow2_update_header(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write qcow2 header");
        return false;
    }
    bdrv_run_co(resize_entry, &r, &r.done);
    if (r.ret < 0) {
        return false;
    }
    ret = bdrv_flush(bs);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not flush the new image");
        return false;
    }
    return true;
}

bool qcow2_create_file(const char *filename, JsonObject *opts, GError **errp)
{
    Qcow2CreateOpts o;
    BlockDriverState *bs;
    bool ok;

    if (!parse_opts(opts, &o, errp) || !write_skeleton(filename, &o, errp)) {
        return false;
    }
    bs = bdrv_open_image(filename, "qcow2", BDRV_O_RDWR | BDRV_O_NO_BACKING,
                         NULL, errp);
    if (!bs) {
        return false;
    }
    ok = finish_image(bs, &o, errp);
    bdrv_unref(bs);
    return ok;
}
