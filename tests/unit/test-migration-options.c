/*
 * test-migration-options.c: migration capabilities and parameters: QEMU's
 * defaults, ranges and error texts, capability checks, and the refusals
 * of what tern does not implement.
 */
#include "util/osdep.h"
#include <check.h>
#include "qapi/qapi-commands-migration.h"
#include "migration/options.h"
#include "tern-check.h"

static void setup(void)
{
    migrate_options_reset();
}

START_TEST(test_defaults)
{
    g_autoptr(MigrationParameters) p = qmp_query_migrate_parameters(NULL);

    ck_assert(!migrate_events() && !migrate_multifd());
    ck_assert(!migrate_auto_converge() && !migrate_ignore_shared());
    ck_assert_uint_eq(migrate_max_bandwidth(), 128 << 20);
    ck_assert_uint_eq(migrate_downtime_limit(), 300);
    ck_assert_int_eq(migrate_multifd_channels(), 2);
    ck_assert_uint_eq(migrate_cpu_throttle_initial(), 20);
    ck_assert_uint_eq(migrate_cpu_throttle_increment(), 10);
    ck_assert_uint_eq(migrate_max_cpu_throttle(), 99);
    ck_assert_uint_eq(migrate_throttle_trigger_threshold(), 50);
    ck_assert(!migrate_cpu_throttle_tailslow());

    ck_assert(p->has_max_bandwidth && p->max_bandwidth == 128 << 20);
    ck_assert(p->has_downtime_limit && p->downtime_limit == 300);
    ck_assert(p->has_multifd_channels && p->multifd_channels == 2);
    ck_assert(p->has_announce_initial && p->announce_initial == 50);
    ck_assert(p->has_announce_max && p->announce_max == 550);
    ck_assert(p->has_announce_rounds && p->announce_rounds == 5);
    ck_assert(p->has_announce_step && p->announce_step == 100);
    ck_assert(p->has_xbzrle_cache_size &&
              p->xbzrle_cache_size == 64 << 20);
    ck_assert(p->has_x_checkpoint_delay && p->x_checkpoint_delay == 20000);
    ck_assert(p->has_multifd_zlib_level && p->multifd_zlib_level == 1);
    ck_assert(p->has_multifd_zstd_level && p->multifd_zstd_level == 1);
    ck_assert_int_eq(p->multifd_compression, MULTI_FD_COMPRESSION_NONE);
    ck_assert_int_eq(p->mode, MIG_MODE_NORMAL);
    ck_assert_int_eq(p->zero_page_detection, ZERO_PAGE_DETECTION_MULTIFD);
    ck_assert_str_eq(p->tls_creds, "");
    ck_assert_str_eq(p->tls_hostname, "");
    ck_assert(!p->tls_authz);
    ck_assert(p->has_direct_io && !p->direct_io);
}
END_TEST

START_TEST(test_set_params)
{
    MigrateSetParameters in = {
        .has_max_bandwidth = true, .max_bandwidth = 3000000,
        .has_downtime_limit = true, .downtime_limit = 1,
        .has_multifd_channels = true, .multifd_channels = 8,
        .has_cpu_throttle_tailslow = true, .cpu_throttle_tailslow = true,
    };
    GError *err = NULL;

    ck_assert(qmp_migrate_set_parameters(&in, &err));
    ck_assert_uint_eq(migrate_max_bandwidth(), 3000000);
    ck_assert_uint_eq(migrate_downtime_limit(), 1);
    ck_assert_int_eq(migrate_multifd_channels(), 8);
    ck_assert(migrate_cpu_throttle_tailslow());
    /* Absent members keep their value. */
    ck_assert_uint_eq(migrate_cpu_throttle_initial(), 20);
}
END_TEST

typedef struct BadParam {
    MigrateSetParameters in;
    const char *msg;
} BadParam;

static const BadParam bad_params[] = {
    { { .has_downtime_limit = true, .downtime_limit = 2000001 },
      "Parameter 'downtime_limit' expects an integer in the range of 0 to "
      "2000000 milliseconds" },
    { { .has_multifd_channels = true, .multifd_channels = 0 },
      "Parameter 'multifd_channels' expects a value between 1 and 255" },
    { { .has_cpu_throttle_initial = true, .cpu_throttle_initial = 0 },
      "Parameter 'cpu_throttle_initial' expects an integer in the range of "
      "1 to 99" },
    { { .has_cpu_throttle_increment = true, .cpu_throttle_increment = 100 },
      "Parameter 'cpu_throttle_increment' expects an integer in the range "
      "of 1 to 99" },
    { { .has_throttle_trigger_threshold = true,
        .throttle_trigger_threshold = 101 },
      "Parameter 'throttle_trigger_threshold' expects an integer in the "
      "range of 1 to 100" },
    { { .has_max_cpu_throttle = true, .max_cpu_throttle = 10 },
      "Parameter 'max_cpu_throttle' expects an integer in the range of "
      "cpu_throttle_initial to 99" },
    { { .has_xbzrle_cache_size = true, .xbzrle_cache_size = 5000 },
      "Parameter 'xbzrle_cache_size' expects a power of two no less than "
      "the target page size" },
    { { .has_multifd_zlib_level = true, .multifd_zlib_level = 10 },
      "Parameter 'multifd_zlib_level' expects a value between 0 and 9" },
    { { .has_multifd_zstd_level = true, .multifd_zstd_level = 21 },
      "Parameter 'multifd_zstd_level' expects a value between 0 and 20" },
    { { .has_announce_step = true, .announce_step = 0 },
      "Parameter 'announce_step' expects a value between 0 and 10000" },
    { { .has_multifd_compression = true,
        .multifd_compression = MULTI_FD_COMPRESSION_ZSTD },
      "Multifd compression 'zstd' is not supported by tern yet" },
    { { .has_mode = true, .mode = MIG_MODE_CPR_REBOOT },
      "Migration mode 'cpr-reboot' is not supported by tern yet" },
};

