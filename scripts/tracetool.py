#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
tracetool.py: generate tern's trace_*() functions from a trace-events file.

Usage: tracetool.py --group GROUP TRACE_EVENTS OUT_H OUT_C

TRACE_EVENTS uses QEMU's format, one event per line:

    [disable] name(type1 arg1, const char *arg2) "fmt %" PRIu64 " fmt %s"

with '#' comments and blank lines.  OUT_H declares one static inline
trace_NAME() per event: a USDT probe (when CONFIG_SDT) plus a call of the
log backend guarded by the event's enabled flag.  OUT_C defines the flags
and the group's event table, registered with util/trace-control.c by a
constructor.  A bad line is reported as "FILE:LINE: message" on stderr and
the exit status is 1; nothing is written then.

Only the Python 3 standard library is used.
"""

import argparse
import os
import re
import sys

MAX_ARGS = 10
PROBE_PROVIDER = 'tern'

# Standard C and fixed-width integer types only: every backend can read them.
ALLOWED_TYPE_WORDS = frozenset([
    'bool', 'char', 'int', 'long', 'short', 'signed', 'unsigned', 'void',
    'int8_t', 'int16_t', 'int32_t', 'int64_t',
    'uint8_t', 'uint16_t', 'uint32_t', 'uint64_t',
    'size_t', 'ssize_t', 'uintptr_t', 'intptr_t', 'ptrdiff_t',
])
FLOAT_TYPE_WORDS = frozenset(['float', 'double', '_Float32', '_Float64'])
VALID_PROPERTIES = frozenset(['disable'])

IDENT_RE = re.compile(r'[A-Za-z_][A-Za-z0-9_]*\Z')
EVENT_RE = re.compile(r'\s*(?P<props>(?:[A-Za-z_]\w*\s+)*?)'
                      r'(?P<name>[A-Za-z_]\w*)\s*'
                      r'\((?P<args>[^()]*)\)\s*'
                      r'(?P<fmt>.*?)\s*\Z')
# Pieces of a format: C string literals and <inttypes.h> PRI macros.
FMT_TOKEN_RE = re.compile(r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|'
                          r'(?P<pri>PRI(?P<conv>[diouxX])'
                          r'(?:8|16|32|64|PTR|MAX|FAST\d+|LEAST\d+)))')
CONV_RE = re.compile(r"%(?P<flags>[-+ #0']*)(?P<width>\*|\d+)?"
                     r'(?:\.(?P<prec>\*|\d*))?'
                     r'(?P<len>hh|h|ll|l|j|z|t|L|q)?(?P<conv>.|\Z)', re.S)
INT_CONVS = 'diouxXc'
OTHER_CONVS = 'sp'
FLOAT_CONVS = 'fFeEgGaA'


class TraceError(Exception):
    """A problem with one line of the input, with its line number."""

    def __init__(self, lineno, message):
        super().__init__(message)
        self.lineno = lineno
        self.message = message


class Event:
    """One parsed trace event."""

    def __init__(self, name, props, args, fmt, lineno):
        self.name = name
        self.props = props
        self.args = args        # list of (type, name)
        self.fmt = fmt          # C expression: literals and PRI macros
        self.lineno = lineno

    @property
    def disabled(self):
        return 'disable' in self.props


def parse_type(arg_type):
    """Check that a C argument type is made of allowed words."""
    words = arg_type.replace('*', ' ').split()
    if not words:
        raise ValueError("argument has no type")
    for word in words:
        if word == 'const':
            continue
        if word in FLOAT_TYPE_WORDS:
            raise ValueError("argument type '%s' is not allowed: floating "
                             "point cannot be traced" % arg_type)
        if word not in ALLOWED_TYPE_WORDS:
            raise ValueError("argument type '%s' is not allowed: use standard"
                             " C or fixed-size integer types, and 'void *' "
                             "for other pointers" % arg_type)
    arg_type = re.sub(r'\s*\*\s*', '*', arg_type.strip())
    arg_type = re.sub(r'\s+', ' ', arg_type)
    return re.sub(r'(?<=[^*])\*', ' *', arg_type)


def parse_args(text):
    """Parse an argument list into [(type, name)]."""
    text = text.strip()
    if text == 'void':
        return []
    args = []
    for arg in text.split(','):
        arg = arg.strip()
        if not arg:
            raise ValueError("empty argument (did you forget to use 'void'?)")
        if arg == 'void':
            raise ValueError("'void' must be the only argument")
        if '*' in arg:
            arg_type, name = arg.rsplit('*', 1)
            arg_type += '*'
        else:
            parts = arg.rsplit(None, 1)
            if len(parts) != 2:
                raise ValueError("argument '%s' needs a type and a name" % arg)
            arg_type, name = parts
        name = name.strip()
        if not IDENT_RE.match(name):
            raise ValueError("invalid argument name '%s'" % name)
        if name in [n for _, n in args]:
            raise ValueError("duplicate argument name '%s'" % name)
        args.append((parse_type(arg_type), name))
    if len(args) > MAX_ARGS:
        raise ValueError("more than %d arguments" % MAX_ARGS)
    return args


def format_text(fmt):
    """The printf text a format expression stands for (PRIx64 -> 'llx')."""
    pos = 0
    text = ''
    while pos < len(fmt):
        m = FMT_TOKEN_RE.match(fmt, pos)
        if not m:
            raise ValueError("format must be string literals and PRI macros, "
                             "not '%s'" % fmt[pos:].strip())
        if m.group('str'):
            text += m.group('str')[1:-1]
        else:
            text += 'll' + m.group('conv')
        pos = m.end()
        while pos < len(fmt) and fmt[pos].isspace():
            pos += 1
    return text


def count_conversions(text):
    """Check a printf text without '%%' pairs; return how many values it
    takes."""
    count = 0
    pos = text.find('%')
    while pos >= 0:
        c = CONV_RE.match(text, pos)
        conv = c.group('conv')
        if conv in FLOAT_CONVS:
            raise ValueError("format '%%%s' is not allowed: floating point "
                             "cannot be traced" % conv)
        if conv == 'm':
            raise ValueError("format '%m' is not allowed: pass the error as "
                             "an explicit argument")
        if conv not in INT_CONVS + OTHER_CONVS:
            raise ValueError("unsupported format conversion '%s'"
                             % c.group(0))
        count += 1 + (c.group('width') == '*') + (c.group('prec') == '*')
        pos = text.find('%', c.end())
    return count


def check_format(fmt, nargs):
    if not fmt:
        fmt = '""'
    text = format_text(fmt)
    if text.endswith('\\n'):
        raise ValueError("format must not end with a newline character")
    # Drop '%%' pairs so that count_conversions sees single '%' only.
    wanted = count_conversions(re.sub(r'%%', '', text))
    if wanted != nargs:
        raise ValueError("format takes %d value(s) but the event has %d "
                         "argument(s)" % (wanted, nargs))
    return fmt


def parse_line(line, lineno):
    m = EVENT_RE.match(line)
    if not m:
        raise ValueError("cannot parse event: expected "
                         "'name(type arg, ...) \"format\"'")
    props = m.group('props').split()
    for prop in props:
        if prop not in VALID_PROPERTIES:
            raise ValueError("unknown property '%s'" % prop)
    args = parse_args(m.group('args'))
    fmt = check_format(m.group('fmt'), len(args))
    return Event(m.group('name'), props, args, fmt, lineno)


def read_events(path):
    """Parse a trace-events file; raise TraceError on the first bad line."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    if lines[-1] != '':
        raise TraceError(len(lines), "file does not end with a newline")
    events = []
    seen = {}
    for lineno, line in enumerate(lines[:-1], 1):
        stripped = line.strip()
        if not stripped or stripped.startswith('#'):
            continue
        try:
            event = parse_line(line, lineno)
        except ValueError as e:
            raise TraceError(lineno, str(e)) from None
        # Case-insensitive: TRACE_NAME_ENABLED() is upper case.
        key = event.name.lower()
        if key in seen:
            raise TraceError(lineno, "duplicate event '%s' (first at line %d)"
                             % (event.name, seen[key]))
        seen[key] = lineno
        events.append(event)
    return events


