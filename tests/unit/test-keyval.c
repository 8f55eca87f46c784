/*
 * test-keyval.c: keyval and QemuOpts option strings (util/keyval.c).
 */
#include "util/osdep.h"
#include "util/json.h"
#include "util/keyval.h"
#include "tern-check.h"

/* The result as compact JSON (QDict order), or "error: MESSAGE". */
static char *result_text(JsonObject *obj, GError *err)
{
    g_autoptr(JsonNode) node = NULL;

    if (!obj) {
        char *text = g_strdup_printf("error: %s", err->message);

        g_error_free(err);
        return text;
    }
    ck_assert_ptr_null(err);
    node = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(node, obj);
    return json_serialize(node, false);
}

static char *keyval(const char *params, const char *implied_key)
{
    GError *err = NULL;
    JsonObject *obj = keyval_parse(params, implied_key, NULL, &err);

    return result_text(obj, err);
}

static char *opts(const char *params, const char *implied_key)
{
    GError *err = NULL;
    JsonObject *obj = qemu_opts_parse_flat(params, implied_key, true, &err);

    return result_text(obj, err);
}

static const struct {
    const char *params;
    const char *implied_key;
    const char *expected;
} keyval_cases[] = {
    { "", NULL, "{}" },
    { "a=b", NULL, "{\"a\": \"b\"}" },
    { "a=b,", NULL, "{\"a\": \"b\"}" },
    { "a=", NULL, "{\"a\": \"\"}" },
    { "a=x,,y,,,,z", NULL, "{\"a\": \"x,y,,z\"}" },
    { "a=b=c", NULL, "{\"a\": \"b=c\"}" },
    { "a=1,a=2", NULL, "{\"a\": \"2\"}" },
    { "c.d=e", NULL, "{\"c\": {\"d\": \"e\"}}" },
    { "c.d.e=1,c.d.f=2", NULL,
      "{\"c\": {\"d\": {\"e\": \"1\", \"f\": \"2\"}}}" },
    { "l.0=x,l.1=y", NULL, "{\"l\": [\"x\", \"y\"]}" },
    { "l.1=y,l.0=x", NULL, "{\"l\": [\"x\", \"y\"]}" },
    { "l.0.a=1,l.0.b=2,l.1.a=3", NULL,
      "{\"l\": [{\"a\": \"1\", \"b\": \"2\"}, {\"a\": \"3\"}]}" },
    { "m.0.0=x", NULL, "{\"m\": [[\"x\"]]}" },
    { "none", "driver", "{\"driver\": \"none\"}" },
    { "none,accel=soft", "driver",
      "{\"driver\": \"none\", \"accel\": \"soft\"}" },
    { "d=x", "driver", "{\"d\": \"x\"}" },
    { "__com.redhat_x=1", NULL, "{\"__com.redhat_x\": \"1\"}" },
    { "a-b_c=1", NULL, "{\"a-b_c\": \"1\"}" },
    /* errors */
    { "none,foo", NULL, "error: Expected '=' after parameter 'none'" },
    { "none,foo", "type", "error: Expected '=' after parameter 'foo'" },
    { "a", NULL, "error: Expected '=' after parameter 'a'" },
    { "a.b", NULL, "error: Expected '=' after parameter 'a.b'" },
    { "a!=1", NULL, "error: Invalid parameter 'a!'" },
    { "0=1", NULL, "error: Invalid parameter '0'" },
    { "=1", NULL, "error: Invalid parameter ''" },
    { ",a=1", "k", "error: Invalid parameter ''" },
    { "a..b=1", NULL, "error: Invalid parameter 'a..b'" },
    { "a.=1", NULL, "error: Invalid parameter 'a.'" },
    { "a=1,a.b=2", NULL, "error: Parameters 'a.*' used inconsistently" },
    { "a.b=1,a=2", NULL, "error: Parameters 'a.*' used inconsistently" },
    { "a.b.c=1,a.b=2", NULL, "error: Parameters 'a.b.*' used inconsistently" },
    { "l.0=x,l.a=y", NULL, "error: Parameters 'l.*' used inconsistently" },
    { "l.1=x", NULL, "error: Parameter 'l.0' missing" },
    { "l.0=x,l.2=z", NULL, "error: Parameter 'l.1' missing" },
    { "l.99999999999999999999=x", NULL, "error: Parameter 'l.0' missing" },
    { "a.b.1=x", NULL, "error: Parameter 'a.b.0' missing" },
    { "help", NULL, "error: Help is not available for this option" },
    { "a=1,?", NULL, "error: Help is not available for this option" },
};

