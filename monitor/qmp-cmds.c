/*
 * qmp-cmds.c: the QMP commands the monitor implements: qmp_capabilities,
 * query-version, query-commands, query-qmp-schema, human-monitor-command,
 * getfd, closefd, add-fd, remove-fd (query-fdsets is in fds.c).
 * Main thread only.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "monitor/monitor-int.h"
#include "qapi/qmp-dispatch.h"
#include "qapi/qapi-commands-control.h"
#include "qapi/qapi-commands-misc.h"
#include "qapi/qapi-introspect.h"

bool qmp_qmp_capabilities(QMPCapabilityList *enable, GError **errp)
{
    Monitor *mon = monitor_cur();
    g_autoptr(GString) names = g_string_new("");

    if (!mon || monitor_qmp_in_command_mode(mon)) {
        error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "Capabilities negotiation is already complete, command "
                  "ignored");
        return false;
    }
    /* tern offers no capability: every requested one is unavailable */
    for (QMPCapabilityList *l = enable; l; l = l->next) {
        g_string_append_printf(names, "%s%s", names->len ? ", " : "",
                               QMPCapability_str(l->value));
    }
    if (names->len) {
        error_setg(errp, "Capability %s not available", names->str);
        return false;
    }
    monitor_qmp_enter_command_mode(mon);
    return true;
}

VersionInfo *qmp_query_version(GError **errp)
{
    VersionInfo *info = g_new0(VersionInfo, 1);

    info->qemu = g_new0(VersionTriple, 1);
    info->qemu->major = 10;
    info->qemu->minor = 0;
    info->qemu->micro = 0;
    info->package = g_strdup(TERN_PACKAGE);
    return info;
}

static void query_commands_cb(const QmpCommand *cmd, void *opaque)
{
    CommandInfoList **list = opaque;
    CommandInfoList *e;

    if (!cmd->enabled) {
        return;
    }
    e = g_new0(CommandInfoList, 1);
    e->value = g_new0(CommandInfo, 1);
    e->value->name = g_strdup(cmd->name);
    e->next = *list;            /* prepending: reverse registration */
    *list = e;
}

CommandInfoList *qmp_query_commands(GError **errp)
{
    CommandInfoList *list = NULL;

    qmp_for_each_command(qmp_get_commands(), query_commands_cb, &list);
    return list;
}

/* query-qmp-schema is `gen: false`: its marshaller is this function. */
static bool qmp_query_qmp_schema(JsonObject *args, JsonNode **ret,
                                 GError **errp)
{
    *ret = qapi_introspect_node();
    return true;
}

char *qmp_human_monitor_command(const char *command_line, bool has_cpu_index,
                                int64_t cpu_index, GError **errp)
{
    Monitor *mon;

    if (has_cpu_index && cpu_index != 0) {
        error_setg(errp, "Parameter 'cpu-index' expects a CPU number");
        return NULL;
    }
    mon = monitor_hmp_new_buffered();
    monitor_hmp_run_line(mon, command_line);
    return monitor_hmp_free_buffered(mon);
}

bool qmp_getfd(const char *fdname, GError **errp)
{
    Monitor *mon = monitor_cur();
    int fd = mon ? monitor_msg_fd_take(mon) : -1;

    if (fd < 0) {
        error_setg(errp, "No file descriptor supplied via SCM_RIGHTS");
        return false;
    }
    return monitor_add_fd(mon, fd, fdname, errp);
}

bool qmp_closefd(const char *fdname, GError **errp)
{
    Monitor *mon = monitor_cur();

    if (!mon) {
        error_setg(errp, "File descriptor named '%s' not found", fdname);
        return false;
    }
    return monitor_close_fd(mon, fdname, errp);
}

AddfdInfo *qmp_add_fd(bool has_fdset_id, int64_t fdset_id,
                      const char *opaque, GError **errp)
{
    Monitor *mon = monitor_cur();
    int fd = mon ? monitor_msg_fd_take(mon) : -1;
    AddfdInfo *info;
    int64_t id;

    if (fd < 0) {
        error_setg(errp, "No file descriptor supplied via SCM_RIGHTS");
        return NULL;
    }
    if (!monitor_fdset_add_fd(fd, has_fdset_id, fdset_id, opaque, &id,
                              errp)) {
        close(fd);
        return NULL;
    }
    info = g_new0(AddfdInfo, 1);
    info->fdset_id = id;
    info->fd = fd;
    return info;
}

bool qmp_remove_fd(int64_t fdset_id, bool has_fd, int64_t fd,
                   GError **errp)
{
    return monitor_fdset_remove_fd(fdset_id, has_fd, fd, errp);
}

void monitor_qmp_register_commands(void)
{
    qmp_register_command(qmp_get_commands(), "query-qmp-schema",
                         qmp_query_qmp_schema, QCO_ALLOW_PRECONFIG);
}
