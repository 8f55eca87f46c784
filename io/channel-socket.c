/*
 * channel-socket.c: QIOChannel over a connected (or listening) socket.
 */
#include "util/osdep.h"

#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "io/channel-impl.h"
#include "io/channel-socket.h"
#include "io/channel-util.h"
#include "io/socket-address.h"
#include "util/error.h"
#include "trace-io.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* At most this many descriptors per message, as QEMU. */
#define SOCKET_MAX_FDS 16

typedef struct QIOChannelSocket {
    QIOChannel parent;
    int fd;             /* owned; -1 once closed */
} QIOChannelSocket;

static const QIOChannelOps qio_channel_socket_ops;

static QIOChannelSocket *qio_channel_socket(QIOChannel *ioc)
{
    return ioc->ops == &qio_channel_socket_ops ? (QIOChannelSocket *)ioc
                                               : NULL;
}

/* Takes the descriptors out of a received message's SCM_RIGHTS. */
static void socket_take_fds(struct msghdr *msg, int **fds, size_t *nfds)
{
    for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(msg); cmsg;
         cmsg = CMSG_NXTHDR(msg, cmsg)) {
        size_t n;
        int *data;

        if (cmsg->cmsg_level != SOL_SOCKET ||
            cmsg->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        n = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        data = (int *)CMSG_DATA(cmsg);
        if (!fds) {
            for (size_t i = 0; i < n; i++) {
                close(data[i]);
            }
            continue;
        }
        *fds = g_renew(int, *fds, *nfds + n);
        memcpy(*fds + *nfds, data, n * sizeof(int));
        *nfds += n;
    }
}

static ssize_t qio_channel_socket_readv(QIOChannel *ioc,
                                        const struct iovec *iov,
                                        size_t niov, int **fds,
                                        size_t *nfds, GError **errp)
{
    QIOChannelSocket *sioc = qio_channel_socket(ioc);
    char control[CMSG_SPACE(sizeof(int) * SOCKET_MAX_FDS)];
    struct msghdr msg = {
        .msg_iov = (struct iovec *)iov,
        .msg_iovlen = MIN(niov, IOV_MAX),
    };
    ssize_t ret;

    if (qio_channel_has_feature(ioc, QIO_CHANNEL_FEATURE_FD_PASS)) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof(control);
    }
    do {
        ret = recvmsg(sioc->fd, &msg, MSG_CMSG_CLOEXEC);
    } while (ret < 0 && errno == EINTR);
    if (ret < 0) {
        if (errno == EAGAIN) {
            return QIO_CHANNEL_ERR_BLOCK;
        }
        error_setg_errno(errp, errno, "Unable to read from socket");
        return -1;
    }
    if (msg.msg_controllen) {
        socket_take_fds(&msg, fds, nfds);
    }
    return ret;
}

static ssize_t qio_channel_socket_writev(QIOChannel *ioc,
                                         const struct iovec *iov,
                                         size_t niov, int *fds,
                                         size_t nfds, GError **errp)
{
    QIOChannelSocket *sioc = qio_channel_socket(ioc);
    char control[CMSG_SPACE(sizeof(int) * SOCKET_MAX_FDS)];
    struct msghdr msg = {
        .msg_iov = (struct iovec *)iov,
        .msg_iovlen = MIN(niov, IOV_MAX),
    };
    ssize_t ret;

    if (nfds > SOCKET_MAX_FDS) {
        error_setg(errp, "Only %d FDs can be sent, got %zu",
                   SOCKET_MAX_FDS, nfds);
        return -1;
    }
    if (nfds) {
        struct cmsghdr *cmsg;

        memset(control, 0, sizeof(control));
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
    }
    do {
        ret = sendmsg(sioc->fd, &msg, MSG_NOSIGNAL);
    } while (ret < 0 && errno == EINTR);
    if (ret < 0) {
        if (errno == EAGAIN) {
            return QIO_CHANNEL_ERR_BLOCK;
        }
        error_setg_errno(errp, errno, "Unable to write to socket");
        return -1;
    }
    return ret;
}

static int qio_channel_socket_set_blocking(QIOChannel *ioc, bool enabled,
                                           GError **errp)
{
    return qio_channel_fd_set_blocking(qio_channel_socket(ioc)->fd, enabled,
                                       errp);
}

