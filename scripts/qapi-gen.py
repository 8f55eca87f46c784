#!/usr/bin/env python3
#
# qapi-gen.py: generate C code and the QMP reference from a QAPI schema.
#
# usage: qapi-gen.py -o OUTDIR [-p PREFIX] [-b] SCHEMA.json
#
# For every module (schema file) MOD it writes PREFIXqapi-types-MOD.{c,h},
# PREFIXqapi-visit-MOD.{c,h}, PREFIXqapi-commands-MOD.{c,h} and
# PREFIXqapi-events-MOD.{c,h}; once PREFIXqapi-introspect.{c,h} and
# PREFIXqmp-reference.md; with -b also qapi-builtin-types.{c,h} and
# qapi-builtin-visit.{c,h}.  A bad schema prints 'file:line: message' and
# exits with status 1.
#

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# pylint: disable=wrong-import-position
from qapi.parser import QAPIError          # noqa: E402
from qapi.schema import Schema             # noqa: E402
from qapi.gen_types import gen_types, gen_builtin_types      # noqa: E402
from qapi.gen_visit import gen_visit, gen_builtin_visit      # noqa: E402
from qapi.gen_commands import gen_commands  # noqa: E402
from qapi.gen_events import gen_events      # noqa: E402
from qapi.gen_introspect import gen_introspect  # noqa: E402
from qapi.gen_doc import gen_doc            # noqa: E402


def main():
    ap = argparse.ArgumentParser(description='Generate code from a QAPI '
                                 'schema')
    ap.add_argument('-o', '--output-dir', default='.')
    ap.add_argument('-p', '--prefix', default='')
    ap.add_argument('-b', '--builtins', action='store_true',
                    help='also generate the built-in list types')
    ap.add_argument('--list-modules', action='store_true',
                    help='print the module names and exit')
    ap.add_argument('schema')
    args = ap.parse_args()
    try:
        schema = Schema(args.schema)
    except QAPIError as e:
        print(str(e), file=sys.stderr)
        return 1
    if args.list_modules:
        print('\n'.join(schema.modules))
        return 0
    os.makedirs(args.output_dir, exist_ok=True)
    outputs = []
    for mod in schema.modules:
        for gen in (gen_types, gen_visit, gen_commands, gen_events):
            outputs += gen(schema, mod, args.output_dir, args.prefix)
    outputs += gen_introspect(schema, args.output_dir, args.prefix)
    outputs += gen_doc(schema, args.output_dir, args.prefix)
    if args.builtins:
        outputs += gen_builtin_types(schema, args.output_dir)
        outputs += gen_builtin_visit(schema, args.output_dir)
    for out in outputs:
        out.write()
    return 0


if __name__ == '__main__':
    sys.exit(main())
