/*
 * test-cutils.c: number, size and boolean parsing (util/cutils.c).
 */
#include "util/osdep.h"
#include "util/cutils.h"
#include "tern-check.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define EiB (UINT64_C(1) << 60)

static const struct {
    const char *str;
    char default_suffix;
    int ret;
    uint64_t value;
    int consumed;               /* with an end pointer */
} size_cases[] = {
    { "0", 'B', 0, 0, 1 },
    { "12345", 'B', 0, 12345, 5 },
    { "1B", 'B', 0, 1, 2 },
    { "64k", 'B', 0, 64 * KiB, 3 },
    { "64K", 'B', 0, 64 * KiB, 3 },
    { "128M", 'B', 0, 128 * MiB, 4 },
    { "128", 'M', 0, 128 * MiB, 3 },
    { "1G", 'M', 0, GiB, 2 },
    { "2T", 'B', 0, 2 * 1024 * GiB, 2 },
    { "1P", 'B', 0, 1024 * 1024 * GiB, 2 },
    { "15E", 'B', 0, 15 * EiB, 3 },
    { "1.5k", 'B', 0, 1536, 4 },
    { "1.5G", 'B', 0, GiB + GiB / 2, 4 },
    { ".5M", 'B', 0, MiB / 2, 3 },
    { "0x1000", 'B', 0, 4096, 6 },
    { " 12", 'B', 0, 12, 3 },
    { "18446744073709551615", 'B', 0, UINT64_MAX, 20 },
    { "16E", 'B', -ERANGE, 0, 3 },
    { "18446744073709551616", 'B', -ERANGE, 0, 20 },
    { "-1", 'B', -ERANGE, 0, 2 },
    { "", 'B', -EINVAL, 0, 0 },
    { "k", 'B', -EINVAL, 0, 0 },
    { ".", 'B', -EINVAL, 0, 0 },
    { "1.5", 'B', -EINVAL, 0, 0 },
    { "0x1k", 'B', -EINVAL, 0, 0 },
    { "0x1.5", 'B', -EINVAL, 0, 0 },
};

START_TEST(test_strtosz)
{
    uint64_t value = 42;
    const char *end = NULL;
    const char *str = size_cases[_i].str;
    int ret;

    ret = qemu_strtosz_end(str, &end, size_cases[_i].default_suffix,
                           &value);
    ck_assert_int_eq(ret, size_cases[_i].ret);
    ck_assert_uint_eq(value, size_cases[_i].value);
    ck_assert_int_eq(end - str, size_cases[_i].consumed);
}
END_TEST

START_TEST(test_strtosz_trailing)
{
    uint64_t value = 42;
    const char *end = NULL;

    ck_assert_int_eq(qemu_strtosz_end("12x", &end, 'B', &value), 0);
    ck_assert_uint_eq(value, 12);
    ck_assert_str_eq(end, "x");
    ck_assert_int_eq(qemu_strtosz_end("12x", NULL, 'B', &value), -EINVAL);
    ck_assert_uint_eq(value, 0);
    ck_assert_int_eq(qemu_strtosz_end("1kB", NULL, 'B', &value), -EINVAL);
    /* 'e' is the exa suffix, not an exponent. */
    ck_assert_int_eq(qemu_strtosz_end("1.5e1k", &end, 'B', &value), 0);
    ck_assert_uint_eq(value, EiB + EiB / 2);
    ck_assert_str_eq(end, "1k");
}
END_TEST

START_TEST(test_strtosz_errors)
{
    GError *err = NULL;
    uint64_t value;

    ck_assert(qemu_strtosz("2G", &value, 'B', NULL, &err));
    ck_assert_uint_eq(value, 2 * GiB);
    ck_assert(!qemu_strtosz("1X", &value, 'M', NULL, &err));
    ck_assert_str_eq(err->message,
                     "Parameter 'size' expects a non-negative number "
                     "below 2^64");
    g_clear_error(&err);
    ck_assert(!qemu_strtosz("abc", &value, 'B', "max-bandwidth", &err));
    ck_assert_str_eq(err->message,
                     "Parameter 'max-bandwidth' expects a non-negative "
                     "number below 2^64");
    g_clear_error(&err);
    ck_assert(!qemu_strtosz("-1024", &value, 'B', NULL, &err));
    ck_assert_str_eq(err->message,
                     "Value '-1024' is out of range for parameter 'size'");
    g_clear_error(&err);
    ck_assert(!qemu_strtosz("99999999999999999999", &value, 'B', NULL,
                            NULL));
    ck_assert(strstr(QEMU_STRTOSZ_HINT, "Optional suffix k, M, G"));
}
END_TEST

