"""The migration test framework: transports, cases as data, one driver.

(No tests here: the test_migration*.py files import it.)

In the spirit of QEMU's tests/qtest/migration/framework.c: a case is a
row of data (transport, form, incoming mode, live or stopped, multifd,
destination paused or not) and run_case() drives two ternd processes
through it and checks what a user relies on:

* the source's MIGRATION statuses (setup, active, [device,] completed),
  MIGRATION_PASS numbered 1, 2, ... and query-migrate's fields;
* the source ends in postmigrate; the destination completes, runs when
  the source ran and -S was not given, else stays paused;
* the destination's RAM digest equals the source's at switchover and
  every page is consistent (x-query-guest-digest).

Addresses come in two forms: 'uri' (the legacy string) and 'channels'
(a MigrationChannel list).  -incoming on the command line always takes a
URI; 'defer' uses migrate-incoming in the case's form.

Reference: shared/reference/qemu-migration.md sections 1 and 6.
"""

import dataclasses
import os
import socket

from ternd import (CONVERGE, NON_CONVERGE, MiB, dump, free_tcp_port,
                   guest_digest, guest_workload, run_state, set_caps,
                   set_params, wait_migrate_status, wait_until)

# The fast suite holds a live migration with a bandwidth the dirtying
# guest matches (so it cannot converge) but that sends a 64 MiB guest's
# first pass in about a second; the slow suite uses QEMU's 3 MB/s.
FAST_NON_CONVERGE = {'max-bandwidth': 64 * MiB, 'downtime-limit': 1}
FAST_DIRTY_RATE = 64 * MiB
SRC_STATUSES = (['setup', 'active', 'completed'],
                ['setup', 'active', 'device', 'completed'])
RAM_KEYS = ('transferred', 'remaining', 'total', 'duplicate', 'normal',
            'normal-bytes', 'dirty-pages-rate', 'mbps', 'dirty-sync-count',
            'precopy-bytes', 'downtime-bytes', 'pages-per-second')
PAGE = 4096
OFFSET = 4096           # file-offset cases write the stream here
MARKER = b'\xab'        # ... after OFFSET bytes of this


def size_bytes(text):
    units = {'M': MiB, 'G': 1 << 30}
    return int(text[:-1]) * units[text[-1]]


# -- transports ---------------------------------------------------------------

class Transport:
    """One way to carry a migration.  streaming: the destination listens
    before the source starts; otherwise the source writes a file (or a
    command's output) first and the destination reads it afterwards."""

    streaming = False
    multichannel = False

    def __init__(self, tmp):
        self.tmp = str(tmp)
        self.path = os.path.join(self.tmp, 'vm.state')
        self.fds = []

    def close(self):
        self.close_fds(list(self.fds))

    def close_fds(self, fds):
        """Close our copies of fds (handed to a daemon already)."""
        for fd in fds:
            if fd in self.fds:
                self.fds.remove(fd)
                os.close(fd)

    def src_address(self, src, form):
        """What the source's migrate gets: {'uri': ...} or
        {'channels': [...]}.  May pass fds to src first."""
        raise NotImplementedError

    def dst_cmdline(self):
        """(-incoming URI, fds the destination inherits)."""
        raise NotImplementedError

    def dst_address(self, dst, form):
        """What the destination's migrate-incoming gets."""
        raise NotImplementedError

    def check_after(self, src, dst):
        """Transport-specific checks once both ends completed."""


def main_channel(addr):
    return {'channels': [{'channel-type': 'main', 'addr': addr}]}


class FileTransport(Transport):
    offset = 0

    def prepare(self):
        if self.offset:
            with open(self.path, 'wb') as f:
                f.write(MARKER * self.offset)

    def _address(self, form):
        if form == 'uri':
            suffix = f',offset={self.offset}' if self.offset else ''
            return {'uri': f'file:{self.path}{suffix}'}
        return main_channel({'transport': 'file', 'filename': self.path,
                             'offset': self.offset})

    def src_address(self, src, form):
        self.prepare()
        return self._address(form)

    def dst_cmdline(self):
        return self._address('uri')['uri'], ()

    def dst_address(self, dst, form):
        return self._address(form)


