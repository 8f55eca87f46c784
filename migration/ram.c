/*
 * ram.c: the RAM engine, iterative migration section "ram".
 *
 * Source (migration thread): a migration bitmap per RAM block says which
 * pages are still to send.  Setup sets every bit (the first pass sends
 * everything); each later pass starts with a sync that moves the guest's
 * dirty bits into it.  Dirty pages leave in batches of up to
 * RAM_BATCH_MAX_PAGES pages of one block: through the multifd sender
 * threads when there are multifd channels, else inline on the main
 * channel; the packet format is the same (multifd-int.h).  After each sync
 * and before the next page, a barrier (SYNC on every multifd channel,
 * RAM_SYNC on the main channel) keeps a page's copies in pass order.
 *
 * Destination (incoming thread): the block list is checked against local
 * RAM, then packets are applied straight into guest RAM; RAM_SYNC waits
 * for every multifd receiver to reach the same barrier.
 *
 * Threads: RAMState is the migration thread's (dirty_pages is read with
 * atomics by the pending estimate); RamLoadState the incoming thread's.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "system/cpu-throttle.h"
#include "system/ramblock.h"
#include "migration/qemu-file.h"
#include "migration/register.h"
#include "migration/migration-stats.h"
#include "migration/options.h"
#include "migration/multifd.h"
#include "migration/multifd-int.h"
#include "migration/ram.h"
#include "trace-migration.h"

#define RAM_MAX_BLOCKS 4096
#define RAM_BLOCK_F_SHARED 0x01     /* mapped from a shared backend */
#define RAM_BLOCK_F_SKIPPED 0x02    /* x-ignore-shared: pages not sent */
#define RAM_ITERATE_MAX_US (50 * 1000)
#define BITS_PER_ULONG (sizeof(unsigned long) * 8)

typedef struct RamBlockState {
    RAMBlock *rb;
    unsigned long *bmap;    /* pages still to send */
    bool skip;              /* x-ignore-shared: listed, never sent */
} RamBlockState;

typedef struct RAMState {
    RamBlockState *blocks;
    uint32_t nblocks;
    uint64_t dirty_pages;       /* atomic: bits set in all bmaps */
    uint32_t cur_block;         /* scan position */
    uint64_t cur_page;
    uint64_t sync_seq;          /* barriers sent */
    bool barrier_due;           /* a sync happened since the last barrier */
    int nchannels;              /* multifd channels, 0 = main channel */
    RamBatch *batch;            /* being filled */
    uint64_t main_packets;
    uint64_t iter_start_bytes;  /* main stream bytes at iterate start */
    int64_t period_start;       /* us, dirty-rate period */
    uint64_t period_dirty;      /* pages found dirty in the period */
    uint64_t period_xfer;       /* transferred at period start */
    int dirty_rate_high;        /* auto-converge trigger count */
} RAMState;

static RAMState *ram_state;

/* ---- bitmaps ---- */

static size_t bmap_longs(uint64_t bits)
{
    return (bits + BITS_PER_ULONG - 1) / BITS_PER_ULONG;
}

static void bmap_set_all(unsigned long *bmap, uint64_t bits)
{
    size_t n = bmap_longs(bits);

    memset(bmap, 0xff, n * sizeof(unsigned long));
    if (bits % BITS_PER_ULONG) {
        bmap[n - 1] = (1UL << (bits % BITS_PER_ULONG)) - 1;
    }
}

/* Returns: the first set bit at or after @start, or @bits. */
static uint64_t bmap_next(const unsigned long *bmap, uint64_t bits,
                          uint64_t start)
{
    uint64_t i = start / BITS_PER_ULONG;
    unsigned long w;

    if (start >= bits) {
        return bits;
    }
    w = bmap[i] & (~0UL << (start % BITS_PER_ULONG));
    while (!w) {
        if (++i >= bmap_longs(bits)) {
            return bits;
        }
        w = bmap[i];
    }
    return MIN(i * BITS_PER_ULONG + __builtin_ctzl(w), bits);
}