START_TEST(test_bool)
{
    static const char *const yes[] = { "on", "yes", "true", "y" };
    static const char *const no[] = { "off", "no", "false", "n" };
    static const char *const bad[] = { "ON", "1", "", "of", "yes " };
    GError *err = NULL;
    bool v;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(yes); i++) {
        v = false;
        ck_assert(qapi_bool_parse("server", yes[i], &v, &err) && v);
        v = true;
        ck_assert(qapi_bool_parse("server", no[i], &v, &err) && !v);
    }
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        ck_assert(!qapi_bool_parse("server", bad[i], &v, &err));
        ck_assert_str_eq(err->message,
                         "Parameter 'server' expects 'on' or 'off'");
        g_clear_error(&err);
    }
}
END_TEST

START_TEST(test_strtoi64)
{
    const char *end;
    int64_t v;
    uint64_t u;

    ck_assert_int_eq(qemu_strtoi64("-42", NULL, 10, &v), 0);
    ck_assert_int_eq(v, -42);
    ck_assert_int_eq(qemu_strtoi64(" 0x10", NULL, 0, &v), 0);
    ck_assert_int_eq(v, 16);
    ck_assert_int_eq(qemu_strtoi64("9223372036854775808", NULL, 10, &v),
                     -ERANGE);
    ck_assert_int_eq(v, INT64_MAX);
    ck_assert_int_eq(qemu_strtoi64("-9223372036854775809", NULL, 10, &v),
                     -ERANGE);
    ck_assert_int_eq(v, INT64_MIN);
    ck_assert_int_eq(qemu_strtoi64("12a", NULL, 10, &v), -EINVAL);
    ck_assert_int_eq(qemu_strtoi64("12a", &end, 10, &v), 0);
    ck_assert_int_eq(v, 12);
    ck_assert_str_eq(end, "a");
    ck_assert_int_eq(qemu_strtoi64("", &end, 10, &v), -EINVAL);
    ck_assert_int_eq(qemu_strtoi64(NULL, &end, 10, &v), -EINVAL);
    ck_assert_ptr_null(end);

    ck_assert_int_eq(qemu_strtou64("18446744073709551615", NULL, 10, &u), 0);
    ck_assert_uint_eq(u, UINT64_MAX);
    ck_assert_int_eq(qemu_strtou64("18446744073709551616", NULL, 10, &u),
                     -ERANGE);
    ck_assert_uint_eq(u, UINT64_MAX);
    ck_assert_int_eq(qemu_strtou64("-1", NULL, 10, &u), 0);
    ck_assert_uint_eq(u, UINT64_MAX);
    ck_assert_int_eq(qemu_strtou64("x", NULL, 10, &u), -EINVAL);
}
END_TEST

START_TEST(test_qapi_name)
{
    ck_assert_int_eq(parse_qapi_name("abc-d_e1", true), 8);
    ck_assert_int_eq(parse_qapi_name("abc.def", false), 3);
    ck_assert_int_eq(parse_qapi_name("abc.def", true), -EINVAL);
    ck_assert_int_eq(parse_qapi_name("1abc", false), -EINVAL);
    ck_assert_int_eq(parse_qapi_name("__com.redhat_x", true), 14);
    ck_assert_int_eq(parse_qapi_name("_x", false), -EINVAL);
    ck_assert_int_eq(parse_qapi_name("", false), -EINVAL);
}
END_TEST

static Suite *cutils_suite(void)
{
    Suite *s = suite_create("cutils");
    TCase *tc;

    tc = tcase_create("strtosz");
    tcase_add_loop_test(tc, test_strtosz, 0, ARRAY_SIZE(size_cases));
    tcase_add_test(tc, test_strtosz_trailing);
    tcase_add_test(tc, test_strtosz_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("bool");
    tcase_add_test(tc, test_bool);
    suite_add_tcase(s, tc);

    tc = tcase_create("strtoi64");
    tcase_add_test(tc, test_strtoi64);
    tcase_add_test(tc, test_qapi_name);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(cutils_suite)
