/*
 * img-convert.c: tern-img convert.
 *
 *   convert [-n] [-p] [-q] [-W] [-f fmt] [-O output_fmt] [-o options]
 *           [-S sparse_size] [-m num_coroutines] [-B backing_file
 *           [-F backing_fmt]] filename output_filename
 *
 * The image is copied in chunks by -m coroutines (default 8).  Unless
 * -W, chunks are written in order.  Ranges that read as zero in units of
 * -S bytes (default 4 KiB, 0 disables) are left unwritten on a freshly
 * created target and written as zeroes with -n.  With -B the target gets
 * a backing file and ranges unallocated in the source chain are skipped.
 */
#include "util/osdep.h"

#include <getopt.h>

#include "img-int.h"
#include "util/error.h"
#include "util/main-loop.h"

#define CONVERT_CHUNK (2 * 1024 * 1024)
#define CONVERT_MAX_CO 16

typedef struct ConvertArgs {
    const char *fmt, *out_fmt, *backing, *backing_fmt;
    const char *cache, *src_cache;      /* -t, -T */
    GString *options;
    bool skip_create, progress, quiet, wr_in_order;
    int64_t sparse;
    int num_co;
} ConvertArgs;

typedef struct ConvertState {
    BlockBackend *src, *dst;
    int64_t length;
    int64_t sparse;
    bool has_backing;
    bool zero_init;         /* the target reads as zero where not written */
    bool in_order;
    int64_t next_chunk;     /* the next chunk to read */
    int64_t next_write;     /* in order: the chunk allowed to write */
    CoQueue write_queue;
    int running;
    int ret;
} ConvertState;

/* Write [off, off + n) of @buf, leaving zero runs of -S size alone. */
static int coroutine_fn convert_write(ConvertState *s, int64_t off,
                                      int64_t n, uint8_t *buf)
{
    QEMUIOVector qiov;
    int64_t i = 0;

    while (i < n) {
        int64_t step = s->sparse ? MIN(s->sparse, n - i) : n - i;
        bool zero = s->sparse && img_is_zero(buf + i, step);
        int64_t j = i + step;
        int ret;

        /* extend the run while the kind (zero or data) stays the same */
        while (j < n && s->sparse &&
               img_is_zero(buf + j, MIN(s->sparse, n - j)) == zero) {
            j += MIN(s->sparse, n - j);
        }
        if (zero && s->zero_init) {
            ret = 0;
        } else if (zero) {
            ret = blk_co_pwrite_zeroes(s->dst, off + i, j - i,
                                       BDRV_REQ_MAY_UNMAP);
        } else {
            qemu_iovec_init_buf(&qiov, buf + i, j - i);
            ret = blk_co_pwritev(s->dst, off + i, j - i, &qiov, 0);
        }
        if (ret < 0) {
            return ret;
        }
        i = j;
    }
    return 0;
}

/* At most this many zero/data extents per chunk are told apart */
#define CONVERT_MAX_EXTENTS 64

typedef struct ConvertExtent {
    int64_t start, len;         /* inside the chunk */
    bool zero;                  /* the source says it reads as zeroes */
} ConvertExtent;

/*
 * Split [@off, +@n) into extents by the source's block status, as
 * qemu-img does, so what reads as zero is never read; past
 * CONVERT_MAX_EXTENTS the rest counts as data.  Returns the count.
 */
static int coroutine_fn convert_extents(ConvertState *s, int64_t off,
                                        int64_t n, ConvertExtent *ext)
{
    int64_t done = 0;
    int count = 0;

    while (done < n) {
        int64_t pnum = 0;
        int ret = s->has_backing ? -ENOTSUP :
            bdrv_co_block_status_above(blk_bs(s->src), NULL, off + done,
                                       n - done, &pnum, NULL, NULL);
        bool zero = ret >= 0 && (ret & BDRV_BLOCK_ZERO);

        if (ret < 0 || pnum <= 0 || count == CONVERT_MAX_EXTENTS - 1) {
            pnum = n - done;
            zero = false;
        }
        if (count && ext[count - 1].zero == zero) {
            ext[count - 1].len += pnum;
        } else {
            ext[count++] = (ConvertExtent){ done, pnum, zero };
        }
        done += pnum;
    }
    return count;
}

