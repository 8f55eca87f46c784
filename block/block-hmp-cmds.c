/*
 * block-hmp-cmds.c: the block HMP commands: `info block` and
 * `qemu-io [-d] DEVICE "CMD"`, as QEMU's.  Main loop thread only.  Only
 * ternd links this file (it needs the monitor).
 */
#include "util/osdep.h"
#include "util/error.h"
#include "block/block_int.h"
#include "block/block-backend.h"
#include "block/blockdev.h"
#include "block/qemu-io.h"
#include "monitor/hmp.h"
#include "qapi/qapi-commands-block-core.h"

static const char *hmp_str(JsonObject *args, const char *key)
{
    return json_object_get_string_member_with_default(args, key, NULL);
}

/* QEMU's print_block_info(). */
static void print_block_info(Monitor *mon, BlockInfo *info,
                             BlockDeviceInfo *inserted)
{
    if (info && info->device[0]) {
        monitor_printf(mon, "%s", info->device);
        if (inserted && inserted->node_name) {
            monitor_printf(mon, " (%s)", inserted->node_name);
        }
    } else {
        /* a device's own backend: named after its node, or the device */
        monitor_printf(mon, "%s",
                       inserted && inserted->node_name ? inserted->node_name :
                       info && info->qdev ? info->qdev : "<anonymous>");
    }
    if (inserted) {
        monitor_printf(mon, ": %s (%s%s%s)\n", inserted->file, inserted->drv,
                       inserted->ro ? ", read-only" : "",
                       inserted->encrypted ? ", encrypted" : "");
    } else {
        monitor_printf(mon, ": [not inserted]\n");
    }
    if (info && info->qdev) {
        monitor_printf(mon, "    Attached to:      %s\n", info->qdev);
    }
    if (info && info->has_io_status &&
        info->io_status != BLOCK_DEVICE_IO_STATUS_OK) {
        monitor_printf(mon, "    I/O status:       %s\n",
                       BlockDeviceIoStatus_str(info->io_status));
    }
    if (!inserted) {
        return;
    }
    monitor_printf(mon, "    Cache mode:       %s%s%s\n",
                   inserted->cache->writeback ? "writeback" : "writethrough",
                   inserted->cache->direct ? ", direct" : "",
                   inserted->cache->no_flush ? ", ignore flushes" : "");
    if (inserted->backing_file) {
        monitor_printf(mon, "    Backing file:     %s (chain depth: %"
                       PRId64 ")\n", inserted->backing_file,
                       inserted->backing_file_depth);
    }
    if (inserted->detect_zeroes != BLOCKDEV_DETECT_ZEROES_OPTIONS_OFF) {
        monitor_printf(mon, "    Detect zeroes:    %s\n",
                       BlockdevDetectZeroesOptions_str(
                           inserted->detect_zeroes));
    }
}

static void hmp_info_block_nodes(Monitor *mon, const char *device)
{
    g_autoptr(GError) err = NULL;
    BlockDeviceInfoList *list = qmp_query_named_block_nodes(true, true,
                                                            &err);
    bool first = true;

    for (BlockDeviceInfoList *l = list; l; l = l->next) {
        if (device && g_strcmp0(device, l->value->node_name)) {
            continue;
        }
        if (!first) {
            monitor_printf(mon, "\n");
        }
        first = false;
        print_block_info(mon, NULL, l->value);
    }
    qapi_free_BlockDeviceInfoList(list);
}

static void hmp_info_block(Monitor *mon, JsonObject *args)
{
    const char *device = hmp_str(args, "device");
    bool nodes = json_object_get_boolean_member_with_default(args, "nodes",
                                                             false);
    g_autoptr(GError) err = NULL;
    BlockInfoList *list;
    bool first = true;

    if (nodes) {
        hmp_info_block_nodes(mon, device);
        return;
    }
    list = qmp_query_block(&err);
    for (BlockInfoList *l = list; l; l = l->next) {
        if (device && g_strcmp0(device, l->value->device)) {
            continue;
        }
        if (!first) {
            monitor_printf(mon, "\n");
        }
        first = false;
        print_block_info(mon, l->value, l->value->inserted);
    }
    qapi_free_BlockInfoList(list);
}

