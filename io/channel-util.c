/*
 * channel-util.c: channels from descriptors of unknown kind, and fd names.
 */
#include "util/osdep.h"

#include <sys/stat.h>

#include "io/channel-file.h"
#include "io/channel-util.h"
#include "util/error.h"

/* Installed once at start-up by the monitor; read from any thread. */
static QIOChannelFdResolver qio_fd_resolver;

void qio_channel_socket_set_fd_resolver(QIOChannelFdResolver resolve)
{
    g_atomic_pointer_set(&qio_fd_resolver, resolve);
}

int qio_channel_fd_resolve(const char *str, GError **errp)
{
    QIOChannelFdResolver resolve = g_atomic_pointer_get(&qio_fd_resolver);
    guint64 num;

    if (g_ascii_isdigit(str[0]) &&
        g_ascii_string_to_unsigned(str, 10, 0, INT_MAX, &num, NULL)) {
        if (fcntl(num, F_GETFD) < 0) {
            error_setg_errno(errp, errno, "Invalid file descriptor '%s'",
                             str);
            return -1;
        }
        return num;
    }
    if (!resolve) {
        error_setg(errp, "File descriptor named '%s' has not been found",
                   str);
        return -1;
    }
    return resolve(str, errp);
}

QIOChannel *qio_channel_new_fd(int fd, GError **errp)
{
    struct stat st;

    if (fstat(fd, &st) < 0) {
        error_setg_errno(errp, errno, "Invalid file descriptor '%d'", fd);
        return NULL;
    }
    if (S_ISSOCK(st.st_mode)) {
        return qio_channel_socket_new_fd(fd, errp);
    }
    return qio_channel_file_new_fd(fd);
}
