/*
 * guest-devices.c: the guest's devices with migratable state.
 *
 * - "cpu" (one instance per vCPU): an instruction counter and a fake
 *   program counter.  vCPU 0 runs the workload; the others stay halted.
 * - "tern-workload": the workload's settings and the writer's position,
 *   so a destination continues the same workload (post_load installs it).
 * - "tern-clock": the guest's run time in microsecond ticks and its offset
 *   from the host clock, with the optional subsection "tern-clock/epoch"
 *   (sent once the guest has ever run).
 *
 * Each device's description (VMState) is separate from the live object:
 * pre_save copies the live state into the described struct, post_load
 * validates it and installs it.  Main loop thread, guest stopped.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/timer.h"
#include "migration/vmstate.h"
#include "system/guest.h"
#include "system/runstate.h"

/* Fake address where vCPU 0's code would live. */
#define GUEST_CPU_PC_BASE UINT64_C(0xfff00000)

typedef struct GuestCPUState {
    uint32_t cpu_index;
    bool halted;
    uint64_t insns;
    uint64_t pc;
} GuestCPUState;

typedef struct GuestClockState {
    uint64_t ticks;          /* guest run time, microseconds */
    int64_t offset_ns;       /* guest time - host realtime, at save */
    uint64_t epoch_ns;       /* host realtime of the first start; 0 never */
} GuestClockState;

typedef struct GuestDevices {
    Workload *workload;
    unsigned ncpus;
    GuestCPUState *cpus;
    WorkloadState workload_st;   /* the described copy */
    GuestClockState clock;
    int64_t run_ns;              /* guest run time up to run_start */
    int64_t run_start_ns;        /* host clock at start; -1 stopped */
    VMChangeStateEntry *vmcs;
} GuestDevices;

static GuestDevices *guest_devs;

/* vCPU 0 mirrors the workload's counter; the others are halted. */
static bool cpu_pre_save(void *opaque, GError **errp)
{
    GuestCPUState *cpu = opaque;
    WorkloadState st;

    if (cpu->cpu_index == 0 && guest_devs->workload) {
        workload_get_state(guest_devs->workload, &st);
        cpu->insns = st.insns;
        cpu->pc = GUEST_CPU_PC_BASE + (st.insns % 4096) * 4;
    }
    return true;
}

static bool cpu_post_load(void *opaque, int version_id, GError **errp)
{
    GuestCPUState *cpu = opaque;
    unsigned expected = cpu - guest_devs->cpus;
    WorkloadState st;

    if (cpu->cpu_index != expected) {
        error_setg(errp, "cpu %u: stream has cpu index %" PRIu32, expected,
                   cpu->cpu_index);
        return false;
    }
    if (cpu->cpu_index == 0 && guest_devs->workload) {
        workload_get_state(guest_devs->workload, &st);
        st.insns = cpu->insns;
        return workload_set_state(guest_devs->workload, &st, errp);
    }
    return true;
}

static const VMStateField vmstate_cpu_fields[] = {
    VMSTATE_UINT32(cpu_index, GuestCPUState),
    VMSTATE_BOOL(halted, GuestCPUState),
    VMSTATE_UINT64(insns, GuestCPUState),
    VMSTATE_UINT64(pc, GuestCPUState),
    VMSTATE_END,
};

static const VMStateDescription vmstate_cpu = {
    .name = "cpu",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = cpu_pre_save,
    .post_load = cpu_post_load,
    .fields = vmstate_cpu_fields,
};

static bool workload_pre_save(void *opaque, GError **errp)
{
    workload_get_state(guest_devs->workload, opaque);
    return true;
}

/* Installs the migrated workload, keeping vCPU 0's counter. */
static bool workload_post_load(void *opaque, int version_id, GError **errp)
{
    WorkloadState *st = opaque;
    WorkloadState cur;

    workload_get_state(guest_devs->workload, &cur);
    st->insns = cur.insns;
    if (!workload_set_state(guest_devs->workload, st, errp)) {
        error_prepend(errp, "tern-workload: ");
        return false;
    }
    return true;
}

static const VMStateField vmstate_workload_fields[] = {
    VMSTATE_UINT64(ram_dirty_rate, WorkloadState),
    VMSTATE_UINT64(disk_write_rate, WorkloadState),
    VMSTATE_UINT64(seed, WorkloadState),
    VMSTATE_UINT32(pass, WorkloadState),
    VMSTATE_UINT32(block, WorkloadState),
    VMSTATE_UINT64(page, WorkloadState),
    VMSTATE_UINT64(pages_written, WorkloadState),
    VMSTATE_UINT64(fill_remaining, WorkloadState),
    VMSTATE_END,
};

