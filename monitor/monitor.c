/*
 * monitor.c: what QMP and HMP monitors share: output, the current
 * monitor, getfd tables, creation from -mon/-qmp/-monitor, the QAPI event
 * emitter, start-up and clean-up.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/cutils.h"
#include "util/json.h"
#include "util/main-loop.h"
#include "monitor/monitor-int.h"
#include "monitor/chardev.h"
#include "qapi/qmp-event.h"
#include "trace-monitor.h"

static GList *monitors;             /* Monitor*: every live session */
static int monitor_conn_count;      /* sessions on chardev connections */
static GList *configs;              /* MonitorConfig*, freed at cleanup */
static int compat_index;            /* N of compat_monitorN */
static __thread Monitor *cur_mon;

/*
 * Events raised outside the main thread wait here until a BH sends them,
 * in the order they were raised.  Protected by pending_lock.
 */
typedef struct PendingEvent {
    char *name;
    JsonObject *data;
    int64_t real_us;
} PendingEvent;

static GMutex pending_lock;
static GQueue pending_events = G_QUEUE_INIT;
static bool pending_scheduled;

Monitor *monitor_cur(void)
{
    return cur_mon;
}

/* Make @mon current in this thread; returns the previous one. */
Monitor *monitor_set_cur(Monitor *mon)
{
    Monitor *old = cur_mon;

    cur_mon = mon;
    return old;
}

bool monitor_is_qmp(const Monitor *mon)
{
    return mon->is_qmp;
}

void monitor_common_init(Monitor *mon, bool is_qmp, bool pretty,
                         CharConn *conn)
{
    mon->is_qmp = is_qmp;
    mon->pretty = pretty;
    mon->conn = conn;
    if (!conn) {
        mon->outbuf = g_string_new("");
    }
    mon->fds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    mon->msg_fds = g_array_new(false, false, sizeof(int));
}

static void close_named_fd(gpointer key, gpointer value, gpointer opaque)
{
    close(GPOINTER_TO_INT(value));
}

void monitor_common_destroy(Monitor *mon)
{
    g_hash_table_foreach(mon->fds, close_named_fd, NULL);
    g_hash_table_unref(mon->fds);
    monitor_msg_fds_close(mon);
    g_array_unref(mon->msg_fds);
    if (mon->outbuf) {
        g_string_free(mon->outbuf, true);
    }
}

void monitor_list_add(Monitor *mon)
{
    monitors = g_list_append(monitors, mon);
    if (mon->conn) {
        monitor_conn_count++;
    }
}

void monitor_list_remove(Monitor *mon)
{
    monitors = g_list_remove(monitors, mon);
    if (mon->conn && --monitor_conn_count == 0) {
        /* QEMU frees fd sets once no monitor is connected */
        monitor_fdsets_free_all();
    }
}

/* A copy of the list of live sessions (free with g_list_free). */
GList *monitor_list_get(void)
{
    return g_list_copy(monitors);
}

/* Send text, "\n" becoming "\r\n". */
int monitor_puts(Monitor *mon, const char *str)
{
    g_autoptr(GString) out = g_string_sized_new(strlen(str) + 16);

    for (const char *p = str; *p; p++) {
        if (*p == '\n') {
            g_string_append_c(out, '\r');
        }
        g_string_append_c(out, *p);
    }
    if (mon->conn) {
        char_conn_write(mon->conn, out->str, out->len);
    } else {
        g_string_append_len(mon->outbuf, out->str, out->len);
    }
    return strlen(str);
}

int monitor_printf(Monitor *mon, const char *fmt, ...)
{
    g_autofree char *buf = NULL;
    va_list ap;

    if (mon->is_qmp) {
        return -1;
    }
    va_start(ap, fmt);
    buf = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return monitor_puts(mon, buf);
}

/* The fds that came with the request about to run (ownership taken). */
void monitor_msg_fds_set(Monitor *mon, GArray *fds)
{
    monitor_msg_fds_close(mon);
    if (fds) {
        g_array_append_vals(mon->msg_fds, fds->data, fds->len);
    }
}

/* Close the request's fds that no command took. */
void monitor_msg_fds_close(Monitor *mon)
{
    for (guint i = 0; i < mon->msg_fds->len; i++) {
        close(g_array_index(mon->msg_fds, int, i));
    }
    g_array_set_size(mon->msg_fds, 0);
}

