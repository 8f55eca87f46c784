/*
 * test-migration-uri.c: migration URI strings and the uri/channels
 * argument forms, parsed once into a MigrationAddress.
 */
#include "util/osdep.h"
#include <check.h>
#include "qapi/qapi-types-migration.h"
#include "migration/migration.h"
#include "tern-check.h"

static MigrationAddress *parse_ok(const char *uri)
{
    GError *err = NULL;
    MigrationAddress *addr = migrate_uri_parse(uri, &err);

    ck_assert_msg(addr, "%s: %s", uri, err ? err->message : "");
    ck_assert(!err);
    return addr;
}

static void parse_err(const char *uri, const char *msg)
{
    GError *err = NULL;
    MigrationAddress *addr = migrate_uri_parse(uri, &err);

    ck_assert_msg(!addr, "%s parsed", uri);
    ck_assert(err);
    if (msg) {
        ck_assert_str_eq(err->message, msg);
    }
    g_error_free(err);
}

START_TEST(test_uri_tcp)
{
    g_autoptr(MigrationAddress) a = parse_ok("tcp:127.0.0.1:4444");

    ck_assert_int_eq(a->transport, MIGRATION_ADDRESS_TYPE_SOCKET);
    ck_assert_int_eq(a->u.socket.type, SOCKET_ADDRESS_TYPE_INET);
    ck_assert_str_eq(a->u.socket.u.inet.host, "127.0.0.1");
    ck_assert_str_eq(a->u.socket.u.inet.port, "4444");
    ck_assert(migrate_address_multi_channel(a));
}
END_TEST

START_TEST(test_uri_unix_vsock_fd)
{
    g_autoptr(MigrationAddress) u = parse_ok("unix:/tmp/mig.sock");
    g_autoptr(MigrationAddress) v = parse_ok("vsock:3:1234");
    g_autoptr(MigrationAddress) f = parse_ok("fd:mig");

    ck_assert_int_eq(u->u.socket.type, SOCKET_ADDRESS_TYPE_UNIX);
    ck_assert_str_eq(u->u.socket.u.q_unix.path, "/tmp/mig.sock");
    ck_assert_int_eq(v->u.socket.type, SOCKET_ADDRESS_TYPE_VSOCK);
    ck_assert_str_eq(v->u.socket.u.vsock.cid, "3");
    ck_assert_str_eq(v->u.socket.u.vsock.port, "1234");
    ck_assert_int_eq(f->transport, MIGRATION_ADDRESS_TYPE_SOCKET);
    ck_assert_int_eq(f->u.socket.type, SOCKET_ADDRESS_TYPE_FD);
    ck_assert_str_eq(f->u.socket.u.fd.str, "mig");
    ck_assert(migrate_address_multi_channel(u));
    ck_assert(!migrate_address_multi_channel(f));
}
END_TEST

START_TEST(test_uri_exec)
{
    g_autoptr(MigrationAddress) a = parse_ok("exec:cat > /tmp/x");
    strList *l = a->u.exec.args;

    ck_assert_int_eq(a->transport, MIGRATION_ADDRESS_TYPE_EXEC);
    ck_assert_str_eq(l->value, "/bin/sh");
    ck_assert_str_eq(l->next->value, "-c");
    ck_assert_str_eq(l->next->next->value, "cat > /tmp/x");
    ck_assert(!l->next->next->next);
    ck_assert(!migrate_address_multi_channel(a));
}
END_TEST

START_TEST(test_uri_file)
{
    g_autoptr(MigrationAddress) a = parse_ok("file:/tmp/vm.sav");
    g_autoptr(MigrationAddress) b = parse_ok("file:/tmp/vm.sav,offset=4096");
    g_autoptr(MigrationAddress) c = parse_ok("file:/tmp/a,b,offset=1M");
    g_autoptr(MigrationAddress) d = parse_ok("file:/tmp/vm,offset=0x1000");

    ck_assert_int_eq(a->transport, MIGRATION_ADDRESS_TYPE_FILE);
    ck_assert_str_eq(a->u.file.filename, "/tmp/vm.sav");
    ck_assert_uint_eq(a->u.file.offset, 0);
    ck_assert_str_eq(b->u.file.filename, "/tmp/vm.sav");
    ck_assert_uint_eq(b->u.file.offset, 4096);
    ck_assert_str_eq(c->u.file.filename, "/tmp/a,b");
    ck_assert_uint_eq(c->u.file.offset, 1 << 20);
    ck_assert_uint_eq(d->u.file.offset, 0x1000);
    ck_assert(!migrate_address_multi_channel(a));
}
END_TEST

