"""Start ternd and talk to it over QMP and HMP, for the functional tests.

Every wait in this module is bounded (TIMEOUT seconds unless the caller
says otherwise) and nothing sleeps to synchronise: sockets are read with
deadlines, the socket file is polled for with a deadline, and a daemon
that outlives its test is killed by Ternd.shutdown().

Framing rules checked on every message the daemon sends on a QMP
connection: it is one JSON object, the bytes are pure ASCII, and the text
ends in "\\r\\n" (pretty mode included).  A message that breaks them raises
ProtocolError with the raw bytes.
"""

import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

TIMEOUT = float(os.environ.get('TERN_TEST_TIMEOUT', '10'))
# Bounds a whole migration (several passes, a file save, a restore).
MIGRATION_TIMEOUT = float(os.environ.get('TERN_MIGRATION_TIMEOUT', '120'))
MIGRATION_TERMINAL = ('completed', 'failed', 'cancelled')
PROMPT = b'(qemu) '
_IN_STRING = re.compile(rb'"|\\.', re.S)
_OUTSIDE = re.compile(rb'["{}\[\]]')


def ternd_path():
    """The ternd binary under test, from the TERND environment variable."""
    path = os.environ.get('TERND')
    if not path:
        raise RuntimeError('TERND is not set: run the tests through meson '
                           'or export TERND=/path/to/ternd')
    return os.path.abspath(path)


def dump(msg):
    """A message as one line of JSON, for failure texts."""
    return json.dumps(msg)


class ProtocolError(AssertionError):
    """The daemon broke the wire protocol (framing, ASCII, order)."""


class QMPError(Exception):
    """An error reply, carrying the whole reply."""

    def __init__(self, reply):
        super().__init__('QMP error reply: ' + dump(reply))
        self.reply = reply


class Deadline:
    """A point in time after which waiting raises TimeoutError."""

    def __init__(self, timeout=None):
        self.timeout = TIMEOUT if timeout is None else timeout
        self.end = time.monotonic() + self.timeout

    def remaining(self, what='the daemon'):
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f'timed out after {self.timeout:g} s '
                               f'waiting for {what}')
        return left


class JSONFramer:
    """Split the daemon's byte stream into messages.

    A message runs from an opening '{' to the newline after its matching
    '}'; braces inside strings are skipped.  State is kept across feeds so
    a long stream is scanned once.
    """

    def __init__(self):
        self.buf = bytearray()
        self.pos = 0
        self.depth = 0
        self.in_str = False
        self.closed_at = None

    def feed(self, data):
        self.buf += data

    def _scan(self):
        buf = self.buf
        while self.pos < len(buf):
            if self.closed_at is not None:
                nl = buf.find(b'\n', self.pos)
                if nl < 0:
                    self.pos = len(buf)
                    return False
                self.pos = nl + 1
                return True
            pattern = _IN_STRING if self.in_str else _OUTSIDE
            m = pattern.search(buf, self.pos)
            if m is None:
                # Keep a trailing backslash in a string for the next feed.
                tail = self.in_str and buf.endswith(b'\\')
                self.pos = len(buf) - 1 if tail else len(buf)
                return False
            self.pos = m.end()
            self._step(m.group())
        return False

    def _step(self, tok):
        if self.in_str:
            if tok == b'"':
                self.in_str = False
            # else an escape: the pattern consumed it with its next byte
        elif tok == b'"':
            self.in_str = True
        elif tok in (b'{', b'['):
            self.depth += 1
        else:
            self.depth -= 1
            if self.depth == 0:
                self.closed_at = self.pos

    def next(self):
        """The raw bytes of the next complete message, or None."""
        if not self._scan():
            return None
        raw = bytes(self.buf[:self.pos])
        del self.buf[:self.pos]
        self.pos = 0
        self.closed_at = None
        return raw

    def pending(self):
        return bytes(self.buf)


def check_frame(raw):
    """Parse one raw message, enforcing framing, ASCII and object-ness."""
    if not raw.endswith(b'}\r\n'):
        raise ProtocolError(f'message does not end in "}}\\r\\n": {raw!r}')
    if not raw.startswith(b'{'):
        raise ProtocolError(f'message does not start with "{{": {raw!r}')
    if any(b >= 0x80 for b in raw):
        raise ProtocolError(f'message is not pure ASCII: {raw!r}')
    try:
        msg = json.loads(raw.decode('ascii'))
    except ValueError as e:
        raise ProtocolError(f'message is not JSON ({e}): {raw!r}') from None
    if not isinstance(msg, dict):
        raise ProtocolError(f'message is not an object: {raw!r}')
    return msg


