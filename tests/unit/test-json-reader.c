/*
 * test-json-reader.c: the JSON wire reader (util/json-*.c).
 */
#include "util/osdep.h"
#include "util/json.h"
#include "tern-check.h"

/* Each message as a line: the compact value or "error: MESSAGE". */
static void collect_cb(void *opaque, JsonNode *value, GError *err)
{
    GPtrArray *out = opaque;

    ck_assert((value == NULL) != (err == NULL));
    if (err) {
        g_ptr_array_add(out, g_strdup_printf("error: %s", err->message));
        g_error_free(err);
    } else {
        g_ptr_array_add(out, json_serialize(value, false));
        json_node_unref(value);
    }
}

/* Feed @len bytes in pieces of @chunk (0: all at once), then flush. */
static GPtrArray *read_chunked(const char *buf, size_t len, size_t chunk)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    JsonStreamer *s = json_streamer_new(collect_cb, out);
    size_t off, n;

    for (off = 0; off < len; off += n) {
        n = chunk ? MIN(chunk, len - off) : len - off;
        json_streamer_feed(s, buf + off, n);
    }
    json_streamer_flush(s);
    json_streamer_free(s);
    return out;
}

/* All messages of @text, one per line. */
static char *read_all(const char *text)
{
    g_autoptr(GPtrArray) out = read_chunked(text, strlen(text), 0);

    g_ptr_array_add(out, NULL);
    return g_strjoinv("\n", (char **)out->pdata);
}

#define ck_assert_reads(text, expected)                 \
    do {                                                \
        g_autofree char *got_ = read_all(text);         \
        ck_assert_str_eq(got_, expected);               \
    } while (0)

#define PE "error: JSON parse error, "

START_TEST(test_values)
{
    ck_assert_reads("{\"execute\": \"query-status\", \"id\": 1}",
                    "{\"execute\": \"query-status\", \"id\": 1}");
    ck_assert_reads("[true, false, null, \"s\", [], {}]",
                    "[true, false, null, \"s\", [], {}]");
    ck_assert_reads(" \t\r\n[ 1 ,\n2 ]\n", "[1, 2]");
}
END_TEST

/* Every grammar error text of QEMU's parser, each on its own input. */
static const struct {
    const char *input;
    const char *expected;
} error_cases[] = {
    { "@", PE "stray '@'" },
    { "{ \"execute\": }", PE "expecting value" },
    { "[1, ]", PE "expecting value" },
    { "{\"a\": 1, }", PE "expecting value" },
    { "{\"a\": 1", PE "premature EOI" },
    { "[", PE "premature EOI" },
    { "{1: 2}", PE "key is not a string in object" },
    { "{\"a\" 1}", PE "missing : in object pair" },
    { "{\"a\": 1, \"a\": 2}", PE "duplicate key" },
    { "{\"a\": 1 \"b\": 2}", PE "expected separator in dict" },
    { "[1 2]", PE "expected separator in list" },
    { "tru ", PE "invalid keyword 'tru'" },
    { "\"\\x\"", PE "invalid escape sequence in string" },
    { "\"\xC3(\"", PE "invalid UTF-8 sequence in string" },
    { "\"\xC0\xAF\"", PE "invalid UTF-8 sequence in string" },
    { "\"\xEF\xBF\xBF\"", PE "invalid UTF-8 sequence in string" },
    { "\"\\uD800\"", PE "\\uD800 is not a valid Unicode character" },
    { "\"\\uDC00\"", PE "\\uDC00 is not a valid Unicode character" },
    { "\"\\uD83D\\u0041\"",
      PE "\\uD83D is not a valid Unicode character" },
    { "\"\\u12\"", PE "\\u12\" is not a valid Unicode character" },
    { "\"\\uFFFF\"", PE "\\uFFFF is not a valid Unicode character" },
    { "}", PE "expecting value" },
    { "True", PE "stray 'T'" },
    { "01", PE "stray '01'" },
    { "-x", PE "stray '-x'" },
    { "1.e5", PE "stray '1.e'" },
    /* A control byte in a string, then the resync '}' has its error. */
    { "\"qu\x01\"}", PE "stray '\"qu\x01'\n" PE "expecting value" },
    /* Invalid UTF-8 at top level: written as \uFFFD on the wire. */
    { "\xC3\xA9", PE "stray '\xEF\xBF\xBD'" },
    { "'abc", PE "stray ''abc'" },
};

