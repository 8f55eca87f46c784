"""Backing chains, compressed clusters and `tern-img convert` against
Debian's qemu-utils.

* 3-deep chains qemu-img builds (relative backing names resolved against
  the overlay's directory, backing_fmt from the header extension, raw or
  qcow2 base) read back exactly in tern-io, from another directory;
* overlays tern-img creates on qemu's images read back in qemu-io;
* clusters `qemu-img convert -c` compresses (zlib and zstd) read back in
  tern-io;
* `tern-img convert` output compares equal with `qemu-img compare`:
  qcow2 -> raw, raw -> qcow2, a chain -> one flattened image, and the
  qcow2 it writes passes `qemu-img check` and stays sparse.
"""

import os

import pytest

import interop
from interop import KiB, MiB, QEMU_IMG, QEMU_IO

SIZE = 64 * MiB


def chain_model():
    """Writes for base, mid and top that overlap each other."""
    m = interop.Model(SIZE)
    base = [('write', 0, 8 * MiB, 0x11), ('write', 40 * MiB, 1 * MiB, 0x12),
            ('write', SIZE - 4096, 4096, 0x13)]
    mid = [('write', 1 * MiB, 2 * MiB, 0x21), ('zero', 5 * MiB, 512 * KiB, 0),
           ('write', 20 * MiB + 1000, 3000, 0x22)]
    top = [('write', 2 * MiB - 512, 1024, 0x31),
           ('write', 40 * MiB + 64 * KiB, 4096, 0x32),
           ('zero', 7 * MiB, 128 * KiB, 0),
           ('write', SIZE - 1000, 1000, 0x33)]
    return m, base, mid, top


def build_chain(tmp_path, base_fmt, top_tool=QEMU_IMG):
    """chain/base.{raw,qcow2} <- chain/mid.qcow2 <- chain/top.qcow2 with
    relative backing names; returns (top path, model)."""
    d = tmp_path / 'chain'
    d.mkdir()
    base = f'base.{base_fmt}'
    interop.create(QEMU_IMG, d / base, SIZE, fmt=base_fmt)
    interop.create(QEMU_IMG, 'mid.qcow2', None, backing=base,
                   backing_fmt=base_fmt, cwd=d)
    interop.create(top_tool, 'top.qcow2', None, backing='mid.qcow2',
                   backing_fmt='qcow2', cwd=d)
    m, base_ops, mid_ops, top_ops = chain_model()
    interop.io(QEMU_IO, d / base, m.cmds(base_ops), fmt=base_fmt)
    interop.io(QEMU_IO, d / 'mid.qcow2', m.cmds(mid_ops))
    interop.io(QEMU_IO, d / 'top.qcow2', m.cmds(top_ops))
    m.ops = base_ops + mid_ops + top_ops
    return d / 'top.qcow2', m


@pytest.mark.parametrize('base_fmt', ['qcow2', 'raw'])
def test_qemu_chain_reads_in_tern(tmp_path, base_fmt):
    top, model = build_chain(tmp_path, base_fmt)
    # from another directory: backing names resolve against chain/
    other = tmp_path / 'elsewhere'
    other.mkdir()
    rel = os.path.relpath(top, other)
    interop.io(interop.tern_io_path(), rel, model.verify_cmds(), cwd=other)
    interop.io(interop.tern_io_path(), top, model.verify_cmds(), cwd='/')


@pytest.mark.parametrize('base_fmt', ['qcow2', 'raw'])
def test_chain_info_and_map_match_qemu(tmp_path, base_fmt):
    top, _ = build_chain(tmp_path, base_fmt)
    qemu = interop.info_json(QEMU_IMG, top, chain=True)
    tern = interop.info_json(interop.tern_img_path(), top, chain=True)
    assert len(tern) == len(qemu) == 3
    for q, t in zip(qemu, tern):
        for key in ('filename', 'format', 'virtual-size', 'backing-filename',
                    'full-backing-filename', 'backing-filename-format',
                    'cluster-size', 'dirty-flag', 'actual-size'):
            assert t.get(key) == q.get(key), f'{key}: {q} / {t}'
    drop = {'compressed'}
    qmap = interop.map_json(QEMU_IMG, top)
    tmap = interop.map_json(interop.tern_img_path(), top)
    assert [{k: v for k, v in e.items() if k not in drop} for e in tmap] \
        == qmap


