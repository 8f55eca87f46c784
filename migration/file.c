/*
 * file.c: the file transport (file:PATH[,offset=N]).
 *
 * Outgoing: O_CREAT|O_WRONLY, mode 0600, truncated to the offset (never
 * O_TRUNC: what a management application wrote before the offset stays),
 * then positioned at the offset.  Incoming: O_RDONLY at the offset.
 * Main loop thread (opening a local file).
 */
#include "util/osdep.h"
#include "util/error.h"
#include "io/channel-file.h"
#include "migration.h"

static bool file_seek(QIOChannel *ioc, uint64_t offset, GError **errp)
{
    if (offset > INT64_MAX ||
        qio_channel_io_seek(ioc, (off_t)offset, SEEK_SET, errp) < 0) {
        if (errp && !*errp) {
            error_setg(errp, "cannot seek to offset %" PRIu64, offset);
        }
        return false;
    }
    return true;
}

QIOChannel *file_open_outgoing(const FileMigrationArgs *file, GError **errp)
{
    g_autoptr(QIOChannel) ioc = NULL;
    int fd;

    ioc = qio_channel_file_new_path(file->filename, O_CREAT | O_WRONLY,
                                    0600, errp);
    if (!ioc) {
        return NULL;
    }
    fd = qio_channel_file_get_fd(ioc);
    if (file->offset > INT64_MAX || ftruncate(fd, (off_t)file->offset) < 0) {
        error_setg_errno(errp, errno, "failed to truncate '%s' to offset "
                         "%" PRIu64, file->filename, file->offset);
        return NULL;
    }
    if (!file_seek(ioc, file->offset, errp)) {
        return NULL;
    }
    qio_channel_set_name(ioc, "migration-file-outgoing");
    return g_steal_pointer(&ioc);
}

QIOChannel *file_open_incoming(const FileMigrationArgs *file, GError **errp)
{
    g_autoptr(QIOChannel) ioc = NULL;

    ioc = qio_channel_file_new_path(file->filename, O_RDONLY, 0, errp);
    if (!ioc || !file_seek(ioc, file->offset, errp)) {
        return NULL;
    }
    qio_channel_set_name(ioc, "migration-file-incoming");
    return g_steal_pointer(&ioc);
}
