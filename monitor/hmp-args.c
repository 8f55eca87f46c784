/*
 * hmp-args.c: HMP argument parsing (QEMU's args_type mini-language).
 *
 * A pure function from a command line to a JsonObject, so that it can be
 * tested (and fuzzed) alone.  See include/monitor/hmp.h for the types.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/cutils.h"
#include "monitor/hmp.h"

typedef struct ArgSpec {
    char name[64];
    char type;              /* s S F B i l o b - */
    char flag;              /* the letter of a '-' argument */
    bool optional;
} ArgSpec;

static const char *skip_spaces(const char *p)
{
    while (g_ascii_isspace(*p)) {
        p++;
    }
    return p;
}

/* Next "name:type[?]" of @spec into @a; false at the end. */
static bool spec_next(const char **spec, ArgSpec *a)
{
    const char *p = *spec;
    const char *colon;
    size_t len;

    while (*p == ',') {
        p++;
    }
    colon = strchr(p, ':');
    if (!*p || !colon) {
        return false;
    }
    memset(a, 0, sizeof(*a));
    len = MIN((size_t)(colon - p), sizeof(a->name) - 1);
    memcpy(a->name, p, len);
    p = colon + 1;
    a->type = *p ? *p++ : 's';
    if (a->type == '-') {
        a->flag = *p ? *p++ : '\0';
        a->optional = true;
    }
    if (*p == '?') {
        a->optional = true;
        p++;
    }
    while (*p && *p != ',') {
        p++;
    }
    *spec = p;
    return true;
}

static int unescape(char c)
{
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case '\\':
    case '\'':
    case '"':
        return c;
    default:
        return -1;
    }
}

/* A word up to white space, or a double-quoted string with escapes. */
static char *get_str(const char **pp)
{
    const char *p = skip_spaces(*pp);
    g_autoptr(GString) s = g_string_new("");

    if (*p == '\0') {
        return NULL;
    }
    if (*p != '"') {
        while (*p && !g_ascii_isspace(*p)) {
            g_string_append_c(s, *p++);
        }
        *pp = p;
        return g_string_free(g_steal_pointer(&s), false);
    }
    for (p++; *p && *p != '"'; p++) {
        if (*p == '\\') {
            int c = unescape(p[1]);

            if (c < 0) {
                return NULL;
            }
            g_string_append_c(s, c);
            p++;
        } else {
            g_string_append_c(s, *p);
        }
    }
    if (*p != '"') {
        return NULL;            /* unterminated */
    }
    *pp = p + 1;
    return g_string_free(g_steal_pointer(&s), false);
}

static const char *str_expected(char type)
{
    switch (type) {
    case 'F':
        return "filename expected";
    case 'B':
        return "block device name expected";
    default:
        return "string expected";
    }
}

static bool parse_int(const ArgSpec *a, const char *w, JsonObject *args,
                      GError **errp)
{
    int64_t v;
    const char *end;

    if (qemu_strtoi64(w, &end, 0, &v) < 0 || *end) {
        error_setg(errp, "invalid integer '%s'", w);
        return false;
    }
    if (a->type == 'i' && (v < INT32_MIN || v > UINT32_MAX)) {
        error_setg(errp, "integer is for 32-bit values");
        return false;
    }
    json_object_set_int_member(args, a->name, v);
    return true;
}

static bool parse_scalar(const ArgSpec *a, const char *w, JsonObject *args,
                         GError **errp)
{
    uint64_t size;

    switch (a->type) {
    case 'i':
    case 'l':
        return parse_int(a, w, args, errp);
    case 'o':
        if (qemu_strtosz_end(w, NULL, 'B', &size) < 0 || size > INT64_MAX) {
            error_setg(errp, "invalid size '%s'", w);
            return false;
        }
        json_object_set_int_member(args, a->name, size);
        return true;
    case 'b':
        if (strcmp(w, "on") && strcmp(w, "off")) {
            error_setg(errp, "Expected 'on' or 'off'");
            return false;
        }
        json_object_set_boolean_member(args, a->name, !strcmp(w, "on"));
        return true;
    default:
        json_object_set_string_member(args, a->name, w);
        return true;
    }
}

static bool parse_one(const ArgSpec *a, const char **pp, JsonObject *args,
                      GError **errp)
{
    const char *p = skip_spaces(*pp);
    g_autofree char *w = NULL;

    if (a->type == '-') {
        if (p[0] == '-' && p[1] == a->flag &&
            (p[2] == '\0' || g_ascii_isspace(p[2]))) {
            json_object_set_boolean_member(args, a->name, true);
            *pp = p + 2;
        }
        return true;
    }
    if (*p == '\0' && a->optional) {
        return true;
    }
    if (a->type == 'S') {
        if (*p == '\0') {
            error_setg(errp, "%s", str_expected(a->type));
            return false;
        }
        json_object_set_string_member(args, a->name, p);
        *pp = p + strlen(p);
        return true;
    }
    w = get_str(&p);
    if (!w) {
        error_setg(errp, "%s", strchr("sFB", a->type) ?
                   str_expected(a->type) : "argument expected");
        return false;
    }
    *pp = p;
    return parse_scalar(a, w, args, errp);
}

JsonObject *hmp_parse_args(const char *args_type, const char *line,
                           GError **errp)
{
    g_autoptr(JsonObject) args = json_object_new();
    const char *spec = args_type ? args_type : "";
    const char *p = line ? line : "";
    ArgSpec a;

    while (spec_next(&spec, &a)) {
        if (!parse_one(&a, &p, args, errp)) {
            return NULL;
        }
    }
    p = skip_spaces(p);
    if (*p) {
        error_setg(errp, "extraneous characters at the end of line");
        return NULL;
    }
    return g_steal_pointer(&args);
}
