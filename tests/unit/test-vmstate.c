/*
 * test-vmstate.c: device-state descriptions: every field type round
 * trips, the byte encoding, subsections, versions, hooks, bad input.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "io/channel-buffer.h"
#include "migration/qemu-file.h"
#include "migration/vmstate.h"
#include "tern-check.h"

typedef struct Inner {
    uint32_t a;
    int64_t b;
} Inner;

typedef struct Dev {
    bool flag;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int32_t i32;
    int64_t i64;
    uint8_t bytes[5];
    uint32_t words[3];
    uint64_t quads[2];
    char blob[7];
    Inner inner;
    uint32_t added_in_v2;
    uint64_t sub_value;
    bool sub_needed;
    uint32_t pre_save_calls;
    int post_load_version;
    bool fail_pre_save;
    bool fail_post_load;
} Dev;

static const VMStateDescription vmstate_inner = {
    .name = "inner",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(a, Inner),
        VMSTATE_INT64(b, Inner),
        VMSTATE_END,
    },
};

static bool dev_sub_needed(void *opaque)
{
    return ((Dev *)opaque)->sub_needed;
}

static const VMStateDescription vmstate_dev_sub = {
    .name = "dev/sub",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = dev_sub_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(sub_value, Dev),
        VMSTATE_END,
    },
};

static bool dev_pre_save(void *opaque, GError **errp)
{
    Dev *d = opaque;

    d->pre_save_calls++;
    if (d->fail_pre_save) {
        error_setg(errp, "pre_save refused");
        return false;
    }
    return true;
}

static bool dev_post_load(void *opaque, int version_id, GError **errp)
{
    Dev *d = opaque;

    d->post_load_version = version_id;
    if (d->fail_post_load) {
        error_setg(errp, "post_load refused");
        return false;
    }
    return true;
}

static const VMStateField dev_fields[] = {
    VMSTATE_BOOL(flag, Dev),
    VMSTATE_UINT8(u8, Dev),
    VMSTATE_UINT16(u16, Dev),
    VMSTATE_UINT32(u32, Dev),
    VMSTATE_UINT64(u64, Dev),
    VMSTATE_INT32(i32, Dev),
    VMSTATE_INT64(i64, Dev),
    VMSTATE_UINT8_ARRAY(bytes, Dev),
    VMSTATE_UINT32_ARRAY(words, Dev),
    VMSTATE_UINT64_ARRAY(quads, Dev),
    { .name = "blob", .type = VMS_BUFFER, .offset = offsetof(Dev, blob),
      .size = sizeof(((Dev *)0)->blob), .num = 1 },
    VMSTATE_STRUCT(inner, Dev, vmstate_inner, Inner),
    VMSTATE_UINT32_V(added_in_v2, Dev, 2),
    VMSTATE_END,
};

static const VMStateDescription vmstate_dev = {
    .name = "dev",
    .version_id = 2,
    .minimum_version_id = 1,
    .pre_save = dev_pre_save,
    .post_load = dev_post_load,
    .fields = dev_fields,
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_dev_sub,
        NULL,
    },
};

/* The same device as an older build knew it: no subsection. */
static const VMStateDescription vmstate_dev_nosub = {
    .name = "dev",
    .version_id = 2,
    .minimum_version_id = 1,
    .fields = dev_fields,
};

static void dev_fill(Dev *d)
{
    memset(d, 0, sizeof(*d));
    d->flag = true;
    d->u8 = 0xfe;
    d->u16 = 0xbeef;
    d->u32 = 0xcafef00d;
    d->u64 = 0x1122334455667788ULL;
    d->i32 = -123456;
    d->i64 = -0x123456789LL;
    memcpy(d->bytes, "\x01\x02\x03\x04\x05", 5);
    d->words[0] = 1;
    d->words[1] = 0x80000000u;
    d->words[2] = 3;
    d->quads[0] = UINT64_MAX;
    d->quads[1] = 42;
    memcpy(d->blob, "abcdefg", 7);
    d->inner.a = 77;
    d->inner.b = -77;
    d->added_in_v2 = 0x0badf00d;
    d->sub_value = 0xfeedfacecafebeefULL;
    d->sub_needed = true;
}