/* Copy chunk @idx; ranges the target takes from its backing are kept. */
static int coroutine_fn convert_chunk(ConvertState *s, int64_t idx,
                                      uint8_t *buf)
{
    int64_t off = idx * CONVERT_CHUNK;
    int64_t n = MIN(CONVERT_CHUNK, s->length - off);
    int64_t pnum = n;
    ConvertExtent ext[CONVERT_MAX_EXTENTS];
    QEMUIOVector qiov;
    int count, ret = 0;

    if (s->has_backing) {
        ret = bdrv_co_is_allocated_above(blk_bs(s->src), NULL, false, off,
                                         n, &pnum);
        if (ret < 0) {
            return ret;
        }
        if (!ret && pnum >= n) {
            return 0;
        }
    }
    count = convert_extents(s, off, n, ext);
    for (int i = 0; i < count && ret >= 0; i++) {
        if (!ext[i].zero) {
            qemu_iovec_init_buf(&qiov, buf + ext[i].start, ext[i].len);
            ret = blk_co_preadv(s->src, off + ext[i].start, ext[i].len,
                                &qiov, 0);
        }
    }
    while (ret >= 0 && s->in_order && s->next_write != idx) {
        qemu_co_queue_wait(&s->write_queue, NULL);
    }
    for (int i = 0; i < count && ret >= 0; i++) {
        if (!ext[i].zero) {
            ret = convert_write(s, off + ext[i].start, ext[i].len,
                                buf + ext[i].start);
        } else if (!s->zero_init) {
            ret = blk_co_pwrite_zeroes(s->dst, off + ext[i].start,
                                       ext[i].len, BDRV_REQ_MAY_UNMAP);
        }
    }
    return ret;
}

static void coroutine_fn convert_co(void *opaque)
{
    ConvertState *s = opaque;
    int64_t nchunks = (s->length + CONVERT_CHUNK - 1) / CONVERT_CHUNK;
    uint8_t *buf = qemu_blockalign(blk_bs(s->dst), CONVERT_CHUNK);

    while (s->ret >= 0 && s->next_chunk < nchunks) {
        int64_t idx = s->next_chunk++;
        int ret = convert_chunk(s, idx, buf);

        if (ret < 0 && s->ret >= 0) {
            s->ret = ret;
        }
        if (s->in_order) {
            s->next_write = idx + 1;
            qemu_co_queue_restart_all(&s->write_queue);
        }
        img_progress_print(100.0 * MIN(idx + 1, nchunks) / nchunks);
    }
    qemu_vfree(buf);
    s->running--;
    /* a failed chunk stops the others: wake any waiting for their turn */
    qemu_co_queue_restart_all(&s->write_queue);
}

static int convert_copy(ConvertState *s, int num_co)
{
    int i;

    qemu_co_queue_init(&s->write_queue);
    s->running = num_co;
    for (i = 0; i < num_co; i++) {
        qemu_coroutine_enter(qemu_coroutine_create(convert_co, s));
    }
    while (s->running > 0) {
        aio_poll(qemu_get_aio_context(), true);
    }
    if (s->ret >= 0) {
        s->ret = blk_flush(s->dst);
    }
    return s->ret;
}

static bool convert_parse_num(const char *text, int64_t *value,
                              int64_t max, const char *what)
{
    if (!img_parse_size(text, value) || *value > max) {
        error_report("Invalid %s specified", what);
        return false;
    }
    return true;
}

/* One option; @argv for the option as typed in error messages. */
static bool convert_parse_opt(int c, ConvertArgs *a, char **argv)
{
    int64_t v;

    switch (c) {
    case 'f': a->fmt = optarg; break;
    case 'O': a->out_fmt = optarg; break;
    case 'B': a->backing = optarg; break;
    case 'F': a->backing_fmt = optarg; break;
    case 'n': a->skip_create = true; break;
    case 'p': a->progress = true; break;
    case 'q': a->quiet = true; break;
    case 'W': a->wr_in_order = false; break;
    case 't': a->cache = optarg; break;
    case 'T': a->src_cache = optarg; break;
    case 'o':
        g_string_append_printf(a->options, "%s%s",
                               a->options->len ? "," : "", optarg);
        break;
    case 'S':
        if (!convert_parse_num(optarg, &a->sparse, INT32_MAX / 512 * 512,
                               "minimum zero buffer size for sparse "
                               "output")) {
            return false;
        }
        break;
    case 'm':
        if (!convert_parse_num(optarg, &v, CONVERT_MAX_CO, "number of "
                               "coroutines. Allowed number of coroutines "
                               "is between 1 and 16") || v < 1) {
            return false;
        }
        a->num_co = v;
        break;
    case ':':
        img_error_usage("option '%s' requires an argument",
                        argv[optind - 1]);
        return false;
    default:
        if (optopt == '-' || optopt == 0) {
            /* a long option: name the argument as typed */
            for (int i = 1; argv[i]; i++) {
                if (!strncmp(argv[i], "--", 2)) {
                    img_error_usage("unrecognized option '%s'", argv[i]);
                    return false;
                }
            }
        }
        img_error_usage("unrecognized option '-%c'", optopt);
        return false;
    }
    return true;
}

