"""Migration: every transport in both forms, stopped and live.

The cases are data (test_migration_framework.Case) run by one driver;
this file holds the fast matrix (64 MiB guests) and the interface cases
around it: query-migrate, capabilities and parameters, HMP, tcp port 0,
x-ignore-shared.  Failure paths are in test_migration_errors.py, the big
matrix in test_migration_matrix.py (slow).

Reference: shared/reference/qemu-migration.md sections 1 and 6; issue 3.
"""

import os
import time

import pytest

from ternd import (CONVERGE, NON_CONVERGE, MiB, dump, guest_digest,
                   guest_workload, run_state, set_caps, set_params,
                   wait_until)
from test_migration_framework import (RAM_KEYS, Case, check_completed_info,
                                      run_case)

STOPPED = [Case(t, form, incoming)
           for t in ('file', 'file-offset', 'exec', 'fd-file', 'unix',
                     'tcp', 'fd-socket')
           for form, incoming in (('uri', 'cmdline'),
                                  ('channels', 'defer'))] + [
    Case('file', 'uri', 'defer'),
    Case('file', 'channels', 'cmdline'),
    Case('file', fill=False),
    Case('unix', dst_paused=False),
]
LIVE = [Case(t, form, incoming, live=True)
        for t in ('unix', 'tcp', 'fd-socket')
        for form, incoming in (('uri', 'cmdline'), ('channels', 'defer'))] + [
    Case('unix', 'uri', 'defer', live=True, multifd=2),
    Case('tcp', 'channels', 'defer', live=True, multifd=4),
    Case('unix', live=True, dst_paused=False),
    Case('tcp', 'uri', 'defer', live=True, multifd=2, dst_paused=False),
    Case('file', live=True),
]


@pytest.mark.parametrize('case', STOPPED + LIVE, ids=lambda c: c.id)
def test_migrate(case, vm_factory, tmp_path):
    run_case(case, vm_factory, tmp_path)


# -- interface ----------------------------------------------------------------

CAPS_DEFAULT_OFF = ['xbzrle', 'auto-converge', 'events', 'multifd',
                    'x-ignore-shared']
PARAM_DEFAULTS = {'max-bandwidth': 128 * MiB, 'downtime-limit': 300,
                  'multifd-channels': 2, 'cpu-throttle-initial': 20,
                  'cpu-throttle-increment': 10, 'max-cpu-throttle': 99}


def test_query_migrate_before_any(vm):
    assert vm.cmd_ok('query-migrate') == {}


def test_capabilities(vm):
    caps = {c['capability']: c['state']
            for c in vm.cmd_ok('query-migrate-capabilities')}
    for name in CAPS_DEFAULT_OFF:
        assert caps.get(name) is False, f'{name}: {dump(caps)}'
    set_caps(vm.qmp, {'events': True, 'multifd': True})
    caps = {c['capability']: c['state']
            for c in vm.cmd_ok('query-migrate-capabilities')}
    assert caps['events'] is True and caps['multifd'] is True, dump(caps)
    err = vm.cmd_err('migrate-set-capabilities', capabilities=[
        {'capability': 'no-such-cap', 'state': True}])
    assert err['class'] == 'GenericError', dump(err)


def test_parameters(vm):
    params = vm.cmd_ok('query-migrate-parameters')
    for name, value in PARAM_DEFAULTS.items():
        assert params.get(name) == value, f'{name}: {dump(params)}'
    set_params(vm.qmp, {'max-bandwidth': 0, 'downtime-limit': 1234,
                        'multifd-channels': 4})
    params = vm.cmd_ok('query-migrate-parameters')
    assert params['max-bandwidth'] == 0, dump(params)
    assert params['downtime-limit'] == 1234, dump(params)
    assert params['multifd-channels'] == 4, dump(params)
    for bad in ({'multifd-channels': 0}, {'downtime-limit': 2000001},
                {'cpu-throttle-initial': 100}):
        err = vm.cmd_err('migrate-set-parameters', bad)
        assert err['class'] == 'GenericError', dump(err)
    assert vm.cmd_ok('query-migrate-parameters') == params


