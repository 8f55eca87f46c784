/*
 * migration.c: the outgoing migration: state machine, migration thread,
 * passes, rate limit, switchover, cancel and failure; the QMP commands
 * migrate, migrate_cancel and query-migrate.
 *
 * Threads (docs/devel/migration-core.md): the QMP handlers run in the
 * main loop; one migration thread per migration runs the stream and
 * reaches main-loop state only through main_loop_run_sync().  The
 * MigrationState fields say what protects them.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/main-loop.h"
#include "util/timer.h"
#include "io/channel.h"
#include "io/channel-socket.h"
#include "monitor/monitor.h"
#include "qapi/qapi-commands-migration.h"
#include "qapi/qapi-events-migration.h"
#include "system/cpu-throttle.h"
#include "system/ramblock.h"
#include "system/runstate.h"
#include "migration/misc.h"
#include "migration/qemu-file.h"
#include "migration.h"
#include "migration-stats.h"
#include "multifd.h"
#include "options.h"
#include "ram.h"
#include "savevm.h"
#include "trace-migration.h"

#define RATE_WINDOW_MS 100

typedef struct MigrationState {
    /* MigrationStatus; atomic (migrate_set_state()), any thread. */
    int state;

    /* Main loop only. */
    GThread *thread;
    MigrationAddress *addr;

    /* Migration thread only (set before it starts). */
    QIOChannel *main_ioc;       /* the main channel's reference */
    RunState vm_old_state;      /* run state when the guest was stopped */
    bool block_inactive;        /* main loop: the disks were inactivated */
    bool vm_stopped;            /* this migration stopped the guest */

    /* Protected by lock. */
    GMutex lock;
    GCond cond;                 /* rate window wait; cancel/error wake it */
    GError *error;              /* the first error */
    QEMUFile *file;             /* main stream, for cancel */
    QIOChannel **multifd_ioc;   /* for cancel */
    int multifd_n;
    bool kick;                  /* parameters changed */

    /* Atomic: written by the migration thread, read by query-migrate. */
    int64_t start_time;         /* ms, QEMU_CLOCK_REALTIME */
    int64_t setup_time;
    int64_t total_time;
    int64_t downtime;
    int64_t downtime_start;
    int64_t expected_downtime;
    uint64_t pending;           /* bytes, last estimate */
    uint64_t mbps_bits;         /* a double's bits */
    uint64_t pages_per_second;
    bool in_downtime;           /* the guest is stopped for switchover */
} MigrationState;

static MigrationState current_migration = { .state = MIGRATION_STATUS_NONE };
MigrationAtomicStats mig_stats;

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)

static MigrationState *migrate_get_current(void)
{
    return &current_migration;
}

static int64_t now_ms(void)
{
    return qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
}

