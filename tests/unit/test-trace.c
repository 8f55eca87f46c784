/*
 * test-trace: tracetool's generated code and the tracing runtime.
 *
 * The events come from tests/unit/trace-events-test (group "test").
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/trace.h"
#include "trace-test.h"

#include <pthread.h>

#include "tern-check.h"

#define LINE_HEAD "^([0-9]+)@([0-9]+)\\.([0-9]{6}):"

static char *tmp_dir;

static void setup(void)
{
    tmp_dir = g_dir_make_tmp("test-trace-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmp_dir);
    trace_enable_pattern("*", false);
    ck_assert(trace_set_output_file(NULL, NULL));
}

static void teardown(void)
{
    g_autoptr(GDir) dir = g_dir_open(tmp_dir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(tmp_dir, name, NULL);
        unlink(path);
    }
    rmdir(tmp_dir);
    g_clear_pointer(&tmp_dir, g_free);
}

/* A path in this test's temporary directory. */
static char *tmp_path(const char *name)
{
    return g_build_filename(tmp_dir, name, NULL);
}

static char *write_tmp(const char *name, const char *contents)
{
    char *path = tmp_path(name);

    ck_assert(g_file_set_contents(path, contents, -1, NULL));
    return path;
}

static char *read_file(const char *path)
{
    char *contents = NULL;

    ck_assert(g_file_get_contents(path, &contents, NULL, NULL));
    return contents;
}

/* Point the trace log at a fresh file of the temporary directory. */
static char *log_to_tmp(const char *name)
{
    g_autoptr(GError) err = NULL;
    char *path = tmp_path(name);

    ck_assert_msg(trace_set_output_file(path, &err), "%s",
                  err ? err->message : "");
    return path;
}

/* Redirect a descriptor (stdout, stderr) into a file while capturing. */
typedef struct Capture {
    int fd;
    int saved;
    char *path;
} Capture;

