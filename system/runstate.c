/*
 * runstate.c: QEMU's run-state machine, VM change-state handlers, vm_stop()
 * and vm_start(), shutdown requests, and the QMP commands that drive them
 * (stop, cont, quit, query-status).
 */
#include "util/osdep.h"
#include "util/error.h"
#include "system/runstate.h"
#include "qapi/qapi-commands-control.h"
#include "qapi/qapi-commands-misc.h"
#include "qapi/qapi-commands-run-state.h"
#include "qapi/qapi-events-run-state.h"
#include "trace-system.h"

/*
 * The legal transitions (QEMU's runstate_transitions_def), one row per
 * source state.  Staying in the current state is always allowed.
 */
typedef struct RunStateTransition {
    RunState from;
    RunState to[RUN_STATE__MAX];
    size_t n_to;
} RunStateTransition;

#define RS(x) RUN_STATE_##x
#define ROW(f, ...) \
    { RS(f), { __VA_ARGS__ }, \
      sizeof((RunState[]){ __VA_ARGS__ }) / sizeof(RunState) }

static const RunStateTransition runstate_transitions[] = {
    ROW(PRELAUNCH, RS(INMIGRATE), RS(SUSPENDED), RS(RUNNING),
        RS(FINISH_MIGRATE)),
    ROW(DEBUG, RS(RUNNING), RS(FINISH_MIGRATE), RS(PRELAUNCH),
        RS(SUSPENDED)),
    ROW(INMIGRATE, RS(INTERNAL_ERROR), RS(IO_ERROR), RS(PAUSED),
        RS(RUNNING), RS(SHUTDOWN), RS(SUSPENDED), RS(WATCHDOG),
        RS(GUEST_PANICKED), RS(FINISH_MIGRATE), RS(PRELAUNCH),
        RS(POSTMIGRATE), RS(COLO)),
    ROW(INTERNAL_ERROR, RS(PAUSED), RS(FINISH_MIGRATE), RS(PRELAUNCH)),
    ROW(IO_ERROR, RS(RUNNING), RS(FINISH_MIGRATE), RS(PRELAUNCH)),
    ROW(PAUSED, RS(RUNNING), RS(FINISH_MIGRATE), RS(POSTMIGRATE),
        RS(PRELAUNCH), RS(COLO), RS(SUSPENDED)),
    ROW(POSTMIGRATE, RS(RUNNING), RS(FINISH_MIGRATE), RS(PRELAUNCH)),
    ROW(FINISH_MIGRATE, RS(RUNNING), RS(PAUSED), RS(POSTMIGRATE),
        RS(PRELAUNCH), RS(COLO), RS(INTERNAL_ERROR), RS(IO_ERROR),
        RS(SHUTDOWN), RS(SUSPENDED), RS(WATCHDOG), RS(GUEST_PANICKED)),
    ROW(RESTORE_VM, RS(RUNNING), RS(PRELAUNCH), RS(SUSPENDED)),
    ROW(COLO, RS(RUNNING), RS(PRELAUNCH), RS(SHUTDOWN)),
    ROW(RUNNING, RS(DEBUG), RS(INTERNAL_ERROR), RS(IO_ERROR), RS(PAUSED),
        RS(FINISH_MIGRATE), RS(RESTORE_VM), RS(SAVE_VM), RS(SHUTDOWN),
        RS(WATCHDOG), RS(GUEST_PANICKED), RS(COLO), RS(SUSPENDED)),
    ROW(SAVE_VM, RS(RUNNING), RS(SUSPENDED)),
    ROW(SHUTDOWN, RS(PAUSED), RS(FINISH_MIGRATE), RS(PRELAUNCH),
        RS(COLO)),
    ROW(SUSPENDED, RS(RUNNING), RS(FINISH_MIGRATE), RS(PRELAUNCH),
        RS(COLO), RS(PAUSED), RS(SAVE_VM), RS(RESTORE_VM), RS(SHUTDOWN)),
    ROW(WATCHDOG, RS(RUNNING), RS(FINISH_MIGRATE), RS(PRELAUNCH),
        RS(COLO)),
    ROW(GUEST_PANICKED, RS(RUNNING), RS(FINISH_MIGRATE), RS(PRELAUNCH)),
};

#undef ROW
#undef RS

struct VMChangeStateEntry {
    VMChangeStateHandler *cb;
    void *opaque;
    VMChangeStateEntry *prev, *next;
};

