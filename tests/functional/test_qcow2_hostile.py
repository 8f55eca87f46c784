"""Hostile qcow2 images against tern-io, tern-img and blockdev-add.

The images come from tests/data/qcow2/make-hostile.py (built afresh in a
temporary directory).  Every tool must give a clear error and an exit
status, never a crash (signal exit, sanitizer report) or a hang (each run
has a timeout).  Images that QEMU refuses to open must be refused, and so
must tables past the end of the file (make-hostile.py's TERN_REFUSES);
where Debian's qemu-img is installed, tern-img check must exit with the
same status as qemu-img check on the same image.

The tools are found next to ternd's build directory (BUILD/tools/tern-io,
BUILD/tools/tern-img) or through TERN_IO / TERN_IMG; tests skip with a
message when they are missing.
"""

import importlib.util
import os
import shutil
import subprocess

import pytest

from ternd import dump, ternd_path

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATOR = os.path.join(HERE, '..', 'data', 'qcow2', 'make-hostile.py')
TOOL_TIMEOUT = float(os.environ.get('TERN_TOOL_TIMEOUT', '30'))
SANITIZER_MARKS = ('AddressSanitizer', 'LeakSanitizer',
                   'UndefinedBehaviorSanitizer', 'runtime error:')


def _load_generator():
    spec = importlib.util.spec_from_file_location('make_hostile', GENERATOR)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


HOSTILE = _load_generator()
CASES = sorted(HOSTILE.CASES)
REFUSED = [n for n in CASES if HOSTILE.tern_refuses(n)]


def _tool(env, name):
    path = os.environ.get(env)
    if not path:
        build = os.path.dirname(os.path.dirname(ternd_path()))
        path = os.path.join(build, 'tools', name)
    if not os.access(path, os.X_OK):
        pytest.skip(f'{name} not built ({path} missing)')
    return path


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    outdir = str(tmp_path_factory.mktemp('hostile'))
    return HOSTILE.write_all(outdir)


@pytest.fixture
def image(images, request, tmp_path):
    """A private copy of the image: a tool may legitimately write it."""
    path = str(tmp_path / os.path.basename(images[request.param]))
    shutil.copyfile(images[request.param], path)
    return path


def run_tool(argv):
    """Runs a tool with a timeout; fails on a signal or sanitizer report."""
    try:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True,
                              errors='replace', timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f'hang: {argv} still running after {TOOL_TIMEOUT:g} s')
    text = f'{argv}: exit {proc.returncode}\nstdout:\n{proc.stdout}\n' \
           f'stderr:\n{proc.stderr}'
    assert proc.returncode >= 0, 'killed by a signal: ' + text
    assert proc.returncode < 128, 'crashed: ' + text
    for mark in SANITIZER_MARKS:
        assert mark not in proc.stderr, 'sanitizer report: ' + text
    return proc, text


def assert_clear_error(proc, text):
    """A refusal: non-zero exit and one short message, no noise."""
    assert proc.returncode != 0, 'hostile image accepted: ' + text
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines, 'no error message: ' + text
    assert len(lines) <= 3, 'error message is not short: ' + text
    assert '(null)' not in proc.stderr, text


def qemu_img_check_status(path):
    qemu_img = shutil.which('qemu-img')
    if not qemu_img:
        return None
    proc = subprocess.run([qemu_img, 'check', '-f', 'qcow2', path],
                          capture_output=True, timeout=TOOL_TIMEOUT)
    return proc.returncode


# -- tern-io ----------------------------------------------------------------

@pytest.mark.parametrize('image', CASES, indirect=True)
def test_tern_io_read(image):
    tern_io = _tool('TERN_IO', 'tern-io')
    name = os.path.basename(image)[:-len('.qcow2')]
    proc, text = run_tool([tern_io, '-f', 'qcow2', '-c', 'read 0 64k',
                           image])
    if name in REFUSED:
        assert_clear_error(proc, text)
        assert "can't open device" in proc.stderr, text


