/*
 * ramblock.h: guest RAM blocks and their dirty tracking.
 *
 * Guest RAM is a list of RAMBlocks, created at start-up from -m or from
 * memory backends (-object memory-backend-*), in a fixed order that both
 * ends of a migration share.  Pages are TARGET_PAGE_SIZE (4 KiB).
 *
 * Dirty tracking: each block has an atomic bitmap with one bit per page.
 * A guest writer sets a page's bit AFTER it has written the page (release
 * order), so a reader that fetched-and-cleared the bit (acquire order) and
 * then copies the page either sees the whole write or sees the bit set
 * again for a later pass: a page is never lost or torn.  Tracking is on only
 * while a migration runs (ram_dirty_tracking_start/stop); when off, writers
 * skip the bitmap.
 *
 * Threads: the block list is built in the main thread before the guest
 * starts and is immutable afterwards, so any thread may walk it.  The dirty
 * bitmaps are touched with atomics from any thread.
 */
#ifndef SYSTEM_RAMBLOCK_H
#define SYSTEM_RAMBLOCK_H

#include "util/osdep.h"

#define TARGET_PAGE_BITS 12
#define TARGET_PAGE_SIZE (1ULL << TARGET_PAGE_BITS)
#define TARGET_PAGE_MASK (~(TARGET_PAGE_SIZE - 1))

typedef struct RAMBlock RAMBlock;

struct RAMBlock {
    char idstr[256];          /* QEMU-like id: "pc.ram" or the backend's id */
    uint8_t *host;            /* mapping of used_length bytes */
    uint64_t used_length;     /* bytes, a multiple of TARGET_PAGE_SIZE */
    uint64_t pages;           /* used_length >> TARGET_PAGE_BITS */
    int fd;                   /* memfd or file backing, else -1 */
    bool shared;              /* mapped MAP_SHARED from a shared backend */
    unsigned long *dirty;     /* atomic; one bit per page */
    RAMBlock *next;           /* immutable list, in RAM-block order */
};

/* Walk every block in RAM-block order (immutable after start-up). */
RAMBlock *ram_block_first(void);
#define RAMBLOCK_FOREACH(rb) \
    for (RAMBlock *rb = ram_block_first(); rb; rb = rb->next)

/* Returns: (transfer none) the block called @idstr, or NULL. */
RAMBlock *ram_block_by_name(const char *idstr);

/* Number of blocks, and the sum of their used_length. */
unsigned ram_block_count(void);
uint64_t ram_bytes_total(void);

/**
 * ram_block_mark_dirty:
 * Called by a guest writer after it has written page @page of @rb.
 * Any thread; lock-free.  A no-op while dirty tracking is off.
 */
void ram_block_mark_dirty(RAMBlock *rb, uint64_t page);

/**
 * ram_block_sync_dirty:
 * Atomically fetch and clear @rb's dirty bits, OR-ing them into @dest
 * (rb->pages bits).  Returns the number of bits that were newly set in
 * @dest.  Any thread (the migration thread in practice).
 */
uint64_t ram_block_sync_dirty(RAMBlock *rb, unsigned long *dest);

/* Turn dirty tracking on (clearing all bitmaps first) or off.  Any thread. */
void ram_dirty_tracking_start(void);
void ram_dirty_tracking_stop(void);
bool ram_dirty_tracking_enabled(void);

#endif /* SYSTEM_RAMBLOCK_H */
