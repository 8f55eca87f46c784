/*
 * unix-listen.h: a listening unix socket that appears in the file system
 * only once it accepts connections.
 */
#ifndef UTIL_UNIX_LISTEN_H
#define UTIL_UNIX_LISTEN_H

#include "util/osdep.h"

/**
 * unix_listen_path:
 * @path: the socket file; an old file there is replaced
 * @backlog: listen(2) backlog
 * @failed: (out): on failure, the step that failed: "unlink", "socket",
 *     "bind" or "listen" (for the caller's message)
 *
 * Binds under a temporary name beside @path ("PATH.PID~"), listens, then
 * renames the socket into place, so a client that waits for the file to
 * appear never finds it refusing connections.  A path too long for the
 * temporary name is bound in place.  Any thread.
 *
 * Returns: the listening fd (close-on-exec), or -errno
 */
int unix_listen_path(const char *path, int backlog, const char **failed);

#endif /* UTIL_UNIX_LISTEN_H */
