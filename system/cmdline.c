/*
 * cmdline.c: ternd's command line, QEMU's spelling.
 *
 * One table lists every option with its handler; a handler parses its
 * argument into the CmdlineConfig and fails with a GError that
 * cmdline_parse() prefixes with the option as typed.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/cutils.h"
#include "util/json.h"
#include "util/keyval.h"
#include "util/trace.h"
#include "system/user-creatable.h"
#include "cmdline-int.h"

#define QEMU_VERSION_STR "10.0.0"
#define TERN_COPYRIGHT "Copyright (c) 2025 The tern developers"
#define RAM_ALIGN 8192

typedef bool CmdlineHandler(CmdlineConfig *cfg, const char *loc,
                            const char *arg, GError **errp);

typedef struct CmdlineOption {
    const char *name;
    bool has_arg;
    CmdlineHandler *handler;
    const char *usage;      /* the -help line after the name */
} CmdlineOption;

/* Helpers on string-leaf option objects */

static const char *opts_get_str(JsonObject *opts, const char *key)
{
    JsonNode *node = json_object_get_member(opts, key);

    if (!node || !JSON_NODE_HOLDS_VALUE(node) ||
        json_node_get_value_type(node) != G_TYPE_STRING) {
        return NULL;
    }
    return json_node_get_string(node);
}

/* Fails with QemuOpts' `Invalid parameter 'KEY'` on a key not allowed. */
static bool opts_check_keys(JsonObject *opts, const char *const *allowed,
                            GError **errp)
{
    GList *members = json_object_get_members(opts);
    bool ok = true;

    for (GList *l = members; l && ok; l = l->next) {
        if (!g_strv_contains(allowed, l->data)) {
            error_setg(errp, "Invalid parameter '%s'", (const char *)l->data);
            ok = false;
        }
    }
    g_list_free(members);
    return ok;
}

/* An unsigned count such as -smp cpus=N. */
static bool parse_count(const char *key, const char *str, unsigned *out,
                        GError **errp)
{
    guint64 v;

    if (!g_ascii_string_to_unsigned(str, 10, 0, UINT_MAX, &v, NULL)) {
        error_setg(errp, "Parameter '%s' expects a number", key);
        return false;
    }
    *out = v;
    return true;
}

static void cmdline_item_free(gpointer p)
{
    CmdlineItem *item = p;

    g_free(item->loc);
    if (item->opts) {
        json_object_unref(item->opts);
    }
    g_free(item);
}

static void cmdline_monitor_free(gpointer p)
{
    CmdlineMonitor *mon = p;

    g_free(mon->loc);
    g_free(mon->dev);
    if (mon->opts) {
        json_object_unref(mon->opts);
    }
    g_free(mon);
}

static void cmdline_accel_free(gpointer p)
{
    CmdlineAccel *acc = p;

    g_free(acc->loc);
    g_free(acc->name);
    g_free(acc);
}

static void add_item(GPtrArray *list, const char *loc, JsonObject *opts)
{
    CmdlineItem *item = g_new0(CmdlineItem, 1);

    item->loc = g_strdup(loc);
    item->opts = opts;
    g_ptr_array_add(list, item);
}

static void add_accel(CmdlineConfig *cfg, const char *loc, const char *name)
{
    CmdlineAccel *acc = g_new0(CmdlineAccel, 1);

    acc->loc = g_strdup(loc);
    acc->name = g_strdup(name);
    g_ptr_array_add(cfg->accels, acc);
}

/* Informational options */

static void print_version(FILE *out)
{
    fprintf(out, "QEMU emulator version " QEMU_VERSION_STR " ("
            TERN_PACKAGE ")\n" TERN_COPYRIGHT "\n");
}

static bool opt_version(CmdlineConfig *cfg, const char *loc,
                        const char *arg, GError **errp)
{
    print_version(cfg->out);
    cfg->exit_now = true;
    return true;
}

static bool opt_help(CmdlineConfig *cfg, const char *loc, const char *arg,
                     GError **errp)
{
    print_version(cfg->out);
    cmdline_usage(cfg->out);
    cfg->exit_now = true;
    return true;
}

