#!/usr/bin/env python3
"""Build a set of deliberately corrupt qcow2 images.

Usage: make-hostile.py OUTDIR [NAME...]

Every image starts from one small, valid qcow2 (version 3, 64 KiB clusters,
1 MiB virtual size, one allocated data cluster at guest offset 0) that this
script lays out itself, then one field or table is broken.  The images are
tiny (a few hundred KiB) and are rebuilt by the tests, so nothing binary is
kept in the repository.

CASES lists them: name -> (description, what QEMU does, builder).  The
second field is what Debian's qemu-img/qemu-io do with the image and what
tern must do too:
  'refuse'  opening the image fails with an error
  'open'    the image opens (the damage is found by check or by a read)
The functional test tests/functional/test_qcow2_hostile.py imports this
module (load it with importlib: the file name has a dash).
"""

import os
import struct
import sys

CLUSTER_BITS = 16
CLUSTER = 1 << CLUSTER_BITS
VSIZE = 1 << 20
MAGIC = b'QFI\xfb'
COPIED = 1 << 63
COMPRESSED = 1 << 62

# Layout of the base image, one cluster each.
HEADER_OFF = 0
REFTABLE_OFF = 1 * CLUSTER
REFBLOCK_OFF = 2 * CLUSTER
L1_OFF = 3 * CLUSTER
L2_OFF = 4 * CLUSTER
DATA_OFF = 5 * CLUSTER
NB_CLUSTERS = 6
HEADER_LEN = 112
EXT_START = HEADER_LEN
PATTERN = 0xa5

# Header field offsets (docs/interop/qcow2.rst).
F_MAGIC, F_VERSION, F_BACKING_OFF, F_BACKING_SIZE = 0, 4, 8, 16
F_CLUSTER_BITS, F_SIZE, F_CRYPT, F_L1_SIZE = 20, 24, 32, 36
F_L1_OFF, F_RT_OFF, F_RT_CLUSTERS = 40, 48, 56
F_NB_SNAP, F_SNAP_OFF = 60, 64
F_INCOMPAT, F_COMPAT, F_AUTOCLEAR = 72, 80, 88
F_REFCOUNT_ORDER, F_HEADER_LEN, F_COMPRESSION = 96, 100, 104


