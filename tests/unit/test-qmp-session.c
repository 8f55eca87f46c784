/*
 * test-qmp-session: QMP and HMP sessions end to end over a socketpair.
 *
 * The monitor's side of the pair is an inherited-fd chardev (server=off),
 * the test is the client.  The system handlers (stop, cont, quit,
 * query-status, query-name, query-uuid) are stubs here.
 */
#include "util/osdep.h"
#include "util/coroutine.h"
#include "util/aio.h"
#include "util/error.h"
#include "util/main-loop.h"
#include "monitor/monitor.h"
#include "monitor/chardev.h"
#include "monitor/monitor-int.h"
#include "qapi/qmp-dispatch.h"
#include "qapi/qapi-commands-control.h"
#include "qapi/qapi-commands-misc.h"
#include "qapi/qapi-commands-run-state.h"
#include "qapi/qapi-commands-machine.h"
#include "qapi/qapi-events-run-state.h"
#include "tern-check.h"

#include <sys/socket.h>

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, " \
    "\"minor\": 0, \"major\": 10}, \"package\": \"" TERN_PACKAGE "\"}, " \
    "\"capabilities\": []}}"

/* ---- stubs of the system piece ---- */

static bool vm_running = true;

bool qmp_stop(GError **errp)
{
    if (vm_running) {
        vm_running = false;
        qapi_event_send_stop();
    }
    return true;
}

bool qmp_cont(GError **errp)
{
    if (!vm_running) {
        vm_running = true;
        qapi_event_send_resume();
    }
    return true;
}

bool qmp_quit(GError **errp)
{
    error_setg(errp, "quit is a stub");
    return false;
}

StatusInfo *qmp_query_status(GError **errp)
{
    StatusInfo *info = g_new0(StatusInfo, 1);

    info->running = vm_running;
    info->status = vm_running ? RUN_STATE_RUNNING : RUN_STATE_PAUSED;
    return info;
}

NameInfo *qmp_query_name(GError **errp)
{
    NameInfo *info = g_new0(NameInfo, 1);

    info->name = g_strdup("testvm");
    return info;
}

UuidInfo *qmp_query_uuid(GError **errp)
{
    UuidInfo *info = g_new0(UuidInfo, 1);

    info->UUID = g_strdup("00000000-0000-0000-0000-000000000000");
    return info;
}

/* ---- client side ---- */

static int client_fd = -1;
static GString *client_in;

static void client_send(const char *text)
{
    size_t len = strlen(text);

    while (len) {
        ssize_t n = send(client_fd, text, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EAGAIN) {
            g_main_context_iteration(NULL, false);
            continue;
        }
        ck_assert_int_gt(n, 0);
        text += n;
        len -= n;
    }
}

static void client_send_fd(const char *text, int fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = (void *)text, .iov_len = strlen(text) };
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = &ctl, .msg_controllen = sizeof(ctl),
    };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    ck_assert_int_eq(sendmsg(client_fd, &msg, 0), (ssize_t)strlen(text));
}

/* The next "\r\n"-terminated line from the monitor (without "\r\n"). */
static char *client_line(void)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    for (;;) {
        char *eol = strstr(client_in->str, "\r\n");
        char buf[4096];
        ssize_t n;

        if (eol) {
            char *line = g_strndup(client_in->str, eol - client_in->str);

            g_string_erase(client_in, 0, eol - client_in->str + 2);
            return line;
        }
        ck_assert_msg(g_get_monotonic_time() < deadline,
                      "no line; have '%s'", client_in->str);
        n = recv(client_fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
            g_string_append_len(client_in, buf, n);
            continue;
        }
        ck_assert_msg(n < 0 && errno == EAGAIN, "monitor hung up");
        g_main_context_iteration(NULL, false);
    }
}

static void expect_line(const char *want)
{
    g_autofree char *line = client_line();

    ck_assert_str_eq(line, want);
}

