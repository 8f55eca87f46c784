/*
 * memory-backend.c: the memory-backend-{ram,memfd,file} -object types and
 * the machine's RAM.
 *
 * A backend maps its memory when it is created, as QEMU's do; the machine
 * then adopts the mapping of the backend named by -machine memory-backend=
 * as its RAM block.  Main loop thread only, before the guest starts.
 */
#include "util/osdep.h"
#include "util/cutils.h"
#include "util/error.h"
#include "system/memory-backend.h"
#include "system/user-creatable.h"

typedef struct MemoryBackend {
    char *id;
    MemoryBackendKind kind;
    RAMHostMap map;          /* moved to the RAM block when used */
    uint64_t size;
    bool used;               /* the machine's RAM */
} MemoryBackend;

/* id -> MemoryBackend; main loop thread only. */
static GHashTable *backends;

typedef enum BackendPropType {
    PROP_SIZE,
    PROP_BOOL,
    PROP_STR,
    PROP_INT,
} BackendPropType;

/* A property; @kinds is a mask of 1 << MemoryBackendKind. */
typedef struct BackendProp {
    const char *name;
    BackendPropType type;
    unsigned kinds;
} BackendProp;

#define KIND_ALL 0x7u
#define KIND(k) (1u << (k))

/* Properties QEMU's backends have; those without effect here are accepted
 * so that QEMU command lines work. */
static const BackendProp backend_props[] = {
    { "size", PROP_SIZE, KIND_ALL },
    { "share", PROP_BOOL, KIND_ALL },
    { "prealloc", PROP_BOOL, KIND_ALL },
    { "prealloc-threads", PROP_INT, KIND_ALL },
    { "reserve", PROP_BOOL, KIND_ALL },
    { "merge", PROP_BOOL, KIND_ALL },
    { "dump", PROP_BOOL, KIND_ALL },
    { "x-use-canonical-path-for-ramblock-id", PROP_BOOL, KIND_ALL },
    { "mem-path", PROP_STR, KIND(MEMORY_BACKEND_FILE) },
    { "align", PROP_SIZE, KIND(MEMORY_BACKEND_FILE) },
    { "discard-data", PROP_BOOL, KIND(MEMORY_BACKEND_FILE) },
    { "seal", PROP_BOOL, KIND(MEMORY_BACKEND_MEMFD) },
};

static const char *const backend_type_names[] = {
    [MEMORY_BACKEND_RAM] = "memory-backend-ram",
    [MEMORY_BACKEND_MEMFD] = "memory-backend-memfd",
    [MEMORY_BACKEND_FILE] = "memory-backend-file",
};

/* A typed value of member @name; strings (keyval) are parsed. */
typedef union BackendPropValue {
    uint64_t u;
    bool b;
    const char *s;
} BackendPropValue;

static bool prop_value(const BackendProp *p, JsonNode *node,
                       BackendPropValue *v, GError **errp)
{
    GType t = JSON_NODE_HOLDS_VALUE(node) ? json_node_get_value_type(node)
                                          : G_TYPE_INVALID;
    static const char *const type_names[] = {
        [PROP_SIZE] = "size", [PROP_BOOL] = "boolean",
        [PROP_STR] = "string", [PROP_INT] = "integer",
    };

    if (t == G_TYPE_STRING && p->type == PROP_STR) {
        v->s = json_node_get_string(node);
        return true;
    }
    if (t == G_TYPE_STRING && p->type == PROP_BOOL) {
        return qapi_bool_parse(p->name, json_node_get_string(node), &v->b,
                               errp);
    }
    if (t == G_TYPE_STRING) {
        return qemu_strtosz(json_node_get_string(node), &v->u, 'B', p->name,
                            errp);
    }
    if (t == G_TYPE_BOOLEAN && p->type == PROP_BOOL) {
        v->b = json_node_get_boolean(node);
        return true;
    }
    if (t == G_TYPE_INT64 && (p->type == PROP_SIZE || p->type == PROP_INT) &&
        json_node_get_int(node) >= 0) {
        v->u = json_node_get_int(node);
        return true;
    }
    error_setg(errp, "Invalid parameter type for '%s', expected: %s",
               p->name, type_names[p->type]);
    return false;
}

static const BackendProp *prop_find(MemoryBackendKind kind, const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(backend_props); i++) {
        if (g_str_equal(backend_props[i].name, name) &&
            (backend_props[i].kinds & KIND(kind))) {
            return &backend_props[i];
        }
    }
    return NULL;
}

