/*
 * options.c: migration capabilities and parameters, and their QMP
 * commands (migrate-set-capabilities, query-migrate-capabilities,
 * migrate-set-parameters, query-migrate-parameters).
 *
 * Threads: the values change in the main loop only.  The parameters that
 * may change while a migration runs (bandwidth, downtime, throttling) are
 * stored and read with atomics; the others change only while no migration
 * runs, so workers read them without a lock.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/main-loop.h"
#include "system/ramblock.h"
#include "qapi/qapi-commands-migration.h"
#include "migration.h"
#include "options.h"

#define DEFAULT_MIGRATE_MAX_BANDWIDTH (128ULL << 20)
#define DEFAULT_MIGRATE_DOWNTIME_LIMIT 300
#define MAX_MIGRATE_DOWNTIME 2000000
#define DEFAULT_MIGRATE_MULTIFD_CHANNELS 2
#define DEFAULT_MIGRATE_XBZRLE_CACHE_SIZE (64ULL << 20)

/* The capabilities; main loop writes, any thread reads (atomic bools). */
static bool mig_caps[MIGRATION_CAPABILITY__MAX];
/* The parameters, every has_ flag set; see the comment at the top. */
static MigrationParameters mig_params;
static bool mig_params_ready;

/* Capabilities tern implements; enabling another one fails. */
static const bool mig_caps_implemented[MIGRATION_CAPABILITY__MAX] = {
    [MIGRATION_CAPABILITY_EVENTS] = true,
    [MIGRATION_CAPABILITY_MULTIFD] = true,
    [MIGRATION_CAPABILITY_AUTO_CONVERGE] = true,
    [MIGRATION_CAPABILITY_X_IGNORE_SHARED] = true,
};

static void migrate_params_set_defaults(MigrationParameters *p)
{
    *p = (MigrationParameters) {
        .has_announce_initial = true, .announce_initial = 50,
        .has_announce_max = true, .announce_max = 550,
        .has_announce_rounds = true, .announce_rounds = 5,
        .has_announce_step = true, .announce_step = 100,
        .has_throttle_trigger_threshold = true,
        .throttle_trigger_threshold = 50,
        .has_cpu_throttle_initial = true, .cpu_throttle_initial = 20,
        .has_cpu_throttle_increment = true, .cpu_throttle_increment = 10,
        .has_cpu_throttle_tailslow = true,
        .has_max_bandwidth = true,
        .max_bandwidth = DEFAULT_MIGRATE_MAX_BANDWIDTH,
        .has_avail_switchover_bandwidth = true,
        .has_downtime_limit = true,
        .downtime_limit = DEFAULT_MIGRATE_DOWNTIME_LIMIT,
        .has_x_checkpoint_delay = true, .x_checkpoint_delay = 20000,
        .has_multifd_channels = true,
        .multifd_channels = DEFAULT_MIGRATE_MULTIFD_CHANNELS,
        .has_xbzrle_cache_size = true,
        .xbzrle_cache_size = DEFAULT_MIGRATE_XBZRLE_CACHE_SIZE,
        .has_max_postcopy_bandwidth = true,
        .has_max_cpu_throttle = true, .max_cpu_throttle = 99,
        .has_multifd_compression = true,
        .multifd_compression = MULTI_FD_COMPRESSION_NONE,
        .has_multifd_zlib_level = true, .multifd_zlib_level = 1,
        .has_multifd_qatzip_level = true, .multifd_qatzip_level = 1,
        .has_multifd_zstd_level = true, .multifd_zstd_level = 1,
        .has_x_vcpu_dirty_limit_period = true,
        .x_vcpu_dirty_limit_period = 1000,
        .has_vcpu_dirty_limit = true, .vcpu_dirty_limit = 1,
        .has_mode = true, .mode = MIG_MODE_NORMAL,
        .has_zero_page_detection = true,
        .zero_page_detection = ZERO_PAGE_DETECTION_MULTIFD,
        .has_direct_io = true,
    };
    p->tls_creds = g_strdup("");
    p->tls_hostname = g_strdup("");
}

static MigrationParameters *params(void)
{
    if (!mig_params_ready) {
        migrate_params_set_defaults(&mig_params);
        mig_params_ready = true;
    }
    return &mig_params;
}

