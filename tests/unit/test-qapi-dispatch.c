/*
 * test-qapi-dispatch.c: the command table, qmp_dispatch() and the
 * generated marshallers and event emitters of the test schema.
 */
#include "util/osdep.h"
#include "tern-check.h"
#include "test-qapi-commands-qapi-schema-test.h"
#include "test-qapi-commands-sub-module.h"
#include "test-qapi-events-qapi-schema-test.h"
#include "test-qapi-visit-qapi-schema-test.h"

static int handler_calls;

/* ---- handlers of the test schema -------------------------------------- */

bool qmp_test_noargs(GError **errp)
{
    handler_calls++;
    return true;
}

TestBase *qmp_test_args(const char *a, bool has_b, int64_t b, const char *c,
                        bool has_e, TestEnum e, intList *l, GError **errp)
{
    TestBase *ret = g_new0(TestBase, 1);

    handler_calls++;
    ret->base_int = has_b ? b : -1;
    ret->base_str = g_strdup_printf("%s/%s/%s", a, c ? c : "-",
                                    has_e ? TestEnum_str(e) : "-");
    return ret;
}

TestInnerList *qmp_test_boxed(TestStruct *arg, GError **errp)
{
    TestInnerList *ret = NULL;
    TestInnerList **tail = &ret;
    TestInnerList *l;

    handler_calls++;
    for (l = arg->inners; l; l = l->next) {
        *tail = g_new0(TestInnerList, 1);
        (*tail)->value = g_memdup2(l->value, sizeof(*l->value));
        tail = &(*tail)->next;
    }
    return ret;
}

int64_t qmp_test_struct_arg(int64_t base_int, const char *base_str,
                            GError **errp)
{
    handler_calls++;
    return base_int + strlen(base_str);
}

char *qmp_test_str_ret(const char *s, GError **errp)
{
    handler_calls++;
    return g_strdup(s);
}

TestWrap *qmp_test_wrap(TestWrap *w, GError **errp)
{
    JsonNode *n = qapi_TestWrap_to_json(w);
    TestWrap *copy = qapi_TestWrap_from_json(n, 0, errp);

    handler_calls++;
    json_node_unref(n);
    return copy;
}

bool qmp_test_oob(GError **errp)
{
    handler_calls++;
    return true;
}

bool qmp_test_fail(bool has_cls, int64_t cls, GError **errp)
{
    handler_calls++;
    error_set(errp, has_cls ? cls : ERROR_CLASS_GENERIC_ERROR,
              "failed as asked");
    return false;
}

SubStruct *qmp_sub_cmd(SubStruct *x, GError **errp)
{
    SubStruct *ret = g_new0(SubStruct, 1);

    handler_calls++;
    ret->name = g_strdup(x->name);
    ret->has_kind = x->has_kind;
    ret->kind = x->kind;
    return ret;
}

/* ---- helpers ---------------------------------------------------------- */

static QmpCommandList *cmds;

static void setup(void)
{
    cmds = qmp_command_list_new();
    qmp_init_marshal_sub_module(cmds);
    qmp_init_marshal_qapi_schema_test(cmds);
    handler_calls = 0;
}

static void teardown(void)
{
    qmp_command_list_free(cmds);
    cmds = NULL;
}

/* Dispatch @request (JSON text) and return the reply as compact JSON. */
static char *dispatch(const char *request, bool allow_oob)
{
    GError *err = NULL;
    JsonNode *req = json_from_string(request, &err);
    JsonObject *rsp;
    JsonNode *node;
    char *text;

    ck_assert_msg(req || !err, "bad test JSON %s", request);
    rsp = qmp_dispatch(cmds, req, allow_oob);
    node = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(node, rsp);
    text = json_to_string(node, FALSE);
    json_node_unref(node);
    if (req) {
        json_node_unref(req);
    }
    return text;
}

#define CHECK(request, oob, reply)                                      \
    do {                                                                \
        g_autofree char *r_ = dispatch(request, oob);                   \
        ck_assert_str_eq(r_, reply);                                    \
    } while (0)

#define ERR(cls, desc) "\"error\":{\"class\":\"" cls "\",\"desc\":\"" desc "\"}"
#define GENERIC(desc) ERR("GenericError", desc)

/* ---- tests ------------------------------------------------------------ */

START_TEST(test_protocol_errors)
{
    CHECK("[]", false, "{" GENERIC("QMP input must be a JSON object") "}");
    CHECK("3", false, "{" GENERIC("QMP input must be a JSON object") "}");
    CHECK("{\"execute\":1,\"id\":5}", false,
          "{\"id\":5," GENERIC("QMP input member 'execute' must be a string")
          "}");
    CHECK("{\"exec-oob\":\"test-oob\"}", false,
          "{" GENERIC("QMP input member 'exec-oob' is unexpected") "}");
    CHECK("{\"exec-oob\":3}", true,
          "{" GENERIC("QMP input member 'exec-oob' must be a string") "}");
    CHECK("{\"execute\":\"test-oob\",\"exec-oob\":\"test-oob\"}", true,
          "{" GENERIC("QMP input member 'exec-oob' clashes with 'execute'")
          "}");
    CHECK("{\"execute\":\"test-noargs\",\"arguments\":[]}", false,
          "{" GENERIC("QMP input member 'arguments' must be an object") "}");
    CHECK("{\"execute\":\"test-noargs\",\"foo\":1}", false,
          "{" GENERIC("QMP input member 'foo' is unexpected") "}");
    CHECK("{\"id\":\"x\"}", false,
          "{\"id\":\"x\"," GENERIC("QMP input lacks member 'execute'") "}");
    CHECK("{}", false, "{" GENERIC("QMP input lacks member 'execute'") "}");
    ck_assert_int_eq(handler_calls, 0);
}
END_TEST

