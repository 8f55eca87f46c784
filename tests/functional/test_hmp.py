"""The human monitor on stdio and on a socket.

Reference: shared/reference/qemu-control.md section 5.  Output may contain
the echo of the typed line; the tests look for the command's own output
lines, each ending in "\\r\\n", between the echo and the next prompt.
"""

import socket
import subprocess

import pytest

from ternd import PROMPT, Deadline, dump

BANNER = "QEMU 10.0.0 monitor - type 'help' for more information\r\n"


@pytest.fixture
def hmp_vm(vm_factory):
    """ternd with '-monitor stdio' and a QMP client; banner consumed."""
    vm = vm_factory(hmp_stdio=True)
    vm.hmp_stdio.read_banner()
    return vm


def test_banner_and_prompt(hmp_vm):
    banner = hmp_vm.hmp_stdio.banner
    assert banner == BANNER + '(qemu) ', repr(banner)


def test_info_status(hmp_vm):
    out = hmp_vm.hmp_stdio.cmd('info status')
    assert 'VM status: running\r\n' in out, repr(out)
    assert out.endswith('(qemu) '), repr(out)


def test_info_version(hmp_vm):
    v = hmp_vm.cmd_ok('query-version')
    q = v['qemu']
    line = f"{q['major']}.{q['minor']}.{q['micro']}{v['package']}\r\n"
    out = hmp_vm.hmp_stdio.cmd('info version')
    assert line in out, repr(out)


def test_stop_cont(hmp_vm):
    hmp = hmp_vm.hmp_stdio
    hmp.cmd('stop')
    hmp_vm.qmp.events_wait('STOP')
    out = hmp.cmd('info status')
    assert 'VM status: paused\r\n' in out, repr(out)
    hmp.cmd('cont')
    hmp_vm.qmp.events_wait('RESUME')
    assert hmp_vm.cmd_ok('query-status')['status'] == 'running'


def test_short_aliases(hmp_vm):
    hmp = hmp_vm.hmp_stdio
    hmp.cmd('s')
    hmp_vm.qmp.events_wait('STOP')
    hmp.cmd('c')
    hmp_vm.qmp.events_wait('RESUME')


def test_unknown_command(hmp_vm):
    out = hmp_vm.hmp_stdio.cmd('nosuch')
    assert "unknown command: 'nosuch'\r\n" in out, repr(out)
    out = hmp_vm.hmp_stdio.cmd('info status')
    assert 'VM status: running\r\n' in out, repr(out)


def test_quit(hmp_vm):
    hmp_vm.hmp_stdio.send_line('quit')
    ev = hmp_vm.qmp.events_wait('SHUTDOWN')
    assert ev['data'] == {'guest': False, 'reason': 'host-qmp-quit'}, \
        dump(ev)
    hmp_vm.qmp.wait_eof()
    assert hmp_vm.wait() == 0, hmp_vm.stderr()


def test_eof_on_stdio_keeps_running(hmp_vm):
    hmp_vm.hmp_stdio.close_stdin()
    # A negative check: the daemon must still be there a while later.
    with pytest.raises(subprocess.TimeoutExpired):
        hmp_vm.proc.wait(1)
    assert hmp_vm.cmd_ok('query-status')['status'] == 'running'
    hmp_vm.assert_alive()


def test_stdio_and_hmp_command_agree(hmp_vm):
    out = hmp_vm.hmp_stdio.cmd('info status')
    assert hmp_vm.hmp('info status') in out


class SocketHMP:
    """A readline monitor reached over a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b''

    def read_until(self, marker=PROMPT):
        deadline = Deadline()
        while marker not in self.buf:
            self.sock.settimeout(deadline.remaining(f'{marker!r} on HMP'))
            data = self.sock.recv(65536)
            if not data:
                raise EOFError(f'HMP socket closed; got {self.buf!r}')
            self.buf += data
        end = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:end], self.buf[end:]
        return out.decode('utf-8', 'replace')

    def cmd(self, line):
        self.sock.sendall(line.encode() + b'\n')
        return self.read_until()


def open_hmp_socket(path):
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(10)
    sock.connect(path)
    return SocketHMP(sock)


def test_mon_readline_on_socket(vm_factory):
    vm = vm_factory(lambda vm: [
        '-chardev', f"socket,id=h,path={vm.path('hmp.sock')},server=on,"
        'wait=off', '-mon', 'chardev=h,mode=readline'],
        qmp=False, wait_for=['hmp.sock'])
    hmp = open_hmp_socket(vm.path('hmp.sock'))
    try:
        assert hmp.read_until() == BANNER + '(qemu) '
        out = hmp.cmd('info status')
        assert 'VM status: running\r\n' in out, repr(out)
    finally:
        hmp.sock.close()


def test_monitor_unix_shorthand(vm_factory):
    vm = vm_factory(lambda vm: [
        '-monitor', f"unix:{vm.path('hmp.sock')},server=on,wait=off"],
        wait_for=['hmp.sock'])
    hmp = open_hmp_socket(vm.path('hmp.sock'))
    try:
        hmp.read_until()
        hmp.cmd('stop')
        vm.qmp.events_wait('STOP')
        out = hmp.cmd('info status')
        assert 'VM status: paused\r\n' in out, repr(out)
    finally:
        hmp.sock.close()