void migrate_options_reset(void)
{
    memset(mig_caps, 0, sizeof(mig_caps));
    if (mig_params_ready) {
        g_free(mig_params.tls_creds);
        g_free(mig_params.tls_hostname);
        g_free(mig_params.tls_authz);
        mig_params_ready = false;
    }
    params();
}

/* Accessors. */

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

static bool cap(MigrationCapability c)
{
    return LOAD(mig_caps[c]);
}

bool migrate_events(void)
{
    return cap(MIGRATION_CAPABILITY_EVENTS);
}

bool migrate_multifd(void)
{
    return cap(MIGRATION_CAPABILITY_MULTIFD);
}

bool migrate_auto_converge(void)
{
    return cap(MIGRATION_CAPABILITY_AUTO_CONVERGE);
}

bool migrate_ignore_shared(void)
{
    return cap(MIGRATION_CAPABILITY_X_IGNORE_SHARED);
}

int migrate_multifd_channels(void)
{
    return LOAD(params()->multifd_channels);
}

uint64_t migrate_max_bandwidth(void)
{
    return LOAD(params()->max_bandwidth);
}

uint64_t migrate_downtime_limit(void)
{
    return LOAD(params()->downtime_limit);
}

uint8_t migrate_cpu_throttle_initial(void)
{
    return LOAD(params()->cpu_throttle_initial);
}

uint8_t migrate_cpu_throttle_increment(void)
{
    return LOAD(params()->cpu_throttle_increment);
}

uint8_t migrate_max_cpu_throttle(void)
{
    return LOAD(params()->max_cpu_throttle);
}

uint8_t migrate_throttle_trigger_threshold(void)
{
    return LOAD(params()->throttle_trigger_threshold);
}

bool migrate_cpu_throttle_tailslow(void)
{
    return LOAD(params()->cpu_throttle_tailslow);
}

/* Capabilities. */

bool migrate_caps_check(const bool *old_caps, const bool *new_caps,
                        GError **errp)
{
    for (int i = 0; i < MIGRATION_CAPABILITY__MAX; i++) {
        if (new_caps[i] && !old_caps[i] && !mig_caps_implemented[i]) {
            error_setg(errp, "Migration capability '%s' is not supported "
                       "by tern yet", MigrationCapability_str(i));
            return false;
        }
    }
    return true;
}

bool qmp_migrate_set_capabilities(MigrationCapabilityStatusList *capabilities,
                                  GError **errp)
{
    bool new_caps[MIGRATION_CAPABILITY__MAX];

    if (migration_is_running()) {
        error_setg(errp, "There's a migration process in progress");
        return false;
    }
    memcpy(new_caps, mig_caps, sizeof(new_caps));
    for (MigrationCapabilityStatusList *l = capabilities; l; l = l->next) {
        new_caps[l->value->capability] = l->value->state;
    }
    if (!migrate_caps_check(mig_caps, new_caps, errp)) {
        return false;
    }
    if (new_caps[MIGRATION_CAPABILITY_MULTIFD] !=
        mig_caps[MIGRATION_CAPABILITY_MULTIFD] &&
        migration_incoming_started()) {
        error_setg(errp, "Multifd must be set before incoming starts");
        return false;
    }
    for (int i = 0; i < MIGRATION_CAPABILITY__MAX; i++) {
        STORE(mig_caps[i], new_caps[i]);
    }
    return true;
}

MigrationCapabilityStatusList *qmp_query_migrate_capabilities(GError **errp)
{
    MigrationCapabilityStatusList *head = NULL;
    MigrationCapabilityStatusList **tail = &head;

    for (int i = 0; i < MIGRATION_CAPABILITY__MAX; i++) {
        MigrationCapabilityStatus *st = g_new0(MigrationCapabilityStatus, 1);

        st->capability = i;
        st->state = cap(i);
        *tail = g_new0(MigrationCapabilityStatusList, 1);
        (*tail)->value = st;
        tail = &(*tail)->next;
    }
    return head;
}

/* Parameters. */

#define QERR_INVALID_PARAMETER_VALUE "Parameter '%s' expects %s"

/* One range check of migrate_params_check(): a table row. */
typedef struct ParamRange {
    size_t has_off;          /* offset of has_x in MigrationParameters */
    size_t off;              /* offset of x */
    size_t size;             /* sizeof(x): 1, 4 or 8 */
    uint64_t min, max;
    const char *name;        /* as QEMU names it in the message */
    const char *expects;
} ParamRange;

