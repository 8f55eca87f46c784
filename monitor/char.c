/*
 * char.c: chardev options (-chardev and QEMU's compat DEV syntax) and the
 * registry of chardevs.  Main thread only.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/cutils.h"
#include "util/keyval.h"
#include "monitor/chardev-int.h"

static GList *chardevs;          /* Chardev*, creation order */
static bool stdio_in_use;

/* The -chardev keys tern understands, per backend. */
static const char *const socket_keys[] = {
    "backend", "id", "path", "host", "port", "fd", "server", "wait",
    "nodelay", "reconnect", "reconnect-ms",
};
static const char *const stdio_keys[] = {
    "backend", "id", "signal",
};

static bool key_in(const char *key, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(key, keys[i])) {
            return true;
        }
    }
    return false;
}

static bool opts_check_keys(JsonObject *opts, const char *const *keys,
                            size_t n, GError **errp)
{
    g_autoptr(GList) members = json_object_get_members(opts);

    for (GList *l = members; l; l = l->next) {
        if (!key_in(l->data, keys, n)) {
            error_setg(errp, "Invalid parameter '%s'", (char *)l->data);
            return false;
        }
    }
    return true;
}

static const char *opt_str(JsonObject *opts, const char *key)
{
    JsonNode *n = json_object_get_member(opts, key);

    if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE ||
        json_node_get_value_type(n) != G_TYPE_STRING) {
        return NULL;
    }
    return json_node_get_string(n);
}

static bool opt_bool(JsonObject *opts, const char *key, bool def,
                     bool *val, GError **errp)
{
    const char *s = opt_str(opts, key);

    *val = def;
    return !s || qapi_bool_parse(key, s, val, errp);
}

static bool opt_fd(JsonObject *opts, int *fd, GError **errp)
{
    const char *s = opt_str(opts, "fd");
    int64_t v;

    *fd = -1;
    if (!s) {
        return true;
    }
    if (qemu_strtoi64(s, NULL, 10, &v) < 0 || v < 0 || v > INT_MAX) {
        error_setg(errp, "Parameter 'fd' expects a number");
        return false;
    }
    *fd = v;
    return true;
}

static bool socket_parse_addr(Chardev *chr, JsonObject *opts, GError **errp)
{
    const char *path = opt_str(opts, "path");
    const char *host = opt_str(opts, "host");
    const char *port = opt_str(opts, "port");
    bool has_fd = opt_str(opts, "fd") != NULL;

    if (!!path + !!host + has_fd > 1) {
        error_setg(errp, "None or one of 'path', 'fd' or 'host' option "
                   "required.");
        return false;
    }
    if (host && !port) {
        error_setg(errp, "chardev: socket: no port given");
        return false;
    }
    if (!path && !host && !has_fd) {
        error_setg(errp, "chardev: socket: no address given");
        return false;
    }
    if (!opt_fd(opts, &chr->addr.fd, errp)) {
        return false;
    }
    chr->addr.path = g_strdup(path);
    chr->addr.host = g_strdup(host);
    chr->addr.port = g_strdup(port);
    return true;
}

static bool socket_parse(Chardev *chr, JsonObject *opts, GError **errp)
{
    const char *reconnect = opt_str(opts, "reconnect");
    const char *reconnect_ms = opt_str(opts, "reconnect-ms");
    bool nodelay;

    if (!opts_check_keys(opts, socket_keys, G_N_ELEMENTS(socket_keys),
                         errp) ||
        !opt_bool(opts, "server", false, &chr->server, errp) ||
        !opt_bool(opts, "wait", true, &chr->wait, errp) ||
        !opt_bool(opts, "nodelay", false, &nodelay, errp)) {
        return false;
    }
    if (!chr->server && opt_str(opts, "wait")) {
        error_setg(errp, "'wait' option is incompatible with socket in "
                   "client connect mode");
        return false;
    }
    if ((reconnect && strcmp(reconnect, "0")) ||
        (reconnect_ms && strcmp(reconnect_ms, "0"))) {
        error_setg(errp, chr->server ?
                   "'reconnect' option is incompatible with socket in "
                   "server listen mode" :
                   "'reconnect' is not supported by tern");
        return false;
    }
    return socket_parse_addr(chr, opts, errp);
}

static void chardev_free(Chardev *chr)
{
    chardev_close(chr);
    if (chr->addr.fd >= 0) {
        close(chr->addr.fd);
    }
    g_free(chr->addr.path);
    g_free(chr->addr.host);
    g_free(chr->addr.port);
    g_free(chr->id);
    g_free(chr);
}

static Chardev *chardev_alloc(const char *id, ChardevKind kind)
{
    Chardev *chr = g_new0(Chardev, 1);

    chr->id = g_strdup(id);
    chr->kind = kind;
    chr->listen_fd = -1;
    chr->addr.fd = -1;
    return chr;
}

static bool chardev_parse_backend(Chardev *chr, JsonObject *opts,
                                  GError **errp)
{
    if (chr->kind == CHARDEV_KIND_STDIO) {
        if (!opts_check_keys(opts, stdio_keys, G_N_ELEMENTS(stdio_keys),
                             errp)) {
            return false;
        }
        if (stdio_in_use) {
            error_setg(errp, "cannot use stdio by multiple character "
                       "devices");
            return false;
        }
        return true;
    }
    return socket_parse(chr, opts, errp);
}

