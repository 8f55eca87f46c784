/*
 * test-runstate.c: the run-state machine, VM start/stop, shutdown requests
 * and the QMP commands stop, cont, quit, query-status, query-name,
 * query-uuid.
 *
 * Check forks every test, so each one starts in `prelaunch`.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "qapi/qmp-event.h"
#include "qapi/qapi-commands-control.h"
#include "qapi/qapi-commands-machine.h"
#include "qapi/qapi-commands-misc.h"
#include "qapi/qapi-commands-run-state.h"
#include "system/runstate.h"
#include "system/system.h"
#include "tern-check.h"

#include <signal.h>

/*
 * The transition table as the reference states it (QEMU 10.0's
 * runstate_transitions_def), written independently of system/runstate.c.
 */
static const char *const expected_table[] = {
    "prelaunch: inmigrate suspended running finish-migrate",
    "debug: running finish-migrate prelaunch suspended",
    "inmigrate: internal-error io-error paused running shutdown suspended "
    "watchdog guest-panicked finish-migrate prelaunch postmigrate colo",
    "internal-error: paused finish-migrate prelaunch",
    "io-error: running finish-migrate prelaunch",
    "paused: running finish-migrate postmigrate prelaunch colo suspended",
    "postmigrate: running finish-migrate prelaunch",
    "finish-migrate: running paused postmigrate prelaunch colo "
    "internal-error io-error shutdown suspended watchdog guest-panicked",
    "restore-vm: running prelaunch suspended",
    "colo: running prelaunch shutdown",
    "running: debug internal-error io-error paused finish-migrate "
    "restore-vm save-vm shutdown watchdog guest-panicked colo suspended",
    "save-vm: running suspended",
    "shutdown: paused finish-migrate prelaunch colo",
    "suspended: running finish-migrate prelaunch colo paused save-vm "
    "restore-vm shutdown",
    "watchdog: running finish-migrate prelaunch colo",
    "guest-panicked: running finish-migrate prelaunch",
};

static RunState state_by_name(const char *name)
{
    for (int i = 0; i < RUN_STATE__MAX; i++) {
        if (g_str_equal(RunState_str(i), name)) {
            return i;
        }
    }
    ck_abort_msg("unknown state '%s'", name);
    return RUN_STATE__MAX;
}

/* expected[from][to] from the text table. */
static void expected_matrix(bool m[RUN_STATE__MAX][RUN_STATE__MAX])
{
    memset(m, 0, sizeof(bool) * RUN_STATE__MAX * RUN_STATE__MAX);
    for (size_t i = 0; i < G_N_ELEMENTS(expected_table); i++) {
        g_auto(GStrv) words = g_strsplit(expected_table[i], " ", -1);
        g_autofree char *from_name = g_strndup(words[0],
                                               strlen(words[0]) - 1);
        RunState from = state_by_name(from_name);

        for (size_t j = 1; words[j]; j++) {
            m[from][state_by_name(words[j])] = true;
        }
    }
    for (int s = 0; s < RUN_STATE__MAX; s++) {
        m[s][s] = true;
    }
}

START_TEST(test_table_every_pair)
{
    bool m[RUN_STATE__MAX][RUN_STATE__MAX];

    expected_matrix(m);
    for (int from = 0; from < RUN_STATE__MAX; from++) {
        for (int to = 0; to < RUN_STATE__MAX; to++) {
            ck_assert_msg(runstate_is_valid_transition(from, to) == m[from][to],
                          "'%s' -> '%s': expected %s", RunState_str(from),
                          RunState_str(to), m[from][to] ? "legal" : "illegal");
        }
    }
}
END_TEST

START_TEST(test_initial_state)
{
    ck_assert_int_eq(runstate_get(), RUN_STATE_PRELAUNCH);
    ck_assert(runstate_check(RUN_STATE_PRELAUNCH));
    ck_assert(!runstate_is_running());
    ck_assert(!runstate_needs_reset());
}
END_TEST

