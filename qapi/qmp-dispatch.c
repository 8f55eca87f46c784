/*
 * qmp-dispatch.c: the QMP command table and request dispatcher.
 */
#include "util/osdep.h"
#include "qapi/qmp-dispatch.h"

struct QmpCommandList {
    GPtrArray *cmds;        /* of QmpCommand *, registration order */
    GHashTable *by_name;    /* name -> QmpCommand * */
};

QmpCommandList *qmp_commands;

static void qmp_command_free(gpointer p)
{
    QmpCommand *cmd = p;

    g_free(cmd->name);
    g_free(cmd->disable_reason);
    g_free(cmd);
}

QmpCommandList *qmp_command_list_new(void)
{
    QmpCommandList *cmds = g_new0(QmpCommandList, 1);

    cmds->cmds = g_ptr_array_new_with_free_func(qmp_command_free);
    cmds->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    return cmds;
}

void qmp_command_list_free(QmpCommandList *cmds)
{
    if (!cmds) {
        return;
    }
    g_hash_table_unref(cmds->by_name);
    g_ptr_array_unref(cmds->cmds);
    g_free(cmds);
}

QmpCommandList *qmp_get_commands(void)
{
    if (!qmp_commands) {
        qmp_commands = qmp_command_list_new();
    }
    return qmp_commands;
}

void qmp_register_command(QmpCommandList *cmds, const char *name,
                          QmpCommandFunc *fn, QmpCommandOptions options)
{
    QmpCommand *cmd = g_new0(QmpCommand, 1);

    g_assert(!g_hash_table_contains(cmds->by_name, name));
    cmd->name = g_strdup(name);
    cmd->fn = fn;
    cmd->options = options;
    cmd->enabled = true;
    g_ptr_array_add(cmds->cmds, cmd);
    g_hash_table_insert(cmds->by_name, cmd->name, cmd);
}

const QmpCommand *qmp_find_command(const QmpCommandList *cmds,
                                   const char *name)
{
    return g_hash_table_lookup(cmds->by_name, name);
}

static bool qmp_set_enabled(QmpCommandList *cmds, const char *name,
                            bool enabled, const char *reason)
{
    QmpCommand *cmd = g_hash_table_lookup(cmds->by_name, name);

    if (!cmd) {
        return false;
    }
    cmd->enabled = enabled;
    g_free(cmd->disable_reason);
    cmd->disable_reason = g_strdup(reason);
    return true;
}

bool qmp_disable_command(QmpCommandList *cmds, const char *name,
                         const char *reason)
{
    return qmp_set_enabled(cmds, name, false, reason);
}

bool qmp_enable_command(QmpCommandList *cmds, const char *name)
{
    return qmp_set_enabled(cmds, name, true, NULL);
}

void qmp_for_each_command(const QmpCommandList *cmds,
                          void (*fn)(const QmpCommand *cmd, void *opaque),
                          void *opaque)
{
    guint i;

    for (i = 0; i < cmds->cmds->len; i++) {
        fn(g_ptr_array_index(cmds->cmds, i), opaque);
    }
}

/* {"class": CLASS, "desc": TEXT} */
static JsonObject *qmp_error_body(const GError *err)
{
    JsonObject *error = json_object_new();

    json_object_set_string_member(error, "class",
                                  error_class_name(error_get_class(err)));
    json_object_set_string_member(error, "desc", err->message);
    return error;
}

JsonObject *qmp_error_response(const GError *err)
{
    JsonObject *rsp = json_object_new();

    json_object_set_object_member(rsp, "error", qmp_error_body(err));
    return rsp;
}

static bool is_string(JsonNode *node)
{
    return JSON_NODE_HOLDS_VALUE(node) &&
        json_node_get_value_type(node) == G_TYPE_STRING;
}

/*
 * Check the members of a request object (QEMU's order: each member in
 * turn, then the presence of execute).  Returns the command name and
 * whether it came as exec-oob.
 */
