#
# gen_visit.py: conversion between the C types and json-glib trees.
#
# For every type T of a module:
#   bool qapi_in_T(QapiInput *in, const char *name, T **obj, GError **errp)
#   JsonNode *qapi_out_T(const T *obj)
# (enums: T *obj / T val), objects also get qapi_in_T_members() and
# qapi_out_T_members(), and the public entry points
#   T *qapi_T_from_json(JsonNode *node, QapiInputFlags flags, GError **errp)
#   JsonNode *qapi_T_to_json(const T *obj)
# (lists: bool qapi_TList_from_json(node, flags, TList **obj, errp), since
# an empty list is NULL).
#

from .common import Output, c_name
from .schema import (AlternateType, ArrayType, BuiltinType, EnumType,
                     ObjectType)
from .gen_types import module_types, order_types, referenced


def in_call(typ, name, dest):
    """Expression converting member name (C string or NULL) into dest."""
    if isinstance(typ, BuiltinType) and typ.name == 'null':
        return 'qapi_in_null(in, %s, errp)' % name
    return 'qapi_in_%s(in, %s, &%s, errp)' % (typ.c_name(), name, dest)


def out_call(typ, expr):
    if isinstance(typ, BuiltinType) and typ.name == 'null':
        return 'qapi_out_null()'
    return 'qapi_out_%s(%s)' % (typ.c_name(), expr)


def in_members_def(obj):
    cn = obj.c_name()
    out = 'bool qapi_in_%s_members(QapiInput *in, %s *obj, GError **errp)\n' % (
        cn, cn)
    out += '{\n'
    if obj.base is not None and not obj.base.is_empty():
        out += ('    if (!qapi_in_%s_members(in, qapi_%s_base(obj), errp)) {\n'
                '        return false;\n    }\n' % (obj.base.c_name(), cn))
    for m in obj.local_members:
        qname = '"%s"' % m.name
        call = in_call(m.type, qname, 'obj->' + m.c_name())
        if m.optional:
            out += '    if (qapi_input_optional(in, %s)) {\n' % qname
            if m.has_flag():
                out += '        obj->has_%s = true;\n' % m.c_name()
            out += ('        if (!%s) {\n            return false;\n'
                    '        }\n    }\n' % call)
        else:
            out += '    if (!%s) {\n        return false;\n    }\n' % call
    cases = ''
    for v in obj.variants:
        if v.type.is_empty():
            continue
        cases += ('    case %s:\n        return qapi_in_%s_members(in, '
                  '&obj->u.%s, errp);\n'
                  % (obj.tag_member.type.const(v.name), v.type.c_name(),
                     c_name(v.name)))
    if cases:
        out += ('    switch (obj->%s) {\n%s    default:\n        break;\n'
                '    }\n' % (obj.tag_member.c_name(), cases))
    return out + '    return true;\n}\n\n'


def in_object_def(obj):
    cn = obj.c_name()
    return '''bool qapi_in_%(cn)s(QapiInput *in, const char *name, %(cn)s **obj,
        GError **errp)
{
    %(cn)s *val;

    *obj = NULL;
    if (!qapi_input_start_struct(in, name, errp)) {
        return false;
    }
    val = g_new0(%(cn)s, 1);
    if (!qapi_in_%(cn)s_members(in, val, errp) ||
        !qapi_input_check_struct(in, errp)) {
        qapi_input_end(in);
        qapi_free_%(cn)s(val);
        return false;
    }
    qapi_input_end(in);
    *obj = val;
    return true;
}

''' % {'cn': cn}


def out_members_def(obj):
    cn = obj.c_name()
    out = 'void qapi_out_%s_members(JsonObject *o, const %s *obj)\n{\n' % (
        cn, cn)
    if obj.base is not None and not obj.base.is_empty():
        out += '    qapi_out_%s_members(o, qapi_%s_base(obj));\n' % (
            obj.base.c_name(), cn)
    for m in obj.local_members:
        expr = 'obj->' + m.c_name()
        stmt = 'json_object_set_member(o, "%s", %s);' % (
            m.name, out_call(m.type, expr))
        if m.has_flag():
            out += '    if (obj->has_%s) {\n        %s\n    }\n' % (
                m.c_name(), stmt)
        elif m.optional:
            out += '    if (%s) {\n        %s\n    }\n' % (expr, stmt)
        else:
            out += '    %s\n' % stmt
    cases = ''
    for v in obj.variants:
        if v.type.is_empty():
            continue
        cases += ('    case %s:\n        qapi_out_%s_members(o, &obj->u.%s);\n'
                  '        break;\n'
                  % (obj.tag_member.type.const(v.name), v.type.c_name(),
                     c_name(v.name)))
    if cases:
        out += ('    switch (obj->%s) {\n%s    default:\n        break;\n'
                '    }\n' % (obj.tag_member.c_name(), cases))
    if out.endswith('{\n'):
        out += '    (void)o;\n    (void)obj;\n'
    return out + '}\n\n'


