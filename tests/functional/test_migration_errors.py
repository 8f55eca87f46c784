"""Migration failure paths: cancel, a dead or refusing destination, bad
files given to -incoming, ENOSPC, and the QMP errors of bad addresses.

A failed or cancelled outgoing migration leaves the source guest running
as before and a new migration works; a failed incoming one exits 1
(exit-on-error, the default) or stays up in 'failed' with an error-desc.

Reference: shared/reference/qemu-migration.md section 1; issue 3
("Failure").
"""

import os
import random
import signal
import subprocess

import pytest

from ternd import (CONVERGE, NON_CONVERGE, MiB, Ternd, dump, free_tcp_port,
                   guest_digest, guest_workload, run_state, run_ternd,
                   set_caps, set_params, wait_migrate_status)
from test_migration_framework import reset_logs, wait_still_writing

GUEST = ['-m', '64M']


def live_source(vm_factory, seed=1):
    """A 64 MiB guest, filled, writing 16 MiB/s, events on, held in
    'active' by QEMU's non-converging parameters once it migrates."""
    src = vm_factory(GUEST)
    set_caps(src.qmp, {'events': True})
    guest_workload(src.qmp, fill=True, seed=seed)
    guest_workload(src.qmp, ram_dirty_rate=16 * MiB)
    set_params(src.qmp, NON_CONVERGE)
    return src


def check_failed_source(src, what):
    info = src.cmd_ok('query-migrate')
    assert info.get('status') == 'failed', dump(info)
    assert info.get('error-desc'), f'{what}: no error-desc: {dump(info)}'
    assert run_state(src.qmp) == 'running'
    wait_still_writing(src)
    return info['error-desc']


def migrate_again(src, tmp_path):
    """A new migration from src (running) to a file completes and the
    file restores to the same RAM."""
    reset_logs(src.qmp)
    path = tmp_path / 'again.state'
    set_params(src.qmp, CONVERGE)
    src.cmd_ok('migrate', uri=f'file:{path}')
    src.qmp.wait_migration('completed')
    want = guest_digest(src.qmp)
    assert want['ram-consistent'] is True, dump(want)
    return path, want


# -- cancel, dead and refusing destinations -----------------------------------

def test_cancel_then_migrate_again(vm_factory, tmp_path):
    sock = tmp_path / 'mig.sock'
    src = live_source(vm_factory)
    dst = vm_factory(GUEST + ['-S', '-incoming', f'unix:{sock}'])
    src.cmd_ok('migrate', uri=f'unix:{sock}')
    src.qmp.wait_migration('active')
    assert src.cmd_ok('migrate_cancel') == {}
    seen = src.qmp.wait_migration('cancelled')
    assert seen == ['cancelling', 'cancelled'], seen
    info = src.cmd_ok('query-migrate')
    assert info.get('status') == 'cancelled', dump(info)
    assert run_state(src.qmp) == 'running'
    wait_still_writing(src)
    # The destination lost its stream: it fails and exits 1.
    assert dst.wait() == 1, dst.stderr()
    assert dst.stderr().startswith('ternd: '), dst.stderr()
    # A second cancel with nothing running succeeds and changes nothing.
    assert src.cmd_ok('migrate_cancel') == {}
    assert src.cmd_ok('query-migrate')['status'] == 'cancelled'
    # And a new live migration completes with equal RAM.
    reset_logs(src.qmp)
    set_params(src.qmp, NON_CONVERGE)
    dst2 = vm_factory(GUEST + ['-S', '-incoming', f'unix:{sock}2'])
    src.cmd_ok('migrate', uri=f'unix:{sock}2')
    src.qmp.wait_pass(2)
    set_params(src.qmp, CONVERGE)
    src.qmp.wait_migration('completed')
    wait_migrate_status(dst2.qmp, 'completed')
    want = guest_digest(src.qmp)
    assert want['ram-consistent'] is True, dump(want)
    assert guest_digest(dst2.qmp) == want


def test_cancel_without_migration(vm):
    assert vm.cmd_ok('migrate_cancel') == {}
    assert vm.cmd_ok('query-migrate') == {}


