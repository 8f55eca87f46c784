/*
 * block.c: the block graph: driver registry, probing, nodes, children,
 * references, permissions, reopen, activation, close; changing the
 * backing file an image records.
 *
 * Main loop thread only.  See docs/devel/block.md.
 */
#include "util/osdep.h"
#include "util/main-loop.h"
#include "block/block_int.h"
#include "block/block-backend.h"
#include "block/dirty-bitmap.h"
#include "block/graph-int.h"
#include "trace-block.h"

static GSList *block_drivers;       /* BlockDriver *, registration order */
static GList *all_nodes;            /* BlockDriverState * */

void bdrv_register(BlockDriver *drv)
{
    if (!bdrv_find_format(drv->format_name)) {
        block_drivers = g_slist_append(block_drivers, drv);
    }
}

BlockDriver *bdrv_find_format(const char *name)
{
    GSList *l;

    for (l = block_drivers; l; l = l->next) {
        BlockDriver *drv = l->data;

        if (!strcmp(drv->format_name, name)) {
            return drv;
        }
    }
    return NULL;
}

BlockDriver *bdrv_next_driver(BlockDriver *drv)
{
    GSList *l;

    if (!drv) {
        return block_drivers ? block_drivers->data : NULL;
    }
    l = g_slist_find(block_drivers, drv);
    return l && l->next ? l->next->data : NULL;
}

/* ---- node registry ---- */

BlockDriverState *bdrv_find_node(const char *node_name)
{
    GList *l;

    for (l = all_nodes; l; l = l->next) {
        BlockDriverState *bs = l->data;

        if (!strcmp(bs->node_name, node_name)) {
            return bs;
        }
    }
    return NULL;
}

BlockDriverState *bdrv_next_node(BlockDriverState *bs)
{
    GList *l;

    if (!bs) {
        return all_nodes ? all_nodes->data : NULL;
    }
    l = g_list_find(all_nodes, bs);
    return l && l->next ? l->next->data : NULL;
}

const char *bdrv_get_node_name(const BlockDriverState *bs)
{
    return bs->node_name;
}

const char *bdrv_get_format_name(const BlockDriverState *bs)
{
    return bs->drv ? bs->drv->format_name : NULL;
}

const char *bdrv_get_filename(const BlockDriverState *bs)
{
    return bs->filename;
}

BlockDriverState *bdrv_file_bs(BlockDriverState *bs)
{
    return bs->file ? bs->file->bs : NULL;
}

BlockDriverState *bdrv_backing_bs(BlockDriverState *bs)
{
    return bs->backing ? bs->backing->bs : NULL;
}

int bdrv_get_refcnt(const BlockDriverState *bs)
{
    return bs->refcnt;
}

bool bdrv_chain_contains(BlockDriverState *top, BlockDriverState *bs)
{
    GList *l;

    if (!top) {
        return false;
    }
    if (top == bs) {
        return true;
    }
    for (l = top->children; l; l = l->next) {
        BdrvChild *c = l->data;

        if (bdrv_chain_contains(c->bs, bs)) {
            return true;
        }
    }
    return false;
}

bool bdrv_is_read_only(BlockDriverState *bs)
{
    return bs->read_only;
}

bool bdrv_is_inactive(BlockDriverState *bs)
{
    return bs->open_flags & BDRV_O_INACTIVE;
}

bool bdrv_is_writable(BlockDriverState *bs)
{
    return !bs->read_only && !bdrv_is_inactive(bs);
}

char *bdrv_generate_node_name(void)
{
    static unsigned counter;

    return g_strdup_printf("#block%03u%02u", counter++,
                           g_random_int_range(0, 100));
}

/* QEMU's id_wellformed(): a letter, then letters, digits, '-', '.', '_' */
static bool bdrv_node_name_wellformed(const char *name)
{
    size_t i;

    if (!g_ascii_isalpha(name[0])) {
        return false;
    }
    for (i = 1; name[i]; i++) {
        if (!g_ascii_isalnum(name[i]) && !strchr("-._", name[i])) {
            return false;
        }
    }
    return true;
}

