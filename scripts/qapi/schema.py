#
# schema.py: the checked QAPI schema, built from parsed expressions.
#
# Entities: builtin, enum, array, object (struct, union, implicit argument
# types), alternate, command and event.  Every reference is resolved and
# every rule checked here, so that the back ends never meet a bad schema.
#

import re

from .parser import QAPIError, SchemaParser
from .common import c_name, camel_to_upper

NAME_RE = re.compile(r'^[A-Za-z][A-Za-z0-9_.-]*$')
ENUM_VALUE_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]*$')
EVENT_RE = re.compile(r'^[A-Z][A-Z0-9_]*$')

# name: (C type, JSON type of introspection, QType, pointer?)
BUILTINS = {
    'str': ('char *', 'string', 'QTYPE_QSTRING', True),
    'number': ('double', 'number', 'QTYPE_QNUM', False),
    'int': ('int64_t', 'int', 'QTYPE_QNUM', False),
    'int8': ('int8_t', 'int', 'QTYPE_QNUM', False),
    'int16': ('int16_t', 'int', 'QTYPE_QNUM', False),
    'int32': ('int32_t', 'int', 'QTYPE_QNUM', False),
    'int64': ('int64_t', 'int', 'QTYPE_QNUM', False),
    'uint8': ('uint8_t', 'int', 'QTYPE_QNUM', False),
    'uint16': ('uint16_t', 'int', 'QTYPE_QNUM', False),
    'uint32': ('uint32_t', 'int', 'QTYPE_QNUM', False),
    'uint64': ('uint64_t', 'int', 'QTYPE_QNUM', False),
    'size': ('uint64_t', 'int', 'QTYPE_QNUM', False),
    'bool': ('bool', 'boolean', 'QTYPE_QBOOL', False),
    'null': (None, 'null', 'QTYPE_QNULL', False),
    'any': ('JsonNode *', 'value', None, True),
}

META_KEYS = {
    'enum': ({'enum', 'data'}, {'prefix', 'features', 'if'}),
    'struct': ({'struct', 'data'}, {'base', 'features', 'if'}),
    'union': ({'union', 'base', 'discriminator', 'data'}, {'features', 'if'}),
    'alternate': ({'alternate', 'data'}, {'features', 'if'}),
    'command': ({'command'}, {'data', 'returns', 'boxed', 'gen',
                              'allow-oob', 'allow-preconfig', 'coroutine',
                              'success-response', 'features', 'if'}),
    'event': ({'event'}, {'data', 'boxed', 'features', 'if'}),
}

class Entity:
    meta = None

    def __init__(self, name, info, doc=None, features=None):
        self.name = name
        self.info = info
        self.doc = doc
        self.features = features or []
        self.module = info.module if info else None

    def describe(self):
        return "%s '%s'" % (self.meta, self.name)


class Type(Entity):
    is_builtin = False
    is_implicit = False

    def c_name(self):
        return c_name(self.name)

    def c_type(self):
        """C type of a member or an element of this type."""
        raise NotImplementedError

    def c_param_type(self):
        return self.c_type()

    def is_pointer(self):
        return True

    def qtype(self):
        return 'QTYPE_QDICT'

    def json_type(self):
        return 'object'


class BuiltinType(Type):
    meta = 'built-in type'
    is_builtin = True

    def __init__(self, name):
        super().__init__(name, None)
        self.ctype, self.jtype, self.qt, self.pointer = BUILTINS[name]

    def c_name(self):
        return self.name

    def c_type(self):
        return self.ctype

    def c_param_type(self):
        return 'const char *' if self.name == 'str' else self.ctype

    def is_pointer(self):
        return self.pointer

    def qtype(self):
        return self.qt

    def json_type(self):
        return self.jtype


class EnumType(Type):
    meta = 'enum'

    def __init__(self, name, info, doc, features, values, prefix):
        super().__init__(name, info, doc, features)
        self.values = values          # list of (name, features)
        self.prefix = prefix

    def c_type(self):
        return self.c_name()

    def is_pointer(self):
        return False

    def qtype(self):
        return 'QTYPE_QSTRING'

    def json_type(self):
        return 'string'

    def const(self, value):
        pfx = self.prefix or camel_to_upper(self.name)
        return pfx + '_' + c_name(value, False).upper()

    def const_max(self):
        return (self.prefix or camel_to_upper(self.name)) + '__MAX'


