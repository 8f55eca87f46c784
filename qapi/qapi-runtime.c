/*
 * qapi-runtime.c: enum tables, QType and the C -> JSON conversions of the
 * built-in types.  Stateless; any thread.
 */
#include "util/osdep.h"
#include "qapi/qapi-runtime.h"

const char *qapi_enum_lookup(const QEnumLookup *lookup, int val)
{
    if (val < 0 || val >= lookup->size) {
        return "<invalid>";
    }
    return lookup->array[val];
}

int qapi_enum_parse(const QEnumLookup *lookup, const char *buf, int def,
                    GError **errp)
{
    int i;

    if (!buf) {
        return def;
    }
    for (i = 0; i < lookup->size; i++) {
        if (!strcmp(buf, lookup->array[i])) {
            return i;
        }
    }
    error_setg(errp, "invalid parameter value: %s", buf);
    return -1;
}

QType qapi_json_qtype(JsonNode *node)
{
    if (!node) {
        return QTYPE_NONE;
    }
    switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT:
        return QTYPE_QDICT;
    case JSON_NODE_ARRAY:
        return QTYPE_QLIST;
    case JSON_NODE_NULL:
        return QTYPE_QNULL;
    case JSON_NODE_VALUE:
        break;
    }
    switch (json_node_get_value_type(node)) {
    case G_TYPE_BOOLEAN:
        return QTYPE_QBOOL;
    case G_TYPE_STRING:
        return QTYPE_QSTRING;
    case G_TYPE_INT64:
    case G_TYPE_DOUBLE:
        return QTYPE_QNUM;
    default:
        return QTYPE_NONE;
    }
}

JsonNode *qapi_out_str(const char *val)
{
    /* A NULL string is written as "", as QEMU's output visitor does. */
    return json_node_init_string(json_node_alloc(), val ? val : "");
}

JsonNode *qapi_out_int(int64_t val)
{
    return json_node_init_int(json_node_alloc(), val);
}

JsonNode *qapi_out_int8(int8_t val)
{
    return qapi_out_int(val);
}

JsonNode *qapi_out_int16(int16_t val)
{
    return qapi_out_int(val);
}

JsonNode *qapi_out_int32(int32_t val)
{
    return qapi_out_int(val);
}

JsonNode *qapi_out_int64(int64_t val)
{
    return qapi_out_int(val);
}

JsonNode *qapi_out_uint8(uint8_t val)
{
    return qapi_out_int(val);
}

JsonNode *qapi_out_uint16(uint16_t val)
{
    return qapi_out_int(val);
}

JsonNode *qapi_out_uint32(uint32_t val)
{
    return qapi_out_int(val);
}

JsonNode *qapi_out_uint64(uint64_t val)
{
    if (val > INT64_MAX) {
        return json_node_init_double(json_node_alloc(), (double)val);
    }
    return qapi_out_int((int64_t)val);
}

JsonNode *qapi_out_size(uint64_t val)
{
    return qapi_out_uint64(val);
}

JsonNode *qapi_out_number(double val)
{
    return json_node_init_double(json_node_alloc(), val);
}

JsonNode *qapi_out_bool(bool val)
{
    return json_node_init_boolean(json_node_alloc(), val);
}

JsonNode *qapi_out_any(JsonNode *val)
{
    return val ? json_node_copy(val) : qapi_out_null();
}

JsonNode *qapi_out_null(void)
{
    return json_node_init_null(json_node_alloc());
}

JsonNode *qapi_out_enum(const QEnumLookup *lookup, int val)
{
    return qapi_out_str(qapi_enum_lookup(lookup, val));
}
