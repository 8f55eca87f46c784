/*
 * Unit tests for the "file" protocol driver (block/file-posix.c) and its
 * I/O engines: round trips and concurrency in each aio mode, O_DIRECT with
 * unaligned requests, zeroes and discard as holes, truncate with each
 * preallocation mode, ENOSPC, image locking between opens and processes.
 */
#include "util/osdep.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "block/block-backend.h"
#include "block/block_int.h"
#include "qapi/qapi-visit-block-core.h"
#include "util/aio.h"
#include "util/error.h"
#include "util/json.h"
#include "util/main-loop.h"
#include "tern-check.h"

#define MIB (1024 * 1024)
#define WRITER_PERM (BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE | \
                     BLK_PERM_RESIZE)
#define WRITER_SHARED (BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED)

static const char *const aio_modes[] = { "threads", "io_uring", "native" };

static char *tmpdir;

static void setup(void)
{
    ck_assert(qemu_init_main_loop(NULL));
    tmpdir = g_dir_make_tmp("tern-posix-XXXXXX", NULL);
    ck_assert(tmpdir);
}

static void teardown(void)
{
    GDir *dir = g_dir_open(tmpdir, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *path = g_build_filename(tmpdir, name, NULL);

        umount2(path, MNT_DETACH);
        if (unlink(path) < 0) {
            rmdir(path);
        }
    }
    if (dir) {
        g_dir_close(dir);
    }
    rmdir(tmpdir);
    g_free(tmpdir);
}

static char *make_file(const char *name, int64_t size)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, size), 0);
    close(fd);
    return path;
}

static int64_t file_blocks(const char *path)
{
    struct stat st;

    ck_assert_int_eq(stat(path, &st), 0);
    return (int64_t)st.st_blocks * 512;
}

/* Opens a node from a JSON BlockdevOptions text. */
static BlockDriverState *open_node(const char *json, GError **errp)
{
    g_autoptr(GError) perr = NULL;
    JsonNode *node = json_parse_string(json, &perr);
    BlockdevOptions *opts;
    BlockDriverState *bs;

    ck_assert_msg(node, "%s", perr ? perr->message : "");
    opts = qapi_BlockdevOptions_from_json(node, QAPI_INPUT_NONE, errp);
    json_node_unref(node);
    if (!opts) {
        return NULL;
    }
    bs = bdrv_open_blockdev(opts, BDRV_O_RDWR, errp);
    qapi_free_BlockdevOptions(opts);
    return bs;
}

/* Opens a backend with writer permissions on a "file" node. */
static BlockBackend *open_blk_opts(const char *path, const char *extra,
                                   GError **errp)
{
    g_autofree char *json = g_strdup_printf(
        "{\"driver\": \"file\", \"filename\": \"%s\"%s%s}", path,
        extra ? ", " : "", extra ? extra : "");
    BlockDriverState *bs = open_node(json, errp);
    BlockBackend *blk;

    if (!bs) {
        return NULL;
    }
    blk = blk_new(WRITER_PERM, WRITER_SHARED);
    if (!blk_insert_bs(blk, bs, errp)) {
        blk_unref(blk);
        bdrv_unref(bs);
        return NULL;
    }
    bdrv_unref(bs);
    return blk;
}

/* Opens @path with aio mode @aio (direct for native). */
static BlockBackend *open_blk_mode(const char *path, const char *aio,
                                   bool direct)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *extra = g_strdup_printf(
        "\"aio\": \"%s\", \"cache\": {\"direct\": %s}", aio,
        direct ? "true" : "false");
    BlockBackend *blk = open_blk_opts(path, extra, &err);

    ck_assert_msg(blk, "open %s aio=%s: %s", path, aio,
                  err ? err->message : "");
    return blk;
}

static void fill_pattern(uint8_t *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 9));
    }
}

/* ---- round trips ---- */

