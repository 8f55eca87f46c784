/*
 * trace.h: the tracing runtime (QEMU's trace-events, log backend, USDT).
 *
 * Every folder has a trace-events file; scripts/tracetool.py turns it into
 * trace-GROUP.h (one static inline trace_NAME() per event) and
 * trace-GROUP.c (the group's TraceEvent table, registered here by a
 * constructor).  A trace_NAME() call costs one relaxed load and a
 * predicted branch while its event is off (plus a USDT nop when built
 * with <sys/sdt.h>); once enabled it writes one line to the trace log:
 *
 *     TID@SECONDS.MICROSECONDS:NAME formatted message
 *
 * Threads: trace_NAME() and trace_log_printf() are safe from any thread;
 * each line is written with one write(2), so lines do not interleave.
 * Everything that changes state (enabling, the output file, option
 * parsing) is for the main thread.  Groups are registered before main().
 */
#ifndef UTIL_TRACE_H
#define UTIL_TRACE_H

#include "util/osdep.h"

/* One trace point; the generated trace-GROUP.c defines them. */
typedef struct TraceEvent {
    const char *name;
    /*
     * The enabled flag tested by trace_NAME(): written by the main thread,
     * read by every thread, both with relaxed atomics.
     */
    bool *dstate;
    /* false when built with the "disable" property: never traceable */
    bool sstate;
} TraceEvent;

/* Walks the registered events, optionally those matching a glob. */
typedef struct TraceEventIter {
    size_t group;
    size_t event;
    const char *pattern;
} TraceEventIter;

/**
 * trace_event_register_group:
 * @events: NULL-terminated array of events, static storage
 *
 * Adds a group of events (called by the constructor of trace-GROUP.c).
 * Thread: start-up only, before other threads exist.
 */
void trace_event_register_group(TraceEvent **events);

/**
 * trace_event_iter_init:
 * @iter: the iterator to set up
 * @pattern: (nullable): a glob (`*`, `?`) over names, or NULL for all
 *
 * Prepares @iter for trace_event_iter_next(); @pattern is borrowed and must
 * outlive the walk.
 */
void trace_event_iter_init(TraceEventIter *iter, const char *pattern);

/**
 * trace_event_iter_next:
 * @iter: an iterator set up by trace_event_iter_init()
 *
 * Returns: (transfer none) (nullable): the next matching event, in
 * registration order, or NULL at the end.
 */
TraceEvent *trace_event_iter_next(TraceEventIter *iter);

/**
 * trace_event_find:
 * @name: an exact event name
 *
 * Returns: (transfer none) (nullable): the event, or NULL if none has
 * that name.
 */
TraceEvent *trace_event_find(const char *name);

/**
 * trace_event_get_state:
 * @ev: an event
 *
 * Returns: whether @ev is currently enabled.  Any thread.
 */
bool trace_event_get_state(const TraceEvent *ev);

/**
 * trace_event_set_state:
 * @ev: an event
 * @enable: the new state
 *
 * Turns @ev on or off.  Main thread.
 *
 * Returns: false (and changes nothing) when @ev is not traceable because
 * it was built with the "disable" property.
 */
bool trace_event_set_state(TraceEvent *ev, bool enable);

/**
 * trace_enable_pattern:
 * @pattern: an event name or a glob (g_pattern_match_simple())
 * @enable: turn the matching events on (true) or off (false)
 *
 * Sets the state of every traceable event matching @pattern.  Prints
 * nothing.  Main thread.
 *
 * Returns: whether at least one traceable event matched.
 */
bool trace_enable_pattern(const char *pattern, bool enable);

/**
 * trace_enable_events_file:
 * @path: a file with one event name or glob per line
 * @errp: where to store an error
 *
 * Applies each line as `-trace` does: a leading `-` disables, `#` starts a
 * comment line, blank lines are skipped, surrounding blanks are ignored.
 * A line that matches no event prints a warning and is skipped.  Main
 * thread.
 *
 * Returns: false with @errp set if the file cannot be read (lines before
 * a read error stay applied).
 */
bool trace_enable_events_file(const char *path, GError **errp);

/**
 * trace_list_events:
 * @out: the stream to write to
 *
 * Writes every registered event name, one per line (`-trace help`).
 */
void trace_list_events(FILE *out);

/**
 * trace_set_output_file:
 * @path: (nullable): the log file to create or truncate; NULL for stderr
 * @errp: where to store an error
 *
 * Redirects the trace log.  Safe while other threads trace: a line goes
 * wholly to the old or to the new destination.  Main thread.
 *
 * Returns: false with @errp set (output unchanged) if @path cannot be
 * opened.
 */
bool trace_set_output_file(const char *path, GError **errp);

/**
 * trace_opt_is_help:
 * @optarg: the value of a -trace option
 *
 * Returns: whether @optarg asks for the event list (`help` or `?` as the
 * enable value); main() then exits 0 after trace_opt_parse() printed it.
 */
bool trace_opt_is_help(const char *optarg);

/**
 * trace_opt_parse:
 * @optarg: `[enable=]PATTERN[,events=FILE][,file=FILE]` (QemuOpts syntax:
 *     `,,` is a literal comma, a repeated key takes its last value)
 * @errp: where to store an error
 *
 * Applies one -trace option: file= redirects the log, enable= applies
 * PATTERN (a leading `-` disables; no match is a warning), events= applies
 * a file as trace_enable_events_file() does.  `help` or `?` as PATTERN
 * lists the events on stdout instead.  Main thread.
 *
 * Returns: false with @errp set on an unknown key or an unreadable file.
 */
bool trace_opt_parse(const char *optarg, GError **errp);

/**
 * trace_log_printf:
 * @fmt: "NAME " + the event's format + "\n"
 *
 * The log backend, called by the generated trace_NAME() when the event is
 * enabled: writes `TID@SECONDS.MICROSECONDS:` and the formatted text with
 * one write(2).  Any thread; output errors are ignored.
 */
void trace_log_printf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#endif /* UTIL_TRACE_H */
