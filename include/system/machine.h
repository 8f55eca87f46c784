/*
 * machine.h: the configuration of the machine ternd models.
 *
 * The command line fills a MachineState once at start-up (machine type,
 * RAM size, CPU count, accelerator); later subsystems (RAM blocks, the
 * guest workload, migration) read it through current_machine_get().
 * Main loop thread only, except where a field says otherwise.
 */
#ifndef SYSTEM_MACHINE_H
#define SYSTEM_MACHINE_H

/* The accelerators tern knows. */
typedef enum AccelType {
    ACCEL_TYPE_SOFT,    /* built-in workload threads (QEMU's "tcg" slot) */
    ACCEL_TYPE_QTEST,   /* no workload: driven by the qtest protocol */
    ACCEL_TYPE__MAX,
} AccelType;

/* A machine type as listed by -machine help. */
typedef struct MachineClass {
    const char *name;        /* e.g. "tern" */
    const char *desc;        /* one line for -machine help */
    bool is_default;
    bool has_ram;            /* false for "none" */
    unsigned max_cpus;
} MachineClass;

typedef struct MachineState {
    const MachineClass *mc;  /* the resolved type (aliases resolved) */
    char *type_name;         /* the name as the user typed it */
    uint64_t ram_size;       /* bytes; 0 for "none" */
    uint64_t maxram_size;    /* bytes; == ram_size unless -m maxmem= */
    uint64_t ram_slots;
    unsigned smp_cpus;
    unsigned smp_max_cpus;
    AccelType accel;
    char *memory_backend;    /* -machine memory-backend=ID, or NULL */
} MachineState;

/**
 * machine_find_class:
 * @name: a machine name or alias ("tern", "none", "pc", "q35",
 *     "pc-i440fx-*", "pc-q35-*")
 *
 * Returns: (transfer none): the class, or NULL if @name is unknown.  Pure.
 */
const MachineClass *machine_find_class(const char *name);

/**
 * machine_default_class:
 *
 * Returns: (transfer none): the default machine class ("tern").
 */
const MachineClass *machine_default_class(void);

/**
 * machine_help:
 * @out: where to print
 *
 * Prints the `-machine help` listing (QEMU's format).
 */
void machine_help(FILE *out);

/**
 * accel_help:
 * @out: where to print
 *
 * Prints the `-accel help` listing (QEMU's format; qtest is hidden).
 */
void accel_help(FILE *out);

/**
 * accel_type_name:
 * @accel: an accelerator
 *
 * Returns: its canonical name ("soft", "qtest").
 */
const char *accel_type_name(AccelType accel);

/**
 * accel_find:
 * @name: an accelerator name ("soft", "tcg", "qtest", ...)
 * @accel: (out): the accelerator
 * @errp: error `invalid accelerator NAME` if unknown, or an error saying
 *     the accelerator is not available (kvm)
 *
 * Returns: whether @name names a usable accelerator.  Pure.
 */
bool accel_find(const char *name, AccelType *accel, GError **errp);

/**
 * current_machine_get:
 *
 * Returns: (transfer none): the machine configured at start-up, or NULL
 * before it is configured.  Main loop thread (read-only afterwards: any
 * thread once main() has started the loop).
 */
const MachineState *current_machine_get(void);

/**
 * current_machine_set:
 * @ms: (transfer full): the machine configuration
 *
 * Installs the machine; called once by main().  Main loop thread only.
 */
void current_machine_set(MachineState *ms);

/**
 * machine_state_free:
 * @ms: (transfer full) (nullable): a machine state
 */
void machine_state_free(MachineState *ms);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MachineState, machine_state_free)

#endif /* SYSTEM_MACHINE_H */
