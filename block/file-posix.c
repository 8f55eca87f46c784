/*
 * file-posix: the "file" protocol driver for regular files and block
 * devices.
 *
 * Requests go to one of three engines chosen at open (aio=): io_uring (the
 * default where the kernel allows it), Linux AIO (native, with O_DIRECT) or
 * the thread pool (threads).  Zero writes and discards use fallocate(),
 * block status uses SEEK_DATA/SEEK_HOLE, and the image is locked as QEMU
 * locks it: OFD byte-range locks at 100 + permission bit for the
 * permissions held and 200 + permission bit for the ones not shared.
 *
 * Everything runs in the main loop thread except the thread pool tasks
 * (block/file-posix-task.c), which only see the RawTask they are given.
 * See docs/devel/block-file-posix.md.
 */
#include "util/osdep.h"

#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "block/block_int.h"
#include "block/file-posix-int.h"
#include "util/cutils.h"
#include "util/error.h"
#include "util/main-loop.h"
#include "trace-block.h"

/* Lock bytes, as QEMU's: one byte per permission bit from each base. */
#define RAW_LOCK_PERM_BASE   100
#define RAW_LOCK_SHARED_BASE 200
#define RAW_PERM_BITS        5

/* The largest alignment the O_DIRECT probe tries. */
#define RAW_MAX_ALIGN        4096

#define RAW_ALIGN_DOWN(n, m) ((n) / (m) * (m))
#define RAW_ALIGN_UP(n, m)   RAW_ALIGN_DOWN((n) + (m) - 1, (m))

typedef enum RawAio {
    RAW_AIO_THREADS,
    RAW_AIO_NATIVE,
    RAW_AIO_IO_URING,
} RawAio;

typedef struct BDRVRawState {
    int fd;
    int open_flags;             /* open(2) flags of @fd */
    bool is_blockdev;
    bool o_direct;
    RawAio aio;
    LuringState *luring;        /* aio=io_uring */
    LinuxAioState *laio;        /* aio=native */
    bool use_lock;
    bool inactive;              /* locks dropped (migrated away) */
    uint64_t perm;              /* permissions the locks reflect */
    uint64_t shared_perm;
    int reopen_fd;              /* between reopen prepare and commit */
    int reopen_flags;
    /*
     * A regular file's length, or -1 when not known: asked of fstat(2)
     * once, then kept up to date by writes and truncates through this
     * node, as QEMU keeps bs->total_sectors (every request checks the
     * length; a stat per request cost more than the I/O).  Forgotten on
     * activation and reopen, when someone else may have changed the file.
     */
    int64_t known_length;
} BDRVRawState;

/* ---- image locking ---- */

static int raw_lock_byte(int fd, int64_t off, short type)
{
    struct flock fl = {
        .l_whence = SEEK_SET,
        .l_start = off,
        .l_len = 1,
        .l_type = type,
    };

    if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
        return -errno;
    }
    return 0;
}

/* Returns: 0 if no other open file description holds byte @off. */
static int raw_test_byte(int fd, int64_t off)
{
    struct flock fl = {
        .l_whence = SEEK_SET,
        .l_start = off,
        .l_len = 1,
        .l_type = F_WRLCK,
    };

    if (fcntl(fd, F_OFD_GETLK, &fl) < 0) {
        return -errno;
    }
    return fl.l_type == F_UNLCK ? 0 : -EAGAIN;
}

