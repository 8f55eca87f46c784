/*
 * test-qapi-visit.c: the generated types and JSON conversions.
 *
 * Round trips for every construct of the test schema, every input error
 * message with its member path, keyval-mode conversion and enum helpers.
 */
#include "util/osdep.h"
#include "tern-check.h"
#include "test-qapi-visit-qapi-schema-test.h"
#include "qapi/qapi-visit-control.h"
#include "qapi/qapi-types-run-state.h"

static JsonNode *parse(const char *text)
{
    GError *err = NULL;
    JsonNode *node = json_from_string(text, &err);

    ck_assert_msg(node, "bad test JSON %s: %s", text,
                  err ? err->message : "");
    return node;
}

/* Compact JSON text of a node, for comparisons; frees @node. */
static char *dump(JsonNode *node)
{
    char *text = json_to_string(node, FALSE);

    json_node_unref(node);
    return text;
}

/* Parse @in as T, write it back and expect @out (NULL: same as @in). */
#define ROUND_TRIP(T, in, out)                                          \
    do {                                                                \
        JsonNode *n_ = parse(in);                                       \
        GError *e_ = NULL;                                              \
        T *obj_ = qapi_##T##_from_json(n_, QAPI_INPUT_NONE, &e_);       \
        g_autofree char *text_ = NULL;                                  \
                                                                        \
        ck_assert_msg(obj_, "%s: %s", in, e_ ? e_->message : "?");      \
        text_ = dump(qapi_##T##_to_json(obj_));                         \
        ck_assert_str_eq(text_, (out) ? (out) : (in));                  \
        qapi_free_##T(obj_);                                            \
        json_node_unref(n_);                                            \
    } while (0)

/* Parse @in as T with @flags and expect failure with message @msg. */
#define EXPECT_ERROR(T, flags, in, msg)                                 \
    do {                                                                \
        JsonNode *n_ = parse(in);                                       \
        GError *e_ = NULL;                                              \
        T *obj_ = qapi_##T##_from_json(n_, flags, &e_);                 \
                                                                        \
        ck_assert_msg(!obj_, "%s was accepted", in);                    \
        ck_assert_ptr_nonnull(e_);                                      \
        ck_assert_str_eq(e_->message, msg);                             \
        ck_assert_int_eq(error_get_class(e_), ERROR_CLASS_GENERIC_ERROR); \
        g_error_free(e_);                                               \
        json_node_unref(n_);                                            \
    } while (0)

#define FULL_STRUCT                                                     \
    "{\"base-int\":-7,\"base-str\":\"base\",\"b\":true,"                \
    "\"opt-str\":\"s\",\"opt-int\":42,\"opt-enum\":\"value2\","         \
    "\"opt-inner\":{\"i8\":-128,\"num\":0.5},"                          \
    "\"inner\":{\"i8\":127,\"u32\":4294967295,\"sz\":1024,"             \
    "\"num\":1.5,\"pre\":\"a-b\"},"                                     \
    "\"ints\":[1,2,3],\"strs\":[\"x\",\"y\"],"                          \
    "\"inners\":[{\"i8\":1,\"num\":1.0},{\"i8\":2,\"num\":2.0}],"       \
    "\"u64\":9223372036854775807,\"anything\":{\"k\":[null,true]},"     \
    "\"feat-member\":false,\"sub\":{\"name\":\"n\",\"kind\":\"beta\"}}"

START_TEST(test_struct_round_trip)
{
    ROUND_TRIP(TestStruct, FULL_STRUCT, NULL);
    /* Absent optionals stay absent; empty lists stay lists. */
    ROUND_TRIP(TestStruct,
               "{\"base-int\":0,\"base-str\":\"\",\"b\":false,"
               "\"inner\":{\"i8\":0,\"num\":0.0},\"ints\":[],\"inners\":[]}",
               NULL);
    /* Members come out in schema order, base first. */
    ROUND_TRIP(TestBase, "{\"base-str\":\"x\",\"base-int\":1}",
               "{\"base-int\":1,\"base-str\":\"x\"}");
}
END_TEST

START_TEST(test_struct_c_layout)
{
    JsonNode *n = parse(FULL_STRUCT);
    g_autoptr(TestStruct) s = qapi_TestStruct_from_json(n, 0, NULL);

    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s->base_int, -7);
    ck_assert_str_eq(qapi_TestStruct_base(s)->base_str, "base");
    ck_assert(s->b);
    ck_assert(s->has_opt_int && s->opt_int == 42);
    ck_assert(s->has_opt_enum && s->opt_enum == TEST_ENUM_VALUE2);
    ck_assert_int_eq(s->inner->i8, 127);
    ck_assert(s->inner->has_u32 && s->inner->u32 == UINT32_MAX);
    ck_assert(s->inner->has_pre && s->inner->pre == TP_A_B);
    ck_assert_int_eq(s->ints->value, 1);
    ck_assert_int_eq(s->ints->next->next->value, 3);
    ck_assert_ptr_null(s->ints->next->next->next);
    ck_assert_str_eq(s->strs->next->value, "y");
    ck_assert_int_eq(s->inners->next->value->i8, 2);
    ck_assert(s->has_u64 && s->u64 == INT64_MAX);
    ck_assert(JSON_NODE_HOLDS_OBJECT(s->anything));
    ck_assert(s->sub->has_kind && s->sub->kind == SUB_ENUM_BETA);
    ck_assert_ptr_null(qapi_TestStruct_from_json(NULL, 0, NULL));
    json_node_unref(n);
}
END_TEST