START_TEST(test_errors)
{
    ck_assert_reads(error_cases[_i].input, error_cases[_i].expected);
}
END_TEST

START_TEST(test_stray_on_the_wire)
{
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_VALUE);
    g_autofree char *msg = read_all("\xFF");
    g_autofree char *wire = NULL;

    json_node_set_string(node, msg);
    wire = json_serialize(node, false);
    ck_assert_str_eq(wire, "\"" PE "stray '\\uFFFD'\"");
}
END_TEST

START_TEST(test_recovery)
{
    /* The partial message is dropped; the next one is read. */
    ck_assert_reads("{\"execute\": @}\n{\"execute\": \"cont\"}",
                    PE "stray '@'\n" PE "expecting value\n"
                    "{\"execute\": \"cont\"}");
    /* Recovery skips to a structural character. */
    ck_assert_reads("@abc [1]", PE "stray '@'\n[1]");
    /* A control character brings the reader to a known state. */
    ck_assert_reads("{\"a\": [1, \"x\x1b{\"b\": 2}",
                    PE "stray '\"x\x1b'\n{\"b\": 2}");
    ck_assert_reads("{\"a\": \xFF{\"b\": 2}",
                    PE "stray '\xEF\xBF\xBD'\n{\"b\": 2}");
    /* NUL bytes are input like any other. */
    {
        static const char nul[] = "\0{\"a\": 1}";
        g_autoptr(GPtrArray) out = read_chunked(nul, sizeof(nul) - 1, 0);

        ck_assert_uint_eq(out->len, 2);
        ck_assert_str_eq(out->pdata[0], PE "stray ''");
        ck_assert_str_eq(out->pdata[1], "{\"a\": 1}");
    }
}
END_TEST

START_TEST(test_several)
{
    ck_assert_reads("{\"a\": 1}{\"b\": 2} 3 [4]\"s\"null ",
                    "{\"a\": 1}\n{\"b\": 2}\n3\n[4]\n\"s\"\nnull");
}
END_TEST

static const char split_input[] =
    "{\"execute\": \"qmp_capabilities\"}\r\n"
    "{'execute': 'x', 'arguments': {'a': [1, 2.5, -3e2, \"\\u00e9\"]}}"
    "@@ {\"bad\": tru}\n[\"\xF0\x9F\x98\x80\", {}]\x01\n42 \"abc";

START_TEST(test_split)
{
    g_autoptr(GPtrArray) whole = NULL;
    size_t len = sizeof(split_input) - 1;
    size_t i, j;

    whole = read_chunked(split_input, len, 0);
    ck_assert_uint_eq(whole->len, 8);
    /* Byte by byte. */
    {
        g_autoptr(GPtrArray) bytes = read_chunked(split_input, len, 1);

        ck_assert_uint_eq(bytes->len, whole->len);
        for (j = 0; j < whole->len; j++) {
            ck_assert_str_eq(bytes->pdata[j], whole->pdata[j]);
        }
    }
    /* Two pieces, split at every byte boundary. */
    for (i = 1; i < len; i++) {
        g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
        JsonStreamer *s = json_streamer_new(collect_cb, out);

        json_streamer_feed(s, split_input, i);
        json_streamer_feed(s, split_input + i, len - i);
        json_streamer_flush(s);
        json_streamer_free(s);
        ck_assert_uint_eq(out->len, whole->len);
        for (j = 0; j < whole->len; j++) {
            ck_assert_str_eq(out->pdata[j], whole->pdata[j]);
        }
    }
}
END_TEST

