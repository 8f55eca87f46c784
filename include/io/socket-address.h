/*
 * socket-address.h: SocketAddress (qapi/sockets.json) from and to QEMU's
 * legacy address strings.  Pure functions, any thread.
 */
#ifndef IO_SOCKET_ADDRESS_H
#define IO_SOCKET_ADDRESS_H

#include "util/osdep.h"

#include <netdb.h>
#include <sys/socket.h>

#include "qapi/qapi-types-sockets.h"

/**
 * socket_parse:
 * @str: "tcp:HOST:PORT", "HOST:PORT" (HOST may be empty or "[v6addr]"),
 *     "unix:PATH", "vsock:CID:PORT" or "fd:NAME"
 * @errp: error out ("error parsing address '%s'" and friends)
 *
 * Returns: a new SocketAddress (qapi_free_SocketAddress()), or NULL.
 */
SocketAddress *socket_parse(const char *str, GError **errp);

/**
 * socket_address_to_string:
 * @addr: an address
 *
 * Returns: "tcp:HOST:PORT" (v6 hosts bracketed), "unix:PATH", "vsock:CID:PORT"
 * or "fd:NAME", newly allocated.
 */
char *socket_address_to_string(const SocketAddress *addr);

/**
 * socket_address_copy:
 *
 * Returns: a deep copy of @addr (qapi_free_SocketAddress()).
 */
SocketAddress *socket_address_copy(const SocketAddress *addr);

/**
 * socket_inet_resolve:
 * @addr: an inet address (borrowed)
 * @passive: for bind() (an empty host means every local address) rather
 *     than connect() (an empty host means loopback)
 * @errp: error out ("address resolution failed for %s:%s: %s")
 *
 * Honours numeric, ipv4 and ipv6.  Blocking (DNS).
 *
 * Returns: the getaddrinfo() list (freeaddrinfo()), or NULL.
 */
struct addrinfo *socket_inet_resolve(const InetSocketAddress *addr,
                                     bool passive, GError **errp);

/**
 * socket_address_to_sockaddr:
 * @addr: a unix or vsock address
 * @ss: receives the socket address
 * @len: receives its length
 * @errp: error out (path too long, bad cid or port, unsupported type)
 *
 * Returns: true, or false with @errp set.
 */
bool socket_address_to_sockaddr(const SocketAddress *addr,
                                struct sockaddr_storage *ss,
                                socklen_t *len, GError **errp);

/**
 * socket_sockaddr_to_address:
 * @sa: a socket address as getsockname() gives it
 * @len: its length
 * @errp: error out (unknown family)
 *
 * Returns: a new SocketAddress (inet hosts and ports numeric), or NULL.
 */
SocketAddress *socket_sockaddr_to_address(const struct sockaddr *sa,
                                          socklen_t len, GError **errp);

#endif /* IO_SOCKET_ADDRESS_H */
