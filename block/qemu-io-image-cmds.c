/*
 * qemu-io-image-cmds.c: the qemu-io commands that work on the image as a
 * whole rather than on a byte range: length, truncate, info (with the
 * format specific information dump), map and reopen.
 *
 * Output and messages follow QEMU's qemu-io, as in qemu-io-cmds.c.  Main
 * loop thread only.  See docs/devel/tools.md and docs/devel/block.md.
 */
#include "util/osdep.h"

#include <getopt.h>

#include "block/block.h"
#include "block/block_int.h"
#include "block/qemu-io-int.h"
#include "qapi/qapi-visit-block-core.h"
#include "util/error.h"
#include "util/json.h"

/* length, truncate */

int length_f(BlockBackend *blk, int argc, char **argv)
{
    int64_t size = blk_getlength(blk);
    g_autofree char *text = NULL;

    if (size < 0) {
        printf("getlength: %s\n", strerror(-size));
        return size;
    }
    text = qemuio_size_str(size);
    printf("%s\n", text);
    return 0;
}

static bool truncate_parse_mode(const char *text, PreallocMode *mode)
{
    static const char *const names[] = {
        [PREALLOC_MODE_OFF] = "off",
        [PREALLOC_MODE_METADATA] = "metadata",
        [PREALLOC_MODE_FALLOC] = "falloc",
        [PREALLOC_MODE_FULL] = "full",
    };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(names); i++) {
        if (names[i] && !strcmp(names[i], text)) {
            *mode = i;
            return true;
        }
    }
    error_report("Invalid preallocation mode '%s'", text);
    return false;
}

int truncate_f(BlockBackend *blk, int argc, char **argv)
{
    PreallocMode mode = PREALLOC_MODE_OFF;
    GError *err = NULL;
    int64_t offset;
    int c;

    optind = 0;
    while ((c = getopt(argc, argv, "m:")) != -1) {
        if (c != 'm') {
            qemuio_usage("truncate");
            return -EINVAL;
        }
        if (!truncate_parse_mode(optarg, &mode)) {
            return -EINVAL;
        }
    }
    if (optind != argc - 1) {
        qemuio_usage("truncate");
        return -EINVAL;
    }
    if (!qemuio_parse_num(argv[optind], &offset)) {
        return -EINVAL;
    }
    if (!blk_truncate(blk, offset, false, mode, &err)) {
        error_report_err(err);
        return -EINVAL;
    }
    return 0;
}

/* info, map, reopen */

int info_f(BlockBackend *blk, int argc, char **argv)
{
    BlockDriverState *bs = blk_bs(blk);
    BlockDriverInfo bdi = { 0 };
    ImageInfoSpecific *spec = NULL;
    g_autofree char *cluster = NULL;
    g_autofree char *vmstate = NULL;
    GError *err = NULL;

    if (bs->drv && bs->drv->bdrv_get_info) {
        bs->drv->bdrv_get_info(bs, &bdi);
    }
    cluster = qemuio_size_str(bdi.cluster_size);
    vmstate = qemuio_size_str(bdi.vm_state_offset);
    printf("format name: %s\n", bdrv_get_format_name(bs));
    printf("cluster size: %s\n", cluster);
    printf("vm state offset: %s\n", vmstate);
    if (bs->drv && bs->drv->bdrv_get_specific_info) {
        spec = bs->drv->bdrv_get_specific_info(bs, &err);
        if (!spec && err) {
            error_report_err(err);
            return -EIO;
        }
    }
    qemuio_print_specific_info(spec, stdout);
    qapi_free_ImageInfoSpecific(spec);
    return 0;
}

static void map_print(int64_t offset, int64_t bytes, bool allocated)
{
    g_autofree char *len = qemuio_size_str(bytes);
    g_autofree char *off = qemuio_size_str(offset);

    printf("%s (0x%" PRIx64 ") bytes %s at offset %s (0x%" PRIx64 ")\n",
           len, bytes, allocated ? "    allocated" : "not allocated",
           off, offset);
}

