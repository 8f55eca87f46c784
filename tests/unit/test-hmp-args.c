/*
 * test-hmp-args: the HMP args_type parser (monitor/hmp-args.c).
 */
#include "util/osdep.h"
#include "monitor/hmp.h"
#include "tern-check.h"

static JsonObject *parse_ok(const char *type, const char *line)
{
    GError *err = NULL;
    JsonObject *args = hmp_parse_args(type, line, &err);

    ck_assert_msg(args, "'%s' with '%s': %s", line, type,
                  err ? err->message : "");
    return args;
}

static void parse_fails(const char *type, const char *line, const char *msg)
{
    GError *err = NULL;
    JsonObject *args = hmp_parse_args(type, line, &err);

    ck_assert_ptr_null(args);
    ck_assert_ptr_nonnull(err);
    ck_assert_str_eq(err->message, msg);
    g_error_free(err);
}

START_TEST(test_no_args)
{
    JsonObject *args = parse_ok("", "   ");

    ck_assert_uint_eq(json_object_get_size(args), 0);
    json_object_unref(args);
    parse_fails("", " foo", "extraneous characters at the end of line");
    parse_fails(NULL, "x", "extraneous characters at the end of line");
}
END_TEST

START_TEST(test_strings)
{
    JsonObject *args = parse_ok("device:B,command:s", "  drive0   read ");

    ck_assert_str_eq(json_object_get_string_member(args, "device"),
                     "drive0");
    ck_assert_str_eq(json_object_get_string_member(args, "command"),
                     "read");
    json_object_unref(args);

    args = parse_ok("a:s,b:s", "\"two words\" \"q\\\"\\\\\\n\\r\\'\"");
    ck_assert_str_eq(json_object_get_string_member(args, "a"), "two words");
    ck_assert_str_eq(json_object_get_string_member(args, "b"),
                     "q\"\\\n\r'");
    json_object_unref(args);

    parse_fails("a:s", "", "string expected");
    parse_fails("a:s", "\"open", "string expected");
    parse_fails("a:s", "\"bad \\x\"", "string expected");
    parse_fails("a:F", "", "filename expected");
    parse_fails("a:B", "", "block device name expected");
    parse_fails("a:s", "x y", "extraneous characters at the end of line");
}
END_TEST

START_TEST(test_rest_of_line)
{
    JsonObject *args = parse_ok("name:S?", "  info   status ");

    ck_assert_str_eq(json_object_get_string_member(args, "name"),
                     "info   status ");
    json_object_unref(args);

    args = parse_ok("name:S?", "");
    ck_assert(!json_object_has_member(args, "name"));
    json_object_unref(args);

    parse_fails("name:S", " ", "string expected");
}
END_TEST

START_TEST(test_optional)
{
    JsonObject *args = parse_ok("a:s,b:s?,c:i?", "x");

    ck_assert_str_eq(json_object_get_string_member(args, "a"), "x");
    ck_assert(!json_object_has_member(args, "b"));
    ck_assert(!json_object_has_member(args, "c"));
    json_object_unref(args);
}
END_TEST

START_TEST(test_integers)
{
    JsonObject *args = parse_ok("a:i,b:l,c:l", "-5 0x10 9000000000");

    ck_assert_int_eq(json_object_get_int_member(args, "a"), -5);
    ck_assert_int_eq(json_object_get_int_member(args, "b"), 16);
    ck_assert_int_eq(json_object_get_int_member(args, "c"), 9000000000LL);
    json_object_unref(args);

    parse_fails("a:i", "9000000000", "integer is for 32-bit values");
    parse_fails("a:i", "12x", "invalid integer '12x'");
    parse_fails("a:l", "", "argument expected");
}
END_TEST

START_TEST(test_sizes_and_bools)
{
    JsonObject *args = parse_ok("s:o,t:o,on:b,off:b", "4k 1M on off");

    ck_assert_int_eq(json_object_get_int_member(args, "s"), 4096);
    ck_assert_int_eq(json_object_get_int_member(args, "t"), 1 << 20);
    ck_assert(json_object_get_boolean_member(args, "on"));
    ck_assert(!json_object_get_boolean_member(args, "off"));
    json_object_unref(args);

    parse_fails("s:o", "lots", "invalid size 'lots'");
    parse_fails("b:b", "yes", "Expected 'on' or 'off'");
}
END_TEST

START_TEST(test_flags)
{
    JsonObject *args = parse_ok("qdev:-d,device:B", "-d dev0");

    ck_assert(json_object_get_boolean_member(args, "qdev"));
    ck_assert_str_eq(json_object_get_string_member(args, "device"), "dev0");
    json_object_unref(args);

    args = parse_ok("qdev:-d,device:B", "dev0");
    ck_assert(!json_object_has_member(args, "qdev"));
    ck_assert_str_eq(json_object_get_string_member(args, "device"), "dev0");
    json_object_unref(args);

    /* "-dx" is not the flag: it is the device name */
    args = parse_ok("qdev:-d,device:B", "-dx");
    ck_assert_str_eq(json_object_get_string_member(args, "device"), "-dx");
    json_object_unref(args);
}
END_TEST

static Suite *hmp_args_suite(void)
{
    Suite *s = suite_create("hmp-args");
    struct {
        const char *name;
        const TTest *fn;
    } cases[] = {
        { "no-args", test_no_args },
        { "strings", test_strings },
        { "rest-of-line", test_rest_of_line },
        { "optional", test_optional },
        { "integers", test_integers },
        { "sizes-bools", test_sizes_and_bools },
        { "flags", test_flags },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        TCase *tc = tcase_create(cases[i].name);

        tcase_add_test(tc, cases[i].fn);
        suite_add_tcase(s, tc);
    }
    return s;
}

TERN_CHECK_MAIN(hmp_args_suite)
