/*
 * qmp-init-int.h: registration of the generated QMP commands (ternd only).
 */
#ifndef SYSTEM_QMP_INIT_INT_H
#define SYSTEM_QMP_INIT_INT_H

/**
 * system_register_qmp_commands:
 *
 * Registers the generated marshallers of every schema module into
 * qmp_commands.  Call once, after monitor_init_globals().  Main thread.
 */
void system_register_qmp_commands(void);

#endif /* SYSTEM_QMP_INIT_INT_H */
