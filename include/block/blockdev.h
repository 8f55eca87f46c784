/*
 * blockdev.h: the block layer's front ends: -blockdev, -drive, the
 * monitor-owned nodes of blockdev-add, and the block HMP commands.
 *
 * Everything here runs in the main loop thread.  See
 * docs/devel/block-frontends.md.
 */
#ifndef BLOCK_BLOCKDEV_H
#define BLOCK_BLOCKDEV_H

#include "block/block-backend.h"

/**
 * blockdev_add_opts:
 * @opts: a -blockdev argument: keyval (string leaves) or a JSON object,
 *     borrowed
 * @errp: error (bad options, open failure)
 *
 * Converts @opts to BlockdevOptions and opens the node as blockdev-add
 * does (the monitor owns it: blockdev-del drops it).
 *
 * Returns: false with @errp set on failure.
 */
bool blockdev_add_opts(JsonObject *opts, GError **errp);

/**
 * BlockInterfaceType: the -drive if= values tern accepts.
 */
typedef enum BlockInterfaceType {
    IF_NONE,
    IF_VIRTIO,
} BlockInterfaceType;

/**
 * drive_new:
 * @opts: a -drive argument in QemuOpts form (string leaves), borrowed
 * @type: (out): its interface (if=none or if=virtio)
 * @errp: error naming the bad parameter
 *
 * Opens the image of a legacy -drive (file=, format=, if=, id=,
 * node-name=, cache=, aio=, readonly=; other keys are passed to the
 * driver as options) and puts a BlockBackend named by id= over it (a
 * generated name such as "virtio0" without id=).  The backend asks for
 * no permission and shares all until a device attaches.
 *
 * Returns: (transfer none): the backend (owned by the monitor), or NULL
 * with @errp set.
 */
BlockBackend *drive_new(JsonObject *opts, BlockInterfaceType *type,
                        GError **errp);

/**
 * blockdev_set_open_inactive:
 * @inactive: whether nodes opened from now on start inactive
 *
 * Set while an incoming migration owns the guest (-incoming): the source
 * still holds the images' write locks, so -drive, -blockdev and
 * blockdev-add open them inactive (QEMU's BDRV_O_INACTIVE) until the
 * migration completes and bdrv_activate_all() runs.
 */
void blockdev_set_open_inactive(bool inactive);

/**
 * blockdev_run_outside_co:
 * @fn: the work: graph changes, drains, synchronous requests
 * @opaque: its argument
 * @errp: passed to @fn
 *
 * Runs @fn in the main loop outside any coroutine: from the monitor's
 * coroutine (QMP handlers, human-monitor-command) it schedules a bottom
 * half and yields until @fn has run; elsewhere it calls @fn directly.
 *
 * Returns: what @fn returns.
 */
bool blockdev_run_outside_co(bool (*fn)(void *opaque, GError **errp),
                             void *opaque, GError **errp);

/**
 * blockdev_close_all:
 *
 * Drops the -drive backends (at exit, before bdrv_close_all()).
 */
void blockdev_close_all(void);

/**
 * block_hmp_register:
 *
 * Registers the block HMP commands: `info block` and `qemu-io`.  Only
 * for programs that link the monitor (ternd).
 */
void block_hmp_register(void);

#endif /* BLOCK_BLOCKDEV_H */
