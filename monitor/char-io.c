/*
 * char-io.c: the sockets and connections under tern's chardevs.
 *
 * Listening sockets accept any number of clients; each connection is a
 * CharConn with non-blocking I/O driven by GLib fd sources on the default
 * main context (which the main loop iterates).  Unix connections receive
 * fds passed with SCM_RIGHTS.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/unix-listen.h"
#include "monitor/chardev-int.h"
#include "trace-monitor.h"

#include <glib-unix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define CHAR_READ_SIZE 4096

static void conn_destroy(CharConn *conn);

static bool set_nonblock(int fd, bool on)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0) {
        return false;
    }
    flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return fcntl(fd, F_SETFL, flags) == 0;
}

static bool unix_addr_fill(struct sockaddr_un *sun, const char *path,
                           GError **errp)
{
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun->sun_path)) {
        error_setg(errp, "UNIX socket path '%s' is too long", path);
        return false;
    }
    strcpy(sun->sun_path, path);
    return true;
}

/* Listen on a unix socket at @path, renamed into place once it listens
 * (unix_listen_path): a client waiting for the file can connect at once. */
static int unix_listen(const char *path, GError **errp)
{
    struct sockaddr_un sun;
    const char *failed = NULL;
    int fd;

    if (!unix_addr_fill(&sun, path, errp)) {
        return -1;
    }
    fd = unix_listen_path(path, 16, &failed);
    if (fd >= 0) {
        return fd;
    }
    if (!strcmp(failed, "socket")) {
        error_setg_errno(errp, -fd, "Failed to create Unix socket");
    } else if (!strcmp(failed, "unlink")) {
        error_setg_errno(errp, -fd, "Failed to unlink socket %s", path);
    } else if (!strcmp(failed, "listen")) {
        error_setg_errno(errp, -fd, "Failed to listen on socket");
    } else {
        error_setg_errno(errp, -fd, "Failed to bind socket to %s", path);
    }
    return -1;
}

static int unix_connect(const char *path, GError **errp)
{
    struct sockaddr_un sun;
    int fd;

    if (!unix_addr_fill(&sun, path, errp)) {
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "Failed to create socket");
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        error_setg_errno(errp, errno, "Failed to connect to '%s'", path);
        close(fd);
        return -1;
    }
    return fd;
}

static struct addrinfo *tcp_resolve(const char *host, const char *port,
                                    bool passive, GError **errp)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = passive ? AI_PASSIVE : 0,
    };
    struct addrinfo *res = NULL;
    const char *node = host && *host ? host : NULL;
    int rc;

    if (!node && !passive) {
        node = "localhost";
    }
    rc = getaddrinfo(node, port, &hints, &res);
    if (rc != 0) {
        error_setg(errp, "address resolution failed for %s:%s: %s",
                   host ? host : "", port, gai_strerror(rc));
        return NULL;
    }
    return res;
}

static int tcp_open(const char *host, const char *port, bool listening,
                    GError **errp)
{
    struct addrinfo *res = tcp_resolve(host, port, listening, errp);
    int saved_errno = 0;
    int fd = -1;

    if (!res) {
        return -1;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int one = 1;

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            saved_errno = errno;
            continue;
        }
        if (listening) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
                listen(fd, 16) == 0) {
                break;
            }
        } else if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        saved_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0 && listening) {
        error_setg_errno(errp, saved_errno, "Failed to bind socket");
    } else if (fd < 0) {
        error_setg_errno(errp, saved_errno, "Failed to connect to '%s:%s'",
                         host && *host ? host : "localhost", port);
    }
    return fd;
}

static bool fd_check_socket(int fd, bool *listening, GError **errp)
{
    struct stat st;
    int val = 0;
    socklen_t len = sizeof(val);

    if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
        error_setg(errp, "File descriptor '%d' is not a socket", fd);
        return false;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &val, &len) < 0) {
        val = 0;
    }
    *listening = val != 0;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return true;
}