/* Memory and CPUs */

/* QEMU prints the suffix hint after a malformed size. */
static void append_size_hint(GError **errp)
{
    GError *err = errp ? *errp : NULL;
    char *msg;

    if (!err || !strstr(err->message, "expects")) {
        return;
    }
    msg = g_strdup_printf("%s\n%s", err->message, QEMU_STRTOSZ_HINT);
    g_free(err->message);
    err->message = msg;
}

static bool parse_mem_size(const char *name, const char *str, uint64_t *out,
                           GError **errp)
{
    uint64_t sz;

    /* A bare number is MiB (QEMU's legacy suffix-less format). */
    if (!qemu_strtosz(str, &sz, 'M', name, errp)) {
        append_size_hint(errp);
        return false;
    }
    if (sz > UINT64_MAX - (RAM_ALIGN - 1)) {
        error_setg(errp, "ram size too large");
        return false;
    }
    *out = (sz + RAM_ALIGN - 1) & ~(uint64_t)(RAM_ALIGN - 1);
    return true;
}

static bool opt_m(CmdlineConfig *cfg, const char *loc, const char *arg,
                  GError **errp)
{
    static const char *const keys[] = { "size", "slots", "maxmem", NULL };
    g_autoptr(JsonObject) opts = qemu_opts_parse_flat(arg, "size", false,
                                                      errp);
    const char *size, *slots, *maxmem;
    unsigned nslots = 0;

    if (!opts || !opts_check_keys(opts, keys, errp)) {
        return false;
    }
    if (json_object_get_size(opts) == 0) {
        error_setg(errp, "missing 'size' option value");
        return false;
    }
    size = opts_get_str(opts, "size");
    slots = opts_get_str(opts, "slots");
    maxmem = opts_get_str(opts, "maxmem");
    if (size && !*size) {
        error_setg(errp, "missing 'size' option value");
        return false;
    }
    if (size && !parse_mem_size("size", size, &cfg->ram_size, errp)) {
        return false;
    }
    cfg->ram_size_set = cfg->ram_size_set || size;
    cfg->maxram_size = cfg->ram_size;
    if (slots && !parse_count("slots", slots, &nslots, errp)) {
        return false;
    }
    if (nslots && !maxmem) {
        error_setg(errp, "slots specified but no max-size");
        return false;
    }
    if (maxmem &&
        !parse_mem_size("maxmem", maxmem, &cfg->maxram_size, errp)) {
        return false;
    }
    if (cfg->maxram_size < cfg->ram_size) {
        error_setg(errp, "invalid value of maxmem: maximum memory size "
                   "(0x%" PRIx64 ") must be at least the initial memory size "
                   "(0x%" PRIx64 ")", cfg->maxram_size, cfg->ram_size);
        return false;
    }
    cfg->ram_slots = nslots;
    return true;
}

static const char *const smp_keys[] = {
    "cpus", "maxcpus", "drawers", "books", "sockets", "dies", "clusters",
    "modules", "cores", "threads", NULL
};

static bool opt_smp(CmdlineConfig *cfg, const char *loc, const char *arg,
                    GError **errp)
{
    g_autoptr(JsonObject) opts = qemu_opts_parse_flat(arg, "cpus", false,
                                                      errp);
    unsigned val[G_N_ELEMENTS(smp_keys) - 1];
    unsigned product = 1;

    if (!opts || !opts_check_keys(opts, smp_keys, errp)) {
        return false;
    }
    for (size_t i = 0; smp_keys[i]; i++) {
        const char *s = opts_get_str(opts, smp_keys[i]);

        val[i] = 0;
        if (s && !parse_count(smp_keys[i], s, &val[i], errp)) {
            return false;
        }
        if (s && val[i] == 0) {
            error_setg(errp, "Invalid CPU topology: CPU topology parameters "
                       "must be greater than zero");
            return false;
        }
        if (i >= 2 && val[i]) {
            product *= val[i];
        }
    }
    cfg->smp_cpus = val[0] ? val[0] : (val[1] ? val[1] : product);
    cfg->smp_max_cpus = val[1] ? val[1] : MAX(cfg->smp_cpus, product);
    if (cfg->smp_max_cpus < cfg->smp_cpus) {
        error_setg(errp, "Invalid CPU topology: maxcpus must be equal to or "
                   "greater than smp: cpus (%u) > maxcpus (%u)",
                   cfg->smp_cpus, cfg->smp_max_cpus);
        return false;
    }
    return true;
}