def test_killed_destination(vm_factory, tmp_path):
    sock = tmp_path / 'mig.sock'
    src = live_source(vm_factory)
    dst = vm_factory(GUEST + ['-S', '-incoming', 'defer'])
    set_caps(dst.qmp, {'events': True})
    dst.cmd_ok('migrate-incoming', uri=f'unix:{sock}')
    src.cmd_ok('migrate', uri=f'unix:{sock}')
    src.qmp.wait_migration('active')
    dst.qmp.wait_migration('active')
    dst.send_signal(signal.SIGKILL)
    dst.wait()
    src.qmp.wait_migration('failed')
    check_failed_source(src, 'killed destination')
    migrate_again(src, tmp_path)


@pytest.mark.parametrize('kind', ['unix', 'tcp'])
def test_refusing_destination(kind, vm_factory, tmp_path):
    """Nobody listens: the migration fails at once (a QMP error or a
    'failed' status), the guest runs on."""
    uri = f'unix:{tmp_path}/nobody.sock' if kind == 'unix' else \
        f'tcp:127.0.0.1:{free_tcp_port()}'
    src = vm_factory(GUEST)
    set_caps(src.qmp, {'events': True})
    guest_workload(src.qmp, fill=True, seed=2)
    guest_workload(src.qmp, ram_dirty_rate=16 * MiB)
    reply = src.cmd('migrate', uri=uri)
    if 'error' in reply:
        assert reply['error']['class'] == 'GenericError', dump(reply)
    src.qmp.wait_migration('failed', timeout=10)
    check_failed_source(src, 'refusing destination')
    migrate_again(src, tmp_path)


def test_tcp_bad_dest_port_zero(vm):
    """QEMU's /migration/bad_dest: tcp:127.0.0.1:0 must fail."""
    set_caps(vm.qmp, {'events': True})
    reply = vm.cmd('migrate', uri='tcp:127.0.0.1:0')
    if 'error' in reply:
        assert reply['error']['class'] == 'GenericError', dump(reply)
    vm.qmp.wait_migration('failed', timeout=10)
    info = vm.cmd_ok('query-migrate')
    assert info['status'] == 'failed' and info.get('error-desc'), dump(info)


def test_enospc(vm_factory, tmp_path, small_tmpfs):
    src = vm_factory(GUEST)
    set_caps(src.qmp, {'events': True})
    guest_workload(src.qmp, fill=True, seed=4)
    guest_workload(src.qmp, ram_dirty_rate=16 * MiB)
    set_params(src.qmp, CONVERGE)
    src.cmd_ok('migrate', uri=f'file:{small_tmpfs}/vm.state')
    src.qmp.wait_migration('failed')
    desc = check_failed_source(src, 'ENOSPC')
    assert 'No space left on device' in desc, desc
    migrate_again(src, tmp_path)


@pytest.fixture
def small_tmpfs(tmp_path):
    """An 8 MiB tmpfs; skips where the test cannot mount one."""
    mnt = tmp_path / 'small'
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip('ENOSPC case needs root to mount an 8 MiB tmpfs')
    result = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=8m',
                             'tern-enospc', str(mnt)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip('cannot mount a tmpfs: ' + result.stderr.strip())
    yield mnt
    subprocess.run(['umount', str(mnt)], check=True)


# -- bad incoming streams -----------------------------------------------------

@pytest.fixture(scope='module')
def good_state(tmp_path_factory):
    """A valid saved 64 MiB guest (bytes) and its digest."""
    tmp = tmp_path_factory.mktemp('good')
    path = tmp / 'good.state'
    vm = Ternd(GUEST)
    try:
        vm.launch()
        set_caps(vm.qmp, {'events': True})
        guest_workload(vm.qmp, fill=True, seed=6)
        vm.cmd_ok('stop')
        set_params(vm.qmp, {'max-bandwidth': 0})
        vm.cmd_ok('migrate', uri=f'file:{path}')
        vm.qmp.wait_migration('completed')
        digest = guest_digest(vm.qmp)
    finally:
        vm.shutdown()
        vm.cleanup()
    assert not vm.problems, vm.problems
    return path.read_bytes(), digest


def flip(data, at):
    out = bytearray(data)
    out[at] ^= 0x10
    return bytes(out)