static bool bdrv_assign_node_name(BlockDriverState *bs, const char *name,
                                  GError **errp)
{
    g_autofree char *gen = NULL;

    if (!name) {
        gen = bdrv_generate_node_name();
        name = gen;
        bs->auto_node_name = true;
    } else if (!bdrv_node_name_wellformed(name)) {
        error_setg(errp, "Invalid node-name: '%s'", name);
        return false;
    } else if (blk_by_name(name)) {
        error_setg(errp, "node-name=%s is conflicting with a device id",
                   name);
        return false;
    } else if (bdrv_find_node(name)) {
        error_setg(errp, "Duplicate nodes with node-name='%s'", name);
        return false;
    }
    if (strlen(name) >= sizeof(bs->node_name)) {
        error_setg(errp, "Node name too long");
        return false;
    }
    g_strlcpy(bs->node_name, name, sizeof(bs->node_name));
    return true;
}

static BlockDriverState *bdrv_new(void)
{
    BlockDriverState *bs = g_new0(BlockDriverState, 1);

    bs->refcnt = 1;
    bs->shared_perm = BLK_PERM_ALL;
    qemu_co_mutex_init(&bs->reqs_lock);
    return bs;
}

void bdrv_forget_node(BlockDriverState *bs)
{
    all_nodes = g_list_remove(all_nodes, bs);
}

static void bdrv_free(BlockDriverState *bs)
{
    bdrv_forget_node(bs);
    g_free(bs->opaque);
    g_free(bs);
}

void bdrv_refresh_limits(BlockDriverState *bs)
{
    memset(&bs->bl, 0, sizeof(bs->bl));
    if (bs->file) {
        bs->bl.request_alignment = bs->file->bs->bl.request_alignment;
        bs->bl.min_mem_alignment = bs->file->bs->bl.min_mem_alignment;
    }
    if (bs->drv && bs->drv->bdrv_refresh_limits) {
        bs->drv->bdrv_refresh_limits(bs);
    }
    if (bs->bl.request_alignment == 0) {
        bs->bl.request_alignment = 1;
    }
    if (bs->bl.min_mem_alignment == 0) {
        bs->bl.min_mem_alignment = 4096;
    }
}

/* ---- opening ---- */

/* Turns the generic options of @opts into BDRV_O_* bits on @flags. */
static bool bdrv_options_to_flags(BlockdevOptions *opts, int *flags,
                                  GError **errp)
{
    if (opts->has_read_only) {
        *flags = opts->read_only ? *flags & ~BDRV_O_RDWR
                                 : *flags | BDRV_O_RDWR;
    }
    if (opts->has_auto_read_only && opts->auto_read_only) {
        *flags |= BDRV_O_AUTO_RDONLY;
    }
    if (opts->cache && opts->cache->has_direct) {
        *flags = opts->cache->direct ? *flags | BDRV_O_NOCACHE
                                     : *flags & ~BDRV_O_NOCACHE;
    }
    if (opts->cache && opts->cache->has_no_flush) {
        *flags = opts->cache->no_flush ? *flags | BDRV_O_NO_FLUSH
                                       : *flags & ~BDRV_O_NO_FLUSH;
    }
    if (opts->has_discard) {
        *flags = opts->discard == BLOCKDEV_DISCARD_OPTIONS_UNMAP
                 ? *flags | BDRV_O_UNMAP : *flags & ~BDRV_O_UNMAP;
    }
    if (opts->has_active) {
        *flags = opts->active ? *flags & ~BDRV_O_INACTIVE
                              : *flags | BDRV_O_INACTIVE;
    }
    if (opts->has_force_share && opts->force_share) {
        if (*flags & BDRV_O_RDWR) {
            error_setg(errp, "force-share=on can only be used with "
                       "read-only images");
            return false;
        }
        *flags |= BDRV_O_FORCE_SHARE;
    }
    if (opts->has_detect_zeroes &&
        opts->detect_zeroes == BLOCKDEV_DETECT_ZEROES_OPTIONS_UNMAP &&
        !(*flags & BDRV_O_UNMAP)) {
        error_setg(errp, "setting detect-zeroes to unmap is not allowed "
                   "without setting discard operation to unmap");
        return false;
    }
    return true;
}