def test_tern_overlay_on_qemu_chain(tmp_path):
    """tern-img creates the top overlay; qemu-io reads the chain through
    it and qemu-img sees the backing name and format tern wrote."""
    top, model = build_chain(tmp_path, 'qcow2', top_tool=
                             interop.tern_img_path())
    interop.assert_clean(QEMU_IMG, top)
    info = interop.info_json(QEMU_IMG, top)
    assert info['backing-filename'] == 'mid.qcow2', info
    assert info['backing-filename-format'] == 'qcow2', info
    assert info['virtual-size'] == SIZE, info
    interop.io(QEMU_IO, top, model.verify_cmds(), extra=['-r'])


def test_tern_chain_reads_in_qemu(tmp_path):
    """A chain tern-img creates and tern-io writes reads in qemu-io."""
    d = tmp_path / 'c'
    d.mkdir()
    tern_img, tern_io = interop.tern_img_path(), interop.tern_io_path()
    interop.create(tern_img, 'base.qcow2', SIZE, {'cluster_size': 4096},
                   cwd=d)
    interop.create(tern_img, 'mid.qcow2', None, backing='base.qcow2',
                   backing_fmt='qcow2', cwd=d)
    interop.create(tern_img, 'top.qcow2', None, {'cluster_size': 2 * MiB},
                   backing='mid.qcow2', backing_fmt='qcow2', cwd=d)
    m, base_ops, mid_ops, top_ops = chain_model()
    for name, ops in (('base', base_ops), ('mid', mid_ops), ('top', top_ops)):
        interop.io(tern_io, d / f'{name}.qcow2', m.cmds(ops))
        interop.assert_clean(QEMU_IMG, d / f'{name}.qcow2')
    m.ops = base_ops + mid_ops + top_ops
    interop.io(QEMU_IO, d / 'top.qcow2', m.verify_cmds(), extra=['-r'])


@pytest.mark.parametrize('ctype', ['zlib', 'zstd'])
@pytest.mark.parametrize('cluster', [4096, 64 * KiB, 2 * MiB])
def test_compressed_clusters_read_in_tern(tmp_path, ctype, cluster):
    raw = tmp_path / 'src.raw'
    interop.create(QEMU_IMG, raw, SIZE, fmt='raw')
    model = interop.standard_model(SIZE, 64 * KiB)
    model.ops = [op for op in model.ops if op[0] != 'discard']
    interop.io(QEMU_IO, raw, model.cmds(), fmt='raw')
    comp = tmp_path / 'c.qcow2'
    interop.run([QEMU_IMG, 'convert', '-c', '-f', 'raw', '-O', 'qcow2',
                 '-o', f'compression_type={ctype},cluster_size={cluster}',
                 raw, comp])
    rc, report, res = interop.check(QEMU_IMG, comp)
    assert report.get('compressed-clusters', 0) > 0, interop.describe(res)
    interop.io(interop.tern_io_path(), comp, model.verify_cmds())
    back = tmp_path / 'back.raw'
    interop.run([interop.tern_img_path(), 'convert', '-f', 'qcow2',
                 '-O', 'raw', comp, back])
    same, res = interop.compare(raw, back, 'raw', 'raw')
    assert same, interop.describe(res)
    # tern writes over compressed clusters: copy-on-write, clean image
    over = [('write', 8 * MiB + 100, 5000, 0x99)]
    model.ops += over
    interop.io(interop.tern_io_path(), comp, model.cmds(over))
    interop.assert_clean(QEMU_IMG, comp)
    interop.io(QEMU_IO, comp, model.verify_cmds(), extra=['-r'])