class ArrayType(Type):
    meta = 'array'

    def __init__(self, element):
        super().__init__('[%s]' % element.name, element.info)
        self.element = element
        self.module = None if element.is_builtin else element.module
        self.is_builtin = element.is_builtin

    def c_name(self):
        return self.element.c_name() + 'List'

    def c_type(self):
        return self.c_name() + ' *'

    def qtype(self):
        return 'QTYPE_QLIST'

    def json_type(self):
        return 'array'


class Member:
    def __init__(self, name, info, type_ref, optional, features, owner):
        self.name = name
        self.info = info
        self.type_ref = type_ref
        self.type = None
        self.optional = optional
        self.features = features
        self.owner = owner

    def c_name(self):
        return c_name(self.name)

    def has_flag(self):
        """Optional members of non-pointer type carry 'bool has_NAME'."""
        return self.optional and not self.type.is_pointer()


class Variant:
    def __init__(self, name, info, type_ref):
        self.name = name
        self.info = info
        self.type_ref = type_ref
        self.type = None


class ObjectType(Type):
    meta = 'struct'

    def __init__(self, name, info, doc, features, base_ref, members,
                 tag_name=None, variants=None):
        super().__init__(name, info, doc, features)
        self.base_ref = base_ref
        self.base = None
        self.local_members = members
        self.tag_name = tag_name
        self.tag_member = None
        self.variants = variants or []
        self.is_implicit = name.startswith('q_')
        if tag_name is not None:
            self.meta = 'union'

    def c_type(self):
        return self.c_name() + ' *'

    def all_members(self):
        base = self.base.all_members() if self.base else []
        return base + self.local_members

    def is_empty(self):
        return not self.all_members() and not self.variants


class AlternateType(Type):
    meta = 'alternate'

    def __init__(self, name, info, doc, features, variants):
        super().__init__(name, info, doc, features)
        self.variants = variants

    def c_type(self):
        return self.c_name() + ' *'

    def qtype(self):
        return None

    def json_type(self):
        return 'value'


class Command(Entity):
    meta = 'command'

    def __init__(self, name, info, doc, features, tree):
        super().__init__(name, info, doc, features)
        self.arg_type = None
        self.ret_type = None
        self.ret_ref = tree.get('returns')
        self.boxed = tree.get('boxed', False)
        self.gen = tree.get('gen', True)
        self.allow_oob = tree.get('allow-oob', False)
        self.allow_preconfig = tree.get('allow-preconfig', False)
        self.coroutine = tree.get('coroutine', False)
        self.success_response = tree.get('success-response', True)


class Event(Entity):
    meta = 'event'

    def __init__(self, name, info, doc, features, tree):
        super().__init__(name, info, doc, features)
        self.arg_type = None
        self.boxed = tree.get('boxed', False)


def _check_features(info, feats, what):
    if feats is None:
        return []
    if not isinstance(feats, list):
        raise QAPIError(info, "%s: 'features' must be an array" % what)
    out = []
    for f in feats:
        if isinstance(f, dict):
            if 'name' not in f or set(f) - {'name', 'if'}:
                raise QAPIError(info, "%s: invalid feature %r" % (what, f))
            f = f['name']
        if not isinstance(f, str) or not NAME_RE.match(f):
            raise QAPIError(info, "%s: invalid feature name %r" % (what, f))
        if f in out:
            raise QAPIError(info, "%s: duplicate feature '%s'" % (what, f))
        out.append(f)
    return out


