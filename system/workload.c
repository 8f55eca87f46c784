/*
 * workload.c: the soft accelerator's RAM writer thread (vCPU 0).
 *
 * The writer walks guest RAM page by page, block after block, stamping each
 * page with its pass number (guest-page.c).  It writes only while the guest
 * runs; its pace is a token bucket of ram-dirty-rate bytes/s (at most 100
 * ms of credit), except during a fill, which goes as fast as it can; the
 * auto-converge throttle makes it sleep its share of each 10 ms slice.
 *
 * Locking: Workload.lock protects every field below it in the struct.  The
 * writer drops the lock only while it writes one page, with busy set, so a
 * stopper waits on idle_cond until busy is clear.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "system/cpu-throttle.h"
#include "system/memory-backend.h"
#include "system/workload.h"
#include "trace-system.h"

#define NS_PER_SEC UINT64_C(1000000000)
/* Instructions vCPU 0 counts per page written: one per 8-byte store. */
#define INSNS_PER_PAGE (TARGET_PAGE_SIZE / 8)

typedef struct FillWaiter {
    WorkloadFillDoneFunc *cb;
    void *opaque;
} FillWaiter;

struct Workload {
    WorkloadClockFunc *clock;      /* NULL: real clock; immutable */
    void *clock_opaque;
    GThread *thread;               /* immutable after workload_new() */
    uint64_t total_pages;          /* immutable: RAM is fixed */

    unsigned lock_wanted;          /* atomic: others waiting for lock */
    GMutex lock;
    GCond cond;                    /* the writer waits here */
    GCond idle_cond;               /* stoppers and tests wait here */
    WorkloadState st;
    RAMBlock *cur_rb;              /* block number st.block */
    bool running;
    bool quit;
    bool busy;                     /* a page write is in progress */
    bool idle;                     /* the writer is waiting */
    uint64_t kick_seq;             /* bumped by every change and kick */
    uint64_t idle_seq;             /* kick_seq when the writer went idle */
    unsigned __int128 credit;      /* token bucket, in byte-nanoseconds */
    int64_t credit_ns;             /* clock of the last refill */
    int64_t slice_start_ns;        /* throttle: start of the run slice */
    int64_t throttle_until_ns;     /* throttle: end of the sleep */
    GArray *fill_waiters;          /* FillWaiter */
};

static int64_t workload_now(Workload *w)
{
    if (w->clock) {
        return w->clock(w->clock_opaque);
    }
    return g_get_monotonic_time() * 1000;
}

/* Empties the token bucket (a new rate, or the end of a fill). */
static void bucket_reset_locked(Workload *w)
{
    w->credit = 0;
    w->credit_ns = workload_now(w);
}

/* Nanoseconds until a page's worth of tokens is there; 0 = now. */
static int64_t bucket_wait_locked(Workload *w, int64_t now)
{
    uint64_t rate = w->st.ram_dirty_rate;
    unsigned __int128 cost = (unsigned __int128)TARGET_PAGE_SIZE * NS_PER_SEC;
    unsigned __int128 cap = (unsigned __int128)MAX(rate / 10,
                                                   TARGET_PAGE_SIZE) *
                            NS_PER_SEC;

    if (now > w->credit_ns) {
        w->credit += (unsigned __int128)(now - w->credit_ns) * rate;
        w->credit = MIN(w->credit, cap);
        w->credit_ns = now;
    }
    if (w->credit >= cost) {
        return 0;
    }
    return (int64_t)((cost - w->credit + rate - 1) / rate);
}

/* Nanoseconds the throttle wants the writer to sleep now; 0 = none. */
static int64_t throttle_wait_locked(Workload *w, int64_t now)
{
    int pct = cpu_throttle_get_percentage();
    int64_t run_ns, sleep_ns;

    if (!pct) {
        w->slice_start_ns = now;
        return 0;
    }
    if (now < w->throttle_until_ns) {
        return w->throttle_until_ns - now;
    }
    run_ns = CPU_THROTTLE_TIMESLICE_NS / 100 * (100 - pct);
    if (now - w->slice_start_ns < run_ns) {
        return 0;
    }
    sleep_ns = CPU_THROTTLE_TIMESLICE_NS / 100 * pct;
    w->throttle_until_ns = now + sleep_ns;
    w->slice_start_ns = w->throttle_until_ns;
    return sleep_ns;
}

