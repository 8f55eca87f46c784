/*
 * img-map.c: tern-img map and compare.
 *
 *   map [-f fmt] [--output=ofmt] [--start-offset=o] [--max-length=l] file
 *   compare [-f fmt] [-F fmt] [-p] [-q] [-s] [-U] filename1 filename2
 */
#include "util/osdep.h"

#include <getopt.h>

#include "img-int.h"
#include "util/error.h"

/* One run of the map: qemu-img's MapEntry. */
typedef struct MapEntry {
    int64_t start;
    int64_t length;
    int depth;
    bool present, zero, data;
    bool has_offset;
    int64_t offset;
    const char *filename;
} MapEntry;

/* The status of [offset, offset + bytes) at the first layer that has it. */
static int map_status(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      MapEntry *e)
{
    BlockDriverState *file = NULL;
    int64_t pnum = 0, map = 0;
    int depth = 0;
    int ret;

    for (;;) {
        ret = bdrv_block_status(bs, offset, bytes, &pnum, &map, &file);
        if (ret < 0) {
            return ret;
        }
        if ((ret & BDRV_BLOCK_ALLOCATED) || !bdrv_backing_bs(bs)) {
            break;
        }
        bs = bdrv_backing_bs(bs);
        bytes = pnum;
        depth++;
    }
    *e = (MapEntry) {
        .start = offset, .length = pnum, .depth = depth,
        .present = ret & BDRV_BLOCK_ALLOCATED,
        .zero = ret & BDRV_BLOCK_ZERO, .data = ret & BDRV_BLOCK_DATA,
        .has_offset = ret & BDRV_BLOCK_OFFSET_VALID, .offset = map,
        .filename = file ? bdrv_get_filename(file) : NULL,
    };
    return pnum > 0 ? 0 : -EIO;
}

static bool map_mergeable(const MapEntry *a, const MapEntry *b)
{
    return a->depth == b->depth && a->present == b->present &&
           a->zero == b->zero && a->data == b->data &&
           a->has_offset == b->has_offset &&
           (!a->has_offset || a->offset + a->length == b->offset) &&
           g_strcmp0(a->filename, b->filename) == 0;
}

static void map_print(const MapEntry *e, bool json, bool first)
{
    if (json) {
        printf("%s{ \"start\": %" PRId64 ", \"length\": %" PRId64
               ", \"depth\": %d, \"present\": %s, \"zero\": %s"
               ", \"data\": %s", first ? "" : ",\n", e->start, e->length,
               e->depth, e->present ? "true" : "false",
               e->zero ? "true" : "false", e->data ? "true" : "false");
        if (e->has_offset) {
            printf(", \"offset\": %" PRId64, e->offset);
        }
        printf("}");
    } else if (e->data && e->has_offset) {
        printf("%#-16" PRIx64 "%#-16" PRIx64 "%#-16" PRIx64 "%s\n",
               e->start, e->length, e->offset,
               e->filename ? e->filename : "");
    }
}

typedef struct MapArgs {
    const char *fmt;
    bool json;
    int64_t start;
    int64_t max_length;
    int flags;
} MapArgs;

static bool map_parse(int argc, char **argv, MapArgs *a)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'O' },
        { "start-offset", required_argument, NULL, 's' },
        { "max-length", required_argument, NULL, 'l' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    optind = 1;
    a->max_length = INT64_MAX;
    while ((c = getopt_long(argc, argv, ":f:hU", longopts, NULL)) != -1) {
        bool ok = true;

        if (c == 'f') {
            a->fmt = optarg;
        } else if (c == 'O') {
            ok = img_parse_output(optarg, &a->json);
        } else if (c == 's') {
            ok = img_parse_size(optarg, &a->start);
        } else if (c == 'l') {
            ok = img_parse_size(optarg, &a->max_length);
        } else if (c == 'U') {
            a->flags |= BDRV_O_FORCE_SHARE;
        } else {
            img_error_usage("unrecognized option '%s'", argv[optind - 1]);
            ok = false;
        }
        if (!ok) {
            return false;
        }
    }
    if (optind != argc - 1) {
        img_error_usage("Expecting one image file name");
        return false;
    }
    return true;
}

int img_map(int argc, char **argv)
{
    MapArgs a = { 0 };
    MapEntry cur = { 0 }, next;
    BlockBackend *blk;
    int64_t length, end, offset;
    bool have = false, first = true;

    if (!map_parse(argc, argv, &a)) {
        return 1;
    }
    blk = img_open(argv[optind], a.fmt, a.flags, false);
    if (!blk) {
        return 1;
    }
    length = blk_getlength(blk);
    end = a.start + MIN(a.max_length, length - MIN(a.start, length));
    printf(a.json ? "[" : "%-16s%-16s%-16s%s\n", "Offset", "Length",
           "Mapped to", "File");
    for (offset = a.start; offset < end; offset += next.length) {
        int ret = map_status(blk_bs(blk), offset, end - offset, &next);

        if (ret < 0) {
            error_report("Could not read file metadata: %s", strerror(-ret));
            blk_unref(blk);
            return 1;
        }
        if (have && map_mergeable(&cur, &next) &&
            cur.start + cur.length == next.start) {
            cur.length += next.length;
            continue;
        }
        if (have) {
            map_print(&cur, a.json, first);
            first = false;
        }
        cur = next;
        have = true;
    }
    if (have) {
        map_print(&cur, a.json, first);
    }
    if (a.json) {
        printf("]\n");
    }
    blk_unref(blk);
    return 0;
}
