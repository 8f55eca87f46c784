/*
 * img-rebase.c: tern-img rebase.
 *
 *   rebase [-f fmt] [-t cache] [-T src_cache] [-p] [-q] [-u] [-U]
 *          -b backing_file [-F backing_fmt] filename
 *
 * Safe mode (the default) keeps what the guest sees: every range the
 * image does not hold itself is read through the old backing chain and
 * through the new backing file, and where the two differ the old data
 * (or zeroes past the end of the old chain) is written into the image;
 * then the header names the new backing file.  Unsafe mode (-u) only
 * rewrites the header.  Exit status as qemu-img: 0 done, 1 error.
 *
 * Chosen where tern differs: -c is refused (tern writes no compressed
 * clusters), --object and --image-opts are refused; a missing -F is
 * reported before any data is copied rather than after; a differing
 * run is split at the end of the old chain so that what lies past it
 * is written as zeroes (zero clusters), not as data.
 */
#include "util/osdep.h"

#include <getopt.h>

#include "img-int.h"
#include "util/error.h"

/* qemu-img's IO_BUF_SIZE: the unit of comparison */
#define REBASE_BUF (2 * 1024 * 1024)

enum {
    REBASE_OPT_OBJECT = 256,
    REBASE_OPT_IMAGE_OPTS,
};

typedef struct RebaseArgs {
    const char *filename;
    const char *fmt;
    const char *base;           /* -b: NULL (only with -u) or "" = none */
    const char *base_fmt;       /* -F */
    const char *cache;          /* -t */
    const char *src_cache;      /* -T */
    bool unsafe, progress, quiet, compress, force_share;
} RebaseArgs;

typedef struct RebaseCtx {
    const RebaseArgs *a;
    BlockBackend *blk;          /* the image, read-write */
    BlockDriverState *bs;
    BlockBackend *old_blk;      /* its backing chain as opened, or NULL */
    BlockBackend *new_blk;      /* the new backing file, or NULL */
    int64_t align;              /* the image's (sub)cluster size */
    int64_t size, old_size, new_size;
    uint8_t *buf_old, *buf_new;
} RebaseCtx;

/* ---- command line ---- */


static bool rebase_option(int c, RebaseArgs *a, char **argv)
{
    switch (c) {
    case 'f':
        a->fmt = optarg;
        break;
    case 'F':
        a->base_fmt = optarg;
        break;
    case 'b':
        a->base = optarg;
        break;
    case 'u':
        a->unsafe = true;
        break;
    case 'p':
        a->progress = true;
        break;
    case 't':
        a->cache = optarg;
        break;
    case 'T':
        a->src_cache = optarg;
        break;
    case 'q':
        a->quiet = true;
        break;
    case 'U':
        a->force_share = true;
        break;
    case 'c':
        a->compress = true;
        break;
    case REBASE_OPT_OBJECT:
        error_report("--object is not supported: tern-img has no "
                     "user-creatable objects");
        return false;
    case REBASE_OPT_IMAGE_OPTS:
        error_report("--image-opts is not supported: give a file name");
        return false;
    case ':':
        img_error_usage("missing argument for option '%s'",
                        argv[optind - 1]);
        return false;
    default:
        img_error_usage("unrecognized option '%s'", argv[optind - 1]);
        return false;
    }
    return true;
}

static bool rebase_parse(int argc, char **argv, RebaseArgs *a)
{
    static const struct option longopts[] = {
        { "object", required_argument, NULL, REBASE_OPT_OBJECT },
        { "image-opts", no_argument, NULL, REBASE_OPT_IMAGE_OPTS },
        { "force-share", no_argument, NULL, 'U' },
        { "compress", no_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, ":f:F:b:upt:T:qUc", longopts,
                            NULL)) != -1) {
        if (!rebase_option(c, a, argv)) {
            return false;
        }
    }
    if (a->quiet) {
        a->progress = false;
    }
    if (optind != argc - 1) {
        img_error_usage("Expecting one image file name");
        return false;
    }
    if (!a->unsafe && !a->base) {
        img_error_usage("Must specify backing file (-b) or use unsafe "
                        "mode (-u)");
        return false;
    }
    a->filename = argv[optind];
    return true;
}

