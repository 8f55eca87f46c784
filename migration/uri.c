/*
 * uri.c: migration URI strings and the migrate/migrate-incoming argument
 * forms, turned into one typed MigrationAddress.  Pure functions (any
 * thread): nothing below the front ends sees a string.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/cutils.h"
#include "io/socket-address.h"
#include "qapi/qapi-visit-migration.h"
#include "migration.h"

/* "exec:CMD" runs CMD with the shell. */
static bool uri_parse_exec(const char *cmd, MigrationAddress *addr,
                           GError **errp)
{
    static const char *const shell[] = { "/bin/sh", "-c" };
    strList **tail = &addr->u.exec.args;

    (void)errp;
    addr->transport = MIGRATION_ADDRESS_TYPE_EXEC;
    for (size_t i = 0; i <= ARRAY_SIZE(shell); i++) {
        *tail = g_new0(strList, 1);
        (*tail)->value = g_strdup(i < ARRAY_SIZE(shell) ? shell[i] : cmd);
        tail = &(*tail)->next;
    }
    return true;
}

/* "file:PATH[,offset=N]"; N is a size (suffixes accepted, as QEMU). */
static bool uri_parse_file(const char *spec, MigrationAddress *addr,
                           GError **errp)
{
    const char *opt = strstr(spec, ",offset=");
    uint64_t offset = 0;

    if (opt && qemu_strtosz_end(opt + strlen(",offset="), NULL, 'B',
                                &offset) < 0) {
        error_setg(errp, "file URI has bad offset %s",
                   opt + strlen(",offset="));
        return false;
    }
    if (opt == spec || !*spec) {
        error_setg(errp, "file URI has no file name");
        return false;
    }
    addr->transport = MIGRATION_ADDRESS_TYPE_FILE;
    addr->u.file.filename = opt ? g_strndup(spec, opt - spec)
                                : g_strdup(spec);
    addr->u.file.offset = offset;
    return true;
}

/* "tcp:", "unix:", "vsock:" and "fd:" are sockets (fd: always is). */
static bool uri_parse_socket(const char *uri, MigrationAddress *addr,
                             GError **errp)
{
    g_autoptr(SocketAddress) saddr = socket_parse(uri, errp);

    if (!saddr) {
        return false;
    }
    addr->transport = MIGRATION_ADDRESS_TYPE_SOCKET;
    /* Move the members over: the union branch is embedded by value. */
    addr->u.socket = *saddr;
    memset(saddr, 0, sizeof(*saddr));
    saddr->type = SOCKET_ADDRESS_TYPE_FD;
    return true;
}

/* "rdma:HOST:PORT" becomes an InetSocketAddress. */
static bool uri_parse_rdma(const char *hostport, MigrationAddress *addr,
                           GError **errp)
{
    g_autofree char *tcp = g_strdup_printf("tcp:%s", hostport);
    g_autoptr(SocketAddress) saddr = socket_parse(tcp, errp);

    if (!saddr) {
        return false;
    }
    if (saddr->type != SOCKET_ADDRESS_TYPE_INET) {
        error_setg(errp, "invalid RDMA address '%s'", hostport);
        return false;
    }
    addr->transport = MIGRATION_ADDRESS_TYPE_RDMA;
    addr->u.rdma = saddr->u.inet;
    memset(&saddr->u.inet, 0, sizeof(saddr->u.inet));
    saddr->type = SOCKET_ADDRESS_TYPE_FD;
    return true;
}

typedef struct UriScheme {
    const char *prefix;
    bool keep_prefix;        /* hand the whole URI to the parser */
    bool (*parse)(const char *rest, MigrationAddress *addr, GError **errp);
} UriScheme;

static const UriScheme uri_schemes[] = {
    { "exec:", false, uri_parse_exec },
    { "file:", false, uri_parse_file },
    { "rdma:", false, uri_parse_rdma },
    { "tcp:", true, uri_parse_socket },
    { "unix:", true, uri_parse_socket },
    { "vsock:", true, uri_parse_socket },
    { "fd:", true, uri_parse_socket },
};

MigrationAddress *migrate_uri_parse(const char *uri, GError **errp)
{
    for (size_t i = 0; i < ARRAY_SIZE(uri_schemes); i++) {
        const UriScheme *s = &uri_schemes[i];
        g_autoptr(MigrationAddress) addr = NULL;

        if (!g_str_has_prefix(uri, s->prefix)) {
            continue;
        }
        addr = g_new0(MigrationAddress, 1);
        /* An unset socket branch frees nothing (type fd, str NULL). */
        addr->transport = MIGRATION_ADDRESS_TYPE_SOCKET;
        addr->u.socket.type = SOCKET_ADDRESS_TYPE_FD;
        if (!s->parse(s->keep_prefix ? uri : uri + strlen(s->prefix),
                      addr, errp)) {
            return NULL;
        }
        return g_steal_pointer(&addr);
    }
    error_setg(errp, "unknown migration protocol: %s", uri);
    return NULL;
}

MigrationAddress *migrate_address_from_args(const char *uri,
                                            MigrationChannelList *channels,
                                            const char *cmd, GError **errp)
{
    if (uri && channels) {
        error_setg(errp, "'uri' and 'channels' arguments are mutually "
                   "exclusive; exactly one of the two should be present in "
                   "'%s' qmp command", cmd);
        return NULL;
    }
    if (uri) {
        return migrate_uri_parse(uri, errp);
    }
    if (!channels) {
        error_setg(errp, "neither 'uri' or 'channels' argument are "
                   "specified in '%s' qmp command", cmd);
        return NULL;
    }
    if (channels->next) {
        error_setg(errp, "Channel list has more than one entries");
        return NULL;
    }
    if (channels->value->channel_type != MIGRATION_CHANNEL_TYPE_MAIN) {
        error_setg(errp, "Channel type '%s' needs migration mode "
                   "'cpr-transfer', which tern does not support",
                   MigrationChannelType_str(channels->value->channel_type));
        return NULL;
    }
    return migrate_address_copy(channels->value->addr);
}

MigrationAddress *migrate_address_copy(const MigrationAddress *addr)
{
    JsonNode *node = qapi_MigrationAddress_to_json(addr);
    MigrationAddress *copy;

    copy = qapi_MigrationAddress_from_json(node, QAPI_INPUT_NONE, NULL);
    json_node_unref(node);
    g_assert(copy);
    return copy;
}

bool migrate_address_multi_channel(const MigrationAddress *addr)
{
    return addr->transport == MIGRATION_ADDRESS_TYPE_SOCKET &&
           addr->u.socket.type != SOCKET_ADDRESS_TYPE_FD;
}
