/*
 * json-parser.c: turn one message's tokens into a JsonNode tree.
 *
 * Recursive descent; the streamer has already bounded the nesting depth
 * (so the recursion) and the number of tokens.  The first error found
 * is the one reported, with QEMU's text.
 */
#include "util/osdep.h"
#include "util/cutils.h"
#include "util/error.h"
#include "json-int.h"

typedef struct JsonTokParser {
    const char *text;
    const JsonToken *tokens;
    size_t ntokens;
    size_t pos;
    GError *err;
} JsonTokParser;

static JsonNode *json_parse_value(JsonTokParser *p);

static void G_GNUC_PRINTF(2, 3)
json_parse_error(JsonTokParser *p, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    if (p->err) {
        return;                 /* the first error wins */
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_setg(&p->err, "JSON parse error, %s", msg);
}

static const JsonToken *json_peek(JsonTokParser *p)
{
    return p->pos < p->ntokens ? &p->tokens[p->pos] : NULL;
}

static const JsonToken *json_pop(JsonTokParser *p)
{
    return p->pos < p->ntokens ? &p->tokens[p->pos++] : NULL;
}

static const char *json_tok_text(JsonTokParser *p, const JsonToken *tok)
{
    return p->text + tok->start;
}

/* Value of four hex digits at s[0..n), or -1. */
static int json_hex4(const char *s, size_t n)
{
    int cp = 0;
    size_t i;

    if (n < 4) {
        return -1;
    }
    for (i = 0; i < 4; i++) {
        if (!g_ascii_isxdigit(s[i])) {
            return -1;
        }
        cp = (cp << 4) | g_ascii_xdigit_value(s[i]);
    }
    return cp;
}

/*
 * Decode \uXXXX (or a surrogate pair \uXXXX\uXXXX) at @ptr, just past
 * the backslash, into @str.  Returns the position after it, or NULL.
 */
static const char *json_parse_unicode(JsonTokParser *p, GString *str,
                                      const char *ptr, const char *end)
{
    const char *beg = ptr - 1;
    char utf8[5];
    int cp, low;

    ptr++;                      /* the 'u' */
    cp = json_hex4(ptr, end - ptr);
    ptr = MIN(ptr + 4, end + 1);    /* the message may show the quote */
    if (cp >= 0xD800 && cp <= 0xDBFF &&
        end - ptr >= 2 && ptr[0] == '\\' && ptr[1] == 'u') {
        low = json_hex4(ptr + 2, end - ptr - 2);
        if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp & 0x3FF) << 10) + (low & 0x3FF);
            ptr += 6;
        } else {
            cp = -1;
        }
    }
    if (json_utf8_encode(utf8, cp) < 0) {
        g_autofree char *esc = json_utf8_make_valid(beg, ptr - beg);

        json_parse_error(p, "%s is not a valid Unicode character", esc);
        return NULL;
    }
    g_string_append(str, utf8);
    return ptr;
}

/* The character a simple escape stands for (u is handled apart). */
static const char json_escapes[256] = {
    ['"'] = '"', ['\''] = '\'', ['\\'] = '\\', ['/'] = '/',
    ['b'] = '\b', ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t',
};

/* One escape sequence at @ptr (a backslash); returns what follows. */
static const char *json_parse_escape(JsonTokParser *p, GString *str,
                                     const char *ptr, const char *end)
{
    uint8_t ch = ptr[1];        /* the lexer put a byte after '\\' */

    if (ch == 'u') {
        return json_parse_unicode(p, str, ptr + 1, end);
    }
    if (!json_escapes[ch]) {
        json_parse_error(p, "invalid escape sequence in string");
        return NULL;
    }
    g_string_append_c(str, json_escapes[ch]);
    return ptr + 2;
}

static JsonNode *json_parse_str(JsonTokParser *p, const JsonToken *tok)
{
    const char *ptr = json_tok_text(p, tok) + 1;
    const char *end = json_tok_text(p, tok) + tok->len - 1;
    g_autoptr(GString) str = g_string_sized_new(tok->len);
    const char *next;

    while (ptr && ptr < end) {
        const char *run = ptr;

        while (ptr < end && (uint8_t)*ptr < 0x80 && *ptr != '\\') {
            ptr++;
        }
        g_string_append_len(str, run, ptr - run);
        if (ptr == end) {
            break;
        }
        if (*ptr == '\\') {
            ptr = json_parse_escape(p, str, ptr, end);
        } else if (json_utf8_decode(ptr, end - ptr, &next) < 0) {
            json_parse_error(p, "invalid UTF-8 sequence in string");
            ptr = NULL;
        } else {
            g_string_append_len(str, ptr, next - ptr);
            ptr = next;
        }
    }
    if (!ptr) {
        return NULL;
    }
    return json_node_init_string(json_node_alloc(), str->str);
}

static JsonNode *json_parse_number(JsonTokParser *p, const JsonToken *tok)
{
    g_autofree char *num = g_strndup(json_tok_text(p, tok), tok->len);
    int64_t value;

    /* The lexer only lets a valid JSON number through. */
    if (tok->type == JSON_TOKEN_INTEGER &&
        qemu_strtoi64(num, NULL, 10, &value) == 0) {
        return json_node_init_int(json_node_alloc(), value);
    }
    return json_node_init_double(json_node_alloc(),
                                 g_ascii_strtod(num, NULL));
}