START_TEST(test_union)
{
    JsonNode *n;
    TestUnion *u;

    ROUND_TRIP(TestUnion, "{\"kind\":\"value-one\",\"common\":3,"
               "\"i8\":5,\"num\":1.0}", NULL);
    ROUND_TRIP(TestUnion, "{\"kind\":\"value2\",\"base-int\":1,"
               "\"base-str\":\"b\"}", NULL);
    /* A value without a branch has no members of its own. */
    ROUND_TRIP(TestUnion, "{\"kind\":\"value3\"}", NULL);
    EXPECT_ERROR(TestUnion, 0, "{\"kind\":\"value3\",\"i8\":1}",
                 "Parameter 'i8' is unexpected");
    EXPECT_ERROR(TestUnion, 0, "{\"kind\":\"value2\",\"base-int\":1}",
                 "Parameter 'base-str' is missing");
    EXPECT_ERROR(TestUnion, 0, "{\"i8\":1}", "Parameter 'kind' is missing");
    EXPECT_ERROR(TestUnion, 0, "{\"kind\":\"nope\"}",
                 "Parameter 'kind' does not accept value 'nope'");

    n = parse("{\"kind\":\"value-one\",\"i8\":-1,\"num\":2.5}");
    u = qapi_TestUnion_from_json(n, 0, NULL);
    ck_assert_int_eq(u->kind, TEST_ENUM_VALUE_ONE);
    ck_assert(!u->has_common);
    ck_assert_int_eq(u->u.value_one.i8, -1);
    ck_assert(u->u.value_one.num == 2.5);
    qapi_free_TestUnion(u);
    json_node_unref(n);
}
END_TEST

START_TEST(test_alternate)
{
    const char *in = "{\"alt\":%s,\"un\":{\"kind\":\"value3\"}}";
    const char *branches[] = { "5", "\"str\"", "{\"base-int\":1,"
                               "\"base-str\":\"s\"}", "true", "null" };
    JsonNode *n;
    TestWrap *w;
    size_t i;

    for (i = 0; i < ARRAY_SIZE(branches); i++) {
        g_autofree char *text = g_strdup_printf(in, branches[i]);

        ROUND_TRIP(TestWrap, text, NULL);
    }
    ROUND_TRIP(TestWrap, "{\"alt\":1,\"un\":{\"kind\":\"value3\"},"
               "\"alts\":[1,\"a\",null],\"num\":2.5}", NULL);
    n = parse("{\"alt\":{\"base-int\":2,\"base-str\":\"q\"},"
              "\"un\":{\"kind\":\"value3\"},\"num\":false}");
    w = qapi_TestWrap_from_json(n, 0, NULL);
    ck_assert_int_eq(w->alt->type, QTYPE_QDICT);
    ck_assert_str_eq(w->alt->u.st.base_str, "q");
    ck_assert_int_eq(w->num->type, QTYPE_QBOOL);
    ck_assert(!w->num->u.b);
    qapi_free_TestWrap(w);
    json_node_unref(n);

    EXPECT_ERROR(TestWrap, 0, "{\"alt\":[],\"un\":{\"kind\":\"value3\"}}",
                 "Invalid parameter type for 'alt', expected: TestAlt");
    EXPECT_ERROR(TestWrap, 0, "{\"alt\":{\"base-int\":1},"
                 "\"un\":{\"kind\":\"value3\"}}",
                 "Parameter 'alt.base-str' is missing");
    EXPECT_ERROR(TestWrap, 0, "{\"alt\":1,\"un\":{\"kind\":\"value3\"},"
                 "\"num\":\"x\"}",
                 "Invalid parameter type for 'num', expected: TestAltNum");
}
END_TEST