/* Identity */

static bool opt_name(CmdlineConfig *cfg, const char *loc, const char *arg,
                     GError **errp)
{
    static const char *const keys[] = {
        "guest", "process", "debug-threads", NULL
    };
    g_autoptr(JsonObject) opts = qemu_opts_parse_flat(arg, "guest", false,
                                                      errp);
    const char *dbg;
    bool b;

    if (!opts || !opts_check_keys(opts, keys, errp)) {
        return false;
    }
    dbg = opts_get_str(opts, "debug-threads");
    if (dbg && !qapi_bool_parse("debug-threads", dbg, &b, errp)) {
        return false;
    }
    if (opts_get_str(opts, "guest")) {
        g_free(cfg->name);
        cfg->name = g_strdup(opts_get_str(opts, "guest"));
    }
    if (opts_get_str(opts, "process")) {
        g_free(cfg->process_name);
        cfg->process_name = g_strdup(opts_get_str(opts, "process"));
    }
    return true;
}

static bool opt_uuid(CmdlineConfig *cfg, const char *loc, const char *arg,
                     GError **errp)
{
    if (!qemu_uuid_parse(arg, cfg->uuid)) {
        error_setg(errp, "failed to parse UUID string: wrong format");
        return false;
    }
    cfg->uuid_set = true;
    return true;
}

/* Flags */

static bool opt_S(CmdlineConfig *cfg, const char *loc, const char *arg,
                  GError **errp)
{
    cfg->start_paused = true;
    return true;
}

static bool opt_daemonize(CmdlineConfig *cfg, const char *loc,
                          const char *arg, GError **errp)
{
    cfg->daemonize = true;
    return true;
}

static bool opt_nodefaults(CmdlineConfig *cfg, const char *loc,
                           const char *arg, GError **errp)
{
    cfg->nodefaults = true;
    return true;
}

static bool opt_nographic(CmdlineConfig *cfg, const char *loc,
                          const char *arg, GError **errp)
{
    cfg->nographic = true;
    return true;
}

static bool opt_pidfile(CmdlineConfig *cfg, const char *loc,
                        const char *arg, GError **errp)
{
    g_free(cfg->pidfile);
    cfg->pidfile = g_strdup(arg);
    return true;
}

static bool opt_display(CmdlineConfig *cfg, const char *loc,
                        const char *arg, GError **errp)
{
    bool help = false;
    g_autoptr(JsonObject) opts = keyval_parse(arg, "type", &help, errp);
    const char *type;
    GList *members;
    bool ok = true;

    if (!opts) {
        return false;
    }
    if (help) {
        fprintf(cfg->out, "Available display backend types:\nnone\n");
        cfg->exit_now = true;
        return true;
    }
    type = opts_get_str(opts, "type");
    if (!type) {
        error_setg(errp, "Parameter 'type' is missing");
        return false;
    }
    if (!g_str_equal(type, "none")) {
        error_setg(errp, "Parameter 'type' does not accept value '%s'", type);
        return false;
    }
    members = json_object_get_members(opts);
    for (GList *l = members; l && ok; l = l->next) {
        if (!g_str_equal(l->data, "type")) {
            error_setg(errp, "Parameter '%s' is unexpected",
                       (const char *)l->data);
            ok = false;
        }
    }
    g_list_free(members);
    return ok;
}

/* Machine and accelerator */