/* Written in the main loop thread only; read with atomics anywhere. */
static int current_run_state = RUN_STATE_PRELAUNCH;
static VMChangeStateEntry *vmcs_head, *vmcs_tail;
static bool autostart = true;
static bool vm_was_suspended;

/*
 * The pending shutdown request, set from any thread.  shutdown_lock
 * protects the four fields below; the first request wins.
 */
static GMutex shutdown_lock;
static bool shutdown_requested;
static ShutdownCause shutdown_cause;
static int shutdown_exit_code;
static int shutdown_signal;
static pid_t shutdown_pid;
static bool shutdown_event_sent;   /* main loop thread only */

RunState runstate_get(void)
{
    return g_atomic_int_get(&current_run_state);
}

bool runstate_check(RunState state)
{
    return runstate_get() == state;
}

bool runstate_is_running(void)
{
    return runstate_check(RUN_STATE_RUNNING);
}

bool runstate_is_live(RunState state)
{
    return state == RUN_STATE_RUNNING || state == RUN_STATE_SUSPENDED;
}

bool runstate_needs_reset(void)
{
    return runstate_check(RUN_STATE_INTERNAL_ERROR) ||
           runstate_check(RUN_STATE_SHUTDOWN);
}

bool runstate_is_valid_transition(RunState from, RunState to)
{
    if (from == to) {
        return true;
    }
    for (size_t i = 0; i < ARRAY_SIZE(runstate_transitions); i++) {
        const RunStateTransition *t = &runstate_transitions[i];

        if (t->from != from) {
            continue;
        }
        for (size_t j = 0; j < t->n_to; j++) {
            if (t->to[j] == to) {
                return true;
            }
        }
        return false;
    }
    return false;
}

void runstate_set(RunState new_state)
{
    RunState cur = runstate_get();

    g_assert(new_state >= 0 && new_state < RUN_STATE__MAX);
    trace_runstate_set(cur, RunState_str(cur), new_state,
                       RunState_str(new_state));
    if (cur == new_state) {
        return;
    }
    if (!runstate_is_valid_transition(cur, new_state)) {
        error_report("invalid runstate transition: '%s' -> '%s'",
                     RunState_str(cur), RunState_str(new_state));
        abort();
    }
    g_atomic_int_set(&current_run_state, new_state);
}

VMChangeStateEntry *qemu_add_vm_change_state_handler(VMChangeStateHandler *cb,
                                                     void *opaque)
{
    VMChangeStateEntry *e = g_new0(VMChangeStateEntry, 1);

    e->cb = cb;
    e->opaque = opaque;
    e->prev = vmcs_tail;
    if (vmcs_tail) {
        vmcs_tail->next = e;
    } else {
        vmcs_head = e;
    }
    vmcs_tail = e;
    return e;
}

void qemu_del_vm_change_state_handler(VMChangeStateEntry *e)
{
    if (e->prev) {
        e->prev->next = e->next;
    } else {
        vmcs_head = e->next;
    }
    if (e->next) {
        e->next->prev = e->prev;
    } else {
        vmcs_tail = e->prev;
    }
    g_free(e);
}

void vm_state_notify(bool running, RunState state)
{
    VMChangeStateEntry *e, *step;

    trace_vm_state_notify(running, state, RunState_str(state));
    /* Starting: registration order; stopping: reverse order. */
    for (e = running ? vmcs_head : vmcs_tail; e; e = step) {
        step = running ? e->next : e->prev;
        e->cb(e->opaque, running, state);
    }
}

int vm_stop(RunState state)
{
    RunState cur = runstate_get();

    if (!runstate_is_live(cur)) {
        return 0;
    }
    vm_was_suspended = cur == RUN_STATE_SUSPENDED;
    runstate_set(state);
    vm_state_notify(false, state);
    qapi_event_send_stop();
    return 0;
}

bool vm_prepare_start(void)
{
    RunState state;

    if (runstate_is_running()) {
        return false;
    }
    state = vm_was_suspended ? RUN_STATE_SUSPENDED : RUN_STATE_RUNNING;
    qapi_event_send_resume();
    runstate_set(state);
    vm_state_notify(true, state);
    vm_was_suspended = false;
    return true;
}

void vm_start(void)
{
    vm_prepare_start();
}

bool runstate_get_autostart(void)
{
    return autostart;
}

void runstate_set_autostart(bool value)
{
    autostart = value;
}

bool shutdown_cause_is_guest(ShutdownCause cause)
{
    return cause >= SHUTDOWN_CAUSE_GUEST_SHUTDOWN;
}

