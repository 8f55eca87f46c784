/*
 * workload.h: the soft accelerator's guest: a RAM writer (vCPU 0) that
 * walks guest RAM in sequential passes, and the verification of what it
 * wrote.
 *
 * Every page the writer writes is self-checking: a header (magic, page
 * index, pass, block index, seed), a pseudo-random fill derived from
 * (seed, block, page, pass) and a checksum of the page, so a torn, stale
 * or misplaced page fails.  Pass numbers start at 1; a page never written
 * (all zero) counts as pass 0.  Because the writer walks the RAM blocks in
 * order, page after page, the pass numbers of all pages in RAM-block order
 * are non-increasing with at most one step of one ([p+1 ... p+1, p ... p]):
 * a lost or stale page breaks that.
 *
 * Threads: the writer is its own thread.  The Workload functions may be
 * called from any thread unless stated (in the daemon: the main loop);
 * the page and digest helpers are pure and thread-safe.
 */
#ifndef SYSTEM_WORKLOAD_H
#define SYSTEM_WORKLOAD_H

#include "util/osdep.h"
#include "system/ramblock.h"

/* "TERNPAGE" read as a little-endian u64: the first 8 bytes of a page. */
#define GUEST_PAGE_MAGIC UINT64_C(0x454741504e524554)

/**
 * guest_page_write:
 * @page: TARGET_PAGE_SIZE bytes
 * @seed: the workload seed
 * @block: the RAM block's index in RAM-block order
 * @index: the page's index in its block
 * @pass: the pass number (>= 1)
 *
 * Fills @page with its self-checking pattern.  Pure; any thread.
 */
void guest_page_write(uint8_t *page, uint64_t seed, uint32_t block,
                      uint64_t index, uint32_t pass);

/**
 * guest_page_check:
 * @page: TARGET_PAGE_SIZE bytes
 * @block: the block index the page is at
 * @index: the page index it is at
 *
 * Returns: the page's pass (>= 1) when its self-check passes at this
 * place, 0 for an all-zero page, -1 otherwise.  Pure; any thread.
 */
int64_t guest_page_check(const uint8_t *page, uint32_t block,
                         uint64_t index);

/* The pass numbers of a run of consecutive pages, summarised. */
typedef struct GuestPassRun {
    bool empty;          /* no page yet */
    bool bad;            /* a page failed, rose, or dropped by more than 1 */
    uint32_t first;      /* pass of the first page */
    uint32_t last;       /* pass of the last page */
    unsigned steps;      /* places where the pass dropped by one */
} GuestPassRun;

/* Starts an empty run. */
void guest_pass_run_init(GuestPassRun *run);

/* Appends one page's guest_page_check() result. */
void guest_pass_run_add(GuestPassRun *run, int64_t pass);

/* Appends the run @next (the pages right after @run's). */
void guest_pass_run_join(GuestPassRun *run, const GuestPassRun *next);

/* Returns: whether every page passed and there is at most one step. */
bool guest_pass_run_consistent(const GuestPassRun *run);

/**
 * guest_ram_digest:
 * @consistent: (out) (optional): whether the RAM passes the consistency
 *     rule (every non-zero page self-checks; at most one pass boundary)
 *
 * Hashes all guest RAM in RAM-block order: SHA-256 over the concatenated
 * SHA-256 digests of each block's 1 MiB chunks (the last chunk of a block
 * may be shorter), the chunks hashed and checked in parallel threads.
 * The same RAM contents give the same digest in every process.  Blocks;
 * call it from a worker thread, not the main loop.
 *
 * Returns: (transfer full): the digest, 64 lower-case hex digits.
 */
char *guest_ram_digest(bool *consistent);

typedef struct Workload Workload;

