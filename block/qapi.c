/*
 * qapi.c: the block query commands (query-block, query-named-block-nodes,
 * query-blockstats) and the ImageInfo / BlockDeviceInfo builders behind
 * them.  Main loop thread only; the QMP handlers run in the monitor's
 * coroutine (lengths are read through the request layer).
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/timer.h"
#include "block/block_int.h"
#include "block/block-backend.h"
#include "block/blockdev.h"
#include "block/dirty-bitmap.h"
#include "qapi/qapi-commands-block-core.h"

/* Bound on backing chains walked by the queries (cycles are impossible,
 * but a query must never loop). */
#define BLOCK_QUERY_MAX_DEPTH 1024

/* QEMU's bdrv_get_allocated_file_size(). */
static int64_t node_allocated_size(BlockDriverState *bs)
{
    if (bs->drv && bs->drv->bdrv_get_allocated_file_size) {
        return bs->drv->bdrv_get_allocated_file_size(bs);
    }
    if (bs->file) {
        return node_allocated_size(bs->file->bs);
    }
    return -ENOTSUP;
}

static void node_info_fill(BlockDriverState *bs, BlockNodeInfo *info)
{
    BlockDriverInfo bdi = { 0 };
    BlockDriverState *backing = bdrv_backing_bs(bs);
    int64_t size = bdrv_getlength(bs);
    int64_t alloc = node_allocated_size(bs);

    info->filename = g_strdup(bs->filename);
    info->format = g_strdup(bdrv_get_format_name(bs));
    info->virtual_size = MAX(size, 0);
    if (alloc >= 0) {
        info->has_actual_size = true;
        info->actual_size = alloc;
    }
    if (bs->drv && bs->drv->bdrv_get_info && bs->drv->bdrv_get_info(bs, &bdi)) {
        if (bdi.cluster_size > 0) {
            info->has_cluster_size = true;
            info->cluster_size = bdi.cluster_size;
        }
        info->has_dirty_flag = true;
        info->dirty_flag = bdi.is_dirty;
    }
    if (bs->backing_file[0]) {
        info->backing_filename = g_strdup(bs->backing_file);
        if (backing) {
            info->full_backing_filename = g_strdup(backing->filename);
        }
        if (bs->backing_format[0]) {
            info->backing_filename_format = g_strdup(bs->backing_format);
        }
    }
    if (bs->drv && bs->drv->bdrv_get_specific_info) {
        info->format_specific = bs->drv->bdrv_get_specific_info(bs, NULL);
    }
}

/**
 * bdrv_query_image_info:
 * @bs: the node
 * @flat: leave out the backing chain ("backing-image")
 *
 * Returns: (transfer full): the image information of @bs.
 */
static ImageInfo *bdrv_query_image_info(BlockDriverState *bs, bool flat)
{
    ImageInfo *top = g_new0(ImageInfo, 1);
    ImageInfo *info = top;

    for (int depth = 0; depth < BLOCK_QUERY_MAX_DEPTH; depth++) {
        BlockDriverState *backing = bdrv_backing_bs(bs);

        node_info_fill(bs, qapi_ImageInfo_base(info));
        if (flat || !backing) {
            break;
        }
        info->backing_image = g_new0(ImageInfo, 1);
        info = info->backing_image;
        bs = backing;
    }
    return top;
}

static BlockDirtyInfoList *node_dirty_bitmaps(BlockDriverState *bs)
{
    BlockDirtyInfoList *head = NULL, **tail = &head;

    for (BdrvDirtyBitmap *bm = bdrv_dirty_bitmap_next(bs, NULL); bm;
         bm = bdrv_dirty_bitmap_next(bs, bm)) {
        BlockDirtyInfo *info = g_new0(BlockDirtyInfo, 1);
        const char *name = bdrv_dirty_bitmap_name(bm);

        info->name = name ? g_strdup(name) : NULL;
        info->count = bdrv_dirty_bitmap_count(bm);
        info->granularity = bdrv_dirty_bitmap_granularity(bm);
        info->recording = bdrv_dirty_bitmap_enabled(bm);
        info->busy = bdrv_dirty_bitmap_busy(bm);
        info->persistent = bdrv_dirty_bitmap_persistent(bm);
        *tail = g_new0(BlockDirtyInfoList, 1);
        (*tail)->value = info;
        tail = &(*tail)->next;
    }
    return head;
}