/* Saves @d with @vmsd; returns the bytes (g_free). */
static uint8_t *save(const VMStateDescription *vmsd, Dev *d, size_t *len,
                     GError **errp)
{
    QIOChannel *ioc = qio_channel_buffer_new(0);
    QEMUFile *f = qemu_file_new_output(ioc);
    const uint8_t *data;
    uint8_t *copy = NULL;
    bool ok;

    ok = vmstate_save_state(f, vmsd, d, errp);
    ck_assert_int_eq(ok, qemu_file_get_error(f) == 0);
    ok = qemu_fclose(f, NULL) && ok;
    if (ok) {
        data = qio_channel_buffer_data(ioc, len);
        copy = g_memdup2(data, *len);
    }
    qio_channel_unref(ioc);
    return copy;
}

/* Loads @len bytes into @d; the whole input must be consumed. */
static bool load(const VMStateDescription *vmsd, Dev *d, const uint8_t *data,
                 size_t len, int version, GError **errp)
{
    QIOChannel *ioc = qio_channel_buffer_new_data(data, len);
    QEMUFile *f = qemu_file_new_input(ioc);
    bool ok;

    qio_channel_unref(ioc);
    ok = vmstate_load_state(f, vmsd, d, version, errp);
    ck_assert_int_eq(ok, qemu_file_get_error(f) == 0);
    if (ok) {
        ck_assert(qemu_file_at_eof(f));
    }
    qemu_fclose(f, NULL);
    return ok;
}

static void assert_same_state(const Dev *a, const Dev *b)
{
    ck_assert_int_eq(a->flag, b->flag);
    ck_assert_uint_eq(a->u8, b->u8);
    ck_assert_uint_eq(a->u16, b->u16);
    ck_assert_uint_eq(a->u32, b->u32);
    ck_assert_uint_eq(a->u64, b->u64);
    ck_assert_int_eq(a->i32, b->i32);
    ck_assert_int_eq(a->i64, b->i64);
    ck_assert(!memcmp(a->bytes, b->bytes, sizeof(a->bytes)));
    ck_assert(!memcmp(a->words, b->words, sizeof(a->words)));
    ck_assert(!memcmp(a->quads, b->quads, sizeof(a->quads)));
    ck_assert(!memcmp(a->blob, b->blob, sizeof(a->blob)));
    ck_assert_uint_eq(a->inner.a, b->inner.a);
    ck_assert_int_eq(a->inner.b, b->inner.b);
    ck_assert_uint_eq(a->added_in_v2, b->added_in_v2);
}

START_TEST(test_round_trip_all_types)
{
    Dev src, dst;
    g_autofree uint8_t *data = NULL;
    size_t len;

    dev_fill(&src);
    data = save(&vmstate_dev, &src, &len, NULL);
    ck_assert_ptr_nonnull(data);
    ck_assert_uint_eq(src.pre_save_calls, 1);
    ck_assert_uint_eq(len, 108);
    memset(&dst, 0, sizeof(dst));
    ck_assert(load(&vmstate_dev, &dst, data, len, 2, NULL));
    assert_same_state(&src, &dst);
    ck_assert_uint_eq(dst.sub_value, src.sub_value);
    ck_assert_int_eq(dst.post_load_version, 2);
}
END_TEST

/* The encoding, byte by byte, for a small description (the format doc). */
typedef struct Small {
    uint16_t a;
    bool b;
    int32_t c;
    uint64_t d;
} Small;

static bool small_needed(void *opaque)
{
    return ((Small *)opaque)->d != 0;
}

static const VMStateDescription vmstate_small_sub = {
    .name = "s/d",
    .version_id = 3,
    .minimum_version_id = 3,
    .needed = small_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(d, Small),
        VMSTATE_END,
    },
};

static const VMStateDescription vmstate_small = {
    .name = "s",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16(a, Small),
        VMSTATE_BOOL(b, Small),
        VMSTATE_INT32(c, Small),
        VMSTATE_END,
    },
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_small_sub,
        NULL,
    },
};