START_TEST(test_flush_reset)
{
    ck_assert_reads("{\"a\": \"abc", PE "stray '\"abc'");
    ck_assert_reads("12", "12");
    ck_assert_reads("[1,", PE "premature EOI");
    ck_assert_reads("  \n", "");
    {
        g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
        JsonStreamer *s = json_streamer_new(collect_cb, out);

        json_streamer_feed(s, "{\"a\": [\"x", 9);
        json_streamer_reset(s);
        json_streamer_feed(s, "{\"b\": 1}", 8);
        json_streamer_flush(s);
        /* Usable again after a flush. */
        json_streamer_feed(s, "[2]", 3);
        json_streamer_free(s);
        ck_assert_uint_eq(out->len, 2);
        ck_assert_str_eq(out->pdata[0], "{\"b\": 1}");
        ck_assert_str_eq(out->pdata[1], "[2]");
    }
    json_streamer_free(NULL);
}
END_TEST

START_TEST(test_numbers)
{
    g_autoptr(JsonNode) small = json_parse_string("42", NULL);
    g_autoptr(JsonNode) big = json_parse_string("9223372036854775808", NULL);
    g_autoptr(JsonNode) flt = json_parse_string("2.0", NULL);

    ck_assert_int_eq(json_node_get_value_type(small), G_TYPE_INT64);
    ck_assert_int_eq(json_node_get_value_type(big), G_TYPE_DOUBLE);
    ck_assert_int_eq(json_node_get_value_type(flt), G_TYPE_DOUBLE);
    ck_assert_reads("[9223372036854775807, -9223372036854775808]",
                    "[9223372036854775807, -9223372036854775808]");
    ck_assert_reads("[9223372036854775808, 18446744073709551616]",
                    "[9.2233720368547758e+18, 1.8446744073709552e+19]");
    ck_assert_reads("[1.5e3, -0, 0.1, 1E2, 2e-1, -1.25]",
                    "[1500, 0, 0.10000000000000001, 100, 0.20000000000000001,"
                    " -1.25]");
}
END_TEST

START_TEST(test_single_quotes)
{
    ck_assert_reads("{'a': 'it\\'s \"x\"'}",
                    "{\"a\": \"it's \\\"x\\\"\"}");
    ck_assert_reads("\"\\' \\/ \\b\\f\\n\\r\\t\"",
                    "\"' / \\b\\f\\n\\r\\t\"");
}
END_TEST

START_TEST(test_utf8)
{
    g_autoptr(JsonNode) nul = NULL;

    ck_assert_reads("\"\xC3\xA9\xF0\x9F\x98\x80\"",
                    "\"\\u00E9\\uD83D\\uDE00\"");
    ck_assert_reads("\"\\u00e9\\uD83D\\uDE00\"",
                    "\"\\u00E9\\uD83D\\uDE00\"");
    /* U+0000 is kept as modified UTF-8 and written back as \u0000. */
    nul = json_parse_string("\"a\\u0000b\"", NULL);
    ck_assert_str_eq(json_node_get_string(nul), "a\xC0\x80" "b");
    ck_assert_reads("\"a\\u0000b\"", "\"a\\u0000b\"");
    ck_assert_reads("\"\xFE\"", PE "stray '\"\xEF\xBF\xBD'");
}
END_TEST

START_TEST(test_parse_string)
{
    GError *err = NULL;
    g_autoptr(JsonNode) node = json_parse_string(" {\"a\": [1]} ", &err);
    JsonNode *bad;

    ck_assert_ptr_null(err);
    ck_assert(JSON_NODE_HOLDS_OBJECT(node));
    bad = json_parse_string("  ", &err);
    ck_assert_ptr_null(bad);
    ck_assert_str_eq(err->message, "Expecting a JSON value");
    g_clear_error(&err);
    bad = json_parse_string("1 2", &err);
    ck_assert_ptr_null(bad);
    ck_assert_str_eq(err->message, "Expecting at most one JSON value");
    g_clear_error(&err);
    bad = json_parse_string("{\"a\": 1} x", &err);
    ck_assert_ptr_null(bad);
    ck_assert_str_eq(err->message, "Expecting at most one JSON value");
    g_clear_error(&err);
    bad = json_parse_string("{", &err);
    ck_assert_ptr_null(bad);
    ck_assert_str_eq(err->message, "JSON parse error, premature EOI");
    g_clear_error(&err);
    bad = json_parse_string("[@] [1]", NULL);
    ck_assert_ptr_null(bad);
}
END_TEST