static void capture_begin(Capture *c, int fd)
{
    int file;

    c->fd = fd;
    c->path = tmp_path(fd == STDOUT_FILENO ? "stdout" : "stderr");
    file = open(c->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(file, 0);
    fflush(fd == STDOUT_FILENO ? stdout : stderr);
    c->saved = dup(fd);
    ck_assert_int_ge(dup2(file, fd), 0);
    close(file);
}

/* Returns what was written (caller frees) and restores the descriptor. */
static char *capture_end(Capture *c)
{
    char *text;

    fflush(c->fd == STDOUT_FILENO ? stdout : stderr);
    ck_assert_int_ge(dup2(c->saved, c->fd), 0);
    close(c->saved);
    text = read_file(c->path);
    g_free(c->path);
    return text;
}

static bool enabled(const char *name)
{
    TraceEvent *ev = trace_event_find(name);

    ck_assert_msg(ev != NULL, "no event '%s'", name);
    return trace_event_get_state(ev);
}

/* Enabling by name and glob */

START_TEST(test_enable_exact)
{
    ck_assert(!TRACE_TEST_U64_ENABLED());
    ck_assert(trace_enable_pattern("test_u64", true));
    ck_assert(TRACE_TEST_U64_ENABLED());
    ck_assert(enabled("test_u64"));
    ck_assert(!enabled("test_hex"));
    ck_assert(trace_enable_pattern("test_u64", false));
    ck_assert(!TRACE_TEST_U64_ENABLED());
}
END_TEST

START_TEST(test_enable_glob)
{
    ck_assert(trace_enable_pattern("test_s*", true));
    ck_assert(enabled("test_signed"));
    ck_assert(enabled("test_size"));
    ck_assert(enabled("test_string"));
    ck_assert(!enabled("test_u64"));
    ck_assert(!enabled("other_event"));
    ck_assert(trace_enable_pattern("test_?64", true));
    ck_assert(enabled("test_u64"));
    ck_assert(trace_enable_pattern("*", false));
    ck_assert(!enabled("test_signed"));
}
END_TEST

START_TEST(test_enable_no_match)
{
    ck_assert(!trace_enable_pattern("no_such_event", true));
    ck_assert(!trace_enable_pattern("zz*", true));
    ck_assert_ptr_null(trace_event_find("no_such_event"));
    ck_assert_ptr_null(trace_event_find("test_*"));
}
END_TEST

START_TEST(test_enable_disabled_property)
{
    TraceEvent *ev = trace_event_find("test_off");

    ck_assert_ptr_nonnull(ev);
    ck_assert(!ev->sstate);
    ck_assert(!trace_enable_pattern("test_off", true));
    ck_assert(!trace_event_set_state(ev, true));
    ck_assert(!trace_event_get_state(ev));
    /* A glob still enables the traceable events it covers. */
    ck_assert(trace_enable_pattern("test_o*", true) == false);
    ck_assert(trace_enable_pattern("*", true));
    ck_assert(!trace_event_get_state(ev));
    ck_assert(enabled("test_u64"));
}
END_TEST

/* The log backend */

START_TEST(test_log_format)
{
    g_autofree char *path = log_to_tmp("log");
    g_autofree char *text = NULL;
    g_autoptr(GRegex) re = g_regex_new(LINE_HEAD "test_u64 value "
                                       "18446744073709551615 what max\n$",
                                       0, 0, NULL);
    g_autoptr(GMatchInfo) match = NULL;
    gint64 before = g_get_real_time() / G_USEC_PER_SEC;
    gint64 after;

    trace_enable_pattern("test_u64", true);
    trace_test_u64(UINT64_MAX, "max");
    after = g_get_real_time() / G_USEC_PER_SEC;
    text = read_file(path);
    ck_assert_msg(g_regex_match(re, text, 0, &match), "line: %s", text);
    g_autofree char *tid = g_match_info_fetch(match, 1);
    g_autofree char *secs = g_match_info_fetch(match, 2);
    ck_assert_int_eq(atoi(tid), getpid());
    ck_assert_int_ge(g_ascii_strtoll(secs, NULL, 10), before);
    ck_assert_int_le(g_ascii_strtoll(secs, NULL, 10), after);
}
END_TEST

START_TEST(test_log_arg_types)
{
    g_autofree char *path = log_to_tmp("log");
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    static const char *const expected[] = {
        "test_hex flags 0x0000beef ptr (nil)",
        "test_signed a -1 b -9000000000 c 1",
        "test_size len 4096 ret -5",
        "test_string hello, world",
        "test_void ",
        "other_event byte 255 char x 100%",
    };

    trace_enable_pattern("*", true);
    trace_test_hex(0xbeef, NULL);
    trace_test_signed(-1, -9000000000LL, true);
    trace_test_size(4096, -5);
    trace_test_string("hello, world");
    trace_test_void();
    trace_test_off(7);
    trace_other_event(255, 'x');
    text = read_file(path);
    lines = g_strsplit(text, "\n", -1);
    ck_assert_int_eq(g_strv_length(lines), ARRAY_SIZE(expected) + 1);
    for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
        const char *colon = strchr(lines[i], ':');

        ck_assert_ptr_nonnull(colon);
        ck_assert_str_eq(colon + 1, expected[i]);
    }
    ck_assert_str_eq(lines[ARRAY_SIZE(expected)], "");
}
END_TEST

START_TEST(test_log_disabled_writes_nothing)
{
    g_autofree char *path = log_to_tmp("log");
    g_autofree char *text = NULL;

    trace_enable_pattern("test_u64", true);
    trace_enable_pattern("test_u64", false);
    trace_test_u64(1, "off");
    trace_test_off(1);
    trace_test_void();
    text = read_file(path);
    ck_assert_str_eq(text, "");
}
END_TEST

START_TEST(test_log_long_line)
{
    g_autofree char *path = log_to_tmp("log");
    g_autofree char *big = g_strnfill(5000, 'a');
    g_autofree char *text = NULL;
    g_autofree char *want = g_strconcat(":test_string ", big, "\n", NULL);

    trace_enable_pattern("test_string", true);
    trace_test_string(big);
    text = read_file(path);
    ck_assert(g_str_has_suffix(text, want));
    ck_assert_ptr_eq(strchr(text, '\n'), text + strlen(text) - 1);
}
END_TEST

