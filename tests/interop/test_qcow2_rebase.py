"""`tern-img rebase` against Debian's qemu-utils.

Chains are created by qemu-img and written by qemu-io; tern-img rebases
them and qemu-img/qemu-io judge the result:

* safe mode keeps what the guest sees (qemu-io `read -P` over the whole
  image, `qemu-img compare` against a copy taken before), `qemu-img info`
  names the new backing file and format, `qemu-img check` is clean, and
  the allocation map is the one `qemu-img rebase` gives on a copy;
* onto a shorter backing file, onto a node further down the chain, onto
  nothing (`-b ""` flattens), for an image without a backing file, with
  extended L2 entries and v2 (compat=0.10) images;
* `-u` changes only the header: the same header `qemu-img rebase -u`
  writes, the data untouched, the new backing file need not exist;
* errors: exit 1, qemu-img's message, the image byte-for-byte unchanged.

qemu-img 7.2 (Debian 12) compares in 512-byte sectors where QEMU 10.0,
and tern, compare whole clusters; the map comparisons use cluster-aligned
data so that both algorithms write the same clusters.
"""

import os
import shutil

import pytest

import interop
from interop import KiB, MiB, QEMU_IMG, QEMU_IO

SIZE = 8 * MiB


def tern_img():
    return interop.tern_img_path()


def rebase(tool, image, backing, backing_fmt='qcow2', extra=(), cwd=None,
           ok=True):
    """`TOOL rebase [EXTRA] -b BACKING [-F FMT] IMAGE`."""
    argv = [tool, 'rebase', *extra, '-b', backing]
    if backing_fmt:
        argv += ['-F', backing_fmt]
    return interop.run(argv + [image], cwd=cwd, ok=ok)


def strip_offsets(entries):
    """Map entries without host offsets (layout may differ)."""
    return [{k: v for k, v in e.items() if k != 'offset'} for e in entries]


def same_as_qemu(image, backing, backing_fmt='qcow2', extra=()):
    """Rebase a copy of @image with qemu-img and @image with tern-img;
    both must give the same allocation map and backing names."""
    copy = image.with_name('qemu-' + image.name)
    shutil.copyfile(image, copy)
    rebase(QEMU_IMG, copy, backing, backing_fmt, extra)
    rebase(tern_img(), image, backing, backing_fmt, extra)
    assert strip_offsets(interop.map_json(QEMU_IMG, image)) == \
        strip_offsets(interop.map_json(QEMU_IMG, copy))
    ours, theirs = (interop.info_json(QEMU_IMG, p) for p in (image, copy))
    for key in ('backing-filename', 'backing-filename-format',
                'virtual-size'):
        assert ours.get(key) == theirs.get(key), f'{key}: {ours} / {theirs}'


def snapshot(path):
    """A copy of @path to compare contents with afterwards."""
    ref = path.with_name('ref-' + path.name)
    shutil.copyfile(path, ref)
    return ref


def assert_same_content(image, ref):
    same, res = interop.compare(image, ref, 'qcow2', 'qcow2')
    assert same, interop.describe(res)


def two_bases(tmp_path, opts=None, new_size=SIZE):
    """old.qcow2 <- top.qcow2 and an unrelated new.qcow2: the old and the
    new backing agree on some clusters and differ on others (aligned to
    64 KiB); top overwrites some of both.  Returns (top, model)."""
    old, new, top = (tmp_path / n for n in ('old.qcow2', 'new.qcow2',
                                            'top.qcow2'))
    interop.create(QEMU_IMG, old, SIZE, opts)
    interop.create(QEMU_IMG, new, new_size, opts)
    interop.create(QEMU_IMG, 'top.qcow2', None, opts, backing='old.qcow2',
                   cwd=tmp_path)
    m = interop.Model(SIZE)
    old_ops = [('write', 0, 1 * MiB, 0x11), ('write', 3 * MiB, 192 * KiB,
                                             0x12),
               ('write', SIZE - 128 * KiB, 128 * KiB, 0x13)]
    new_ops = [('write', 0, 512 * KiB, 0x11), ('write', 2 * MiB, 1 * MiB,
                                               0x21),
               ('write', 3 * MiB + 64 * KiB, 64 * KiB, 0x12)]
    top_ops = [('write', 256 * KiB, 128 * KiB, 0x31),
               ('write', 2 * MiB + 512 * KiB, 64 * KiB, 0x32),
               ('zero', 5 * MiB, 128 * KiB, 0)]
    interop.io(QEMU_IO, old, m.cmds(old_ops))
    interop.io(QEMU_IO, new, m.cmds([(k, off, min(n, new_size - off), p)
                                     for k, off, n, p in new_ops
                                     if off < new_size]))
    interop.io(QEMU_IO, top, m.cmds(top_ops))
    m.ops = old_ops + top_ops
    return top, m