/* Makes @fd's lock bytes say: holds @perm, does not share ~@shared. */
static int raw_apply_locks(int fd, uint64_t perm, uint64_t shared)
{
    for (int i = 0; i < RAW_PERM_BITS; i++) {
        uint64_t p = 1ULL << i;
        int ret;

        ret = raw_lock_byte(fd, RAW_LOCK_PERM_BASE + i,
                            (perm & p) ? F_RDLCK : F_UNLCK);
        if (ret == 0) {
            ret = raw_lock_byte(fd, RAW_LOCK_SHARED_BASE + i,
                                (shared & p) ? F_UNLCK : F_RDLCK);
        }
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

static bool raw_lock_error(BlockDriverState *bs, int err, const char *shared,
                           uint64_t p, GError **errp)
{
    const char *name = bdrv_perm_name(p);

    if (err == -EAGAIN || err == -EACCES) {
        error_setg(errp, "Failed to get %s\"%s\" lock\n"
                   "Is another process using the image [%s]?",
                   shared, name, bs->filename);
    } else {
        error_setg_errno(errp, -err, "Failed to get %s\"%s\" lock", shared,
                         name);
    }
    return false;
}

/* Checks that no other process's locks forbid @perm / @shared. */
static bool raw_check_locks(BlockDriverState *bs, int fd, uint64_t perm,
                            uint64_t shared, GError **errp)
{
    for (int i = 0; i < RAW_PERM_BITS; i++) {
        uint64_t p = 1ULL << i;
        int ret;

        if (perm & p) {
            ret = raw_test_byte(fd, RAW_LOCK_SHARED_BASE + i);
            if (ret < 0) {
                return raw_lock_error(bs, ret, "", p, errp);
            }
        }
    }
    for (int i = 0; i < RAW_PERM_BITS; i++) {
        uint64_t p = 1ULL << i;
        int ret;

        if (!(shared & p)) {
            ret = raw_test_byte(fd, RAW_LOCK_PERM_BASE + i);
            if (ret < 0) {
                return raw_lock_error(bs, ret, "shared ", p, errp);
            }
        }
    }
    return true;
}

static bool raw_set_perm(BlockDriverState *bs, uint64_t perm,
                         uint64_t shared, GError **errp)
{
    BDRVRawState *s = bs->opaque;
    int ret;

    trace_file_posix_set_perm(bs, perm, shared);
    if (!s->use_lock || s->inactive) {
        s->perm = perm;
        s->shared_perm = shared;
        return true;
    }
    /* Hold the union first so the check and the change are atomic for
     * other processes, which test before they lock. */
    ret = raw_apply_locks(s->fd, s->perm | perm, s->shared_perm & shared);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to lock byte %d",
                         RAW_LOCK_PERM_BASE);
        raw_apply_locks(s->fd, s->perm, s->shared_perm);
        return false;
    }
    if (!raw_check_locks(bs, s->fd, perm, shared, errp)) {
        raw_apply_locks(s->fd, s->perm, s->shared_perm);
        return false;
    }
    raw_apply_locks(s->fd, perm, shared);
    s->perm = perm;
    s->shared_perm = shared;
    return true;
}

static bool raw_inactivate(BlockDriverState *bs, GError **errp)
{
    BDRVRawState *s = bs->opaque;

    if (s->use_lock && !s->inactive) {
        raw_apply_locks(s->fd, 0, BLK_PERM_ALL);
    }
    s->inactive = true;
    return true;
}

static bool raw_activate(BlockDriverState *bs, GError **errp)
{
    BDRVRawState *s = bs->opaque;

    s->known_length = -1;
    if (!s->inactive) {
        return true;
    }
    s->inactive = false;
    if (!raw_set_perm(bs, s->perm, s->shared_perm, errp)) {
        s->inactive = true;
        return false;
    }
    return true;
}

/* ---- open, limits, close ---- */

static int raw_open_flags(int bdrv_flags)
{
    int flags = O_CLOEXEC;

    flags |= (bdrv_flags & BDRV_O_RDWR) ? O_RDWR : O_RDONLY;
    if (bdrv_flags & BDRV_O_NOCACHE) {
        flags |= O_DIRECT;
    }
    return flags;
}

static int raw_open_fd(const char *filename, int flags)
{
    int fd;

    do {
        fd = open(filename, flags);
    } while (fd < 0 && errno == EINTR);
    return fd < 0 ? -errno : fd;
}

