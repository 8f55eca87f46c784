/*
 * channel-file.h: QIOChannel over a file descriptor that is not a socket
 * (regular file, block device, pipe, character device).
 *
 * Regular files and block devices are seekable (preadv/pwritev/io_seek);
 * flush is fdatasync().  Flags may include O_DIRECT: the caller then
 * provides aligned buffers, offsets and lengths.
 */
#ifndef IO_CHANNEL_FILE_H
#define IO_CHANNEL_FILE_H

#include "io/channel.h"

/**
 * qio_channel_file_new_path:
 * @path: the file to open
 * @flags: open() flags (O_CLOEXEC is added)
 * @mode: permissions when O_CREAT creates the file
 * @errp: error out ("Unable to open '%s': <strerror>")
 *
 * Returns: a new channel (one reference, the caller's) or NULL.
 */
QIOChannel *qio_channel_file_new_path(const char *path, int flags,
                                      mode_t mode, GError **errp);

/**
 * qio_channel_file_new_fd:
 * @fd: an open descriptor; the channel takes ownership
 *
 * Returns: a new channel (one reference, the caller's).
 */
QIOChannel *qio_channel_file_new_fd(int fd);

/**
 * qio_channel_file_get_fd:
 * @ioc: a file channel
 *
 * Returns: the descriptor (still owned by @ioc), or -1 when @ioc is not a
 * file channel or is closed.
 */
int qio_channel_file_get_fd(QIOChannel *ioc);

#endif /* IO_CHANNEL_FILE_H */
