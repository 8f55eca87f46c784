/*
 * test-qemu-file.c: the buffered migration stream: put/get round trips,
 * zero-copy ordering, sticky errors, end of stream, CRC32C.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "io/channel-buffer.h"
#include "io/channel-impl.h"
#include "migration/qemu-file.h"
#include "tern-check.h"

/*
 * A test channel: keeps what is written and each writev's iovecs, fails
 * write number fail_write (1-based; 0 never) with ENOSPC, and serves reads
 * at most chunk bytes at a time from data.
 */
typedef struct TestChannel {
    QIOChannel parent;
    GByteArray *data;
    GPtrArray *writes;      /* GArray of struct iovec copies, per writev */
    unsigned nwrites;
    unsigned fail_write;
    size_t read_pos;
    size_t chunk;
} TestChannel;

static ssize_t test_readv(QIOChannel *ioc, const struct iovec *iov,
                          size_t niov, int **fds, size_t *nfds,
                          GError **errp)
{
    TestChannel *tc = (TestChannel *)ioc;
    size_t n = MIN(iov[0].iov_len, tc->data->len - tc->read_pos);

    n = MIN(n, tc->chunk);
    memcpy(iov[0].iov_base, tc->data->data + tc->read_pos, n);
    tc->read_pos += n;
    return n;
}

static ssize_t test_writev(QIOChannel *ioc, const struct iovec *iov,
                           size_t niov, int *fds, size_t nfds,
                           GError **errp)
{
    TestChannel *tc = (TestChannel *)ioc;
    GArray *w = g_array_new(false, false, sizeof(struct iovec));
    ssize_t total = 0;

    if (++tc->nwrites == tc->fail_write) {
        g_array_free(w, true);
        error_setg_errno(errp, ENOSPC, "cannot write");
        return -1;
    }
    g_array_append_vals(w, iov, niov);
    g_ptr_array_add(tc->writes, w);
    for (size_t i = 0; i < niov; i++) {
        g_byte_array_append(tc->data, iov[i].iov_base, iov[i].iov_len);
        total += iov[i].iov_len;
    }
    return total;
}

static int test_close(QIOChannel *ioc, GError **errp)
{
    return 0;
}

static void test_finalize(QIOChannel *ioc)
{
    TestChannel *tc = (TestChannel *)ioc;

    g_byte_array_unref(tc->data);
    g_ptr_array_unref(tc->writes);
}

static const QIOChannelOps test_channel_ops = {
    .kind = "test",
    .io_readv = test_readv,
    .io_writev = test_writev,
    .io_close = test_close,
    .io_finalize = test_finalize,
};

static TestChannel *test_channel_new(void)
{
    TestChannel *tc = g_new0(TestChannel, 1);

    qio_channel_init(&tc->parent, &test_channel_ops);
    tc->data = g_byte_array_new();
    tc->writes = g_ptr_array_new_with_free_func(
        (GDestroyNotify)g_array_unref);
    tc->chunk = SIZE_MAX;
    return tc;
}

/* An input stream over a copy of @data. */
static QEMUFile *input_over(const uint8_t *data, size_t len)
{
    QIOChannel *ioc = qio_channel_buffer_new_data(data, len);
    QEMUFile *f = qemu_file_new_input(ioc);

    qio_channel_unref(ioc);
    return f;
}

static void put_all_types(QEMUFile *f)
{
    qemu_put_byte(f, 0xab);
    qemu_put_be16(f, 0x1234);
    qemu_put_be32(f, 0xdeadbeef);
    qemu_put_be64(f, 0x0123456789abcdefULL);
    qemu_put_counted_string(f, "pc.ram");
    qemu_put_counted_string(f, "");
    qemu_put_buffer(f, (const uint8_t *)"tail", 4);
}

