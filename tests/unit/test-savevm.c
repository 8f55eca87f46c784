/*
 * test-savevm.c: the stream container with a fake iterative section and a
 * few devices: save then load is the identity (also across threads with
 * the main loop running), and empty, foreign, truncated, bit-flipped and
 * mismatched streams fail with a clear error.
 *
 * Check forks every test, so each starts with empty registries.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/crc32c.h"
#include "util/main-loop.h"
#include "io/channel-buffer.h"
#include "migration/qemu-file.h"
#include "migration/register.h"
#include "migration/savevm.h"
#include "migration/vmstate.h"
#include "system/machine.h"
#include "tern-check.h"

#include <json-glib/json-glib.h>

/* A fake RAM section: CHUNKS chunks, sent when dirty, a few per pass. */
#define CHUNKS 32
#define CHUNK_SIZE 64
#define TAG_SIZE 1
#define TAG_CHUNK 2
#define TAG_END 3

typedef struct FakeRam {
    uint8_t mem[CHUNKS][CHUNK_SIZE];
    bool dirty[CHUNKS];
    unsigned per_pass;
    unsigned save_setup, save_cleanup, load_setup, load_cleanup;
} FakeRam;

static FakeRam fake_ram;

static bool fake_save_setup(QEMUFile *f, void *opaque, GError **errp)
{
    FakeRam *r = opaque;

    r->save_setup++;
    for (int i = 0; i < CHUNKS; i++) {
        r->dirty[i] = true;
    }
    qemu_put_be32(f, TAG_SIZE);
    qemu_put_be32(f, CHUNKS);
    qemu_put_be32(f, TAG_END);
    return true;
}

/* Sends up to @max dirty chunks; returns whether none is left. */
static bool fake_send(QEMUFile *f, FakeRam *r, unsigned max)
{
    unsigned sent = 0;
    bool left = false;

    for (int i = 0; i < CHUNKS; i++) {
        if (!r->dirty[i]) {
            continue;
        }
        if (sent == max) {
            left = true;
            break;
        }
        qemu_put_be32(f, TAG_CHUNK);
        qemu_put_be32(f, i);
        qemu_put_buffer(f, r->mem[i], CHUNK_SIZE);
        r->dirty[i] = false;
        sent++;
    }
    qemu_put_be32(f, TAG_END);
    return !left;
}

static int fake_iterate(QEMUFile *f, void *opaque)
{
    FakeRam *r = opaque;

    return fake_send(f, r, r->per_pass) ? 1 : 0;
}

static bool fake_complete(QEMUFile *f, void *opaque, GError **errp)
{
    fake_send(f, opaque, CHUNKS);
    return true;
}

static void fake_pending(void *opaque, uint64_t *must_precopy)
{
    FakeRam *r = opaque;

    for (int i = 0; i < CHUNKS; i++) {
        *must_precopy += r->dirty[i] ? CHUNK_SIZE : 0;
    }
}

static void fake_save_cleanup(void *opaque)
{
    ((FakeRam *)opaque)->save_cleanup++;
}

static bool fake_load_setup(QEMUFile *f, void *opaque, GError **errp)
{
    ((FakeRam *)opaque)->load_setup++;
    return true;
}

static bool fake_load_state(QEMUFile *f, void *opaque, int version_id,
                            GError **errp)
{
    FakeRam *r = opaque;

    for (;;) {
        uint32_t tag = qemu_get_be32(f);
        uint32_t v;

        if (qemu_file_get_error_obj(f, errp)) {
            return false;
        }
        if (tag == TAG_END) {
            return true;
        }
        v = qemu_get_be32(f);
        if (tag == TAG_SIZE && v == CHUNKS) {
            continue;
        }
        if (tag != TAG_CHUNK || v >= CHUNKS) {
            error_setg(errp, "fake-ram: bad tag %u value %u", tag, v);
            return false;
        }
        qemu_get_buffer(f, r->mem[v], CHUNK_SIZE);
    }
}

static void fake_load_cleanup(void *opaque)
{
    ((FakeRam *)opaque)->load_cleanup++;
}

static const SaveVMHandlers fake_ram_ops = {
    .save_setup = fake_save_setup,
    .save_live_iterate = fake_iterate,
    .save_live_complete_precopy = fake_complete,
    .state_pending_estimate = fake_pending,
    .state_pending_exact = fake_pending,
    .save_cleanup = fake_save_cleanup,
    .load_setup = fake_load_setup,
    .load_state = fake_load_state,
    .load_cleanup = fake_load_cleanup,
};

