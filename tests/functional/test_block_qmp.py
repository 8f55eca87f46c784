"""Block front ends: blockdev-add/del, the block queries, block_resize,
dirty bitmaps, -blockdev/-drive/-device, HMP info block and qemu-io,
guest disk writes and digests, migration with a disk on shared storage.

Reference: shared/reference/qemu-block.md section 1,
shared/reference/qemu-control.md section 5, docs/devel/block-frontends.md.
"""

import os
import shutil
import subprocess

import pytest

from ternd import (MiB, assert_error, dump, guest_digest, guest_workload,
                   wait_until)

QEMU_IMG = shutil.which('qemu-img')
GENERIC = 'GenericError'


def raw_image(path, size=4 * MiB):
    with open(path, 'wb') as f:
        f.truncate(size)
    return str(path)


def qcow2_image(path, size=4 * MiB, backing=None):
    if not QEMU_IMG:
        pytest.skip('qemu-img is not installed')
    cmd = [QEMU_IMG, 'create', '-q', '-f', 'qcow2']
    if backing:
        cmd += ['-b', backing, '-F', 'qcow2']
    subprocess.run(cmd + [str(path), str(size)], check=True)
    return str(path)


def add_raw(vm, node, path, **extra):
    args = {'driver': 'raw', 'node-name': node,
            'file': {'driver': 'file', 'filename': path}}
    args.update(extra)
    return vm.cmd('blockdev-add', args)


def nodes(vm, flat=True):
    return {n['node-name']: n
            for n in vm.cmd_ok('query-named-block-nodes', {'flat': flat})}


# -- blockdev-add / blockdev-del ---------------------------------------------

def test_blockdev_add_del_raw(vm, tmp_path):
    path = raw_image(tmp_path / 'd.raw')
    assert add_raw(vm, 'r0', path) == {'return': {}}
    n = nodes(vm)
    assert n['r0']['drv'] == 'raw' and n['r0']['file'] == path, dump(n)
    assert n['r0']['image']['virtual-size'] == 4 * MiB, dump(n)
    assert n['r0']['ro'] is False and n['r0']['active'] is True, dump(n)
    assert [c['child'] for c in n['r0']['children']] == ['file'], dump(n)
    vm.cmd_ok('blockdev-del', {'node-name': 'r0'})
    assert 'r0' not in nodes(vm)


def test_blockdev_add_errors(vm, tmp_path):
    path = raw_image(tmp_path / 'd.raw')
    r = vm.cmd('blockdev-add', {'driver': 'raw',
                                'file': {'driver': 'file',
                                         'filename': path}})
    assert_error(r, GENERIC, "'node-name' must be specified for the root "
                 "node")
    r = vm.cmd('blockdev-add', {'driver': 'vhdx', 'node-name': 'x'})
    assert r['error']['class'] == GENERIC, dump(r)
    r = add_raw(vm, 'bad', str(tmp_path / 'missing.raw'))
    assert r['error']['class'] == GENERIC, dump(r)
    assert 'bad' not in nodes(vm)


def test_blockdev_del_errors(vm, tmp_path):
    path = raw_image(tmp_path / 'd.raw')
    assert_error(vm.cmd('blockdev-del', {'node-name': 'nosuch'}), GENERIC,
                 "Failed to find node with node-name='nosuch'")
    vm.cmd_ok('blockdev-add', {'driver': 'file', 'node-name': 'f0',
                               'filename': path})
    vm.cmd_ok('blockdev-add', {'driver': 'raw', 'node-name': 'r0',
                               'file': 'f0'})
    assert_error(vm.cmd('blockdev-del', {'node-name': 'f0'}), GENERIC,
                 'Block device f0 is in use')
    vm.cmd_ok('blockdev-del', {'node-name': 'r0'})
    vm.cmd_ok('blockdev-del', {'node-name': 'f0'})


def test_qcow2_backing_chain_query(vm, tmp_path):
    base = qcow2_image(tmp_path / 'base.qcow2')
    top = qcow2_image(tmp_path / 'top.qcow2', backing=base)
    vm.cmd_ok('blockdev-add', {'driver': 'qcow2', 'node-name': 'top',
                               'file': {'driver': 'file',
                                        'filename': top}})
    n = nodes(vm, flat=False)['top']
    assert n['drv'] == 'qcow2' and n['backing_file_depth'] == 1, dump(n)
    img = n['image']
    assert img['format'] == 'qcow2' and img['cluster-size'] == 65536, dump(n)
    assert img['backing-image']['filename'] == base, dump(n)
    assert img['format-specific']['type'] == 'qcow2', dump(n)
    assert 'backing-image' not in nodes(vm)['top']['image']