#define RANGE(f, lo, hi, msg) {                                         \
    offsetof(MigrationParameters, has_##f),                             \
    offsetof(MigrationParameters, f),                                   \
    sizeof(((MigrationParameters *)0)->f), (lo), (hi), #f, (msg) }

static const ParamRange param_ranges[] = {
    RANGE(announce_initial, 0, 100000, "a value between 0 and 100000"),
    RANGE(announce_max, 0, 100000, "a value between 0 and 100000"),
    RANGE(announce_rounds, 0, 1000, "a value between 0 and 1000"),
    RANGE(announce_step, 1, 10000, "a value between 0 and 10000"),
    RANGE(throttle_trigger_threshold, 1, 100,
          "an integer in the range of 1 to 100"),
    RANGE(cpu_throttle_initial, 1, 99, "an integer in the range of 1 to 99"),
    RANGE(cpu_throttle_increment, 1, 99,
          "an integer in the range of 1 to 99"),
    RANGE(downtime_limit, 0, MAX_MIGRATE_DOWNTIME,
          "an integer in the range of 0 to 2000000 milliseconds"),
    RANGE(multifd_channels, 1, 255, "a value between 1 and 255"),
    RANGE(multifd_zlib_level, 0, 9, "a value between 0 and 9"),
    RANGE(multifd_qatzip_level, 1, 9, "a value between 1 and 9"),
    RANGE(multifd_zstd_level, 0, 20, "a value between 0 and 20"),
    RANGE(x_vcpu_dirty_limit_period, 1, 1000, "a value between 1 and 1000"),
    RANGE(vcpu_dirty_limit, 1, UINT64_MAX,
          "is invalid, it must greater then 1 MB/s"),
};

static uint64_t param_value(const MigrationParameters *p, const ParamRange *r)
{
    const char *base = (const char *)p + r->off;

    switch (r->size) {
    case 1:
        return *(const uint8_t *)base;
    case 4:
        return *(const uint32_t *)base;
    default:
        return *(const uint64_t *)base;
    }
}

/* tern's own limits: values QEMU accepts that tern does not implement. */
static bool migrate_params_check_tern(const MigrationParameters *p,
                                      GError **errp)
{
    if (p->tls_creds && *p->tls_creds) {
        error_setg(errp, "TLS is not supported by tern yet");
        return false;
    }
    if (p->has_multifd_compression &&
        p->multifd_compression != MULTI_FD_COMPRESSION_NONE) {
        error_setg(errp, "Multifd compression '%s' is not supported by "
                   "tern yet", MultiFDCompression_str(p->multifd_compression));
        return false;
    }
    if (p->has_mode && p->mode != MIG_MODE_NORMAL) {
        error_setg(errp, "Migration mode '%s' is not supported by tern yet",
                   MigMode_str(p->mode));
        return false;
    }
    return true;
}

bool migrate_params_check(const MigrationParameters *p, GError **errp)
{
    for (size_t i = 0; i < ARRAY_SIZE(param_ranges); i++) {
        const ParamRange *r = &param_ranges[i];
        uint64_t v;

        if (!*(const bool *)((const char *)p + r->has_off)) {
            continue;
        }
        v = param_value(p, r);
        if (v < r->min || v > r->max) {
            error_setg(errp, QERR_INVALID_PARAMETER_VALUE, r->name,
                       r->expects);
            return false;
        }
    }
    if (p->has_xbzrle_cache_size &&
        (p->xbzrle_cache_size < TARGET_PAGE_SIZE ||
         (p->xbzrle_cache_size & (p->xbzrle_cache_size - 1)))) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "xbzrle_cache_size",
                   "a power of two no less than the target page size");
        return false;
    }
    if (p->has_max_cpu_throttle &&
        (p->max_cpu_throttle < p->cpu_throttle_initial ||
         p->max_cpu_throttle > 99)) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "max_cpu_throttle",
                   "an integer in the range of cpu_throttle_initial to 99");
        return false;
    }
    return migrate_params_check_tern(p, errp);
}

/* A StrOrNull as a string: null resets to "" (QEMU's rule). */
static void apply_str(char **dest, const StrOrNull *src)
{
    g_free(*dest);
    *dest = g_strdup(src->type == QTYPE_QSTRING ? src->u.s : "");
}

