/*
 * net-listener.c: listening sockets whose connections become channels.
 */
#include "util/osdep.h"

#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "io/channel-impl.h"
#include "io/channel-socket.h"
#include "io/channel-util.h"
#include "io/net-listener.h"
#include "io/socket-address.h"
#include "util/error.h"
#include "util/unix-listen.h"
#include "trace-io.h"

/* Main loop thread only (see net-listener.h). */
struct QIONetListener {
    GPtrArray *sockets;         /* QIOChannel *: the listening sockets */
    GPtrArray *sources;         /* GSource *: their watches, when func */
    GPtrArray *unlink_paths;    /* char *: unix socket files we made */
    QIONetListenerClientFunc func;
    void *opaque;
    GDestroyNotify notify;
};

QIONetListener *qio_net_listener_new(void)
{
    QIONetListener *l = g_new0(QIONetListener, 1);

    l->sockets = g_ptr_array_new_with_free_func(
        (GDestroyNotify)qio_channel_unref);
    l->sources = g_ptr_array_new();
    l->unlink_paths = g_ptr_array_new_with_free_func(g_free);
    return l;
}

/* Accepts one connection on a listening channel; NULL if none is ready. */
static QIOChannel *listener_accept(QIONetListener *l, QIOChannel *lioc)
{
    int fd;
    QIOChannel *client;

    do {
        fd = accept4(qio_channel_socket_get_fd(lioc), NULL, NULL,
                     SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        return NULL;
    }
    client = qio_channel_socket_new_fd(fd, NULL);
    g_assert(client);
    trace_qio_net_listener_accept(l, client, fd);
    return client;
}

static gboolean listener_accept_cb(QIOChannel *lioc, GIOCondition cond,
                                   gpointer opaque)
{
    QIONetListener *l = opaque;
    QIOChannel *client = listener_accept(l, lioc);

    if (client) {
        l->func(l, client, l->opaque);
        qio_channel_unref(client);
    }
    return G_SOURCE_CONTINUE;
}

static void listener_watch(QIONetListener *l, QIOChannel *lioc)
{
    GSource *source = qio_channel_create_watch(lioc, G_IO_IN);

    g_source_set_callback(source, G_SOURCE_FUNC(listener_accept_cb), l, NULL);
    g_source_attach(source, NULL);
    g_ptr_array_add(l->sources, source);
}

static void listener_unwatch(QIONetListener *l)
{
    for (guint i = 0; i < l->sources->len; i++) {
        GSource *source = g_ptr_array_index(l->sources, i);

        g_source_destroy(source);
        g_source_unref(source);
    }
    g_ptr_array_set_size(l->sources, 0);
}

/* Takes a listening socket fd into the listener. */
static void listener_add_fd(QIONetListener *l, int fd,
                            const SocketAddress *addr)
{
    QIOChannel *lioc = qio_channel_socket_new_fd(fd, NULL);
    g_autofree char *str = socket_address_to_string(addr);

    g_assert(lioc);
    qio_channel_fd_set_blocking(fd, false, NULL);
    qio_channel_set_name(lioc, "listener");
    g_ptr_array_add(l->sockets, lioc);
    trace_qio_net_listener_open(l, str, fd);
    if (l->func) {
        listener_watch(l, lioc);
    }
}

static int listener_bind_listen(int fd, const struct sockaddr *sa,
                                socklen_t len, int backlog)
{
    if (bind(fd, sa, len) < 0 || listen(fd, backlog) < 0) {
        return -1;
    }
    return 0;
}

/* Sets the port of an AF_INET/AF_INET6 sockaddr. */
static void sockaddr_set_port(struct sockaddr *sa, uint16_t port)
{
    if (sa->sa_family == AF_INET) {
        ((struct sockaddr_in *)sa)->sin_port = htons(port);
    } else {
        ((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
    }
}

static uint16_t sockaddr_get_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        return 0;
    }
    return ss.ss_family == AF_INET
        ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
        : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int inet_socket_new(const struct addrinfo *ai,
                           const InetSocketAddress *inet, bool v6only)
{
    int proto = inet->has_mptcp && inet->mptcp ? 262 /* MPTCP */ : 0;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, proto);
    int on = 1;

    if (fd < 0) {
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (inet->has_keep_alive && inet->keep_alive) {
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
    }
    if (ai->ai_family == AF_INET6) {
        int v6 = v6only;

        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof(v6));
    }
    return fd;
}

/*
 * Binds one resolved address, trying ports [first, last].  Returns the
 * listening fd, or -1 with errno set.
 */
static int inet_listen_one(const struct addrinfo *ai,
                           const InetSocketAddress *inet, bool v6only,
                           unsigned first, unsigned last, int backlog)
{
    struct sockaddr_storage ss;
    int saved = EADDRINUSE;

    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    for (unsigned port = first; port <= last; port++) {
        int fd = inet_socket_new(ai, inet, v6only);

        if (fd < 0) {
            return -1;
        }
        sockaddr_set_port((struct sockaddr *)&ss, port);
        if (listener_bind_listen(fd, (struct sockaddr *)&ss,
                                 ai->ai_addrlen, backlog) == 0) {
            return fd;
        }
        saved = errno;
        close(fd);
        if (saved != EADDRINUSE) {
            break;
        }
    }
    errno = saved;
    return -1;
}

static bool listener_open_inet(QIONetListener *l, const SocketAddress *addr,
                               int backlog, GError **errp)
{
    const InetSocketAddress *inet = &addr->u.inet;
    struct addrinfo *res = socket_inet_resolve(inet, true, errp);
    bool has_v4 = false;
    unsigned first = 0, last;
    int saved = 0;
    size_t opened = 0;

    if (!res) {
        return false;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        has_v4 |= ai->ai_family == AF_INET;
        first = ntohs(((struct sockaddr_in *)ai->ai_addr)->sin_port);
    }
    last = inet->has_to ? MAX(inet->to, first) : first;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        bool v6only = has_v4 || (inet->has_ipv4 && !inet->ipv4);
        int fd = inet_listen_one(ai, inet, v6only, first, last, backlog);

        if (fd < 0) {
            saved = errno;
            continue;
        }
        if (opened++ == 0) {
            /* Every other address shares the first one's port. */
            first = last = sockaddr_get_port(fd);
        }
        listener_add_fd(l, fd, addr);
    }
    freeaddrinfo(res);
    if (!opened) {
        error_setg_errno(errp, saved, "Failed to bind socket to '%s:%s'",
                         inet->host, inet->port);
    }
    return opened > 0;
}

