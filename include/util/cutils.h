/*
 * cutils.h: number, size and boolean parsing with QEMU's semantics.
 *
 * All functions are pure (no global state) and safe in any thread.
 */
#ifndef UTIL_CUTILS_H
#define UTIL_CUTILS_H

#include "util/osdep.h"

/**
 * qemu_strtoi64:
 * @nptr: (nullable): the text
 * @endptr: (nullable) (out): where the conversion stopped
 * @base: as strtoll() (0, or 2..36)
 * @result: (out): the value; clamped to INT64_MIN/INT64_MAX on -ERANGE,
 *          0 on -EINVAL
 *
 * strtoll() with QEMU's error convention.  Leading whitespace and a sign
 * are accepted.  With @endptr NULL, the whole string must be a number.
 *
 * Returns: 0, -EINVAL (no number, or trailing characters when @endptr
 * is NULL, or @nptr NULL), or -ERANGE (out of range)
 */
int qemu_strtoi64(const char *nptr, const char **endptr, int base,
                  int64_t *result);

/**
 * qemu_strtou64:
 *
 * As qemu_strtoi64() for uint64_t, with strtoull()'s semantics: a
 * negative number wraps around ("-1" is UINT64_MAX); on -ERANGE @result
 * is UINT64_MAX.
 */
int qemu_strtou64(const char *nptr, const char **endptr, int base,
                  uint64_t *result);

/**
 * qemu_strtosz_end:
 * @nptr: the text, e.g. "64k", "1.5G", "0x1000"
 * @end: (nullable) (out): where parsing stopped; with @end NULL the
 *       whole string must be a size
 * @default_suffix: the unit without a suffix: 'B' (bytes), 'K', 'M', ...
 * @result: (out): the size in bytes, 0 on error
 *
 * QEMU's size syntax: a decimal number, optionally with a fraction,
 * then an optional suffix B, k/K, M, G, T, P, E (case-insensitive,
 * powers of 1024); or a hexadecimal number with neither fraction nor
 * suffix.  Negative numbers are rejected.
 *
 * Returns: 0, -EINVAL (malformed) or -ERANGE (2^64 or more)
 */
int qemu_strtosz_end(const char *nptr, const char **end,
                     char default_suffix, uint64_t *result);

/**
 * qemu_strtosz:
 * @str: the whole text must be a size (see qemu_strtosz_end())
 * @result: (out): the size in bytes
 * @default_suffix: 'B' or 'M' (e.g. -m takes mebibytes by default)
 * @name: (nullable): the parameter name for messages ("size" if NULL)
 * @errp: error out
 *
 * Returns: true on success; false with @errp set to QEMU's text:
 * "Parameter 'NAME' expects a non-negative number below 2^64", or
 * "Value 'STR' is out of range for parameter 'NAME'".  Command-line
 * callers print QEMU_STRTOSZ_HINT after the former.
 */
bool qemu_strtosz(const char *str, uint64_t *result, char default_suffix,
                  const char *name, GError **errp);

/* The line QEMU prints after a bad size on the command line. */
#define QEMU_STRTOSZ_HINT \
    "Optional suffix k, M, G, T, P or E means kilo-, mega-, giga-, " \
    "tera-, peta-\nand exabytes, respectively."

/**
 * qapi_bool_parse:
 * @name: the parameter name for the message
 * @value: the text: on yes true y, or off no false n (exact case)
 * @obj: (out): the value
 * @errp: error out
 *
 * Returns: true on success; false with @errp set to
 * "Parameter 'NAME' expects 'on' or 'off'".
 */
bool qapi_bool_parse(const char *name, const char *value, bool *obj,
                     GError **errp);

/**
 * parse_qapi_name:
 * @str: the text
 * @complete: whether all of @str must be the name
 *
 * Length of the QAPI name at the start of @str: [a-zA-Z][a-zA-Z0-9_-]*,
 * optionally after a downstream prefix __RFQDN_.
 *
 * Returns: the length, or -EINVAL if there is no (complete) name
 */
int parse_qapi_name(const char *str, bool complete);

#endif /* UTIL_CUTILS_H */
