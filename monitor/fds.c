/*
 * fds.c: fd sets (add-fd, remove-fd, query-fdsets).
 *
 * Fd sets are global, shared by every monitor.  A set lives while it holds
 * fds; all sets are freed when the last monitor connection closes (QEMU's
 * rule).  Main thread only.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "monitor/monitor-int.h"
#include "trace-monitor.h"
#include "qapi/qapi-commands-misc.h"

typedef struct MonFdsetFd {
    int fd;
    char *opaque;
} MonFdsetFd;

typedef struct MonFdset {
    int64_t id;
    GList *fds;             /* MonFdsetFd*, oldest first */
} MonFdset;

static GList *fdsets;       /* MonFdset*, ascending id */

static void fdset_fd_free(MonFdsetFd *f)
{
    close(f->fd);
    g_free(f->opaque);
    g_free(f);
}

static void fdset_free(MonFdset *set)
{
    g_list_free_full(set->fds, (GDestroyNotify)fdset_fd_free);
    g_free(set);
}

static MonFdset *fdset_find(int64_t id)
{
    for (GList *l = fdsets; l; l = l->next) {
        MonFdset *set = l->data;

        if (set->id == id) {
            return set;
        }
    }
    return NULL;
}

static gint fdset_cmp(gconstpointer a, gconstpointer b)
{
    const MonFdset *x = a, *y = b;

    return x->id < y->id ? -1 : x->id > y->id;
}

/* The lowest id no set uses, starting at 0. */
static int64_t fdset_free_id(void)
{
    int64_t id = 0;

    for (GList *l = fdsets; l; l = l->next) {
        MonFdset *set = l->data;

        if (set->id > id) {
            break;
        }
        id = set->id + 1;
    }
    return id;
}

/**
 * monitor_fdset_add_fd:
 * Put @fd (ownership taken on success) into set @fdset_id, or into a new
 * set with the lowest free id.  *out_id gets the set's id.
 */
bool monitor_fdset_add_fd(int fd, bool has_fdset_id, int64_t fdset_id,
                          const char *opaque, int64_t *out_id,
                          GError **errp)
{
    MonFdset *set = NULL;
    MonFdsetFd *f;

    if (has_fdset_id && fdset_id < 0) {
        error_setg(errp, "Parameter 'fdset-id' expects a non-negative "
                   "value");
        return false;
    }
    if (has_fdset_id) {
        set = fdset_find(fdset_id);
    } else {
        fdset_id = fdset_free_id();
    }
    if (!set) {
        set = g_new0(MonFdset, 1);
        set->id = fdset_id;
        fdsets = g_list_insert_sorted(fdsets, set, fdset_cmp);
    }
    f = g_new0(MonFdsetFd, 1);
    f->fd = fd;
    f->opaque = g_strdup(opaque);
    set->fds = g_list_append(set->fds, f);
    *out_id = set->id;
    trace_monitor_fdset_add_fd(set->id, fd);
    return true;
}

/**
 * monitor_fdset_remove_fd:
 * Close fd @fd of set @fdset_id (every fd of it without @has_fd); a set
 * left empty is freed.
 */
bool monitor_fdset_remove_fd(int64_t fdset_id, bool has_fd, int64_t fd,
                             GError **errp)
{
    MonFdset *set = fdset_find(fdset_id);
    bool found = false;

    for (GList *l = set ? set->fds : NULL; l;) {
        GList *next = l->next;
        MonFdsetFd *f = l->data;

        if (!has_fd || f->fd == fd) {
            trace_monitor_fdset_remove_fd(set->id, f->fd);
            set->fds = g_list_delete_link(set->fds, l);
            fdset_fd_free(f);
            found = true;
            if (has_fd) {
                break;
            }
        }
        l = next;
    }
    if (!set || (has_fd && !found)) {
        if (has_fd) {
            error_setg(errp, "File descriptor named 'fdset-id:%" PRId64
                       ", fd:%" PRId64 "' not found", fdset_id, fd);
        } else {
            error_setg(errp, "File descriptor named 'fdset-id:%" PRId64
                       "' not found", fdset_id);
        }
        return false;
    }
    if (!set->fds) {
        fdsets = g_list_remove(fdsets, set);
        fdset_free(set);
    }
    return true;
}

/* Free every set and close its fds (last monitor gone, or exit). */
void monitor_fdsets_free_all(void)
{
    g_list_free_full(fdsets, (GDestroyNotify)fdset_free);
    fdsets = NULL;
}

int monitor_fdset_dup_fd(int64_t fdset_id, int flags, GError **errp)
{
    MonFdset *set = fdset_find(fdset_id);

    for (GList *l = set ? set->fds : NULL; l; l = l->next) {
        MonFdsetFd *f = l->data;
        int fl = fcntl(f->fd, F_GETFL);
        int dup;

        if (fl < 0 || (fl & O_ACCMODE) != (flags & O_ACCMODE)) {
            continue;
        }
        dup = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
        if (dup < 0) {
            error_setg_errno(errp, errno, "Could not dup fd of fd set %"
                             PRId64, fdset_id);
        }
        return dup;
    }
    error_setg(errp, "No matching fd in fd set %" PRId64, fdset_id);
    return -1;
}

static FdsetInfo *fdset_info(MonFdset *set)
{
    FdsetInfo *info = g_new0(FdsetInfo, 1);
    FdsetFdInfoList **tail = &info->fds;

    info->fdset_id = set->id;
    for (GList *l = set->fds; l; l = l->next) {
        MonFdsetFd *f = l->data;
        FdsetFdInfo *fi = g_new0(FdsetFdInfo, 1);

        fi->fd = f->fd;
        fi->opaque = g_strdup(f->opaque);
        *tail = g_new0(FdsetFdInfoList, 1);
        (*tail)->value = fi;
        tail = &(*tail)->next;
    }
    return info;
}

FdsetInfoList *qmp_query_fdsets(GError **errp)
{
    FdsetInfoList *list = NULL;

    /* prepending the ascending list gives descending ids */
    for (GList *l = fdsets; l; l = l->next) {
        FdsetInfoList *e = g_new0(FdsetInfoList, 1);

        e->value = fdset_info(l->data);
        e->next = list;
        list = e;
    }
    return list;
}
