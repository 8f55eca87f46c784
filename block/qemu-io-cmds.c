/*
 * qemu-io-cmds.c: the qemu-io command set (read, write, aio_*, discard,
 * flush, help and dispatch; the image commands length, truncate, info,
 * map and reopen are in qemu-io-image-cmds.c).
 *
 * Output and messages follow QEMU's qemu-io: reports and dumps on stdout,
 * qemu-io's complaints about arguments on stderr.  See
 * docs/devel/tools.md.
 */
#include "util/osdep.h"

#include <getopt.h>
#include <time.h>

#include "block/block.h"
#include "block/block_int.h"
#include "block/qemu-io.h"
#include "block/qemu-io-int.h"
#include "util/cutils.h"
#include "util/error.h"
#include "util/coroutine.h"
#include "util/main-loop.h"

/* The largest request qemu-io accepts (QEMU's BDRV_REQUEST_MAX_BYTES). */
#define QEMUIO_MAX_BYTES 0x7ffffe00LL

typedef int QemuIoCmdFunc(BlockBackend *blk, int argc, char **argv);

typedef struct QemuIoCmd {
    const char *name;
    QemuIoCmdFunc *func;
    int argmin;
    int argmax;             /* -1: no upper limit */
    const char *args;
    const char *oneline;
    const char *help;       /* extended help, NULL: none */
} QemuIoCmd;

static const QemuIoCmd *qemuio_find(const char *name);

/* Sizes and times */

char *qemuio_size_str(double value)
{
    static const char *const units[] = {
        "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB",
    };
    size_t i = 0;
    char *number_end;
    char *text;

    while (value >= 1024.0 && i + 1 < ARRAY_SIZE(units)) {
        value /= 1024.0;
        i++;
    }
    text = g_strdup_printf("%.3f %s", value, units[i]);
    number_end = strchr(text, ' ');
    if (number_end - text > 4 && !strncmp(number_end - 4, ".000", 4)) {
        memmove(number_end - 4, number_end, strlen(number_end) + 1);
    }
    return text;
}

static int64_t qemuio_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void qemuio_print_report(const char *op, int64_t elapsed_ns,
                                int64_t offset, int64_t bytes,
                                int64_t total, int count, bool cflag)
{
    double secs = elapsed_ns / 1e9;
    unsigned whole = elapsed_ns / 1000000000LL;
    unsigned cents = (elapsed_ns % 1000000000LL) / 10000000;
    g_autofree char *size = qemuio_size_str(total);
    g_autofree char *rate = NULL;

    if (secs <= 0) {
        secs = 1e-9;
    }
    if (cflag) {
        printf("%" PRId64 ",%d,%u:%02u:%02u.%02u,%.3f,%.3f\n", total, count,
               whole / 3600, whole / 60 % 60, whole % 60, cents,
               total / secs, count / secs);
        return;
    }
    rate = qemuio_size_str(total / secs);
    printf("%s %" PRId64 "/%" PRId64 " bytes at offset %" PRId64 "\n",
           op, total, bytes, offset);
    printf("%s, %d ops; %02u.%02u sec (%s/sec and %.4f ops/sec)\n",
           size, count, whole, cents, rate, count / secs);
}

/* Argument parsing */

bool qemuio_parse_num(const char *text, int64_t *value)
{
    uint64_t v;
    int ret;

    ret = qemu_strtosz_end(text, NULL, 'B', &v);
    if (ret == 0 && v > INT64_MAX) {
        ret = -ERANGE;
    }
    if (ret == -ERANGE) {
        printf("Parsing error: argument too large -- %s\n", text);
        return false;
    }
    if (ret < 0) {
        printf("Parsing error: non-numeric argument, or "
               "extraneous/unrecognized suffix -- %s\n", text);
        return false;
    }
    *value = v;
    return true;
}

