/*
 * guest-disk.h: the guest's disk devices (virtio-blk-pci, virtio-blk,
 * scsi-hd, ide-hd: all one model in tern) and their workload.
 *
 * A guest disk holds a BlockBackend with a device's permissions, migrates
 * its state ("tern-disk" sections), and is written by the soft
 * accelerator's disk workload at x-guest-workload's disk-write-rate in
 * self-checking 4 KiB blocks.  Main loop thread only.  See
 * docs/devel/block-frontends.md.
 */
#ifndef SYSTEM_GUEST_DISK_H
#define SYSTEM_GUEST_DISK_H

#include "util/osdep.h"
#include "util/error.h"
#include "util/coroutine.h"
#include "block/block-backend.h"
#include "qapi/qapi-types-guest.h"

/* The size of one workload block and its header magic ("TERNDISK"). */
#define GUEST_DISK_BLOCK_SIZE 4096
#define GUEST_DISK_MAGIC UINT64_C(0x4b5349444e524554)

/**
 * guest_disk_new:
 * @driver: the device model ("virtio-blk-pci", "virtio-blk", "scsi-hd",
 *     "ide-hd")
 * @id: (nullable): the device id (qdev id)
 * @blk: the drive, borrowed (the device takes a reference)
 * @errp: error (permission conflict, drive already attached, duplicate
 *     id)
 *
 * Attaches @blk to the guest as a disk.
 *
 * Returns: false with @errp set on failure.
 */
bool guest_disk_new(const char *driver, const char *id, BlockBackend *blk,
                    GError **errp);

/**
 * guest_disk_new_from_opts:
 * @opts: a -device argument (string leaves: driver, drive, id), borrowed
 * @errp: error naming the culprit
 *
 * Returns: false with @errp set on failure.
 */
bool guest_disk_new_from_opts(JsonObject *opts, GError **errp);

/**
 * guest_disks_digest:
 * @errp: error (an I/O error reading a disk)
 * @out: (out): the digests, one per disk in creation order
 *
 * Reads every disk through the block layer and hashes it (SHA-256) in
 * a worker thread.  Coroutine (the main loop's).
 *
 * Returns: false with @errp set on failure.
 */
bool coroutine_fn guest_disks_digest(GuestDiskDigestList **out,
                                     GError **errp);

/**
 * guest_disk_block_fill:
 * @buf: GUEST_DISK_BLOCK_SIZE bytes
 * @seed: the workload seed
 * @index: the block's index on the disk
 * @generation: the pass over the disk that writes it (>= 1)
 *
 * Writes a self-checking block: magic, index, generation, seed, a
 * pattern, and a CRC32C of it all.  Any thread.
 */
void guest_disk_block_fill(uint8_t *buf, uint64_t seed, uint64_t index,
                           uint64_t generation);

/**
 * guest_disk_block_check:
 * @buf: GUEST_DISK_BLOCK_SIZE bytes read back
 * @index: the block's index on the disk
 *
 * Returns: the block's generation, 0 for an all-zero block (never
 * written), or -1 when the block is torn or misplaced.  Any thread.
 */
int64_t guest_disk_block_check(const uint8_t *buf, uint64_t index);

/* Detaches every disk (at exit). */
void guest_disks_cleanup(void);

#endif /* SYSTEM_GUEST_DISK_H */
