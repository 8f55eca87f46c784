/*
 * incoming.c: the destination side: migrate-incoming and -incoming, the
 * listener and channel routing, the incoming thread, completion and
 * failure; and the "globalstate" device that carries the source's run
 * state.
 *
 * Threads: the QMP handler, the listener callbacks and the completion BH
 * run in the main loop; the incoming thread accepts the routed channels
 * and reads the stream (device state is loaded in the main loop by
 * savevm.c through main_loop_run_sync()).
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/main-loop.h"
#include "io/channel.h"
#include "io/net-listener.h"
#include "qapi/qapi-commands-migration.h"
#include "system/runstate.h"
#include "migration/misc.h"
#include "migration/qemu-file.h"
#include "migration/vmstate.h"
#include "migration.h"
#include "multifd.h"
#include "options.h"
#include "savevm.h"
#include "trace-migration.h"

typedef struct MigrationIncomingState {
    /* MigrationStatus; atomic (migrate_set_state()). */
    int state;

    /* Main loop only. */
    bool deferred;               /* -incoming defer */
    bool from_cmdline;           /* -incoming URI (always exits on error) */
    MigrationAddress *cmdline_addr;
    bool started;
    bool exit_on_error;
    QIONetListener *listener;
    GThread *thread;

    /* Set before the thread starts, then the thread's. */
    MigrationAddress *addr;
    QIOChannel *main_ioc;
    GAsyncQueue *queue;          /* accepted channels, or the sentinel */
    bool multifd;

    /* Written by the thread before it schedules the BH. */
    GError *error;
    bool ok;

    /* Protected by lock: the stream, for shutdown. */
    GMutex lock;
    QEMUFile *file;
    bool shutting_down;
} MigrationIncomingState;

static MigrationIncomingState incoming = { .state = MIGRATION_STATUS_NONE };
/* Pushed into the queue to wake the incoming thread at shutdown. */
static int incoming_wake_sentinel;

bool migration_incoming_started(void)
{
    return incoming.started;
}

bool migration_incoming_fill_info(MigrationInfo *info)
{
    int st = __atomic_load_n(&incoming.state, __ATOMIC_ACQUIRE);

    if (st == MIGRATION_STATUS_NONE) {
        return false;
    }
    info->has_status = true;
    info->status = st;
    if (incoming.listener && st == MIGRATION_STATUS_SETUP) {
        SocketAddress *sa = qio_net_listener_get_address(incoming.listener,
                                                         NULL);

        if (sa) {
            info->socket_address = g_new0(SocketAddressList, 1);
            info->socket_address->value = sa;
        }
    }
    if (st == MIGRATION_STATUS_FAILED && incoming.error) {
        info->error_desc = g_strdup(incoming.error->message);
    }
    return true;
}

/* The "globalstate" device: whether the source guest was running. */

typedef struct GlobalState {
    bool running;
} GlobalState;

static GlobalState global_state;

static const VMStateField global_state_fields[] = {
    VMSTATE_BOOL(running, GlobalState),
    VMSTATE_END,
};

static const VMStateDescription vmstate_globalstate = {
    .name = "globalstate",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = global_state_fields,
};

void global_state_init(void)
{
    GError *err = NULL;

    if (!vmstate_register("globalstate", 0, &vmstate_globalstate,
                          &global_state, &err)) {
        error_report_err(err);
        abort();
    }
}

void global_state_store(void)
{
    global_state.running = runstate_is_running();
}

/* The incoming thread. */

/* Main loop: no more connections. */
static bool incoming_stop_listening_fn(void *opaque, GError **errp)
{
    (void)opaque;
    (void)errp;
    if (incoming.listener) {
        qio_net_listener_disconnect(incoming.listener);
    }
    return true;
}

