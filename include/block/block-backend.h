/*
 * block-backend.h: BlockBackend, the handle of a user that is not a node
 * (guest devices, tools, jobs) on the root of a node graph.
 *
 * A BlockBackend holds permissions on its root node, request statistics,
 * an optional name (-drive id=) and the id of the guest device attached.
 * Main loop thread; the blk_co_* functions in a coroutine there.
 */
#ifndef BLOCK_BLOCK_BACKEND_H
#define BLOCK_BLOCK_BACKEND_H

#include "block/block.h"

/* Request accounting, for query-blockstats (BlockDeviceStats). */
typedef struct BlockAcctStats {
    uint64_t rd_bytes;
    uint64_t wr_bytes;
    uint64_t unmap_bytes;
    uint64_t zone_append_bytes;
    uint64_t rd_operations;
    uint64_t wr_operations;
    uint64_t flush_operations;
    uint64_t unmap_operations;
    uint64_t rd_merged;
    uint64_t wr_merged;
    uint64_t unmap_merged;
    uint64_t failed_rd_operations;
    uint64_t failed_wr_operations;
    uint64_t failed_flush_operations;
    uint64_t failed_unmap_operations;
    uint64_t invalid_rd_operations;
    uint64_t invalid_wr_operations;
    uint64_t invalid_flush_operations;
    uint64_t invalid_unmap_operations;
    int64_t rd_total_time_ns;
    int64_t wr_total_time_ns;
    int64_t flush_total_time_ns;
    int64_t unmap_total_time_ns;
    int64_t wr_highest_offset;
    int64_t last_access_time_ns;    /* monotonic clock, 0: never */
} BlockAcctStats;

typedef void BlockCompletionFunc(void *opaque, int ret);

/* Returns: a new backend without a node (refcount 1). */
BlockBackend *blk_new(uint64_t perm, uint64_t shared_perm);

/**
 * blk_insert_bs:
 * @blk: a backend without a node
 * @bs: the root node (a new reference is taken)
 * @errp: error: permission conflicts name both users
 *
 * Returns: false with @errp set.
 */
bool blk_insert_bs(BlockBackend *blk, BlockDriverState *bs, GError **errp);
void blk_remove_bs(BlockBackend *blk);
void blk_ref(BlockBackend *blk);
/* Drops a reference; the last one removes the node and the name. */
void blk_unref(BlockBackend *blk);

/* For tools: bdrv_open_image() + a backend with write perms if
 * BDRV_O_RDWR (sharing all but write and resize; everything with
 * BDRV_O_FORCE_SHARE).  Returns: a new backend or NULL with @errp set. */
BlockBackend *blk_new_open(const char *filename, const char *fmt, int flags,
                           JsonObject *extra, GError **errp);

/* Returns: the root node, or NULL (borrowed). */
BlockDriverState *blk_bs(BlockBackend *blk);
bool blk_set_perm(BlockBackend *blk, uint64_t perm, uint64_t shared,
                  GError **errp);
void blk_get_perm(BlockBackend *blk, uint64_t *perm, uint64_t *shared);

/**
 * monitor_add_blk:
 * @blk: the backend
 * @name: its name (-drive id=), a well-formed id
 * @errp: error ("Device with id '%s' already exists", "Invalid device
 *        name", ...)
 *
 * Names @blk and lists it for blk_by_name(); the list holds a
 * reference until monitor_remove_blk().
 */
bool monitor_add_blk(BlockBackend *blk, const char *name, GError **errp);
void monitor_remove_blk(BlockBackend *blk);
/* Returns: the name, "" when unnamed. */
const char *blk_name(const BlockBackend *blk);
BlockBackend *blk_by_name(const char *name);
/*
 * Iterates the backends the monitor shows: named ones and those a guest
 * device uses, in creation order (QEMU's query-block order); NULL starts.
 */
BlockBackend *blk_next_visible(BlockBackend *blk);

/* The guest device attached (qdev id; NULL detaches). */
void blk_set_dev_id(BlockBackend *blk, const char *id);
const char *blk_get_dev_id(const BlockBackend *blk);
BlockBackend *blk_by_dev_id(const char *id);

/* Requests: checked against the backend's length, accounted. */
int coroutine_fn blk_co_preadv(BlockBackend *blk, int64_t offset,
                               int64_t bytes, QEMUIOVector *qiov,
                               BdrvRequestFlags flags);
int coroutine_fn blk_co_pwritev(BlockBackend *blk, int64_t offset,
                                int64_t bytes, QEMUIOVector *qiov,
                                BdrvRequestFlags flags);
int coroutine_fn blk_co_pwrite_zeroes(BlockBackend *blk, int64_t offset,
                                      int64_t bytes, BdrvRequestFlags flags);
int coroutine_fn blk_co_pdiscard(BlockBackend *blk, int64_t offset,
                                 int64_t bytes);
int coroutine_fn blk_co_flush(BlockBackend *blk);

/* Synchronous (not in a coroutine): 0 or -errno. */
int blk_pread(BlockBackend *blk, int64_t offset, int64_t bytes, void *buf,
              BdrvRequestFlags flags);
int blk_pwrite(BlockBackend *blk, int64_t offset, int64_t bytes,
               const void *buf, BdrvRequestFlags flags);
int blk_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes,
                      BdrvRequestFlags flags);
int blk_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes);
int blk_flush(BlockBackend *blk);

/* Asynchronous: the request runs in a coroutine; @cb runs in the main
 * loop with 0 or -errno (never before the call returns). */
void blk_aio_preadv(BlockBackend *blk, int64_t offset, QEMUIOVector *qiov,
                    BdrvRequestFlags flags, BlockCompletionFunc *cb,
                    void *opaque);
void blk_aio_pwritev(BlockBackend *blk, int64_t offset, QEMUIOVector *qiov,
                     BdrvRequestFlags flags, BlockCompletionFunc *cb,
                     void *opaque);
void blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque);

int64_t blk_getlength(BlockBackend *blk);
bool blk_truncate(BlockBackend *blk, int64_t offset, bool exact,
                  PreallocMode prealloc, GError **errp);
void blk_drain(BlockBackend *blk);
bool blk_is_read_only(BlockBackend *blk);
/* Returns: the statistics (borrowed, live). */
BlockAcctStats *blk_get_stats(BlockBackend *blk);
/* Returns: the number of requests of @blk in flight. */
unsigned blk_in_flight(BlockBackend *blk);

#endif /* BLOCK_BLOCK_BACKEND_H */