static bool opt_machine(CmdlineConfig *cfg, const char *loc,
                        const char *arg, GError **errp)
{
    bool help = false;
    g_autoptr(JsonObject) opts = keyval_parse(arg, "type", &help, errp);
    const char *type;
    GList *members;

    if (!opts) {
        return false;
    }
    type = opts_get_str(opts, "type");
    if (help || (type && (g_str_equal(type, "help") ||
                          g_str_equal(type, "?")))) {
        machine_help(cfg->out);
        cfg->exit_now = true;
        return true;
    }
    /* Several -machine options merge; a later key wins. */
    members = json_object_get_members(opts);
    for (GList *l = members; l; l = l->next) {
        json_object_set_member(cfg->machine_opts, l->data,
                               json_object_dup_member(opts, l->data));
    }
    g_list_free(members);
    if (json_object_has_member(opts, "accel")) {
        cfg->machine_accel_set = true;
    }
    g_free(cfg->machine_loc);
    cfg->machine_loc = g_strdup(loc);
    return true;
}

static bool opt_accel(CmdlineConfig *cfg, const char *loc, const char *arg,
                      GError **errp)
{
    static const char *const keys[] = { "accel", "thread", NULL };
    g_autoptr(JsonObject) opts = qemu_opts_parse_flat(arg, "accel", false,
                                                      errp);
    const char *name, *thread;
    GList *members;
    bool ok = true;

    if (!opts) {
        return false;
    }
    name = opts_get_str(opts, "accel");
    if (name && (g_str_equal(name, "help") || g_str_equal(name, "?"))) {
        accel_help(cfg->out);
        cfg->exit_now = true;
        return true;
    }
    if (!name) {
        error_setg(errp, "Parameter 'accel' is missing");
        return false;
    }
    members = json_object_get_members(opts);
    for (GList *l = members; l && ok; l = l->next) {
        if (!g_strv_contains(keys, l->data)) {
            error_setg(errp, "Property '%s-accel.%s' not found", name,
                       (const char *)l->data);
            ok = false;
        }
    }
    g_list_free(members);
    thread = opts_get_str(opts, "thread");
    if (ok && thread && !g_str_equal(thread, "single") &&
        !g_str_equal(thread, "multi")) {
        error_setg(errp, "Invalid 'thread' setting %s", thread);
        ok = false;
    }
    if (ok) {
        add_accel(cfg, loc, name);
        cfg->accel_opt_set = true;
    }
    return ok;
}

/* Monitors and chardevs */

static void add_monitor_compat(CmdlineConfig *cfg, const char *loc,
                               const char *dev, bool qmp, bool pretty)
{
    CmdlineMonitor *mon = g_new0(CmdlineMonitor, 1);

    mon->loc = g_strdup(loc);
    mon->dev = g_strdup(dev);
    mon->qmp = qmp;
    mon->pretty = pretty;
    g_ptr_array_add(cfg->monitors, mon);
    cfg->default_monitor = false;
}

static bool opt_qmp(CmdlineConfig *cfg, const char *loc, const char *arg,
                    GError **errp)
{
    add_monitor_compat(cfg, loc, arg, true, false);
    return true;
}

static bool opt_qmp_pretty(CmdlineConfig *cfg, const char *loc,
                           const char *arg, GError **errp)
{
    add_monitor_compat(cfg, loc, arg, true, true);
    return true;
}

static bool opt_monitor(CmdlineConfig *cfg, const char *loc,
                        const char *arg, GError **errp)
{
    cfg->default_monitor = false;
    if (!g_str_has_prefix(arg, "none")) {
        add_monitor_compat(cfg, loc, arg, false, false);
    }
    return true;
}

static bool opt_mon(CmdlineConfig *cfg, const char *loc, const char *arg,
                    GError **errp)
{
    JsonObject *opts = qemu_opts_parse_flat(arg, "chardev", false, errp);
    CmdlineMonitor *mon;

    if (!opts) {
        return false;
    }
    mon = g_new0(CmdlineMonitor, 1);
    mon->loc = g_strdup(loc);
    mon->opts = opts;
    g_ptr_array_add(cfg->monitors, mon);
    cfg->default_monitor = false;
    return true;
}

