/*
 * json-lexer.c: split a byte stream into JSON tokens.
 *
 * A table-driven state machine, one byte at a time, so that any split
 * of the input gives the same tokens.  The grammar is RFC 8259's plus
 * QEMU's extensions: single-quoted strings, and any byte 0x20..0xFD
 * after a backslash (the parser checks escapes and UTF-8).  Keywords
 * are [a-z]+ (the parser rejects unknown ones).
 *
 * A byte that cannot start or continue a token is an error; the lexer
 * then skips input until a structural character ([ ] { } : ,), an
 * ASCII control character other than TAB, or 0xFE/0xFF, and lexes that
 * character normally.  Clients use a control character to bring the
 * reader into a known state.
 */
#include "util/osdep.h"
#include "json-int.h"

enum {
    LX_ERROR = 0,               /* must be 0: the table's default */
    LX_RECOVERY,
    LX_DQ_STRING,
    LX_DQ_ESCAPE,
    LX_SQ_STRING,
    LX_SQ_ESCAPE,
    LX_ZERO,
    LX_SIGN,
    LX_DIGITS,
    LX_MANTISSA,
    LX_MANTISSA_DIGITS,
    LX_EXP_E,
    LX_EXP_SIGN,
    LX_EXP_DIGITS,
    LX_KEYWORD,
    LX_START,
    LX__MAX,
};

G_STATIC_ASSERT((int)LX__MAX <= (int)JSON_TOKEN_LCURLY);

/* The byte ends the token but is not part of it: look at it again. */
#define LX_LOOKAHEAD 0x80

/* Any byte ends the token @tok (entries after this override it). */
#define TERMINAL(tok) [0 ... 0xFF] = (tok) | LX_LOOKAHEAD

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"

static const uint8_t json_lexer_table[LX__MAX][256] = {
    [LX_RECOVERY] = {
        [0 ... 0x1F] = LX_START | LX_LOOKAHEAD,
        [0x20 ... 0xFD] = LX_RECOVERY,
        [0xFE ... 0xFF] = LX_START | LX_LOOKAHEAD,
        ['\t'] = LX_RECOVERY,
        ['['] = LX_START | LX_LOOKAHEAD,
        [']'] = LX_START | LX_LOOKAHEAD,
        ['{'] = LX_START | LX_LOOKAHEAD,
        ['}'] = LX_START | LX_LOOKAHEAD,
        [':'] = LX_START | LX_LOOKAHEAD,
        [','] = LX_START | LX_LOOKAHEAD,
    },

    /* Strings: control characters and 0xFE/0xFF are errors. */
    [LX_DQ_STRING] = {
        [0x20 ... 0xFD] = LX_DQ_STRING,
        ['\\'] = LX_DQ_ESCAPE,
        ['"'] = JSON_TOKEN_STRING,
    },
    [LX_DQ_ESCAPE] = {
        [0x20 ... 0xFD] = LX_DQ_STRING,
    },
    [LX_SQ_STRING] = {
        [0x20 ... 0xFD] = LX_SQ_STRING,
        ['\\'] = LX_SQ_ESCAPE,
        ['\''] = JSON_TOKEN_STRING,
    },
    [LX_SQ_ESCAPE] = {
        [0x20 ... 0xFD] = LX_SQ_STRING,
    },

    /* Numbers: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? */
    [LX_ZERO] = {
        TERMINAL(JSON_TOKEN_INTEGER),
        ['0' ... '9'] = LX_ERROR,
        ['.'] = LX_MANTISSA,
        ['e'] = LX_EXP_E,
        ['E'] = LX_EXP_E,
    },
    [LX_SIGN] = {
        ['0'] = LX_ZERO,
        ['1' ... '9'] = LX_DIGITS,
    },
    [LX_DIGITS] = {
        TERMINAL(JSON_TOKEN_INTEGER),
        ['0' ... '9'] = LX_DIGITS,
        ['.'] = LX_MANTISSA,
        ['e'] = LX_EXP_E,
        ['E'] = LX_EXP_E,
    },
    [LX_MANTISSA] = {
        ['0' ... '9'] = LX_MANTISSA_DIGITS,
    },
    [LX_MANTISSA_DIGITS] = {
        TERMINAL(JSON_TOKEN_FLOAT),
        ['0' ... '9'] = LX_MANTISSA_DIGITS,
        ['e'] = LX_EXP_E,
        ['E'] = LX_EXP_E,
    },
    [LX_EXP_E] = {
        ['-'] = LX_EXP_SIGN,
        ['+'] = LX_EXP_SIGN,
        ['0' ... '9'] = LX_EXP_DIGITS,
    },
    [LX_EXP_SIGN] = {
        ['0' ... '9'] = LX_EXP_DIGITS,
    },
    [LX_EXP_DIGITS] = {
        TERMINAL(JSON_TOKEN_FLOAT),
        ['0' ... '9'] = LX_EXP_DIGITS,
    },

    [LX_KEYWORD] = {
        TERMINAL(JSON_TOKEN_KEYWORD),
        ['a' ... 'z'] = LX_KEYWORD,
    },

    [LX_START] = {
        ['"'] = LX_DQ_STRING,
        ['\''] = LX_SQ_STRING,
        ['0'] = LX_ZERO,
        ['1' ... '9'] = LX_DIGITS,
        ['-'] = LX_SIGN,
        ['{'] = JSON_TOKEN_LCURLY,
        ['}'] = JSON_TOKEN_RCURLY,
        ['['] = JSON_TOKEN_LSQUARE,
        [']'] = JSON_TOKEN_RSQUARE,
        [','] = JSON_TOKEN_COMMA,
        [':'] = JSON_TOKEN_COLON,
        ['a' ... 'z'] = LX_KEYWORD,
        [' '] = LX_START,
        ['\t'] = LX_START,
        ['\r'] = LX_START,
        ['\n'] = LX_START,
    },
};