static void check_round_trip(const char *aio, bool direct)
{
    g_autofree char *path = make_file("rw.img", 4 * MIB);
    BlockBackend *blk = open_blk_mode(path, aio, direct);
    static const int64_t offsets[] = { 0, 64 * 1024, MIB + 4096,
                                       4 * MIB - 8192 };
    uint8_t *wbuf = qemu_blockalign(blk_bs(blk), 8192);
    uint8_t *rbuf = qemu_blockalign(blk_bs(blk), 8192);

    for (size_t i = 0; i < ARRAY_SIZE(offsets); i++) {
        fill_pattern(wbuf, 8192, i + 1);
        ck_assert_int_eq(blk_pwrite(blk, offsets[i], 8192, wbuf, 0), 0);
    }
    ck_assert_int_eq(blk_flush(blk), 0);
    for (size_t i = 0; i < ARRAY_SIZE(offsets); i++) {
        fill_pattern(wbuf, 8192, i + 1);
        memset(rbuf, 0xaa, 8192);
        ck_assert_int_eq(blk_pread(blk, offsets[i], 8192, rbuf, 0), 0);
        ck_assert_mem_eq(rbuf, wbuf, 8192);
    }
    /* never written: reads as zeroes */
    ck_assert_int_eq(blk_pread(blk, 2 * MIB, 4096, rbuf, 0), 0);
    ck_assert(iov_buffer_is_zero(rbuf, 4096));
    ck_assert_int_eq(blk_getlength(blk), 4 * MIB);
    qemu_vfree(wbuf);
    qemu_vfree(rbuf);
    blk_unref(blk);
}

START_TEST(test_rw_threads)
{
    check_round_trip("threads", false);
    check_round_trip("threads", true);
}
END_TEST

START_TEST(test_rw_io_uring)
{
    check_round_trip("io_uring", false);
    check_round_trip("io_uring", true);
}
END_TEST

START_TEST(test_rw_native)
{
    check_round_trip("native", true);
}
END_TEST

START_TEST(test_default_aio)
{
    /* no aio given: io_uring where possible, threads otherwise; both work */
    g_autofree char *path = make_file("default.img", MIB);
    g_autoptr(GError) err = NULL;
    BlockBackend *blk = open_blk_opts(path, NULL, &err);
    uint8_t buf[512];

    ck_assert_msg(blk, "%s", err ? err->message : "");
    memset(buf, 0x5a, sizeof(buf));
    ck_assert_int_eq(blk_pwrite(blk, 512, 512, buf, 0), 0);
    memset(buf, 0, sizeof(buf));
    ck_assert_int_eq(blk_pread(blk, 512, 512, buf, 0), 0);
    ck_assert_int_eq(buf[0], 0x5a);
    ck_assert_int_eq(buf[511], 0x5a);
    blk_unref(blk);
}
END_TEST

/* ---- many concurrent requests ---- */

#define CONC_REQS 300
#define CONC_SIZE 4096

typedef struct ConcState {
    int done;
    int failed;
} ConcState;

static void conc_cb(void *opaque, int ret)
{
    ConcState *cs = opaque;

    cs->done++;
    if (ret < 0) {
        cs->failed++;
    }
}

static void run_concurrent(BlockBackend *blk, uint8_t *bufs, bool write)
{
    QEMUIOVector *qiovs = g_new0(QEMUIOVector, CONC_REQS);
    ConcState cs = { 0 };

    for (int i = 0; i < CONC_REQS; i++) {
        qemu_iovec_init_buf(&qiovs[i], bufs + (size_t)i * CONC_SIZE,
                            CONC_SIZE);
        /* reverse order so that neighbours complete out of order */
        if (write) {
            blk_aio_pwritev(blk, (int64_t)(CONC_REQS - 1 - i) * CONC_SIZE,
                            &qiovs[i], 0, conc_cb, &cs);
        } else {
            blk_aio_preadv(blk, (int64_t)(CONC_REQS - 1 - i) * CONC_SIZE,
                           &qiovs[i], 0, conc_cb, &cs);
        }
    }
    while (cs.done < CONC_REQS) {
        aio_poll(qemu_get_aio_context(), true);
    }
    ck_assert_int_eq(cs.failed, 0);
    g_free(qiovs);
}