/* Fills @cfg from @props (strings borrowed from @props). */
static bool backend_parse(MemoryBackendKind kind, JsonObject *props,
                          MemoryBackendConfig *cfg, GError **errp)
{
    g_autoptr(GList) members = json_object_get_members(props);

    *cfg = (MemoryBackendConfig) {
        .kind = kind, .share = kind == MEMORY_BACKEND_MEMFD,
    };
    for (GList *l = members; l; l = l->next) {
        const char *name = l->data;
        const BackendProp *p = prop_find(kind, name);
        BackendPropValue v;

        if (!p) {
            error_setg(errp, "Property '%s.%s' not found",
                       backend_type_names[kind], name);
            return false;
        }
        if (!prop_value(p, json_object_get_member(props, name), &v, errp)) {
            return false;
        }
        if (g_str_equal(name, "size")) {
            cfg->size = v.u;
        } else if (g_str_equal(name, "share")) {
            cfg->share = v.b;
        } else if (g_str_equal(name, "prealloc")) {
            cfg->prealloc = v.b;
        } else if (g_str_equal(name, "mem-path")) {
            cfg->mem_path = v.s;
        }
    }
    if (!json_object_has_member(props, "size")) {
        error_setg(errp, "Parameter 'size' is missing");
        return false;
    }
    return true;
}

static void memory_backend_free(gpointer data)
{
    MemoryBackend *be = data;

    ram_host_unmap(&be->map);
    g_free(be->id);
    g_free(be);
}

bool memory_backend_new(const char *id, const MemoryBackendConfig *cfg,
                        GError **errp)
{
    MemoryBackend *be;

    if (backends && g_hash_table_contains(backends, id)) {
        error_setg(errp, "Duplicate ID '%s' for object", id);
        return false;
    }
    if (cfg->size == 0) {
        error_setg(errp, "can't create backend with size 0");
        return false;
    }
    if (cfg->kind == MEMORY_BACKEND_FILE && !cfg->mem_path) {
        error_setg(errp, "mem-path property not set");
        return false;
    }
    be = g_new0(MemoryBackend, 1);
    if (!ram_host_map(id, cfg, &be->map, errp)) {
        g_free(be);
        return false;
    }
    be->id = g_strdup(id);
    be->kind = cfg->kind;
    be->size = cfg->size;
    if (!backends) {
        backends = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                         memory_backend_free);
    }
    g_hash_table_insert(backends, be->id, be);
    return true;
}

static bool backend_create(MemoryBackendKind kind, const char *id,
                           JsonObject *props, GError **errp)
{
    MemoryBackendConfig cfg;

    return backend_parse(kind, props, &cfg, errp) &&
           memory_backend_new(id, &cfg, errp);
}

static bool backend_create_ram(const char *id, JsonObject *props,
                               GError **errp)
{
    return backend_create(MEMORY_BACKEND_RAM, id, props, errp);
}

static bool backend_create_memfd(const char *id, JsonObject *props,
                                 GError **errp)
{
    return backend_create(MEMORY_BACKEND_MEMFD, id, props, errp);
}

static bool backend_create_file(const char *id, JsonObject *props,
                                GError **errp)
{
    return backend_create(MEMORY_BACKEND_FILE, id, props, errp);
}

static const UserCreatableType backend_types[] = {
    { "memory-backend-ram", backend_create_ram },
    { "memory-backend-memfd", backend_create_memfd },
    { "memory-backend-file", backend_create_file },
};

void memory_backend_register_types(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(backend_types); i++) {
        if (!user_creatable_find(backend_types[i].name)) {
            user_creatable_register(&backend_types[i]);
        }
    }
}

uint64_t memory_backend_get_size(const char *id)
{
    MemoryBackend *be = backends ? g_hash_table_lookup(backends, id) : NULL;

    return be ? be->size : 0;
}

/* The machine's RAM from backend @id. */
static bool machine_ram_from_backend(const char *id, uint64_t *ram_size,
                                     bool ram_size_set, GError **errp)
{
    MemoryBackend *be = backends ? g_hash_table_lookup(backends, id) : NULL;

    if (!be) {
        error_setg(errp, "Memory backend '%s' not found", id);
        return false;
    }
    if (ram_size_set && be->size != *ram_size) {
        error_setg(errp, "Size specified by -m option must match size of "
                   "explicitly specified 'memory-backend' property");
        return false;
    }
    if (be->used) {
        error_setg(errp, "memory backend '%s' can't be used multiple times",
                   id);
        return false;
    }
    if (!ram_block_add_mapped(id, &be->map, errp)) {
        return false;
    }
    be->used = true;
    *ram_size = be->size;
    return true;
}

bool machine_ram_init(const char *backend_id, uint64_t *ram_size,
                      bool ram_size_set, GError **errp)
{
    MemoryBackendConfig cfg = {
        .kind = MEMORY_BACKEND_RAM, .size = *ram_size,
    };

    if (backend_id) {
        return machine_ram_from_backend(backend_id, ram_size, ram_size_set,
                                        errp);
    }
    return ram_block_add("pc.ram", &cfg, errp) != NULL;
}

void memory_backend_reset(void)
{
    g_clear_pointer(&backends, g_hash_table_unref);
}
