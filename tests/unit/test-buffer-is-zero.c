/*
 * test-buffer-is-zero.c: zero-page detection.  Every implementation the
 * CPU runs is checked on every length 0..4160 at several alignments, with
 * a single non-zero byte at every position, against the scalar version.
 */
#include "util/osdep.h"
#include "util/buffer-is-zero.h"
#include "tern-check.h"

#define MAX_LEN 4160
#define MAX_ALIGN 64

/* A zeroed buffer with guard bytes of 0xff around the tested range. */
static uint8_t *guarded_buffer(void)
{
    uint8_t *buf = g_aligned_alloc0(1, MAX_LEN + 2 * MAX_ALIGN + 64, 64);

    return buf;
}

static void check_accel_all_lengths(BufferZeroAccel accel)
{
    uint8_t *buf = guarded_buffer();
    static const size_t aligns[] = { 0, 1, 7, 8, 15, 16, 31, 32, 33, 63 };

    for (size_t a = 0; a < ARRAY_SIZE(aligns); a++) {
        uint8_t *p = buf + MAX_ALIGN + aligns[a];

        /* Non-zero bytes just outside the range must not matter. */
        p[-1] = 0xff;
        for (size_t len = 0; len <= MAX_LEN; len++) {
            p[len] = 0xff;
            ck_assert_msg(buffer_is_zero_accel(accel, p, len),
                          "%s: zero buffer len %zu align %zu not zero",
                          buffer_is_zero_accel_name(accel), len, aligns[a]);
            p[len] = 0;
        }
        p[-1] = 0;
    }
    g_aligned_free(buf);
}

/* One non-zero byte at every position of buffers of many lengths. */
static void check_accel_single_byte(BufferZeroAccel accel)
{
    uint8_t *buf = guarded_buffer();

    for (size_t align = 0; align < 22; align += 11) {
        uint8_t *p = buf + MAX_ALIGN + align;

        for (size_t len = 1; len <= MAX_LEN; len += (len < 300 ? 1 : 127)) {
            for (size_t pos = 0; pos < len; pos++) {
                p[pos] = (uint8_t)(1u << (pos % 8));
                ck_assert_msg(!buffer_is_zero_accel(accel, p, len),
                              "%s: len %zu align %zu byte %zu missed",
                              buffer_is_zero_accel_name(accel), len, align,
                              pos);
                p[pos] = 0;
            }
        }
    }
    g_aligned_free(buf);
}

START_TEST(test_zero_all_lengths)
{
    for (int i = 0; i < BUFFER_ZERO__MAX; i++) {
        if (buffer_is_zero_accel_supported(i)) {
            check_accel_all_lengths(i);
        }
    }
}
END_TEST

START_TEST(test_single_byte)
{
    for (int i = 0; i < BUFFER_ZERO__MAX; i++) {
        if (buffer_is_zero_accel_supported(i)) {
            check_accel_single_byte(i);
        }
    }
}
END_TEST

/* Pages of pseudo-random content: every version agrees with scalar. */
START_TEST(test_agree_random)
{
    GRand *rand = g_rand_new_with_seed(42);
    uint8_t *buf = guarded_buffer();

    for (int iter = 0; iter < 2000; iter++) {
        size_t len = g_rand_int_range(rand, 0, MAX_LEN + 1);
        size_t off = g_rand_int_range(rand, 0, MAX_ALIGN);
        uint8_t *p = buf + off;
        bool expect;

        memset(buf, 0, MAX_LEN + MAX_ALIGN);
        if (len && g_rand_boolean(rand)) {
            p[g_rand_int_range(rand, 0, len)] = g_rand_int_range(rand, 1, 256);
        }
        expect = buffer_is_zero_accel(BUFFER_ZERO_SCALAR, p, len);
        ck_assert_int_eq(buffer_is_zero(p, len), expect);
        for (int i = 0; i < BUFFER_ZERO__MAX; i++) {
            if (buffer_is_zero_accel_supported(i)) {
                ck_assert_int_eq(buffer_is_zero_accel(i, p, len), expect);
            }
        }
    }
    g_aligned_free(buf);
    g_rand_free(rand);
}
END_TEST

/* The dispatcher: a 4 KiB page, zero and with its last byte set. */
START_TEST(test_default_page)
{
    uint8_t *page = g_aligned_alloc0(1, 4096, 4096);

    ck_assert(buffer_is_zero(page, 4096));
    ck_assert(buffer_is_zero(page, 0));
    page[4095] = 1;
    ck_assert(!buffer_is_zero(page, 4096));
    ck_assert(buffer_is_zero(page, 4095));
    page[4095] = 0;
    page[0] = 0x80;
    ck_assert(!buffer_is_zero(page, 4096));
    ck_assert(buffer_is_zero(page + 1, 4095));
    g_aligned_free(page);
}
END_TEST

START_TEST(test_supported)
{
    ck_assert(buffer_is_zero_accel_supported(BUFFER_ZERO_SCALAR));
    ck_assert(!buffer_is_zero_accel_supported(BUFFER_ZERO__MAX));
#if defined(__x86_64__)
    ck_assert(buffer_is_zero_accel_supported(BUFFER_ZERO_SSE2));
#endif
    ck_assert_str_eq(buffer_is_zero_accel_name(BUFFER_ZERO_AVX2), "avx2");
}
END_TEST

static Suite *buffer_is_zero_suite(void)
{
    Suite *s = suite_create("buffer-is-zero");
    TCase *tc;

    tc = tcase_create("lengths");
    tcase_add_test(tc, test_zero_all_lengths);
    tcase_add_test(tc, test_default_page);
    suite_add_tcase(s, tc);

    tc = tcase_create("nonzero");
    tcase_add_test(tc, test_single_byte);
    suite_add_tcase(s, tc);

    tc = tcase_create("agree");
    tcase_add_test(tc, test_agree_random);
    tcase_add_test(tc, test_supported);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(buffer_is_zero_suite)