# -- block_resize, bitmaps ---------------------------------------------------

def test_block_resize(vm, tmp_path):
    add_raw(vm, 'r0', raw_image(tmp_path / 'd.raw'))
    vm.cmd_ok('block_resize', {'node-name': 'r0', 'size': 8 * MiB})
    assert nodes(vm)['r0']['image']['virtual-size'] == 8 * MiB
    assert_error(vm.cmd('block_resize', {'device': 'x', 'size': 1}),
                 GENERIC, "Cannot find device='x' nor node-name=''")
    assert_error(vm.cmd('block_resize', {'node-name': 'r0', 'size': -1}),
                 GENERIC, "Parameter 'size' expects a >0 size")


def test_dirty_bitmaps(vm, tmp_path):
    add_raw(vm, 'r0', raw_image(tmp_path / 'd.raw'))
    vm.cmd_ok('block-dirty-bitmap-add', {'node': 'r0', 'name': 'b0'})
    bm = nodes(vm)['r0']['dirty-bitmaps']
    assert bm == [{'name': 'b0', 'count': 0, 'granularity': 65536,
                   'recording': True, 'busy': False,
                   'persistent': False}], dump(bm)
    assert_error(vm.cmd('block-dirty-bitmap-add',
                        {'node': 'r0', 'name': 'b0'}),
                 GENERIC, 'Bitmap already exists: b0')
    assert_error(vm.cmd('block-dirty-bitmap-add',
                        {'node': 'r0', 'name': 'b1', 'granularity': 1000}),
                 GENERIC, 'Granularity must be power of 2 and at least 512')
    assert_error(vm.cmd('block-dirty-bitmap-add',
                        {'node': 'nosuch', 'name': 'b1'}),
                 GENERIC, "Cannot find device='nosuch' nor "
                 "node-name='nosuch'")
    vm.hmp('qemu-io r0 "write 0 4k"')
    assert nodes(vm)['r0']['dirty-bitmaps'][0]['count'] == 65536
    vm.cmd_ok('block-dirty-bitmap-clear', {'node': 'r0', 'name': 'b0'})
    assert nodes(vm)['r0']['dirty-bitmaps'][0]['count'] == 0
    vm.cmd_ok('block-dirty-bitmap-remove', {'node': 'r0', 'name': 'b0'})
    assert 'dirty-bitmaps' not in nodes(vm)['r0']
    assert_error(vm.cmd('block-dirty-bitmap-remove',
                        {'node': 'r0', 'name': 'b0'}),
                 GENERIC, "Dirty bitmap 'b0' not found")


# -- command line, query-block, HMP ------------------------------------------

def test_drive_device_query_block(vm_factory, tmp_path):
    path = raw_image(tmp_path / 'd.raw')
    vm = vm_factory(['-drive', f'file={path},format=raw,if=none,id=drive0',
                     '-device', 'virtio-blk-pci,drive=drive0,id=disk0'])
    blocks = vm.cmd_ok('query-block')
    assert len(blocks) == 1, dump(blocks)
    b = blocks[0]
    assert b['device'] == 'drive0' and b['qdev'] == 'disk0', dump(b)
    assert b['type'] == 'unknown' and b['inserted']['drv'] == 'raw', dump(b)
    stats = vm.cmd_ok('query-blockstats')
    assert stats[0]['device'] == 'drive0', dump(stats)
    assert 'rd_bytes' in stats[0]['stats'], dump(stats)
    out = vm.hmp('info block')
    assert out.startswith('drive0 ('), repr(out)
    assert f': {path} (raw)\r\n' in out, repr(out)
    assert '    Attached to:      disk0\r\n' in out, repr(out)


