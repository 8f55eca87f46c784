/*
 * io.c: the request layer: tracking, drain, alignment (bounce and
 * read-modify-write, serialised), zero writes, discard, flush, write
 * notifiers, dirty marking, block status, truncate, sync wrappers.
 *
 * Coroutine functions run in the main loop thread.  See
 * docs/devel/block.md.
 */
#include "util/osdep.h"
#include "util/main-loop.h"
#include "block/block_int.h"
#include "block/dirty-bitmap.h"
#include "graph-int.h"
#include "trace-block.h"

#define BDRV_ZERO_CHUNK (1 << 20)

struct BdrvWriteNotifier {
    BlockDriverState *bs;
    BdrvWriteNotifyFunc *fn;
    void *opaque;
};

/* ---- aligned buffers ---- */

void *qemu_blockalign(BlockDriverState *bs, size_t size)
{
    size_t align = bs ? MAX(bs->bl.min_mem_alignment, 4096) : 4096;
    void *p = NULL;

    if (posix_memalign(&p, align, MAX(size, 1))) {
        g_error("cannot allocate %zu aligned bytes", size);
    }
    return p;
}

void *qemu_blockalign0(BlockDriverState *bs, size_t size)
{
    return memset(qemu_blockalign(bs, size), 0, size);
}

void qemu_vfree(void *ptr)
{
    free(ptr);
}

/* ---- tracking ---- */

static int bdrv_check_request(int64_t offset, int64_t bytes)
{
    if (offset < 0 || bytes < 0 || offset > BDRV_MAX_LENGTH ||
        bytes > BDRV_MAX_LENGTH - offset) {
        return -EIO;
    }
    return 0;
}

static void tracked_request_begin(BdrvTrackedRequest *req,
                                  BlockDriverState *bs, int64_t offset,
                                  int64_t bytes, int type,
                                  BdrvRequestFlags flags, QEMUIOVector *qiov)
{
    uint32_t align = MAX(bs->bl.request_alignment, 1);

    *req = (BdrvTrackedRequest) {
        .bs = bs, .offset = offset, .bytes = bytes, .type = type,
        .flags = flags, .qiov = qiov,
        .overlap_offset = offset - offset % align,
        .co = qemu_coroutine_self(),
    };
    req->overlap_bytes = ROUND_UP(offset + bytes, align) -
                         req->overlap_offset;
    qemu_co_queue_init(&req->wait_queue);
    req->link.data = req;
    g_queue_push_tail_link(&bs->tracked_requests, &req->link);
    bs->in_flight++;
}

static void tracked_request_end(BdrvTrackedRequest *req)
{
    BlockDriverState *bs = req->bs;

    g_queue_unlink(&bs->tracked_requests, &req->link);
    if (req->serialising) {
        bs->serialising_in_flight--;
    }
    bs->in_flight--;
    qemu_co_queue_restart_all(&req->wait_queue);
    if (bs->in_flight == 0) {
        aio_notify(qemu_get_aio_context());
    }
}

static bool tracked_overlap(BdrvTrackedRequest *a, BdrvTrackedRequest *b)
{
    return a->overlap_offset < b->overlap_offset + b->overlap_bytes &&
           b->overlap_offset < a->overlap_offset + a->overlap_bytes;
}

/* Waits for the earlier requests that must not run beside @self: any
 * overlapping one when either is serialising.  Without serialising
 * requests around, an ordinary request has nothing to look for. */
static void coroutine_fn wait_serialising(BdrvTrackedRequest *self)
{
    GList *l;

retry:
    if (!self->serialising && !self->bs->serialising_in_flight) {
        return;
    }
    for (l = self->bs->tracked_requests.head; l && l != &self->link;
         l = l->next) {
        BdrvTrackedRequest *req = l->data;

        if ((self->serialising || req->serialising) &&
            tracked_overlap(self, req)) {
            self->waiting_for = req;
            qemu_co_queue_wait(&req->wait_queue, NULL);
            self->waiting_for = NULL;
            goto retry;
        }
    }
}

