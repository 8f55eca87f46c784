/*
 * cmdline-machine.c: turn the parsed command line into a MachineState
 * (machine type and properties, RAM, CPUs, accelerator).
 */
#include "util/osdep.h"
#include "util/error.h"
#include "cmdline-int.h"

#define DEFAULT_ACCEL "soft"

static const char *machine_opts_str(JsonObject *opts, const char *key)
{
    JsonNode *node = json_object_get_member(opts, key);

    if (!node || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_STRING) {
        return NULL;
    }
    return json_node_get_string(node);
}

/* Every -machine key must be a property of the machine (and a string). */
static bool machine_check_props(const MachineClass *mc, JsonObject *opts,
                                GError **errp)
{
    static const char *const props[] = {
        "type", "accel", "memory-backend", NULL
    };
    GList *members = json_object_get_members(opts);
    bool ok = true;

    for (GList *l = members; l && ok; l = l->next) {
        const char *key = l->data;

        if (!g_strv_contains(props, key)) {
            error_setg(errp, "Property '%s-machine.%s' not found", mc->name,
                       key);
            ok = false;
        } else if (!machine_opts_str(opts, key)) {
            error_setg(errp, "Invalid parameter type for '%s', expected: "
                       "string", key);
            ok = false;
        }
    }
    g_list_free(members);
    return ok;
}

/* The accelerators to try in order, as (loc, name) pairs. */
static GPtrArray *accel_candidates(CmdlineConfig *cfg, GError **errp)
{
    const char *list = machine_opts_str(cfg->machine_opts, "accel");
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

    if (list && cfg->accel_opt_set) {
        error_setg(errp, "The -accel and \"-machine accel=\" options are "
                   "incompatible");
        g_ptr_array_unref(out);
        return NULL;
    }
    if (list) {
        g_auto(GStrv) names = g_strsplit(list, ":", -1);

        for (size_t i = 0; names[i]; i++) {
            g_ptr_array_add(out, g_strdup(cfg->machine_loc));
            g_ptr_array_add(out, g_strdup(names[i]));
        }
    } else {
        for (guint i = 0; i < cfg->accels->len; i++) {
            CmdlineAccel *acc = cfg->accels->pdata[i];

            g_ptr_array_add(out, g_strdup(acc->loc));
            g_ptr_array_add(out, g_strdup(acc->name));
        }
    }
    if (out->len == 0) {
        g_ptr_array_add(out, NULL);
        g_ptr_array_add(out, g_strdup(DEFAULT_ACCEL));
    }
    return out;
}

/*
 * Tries each accelerator in order, as QEMU does: failures before the one
 * that works are reported on stderr; the last failure is the error.
 */
static bool choose_accel(CmdlineConfig *cfg, AccelType *accel, GError **errp)
{
    g_autoptr(GPtrArray) cands = accel_candidates(cfg, errp);
    bool failed_before = false;

    if (!cands) {
        return false;
    }
    for (guint i = 0; i < cands->len; i += 2) {
        const char *loc = cands->pdata[i];
        const char *name = cands->pdata[i + 1];
        GError *err = NULL;

        if (accel_find(name, accel, &err)) {
            if (failed_before) {
                error_report("falling back to %s", name);
            }
            return true;
        }
        if (i + 2 >= cands->len) {
            if (loc) {
                error_prepend(&err, "%s: ", loc);
            }
            error_propagate(errp, err);
            return false;
        }
        error_set_location(loc);
        error_report_err(err);
        error_set_location(NULL);
        failed_before = true;
    }
    g_assert_not_reached();
}

static bool machine_set_cpus(MachineState *ms, CmdlineConfig *cfg,
                             GError **errp)
{
    ms->smp_cpus = cfg->smp_cpus ? cfg->smp_cpus : 1;
    ms->smp_max_cpus = MAX(cfg->smp_max_cpus, ms->smp_cpus);
    if (ms->smp_max_cpus > ms->mc->max_cpus) {
        error_setg(errp, "Invalid SMP CPUs %u. The max CPUs supported by "
                   "machine '%s' is %u", ms->smp_max_cpus, ms->mc->name,
                   ms->mc->max_cpus);
        return false;
    }
    return true;
}

MachineState *cmdline_build_machine(CmdlineConfig *cfg, GError **errp)
{
    const char *type = machine_opts_str(cfg->machine_opts, "type");
    const MachineClass *mc;
    g_autoptr(MachineState) ms = NULL;

    if (!type) {
        type = machine_default_class()->name;
    }
    mc = machine_find_class(type);
    if (!mc) {
        error_setg(errp, "unsupported machine type: \"%s\"\n"
                   "Use -machine help to list supported machines", type);
        return NULL;
    }
    if (!machine_check_props(mc, cfg->machine_opts, errp)) {
        return NULL;
    }
    ms = g_new0(MachineState, 1);
    ms->mc = mc;
    ms->type_name = g_strdup(type);
    ms->memory_backend =
        g_strdup(machine_opts_str(cfg->machine_opts, "memory-backend"));
    if (mc->has_ram) {
        ms->ram_size = cfg->ram_size;
        ms->maxram_size = cfg->maxram_size;
        ms->ram_slots = cfg->ram_slots;
    }
    if (!machine_set_cpus(ms, cfg, errp) ||
        !choose_accel(cfg, &ms->accel, errp)) {
        return NULL;
    }
    return g_steal_pointer(&ms);
}
