/*
 * cutils.c: number, size and boolean parsing with QEMU's semantics.
 */
#include "util/osdep.h"
#include "util/cutils.h"
#include "util/error.h"

/*
 * The common tail of the strto*() wrappers: @ep is where libc stopped,
 * @libc_errno its errno.
 */
static int qemu_strtox_check(const char *nptr, const char *ep,
                             const char **endptr, int libc_errno)
{
    if (endptr) {
        *endptr = ep;
    }
    if (libc_errno == 0 && ep == nptr) {
        return -EINVAL;         /* no conversion */
    }
    if (!endptr && *ep) {
        return -EINVAL;         /* trailing characters */
    }
    return -libc_errno;
}

int qemu_strtoi64(const char *nptr, const char **endptr, int base,
                  int64_t *result)
{
    char *ep;
    int ret;

    if (!nptr) {
        *result = 0;
        if (endptr) {
            *endptr = nptr;
        }
        return -EINVAL;
    }
    errno = 0;
    *result = strtoll(nptr, &ep, base);
    ret = qemu_strtox_check(nptr, ep, endptr, errno);
    if (ret == -EINVAL) {
        *result = 0;
    }
    return ret;
}

int qemu_strtou64(const char *nptr, const char **endptr, int base,
                  uint64_t *result)
{
    char *ep;
    int ret;

    if (!nptr) {
        *result = 0;
        if (endptr) {
            *endptr = nptr;
        }
        return -EINVAL;
    }
    errno = 0;
    *result = strtoull(nptr, &ep, base);
    if (errno == ERANGE) {
        *result = UINT64_MAX;
    }
    ret = qemu_strtox_check(nptr, ep, endptr, errno);
    if (ret == -EINVAL) {
        *result = 0;
    }
    return ret;
}

/* Multiplier of a size suffix (case-insensitive), or 0 if none. */
static uint64_t qemu_size_suffix(char c)
{
    static const char suffixes[] = "BKMGTPE";
    const char *p;

    if (!c) {
        return 0;
    }
    p = strchr(suffixes, g_ascii_toupper(c));
    return p ? UINT64_C(1) << (10 * (p - suffixes)) : 0;
}

/* The number part of a size: integral part and 64-bit binary fraction. */
typedef struct SizeNumber {
    uint64_t val;
    uint64_t frac;              /* fraction * 2^64 */
    bool negative;
    bool hex;
    int err;                    /* -ERANGE if the integral part overflows */
} SizeNumber;

/* Digits after the decimal point at @p as a fraction * 2^64. */
static uint64_t qemu_size_fraction(const char *p, const char *end)
{
    double fraction = 0;

    while (end > p) {
        fraction = (fraction + (*--end - '0')) / 10;
    }
    fraction *= 0x1p64;
    return fraction >= 0x1p64 ? UINT64_MAX : (uint64_t)fraction;
}

/* Parse the number part of a size at @p; returns its end, NULL if none. */
static const char *qemu_size_number(const char *p, SizeNumber *n)
{
    const char *digits, *frac;

    while (g_ascii_isspace(*p)) {
        p++;
    }
    n->negative = *p == '-';
    if (*p == '-' || *p == '+') {
        p++;
    }
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        g_ascii_isxdigit(p[2])) {
        n->hex = true;
        n->err = qemu_strtou64(p, &p, 16, &n->val);
        return p;
    }
    for (digits = p; g_ascii_isdigit(*p); p++) {
        /* skip the integral digits */
    }
    if (p > digits) {
        g_autofree char *num = g_strndup(digits, p - digits);

        n->err = qemu_strtou64(num, NULL, 10, &n->val);
    }
    if (*p != '.') {
        return p > digits ? p : NULL;
    }
    for (frac = ++p; g_ascii_isdigit(*p); p++) {
        /* skip the fraction digits */
    }
    if (p == frac && frac - 1 == digits) {
        return NULL;            /* a lone '.' */
    }
    n->frac = qemu_size_fraction(frac, p);
    return p;
}

