/*
 * net-listener.h: listening sockets that accept connections as socket
 * channels, one after another, in the main loop.
 *
 * Threads: a listener belongs to the main loop thread (GLib's default
 * context dispatches its accepts), except qio_net_listener_wait_client(),
 * which blocks any thread that calls it (for tests and simple tools).
 */
#ifndef IO_NET_LISTENER_H
#define IO_NET_LISTENER_H

#include "io/channel.h"
#include "qapi/qapi-types-sockets.h"

typedef struct QIONetListener QIONetListener;

/**
 * QIONetListenerClientFunc:
 * @listener: the listener
 * @client: the accepted channel, blocking; borrowed: take a reference to
 *     keep it
 * @opaque: the user data
 */
typedef void (*QIONetListenerClientFunc)(QIONetListener *listener,
                                         QIOChannel *client, void *opaque);

/**
 * qio_net_listener_new:
 *
 * Returns: a new listener listening on nothing yet.
 */
QIONetListener *qio_net_listener_new(void);

/**
 * qio_net_listener_open_sync:
 * @listener: a listener
 * @addr: where to listen (borrowed): inet (port "0" picks a free port;
 *     every address the host resolves to is bound, sharing one port),
 *     unix (an existing socket file at the path is unlinked first), vsock,
 *     or fd (an already listening socket)
 * @backlog: listen() backlog
 * @errp: error out
 *
 * May be called several times to listen on several addresses.
 *
 * Returns: true, or false with @errp set.
 */
bool qio_net_listener_open_sync(QIONetListener *listener,
                                SocketAddress *addr, int backlog,
                                GError **errp);

/**
 * qio_net_listener_set_client_func:
 * @listener: a listener
 * @func: called in the main loop for every accepted connection, or NULL
 *     to stop accepting
 * @opaque: passed to @func
 * @notify: frees @opaque when it is replaced or the listener is freed
 */
void qio_net_listener_set_client_func(QIONetListener *listener,
                                      QIONetListenerClientFunc func,
                                      void *opaque, GDestroyNotify notify);

/**
 * qio_net_listener_wait_client:
 * @listener: an open listener without a client func
 *
 * Blocks until a connection arrives on any of its sockets.
 *
 * Returns: the accepted channel (the caller's reference).
 */
QIOChannel *qio_net_listener_wait_client(QIONetListener *listener);

/**
 * qio_net_listener_get_address:
 * @listener: an open listener
 * @errp: error out
 *
 * Returns: the address of its first socket (the real port after port 0),
 * owned by the caller, or NULL.
 */
SocketAddress *qio_net_listener_get_address(QIONetListener *listener,
                                            GError **errp);

/**
 * qio_net_listener_nsockets:
 *
 * Returns: how many sockets the listener listens on.
 */
size_t qio_net_listener_nsockets(QIONetListener *listener);

/**
 * qio_net_listener_disconnect:
 *
 * Stops accepting and closes the listening sockets (unlinks unix paths it
 * created). The listener may be opened again.
 */
void qio_net_listener_disconnect(QIONetListener *listener);

/**
 * qio_net_listener_free:
 *
 * Disconnects and frees; NULL is accepted.
 */
void qio_net_listener_free(QIONetListener *listener);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(QIONetListener, qio_net_listener_free)

#endif /* IO_NET_LISTENER_H */