START_TEST(test_log_keeps_errno)
{
    g_autofree char *path = log_to_tmp("log");

    trace_enable_pattern("test_void", true);
    errno = EPIPE;
    trace_test_void();
    ck_assert_int_eq(errno, EPIPE);
}
END_TEST

START_TEST(test_log_switch_files)
{
    g_autofree char *a = log_to_tmp("a");
    g_autofree char *b = NULL;
    g_autofree char *c = NULL;
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;

    trace_enable_pattern("test_string", true);
    trace_test_string("one");
    b = log_to_tmp("b");
    trace_test_string("two");
    ck_assert(trace_set_output_file(NULL, NULL));
    c = log_to_tmp("c");
    trace_test_string("three");
    text = read_file(a);
    ck_assert(g_str_has_suffix(text, ":test_string one\n"));
    g_free(text);
    text = read_file(b);
    ck_assert(g_str_has_suffix(text, ":test_string two\n"));
    g_free(text);
    text = read_file(c);
    ck_assert(g_str_has_suffix(text, ":test_string three\n"));
    ck_assert(!trace_set_output_file("/nonexistent/dir/log", &err));
    ck_assert_str_eq(err->message, "could not open trace file "
                     "'/nonexistent/dir/log': No such file or directory");
    trace_test_string("four");
    g_free(text);
    text = read_file(c);
    ck_assert(g_str_has_suffix(text, ":test_string four\n"));
}
END_TEST

#define THREADS 4
#define LINES_PER_THREAD 200

static void *log_thread(void *opaque)
{
    /* Long enough that torn lines would show, short and long buffers. */
    g_autofree char *text = g_strnfill(GPOINTER_TO_INT(opaque), 'x');

    for (int i = 0; i < LINES_PER_THREAD; i++) {
        trace_test_u64(i, text);
    }
    return NULL;
}

START_TEST(test_log_threads)
{
    g_autofree char *path = log_to_tmp("log");
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GRegex) re = g_regex_new(LINE_HEAD "test_u64 value [0-9]+ "
                                       "what x+$", 0, 0, NULL);
    pthread_t threads[THREADS];

    trace_enable_pattern("test_u64", true);
    for (int i = 0; i < THREADS; i++) {
        ck_assert_int_eq(pthread_create(&threads[i], NULL, log_thread,
                                        GINT_TO_POINTER(300 + i * 400)), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
    }
    text = read_file(path);
    lines = g_strsplit(text, "\n", -1);
    ck_assert_int_eq(g_strv_length(lines), THREADS * LINES_PER_THREAD + 1);
    for (int i = 0; i < THREADS * LINES_PER_THREAD; i++) {
        ck_assert_msg(g_regex_match(re, lines[i], 0, NULL), "torn line %d",
                      i);
    }
}
END_TEST

/* Events files */

START_TEST(test_events_file)
{
    g_autofree char *path = write_tmp("events",
                                      "# comment line\n"
                                      "test_s*\n"
                                      "\n"
                                      "   test_void   \n"
                                      "-test_size\n"
                                      "test_u64");
    g_autoptr(GError) err = NULL;

    ck_assert(trace_enable_events_file(path, &err));
    ck_assert_ptr_null(err);
    ck_assert(enabled("test_signed"));
    ck_assert(enabled("test_string"));
    ck_assert(!enabled("test_size"));
    ck_assert(enabled("test_void"));
    ck_assert(enabled("test_u64"));
    ck_assert(!enabled("test_hex"));
}
END_TEST

