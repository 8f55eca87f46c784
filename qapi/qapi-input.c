/*
 * qapi-input.c: the JSON -> C conversion context of the generated code.
 *
 * A QapiInput walks a json-glib tree the way QEMU's QObject input visitor
 * walks a QObject: a stack of the objects and lists being visited, each
 * object with the set of members not yet consumed (for "is unexpected"),
 * each list with the index of the element consumed last (for "a[3]").
 */
#include "util/osdep.h"
#include "qapi/qapi-runtime.h"
#include "util/cutils.h"

#include <math.h>

typedef struct QapiInputFrame {
    const char *name;       /* name of this container in its parent */
    JsonNode *node;         /* the object or array being visited */
    GHashTable *unvisited;  /* object: member names not yet consumed */
    GList *members;         /* object: all member names, in order */
    guint next;             /* array: index of the next element */
    int index;              /* array: index of the element consumed last */
} QapiInputFrame;

struct QapiInput {
    JsonNode *root;
    QapiInputFlags flags;
    bool root_taken;
    GPtrArray *stack;       /* of QapiInputFrame *, top last */
    GString *path;
};

static void qapi_input_frame_free(gpointer p)
{
    QapiInputFrame *f = p;

    if (f->unvisited) {
        g_hash_table_unref(f->unvisited);
    }
    g_list_free(f->members);
    g_free(f);
}

QapiInput *qapi_input_new(JsonNode *root, QapiInputFlags flags)
{
    QapiInput *in = g_new0(QapiInput, 1);

    in->root = root;
    in->flags = flags;
    in->stack = g_ptr_array_new_with_free_func(qapi_input_frame_free);
    in->path = g_string_new("");
    return in;
}

void qapi_input_free(QapiInput *in)
{
    if (!in) {
        return;
    }
    g_ptr_array_unref(in->stack);
    g_string_free(in->path, TRUE);
    g_free(in);
}

bool qapi_input_is_keyval(const QapiInput *in)
{
    return in->flags & QAPI_INPUT_KEYVAL;
}

static QapiInputFrame *qapi_input_top(QapiInput *in)
{
    if (in->stack->len == 0) {
        return NULL;
    }
    return g_ptr_array_index(in->stack, in->stack->len - 1);
}

/*
 * The full name of @name in the current container, as QEMU spells it:
 * "a.b" for members, "a[3]" for list elements ("a.3" in keyval mode),
 * "<anonymous>" for an unnamed root.  Valid until the next call.
 */
const char *qapi_input_path(QapiInput *in, const char *name)
{
    GString *s = in->path;
    guint i;

    g_string_truncate(s, 0);
    for (i = in->stack->len; i > 0; i--) {
        QapiInputFrame *f = g_ptr_array_index(in->stack, i - 1);

        if (JSON_NODE_HOLDS_OBJECT(f->node)) {
            g_string_prepend(s, name ? name : "<anonymous>");
            g_string_prepend_c(s, '.');
        } else {
            char buf[32];

            g_snprintf(buf, sizeof(buf),
                       qapi_input_is_keyval(in) ? ".%d" : "[%d]", f->index);
            g_string_prepend(s, buf);
        }
        name = f->name;
    }
    if (name) {
        g_string_prepend(s, name);
    } else if (s->str[0] == '.') {
        g_string_erase(s, 0, 1);
    } else if (!s->str[0]) {
        return "<anonymous>";
    }
    return s->str;
}

/* The next value: member @name of the top object, or the next element. */
static JsonNode *qapi_input_get(QapiInput *in, const char *name, bool consume,
                                GError **errp)
{
    QapiInputFrame *f = qapi_input_top(in);
    JsonNode *node = NULL;

    if (!f) {
        node = in->root_taken ? NULL : in->root;
        if (consume) {
            in->root_taken = true;
        }
    } else if (JSON_NODE_HOLDS_OBJECT(f->node)) {
        JsonObject *o = json_node_get_object(f->node);

        g_assert(name);
        node = json_object_get_member(o, name);
        if (node && consume) {
            g_hash_table_remove(f->unvisited, name);
        }
    } else {
        JsonArray *a = json_node_get_array(f->node);

        if (f->next < json_array_get_length(a)) {
            node = json_array_get_element(a, f->next);
        }
        if (consume) {
            f->next++;
            f->index++;
        }
    }
    if (!node) {
        error_setg(errp, "Parameter '%s' is missing",
                   qapi_input_path(in, name));
    }
    return node;
}

