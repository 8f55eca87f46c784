/*
 * channel-command.h: QIOChannel over the stdin/stdout pipes of a child
 * process (the exec: migration transport).
 *
 * The child gets a clean signal mask and default signal dispositions
 * (SIGPIPE included) whatever the parent blocks or ignores; its stderr is
 * the parent's.  Shutdown is supported and wakes a thread blocked on the
 * pipes.
 */
#ifndef IO_CHANNEL_COMMAND_H
#define IO_CHANNEL_COMMAND_H

#include "io/channel.h"

/**
 * qio_channel_command_new_spawn:
 * @argv: program and arguments, NULL-terminated (argv[0] is searched in
 *     PATH when it has no '/')
 * @flags: O_RDONLY (read the child's stdout; its stdin is /dev/null),
 *     O_WRONLY (write its stdin; its stdout is /dev/null) or O_RDWR
 * @errp: error out (e.g. the program cannot be run)
 *
 * Returns: a new channel (the caller's reference), or NULL.
 */
QIOChannel *qio_channel_command_new_spawn(const char *const argv[],
                                          int flags, GError **errp);

/**
 * qio_channel_command_get_pid:
 *
 * Returns: the child's pid, or -1 if @ioc is not a command channel.
 */
pid_t qio_channel_command_get_pid(QIOChannel *ioc);

/*
 * Closing a command channel closes the pipes and waits for the child:
 * "Command exited with status N" or "Command killed by signal N" when it
 * failed.  After a shutdown the child is sent SIGTERM first (and its
 * death by that signal is not an error).
 */

#endif /* IO_CHANNEL_COMMAND_H */
