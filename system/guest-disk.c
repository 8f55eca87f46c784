/*
 * guest-disk.c: the guest's disk devices and the disk workload.
 *
 * Every device model tern accepts (virtio-blk-pci, virtio-blk, scsi-hd,
 * ide-hd) is the same disk: a BlockBackend with the permissions QEMU's
 * block devices take (consistent-read and write; sharing consistent-read,
 * write-unchanged, graph-mod and resize, not write), a migrated position,
 * and a writer.  The writer is a main-loop timer: while the guest runs it
 * turns x-guest-workload's disk-write-rate into 4 KiB self-checking block
 * writes, each in its own coroutine (at most GUEST_DISK_MAX_INFLIGHT per
 * disk), walking the disk in sequential passes ("generations").  Main
 * loop thread only; digests hash in the thread pool.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/crc32c.h"
#include "util/main-loop.h"
#include "util/thread-pool.h"
#include "util/timer.h"
#include "block/block.h"
#include "block/block-backend.h"
#include "migration/vmstate.h"
#include "system/guest.h"
#include "system/guest-disk.h"
#include "system/runstate.h"
#include "system/workload.h"

#define GUEST_DISK_TICK_NS      (10 * SCALE_MS)
#define GUEST_DISK_MAX_INFLIGHT 16
#define GUEST_DISK_DIGEST_CHUNK (1024 * 1024)
#define GUEST_DISK_HEADER       36     /* magic, index, gen, seed, crc */

typedef struct GuestDisk {
    char *id;                 /* qdev id, or NULL */
    char *driver;
    BlockBackend *blk;        /* a reference */
    uint32_t instance;        /* vmstate instance id */
    /* migrated */
    uint64_t next_block;      /* the next block the writer writes */
    uint64_t generation;      /* the pass being written, >= 1 */
    uint64_t blocks_written;
    /* main loop */
    unsigned in_flight;
} GuestDisk;

static GPtrArray *guest_disks;      /* GuestDisk * */
static QEMUTimer *guest_disk_timer;
static int64_t guest_disk_last_ns;
static uint64_t guest_disk_budget;  /* bytes the writer may still write */

static const char *const guest_disk_drivers[] = {
    "virtio-blk-pci", "virtio-blk", "scsi-hd", "ide-hd", NULL
};

static const VMStateField vmstate_guest_disk_fields[] = {
    VMSTATE_UINT64(next_block, GuestDisk),
    VMSTATE_UINT64(generation, GuestDisk),
    VMSTATE_UINT64(blocks_written, GuestDisk),
    VMSTATE_END,
};

static const VMStateDescription vmstate_guest_disk = {
    .name = "tern-disk",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = vmstate_guest_disk_fields,
};

/* Self-checking blocks */

static uint64_t pattern_word(uint64_t seed, uint64_t index, uint64_t gen,
                             uint64_t i)
{
    uint64_t x = seed ^ (index * 0x9e3779b97f4a7c15ULL) ^
                 (gen << 32) ^ (i * 0xbf58476d1ce4e5b9ULL);

    x ^= x >> 31;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 29);
}

void guest_disk_block_fill(uint8_t *buf, uint64_t seed, uint64_t index,
                           uint64_t generation)
{
    uint64_t head[4] = { GUEST_DISK_MAGIC, index, generation, seed };
    uint32_t crc;

    memcpy(buf, head, sizeof(head));
    for (size_t i = 40; i + 8 <= GUEST_DISK_BLOCK_SIZE; i += 8) {
        uint64_t w = pattern_word(seed, index, generation, i);

        memcpy(buf + i, &w, 8);
    }
    memset(buf + 32, 0, 8);
    crc = crc32c(0, buf, GUEST_DISK_BLOCK_SIZE);
    memcpy(buf + 32, &crc, 4);
}