static void check_concurrent(const char *aio, bool direct)
{
    g_autofree char *path = make_file("conc.img", 0);
    BlockBackend *blk = open_blk_mode(path, aio, direct);
    size_t total = (size_t)CONC_REQS * CONC_SIZE;
    uint8_t *wbufs = qemu_blockalign(blk_bs(blk), total);
    uint8_t *rbufs = qemu_blockalign(blk_bs(blk), total);
    g_autoptr(GError) err = NULL;

    ck_assert_msg(blk_truncate(blk, total, true, PREALLOC_MODE_OFF, &err),
                  "%s", err ? err->message : "");
    for (int i = 0; i < CONC_REQS; i++) {
        fill_pattern(wbufs + (size_t)i * CONC_SIZE, CONC_SIZE, i);
    }
    run_concurrent(blk, wbufs, true);
    memset(rbufs, 0, total);
    run_concurrent(blk, rbufs, false);
    ck_assert_mem_eq(rbufs, wbufs, total);
    qemu_vfree(wbufs);
    qemu_vfree(rbufs);
    blk_unref(blk);
}

START_TEST(test_concurrent)
{
    const char *aio = aio_modes[_i];

    check_concurrent(aio, !strcmp(aio, "native"));
    if (strcmp(aio, "native")) {
        check_concurrent(aio, true);
    }
}
END_TEST

/* ---- O_DIRECT with unaligned requests and buffers ---- */

START_TEST(test_unaligned_direct)
{
    g_autofree char *path = make_file("unaligned.img", MIB);
    BlockBackend *blk = open_blk_mode(path, aio_modes[_i], true);
    g_autofree uint8_t *expect = g_malloc0(16384);
    g_autofree uint8_t *data = g_malloc(3001 + 1);
    g_autofree uint8_t *back = g_malloc(16384);

    /* an odd buffer address and an odd length at an odd offset */
    fill_pattern(expect, 16384, 9);
    ck_assert_int_eq(blk_pwrite(blk, 0, 16384, expect, 0), 0);
    fill_pattern(data + 1, 3001, 3);
    memcpy(expect + 1000, data + 1, 3001);
    ck_assert_int_eq(blk_pwrite(blk, 1000, 3001, data + 1, 0), 0);
    ck_assert_int_eq(blk_pread(blk, 0, 16384, back, 0), 0);
    ck_assert_mem_eq(back, expect, 16384);
    ck_assert_int_eq(blk_pread(blk, 999, 3003, back + 1, 0), 0);
    ck_assert_mem_eq(back + 1, expect + 999, 3003);
    ck_assert_int_ge(blk_bs(blk)->bl.request_alignment, 512);
    blk_unref(blk);
}
END_TEST

/* ---- zeroes, discard, block status ---- */

static BlockBackend *open_unmap(const char *path, const char *discard)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *extra = g_strdup_printf("\"discard\": \"%s\"", discard);
    BlockBackend *blk = open_blk_opts(path, extra, &err);

    ck_assert_msg(blk, "%s", err ? err->message : "");
    return blk;
}

static void write_data(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    g_autofree uint8_t *buf = g_malloc(bytes);

    fill_pattern(buf, bytes, 1);
    ck_assert_int_eq(blk_pwrite(blk, offset, bytes, buf, 0), 0);
    ck_assert_int_eq(blk_flush(blk), 0);
}

static int status_at(BlockBackend *blk, int64_t offset, int64_t bytes,
                     int64_t *pnum)
{
    int64_t map;
    BlockDriverState *file;
    int ret = bdrv_block_status(blk_bs(blk), offset, bytes, pnum, &map,
                                &file);

    ck_assert_int_ge(ret, 0);
    return ret;
}

START_TEST(test_zero_makes_hole)
{
    g_autofree char *path = make_file("zero.img", 2 * MIB);
    BlockBackend *blk = open_unmap(path, "unmap");
    g_autofree uint8_t *buf = g_malloc(MIB);
    int64_t before, pnum;

    write_data(blk, 0, 2 * MIB);
    ck_assert(status_at(blk, 0, 2 * MIB, &pnum) & BDRV_BLOCK_DATA);
    before = file_blocks(path);
    ck_assert_int_eq(blk_pwrite_zeroes(blk, MIB / 2, MIB,
                                       BDRV_REQ_MAY_UNMAP), 0);
    ck_assert_int_le(file_blocks(path), before - MIB);
    ck_assert(status_at(blk, MIB / 2, MIB, &pnum) & BDRV_BLOCK_ZERO);
    ck_assert_int_eq(pnum, MIB);
    ck_assert(status_at(blk, 0, MIB / 2, &pnum) & BDRV_BLOCK_DATA);
    ck_assert_int_eq(pnum, MIB / 2);
    ck_assert_int_eq(blk_pread(blk, MIB / 2, MIB, buf, 0), 0);
    ck_assert(iov_buffer_is_zero(buf, MIB));
    blk_unref(blk);
}
END_TEST