START_TEST(test_events_file_warnings)
{
    g_autofree char *path = write_tmp("events",
                                      "no_such_event\n"
                                      "test_off\n"
                                      "test_void\n");
    g_autofree char *out = NULL;
    Capture cap;

    error_set_progname("ternd");
    capture_begin(&cap, STDERR_FILENO);
    ck_assert(trace_enable_events_file(path, NULL));
    out = capture_end(&cap);
    ck_assert_str_eq(out,
                     "ternd: warning: trace event 'no_such_event' does not "
                     "exist\n"
                     "ternd: warning: trace event 'test_off' is not "
                     "traceable\n");
    ck_assert(enabled("test_void"));
}
END_TEST

START_TEST(test_events_file_missing)
{
    g_autoptr(GError) err = NULL;

    ck_assert(!trace_enable_events_file("/nonexistent/events", &err));
    ck_assert_str_eq(err->message, "could not open trace events file "
                     "'/nonexistent/events': No such file or directory");
    ck_assert(!trace_enable_events_file("/nonexistent/events", NULL));
}
END_TEST

/* trace_list_events */

START_TEST(test_list_events)
{
    static const char *const names[] = {
        "test_u64", "test_hex", "test_signed", "test_size", "test_string",
        "test_void", "test_off", "other_event",
    };
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    size_t size = 0;
    TraceEventIter iter;
    guint count = 0;
    FILE *f = open_memstream(&text, &size);

    trace_list_events(f);
    fclose(f);
    lines = g_strsplit(text, "\n", -1);
    trace_event_iter_init(&iter, NULL);
    while (trace_event_iter_next(&iter)) {
        count++;
    }
    ck_assert_int_eq(g_strv_length(lines), count + 1);
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        ck_assert_msg(g_strv_contains((const char *const *)lines, names[i]),
                      "'%s' not listed", names[i]);
    }
    trace_event_iter_init(&iter, "test_s*");
    count = 0;
    while (trace_event_iter_next(&iter)) {
        count++;
    }
    ck_assert_int_eq(count, 3);
}
END_TEST

/* The -trace option */

START_TEST(test_opt_enable)
{
    g_autoptr(GError) err = NULL;

    ck_assert(trace_opt_parse("test_u64", &err));
    ck_assert(enabled("test_u64"));
    ck_assert(trace_opt_parse("enable=test_s*", &err));
    ck_assert(enabled("test_signed"));
    ck_assert(enabled("test_size"));
    ck_assert(trace_opt_parse("-test_u64", &err));
    ck_assert(!enabled("test_u64"));
    ck_assert(trace_opt_parse("enable=test_hex,enable=test_void", &err));
    ck_assert(!enabled("test_hex"));
    ck_assert(enabled("test_void"));
    ck_assert(trace_opt_parse("", &err));
    ck_assert_ptr_null(err);
}
END_TEST

START_TEST(test_opt_events_and_file)
{
    g_autofree char *events = write_tmp("ev,ents", "test_string\n");
    g_autofree char *log = tmp_path("log");
    g_auto(GStrv) parts = g_strsplit(events, ",", -1);
    g_autofree char *escaped = g_strjoinv(",,", parts);
    g_autofree char *opt = NULL;
    g_autofree char *text = NULL;
    g_autoptr(GError) err = NULL;

    /* A comma in a file name is written ",," as in QemuOpts. */
    opt = g_strdup_printf("test_void,events=%s,file=%s", escaped, log);
    ck_assert_msg(trace_opt_parse(opt, &err), "%s", err ? err->message : "");
    ck_assert(enabled("test_void"));
    ck_assert(enabled("test_string"));
    trace_test_string("to the file");
    text = read_file(log);
    ck_assert(g_str_has_suffix(text, ":test_string to the file\n"));
}
END_TEST

