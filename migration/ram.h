/*
 * ram.h: the RAM engine, iterative migration section "ram".
 *
 * See docs/devel/migration-ram.md for the design and
 * docs/interop/migration-stream.md ("RAM payload") for the bytes.
 */
#ifndef MIGRATION_RAM_H
#define MIGRATION_RAM_H

#include "util/osdep.h"
#include "migration/register.h"

/* Version of the "ram" section this code writes and reads. */
#define RAM_SECTION_VERSION 1

/**
 * ram_mig_init:
 *
 * Registers the "ram" section (register_savevm_live).  Main loop thread,
 * once at start-up; a second call does nothing.
 */
void ram_mig_init(void);

/*
 * Returns: (transfer none) the section's handlers, so that unit tests can
 * drive the engine without the savevm container.
 */
const SaveVMHandlers *ram_savevm_handlers(void);

#endif /* MIGRATION_RAM_H */