/*
 * Opens @bs with @drv: the common part of every open.  On failure @bs is
 * freed.
 */
static bool bdrv_open_driver(BlockDriverState *bs, BlockDriver *drv,
                             const char *node_name, BlockdevOptions *opts,
                             int flags, GError **errp)
{
    bs->drv = drv;
    bs->open_flags = flags;
    bs->read_only = !(flags & BDRV_O_RDWR);
    bs->force_share = flags & BDRV_O_FORCE_SHARE;
    bs->opaque = g_malloc0(MAX(drv->instance_size, 1));
    if (!bdrv_assign_node_name(bs, node_name, errp)) {
        goto fail;
    }
    all_nodes = g_list_append(all_nodes, bs);
    if (!drv->bdrv_open(bs, opts, flags, errp)) {
        bdrv_detach_all_children(bs);
        goto fail;
    }
    /* the driver may have downgraded to read-only (auto-read-only) */
    if (bs->read_only) {
        bs->open_flags &= ~BDRV_O_RDWR;
    }
    if (!bs->filename[0] && bs->file) {
        g_strlcpy(bs->filename, bs->file->bs->filename,
                  sizeof(bs->filename));
    }
    bdrv_refresh_limits(bs);
    trace_bdrv_open(bs, bs->node_name, drv->format_name, flags);
    return true;

fail:
    bdrv_free(bs);
    return false;
}

BlockDriverState *bdrv_new_open_driver(BlockDriver *drv,
                                       const char *node_name, int flags,
                                       GError **errp)
{
    BlockDriverState *bs = bdrv_new();

    if (!bdrv_open_driver(bs, drv, node_name, NULL, flags, errp)) {
        return NULL;
    }
    return bs;
}

/* The explicit "backing" option of a COW format, or NULL when absent. */
static BlockdevRefOrNull *bdrv_backing_option(BlockdevOptions *opts)
{
    if (opts && opts->driver == BLOCKDEV_DRIVER_QCOW2) {
        return opts->u.qcow2.backing;
    }
    return NULL;
}

BlockDriverState *bdrv_open_blockdev(BlockdevOptions *options, int flags,
                                     GError **errp)
{
    const char *name = BlockdevDriver_str(options->driver);
    BlockDriver *drv = bdrv_find_format(name);
    BlockDriverState *bs;

    if (!drv) {
        error_setg(errp, "Unknown driver '%s'", name);
        return NULL;
    }
    if (!bdrv_options_to_flags(options, &flags, errp)) {
        return NULL;
    }
    bs = bdrv_new();
    if (options->has_detect_zeroes) {
        bs->detect_zeroes = options->detect_zeroes;
    }
    if (!bdrv_open_driver(bs, drv, options->node_name, options, flags,
                          errp)) {
        return NULL;
    }
    if (!bdrv_open_backing(bs, bdrv_backing_option(options), errp)) {
        bdrv_unref(bs);
        return NULL;
    }
    return bs;
}

/* Flags a child opened inline inherits from its parent. */
static int bdrv_inherited_flags(const char *role, int parent_flags)
{
    int flags = parent_flags & (BDRV_O_RDWR | BDRV_O_NOCACHE |
                                BDRV_O_NO_FLUSH | BDRV_O_UNMAP |
                                BDRV_O_INACTIVE | BDRV_O_AUTO_RDONLY |
                                BDRV_O_FORCE_SHARE);

    if (!strcmp(role, "backing")) {
        flags &= ~(BDRV_O_RDWR | BDRV_O_AUTO_RDONLY);
    }
    return flags;
}

