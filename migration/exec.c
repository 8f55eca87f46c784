/*
 * exec.c: the exec transport: a child process whose stdin (outgoing) or
 * stdout (incoming) carries the stream.  `args` run directly; an exec:CMD
 * URI was turned into /bin/sh -c CMD by uri.c.  Main loop thread.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "io/channel-command.h"
#include "migration.h"

QIOChannel *exec_open(const strList *args, bool outgoing, GError **errp)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    QIOChannel *ioc;

    for (const strList *l = args; l; l = l->next) {
        g_ptr_array_add(argv, l->value);
    }
    if (!argv->len) {
        error_setg(errp, "exec migration needs a command");
        return NULL;
    }
    g_ptr_array_add(argv, NULL);
    ioc = qio_channel_command_new_spawn((const char *const *)argv->pdata,
                                        outgoing ? O_WRONLY : O_RDONLY,
                                        errp);
    if (ioc) {
        qio_channel_set_name(ioc, outgoing ? "migration-exec-outgoing"
                                           : "migration-exec-incoming");
    }
    return ioc;
}