static void bmap_clear(unsigned long *bmap, uint64_t bit)
{
    bmap[bit / BITS_PER_ULONG] &= ~(1UL << (bit % BITS_PER_ULONG));
}

/* ---- dirty sync, dirty rate, auto-converge ---- */

static void ram_throttle_guest_down(uint64_t dirty, uint64_t threshold)
{
    int pct_max = migrate_max_cpu_throttle();
    int now = cpu_throttle_get_percentage();
    uint64_t step = migrate_cpu_throttle_increment();
    int pct;

    if (!cpu_throttle_active()) {
        pct = MIN(migrate_cpu_throttle_initial(), pct_max);
    } else {
        if (migrate_cpu_throttle_tailslow()) {
            /* Aim at the CPU share whose dirtying fits the threshold. */
            uint64_t cpu_now = 100 - now;
            uint64_t cpu_ideal = cpu_now * threshold / dirty;

            step = MIN(cpu_now - cpu_ideal, step);
        }
        pct = MIN(now + (int)step, pct_max);
    }
    trace_ram_throttle(now, pct);
    cpu_throttle_set(pct);
}

/*
 * QEMU's rule: when the guest dirtied more than throttle-trigger-threshold
 * percent of what was transferred in the period, for the second time,
 * throttle it (harder).
 */
static void ram_auto_converge(RAMState *rs, uint64_t dirty, uint64_t xfer)
{
    uint64_t threshold = xfer * migrate_throttle_trigger_threshold() / 100;

    if (!migrate_auto_converge() || dirty <= threshold) {
        return;
    }
    if (++rs->dirty_rate_high >= 2) {
        rs->dirty_rate_high = 0;
        ram_throttle_guest_down(dirty, threshold);
    }
}

static void ram_period_end(RAMState *rs, int64_t now)
{
    uint64_t xfer = mig_stats_read(transferred) - rs->period_xfer;
    uint64_t us = MAX(now - rs->period_start, 1);

    mig_stats_set(dirty_pages_rate, rs->period_dirty * G_USEC_PER_SEC / us);
    ram_auto_converge(rs, rs->period_dirty * TARGET_PAGE_SIZE, xfer);
    rs->period_start = now;
    rs->period_dirty = 0;
    rs->period_xfer = mig_stats_read(transferred);
}

/* Moves the guest's dirty bits into the migration bitmaps: a new pass. */
static void ram_bitmap_sync(RAMState *rs)
{
    uint64_t found = 0;
    uint64_t dirty;
    int64_t now;

    for (uint32_t i = 0; i < rs->nblocks; i++) {
        if (!rs->blocks[i].skip) {
            found += ram_block_sync_dirty(rs->blocks[i].rb,
                                          rs->blocks[i].bmap);
        }
    }
    dirty = __atomic_add_fetch(&rs->dirty_pages, found, __ATOMIC_RELAXED);
    rs->period_dirty += found;
    rs->barrier_due = true;
    mig_stats_add(dirty_sync_count, 1);
    mig_stats_set(dirty_pages_last, found);
    mig_stats_set(dirty_bytes_last_sync, dirty * TARGET_PAGE_SIZE);
    now = g_get_monotonic_time();
    if (now - rs->period_start >= G_USEC_PER_SEC) {
        ram_period_end(rs, now);
    }
    trace_ram_bitmap_sync(mig_stats_read(dirty_sync_count), found, dirty);
}

static uint64_t ram_dirty_bytes(RAMState *rs)
{
    return __atomic_load_n(&rs->dirty_pages, __ATOMIC_RELAXED) *
           TARGET_PAGE_SIZE;
}

/* ---- source: sending ---- */