static JsonNode *json_parse_keyword(JsonTokParser *p)
{
    const JsonToken *tok = json_pop(p);
    const char *kw = json_tok_text(p, tok);

    if (tok->len == 4 && !memcmp(kw, "true", 4)) {
        return json_node_init_boolean(json_node_alloc(), true);
    }
    if (tok->len == 5 && !memcmp(kw, "false", 5)) {
        return json_node_init_boolean(json_node_alloc(), false);
    }
    if (tok->len == 4 && !memcmp(kw, "null", 4)) {
        return json_node_init_null(json_node_alloc());
    }
    json_parse_error(p, "invalid keyword '%.*s'", (int)tok->len, kw);
    return NULL;
}

/* "key": value, added to @obj.  Returns false on error. */
static bool json_parse_pair(JsonTokParser *p, JsonObject *obj)
{
    g_autoptr(JsonNode) key = NULL;
    const JsonToken *tok;
    JsonNode *value;
    const char *name;

    if (!json_peek(p)) {
        json_parse_error(p, "premature EOI");
        return false;
    }
    key = json_parse_value(p);
    if (!key || json_node_get_value_type(key) != G_TYPE_STRING) {
        json_parse_error(p, "key is not a string in object");
        return false;
    }
    tok = json_pop(p);
    if (!tok) {
        json_parse_error(p, "premature EOI");
        return false;
    }
    if (tok->type != JSON_TOKEN_COLON) {
        json_parse_error(p, "missing : in object pair");
        return false;
    }
    value = json_parse_value(p);
    if (!value) {
        json_parse_error(p, "Missing value in dict");
        return false;
    }
    name = json_node_get_string(key);
    if (json_object_has_member(obj, name)) {
        json_node_unref(value);
        json_parse_error(p, "duplicate key");
        return false;
    }
    json_object_set_member(obj, name, value);
    return true;
}

/*
 * The members or elements after the opening bracket, separated by
 * commas, up to the closing bracket @close.  @item parses one.
 */
static bool json_parse_items(JsonTokParser *p, JsonTokenType close,
                             bool (*item)(JsonTokParser *p, void *c), void *c,
                             const char *sep_error)
{
    const JsonToken *tok = json_peek(p);

    if (!tok) {
        json_parse_error(p, "premature EOI");
        return false;
    }
    if (tok->type == close) {
        json_pop(p);
        return true;
    }
    for (;;) {
        if (!item(p, c)) {
            return false;
        }
        tok = json_pop(p);
        if (!tok) {
            json_parse_error(p, "premature EOI");
            return false;
        }
        if (tok->type == close) {
            return true;
        }
        if (tok->type != JSON_TOKEN_COMMA) {
            json_parse_error(p, "%s", sep_error);
            return false;
        }
    }
}

static bool json_parse_member(JsonTokParser *p, void *obj)
{
    return json_parse_pair(p, obj);
}

static bool json_parse_element(JsonTokParser *p, void *array)
{
    JsonNode *value = json_parse_value(p);

    if (!value) {
        json_parse_error(p, "expecting value");
        return false;
    }
    json_array_add_element(array, value);
    return true;
}

static JsonNode *json_parse_object(JsonTokParser *p)
{
    JsonObject *obj = json_object_new();
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);

    json_node_take_object(node, obj);
    json_pop(p);
    if (!json_parse_items(p, JSON_TOKEN_RCURLY, json_parse_member, obj,
                          "expected separator in dict")) {
        json_node_unref(node);
        return NULL;
    }
    return node;
}

static JsonNode *json_parse_array(JsonTokParser *p)
{
    JsonArray *array = json_array_new();
    JsonNode *node = json_node_new(JSON_NODE_ARRAY);

    json_node_take_array(node, array);
    json_pop(p);
    if (!json_parse_items(p, JSON_TOKEN_RSQUARE, json_parse_element, array,
                          "expected separator in list")) {
        json_node_unref(node);
        return NULL;
    }
    return node;
}

static JsonNode *json_parse_value(JsonTokParser *p)
{
    const JsonToken *tok = json_peek(p);

    if (!tok) {
        json_parse_error(p, "premature EOI");
        return NULL;
    }
    switch (tok->type) {
    case JSON_TOKEN_LCURLY:
        return json_parse_object(p);
    case JSON_TOKEN_LSQUARE:
        return json_parse_array(p);
    case JSON_TOKEN_INTEGER:
    case JSON_TOKEN_FLOAT:
        return json_parse_number(p, json_pop(p));
    case JSON_TOKEN_STRING:
        return json_parse_str(p, json_pop(p));
    case JSON_TOKEN_KEYWORD:
        return json_parse_keyword(p);
    default:
        json_parse_error(p, "expecting value");
        return NULL;
    }
}

JsonNode *json_parser_parse(const char *text, const JsonToken *tokens,
                            size_t ntokens, GError **errp)
{
    JsonTokParser p = {
        .text = text, .tokens = tokens, .ntokens = ntokens,
    };
    JsonNode *value = json_parse_value(&p);

    if (value && p.pos < p.ntokens) {
        /* Cannot happen with the streamer's framing; be safe anyway. */
        g_clear_pointer(&value, json_node_unref);
        json_parse_error(&p, "expecting end of input");
    }
    if (!value) {
        g_propagate_error(errp, p.err);
        return NULL;
    }
    return value;
}