def test_query_migrate_active(vm_factory, tmp_path):
    """Fields while active (held there at QEMU's 3 MB/s), then at
    completed."""
    sock = tmp_path / 'mig.sock'
    src = vm_factory(['-m', '64M'])
    dst = vm_factory(['-m', '64M', '-S', '-incoming', f'unix:{sock}'])
    set_caps(src.qmp, {'events': True})
    guest_workload(src.qmp, fill=True, seed=3)
    set_params(src.qmp, NON_CONVERGE)
    src.cmd_ok('migrate', uri=f'unix:{sock}')
    src.qmp.wait_migration('active')
    info = src.cmd_ok('query-migrate')
    text = dump(info)
    assert info['status'] == 'active', text
    for key in ('total-time', 'expected-downtime', 'setup-time', 'ram'):
        assert key in info, f'{key} missing: {text}'
    assert 'error-desc' not in info and 'downtime' not in info, text
    missing = [k for k in RAM_KEYS if k not in info['ram']]
    assert not missing, f'ram lacks {missing}: {text}'
    assert info['ram']['total'] == 64 * MiB, text
    dst_info = dst.cmd_ok('query-migrate')
    assert dst_info.get('status') in ('setup', 'active'), dump(dst_info)
    set_params(src.qmp, CONVERGE)
    src.qmp.wait_migration('completed')
    info = src.cmd_ok('query-migrate')
    check_completed_info(info, Case('unix', live=True))


def test_hmp_migrate_file(vm_factory, tmp_path):
    """HMP migrate file: / migrate_incoming, info migrate*."""
    path = tmp_path / 'hmp.state'
    src = vm_factory(['-m', '64M'])
    guest_workload(src.qmp, fill=True, seed=5)
    for line in ('stop', 'migrate_set_capability events on',
                 'migrate_set_parameter max-bandwidth 0',
                 'migrate_set_parameter downtime-limit 500'):
        out = src.hmp(line)
        assert out == '', f'{line!r} printed {out!r}'
    caps = src.hmp('info migrate_capabilities')
    assert 'events: on' in caps.splitlines(), caps
    params = src.hmp('info migrate_parameters')
    assert 'max-bandwidth: 0 bytes/second' in params.splitlines(), params
    assert 'downtime-limit: 500 ms' in params.splitlines(), params
    src.hmp(f'migrate file:{path}')
    src.qmp.wait_migration('completed')
    text = src.hmp('info migrate')
    assert 'completed' in text, text
    assert run_state(src.qmp) == 'postmigrate'
    want = guest_digest(src.qmp)

    dst = vm_factory(['-m', '64M', '-incoming', 'defer'])
    dst.hmp('migrate_set_capability events on')
    out = dst.hmp(f'migrate_incoming file:{path}')
    assert out == '', out
    dst.qmp.wait_migration('completed')
    assert 'completed' in dst.hmp('info migrate')
    assert run_state(dst.qmp) == 'paused'
    assert guest_digest(dst.qmp) == want


def test_hmp_migrate_errors(vm):
    out = vm.hmp('migrate bogus:thing')
    assert out.startswith('Error: '), out
    out = vm.hmp('migrate_set_capability no-such-cap on')
    assert out.startswith('Error: '), out
    out = vm.hmp('migrate_incoming file:/nonexistent')
    assert out.startswith('Error: '), out
    assert vm.cmd_ok('query-migrate') == {}


def test_tcp_port_zero(vm_factory):
    """-incoming tcp port 0: query-migrate socket-address gives the port."""
    src = vm_factory(['-m', '64M'])
    dst = vm_factory(['-m', '64M', '-incoming', 'defer'])
    set_caps(dst.qmp, {'events': True})
    dst.cmd_ok('migrate-incoming', uri='tcp:127.0.0.1:0')
    info = dst.cmd_ok('query-migrate')
    addrs = info.get('socket-address')
    assert isinstance(addrs, list) and len(addrs) == 1, dump(info)
    addr = addrs[0]
    assert addr['type'] == 'inet' and addr['host'] == '127.0.0.1', \
        dump(info)
    assert int(addr['port']) > 0, dump(info)
    set_caps(src.qmp, {'events': True})
    guest_workload(src.qmp, fill=True, seed=9)
    src.cmd_ok('stop')
    set_params(src.qmp, {'max-bandwidth': 0})
    src.cmd_ok('migrate', uri=f"tcp:127.0.0.1:{addr['port']}")
    src.qmp.wait_migration('completed')
    dst.qmp.wait_migration('completed')
    assert guest_digest(dst.qmp) == guest_digest(src.qmp)


@pytest.mark.parametrize('ignore', [True, False], ids=['ignore', 'copy'])
def test_ignore_shared(ignore, vm_factory, tmp_path):
    """x-ignore-shared: a shared file backend is not sent; the destination
    maps the same file."""
    mem = tmp_path / 'guest.mem'
    sock = tmp_path / 'mig.sock'
    backend = ['-m', '64M', '-object',
               f'memory-backend-file,id=mem,size=64M,mem-path={mem},'
               'share=on', '-machine', 'memory-backend=mem']
    src = vm_factory(backend)
    dst = vm_factory(backend + ['-incoming', f'unix:{sock}'])
    for vm in (src, dst):
        set_caps(vm.qmp, {'events': True, 'x-ignore-shared': ignore})
    guest_workload(src.qmp, fill=True, seed=11)
    src.cmd_ok('stop')
    set_params(src.qmp, {'max-bandwidth': 0})
    src.cmd_ok('migrate', uri=f'unix:{sock}')
    src.qmp.wait_migration('completed')
    dst.qmp.wait_migration('completed')
    info = src.cmd_ok('query-migrate')
    if ignore:
        assert info['ram']['transferred'] < 4 * MiB, dump(info)
    else:
        assert info['ram']['transferred'] >= 64 * MiB, dump(info)
    want = guest_digest(src.qmp)
    assert want['ram-consistent'] is True, dump(want)
    assert guest_digest(dst.qmp) == want
    assert os.path.getsize(mem) == 64 * MiB


