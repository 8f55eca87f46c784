/*
 * hmp.h: the human monitor's command tables.
 *
 * Subsystems add their HMP commands at start-up; handlers parse nothing
 * themselves: the monitor parses the line with the command's args_type
 * (QEMU's mini-language) into a JsonObject and the handler calls the
 * matching qmp_*() function.  Main thread only.
 */
#ifndef MONITOR_HMP_H
#define MONITOR_HMP_H

#include "monitor/monitor.h"
#include "util/error.h"

/**
 * HMPCommandFunc:
 * @mon: the HMP monitor (print with monitor_printf)
 * @args: the parsed arguments, keyed by the names of args_type: strings,
 *        int64 numbers and booleans; absent optional arguments are absent
 */
typedef void HMPCommandFunc(Monitor *mon, JsonObject *args);

/*
 * One command.  args_type is "name:T,name:T?..." with T one of
 *   s  a word or a double-quoted string     S  the rest of the line
 *   F  a file name (as s)                   B  a block device name (as s)
 *   i  a 32-bit integer                     l  a 64-bit integer
 *   o  a size with an optional k/M/G/T suffix  b  on|off
 *   -X a flag "-X" (boolean, absent = false)
 * and "?" marks an optional argument.
 */
typedef struct HMPCommand {
    const char *name;       /* "stop|s": aliases separated by '|' */
    const char *args_type;
    const char *params;     /* shown by help */
    const char *help;
    HMPCommandFunc *cmd;
} HMPCommand;

/**
 * hmp_register_commands:
 * @cmds: a static table (borrowed for the life of the process)
 * @n: its length
 *
 * Add top-level commands.  A later registration of a name wins.
 */
void hmp_register_commands(const HMPCommand *cmds, size_t n);

/* Add `info` sub-commands (same rules). */
void hmp_register_info_commands(const HMPCommand *cmds, size_t n);

/**
 * hmp_handle_error:
 * @mon: the monitor
 * @err: (transfer full) (nullable): an error to print as "Error: MESSAGE"
 *
 * Returns: true when @err was set (and printed).
 */
bool hmp_handle_error(Monitor *mon, GError *err);

/**
 * hmp_parse_args:
 * @args_type: the command's args_type
 * @line: the text after the command name
 * @errp: error location
 *
 * Parse @line into an object; errors are the text printed after
 * "CMD: " (e.g. "extraneous characters at the end of line").
 * Any thread (pure function).
 *
 * Returns: a new object, or NULL with @errp set.
 */
JsonObject *hmp_parse_args(const char *args_type, const char *line,
                           GError **errp);

#endif /* MONITOR_HMP_H */