int map_f(BlockBackend *blk, int argc, char **argv)
{
    BlockDriverState *bs = blk_bs(blk);
    int64_t length = bdrv_getlength(bs);
    int64_t offset = 0, start = 0;
    bool cur = false;

    if (length < 0) {
        error_report("Failed to query image length: %s", strerror(-length));
        return length;
    }
    while (offset < length) {
        int64_t pnum = 0;
        int ret = bdrv_is_allocated_above(bs, NULL, false, offset,
                                          length - offset, &pnum);
        bool alloc = ret > 0;

        if (ret < 0 || pnum <= 0) {
            error_report("Failed to get allocation status: %s",
                         strerror(ret < 0 ? -ret : EIO));
            return ret < 0 ? ret : -EIO;
        }
        if (offset > start && alloc != cur) {
            map_print(start, offset - start, cur);
            start = offset;
        }
        cur = alloc;
        offset += pnum;
    }
    if (length > start) {
        map_print(start, length - start, cur);
    }
    return 0;
}

int reopen_f(BlockBackend *blk, int argc, char **argv)
{
    GError *err = NULL;
    int ro = -1;
    int c;

    optind = 0;
    while ((c = getopt(argc, argv, "rw")) != -1) {
        if (c != 'r' && c != 'w') {
            qemuio_usage("reopen");
            return -EINVAL;
        }
        if (ro >= 0 && ro != (c == 'r')) {
            error_report("Only one -r/-w option may be given");
            return -EINVAL;
        }
        ro = c == 'r';
    }
    if (optind != argc) {
        qemuio_usage("reopen");
        return -EINVAL;
    }
    if (ro < 0) {
        return 0;
    }
    if (!bdrv_reopen_set_read_only(blk_bs(blk), ro, &err)) {
        error_report_err(err);
        return -EINVAL;
    }
    return 0;
}

/* Format specific information, as QEMU's human dump of a QDict */

static void dump_node(JsonNode *node, int indent, FILE *fp);

static bool dump_is_composite(JsonNode *node)
{
    return JSON_NODE_HOLDS_OBJECT(node) || JSON_NODE_HOLDS_ARRAY(node);
}

static void dump_scalar(JsonNode *node, FILE *fp)
{
    GType t = json_node_get_value_type(node);

    if (JSON_NODE_HOLDS_NULL(node)) {
        fprintf(fp, "null\n");
    } else if (t == G_TYPE_BOOLEAN) {
        fprintf(fp, "%s\n", json_node_get_boolean(node) ? "true" : "false");
    } else if (t == G_TYPE_INT64) {
        fprintf(fp, "%" PRId64 "\n", json_node_get_int(node));
    } else if (t == G_TYPE_DOUBLE) {
        fprintf(fp, "%f\n", json_node_get_double(node));
    } else {
        fprintf(fp, "%s\n", json_node_get_string(node));
    }
}

static void dump_object(JsonObject *obj, int indent, FILE *fp)
{
    g_autoptr(GList) keys = json_object_get_members_qdict_order(obj);
    GList *l;

    for (l = keys; l; l = l->next) {
        JsonNode *v = json_object_get_member(obj, l->data);
        g_autofree char *key = g_strdup(l->data);

        g_strdelimit(key, "-", ' ');
        fprintf(fp, "%*s%s:%s", indent * 4, "", key,
                dump_is_composite(v) ? "\n" : " ");
        dump_node(v, indent + 1, fp);
    }
}

static void dump_node(JsonNode *node, int indent, FILE *fp)
{
    JsonArray *arr;
    guint i;

    if (JSON_NODE_HOLDS_OBJECT(node)) {
        dump_object(json_node_get_object(node), indent, fp);
        return;
    }
    if (!JSON_NODE_HOLDS_ARRAY(node)) {
        dump_scalar(node, fp);
        return;
    }
    arr = json_node_get_array(node);
    for (i = 0; i < json_array_get_length(arr); i++) {
        JsonNode *v = json_array_get_element(arr, i);

        fprintf(fp, "%*s[%u]:%s", indent * 4, "", i,
                dump_is_composite(v) ? "\n" : " ");
        dump_node(v, indent + 1, fp);
    }
}

void qemuio_print_specific_info(ImageInfoSpecific *spec, FILE *fp)
{
    g_autoptr(JsonNode) node = NULL;
    JsonObject *obj;

    if (!spec) {
        return;
    }
    node = qapi_ImageInfoSpecific_to_json(spec);
    obj = json_node_get_object(node);
    if (!json_object_has_member(obj, "data")) {
        return;
    }
    fprintf(fp, "Format specific information:\n");
    dump_node(json_object_get_member(obj, "data"), 1, fp);
}