/* A unix socket file: renamed into place once it listens, so a client
 * that waits for the file never finds it refusing connections. */
static bool listener_open_path(QIONetListener *l, const SocketAddress *addr,
                               int backlog, GError **errp)
{
    const char *path = addr->u.q_unix.path;
    const char *failed = NULL;
    g_autofree char *str = socket_address_to_string(addr);
    int fd = unix_listen_path(path, backlog, &failed);

    if (fd < 0) {
        if (!strcmp(failed, "unlink")) {
            error_setg_errno(errp, -fd, "Failed to unlink socket %s", path);
        } else if (!strcmp(failed, "socket")) {
            error_setg_errno(errp, -fd, "Failed to create socket for '%s'",
                             str);
        } else {
            error_setg_errno(errp, -fd, "Failed to bind socket to '%s'",
                             str);
        }
        return false;
    }
    g_ptr_array_add(l->unlink_paths, g_strdup(path));
    listener_add_fd(l, fd, addr);
    return true;
}

static bool listener_open_local(QIONetListener *l, const SocketAddress *addr,
                                int backlog, GError **errp)
{
    bool is_unix = addr->type == SOCKET_ADDRESS_TYPE_UNIX;
    bool has_path = is_unix && !(addr->u.q_unix.has_abstract &&
                                 addr->u.q_unix.abstract);
    struct sockaddr_storage ss;
    socklen_t len;
    g_autofree char *str = socket_address_to_string(addr);
    int fd;

    if (!socket_address_to_sockaddr(addr, &ss, &len, errp)) {
        return false;
    }
    if (has_path) {
        return listener_open_path(l, addr, backlog, errp);
    }
    /* abstract unix sockets and vsock: nothing in the file system */
    fd = socket(is_unix ? AF_UNIX : AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "Failed to create socket for '%s'",
                         str);
        return false;
    }
    if (listener_bind_listen(fd, (struct sockaddr *)&ss, len, backlog) < 0) {
        error_setg_errno(errp, errno, "Failed to bind socket to '%s'", str);
        close(fd);
        return false;
    }
    listener_add_fd(l, fd, addr);
    return true;
}