static bool fd_is_unix(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        return false;
    }
    return ss.ss_family == AF_UNIX;
}

static CharConn *conn_new(Chardev *chr, int rfd, int wfd)
{
    CharConn *conn = g_new0(CharConn, 1);

    conn->chr = chr;
    conn->rfd = rfd;
    conn->wfd = wfd;
    conn->out = g_byte_array_new();
    chr->conns = g_list_append(chr->conns, conn);
    return conn;
}

static void conn_add(Chardev *chr, int fd)
{
    CharConn *conn;
    int one = 1;

    set_nonblock(fd, true);
    conn = conn_new(chr, fd, fd);
    conn->is_unix = fd_is_unix(fd);
    if (!conn->is_unix) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    trace_chardev_conn_open(chr->id, fd);
    chardev_conn_opened(chr, conn);
}

static gboolean listen_accept_cb(gint fd, GIOCondition cond, gpointer opaque)
{
    Chardev *chr = opaque;
    int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

    if (cfd < 0) {
        /* EAGAIN, ECONNABORTED, EMFILE: try again on the next wakeup */
        return G_SOURCE_CONTINUE;
    }
    conn_add(chr, cfd);
    return G_SOURCE_CONTINUE;
}

static void listen_watch(Chardev *chr)
{
    set_nonblock(chr->listen_fd, true);
    chr->listen_src = g_unix_fd_source_new(chr->listen_fd, G_IO_IN);
    g_source_set_callback(chr->listen_src, G_SOURCE_FUNC(listen_accept_cb),
                          chr, NULL);
    g_source_attach(chr->listen_src, NULL);
}

/* wait=on: block at start-up until the first client is there. */
static bool listen_wait_first(Chardev *chr, GError **errp)
{
    g_autofree char *name = chardev_socket_filename(chr);
    int cfd;

    error_report("info: QEMU waiting for connection on: %s", name);
    set_nonblock(chr->listen_fd, false);
    do {
        cfd = accept4(chr->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    } while (cfd < 0 && errno == EINTR);
    if (cfd < 0) {
        error_setg_errno(errp, errno, "Failed to accept connection");
        return false;
    }
    conn_add(chr, cfd);
    return true;
}

static int socket_open_fd(Chardev *chr, GError **errp)
{
    ChardevSocketAddr *a = &chr->addr;
    bool listening;

    if (a->fd >= 0) {
        if (!fd_check_socket(a->fd, &listening, errp)) {
            return -1;
        }
        if (chr->server && !listening) {
            error_setg(errp, "File descriptor '%d' is not a listening "
                       "socket", a->fd);
            return -1;
        }
        /* an inherited listening socket is a server whatever server= says */
        chr->server = listening;
        return a->fd;
    }
    if (a->path) {
        return chr->server ? unix_listen(a->path, errp)
                           : unix_connect(a->path, errp);
    }
    return tcp_open(a->host, a->port, chr->server, errp);
}

/**
 * chardev_socket_open:
 * Create, bind or connect the socket of @chr (start-up, main thread).
 */
bool chardev_socket_open(Chardev *chr, GError **errp)
{
    int fd = socket_open_fd(chr, errp);

    if (fd < 0) {
        return false;
    }
    chr->addr.fd = -1;
    if (!chr->server) {
        conn_add(chr, fd);
        return true;
    }
    chr->listen_fd = fd;
    if (chr->addr.path) {
        chr->unlink_path = g_strdup(chr->addr.path);
    }
    if (chr->wait && !listen_wait_first(chr, errp)) {
        return false;
    }
    listen_watch(chr);
    return true;
}

/**
 * chardev_stdio_open:
 * One connection reading fd 0 and writing fd 1 (main thread).
 */
bool chardev_stdio_open(Chardev *chr, GError **errp)
{
    CharConn *conn = conn_new(chr, STDIN_FILENO, STDOUT_FILENO);

    conn->is_stdio = true;
    chardev_conn_opened(chr, conn);
    return true;
}

/**
 * chardev_socket_filename:
 * QEMU's query-chardev spelling of a socket chardev's address.
 */
char *chardev_socket_filename(Chardev *chr)
{
    const char *srv = chr->server ? ",server=on" : "";
    const char *disc = chr->conns ? "" : "disconnected:";

    if (chr->addr.path || chr->unlink_path) {
        const char *p = chr->addr.path ? chr->addr.path : chr->unlink_path;
        return g_strdup_printf("%sunix:%s%s", disc, p, srv);
    }
    if (chr->addr.host || chr->addr.port) {
        return g_strdup_printf("%stcp:%s:%s%s", disc,
                               chr->addr.host ? chr->addr.host : "",
                               chr->addr.port, srv);
    }
    return g_strdup_printf("%sfd%s", disc, srv);
}

/* Collect SCM_RIGHTS fds of one recvmsg into fds[]; close extras. */
static size_t conn_take_cmsg_fds(struct msghdr *msg, int *fds)
{
    size_t n = 0;

    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c;
         c = CMSG_NXTHDR(msg, c)) {
        size_t cnt;
        int *p;

        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        p = (int *)CMSG_DATA(c);
        for (size_t i = 0; i < cnt; i++) {
            if (n < CHAR_CONN_MAX_FDS) {
                fds[n++] = p[i];
            } else {
                close(p[i]);
            }
        }
    }
    return n;
}