/* Collects up to RAM_BATCH_MAX_PAGES dirty pages of one block into @b. */
static bool ram_fill_batch(RAMState *rs, RamBatch *b)
{
    b->count = 0;
    for (uint32_t n = 0; n <= rs->nblocks; n++) {
        RamBlockState *bs = &rs->blocks[rs->cur_block];
        uint64_t pages = bs->rb->pages;
        uint64_t page = bs->skip ? pages :
                        bmap_next(bs->bmap, pages, rs->cur_page);

        while (page < pages && b->count < RAM_BATCH_MAX_PAGES) {
            bmap_clear(bs->bmap, page);
            b->page[b->count++] = page;
            page = bmap_next(bs->bmap, pages, page + 1);
        }
        if (b->count) {
            b->rb = bs->rb;
            b->block = rs->cur_block;
            rs->cur_page = page;
            __atomic_sub_fetch(&rs->dirty_pages, b->count, __ATOMIC_RELAXED);
            return true;
        }
        rs->cur_block = (rs->cur_block + 1) % rs->nblocks;
        rs->cur_page = 0;
    }
    return false;
}

static bool ram_send_batch(QEMUFile *f, RAMState *rs, bool copy,
                           GError **errp)
{
    RamBatch *b = rs->batch;

    b->copy = copy;
    if (rs->nchannels) {
        return multifd_send_batch(&rs->batch, errp);
    }
    ram_batch_encode(b, ++rs->main_packets);
    qemu_put_buffer(f, b->iov[0].iov_base, b->iov[0].iov_len);
    for (unsigned i = 1; i + 1 < b->niov; i++) {
        qemu_put_buffer_nocopy(f, b->iov[i].iov_base, b->iov[i].iov_len);
    }
    qemu_put_buffer(f, b->crc, sizeof(b->crc));
    if (copy) {
        qemu_fflush(f);         /* the bounce buffer is reused */
    }
    ram_batch_account(b, false);
    return !qemu_file_get_error_obj(f, errp);
}

static void ram_put_ctrl(QEMUFile *f, RamPacketType type, uint64_t seq)
{
    uint8_t buf[RAM_PKT_HDR_SIZE + 4];

    qemu_put_buffer(f, buf, ram_packet_encode_ctrl(buf, type, seq));
}

/* SYNC on every multifd channel, then RAM_SYNC on the main channel. */
static bool ram_send_barrier(QEMUFile *f, RAMState *rs, GError **errp)
{
    rs->sync_seq++;
    trace_ram_send_barrier(rs->sync_seq);
    if (rs->nchannels && !multifd_send_sync(rs->sync_seq, errp)) {
        return false;
    }
    ram_put_ctrl(f, RAM_PKT_SYNC, rs->sync_seq);
    qemu_fflush(f);     /* the receivers wait for it */
    rs->barrier_due = false;
    return !qemu_file_get_error_obj(f, errp);
}

/*
 * Whether this window's max-bandwidth budget is spent, counting the main
 * stream bytes of this iteration that the core has not accounted yet.
 */
static bool ram_rate_limited(RAMState *rs, QEMUFile *f)
{
    uint64_t max = mig_stats_read(rate_limit_max);
    uint64_t pending = 0;

    if (migration_rate_exceeded()) {
        return true;
    }
    if (!rs->nchannels) {
        pending = qemu_file_transferred(f) - rs->iter_start_bytes;
    }
    return max && mig_stats_read(rate_limit_used) + pending >= max;
}

/*
 * Sends dirty pages.  @live: the guest may run (iterations), so honour the
 * rate limit and the time budget, and copy each page before checksumming
 * it (a page changing under a zero-copy write would fail its CRC).  Not
 * live (completion, guest stopped): pages go zero-copy from guest RAM.
 * Returns: 1 when nothing dirty is left, 0 when limited, -1 on error.
 */
static int ram_send_dirty(QEMUFile *f, RAMState *rs, bool live,
                          GError **errp)
{
    int64_t deadline = g_get_monotonic_time() + RAM_ITERATE_MAX_US;

    while (__atomic_load_n(&rs->dirty_pages, __ATOMIC_RELAXED)) {
        if (live && (ram_rate_limited(rs, f) ||
                     g_get_monotonic_time() > deadline)) {
            return 0;
        }
        if (!ram_fill_batch(rs, rs->batch)) {
            break;
        }
        if (!ram_send_batch(f, rs, live, errp)) {
            return -1;
        }
    }
    return 1;
}