/* An event line: {"timestamp": {...}, "event": "NAME"} */
static void expect_event(const char *name)
{
    g_autofree char *line = client_line();
    g_autofree char *tail = g_strdup_printf("}, \"event\": \"%s\"}", name);

    ck_assert_msg(g_str_has_prefix(line, "{\"timestamp\": {\"seconds\": "),
                  "%s", line);
    ck_assert_msg(strstr(line, "\"microseconds\": "), "%s", line);
    ck_assert_msg(g_str_has_suffix(line, tail), "%s", line);
}

/* Send one request, check the one reply. */
static void exchange(const char *req, const char *want)
{
    client_send(req);
    expect_line(want);
}

static void setup(void)
{
    int sv[2];
    g_autofree char *fdstr = NULL;
    g_autoptr(JsonObject) chr = json_object_new();
    g_autoptr(JsonObject) mon = json_object_new();
    GError *err = NULL;
    static bool registered;

    ck_assert(qemu_init_main_loop(&err));
    monitor_init_globals();
    if (!registered) {
        /* once per process (CK_FORK=no runs every case in one) */
        qmp_init_marshal_control(qmp_get_commands());
        qmp_init_marshal_misc(qmp_get_commands());
        qmp_init_marshal_run_state(qmp_get_commands());
        registered = true;
    }
    vm_running = true;
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    client_fd = sv[0];
    client_in = g_string_new("");
    fdstr = g_strdup_printf("%d", sv[1]);
    json_object_set_string_member(chr, "backend", "socket");
    json_object_set_string_member(chr, "id", "qmp0");
    json_object_set_string_member(chr, "fd", fdstr);
    ck_assert_ptr_nonnull(chardev_new_from_opts(chr, &err));
    json_object_set_string_member(mon, "chardev", "qmp0");
    json_object_set_string_member(mon, "mode", "control");
    ck_assert(monitor_new_from_opts(mon, &err));
}

static void teardown(void)
{
    monitor_cleanup();
    close(client_fd);
    g_string_free(client_in, true);
}

static void negotiate(void)
{
    expect_line(GREETING);
    exchange("{\"execute\": \"qmp_capabilities\"}", "{\"return\": {}}");
}

START_TEST(test_greeting_and_negotiation)
{
    expect_line(GREETING);
    exchange("{\"execute\": \"query-version\", \"id\": 1}",
             "{\"id\": 1, \"error\": {\"class\": \"CommandNotFound\", "
             "\"desc\": \"Expecting capabilities negotiation with "
             "'qmp_capabilities'\"}}");
    exchange("{\"execute\": \"qmp_capabilities\", "
             "\"arguments\": {\"enable\": [\"oob\"]}}",
             "{\"error\": {\"class\": \"GenericError\", "
             "\"desc\": \"Capability oob not available\"}}");
    exchange("{\"execute\": \"qmp_capabilities\", \"id\": \"a\"}",
             "{\"return\": {}, \"id\": \"a\"}");
    exchange("{\"execute\": \"qmp_capabilities\"}",
             "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
             "\"Capabilities negotiation is already complete, command "
             "ignored\"}}");
    exchange("{\"execute\": \"query-version\"}",
             "{\"return\": {\"qemu\": {\"micro\": 0, \"minor\": 0, "
             "\"major\": 10}, \"package\": \"" TERN_PACKAGE "\"}}");
}
END_TEST

START_TEST(test_errors_recover)
{
    negotiate();
    exchange("{ \"execute\": }",
             "{\"error\": {\"class\": \"GenericError\", "
             "\"desc\": \"JSON parse error, expecting value\"}}");
    exchange("[1]", "{\"error\": {\"class\": \"GenericError\", "
             "\"desc\": \"QMP input must be a JSON object\"}}");
    exchange("{\"execute\": \"nosuch\", \"id\": [null, {}]}",
             "{\"id\": [null, {}], \"error\": {\"class\": "
             "\"CommandNotFound\", \"desc\": \"The command nosuch has not "
             "been found\"}}");
    exchange("{\"execute\":\"query-name\"}{\"execute\":\"query-name\"}",
             "{\"return\": {\"name\": \"testvm\"}}");
    expect_line("{\"return\": {\"name\": \"testvm\"}}");
}
END_TEST