static void get_all_types(QEMUFile *f)
{
    char s[256];
    uint8_t tail[4];

    ck_assert_uint_eq(qemu_get_byte(f), 0xab);
    ck_assert_uint_eq(qemu_get_be16(f), 0x1234);
    ck_assert_uint_eq(qemu_get_be32(f), 0xdeadbeef);
    ck_assert_uint_eq(qemu_get_be64(f), 0x0123456789abcdefULL);
    ck_assert(qemu_get_counted_string(f, s));
    ck_assert_str_eq(s, "pc.ram");
    ck_assert(qemu_get_counted_string(f, s));
    ck_assert_str_eq(s, "");
    ck_assert_uint_eq(qemu_get_buffer(f, tail, 4), 4);
    ck_assert(!memcmp(tail, "tail", 4));
}

START_TEST(test_round_trip_types)
{
    static const uint8_t expect[] = {
        0xab, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
        6, 'p', 'c', '.', 'r', 'a', 'm', 0, 't', 'a', 'i', 'l',
    };
    QIOChannel *ioc = qio_channel_buffer_new(16);
    QEMUFile *f = qemu_file_new_output(ioc);
    const uint8_t *data;
    size_t len;

    put_all_types(f);
    ck_assert_uint_eq(qemu_file_transferred(f), sizeof(expect));
    ck_assert(qemu_fclose(f, NULL));
    data = qio_channel_buffer_data(ioc, &len);
    ck_assert_uint_eq(len, sizeof(expect));
    ck_assert(!memcmp(data, expect, len));

    f = input_over(data, len);
    get_all_types(f);
    ck_assert_uint_eq(qemu_file_transferred(f), sizeof(expect));
    ck_assert(qemu_file_at_eof(f));
    ck_assert_int_eq(qemu_file_get_error(f), 0);
    ck_assert(qemu_fclose(f, NULL));
    qio_channel_unref(ioc);
}
END_TEST

/* Reads served one byte at a time, and big buffers either side of 64 KiB. */
START_TEST(test_round_trip_chunked)
{
    TestChannel *tc = test_channel_new();
    QEMUFile *f = qemu_file_new_output(&tc->parent);
    size_t sizes[] = { 1, 4095, 32768, 65536, 65537, 300000 };
    g_autofree uint8_t *big = g_malloc(300000);
    g_autofree uint8_t *back = g_malloc(300000);

    for (size_t i = 0; i < 300000; i++) {
        big[i] = i * 7 + (i >> 11);
    }
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        put_all_types(f);
        qemu_put_buffer(f, big, sizes[i]);
    }
    ck_assert(qemu_fclose(f, NULL));

    for (size_t chunk = 1; chunk <= 100000; chunk *= 317) {
        tc->read_pos = 0;
        tc->chunk = chunk;
        f = qemu_file_new_input(&tc->parent);
        for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
            get_all_types(f);
            ck_assert_uint_eq(qemu_get_buffer(f, back, sizes[i]), sizes[i]);
            ck_assert(!memcmp(back, big, sizes[i]));
        }
        ck_assert(qemu_file_at_eof(f));
        ck_assert(qemu_fclose(f, NULL));
    }
    qio_channel_unref(&tc->parent);
}
END_TEST

/*
 * Copied puts and zero-copy puts reach the channel in put order, the
 * zero-copy memory itself is handed to writev, and more pieces than one
 * writev holds still come out in order.
 */
START_TEST(test_nocopy_order)
{
    TestChannel *tc = test_channel_new();
    QEMUFile *f = qemu_file_new_output(&tc->parent);
    uint8_t pages[200][16];
    g_autoptr(GByteArray) expect = g_byte_array_new();
    bool seen_page0 = false;

    for (int i = 0; i < 200; i++) {
        uint8_t hdr = i;

        memset(pages[i], 0x80 + (i % 100), sizeof(pages[i]));
        qemu_put_byte(f, hdr);
        g_byte_array_append(expect, &hdr, 1);
        qemu_put_buffer_nocopy(f, pages[i], sizeof(pages[i]));
        g_byte_array_append(expect, pages[i], sizeof(pages[i]));
    }
    ck_assert_uint_eq(qemu_file_transferred(f), expect->len);
    qemu_fflush(f);
    ck_assert_int_eq(qemu_file_get_error(f), 0);
    ck_assert_uint_eq(tc->data->len, expect->len);
    ck_assert(!memcmp(tc->data->data, expect->data, expect->len));
    ck_assert_uint_gt(tc->writes->len, 1);
    for (guint w = 0; w < tc->writes->len; w++) {
        GArray *iovs = g_ptr_array_index(tc->writes, w);

        for (guint i = 0; i < iovs->len; i++) {
            struct iovec *v = &g_array_index(iovs, struct iovec, i);

            seen_page0 |= v->iov_base == (void *)pages[0];
        }
    }
    ck_assert(seen_page0);
    ck_assert(qemu_fclose(f, NULL));
    qio_channel_unref(&tc->parent);
}
END_TEST

