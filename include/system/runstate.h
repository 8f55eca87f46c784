/*
 * runstate.h: the VM run state, VM change-state handlers, start/stop and
 * shutdown requests.
 *
 * The run state follows QEMU's RunState machine exactly (the legal
 * transitions are a table in system/runstate.c, see docs/devel/system.md).
 * Unless stated otherwise, every function here is main-loop-thread only.
 */
#ifndef SYSTEM_RUNSTATE_H
#define SYSTEM_RUNSTATE_H

#include "qapi/qapi-types-run-state.h"

/**
 * runstate_get:
 *
 * Returns: the current run state.  Any thread (the value may be stale).
 */
RunState runstate_get(void);

/**
 * runstate_check:
 * @state: a run state
 *
 * Returns: whether the current run state is @state.  Any thread.
 */
bool runstate_check(RunState state);

/**
 * runstate_is_running:
 *
 * Returns: whether the VM is in state `running`.  Any thread.
 */
bool runstate_is_running(void);

/**
 * runstate_is_live:
 * @state: a run state
 *
 * Returns: whether @state is a live state (`running` or `suspended`).
 */
bool runstate_is_live(RunState state);

/**
 * runstate_needs_reset:
 *
 * Returns: whether the VM must be reset before it can run again (states
 * `internal-error` and `shutdown`).
 */
bool runstate_needs_reset(void);

/**
 * runstate_is_valid_transition:
 * @from: current state
 * @to: wanted state
 *
 * Returns: whether the transition table allows @from -> @to.  Staying in
 * the same state is always allowed.  Pure; any thread.
 */
bool runstate_is_valid_transition(RunState from, RunState to);

/**
 * runstate_set:
 * @new_state: the state to enter
 *
 * Moves to @new_state.  Setting the current state again does nothing.  A
 * transition the table forbids is a programming error: it prints
 * `invalid runstate transition: 'A' -> 'B'` and aborts, as QEMU does.
 * Main loop thread only.  Does not notify handlers nor emit events (see
 * vm_stop() and vm_start()).
 */
void runstate_set(RunState new_state);

/**
 * VMChangeStateHandler:
 * @opaque: the pointer given at registration
 * @running: whether the VM now runs
 * @state: the new run state
 *
 * Called in the main loop thread after the VM started or stopped.
 */
typedef void VMChangeStateHandler(void *opaque, bool running, RunState state);
typedef struct VMChangeStateEntry VMChangeStateEntry;

/**
 * qemu_add_vm_change_state_handler:
 * @cb: the callback
 * @opaque: passed to @cb
 *
 * Registers @cb.  Handlers run in registration order when the VM starts
 * and in reverse order when it stops.  Main loop thread only.
 *
 * Returns: (transfer full): an entry for
 * qemu_del_vm_change_state_handler(); never NULL.
 */
VMChangeStateEntry *qemu_add_vm_change_state_handler(VMChangeStateHandler *cb,
                                                     void *opaque);

/**
 * qemu_del_vm_change_state_handler:
 * @e: (transfer full): an entry from qemu_add_vm_change_state_handler()
 *
 * Unregisters and frees @e.  May be called from inside a handler (for its
 * own entry).  Main loop thread only.
 */
void qemu_del_vm_change_state_handler(VMChangeStateEntry *e);

/**
 * vm_state_notify:
 * @running: whether the VM now runs
 * @state: the new run state
 *
 * Runs every change-state handler.  Main loop thread only.
 */
void vm_state_notify(bool running, RunState state);

/**
 * vm_stop:
 * @state: the stopped state to enter (e.g. RUN_STATE_PAUSED)
 *
 * Stops a live VM (running or suspended): enters @state, notifies the
 * handlers and emits STOP.  Does nothing when the VM is not live.  Main loop
 * thread only.
 *
 * Returns: 0 (kept int for QEMU compatibility of callers).
 */
int vm_stop(RunState state);

/**
 * vm_start:
 *
 * Starts the VM: emits RESUME, enters `running` and notifies the handlers.
 * Does nothing when it already runs.  Main loop thread only.
 */
void vm_start(void);

/**
 * vm_prepare_start:
 *
 * Returns: whether starting the VM is needed (false if already running).
 * Main loop thread only.
 */
bool vm_prepare_start(void);

/**
 * runstate_get_autostart / runstate_set_autostart:
 *
 * Whether the VM starts once an incoming migration completes (cleared by
 * -S and by `stop` during `inmigrate`, set by `cont`).  Main loop thread.
 */
bool runstate_get_autostart(void);
void runstate_set_autostart(bool autostart);

/**
 * runstate_set_cont_hook:
 * @take_back: (nullable): run by `cont` before the VM starts (not while
 *     an incoming migration waits): takes back disks an outgoing
 *     migration handed over; a failure fails `cont`
 *
 * ternd installs bdrv_activate_all(), as QEMU's `cont` calls it after a
 * completed migration.  At start-up, main loop thread.
 */
void runstate_set_cont_hook(bool (*take_back)(GError **errp));

/**
 * qemu_system_shutdown_request:
 * @cause: why
 *
 * Asks the main loop to end the process: it emits SHUTDOWN {guest, reason}
 * and leaves main_loop() with exit status 0.  Any thread; async-signal
 * unsafe.
 */
void qemu_system_shutdown_request(ShutdownCause cause);

/**
 * qemu_system_shutdown_request_with_code:
 * @cause: why
 * @exit_code: the process exit status to use (e.g. 1 after a failed
 *     incoming migration with exit-on-error)
 *
 * As qemu_system_shutdown_request().  Any thread.
 */
void qemu_system_shutdown_request_with_code(ShutdownCause cause,
                                            int exit_code);

/**
 * qemu_system_killed:
 * @signal: the signal number
 * @pid: the sender's pid, 0 if unknown
 *
 * Shutdown request from a host signal: the main loop prints
 * `terminating on signal N from pid P (CMD)` before the SHUTDOWN event.
 * Any thread (not from a signal handler).
 */
void qemu_system_killed(int signal, pid_t pid);

/**
 * qemu_system_shutdown_request_now:
 * @cause: why
 *
 * As qemu_system_shutdown_request() but emits SHUTDOWN right away, so that
 * the event precedes the reply of the command being executed (QMP `quit`).
 * Main loop thread only.
 */
void qemu_system_shutdown_request_now(ShutdownCause cause);

/**
 * main_loop_should_exit:
 * @status: (out): the exit status to use when true is returned
 *
 * Handles pending requests (emits SHUTDOWN once).  Main loop thread only.
 *
 * Returns: whether the main loop must end.
 */
bool main_loop_should_exit(int *status);

/**
 * shutdown_cause_is_guest:
 * @cause: a shutdown cause
 *
 * Returns: the `guest` member of SHUTDOWN/RESET for @cause.
 */
bool shutdown_cause_is_guest(ShutdownCause cause);

#endif /* SYSTEM_RUNSTATE_H */
