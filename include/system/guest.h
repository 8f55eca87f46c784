/*
 * guest.h: the machine's guest: RAM, the soft accelerator's workload and
 * the devices with migratable state.
 *
 * main() calls guest_init() once the -object backends exist and before the
 * VM starts; after it, the RAM-block list is fixed.  Main loop thread.
 */
#ifndef SYSTEM_GUEST_H
#define SYSTEM_GUEST_H

#include "util/osdep.h"
#include "system/machine.h"
#include "system/workload.h"

/**
 * guest_init:
 * @ms: the machine; its ram_size becomes the backend's size when -m was
 *     not given
 * @ram_size_set: whether -m was given
 * @errp: a RAM error (machine_ram_init()) or a device registration error
 *
 * Creates guest RAM, starts the workload (soft accelerator) and registers
 * the devices: "cpu" (one instance per vCPU), "tern-workload" (soft
 * accelerator only) and "tern-clock".  Does nothing for a machine without
 * RAM (-machine none).
 *
 * Returns: whether the guest was created.
 */
bool guest_init(MachineState *ms, bool ram_size_set, GError **errp);

/**
 * guest_cleanup:
 *
 * Stops the workload and releases guest RAM (process exit).
 */
void guest_cleanup(void);

/**
 * guest_workload:
 *
 * Returns: (transfer none) (nullable): the workload, NULL without a guest
 * or with the qtest accelerator.
 */
Workload *guest_workload(void);

/**
 * guest_devices_init:
 * @ncpus: number of vCPUs ("cpu" instances 0..ncpus-1)
 * @w: (nullable): the workload ("tern-workload" is registered with it)
 * @errp: a vmstate_register() error
 *
 * Registers the guest's devices with migration (guest-devices.c).
 *
 * Returns: whether every device was registered.
 */
bool guest_devices_init(unsigned ncpus, Workload *w, GError **errp);

/* Unregisters the devices and frees their state. */
void guest_devices_cleanup(void);

#endif /* SYSTEM_GUEST_H */
