/*
 * qmp.c: QMP sessions.
 *
 * Each connection of a control-mode chardev is a session: greeting,
 * capabilities negotiation, a JSON streamer feeding a bounded queue of
 * requests, and a dispatcher (an idle source on the main context) that
 * handles them strictly in order, one per main-loop iteration, so that
 * clients take turns.
 *
 * Every command runs in a coroutine.  Most return without yielding; a
 * coroutine command (QCO_COROUTINE, e.g. one that waits for a worker
 * thread) may yield, and then its session holds its queue until the reply
 * is sent while other sessions go on being served.  Such a handler must
 * read monitor_cur() before its first yield.  Main thread only.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/json.h"
#include "util/coroutine.h"
#include "monitor/monitor-int.h"
#include "qapi/qmp-dispatch.h"
#include "qapi/qapi-commands-control.h"
#include "qapi/qapi-visit-control.h"
#include "trace-monitor.h"

/* One queued input message: a parsed request or a parse error. */
typedef struct QMPRequest {
    JsonNode *req;
    GError *err;
    GArray *fds;            /* int: fds received with it, or NULL */
} QMPRequest;

QmpCommandList *qmp_cap_negotiation_commands;

static void close_fds(GArray *fds)
{
    for (guint i = 0; fds && i < fds->len; i++) {
        close(g_array_index(fds, int, i));
    }
}

static void qmp_request_free(QMPRequest *r)
{
    if (r->req) {
        json_node_unref(r->req);
    }
    if (r->err) {
        g_error_free(r->err);
    }
    if (r->fds) {
        close_fds(r->fds);
        g_array_unref(r->fds);
    }
    g_free(r);
}

/* Send one JSON object followed by "\r\n" (pretty newlines too). */
static void monitor_qmp_send(MonitorQMP *mon, JsonObject *obj)
{
    JsonNode *node = json_node_init_object(json_node_alloc(), obj);
    g_autofree char *text = json_to_string(node, mon->common.pretty);
    g_autofree char *line = g_strconcat(text, "\n", NULL);

    trace_monitor_qmp_respond(mon, strlen(text));
    monitor_puts(&mon->common, line);
    json_node_unref(node);
}

bool monitor_qmp_in_command_mode(Monitor *mon)
{
    return mon->is_qmp &&
        ((MonitorQMP *)mon)->commands != qmp_cap_negotiation_commands;
}

void monitor_qmp_enter_command_mode(Monitor *mon)
{
    g_assert(mon->is_qmp);
    ((MonitorQMP *)mon)->commands = qmp_get_commands();
}

/* In negotiation mode every CommandNotFound says what is expected. */
static void qmp_rewrite_negotiation_error(JsonObject *reply)
{
    JsonObject *error;
    const char *cls;

    if (!json_object_has_member(reply, "error")) {
        return;
    }
    error = json_object_get_object_member(reply, "error");
    cls = json_object_get_string_member_with_default(error, "class", "");
    if (!strcmp(cls, error_class_name(ERROR_CLASS_COMMAND_NOT_FOUND))) {
        json_object_set_string_member(error, "desc",
            "Expecting capabilities negotiation with 'qmp_capabilities'");
    }
}

static const char *qmp_request_name(JsonNode *req)
{
    JsonObject *obj;
    JsonNode *n;

    if (JSON_NODE_TYPE(req) != JSON_NODE_OBJECT) {
        return "";
    }
    obj = json_node_get_object(req);
    n = json_object_get_member(obj, "execute");
    if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE ||
        json_node_get_value_type(n) != G_TYPE_STRING) {
        return "";
    }
    return json_node_get_string(n);
}

typedef struct QMPCommandCo {
    MonitorQMP *mon;
    QMPRequest *req;
} QMPCommandCo;

static void monitor_qmp_free(MonitorQMP *mon);
static void monitor_qmp_schedule(MonitorQMP *mon);

static void coroutine_fn monitor_qmp_dispatch_co(void *opaque)
{
    QMPCommandCo *data = opaque;
    MonitorQMP *mon = data->mon;
    bool negotiating = mon->commands == qmp_cap_negotiation_commands;
    g_autoptr(JsonObject) reply = qmp_dispatch(mon->commands, data->req->req,
                                               false);

    qmp_request_free(data->req);
    g_free(data);
    mon->co_running = false;
    if (mon->dead) {
        monitor_qmp_free(mon);
        return;
    }
    monitor_msg_fds_close(&mon->common);
    if (negotiating) {
        qmp_rewrite_negotiation_error(reply);
    }
    monitor_qmp_send(mon, reply);
    if (mon->co_yielded) {
        /* resumed after a yield: the dispatcher goes on with the queue */
        mon->co_yielded = false;
        monitor_qmp_schedule(mon);
    }
}

