/*
 * qcow2-read.c: qcow2 reads of the guest view — mapped with
 * qcow2_get_host_offset(), served from the backing file (zeroes past its
 * end), as zeroes, from compressed clusters (deflate, zstd) or from the
 * data clusters of the image file.
 *
 * Main loop thread; coroutine_fn functions run with s->lock held, except
 * qcow2_co_read_request(), which takes it.  See docs/devel/block-qcow2.md
 * and docs/devel/block.md.
 */
#include "util/osdep.h"

#include <zlib.h>
#include <zstd.h>

#include "block/qcow2.h"

static int coroutine_fn read_backing(BlockDriverState *bs, uint64_t offset,
                                     uint64_t bytes, QEMUIOVector *qiov,
                                     size_t qoff)
{
    int64_t len;
    uint64_t n = 0;
    QEMUIOVector part;
    int ret = 0;

    if (!bs->backing) {
        qemu_iovec_memset(qiov, qoff, 0, bytes);
        return 0;
    }
    len = bdrv_co_getlength(bs->backing->bs);
    if (len < 0) {
        return len;
    }
    if ((int64_t)offset < len) {
        n = MIN(bytes, (uint64_t)len - offset);
        qemu_iovec_init(&part, qiov->niov);
        qemu_iovec_concat(&part, qiov, qoff, n);
        ret = bdrv_co_preadv(bs->backing, offset, n, &part, 0);
        qemu_iovec_destroy(&part);
    }
    if (ret >= 0 && n < bytes) {
        qemu_iovec_memset(qiov, qoff + n, 0, bytes - n);
    }
    return ret;
}

static int decompress_zlib(const uint8_t *src, size_t slen, uint8_t *dest,
                           size_t dlen)
{
    z_stream strm = { 0 };
    int ret;

    if (inflateInit2(&strm, -12) != Z_OK) {
        return -EIO;
    }
    strm.next_in = (uint8_t *)src;
    strm.avail_in = slen;
    strm.next_out = dest;
    strm.avail_out = dlen;
    ret = inflate(&strm, Z_FINISH);
    inflateEnd(&strm);
    if ((ret == Z_STREAM_END || ret == Z_BUF_ERROR) && strm.avail_out == 0) {
        return 0;
    }
    return -EIO;
}

static int decompress_zstd(const uint8_t *src, size_t slen, uint8_t *dest,
                           size_t dlen)
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    ZSTD_inBuffer in = { src, slen, 0 };
    ZSTD_outBuffer out = { dest, dlen, 0 };
    int ret = 0;

    if (!dctx) {
        return -ENOMEM;
    }
    while (out.pos < out.size) {
        size_t zr = ZSTD_decompressStream(dctx, &out, &in);
        if (ZSTD_isError(zr)) {
            ret = -EIO;
            break;
        }
        if (in.pos == in.size && out.pos < out.size) {
            ret = -EIO;   /* input ended before a whole cluster */
            break;
        }
    }
    ZSTD_freeDCtx(dctx);
    return ret;
}

int coroutine_fn qcow2_read_compressed(BlockDriverState *bs,
                                       uint64_t l2_entry, uint8_t *buf)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t coffset = l2_entry & s->cluster_offset_mask;
    uint64_t nb = ((l2_entry >> s->csize_shift) & s->csize_mask) + 1;
    uint64_t csize = nb * QCOW2_COMPRESSED_SECTOR_SIZE - (coffset & 511);
    int64_t file_len = qcow2_file_length(bs);
    g_autofree uint8_t *cbuf = NULL;
    uint64_t avail;
    int ret;

    if (file_len < 0) {
        return file_len;
    }
    if (coffset >= (uint64_t)file_len) {
        qcow2_signal_corruption(bs, false, coffset, csize,
                                "Compressed cluster at %#" PRIx64
                                " past the end of the image", coffset);
        return -EIO;
    }
    avail = MIN(csize, (uint64_t)file_len - coffset);
    cbuf = g_malloc0(csize);
    ret = qcow2_file_pread(bs, coffset, cbuf, avail);
    if (ret < 0) {
        return ret;
    }
    if (s->compression_type == QCOW2_COMPRESSION_TYPE_ZSTD) {
        ret = decompress_zstd(cbuf, csize, buf, s->cluster_size);
    } else {
        ret = decompress_zlib(cbuf, csize, buf, s->cluster_size);
    }
    return ret;
}

