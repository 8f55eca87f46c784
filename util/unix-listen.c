/*
 * unix-listen.c: listening unix sockets renamed into place once they
 * listen.  See include/util/unix-listen.h.
 */
#include "util/osdep.h"
#include "util/unix-listen.h"

#include <sys/socket.h>
#include <sys/un.h>

/* Fails with -errno after closing @fd and removing @name (if bound). */
static int listen_fail(int fd, const char *name, const char *step,
                       const char **failed)
{
    int err = errno;

    if (name) {
        unlink(name);
    }
    if (fd >= 0) {
        close(fd);
    }
    *failed = step;
    return -err;
}

int unix_listen_path(const char *path, int backlog, const char **failed)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    g_autofree char *tmp = g_strdup_printf("%s.%d~", path, (int)getpid());
    const char *name = strlen(tmp) < sizeof(sun.sun_path) ? tmp : path;
    int fd;

    if (strlen(path) >= sizeof(sun.sun_path)) {
        errno = ENAMETOOLONG;
        return listen_fail(-1, NULL, "bind", failed);
    }
    strcpy(sun.sun_path, name);
    if (unlink(name) < 0 && errno != ENOENT) {
        return listen_fail(-1, NULL, "unlink", failed);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return listen_fail(-1, NULL, "socket", failed);
    }
    if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        return listen_fail(fd, NULL, "bind", failed);
    }
    if (listen(fd, backlog) < 0) {
        return listen_fail(fd, name, "listen", failed);
    }
    if (name != path && rename(name, path) < 0) {
        return listen_fail(fd, name, "bind", failed);
    }
    return fd;
}