/* Devices: a clock, and two vCPUs with an optional subsection. */
typedef struct Clock {
    uint64_t ticks;
    uint32_t freq;
    bool fail_pre_save;
} Clock;

typedef struct Cpu {
    uint64_t regs[4];
    uint32_t halted;
    uint64_t tsc_aux;
} Cpu;

static Clock clock_dev;
static Cpu cpus[2];

static bool clock_pre_save(void *opaque, GError **errp)
{
    if (((Clock *)opaque)->fail_pre_save) {
        error_setg(errp, "clock is busy");
        return false;
    }
    return true;
}

static const VMStateDescription vmstate_clock = {
    .name = "clock",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = clock_pre_save,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(ticks, Clock),
        VMSTATE_UINT32(freq, Clock),
        VMSTATE_END,
    },
};

static bool cpu_tsc_aux_needed(void *opaque)
{
    return ((Cpu *)opaque)->tsc_aux != 0;
}

static const VMStateDescription vmstate_cpu_tsc_aux = {
    .name = "cpu/tsc_aux",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = cpu_tsc_aux_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(tsc_aux, Cpu),
        VMSTATE_END,
    },
};

static const VMStateDescription vmstate_cpu = {
    .name = "cpu",
    .version_id = 2,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64_ARRAY(regs, Cpu),
        VMSTATE_UINT32_V(halted, Cpu, 2),
        VMSTATE_END,
    },
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_cpu_tsc_aux,
        NULL,
    },
};

static void set_machine(const char *name)
{
    MachineState *ms = g_new0(MachineState, 1);

    ms->mc = machine_find_class(name);
    ck_assert_ptr_nonnull(ms->mc);
    ms->type_name = g_strdup(name);
    current_machine_set(ms);
}

static void register_all(bool with_ram)
{
    set_machine("tern");
    if (with_ram) {
        ck_assert(register_savevm_live("fake-ram", 0, 1, &fake_ram_ops,
                                       &fake_ram, NULL));
    }
    ck_assert(vmstate_register("clock", 0, &vmstate_clock, &clock_dev,
                               NULL));
    ck_assert(vmstate_register("cpu", 0, &vmstate_cpu, &cpus[0], NULL));
    ck_assert(vmstate_register("cpu", 1, &vmstate_cpu, &cpus[1], NULL));
}

static void fill_state(void)
{
    for (int i = 0; i < CHUNKS; i++) {
        memset(fake_ram.mem[i], 0x40 + i, CHUNK_SIZE);
    }
    fake_ram.per_pass = 5;
    clock_dev.ticks = 0x123456789abcULL;
    clock_dev.freq = 1000000;
    for (int c = 0; c < 2; c++) {
        for (int i = 0; i < 4; i++) {
            cpus[c].regs[i] = (c + 1) * 0x1111111111ULL * (i + 1);
        }
        cpus[c].halted = c;
    }
    cpus[1].tsc_aux = 0xabcdef;
}

static void scramble_state(void)
{
    memset(fake_ram.mem, 0xee, sizeof(fake_ram.mem));
    memset(&clock_dev, 0xee, sizeof(clock_dev));
    clock_dev.fail_pre_save = false;
    memset(cpus, 0xee, sizeof(cpus));
    cpus[0].tsc_aux = 0;       /* its subsection is not sent */
}

/* A whole migration into memory: header, setup, passes, completion. */
static uint8_t *save_stream(size_t *len, GError **errp)
{
    QIOChannel *ioc = qio_channel_buffer_new(0);
    QEMUFile *f = qemu_file_new_output(ioc);
    uint8_t *data = NULL;
    uint64_t pending;
    bool ok;
    int ret = 0;

    ok = qemu_savevm_state_header(f, errp) &&
         qemu_savevm_state_setup(f, errp);
    for (int pass = 0; ok && ret == 0; pass++) {
        ret = qemu_savevm_state_iterate(f, errp);
        ok = ret >= 0;
        if (pass == 2) {
            /* The guest dirties a chunk that was already sent. */
            fake_ram.mem[0][0] ^= 0xff;
            fake_ram.dirty[0] = true;
        }
    }
    if (ok) {
        qemu_savevm_state_pending_exact(&pending);
        fake_ram.mem[1][1] ^= 0xff;       /* dirtied before the stop */
        fake_ram.dirty[1] = true;
        ok = qemu_savevm_state_complete_precopy(f, errp);
    }
    qemu_savevm_state_cleanup();
    ok = qemu_fclose(f, ok ? errp : NULL) && ok;
    if (ok) {
        const uint8_t *bytes = qio_channel_buffer_data(ioc, len);

        data = g_memdup2(bytes, *len);
    }
    qio_channel_unref(ioc);
    return data;
}

