/*
 * os-posix.c: -daemonize, -pidfile, host signals and the process name.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/main-loop.h"
#include "system/runstate.h"
#include "os-int.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

static int daemon_pipe = -1;     /* write end, in the daemon */
static int pidfile_fd = -1;
static char *pidfile_path;
static int signal_fd = -1;

/* In the original process: wait for the daemon's verdict, then exit. */
static void G_GNUC_NORETURN daemon_parent_wait(int rfd)
{
    char status = 1;
    ssize_t n;

    do {
        n = read(rfd, &status, 1);
    } while (n < 0 && errno == EINTR);
    _exit(n == 1 && status == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}

bool os_daemonize(GError **errp)
{
    int fds[2];
    pid_t pid;

    if (pipe2(fds, O_CLOEXEC) < 0) {
        error_setg_errno(errp, errno, "cannot create daemon pipe");
        return false;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        error_setg_errno(errp, errno, "cannot fork");
        close(fds[0]);
        close(fds[1]);
        return false;
    }
    if (pid > 0) {
        close(fds[1]);
        daemon_parent_wait(fds[0]);
    }
    close(fds[0]);
    daemon_pipe = fds[1];
    /* The daemon leads a new session, away from the terminal. */
    setsid();
    signal(SIGTSTP, SIG_IGN);
    signal(SIGTTOU, SIG_IGN);
    signal(SIGTTIN, SIG_IGN);
    umask(027);
    return true;
}

void os_setup_post(void)
{
    static const char ok;
    ssize_t n;
    int null_fd;

    if (daemon_pipe < 0) {
        return;
    }
    if (chdir("/") < 0) {
        /* Cannot happen in practice; the daemon keeps its directory. */
        warn_report("cannot change directory to '/': %s", g_strerror(errno));
    }
    null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    if (null_fd >= 0) {
        dup2(null_fd, STDIN_FILENO);
        dup2(null_fd, STDOUT_FILENO);
        dup2(null_fd, STDERR_FILENO);
        close(null_fd);
    }
    do {
        n = write(daemon_pipe, &ok, 1);
    } while (n < 0 && errno == EINTR);
    close(daemon_pipe);
    daemon_pipe = -1;
}

/* Opens and locks @path; false with errp set, or true with *fd set. */
static bool pidfile_open_locked(const char *path, int *fd, GError **errp)
{
    for (;;) {
        struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
        struct stat opened, named;

        *fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (*fd < 0) {
            error_setg_errno(errp, errno, "Could not create '%s'", path);
            return false;
        }
        if (fstat(*fd, &opened) < 0) {
            error_setg_errno(errp, errno, "Cannot stat file");
            break;
        }
        if (fcntl(*fd, F_SETLK, &lock) < 0) {
            error_setg_errno(errp, errno, "Cannot lock pid file");
            break;
        }
        /* Still the file at @path?  Otherwise someone raced: retry. */
        if (stat(path, &named) == 0 && named.st_ino == opened.st_ino &&
            named.st_dev == opened.st_dev) {
            return true;
        }
        close(*fd);
    }
    close(*fd);
    *fd = -1;
    return false;
}

bool qemu_write_pidfile(const char *path, GError **errp)
{
    g_autofree char *text = g_strdup_printf("%d\n", (int)getpid());
    size_t len = strlen(text);
    int fd;

    if (!pidfile_open_locked(path, &fd, errp)) {
        return false;
    }
    if (ftruncate(fd, 0) < 0) {
        error_setg_errno(errp, errno, "Failed to truncate pid file");
        goto fail;
    }
    if (write(fd, text, len) != (ssize_t)len) {
        error_setg(errp, "Failed to write pid file");
        goto fail;
    }
    pidfile_fd = fd;
    pidfile_path = g_strdup(path);
    return true;

fail:
    unlink(path);
    close(fd);
    return false;
}

void qemu_unlink_pidfile(void)
{
    struct stat opened, named;

    if (pidfile_fd < 0) {
        return;
    }
    /* Remove it only if it is still the file we locked. */
    if (fstat(pidfile_fd, &opened) == 0 && stat(pidfile_path, &named) == 0 &&
        opened.st_ino == named.st_ino && opened.st_dev == named.st_dev) {
        unlink(pidfile_path);
    }
    close(pidfile_fd);
    pidfile_fd = -1;
    g_clear_pointer(&pidfile_path, g_free);
}

static void termination_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
}

void os_block_termination_signals(void)
{
    sigset_t set;

    signal(SIGPIPE, SIG_IGN);
    termination_signals(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void signalfd_read_cb(void *opaque)
{
    struct signalfd_siginfo info;

    while (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
        qemu_system_killed(info.ssi_signo, info.ssi_pid);
    }
}

bool os_signalfd_setup(GError **errp)
{
    sigset_t set;

    termination_signals(&set);
    signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (signal_fd < 0) {
        error_setg_errno(errp, errno, "cannot create signalfd");
        return false;
    }
    aio_set_fd_handler(qemu_get_aio_context(), signal_fd, signalfd_read_cb,
                       NULL, NULL);
    return true;
}

void os_signalfd_cleanup(void)
{
    if (signal_fd < 0) {
        return;
    }
    aio_set_fd_handler(qemu_get_aio_context(), signal_fd, NULL, NULL, NULL);
    close(signal_fd);
    signal_fd = -1;
}

void os_set_proc_name(const char *name)
{
    char comm[16];

    g_strlcpy(comm, name, sizeof(comm));
    prctl(PR_SET_NAME, comm);
}
