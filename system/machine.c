/*
 * machine.c: machine types, their aliases and the accelerators.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "system/machine.h"

/* The most vCPU threads the tern machine runs. */
#define TERN_MAX_CPUS 255

static const MachineClass machine_classes[] = {
    {
        .name = "tern",
        .desc = "tern virtual machine",
        .is_default = true,
        .has_ram = true,
        .max_cpus = TERN_MAX_CPUS,
    },
    {
        .name = "none",
        .desc = "empty machine",
        .has_ram = false,
        .max_cpus = 1,
    },
};

/*
 * QEMU's x86 machine names, accepted so that QEMU command lines work.
 * A name ending in '*' is a prefix; only exact names are listed in help.
 */
typedef struct MachineAlias {
    const char *name;
    const char *target;
} MachineAlias;

static const MachineAlias machine_aliases[] = {
    { "pc", "tern" },
    { "q35", "tern" },
    { "pc-i440fx-*", "tern" },
    { "pc-q35-*", "tern" },
};

typedef struct AccelInfo {
    const char *name;
    AccelType type;
    bool available;   /* false: known to QEMU users, not built yet */
    bool hidden;      /* not listed by -accel help */
} AccelInfo;

static const AccelInfo accel_table[] = {
    { "soft", ACCEL_TYPE_SOFT, true, false },
    { "tcg", ACCEL_TYPE_SOFT, true, false },
    { "qtest", ACCEL_TYPE_QTEST, true, true },
    { "kvm", ACCEL_TYPE__MAX, false, true },
};

static MachineState *current_machine;

static const MachineClass *machine_class_by_name(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(machine_classes); i++) {
        if (g_str_equal(machine_classes[i].name, name)) {
            return &machine_classes[i];
        }
    }
    return NULL;
}

static bool alias_matches(const char *pattern, const char *name)
{
    size_t len = strlen(pattern);

    if (pattern[len - 1] == '*') {
        /* A prefix pattern needs at least one character after it. */
        return strlen(name) > len - 1 && !strncmp(pattern, name, len - 1);
    }
    return g_str_equal(pattern, name);
}

const MachineClass *machine_find_class(const char *name)
{
    const MachineClass *mc = machine_class_by_name(name);

    if (mc) {
        return mc;
    }
    for (size_t i = 0; i < ARRAY_SIZE(machine_aliases); i++) {
        if (alias_matches(machine_aliases[i].name, name)) {
            return machine_class_by_name(machine_aliases[i].target);
        }
    }
    return NULL;
}

const MachineClass *machine_default_class(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(machine_classes); i++) {
        if (machine_classes[i].is_default) {
            return &machine_classes[i];
        }
    }
    g_assert_not_reached();
}

void machine_help(FILE *out)
{
    fprintf(out, "Supported machines are:\n");
    for (size_t i = 0; i < ARRAY_SIZE(machine_classes); i++) {
        const MachineClass *mc = &machine_classes[i];

        /* An alias line comes just before its target, as in QEMU. */
        for (size_t j = 0; j < ARRAY_SIZE(machine_aliases); j++) {
            const MachineAlias *a = &machine_aliases[j];

            if (g_str_equal(a->target, mc->name) && !strchr(a->name, '*')) {
                fprintf(out, "%-20s %s (alias of %s)\n", a->name, mc->desc,
                        mc->name);
            }
        }
        fprintf(out, "%-20s %s%s\n", mc->name, mc->desc,
                mc->is_default ? " (default)" : "");
    }
}

void accel_help(FILE *out)
{
    fprintf(out, "Accelerators supported in QEMU binary:\n");
    for (size_t i = 0; i < ARRAY_SIZE(accel_table); i++) {
        if (!accel_table[i].hidden) {
            fprintf(out, "%s\n", accel_table[i].name);
        }
    }
}

const char *accel_type_name(AccelType accel)
{
    for (size_t i = 0; i < ARRAY_SIZE(accel_table); i++) {
        if (accel_table[i].type == accel) {
            return accel_table[i].name;
        }
    }
    g_assert_not_reached();
}

bool accel_find(const char *name, AccelType *accel, GError **errp)
{
    for (size_t i = 0; i < ARRAY_SIZE(accel_table); i++) {
        const AccelInfo *info = &accel_table[i];

        if (!g_str_equal(info->name, name)) {
            continue;
        }
        if (!info->available) {
            error_setg(errp, "failed to initialize %s: %s", name,
                       "not supported by tern yet");
            return false;
        }
        *accel = info->type;
        return true;
    }
    error_setg(errp, "invalid accelerator %s", name);
    return false;
}

const MachineState *current_machine_get(void)
{
    return current_machine;
}

void current_machine_set(MachineState *ms)
{
    machine_state_free(current_machine);
    current_machine = ms;
}

void machine_state_free(MachineState *ms)
{
    if (!ms) {
        return;
    }
    g_free(ms->type_name);
    g_free(ms->memory_backend);
    g_free(ms);
}