static bool qemuio_parse_len(const char *text, int64_t *value)
{
    if (!qemuio_parse_num(text, value)) {
        return false;
    }
    if (*value > QEMUIO_MAX_BYTES) {
        printf("length cannot exceed %" PRId64 ", given %s\n",
               (int64_t)QEMUIO_MAX_BYTES, text);
        return false;
    }
    return true;
}

static bool qemuio_parse_pattern(const char *text, int *pattern)
{
    int64_t v;

    if (qemu_strtoi64(text, NULL, 0, &v) < 0 || v < 0 || v > 0xff) {
        printf("%s is not a valid pattern byte\n", text);
        return false;
    }
    *pattern = v;
    return true;
}

void qemuio_usage(const char *name)
{
    const QemuIoCmd *c = qemuio_find(name);

    printf("%s %s -- %s\n", c->name, c->args, c->oneline);
}

/* Buffers */

static void *qemuio_alloc(size_t len, int pattern)
{
    void *buf = NULL;

    if (posix_memalign(&buf, 4096, MAX(len, 1)) != 0) {
        return NULL;
    }
    memset(buf, pattern, len);
    return buf;
}

static void qemuio_dump_line(const uint8_t *p, int64_t offset, size_t n)
{
    size_t i;

    printf("%08" PRIx64 ":  ", offset);
    for (i = 0; i < n; i++) {
        printf("%02x ", p[i]);
    }
    printf(" ");
    for (i = 0; i < n; i++) {
        putchar(g_ascii_isgraph(p[i]) ? p[i] : '.');
    }
    printf("\n");
}

static void qemuio_dump_buffer(const void *buf, int64_t offset, int64_t len)
{
    const uint8_t *p = buf;
    int64_t done;

    for (done = 0; done < len; done += 16) {
        qemuio_dump_line(p + done, offset + done, MIN(16, len - done));
    }
}

static bool qemuio_verify(const void *buf, int pattern, int64_t offset,
                   int64_t start, int64_t len)
{
    const uint8_t *p = (const uint8_t *)buf + start;
    int64_t i;

    for (i = 0; i < len; i++) {
        if (p[i] != pattern) {
            printf("Pattern verification failed at offset %" PRId64
                   ", %" PRId64 " bytes\n", offset + start, len);
            return false;
        }
    }
    return true;
}

/* read */

typedef struct ReadArgs {
    bool cflag, qflag, vflag;
    int pattern;                /* -1: no verification */
    int64_t pattern_offset;
    int64_t pattern_count;      /* -1: to the end */
    int64_t offset;
    int64_t count;
} ReadArgs;

static bool read_parse_opts(int argc, char **argv, ReadArgs *a)
{
    bool have_range = false;
    int c;

    optind = 0;
    while ((c = getopt(argc, argv, "bCl:pP:qs:v")) != -1) {
        switch (c) {
        case 'b':
            printf("read: VM state is not supported\n");
            return false;
        case 'C':
            a->cflag = true;
            break;
        case 'l':
            have_range = true;
            if (!qemuio_parse_len(optarg, &a->pattern_count)) {
                return false;
            }
            break;
        case 'p':
            break;
        case 'P':
            if (!qemuio_parse_pattern(optarg, &a->pattern)) {
                return false;
            }
            break;
        case 'q':
            a->qflag = true;
            break;
        case 's':
            have_range = true;
            if (!qemuio_parse_len(optarg, &a->pattern_offset)) {
                return false;
            }
            break;
        case 'v':
            a->vflag = true;
            break;
        default:
            qemuio_usage("read");
            return false;
        }
    }
    if (optind != argc - 2 || (have_range && a->pattern < 0)) {
        qemuio_usage("read");
        return false;
    }
    return qemuio_parse_num(argv[optind], &a->offset) &&
           qemuio_parse_len(argv[optind + 1], &a->count);
}

