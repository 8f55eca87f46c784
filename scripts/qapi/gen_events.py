#
# gen_events.py: one emitter per event.
#
# Event SHUTDOWN with data {guest: bool, reason: ShutdownCause}:
#   void qapi_event_send_shutdown(bool guest, ShutdownCause reason);
# builds the data object and hands it to qapi_event_emit().
#

from .common import Output, c_name
from .gen_types import referenced


def params(ev):
    arg = ev.arg_type
    if arg is None:
        return ['void'], []
    if ev.boxed:
        return ['const %s *arg' % arg.c_name()], []
    decl = []
    inits = []
    for m in arg.all_members():
        if m.type.name == 'null':
            continue
        if m.has_flag():
            decl.append('bool has_%s' % m.c_name())
            inits.append('    param.has_%s = has_%s;\n' % (m.c_name(),
                                                          m.c_name()))
        ptype = m.type.c_param_type()
        sep = '' if ptype.endswith('*') else ' '
        decl.append('%s%s%s' % (ptype, sep, m.c_name()))
        cast = '(char *)' if ptype == 'const char *' else ''
        inits.append('    param.%s = %s%s;\n' % (m.c_name(), cast,
                                                  m.c_name()))
    return decl, inits


def emitter_name(ev):
    return 'qapi_event_send_%s' % c_name(ev.name.lower())


def emitter_def(ev):
    decl, inits = params(ev)
    out = 'void %s(%s)\n{\n' % (emitter_name(ev), ', '.join(decl))
    arg = ev.arg_type
    if arg is None:
        out += '    qapi_event_emit("%s", NULL);\n}\n\n' % ev.name
        return out
    out += '    JsonObject *data = json_object_new();\n'
    if not ev.boxed:
        out += '    %s param = { 0 };\n\n' % arg.c_name()
        out += ''.join(inits)
        out += '    qapi_out_%s_members(data, &param);\n' % arg.c_name()
    else:
        out += '\n    qapi_out_%s_members(data, arg);\n' % arg.c_name()
    out += '    qapi_event_emit("%s", data);\n' % ev.name
    out += '    json_object_unref(data);\n}\n\n'
    return out


def gen_events(schema, module, outdir, prefix):
    base = '%sqapi-events-%s' % (prefix, module)
    h = Output(outdir, base + '.h', 'QAPI events of module %s' % module)
    c = Output(outdir, base + '.c', 'QAPI events of module %s' % module)
    evs = [e for e in schema.entities_of(module) if e.meta == 'event']
    types = [e.arg_type for e in evs if e.arg_type]
    h.add('#include "qapi/qmp-event.h"\n')
    h.add('#include "%sqapi-types-%s.h"\n' % (prefix, module))
    for dep in referenced(types, schema, module):
        h.add('#include "%sqapi-types-%s.h"\n' % (prefix, dep))
    h.add('\n')
    c.add('#include "util/osdep.h"\n#include "%s.h"\n' % base)
    c.add('#include "%sqapi-visit-%s.h"\n' % (prefix, module))
    for dep in referenced(types, schema, module):
        c.add('#include "%sqapi-visit-%s.h"\n' % (prefix, dep))
    c.add('\n')
    for ev in evs:
        decl, _ = params(ev)
        h.add('void %s(%s);\n' % (emitter_name(ev), ', '.join(decl)))
        c.add(emitter_def(ev))
    if not evs:
        c.add('/* This module defines no events. */\n')
    return [h, c]
