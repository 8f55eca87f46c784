/*
 * test-hbitmap.c: HBitmap at several granularities and sizes.
 */
#include "util/osdep.h"
#include "util/hbitmap.h"
#include "tern-check.h"

START_TEST(test_set_reset_count)
{
    int gran = _i;      /* loop test: granularity 0, 9, 16 */
    uint64_t g = 1ULL << gran;
    HBitmap *hb = hbitmap_alloc(1000 * g + 7, gran);

    ck_assert_uint_eq(hbitmap_count(hb), 0);
    hbitmap_set(hb, 10 * g, g);
    ck_assert_uint_eq(hbitmap_count(hb), g);
    ck_assert(hbitmap_get(hb, 10 * g));
    ck_assert(!hbitmap_get(hb, 11 * g));
    /* an unaligned range marks every bit it touches */
    hbitmap_set(hb, 20 * g + (g > 1 ? 1 : 0), g);
    ck_assert_uint_eq(hbitmap_count(hb), g > 1 ? 3 * g : 2 * g);
    hbitmap_reset(hb, 0, 1000 * g + 7);
    ck_assert_uint_eq(hbitmap_count(hb), 0);
    /* the last bit covers only up to the size */
    hbitmap_set(hb, 1000 * g, 100 * g);
    ck_assert_uint_eq(hbitmap_count(hb), 7);
    hbitmap_set(hb, 0, UINT64_MAX);
    ck_assert_uint_eq(hbitmap_count(hb), 1000 * g + 7);
    hbitmap_reset_all(hb);
    ck_assert_uint_eq(hbitmap_count(hb), 0);
    hbitmap_free(hb);
}
END_TEST

START_TEST(test_iterate)
{
    int gran = _i;
    uint64_t g = 1ULL << gran;
    uint64_t size = 100000 * g;
    HBitmap *hb = hbitmap_alloc(size, gran);
    uint64_t marks[] = { 3, 64, 65, 4095, 4096, 70000, 99999 };
    int64_t pos = 0;
    size_t i;

    ck_assert_int_eq(hbitmap_next_dirty(hb, 0, size), -1);
    ck_assert_int_eq(hbitmap_next_zero(hb, 5, size), 5);
    for (i = 0; i < ARRAY_SIZE(marks); i++) {
        hbitmap_set(hb, marks[i] * g, g);
    }
    for (i = 0; i < ARRAY_SIZE(marks); i++) {
        pos = hbitmap_next_dirty(hb, pos, size - pos);
        ck_assert_int_eq(pos, marks[i] * g);
        pos += g;
    }
    ck_assert_int_eq(hbitmap_next_dirty(hb, pos, size), -1);
    /* a window that ends before the next dirty bit */
    ck_assert_int_eq(hbitmap_next_dirty(hb, 66 * g, 100 * g), -1);
    /* a start inside a dirty bit is returned as is */
    if (g > 1) {
        ck_assert_int_eq(hbitmap_next_dirty(hb, 3 * g + 1, g), 3 * g + 1);
    }
    ck_assert_int_eq(hbitmap_next_zero(hb, 64 * g, size), 66 * g);
    hbitmap_set(hb, 0, size);
    ck_assert_int_eq(hbitmap_next_zero(hb, 0, size), -1);
    hbitmap_free(hb);
}
END_TEST

START_TEST(test_big)
{
    /* 4 TiB at 64 KiB granularity: 64 Mi bits */
    uint64_t size = 4ULL << 40;
    HBitmap *hb = hbitmap_alloc(size, 16);

    hbitmap_set(hb, size - 1, 1);
    hbitmap_set(hb, 1ULL << 40, 1ULL << 30);
    ck_assert_int_eq(hbitmap_next_dirty(hb, 0, size), 1ULL << 40);
    ck_assert_int_eq(hbitmap_next_dirty(hb, (1ULL << 40) + (1ULL << 30),
                                        size), size - 65536);
    ck_assert_uint_eq(hbitmap_count(hb), (1ULL << 30) + 65536);
    hbitmap_free(hb);
}
END_TEST

START_TEST(test_truncate_merge)
{
    HBitmap *a = hbitmap_alloc(1 << 20, 12);
    HBitmap *b = hbitmap_alloc(1 << 20, 12);
    HBitmap *c = hbitmap_alloc(1 << 19, 12);

    hbitmap_set(a, 0, 4096);
    hbitmap_set(b, 1 << 19, 4096);
    ck_assert(hbitmap_merge(a, b));
    ck_assert_uint_eq(hbitmap_count(a), 8192);
    ck_assert(!hbitmap_merge(a, c));
    hbitmap_truncate(a, 1 << 19);
    ck_assert_uint_eq(hbitmap_count(a), 4096);
    ck_assert_int_eq(hbitmap_next_dirty(a, 4096, 1 << 20), -1);
    hbitmap_truncate(a, 1 << 21);
    ck_assert_uint_eq(hbitmap_size(a), 1 << 21);
    ck_assert_uint_eq(hbitmap_count(a), 4096);
    hbitmap_set(a, (1 << 21) - 1, 1);
    ck_assert_uint_eq(hbitmap_count(a), 8192);
    hbitmap_free(a);
    hbitmap_free(b);
    hbitmap_free(c);
}
END_TEST

static Suite *hbitmap_suite(void)
{
    Suite *s = suite_create("hbitmap");
    TCase *tc;

    tc = tcase_create("set-reset");
    tcase_add_loop_test(tc, test_set_reset_count, 0, 1);
    tcase_add_loop_test(tc, test_set_reset_count, 9, 10);
    tcase_add_loop_test(tc, test_set_reset_count, 16, 17);
    suite_add_tcase(s, tc);
    tc = tcase_create("iterate");
    tcase_add_loop_test(tc, test_iterate, 0, 1);
    tcase_add_loop_test(tc, test_iterate, 9, 10);
    tcase_add_loop_test(tc, test_iterate, 16, 17);
    tcase_add_test(tc, test_big);
    suite_add_tcase(s, tc);
    tc = tcase_create("truncate-merge");
    tcase_add_test(tc, test_truncate_merge);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(hbitmap_suite)
