/*
 * json-int.h: the pieces of the JSON reader and writer (util/json-*.c).
 *
 * lexer (bytes -> tokens) -> streamer (tokens -> messages, limits)
 * -> parser (one message's tokens -> JsonNode); the writer and the
 * reader share the modified-UTF-8 helpers.
 */
#ifndef UTIL_JSON_INT_H
#define UTIL_JSON_INT_H

#include "util/json.h"

/* Token types; above every lexer state (see json-lexer.c). */
typedef enum JsonTokenType {
    JSON_TOKEN_LCURLY = 32,
    JSON_TOKEN_RCURLY,
    JSON_TOKEN_LSQUARE,
    JSON_TOKEN_RSQUARE,
    JSON_TOKEN_COLON,
    JSON_TOKEN_COMMA,
    JSON_TOKEN_INTEGER,
    JSON_TOKEN_FLOAT,
    JSON_TOKEN_KEYWORD,
    JSON_TOKEN_STRING,
    /* Not tokens: what the lexer reports besides them. */
    JSON_TOKEN_ERROR,           /* a byte that cannot start/continue one */
    JSON_TOKEN_OVERSIZE,        /* the message text grew past the limit */
    JSON_TOKEN_END_OF_INPUT,    /* json_lexer_flush() */
} JsonTokenType;

/* One token of a message: its text is buf[start, start + len). */
typedef struct JsonToken {
    uint8_t type;               /* JsonTokenType */
    uint32_t start;
    uint32_t len;
} JsonToken;

/*
 * Called for every token.  The token's text is lexer->buf from
 * @start to its end.  The callee may keep the text in buf or truncate
 * buf (to drop the current message); it must not append to it.
 */
typedef void JsonLexerFunc(void *opaque, JsonTokenType type, size_t start);

typedef struct JsonLexer {
    GString *buf;               /* owned by the caller of json_lexer_init */
    size_t tok_start;           /* the current token starts here in buf */
    size_t max_len;             /* buf may not grow past this */
    uint8_t state;
    JsonLexerFunc *fn;
    void *opaque;
} JsonLexer;

void json_lexer_init(JsonLexer *lx, GString *buf, size_t max_len,
                     JsonLexerFunc *fn, void *opaque);
void json_lexer_feed(JsonLexer *lx, const char *data, size_t len);
void json_lexer_flush(JsonLexer *lx);
void json_lexer_reset(JsonLexer *lx);

/*
 * Parse one message: @ntokens tokens whose text lives in @text.
 * Returns the value, or NULL with *errp set ("JSON parse error, ...").
 */
JsonNode *json_parser_parse(const char *text, const JsonToken *tokens,
                            size_t ntokens, GError **errp);

/*
 * Decode one code point of modified UTF-8 (as QEMU's
 * mod_utf8_codepoint()) from @s, reading at most @n bytes (and never a
 * NUL).  Sets *end past the bytes consumed.  Returns the code point, or
 * -1 for an invalid sequence: a stray continuation byte, 0xFE/0xFF, a
 * truncated sequence (*end stops at the first bad byte), an overlong
 * form other than \xC0\x80 (U+0000), a surrogate, a noncharacter, or a
 * value above U+10FFFF.  For an empty input returns -1 with *end == s.
 */
int json_utf8_decode(const char *s, size_t n, const char **end);

/*
 * Encode @cp as modified UTF-8 (U+0000 as \xC0\x80) into @buf, NUL
 * terminated.  Returns the length, or -1 if @cp is not a valid
 * character (surrogate, noncharacter, out of range).
 */
int json_utf8_encode(char buf[5], int cp);

/*
 * Copy @len bytes of @s (stopping at a NUL) with every invalid sequence
 * replaced by U+FFFD: the result serializes to the same JSON text.
 */
char *json_utf8_make_valid(const char *s, size_t len);

#endif /* UTIL_JSON_INT_H */
