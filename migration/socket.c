/*
 * socket.c: the socket transports (tcp, unix, vsock): connect with a
 * channel preamble on the source, listen and accept on the destination.
 *
 * Every socket channel starts with 16 bytes: "TERNCHAN", BE u32 kind
 * (0 main, 1 multifd), BE u32 index, so the destination routes
 * connections that arrive in any order.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "io/channel-socket.h"
#include "io/net-listener.h"
#include "migration.h"

void migration_channel_make_preamble(uint8_t buf[MIG_CHANNEL_PREAMBLE_SIZE],
                                     uint32_t kind, uint32_t index)
{
    uint32_t be_kind = GUINT32_TO_BE(kind);
    uint32_t be_index = GUINT32_TO_BE(index);

    memcpy(buf, MIG_CHANNEL_MAGIC, 8);
    memcpy(buf + 8, &be_kind, 4);
    memcpy(buf + 12, &be_index, 4);
}

QIOChannel *migration_socket_connect(const SocketAddress *addr, uint32_t kind,
                                     uint32_t index, GError **errp)
{
    uint8_t pre[MIG_CHANNEL_PREAMBLE_SIZE];
    g_autoptr(QIOChannel) ioc = NULL;
    g_autofree char *name = NULL;

    ioc = qio_channel_socket_connect_sync((SocketAddress *)addr, errp);
    if (!ioc) {
        return NULL;
    }
    name = kind == MIG_CHANNEL_KIND_MAIN
        ? g_strdup("migration-socket-main")
        : g_strdup_printf("migration-multifd-%u", index);
    qio_channel_set_name(ioc, name);
    migration_channel_make_preamble(pre, kind, index);
    if (qio_channel_write_all(ioc, (const char *)pre, sizeof(pre),
                              errp) < 0) {
        return NULL;
    }
    return g_steal_pointer(&ioc);
}

bool migration_channel_read_preamble(QIOChannel *ioc, uint32_t *kind,
                                     uint32_t *index, GError **errp)
{
    uint8_t pre[MIG_CHANNEL_PREAMBLE_SIZE];
    uint32_t v;

    if (qio_channel_read_all(ioc, (char *)pre, sizeof(pre), errp) < 0) {
        g_prefix_error(errp, "cannot read the migration channel preamble: ");
        return false;
    }
    if (memcmp(pre, MIG_CHANNEL_MAGIC, 8) != 0) {
        error_setg(errp, "not a tern migration channel");
        return false;
    }
    memcpy(&v, pre + 8, 4);
    *kind = GUINT32_FROM_BE(v);
    memcpy(&v, pre + 12, 4);
    *index = GUINT32_FROM_BE(v);
    if (*kind != MIG_CHANNEL_KIND_MAIN && *kind != MIG_CHANNEL_KIND_MULTIFD) {
        error_setg(errp, "unknown migration channel kind %u", *kind);
        return false;
    }
    return true;
}

/* Main loop: hand every accepted connection to the incoming thread. */
static void socket_accept_cb(QIONetListener *listener, QIOChannel *client,
                             void *opaque)
{
    (void)listener;
    qio_channel_set_name(client, "migration-socket-incoming");
    g_async_queue_push(opaque, qio_channel_ref(client));
}

QIONetListener *migration_socket_listen(const SocketAddress *addr,
                                        int backlog, GAsyncQueue *queue,
                                        GError **errp)
{
    g_autoptr(QIONetListener) listener = qio_net_listener_new();

    if (!qio_net_listener_open_sync(listener, (SocketAddress *)addr, backlog,
                                    errp)) {
        return NULL;
    }
    qio_net_listener_set_client_func(listener, socket_accept_cb,
                                     g_async_queue_ref(queue),
                                     (GDestroyNotify)g_async_queue_unref);
    return g_steal_pointer(&listener);
}
