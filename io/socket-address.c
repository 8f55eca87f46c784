/*
 * socket-address.c: SocketAddress from and to strings and sockaddrs.
 */
#include "util/osdep.h"

#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "io/socket-address.h"
#include "util/error.h"

/* Parses "on", "off" or nothing (= on) for a flag option. */
static bool socket_parse_flag(const char *value, bool *out)
{
    if (!value || !strcmp(value, "on")) {
        *out = true;
    } else if (!strcmp(value, "off")) {
        *out = false;
    } else {
        return false;
    }
    return true;
}

/* One ",name[=value]" option after an inet address. */
static bool inet_parse_option(InetSocketAddress *addr, const char *opt,
                              const char *str, GError **errp)
{
    g_auto(GStrv) kv = g_strsplit(opt, "=", 2);
    const char *value = kv[0] ? kv[1] : NULL;
    guint64 to;
    bool ok = true;

    if (!kv[0]) {
        ok = false;
    } else if (!strcmp(kv[0], "to")) {
        ok = value && g_ascii_string_to_unsigned(value, 10, 0, UINT16_MAX,
                                                 &to, NULL);
        addr->has_to = ok;
        addr->to = to;
    } else if (!strcmp(kv[0], "ipv4")) {
        ok = addr->has_ipv4 = socket_parse_flag(value, &addr->ipv4);
    } else if (!strcmp(kv[0], "ipv6")) {
        ok = addr->has_ipv6 = socket_parse_flag(value, &addr->ipv6);
    } else if (!strcmp(kv[0], "numeric")) {
        ok = addr->has_numeric = socket_parse_flag(value, &addr->numeric);
    } else if (!strcmp(kv[0], "keep-alive")) {
        ok = addr->has_keep_alive = socket_parse_flag(value,
                                                      &addr->keep_alive);
    } else if (!strcmp(kv[0], "mptcp")) {
        ok = addr->has_mptcp = socket_parse_flag(value, &addr->mptcp);
    } else {
        ok = false;
    }
    if (!ok) {
        error_setg(errp, "error parsing option '%s' in address '%s'",
                   opt, str);
    }
    return ok;
}

/* Splits "HOST:PORT" or "[V6]:PORT"; *rest points after the port. */
static bool inet_parse_host_port(InetSocketAddress *addr, const char *str,
                                 const char **rest, GError **errp)
{
    const char *colon;
    const char *port;
    size_t port_len;

    if (str[0] == '[') {
        const char *end = strchr(str, ']');

        if (!end || end == str + 1 || end[1] != ':') {
            error_setg(errp, "error parsing IPv6 address '%s'", str);
            return false;
        }
        addr->host = g_strndup(str + 1, end - str - 1);
        colon = end + 1;
    } else {
        colon = strchr(str, ':');
        if (!colon || memchr(str, ',', colon - str)) {
            error_setg(errp, "error parsing address '%s'", str);
            return false;
        }
        addr->host = g_strndup(str, colon - str);
    }
    port = colon + 1;
    port_len = strcspn(port, ",");
    if (port_len == 0 || memchr(port, ':', port_len)) {
        error_setg(errp, "error parsing port in address '%s'", str);
        return false;
    }
    addr->port = g_strndup(port, port_len);
    *rest = port + port_len;
    return true;
}

static bool inet_parse(InetSocketAddress *addr, const char *str,
                       GError **errp)
{
    const char *rest;
    g_auto(GStrv) opts = NULL;

    if (!inet_parse_host_port(addr, str, &rest, errp)) {
        return false;
    }
    if (*rest == '\0') {
        return true;
    }
    opts = g_strsplit(rest + 1, ",", -1);
    for (size_t i = 0; opts[i]; i++) {
        if (!inet_parse_option(addr, opts[i], str, errp)) {
            return false;
        }
    }
    return true;
}

static bool vsock_parse(VsockSocketAddress *addr, const char *str,
                        GError **errp)
{
    size_t cid_len = strspn(str, "0123456789");
    size_t port_len;

    if (cid_len == 0 || cid_len > 32 || str[cid_len] != ':') {
        error_setg(errp, "error parsing address '%s'", str);
        return false;
    }
    port_len = strspn(str + cid_len + 1, "0123456789");
    if (port_len == 0 || port_len > 32) {
        error_setg(errp, "error parsing address '%s'", str);
        return false;
    }
    if (str[cid_len + 1 + port_len] != '\0') {
        error_setg(errp, "trailing characters in address '%s'", str);
        return false;
    }
    addr->cid = g_strndup(str, cid_len);
    addr->port = g_strdup(str + cid_len + 1);
    return true;
}

