/*
 * test-cmdline.c: ternd's option table, option values, error messages and
 * the machine built from them (no main loop involved).
 */
#include "util/osdep.h"
#include "util/error.h"
#include "system/cmdline-int.h"
#include "tern-check.h"

/* A parse of a NULL-terminated argument list, with captured output. */
typedef struct Run {
    CmdlineConfig cfg;
    GError *err;
    bool ok;
    char *out;
    size_t out_len;
    FILE *out_file;
} Run;

static void run_parse(Run *r, const char *const *args)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();

    memset(r, 0, sizeof(*r));
    cmdline_config_init(&r->cfg);
    r->out_file = open_memstream(&r->out, &r->out_len);
    r->cfg.out = r->out_file;
    g_ptr_array_add(argv, (gpointer)"ternd");
    for (size_t i = 0; args[i]; i++) {
        g_ptr_array_add(argv, (gpointer)args[i]);
    }
    g_ptr_array_add(argv, NULL);
    r->ok = cmdline_parse(&r->cfg, argv->len - 1, (char **)argv->pdata,
                          &r->err);
    fflush(r->out_file);
}

static void run_free(Run *r)
{
    fclose(r->out_file);
    free(r->out);
    g_clear_error(&r->err);
    cmdline_config_destroy(&r->cfg);
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The command line must fail with exactly @msg. */
static void expect_error(const char *const *args, const char *msg)
{
    Run r;

    run_parse(&r, args);
    ck_assert_msg(!r.ok, "'%s' was accepted", args[0]);
    ck_assert_str_eq(r.err->message, msg);
    ck_assert_int_eq(r.out_len, 0);   /* nothing on stdout */
    run_free(&r);
}

/* The command line must parse, and the machine build fail with @msg. */
static void expect_machine_error(const char *const *args, const char *msg)
{
    Run r;
    MachineState *ms;

    run_parse(&r, args);
    ck_assert_msg(r.ok, "%s", r.ok ? "" : r.err->message);
    ms = cmdline_build_machine(&r.cfg, &r.err);
    ck_assert_ptr_null(ms);
    ck_assert_str_eq(r.err->message, msg);
    run_free(&r);
}

static MachineState *build_ok(Run *r, const char *const *args)
{
    MachineState *ms;

    run_parse(r, args);
    ck_assert_msg(r->ok, "%s", r->ok ? "" : r->err->message);
    ms = cmdline_build_machine(&r->cfg, &r->err);
    ck_assert_msg(ms, "%s", ms ? "" : r->err->message);
    return ms;
}

/* Option lookup */

START_TEST(test_unknown_option)
{
    expect_error(ARGS("-foo"), "-foo: invalid option");
    expect_error(ARGS("--foo"), "--foo: invalid option");
    expect_error(ARGS("-"), "-: invalid option");
    expect_error(ARGS("disk.img"), "disk.img: invalid option");
    expect_error(ARGS("-M"), "-M: requires an argument");
    expect_error(ARGS("-S", "-m"), "-m: requires an argument");
    expect_error(ARGS("--qmp"), "--qmp: requires an argument");
}
END_TEST

START_TEST(test_double_dash)
{
    Run r;

    run_parse(&r, ARGS("--m", "256", "--S", "-daemonize", "--nodefaults"));
    ck_assert(r.ok);
    ck_assert_uint_eq(r.cfg.ram_size, 256 * 1024 * 1024);
    ck_assert(r.cfg.start_paused);
    ck_assert(r.cfg.daemonize);
    ck_assert(r.cfg.nodefaults);
    run_free(&r);
}
END_TEST

START_TEST(test_version)
{
    Run r;

    run_parse(&r, ARGS("-version", "-bogus"));
    ck_assert(r.ok);
    ck_assert(r.cfg.exit_now);     /* stops before -bogus */
    ck_assert_str_eq(r.out, "QEMU emulator version 10.0.0 (tern "
                     TERN_VERSION ")\n"
                     "Copyright (c) 2025 The tern developers\n");
    run_free(&r);
}
END_TEST

START_TEST(test_help)
{
    static const char *const names[] = {
        "-h ", "-help", "-version", "-machine", "-M ", "-accel", "-m ",
        "-smp", "-name", "-uuid", "-S ", "-daemonize", "-pidfile",
        "-nodefaults", "-nographic", "-display", "-qmp ", "-qmp-pretty",
        "-monitor", "-chardev", "-mon ", "-object", "-trace", "-incoming",
    };
    Run r;

    run_parse(&r, ARGS("--help"));
    ck_assert(r.ok && r.cfg.exit_now);
    ck_assert(g_str_has_prefix(r.out, "QEMU emulator version 10.0.0"));
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_autofree char *line = g_strdup_printf("\n%s", names[i]);

        ck_assert_msg(strstr(r.out, line), "no '%s' in -help", names[i]);
    }
    run_free(&r);
}
END_TEST