START_TEST(test_uri_rdma)
{
    g_autoptr(MigrationAddress) a = parse_ok("rdma:10.0.0.1:5000");

    ck_assert_int_eq(a->transport, MIGRATION_ADDRESS_TYPE_RDMA);
    ck_assert_str_eq(a->u.rdma.host, "10.0.0.1");
    ck_assert_str_eq(a->u.rdma.port, "5000");
}
END_TEST

START_TEST(test_uri_errors)
{
    parse_err("", "unknown migration protocol: ");
    parse_err("foo:bar", "unknown migration protocol: foo:bar");
    parse_err("/tmp/file", "unknown migration protocol: /tmp/file");
    parse_err("file:/tmp/x,offset=0x20M", "file URI has bad offset 0x20M");
    parse_err("file:/tmp/x,offset=", "file URI has bad offset ");
    parse_err("file:/tmp/x,offset=-1", "file URI has bad offset -1");
    parse_err("file:", "file URI has no file name");
    parse_err("file:,offset=4", "file URI has no file name");
    parse_err("tcp:nohostport", NULL);
    parse_err("rdma:nohostport", NULL);
    parse_err("vsock:3", NULL);
}
END_TEST

static MigrationChannelList *one_channel(MigrationChannelType type,
                                         const char *uri)
{
    MigrationChannelList *l = g_new0(MigrationChannelList, 1);

    l->value = g_new0(MigrationChannel, 1);
    l->value->channel_type = type;
    l->value->addr = migrate_uri_parse(uri, NULL);
    return l;
}

static void args_err(const char *uri, MigrationChannelList *ch,
                     const char *msg)
{
    GError *err = NULL;

    ck_assert(!migrate_address_from_args(uri, ch, "migrate", &err));
    ck_assert(err);
    ck_assert_str_eq(err->message, msg);
    g_error_free(err);
}

START_TEST(test_args_forms)
{
    g_autoptr(MigrationChannelList) ch =
        one_channel(MIGRATION_CHANNEL_TYPE_MAIN, "file:/tmp/f,offset=8");
    g_autoptr(MigrationChannelList) two =
        one_channel(MIGRATION_CHANNEL_TYPE_MAIN, "unix:/tmp/s");
    g_autoptr(MigrationChannelList) cpr =
        one_channel(MIGRATION_CHANNEL_TYPE_CPR, "unix:/tmp/s");
    g_autoptr(MigrationAddress) a = NULL;
    g_autoptr(MigrationAddress) b = NULL;

    a = migrate_address_from_args(NULL, ch, "migrate", NULL);
    ck_assert(a && a != ch->value->addr);
    ck_assert_str_eq(a->u.file.filename, "/tmp/f");
    ck_assert_uint_eq(a->u.file.offset, 8);
    b = migrate_address_from_args("tcp:0:1", NULL, "migrate", NULL);
    ck_assert(b && b->transport == MIGRATION_ADDRESS_TYPE_SOCKET);

    args_err("tcp:0:1", ch, "'uri' and 'channels' arguments are mutually "
             "exclusive; exactly one of the two should be present in "
             "'migrate' qmp command");
    args_err(NULL, NULL, "neither 'uri' or 'channels' argument are "
             "specified in 'migrate' qmp command");
    two->next = one_channel(MIGRATION_CHANNEL_TYPE_MAIN, "unix:/tmp/t");
    args_err(NULL, two, "Channel list has more than one entries");
    args_err(NULL, cpr, "Channel type 'cpr' needs migration mode "
             "'cpr-transfer', which tern does not support");
    args_err("bogus", NULL, "unknown migration protocol: bogus");
}
END_TEST

START_TEST(test_preamble)
{
    uint8_t buf[MIG_CHANNEL_PREAMBLE_SIZE];
    static const uint8_t want[MIG_CHANNEL_PREAMBLE_SIZE] = {
        'T', 'E', 'R', 'N', 'C', 'H', 'A', 'N', 0, 0, 0, 1, 0, 0, 1, 2,
    };

    migration_channel_make_preamble(buf, MIG_CHANNEL_KIND_MULTIFD, 0x102);
    ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

static Suite *migration_uri_suite(void)
{
    Suite *s = suite_create("migration-uri");
    TCase *tc;

    tc = tcase_create("uri");
    tcase_add_test(tc, test_uri_tcp);
    tcase_add_test(tc, test_uri_unix_vsock_fd);
    tcase_add_test(tc, test_uri_exec);
    tcase_add_test(tc, test_uri_file);
    tcase_add_test(tc, test_uri_rdma);
    tcase_add_test(tc, test_uri_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("args");
    tcase_add_test(tc, test_args_forms);
    suite_add_tcase(s, tc);

    tc = tcase_create("preamble");
    tcase_add_test(tc, test_preamble);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(migration_uri_suite)