START_TEST(test_lists)
{
    JsonNode *n = parse("[3,-4]");
    intList *ints = NULL;
    strList *strs = NULL;
    GError *err = NULL;
    g_autofree char *text = NULL;

    ck_assert(qapi_intList_from_json(n, 0, &ints, NULL));
    ck_assert_int_eq(ints->value, 3);
    ck_assert_int_eq(ints->next->value, -4);
    text = dump(qapi_intList_to_json(ints));
    ck_assert_str_eq(text, "[3,-4]");
    qapi_free_intList(ints);
    ck_assert(!qapi_strList_from_json(n, 0, &strs, &err));
    ck_assert_str_eq(err->message,
                     "Invalid parameter type for '[0]', expected: string");
    ck_assert_ptr_null(strs);
    g_clear_error(&err);
    json_node_unref(n);

    /* The empty list is NULL, and NULL is written as []. */
    n = parse("[]");
    ck_assert(qapi_strList_from_json(n, 0, &strs, NULL));
    ck_assert_ptr_null(strs);
    g_free(text);
    text = dump(qapi_strList_to_json(NULL));
    ck_assert_str_eq(text, "[]");
    json_node_unref(n);
    qapi_free_strList(NULL);
    qapi_free_TestStruct(NULL);
}
END_TEST

#define S_PRE "{\"base-int\":1,\"base-str\":\"s\","
#define S_INNER "\"inner\":{\"i8\":1,\"num\":1},"
#define S_LISTS "\"ints\":[],\"inners\":[]"

START_TEST(test_input_errors)
{
    EXPECT_ERROR(TestStruct, 0, S_PRE S_INNER S_LISTS "}",
                 "Parameter 'b' is missing");
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":1," S_INNER S_LISTS "}",
                 "Invalid parameter type for 'b', expected: boolean");
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":true,\"zzz\":1," S_INNER
                 S_LISTS "}", "Parameter 'zzz' is unexpected");
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":true,\"opt-int\":1.0," S_INNER
                 S_LISTS "}",
                 "Invalid parameter type for 'opt-int', expected: integer");
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":true,\"opt-str\":5," S_INNER
                 S_LISTS "}",
                 "Invalid parameter type for 'opt-str', expected: string");
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":true,\"opt-enum\":\"v\","
                 S_INNER S_LISTS "}",
                 "Parameter 'opt-enum' does not accept value 'v'");
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":true,\"inner\":[]," S_LISTS "}",
                 "Invalid parameter type for 'inner', expected: object");
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":true," S_INNER
                 "\"ints\":{},\"inners\":[]}",
                 "Invalid parameter type for 'ints', expected: array");
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":true," S_INNER
                 "\"ints\":[],\"inners\":[],\"u64\":\"1\"}",
                 "Parameter 'u64' expects uint64");
    EXPECT_ERROR(TestStruct, 0, "[]",
                 "Invalid parameter type for '<anonymous>', "
                 "expected: object");
}
END_TEST

START_TEST(test_input_paths)
{
    /* Nested members: a.b */
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":true,\"inner\":{\"i8\":1},"
                 S_LISTS "}", "Parameter 'inner.num' is missing");
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":true,\"inner\":{\"i8\":1,"
                 "\"num\":1,\"x\":0}," S_LISTS "}",
                 "Parameter 'inner.x' is unexpected");
    /* List elements: a[2] */
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":true," S_INNER
                 "\"ints\":[1,2,\"3\"],\"inners\":[]}",
                 "Invalid parameter type for 'ints[2]', expected: integer");
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":true," S_INNER "\"ints\":[],"
                 "\"inners\":[{\"i8\":1,\"num\":1},{\"i8\":1,\"num\":1},"
                 "{\"i8\":\"x\",\"num\":1}]}",
                 "Invalid parameter type for 'inners[2].i8', "
                 "expected: integer");
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":true," S_INNER "\"ints\":[],"
                 "\"inners\":[{\"num\":1}]}",
                 "Parameter 'inners[0].i8' is missing");
    /* Range errors name the bare member, as QEMU does. */
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":true,\"inner\":{\"i8\":128,"
                 "\"num\":1}," S_LISTS "}", "Parameter 'i8' expects int8");
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":true,\"inner\":{\"i8\":1,"
                 "\"num\":1,\"u32\":4294967296}," S_LISTS "}",
                 "Parameter 'u32' expects uint32");
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":true,\"inner\":{\"i8\":1,"
                 "\"num\":1,\"u32\":-1}," S_LISTS "}",
                 "Parameter 'u32' expects uint32");
    EXPECT_ERROR(TestStruct, 0, S_PRE "\"b\":true,\"inner\":{\"i8\":1,"
                 "\"num\":\"1\"}," S_LISTS "}",
                 "Invalid parameter type for 'inner.num', expected: number");
}
END_TEST

