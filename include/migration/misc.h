/*
 * misc.h: what the daemon's start-up and shutdown call in migration/.
 * Main loop thread.
 */
#ifndef MIGRATION_MISC_H
#define MIGRATION_MISC_H

#include "util/osdep.h"

/**
 * migration_init:
 *
 * Registers the migration HMP commands, the "globalstate" device and the
 * RAM section.  Once, at start-up, before any device state is loaded.
 */
void migration_init(void);

/**
 * migration_incoming_set_cmdline:
 * @uri: the argument of -incoming: "defer" or a migration URI
 * @errp: what is wrong with @uri
 *
 * Parses @uri at once (the edge) and remembers it for
 * migration_incoming_start_cmdline(); "defer" lets migrate-incoming run.
 *
 * Returns: true on success.
 */
bool migration_incoming_set_cmdline(const char *uri, GError **errp);

/**
 * migration_incoming_start_cmdline:
 * @errp: error out (the daemon then exits 1)
 *
 * Starts the incoming migration given with -incoming URI (nothing for
 * "defer" or without -incoming).  Call once the monitors exist.  A later
 * failure of the migration itself exits the daemon with status 1.
 *
 * Returns: true on success.
 */
bool migration_incoming_start_cmdline(GError **errp);

/**
 * migration_shutdown:
 *
 * Cancels an outgoing migration and waits for its thread; stops an
 * incoming one.  At daemon exit.
 */
void migration_shutdown(void);

/**
 * MigrationBlockFunc:
 * @errp: error out
 *
 * A block-layer hook: returns false with @errp set on failure.
 */
typedef bool MigrationBlockFunc(GError **errp);

/**
 * migration_set_block_hooks:
 * @inactivate: (nullable): run in the main loop at an outgoing
 *     migration's switchover, once the guest is stopped: flush the disks
 *     and give up their write locks (shared storage); a failure fails the
 *     migration
 * @activate: (nullable): run in the main loop to take the disks back: on
 *     the source when a migration that inactivated them fails or is
 *     cancelled, on the destination when the incoming migration completes
 *     (a failure there fails the incoming migration)
 *
 * Installs the hooks (ternd: bdrv_inactivate_all / bdrv_activate_all;
 * migration/ does not link the block layer).  At start-up.
 */
void migration_set_block_hooks(MigrationBlockFunc *inactivate,
                               MigrationBlockFunc *activate);

#endif /* MIGRATION_MISC_H */
