/*
 * test-json-writer.c: QEMU-exact JSON output (util/json-writer.c).
 */
#include "util/osdep.h"
#include "util/json.h"
#include "tern-check.h"

static JsonNode *parse(const char *text)
{
    GError *err = NULL;
    JsonNode *node = json_parse_string(text, &err);

    ck_assert_msg(node, "%s: %s", text, err ? err->message : "");
    return node;
}

/* Parse @text, write it back compact and pretty. */
static void assert_writes(const char *text, const char *compact,
                          const char *pretty)
{
    g_autoptr(JsonNode) node = parse(text);
    g_autofree char *c = json_serialize(node, false);
    g_autofree char *p = json_serialize(node, true);

    ck_assert_str_eq(c, compact);
    if (pretty) {
        ck_assert_str_eq(p, pretty);
    }
}

static char *write_string(const char *str)
{
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_VALUE);

    json_node_set_string(node, str);
    return json_serialize(node, false);
}

START_TEST(test_escapes)
{
    g_autofree char *s1 = write_string("a\"\\/\b\f\n\r\t\x01\x1f\x7f~");
    g_autofree char *s2 = write_string("\xC3\xA9\xF0\x9F\x98\x80\x07");
    g_autofree char *s3 = write_string("a\xFF" "b\xC3" "c\xE2\x82" "d");
    g_autofree char *s4 = write_string("\xC0\x80\xED\xA0\x80\xEF\xBF\xBE");

    ck_assert_str_eq(s1, "\"a\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001F\\u007F~\"");
    ck_assert_str_eq(s2, "\"\\u00E9\\uD83D\\uDE00\\u0007\"");
    /* Invalid UTF-8: one \uFFFD per bad sequence. */
    ck_assert_str_eq(s3, "\"a\\uFFFDb\\uFFFDc\\uFFFDd\"");
    /* Modified UTF-8 NUL; a surrogate and a noncharacter are invalid. */
    ck_assert_str_eq(s4, "\"\\u0000\\uFFFD\\uFFFD\"");
}
END_TEST

START_TEST(test_scalars)
{
    g_autoptr(JsonNode) null = json_node_init_null(json_node_alloc());
    g_autoptr(JsonNode) i = json_node_init_int(json_node_alloc(), INT64_MIN);
    g_autofree char *s_null = json_serialize(null, true);
    g_autofree char *s_none = json_serialize(NULL, false);
    g_autofree char *s_int = json_serialize(i, false);

    ck_assert_str_eq(s_null, "null");
    ck_assert_str_eq(s_none, "null");
    ck_assert_str_eq(s_int, "-9223372036854775808");
    assert_writes("[true, false, null, \"\"]", "[true, false, null, \"\"]",
                  NULL);
}
END_TEST

static const struct {
    double value;
    const char *text;
} double_cases[] = {
    { 0.1, "0.10000000000000001" },
    { 1500.0, "1500" },
    { -1.25, "-1.25" },
    { 1e300, "1.0000000000000001e+300" },
    { 18446744073709551616.0, "1.8446744073709552e+19" },
    { -0.0, "-0" },
    { 5e-324, "4.9406564584124654e-324" },
};

START_TEST(test_doubles)
{
    g_autoptr(JsonNode) node =
        json_node_init_double(json_node_alloc(), double_cases[_i].value);
    g_autofree char *text = json_serialize(node, false);

    ck_assert_str_eq(text, double_cases[_i].text);
}
END_TEST

START_TEST(test_pretty)
{
    assert_writes("{\"return\": {}}", "{\"return\": {}}",
                  "{\n    \"return\": {\n    }\n}");
    assert_writes("[]", "[]", "[\n]");
    assert_writes("[1, [2, {}], []]", "[1, [2, {}], []]",
                  "[\n    1,\n    [\n        2,\n        {\n        }\n"
                  "    ],\n    [\n    ]\n]");
    assert_writes("{\"status\": \"running\", \"running\": true}",
                  "{\"status\": \"running\", \"running\": true}",
                  "{\n    \"status\": \"running\",\n    \"running\": true\n}");
    assert_writes("\"x\"", "\"x\"", "\"x\"");
}
END_TEST

/*
 * Member order is QEMU's QDict order, whatever the insertion order
 * (within one hash bucket: newest first).  The expected texts are what
 * QEMU 10.0 was observed to send; the inputs list members in another
 * order.
 */
