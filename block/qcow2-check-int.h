/*
 * qcow2-check-int.h: what the two halves of the qcow2 check share — the
 * state of one check pass and the helpers each half uses from the other.
 * qcow2-refcount-check.c computes the expected refcounts (and runs the
 * check); qcow2-check-repair.c compares them with the image's, repairs,
 * rebuilds the refcount structure and checks OFLAG_COPIED.
 *
 * Main loop thread, in the check's coroutine, under s->lock.  See
 * docs/devel/block-qcow2-check.md and docs/devel/block.md.
 */
#ifndef BLOCK_QCOW2_CHECK_INT_H
#define BLOCK_QCOW2_CHECK_INT_H

#include "block/qcow2.h"

#define CHECK_DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define CHECK_ROUND_UP(n, d) (CHECK_DIV_ROUND_UP(n, d) * (d))

/* One check pass: the computed refcounts and what they cover */
typedef struct Qcow2Check {
    BlockDriverState *bs;
    BDRVQcow2State *s;
    uint32_t *refs;             /* expected refcount per cluster */
    int64_t nb_clusters;        /* entries of @refs */
    int64_t file_len;
    uint64_t snapshots_size;    /* bytes of the snapshot table */
} Qcow2Check;

/* ---- qcow2-refcount-check.c ---- */

/* Prints one diagnostic line on stderr (qemu-img check's wording) */
void G_GNUC_PRINTF(1, 2) check_report(const char *fmt, ...);
/* Grows @c->refs to at least @size entries, zero-filled: 0 or -ENOMEM */
int check_refs_resize(Qcow2Check *c, int64_t size);
/* Reads from the image file; past its end reads as zeroes: 0 or -errno */
int check_pread(Qcow2Check *c, int64_t offset, void *buf, int64_t bytes);
/* Computes the expected refcount of every cluster into @c->refs */
int check_calculate(Qcow2Check *c, BdrvCheckResult *res,
                    BdrvCheckMode fix, bool *rebuild);

/* ---- qcow2-check-repair.c ---- */

/* Computes, compares and repairs the refcounts: QEMU's
 * qcow2_check_refcounts(); *@highest: last cluster in use */
int check_refcounts(Qcow2Check *c, BdrvCheckResult *res,
                    BdrvCheckMode fix, int64_t *highest);
/* OFLAG_COPIED must be set exactly where the refcount is 1 */
int check_oflag_copied(Qcow2Check *c, BdrvCheckResult *res,
                       BdrvCheckMode fix);

#endif /* BLOCK_QCOW2_CHECK_INT_H */