START_TEST(test_bad_params)
{
    const BadParam *b = &bad_params[_i];
    MigrateSetParameters in = b->in;
    GError *err = NULL;

    ck_assert(!qmp_migrate_set_parameters(&in, &err));
    ck_assert(err);
    ck_assert_str_eq(err->message, b->msg);
    g_error_free(err);
    /* Nothing changed. */
    ck_assert_uint_eq(migrate_downtime_limit(), 300);
    ck_assert_int_eq(migrate_multifd_channels(), 2);
    ck_assert_uint_eq(migrate_max_cpu_throttle(), 99);
}
END_TEST

START_TEST(test_tls_refused)
{
    StrOrNull creds = { .type = QTYPE_QSTRING, .u.s = (char *)"tls0" };
    StrOrNull none = { .type = QTYPE_QNULL };
    MigrateSetParameters in = { .tls_creds = &creds };
    MigrateSetParameters reset = { .tls_creds = &none };
    g_autoptr(MigrationParameters) p = NULL;
    GError *err = NULL;

    ck_assert(!qmp_migrate_set_parameters(&in, &err));
    ck_assert_str_eq(err->message, "TLS is not supported by tern yet");
    g_clear_error(&err);
    ck_assert(qmp_migrate_set_parameters(&reset, &err));
    p = qmp_query_migrate_parameters(NULL);
    ck_assert_str_eq(p->tls_creds, "");
}
END_TEST

static MigrationCapabilityStatusList *caps1(MigrationCapability c, bool on)
{
    MigrationCapabilityStatusList *l = g_new0(MigrationCapabilityStatusList,
                                              1);

    l->value = g_new0(MigrationCapabilityStatus, 1);
    l->value->capability = c;
    l->value->state = on;
    return l;
}

START_TEST(test_caps)
{
    static const MigrationCapability ok[] = {
        MIGRATION_CAPABILITY_EVENTS, MIGRATION_CAPABILITY_MULTIFD,
        MIGRATION_CAPABILITY_AUTO_CONVERGE,
        MIGRATION_CAPABILITY_X_IGNORE_SHARED,
    };
    g_autoptr(MigrationCapabilityStatusList) all = NULL;
    unsigned n = 0;

    for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
        g_autoptr(MigrationCapabilityStatusList) l = caps1(ok[i], true);

        ck_assert(qmp_migrate_set_capabilities(l, NULL));
    }
    ck_assert(migrate_events() && migrate_multifd());
    ck_assert(migrate_auto_converge() && migrate_ignore_shared());
    all = qmp_query_migrate_capabilities(NULL);
    for (MigrationCapabilityStatusList *l = all; l; l = l->next, n++) {
        ck_assert_int_eq(l->value->capability, n);
    }
    ck_assert_uint_eq(n, MIGRATION_CAPABILITY__MAX);
    {
        g_autoptr(MigrationCapabilityStatusList) off =
            caps1(MIGRATION_CAPABILITY_MULTIFD, false);

        ck_assert(qmp_migrate_set_capabilities(off, NULL));
        ck_assert(!migrate_multifd() && migrate_events());
    }
}
END_TEST

START_TEST(test_caps_unimplemented)
{
    g_autoptr(MigrationCapabilityStatusList) on =
        caps1(MIGRATION_CAPABILITY_XBZRLE, true);
    g_autoptr(MigrationCapabilityStatusList) off =
        caps1(MIGRATION_CAPABILITY_MAPPED_RAM, false);
    GError *err = NULL;

    on->next = caps1(MIGRATION_CAPABILITY_EVENTS, true);
    ck_assert(!qmp_migrate_set_capabilities(on, &err));
    ck_assert_str_eq(err->message, "Migration capability 'xbzrle' is not "
                     "supported by tern yet");
    g_clear_error(&err);
    /* All or nothing. */
    ck_assert(!migrate_events());
    /* Turning an unimplemented capability off is fine. */
    ck_assert(qmp_migrate_set_capabilities(off, &err));
}
END_TEST

static Suite *migration_options_suite(void)
{
    Suite *s = suite_create("migration-options");
    TCase *tc;

    tc = tcase_create("parameters");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_set_params);
    tcase_add_loop_test(tc, test_bad_params, 0, ARRAY_SIZE(bad_params));
    tcase_add_test(tc, test_tls_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("capabilities");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_caps);
    tcase_add_test(tc, test_caps_unimplemented);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(migration_options_suite)