class QMPConnection:
    """One QMP client connection.

    Events that arrive while waiting for a reply are queued in .events
    (oldest first); events_wait() and events_take() consume them.  Every
    raw message received is also appended to .raw_log.
    """

    def __init__(self, sock, timeout=None):
        self.sock = sock
        self.timeout = TIMEOUT if timeout is None else timeout
        self.framer = JSONFramer()
        self.events = []
        self.raw_log = []
        self.greeting = None
        self.eof = False
        self.migration_log = []     # MIGRATION statuses wait_migration saw
        self.pass_log = []          # MIGRATION_PASS numbers wait_pass saw

    @classmethod
    def connect_unix(cls, path, timeout=None):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT if timeout is None else timeout)
        sock.connect(path)
        return cls(sock, timeout)

    @classmethod
    def connect_tcp(cls, host, port, timeout=None):
        sock = socket.create_connection(
            (host, port), timeout=TIMEOUT if timeout is None else timeout)
        return cls(sock, timeout)

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    # -- receiving ---------------------------------------------------------

    def recv_raw(self, timeout=None):
        """The raw bytes of the next message; EOFError at end of stream."""
        deadline = Deadline(self.timeout if timeout is None else timeout)
        while True:
            raw = self.framer.next()
            if raw is not None:
                self.raw_log.append(raw)
                return raw
            if self.eof:
                raise EOFError('connection closed by ternd; unparsed '
                               f'bytes: {self.framer.pending()!r}')
            self.sock.settimeout(deadline.remaining('a QMP message'))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError(
                    f'no complete QMP message within {deadline.timeout:g} s;'
                    f' partial input: {self.framer.pending()[:400]!r}'
                ) from None
            except ConnectionResetError:
                data = b''
            if not data:
                self.eof = True
            self.framer.feed(data)

    def recv(self, timeout=None):
        """The next message (reply or event) as a dict."""
        return check_frame(self.recv_raw(timeout))

    def recv_reply(self, timeout=None):
        """The next non-event message; events on the way are queued."""
        while True:
            msg = self.recv(timeout)
            if 'event' in msg:
                self.events.append(msg)
                continue
            return msg

    def wait_eof(self, timeout=None):
        """Wait until the daemon closes the connection; queue events.

        Raises ProtocolError if a non-event message arrives first."""
        try:
            while True:
                msg = self.recv(timeout)
                if 'event' not in msg:
                    raise ProtocolError('unexpected message before EOF: '
                                        + dump(msg))
                self.events.append(msg)
        except EOFError:
            return

    # -- sending -----------------------------------------------------------

    def send_raw(self, data, fds=()):
        """Send bytes as they are, with fds as SCM_RIGHTS if given."""
        if fds:
            sent = socket.send_fds(self.sock, [data], list(fds))
            if sent < len(data):
                self.sock.sendall(data[sent:])
        else:
            self.sock.sendall(data)

    def send(self, msg, fds=()):
        self.send_raw(json.dumps(msg).encode('utf-8') + b'\r\n', fds)

    def request(self, name, args=None, *, id=None, has_id=False, **kw):
        """Build a request dict (id included when id is not None or
        has_id is true, so an explicit null id is possible)."""
        msg = {'execute': name}
        arguments = dict(args or {})
        arguments.update(kw)
        if arguments or args is not None:
            msg['arguments'] = arguments
        if id is not None or has_id:
            msg['id'] = id
        return msg

    def cmd(self, name, args=None, *, id=None, has_id=False, fds=(),
            check=False, timeout=None, **kw):
        """Execute a command and return the whole reply dict.

        args (a dict) and keyword arguments are merged into 'arguments'.
        With check=True an error reply raises QMPError."""
        self.send(self.request(name, args, id=id, has_id=has_id, **kw), fds)
        reply = self.recv_reply(timeout)
        if check and 'error' in reply:
            raise QMPError(reply)
        return reply

    def cmd_ok(self, name, args=None, **kw):
        """Execute a command that must succeed; return its 'return'."""
        reply = self.cmd(name, args, check=True, **kw)
        if 'return' not in reply:
            raise ProtocolError('reply without return: ' + dump(reply))
        return reply['return']

    def cmd_err(self, name, args=None, **kw):
        """Execute a command that must fail; return its 'error' object."""
        reply = self.cmd(name, args, **kw)
        if 'error' not in reply:
            raise AssertionError('expected an error reply, got: '
                                 + dump(reply))
        return reply['error']

    def send_fd(self, fd, fdname):
        """Pass fd under fdname with getfd; return the whole reply."""
        return self.cmd('getfd', fdname=fdname, fds=[fd])

    # -- negotiation -------------------------------------------------------

    def read_greeting(self, timeout=None):
        msg = self.recv(timeout)
        if 'QMP' not in msg:
            raise ProtocolError('first message is not a greeting: '
                                + dump(msg))
        self.greeting = msg
        return msg

    def negotiate(self):
        if self.greeting is None:
            self.read_greeting()
        self.cmd_ok('qmp_capabilities')

    # -- events ------------------------------------------------------------

    def events_take(self, name=None):
        """Remove and return the queued events (only NAME if given)."""
        taken = [e for e in self.events if name is None or e['event'] == name]
        self.events = [e for e in self.events if e not in taken]
        return taken

    def events_wait(self, name, timeout=None):
        """Return the first event NAME, waiting for it if not queued.

        A reply arriving meanwhile is a protocol error (nothing was asked).
        """
        for i, ev in enumerate(self.events):
            if ev['event'] == name:
                return self.events.pop(i)
        deadline = Deadline(self.timeout if timeout is None else timeout)
        while True:
            msg = self.recv(deadline.remaining(f'event {name}'))
            if 'event' not in msg:
                raise ProtocolError(f'unexpected reply while waiting for '
                                    f'event {name}: ' + dump(msg))
            if msg['event'] == name:
                return msg
            self.events.append(msg)

    def barrier(self):
        """One round trip: every event raised by earlier commands on this
        connection has arrived once this returns."""
        self.cmd_ok('query-status')

    # -- migration ---------------------------------------------------------

    def _next_event(self, names, deadline, what):
        """Pop and return the oldest event whose name is in names, waiting
        (until deadline) for one; other events stay queued."""
        while True:
            for i, ev in enumerate(self.events):
                if ev['event'] in names:
                    return self.events.pop(i)
            msg = self.recv(deadline.remaining(what))
            if 'event' not in msg:
                raise ProtocolError(f'unexpected reply while waiting for '
                                    f'{what}: ' + dump(msg))
            self.events.append(msg)

    def wait_migration(self, status, timeout=None):
        """Consume MIGRATION events until one reports status; return the
        statuses seen on the way (status last).

        Every status consumed is also appended to .migration_log.  A
        terminal status (completed, failed, cancelled) other than the one
        awaited raises AssertionError with the query-migrate reply."""
        deadline = Deadline(MIGRATION_TIMEOUT if timeout is None
                            else timeout)
        seen = []
        log = self.migration_log
        while True:
            ev = self._next_event(('MIGRATION',), deadline,
                                  f'MIGRATION {status}')
            got = ev['data']['status']
            seen.append(got)
            log.append(got)
            if got == status:
                return seen
            if got in MIGRATION_TERMINAL:
                info = self.cmd('query-migrate')
                raise AssertionError(
                    f'migration ended in {got!r} while waiting for '
                    f'{status!r} (seen {seen}); query-migrate: '
                    + dump(info))

    def wait_pass(self, n, timeout=None):
        """Consume MIGRATION_PASS events until one with pass >= n; return
        that pass number.  Passes consumed go to .pass_log.  Events are
        taken in arrival order: a MIGRATION event with a terminal status
        before that pass raises AssertionError (and stays queued)."""
        deadline = Deadline(MIGRATION_TIMEOUT if timeout is None
                            else timeout)
        scanned = 0
        while True:
            while scanned < len(self.events):
                ev = self.events[scanned]
                if ev['event'] == 'MIGRATION' and \
                        ev['data']['status'] in MIGRATION_TERMINAL:
                    raise AssertionError(
                        f'migration ended ({dump(ev)}) before pass {n}; '
                        f'passes seen {self.pass_log}')
                if ev['event'] != 'MIGRATION_PASS':
                    scanned += 1
                    continue
                self.events.pop(scanned)
                self.pass_log.append(ev['data']['pass'])
                if ev['data']['pass'] >= n:
                    return ev['data']['pass']
            msg = self.recv(deadline.remaining(f'MIGRATION_PASS {n}'))
            if 'event' not in msg:
                raise ProtocolError('unexpected reply while waiting for '
                                    'MIGRATION_PASS: ' + dump(msg))
            self.events.append(msg)


