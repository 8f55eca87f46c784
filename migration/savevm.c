/*
 * savevm.c: the migration stream container, and the registries of
 * iterative sections (register.h) and devices (vmstate.h).
 *
 * Format: docs/interop/migration-stream.md.  Every record is
 * u8 type, body, BE u32 CRC32C over type and body.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/main-loop.h"
#include "io/channel-buffer.h"
#include "migration/qemu-file.h"
#include "migration/register.h"
#include "migration/vmstate.h"
#include "migration/savevm.h"
#include "system/machine.h"
#include "system/ramblock.h"
#include "trace-migration.h"

#include <json-glib/json-glib.h>

/*
 * One registered section: an iterative one (ops) or a device (vmsd).
 * Registered in the main thread while no migration runs; the per-run
 * flags belong to the one migration or incoming thread using them.
 */
typedef struct SaveStateEntry {
    char idstr[256];
    uint32_t instance_id;
    int version_id;
    uint32_t section_id;
    const SaveVMHandlers *ops;
    const VMStateDescription *vmsd;
    void *opaque;
    bool active;        /* source: SECTION_START sent */
    bool load_setup;    /* destination: load_setup was called */
    bool loaded;        /* destination: seen in the stream */
    int load_version;   /* destination: version of its SECTION_START */
} SaveStateEntry;

static GPtrArray *savevm_entries;      /* of SaveStateEntry, in order */
static uint32_t savevm_next_section_id;

static SaveStateEntry *savevm_find(const char *idstr, uint32_t instance_id)
{
    for (guint i = 0; savevm_entries && i < savevm_entries->len; i++) {
        SaveStateEntry *se = g_ptr_array_index(savevm_entries, i);

        if (!strcmp(se->idstr, idstr) && se->instance_id == instance_id) {
            return se;
        }
    }
    return NULL;
}

static bool savevm_add(const char *idstr, uint32_t instance_id,
                       SaveStateEntry *tmpl, GError **errp)
{
    SaveStateEntry *se;

    if (strlen(idstr) > 255) {
        error_setg(errp, "migration section name '%s' is too long", idstr);
        return false;
    }
    if (savevm_find(idstr, instance_id)) {
        error_setg(errp, "migration section '%s' instance %" PRIu32
                   " is already registered", idstr, instance_id);
        return false;
    }
    if (!savevm_entries) {
        savevm_entries = g_ptr_array_new_with_free_func(g_free);
    }
    se = g_memdup2(tmpl, sizeof(*tmpl));
    g_strlcpy(se->idstr, idstr, sizeof(se->idstr));
    se->instance_id = instance_id;
    se->section_id = savevm_next_section_id++;
    g_ptr_array_add(savevm_entries, se);
    return true;
}

bool register_savevm_live(const char *idstr, uint32_t instance_id,
                          int version_id, const SaveVMHandlers *ops,
                          void *opaque, GError **errp)
{
    SaveStateEntry tmpl = {
        .version_id = version_id, .ops = ops, .opaque = opaque,
    };

    return savevm_add(idstr, instance_id, &tmpl, errp);
}

bool vmstate_register(const char *idstr, uint32_t instance_id,
                      const VMStateDescription *vmsd, void *opaque,
                      GError **errp)
{
    SaveStateEntry tmpl = {
        .version_id = vmsd->version_id, .vmsd = vmsd, .opaque = opaque,
    };

    return savevm_add(idstr, instance_id, &tmpl, errp);
}

void vmstate_unregister(const VMStateDescription *vmsd, void *opaque)
{
    for (guint i = 0; savevm_entries && i < savevm_entries->len; i++) {
        SaveStateEntry *se = g_ptr_array_index(savevm_entries, i);

        if (se->vmsd == vmsd && se->opaque == opaque) {
            g_ptr_array_remove_index(savevm_entries, i);
            return;
        }
    }
}

