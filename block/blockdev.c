/*
 * blockdev.c: the QMP commands that change the block graph (blockdev-add,
 * blockdev-del, block_resize, block-dirty-bitmap-*), -blockdev and the
 * legacy -drive.  Main loop thread only; QMP handlers run in the
 * monitor's coroutine.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/json.h"
#include "util/main-loop.h"
#include "block/block_int.h"
#include "block/block-backend.h"
#include "block/blockdev.h"
#include "block/dirty-bitmap.h"
#include "qapi/qapi-commands-block-core.h"
#include "qapi/qapi-visit-block-core.h"
#include "trace-block.h"

/* QEMU's BDRV_BITMAP_MAX_NAME_SIZE */
#define BLOCKDEV_BITMAP_MAX_NAME 1023

/* The -drive backends (BlockBackend *, one reference each). */
static GPtrArray *drive_backends;

/* Open new nodes inactive (an incoming migration owns the guest). */
static bool blockdev_inactive;

void blockdev_set_open_inactive(bool inactive)
{
    blockdev_inactive = inactive;
}

/* Running graph changes outside the monitor's coroutine */

typedef struct BlockdevOutsideCo {
    bool (*fn)(void *opaque, GError **errp);
    void *opaque;
    GError **errp;
    bool ret;
    Coroutine *co;
} BlockdevOutsideCo;

static void blockdev_outside_co_bh(void *opaque)
{
    BlockdevOutsideCo *o = opaque;

    o->ret = o->fn(o->opaque, o->errp);
    aio_co_wake(o->co);
}

bool blockdev_run_outside_co(bool (*fn)(void *opaque, GError **errp),
                             void *opaque, GError **errp)
{
    BlockdevOutsideCo o = {
        .fn = fn, .opaque = opaque, .errp = errp,
    };

    if (!qemu_in_coroutine()) {
        return fn(opaque, errp);
    }
    o.co = qemu_coroutine_self();
    aio_bh_schedule_oneshot(qemu_get_aio_context(), blockdev_outside_co_bh,
                            &o);
    qemu_coroutine_yield();
    return o.ret;
}

/* blockdev-add / -blockdev */

static bool blockdev_add_fn(void *opaque, GError **errp)
{
    BlockdevOptions *options = opaque;
    BlockDriverState *bs;
    int flags = BDRV_O_RDWR;

    if (!options->node_name) {
        error_setg(errp, "'node-name' must be specified for the root node");
        return false;
    }
    if (options->has_read_only && options->read_only) {
        flags &= ~BDRV_O_RDWR;
    }
    if (blockdev_inactive) {
        flags |= BDRV_O_INACTIVE;
    }
    bs = bdrv_open_blockdev(options, flags, errp);
    if (!bs) {
        return false;
    }
    bs->monitor_owned = true;
    trace_qmp_blockdev_add(bdrv_get_node_name(bs));
    return true;
}

bool qmp_blockdev_add(BlockdevOptions *options, GError **errp)
{
    return blockdev_run_outside_co(blockdev_add_fn, options, errp);
}

bool blockdev_add_opts(JsonObject *opts, GError **errp)
{
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(),
                                                     opts);
    g_autoptr(BlockdevOptions) options = NULL;

    options = qapi_BlockdevOptions_from_json(node, QAPI_INPUT_KEYVAL, errp);
    if (!options) {
        return false;
    }
    return qmp_blockdev_add(options, errp);
}

/* Whether a user that is not a node (a BlockBackend, a job) holds @bs. */
static bool bdrv_has_root_parent(BlockDriverState *bs)
{
    for (GList *l = bs->parents; l; l = l->next) {
        BdrvChild *c = l->data;

        if (!c->parent_bs) {
            return true;
        }
    }
    return false;
}

static bool blockdev_unref_fn(void *opaque, GError **errp)
{
    bdrv_unref(opaque);
    return true;
}

