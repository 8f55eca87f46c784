/*
 * test-io-buffer.c: the memory channel and the generic whole-transfer
 * helpers that run over it.
 */
#include "util/osdep.h"

#include "io/channel-buffer.h"
#include "util/error.h"
#include "tern-check.h"

START_TEST(test_buffer_round_trip)
{
    g_autoptr(QIOChannel) ioc = qio_channel_buffer_new(4);
    const char *parts[] = { "hello ", "", "buffer ", "world" };
    struct iovec iov[4];
    char out[32] = "";
    const uint8_t *data;
    size_t len;

    for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
        iov[i].iov_base = (char *)parts[i];
        iov[i].iov_len = strlen(parts[i]);
    }
    ck_assert_int_eq(qio_channel_writev_all(ioc, iov, 4, NULL), 0);
    data = qio_channel_buffer_data(ioc, &len);
    ck_assert_uint_eq(len, 18);
    ck_assert(memcmp(data, "hello buffer world", 18) == 0);

    qio_channel_buffer_rewind(ioc);
    ck_assert_int_eq(qio_channel_read_all(ioc, out, 18, NULL), 0);
    ck_assert_str_eq(out, "hello buffer world");
    ck_assert_str_eq(qio_channel_get_name(ioc), "buffer");
    qio_channel_set_name(ioc, "state");
    ck_assert_str_eq(qio_channel_get_name(ioc), "state");
}
END_TEST

START_TEST(test_buffer_eof)
{
    static const uint8_t bytes[] = { 1, 2, 3 };
    g_autoptr(QIOChannel) ioc = qio_channel_buffer_new_data(bytes, 3);
    g_autoptr(GError) err = NULL;
    char out[8];

    ck_assert_int_eq(qio_channel_read(ioc, out, sizeof(out), NULL), 3);
    ck_assert_int_eq(qio_channel_read(ioc, out, sizeof(out), NULL), 0);
    ck_assert_int_eq(qio_channel_read_all_eof(ioc, out, 2, NULL), 0);

    qio_channel_buffer_rewind(ioc);
    ck_assert_int_eq(qio_channel_read_all(ioc, out, 4, &err), -1);
    ck_assert_str_eq(err->message,
                     "Unexpected end-of-file before all data were read");
    g_clear_error(&err);

    qio_channel_buffer_rewind(ioc);
    ck_assert_int_eq(qio_channel_read_all_eof(ioc, out, 5, &err), -1);
    ck_assert_ptr_nonnull(err);
    g_clear_error(&err);

    /* Read-only: writes fail cleanly. */
    ck_assert_int_eq(qio_channel_write(ioc, "x", 1, &err), -1);
    ck_assert_ptr_nonnull(err);
}
END_TEST

START_TEST(test_buffer_positional)
{
    g_autoptr(QIOChannel) ioc = qio_channel_buffer_new(0);
    struct iovec iov = { .iov_base = "abcd", .iov_len = 4 };
    char out[8] = "";
    struct iovec rd = { .iov_base = out, .iov_len = sizeof(out) };
    size_t len;
    const uint8_t *data;

    ck_assert(qio_channel_has_feature(ioc, QIO_CHANNEL_FEATURE_SEEKABLE));
    ck_assert(!qio_channel_has_feature(ioc, QIO_CHANNEL_FEATURE_SHUTDOWN));
    ck_assert_int_eq(qio_channel_pwritev(ioc, &iov, 1, 4, NULL), 4);
    data = qio_channel_buffer_data(ioc, &len);
    ck_assert_uint_eq(len, 8);
    ck_assert(memcmp(data, "\0\0\0\0abcd", 8) == 0);
    ck_assert_int_eq(qio_channel_preadv(ioc, &rd, 1, 6, NULL), 2);
    ck_assert(memcmp(out, "cd", 2) == 0);
    ck_assert_int_eq(qio_channel_io_seek(ioc, -2, SEEK_END, NULL), 6);
    ck_assert_int_eq(qio_channel_read(ioc, out, 8, NULL), 2);
    ck_assert_int_eq(qio_channel_io_seek(ioc, -20, SEEK_CUR, NULL), -1);
}
END_TEST

START_TEST(test_buffer_close)
{
    g_autoptr(QIOChannel) ioc = qio_channel_buffer_new(16);
    g_autoptr(GError) err = NULL;
    char c;

    ck_assert_int_eq(qio_channel_write_all(ioc, "x", 1, NULL), 0);
    ck_assert_int_eq(qio_channel_close(ioc, NULL), 0);
    ck_assert_int_eq(qio_channel_close(ioc, NULL), 0);
    ck_assert_int_eq(qio_channel_read(ioc, &c, 1, &err), -1);
    ck_assert_str_eq(err->message, "Channel 'buffer' is closed");
    g_clear_error(&err);
    ck_assert_int_eq(qio_channel_shutdown(ioc, QIO_CHANNEL_SHUTDOWN_BOTH,
                                          &err), -1);
    ck_assert_str_eq(err->message, "Data path shutdown not supported");
}
END_TEST

static gboolean buffer_watch_cb(QIOChannel *ioc, GIOCondition cond,
                                gpointer data)
{
    (*(int *)data)++;
    return G_SOURCE_REMOVE;
}

START_TEST(test_buffer_watch)
{
    g_autoptr(QIOChannel) ioc = qio_channel_buffer_new(16);
    int fired = 0;

    qio_channel_add_watch(ioc, G_IO_IN, buffer_watch_cb, &fired, NULL);
    while (g_main_context_iteration(NULL, FALSE)) {
        /* run until idle */
    }
    ck_assert_int_eq(fired, 1);
    qio_channel_wait(ioc, G_IO_IN);
}
END_TEST

static Suite *io_buffer_suite(void)
{
    Suite *s = suite_create("io-buffer");
    TCase *tc;

    tc = tcase_create("round-trip");
    tcase_add_test(tc, test_buffer_round_trip);
    tcase_add_test(tc, test_buffer_positional);
    suite_add_tcase(s, tc);
    tc = tcase_create("eof");
    tcase_add_test(tc, test_buffer_eof);
    tcase_add_test(tc, test_buffer_close);
    suite_add_tcase(s, tc);
    tc = tcase_create("watch");
    tcase_add_test(tc, test_buffer_watch);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(io_buffer_suite)