def test_device_backend_listed(vm_factory, tmp_path):
    """A device given a -blockdev node owns an anonymous backend; the
    queries list it as QEMU's do: no device name, the qdev id, stats."""
    path = raw_image(tmp_path / 'd.raw')
    vm = vm_factory(['-blockdev',
                     f'driver=raw,node-name=n0,file.driver=file,'
                     f'file.filename={path}',
                     '-blockdev', f'driver=file,node-name=spare,'
                     f'filename={raw_image(tmp_path / "s.raw")}',
                     '-device', 'virtio-blk-pci,drive=n0,id=vd0'])
    blocks = vm.cmd_ok('query-block')
    assert len(blocks) == 1, dump(blocks)
    b = blocks[0]
    assert b['device'] == '' and b['qdev'] == 'vd0', dump(b)
    assert b['inserted']['node-name'] == 'n0', dump(b)
    guest_workload(vm.qmp, **{'disk-write-rate': 4 * MiB})
    wait_until(lambda: vm.cmd_ok('query-blockstats')[0]['stats']
               ['wr_operations'] > 0, 'guest disk writes')
    stats = vm.cmd_ok('query-blockstats')
    assert [(s['device'], s['qdev']) for s in stats] == [('', 'vd0')], \
        dump(stats)
    out = vm.hmp('info block')
    assert out.startswith(f'n0: {path} (raw)\r\n'), repr(out)
    assert '    Attached to:      vd0\r\n' in out, repr(out)


def test_blockdev_cmdline_keyval_and_json(vm_factory, tmp_path):
    p1 = raw_image(tmp_path / 'a.raw')
    p2 = raw_image(tmp_path / 'b.raw')
    vm = vm_factory([
        '-blockdev', f'driver=file,node-name=f1,filename={p1}',
        '-blockdev', '{"driver": "raw", "node-name": "r2", "file": '
        f'{{"driver": "file", "filename": "{p2}"}}}}'])
    n = nodes(vm)
    assert n['f1']['drv'] == 'file' and n['r2']['drv'] == 'raw', dump(n)


@pytest.mark.parametrize('args,text', [
    (['-device', 'virtio-blk-pci,drive=nosuch'],
     "Property 'virtio-blk-pci.drive' can't find value 'nosuch'"),
    (['-device', 'e1000'], "'e1000' is not a valid device model name"),
    (['-drive', 'file=/nonexistent/x.raw,format=raw,if=none,id=d'],
     'x.raw'),
    (['-drive', 'file=x,cache=bogus'], 'invalid cache option'),
])
def test_bad_block_cmdline(args, text):
    from ternd import run_ternd
    r = run_ternd(args)
    assert r.returncode == 1 and text in r.stderr, r.stderr


def test_hmp_qemu_io(vm_factory, tmp_path):
    path = raw_image(tmp_path / 'd.raw')
    vm = vm_factory(['-blockdev',
                     f'driver=raw,node-name=n0,file.driver=file,'
                     f'file.filename={path}',
                     '-drive', f'file={raw_image(tmp_path / "e.raw")},'
                     'format=raw,if=none,id=drive1,node-name=n1',
                     '-device', 'scsi-hd,drive=drive1,id=hd1'])
    assert vm.hmp('qemu-io n0 "write -P 0xab 0 512"') == ''
    assert vm.hmp('qemu-io drive1 "write -P 0xcd 0 512"') == ''
    assert vm.hmp('qemu-io -d hd1 "read -P 0xcd 0 512"') == ''
    wait_until(lambda: 'read 512/512 bytes at offset 0' in vm.stdout(),
               'qemu-io output on stdout')
    with open(path, 'rb') as f:
        assert f.read(512) == b'\xab' * 512
    out = vm.hmp('qemu-io nosuch "read 0 512"')
    assert out == "Error: Cannot find device='' nor node-name='nosuch'\r\n"
    out = vm.hmp('qemu-io -d nosuch "read 0 512"')
    assert out == "Error: Device 'nosuch' not found\r\n", repr(out)
    # The guest device owns write on n1 without sharing it: the error
    # names both users.
    err = vm.hmp('qemu-io n1 "write 0 512"')
    assert err.startswith('Conflicts with use by '), repr(err)
    assert err == ("Conflicts with use by block device 'drive1' as 'root', "
                   "which does not allow 'write' on n1\r\n"), repr(err)


def test_hmp_qemu_io_aio_write_on_node(vm_factory, tmp_path):
    """aio_write through HMP on a node finishes after the command
    returned, in the daemon's own backend for the node; the daemon keeps
    running and the data lands."""
    path = raw_image(tmp_path / 'd.raw')
    vm = vm_factory(['-blockdev', f'driver=raw,node-name=n0,'
                     f'file.driver=file,file.filename={path}'])
    assert vm.hmp('qemu-io n0 "aio_write -P 0x5a 4096 64k"') == ''
    wait_until(lambda: 'wrote 65536/65536 bytes at offset 4096'
               in vm.stdout(), 'aio_write completion on stdout')
    assert vm.hmp('qemu-io n0 "flush"') == ''
    vm.assert_alive()
    with open(path, 'rb') as f:
        f.seek(4096)
        assert f.read(65536) == b'\x5a' * 65536


