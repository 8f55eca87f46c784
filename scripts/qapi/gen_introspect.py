#
# gen_introspect.py: the data of query-qmp-schema (a list of SchemaInfo).
#
# As QEMU: commands and events are listed first, in definition order, with
# their real names; then every type they reach, in order of first use,
# with its name masked as a decimal string.  Built-in types keep their
# names and all integer types collapse to 'int'; arrays are named
# '[ELEMENT]'.  Commands and events without arguments or return value use
# the empty object type.
#

import json

from .common import Output, c_name
from .schema import (AlternateType, ArrayType, BuiltinType, EnumType,
                     ObjectType)


class Introspector:
    def __init__(self, schema):
        self.schema = schema
        self.names = {}
        self.used = []
        self.entries = []

    def use(self, typ):
        if typ.json_type() == 'int' and isinstance(typ, BuiltinType):
            typ = self.schema.types['int']
        elif isinstance(typ, ArrayType) and isinstance(
                typ.element, BuiltinType) and typ.element.json_type() == 'int':
            typ = self.schema.lookup(['int'], None, '')
        if typ not in self.used:
            self.used.append(typ)
        if isinstance(typ, BuiltinType):
            return typ.name
        if isinstance(typ, ArrayType):
            return '[%s]' % self.use(typ.element)
        if typ.name not in self.names:
            self.names[typ.name] = str(len(self.names))
        return self.names[typ.name]

    def entry(self, name, meta, fields, features):
        out = {'name': name, 'meta-type': meta}
        out.update(fields)
        if features:
            out['features'] = list(features)
        self.entries.append(out)

    def member(self, m):
        out = {'name': m.name, 'type': self.use(m.type)}
        if m.optional:
            out['default'] = None
        if m.features:
            out['features'] = list(m.features)
        return out

    def visit_type(self, typ):
        if isinstance(typ, BuiltinType):
            self.entry(typ.name, 'builtin', {'json-type': typ.json_type()},
                       None)
        elif isinstance(typ, EnumType):
            members = []
            for v, feats in typ.values:
                m = {'name': v}
                if feats:
                    m['features'] = list(feats)
                members.append(m)
            self.entry(self.use(typ), 'enum',
                       {'members': members,
                        'values': [v for v, _ in typ.values]}, typ.features)
        elif isinstance(typ, ArrayType):
            elem = self.use(typ.element)
            self.entry('[%s]' % elem, 'array', {'element-type': elem}, None)
        elif isinstance(typ, ObjectType):
            self.visit_object(typ)
        elif isinstance(typ, AlternateType):
            members = [{'type': self.use(v.type)} for v in typ.variants]
            self.entry(self.use(typ), 'alternate', {'members': members},
                       typ.features)

    def visit_object(self, obj):
        fields = {'members': [self.member(m) for m in obj.all_members()]}
        if obj.tag_member is not None:
            fields['tag'] = obj.tag_member.name
            branches = {v.name: v.type for v in obj.variants}
            variants = []
            for value, _ in obj.tag_member.type.values:
                typ = branches.get(value, self.schema.empty)
                variants.append({'case': value, 'type': self.use(typ)})
            fields['variants'] = variants
        self.entry(self.use(obj), 'object', fields, obj.features)

    def run(self):
        empty = self.schema.empty
        for ent in self.schema.entities:
            if ent.meta == 'command':
                fields = {'arg-type': self.use(ent.arg_type or empty),
                          'ret-type': self.use(ent.ret_type or empty)}
                if ent.allow_oob:
                    fields['allow-oob'] = True
                self.entry(ent.name, 'command', fields, ent.features)
            elif ent.meta == 'event':
                fields = {'arg-type': self.use(ent.arg_type or empty)}
                self.entry(ent.name, 'event', fields, ent.features)
        i = 0
        while i < len(self.used):
            self.visit_type(self.used[i])
            i += 1
        return self.entries


def c_string(text):
    return '"%s"' % text.replace('\\', '\\\\').replace('"', '\\"')


def gen_introspect(schema, outdir, prefix):
    entries = Introspector(schema).run()
    fn = '%sqapi_introspect_json' % c_name(prefix, False)
    fn_node = '%sqapi_introspect_node' % c_name(prefix, False)
    base = '%sqapi-introspect' % prefix
    h = Output(outdir, base + '.h', 'QAPI introspection data')
    c = Output(outdir, base + '.c', 'QAPI introspection data')
    h.add('#include "util/osdep.h"\n#include <json-glib/json-glib.h>\n\n')
    h.add('/*\n * The return value of query-qmp-schema as compact JSON text '
          '(static; any\n * thread).\n */\nconst char *%s(void);\n\n' % fn)
    h.add('/*\n * The same data as a new json-glib tree (an array of '
          'SchemaInfo); the\n * caller owns it.  Any thread.\n */\n'
          'JsonNode *%s(void);\n' % fn_node)
    c.add('#include "util/osdep.h"\n#include "%s.h"\n\n' % base)
    c.add('static const char qapi_schema_text[] =\n    "["\n')
    for i, e in enumerate(entries):
        text = json.dumps(e, separators=(', ', ': '))
        if i + 1 < len(entries):
            text += ', '
        c.add('    %s\n' % c_string(text))
    c.add('    "]";\n\n')
    c.add('const char *%s(void)\n{\n    return qapi_schema_text;\n}\n\n' % fn)
    c.add('JsonNode *%s(void)\n{\n    JsonNode *node = json_from_string('
          'qapi_schema_text, NULL);\n\n    g_assert(node);\n    return node;\n'
          '}\n' % fn_node)
    return [h, c]