class HMPStdio:
    """The readline monitor on the daemon's stdin/stdout pipes."""

    def __init__(self, proc, timeout=None):
        self.proc = proc
        self.timeout = TIMEOUT if timeout is None else timeout
        self.buf = b''
        self.banner = None

    def read_until(self, marker=PROMPT, timeout=None):
        """Everything up to and including marker (bytes -> str)."""
        deadline = Deadline(self.timeout if timeout is None else timeout)
        fd = self.proc.stdout.fileno()
        while marker not in self.buf:
            left = deadline.remaining(f'{marker!r} on HMP stdout')
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            data = os.read(fd, 65536)
            if not data:
                raise EOFError(f'HMP stdout closed before {marker!r}; '
                               f'got {self.buf!r}')
            self.buf += data
        end = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:end], self.buf[end:]
        return out.decode('utf-8', 'replace')

    def read_banner(self):
        self.banner = self.read_until()
        return self.banner

    def send_line(self, line):
        self.proc.stdin.write(line.encode('utf-8') + b'\n')
        self.proc.stdin.flush()

    def cmd(self, line, timeout=None):
        """Type a line and return the output up to the next prompt
        (including any echo of the line and the prompt itself)."""
        self.send_line(line)
        return self.read_until(PROMPT, timeout)

    def close_stdin(self):
        self.proc.stdin.close()