/* ---- opening ---- */

/*
 * The granularity of the image's allocation: writes aligned to it need
 * no copy-on-write.  qcow2 with extended L2 entries allocates
 * subclusters (1/32 cluster).
 */
static bool rebase_write_align(BlockDriverState *bs, int64_t *align)
{
    BlockDriverInfo bdi = { 0 };
    ImageInfoSpecific *spec = NULL;

    if (!bs->drv->bdrv_get_info || !bs->drv->bdrv_get_info(bs, &bdi)) {
        error_report("could not get block driver info");
        return false;
    }
    *align = bdi.cluster_size > 0 ? bdi.cluster_size : 1;
    if (bs->drv->bdrv_get_specific_info) {
        GError *err = NULL;

        spec = bs->drv->bdrv_get_specific_info(bs, &err);
        g_clear_error(&err);
    }
    if (spec && spec->type == IMAGE_INFO_SPECIFIC_KIND_QCOW2 &&
        spec->u.qcow2.data->has_extended_l2 &&
        spec->u.qcow2.data->extended_l2) {
        *align = MAX(*align / 32, 1);
    }
    if (spec) {
        qapi_free_ImageInfoSpecific(spec);
    }
    return true;
}

/* A read-only backend on a node already open (the chains' nodes). */
static BlockBackend *rebase_reuse(BlockDriverState *bs, const char *what,
                                  const char *name)
{
    BlockBackend *blk = blk_new(BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);
    GError *err = NULL;

    if (!blk_insert_bs(blk, bs, &err)) {
        error_report("Could not reuse %s '%s': %s", what, name,
                     err->message);
        g_error_free(err);
        blk_unref(blk);
        return NULL;
    }
    return blk;
}

/* The node below @bs whose file is @path (same file on disk), or NULL. */
static BlockDriverState *rebase_find_in_chain(BlockDriverState *bs,
                                              const char *path)
{
    g_autofree char *want = realpath(path, NULL);
    BlockDriverState *p;

    if (!want) {
        return NULL;
    }
    for (p = bdrv_backing_bs(bs); p; p = bdrv_backing_bs(p)) {
        g_autofree char *have = realpath(bdrv_get_filename(p), NULL);

        if (have && !strcmp(have, want)) {
            return p;
        }
    }
    return NULL;
}

/* The new backing file, read-only, as the image will see it. */
static bool rebase_open_new(RebaseCtx *c, int src_flags)
{
    const RebaseArgs *a = c->a;
    g_autofree char *path = img_resolve_backing(a->filename, a->base);
    BlockDriverState *in_chain = rebase_find_in_chain(c->bs, path);
    GError *err = NULL;

    if (in_chain) {
        c->new_blk = rebase_reuse(in_chain, "backing file", a->base);
        return c->new_blk != NULL;
    }
    if (a->force_share) {
        src_flags |= BDRV_O_FORCE_SHARE;
    }
    c->new_blk = blk_new_open(path, a->base_fmt, src_flags, NULL, &err);
    if (!c->new_blk) {
        error_report("Could not open new backing file '%s': %s", a->base,
                     err->message);
        g_error_free(err);
        return false;
    }
    return true;
}

static bool rebase_open_backings(RebaseCtx *c, int src_flags)
{
    BlockDriverState *old = bdrv_backing_bs(c->bs);

    if (old) {
        c->old_blk = rebase_reuse(old, "old backing file",
                                  bdrv_get_filename(old));
        if (!c->old_blk) {
            return false;
        }
    }
    return !c->a->base[0] || rebase_open_new(c, src_flags);
}