def c_string(text):
    return '"' + text.replace('\\', '\\\\').replace('"', '\\"') + '"'


def dstate(event):
    return 'tern_trace_dstate_' + event.name


class Output:
    """Lines of a generated file, so that #line can name the next line."""

    def __init__(self, path):
        self.path = path
        self.lines = []

    def add(self, *lines):
        self.lines.extend(lines)

    def line_here(self):
        """A #line directive restoring this file's own numbering."""
        return '#line %d %s' % (len(self.lines) + 2, c_string(self.path))

    def text(self):
        return '\n'.join(self.lines) + '\n'


def gen_function(out, event, events_path):
    params = ', '.join(t + ('' if t.endswith('*') else ' ') + n
                       for t, n in event.args) or 'void'
    out.add('static inline void trace_%s(%s)' % (event.name, params), '{')
    if event.disabled:
        out.add('    /* built with the "disable" property */', '}', '')
        return
    names = [n for _, n in event.args]
    probe = 'DTRACE_PROBE%s(%s, %s' % (len(names) or '', PROBE_PROVIDER,
                                       event.name)
    out.add('#ifdef CONFIG_SDT',
            '    %s);' % ', '.join([probe] + names),
            '#endif',
            '    if (__builtin_expect(TRACE_%s_ENABLED(), 0)) {'
            % event.name.upper(),
            '#line %d %s' % (event.lineno, c_string(events_path)),
            '        trace_log_printf(%s %s "\\n"%s);'
            % (c_string(event.name + ' '), event.fmt,
               ''.join(', ' + n for n in names)))
    out.add(out.line_here())
    out.add('    }', '}', '')