static bool raw_pick_aio(BDRVRawState *s, BlockdevOptionsFile *o,
                         GError **errp)
{
    BlockdevAioOptions aio = o->has_aio ? o->aio : BLOCKDEV_AIO_OPTIONS_IO_URING;
    GError *err = NULL;

    switch (aio) {
    case BLOCKDEV_AIO_OPTIONS_NATIVE:
        if (!s->o_direct) {
            error_setg(errp, "aio=native was specified, but it requires "
                       "cache.direct=on, which was not specified.");
            return false;
        }
        s->laio = laio_get(errp);
        s->aio = RAW_AIO_NATIVE;
        return s->laio != NULL;
    case BLOCKDEV_AIO_OPTIONS_IO_URING:
        s->luring = luring_get(&err);
        if (s->luring) {
            s->aio = RAW_AIO_IO_URING;
            return true;
        }
        if (o->has_aio) {
            error_propagate(errp, err);
            error_prepend(errp, "Unable to use io_uring: ");
            return false;
        }
        /* the default: fall back quietly (a difference from QEMU) */
        g_error_free(err);
        break;
    default:
        break;
    }
    s->aio = RAW_AIO_THREADS;
    return true;
}

/* The alignment O_DIRECT needs: the device's sector size, or the smallest
 * size a read at offset 0 accepts (4096 when the file is too short to
 * tell). */
static uint32_t raw_probe_alignment(BDRVRawState *s)
{
    unsigned int sector = 0;
    uint32_t found = RAW_MAX_ALIGN;
    struct stat st;
    void *buf;

    if (s->is_blockdev && ioctl(s->fd, BLKSSZGET, &sector) == 0 &&
        sector >= 512 && sector <= RAW_MAX_ALIGN) {
        return sector;
    }
    if (fstat(s->fd, &st) < 0 || st.st_size < RAW_MAX_ALIGN) {
        return RAW_MAX_ALIGN;
    }
    if (posix_memalign(&buf, RAW_MAX_ALIGN, RAW_MAX_ALIGN) != 0) {
        return RAW_MAX_ALIGN;
    }
    for (uint32_t align = 512; align < RAW_MAX_ALIGN; align <<= 1) {
        if (pread(s->fd, buf, align, 0) >= 0) {
            found = align;
            break;
        }
    }
    free(buf);
    return found;
}

static void raw_refresh_limits(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;

    if (s->o_direct) {
        bs->bl.request_alignment = raw_probe_alignment(s);
        bs->bl.min_mem_alignment = MAX(bs->bl.request_alignment, 512);
    } else {
        bs->bl.request_alignment = 1;
        bs->bl.min_mem_alignment = 0;
    }
    bs->bl.max_transfer = 0;
}

static bool raw_open_checks(BlockDriverState *bs, BDRVRawState *s,
                            const char *filename, GError **errp)
{
    struct stat st;

    if (fstat(s->fd, &st) < 0) {
        error_setg_errno(errp, errno, "Could not stat file '%s'", filename);
        return false;
    }
    if (S_ISBLK(st.st_mode)) {
        s->is_blockdev = true;
    } else if (!S_ISREG(st.st_mode)) {
        error_setg(errp, "'%s' is not a regular file or block device",
                   filename);
        return false;
    }
    return true;
}

static bool raw_open(BlockDriverState *bs, BlockdevOptions *opts, int flags,
                     GError **errp)
{
    BDRVRawState *s = bs->opaque;
    BlockdevOptionsFile *o = &opts->u.file;
    int fd;

    s->fd = -1;
    s->reopen_fd = -1;
    s->known_length = -1;
    s->o_direct = flags & BDRV_O_NOCACHE;
    s->use_lock = !(o->has_locking && o->locking == ON_OFF_AUTO_OFF);
    if (!bs->filename[0]) {
        g_strlcpy(bs->filename, o->filename, sizeof(bs->filename));
    }
    s->open_flags = raw_open_flags(flags);
    fd = raw_open_fd(o->filename, s->open_flags);
    if (fd < 0 && (flags & BDRV_O_RDWR) && (flags & BDRV_O_AUTO_RDONLY) &&
        (fd == -EACCES || fd == -EROFS || fd == -EPERM)) {
        /* auto-read-only: settle for read access */
        s->open_flags = raw_open_flags(flags & ~BDRV_O_RDWR);
        fd = raw_open_fd(o->filename, s->open_flags);
        bs->read_only = true;
        bs->open_flags &= ~BDRV_O_RDWR;
    }
    if (fd < 0) {
        error_setg_errno(errp, -fd, "Could not open '%s'", o->filename);
        return false;
    }
    s->fd = fd;
    if (!raw_open_checks(bs, s, o->filename, errp) ||
        !raw_pick_aio(s, o, errp)) {
        close(s->fd);
        s->fd = -1;
        return false;
    }
    trace_file_posix_open(bs, o->filename, s->fd, (int)s->aio, s->o_direct);
    return true;
}

