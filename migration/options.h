/*
 * options.h: migration capabilities and parameters.
 *
 * The values set with migrate-set-capabilities and migrate-set-parameters
 * live in the migration state.  They change only in the main loop and only
 * while no migration runs, so a migration thread (or a multifd thread) may
 * read them without a lock once the migration has started.
 */
#ifndef MIGRATION_OPTIONS_H
#define MIGRATION_OPTIONS_H

#include "util/osdep.h"

/* Capabilities (false unless set).  Any thread. */
bool migrate_events(void);
bool migrate_multifd(void);
bool migrate_auto_converge(void);
bool migrate_ignore_shared(void);

/* Parameters (QEMU's defaults unless set).  Any thread. */
int migrate_multifd_channels(void);
uint64_t migrate_max_bandwidth(void);      /* bytes/s, 0 = unlimited */
uint64_t migrate_downtime_limit(void);     /* ms */
uint8_t migrate_cpu_throttle_initial(void);
uint8_t migrate_cpu_throttle_increment(void);
uint8_t migrate_max_cpu_throttle(void);
uint8_t migrate_throttle_trigger_threshold(void);
bool migrate_cpu_throttle_tailslow(void);

/* Main loop side: the QMP handlers live in options.c. */
typedef struct MigrationParameters MigrationParameters;

/**
 * migrate_caps_check:
 * @old_caps: the capabilities now (MIGRATION_CAPABILITY__MAX entries)
 * @new_caps: the capabilities wanted
 * @errp: why @new_caps cannot be used
 *
 * Checks that tern implements every capability enabled in @new_caps and
 * that they go together.  Pure; any thread.
 *
 * Returns: true when @new_caps is acceptable.
 */
bool migrate_caps_check(const bool *old_caps, const bool *new_caps,
                        GError **errp);

/**
 * migrate_params_check:
 * @params: parameters, the has_ flag set on each member to check
 * @errp: QEMU's text for the first value out of range
 *
 * Pure; any thread.  Returns: true when every value is acceptable.
 */
bool migrate_params_check(const MigrationParameters *params, GError **errp);

/**
 * migrate_options_reset:
 *
 * Back to the defaults (no capability, QEMU's default parameters).  For
 * tests.  Main loop thread.
 */
void migrate_options_reset(void);

#endif /* MIGRATION_OPTIONS_H */