/* Answer @r (taking it).  Returns false if its command yielded. */
static bool monitor_qmp_handle(MonitorQMP *mon, QMPRequest *r)
{
    QMPCommandCo *data;
    Monitor *old;

    if (r->err) {
        g_autoptr(JsonObject) reply = qmp_error_response(r->err);

        monitor_qmp_send(mon, reply);
        qmp_request_free(r);
        return true;
    }
    trace_monitor_qmp_cmd_in_band(mon, qmp_request_name(r->req));
    monitor_msg_fds_set(&mon->common, r->fds);
    g_clear_pointer(&r->fds, g_array_unref);
    data = g_new0(QMPCommandCo, 1);
    data->mon = mon;
    data->req = r;
    mon->co_running = true;
    old = monitor_set_cur(&mon->common);
    qemu_coroutine_enter(qemu_coroutine_create(monitor_qmp_dispatch_co,
                                               data));
    monitor_set_cur(old);
    mon->co_yielded = mon->co_running;
    return !mon->co_yielded;
}

/*
 * Feed buffered input while the queue has room.  One byte completes at
 * most two messages ("3}"), so slices of (room / 2) bytes keep the queue
 * within its bound.  Reading resumes once all input is consumed.
 */
static void monitor_qmp_pump(MonitorQMP *mon)
{
    guint qlen = g_queue_get_length(mon->requests);

    while (mon->inbuf->len && qlen < QMP_REQ_QUEUE_LEN_MAX) {
        size_t slice = MAX(1, (QMP_REQ_QUEUE_LEN_MAX - qlen) / 2);

        slice = MIN(slice, mon->inbuf->len);
        json_streamer_feed(mon->parser, (const char *)mon->inbuf->data,
                           slice);
        g_byte_array_remove_range(mon->inbuf, 0, slice);
        qlen = g_queue_get_length(mon->requests);
    }
    char_conn_set_read_enabled(mon->common.conn, !mon->inbuf->len &&
                               qlen < QMP_REQ_QUEUE_LEN_MAX);
}

/*
 * Close the session once the peer is gone (writes fail: queued requests
 * are dropped) or has sent its last byte and everything was answered.
 * Returns true when @mon was freed.
 */
static bool monitor_qmp_close_if_done(MonitorQMP *mon)
{
    CharConn *conn = mon->common.conn;

    if (!char_conn_is_broken(conn) &&
        !(mon->eof && !mon->inbuf->len && g_queue_is_empty(mon->requests))) {
        return false;
    }
    char_conn_close(conn);
    return true;
}

static gboolean monitor_qmp_dispatch_cb(gpointer opaque)
{
    MonitorQMP *mon = opaque;
    QMPRequest *r = mon->co_yielded ? NULL : g_queue_pop_head(mon->requests);

    if (r && !monitor_qmp_handle(mon, r)) {
        /* the reply comes when the coroutine ends; it reschedules us */
        g_source_unref(mon->dispatch_src);
        mon->dispatch_src = NULL;
        return G_SOURCE_REMOVE;
    }
    monitor_qmp_pump(mon);
    if (!mon->co_yielded && !g_queue_is_empty(mon->requests) &&
        !char_conn_is_broken(mon->common.conn)) {
        return G_SOURCE_CONTINUE;
    }
    g_source_unref(mon->dispatch_src);
    mon->dispatch_src = NULL;
    if (!mon->co_yielded) {
        monitor_qmp_close_if_done(mon);
    }
    return G_SOURCE_REMOVE;
}

static void monitor_qmp_schedule(MonitorQMP *mon)
{
    if (mon->dispatch_src) {
        return;
    }
    mon->dispatch_src = g_idle_source_new();
    g_source_set_callback(mon->dispatch_src, monitor_qmp_dispatch_cb, mon,
                          NULL);
    g_source_attach(mon->dispatch_src, NULL);
}

/* The streamer's callback: queue what it found. */
static void monitor_qmp_message(void *opaque, JsonNode *value, GError *err)
{
    MonitorQMP *mon = opaque;
    QMPRequest *r = g_new0(QMPRequest, 1);

    r->req = value;
    r->err = err;
    if (mon->in_fds->len) {
        r->fds = mon->in_fds;
        mon->in_fds = g_array_new(false, false, sizeof(int));
    }
    g_queue_push_tail(mon->requests, r);
    trace_monitor_qmp_request_queue(mon, g_queue_get_length(mon->requests));
    monitor_qmp_schedule(mon);
}

