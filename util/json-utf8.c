/*
 * json-utf8.c: modified UTF-8, as QEMU's JSON reader and writer see it.
 *
 * Modified UTF-8 is UTF-8 that writes U+0000 as the overlong pair
 * \xC0\x80, so that strings with a NUL character stay C strings.
 * Surrogates and noncharacters are invalid.
 */
#include "util/osdep.h"
#include "json-int.h"

static bool json_utf8_is_char(uint32_t cp)
{
    if (cp > 0x10FFFF) {
        return false;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) {
        return false;           /* surrogate */
    }
    if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE) {
        return false;           /* noncharacter */
    }
    return true;
}

/* Smallest code point that needs a sequence of the index's length. */
static const uint32_t json_utf8_min[] = { 0, 0, 0x80, 0x800, 0x10000 };

int json_utf8_decode(const char *s, size_t n, const char **end)
{
    const uint8_t *p = (const uint8_t *)s;
    uint8_t lead;
    uint32_t cp;
    int len, i;

    if (n == 0 || *p == 0) {
        *end = s;
        return -1;
    }
    lead = *p++;
    *end = (const char *)p;
    if (lead < 0x80) {
        return lead;
    }
    if (lead >= 0xFE || (lead & 0xC0) == 0x80) {
        return -1;              /* impossible byte, stray continuation */
    }
    for (len = 0; lead & (0x80 >> len); len++) {
        /* count the leading ones: the sequence length, 2..6 */
    }
    cp = lead & (0x7F >> len);
    for (i = 1; i < len; i++) {
        if ((size_t)i >= n || (*p & 0xC0) != 0x80) {
            *end = (const char *)p;
            return -1;          /* truncated */
        }
        cp = (cp << 6) | (*p++ & 0x3F);
    }
    *end = (const char *)p;
    if (len > 4 || !json_utf8_is_char(cp)) {
        return -1;
    }
    if (cp < json_utf8_min[len] && !(cp == 0 && len == 2)) {
        return -1;              /* overlong, other than \xC0\x80 */
    }
    return cp;
}

int json_utf8_encode(char buf[5], int cp)
{
    uint8_t *b = (uint8_t *)buf;
    int len;

    if (cp < 0 || !json_utf8_is_char(cp)) {
        buf[0] = 0;
        return -1;
    }
    if (cp > 0 && cp < 0x80) {
        b[0] = cp;
        len = 1;
    } else if (cp < 0x800) {
        b[0] = 0xC0 | (cp >> 6);
        b[1] = 0x80 | (cp & 0x3F);
        len = 2;
    } else if (cp < 0x10000) {
        b[0] = 0xE0 | (cp >> 12);
        b[1] = 0x80 | ((cp >> 6) & 0x3F);
        b[2] = 0x80 | (cp & 0x3F);
        len = 3;
    } else {
        b[0] = 0xF0 | (cp >> 18);
        b[1] = 0x80 | ((cp >> 12) & 0x3F);
        b[2] = 0x80 | ((cp >> 6) & 0x3F);
        b[3] = 0x80 | (cp & 0x3F);
        len = 4;
    }
    buf[len] = 0;
    return len;
}

char *json_utf8_make_valid(const char *s, size_t len)
{
    GString *out = g_string_sized_new(len + 1);
    const char *p = s;
    const char *limit = s + len;
    const char *next;

    while (p < limit && *p) {
        if (json_utf8_decode(p, limit - p, &next) < 0) {
            g_string_append(out, "\xEF\xBF\xBD");
        } else {
            g_string_append_len(out, p, next - p);
        }
        p = next;
    }
    return g_string_free(out, FALSE);
}