static bool load_stream(const uint8_t *data, size_t len, GError **errp)
{
    QIOChannel *ioc = qio_channel_buffer_new_data(data, len);
    QEMUFile *f = qemu_file_new_input(ioc);
    bool ok;

    qio_channel_unref(ioc);
    ok = qemu_loadvm_state(f, errp);
    qemu_fclose(f, NULL);
    return ok;
}

typedef struct Snapshot {
    uint8_t mem[CHUNKS][CHUNK_SIZE];
    Clock clock;
    Cpu cpus[2];
} Snapshot;

static void snapshot(Snapshot *s)
{
    memcpy(s->mem, fake_ram.mem, sizeof(s->mem));
    s->clock = clock_dev;
    memcpy(s->cpus, cpus, sizeof(cpus));
}

static void assert_snapshot(const Snapshot *s)
{
    ck_assert(!memcmp(s->mem, fake_ram.mem, sizeof(s->mem)));
    ck_assert_uint_eq(s->clock.ticks, clock_dev.ticks);
    ck_assert_uint_eq(s->clock.freq, clock_dev.freq);
    for (int c = 0; c < 2; c++) {
        ck_assert(!memcmp(s->cpus[c].regs, cpus[c].regs,
                          sizeof(cpus[c].regs)));
        ck_assert_uint_eq(s->cpus[c].halted, cpus[c].halted);
        ck_assert_uint_eq(s->cpus[c].tsc_aux, cpus[c].tsc_aux);
    }
}

START_TEST(test_identity)
{
    g_autofree uint8_t *data = NULL;
    GError *err = NULL;
    Snapshot before;
    size_t len;

    register_all(true);
    fill_state();
    data = save_stream(&len, &err);
    ck_assert_msg(data, "%s", err ? err->message : "");
    ck_assert_uint_eq(fake_ram.save_setup, 1);
    ck_assert_uint_eq(fake_ram.save_cleanup, 1);
    snapshot(&before);
    scramble_state();
    ck_assert_msg(load_stream(data, len, &err), "%s",
                  err ? err->message : "");
    assert_snapshot(&before);
    ck_assert_uint_eq(fake_ram.load_setup, 1);
    ck_assert_uint_eq(fake_ram.load_cleanup, 1);

    /* A second load of the same bytes works too. */
    scramble_state();
    ck_assert(load_stream(data, len, NULL));
    assert_snapshot(&before);
}
END_TEST

START_TEST(test_devices_only)
{
    QIOChannel *ioc = qio_channel_buffer_new(0);
    QEMUFile *f = qemu_file_new_output(ioc);
    const uint8_t *data;
    Snapshot before;
    size_t len;

    register_all(false);
    fill_state();
    ck_assert(qemu_savevm_state_save_devices_only(f, NULL));
    ck_assert(qemu_fclose(f, NULL));
    data = qio_channel_buffer_data(ioc, &len);
    snapshot(&before);
    scramble_state();
    memcpy(fake_ram.mem, before.mem, sizeof(before.mem));
    ck_assert(load_stream(data, len, NULL));
    assert_snapshot(&before);
    qio_channel_unref(ioc);
}
END_TEST

