/*
 * hmp-cmds.c: the monitor's built-in HMP commands.  Each handler calls
 * the matching qmp_*() function and prints its result.  Main thread.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "monitor/monitor-int.h"
#include "monitor/hmp.h"
#include "qapi/qapi-commands-control.h"
#include "qapi/qapi-commands-misc.h"
#include "qapi/qapi-commands-run-state.h"

static void hmp_stop(Monitor *mon, JsonObject *args)
{
    GError *err = NULL;

    qmp_stop(&err);
    hmp_handle_error(mon, err);
}

static void hmp_cont(Monitor *mon, JsonObject *args)
{
    GError *err = NULL;

    qmp_cont(&err);
    hmp_handle_error(mon, err);
}

static void hmp_quit(Monitor *mon, JsonObject *args)
{
    GError *err = NULL;

    monitor_hmp_suspend(mon);
    qmp_quit(&err);
    hmp_handle_error(mon, err);
}

static void hmp_info_status(Monitor *mon, JsonObject *args)
{
    GError *err = NULL;
    g_autoptr(StatusInfo) info = qmp_query_status(&err);

    if (hmp_handle_error(mon, err)) {
        return;
    }
    if (info->running) {
        monitor_printf(mon, "VM status: running\n");
    } else if (info->status == RUN_STATE_PAUSED) {
        monitor_printf(mon, "VM status: paused\n");
    } else {
        monitor_printf(mon, "VM status: paused (%s)\n",
                       RunState_str(info->status));
    }
}

static void hmp_info_version(Monitor *mon, JsonObject *args)
{
    g_autoptr(VersionInfo) info = qmp_query_version(NULL);

    monitor_printf(mon, "%" PRId64 ".%" PRId64 ".%" PRId64 "%s\n",
                   info->qemu->major, info->qemu->minor, info->qemu->micro,
                   info->package);
}

static void hmp_info_name(Monitor *mon, JsonObject *args)
{
    GError *err = NULL;
    g_autoptr(NameInfo) info = qmp_query_name(&err);

    if (hmp_handle_error(mon, err)) {
        return;
    }
    if (info->name) {
        monitor_printf(mon, "%s\n", info->name);
    }
}

static const HMPCommand hmp_builtin_cmds[] = {
    {
        .name = "help|?",
        .args_type = "name:S?",
        .params = "[cmd]",
        .help = "show the help",
        .cmd = hmp_help_cmd,
    }, {
        .name = "stop|s",
        .args_type = "",
        .params = "",
        .help = "stop emulation",
        .cmd = hmp_stop,
    }, {
        .name = "cont|c",
        .args_type = "",
        .params = "",
        .help = "resume emulation",
        .cmd = hmp_cont,
    }, {
        .name = "quit|q",
        .args_type = "",
        .params = "",
        .help = "quit the emulator",
        .cmd = hmp_quit,
    },
};

static const HMPCommand hmp_builtin_info_cmds[] = {
    {
        .name = "version",
        .args_type = "",
        .params = "",
        .help = "show the version of QEMU",
        .cmd = hmp_info_version,
    }, {
        .name = "status",
        .args_type = "",
        .params = "",
        .help = "show the current VM status (running|paused)",
        .cmd = hmp_info_status,
    }, {
        .name = "name",
        .args_type = "",
        .params = "",
        .help = "show the current VM name",
        .cmd = hmp_info_name,
    },
};

void hmp_register_builtin_commands(void)
{
    hmp_register_commands(hmp_builtin_cmds, G_N_ELEMENTS(hmp_builtin_cmds));
    hmp_register_info_commands(hmp_builtin_info_cmds,
                               G_N_ELEMENTS(hmp_builtin_info_cmds));
}
