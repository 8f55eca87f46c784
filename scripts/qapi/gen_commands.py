#
# gen_commands.py: handler prototypes, marshallers and the registration
# function of one module's commands.
#
# Handler of command foo-bar with data {a: str, *b: int}:
#   RET qmp_foo_bar(const char *a, bool has_b, int64_t b, GError **errp);
# where RET is the C type of 'returns', or bool (true = success) when the
# command has no 'returns'.  Marshaller:
#   bool qmp_marshal_foo_bar(JsonObject *args, JsonNode **ret,
#                            GError **errp);
#

from .common import Output, c_name
from .schema import ObjectType
from .gen_types import free_value, referenced


def handler_params(cmd):
    """(declaration list, call argument list) for the handler."""
    decl = []
    call = []
    arg = cmd.arg_type
    if arg is not None and cmd.boxed:
        decl.append('%s *arg' % arg.c_name())
        call.append('&arg')
    elif arg is not None:
        for m in arg.all_members():
            if m.type.name == 'null':
                continue
            if m.has_flag():
                decl.append('bool has_%s' % m.c_name())
                call.append('arg.has_%s' % m.c_name())
            ptype = m.type.c_param_type()
            sep = '' if ptype.endswith('*') else ' '
            decl.append('%s%s%s' % (ptype, sep, m.c_name()))
            call.append('arg.%s' % m.c_name())
    decl.append('GError **errp')
    call.append('&err')
    return decl, call


def ret_ctype(cmd):
    if cmd.ret_type is None or cmd.ret_type.name == 'null':
        return 'bool'
    return cmd.ret_type.c_type()


def handler_proto(cmd):
    decl, _ = handler_params(cmd)
    rtype = ret_ctype(cmd)
    sep = '' if rtype.endswith('*') else ' '
    return '%s%sqmp_%s(%s);\n' % (rtype, sep, c_name(cmd.name),
                                  ', '.join(decl))


def marshal_name(cmd):
    return 'qmp_marshal_%s' % c_name(cmd.name)


def marshal_def(cmd):
    _, call = handler_params(cmd)
    arg = cmd.arg_type
    arg_c = arg.c_name() if arg is not None else None
    body = '    GError *err = NULL;\n'
    if arg is not None:
        body += '    %s arg = { 0 };\n' % arg_c
    rtype = ret_ctype(cmd)
    sep = '' if rtype.endswith('*') else ' '
    body += '    %s%sretval;\n' % (rtype, sep)
    body += '    JsonNode *root = json_node_new(JSON_NODE_OBJECT);\n'
    body += '    QapiInput *in;\n    bool ok;\n\n'
    body += ('    json_node_take_object(root, args ? json_object_ref(args) '
             ': json_object_new());\n')
    body += '    in = qapi_input_new(root, QAPI_INPUT_NONE);\n'
    body += '    ok = qapi_input_start_struct(in, NULL, errp);\n'
    if arg is not None:
        members = ('qapi_in_%s_members(in, &arg, errp)' % arg_c)
        if isinstance(arg, ObjectType):
            body += '    ok = ok && %s;\n' % members
        else:
            raise AssertionError('boxed alternate arguments')
    body += '    ok = ok && qapi_input_check_struct(in, errp);\n'
    body += '    qapi_input_free(in);\n    json_node_unref(root);\n'
    body += '    if (!ok) {\n        goto out;\n    }\n'
    body += '    retval = qmp_%s(%s);\n' % (c_name(cmd.name), ', '.join(call))
    body += '    if (err) {\n        g_propagate_error(errp, err);\n'
    if rtype == 'bool':
        body += '        ok = false;\n        goto out;\n    }\n'
        body += ('    if (!retval) {\n        error_setg(errp, "Command %s '
                 'failed");\n        ok = false;\n        goto out;\n    }\n'
                 % cmd.name)
        body += ('    *ret = json_node_new(JSON_NODE_OBJECT);\n'
                 '    json_node_take_object(*ret, json_object_new());\n')
    else:
        body += '        ok = false;\n        goto out;\n    }\n'
        body += '    *ret = qapi_out_%s(retval);\n' % cmd.ret_type.c_name()
        stmt = free_value(cmd.ret_type, 'retval')
        if stmt:
            body += '    %s\n' % stmt
    body += 'out:\n'
    if arg is not None:
        body += '    qapi_free_%s_members(&arg);\n' % arg_c
    body += '    return ok;\n'
    return ('bool %s(JsonObject *args, JsonNode **ret, GError **errp)\n{\n%s}'
            '\n\n' % (marshal_name(cmd), body))


def options(cmd):
    opts = []
    if cmd.allow_oob:
        opts.append('QCO_ALLOW_OOB')
    if cmd.allow_preconfig:
        opts.append('QCO_ALLOW_PRECONFIG')
    if cmd.coroutine:
        opts.append('QCO_COROUTINE')
    return ' | '.join(opts) or 'QCO_NO_OPTIONS'


def gen_commands(schema, module, outdir, prefix):
    base = '%sqapi-commands-%s' % (prefix, module)
    h = Output(outdir, base + '.h', 'QAPI commands of module %s' % module)
    c = Output(outdir, base + '.c', 'QAPI commands of module %s' % module)
    cmds = [e for e in schema.entities_of(module)
            if e.meta == 'command' and e.gen]
    types = [t for cmd in cmds for t in (cmd.arg_type, cmd.ret_type) if t]
    h.add('#include "qapi/qmp-dispatch.h"\n')
    h.add('#include "%sqapi-types-%s.h"\n' % (prefix, module))
    for dep in referenced(types, schema, module):
        h.add('#include "%sqapi-types-%s.h"\n' % (prefix, dep))
    h.add('\n')
    c.add('#include "util/osdep.h"\n#include "%s.h"\n' % base)
    c.add('#include "%sqapi-visit-%s.h"\n' % (prefix, module))
    deps = referenced(types, schema, module)
    for dep in deps:
        c.add('#include "%sqapi-visit-%s.h"\n' % (prefix, dep))
    c.add('\n')
    for cmd in cmds:
        h.add(handler_proto(cmd))
        h.add('bool %s(JsonObject *args, JsonNode **ret, GError **errp);'
              '\n\n' % marshal_name(cmd))
        c.add(marshal_def(cmd))
    init = 'qmp_init_marshal_%s' % c_name(module, False)
    h.add('/* Register the commands of module %s into cmds. */\n' % module)
    h.add('void %s(QmpCommandList *cmds);\n' % init)
    c.add('void %s(QmpCommandList *cmds)\n{\n' % init)
    if not cmds:
        c.add('    (void)cmds;\n')
    for cmd in cmds:
        c.add('    qmp_register_command(cmds, "%s", %s,\n'
              '                         %s);\n'
              % (cmd.name, marshal_name(cmd), options(cmd)))
    c.add('}\n')
    return [h, c]