SocketAddress *socket_parse(const char *str, GError **errp)
{
    g_autoptr(SocketAddress) addr = g_new0(SocketAddress, 1);
    const char *opts;

    if ((opts = g_str_has_prefix(str, "unix:") ? str + 5 : NULL)) {
        if (!*opts) {
            error_setg(errp, "invalid Unix socket address");
            return NULL;
        }
        addr->type = SOCKET_ADDRESS_TYPE_UNIX;
        addr->u.q_unix.path = g_strdup(opts);
    } else if ((opts = g_str_has_prefix(str, "fd:") ? str + 3 : NULL)) {
        if (!*opts) {
            error_setg(errp, "invalid file descriptor address");
            return NULL;
        }
        addr->type = SOCKET_ADDRESS_TYPE_FD;
        addr->u.fd.str = g_strdup(opts);
    } else if ((opts = g_str_has_prefix(str, "vsock:") ? str + 6 : NULL)) {
        addr->type = SOCKET_ADDRESS_TYPE_VSOCK;
        if (!vsock_parse(&addr->u.vsock, opts, errp)) {
            return NULL;
        }
    } else {
        opts = g_str_has_prefix(str, "tcp:") ? str + 4 : str;
        addr->type = SOCKET_ADDRESS_TYPE_INET;
        if (!inet_parse(&addr->u.inet, opts, errp)) {
            return NULL;
        }
    }
    return g_steal_pointer(&addr);
}

char *socket_address_to_string(const SocketAddress *addr)
{
    const InetSocketAddress *inet = &addr->u.inet;

    switch (addr->type) {
    case SOCKET_ADDRESS_TYPE_INET:
        if (strchr(inet->host, ':')) {
            return g_strdup_printf("tcp:[%s]:%s", inet->host, inet->port);
        }
        return g_strdup_printf("tcp:%s:%s", inet->host, inet->port);
    case SOCKET_ADDRESS_TYPE_UNIX:
        return g_strdup_printf("unix:%s", addr->u.q_unix.path);
    case SOCKET_ADDRESS_TYPE_VSOCK:
        return g_strdup_printf("vsock:%s:%s", addr->u.vsock.cid,
                               addr->u.vsock.port);
    case SOCKET_ADDRESS_TYPE_FD:
        return g_strdup_printf("fd:%s", addr->u.fd.str);
    default:
        g_assert_not_reached();
    }
}

SocketAddress *socket_address_copy(const SocketAddress *addr)
{
    SocketAddress *copy = g_memdup2(addr, sizeof(*addr));

    switch (addr->type) {
    case SOCKET_ADDRESS_TYPE_INET:
        copy->u.inet.host = g_strdup(addr->u.inet.host);
        copy->u.inet.port = g_strdup(addr->u.inet.port);
        break;
    case SOCKET_ADDRESS_TYPE_UNIX:
        copy->u.q_unix.path = g_strdup(addr->u.q_unix.path);
        break;
    case SOCKET_ADDRESS_TYPE_VSOCK:
        copy->u.vsock.cid = g_strdup(addr->u.vsock.cid);
        copy->u.vsock.port = g_strdup(addr->u.vsock.port);
        break;
    case SOCKET_ADDRESS_TYPE_FD:
        copy->u.fd.str = g_strdup(addr->u.fd.str);
        break;
    default:
        g_assert_not_reached();
    }
    return copy;
}

struct addrinfo *socket_inet_resolve(const InetSocketAddress *addr,
                                     bool passive, GError **errp)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = passive ? AI_PASSIVE : 0,
    };
    struct addrinfo *res = NULL;
    const char *host = addr->host[0] ? addr->host : NULL;
    int rc;

    if (addr->has_numeric && addr->numeric) {
        hints.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
    }
    if (addr->has_ipv4 && addr->ipv4 && !(addr->has_ipv6 && addr->ipv6)) {
        hints.ai_family = AF_INET;
    } else if (addr->has_ipv6 && addr->ipv6 &&
               !(addr->has_ipv4 && addr->ipv4)) {
        hints.ai_family = AF_INET6;
    } else if (addr->has_ipv4 && !addr->ipv4) {
        hints.ai_family = AF_INET6;
    } else if (addr->has_ipv6 && !addr->ipv6) {
        hints.ai_family = AF_INET;
    }
    rc = getaddrinfo(host, addr->port, &hints, &res);
    if (rc != 0) {
        error_setg(errp, "address resolution failed for %s:%s: %s",
                   addr->host, addr->port, gai_strerror(rc));
        return NULL;
    }
    return res;
}