def assert_rebased(top, ref, model, backing, backing_fmt='qcow2'):
    """The guest view is unchanged, the header names @backing, the image
    is clean."""
    interop.io(QEMU_IO, top, model.verify_cmds(), extra=['-r'])
    assert_same_content(top, ref)
    info = interop.info_json(QEMU_IMG, top)
    if backing:
        assert info['backing-filename'] == backing, info
        assert info['backing-filename-format'] == backing_fmt, info
    else:
        assert 'backing-filename' not in info, info
    interop.assert_clean(QEMU_IMG, top)


# -- safe mode ---------------------------------------------------------------

@pytest.mark.parametrize('opts', [{}, {'cluster_size': 4096},
                                  {'extended_l2': 'on'},
                                  {'compat': '0.10'}],
                         ids=lambda o: interop.opt_string(o) or 'defaults')
def test_safe_rebase_keeps_content(tmp_path, opts):
    top, model = two_bases(tmp_path, opts)
    ref = snapshot(top)
    same_as_qemu(top, 'new.qcow2')
    assert_rebased(top, ref, model, 'new.qcow2')


@pytest.mark.parametrize('opts', [{}, {'extended_l2': 'on'}],
                         ids=lambda o: interop.opt_string(o) or 'defaults')
def test_safe_rebase_unaligned_writes(tmp_path, opts):
    """Differences and overlay writes not aligned to clusters (or to
    subclusters): content, check and backing names."""
    top, model = two_bases(tmp_path, opts)
    extra = [('write', 700 * KiB + 3, 5000, 0x41),
             ('write', 3 * MiB + 100 * KiB, 1000, 0x42)]
    interop.io(QEMU_IO, tmp_path / 'new.qcow2',
               model.cmds([('write', 4 * MiB + 512, 700, 0x51)]))
    interop.io(QEMU_IO, top, model.cmds(extra))
    model.ops += extra
    ref = snapshot(top)
    rebase(tern_img(), top, 'new.qcow2')
    assert_rebased(top, ref, model, 'new.qcow2')


def test_rebase_to_shorter_backing(tmp_path):
    """Past the end of the new backing file the image must keep the old
    backing file's data itself."""
    top, model = two_bases(tmp_path, new_size=2 * MiB + 512 * KiB)
    ref = snapshot(top)
    same_as_qemu(top, 'new.qcow2')
    assert_rebased(top, ref, model, 'new.qcow2')


def test_rebase_image_longer_than_old_backing(tmp_path):
    """Past the end of the old backing file the image read zeroes; where
    the new backing file has data there, zeroes are written."""
    top, model = two_bases(tmp_path)
    interop.run([QEMU_IMG, 'resize', top, str(SIZE + 4 * MiB)])
    model.size = SIZE + 4 * MiB
    big = tmp_path / 'big.qcow2'
    interop.create(QEMU_IMG, big, SIZE + 4 * MiB)
    interop.io(QEMU_IO, big, model.cmds([('write', 0, SIZE + 4 * MiB,
                                          0x77)]))
    ref = snapshot(top)
    same_as_qemu(top, 'big.qcow2')
    assert_rebased(top, ref, model, 'big.qcow2')


def test_rebase_onto_nothing_flattens(tmp_path):
    top, model = two_bases(tmp_path)
    ref = snapshot(top)
    same_as_qemu(top, '', backing_fmt=None)
    assert_rebased(top, ref, model, None)
    # the old backing file is not needed any more
    os.unlink(tmp_path / 'old.qcow2')
    interop.io(QEMU_IO, top, model.verify_cmds(), extra=['-r'])


def test_rebase_image_without_backing(tmp_path):
    """An image without a backing file rebased onto one: where the new
    backing file has data the image gets zeroes."""
    top, model = two_bases(tmp_path)
    lone = tmp_path / 'lone.qcow2'
    interop.create(QEMU_IMG, lone, SIZE)
    ops = [('write', 1 * MiB, 2 * MiB, 0x61)]
    interop.io(QEMU_IO, lone, model.cmds(ops))
    model.ops = ops
    ref = snapshot(lone)
    same_as_qemu(lone, 'new.qcow2')
    assert_rebased(lone, ref, model, 'new.qcow2')