START_TEST(test_zero_without_unmap)
{
    /* discard=ignore: zeroes are still zeroes, the blocks stay */
    g_autofree char *path = make_file("zero2.img", MIB);
    BlockBackend *blk = open_unmap(path, "ignore");
    g_autofree uint8_t *buf = g_malloc(MIB);

    write_data(blk, 0, MIB);
    ck_assert_int_eq(blk_pwrite_zeroes(blk, 4096, 64 * 1024,
                                       BDRV_REQ_MAY_UNMAP), 0);
    ck_assert_int_eq(blk_pread(blk, 0, MIB, buf, 0), 0);
    ck_assert(iov_buffer_is_zero(buf + 4096, 64 * 1024));
    ck_assert(!iov_buffer_is_zero(buf, 4096));
    ck_assert(!iov_buffer_is_zero(buf + 4096 + 64 * 1024, 4096));
    blk_unref(blk);
}
END_TEST

START_TEST(test_discard)
{
    g_autofree char *path = make_file("discard.img", 2 * MIB);
    g_autofree char *path2 = make_file("ignore.img", 2 * MIB);
    BlockBackend *blk = open_unmap(path, "unmap");
    BlockBackend *blk2 = open_unmap(path2, "ignore");
    int64_t before, pnum;

    write_data(blk, 0, 2 * MIB);
    before = file_blocks(path);
    ck_assert_int_eq(blk_pdiscard(blk, 0, MIB), 0);
    ck_assert_int_le(file_blocks(path), before - MIB);
    ck_assert(status_at(blk, 0, 2 * MIB, &pnum) & BDRV_BLOCK_ZERO);
    ck_assert_int_eq(pnum, MIB);

    write_data(blk2, 0, 2 * MIB);
    before = file_blocks(path2);
    ck_assert_int_eq(blk_pdiscard(blk2, 0, MIB), 0);
    ck_assert_int_eq(file_blocks(path2), before);
    blk_unref(blk);
    blk_unref(blk2);
}
END_TEST

START_TEST(test_block_status_sparse)
{
    g_autofree char *path = make_file("sparse.img", 8 * MIB);
    BlockBackend *blk = open_unmap(path, "unmap");
    int64_t pnum;

    write_data(blk, 3 * MIB, MIB);
    ck_assert(status_at(blk, 0, 8 * MIB, &pnum) & BDRV_BLOCK_ZERO);
    ck_assert_int_eq(pnum, 3 * MIB);
    ck_assert(status_at(blk, 3 * MIB, 5 * MIB, &pnum) & BDRV_BLOCK_DATA);
    ck_assert_int_eq(pnum, MIB);
    ck_assert(status_at(blk, 4 * MIB, 4 * MIB, &pnum) & BDRV_BLOCK_ZERO);
    ck_assert_int_eq(pnum, 4 * MIB);
    blk_unref(blk);
}
END_TEST

/* ---- truncate and preallocation ---- */

START_TEST(test_truncate_prealloc)
{
    static const PreallocMode modes[] = {
        PREALLOC_MODE_OFF, PREALLOC_MODE_FALLOC, PREALLOC_MODE_FULL,
    };
    PreallocMode mode = modes[_i];
    g_autofree char *path = make_file("trunc.img", 0);
    BlockBackend *blk = open_blk_mode(path, "threads", false);
    g_autofree uint8_t *buf = g_malloc(4 * MIB);
    g_autoptr(GError) err = NULL;
    struct stat st;

    ck_assert_msg(blk_truncate(blk, 4 * MIB, true, mode, &err), "%s",
                  err ? err->message : "");
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 4 * MIB);
    if (mode == PREALLOC_MODE_OFF) {
        ck_assert_int_lt(file_blocks(path), MIB);
    } else {
        ck_assert_int_ge(file_blocks(path), 4 * MIB);
    }
    ck_assert_int_eq(blk_pread(blk, 0, 4 * MIB, buf, 0), 0);
    ck_assert(iov_buffer_is_zero(buf, 4 * MIB));
    /* shrinking ignores the mode */
    ck_assert(blk_truncate(blk, MIB, true, mode, NULL));
    ck_assert_int_eq(blk_getlength(blk), MIB);
    blk_unref(blk);
}
END_TEST

