"""qcow2 interop between tern's tools and Debian's qemu-utils.

* images tern-img creates, with every option that changes the layout,
  pass `qemu-img check`, report the options in `qemu-img info`, and after
  tern-io writes read back exactly in qemu-io;
* images qemu-img creates with the same options, written by qemu-io,
  read back exactly in tern-io, and stay clean when tern-io writes too;
* `tern-img info --output=json` and `tern-img map --output=json` say what
  qemu-img says about the same image.

Backing chains, compressed clusters and `tern-img convert` are in
test_qcow2_chain.py.  Each case works in its own tmp_path.
"""

import pytest

import interop
from interop import KiB, MiB, QEMU_IMG, QEMU_IO

SIZE = 64 * MiB

# -o options of `create`: every cluster size class, both versions, every
# refcount width class, lazy refcounts, subclusters, preallocation modes
# and compression types, alone and in the combinations that change the
# arithmetic (tiny clusters with 1-bit refcounts, huge with 64-bit).
CREATE_CASES = [
    {},
    {'compat': '1.1'},
    {'cluster_size': 512},
    {'cluster_size': 2 * MiB},
    {'compat': '0.10'},
    {'compat': '0.10', 'cluster_size': 512},
    {'compat': '0.10', 'cluster_size': 2 * MiB},
    {'refcount_bits': 1},
    {'refcount_bits': 64},
    {'refcount_bits': 1, 'cluster_size': 512},
    {'refcount_bits': 64, 'cluster_size': 2 * MiB},
    {'refcount_bits': 8, 'cluster_size': 4096},
    {'lazy_refcounts': 'on'},
    {'extended_l2': 'on'},
    {'extended_l2': 'on', 'cluster_size': 16 * KiB},
    {'extended_l2': 'on', 'cluster_size': 2 * MiB},
    {'lazy_refcounts': 'on', 'extended_l2': 'on', 'refcount_bits': 8},
    {'preallocation': 'off'},
    {'preallocation': 'metadata'},
    {'preallocation': 'metadata', 'cluster_size': 512},
    {'preallocation': 'metadata', 'compat': '0.10'},
    {'preallocation': 'metadata', 'extended_l2': 'on'},
    {'preallocation': 'falloc'},
    {'preallocation': 'full'},
    {'preallocation': 'full', 'cluster_size': 2 * MiB, 'refcount_bits': 64},
    {'compression_type': 'zlib'},
    {'compression_type': 'zstd'},
]

# What qemu-img refuses, tern-img must refuse too (non-zero, a message).
BAD_CREATE_CASES = [
    {'compat': '0.10', 'lazy_refcounts': 'on'},
    {'compat': '0.10', 'refcount_bits': 64},
    {'compat': '0.10', 'extended_l2': 'on'},
    {'compat': '0.10', 'compression_type': 'zstd'},
    {'cluster_size': 256},
    {'cluster_size': 4 * MiB},
    {'cluster_size': 3000},
    {'refcount_bits': 3},
    {'refcount_bits': 128},
    {'extended_l2': 'on', 'cluster_size': 4096},
    {'preallocation': 'bogus'},
    {'compat': '2.0'},
]

INFO_KEYS = {
    'cluster_size': 'cluster-size',
}
SPECIFIC_KEYS = {
    'compat': 'compat',
    'lazy_refcounts': 'lazy-refcounts',
    'refcount_bits': 'refcount-bits',
    'extended_l2': 'extended-l2',
    'compression_type': 'compression-type',
}
# keys newer QEMU prints that Debian 12's qemu-img 7.2 does not
NEWER_INFO_KEYS = {'children'}
NEWER_MAP_KEYS = {'compressed'}


def case_id(opts):
    return ','.join(f'{k}={v}' for k, v in opts.items()) or 'defaults'


def cluster_of(opts):
    return int(opts.get('cluster_size', 64 * KiB))


def expected_specific(opts):
    """format-specific.data for an image created with opts."""
    compat = opts.get('compat', '1.1')
    want = {
        'compat': compat,
        'refcount-bits': int(opts.get('refcount_bits', 16)),
        'compression-type': opts.get('compression_type', 'zlib'),
    }
    if compat != '0.10':
        want['lazy-refcounts'] = opts.get('lazy_refcounts') == 'on'
        want['corrupt'] = False
        want['extended-l2'] = opts.get('extended_l2') == 'on'
    return want