bool qapi_input_optional(QapiInput *in, const char *name)
{
    QapiInputFrame *f = qapi_input_top(in);

    g_assert(f && JSON_NODE_HOLDS_OBJECT(f->node));
    return json_object_has_member(json_node_get_object(f->node), name);
}

static void qapi_input_push(QapiInput *in, const char *name, JsonNode *node)
{
    QapiInputFrame *f = g_new0(QapiInputFrame, 1);

    f->name = name;
    f->node = node;
    f->index = -1;
    if (JSON_NODE_HOLDS_OBJECT(node)) {
        GList *l;

        f->members = json_object_get_members(json_node_get_object(node));
        f->unvisited = g_hash_table_new(g_str_hash, g_str_equal);
        for (l = f->members; l; l = l->next) {
            g_hash_table_add(f->unvisited, l->data);
        }
    }
    g_ptr_array_add(in->stack, f);
}

bool qapi_input_start_struct(QapiInput *in, const char *name, GError **errp)
{
    JsonNode *node = qapi_input_get(in, name, true, errp);

    if (!node) {
        return false;
    }
    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        error_setg(errp, "Invalid parameter type for '%s', expected: object",
                   qapi_input_path(in, name));
        return false;
    }
    qapi_input_push(in, name, node);
    return true;
}

bool qapi_input_check_struct(QapiInput *in, GError **errp)
{
    QapiInputFrame *f = qapi_input_top(in);
    GList *l;

    g_assert(f && f->unvisited);
    /* Report the first unexpected member in the order of the input. */
    for (l = f->members; l; l = l->next) {
        if (g_hash_table_contains(f->unvisited, l->data)) {
            error_setg(errp, "Parameter '%s' is unexpected",
                       qapi_input_path(in, l->data));
            return false;
        }
    }
    return true;
}

bool qapi_input_start_list(QapiInput *in, const char *name, GError **errp)
{
    JsonNode *node = qapi_input_get(in, name, true, errp);

    if (!node) {
        return false;
    }
    if (!JSON_NODE_HOLDS_ARRAY(node)) {
        error_setg(errp, "Invalid parameter type for '%s', expected: array",
                   qapi_input_path(in, name));
        return false;
    }
    qapi_input_push(in, name, node);
    return true;
}

bool qapi_input_list_has_next(QapiInput *in)
{
    QapiInputFrame *f = qapi_input_top(in);

    g_assert(f && JSON_NODE_HOLDS_ARRAY(f->node));
    return f->next < json_array_get_length(json_node_get_array(f->node));
}

void qapi_input_end(QapiInput *in)
{
    g_assert(in->stack->len > 0);
    g_ptr_array_remove_index(in->stack, in->stack->len - 1);
}

bool qapi_input_peek(QapiInput *in, const char *name, QType *type,
                     GError **errp)
{
    JsonNode *node = qapi_input_get(in, name, false, errp);

    if (!node) {
        return false;
    }
    *type = qapi_json_qtype(node);
    return true;
}

void qapi_input_alternate_error(QapiInput *in, const char *name,
                                const char *type_name, GError **errp)
{
    /* QEMU uses the bare member name here. */
    error_setg(errp, "Invalid parameter type for '%s', expected: %s",
               name ? name : "null", type_name);
}

/* ---- scalars ----------------------------------------------------------- */

static bool node_is(JsonNode *node, GType type)
{
    return JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) ==
        type;
}

/*
 * In keyval mode, the string a scalar arrived as (NULL when the value is
 * not a string, so the JSON rules apply).  Objects and arrays where a
 * scalar belongs get QEMU's keyval error.
 */
