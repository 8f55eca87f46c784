"""ternd's command line, chardevs and monitors, daemonizing and signals.

Reference: shared/reference/qemu-control.md sections 3 and 4, and the
"Exit status" section of DESIGN.md.
"""

import ctypes
import json
import os
import re
import signal
import socket
import tempfile
import time

import pytest

from ternd import (TIMEOUT, Deadline, QMPConnection, assert_return, dump,
                   free_tcp_port, run_ternd)


def check_fatal(result, stderr_start, rc=1):
    """A start-up failure: status rc, nothing on stdout, stderr starting
    with the given text."""
    text = f'status {result.returncode}\nstdout: {result.stdout!r}\n' \
           f'stderr: {result.stderr!r}'
    assert result.returncode == rc, text
    assert result.stdout == '', text
    assert result.stderr.startswith(stderr_start), text


# -- bad command lines --------------------------------------------------------

@pytest.mark.parametrize('option', ['-foo', '-qmpx', '-m2'])
def test_unknown_option(option):
    result = run_ternd([option])
    check_fatal(result, f'ternd: {option}: invalid option')
    assert result.stderr == f'ternd: {option}: invalid option\n', \
        repr(result.stderr)


def test_unknown_option_without_nodefaults():
    result = run_ternd(['-foo'], nodefaults=False)
    check_fatal(result, 'ternd: -foo: invalid option\n')


@pytest.mark.parametrize('option', ['-m', '-name', '-qmp', '-machine',
                                    '-chardev', '-mon', '-object'])
def test_missing_argument(option):
    result = run_ternd([option])
    check_fatal(result, f'ternd: {option}: requires an argument')
    assert result.stderr == f'ternd: {option}: requires an argument\n', \
        repr(result.stderr)


@pytest.mark.parametrize('value', ['1X', 'abc', '-5', ''])
def test_bad_memory_size(value):
    result = run_ternd(['-m', value])
    check_fatal(result, f'ternd: -m {value}: ')


def test_unknown_machine():
    result = run_ternd(['-machine', 'nosuch'])
    check_fatal(result, 'ternd: ')
    assert 'unsupported machine type: "nosuch"' in result.stderr, \
        result.stderr
    assert 'Use -machine help to list supported machines' in result.stderr, \
        result.stderr


def test_unknown_machine_property():
    result = run_ternd(['-machine', 'none,foo=bar'])
    check_fatal(result, 'ternd: ')


def test_unknown_object_type():
    result = run_ternd(['-object', 'bogus-type,id=x'])
    check_fatal(result, 'ternd: -object bogus-type,id=x: ')
    assert result.stderr == ("ternd: -object bogus-type,id=x: Parameter "
                             "'qom-type' does not accept value "
                             "'bogus-type'\n"), repr(result.stderr)


def test_unknown_accelerator():
    result = run_ternd(['-accel', 'bogus'])
    check_fatal(result, 'ternd: ')
    assert 'invalid accelerator bogus' in result.stderr, result.stderr


def test_mon_unknown_chardev():
    result = run_ternd(['-mon', 'chardev=nosuch,mode=control'])
    check_fatal(result, 'ternd: ')
    assert 'chardev "nosuch" not found' in result.stderr, result.stderr


def test_chardev_client_nobody_listening():
    path = os.path.join(tempfile.mkdtemp(prefix='tern-'), 'none.sock')
    result = run_ternd(['-chardev', f'socket,id=c,path={path}',
                        '-mon', 'chardev=c,mode=control'])
    check_fatal(result, 'ternd: ')
    os.rmdir(os.path.dirname(path))


# -- informational options ----------------------------------------------------

