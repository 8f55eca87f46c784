/*
 * migration-hmp-cmds.c: the human monitor's migration commands.  Each
 * parses its text into the QAPI types and calls the qmp_*() handler.
 * Main loop thread.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "monitor/hmp.h"
#include "qapi/qapi-commands-migration.h"
#include "qapi/qapi-visit-migration.h"
#include "migration.h"

/* QEMU's size_to_str(): "4 KiB", "1.5 GiB". */
static char *hmp_size_str(uint64_t v)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
                                         "PiB", "EiB" };
    unsigned i = 0;
    double d = (double)v;

    while (d >= 1024 && i + 1 < ARRAY_SIZE(units)) {
        d /= 1024;
        i++;
    }
    return i ? g_strdup_printf("%0.3g %s", d, units[i])
             : g_strdup_printf("%" PRIu64 " B", v);
}

static void hmp_info_migrate_ram(Monitor *mon, const MigrationStats *ram)
{
    g_autofree char *psize = hmp_size_str(ram->page_size);
    g_autofree char *total = hmp_size_str(ram->total);
    g_autofree char *transferred = hmp_size_str(ram->transferred);
    g_autofree char *remaining = hmp_size_str(ram->remaining);
    g_autofree char *precopy = hmp_size_str(ram->precopy_bytes);
    g_autofree char *multifd = hmp_size_str(ram->multifd_bytes);
    g_autofree char *postcopy = hmp_size_str(ram->postcopy_bytes);

    monitor_printf(mon, "RAM info:\n");
    monitor_printf(mon, "  Throughput (Mbps): \t%0.2f\n", ram->mbps);
    monitor_printf(mon, "  Sizes: \t\tpagesize=%s, total=%s\n",
                   psize, total);
    monitor_printf(mon, "  Transfers: \t\ttransferred=%s, remain=%s\n",
                   transferred, remaining);
    monitor_printf(mon, "    Channels: \t\tprecopy=%s, multifd=%s, "
                   "postcopy=%s\n", precopy, multifd, postcopy);
    monitor_printf(mon, "    Page Types: \tnormal=%" PRId64
                   ", zero=%" PRId64 "\n", ram->normal, ram->duplicate);
    monitor_printf(mon, "    Page Rates (pps): \ttransfer=%" PRIu64,
                   ram->pages_per_second);
    if (ram->dirty_pages_rate) {
        monitor_printf(mon, ", dirty=%" PRId64, ram->dirty_pages_rate);
    }
    monitor_printf(mon, "\n    Others: \t\tdirty_syncs=%" PRId64 "\n",
                   ram->dirty_sync_count);
}

static void hmp_info_migrate(Monitor *mon, JsonObject *args)
{
    g_autoptr(MigrationInfo) info = qmp_query_migrate(NULL);

    (void)args;
    if (!info->has_status) {
        return;
    }
    monitor_printf(mon, "Status: \t\t%s",
                   MigrationStatus_str(info->status));
    if (info->status == MIGRATION_STATUS_FAILED && info->error_desc) {
        monitor_printf(mon, " (%s)", info->error_desc);
    }
    monitor_printf(mon, "\n");
    if (info->has_total_time) {
        monitor_printf(mon, "Time (ms): \t\ttotal=%" PRId64,
                       info->total_time);
        if (info->has_setup_time) {
            monitor_printf(mon, ", setup=%" PRId64, info->setup_time);
        }
        if (info->has_expected_downtime) {
            monitor_printf(mon, ", exp_down=%" PRId64,
                           info->expected_downtime);
        }
        if (info->has_downtime) {
            monitor_printf(mon, ", down=%" PRId64, info->downtime);
        }
        monitor_printf(mon, "\n");
    }
    if (info->has_cpu_throttle_percentage) {
        monitor_printf(mon, "Throttle: \t\t%" PRId64 "%%\n",
                       info->cpu_throttle_percentage);
    }
    if (info->ram) {
        hmp_info_migrate_ram(mon, info->ram);
    }
}

