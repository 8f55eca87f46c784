#
# parser.py: read QAPI schema files (QEMU's schema language).
#
# A schema file is a sequence of expressions, each a JSON-like object written
# with single- or double-quoted strings, 'true'/'false', lists and objects.
# '#' starts a comment that runs to the end of the line.  A line that is
# exactly '##' opens a documentation block, which runs up to the next line
# that is exactly '##'; the block belongs to the expression that follows it
# (or is free-form documentation when it does not start with '@name:').
#
# Every error is raised as QAPIError and printed as 'file:line: message'.
#

import os


class QAPIError(Exception):
    """A schema error, located at a file and line."""

    def __init__(self, info, msg):
        super().__init__(msg)
        self.info = info
        self.msg = msg

    def __str__(self):
        if self.info is None:
            return self.msg
        return '%s:%d: %s' % (self.info.fname, self.info.line, self.msg)


class SourceInfo:
    """Where something was defined: file name, line and schema module."""

    def __init__(self, fname, line, module):
        self.fname = fname
        self.line = line
        self.module = module

    def at(self, line):
        return SourceInfo(self.fname, line, self.module)


class DocBlock:
    """One '##' documentation block, already split into its lines."""

    def __init__(self, info, lines):
        self.info = info
        self.lines = lines
        self.symbol = None
        first = lines[0].strip() if lines else ''
        if first.startswith('@') and first.endswith(':'):
            self.symbol = first[1:-1]


class Expr:
    """A top-level schema expression with its location and doc block."""

    def __init__(self, tree, info, doc):
        self.tree = tree
        self.info = info
        self.doc = doc


class Lexer:
    """Turns one schema file into tokens; collects doc blocks on the way."""

    def __init__(self, fname, text, module):
        self.fname = fname
        self.text = text
        self.module = module
        self.pos = 0
        self.line = 1
        self.line_start = 0
        self.docs = []

    def info(self, line=None):
        return SourceInfo(self.fname, line or self.line, self.module)

    def error(self, msg, line=None):
        raise QAPIError(self.info(line), msg)

    def _newline(self):
        self.line += 1
        self.line_start = self.pos

    def _read_line(self):
        end = self.text.find('\n', self.pos)
        if end < 0:
            end = len(self.text)
        text = self.text[self.pos:end]
        self.pos = end
        return text

    def _doc_block(self):
        start = self.line
        lines = []
        self._read_line()
        while True:
            if self.pos >= len(self.text):
                self.error("documentation comment is not terminated by '##'",
                           start)
            self.pos += 1
            self._newline()
            text = self._read_line()
            if text.strip() == '##':
                break
            if not text.startswith('#'):
                self.error("documentation comment line must start with '#'")
            body = text[1:]
            if body and not body.startswith(' '):
                self.error("missing space after '#'")
            lines.append(body[1:])
        self.docs.append(DocBlock(self.info(start), lines))

    def _string(self, quote):
        start = self.line
        self.pos += 1
        out = []
        while True:
            if self.pos >= len(self.text) or self.text[self.pos] == '\n':
                self.error('missing terminating quote', start)
            ch = self.text[self.pos]
            self.pos += 1
            if ch == quote:
                return ''.join(out)
            if ch == '\\':
                if self.pos >= len(self.text):
                    self.error('missing terminating quote', start)
                esc = self.text[self.pos]
                self.pos += 1
                if esc not in '\\\'"/':
                    self.error("unknown escape \\%s" % esc)
                out.append(esc)
                continue
            if ord(ch) < 0x20 or ord(ch) > 0x7e:
                self.error('funny character in string')
            out.append(ch)

    def next(self):
        """Return (kind, value, line); kind is a bracket, ':', ',',
        'str', 'bool' or 'eof'."""
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == '\n':
                self.pos += 1
                self._newline()
            elif ch in ' \t\r':
                self.pos += 1
            elif ch == '#':
                at_bol = self.pos == self.line_start
                rest = self.text[self.pos:].split('\n', 1)[0]
                if at_bol and rest.strip() == '##':
                    self._doc_block()
                else:
                    self._read_line()
            elif ch in '{}[]:,':
                self.pos += 1
                return ch, ch, self.line
            elif ch in '\'"':
                line = self.line
                return 'str', self._string(ch), line
            elif self.text.startswith('true', self.pos):
                self.pos += 4
                return 'bool', True, self.line
            elif self.text.startswith('false', self.pos):
                self.pos += 5
                return 'bool', False, self.line
            else:
                self.error("stray '%s'" % ch)
        return 'eof', None, self.line