static int qio_channel_socket_shutdown(QIOChannel *ioc,
                                       QIOChannelShutdown how,
                                       GError **errp)
{
    static const int how_to_sock[] = {
        [QIO_CHANNEL_SHUTDOWN_READ] = SHUT_RD,
        [QIO_CHANNEL_SHUTDOWN_WRITE] = SHUT_WR,
        [QIO_CHANNEL_SHUTDOWN_BOTH] = SHUT_RDWR,
    };

    if (shutdown(qio_channel_socket(ioc)->fd, how_to_sock[how]) < 0 &&
        errno != ENOTCONN) {
        error_setg_errno(errp, errno, "Unable to shutdown socket");
        return -1;
    }
    return 0;
}

static int qio_channel_socket_close(QIOChannel *ioc, GError **errp)
{
    QIOChannelSocket *sioc = qio_channel_socket(ioc);
    int fd = sioc->fd;

    sioc->fd = -1;
    if (fd >= 0 && close(fd) < 0 && errno != EINTR) {
        error_setg_errno(errp, errno, "Unable to close socket");
        return -1;
    }
    return 0;
}

static GSource *qio_channel_socket_create_watch(QIOChannel *ioc,
                                                GIOCondition condition)
{
    return qio_channel_fd_source_new(ioc, qio_channel_socket(ioc)->fd, -1,
                                     condition);
}

static void qio_channel_socket_wait(QIOChannel *ioc, GIOCondition condition)
{
    qio_channel_fd_wait(qio_channel_socket(ioc)->fd, -1, condition);
}

static const QIOChannelOps qio_channel_socket_ops = {
    .kind = "socket",
    .io_readv = qio_channel_socket_readv,
    .io_writev = qio_channel_socket_writev,
    .io_set_blocking = qio_channel_socket_set_blocking,
    .io_shutdown = qio_channel_socket_shutdown,
    .io_close = qio_channel_socket_close,
    .io_create_watch = qio_channel_socket_create_watch,
    .io_wait = qio_channel_socket_wait,
};

QIOChannel *qio_channel_socket_new_fd(int fd, GError **errp)
{
    QIOChannelSocket *sioc;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int listening = 0;
    socklen_t optlen = sizeof(listening);
    struct stat st;

    if (fstat(fd, &st) < 0) {
        error_setg_errno(errp, errno, "File descriptor '%d' is not valid",
                         fd);
        return NULL;
    }
    if (!S_ISSOCK(st.st_mode) ||
        getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        error_setg(errp, "File descriptor '%d' is not a socket", fd);
        return NULL;
    }
    sioc = g_new0(QIOChannelSocket, 1);
    qio_channel_init(&sioc->parent, &qio_channel_socket_ops);
    sioc->fd = fd;
    qio_channel_set_feature(&sioc->parent, QIO_CHANNEL_FEATURE_SHUTDOWN);
    if (ss.ss_family == AF_UNIX) {
        qio_channel_set_feature(&sioc->parent, QIO_CHANNEL_FEATURE_FD_PASS);
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening,
                   &optlen) == 0 && listening) {
        qio_channel_set_feature(&sioc->parent, QIO_CHANNEL_FEATURE_LISTEN);
    }
    trace_qio_channel_socket_new_fd(sioc, fd);
    return &sioc->parent;
}

/* Wraps a socket just made by this file (cannot fail). */
static QIOChannel *socket_wrap(int fd, const SocketAddress *addr)
{
    QIOChannel *ioc = qio_channel_socket_new_fd(fd, NULL);
    g_autofree char *str = socket_address_to_string(addr);

    g_assert(ioc);
    trace_qio_channel_socket_connect_sync(ioc, str, fd);
    return ioc;
}

static int socket_connect_fd(int fd, const struct sockaddr *sa,
                             socklen_t len)
{
    int ret;

    do {
        ret = connect(fd, sa, len);
    } while (ret < 0 && errno == EINTR);
    return ret;
}

static void socket_set_inet_options(int fd, const InetSocketAddress *inet)
{
    int on = 1;

    if (inet->has_keep_alive && inet->keep_alive) {
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
    }
}

