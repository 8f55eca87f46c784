/*
 * guest.c: creating the machine's guest (RAM, workload, devices), keeping
 * the workload in step with the run state, and the QMP test hooks
 * x-guest-workload and x-query-guest-digest.
 *
 * The QMP handlers are coroutine commands: a fill waits for the writer
 * thread's callback (aio_co_wake) and a digest runs in the thread pool,
 * so the main loop keeps serving other monitors.
 */
#include "util/osdep.h"
#include "util/coroutine.h"
#include "util/error.h"
#include "util/main-loop.h"
#include "util/thread-pool.h"
#include "qapi/qapi-commands-guest.h"
#include "system/guest.h"
#include "system/guest-disk.h"
#include "system/memory-backend.h"
#include "system/runstate.h"
#include "trace-system.h"

/* Main loop thread only. */
static struct {
    bool has_ram;
    Workload *workload;          /* NULL: no guest, or qtest */
    VMChangeStateEntry *vmcs;
} guest;

static void guest_change_state(void *opaque, bool running, RunState state)
{
    /* Stopping waits until no page write is in progress. */
    workload_set_running(guest.workload, running);
}

bool guest_init(MachineState *ms, bool ram_size_set, GError **errp)
{
    if (!ms->mc->has_ram) {
        return true;
    }
    if (!machine_ram_init(ms->memory_backend, &ms->ram_size, ram_size_set,
                          errp)) {
        return false;
    }
    guest.has_ram = true;
    trace_guest_init(ms->ram_size, ms->smp_cpus);
    if (ms->accel == ACCEL_TYPE_SOFT) {
        guest.workload = workload_new(NULL, NULL);
        guest.vmcs = qemu_add_vm_change_state_handler(guest_change_state,
                                                      NULL);
    }
    return guest_devices_init(MAX(ms->smp_cpus, 1), guest.workload, errp);
}

void guest_cleanup(void)
{
    guest_disks_cleanup();
    guest_devices_cleanup();
    if (guest.vmcs) {
        qemu_del_vm_change_state_handler(guest.vmcs);
    }
    g_clear_pointer(&guest.workload, workload_free);
    ram_block_list_reset();
    memory_backend_reset();
    memset(&guest, 0, sizeof(guest));
}

Workload *guest_workload(void)
{
    return guest.workload;
}

static bool guest_check(GError **errp)
{
    if (!guest.has_ram) {
        error_setg(errp, "this machine has no guest");
        return false;
    }
    return true;
}

/* Writer thread: the fill the coroutine waits for is done. */
static void guest_fill_done_cb(void *opaque)
{
    aio_co_wake(opaque);
}

bool coroutine_fn qmp_x_guest_workload(bool has_ram_dirty_rate,
                                       int64_t ram_dirty_rate,
                                       bool has_disk_write_rate,
                                       int64_t disk_write_rate,
                                       bool has_fill, bool fill,
                                       bool has_seed, int64_t seed,
                                       GError **errp)
{
    Workload *w = guest.workload;

    if (!guest_check(errp)) {
        return false;
    }
    if (!w) {
        error_setg(errp, "the qtest accelerator runs no workload");
        return false;
    }
    if ((has_ram_dirty_rate && ram_dirty_rate < 0) ||
        (has_disk_write_rate && disk_write_rate < 0)) {
        error_setg(errp, "Parameter '%s' expects a non-negative value",
                   has_ram_dirty_rate && ram_dirty_rate < 0 ?
                   "ram-dirty-rate" : "disk-write-rate");
        return false;
    }
    workload_configure(w, has_ram_dirty_rate, ram_dirty_rate,
                       has_disk_write_rate, disk_write_rate, has_seed, seed);
    if (!has_fill || !fill) {
        return true;
    }
    if (qemu_in_coroutine() && workload_total_pages(w)) {
        workload_fill(w, guest_fill_done_cb, qemu_coroutine_self());
        qemu_coroutine_yield();
    } else {
        workload_fill(w, NULL, NULL);
    }
    return true;
}

typedef struct GuestDigestJob {
    char *ram;
    bool consistent;
} GuestDigestJob;

/* Worker thread. */
static int guest_digest_worker(void *opaque)
{
    GuestDigestJob *job = opaque;

    job->ram = guest_ram_digest(&job->consistent);
    return 0;
}

GuestDigest *coroutine_fn qmp_x_query_guest_digest(GError **errp)
{
    GuestDigestJob job = { 0 };
    GuestDigest *ret;
    WorkloadState st = { .pass = 1 };
    GuestDiskDigestList *disks = NULL;

    if (!guest_check(errp)) {
        return NULL;
    }
    if (qemu_in_coroutine() && !guest_disks_digest(&disks, errp)) {
        return NULL;
    }
    if (qemu_in_coroutine()) {
        thread_pool_submit_co(aio_get_thread_pool(qemu_get_aio_context()),
                              guest_digest_worker, &job);
    } else {
        guest_digest_worker(&job);
    }
    if (guest.workload) {
        workload_get_state(guest.workload, &st);
    }
    trace_qmp_x_query_guest_digest(job.ram, job.consistent);
    ret = g_new0(GuestDigest, 1);
    ret->ram = job.ram;
    ret->ram_consistent = job.consistent;
    ret->pages_written = st.pages_written;
    ret->passes = st.pass - 1;
    ret->disks = disks;
    return ret;
}
