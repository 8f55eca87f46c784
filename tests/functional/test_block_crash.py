"""Crash consistency of qcow2: kill -9 ternd while the guest writes.

ternd runs with two qcow2 nodes: `disk0`, attached to the guest
(-device virtio-blk-pci) and written by the guest workload
(x-guest-workload disk-write-rate), and `known`, a node no device uses,
that HMP `qemu-io` writes known patterns to and flushes.  Each round
starts ternd on the same two images, lets the guest write, writes and
flushes the round's pattern to `known`, leaves a big unflushed aio_write
in flight, and kills the daemon with SIGKILL at a random point (bounded;
the seed is printed and TERN_CRASH_SEED replays it).  After every kill:

* `qemu-img check` finds no corruption in either image (leaks are
  allowed: a crash may leak clusters, never corrupt);
* every pattern flushed in this and earlier rounds reads back in qemu-io.

With lazy_refcounts=on the image is dirty after a crash; tern repairs it
when it opens it read-write (tern-io opens it first), then qemu-img check
must find no corruption.  Needs Debian's qemu-utils; skipped without.
"""

import fcntl
import json
import os
import random
import signal
import struct
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'interop'))

import interop  # noqa: E402
from ternd import dump, guest_workload, wait_until  # noqa: E402

ROUNDS = int(os.environ.get('TERN_CRASH_ROUNDS', '5'))
SIZE = 64 * interop.MiB
PATTERN_LEN = interop.MiB
RATE = 16 * interop.MiB          # guest disk bytes per second
MAX_KILL_DELAY = 0.5             # seconds after the flush, at most

pytestmark = pytest.mark.skipif(
    not interop.QEMU_IMG or not interop.QEMU_IO,
    reason='qemu-img/qemu-io not installed (Debian package qemu-utils)')


def blockdev(node, path):
    return json.dumps({'driver': 'qcow2', 'node-name': node,
                       'file': {'driver': 'file', 'filename': str(path)}})


def guest_writes(vm):
    """Write operations the guest's backends have completed."""
    stats = vm.cmd_ok('query-blockstats')
    return sum(s.get('stats', {}).get('wr_operations', 0) for s in stats)


def hmp_ok(vm, line):
    out = vm.hmp(line)
    low = out.lower()
    assert 'error' not in low and 'failed' not in low, f'{line}: {out}'
    return out


def wait_unlocked(path):
    """Block until no process holds a lock on path.  A killed daemon's
    io_uring requests hold its files until the kernel has reaped the ring,
    which happens after the process is gone: wait for that, as a user
    restarting at once after kill -9 would have to.  F_OFD_SETLKW waits
    for the event; the test's timeout bounds it."""
    fd = os.open(path, os.O_RDWR)
    try:
        # struct flock: l_type, l_whence, l_start, l_len, l_pid
        lock = struct.pack('hhqqi', fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        fcntl.fcntl(fd, fcntl.F_OFD_SETLKW, lock)
    finally:
        os.close(fd)   # drops the lock


def check_images(disk, known, lazy):
    for img in (disk, known):
        wait_unlocked(img)
        if lazy:
            # tern repairs a dirty lazy-refcounts image on a r/w open
            interop.io(interop.tern_io_path(), img, ['flush'])
        interop.assert_clean(interop.QEMU_IMG, img, leaks_ok=True)


def one_round(vm_factory, disk, known, rnd, rng):
    vm = vm_factory(['-blockdev', blockdev('disk0', disk),
                     '-device', 'virtio-blk-pci,drive=disk0,id=vd0',
                     '-blockdev', blockdev('known', known)])
    before = guest_writes(vm)
    guest_workload(vm.qmp, disk_write_rate=RATE)
    wait_until(lambda: guest_writes(vm) > before, 'guest disk writes',
               timeout=interop.TIMEOUT)
    pat = rnd + 1
    # as QEMU's, HMP qemu-io prints to the daemon's stdout
    hmp_ok(vm, f'qemu-io known "write -P {pat:#x} '
               f'{rnd * PATTERN_LEN} {PATTERN_LEN}"')
    assert f'wrote {PATTERN_LEN}/{PATTERN_LEN} bytes' in vm.stdout(), \
        vm.stdout()
    hmp_ok(vm, 'qemu-io known "flush"')
    # metadata updates in flight at the kill: allocation far away
    hmp_ok(vm, f'qemu-io known "aio_write -P 0xee {32 * interop.MiB} '
               f'{8 * interop.MiB}"')
    # the kill point is random by design, not a synchronisation
    time.sleep(rng.uniform(0, MAX_KILL_DELAY))
    vm.assert_alive()
    vm.send_signal(signal.SIGKILL)
    rc = vm.wait()
    assert rc == -signal.SIGKILL, f'ternd exited with {rc}:\n{vm.stderr()}'


@pytest.mark.parametrize('opts', [{}, {'lazy_refcounts': 'on'},
                                  {'cluster_size': 4096,
                                   'refcount_bits': 1}],
                         ids=lambda o: interop.opt_string(o) or 'defaults')
def test_kill_during_guest_writes(vm_factory, tmp_path, opts):
    lazy = opts.get('lazy_refcounts') == 'on'
    if lazy and interop.missing_tools():
        pytest.skip(interop.missing_tools())
    seed = int(os.environ.get('TERN_CRASH_SEED', random.randrange(1 << 32)))
    print(f'TERN_CRASH_SEED={seed}')
    rng = random.Random(seed)
    disk = tmp_path / 'disk.qcow2'
    known = tmp_path / 'known.qcow2'
    for img in (disk, known):
        interop.create(interop.QEMU_IMG, img, SIZE, opts)

    for rnd in range(ROUNDS):
        one_round(vm_factory, disk, known, rnd, rng)
        check_images(disk, known, lazy)
        reads = [f'read -P {r + 1:#x} {r * PATTERN_LEN} {PATTERN_LEN}'
                 for r in range(rnd + 1)]
        interop.io(interop.QEMU_IO, known, reads, extra=['-r'])

    # tern itself reads every flushed pattern back after all the crashes
    vm = vm_factory(['-blockdev', blockdev('known', known)])
    for r in range(ROUNDS):
        hmp_ok(vm, f'qemu-io known "read -P {r + 1:#x} '
                   f'{r * PATTERN_LEN} {PATTERN_LEN}"')
    out = vm.stdout()
    assert out.count(f'read {PATTERN_LEN}/{PATTERN_LEN} bytes') == ROUNDS, \
        dump(out)
    assert 'Pattern verification failed' not in out, dump(out)
