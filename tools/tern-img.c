/*
 * tern-img: create, inspect, check, convert and modify disk images, with
 * qemu-img's command syntax, output and exit codes.
 *
 * main() dispatches on the command word to tools/img-*.c; this file holds
 * what they share.  See docs/user/tern-img.md.
 */
#include "util/osdep.h"

#include <math.h>
#include <sys/stat.h>

#include "img-int.h"
#include "util/cutils.h"
#include "util/error.h"
#include "util/main-loop.h"

typedef struct ImgCmd {
    const char *name;
    ImgCmdFunc *func;
    const char *synopsis;
} ImgCmd;

static const ImgCmd img_cmds[] = {
    { "check", img_check,
      "check [-q] [-f fmt] [--output=ofmt] [-r [leaks | all]] [-U] "
      "filename" },
    { "compare", img_compare,
      "compare [-f fmt] [-F fmt] [-p] [-q] [-s] [-U] filename1 filename2" },
    { "convert", img_convert,
      "convert [-n] [-p] [-q] [-W] [-f fmt] [-O output_fmt] [-o options] "
      "[-S sparse_size] [-m num_coroutines] [-B backing_file [-F "
      "backing_fmt]] filename output_filename" },
    { "create", img_create,
      "create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u] "
      "[-o options] filename [size]" },
    { "info", img_info,
      "info [-f fmt] [--output=ofmt] [--backing-chain] [-U] filename" },
    { "map", img_map,
      "map [-f fmt] [--output=ofmt] [--start-offset=offset] "
      "[--max-length=len] [-U] filename" },
    { "rebase", img_rebase,
      "rebase [-U] [-q] [-f fmt] [-t cache] [-T src_cache] [-p] [-u] "
      "-b backing_file [-F backing_fmt] filename" },
    { "resize", img_resize,
      "resize [-f fmt] [--preallocation=prealloc] [-q] [--shrink] "
      "filename [+ | -]size" },
};

static bool img_progress_enabled;

static void img_help(void)
{
    size_t i;

    printf("tern-img version %s\n"
           "usage: tern-img [standard options] command [command options]\n"
           "tern disk image utility\n\n"
           "    '-h', '--help'       display this help and exit\n"
           "    '-V', '--version'    output version information and exit\n\n"
           "Command syntax:\n", TERN_VERSION);
    for (i = 0; i < ARRAY_SIZE(img_cmds); i++) {
        printf("  %s\n", img_cmds[i].synopsis);
    }
    printf("\nSupported formats: file raw qcow2\n");
}

void img_error_usage(const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_report("%s", msg);
    error_report("Try 'tern-img --help' for more information");
}

bool img_parse_output(const char *text, bool *json)
{
    if (!strcmp(text, "json")) {
        *json = true;
    } else if (!strcmp(text, "human")) {
        *json = false;
    } else {
        error_report("--output must be used with human or json as argument.");
        return false;
    }
    return true;
}

/* QEMU's bdrv_parse_cache_mode(); writethrough behaves as writeback. */
bool img_parse_cache(const char *mode, int *flags)
{
    static const struct {
        const char *name;
        int flags;
    } modes[] = {
        { "none", BDRV_O_NOCACHE },
        { "off", BDRV_O_NOCACHE },
        { "directsync", BDRV_O_NOCACHE },
        { "writeback", 0 },
        { "writethrough", 0 },
        { "unsafe", BDRV_O_NO_FLUSH },
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(modes); i++) {
        if (!strcmp(mode, modes[i].name)) {
            *flags |= modes[i].flags;
            return true;
        }
    }
    return false;
}

BlockBackend *img_open(const char *filename, const char *fmt, int flags,
                       bool quiet)
{
    GError *err = NULL;
    BlockBackend *blk = blk_new_open(filename, fmt, flags, NULL, &err);

    if (!blk) {
        if (!quiet) {
            error_report("Could not open '%s': %s", filename, err->message);
        }
        g_error_free(err);
    }
    return blk;
}

char *img_size_to_str(uint64_t value)
{
    static const char *const suffixes[] = {
        "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
    };
    int exp = 0;
    int idx;

    /* The unit is the largest power of 1024 not above 0.9765625 * value,
     * so that 1000..1023 already print in the next unit, as qemu-img. */
    frexp(value / (1000.0 / 1024.0), &exp);
    idx = exp > 0 ? (exp - 1) / 10 : 0;
    idx = MIN(idx, (int)ARRAY_SIZE(suffixes) - 1);
    return g_strdup_printf("%0.3g %sB",
                           (double)value / (double)(1ULL << (idx * 10)),
                           suffixes[idx]);
}

void img_progress_init(bool enabled)
{
    img_progress_enabled = enabled;
    img_progress_print(0);
}

void img_progress_print(double percent)
{
    if (img_progress_enabled) {
        printf("    (%3.2f/100%%)\r", percent);
        fflush(stdout);
    }
}

void img_progress_end(void)
{
    if (img_progress_enabled) {
        img_progress_print(100);
        printf("\n");
        img_progress_enabled = false;
    }
}

bool img_parse_size(const char *text, int64_t *value)
{
    uint64_t v;
    int ret = qemu_strtosz_end(text, NULL, 'B', &v);

    if (ret == -ERANGE || (ret == 0 && v > BDRV_MAX_LENGTH)) {
        error_report("Image size must be less than 8 EiB!");
        return false;
    }
    if (ret < 0) {
        error_report("Invalid image size specified. You may use k, M, G, "
                     "T, P or E suffixes for");
        error_report("kilobytes, megabytes, gigabytes, terabytes, "
                     "petabytes and exabytes.");
        return false;
    }
    *value = v;
    return true;
}

bool img_is_zero(const void *buf, size_t len)
{
    const uint8_t *p = buf;

    /* the first byte is zero and every byte equals the one before it */
    return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

int64_t img_actual_size(const char *filename)
{
    struct stat st;

    if (stat(filename, &st) < 0) {
        return -1;
    }
    return (int64_t)st.st_blocks * 512;
}

char *img_resolve_backing(const char *image, const char *backing)
{
    g_autofree char *dir = NULL;

    if (g_path_is_absolute(backing) || !strchr(image, '/')) {
        return g_strdup(backing);
    }
    dir = g_path_get_dirname(image);
    return g_build_filename(dir, backing, NULL);
}

int main(int argc, char **argv)
{
    GError *err = NULL;
    size_t i;

    error_set_progname(argv[0]);
    if (argc < 2) {
        error_report("Not enough arguments");
        error_report("Try 'tern-img --help' for more information");
        return 1;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        img_help();
        return 0;
    }
    if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
        printf("tern-img version %s\n", TERN_VERSION);
        return 0;
    }
    if (!qemu_init_main_loop(&err)) {
        error_report_err(err);
        return 1;
    }
    for (i = 0; i < ARRAY_SIZE(img_cmds); i++) {
        if (!strcmp(argv[1], img_cmds[i].name)) {
            int ret = img_cmds[i].func(argc - 1, argv + 1);

            bdrv_close_all();
            return ret;
        }
    }
    error_report("Command not found: %s", argv[1]);
    return 1;
}
