/*
 * test-crc32c.c: CRC-32C known vectors, the hardware and table versions
 * agree on every length and alignment, and chaining.
 */
#include "util/osdep.h"
#include "util/crc32c.h"
#include "tern-check.h"

typedef struct Crc32cVector {
    const char *data;
    size_t len;
    uint32_t crc;
} Crc32cVector;

/* RFC 3720 B.4 (iSCSI) vectors and the usual check value. */
static const uint8_t rfc3720_inc[32] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};

static void check_vectors(uint32_t (*fn)(uint32_t, const void *, size_t))
{
    uint8_t zeros[32] = { 0 };
    uint8_t ones[32];
    uint8_t dec[32];

    memset(ones, 0xff, sizeof(ones));
    for (int i = 0; i < 32; i++) {
        dec[i] = 31 - i;
    }
    ck_assert_uint_eq(fn(0, "123456789", 9), 0xE3069283);
    ck_assert_uint_eq(fn(0, "", 0), 0);
    ck_assert_uint_eq(fn(0, zeros, 32), 0x8A9136AA);
    ck_assert_uint_eq(fn(0, ones, 32), 0x62A8AB43);
    ck_assert_uint_eq(fn(0, rfc3720_inc, 32), 0x46DD794E);
    ck_assert_uint_eq(fn(0, dec, 32), 0x113FDB5C);
}

START_TEST(test_vectors_table)
{
    check_vectors(crc32c_table);
}
END_TEST

START_TEST(test_vectors_default)
{
    check_vectors(crc32c);
}
END_TEST

START_TEST(test_vectors_hw)
{
    if (!crc32c_hw_available()) {
        return;
    }
    check_vectors(crc32c_hw);
}
END_TEST

/* Every length 0..300 at every alignment 0..15: all versions agree. */
START_TEST(test_agree_unaligned)
{
    g_autofree uint8_t *buf = g_malloc(512);
    GRand *rand = g_rand_new_with_seed(42);

    for (int i = 0; i < 512; i++) {
        buf[i] = g_rand_int(rand);
    }
    for (size_t off = 0; off < 16; off++) {
        for (size_t len = 0; len <= 300; len++) {
            uint32_t t = crc32c_table(0, buf + off, len);

            ck_assert_uint_eq(crc32c(0, buf + off, len), t);
            if (crc32c_hw_available()) {
                ck_assert_uint_eq(crc32c_hw(0, buf + off, len), t);
            }
        }
    }
    g_rand_free(rand);
}
END_TEST

/* Big buffers around the hardware version's 3 x 8 KiB rounds. */
START_TEST(test_agree_large)
{
    size_t max = 3 * 3 * 8192 + 64;
    g_autofree uint8_t *buf = g_malloc(max + 8);
    static const size_t lens[] = {
        3 * 8192 - 1, 3 * 8192, 3 * 8192 + 1, 2 * 3 * 8192 + 7,
        3 * 3 * 8192 + 64,
    };
    GRand *rand = g_rand_new_with_seed(7);

    for (size_t i = 0; i < max + 8; i++) {
        buf[i] = g_rand_int(rand);
    }
    for (size_t off = 0; off < 8; off += 3) {
        for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
            uint32_t t = crc32c_table(0x12345678, buf + off, lens[i]);

            ck_assert_uint_eq(crc32c(0x12345678, buf + off, lens[i]), t);
            if (crc32c_hw_available()) {
                ck_assert_uint_eq(crc32c_hw(0x12345678, buf + off, lens[i]),
                                  t);
            }
        }
    }
    g_rand_free(rand);
}
END_TEST

/* crc(a ++ b) == crc(crc(a), b), for every split point. */
START_TEST(test_chaining)
{
    const char *text = "The quick brown fox jumps over the lazy dog";
    size_t len = strlen(text);
    uint32_t whole = crc32c(0, text, len);

    ck_assert_uint_eq(whole, 0x22620404);
    for (size_t split = 0; split <= len; split++) {
        uint32_t a = crc32c(0, text, split);

        ck_assert_uint_eq(crc32c(a, text + split, len - split), whole);
        ck_assert_uint_eq(crc32c_table(crc32c_table(0, text, split),
                                       text + split, len - split), whole);
    }
}
END_TEST

/* A large buffer: a single flipped bit always changes the CRC. */
START_TEST(test_bit_flip)
{
    size_t len = 1 << 16;
    g_autofree uint8_t *buf = g_malloc0(len);
    uint32_t base = crc32c(0, buf, len);

    for (size_t bit = 0; bit < len * 8; bit += 4099) {
        buf[bit / 8] ^= 1 << (bit % 8);
        ck_assert_uint_ne(crc32c(0, buf, len), base);
        ck_assert_uint_eq(crc32c_table(0, buf, len), crc32c(0, buf, len));
        buf[bit / 8] ^= 1 << (bit % 8);
    }
}
END_TEST

static Suite *crc32c_suite(void)
{
    Suite *s = suite_create("crc32c");
    TCase *tc;

    tc = tcase_create("vectors");
    tcase_add_test(tc, test_vectors_table);
    tcase_add_test(tc, test_vectors_default);
    tcase_add_test(tc, test_vectors_hw);
    suite_add_tcase(s, tc);

    tc = tcase_create("agree");
    tcase_add_test(tc, test_agree_unaligned);
    tcase_add_test(tc, test_agree_large);
    tcase_add_test(tc, test_bit_flip);
    suite_add_tcase(s, tc);

    tc = tcase_create("chaining");
    tcase_add_test(tc, test_chaining);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(crc32c_suite)