int64_t guest_disk_block_check(const uint8_t *buf, uint64_t index)
{
    uint64_t head[4];
    uint8_t copy[GUEST_DISK_BLOCK_SIZE];
    uint32_t crc;

    memcpy(head, buf, sizeof(head));
    if (head[0] != GUEST_DISK_MAGIC) {
        for (size_t i = 0; i < GUEST_DISK_BLOCK_SIZE; i++) {
            if (buf[i]) {
                return -1;
            }
        }
        return 0;
    }
    memcpy(copy, buf, sizeof(copy));
    memset(copy + 32, 0, 4);
    memcpy(&crc, buf + 32, 4);
    if (head[1] != index || head[2] == 0 || head[2] > INT64_MAX ||
        crc32c(0, copy, sizeof(copy)) != crc) {
        return -1;
    }
    return head[2];
}

/* The writer */

typedef struct GuestDiskWrite {
    GuestDisk *disk;
    uint64_t index;
    uint64_t generation;
    uint64_t seed;
} GuestDiskWrite;

static void coroutine_fn guest_disk_write_co(void *opaque)
{
    GuestDiskWrite *w = opaque;
    uint8_t *buf = qemu_blockalign(blk_bs(w->disk->blk),
                                   GUEST_DISK_BLOCK_SIZE);
    QEMUIOVector qiov;

    guest_disk_block_fill(buf, w->seed, w->index, w->generation);
    qemu_iovec_init_buf(&qiov, buf, GUEST_DISK_BLOCK_SIZE);
    /* A failed write (e.g. a full host disk) is the guest's problem. */
    blk_co_pwritev(w->disk->blk, w->index * GUEST_DISK_BLOCK_SIZE,
                   GUEST_DISK_BLOCK_SIZE, &qiov, 0);
    w->disk->in_flight--;
    qemu_vfree(buf);
    g_free(w);
}

/* Starts one block write; false when the disk cannot take one now. */
static bool guest_disk_write_one(GuestDisk *d, uint64_t seed)
{
    int64_t len = blk_getlength(d->blk);
    uint64_t nblocks = len > 0 ? len / GUEST_DISK_BLOCK_SIZE : 0;
    GuestDiskWrite *w;

    if (!nblocks || d->in_flight >= GUEST_DISK_MAX_INFLIGHT ||
        blk_is_read_only(d->blk) || bdrv_is_inactive(blk_bs(d->blk))) {
        return false;
    }
    if (d->next_block >= nblocks) {
        d->next_block = 0;
        d->generation++;
    }
    w = g_new0(GuestDiskWrite, 1);
    w->disk = d;
    w->index = d->next_block++;
    w->generation = d->generation;
    w->seed = seed;
    d->blocks_written++;
    d->in_flight++;
    qemu_coroutine_enter(qemu_coroutine_create(guest_disk_write_co, w));
    return true;
}

static void guest_disk_tick(void *opaque)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    int64_t dt = now - guest_disk_last_ns;
    Workload *wl = guest_workload();
    WorkloadState st = { 0 };
    bool progress = true;

    guest_disk_last_ns = now;
    timer_mod(guest_disk_timer, now + GUEST_DISK_TICK_NS);
    if (!wl || !runstate_is_running()) {
        guest_disk_budget = 0;
        return;
    }
    workload_get_state(wl, &st);
    guest_disk_budget += st.disk_write_rate * MIN(dt, 1000 * SCALE_MS) /
                         NANOSECONDS_PER_SECOND;
    /* Round-robin over the disks, one block each per round. */
    while (guest_disk_budget >= GUEST_DISK_BLOCK_SIZE && progress) {
        progress = false;
        for (guint i = 0; i < guest_disks->len &&
             guest_disk_budget >= GUEST_DISK_BLOCK_SIZE; i++) {
            if (guest_disk_write_one(guest_disks->pdata[i], st.seed)) {
                guest_disk_budget -= GUEST_DISK_BLOCK_SIZE;
                progress = true;
            }
        }
    }
    /* Do not bank what a busy disk could not take. */
    guest_disk_budget = MIN(guest_disk_budget,
                            (uint64_t)GUEST_DISK_BLOCK_SIZE *
                            GUEST_DISK_MAX_INFLIGHT);
}

/* Devices */