START_TEST(test_truncate_metadata)
{
    g_autofree char *path = make_file("meta.img", MIB);
    BlockBackend *blk = open_blk_mode(path, "threads", false);
    g_autoptr(GError) err = NULL;

    ck_assert(!blk_truncate(blk, 2 * MIB, true, PREALLOC_MODE_METADATA,
                            &err));
    ck_assert_str_eq(err->message, "Unsupported preallocation mode 'metadata'");
    ck_assert_int_eq(blk_getlength(blk), MIB);
    blk_unref(blk);
}
END_TEST

START_TEST(test_allocated_size)
{
    g_autofree char *path = make_file("alloc.img", 4 * MIB);
    BlockBackend *blk = open_blk_mode(path, "threads", false);
    BlockDriverState *bs = blk_bs(blk);

    ck_assert_int_lt(bs->drv->bdrv_get_allocated_file_size(bs), MIB);
    write_data(blk, 0, 2 * MIB);
    ck_assert_int_ge(bs->drv->bdrv_get_allocated_file_size(bs), 2 * MIB);
    ck_assert_int_eq(bs->drv->bdrv_get_allocated_file_size(bs),
                     file_blocks(path));
    blk_unref(blk);
}
END_TEST

/* ---- ENOSPC ---- */

START_TEST(test_enospc)
{
    g_autofree char *mnt = g_build_filename(tmpdir, "small", NULL);
    g_autofree char *path = NULL;
    g_autofree uint8_t *buf = g_malloc0(MIB);
    BlockBackend *blk;

    ck_assert_int_eq(mkdir(mnt, 0755), 0);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=256k") < 0) {
        fprintf(stderr, "# skipped: cannot mount a small tmpfs (%s)\n",
                strerror(errno));
        return;
    }
    path = g_build_filename(mnt, "full.img", NULL);
    close(open(path, O_RDWR | O_CREAT, 0644));
    blk = open_blk_mode(path, "threads", false);
    ck_assert(blk_truncate(blk, 2 * MIB, true, PREALLOC_MODE_OFF, NULL));
    ck_assert_int_eq(blk_pwrite(blk, 0, MIB, buf, 0), -ENOSPC);
    blk_unref(blk);
    umount2(mnt, MNT_DETACH);
}
END_TEST

/* ---- open errors ---- */

START_TEST(test_open_errors)
{
    g_autofree char *path = make_file("err.img", MIB);
    g_autofree char *missing = g_build_filename(tmpdir, "missing", NULL);
    g_autofree char *msg = NULL;
    GError *err = NULL;

    ck_assert(!open_blk_opts(path, "\"aio\": \"native\"", &err));
    ck_assert_str_eq(err->message, "aio=native was specified, but it "
                     "requires cache.direct=on, which was not specified.");
    g_clear_error(&err);

    ck_assert(!open_blk_opts(missing, NULL, &err));
    msg = g_strdup_printf("Could not open '%s': No such file or directory",
                          missing);
    ck_assert_str_eq(err->message, msg);
    g_clear_error(&err);

    ck_assert(!open_blk_opts(tmpdir, NULL, &err));
    ck_assert(err);
    g_clear_error(&err);
}
END_TEST

/* ---- image locking ---- */

static void check_lock_error(GError *err, const char *path, const char *perm)
{
    g_autofree char *expect = g_strdup_printf(
        "Failed to get \"%s\" lock\nIs another process using the image "
        "[%s]?", perm, path);

    ck_assert(err);
    ck_assert_str_eq(err->message, expect);
}

