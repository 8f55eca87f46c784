/*
 * json-writer.c: write a JsonNode tree exactly as QEMU writes a QObject.
 *
 * Compact mode separates with ", " and ": "; pretty mode puts a newline
 * and 4 spaces per level before every member, element and closing
 * bracket (so an empty container is "{" NEWLINE INDENT "}").  Output is
 * ASCII: other characters become uppercase \uXXXX escapes.  Object
 * members come in QEMU's QDict order (see json_object_get_members_qdict_order).
 */
#include "util/osdep.h"
#include "json-int.h"

/* QEMU's QDict: a fixed array of buckets, each a list, newest first. */
#define QDICT_BUCKET_MAX 512

/* The hash function of QEMU's QDict (from the Samba TDB project). */
static uint32_t json_tdb_hash(const char *key)
{
    uint32_t value = 0x238F13AFu * (uint32_t)strlen(key);
    size_t i;

    for (i = 0; key[i]; i++) {
        value += (uint32_t)(uint8_t)key[i] << (i * 5 % 24);
    }
    return 1103515243u * value + 12345u;
}

typedef struct JsonMemberOrder {
    const char *name;
    uint32_t bucket;
    uint32_t index;             /* insertion order */
} JsonMemberOrder;

static int json_member_order_cmp(const void *a, const void *b)
{
    const JsonMemberOrder *x = a, *y = b;

    if (x->bucket != y->bucket) {
        return x->bucket < y->bucket ? -1 : 1;
    }
    return x->index > y->index ? -1 : x->index < y->index;
}

GList *json_object_get_members_qdict_order(JsonObject *obj)
{
    GList *names = json_object_get_members(obj);  /* insertion order */
    guint n = g_list_length(names);
    g_autofree JsonMemberOrder *order = g_new(JsonMemberOrder, n);
    GList *l, *result = NULL;
    guint i = 0;

    for (l = names; l; l = l->next, i++) {
        order[i].name = l->data;
        order[i].bucket = json_tdb_hash(l->data) % QDICT_BUCKET_MAX;
        order[i].index = i;
    }
    g_list_free(names);
    if (n > 1) {
        qsort(order, n, sizeof(*order), json_member_order_cmp);
    }
    for (i = n; i > 0; i--) {
        result = g_list_prepend(result, (gpointer)order[i - 1].name);
    }
    return result;
}

typedef struct JsonWriter {
    GString *out;
    bool pretty;
    int depth;
} JsonWriter;

static void json_write_node(JsonWriter *w, JsonNode *node);

static void json_write_newline(JsonWriter *w)
{
    if (w->pretty) {
        g_string_append_printf(w->out, "\n%*s", 4 * w->depth, "");
    }
}

/* Before the element @i of a container. */
static void json_write_separator(JsonWriter *w, guint i)
{
    if (i > 0) {
        g_string_append_c(w->out, ',');
        if (!w->pretty) {
            g_string_append_c(w->out, ' ');
        }
    }
    json_write_newline(w);
}

/* Simple escapes; 0 where \uXXXX or the character itself is written. */
static const char json_write_escapes[128] = {
    ['"'] = '"', ['\\'] = '\\', ['\b'] = 'b', ['\f'] = 'f',
    ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
};

static void json_write_str(JsonWriter *w, const char *str)
{
    const char *p = str;
    const char *end;
    int cp;

    g_string_append_c(w->out, '"');
    while (*p) {
        cp = json_utf8_decode(p, 6, &end);
        p = end;
        if (cp >= 0 && cp < 0x80 && json_write_escapes[cp]) {
            g_string_append_c(w->out, '\\');
            g_string_append_c(w->out, json_write_escapes[cp]);
            continue;
        }
        if (cp < 0) {
            cp = 0xFFFD;
        }
        if (cp > 0xFFFF) {
            g_string_append_printf(w->out, "\\u%04X\\u%04X",
                                   0xD800 + ((cp - 0x10000) >> 10),
                                   0xDC00 + ((cp - 0x10000) & 0x3FF));
        } else if (cp < 0x20 || cp >= 0x7F) {
            g_string_append_printf(w->out, "\\u%04X", cp);
        } else {
            g_string_append_c(w->out, cp);
        }
    }
    g_string_append_c(w->out, '"');
}

static void json_write_object(JsonWriter *w, JsonObject *obj)
{
    GList *names = obj ? json_object_get_members_qdict_order(obj) : NULL;
    GList *l;
    guint i = 0;

    g_string_append_c(w->out, '{');
    w->depth++;
    for (l = names; l; l = l->next, i++) {
        json_write_separator(w, i);
        json_write_str(w, l->data);
        g_string_append(w->out, ": ");
        json_write_node(w, json_object_get_member(obj, l->data));
    }
    w->depth--;
    json_write_newline(w);
    g_string_append_c(w->out, '}');
    g_list_free(names);
}

static void json_write_array(JsonWriter *w, JsonArray *array)
{
    guint n = array ? json_array_get_length(array) : 0;
    guint i;

    g_string_append_c(w->out, '[');
    w->depth++;
    for (i = 0; i < n; i++) {
        json_write_separator(w, i);
        json_write_node(w, json_array_get_element(array, i));
    }
    w->depth--;
    json_write_newline(w);
    g_string_append_c(w->out, ']');
}

static void json_write_double(JsonWriter *w, double d)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    g_string_append(w->out, g_ascii_formatd(buf, sizeof(buf), "%.17g", d));
}

static void json_write_value(JsonWriter *w, JsonNode *node)
{
    switch (json_node_get_value_type(node)) {
    case G_TYPE_INT64:
        g_string_append_printf(w->out, "%" PRId64, json_node_get_int(node));
        break;
    case G_TYPE_DOUBLE:
        json_write_double(w, json_node_get_double(node));
        break;
    case G_TYPE_BOOLEAN:
        g_string_append(w->out,
                        json_node_get_boolean(node) ? "true" : "false");
        break;
    case G_TYPE_STRING:
        json_write_str(w, json_node_get_string(node));
        break;
    default:
        g_string_append(w->out, "null");
        break;
    }
}

static void json_write_node(JsonWriter *w, JsonNode *node)
{
    switch (node ? json_node_get_node_type(node) : JSON_NODE_NULL) {
    case JSON_NODE_OBJECT:
        json_write_object(w, json_node_get_object(node));
        break;
    case JSON_NODE_ARRAY:
        json_write_array(w, json_node_get_array(node));
        break;
    case JSON_NODE_VALUE:
        json_write_value(w, node);
        break;
    default:
        g_string_append(w->out, "null");
        break;
    }
}

char *json_serialize(JsonNode *node, bool pretty)
{
    JsonWriter w = { .out = g_string_new(NULL), .pretty = pretty };

    json_write_node(&w, node);
    return g_string_free(w.out, FALSE);
}