def gen_header(events, group, events_path, path):
    guard = 'TRACE_%s_GENERATED_H' % re.sub(r'\W', '_', group).upper()
    out = Output(path)
    out.add('/* Generated by scripts/tracetool.py from %s: do not edit. */'
            % os.path.basename(events_path),
            '#ifndef ' + guard, '#define ' + guard, '',
            '#include "util/trace.h"', '',
            '#ifdef CONFIG_SDT', '#include <sys/sdt.h>', '#endif', '')
    for event in events:
        out.add('extern bool %s;' % dstate(event),
                '#define TRACE_%s_ENABLED() \\' % event.name.upper(),
                '    __atomic_load_n(&%s, __ATOMIC_RELAXED)' % dstate(event),
                '')
    for event in events:
        gen_function(out, event, events_path)
    out.add('#endif /* %s */' % guard)
    return out.text()


def gen_source(events, group, events_path, header_path):
    ident = re.sub(r'\W', '_', group)
    out = Output(None)
    out.add('/* Generated by scripts/tracetool.py from %s: do not edit. */'
            % os.path.basename(events_path),
            '#include "util/osdep.h"', '#include "util/trace.h"',
            '#include %s' % c_string(os.path.basename(header_path)), '')
    for event in events:
        out.add('bool %s;' % dstate(event))
    out.add('')
    for event in events:
        out.add('static TraceEvent trace_event_%s = {' % event.name,
                '    .name = %s,' % c_string(event.name),
                '    .dstate = &%s,' % dstate(event),
                '    .sstate = %s,' % ('false' if event.disabled else 'true'),
                '};', '')
    out.add('static TraceEvent *trace_group_%s_events[] = {' % ident)
    out.add(*['    &trace_event_%s,' % e.name for e in events])
    out.add('    NULL,', '};', '',
            'static void __attribute__((constructor))',
            'trace_group_%s_register(void)' % ident, '{',
            '    trace_event_register_group(trace_group_%s_events);' % ident,
            '}')
    return out.text()


def write_file(path, text):
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv):
    parser = argparse.ArgumentParser(
        description='Generate trace_*() functions from a trace-events file.')
    parser.add_argument('--group', required=True,
                        help='group name (the folder), e.g. util')
    parser.add_argument('events', help='the trace-events file')
    parser.add_argument('out_h', help='header to write')
    parser.add_argument('out_c', help='source to write')
    opts = parser.parse_args(argv)

    if not IDENT_RE.match(opts.group):
        parser.error("invalid group name '%s'" % opts.group)
    try:
        events = read_events(opts.events)
    except TraceError as e:
        sys.stderr.write('%s:%d: %s\n' % (opts.events, e.lineno, e.message))
        return 1
    except (OSError, UnicodeDecodeError) as e:
        sys.stderr.write('%s: %s\n' % (opts.events, e))
        return 1
    write_file(opts.out_h, gen_header(events, opts.group, opts.events,
                                      opts.out_h))
    write_file(opts.out_c, gen_source(events, opts.group, opts.events,
                                      opts.out_h))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