START_TEST(test_encoding_bytes)
{
    static const uint8_t without[] = {
        0x01, 0x02, 0x01, 0xff, 0xff, 0xff, 0xfe, 0x00,
    };
    static const uint8_t with[] = {
        0x01, 0x02, 0x01, 0xff, 0xff, 0xff, 0xfe,
        0x05, 0x03, 's', '/', 'd', 0x00, 0x00, 0x00, 0x03,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00,
        0x00,
    };
    Small s = { .a = 0x0102, .b = true, .c = -2 };
    QIOChannel *ioc = qio_channel_buffer_new(0);
    QEMUFile *f = qemu_file_new_output(ioc);
    const uint8_t *data;
    size_t len;

    ck_assert(vmstate_save_state(f, &vmstate_small, &s, NULL));
    s.d = 9;
    ck_assert(vmstate_save_state(f, &vmstate_small, &s, NULL));
    ck_assert(qemu_fclose(f, NULL));
    data = qio_channel_buffer_data(ioc, &len);
    ck_assert_uint_eq(len, sizeof(without) + sizeof(with));
    ck_assert(!memcmp(data, without, sizeof(without)));
    ck_assert(!memcmp(data + sizeof(without), with, sizeof(with)));
    qio_channel_unref(ioc);
}
END_TEST

/* An absent subsection leaves its fields alone; a present one loads. */
START_TEST(test_subsection_absent)
{
    Dev src, dst;
    g_autofree uint8_t *data = NULL;
    size_t len;

    dev_fill(&src);
    src.sub_needed = false;
    data = save(&vmstate_dev, &src, &len, NULL);
    ck_assert_uint_eq(len, 86);
    memset(&dst, 0, sizeof(dst));
    dst.sub_value = 5;
    ck_assert(load(&vmstate_dev, &dst, data, len, 2, NULL));
    assert_same_state(&src, &dst);
    ck_assert_uint_eq(dst.sub_value, 5);

    /* An old destination takes a stream without the subsection. */
    memset(&dst, 0, sizeof(dst));
    ck_assert(load(&vmstate_dev_nosub, &dst, data, len, 2, NULL));
    assert_same_state(&src, &dst);
}
END_TEST

/* An old destination refuses a subsection it does not know, by name. */
START_TEST(test_subsection_unknown)
{
    Dev src, dst;
    g_autofree uint8_t *data = NULL;
    GError *err = NULL;
    size_t len;

    dev_fill(&src);
    data = save(&vmstate_dev, &src, &len, NULL);
    memset(&dst, 0, sizeof(dst));
    ck_assert(!load(&vmstate_dev_nosub, &dst, data, len, 2, &err));
    ck_assert_str_eq(err->message, "unknown subsection 'dev/sub' in 'dev'");
    g_error_free(err);
}
END_TEST

START_TEST(test_subsection_bad_marker)
{
    Dev src, dst;
    g_autofree uint8_t *data = NULL;
    GError *err = NULL;
    size_t len;

    dev_fill(&src);
    src.sub_needed = false;
    data = save(&vmstate_dev, &src, &len, NULL);
    data[len - 1] = 0x07;
    ck_assert(!load(&vmstate_dev, &dst, data, len, 2, &err));
    ck_assert_str_eq(err->message, "invalid subsection marker 0x07 in 'dev'");
    g_error_free(err);
}
END_TEST

/* A version 1 stream has no added_in_v2: skipped, value kept. */
START_TEST(test_version_skip)
{
    Dev src, dst;
    g_autofree uint8_t *data = NULL;
    size_t len;

    dev_fill(&src);
    src.sub_needed = false;
    data = save(&vmstate_dev, &src, &len, NULL);
    /* Drop the 4 bytes of added_in_v2 (before the end-of-subsections). */
    memmove(data + len - 5, data + len - 1, 1);
    len -= 4;
    memset(&dst, 0, sizeof(dst));
    dst.added_in_v2 = 99;
    ck_assert(load(&vmstate_dev, &dst, data, len, 1, NULL));
    ck_assert_uint_eq(dst.added_in_v2, 99);
    ck_assert_uint_eq(dst.inner.a, 77);
    ck_assert_int_eq(dst.post_load_version, 1);
}
END_TEST

