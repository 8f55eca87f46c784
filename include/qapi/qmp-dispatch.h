/*
 * qmp-dispatch.h: the QMP command table and the request dispatcher.
 *
 * Each subsystem registers the marshallers of the commands it implements
 * (the generated qmp_init_marshal_MODULE() does it for a whole schema
 * module).  The monitor hands every parsed request to qmp_dispatch(),
 * which validates it exactly as QEMU does, runs the command and builds
 * the reply object.
 *
 * Threads: a command list is built and used in the main loop thread.
 */
#ifndef QAPI_QMP_DISPATCH_H
#define QAPI_QMP_DISPATCH_H

#include "qapi/qapi-runtime.h"

/*
 * A marshaller: converts @args (borrowed; never NULL when called by
 * qmp_dispatch()), runs the handler and stores the result in *ret (a new
 * node; an empty object for commands without 'returns').  Returns false
 * with *errp set on failure, *ret untouched.
 */
typedef bool QmpCommandFunc(JsonObject *args, JsonNode **ret, GError **errp);

typedef enum QmpCommandOptions {
    QCO_NO_OPTIONS = 0,
    QCO_ALLOW_OOB = 1 << 0,
    QCO_ALLOW_PRECONFIG = 1 << 1,
    QCO_COROUTINE = 1 << 2,
} QmpCommandOptions;

typedef struct QmpCommand {
    char *name;
    QmpCommandFunc *fn;
    QmpCommandOptions options;
    bool enabled;
    char *disable_reason;
} QmpCommand;

typedef struct QmpCommandList QmpCommandList;

/* Returns: (transfer full) an empty list. */
QmpCommandList *qmp_command_list_new(void);

/* Free a list and its commands. */
void qmp_command_list_free(QmpCommandList *cmds);

/*
 * The daemon's command table, created on first use.  Main thread only.
 * (qmp_commands is the same pointer, set once qmp_get_commands() ran.)
 */
QmpCommandList *qmp_get_commands(void);
extern QmpCommandList *qmp_commands;

/**
 * qmp_register_command:
 * @cmds: the list
 * @name: the command name (copied)
 * @fn: its marshaller
 * @options: QCO_* flags from the schema
 *
 * Add a command.  Registering a name twice is a programming error
 * (asserted).
 */
void qmp_register_command(QmpCommandList *cmds, const char *name,
                          QmpCommandFunc *fn, QmpCommandOptions options);

/* Returns: (nullable) the command called @name, or NULL. */
const QmpCommand *qmp_find_command(const QmpCommandList *cmds,
                                   const char *name);

/*
 * Disable a command: qmp_dispatch() then fails with CommandNotFound,
 * "Command NAME has been disabled[: REASON]".  Returns false if the
 * command does not exist.
 */
bool qmp_disable_command(QmpCommandList *cmds, const char *name,
                         const char *reason);
bool qmp_enable_command(QmpCommandList *cmds, const char *name);

/* Call @fn for every command, in registration order. */
void qmp_for_each_command(const QmpCommandList *cmds,
                          void (*fn)(const QmpCommand *cmd, void *opaque),
                          void *opaque);

/**
 * qmp_dispatch:
 * @cmds: the commands available
 * @request: (nullable): one parsed request, borrowed
 * @allow_oob: whether the client enabled the oob capability (then
 *             "exec-oob" is accepted)
 *
 * Validate and run one request.  Validation order and messages follow
 * QEMU: not an object; bad or unexpected members; no execute; unknown or
 * disabled command (CommandNotFound); exec-oob of a command without
 * allow-oob; then the argument check of the marshaller.  Nothing runs
 * unless every check passed.
 *
 * Returns: (transfer full) the reply: {"return": VALUE, "id": ID} or
 * {"id": ID, "error": {"class": CLASS, "desc": TEXT}}, with the request's
 * id copied verbatim when the request was an object that had one.
 */
JsonObject *qmp_dispatch(const QmpCommandList *cmds, JsonNode *request,
                         bool allow_oob);

/**
 * qmp_error_response:
 * @err: the error (borrowed)
 *
 * Returns: (transfer full) {"error": {"class": ..., "desc": ...}}, the
 * class from error_get_class().
 */
JsonObject *qmp_error_response(const GError *err);

#endif /* QAPI_QMP_DISPATCH_H */
