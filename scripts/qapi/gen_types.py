#
# gen_types.py: C types, enum lookup tables and free functions.
#

from .common import Output, c_name
from .schema import (AlternateType, ArrayType, BuiltinType, EnumType,
                     ObjectType)


def free_value(typ, expr):
    """C statement freeing the owned value expr of type typ, or ''."""
    if isinstance(typ, BuiltinType):
        if typ.name == 'str':
            return 'g_free(%s);' % expr
        if typ.name == 'any':
            return 'if (%s) {\n        json_node_unref(%s);\n    }' % (
                expr, expr)
        return ''
    if isinstance(typ, EnumType):
        return ''
    return 'qapi_free_%s(%s);' % (typ.c_name(), expr)


def member_decl(m):
    out = ''
    if m.type.name == 'null':
        return '    /* @%s is always null */\n' % m.name
    if m.has_flag():
        out += '    bool has_%s;\n' % m.c_name()
    ctype = m.type.c_type()
    sep = '' if ctype.endswith('*') else ' '
    return out + '    %s%s%s;\n' % (ctype, sep, m.c_name())


def variant_decls(variants):
    out = ''
    for v in variants:
        typ = v.type
        if typ.name == 'null' or (isinstance(typ, ObjectType)
                                  and typ.is_empty()):
            continue
        if isinstance(typ, ObjectType):
            out += '        %s %s;\n' % (typ.c_name(), c_name(v.name))
        else:
            ctype = typ.c_type()
            sep = '' if ctype.endswith('*') else ' '
            out += '        %s%s%s;\n' % (ctype, sep, c_name(v.name))
    return out


def enum_decl(enum):
    out = 'typedef enum %s {\n' % enum.c_name()
    for v, _ in enum.values:
        out += '    %s,\n' % enum.const(v)
    out += '    %s,\n} %s;\n\n' % (enum.const_max(), enum.c_name())
    out += 'extern const QEnumLookup %s_lookup;\n' % enum.c_name()
    out += ('#define %s_str(val) qapi_enum_lookup(&%s_lookup, (val))\n\n'
            % (enum.c_name(), enum.c_name()))
    return out


def enum_def(enum):
    out = 'const QEnumLookup %s_lookup = {\n' % enum.c_name()
    out += '    .array = (const char *const[]) {\n'
    for v, _ in enum.values:
        out += '        [%s] = "%s",\n' % (enum.const(v), v)
    out += '    },\n    .size = %s,\n};\n\n' % enum.const_max()
    return out


def object_decl(obj):
    out = 'struct %s {\n' % obj.c_name()
    members = obj.all_members()
    for m in members:
        out += member_decl(m)
    union = variant_decls(obj.variants)
    if union:
        out += '    union { /* union tag is @%s */\n%s    } u;\n' % (
            obj.tag_name, union)
    if not members and not union:
        out += '    char qapi_dummy_for_empty_struct;\n'
    out += '};\n\n'
    if obj.base is not None and not obj.base.is_empty():
        out += ('static inline %s *qapi_%s_base(const %s *obj)\n{\n'
                '    return (%s *)obj;\n}\n\n'
                % (obj.base.c_name(), obj.c_name(), obj.c_name(),
                   obj.base.c_name()))
    return out


def alternate_decl(alt):
    union = variant_decls(alt.variants)
    out = 'struct %s {\n    QType type;\n' % alt.c_name()
    if union:
        out += '    union { /* union tag is @type */\n%s    } u;\n' % union
    return out + '};\n\n'


def list_decl(arr):
    elem = arr.element
    if isinstance(elem, (BuiltinType, EnumType)):
        value = elem.c_type()
    else:
        value = elem.c_name() + ' *'
    sep = '' if value.endswith('*') else ' '
    return ('struct %s {\n    %s *next;\n    %s%svalue;\n};\n\n'
            % (arr.c_name(), arr.c_name(), value, sep))


def free_protos(typ):
    cn = typ.c_name()
    out = ''
    if isinstance(typ, ObjectType):
        out += 'void qapi_free_%s_members(%s *obj);\n' % (cn, cn)
    out += 'void qapi_free_%s(%s *obj);\n' % (cn, cn)
    out += 'G_DEFINE_AUTOPTR_CLEANUP_FUNC(%s, qapi_free_%s)\n\n' % (cn, cn)
    return out


def free_members_def(obj):
    cn = obj.c_name()
    body = ''
    for m in obj.all_members():
        stmt = free_value(m.type, 'obj->' + m.c_name())
        if stmt:
            body += '    %s\n' % stmt
    cases = ''
    for v in obj.variants:
        if v.type.is_empty():
            continue
        cases += ('    case %s:\n        qapi_free_%s_members(&obj->u.%s);\n'
                  '        break;\n'
                  % (obj.tag_member.type.const(v.name), v.type.c_name(),
                     c_name(v.name)))
    if cases:
        body += ('    switch (obj->%s) {\n%s    default:\n        break;\n'
                 '    }\n' % (obj.tag_member.c_name(), cases))
    if not body:
        body = '    (void)obj;\n'
    out = 'void qapi_free_%s_members(%s *obj)\n{\n%s}\n\n' % (cn, cn, body)
    out += ('void qapi_free_%s(%s *obj)\n{\n    if (!obj) {\n        return;\n'
            '    }\n    qapi_free_%s_members(obj);\n    g_free(obj);\n}\n\n'
            % (cn, cn, cn))
    return out