static void hmp_info_migrate_capabilities(Monitor *mon, JsonObject *args)
{
    g_autoptr(MigrationCapabilityStatusList) caps =
        qmp_query_migrate_capabilities(NULL);

    (void)args;
    for (MigrationCapabilityStatusList *l = caps; l; l = l->next) {
        monitor_printf(mon, "%s: %s\n",
                       MigrationCapability_str(l->value->capability),
                       l->value->state ? "on" : "off");
    }
}

/* Prints one member of query-migrate-parameters' JSON with its unit. */
static void hmp_print_param(Monitor *mon, JsonObject *obj, const char *name)
{
    static const struct { const char *name, *unit; } units[] = {
        { "announce-initial", " ms" }, { "announce-max", " ms" },
        { "announce-step", " ms" }, { "max-bandwidth", " bytes/second" },
        { "avail-switchover-bandwidth", " bytes/second" },
        { "downtime-limit", " ms" }, { "x-checkpoint-delay", " ms" },
        { "xbzrle-cache-size", " bytes" },
        { "max-postcopy-bandwidth", " bytes/second" },
        { "cpu-throttle-initial", "%" }, { "cpu-throttle-increment", "%" },
        { "max-cpu-throttle", "%" }, { "throttle-trigger-threshold", "%" },
        { "x-vcpu-dirty-limit-period", " ms" },
        { "vcpu-dirty-limit", " MB/s" },
    };
    JsonNode *node = json_object_get_member(obj, name);
    const char *unit = "";

    if (!node) {
        return;
    }
    for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
        if (g_str_equal(units[i].name, name)) {
            unit = units[i].unit;
        }
    }
    if (json_node_get_value_type(node) == G_TYPE_STRING) {
        const char *v = json_node_get_string(node);

        if (g_str_has_prefix(name, "tls-")) {
            monitor_printf(mon, "%s: '%s'\n", name, v);
        } else {
            monitor_printf(mon, "%s: %s\n", name, v);
        }
    } else if (json_node_get_value_type(node) == G_TYPE_BOOLEAN) {
        monitor_printf(mon, "%s: %s\n", name,
                       json_node_get_boolean(node) ? "on" : "off");
    } else if (json_node_get_value_type(node) == G_TYPE_DOUBLE) {
        monitor_printf(mon, "%s: %" PRIu64 "%s\n", name,
                       (uint64_t)json_node_get_double(node), unit);
    } else {
        monitor_printf(mon, "%s: %" PRId64 "%s\n", name,
                       (int64_t)json_node_get_int(node), unit);
    }
}

static void hmp_info_migrate_parameters(Monitor *mon, JsonObject *args)
{
    g_autoptr(MigrationParameters) p = qmp_query_migrate_parameters(NULL);
    JsonNode *node = qapi_MigrationParameters_to_json(p);
    JsonObject *obj = json_node_get_object(node);

    (void)args;
    for (int i = 0; i < MIGRATION_PARAMETER__MAX; i++) {
        hmp_print_param(mon, obj, MigrationParameter_str(i));
    }
    json_node_unref(node);
}

static void hmp_migrate(Monitor *mon, JsonObject *args)
{
    const char *uri = json_object_get_string_member(args, "uri");
    bool detach = json_object_get_boolean_member_with_default(args, "detach",
                                                              false);
    GError *err = NULL;

    /* tern's HMP cannot suspend the monitor: both forms return at once. */
    qmp_migrate(uri, NULL, true, detach, false, false, &err);
    hmp_handle_error(mon, err);
}

static void hmp_migrate_incoming(Monitor *mon, JsonObject *args)
{
    GError *err = NULL;

    qmp_migrate_incoming(json_object_get_string_member(args, "uri"), NULL,
                         false, false, &err);
    hmp_handle_error(mon, err);
}