BdrvChild *bdrv_open_child(const char *role, BlockdevRef *ref,
                           BlockDriverState *parent, uint64_t perm,
                           uint64_t shared, bool allow_none, GError **errp)
{
    BlockDriverState *child;
    BdrvChild *c;

    (void)perm;
    (void)shared;
    if (!ref) {
        if (!allow_none) {
            error_setg(errp, "A block device must be specified for \"%s\"",
                       role);
        }
        return NULL;
    }
    if (ref->type == QTYPE_QSTRING) {
        child = bdrv_lookup_bs(ref->u.reference, ref->u.reference, errp);
        if (!child) {
            return NULL;
        }
        bdrv_ref(child);
    } else {
        child = bdrv_open_blockdev(&ref->u.definition,
                                   bdrv_inherited_flags(role,
                                                        parent->open_flags),
                                   errp);
        if (!child) {
            return NULL;
        }
    }
    c = bdrv_attach_child(parent, child, role, errp);
    bdrv_unref(child);
    return c;
}

BlockDriverState *bdrv_lookup_bs(const char *device, const char *node_name,
                                 GError **errp)
{
    BlockBackend *blk = device ? blk_by_name(device) : NULL;
    BlockDriverState *bs;

    if (blk && blk_bs(blk)) {
        return blk_bs(blk);
    }
    bs = node_name ? bdrv_find_node(node_name) : NULL;
    if (bs) {
        return bs;
    }
    error_setg(errp, "Cannot find device='%s' nor node-name='%s'",
               device ? device : "", node_name ? node_name : "");
    return NULL;
}

char *bdrv_path_combine(const char *base_filename, const char *backing)
{
    g_autofree char *dir = NULL;

    if (g_path_is_absolute(backing) || !strncmp(backing, "json:", 5)) {
        return g_strdup(backing);
    }
    dir = g_path_get_dirname(base_filename);
    return g_build_filename(dir, backing, NULL);
}

bool bdrv_open_backing(BlockDriverState *bs, BlockdevRefOrNull *opt,
                       GError **errp)
{
    g_autofree char *path = NULL;
    BlockDriverState *backing;
    bool ok;

    if (!bs->drv->supports_backing || bs->backing) {
        return true;
    }
    if (opt && opt->type == QTYPE_QNULL) {
        return true;
    }
    if (opt) {
        /* BlockdevRefOrNull's other branches are laid out as BlockdevRef */
        return bdrv_open_child("backing", (BlockdevRef *)opt, bs, 0, 0,
                               false, errp) != NULL;
    }
    if (!bs->backing_file[0] || (bs->open_flags & BDRV_O_NO_BACKING)) {
        return true;
    }
    path = bdrv_path_combine(bs->filename, bs->backing_file);
    backing = bdrv_open_image(path,
                              bs->backing_format[0] ? bs->backing_format
                                                    : NULL,
                              bdrv_inherited_flags("backing",
                                                   bs->open_flags),
                              NULL, errp);
    if (!backing) {
        error_prepend(errp, "Could not open backing file: ");
        return false;
    }
    ok = bdrv_attach_child(bs, backing, "backing", errp) != NULL;
    bdrv_unref(backing);
    return ok;
}

int bdrv_change_backing_file(BlockDriverState *bs, const char *backing_file,
                             const char *backing_fmt, bool require)
{
    int ret;

    if (!bs->drv) {
        return -ENOMEDIUM;
    }
    if (backing_file && !backing_file[0]) {
        backing_file = NULL;
    }
    /* a format makes no sense without a file */
    if (backing_fmt && !backing_file) {
        return -EINVAL;
    }
    if (require && backing_file && !backing_fmt) {
        return -EINVAL;
    }
    if ((backing_file && strlen(backing_file) >= sizeof(bs->backing_file)) ||
        (backing_fmt && strlen(backing_fmt) >= sizeof(bs->backing_format))) {
        return -EINVAL;
    }
    if (!bs->drv->bdrv_change_backing_file) {
        return -ENOTSUP;
    }
    ret = bs->drv->bdrv_change_backing_file(bs, backing_file, backing_fmt);
    if (ret == 0) {
        g_strlcpy(bs->backing_file, backing_file ? backing_file : "",
                  sizeof(bs->backing_file));
        g_strlcpy(bs->backing_format, backing_fmt ? backing_fmt : "",
                  sizeof(bs->backing_format));
    }
    return ret;
}