/* Marks @req serialising: overlapping requests wait for each other. */
static void tracked_request_serialise(BdrvTrackedRequest *req)
{
    if (!req->serialising) {
        req->serialising = true;
        req->bs->serialising_in_flight++;
    }
}

static bool bdrv_req_aligned(BlockDriverState *bs, int64_t offset,
                             int64_t bytes)
{
    uint32_t align = MAX(bs->bl.request_alignment, 1);

    return offset % align == 0 && bytes % align == 0;
}

/* ---- driver calls (split at max_transfer) ---- */

typedef int coroutine_fn DrvRwFunc(BlockDriverState *bs, int64_t offset,
                                   int64_t bytes, QEMUIOVector *qiov,
                                   BdrvRequestFlags flags);

static int coroutine_fn bdrv_driver_rw(BlockDriverState *bs, DrvRwFunc *fn,
                                       int64_t offset, int64_t bytes,
                                       QEMUIOVector *qiov, size_t qoff,
                                       BdrvRequestFlags flags)
{
    uint64_t max = bs->bl.max_transfer ? bs->bl.max_transfer : INT64_MAX;
    int64_t done = 0;

    if (!fn) {
        return -ENOTSUP;
    }
    while (done < bytes || (bytes == 0 && done == 0)) {
        int64_t n = MIN((uint64_t)(bytes - done), max);
        QEMUIOVector part;
        int ret;

        qemu_iovec_init(&part, qiov->niov);
        qemu_iovec_concat(&part, qiov, qoff + done, n);
        ret = fn(bs, offset + done, n, &part, flags);
        qemu_iovec_destroy(&part);
        if (ret < 0) {
            return ret;
        }
        done += n;
        if (bytes == 0) {
            break;
        }
    }
    return 0;
}

/* Reads aligned [offset, +bytes) into @qiov at @qoff; past the end of
 * the node reads zeroes. */
static int coroutine_fn bdrv_aligned_preadv(BlockDriverState *bs,
                                            int64_t offset, int64_t bytes,
                                            QEMUIOVector *qiov, size_t qoff,
                                            BdrvRequestFlags flags)
{
    int64_t len = bdrv_co_getlength(bs);
    int64_t avail;

    if (len < 0) {
        return len;
    }
    avail = offset >= len ? 0 : MIN(bytes,
                ROUND_UP(len, MAX(bs->bl.request_alignment, 1)) - offset);
    if (avail < bytes) {
        qemu_iovec_memset(qiov, qoff + avail, 0, bytes - avail);
    }
    if (avail == 0) {
        return 0;
    }
    return bdrv_driver_rw(bs, bs->drv->bdrv_co_preadv, offset, avail, qiov,
                          qoff, flags);
}

/* The aligned range around [offset, +bytes) and a bounce buffer for it. */
typedef struct BdrvPadding {
    int64_t start;
    int64_t len;
    uint8_t *buf;
} BdrvPadding;

static void bdrv_padding_init(BlockDriverState *bs, int64_t offset,
                              int64_t bytes, BdrvPadding *pad)
{
    uint32_t align = MAX(bs->bl.request_alignment, 1);

    pad->start = offset - offset % align;
    pad->len = ROUND_UP(offset + bytes, align) - pad->start;
    pad->buf = qemu_blockalign(bs, pad->len);
}

static int coroutine_fn bdrv_padded_preadv(BlockDriverState *bs,
                                           int64_t offset, int64_t bytes,
                                           QEMUIOVector *qiov,
                                           BdrvRequestFlags flags)
{
    BdrvPadding pad;
    QEMUIOVector bounce;
    int ret;

    bdrv_padding_init(bs, offset, bytes, &pad);
    qemu_iovec_init_buf(&bounce, pad.buf, pad.len);
    ret = bdrv_aligned_preadv(bs, pad.start, pad.len, &bounce, 0, flags);
    if (ret == 0) {
        qemu_iovec_from_buf(qiov, 0, pad.buf + (offset - pad.start), bytes);
    }
    qemu_vfree(pad.buf);
    return ret;
}