static void monitor_qmp_read(void *opaque, const uint8_t *buf, size_t len,
                             int *fds, size_t nfds)
{
    MonitorQMP *mon = opaque;

    if (!len) {
        /* end of input: answer what was sent, then close */
        mon->eof = true;
        monitor_qmp_pump(mon);
        monitor_qmp_close_if_done(mon);
        return;
    }
    /* fds belong to the next message the parser completes */
    if (mon->in_fds->len + nfds > CHAR_CONN_MAX_FDS) {
        close_fds(mon->in_fds);
        g_array_set_size(mon->in_fds, 0);
    }
    g_array_append_vals(mon->in_fds, fds, nfds);
    g_byte_array_append(mon->inbuf, buf, len);
    monitor_qmp_pump(mon);
}

static void monitor_qmp_free(MonitorQMP *mon)
{
    monitor_common_destroy(&mon->common);
    g_free(mon);
}

static void monitor_qmp_close(void *opaque)
{
    MonitorQMP *mon = opaque;

    if (mon->dispatch_src) {
        g_source_destroy(mon->dispatch_src);
        g_source_unref(mon->dispatch_src);
        mon->dispatch_src = NULL;
    }
    g_queue_free_full(mon->requests, (GDestroyNotify)qmp_request_free);
    mon->requests = NULL;
    json_streamer_free(mon->parser);
    g_byte_array_unref(mon->inbuf);
    close_fds(mon->in_fds);
    g_array_unref(mon->in_fds);
    monitor_list_remove(&mon->common);
    if (mon->co_running) {
        /* a yielded command still refers to us: it frees us at its end */
        mon->dead = true;
        return;
    }
    monitor_qmp_free(mon);
}

static void monitor_qmp_greet(MonitorQMP *mon)
{
    g_autoptr(VersionInfo) ver = qmp_query_version(NULL);
    g_autoptr(JsonObject) greeting = json_object_new();
    JsonObject *qmp = json_object_new();

    json_object_set_member(qmp, "version", qapi_VersionInfo_to_json(ver));
    json_object_set_array_member(qmp, "capabilities", json_array_new());
    json_object_set_object_member(greeting, "QMP", qmp);
    monitor_qmp_send(mon, greeting);
}

/* A new connection on a control-mode chardev. */
void monitor_qmp_open(MonitorConfig *cfg, CharConn *conn)
{
    MonitorQMP *mon = g_new0(MonitorQMP, 1);

    monitor_common_init(&mon->common, true, cfg->pretty, conn);
    mon->commands = qmp_cap_negotiation_commands;
    mon->parser = json_streamer_new(monitor_qmp_message, mon);
    mon->inbuf = g_byte_array_new();
    mon->in_fds = g_array_new(false, false, sizeof(int));
    mon->requests = g_queue_new();
    monitor_list_add(&mon->common);
    monitor_qmp_greet(mon);
    char_conn_set_handlers(conn, monitor_qmp_read, monitor_qmp_close, mon);
}

static JsonObject *qmp_event_object(const char *event, JsonObject *data,
                                   int64_t real_us)
{
    JsonObject *obj = json_object_new();
    JsonObject *ts = json_object_new();

    json_object_set_int_member(ts, "seconds", real_us / G_USEC_PER_SEC);
    json_object_set_int_member(ts, "microseconds",
                               real_us % G_USEC_PER_SEC);
    json_object_set_object_member(obj, "timestamp", ts);
    json_object_set_string_member(obj, "event", event);
    if (data) {
        json_object_set_object_member(obj, "data", json_object_ref(data));
    }
    return obj;
}

/* Send an event to every QMP session that left negotiation mode. */
void monitor_qmp_broadcast_event(const char *event, JsonObject *data,
                                 int64_t real_us)
{
    g_autoptr(JsonObject) obj = qmp_event_object(event, data, real_us);
    g_autoptr(GList) mons = monitor_list_get();

    for (GList *l = mons; l; l = l->next) {
        Monitor *mon = l->data;

        if (monitor_qmp_in_command_mode(mon)) {
            monitor_qmp_send((MonitorQMP *)mon, obj);
        }
    }
}

void monitor_qmp_init_globals(void)
{
    if (qmp_cap_negotiation_commands) {
        return;
    }
    qmp_cap_negotiation_commands = qmp_command_list_new();
    qmp_register_command(qmp_cap_negotiation_commands, "qmp_capabilities",
                         qmp_marshal_qmp_capabilities, QCO_ALLOW_PRECONFIG);
    monitor_qmp_register_commands();
}