static void raw_close(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;

    luring_put(s->luring);
    laio_put(s->laio);
    s->luring = NULL;
    s->laio = NULL;
    if (s->reopen_fd >= 0) {
        close(s->reopen_fd);
        s->reopen_fd = -1;
    }
    if (s->fd >= 0) {
        close(s->fd);           /* releases the OFD locks too */
        s->fd = -1;
    }
}

static bool raw_reopen_prepare(BlockDriverState *bs, int new_flags,
                               GError **errp)
{
    BDRVRawState *s = bs->opaque;
    int flags = raw_open_flags(new_flags);
    int fd;

    if ((new_flags & BDRV_O_NOCACHE) != (s->o_direct ? BDRV_O_NOCACHE : 0)) {
        error_setg(errp, "Cannot change cache.direct of node '%s' on reopen",
                   bs->node_name);
        return false;
    }
    fd = raw_open_fd(bs->filename, flags);
    if (fd < 0) {
        error_setg_errno(errp, -fd, "Could not reopen file");
        return false;
    }
    /* The locks belong to the open file description: carry them over. */
    if (s->use_lock && !s->inactive &&
        raw_apply_locks(fd, s->perm, s->shared_perm) < 0) {
        error_setg(errp, "Could not take the image locks on reopen");
        close(fd);
        return false;
    }
    s->reopen_fd = fd;
    s->reopen_flags = flags;
    return true;
}

static void raw_reopen_commit(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;

    close(s->fd);
    s->fd = s->reopen_fd;
    s->open_flags = s->reopen_flags;
    s->known_length = -1;
    s->reopen_fd = -1;
}

static void raw_reopen_abort(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;

    if (s->reopen_fd >= 0) {
        close(s->reopen_fd);
        s->reopen_fd = -1;
    }
}

/* ---- requests ---- */

static bool raw_qiov_aligned(BlockDriverState *bs, QEMUIOVector *qiov)
{
    size_t align = MAX(bs->bl.min_mem_alignment, bs->bl.request_alignment);

    if (qiov->niov > IOV_MAX) {
        return false;
    }
    if (align <= 1) {
        return true;
    }
    for (int i = 0; i < qiov->niov; i++) {
        if ((uintptr_t)qiov->iov[i].iov_base % align ||
            qiov->iov[i].iov_len % align) {
            return false;
        }
    }
    return true;
}

static int coroutine_fn raw_co_dispatch(BDRVRawState *s, int64_t offset,
                                        QEMUIOVector *qiov, bool write)
{
    FilePosixAioType type = write ? FILE_POSIX_AIO_WRITE : FILE_POSIX_AIO_READ;
    RawTask t = {
        .fd = s->fd,
        .type = write ? RAW_TASK_WRITE : RAW_TASK_READ,
        .offset = offset,
        .bytes = qiov->size,
        .qiov = qiov,
    };

    switch (s->aio) {
    case RAW_AIO_IO_URING:
        return luring_co_submit(s->luring, s->fd, offset, qiov, type);
    case RAW_AIO_NATIVE:
        return laio_co_submit(s->laio, s->fd, offset, qiov, type);
    default:
        return raw_co_task(&t);
    }
}

/* Runs the request through an aligned bounce buffer (O_DIRECT with
 * unaligned memory, or more elements than preadv takes). */