START_TEST(test_keyval)
{
    g_autofree char *got = keyval(keyval_cases[_i].params,
                                  keyval_cases[_i].implied_key);

    ck_assert_str_eq(got, keyval_cases[_i].expected);
}
END_TEST

START_TEST(test_keyval_length)
{
    g_autofree char *k127 = g_strnfill(127, 'k');
    g_autofree char *k128 = g_strnfill(128, 'k');
    g_autofree char *ok = g_strdup_printf("a.%s=1", k127);
    g_autofree char *long_key = g_strdup_printf("%s=1", k128);
    g_autofree char *long_frag = g_strdup_printf("a.%s=1", k128);
    g_autofree char *r1 = keyval(ok, NULL);
    g_autofree char *r2 = keyval(long_key, NULL);
    g_autofree char *r3 = keyval(long_frag, NULL);
    g_autofree char *e2 = g_strdup_printf("error: Parameter '%s' is too long",
                                          k128);
    g_autofree char *e3 = g_strdup_printf(
        "error: Parameter fragment '%s' is too long", k128);

    ck_assert(g_str_has_prefix(r1, "{\"a\": {\"kkk"));
    ck_assert_str_eq(r2, e2);
    ck_assert_str_eq(r3, e3);
}
END_TEST

START_TEST(test_keyval_help)
{
    GError *err = NULL;
    JsonObject *obj;
    bool help = true;

    obj = keyval_parse("a=1", NULL, &help, &err);
    ck_assert(obj && !help);
    json_object_unref(obj);
    obj = keyval_parse("help", "driver", &help, &err);
    ck_assert(obj && help);
    ck_assert_uint_eq(json_object_get_size(obj), 0);
    json_object_unref(obj);
    obj = keyval_parse("none,?", "driver", &help, &err);
    ck_assert(obj && help);
    ck_assert_str_eq(json_object_get_string_member(obj, "driver"), "none");
    json_object_unref(obj);
}
END_TEST

static const struct {
    const char *params;
    const char *implied_key;
    const char *expected;
} opts_cases[] = {
    { "", NULL, "{}" },
    { "a,,b", "name", "{\"name\": \"a,b\"}" },
    { "a,,b=c", "name", "{\"name\": \"a,b=c\"}" },
    { "socket,id=c0,path=/tmp/s", "backend",
      "{\"backend\": \"socket\", \"path\": \"/tmp/s\", \"id\": \"c0\"}" },
    { "x=1,x=2", NULL, "{\"x\": \"2\"}" },
    { "path=/a,,b,server", NULL, "{\"path\": \"/a,b\", \"server\": \"on\"}" },
    { "nowait", NULL, "{\"wait\": \"off\"}" },
    { "unix:/s,server,nowait", "path",
      "{\"path\": \"unix:/s\", \"server\": \"on\", \"wait\": \"off\"}" },
    { "help", NULL, "{\"help\": \"on\"}" },
    { "?", NULL, "{\"help\": \"on\"}" },
    { "128M", "size", "{\"size\": \"128M\"}" },
    { "a=1,", NULL, "{\"a\": \"1\"}" },
    { ",a=1", "k", "{\"a\": \"1\", \"k\": \"\"}" },
    { "=1", NULL, "error: Invalid parameter ''" },
    { "a=1,no", NULL, "error: Invalid parameter ''" },
};

START_TEST(test_opts)
{
    g_autofree char *got = opts(opts_cases[_i].params,
                                opts_cases[_i].implied_key);

    ck_assert_str_eq(got, opts_cases[_i].expected);
}
END_TEST

START_TEST(test_opts_warning)
{
    /* The warning goes to stderr; the result is the same. */
    GError *err = NULL;
    JsonObject *obj = qemu_opts_parse_flat("pretty,nodelay", NULL, false,
                                           &err);

    ck_assert_ptr_nonnull(obj);
    ck_assert_str_eq(json_object_get_string_member(obj, "pretty"), "on");
    ck_assert_str_eq(json_object_get_string_member(obj, "delay"), "off");
    json_object_unref(obj);
}
END_TEST

static Suite *keyval_suite(void)
{
    Suite *s = suite_create("keyval");
    TCase *tc;

    tc = tcase_create("keyval");
    tcase_add_loop_test(tc, test_keyval, 0, ARRAY_SIZE(keyval_cases));
    tcase_add_test(tc, test_keyval_length);
    tcase_add_test(tc, test_keyval_help);
    suite_add_tcase(s, tc);

    tc = tcase_create("opts");
    tcase_add_loop_test(tc, test_opts, 0, ARRAY_SIZE(opts_cases));
    tcase_add_test(tc, test_opts_warning);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(keyval_suite)