static void shutdown_request_locked(ShutdownCause cause, int exit_code,
                                    int signal, pid_t pid)
{
    trace_qemu_system_shutdown_request(cause);
    if (shutdown_requested) {
        return;
    }
    shutdown_requested = true;
    shutdown_cause = cause;
    shutdown_exit_code = exit_code;
    shutdown_signal = signal;
    shutdown_pid = pid;
}

void qemu_system_shutdown_request_with_code(ShutdownCause cause,
                                            int exit_code)
{
    g_mutex_lock(&shutdown_lock);
    shutdown_request_locked(cause, exit_code, 0, 0);
    g_mutex_unlock(&shutdown_lock);
    g_main_context_wakeup(NULL);
}

void qemu_system_shutdown_request(ShutdownCause cause)
{
    qemu_system_shutdown_request_with_code(cause, EXIT_SUCCESS);
}

void qemu_system_killed(int signal, pid_t pid)
{
    g_mutex_lock(&shutdown_lock);
    shutdown_request_locked(SHUTDOWN_CAUSE_HOST_SIGNAL, EXIT_SUCCESS,
                            signal, pid);
    g_mutex_unlock(&shutdown_lock);
    g_main_context_wakeup(NULL);
}

/* First element of /proc/PID/cmdline, or NULL. */
static char *pid_name(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", (int)pid);
    g_autofree char *contents = NULL;
    gsize len = 0;

    if (!g_file_get_contents(path, &contents, &len, NULL) || len == 0) {
        return NULL;
    }
    return g_strndup(contents, len);  /* stops at the first NUL */
}

static void kill_report(int sig, pid_t pid)
{
    if (!sig) {
        return;
    }
    if (pid == 0) {
        error_report("terminating on signal %d", sig);
    } else {
        g_autofree char *cmd = pid_name(pid);

        error_report("terminating on signal %d from pid %d (%s)", sig,
                     (int)pid, cmd ? cmd : "<unknown process>");
    }
}

/* Emit SHUTDOWN once per process. */
static void shutdown_emit(ShutdownCause cause)
{
    if (!shutdown_event_sent) {
        shutdown_event_sent = true;
        qapi_event_send_shutdown(shutdown_cause_is_guest(cause), cause);
    }
}

void qemu_system_shutdown_request_now(ShutdownCause cause)
{
    ShutdownCause first;

    qemu_system_shutdown_request(cause);
    g_mutex_lock(&shutdown_lock);
    first = shutdown_cause;
    g_mutex_unlock(&shutdown_lock);
    shutdown_emit(first);
}

bool main_loop_should_exit(int *status)
{
    bool requested;
    ShutdownCause cause;
    int sig;
    pid_t pid;

    g_mutex_lock(&shutdown_lock);
    requested = shutdown_requested;
    cause = shutdown_cause;
    sig = shutdown_signal;
    pid = shutdown_pid;
    *status = shutdown_exit_code;
    shutdown_signal = 0;    /* report the signal once */
    g_mutex_unlock(&shutdown_lock);

    if (!requested) {
        return false;
    }
    kill_report(sig, pid);
    shutdown_emit(cause);
    return true;
}

/* QMP commands */

bool qmp_stop(GError **errp)
{
    if (runstate_check(RUN_STATE_INMIGRATE)) {
        autostart = false;
    } else {
        vm_stop(RUN_STATE_PAUSED);
    }
    return true;
}

static bool (*cont_take_back)(GError **errp);

void runstate_set_cont_hook(bool (*take_back)(GError **errp))
{
    cont_take_back = take_back;
}

bool qmp_cont(GError **errp)
{
    if (runstate_needs_reset()) {
        error_setg(errp, "Resetting the Virtual Machine is required");
        return false;
    }
    if (runstate_check(RUN_STATE_SUSPENDED)) {
        return true;
    }
    if (runstate_check(RUN_STATE_FINISH_MIGRATE)) {
        error_setg(errp, "Migration is not finalized yet");
        return false;
    }
    if (runstate_check(RUN_STATE_INMIGRATE)) {
        autostart = true;
        return true;
    }
    /* after a completed outgoing migration the disks are the
     * destination's: take them back (nothing to do otherwise) */
    if (cont_take_back && !cont_take_back(errp)) {
        return false;
    }
    vm_start();
    return true;
}

bool qmp_quit(GError **errp)
{
    qemu_system_shutdown_request_now(SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    return true;
}

StatusInfo *qmp_query_status(GError **errp)
{
    StatusInfo *info = g_new0(StatusInfo, 1);

    info->status = runstate_get();
    info->running = info->status == RUN_STATE_RUNNING;
    return info;
}