def assert_info_matches(path, opts):
    info = interop.info_json(QEMU_IMG, path)
    text = interop.json.dumps(info)
    assert info['format'] == 'qcow2', text
    assert info['virtual-size'] == SIZE, text
    assert info['cluster-size'] == cluster_of(opts), text
    data = info['format-specific']['data']
    for key, value in expected_specific(opts).items():
        assert data.get(key) == value, f'{key}: {text}'
    if opts.get('preallocation') in ('falloc', 'full'):
        assert info['actual-size'] >= SIZE, text
    return info


def strip_map(entries, drop=()):
    return [{k: v for k, v in e.items() if k not in drop} for e in entries]


@pytest.mark.parametrize('opts', CREATE_CASES, ids=case_id)
def test_tern_created_reads_in_qemu(tmp_path, opts):
    img = tmp_path / 't.qcow2'
    interop.create(interop.tern_img_path(), img, SIZE, opts)
    interop.assert_clean(QEMU_IMG, img)
    assert_info_matches(img, opts)

    # Same allocation as the image qemu-img makes with the same options
    # (host offsets may differ: the layout is each tool's own).
    ref = tmp_path / 'q.qcow2'
    interop.create(QEMU_IMG, ref, SIZE, opts)
    drop = {'offset'} | NEWER_MAP_KEYS
    assert strip_map(interop.map_json(QEMU_IMG, img), drop) == \
        strip_map(interop.map_json(QEMU_IMG, ref), drop)

    model = interop.standard_model(SIZE, cluster_of(opts))
    interop.io(interop.tern_io_path(), img, model.cmds())
    interop.assert_clean(QEMU_IMG, img)
    interop.io(QEMU_IO, img, model.verify_cmds(), extra=['-r'])
    interop.io(interop.tern_io_path(), img, model.verify_cmds())


@pytest.mark.parametrize('opts', BAD_CREATE_CASES, ids=case_id)
def test_tern_refuses_what_qemu_refuses(tmp_path, opts):
    interop.create(QEMU_IMG, tmp_path / 'q.qcow2', SIZE, opts, ok=False)
    res = interop.create(interop.tern_img_path(), tmp_path / 't.qcow2',
                         SIZE, opts, ok=False)
    assert res.stderr.strip(), interop.describe(res)
    assert 'Aborted' not in res.stderr and res.returncode == 1, \
        interop.describe(res)


@pytest.mark.parametrize('opts', CREATE_CASES, ids=case_id)
def test_qemu_created_reads_in_tern(tmp_path, opts):
    img = tmp_path / 'q.qcow2'
    interop.create(QEMU_IMG, img, SIZE, opts)
    cluster = cluster_of(opts)
    model = interop.standard_model(SIZE, cluster)
    interop.io(QEMU_IO, img, model.cmds())
    interop.io(interop.tern_io_path(), img, model.verify_cmds())
    rc, report, res = interop.check(interop.tern_img_path(), img)
    assert rc == interop.CHECK_OK, interop.describe(res)

    # tern writes on top of qemu's metadata: still clean, still exact
    more = [('write', 4 * MiB, 3 * cluster + 100, 0x77),
            ('zero', 0, 4096, 0),
            ('write', 40 * MiB + 123, 70 * KiB, 0x88),
            ('discard', 8 * MiB, 2 * MiB, 0)]
    model.ops += more
    interop.io(interop.tern_io_path(), img, model.cmds(more))
    interop.assert_clean(QEMU_IMG, img)
    interop.io(QEMU_IO, img, model.verify_cmds(), extra=['-r'])


INFO_CASES = [{}, {'compat': '0.10'}, {'cluster_size': 512},
              {'refcount_bits': 1, 'lazy_refcounts': 'on'},
              {'extended_l2': 'on', 'compression_type': 'zstd'},
              {'preallocation': 'metadata'}]


@pytest.mark.parametrize('opts', INFO_CASES, ids=case_id)
def test_info_json_matches_qemu(tmp_path, opts):
    img = tmp_path / 'q.qcow2'
    interop.create(QEMU_IMG, img, SIZE, opts)
    interop.io(QEMU_IO, img,
               interop.standard_model(SIZE, cluster_of(opts)).cmds())
    for path in (img, tmp_path / 'q.raw'):
        if path.suffix == '.raw':
            interop.create(QEMU_IMG, path, SIZE, fmt='raw')
        qemu = interop.info_json(QEMU_IMG, path)
        tern = interop.info_json(interop.tern_img_path(), path)
        extra = set(tern) - set(qemu) - NEWER_INFO_KEYS
        assert set(qemu) <= set(tern) and not extra, \
            f'qemu-img: {sorted(qemu)}\ntern-img: {sorted(tern)}'
        for key in qemu:
            assert tern[key] == qemu[key], \
                f'{key}: qemu-img {qemu[key]!r}, tern-img {tern[key]!r}'


