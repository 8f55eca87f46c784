/*
 * test-iov.c: QEMUIOVector.
 */
#include "util/osdep.h"
#include "util/iov.h"
#include "tern-check.h"

START_TEST(test_concat)
{
    uint8_t a[10], b[20], out[30];
    QEMUIOVector src, dst;
    size_t i;

    for (i = 0; i < 10; i++) {
        a[i] = i;
    }
    for (i = 0; i < 20; i++) {
        b[i] = 10 + i;
    }
    qemu_iovec_init(&src, 1);
    qemu_iovec_add(&src, a, sizeof(a));
    qemu_iovec_add(&src, b, sizeof(b));
    ck_assert_uint_eq(src.size, 30);
    qemu_iovec_init(&dst, 1);
    qemu_iovec_concat(&dst, &src, 5, 20);
    ck_assert_uint_eq(dst.size, 20);
    ck_assert_int_eq(dst.niov, 2);
    ck_assert_uint_eq(qemu_iovec_to_buf(&dst, 0, out, 20), 20);
    for (i = 0; i < 20; i++) {
        ck_assert_uint_eq(out[i], 5 + i);
    }
    qemu_iovec_reset(&dst);
    ck_assert_uint_eq(dst.size, 0);
    qemu_iovec_destroy(&dst);
    qemu_iovec_destroy(&src);
}
END_TEST

START_TEST(test_to_from_buf)
{
    uint8_t a[7], b[9], in[16], out[16];
    QEMUIOVector q;
    size_t i;

    qemu_iovec_init(&q, 0);
    qemu_iovec_add(&q, a, sizeof(a));
    qemu_iovec_add(&q, b, sizeof(b));
    for (i = 0; i < 16; i++) {
        in[i] = 0xa0 + i;
    }
    ck_assert_uint_eq(qemu_iovec_from_buf(&q, 0, in, 16), 16);
    ck_assert_uint_eq(b[0], 0xa7);
    /* partial, crossing the element boundary, clipped at the end */
    memset(out, 0, sizeof(out));
    ck_assert_uint_eq(qemu_iovec_to_buf(&q, 5, out, 100), 11);
    ck_assert_mem_eq(out, in + 5, 11);
    qemu_iovec_destroy(&q);
}
END_TEST

START_TEST(test_memset_is_zero)
{
    g_autofree uint8_t *buf = g_malloc(8192);
    QEMUIOVector q;

    memset(buf, 0x55, 8192);
    qemu_iovec_init(&q, 2);
    qemu_iovec_add(&q, buf, 3000);
    qemu_iovec_add(&q, buf + 3000, 5192);
    ck_assert(!qemu_iovec_is_zero(&q, 0, 8192));
    ck_assert_uint_eq(qemu_iovec_memset(&q, 1000, 0, 4000), 4000);
    ck_assert(qemu_iovec_is_zero(&q, 1000, 4000));
    ck_assert(!qemu_iovec_is_zero(&q, 999, 2));
    ck_assert(!qemu_iovec_is_zero(&q, 4999, 2));
    ck_assert_uint_eq(buf[999], 0x55);
    ck_assert_uint_eq(buf[5000], 0x55);
    ck_assert(iov_buffer_is_zero(buf + 1000, 4000));
    ck_assert(iov_buffer_is_zero(buf, 0));
    buf[4999] = 1;
    ck_assert(!iov_buffer_is_zero(buf + 1000, 4000));
    qemu_iovec_destroy(&q);
}
END_TEST

START_TEST(test_init_buf)
{
    uint8_t buf[64] = { 0 };
    QEMUIOVector q;

    qemu_iovec_init_buf(&q, buf, sizeof(buf));
    ck_assert_int_eq(q.niov, 1);
    ck_assert_uint_eq(q.size, 64);
    ck_assert_ptr_eq(q.iov[0].iov_base, buf);
    qemu_iovec_memset(&q, 10, 0xff, 4);
    ck_assert_uint_eq(buf[13], 0xff);
    ck_assert_uint_eq(buf[14], 0);
    qemu_iovec_destroy(&q);
}
END_TEST

static Suite *iov_suite(void)
{
    Suite *s = suite_create("iov");
    TCase *tc;

    tc = tcase_create("concat");
    tcase_add_test(tc, test_concat);
    tcase_add_test(tc, test_init_buf);
    suite_add_tcase(s, tc);
    tc = tcase_create("copy");
    tcase_add_test(tc, test_to_from_buf);
    tcase_add_test(tc, test_memset_is_zero);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(iov_suite)
