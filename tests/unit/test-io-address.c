/*
 * test-io-address.c: socket_parse() and socket_address_to_string().
 */
#include "util/osdep.h"

#include "io/socket-address.h"
#include "util/error.h"
#include "tern-check.h"

static SocketAddress *parse_ok(const char *str)
{
    g_autoptr(GError) err = NULL;
    SocketAddress *addr = socket_parse(str, &err);

    ck_assert_msg(addr, "'%s': %s", str, err ? err->message : "?");
    return addr;
}

static void check_inet(const char *str, const char *host, const char *port)
{
    g_autoptr(SocketAddress) addr = parse_ok(str);

    ck_assert_int_eq(addr->type, SOCKET_ADDRESS_TYPE_INET);
    ck_assert_str_eq(addr->u.inet.host, host);
    ck_assert_str_eq(addr->u.inet.port, port);
}

START_TEST(test_parse_inet)
{
    g_autoptr(SocketAddress) opts = NULL;

    check_inet("tcp:127.0.0.1:4444", "127.0.0.1", "4444");
    check_inet("localhost:80", "localhost", "80");
    check_inet("tcp::4444", "", "4444");
    check_inet(":4444", "", "4444");
    check_inet("0:4444", "0", "4444");
    check_inet("tcp:[::1]:5555", "::1", "5555");
    check_inet("[fe80::1%eth0]:http", "fe80::1%eth0", "http");

    opts = parse_ok("tcp:host:1000,to=1010,ipv4=on,ipv6=off,keep-alive,"
                    "numeric=on,mptcp=off");
    ck_assert(opts->u.inet.has_to && opts->u.inet.to == 1010);
    ck_assert(opts->u.inet.has_ipv4 && opts->u.inet.ipv4);
    ck_assert(opts->u.inet.has_ipv6 && !opts->u.inet.ipv6);
    ck_assert(opts->u.inet.has_keep_alive && opts->u.inet.keep_alive);
    ck_assert(opts->u.inet.has_numeric && opts->u.inet.numeric);
    ck_assert(opts->u.inet.has_mptcp && !opts->u.inet.mptcp);
    ck_assert_str_eq(opts->u.inet.port, "1000");
}
END_TEST

START_TEST(test_parse_other)
{
    g_autoptr(SocketAddress) un = parse_ok("unix:/tmp/sock,with:colon");
    g_autoptr(SocketAddress) vs = parse_ok("vsock:3:1234");
    g_autoptr(SocketAddress) fd = parse_ok("fd:migfd");

    ck_assert_int_eq(un->type, SOCKET_ADDRESS_TYPE_UNIX);
    ck_assert_str_eq(un->u.q_unix.path, "/tmp/sock,with:colon");
    ck_assert_int_eq(vs->type, SOCKET_ADDRESS_TYPE_VSOCK);
    ck_assert_str_eq(vs->u.vsock.cid, "3");
    ck_assert_str_eq(vs->u.vsock.port, "1234");
    ck_assert_int_eq(fd->type, SOCKET_ADDRESS_TYPE_FD);
    ck_assert_str_eq(fd->u.fd.str, "migfd");
}
END_TEST

static void check_bad(const char *str, const char *msg)
{
    g_autoptr(GError) err = NULL;
    SocketAddress *addr = socket_parse(str, &err);

    ck_assert_msg(!addr, "'%s' was accepted", str);
    ck_assert_msg(err && !strcmp(err->message, msg),
                  "'%s': got '%s', want '%s'", str,
                  err ? err->message : "(none)", msg);
}

START_TEST(test_parse_bad)
{
    check_bad("unix:", "invalid Unix socket address");
    check_bad("fd:", "invalid file descriptor address");
    check_bad("vsock:3", "error parsing address '3'");
    check_bad("vsock:x:1", "error parsing address 'x:1'");
    check_bad("vsock:3:4x", "trailing characters in address '3:4x'");
    check_bad("tcp:nohostport", "error parsing address 'nohostport'");
    check_bad("localhost", "error parsing address 'localhost'");
    check_bad("tcp:host:", "error parsing port in address 'host:'");
    check_bad("tcp:host:1:2", "error parsing port in address 'host:1:2'");
    check_bad("[::1:44", "error parsing IPv6 address '[::1:44'");
    check_bad("[::1]44", "error parsing IPv6 address '[::1]44'");
    check_bad("host:1,to=x",
              "error parsing option 'to=x' in address 'host:1,to=x'");
    check_bad("host:1,ipv4=maybe",
              "error parsing option 'ipv4=maybe' in address "
              "'host:1,ipv4=maybe'");
    check_bad("host:1,bogus",
              "error parsing option 'bogus' in address 'host:1,bogus'");
    check_bad("", "error parsing address ''");
}
END_TEST

START_TEST(test_to_string)
{
    static const char *const cases[][2] = {
        { "tcp:127.0.0.1:4444", "tcp:127.0.0.1:4444" },
        { "[::1]:80", "tcp:[::1]:80" },
        { "unix:/run/x.sock", "unix:/run/x.sock" },
        { "vsock:2:99", "vsock:2:99" },
        { "fd:name", "fd:name" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autoptr(SocketAddress) addr = parse_ok(cases[i][0]);
        g_autoptr(SocketAddress) copy = socket_address_copy(addr);
        g_autofree char *str = socket_address_to_string(addr);
        g_autofree char *str2 = socket_address_to_string(copy);

        ck_assert_str_eq(str, cases[i][1]);
        ck_assert_str_eq(str2, cases[i][1]);
    }
}
END_TEST

static Suite *io_address_suite(void)
{
    Suite *s = suite_create("io-address");
    TCase *tc;

    tc = tcase_create("parse");
    tcase_add_test(tc, test_parse_inet);
    tcase_add_test(tc, test_parse_other);
    tcase_add_test(tc, test_parse_bad);
    suite_add_tcase(s, tc);
    tc = tcase_create("format");
    tcase_add_test(tc, test_to_string);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(io_address_suite)
