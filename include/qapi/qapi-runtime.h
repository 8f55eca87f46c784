/*
 * qapi-runtime.h: the small runtime under the generated QAPI code.
 *
 * - enum lookup tables (QEnumLookup) and their parse/print helpers;
 * - QType, the JSON kind of a value, used to pick an alternate's branch;
 * - QapiInput, the JSON -> C conversion context: it walks a json-glib tree,
 *   consumes members and list elements, tracks the path of what it is
 *   visiting ("a.b", "a[3]") and produces QEMU's error messages;
 * - the conversions of the built-in scalar types in both directions
 *   (qapi_in_<builtin>(), qapi_out_<builtin>()), which the generated code
 *   calls for members of those types.
 *
 * A QapiInput is used by one thread at a time; everything else here is
 * stateless and safe from any thread.
 */
#ifndef QAPI_QAPI_RUNTIME_H
#define QAPI_QAPI_RUNTIME_H

#include "util/osdep.h"
#include "util/error.h"

#include <json-glib/json-glib.h>

/* A generated enum's string table: array[value] is the value's name. */
typedef struct QEnumLookup {
    const char *const *array;
    int size;
} QEnumLookup;

/* The JSON kind of a value, in QEMU's order. */
typedef enum QType {
    QTYPE_NONE,
    QTYPE_QNULL,
    QTYPE_QNUM,
    QTYPE_QSTRING,
    QTYPE_QDICT,
    QTYPE_QLIST,
    QTYPE_QBOOL,
    QTYPE__MAX,
} QType;

/* How the input tree was made. */
typedef enum QapiInputFlags {
    QAPI_INPUT_NONE = 0,
    /*
     * Scalars may arrive as strings, as the command line's keyval parser
     * makes them: "42", "1G", "on", "1.5" are converted to the member's
     * type.  Values of the right JSON type are accepted as well.
     */
    QAPI_INPUT_KEYVAL = 1 << 0,
} QapiInputFlags;

/**
 * qapi_enum_lookup:
 * @lookup: a generated table
 * @val: an enum value
 *
 * Returns: the value's name (static), or "<invalid>" when @val is out of
 * range.  Any thread.
 */
const char *qapi_enum_lookup(const QEnumLookup *lookup, int val);

/**
 * qapi_enum_parse:
 * @lookup: a generated table
 * @buf: (nullable): the name to look up
 * @def: returned when @buf is NULL
 * @errp: error
 *
 * Returns: the value named @buf; @def when @buf is NULL; -1 with
 * "Parameter 'value' does not accept value 'BUF'"-style error
 * ("invalid parameter value: BUF") when no value has that name.
 */
int qapi_enum_parse(const QEnumLookup *lookup, const char *buf, int def,
                    GError **errp);

/**
 * qapi_json_qtype:
 * @node: (nullable): a json-glib node
 *
 * Returns: the QType of @node (QTYPE_NONE for NULL).
 */
QType qapi_json_qtype(JsonNode *node);

/* ---- JSON -> C --------------------------------------------------------- */

typedef struct QapiInput QapiInput;

/**
 * qapi_input_new:
 * @root: (nullable): the value to convert; borrowed, must outlive the input
 * @flags: how the tree was made
 *
 * Returns: (transfer full): a conversion context; free it with
 * qapi_input_free().
 */
QapiInput *qapi_input_new(JsonNode *root, QapiInputFlags flags);

/* Free a context (and whatever it still has on its stack). */
void qapi_input_free(QapiInput *in);

/* Whether the context converts keyval-made input. */
bool qapi_input_is_keyval(const QapiInput *in);

/**
 * qapi_input_optional:
 * @in: the context, inside an object
 * @name: a member name
 *
 * Returns: whether the current object has member @name.
 */
bool qapi_input_optional(QapiInput *in, const char *name);

/**
 * qapi_input_start_struct:
 * @in: the context
 * @name: (nullable): member name, NULL for a list element or the root
 * @errp: error ("Parameter 'X' is missing", "Invalid parameter type for
 *        'X', expected: object")
 *
 * Consumes the next value, which must be an object, and enters it.
 * On success the caller visits its members, calls
 * qapi_input_check_struct() and finally qapi_input_end().
 */
