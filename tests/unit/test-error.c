/*
 * test-error: the GError helpers of util/error.c.
 */
#include "util/osdep.h"
#include "util/error.h"

#include <gio/gio.h>

#include "tern-check.h"

/* Run @fn with stderr redirected; return what it printed (caller frees). */
static char *capture_stderr(void (*fn)(void))
{
    char tmpl[] = "/tmp/test-error-XXXXXX";
    int file = mkstemp(tmpl);
    int saved;
    char *text = NULL;

    ck_assert_int_ge(file, 0);
    fflush(stderr);
    saved = dup(STDERR_FILENO);
    ck_assert_int_ge(dup2(file, STDERR_FILENO), 0);
    close(file);
    fn();
    fflush(stderr);
    ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
    close(saved);
    ck_assert(g_file_get_contents(tmpl, &text, NULL, NULL));
    unlink(tmpl);
    return text;
}

/*
 * Before a test that must abort: GLib prints "Bail out!" on stdout when an
 * assertion fails, which would end the TAP stream of the whole binary.
 * The test runs in a forked child, so silencing it here is local.
 */
static void silence_assertion_output(void)
{
    int null = open("/dev/null", O_WRONLY);

    ck_assert_int_ge(null, 0);
    fflush(stdout);
    fflush(stderr);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    close(null);
}

static void reset_report_state(void)
{
    error_set_location(NULL);
}

/* Setting errors */

START_TEST(test_setg)
{
    g_autoptr(GError) err = NULL;

    error_setg(&err, "cannot open '%s'", "disk.img");
    ck_assert_ptr_nonnull(err);
    ck_assert(err->domain == TERN_ERROR);
    ck_assert_int_eq(err->code, ERROR_CLASS_GENERIC_ERROR);
    ck_assert_int_eq(error_get_class(err), ERROR_CLASS_GENERIC_ERROR);
    ck_assert_str_eq(err->message, "cannot open 'disk.img'");
}
END_TEST

START_TEST(test_setg_errno)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *want = g_strdup_printf("cannot read 'x': %s",
                                            g_strerror(ENOSPC));

    error_setg_errno(&err, ENOSPC, "cannot read '%s'", "x");
    ck_assert_int_eq(error_get_class(err), ERROR_CLASS_GENERIC_ERROR);
    ck_assert_str_eq(err->message, want);
    ck_assert_str_eq(err->message, "cannot read 'x': No space left on device");
}
END_TEST

START_TEST(test_set_class)
{
    for (int cls = 0; cls < ERROR_CLASS__MAX; cls++) {
        g_autoptr(GError) err = NULL;
        g_autofree char *want = g_strdup_printf("class %s",
                                                error_class_name(cls));

        error_set(&err, cls, "class %s", error_class_name(cls));
        ck_assert(err->domain == TERN_ERROR);
        ck_assert_int_eq(err->code, cls);
        ck_assert_int_eq(error_get_class(err), cls);
        ck_assert_str_eq(err->message, want);
    }
}
END_TEST

START_TEST(test_set_message)
{
    g_autoptr(GError) err = NULL;

    error_set(&err, ERROR_CLASS_DEVICE_NOT_FOUND, "Device '%s' not found",
              "drive0");
    ck_assert_str_eq(err->message, "Device 'drive0' not found");
    ck_assert_int_eq(error_get_class(err), ERROR_CLASS_DEVICE_NOT_FOUND);
}
END_TEST

START_TEST(test_set_null_errp)
{
    /* The caller does not care: nothing is allocated, nothing crashes. */
    error_setg(NULL, "ignored %d", 1);
    error_setg_errno(NULL, EIO, "ignored");
    error_set(NULL, ERROR_CLASS_COMMAND_NOT_FOUND, "ignored");
    error_prepend(NULL, "prefix: ");
}
END_TEST

START_TEST(test_set_twice_aborts)
{
    GError *err = NULL;

    /* An error must be set once: overwriting one is a programming error. */
    error_setg(&err, "first");
    silence_assertion_output();
    error_setg(&err, "second");
}
END_TEST

/* Classes */

