#!/usr/bin/env python3
"""Migration benchmarks (`make bench`).

bench_migration.py stopped [SIZE...]   save + restore of a stopped guest
                                       to a file (random and mostly-zero
                                       RAM) against dd on the same fs
bench_migration.py live                a 1 GiB guest writing 64 MiB/s
                                       over a unix socket, multifd off/on,
                                       against a plain socket copy
bench_migration.py qemu [SIZE...]      race Debian's qemu-system-x86_64
                                       (exec:cat save/restore) where it
                                       is installed

Every figure is printed on its own line with its ratio: a ratio is the
reference's time divided by tern's for the same bytes (> 1: tern is
faster).  Sizes default to 1G 4G.  Files go to $TERN_BENCH_DIR (default:
the build directory); sizes that do not fit on its filesystem are
skipped with a message.  Caches are dropped before every read when
running as root (cold reads), and that is said in the output.
Benchmarks set max-bandwidth explicitly (0 = unlimited).
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'functional'))

from ternd import (GiB, MiB, QMPConnection, Ternd, guest_workload,  # noqa
                   set_caps, set_params, wait_migrate_status)

LONG = 1800         # bounds any single wait (a 4 GiB fill under TCG)
PEER = '/work/shared/peer-guest'


def say(name, value, unit, ratio=None, ref=None):
    if isinstance(value, int):
        line = f'{name}: {value} {unit}'.rstrip()
    else:
        line = f'{name}: {value:.3f} {unit}'
    if ratio is not None:
        line += f'  ratio {ratio:.2f} vs {ref}'
    print(line, flush=True)


def parse_size(text):
    return int(text[:-1]) * {'M': MiB, 'G': GiB}[text[-1].upper()]


def drop_caches():
    """Cold reads where we may; True if caches were dropped."""
    if os.geteuid() != 0:
        return False
    os.sync()
    try:
        with open('/proc/sys/vm/drop_caches', 'w') as f:
            f.write('3\n')
    except OSError:
        return False
    return True


def fdatasync_file(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
    finally:
        os.close(fd)


def timed(fn):
    t0 = time.monotonic()
    fn()
    return time.monotonic() - t0


def dd(*args):
    subprocess.run(['dd', 'status=none'] + list(args), check=True)


def room_for(directory, need, what):
    free = shutil.disk_usage(directory).free
    if free < need:
        print(f'SKIP {what}: needs {need / GiB:.1f} GiB free in '
              f'{directory}, has {free / GiB:.1f} GiB', flush=True)
        return False
    return True


# -- tern ---------------------------------------------------------------------

def tern(args, timeout=LONG):
    return Ternd(args, timeout=timeout).launch()


def finish(vm):
    vm.shutdown()
    problems = vm.problems
    vm.cleanup()
    if problems:
        raise RuntimeError('\n'.join(problems))


def tern_save(size, fill, uri):
    """Save a stopped guest; (seconds from migrate to completed, info)."""
    vm = tern(['-m', f'{size // MiB}M'])
    try:
        set_caps(vm.qmp, {'events': True})
        if fill:
            guest_workload(vm.qmp, fill=True, seed=1, timeout=LONG)
        vm.cmd_ok('stop')
        set_params(vm.qmp, {'max-bandwidth': 0})
        t0 = time.monotonic()
        vm.cmd_ok('migrate', uri=uri)
        vm.qmp.wait_migration('completed', timeout=LONG)
        seconds = time.monotonic() - t0
        return seconds, vm.cmd_ok('query-migrate')
    finally:
        finish(vm)


def tern_restore(size, uri):
    vm = tern(['-m', f'{size // MiB}M', '-S', '-incoming', 'defer'])
    try:
        set_caps(vm.qmp, {'events': True})
        set_params(vm.qmp, {'max-bandwidth': 0})
        t0 = time.monotonic()
        vm.cmd_ok('migrate-incoming', uri=uri)
        vm.qmp.wait_migration('completed', timeout=LONG)
        return time.monotonic() - t0
    finally:
        finish(vm)


def bench_stopped(sizes, workdir):
    for size in sizes:
        if not room_for(workdir, 2 * size + GiB, f'{label(size)} save'):
            continue
        for fill, kind in ((True, 'random'), (False, 'zero')):
            stopped_one(size, fill, kind, workdir)


def label(size):
    return f'{size // GiB}GiB' if size % GiB == 0 else f'{size // MiB}MiB'


def dd_direct(args, nbytes):
    """dd with O_DIRECT over the whole 4 MiB blocks of nbytes, scaled to
    nbytes; None when there is not one whole block."""
    blocks = nbytes // (4 * MiB)
    if blocks == 0:
        return None
    seconds = timed(lambda: dd(*args, 'bs=4M', f'count={blocks}'))
    return seconds * nbytes / (blocks * 4 * MiB)


def say_vs(name, size, seconds, ref_seconds, ref):
    if ref_seconds is None:
        say(name, size / GiB / seconds, 'GiB/s')
        print(f'  (no {ref} figure: the file is under 4 MiB)')
    else:
        say(name, size / GiB / seconds, 'GiB/s', ref_seconds / seconds, ref)


def stopped_one(size, fill, kind, workdir):
    tag = f'{label(size)}-{kind}'
    path = os.path.join(workdir, f'bench-{tag}.state')
    copy = path + '.dd'
    try:
        save_s, info = tern_save(size, fill, f'file:{path}')
        sync_s = timed(lambda: fdatasync_file(path))
        nbytes = os.path.getsize(path)
        dd_buf = timed(lambda: dd(f'if={path}', f'of={copy}', 'bs=1M',
                                  'conv=fdatasync'))
        dd_dir = dd_direct([f'if={path}', f'of={copy}', 'oflag=direct'],
                           nbytes)
        os.unlink(copy)
        both = save_s + sync_s
        say(f'save {tag} (file {nbytes / MiB:.0f} MiB, downtime '
            f'{info.get("downtime")} ms)', size / GiB / save_s, 'GiB/s')
        say_vs(f'save+fdatasync {tag}', size, both, dd_buf,
               'dd conv=fdatasync')
        say_vs(f'save+fdatasync {tag}', size, both, dd_dir,
               'dd oflag=direct')
        cold = drop_caches()
        load_s = tern_restore(size, f'file:{path}')
        drop_caches()
        rd_buf = timed(lambda: dd(f'if={path}', 'of=/dev/null', 'bs=1M'))
        drop_caches()
        rd_dir = dd_direct([f'if={path}', 'of=/dev/null', 'iflag=direct'],
                           nbytes)
        how = 'cold cache' if cold else 'warm cache'
        say_vs(f'restore {tag} ({how})', size, load_s, rd_buf, 'dd read')
        say_vs(f'restore {tag} ({how})', size, load_s, rd_dir,
               'dd iflag=direct')
    finally:
        for p in (path, copy):
            if os.path.exists(p):
                os.unlink(p)


# -- live ---------------------------------------------------------------------

def socket_copy_seconds(nbytes):
    """A plain copy of nbytes over a unix socket (python, 1 MiB writes)."""
    a, b = socket.socketpair()
    buf = bytes(MiB)

    def sink():
        left = nbytes
        while left > 0:
            got = b.recv_into(bytearray(MiB))
            if not got:
                break
            left -= got

    t = threading.Thread(target=sink)
    t.start()
    t0 = time.monotonic()
    sent = 0
    while sent < nbytes:
        a.sendall(buf[:min(MiB, nbytes - sent)])
        sent += min(MiB, nbytes - sent)
    a.shutdown(socket.SHUT_WR)
    t.join()
    seconds = time.monotonic() - t0
    a.close()
    b.close()
    return seconds


def bench_live(workdir):
    for channels in (0, 4):
        with tempfile.TemporaryDirectory(dir=workdir) as tmp:
            live_one(channels, os.path.join(tmp, 'mig.sock'))


def live_one(channels, sock):
    src = tern(['-m', '1024M'])
    dst = tern(['-m', '1024M', '-S', '-incoming', 'defer'])
    try:
        for vm in (src, dst):
            set_caps(vm.qmp, {'events': True, 'multifd': bool(channels)})
            if channels:
                set_params(vm.qmp, {'multifd-channels': channels})
        dst.cmd_ok('migrate-incoming', uri=f'unix:{sock}')
        guest_workload(src.qmp, fill=True, seed=3, timeout=LONG)
        guest_workload(src.qmp, ram_dirty_rate=64 * MiB)
        set_params(src.qmp, {'max-bandwidth': 0, 'downtime-limit': 300})
        t0 = time.monotonic()
        src.cmd_ok('migrate', uri=f'unix:{sock}')
        src.qmp.wait_migration('completed', timeout=LONG)
        wall = time.monotonic() - t0
        dst.qmp.wait_migration('completed', timeout=LONG)
        info = src.cmd_ok('query-migrate')
    finally:
        finish(src)
        finish(dst)
    ram = info['ram']
    name = f'live 1GiB dirty 64MiB/s multifd {channels or "off"}'
    total_s = info['total-time'] / 1000
    copy_s = socket_copy_seconds(ram['transferred'])
    say(f'{name} total time', total_s, 's')
    say(f'{name} downtime', info['downtime'], 'ms')
    say(f'{name} passes', ram['dirty-sync-count'], '')
    say(f'{name} throughput ({ram["transferred"] / MiB:.0f} MiB sent, '
        f'wall {wall:.2f} s)', ram['transferred'] / GiB / total_s, 'GiB/s',
        copy_s / total_s, 'python unix socket copy')


# -- QEMU race ----------------------------------------------------------------

def qemu_binary():
    path = shutil.which('qemu-system-x86_64')
    if path is None and os.geteuid() == 0:
        subprocess.run(['apt-get', 'install', '-y', '-q', 'qemu-system-x86'],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        path = shutil.which('qemu-system-x86_64')
    return path


def peer_image(tmp, mode):
    if shutil.which('nasm') is None and os.geteuid() == 0:
        subprocess.run(['apt-get', 'install', '-y', '-q', 'nasm'],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if shutil.which('nasm') is None:
        return None
    img = os.path.join(tmp, f'peer{mode}.img')
    subprocess.run(['sh', os.path.join(PEER, 'mkimg.sh'), img, str(mode),
                    '0'], check=True)
    return img


class Qemu:
    def __init__(self, binary, tmp, size, extra):
        self.qmp_path = os.path.join(tmp, f'q{time.monotonic_ns()}.sock')
        argv = [binary, '-accel', 'tcg', '-m', f'{size // MiB}M',
                '-nographic', '-nodefaults', '-qmp',
                f'unix:{self.qmp_path},server=on,wait=off'] + extra
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not os.path.exists(self.qmp_path):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('qemu did not start')
            time.sleep(0.01)
        self.qmp = QMPConnection.connect_unix(self.qmp_path, LONG)
        self.qmp.negotiate()

    def quit(self):
        self.qmp.close()
        self.proc.terminate()
        self.proc.wait(30)


def qemu_wait_filled(q):
    def filled():
        out = q.qmp.cmd_ok('human-monitor-command',
                           {'command-line': 'xp /1gx 0xf08'})
        return out.strip().endswith('0x0000000000000001')
    deadline = time.monotonic() + LONG
    while not filled():
        if time.monotonic() > deadline:
            raise RuntimeError('the QEMU peer guest did not fill its RAM')
        time.sleep(0.2)


def qemu_save_restore(binary, tmp, size, img, path):
    q = Qemu(binary, tmp, size, ['-drive', f'file={img},format=raw'])
    try:
        if img.endswith('peer1.img'):
            qemu_wait_filled(q)
        q.qmp.cmd_ok('stop')
        set_caps(q.qmp, {'events': True})
        set_params(q.qmp, {'max-bandwidth': 0})
        t0 = time.monotonic()
        q.qmp.cmd_ok('migrate', uri=f'exec:cat > {path}')
        q.qmp.wait_migration('completed', timeout=LONG)
        save_s = time.monotonic() - t0
    finally:
        q.quit()
    drop_caches()
    q = Qemu(binary, tmp, size, ['-drive', f'file={img},format=raw',
                                 '-S', '-incoming', 'defer'])
    try:
        set_caps(q.qmp, {'events': True})
        t0 = time.monotonic()
        q.qmp.cmd_ok('migrate-incoming', uri=f'exec:cat {path}')
        info = wait_migrate_status(q.qmp, ('completed', 'failed'), LONG)
        if info['status'] != 'completed':
            raise RuntimeError('qemu restore failed')
        load_s = time.monotonic() - t0
    finally:
        q.quit()
    return save_s, load_s


def bench_qemu(sizes, workdir):
    binary = qemu_binary()
    if binary is None:
        print('SKIP qemu race: qemu-system-x86_64 is not installed')
        return
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        for size in sizes:
            if not room_for(workdir, size + GiB, f'{label(size)} race'):
                continue
            for mode, fill, kind in ((1, True, 'random'), (0, False, 'zero')):
                img = peer_image(tmp, mode)
                if img is None:
                    print('SKIP qemu race: nasm is not installed')
                    return
                race_one(binary, tmp, size, img, fill, kind)


def race_one(binary, tmp, size, img, fill, kind):
    tag = f'{label(size)}-{kind}'
    path = os.path.join(tmp, 'race.state')
    q_save, q_load = qemu_save_restore(binary, tmp, size, img, path)
    os.unlink(path)
    t_save, _ = tern_save(size, fill, f'exec:cat > {path}')
    drop_caches()
    t_load = tern_restore(size, f'exec:cat {path}')
    os.unlink(path)
    say(f'exec:cat save {tag}', size / GiB / t_save, 'GiB/s',
        q_save / t_save, 'qemu 7.2')
    say(f'exec:cat restore {tag}', size / GiB / t_load, 'GiB/s',
        q_load / t_load, 'qemu 7.2')


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else 'stopped'
    sizes = [parse_size(s) for s in sys.argv[2:]] or [GiB, 4 * GiB]
    workdir = os.environ.get('TERN_BENCH_DIR') or os.getcwd()
    os.makedirs(workdir, exist_ok=True)
    print(f'# migration benchmark {what} in {workdir}', flush=True)
    if what == 'stopped':
        bench_stopped(sizes, workdir)
    elif what == 'live':
        bench_live(workdir)
    elif what == 'qemu':
        bench_qemu(sizes, workdir)
    else:
        print(f'unknown benchmark {what!r}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
