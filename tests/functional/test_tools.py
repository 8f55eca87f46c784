"""tern-img and tern-io: command syntax, output and exit codes.

The binaries come from $TERN_IMG and $TERN_IO (meson sets them).  Where
Debian's qemu-img is installed, a few results are cross-checked with it;
the interop suite (tests/interop) goes further.
"""
import json
import os
import re
import shutil
import subprocess

import pytest

TERN_IMG = os.environ.get('TERN_IMG', 'tern-img')
TERN_IO = os.environ.get('TERN_IO', 'tern-io')
QEMU_IMG = shutil.which('qemu-img')
TIMEOUT = 60


def run(tool, *args, stdin=None):
    """Run a tool; return (exit status, stdout, stderr)."""
    p = subprocess.run([tool, *args], input=stdin, capture_output=True,
                       text=True, timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr


def img(*args):
    return run(TERN_IMG, *args)


def tio(*args, stdin=None):
    return run(TERN_IO, *args, stdin=stdin)


def ok_img(*args):
    rc, out, err = img(*args)
    assert rc == 0, f'tern-img {args}: rc={rc}\n{out}\n{err}'
    return out


def ok_io(*args):
    rc, out, err = tio(*args)
    assert rc == 0, f'tern-io {args}: rc={rc}\n{out}\n{err}'
    return out


@pytest.fixture
def raw(tmp_path):
    path = str(tmp_path / 'disk.raw')
    ok_img('create', '-q', '-f', 'raw', path, '1M')
    return path


@pytest.fixture
def qcow2(tmp_path):
    path = str(tmp_path / 'disk.qcow2')
    ok_img('create', '-q', '-f', 'qcow2', path, '4M')
    return path


def info_json(path, *extra):
    return json.loads(ok_img('info', '--output=json', *extra, path))


# ---- create and info ----

def test_create_raw_size_suffix(tmp_path):
    path = str(tmp_path / 'a.raw')
    out = ok_img('create', '-f', 'raw', path, '1.5M')
    assert out.startswith(f"Formatting '{path}', fmt=raw size=1572864")
    assert os.path.getsize(path) == 1572864
    info = info_json(path, '-f', 'raw')
    assert info['virtual-size'] == 1572864
    assert info['format'] == 'raw'
    assert info['filename'] == path


def test_create_bad_size(tmp_path):
    rc, _, err = img('create', '-f', 'raw', str(tmp_path / 'x'), '12Q')
    assert rc == 1
    assert 'Invalid image size specified' in err


def test_create_unknown_option(tmp_path):
    rc, _, err = img('create', '-f', 'qcow2', '-o', 'nosuch=1',
                     str(tmp_path / 'x.qcow2'), '1M')
    assert rc == 1
    assert "Invalid parameter 'nosuch'" in err


def test_create_unknown_format(tmp_path):
    rc, _, err = img('create', '-f', 'vmdk42', str(tmp_path / 'x'), '1M')
    assert rc == 1
    assert "Unknown file format 'vmdk42'" in err


def test_info_qcow2_json_keys(qcow2):
    info = info_json(qcow2)
    assert info['format'] == 'qcow2'
    assert info['virtual-size'] == 4 * 1024 * 1024
    assert info['cluster-size'] == 65536
    assert info['dirty-flag'] is False
    assert info['actual-size'] > 0
    spec = info['format-specific']
    assert spec['type'] == 'qcow2'
    assert spec['data']['compat'] == '1.1'
    assert spec['data']['refcount-bits'] == 16


def test_info_human(qcow2):
    out = ok_img('info', qcow2)
    lines = out.splitlines()
    assert lines[0] == f'image: {qcow2}'
    assert lines[1] == 'file format: qcow2'
    assert lines[2] == 'virtual size: 4 MiB (4194304 bytes)'
    assert lines[3].startswith('disk size: ')
    assert 'cluster_size: 65536' in lines
    assert 'Format specific information:' in lines
    assert '    compat: 1.1' in lines


def test_create_options_and_backing_chain(tmp_path):
    base = str(tmp_path / 'base.qcow2')
    mid = str(tmp_path / 'mid.qcow2')
    top = str(tmp_path / 'top.qcow2')
    ok_img('create', '-q', '-f', 'qcow2', '-o',
           'cluster_size=4k,refcount_bits=8,lazy_refcounts=on', base, '2M')
    ok_img('create', '-q', '-f', 'qcow2', '-b', 'base.qcow2', '-F', 'qcow2',
           mid)
    ok_img('create', '-q', '-f', 'qcow2', '-b', mid, '-F', 'qcow2', top)
    info = info_json(base)
    assert info['cluster-size'] == 4096
    assert info['format-specific']['data']['refcount-bits'] == 8
    assert info['format-specific']['data']['lazy-refcounts'] is True
    info = info_json(mid)
    assert info['virtual-size'] == 2 * 1024 * 1024   # from the backing
    assert info['backing-filename'] == 'base.qcow2'
    assert info['full-backing-filename'] == base
    assert info['backing-filename-format'] == 'qcow2'
    chain = json.loads(ok_img('info', '--output=json', '--backing-chain',
                              top))
    assert [c['filename'] for c in chain] == [top, mid, base]
    # data written to the base reads back through the chain
    ok_io('-c', 'write -P 0x5a 0 64k', base)
    ok_io('-c', 'write -P 0x11 4k 4k', mid)
    out = ok_io('-c', 'read -P 0x5a 0 4k', '-c', 'read -P 0x11 4k 4k',
                '-c', 'read -P 0x5a 8k 56k', top)
    assert 'Pattern verification failed' not in out


def test_info_missing_file(tmp_path):
    rc, _, err = img('info', str(tmp_path / 'nosuch'))
    assert rc == 1
    assert "Could not open '" in err


def test_info_bad_output(qcow2):
    rc, _, err = img('info', '--output=xml', qcow2)
    assert rc == 1
    assert '--output must be used with human or json' in err


# ---- check ----

def test_check_clean(qcow2):
    ok_io('-c', 'write -P 1 0 128k', qcow2)
    rc, out, _ = img('check', qcow2)
    assert rc == 0
    assert 'No errors were found on the image.' in out
    rc, out, _ = img('check', '--output=json', qcow2)
    assert rc == 0
    res = json.loads(out)
    assert res['check-errors'] == 0
    assert res['format'] == 'qcow2'
    assert res['filename'] == qcow2
    assert 'corruptions' not in res and 'leaks' not in res
    assert res['allocated-clusters'] >= 2


def test_check_raw_not_supported(raw):
    rc, _, err = img('check', '-f', 'raw', raw)
    assert rc == 63
    assert 'This image format does not support checks' in err


def test_check_bad_repair_mode(qcow2):
    rc, _, err = img('check', '-r', 'some', qcow2)
    assert rc == 1
    assert 'Unknown option value for -r' in err


@pytest.mark.skipif(not QEMU_IMG, reason='qemu-img not installed')
def test_created_image_passes_qemu_img_check(qcow2):
    ok_io('-c', 'write -P 7 100k 300k', '-c', 'write -z 1M 128k',
          '-c', 'discard 0 64k', qcow2)
    p = subprocess.run([QEMU_IMG, 'check', qcow2], capture_output=True,
                       text=True, timeout=TIMEOUT)
    assert p.returncode == 0, p.stdout + p.stderr


# ---- tern-io ----

def test_io_write_read_pattern(raw):
    out = ok_io('-f', 'raw', '-c', 'write -P 0xab 0 4k',
                '-c', 'read -P 0xab 0 4k', raw)
    lines = out.splitlines()
    assert lines[0] == 'wrote 4096/4096 bytes at offset 0'
    assert re.match(r'4 KiB, 1 ops; \d\d\.\d\d sec \(.* ops/sec\)$',
                    lines[1])
    assert lines[2] == 'read 4096/4096 bytes at offset 0'


def test_io_pattern_mismatch_fails(raw):
    rc, out, _ = tio('-f', 'raw', '-c', 'read -P 0x11 0 512', raw)
    assert rc == 1
    assert 'Pattern verification failed at offset 0, 512 bytes' in out


def test_io_pattern_range(raw):
    ok_io('-f', 'raw', '-c', 'write -P 5 0 1000', raw)
    out = ok_io('-f', 'raw', '-c', 'read -P 5 -s 10 -l 100 0 1000', raw)
    assert 'read 1000/1000 bytes at offset 0' in out
    rc, out, _ = tio('-f', 'raw', '-c', 'read -P 5 -s 600 0 512', raw)
    assert rc == 1
    assert 'pattern verification range exceeds end of read data' in out


def test_io_dump(raw):
    ok_io('-f', 'raw', '-c', 'write -P 0x41 0 20', raw)
    out = ok_io('-f', 'raw', '-c', 'read -v 0 20', raw)
    lines = out.splitlines()
    assert lines[0] == ('00000000:  ' + '41 ' * 16 + ' ' + 'A' * 16)
    assert lines[1] == '00000010:  41 41 41 41  AAAA'


def test_io_zero_write_and_quiet(raw):
    ok_io('-f', 'raw', '-c', 'write -P 9 0 8k', raw)
    out = ok_io('-f', 'raw', '-c', 'write -q -z 0 4k',
                '-c', 'read -q -P 0 0 4k', '-c', 'read -q -P 9 4k 4k', raw)
    assert out == ''


def test_io_option_conflicts(raw):
    rc, out, _ = tio('-f', 'raw', '-c', 'write -z -P 1 0 512', raw)
    assert rc == 1
    assert 'Only one of -z, -P, and -s can be specified' in out
    rc, out, _ = tio('-f', 'raw', '-c', 'write -u 0 512', raw)
    assert rc == 1
    assert '-u requires -z to be specified' in out


def test_io_bad_arguments(raw):
    rc, _, err = tio('-f', 'raw', '-c', 'read 0', raw)
    assert rc == 1
    assert 'bad argument count 1 to read, expected at least 2 arguments' \
        in err
    rc, _, err = tio('-f', 'raw', '-c', 'bogus', raw)
    assert rc == 1
    assert 'command "bogus" not found' in err
    rc, out, _ = tio('-f', 'raw', '-c', 'read abc 512', raw)
    assert rc == 1
    assert 'Parsing error: non-numeric argument' in out
    rc, out, _ = tio('-f', 'raw', '-c', 'read 0 3G', raw)
    assert rc == 1
    assert 'length cannot exceed 2147483136, given 3G' in out
    rc, out, _ = tio('-f', 'raw', '-c', 'write -P 0xzz 0 1', raw)
    assert rc == 1
    assert '0xzz is not a valid pattern byte' in out


def test_io_read_past_end_fails(raw):
    rc, out, _ = tio('-f', 'raw', '-c', 'read 0 2M', raw)
    assert rc == 1
    assert 'read failed: ' in out


def test_io_aio(qcow2):
    out = ok_io('-c', 'aio_write -P 3 0 64k', '-c', 'aio_write -P 4 64k 64k',
                '-c', 'aio_flush', '-c', 'aio_read -P 3 0 64k',
                '-c', 'aio_flush', '-c', 'read -P 4 64k 64k', qcow2)
    assert out.count('wrote 65536/65536 bytes') == 2
    assert 'read 65536/65536 bytes at offset 0' in out
    rc, out, _ = tio('-c', 'aio_read -P 9 0 512', '-c', 'aio_flush', qcow2)
    assert 'Pattern verification failed at offset 0, 512 bytes' in out


def test_io_length_info_map(qcow2):
    ok_io('-c', 'write 0 4k', qcow2)
    out = ok_io('-c', 'length', '-c', 'info', '-c', 'map', qcow2)
    lines = out.splitlines()
    assert lines[0] == '4 MiB'
    assert 'format name: qcow2' in lines
    assert 'cluster size: 64 KiB' in lines
    assert '64 KiB (0x10000) bytes     allocated at offset 0 bytes (0x0)' \
        in lines
    assert ('3.938 MiB (0x3f0000) bytes not allocated at offset 64 KiB '
            '(0x10000)') in lines


def test_io_discard_flush_truncate(raw):
    out = ok_io('-f', 'raw', '-c', 'discard 0 4k', '-c', 'flush',
                '-c', 'truncate 2M', '-c', 'length', raw)
    assert 'discard 4096/4096 bytes at offset 0' in out
    assert out.splitlines()[-1] == '2 MiB'


def test_io_stdin_commands(raw):
    rc, out, _ = tio('-f', 'raw', raw,
                     stdin='write -P 7 0 512\nread -P 7 0 512\nquit\n'
                           'read -P 8 0 512\n')
    assert rc == 0
    assert 'read 512/512 bytes at offset 0' in out


def test_io_read_only(raw):
    rc, out, err = tio('-f', 'raw', '-r', '-c', 'write 0 512', raw)
    assert rc == 1
    assert 'write failed' in out + err


def test_io_image_opts(qcow2):
    ok_io('--image-opts', '-c', 'write -P 2 0 512',
          f'driver=qcow2,file.driver=file,file.filename={qcow2}')
    ok_io('-c', 'read -P 2 0 512', qcow2)


def test_io_open_error(tmp_path):
    rc, _, err = tio('-c', 'read 0 1', str(tmp_path / 'nosuch'))
    assert rc == 1
    assert "can't open device" in err


def test_io_help(raw):
    out = ok_io('-f', 'raw', '-c', 'help', '-c', 'help read', raw)
    assert 'read [-abCqv] [-P pattern [-s off] [-l len]] off len -- reads ' \
        'a number of bytes at a specified offset' in out
    assert "Use 'help commandname' for extended help." in out


# ---- convert, compare, map, resize ----

def test_convert_and_compare(tmp_path, qcow2):
    ok_io('-c', 'write -P 0x33 0 100k', '-c', 'write -P 0x44 3M 64k',
          qcow2)
    out_raw = str(tmp_path / 'out.raw')
    out_q = str(tmp_path / 'out.qcow2')
    ok_img('convert', '-O', 'raw', qcow2, out_raw)
    ok_img('convert', '-m', '4', '-W', '-O', 'qcow2', '-o',
           'cluster_size=65536', qcow2, out_q)
    assert os.path.getsize(out_raw) == 4 * 1024 * 1024
    rc, out, _ = img('compare', qcow2, out_raw)
    assert (rc, out) == (0, 'Images are identical.\n')
    rc, out, _ = img('compare', '-f', 'qcow2', '-F', 'qcow2', qcow2, out_q)
    assert rc == 0
    # zero runs stay sparse in the target
    assert info_json(out_q)['actual-size'] < 1024 * 1024
    if QEMU_IMG:
        p = subprocess.run([QEMU_IMG, 'compare', qcow2, out_q],
                           capture_output=True, text=True, timeout=TIMEOUT)
        assert p.returncode == 0, p.stdout + p.stderr


def test_compare_mismatch(tmp_path, raw):
    other = str(tmp_path / 'other.raw')
    ok_img('create', '-q', '-f', 'raw', other, '1M')
    ok_io('-f', 'raw', '-c', 'write -P 1 4608 1', other)
    rc, out, _ = img('compare', '-f', 'raw', '-F', 'raw', raw, other)
    assert rc == 1
    assert out == 'Content mismatch at offset 4608!\n'


def test_compare_size_mismatch(tmp_path, raw):
    other = str(tmp_path / 'big.raw')
    ok_img('create', '-q', '-f', 'raw', other, '2M')
    rc, out, _ = img('compare', '-f', 'raw', '-F', 'raw', raw, other)
    assert rc == 0
    assert 'Warning: Image size mismatch!' in out
    rc, out, _ = img('compare', '-s', '-f', 'raw', '-F', 'raw', raw, other)
    assert rc == 1
    assert 'Strict mode: Image size mismatch!' in out
    rc, _, _ = img('compare', raw, str(tmp_path / 'nosuch'))
    assert rc == 2


def test_convert_skip_create_too_small(tmp_path, qcow2):
    small = str(tmp_path / 'small.raw')
    ok_img('create', '-q', '-f', 'raw', small, '1M')
    rc, _, err = img('convert', '-n', '-O', 'raw', qcow2, small)
    assert rc == 1
    assert 'output file is smaller than input file' in err


def test_convert_cache_modes_and_zero_extents(tmp_path, qcow2):
    """-t/-T as qemu-img's (the target defaults to cache=unsafe); ranges
    the source reports as zero are written as zeroes into a target that
    does not start out zero (-n over old data), never read as data."""
    ok_io('-c', 'write -P 0x5a 0 64k', '-c', 'write -z 1M 1M',
          '-c', 'write -P 0x6b 3M 4k', qcow2)
    out = str(tmp_path / 'out.raw')
    ok_img('create', '-q', '-f', 'raw', out, '4M')
    with open(out, 'r+b') as f:
        f.write(b'\xff' * 4 * 1024 * 1024)       # old data everywhere
    ok_img('convert', '-n', '-t', 'none', '-T', 'writeback', '-O', 'raw',
           qcow2, out)
    rc, msg, _ = img('compare', qcow2, out)
    assert (rc, msg) == (0, 'Images are identical.\n')
    for opt, bad, text in (('-t', 'bogus', 'Invalid cache option: bogus'),
                           ('-T', 'nope',
                            'Invalid source cache option: nope')):
        rc, _, err = img('convert', opt, bad, '-O', 'raw', qcow2,
                         str(tmp_path / 'x.raw'))
        assert rc == 1 and text in err, err
        assert not os.path.exists(tmp_path / 'x.raw')


def test_convert_progress(tmp_path, qcow2):
    out = ok_img('convert', '-p', '-O', 'raw', qcow2,
                 str(tmp_path / 'p.raw'))
    assert '(100.00/100%)' in out


def test_map_json(qcow2):
    ok_io('-c', 'write -P 1 0 64k', '-c', 'write -z 64k 64k', qcow2)
    out = ok_img('map', '--output=json', qcow2)
    entries = json.loads(out)
    assert entries[0]['start'] == 0 and entries[0]['length'] == 65536
    assert entries[0]['data'] is True and entries[0]['present'] is True
    assert entries[0]['depth'] == 0 and 'offset' in entries[0]
    assert entries[1]['zero'] is True and entries[1]['data'] is False
    assert entries[-1]['present'] is False
    assert sum(e['length'] for e in entries) == 4 * 1024 * 1024
    human = ok_img('map', qcow2)
    lines = human.splitlines()
    assert lines[0].split() == ['Offset', 'Length', 'Mapped', 'to', 'File']
    assert lines[1].split()[:2] == ['0', '0x10000']


def test_resize(raw, qcow2):
    out = ok_img('resize', '-f', 'raw', raw, '+1M')
    assert out == 'Image resized.\n'
    assert os.path.getsize(raw) == 2 * 1024 * 1024
    rc, _, err = img('resize', '-f', 'raw', raw, '1M')
    assert rc == 1
    assert 'Use the --shrink option' in err
    ok_img('resize', '-f', 'raw', '--shrink', raw, '-512k')
    assert os.path.getsize(raw) == 1536 * 1024
    ok_img('resize', qcow2, '8M')
    assert info_json(qcow2)['virtual-size'] == 8 * 1024 * 1024


def test_unknown_command():
    rc, _, err = img('frobnicate')
    assert rc == 1
    assert 'Command not found: frobnicate' in err
