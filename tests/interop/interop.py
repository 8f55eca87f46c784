"""Run tern-img, tern-io and Debian's qemu-img/qemu-io side by side.

Every helper runs a tool to completion with a bounded wait and fails the
test with the whole command line and its output when it does not do
what the caller expects.  Nothing here sleeps.

Environment: TERN_IMG and TERN_IO name the binaries under test (meson
sets them); QEMU_IMG and QEMU_IO default to the ones on PATH.
"""

import json
import os
import shlex
import shutil
import subprocess

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
TIMEOUT = float(os.environ.get('TERN_INTEROP_TIMEOUT', '120'))

QEMU_IMG = os.environ.get('QEMU_IMG') or shutil.which('qemu-img')
QEMU_IO = os.environ.get('QEMU_IO') or shutil.which('qemu-io')

# qemu-img check exit codes (QEMU's qemu-img.c)
CHECK_OK = 0
CHECK_CORRUPT = 2
CHECK_LEAKS = 3


def tern_img_path():
    return _tool('TERN_IMG')


def tern_io_path():
    return _tool('TERN_IO')


def _tool(var):
    path = os.environ.get(var)
    if not path:
        raise RuntimeError(f'{var} is not set: run the tests through meson '
                           f'or export {var}=/path/to/binary')
    return os.path.abspath(path)


def missing_tools():
    """Why the interop tests cannot run here, or None."""
    if not QEMU_IMG or not QEMU_IO:
        return ('qemu-img/qemu-io not installed (Debian package '
                'qemu-utils; `make check` installs it)')
    for var in ('TERN_IMG', 'TERN_IO'):
        path = os.environ.get(var)
        if not path or not os.access(path, os.X_OK):
            return f'{var} does not name an executable ({path!r})'
    return None


def run(argv, *, cwd=None, ok=True, timeout=None, stdin=None):
    """Run argv; CompletedProcess with text output.  ok=True: a non-zero
    status fails the test; ok=False: a zero status does."""
    argv = [str(a) for a in argv]
    try:
        res = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                             errors='replace', input=stdin,
                             timeout=TIMEOUT if timeout is None else timeout)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f'timed out after {e.timeout:g} s: '
                             + shlex.join(argv)) from None
    if ok is not None and (res.returncode == 0) != ok:
        raise AssertionError(describe(res))
    if 'runtime error:' in res.stderr or 'Sanitizer' in res.stderr:
        raise AssertionError('sanitizer report: ' + describe(res))
    return res


def describe(res):
    return (f'`{shlex.join(res.args)}` exited with {res.returncode}\n'
            f'--- stdout\n{res.stdout}--- stderr\n{res.stderr}')


def opt_string(opts):
    """{'cluster_size': 512, ...} -> 'cluster_size=512,...' (-o)."""
    return ','.join(f'{k}={v}' for k, v in opts.items())


def create(tool, path, size, opts=None, fmt='qcow2', backing=None,
           backing_fmt=None, cwd=None, ok=True):
    """`TOOL create -f FMT [-b B -F BF] [-o OPTS] PATH SIZE`."""
    argv = [tool, 'create', '-f', fmt]
    if backing is not None:
        argv += ['-b', backing, '-F', backing_fmt or 'qcow2']
    if opts:
        argv += ['-o', opt_string(opts)]
    argv += [path]
    if size is not None:
        argv += [size]
    return run(argv, cwd=cwd, ok=ok)


def io(tool, path, cmds, fmt='qcow2', cwd=None, ok=True, extra=()):
    """Run qemu-io style commands (`-c` each) on an image.  With ok=True a
    failed command or a pattern mismatch fails the test."""
    argv = [tool, *extra]
    if fmt:
        argv += ['-f', fmt]
    for c in cmds:
        argv += ['-c', c]
    argv.append(path)
    res = run(argv, cwd=cwd, ok=ok)
    if ok:
        out = res.stdout + res.stderr
        for bad in ('Pattern verification failed', 'failed:', 'error'):
            assert bad not in out, describe(res)
    return res


def check(tool, path, fmt='qcow2', repair=None):
    """`TOOL check --output=json`: (exit status, parsed report)."""
    argv = [tool, 'check', '-f', fmt, '--output=json']
    if repair:
        argv += ['-r', repair]
    res = run(argv + [path], ok=None)
    assert res.returncode in (CHECK_OK, CHECK_CORRUPT, CHECK_LEAKS), \
        describe(res)
    text = res.stdout
    start = text.find('{')
    assert start >= 0, 'no JSON report: ' + describe(res)
    return res.returncode, json.loads(text[start:text.rfind('}') + 1]), res


