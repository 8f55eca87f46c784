/*
 * bench-zero-page: zero-page detection speed.  buffer_is_zero() scans
 * zero pages (its worst case: every byte is read) of a buffer larger than
 * the caches, compared with memcmp() against a zero page and with this
 * machine's memcpy() bandwidth (the bound of any scan of RAM).
 *
 * Output (one figure a line):
 *   buffer_is_zero IMPL: N GiB/s (ratio to memcpy X), in cache N GiB/s
 *   buffer_is_zero default: N GiB/s
 *   memcmp with zero page: N GiB/s, in cache N GiB/s
 *   memcpy: N GiB/s (read+write of the same bytes)
 *   ratio buffer_is_zero/memcmp: X
 *   nonzero pages (first byte set) per second: N
 */
#include "util/osdep.h"
#include "util/buffer-is-zero.h"

#define BUF_SIZE (256ULL << 20)
#define PAGE 4096
#define ROUNDS 5
#define CACHED_SIZE (256 << 10)
#define CACHED_REPS 4096

typedef bool ScanFn(const uint8_t *page, void *opaque);

static const uint8_t *zero_page;

static bool scan_default(const uint8_t *p, void *opaque)
{
    return buffer_is_zero(p, PAGE);
}

static bool scan_accel(const uint8_t *p, void *opaque)
{
    return buffer_is_zero_accel(*(BufferZeroAccel *)opaque, p, PAGE);
}

static bool scan_memcmp(const uint8_t *p, void *opaque)
{
    return memcmp(p, zero_page, PAGE) == 0;
}

/*
 * Best of ROUNDS runs, in GiB/s, each scanning the first @size bytes of
 * @buf @reps times; every page must be zero.
 */
static double bench_scan_size(const uint8_t *buf, uint64_t size, int reps,
                              ScanFn *fn, void *opaque)
{
    double best = 0;

    for (int r = 0; r < ROUNDS; r++) {
        int64_t start = g_get_monotonic_time();
        uint64_t zero = 0;

        for (int i = 0; i < reps; i++) {
            for (uint64_t off = 0; off < size; off += PAGE) {
                zero += fn(buf + off, opaque);
            }
        }
        g_assert(zero == size / PAGE * reps);
        best = MAX(best, (double)size * reps / (1 << 30) /
                         ((g_get_monotonic_time() - start + 1) / 1e6));
    }
    return best;
}

/* Out of cache: RAM bandwidth bound, as migration sees guest RAM. */
static double bench_scan(const uint8_t *buf, ScanFn *fn, void *opaque)
{
    return bench_scan_size(buf, BUF_SIZE, 1, fn, opaque);
}

/* In L2: the code's own speed. */
static double bench_scan_cached(const uint8_t *buf, ScanFn *fn, void *opaque)
{
    return bench_scan_size(buf, CACHED_SIZE, CACHED_REPS, fn, opaque);
}

static double bench_memcpy(uint8_t *dst, const uint8_t *src)
{
    double best = 0;

    for (int r = 0; r < ROUNDS; r++) {
        int64_t start = g_get_monotonic_time();

        memcpy(dst, src, BUF_SIZE);
        best = MAX(best, (double)BUF_SIZE / (1 << 30) /
                         ((g_get_monotonic_time() - start) / 1e6));
    }
    return best;
}

/* Early exit: pages whose first byte is set. */
static double bench_nonzero(uint8_t *buf)
{
    int64_t start;
    uint64_t nonzero = 0;
    uint64_t pages = BUF_SIZE / PAGE;

    for (uint64_t off = 0; off < BUF_SIZE; off += PAGE) {
        buf[off] = 1;
    }
    start = g_get_monotonic_time();
    for (uint64_t off = 0; off < BUF_SIZE; off += PAGE) {
        nonzero += !buffer_is_zero(buf + off, PAGE);
    }
    g_assert(nonzero == pages);
    return pages / ((g_get_monotonic_time() - start + 1) / 1e6);
}

int main(void)
{
    uint8_t *buf = g_aligned_alloc0(1, BUF_SIZE, PAGE);
    uint8_t *dst = g_aligned_alloc(1, BUF_SIZE, PAGE);
    double copy, def, cmp;

    /* Real pages, not the kernel's shared zero page. */
    memset(buf, 0, BUF_SIZE);
    memset(dst, 1, BUF_SIZE);
    zero_page = g_aligned_alloc0(1, PAGE, PAGE);
    copy = bench_memcpy(dst, buf);
    for (int i = 0; i < BUFFER_ZERO__MAX; i++) {
        BufferZeroAccel accel = i;
        double v;

        if (!buffer_is_zero_accel_supported(accel)) {
            printf("buffer_is_zero %s: not supported on this CPU\n",
                   buffer_is_zero_accel_name(accel));
            continue;
        }
        v = bench_scan(buf, scan_accel, &accel);
        printf("buffer_is_zero %s: %.2f GiB/s (ratio to memcpy %.2f), "
               "in cache %.2f GiB/s\n", buffer_is_zero_accel_name(accel),
               v, v / copy, bench_scan_cached(buf, scan_accel, &accel));
    }
    def = bench_scan(buf, scan_default, NULL);
    cmp = bench_scan(buf, scan_memcmp, NULL);
    printf("buffer_is_zero default: %.2f GiB/s\n", def);
    printf("memcmp with zero page: %.2f GiB/s, in cache %.2f GiB/s\n", cmp,
           bench_scan_cached(buf, scan_memcmp, NULL));
    printf("memcpy: %.2f GiB/s (read+write of the same bytes)\n", copy);
    printf("ratio buffer_is_zero/memcmp: %.2f\n", def / cmp);
    printf("nonzero pages (first byte set) per second: %.0f\n",
           bench_nonzero(buf));
    g_aligned_free((void *)zero_page);
    g_aligned_free(dst);
    g_aligned_free(buf);
    return 0;
}
