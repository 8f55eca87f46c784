/*
 * img-compare.c: tern-img compare.
 *
 *   compare [-f fmt] [-F fmt] [-p] [-q] [-s] [-U] filename1 filename2
 *
 * Exit status as qemu-img: 0 identical, 1 different, 2 error.  Without
 * -s, an image longer than the other must read as zeroes past the end
 * of the shorter one.
 */
#include "util/osdep.h"

#include <getopt.h>

#include "img-int.h"
#include "util/error.h"

#define CMP_CHUNK (1024 * 1024)

typedef struct CmpArgs {
    const char *fmt1, *fmt2;
    bool quiet, strict, progress;
    int flags;
} CmpArgs;

/* Offset of the first differing 512-byte sector, or -1 when equal. */
static int64_t cmp_buffers(const uint8_t *a, const uint8_t *b, int64_t n)
{
    int64_t i;

    for (i = 0; i < n; i += BDRV_SECTOR_SIZE) {
        int64_t len = MIN(BDRV_SECTOR_SIZE, n - i);

        if (memcmp(a + i, b + i, len)) {
            return i;
        }
    }
    return -1;
}

/* Compare the common range; returns 0 equal, 1 different, 2 error. */
static int cmp_common(BlockBackend *b1, BlockBackend *b2, int64_t len,
                      bool quiet)
{
    g_autofree uint8_t *buf1 = g_malloc(CMP_CHUNK);
    g_autofree uint8_t *buf2 = g_malloc(CMP_CHUNK);
    int64_t off;

    for (off = 0; off < len; off += CMP_CHUNK) {
        int64_t n = MIN(CMP_CHUNK, len - off);
        int64_t diff;
        int ret = blk_pread(b1, off, n, buf1, 0);

        if (ret >= 0) {
            ret = blk_pread(b2, off, n, buf2, 0);
        }
        if (ret < 0) {
            error_report("Error while reading offset %" PRId64 ": %s", off,
                         strerror(-ret));
            return 2;
        }
        diff = cmp_buffers(buf1, buf2, n);
        if (diff >= 0) {
            if (!quiet) {
                printf("Content mismatch at offset %" PRId64 "!\n",
                       off + diff);
            }
            return 1;
        }
        img_progress_print(100.0 * (off + n) / MAX(len, 1));
    }
    return 0;
}

/* The tail of the longer image must be zeroes. */
static int cmp_tail(BlockBackend *blk, int64_t from, int64_t to, bool quiet)
{
    g_autofree uint8_t *buf = g_malloc(CMP_CHUNK);
    int64_t off, i;

    for (off = from; off < to; off += CMP_CHUNK) {
        int64_t n = MIN(CMP_CHUNK, to - off);
        int ret = blk_pread(blk, off, n, buf, 0);

        if (ret < 0) {
            error_report("Error while reading offset %" PRId64 ": %s", off,
                         strerror(-ret));
            return 2;
        }
        if (img_is_zero(buf, n)) {
            continue;
        }
        for (i = 0; i < n; i += BDRV_SECTOR_SIZE) {
            if (!img_is_zero(buf + i, MIN(BDRV_SECTOR_SIZE, n - i))) {
                break;
            }
        }
        if (!quiet) {
            printf("Content mismatch at offset %" PRId64 "!\n", off + i);
        }
        return 1;
    }
    return 0;
}

static bool cmp_parse(int argc, char **argv, CmpArgs *a)
{
    static const struct option longopts[] = {
        { "force-share", no_argument, NULL, 'U' },
        { NULL, 0, NULL, 0 },
    };
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, ":hf:F:pqsU", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'f':
            a->fmt1 = optarg;
            break;
        case 'F':
            a->fmt2 = optarg;
            break;
        case 'p':
            a->progress = true;
            break;
        case 'q':
            a->quiet = true;
            break;
        case 's':
            a->strict = true;
            break;
        case 'U':
            a->flags |= BDRV_O_FORCE_SHARE;
            break;
        default:
            img_error_usage("unrecognized option '%s'", argv[optind - 1]);
            return false;
        }
    }
    if (optind != argc - 2) {
        img_error_usage("Expecting two image file names");
        return false;
    }
    return true;
}

static int cmp_images(BlockBackend *b1, BlockBackend *b2, CmpArgs *a)
{
    int64_t len1 = blk_getlength(b1);
    int64_t len2 = blk_getlength(b2);
    int ret;

    if (len1 < 0 || len2 < 0) {
        error_report("Cannot get image size");
        return 2;
    }
    if (len1 != len2 && a->strict) {
        if (!a->quiet) {
            printf("Strict mode: Image size mismatch!\n");
        }
        return 1;
    }
    if (len1 != len2 && !a->quiet) {
        printf("Warning: Image size mismatch!\n");
    }
    ret = cmp_common(b1, b2, MIN(len1, len2), a->quiet);
    if (ret == 0 && len1 != len2) {
        ret = cmp_tail(len1 > len2 ? b1 : b2, MIN(len1, len2),
                       MAX(len1, len2), a->quiet);
    }
    if (ret == 0 && !a->quiet) {
        printf("Images are identical.\n");
    }
    return ret;
}

int img_compare(int argc, char **argv)
{
    CmpArgs a = { 0 };
    BlockBackend *b1, *b2;
    int ret;

    if (!cmp_parse(argc, argv, &a)) {
        return 2;
    }
    b1 = img_open(argv[optind], a.fmt1, a.flags, false);
    if (!b1) {
        return 2;
    }
    b2 = img_open(argv[optind + 1], a.fmt2, a.flags, false);
    if (!b2) {
        blk_unref(b1);
        return 2;
    }
    img_progress_init(a.progress);
    ret = cmp_images(b1, b2, &a);
    img_progress_end();
    blk_unref(b2);
    blk_unref(b1);
    return ret;
}
