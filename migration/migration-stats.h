/*
 * migration-stats.h: counters of the running migration.
 *
 * Every field of mig_stats is read and written with __atomic builtins
 * (qatomic_* style: relaxed order is enough, they are statistics) from any
 * thread: the migration thread, multifd threads and the main loop that
 * answers query-migrate.  They are reset when a migration starts.
 */
#ifndef MIGRATION_MIGRATION_STATS_H
#define MIGRATION_MIGRATION_STATS_H

#include "util/osdep.h"

typedef struct MigrationAtomicStats {
    uint64_t transferred;           /* bytes on all channels */
    uint64_t multifd_bytes;         /* of which on multifd channels */
    uint64_t zero_pages;            /* pages sent as a zero flag */
    uint64_t normal_pages;          /* pages sent with their data */
    uint64_t dirty_sync_count;      /* dirty bitmap syncs */
    uint64_t dirty_pages_rate;      /* pages/s dirtied, last period */
    uint64_t dirty_bytes_last_sync; /* bytes dirty after the last sync */
    uint64_t precopy_bytes;         /* bytes sent while the guest ran */
    uint64_t downtime_bytes;        /* bytes sent with the guest stopped */
    uint64_t rate_limit_used;       /* bytes in the current window */
    uint64_t rate_limit_max;        /* budget of one window, 0 = none */
    uint64_t dirty_pages_last;      /* pages found dirty by the last sync */
} MigrationAtomicStats;

extern MigrationAtomicStats mig_stats;

#define mig_stats_read(field) \
    __atomic_load_n(&mig_stats.field, __ATOMIC_RELAXED)
#define mig_stats_set(field, v) \
    __atomic_store_n(&mig_stats.field, (v), __ATOMIC_RELAXED)
#define mig_stats_add(field, v) \
    __atomic_fetch_add(&mig_stats.field, (v), __ATOMIC_RELAXED)

/**
 * migration_rate_account:
 * @bytes: bytes just written to any migration channel
 *
 * Counts @bytes against the current 100 ms rate-limit window and in
 * mig_stats.transferred.  Any thread.
 */
void migration_rate_account(uint64_t bytes);

/**
 * migration_rate_account_main:
 * @f: the main output stream of the running migration
 *
 * Accounts the bytes put into the main stream since the last call, as
 * migration_rate_account() does.  The migration thread calls it after
 * every savevm call; a section writing big payloads to the main stream
 * (RAM without multifd) calls it before migration_rate_exceeded().
 * Migration thread only.  (migration_rate_account() is for the bytes of
 * other channels, e.g. multifd.)
 */
typedef struct QEMUFile QEMUFile;
void migration_rate_account_main(QEMUFile *f);

/**
 * migration_rate_exceeded:
 *
 * Returns: whether the current 100 ms window's max-bandwidth budget is used
 * up (the sender should stop and let the migration thread wait for the next
 * window).  Always false with max-bandwidth 0.  Any thread.
 */
bool migration_rate_exceeded(void);

/**
 * migration_is_cancelling:
 *
 * Returns: whether the outgoing migration is being cancelled or has
 * failed, so senders should stop.  Any thread.
 */
bool migration_is_cancelling(void);

/**
 * migration_set_error:
 * @err: (transfer full): the error
 *
 * Records @err as the migration's error unless one is recorded already
 * (the first error wins; a later one is freed).  The migration thread
 * notices it and fails the migration with it.  Any thread.
 */
void migration_set_error(GError *err);

#endif /* MIGRATION_MIGRATION_STATS_H */