def test_version():
    result = run_ternd(['-version'], nodefaults=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == '', result.stderr
    lines = result.stdout.split('\n')
    assert len(lines) == 3 and lines[2] == '', repr(result.stdout)
    assert re.fullmatch(r'QEMU emulator version 10\.0\.0 '
                        r'\(tern \d+\.\d+\.\d+\)', lines[0]), repr(lines[0])
    assert lines[1].startswith('Copyright'), repr(lines[1])


def test_help():
    result = run_ternd(['-help'], nodefaults=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('QEMU emulator version 10.0.0'), \
        result.stdout[:200]
    for option in ('-qmp', '-chardev', '-mon', '-machine', '-daemonize'):
        assert option in result.stdout, option


@pytest.mark.parametrize('option', ['-machine', '-M'])
def test_machine_help(option):
    result = run_ternd([option, 'help'])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == 'Supported machines are:', result.stdout
    assert 'none                 empty machine' in lines, result.stdout
    tern = [l for l in lines if l.startswith('tern ')]
    assert len(tern) == 1 and tern[0].endswith(' (default)'), result.stdout
    pc = [l for l in lines if l.startswith('pc ')]
    assert len(pc) == 1 and '(alias of ' in pc[0], result.stdout
    for line in lines[1:]:
        # '%-20s %s': the name padded to 20 columns, a space, the text.
        name = line.split(' ', 1)[0]
        assert name and ' ' in line, repr(line)
        head = f'{name:<20} '
        assert line.startswith(head) and line[len(head)] != ' ', repr(line)


def test_accel_help():
    result = run_ternd(['-accel', 'help'])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == 'Accelerators supported in QEMU binary:', \
        result.stdout
    assert 'tcg' in lines or 'soft' in lines, result.stdout
    assert 'qtest' not in lines, result.stdout


# -- accepted options ---------------------------------------------------------

@pytest.mark.parametrize('args', [
    ['-accel', 'tcg'],
    ['-accel', 'soft'],
    ['-machine', 'tern,accel=tcg'],
    ['-machine', 'type=pc'],
    ['-M', 'q35'],
    ['-m', '256'],
    ['-m', '64M'],
    ['-m', 'size=1G'],
    ['-smp', '2'],
    ['-display', 'none'],
    ['-name', 'vm,debug-threads=on'],
], ids=lambda a: ' '.join(a))
def test_accepted_options(vm_factory, args):
    vm = vm_factory(args)
    assert vm.cmd_ok('query-status')['status'] == 'running'


def test_double_dash_options(vm_factory):
    vm = vm_factory(['--name', 'dd', '--S'])
    assert vm.cmd_ok('query-name') == {'name': 'dd'}
    assert vm.cmd_ok('query-status')['status'] == 'prelaunch'


# -- chardevs and monitors ----------------------------------------------------

def test_chardev_server_mon_control(vm_factory):
    vm = vm_factory(lambda vm: [
        '-chardev', f"socket,id=c,path={vm.path('c.sock')},server=on,"
        'wait=off', '-mon', 'chardev=c,mode=control'],
        qmp=False, wait_for=['c.sock'])
    conn = vm.connect(path=vm.path('c.sock'))
    assert conn.cmd_ok('query-status')['status'] == 'running'


def test_chardev_server_tcp(vm_factory):
    port = free_tcp_port()
    vm = vm_factory(['-chardev', f'socket,id=c,host=127.0.0.1,port={port},'
                     'server=on,wait=off', '-mon', 'chardev=c,mode=control'],
                    qmp=False)
    conn = vm.connect_tcp('127.0.0.1', port)
    second = vm.connect_tcp('127.0.0.1', port)
    conn.cmd_ok('stop')
    second.events_wait('STOP')


def test_chardev_server_wait_on(vm_factory):
    # wait defaults to on: start-up blocks until the first client comes.
    vm = vm_factory(lambda vm: [
        '-chardev', f"socket,id=c,path={vm.path('w.sock')},server=on",
        '-mon', 'chardev=c,mode=control'],
        qmp=False, wait_for=['w.sock'])
    conn = vm.connect(path=vm.path('w.sock'))
    assert conn.cmd_ok('query-status')['status'] == 'running'
    text = vm.stderr()
    assert ('waiting for connection on: disconnected:unix:'
            f"{vm.path('w.sock')},server=on") in text, text


def test_qmp_short_form_booleans_silent(vm_factory):
    # The compat syntax accepts server,nowait without a warning.
    vm = vm_factory(lambda vm: [
        '-qmp', f"unix:{vm.path('s.sock')},server,nowait"],
        qmp=False, wait_for=['s.sock'])
    conn = vm.connect(path=vm.path('s.sock'))
    assert conn.cmd_ok('query-status')['status'] == 'running'
    assert vm.stderr() == '', vm.stderr()


def test_chardev_short_form_boolean_warns(vm_factory):
    vm = vm_factory(lambda vm: [
        '-chardev', f"socket,id=c,path={vm.path('c.sock')},server=on,nowait",
        '-mon', 'chardev=c,mode=control'],
        qmp=False, wait_for=['c.sock'])
    vm.connect(path=vm.path('c.sock'))
    text = vm.stderr()
    assert ("warning: short-form boolean option 'nowait' deprecated\n"
            'Please use wait=off instead\n') in text, text


def test_qmp_on_two_sockets(vm_factory):
    vm = vm_factory(lambda vm: [
        '-qmp', f"unix:{vm.path('second.sock')},server=on,wait=off"],
        wait_for=['second.sock'])
    other = vm.connect(path=vm.path('second.sock'))
    vm.cmd_ok('stop')
    other.events_wait('STOP')


def accept_one(listener):
    listener.settimeout(TIMEOUT)
    conn, _ = listener.accept()
    conn.settimeout(TIMEOUT)
    return QMPConnection(conn)


@pytest.mark.parametrize('kind', ['chardev-unix', 'chardev-tcp', 'qmp-unix',
                                  'qmp-tcp'])
def test_client_mode(vm_factory, kind):
    """The test listens first; ternd connects to it at start-up."""
    tmp = tempfile.mkdtemp(prefix='tern-')
    if kind.endswith('unix'):
        path = os.path.join(tmp, 'listen.sock')
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(path)
        chardev = f'socket,id=c,path={path}'
        compat = f'unix:{path}'
    else:
        listener = socket.socket()
        listener.bind(('127.0.0.1', 0))
        port = listener.getsockname()[1]
        chardev = f'socket,id=c,host=127.0.0.1,port={port}'
        compat = f'tcp:127.0.0.1:{port}'
    listener.listen(1)
    try:
        if kind.startswith('chardev'):
            args = ['-chardev', chardev, '-mon', 'chardev=c,mode=control']
        else:
            args = ['-qmp', compat]
        vm = vm_factory(args, qmp=False)
        conn = accept_one(listener)
        vm.conns.append(conn)
        greeting = conn.read_greeting()
        assert greeting['QMP']['capabilities'] == [], dump(greeting)
        conn.negotiate()
        assert conn.cmd_ok('query-status')['status'] == 'running'
        conn.cmd_ok('stop')
        conn.events_wait('STOP')
    finally:
        listener.close()
        if kind.endswith('unix'):
            os.unlink(path)
        os.rmdir(tmp)


def qemu_pretty(value, level=0):
    """QEMU's pretty JSON layout (reference section 1.9), CRLF lines."""
    pad = '\r\n' + '    ' * (level + 1)
    end = '\r\n' + '    ' * level
    if isinstance(value, dict):
        items = [json_str(k) + ': ' + qemu_pretty(v, level + 1)
                 for k, v in value.items()]
        return '{' + ','.join(pad + i for i in items) + end + '}'
    if isinstance(value, list):
        items = [qemu_pretty(v, level + 1) for v in value]
        return '[' + ','.join(pad + i for i in items) + end + ']'
    return json_str(value)


def json_str(value):
    return json.dumps(value, ensure_ascii=True)


def test_qmp_pretty(vm_factory):
    vm = vm_factory(lambda vm: [
        '-qmp-pretty', f"unix:{vm.path('p.sock')},server=on,wait=off"],
        qmp=False, wait_for=['p.sock'])
    conn = vm.connect(path=vm.path('p.sock'), negotiate=False)
    greeting = conn.raw_log[-1].decode()
    assert greeting == qemu_pretty(conn.greeting) + '\r\n', repr(greeting)
    assert '"capabilities": [\r\n        ]\r\n' in greeting, repr(greeting)
    conn.cmd_ok('qmp_capabilities')
    assert conn.raw_log[-1] == b'{\r\n    "return": {\r\n    }\r\n}\r\n', \
        conn.raw_log[-1]
    conn.cmd_ok('query-status')
    assert conn.raw_log[-1] == (b'{\r\n    "return": {\r\n'
                                b'        "status": "running",\r\n'
                                b'        "running": true\r\n'
                                b'    }\r\n}\r\n'), conn.raw_log[-1]
    conn.cmd_ok('stop')
    event = conn.events_wait('STOP')
    raw = [r for r in conn.raw_log if b'"STOP"' in r][0].decode()
    assert raw == qemu_pretty(event) + '\r\n', repr(raw)


def test_mon_pretty_on(vm_factory):
    vm = vm_factory(lambda vm: [
        '-chardev', f"socket,id=c,path={vm.path('c.sock')},server=on,"
        'wait=off', '-mon', 'chardev=c,mode=control,pretty=on'],
        qmp=False, wait_for=['c.sock'])
    conn = vm.connect(path=vm.path('c.sock'))
    assert conn.raw_log[-1] == b'{\r\n    "return": {\r\n    }\r\n}\r\n', \
        conn.raw_log[-1]


def test_mon_pretty_with_readline_rejected():
    tmp = tempfile.mkdtemp(prefix='tern-')
    result = run_ternd(['-chardev', f'socket,id=c,path={tmp}/x.sock,'
                        'server=on,wait=off', '-mon', 'chardev=c,'
                        'mode=readline,pretty=on'])
    check_fatal(result, 'ternd: ')
    assert not os.path.exists(f'{tmp}/x.sock'), 'socket left behind'
    os.rmdir(tmp)
    assert "'pretty' is not compatible with HMP monitors" in result.stderr, \
        result.stderr


# -- signals ------------------------------------------------------------------

@pytest.mark.parametrize('signum', [signal.SIGTERM, signal.SIGINT,
                                    signal.SIGHUP])
def test_signal_shutdown(vm_factory, signum):
    vm = vm_factory()
    vm.send_signal(signum)
    ev = vm.qmp.events_wait('SHUTDOWN')
    assert ev['data'] == {'guest': False, 'reason': 'host-signal'}, dump(ev)
    vm.qmp.wait_eof()
    assert vm.wait() == 0, vm.stderr()
    assert f'ternd: terminating on signal {int(signum)}' in vm.stderr(), \
        vm.stderr()
    assert not os.path.exists(vm.qmp_path), 'socket left behind'


def test_sigterm_when_paused(vm_factory):
    vm = vm_factory(['-S'])
    vm.send_signal(signal.SIGTERM)
    vm.qmp.events_wait('SHUTDOWN')
    assert vm.wait() == 0, vm.stderr()


def test_sigpipe_ignored(vm):
    # A client that vanishes before its reply is written must not kill ternd.
    other = vm.connect()
    other.send_raw(b'{"execute": "query-qmp-schema"}')
    other.close()
    assert vm.cmd_ok('query-status')['status'] == 'running'
    vm.assert_alive()


# -- -daemonize and -pidfile --------------------------------------------------

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    """Adopt orphaned descendants, so a daemonized ternd can be reaped."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        pytest.skip('prctl(PR_SET_CHILD_SUBREAPER) failed')


def reap(pid, timeout=None):
    """Wait (bounded) for an adopted child to exit; its exit status."""
    deadline = Deadline(timeout)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        deadline.remaining(f'daemon {pid} to exit')
        time.sleep(0.01)


def children_mentioning(text):
    """pids of our adopted children whose command line contains text."""
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                cmdline = f.read().decode('utf-8', 'replace')
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid() and text in cmdline:
            pids.append(int(entry))
    return pids


@pytest.fixture
def daemon_dir():
    become_subreaper()
    tmp = tempfile.mkdtemp(prefix='tern-')
    yield tmp
    for pid in children_mentioning(tmp):
        os.kill(pid, signal.SIGKILL)
        reap(pid)
    for name in os.listdir(tmp):
        os.unlink(os.path.join(tmp, name))
    os.rmdir(tmp)


def test_daemonize_pidfile(daemon_dir):
    sock = os.path.join(daemon_dir, 'qmp.sock')
    pidfile = os.path.join(daemon_dir, 'ternd.pid')
    result = run_ternd(['-daemonize', '-pidfile', pidfile,
                        '-qmp', f'unix:{sock},server=on,wait=off'])
    assert result.returncode == 0, result.stderr
    assert result.stdout == '' and result.stderr == '', result
    # The parent exits only once the child's monitor is listening.
    assert os.path.exists(sock), 'parent exited before the socket existed'
    with open(pidfile) as f:
        content = f.read()
    assert re.fullmatch(r'\d+\n', content), repr(content)
    pid = int(content)
    assert children_mentioning(daemon_dir) == [pid]
    conn = QMPConnection.connect_unix(sock)
    try:
        conn.negotiate()
        assert conn.cmd_ok('query-status')['status'] == 'running'
        os.kill(pid, signal.SIGTERM)
        ev = conn.events_wait('SHUTDOWN')
        assert ev['data']['reason'] == 'host-signal', dump(ev)
        conn.wait_eof()
    finally:
        conn.close()
    assert reap(pid) == 0
    assert not os.path.exists(pidfile), 'pidfile not removed at exit'
    assert not os.path.exists(sock), 'socket not removed at exit'


def test_daemonize_session_and_cwd(daemon_dir):
    sock = os.path.join(daemon_dir, 'qmp.sock')
    pidfile = os.path.join(daemon_dir, 'ternd.pid')
    result = run_ternd(['-daemonize', '-pidfile', pidfile,
                        '-qmp', f'unix:{sock},server=on,wait=off'])
    assert result.returncode == 0, result.stderr
    with open(pidfile) as f:
        pid = int(f.read())
    assert os.getsid(pid) == pid, 'daemon is not a session leader'
    assert os.readlink(f'/proc/{pid}/cwd') == '/'
    assert os.readlink(f'/proc/{pid}/fd/0') == '/dev/null'


def test_daemonize_failure_exit_1(daemon_dir):
    sock = os.path.join(daemon_dir, 'nodir', 'qmp.sock')
    result = run_ternd(['-daemonize',
                        '-qmp', f'unix:{sock},server=on,wait=off'])
    check_fatal(result, 'ternd: ')
    assert children_mentioning(daemon_dir) == []


def test_daemonize_with_nographic_rejected():
    result = run_ternd(['-daemonize', '-nographic'])
    check_fatal(result, 'ternd: ')
    assert '-nographic cannot be used with -daemonize' in result.stderr, \
        result.stderr


def test_pidfile_without_daemonize(vm_factory):
    vm = vm_factory(lambda vm: ['-pidfile', vm.path('p.pid')])
    with open(vm.path('p.pid')) as f:
        assert f.read() == f'{vm.proc.pid}\n'
    vm.cmd_ok('quit')
    vm.qmp.wait_eof()
    assert vm.wait() == 0
    assert not os.path.exists(vm.path('p.pid'))


def test_pidfile_bad_directory():
    result = run_ternd(['-pidfile', '/nonexistent-dir/x.pid'])
    check_fatal(result, 'ternd: ')
    assert ("cannot create PID file: Could not create '/nonexistent-dir/x.pid'"
            ": No such file or directory") in result.stderr, result.stderr


def test_pidfile_locked(vm_factory):
    vm = vm_factory(lambda vm: ['-pidfile', vm.path('p.pid')])
    result = run_ternd(['-pidfile', vm.path('p.pid')])
    check_fatal(result, 'ternd: ')
    assert 'Cannot lock pid file' in result.stderr, result.stderr
    with open(vm.path('p.pid')) as f:
        assert f.read() == f'{vm.proc.pid}\n', 'loser clobbered the pidfile'
    assert_return(vm.cmd('query-status'))
