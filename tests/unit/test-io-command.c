/*
 * test-io-command.c: the command (exec) channel: pipes both ways, exit
 * status, the child's signal state, shutdown.
 */
#include "util/osdep.h"

#include <signal.h>

#include "io/channel-command.h"
#include "util/error.h"
#include "tern-check.h"

START_TEST(test_command_cat)
{
    const char *argv[] = { "cat", NULL };
    g_autoptr(QIOChannel) ioc = qio_channel_command_new_spawn(argv, O_RDWR,
                                                              NULL);
    g_autofree char *big = g_malloc(256 * 1024);
    g_autofree char *back = g_malloc(256 * 1024);

    ck_assert_ptr_nonnull(ioc);
    ck_assert_int_gt(qio_channel_command_get_pid(ioc), 0);
    ck_assert_str_eq(qio_channel_get_name(ioc), "command");
    for (size_t i = 0; i < 256 * 1024; i++) {
        big[i] = i * 7 + (i >> 9);
    }
    /* A pipe holds 64 KiB: write and read in turns. */
    for (size_t off = 0; off < 256 * 1024; off += 16 * 1024) {
        ck_assert_int_eq(qio_channel_write_all(ioc, big + off, 16 * 1024,
                                               NULL), 0);
        ck_assert_int_eq(qio_channel_read_all(ioc, back + off, 16 * 1024,
                                              NULL), 0);
    }
    ck_assert(memcmp(big, back, 256 * 1024) == 0);
    ck_assert_int_eq(qio_channel_close(ioc, NULL), 0);
}
END_TEST

START_TEST(test_command_status)
{
    const char *fail[] = { "/bin/sh", "-c", "echo out; exit 3", NULL };
    const char *missing[] = { "/nonexistent/tern-prog", NULL };
    g_autoptr(QIOChannel) ioc = qio_channel_command_new_spawn(fail,
                                                              O_RDONLY,
                                                              NULL);
    g_autoptr(GError) err = NULL;
    char buf[16] = "";

    ck_assert_int_eq(qio_channel_read_all(ioc, buf, 4, NULL), 0);
    ck_assert_str_eq(buf, "out\n");
    ck_assert_int_eq(qio_channel_read(ioc, buf, 1, NULL), 0);
    ck_assert_int_eq(qio_channel_close(ioc, &err), -1);
    ck_assert_str_eq(err->message, "Command exited with status 3");
    g_clear_error(&err);

    ck_assert_ptr_null(qio_channel_command_new_spawn(missing, O_RDWR,
                                                     &err));
    ck_assert_ptr_nonnull(strstr(err->message, "/nonexistent/tern-prog"));
}
END_TEST

START_TEST(test_command_dead_reader)
{
    const char *argv[] = { "true", NULL };
    g_autoptr(QIOChannel) ioc = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree char *buf = g_malloc0(1024 * 1024);

    signal(SIGPIPE, SIG_IGN);   /* as ternd */
    ioc = qio_channel_command_new_spawn(argv, O_WRONLY, NULL);
    ck_assert_int_eq(qio_channel_write_all(ioc, buf, 1024 * 1024, &err),
                     -1);
    ck_assert_str_eq(err->message,
                     "Unable to write to command: Broken pipe");
    ck_assert_int_eq(qio_channel_close(ioc, NULL), 0);
}
END_TEST

/* Spawns from a thread that blocks SIGTERM, as ternd's threads do. */
static gpointer spawn_with_blocked_signals(gpointer data)
{
    const char *argv[] = {
        "/bin/sh", "-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status", NULL
    };
    sigset_t set;
    QIOChannel *ioc;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    ioc = qio_channel_command_new_spawn(argv, O_RDONLY, NULL);
    ck_assert_ptr_nonnull(ioc);
    return ioc;
}