static int read_f(BlockBackend *blk, int argc, char **argv)
{
    ReadArgs a = { .pattern = -1, .pattern_count = -1 };
    int64_t t0;
    void *buf;
    int ret;

    if (!read_parse_opts(argc, argv, &a)) {
        return -EINVAL;
    }
    if (a.pattern_count < 0) {
        a.pattern_count = a.count - a.pattern_offset;
    }
    if (a.pattern_offset + a.pattern_count > a.count ||
        a.pattern_count < 0) {
        printf("pattern verification range exceeds end of read data\n");
        return -EINVAL;
    }
    buf = qemuio_alloc(a.count, 0xab);
    if (!buf) {
        printf("read failed: %s\n", strerror(ENOMEM));
        return -ENOMEM;
    }
    t0 = qemuio_now_ns();
    ret = blk_pread(blk, a.offset, a.count, buf, 0);
    t0 = qemuio_now_ns() - t0;
    if (ret < 0) {
        printf("read failed: %s\n", strerror(-ret));
        goto out;
    }
    if (a.pattern >= 0 &&
        !qemuio_verify(buf, a.pattern, a.offset, a.pattern_offset,
                       a.pattern_count)) {
        ret = -EINVAL;
    }
    if (a.vflag) {
        qemuio_dump_buffer(buf, a.offset, a.count);
    }
    if (!a.qflag) {
        qemuio_print_report("read", t0, a.offset, a.count, a.count, 1,
                            a.cflag);
    }
out:
    free(buf);
    return ret;
}

/* write */

typedef struct WriteArgs {
    bool cflag, qflag, zflag;
    bool pflag;
    int pattern;
    BdrvRequestFlags flags;
    int64_t offset;
    int64_t count;
} WriteArgs;

static bool write_check_opts(WriteArgs *a)
{
    if (a->zflag && a->pflag) {
        printf("Only one of -z, -P, and -s can be specified at the same "
               "time\n");
        return false;
    }
    if ((a->flags & BDRV_REQ_MAY_UNMAP) && !a->zflag) {
        printf("-u requires -z to be specified\n");
        return false;
    }
    if ((a->flags & BDRV_REQ_NO_FALLBACK) && !a->zflag) {
        printf("-n requires -z to be specified\n");
        return false;
    }
    return true;
}

static bool write_parse_opts(const char *name, int argc, char **argv,
                             WriteArgs *a)
{
    int c;

    optind = 0;
    while ((c = getopt(argc, argv, "CfnP:quz")) != -1) {
        switch (c) {
        case 'C':
            a->cflag = true;
            break;
        case 'f':
            a->flags |= BDRV_REQ_FUA;
            break;
        case 'n':
            a->flags |= BDRV_REQ_NO_FALLBACK;
            break;
        case 'P':
            a->pflag = true;
            if (!qemuio_parse_pattern(optarg, &a->pattern)) {
                return false;
            }
            break;
        case 'q':
            a->qflag = true;
            break;
        case 'u':
            a->flags |= BDRV_REQ_MAY_UNMAP;
            break;
        case 'z':
            a->zflag = true;
            break;
        default:
            qemuio_usage(name);
            return false;
        }
    }
    if (optind != argc - 2) {
        qemuio_usage(name);
        return false;
    }
    return write_check_opts(a) &&
           qemuio_parse_num(argv[optind], &a->offset) &&
           qemuio_parse_len(argv[optind + 1], &a->count);
}

static int write_f(BlockBackend *blk, int argc, char **argv)
{
    WriteArgs a = { .pattern = 0xcd };
    void *buf = NULL;
    int64_t t0;
    int ret;

    if (!write_parse_opts("write", argc, argv, &a)) {
        return -EINVAL;
    }
    t0 = qemuio_now_ns();
    if (a.zflag) {
        ret = blk_pwrite_zeroes(blk, a.offset, a.count, a.flags);
    } else {
        buf = qemuio_alloc(a.count, a.pattern);
        ret = buf ? blk_pwrite(blk, a.offset, a.count, buf, a.flags)
                  : -ENOMEM;
    }
    t0 = qemuio_now_ns() - t0;
    free(buf);
    if (ret < 0) {
        printf("write failed: %s\n", strerror(-ret));
        return ret;
    }
    if (!a.qflag) {
        qemuio_print_report("wrote", t0, a.offset, a.count, a.count, 1,
                            a.cflag);
    }
    return 0;
}