/* -m */

START_TEST(test_mem)
{
    static const struct {
        const char *arg;
        uint64_t bytes;
    } cases[] = {
        { "256", 256 << 20 }, { "1G", 1 << 30 }, { "size=2G", 2ULL << 30 },
        { "512M", 512 << 20 }, { "1001k", 1032192 /* rounded up to 8 KiB */ },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        Run r;

        run_parse(&r, ARGS("-m", cases[i].arg));
        ck_assert_msg(r.ok, "-m %s", cases[i].arg);
        ck_assert_uint_eq(r.cfg.ram_size, cases[i].bytes);
        run_free(&r);
    }
}
END_TEST

START_TEST(test_mem_default)
{
    Run r;
    g_autoptr(MachineState) ms = build_ok(&r, ARGS("-S"));

    ck_assert_uint_eq(ms->ram_size, 128 * 1024 * 1024);
    ck_assert_str_eq(ms->mc->name, "tern");
    ck_assert_int_eq(ms->accel, ACCEL_TYPE_SOFT);
    ck_assert_uint_eq(ms->smp_cpus, 1);
    run_free(&r);
}
END_TEST

START_TEST(test_mem_errors)
{
    expect_error(ARGS("-m", "1X"), "-m 1X: Parameter 'size' expects a "
                 "non-negative number below 2^64\nOptional suffix k, M, G, "
                 "T, P or E means kilo-, mega-, giga-, tera-, peta-\n"
                 "and exabytes, respectively.");
    expect_error(ARGS("-m", "1G,bogus=1"),
                 "-m 1G,bogus=1: Invalid parameter 'bogus'");
    expect_error(ARGS("-m", "1G,slots=2"),
                 "-m 1G,slots=2: slots specified but no max-size");
    expect_error(ARGS("-m", "size="),
                 "-m size=: missing 'size' option value");
}
END_TEST

/* -smp, -name, -uuid */

START_TEST(test_smp)
{
    Run r;
    g_autoptr(MachineState) ms = build_ok(&r, ARGS("-smp", "4"));

    ck_assert_uint_eq(ms->smp_cpus, 4);
    run_free(&r);
    expect_error(ARGS("-smp", "x"), "-smp x: Parameter 'cpus' expects a "
                 "number");
    expect_error(ARGS("-smp", "0"), "-smp 0: Invalid CPU topology: CPU "
                 "topology parameters must be greater than zero");
    expect_machine_error(ARGS("-M", "none", "-smp", "2"), "Invalid SMP CPUs "
                         "2. The max CPUs supported by machine 'none' is 1");
}
END_TEST

START_TEST(test_name_uuid)
{
    Run r;

    run_parse(&r, ARGS("-name", "a,,b", "-uuid",
                       "12345678-1234-1234-1234-123456789abc"));
    ck_assert(r.ok);
    ck_assert_str_eq(r.cfg.name, "a,b");
    ck_assert(r.cfg.uuid_set);
    ck_assert_int_eq(r.cfg.uuid[15], 0xbc);
    run_free(&r);
    run_parse(&r, ARGS("-name", "guest=vm1,process=tern-vm1,"
                       "debug-threads=on"));
    ck_assert(r.ok);
    ck_assert_str_eq(r.cfg.name, "vm1");
    ck_assert_str_eq(r.cfg.process_name, "tern-vm1");
    run_free(&r);
    expect_error(ARGS("-uuid", "xyz"),
                 "-uuid xyz: failed to parse UUID string: wrong format");
    expect_error(ARGS("-name", "a,foo=b"),
                 "-name a,foo=b: Invalid parameter 'foo'");
}
END_TEST