def out_object_def(obj):
    cn = obj.c_name()
    return '''JsonNode *qapi_out_%(cn)s(const %(cn)s *obj)
{
    JsonObject *o = json_object_new();
    JsonNode *node = json_node_new(JSON_NODE_OBJECT);

    if (obj) {
        qapi_out_%(cn)s_members(o, obj);
    }
    json_node_take_object(node, o);
    return node;
}

''' % {'cn': cn}


def enum_defs(enum):
    cn = enum.c_name()
    return '''bool qapi_in_%(cn)s(QapiInput *in, const char *name, %(cn)s *obj,
        GError **errp)
{
    int val = 0;

    if (!qapi_in_enum(in, name, &%(cn)s_lookup, &val, errp)) {
        return false;
    }
    *obj = val;
    return true;
}

JsonNode *qapi_out_%(cn)s(%(cn)s val)
{
    return qapi_out_enum(&%(cn)s_lookup, val);
}

''' % {'cn': cn}


def list_defs(arr):
    cn = arr.c_name()
    elem = arr.element
    if isinstance(elem, (BuiltinType, EnumType)):
        out_expr = out_call(elem, 'l->value')
    else:
        out_expr = out_call(elem, 'l->value')
    return '''bool qapi_in_%(cn)s(QapiInput *in, const char *name, %(cn)s **obj,
        GError **errp)
{
    %(cn)s *head = NULL;
    %(cn)s **tail = &head;

    *obj = NULL;
    if (!qapi_input_start_list(in, name, errp)) {
        return false;
    }
    while (qapi_input_list_has_next(in)) {
        %(cn)s *elem = g_new0(%(cn)s, 1);

        *tail = elem;
        tail = &elem->next;
        if (!%(call)s) {
            qapi_input_end(in);
            qapi_free_%(cn)s(head);
            return false;
        }
    }
    qapi_input_end(in);
    *obj = head;
    return true;
}

JsonNode *qapi_out_%(cn)s(const %(cn)s *obj)
{
    JsonArray *a = json_array_new();
    JsonNode *node = json_node_new(JSON_NODE_ARRAY);
    const %(cn)s *l;

    for (l = obj; l; l = l->next) {
        json_array_add_element(a, %(out)s);
    }
    json_node_take_array(node, a);
    return node;
}

bool qapi_%(cn)s_from_json(JsonNode *node, QapiInputFlags flags,
        %(cn)s **obj, GError **errp)
{
    QapiInput *in = qapi_input_new(node, flags);
    bool ok = qapi_in_%(cn)s(in, NULL, obj, errp);

    qapi_input_free(in);
    return ok;
}

JsonNode *qapi_%(cn)s_to_json(const %(cn)s *obj)
{
    return qapi_out_%(cn)s(obj);
}

''' % {'cn': cn, 'call': in_call(elem, 'NULL', 'elem->value'),
       'out': out_expr}


def alternate_in_def(alt):
    cn = alt.c_name()
    cases = ''
    has_str = False
    scalar = None
    for v in alt.variants:
        typ = v.type
        qt = typ.qtype()
        dest = 'val->u.' + c_name(v.name)
        if qt == 'QTYPE_QSTRING':
            has_str = True
        elif qt in ('QTYPE_QNUM', 'QTYPE_QBOOL') and scalar is None:
            scalar = qt
        if isinstance(typ, ObjectType):
            call = ('qapi_input_start_struct(in, name, errp)) {\n'
                    '            ok = false;\n'
                    '        } else {\n'
                    '            ok = qapi_in_%s_members(in, &%s, errp) &&\n'
                    '                 qapi_input_check_struct(in, errp);\n'
                    '            qapi_input_end(in);\n'
                    '        }\n' % (typ.c_name(), dest))
            cases += '    case %s:\n        if (!%s        break;\n' % (
                qt, call)
            continue
        cases += '    case %s:\n        ok = %s;\n        break;\n' % (
            qt, in_call(typ, 'name', dest))
    keyval = ''
    if not has_str and scalar is not None:
        keyval = ('    if (type == QTYPE_QSTRING && qapi_input_is_keyval(in)) '
                  '{\n        type = %s;\n    }\n' % scalar)
    return '''bool qapi_in_%(cn)s(QapiInput *in, const char *name, %(cn)s **obj,
        GError **errp)
{
    %(cn)s *val;
    QType type;
    bool ok;

    *obj = NULL;
    if (!qapi_input_peek(in, name, &type, errp)) {
        return false;
    }
%(keyval)s    val = g_new0(%(cn)s, 1);
    val->type = type;
    switch (type) {
%(cases)s    default:
        qapi_input_alternate_error(in, name, "%(name)s", errp);
        ok = false;
        break;
    }
    if (!ok) {
        qapi_free_%(cn)s(val);
        return false;
    }
    *obj = val;
    return true;
}

''' % {'cn': cn, 'cases': cases, 'keyval': keyval, 'name': alt.name}