START_TEST(test_class_names)
{
    static const char *const names[ERROR_CLASS__MAX] = {
        [ERROR_CLASS_GENERIC_ERROR] = "GenericError",
        [ERROR_CLASS_COMMAND_NOT_FOUND] = "CommandNotFound",
        [ERROR_CLASS_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
        [ERROR_CLASS_DEVICE_NOT_FOUND] = "DeviceNotFound",
        [ERROR_CLASS_KVM_MISSING_CAP] = "KVMMissingCap",
    };

    for (int cls = 0; cls < ERROR_CLASS__MAX; cls++) {
        ck_assert_str_eq(error_class_name(cls), names[cls]);
    }
}
END_TEST

START_TEST(test_class_foreign_domain)
{
    g_autoptr(GError) io = g_error_new_literal(G_IO_ERROR,
                                               G_IO_ERROR_NOT_FOUND, "gone");
    g_autoptr(GError) file = g_error_new_literal(G_FILE_ERROR,
                                                 G_FILE_ERROR_NOENT, "gone");
    g_autoptr(GError) bad = g_error_new_literal(TERN_ERROR, ERROR_CLASS__MAX,
                                                "out of range");
    g_autoptr(GError) neg = g_error_new_literal(TERN_ERROR, -1, "negative");

    ck_assert_int_eq(error_get_class(io), ERROR_CLASS_GENERIC_ERROR);
    ck_assert_int_eq(error_get_class(file), ERROR_CLASS_GENERIC_ERROR);
    ck_assert_int_eq(error_get_class(bad), ERROR_CLASS_GENERIC_ERROR);
    ck_assert_int_eq(error_get_class(neg), ERROR_CLASS_GENERIC_ERROR);
}
END_TEST

START_TEST(test_class_name_out_of_range)
{
    silence_assertion_output();
    error_class_name(ERROR_CLASS__MAX);
}
END_TEST

/* error_prepend and error_propagate */

START_TEST(test_prepend)
{
    g_autoptr(GError) err = NULL;
    GError *none = NULL;

    error_set(&err, ERROR_CLASS_DEVICE_NOT_ACTIVE, "inner");
    error_prepend(&err, "outer '%s': ", "x");
    ck_assert_str_eq(err->message, "outer 'x': inner");
    ck_assert_int_eq(error_get_class(err), ERROR_CLASS_DEVICE_NOT_ACTIVE);
    error_prepend(&none, "nothing: ");
    ck_assert_ptr_null(none);
}
END_TEST

START_TEST(test_propagate_to_empty)
{
    GError *dst = NULL;
    GError *src = NULL;

    error_set(&src, ERROR_CLASS_KVM_MISSING_CAP, "cap");
    error_propagate(&dst, src);
    ck_assert_ptr_eq(dst, src);
    ck_assert_int_eq(error_get_class(dst), ERROR_CLASS_KVM_MISSING_CAP);
    g_error_free(dst);
}
END_TEST

START_TEST(test_propagate_to_null)
{
    GError *src = NULL;

    /* src is freed (checked by the leak sanitizer). */
    error_setg(&src, "dropped");
    error_propagate(NULL, src);
}
END_TEST

START_TEST(test_propagate_keeps_first)
{
    g_autoptr(GError) dst = NULL;
    GError *src = NULL;

    error_setg(&dst, "first");
    error_setg(&src, "second");
    error_propagate(&dst, src);
    ck_assert_str_eq(dst->message, "first");
}
END_TEST

START_TEST(test_propagate_nothing)
{
    g_autoptr(GError) dst = NULL;

    error_propagate(&dst, NULL);
    ck_assert_ptr_null(dst);
    error_setg(&dst, "kept");
    error_propagate(&dst, NULL);
    ck_assert_str_eq(dst->message, "kept");
    error_propagate(NULL, NULL);
}
END_TEST

/* error_report and friends */

static void report_plain(void)
{
    error_report("cannot open '%s'", "x");
}

static void report_warning(void)
{
    warn_report("short-form boolean option '%s' deprecated", "pretty");
}

static void report_err(void)
{
    GError *err = NULL;

    error_set(&err, ERROR_CLASS_DEVICE_NOT_FOUND, "Device 'd' not found");
    error_report_err(err);
}

static void report_located(void)
{
    error_set_location("-m 1X");
    error_report("Parameter 'size' expects a size");
    warn_report("ignored");
    error_set_location(NULL);
    error_report("no location");
}

START_TEST(test_report_default_progname)
{
    g_autofree char *out = capture_stderr(report_plain);

    ck_assert_str_eq(error_get_progname(), "tern");
    ck_assert_str_eq(out, "tern: cannot open 'x'\n");
}
END_TEST

START_TEST(test_report_progname)
{
    g_autofree char *out = NULL;

    error_set_progname("/usr/local/bin/ternd");
    ck_assert_str_eq(error_get_progname(), "ternd");
    out = capture_stderr(report_plain);
    ck_assert_str_eq(out, "ternd: cannot open 'x'\n");
    g_free(out);
    out = capture_stderr(report_warning);
    ck_assert_str_eq(out, "ternd: warning: short-form boolean option "
                     "'pretty' deprecated\n");
    g_free(out);
    out = capture_stderr(report_err);
    ck_assert_str_eq(out, "ternd: Device 'd' not found\n");
    error_set_progname("tern-img");
    ck_assert_str_eq(error_get_progname(), "tern-img");
}
END_TEST

START_TEST(test_report_location)
{
    g_autofree char *out = NULL;

    error_set_progname("ternd");
    out = capture_stderr(report_located);
    ck_assert_str_eq(out,
                     "ternd: -m 1X: Parameter 'size' expects a size\n"
                     "ternd: -m 1X: warning: ignored\n"
                     "ternd: no location\n");
}
END_TEST

static Suite *error_suite(void)
{
    Suite *s = suite_create("error");
    TCase *tc = tcase_create("set");

    tcase_add_test(tc, test_setg);
    tcase_add_test(tc, test_setg_errno);
    tcase_add_test(tc, test_set_class);
    tcase_add_test(tc, test_set_message);
    tcase_add_test(tc, test_set_null_errp);
    tcase_add_test_raise_signal(tc, test_set_twice_aborts, SIGABRT);
    suite_add_tcase(s, tc);

    tc = tcase_create("class");
    tcase_add_test(tc, test_class_names);
    tcase_add_test(tc, test_class_foreign_domain);
    tcase_add_test_raise_signal(tc, test_class_name_out_of_range, SIGABRT);
    suite_add_tcase(s, tc);

    tc = tcase_create("propagate");
    tcase_add_test(tc, test_prepend);
    tcase_add_test(tc, test_propagate_to_empty);
    tcase_add_test(tc, test_propagate_to_null);
    tcase_add_test(tc, test_propagate_keeps_first);
    tcase_add_test(tc, test_propagate_nothing);
    suite_add_tcase(s, tc);

    tc = tcase_create("report");
    tcase_add_checked_fixture(tc, reset_report_state, reset_report_state);
    tcase_add_test(tc, test_report_default_progname);
    tcase_add_test(tc, test_report_progname);
    tcase_add_test(tc, test_report_location);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(error_suite)