#pragma GCC diagnostic pop

void json_lexer_init(JsonLexer *lx, GString *buf, size_t max_len,
                     JsonLexerFunc *fn, void *opaque)
{
    lx->buf = buf;
    lx->max_len = max_len;
    lx->fn = fn;
    lx->opaque = opaque;
    json_lexer_reset(lx);
}

void json_lexer_reset(JsonLexer *lx)
{
    lx->state = LX_START;
    lx->tok_start = lx->buf->len;
}

static void json_lexer_emit(JsonLexer *lx, JsonTokenType type)
{
    lx->fn(lx->opaque, type, lx->tok_start);
    lx->tok_start = lx->buf->len;
}

/* Act on a table entry's target: report what ended, return the state. */
static uint8_t json_lexer_enter(JsonLexer *lx, uint8_t next)
{
    if (next >= JSON_TOKEN_LCURLY) {
        json_lexer_emit(lx, next);
        return LX_START;
    }
    if (next == LX_ERROR) {
        json_lexer_emit(lx, JSON_TOKEN_ERROR);
        return LX_RECOVERY;
    }
    return next;
}

/*
 * Feed one byte; with @flush, feed "end of input" instead: every state
 * but LX_START is left (a pending number or keyword ends, a pending
 * string is an error).
 */
static void json_lexer_byte(JsonLexer *lx, uint8_t ch, bool flush)
{
    bool consumed = false;

    while (flush ? lx->state != LX_START : !consumed) {
        uint8_t entry = json_lexer_table[lx->state][ch];
        uint8_t next = entry & ~LX_LOOKAHEAD;

        consumed = !flush && !(entry & LX_LOOKAHEAD);
        if (consumed && next != LX_START && next != LX_RECOVERY) {
            g_string_append_c(lx->buf, ch);
        }
        lx->state = json_lexer_enter(lx, next);
    }

    if (lx->buf->len > lx->max_len) {
        /* Only a token in progress can get here; skip the rest of it. */
        json_lexer_emit(lx, JSON_TOKEN_OVERSIZE);
        lx->state = LX_RECOVERY;
    }
}

void json_lexer_feed(JsonLexer *lx, const char *data, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        json_lexer_byte(lx, data[i], false);
    }
}

void json_lexer_flush(JsonLexer *lx)
{
    json_lexer_byte(lx, 0, true);
    json_lexer_emit(lx, JSON_TOKEN_END_OF_INPUT);
}