/* discard, flush */

static int discard_f(BlockBackend *blk, int argc, char **argv)
{
    bool cflag = false, qflag = false;
    int64_t offset, bytes, t0;
    int c, ret;

    optind = 0;
    while ((c = getopt(argc, argv, "Cq")) != -1) {
        if (c == 'C') {
            cflag = true;
        } else if (c == 'q') {
            qflag = true;
        } else {
            qemuio_usage("discard");
            return -EINVAL;
        }
    }
    if (optind != argc - 2) {
        qemuio_usage("discard");
        return -EINVAL;
    }
    if (!qemuio_parse_num(argv[optind], &offset) ||
        !qemuio_parse_len(argv[optind + 1], &bytes)) {
        return -EINVAL;
    }
    t0 = qemuio_now_ns();
    ret = blk_pdiscard(blk, offset, bytes);
    t0 = qemuio_now_ns() - t0;
    if (ret < 0) {
        printf("discard failed: %s\n", strerror(-ret));
        return ret;
    }
    if (!qflag) {
        qemuio_print_report("discard", t0, offset, bytes, bytes, 1, cflag);
    }
    return 0;
}

static int flush_f(BlockBackend *blk, int argc, char **argv)
{
    int ret = blk_flush(blk);

    if (ret < 0) {
        printf("flush failed: %s\n", strerror(-ret));
    }
    return ret;
}

/* aio_read, aio_write, aio_flush */

typedef struct AioCtx {
    BlockBackend *blk;
    bool write;
    bool zflag;
    ReadArgs r;
    WriteArgs w;
    void *buf;
    int64_t t0;
} AioCtx;

static void coroutine_fn aio_co_entry(void *opaque)
{
    AioCtx *ctx = opaque;
    int64_t offset = ctx->write ? ctx->w.offset : ctx->r.offset;
    int64_t count = ctx->write ? ctx->w.count : ctx->r.count;
    QEMUIOVector qiov;
    int ret;

    qemu_iovec_init_buf(&qiov, ctx->buf, count);
    if (ctx->zflag) {
        ret = blk_co_pwrite_zeroes(ctx->blk, offset, count, ctx->w.flags);
    } else if (ctx->write) {
        ret = blk_co_pwritev(ctx->blk, offset, count, &qiov, ctx->w.flags);
    } else {
        ret = blk_co_preadv(ctx->blk, offset, count, &qiov, 0);
    }
    ctx->t0 = qemuio_now_ns() - ctx->t0;
    if (ret < 0) {
        printf("%s failed: %s\n", ctx->write ? "aio_write" : "aio_read",
               strerror(-ret));
    } else if (!ctx->write) {
        if (ctx->r.pattern >= 0) {
            qemuio_verify(ctx->buf, ctx->r.pattern, offset, 0, count);
        }
        if (ctx->r.vflag) {
            qemuio_dump_buffer(ctx->buf, offset, count);
        }
    }
    if (ret >= 0 && !(ctx->write ? ctx->w.qflag : ctx->r.qflag)) {
        qemuio_print_report(ctx->write ? "wrote" : "read", ctx->t0, offset,
                            count, count, 1,
                            ctx->write ? ctx->w.cflag : ctx->r.cflag);
    }
    fflush(stdout);
    blk_unref(ctx->blk);
    free(ctx->buf);
    g_free(ctx);
}

static int aio_start(AioCtx *ctx)
{
    Coroutine *co;

    if (!ctx->buf) {
        printf("%s failed: %s\n", ctx->write ? "aio_write" : "aio_read",
               strerror(ENOMEM));
        g_free(ctx);
        return -ENOMEM;
    }
    co = qemu_coroutine_create(aio_co_entry, ctx);
    blk_ref(ctx->blk);
    ctx->t0 = qemuio_now_ns();
    qemu_coroutine_enter(co);
    return 0;
}

