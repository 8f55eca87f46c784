/*
 * test-qapi-introspect.c: the shape of the query-qmp-schema data.
 */
#include "util/osdep.h"
#include "tern-check.h"
#include "test-qapi-introspect.h"
#include "qapi/qapi-introspect.h"

static JsonArray *schema;

static void setup(void)
{
    JsonNode *node = test_qapi_introspect_node();

    schema = json_array_ref(json_node_get_array(node));
    json_node_unref(node);
}

static void teardown(void)
{
    json_array_unref(schema);
}

/* The entry called @name (NULL if none) in @arr. */
static JsonObject *find(JsonArray *arr, const char *name)
{
    guint i;

    for (i = 0; i < json_array_get_length(arr); i++) {
        JsonObject *o = json_array_get_object_element(arr, i);

        if (!strcmp(json_object_get_string_member(o, "name"), name)) {
            return o;
        }
    }
    return NULL;
}

static const char *str(JsonObject *o, const char *member)
{
    return json_object_get_string_member(o, member);
}

static bool is_number(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s);
}

START_TEST(test_order_and_names)
{
    JsonObject *first = json_array_get_object_element(schema, 0);
    guint i;
    bool types_started = false;

    /* Commands and events first, in definition order, with real names. */
    ck_assert_str_eq(str(first, "name"), "sub-cmd");
    ck_assert_str_eq(str(first, "meta-type"), "command");
    ck_assert_str_eq(str(json_array_get_object_element(schema, 1), "name"),
                     "test-noargs");
    for (i = 0; i < json_array_get_length(schema); i++) {
        JsonObject *o = json_array_get_object_element(schema, i);
        const char *meta = str(o, "meta-type");
        const char *name = str(o, "name");

        if (!strcmp(meta, "command") || !strcmp(meta, "event")) {
            ck_assert_msg(!types_started, "%s after the types", name);
            ck_assert(!is_number(name));
            continue;
        }
        types_started = true;
        if (!strcmp(meta, "builtin")) {
            ck_assert(!is_number(name));
        } else if (!strcmp(meta, "array")) {
            ck_assert(name[0] == '[' && name[strlen(name) - 1] == ']');
        } else {
            ck_assert_msg(is_number(name), "unmasked %s", name);
        }
    }
    ck_assert_ptr_nonnull(find(schema, "test-nogen"));
    ck_assert_ptr_null(find(schema, "TestInner"));
}
END_TEST

START_TEST(test_builtins)
{
    const char *present[] = { "int", "str", "bool", "number", "null", "any" };
    const char *absent[] = { "int8", "uint32", "uint64", "size", "int64" };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(present); i++) {
        JsonObject *o = find(schema, present[i]);

        ck_assert_msg(o, "no %s", present[i]);
        ck_assert_str_eq(str(o, "meta-type"), "builtin");
    }
    ck_assert_str_eq(str(find(schema, "any"), "json-type"), "value");
    ck_assert_str_eq(str(find(schema, "str"), "json-type"), "string");
    ck_assert_str_eq(str(find(schema, "bool"), "json-type"), "boolean");
    for (i = 0; i < ARRAY_SIZE(absent); i++) {
        ck_assert_msg(!find(schema, absent[i]), "%s listed", absent[i]);
    }
    ck_assert_str_eq(str(find(schema, "[int]"), "element-type"), "int");
}
END_TEST

START_TEST(test_commands)
{
    JsonObject *noargs = find(schema, "test-noargs");
    JsonObject *oob = find(schema, "test-oob");
    JsonObject *args = find(schema, "test-args");
    JsonObject *empty = find(schema, str(noargs, "arg-type"));
    JsonObject *obj;
    JsonArray *members;

    /* No arguments, no return: the empty object type. */
    ck_assert_str_eq(str(noargs, "arg-type"), str(noargs, "ret-type"));
    ck_assert_str_eq(str(empty, "meta-type"), "object");
    ck_assert_int_eq(json_array_get_length(
                         json_object_get_array_member(empty, "members")), 0);
    ck_assert(!json_object_has_member(noargs, "allow-oob"));
    ck_assert(json_object_get_boolean_member(oob, "allow-oob"));
    ck_assert_str_eq(json_array_get_string_element(
                         json_object_get_array_member(oob, "features"), 0),
                     "unstable");
    ck_assert_str_eq(str(find(schema, "test-str-ret"), "ret-type"), "str");
    ck_assert_str_eq(str(find(schema, "test-struct-arg"), "ret-type"), "int");

    /* Optional members carry "default": null. */
    obj = find(schema, str(args, "arg-type"));
    members = json_object_get_array_member(obj, "members");
    ck_assert_str_eq(str(json_array_get_object_element(members, 0), "name"),
                     "a");
    ck_assert(!json_object_has_member(
                  json_array_get_object_element(members, 0), "default"));
    ck_assert(json_object_has_member(
                  json_array_get_object_element(members, 1), "default"));
    ck_assert(JSON_NODE_HOLDS_NULL(json_object_get_member(
                  json_array_get_object_element(members, 1), "default")));
    ck_assert_str_eq(str(json_array_get_object_element(members, 4), "type"),
                     "[int]");
    ck_assert_str_eq(str(find(schema, "TEST_EVENT_NODATA"), "arg-type"),
                     str(noargs, "arg-type"));
}
END_TEST