START_TEST(test_command_errors)
{
    CHECK("{\"execute\":\"nosuch\",\"id\":1}", false,
          "{\"id\":1," ERR("CommandNotFound",
                           "The command nosuch has not been found") "}");
    CHECK("{\"execute\":\"test-nogen\"}", false,
          "{" ERR("CommandNotFound",
                  "The command test-nogen has not been found") "}");
    CHECK("{\"exec-oob\":\"test-noargs\"}", true,
          "{" GENERIC("The command test-noargs does not support OOB") "}");
    ck_assert(qmp_disable_command(cmds, "test-noargs", "because"));
    CHECK("{\"execute\":\"test-noargs\"}", false,
          "{" ERR("CommandNotFound",
                  "Command test-noargs has been disabled: because") "}");
    ck_assert(qmp_enable_command(cmds, "test-noargs"));
    ck_assert(!qmp_disable_command(cmds, "nosuch", NULL));
    CHECK("{\"execute\":\"test-fail\",\"arguments\":{\"cls\":3}}", false,
          "{" ERR("DeviceNotFound", "failed as asked") "}");
    CHECK("{\"execute\":\"test-fail\",\"id\":[1]}", false,
          "{\"id\":[1]," GENERIC("failed as asked") "}");
    ck_assert_int_eq(handler_calls, 2);
}
END_TEST

START_TEST(test_argument_errors)
{
    CHECK("{\"execute\":\"test-args\"}", false,
          "{" GENERIC("Parameter 'a' is missing") "}");
    CHECK("{\"execute\":\"test-args\",\"arguments\":{\"a\":\"x\",\"z\":1}}",
          false, "{" GENERIC("Parameter 'z' is unexpected") "}");
    CHECK("{\"execute\":\"test-args\",\"arguments\":{\"a\":1}}", false,
          "{" GENERIC("Invalid parameter type for 'a', expected: string")
          "}");
    CHECK("{\"execute\":\"test-args\",\"arguments\":{\"a\":\"x\","
          "\"l\":[1,true]}}", false,
          "{" GENERIC("Invalid parameter type for 'l[1]', expected: integer")
          "}");
    CHECK("{\"execute\":\"test-noargs\",\"arguments\":{\"a\":1}}", false,
          "{" GENERIC("Parameter 'a' is unexpected") "}");
    CHECK("{\"execute\":\"sub-cmd\",\"arguments\":{\"x\":{\"name\":\"n\","
          "\"kind\":\"gamma\"}}}", false,
          "{" GENERIC("Parameter 'kind' does not accept value 'gamma'") "}");
    CHECK("{\"execute\":\"sub-cmd\",\"arguments\":{\"x\":{}}}", false,
          "{" GENERIC("Parameter 'x.name' is missing") "}");
    /* Nothing ran. */
    ck_assert_int_eq(handler_calls, 0);
}
END_TEST

START_TEST(test_returns)
{
    CHECK("{\"execute\":\"test-noargs\"}", false, "{\"return\":{}}");
    CHECK("{\"execute\":\"test-noargs\",\"arguments\":{}}", false,
          "{\"return\":{}}");
    CHECK("{\"execute\":\"test-args\",\"arguments\":{\"a\":\"x\",\"b\":4,"
          "\"e\":\"value2\",\"l\":[]}}", false,
          "{\"return\":{\"base-int\":4,\"base-str\":\"x/-/value2\"}}");
    CHECK("{\"execute\":\"test-str-ret\",\"arguments\":{\"s\":\"hi\"}}", false,
          "{\"return\":\"hi\"}");
    CHECK("{\"execute\":\"test-struct-arg\",\"arguments\":{\"base-int\":2,"
          "\"base-str\":\"abc\"}}", false, "{\"return\":5}");
    CHECK("{\"execute\":\"test-boxed\",\"arguments\":{\"base-int\":1,"
          "\"base-str\":\"s\",\"b\":true,\"inner\":{\"i8\":1,\"num\":1},"
          "\"ints\":[],\"inners\":[{\"i8\":7,\"num\":1}]}}", false,
          "{\"return\":[{\"i8\":7,\"num\":1.0}]}");
    CHECK("{\"execute\":\"test-boxed\",\"arguments\":{\"base-int\":1,"
          "\"base-str\":\"s\",\"b\":true,\"inner\":{\"i8\":1,\"num\":1},"
          "\"ints\":[],\"inners\":[]}}", false, "{\"return\":[]}");
    CHECK("{\"execute\":\"test-wrap\",\"arguments\":{\"w\":{\"alt\":\"s\","
          "\"un\":{\"kind\":\"value2\",\"base-int\":1,\"base-str\":\"b\"}}}}",
          false, "{\"return\":{\"alt\":\"s\",\"un\":{\"kind\":\"value2\","
          "\"base-int\":1,\"base-str\":\"b\"}}}");
    CHECK("{\"execute\":\"sub-cmd\",\"arguments\":{\"x\":{\"name\":\"n\"}}}",
          false, "{\"return\":{\"name\":\"n\"}}");
    CHECK("{\"exec-oob\":\"test-oob\",\"id\":1}", true,
          "{\"return\":{},\"id\":1}");
    ck_assert_int_eq(handler_calls, 10);
}
END_TEST

