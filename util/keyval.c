/*
 * keyval.c: QEMU's KEY=VALUE,... option strings.
 *
 * keyval syntax (QEMU util/keyval.c):
 *   key-vals     = [ key-val { ',' key-val } [ ',' ] ]
 *   key-val      = key '=' val
 *   key          = key-fragment { '.' key-fragment }
 *   key-fragment = QAPI name, or digits (not the first fragment)
 *   val          = { [^,] | ',,' }
 * Each key-val is a path from the root to a string leaf.  A node whose
 * children are all numbered becomes an array (no gaps allowed).
 *
 * QemuOpts syntax (QEMU util/qemu-option.c): flat keys, the first
 * element may be a bare value for the implied key, other bare elements
 * are boolean flags.
 */
#include "util/osdep.h"
#include "util/cutils.h"
#include "util/error.h"
#include "util/json.h"
#include "util/keyval.h"

#define KEYVAL_FRAGMENT_MAX 127

/* @key (all digits) as an array index capped at INT_MAX, else -1. */
static int keyval_index(const char *key, size_t len)
{
    int64_t index = 0;
    size_t i;

    if (!len) {
        return -1;
    }
    for (i = 0; i < len; i++) {
        if (!g_ascii_isdigit(key[i])) {
            return -1;
        }
        index = MIN(index * 10 + (key[i] - '0'), (int64_t)INT_MAX);
    }
    return index;
}

/* Length of the key fragment at @s, 0 if there is none. */
static size_t keyval_fragment_len(const char *s, bool first)
{
    size_t len;
    int ret;

    if (!first) {
        for (len = 0; g_ascii_isdigit(s[len]); len++) {
            /* an array index */
        }
        if (len) {
            return len;
        }
    }
    ret = parse_qapi_name(s, false);
    return ret < 0 ? 0 : ret;
}

/* The member @name of @cur as an object, created if absent. */
static JsonObject *keyval_child(JsonObject *cur, const char *name,
                                const char *key, size_t key_len,
                                GError **errp)
{
    JsonNode *old = json_object_get_member(cur, name);

    if (!old) {
        JsonObject *child = json_object_new();

        json_object_set_object_member(cur, name, child);
        return child;
    }
    if (!JSON_NODE_HOLDS_OBJECT(old)) {
        error_setg(errp, "Parameters '%.*s.*' used inconsistently",
                   (int)key_len, key);
        return NULL;
    }
    return json_node_get_object(old);
}

/* Set the leaf @name of @cur to @value (last one wins). */
static bool keyval_put(JsonObject *cur, const char *name, const char *value,
                       const char *key, size_t key_len, GError **errp)
{
    JsonNode *old = json_object_get_member(cur, name);

    if (old && JSON_NODE_HOLDS_OBJECT(old)) {
        error_setg(errp, "Parameters '%.*s.*' used inconsistently",
                   (int)key_len, key);
        return false;
    }
    json_object_set_string_member(cur, name, value);
    return true;
}

/*
 * Walk the dotted @key (ending at @key_end) from @root, creating the
 * inner objects; return the object that holds the leaf, whose name is
 * stored in @leaf.
 */
static JsonObject *keyval_walk(JsonObject *root, const char *key,
                               const char *key_end, char *leaf,
                               GError **errp)
{
    JsonObject *cur = root;
    const char *s = key;
    size_t len;

    for (;;) {
        len = keyval_fragment_len(s, s == key);
        if (!len || (s + len < key_end && s[len] != '.')) {
            error_setg(errp, "Invalid parameter '%.*s'",
                       (int)(key_end - key), key);
            return NULL;
        }
        if (len > KEYVAL_FRAGMENT_MAX) {
            error_setg(errp, "Parameter%s '%.*s' is too long",
                       s != key || s + len != key_end ? " fragment" : "",
                       (int)len, s);
            return NULL;
        }
        if (s != key) {
            cur = keyval_child(cur, leaf, key, s - 1 - key, errp);
            if (!cur) {
                return NULL;
            }
        }
        memcpy(leaf, s, len);
        leaf[len] = 0;
        s += len;
        if (s >= key_end || *s != '.') {
            return cur;
        }
        s++;
    }
}

