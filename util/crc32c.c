/*
 * crc32c.c: CRC-32C, with the SSE4.2 crc32 instruction when the CPU has it
 * and a slicing-by-8 table otherwise.
 */
#include "util/osdep.h"
#include "util/crc32c.h"

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define CRC32C_HAVE_X86 1
#endif

#define CRC32C_POLY_REFLECTED 0x82F63B78u

/* crc32c_tab[k][b]: the CRC of byte b followed by k zero bytes. */
static uint32_t crc32c_tab[8][256];

static void crc32c_init_table(void)
{
    for (unsigned b = 0; b < 256; b++) {
        uint32_t c = b;

        for (int i = 0; i < 8; i++) {
            c = (c >> 1) ^ ((c & 1) ? CRC32C_POLY_REFLECTED : 0);
        }
        crc32c_tab[0][b] = c;
    }
    for (unsigned b = 0; b < 256; b++) {
        uint32_t c = crc32c_tab[0][b];

        for (int k = 1; k < 8; k++) {
            c = crc32c_tab[0][c & 0xff] ^ (c >> 8);
            crc32c_tab[k][b] = c;
        }
    }
}

static void crc32c_table_once(void)
{
    static gsize done;

    if (g_once_init_enter(&done)) {
        crc32c_init_table();
        g_once_init_leave(&done, 1);
    }
}

static inline uint32_t crc32c_load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

uint32_t crc32c_table(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    uint32_t c = ~crc;

    crc32c_table_once();
    while (len && ((uintptr_t)p & 7)) {
        c = crc32c_tab[0][(c ^ *p++) & 0xff] ^ (c >> 8);
        len--;
    }
    while (len >= 8) {
        uint32_t lo = crc32c_load_le32(p) ^ c;
        uint32_t hi = crc32c_load_le32(p + 4);

        c = crc32c_tab[7][lo & 0xff] ^ crc32c_tab[6][(lo >> 8) & 0xff] ^
            crc32c_tab[5][(lo >> 16) & 0xff] ^ crc32c_tab[4][lo >> 24] ^
            crc32c_tab[3][hi & 0xff] ^ crc32c_tab[2][(hi >> 8) & 0xff] ^
            crc32c_tab[1][(hi >> 16) & 0xff] ^ crc32c_tab[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--) {
        c = crc32c_tab[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    }
    return ~c;
}

#ifdef CRC32C_HAVE_X86

#ifdef __x86_64__
/*
 * The crc32 instruction has a latency of 3 cycles and a throughput of 1,
 * so three independent lanes of LANE bytes run about three times faster
 * than one.  The lanes' raw (uninverted) states are then joined:
 * crc(A B C) = crc(A) * x^(16 LANE) + crc(B) * x^(8 LANE) + crc(C), mod P.
 */
#define CRC32C_LANE 8192

/* a * b mod P, both in the reflected representation (bit 31 = x^0). */
static uint32_t crc32c_gf2_mul(uint32_t a, uint32_t b)
{
    uint32_t prod = 0;

    for (int i = 0; i < 32; i++) {
        if (a & (0x80000000u >> i)) {
            prod ^= b;
        }
        b = (b >> 1) ^ ((b & 1) ? CRC32C_POLY_REFLECTED : 0);
    }
    return prod;
}

/* x^(8 LANE) and x^(16 LANE) mod P: the raw CRC of zeros from state 1. */
static uint32_t crc32c_shift1, crc32c_shift2;

static void crc32c_lane_constants(void)
{
    static gsize done;

    if (g_once_init_enter(&done)) {
        uint32_t c = 0x80000000u;

        crc32c_table_once();
        for (int i = 0; i < CRC32C_LANE; i++) {
            c = crc32c_tab[0][c & 0xff] ^ (c >> 8);
        }
        crc32c_shift1 = c;
        crc32c_shift2 = crc32c_gf2_mul(c, c);
        g_once_init_leave(&done, 1);
    }
}

/* Whole rounds of three lanes; returns the raw state, advances *pp. */
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42_lanes(uint32_t c, const uint8_t **pp,
                                   size_t *plen)
{
    const uint8_t *p = *pp;
    size_t len = *plen;

    crc32c_lane_constants();
    while (len >= 3 * CRC32C_LANE) {
        uint64_t c0 = c, c1 = 0, c2 = 0;

        for (size_t i = 0; i < CRC32C_LANE; i += 8) {
            uint64_t v0, v1, v2;

            memcpy(&v0, p + i, 8);
            memcpy(&v1, p + CRC32C_LANE + i, 8);
            memcpy(&v2, p + 2 * CRC32C_LANE + i, 8);
            c0 = _mm_crc32_u64(c0, v0);
            c1 = _mm_crc32_u64(c1, v1);
            c2 = _mm_crc32_u64(c2, v2);
        }
        c = crc32c_gf2_mul((uint32_t)c0, crc32c_shift2) ^
            crc32c_gf2_mul((uint32_t)c1, crc32c_shift1) ^ (uint32_t)c2;
        p += 3 * CRC32C_LANE;
        len -= 3 * CRC32C_LANE;
    }
    *pp = p;
    *plen = len;
    return c;
}
#endif

__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p, size_t len)
{
    uint32_t c = ~crc;

    while (len && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8(c, *p++);
        len--;
    }
#ifdef __x86_64__
    c = crc32c_sse42_lanes(c, &p, &len);
    {
        uint64_t c64 = c;

        while (len >= 8) {
            uint64_t v;

            memcpy(&v, p, 8);
            c64 = _mm_crc32_u64(c64, v);
            p += 8;
            len -= 8;
        }
        c = (uint32_t)c64;
    }
#endif
    while (len >= 4) {
        uint32_t v;

        memcpy(&v, p, 4);
        c = _mm_crc32_u32(c, v);
        p += 4;
        len -= 4;
    }
    while (len--) {
        c = _mm_crc32_u8(c, *p++);
    }
    return ~c;
}

bool crc32c_hw_available(void)
{
    static gsize state;     /* 0 unknown, 1 no, 2 yes */

    if (g_once_init_enter(&state)) {
        __builtin_cpu_init();
        g_once_init_leave(&state, __builtin_cpu_supports("sse4.2") ? 2 : 1);
    }
    return state == 2;
}

uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
    g_assert(crc32c_hw_available());
    return crc32c_sse42(crc, buf, len);
}

#else /* !CRC32C_HAVE_X86 */

bool crc32c_hw_available(void)
{
    return false;
}

uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
    g_assert_not_reached();
}

#endif

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
#ifdef CRC32C_HAVE_X86
    if (crc32c_hw_available()) {
        return crc32c_sse42(crc, buf, len);
    }
#endif
    return crc32c_table(crc, buf, len);
}