START_TEST(test_command_signals)
{
    GThread *thread;
    g_autoptr(QIOChannel) ioc = NULL;
    GString *out = g_string_new(NULL);
    char buf[256];
    ssize_t n;
    uint64_t blocked, ignored;
    const uint64_t ours = 1ULL << (SIGHUP - 1) | 1ULL << (SIGINT - 1) |
                          1ULL << (SIGPIPE - 1) | 1ULL << (SIGTERM - 1);

    signal(SIGPIPE, SIG_IGN);
    thread = g_thread_new("spawner", spawn_with_blocked_signals, NULL);
    ioc = g_thread_join(thread);
    while ((n = qio_channel_read(ioc, buf, sizeof(buf), NULL)) > 0) {
        g_string_append_len(out, buf, n);
    }
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(qio_channel_close(ioc, NULL), 0);
    /*
     * The signals ternd blocks (for its signalfd) or ignores must reach
     * the child clean.  Other bits may come from whatever started the
     * test (a CI runner can leave a glibc-reserved real-time signal
     * ignored, which no process can reset through libc).
     */
    ck_assert_msg(sscanf(out->str, "SigBlk:\t%" SCNx64 "\nSigIgn:\t%" SCNx64,
                         &blocked, &ignored) == 2, "%s", out->str);
    ck_assert_msg(!(blocked & ours), "%s", out->str);
    ck_assert_msg(!(ignored & ours), "%s", out->str);
    g_string_free(out, TRUE);
}
END_TEST

static gpointer command_reader(gpointer data)
{
    char c;

    return GINT_TO_POINTER(qio_channel_read(data, &c, 1, NULL) + 100);
}

START_TEST(test_command_shutdown)
{
    const char *argv[] = { "sleep", "60", NULL };
    g_autoptr(QIOChannel) ioc = qio_channel_command_new_spawn(argv, O_RDWR,
                                                              NULL);
    g_autoptr(GError) err = NULL;
    GThread *thread;
    gint64 start = g_get_monotonic_time();

    ck_assert(qio_channel_has_feature(ioc, QIO_CHANNEL_FEATURE_SHUTDOWN));
    thread = g_thread_new("reader", command_reader, ioc);
    ck_assert_int_eq(qio_channel_shutdown(ioc, QIO_CHANNEL_SHUTDOWN_BOTH,
                                          NULL), 0);
    ck_assert_int_eq(GPOINTER_TO_INT(g_thread_join(thread)), 100);
    ck_assert_int_eq(qio_channel_write_all(ioc, "x", 1, &err), -1);
    ck_assert_str_eq(err->message,
                     "Unable to write to command: Broken pipe");
    /* Close kills the child after a shutdown, and that is no error. */
    ck_assert_int_eq(qio_channel_close(ioc, NULL), 0);
    ck_assert_int_lt(g_get_monotonic_time() - start, 30 * G_USEC_PER_SEC);
}
END_TEST

static gpointer command_closer(gpointer data)
{
    return GINT_TO_POINTER(qio_channel_close(data, NULL) + 100);
}

START_TEST(test_command_close_race)
{
    const char *argv[] = { "sleep", "60", NULL };
    g_autoptr(QIOChannel) ioc = qio_channel_command_new_spawn(argv,
                                                              O_WRONLY,
                                                              NULL);
    GThread *thread;

    /* sleep ignores EOF: close waits until the shutdown kills it. */
    thread = g_thread_new("closer", command_closer, ioc);
    ck_assert_int_eq(qio_channel_shutdown(ioc, QIO_CHANNEL_SHUTDOWN_BOTH,
                                          NULL), 0);
    ck_assert_int_eq(GPOINTER_TO_INT(g_thread_join(thread)), 100);
}
END_TEST

static Suite *io_command_suite(void)
{
    Suite *s = suite_create("io-command");
    TCase *tc;

    tc = tcase_create("pipes");
    tcase_add_test(tc, test_command_cat);
    tcase_add_test(tc, test_command_dead_reader);
    suite_add_tcase(s, tc);
    tc = tcase_create("status");
    tcase_add_test(tc, test_command_status);
    suite_add_tcase(s, tc);
    tc = tcase_create("signals");
    tcase_add_test(tc, test_command_signals);
    suite_add_tcase(s, tc);
    tc = tcase_create("shutdown");
    tcase_add_test(tc, test_command_shutdown);
    tcase_add_test(tc, test_command_close_race);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(io_command_suite)
