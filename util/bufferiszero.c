/*
 * bufferiszero.c: fast test for all-zero memory.
 *
 * Each implementation loads the first and last vector unaligned (they may
 * overlap the middle), then walks the aligned middle in blocks of four
 * vectors, OR-ing them together and returning at the first non-zero
 * block.  Short buffers go to the word loop, whose set-up is cheapest.
 */
#include "util/osdep.h"
#include "util/buffer-is-zero.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define BUFZERO_X86 1
#endif

/* A 64-bit load that may alias any object. */
typedef uint64_t __attribute__((may_alias)) bufzero_u64;

static uint64_t load_u64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

static bool buffer_zero_small(const uint8_t *p, size_t len)
{
    uint8_t acc = 0;

    if (len >= 8) {
        return !(load_u64(p) | load_u64(p + len - 8) |
                 (len > 16 ? load_u64(p + 8) : 0) |
                 (len > 16 ? load_u64(p + len - 16) : 0)) &&
               (len <= 32 || buffer_zero_small(p + 16, len - 32));
    }
    for (size_t i = 0; i < len; i++) {
        acc |= p[i];
    }
    return acc == 0;
}

static bool buffer_zero_scalar(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    const uint8_t *end = p + len;
    const bufzero_u64 *w;
    const bufzero_u64 *wend;
    uint64_t t;

    if (len < 64) {
        return buffer_zero_small(p, len);
    }
    if (load_u64(p) | load_u64(end - 8)) {
        return false;
    }
    w = (const bufzero_u64 *)(((uintptr_t)p + 7) & ~(uintptr_t)7);
    wend = (const bufzero_u64 *)((uintptr_t)end & ~(uintptr_t)7);
    for (; w + 8 <= wend; w += 8) {
        t = w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7];
        if (t) {
            return false;
        }
    }
    t = 0;
    for (; w < wend; w++) {
        t |= *w;
    }
    return t == 0;
}

#ifdef BUFZERO_X86
static bool sse2_is_zero(__m128i t)
{
    return _mm_movemask_epi8(_mm_cmpeq_epi8(t, _mm_setzero_si128())) ==
           0xffff;
}

static bool buffer_zero_sse2(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    const uint8_t *end = p + len;
    const __m128i *v;
    const __m128i *vend;
    __m128i t;

    if (len < 64) {
        return buffer_zero_small(p, len);
    }
    t = _mm_or_si128(_mm_loadu_si128((const __m128i *)p),
                     _mm_loadu_si128((const __m128i *)(end - 16)));
    if (!sse2_is_zero(t)) {
        return false;
    }
    v = (const __m128i *)(((uintptr_t)p + 15) & ~(uintptr_t)15);
    vend = (const __m128i *)((uintptr_t)end & ~(uintptr_t)15);
    for (; v + 4 <= vend; v += 4) {
        t = _mm_or_si128(_mm_or_si128(v[0], v[1]),
                         _mm_or_si128(v[2], v[3]));
        if (!sse2_is_zero(t)) {
            return false;
        }
    }
    t = _mm_setzero_si128();
    for (; v < vend; v++) {
        t = _mm_or_si128(t, *v);
    }
    return sse2_is_zero(t);
}

static bool __attribute__((target("avx2")))
buffer_zero_avx2(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    const uint8_t *end = p + len;
    const __m256i *v;
    const __m256i *vend;
    __m256i t;

    if (len < 128) {
        return buffer_zero_sse2(p, len);
    }
    t = _mm256_or_si256(_mm256_loadu_si256((const __m256i *)p),
                        _mm256_loadu_si256((const __m256i *)(end - 32)));
    if (!_mm256_testz_si256(t, t)) {
        return false;
    }
    v = (const __m256i *)(((uintptr_t)p + 31) & ~(uintptr_t)31);
    vend = (const __m256i *)((uintptr_t)end & ~(uintptr_t)31);
    for (; v + 8 <= vend; v += 8) {
        t = _mm256_or_si256(
            _mm256_or_si256(_mm256_or_si256(v[0], v[1]),
                            _mm256_or_si256(v[2], v[3])),
            _mm256_or_si256(_mm256_or_si256(v[4], v[5]),
                            _mm256_or_si256(v[6], v[7])));
        if (!_mm256_testz_si256(t, t)) {
            return false;
        }
    }
    t = _mm256_setzero_si256();
    for (; v < vend; v++) {
        t = _mm256_or_si256(t, *v);
    }
    return _mm256_testz_si256(t, t);
}
#endif

typedef bool BufferZeroFn(const void *buf, size_t len);

static const struct {
    const char *name;
    BufferZeroFn *fn;
} bufzero_impls[BUFFER_ZERO__MAX] = {
    [BUFFER_ZERO_SCALAR] = { "scalar", buffer_zero_scalar },
#ifdef BUFZERO_X86
    [BUFFER_ZERO_SSE2] = { "sse2", buffer_zero_sse2 },
    [BUFFER_ZERO_AVX2] = { "avx2", buffer_zero_avx2 },
#else
    [BUFFER_ZERO_SSE2] = { "sse2", NULL },
    [BUFFER_ZERO_AVX2] = { "avx2", NULL },
#endif
};

/* Chosen once by the constructor below; read-only afterwards. */
static BufferZeroFn *bufzero_best = buffer_zero_scalar;

bool buffer_is_zero_accel_supported(BufferZeroAccel accel)
{
    if (accel >= BUFFER_ZERO__MAX || !bufzero_impls[accel].fn) {
        return false;
    }
#ifdef BUFZERO_X86
    if (accel == BUFFER_ZERO_AVX2) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2");
    }
    if (accel == BUFFER_ZERO_SSE2) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("sse2");
    }
#endif
    return true;
}

const char *buffer_is_zero_accel_name(BufferZeroAccel accel)
{
    return accel < BUFFER_ZERO__MAX ? bufzero_impls[accel].name : "?";
}

bool buffer_is_zero_accel(BufferZeroAccel accel, const void *buf, size_t len)
{
    g_assert(buffer_is_zero_accel_supported(accel));
    return bufzero_impls[accel].fn(buf, len);
}

static void __attribute__((constructor)) buffer_is_zero_init(void)
{
    for (int i = BUFFER_ZERO__MAX - 1; i >= 0; i--) {
        if (buffer_is_zero_accel_supported(i)) {
            bufzero_best = bufzero_impls[i].fn;
            return;
        }
    }
}

bool buffer_is_zero(const void *buf, size_t len)
{
    if (len < 64) {
        return buffer_zero_small(buf, len);
    }
    return bufzero_best(buf, len);
}