class Ternd:
    """One ternd process in its own temporary directory.

    args is a list of extra arguments, or a function of the Ternd returning
    one (to use paths inside its directory: vm.path('x.sock')).  wait_for
    lists paths (relative ones inside the directory) launch() waits for.

    qmp=True adds '-qmp unix:DIR/qmp.sock,server=on,wait=off' and, after
    launch(), .qmp is a negotiated connection to it (negotiate=False
    leaves it just after the greeting).  hmp_stdio=True adds '-monitor
    stdio' and .hmp_stdio drives it.  Always call shutdown() (the fixtures
    do): it reaps the daemon whatever state it is in.  pass_fds lists
    file descriptors the daemon inherits under the same numbers (for
    '-incoming fd:N').
    """

    def __init__(self, args=(), *, qmp=True, negotiate=True, hmp_stdio=False,
                 nodefaults=True, wait_for=None, timeout=None, pass_fds=()):
        self.timeout = TIMEOUT if timeout is None else timeout
        self.pass_fds = tuple(pass_fds)
        self.dir = tempfile.mkdtemp(prefix='tern-')
        self.qmp_path = os.path.join(self.dir, 'qmp.sock')
        self.want_qmp = qmp
        self.want_negotiate = negotiate
        self.want_hmp = hmp_stdio
        self.wait_for = wait_for
        self.args = [ternd_path()]
        if nodefaults:
            self.args.append('-nodefaults')
        if qmp:
            self.args += ['-qmp', f'unix:{self.qmp_path},server=on,wait=off']
        if hmp_stdio:
            self.args += ['-monitor', 'stdio']
        self.args += list(args(self) if callable(args) else args)
        self.proc = None
        self.qmp = None
        self.hmp_stdio = None
        self.conns = []
        self.problems = []
        self.signals_sent = set()
        self.stdout_path = os.path.join(self.dir, 'stdout.log')
        self.stderr_path = os.path.join(self.dir, 'stderr.log')

    def path(self, name):
        """A path inside this daemon's temporary directory."""
        return os.path.join(self.dir, name)

    # -- life cycle --------------------------------------------------------

    def launch(self):
        stdout = subprocess.PIPE if self.want_hmp else open(self.stdout_path,
                                                             'wb')
        stdin = subprocess.PIPE if self.want_hmp else subprocess.DEVNULL
        with open(self.stderr_path, 'wb') as stderr:
            self.proc = subprocess.Popen(self.args, stdin=stdin,
                                         stdout=stdout, stderr=stderr,
                                         cwd=self.dir,
                                         pass_fds=self.pass_fds)
        if not self.want_hmp:
            stdout.close()
        else:
            self.hmp_stdio = HMPStdio(self.proc, self.timeout)
        for path in ([self.qmp_path] if self.want_qmp else []) + \
                list(self.wait_for or []):
            self.wait_for_path(self.path(path))
        if self.want_qmp:
            self.qmp = self.connect(negotiate=self.want_negotiate)
        return self

    def wait_for_path(self, path):
        """Poll (bounded) until path exists; fail early if ternd exits."""
        deadline = Deadline(self.timeout)
        while not os.path.exists(path):
            if self.proc.poll() is not None:
                raise AssertionError(
                    f'ternd exited with {self.proc.returncode} before '
                    f'creating {path}; stderr:\n{self.stderr()}')
            deadline.remaining(f'{path} to appear')
            time.sleep(0.005)

    def connect(self, negotiate=True, path=None):
        """A new client connection to the QMP socket (greeting read)."""
        path = path or self.qmp_path
        deadline = Deadline(self.timeout)
        while True:
            try:
                conn = QMPConnection.connect_unix(path, self.timeout)
                break
            except ConnectionRefusedError:
                # The file exists from bind() on; listen() comes next.
                self.assert_alive()
                deadline.remaining(f'a listener on {path}')
                time.sleep(0.005)
        self.conns.append(conn)
        conn.read_greeting()
        if negotiate:
            conn.negotiate()
        return conn

    def connect_tcp(self, host, port, negotiate=True):
        """A new client connection to a tcp QMP listener; retries (bounded)
        while the daemon has not started listening yet."""
        deadline = Deadline(self.timeout)
        while True:
            try:
                conn = QMPConnection.connect_tcp(host, port, self.timeout)
                break
            except ConnectionRefusedError:
                self.assert_alive()
                deadline.remaining(f'a listener on {host}:{port}')
                time.sleep(0.005)
        self.conns.append(conn)
        conn.read_greeting()
        if negotiate:
            conn.negotiate()
        return conn

    def cmd(self, name, args=None, **kw):
        return self.qmp.cmd(name, args, **kw)

    def cmd_ok(self, name, args=None, **kw):
        return self.qmp.cmd_ok(name, args, **kw)

    def cmd_err(self, name, args=None, **kw):
        return self.qmp.cmd_err(name, args, **kw)

    def hmp(self, command_line):
        """Run an HMP command through human-monitor-command; its text."""
        return self.qmp.cmd_ok('human-monitor-command',
                               {'command-line': command_line})

    def stderr(self):
        with open(self.stderr_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def stdout(self):
        with open(self.stdout_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    def assert_alive(self):
        if not self.is_running():
            raise AssertionError(f'ternd died (status {self.proc.returncode})'
                                 f'; stderr:\n{self.stderr()}')

    def wait(self, timeout=None):
        """Wait (bounded) for the daemon to exit; its exit status."""
        try:
            return self.proc.wait(self.timeout if timeout is None
                                  else timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f'ternd still running after {self.timeout:g} s'
                               ) from None

    def send_signal(self, signum):
        self.signals_sent.add(signum)
        self.proc.send_signal(signum)

    def shutdown(self, timeout=None):
        """Reap the daemon: SIGTERM, then SIGKILL after a bounded wait.

        Records in .problems a crash (death by a signal we did not send)
        and a daemon that ignored SIGTERM.  Returns the exit status."""
        for conn in self.conns:
            conn.close()
        if self.hmp_stdio is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(self.timeout if timeout is None
                                    else timeout)
                if rc != 0:
                    self.problems.append(f'ternd exited with {rc} on '
                                         'SIGTERM; stderr:\n' + self.stderr())
            except subprocess.TimeoutExpired:
                self.problems.append('ternd ignored SIGTERM; killed')
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        rc = self.proc.returncode
        if rc < 0 and -rc not in self.signals_sent | {signal.SIGKILL}:
            self.problems.append(f'ternd died of signal {-rc}; stderr:\n'
                                 + self.stderr())
        if sanitizer_report(self.stderr()):
            self.problems.append('sanitizer report:\n' + self.stderr())
        return rc

    def cleanup(self):
        """Remove the temporary directory (after shutdown())."""
        shutil.rmtree(self.dir, ignore_errors=True)


def free_tcp_port():
    """A tcp port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def run_ternd(args, timeout=None, nodefaults=True):
    """Run ternd to completion (command-line tests): CompletedProcess with
    text stdout/stderr.  Kills it after the timeout."""
    argv = [ternd_path()] + (['-nodefaults'] if nodefaults else []) + \
        list(args)
    result = subprocess.run(argv, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True,
                            timeout=TIMEOUT if timeout is None else timeout)
    if sanitizer_report(result.stderr):
        raise AssertionError('sanitizer report:\n' + result.stderr)
    return result


def sanitizer_report(text):
    """True when text holds an ASan, LSan or UBSan report."""
    return any(marker in text for marker in (
        'ERROR: AddressSanitizer', 'ERROR: LeakSanitizer', 'runtime error:'))


def assert_error(reply, klass, desc, id_=..., exact=True):
    """Check an error reply: class, desc (exact or prefix) and id.

    id_=... means "no id member"; anything else must be echoed."""
    text = dump(reply)
    assert 'error' in reply and 'return' not in reply, \
        'expected an error reply, got: ' + text
    err = reply['error']
    assert err.get('class') == klass, f'class is not {klass}: {text}'
    if exact:
        assert err.get('desc') == desc, f'desc is not {desc!r}: {text}'
    else:
        assert str(err.get('desc', '')).startswith(desc), \
            f'desc does not start with {desc!r}: {text}'
    if id_ is ...:
        assert 'id' not in reply, 'unexpected id: ' + text
    else:
        assert 'id' in reply and reply['id'] == id_, \
            f'id {id_!r} not echoed: {text}'


def assert_return(reply, value=..., id_=...):
    """Check a success reply (and its value and id when given)."""
    text = dump(reply)
    assert 'return' in reply and 'error' not in reply, \
        'expected a success reply, got: ' + text
    if value is not ...:
        assert reply['return'] == value, f'return is not {value!r}: {text}'
    if id_ is not ...:
        assert 'id' in reply and reply['id'] == id_, \
            f'id {id_!r} not echoed: {text}'


# -- migration helpers --------------------------------------------------------

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30

# QEMU's migration tests hold a migration live with these ...
NON_CONVERGE = {'max-bandwidth': 3000000, 'downtime-limit': 1}
# ... and let it finish with these.
CONVERGE = {'max-bandwidth': 1000000000, 'downtime-limit': 30000}


def set_caps(conn, caps):
    """migrate-set-capabilities from a dict {name: bool}."""
    return conn.cmd_ok('migrate-set-capabilities', capabilities=[
        {'capability': name, 'state': state} for name, state in caps.items()])


def set_params(conn, params):
    """migrate-set-parameters from a dict {name: value}."""
    return conn.cmd_ok('migrate-set-parameters', params)


def guest_workload(conn, timeout=None, **kw):
    """x-guest-workload; keyword names use '_' for '-' (ram_dirty_rate).
    A fill may take long: timeout bounds the reply."""
    args = {k.replace('_', '-'): v for k, v in kw.items()}
    return conn.cmd_ok('x-guest-workload', args,
                       timeout=MIGRATION_TIMEOUT if timeout is None
                       else timeout)


def guest_digest(conn, timeout=None):
    """x-query-guest-digest (computed in a worker: may take a while)."""
    return conn.cmd_ok('x-query-guest-digest',
                       timeout=MIGRATION_TIMEOUT if timeout is None
                       else timeout)


def wait_until(probe, what, timeout=None, interval=0.02):
    """Call probe() until it returns a true value and return that value.

    For state that has no event (a migration that finished before any
    client could connect): a bounded poll, never a synchronising sleep."""
    deadline = Deadline(MIGRATION_TIMEOUT if timeout is None else timeout)
    while True:
        value = probe()
        if value:
            return value
        time.sleep(min(interval, deadline.remaining(what)))


def wait_migrate_status(conn, statuses, timeout=None):
    """Poll query-migrate until its status is one of statuses; return the
    whole MigrationInfo."""
    if isinstance(statuses, str):
        statuses = (statuses,)
    last = {}

    def probe():
        last['info'] = conn.cmd_ok('query-migrate')
        return last['info'].get('status') in statuses

    try:
        wait_until(probe, f'query-migrate status in {statuses}', timeout)
    except TimeoutError as e:
        raise TimeoutError(f'{e}; last query-migrate: '
                           + dump(last.get('info'))) from None
    return last['info']


def run_state(conn):
    """The run state name from query-status."""
    return conn.cmd_ok('query-status')['status']
