/*
 * test-io-file.c: the file channel (paths, fds, pipes), O_DIRECT, errors
 * and watches.
 */
#include "util/osdep.h"

#include <signal.h>

#include "io/channel-file.h"
#include "io/channel-util.h"
#include "util/error.h"
#include "tern-check.h"

static char *tmpdir;

static void setup(void)
{
    tmpdir = g_dir_make_tmp("test-io-file-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmpdir);
}

static void teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

    ck_assert_int_eq(system(cmd), 0);
    g_free(tmpdir);
}

START_TEST(test_file_read_write)
{
    g_autofree char *path = g_build_filename(tmpdir, "f", NULL);
    g_autoptr(QIOChannel) ioc = NULL;
    g_autofree char *contents = NULL;
    struct iovec iov[2] = {
        { .iov_base = "one,", .iov_len = 4 },
        { .iov_base = "two", .iov_len = 3 },
    };
    char out[16] = "";

    ioc = qio_channel_file_new_path(path, O_RDWR | O_CREAT | O_TRUNC, 0600,
                                    NULL);
    ck_assert_ptr_nonnull(ioc);
    ck_assert(qio_channel_has_feature(ioc, QIO_CHANNEL_FEATURE_SEEKABLE));
    ck_assert_int_eq(qio_channel_writev_all(ioc, iov, 2, NULL), 0);
    ck_assert_int_eq(qio_channel_flush(ioc, NULL), 0);
    ck_assert_int_eq(qio_channel_io_seek(ioc, 0, SEEK_SET, NULL), 0);
    ck_assert_int_eq(qio_channel_read_all(ioc, out, 7, NULL), 0);
    ck_assert_str_eq(out, "one,two");
    ck_assert_int_eq(qio_channel_read(ioc, out, 1, NULL), 0);
    ck_assert_int_eq(qio_channel_close(ioc, NULL), 0);
    ck_assert(g_file_get_contents(path, &contents, NULL, NULL));
    ck_assert_str_eq(contents, "one,two");
}
END_TEST

START_TEST(test_file_positional)
{
    g_autofree char *path = g_build_filename(tmpdir, "p", NULL);
    g_autoptr(QIOChannel) ioc = NULL;
    struct iovec iov[2] = {
        { .iov_base = "AB", .iov_len = 2 },
        { .iov_base = "CD", .iov_len = 2 },
    };
    char out[4];
    struct iovec rd = { .iov_base = out, .iov_len = 4 };

    ioc = qio_channel_file_new_path(path, O_RDWR | O_CREAT, 0600, NULL);
    ck_assert_int_eq(qio_channel_pwritev(ioc, iov, 2, 8192, NULL), 4);
    ck_assert_int_eq(qio_channel_preadv(ioc, &rd, 1, 8192, NULL), 4);
    ck_assert(memcmp(out, "ABCD", 4) == 0);
    ck_assert_int_eq(qio_channel_preadv(ioc, &rd, 1, 9000, NULL), 0);
    /* Positional I/O leaves the offset alone. */
    ck_assert_int_eq(qio_channel_io_seek(ioc, 0, SEEK_CUR, NULL), 0);
    ck_assert_int_eq(qio_channel_io_seek(ioc, 0, SEEK_END, NULL), 8196);
}
END_TEST

START_TEST(test_file_direct)
{
    g_autofree char *path = g_build_filename(tmpdir, "d", NULL);
    g_autoptr(GError) err = NULL;
    g_autoptr(QIOChannel) ioc = NULL;
    void *buf = NULL;
    void *back = NULL;
    struct iovec iov;

    ioc = qio_channel_file_new_path(path, O_RDWR | O_CREAT | O_DIRECT,
                                    0600, &err);
    if (!ioc) {
        /* tmpfs and friends refuse O_DIRECT: a TAP comment, not a fail. */
        printf("# SKIP O_DIRECT unsupported here: %s\n", err->message);
        fflush(stdout);
        return;
    }
    ck_assert_int_eq(posix_memalign(&buf, 4096, 8192), 0);
    ck_assert_int_eq(posix_memalign(&back, 4096, 8192), 0);
    memset(buf, 0x5a, 8192);
    iov = (struct iovec){ .iov_base = buf, .iov_len = 8192 };
    if (qio_channel_pwritev(ioc, &iov, 1, 4096, &err) < 0) {
        printf("# SKIP O_DIRECT write refused: %s\n", err->message);
        fflush(stdout);
    } else {
        iov.iov_base = back;
        ck_assert_int_eq(qio_channel_preadv(ioc, &iov, 1, 4096, NULL),
                         8192);
        ck_assert(memcmp(buf, back, 8192) == 0);
    }
    free(buf);
    free(back);
}
END_TEST

