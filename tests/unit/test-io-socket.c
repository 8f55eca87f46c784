/*
 * test-io-socket.c: socket channels and the listener over unix and tcp,
 * fd passing, shutdown, address reporting and errors.
 */
#include "util/osdep.h"

#include <sys/socket.h>

#include "io/channel-socket.h"
#include "io/channel-util.h"
#include "io/net-listener.h"
#include "io/socket-address.h"
#include "util/error.h"
#include "tern-check.h"

static char *tmpdir;

static void setup(void)
{
    tmpdir = g_dir_make_tmp("tio-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
}

static void teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

    ck_assert_int_eq(system(cmd), 0);
    g_free(tmpdir);
}

static SocketAddress *addr_parse(const char *str)
{
    SocketAddress *addr = socket_parse(str, NULL);

    ck_assert_ptr_nonnull(addr);
    return addr;
}

/* Sends @msg one way and back the other. */
static void check_exchange(QIOChannel *a, QIOChannel *b)
{
    char buf[6] = "";

    ck_assert_int_eq(qio_channel_write_all(a, "ping!", 5, NULL), 0);
    ck_assert_int_eq(qio_channel_read_all(b, buf, 5, NULL), 0);
    ck_assert_str_eq(buf, "ping!");
    ck_assert_int_eq(qio_channel_write_all(b, "pong!", 5, NULL), 0);
    ck_assert_int_eq(qio_channel_read_all(a, buf, 5, NULL), 0);
    ck_assert_str_eq(buf, "pong!");
}

START_TEST(test_socket_unix)
{
    g_autofree char *path = g_build_filename(tmpdir, "sock", NULL);
    g_autofree char *uri = g_strdup_printf("unix:%s", path);
    g_autoptr(SocketAddress) addr = addr_parse(uri);
    g_autoptr(SocketAddress) got = NULL;
    QIONetListener *l = qio_net_listener_new();
    g_autoptr(QIOChannel) client = NULL;
    g_autoptr(QIOChannel) server = NULL;

    /* A stale socket file is replaced. */
    ck_assert(g_file_set_contents(path, "", 0, NULL));
    ck_assert(qio_net_listener_open_sync(l, addr, 1, NULL));
    got = qio_net_listener_get_address(l, NULL);
    ck_assert_int_eq(got->type, SOCKET_ADDRESS_TYPE_UNIX);
    ck_assert_str_eq(got->u.q_unix.path, path);

    client = qio_channel_socket_connect_sync(addr, NULL);
    ck_assert_ptr_nonnull(client);
    server = qio_net_listener_wait_client(l);
    ck_assert(qio_channel_is_socket(server));
    ck_assert(qio_channel_has_feature(client, QIO_CHANNEL_FEATURE_FD_PASS));
    ck_assert(qio_channel_has_feature(server, QIO_CHANNEL_FEATURE_SHUTDOWN));
    ck_assert(!qio_channel_has_feature(server, QIO_CHANNEL_FEATURE_LISTEN));
    check_exchange(client, server);

    qio_net_listener_free(l);
    ck_assert(!g_file_test(path, G_FILE_TEST_EXISTS));
}
END_TEST

/* Listens on @uri with port 0; returns the listener and its real port. */
static QIONetListener *listen_tcp(const char *uri, char **port)
{
    g_autoptr(SocketAddress) addr = addr_parse(uri);
    g_autoptr(SocketAddress) got = NULL;
    g_autoptr(GError) err = NULL;
    QIONetListener *l = qio_net_listener_new();

    if (!qio_net_listener_open_sync(l, addr, 5, &err)) {
        qio_net_listener_free(l);
        return NULL;
    }
    got = qio_net_listener_get_address(l, NULL);
    ck_assert_int_eq(got->type, SOCKET_ADDRESS_TYPE_INET);
    ck_assert_str_ne(got->u.inet.port, "0");
    *port = g_strdup(got->u.inet.port);
    return l;
}