START_TEST(test_set_legal_path)
{
    static const RunState path[] = {
        RUN_STATE_INMIGRATE, RUN_STATE_PAUSED, RUN_STATE_RUNNING,
        RUN_STATE_RUNNING, RUN_STATE_SUSPENDED, RUN_STATE_SAVE_VM,
        RUN_STATE_RUNNING, RUN_STATE_SHUTDOWN, RUN_STATE_PRELAUNCH,
        RUN_STATE_FINISH_MIGRATE, RUN_STATE_POSTMIGRATE, RUN_STATE_RUNNING,
        RUN_STATE_INTERNAL_ERROR,
    };

    for (size_t i = 0; i < G_N_ELEMENTS(path); i++) {
        runstate_set(path[i]);
        ck_assert_int_eq(runstate_get(), path[i]);
    }
    ck_assert(runstate_needs_reset());
}
END_TEST

/* Illegal transitions abort (the test runs in a forked child). */
static const RunState illegal[][2] = {
    { RUN_STATE_PRELAUNCH, RUN_STATE_PAUSED },
    { RUN_STATE_PRELAUNCH, RUN_STATE_SHUTDOWN },
    { RUN_STATE_RUNNING, RUN_STATE_PRELAUNCH },
    { RUN_STATE_SHUTDOWN, RUN_STATE_RUNNING },
    { RUN_STATE_SAVE_VM, RUN_STATE_PAUSED },
};

START_TEST(test_set_illegal_aborts)
{
    RunState from = illegal[_i][0];

    if (from != RUN_STATE_PRELAUNCH) {
        /* Reach the source state legally first. */
        runstate_set(RUN_STATE_RUNNING);
        runstate_set(from);
    }
    runstate_set(illegal[_i][1]);
}
END_TEST

/* Events and change-state handlers */

static GString *events;

static void record_event(const char *name, JsonObject *data)
{
    g_string_append(events, name);
    if (data && json_object_has_member(data, "reason")) {
        g_string_append_printf(events, "(%s,%s)",
            json_object_get_boolean_member(data, "guest") ? "guest" : "host",
            json_object_get_string_member(data, "reason"));
    }
    g_string_append_c(events, ' ');
}

static void events_setup(void)
{
    events = g_string_new("");
    qapi_event_set_emitter(record_event);
}

static void events_teardown(void)
{
    g_string_free(events, TRUE);
}

static void handler_cb(void *opaque, bool running, RunState state)
{
    g_string_append_printf(events, "%s:%d:%s ", (const char *)opaque,
                           running, RunState_str(state));
}

START_TEST(test_start_stop_events)
{
    VMChangeStateEntry *a = qemu_add_vm_change_state_handler(handler_cb, "a");
    VMChangeStateEntry *b = qemu_add_vm_change_state_handler(handler_cb, "b");

    vm_start();
    ck_assert(runstate_is_running());
    vm_start();                       /* already running: nothing */
    vm_stop(RUN_STATE_PAUSED);
    ck_assert(runstate_check(RUN_STATE_PAUSED));
    vm_stop(RUN_STATE_PAUSED);        /* not live: nothing */
    qemu_del_vm_change_state_handler(a);
    vm_start();
    qemu_del_vm_change_state_handler(b);
    ck_assert_str_eq(events->str,
                     "RESUME a:1:running b:1:running "
                     "b:0:paused a:0:paused STOP "
                     "RESUME b:1:running ");
}
END_TEST

START_TEST(test_qmp_stop_cont)
{
    GError *err = NULL;

    ck_assert(qmp_stop(&err));        /* prelaunch: silent */
    ck_assert(runstate_check(RUN_STATE_PRELAUNCH));
    ck_assert(qmp_cont(&err));
    ck_assert(runstate_is_running());
    ck_assert(qmp_cont(&err));        /* running: no event */
    ck_assert(qmp_stop(&err));
    ck_assert(runstate_check(RUN_STATE_PAUSED));
    ck_assert(qmp_stop(&err));        /* paused: silent */
    ck_assert(qmp_cont(&err));
    ck_assert_ptr_null(err);
    ck_assert_str_eq(events->str, "RESUME STOP RESUME ");
}
END_TEST

