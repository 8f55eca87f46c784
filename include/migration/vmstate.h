/*
 * vmstate.h: describing device state for migration.
 *
 * A device describes its migratable state with a VMStateDescription: a
 * name, a version, the oldest version it can still load, a table of fields
 * (offsets into the device's state struct, with the version that
 * introduced each) and optional subsections that are sent only when their
 * needed() hook says so.  The description is separate from the live object:
 * devices register (description, opaque) pairs and the migration code saves
 * and loads them into tern's stream (docs/interop/migration-stream.md).
 *
 * Compatibility policy: add a field by adding a subsection (old
 * destinations refuse an unknown subsection by name, with a clear error;
 * new destinations accept a stream without it); bump version_id only when
 * an old stream can still be loaded with the new code
 * (minimum_version_id).
 *
 * Threads: registration, save and load run in the main loop thread.
 */
#ifndef MIGRATION_VMSTATE_H
#define MIGRATION_VMSTATE_H

#include "util/osdep.h"

typedef struct QEMUFile QEMUFile;
typedef struct VMStateDescription VMStateDescription;

typedef enum VMStateFieldType {
    VMS_BOOL,
    VMS_UINT8,
    VMS_UINT16,
    VMS_UINT32,
    VMS_UINT64,
    VMS_INT32,
    VMS_INT64,
    VMS_BUFFER,      /* size bytes, inline */
    VMS_STRUCT,      /* a nested description (vmsd), inline */
} VMStateFieldType;

typedef struct VMStateField {
    const char *name;
    VMStateFieldType type;
    size_t offset;             /* of the field (or first element) */
    size_t size;               /* of one element */
    unsigned num;              /* elements: 1 for scalars */
    int version_id;            /* first version that has the field */
    const VMStateDescription *vmsd;   /* for VMS_STRUCT */
} VMStateField;

struct VMStateDescription {
    const char *name;
    int version_id;
    int minimum_version_id;
    /* Optional hooks; false + errp on failure (which fails the migration). */
    bool (*pre_save)(void *opaque, GError **errp);
    bool (*post_load)(void *opaque, int version_id, GError **errp);
    /* For a subsection: whether to send it.  NULL = always. */
    bool (*needed)(void *opaque);
    const VMStateField *fields;                /* ends with VMSTATE_END */
    const VMStateDescription *const *subsections;  /* NULL-terminated */
};

/* 0, or a compile error when member _f of _s is not of type _type. */
#define VMSTATE_TYPE_CHECK_(_s, _f, _type)                              \
    (0 * sizeof(char[1 - 2 * !__builtin_types_compatible_p(            \
        __typeof__(((_s *)0)->_f), _type)]))

#define VMSTATE_FIELD_(_f, _s, _t, _type, _num, _v) {                   \
    .name = (#_f), .type = (_t),                                       \
    .offset = offsetof(_s, _f) + VMSTATE_TYPE_CHECK_(_s, _f, _type),    \
    .size = sizeof(_type), .num = (_num), .version_id = (_v) }

#define VMSTATE_BOOL_V(f, s, v)   VMSTATE_FIELD_(f, s, VMS_BOOL, bool, 1, v)
#define VMSTATE_UINT8_V(f, s, v)  VMSTATE_FIELD_(f, s, VMS_UINT8, uint8_t, 1, v)
#define VMSTATE_UINT16_V(f, s, v) VMSTATE_FIELD_(f, s, VMS_UINT16, uint16_t, 1, v)
#define VMSTATE_UINT32_V(f, s, v) VMSTATE_FIELD_(f, s, VMS_UINT32, uint32_t, 1, v)
#define VMSTATE_UINT64_V(f, s, v) VMSTATE_FIELD_(f, s, VMS_UINT64, uint64_t, 1, v)
#define VMSTATE_INT32_V(f, s, v)  VMSTATE_FIELD_(f, s, VMS_INT32, int32_t, 1, v)
#define VMSTATE_INT64_V(f, s, v)  VMSTATE_FIELD_(f, s, VMS_INT64, int64_t, 1, v)

#define VMSTATE_BOOL(f, s)   VMSTATE_BOOL_V(f, s, 0)
#define VMSTATE_UINT8(f, s)  VMSTATE_UINT8_V(f, s, 0)
#define VMSTATE_UINT16(f, s) VMSTATE_UINT16_V(f, s, 0)
#define VMSTATE_UINT32(f, s) VMSTATE_UINT32_V(f, s, 0)
#define VMSTATE_UINT64(f, s) VMSTATE_UINT64_V(f, s, 0)
#define VMSTATE_INT32(f, s)  VMSTATE_INT32_V(f, s, 0)
#define VMSTATE_INT64(f, s)  VMSTATE_INT64_V(f, s, 0)

/* Fixed-length arrays of scalars: _f is an array member of _s. */
#define VMSTATE_ARRAY_(_f, _s, _t, _type, _v) {                        \
    .name = (#_f), .type = (_t), .offset = offsetof(_s, _f),            \
    .size = sizeof(_type),                                              \
    .num = sizeof(((_s *)0)->_f) / sizeof(_type), .version_id = (_v) }
#define VMSTATE_UINT8_ARRAY(f, s)  VMSTATE_ARRAY_(f, s, VMS_UINT8, uint8_t, 0)
#define VMSTATE_UINT32_ARRAY(f, s) VMSTATE_ARRAY_(f, s, VMS_UINT32, uint32_t, 0)
#define VMSTATE_UINT64_ARRAY(f, s) VMSTATE_ARRAY_(f, s, VMS_UINT64, uint64_t, 0)

/* A nested struct member _f of type _type described by _vmsd. */
#define VMSTATE_STRUCT(_f, _s, _vmsd, _type) {                          \
    .name = (#_f), .type = VMS_STRUCT, .offset = offsetof(_s, _f),      \
    .size = sizeof(_type), .num = 1, .vmsd = &(_vmsd) }

#define VMSTATE_END { .name = NULL }

/**
 * vmstate_register:
 * @idstr: the section name in the stream, e.g. "tern-workload"
 * @instance_id: distinguishes several instances of one device (0 for one)
 * @vmsd: (transfer none): the description, static
 * @opaque: the device state struct the field offsets apply to
 *
 * Adds a device to what migration saves and loads, in registration order.
 * Returns false + errp when (@idstr, @instance_id) is already registered.
 * Main loop thread.
 */
bool vmstate_register(const char *idstr, uint32_t instance_id,
                      const VMStateDescription *vmsd, void *opaque,
                      GError **errp);
void vmstate_unregister(const VMStateDescription *vmsd, void *opaque);

/*
 * Save / load one description's fields and subsections.  The stream's
 * sticky error is set on failure as well.  Main loop thread.
 */
bool vmstate_save_state(QEMUFile *f, const VMStateDescription *vmsd,
                        void *opaque, GError **errp);
bool vmstate_load_state(QEMUFile *f, const VMStateDescription *vmsd,
                        void *opaque, int version_id, GError **errp);

#endif /* MIGRATION_VMSTATE_H */