#define SAVEVM_FOREACH(se)                                               \
    for (guint se##_i = 0;                                               \
         savevm_entries && se##_i < savevm_entries->len; se##_i++)       \
        for (SaveStateEntry *se = g_ptr_array_index(savevm_entries,      \
                                                    se##_i);             \
             se; se = NULL)

/* Source */

static const char *savevm_machine_type(void)
{
    const MachineState *ms = current_machine_get();

    return ms && ms->mc ? ms->mc->name : "none";
}

/* Ends a record: its CRC, then the stream's state as the result. */
static bool savevm_end_record(QEMUFile *f, GError **errp)
{
    qemu_file_put_crc(f);
    return !qemu_file_get_error_obj(f, errp);
}

bool qemu_savevm_state_header(QEMUFile *f, GError **errp)
{
    qemu_file_crc_begin(f);
    qemu_put_buffer(f, (const uint8_t *)TERN_STREAM_MAGIC,
                    TERN_STREAM_MAGIC_LEN);
    qemu_put_be32(f, TERN_STREAM_VERSION);
    qemu_put_be32(f, 0);
    qemu_file_put_crc(f);

    qemu_file_crc_begin(f);
    qemu_put_byte(f, TERN_REC_CONFIG);
    qemu_put_counted_string(f, savevm_machine_type());
    qemu_put_be32(f, TARGET_PAGE_SIZE);
    return savevm_end_record(f, errp);
}

/* The stream's error, or a generic one naming @se when it has none. */
static void savevm_section_error(QEMUFile *f, SaveStateEntry *se,
                                 GError **errp)
{
    if (!qemu_file_get_error_obj(f, errp)) {
        error_setg(errp, "migration section '%s' failed", se->idstr);
        qemu_file_set_error(f, -EIO, NULL);
    }
}

static void savevm_section_header(QEMUFile *f, SaveStateEntry *se,
                                  uint8_t type)
{
    qemu_file_crc_begin(f);
    qemu_put_byte(f, type);
    qemu_put_be32(f, se->section_id);
    if (type == TERN_REC_SECTION_START || type == TERN_REC_SECTION_FULL) {
        qemu_put_counted_string(f, se->idstr);
        qemu_put_be32(f, se->instance_id);
        qemu_put_be32(f, se->version_id);
    }
}

bool qemu_savevm_state_setup(QEMUFile *f, GError **errp)
{
    SAVEVM_FOREACH(se) {
        GError *err = NULL;

        se->active = false;
        if (!se->ops || (se->ops->is_active &&
                         !se->ops->is_active(se->opaque))) {
            continue;
        }
        trace_savevm_section_start(se->idstr, se->section_id);
        se->active = true;
        savevm_section_header(f, se, TERN_REC_SECTION_START);
        if (se->ops->save_setup &&
            !se->ops->save_setup(f, se->opaque, &err)) {
            qemu_file_set_error(f, -EIO, g_error_copy(err));
            g_propagate_error(errp, err);
            return false;
        }
        if (!savevm_end_record(f, errp)) {
            return false;
        }
    }
    qemu_fflush(f);
    return !qemu_file_get_error_obj(f, errp);
}

int qemu_savevm_state_iterate(QEMUFile *f, GError **errp)
{
    bool all_done = true;

    SAVEVM_FOREACH(se) {
        int ret;

        if (!se->active) {
            continue;
        }
        savevm_section_header(f, se, TERN_REC_SECTION_PART);
        ret = se->ops->save_live_iterate ?
              se->ops->save_live_iterate(f, se->opaque) : 1;
        trace_savevm_section_end(se->idstr, se->section_id, ret);
        if (ret < 0 || qemu_file_get_error(f)) {
            savevm_section_error(f, se, errp);
            return -1;
        }
        if (!savevm_end_record(f, errp)) {
            return -1;
        }
        if (ret == 0) {
            all_done = false;
        }
    }
    return all_done ? 1 : 0;
}

void qemu_savevm_state_pending_estimate(uint64_t *must_precopy)
{
    *must_precopy = 0;
    SAVEVM_FOREACH(se) {
        if (se->active && se->ops->state_pending_estimate) {
            se->ops->state_pending_estimate(se->opaque, must_precopy);
        }
    }
}

void qemu_savevm_state_pending_exact(uint64_t *must_precopy)
{
    *must_precopy = 0;
    SAVEVM_FOREACH(se) {
        if (se->active && se->ops->state_pending_exact) {
            se->ops->state_pending_exact(se->opaque, must_precopy);
        }
    }
}

void qemu_savevm_state_cleanup(void)
{
    SAVEVM_FOREACH(se) {
        if (se->active && se->ops->save_cleanup) {
            se->ops->save_cleanup(se->opaque);
        }
        se->active = false;
    }
}

static bool savevm_complete_iterative(QEMUFile *f, GError **errp)
{
    SAVEVM_FOREACH(se) {
        GError *err = NULL;

        if (!se->active) {
            continue;
        }
        savevm_section_header(f, se, TERN_REC_SECTION_END);
        if (se->ops->save_live_complete_precopy &&
            !se->ops->save_live_complete_precopy(f, se->opaque, &err)) {
            qemu_file_set_error(f, -EIO, g_error_copy(err));
            g_propagate_error(errp, err);
            return false;
        }
        trace_savevm_section_end(se->idstr, se->section_id, 1);
        if (!savevm_end_record(f, errp)) {
            return false;
        }
    }
    return true;
}

/*
 * Device state, serialised in the main loop: one buffer per device, plus
 * the VMDESC text.
 */
typedef struct SavevmDevices {
    GPtrArray *entries;     /* SaveStateEntry *, borrowed */
    GPtrArray *buffers;     /* QIOChannel *, owned */
    char *vmdesc;
} SavevmDevices;

static bool savevm_save_one_device(SavevmDevices *d, SaveStateEntry *se,
                                   GError **errp)
{
    QIOChannel *ioc = qio_channel_buffer_new(4096);
    QEMUFile *mf = qemu_file_new_output(ioc);
    bool ok;
    size_t len;

    g_ptr_array_add(d->buffers, ioc);
    ok = vmstate_save_state(mf, se->vmsd, se->opaque, errp);
    ok = qemu_fclose(mf, ok ? errp : NULL) && ok;
    if (!ok) {
        return false;
    }
    qio_channel_buffer_data(ioc, &len);
    if (len > TERN_STREAM_MAX_DEVICE_STATE) {
        error_setg(errp, "state of device '%s' is too big (%zu bytes)",
                   se->idstr, len);
        return false;
    }
    g_ptr_array_add(d->entries, se);
    trace_savevm_device_save(se->idstr, se->instance_id, len);
    return true;
}

static bool savevm_save_devices_bh(void *opaque, GError **errp)
{
    SavevmDevices *d = opaque;
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "page_size");
    json_builder_add_int_value(b, TARGET_PAGE_SIZE);
    json_builder_set_member_name(b, "devices");
    json_builder_begin_array(b);
    SAVEVM_FOREACH(se) {
        if (!se->vmsd) {
            continue;
        }
        if (!savevm_save_one_device(d, se, errp)) {
            return false;
        }
        vmstate_describe(b, se->idstr, se->instance_id, se->vmsd,
                         se->opaque);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    d->vmdesc = json_generator_to_data(gen, NULL);
    return true;
}

static bool savevm_write_devices(QEMUFile *f, SavevmDevices *d,
                                 GError **errp)
{
    size_t vmdesc_len = strlen(d->vmdesc);

    for (guint i = 0; i < d->entries->len; i++) {
        SaveStateEntry *se = g_ptr_array_index(d->entries, i);
        size_t len;
        const uint8_t *data = qio_channel_buffer_data(
            g_ptr_array_index(d->buffers, i), &len);

        savevm_section_header(f, se, TERN_REC_SECTION_FULL);
        qemu_put_be32(f, len);
        qemu_put_buffer(f, data, len);
        if (!savevm_end_record(f, errp)) {
            return false;
        }
    }
    if (vmdesc_len > TERN_STREAM_MAX_VMDESC) {
        error_setg(errp, "device state description is too big (%zu bytes)",
                   vmdesc_len);
        return false;
    }
    qemu_file_crc_begin(f);
    qemu_put_byte(f, TERN_REC_VMDESC);
    qemu_put_be32(f, vmdesc_len);
    qemu_put_buffer(f, (const uint8_t *)d->vmdesc, vmdesc_len);
    if (!savevm_end_record(f, errp)) {
        return false;
    }
    qemu_file_crc_begin(f);
    qemu_put_byte(f, TERN_REC_EOS);
    return savevm_end_record(f, errp);
}

static bool savevm_save_devices(QEMUFile *f, GError **errp)
{
    SavevmDevices d = {
        .entries = g_ptr_array_new(),
        .buffers = g_ptr_array_new_with_free_func(
            (GDestroyNotify)qio_channel_unref),
    };
    GError *err = NULL;
    bool ok;

    ok = main_loop_run_sync(savevm_save_devices_bh, &d, &err) &&
         savevm_write_devices(f, &d, &err);
    g_ptr_array_free(d.entries, true);
    g_ptr_array_free(d.buffers, true);
    g_free(d.vmdesc);
    if (!ok) {
        qemu_file_set_error(f, -EIO, g_error_copy(err));
        g_propagate_error(errp, err);
        return false;
    }
    qemu_fflush(f);
    return !qemu_file_get_error_obj(f, errp);
}

bool qemu_savevm_state_complete_precopy(QEMUFile *f, GError **errp)
{
    return savevm_complete_iterative(f, errp) && savevm_save_devices(f, errp);
}

bool qemu_savevm_state_save_devices_only(QEMUFile *f, GError **errp)
{
    return qemu_savevm_state_header(f, errp) && savevm_save_devices(f, errp);
}

/* Destination */

typedef struct LoadvmState {
    QEMUFile *f;
    GHashTable *sections;   /* stream section id -> SaveStateEntry * */
    bool eos;
} LoadvmState;

/* Fails the stream with a formatted error, copied into @errp. */
static bool G_GNUC_PRINTF(3, 4)
loadvm_fail(QEMUFile *f, GError **errp, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;
    GError *err = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_setg(&err, "%s", msg);
    qemu_file_set_error(f, -EINVAL, g_error_copy(err));
    g_propagate_error(errp, err);
    return false;
}

static bool loadvm_foreign(QEMUFile *f, const uint8_t *magic, size_t n,
                           GError **errp)
{
    g_autoptr(GString) found = g_string_new(NULL);

    for (size_t i = 0; i < n; i++) {
        g_string_append_printf(found, "%02x", magic[i]);
    }
    if (n >= 4 && !memcmp(magic, "QEVM", 4)) {
        return loadvm_fail(f, errp, "not a tern migration stream "
                           "(found QEMU's migration format)");
    }
    return loadvm_fail(f, errp, "not a tern migration stream (it starts "
                       "with bytes 0x%s)", found->str);
}

static bool loadvm_magic(QEMUFile *f, GError **errp)
{
    uint8_t magic[TERN_STREAM_MAGIC_LEN];
    size_t n = 0;

    while (n < TERN_STREAM_MAGIC_LEN && !qemu_file_at_eof(f)) {
        magic[n++] = qemu_get_byte(f);
        if (qemu_file_get_error_obj(f, errp)) {
            return false;
        }
    }
    if (n == 0) {
        return loadvm_fail(f, errp, "migration stream is empty");
    }
    if (memcmp(magic, TERN_STREAM_MAGIC, n)) {
        return loadvm_foreign(f, magic, n, errp);
    }
    if (n < TERN_STREAM_MAGIC_LEN) {
        return loadvm_fail(f, errp, "unexpected end of migration stream");
    }
    return true;
}

static bool loadvm_header(QEMUFile *f, GError **errp)
{
    uint32_t version, flags;

    qemu_file_crc_begin(f);
    if (!loadvm_magic(f, errp)) {
        return false;
    }
    version = qemu_get_be32(f);
    flags = qemu_get_be32(f);
    if (!qemu_file_check_crc(f, errp)) {
        return false;
    }
    if (version != TERN_STREAM_VERSION) {
        return loadvm_fail(f, errp, "unsupported migration stream version %"
                           PRIu32 " (this tern reads version %d)", version,
                           TERN_STREAM_VERSION);
    }
    if (flags) {
        return loadvm_fail(f, errp, "unsupported migration stream flags "
                           "0x%" PRIx32, flags);
    }
    return true;
}

static bool loadvm_config(QEMUFile *f, GError **errp)
{
    char machine[256];
    uint8_t type;
    uint32_t page_size;

    qemu_file_crc_begin(f);
    type = qemu_get_byte(f);
    if (qemu_file_get_error_obj(f, errp)) {
        return false;
    }
    if (type != TERN_REC_CONFIG) {
        return loadvm_fail(f, errp, "migration stream has record type 0x%02x"
                           " where its configuration was expected", type);
    }
    qemu_get_counted_string(f, machine);
    page_size = qemu_get_be32(f);
    if (!qemu_file_check_crc(f, errp)) {
        return false;
    }
    if (strcmp(machine, savevm_machine_type())) {
        return loadvm_fail(f, errp, "migration stream is for machine type "
                           "'%s', this machine is '%s'", machine,
                           savevm_machine_type());
    }
    if (page_size != TARGET_PAGE_SIZE) {
        return loadvm_fail(f, errp, "migration stream has target page size %"
                           PRIu32 ", this tern uses %llu", page_size,
                           TARGET_PAGE_SIZE);
    }
    return true;
}

static bool loadvm_setup(QEMUFile *f, GError **errp)
{
    SAVEVM_FOREACH(se) {
        se->loaded = false;
        se->load_setup = false;
    }
    SAVEVM_FOREACH(se) {
        if (!se->ops) {
            continue;
        }
        se->load_setup = true;
        if (se->ops->load_setup &&
            !se->ops->load_setup(f, se->opaque, errp)) {
            return false;
        }
    }
    return true;
}

static void loadvm_cleanup(void)
{
    SAVEVM_FOREACH(se) {
        if (se->load_setup && se->ops->load_cleanup) {
            se->ops->load_cleanup(se->opaque);
        }
        se->load_setup = false;
    }
}

/* Registers stream section @id for @se; false if the id was seen. */
static bool loadvm_claim_section(LoadvmState *s, uint32_t id,
                                 SaveStateEntry *se, GError **errp)
{
    if (g_hash_table_contains(s->sections, GUINT_TO_POINTER(id))) {
        return loadvm_fail(s->f, errp, "migration section id %" PRIu32
                           " used twice", id);
    }
    if (se->loaded) {
        return loadvm_fail(s->f, errp, "migration section '%s' instance %"
                           PRIu32 " appears twice", se->idstr,
                           se->instance_id);
    }
    se->loaded = true;
    g_hash_table_insert(s->sections, GUINT_TO_POINTER(id), se);
    return true;
}

/* Calls @se's load_state for the payload, then checks the record's CRC. */
static bool loadvm_section_payload(LoadvmState *s, SaveStateEntry *se,
                                   GError **errp)
{
    GError *err = NULL;

    if (se->ops->load_state &&
        !se->ops->load_state(s->f, se->opaque, se->load_version, &err)) {
        if (!qemu_file_get_error(s->f)) {
            qemu_file_set_error(s->f, -EINVAL, g_error_copy(err));
        }
        g_propagate_error(errp, err);
        return false;
    }
    return qemu_file_check_crc(s->f, errp);
}

static bool loadvm_section_start(LoadvmState *s, GError **errp)
{
    QEMUFile *f = s->f;
    char idstr[256];
    uint32_t id, instance_id, version;
    SaveStateEntry *se;

    id = qemu_get_be32(f);
    qemu_get_counted_string(f, idstr);
    instance_id = qemu_get_be32(f);
    version = qemu_get_be32(f);
    if (qemu_file_get_error_obj(f, errp)) {
        return false;
    }
    se = savevm_find(idstr, instance_id);
    if (!se || !se->ops) {
        return loadvm_fail(f, errp, "unknown migration section '%s' "
                           "instance %" PRIu32, idstr, instance_id);
    }
    if (version > (uint32_t)se->version_id) {
        return loadvm_fail(f, errp, "migration section '%s' version %"
                           PRIu32 " not supported (this tern loads up to "
                           "%d)", idstr, version, se->version_id);
    }
    if (!loadvm_claim_section(s, id, se, errp)) {
        return false;
    }
    se->load_version = version;
    trace_savevm_section_start(se->idstr, id);
    return loadvm_section_payload(s, se, errp);
}

static bool loadvm_section_part(LoadvmState *s, GError **errp)
{
    uint32_t id = qemu_get_be32(s->f);
    SaveStateEntry *se;

    if (qemu_file_get_error_obj(s->f, errp)) {
        return false;
    }
    se = g_hash_table_lookup(s->sections, GUINT_TO_POINTER(id));
    if (!se || !se->ops) {
        return loadvm_fail(s->f, errp, "unknown migration section id %"
                           PRIu32, id);
    }
    return loadvm_section_payload(s, se, errp);
}

typedef struct LoadvmDevice {
    SaveStateEntry *se;
    const uint8_t *data;
    uint32_t len;
    int version;
} LoadvmDevice;

static bool loadvm_device_bh(void *opaque, GError **errp)
{
    LoadvmDevice *d = opaque;
    QIOChannel *ioc = qio_channel_buffer_new_data(d->data, d->len);
    QEMUFile *mf = qemu_file_new_input(ioc);
    GError *err = NULL;
    bool ok;

    qio_channel_unref(ioc);
    ok = vmstate_load_state(mf, d->se->vmsd, d->se->opaque, d->version,
                            &err);
    if (ok && !qemu_file_at_eof(mf)) {
        error_setg(&err, "the state has more bytes than its description");
        ok = false;
    }
    qemu_fclose(mf, NULL);
    if (!ok) {
        g_prefix_error(&err, "cannot load device '%s' instance %" PRIu32
                       ": ", d->se->idstr, d->se->instance_id);
        g_propagate_error(errp, err);
    }
    return ok;
}

/* Reads the rest of a SECTION_FULL record after its section id. */
static bool loadvm_device_record(LoadvmState *s, LoadvmDevice *d,
                                 char idstr[256], uint32_t *instance_id,
                                 GError **errp)
{
    QEMUFile *f = s->f;
    uint32_t version;

    qemu_get_counted_string(f, idstr);
    *instance_id = qemu_get_be32(f);
    version = qemu_get_be32(f);
    d->len = qemu_get_be32(f);
    if (qemu_file_get_error_obj(f, errp)) {
        return false;
    }
    if (d->len > TERN_STREAM_MAX_DEVICE_STATE) {
        return loadvm_fail(f, errp, "state of device '%s' is too big (%"
                           PRIu32 " bytes)", idstr, d->len);
    }
    if (version > INT_MAX) {
        return loadvm_fail(f, errp, "device '%s' version %" PRIu32
                           " not supported", idstr, version);
    }
    d->version = version;
    d->data = g_malloc(d->len);
    qemu_get_buffer(f, (uint8_t *)d->data, d->len);
    return qemu_file_check_crc(f, errp);
}

static bool loadvm_section_full(LoadvmState *s, GError **errp)
{
    LoadvmDevice d = { 0 };
    char idstr[256];
    uint32_t id, instance_id;
    bool ok;

    id = qemu_get_be32(s->f);
    ok = loadvm_device_record(s, &d, idstr, &instance_id, errp);
    if (ok) {
        d.se = savevm_find(idstr, instance_id);
        if (!d.se || !d.se->vmsd) {
            ok = loadvm_fail(s->f, errp, "unknown migration section '%s' "
                             "instance %" PRIu32, idstr, instance_id);
        }
    }
    ok = ok && loadvm_claim_section(s, id, d.se, errp);
    if (ok) {
        trace_savevm_device_load(idstr, instance_id, d.len);
        ok = main_loop_run_sync(loadvm_device_bh, &d, errp);
    }
    g_free((uint8_t *)d.data);
    return ok;
}

static bool loadvm_vmdesc(LoadvmState *s, GError **errp)
{
    uint32_t len = qemu_get_be32(s->f);
    uint8_t scratch[4096];

    if (qemu_file_get_error_obj(s->f, errp)) {
        return false;
    }
    if (len > TERN_STREAM_MAX_VMDESC) {
        return loadvm_fail(s->f, errp, "device state description is too "
                           "big (%" PRIu32 " bytes)", len);
    }
    while (len && !qemu_file_get_error(s->f)) {
        uint32_t n = MIN(len, sizeof(scratch));

        qemu_get_buffer(s->f, scratch, n);
        len -= n;
    }
    return qemu_file_check_crc(s->f, errp);
}

static bool loadvm_eos(LoadvmState *s, GError **errp)
{
    s->eos = true;
    return qemu_file_check_crc(s->f, errp);
}

typedef bool LoadvmRecordFunc(LoadvmState *s, GError **errp);

static LoadvmRecordFunc *const loadvm_records[] = {
    [TERN_REC_SECTION_START] = loadvm_section_start,
    [TERN_REC_SECTION_PART] = loadvm_section_part,
    [TERN_REC_SECTION_END] = loadvm_section_part,
    [TERN_REC_SECTION_FULL] = loadvm_section_full,
    [TERN_REC_VMDESC] = loadvm_vmdesc,
    [TERN_REC_EOS] = loadvm_eos,
};

static bool loadvm_records_until_eos(LoadvmState *s, GError **errp)
{
    while (!s->eos) {
        uint64_t offset = qemu_file_transferred(s->f);
        uint8_t type;

        qemu_file_crc_begin(s->f);
        type = qemu_get_byte(s->f);
        if (qemu_file_get_error_obj(s->f, errp)) {
            return false;
        }
        trace_loadvm_record(type, offset);
        if (type >= ARRAY_SIZE(loadvm_records) || !loadvm_records[type]) {
            return loadvm_fail(s->f, errp, "unknown migration stream record"
                               " type 0x%02x at offset %" PRIu64, type,
                               offset);
        }
        if (!loadvm_records[type](s, errp)) {
            return false;
        }
    }
    return true;
}

/*
 * After EOS: a file must end there (a stream socket or pipe is not waited
 * on: its peer may keep it open), and every device must have been loaded.
 */
static bool loadvm_check_complete(LoadvmState *s, GError **errp)
{
    QIOChannel *ioc = qemu_file_get_ioc(s->f);

    if (qio_channel_has_feature(ioc, QIO_CHANNEL_FEATURE_SEEKABLE) &&
        !qemu_file_at_eof(s->f)) {
        if (qemu_file_get_error_obj(s->f, errp)) {
            return false;
        }
        return loadvm_fail(s->f, errp, "unexpected data after the end of "
                           "the migration stream");
    }
    SAVEVM_FOREACH(se) {
        if (se->vmsd && !se->loaded) {
            return loadvm_fail(s->f, errp, "device '%s' instance %" PRIu32
                               " missing from the migration stream",
                               se->idstr, se->instance_id);
        }
    }
    return true;
}

bool qemu_loadvm_state(QEMUFile *f, GError **errp)
{
    LoadvmState s = {
        .f = f,
        .sections = g_hash_table_new(NULL, NULL),
    };
    bool ok;

    ok = loadvm_header(f, errp) && loadvm_config(f, errp);
    if (ok) {
        ok = loadvm_setup(f, errp) && loadvm_records_until_eos(&s, errp) &&
             loadvm_check_complete(&s, errp);
        loadvm_cleanup();
    }
    g_hash_table_destroy(s.sections);
    trace_loadvm_state_done(ok);
    return ok;
}
