/*
 * system.h: process-wide facts about the VM set on the command line (its
 * name and UUID) and the start-up helpers of the daemon.
 *
 * Main loop thread only unless a function says otherwise.
 */
#ifndef SYSTEM_SYSTEM_H
#define SYSTEM_SYSTEM_H

#define QEMU_UUID_LEN 16

/**
 * qemu_get_vm_name:
 *
 * Returns: (transfer none) (nullable): the guest name of `-name`, or NULL.
 */
const char *qemu_get_vm_name(void);

/**
 * qemu_set_vm_name:
 * @name: (nullable): the guest name (copied)
 */
void qemu_set_vm_name(const char *name);

/**
 * qemu_uuid_parse:
 * @str: a UUID in the canonical 8-4-4-4-12 hexadecimal form
 * @uuid: (out): its 16 bytes
 *
 * Returns: whether @str is a well-formed UUID.  Pure.
 */
bool qemu_uuid_parse(const char *str, uint8_t uuid[QEMU_UUID_LEN]);

/**
 * qemu_uuid_unparse:
 * @uuid: 16 bytes
 *
 * Returns: (transfer full): the canonical lower-case form.
 */
char *qemu_uuid_unparse(const uint8_t uuid[QEMU_UUID_LEN]);

/**
 * qemu_set_uuid:
 * @uuid: the VM UUID (`-uuid`); all zeroes by default
 */
void qemu_set_uuid(const uint8_t uuid[QEMU_UUID_LEN]);

/**
 * qemu_get_uuid:
 *
 * Returns: (transfer none): the VM UUID, 16 bytes.
 */
const uint8_t *qemu_get_uuid(void);

#endif /* SYSTEM_SYSTEM_H */