def assert_clean(tool, path, fmt='qcow2', leaks_ok=False):
    """The image has no corruption (and no leak unless leaks_ok)."""
    rc, report, res = check(tool, path, fmt)
    assert report.get('corruptions', 0) == 0, describe(res)
    assert report.get('check-errors', 0) == 0, describe(res)
    if not leaks_ok:
        assert report.get('leaks', 0) == 0, describe(res)
        assert rc == CHECK_OK, describe(res)
    else:
        assert rc in (CHECK_OK, CHECK_LEAKS), describe(res)
    return report


def info_json(tool, path, fmt=None, chain=False):
    argv = [tool, 'info', '--output=json']
    if fmt:
        argv += ['-f', fmt]
    if chain:
        argv.append('--backing-chain')
    return json.loads(run(argv + [path]).stdout)


def map_json(tool, path, fmt=None):
    argv = [tool, 'map', '--output=json']
    if fmt:
        argv += ['-f', fmt]
    return json.loads(run(argv + [path]).stdout)


def compare(a, b, fmt_a=None, fmt_b=None, strict=False):
    """qemu-img compare: True when the guest-visible contents are equal."""
    argv = [QEMU_IMG, 'compare']
    if fmt_a:
        argv += ['-f', fmt_a]
    if fmt_b:
        argv += ['-F', fmt_b]
    if strict:
        argv.append('-s')
    res = run(argv + [a, b], ok=None)
    assert res.returncode in (0, 1), describe(res)
    return res.returncode == 0, res


# -- a model of what an image holds -----------------------------------------

class Model:
    """What the guest sees: a list of painted ranges over a zero image.

    write(off, len, pattern), zero(off, len), discard(off, len) record
    operations (discard must be cluster aligned: it then reads as zero);
    cmds() gives the qemu-io commands that do them; verify_cmds() gives
    `read -P` commands covering the whole image exactly."""

    def __init__(self, size):
        self.size = size
        self.ops = []

    def write(self, off, length, pattern):
        self.ops.append(('write', off, length, pattern))
        return self

    def zero(self, off, length):
        self.ops.append(('zero', off, length, 0))
        return self

    def discard(self, off, length):
        self.ops.append(('discard', off, length, 0))
        return self

    def cmds(self, ops=None):
        out = []
        for kind, off, length, pat in self.ops if ops is None else ops:
            if kind == 'write':
                out.append(f'write -P {pat:#x} {off} {length}')
            elif kind == 'zero':
                out.append(f'write -z {off} {length}')
            else:
                out.append(f'discard {off} {length}')
        return out

    def segments(self):
        """[(start, length, byte)] covering the image, adjacent equal
        bytes merged."""
        cuts = {0, self.size}
        for _, off, length, _ in self.ops:
            cuts.update((off, off + length))
        cuts = sorted(c for c in cuts if 0 <= c <= self.size)
        segs = []
        for a, b in zip(cuts, cuts[1:]):
            value = 0
            for _, off, length, pat in self.ops:
                if off <= a and b <= off + length:
                    value = pat
            if segs and segs[-1][2] == value and \
                    segs[-1][0] + segs[-1][1] == a:
                segs[-1] = (segs[-1][0], segs[-1][1] + b - a, value)
            else:
                segs.append((a, b - a, value))
        return segs

    def verify_cmds(self, max_read=64 * MiB):
        out = []
        for start, length, value in self.segments():
            while length > 0:
                n = min(length, max_read)
                out.append(f'read -P {value:#x} {start} {n}')
                start += n
                length -= n
        return out


def standard_model(size, cluster):
    """A write plan that touches what matters for any cluster size:
    unaligned writes, cluster-crossing writes, a write at the end, zero
    writes over data and over nothing, a cluster-aligned discard."""
    m = Model(size)
    m.write(0, 64 * KiB, 0xab)
    m.write(1000, 3000, 0xcd)
    m.write(4 * MiB + cluster - 512, 1024, 0x22)
    m.write(8 * MiB, 2 * MiB + 4096, 0x33)
    m.zero(8 * MiB + 512 * KiB, 64 * KiB)
    m.write(16 * MiB, 4 * cluster, 0x44)
    m.discard(16 * MiB + cluster, cluster)
    m.zero(32 * MiB, 2 * cluster)
    m.write(size - 512 * KiB, 512 * KiB, 0x55)
    m.write(size - 700, 300, 0x66)
    return m
