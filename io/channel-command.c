/*
 * channel-command.c: QIOChannel over a child process's stdin/stdout.
 *
 * Our pipe ends are always O_NONBLOCK (no one else shares them); blocking
 * mode is emulated with poll() on the pipe and an eventfd that
 * qio_channel_shutdown() writes, so a shutdown wakes a blocked thread.
 */
#include "util/osdep.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include "io/channel-command.h"
#include "io/channel-impl.h"
#include "util/error.h"
#include "trace-io.h"

typedef struct QIOChannelCommand {
    QIOChannel parent;
    int readfd;         /* the child's stdout; -1 when none or closed */
    int writefd;        /* the child's stdin; -1 when none or closed */
    int wakefd;         /* eventfd, readable once shut down */
    guint shut;         /* atomic: QIOChannelShutdown bits */
    gint blocking;      /* atomic: emulated blocking mode */
    pid_t pid;
} QIOChannelCommand;

static const QIOChannelOps qio_channel_command_ops;

static QIOChannelCommand *qio_channel_command(QIOChannel *ioc)
{
    return ioc->ops == &qio_channel_command_ops ? (QIOChannelCommand *)ioc
                                                : NULL;
}

static bool command_is_shut(QIOChannelCommand *cioc, QIOChannelShutdown how)
{
    return g_atomic_int_get(&cioc->shut) & how;
}

/*
 * One readv/writev attempt, waiting in blocking mode.  Returns bytes,
 * QIO_CHANNEL_ERR_BLOCK, 0 after a read shutdown, or -1 with errno set.
 */
static ssize_t command_io(QIOChannelCommand *cioc, bool write,
                          const struct iovec *iov, size_t niov)
{
    int fd = write ? cioc->writefd : cioc->readfd;
    QIOChannelShutdown how = write ? QIO_CHANNEL_SHUTDOWN_WRITE
                                   : QIO_CHANNEL_SHUTDOWN_READ;
    ssize_t ret;

    for (;;) {
        if (command_is_shut(cioc, how)) {
            errno = EPIPE;
            return write ? -1 : 0;
        }
        if (fd < 0) {
            errno = EBADF;
            return -1;
        }
        niov = MIN(niov, IOV_MAX);
        ret = write ? writev(fd, iov, niov) : readv(fd, iov, niov);
        if (ret >= 0 || errno == EINTR) {
            if (ret >= 0) {
                return ret;
            }
            continue;
        }
        if (errno != EAGAIN) {
            return -1;
        }
        if (!g_atomic_int_get(&cioc->blocking)) {
            return QIO_CHANNEL_ERR_BLOCK;
        }
        qio_channel_fd_wait(fd, cioc->wakefd, write ? G_IO_OUT : G_IO_IN);
    }
}

static ssize_t qio_channel_command_readv(QIOChannel *ioc,
                                         const struct iovec *iov,
                                         size_t niov, int **fds,
                                         size_t *nfds, GError **errp)
{
    ssize_t ret = command_io(qio_channel_command(ioc), false, iov, niov);

    if (ret == -1) {
        error_setg_errno(errp, errno, "Unable to read from command");
    }
    return ret;
}

static ssize_t qio_channel_command_writev(QIOChannel *ioc,
                                          const struct iovec *iov,
                                          size_t niov, int *fds,
                                          size_t nfds, GError **errp)
{
    ssize_t ret = command_io(qio_channel_command(ioc), true, iov, niov);

    if (ret == -1) {
        error_setg_errno(errp, errno, "Unable to write to command");
    }
    return ret;
}

static int qio_channel_command_set_blocking(QIOChannel *ioc, bool enabled,
                                            GError **errp)
{
    g_atomic_int_set(&qio_channel_command(ioc)->blocking, enabled);
    return 0;
}

static int qio_channel_command_shutdown(QIOChannel *ioc,
                                        QIOChannelShutdown how,
                                        GError **errp)
{
    /* An op only ever sees its own kind: no need for the checked cast. */
    QIOChannelCommand *cioc = (QIOChannelCommand *)ioc;
    uint64_t one = 1;

    g_atomic_int_or(&cioc->shut, how);
    if (write(cioc->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
        error_setg_errno(errp, errno, "Unable to shutdown command channel");
        return -1;
    }
    return 0;
}

/* Turns a wait status into an error unless the child succeeded. */
static int command_check_status(int status, bool killed, GError **errp)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        error_setg(errp, "Command exited with status %d",
                   WEXITSTATUS(status));
        return -1;
    }
    if (WIFSIGNALED(status) && !killed) {
        error_setg(errp, "Command killed by signal %d", WTERMSIG(status));
        return -1;
    }
    return 0;
}

/*
 * Waits for the child.  Once the channel is shut down (cancel), a child
 * that is still there gets SIGTERM, then SIGKILL a second later.
 */