static ssize_t conn_recv(CharConn *conn, uint8_t *buf, size_t len,
                         int *fds, size_t *nfds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * CHAR_CONN_MAX_FDS)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1,
        .msg_control = &ctl, .msg_controllen = sizeof(ctl),
    };
    ssize_t n;

    *nfds = 0;
    if (!conn->is_unix) {
        return read(conn->rfd, buf, len);
    }
    n = recvmsg(conn->rfd, &msg, MSG_CMSG_CLOEXEC);
    if (n >= 0) {
        *nfds = conn_take_cmsg_fds(&msg, fds);
    }
    return n;
}

static gboolean conn_read_cb(gint fd, GIOCondition cond, gpointer opaque)
{
    CharConn *conn = opaque;
    uint8_t buf[CHAR_READ_SIZE];
    int fds[CHAR_CONN_MAX_FDS];
    size_t nfds;
    ssize_t n = conn_recv(conn, buf, sizeof(buf), fds, &nfds);

    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return G_SOURCE_CONTINUE;
    }
    if (n < 0) {
        /* reset or error: the peer is gone, drop it now */
        char_conn_close(conn);
        return G_SOURCE_CONTINUE;
    }
    if (n == 0) {
        /* end of input: the frontend finishes, then closes */
        conn->eof = true;
        char_conn_set_read_enabled(conn, false);
        conn->read_cb(conn->opaque, NULL, 0, NULL, 0);
        return G_SOURCE_CONTINUE;
    }
    conn->read_cb(conn->opaque, buf, n, fds, nfds);
    return G_SOURCE_CONTINUE;
}

void char_conn_set_read_enabled(CharConn *conn, bool enabled)
{
    if (enabled && !conn->read_src && conn->read_cb && !conn->eof) {
        conn->read_src = g_unix_fd_source_new(conn->rfd,
                                             G_IO_IN | G_IO_HUP | G_IO_ERR);
        g_source_set_callback(conn->read_src, G_SOURCE_FUNC(conn_read_cb),
                              conn, NULL);
        g_source_attach(conn->read_src, NULL);
    } else if (!enabled && conn->read_src) {
        g_source_destroy(conn->read_src);
        g_source_unref(conn->read_src);
        conn->read_src = NULL;
    }
    conn->read_enabled = enabled;
}

void char_conn_set_handlers(CharConn *conn, CharReadFunc *read_cb,
                            CharCloseFunc *close_cb, void *opaque)
{
    conn->read_cb = read_cb;
    conn->close_cb = close_cb;
    conn->opaque = opaque;
    char_conn_set_read_enabled(conn, true);
}