def alternate_out_def(alt):
    cn = alt.c_name()
    cases = ''
    for v in alt.variants:
        typ = v.type
        dest = 'obj->u.' + c_name(v.name)
        if isinstance(typ, ObjectType):
            cases += ('    case %s: {\n        JsonObject *o = '
                      'json_object_new();\n        JsonNode *node = '
                      'json_node_new(JSON_NODE_OBJECT);\n\n'
                      '        qapi_out_%s_members(o, &%s);\n'
                      '        json_node_take_object(node, o);\n'
                      '        return node;\n    }\n'
                      % (typ.qtype(), typ.c_name(), dest))
        else:
            cases += '    case %s:\n        return %s;\n' % (
                typ.qtype(), out_call(typ, dest))
    return '''JsonNode *qapi_out_%(cn)s(const %(cn)s *obj)
{
    if (!obj) {
        return qapi_out_null();
    }
    switch (obj->type) {
%(cases)s    default:
        return qapi_out_null();
    }
}

''' % {'cn': cn, 'cases': cases}


def public_defs(typ):
    return '''%(cn)s *qapi_%(cn)s_from_json(JsonNode *node, QapiInputFlags flags,
        GError **errp)
{
    QapiInput *in = qapi_input_new(node, flags);
    %(cn)s *obj = NULL;

    qapi_in_%(cn)s(in, NULL, &obj, errp);
    qapi_input_free(in);
    return obj;
}

JsonNode *qapi_%(cn)s_to_json(const %(cn)s *obj)
{
    return qapi_out_%(cn)s(obj);
}

''' % {'cn': typ.c_name()}


def protos(typ):
    cn = typ.c_name()
    if isinstance(typ, EnumType):
        return ('bool qapi_in_%s(QapiInput *in, const char *name, %s *obj,\n'
                '        GError **errp);\nJsonNode *qapi_out_%s(%s val);\n\n'
                % (cn, cn, cn, cn))
    out = ''
    if isinstance(typ, ObjectType):
        out += ('bool qapi_in_%s_members(QapiInput *in, %s *obj, '
                'GError **errp);\n' % (cn, cn))
        out += ('void qapi_out_%s_members(JsonObject *o, const %s *obj);\n'
                % (cn, cn))
    out += ('bool qapi_in_%s(QapiInput *in, const char *name, %s **obj,\n'
            '        GError **errp);\n' % (cn, cn))
    out += 'JsonNode *qapi_out_%s(const %s *obj);\n' % (cn, cn)
    if isinstance(typ, ArrayType):
        out += ('bool qapi_%s_from_json(JsonNode *node, QapiInputFlags flags,'
                '\n        %s **obj, GError **errp);\n' % (cn, cn))
    else:
        out += ('%s *qapi_%s_from_json(JsonNode *node, QapiInputFlags flags,'
                '\n        GError **errp);\n' % (cn, cn))
    out += 'JsonNode *qapi_%s_to_json(const %s *obj);\n\n' % (cn, cn)
    return out


def type_defs(typ):
    if isinstance(typ, EnumType):
        return enum_defs(typ)
    if isinstance(typ, ArrayType):
        return list_defs(typ)
    if isinstance(typ, AlternateType):
        return (alternate_in_def(typ) + alternate_out_def(typ)
                + public_defs(typ))
    return (in_members_def(typ) + in_object_def(typ) + out_members_def(typ)
            + out_object_def(typ) + public_defs(typ))


def gen_visit(schema, module, outdir, prefix):
    base = '%sqapi-visit-%s' % (prefix, module)
    h = Output(outdir, base + '.h', 'QAPI visitors of module %s' % module)
    c = Output(outdir, base + '.c', 'QAPI visitors of module %s' % module)
    ents = module_types(schema, module)
    arrays = schema.arrays_of(module)
    h.add('#include "qapi/qapi-builtin-visit.h"\n')
    h.add('#include "%sqapi-types-%s.h"\n' % (prefix, module))
    for dep in referenced(ents + arrays, schema, module):
        h.add('#include "%sqapi-visit-%s.h"\n' % (prefix, dep))
    h.add('\n')
    c.add('#include "util/osdep.h"\n#include "%s.h"\n\n' % base)
    enums = [e for e in ents if isinstance(e, EnumType)]
    for t in enums + order_types([e for e in ents if e not in enums]) \
            + arrays:
        h.add(protos(t))
        c.add(type_defs(t))
    return [h, c]


def gen_builtin_visit(schema, outdir):
    h = Output(outdir, 'qapi-builtin-visit.h',
               'QAPI built-in list visitors')
    c = Output(outdir, 'qapi-builtin-visit.c', 'QAPI built-in list visitors')
    h.add('#include "qapi/qapi-runtime.h"\n')
    h.add('#include "qapi/qapi-builtin-types.h"\n\n')
    c.add('#include "util/osdep.h"\n#include "qapi-builtin-visit.h"\n\n')
    for b in schema.builtin_types():
        if b.name == 'null':
            continue
        arr = schema.lookup([b.name], None, '')
        h.add(protos(arr))
        c.add(type_defs(arr))
    return [h, c]