static int coroutine_fn raw_co_bounce(BlockDriverState *bs, int64_t offset,
                                      QEMUIOVector *qiov, bool write)
{
    size_t size = qiov->size;
    void *buf = qemu_blockalign(bs, size);
    QEMUIOVector bounce;
    int ret;

    qemu_iovec_init_buf(&bounce, buf, size);
    if (write) {
        qemu_iovec_to_buf(qiov, 0, buf, size);
    }
    ret = raw_co_dispatch(bs->opaque, offset, &bounce, write);
    if (!write && ret == 0) {
        qemu_iovec_from_buf(qiov, 0, buf, size);
    }
    qemu_vfree(buf);
    return ret;
}

/* A write reached @end: a file that was shorter is now that long. */
static void raw_note_end(BDRVRawState *s, int64_t end)
{
    if (s->known_length >= 0 && end > s->known_length) {
        s->known_length = end;
    }
}

static int coroutine_fn raw_co_prw(BlockDriverState *bs, int64_t offset,
                                   int64_t bytes, QEMUIOVector *qiov,
                                   bool write)
{
    QEMUIOVector slice;
    int ret;

    if (bytes == 0) {
        return 0;
    }
    if ((int64_t)qiov->size != bytes) {
        qemu_iovec_init(&slice, qiov->niov);
        qemu_iovec_concat(&slice, qiov, 0, bytes);
        ret = raw_co_prw(bs, offset, bytes, &slice, write);
        qemu_iovec_destroy(&slice);
        return ret;
    }
    trace_file_posix_co_prw(bs, offset, bytes, write);
    if (!raw_qiov_aligned(bs, qiov)) {
        ret = raw_co_bounce(bs, offset, qiov, write);
    } else {
        ret = raw_co_dispatch(bs->opaque, offset, qiov, write);
    }
    if (write && ret == 0) {
        raw_note_end(bs->opaque, offset + bytes);
    }
    return ret;
}

static int coroutine_fn raw_co_preadv(BlockDriverState *bs, int64_t offset,
                                      int64_t bytes, QEMUIOVector *qiov,
                                      BdrvRequestFlags flags)
{
    return raw_co_prw(bs, offset, bytes, qiov, false);
}

static int coroutine_fn raw_co_pwritev(BlockDriverState *bs, int64_t offset,
                                       int64_t bytes, QEMUIOVector *qiov,
                                       BdrvRequestFlags flags)
{
    BDRVRawState *s = bs->opaque;
    int ret = raw_co_prw(bs, offset, bytes, qiov, true);

    if (ret == 0 && (flags & BDRV_REQ_FUA) &&
        !(bs->open_flags & BDRV_O_NO_FLUSH)) {
        RawTask t = { .fd = s->fd, .type = RAW_TASK_FLUSH };

        ret = raw_co_task(&t);
    }
    return ret;
}

static int coroutine_fn raw_co_flush_to_disk(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    RawTask t = { .fd = s->fd, .type = RAW_TASK_FLUSH };

    if (bs->open_flags & BDRV_O_NO_FLUSH) {
        return 0;
    }
    if (s->aio == RAW_AIO_IO_URING) {
        return luring_co_submit(s->luring, s->fd, 0, NULL,
                                FILE_POSIX_AIO_FLUSH);
    }
    return raw_co_task(&t);
}

static int coroutine_fn raw_co_pwrite_zeroes(BlockDriverState *bs,
                                             int64_t offset, int64_t bytes,
                                             BdrvRequestFlags flags)
{
    BDRVRawState *s = bs->opaque;
    RawTask t = {
        .fd = s->fd,
        .type = RAW_TASK_ZERO,
        .is_blockdev = s->is_blockdev,
        .may_unmap = (flags & BDRV_REQ_MAY_UNMAP) &&
                     (bs->open_flags & BDRV_O_UNMAP),
        .offset = offset,
        .bytes = bytes,
    };
    int ret;

    trace_file_posix_co_pwrite_zeroes(bs, offset, bytes, t.may_unmap);
    ret = raw_co_task(&t);
    s->known_length = -1;       /* past the end, it may or may not grow */
    return ret;
}