START_TEST(test_lock_second_writer)
{
    g_autofree char *path = make_file("lock.img", MIB);
    BlockBackend *a = open_blk_mode(path, "threads", false);
    BlockBackend *b;
    GError *err = NULL;

    b = open_blk_opts(path, "\"aio\": \"threads\"", &err);
    ck_assert(!b);
    check_lock_error(err, path, "write");
    g_clear_error(&err);

    /* locking=off on the second opener: allowed */
    b = open_blk_opts(path, "\"locking\": \"off\"", &err);
    ck_assert_msg(b, "%s", err ? err->message : "");
    blk_unref(b);

    /* a reader that shares everything coexists with the writer */
    {
        g_autofree char *json = g_strdup_printf(
            "{\"driver\": \"file\", \"filename\": \"%s\", "
            "\"read-only\": true}", path);
        BlockDriverState *bs = open_node(json, &err);
        BlockBackend *r = blk_new(BLK_PERM_CONSISTENT_READ, BLK_PERM_ALL);

        ck_assert_msg(bs, "%s", err ? err->message : "");
        ck_assert(blk_insert_bs(r, bs, NULL));
        bdrv_unref(bs);
        blk_unref(r);
    }

    /* once the first writer is gone, a new one gets the lock */
    blk_unref(a);
    b = open_blk_opts(path, NULL, &err);
    ck_assert_msg(b, "%s", err ? err->message : "");
    blk_unref(b);
}
END_TEST

/* Child process: open @path for writing; exit 0 if refused with QEMU's
 * lock error, 1 if it succeeded, 2 on another error. */
static int lock_child(const char *path, const char *extra)
{
    g_autoptr(GError) err = NULL;
    BlockBackend *blk = open_blk_opts(path, extra, &err);

    if (blk) {
        return 1;
    }
    return strstr(err->message, "Failed to get \"write\" lock") &&
           strstr(err->message, "Is another process using the image") ? 0 : 2;
}

static int run_lock_child(const char *path, const char *extra)
{
    int status;
    pid_t pid = fork();

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        _exit(lock_child(path, extra));
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

START_TEST(test_lock_other_process)
{
    g_autofree char *path = make_file("lockp.img", MIB);
    g_autofree char *path2 = make_file("lockoff.img", MIB);
    BlockBackend *a = open_blk_mode(path, "threads", false);
    BlockBackend *off = open_blk_opts(path2, "\"locking\": \"off\"", NULL);

    ck_assert_int_eq(run_lock_child(path, "\"aio\": \"threads\""), 0);
    ck_assert_int_eq(run_lock_child(path, "\"locking\": \"off\", "
                                    "\"aio\": \"threads\""), 1);
    /* a locking=off holder takes no locks: others may write */
    ck_assert(off);
    ck_assert_int_eq(run_lock_child(path2, "\"aio\": \"threads\""), 1);
    blk_unref(a);
    ck_assert_int_eq(run_lock_child(path, "\"aio\": \"threads\""), 1);
    blk_unref(off);
}
END_TEST

static Suite *file_posix_suite(void)
{
    Suite *s = suite_create("file-posix");
    TCase *tc;

    tc = tcase_create("rw");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_rw_threads);
    tcase_add_test(tc, test_rw_io_uring);
    tcase_add_test(tc, test_rw_native);
    tcase_add_test(tc, test_default_aio);
    suite_add_tcase(s, tc);

    tc = tcase_create("concurrent");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_concurrent, 0, ARRAY_SIZE(aio_modes));
    suite_add_tcase(s, tc);

    tc = tcase_create("unaligned");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_unaligned_direct, 0, ARRAY_SIZE(aio_modes));
    suite_add_tcase(s, tc);

    tc = tcase_create("zero-discard");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_zero_makes_hole);
    tcase_add_test(tc, test_zero_without_unmap);
    tcase_add_test(tc, test_discard);
    tcase_add_test(tc, test_block_status_sparse);
    suite_add_tcase(s, tc);

    tc = tcase_create("truncate");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_truncate_prealloc, 0, 3);
    tcase_add_test(tc, test_truncate_metadata);
    tcase_add_test(tc, test_allocated_size);
    tcase_add_test(tc, test_enospc);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_open_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("locking");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_lock_second_writer);
    tcase_add_test(tc, test_lock_other_process);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(file_posix_suite)