static bool guest_disk_check_new(const char *driver, const char *id,
                                 BlockBackend *blk, GError **errp)
{
    if (!g_strv_contains(guest_disk_drivers, driver)) {
        error_setg(errp, "'%s' is not a valid device model name", driver);
        return false;
    }
    if (id && blk_by_dev_id(id)) {
        error_setg(errp, "Duplicate device ID '%s'", id);
        return false;
    }
    if (blk_get_dev_id(blk)) {
        error_setg(errp, "Drive '%s' is already in use by another device",
                   blk_name(blk));
        return false;
    }
    for (guint i = 0; guest_disks && i < guest_disks->len; i++) {
        GuestDisk *d = guest_disks->pdata[i];

        if (d->blk == blk) {
            error_setg(errp, "Drive '%s' is already in use by another "
                       "device", blk_name(blk));
            return false;
        }
    }
    return true;
}

bool guest_disk_new(const char *driver, const char *id, BlockBackend *blk,
                    GError **errp)
{
    uint64_t perm = BLK_PERM_CONSISTENT_READ;
    uint64_t shared = BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED |
                      BLK_PERM_GRAPH_MOD | BLK_PERM_RESIZE;
    GuestDisk *d;

    if (!guest_disk_check_new(driver, id, blk, errp)) {
        return false;
    }
    if (!blk_is_read_only(blk)) {
        perm |= BLK_PERM_WRITE;
    }
    if (!blk_set_perm(blk, perm, shared, errp)) {
        return false;
    }
    if (!guest_disks) {
        guest_disks = g_ptr_array_new();
    }
    d = g_new0(GuestDisk, 1);
    d->id = g_strdup(id);
    d->driver = g_strdup(driver);
    d->blk = blk;
    d->generation = 1;
    d->instance = guest_disks->len;
    if (!vmstate_register("tern-disk", d->instance, &vmstate_guest_disk, d,
                          errp)) {
        blk_set_perm(blk, 0, BLK_PERM_ALL, NULL);
        g_free(d->id);
        g_free(d->driver);
        g_free(d);
        return false;
    }
    blk_ref(blk);
    if (id) {
        blk_set_dev_id(blk, id);
    } else {
        g_autofree char *path = g_strdup_printf(
            "/machine/peripheral-anon/device[%u]", d->instance);

        blk_set_dev_id(blk, path);
    }
    g_ptr_array_add(guest_disks, d);
    if (!guest_disk_timer) {
        guest_disk_timer = aio_timer_new(qemu_get_aio_context(),
                                         QEMU_CLOCK_REALTIME,
                                         guest_disk_tick, NULL);
        guest_disk_last_ns = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
        timer_mod(guest_disk_timer, guest_disk_last_ns + GUEST_DISK_TICK_NS);
    }
    return true;
}

static const char *opt_str(JsonObject *opts, const char *key)
{
    return json_object_get_string_member_with_default(opts, key, NULL);
}

/*
 * drive= names a node (-blockdev node-name) rather than a -drive: as QEMU,
 * the device gets an anonymous BlockBackend of its own on that node.
 */
static bool guest_disk_new_on_node(const char *driver, const char *id,
                                   const char *node, GError **errp)
{
    BlockDriverState *bs = bdrv_find_node(node);
    BlockBackend *blk;
    bool ok;

    if (!bs) {
        error_setg(errp, "Property '%s.drive' can't find value '%s'",
                   driver, node);
        return false;
    }
    blk = blk_new(0, BLK_PERM_ALL);
    if (!blk_insert_bs(blk, bs, errp)) {
        blk_unref(blk);
        return false;
    }
    ok = guest_disk_new(driver, id, blk, errp);
    blk_unref(blk);     /* the device holds its own reference */
    return ok;
}

bool guest_disk_new_from_opts(JsonObject *opts, GError **errp)
{
    static const char *const keys[] = { "driver", "drive", "id", NULL };
    const char *driver = opt_str(opts, "driver");
    const char *drive = opt_str(opts, "drive");
    GList *members = json_object_get_members(opts);
    BlockBackend *blk;

    for (GList *l = members; l; l = l->next) {
        if (!g_strv_contains(keys, l->data)) {
            error_setg(errp, "Property '%s.%s' not found",
                       driver ? driver : "device", (const char *)l->data);
            g_list_free(members);
            return false;
        }
    }
    g_list_free(members);
    if (!driver) {
        error_setg(errp, "Parameter 'driver' is missing");
        return false;
    }
    if (!g_strv_contains(guest_disk_drivers, driver)) {
        error_setg(errp, "'%s' is not a valid device model name", driver);
        return false;
    }
    if (!drive) {
        error_setg(errp, "Drive property not set");
        return false;
    }
    blk = blk_by_name(drive);
    if (blk) {
        return guest_disk_new(driver, opt_str(opts, "id"), blk, errp);
    }
    return guest_disk_new_on_node(driver, opt_str(opts, "id"), drive, errp);
}