static int command_reap(QIOChannelCommand *cioc, GError **errp)
{
    gulong delay = 500;
    gint64 next_kill = 0;
    int step = 0;
    int status;

    for (;;) {
        pid_t r = waitpid(cioc->pid, &status, WNOHANG);

        if (r == cioc->pid) {
            break;
        }
        if (r < 0 && errno != EINTR) {
            error_setg_errno(errp, errno, "Unable to wait for command");
            return -1;
        }
        if (g_atomic_int_get(&cioc->shut) && step < 2 &&
            g_get_monotonic_time() >= next_kill) {
            kill(cioc->pid, step ? SIGKILL : SIGTERM);
            step++;
            next_kill = g_get_monotonic_time() + G_USEC_PER_SEC;
        }
        g_usleep(delay);
        delay = MIN(delay * 2, 20000);
    }
    trace_qio_channel_command_reap(cioc, cioc->pid, status);
    return command_check_status(status, step > 0, errp);
}

static int qio_channel_command_close(QIOChannel *ioc, GError **errp)
{
    QIOChannelCommand *cioc = qio_channel_command(ioc);

    if (cioc->writefd >= 0) {
        close(cioc->writefd);
        cioc->writefd = -1;
    }
    if (cioc->readfd >= 0) {
        close(cioc->readfd);
        cioc->readfd = -1;
    }
    return command_reap(cioc, errp);
}

static void qio_channel_command_finalize(QIOChannel *ioc)
{
    close(qio_channel_command(ioc)->wakefd);
}

static GSource *qio_channel_command_create_watch(QIOChannel *ioc,
                                                 GIOCondition condition)
{
    QIOChannelCommand *cioc = qio_channel_command(ioc);
    int fd = condition & G_IO_OUT ? cioc->writefd : cioc->readfd;

    return qio_channel_fd_source_new(ioc, fd, cioc->wakefd, condition);
}

static void qio_channel_command_wait(QIOChannel *ioc, GIOCondition condition)
{
    QIOChannelCommand *cioc = qio_channel_command(ioc);
    int fd = condition & G_IO_OUT ? cioc->writefd : cioc->readfd;

    qio_channel_fd_wait(fd, cioc->wakefd, condition);
}

static const QIOChannelOps qio_channel_command_ops = {
    .kind = "command",
    .io_readv = qio_channel_command_readv,
    .io_writev = qio_channel_command_writev,
    .io_set_blocking = qio_channel_command_set_blocking,
    .io_shutdown = qio_channel_command_shutdown,
    .shutdown_after_close = true,
    .io_close = qio_channel_command_close,
    .io_finalize = qio_channel_command_finalize,
    .io_create_watch = qio_channel_command_create_watch,
    .io_wait = qio_channel_command_wait,
};

/*
 * Runs in the child between fork and exec: only async-signal-safe calls.
 * Blocked signals and ignored dispositions survive exec; clear both.
 */
static void command_child_setup(gpointer data)
{
    sigset_t none;

    for (int sig = 1; sig < NSIG; sig++) {
        signal(sig, SIG_DFL);
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static GSpawnFlags command_spawn_flags(int flags)
{
    GSpawnFlags spawn = G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH;

    if ((flags & O_ACCMODE) == O_WRONLY) {
        spawn |= G_SPAWN_STDOUT_TO_DEV_NULL;
    }
    return spawn;
}

QIOChannel *qio_channel_command_new_spawn(const char *const argv[],
                                          int flags, GError **errp)
{
    int mode = flags & O_ACCMODE;
    int in = -1, out = -1, wakefd;
    GPid pid;
    QIOChannelCommand *cioc;

    if (!argv || !argv[0]) {
        error_setg(errp, "Command has no program to run");
        return NULL;
    }
    wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wakefd < 0) {
        error_setg_errno(errp, errno, "Unable to create eventfd");
        return NULL;
    }
    if (!g_spawn_async_with_pipes_and_fds(NULL, argv, NULL,
            command_spawn_flags(flags), command_child_setup, NULL,
            -1, -1, -1, NULL, NULL, 0, &pid,
            mode != O_RDONLY ? &in : NULL,
            mode != O_WRONLY ? &out : NULL, NULL, errp)) {
        close(wakefd);
        return NULL;
    }
    cioc = g_new0(QIOChannelCommand, 1);
    qio_channel_init(&cioc->parent, &qio_channel_command_ops);
    qio_channel_set_feature(&cioc->parent, QIO_CHANNEL_FEATURE_SHUTDOWN);
    cioc->writefd = in;
    cioc->readfd = out;
    cioc->wakefd = wakefd;
    cioc->pid = pid;
    cioc->blocking = 1;
    /* fcntl() on pipes we just made cannot fail. */
    if (in >= 0) {
        qio_channel_fd_set_blocking(in, false, NULL);
    }
    if (out >= 0) {
        qio_channel_fd_set_blocking(out, false, NULL);
    }
    trace_qio_channel_command_new_spawn(cioc, argv[0], pid, flags);
    return &cioc->parent;
}

pid_t qio_channel_command_get_pid(QIOChannel *ioc)
{
    QIOChannelCommand *cioc = qio_channel_command(ioc);

    return cioc ? cioc->pid : -1;
}