/* A value up to a single ',' (",," is a comma); returns what follows. */
static const char *opts_get_value(const char *s, char **value)
{
    GString *val = g_string_new(NULL);

    for (; *s; s++) {
        if (*s == ',') {
            if (s[1] != ',') {
                break;
            }
            s++;
        }
        g_string_append_c(val, *s);
    }
    *value = g_string_free(val, FALSE);
    return s;
}

static bool is_help_option_n(const char *s, size_t len)
{
    return (len == 1 && s[0] == '?') || (len == 4 && !memcmp(s, "help", 4));
}

/* Parse one key-val of @params into @root; returns what follows. */
static const char *keyval_parse_one(JsonObject *root, const char *params,
                                    const char *implied_key, bool *help,
                                    GError **errp)
{
    size_t len = strcspn(params, "=,");
    const char *key = params;
    const char *val_end = NULL;
    const char *s;
    char leaf[KEYVAL_FRAGMENT_MAX + 1];
    g_autofree char *value = NULL;
    JsonObject *cur;

    if (len && params[len] != '=') {
        if (is_help_option_n(params, len)) {
            *help = true;
            return params[len] ? params + len + 1 : params + len;
        }
        if (implied_key) {
            key = implied_key;
            val_end = params + len;
            len = strlen(implied_key);
        }
    }
    cur = keyval_walk(root, key, key + len, leaf, errp);
    if (!cur) {
        return NULL;
    }
    if (key == implied_key) {
        value = g_strndup(params, val_end - params);
        s = *val_end ? val_end + 1 : val_end;
    } else if (key[len] != '=') {
        error_setg(errp, "Expected '=' after parameter '%.*s'",
                   (int)len, key);
        return NULL;
    } else {
        s = opts_get_value(key + len + 1, &value);
        s = *s ? s + 1 : s;
    }
    if (!keyval_put(cur, leaf, value, key, len, errp)) {
        return NULL;
    }
    return s;
}

static JsonNode *keyval_listify(JsonNode *node, GString *prefix,
                                GError **errp);

/*
 * Listify the members of @cur that are objects, and tell whether @cur
 * has numbered members and named members.
 */
static bool keyval_listify_members(JsonObject *cur, GString *prefix,
                                   bool *has_index, bool *has_member,
                                   GError **errp)
{
    g_autoptr(GList) names = json_object_get_members_qdict_order(cur);
    size_t prefix_len = prefix->len;
    GList *l;

    *has_index = *has_member = false;
    for (l = names; l; l = l->next) {
        const char *name = l->data;
        JsonNode *child = json_object_get_member(cur, name);
        JsonNode *repl;

        if (keyval_index(name, strlen(name)) >= 0) {
            *has_index = true;
        } else {
            *has_member = true;
        }
        if (!JSON_NODE_HOLDS_OBJECT(child)) {
            continue;
        }
        g_string_append_printf(prefix, "%s.", name);
        repl = keyval_listify(child, prefix, errp);
        g_string_truncate(prefix, prefix_len);
        if (!repl) {
            return false;
        }
        if (repl != child) {
            json_object_set_member(cur, name, repl);
        }
    }
    return true;
}