/* Take the oldest fd received with the current request, or -1. */
int monitor_msg_fd_take(Monitor *mon)
{
    int fd;

    if (!mon->msg_fds->len) {
        return -1;
    }
    fd = g_array_index(mon->msg_fds, int, 0);
    g_array_remove_index(mon->msg_fds, 0);
    return fd;
}

/* getfd: store @fd (ownership taken) as @fdname, replacing an old one. */
bool monitor_add_fd(Monitor *mon, int fd, const char *fdname,
                    GError **errp)
{
    gpointer old;

    if (g_ascii_isdigit(fdname[0])) {
        close(fd);
        error_setg(errp, "Parameter 'fdname' expects a name not starting "
                   "with a digit");
        return false;
    }
    if (g_hash_table_lookup_extended(mon->fds, fdname, NULL, &old)) {
        close(GPOINTER_TO_INT(old));
    }
    g_hash_table_insert(mon->fds, g_strdup(fdname), GINT_TO_POINTER(fd));
    return true;
}

bool monitor_close_fd(Monitor *mon, const char *fdname, GError **errp)
{
    gpointer fd;

    if (!g_hash_table_lookup_extended(mon->fds, fdname, NULL, &fd)) {
        error_setg(errp, "File descriptor named '%s' not found", fdname);
        return false;
    }
    close(GPOINTER_TO_INT(fd));
    g_hash_table_remove(mon->fds, fdname);
    return true;
}

int monitor_get_fd(Monitor *mon, const char *fdname, GError **errp)
{
    gpointer fd;

    if (!mon || !g_hash_table_lookup_extended(mon->fds, fdname, NULL,
                                              &fd)) {
        error_setg(errp, "File descriptor named '%s' has not been found",
                   fdname);
        return -1;
    }
    g_hash_table_remove(mon->fds, fdname);
    return GPOINTER_TO_INT(fd);
}

static void monitor_open_cb(void *opaque, CharConn *conn)
{
    MonitorConfig *cfg = opaque;

    if (cfg->qmp) {
        monitor_qmp_open(cfg, conn);
    } else {
        monitor_hmp_open(cfg, conn);
    }
}

static bool monitor_attach(Chardev *chr, bool qmp, bool pretty,
                           GError **errp)
{
    MonitorConfig *cfg = g_new0(MonitorConfig, 1);

    cfg->qmp = qmp;
    cfg->pretty = pretty;
    configs = g_list_prepend(configs, cfg);
    return chardev_set_frontend(chr, monitor_open_cb, cfg, errp);
}

static const char *const mon_keys[] = { "chardev", "mode", "pretty", "id" };

static bool mon_check_keys(JsonObject *opts, GError **errp)
{
    g_autoptr(GList) members = json_object_get_members(opts);

    for (GList *l = members; l; l = l->next) {
        bool known = false;

        for (size_t i = 0; i < G_N_ELEMENTS(mon_keys); i++) {
            known = known || !strcmp(l->data, mon_keys[i]);
        }
        if (!known) {
            error_setg(errp, "Invalid parameter '%s'", (char *)l->data);
            return false;
        }
    }
    return true;
}

bool monitor_new_from_opts(JsonObject *opts, GError **errp)
{
    const char *id, *mode, *pretty_s;
    bool pretty = false, qmp;
    Chardev *chr;

    if (!mon_check_keys(opts, errp)) {
        return false;
    }
    id = json_object_get_string_member_with_default(opts, "chardev", NULL);
    mode = json_object_get_string_member_with_default(opts, "mode",
                                                      "readline");
    pretty_s = json_object_get_string_member_with_default(opts, "pretty",
                                                          NULL);
    if (!strcmp(mode, "readline")) {
        qmp = false;
    } else if (!strcmp(mode, "control")) {
        qmp = true;
    } else {
        error_setg(errp, "Parameter 'mode' does not accept value '%s'",
                   mode);
        return false;
    }
    if (pretty_s && !qapi_bool_parse("pretty", pretty_s, &pretty, errp)) {
        return false;
    }
    if (pretty && !qmp) {
        error_setg(errp, "'pretty' is not compatible with HMP monitors");
        return false;
    }
    if (!id) {
        error_setg(errp, "Parameter 'chardev' is missing");
        return false;
    }
    chr = chardev_find(id);
    if (!chr) {
        error_setg(errp, "chardev \"%s\" not found", id);
        return false;
    }
    return monitor_attach(chr, qmp, pretty, errp);
}