static int coroutine_fn raw_co_pdiscard(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes)
{
    BDRVRawState *s = bs->opaque;
    RawTask t = {
        .fd = s->fd,
        .type = RAW_TASK_DISCARD,
        .is_blockdev = s->is_blockdev,
        .offset = offset,
        .bytes = bytes,
    };

    if (!(bs->open_flags & BDRV_O_UNMAP)) {
        return 0;               /* discard=ignore */
    }
    trace_file_posix_co_pdiscard(bs, offset, bytes);
    return raw_co_task(&t);
}

/* Finds the data/hole boundary at @offset: returns 1 (data) or 0 (hole)
 * and sets *end to where that extent stops (INT64_MAX: end of file). */
static int raw_find_extent(int fd, int64_t offset, int64_t *end)
{
    off_t data = lseek(fd, offset, SEEK_DATA);
    off_t hole;

    if (data < 0) {
        if (errno == ENXIO) {
            *end = INT64_MAX;   /* in the trailing hole or past the end */
            return 0;
        }
        return -errno;
    }
    if (data > offset) {
        *end = data;
        return 0;
    }
    hole = lseek(fd, offset, SEEK_HOLE);
    if (hole < 0) {
        return -errno;
    }
    *end = hole > offset ? hole : INT64_MAX;
    return 1;
}

static int coroutine_fn raw_co_block_status(BlockDriverState *bs,
                                            bool want_zero, int64_t offset,
                                            int64_t bytes, int64_t *pnum,
                                            int64_t *map,
                                            BlockDriverState **file)
{
    BDRVRawState *s = bs->opaque;
    uint32_t align = MAX(bs->bl.request_alignment, 1);
    int64_t end = INT64_MAX;
    int ret = 1;

    *pnum = bytes;
    *map = offset;
    *file = bs;
    if (want_zero && !s->is_blockdev) {
        ret = raw_find_extent(s->fd, offset, &end);
    }
    if (ret < 0 || !want_zero || s->is_blockdev) {
        return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
    }
    *pnum = MIN(bytes, end - offset);
    if (ret == 1) {
        /* data: round up, a partial block is data */
        *pnum = MIN(bytes, RAW_ALIGN_UP(offset + *pnum, (int64_t)align) - offset);
        return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
    }
    /* hole: only whole blocks are zero */
    *pnum = RAW_ALIGN_DOWN(offset + *pnum, (int64_t)align) - offset;
    if (*pnum <= 0) {
        *pnum = MIN(bytes, align);
        return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
    }
    return BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID;
}

static int64_t raw_getlength_fd(BDRVRawState *s)
{
    struct stat st;
    uint64_t size;

    if (s->is_blockdev) {
        if (ioctl(s->fd, BLKGETSIZE64, &size) < 0) {
            return -errno;
        }
        return size;
    }
    if (s->known_length >= 0) {
        return s->known_length;
    }
    if (fstat(s->fd, &st) < 0) {
        return -errno;
    }
    s->known_length = st.st_size;
    return st.st_size;
}

static int64_t coroutine_fn raw_co_getlength(BlockDriverState *bs)
{
    return raw_getlength_fd(bs->opaque);
}

static int64_t raw_get_allocated_file_size(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    struct stat st;

    if (fstat(s->fd, &st) < 0) {
        return -errno;
    }
    return (int64_t)st.st_blocks * 512;
}