/* Read @text then a good request; return all messages. */
static GPtrArray *read_then_good(GString *text)
{
    g_string_append(text, "\n{\"execute\": \"cont\"}");
    return read_chunked(text->str, text->len, 65536);
}

static void assert_limit_then_good(GPtrArray *out, const char *error)
{
    ck_assert_uint_ge(out->len, 2);
    ck_assert_str_eq(out->pdata[0], error);
    ck_assert_str_eq(out->pdata[out->len - 1], "{\"execute\": \"cont\"}");
}

START_TEST(test_limit_size)
{
    g_autoptr(GString) text = g_string_new("{\"execute\": \"");
    g_autoptr(GPtrArray) out = NULL;
    size_t i;

    for (i = 0; i < (17u << 20); i++) {
        g_string_append_c(text, 'a');
    }
    g_string_append(text, "\"}");
    out = read_then_good(text);
    assert_limit_then_good(out, "error: JSON token size limit exceeded");
}
END_TEST

START_TEST(test_limit_size_many_tokens)
{
    g_autoptr(GString) text = g_string_new("[");
    g_autofree char *mib = g_strnfill(1 << 20, 'b');
    g_autoptr(GPtrArray) out = NULL;
    int i;

    for (i = 0; i < 17; i++) {
        g_string_append_printf(text, "\"%s\",", mib);
    }
    g_string_append(text, "1]");
    out = read_then_good(text);
    assert_limit_then_good(out, "error: JSON token size limit exceeded");
}
END_TEST

START_TEST(test_limit_depth)
{
    g_autoptr(GString) ok = g_string_new(NULL);
    g_autoptr(GString) deep = g_string_new(NULL);
    g_autoptr(GPtrArray) out = NULL;
    g_autofree char *got = NULL;
    int i;

    for (i = 0; i < JSON_MAX_NESTING; i++) {
        g_string_append_c(ok, '[');
    }
    for (i = 0; i < JSON_MAX_NESTING; i++) {
        g_string_append_c(ok, ']');
    }
    got = read_all(ok->str);
    ck_assert_str_eq(got, ok->str);

    for (i = 0; i < JSON_MAX_NESTING + 1; i++) {
        g_string_append(deep, i % 2 ? "{\"a\":" : "[");
    }
    out = read_then_good(deep);
    assert_limit_then_good(out, "error: JSON nesting depth limit exceeded");
}
END_TEST

START_TEST(test_limit_count)
{
    g_autoptr(GString) text = g_string_new("[");
    g_autoptr(GPtrArray) out = NULL;
    size_t i;

    for (i = 0; i < JSON_MAX_TOKEN_COUNT / 2 + 1; i++) {
        g_string_append(text, "1,");
    }
    g_string_append(text, "1]");
    out = read_then_good(text);
    assert_limit_then_good(out, "error: JSON token count limit exceeded");
}
END_TEST

static Suite *json_reader_suite(void)
{
    Suite *s = suite_create("json-reader");
    TCase *tc;

    tc = tcase_create("values");
    tcase_add_test(tc, test_values);
    tcase_add_test(tc, test_several);
    tcase_add_test(tc, test_numbers);
    tcase_add_test(tc, test_single_quotes);
    tcase_add_test(tc, test_utf8);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_errors, 0, ARRAY_SIZE(error_cases));
    tcase_add_test(tc, test_stray_on_the_wire);
    tcase_add_test(tc, test_recovery);
    suite_add_tcase(s, tc);

    tc = tcase_create("streaming");
    tcase_add_test(tc, test_split);
    tcase_add_test(tc, test_flush_reset);
    suite_add_tcase(s, tc);

    tc = tcase_create("parse_string");
    tcase_add_test(tc, test_parse_string);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_limit_size);
    tcase_add_test(tc, test_limit_size_many_tokens);
    tcase_add_test(tc, test_limit_depth);
    tcase_add_test(tc, test_limit_count);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(json_reader_suite)