static const char *keyval_str(QapiInput *in, const char *name,
                              JsonNode *node, GError **errp, bool *failed)
{
    *failed = false;
    if (!qapi_input_is_keyval(in)) {
        return NULL;
    }
    if (JSON_NODE_HOLDS_OBJECT(node) || JSON_NODE_HOLDS_ARRAY(node)) {
        error_setg(errp, "Parameters '%s.*' are unexpected",
                   qapi_input_path(in, name));
        *failed = true;
        return NULL;
    }
    if (node_is(node, G_TYPE_STRING)) {
        return json_node_get_string(node);
    }
    return NULL;
}

/* Keyval integers: the whole string, no leading blanks (cutils parses). */
static bool parse_int64(const char *s, int64_t *val)
{
    return !g_ascii_isspace(*s) && qemu_strtoi64(s, NULL, 0, val) == 0;
}

/* As parse_int64(); a minus sign is refused rather than wrapped. */
static bool parse_uint64(const char *s, uint64_t *val)
{
    return !g_ascii_isspace(*s) && *s != '-' &&
           qemu_strtou64(s, NULL, 0, val) == 0;
}

bool qapi_in_int64(QapiInput *in, const char *name, int64_t *obj,
                   GError **errp)
{
    JsonNode *node = qapi_input_get(in, name, true, errp);
    const char *str;
    bool failed;

    if (!node) {
        return false;
    }
    str = keyval_str(in, name, node, errp, &failed);
    if (failed) {
        return false;
    }
    if (str) {
        if (!parse_int64(str, obj)) {
            error_setg(errp, "Parameter '%s' expects integer",
                       qapi_input_path(in, name));
            return false;
        }
        return true;
    }
    if (!node_is(node, G_TYPE_INT64)) {
        error_setg(errp, "Invalid parameter type for '%s', expected: integer",
                   qapi_input_path(in, name));
        return false;
    }
    *obj = json_node_get_int(node);
    return true;
}

bool qapi_in_int(QapiInput *in, const char *name, int64_t *obj,
                 GError **errp)
{
    return qapi_in_int64(in, name, obj, errp);
}

/* A double that holds an integer in [2^63, 2^64): a big uint64. */
static bool double_to_uint64(double d, uint64_t *val)
{
    if (d >= 9223372036854775808.0 && d < 18446744073709551616.0 &&
        d == (double)(uint64_t)d) {
        *val = (uint64_t)d;
        return true;
    }
    return false;
}

/* A JSON (not keyval) value as a uint64, as QEMU's visitor converts it. */
static bool uint64_from_json(QapiInput *in, const char *name, JsonNode *node,
                             uint64_t *obj, GError **errp)
{
    if (node_is(node, G_TYPE_INT64)) {
        /* Negative values are accepted (and wrap), as in QEMU. */
        *obj = (uint64_t)json_node_get_int(node);
        return true;
    }
    if (node_is(node, G_TYPE_DOUBLE) &&
        double_to_uint64(json_node_get_double(node), obj)) {
        return true;
    }
    error_setg(errp, "Parameter '%s' expects uint64",
               qapi_input_path(in, name));
    return false;
}

bool qapi_in_uint64(QapiInput *in, const char *name, uint64_t *obj,
                    GError **errp)
{
    JsonNode *node = qapi_input_get(in, name, true, errp);
    const char *str;
    bool failed;

    if (!node) {
        return false;
    }
    str = keyval_str(in, name, node, errp, &failed);
    if (failed) {
        return false;
    }
    if (str) {
        if (!parse_uint64(str, obj)) {
            error_setg(errp, "Parameter '%s' expects integer",
                       qapi_input_path(in, name));
            return false;
        }
        return true;
    }
    return uint64_from_json(in, name, node, obj, errp);
}

/* Narrow integers: range errors use the bare name, as QEMU does. */
static bool qapi_in_signed(QapiInput *in, const char *name, int64_t min,
                           int64_t max, const char *type, int64_t *val,
                           GError **errp)
{
    if (!qapi_in_int64(in, name, val, errp)) {
        return false;
    }
    if (*val < min || *val > max) {
        error_setg(errp, "Parameter '%s' expects %s", name ? name : "null",
                   type);
        return false;
    }
    return true;
}