static void check_tcp(const char *listen_uri, const char *host,
                      const char *connect_fmt)
{
    g_autofree char *port = NULL;
    g_autoptr(QIONetListener) l = listen_tcp(listen_uri, &port);
    g_autofree char *uri = NULL;
    g_autoptr(SocketAddress) addr = NULL;
    g_autoptr(SocketAddress) local = NULL;
    g_autoptr(SocketAddress) remote = NULL;
    g_autoptr(QIOChannel) client = NULL;
    g_autoptr(QIOChannel) server = NULL;

    if (!l) {
        printf("# SKIP cannot listen on %s\n", listen_uri);
        fflush(stdout);
        return;
    }
    uri = g_strdup_printf(connect_fmt, port);
    addr = addr_parse(uri);
    client = qio_channel_socket_connect_sync(addr, NULL);
    ck_assert_ptr_nonnull(client);
    server = qio_net_listener_wait_client(l);
    ck_assert(!qio_channel_has_feature(client, QIO_CHANNEL_FEATURE_FD_PASS));
    check_exchange(client, server);

    remote = qio_channel_socket_get_remote_address(client, NULL);
    ck_assert_str_eq(remote->u.inet.host, host);
    ck_assert_str_eq(remote->u.inet.port, port);
    local = qio_channel_socket_get_local_address(client, NULL);
    g_clear_pointer(&remote, qapi_free_SocketAddress);
    remote = qio_channel_socket_get_remote_address(server, NULL);
    ck_assert_str_eq(remote->u.inet.port, local->u.inet.port);
}

START_TEST(test_socket_tcp)
{
    check_tcp("tcp:127.0.0.1:0", "127.0.0.1", "tcp:127.0.0.1:%s");
    check_tcp("[::1]:0", "::1", "tcp:[::1]:%s");
    check_tcp("tcp:localhost:0,ipv4=on", "127.0.0.1", "127.0.0.1:%s");
}
END_TEST

START_TEST(test_socket_refused)
{
    g_autofree char *port = NULL;
    QIONetListener *l = listen_tcp("127.0.0.1:0", &port);
    g_autofree char *uri = g_strdup_printf("127.0.0.1:%s", port);
    g_autofree char *want = g_strdup_printf(
        "Failed to connect to '127.0.0.1:%s': Connection refused", port);
    g_autoptr(SocketAddress) addr = addr_parse(uri);
    g_autoptr(SocketAddress) un = addr_parse("unix:/nonexistent/x.sock");
    g_autoptr(GError) err = NULL;

    qio_net_listener_free(l);
    ck_assert_ptr_null(qio_channel_socket_connect_sync(addr, &err));
    ck_assert_str_eq(err->message, want);
    g_clear_error(&err);
    ck_assert_ptr_null(qio_channel_socket_connect_sync(un, &err));
    ck_assert_str_eq(err->message, "Failed to connect to "
                     "'/nonexistent/x.sock': No such file or directory");
}
END_TEST

typedef struct Accepted {
    GPtrArray *clients;
} Accepted;

static void accepted_cb(QIONetListener *l, QIOChannel *client, void *opaque)
{
    Accepted *acc = opaque;

    g_ptr_array_add(acc->clients, qio_channel_ref(client));
}

