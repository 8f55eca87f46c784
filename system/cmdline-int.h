/*
 * cmdline-int.h: ternd's command-line parser (system/ only).
 *
 * cmdline_parse() turns argv into a CmdlineConfig without side effects on
 * the process other than the informational options (-version, -help,
 * -machine help, ...), which print to cfg->out and set cfg->exit_now, and
 * -trace, which configures tracing at once as QEMU does.  main() then
 * applies the configuration.  Main thread only.
 */
#ifndef SYSTEM_CMDLINE_INT_H
#define SYSTEM_CMDLINE_INT_H

#include <json-glib/json-glib.h>
#include "system/machine.h"
#include "system/system.h"

/* A -chardev, -object or -mon argument, parsed, with its location. */
typedef struct CmdlineItem {
    char *loc;            /* the option as typed, e.g. "-chardev socket,..." */
    JsonObject *opts;     /* string leaves (QemuOpts) or JSON (-object) */
} CmdlineItem;

/* One monitor in command-line order: a -mon or a compat -qmp/-monitor. */
typedef struct CmdlineMonitor {
    char *loc;
    JsonObject *opts;     /* -mon: chardev=,mode=,pretty= ; else NULL */
    char *dev;            /* -qmp/-qmp-pretty/-monitor DEV ; else NULL */
    bool qmp;
    bool pretty;
} CmdlineMonitor;

/* One accelerator to try, in order. */
typedef struct CmdlineAccel {
    char *loc;
    char *name;
} CmdlineAccel;

typedef struct CmdlineConfig {
    FILE *out;                 /* informational output (stdout) */
    bool exit_now;             /* an informational option ran: exit 0 */

    JsonObject *machine_opts;  /* merged -machine keyval (string leaves) */
    char *machine_loc;         /* the last -machine, for messages */
    bool machine_accel_set;    /* -machine accel= was given */
    GPtrArray *accels;         /* CmdlineAccel, -accel / -machine accel= */
    bool accel_opt_set;        /* -accel was given */

    bool ram_size_set;
    uint64_t ram_size;
    uint64_t maxram_size;
    uint64_t ram_slots;
    unsigned smp_cpus;         /* 0: machine default */
    unsigned smp_max_cpus;

    char *name;                /* -name guest= */
    char *process_name;        /* -name process= */
    bool uuid_set;
    uint8_t uuid[QEMU_UUID_LEN];

    bool start_paused;         /* -S */
    bool daemonize;
    bool nodefaults;
    bool nographic;
    bool default_monitor;      /* cleared by -monitor/-qmp/-mon */
    char *pidfile;
    char *incoming;
    char *incoming_loc;

    GPtrArray *chardevs;       /* CmdlineItem */
    GPtrArray *objects;        /* CmdlineItem */
    GPtrArray *monitors;       /* CmdlineMonitor */
    GPtrArray *blockdevs;      /* CmdlineItem: -blockdev, keyval or JSON */
    GPtrArray *drives;         /* CmdlineItem: -drive, string leaves */
    GPtrArray *devices;        /* CmdlineItem: -device, string leaves */
} CmdlineConfig;

/**
 * cmdline_config_init:
 * @cfg: (out caller-allocates): the configuration to initialise to the
 *     defaults (128 MiB RAM, default machine, running, stdout output)
 */
void cmdline_config_init(CmdlineConfig *cfg);

/**
 * cmdline_config_destroy:
 * @cfg: a configuration; its members are freed, not @cfg itself
 */
void cmdline_config_destroy(CmdlineConfig *cfg);

/**
 * cmdline_parse:
 * @cfg: a configuration from cmdline_config_init()
 * @argc: argument count
 * @argv: arguments, argv[0] being the program
 * @errp: the first error, its message starting with the option as typed
 *     (`-m 1X: ...`, `-foo: invalid option`)
 *
 * Parses every option into @cfg (stops early when cfg->exit_now is set).
 *
 * Returns: true on success.
 */
bool cmdline_parse(CmdlineConfig *cfg, int argc, char **argv, GError **errp);

/**
 * cmdline_check:
 * @cfg: a parsed configuration
 * @errp: `-nographic cannot be used with -daemonize`
 *
 * Checks the combinations of options.
 *
 * Returns: true when the configuration can start.
 */
bool cmdline_check(CmdlineConfig *cfg, GError **errp);

/**
 * cmdline_build_machine:
 * @cfg: a parsed configuration
 * @errp: an error naming the culprit (unknown machine type or property,
 *     accelerator, CPU count)
 *
 * Resolves the machine type, its properties, RAM, CPUs and accelerator.
 * Failed accelerators before a working one are reported on stderr.
 *
 * Returns: (transfer full): the machine, or NULL on error.
 */
MachineState *cmdline_build_machine(CmdlineConfig *cfg, GError **errp);

/**
 * cmdline_usage:
 * @out: where to print
 *
 * Prints the usage listing of -help (every option).
 */
void cmdline_usage(FILE *out);

#endif /* SYSTEM_CMDLINE_INT_H */
