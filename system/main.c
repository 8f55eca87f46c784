/*
 * main.c: ternd's main(): parse the command line, set the daemon up, run
 * the main loop until a shutdown request, clean up.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/main-loop.h"
#include "block/block.h"
#include "block/blockdev.h"
#include "monitor/chardev.h"
#include "monitor/monitor.h"
#include "migration/misc.h"
#include "system/guest.h"
#include "system/guest-disk.h"
#include "system/machine.h"
#include "system/memory-backend.h"
#include "system/runstate.h"
#include "system/system.h"
#include "system/user-creatable.h"
#include "cmdline-int.h"
#include "os-int.h"
#include "qmp-init-int.h"

/* Runs fn on each item with the item's option as the error location. */
static bool create_items(GPtrArray *items,
                         bool (*fn)(CmdlineItem *item, GError **errp),
                         GError **errp)
{
    for (guint i = 0; i < items->len; i++) {
        CmdlineItem *item = items->pdata[i];
        bool ok;

        error_set_location(item->loc);
        ok = fn(item, errp);
        error_set_location(NULL);
        if (!ok) {
            error_prepend(errp, "%s: ", item->loc);
            return false;
        }
    }
    return true;
}

static bool create_object(CmdlineItem *item, GError **errp)
{
    return user_creatable_add(item->opts, errp);
}

static bool create_chardev(CmdlineItem *item, GError **errp)
{
    return chardev_new_from_opts(item->opts, errp) != NULL;
}

static bool create_blockdev(CmdlineItem *item, GError **errp)
{
    return blockdev_add_opts(item->opts, errp);
}

/* -drive if=virtio also creates the guest device, as QEMU's. */
static bool create_drive(CmdlineItem *item, GError **errp)
{
    BlockInterfaceType type;
    BlockBackend *blk = drive_new(item->opts, &type, errp);

    if (!blk) {
        return false;
    }
    return type != IF_VIRTIO ||
           guest_disk_new("virtio-blk-pci", NULL, blk, errp);
}

static bool create_device(CmdlineItem *item, GError **errp)
{
    return guest_disk_new_from_opts(item->opts, errp);
}

/* Migration switchover on shared storage: drain the guest's requests,
 * flush, give up the write locks. */
static bool block_inactivate(GError **errp)
{
    bdrv_drain_all();
    return bdrv_inactivate_all(errp);
}

static bool block_activate(GError **errp)
{
    blockdev_set_open_inactive(false);
    return bdrv_activate_all(errp);
}

/* -blockdev, -drive, then -device, as QEMU creates them. */
static bool create_block_devices(CmdlineConfig *cfg, GError **errp)
{
    blockdev_set_open_inactive(cfg->incoming != NULL);
    migration_set_block_hooks(block_inactivate, block_activate);
    runstate_set_cont_hook(block_activate);
    return create_items(cfg->blockdevs, create_blockdev, errp) &&
           create_items(cfg->drives, create_drive, errp) &&
           create_items(cfg->devices, create_device, errp);
}

static bool create_monitors(CmdlineConfig *cfg, GError **errp)
{
    for (guint i = 0; i < cfg->monitors->len; i++) {
        CmdlineMonitor *mon = cfg->monitors->pdata[i];
        bool ok;

        error_set_location(mon->loc);
        if (mon->opts) {
            ok = monitor_new_from_opts(mon->opts, errp);
        } else {
            ok = monitor_new_compat(mon->dev, mon->qmp, mon->pretty, errp);
        }
        error_set_location(NULL);
        if (!ok) {
            error_prepend(errp, "%s: ", mon->loc);
            return false;
        }
    }
    /* -nographic puts the default human monitor on stdio. */
    if (cfg->nographic && cfg->default_monitor && !cfg->nodefaults) {
        return monitor_new_compat("stdio", false, false, errp);
    }
    return true;
}

