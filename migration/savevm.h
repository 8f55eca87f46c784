/*
 * savevm.h: the migration stream container (docs/interop/migration-stream.md).
 *
 * The source writes, in order: qemu_savevm_state_header() (file header and
 * CONFIG record), qemu_savevm_state_setup() (a SECTION_START per active
 * iterative section), qemu_savevm_state_iterate() in passes while the guest
 * runs, and, with the guest stopped, qemu_savevm_state_complete_precopy()
 * (SECTION_END per iterative section, then every device's SECTION_FULL,
 * VMDESC and EOS).  qemu_savevm_state_cleanup() ends every outcome.  The
 * destination reads it all with qemu_loadvm_state().
 *
 * Threads: the save and load calls run in the migration (or incoming)
 * thread, or in the main thread when no main loop is running (tests, the
 * restore of a file before the loop starts); device state is always saved
 * and loaded in the main loop thread through main_loop_run_sync().  The
 * registries (vmstate_register(), register_savevm_live()) are changed only
 * in the main thread while no migration runs.
 *
 * Errors: each call returns false (or -1) with @errp set to a clear
 * message; the stream's sticky error is set as well.
 */
#ifndef MIGRATION_SAVEVM_H
#define MIGRATION_SAVEVM_H

#include "util/osdep.h"
#include "migration/qemu-file.h"
#include "migration/vmstate.h"

/* The stream format (see docs/interop/migration-stream.md). */
#define TERN_STREAM_MAGIC       "TERNVM\r\n"
#define TERN_STREAM_MAGIC_LEN   8
#define TERN_STREAM_VERSION     1

typedef enum TernStreamRecord {
    TERN_REC_CONFIG = 0x01,
    TERN_REC_SECTION_START = 0x02,
    TERN_REC_SECTION_PART = 0x03,
    TERN_REC_SECTION_END = 0x04,
    TERN_REC_SECTION_FULL = 0x05,
    TERN_REC_VMDESC = 0x06,
    TERN_REC_EOS = 0x07,
} TernStreamRecord;

/* Caps on lengths read from a stream. */
#define TERN_STREAM_MAX_DEVICE_STATE (16 * 1024 * 1024)
#define TERN_STREAM_MAX_VMDESC       (16 * 1024 * 1024)

/**
 * qemu_savevm_state_header:
 * @f: the main channel's output stream
 * @errp: error out
 *
 * Writes the file header and the CONFIG record (machine type, target page
 * size).  Migration thread.
 *
 * Returns: false with @errp set when the stream failed.
 */
bool qemu_savevm_state_header(QEMUFile *f, GError **errp);

/**
 * qemu_savevm_state_setup:
 * @f: the output stream
 * @errp: error out
 *
 * Writes a SECTION_START record (with the handler's save_setup payload)
 * for every registered iterative section whose is_active() says yes, and
 * flushes.  Migration thread.
 *
 * Returns: false with @errp set on failure.
 */
bool qemu_savevm_state_setup(QEMUFile *f, GError **errp);

/**
 * qemu_savevm_state_iterate:
 * @f: the output stream
 * @errp: error out
 *
 * Writes one SECTION_PART record per active iterative section (the
 * handler's save_live_iterate payload).  Migration thread.
 *
 * Returns: 1 when every section reported everything sent, 0 when there is
 * more, -1 with @errp set on error.
 */
int qemu_savevm_state_iterate(QEMUFile *f, GError **errp);

/**
 * qemu_savevm_state_pending_estimate:
 * @must_precopy: (out): bytes still to send, summed over active sections
 *
 * Cheap estimate (no dirty-bitmap sync).  Migration thread.
 */
void qemu_savevm_state_pending_estimate(uint64_t *must_precopy);

/**
 * qemu_savevm_state_pending_exact:
 * @must_precopy: (out): as above, after each section synced
 *
 * Migration thread.
 */
void qemu_savevm_state_pending_exact(uint64_t *must_precopy);

/**
 * qemu_savevm_state_complete_precopy:
 * @f: the output stream
 * @errp: error out
 *
 * With the guest stopped: a SECTION_END per active iterative section, then
 * the device state (serialised in the main loop through
 * main_loop_run_sync(), pre_save hooks included) as SECTION_FULL records,
 * the VMDESC record and EOS; flushes.  Migration thread (or the main
 * thread when no main loop runs).
 *
 * Returns: false with @errp set on failure.
 */
bool qemu_savevm_state_complete_precopy(QEMUFile *f, GError **errp);

/**
 * qemu_savevm_state_cleanup:
 *
 * Calls save_cleanup of every section that setup made active.  Safe to
 * call after any outcome and more than once.  Migration thread.
 */
void qemu_savevm_state_cleanup(void);

/**
 * qemu_savevm_state_save_devices_only:
 * @f: the output stream
 * @errp: error out
 *
 * Writes a whole stream without iterative sections: header, CONFIG, the
 * device state, VMDESC, EOS.  For tests and tools.
 *
 * Returns: false with @errp set on failure.
 */
bool qemu_savevm_state_save_devices_only(QEMUFile *f, GError **errp);

/**
 * qemu_loadvm_state:
 * @f: the main channel's input stream
 * @errp: error out
 *
 * Reads a whole stream: header, CONFIG (the machine type and page size
 * must match), then calls load_setup of every iterative section, hands
 * SECTION_START/PART/END payloads to their load_state, loads each
 * SECTION_FULL in the main loop after checking its CRC, skips VMDESC, and
 * stops at EOS, after which the channel must end.  Every registered
 * device must have been loaded.  load_cleanup is called in every case.
 * Incoming thread (or the main thread when no main loop runs).
 *
 * Returns: false with @errp set when the stream is empty, foreign, of
 * another version, truncated, corrupt, or does not match this machine.
 */
bool qemu_loadvm_state(QEMUFile *f, GError **errp);

/*
 * Internal to the stream code: the VMDESC description of one device, as
 * a JSON object added to @b (a json-glib JsonBuilder).  Main loop thread.
 */
typedef struct _JsonBuilder JsonBuilder;
void vmstate_describe(JsonBuilder *b, const char *idstr,
                      uint32_t instance_id, const VMStateDescription *vmsd,
                      void *opaque);

#endif /* MIGRATION_SAVEVM_H */