static bool opt_chardev(CmdlineConfig *cfg, const char *loc,
                        const char *arg, GError **errp)
{
    JsonObject *opts = qemu_opts_parse_flat(arg, "backend", false, errp);

    if (!opts) {
        return false;
    }
    add_item(cfg->chardevs, loc, opts);
    return true;
}

/* -object: QemuOpts-like keyval or a JSON object */

static JsonObject *object_opts_parse(const char *arg, bool *help,
                                     GError **errp)
{
    g_autoptr(JsonNode) node = NULL;

    if (arg[0] != '{') {
        return keyval_parse(arg, "qom-type", help, errp);
    }
    node = json_parse_string(arg, errp);
    if (!node) {
        return NULL;
    }
    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        error_setg(errp, "JSON argument of -object must be an object");
        return NULL;
    }
    return json_object_ref(json_node_get_object(node));
}

static bool opt_object(CmdlineConfig *cfg, const char *loc,
                       const char *arg, GError **errp)
{
    bool help = false;
    JsonObject *opts = object_opts_parse(arg, &help, errp);
    const char *type;

    if (!opts) {
        return false;
    }
    type = opts_get_str(opts, "qom-type");
    if (help && !type) {
        user_creatable_help(cfg->out);
        cfg->exit_now = true;
        json_object_unref(opts);
        return true;
    }
    if (!user_creatable_check(opts, errp)) {
        json_object_unref(opts);
        return false;
    }
    add_item(cfg->objects, loc, opts);
    return true;
}

/* Block devices: parsed here, opened by main() (block/blockdev.c) */

static bool opt_blockdev(CmdlineConfig *cfg, const char *loc,
                         const char *arg, GError **errp)
{
    g_autoptr(JsonNode) node = NULL;
    JsonObject *opts;
    bool help = false;

    if (arg[0] != '{') {
        opts = keyval_parse(arg, NULL, &help, errp);
        if (!opts) {
            return false;
        }
        add_item(cfg->blockdevs, loc, opts);
        return true;
    }
    node = json_parse_string(arg, errp);
    if (!node) {
        return false;
    }
    if (!JSON_NODE_HOLDS_OBJECT(node)) {
        error_setg(errp, "JSON argument of -blockdev must be an object");
        return false;
    }
    add_item(cfg->blockdevs, loc, json_object_ref(json_node_get_object(node)));
    return true;
}

static bool opt_drive(CmdlineConfig *cfg, const char *loc, const char *arg,
                      GError **errp)
{
    JsonObject *opts = qemu_opts_parse_flat(arg, NULL, false, errp);

    if (!opts) {
        return false;
    }
    add_item(cfg->drives, loc, opts);
    return true;
}

static bool opt_device(CmdlineConfig *cfg, const char *loc, const char *arg,
                       GError **errp)
{
    JsonObject *opts = qemu_opts_parse_flat(arg, "driver", false, errp);

    if (!opts) {
        return false;
    }
    add_item(cfg->devices, loc, opts);
    return true;
}

/* Tracing and migration */

static bool opt_trace(CmdlineConfig *cfg, const char *loc, const char *arg,
                      GError **errp)
{
    if (trace_opt_is_help(arg)) {
        trace_list_events(cfg->out);
        cfg->exit_now = true;
        return true;
    }
    return trace_opt_parse(arg, errp);
}

static bool opt_incoming(CmdlineConfig *cfg, const char *loc,
                         const char *arg, GError **errp)
{
    if (!*arg) {
        error_setg(errp, "Parameter 'uri' is missing");
        return false;
    }
    g_free(cfg->incoming);
    g_free(cfg->incoming_loc);
    cfg->incoming = g_strdup(arg);
    cfg->incoming_loc = g_strdup(loc);
    return true;
}