/* The array that the numbered members of @cur make, or NULL. */
static JsonNode *keyval_make_array(JsonObject *cur, GString *prefix,
                                   GError **errp)
{
    g_autoptr(GList) names = json_object_get_members_qdict_order(cur);
    size_t n = g_list_length(names);
    g_autofree JsonNode **elt = g_new0(JsonNode *, n + 1);
    JsonArray *array;
    JsonNode *node;
    int max_index = -1;
    size_t i;
    GList *l;

    for (l = names; l; l = l->next) {
        int index = keyval_index(l->data, strlen(l->data));

        max_index = MAX(max_index, index);
        if ((size_t)index < n) {
            elt[index] = json_object_get_member(cur, l->data);
        }
    }
    /* An index >= n means a gap: the loop runs into elt[n] == NULL. */
    for (i = 0; i < MIN(n + 1, (size_t)max_index + 1); i++) {
        if (!elt[i]) {
            error_setg(errp, "Parameter '%s%zu' missing", prefix->str, i);
            return NULL;
        }
    }
    /* Indexes may repeat ("01" and "1"): max_index < n then. */
    array = json_array_sized_new(max_index + 1);
    for (i = 0; i < (size_t)max_index + 1; i++) {
        json_array_add_element(array, json_node_ref(elt[i]));
    }
    node = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(node, array);
    return node;
}

/*
 * Replace objects whose members are all numbered by arrays, depth
 * first.  Returns @node itself, a new array node, or NULL on error.
 */
static JsonNode *keyval_listify(JsonNode *node, GString *prefix,
                                GError **errp)
{
    JsonObject *cur = json_node_get_object(node);
    bool has_index, has_member;

    if (!keyval_listify_members(cur, prefix, &has_index, &has_member,
                                errp)) {
        return NULL;
    }
    if (has_index && has_member) {
        error_setg(errp, "Parameters '%s*' used inconsistently", prefix->str);
        return NULL;
    }
    if (!has_index) {
        return node;
    }
    return keyval_make_array(cur, prefix, errp);
}

JsonObject *keyval_parse(const char *params, const char *implied_key,
                         bool *p_help, GError **errp)
{
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
    g_autoptr(GString) prefix = g_string_new(NULL);
    JsonObject *obj = json_object_new();
    const char *s = params;
    bool help = false;

    json_node_take_object(root, obj);
    while (*s) {
        s = keyval_parse_one(obj, s, implied_key, &help, errp);
        if (!s) {
            return NULL;
        }
        implied_key = NULL;
    }
    if (p_help) {
        *p_help = help;
    } else if (help) {
        error_setg(errp, "Help is not available for this option");
        return NULL;
    }
    if (!keyval_listify(root, prefix, errp)) {
        return NULL;
    }
    return json_object_ref(obj);
}

/* A bare flag "key" or "nokey" of QemuOpts syntax. */
static void opts_flag(const char *flag, size_t len, bool silent,
                      char **name, char **value)
{
    bool no = len >= 2 && !memcmp(flag, "no", 2);

    if (is_help_option_n(flag, len)) {
        *name = g_strdup("help");
        *value = g_strdup("on");
        return;
    }
    *name = no ? g_strndup(flag + 2, len - 2) : g_strndup(flag, len);
    *value = g_strdup(no ? "off" : "on");
    if (silent) {
        return;
    }
    warn_report("short-form boolean option '%s%s' deprecated",
                no ? "no" : "", *name);
    if (g_str_equal(*name, "delay")) {
        g_printerr("Please use nodelay=%s instead\n", no ? "on" : "off");
    } else {
        g_printerr("Please use %s=%s instead\n", *name, *value);
    }
}

JsonObject *qemu_opts_parse_flat(const char *params, const char *implied_key,
                                 bool short_bool_silent, GError **errp)
{
    g_autoptr(JsonObject) obj = json_object_new();
    const char *p = params;

    while (*p) {
        size_t len = strcspn(p, "=,");
        g_autofree char *name = NULL;
        g_autofree char *value = NULL;

        if (p[len] == '=') {
            name = g_strndup(p, len);
            p = opts_get_value(p + len + 1, &value);
        } else if (implied_key) {
            name = g_strdup(implied_key);
            p = opts_get_value(p, &value);
        } else {
            opts_flag(p, len, short_bool_silent, &name, &value);
            p += len;
        }
        p = *p ? p + 1 : p;
        implied_key = NULL;
        if (!*name) {
            error_setg(errp, "Invalid parameter ''");
            return NULL;
        }
        json_object_set_string_member(obj, name, value);
    }
    return g_steal_pointer(&obj);
}
