/*
 * qmp-init.c: register every schema module's generated QMP commands.
 *
 * The module list comes from qapi/meson.build (qapi_modules) through the
 * generated qmp-init-modules.h, so a new schema module is registered
 * without touching this file.
 */
#include "util/osdep.h"
#include "qapi/qmp-dispatch.h"
#include "qmp-init-int.h"
#include "qmp-init-modules.h"

/* The generated registration function of each module. */
#define QMP_INIT_DECLARE(mod) void qmp_init_marshal_##mod(QmpCommandList *cmds);
QMP_INIT_MODULES(QMP_INIT_DECLARE)
#undef QMP_INIT_DECLARE

void system_register_qmp_commands(void)
{
    QmpCommandList *cmds = qmp_get_commands();

#define QMP_INIT_CALL(mod) qmp_init_marshal_##mod(cmds);
    QMP_INIT_MODULES(QMP_INIT_CALL)
#undef QMP_INIT_CALL
}