START_TEST(test_enum_in_list)
{
    /* An enum inside a list has no name: QEMU prints 'null'. */
    JsonNode *n = parse("[\"oob\",\"foo\"]");
    QMPCapabilityList *caps = NULL;
    GError *err = NULL;

    ck_assert(!qapi_QMPCapabilityList_from_json(n, 0, &caps, &err));
    ck_assert_str_eq(err->message,
                     "Parameter 'null' does not accept value 'foo'");
    ck_assert_ptr_null(caps);
    g_error_free(err);
    json_node_unref(n);
}
END_TEST

START_TEST(test_keyval)
{
    JsonNode *n = parse("{\"i8\":\"-5\",\"u32\":\"0x10\",\"sz\":\"1.5K\","
                        "\"num\":\"2.5\",\"pre\":\"c\"}");
    TestInner *in = qapi_TestInner_from_json(n, QAPI_INPUT_KEYVAL, NULL);
    const char *sizes[][2] = {
        { "0", "0" }, { "512", "512" }, { "1k", "1024" }, { "2M", "2097152" },
        { "1G", "1073741824" }, { "1T", "1099511627776" }, { "3B", "3" },
        { "0x100", "256" },
    };
    size_t i;

    ck_assert_ptr_nonnull(in);
    ck_assert_int_eq(in->i8, -5);
    ck_assert_int_eq(in->u32, 16);
    ck_assert_uint_eq(in->sz, 1536);
    ck_assert(in->num == 2.5);
    ck_assert_int_eq(in->pre, TP_C);
    qapi_free_TestInner(in);
    json_node_unref(n);

    for (i = 0; i < ARRAY_SIZE(sizes); i++) {
        g_autofree char *text = g_strdup_printf(
            "{\"i8\":\"0\",\"num\":\"0\",\"sz\":\"%s\"}", sizes[i][0]);

        n = parse(text);
        in = qapi_TestInner_from_json(n, QAPI_INPUT_KEYVAL, NULL);
        ck_assert_msg(in, "size %s", sizes[i][0]);
        ck_assert_uint_eq(in->sz, g_ascii_strtoull(sizes[i][1], NULL, 10));
        qapi_free_TestInner(in);
        json_node_unref(n);
    }
    /* Typed JSON values are accepted too. */
    ROUND_TRIP(TestInner, "{\"i8\":1,\"num\":1.0}", NULL);
}
END_TEST

START_TEST(test_keyval_bool)
{
    const char *yes[] = { "on", "yes", "true", "y" };
    const char *no[] = { "off", "no", "false", "n" };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(yes) * 2; i++) {
        bool want = i < ARRAY_SIZE(yes);
        const char *word = want ? yes[i] : no[i - ARRAY_SIZE(yes)];
        g_autofree char *text = g_strdup_printf(
            "{\"b\":\"%s\",\"ba\":\"%s\"}", word, word);
        JsonNode *n = parse(text);
        JsonObject *o = json_node_get_object(n);
        QapiInput *qin;
        bool val = !want;

        json_object_remove_member(o, "ba");
        qin = qapi_input_new(n, QAPI_INPUT_KEYVAL);
        ck_assert(qapi_input_start_struct(qin, NULL, NULL));
        ck_assert_msg(qapi_in_bool(qin, "b", &val, NULL), "%s", word);
        ck_assert_int_eq(val, want);
        qapi_input_end(qin);
        qapi_input_free(qin);
        json_node_unref(n);
    }
}
END_TEST

