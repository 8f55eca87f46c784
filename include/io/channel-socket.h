/*
 * channel-socket.h: QIOChannel over a connected socket (unix, tcp, vsock).
 *
 * Socket channels support shutdown; unix ones pass descriptors
 * (SCM_RIGHTS).  Writes never raise SIGPIPE (MSG_NOSIGNAL).
 */
#ifndef IO_CHANNEL_SOCKET_H
#define IO_CHANNEL_SOCKET_H

#include "io/channel.h"
#include "qapi/qapi-types-sockets.h"

/**
 * QIOChannelFdResolver:
 * @name: an fd name (as given to the monitor's getfd)
 * @errp: error out
 *
 * Returns: a descriptor the caller owns, or -1 with @errp set.
 */
typedef int (*QIOChannelFdResolver)(const char *name, GError **errp);

/**
 * qio_channel_socket_set_fd_resolver:
 * @resolve: how names in SocketAddress type fd are turned into
 *     descriptors (installed by the monitor), or NULL
 *
 * Main thread, at start-up.  Numeric strings never reach the resolver.
 */
void qio_channel_socket_set_fd_resolver(QIOChannelFdResolver resolve);

/**
 * qio_channel_socket_connect_sync:
 * @addr: where to connect (borrowed).  inet: every address getaddrinfo
 *     gives is tried in turn; unix (abstract too); vsock; fd: a connected
 *     socket named through the resolver, or a decimal fd number (the
 *     channel takes ownership of the descriptor)
 * @errp: error out (e.g. "Failed to connect to '127.0.0.1:1': Connection
 *     refused")
 *
 * Blocking; call it from a worker thread, or where blocking is acceptable.
 *
 * Returns: a new blocking channel (the caller's reference) or NULL.
 */
QIOChannel *qio_channel_socket_connect_sync(SocketAddress *addr,
                                            GError **errp);

/**
 * qio_channel_socket_new_fd:
 * @fd: a connected socket; ownership passes to the channel on success
 * @errp: error out ("File descriptor '%d' is not a socket")
 *
 * Returns: a new channel, or NULL (then @fd is still the caller's).
 */
QIOChannel *qio_channel_socket_new_fd(int fd, GError **errp);

/**
 * qio_channel_socket_get_local_address:
 * @ioc: a socket channel
 * @errp: error out
 *
 * Returns: the bound address (the real port after port 0), owned by the
 * caller (qapi_free_SocketAddress()), or NULL.
 */
SocketAddress *qio_channel_socket_get_local_address(QIOChannel *ioc,
                                                    GError **errp);

/**
 * qio_channel_socket_get_remote_address:
 *
 * The peer's address; as qio_channel_socket_get_local_address().
 */
SocketAddress *qio_channel_socket_get_remote_address(QIOChannel *ioc,
                                                     GError **errp);

/**
 * qio_channel_is_socket:
 *
 * Returns: whether @ioc is a socket channel.
 */
bool qio_channel_is_socket(QIOChannel *ioc);

/**
 * qio_channel_socket_get_fd:
 *
 * Returns: the socket (owned by @ioc), or -1 if not a socket channel.
 */
int qio_channel_socket_get_fd(QIOChannel *ioc);

#endif /* IO_CHANNEL_SOCKET_H */