START_TEST(test_file_errors)
{
    g_autofree char *path = g_build_filename(tmpdir, "missing", NULL);
    g_autofree char *want = g_strdup_printf(
        "Unable to open '%s': No such file or directory", path);
    g_autoptr(GError) err = NULL;
    g_autoptr(QIOChannel) full = NULL;
    char page[4096] = { 1 };

    ck_assert_ptr_null(qio_channel_file_new_path(path, O_RDONLY, 0, &err));
    ck_assert_str_eq(err->message, want);
    g_clear_error(&err);

    full = qio_channel_file_new_path("/dev/full", O_WRONLY, 0, &err);
    ck_assert_ptr_nonnull(full);
    ck_assert_int_eq(qio_channel_write_all(full, page, sizeof(page), &err),
                     -1);
    ck_assert_str_eq(err->message,
                     "Unable to write to file: No space left on device");
    g_clear_error(&err);
    ck_assert_int_eq(qio_channel_shutdown(full, QIO_CHANNEL_SHUTDOWN_BOTH,
                                          &err), -1);
    ck_assert_str_eq(err->message, "Data path shutdown not supported");
}
END_TEST

static gboolean pipe_watch_cb(QIOChannel *ioc, GIOCondition cond,
                              gpointer data)
{
    char c;

    ck_assert(cond & G_IO_IN);
    ck_assert_int_eq(qio_channel_read(ioc, &c, 1, NULL), 1);
    *(char *)data = c;
    return G_SOURCE_REMOVE;
}

START_TEST(test_file_pipe_watch)
{
    int fds[2];
    g_autoptr(QIOChannel) rd = NULL;
    g_autoptr(QIOChannel) wr = NULL;
    g_autoptr(GMainContext) ctx = g_main_context_new();
    GSource *src;
    char got = 0;
    char c;

    ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
    rd = qio_channel_new_fd(fds[0], NULL);
    wr = qio_channel_new_fd(fds[1], NULL);
    ck_assert(!qio_channel_has_feature(rd, QIO_CHANNEL_FEATURE_SEEKABLE));
    ck_assert_int_eq(qio_channel_set_blocking(rd, false, NULL), 0);
    ck_assert_int_eq(qio_channel_read(rd, &c, 1, NULL),
                     QIO_CHANNEL_ERR_BLOCK);

    src = qio_channel_create_watch(rd, G_IO_IN);
    g_source_set_callback(src, G_SOURCE_FUNC(pipe_watch_cb), &got, NULL);
    g_source_attach(src, ctx);
    ck_assert(!g_main_context_iteration(ctx, FALSE));
    ck_assert_int_eq(qio_channel_write_all(wr, "z", 1, NULL), 0);
    while (!got) {
        g_main_context_iteration(ctx, TRUE);
    }
    ck_assert_int_eq(got, 'z');
    ck_assert(g_source_is_destroyed(src));
    g_source_unref(src);
}
END_TEST

static Suite *io_file_suite(void)
{
    Suite *s = suite_create("io-file");
    TCase *tc;

    tc = tcase_create("io");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_file_read_write);
    tcase_add_test(tc, test_file_positional);
    tcase_add_test(tc, test_file_direct);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_file_errors);
    suite_add_tcase(s, tc);
    tc = tcase_create("watch");
    tcase_add_test(tc, test_file_pipe_watch);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(io_file_suite)
