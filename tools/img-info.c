/*
 * img-info.c: tern-img info.
 *
 *   info [-f fmt] [--output=ofmt] [--backing-chain] [-U] filename
 *
 * The JSON keys and their order are qemu-img's (an ImageInfo written in
 * QEMU's QDict order); the human text follows qemu-img's too.
 */
#include "util/osdep.h"

#include <getopt.h>

#include "block/qemu-io.h"
#include "img-int.h"
#include "qapi/qapi-visit-block-core.h"
#include "util/error.h"
#include "util/json.h"

/* Collect the ImageInfo members of @filename into a JSON object. */
static JsonObject *info_collect(const char *filename, BlockBackend *blk)
{
    BlockDriverState *bs = blk_bs(blk);
    JsonObject *o = json_object_new();
    BlockDriverInfo bdi = { 0 };
    int64_t actual = img_actual_size(filename);

    json_object_set_string_member(o, "filename", filename);
    json_object_set_string_member(o, "format", bdrv_get_format_name(bs));
    json_object_set_int_member(o, "virtual-size", blk_getlength(blk));
    if (actual >= 0) {
        json_object_set_int_member(o, "actual-size", actual);
    }
    if (bs->drv->bdrv_get_info && bs->drv->bdrv_get_info(bs, &bdi)) {
        if (bdi.cluster_size > 0) {
            json_object_set_int_member(o, "cluster-size", bdi.cluster_size);
        }
        json_object_set_boolean_member(o, "dirty-flag", bdi.is_dirty);
    }
    if (bs->backing_file[0]) {
        g_autofree char *full = img_resolve_backing(filename,
                                                    bs->backing_file);

        json_object_set_string_member(o, "backing-filename",
                                      bs->backing_file);
        json_object_set_string_member(o, "full-backing-filename", full);
        if (bs->backing_format[0]) {
            json_object_set_string_member(o, "backing-filename-format",
                                          bs->backing_format);
        }
    }
    if (bs->drv->bdrv_get_specific_info) {
        GError *err = NULL;
        ImageInfoSpecific *spec = bs->drv->bdrv_get_specific_info(bs, &err);

        if (spec) {
            json_object_set_member(o, "format-specific",
                                   qapi_ImageInfoSpecific_to_json(spec));
            qapi_free_ImageInfoSpecific(spec);
        }
        g_clear_error(&err);
    }
    return o;
}

static const char *info_str(JsonObject *o, const char *key)
{
    return json_object_get_string_member_with_default(o, key, NULL);
}

static void info_print_human(JsonObject *o, ImageInfoSpecific *spec)
{
    int64_t vsize = json_object_get_int_member(o, "virtual-size");
    g_autofree char *vstr = img_size_to_str(vsize);
    const char *backing = info_str(o, "backing-filename");

    printf("image: %s\n", info_str(o, "filename"));
    printf("file format: %s\n", info_str(o, "format"));
    printf("virtual size: %s (%" PRId64 " bytes)\n", vstr, vsize);
    if (json_object_has_member(o, "actual-size")) {
        g_autofree char *a = img_size_to_str(
            json_object_get_int_member(o, "actual-size"));

        printf("disk size: %s\n", a);
    } else {
        printf("disk size: unavailable\n");
    }
    if (json_object_has_member(o, "cluster-size")) {
        printf("cluster_size: %" PRId64 "\n",
               json_object_get_int_member(o, "cluster-size"));
    }
    if (json_object_get_boolean_member_with_default(o, "dirty-flag", false)) {
        printf("cleanly shut down: no\n");
    }
    if (backing) {
        const char *full = info_str(o, "full-backing-filename");

        if (strcmp(backing, full)) {
            printf("backing file: %s (actual path: %s)\n", backing, full);
        } else {
            printf("backing file: %s\n", backing);
        }
        if (info_str(o, "backing-filename-format")) {
            printf("backing file format: %s\n",
                   info_str(o, "backing-filename-format"));
        }
    }
    qemuio_print_specific_info(spec, stdout);
}

typedef struct InfoArgs {
    const char *fmt;
    bool json;
    bool chain;
    int flags;
} InfoArgs;

static bool info_parse(int argc, char **argv, InfoArgs *a)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'O' },
        { "backing-chain", no_argument, NULL, 'B' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, ":f:hU", longopts, NULL)) != -1) {
        if (c == 'f') {
            a->fmt = optarg;
        } else if (c == 'O') {
            if (!img_parse_output(optarg, &a->json)) {
                return false;
            }
        } else if (c == 'B') {
            a->chain = true;
        } else if (c == 'U') {
            a->flags |= BDRV_O_FORCE_SHARE;
        } else {
            img_error_usage("unrecognized option '%s'", argv[optind - 1]);
            return false;
        }
    }
    if (optind != argc - 1) {
        img_error_usage("Expecting one image file name");
        return false;
    }
    return true;
}

/* One image of the chain; @next gets the backing file name or NULL. */
static JsonObject *info_one(const char *filename, const char *fmt,
                            int flags, bool json, bool first,
                            char **next, char **next_fmt)
{
    BlockBackend *blk = img_open(filename, fmt, flags | BDRV_O_NO_BACKING,
                                 false);
    JsonObject *o;

    if (!blk) {
        return NULL;
    }
    o = info_collect(filename, blk);
    if (!json) {
        g_autoptr(ImageInfoSpecific) spec = NULL;
        BlockDriverState *bs = blk_bs(blk);

        if (bs->drv->bdrv_get_specific_info) {
            spec = bs->drv->bdrv_get_specific_info(bs, NULL);
        }
        if (!first) {
            printf("\n");
        }
        info_print_human(o, spec);
    }
    *next = g_strdup(info_str(o, "full-backing-filename"));
    *next_fmt = g_strdup(info_str(o, "backing-filename-format"));
    blk_unref(blk);
    return o;
}

int img_info(int argc, char **argv)
{
    InfoArgs a = { 0 };
    g_autoptr(JsonArray) chain = json_array_new();
    g_autofree char *file = NULL;
    g_autofree char *fmt = NULL;
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash,
                                                       g_str_equal,
                                                       g_free, NULL);

    if (!info_parse(argc, argv, &a)) {
        return 1;
    }
    file = g_strdup(argv[optind]);
    fmt = g_strdup(a.fmt);
    while (file) {
        char *next = NULL, *next_fmt = NULL;
        JsonObject *o;

        if (!g_hash_table_add(seen, g_strdup(file))) {
            error_report("Backing file '%s' creates an infinite loop.",
                         file);
            return 1;
        }
        o = info_one(file, fmt, a.flags, a.json,
                     json_array_get_length(chain) == 0, &next, &next_fmt);
        if (!o) {
            return 1;
        }
        json_array_add_object_element(chain, o);
        g_free(file);
        g_free(fmt);
        file = a.chain ? next : NULL;
        fmt = next_fmt;
        if (!a.chain) {
            g_free(next);
        }
    }
    if (a.json) {
        g_autoptr(JsonNode) node = json_node_new(JSON_NODE_ARRAY);
        g_autofree char *text = NULL;

        if (a.chain) {
            json_node_set_array(node, chain);
        } else {
            json_node_init_object(node,
                                  json_array_get_object_element(chain, 0));
        }
        text = json_serialize(node, true);
        printf("%s\n", text);
    }
    return 0;
}