static int coroutine_fn raw_co_truncate(BlockDriverState *bs, int64_t offset,
                                        bool exact, PreallocMode prealloc,
                                        BdrvRequestFlags flags, GError **errp)
{
    BDRVRawState *s = bs->opaque;
    RawTask t = {
        .fd = s->fd,
        .type = RAW_TASK_TRUNCATE,
        .offset = offset,
        .prealloc = prealloc,
    };
    int64_t cur;
    int ret;

    if (s->is_blockdev) {
        cur = raw_getlength_fd(s);
        if (cur >= 0 && (offset > cur || (exact && offset != cur))) {
            error_setg(errp, "Cannot grow device files");
            return -EINVAL;
        }
        return cur < 0 ? (int)cur : 0;
    }
    if (prealloc != PREALLOC_MODE_OFF && prealloc != PREALLOC_MODE_FALLOC &&
        prealloc != PREALLOC_MODE_FULL) {
        error_setg(errp, "Unsupported preallocation mode '%s'",
                   PreallocMode_str(prealloc));
        return -ENOTSUP;
    }
    trace_file_posix_co_truncate(bs, offset, (int)prealloc);
    ret = raw_co_task(&t);
    s->known_length = -1;
    if (ret < 0) {
        error_setg_errno(errp, -ret, "%s", t.what);
    }
    return ret;
}

/* ---- image creation ---- */

static const char *const raw_create_opts[] = {
    "size", "preallocation", NULL,
};

static bool raw_create_parse(JsonObject *opts, uint64_t *size,
                             PreallocMode *prealloc, GError **errp)
{
    const char *str;

    *size = 0;
    *prealloc = PREALLOC_MODE_OFF;
    str = opts ? json_object_get_string_member_with_default(opts, "size",
                                                            NULL) : NULL;
    if (str && !qemu_strtosz(str, size, 'B', "size", errp)) {
        return false;
    }
    str = opts ? json_object_get_string_member_with_default(
                     opts, "preallocation", NULL) : NULL;
    if (str) {
        int v = qapi_enum_parse(&PreallocMode_lookup, str, -1, NULL);

        if (v < 0 || v == PREALLOC_MODE_METADATA) {
            error_setg(errp, "Invalid preallocation mode: '%s'", str);
            return false;
        }
        *prealloc = v;
    }
    if (*size > INT64_MAX) {
        error_setg(errp, "Image size must be less than 8 EiB!");
        return false;
    }
    return true;
}

static bool raw_create(const char *filename, JsonObject *opts, GError **errp)
{
    RawTask t = { .type = RAW_TASK_TRUNCATE };
    uint64_t size;
    int ret;

    if (!raw_create_parse(opts, &size, &t.prealloc, errp)) {
        return false;
    }
    t.fd = raw_open_fd(filename, O_RDWR | O_CREAT | O_CLOEXEC);
    if (t.fd < 0) {
        error_setg_errno(errp, -t.fd, "Could not create '%s'", filename);
        return false;
    }
    t.offset = 0;
    ret = raw_task_truncate(&t);        /* empty it */
    if (ret == 0) {
        t.offset = size;
        ret = raw_task_truncate(&t);
    }
    close(t.fd);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "%s", t.what);
        return false;
    }
    return true;
}

static BlockDriver bdrv_file = {
    .format_name = "file",
    .instance_size = sizeof(BDRVRawState),
    .is_format = false,
    .bdrv_open = raw_open,
    .bdrv_close = raw_close,
    .bdrv_refresh_limits = raw_refresh_limits,
    .bdrv_co_preadv = raw_co_preadv,
    .bdrv_co_pwritev = raw_co_pwritev,
    .bdrv_co_pwrite_zeroes = raw_co_pwrite_zeroes,
    .bdrv_co_pdiscard = raw_co_pdiscard,
    .bdrv_co_flush_to_disk = raw_co_flush_to_disk,
    .bdrv_co_block_status = raw_co_block_status,
    .bdrv_co_truncate = raw_co_truncate,
    .bdrv_co_getlength = raw_co_getlength,
    .bdrv_get_allocated_file_size = raw_get_allocated_file_size,
    .bdrv_create = raw_create,
    .create_opts = raw_create_opts,
    .bdrv_set_perm = raw_set_perm,
    .bdrv_reopen_prepare = raw_reopen_prepare,
    .bdrv_reopen_commit = raw_reopen_commit,
    .bdrv_reopen_abort = raw_reopen_abort,
    .bdrv_inactivate = raw_inactivate,
    .bdrv_activate = raw_activate,
};

static void __attribute__((constructor)) bdrv_file_init(void)
{
    bdrv_register(&bdrv_file);
}