START_TEST(test_types)
{
    JsonObject *boxed = find(schema, "test-boxed");
    JsonObject *st = find(schema, str(boxed, "arg-type"));
    JsonArray *members = json_object_get_array_member(st, "members");
    JsonObject *feat = NULL;
    JsonObject *e;
    guint i;

    /* Base members flattened in first; features kept. */
    ck_assert_str_eq(str(json_array_get_object_element(members, 0), "name"),
                     "base-int");
    ck_assert_str_eq(json_array_get_string_element(
                         json_object_get_array_member(st, "features"), 0),
                     "struct-feat");
    for (i = 0; i < json_array_get_length(members); i++) {
        JsonObject *m = json_array_get_object_element(members, i);

        if (!strcmp(str(m, "name"), "feat-member")) {
            feat = m;
        }
        if (!strcmp(str(m, "name"), "opt-enum")) {
            e = find(schema, str(m, "type"));
            ck_assert_str_eq(str(e, "meta-type"), "enum");
            ck_assert_int_eq(json_array_get_length(
                json_object_get_array_member(e, "values")), 3);
            ck_assert_str_eq(json_array_get_string_element(
                json_object_get_array_member(e, "values"), 0), "value-one");
        }
    }
    ck_assert_ptr_nonnull(feat);
    ck_assert(json_object_has_member(feat, "features"));
    /* The returned array of TestInner is "[N]" with a masked element. */
    e = find(schema, str(boxed, "ret-type"));
    ck_assert_str_eq(str(e, "meta-type"), "array");
    ck_assert(is_number(str(e, "element-type")));
}
END_TEST

START_TEST(test_union_and_alternate)
{
    JsonObject *wrap = find(schema, str(find(schema, "test-wrap"),
                                        "ret-type"));
    JsonArray *members = json_object_get_array_member(wrap, "members");
    JsonObject *alt = find(schema, str(json_array_get_object_element(
                                           members, 0), "type"));
    JsonObject *un = find(schema, str(json_array_get_object_element(
                                          members, 1), "type"));
    JsonArray *variants = json_object_get_array_member(un, "variants");
    JsonObject *v3 = json_array_get_object_element(variants, 2);
    JsonObject *empty = find(schema, str(v3, "type"));

    ck_assert_str_eq(str(alt, "meta-type"), "alternate");
    ck_assert_int_eq(json_array_get_length(
                         json_object_get_array_member(alt, "members")), 5);
    ck_assert_str_eq(str(un, "tag"), "kind");
    ck_assert_int_eq(json_array_get_length(variants), 3);
    ck_assert_str_eq(str(v3, "case"), "value3");
    ck_assert_int_eq(json_array_get_length(
                         json_object_get_array_member(empty, "members")), 0);
}
END_TEST

START_TEST(test_main_schema)
{
    JsonNode *node = json_from_string(qapi_introspect_json(), NULL);
    JsonArray *arr = json_node_get_array(node);
    JsonObject *status = find(arr, "query-status");
    JsonObject *info = find(arr, str(status, "ret-type"));
    JsonArray *members = json_object_get_array_member(info, "members");
    JsonObject *caps = find(arr, str(find(arr, "qmp_capabilities"),
                                     "arg-type"));
    JsonObject *enable = json_array_get_object_element(
        json_object_get_array_member(caps, "members"), 0);

    ck_assert_str_eq(str(json_array_get_object_element(members, 0), "name"),
                     "running");
    ck_assert_str_eq(str(json_array_get_object_element(members, 0), "type"),
                     "bool");
    ck_assert_str_eq(str(json_array_get_object_element(members, 1), "name"),
                     "status");
    ck_assert_str_eq(str(enable, "name"), "enable");
    ck_assert(json_object_has_member(enable, "default"));
    ck_assert(str(enable, "type")[0] == '[');
    ck_assert_ptr_nonnull(find(arr, "query-qmp-schema"));
    ck_assert_ptr_nonnull(find(arr, "SHUTDOWN"));
    ck_assert_str_eq(str(find(arr, "human-monitor-command"), "ret-type"),
                     "str");
    json_node_unref(node);
}
END_TEST

static Suite *qapi_introspect_suite(void)
{
    Suite *s = suite_create("qapi-introspect");
    struct {
        const char *name;
        const TTest *test;
    } cases[] = {
        { "order-and-names", test_order_and_names },
        { "builtins", test_builtins },
        { "commands", test_commands },
        { "types", test_types },
        { "union-and-alternate", test_union_and_alternate },
        { "main-schema", test_main_schema },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        TCase *tc = tcase_create(cases[i].name);

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    return s;
}

TERN_CHECK_MAIN(qapi_introspect_suite)
