"""The guest: RAM from -m and memory backends, the workload's QMP hooks
x-guest-workload and x-query-guest-digest, and their invariants.

Reference: docs/devel/guest.md; shared/reference/qemu-control.md 4.5.
"""

import pytest

from ternd import (MiB, assert_error, assert_return, dump, guest_digest,
                   guest_workload, run_ternd)

GUEST = ['-m', '64M']
PAGES = 64 * MiB // 4096
NO_GUEST = 'this machine has no guest'


def check_fatal(result, text):
    assert result.returncode == 1, result.stderr
    assert text in result.stderr, result.stderr


# -- x-query-guest-digest / x-guest-workload ---------------------------------

def test_fresh_guest_digest(vm_factory):
    vm = vm_factory(GUEST)
    ret = guest_digest(vm.qmp)
    # Members come in QEMU's QDict order, so compare them as a set.
    assert set(ret) == {'ram', 'ram-consistent', 'pages-written',
                        'passes', 'disks'}, dump(ret)
    assert len(ret['ram']) == 64 and int(ret['ram'], 16) >= 0, dump(ret)
    assert ret['ram-consistent'] is True, dump(ret)
    assert ret['pages-written'] == 0 and ret['passes'] == 0, dump(ret)
    assert ret['disks'] == [], dump(ret)
    # Nothing writes: the digest is stable.
    assert guest_digest(vm.qmp) == ret


def test_fill_writes_every_page_once(vm_factory):
    vm = vm_factory(GUEST)
    before = guest_digest(vm.qmp)
    assert guest_workload(vm.qmp, fill=True, seed=7) == {}
    ret = guest_digest(vm.qmp)
    assert ret['pages-written'] == PAGES, dump(ret)
    assert ret['passes'] == 1, dump(ret)
    assert ret['ram-consistent'] is True, dump(ret)
    assert ret['ram'] != before['ram'], dump(ret)


def test_digest_identical_across_processes(vm_factory):
    """The same workload from the same seed gives the same RAM, and the
    digest is the same in every process."""
    digests = []
    for _ in range(2):
        vm = vm_factory(GUEST)
        guest_workload(vm.qmp, fill=True, seed=1234)
        vm.cmd_ok('stop')
        digests.append(guest_digest(vm.qmp))
    assert digests[0] == digests[1], dump(digests)


def test_stopped_guest_is_quiescent(vm_factory):
    vm = vm_factory(GUEST)
    guest_workload(vm.qmp, fill=True, seed=3)
    guest_workload(vm.qmp, ram_dirty_rate=1024 * MiB)
    vm.cmd_ok('stop')
    first = guest_digest(vm.qmp)
    assert first['ram-consistent'] is True, dump(first)
    assert guest_digest(vm.qmp) == first
    vm.cmd_ok('cont')
    # Running again at 1 GiB/s: the writer goes on from where it was.
    vm.cmd_ok('stop')
    later = guest_digest(vm.qmp)
    assert later['pages-written'] >= first['pages-written'], dump(later)
    assert later['ram-consistent'] is True, dump(later)


def test_fill_waits_for_running_guest_other_clients_served(vm_factory):
    """A fill progresses only while the guest runs; meanwhile the monitor
    serves other clients, and the fill's reply comes once it is done."""
    vm = vm_factory(GUEST + ['-S'])
    vm.qmp.send({'execute': 'x-guest-workload',
                 'arguments': {'fill': True}, 'id': 'fill'})
    other = vm.connect()
    assert other.cmd_ok('query-status')['status'] == 'prelaunch'
    ret = guest_digest(other)
    assert ret['pages-written'] == 0, dump(ret)
    other.cmd_ok('cont')
    reply = vm.qmp.recv_reply(timeout=60)
    assert_return(reply, {}, id_='fill')
    ret = guest_digest(other)
    assert ret['pages-written'] == PAGES, dump(ret)


def test_rates_persist_when_omitted(vm_factory):
    vm = vm_factory(GUEST)
    guest_workload(vm.qmp, ram_dirty_rate=0, disk_write_rate=4096)
    # Changing the seed only keeps the rates: still nothing written.
    guest_workload(vm.qmp, seed=5)
    vm.cmd_ok('stop')
    assert guest_digest(vm.qmp)['pages-written'] == 0


@pytest.mark.parametrize('args, desc', [
    ({'ram-dirty-rate': -1},
     "Parameter 'ram-dirty-rate' expects a non-negative value"),
    ({'disk-write-rate': -5},
     "Parameter 'disk-write-rate' expects a non-negative value"),
    ({'fill': 'yes'},
     "Invalid parameter type for 'fill', expected: boolean"),
    ({'bogus': 1}, "Parameter 'bogus' is unexpected"),
])
def test_workload_bad_arguments(vm_factory, args, desc):
    vm = vm_factory(GUEST)
    assert_error(vm.cmd('x-guest-workload', args), 'GenericError', desc)


