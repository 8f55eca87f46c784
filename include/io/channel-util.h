/*
 * channel-util.h: channels from descriptors of unknown kind.
 */
#ifndef IO_CHANNEL_UTIL_H
#define IO_CHANNEL_UTIL_H

#include "io/channel.h"
#include "io/channel-socket.h"

/**
 * qio_channel_new_fd:
 * @fd: an open descriptor; ownership passes to the channel on success
 * @errp: error out (e.g. an invalid descriptor)
 *
 * Returns: a socket channel if @fd is a socket, else a file channel; NULL
 * on error (@fd stays the caller's).
 */
QIOChannel *qio_channel_new_fd(int fd, GError **errp);

/**
 * qio_channel_fd_resolve:
 * @str: a decimal descriptor number, or a name the installed
 *     QIOChannelFdResolver knows (qio_channel_socket_set_fd_resolver())
 * @errp: error out ("File descriptor named '%s' has not been found")
 *
 * Returns: the descriptor, which the caller now owns (a number is used as
 * is), or -1 with @errp set.
 */
int qio_channel_fd_resolve(const char *str, GError **errp);

#endif /* IO_CHANNEL_UTIL_H */
