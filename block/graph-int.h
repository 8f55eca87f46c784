/*
 * graph-int.h: what block.c, graph.c, io.c and block-backend.c share.
 */
#ifndef BLOCK_GRAPH_INT_H
#define BLOCK_GRAPH_INT_H

#include "block/block_int.h"

/* Detaches and drops every child of @bs (close, failed open). */
void bdrv_detach_all_children(BlockDriverState *bs);
/* Closes and frees @bs (refcount reached 0). */
void bdrv_close_node(BlockDriverState *bs);
/* Unlinks @bs from the node list. */
void bdrv_forget_node(BlockDriverState *bs);
/* Returns: requests in flight on @bs and below. */
unsigned bdrv_in_flight_recursive(BlockDriverState *bs);
/* Reads from a node outside coroutines (probing). */
int bdrv_pread_bs(BlockDriverState *bs, int64_t offset, int64_t bytes,
                  void *buf);
/* Drops the names of backends (bdrv_close_all). */
void blk_remove_all_names(void);

#endif /* BLOCK_GRAPH_INT_H */