/* Digests */

typedef struct GuestDiskHash {
    GChecksum *sum;
    const uint8_t *buf;
    size_t len;
} GuestDiskHash;

/* Worker thread. */
static int guest_disk_hash_worker(void *opaque)
{
    GuestDiskHash *h = opaque;

    g_checksum_update(h->sum, h->buf, h->len);
    return 0;
}

static char *coroutine_fn guest_disk_digest_one(GuestDisk *d, GError **errp)
{
    ThreadPool *pool = aio_get_thread_pool(qemu_get_aio_context());
    int64_t len = blk_getlength(d->blk);
    uint8_t *buf = qemu_blockalign(blk_bs(d->blk), GUEST_DISK_DIGEST_CHUNK);
    GuestDiskHash h = { .sum = g_checksum_new(G_CHECKSUM_SHA256), .buf = buf };
    char *ret = NULL;

    for (int64_t off = 0; len >= 0 && off < len; off += h.len) {
        QEMUIOVector qiov;
        int r;

        h.len = MIN(len - off, GUEST_DISK_DIGEST_CHUNK);
        qemu_iovec_init_buf(&qiov, buf, h.len);
        r = blk_co_preadv(d->blk, off, h.len, &qiov, 0);
        if (r < 0) {
            error_setg_errno(errp, -r, "cannot read disk '%s'",
                             blk_name(d->blk));
            goto out;
        }
        thread_pool_submit_co(pool, guest_disk_hash_worker, &h);
    }
    if (len < 0) {
        error_setg_errno(errp, (int)-len, "cannot read disk '%s'",
                         blk_name(d->blk));
        goto out;
    }
    ret = g_strdup(g_checksum_get_string(h.sum));
out:
    g_checksum_free(h.sum);
    qemu_vfree(buf);
    return ret;
}

static const char *guest_disk_name(GuestDisk *d)
{
    BlockDriverState *bs = blk_bs(d->blk);

    if (d->id && d->id[0]) {
        return d->id;
    }
    if (blk_name(d->blk)[0]) {
        return blk_name(d->blk);
    }
    return bs ? bdrv_get_node_name(bs) : "";
}

bool coroutine_fn guest_disks_digest(GuestDiskDigestList **out,
                                     GError **errp)
{
    GuestDiskDigestList **tail = out;

    *out = NULL;
    for (guint i = 0; guest_disks && i < guest_disks->len; i++) {
        GuestDisk *d = guest_disks->pdata[i];
        char *digest = guest_disk_digest_one(d, errp);
        GuestDiskDigest *dd;

        if (!digest) {
            qapi_free_GuestDiskDigestList(*out);
            *out = NULL;
            return false;
        }
        dd = g_new0(GuestDiskDigest, 1);
        dd->device = g_strdup(guest_disk_name(d));
        dd->digest = digest;
        *tail = g_new0(GuestDiskDigestList, 1);
        (*tail)->value = dd;
        tail = &(*tail)->next;
    }
    return true;
}

void guest_disks_cleanup(void)
{
    g_clear_pointer(&guest_disk_timer, timer_free);
    if (!guest_disks) {
        return;
    }
    for (guint i = 0; i < guest_disks->len; i++) {
        GuestDisk *d = guest_disks->pdata[i];

        blk_drain(d->blk);
        vmstate_unregister(&vmstate_guest_disk, d);
        blk_set_dev_id(d->blk, NULL);
        blk_unref(d->blk);
        g_free(d->id);
        g_free(d->driver);
        g_free(d);
    }
    g_clear_pointer(&guest_disks, g_ptr_array_unref);
}