def convert(src, dst, src_fmt, dst_fmt, opts=None):
    argv = [interop.tern_img_path(), 'convert', '-f', src_fmt,
            '-O', dst_fmt]
    if opts:
        argv += ['-o', interop.opt_string(opts)]
    interop.run(argv + [src, dst])


def test_convert_qcow2_to_raw(tmp_path):
    src = tmp_path / 's.qcow2'
    interop.create(QEMU_IMG, src, SIZE)
    interop.io(QEMU_IO, src, interop.standard_model(SIZE, 64 * KiB).cmds())
    dst = tmp_path / 'd.raw'
    convert(src, dst, 'qcow2', 'raw')
    assert dst.stat().st_size == SIZE
    same, res = interop.compare(src, dst, 'qcow2', 'raw')
    assert same, interop.describe(res)
    # sparse: most of the raw file is holes
    assert dst.stat().st_blocks * 512 < SIZE // 2, dst.stat()


@pytest.mark.parametrize('opts', [{}, {'cluster_size': 512},
                                  {'compat': '0.10'},
                                  {'cluster_size': 2 * MiB,
                                   'refcount_bits': 1}],
                         ids=lambda o: interop.opt_string(o) or 'defaults')
def test_convert_raw_to_qcow2(tmp_path, opts):
    src = tmp_path / 's.raw'
    interop.create(QEMU_IMG, src, SIZE, fmt='raw')
    interop.io(QEMU_IO, src, interop.standard_model(SIZE, 64 * KiB).cmds(),
               fmt='raw')
    dst = tmp_path / 'd.qcow2'
    convert(src, dst, 'raw', 'qcow2', opts)
    interop.assert_clean(QEMU_IMG, dst)
    same, res = interop.compare(src, dst, 'raw', 'qcow2')
    assert same, interop.describe(res)
    info = interop.info_json(QEMU_IMG, dst)
    assert info['cluster-size'] == int(opts.get('cluster_size', 64 * KiB))
    # sparse detection: the zero parts of the raw file are not data
    rc, report, res = interop.check(QEMU_IMG, dst)
    assert report['allocated-clusters'] < report['total-clusters'] // 2, \
        interop.describe(res)


@pytest.mark.parametrize('base_fmt', ['qcow2', 'raw'])
def test_convert_chain_flattens(tmp_path, base_fmt):
    top, model = build_chain(tmp_path, base_fmt)
    flat = tmp_path / 'flat.qcow2'
    convert(top, flat, 'qcow2', 'qcow2')
    interop.assert_clean(QEMU_IMG, flat)
    info = interop.info_json(QEMU_IMG, flat)
    assert 'backing-filename' not in info, info
    same, res = interop.compare(top, flat, 'qcow2', 'qcow2')
    assert same, interop.describe(res)
    interop.io(QEMU_IO, flat, model.verify_cmds(), extra=['-r'])


def test_tern_compare_agrees(tmp_path):
    """tern-img compare: 0 for equal contents, 1 for different, as
    qemu-img compare."""
    a = tmp_path / 'a.qcow2'
    b = tmp_path / 'b.raw'
    interop.create(QEMU_IMG, a, SIZE)
    interop.create(QEMU_IMG, b, SIZE, fmt='raw')
    cmds = interop.standard_model(SIZE, 64 * KiB).cmds()
    interop.io(QEMU_IO, a, cmds)
    interop.io(QEMU_IO, b, cmds, fmt='raw')
    argv = [interop.tern_img_path(), 'compare', '-f', 'qcow2', '-F', 'raw',
            a, b]
    interop.run(argv)
    interop.io(QEMU_IO, b, ['write -P 0x1 33M 512'], fmt='raw')
    res = interop.run(argv, ok=None)
    assert res.returncode == 1, interop.describe(res)
