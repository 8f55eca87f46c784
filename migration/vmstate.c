/*
 * vmstate.c: encoding device state described by a VMStateDescription.
 *
 * The encoding (docs/interop/migration-stream.md, "Device state"): the
 * fields in table order (scalars big-endian, arrays element by element,
 * nested structs inline), then each needed subsection as
 * u8 VMSTATE_SUBSECTION_MARK, counted string name, BE u32 version, its own
 * encoding; then u8 VMSTATE_SUBSECTION_END.
 *
 * The registry of (idstr, instance, description, opaque) lives in savevm.c.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "migration/qemu-file.h"
#include "migration/vmstate.h"
#include "migration/savevm.h"
#include "trace-migration.h"

#include <json-glib/json-glib.h>

#define VMSTATE_SUBSECTION_END  0x00
#define VMSTATE_SUBSECTION_MARK 0x05

/* Stream bytes per element of each scalar type (0: not a scalar). */
static const size_t vmstate_scalar_width[] = {
    [VMS_BOOL] = 1, [VMS_UINT8] = 1, [VMS_UINT16] = 2, [VMS_UINT32] = 4,
    [VMS_UINT64] = 8, [VMS_INT32] = 4, [VMS_INT64] = 8,
};

static const char *const vmstate_type_name[] = {
    [VMS_BOOL] = "bool", [VMS_UINT8] = "uint8", [VMS_UINT16] = "uint16",
    [VMS_UINT32] = "uint32", [VMS_UINT64] = "uint64", [VMS_INT32] = "int32",
    [VMS_INT64] = "int64", [VMS_BUFFER] = "buffer", [VMS_STRUCT] = "struct",
};

/* Fails the stream with @err (taken) and hands a copy to @errp. */
static bool vmstate_fail(QEMUFile *f, GError *err, GError **errp)
{
    qemu_file_set_error(f, -EINVAL, g_error_copy(err));
    g_propagate_error(errp, err);
    return false;
}

static void vmstate_put_scalar(QEMUFile *f, const VMStateField *field,
                               const uint8_t *p)
{
    uint64_t v = 0;

    switch (vmstate_scalar_width[field->type]) {
    case 1:
        if (field->type == VMS_BOOL) {
            v = *(const bool *)p;
        } else {
            v = *p;
        }
        qemu_put_byte(f, v);
        break;
    case 2:
        qemu_put_be16(f, *(const uint16_t *)p);
        break;
    case 4:
        qemu_put_be32(f, *(const uint32_t *)p);
        break;
    default:
        qemu_put_be64(f, *(const uint64_t *)p);
        break;
    }
}

static bool vmstate_get_scalar(QEMUFile *f, const VMStateField *field,
                               uint8_t *p, GError **errp)
{
    uint8_t b;

    switch (vmstate_scalar_width[field->type]) {
    case 1:
        b = qemu_get_byte(f);
        if (field->type != VMS_BOOL) {
            *p = b;
        } else if (b <= 1) {
            *(bool *)p = b;
        } else if (!qemu_file_get_error(f)) {
            GError *err = NULL;

            error_setg(&err, "invalid value %u for bool field '%s'", b,
                       field->name);
            return vmstate_fail(f, err, errp);
        }
        break;
    case 2:
        *(uint16_t *)p = qemu_get_be16(f);
        break;
    case 4:
        *(uint32_t *)p = qemu_get_be32(f);
        break;
    default:
        *(uint64_t *)p = qemu_get_be64(f);
        break;
    }
    return true;
}

static bool vmstate_save_field(QEMUFile *f, const VMStateField *field,
                               void *opaque, GError **errp)
{
    uint8_t *base = (uint8_t *)opaque + field->offset;

    if (field->type == VMS_BUFFER) {
        qemu_put_buffer(f, base, field->size * field->num);
        return true;
    }
    for (unsigned i = 0; i < field->num; i++) {
        uint8_t *p = base + (size_t)i * field->size;

        if (field->type == VMS_STRUCT) {
            if (!vmstate_save_state(f, field->vmsd, p, errp)) {
                return false;
            }
        } else {
            vmstate_put_scalar(f, field, p);
        }
    }
    return true;
}