bool qmp_blockdev_del(const char *node_name, GError **errp)
{
    BlockDriverState *bs = bdrv_find_node(node_name);

    if (!bs) {
        error_setg(errp, "Failed to find node with node-name='%s'",
                   node_name);
        return false;
    }
    if (bdrv_has_root_parent(bs)) {
        error_setg(errp, "Node %s is in use", node_name);
        return false;
    }
    if (!bs->monitor_owned) {
        error_setg(errp, "Node %s is not owned by the monitor",
                   bs->node_name);
        return false;
    }
    if (bs->refcnt > 1) {
        error_setg(errp, "Block device %s is in use", bs->node_name);
        return false;
    }
    trace_qmp_blockdev_del(node_name);
    bs->monitor_owned = false;
    return blockdev_run_outside_co(blockdev_unref_fn, bs, errp);
}

/* block_resize */

typedef struct BlockResize {
    BlockDriverState *bs;
    int64_t size;
} BlockResize;

static bool block_resize_fn(void *opaque, GError **errp)
{
    BlockResize *r = opaque;
    BlockDriverState *bs = r->bs;
    BlockBackend *blk;
    bool ok;

    blk = blk_new(BLK_PERM_RESIZE, BLK_PERM_ALL);
    if (!blk_insert_bs(blk, bs, errp)) {
        blk_unref(blk);
        return false;
    }
    bdrv_drained_begin(bs);
    ok = blk_truncate(blk, r->size, false, PREALLOC_MODE_OFF, errp);
    bdrv_drained_end(bs);
    blk_unref(blk);
    return ok;
}

bool coroutine_fn qmp_block_resize(const char *device, const char *node_name,
                                   int64_t size, GError **errp)
{
    BlockResize r = { .bs = bdrv_lookup_bs(device, node_name, errp),
                      .size = size };

    if (!r.bs) {
        return false;
    }
    if (size < 0) {
        error_setg(errp, "Parameter 'size' expects a >0 size");
        return false;
    }
    return blockdev_run_outside_co(block_resize_fn, &r, errp);
}

/* Dirty bitmaps */

/* QEMU's bdrv_get_default_bitmap_granularity(). */
static uint32_t default_bitmap_granularity(BlockDriverState *bs)
{
    BlockDriverInfo bdi = { 0 };

    if (bs->drv && bs->drv->bdrv_get_info &&
        bs->drv->bdrv_get_info(bs, &bdi) && bdi.cluster_size > 0) {
        return MIN(MAX(4096, (uint32_t)bdi.cluster_size), 65536);
    }
    return 65536;
}

/* QEMU's block_dirty_bitmap_lookup(). */
static BdrvDirtyBitmap *bitmap_lookup(const char *node, const char *name,
                                      GError **errp)
{
    BlockDriverState *bs = bdrv_lookup_bs(node, node, NULL);
    BdrvDirtyBitmap *bitmap;

    if (!bs) {
        error_setg(errp, "Node '%s' not found", node);
        return NULL;
    }
    bitmap = bdrv_find_dirty_bitmap(bs, name);
    if (!bitmap) {
        error_setg(errp, "Dirty bitmap '%s' not found", name);
        return NULL;
    }
    return bitmap;
}

/* A bitmap that a job uses cannot be changed over QMP. */
static BdrvDirtyBitmap *bitmap_lookup_idle(const char *node,
                                           const char *name, GError **errp)
{
    BdrvDirtyBitmap *bitmap = bitmap_lookup(node, name, errp);

    if (bitmap && bdrv_dirty_bitmap_busy(bitmap)) {
        error_setg(errp, "Bitmap '%s' is currently in use by another "
                   "operation and cannot be used", name);
        return NULL;
    }
    return bitmap;
}