static int coroutine_fn read_piece(BlockDriverState *bs, uint64_t offset,
                                   unsigned n, uint64_t host,
                                   QCow2SubclusterType type,
                                   QEMUIOVector *qiov, size_t qoff)
{
    BDRVQcow2State *s = bs->opaque;
    QEMUIOVector part;
    uint8_t *buf;
    int ret;

    switch (type) {
    case QCOW2_SUBCLUSTER_UNALLOCATED_PLAIN:
    case QCOW2_SUBCLUSTER_UNALLOCATED_ALLOC:
        return read_backing(bs, offset, n, qiov, qoff);
    case QCOW2_SUBCLUSTER_ZERO_PLAIN:
    case QCOW2_SUBCLUSTER_ZERO_ALLOC:
        qemu_iovec_memset(qiov, qoff, 0, n);
        return 0;
    case QCOW2_SUBCLUSTER_COMPRESSED:
        buf = g_malloc(s->cluster_size);
        ret = qcow2_read_compressed(bs, host, buf);
        if (ret >= 0) {
            qemu_iovec_from_buf(qiov, qoff,
                                buf + offset_into_cluster(s, offset), n);
        }
        g_free(buf);
        return ret;
    case QCOW2_SUBCLUSTER_NORMAL:
        qemu_iovec_init(&part, qiov->niov);
        qemu_iovec_concat(&part, qiov, qoff, n);
        ret = qcow2_file_preadv(bs, host, n, &part);
        qemu_iovec_destroy(&part);
        return ret;
    default:
        return -EIO;
    }
}

/*
 * The guest view of [@offset, @offset + @bytes) into @qiov at @qoff, with
 * s->lock held.  @drop_lock: let go of it while data moves (the mapping
 * was looked up under it), so requests run side by side, as QEMU's.  A
 * read racing a write of the same range may see old or new data, as on
 * any disk; one racing a discard of it may see whatever the freed cluster
 * holds next (as QEMU's).  Metadata is only ever touched under the lock.
 */
static int coroutine_fn read_guest(BlockDriverState *bs, uint64_t offset,
                                   uint64_t bytes, QEMUIOVector *qiov,
                                   size_t qoff, bool drop_lock)
{
    BDRVQcow2State *s = bs->opaque;

    while (bytes > 0) {
        unsigned n = MIN(bytes, 1u << 30);
        uint64_t host;
        QCow2SubclusterType type;
        int ret;

        if (offset >= s->virtual_size) {
            qemu_iovec_memset(qiov, qoff, 0, bytes);
            return 0;
        }
        n = MIN((uint64_t)n, s->virtual_size - offset);
        ret = qcow2_get_host_offset(bs, offset, &n, &host, &type);
        if (ret < 0) {
            return ret;
        }
        if (drop_lock) {
            qemu_co_mutex_unlock(&s->lock);
        }
        ret = read_piece(bs, offset, n, host, type, qiov, qoff);
        if (drop_lock) {
            qemu_co_mutex_lock(&s->lock);
        }
        if (ret < 0) {
            return ret;
        }
        offset += n;
        qoff += n;
        bytes -= n;
    }
    return 0;
}

int coroutine_fn qcow2_co_read_guest(BlockDriverState *bs, uint64_t offset,
                                     uint64_t bytes, QEMUIOVector *qiov,
                                     size_t qoff)
{
    return read_guest(bs, offset, bytes, qiov, qoff, false);
}

int coroutine_fn qcow2_co_read_request(BlockDriverState *bs, uint64_t offset,
                                       uint64_t bytes, QEMUIOVector *qiov)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    qemu_co_mutex_lock(&s->lock);
    ret = read_guest(bs, offset, bytes, qiov, 0, true);
    qemu_co_mutex_unlock(&s->lock);
    return ret;
}
