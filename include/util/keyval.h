/*
 * keyval.h: QEMU's KEY=VALUE,... option strings.
 *
 * Two dialects, as QEMU has (see docs/devel/json.md):
 * - keyval (-machine, -blockdev, -display, -incoming channels...):
 *   dotted keys build nested objects and arrays, no bare flags;
 * - QemuOpts (-chardev, -mon, -m, -name, -accel, -object, -trace):
 *   flat keys, bare "key" / "nokey" flags.
 * Both return a JsonObject whose leaves are all strings; the caller
 * converts them (e.g. with qapi_bool_parse(), qemu_strtosz()).
 * All functions are safe in any thread.
 */
#ifndef UTIL_KEYVAL_H
#define UTIL_KEYVAL_H

#include "util/osdep.h"
#include <json-glib/json-glib.h>

/**
 * keyval_parse:
 * @params: the text, e.g. "a=b,c.d=e,l.0=x"
 * @implied_key: (nullable): the key of a first element without '='
 * @p_help: (nullable) (out): set to whether an element "help" or "?"
 *          was present; if NULL, such an element is an error
 * @errp: error out
 *
 * Parse keyval syntax into a tree: "c.d=e" gives {"c": {"d": "e"}},
 * numeric fragments make arrays ("l.0=x,l.1=y" gives {"l": ["x",
 * "y"]}), ",," is a literal comma in a value, the last of several
 * values for one key wins.  Only the first element may be a value for
 * @implied_key, and that value cannot contain ',' or '='.  Key
 * fragments are QAPI names (or digits after the first), 1..127
 * characters.  Errors are QEMU's: "Expected '=' after parameter 'foo'",
 * "Invalid parameter 'x!'", "Parameter 'k' is too long",
 * "Parameters 'a.*' used inconsistently", "Parameter 'l.0' missing",
 * "Help is not available for this option".
 *
 * Returns: (transfer full): the object, or NULL with @errp set
 */
JsonObject *keyval_parse(const char *params, const char *implied_key,
                         bool *p_help, GError **errp);

/**
 * qemu_opts_parse_flat:
 * @params: the text, e.g. "socket,id=c0,path=/tmp/s,server=on"
 * @implied_key: (nullable): the key of a first element without '='
 * @short_bool_silent: accept bare flags without the deprecation warning
 *                     (QEMU's legacy shorthands such as -qmp ...,server)
 * @errp: error out
 *
 * Parse QemuOpts syntax: flat keys; the first element may be a value
 * for @implied_key (",," in it is a comma, '=' is allowed after the
 * first ","); a bare "key" means key=on and "nokey" key=off, with the
 * warning "short-form boolean option 'key' deprecated" and a line
 * "Please use key=on instead" on stderr unless @short_bool_silent; a
 * bare "help" or "?" gives "help": "on" without a warning; a repeated
 * key takes its last value.  The only error is an empty key
 * ("Invalid parameter ''"); unknown keys are for the caller to reject
 * (QEMU: "Invalid parameter 'KEY'").
 *
 * Returns: (transfer full): the object, or NULL with @errp set
 */
JsonObject *qemu_opts_parse_flat(const char *params, const char *implied_key,
                                 bool short_bool_silent, GError **errp);

#endif /* UTIL_KEYVAL_H */