bool qmp_block_dirty_bitmap_add(const char *node, const char *name,
                                bool has_granularity, uint32_t granularity,
                                bool has_persistent, bool persistent,
                                bool has_disabled, bool disabled,
                                GError **errp)
{
    BlockDriverState *bs;
    BdrvDirtyBitmap *bitmap;

    if (!name[0]) {
        error_setg(errp, "Bitmap name cannot be empty");
        return false;
    }
    bs = bdrv_lookup_bs(node, node, errp);
    if (!bs) {
        return false;
    }
    if (has_granularity) {
        if (granularity < 512 || (granularity & (granularity - 1))) {
            error_setg(errp, "Granularity must be power of 2 and at least "
                       "512");
            return false;
        }
    } else {
        granularity = default_bitmap_granularity(bs);
    }
    if (has_persistent && persistent) {
        error_setg(errp, "Can't make bitmap '%s' persistent in '%s': "
                   "persistent bitmaps are not supported by tern", name,
                   bdrv_get_node_name(bs));
        return false;
    }
    if (bdrv_find_dirty_bitmap(bs, name)) {
        error_setg(errp, "Bitmap already exists: %s", name);
        return false;
    }
    if (strlen(name) > BLOCKDEV_BITMAP_MAX_NAME) {
        error_setg(errp, "Bitmap name too long: %s", name);
        return false;
    }
    bitmap = bdrv_create_dirty_bitmap(bs, granularity, name, errp);
    if (!bitmap) {
        return false;
    }
    if (has_disabled && disabled) {
        bdrv_disable_dirty_bitmap(bitmap);
    }
    trace_qmp_block_dirty_bitmap_add(node, name, granularity);
    return true;
}

bool qmp_block_dirty_bitmap_remove(const char *node, const char *name,
                                   GError **errp)
{
    BdrvDirtyBitmap *bitmap = bitmap_lookup_idle(node, name, errp);

    if (!bitmap) {
        return false;
    }
    bdrv_release_dirty_bitmap(bitmap);
    return true;
}

bool qmp_block_dirty_bitmap_clear(const char *node, const char *name,
                                  GError **errp)
{
    BdrvDirtyBitmap *bitmap = bitmap_lookup_idle(node, name, errp);

    if (!bitmap) {
        return false;
    }
    bdrv_clear_dirty_bitmap(bitmap);
    return true;
}

bool qmp_block_dirty_bitmap_enable(const char *node, const char *name,
                                   GError **errp)
{
    BdrvDirtyBitmap *bitmap = bitmap_lookup_idle(node, name, errp);

    if (!bitmap) {
        return false;
    }
    bdrv_enable_dirty_bitmap(bitmap);
    return true;
}

bool qmp_block_dirty_bitmap_disable(const char *node, const char *name,
                                    GError **errp)
{
    BdrvDirtyBitmap *bitmap = bitmap_lookup_idle(node, name, errp);

    if (!bitmap) {
        return false;
    }
    bdrv_disable_dirty_bitmap(bitmap);
    return true;
}

/* -drive */

typedef struct DriveCacheMode {
    const char *name;
    int flags;
} DriveCacheMode;

/* QEMU's bdrv_parse_cache_mode(); writethrough is writeback + flushes. */
static const DriveCacheMode drive_cache_modes[] = {
    { "none", BDRV_O_NOCACHE },
    { "off", BDRV_O_NOCACHE },
    { "writeback", 0 },
    { "writethrough", 0 },
    { "unsafe", BDRV_O_NO_FLUSH },
    { "directsync", BDRV_O_NOCACHE },
};

static bool drive_parse_cache(const char *mode, int *flags, GError **errp)
{
    for (size_t i = 0; i < ARRAY_SIZE(drive_cache_modes); i++) {
        if (g_str_equal(mode, drive_cache_modes[i].name)) {
            *flags |= drive_cache_modes[i].flags;
            return true;
        }
    }
    error_setg(errp, "invalid cache option");
    return false;
}

static const char *drive_str(JsonObject *opts, const char *key)
{
    JsonNode *node = json_object_get_member(opts, key);

    if (!node || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_STRING) {
        return NULL;
    }
    return json_node_get_string(node);
}

/* The keys -drive handles itself; the others go to the driver. */
static const char *const drive_own_keys[] = {
    "file", "format", "if", "id", "cache", "readonly", "aio", NULL
};

typedef struct DriveConf {
    const char *file;
    const char *format;
    const char *id;
    BlockInterfaceType type;
    int flags;
    JsonObject *extra;
} DriveConf;