static int aio_read_f(BlockBackend *blk, int argc, char **argv)
{
    AioCtx *ctx = g_new0(AioCtx, 1);
    int c;

    ctx->r.pattern = -1;
    optind = 0;
    while ((c = getopt(argc, argv, "CP:qv")) != -1) {
        if (c == 'C') {
            ctx->r.cflag = true;
        } else if (c == 'q') {
            ctx->r.qflag = true;
        } else if (c == 'v') {
            ctx->r.vflag = true;
        } else if (c != 'P' || !qemuio_parse_pattern(optarg,
                                                     &ctx->r.pattern)) {
            goto fail_usage;
        }
    }
    if (optind != argc - 2) {
        goto fail_usage;
    }
    if (!qemuio_parse_num(argv[optind], &ctx->r.offset) ||
        !qemuio_parse_len(argv[optind + 1], &ctx->r.count)) {
        g_free(ctx);
        return -EINVAL;
    }
    ctx->blk = blk;
    ctx->buf = qemuio_alloc(ctx->r.count, 0xab);
    return aio_start(ctx);

fail_usage:
    if (c != 'P') {
        /* a bad pattern was reported by qemuio_parse_pattern() */
        qemuio_usage("aio_read");
    }
    g_free(ctx);
    return -EINVAL;
}

static int aio_write_f(BlockBackend *blk, int argc, char **argv)
{
    AioCtx *ctx = g_new0(AioCtx, 1);

    ctx->w.pattern = 0xcd;
    if (!write_parse_opts("aio_write", argc, argv, &ctx->w)) {
        g_free(ctx);
        return -EINVAL;
    }
    ctx->blk = blk;
    ctx->write = true;
    ctx->zflag = ctx->w.zflag;
    ctx->buf = qemuio_alloc(ctx->w.zflag ? 0 : ctx->w.count,
                            ctx->w.pattern);
    return aio_start(ctx);
}

static int aio_flush_f(BlockBackend *blk, int argc, char **argv)
{
    blk_drain(blk);
    return 0;
}

/* help */

static int help_f(BlockBackend *blk, int argc, char **argv);

static const QemuIoCmd qemuio_cmds[] = {
    { "aio_flush", aio_flush_f, 0, 0, "",
      "completes all outstanding aio requests", NULL },
    { "aio_read", aio_read_f, 2, -1, "[-Cqv] [-P pattern] off len",
      "asynchronously reads a number of bytes",
      " -C, -- report statistics in a machine parsable format\n"
      " -P, -- use a pattern to verify read data\n"
      " -q, -- quiet mode, do not show I/O statistics\n"
      " -v, -- dump buffer to standard output\n" },
    { "aio_write", aio_write_f, 2, -1,
      "[-Cfquz] [-P pattern] off len",
      "asynchronously writes a number of bytes",
      " -C, -- report statistics in a machine parsable format\n"
      " -f, -- use Force Unit Access semantics\n"
      " -P, -- use different pattern to fill file\n"
      " -q, -- quiet mode, do not show I/O statistics\n"
      " -u, -- with -z, allow unmapping\n"
      " -z, -- write zeroes using blk_co_pwrite_zeroes\n" },
    { "discard", discard_f, 2, -1, "[-Cq] off len",
      "discards a number of bytes at a specified offset",
      " -C, -- report statistics in a machine parsable format\n"
      " -q, -- quiet mode, do not show I/O statistics\n" },
    { "flush", flush_f, 0, 0, "",
      "flush all in-core file state to disk", NULL },
    { "help", help_f, 0, 1, "[command]",
      "help for one or all commands", NULL },
    { "info", info_f, 0, 0, "",
      "prints information about the current file", NULL },
    { "length", length_f, 0, 0, "",
      "gets the length of the current file", NULL },
    { "map", map_f, 0, 0, "",
      "prints the allocated areas of a file", NULL },
    { "read", read_f, 2, -1,
      "[-abCqv] [-P pattern [-s off] [-l len]] off len",
      "reads a number of bytes at a specified offset",
      " -C, -- report statistics in a machine parsable format\n"
      " -l, -- length for pattern verification (only with -P)\n"
      " -p, -- ignored for backwards compatibility\n"
      " -P, -- use a pattern to verify read data\n"
      " -q, -- quiet mode, do not show I/O statistics\n"
      " -s, -- start offset for pattern verification (only with -P)\n"
      " -v, -- dump buffer to standard output\n" },
    { "reopen", reopen_f, 0, -1, "[(-r|-w)]",
      "reopens an image with new options",
      " -r, -- Reopen the image read-only\n"
      " -w, -- Reopen the image read-write\n" },
    { "truncate", truncate_f, 1, 3, "[-m prealloc_mode] off",
      "truncates the current file at the given offset",
      " -m, -- preallocation mode (off, metadata, falloc, full)\n" },
    { "write", write_f, 2, -1,
      "[-bcCfnquz] [-P pattern] off len",
      "writes a number of bytes at a specified offset",
      " -C, -- report statistics in a machine parsable format\n"
      " -f, -- use Force Unit Access semantics\n"
      " -n, -- with -z, don't allow slow fallback\n"
      " -P, -- use different pattern to fill file\n"
      " -q, -- quiet mode, do not show I/O statistics\n"
      " -u, -- with -z, allow unmapping\n"
      " -z, -- write zeroes using blk_pwrite_zeroes\n" },
};

