/*
 * os-int.h: POSIX process plumbing of ternd (system/ only): -daemonize,
 * -pidfile, host signals, the process name.  Main thread only.
 */
#ifndef SYSTEM_OS_INT_H
#define SYSTEM_OS_INT_H

/**
 * os_daemonize:
 * @errp: fork/pipe failure
 *
 * Forks.  The original process waits until the daemon calls
 * os_setup_post() and exits 0, or exits 1 if the daemon ends first (its
 * errors went to the shared stderr).  Returns only in the daemon, which
 * leads a new session (setsid).  Call before any thread exists.
 *
 * Returns: true in the daemon.
 */
bool os_daemonize(GError **errp);

/**
 * os_setup_post:
 *
 * Start-up is complete: with -daemonize, chdir("/"), let the waiting parent
 * exit 0 and point stdin/stdout/stderr at /dev/null.  Otherwise nothing.
 */
void os_setup_post(void);

/**
 * qemu_write_pidfile:
 * @path: the PID file
 * @errp: `Could not create 'PATH': ...`, `Cannot lock pid file: ...`, ...
 *
 * Creates @path, locks it for the life of the process and writes `PID\n`.
 *
 * Returns: true on success.
 */
bool qemu_write_pidfile(const char *path, GError **errp);

/**
 * qemu_unlink_pidfile:
 *
 * Removes the PID file written by this process, if any (exit path).
 */
void qemu_unlink_pidfile(void);

/**
 * os_block_termination_signals:
 *
 * Blocks SIGTERM, SIGINT and SIGHUP (every thread created later inherits
 * the mask) and ignores SIGPIPE.  Call before any thread exists.
 */
void os_block_termination_signals(void);

/**
 * os_signalfd_setup:
 * @errp: signalfd failure
 *
 * Watches the blocked termination signals through a signalfd on the main
 * AioContext; each one becomes qemu_system_killed().  Call after
 * qemu_init_main_loop().
 *
 * Returns: true on success.
 */
bool os_signalfd_setup(GError **errp);

/**
 * os_signalfd_cleanup:
 *
 * Stops watching the signals (exit path).
 */
void os_signalfd_cleanup(void);

/**
 * os_set_proc_name:
 * @name: the process name (-name process=); truncated to 15 bytes
 */
void os_set_proc_name(const char *name);

#endif /* SYSTEM_OS_INT_H */