class FileParser:
    """Parses one file into a list of Expr (top-level objects)."""

    def __init__(self, fname, text, module):
        self.lex = Lexer(fname, text, module)
        self.tok = None
        self.advance()

    def advance(self):
        self.tok = self.lex.next()

    def error(self, msg):
        self.lex.error(msg, self.tok[2])

    def value(self):
        kind, val, _ = self.tok
        if kind == '{':
            return self.obj()
        if kind == '[':
            return self.array()
        if kind in ('str', 'bool'):
            self.advance()
            return val
        self.error('expected value')
        return None

    def obj(self):
        out = {}
        self.advance()
        if self.tok[0] == '}':
            self.advance()
            return out
        while True:
            if self.tok[0] != 'str':
                self.error('expected string as object key')
            key = self.tok[1]
            if key in out:
                self.error("duplicate key '%s'" % key)
            self.advance()
            if self.tok[0] != ':':
                self.error("expected ':' after key")
            self.advance()
            out[key] = self.value()
            if self.tok[0] == '}':
                self.advance()
                return out
            if self.tok[0] != ',':
                self.error("expected ',' or '}'")
            self.advance()

    def array(self):
        out = []
        self.advance()
        if self.tok[0] == ']':
            self.advance()
            return out
        while True:
            out.append(self.value())
            if self.tok[0] == ']':
                self.advance()
                return out
            if self.tok[0] != ',':
                self.error("expected ',' or ']'")
            self.advance()

    def parse(self):
        """Return (exprs, free_docs): exprs carry their doc block;
        free_docs is a list of (position, DocBlock) for the reference."""
        exprs = []
        free_docs = []
        while self.tok[0] != 'eof':
            if self.tok[0] != '{':
                self.error('expected top-level object')
            line = self.tok[2]
            pending = self.lex.docs
            self.lex.docs = []
            tree = self.obj()
            doc = None
            if pending and pending[-1].symbol is not None:
                doc = pending.pop()
            for blk in pending:
                free_docs.append((len(exprs), blk))
            exprs.append(Expr(tree, self.lex.info(line), doc))
        for blk in self.lex.docs:
            free_docs.append((len(exprs), blk))
        return exprs, free_docs


def module_name(fname):
    base = os.path.basename(fname)
    if base.endswith('.json'):
        base = base[:-5]
    return base


class SchemaParser:
    """Reads a main schema file and everything it includes, in order."""

    def __init__(self, fname):
        self.exprs = []
        self.modules = []
        self.module_docs = {}
        self.module_deps = {}
        self.seen = set()
        self._parse_file(fname, None)

    def _parse_file(self, fname, incl_info):
        path = os.path.realpath(fname)
        if path in self.seen:
            return
        self.seen.add(path)
        try:
            with open(fname, encoding='utf-8') as f:
                text = f.read()
        except OSError as e:
            raise QAPIError(incl_info, "can't read %s: %s"
                            % (fname, e.strerror)) from e
        mod = module_name(fname)
        if mod in self.module_deps:
            raise QAPIError(incl_info, "module name '%s' is used twice" % mod)
        self.modules.append(mod)
        self.module_deps[mod] = []
        exprs, free_docs = FileParser(fname, text, mod).parse()
        self.module_docs[mod] = free_docs
        for expr in exprs:
            tree = expr.tree
            if 'include' in tree:
                self._include(fname, mod, expr)
            elif 'pragma' in tree:
                self._pragma(expr)
            else:
                self.exprs.append(expr)

    def _include(self, fname, mod, expr):
        tree = expr.tree
        if len(tree) != 1:
            raise QAPIError(expr.info, "invalid 'include' directive")
        target = tree['include']
        if not isinstance(target, str):
            raise QAPIError(expr.info, "value of 'include' must be a string")
        incl = os.path.join(os.path.dirname(fname), target)
        dep = module_name(incl)
        if dep not in self.module_deps[mod]:
            self.module_deps[mod].append(dep)
        self._parse_file(incl, expr.info)

    @staticmethod
    def _pragma(expr):
        tree = expr.tree
        if len(tree) != 1 or not isinstance(tree['pragma'], dict):
            raise QAPIError(expr.info, "value of 'pragma' must be an object")