static bool unix_to_sockaddr(const UnixSocketAddress *addr,
                             struct sockaddr_un *un, socklen_t *len,
                             GError **errp)
{
    bool abstract = addr->has_abstract && addr->abstract;
    bool tight = !addr->has_tight || addr->tight;
    size_t path_len = strlen(addr->path);

    /* Room for the leading NUL (abstract) or the trailing one (path). */
    if (path_len >= sizeof(un->sun_path)) {
        error_setg(errp, "UNIX socket path '%s' is too long", addr->path);
        return false;
    }
    memset(un, 0, sizeof(*un));
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path + (abstract ? 1 : 0), addr->path, path_len);
    if (abstract && tight) {
        *len = offsetof(struct sockaddr_un, sun_path) + 1 + path_len;
    } else {
        *len = sizeof(*un);
    }
    return true;
}

static bool vsock_to_sockaddr(const VsockSocketAddress *addr,
                              struct sockaddr_vm *vm, socklen_t *len,
                              GError **errp)
{
    guint64 cid, port;

    if (!g_ascii_string_to_unsigned(addr->cid, 10, 0, UINT32_MAX, &cid,
                                    NULL)) {
        error_setg(errp, "Failed to parse cid '%s'", addr->cid);
        return false;
    }
    if (!g_ascii_string_to_unsigned(addr->port, 10, 0, UINT32_MAX, &port,
                                    NULL)) {
        error_setg(errp, "Failed to parse port '%s'", addr->port);
        return false;
    }
    memset(vm, 0, sizeof(*vm));
    vm->svm_family = AF_VSOCK;
    vm->svm_cid = cid;
    vm->svm_port = port;
    *len = sizeof(*vm);
    return true;
}

bool socket_address_to_sockaddr(const SocketAddress *addr,
                                struct sockaddr_storage *ss,
                                socklen_t *len, GError **errp)
{
    switch (addr->type) {
    case SOCKET_ADDRESS_TYPE_UNIX:
        return unix_to_sockaddr(&addr->u.q_unix, (struct sockaddr_un *)ss,
                                len, errp);
    case SOCKET_ADDRESS_TYPE_VSOCK:
        return vsock_to_sockaddr(&addr->u.vsock, (struct sockaddr_vm *)ss,
                                 len, errp);
    default:
        error_setg(errp, "Address type '%s' has no fixed socket address",
                   SocketAddressType_str(addr->type));
        return false;
    }
}

static SocketAddress *sockaddr_to_unix(const struct sockaddr_un *un,
                                       socklen_t len)
{
    SocketAddress *addr = g_new0(SocketAddress, 1);
    size_t off = offsetof(struct sockaddr_un, sun_path);
    size_t path_len = len > off ? len - off : 0;

    addr->type = SOCKET_ADDRESS_TYPE_UNIX;
    if (path_len > 0 && un->sun_path[0] == '\0') {
        addr->u.q_unix.has_abstract = true;
        addr->u.q_unix.abstract = true;
        addr->u.q_unix.path = g_strndup(un->sun_path + 1, path_len - 1);
    } else {
        addr->u.q_unix.path = g_strndup(un->sun_path, path_len);
    }
    return addr;
}

SocketAddress *socket_sockaddr_to_address(const struct sockaddr *sa,
                                          socklen_t len, GError **errp)
{
    SocketAddress *addr;
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    const struct sockaddr_vm *vm = (const struct sockaddr_vm *)sa;
    int rc;

    switch (sa->sa_family) {
    case AF_INET:
    case AF_INET6:
        rc = getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
                         NI_NUMERICHOST | NI_NUMERICSERV);
        if (rc != 0) {
            error_setg(errp, "Cannot format numeric socket address: %s",
                       gai_strerror(rc));
            return NULL;
        }
        addr = g_new0(SocketAddress, 1);
        addr->type = SOCKET_ADDRESS_TYPE_INET;
        addr->u.inet.host = g_strdup(host);
        addr->u.inet.port = g_strdup(serv);
        return addr;
    case AF_UNIX:
        return sockaddr_to_unix((const struct sockaddr_un *)sa, len);
    case AF_VSOCK:
        addr = g_new0(SocketAddress, 1);
        addr->type = SOCKET_ADDRESS_TYPE_VSOCK;
        addr->u.vsock.cid = g_strdup_printf("%u", vm->svm_cid);
        addr->u.vsock.port = g_strdup_printf("%u", vm->svm_port);
        return addr;
    default:
        error_setg(errp, "socket family %d unsupported", sa->sa_family);
        return NULL;
    }
}