class FileOffsetTransport(FileTransport):
    offset = OFFSET

    def check_after(self, src, dst):
        with open(self.path, 'rb') as f:
            head = f.read(self.offset + 1)
        assert head[:self.offset] == MARKER * self.offset, \
            'bytes before the offset were overwritten'
        assert len(head) == self.offset + 1, 'no stream after the offset'


class ExecTransport(Transport):
    """exec: 'cat > FILE' to save and 'cat FILE' to restore (through
    /bin/sh -c in the URI form; argv lists run directly in channels)."""

    def src_address(self, src, form):
        if form == 'uri':
            return {'uri': f'exec:cat > {self.path}'}
        return main_channel({'transport': 'exec', 'args': [
            '/bin/dd', f'of={self.path}', 'status=none']})

    def dst_cmdline(self):
        return f'exec:cat {self.path}', ()

    def dst_address(self, dst, form):
        if form == 'uri':
            return {'uri': f'exec:cat {self.path}'}
        return main_channel({'transport': 'exec',
                             'args': ['/bin/cat', self.path]})


def fd_address(form, name):
    if form == 'uri':
        return {'uri': f'fd:{name}'}
    return main_channel({'transport': 'socket', 'type': 'fd', 'str': name})


class FdFileTransport(Transport):
    """A file's fd passed with getfd (SCM_RIGHTS): fd:NAME."""

    def src_address(self, src, form):
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            src.cmd_ok('getfd', fdname='mig', fds=[fd])
        finally:
            os.close(fd)
        return fd_address(form, 'mig')

    def dst_cmdline(self):
        fd = os.open(self.path, os.O_RDONLY)
        self.fds.append(fd)
        return f'fd:{fd}', (fd,)

    def dst_address(self, dst, form):
        fd = os.open(self.path, os.O_RDONLY)
        try:
            dst.cmd_ok('getfd', fdname='mig', fds=[fd])
        finally:
            os.close(fd)
        return fd_address(form, 'mig')

    def check_after(self, src, dst):
        # QEMU closes a named migration fd once it has used it.
        err = src.cmd_err('closefd', fdname='mig')
        assert err['desc'] == "File descriptor named 'mig' not found", \
            dump(err)


class FdSocketTransport(Transport):
    """Both ends of a socketpair, one to each daemon."""

    streaming = True

    def __init__(self, tmp):
        super().__init__(tmp)
        a, b = socket.socketpair()
        self.src_fd, self.dst_fd = a.detach(), b.detach()
        self.fds = [self.src_fd, self.dst_fd]

    def src_address(self, src, form):
        src.cmd_ok('getfd', fdname='mig', fds=[self.src_fd])
        self.close_fds([self.src_fd])
        return fd_address(form, 'mig')

    def dst_cmdline(self):
        return f'fd:{self.dst_fd}', (self.dst_fd,)

    def dst_address(self, dst, form):
        dst.cmd_ok('getfd', fdname='mig', fds=[self.dst_fd])
        self.close_fds([self.dst_fd])
        return fd_address(form, 'mig')


class UnixTransport(Transport):
    streaming = True
    multichannel = True

    def __init__(self, tmp):
        super().__init__(tmp)
        self.sock = os.path.join(self.tmp, 'mig.sock')

    def _address(self, form):
        if form == 'uri':
            return {'uri': f'unix:{self.sock}'}
        return main_channel({'transport': 'socket', 'type': 'unix',
                             'path': self.sock})

    def src_address(self, src, form):
        return self._address(form)

    def dst_cmdline(self):
        return f'unix:{self.sock}', ()

    def dst_address(self, dst, form):
        return self._address(form)


class TcpTransport(UnixTransport):
    def __init__(self, tmp):
        super().__init__(tmp)
        self.port = free_tcp_port()

    def _address(self, form):
        if form == 'uri':
            return {'uri': f'tcp:127.0.0.1:{self.port}'}
        return main_channel({'transport': 'socket', 'type': 'inet',
                             'host': '127.0.0.1', 'port': str(self.port)})

    def dst_cmdline(self):
        return f'tcp:127.0.0.1:{self.port}', ()