static void ram_put_block_list(QEMUFile *f, RAMState *rs)
{
    qemu_put_be32(f, rs->nblocks);
    for (uint32_t i = 0; i < rs->nblocks; i++) {
        RAMBlock *rb = rs->blocks[i].rb;

        qemu_put_counted_string(f, rb->idstr);
        qemu_put_be64(f, rb->used_length);
        qemu_put_byte(f, (rb->shared ? RAM_BLOCK_F_SHARED : 0) |
                         (rs->blocks[i].skip ? RAM_BLOCK_F_SKIPPED : 0));
    }
    qemu_put_be32(f, rs->nchannels);
}

static void ram_state_free(RAMState *rs)
{
    for (uint32_t i = 0; i < rs->nblocks; i++) {
        g_free(rs->blocks[i].bmap);
    }
    g_free(rs->blocks);
    ram_batch_free(rs->batch);
    g_free(rs);
}

static RAMState *ram_state_new(void)
{
    RAMState *rs = g_new0(RAMState, 1);
    uint32_t i = 0;

    rs->nblocks = ram_block_count();
    rs->blocks = g_new0(RamBlockState, rs->nblocks);
    RAMBLOCK_FOREACH(rb) {
        RamBlockState *bs = &rs->blocks[i++];

        g_assert(i <= rs->nblocks);
        bs->rb = rb;
        bs->skip = rb->shared && migrate_ignore_shared();
        bs->bmap = g_new0(unsigned long, bmap_longs(rb->pages));
    }
    rs->nchannels = multifd_send_channels();
    rs->batch = ram_batch_new();
    rs->period_start = g_get_monotonic_time();
    rs->period_xfer = mig_stats_read(transferred);
    return rs;
}

static bool ram_save_setup(QEMUFile *f, void *opaque, GError **errp)
{
    RAMState *rs = ram_state_new();
    uint64_t dirty = 0;

    ram_dirty_tracking_start();
    ram_bitmap_sync(rs);
    for (uint32_t i = 0; i < rs->nblocks; i++) {
        if (!rs->blocks[i].skip) {
            bmap_set_all(rs->blocks[i].bmap, rs->blocks[i].rb->pages);
            dirty += rs->blocks[i].rb->pages;
        }
    }
    __atomic_store_n(&rs->dirty_pages, dirty, __ATOMIC_RELAXED);
    rs->barrier_due = false;    /* nothing was sent before */
    ram_state = rs;
    trace_ram_save_setup(rs->nblocks, dirty, rs->nchannels);
    ram_put_block_list(f, rs);
    qemu_fflush(f);
    return !qemu_file_get_error_obj(f, errp);
}

static int ram_save_iterate(QEMUFile *f, void *opaque)
{
    RAMState *rs = ram_state;
    GError *err = NULL;
    int ret = -1;

    rs->iter_start_bytes = qemu_file_transferred(f);
    if (!__atomic_load_n(&rs->dirty_pages, __ATOMIC_RELAXED)) {
        ram_bitmap_sync(rs);
    }
    if (!rs->barrier_due || ram_send_barrier(f, rs, &err)) {
        ret = ram_send_dirty(f, rs, true, &err);
    }
    if (ret < 0) {
        qemu_file_set_error(f, -EIO, err);
        return -1;
    }
    ram_put_ctrl(f, RAM_PKT_END, 0);
    return ret;
}

static bool ram_save_complete(QEMUFile *f, void *opaque, GError **errp)
{
    RAMState *rs = ram_state;

    ram_bitmap_sync(rs);
    if (!ram_send_barrier(f, rs, errp) ||
        ram_send_dirty(f, rs, false, errp) < 0 ||
        !ram_send_barrier(f, rs, errp)) {
        return false;
    }
    if (rs->nchannels && !multifd_send_finish(errp)) {
        return false;
    }
    ram_put_ctrl(f, RAM_PKT_END, 0);
    return !qemu_file_get_error_obj(f, errp);
}

static void ram_state_pending_estimate(void *opaque, uint64_t *must_precopy)
{
    if (ram_state) {
        *must_precopy += ram_dirty_bytes(ram_state);
    }
}