static bool vmstate_load_field(QEMUFile *f, const VMStateField *field,
                               void *opaque, GError **errp)
{
    uint8_t *base = (uint8_t *)opaque + field->offset;

    if (field->type == VMS_BUFFER) {
        qemu_get_buffer(f, base, field->size * field->num);
        return true;
    }
    for (unsigned i = 0; i < field->num; i++) {
        uint8_t *p = base + (size_t)i * field->size;
        bool ok;

        if (field->type == VMS_STRUCT) {
            ok = vmstate_load_state(f, field->vmsd, p,
                                    field->vmsd->version_id, errp);
        } else {
            ok = vmstate_get_scalar(f, field, p, errp);
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

static bool vmstate_save_subsections(QEMUFile *f,
                                     const VMStateDescription *vmsd,
                                     void *opaque, GError **errp)
{
    for (const VMStateDescription *const *sub = vmsd->subsections;
         sub && *sub; sub++) {
        if ((*sub)->needed && !(*sub)->needed(opaque)) {
            continue;
        }
        qemu_put_byte(f, VMSTATE_SUBSECTION_MARK);
        qemu_put_counted_string(f, (*sub)->name);
        qemu_put_be32(f, (*sub)->version_id);
        if (!vmstate_save_state(f, *sub, opaque, errp)) {
            return false;
        }
    }
    qemu_put_byte(f, VMSTATE_SUBSECTION_END);
    return true;
}

bool vmstate_save_state(QEMUFile *f, const VMStateDescription *vmsd,
                        void *opaque, GError **errp)
{
    GError *err = NULL;

    trace_vmstate_save(vmsd->name, vmsd->version_id);
    if (vmsd->pre_save && !vmsd->pre_save(opaque, &err)) {
        g_prefix_error(&err, "cannot save '%s': ", vmsd->name);
        return vmstate_fail(f, err, errp);
    }
    for (const VMStateField *field = vmsd->fields;
         field && field->name; field++) {
        if (!vmstate_save_field(f, field, opaque, errp)) {
            return false;
        }
    }
    if (!vmstate_save_subsections(f, vmsd, opaque, errp)) {
        return false;
    }
    return !qemu_file_get_error_obj(f, errp);
}

static const VMStateDescription *
vmstate_find_subsection(const VMStateDescription *vmsd, const char *name)
{
    for (const VMStateDescription *const *sub = vmsd->subsections;
         sub && *sub; sub++) {
        if (!strcmp((*sub)->name, name)) {
            return *sub;
        }
    }
    return NULL;
}

static bool vmstate_load_subsections(QEMUFile *f,
                                     const VMStateDescription *vmsd,
                                     void *opaque, GError **errp)
{
    GError *err = NULL;

    for (;;) {
        uint8_t mark = qemu_get_byte(f);
        const VMStateDescription *sub;
        char name[256];
        uint32_t version;

        if (qemu_file_get_error_obj(f, errp)) {
            return false;
        }
        if (mark == VMSTATE_SUBSECTION_END) {
            return true;
        }
        if (mark != VMSTATE_SUBSECTION_MARK) {
            error_setg(&err, "invalid subsection marker 0x%02x in '%s'",
                       mark, vmsd->name);
            return vmstate_fail(f, err, errp);
        }
        if (!qemu_get_counted_string(f, name)) {
            return !qemu_file_get_error_obj(f, errp);
        }
        version = qemu_get_be32(f);
        if (qemu_file_get_error_obj(f, errp)) {
            return false;
        }
        sub = vmstate_find_subsection(vmsd, name);
        if (!sub) {
            error_setg(&err, "unknown subsection '%s' in '%s'", name,
                       vmsd->name);
            return vmstate_fail(f, err, errp);
        }
        trace_vmstate_subsection_load(name, version);
        if (version > INT_MAX) {
            error_setg(&err, "vmstate '%s' version %" PRIu32
                       " not supported", name, version);
            return vmstate_fail(f, err, errp);
        }
        if (!vmstate_load_state(f, sub, opaque, version, errp)) {
            return false;
        }
    }
}

static bool vmstate_check_version(QEMUFile *f,
                                  const VMStateDescription *vmsd,
                                  int version_id, GError **errp)
{
    GError *err = NULL;

    if (version_id >= vmsd->minimum_version_id &&
        version_id <= vmsd->version_id) {
        return true;
    }
    error_setg(&err, "vmstate '%s' version %d not supported (this tern "
               "loads versions %d to %d)", vmsd->name, version_id,
               vmsd->minimum_version_id, vmsd->version_id);
    return vmstate_fail(f, err, errp);
}

bool vmstate_load_state(QEMUFile *f, const VMStateDescription *vmsd,
                        void *opaque, int version_id, GError **errp)
{
    GError *err = NULL;

    trace_vmstate_load(vmsd->name, version_id);
    if (!vmstate_check_version(f, vmsd, version_id, errp)) {
        return false;
    }
    for (const VMStateField *field = vmsd->fields;
         field && field->name; field++) {
        if (field->version_id > version_id) {
            continue;
        }
        if (!vmstate_load_field(f, field, opaque, errp)) {
            return false;
        }
    }
    if (!vmstate_load_subsections(f, vmsd, opaque, errp)) {
        return false;
    }
    if (qemu_file_get_error_obj(f, errp)) {
        return false;
    }
    if (vmsd->post_load && !vmsd->post_load(opaque, version_id, &err)) {
        g_prefix_error(&err, "cannot load '%s': ", vmsd->name);
        return vmstate_fail(f, err, errp);
    }
    return true;
}

/* The machine-readable description (VMDESC) */

static void vmstate_describe_fields(JsonBuilder *b,
                                    const VMStateDescription *vmsd,
                                    void *opaque);

static void vmstate_describe_field(JsonBuilder *b, const VMStateField *field,
                                   void *opaque)
{
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, field->name);
    json_builder_set_member_name(b, "type");
    json_builder_add_string_value(b, vmstate_type_name[field->type]);
    json_builder_set_member_name(b, "size");
    json_builder_add_int_value(b, vmstate_scalar_width[field->type] ?
                               vmstate_scalar_width[field->type] :
                               field->size);
    json_builder_set_member_name(b, "count");
    json_builder_add_int_value(b, field->num);
    if (field->version_id) {
        json_builder_set_member_name(b, "version_id");
        json_builder_add_int_value(b, field->version_id);
    }
    if (field->type == VMS_STRUCT) {
        json_builder_set_member_name(b, "struct");
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "vmsd_name");
        json_builder_add_string_value(b, field->vmsd->name);
        json_builder_set_member_name(b, "version");
        json_builder_add_int_value(b, field->vmsd->version_id);
        /* Subsections of array elements depend on each element. */
        vmstate_describe_fields(b, field->vmsd,
                                (uint8_t *)opaque + field->offset);
        json_builder_end_object(b);
    }
    json_builder_end_object(b);
}

/* Adds "fields" and "subsections" members to the open object. */
static void vmstate_describe_fields(JsonBuilder *b,
                                    const VMStateDescription *vmsd,
                                    void *opaque)
{
    json_builder_set_member_name(b, "fields");
    json_builder_begin_array(b);
    for (const VMStateField *field = vmsd->fields;
         field && field->name; field++) {
        vmstate_describe_field(b, field, opaque);
    }
    json_builder_end_array(b);

    json_builder_set_member_name(b, "subsections");
    json_builder_begin_array(b);
    for (const VMStateDescription *const *sub = vmsd->subsections;
         sub && *sub; sub++) {
        if ((*sub)->needed && !(*sub)->needed(opaque)) {
            continue;
        }
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "vmsd_name");
        json_builder_add_string_value(b, (*sub)->name);
        json_builder_set_member_name(b, "version");
        json_builder_add_int_value(b, (*sub)->version_id);
        vmstate_describe_fields(b, *sub, opaque);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

void vmstate_describe(JsonBuilder *b, const char *idstr,
                      uint32_t instance_id, const VMStateDescription *vmsd,
                      void *opaque)
{
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, idstr);
    json_builder_set_member_name(b, "instance_id");
    json_builder_add_int_value(b, instance_id);
    json_builder_set_member_name(b, "vmsd_name");
    json_builder_add_string_value(b, vmsd->name);
    json_builder_set_member_name(b, "version");
    json_builder_add_int_value(b, vmsd->version_id);
    vmstate_describe_fields(b, vmsd, opaque);
    json_builder_end_object(b);
}
