/*
 * vm-info.c: the VM name and UUID, and the QMP commands reporting them.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "system/system.h"
#include "qapi/qapi-commands-machine.h"
#include "qapi/qapi-commands-misc.h"

static char *vm_name;
static uint8_t vm_uuid[QEMU_UUID_LEN];

const char *qemu_get_vm_name(void)
{
    return vm_name;
}

void qemu_set_vm_name(const char *name)
{
    g_free(vm_name);
    vm_name = g_strdup(name);
}

static int hex_value(char c)
{
    return g_ascii_isxdigit(c) ? g_ascii_xdigit_value(c) : -1;
}

bool qemu_uuid_parse(const char *str, uint8_t uuid[QEMU_UUID_LEN])
{
    /* Positions of the dashes in "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
    static const int dashes[] = { 8, 13, 18, 23 };
    size_t d = 0, n = 0;

    if (strlen(str) != 36) {
        return false;
    }
    for (int i = 0; i < 36; i++) {
        if (d < ARRAY_SIZE(dashes) && i == dashes[d]) {
            if (str[i] != '-') {
                return false;
            }
            d++;
            continue;
        }
        int hi = hex_value(str[i]);
        int lo = hex_value(str[i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        uuid[n++] = hi << 4 | lo;
        i++;
    }
    return n == QEMU_UUID_LEN;
}

char *qemu_uuid_unparse(const uint8_t u[QEMU_UUID_LEN])
{
    return g_strdup_printf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                           "%02x%02x%02x%02x%02x%02x",
                           u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7],
                           u[8], u[9], u[10], u[11], u[12], u[13], u[14],
                           u[15]);
}

void qemu_set_uuid(const uint8_t uuid[QEMU_UUID_LEN])
{
    memcpy(vm_uuid, uuid, QEMU_UUID_LEN);
}

const uint8_t *qemu_get_uuid(void)
{
    return vm_uuid;
}

NameInfo *qmp_query_name(GError **errp)
{
    NameInfo *info = g_new0(NameInfo, 1);

    info->name = g_strdup(vm_name);
    return info;
}

UuidInfo *qmp_query_uuid(GError **errp)
{
    UuidInfo *info = g_new0(UuidInfo, 1);

    info->UUID = qemu_uuid_unparse(vm_uuid);
    return info;
}