bool migrate_set_state(int *state, int old_state, int new_state)
{
    int expected = old_state;

    if (!__atomic_compare_exchange_n(state, &expected, new_state, false,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        return false;
    }
    trace_migrate_set_state(MigrationStatus_str(old_state),
                            MigrationStatus_str(new_state));
    if (migrate_events()) {
        qapi_event_send_migration(new_state);
    }
    return true;
}

static int migration_state(void)
{
    return LOAD(current_migration.state);
}

static bool state_is_running(int st)
{
    return st == MIGRATION_STATUS_SETUP || st == MIGRATION_STATUS_ACTIVE ||
           st == MIGRATION_STATUS_DEVICE ||
           st == MIGRATION_STATUS_CANCELLING;
}

bool migration_is_running(void)
{
    return state_is_running(migration_state());
}

/* Statistics and the rate limit (any thread). */

void migration_rate_account(uint64_t bytes)
{
    mig_stats_add(transferred, bytes);
    mig_stats_add(rate_limit_used, bytes);
    if (LOAD(current_migration.in_downtime)) {
        mig_stats_add(downtime_bytes, bytes);
    } else {
        mig_stats_add(precopy_bytes, bytes);
    }
}

bool migration_rate_exceeded(void)
{
    uint64_t max = mig_stats_read(rate_limit_max);

    if (migration_is_cancelling()) {
        return true;
    }
    return max && mig_stats_read(rate_limit_used) >= max;
}

static bool migration_has_error(void)
{
    MigrationState *s = migrate_get_current();
    bool ret;

    g_mutex_lock(&s->lock);
    ret = s->error != NULL;
    g_mutex_unlock(&s->lock);
    return ret;
}

bool migration_is_cancelling(void)
{
    int st = migration_state();

    return st == MIGRATION_STATUS_CANCELLING ||
           st == MIGRATION_STATUS_CANCELLED ||
           st == MIGRATION_STATUS_FAILED || migration_has_error();
}

/* Shut every channel down so threads blocked in I/O return.  Locked. */
static void migration_shutdown_channels_locked(MigrationState *s)
{
    if (s->file) {
        qemu_file_shutdown(s->file);
    }
    for (int i = 0; i < s->multifd_n; i++) {
        qio_channel_shutdown(s->multifd_ioc[i], QIO_CHANNEL_SHUTDOWN_BOTH,
                             NULL);
    }
    g_cond_broadcast(&s->cond);
}

void migration_set_error(GError *err)
{
    MigrationState *s = migrate_get_current();

    g_mutex_lock(&s->lock);
    if (!s->error) {
        s->error = err;
        err = NULL;
        migration_shutdown_channels_locked(s);
    }
    g_mutex_unlock(&s->lock);
    if (err) {
        g_error_free(err);
    }
}

void migration_params_changed(void)
{
    MigrationState *s = migrate_get_current();

    g_mutex_lock(&s->lock);
    s->kick = true;
    g_cond_broadcast(&s->cond);
    g_mutex_unlock(&s->lock);
}

/*
 * Starts a rate window.  Bytes sent beyond the last window's budget (a
 * batch that was already on its way, multifd channels finishing theirs)
 * are a debt carried into the new window, so the average rate over time
 * is max-bandwidth however far one window overshoots.
 */
static void migration_rate_set_window(bool unlimited)
{
    uint64_t bw = migrate_max_bandwidth();
    uint64_t old_max = mig_stats_read(rate_limit_max);
    uint64_t max = unlimited || !bw ? 0
                   : MAX(bw / (1000 / RATE_WINDOW_MS), 1);
    uint64_t used = mig_stats_read(rate_limit_used);

    mig_stats_set(rate_limit_max, max);
    if (!max || !old_max) {
        mig_stats_set(rate_limit_used, 0);
        return;
    }
    /* pay last window's budget off the debt; concurrent adds are kept */
    do {
        uint64_t left = used > old_max ? used - old_max : 0;

        if (__atomic_compare_exchange_n(&mig_stats.rate_limit_used, &used,
                                        left, false, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED)) {
            break;
        }
    } while (true);
}

/* The migration thread: connecting. */

/* Publishes the multifd channels for cancel.  Migration thread. */
static void migration_publish_multifd(MigrationState *s, QIOChannel **ioc,
                                      int n)
{
    g_mutex_lock(&s->lock);
    s->multifd_ioc = ioc;
    s->multifd_n = n;
    if (s->error || migration_state() == MIGRATION_STATUS_CANCELLING) {
        migration_shutdown_channels_locked(s);
    }
    g_mutex_unlock(&s->lock);
}

/* Sockets: main channel, then N multifd channels, each with a preamble. */
static bool migration_connect_sockets(MigrationState *s, GError **errp)
{
    const SocketAddress *sa = &s->addr->u.socket;
    int n = migrate_multifd() ? migrate_multifd_channels() : 0;
    QIOChannel **ioc;

    s->main_ioc = migration_socket_connect(sa, MIG_CHANNEL_KIND_MAIN, 0,
                                           errp);
    if (!s->main_ioc) {
        return false;
    }
    if (!n) {
        return true;
    }
    ioc = g_new0(QIOChannel *, n);
    for (int i = 0; i < n; i++) {
        ioc[i] = migration_socket_connect(sa, MIG_CHANNEL_KIND_MULTIFD, i,
                                          errp);
        if (!ioc[i]) {
            for (int j = 0; j < i; j++) {
                qio_channel_unref(ioc[j]);
            }
            g_free(ioc);
            return false;
        }
    }
    migration_publish_multifd(s, ioc, n);
    return multifd_send_setup(ioc, n, errp);
}

static QEMUFile *migration_open_file(MigrationState *s)
{
    QEMUFile *f = qemu_file_new_output(s->main_ioc);

    g_mutex_lock(&s->lock);
    s->file = f;
    if (s->error || migration_state() == MIGRATION_STATUS_CANCELLING) {
        migration_shutdown_channels_locked(s);
    }
    g_mutex_unlock(&s->lock);
    return f;
}

/* The migration thread: passes. */

typedef struct MigrationPass {
    int64_t window_start;       /* ms */
    uint64_t window_bytes;      /* transferred at window_start */
    uint64_t passes;            /* MIGRATION_PASS events sent */
    uint64_t bandwidth;         /* bytes per ms, last window */
    uint64_t pages_at_window;
} MigrationPass;

/* Main stream bytes accounted so far; migration thread only. */
static uint64_t main_bytes_accounted;

void migration_rate_account_main(QEMUFile *f)
{
    uint64_t now = qemu_file_transferred(f);

    if (now > main_bytes_accounted) {
        migration_rate_account(now - main_bytes_accounted);
        main_bytes_accounted = now;
    }
}

/* One MIGRATION_PASS per dirty-bitmap sync the RAM engine made. */
static void migration_emit_passes(MigrationPass *p)
{
    uint64_t syncs = mig_stats_read(dirty_sync_count);

    while (p->passes < syncs) {
        p->passes++;
        if (migrate_events()) {
            qapi_event_send_migration_pass(p->passes);
        }
    }
}

/* Called at every window end: bandwidth, expected downtime, counters. */
static void migration_update_counters(MigrationState *s, MigrationPass *p,
                                      int64_t now)
{
    int64_t elapsed = MAX(now - p->window_start, 1);
    uint64_t bytes = mig_stats_read(transferred) - p->window_bytes;
    uint64_t pages = mig_stats_read(normal_pages) +
                     mig_stats_read(zero_pages);
    double mbps = (double)bytes * 8.0 / 1000.0 / (double)elapsed;
    uint64_t pending = LOAD(s->pending);
    uint64_t mbps_bits;

    memcpy(&mbps_bits, &mbps, sizeof(mbps_bits));
    p->bandwidth = bytes / (uint64_t)elapsed;
    STORE(s->mbps_bits, mbps_bits);
    STORE(s->pages_per_second,
          (pages - p->pages_at_window) * 1000 / (uint64_t)elapsed);
    if (p->bandwidth) {
        STORE(s->expected_downtime, (int64_t)(pending / p->bandwidth));
    }
    trace_migration_pass(p->passes, pending, p->bandwidth);
    p->window_start = now;
    p->window_bytes = mig_stats_read(transferred);
    p->pages_at_window = pages;
    migration_rate_set_window(false);
}

/*
 * Waits for the end of the window when its budget is spent (or to pass
 * the time), waking early on cancel, error or a parameter change.
 */
static void migration_rate_wait(MigrationState *s, MigrationPass *p)
{
    int64_t now = now_ms();
    int64_t end = p->window_start + RATE_WINDOW_MS;

    if (now < end && migration_rate_exceeded()) {
        g_mutex_lock(&s->lock);
        while (!s->kick && !s->error &&
               migration_state() != MIGRATION_STATUS_CANCELLING &&
               now_ms() < end) {
            g_cond_wait_until(&s->cond, &s->lock,
                              g_get_monotonic_time() +
                              (end - now_ms()) * G_TIME_SPAN_MILLISECOND);
        }
        s->kick = false;
        g_mutex_unlock(&s->lock);
        now = now_ms();
    }
    if (now >= end) {
        migration_update_counters(s, p, now);
    }
}

/* Bytes that fit in downtime-limit at the measured bandwidth. */
static uint64_t migration_threshold(MigrationPass *p)
{
    if (!runstate_is_running() && !migrate_max_bandwidth()) {
        /*
         * A stopped guest with no bandwidth limit switches over at once:
         * nothing is re-dirtied, so iterating would only add copies.  With
         * a limit it iterates like a running guest, so max-bandwidth
         * bounds the I/O of a save as it does in QEMU.
         */
        return UINT64_MAX;
    }
    return p->bandwidth * migrate_downtime_limit();
}

static bool migration_check_error(QEMUFile *f, GError **errp)
{
    MigrationState *s = migrate_get_current();

    if (qemu_file_get_error_obj(f, errp)) {
        return false;
    }
    g_mutex_lock(&s->lock);
    if (s->error) {
        error_setg(errp, "%s", s->error->message);
    }
    g_mutex_unlock(&s->lock);
    if (!(errp && *errp) &&
        migration_state() == MIGRATION_STATUS_CANCELLING) {
        error_setg(errp, "migration cancelled");
    }
    return !(errp && *errp);
}

/* Iterate until what is pending fits the downtime (live precopy). */
static bool migration_iterate(MigrationState *s, QEMUFile *f,
                              MigrationPass *p, GError **errp)
{
    for (;;) {
        uint64_t pending = 0;
        int ret;

        if (!migration_check_error(f, errp)) {
            return false;
        }
        qemu_savevm_state_pending_estimate(&pending);
        STORE(s->pending, pending);
        if (pending <= migration_threshold(p)) {
            qemu_savevm_state_pending_exact(&pending);
            STORE(s->pending, pending);
            migration_emit_passes(p);
            if (pending <= migration_threshold(p)) {
                trace_migration_switchover(pending, migration_threshold(p));
                return true;
            }
        }
        ret = qemu_savevm_state_iterate(f, errp);
        migration_rate_account_main(f);
        migration_emit_passes(p);
        if (ret < 0) {
            return false;
        }
        migration_rate_wait(s, p);
    }
}

/* The migration thread: switchover and the end. */

/* Block-layer hooks (main loop); see migration_set_block_hooks(). */
static MigrationBlockFunc *migration_block_inactivate;
static MigrationBlockFunc *migration_block_activate;

void migration_set_block_hooks(MigrationBlockFunc *inactivate,
                               MigrationBlockFunc *activate)
{
    migration_block_inactivate = inactivate;
    migration_block_activate = activate;
}

/* Main loop: hand the disks over (shared storage) once the guest is
 * stopped. */
static bool migration_inactivate_disks(MigrationState *s, GError **errp)
{
    if (!migration_block_inactivate) {
        return true;
    }
    s->block_inactive = true;
    return migration_block_inactivate(errp);
}

bool migration_activate_disks(GError **errp)
{
    return !migration_block_activate || migration_block_activate(errp);
}

/* Main loop: take the disks back after a failed or cancelled migration. */
static void migration_reactivate_disks(MigrationState *s)
{
    GError *err = NULL;

    if (!s->block_inactive || !migration_block_activate) {
        return;
    }
    s->block_inactive = false;
    if (!migration_block_activate(&err)) {
        error_report_err(err);
    }
}

/* Main loop: stop the guest for the switchover. */
static bool migration_stop_vm_fn(void *opaque, GError **errp)
{
    MigrationState *s = opaque;

    STORE(s->downtime_start, now_ms());
    s->vm_old_state = runstate_get();
    global_state_store();
    if (runstate_is_live(s->vm_old_state)) {
        vm_stop(RUN_STATE_FINISH_MIGRATE);
    } else {
        runstate_set(RUN_STATE_FINISH_MIGRATE);
    }
    s->vm_stopped = true;
    return migration_inactivate_disks(s, errp);
}

static bool migration_postmigrate_fn(void *opaque, GError **errp)
{
    (void)opaque;
    (void)errp;
    runstate_set(RUN_STATE_POSTMIGRATE);
    return true;
}

/* Main loop: after a failure, the guest runs exactly as before. */
static bool migration_restore_vm_fn(void *opaque, GError **errp)
{
    MigrationState *s = opaque;

    (void)errp;
    migration_reactivate_disks(s);
    if (!s->vm_stopped || !runstate_check(RUN_STATE_FINISH_MIGRATE)) {
        return true;
    }
    if (runstate_is_live(s->vm_old_state)) {
        vm_start();
    } else {
        runstate_set(s->vm_old_state);
    }
    return true;
}

static bool migration_completion(MigrationState *s, QEMUFile *f,
                                 MigrationPass *p, GError **errp)
{
    if (!main_loop_run_sync(migration_stop_vm_fn, s, errp)) {
        return false;
    }
    STORE(s->in_downtime, true);
    migration_rate_set_window(true);
    if (!migrate_set_state(&s->state, MIGRATION_STATUS_ACTIVE,
                           MIGRATION_STATUS_DEVICE)) {
        return migration_check_error(f, errp);
    }
    if (!qemu_savevm_state_complete_precopy(f, errp)) {
        return false;
    }
    migration_emit_passes(p);
    qemu_fflush(f);
    migration_rate_account_main(f);
    return migration_check_error(f, errp);
}

/* Releases the channels; the stream's close error fails the migration. */
static bool migration_release(MigrationState *s, QEMUFile *f, bool ok,
                              GError **errp)
{
    QIOChannel **ioc;
    int n;

    qemu_savevm_state_cleanup();
    if (multifd_send_channels()) {
        multifd_send_shutdown();
    }
    g_mutex_lock(&s->lock);
    s->file = NULL;
    ioc = s->multifd_ioc;
    n = s->multifd_n;
    s->multifd_ioc = NULL;
    s->multifd_n = 0;
    g_mutex_unlock(&s->lock);
    for (int i = 0; i < n; i++) {
        qio_channel_unref(ioc[i]);
    }
    g_free(ioc);
    if (f && !qemu_fclose(f, ok ? errp : NULL)) {
        ok = false;
    }
    g_clear_pointer(&s->main_ioc, qio_channel_unref);
    return ok;
}

static void migration_finish(MigrationState *s, QEMUFile *f, bool ok,
                             GError *err)
{
    int st;

    ok = migration_release(s, f, ok, ok ? &err : NULL);
    if (ok) {
        main_loop_run_sync(migration_postmigrate_fn, s, NULL);
    } else {
        if (err) {
            migration_set_error(g_steal_pointer(&err));
        }
        main_loop_run_sync(migration_restore_vm_fn, s, NULL);
    }
    g_clear_error(&err);
    cpu_throttle_stop();
    STORE(s->in_downtime, false);
    STORE(s->total_time, now_ms() - LOAD(s->start_time));
    if (ok) {
        STORE(s->pending, 0);
        STORE(s->downtime, now_ms() - LOAD(s->downtime_start));
        trace_migration_completed(LOAD(s->total_time), LOAD(s->downtime));
        migrate_set_state(&s->state, MIGRATION_STATUS_DEVICE,
                          MIGRATION_STATUS_COMPLETED);
        return;
    }
    trace_migration_failed(MigrationStatus_str(migration_state()),
                           s->error ? s->error->message : "");
    /* The final state is the thread's last act: a new migrate may join. */
    st = migration_state();
    while (!migrate_set_state(&s->state, st,
                              st == MIGRATION_STATUS_CANCELLING ?
                              MIGRATION_STATUS_CANCELLED :
                              MIGRATION_STATUS_FAILED)) {
        st = migration_state();
    }
}

static gpointer migration_thread(gpointer opaque)
{
    MigrationState *s = opaque;
    MigrationPass pass = { .window_start = now_ms() };
    QEMUFile *f = NULL;
    GError *err = NULL;
    bool ok = false;

    trace_migration_thread_start(
        MigrationAddressType_str(s->addr->transport));
    mig_stats_set(rate_limit_max, 0);     /* no debt from a past migration */
    migration_rate_set_window(false);
    main_bytes_accounted = 0;
    if (!s->main_ioc && !migration_connect_sockets(s, &err)) {
        goto out;
    }
    f = migration_open_file(s);
    if (!qemu_savevm_state_header(f, &err) ||
        !qemu_savevm_state_setup(f, &err)) {
        goto out;
    }
    migration_rate_account_main(f);
    STORE(s->setup_time, now_ms() - LOAD(s->start_time));
    if (!migrate_set_state(&s->state, MIGRATION_STATUS_SETUP,
                           MIGRATION_STATUS_ACTIVE)) {
        migration_check_error(f, &err);
        goto out;
    }
    ok = migration_iterate(s, f, &pass, &err) &&
         migration_completion(s, f, &pass, &err);
out:
    migration_finish(s, f, ok, err);
    return NULL;
}

/* QMP (main loop). */

static void migration_join_thread(MigrationState *s)
{
    if (s->thread) {
        g_thread_join(s->thread);
        s->thread = NULL;
    }
}

static gboolean migration_join_cb(gpointer opaque)
{
    MigrationState *s = opaque;

    if (!state_is_running(migration_state())) {
        migration_join_thread(s);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void migration_reset(MigrationState *s)
{
    memset(&mig_stats, 0, sizeof(mig_stats));
    g_mutex_lock(&s->lock);
    g_clear_error(&s->error);
    s->kick = false;
    g_mutex_unlock(&s->lock);
    g_clear_pointer(&s->addr, qapi_free_MigrationAddress);
    s->vm_stopped = false;
    s->block_inactive = false;
    STORE(s->start_time, now_ms());
    STORE(s->setup_time, 0);
    STORE(s->total_time, 0);
    STORE(s->downtime, 0);
    STORE(s->expected_downtime, (int64_t)migrate_downtime_limit());
    STORE(s->pending, 0);
    STORE(s->mbps_bits, 0);
    STORE(s->pages_per_second, 0);
}

/* Checks that can refuse a migrate before anything starts. */
static bool migrate_prepare(bool resume, GError **errp)
{
    if (resume) {
        error_setg(errp, "Cannot resume if there is no paused migration");
        return false;
    }
    if (migration_is_running()) {
        error_setg(errp, "There's a migration process in progress");
        return false;
    }
    if (runstate_check(RUN_STATE_INMIGRATE)) {
        error_setg(errp, "Guest is waiting for an incoming migration");
        return false;
    }
    return true;
}

bool qmp_migrate(const char *uri, MigrationChannelList *channels,
                 bool has_detach, bool detach, bool has_resume, bool resume,
                 GError **errp)
{
    MigrationState *s = migrate_get_current();
    g_autoptr(MigrationAddress) addr = NULL;
    GError *err = NULL;

    (void)has_detach;
    (void)detach;
    if (!migrate_prepare(has_resume && resume, errp)) {
        return false;
    }
    addr = migrate_address_from_args(uri, channels, "migrate", errp);
    if (!addr) {
        return false;
    }
    if (migrate_multifd() && !migrate_address_multi_channel(addr)) {
        error_setg(errp, "Migration requires multi-channel URIs (e.g. tcp)");
        return false;
    }
    migration_join_thread(s);
    migration_reset(s);
    migrate_set_state(&s->state, migration_state(), MIGRATION_STATUS_SETUP);
    s->main_ioc = migration_channel_open_outgoing(addr, &err);
    if (err) {
        migration_set_error(g_error_copy(err));
        migrate_set_state(&s->state, MIGRATION_STATUS_SETUP,
                          MIGRATION_STATUS_FAILED);
        error_propagate(errp, err);
        return false;
    }
    s->addr = g_steal_pointer(&addr);
    s->thread = g_thread_new("mig/src/main", migration_thread, s);
    g_timeout_add(100, migration_join_cb, s);
    return true;
}

bool qmp_migrate_cancel(GError **errp)
{
    MigrationState *s = migrate_get_current();
    int st = migration_state();

    (void)errp;
    trace_migrate_cancel(MigrationStatus_str(st));
    while (st == MIGRATION_STATUS_SETUP || st == MIGRATION_STATUS_ACTIVE ||
           st == MIGRATION_STATUS_DEVICE) {
        if (migrate_set_state(&s->state, st, MIGRATION_STATUS_CANCELLING)) {
            g_mutex_lock(&s->lock);
            migration_shutdown_channels_locked(s);
            g_mutex_unlock(&s->lock);
            break;
        }
        st = migration_state();
    }
    return true;
}

static MigrationStats *migration_ram_info(MigrationState *s)
{
    MigrationStats *ram = g_new0(MigrationStats, 1);
    uint64_t bits = LOAD(s->mbps_bits);

    ram->transferred = mig_stats_read(transferred);
    ram->remaining = LOAD(s->pending);
    ram->total = ram_bytes_total();
    ram->duplicate = mig_stats_read(zero_pages);
    ram->normal = mig_stats_read(normal_pages);
    ram->normal_bytes = ram->normal * TARGET_PAGE_SIZE;
    ram->dirty_pages_rate = mig_stats_read(dirty_pages_rate);
    memcpy(&ram->mbps, &bits, sizeof(bits));
    ram->dirty_sync_count = mig_stats_read(dirty_sync_count);
    ram->page_size = TARGET_PAGE_SIZE;
    ram->multifd_bytes = mig_stats_read(multifd_bytes);
    ram->pages_per_second = LOAD(s->pages_per_second);
    ram->precopy_bytes = mig_stats_read(precopy_bytes);
    ram->downtime_bytes = mig_stats_read(downtime_bytes);
    return ram;
}

static void migration_fill_info(MigrationState *s, MigrationInfo *info,
                                int st)
{
    bool live = st == MIGRATION_STATUS_ACTIVE ||
                st == MIGRATION_STATUS_DEVICE ||
                st == MIGRATION_STATUS_CANCELLING;

    if (live || st == MIGRATION_STATUS_COMPLETED) {
        info->ram = migration_ram_info(s);
        info->has_setup_time = true;
        info->setup_time = LOAD(s->setup_time);
        info->has_total_time = true;
        info->total_time = live ? now_ms() - LOAD(s->start_time)
                                : LOAD(s->total_time);
    }
    if (live) {
        info->has_expected_downtime = true;
        info->expected_downtime = LOAD(s->expected_downtime);
        if (cpu_throttle_active()) {
            info->has_cpu_throttle_percentage = true;
            info->cpu_throttle_percentage = cpu_throttle_get_percentage();
        }
    }
    if (st == MIGRATION_STATUS_COMPLETED) {
        info->has_downtime = true;
        info->downtime = LOAD(s->downtime);
    }
    if (st == MIGRATION_STATUS_FAILED || st == MIGRATION_STATUS_CANCELLED) {
        g_mutex_lock(&s->lock);
        if (s->error) {
            info->error_desc = g_strdup(s->error->message);
        }
        g_mutex_unlock(&s->lock);
    }
}

MigrationInfo *qmp_query_migrate(GError **errp)
{
    MigrationState *s = migrate_get_current();
    MigrationInfo *info = g_new0(MigrationInfo, 1);
    int st = migration_state();

    (void)errp;
    if (st == MIGRATION_STATUS_NONE) {
        migration_incoming_fill_info(info);
        return info;
    }
    info->has_status = true;
    info->status = st;
    migration_fill_info(s, info, st);
    return info;
}

/* Start-up and shutdown (main loop). */

/* fd:NAME names an fd passed with getfd to the current monitor. */
static int migration_fd_resolve(const char *name, GError **errp)
{
    Monitor *mon = monitor_cur();

    if (!mon) {
        error_setg(errp, "File descriptor named '%s' has not been found",
                   name);
        return -1;
    }
    return monitor_get_fd(mon, name, errp);
}

void migration_init(void)
{
    static bool done;

    if (done) {
        return;
    }
    done = true;
    qio_channel_socket_set_fd_resolver(migration_fd_resolve);
    global_state_init();
    ram_mig_init();
    migration_hmp_init();
}

void migration_shutdown(void)
{
    MigrationState *s = migrate_get_current();

    qmp_migrate_cancel(NULL);
    /* The thread may need the main loop (main_loop_run_sync) to end. */
    while (migration_is_running()) {
        main_loop_wait(false);
    }
    migration_join_thread(s);
    g_clear_pointer(&s->addr, qapi_free_MigrationAddress);
    migration_incoming_shutdown();
}