static BlockdevChildList *node_children(BlockDriverState *bs)
{
    BlockdevChildList *head = NULL, **tail = &head;

    for (GList *l = bs->children; l; l = l->next) {
        BdrvChild *c = l->data;
        BlockdevChild *child = g_new0(BlockdevChild, 1);

        child->child = g_strdup(c->name);
        child->node_name = g_strdup(bdrv_get_node_name(c->bs));
        *tail = g_new0(BlockdevChildList, 1);
        (*tail)->value = child;
        tail = &(*tail)->next;
    }
    return head;
}

/**
 * bdrv_block_device_info:
 * @bs: the node
 * @flat: leave out the backing chain of the image information
 *
 * Returns: (transfer full): @bs described as query-named-block-nodes
 * describes it.
 */
static BlockDeviceInfo *bdrv_block_device_info(BlockDriverState *bs,
                                               bool flat)
{
    BlockDeviceInfo *info = g_new0(BlockDeviceInfo, 1);
    BlockDriverState *b = bdrv_backing_bs(bs);

    info->file = g_strdup(bs->filename);
    info->node_name = g_strdup(bdrv_get_node_name(bs));
    info->ro = bdrv_is_read_only(bs);
    info->drv = g_strdup(bdrv_get_format_name(bs));
    if (bs->backing_file[0]) {
        info->backing_file = g_strdup(bs->backing_file);
    }
    for (int d = 0; b && d < BLOCK_QUERY_MAX_DEPTH; d++) {
        info->backing_file_depth++;
        b = bdrv_backing_bs(b);
    }
    info->children = node_children(bs);
    info->active = !bdrv_is_inactive(bs);
    info->detect_zeroes = bs->detect_zeroes;
    info->image = bdrv_query_image_info(bs, flat);
    info->cache = g_new0(BlockdevCacheInfo, 1);
    info->cache->writeback = true;
    info->cache->direct = !!(bs->open_flags & BDRV_O_NOCACHE);
    info->cache->no_flush = !!(bs->open_flags & BDRV_O_NO_FLUSH);
    info->dirty_bitmaps = node_dirty_bitmaps(bs);
    return info;
}

BlockDeviceInfoList *qmp_query_named_block_nodes(bool has_flat, bool flat,
                                                 GError **errp)
{
    BlockDeviceInfoList *head = NULL, **tail = &head;

    for (BlockDriverState *bs = bdrv_next_node(NULL); bs;
         bs = bdrv_next_node(bs)) {
        *tail = g_new0(BlockDeviceInfoList, 1);
        (*tail)->value = bdrv_block_device_info(bs, has_flat && flat);
        tail = &(*tail)->next;
    }
    return head;
}

static BlockInfo *blk_query_info(BlockBackend *blk)
{
    BlockInfo *info = g_new0(BlockInfo, 1);
    BlockDriverState *bs = blk_bs(blk);
    const char *dev = blk_get_dev_id(blk);

    info->device = g_strdup(blk_name(blk));
    info->type = g_strdup("unknown");
    if (dev) {
        info->qdev = g_strdup(dev);
        info->has_io_status = true;
        info->io_status = BLOCK_DEVICE_IO_STATUS_OK;
    }
    if (bs) {
        info->inserted = bdrv_block_device_info(bs, false);
    }
    return info;
}

BlockInfoList *qmp_query_block(GError **errp)
{
    BlockInfoList *head = NULL, **tail = &head;

    for (BlockBackend *blk = blk_next_visible(NULL); blk;
         blk = blk_next_visible(blk)) {
        *tail = g_new0(BlockInfoList, 1);
        (*tail)->value = blk_query_info(blk);
        tail = &(*tail)->next;
    }
    return head;
}

/* query-blockstats */

