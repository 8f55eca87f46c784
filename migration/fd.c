/*
 * fd.c: the fd transport (fd:NAME): a descriptor passed with getfd (or a
 * number), a socket, a pipe or a file.  Single channel.  Main loop thread
 * (the names live in the monitor).
 */
#include "util/osdep.h"
#include "util/error.h"
#include "io/channel-util.h"
#include "migration.h"

QIOChannel *fd_open_channel(const char *name, GError **errp)
{
    QIOChannel *ioc;
    int fd = qio_channel_fd_resolve(name, errp);

    if (fd < 0) {
        return NULL;
    }
    ioc = qio_channel_new_fd(fd, errp);
    if (!ioc) {
        close(fd);
        return NULL;
    }
    qio_channel_set_name(ioc, "migration-fd");
    return ioc;
}