static bool qapi_in_unsigned(QapiInput *in, const char *name, uint64_t max,
                             const char *type, uint64_t *val, GError **errp)
{
    if (!qapi_in_uint64(in, name, val, errp)) {
        return false;
    }
    if (*val > max) {
        error_setg(errp, "Parameter '%s' expects %s", name ? name : "null",
                   type);
        return false;
    }
    return true;
}

#define QAPI_IN_SIGNED(T, MIN, MAX)                                        \
    bool qapi_in_##T(QapiInput *in, const char *name, T##_t *obj,         \
                     GError **errp)                                        \
    {                                                                      \
        int64_t v;                                                         \
                                                                           \
        if (!qapi_in_signed(in, name, MIN, MAX, #T, &v, errp)) {           \
            return false;                                                  \
        }                                                                  \
        *obj = v;                                                          \
        return true;                                                       \
    }

#define QAPI_IN_UNSIGNED(T, MAX)                                           \
    bool qapi_in_##T(QapiInput *in, const char *name, T##_t *obj,         \
                     GError **errp)                                        \
    {                                                                      \
        uint64_t v;                                                        \
                                                                           \
        if (!qapi_in_unsigned(in, name, MAX, #T, &v, errp)) {              \
            return false;                                                  \
        }                                                                  \
        *obj = v;                                                          \
        return true;                                                       \
    }

QAPI_IN_SIGNED(int8, INT8_MIN, INT8_MAX)
QAPI_IN_SIGNED(int16, INT16_MIN, INT16_MAX)
QAPI_IN_SIGNED(int32, INT32_MIN, INT32_MAX)
QAPI_IN_UNSIGNED(uint8, UINT8_MAX)
QAPI_IN_UNSIGNED(uint16, UINT16_MAX)
QAPI_IN_UNSIGNED(uint32, UINT32_MAX)

/*
 * A size as the command line writes it: a number with an optional
 * suffix B, K, M, G, T, P or E (binary multiples, either case); a
 * fraction is allowed with a suffix ("1.5G").
 */
static bool parse_size(const char *s, uint64_t *val)
{
    static const char suffixes[] = "BKMGTPE";
    char *end = NULL;
    const char *p;
    uint64_t ival;
    double d, mul = 1;

    if (!*s || g_ascii_isspace(*s) || *s == '-') {
        return false;
    }
    errno = 0;
    ival = g_ascii_strtoull(s, &end, 0);
    if (errno) {
        return false;
    }
    if (*end == '.') {
        d = g_ascii_strtod(s, &end);
    } else {
        d = (double)ival;
    }
    if (*end) {
        p = strchr(suffixes, g_ascii_toupper(*end));
        if (!p || end[1]) {
            return false;
        }
        mul = (double)(1ULL << (10 * (p - suffixes)));
    } else if (d != (double)ival) {
        return false;       /* a fraction needs a suffix */
    }
    if (mul == 1 && d == (double)ival) {
        *val = ival;
        return true;
    }
    d *= mul;
    if (d >= 18446744073709551616.0) {
        return false;
    }
    *val = (uint64_t)d;
    return true;
}

bool qapi_in_size(QapiInput *in, const char *name, uint64_t *obj,
                  GError **errp)
{
    JsonNode *node = qapi_input_get(in, name, true, errp);
    bool failed;
    const char *str;

    if (!node) {
        return false;
    }
    str = keyval_str(in, name, node, errp, &failed);
    if (failed) {
        return false;
    }
    if (!str) {
        return uint64_from_json(in, name, node, obj, errp);
    }
    if (!parse_size(str, obj)) {
        error_setg(errp, "Parameter '%s' expects size",
                   qapi_input_path(in, name));
        return false;
    }
    return true;
}

bool qapi_in_number(QapiInput *in, const char *name, double *obj,
                    GError **errp)
{
    JsonNode *node = qapi_input_get(in, name, true, errp);
    const char *str;
    bool failed;
    char *end = NULL;

    if (!node) {
        return false;
    }
    str = keyval_str(in, name, node, errp, &failed);
    if (failed) {
        return false;
    }
    if (str) {
        errno = 0;
        *obj = g_ascii_strtod(str, &end);
        if (!*str || *end || errno || !isfinite(*obj)) {
            error_setg(errp, "Parameter '%s' expects number",
                       qapi_input_path(in, name));
            return false;
        }
        return true;
    }
    if (node_is(node, G_TYPE_INT64)) {
        *obj = (double)json_node_get_int(node);
        return true;
    }
    if (!node_is(node, G_TYPE_DOUBLE)) {
        error_setg(errp, "Invalid parameter type for '%s', expected: number",
                   qapi_input_path(in, name));
        return false;
    }
    *obj = json_node_get_double(node);
    return true;
}

/* The keyval spellings of booleans. */
static const struct {
    const char *name;
    bool value;
} qapi_bool_names[] = {
    { "on", true }, { "yes", true }, { "true", true }, { "y", true },
    { "off", false }, { "no", false }, { "false", false }, { "n", false },
};

bool qapi_in_bool(QapiInput *in, const char *name, bool *obj, GError **errp)
{
    JsonNode *node = qapi_input_get(in, name, true, errp);
    const char *str;
    bool failed;
    size_t i;

    if (!node) {
        return false;
    }
    str = keyval_str(in, name, node, errp, &failed);
    if (failed) {
        return false;
    }
    if (str) {
        for (i = 0; i < ARRAY_SIZE(qapi_bool_names); i++) {
            if (!strcmp(str, qapi_bool_names[i].name)) {
                *obj = qapi_bool_names[i].value;
                return true;
            }
        }
        error_setg(errp, "Parameter '%s' expects 'on' or 'off'",
                   qapi_input_path(in, name));
        return false;
    }
    if (!node_is(node, G_TYPE_BOOLEAN)) {
        error_setg(errp, "Invalid parameter type for '%s', expected: boolean",
                   qapi_input_path(in, name));
        return false;
    }
    *obj = json_node_get_boolean(node);
    return true;
}

bool qapi_in_str(QapiInput *in, const char *name, char **obj, GError **errp)
{
    JsonNode *node = qapi_input_get(in, name, true, errp);
    bool failed;

    *obj = NULL;
    if (!node) {
        return false;
    }
    keyval_str(in, name, node, errp, &failed);
    if (failed) {
        return false;
    }
    if (!node_is(node, G_TYPE_STRING)) {
        error_setg(errp, "Invalid parameter type for '%s', expected: string",
                   qapi_input_path(in, name));
        return false;
    }
    *obj = g_strdup(json_node_get_string(node));
    return true;
}

bool qapi_in_any(QapiInput *in, const char *name, JsonNode **obj,
                 GError **errp)
{
    JsonNode *node = qapi_input_get(in, name, true, errp);

    *obj = node ? json_node_copy(node) : NULL;
    return node != NULL;
}

bool qapi_in_null(QapiInput *in, const char *name, GError **errp)
{
    JsonNode *node = qapi_input_get(in, name, true, errp);

    if (!node) {
        return false;
    }
    if (!JSON_NODE_HOLDS_NULL(node)) {
        error_setg(errp, "Invalid parameter type for '%s', expected: null",
                   qapi_input_path(in, name));
        return false;
    }
    return true;
}

bool qapi_in_enum(QapiInput *in, const char *name,
                  const QEnumLookup *lookup, int *obj, GError **errp)
{
    JsonNode *node = qapi_input_get(in, name, true, errp);
    const char *str;
    int i;

    if (!node) {
        return false;
    }
    if (!node_is(node, G_TYPE_STRING)) {
        error_setg(errp, "Invalid parameter type for '%s', expected: string",
                   qapi_input_path(in, name));
        return false;
    }
    str = json_node_get_string(node);
    for (i = 0; i < lookup->size; i++) {
        if (!strcmp(lookup->array[i], str)) {
            *obj = i;
            return true;
        }
    }
    /* QEMU names the bare member here ("null" inside a list). */
    error_setg(errp, "Parameter '%s' does not accept value '%s'",
               name ? name : "null", str);
    return false;
}