class Image:
    """A qcow2 image under construction, as one mutable byte array."""

    def __init__(self):
        self.buf = bytearray(NB_CLUSTERS * CLUSTER)
        self._header()
        self.put64(REFTABLE_OFF, REFBLOCK_OFF)
        for i in range(NB_CLUSTERS):
            self.put16(REFBLOCK_OFF + 2 * i, 1)
        self.put64(L1_OFF, L2_OFF | COPIED)
        self.put64(L2_OFF, DATA_OFF | COPIED)
        self.buf[DATA_OFF:DATA_OFF + CLUSTER] = bytes([PATTERN]) * CLUSTER

    def _header(self):
        l1_size = (VSIZE + (CLUSTER * (CLUSTER // 8)) - 1) // \
            (CLUSTER * (CLUSTER // 8))
        self.buf[0:4] = MAGIC
        self.put32(F_VERSION, 3)
        self.put32(F_CLUSTER_BITS, CLUSTER_BITS)
        self.put64(F_SIZE, VSIZE)
        self.put32(F_L1_SIZE, l1_size)
        self.put64(F_L1_OFF, L1_OFF)
        self.put64(F_RT_OFF, REFTABLE_OFF)
        self.put32(F_RT_CLUSTERS, 1)
        self.put32(F_REFCOUNT_ORDER, 4)
        self.put32(F_HEADER_LEN, HEADER_LEN)
        # An end-of-extensions marker (type 0, length 0) follows.

    def put16(self, off, val):
        struct.pack_into('>H', self.buf, off, val)

    def put32(self, off, val):
        struct.pack_into('>I', self.buf, off, val)

    def put64(self, off, val):
        struct.pack_into('>Q', self.buf, off, val)

    def extend(self, clusters):
        self.buf += bytes(clusters * CLUSTER)


def _field(off, val, width=32):
    def build(img):
        (img.put32 if width == 32 else img.put64)(off, val)
    return build


def _bad_magic(img):
    img.buf[0:4] = b'QFI\xfa'


def _truncated(img):
    del img.buf[48:]


def _empty(img):
    del img.buf[:]


def _backing_past_cluster(img):
    img.put64(F_BACKING_OFF, CLUSTER - 16)
    img.put32(F_BACKING_SIZE, 200)


def _backing_huge(img):
    img.put64(F_BACKING_OFF, 512)
    img.put32(F_BACKING_SIZE, 0xffffffff)


def _overlap_l1_reftable(img):
    img.put64(F_L1_OFF, REFTABLE_OFF)


def _l2_into_header(img):
    img.put64(L2_OFF, 0x200 | COPIED)


def _l2_into_reftable(img):
    img.put64(L2_OFF, REFTABLE_OFF | COPIED)


def _l1_into_header(img):
    img.put64(L1_OFF, 0x200 | COPIED)


def _l1_unaligned(img):
    img.put64(L1_OFF, L2_OFF + 8)


def _compressed_past_eof(img):
    # x = 62 - (cluster_bits - 8): host offset in bits 0..x-1, then the
    # number of additional 512-byte sectors.
    shift = 62 - (CLUSTER_BITS - 8)
    img.put64(L2_OFF, COMPRESSED | (3 << shift) | (1 << 40))


def _compressed_garbage(img):
    shift = 62 - (CLUSTER_BITS - 8)
    img.put64(L2_OFF, COMPRESSED | (1 << shift) | (DATA_OFF + 100))


def _snapshots_past_eof(img):
    img.put32(F_NB_SNAP, 1)
    img.put64(F_SNAP_OFF, 1 << 40)


def _snapshots_too_many(img):
    img.put32(F_NB_SNAP, 0x7fffffff)
    img.put64(F_SNAP_OFF, 6 * CLUSTER)


def _ext_huge_len(img):
    img.put32(EXT_START, 0x12345678)
    img.put32(EXT_START + 4, 0xfffffff0)


def _ext_backing_fmt_huge(img):
    img.put32(EXT_START, 0xe2792aca)
    img.put32(EXT_START + 4, 0x10000)


def _reftable_zero_entry(img):
    img.put64(REFTABLE_OFF, 0)


def _refblock_unaligned(img):
    img.put64(REFTABLE_OFF, REFBLOCK_OFF + 0x100)


def _refblock_past_eof(img):
    img.put64(REFTABLE_OFF, 1 << 40)


def _refcount_leak(img):
    img.extend(1)
    img.put16(REFBLOCK_OFF + 2 * NB_CLUSTERS, 1)


def _refcount_too_low(img):
    img.put16(REFBLOCK_OFF + 2 * (DATA_OFF // CLUSTER), 0)


def _copied_mismatch(img):
    img.put64(L2_OFF, DATA_OFF)


def _l2_reserved_bits(img):
    img.put64(L2_OFF, DATA_OFF | COPIED | 0x2)


def _compression_type_no_bit(img):
    img.buf[F_COMPRESSION] = 1


def _compression_type_unknown(img):
    img.put64(F_INCOMPAT, 1 << 3)
    img.buf[F_COMPRESSION] = 7


def _dirty_bit_v2(img):
    img.put32(F_VERSION, 2)
    img.put64(F_INCOMPAT, 1)


# name -> (description, QEMU's behaviour, builder)
CASES = {
    'bad-magic': ('magic is not QFI\\xfb', 'refuse', _bad_magic),
    'empty': ('zero-length file', 'refuse', _empty),
    'truncated-header': ('file ends inside the header', 'refuse',
                         _truncated),
    'version-1': ('version 1', 'refuse', _field(F_VERSION, 1)),
    'version-4': ('version 4', 'refuse', _field(F_VERSION, 4)),
    'unknown-incompat': ('unknown incompatible feature bit 5', 'refuse',
                         _field(F_INCOMPAT, 1 << 5, 64)),
    'incompat-high-bits': ('every unknown incompatible bit', 'refuse',
                           _field(F_INCOMPAT, 0xffffffffffffffe0, 64)),
    'cluster-bits-8': ('cluster_bits 8 (256 B)', 'refuse',
                       _field(F_CLUSTER_BITS, 8)),
    'cluster-bits-22': ('cluster_bits 22 (4 MiB)', 'refuse',
                        _field(F_CLUSTER_BITS, 22)),
    'cluster-bits-huge': ('cluster_bits 63', 'refuse',
                          _field(F_CLUSTER_BITS, 63)),
    'size-huge': ('virtual size 2^63 - 1', 'refuse',
                  _field(F_SIZE, (1 << 63) - 1, 64)),
    'crypt-unknown': ('crypt_method 7', 'refuse', _field(F_CRYPT, 7)),
    'l1-past-eof': ('L1 table far past the end of the file', 'open',
                    _field(F_L1_OFF, 1 << 40, 64)),
    'l1-offset-unaligned': ('L1 table offset not cluster aligned',
                            'refuse', _field(F_L1_OFF, L1_OFF + 512, 64)),
    'l1-size-absurd': ('l1_size 2^31 entries', 'refuse',
                       _field(F_L1_SIZE, 1 << 31)),
    'l1-size-too-small': ('l1_size 0 for a 1 MiB disk', 'refuse',
                          _field(F_L1_SIZE, 0)),
    'reftable-past-eof': ('refcount table offset past the end', 'open',
                          _field(F_RT_OFF, 1 << 40, 64)),
    'reftable-unaligned': ('refcount table offset not aligned', 'refuse',
                           _field(F_RT_OFF, REFTABLE_OFF + 8, 64)),
    'reftable-zero-clusters': ('refcount_table_clusters 0', 'refuse',
                               _field(F_RT_CLUSTERS, 0)),
    'reftable-huge': ('refcount_table_clusters 2^32 - 1', 'refuse',
                      _field(F_RT_CLUSTERS, 0xffffffff)),
    'refcount-order-7': ('refcount_order 7 (128-bit refcounts)', 'refuse',
                         _field(F_REFCOUNT_ORDER, 7)),
    'header-length-small': ('header_length 72 in a version 3 image',
                            'refuse', _field(F_HEADER_LEN, 72)),
    'header-length-huge': ('header_length larger than a cluster',
                           'refuse', _field(F_HEADER_LEN, CLUSTER + 8)),
    'backing-past-cluster': ('backing file name past the header cluster',
                             'refuse', _backing_past_cluster),
    'backing-name-huge': ('backing_file_size 2^32 - 1', 'refuse',
                          _backing_huge),
    'overlap-l1-reftable': ('L1 table on top of the refcount table',
                            'open', _overlap_l1_reftable),
    'l2-into-header': ('L2 entry pointing into the header (unaligned)',
                       'open', _l2_into_header),
    'l2-into-reftable': ('L2 entry pointing at the refcount table',
                         'open', _l2_into_reftable),
    'l1-into-header': ('L1 entry pointing into the header (unaligned)',
                       'open', _l1_into_header),
    'l1-entry-unaligned': ('L1 entry not cluster aligned', 'open',
                           _l1_unaligned),
    'l2-reserved-bits': ('L2 entry with reserved bits set', 'open',
                         _l2_reserved_bits),
    'compressed-past-eof': ('compressed cluster descriptor past the end',
                            'open', _compressed_past_eof),
    'compressed-garbage': ('compressed cluster that is not deflate data',
                           'open', _compressed_garbage),
    'snapshots-past-eof': ('snapshot table past the end of the file',
                           'open', _snapshots_past_eof),
    'snapshots-too-many': ('nb_snapshots 2^31 - 1', 'refuse',
                           _snapshots_too_many),
    'ext-huge-length': ('header extension with length 0xfffffff0',
                        'refuse', _ext_huge_len),
    'ext-backing-fmt-huge': ('backing format extension of 64 KiB',
                             'refuse', _ext_backing_fmt_huge),
    'refblock-missing': ('refcount table without a refcount block', 'open',
                         _reftable_zero_entry),
    'refblock-unaligned': ('refcount block offset not aligned', 'open',
                           _refblock_unaligned),
    'refblock-past-eof': ('refcount block far past the end', 'open',
                          _refblock_past_eof),
    'refcount-leak': ('a cluster with refcount 1 and no user', 'open',
                      _refcount_leak),
    'refcount-too-low': ('a data cluster with refcount 0', 'open',
                         _refcount_too_low),
    'copied-mismatch': ('OFLAG_COPIED missing on a refcount-1 cluster',
                        'open', _copied_mismatch),
    'compression-type-no-bit': ('compression_type 1 without the '
                                'incompatible bit', 'refuse',
                                _compression_type_no_bit),
    'compression-type-unknown': ('compression_type 7', 'refuse',
                                 _compression_type_unknown),
    'v2-incompat-bits': ('version 2 header claiming the dirty bit',
                         'open', _dirty_bit_v2),
}

# Opened by QEMU (a table past the end of the file reads as zeroes) but
# refused by tern: issue 4 asks for tables past the end of the file to be
# refused with a clear error.
TERN_REFUSES = ('l1-past-eof', 'reftable-past-eof', 'snapshots-past-eof')


def tern_refuses(name):
    """Whether tern must refuse to open image @name."""
    return CASES[name][1] == 'refuse' or name in TERN_REFUSES


def build(name):
    """The bytes of hostile image @name."""
    img = Image()
    CASES[name][2](img)
    return bytes(img.buf)


def base_image():
    """The bytes of the valid image every case starts from."""
    return bytes(Image().buf)


def write_all(outdir, names=None):
    """Write every image (or @names) as OUTDIR/NAME.qcow2; return paths."""
    os.makedirs(outdir, exist_ok=True)
    paths = {}
    for name in names or CASES:
        path = os.path.join(outdir, name + '.qcow2')
        with open(path, 'wb') as f:
            f.write(build(name))
        paths[name] = path
    return paths


def main(argv):
    if len(argv) < 2 or argv[1] in ('-h', '--help'):
        sys.stderr.write(__doc__)
        return 2
    unknown = [n for n in argv[2:] if n not in CASES]
    if unknown:
        sys.stderr.write('unknown case(s): %s\n' % ', '.join(unknown))
        return 2
    paths = write_all(argv[1], argv[2:])
    with open(os.path.join(argv[1], 'base.qcow2'), 'wb') as f:
        f.write(base_image())
    for name in paths:
        print('%-26s %s' % (name, CASES[name][0]))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