/* Lengths of the image and of both backing files. */
static bool rebase_sizes(RebaseCtx *c)
{
    c->size = blk_getlength(c->blk);
    if (c->size < 0) {
        error_report("Could not get size of '%s': %s", c->a->filename,
                     strerror(-c->size));
        return false;
    }
    c->old_size = c->old_blk ? blk_getlength(c->old_blk) : 0;
    if (c->old_size < 0) {
        error_report("Could not get size of '%s': %s", c->bs->backing_file,
                     strerror(-c->old_size));
        return false;
    }
    c->new_size = c->new_blk ? blk_getlength(c->new_blk) : 0;
    if (c->new_size < 0) {
        error_report("Could not get size of '%s': %s", c->a->base,
                     strerror(-c->new_size));
        return false;
    }
    return true;
}

/* ---- copying what differs ---- */

/*
 * Whether the first @align block of @a and @b differ; *@pnum: the length
 * of the run of blocks from the start that all differ or all match
 * (qemu-img's compare_buffers).
 */
static bool rebase_differ(const uint8_t *a, const uint8_t *b, int64_t len,
                          int64_t align, int64_t *pnum)
{
    int64_t i = MIN(len, align);
    bool differ = memcmp(a, b, i) != 0;

    while (i < len) {
        int64_t n = MIN(len - i, align);

        if ((memcmp(a + i, b + i, n) != 0) != differ) {
            break;
        }
        i += n;
    }
    *pnum = i;
    return differ;
}

/* Read @n bytes at @off of @blk (@len long) into @buf; zeroes past it. */
static int rebase_read(BlockBackend *blk, int64_t len, int64_t off,
                       int64_t n, uint8_t *buf)
{
    int64_t have = MIN(n, MAX(0, len - off));

    memset(buf + have, 0, n - have);
    return have > 0 ? blk_pread(blk, off, have, buf, 0) : 0;
}

/* Compare [off, off + n) of the old and new backing files and write the
 * old content where they differ. */
static bool rebase_merge(RebaseCtx *c, int64_t off, int64_t n)
{
    int64_t done = 0, pnum;

    if (rebase_read(c->old_blk, c->old_size, off, n, c->buf_old) < 0) {
        error_report("error while reading from old backing file");
        return false;
    }
    if (rebase_read(c->new_blk, c->new_size, off, n, c->buf_new) < 0) {
        error_report("error while reading from new backing file");
        return false;
    }
    while (done < n) {
        int64_t at = off + done;
        /* runs stop at the old chain's end: past it, zero clusters */
        int64_t len = at < c->old_size ? MIN(n - done, c->old_size - at)
                                       : n - done;
        int ret = 0;

        if (rebase_differ(c->buf_old + done, c->buf_new + done, len,
                          c->align, &pnum)) {
            /* past the end of the old chain the image read zeroes */
            ret = at >= c->old_size
                  ? blk_pwrite_zeroes(c->blk, at, pnum, 0)
                  : blk_pwrite(c->blk, at, pnum, c->buf_old + done, 0);
        }
        if (ret < 0) {
            error_report("Error while writing to COW image: %s",
                         strerror(-ret));
            return false;
        }
        done += pnum;
    }
    return true;
}

/*
 * [off, off + *n) is unallocated in the image: widen it to the image's
 * allocation granularity when the widened range is unallocated too, so
 * that the writes need no copy-on-write.
 */
static void rebase_widen(RebaseCtx *c, int64_t *off, int64_t *n)
{
    int64_t start = ROUND_DOWN(*off, c->align);
    int64_t end = MIN(ROUND_UP(*off + *n, c->align), c->size);
    int64_t pnum = 0;

    end = MIN(end, start + REBASE_BUF);
    if (start == *off && end == *off + *n) {
        return;
    }
    if (bdrv_is_allocated_above(c->bs, c->bs, true, start, end - start,
                                &pnum) == 0 && pnum == end - start) {
        *off = start;
        *n = end - start;
    }
}