BAD_STREAMS = {
    'empty': lambda good: b'',
    'truncated-half': lambda good: good[:len(good) // 2],
    'truncated-tail': lambda good: good[:-9],
    'truncated-header': lambda good: good[:7],
    'flipped-middle': lambda good: flip(good, len(good) // 2),
    'flipped-header': lambda good: flip(good, 5),
    'flipped-last': lambda good: flip(good, len(good) - 1),
    'qemu-stream': lambda good: b'QEVM\x00\x00\x00\x03' + bytes(4096),
    'random': lambda good: random.Random(1).randbytes(1 << 20),
    'text': lambda good: b'this is not a saved guest\n' * 100,
}


def write_bad(tmp_path, kind, good):
    path = tmp_path / f'{kind}.state'
    path.write_bytes(BAD_STREAMS[kind](good))
    return path


@pytest.mark.parametrize('kind', sorted(BAD_STREAMS))
def test_bad_file_exits(kind, good_state, tmp_path):
    path = write_bad(tmp_path, kind, good_state[0])
    result = run_ternd(GUEST + ['-incoming', f'file:{path}'],
                       timeout=60)
    text = f'status {result.returncode}; stderr: {result.stderr!r}'
    assert result.returncode == 1, text
    assert result.stderr.startswith('ternd: '), text
    assert len(result.stderr.splitlines()) <= 3, text


def test_other_ram_size_exits(good_state, tmp_path):
    """A destination with a different guest refuses the stream."""
    path = tmp_path / 'good.state'
    path.write_bytes(good_state[0])
    result = run_ternd(['-m', '128M', '-incoming', f'file:{path}'],
                       timeout=60)
    text = f'status {result.returncode}; stderr: {result.stderr!r}'
    assert result.returncode == 1, text
    assert result.stderr.startswith('ternd: '), text


def test_good_file_restores(good_state, vm_factory, tmp_path):
    """The control for the bad-file cases: the unmodified bytes load."""
    path = tmp_path / 'good.state'
    path.write_bytes(good_state[0])
    dst = vm_factory(GUEST + ['-incoming', f'file:{path}'])
    info = wait_migrate_status(dst.qmp, ('completed', 'failed'))
    assert info['status'] == 'completed', dump(info)
    assert guest_digest(dst.qmp) == good_state[1]


@pytest.mark.parametrize('kind', ['empty', 'truncated-half',
                                  'flipped-middle', 'random'])
def test_bad_file_stays_up(kind, good_state, vm_factory, tmp_path):
    """exit-on-error false: failed with an error-desc, the daemon up."""
    path = write_bad(tmp_path, kind, good_state[0])
    dst = vm_factory(GUEST + ['-incoming', 'defer'])
    set_caps(dst.qmp, {'events': True})
    dst.cmd_ok('migrate-incoming', uri=f'file:{path}',
               **{'exit-on-error': False})
    dst.qmp.wait_migration('failed')
    info = dst.cmd_ok('query-migrate')
    assert info['status'] == 'failed' and info.get('error-desc'), dump(info)
    assert run_state(dst.qmp) != 'running'
    dst.assert_alive()


# -- QMP errors ---------------------------------------------------------------

UNIX_CHANNEL = [{'channel-type': 'main',
                 'addr': {'transport': 'socket', 'type': 'unix',
                          'path': '/nonexistent/x.sock'}}]


def check_generic(err, needle):
    assert err['class'] == 'GenericError', dump(err)
    assert needle in err['desc'], f'{needle!r} not in {dump(err)}'


@pytest.mark.parametrize('command', ['migrate', 'migrate-incoming'])
def test_uri_and_channels(command, vm_factory):
    vm = vm_factory(GUEST + ['-incoming', 'defer'] if command ==
                    'migrate-incoming' else GUEST)
    err = vm.cmd_err(command, uri='unix:/nonexistent/x.sock',
                     channels=UNIX_CHANNEL)
    check_generic(err, "'uri' and 'channels' arguments are mutually "
                       "exclusive")
    err = vm.cmd_err(command)
    check_generic(err, "neither 'uri' or 'channels' argument are specified")
    err = vm.cmd_err(command, channels=[])
    check_generic(err, 'channel')
    err = vm.cmd_err(command, channels=UNIX_CHANNEL * 2)
    check_generic(err, 'Channel list has more than one entries')
    err = vm.cmd_err(command, channels=[{'channel-type': 'main',
                                         'addr': {'transport': 'bogus'}}])
    check_generic(err, 'bogus')
    if command == 'migrate':
        assert vm.cmd_ok('query-migrate') == {}
        assert run_state(vm.qmp) == 'running'


MALFORMED_URIS = ['bogus:thing', 'nocolon', '', 'tcp:127.0.0.1',
                  'tcp::', 'unix:', 'fd:', 'file:', 'file:/tmp/x,offset=',
                  'file:/tmp/x,offset=0x20M', 'file:/tmp/x,offset=-1',
                  'rdma:127.0.0.1']


@pytest.mark.parametrize('uri', MALFORMED_URIS)
def test_malformed_uri(uri, vm):
    err = vm.cmd_err('migrate', uri=uri)
    assert err['class'] == 'GenericError', dump(err)
    assert err['desc'], dump(err)
    assert vm.cmd_ok('query-migrate') == {}
    assert run_state(vm.qmp) == 'running'


def test_malformed_incoming_uri():
    result = run_ternd(GUEST + ['-incoming', 'bogus:thing'])
    text = f'status {result.returncode}; stderr: {result.stderr!r}'
    assert result.returncode == 1, text
    assert result.stderr.startswith('ternd: '), text


def test_migrate_incoming_without_defer(vm):
    err = vm.cmd_err('migrate-incoming', uri='unix:/nonexistent/x.sock')
    check_generic(err, "'-incoming' was not specified on the command line")


def test_migrate_incoming_twice(vm_factory, tmp_path):
    vm = vm_factory(GUEST + ['-incoming', 'defer'])
    vm.cmd_ok('migrate-incoming', uri=f'unix:{tmp_path}/a.sock')
    err = vm.cmd_err('migrate-incoming', uri=f'unix:{tmp_path}/b.sock')
    check_generic(err, 'The incoming migration has already been started')


def test_changes_refused_while_active(vm_factory, tmp_path):
    sock = tmp_path / 'mig.sock'
    src = live_source(vm_factory)
    dst = vm_factory(GUEST + ['-S', '-incoming', f'unix:{sock}'])
    src.cmd_ok('migrate', uri=f'unix:{sock}')
    src.qmp.wait_migration('active')
    busy = "There's a migration process in progress"
    err = src.cmd_err('migrate-set-capabilities', capabilities=[
        {'capability': 'x-ignore-shared', 'state': True}])
    check_generic(err, busy)
    err = src.cmd_err('migrate', uri=f'file:{tmp_path}/other.state')
    check_generic(err, busy)
    # Parameters may change live (that is how tests make it converge).
    set_params(src.qmp, {'downtime-limit': 2})
    assert src.cmd_ok('query-migrate')['status'] == 'active'
    src.cmd_ok('migrate_cancel')
    src.qmp.wait_migration('cancelled')
    # The cut stream fails the destination's -incoming (exit-on-error).
    assert dst.wait() == 1, dst.stderr()
    assert 'ternd: ' in dst.stderr(), dst.stderr()
    src.assert_alive()


@pytest.mark.parametrize('kind', ['file', 'exec', 'fd'])
def test_multifd_needs_multichannel(kind, vm, tmp_path):
    set_caps(vm.qmp, {'multifd': True})
    if kind == 'fd':
        fd = os.open(tmp_path / 'x', os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            vm.cmd_ok('getfd', fdname='mig', fds=[fd])
        finally:
            os.close(fd)
    uri = {'file': f'file:{tmp_path}/x', 'exec': f'exec:cat > {tmp_path}/x',
           'fd': 'fd:mig'}[kind]
    err = vm.cmd_err('migrate', uri=uri)
    check_generic(err, 'Migration requires multi-channel URIs (e.g. tcp)')
    assert run_state(vm.qmp) == 'running'


def test_events_off_no_events(vm_factory, tmp_path):
    """Without the events capability no MIGRATION event is sent."""
    src = vm_factory(GUEST)
    src.cmd_ok('stop')
    set_params(src.qmp, {'max-bandwidth': 0})
    src.cmd_ok('migrate', uri=f'file:{tmp_path}/x.state')
    wait_migrate_status(src.qmp, ('completed', 'failed'))
    src.qmp.barrier()
    assert src.qmp.events_take('MIGRATION') == []
    assert src.qmp.events_take('MIGRATION_PASS') == []


def test_no_guest_workload(vm_factory):
    vm = vm_factory(['-M', 'none'])
    err = vm.cmd_err('x-guest-workload', **{'ram-dirty-rate': 1})
    check_generic(err, 'this machine has no guest')


def test_multifd_after_incoming_started(vm_factory, tmp_path):
    """multifd cannot change once -incoming listens (QEMU's rule)."""
    vm = vm_factory(GUEST + ['-incoming', f'unix:{tmp_path}/m.sock'])
    err = vm.cmd_err('migrate-set-capabilities', capabilities=[
        {'capability': 'multifd', 'state': True}])
    check_generic(err, 'Multifd must be set before incoming starts')