static void hmp_migrate_cancel(Monitor *mon, JsonObject *args)
{
    GError *err = NULL;

    (void)args;
    qmp_migrate_cancel(&err);
    hmp_handle_error(mon, err);
}

static void hmp_migrate_set_capability(Monitor *mon, JsonObject *args)
{
    const char *name = json_object_get_string_member(args, "capability");
    MigrationCapabilityStatus st = {
        .state = json_object_get_boolean_member(args, "state"),
    };
    MigrationCapabilityStatusList list = { .value = &st };
    GError *err = NULL;
    int cap = qapi_enum_parse(&MigrationCapability_lookup, name, -1, NULL);

    if (cap < 0) {
        error_setg(&err, "Parameter 'capability' does not accept value '%s'",
                   name);
    } else {
        st.capability = cap;
        qmp_migrate_set_capabilities(&list, &err);
    }
    hmp_handle_error(mon, err);
}

static void hmp_migrate_set_parameter(Monitor *mon, JsonObject *args)
{
    const char *name = json_object_get_string_member(args, "parameter");
    const char *value = json_object_get_string_member(args, "value");
    g_autoptr(MigrateSetParameters) p = NULL;
    GError *err = NULL;
    JsonObject *obj;
    JsonNode *node;

    if (qapi_enum_parse(&MigrationParameter_lookup, name, -1, NULL) < 0) {
        error_setg(&err, "Parameter 'parameter' does not accept value '%s'",
                   name);
        hmp_handle_error(mon, err);
        return;
    }
    obj = json_object_new();
    json_object_set_string_member(obj, name, value);
    node = json_node_init_object(json_node_alloc(), obj);
    json_object_unref(obj);
    p = qapi_MigrateSetParameters_from_json(node, QAPI_INPUT_KEYVAL, &err);
    json_node_unref(node);
    if (p) {
        qmp_migrate_set_parameters(p, &err);
    }
    hmp_handle_error(mon, err);
}

static const HMPCommand migration_hmp_cmds[] = {
    {
        .name = "migrate",
        .args_type = "detach:-d,uri:s",
        .params = "[-d] uri",
        .help = "migrate to URI (using -d to not wait for completion)",
        .cmd = hmp_migrate,
    }, {
        .name = "migrate_cancel",
        .args_type = "",
        .params = "",
        .help = "cancel the current VM migration",
        .cmd = hmp_migrate_cancel,
    }, {
        .name = "migrate_incoming",
        .args_type = "uri:s",
        .params = "uri",
        .help = "Continue an incoming migration from an -incoming defer",
        .cmd = hmp_migrate_incoming,
    }, {
        .name = "migrate_set_capability",
        .args_type = "capability:s,state:b",
        .params = "capability state",
        .help = "Enable/Disable the usage of a capability for migration",
        .cmd = hmp_migrate_set_capability,
    }, {
        .name = "migrate_set_parameter",
        .args_type = "parameter:s,value:s",
        .params = "parameter value",
        .help = "Set the parameter for migration",
        .cmd = hmp_migrate_set_parameter,
    },
};

static const HMPCommand migration_hmp_info_cmds[] = {
    {
        .name = "migrate",
        .args_type = "",
        .params = "",
        .help = "show migration status",
        .cmd = hmp_info_migrate,
    }, {
        .name = "migrate_capabilities",
        .args_type = "",
        .params = "",
        .help = "show current migration capabilities",
        .cmd = hmp_info_migrate_capabilities,
    }, {
        .name = "migrate_parameters",
        .args_type = "",
        .params = "",
        .help = "show current migration parameters",
        .cmd = hmp_info_migrate_parameters,
    },
};

void migration_hmp_init(void)
{
    hmp_register_commands(migration_hmp_cmds,
                          G_N_ELEMENTS(migration_hmp_cmds));
    hmp_register_info_commands(migration_hmp_info_cmds,
                               G_N_ELEMENTS(migration_hmp_info_cmds));
}