/* Name, UUID and process name of the VM. */
static void apply_identity(CmdlineConfig *cfg)
{
    qemu_set_vm_name(cfg->name);
    if (cfg->uuid_set) {
        qemu_set_uuid(cfg->uuid);
    }
    if (cfg->process_name) {
        os_set_proc_name(cfg->process_name);
    }
}

/* The run state at the end of start-up (QEMU's qemu_machine_creation). */
static void start_vm(CmdlineConfig *cfg)
{
    if (cfg->start_paused) {
        runstate_set_autostart(false);
    }
    if (cfg->incoming) {
        runstate_set(RUN_STATE_INMIGRATE);
    } else if (!cfg->start_paused) {
        vm_start();
    }
}

/* -incoming URI is parsed at once: a bad URI is a bad command line. */
static bool parse_incoming(CmdlineConfig *cfg, GError **errp)
{
    if (cfg->incoming &&
        !migration_incoming_set_cmdline(cfg->incoming, errp)) {
        error_prepend(errp, "%s: ", cfg->incoming_loc);
        return false;
    }
    return true;
}

/* Whether monitor_init_globals() ran (so monitor_cleanup() may run). */
static bool monitors_initialized;

/* Shuts the daemon down (success or failed start-up). */
static void system_cleanup(CmdlineConfig *cfg)
{
    if (monitors_initialized) {
        migration_shutdown();
        monitor_cleanup();
    }
    guest_cleanup();
    if (monitors_initialized) {
        blockdev_close_all();
        bdrv_close_all();
    }
    os_signalfd_cleanup();
    qemu_unlink_pidfile();
    current_machine_set(NULL);
    cmdline_config_destroy(cfg);
}

/* Everything from daemonizing to a running VM and listening monitors. */
static bool system_start(CmdlineConfig *cfg, MachineState *ms,
                         GError **errp)
{
    if (cfg->daemonize && !os_daemonize(errp)) {
        return false;
    }
    if (cfg->pidfile && !qemu_write_pidfile(cfg->pidfile, errp)) {
        error_prepend(errp, "cannot create PID file: ");
        return false;
    }
    os_block_termination_signals();
    if (!qemu_init_main_loop(errp) || !os_signalfd_setup(errp)) {
        return false;
    }
    monitor_init_globals();
    monitors_initialized = true;
    system_register_qmp_commands();
    block_hmp_register();
    migration_init();
    apply_identity(cfg);
    if (!create_items(cfg->objects, create_object, errp) ||
        !guest_init(ms, cfg->ram_size_set, errp) ||
        !create_block_devices(cfg, errp) ||
        !create_items(cfg->chardevs, create_chardev, errp) ||
        !create_monitors(cfg, errp)) {
        return false;
    }
    start_vm(cfg);
    if (!migration_incoming_start_cmdline(errp)) {
        error_prepend(errp, "%s: ", cfg->incoming_loc);
        return false;
    }
    os_setup_post();
    return true;
}

int main(int argc, char **argv)
{
    CmdlineConfig cfg;
    GError *err = NULL;
    MachineState *ms;
    int status = EXIT_SUCCESS;

    error_set_progname(argv[0]);
    memory_backend_register_types();
    cmdline_config_init(&cfg);
    if (!cmdline_parse(&cfg, argc, argv, &err)) {
        goto fail;
    }
    if (cfg.exit_now) {
        cmdline_config_destroy(&cfg);
        return EXIT_SUCCESS;
    }
    ms = cmdline_build_machine(&cfg, &err);
    if (!ms) {
        goto fail;
    }
    current_machine_set(ms);
    if (!cmdline_check(&cfg, &err) || !parse_incoming(&cfg, &err) ||
        !system_start(&cfg, ms, &err)) {
        goto fail;
    }
    while (!main_loop_should_exit(&status)) {
        main_loop_wait(false);
    }
    system_cleanup(&cfg);
    return status;

fail:
    error_report_err(err);
    system_cleanup(&cfg);
    return EXIT_FAILURE;
}