START_TEST(test_qmp_cont_errors)
{
    GError *err = NULL;

    runstate_set(RUN_STATE_RUNNING);
    runstate_set(RUN_STATE_SHUTDOWN);
    ck_assert(!qmp_cont(&err));
    ck_assert_str_eq(err->message, "Resetting the Virtual Machine is required");
    ck_assert_int_eq(error_get_class(err), ERROR_CLASS_GENERIC_ERROR);
    g_clear_error(&err);
    runstate_set(RUN_STATE_FINISH_MIGRATE);
    ck_assert(!qmp_cont(&err));
    ck_assert_str_eq(err->message, "Migration is not finalized yet");
    g_clear_error(&err);
    runstate_set(RUN_STATE_INTERNAL_ERROR);
    ck_assert(!qmp_cont(&err));
    g_clear_error(&err);
    ck_assert_str_eq(events->str, "");
}
END_TEST

START_TEST(test_qmp_inmigrate_autostart)
{
    GError *err = NULL;

    runstate_set(RUN_STATE_INMIGRATE);
    ck_assert(runstate_get_autostart());
    ck_assert(qmp_stop(&err));
    ck_assert(!runstate_get_autostart());
    ck_assert(qmp_cont(&err));
    ck_assert(runstate_get_autostart());
    ck_assert(runstate_check(RUN_STATE_INMIGRATE));
    ck_assert_str_eq(events->str, "");
}
END_TEST

START_TEST(test_suspended)
{
    GError *err = NULL;

    runstate_set(RUN_STATE_SUSPENDED);
    ck_assert(qmp_cont(&err));        /* suspended: nothing */
    ck_assert(runstate_check(RUN_STATE_SUSPENDED));
    ck_assert(qmp_stop(&err));        /* live: STOP */
    ck_assert(runstate_check(RUN_STATE_PAUSED));
    ck_assert(qmp_cont(&err));        /* back to suspended */
    ck_assert(runstate_check(RUN_STATE_SUSPENDED));
    ck_assert_str_eq(events->str, "STOP RESUME ");
}
END_TEST

START_TEST(test_query_status)
{
    GError *err = NULL;
    StatusInfo *info = qmp_query_status(&err);

    ck_assert_int_eq(info->status, RUN_STATE_PRELAUNCH);
    ck_assert(!info->running);
    qapi_free_StatusInfo(info);
    vm_start();
    info = qmp_query_status(&err);
    ck_assert_int_eq(info->status, RUN_STATE_RUNNING);
    ck_assert(info->running);
    qapi_free_StatusInfo(info);
}
END_TEST

/* Shutdown requests */

START_TEST(test_quit)
{
    GError *err = NULL;
    int status = -1;

    vm_start();
    g_string_truncate(events, 0);
    ck_assert(qmp_quit(&err));
    /* SHUTDOWN is out before the command returns (before its reply). */
    ck_assert_str_eq(events->str, "SHUTDOWN(host,host-qmp-quit) ");
    ck_assert(main_loop_should_exit(&status));
    ck_assert_int_eq(status, 0);
    ck_assert_str_eq(events->str, "SHUTDOWN(host,host-qmp-quit) ");
    ck_assert(runstate_is_running());  /* no STOP on exit */
}
END_TEST