START_TEST(test_socket_many_clients)
{
    g_autofree char *path = g_build_filename(tmpdir, "many", NULL);
    g_autofree char *uri = g_strdup_printf("unix:%s", path);
    g_autoptr(SocketAddress) addr = addr_parse(uri);
    g_autoptr(QIONetListener) l = qio_net_listener_new();
    Accepted acc = {
        .clients = g_ptr_array_new_with_free_func(
            (GDestroyNotify)qio_channel_unref),
    };
    QIOChannel *conn[4];
    char seen[4] = { 0 };

    ck_assert(qio_net_listener_open_sync(l, addr, 8, NULL));
    qio_net_listener_set_client_func(l, accepted_cb, &acc, NULL);
    for (int i = 0; i < 4; i++) {
        char c = 'a' + i;

        conn[i] = qio_channel_socket_connect_sync(addr, NULL);
        ck_assert_ptr_nonnull(conn[i]);
        ck_assert_int_eq(qio_channel_write_all(conn[i], &c, 1, NULL), 0);
    }
    while (acc.clients->len < 4) {
        g_main_context_iteration(NULL, TRUE);
    }
    for (guint i = 0; i < 4; i++) {
        char c;

        ck_assert_int_eq(qio_channel_read_all(
            g_ptr_array_index(acc.clients, i), &c, 1, NULL), 0);
        ck_assert(c >= 'a' && c < 'a' + 4);
        seen[c - 'a']++;
    }
    ck_assert(memcmp(seen, "\1\1\1\1", 4) == 0);
    qio_net_listener_set_client_func(l, NULL, NULL, NULL);
    for (int i = 0; i < 4; i++) {
        qio_channel_unref(conn[i]);
    }
    g_ptr_array_free(acc.clients, TRUE);
}
END_TEST