START_TEST(test_event_before_reply)
{
    negotiate();
    client_send("{\"execute\": \"stop\", \"id\": 7}");
    expect_event("STOP");
    expect_line("{\"return\": {}, \"id\": 7}");
    /* no event when already stopped */
    exchange("{\"execute\": \"stop\"}", "{\"return\": {}}");
    client_send("{\"execute\": \"cont\"}");
    expect_event("RESUME");
    expect_line("{\"return\": {}}");
}
END_TEST

static gpointer emit_thread(gpointer opaque)
{
    for (int i = 0; i < 3; i++) {
        qapi_event_send_stop();
        qapi_event_send_resume();
    }
    return NULL;
}

START_TEST(test_event_from_thread)
{
    GThread *t;

    /* no events before negotiation */
    expect_line(GREETING);
    qapi_event_send_powerdown();
    exchange("{\"execute\": \"qmp_capabilities\"}", "{\"return\": {}}");
    t = g_thread_new("emit", emit_thread, NULL);
    g_thread_join(t);
    for (int i = 0; i < 3; i++) {
        expect_event("STOP");
        expect_event("RESUME");
    }
    exchange("{\"execute\": \"query-name\"}",
             "{\"return\": {\"name\": \"testvm\"}}");
}
END_TEST

START_TEST(test_pipelined_in_order)
{
    g_autoptr(GString) reqs = g_string_new("");

    negotiate();
    for (int i = 0; i < 500; i++) {
        g_string_append_printf(reqs, "{\"execute\": \"query-name\", "
                               "\"id\": %d}", i);
    }
    client_send(reqs->str);
    for (int i = 0; i < 500; i++) {
        g_autofree char *want = g_strdup_printf(
            "{\"return\": {\"name\": \"testvm\"}, \"id\": %d}", i);

        expect_line(want);
    }
}
END_TEST

START_TEST(test_getfd)
{
    int pipefd[2];

    negotiate();
    exchange("{\"execute\": \"getfd\", \"arguments\": {\"fdname\": \"f\"}}",
             "{\"error\": {\"class\": \"GenericError\", \"desc\": "
             "\"No file descriptor supplied via SCM_RIGHTS\"}}");
    ck_assert_int_eq(pipe(pipefd), 0);
    client_send_fd("{\"execute\": \"getfd\", "
                   "\"arguments\": {\"fdname\": \"1f\"}}", pipefd[0]);
    expect_line("{\"error\": {\"class\": \"GenericError\", \"desc\": "
                "\"Parameter 'fdname' expects a name not starting with a "
                "digit\"}}");
    client_send_fd("{\"execute\": \"getfd\", "
                   "\"arguments\": {\"fdname\": \"f\"}}", pipefd[0]);
    expect_line("{\"return\": {}}");
    exchange("{\"execute\": \"closefd\", \"arguments\": {\"fdname\": \"f\"}}",
             "{\"return\": {}}");
    exchange("{\"execute\": \"closefd\", \"arguments\": {\"fdname\": \"f\"}}",
             "{\"error\": {\"class\": \"GenericError\", \"desc\": "
             "\"File descriptor named 'f' not found\"}}");
    close(pipefd[0]);
    close(pipefd[1]);
}
END_TEST