def test_rebase_within_chain_relative_names(tmp_path):
    """base <- mid <- top rebased onto base, run from another directory:
    names are relative to the image's directory, the content stays."""
    d = tmp_path / 'chain'
    d.mkdir()
    interop.create(QEMU_IMG, d / 'base.qcow2', SIZE)
    interop.create(QEMU_IMG, 'mid.qcow2', None, backing='base.qcow2', cwd=d)
    interop.create(QEMU_IMG, 'top.qcow2', None, backing='mid.qcow2', cwd=d)
    m = interop.Model(SIZE)
    base_ops = [('write', 0, 4 * MiB, 0x11)]
    mid_ops = [('write', 1 * MiB, 2 * MiB, 0x21),
               ('zero', 6 * MiB, 1 * MiB, 0)]
    top_ops = [('write', 1 * MiB + 512 * KiB, 64 * KiB, 0x31)]
    for name, ops in (('base', base_ops), ('mid', mid_ops), ('top', top_ops)):
        interop.io(QEMU_IO, d / f'{name}.qcow2', m.cmds(ops))
    m.ops = base_ops + mid_ops + top_ops
    top = d / 'top.qcow2'
    ref = snapshot(top)
    shutil.copyfile(top, d / 'qemu-top.qcow2')
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    rebase(tern_img(), 'chain/top.qcow2', 'base.qcow2', cwd=tmp_path)
    rebase(QEMU_IMG, '../chain/qemu-top.qcow2', 'base.qcow2', cwd=elsewhere)
    assert strip_offsets(interop.map_json(QEMU_IMG, top)) == \
        strip_offsets(interop.map_json(QEMU_IMG, d / 'qemu-top.qcow2'))
    assert_rebased(top, ref, m, 'base.qcow2')
    info = interop.info_json(QEMU_IMG, top)
    assert info['full-backing-filename'] == str(d / 'base.qcow2'), info


def test_progress_and_quiet(tmp_path):
    top, _ = two_bases(tmp_path)
    res = rebase(tern_img(), top, 'new.qcow2', extra=['-p'])
    assert res.stdout.rstrip().endswith('(100.00/100%)'), \
        interop.describe(res)
    assert '(0.00/100%)' in res.stdout, interop.describe(res)
    res = rebase(tern_img(), top, 'old.qcow2', extra=['-p', '-q'])
    assert res.stdout == '' and res.stderr == '', interop.describe(res)


# -- unsafe mode -------------------------------------------------------------

@pytest.mark.parametrize('opts', [{}, {'compat': '0.10'},
                                  {'cluster_size': 512}],
                         ids=lambda o: interop.opt_string(o) or 'defaults')
@pytest.mark.parametrize('backing,fmt', [('moved/new.qcow2', 'qcow2'),
                                         ('/nonexistent/base.raw', 'raw'),
                                         ('', None)],
                         ids=['relative', 'absolute', 'none'])
def test_unsafe_changes_only_the_header(tmp_path, opts, backing, fmt):
    top, _ = two_bases(tmp_path, opts)
    copy = tmp_path / 'qemu-top.qcow2'
    shutil.copyfile(top, copy)
    before = top.read_bytes()
    rebase(tern_img(), top, backing, fmt, extra=['-u'])
    rebase(QEMU_IMG, copy, backing, fmt, extra=['-u'])
    ours, theirs = (interop.info_json(QEMU_IMG, p, fmt='qcow2')
                    for p in (top, copy))
    for info in (ours, theirs):
        info.pop('filename')
        info.pop('actual-size', None)
    assert ours == theirs
    if backing:
        assert ours['backing-filename'] == backing, ours
    else:
        assert 'backing-filename' not in ours, ours
    after, qemu = top.read_bytes(), copy.read_bytes()
    cluster = ours['cluster-size']
    assert after[cluster:] == before[cluster:], 'data changed'
    assert after[:cluster] == qemu[:cluster], 'header differs from qemu-img'
    if not backing:
        interop.assert_clean(QEMU_IMG, top)


