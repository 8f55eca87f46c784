#!/usr/bin/env python3
"""Block layer benchmarks (`make bench`).

bench_block.py io        4 KiB sequential and random writes and reads
                         (raw and qcow2, O_DIRECT, io_uring) through
                         tern's block layer with tern-io, against qemu-io
                         running the same command list, `qemu-img bench`
                         (sequential, same depth) and `dd oflag=direct`
bench_block.py daemon    the same 4 KiB requests through the daemon: HMP
                         `qemu-io NODE "aio_write ..."` pipelined over QMP
                         to a -blockdev node, against qemu-system-x86_64
                         doing the same, qemu-img bench and dd
bench_block.py convert   `tern-img convert` of a 2 GiB qcow2 (half data,
                         half zero) to raw and to qcow2, against
                         `qemu-img convert` and `dd oflag=direct` of the
                         same bytes

Every figure is a line with its ratio: reference time / tern time for
the same work (> 1: tern is faster).  Files go to $TERN_BENCH_DIR
(default: the current directory, the build's tests/bench); a part that
does not fit in the free space is skipped with a message.  qemu tools
are optional: without them only the dd ratios are printed.
"""

import os
import random
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'functional'))

from ternd import QMPConnection, Ternd  # noqa: E402

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
LONG = 1800
REQ = 4 * KiB
COUNT = int(os.environ.get('TERN_BENCH_BLOCK_COUNT', '16384'))   # 64 MiB
DEPTH = 64
IMG_SIZE = 256 * MiB
CONVERT_SIZE = int(os.environ.get('TERN_BENCH_CONVERT_SIZE', str(2 * GiB)))

QEMU_IMG = shutil.which('qemu-img')
QEMU_IO = shutil.which('qemu-io')
QEMU_SYSTEM = shutil.which('qemu-system-x86_64')


def say(name, value, unit, ratio=None, ref=None):
    line = f'{name}: {value:.3f} {unit}'
    if ratio is not None:
        line += f'  ratio {ratio:.2f} vs {ref}'
    print(line, flush=True)


def skip(what, why):
    print(f'{what}: skipped ({why})', flush=True)


def run(argv, **kw):
    res = subprocess.run([str(a) for a in argv], capture_output=True,
                         text=True, timeout=LONG, **kw)
    if res.returncode != 0:
        raise RuntimeError(f'{argv[0]} failed ({res.returncode}):\n'
                           f'{res.stdout}{res.stderr}')
    return res


def timed(argv):
    t0 = time.monotonic()
    run(argv)
    return time.monotonic() - t0


def bench_dir():
    return os.path.abspath(os.environ.get('TERN_BENCH_DIR', os.getcwd()))


def fits(need, what):
    free = shutil.disk_usage(bench_dir()).free
    if free < need + 512 * MiB:
        skip(what, f'needs {need // MiB} MiB, {free // MiB} MiB free in '
                   f'{bench_dir()}')
        return False
    return True


def tool(var):
    path = os.environ.get(var)
    if not path or not os.access(path, os.X_OK):
        raise SystemExit(f'{var} is not set to an executable (run through '
                         'meson: `make bench`)')
    return path


def dd_direct(path, bs, count):
    """Seconds for dd to write count blocks of bs with O_DIRECT."""
    t = timed(['dd', 'if=/dev/zero', f'of={path}', f'bs={bs}',
               f'count={count}', 'oflag=direct', 'status=none'])
    os.unlink(path)
    return t


def offsets(kind, count):
    offs = [i * REQ for i in range(count)]
    if kind == 'rand':
        rng = random.Random(4)
        span = IMG_SIZE // REQ
        offs = [rng.randrange(span) * REQ for _ in range(count)]
    return offs


def io_cmds(op, offs):
    """qemu-io commands: one aio request per offset, then aio_flush."""
    if op == 'write':
        cmds = [f'aio_write -P 0x5a {o} {REQ}' for o in offs]
    else:
        cmds = [f'aio_read {o} {REQ}' for o in offs]
    return cmds + ['aio_flush']


def image_opts(fmt, path):
    return (f'driver={fmt},file.driver=file,file.filename={path},'
            'cache.direct=on,file.aio=io_uring')


def make_image(fmt, path):
    if os.path.exists(path):
        os.unlink(path)
    create = [os.environ['TERN_IMG'], 'create', '-f', fmt, path,
              str(IMG_SIZE)]
    run(create)