/* val * mul + frac * mul rounded, or -ERANGE. */
static int qemu_size_scale(const SizeNumber *n, uint64_t mul,
                           uint64_t *result)
{
    unsigned __int128 total = (unsigned __int128)n->val * mul;

    total += ((unsigned __int128)n->frac * mul + (UINT64_C(1) << 63)) >> 64;
    if (total > UINT64_MAX) {
        return -ERANGE;
    }
    *result = total;
    return 0;
}

/* The multiplier for the suffix at *@p (advancing past it), or 0. */
static uint64_t qemu_size_mul(const SizeNumber *n, const char **p,
                              char default_suffix)
{
    uint64_t mul = qemu_size_suffix(**p);

    if (n->hex && (mul || **p == '.')) {
        return 0;               /* hex takes neither fraction nor suffix */
    }
    if (mul) {
        (*p)++;
        return mul;
    }
    mul = qemu_size_suffix(default_suffix);
    g_assert(mul);
    return mul;
}

int qemu_strtosz_end(const char *nptr, const char **end,
                     char default_suffix, uint64_t *result)
{
    SizeNumber n = { 0 };
    const char *p = qemu_size_number(nptr, &n);
    uint64_t mul;
    int ret;

    if (!p) {
        ret = -EINVAL;
    } else if (n.negative || n.err) {
        ret = -ERANGE;          /* checked before the suffix, as QEMU */
    } else {
        mul = qemu_size_mul(&n, &p, default_suffix);
        if (!mul || (mul == 1 && n.frac)) {
            ret = -EINVAL;      /* bad hex, or a fraction of a byte */
        } else {
            ret = qemu_size_scale(&n, mul, result);
        }
    }
    if (ret != -EINVAL && !end && *p) {
        ret = -EINVAL;          /* trailing characters */
    }
    if (end) {
        *end = ret == -EINVAL ? nptr : p;
    }
    if (ret) {
        *result = 0;
    }
    return ret;
}

bool qemu_strtosz(const char *str, uint64_t *result, char default_suffix,
                  const char *name, GError **errp)
{
    int ret = qemu_strtosz_end(str, NULL, default_suffix, result);

    name = name ? name : "size";
    if (ret == -ERANGE) {
        error_setg(errp, "Value '%s' is out of range for parameter '%s'",
                   str, name);
        return false;
    }
    if (ret) {
        error_setg(errp,
                   "Parameter '%s' expects a non-negative number below 2^64",
                   name);
        return false;
    }
    return true;
}

bool qapi_bool_parse(const char *name, const char *value, bool *obj,
                     GError **errp)
{
    static const char *const yes[] = { "on", "yes", "true", "y" };
    static const char *const no[] = { "off", "no", "false", "n" };
    size_t i;

    for (i = 0; i < ARRAY_SIZE(yes); i++) {
        if (g_str_equal(value, yes[i])) {
            *obj = true;
            return true;
        }
        if (g_str_equal(value, no[i])) {
            *obj = false;
            return true;
        }
    }
    error_setg(errp, "Parameter '%s' expects 'on' or 'off'", name);
    return false;
}

static bool qapi_name_char(char c, bool prefix)
{
    return g_ascii_isalnum(c) || c == '-' || c == (prefix ? '.' : '_');
}

int parse_qapi_name(const char *str, bool complete)
{
    const char *p = str;

    if (p[0] == '_') {          /* downstream extension __RFQDN_ */
        if (p[1] != '_') {
            return -EINVAL;
        }
        for (p += 2; qapi_name_char(*p, true); p++) {
            /* skip the domain name */
        }
        if (*p != '_') {
            return -EINVAL;
        }
        p++;
    }
    if (!g_ascii_isalpha(*p)) {
        return -EINVAL;
    }
    for (p++; qapi_name_char(*p, false); p++) {
        /* skip the name */
    }
    if (complete && *p) {
        return -EINVAL;
    }
    return p - str;
}