static const CmdlineOption cmdline_options[] = {
    { "h", false, opt_help, "display this help and exit" },
    { "help", false, opt_help, "display this help and exit" },
    { "version", false, opt_version, "display version information and exit" },
    { "machine", true, opt_machine, "[type=]name[,accel=soft|qtest]"
      "[,memory-backend=id]\n                select the machine "
      "('-machine help' lists them)" },
    { "M", true, opt_machine, "as -machine" },
    { "accel", true, opt_accel, "[accel=]soft|tcg|qtest\n"
      "                select the accelerator ('-accel help' lists them)" },
    { "m", true, opt_m, "[size=]megs[,slots=n,maxmem=size]\n"
      "                guest RAM size (default 128M; bare number: MiB)" },
    { "smp", true, opt_smp, "[cpus=]n[,maxcpus=n][,sockets=n][,cores=n]"
      "[,threads=n]\n                number of virtual CPUs" },
    { "name", true, opt_name, "[guest=]name[,process=name]"
      "[,debug-threads=on|off]\n                name the guest" },
    { "uuid", true, opt_uuid, "%08x-%04x-%04x-%04x-%012x\n"
      "                set the VM UUID" },
    { "S", false, opt_S, "do not start the guest at start-up ('cont' does)" },
    { "daemonize", false, opt_daemonize,
      "detach from the terminal once start-up succeeded" },
    { "pidfile", true, opt_pidfile, "file\n"
      "                write and lock a PID file" },
    { "nodefaults", false, opt_nodefaults, "create no default devices" },
    { "nographic", false, opt_nographic,
      "no display; default monitor on stdio" },
    { "display", true, opt_display, "none\n                no display" },
    { "qmp", true, opt_qmp, "dev\n                QMP monitor on dev "
      "(e.g. unix:PATH,server=on,wait=off)" },
    { "qmp-pretty", true, opt_qmp_pretty, "dev\n"
      "                as -qmp with pretty-printed JSON" },
    { "monitor", true, opt_monitor, "dev|none\n"
      "                human monitor (HMP) on dev" },
    { "chardev", true, opt_chardev, "socket,id=id[,path=path|,host=h,port=p]"
      "[,server=on|off][,wait=on|off]\n                character device" },
    { "mon", true, opt_mon, "[chardev=]id[,mode=readline|control]"
      "[,pretty=on|off]\n                monitor on a chardev" },
    { "object", true, opt_object, "type,id=id[,prop=value...] | {JSON}\n"
      "                create an object ('-object help' lists the types)" },
    { "blockdev", true, opt_blockdev, "[driver=]driver[,node-name=N]"
      "[,prop=value][,...] | {JSON}\n"
      "                configure a block backend node" },
    { "drive", true, opt_drive, "file=file[,format=f][,if=none|virtio]"
      "[,id=id][,node-name=N]\n                [,cache=none|writeback|"
      "writethrough|directsync|unsafe][,aio=threads|native|io_uring]"
      "[,readonly=on|off]\n                use 'file' as a drive image" },
    { "device", true, opt_device, "virtio-blk-pci|virtio-blk|scsi-hd|"
      "ide-hd,drive=id[,id=id]\n                add a guest disk device" },
    { "trace", true, opt_trace, "[enable=]pattern[,events=file][,file=file]\n"
      "                enable trace events ('-trace help' lists them)" },
    { "incoming", true, opt_incoming, "uri|defer\n"
      "                wait for an incoming migration" },
};

static const CmdlineOption *cmdline_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(cmdline_options); i++) {
        if (g_str_equal(cmdline_options[i].name, name)) {
            return &cmdline_options[i];
        }
    }
    return NULL;
}

void cmdline_usage(FILE *out)
{
    fprintf(out, "usage: %s [options]\n\nOptions (-opt and --opt are the "
            "same):\n", error_get_progname());
    for (size_t i = 0; i < ARRAY_SIZE(cmdline_options); i++) {
        const CmdlineOption *o = &cmdline_options[i];
        g_autofree char *head = g_strdup_printf("-%s", o->name);

        if (o->has_arg && strchr(o->usage, '\n')) {
            fprintf(out, "%s %s\n", head, o->usage);
        } else {
            fprintf(out, "%-15s %s\n", head, o->usage);
        }
    }
    fprintf(out, "\nDuring emulation, QMP and HMP drive the VM; see "
            "docs/user/command-line.md.\n");
}