START_TEST(test_fdsets)
{
    int pipefd[2];
    g_autofree char *line = NULL;

    negotiate();
    ck_assert_int_eq(pipe(pipefd), 0);
    client_send_fd("{\"execute\": \"add-fd\", \"arguments\": "
                   "{\"fdset-id\": -1}}", pipefd[0]);
    expect_line("{\"error\": {\"class\": \"GenericError\", \"desc\": "
                "\"Parameter 'fdset-id' expects a non-negative value\"}}");
    client_send_fd("{\"execute\": \"add-fd\", \"arguments\": "
                   "{\"opaque\": \"a\"}}", pipefd[0]);
    line = client_line();
    ck_assert_msg(strstr(line, "\"fdset-id\": 0"), "%s", line);
    client_send_fd("{\"execute\": \"add-fd\", \"arguments\": "
                   "{\"fdset-id\": 5}}", pipefd[1]);
    g_free(client_line());
    client_send("{\"execute\": \"query-fdsets\"}");
    g_free(line);
    line = client_line();
    ck_assert_msg(g_str_has_prefix(line, "{\"return\": [{\"fds\": [{\"fd\""),
                  "%s", line);
    ck_assert_msg(strstr(line, "\"fdset-id\": 5}, {\"fds\""), "%s", line);
    exchange("{\"execute\": \"remove-fd\", \"arguments\": "
             "{\"fdset-id\": 7}}",
             "{\"error\": {\"class\": \"GenericError\", \"desc\": "
             "\"File descriptor named 'fdset-id:7' not found\"}}");
    exchange("{\"execute\": \"remove-fd\", \"arguments\": "
             "{\"fdset-id\": 0, \"fd\": 9999}}",
             "{\"error\": {\"class\": \"GenericError\", \"desc\": "
             "\"File descriptor named 'fdset-id:0, fd:9999' not found\"}}");
    exchange("{\"execute\": \"remove-fd\", \"arguments\": "
             "{\"fdset-id\": 5}}", "{\"return\": {}}");
    exchange("{\"execute\": \"remove-fd\", \"arguments\": "
             "{\"fdset-id\": 0}}", "{\"return\": {}}");
    exchange("{\"execute\": \"query-fdsets\"}", "{\"return\": []}");
    close(pipefd[0]);
    close(pipefd[1]);
}
END_TEST

START_TEST(test_human_monitor_command)
{
    negotiate();
    exchange("{\"execute\": \"human-monitor-command\", "
             "\"arguments\": {\"command-line\": \"info version\"}}",
             "{\"return\": \"10.0.0" TERN_PACKAGE "\\r\\n\"}");
    exchange("{\"execute\": \"human-monitor-command\", "
             "\"arguments\": {\"command-line\": \"info status\"}}",
             "{\"return\": \"VM status: running\\r\\n\"}");
    exchange("{\"execute\": \"human-monitor-command\", "
             "\"arguments\": {\"command-line\": \"nosuch\"}}",
             "{\"return\": \"unknown command: 'nosuch'\\r\\n\"}");
    exchange("{\"execute\": \"human-monitor-command\", "
             "\"arguments\": {\"command-line\": \"info nosuch\"}}",
             "{\"return\": \"unknown command: 'info nosuch'\\r\\n\"}");
    exchange("{\"execute\": \"human-monitor-command\", "
             "\"arguments\": {\"command-line\": \"info status x\"}}",
             "{\"return\": \"status: extraneous characters at the end of "
             "line\\r\\nTry \\\"help info status\\\" for more "
             "information\\r\\n\"}");
    exchange("{\"execute\": \"human-monitor-command\", "
             "\"arguments\": {\"command-line\": \"help stop\"}}",
             "{\"return\": \"stop|s  -- stop emulation\\r\\n\"}");
    client_send("{\"execute\": \"human-monitor-command\", "
                "\"arguments\": {\"command-line\": \"s\"}}");
    expect_event("STOP");
    expect_line("{\"return\": \"\"}");
}
END_TEST

/* Chardev and -mon option errors (no fixture needed beyond globals). */
static void opts_fail(const char *const *kv, bool mon, const char *msg)
{
    g_autoptr(JsonObject) opts = json_object_new();
    GError *err = NULL;
    bool ok;

    for (int i = 0; kv[i]; i += 2) {
        json_object_set_string_member(opts, kv[i], kv[i + 1]);
    }
    ok = mon ? monitor_new_from_opts(opts, &err)
             : chardev_new_from_opts(opts, &err) != NULL;
    ck_assert(!ok);
    ck_assert_str_eq(err->message, msg);
    g_error_free(err);
}