static bool convert_parse(int argc, char **argv, ConvertArgs *a)
{
    int c;

    optind = 1;
    while ((c = getopt(argc, argv, ":hf:O:B:F:no:pqS:m:Wt:T:")) != -1) {
        if (!convert_parse_opt(c, a, argv)) {
            return false;
        }
    }
    if (argc - optind != 2) {
        img_error_usage("Expecting one image file name and one output "
                        "file name");
        return false;
    }
    if (a->skip_create && (a->options->len || a->backing)) {
        error_report("-n cannot be used with -o or -B");
        return false;
    }
    return true;
}

/* Create the target through tern-img create's path (its own argv). */
static bool convert_create(ConvertArgs *a, const char *out, int64_t size)
{
    g_autoptr(GPtrArray) av = g_ptr_array_new_with_free_func(g_free);
    int ret;

    g_ptr_array_add(av, g_strdup("create"));
    g_ptr_array_add(av, g_strdup("-q"));
    g_ptr_array_add(av, g_strdup("-f"));
    g_ptr_array_add(av, g_strdup(a->out_fmt));
    if (a->options->len) {
        g_ptr_array_add(av, g_strdup("-o"));
        g_ptr_array_add(av, g_strdup(a->options->str));
    }
    if (a->backing) {
        g_ptr_array_add(av, g_strdup("-b"));
        g_ptr_array_add(av, g_strdup(a->backing));
    }
    if (a->backing_fmt) {
        g_ptr_array_add(av, g_strdup("-F"));
        g_ptr_array_add(av, g_strdup(a->backing_fmt));
    }
    g_ptr_array_add(av, g_strdup(out));
    g_ptr_array_add(av, g_strdup_printf("%" PRId64, size));
    g_ptr_array_add(av, NULL);
    ret = img_create(av->len - 1, (char **)av->pdata);
    return ret == 0;
}

int img_convert(int argc, char **argv)
{
    /* as qemu-img: the target is written with cache=unsafe (no flush) */
    ConvertArgs a = { .out_fmt = "raw", .sparse = 4096, .num_co = 8,
                      .wr_in_order = true, .options = g_string_new(NULL),
                      .cache = "unsafe", .src_cache = "writeback" };
    int flags = BDRV_O_RDWR | BDRV_O_NO_BACKING, src_flags = 0;
    ConvertState s = { 0 };
    const char *src, *dst;
    int ret = 1;

    if (!convert_parse(argc, argv, &a)) {
        goto out;
    }
    if (!img_parse_cache(a.cache, &flags)) {
        error_report("Invalid cache option: %s", a.cache);
        goto out;
    }
    if (!img_parse_cache(a.src_cache, &src_flags)) {
        error_report("Invalid source cache option: %s", a.src_cache);
        goto out;
    }
    src = argv[optind];
    dst = argv[optind + 1];
    s.src = img_open(src, a.fmt, src_flags, false);
    if (!s.src) {
        goto out;
    }
    s.length = blk_getlength(s.src);
    if (!a.skip_create &&
        !convert_create(&a, dst, s.length)) {
        goto out;
    }
    s.dst = img_open(dst, a.out_fmt, flags, false);
    if (!s.dst) {
        goto out;
    }
    if (a.skip_create && blk_getlength(s.dst) < s.length) {
        error_report("output file is smaller than input file");
        goto out;
    }
    s.sparse = a.sparse;
    s.has_backing = a.backing != NULL;
    s.zero_init = !a.skip_create;
    s.in_order = a.wr_in_order;
    img_progress_init(a.progress && !a.quiet);
    if (convert_copy(&s, a.num_co) < 0) {
        error_report("error while converting: %s", strerror(-s.ret));
    } else {
        ret = 0;
    }
    img_progress_end();
out:
    if (s.dst) {
        blk_unref(s.dst);
    }
    if (s.src) {
        blk_unref(s.src);
    }
    g_string_free(a.options, true);
    return ret;
}