static bool listener_open_fd(QIONetListener *l, const SocketAddress *addr,
                             int backlog, GError **errp)
{
    int fd = qio_channel_fd_resolve(addr->u.fd.str, errp);
    struct stat st;

    if (fd < 0) {
        return false;
    }
    if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
        error_setg(errp, "File descriptor '%d' is not a socket", fd);
        close(fd);
        return false;
    }
    if (listen(fd, backlog) < 0) {
        error_setg_errno(errp, errno, "Failed to listen on fd '%s'",
                         addr->u.fd.str);
        close(fd);
        return false;
    }
    listener_add_fd(l, fd, addr);
    return true;
}

bool qio_net_listener_open_sync(QIONetListener *listener,
                                SocketAddress *addr, int backlog,
                                GError **errp)
{
    switch (addr->type) {
    case SOCKET_ADDRESS_TYPE_INET:
        return listener_open_inet(listener, addr, backlog, errp);
    case SOCKET_ADDRESS_TYPE_UNIX:
    case SOCKET_ADDRESS_TYPE_VSOCK:
        return listener_open_local(listener, addr, backlog, errp);
    case SOCKET_ADDRESS_TYPE_FD:
        return listener_open_fd(listener, addr, backlog, errp);
    default:
        error_setg(errp, "Unknown socket address type %d", addr->type);
        return false;
    }
}

void qio_net_listener_set_client_func(QIONetListener *listener,
                                      QIONetListenerClientFunc func,
                                      void *opaque, GDestroyNotify notify)
{
    listener_unwatch(listener);
    if (listener->notify) {
        listener->notify(listener->opaque);
    }
    listener->func = func;
    listener->opaque = opaque;
    listener->notify = notify;
    if (!func) {
        return;
    }
    for (guint i = 0; i < listener->sockets->len; i++) {
        listener_watch(listener, g_ptr_array_index(listener->sockets, i));
    }
}

QIOChannel *qio_net_listener_wait_client(QIONetListener *listener)
{
    guint n = listener->sockets->len;
    g_autofree struct pollfd *pfd = g_new0(struct pollfd, n);

    g_assert(n > 0);
    for (guint i = 0; i < n; i++) {
        pfd[i].fd = qio_channel_socket_get_fd(
            g_ptr_array_index(listener->sockets, i));
        pfd[i].events = POLLIN;
    }
    for (;;) {
        if (poll(pfd, n, -1) < 0 && errno != EINTR) {
            return NULL;
        }
        for (guint i = 0; i < n; i++) {
            QIOChannel *client;

            if (!(pfd[i].revents & POLLIN)) {
                continue;
            }
            client = listener_accept(listener,
                                     g_ptr_array_index(listener->sockets,
                                                       i));
            if (client) {
                return client;
            }
        }
    }
}

SocketAddress *qio_net_listener_get_address(QIONetListener *listener,
                                            GError **errp)
{
    if (!listener->sockets->len) {
        error_setg(errp, "Listener is not listening");
        return NULL;
    }
    SocketAddress *addr = qio_channel_socket_get_local_address(
        g_ptr_array_index(listener->sockets, 0), errp);

    /* a unix socket was bound under a temporary name, then renamed */
    if (addr && addr->type == SOCKET_ADDRESS_TYPE_UNIX &&
        listener->unlink_paths->len) {
        g_free(addr->u.q_unix.path);
        addr->u.q_unix.path = g_strdup(g_ptr_array_index(
                                  listener->unlink_paths, 0));
    }
    return addr;
}

size_t qio_net_listener_nsockets(QIONetListener *listener)
{
    return listener->sockets->len;
}

void qio_net_listener_disconnect(QIONetListener *listener)
{
    trace_qio_net_listener_disconnect(listener);
    listener_unwatch(listener);
    g_ptr_array_set_size(listener->sockets, 0);
    for (guint i = 0; i < listener->unlink_paths->len; i++) {
        unlink(g_ptr_array_index(listener->unlink_paths, i));
    }
    g_ptr_array_set_size(listener->unlink_paths, 0);
}

void qio_net_listener_free(QIONetListener *listener)
{
    if (!listener) {
        return;
    }
    qio_net_listener_disconnect(listener);
    if (listener->notify) {
        listener->notify(listener->opaque);
    }
    g_ptr_array_free(listener->sockets, TRUE);
    g_ptr_array_free(listener->sources, TRUE);
    g_ptr_array_free(listener->unlink_paths, TRUE);
    g_free(listener);
}