def test_machine_none_has_no_guest(vm_factory):
    vm = vm_factory(['-M', 'none'])
    assert_error(vm.cmd('x-guest-workload', {'fill': True}),
                 'GenericError', NO_GUEST)
    assert_error(vm.cmd('x-query-guest-digest'), 'GenericError', NO_GUEST)


def test_commands_are_listed(vm):
    names = [c['name'] for c in vm.cmd_ok('query-commands')]
    assert 'x-guest-workload' in names and \
        'x-query-guest-digest' in names, dump(names)


# -- memory backends ---------------------------------------------------------

@pytest.mark.parametrize('backend', [
    'memory-backend-ram,id=mem0,size=64M',
    'memory-backend-ram,id=mem0,size=64M,share=on,prealloc=on',
    'memory-backend-memfd,id=mem0,size=64M',
    'memory-backend-memfd,id=mem0,size=64M,share=off',
])
def test_backend_as_machine_memory(vm_factory, backend):
    vm = vm_factory(['-object', backend, '-machine', 'memory-backend=mem0'])
    guest_workload(vm.qmp, fill=True)
    ret = guest_digest(vm.qmp)
    assert ret['pages-written'] == PAGES, dump(ret)
    assert ret['ram-consistent'] is True, dump(ret)


def test_backend_size_is_machine_size(vm_factory):
    """Without -m the backend's size is the RAM size; with a matching -m
    it is accepted."""
    vm = vm_factory(['-object', 'memory-backend-ram,id=m,size=32M',
                     '-machine', 'memory-backend=m'])
    guest_workload(vm.qmp, fill=True)
    assert guest_digest(vm.qmp)['pages-written'] == 32 * MiB // 4096
    vm2 = vm_factory(['-m', '32M', '-object',
                      'memory-backend-ram,id=m,size=32M',
                      '-machine', 'memory-backend=m'])
    assert guest_digest(vm2.qmp)['pages-written'] == 0


def test_shared_file_seen_by_second_process(vm_factory, tmp_path):
    """share=on maps the file MAP_SHARED: a second ternd mapping the same
    file sees the first one's RAM (what x-ignore-shared relies on)."""
    mem = str(tmp_path / 'guest.mem')
    obj = f'memory-backend-file,id=mem0,size=64M,mem-path={mem},share=on'
    args = ['-object', obj, '-machine', 'memory-backend=mem0']
    first = vm_factory(args)
    guest_workload(first.qmp, fill=True, seed=42)
    first.cmd_ok('stop')
    want = guest_digest(first.qmp)
    second = vm_factory(args + ['-S'])
    got = guest_digest(second.qmp)
    assert got['ram'] == want['ram'], dump([want, got])
    assert got['ram-consistent'] is True, dump(got)


def test_file_backend_in_directory(vm_factory, tmp_path):
    obj = f'memory-backend-file,id=mem0,size=64M,mem-path={tmp_path}'
    vm = vm_factory(['-object', obj, '-machine', 'memory-backend=mem0'])
    guest_workload(vm.qmp, fill=True)
    assert guest_digest(vm.qmp)['ram-consistent'] is True
    # The temporary file is unlinked at once.
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize('args, text', [
    (['-machine', 'memory-backend=nope'], "Memory backend 'nope' not found"),
    (['-m', '128M', '-object', 'memory-backend-ram,id=m,size=64M',
      '-machine', 'memory-backend=m'],
     "Size specified by -m option must match size of explicitly "
     "specified 'memory-backend' property"),
    (['-object', 'memory-backend-ram,id=m'], "Parameter 'size' is missing"),
    (['-object', 'memory-backend-ram,id=m,size=0'],
     "can't create backend with size 0"),
    (['-object', 'memory-backend-file,id=m,size=1M'],
     'mem-path property not set'),
    (['-object', 'memory-backend-ram,id=m,size=1M,bogus=1'],
     "Property 'memory-backend-ram.bogus' not found"),
    (['-object', 'memory-backend-ram,id=m,size=1M,share=maybe'],
     "Parameter 'share' expects 'on' or 'off'"),
    (['-object', 'memory-backend-ram,id=m,size=1M',
      '-object', 'memory-backend-ram,id=m,size=1M'],
     "Duplicate ID 'm' for object"),
    (['-object', 'memory-backend-ram,id=m,size=1E'],
     "cannot set up guest memory 'm'"),
    (['-m', '1E'], "cannot set up guest memory 'pc.ram'"),
])
def test_bad_memory_configuration(args, text):
    check_fatal(run_ternd(args), text)