static const char *qmp_dispatch_check_obj(JsonObject *req, bool allow_oob,
                                          bool *oob, GError **errp)
{
    g_autoptr(GList) members = json_object_get_members(req);
    const char *exec_key = NULL;
    GList *l;

    for (l = members; l; l = l->next) {
        const char *key = l->data;
        JsonNode *val = json_object_get_member(req, key);

        if (!strcmp(key, "execute") ||
            (allow_oob && !strcmp(key, "exec-oob"))) {
            if (!is_string(val)) {
                error_setg(errp, "QMP input member '%s' must be a string",
                           key);
                return NULL;
            }
            if (exec_key) {
                error_setg(errp, "QMP input member '%s' clashes with '%s'",
                           key, exec_key);
                return NULL;
            }
            exec_key = key;
        } else if (!strcmp(key, "arguments")) {
            if (!JSON_NODE_HOLDS_OBJECT(val)) {
                error_setg(errp,
                           "QMP input member 'arguments' must be an object");
                return NULL;
            }
        } else if (strcmp(key, "id")) {
            error_setg(errp, "QMP input member '%s' is unexpected", key);
            return NULL;
        }
    }
    if (!exec_key) {
        error_setg(errp, "QMP input lacks member 'execute'");
        return NULL;
    }
    *oob = !strcmp(exec_key, "exec-oob");
    return json_object_get_string_member(req, exec_key);
}

/* Find the command and check that it may run this way. */
static const QmpCommand *qmp_dispatch_lookup(const QmpCommandList *cmds,
                                             const char *name, bool oob,
                                             GError **errp)
{
    const QmpCommand *cmd = qmp_find_command(cmds, name);

    if (!cmd) {
        error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "The command %s has not been found", name);
        return NULL;
    }
    if (!cmd->enabled) {
        error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "Command %s has been disabled%s%s", name,
                  cmd->disable_reason ? ": " : "",
                  cmd->disable_reason ? cmd->disable_reason : "");
        return NULL;
    }
    if (oob && !(cmd->options & QCO_ALLOW_OOB)) {
        error_setg(errp, "The command %s does not support OOB", name);
        return NULL;
    }
    return cmd;
}

static JsonNode *qmp_dispatch_run(const QmpCommandList *cmds,
                                  JsonObject *req, bool allow_oob,
                                  GError **errp)
{
    const QmpCommand *cmd;
    const char *name;
    JsonObject *args;
    JsonNode *ret = NULL;
    bool oob = false;
    bool ok;

    name = qmp_dispatch_check_obj(req, allow_oob, &oob, errp);
    if (!name) {
        return NULL;
    }
    cmd = qmp_dispatch_lookup(cmds, name, oob, errp);
    if (!cmd) {
        return NULL;
    }
    if (json_object_has_member(req, "arguments")) {
        args = json_object_ref(json_object_get_object_member(req,
                                                             "arguments"));
    } else {
        args = json_object_new();
    }
    ok = cmd->fn(args, &ret, errp);
    json_object_unref(args);
    if (!ok) {
        g_clear_pointer(&ret, json_node_unref);
        return NULL;
    }
    if (!ret) {
        ret = json_node_new(JSON_NODE_OBJECT);
        json_node_take_object(ret, json_object_new());
    }
    return ret;
}

JsonObject *qmp_dispatch(const QmpCommandList *cmds, JsonNode *request,
                         bool allow_oob)
{
    GError *err = NULL;
    JsonObject *rsp;
    JsonObject *req;
    JsonNode *id;
    JsonNode *ret;

    if (!request || !JSON_NODE_HOLDS_OBJECT(request)) {
        error_setg(&err, "QMP input must be a JSON object");
        rsp = qmp_error_response(err);
        g_error_free(err);
        return rsp;
    }
    req = json_node_get_object(request);
    id = json_object_get_member(req, "id");
    ret = qmp_dispatch_run(cmds, req, allow_oob, &err);
    if (ret) {
        rsp = json_object_new();
        json_object_set_member(rsp, "return", ret);
        if (id) {
            json_object_set_member(rsp, "id", json_node_copy(id));
        }
        return rsp;
    }
    rsp = json_object_new();
    if (id) {
        json_object_set_member(rsp, "id", json_node_copy(id));
    }
    json_object_set_object_member(rsp, "error", qmp_error_body(err));
    g_error_free(err);
    return rsp;
}