static void ram_state_pending_exact(void *opaque, uint64_t *must_precopy)
{
    if (ram_state) {
        ram_bitmap_sync(ram_state);
        *must_precopy += ram_dirty_bytes(ram_state);
    }
}

static void ram_save_cleanup(void *opaque)
{
    if (!ram_state) {
        return;
    }
    ram_dirty_tracking_stop();
    cpu_throttle_stop();
    ram_state_free(g_steal_pointer(&ram_state));
}

/* ---- destination ---- */

typedef struct RamLoadState {
    RAMBlock **blocks;      /* stream index -> local block; NULL: no pages */
    uint32_t nblocks;
    bool have_blocks;       /* the SECTION_START payload was read */
    uint64_t sync_seq;      /* last RAM_SYNC */
} RamLoadState;

static RamLoadState *ram_load;

static void ram_load_cleanup(void *opaque)
{
    if (!ram_load) {
        return;
    }
    if (multifd_recv_channels()) {
        multifd_recv_set_blocks(NULL, 0);   /* the table goes away */
    }
    g_free(ram_load->blocks);
    g_clear_pointer(&ram_load, g_free);
}

static bool ram_load_setup(QEMUFile *f, void *opaque, GError **errp)
{
    ram_load_cleanup(opaque);      /* a previous load left nothing */
    ram_load = g_new0(RamLoadState, 1);
    return true;
}

/* Checks one listed block against local RAM; *@out: where pages go. */
static bool ram_load_check_block(const char *id, uint64_t len, uint8_t flags,
                                 GHashTable *seen, RAMBlock **out,
                                 GError **errp)
{
    RAMBlock *rb = ram_block_by_name(id);

    if (!rb) {
        error_setg(errp, "unknown RAM block '%s' in the migration stream",
                   id);
        return false;
    }
    if (!g_hash_table_add(seen, rb)) {
        error_setg(errp, "RAM block '%s' is listed twice in the migration "
                   "stream", id);
        return false;
    }
    if (len != rb->used_length) {
        error_setg(errp, "RAM block '%s' size mismatch: the stream has %"
                   PRIu64 " bytes, this machine %" PRIu64, id, len,
                   rb->used_length);
        return false;
    }
    if (flags & ~(RAM_BLOCK_F_SHARED | RAM_BLOCK_F_SKIPPED)) {
        error_setg(errp, "RAM block '%s' has unknown flags 0x%x", id, flags);
        return false;
    }
    if ((flags & RAM_BLOCK_F_SKIPPED) && !rb->shared) {
        error_setg(errp, "RAM block '%s' was not sent (x-ignore-shared) but "
                   "is not shared memory on this machine", id);
        return false;
    }
    *out = (flags & RAM_BLOCK_F_SKIPPED) ? NULL : rb;
    trace_ram_load_block(id, len, flags);
    return true;
}

/* Every local block must be in the stream. */
static bool ram_load_check_all_listed(GHashTable *seen, GError **errp)
{
    RAMBLOCK_FOREACH(rb) {
        if (!g_hash_table_contains(seen, rb)) {
            error_setg(errp, "RAM block '%s' is missing from the migration "
                       "stream", rb->idstr);
            return false;
        }
    }
    return true;
}

static bool ram_load_block_list(QEMUFile *f, RamLoadState *ls, GError **errp)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
    uint32_t n = qemu_get_be32(f);
    uint32_t nch;

    if (qemu_file_get_error_obj(f, errp)) {
        return false;
    }
    if (n > RAM_MAX_BLOCKS) {
        error_setg(errp, "migration stream lists %" PRIu32 " RAM blocks "
                   "(at most %d)", n, RAM_MAX_BLOCKS);
        return false;
    }
    ls->blocks = g_new0(RAMBlock *, n);
    for (uint32_t i = 0; i < n; i++) {
        char id[256];
        uint64_t len;
        uint8_t flags;

        qemu_get_counted_string(f, id);
        len = qemu_get_be64(f);
        flags = qemu_get_byte(f);
        if (qemu_file_get_error_obj(f, errp) ||
            !ram_load_check_block(id, len, flags, seen, &ls->blocks[i],
                                  errp)) {
            return false;
        }
    }
    nch = qemu_get_be32(f);
    if (qemu_file_get_error_obj(f, errp) ||
        !ram_load_check_all_listed(seen, errp)) {
        return false;
    }
    if (nch != (uint32_t)multifd_recv_channels()) {
        error_setg(errp, "the source sends RAM over %" PRIu32 " multifd "
                   "channels, this side expects %d", nch,
                   multifd_recv_channels());
        return false;
    }
    ls->nblocks = n;
    ls->have_blocks = true;
    if (nch) {
        multifd_recv_set_blocks(ls->blocks, n);
    }
    return true;
}