/* The workload's migratable state (device "tern-workload"). */
typedef struct WorkloadState {
    uint64_t ram_dirty_rate;     /* bytes/s; 0 = no RAM writes */
    uint64_t disk_write_rate;    /* bytes/s; stored for the block issue */
    uint64_t seed;
    uint32_t pass;               /* the pass being written, >= 1 */
    uint32_t block;              /* the next page to write: block index */
    uint64_t page;               /*   and page index in the block */
    uint64_t pages_written;      /* since the guest was created */
    uint64_t fill_remaining;     /* pages left of a fill; 0 = none */
    uint64_t insns;              /* vCPU 0's instruction counter */
} WorkloadState;

/* A clock in nanoseconds; monotonic. */
typedef int64_t WorkloadClockFunc(void *opaque);

/* Called in the writer thread when a fill is done. */
typedef void WorkloadFillDoneFunc(void *opaque);

/**
 * workload_new:
 * @clock: (nullable): the clock for rate limiting and throttling; NULL
 *     for the real monotonic clock.  With a test clock the writer never
 *     sleeps on a deadline: it waits until workload_kick().
 * @clock_opaque: passed to @clock
 *
 * Creates the workload over the current RAM-block list and starts the
 * writer thread, stopped (not running), both rates 0, seed 0, pass 1.
 *
 * Returns: (transfer full): the workload.
 */
Workload *workload_new(WorkloadClockFunc *clock, void *clock_opaque);

/**
 * workload_free:
 * @w: (transfer full) (nullable): a workload
 *
 * Stops and joins the writer.  Pending fill callbacks are dropped.
 */
void workload_free(Workload *w);

/**
 * workload_set_running:
 * @w: the workload
 * @running: whether the guest runs
 *
 * Lets the writer write, or parks it.  Stopping returns only once no page
 * write is in progress, so the caller then sees quiescent RAM.
 */
void workload_set_running(Workload *w, bool running);

/**
 * workload_configure:
 * @w: the workload
 * @has_ram_rate: whether to set @ram_rate
 * @ram_rate: bytes/s of RAM writes, 0 = none
 * @has_disk_rate: whether to set @disk_rate
 * @disk_rate: bytes/s of disk writes (stored only)
 * @has_seed: whether to set @seed
 * @seed: the seed of the page patterns written from now on
 *
 * Changes the settings; an omitted one keeps its value.  A new RAM rate
 * starts with an empty token bucket.
 */
void workload_configure(Workload *w, bool has_ram_rate, uint64_t ram_rate,
                        bool has_disk_rate, uint64_t disk_rate,
                        bool has_seed, uint64_t seed);

/**
 * workload_fill:
 * @w: the workload
 * @cb: (nullable): called in the writer thread once the fill is done
 * @opaque: passed to @cb
 *
 * Asks the writer to write every page once more (one full lap from its
 * position), as fast as it can, before the rate applies again.  The fill
 * progresses only while the guest runs.  A fill asked during a fill
 * restarts the lap; every callback runs when it ends.  With no RAM @cb
 * runs at once, in the caller's thread.
 */
void workload_fill(Workload *w, WorkloadFillDoneFunc *cb, void *opaque);

/* Copies the current state (consistent: taken under the writer's lock). */
void workload_get_state(Workload *w, WorkloadState *st);

/**
 * workload_set_state:
 * @w: the workload, stopped
 * @st: the state to install (a migrated "tern-workload")
 * @errp: `workload position (block B, page P) is outside guest RAM`,
 *     `workload fill of N pages is larger than guest RAM` or
 *     `workload pass must be at least 1`
 *
 * Returns: whether @st was valid for this RAM and installed.
 */
bool workload_set_state(Workload *w, const WorkloadState *st, GError **errp);

/* Returns: the number of pages in guest RAM the writer walks. */
uint64_t workload_total_pages(Workload *w);

/* Test clocks: wakes the writer to re-read the clock. */
void workload_kick(Workload *w);

/**
 * workload_wait_idle:
 * @w: the workload
 *
 * Tests: waits until the writer has seen every change and kick made
 * before this call and is waiting (parked, throttled or out of tokens).
 */
void workload_wait_idle(Workload *w);

#endif /* SYSTEM_WORKLOAD_H */