class Schema:
    """The whole checked schema."""

    def __init__(self, fname):
        parsed = SchemaParser(fname)
        self.modules = parsed.modules
        self.module_docs = parsed.module_docs
        self.main_module = parsed.modules[0]
        self.entities = []
        self.types = {}
        self.arrays = {}
        for name in BUILTINS:
            self.types[name] = BuiltinType(name)
        self.empty = ObjectType('q_empty', None, None, [], None, [])
        self.types['q_empty'] = self.empty
        for expr in parsed.exprs:
            self._define(expr)
        for ent in list(self.entities):
            self._resolve(ent)
        for ent in self.entities:
            self._check(ent)

    # ---- definition -----------------------------------------------------
    def _define(self, expr):
        tree = expr.tree
        metas = [m for m in META_KEYS if m in tree]
        if len(metas) != 1:
            raise QAPIError(expr.info, "expression must have exactly one of "
                            "'enum', 'struct', 'union', 'alternate', "
                            "'command', 'event', 'include', 'pragma'")
        meta = metas[0]
        need, allowed = META_KEYS[meta]
        name = tree[meta]
        if not isinstance(name, str):
            raise QAPIError(expr.info, "'%s' name must be a string" % meta)
        what = "%s '%s'" % (meta, name)
        for key in tree:
            if key not in need and key not in allowed:
                raise QAPIError(expr.info, "%s has unknown key '%s'"
                                % (what, key))
        for key in need:
            if key not in tree:
                raise QAPIError(expr.info, "%s lacks key '%s'" % (what, key))
        for key in ('boxed', 'gen', 'allow-oob', 'allow-preconfig',
                    'coroutine', 'success-response'):
            if key in tree and not isinstance(tree[key], bool):
                raise QAPIError(expr.info, "%s: '%s' must be true or false"
                                % (what, key))
        self._check_name(expr.info, meta, name)
        if expr.doc and expr.doc.symbol != name:
            raise QAPIError(expr.doc.info, "documentation comment is for "
                            "'%s', but definition is '%s'"
                            % (expr.doc.symbol, name))
        feats = _check_features(expr.info, tree.get('features'), what)
        ent = getattr(self, '_def_' + meta)(name, expr, feats)
        self._add(ent)

    def _check_name(self, info, meta, name):
        if not NAME_RE.match(name):
            raise QAPIError(info, "%s has an invalid name '%s'" % (meta, name))
        is_type = meta in ('enum', 'struct', 'union', 'alternate')
        if name.startswith('q_') or (is_type and name.endswith('List')):
            raise QAPIError(info, "%s name '%s' is reserved" % (meta, name))
        if meta == 'event' and not EVENT_RE.match(name):
            raise QAPIError(info, "event name '%s' must be in upper case"
                            % name)

    def _add(self, ent):
        if ent.name in self.types or any(e.name == ent.name
                                         for e in self.entities):
            raise QAPIError(ent.info, "%s is already defined"
                            % ent.describe())
        self.entities.append(ent)
        if isinstance(ent, Type):
            self.types[ent.name] = ent

    def _members(self, info, data, owner):
        if not isinstance(data, dict):
            raise QAPIError(info, "%s: 'data' must be an object" % owner)
        out = []
        for key, val in data.items():
            optional = key.startswith('*')
            name = key[1:] if optional else key
            if not NAME_RE.match(name):
                raise QAPIError(info, "%s has a member with an invalid name "
                                "'%s'" % (owner, key))
            feats = []
            if isinstance(val, dict):
                if 'type' not in val or set(val) - {'type', 'features', 'if'}:
                    raise QAPIError(info, "%s member '%s': invalid definition"
                                    % (owner, name))
                feats = _check_features(info, val.get('features'),
                                        "%s member '%s'" % (owner, name))
                val = val['type']
            self._check_ref(info, val, "%s member '%s'" % (owner, name))
            out.append(Member(name, info, val, optional, feats, owner))
        return out

    @staticmethod
    def _check_ref(info, ref, what):
        if isinstance(ref, list):
            if len(ref) != 1 or not isinstance(ref[0], str):
                raise QAPIError(info, "%s: array type must have exactly one "
                                "element type name" % what)
        elif not isinstance(ref, str):
            raise QAPIError(info, "%s: type must be a name or an array"
                            % what)

    def _def_enum(self, name, expr, feats):
        data = expr.tree['data']
        prefix = expr.tree.get('prefix')
        if prefix is not None and not isinstance(prefix, str):
            raise QAPIError(expr.info, "enum '%s': 'prefix' must be a string"
                            % name)
        if not isinstance(data, list):
            raise QAPIError(expr.info, "enum '%s': 'data' must be an array"
                            % name)
        values = []
        seen = {}
        for v in data:
            vfeats = []
            if isinstance(v, dict):
                if 'name' not in v or set(v) - {'name', 'features', 'if'}:
                    raise QAPIError(expr.info, "enum '%s': invalid member %r"
                                    % (name, v))
                vfeats = _check_features(expr.info, v.get('features'),
                                         "enum '%s' value" % name)
                v = v['name']
            if not isinstance(v, str) or not ENUM_VALUE_RE.match(v):
                raise QAPIError(expr.info, "enum '%s' has an invalid value %r"
                                % (name, v))
            cname = c_name(v, False).upper()
            if cname in seen:
                raise QAPIError(expr.info, "enum '%s' value '%s' clashes "
                                "with '%s'" % (name, v, seen[cname]))
            seen[cname] = v
            values.append((v, vfeats))
        return EnumType(name, expr.info, expr.doc, feats, values, prefix)

    def _def_struct(self, name, expr, feats):
        tree = expr.tree
        base = tree.get('base')
        if base is not None and not isinstance(base, str):
            raise QAPIError(expr.info, "struct '%s': 'base' must be a type "
                            "name" % name)
        members = self._members(expr.info, tree['data'], "struct '%s'" % name)
        return ObjectType(name, expr.info, expr.doc, feats, base, members)

    def _def_union(self, name, expr, feats):
        tree = expr.tree
        what = "union '%s'" % name
        base = tree['base']
        if isinstance(base, dict):
            implicit = ObjectType('q_obj_%s-base' % name, expr.info, None, [],
                                  None, self._members(expr.info, base, what))
            self._add(implicit)
            base = implicit.name
        elif not isinstance(base, str):
            raise QAPIError(expr.info, "%s: 'base' must be a type name or "
                            "an object" % what)
        disc = tree['discriminator']
        if not isinstance(disc, str):
            raise QAPIError(expr.info, "%s: 'discriminator' must be a string"
                            % what)
        data = tree['data']
        if not isinstance(data, dict):
            raise QAPIError(expr.info, "%s: 'data' must be an object" % what)
        variants = []
        for key, val in data.items():
            if isinstance(val, dict) and set(val) - {'type', 'if'}:
                raise QAPIError(expr.info, "%s branch '%s': invalid "
                                "definition" % (what, key))
            if isinstance(val, dict):
                val = val.get('type')
            if not isinstance(val, str):
                raise QAPIError(expr.info, "%s branch '%s' must name a type"
                                % (what, key))
            variants.append(Variant(key, expr.info, val))
        return ObjectType(name, expr.info, expr.doc, feats, base, [],
                          disc, variants)

    def _def_alternate(self, name, expr, feats):
        data = expr.tree['data']
        what = "alternate '%s'" % name
        if not isinstance(data, dict) or not data:
            raise QAPIError(expr.info, "%s: 'data' must be a non-empty "
                            "object" % what)
        variants = []
        for key, val in data.items():
            if isinstance(val, dict) and set(val) - {'type', 'if'}:
                raise QAPIError(expr.info, "%s branch '%s': invalid "
                                "definition" % (what, key))
            if isinstance(val, dict):
                val = val.get('type')
            if not NAME_RE.match(key):
                raise QAPIError(expr.info, "%s has a branch with an invalid "
                                "name '%s'" % (what, key))
            self._check_ref(expr.info, val, "%s branch '%s'" % (what, key))
            variants.append(Variant(key, expr.info, val))
        return AlternateType(name, expr.info, expr.doc, feats, variants)

    def _arg_type(self, name, expr, meta):
        data = expr.tree.get('data')
        if data is None:
            return None
        if isinstance(data, dict):
            what = "%s '%s'" % (meta, name)
            implicit = ObjectType('q_obj_%s-arg' % name, expr.info, None, [],
                                  None, self._members(expr.info, data, what))
            self._add(implicit)
            return implicit.name
        if isinstance(data, str):
            return data
        raise QAPIError(expr.info, "%s '%s': 'data' must be an object or a "
                        "type name" % (meta, name))

    def _def_command(self, name, expr, feats):
        cmd = Command(name, expr.info, expr.doc, feats, expr.tree)
        cmd.arg_ref = self._arg_type(name, expr, 'command')
        if cmd.ret_ref is not None:
            self._check_ref(expr.info, cmd.ret_ref,
                            "command '%s' returns" % name)
        return cmd

    def _def_event(self, name, expr, feats):
        ev = Event(name, expr.info, expr.doc, feats, expr.tree)
        ev.arg_ref = self._arg_type(name, expr, 'event')
        return ev

    # ---- resolution -----------------------------------------------------
    def lookup(self, ref, info, what):
        if isinstance(ref, list):
            elem = self.lookup(ref[0], info, what)
            if elem.name == 'null':
                raise QAPIError(info, "%s: arrays of 'null' are not "
                                "supported" % what)
            if elem.name not in self.arrays:
                self.arrays[elem.name] = ArrayType(elem)
            return self.arrays[elem.name]
        typ = self.types.get(ref)
        if typ is None:
            raise QAPIError(info, "%s uses unknown type '%s'" % (what, ref))
        return typ

    def _resolve(self, ent):
        if isinstance(ent, ObjectType):
            for m in ent.local_members:
                m.type = self.lookup(m.type_ref, m.info, "%s member '%s'"
                                     % (ent.describe(), m.name))
            if ent.base_ref is not None:
                ent.base = self.lookup(ent.base_ref, ent.info,
                                       "%s base" % ent.describe())
            for v in ent.variants:
                v.type = self.lookup(v.type_ref, v.info, "%s branch '%s'"
                                     % (ent.describe(), v.name))
        elif isinstance(ent, AlternateType):
            for v in ent.variants:
                v.type = self.lookup(v.type_ref, v.info, "%s branch '%s'"
                                     % (ent.describe(), v.name))
        elif isinstance(ent, (Command, Event)):
            if ent.arg_ref is not None:
                ent.arg_type = self.lookup(ent.arg_ref, ent.info,
                                           "%s data" % ent.describe())
            if isinstance(ent, Command) and ent.ret_ref is not None:
                ent.ret_type = self.lookup(ent.ret_ref, ent.info,
                                           "%s returns" % ent.describe())

    # ---- checks ---------------------------------------------------------
    def _check(self, ent):
        if isinstance(ent, ObjectType):
            self._check_object(ent, [])
        elif isinstance(ent, AlternateType):
            self._check_alternate(ent)
        elif isinstance(ent, (Command, Event)):
            self._check_cmd_event(ent)

    def _check_object(self, obj, stack):
        what = obj.describe()
        if obj in stack:
            raise QAPIError(obj.info, "%s contains itself" % what)
        base = obj.base
        if base is not None:
            if not isinstance(base, ObjectType) or base.variants:
                raise QAPIError(obj.info, "%s: base '%s' must be a struct "
                                "type" % (what, base.name))
            self._check_object(base, stack + [obj])
        seen = {}
        for m in obj.all_members():
            cname = m.c_name()
            if cname in seen:
                raise QAPIError(m.info, "%s: member '%s' clashes with '%s'"
                                % (what, m.name, seen[cname]))
            if m.name.startswith('has_') or m.name == 'u':
                raise QAPIError(m.info, "%s: member name '%s' is reserved"
                                % (what, m.name))
            seen[cname] = m.name
        if obj.tag_name is not None:
            self._check_union(obj, seen)

    def _check_union(self, obj, seen):
        what = obj.describe()
        tag = None
        for m in obj.all_members():
            if m.name == obj.tag_name:
                tag = m
        if tag is None:
            raise QAPIError(obj.info, "%s: discriminator '%s' is not a member "
                            "of base type '%s'" % (what, obj.tag_name,
                                                   obj.base.name))
        if not isinstance(tag.type, EnumType) or tag.optional:
            raise QAPIError(obj.info, "%s: discriminator '%s' must be a "
                            "mandatory enum member" % (what, obj.tag_name))
        obj.tag_member = tag
        values = [v for v, _ in tag.type.values]
        for v in obj.variants:
            if v.name not in values:
                raise QAPIError(obj.info, "%s: branch '%s' is not a value of "
                                "%s" % (what, v.name, tag.type.describe()))
            if not isinstance(v.type, ObjectType):
                raise QAPIError(obj.info, "%s: branch '%s' must be an object "
                                "type" % (what, v.name))
            for m in v.type.all_members():
                if m.c_name() in seen:
                    raise QAPIError(obj.info, "%s: member '%s' of branch '%s' "
                                    "clashes with a base member"
                                    % (what, m.name, v.name))

    def _check_alternate(self, alt):
        what = alt.describe()
        qtypes = {}
        for v in alt.variants:
            qt = v.type.qtype()
            if qt is None:
                raise QAPIError(alt.info, "%s branch '%s' cannot use %s"
                                % (what, v.name, v.type.describe()))
            if qt in qtypes:
                raise QAPIError(alt.info, "%s branch '%s' can't be "
                                "distinguished from '%s'"
                                % (what, v.name, qtypes[qt]))
            qtypes[qt] = v.name

    def _check_cmd_event(self, ent):
        what = ent.describe()
        arg = ent.arg_type
        if arg is not None:
            if ent.boxed:
                if not isinstance(arg, (ObjectType, AlternateType)):
                    raise QAPIError(ent.info, "%s: 'data' for 'boxed' must "
                                    "name an object type" % what)
            elif not isinstance(arg, ObjectType) or arg.variants:
                raise QAPIError(ent.info, "%s: 'data' must name a struct "
                                "type" % what)
        elif ent.boxed:
            raise QAPIError(ent.info, "%s: 'boxed' requires 'data'" % what)

    # ---- helpers for the back ends --------------------------------------
    def entities_of(self, module):
        return [e for e in self.entities if e.module == module]

    def arrays_of(self, module):
        return [a for a in self.arrays.values() if a.module == module]

    def builtin_types(self):
        return [self.types[n] for n in BUILTINS]