# -- guest disks --------------------------------------------------------------

def test_guest_disk_writes_and_digest(vm_factory, tmp_path):
    path = raw_image(tmp_path / 'd.raw', 1 * MiB)
    vm = vm_factory(['-m', '32M', '-drive',
                     f'file={path},format=raw,if=none,id=drive0',
                     '-device', 'virtio-blk-pci,drive=drive0,id=disk0'])
    first = guest_digest(vm.qmp)['disks']
    assert [d['device'] for d in first] == ['disk0'], dump(first)
    guest_workload(vm.qmp, **{'disk-write-rate': 4 * MiB})
    wait_until(lambda: vm.cmd_ok('query-blockstats')[0]['stats']
               ['wr_operations'] >= 64, 'guest disk writes')
    guest_workload(vm.qmp, **{'disk-write-rate': 0})
    vm.cmd_ok('stop')
    d1 = guest_digest(vm.qmp)['disks']
    assert d1 != first and d1 == guest_digest(vm.qmp)['disks'], dump(d1)


# -- migration with a disk on shared storage ---------------------------------

def try_write_open(path):
    """A third process opening @path for writing with OFD locks, as
    qemu-io would: returns qemu-io's verdict, or None without qemu-io."""
    qemu_io = shutil.which('qemu-io')
    if not qemu_io:
        return None
    r = subprocess.run([qemu_io, '-f', 'raw', '-c', 'write 0 512', path],
                       capture_output=True, text=True)
    return r.returncode == 0 and 'lock' not in r.stderr


def test_migration_shared_disk(vm_factory, tmp_path):
    path = raw_image(tmp_path / 'shared.raw', 2 * MiB)
    sock = str(tmp_path / 'mig.sock')
    disk = ['-m', '32M', '-drive', f'file={path},format=raw,if=none,id=d0',
            '-device', 'virtio-blk-pci,drive=d0,id=disk0']
    src = vm_factory(disk)
    dst = vm_factory(disk + ['-incoming', f'unix:{sock}'])
    assert try_write_open(path) in (None, False)
    guest_workload(src.qmp, **{'disk-write-rate': 2 * MiB})
    wait_until(lambda: src.cmd_ok('query-blockstats')[0]['stats']
               ['wr_operations'] >= 16, 'guest disk writes')
    src.cmd_ok('migrate', {'uri': f'unix:{sock}'})
    wait_until(lambda: src.cmd_ok('query-migrate').get('status') ==
               'completed', 'migration completion', timeout=60)
    wait_until(lambda: dst.cmd_ok('query-status')['status'] == 'running',
               'destination running', timeout=60)
    assert dst.cmd_ok('query-named-block-nodes')[0]['active'] is True
    src_nodes = src.cmd_ok('query-named-block-nodes')
    assert all(not n['active'] for n in src_nodes), dump(src_nodes)
    guest_workload(dst.qmp, **{'disk-write-rate': 0})
    dst.cmd_ok('stop')
    # Same disk image: the source reads the same content.
    assert try_write_open(path) in (None, False)
    assert os.path.getsize(path) == 2 * MiB
    d = guest_digest(dst.qmp)['disks']
    assert len(d) == 1 and d[0]['device'] == 'disk0', dump(d)

    # `cont` on the source takes the disk back, as QEMU's: refused while
    # the destination holds it (the source stays as it was) ...
    guest_workload(src.qmp, **{'disk-write-rate': 0})
    err = src.cmd('cont')
    assert 'error' in err and 'lock' in err['error']['desc'], dump(err)
    assert src.cmd_ok('query-status')['status'] == 'postmigrate'
    # ... and done once the destination is gone: the source resumes on
    # the disk the destination wrote, which it reads back whole.
    dst.cmd_ok('quit')
    assert dst.wait() == 0
    src.cmd_ok('cont')
    assert src.cmd_ok('query-status')['status'] == 'running'
    src_nodes = src.cmd_ok('query-named-block-nodes')
    assert all(n['active'] for n in src_nodes), dump(src_nodes)
    src.cmd_ok('stop')
    assert guest_digest(src.qmp)['disks'] == d
    assert try_write_open(path) in (None, False)