START_TEST(test_id_echo)
{
    const char *ids[] = {
        "null", "0", "-1", "\"a\\\"b\"", "true", "1.5", "[1,[2],{}]",
        "{\"k\":{\"n\":null}}", "{}", "[]",
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(ids); i++) {
        g_autofree char *ok = g_strdup_printf(
            "{\"execute\":\"test-noargs\",\"id\":%s}", ids[i]);
        g_autofree char *ok_reply = g_strdup_printf(
            "{\"return\":{},\"id\":%s}", ids[i]);
        g_autofree char *bad = g_strdup_printf(
            "{\"id\":%s,\"execute\":\"nosuch\"}", ids[i]);
        g_autofree char *bad_reply = g_strdup_printf(
            "{\"id\":%s," ERR("CommandNotFound",
                              "The command nosuch has not been found") "}",
            ids[i]);

        CHECK(ok, false, ok_reply);
        CHECK(bad, false, bad_reply);
    }
}
END_TEST

static void collect_names(const QmpCommand *cmd, void *opaque)
{
    g_string_append_printf(opaque, "%s,", cmd->name);
}

START_TEST(test_registration)
{
    g_autoptr(GString) names = g_string_new("");
    const QmpCommand *cmd;

    qmp_for_each_command(cmds, collect_names, names);
    ck_assert_str_eq(names->str, "sub-cmd,test-noargs,test-args,test-boxed,"
                     "test-struct-arg,test-str-ret,test-wrap,test-oob,"
                     "test-fail,");
    cmd = qmp_find_command(cmds, "test-oob");
    ck_assert_ptr_nonnull(cmd);
    ck_assert_int_eq(cmd->options,
                     QCO_ALLOW_OOB | QCO_ALLOW_PRECONFIG | QCO_COROUTINE);
    ck_assert_int_eq(qmp_find_command(cmds, "test-noargs")->options,
                     QCO_NO_OPTIONS);
    ck_assert_ptr_null(qmp_find_command(cmds, "test-nogen"));
    ck_assert_ptr_eq(qmp_get_commands(), qmp_commands);
    ck_assert_ptr_eq(qmp_get_commands(), qmp_get_commands());
}
END_TEST

static GString *events;

static void record_event(const char *name, JsonObject *data)
{
    g_string_append(events, name);
    if (data) {
        JsonNode *node = json_node_new(JSON_NODE_OBJECT);
        g_autofree char *text = NULL;

        json_node_set_object(node, data);
        text = json_to_string(node, FALSE);
        g_string_append(events, text);
        json_node_unref(node);
    }
    g_string_append_c(events, ';');
}

START_TEST(test_events)
{
    TestBase base = { .base_int = 3, .base_str = (char *)"z" };

    /* Without an emitter, events are dropped. */
    qapi_event_send_test_event_nodata();
    events = g_string_new("");
    qapi_event_set_emitter(record_event);
    qapi_event_send_test_event(1, NULL, false, TEST_ENUM_VALUE_ONE);
    qapi_event_send_test_event(2, "b", true, TEST_ENUM_VALUE3);
    qapi_event_send_test_event_nodata();
    qapi_event_send_test_event_boxed(&base);
    qapi_event_set_emitter(NULL);
    qapi_event_send_test_event_nodata();
    ck_assert_str_eq(events->str,
                     "TEST_EVENT{\"a\":1};"
                     "TEST_EVENT{\"a\":2,\"b\":\"b\",\"e\":\"value3\"};"
                     "TEST_EVENT_NODATA;"
                     "TEST_EVENT_BOXED{\"base-int\":3,\"base-str\":\"z\"};");
    g_string_free(events, TRUE);
}
END_TEST

static Suite *qapi_dispatch_suite(void)
{
    Suite *s = suite_create("qapi-dispatch");
    struct {
        const char *name;
        const TTest *test;
    } cases[] = {
        { "protocol-errors", test_protocol_errors },
        { "command-errors", test_command_errors },
        { "argument-errors", test_argument_errors },
        { "returns", test_returns },
        { "id-echo", test_id_echo },
        { "registration", test_registration },
        { "events", test_events },
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

TERN_CHECK_MAIN(qapi_dispatch_suite)