static bool drive_parse_flags(JsonObject *opts, DriveConf *conf,
                              GError **errp)
{
    const char *ro = drive_str(opts, "readonly");
    const char *cache = drive_str(opts, "cache");
    const char *iface = drive_str(opts, "if");

    conf->flags = BDRV_O_RDWR;
    if (ro && !g_str_equal(ro, "off")) {
        if (!g_str_equal(ro, "on")) {
            error_setg(errp, "Parameter 'readonly' expects 'on' or 'off'");
            return false;
        }
        conf->flags &= ~BDRV_O_RDWR;
    }
    if (cache && !drive_parse_cache(cache, &conf->flags, errp)) {
        return false;
    }
    conf->type = IF_NONE;
    if (iface && g_str_equal(iface, "virtio")) {
        conf->type = IF_VIRTIO;
    } else if (iface && !g_str_equal(iface, "none")) {
        error_setg(errp, "unsupported bus type '%s'", iface);
        return false;
    }
    return true;
}

static bool drive_parse(JsonObject *opts, DriveConf *conf, GError **errp)
{
    GList *members = json_object_get_members(opts);
    const char *aio = drive_str(opts, "aio");

    if (!drive_parse_flags(opts, conf, errp)) {
        g_list_free(members);
        return false;
    }
    conf->file = drive_str(opts, "file");
    conf->format = drive_str(opts, "format");
    conf->id = drive_str(opts, "id");
    conf->extra = json_object_new();
    for (GList *l = members; l; l = l->next) {
        const char *key = l->data;

        if (!g_strv_contains(drive_own_keys, key)) {
            json_object_set_member(conf->extra, key,
                                   json_node_copy(
                                       json_object_get_member(opts, key)));
        }
    }
    g_list_free(members);
    if (aio) {
        json_object_set_string_member(conf->extra, "file.aio", aio);
    }
    if (!conf->file || !conf->file[0]) {
        error_setg(errp, "Parameter 'file' is missing");
        return false;
    }
    return true;
}

/* QEMU's generated -drive ids: "<if><index>". */
static char *drive_default_id(BlockInterfaceType type)
{
    const char *prefix = type == IF_VIRTIO ? "virtio" : "none";

    for (unsigned i = 0;; i++) {
        char *id = g_strdup_printf("%s%u", prefix, i);

        if (!blk_by_name(id)) {
            return id;
        }
        g_free(id);
    }
}

BlockBackend *drive_new(JsonObject *opts, BlockInterfaceType *type,
                        GError **errp)
{
    DriveConf conf = { 0 };
    g_autofree char *id = NULL;
    BlockDriverState *bs = NULL;
    BlockBackend *blk = NULL;

    if (!drive_parse(opts, &conf, errp)) {
        goto out;
    }
    id = conf.id ? g_strdup(conf.id) : drive_default_id(conf.type);
    if (blk_by_name(id)) {
        error_setg(errp, "Duplicate ID '%s' for drive", id);
        goto out;
    }
    bs = bdrv_open_image(conf.file, conf.format,
                         conf.flags | (blockdev_inactive ? BDRV_O_INACTIVE : 0),
                         conf.extra, errp);
    if (!bs) {
        goto out;
    }
    blk = blk_new(0, BLK_PERM_ALL);
    if (!blk_insert_bs(blk, bs, errp) || !monitor_add_blk(blk, id, errp)) {
        g_clear_pointer(&blk, blk_unref);
        goto out;
    }
    if (!drive_backends) {
        drive_backends = g_ptr_array_new();
    }
    g_ptr_array_add(drive_backends, blk);
    *type = conf.type;
    trace_drive_new(id, conf.file);
out:
    if (bs) {
        bdrv_unref(bs);
    }
    if (conf.extra) {
        json_object_unref(conf.extra);
    }
    return blk;
}

void blockdev_close_all(void)
{
    if (!drive_backends) {
        return;
    }
    for (guint i = 0; i < drive_backends->len; i++) {
        BlockBackend *blk = drive_backends->pdata[i];

        monitor_remove_blk(blk);
        blk_unref(blk);
    }
    g_clear_pointer(&drive_backends, g_ptr_array_unref);
}