static const struct {
    const char *input;
    const char *expected;
} order_cases[] = {
    /* greeting; VersionInfo members are created major, minor, micro */
    { "{\"QMP\": {\"capabilities\": [\"oob\"], \"version\": {\"package\": \"\","
      " \"qemu\": {\"major\": 10, \"minor\": 0, \"micro\": 13}}}}",
      "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 13, \"minor\": 0,"
      " \"major\": 10}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}" },
    { "{\"id\": 1, \"return\": {}}", "{\"return\": {}, \"id\": 1}" },
    { "{\"error\": {\"desc\": \"d\", \"class\": \"GenericError\"}, \"id\": 2}",
      "{\"id\": 2, \"error\": {\"class\": \"GenericError\","
      " \"desc\": \"d\"}}" },
    { "{\"data\": {}, \"event\": \"STOP\", \"timestamp\":"
      " {\"microseconds\": 2, \"seconds\": 1}}",
      "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2},"
      " \"event\": \"STOP\", \"data\": {}}" },
    { "{\"running\": true, \"status\": \"running\"}",
      "{\"status\": \"running\", \"running\": true}" },
    { "{\"reason\": \"host-qmp-quit\", \"guest\": false}",
      "{\"guest\": false, \"reason\": \"host-qmp-quit\"}" },
    { "{\"fdset-id\": 1, \"fd\": 3}", "{\"fd\": 3, \"fdset-id\": 1}" },
    { "{\"fdset-id\": 1, \"fds\": []}", "{\"fds\": [], \"fdset-id\": 1}" },
    { "{\"opaque\": \"o\", \"fd\": 3}", "{\"fd\": 3, \"opaque\": \"o\"}" },
    { "{\"label\": \"l\", \"filename\": \"f\", \"frontend-open\": true}",
      "{\"frontend-open\": true, \"filename\": \"f\", \"label\": \"l\"}" },
    { "{\"arg-type\": \"0\", \"meta-type\": \"command\", \"ret-type\": \"1\","
      " \"name\": \"n\"}",
      "{\"name\": \"n\", \"ret-type\": \"1\", \"meta-type\": \"command\","
      " \"arg-type\": \"0\"}" },
    /* "aa" and "aq" share a bucket: the newest comes first. */
    { "{\"aa\": 1, \"aq\": 2}", "{\"aq\": 2, \"aa\": 1}" },
    { "{\"aq\": 2, \"aa\": 1}", "{\"aa\": 1, \"aq\": 2}" },
};

START_TEST(test_member_order)
{
    assert_writes(order_cases[_i].input, order_cases[_i].expected, NULL);
}
END_TEST

START_TEST(test_order_replace)
{
    /* Replacing a member's value keeps its place, as in a QDict. */
    g_autoptr(JsonObject) obj = json_object_new();
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
    g_autofree char *text = NULL;
    g_autoptr(GList) names = NULL;

    json_object_set_int_member(obj, "aa", 1);
    json_object_set_int_member(obj, "aq", 2);
    json_object_set_int_member(obj, "aa", 3);
    json_node_set_object(node, obj);
    text = json_serialize(node, false);
    ck_assert_str_eq(text, "{\"aq\": 2, \"aa\": 3}");
    names = json_object_get_members_qdict_order(obj);
    ck_assert_str_eq(names->data, "aq");
    ck_assert_str_eq(names->next->data, "aa");
    ck_assert_ptr_null(names->next->next);
}
END_TEST

START_TEST(test_json_to_string_macro)
{
    /* json_to_string() is ours, not json-glib's, once json.h is in. */
    g_autoptr(JsonNode) node = parse("{\"id\": 1, \"return\": {}}");
    g_autofree char *text = json_to_string(node, false);

    ck_assert_str_eq(text, "{\"return\": {}, \"id\": 1}");
}
END_TEST

static Suite *json_writer_suite(void)
{
    Suite *s = suite_create("json-writer");
    TCase *tc;

    tc = tcase_create("values");
    tcase_add_test(tc, test_escapes);
    tcase_add_test(tc, test_scalars);
    tcase_add_loop_test(tc, test_doubles, 0, ARRAY_SIZE(double_cases));
    tcase_add_test(tc, test_json_to_string_macro);
    suite_add_tcase(s, tc);

    tc = tcase_create("pretty");
    tcase_add_test(tc, test_pretty);
    suite_add_tcase(s, tc);

    tc = tcase_create("order");
    tcase_add_loop_test(tc, test_member_order, 0, ARRAY_SIZE(order_cases));
    tcase_add_test(tc, test_order_replace);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(json_writer_suite)