static void socket_pair(QIOChannel **a, QIOChannel **b)
{
    int sv[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    *a = qio_channel_new_fd(sv[0], NULL);
    *b = qio_channel_new_fd(sv[1], NULL);
    ck_assert(qio_channel_is_socket(*a) && qio_channel_is_socket(*b));
}

START_TEST(test_socket_fd_pass)
{
    g_autoptr(QIOChannel) a = NULL;
    g_autoptr(QIOChannel) b = NULL;
    int pipefd[2];
    int *fds = NULL;
    size_t nfds = 0;
    char buf[8] = "";
    struct iovec iov = { .iov_base = "fd", .iov_len = 2 };
    struct iovec rd = { .iov_base = buf, .iov_len = sizeof(buf) };

    socket_pair(&a, &b);
    ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
    ck_assert_int_eq(qio_channel_writev_full_all(a, &iov, 1, &pipefd[1], 1,
                                                 NULL), 0);
    close(pipefd[1]);
    ck_assert_int_eq(qio_channel_readv_full(b, &rd, 1, &fds, &nfds, NULL),
                     2);
    ck_assert_uint_eq(nfds, 1);
    ck_assert_int_eq(write(fds[0], "via", 3), 3);
    close(fds[0]);
    g_free(fds);
    ck_assert_int_eq(read(pipefd[0], buf, sizeof(buf)), 3);
    ck_assert(memcmp(buf, "via", 3) == 0);
    close(pipefd[0]);
}
END_TEST

static gpointer blocked_reader(gpointer data)
{
    char c;

    return GINT_TO_POINTER(qio_channel_read(data, &c, 1, NULL) + 100);
}

START_TEST(test_socket_shutdown)
{
    g_autoptr(QIOChannel) a = NULL;
    g_autoptr(QIOChannel) b = NULL;
    g_autoptr(GError) err = NULL;
    GThread *thread;

    socket_pair(&a, &b);
    thread = g_thread_new("reader", blocked_reader, a);
    ck_assert_int_eq(qio_channel_shutdown(a, QIO_CHANNEL_SHUTDOWN_BOTH,
                                          NULL), 0);
    /* The reader wakes with end of file. */
    ck_assert_int_eq(GPOINTER_TO_INT(g_thread_join(thread)), 100);
    /* Writing to a shut socket is an error, not a SIGPIPE. */
    ck_assert_int_eq(qio_channel_write_all(a, "x", 1, &err), -1);
    ck_assert_str_eq(err->message, "Unable to write to socket: "
                     "Broken pipe");
}
END_TEST

static int fake_resolver(const char *name, GError **errp)
{
    int sv[2];

    if (strcmp(name, "good")) {
        error_setg(errp, "File descriptor named '%s' has not been found",
                   name);
        return -1;
    }
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    close(sv[1]);
    return sv[0];
}

START_TEST(test_socket_fd_address)
{
    g_autoptr(SocketAddress) good = addr_parse("fd:good");
    g_autoptr(SocketAddress) bad = addr_parse("fd:bad");
    g_autoptr(GError) err = NULL;
    g_autoptr(QIOChannel) ioc = NULL;
    g_autofree char *want = NULL;
    g_autofree char *num = NULL;
    g_autoptr(SocketAddress) numeric = NULL;
    int pipefd[2];

    ck_assert_ptr_null(qio_channel_socket_connect_sync(good, &err));
    ck_assert_str_eq(err->message,
                     "File descriptor named 'good' has not been found");
    g_clear_error(&err);

    qio_channel_socket_set_fd_resolver(fake_resolver);
    ioc = qio_channel_socket_connect_sync(good, NULL);
    ck_assert_ptr_nonnull(ioc);
    ck_assert_ptr_null(qio_channel_socket_connect_sync(bad, &err));
    g_clear_error(&err);
    qio_channel_socket_set_fd_resolver(NULL);

    /* A number is a descriptor; a pipe is not a socket. */
    ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
    num = g_strdup_printf("fd:%d", pipefd[0]);
    numeric = addr_parse(num);
    want = g_strdup_printf("File descriptor '%d' is not a socket",
                           pipefd[0]);
    ck_assert_ptr_null(qio_channel_socket_new_fd(pipefd[0], &err));
    ck_assert_str_eq(err->message, want);
    g_clear_error(&err);
    /* connect_sync owns the descriptor it resolved, and closes it. */
    ck_assert_ptr_null(qio_channel_socket_connect_sync(numeric, &err));
    ck_assert_str_eq(err->message, want);
    ck_assert_int_eq(fcntl(pipefd[0], F_GETFD), -1);
    close(pipefd[1]);
}
END_TEST

START_TEST(test_socket_abstract)
{
    g_autofree char *name = g_strdup_printf("tern-test-%d", getpid());
    g_autoptr(SocketAddress) addr = g_new0(SocketAddress, 1);
    g_autoptr(SocketAddress) got = NULL;
    g_autoptr(QIONetListener) l = qio_net_listener_new();
    g_autoptr(QIOChannel) client = NULL;
    g_autoptr(QIOChannel) server = NULL;

    addr->type = SOCKET_ADDRESS_TYPE_UNIX;
    addr->u.q_unix.path = g_strdup(name);
    addr->u.q_unix.has_abstract = true;
    addr->u.q_unix.abstract = true;
    ck_assert(qio_net_listener_open_sync(l, addr, 1, NULL));
    got = qio_net_listener_get_address(l, NULL);
    ck_assert(got->u.q_unix.has_abstract && got->u.q_unix.abstract);
    ck_assert_str_eq(got->u.q_unix.path, name);
    client = qio_channel_socket_connect_sync(addr, NULL);
    ck_assert_ptr_nonnull(client);
    server = qio_net_listener_wait_client(l);
    check_exchange(client, server);
}
END_TEST

START_TEST(test_socket_vsock)
{
    g_autoptr(SocketAddress) addr = addr_parse("vsock:1:0");
    g_autoptr(SocketAddress) bad = addr_parse("vsock:99999999999:1");
    g_autoptr(QIONetListener) l = qio_net_listener_new();
    g_autoptr(GError) err = NULL;

    ck_assert_ptr_null(qio_channel_socket_connect_sync(bad, &err));
    ck_assert_str_eq(err->message, "Failed to parse cid '99999999999'");
    g_clear_error(&err);
    if (!qio_net_listener_open_sync(l, addr, 1, &err)) {
        printf("# SKIP no vsock loopback here: %s\n", err->message);
        fflush(stdout);
        return;
    }
    ck_assert_uint_eq(qio_net_listener_nsockets(l), 1);
}
END_TEST

static gpointer bulk_reader(gpointer data)
{
    char *buf = g_malloc(4 * 1024 * 1024);

    ck_assert_int_eq(qio_channel_read_all(data, buf, 4 * 1024 * 1024,
                                          NULL), 0);
    return buf;
}

START_TEST(test_socket_nonblocking)
{
    g_autoptr(QIOChannel) a = NULL;
    g_autoptr(QIOChannel) b = NULL;
    g_autofree char *data = g_malloc(4 * 1024 * 1024);
    g_autofree char *got = NULL;
    GThread *thread;
    char c;

    socket_pair(&a, &b);
    ck_assert_int_eq(qio_channel_set_blocking(a, false, NULL), 0);
    ck_assert_int_eq(qio_channel_set_blocking(b, false, NULL), 0);
    ck_assert_int_eq(qio_channel_read(b, &c, 1, NULL),
                     QIO_CHANNEL_ERR_BLOCK);
    for (size_t i = 0; i < 4 * 1024 * 1024; i++) {
        data[i] = i % 251;
    }
    /* Both sides wait (poll) for room and for data. */
    thread = g_thread_new("bulk", bulk_reader, b);
    ck_assert_int_eq(qio_channel_write_all(a, data, 4 * 1024 * 1024, NULL),
                     0);
    got = g_thread_join(thread);
    ck_assert(memcmp(data, got, 4 * 1024 * 1024) == 0);
}
END_TEST

START_TEST(test_socket_listen_fd)
{
    g_autofree char *path = g_build_filename(tmpdir, "byfd", NULL);
    g_autofree char *uri = g_strdup_printf("unix:%s", path);
    g_autoptr(SocketAddress) addr = addr_parse(uri);
    g_autoptr(SocketAddress) fdaddr = NULL;
    g_autoptr(QIONetListener) l = qio_net_listener_new();
    g_autoptr(QIOChannel) probe = NULL;
    g_autoptr(QIOChannel) client = NULL;
    g_autoptr(QIOChannel) server = NULL;
    g_autofree char *num = NULL;
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int dupfd;

    /* A bound socket handed over as fd:N becomes a listener. */
    ck_assert(socket_address_to_sockaddr(addr, &ss, &len, NULL));
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
    num = g_strdup_printf("fd:%d", fd);
    fdaddr = addr_parse(num);
    ck_assert(qio_net_listener_open_sync(l, fdaddr, 1, NULL));
    client = qio_channel_socket_connect_sync(addr, NULL);
    ck_assert_ptr_nonnull(client);
    server = qio_net_listener_wait_client(l);
    check_exchange(client, server);

    dupfd = dup(fd);
    probe = qio_channel_socket_new_fd(dupfd, NULL);
    ck_assert(qio_channel_has_feature(probe, QIO_CHANNEL_FEATURE_LISTEN));
    ck_assert(!qio_channel_has_feature(client, QIO_CHANNEL_FEATURE_LISTEN));
}
END_TEST

static Suite *io_socket_suite(void)
{
    Suite *s = suite_create("io-socket");
    TCase *tc;

    tc = tcase_create("connect");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_socket_unix);
    tcase_add_test(tc, test_socket_tcp);
    tcase_add_test(tc, test_socket_refused);
    tcase_add_test(tc, test_socket_abstract);
    tcase_add_test(tc, test_socket_vsock);
    suite_add_tcase(s, tc);
    tc = tcase_create("listener");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_socket_many_clients);
    tcase_add_test(tc, test_socket_listen_fd);
    suite_add_tcase(s, tc);
    tc = tcase_create("fd");
    tcase_add_test(tc, test_socket_fd_pass);
    tcase_add_test(tc, test_socket_fd_address);
    suite_add_tcase(s, tc);
    tc = tcase_create("shutdown");
    tcase_add_test(tc, test_socket_shutdown);
    tcase_add_test(tc, test_socket_nonblocking);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(io_socket_suite)
