/*
 * user-creatable.c: the registry of -object types.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "system/user-creatable.h"

/* name -> const UserCreatableType *; main loop thread only. */
static GHashTable *uc_types;

void user_creatable_register(const UserCreatableType *type)
{
    if (!uc_types) {
        uc_types = g_hash_table_new(g_str_hash, g_str_equal);
    }
    g_assert(!g_hash_table_contains(uc_types, type->name));
    g_hash_table_insert(uc_types, (gpointer)type->name, (gpointer)type);
}

const UserCreatableType *user_creatable_find(const char *name)
{
    return uc_types ? g_hash_table_lookup(uc_types, name) : NULL;
}

/* The string member @key of @props, or NULL with an error. */
static const char *props_get_str(JsonObject *props, const char *key,
                                 GError **errp)
{
    JsonNode *node = json_object_get_member(props, key);

    if (!node) {
        error_setg(errp, "Parameter '%s' is missing", key);
        return NULL;
    }
    if (!JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_STRING) {
        error_setg(errp, "Invalid parameter type for '%s', expected: string",
                   key);
        return NULL;
    }
    return json_node_get_string(node);
}

const UserCreatableType *user_creatable_check(JsonObject *props,
                                              GError **errp)
{
    const char *type_name = props_get_str(props, "qom-type", errp);
    const UserCreatableType *type;

    if (!type_name) {
        return NULL;
    }
    type = user_creatable_find(type_name);
    if (!type) {
        error_setg(errp, "Parameter 'qom-type' does not accept value '%s'",
                   type_name);
        return NULL;
    }
    if (!props_get_str(props, "id", errp)) {
        return NULL;
    }
    return type;
}

bool user_creatable_add(JsonObject *props, GError **errp)
{
    const UserCreatableType *type = user_creatable_check(props, errp);
    g_autoptr(JsonObject) rest = NULL;
    GList *members;

    if (!type) {
        return false;
    }
    rest = json_object_new();
    members = json_object_get_members(props);
    for (GList *l = members; l; l = l->next) {
        const char *key = l->data;

        if (!g_str_equal(key, "qom-type") && !g_str_equal(key, "id")) {
            json_object_set_member(rest, key,
                                   json_object_dup_member(props, key));
        }
    }
    g_list_free(members);
    return type->create(json_object_get_string_member(props, "id"), rest,
                        errp);
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void user_creatable_help(FILE *out)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    GHashTableIter iter;
    gpointer key;

    fprintf(out, "List of user creatable objects:\n");
    if (uc_types) {
        g_hash_table_iter_init(&iter, uc_types);
        while (g_hash_table_iter_next(&iter, &key, NULL)) {
            g_ptr_array_add(names, key);
        }
    }
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        fprintf(out, "  %s\n", (const char *)names->pdata[i]);
    }
}

void user_creatable_reset(void)
{
    g_clear_pointer(&uc_types, g_hash_table_unref);
}
