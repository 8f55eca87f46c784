/*
 * img-resize.c: tern-img resize.
 *
 *   resize [-f fmt] [--preallocation=p] [-q] [--shrink] filename [+|-]size
 */
#include "util/osdep.h"

#include <getopt.h>

#include "img-int.h"
#include "util/error.h"

typedef struct ResizeArgs {
    const char *fmt;
    bool quiet, shrink;
    PreallocMode prealloc;
} ResizeArgs;

static bool resize_parse_prealloc(const char *text, PreallocMode *mode)
{
    int i;

    for (i = 0; i < PREALLOC_MODE__MAX; i++) {
        if (!strcmp(PreallocMode_str(i), text)) {
            *mode = i;
            return true;
        }
    }
    error_report("Invalid preallocation mode '%s'", text);
    return false;
}

static bool resize_parse(int argc, char **argv, ResizeArgs *a)
{
    static const struct option longopts[] = {
        { "preallocation", required_argument, NULL, 'P' },
        { "shrink", no_argument, NULL, 'S' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    optind = 1;
    /* '-' in the size must not be taken for an option: stop at it */
    while ((c = getopt_long(argc, argv, "+:f:hq", longopts, NULL)) != -1) {
        if (c == 'f') {
            a->fmt = optarg;
        } else if (c == 'q') {
            a->quiet = true;
        } else if (c == 'S') {
            a->shrink = true;
        } else if (c == 'P') {
            if (!resize_parse_prealloc(optarg, &a->prealloc)) {
                return false;
            }
        } else {
            img_error_usage("unrecognized option '%s'", argv[optind - 1]);
            return false;
        }
    }
    if (optind != argc - 2) {
        img_error_usage("Expecting image file name and size");
        return false;
    }
    return true;
}

/* "+N", "-N" or "N" against the current length @cur. */
static bool resize_new_size(const char *text, int64_t cur, int64_t *size)
{
    int64_t n;

    if (!img_parse_size(text + (*text == '+' || *text == '-'), &n)) {
        return false;
    }
    *size = *text == '+' ? cur + n : *text == '-' ? cur - n : n;
    if (*size < 0 || (*text == '+' && *size < cur)) {
        error_report("New image size must be positive");
        return false;
    }
    return true;
}

int img_resize(int argc, char **argv)
{
    ResizeArgs a = { .prealloc = PREALLOC_MODE_OFF };
    GError *err = NULL;
    BlockBackend *blk;
    int64_t cur, size;
    int ret = 1;

    if (!resize_parse(argc, argv, &a)) {
        return 1;
    }
    blk = img_open(argv[optind], a.fmt, BDRV_O_RDWR, false);
    if (!blk) {
        return 1;
    }
    cur = blk_getlength(blk);
    if (!resize_new_size(argv[optind + 1], cur, &size)) {
        goto out;
    }
    if (size < cur && !a.shrink) {
        error_report("Use the --shrink option to perform a shrink "
                     "operation.");
        goto out;
    }
    if (!blk_truncate(blk, size, false, a.prealloc, &err)) {
        error_report_err(err);
        goto out;
    }
    if (!a.quiet) {
        printf("Image resized.\n");
    }
    ret = 0;
out:
    blk_unref(blk);
    return ret;
}