static bool ram_load_sync(RamLoadState *ls, uint64_t seq, GError **errp)
{
    if (seq != ls->sync_seq + 1) {
        error_setg(errp, "RAM_SYNC %" PRIu64 " out of order (expected %"
                   PRIu64 ")", seq, ls->sync_seq + 1);
        return false;
    }
    ls->sync_seq = seq;
    trace_ram_load_sync(seq);
    return multifd_recv_sync_main(seq, errp);
}

/* One main-channel packet.  Returns 1 to go on, 0 at END, -1 on error. */
static int ram_load_packet(QEMUFile *f, RamLoadState *ls, GError **errp)
{
    uint8_t raw[RAM_PKT_HDR_SIZE];
    struct iovec iov = { .iov_base = raw, .iov_len = sizeof(raw) };
    RamPacketHdr h;

    if (!ram_packet_read_qemufile(f, &iov, 1, errp) ||
        !ram_packet_parse_hdr(raw, &h, errp)) {
        return -1;
    }
    switch (h.type) {
    case RAM_PKT_PAGES:
        if (h.block >= ls->nblocks || multifd_recv_channels()) {
            error_setg(errp, "unexpected RAM pages for block %" PRIu32
                       " on the main channel", h.block);
            return -1;
        }
        return ram_packet_load_pages(&h, raw, ls->blocks[h.block],
                                     ram_packet_read_qemufile, f,
                                     errp) ? 1 : -1;
    case RAM_PKT_SYNC:
        return ram_packet_check_ctrl_crc(raw, ram_packet_read_qemufile, f,
                                         errp) &&
               ram_load_sync(ls, h.seq, errp) ? 1 : -1;
    case RAM_PKT_END:
        return ram_packet_check_ctrl_crc(raw, ram_packet_read_qemufile, f,
                                         errp) ? 0 : -1;
    default:
        error_setg(errp, "unexpected RAM packet type %u on the main channel",
                   h.type);
        return -1;
    }
}

static bool ram_load_state(QEMUFile *f, void *opaque, int version_id,
                           GError **errp)
{
    RamLoadState *ls = ram_load;
    int ret;

    if (version_id != RAM_SECTION_VERSION) {
        error_setg(errp, "RAM section version %d not supported", version_id);
        return false;
    }
    if (!ls->have_blocks) {
        return ram_load_block_list(f, ls, errp);
    }
    do {
        ret = ram_load_packet(f, ls, errp);
    } while (ret > 0);
    return ret == 0;
}

/* ---- registration ---- */

static const SaveVMHandlers ram_handlers = {
    .save_setup = ram_save_setup,
    .save_live_iterate = ram_save_iterate,
    .save_live_complete_precopy = ram_save_complete,
    .state_pending_estimate = ram_state_pending_estimate,
    .state_pending_exact = ram_state_pending_exact,
    .save_cleanup = ram_save_cleanup,
    .load_setup = ram_load_setup,
    .load_state = ram_load_state,
    .load_cleanup = ram_load_cleanup,
};

const SaveVMHandlers *ram_savevm_handlers(void)
{
    return &ram_handlers;
}

void ram_mig_init(void)
{
    static bool done;
    GError *err = NULL;

    if (done) {
        return;
    }
    done = true;
    if (!register_savevm_live("ram", 0, RAM_SECTION_VERSION, &ram_handlers,
                              NULL, &err)) {
        /* Only a second "ram" section can fail: a programming error. */
        g_error("%s", err->message);
    }
}