bool qapi_input_start_struct(QapiInput *in, const char *name, GError **errp);

/* Fails with "Parameter 'X' is unexpected" if a member was not visited. */
bool qapi_input_check_struct(QapiInput *in, GError **errp);

/* As qapi_input_start_struct(), for a list ("expected: array"). */
bool qapi_input_start_list(QapiInput *in, const char *name, GError **errp);

/* Whether the current list has an element not yet visited. */
bool qapi_input_list_has_next(QapiInput *in);

/* Leave the object or list entered last. */
void qapi_input_end(QapiInput *in);

/**
 * qapi_input_peek:
 * @in: the context
 * @name: (nullable): member name
 * @type: (out): the QType of the next value
 * @errp: "Parameter 'X' is missing"
 *
 * Looks at the next value without consuming it (for alternates).
 */
bool qapi_input_peek(QapiInput *in, const char *name, QType *type,
                     GError **errp);

/* The full path of member @name of the current container ("a.b[2]"). */
const char *qapi_input_path(QapiInput *in, const char *name);

/*
 * Scalar conversions: each consumes the next value (member @name, or the
 * next list element when @name is NULL) and fails with QEMU's message.
 */
bool qapi_in_str(QapiInput *in, const char *name, char **obj, GError **errp);
bool qapi_in_int(QapiInput *in, const char *name, int64_t *obj,
                 GError **errp);
bool qapi_in_int8(QapiInput *in, const char *name, int8_t *obj,
                  GError **errp);
bool qapi_in_int16(QapiInput *in, const char *name, int16_t *obj,
                   GError **errp);
bool qapi_in_int32(QapiInput *in, const char *name, int32_t *obj,
                   GError **errp);
bool qapi_in_int64(QapiInput *in, const char *name, int64_t *obj,
                   GError **errp);
bool qapi_in_uint8(QapiInput *in, const char *name, uint8_t *obj,
                   GError **errp);
bool qapi_in_uint16(QapiInput *in, const char *name, uint16_t *obj,
                    GError **errp);
bool qapi_in_uint32(QapiInput *in, const char *name, uint32_t *obj,
                    GError **errp);
bool qapi_in_uint64(QapiInput *in, const char *name, uint64_t *obj,
                    GError **errp);
bool qapi_in_size(QapiInput *in, const char *name, uint64_t *obj,
                  GError **errp);
bool qapi_in_number(QapiInput *in, const char *name, double *obj,
                    GError **errp);
bool qapi_in_bool(QapiInput *in, const char *name, bool *obj, GError **errp);
/* @obj receives a new reference (a copy) of the value. */
bool qapi_in_any(QapiInput *in, const char *name, JsonNode **obj,
                 GError **errp);
bool qapi_in_null(QapiInput *in, const char *name, GError **errp);
bool qapi_in_enum(QapiInput *in, const char *name,
                  const QEnumLookup *lookup, int *obj, GError **errp);

/* The error of an alternate whose branches do not fit the value. */
void qapi_input_alternate_error(QapiInput *in, const char *name,
                                const char *type_name, GError **errp);

/* ---- C -> JSON: each returns a new (floating-free) node --------------- */

JsonNode *qapi_out_str(const char *val);
JsonNode *qapi_out_int(int64_t val);
JsonNode *qapi_out_int8(int8_t val);
JsonNode *qapi_out_int16(int16_t val);
JsonNode *qapi_out_int32(int32_t val);
JsonNode *qapi_out_int64(int64_t val);
JsonNode *qapi_out_uint8(uint8_t val);
JsonNode *qapi_out_uint16(uint16_t val);
JsonNode *qapi_out_uint32(uint32_t val);
/* Values above INT64_MAX become a double node (json-glib has no uint64). */
JsonNode *qapi_out_uint64(uint64_t val);
JsonNode *qapi_out_size(uint64_t val);
JsonNode *qapi_out_number(double val);
JsonNode *qapi_out_bool(bool val);
/* A copy of @val; JSON null when @val is NULL. */
JsonNode *qapi_out_any(JsonNode *val);
JsonNode *qapi_out_null(void);
JsonNode *qapi_out_enum(const QEnumLookup *lookup, int val);

#endif /* QAPI_QAPI_RUNTIME_H */