def test_unsafe_without_b_drops_backing(tmp_path):
    top, _ = two_bases(tmp_path)
    interop.run([tern_img(), 'rebase', '-u', top])
    info = interop.info_json(QEMU_IMG, top)
    assert 'backing-filename' not in info, info


# -- errors ------------------------------------------------------------------

ERROR_CASES = {
    'missing-image': (['-b', 'new.qcow2', '-F', 'qcow2', 'missing.qcow2'],
                      "tern-img: Could not open 'missing.qcow2': Could not "
                      "open 'missing.qcow2': No such file or directory"),
    'missing-new-backing': (['-b', 'gone.qcow2', '-F', 'qcow2', 'top.qcow2'],
                            "tern-img: Could not open new backing file "
                            "'gone.qcow2': Could not open 'gone.qcow2': No "
                            "such file or directory"),
    'raw-image': (['-f', 'raw', '-b', 'new.qcow2', '-F', 'qcow2', 'r.raw'],
                  "tern-img: Could not change the backing file to "
                  "'new.qcow2': Operation not supported"),
    'raw-image-unsafe': (['-u', '-f', 'raw', '-b', 'new.qcow2', '-F',
                          'qcow2', 'r.raw'],
                         "tern-img: Could not change the backing file to "
                         "'new.qcow2': Operation not supported"),
    'no-backing-format': (['-b', 'new.qcow2', 'top.qcow2'],
                          "tern-img: Could not change the backing file to "
                          "'new.qcow2': backing format must be specified"),
    'no-backing-format-unsafe': (['-u', '-b', 'new.qcow2', 'top.qcow2'],
                                 "tern-img: Could not change the backing "
                                 "file to 'new.qcow2': backing format must "
                                 "be specified"),
    'bad-format': (['-b', 'new.qcow2', '-F', 'vmdkx', 'top.qcow2'],
                   "tern-img: Invalid format name: 'vmdkx'"),
    'no-b-safe': (['top.qcow2'],
                  'tern-img: Must specify backing file (-b) or use unsafe '
                  'mode (-u)'),
    'two-files': (['-u', '-b', 'x', 'top.qcow2', 'r.raw'],
                  'tern-img: Expecting one image file name'),
    'bad-cache': (['-t', 'fast', '-b', 'new.qcow2', '-F', 'qcow2',
                   'top.qcow2'], 'tern-img: Invalid cache option: fast'),
    'compress': (['-c', '-b', 'new.qcow2', '-F', 'qcow2', 'top.qcow2'],
                 'tern-img: Compression not supported for this file format'),
    'name-too-long': (['-u', '-b', 'n' * 1024, '-F', 'qcow2', 'top.qcow2'],
                      "tern-img: Could not change the backing file to '"
                      + 'n' * 1024 + "': Invalid argument"),
}


@pytest.mark.parametrize('case', list(ERROR_CASES))
def test_errors_leave_image_unchanged(tmp_path, case):
    argv, message = ERROR_CASES[case]
    top, _ = two_bases(tmp_path)
    raw = tmp_path / 'r.raw'
    interop.create(QEMU_IMG, raw, SIZE, fmt='raw')
    before = {p: p.read_bytes() for p in (top, raw)}
    res = interop.run([tern_img(), 'rebase', *argv], cwd=tmp_path, ok=False)
    assert res.returncode == 1, interop.describe(res)
    assert res.stderr.splitlines()[0] == message, interop.describe(res)
    for path, data in before.items():
        assert path.read_bytes() == data, f'{path.name} changed'
    if case != 'compress':
        # qemu-img fails the same way (7.2 has no -c)
        theirs = interop.run([QEMU_IMG, 'rebase', *argv], cwd=tmp_path,
                             ok=False)
        assert theirs.stderr.splitlines()[0].replace('qemu-img', 'tern-img') \
            == message, interop.describe(theirs)


def test_header_full_leaves_image_unchanged(tmp_path):
    """512-byte clusters: a 400-byte name does not fit beside the header
    and its extensions."""
    top = tmp_path / 'top.qcow2'
    interop.create(QEMU_IMG, top, SIZE, {'cluster_size': 512})
    before = top.read_bytes()
    name = 'y' * 400
    res = rebase(tern_img(), top, name, extra=['-u'], ok=False)
    assert res.returncode == 1
    assert res.stderr == (f"tern-img: Could not change the backing file to "
                          f"'{name}': No space left in the file header\n"), \
        interop.describe(res)
    assert top.read_bytes() == before
