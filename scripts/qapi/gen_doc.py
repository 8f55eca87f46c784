#
# gen_doc.py: the QMP reference in Markdown, from the '##' doc comments.
#
# A definition's doc block is '@name:', then free text, then '@member:'
# descriptions (continuation lines indented), then sections such as
# 'Returns:', 'Errors:', 'Since:', 'Notes:' and 'Example:'.  Free-form
# blocks give the headings ('= Title', '== Subtitle').
#

import re

from .common import Output
from .schema import ArrayType, ObjectType

SECTION_RE = re.compile(r'^(Arguments|Returns|Errors|Since|Notes?|Examples?|'
                        r'Features|TODO|Use|Errors)\s*:\s*(.*)$')
MEMBER_RE = re.compile(r'^@([A-Za-z0-9_.-]+)\s*:\s*(.*)$')


def type_ref(typ):
    if typ is None:
        return ''
    if isinstance(typ, ArrayType):
        return '[%s]' % type_ref(typ.element)
    return typ.name


def split_doc(doc):
    """(body lines, {member: text}, [(section, lines)])"""
    body, members, sections = [], {}, []
    cur = body
    for line in doc.lines[1:]:
        m = MEMBER_RE.match(line)
        s = SECTION_RE.match(line)
        if m and cur is not None and not line.startswith(' '):
            members[m.group(1)] = [m.group(2)]
            cur = members[m.group(1)]
        elif s:
            cur = [s.group(2)] if s.group(2) else []
            sections.append((s.group(1), cur))
        else:
            cur.append(line)
    return body, members, sections


def text(lines):
    """Markdown for free text: indented or '->'/'<-' lines are code."""
    out = []
    code = False
    for line in lines:
        stripped = line.strip()
        is_code = line.startswith('    ') and stripped.startswith(
            ('->', '<-', '{', '}', '"')) or stripped.startswith(('->', '<-'))
        if is_code and not code:
            out.append('```')
            code = True
        elif code and not is_code and (stripped == '' or
                                       not line.startswith('  ')):
            out.append('```')
            code = False
        out.append(line if code else stripped)
    if code:
        out.append('```')
    return '\n'.join(out).strip() + '\n'


def members_of(ent):
    if ent.meta in ('command', 'event'):
        arg = ent.arg_type
        if arg is None or not isinstance(arg, ObjectType):
            return []
        return arg.all_members()
    if isinstance(ent, ObjectType):
        return ent.local_members
    return []


def render(ent):
    out = '### %s (%s)\n\n' % (ent.name, ent.meta)
    body, descs, sections = ([], {}, [])
    if ent.doc:
        body, descs, sections = split_doc(ent.doc)
    if any(line.strip() for line in body):
        out += text(body) + '\n'
    rows = []
    if ent.meta == 'enum':
        for v, _ in ent.values:
            rows.append('- `%s`: %s' % (v, ' '.join(
                x.strip() for x in descs.get(v, [])).strip()))
    else:
        for m in members_of(ent):
            opt = ' (optional)' if m.optional else ''
            rows.append('- `%s`: `%s`%s %s' % (
                m.name, type_ref(m.type), opt,
                ' '.join(x.strip() for x in descs.get(m.name, []))))
        for v in getattr(ent, 'variants', []):
            rows.append('- when `%s`: the members of `%s`' % (
                v.name, type_ref(v.type)))
    if ent.meta == 'union' and ent.base is not None:
        rows.insert(0, '- base: `%s`' % ent.base.name)
    if rows:
        title = 'Arguments' if ent.meta in ('command', 'event') else 'Members'
        out += '**%s:**\n\n%s\n\n' % (title, '\n'.join(rows).rstrip())
    if ent.meta == 'command' and ent.ret_type is not None:
        out += '**Returns:** `%s`\n\n' % type_ref(ent.ret_type)
    if ent.features:
        out += '**Features:** %s\n\n' % ', '.join(
            '`%s`' % f for f in ent.features)
    for name, lines in sections:
        if name == 'Returns' and ent.meta == 'command':
            name = 'Returns (details)'
        out += '**%s:**\n\n%s\n' % (name, text(lines))
    return out


def free_doc(blk):
    out = []
    for line in blk.lines:
        m = re.match(r'^(=+)\s*(.*)$', line)
        if m:
            out.append('%s %s' % ('#' * (len(m.group(1)) + 1), m.group(2)))
        else:
            out.append(line)
    return text(out) + '\n'


def gen_doc(schema, outdir, prefix):
    md = Output(outdir, prefix + 'qmp-reference.md', 'QMP reference')
    md.add('# QMP reference\n\nGenerated from the QAPI schema by '
           'qapi-gen.py; do not edit.\n\n')
    for mod in schema.modules:
        ents = [e for e in schema.entities_of(mod)
                if not getattr(e, 'is_implicit', False)]
        free = schema.module_docs.get(mod, [])
        if not ents and not free:
            continue
        free = list(free)
        idx = 0
        for i, ent in enumerate(ents):
            while free and free[0][0] <= idx:
                md.add(free_doc(free.pop(0)[1]))
            md.add(render(ent))
            idx = i + 1
        for _, blk in free:
            md.add(free_doc(blk))
    return [md]
