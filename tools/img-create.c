/*
 * img-create.c: tern-img create.
 *
 *   create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u]
 *          [-o options] filename [size]
 */
#include "util/osdep.h"

#include <getopt.h>

#include "img-int.h"
#include "util/error.h"
#include "util/keyval.h"

/* The order of "Formatting ..." and the defaults qemu-img shows. */
static const struct {
    const char *key;
    const char *qcow2_default;
} create_show[] = {
    { "cluster_size", "65536" },
    { "compat", NULL },
    { "extended_l2", "off" },
    { "preallocation", NULL },
    { "compression_type", "zlib" },
    { "size", NULL },
    { "backing_file", NULL },
    { "backing_fmt", NULL },
    { "lazy_refcounts", "off" },
    { "refcount_bits", "16" },
};

static bool create_opt_known(BlockDriver *drv, const char *key)
{
    const char *const *p;

    for (p = drv->create_opts; p && *p; p++) {
        if (!strcmp(*p, key)) {
            return true;
        }
    }
    return false;
}

static bool create_check_opts(BlockDriver *drv, JsonObject *opts)
{
    g_autoptr(GList) keys = json_object_get_members(opts);
    GList *l;

    for (l = keys; l; l = l->next) {
        if (!create_opt_known(drv, l->data)) {
            error_report("Invalid parameter '%s'", (char *)l->data);
            return false;
        }
    }
    return true;
}

static void create_print(const char *filename, const char *fmt,
                         JsonObject *opts)
{
    bool qcow2 = !strcmp(fmt, "qcow2");
    GString *line = g_string_new(NULL);
    size_t i;

    g_string_printf(line, "Formatting '%s', fmt=%s", filename, fmt);
    for (i = 0; i < ARRAY_SIZE(create_show); i++) {
        const char *v = json_object_get_string_member_with_default(
            opts, create_show[i].key, qcow2 ? create_show[i].qcow2_default
                                            : NULL);
        if (v) {
            g_string_append_printf(line, " %s=%s", create_show[i].key, v);
        }
    }
    printf("%s\n", line->str);
    g_string_free(line, true);
}

static void img_set_size(JsonObject *opts, int64_t size)
{
    g_autofree char *text = g_strdup_printf("%" PRId64, size);

    json_object_set_string_member(opts, "size", text);
}

/* Without a size, the new image is as large as its backing file. */
static bool create_size_from_backing(const char *filename, JsonObject *opts)
{
    const char *backing = json_object_get_string_member_with_default(
        opts, "backing_file", NULL);
    const char *bfmt = json_object_get_string_member_with_default(
        opts, "backing_fmt", NULL);
    g_autofree char *path = NULL;
    BlockBackend *blk;
    int64_t size;

    if (!backing) {
        error_report("Image creation needs a size parameter");
        return false;
    }
    path = img_resolve_backing(filename, backing);
    blk = img_open(path, bfmt, BDRV_O_NO_BACKING, false);
    if (!blk) {
        return false;
    }
    size = blk_getlength(blk);
    blk_unref(blk);
    if (size < 0) {
        error_report("Could not get size of '%s': %s", path,
                     strerror(-size));
        return false;
    }
    img_set_size(opts, size);
    return true;
}

static bool create_parse_o(const char *text, JsonObject *opts)
{
    GError *err = NULL;
    JsonObject *o = qemu_opts_parse_flat(text, NULL, true, &err);
    g_autoptr(GList) keys = NULL;
    GList *l;

    if (!o) {
        error_report("Invalid option list: %s", err->message);
        g_error_free(err);
        return false;
    }
    keys = json_object_get_members(o);
    for (l = keys; l; l = l->next) {
        json_object_set_member(opts, l->data,
                               json_object_dup_member(o, l->data));
    }
    json_object_unref(o);
    return true;
}

static bool create_parse(int argc, char **argv, const char **fmt,
                         bool *quiet, JsonObject *opts)
{
    int c;

    optind = 1;
    while ((c = getopt(argc, argv, ":F:b:f:ho:qu")) != -1) {
        switch (c) {
        case 'F':
            json_object_set_string_member(opts, "backing_fmt", optarg);
            break;
        case 'b':
            json_object_set_string_member(opts, "backing_file", optarg);
            break;
        case 'f':
            *fmt = optarg;
            break;
        case 'o':
            if (!create_parse_o(optarg, opts)) {
                return false;
            }
            break;
        case 'q':
            *quiet = true;
            break;
        case 'u':
            break;
        case ':':
            img_error_usage("argument expected for option -%c", optopt);
            return false;
        default:
            img_error_usage("unrecognized option '%s'", argv[optind - 1]);
            return false;
        }
    }
    if (optind >= argc || argc - optind > 2) {
        img_error_usage("Expecting image file name");
        return false;
    }
    return true;
}

int img_create(int argc, char **argv)
{
    g_autoptr(JsonObject) opts = json_object_new();
    const char *fmt = "raw";
    const char *filename;
    GError *err = NULL;
    BlockDriver *drv;
    bool quiet = false;
    int64_t size;

    if (!create_parse(argc, argv, &fmt, &quiet, opts)) {
        return 1;
    }
    filename = argv[optind];
    drv = bdrv_find_format(fmt);
    if (!drv || !drv->bdrv_create) {
        error_report("Unknown file format '%s'", fmt);
        return 1;
    }
    if (optind + 1 < argc) {
        if (!img_parse_size(argv[optind + 1], &size)) {
            return 1;
        }
        img_set_size(opts, size);
    }
    if (!create_check_opts(drv, opts)) {
        return 1;
    }
    if (!json_object_has_member(opts, "size") &&
        !create_size_from_backing(filename, opts)) {
        return 1;
    }
    if (!quiet) {
        create_print(filename, fmt, opts);
    }
    if (!drv->bdrv_create(filename, opts, &err)) {
        error_report("%s: %s", filename, err->message);
        g_error_free(err);
        return 1;
    }
    return 0;
}