int coroutine_fn bdrv_co_preadv_bs(BlockDriverState *bs, int64_t offset,
                                   int64_t bytes, QEMUIOVector *qiov,
                                   BdrvRequestFlags flags)
{
    BdrvTrackedRequest req;
    int ret = bdrv_check_request(offset, bytes);

    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    if (ret < 0) {
        return ret;
    }
    tracked_request_begin(&req, bs, offset, bytes, BDRV_TRACKED_READ, flags,
                          NULL);
    trace_bdrv_co_preadv(bs, offset, bytes, flags);
    wait_serialising(&req);
    if (bdrv_req_aligned(bs, offset, bytes)) {
        ret = bdrv_aligned_preadv(bs, offset, bytes, qiov, 0, flags);
    } else {
        ret = bdrv_padded_preadv(bs, offset, bytes, qiov, flags);
    }
    tracked_request_end(&req);
    return ret;
}

int coroutine_fn bdrv_co_preadv(BdrvChild *child, int64_t offset,
                                int64_t bytes, QEMUIOVector *qiov,
                                BdrvRequestFlags flags)
{
    return bdrv_co_preadv_bs(child ? child->bs : NULL, offset, bytes, qiov,
                             flags);
}

/* ---- writes ---- */

static int coroutine_fn bdrv_run_write_notifiers(BdrvTrackedRequest *req)
{
    GList *l;

    for (l = req->bs->write_notifiers; l; l = l->next) {
        BdrvWriteNotifier *n = l->data;
        int ret = n->fn(n->opaque, req);

        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

/* Writes zeroes to aligned [offset, +bytes) through the driver, falling
 * back to writing a zeroed buffer. */
static int coroutine_fn bdrv_driver_pwrite_zeroes(BlockDriverState *bs,
                                                  int64_t offset,
                                                  int64_t bytes,
                                                  BdrvRequestFlags flags)
{
    int ret = -ENOTSUP;
    int64_t done;
    uint8_t *buf;

    if (bs->drv->bdrv_co_pwrite_zeroes) {
        ret = bs->drv->bdrv_co_pwrite_zeroes(bs, offset, bytes, flags);
    }
    if (ret != -ENOTSUP || (flags & BDRV_REQ_NO_FALLBACK)) {
        return ret;
    }
    buf = qemu_blockalign0(bs, MIN(bytes, BDRV_ZERO_CHUNK));
    for (done = 0, ret = 0; done < bytes && ret == 0; ) {
        int64_t n = MIN(bytes - done, BDRV_ZERO_CHUNK);
        QEMUIOVector qiov;

        qemu_iovec_init_buf(&qiov, buf, n);
        ret = bdrv_driver_rw(bs, bs->drv->bdrv_co_pwritev, offset + done, n,
                             &qiov, 0, flags & BDRV_REQ_FUA);
        done += n;
    }
    qemu_vfree(buf);
    return ret;
}

/* An aligned write or zero write, after notifiers. */
static int coroutine_fn bdrv_aligned_pwritev(BlockDriverState *bs,
                                             int64_t offset, int64_t bytes,
                                             QEMUIOVector *qiov,
                                             BdrvRequestFlags flags)
{
    if ((flags & BDRV_REQ_ZERO_WRITE) || !qiov) {
        return bdrv_driver_pwrite_zeroes(bs, offset, bytes, flags);
    }
    return bdrv_driver_rw(bs, bs->drv->bdrv_co_pwritev, offset, bytes,
                          qiov, 0, flags);
}

/* Read-modify-write of the aligned range around an unaligned request
 * (serialised by the caller). */
static int coroutine_fn bdrv_rmw_pwritev(BlockDriverState *bs,
                                         int64_t offset, int64_t bytes,
                                         QEMUIOVector *qiov,
                                         BdrvRequestFlags flags)
{
    uint32_t align = MAX(bs->bl.request_alignment, 1);
    BdrvPadding pad;
    QEMUIOVector bounce;
    int ret = 0;

    bdrv_padding_init(bs, offset, bytes, &pad);
    qemu_iovec_init_buf(&bounce, pad.buf, pad.len);
    if (offset != pad.start) {
        ret = bdrv_aligned_preadv(bs, pad.start, align, &bounce, 0, 0);
    }
    if (ret == 0 && (offset + bytes) % align &&
        (pad.len > align || offset == pad.start)) {
        ret = bdrv_aligned_preadv(bs, pad.start + pad.len - align, align,
                                  &bounce, pad.len - align, 0);
    }
    if (ret == 0) {
        if (qiov && !(flags & BDRV_REQ_ZERO_WRITE)) {
            qemu_iovec_to_buf(qiov, 0, pad.buf + (offset - pad.start),
                              bytes);
        } else {
            memset(pad.buf + (offset - pad.start), 0, bytes);
        }
        ret = bdrv_driver_rw(bs, bs->drv->bdrv_co_pwritev, pad.start,
                             pad.len, &bounce, 0,
                             flags & ~(BDRV_REQ_ZERO_WRITE |
                                       BDRV_REQ_MAY_UNMAP));
    }
    qemu_vfree(pad.buf);
    return ret;
}

static int coroutine_fn bdrv_co_do_write(BlockDriverState *bs, int type,
                                         int64_t offset, int64_t bytes,
                                         QEMUIOVector *qiov,
                                         BdrvRequestFlags flags)
{
    BdrvTrackedRequest req;
    int ret = bdrv_check_request(offset, bytes);

    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    if (ret < 0) {
        return ret;
    }
    if (!bdrv_is_writable(bs)) {
        return -EPERM;
    }
    if (type == BDRV_TRACKED_WRITE && bs->detect_zeroes &&
        qemu_iovec_is_zero(qiov, 0, bytes)) {
        type = BDRV_TRACKED_ZERO;
        flags |= BDRV_REQ_ZERO_WRITE;
        if (bs->detect_zeroes == BLOCKDEV_DETECT_ZEROES_OPTIONS_UNMAP) {
            flags |= BDRV_REQ_MAY_UNMAP;
        }
    }
    tracked_request_begin(&req, bs, offset, bytes, type, flags, qiov);
    trace_bdrv_co_pwritev(bs, offset, bytes, flags);
    if (!bdrv_req_aligned(bs, offset, bytes)) {
        tracked_request_serialise(&req);
    }
    wait_serialising(&req);
    ret = bdrv_run_write_notifiers(&req);
    if (ret == 0 && bytes > 0) {
        ret = req.serialising
              ? bdrv_rmw_pwritev(bs, offset, bytes, qiov, flags)
              : bdrv_aligned_pwritev(bs, offset, bytes, qiov, flags);
    }
    if (ret == 0) {
        bs->write_gen++;
        bdrv_set_dirty(bs, offset, bytes);
    }
    tracked_request_end(&req);
    return ret;
}

int coroutine_fn bdrv_co_pwritev_bs(BlockDriverState *bs, int64_t offset,
                                    int64_t bytes, QEMUIOVector *qiov,
                                    BdrvRequestFlags flags)
{
    int type = (flags & BDRV_REQ_ZERO_WRITE) ? BDRV_TRACKED_ZERO
                                             : BDRV_TRACKED_WRITE;

    return bdrv_co_do_write(bs, type, offset, bytes, qiov, flags);
}

int coroutine_fn bdrv_co_pwritev(BdrvChild *child, int64_t offset,
                                 int64_t bytes, QEMUIOVector *qiov,
                                 BdrvRequestFlags flags)
{
    return bdrv_co_pwritev_bs(child ? child->bs : NULL, offset, bytes, qiov,
                              flags);
}

int coroutine_fn bdrv_co_pwrite_zeroes(BdrvChild *child, int64_t offset,
                                       int64_t bytes, BdrvRequestFlags flags)
{
    return bdrv_co_do_write(child ? child->bs : NULL, BDRV_TRACKED_ZERO,
                            offset, bytes, NULL,
                            flags | BDRV_REQ_ZERO_WRITE);
}

int coroutine_fn bdrv_co_pdiscard_bs(BlockDriverState *bs, int64_t offset,
                                     int64_t bytes)
{
    BdrvTrackedRequest req;
    uint32_t align;
    int64_t start, end;
    int ret = bdrv_check_request(offset, bytes);

    if (!bs || !bs->drv) {
        return -ENOMEDIUM;
    }
    if (ret < 0) {
        return ret;
    }
    if (!bdrv_is_writable(bs)) {
        return -EPERM;
    }
    if (!(bs->open_flags & BDRV_O_UNMAP) || !bs->drv->bdrv_co_pdiscard) {
        return 0;
    }
    tracked_request_begin(&req, bs, offset, bytes, BDRV_TRACKED_DISCARD, 0,
                          NULL);
    wait_serialising(&req);
    ret = bdrv_run_write_notifiers(&req);
    /* discard is advisory: only the aligned middle goes down */
    align = MAX(bs->bl.request_alignment, 1);
    start = ROUND_UP(offset, align);
    end = (offset + bytes) - (offset + bytes) % align;
    if (ret == 0 && end > start) {
        ret = bs->drv->bdrv_co_pdiscard(bs, start, end - start);
        if (ret == -ENOTSUP) {
            ret = 0;
        }
    }
    if (ret == 0) {
        bs->write_gen++;
        bdrv_set_dirty(bs, offset, bytes);
    }
    tracked_request_end(&req);
    return ret;
}

int coroutine_fn bdrv_co_pdiscard(BdrvChild *child, int64_t offset,
                                  int64_t bytes)
{
    return bdrv_co_pdiscard_bs(child ? child->bs : NULL, offset, bytes);
}

int coroutine_fn bdrv_co_flush(BlockDriverState *bs)
{
    BdrvTrackedRequest req;
    GList *l;
    int ret = 0;

    if (!bs || !bs->drv) {
        return 0;
    }
    tracked_request_begin(&req, bs, 0, 0, BDRV_TRACKED_READ, 0, NULL);
    if (bs->drv->bdrv_co_flush_to_os) {
        ret = bs->drv->bdrv_co_flush_to_os(bs);
    }
    if (ret == 0 && !(bs->open_flags & BDRV_O_NO_FLUSH) &&
        bs->drv->bdrv_co_flush_to_disk) {
        ret = bs->drv->bdrv_co_flush_to_disk(bs);
    }
    for (l = bs->children; l && ret == 0; l = l->next) {
        BdrvChild *c = l->data;

        ret = bdrv_co_flush(c->bs);
    }
    if (ret == 0) {
        bs->flushed_gen = bs->write_gen;
    }
    tracked_request_end(&req);
    return ret;
}

/* ---- notifiers ---- */

BdrvWriteNotifier *bdrv_add_before_write_notifier(BlockDriverState *bs,
                                                  BdrvWriteNotifyFunc *fn,
                                                  void *opaque)
{
    BdrvWriteNotifier *n = g_new0(BdrvWriteNotifier, 1);

    n->bs = bs;
    n->fn = fn;
    n->opaque = opaque;
    bs->write_notifiers = g_list_append(bs->write_notifiers, n);
    return n;
}

void bdrv_remove_before_write_notifier(BdrvWriteNotifier *n)
{
    if (n) {
        n->bs->write_notifiers = g_list_remove(n->bs->write_notifiers, n);
        g_free(n);
    }
}