/* Routes one accepted channel; takes @ioc. */
static bool incoming_route(MigrationIncomingState *mis, QIOChannel *ioc,
                           int n, int *got, GError **errp)
{
    uint32_t kind, index;
    bool ok;

    if (!migration_channel_read_preamble(ioc, &kind, &index, errp)) {
        qio_channel_unref(ioc);
        return false;
    }
    trace_migration_incoming_channel(kind, index);
    if (kind == MIG_CHANNEL_KIND_MAIN) {
        if (mis->main_ioc) {
            error_setg(errp, "a second main migration channel arrived");
            qio_channel_unref(ioc);
            return false;
        }
        mis->main_ioc = ioc;
        return true;
    }
    if (!n || index >= (uint32_t)n) {
        error_setg(errp, "unexpected multifd channel %u (multifd %s, "
                   "%d channels)", index, n ? "on" : "off", n);
        qio_channel_unref(ioc);
        return false;
    }
    ok = multifd_recv_new_channel(ioc, index, errp);
    qio_channel_unref(ioc);
    (*got)++;
    return ok;
}

/* Sockets: wait for the main channel and every multifd channel. */
static bool incoming_accept_channels(MigrationIncomingState *mis,
                                     GError **errp)
{
    int n = mis->multifd ? migrate_multifd_channels() : 0;
    int got = 0;

    while (!mis->main_ioc || got < n) {
        gpointer item = g_async_queue_pop(mis->queue);

        if (item == &incoming_wake_sentinel) {
            error_setg(errp, "incoming migration cancelled");
            return false;
        }
        if (!incoming_route(mis, item, n, &got, errp)) {
            return false;
        }
    }
    return main_loop_run_sync(incoming_stop_listening_fn, mis, errp);
}

static bool incoming_load(MigrationIncomingState *mis, GError **errp)
{
    QEMUFile *f;
    bool ok;

    f = qemu_file_new_input(mis->main_ioc);
    g_mutex_lock(&mis->lock);
    mis->file = f;
    if (mis->shutting_down) {
        qemu_file_shutdown(f);
    }
    g_mutex_unlock(&mis->lock);
    /* As QEMU: active once the source's data arrives. */
    qio_channel_wait(mis->main_ioc, G_IO_IN);
    migrate_set_state(&mis->state, MIGRATION_STATUS_SETUP,
                      MIGRATION_STATUS_ACTIVE);
    ok = qemu_loadvm_state(f, errp);
    g_mutex_lock(&mis->lock);
    mis->file = NULL;
    g_mutex_unlock(&mis->lock);
    qemu_fclose(f, NULL);
    return ok;
}

static void incoming_finish_bh(void *opaque);

static gpointer incoming_thread(gpointer opaque)
{
    MigrationIncomingState *mis = opaque;
    GError *err = NULL;
    bool ok;

    ok = (!mis->multifd ||
          multifd_recv_setup(migrate_multifd_channels(), &err)) &&
         (mis->main_ioc || incoming_accept_channels(mis, &err)) &&
         incoming_load(mis, &err);
    if (mis->multifd) {
        multifd_recv_shutdown();
    }
    mis->ok = ok;
    mis->error = err;
    aio_bh_schedule_oneshot(qemu_get_aio_context(), incoming_finish_bh, mis);
    return NULL;
}

/* Completion (main loop). */

static void incoming_cleanup(MigrationIncomingState *mis)
{
    if (mis->thread) {
        g_thread_join(mis->thread);
        mis->thread = NULL;
    }
    g_clear_pointer(&mis->listener, qio_net_listener_free);
    g_clear_pointer(&mis->main_ioc, qio_channel_unref);
    if (mis->queue) {
        gpointer item;

        while ((item = g_async_queue_try_pop(mis->queue))) {
            if (item != &incoming_wake_sentinel) {
                qio_channel_unref(item);
            }
        }
        g_clear_pointer(&mis->queue, g_async_queue_unref);
    }
    g_clear_pointer(&mis->addr, qapi_free_MigrationAddress);
}

static void incoming_finish_bh(void *opaque)
{
    MigrationIncomingState *mis = opaque;
    int st = __atomic_load_n(&mis->state, __ATOMIC_ACQUIRE);

    incoming_cleanup(mis);
    trace_migration_incoming_done(mis->ok,
                                  mis->error ? mis->error->message : "");
    if (mis->ok && !migration_activate_disks(&mis->error)) {
        mis->ok = false;
    }
    if (mis->ok) {
        if (runstate_get_autostart() && global_state.running) {
            vm_start();
        } else {
            runstate_set(RUN_STATE_PAUSED);
        }
        migrate_set_state(&mis->state, st, MIGRATION_STATUS_COMPLETED);
        return;
    }
    migrate_set_state(&mis->state, st, MIGRATION_STATUS_FAILED);
    if (mis->shutting_down) {
        return;
    }
    if (mis->exit_on_error || mis->from_cmdline) {
        error_report("load of migration failed: %s", mis->error->message);
        qemu_system_shutdown_request_with_code(SHUTDOWN_CAUSE_HOST_ERROR,
                                               EXIT_FAILURE);
    }
}