def run_io(binary, fmt, path, cmds):
    argv = [binary, '--image-opts']
    for c in cmds:
        argv += ['-c', c]
    argv.append(image_opts(fmt, path))
    return timed(argv)


def qemu_img_bench(fmt, path, op):
    argv = [QEMU_IMG, 'bench', '-f', fmt, '-t', 'none', '-i', 'io_uring',
            '-c', COUNT, '-d', DEPTH, '-s', REQ, '-S', REQ]
    if op == 'write':
        argv.append('-w')
    return timed(argv + [path])


def bench_io():
    tern_io = tool('TERN_IO')
    tool('TERN_IMG')
    if not fits(2 * IMG_SIZE, 'io'):
        return
    d = bench_dir()
    mib = COUNT * REQ / MiB
    t_dd = dd_direct(os.path.join(d, 'dd.bin'), REQ, COUNT)
    say('dd oflag=direct 4k sequential write', mib / t_dd, 'MiB/s')
    for fmt in ('raw', 'qcow2'):
        path = os.path.join(d, f'bench-io.{fmt}')
        qpath = os.path.join(d, f'bench-io-q.{fmt}')
        for kind in ('seq', 'rand'):
            for op in ('write', 'read'):
                name = f'{fmt} {kind} 4k {op} (depth {COUNT} aio, tern-io)'
                cmds = io_cmds(op, offsets(kind, COUNT))
                if op == 'write':
                    make_image(fmt, path)
                    make_image(fmt, qpath)
                t = run_io(tern_io, fmt, path, cmds)
                say(name, mib / t, 'MiB/s', t_dd / t, 'dd oflag=direct')
                if QEMU_IO:
                    tq = run_io(QEMU_IO, fmt, qpath, cmds)
                    say(name, mib / t, 'MiB/s', tq / t, 'qemu-io')
                if QEMU_IMG and kind == 'seq':
                    tb = qemu_img_bench(fmt, qpath, op)
                    say(name, mib / t, 'MiB/s', tb / t,
                        f'qemu-img bench -d {DEPTH}')
        for p in (path, qpath):
            os.unlink(p)


def hmp_pipelined(conn, lines):
    """Send every human-monitor-command at once, then read the replies;
    every reply must be a success without an error text."""
    for i, line in enumerate(lines):
        conn.send({'execute': 'human-monitor-command',
                   'arguments': {'command-line': line}, 'id': i})
    for _ in lines:
        reply = conn.recv_reply(timeout=LONG)
        text = reply.get('return', '')
        if 'return' not in reply or 'error' in text.lower():
            raise RuntimeError(f'HMP failed: {reply}')