#define APPLY(f) do {                   \
    if (in->has_##f) {                  \
        out->f = in->f;                 \
    }                                   \
} while (0)

/* Copies the members set in @in over @out (every has_ flag set). */
static void migrate_params_apply(const MigrateSetParameters *in,
                                 MigrationParameters *out)
{
    APPLY(announce_initial); APPLY(announce_max);
    APPLY(announce_rounds); APPLY(announce_step);
    APPLY(throttle_trigger_threshold); APPLY(cpu_throttle_initial);
    APPLY(cpu_throttle_increment); APPLY(cpu_throttle_tailslow);
    APPLY(max_bandwidth); APPLY(avail_switchover_bandwidth);
    APPLY(downtime_limit); APPLY(x_checkpoint_delay);
    APPLY(multifd_channels); APPLY(xbzrle_cache_size);
    APPLY(max_postcopy_bandwidth); APPLY(max_cpu_throttle);
    APPLY(multifd_compression); APPLY(multifd_zlib_level);
    APPLY(multifd_qatzip_level); APPLY(multifd_zstd_level);
    APPLY(x_vcpu_dirty_limit_period); APPLY(vcpu_dirty_limit);
    APPLY(mode); APPLY(zero_page_detection); APPLY(direct_io);
    if (in->tls_creds) {
        apply_str(&out->tls_creds, in->tls_creds);
    }
    if (in->tls_hostname) {
        apply_str(&out->tls_hostname, in->tls_hostname);
    }
    if (in->tls_authz) {
        g_free(out->tls_authz);
        out->tls_authz = in->tls_authz->type == QTYPE_QSTRING ?
            g_strdup(in->tls_authz->u.s) : NULL;
    }
}

/* Stores @tmp's scalars into the live parameters, atomically each. */
static void migrate_params_store(MigrationParameters *tmp)
{
    MigrationParameters *p = params();

    STORE(p->max_bandwidth, tmp->max_bandwidth);
    STORE(p->downtime_limit, tmp->downtime_limit);
    STORE(p->cpu_throttle_initial, tmp->cpu_throttle_initial);
    STORE(p->cpu_throttle_increment, tmp->cpu_throttle_increment);
    STORE(p->max_cpu_throttle, tmp->max_cpu_throttle);
    STORE(p->throttle_trigger_threshold, tmp->throttle_trigger_threshold);
    STORE(p->cpu_throttle_tailslow, tmp->cpu_throttle_tailslow);
    STORE(p->multifd_channels, tmp->multifd_channels);
    /* The rest is read in the main loop only. */
    g_free(p->tls_creds);
    g_free(p->tls_hostname);
    g_free(p->tls_authz);
    *p = *tmp;
}

bool qmp_migrate_set_parameters(MigrateSetParameters *in, GError **errp)
{
    MigrationParameters tmp = *params();

    if (in->block_bitmap_mapping) {
        error_setg(errp, "Parameter 'block-bitmap-mapping' is not supported "
                   "by tern yet");
        return false;
    }
    if (in->has_multifd_channels &&
        in->multifd_channels != tmp.multifd_channels &&
        (migration_is_running() || migration_incoming_started())) {
        error_setg(errp, QERR_INVALID_PARAMETER_VALUE, "multifd_channels",
                   "must be set before migration starts");
        return false;
    }
    tmp.tls_creds = g_strdup(tmp.tls_creds);
    tmp.tls_hostname = g_strdup(tmp.tls_hostname);
    tmp.tls_authz = g_strdup(tmp.tls_authz);
    migrate_params_apply(in, &tmp);
    if (!migrate_params_check(&tmp, errp)) {
        g_free(tmp.tls_creds);
        g_free(tmp.tls_hostname);
        g_free(tmp.tls_authz);
        return false;
    }
    migrate_params_store(&tmp);
    migration_params_changed();
    return true;
}

MigrationParameters *qmp_query_migrate_parameters(GError **errp)
{
    MigrationParameters *p = g_new(MigrationParameters, 1);

    *p = *params();
    p->tls_creds = g_strdup(p->tls_creds);
    p->tls_hostname = g_strdup(p->tls_hostname);
    p->tls_authz = g_strdup(p->tls_authz);
    p->block_bitmap_mapping = NULL;
    return p;
}