@pytest.mark.parametrize('image', CASES, indirect=True)
def test_tern_io_write(image):
    """Writing must never damage metadata further or crash."""
    tern_io = _tool('TERN_IO', 'tern-io')
    name = os.path.basename(image)[:-len('.qcow2')]
    proc, text = run_tool([tern_io, '-f', 'qcow2', '-c',
                           'write -P 0x5a 0 64k', '-c',
                           'read -P 0x5a 0 64k', image])
    if name in REFUSED:
        assert_clear_error(proc, text)


# -- tern-img ---------------------------------------------------------------

@pytest.mark.parametrize('image', CASES, indirect=True)
def test_tern_img_info(image):
    tern_img = _tool('TERN_IMG', 'tern-img')
    name = os.path.basename(image)[:-len('.qcow2')]
    proc, text = run_tool([tern_img, 'info', '-f', 'qcow2', image])
    if name in REFUSED:
        assert_clear_error(proc, text)
        assert proc.returncode == 1, text
    else:
        assert proc.returncode == 0, text
    proc, text = run_tool([tern_img, 'info', '-f', 'qcow2',
                           '--output=json', image])
    assert proc.returncode == (1 if name in REFUSED else 0), text


@pytest.mark.parametrize('image', CASES, indirect=True)
def test_tern_img_check(image):
    tern_img = _tool('TERN_IMG', 'tern-img')
    name = os.path.basename(image)[:-len('.qcow2')]
    proc, text = run_tool([tern_img, 'check', '-f', 'qcow2', image])
    if name in REFUSED:
        assert_clear_error(proc, text)
        assert proc.returncode == 1, text
        return
    # 0 clean, 2 corruptions, 3 leaks only (qemu-img's codes)
    assert proc.returncode in (0, 2, 3), text
    want = qemu_img_check_status(image)
    if want is not None:
        assert proc.returncode == want, f'qemu-img check exits {want}; ' + text


@pytest.mark.parametrize('image', sorted(set(CASES) - set(REFUSED)),
                         indirect=True)
def test_tern_img_repair(image):
    """-r all never crashes; when it succeeds qemu-img agrees."""
    tern_img = _tool('TERN_IMG', 'tern-img')
    proc, text = run_tool([tern_img, 'check', '-f', 'qcow2', '-r', 'all',
                           image])
    assert proc.returncode in (0, 1, 2, 3), text
    if proc.returncode == 0 and shutil.which('qemu-img'):
        assert qemu_img_check_status(image) == 0, \
            'tern-img repaired it, qemu-img disagrees: ' + text


# -- blockdev-add -----------------------------------------------------------

def test_blockdev_add(vm, images):
    cmds = [c['name'] for c in vm.cmd_ok('query-commands')]
    if 'blockdev-add' not in cmds:
        pytest.skip('ternd has no blockdev-add yet')
    failures = []
    for i, name in enumerate(CASES):
        for read_only in (True, False):
            node = f'h{i}{"r" if read_only else "w"}'
            reply = vm.cmd('blockdev-add', {
                'driver': 'qcow2', 'node-name': node,
                'read-only': read_only,
                'file': {'driver': 'file', 'filename': images[name],
                         'locking': 'off'}})
            if 'return' in reply:
                if name in REFUSED:
                    failures.append(f'{name}: accepted: {dump(reply)}')
                vm.cmd_ok('blockdev-del', {'node-name': node})
                continue
            err = reply.get('error', {})
            if err.get('class') != 'GenericError' or not err.get('desc'):
                failures.append(f'{name}: unclear error: {dump(reply)}')
            vm.assert_alive()
    # the daemon is still serving
    vm.cmd_ok('query-status')
    stderr = vm.stderr()
    for mark in SANITIZER_MARKS:
        assert mark not in stderr, stderr
    assert not failures, '\n'.join(failures)