START_TEST(test_keyval_errors)
{
    EXPECT_ERROR(TestInner, QAPI_INPUT_KEYVAL, "{\"i8\":\"x\",\"num\":\"1\"}",
                 "Parameter 'i8' expects integer");
    EXPECT_ERROR(TestInner, QAPI_INPUT_KEYVAL, "{\"i8\":\"300\","
                 "\"num\":\"1\"}", "Parameter 'i8' expects int8");
    EXPECT_ERROR(TestInner, QAPI_INPUT_KEYVAL, "{\"i8\":\"1\","
                 "\"num\":\"1\",\"sz\":\"1Q\"}", "Parameter 'sz' expects size");
    EXPECT_ERROR(TestInner, QAPI_INPUT_KEYVAL, "{\"i8\":\"1\","
                 "\"num\":\"1\",\"sz\":\"-1\"}", "Parameter 'sz' expects size");
    EXPECT_ERROR(TestInner, QAPI_INPUT_KEYVAL, "{\"i8\":\"1\","
                 "\"num\":\"1x\"}", "Parameter 'num' expects number");
    EXPECT_ERROR(TestInner, QAPI_INPUT_KEYVAL, "{\"i8\":\"1\","
                 "\"num\":{\"a\":\"1\"}}", "Parameters 'num.*' are unexpected");
    EXPECT_ERROR(TestInner, QAPI_INPUT_KEYVAL, "{\"i8\":\"1\","
                 "\"num\":\"1\",\"u32\":\"-1\"}",
                 "Parameter 'u32' expects integer");
    EXPECT_ERROR(TestBase, QAPI_INPUT_KEYVAL, "{\"base-int\":\"1\"}",
                 "Parameter 'base-str' is missing");
}
END_TEST

START_TEST(test_keyval_list_path)
{
    /* In keyval mode a list element is named "a.N", as keyval spells it. */
    JsonNode *n = parse("[\"1\",\"x\"]");
    intList *l = NULL;
    GError *err = NULL;

    ck_assert(!qapi_intList_from_json(n, QAPI_INPUT_KEYVAL, &l, &err));
    ck_assert_str_eq(err->message, "Parameter '1' expects integer");
    g_error_free(err);
    json_node_unref(n);
}
END_TEST

START_TEST(test_enum_helpers)
{
    GError *err = NULL;

    ck_assert_str_eq(RunState_str(RUN_STATE_PRELAUNCH), "prelaunch");
    ck_assert_str_eq(RunState_str(RUN_STATE_COLO), "colo");
    ck_assert_int_eq(RUN_STATE__MAX, 16);
    ck_assert_str_eq(RunState_str(RUN_STATE__MAX), "<invalid>");
    ck_assert_int_eq(SHUTDOWN_CAUSE_SNAPSHOT_LOAD, 10);
    ck_assert_str_eq(TestPrefixed_str(TP_A_B), "a-b");
    ck_assert_int_eq(qapi_enum_parse(&RunState_lookup, "running", -1, NULL),
                     RUN_STATE_RUNNING);
    ck_assert_int_eq(qapi_enum_parse(&RunState_lookup, NULL,
                                     RUN_STATE_PAUSED, NULL),
                     RUN_STATE_PAUSED);
    ck_assert_int_eq(qapi_enum_parse(&RunState_lookup, "nope", 0, &err), -1);
    ck_assert_str_eq(err->message, "invalid parameter value: nope");
    g_error_free(err);
}
END_TEST

START_TEST(test_uint64_range)
{
    JsonNode *n = json_node_init_double(json_node_alloc(),
                                        9223372036854775808.0);
    JsonNode *out;
    QapiInput *in = qapi_input_new(n, 0);
    uint64_t v = 0;

    ck_assert(qapi_in_uint64(in, NULL, &v, NULL));
    ck_assert(v == (1ULL << 63));
    qapi_input_free(in);
    json_node_unref(n);
    out = qapi_out_uint64(UINT64_MAX);
    ck_assert_int_eq(json_node_get_value_type(out), G_TYPE_DOUBLE);
    json_node_unref(out);
    out = qapi_out_uint64(5);
    ck_assert_int_eq(json_node_get_int(out), 5);
    json_node_unref(out);
}
END_TEST

static Suite *qapi_visit_suite(void)
{
    Suite *s = suite_create("qapi-visit");
    struct {
        const char *name;
        const TTest *test;
    } cases[] = {
        { "struct", test_struct_round_trip },
        { "struct-layout", test_struct_c_layout },
        { "union", test_union },
        { "alternate", test_alternate },
        { "lists", test_lists },
        { "input-errors", test_input_errors },
        { "input-paths", test_input_paths },
        { "enum-in-list", test_enum_in_list },
        { "keyval", test_keyval },
        { "keyval-bool", test_keyval_bool },
        { "keyval-errors", test_keyval_errors },
        { "keyval-list-path", test_keyval_list_path },
        { "enum-helpers", test_enum_helpers },
        { "uint64", test_uint64_range },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        TCase *tc = tcase_create(cases[i].name);

        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    return s;
}

TERN_CHECK_MAIN(qapi_visit_suite)