def free_alternate_def(alt):
    cn = alt.c_name()
    cases = ''
    for v in alt.variants:
        typ = v.type
        if isinstance(typ, ObjectType):
            if typ.is_empty():
                continue
            stmt = 'qapi_free_%s_members(&obj->u.%s);' % (
                typ.c_name(), c_name(v.name))
        else:
            stmt = free_value(typ, 'obj->u.' + c_name(v.name))
        if stmt:
            cases += '    case %s:\n        %s\n        break;\n' % (
                typ.qtype(), stmt)
    out = 'void qapi_free_%s(%s *obj)\n{\n    if (!obj) {\n' % (cn, cn)
    out += '        return;\n    }\n'
    if cases:
        out += ('    switch (obj->type) {\n%s    default:\n        break;\n'
                '    }\n' % cases)
    return out + '    g_free(obj);\n}\n\n'


def free_list_def(arr):
    cn = arr.c_name()
    stmt = free_value(arr.element, 'obj->value')
    stmt = stmt.replace('\n    ', '\n        ')
    out = 'void qapi_free_%s(%s *obj)\n{\n' % (cn, cn)
    out += '    while (obj) {\n        %s *next = obj->next;\n\n' % cn
    if stmt:
        out += '        %s\n' % stmt
    out += '        g_free(obj);\n        obj = next;\n    }\n}\n\n'
    return out


def _embedded(typ):
    """Object types that typ embeds by value (must be declared first)."""
    if isinstance(typ, (ObjectType, AlternateType)):
        return [v.type for v in typ.variants
                if isinstance(v.type, ObjectType)]
    return []


def order_types(types):
    """Object/alternate types of one module, embedded ones first."""
    names = {t.name for t in types}
    done = []

    def visit(t):
        if t in done:
            return
        for e in _embedded(t):
            if e.name in names:
                visit(e)
        done.append(t)
    for t in types:
        visit(t)
    return done


def referenced(types, schema, module):
    """Modules (other than module) whose types the given types use."""
    mods = []

    def add(t):
        if isinstance(t, ArrayType):
            t = t.element
        if t.is_builtin or t.module is None or t.module == module:
            return
        if t.module not in mods:
            mods.append(t.module)
    for t in types:
        add(t)
        if isinstance(t, ObjectType):
            for m in t.all_members():
                add(m.type)
            for v in t.variants:
                add(v.type)
            if t.base is not None:
                add(t.base)
        elif isinstance(t, AlternateType):
            for v in t.variants:
                add(v.type)
        elif isinstance(t, ArrayType):
            add(t.element)
    return [m for m in schema.modules if m in mods]


def module_types(schema, module):
    ents = [e for e in schema.entities_of(module)
            if isinstance(e, (EnumType, ObjectType, AlternateType))]
    return ents


def gen_types(schema, module, outdir, prefix):
    base = '%sqapi-types-%s' % (prefix, module)
    h = Output(outdir, base + '.h', 'QAPI types of module %s' % module)
    c = Output(outdir, base + '.c', 'QAPI types of module %s' % module)
    ents = module_types(schema, module)
    arrays = schema.arrays_of(module)
    h.add('#include "qapi/qapi-builtin-types.h"\n')
    for dep in referenced(ents + arrays, schema, module):
        h.add('#include "%sqapi-types-%s.h"\n' % (prefix, dep))
    h.add('\n')
    c.add('#include "util/osdep.h"\n#include "%s.h"\n\n' % base)
    for e in ents:
        if isinstance(e, EnumType):
            h.add(enum_decl(e))
            c.add(enum_def(e))
    aggregates = [e for e in ents if not isinstance(e, EnumType)]
    for t in aggregates + arrays:
        h.add('typedef struct %s %s;\n' % (t.c_name(), t.c_name()))
    h.add('\n')
    for t in order_types(aggregates):
        if isinstance(t, ObjectType):
            h.add(object_decl(t))
            c.add(free_members_def(t))
        else:
            h.add(alternate_decl(t))
            c.add(free_alternate_def(t))
        h.add(free_protos(t))
    for arr in arrays:
        h.add(list_decl(arr))
        h.add(free_protos(arr))
        c.add(free_list_def(arr))
    return [h, c]


def gen_builtin_types(schema, outdir):
    h = Output(outdir, 'qapi-builtin-types.h', 'QAPI built-in list types')
    c = Output(outdir, 'qapi-builtin-types.c', 'QAPI built-in list types')
    h.add('#include "qapi/qapi-runtime.h"\n\n')
    c.add('#include "util/osdep.h"\n#include "qapi-builtin-types.h"\n\n')
    arrays = [schema.lookup([b.name], None, '') for b in
              schema.builtin_types() if b.name != 'null']
    for arr in arrays:
        h.add('typedef struct %s %s;\n' % (arr.c_name(), arr.c_name()))
    h.add('\n')
    for arr in arrays:
        h.add(list_decl(arr))
        h.add(free_protos(arr))
        c.add(free_list_def(arr))
    return [h, c]