TRANSPORTS = {
    'file': FileTransport,
    'file-offset': FileOffsetTransport,
    'exec': ExecTransport,
    'fd-file': FdFileTransport,
    'fd-socket': FdSocketTransport,
    'unix': UnixTransport,
    'tcp': TcpTransport,
}


# -- cases --------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Case:
    transport: str
    form: str = 'uri'           # uri | channels
    incoming: str = 'cmdline'   # cmdline | defer
    live: bool = False          # source running and dirtying throughout
    multifd: int = 0            # channels; 0 = multifd off
    dst_paused: bool = True     # -S on the destination
    fill: bool = True           # every page random (else mostly zero)
    mem: str = '64M'
    slow_converge: bool = False  # QEMU's 3 MB/s instead of FAST_*

    @property
    def id(self):
        parts = [self.transport, self.form, self.incoming,
                 'live' if self.live else 'stopped']
        if self.multifd:
            parts.append(f'multifd{self.multifd}')
        if not self.dst_paused:
            parts.append('run')
        if not self.fill:
            parts.append('zero')
        if self.mem != '64M':
            parts.append(self.mem)
        if self.slow_converge:
            parts.append('3MBps')
        return '/'.join(parts)


def guest_args(case):
    return ['-m', case.mem]


# -- the driver ---------------------------------------------------------------

def prepare_source(src, case):
    set_caps(src.qmp, {'events': True})
    if case.multifd:
        set_caps(src.qmp, {'multifd': True})
        set_params(src.qmp, {'multifd-channels': case.multifd})
    if case.fill:
        guest_workload(src.qmp, fill=True, seed=7)
    if case.live:
        rate = 16 * MiB if case.slow_converge else FAST_DIRTY_RATE
        guest_workload(src.qmp, ram_dirty_rate=rate)
        set_params(src.qmp, NON_CONVERGE if case.slow_converge
                   else FAST_NON_CONVERGE)
    else:
        src.cmd_ok('stop')
        set_params(src.qmp, {'max-bandwidth': 0})


def start_destination(vm_factory, case, transport):
    # As in QEMU, multifd must be set before incoming starts: defer.
    assert not (case.multifd and case.incoming == 'cmdline'), case.id
    args = guest_args(case)
    if case.dst_paused:
        args.append('-S')
    fds = ()
    if case.incoming == 'cmdline':
        uri, fds = transport.dst_cmdline()
        args += ['-incoming', uri]
    else:
        args += ['-incoming', 'defer']
    dst = vm_factory(args, pass_fds=fds)
    transport.close_fds(fds)
    if case.incoming == 'cmdline' and not transport.streaming:
        return dst      # already reading its file: nothing to set
    set_caps(dst.qmp, {'events': True})
    if case.multifd:
        set_caps(dst.qmp, {'multifd': True})
        set_params(dst.qmp, {'multifd-channels': case.multifd})
    if case.incoming == 'defer':
        dst.cmd_ok('migrate-incoming',
                   transport.dst_address(dst, case.form))
    return dst


def source_migrate(src, case, transport):
    """Start the migration and see it through to completed."""
    src.cmd_ok('migrate', transport.src_address(src, case.form))
    if case.live:
        src.qmp.wait_pass(2)
        set_params(src.qmp, CONVERGE)
    src.qmp.wait_migration('completed')


def wait_destination(dst, case, transport):
    if case.incoming == 'defer':
        seen = dst.qmp.wait_migration('completed')
        assert seen == ['setup', 'active', 'completed'], \
            f'destination MIGRATION statuses {seen}'
    elif transport.streaming:
        seen = dst.qmp.wait_migration('completed')
        assert seen[-2:] == ['active', 'completed'], \
            f'destination MIGRATION statuses {seen}'
    else:
        info = wait_migrate_status(dst.qmp, ('completed', 'failed'))
        assert info['status'] == 'completed', dump(info)


