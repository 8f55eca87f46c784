/*
 * img-check.c: tern-img check.
 *
 *   check [-q] [-f fmt] [--output=ofmt] [-r leaks|all] [-U] filename
 *
 * Exit status as qemu-img: 0 clean, 1 the check could not complete, 2
 * corruptions, 3 leaks only, 63 the format has no checker.
 */
#include "util/osdep.h"

#include <getopt.h>

#include "img-int.h"
#include "util/error.h"
#include "util/json.h"

typedef struct CheckCo {
    BlockDriverState *bs;
    BdrvCheckResult *result;
    BdrvCheckMode fix;
    int ret;
    bool done;
} CheckCo;

static void coroutine_fn check_co_entry(void *opaque)
{
    CheckCo *c = opaque;

    c->ret = c->bs->drv->bdrv_co_check(c->bs, c->result, c->fix);
    c->done = true;
}

static int check_run(BlockDriverState *bs, BdrvCheckResult *result,
                     BdrvCheckMode fix)
{
    CheckCo c = { .bs = bs, .result = result, .fix = fix };

    memset(result, 0, sizeof(*result));
    bdrv_run_co(check_co_entry, &c, &c.done);
    return c.ret;
}

static void check_set(JsonObject *o, const char *key, int64_t value)
{
    if (value) {
        json_object_set_int_member(o, key, value);
    }
}

static void check_print_json(const char *filename, const char *fmt,
                             BdrvCheckResult *r)
{
    g_autoptr(JsonObject) o = json_object_new();
    g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
    g_autofree char *text = NULL;

    json_object_set_string_member(o, "filename", filename);
    json_object_set_string_member(o, "format", fmt);
    json_object_set_int_member(o, "check-errors", r->check_errors);
    check_set(o, "image-end-offset", r->image_end_offset);
    check_set(o, "corruptions", r->corruptions);
    check_set(o, "leaks", r->leaks);
    check_set(o, "corruptions-fixed", r->corruptions_fixed);
    check_set(o, "leaks-fixed", r->leaks_fixed);
    check_set(o, "total-clusters", r->bfi.total_clusters);
    check_set(o, "allocated-clusters", r->bfi.allocated_clusters);
    check_set(o, "fragmented-clusters", r->bfi.fragmented_clusters);
    check_set(o, "compressed-clusters", r->bfi.compressed_clusters);
    json_node_set_object(node, o);
    text = json_serialize(node, true);
    printf("%s\n", text);
}

static void check_print_human(BdrvCheckResult *r)
{
    const BlockFragInfo *f = &r->bfi;

    if (!r->corruptions && !r->leaks && !r->check_errors) {
        printf("No errors were found on the image.\n");
    } else {
        if (r->corruptions) {
            printf("\n%d errors were found on the image.\n"
                   "Data may be corrupted, or further writes to the image "
                   "may corrupt it.\n", r->corruptions);
        }
        if (r->leaks) {
            printf("\n%d leaked clusters were found on the image.\n"
                   "This means waste of disk space, but no harm to data.\n",
                   r->leaks);
        }
        if (r->check_errors) {
            printf("\n%d internal errors have occurred during the check.\n",
                   r->check_errors);
        }
    }
    if (f->total_clusters != 0 && f->allocated_clusters != 0) {
        printf("%" PRIu64 "/%" PRIu64 " = %0.2f%% allocated, "
               "%0.2f%% fragmented, %0.2f%% compressed clusters\n",
               f->allocated_clusters, f->total_clusters,
               f->allocated_clusters * 100.0 / f->total_clusters,
               f->fragmented_clusters * 100.0 / f->allocated_clusters,
               f->compressed_clusters * 100.0 / f->allocated_clusters);
    }
    if (r->image_end_offset > 0) {
        printf("Image end offset: %" PRId64 "\n", r->image_end_offset);
    }
}

/* Repair, then check again; the second result is the one reported. */
static int check_fix(BlockDriverState *bs, BdrvCheckResult *r,
                     BdrvCheckMode fix, bool json, bool quiet)
{
    BdrvCheckResult first;
    int ret = check_run(bs, &first, fix);

    if (ret < 0) {
        *r = first;
        return ret;
    }
    if (!json && !quiet &&
        (first.corruptions_fixed || first.leaks_fixed)) {
        printf("The following inconsistencies were found and repaired:\n\n"
               "    %d leaked clusters\n    %d corruptions\n\n"
               "Double checking the fixed image now...\n",
               first.leaks_fixed, first.corruptions_fixed);
    }
    ret = check_run(bs, r, 0);
    r->leaks_fixed = first.leaks_fixed;
    r->corruptions_fixed = first.corruptions_fixed;
    return ret;
}

typedef struct CheckArgs {
    const char *fmt;
    bool json;
    bool quiet;
    int fix;
    int flags;
} CheckArgs;

static bool check_parse(int argc, char **argv, CheckArgs *a)
{
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'O' },
        { "repair", required_argument, NULL, 'r' },
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, ":f:hr:qU", longopts, NULL)) != -1) {
        if (c == 'f') {
            a->fmt = optarg;
        } else if (c == 'O') {
            if (!img_parse_output(optarg, &a->json)) {
                return false;
            }
        } else if (c == 'r') {
            a->flags |= BDRV_O_RDWR;
            if (!strcmp(optarg, "leaks")) {
                a->fix = BDRV_FIX_LEAKS;
            } else if (!strcmp(optarg, "all")) {
                a->fix = BDRV_FIX_LEAKS | BDRV_FIX_ERRORS;
            } else {
                img_error_usage("Unknown option value for -r (expecting "
                                "'leaks' or 'all'): %s", optarg);
                return false;
            }
        } else if (c == 'q') {
            a->quiet = true;
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

static int check_exit_status(int ret, BdrvCheckResult *r)
{
    if (ret < 0 || r->check_errors) {
        return 1;
    }
    if (r->corruptions) {
        return 2;
    }
    return r->leaks ? 3 : 0;
}

int img_check(int argc, char **argv)
{
    CheckArgs a = { 0 };
    BdrvCheckResult r = { 0 };
    const char *filename;
    BlockBackend *blk;
    BlockDriverState *bs;
    int ret;

    if (!check_parse(argc, argv, &a)) {
        return 1;
    }
    filename = argv[optind];
    blk = img_open(filename, a.fmt, a.flags | BDRV_O_NO_BACKING, false);
    if (!blk) {
        return 1;
    }
    bs = blk_bs(blk);
    if (!bs->drv->bdrv_co_check) {
        error_report("This image format does not support checks");
        blk_unref(blk);
        return IMG_EXIT_NO_CHECK;
    }
    ret = a.fix ? check_fix(bs, &r, a.fix, a.json, a.quiet)
                : check_run(bs, &r, 0);
    if (ret < 0 && !r.check_errors) {
        error_report("Check failed: %s", strerror(-ret));
    } else if (a.json) {
        check_print_json(filename, bdrv_get_format_name(bs), &r);
    } else if (!a.quiet) {
        check_print_human(&r);
    }
    blk_unref(blk);
    return check_exit_status(ret, &r);
}