@pytest.mark.parametrize('channels', [0, 4], ids=['single', 'multifd4'])
def test_max_bandwidth(channels, vm_factory, tmp_path):
    """max-bandwidth bounds the bytes of all channels together.

    A lower bound on time only, so a slow machine cannot fail it: the
    first pass of a filled 64 MiB guest at 16 MiB/s cannot end before
    64 MiB / (1.1 x 16 MiB/s) minus one 100 ms window."""
    limit = 16 * MiB
    sock = tmp_path / 'mig.sock'
    src = vm_factory(['-m', '64M'])
    dst = vm_factory(['-m', '64M', '-S', '-incoming', 'defer'])
    for vm in (src, dst):
        set_caps(vm.qmp, {'events': True, 'multifd': bool(channels)})
        if channels:
            set_params(vm.qmp, {'multifd-channels': channels})
    dst.cmd_ok('migrate-incoming', uri=f'unix:{sock}')
    guest_workload(src.qmp, fill=True, seed=12)
    guest_workload(src.qmp, ram_dirty_rate=MiB)
    set_params(src.qmp, {'max-bandwidth': limit, 'downtime-limit': 1})
    start = time.monotonic()
    src.cmd_ok('migrate', uri=f'unix:{sock}')
    src.qmp.wait_pass(2)
    elapsed = time.monotonic() - start
    info = src.cmd_ok('query-migrate')
    sent = info['ram']['transferred']
    set_params(src.qmp, CONVERGE)
    src.qmp.wait_migration('completed')
    dst.qmp.wait_migration('completed')
    floor = 64 * MiB / (1.1 * limit) - 0.1
    assert elapsed >= floor, \
        (f'first pass took {elapsed:.2f} s (< {floor:.2f} s): '
         f'{sent / elapsed / MiB:.1f} MiB/s against a limit of '
         f'{limit / MiB:.0f} MiB/s; ' + dump(info))


def test_auto_converge(vm_factory, tmp_path):
    """auto-converge throttles a guest that dirties faster than the link.

    QEMU's recipe: a guest dirtying far more than max-bandwidth cannot
    converge; with auto-converge the source throttles the workload at
    cpu-throttle-initial, then raises it by cpu-throttle-increment at each
    later pass; once converging parameters are set the migration completes,
    the throttle is dropped and the destination holds the source's RAM."""
    sock = tmp_path / 'mig.sock'
    src = vm_factory(['-m', '16M'])
    dst = vm_factory(['-m', '16M', '-S', '-incoming', 'defer'])
    set_caps(dst.qmp, {'events': True})
    dst.cmd_ok('migrate-incoming', uri=f'unix:{sock}')
    set_caps(src.qmp, {'events': True, 'auto-converge': True})
    set_params(src.qmp, {'max-bandwidth': 8 * MiB, 'downtime-limit': 1,
                         'cpu-throttle-initial': 20,
                         'cpu-throttle-increment': 15})
    guest_workload(src.qmp, fill=True, seed=5)
    guest_workload(src.qmp, ram_dirty_rate=64 * MiB)
    src.cmd_ok('migrate', uri=f'unix:{sock}')
    seen = set()

    def throttle():
        info = src.cmd_ok('query-migrate')
        assert info['status'] in ('setup', 'active'), dump(info)
        pct = info.get('cpu-throttle-percentage')
        if pct:
            seen.add(pct)
        return 35 in seen

    wait_until(throttle, 'the throttle to reach 20% then 35%')
    assert 20 in seen, sorted(seen)
    set_params(src.qmp, CONVERGE)
    src.qmp.wait_migration('completed')
    dst.qmp.wait_migration('completed')
    assert 'cpu-throttle-percentage' not in src.cmd_ok('query-migrate')
    assert run_state(src.qmp) == 'postmigrate'
    want, got = guest_digest(src.qmp), guest_digest(dst.qmp)
    assert got['ram'] == want['ram'] and got['ram-consistent'], \
        f'{dump(want)} {dump(got)}'
