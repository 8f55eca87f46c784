/*
 * multifd.h: the RAM engine's parallel channels (public to migration/).
 *
 * With the multifd capability, RAM page batches travel over N extra
 * channels, one sender thread per channel on the source and one receiver
 * thread per channel on the destination.  The migration core connects the
 * channels (with the 16-byte TERNCHAN preamble of docs/devel/migration.md)
 * and hands them here; ram.c feeds the senders (multifd-int.h).
 *
 * Every multifd channel starts with a 16-byte channel header: "TERNMFD\n",
 * BE u32 version (1), BE u32 channel index; then RAM packets
 * (docs/interop/migration-stream.md, "RAM payload").
 *
 * Threads: the setup and shutdown calls below are made by the migration
 * core from its migration (or incoming) thread or the main loop; they must
 * not race with each other.
 */
#ifndef MIGRATION_MULTIFD_H
#define MIGRATION_MULTIFD_H

#include "util/osdep.h"

typedef struct QIOChannel QIOChannel;

/**
 * multifd_send_setup:
 * @channels: (transfer none): @n connected, preambled channels
 * @n: their number, 1..255
 * @errp: error out
 *
 * Takes a reference on every channel and starts one sender thread per
 * channel; each writes its channel header, then waits for batches from
 * ram.c.  Call before qemu_savevm_state_setup() so that the RAM section
 * knows to use the channels.
 *
 * Returns: true on success; false with @errp set (nothing started).
 */
bool multifd_send_setup(QIOChannel **channels, int n, GError **errp);

/**
 * multifd_send_shutdown:
 *
 * Stops the sender threads and drops the channel references.  After a
 * failure or a cancel (or with work still queued) the channels are shut
 * down first so that blocked writers return.  Safe to call when nothing
 * was set up, and twice.
 */
void multifd_send_shutdown(void);

/* Returns: the number of sender channels set up (0 = none). */
int multifd_send_channels(void);

/**
 * multifd_recv_setup:
 * @n: the number of channels the source will connect, 1..255
 * @errp: error out
 *
 * Prepares the destination for @n channels (multifd_recv_new_channel()).
 *
 * Returns: true on success; false with @errp set (already set up, bad @n).
 */
bool multifd_recv_setup(int n, GError **errp);

/**
 * multifd_recv_new_channel:
 * @ioc: (transfer none): an accepted channel, preamble already read
 * @index: the channel index the preamble announced
 * @errp: error out
 *
 * Takes a reference on @ioc and starts its receiver thread, which checks
 * the channel header and applies page batches to guest RAM.  Any thread.
 *
 * Returns: true on success; false with @errp set (index out of range or
 * already connected, not set up).
 */
bool multifd_recv_new_channel(QIOChannel *ioc, uint32_t index,
                              GError **errp);

/* Returns: whether every channel announced to multifd_recv_setup() came. */
bool multifd_recv_all_channels_created(void);

/**
 * multifd_recv_shutdown:
 *
 * Shuts the channels down (waking blocked readers), joins the receiver
 * threads and frees everything.  Safe to call when nothing was set up.
 */
void multifd_recv_shutdown(void);

#endif /* MIGRATION_MULTIFD_H */