static bool chardev_open(Chardev *chr, GError **errp)
{
    if (chr->kind == CHARDEV_KIND_STDIO) {
        stdio_in_use = true;
        return chardev_stdio_open(chr, errp);
    }
    return chardev_socket_open(chr, errp);
}

Chardev *chardev_new_from_opts(JsonObject *opts, GError **errp)
{
    const char *backend = opt_str(opts, "backend");
    const char *id = opt_str(opts, "id");
    Chardev *chr;
    ChardevKind kind;

    if (!id) {
        error_setg(errp, "chardev: no id specified");
        return NULL;
    }
    if (!backend) {
        error_setg(errp, "chardev: \"%s\" missing backend", id);
        return NULL;
    }
    if (!strcmp(backend, "socket")) {
        kind = CHARDEV_KIND_SOCKET;
    } else if (!strcmp(backend, "stdio")) {
        kind = CHARDEV_KIND_STDIO;
    } else {
        error_setg(errp, "'%s' is not a valid char driver name", backend);
        return NULL;
    }
    if (chardev_find(id)) {
        error_setg(errp, "Duplicate ID '%s' for chardev", id);
        return NULL;
    }
    chr = chardev_alloc(id, kind);
    if (!chardev_parse_backend(chr, opts, errp) ||
        !chardev_open(chr, errp)) {
        chardev_free(chr);
        return NULL;
    }
    chardevs = g_list_append(chardevs, chr);
    return chr;
}

/* "tcp:[HOST]:PORT[,opts]" after the prefix: split the address. */
static JsonObject *compat_parse_tcp(const char *rest, GError **errp)
{
    const char *comma = strchr(rest, ',');
    size_t len = comma ? (size_t)(comma - rest) : strlen(rest);
    g_autofree char *addr = g_strndup(rest, len);
    char *colon = strrchr(addr, ':');
    JsonObject *opts;

    if (!colon) {
        error_setg(errp, "'tcp:%s' is not a valid char driver", rest);
        return NULL;
    }
    *colon = '\0';
    opts = comma ? qemu_opts_parse_flat(comma + 1, NULL, true, errp)
                 : json_object_new();
    if (!opts) {
        return NULL;
    }
    json_object_set_string_member(opts, "host", addr);
    json_object_set_string_member(opts, "port", colon + 1);
    return opts;
}

static JsonObject *compat_parse(const char *dev, GError **errp)
{
    JsonObject *opts = NULL;
    const char *rest;

    if (!strcmp(dev, "stdio")) {
        opts = json_object_new();
        json_object_set_string_member(opts, "backend", "stdio");
        return opts;
    }
    if (g_str_has_prefix(dev, "unix:")) {
        rest = dev + strlen("unix:");
        opts = qemu_opts_parse_flat(rest, "path", true, errp);
    } else if (g_str_has_prefix(dev, "tcp:")) {
        opts = compat_parse_tcp(dev + strlen("tcp:"), errp);
    } else {
        error_setg(errp, "'%s' is not a valid char driver", dev);
        return NULL;
    }
    if (opts) {
        json_object_set_string_member(opts, "backend", "socket");
    }
    return opts;
}

Chardev *chardev_new_compat(const char *label, const char *dev,
                            GError **errp)
{
    g_autoptr(JsonObject) opts = NULL;
    Chardev *chr;

    if (g_str_has_prefix(dev, "chardev:")) {
        const char *id = dev + strlen("chardev:");

        chr = chardev_find(id);
        if (!chr) {
            error_setg(errp, "chardev \"%s\" not found", id);
        }
        return chr;
    }
    opts = compat_parse(dev, errp);
    if (!opts) {
        return NULL;
    }
    if (json_object_has_member(opts, "id")) {
        error_setg(errp, "Invalid parameter 'id'");
        return NULL;
    }
    json_object_set_string_member(opts, "id", label);
    return chardev_new_from_opts(opts, errp);
}

Chardev *chardev_find(const char *id)
{
    for (GList *l = chardevs; l; l = l->next) {
        Chardev *chr = l->data;

        if (!strcmp(chr->id, id)) {
            return chr;
        }
    }
    return NULL;
}

const char *chardev_get_id(Chardev *chr)
{
    return chr->id;
}

bool chardev_has_frontend(Chardev *chr)
{
    return chr->open_cb != NULL;
}

bool chardev_set_frontend(Chardev *chr, CharOpenFunc *open_cb, void *opaque,
                          GError **errp)
{
    g_autoptr(GList) conns = NULL;

    if (chr->open_cb) {
        error_setg(errp, "Device '%s' is in use", chr->id);
        return false;
    }
    chr->open_cb = open_cb;
    chr->open_opaque = opaque;
    conns = g_list_copy(chr->conns);
    for (GList *l = conns; l; l = l->next) {
        open_cb(opaque, l->data);
    }
    return true;
}

void chardev_conn_opened(Chardev *chr, CharConn *conn)
{
    if (chr->open_cb) {
        chr->open_cb(chr->open_opaque, conn);
    }
}

char *chardev_get_filename(Chardev *chr)
{
    if (chr->kind == CHARDEV_KIND_STDIO) {
        return g_strdup("stdio");
    }
    return chardev_socket_filename(chr);
}

void chardev_cleanup_all(void)
{
    while (chardevs) {
        Chardev *chr = chardevs->data;

        chardevs = g_list_delete_link(chardevs, chardevs);
        chardev_free(chr);
    }
    stdio_in_use = false;
}