static uint32_t be32_at(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

/* The header and CONFIG bytes, as the format document gives them. */
START_TEST(test_header_bytes)
{
    QIOChannel *ioc = qio_channel_buffer_new(0);
    QEMUFile *f = qemu_file_new_output(ioc);
    static const uint8_t head[] = {
        'T', 'E', 'R', 'N', 'V', 'M', '\r', '\n', 0, 0, 0, 1, 0, 0, 0, 0,
    };
    static const uint8_t config[] = {
        0x01, 4, 't', 'e', 'r', 'n', 0x00, 0x00, 0x10, 0x00,
    };
    const uint8_t *data;
    size_t len;

    set_machine("pc");
    ck_assert(qemu_savevm_state_header(f, NULL));
    ck_assert(qemu_fclose(f, NULL));
    data = qio_channel_buffer_data(ioc, &len);
    ck_assert_uint_eq(len, 16 + 4 + sizeof(config) + 4);
    ck_assert(!memcmp(data, head, 16));
    ck_assert_uint_eq(be32_at(data + 16), crc32c(0, head, 16));
    ck_assert(!memcmp(data + 20, config, sizeof(config)));
    ck_assert_uint_eq(be32_at(data + 30), crc32c(0, config, sizeof(config)));
    qio_channel_unref(ioc);
}
END_TEST

/* The migration thread and incoming thread, with the main loop running. */
typedef struct ThreadJob {
    const uint8_t *in;
    size_t in_len;
    uint8_t *out;
    size_t out_len;
    bool ok;
    GError *err;
    gint done;
} ThreadJob;

static gpointer save_thread(gpointer opaque)
{
    ThreadJob *job = opaque;

    g_assert(!qemu_in_main_thread());
    job->out = save_stream(&job->out_len, &job->err);
    job->ok = job->out != NULL;
    g_atomic_int_set(&job->done, 1);
    g_main_context_wakeup(NULL);
    return NULL;
}

static gpointer load_thread(gpointer opaque)
{
    ThreadJob *job = opaque;

    job->ok = load_stream(job->in, job->in_len, &job->err);
    g_atomic_int_set(&job->done, 1);
    g_main_context_wakeup(NULL);
    return NULL;
}

static void run_in_thread(GThreadFunc fn, ThreadJob *job)
{
    GThread *t = g_thread_new("job", fn, job);

    while (!g_atomic_int_get(&job->done)) {
        main_loop_wait(false);
    }
    g_thread_join(t);
}

START_TEST(test_threads)
{
    ThreadJob save = { 0 }, load = { 0 };
    Snapshot before;

    ck_assert(qemu_init_main_loop(NULL));
    register_all(true);
    fill_state();
    run_in_thread(save_thread, &save);
    ck_assert_msg(save.ok, "%s", save.err ? save.err->message : "");
    snapshot(&before);
    scramble_state();
    load.in = save.out;
    load.in_len = save.out_len;
    run_in_thread(load_thread, &load);
    ck_assert_msg(load.ok, "%s", load.err ? load.err->message : "");
    assert_snapshot(&before);
    g_free(save.out);
}
END_TEST

static void assert_load_fails(const uint8_t *data, size_t len,
                              const char *expect)
{
    GError *err = NULL;

    ck_assert(!load_stream(data, len, &err));
    ck_assert_ptr_nonnull(err);
    if (expect) {
        ck_assert_str_eq(err->message, expect);
    }
    g_error_free(err);
}

/* Cut the stream at every byte offset: always an error, never a crash. */
START_TEST(test_truncated_everywhere)
{
    g_autofree uint8_t *data = NULL;
    size_t len;

    register_all(true);
    fill_state();
    data = save_stream(&len, NULL);
    ck_assert_ptr_nonnull(data);
    assert_load_fails(data, 0, "migration stream is empty");
    for (size_t cut = 1; cut < len; cut++) {
        g_autofree uint8_t *part = g_memdup2(data, cut);

        assert_load_fails(part, cut, NULL);
        ck_assert_uint_eq(fake_ram.load_setup, fake_ram.load_cleanup);
    }
}
END_TEST

/* Flip every byte of the stream (two patterns): always an error. */
START_TEST(test_bit_flips_everywhere)
{
    g_autofree uint8_t *data = NULL;
    size_t len;

    register_all(true);
    fill_state();
    data = save_stream(&len, NULL);
    ck_assert_ptr_nonnull(data);
    for (size_t i = 0; i < len; i++) {
        static const uint8_t masks[] = { 0x01, 0x80 };

        for (size_t m = 0; m < ARRAY_SIZE(masks); m++) {
            data[i] ^= masks[m];
            assert_load_fails(data, len, NULL);
            data[i] ^= masks[m];
        }
    }
    ck_assert(load_stream(data, len, NULL));
}
END_TEST

START_TEST(test_foreign)
{
    static const uint8_t qemu_stream[] = {
        'Q', 'E', 'V', 'M', 0, 0, 0, 3, 0x07,
    };
    static const char text[] = "hello, world\n";

    register_all(true);
    assert_load_fails((const uint8_t *)"", 0, "migration stream is empty");
    assert_load_fails((const uint8_t *)text, strlen(text),
                      "not a tern migration stream (it starts with bytes "
                      "0x68656c6c6f2c2077)");
    assert_load_fails(qemu_stream, sizeof(qemu_stream),
                      "not a tern migration stream (found QEMU's migration "
                      "format)");
    assert_load_fails((const uint8_t *)"TERN", 4,
                      "unexpected end of migration stream");
    assert_load_fails((const uint8_t *)"TERNVM\r\n", 8,
                      "unexpected end of migration stream");
    ck_assert_uint_eq(fake_ram.load_setup, 0);
}
END_TEST

/* Builds header + CONFIG with valid CRCs from the given values. */
static uint8_t *craft_header(uint32_t version, const char *machine,
                             uint32_t page_size, size_t *len)
{
    GByteArray *b = g_byte_array_new();
    uint32_t be;
    size_t rec;
    uint8_t n = strlen(machine);

    g_byte_array_append(b, (const uint8_t *)"TERNVM\r\n", 8);
    be = GUINT32_TO_BE(version);
    g_byte_array_append(b, (uint8_t *)&be, 4);
    be = 0;
    g_byte_array_append(b, (uint8_t *)&be, 4);
    be = GUINT32_TO_BE(crc32c(0, b->data, 16));
    g_byte_array_append(b, (uint8_t *)&be, 4);
    rec = b->len;
    g_byte_array_append(b, (const uint8_t *)"\x01", 1);
    g_byte_array_append(b, &n, 1);
    g_byte_array_append(b, (const uint8_t *)machine, n);
    be = GUINT32_TO_BE(page_size);
    g_byte_array_append(b, (uint8_t *)&be, 4);
    be = GUINT32_TO_BE(crc32c(0, b->data + rec, b->len - rec));
    g_byte_array_append(b, (uint8_t *)&be, 4);
    *len = b->len;
    return g_byte_array_free(b, false);
}

START_TEST(test_version_and_config)
{
    g_autofree uint8_t *v2 = NULL, *other = NULL, *page = NULL;
    g_autofree uint8_t *good = NULL;
    size_t len;

    register_all(false);
    v2 = craft_header(2, "tern", 4096, &len);
    assert_load_fails(v2, len, "unsupported migration stream version 2 "
                      "(this tern reads version 1)");
    other = craft_header(1, "none", 4096, &len);
    assert_load_fails(other, len, "migration stream is for machine type "
                      "'none', this machine is 'tern'");
    page = craft_header(1, "tern", 65536, &len);
    assert_load_fails(page, len, "migration stream has target page size "
                      "65536, this tern uses 4096");
    /* A good header and nothing else: truncated. */
    good = craft_header(1, "tern", 4096, &len);
    assert_load_fails(good, len, "unexpected end of migration stream");
}
END_TEST

/* A destination with a device the source lacks, and the reverse. */
START_TEST(test_device_sets_differ)
{
    static Clock extra;
    g_autofree uint8_t *data = NULL;
    size_t len;

    register_all(true);
    fill_state();
    data = save_stream(&len, NULL);
    ck_assert(vmstate_register("clock", 1, &vmstate_clock, &extra, NULL));
    assert_load_fails(data, len, "device 'clock' instance 1 missing from "
                      "the migration stream");
    vmstate_unregister(&vmstate_clock, &extra);
    ck_assert(load_stream(data, len, NULL));
    vmstate_unregister(&vmstate_cpu, &cpus[1]);
    assert_load_fails(data, len, "unknown migration section 'cpu' "
                      "instance 1");
}
END_TEST

START_TEST(test_trailing_data)
{
    g_autofree uint8_t *data = NULL;
    size_t len;

    register_all(true);
    fill_state();
    data = save_stream(&len, NULL);
    data = g_realloc(data, len + 1);
    data[len] = 0;
    assert_load_fails(data, len + 1, "unexpected data after the end of the "
                      "migration stream");
}
END_TEST

START_TEST(test_duplicate_register)
{
    GError *err = NULL;

    register_all(true);
    ck_assert(!vmstate_register("cpu", 1, &vmstate_cpu, &cpus[1], &err));
    ck_assert_str_eq(err->message, "migration section 'cpu' instance 1 is "
                     "already registered");
    g_clear_error(&err);
    ck_assert(!register_savevm_live("fake-ram", 0, 1, &fake_ram_ops,
                                    &fake_ram, &err));
    ck_assert_ptr_nonnull(err);
    g_error_free(err);
}
END_TEST

START_TEST(test_pre_save_fails)
{
    GError *err = NULL;
    size_t len;

    register_all(true);
    fill_state();
    clock_dev.fail_pre_save = true;
    ck_assert_ptr_null(save_stream(&len, &err));
    ck_assert_str_eq(err->message, "cannot save 'clock': clock is busy");
    ck_assert_uint_eq(fake_ram.save_cleanup, 1);
    g_error_free(err);
}
END_TEST

/* A write error (disk full) during a pass fails the migration cleanly. */
START_TEST(test_write_error)
{
    QIOChannel *ioc = qio_channel_buffer_new(0);
    QEMUFile *f = qemu_file_new_output(ioc);
    GError *err = NULL;

    register_all(true);
    fill_state();
    ck_assert(qemu_savevm_state_header(f, NULL));
    ck_assert(qemu_savevm_state_setup(f, NULL));
    error_setg(&err, "No space left on device");
    qemu_file_set_error(f, -ENOSPC, err);
    err = NULL;
    ck_assert_int_eq(qemu_savevm_state_iterate(f, &err), -1);
    ck_assert_str_eq(err->message, "No space left on device");
    g_clear_error(&err);
    ck_assert(!qemu_savevm_state_complete_precopy(f, &err));
    ck_assert_str_eq(err->message, "No space left on device");
    g_clear_error(&err);
    qemu_savevm_state_cleanup();
    ck_assert_uint_eq(fake_ram.save_cleanup, 1);
    ck_assert(!qemu_fclose(f, NULL));
    qio_channel_unref(ioc);
}
END_TEST

/* The VMDESC record: a JSON description of every device. */
START_TEST(test_vmdesc)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree uint8_t *data = NULL;
    JsonObject *dev, *field;
    JsonArray *subs;
    size_t len;

    register_all(true);
    fill_state();
    vmstate_describe(b, "cpu", 1, &vmstate_cpu, &cpus[1]);
    root = json_builder_get_root(b);
    dev = json_node_get_object(root);
    ck_assert_str_eq(json_object_get_string_member(dev, "name"), "cpu");
    ck_assert_int_eq(json_object_get_int_member(dev, "instance_id"), 1);
    ck_assert_int_eq(json_object_get_int_member(dev, "version"), 2);
    field = json_array_get_object_element(
        json_object_get_array_member(dev, "fields"), 0);
    ck_assert_str_eq(json_object_get_string_member(field, "name"), "regs");
    ck_assert_str_eq(json_object_get_string_member(field, "type"),
                     "uint64");
    ck_assert_int_eq(json_object_get_int_member(field, "size"), 8);
    ck_assert_int_eq(json_object_get_int_member(field, "count"), 4);
    subs = json_object_get_array_member(dev, "subsections");
    ck_assert_uint_eq(json_array_get_length(subs), 1);
    ck_assert_str_eq(json_object_get_string_member(
        json_array_get_object_element(subs, 0), "vmsd_name"),
        "cpu/tsc_aux");

    data = save_stream(&len, NULL);
    ck_assert_ptr_nonnull(memmem(data, len, "\"vmsd_name\":\"clock\"",
                                 strlen("\"vmsd_name\":\"clock\"")));
}
END_TEST

static Suite *savevm_suite(void)
{
    Suite *s = suite_create("savevm");
    TCase *tc;

    tc = tcase_create("round-trip");
    tcase_add_test(tc, test_identity);
    tcase_add_test(tc, test_devices_only);
    tcase_add_test(tc, test_header_bytes);
    tcase_add_test(tc, test_threads);
    tcase_add_test(tc, test_vmdesc);
    suite_add_tcase(s, tc);

    tc = tcase_create("corrupt");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_truncated_everywhere);
    tcase_add_test(tc, test_bit_flips_everywhere);
    tcase_add_test(tc, test_foreign);
    tcase_add_test(tc, test_trailing_data);
    suite_add_tcase(s, tc);

    tc = tcase_create("mismatch");
    tcase_add_test(tc, test_version_and_config);
    tcase_add_test(tc, test_device_sets_differ);
    suite_add_tcase(s, tc);

    tc = tcase_create("registry");
    tcase_add_test(tc, test_duplicate_register);
    suite_add_tcase(s, tc);

    tc = tcase_create("save-errors");
    tcase_add_test(tc, test_pre_save_fails);
    tcase_add_test(tc, test_write_error);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(savevm_suite)
