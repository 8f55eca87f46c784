/*
 * fuzz-qcow2-open.c: libFuzzer target for the qcow2 open path.
 *
 * The input is the image: it is put in a memfd (an in-memory file, no
 * disk I/O, nothing left behind), opened read-only as qcow2 through the
 * ordinary file node (/proc/self/fd/N, locking off), and a few clusters
 * are read: the first, one in the middle and the last of the virtual
 * disk.  Then the consistency check runs over it (read-only, no repair),
 * which walks every table the header points to.  A clean error at any
 * step is fine; a crash, a sanitizer report, a hang or a leak is a bug.
 *
 * Seeds: tests/data/qcow2/make-hostile.py OUTDIR writes a valid image
 * (base.qcow2) and the hostile set.
 */
#include "util/osdep.h"

#include <sys/mman.h>

#include "block/block.h"
#include "block/block_int.h"
#include "block/block-backend.h"
#include "util/main-loop.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bounds so that one input cannot take seconds */
#define FUZZ_READ_BYTES (64 * 1024)

typedef struct FuzzCheck {
    BlockDriverState *bs;
    BdrvCheckResult res;
    bool done;
} FuzzCheck;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (!qemu_init_main_loop(NULL)) {
        abort();
    }
    return 0;
}

static void coroutine_fn fuzz_check_co(void *opaque)
{
    FuzzCheck *fc = opaque;

    fc->bs->drv->bdrv_co_check(fc->bs, &fc->res, 0);
    fc->done = true;
}

static void fuzz_read(BlockBackend *blk)
{
    int64_t len = blk_getlength(blk);
    g_autofree uint8_t *buf = g_malloc(FUZZ_READ_BYTES);
    int64_t offsets[3];
    size_t i;

    if (len <= 0) {
        return;
    }
    offsets[0] = 0;
    offsets[1] = (len / 2) & ~(int64_t)(BDRV_SECTOR_SIZE - 1);
    offsets[2] = MAX(len - FUZZ_READ_BYTES, 0);
    for (i = 0; i < G_N_ELEMENTS(offsets); i++) {
        blk_pread(blk, offsets[i], MIN(FUZZ_READ_BYTES, len - offsets[i]),
                  buf, 0);
    }
}

static void fuzz_check(BlockBackend *blk)
{
    FuzzCheck fc = { .bs = blk_bs(blk) };

    if (!fc.bs || !fc.bs->drv->bdrv_co_check) {
        return;
    }
    qemu_coroutine_enter(qemu_coroutine_create(fuzz_check_co, &fc));
    while (!fc.done) {
        aio_poll(qemu_get_aio_context(), true);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) extra = json_object_new();
    g_autofree char *path = NULL;
    BlockBackend *blk;
    int fd;

    fd = memfd_create("fuzz-qcow2", MFD_CLOEXEC);
    if (fd < 0) {
        abort();
    }
    if (size && write(fd, data, size) != (ssize_t)size) {
        abort();
    }
    path = g_strdup_printf("/proc/self/fd/%d", fd);
    json_object_set_string_member(extra, "file.locking", "off");
    blk = blk_new_open(path, "qcow2", BDRV_O_NO_BACKING, extra, &err);
    if (blk) {
        fuzz_read(blk);
        fuzz_check(blk);
        blk_unref(blk);
    }
    close(fd);
    return 0;
}