static const VMStateDescription vmstate_workload = {
    .name = "tern-workload",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = workload_pre_save,
    .post_load = workload_post_load,
    .fields = vmstate_workload_fields,
};

/* Guest run time so far, in nanoseconds. */
static int64_t guest_clock_run_ns(GuestDevices *d)
{
    int64_t ns = d->run_ns;

    if (d->run_start_ns >= 0) {
        ns += qemu_clock_get_ns(QEMU_CLOCK_REALTIME) - d->run_start_ns;
    }
    return ns;
}

static bool clock_pre_save(void *opaque, GError **errp)
{
    GuestClockState *c = opaque;
    int64_t run_ns = guest_clock_run_ns(guest_devs);

    c->ticks = run_ns / 1000;
    c->offset_ns = run_ns - qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    return true;
}

static bool clock_post_load(void *opaque, int version_id, GError **errp)
{
    GuestClockState *c = opaque;

    if (c->ticks > INT64_MAX / 1000) {
        error_setg(errp, "tern-clock: tick count %" PRIu64 " out of range",
                   c->ticks);
        return false;
    }
    guest_devs->run_ns = c->ticks * 1000;
    return true;
}

static bool clock_epoch_needed(void *opaque)
{
    GuestClockState *c = opaque;

    return c->epoch_ns != 0;
}

static const VMStateField vmstate_clock_epoch_fields[] = {
    VMSTATE_UINT64(epoch_ns, GuestClockState),
    VMSTATE_END,
};

static const VMStateDescription vmstate_clock_epoch = {
    .name = "tern-clock/epoch",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = clock_epoch_needed,
    .fields = vmstate_clock_epoch_fields,
};

static const VMStateField vmstate_clock_fields[] = {
    VMSTATE_UINT64(ticks, GuestClockState),
    VMSTATE_INT64(offset_ns, GuestClockState),
    VMSTATE_END,
};

static const VMStateDescription *const vmstate_clock_subsections[] = {
    &vmstate_clock_epoch,
    NULL,
};

static const VMStateDescription vmstate_clock = {
    .name = "tern-clock",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = clock_pre_save,
    .post_load = clock_post_load,
    .fields = vmstate_clock_fields,
    .subsections = vmstate_clock_subsections,
};

static void guest_clock_change_state(void *opaque, bool running,
                                     RunState state)
{
    GuestDevices *d = opaque;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);

    if (running && d->run_start_ns < 0) {
        d->run_start_ns = now;
        if (!d->clock.epoch_ns) {
            d->clock.epoch_ns = g_get_real_time() * 1000;
        }
    } else if (!running && d->run_start_ns >= 0) {
        d->run_ns += now - d->run_start_ns;
        d->run_start_ns = -1;
    }
}

bool guest_devices_init(unsigned ncpus, Workload *w, GError **errp)
{
    GuestDevices *d = g_new0(GuestDevices, 1);

    guest_devs = d;
    d->workload = w;
    d->ncpus = ncpus;
    d->cpus = g_new0(GuestCPUState, ncpus);
    d->run_start_ns = -1;
    d->vmcs = qemu_add_vm_change_state_handler(guest_clock_change_state, d);
    for (unsigned i = 0; i < ncpus; i++) {
        d->cpus[i].cpu_index = i;
        d->cpus[i].halted = i != 0 || !w;
        if (!vmstate_register("cpu", i, &vmstate_cpu, &d->cpus[i], errp)) {
            return false;
        }
    }
    if (w && !vmstate_register("tern-workload", 0, &vmstate_workload,
                               &d->workload_st, errp)) {
        return false;
    }
    return vmstate_register("tern-clock", 0, &vmstate_clock, &d->clock,
                            errp);
}

void guest_devices_cleanup(void)
{
    GuestDevices *d = guest_devs;

    if (!d) {
        return;
    }
    vmstate_unregister(&vmstate_clock, &d->clock);
    if (d->workload) {
        vmstate_unregister(&vmstate_workload, &d->workload_st);
    }
    for (unsigned i = 0; i < d->ncpus; i++) {
        vmstate_unregister(&vmstate_cpu, &d->cpus[i]);
    }
    qemu_del_vm_change_state_handler(d->vmcs);
    g_free(d->cpus);
    g_free(d);
    guest_devs = NULL;
}