START_TEST(test_opt_errors)
{
    static const struct {
        const char *opt;
        const char *message;
    } cases[] = {
        { "test_void,bogus=1", "Invalid parameter 'bogus'" },
        { "test_void,events", "Expected '=' after parameter 'events'" },
        { "enable=test_void,file", "Expected '=' after parameter 'file'" },
        { ",test_void", "Invalid parameter ''" },
        { "events=/nonexistent/ev", "could not open trace events file "
          "'/nonexistent/ev': No such file or directory" },
        { "test_void,file=/nonexistent/log", "could not open trace file "
          "'/nonexistent/log': No such file or directory" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autoptr(GError) err = NULL;

        ck_assert_msg(!trace_opt_parse(cases[i].opt, &err), "%s",
                      cases[i].opt);
        ck_assert_str_eq(err->message, cases[i].message);
        ck_assert(!trace_opt_parse(cases[i].opt, NULL));
    }
    ck_assert(!enabled("test_void"));
}
END_TEST

START_TEST(test_opt_warning)
{
    g_autofree char *out = NULL;
    Capture cap;

    error_set_progname("ternd");
    capture_begin(&cap, STDERR_FILENO);
    ck_assert(trace_opt_parse("test_u64,,x", NULL));
    ck_assert(trace_opt_parse("nothing*", NULL));
    out = capture_end(&cap);
    ck_assert_str_eq(out,
                     "ternd: warning: trace event 'test_u64,x' does not "
                     "exist\n"
                     "ternd: warning: trace event 'nothing*' does not "
                     "exist\n");
    ck_assert(!enabled("test_u64"));
}
END_TEST

START_TEST(test_opt_help)
{
    g_autofree char *out = NULL;
    g_autofree char *list = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&list, &size);
    Capture cap;

    ck_assert(trace_opt_is_help("help"));
    ck_assert(trace_opt_is_help("?"));
    ck_assert(trace_opt_is_help("enable=help"));
    ck_assert(!trace_opt_is_help("test_void"));
    ck_assert(!trace_opt_is_help("help,bogus=1"));
    ck_assert(!trace_opt_is_help(""));
    trace_list_events(f);
    fclose(f);
    capture_begin(&cap, STDOUT_FILENO);
    ck_assert(trace_opt_parse("help", NULL));
    out = capture_end(&cap);
    ck_assert_str_eq(out, list);
    ck_assert(!enabled("test_void"));
}
END_TEST

/* tracetool rejects bad trace-events files */

/* Run tracetool on @contents; return its exit status and stderr. */
static int run_tracetool(const char *contents, char **err_out,
                         char **events_path)
{
    g_autofree char *out_h = tmp_path("out.h");
    g_autofree char *out_c = tmp_path("out.c");
    char *events = write_tmp("trace-events", contents);
    const char *argv[] = {
        TEST_PYTHON, TEST_TRACETOOL, "--group", "bad", events, out_h, out_c,
        NULL,
    };
    g_autoptr(GError) err = NULL;
    int status = 0;

    unlink(out_h);
    ck_assert_msg(g_spawn_sync(NULL, (char **)argv, NULL,
                               G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                               err_out, &status, &err), "%s",
                  err ? err->message : "");
    *events_path = events;
    if (!WIFEXITED(status)) {
        return -1;
    }
    if (WEXITSTATUS(status) != 0) {
        ck_assert(!g_file_test(out_h, G_FILE_TEST_EXISTS));
    }
    return WEXITSTATUS(status);
}

