/*
 * register.h: iterative migration sections (RAM), QEMU's SaveVMHandlers.
 *
 * A section that is too big to send at once (guest RAM) registers handlers
 * that the migration thread calls in passes: setup once, iterate while the
 * guest runs, complete once it is stopped.  On the destination the incoming
 * thread calls load_state for each section record.  Device state (small,
 * owned by the main loop) uses vmstate.h instead.
 */
#ifndef MIGRATION_REGISTER_H
#define MIGRATION_REGISTER_H

#include "util/osdep.h"

typedef struct QEMUFile QEMUFile;

typedef struct SaveVMHandlers {
    /* Source side; migration thread unless noted. */

    /* Whether the section takes part in this migration (NULL = yes). */
    bool (*is_active)(void *opaque);
    /* Payload of the SECTION_START record. */
    bool (*save_setup)(QEMUFile *f, void *opaque, GError **errp);
    /*
     * Payload of one SECTION_PART record.  Returns 1 when everything dirty
     * at the last sync has been sent, 0 when there is more (rate limited),
     * -1 on error (set on @f).
     */
    int (*save_live_iterate)(QEMUFile *f, void *opaque);
    /* Payload of the SECTION_END record: the rest, with the guest stopped. */
    bool (*save_live_complete_precopy)(QEMUFile *f, void *opaque,
                                       GError **errp);
    /* Bytes still to send: cheap estimate, and exact (after a sync). */
    void (*state_pending_estimate)(void *opaque, uint64_t *must_precopy);
    void (*state_pending_exact)(void *opaque, uint64_t *must_precopy);
    /* After success, failure or cancel. */
    void (*save_cleanup)(void *opaque);

    /* Destination side; incoming thread. */
    bool (*load_setup)(QEMUFile *f, void *opaque, GError **errp);
    bool (*load_state)(QEMUFile *f, void *opaque, int version_id,
                       GError **errp);
    void (*load_cleanup)(void *opaque);
} SaveVMHandlers;

/**
 * register_savevm_live:
 * @idstr: section name, e.g. "ram"
 * @instance_id: 0 for a single instance
 * @version_id: the version this code writes (and the newest it loads)
 * @ops: (transfer none): static handlers
 * @opaque: their argument
 *
 * Main loop thread, at start-up.  Returns false + errp on a duplicate.
 */
bool register_savevm_live(const char *idstr, uint32_t instance_id,
                          int version_id, const SaveVMHandlers *ops,
                          void *opaque, GError **errp);

#endif /* MIGRATION_REGISTER_H */
