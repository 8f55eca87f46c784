/*
 * channel.c: MigrationAddress -> the main QIOChannel, per transport.
 * Main loop thread.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "migration.h"

/* Sockets of type fd are single-channel descriptors (fd.c). */
static QIOChannel *channel_open(const MigrationAddress *addr, bool outgoing,
                                GError **errp)
{
    switch (addr->transport) {
    case MIGRATION_ADDRESS_TYPE_SOCKET:
        if (addr->u.socket.type == SOCKET_ADDRESS_TYPE_FD) {
            return fd_open_channel(addr->u.socket.u.fd.str, errp);
        }
        return NULL;      /* connected or listened to elsewhere */
    case MIGRATION_ADDRESS_TYPE_EXEC:
        return exec_open(addr->u.exec.args, outgoing, errp);
    case MIGRATION_ADDRESS_TYPE_FILE:
        return outgoing ? file_open_outgoing(&addr->u.file, errp)
                        : file_open_incoming(&addr->u.file, errp);
    case MIGRATION_ADDRESS_TYPE_RDMA:
        error_setg(errp, "RDMA is not supported yet");
        return NULL;
    default:
        error_setg(errp, "unknown migration transport");
        return NULL;
    }
}

QIOChannel *migration_channel_open_outgoing(const MigrationAddress *addr,
                                            GError **errp)
{
    return channel_open(addr, true, errp);
}

QIOChannel *migration_channel_open_incoming(const MigrationAddress *addr,
                                            GError **errp)
{
    return channel_open(addr, false, errp);
}
