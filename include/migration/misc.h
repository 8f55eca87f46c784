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

#endif /* MIGRATION_MISC_H */