void cmdline_config_init(CmdlineConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->out = stdout;
    cfg->machine_opts = json_object_new();
    cfg->accels = g_ptr_array_new_with_free_func(cmdline_accel_free);
    cfg->ram_size = 128 * 1024 * 1024;
    cfg->maxram_size = cfg->ram_size;
    cfg->default_monitor = true;
    cfg->chardevs = g_ptr_array_new_with_free_func(cmdline_item_free);
    cfg->objects = g_ptr_array_new_with_free_func(cmdline_item_free);
    cfg->monitors = g_ptr_array_new_with_free_func(cmdline_monitor_free);
    cfg->blockdevs = g_ptr_array_new_with_free_func(cmdline_item_free);
    cfg->drives = g_ptr_array_new_with_free_func(cmdline_item_free);
    cfg->devices = g_ptr_array_new_with_free_func(cmdline_item_free);
}

void cmdline_config_destroy(CmdlineConfig *cfg)
{
    g_clear_pointer(&cfg->machine_opts, json_object_unref);
    g_clear_pointer(&cfg->accels, g_ptr_array_unref);
    g_clear_pointer(&cfg->chardevs, g_ptr_array_unref);
    g_clear_pointer(&cfg->objects, g_ptr_array_unref);
    g_clear_pointer(&cfg->monitors, g_ptr_array_unref);
    g_clear_pointer(&cfg->blockdevs, g_ptr_array_unref);
    g_clear_pointer(&cfg->drives, g_ptr_array_unref);
    g_clear_pointer(&cfg->devices, g_ptr_array_unref);
    g_clear_pointer(&cfg->machine_loc, g_free);
    g_clear_pointer(&cfg->name, g_free);
    g_clear_pointer(&cfg->process_name, g_free);
    g_clear_pointer(&cfg->pidfile, g_free);
    g_clear_pointer(&cfg->incoming, g_free);
    g_clear_pointer(&cfg->incoming_loc, g_free);
}

/* Runs one option; *i is advanced past its argument. */
static bool cmdline_parse_one(CmdlineConfig *cfg, int argc, char **argv,
                              int *i, GError **errp)
{
    const char *typed = argv[*i];
    const char *name = typed + 1;
    const CmdlineOption *opt;
    g_autofree char *loc = NULL;
    const char *arg = NULL;
    bool ok;

    if (typed[0] != '-' || !typed[1]) {
        error_setg(errp, "%s: invalid option", typed);
        return false;
    }
    if (name[0] == '-') {
        name++;
    }
    opt = cmdline_find(name);
    if (!opt) {
        error_setg(errp, "%s: invalid option", typed);
        return false;
    }
    if (opt->has_arg) {
        if (*i + 1 >= argc) {
            error_setg(errp, "%s: requires an argument", typed);
            return false;
        }
        arg = argv[++*i];
        loc = g_strdup_printf("%s %s", typed, arg);
    } else {
        loc = g_strdup(typed);
    }
    /* Warnings printed while the option is parsed carry its location. */
    error_set_location(loc);
    ok = opt->handler(cfg, loc, arg, errp);
    error_set_location(NULL);
    if (!ok) {
        error_prepend(errp, "%s: ", loc);
    }
    return ok;
}

bool cmdline_parse(CmdlineConfig *cfg, int argc, char **argv, GError **errp)
{
    for (int i = 1; i < argc && !cfg->exit_now; i++) {
        if (!cmdline_parse_one(cfg, argc, argv, &i, errp)) {
            return false;
        }
    }
    return true;
}

bool cmdline_check(CmdlineConfig *cfg, GError **errp)
{
    if (cfg->daemonize && cfg->nographic) {
        error_setg(errp, "-nographic cannot be used with -daemonize");
        return false;
    }
    return true;
}