/* The first write error sticks: later puts are dropped, close reports it. */
START_TEST(test_sticky_write_error)
{
    TestChannel *tc = test_channel_new();
    QEMUFile *f = qemu_file_new_output(&tc->parent);
    g_autofree uint8_t *big = g_malloc0(200000);
    GError *err = NULL;

    tc->fail_write = 2;
    qemu_put_buffer(f, big, 200000);
    ck_assert_int_lt(qemu_file_get_error(f), 0);
    ck_assert(qemu_file_get_error_obj(f, &err));
    ck_assert_ptr_nonnull(strstr(err->message, "No space left on device"));
    g_clear_error(&err);
    qemu_put_be32(f, 1);
    qemu_fflush(f);
    ck_assert_uint_eq(tc->nwrites, 2);
    ck_assert(!qemu_fclose(f, &err));
    ck_assert_ptr_nonnull(strstr(err->message, "cannot write migration "
                                 "stream"));
    g_error_free(err);
    qio_channel_unref(&tc->parent);
}
END_TEST

START_TEST(test_set_error_first_wins)
{
    QIOChannel *ioc = qio_channel_buffer_new(0);
    QEMUFile *f = qemu_file_new_output(ioc);
    GError *err = NULL;

    ck_assert(!qemu_file_get_error_obj(f, &err));
    ck_assert_ptr_null(err);
    error_setg(&err, "first");
    qemu_file_set_error(f, -EPIPE, err);
    err = NULL;
    error_setg(&err, "second");
    qemu_file_set_error(f, -EIO, err);
    err = NULL;
    ck_assert_int_eq(qemu_file_get_error(f), -EPIPE);
    ck_assert(!qemu_fclose(f, &err));
    ck_assert_str_eq(err->message, "first");
    g_error_free(err);
    qio_channel_unref(ioc);
}
END_TEST

/* Reading past the end: an error, zeroes, and nothing read after it. */
START_TEST(test_eof_error)
{
    static const uint8_t data[] = { 1, 2, 3 };
    QEMUFile *f = input_over(data, sizeof(data));
    GError *err = NULL;
    char s[256];

    ck_assert(!qemu_file_at_eof(f));
    ck_assert_uint_eq(qemu_get_be16(f), 0x0102);
    ck_assert_uint_eq(qemu_get_be32(f), 0);
    ck_assert(qemu_file_get_error_obj(f, &err));
    ck_assert_str_eq(err->message, "unexpected end of migration stream");
    g_clear_error(&err);
    ck_assert_uint_eq(qemu_get_byte(f), 0);
    ck_assert(!qemu_get_counted_string(f, s));
    ck_assert_str_eq(s, "");
    ck_assert(!qemu_fclose(f, NULL));

    /* A counted string whose length runs past the end. */
    f = input_over((const uint8_t *)"\x05" "ab", 3);
    ck_assert(!qemu_get_counted_string(f, s));
    ck_assert_str_eq(s, "");
    ck_assert(!qemu_fclose(f, NULL));

    f = input_over(data, 0);
    ck_assert(qemu_file_at_eof(f));
    ck_assert_int_eq(qemu_file_get_error(f), 0);
    ck_assert(qemu_fclose(f, NULL));
}
END_TEST