/* What the writer does next: -1 park, 0 write a page, >0 wait that long. */
static int64_t workload_next_locked(Workload *w)
{
    int64_t now, wait;

    if (!w->running || !w->total_pages ||
        (!w->st.fill_remaining && !w->st.ram_dirty_rate)) {
        return -1;
    }
    now = workload_now(w);
    wait = throttle_wait_locked(w, now);
    if (wait || w->st.fill_remaining) {
        return wait;
    }
    return bucket_wait_locked(w, now);
}

static void workload_wait_locked(Workload *w, int64_t wait_ns)
{
    w->idle = true;
    w->idle_seq = w->kick_seq;
    g_cond_broadcast(&w->idle_cond);
    if (wait_ns < 0 || w->clock) {
        g_cond_wait(&w->cond, &w->lock);
    } else {
        g_cond_wait_until(&w->cond, &w->lock, g_get_monotonic_time() +
                          (wait_ns + 999) / 1000);
    }
    w->idle = false;
}

/* Moves the writer's position one page on. */
static void workload_advance_locked(Workload *w)
{
    w->st.pages_written++;
    w->st.insns += INSNS_PER_PAGE;
    if (++w->st.page < w->cur_rb->pages) {
        return;
    }
    w->st.page = 0;
    w->st.block++;
    w->cur_rb = w->cur_rb->next;
    if (!w->cur_rb) {
        w->st.block = 0;
        w->cur_rb = ram_block_first();
        w->st.pass++;
        trace_workload_pass(w->st.pass);
    }
}

/* Runs the fill callbacks once a fill has ended (drops the lock). */
static void workload_fill_done_locked(Workload *w)
{
    GArray *waiters = w->fill_waiters;

    w->fill_waiters = g_array_new(false, false, sizeof(FillWaiter));
    bucket_reset_locked(w);
    trace_workload_fill_done(w->st.pages_written);
    g_mutex_unlock(&w->lock);
    for (guint i = 0; i < waiters->len; i++) {
        FillWaiter *fw = &g_array_index(waiters, FillWaiter, i);

        fw->cb(fw->opaque);
    }
    g_array_unref(waiters);
    g_mutex_lock(&w->lock);
}

static void workload_write_one_locked(Workload *w)
{
    RAMBlock *rb = w->cur_rb;
    uint64_t page = w->st.page;
    uint32_t block = w->st.block, pass = w->st.pass;
    uint64_t seed = w->st.seed;

    w->busy = true;
    g_mutex_unlock(&w->lock);
    guest_page_write(ram_block_page_host(rb, page), seed, block, page, pass);
    ram_block_mark_dirty(rb, page);
    g_mutex_lock(&w->lock);
    w->busy = false;
    g_cond_broadcast(&w->idle_cond);
    workload_advance_locked(w);
    if (w->st.fill_remaining) {
        if (--w->st.fill_remaining == 0) {
            workload_fill_done_locked(w);
        }
    } else {
        unsigned __int128 cost = (unsigned __int128)TARGET_PAGE_SIZE *
                                 NS_PER_SEC;

        /* The bucket may have been emptied while the page was written. */
        w->credit = w->credit > cost ? w->credit - cost : 0;
    }
}

static gpointer workload_thread(gpointer opaque)
{
    Workload *w = opaque;

    g_mutex_lock(&w->lock);
    while (!w->quit) {
        int64_t wait;

        if (__atomic_load_n(&w->lock_wanted, __ATOMIC_SEQ_CST)) {
            g_cond_wait(&w->cond, &w->lock);
            continue;
        }
        wait = workload_next_locked(w);
        if (wait) {
            workload_wait_locked(w, wait);
        } else {
            workload_write_one_locked(w);
        }
    }
    g_mutex_unlock(&w->lock);
    return NULL;
}

/*
 * Other threads take the lock through these: the writer, which holds the
 * lock except while it writes a page, steps aside while lock_wanted is
 * non-zero, so a stopper or a reader is never starved by a fast writer.
 */
static void workload_lock(Workload *w)
{
    __atomic_fetch_add(&w->lock_wanted, 1, __ATOMIC_SEQ_CST);
    g_mutex_lock(&w->lock);
    __atomic_fetch_sub(&w->lock_wanted, 1, __ATOMIC_SEQ_CST);
}

static void workload_unlock(Workload *w)
{
    g_cond_broadcast(&w->cond);
    g_mutex_unlock(&w->lock);
}

/* Wakes the writer after a change; caller holds the lock. */
static void workload_kick_locked(Workload *w)
{
    w->kick_seq++;
    g_cond_broadcast(&w->cond);
}