START_TEST(test_version_refused)
{
    Dev src, dst;
    g_autofree uint8_t *data = NULL;
    GError *err = NULL;
    size_t len;

    dev_fill(&src);
    data = save(&vmstate_dev, &src, &len, NULL);
    ck_assert(!load(&vmstate_dev, &dst, data, len, 3, &err));
    ck_assert_str_eq(err->message, "vmstate 'dev' version 3 not supported "
                     "(this tern loads versions 1 to 2)");
    g_clear_error(&err);
    ck_assert(!load(&vmstate_dev, &dst, data, len, 0, &err));
    ck_assert_str_eq(err->message, "vmstate 'dev' version 0 not supported "
                     "(this tern loads versions 1 to 2)");
    g_clear_error(&err);

    /* A subsection whose version is out of range. */
    data[len - 1 - 1 - 8 - 4 + 3] = 2;     /* its BE u32 version: 1 -> 2 */
    ck_assert(!load(&vmstate_dev, &dst, data, len, 2, &err));
    ck_assert_str_eq(err->message, "vmstate 'dev/sub' version 2 not "
                     "supported (this tern loads versions 1 to 1)");
    g_error_free(err);
}
END_TEST

START_TEST(test_pre_save_error)
{
    Dev src;
    GError *err = NULL;
    size_t len;

    dev_fill(&src);
    src.fail_pre_save = true;
    ck_assert_ptr_null(save(&vmstate_dev, &src, &len, &err));
    ck_assert_str_eq(err->message, "cannot save 'dev': pre_save refused");
    g_error_free(err);
}
END_TEST

START_TEST(test_post_load_error)
{
    Dev src, dst;
    g_autofree uint8_t *data = NULL;
    GError *err = NULL;
    size_t len;

    dev_fill(&src);
    data = save(&vmstate_dev, &src, &len, NULL);
    memset(&dst, 0, sizeof(dst));
    dst.fail_post_load = true;
    ck_assert(!load(&vmstate_dev, &dst, data, len, 2, &err));
    ck_assert_str_eq(err->message, "cannot load 'dev': post_load refused");
    g_error_free(err);
}
END_TEST

START_TEST(test_bad_bool)
{
    Dev src, dst;
    g_autofree uint8_t *data = NULL;
    GError *err = NULL;
    size_t len;

    dev_fill(&src);
    data = save(&vmstate_dev, &src, &len, NULL);
    data[0] = 2;
    ck_assert(!load(&vmstate_dev, &dst, data, len, 2, &err));
    ck_assert_str_eq(err->message, "invalid value 2 for bool field 'flag'");
    g_error_free(err);
}
END_TEST

/* Every truncation fails cleanly with the end-of-stream error. */
START_TEST(test_truncated)
{
    Dev src, dst;
    g_autofree uint8_t *data = NULL;
    size_t len;

    dev_fill(&src);
    data = save(&vmstate_dev, &src, &len, NULL);
    for (size_t cut = 0; cut < len; cut++) {
        GError *err = NULL;

        memset(&dst, 0, sizeof(dst));
        ck_assert(!load(&vmstate_dev, &dst, data, cut, 2, &err));
        ck_assert_msg(err != NULL, "no error at cut %zu", cut);
        ck_assert_str_eq(err->message, "unexpected end of migration stream");
        ck_assert_int_eq(dst.post_load_version, 0);
        g_error_free(err);
    }
}
END_TEST

static Suite *vmstate_suite(void)
{
    Suite *s = suite_create("vmstate");
    TCase *tc;

    tc = tcase_create("round-trip");
    tcase_add_test(tc, test_round_trip_all_types);
    tcase_add_test(tc, test_encoding_bytes);
    suite_add_tcase(s, tc);

    tc = tcase_create("subsections");
    tcase_add_test(tc, test_subsection_absent);
    tcase_add_test(tc, test_subsection_unknown);
    tcase_add_test(tc, test_subsection_bad_marker);
    suite_add_tcase(s, tc);

    tc = tcase_create("versions");
    tcase_add_test(tc, test_version_skip);
    tcase_add_test(tc, test_version_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("hooks");
    tcase_add_test(tc, test_pre_save_error);
    tcase_add_test(tc, test_post_load_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad-input");
    tcase_add_test(tc, test_bad_bool);
    tcase_add_test(tc, test_truncated);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(vmstate_suite)