static QIOChannel *socket_connect_inet(const SocketAddress *addr,
                                       GError **errp)
{
    const InetSocketAddress *inet = &addr->u.inet;
    struct addrinfo *res = socket_inet_resolve(inet, false, errp);
    int saved_errno = ECONNREFUSED;
    int fd = -1;

    if (!res) {
        return NULL;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int proto = inet->has_mptcp && inet->mptcp ? IPPROTO_MPTCP : 0;

        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, proto);
        if (fd < 0) {
            saved_errno = errno;
            continue;
        }
        socket_set_inet_options(fd, inet);
        if (socket_connect_fd(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        saved_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        trace_qio_channel_socket_connect_fail(inet->host, saved_errno);
        error_setg_errno(errp, saved_errno, "Failed to connect to '%s:%s'",
                         inet->host, inet->port);
        return NULL;
    }
    return socket_wrap(fd, addr);
}

static QIOChannel *socket_connect_local(const SocketAddress *addr,
                                        GError **errp)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int family = addr->type == SOCKET_ADDRESS_TYPE_UNIX ? AF_UNIX
                                                        : AF_VSOCK;
    int fd;
    g_autofree char *str = socket_address_to_string(addr);

    if (!socket_address_to_sockaddr(addr, &ss, &len, errp)) {
        return NULL;
    }
    fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "Failed to create socket for '%s'",
                         str);
        return NULL;
    }
    if (socket_connect_fd(fd, (struct sockaddr *)&ss, len) < 0) {
        error_setg_errno(errp, errno, "Failed to connect to '%s'",
                         addr->type == SOCKET_ADDRESS_TYPE_UNIX
                         ? addr->u.q_unix.path : str);
        close(fd);
        return NULL;
    }
    return socket_wrap(fd, addr);
}

static QIOChannel *socket_connect_fd_name(const SocketAddress *addr,
                                          GError **errp)
{
    int fd = qio_channel_fd_resolve(addr->u.fd.str, errp);
    QIOChannel *ioc;

    if (fd < 0) {
        return NULL;
    }
    ioc = qio_channel_socket_new_fd(fd, errp);
    if (!ioc) {
        close(fd);
    }
    return ioc;
}

QIOChannel *qio_channel_socket_connect_sync(SocketAddress *addr,
                                            GError **errp)
{
    switch (addr->type) {
    case SOCKET_ADDRESS_TYPE_INET:
        return socket_connect_inet(addr, errp);
    case SOCKET_ADDRESS_TYPE_UNIX:
    case SOCKET_ADDRESS_TYPE_VSOCK:
        return socket_connect_local(addr, errp);
    case SOCKET_ADDRESS_TYPE_FD:
        return socket_connect_fd_name(addr, errp);
    default:
        error_setg(errp, "Unknown socket address type %d", addr->type);
        return NULL;
    }
}

static SocketAddress *socket_get_address(QIOChannel *ioc, bool remote,
                                         GError **errp)
{
    QIOChannelSocket *sioc = qio_channel_socket(ioc);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int ret;

    if (!sioc || sioc->fd < 0) {
        error_setg(errp, "Channel '%s' is not an open socket",
                   qio_channel_get_name(ioc));
        return NULL;
    }
    ret = remote ? getpeername(sioc->fd, (struct sockaddr *)&ss, &len)
                 : getsockname(sioc->fd, (struct sockaddr *)&ss, &len);
    if (ret < 0) {
        error_setg_errno(errp, errno, "Unable to query %s socket address",
                         remote ? "remote" : "local");
        return NULL;
    }
    return socket_sockaddr_to_address((struct sockaddr *)&ss, len, errp);
}

SocketAddress *qio_channel_socket_get_local_address(QIOChannel *ioc,
                                                    GError **errp)
{
    return socket_get_address(ioc, false, errp);
}

SocketAddress *qio_channel_socket_get_remote_address(QIOChannel *ioc,
                                                     GError **errp)
{
    return socket_get_address(ioc, true, errp);
}

bool qio_channel_is_socket(QIOChannel *ioc)
{
    return qio_channel_socket(ioc) != NULL;
}

int qio_channel_socket_get_fd(QIOChannel *ioc)
{
    QIOChannelSocket *sioc = qio_channel_socket(ioc);

    return sioc ? sioc->fd : -1;
}