Workload *workload_new(WorkloadClockFunc *clock, void *clock_opaque)
{
    Workload *w = g_new0(Workload, 1);

    w->clock = clock;
    w->clock_opaque = clock_opaque;
    RAMBLOCK_FOREACH(rb) {
        w->total_pages += rb->pages;
    }
    g_mutex_init(&w->lock);
    g_cond_init(&w->cond);
    g_cond_init(&w->idle_cond);
    w->st.pass = 1;
    w->cur_rb = ram_block_first();
    w->fill_waiters = g_array_new(false, false, sizeof(FillWaiter));
    bucket_reset_locked(w);
    w->thread = g_thread_new("vcpu0-workload", workload_thread, w);
    return w;
}

void workload_free(Workload *w)
{
    if (!w) {
        return;
    }
    workload_lock(w);
    w->quit = true;
    workload_kick_locked(w);
    workload_unlock(w);
    g_thread_join(w->thread);
    g_array_unref(w->fill_waiters);
    g_cond_clear(&w->idle_cond);
    g_cond_clear(&w->cond);
    g_mutex_clear(&w->lock);
    g_free(w);
}

void workload_set_running(Workload *w, bool running)
{
    workload_lock(w);
    w->running = running;
    workload_kick_locked(w);
    while (!running && w->busy) {
        g_cond_wait(&w->idle_cond, &w->lock);
    }
    workload_unlock(w);
    trace_workload_set_running(running);
}

void workload_configure(Workload *w, bool has_ram_rate, uint64_t ram_rate,
                        bool has_disk_rate, uint64_t disk_rate,
                        bool has_seed, uint64_t seed)
{
    workload_lock(w);
    if (has_ram_rate) {
        w->st.ram_dirty_rate = ram_rate;
        bucket_reset_locked(w);
    }
    if (has_disk_rate) {
        w->st.disk_write_rate = disk_rate;
    }
    if (has_seed) {
        w->st.seed = seed;
    }
    trace_workload_configure(w->st.ram_dirty_rate, w->st.disk_write_rate,
                             w->st.seed);
    workload_kick_locked(w);
    workload_unlock(w);
}

void workload_fill(Workload *w, WorkloadFillDoneFunc *cb, void *opaque)
{
    FillWaiter fw = { cb, opaque };

    if (!w->total_pages) {
        if (cb) {
            cb(opaque);
        }
        return;
    }
    workload_lock(w);
    w->st.fill_remaining = w->total_pages;
    if (cb) {
        g_array_append_val(w->fill_waiters, fw);
    }
    trace_workload_fill(w->total_pages);
    workload_kick_locked(w);
    workload_unlock(w);
}

void workload_get_state(Workload *w, WorkloadState *st)
{
    workload_lock(w);
    *st = w->st;
    workload_unlock(w);
}

/* The block numbered @block, or NULL. */
static RAMBlock *ram_block_nth(uint32_t block)
{
    RAMBLOCK_FOREACH(rb) {
        if (block-- == 0) {
            return rb;
        }
    }
    return NULL;
}

bool workload_set_state(Workload *w, const WorkloadState *st, GError **errp)
{
    RAMBlock *rb = ram_block_nth(st->block);

    if (st->pass < 1) {
        error_setg(errp, "workload pass must be at least 1");
        return false;
    }
    if (w->total_pages && (!rb || st->page >= rb->pages)) {
        error_setg(errp, "workload position (block %" PRIu32 ", page %"
                   PRIu64 ") is outside guest RAM", st->block, st->page);
        return false;
    }
    if (st->fill_remaining > w->total_pages) {
        error_setg(errp, "workload fill of %" PRIu64 " pages is larger than "
                   "guest RAM", st->fill_remaining);
        return false;
    }
    workload_lock(w);
    w->st = *st;
    w->cur_rb = rb;
    bucket_reset_locked(w);
    workload_kick_locked(w);
    workload_unlock(w);
    return true;
}

uint64_t workload_total_pages(Workload *w)
{
    return w->total_pages;
}

void workload_kick(Workload *w)
{
    workload_lock(w);
    workload_kick_locked(w);
    workload_unlock(w);
}

void workload_wait_idle(Workload *w)
{
    workload_lock(w);
    while (!w->idle || w->idle_seq != w->kick_seq) {
        g_cond_wait(&w->idle_cond, &w->lock);
    }
    workload_unlock(w);
}