class QemuDaemon:
    """qemu-system-x86_64 -machine none with one -blockdev node, driven
    over QMP: the same daemon work for QEMU."""

    def __init__(self, node_json, d):
        self.sock = os.path.join(d, 'qemu-bench-qmp.sock')
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.proc = subprocess.Popen(
            [QEMU_SYSTEM, '-machine', 'none', '-nodefaults', '-display',
             'none', '-qmp', f'unix:{self.sock},server=on,wait=off',
             '-blockdev', node_json],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.qmp = QMPConnection.connect_unix(self.sock, 60)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                if self.proc.poll() is not None or \
                        time.monotonic() > deadline:
                    raise RuntimeError('qemu-system-x86_64 did not start: '
                                       + self.proc.stderr.read().decode())
                time.sleep(0.01)
        self.qmp.negotiate()

    def stop(self):
        self.qmp.send({'execute': 'quit'})
        self.proc.wait(timeout=60)
        self.qmp.close()


def daemon_run(start, lines):
    """Seconds to pipeline the HMP lines through a daemon start()s."""
    conn, stop = start()
    try:
        t0 = time.monotonic()
        hmp_pipelined(conn, lines)
        return time.monotonic() - t0
    finally:
        stop()


def bench_daemon():
    ternd_bin = tool('TERND')
    tool('TERN_IMG')
    if not fits(IMG_SIZE, 'daemon'):
        return
    d = bench_dir()
    mib = COUNT * REQ / MiB
    t_dd = dd_direct(os.path.join(d, 'dd.bin'), REQ, COUNT)
    for fmt in ('raw', 'qcow2'):
        path = os.path.join(d, f'bench-daemon.{fmt}')
        for kind in ('seq', 'rand'):
            for op in ('write', 'read'):
                if op == 'write':
                    make_image(fmt, path)
                node = (f'{{"driver":"{fmt}","node-name":"n0","file":'
                        f'{{"driver":"file","filename":"{path}",'
                        f'"aio":"io_uring"}},"cache":{{"direct":true}}}}')
                os.environ.setdefault('TERND', ternd_bin)
                lines = [f'qemu-io n0 "{c}"'
                         for c in io_cmds(op, offsets(kind, COUNT))]

                def start_tern():
                    vm = Ternd(['-machine', 'none', '-blockdev', node],
                               timeout=60).launch()
                    return vm.qmp, lambda: (vm.shutdown(), vm.cleanup())

                def start_qemu():
                    q = QemuDaemon(node, d)
                    return q.qmp, q.stop

                t = daemon_run(start_tern, lines)
                name = f'daemon HMP qemu-io {fmt} {kind} 4k {op}'
                say(name, mib / t, 'MiB/s', t_dd / t, 'dd oflag=direct')
                if QEMU_SYSTEM:
                    if op == 'write':
                        make_image(fmt, path)
                    tq = daemon_run(start_qemu, lines)
                    say(name, mib / t, 'MiB/s', tq / t,
                        'qemu-system-x86_64 (same HMP qemu-io)')
                if QEMU_IMG and kind == 'seq':
                    tb = qemu_img_bench(fmt, path, op)
                    say(name, mib / t, 'MiB/s', tb / t,
                        f'qemu-img bench -d {DEPTH}')
        os.unlink(path)


def make_convert_source(d):
    """A qcow2 of CONVERT_SIZE: 1 MiB of random data every other MiB."""
    raw = os.path.join(d, 'convert-src.raw')
    chunk = os.urandom(MiB)
    with open(raw, 'wb') as f:
        f.truncate(CONVERT_SIZE)
        for off in range(0, CONVERT_SIZE, 2 * MiB):
            f.seek(off)
            f.write(chunk[off // MiB % 7:] + chunk[:off // MiB % 7])
    src = os.path.join(d, 'convert-src.qcow2')
    run([os.environ['TERN_IMG'], 'convert', '-f', 'raw', '-O', 'qcow2',
         raw, src])
    os.unlink(raw)
    return src


def best_of(tools, argv, dst, rounds=3):
    """Each tool's best time over rounds, the tools taking turns.  This
    VM pays a large price the first time memory is touched (new page
    cache pages for the output); turns and the best time give every tool
    the same conditions instead of favouring whoever runs second."""
    best = {}
    for _ in range(rounds):
        for t in tools:
            el = timed([t] + argv)
            os.unlink(dst)
            best[t] = min(best.get(t, el), el)
    return best


def bench_convert():
    tern_img = tool('TERN_IMG')
    if not fits(3 * CONVERT_SIZE, 'convert'):
        return
    d = bench_dir()
    src = make_convert_source(d)
    gib = CONVERT_SIZE / GiB
    try:
        t_dd = dd_direct(os.path.join(d, 'dd.bin'), MiB, CONVERT_SIZE // MiB)
        say(f'dd oflag=direct {gib:g} GiB, 1 MiB blocks', t_dd, 's')
        for out_fmt in ('raw', 'qcow2'):
            dst = os.path.join(d, f'convert-dst.{out_fmt}')
            argv = ['convert', '-f', 'qcow2', '-O', out_fmt, src, dst]
            tools = [tern_img] + ([QEMU_IMG] if QEMU_IMG else [])
            best = best_of(tools, argv, dst)
            t = best[tern_img]
            name = f'tern-img convert {gib:g} GiB qcow2 -> {out_fmt}'
            say(name, t, 's', t_dd / t, 'dd oflag=direct')
            if QEMU_IMG:
                say(name, t, 's', best[QEMU_IMG] / t, 'qemu-img convert')
    finally:
        os.unlink(src)


KINDS = {'io': bench_io, 'daemon': bench_daemon, 'convert': bench_convert}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in KINDS:
        raise SystemExit(f'usage: bench_block.py {"|".join(KINDS)}')
    if not QEMU_IMG:
        print('qemu-img not installed: qemu ratios skipped', flush=True)
    KINDS[sys.argv[1]]()


if __name__ == '__main__':
    main()