START_TEST(test_tracetool_good)
{
    g_autofree char *err = NULL;
    g_autofree char *path = NULL;

    ck_assert_int_eq(run_tracetool("# c\n\nok(int a, const char *s) "
                                   "\"a %d s %s\"\n"
                                   "disable off(void) \"\"\n", &err, &path),
                     0);
    ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(test_tracetool_bad_lines)
{
    static const struct {
        const char *line;
        const char *message;
    } cases[] = {
        { "f(float x) \"x %d\"", "argument type 'float' is not allowed" },
        { "f(double x) \"x\"", "argument type 'double' is not allowed" },
        { "f(int x) \"x %f\"", "format '%f' is not allowed" },
        { "f(int x) \"x %g\"", "format '%g' is not allowed" },
        { "f(int x) \"x %d\\n\"", "must not end with a newline" },
        { "f(struct Foo *p) \"%p\"", "argument type 'struct Foo *'" },
        { "f(MyType t) \"%d\"", "argument type 'MyType' is not allowed" },
        { "f(int x, ) \"%d\"", "empty argument" },
        { "f() \"\"", "empty argument (did you forget to use 'void'?)" },
        { "f(int x) \"%d %d\"", "format takes 2 value(s) but the event has "
          "1 argument(s)" },
        { "f(int x) \"%m\"", "format '%m' is not allowed" },
        { "f(int x) \"%d\" junk", "format must be string literals and PRI "
          "macros" },
        { "bogus f(int x) \"%d\"", "unknown property 'bogus'" },
        { "f int x", "cannot parse event" },
        { "f(int x, int x) \"%d %d\"", "duplicate argument name 'x'" },
        { "ok(void) \"\"", "duplicate event 'ok' (first at line 2)" },
        { "f(int a, int b, int c, int d, int e, int f, int g, int h, int i, "
          "int j, int k) \"\"", "more than 10 arguments" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autofree char *contents = g_strdup_printf("# comment\n"
                                                    "ok(void) \"\"\n"
                                                    "%s\n", cases[i].line);
        g_autofree char *err = NULL;
        g_autofree char *path = NULL;
        g_autofree char *want = NULL;

        ck_assert_int_eq(run_tracetool(contents, &err, &path), 1);
        want = g_strdup_printf("%s:3: ", path);
        ck_assert_msg(g_str_has_prefix(err, want) &&
                      strstr(err, cases[i].message) != NULL,
                      "line '%s' gave '%s'", cases[i].line, err);
        ck_assert_msg(g_str_has_suffix(err, "\n") &&
                      strchr(err, '\n') == err + strlen(err) - 1,
                      "one line: '%s'", err);
    }
}
END_TEST

START_TEST(test_tracetool_no_final_newline)
{
    g_autofree char *err = NULL;
    g_autofree char *path = NULL;
    g_autofree char *want = NULL;

    ck_assert_int_eq(run_tracetool("ok(void) \"\"", &err, &path), 1);
    want = g_strdup_printf("%s:1: file does not end with a newline\n", path);
    ck_assert_str_eq(err, want);
}
END_TEST

static TCase *trace_tcase(const char *name)
{
    TCase *tc = tcase_create(name);

    tcase_add_checked_fixture(tc, setup, teardown);
    return tc;
}

static Suite *trace_suite(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = trace_tcase("enable");

    tcase_add_test(tc, test_enable_exact);
    tcase_add_test(tc, test_enable_glob);
    tcase_add_test(tc, test_enable_no_match);
    tcase_add_test(tc, test_enable_disabled_property);
    suite_add_tcase(s, tc);

    tc = trace_tcase("log");
    tcase_add_test(tc, test_log_format);
    tcase_add_test(tc, test_log_arg_types);
    tcase_add_test(tc, test_log_disabled_writes_nothing);
    tcase_add_test(tc, test_log_long_line);
    tcase_add_test(tc, test_log_keeps_errno);
    tcase_add_test(tc, test_log_switch_files);
    tcase_add_test(tc, test_log_threads);
    suite_add_tcase(s, tc);

    tc = trace_tcase("events-file");
    tcase_add_test(tc, test_events_file);
    tcase_add_test(tc, test_events_file_warnings);
    tcase_add_test(tc, test_events_file_missing);
    suite_add_tcase(s, tc);

    tc = trace_tcase("list");
    tcase_add_test(tc, test_list_events);
    suite_add_tcase(s, tc);

    tc = trace_tcase("opt");
    tcase_add_test(tc, test_opt_enable);
    tcase_add_test(tc, test_opt_events_and_file);
    tcase_add_test(tc, test_opt_errors);
    tcase_add_test(tc, test_opt_warning);
    tcase_add_test(tc, test_opt_help);
    suite_add_tcase(s, tc);

    tc = trace_tcase("tracetool");
    tcase_add_test(tc, test_tracetool_good);
    tcase_add_test(tc, test_tracetool_bad_lines);
    tcase_add_test(tc, test_tracetool_no_final_newline);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(trace_suite)