bool monitor_new_compat(const char *dev, bool qmp, bool pretty,
                        GError **errp)
{
    g_autofree char *label = NULL;
    Chardev *chr;

    if (!strcmp(dev, "none")) {
        return true;
    }
    label = g_strdup_printf("compat_monitor%d", compat_index++);
    chr = chardev_new_compat(label, dev, errp);
    return chr && monitor_attach(chr, qmp, pretty, errp);
}

/* A JSON value copied all the way down (json_node_copy shares objects). */
static JsonNode *json_deep_copy(JsonNode *node);

static JsonObject *json_object_deep_copy(JsonObject *obj)
{
    JsonObject *copy = json_object_new();
    g_autoptr(GList) members = json_object_get_members(obj);

    for (GList *l = members; l; l = l->next) {
        json_object_set_member(copy, l->data,
            json_deep_copy(json_object_get_member(obj, l->data)));
    }
    return copy;
}

static JsonNode *json_deep_copy(JsonNode *node)
{
    JsonNode *copy;

    switch (JSON_NODE_TYPE(node)) {
    case JSON_NODE_OBJECT:
        copy = json_node_new(JSON_NODE_OBJECT);
        json_node_take_object(copy,
            json_object_deep_copy(json_node_get_object(node)));
        return copy;
    case JSON_NODE_ARRAY: {
        JsonArray *src = json_node_get_array(node);
        JsonArray *dst = json_array_new();

        for (guint i = 0; i < json_array_get_length(src); i++) {
            json_array_add_element(dst,
                json_deep_copy(json_array_get_element(src, i)));
        }
        copy = json_node_new(JSON_NODE_ARRAY);
        json_node_take_array(copy, dst);
        return copy;
    }
    default:
        return json_node_copy(node);
    }
}

static void monitor_send_pending_events_bh(void *opaque)
{
    PendingEvent *ev;

    for (;;) {
        g_mutex_lock(&pending_lock);
        ev = g_queue_pop_head(&pending_events);
        pending_scheduled = ev != NULL;
        g_mutex_unlock(&pending_lock);
        if (!ev) {
            break;
        }
        monitor_qmp_broadcast_event(ev->name, ev->data, ev->real_us);
        g_free(ev->name);
        if (ev->data) {
            json_object_unref(ev->data);
        }
        g_free(ev);
    }
}

/* The QAPI event emitter: any thread. */
static void monitor_qapi_event_emit(const char *event, JsonObject *data)
{
    int64_t now = g_get_real_time();
    PendingEvent *ev;
    bool schedule;

    trace_monitor_qmp_event_emit(event);
    if (qemu_in_main_thread()) {
        /* synchronous: an event raised by a command precedes its reply */
        monitor_qmp_broadcast_event(event, data, now);
        return;
    }
    ev = g_new0(PendingEvent, 1);
    ev->name = g_strdup(event);
    ev->data = data ? json_object_deep_copy(data) : NULL;
    ev->real_us = now;
    g_mutex_lock(&pending_lock);
    g_queue_push_tail(&pending_events, ev);
    schedule = !pending_scheduled;
    pending_scheduled = true;
    g_mutex_unlock(&pending_lock);
    if (schedule) {
        aio_bh_schedule_oneshot(qemu_get_aio_context(),
                                monitor_send_pending_events_bh, NULL);
    }
}

void monitor_init_globals(void)
{
    monitor_qmp_init_globals();
    monitor_hmp_init_globals();
    qapi_event_set_emitter(monitor_qapi_event_emit);
}

void monitor_cleanup(void)
{
    /* events raised by threads before exit still go out */
    monitor_send_pending_events_bh(NULL);
    chardev_cleanup_all();
    while (monitors) {
        /* temporary monitors never outlive their command */
        monitors = g_list_delete_link(monitors, monitors);
    }
    monitor_conn_count = 0;
    monitor_fdsets_free_all();
    g_list_free_full(configs, g_free);
    configs = NULL;
    compat_index = 0;
    monitor_hmp_cleanup_globals();
}