START_TEST(test_option_errors)
{
    GError *err = NULL;

    opts_fail((const char *[]){ "backend", "socket", "path", "/x", NULL },
              false, "chardev: no id specified");
    opts_fail((const char *[]){ "backend", "bogus", "id", "x", NULL },
              false, "'bogus' is not a valid char driver name");
    opts_fail((const char *[]){ "backend", "socket", "id", "x",
                                "host", "h", NULL },
              false, "chardev: socket: no port given");
    opts_fail((const char *[]){ "backend", "socket", "id", "x", "path", "/p",
                                "host", "h", "port", "1", NULL },
              false, "None or one of 'path', 'fd' or 'host' option "
              "required.");
    opts_fail((const char *[]){ "backend", "socket", "id", "x", "path", "/p",
                                "wait", "off", NULL },
              false, "'wait' option is incompatible with socket in client "
              "connect mode");
    opts_fail((const char *[]){ "backend", "socket", "id", "x", "path", "/p",
                                "server", "maybe", NULL },
              false, "Parameter 'server' expects 'on' or 'off'");
    opts_fail((const char *[]){ "backend", "socket", "id", "x", "path", "/p",
                                "bogus", "1", NULL },
              false, "Invalid parameter 'bogus'");
    opts_fail((const char *[]){ "backend", "socket", "id", "qmp0",
                                "path", "/p", NULL },
              false, "Duplicate ID 'qmp0' for chardev");
    opts_fail((const char *[]){ "chardev", "nosuch", NULL },
              true, "chardev \"nosuch\" not found");
    opts_fail((const char *[]){ "chardev", "qmp0", "mode", "bogus", NULL },
              true, "Parameter 'mode' does not accept value 'bogus'");
    opts_fail((const char *[]){ "chardev", "qmp0", "pretty", "on", NULL },
              true, "'pretty' is not compatible with HMP monitors");
    opts_fail((const char *[]){ "chardev", "qmp0", "mode", "control", NULL },
              true, "Device 'qmp0' is in use");
    ck_assert(!monitor_new_compat("foo:bar", true, false, &err));
    ck_assert_str_eq(err->message, "'foo:bar' is not a valid char driver");
    g_clear_error(&err);
    ck_assert(monitor_new_compat("none", false, false, &err));
}
END_TEST

/* An HMP session on a second socketpair: banner, prompt, line editing. */
START_TEST(test_hmp_session)
{
    int sv[2];
    g_autofree char *fdstr = NULL;
    g_autoptr(JsonObject) chr = json_object_new();
    g_autoptr(JsonObject) mon = json_object_new();
    GError *err = NULL;
    int qmp_fd = client_fd;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fdstr = g_strdup_printf("%d", sv[1]);
    json_object_set_string_member(chr, "backend", "socket");
    json_object_set_string_member(chr, "id", "hmp0");
    json_object_set_string_member(chr, "fd", fdstr);
    ck_assert_ptr_nonnull(chardev_new_from_opts(chr, &err));
    json_object_set_string_member(mon, "chardev", "hmp0");
    ck_assert(monitor_new_from_opts(mon, &err));
    client_fd = sv[0];
    expect_line("QEMU 10.0.0 monitor - type 'help' for more information");
    /* typo erased with DEL, an arrow key skipped, CRLF line end */
    client_send("info statuz\x7fs\x1b[A\r\n");
    expect_line("(qemu) VM status: running");
    client_send("\nstop\ninfo status\n");
    expect_line("(qemu) (qemu) (qemu) VM status: paused");
    client_send("cont\rhelp cont\n");
    expect_line("(qemu) (qemu) cont|c  -- resume emulation");
    close(sv[0]);
    client_fd = qmp_fd;
    g_string_truncate(client_in, 0);
    /* the QMP client was not negotiated: it got no STOP/RESUME */
    negotiate();
    exchange("{\"execute\": \"query-status\"}",
             "{\"return\": {\"status\": \"running\", \"running\": true}}");
}
END_TEST

/* ---- coroutine commands ---- */

static Coroutine *yield_waiter;

/* x-test-yield: yields until x-test-wake schedules it again. */
static bool test_yield_cmd(JsonObject *args, JsonNode **ret, GError **errp)
{
    ck_assert(qemu_in_coroutine());
    yield_waiter = qemu_coroutine_self();
    qemu_coroutine_yield();
    yield_waiter = NULL;
    return true;
}