MAP_CASES = [{}, {'cluster_size': 512}, {'compat': '0.10'},
             {'extended_l2': 'on'}, {'preallocation': 'metadata'},
             {'cluster_size': 2 * MiB}]


@pytest.mark.parametrize('opts', MAP_CASES, ids=case_id)
def test_map_json_matches_qemu(tmp_path, opts):
    img = tmp_path / 'q.qcow2'
    interop.create(QEMU_IMG, img, SIZE, opts)
    interop.io(QEMU_IO, img,
               interop.standard_model(SIZE, cluster_of(opts)).cmds())
    qemu = interop.map_json(QEMU_IMG, img)
    tern = interop.map_json(interop.tern_img_path(), img)
    assert strip_map(tern, NEWER_MAP_KEYS) == qemu


def test_map_json_raw_matches_qemu(tmp_path):
    img = tmp_path / 'q.raw'
    interop.create(QEMU_IMG, img, SIZE, fmt='raw')
    interop.io(QEMU_IO, img, interop.standard_model(SIZE, 64 * KiB).cmds(),
               fmt='raw')
    qemu = interop.map_json(QEMU_IMG, img, 'raw')
    tern = interop.map_json(interop.tern_img_path(), img, 'raw')
    assert strip_map(tern, NEWER_MAP_KEYS) == qemu


def set_refcount(path, cluster_index, value):
    """Poke a 16-bit refcount entry (first refcount block) in the file."""
    with open(path, 'r+b') as f:
        f.seek(48)
        table = int.from_bytes(f.read(8), 'big')
        f.seek(table)
        block = int.from_bytes(f.read(8), 'big')
        f.seek(block + 2 * cluster_index)
        f.write(value.to_bytes(2, 'big'))


def test_check_leak_agrees_and_repairs(tmp_path):
    """A cluster with refcount 1 and no reference is a leak for both
    checkers (exit 3), and `tern-img check -r leaks` repairs it so that
    qemu-img agrees."""
    img = tmp_path / 'q.qcow2'
    interop.create(QEMU_IMG, img, SIZE)
    interop.io(QEMU_IO, img, ['write -P 0x1 0 64k'])
    end = img.stat().st_size
    with open(img, 'r+b') as f:
        f.truncate(end + 64 * KiB)
    set_refcount(img, end // (64 * KiB), 1)
    rc_q, rep_q, _ = interop.check(QEMU_IMG, img)
    assert rc_q == interop.CHECK_LEAKS and rep_q.get('leaks') == 1
    rc_t, rep_t, res = interop.check(interop.tern_img_path(), img)
    assert rc_t == rc_q, interop.describe(res)
    for key in ('corruptions', 'leaks', 'check-errors'):
        assert rep_t.get(key, 0) == rep_q.get(key, 0), interop.describe(res)
    interop.check(interop.tern_img_path(), img, repair='leaks')
    interop.assert_clean(QEMU_IMG, img)
    interop.io(QEMU_IO, img, ['read -P 0x1 0 64k'], extra=['-r'])


def test_check_corruption_agrees_and_repairs(tmp_path):
    """A data cluster whose refcount is 0 is a corruption for both
    checkers (exit 2); `tern-img check -r all` repairs it, the data
    survives."""
    img = tmp_path / 'q.qcow2'
    interop.create(QEMU_IMG, img, SIZE)
    interop.io(QEMU_IO, img, ['write -P 0x1 0 64k'])
    data = interop.map_json(QEMU_IMG, img)[0]['offset']
    set_refcount(img, data // (64 * KiB), 0)
    rc_q, rep_q, _ = interop.check(QEMU_IMG, img)
    # refcount 0 with one reference, and the L2 entry's COPIED flag
    assert rc_q == interop.CHECK_CORRUPT and rep_q.get('corruptions') == 2
    rc_t, rep_t, res = interop.check(interop.tern_img_path(), img)
    assert rc_t == rc_q, interop.describe(res)
    assert rep_t.get('corruptions') == 2, interop.describe(res)
    interop.check(interop.tern_img_path(), img, repair='all')
    interop.assert_clean(QEMU_IMG, img)
    interop.io(QEMU_IO, img, ['read -P 0x1 0 64k'], extra=['-r'])