/* Starting (main loop). */

static bool incoming_start(MigrationIncomingState *mis,
                           const MigrationAddress *addr, GError **errp)
{
    trace_migration_incoming_start(
        MigrationAddressType_str(addr->transport));
    mis->multifd = migrate_multifd();
    if (mis->multifd && !migrate_address_multi_channel(addr)) {
        error_setg(errp, "Migration requires multi-channel URIs (e.g. tcp)");
        return false;
    }
    mis->main_ioc = migration_channel_open_incoming(addr, errp);
    if (errp && *errp) {
        return false;
    }
    if (!mis->main_ioc) {
        int backlog = mis->multifd ? migrate_multifd_channels() + 1 : 1;

        mis->queue = g_async_queue_new();
        mis->listener = migration_socket_listen(&addr->u.socket, backlog,
                                                mis->queue, errp);
        if (!mis->listener) {
            g_clear_pointer(&mis->queue, g_async_queue_unref);
            return false;
        }
    }
    mis->addr = migrate_address_copy(addr);
    mis->started = true;
    migrate_set_state(&mis->state, MIGRATION_STATUS_NONE,
                      MIGRATION_STATUS_SETUP);
    mis->thread = g_thread_new("mig/dst/main", incoming_thread, mis);
    return true;
}

bool qmp_migrate_incoming(const char *uri, MigrationChannelList *channels,
                          bool has_exit_on_error, bool exit_on_error,
                          GError **errp)
{
    MigrationIncomingState *mis = &incoming;
    g_autoptr(MigrationAddress) addr = NULL;

    if (!mis->deferred) {
        error_setg(errp, "'-incoming' was not specified on the command line");
        return false;
    }
    if (mis->started) {
        error_setg(errp, "The incoming migration has already been started");
        return false;
    }
    addr = migrate_address_from_args(uri, channels, "migrate-incoming",
                                     errp);
    if (!addr) {
        return false;
    }
    mis->exit_on_error = has_exit_on_error ? exit_on_error : true;
    return incoming_start(mis, addr, errp);
}

bool migration_incoming_set_cmdline(const char *uri, GError **errp)
{
    MigrationIncomingState *mis = &incoming;

    if (g_str_equal(uri, "defer")) {
        mis->deferred = true;
        return true;
    }
    mis->cmdline_addr = migrate_uri_parse(uri, errp);
    return mis->cmdline_addr != NULL;
}

bool migration_incoming_start_cmdline(GError **errp)
{
    MigrationIncomingState *mis = &incoming;
    g_autoptr(MigrationAddress) addr = g_steal_pointer(&mis->cmdline_addr);

    if (!addr) {
        return true;
    }
    mis->from_cmdline = true;
    mis->exit_on_error = true;
    return incoming_start(mis, addr, errp);
}

void migration_incoming_shutdown(void)
{
    MigrationIncomingState *mis = &incoming;

    g_clear_pointer(&mis->cmdline_addr, qapi_free_MigrationAddress);
    if (!mis->thread) {
        incoming_cleanup(mis);
        return;
    }
    g_mutex_lock(&mis->lock);
    mis->shutting_down = true;
    if (mis->file) {
        qemu_file_shutdown(mis->file);
    }
    g_mutex_unlock(&mis->lock);
    if (mis->queue) {
        g_async_queue_push(mis->queue, &incoming_wake_sentinel);
    }
    /* The thread may need the main loop (device load) to finish. */
    while (__atomic_load_n(&mis->state, __ATOMIC_ACQUIRE) ==
           MIGRATION_STATUS_SETUP ||
           __atomic_load_n(&mis->state, __ATOMIC_ACQUIRE) ==
           MIGRATION_STATUS_ACTIVE) {
        main_loop_wait(false);
    }
    incoming_cleanup(mis);
}
