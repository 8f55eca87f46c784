/*
 * test-guest-disk.c: the disk workload's self-checking blocks: a written
 * block checks with its generation, a zero block reads as never written,
 * and a torn, flipped or misplaced block is detected.
 */
#include "util/osdep.h"
#include "system/guest-disk.h"
#include "tern-check.h"

START_TEST(test_roundtrip)
{
    uint8_t buf[GUEST_DISK_BLOCK_SIZE];

    for (uint64_t gen = 1; gen < 5; gen++) {
        guest_disk_block_fill(buf, 42, 7, gen);
        ck_assert_int_eq(guest_disk_block_check(buf, 7), gen);
    }
}
END_TEST

START_TEST(test_zero_block)
{
    uint8_t buf[GUEST_DISK_BLOCK_SIZE] = { 0 };

    ck_assert_int_eq(guest_disk_block_check(buf, 0), 0);
    buf[100] = 1;
    ck_assert_int_eq(guest_disk_block_check(buf, 0), -1);
}
END_TEST

START_TEST(test_seed_changes_content)
{
    uint8_t a[GUEST_DISK_BLOCK_SIZE], b[GUEST_DISK_BLOCK_SIZE];

    guest_disk_block_fill(a, 1, 3, 1);
    guest_disk_block_fill(b, 2, 3, 1);
    ck_assert(memcmp(a, b, sizeof(a)) != 0);
    guest_disk_block_fill(b, 1, 3, 1);
    ck_assert(memcmp(a, b, sizeof(a)) == 0);
}
END_TEST

START_TEST(test_misplaced)
{
    uint8_t buf[GUEST_DISK_BLOCK_SIZE];

    guest_disk_block_fill(buf, 9, 5, 2);
    ck_assert_int_eq(guest_disk_block_check(buf, 6), -1);
}
END_TEST

START_TEST(test_every_flip_detected)
{
    uint8_t buf[GUEST_DISK_BLOCK_SIZE];

    guest_disk_block_fill(buf, 9, 5, 2);
    for (size_t bit = 0; bit < sizeof(buf) * 8; bit += 61) {
        buf[bit / 8] ^= 1 << (bit % 8);
        ck_assert_int_eq(guest_disk_block_check(buf, 5), -1);
        buf[bit / 8] ^= 1 << (bit % 8);
    }
    ck_assert_int_eq(guest_disk_block_check(buf, 5), 2);
}
END_TEST

START_TEST(test_torn)
{
    uint8_t a[GUEST_DISK_BLOCK_SIZE], b[GUEST_DISK_BLOCK_SIZE];

    /* The first half of generation 3 over the second half of 2. */
    guest_disk_block_fill(a, 9, 5, 3);
    guest_disk_block_fill(b, 9, 5, 2);
    memcpy(b, a, sizeof(a) / 2);
    ck_assert_int_eq(guest_disk_block_check(b, 5), -1);
}
END_TEST

static Suite *guest_disk_suite(void)
{
    Suite *s = suite_create("guest-disk");
    TCase *tc;

    tc = tcase_create("blocks");
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_zero_block);
    tcase_add_test(tc, test_seed_changes_content);
    suite_add_tcase(s, tc);

    tc = tcase_create("corruption");
    tcase_add_test(tc, test_misplaced);
    tcase_add_test(tc, test_every_flip_detected);
    tcase_add_test(tc, test_torn);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(guest_disk_suite)