static bool rebase_copy(RebaseCtx *c)
{
    int64_t off, n;

    if (!rebase_sizes(c)) {
        return false;
    }
    c->buf_old = qemu_blockalign(c->bs, REBASE_BUF);
    c->buf_new = qemu_blockalign(c->bs, REBASE_BUF);
    for (off = 0; off < c->size; off += n) {
        int ret;

        n = MIN(REBASE_BUF, c->size - off);
        /* what the image holds itself does not change */
        ret = bdrv_is_allocated_above(c->bs, c->bs, true, off, n, &n);
        if (ret < 0) {
            error_report("error while reading image metadata: %s",
                         strerror(-ret));
            return false;
        }
        if (ret == 0) {
            rebase_widen(c, &off, &n);
            if (!rebase_merge(c, off, n)) {
                return false;
            }
        }
        img_progress_print(100.0 * (off + n) / c->size);
    }
    return true;
}

/* ---- the header ---- */

static bool rebase_change(RebaseCtx *c)
{
    const RebaseArgs *a = c->a;
    const char *base = a->base && a->base[0] ? a->base : NULL;
    int ret = bdrv_change_backing_file(c->bs, base, base ? a->base_fmt
                                                         : NULL,
                                       base != NULL);

    if (ret == -ENOSPC) {
        error_report("Could not change the backing file to '%s': No space "
                     "left in the file header", a->base);
    } else if (ret == -EINVAL && base && !a->base_fmt) {
        error_report("Could not change the backing file to '%s': backing "
                     "format must be specified", a->base);
    } else if (ret < 0) {
        error_report("Could not change the backing file to '%s': %s",
                     a->base ? a->base : "(null)", strerror(-ret));
    }
    return ret == 0;
}

/* What fails before anything is written: the image, -c, -F, backings. */
static bool rebase_prepare(RebaseCtx *c, int flags, int src_flags)
{
    const RebaseArgs *a = c->a;

    c->blk = img_open(a->filename, a->fmt, flags, false);
    if (!c->blk) {
        return false;
    }
    c->bs = blk_bs(c->blk);
    if (a->compress) {
        error_report("Compression not supported for this file format");
        return false;
    }
    if (a->base_fmt && !bdrv_find_format(a->base_fmt)) {
        error_report("Invalid format name: '%s'", a->base_fmt);
        return false;
    }
    if (!rebase_write_align(c->bs, &c->align)) {
        return false;
    }
    if (!a->unsafe && !rebase_open_backings(c, src_flags)) {
        return false;
    }
    if (a->base && a->base[0] && !a->base_fmt) {
        /* qemu-img finds this only after copying; the text is the same */
        error_report("Could not change the backing file to '%s': backing "
                     "format must be specified", a->base);
        return false;
    }
    return true;
}

static bool rebase_run(RebaseCtx *c)
{
    const RebaseArgs *a = c->a;
    int flags = BDRV_O_RDWR | (a->unsafe ? BDRV_O_NO_BACKING : 0);
    int src_flags = 0;

    if (!img_parse_cache(a->cache, &flags)) {
        error_report("Invalid cache option: %s", a->cache);
        return false;
    }
    if (!img_parse_cache(a->src_cache, &src_flags)) {
        error_report("Invalid source cache option: %s", a->src_cache);
        return false;
    }
    if (!rebase_prepare(c, flags, src_flags)) {
        return false;
    }
    /* a crash while copying leaves the image as it was to the guest */
    if (!a->unsafe && !rebase_copy(c)) {
        return false;
    }
    return rebase_change(c);
}

int img_rebase(int argc, char **argv)
{
    RebaseArgs a = { .cache = "writeback", .src_cache = "writeback" };
    RebaseCtx c = { .a = &a };
    bool ok;

    if (!rebase_parse(argc, argv, &a)) {
        return 1;
    }
    img_progress_init(a.progress);
    ok = rebase_run(&c);
    img_progress_end();
    qemu_vfree(c.buf_old);
    qemu_vfree(c.buf_new);
    if (c.new_blk) {
        blk_unref(c.new_blk);
    }
    if (c.old_blk) {
        blk_unref(c.old_blk);
    }
    if (c.blk) {
        blk_unref(c.blk);
    }
    return ok ? 0 : 1;
}