static gpointer request_thread(gpointer opaque)
{
    qemu_system_shutdown_request_with_code(SHUTDOWN_CAUSE_HOST_ERROR, 1);
    qemu_system_shutdown_request(SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    return NULL;
}

START_TEST(test_request_from_thread)
{
    int status = -1;
    GThread *t;

    ck_assert(!main_loop_should_exit(&status));
    t = g_thread_new("req", request_thread, NULL);
    g_thread_join(t);
    ck_assert(main_loop_should_exit(&status));
    ck_assert_int_eq(status, 1);      /* the first request wins */
    ck_assert_str_eq(events->str, "SHUTDOWN(host,host-error) ");
}
END_TEST

START_TEST(test_signal_request)
{
    int status = -1;

    qemu_system_killed(SIGTERM, 0);
    ck_assert(main_loop_should_exit(&status));
    ck_assert_int_eq(status, 0);
    ck_assert_str_eq(events->str, "SHUTDOWN(host,host-signal) ");
}
END_TEST

START_TEST(test_guest_cause)
{
    ck_assert(!shutdown_cause_is_guest(SHUTDOWN_CAUSE_NONE));
    ck_assert(!shutdown_cause_is_guest(SHUTDOWN_CAUSE_HOST_UI));
    ck_assert(shutdown_cause_is_guest(SHUTDOWN_CAUSE_GUEST_SHUTDOWN));
    ck_assert(shutdown_cause_is_guest(SHUTDOWN_CAUSE_SNAPSHOT_LOAD));
}
END_TEST

/* Name and UUID */

START_TEST(test_name)
{
    GError *err = NULL;
    NameInfo *info = qmp_query_name(&err);

    ck_assert_ptr_null(info->name);
    qapi_free_NameInfo(info);
    qemu_set_vm_name("a,b");
    info = qmp_query_name(&err);
    ck_assert_str_eq(info->name, "a,b");
    qapi_free_NameInfo(info);
}
END_TEST

START_TEST(test_uuid)
{
    static const char *const bad[] = {
        "", "1234", "00000000-0000-0000-0000-00000000000",
        "00000000-0000-0000-0000-0000000000000", "0000000x-0000-0000-0000-"
        "000000000000", "00000000+0000-0000-0000-000000000000",
    };
    uint8_t u[QEMU_UUID_LEN];
    GError *err = NULL;
    UuidInfo *info = qmp_query_uuid(&err);
    g_autofree char *text = NULL;

    ck_assert_str_eq(info->UUID, "00000000-0000-0000-0000-000000000000");
    qapi_free_UuidInfo(info);
    ck_assert(qemu_uuid_parse("12345678-9ABC-def0-1234-56789abcdef0", u));
    ck_assert_int_eq(u[0], 0x12);
    ck_assert_int_eq(u[15], 0xf0);
    text = qemu_uuid_unparse(u);
    ck_assert_str_eq(text, "12345678-9abc-def0-1234-56789abcdef0");
    qemu_set_uuid(u);
    info = qmp_query_uuid(&err);
    ck_assert_str_eq(info->UUID, text);
    qapi_free_UuidInfo(info);
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        ck_assert_msg(!qemu_uuid_parse(bad[i], u), "accepted '%s'", bad[i]);
    }
}
END_TEST

static Suite *runstate_suite(void)
{
    Suite *s = suite_create("runstate");
    TCase *tc;

    tc = tcase_create("table");
    tcase_add_test(tc, test_table_every_pair);
    tcase_add_test(tc, test_initial_state);
    tcase_add_test(tc, test_set_legal_path);
    tcase_add_loop_test_raise_signal(tc, test_set_illegal_aborts, SIGABRT, 0,
                                     G_N_ELEMENTS(illegal));
    suite_add_tcase(s, tc);

    tc = tcase_create("vm-start-stop");
    tcase_add_checked_fixture(tc, events_setup, events_teardown);
    tcase_add_test(tc, test_start_stop_events);
    tcase_add_test(tc, test_qmp_stop_cont);
    tcase_add_test(tc, test_qmp_cont_errors);
    tcase_add_test(tc, test_qmp_inmigrate_autostart);
    tcase_add_test(tc, test_suspended);
    tcase_add_test(tc, test_query_status);
    suite_add_tcase(s, tc);

    tc = tcase_create("shutdown");
    tcase_add_checked_fixture(tc, events_setup, events_teardown);
    tcase_add_test(tc, test_quit);
    tcase_add_test(tc, test_request_from_thread);
    tcase_add_test(tc, test_signal_request);
    tcase_add_test(tc, test_guest_cause);
    suite_add_tcase(s, tc);

    tc = tcase_create("identity");
    tcase_add_test(tc, test_name);
    tcase_add_test(tc, test_uuid);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(runstate_suite)