static const QemuIoCmd *qemuio_find(const char *name)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(qemuio_cmds); i++) {
        if (!strcmp(qemuio_cmds[i].name, name)) {
            return &qemuio_cmds[i];
        }
    }
    return NULL;
}

static int help_f(BlockBackend *blk, int argc, char **argv)
{
    const QemuIoCmd *c;
    size_t i;

    if (argc == 1) {
        for (i = 0; i < ARRAY_SIZE(qemuio_cmds); i++) {
            qemuio_usage(qemuio_cmds[i].name);
        }
        printf("\nUse 'help commandname' for extended help.\n");
        return 0;
    }
    c = qemuio_find(argv[1]);
    if (!c) {
        printf("command %s not found\n", argv[1]);
        return -EINVAL;
    }
    qemuio_usage(c->name);
    if (c->help) {
        printf("\n%s", c->help);
    }
    printf("\n");
    return 0;
}

/* Dispatch */

static bool qemuio_check_argc(const QemuIoCmd *c, int argc)
{
    int n = argc - 1;

    if (n >= c->argmin && (c->argmax < 0 || n <= c->argmax)) {
        return true;
    }
    if (c->argmax < 0) {
        fprintf(stderr, "bad argument count %d to %s, expected at least "
                "%d arguments\n", n, c->name, c->argmin);
    } else if (c->argmin == c->argmax) {
        fprintf(stderr, "bad argument count %d to %s, expected %d "
                "arguments\n", n, c->name, c->argmin);
    } else {
        fprintf(stderr, "bad argument count %d to %s, expected between "
                "%d and %d arguments\n", n, c->name, c->argmin, c->argmax);
    }
    return false;
}

int qemuio_command(BlockBackend *blk, const char *cmd)
{
    g_auto(GStrv) argv = NULL;
    const QemuIoCmd *c;
    GError *err = NULL;
    int argc, ret;

    if (!g_shell_parse_argv(cmd, &argc, &argv, &err)) {
        if (g_error_matches(err, G_SHELL_ERROR, G_SHELL_ERROR_EMPTY_STRING)) {
            g_error_free(err);
            return 0;
        }
        fprintf(stderr, "cannot parse command: %s\n", err->message);
        g_error_free(err);
        return -EINVAL;
    }
    c = qemuio_find(argv[0]);
    if (!c) {
        fprintf(stderr, "command \"%s\" not found\n", argv[0]);
        return -EINVAL;
    }
    if (!qemuio_check_argc(c, argc)) {
        return -EINVAL;
    }
    ret = c->func(blk, argc, argv);
    fflush(stdout);
    return ret < 0 ? ret : 0;
}