START_TEST(test_counted_string_max)
{
    QIOChannel *ioc = qio_channel_buffer_new(0);
    QEMUFile *f = qemu_file_new_output(ioc);
    char name[256];
    char back[256];
    const uint8_t *data;
    size_t len;

    memset(name, 'x', 255);
    name[255] = '\0';
    qemu_put_counted_string(f, name);
    ck_assert(qemu_fclose(f, NULL));
    data = qio_channel_buffer_data(ioc, &len);
    ck_assert_uint_eq(len, 256);
    f = input_over(data, len);
    ck_assert(qemu_get_counted_string(f, back));
    ck_assert_str_eq(back, name);
    ck_assert(qemu_fclose(f, NULL));
    qio_channel_unref(ioc);
}
END_TEST

/* A record with a CRC: good, then every byte flipped in turn. */
START_TEST(test_crc)
{
    QIOChannel *ioc = qio_channel_buffer_new(0);
    QEMUFile *f = qemu_file_new_output(ioc);
    static const uint8_t page[100] = { 9, 8, 7 };
    g_autofree uint8_t *copy = NULL;
    const uint8_t *data;
    size_t len;
    GError *err = NULL;

    qemu_put_byte(f, 0x55);         /* outside the CRC */
    qemu_file_crc_begin(f);
    qemu_put_be32(f, 42);
    qemu_put_buffer_nocopy(f, page, sizeof(page));
    qemu_file_put_crc(f);
    ck_assert(qemu_fclose(f, NULL));
    data = qio_channel_buffer_data(ioc, &len);
    ck_assert_uint_eq(len, 1 + 4 + 100 + 4);
    copy = g_memdup2(data, len);

    for (size_t flip = 0; flip <= len; flip++) {
        uint8_t got[100];
        bool ok;

        if (flip < len) {
            copy[flip] ^= 0x10;
        }
        f = input_over(copy, len);
        qemu_get_byte(f);
        qemu_file_crc_begin(f);
        qemu_get_be32(f);
        qemu_get_buffer(f, got, sizeof(got));
        ok = qemu_file_check_crc(f, &err);
        /* Byte 0 is outside the checksum; the rest is covered. */
        ck_assert_int_eq(ok, flip == 0 || flip == len);
        if (!ok) {
            ck_assert_ptr_nonnull(strstr(err->message, "migration stream "
                                         "checksum mismatch at offset 105"));
            g_clear_error(&err);
            ck_assert_int_lt(qemu_file_get_error(f), 0);
        }
        qemu_fclose(f, NULL);
        if (flip < len) {
            copy[flip] ^= 0x10;
        }
    }
    qio_channel_unref(ioc);
}
END_TEST

/* A truncated CRC is the end-of-stream error, not a mismatch. */
START_TEST(test_crc_truncated)
{
    QEMUFile *f = input_over((const uint8_t *)"\x01\x02\x03", 3);
    GError *err = NULL;

    qemu_file_crc_begin(f);
    qemu_get_byte(f);
    ck_assert(!qemu_file_check_crc(f, &err));
    ck_assert_str_eq(err->message, "unexpected end of migration stream");
    g_error_free(err);
    qemu_fclose(f, NULL);
}
END_TEST

static Suite *qemu_file_suite(void)
{
    Suite *s = suite_create("qemu-file");
    TCase *tc;

    tc = tcase_create("round-trip");
    tcase_add_test(tc, test_round_trip_types);
    tcase_add_test(tc, test_round_trip_chunked);
    tcase_add_test(tc, test_counted_string_max);
    suite_add_tcase(s, tc);

    tc = tcase_create("nocopy");
    tcase_add_test(tc, test_nocopy_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_sticky_write_error);
    tcase_add_test(tc, test_set_error_first_wins);
    tcase_add_test(tc, test_eof_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("crc");
    tcase_add_test(tc, test_crc);
    tcase_add_test(tc, test_crc_truncated);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(qemu_file_suite)
