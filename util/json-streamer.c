/*
 * json-streamer.c: frame a token stream into JSON messages.
 *
 * The lexer appends each token's text to one buffer per message and the
 * streamer records where it is.  The streamer counts '{' and '[' nesting;
 * when the count is back to 0 (or a token arrives at depth 0, or a
 * closing bracket makes a count negative) the collected tokens are
 * parsed as one value and reported.  The limits are checked before the
 * parser runs, so a message's memory is bounded: at most
 * JSON_MAX_MESSAGE_SIZE bytes of text and JSON_MAX_TOKEN_COUNT token
 * records, and the parser recurses at most JSON_MAX_NESTING deep.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "json-int.h"

struct JsonStreamer {
    JsonMessageFunc *fn;
    void *opaque;
    JsonLexer lexer;
    GString *text;              /* token text of the current message */
    GArray *tokens;             /* JsonToken of the current message */
    int brace_count;
    int bracket_count;
};

/* Above these sizes, a finished message gives its memory back. */
#define JSON_KEEP_TEXT 65536
#define JSON_KEEP_TOKENS 4096

/* Drop the current message's tokens. */
static void json_streamer_clear(JsonStreamer *s)
{
    if (s->text->allocated_len > JSON_KEEP_TEXT) {
        g_string_free(s->text, TRUE);
        s->text = g_string_new(NULL);
        s->lexer.buf = s->text;
    } else {
        g_string_truncate(s->text, 0);
    }
    if (s->tokens->len > JSON_KEEP_TOKENS) {
        g_array_free(s->tokens, TRUE);
        s->tokens = g_array_new(FALSE, FALSE, sizeof(JsonToken));
    } else {
        g_array_set_size(s->tokens, 0);
    }
    s->brace_count = 0;
    s->bracket_count = 0;
}

/* Report a value or an error for the current message, and drop it. */
static void json_streamer_emit(JsonStreamer *s, JsonNode *value,
                               GError *err)
{
    json_streamer_clear(s);
    s->fn(s->opaque, value, err);
}

static void json_streamer_parse(JsonStreamer *s)
{
    GError *err = NULL;
    JsonNode *value;

    value = json_parser_parse(s->text->str,
                              (const JsonToken *)s->tokens->data,
                              s->tokens->len, &err);
    json_streamer_emit(s, value, err);
}

static void json_streamer_stray(JsonStreamer *s, size_t start)
{
    const char *tok = s->text->str + start;
    g_autofree char *text = json_utf8_make_valid(tok, s->text->len - start);
    GError *err = NULL;

    error_setg(&err, "JSON parse error, stray '%s'", text);
    json_streamer_emit(s, NULL, err);
}

static void json_streamer_limit(JsonStreamer *s, const char *what)
{
    GError *err = NULL;

    error_setg(&err, "JSON %s limit exceeded", what);
    json_streamer_emit(s, NULL, err);
}

/* Count nesting; returns false for a token that is not a token. */
static bool json_streamer_count(JsonStreamer *s, JsonTokenType type)
{
    switch (type) {
    case JSON_TOKEN_LCURLY:
        s->brace_count++;
        break;
    case JSON_TOKEN_RCURLY:
        s->brace_count--;
        break;
    case JSON_TOKEN_LSQUARE:
        s->bracket_count++;
        break;
    case JSON_TOKEN_RSQUARE:
        s->bracket_count--;
        break;
    case JSON_TOKEN_ERROR:
    case JSON_TOKEN_OVERSIZE:
    case JSON_TOKEN_END_OF_INPUT:
        return false;
    default:
        break;
    }
    return true;
}

static void json_streamer_token(void *opaque, JsonTokenType type,
                                size_t start)
{
    JsonStreamer *s = opaque;
    JsonToken tok = {
        .type = type, .start = start, .len = s->text->len - start,
    };

    if (!json_streamer_count(s, type)) {
        if (type == JSON_TOKEN_ERROR) {
            json_streamer_stray(s, start);
        } else if (type == JSON_TOKEN_OVERSIZE) {
            json_streamer_limit(s, "token size");
        } else if (s->tokens->len) {
            json_streamer_parse(s);     /* end of input */
        }
        return;
    }

    if (s->text->len + 1 > JSON_MAX_MESSAGE_SIZE) {
        json_streamer_limit(s, "token size");
        return;
    }
    if (s->tokens->len + 1 > JSON_MAX_TOKEN_COUNT) {
        json_streamer_limit(s, "token count");
        return;
    }
    if (s->brace_count + s->bracket_count > JSON_MAX_NESTING) {
        json_streamer_limit(s, "nesting depth");
        return;
    }
    g_array_append_val(s->tokens, tok);

    if ((s->brace_count > 0 || s->bracket_count > 0) &&
        s->brace_count >= 0 && s->bracket_count >= 0) {
        return;                 /* inside a value */
    }
    json_streamer_parse(s);
}

JsonStreamer *json_streamer_new(JsonMessageFunc *fn, void *opaque)
{
    JsonStreamer *s = g_new0(JsonStreamer, 1);

    s->fn = fn;
    s->opaque = opaque;
    s->text = g_string_new(NULL);
    s->tokens = g_array_new(FALSE, FALSE, sizeof(JsonToken));
    json_lexer_init(&s->lexer, s->text, JSON_MAX_MESSAGE_SIZE - 1,
                    json_streamer_token, s);
    return s;
}

void json_streamer_feed(JsonStreamer *s, const char *buf, size_t len)
{
    json_lexer_feed(&s->lexer, buf, len);
}

void json_streamer_flush(JsonStreamer *s)
{
    json_lexer_flush(&s->lexer);
    g_assert(s->tokens->len == 0);
}

void json_streamer_reset(JsonStreamer *s)
{
    json_streamer_clear(s);
    json_lexer_reset(&s->lexer);
}

void json_streamer_free(JsonStreamer *s)
{
    if (!s) {
        return;
    }
    g_string_free(s->text, TRUE);
    g_array_free(s->tokens, TRUE);
    g_free(s);
}

typedef struct JsonParseOne {
    JsonNode *result;
    GError *err;
} JsonParseOne;

static void json_parse_one_cb(void *opaque, JsonNode *value, GError *err)
{
    JsonParseOne *p = opaque;

    if (p->result) {
        g_clear_pointer(&p->result, json_node_unref);
        error_setg(&p->err, "Expecting at most one JSON value");
    }
    if (p->err) {
        if (value) {
            json_node_unref(value);
        }
        if (err) {
            g_error_free(err);
        }
        return;
    }
    p->result = value;
    p->err = err;
}

JsonNode *json_parse_string(const char *text, GError **errp)
{
    JsonParseOne p = { NULL, NULL };
    JsonStreamer *s = json_streamer_new(json_parse_one_cb, &p);

    json_streamer_feed(s, text, strlen(text));
    json_streamer_flush(s);
    json_streamer_free(s);
    if (!p.result && !p.err) {
        error_setg(&p.err, "Expecting a JSON value");
    }
    if (p.err) {
        g_propagate_error(errp, p.err);
        return NULL;
    }
    return p.result;
}