def check_source(src, case):
    log = src.qmp.migration_log
    assert log in SRC_STATUSES, f'source MIGRATION statuses {log}'
    src.qmp.barrier()
    passes = src.qmp.pass_log + [
        ev['data']['pass'] for ev in src.qmp.events_take('MIGRATION_PASS')]
    assert passes == list(range(1, len(passes) + 1)) and passes, \
        f'MIGRATION_PASS numbers {passes}'
    if case.live:
        assert len(passes) >= 2, f'live migration passes {passes}'
    info = src.cmd_ok('query-migrate')
    check_completed_info(info, case)
    assert run_state(src.qmp) == 'postmigrate'
    digest = guest_digest(src.qmp)
    assert digest['ram-consistent'] is True, dump(digest)
    return digest, info, passes


def check_pass_count(info, passes):
    """QEMU sends MIGRATION_PASS at every dirty-bitmap sync, numbered
    with dirty-sync-count."""
    assert info['ram']['dirty-sync-count'] == passes[-1], \
        f'MIGRATION_PASS events {passes}, query-migrate: {dump(info)}'


def check_completed_info(info, case):
    text = dump(info)
    assert info.get('status') == 'completed', text
    for key in ('total-time', 'downtime', 'setup-time', 'ram'):
        assert key in info, f'{key} missing: {text}'
    ram = info['ram']
    missing = [k for k in RAM_KEYS if k not in ram]
    assert not missing, f'ram lacks {missing}: {text}'
    pages = size_bytes(case.mem) // PAGE
    assert ram['total'] == size_bytes(case.mem), text
    assert ram['remaining'] == 0, text
    assert ram['normal-bytes'] == ram['normal'] * PAGE, text
    assert ram['dirty-sync-count'] >= 1, text
    if case.fill:
        assert ram['normal'] >= pages, text
        assert ram['transferred'] >= ram['normal-bytes'], text
    else:
        assert ram['duplicate'] >= pages * 9 // 10, text
        assert ram['transferred'] < size_bytes(case.mem) // 10, text
    assert info['total-time'] >= info['downtime'], text


def check_destination(dst, case, src_digest):
    info = dst.cmd_ok('query-migrate')
    assert info.get('status') == 'completed', dump(info)
    runs = case.live and not case.dst_paused
    state = run_state(dst.qmp)
    assert state == ('running' if runs else 'paused'), \
        f'destination run state {state!r}'
    if not runs:
        digest = guest_digest(dst.qmp)
        assert digest == src_digest, \
            f'source {dump(src_digest)}\ndestination {dump(digest)}'
        return
    # The guest continues the same workload: it writes on.
    src_written = src_digest['pages-written']
    wait_until_written(dst, src_written)
    dst.cmd_ok('stop')
    digest = guest_digest(dst.qmp)
    assert digest['ram-consistent'] is True, dump(digest)
    assert digest['passes'] >= src_digest['passes'], dump(digest)


def wait_until_written(dst, floor):
    def probe():
        return guest_digest(dst.qmp)['pages-written'] > floor

    wait_until(probe, f'the destination guest to write past page {floor}',
               interval=0.1)


def run_case(case, vm_factory, tmp):
    """Drive one case to the end; raises AssertionError on a failure."""
    transport = TRANSPORTS[case.transport](tmp)
    try:
        src = vm_factory(guest_args(case))
        prepare_source(src, case)
        if transport.streaming:
            dst = start_destination(vm_factory, case, transport)
            source_migrate(src, case, transport)
        else:
            source_migrate(src, case, transport)
            dst = start_destination(vm_factory, case, transport)
        wait_destination(dst, case, transport)
        src_digest, info, passes = check_source(src, case)
        check_destination(dst, case, src_digest)
        transport.check_after(src, dst)
        check_pass_count(info, passes)
        return src, dst
    finally:
        transport.close()


def reset_logs(conn):
    """Forget the MIGRATION and MIGRATION_PASS history of conn (before a
    second migration from the same daemon)."""
    conn.barrier()
    conn.events_take('MIGRATION')
    conn.events_take('MIGRATION_PASS')
    conn.migration_log.clear()
    conn.pass_log.clear()


def pages_written(vm):
    return guest_digest(vm.qmp)['pages-written']


def wait_still_writing(vm):
    """The guest of vm writes RAM: pages-written grows."""
    floor = pages_written(vm)
    wait_until(lambda: pages_written(vm) > floor,
               'the guest to keep writing', interval=0.1)