static BlockDeviceStats *stats_from_acct(const BlockAcctStats *a)
{
    BlockDeviceStats *s = g_new0(BlockDeviceStats, 1);

    s->rd_bytes = a->rd_bytes;
    s->wr_bytes = a->wr_bytes;
    s->zone_append_bytes = a->zone_append_bytes;
    s->unmap_bytes = a->unmap_bytes;
    s->rd_operations = a->rd_operations;
    s->wr_operations = a->wr_operations;
    s->flush_operations = a->flush_operations;
    s->unmap_operations = a->unmap_operations;
    s->rd_total_time_ns = a->rd_total_time_ns;
    s->wr_total_time_ns = a->wr_total_time_ns;
    s->flush_total_time_ns = a->flush_total_time_ns;
    s->unmap_total_time_ns = a->unmap_total_time_ns;
    s->wr_highest_offset = a->wr_highest_offset;
    s->rd_merged = a->rd_merged;
    s->wr_merged = a->wr_merged;
    s->unmap_merged = a->unmap_merged;
    if (a->last_access_time_ns) {
        s->has_idle_time_ns = true;
        s->idle_time_ns = qemu_clock_get_ns(QEMU_CLOCK_REALTIME) -
                          a->last_access_time_ns;
    }
    s->failed_rd_operations = a->failed_rd_operations;
    s->failed_wr_operations = a->failed_wr_operations;
    s->failed_flush_operations = a->failed_flush_operations;
    s->failed_unmap_operations = a->failed_unmap_operations;
    s->invalid_rd_operations = a->invalid_rd_operations;
    s->invalid_wr_operations = a->invalid_wr_operations;
    s->invalid_flush_operations = a->invalid_flush_operations;
    s->invalid_unmap_operations = a->invalid_unmap_operations;
    s->account_invalid = true;
    s->account_failed = true;
    return s;
}

/* QEMU's bdrv_query_bds_stats(): nodes keep no counters of their own. */
static BlockStats *node_stats(BlockDriverState *bs, bool with_backing,
                              int depth)
{
    BlockStats *s = g_new0(BlockStats, 1);
    BlockAcctStats zero = { 0 };

    if (bs->node_name[0] && !bs->auto_node_name) {
        s->node_name = g_strdup(bs->node_name);
    }
    s->stats = stats_from_acct(&zero);
    if (depth >= BLOCK_QUERY_MAX_DEPTH) {
        return s;
    }
    if (bs->file) {
        s->parent = node_stats(bs->file->bs, with_backing, depth + 1);
    }
    if (with_backing && bs->backing) {
        s->backing = node_stats(bs->backing->bs, with_backing, depth + 1);
    }
    return s;
}

static BlockStats *blk_stats(BlockBackend *blk)
{
    BlockDriverState *bs = blk_bs(blk);
    BlockStats *s;
    const char *dev = blk_get_dev_id(blk);

    if (bs) {
        s = node_stats(bs, true, 0);
        qapi_free_BlockDeviceStats(s->stats);
    } else {
        s = g_new0(BlockStats, 1);
    }
    s->device = g_strdup(blk_name(blk));
    s->qdev = dev ? g_strdup(dev) : NULL;
    s->stats = stats_from_acct(blk_get_stats(blk));
    return s;
}

BlockStatsList *qmp_query_blockstats(bool has_query_nodes, bool query_nodes,
                                     GError **errp)
{
    BlockStatsList *head = NULL, **tail = &head;

    if (has_query_nodes && query_nodes) {
        for (BlockDriverState *bs = bdrv_next_node(NULL); bs;
             bs = bdrv_next_node(bs)) {
            if (bs->auto_node_name) {
                continue;
            }
            *tail = g_new0(BlockStatsList, 1);
            (*tail)->value = node_stats(bs, false, 0);
            tail = &(*tail)->next;
        }
        return head;
    }
    for (BlockBackend *blk = blk_next_visible(NULL); blk;
         blk = blk_next_visible(blk)) {
        *tail = g_new0(BlockStatsList, 1);
        (*tail)->value = blk_stats(blk);
        tail = &(*tail)->next;
    }
    return head;
}
