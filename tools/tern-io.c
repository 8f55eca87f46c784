/*
 * tern-io: run qemu-io commands against an image.
 *
 *   tern-io [-f FMT] [--image-opts] [-r] [-n] [-U] [-c CMD]... FILE
 *
 * Commands come from each -c in order, or else one per line from stdin.
 * The exit status is 1 when the image cannot be opened or any command
 * failed, 0 otherwise.  See docs/user/tern-io.md.
 */
#include "util/osdep.h"

#include <getopt.h>

#include "block/block-backend.h"
#include "block/qemu-io.h"
#include "qapi/qapi-visit-block-core.h"
#include "util/error.h"
#include "util/keyval.h"
#include "util/main-loop.h"

typedef struct IoOptions {
    const char *fmt;
    bool image_opts;
    int flags;
    GPtrArray *cmds;        /* (element-type utf8), borrowed from argv */
} IoOptions;

static void io_usage(void)
{
    printf("Usage: tern-io [OPTIONS]... [-c STRING]... [file]\n"
           "tern-io -- a tool for exercising tern's block layer\n\n"
           "  -c, --cmd STRING     execute command with its arguments\n"
           "                       from the given string\n"
           "  -f, --format FMT     specifies the block driver to use\n"
           "  -r, --read-only      export read-only\n"
           "  -n, --nocache        disable host cache, short for -t none\n"
           "  -U, --force-share    force shared permissions\n"
           "      --image-opts     treat file as option string\n"
           "  -h, --help           display this help and exit\n"
           "  -V, --version        output version information and exit\n\n"
           "See 'tern-io -c help' for information on available commands.\n");
}

static bool io_parse_args(int argc, char **argv, IoOptions *o)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "cmd", required_argument, NULL, 'c' },
        { "format", required_argument, NULL, 'f' },
        { "read-only", no_argument, NULL, 'r' },
        { "nocache", no_argument, NULL, 'n' },
        { "force-share", no_argument, NULL, 'U' },
        { "image-opts", no_argument, NULL, 'i' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    o->flags = BDRV_O_RDWR | BDRV_O_UNMAP;     /* as qemu-io: discard unmaps */
    while ((c = getopt_long(argc, argv, "+c:f:rnUhV", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'c':
            g_ptr_array_add(o->cmds, optarg);
            break;
        case 'f':
            o->fmt = optarg;
            break;
        case 'r':
            o->flags &= ~BDRV_O_RDWR;
            break;
        case 'n':
            o->flags |= BDRV_O_NOCACHE;
            break;
        case 'U':
            o->flags |= BDRV_O_FORCE_SHARE;
            break;
        case 'i':
            o->image_opts = true;
            break;
        case 'h':
            io_usage();
            exit(0);
        case 'V':
            printf("tern-io version %s\n", TERN_VERSION);
            exit(0);
        default:
            error_report("Try 'tern-io --help' for more information");
            return false;
        }
    }
    if (optind != argc - 1) {
        error_report("expecting exactly one image name");
        error_report("Try 'tern-io --help' for more information");
        return false;
    }
    if (o->image_opts && o->fmt) {
        error_report("--image-opts and -f are mutually exclusive");
        return false;
    }
    return true;
}

/* --image-opts: FILE is a keyval string for a BlockdevOptions. */
static BlockBackend *io_open_image_opts(const char *text, int flags,
                                        GError **errp)
{
    g_autoptr(JsonNode) node = NULL;
    BlockdevOptions *opts;
    BlockDriverState *bs;
    BlockBackend *blk;
    JsonObject *obj = keyval_parse(text, NULL, NULL, errp);
    uint64_t perm = BLK_PERM_CONSISTENT_READ;

    if (!obj) {
        return NULL;
    }
    node = json_node_init_object(json_node_alloc(), obj);
    json_object_unref(obj);
    opts = qapi_BlockdevOptions_from_json(node, QAPI_INPUT_KEYVAL, errp);
    if (!opts) {
        return NULL;
    }
    bs = bdrv_open_blockdev(opts, flags, errp);
    qapi_free_BlockdevOptions(opts);
    if (!bs) {
        return NULL;
    }
    if (flags & BDRV_O_RDWR) {
        perm |= BLK_PERM_WRITE | BLK_PERM_RESIZE;
    }
    blk = blk_new(perm, BLK_PERM_ALL);
    if (!blk_insert_bs(blk, bs, errp)) {
        blk_unref(blk);
        blk = NULL;
    }
    bdrv_unref(bs);
    return blk;
}

static BlockBackend *io_open(const char *file, IoOptions *o, GError **errp)
{
    if (o->image_opts) {
        return io_open_image_opts(file, o->flags, errp);
    }
    return blk_new_open(file, o->fmt, o->flags, NULL, errp);
}

/* Commands from stdin, one per line, until EOF or "quit". */
static bool io_command_loop(BlockBackend *blk)
{
    char line[4096];
    bool ok = true;

    while (fgets(line, sizeof(line), stdin)) {
        g_strchomp(line);
        if (!strcmp(line, "quit") || !strcmp(line, "q")) {
            break;
        }
        if (qemuio_command(blk, line) != 0) {
            ok = false;
        }
    }
    return ok;
}

int main(int argc, char **argv)
{
    IoOptions o = { .cmds = g_ptr_array_new() };
    BlockBackend *blk;
    GError *err = NULL;
    bool ok = true;
    guint i;

    error_set_progname(argv[0]);
    if (!io_parse_args(argc, argv, &o) || !qemu_init_main_loop(&err)) {
        if (err) {
            error_report_err(err);
        }
        return 1;
    }
    blk = io_open(argv[optind], &o, &err);
    if (!blk) {
        error_report("can't open device %s: %s", argv[optind],
                     err->message);
        g_error_free(err);
        return 1;
    }
    if (o.cmds->len == 0) {
        ok = io_command_loop(blk);
    }
    for (i = 0; i < o.cmds->len; i++) {
        if (qemuio_command(blk, g_ptr_array_index(o.cmds, i)) != 0) {
            ok = false;
        }
    }
    blk_drain(blk);
    fflush(stdout);
    blk_unref(blk);
    bdrv_close_all();
    g_ptr_array_free(o.cmds, true);
    return ok ? 0 : 1;
}