/* -machine and -accel */

START_TEST(test_machine_types)
{
    static const struct {
        const char *arg;
        const char *mc;
    } cases[] = {
        { "none", "none" }, { "tern", "tern" }, { "pc", "tern" },
        { "q35", "tern" }, { "pc-i440fx-9.2", "tern" },
        { "pc-q35-10.0", "tern" }, { "type=none", "none" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        Run r;
        g_autoptr(MachineState) ms = build_ok(&r, ARGS("-M", cases[i].arg));

        ck_assert_str_eq(ms->mc->name, cases[i].mc);
        if (g_str_equal(cases[i].mc, "none")) {
            ck_assert_uint_eq(ms->ram_size, 0);
        }
        run_free(&r);
    }
}
END_TEST

START_TEST(test_machine_props)
{
    Run r;
    g_autoptr(MachineState) ms =
        build_ok(&r, ARGS("-machine", "pc,accel=qtest", "-machine",
                          "memory-backend=mem0"));

    ck_assert_str_eq(ms->type_name, "pc");
    ck_assert_int_eq(ms->accel, ACCEL_TYPE_QTEST);
    ck_assert_str_eq(ms->memory_backend, "mem0");
    run_free(&r);
    expect_machine_error(ARGS("-machine", "nosuch"),
                         "unsupported machine type: \"nosuch\"\n"
                         "Use -machine help to list supported machines");
    expect_machine_error(ARGS("-machine", "pc-"),
                         "unsupported machine type: \"pc-\"\n"
                         "Use -machine help to list supported machines");
    expect_machine_error(ARGS("-machine", "none,foo=bar"),
                         "Property 'none-machine.foo' not found");
    expect_error(ARGS("-machine", "none,foo"), "-machine none,foo: Expected "
                 "'=' after parameter 'foo'");
}
END_TEST

START_TEST(test_machine_help)
{
    Run r;

    run_parse(&r, ARGS("-machine", "help"));
    ck_assert(r.ok && r.cfg.exit_now);
    ck_assert_str_eq(r.out,
        "Supported machines are:\n"
        "pc                   tern virtual machine (alias of tern)\n"
        "q35                  tern virtual machine (alias of tern)\n"
        "tern                 tern virtual machine (default)\n"
        "none                 empty machine\n");
    run_free(&r);
}
END_TEST

START_TEST(test_accel)
{
    Run r;
    g_autoptr(MachineState) ms = build_ok(&r, ARGS("-accel", "tcg"));

    ck_assert_int_eq(ms->accel, ACCEL_TYPE_SOFT);
    run_free(&r);
    g_clear_pointer(&ms, machine_state_free);

    ms = build_ok(&r, ARGS("-accel", "accel=qtest"));
    ck_assert_int_eq(ms->accel, ACCEL_TYPE_QTEST);
    run_free(&r);

    expect_machine_error(ARGS("-accel", "bogus"),
                         "-accel bogus: invalid accelerator bogus");
    expect_machine_error(ARGS("-accel", "kvm"), "-accel kvm: failed to "
                         "initialize kvm: not supported by tern yet");
    expect_machine_error(ARGS("-accel", "tcg", "-machine", "accel=tcg"),
                         "The -accel and \"-machine accel=\" options are "
                         "incompatible");
    expect_error(ARGS("-accel", "tcg,foo=1"),
                 "-accel tcg,foo=1: Property 'tcg-accel.foo' not found");
}
END_TEST

START_TEST(test_accel_help)
{
    Run r;

    run_parse(&r, ARGS("-accel", "help"));
    ck_assert(r.ok && r.cfg.exit_now);
    ck_assert_str_eq(r.out, "Accelerators supported in QEMU binary:\n"
                     "soft\ntcg\n");
    run_free(&r);
}
END_TEST

/* -display, -object, monitors, -incoming, combinations */

START_TEST(test_display)
{
    Run r;

    run_parse(&r, ARGS("-display", "none", "-nographic"));
    ck_assert(r.ok && r.cfg.nographic);
    run_free(&r);
    expect_error(ARGS("-display", "nosuch"), "-display nosuch: Parameter "
                 "'type' does not accept value 'nosuch'");
}
END_TEST

START_TEST(test_object)
{
    Run r;

    expect_error(ARGS("-object", "bogus-type,id=x"), "-object bogus-type,"
                 "id=x: Parameter 'qom-type' does not accept value "
                 "'bogus-type'");
    expect_error(ARGS("-object", "{\"qom-type\": \"t\", \"id\": \"x\"}"),
                 "-object {\"qom-type\": \"t\", \"id\": \"x\"}: Parameter "
                 "'qom-type' does not accept value 't'");
    expect_error(ARGS("-object", "id=x"),
                 "-object id=x: Parameter 'qom-type' is missing");
    run_parse(&r, ARGS("-object", "help"));
    ck_assert(r.ok && r.cfg.exit_now);
    ck_assert_str_eq(r.out, "List of user creatable objects:\n");
    run_free(&r);
}
END_TEST

START_TEST(test_monitors)
{
    Run r;
    CmdlineMonitor *mon;

    run_parse(&r, ARGS("-qmp", "unix:/tmp/q,server=on,wait=off",
                       "-monitor", "none", "-qmp-pretty", "stdio",
                       "-chardev", "socket,id=c0,path=/tmp/x,server=on",
                       "-mon", "c0,mode=control"));
    ck_assert(r.ok);
    ck_assert(!r.cfg.default_monitor);
    ck_assert_uint_eq(r.cfg.monitors->len, 3);
    mon = r.cfg.monitors->pdata[0];
    ck_assert_str_eq(mon->dev, "unix:/tmp/q,server=on,wait=off");
    ck_assert(mon->qmp && !mon->pretty);
    mon = r.cfg.monitors->pdata[1];
    ck_assert(mon->qmp && mon->pretty);
    mon = r.cfg.monitors->pdata[2];
    ck_assert_str_eq(json_object_get_string_member(mon->opts, "chardev"),
                     "c0");
    ck_assert_str_eq(mon->loc, "-mon c0,mode=control");
    ck_assert_uint_eq(r.cfg.chardevs->len, 1);
    run_free(&r);
}
END_TEST

START_TEST(test_check)
{
    Run r;

    run_parse(&r, ARGS("-daemonize", "-nographic"));
    ck_assert(r.ok);
    ck_assert(!cmdline_check(&r.cfg, &r.err));
    ck_assert_str_eq(r.err->message,
                     "-nographic cannot be used with -daemonize");
    run_free(&r);
    run_parse(&r, ARGS("-incoming", "tcp:0:4444"));
    ck_assert(cmdline_check(&r.cfg, &r.err));
    ck_assert_str_eq(r.cfg.incoming, "tcp:0:4444");
    ck_assert_str_eq(r.cfg.incoming_loc, "-incoming tcp:0:4444");
    run_free(&r);
    run_parse(&r, ARGS("-incoming", "defer", "-S"));
    ck_assert(cmdline_check(&r.cfg, &r.err));
    ck_assert_str_eq(r.cfg.incoming, "defer");
    run_free(&r);
}
END_TEST

static Suite *cmdline_suite(void)
{
    Suite *s = suite_create("cmdline");
    TCase *tc;

    tc = tcase_create("lookup");
    tcase_add_test(tc, test_unknown_option);
    tcase_add_test(tc, test_double_dash);
    tcase_add_test(tc, test_version);
    tcase_add_test(tc, test_help);
    suite_add_tcase(s, tc);

    tc = tcase_create("memory-cpus-identity");
    tcase_add_test(tc, test_mem);
    tcase_add_test(tc, test_mem_default);
    tcase_add_test(tc, test_mem_errors);
    tcase_add_test(tc, test_smp);
    tcase_add_test(tc, test_name_uuid);
    suite_add_tcase(s, tc);

    tc = tcase_create("machine-accel");
    tcase_add_test(tc, test_machine_types);
    tcase_add_test(tc, test_machine_props);
    tcase_add_test(tc, test_machine_help);
    tcase_add_test(tc, test_accel);
    tcase_add_test(tc, test_accel_help);
    suite_add_tcase(s, tc);

    tc = tcase_create("devices-monitors");
    tcase_add_test(tc, test_display);
    tcase_add_test(tc, test_object);
    tcase_add_test(tc, test_monitors);
    tcase_add_test(tc, test_check);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(cmdline_suite)