/* The backend HMP qemu-io works on; *tmp is set when it is temporary. */
static BlockBackend *hmp_qemu_io_blk(const char *device, bool qdev,
                                     BlockBackend **tmp, GError **errp)
{
    BlockDriverState *bs;
    BlockBackend *blk;

    if (qdev) {
        blk = blk_by_dev_id(device);
        if (!blk) {
            error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                      "Device '%s' not found", device);
        }
        return blk;
    }
    blk = blk_by_name(device);
    if (blk) {
        return blk;
    }
    bs = bdrv_lookup_bs(NULL, device, errp);
    if (!bs) {
        return NULL;
    }
    blk = blk_new(0, BLK_PERM_ALL);
    if (!blk_insert_bs(blk, bs, errp)) {
        blk_unref(blk);
        return NULL;
    }
    *tmp = blk;
    return blk;
}

typedef struct HMPQemuIo {
    const char *device;
    const char *command;
    bool qdev;
    GError *perm_err;       /* widening the permissions failed */
} HMPQemuIo;

typedef struct QemuIoPerm {
    const char *cmd;
    uint64_t perm;
} QemuIoPerm;

/* The permissions of qemu-io's commands (their .perm in QEMU). */
static const QemuIoPerm qemu_io_perms[] = {
    { "write", BLK_PERM_WRITE },
    { "w", BLK_PERM_WRITE },
    { "writev", BLK_PERM_WRITE },
    { "aio_write", BLK_PERM_WRITE },
    { "discard", BLK_PERM_WRITE },
    { "d", BLK_PERM_WRITE },
    { "aio_discard", BLK_PERM_WRITE },
    { "truncate", BLK_PERM_WRITE | BLK_PERM_RESIZE },
};

/* As QEMU's qemu-io: widen @blk's permissions for @command's needs (never
 * narrowed again). */
static bool qemu_io_widen_perm(BlockBackend *blk, const char *command,
                               GError **errp)
{
    const char *start = command + strspn(command, " \t");
    g_autofree char *word = g_strndup(start, strcspn(start, " \t"));
    uint64_t perm, shared;

    for (size_t i = 0; i < ARRAY_SIZE(qemu_io_perms); i++) {
        if (g_str_equal(word, qemu_io_perms[i].cmd)) {
            blk_get_perm(blk, &perm, &shared);
            if ((perm & qemu_io_perms[i].perm) == qemu_io_perms[i].perm) {
                return true;
            }
            return blk_set_perm(blk, perm | qemu_io_perms[i].perm, shared,
                                errp);
        }
    }
    return true;
}

/* Outside any coroutine: qemu-io's commands drain and poll. */
static bool hmp_qemu_io_fn(void *opaque, GError **errp)
{
    HMPQemuIo *q = opaque;
    BlockBackend *tmp = NULL;
    BlockBackend *blk = hmp_qemu_io_blk(q->device, q->qdev, &tmp, errp);

    if (!blk) {
        return false;
    }
    /* As QEMU's: output to the process stdout, the monitor gets "";
     * a permission conflict is reported on the monitor. */
    if (qemu_io_widen_perm(blk, q->command, &q->perm_err)) {
        qemuio_command(blk, q->command);
    }
    fflush(stdout);
    fflush(stderr);
    if (tmp) {
        blk_unref(tmp);
    }
    return true;
}

static void hmp_qemu_io(Monitor *mon, JsonObject *args)
{
    HMPQemuIo q = {
        .device = hmp_str(args, "device"),
        .command = hmp_str(args, "command"),
        .qdev = json_object_get_boolean_member_with_default(args, "qdev",
                                                            false),
    };
    GError *err = NULL;

    if (!blockdev_run_outside_co(hmp_qemu_io_fn, &q, &err)) {
        hmp_handle_error(mon, err);
    }
    if (q.perm_err) {
        monitor_printf(mon, "%s\n", q.perm_err->message);
        g_error_free(q.perm_err);
    }
}

static const HMPCommand block_hmp_cmds[] = {
    {
        .name = "qemu-io",
        .args_type = "qdev:-d,device:B,command:s",
        .params = "[-d] [device] \"[command]\"",
        .help = "run a qemu-io command on a block device\n\t\t\t"
                "-d: [device] is a device ID rather than a "
                "drive ID or node name",
        .cmd = hmp_qemu_io,
    },
};

static const HMPCommand block_hmp_info_cmds[] = {
    {
        .name = "block",
        .args_type = "nodes:-n,verbose:-v,device:B?",
        .params = "[-n] [-v] [device]",
        .help = "show info of one block device or all block devices "
                "(-n: show named nodes; -v: show details)",
        .cmd = hmp_info_block,
    },
};

void block_hmp_register(void)
{
    hmp_register_commands(block_hmp_cmds, G_N_ELEMENTS(block_hmp_cmds));
    hmp_register_info_commands(block_hmp_info_cmds,
                               G_N_ELEMENTS(block_hmp_info_cmds));
}