bool char_conn_can_pass_fds(CharConn *conn)
{
    return conn->is_unix;
}

static ssize_t conn_send(CharConn *conn, const void *buf, size_t len)
{
    if (conn->is_stdio) {
        return write(conn->wfd, buf, len);
    }
    return send(conn->wfd, buf, len, MSG_NOSIGNAL);
}

/* Write what the kernel takes; false when the peer is gone. */
static bool conn_try_write(CharConn *conn)
{
    while (conn->out->len) {
        ssize_t n = conn_send(conn, conn->out->data, conn->out->len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && errno == EAGAIN) {
            return true;
        }
        if (n <= 0) {
            conn->broken = true;
            g_byte_array_set_size(conn->out, 0);
            return false;
        }
        g_byte_array_remove_range(conn->out, 0, n);
    }
    return true;
}

static void conn_write_watch_stop(CharConn *conn)
{
    if (conn->write_src) {
        g_source_destroy(conn->write_src);
        g_source_unref(conn->write_src);
        conn->write_src = NULL;
    }
}

static gboolean conn_write_cb(gint fd, GIOCondition cond, gpointer opaque)
{
    CharConn *conn = opaque;

    conn_try_write(conn);
    if (!conn->out->len) {
        conn_write_watch_stop(conn);
    }
    return G_SOURCE_CONTINUE;
}

void char_conn_write(CharConn *conn, const void *buf, size_t len)
{
    if (conn->broken) {
        return;
    }
    if (conn->out->len + len > CHAR_CONN_MAX_OUTPUT) {
        /* the peer does not read: drop it rather than grow forever */
        conn->broken = true;
        g_byte_array_set_size(conn->out, 0);
        shutdown(conn->rfd, SHUT_RDWR);
        return;
    }
    g_byte_array_append(conn->out, buf, len);
    if (conn->write_src || !conn_try_write(conn) || !conn->out->len) {
        return;
    }
    conn->write_src = g_unix_fd_source_new(conn->wfd, G_IO_OUT);
    g_source_set_callback(conn->write_src, G_SOURCE_FUNC(conn_write_cb),
                          conn, NULL);
    g_source_attach(conn->write_src, NULL);
}

void char_conn_flush(CharConn *conn)
{
    if (!conn->broken) {
        conn_try_write(conn);
    }
}

bool char_conn_is_stdio(CharConn *conn)
{
    return conn->is_stdio;
}

bool char_conn_is_broken(CharConn *conn)
{
    return conn->broken;
}

void char_conn_close(CharConn *conn)
{
    char_conn_flush(conn);
    if (conn->close_cb) {
        conn->close_cb(conn->opaque);
    }
    conn_destroy(conn);
}

static void conn_destroy(CharConn *conn)
{
    Chardev *chr = conn->chr;

    trace_chardev_conn_close(chr->id, conn->rfd);
    char_conn_set_read_enabled(conn, false);
    conn_write_watch_stop(conn);
    chr->conns = g_list_remove(chr->conns, conn);
    if (!conn->is_stdio) {
        close(conn->rfd);
    }
    g_byte_array_unref(conn->out);
    g_free(conn);
}

/**
 * chardev_close:
 * Close every connection of @chr (telling the frontend), its listener,
 * and unlink its unix path.
 */
void chardev_close(Chardev *chr)
{
    while (chr->conns) {
        char_conn_close(chr->conns->data);
    }
    if (chr->listen_src) {
        g_source_destroy(chr->listen_src);
        g_source_unref(chr->listen_src);
        chr->listen_src = NULL;
    }
    if (chr->listen_fd >= 0) {
        close(chr->listen_fd);
        chr->listen_fd = -1;
    }
    if (chr->unlink_path) {
        unlink(chr->unlink_path);
        g_clear_pointer(&chr->unlink_path, g_free);
    }
}