static bool test_wake_cmd(JsonObject *args, JsonNode **ret, GError **errp)
{
    if (!yield_waiter) {
        error_setg(errp, "nothing to wake");
        return false;
    }
    aio_co_schedule(qemu_get_aio_context(), yield_waiter);
    return true;
}

static void register_test_commands(void)
{
    if (!qmp_find_command(qmp_get_commands(), "x-test-yield")) {
        qmp_register_command(qmp_get_commands(), "x-test-yield",
                             test_yield_cmd, QCO_COROUTINE);
        qmp_register_command(qmp_get_commands(), "x-test-wake",
                             test_wake_cmd, QCO_NO_OPTIONS);
    }
}

/* A second session on its own socketpair; returns the client's fd. */
static int open_second_session(void)
{
    int sv[2];
    g_autofree char *fdstr = NULL;
    g_autoptr(JsonObject) chr = json_object_new();
    g_autoptr(JsonObject) mon = json_object_new();
    GError *err = NULL;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    fdstr = g_strdup_printf("%d", sv[1]);
    json_object_set_string_member(chr, "backend", "socket");
    json_object_set_string_member(chr, "id", "qmp1");
    json_object_set_string_member(chr, "fd", fdstr);
    ck_assert_ptr_nonnull(chardev_new_from_opts(chr, &err));
    json_object_set_string_member(mon, "chardev", "qmp1");
    json_object_set_string_member(mon, "mode", "control");
    ck_assert(monitor_new_from_opts(mon, &err));
    return sv[0];
}

START_TEST(test_coroutine_command)
{
    int first_fd = client_fd, second_fd;
    GString *first_in = client_in;

    register_test_commands();
    negotiate();
    /* the first session's command yields; its next request must wait */
    client_send("{\"execute\": \"x-test-yield\", \"id\": 1}"
                "{\"execute\": \"query-name\", \"id\": 2}");
    second_fd = open_second_session();
    client_fd = second_fd;
    client_in = g_string_new("");
    negotiate();
    /* the second session is served meanwhile, and wakes the first */
    while (!yield_waiter) {
        g_main_context_iteration(NULL, true);
    }
    exchange("{\"execute\": \"x-test-wake\"}", "{\"return\": {}}");
    g_string_free(client_in, true);
    close(second_fd);
    client_fd = first_fd;
    client_in = first_in;
    expect_line("{\"return\": {}, \"id\": 1}");
    expect_line("{\"return\": {\"name\": \"testvm\"}, \"id\": 2}");
}
END_TEST

START_TEST(test_coroutine_command_client_gone)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    register_test_commands();
    negotiate();
    client_send("{\"execute\": \"x-test-yield\"}");
    while (!yield_waiter) {
        g_main_context_iteration(NULL, true);
    }
    /* the client leaves while its command is suspended */
    close(client_fd);
    client_fd = socket(AF_UNIX, SOCK_STREAM, 0);   /* for teardown */
    while (g_main_context_iteration(NULL, false) &&
           g_get_monotonic_time() < deadline) {
        /* let the monitor notice the hang-up */
    }
    aio_co_schedule(qemu_get_aio_context(), yield_waiter);
    while (yield_waiter && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, true);
    }
    ck_assert_ptr_null(yield_waiter);
}
END_TEST

static Suite *qmp_session_suite(void)
{
    Suite *s = suite_create("qmp-session");
    struct {
        const char *name;
        const TTest *fn;
    } cases[] = {
        { "negotiation", test_greeting_and_negotiation },
        { "errors", test_errors_recover },
        { "events", test_event_before_reply },
        { "event-thread", test_event_from_thread },
        { "pipelined", test_pipelined_in_order },
        { "getfd", test_getfd },
        { "fdsets", test_fdsets },
        { "hmp", test_human_monitor_command },
        { "options", test_option_errors },
        { "hmp-session", test_hmp_session },
        { "coroutine-command", test_coroutine_command },
        { "coroutine-client-gone", test_coroutine_command_client_gone },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        TCase *tc = tcase_create(cases[i].name);

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, cases[i].fn);
        suite_add_tcase(s, tc);
    }
    return s;
}

TERN_CHECK_MAIN(qmp_session_suite)
