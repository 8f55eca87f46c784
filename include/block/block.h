/*
 * block.h: the block graph and its requests, for users of nodes.
 *
 * A BlockDriverState (node) is an open image or protocol endpoint with a
 * driver; nodes form a graph through BdrvChild edges named "file" (the
 * storage under a format) and "backing" (the image below an overlay).
 * Users that are not nodes (guest devices, tools, jobs) hold a
 * BlockBackend (block-backend.h).  Every function here runs in the main
 * loop thread; the ones marked coroutine_fn only in a coroutine there.
 * See docs/devel/block.md.
 */
#ifndef BLOCK_BLOCK_H
#define BLOCK_BLOCK_H

#include "util/osdep.h"
#include "util/error.h"
#include "util/coroutine.h"
#include "util/iov.h"
#include "util/json.h"
#include "qapi/qapi-types-block-core.h"

typedef struct BlockDriverState BlockDriverState;
typedef struct BdrvChild BdrvChild;
typedef struct BlockDriver BlockDriver;
typedef struct BlockBackend BlockBackend;

typedef enum {
    BDRV_REQ_ZERO_WRITE = 0x2,
    BDRV_REQ_MAY_UNMAP = 0x4,
    BDRV_REQ_FUA = 0x10,
    BDRV_REQ_WRITE_UNCHANGED = 0x40,
    BDRV_REQ_NO_FALLBACK = 0x100,
} BdrvRequestFlags;

/* block_status results */
#define BDRV_BLOCK_DATA         0x01
#define BDRV_BLOCK_ZERO         0x02
#define BDRV_BLOCK_OFFSET_VALID 0x04
#define BDRV_BLOCK_RAW          0x08    /* driver: ask bs->file instead */
#define BDRV_BLOCK_ALLOCATED    0x10
#define BDRV_BLOCK_EOF          0x20
#define BDRV_BLOCK_RECURSE      0x40    /* driver: the file may know zeroes */

/* open flags (bs->open_flags) */
#define BDRV_O_RDWR         0x0002
#define BDRV_O_NOCACHE      0x0020
#define BDRV_O_NO_BACKING   0x0100
#define BDRV_O_NO_FLUSH     0x0200
#define BDRV_O_INACTIVE     0x0800
#define BDRV_O_UNMAP        0x4000
#define BDRV_O_AUTO_RDONLY  0x20000
#define BDRV_O_FORCE_SHARE  0x40000   /* tern: force-share=on */

/* permissions, as QEMU's */
#define BLK_PERM_CONSISTENT_READ    0x01
#define BLK_PERM_WRITE              0x02
#define BLK_PERM_WRITE_UNCHANGED    0x04
#define BLK_PERM_RESIZE             0x08
#define BLK_PERM_GRAPH_MOD          0x10
#define BLK_PERM_ALL                0x1f

#define BDRV_SECTOR_BITS    9
#define BDRV_SECTOR_SIZE    512

/* Largest request length and offset the layer accepts. */
#define BDRV_MAX_LENGTH     (INT64_MAX / 2)

/* ---- node lifecycle and graph ---- */

/**
 * bdrv_open_blockdev:
 * @options: typed options (blockdev-add's), borrowed
 * @flags: BDRV_O_* (BDRV_O_RDWR unless @options says read-only)
 * @errp: error
 *
 * Opens a node; children given inline are opened recursively, children
 * given as a node-name are looked up.  Main loop thread.
 *
 * Returns: a new reference, or NULL with @errp set.
 */
BlockDriverState *bdrv_open_blockdev(BlockdevOptions *options, int flags,
                                     GError **errp);

/**
 * bdrv_open_image:
 * @filename: image path
 * @fmt: (nullable): format driver name; NULL probes
 * @flags: BDRV_O_*
 * @extra: (nullable): further options, keyval form (string leaves):
 *         "node-name", "file.locking", "file.aio", "backing", ...
 * @errp: error
 *
 * Opens a "file" protocol node, the format above it (probing warns for
 * raw), then the backing chain from the image header unless
 * BDRV_O_NO_BACKING.  Main loop thread.
 *
 * Returns: a new reference to the top node, or NULL with @errp set.
 */
BlockDriverState *bdrv_open_image(const char *filename, const char *fmt,
                                  int flags, JsonObject *extra,
                                  GError **errp);

/* References (main loop); the last unref closes the node and its
 * children. */
void bdrv_ref(BlockDriverState *bs);
void bdrv_unref(BlockDriverState *bs);

/* Returns: the node named @node_name, or NULL (borrowed). */
BlockDriverState *bdrv_find_node(const char *node_name);
const char *bdrv_get_node_name(const BlockDriverState *bs);
/* Returns: the driver's format_name ("file", "raw", "qcow2"). */
const char *bdrv_get_format_name(const BlockDriverState *bs);
const char *bdrv_get_filename(const BlockDriverState *bs);
/* Iterates all nodes (named ones, auto-named included); NULL starts. */
BlockDriverState *bdrv_next_node(BlockDriverState *bs);
/* Returns: the node of the "file" / "backing" child, or NULL. */
BlockDriverState *bdrv_file_bs(BlockDriverState *bs);
BlockDriverState *bdrv_backing_bs(BlockDriverState *bs);
/* Returns: the node's refcount (tests, query). */
int bdrv_get_refcnt(const BlockDriverState *bs);
/* Returns: whether @bs is the same as or below @top in its file/backing
 * chains. */
bool bdrv_chain_contains(BlockDriverState *top, BlockDriverState *bs);

/**
 * bdrv_open_child:
 * @role: "file" or "backing"
 * @ref: (nullable): inline options or a node-name
 * @parent: the node being opened
 * @perm: unused (the parent's driver's bdrv_child_perm decides); kept for
 *        the contract
 * @shared: likewise
 * @allow_none: whether a NULL @ref is fine (returns NULL, no error)
 * @errp: error
 *
 * For drivers' bdrv_open: opens or looks up the child node and attaches
 * it as @parent's @role child (bs->file / bs->backing).
 *
 * Returns: the child edge, or NULL with @errp set (or NULL without error
 * when @ref is NULL and @allow_none).
 */
BdrvChild *bdrv_open_child(const char *role, BlockdevRef *ref,
                           BlockDriverState *parent, uint64_t perm,
                           uint64_t shared, bool allow_none, GError **errp);

/**
 * bdrv_attach_child:
 * @parent: the parent node
 * @child: the child node; the edge takes a new reference
 * @role: "file" or "backing" (sets parent->file / parent->backing)
 * @errp: error (permission conflicts)
 *
 * Returns: the new edge, or NULL with @errp set.
 */
BdrvChild *bdrv_attach_child(BlockDriverState *parent,
                             BlockDriverState *child, const char *role,
                             GError **errp);

/* Detaches @child from @parent and drops its reference. */
void bdrv_unref_child(BlockDriverState *parent, BdrvChild *child);

/**
 * bdrv_set_backing_hd:
 * @bs: the overlay
 * @backing: (nullable): the new backing node (a new reference is taken)
 * @errp: error
 *
 * Replaces @bs's backing child; NULL detaches it.
 *
 * Returns: false with @errp set on a permission conflict.
 */
bool bdrv_set_backing_hd(BlockDriverState *bs, BlockDriverState *backing,
                         GError **errp);

bool bdrv_is_read_only(BlockDriverState *bs);
/* Returns: whether @bs is inactive (BDRV_O_INACTIVE: migrated away). */
bool bdrv_is_inactive(BlockDriverState *bs);

/**
 * bdrv_reopen_set_read_only:
 * @bs: the node
 * @read_only: the wanted mode
 * @errp: error ("Block node is read-only" when a parent needs write)
 *
 * Switches @bs (and its file child) between read-only and read-write,
 * through the drivers' reopen prepare/commit/abort and the permissions.
 *
 * Returns: false with @errp set, @bs unchanged.
 */
bool bdrv_reopen_set_read_only(BlockDriverState *bs, bool read_only,
                               GError **errp);

/* Polls the main loop until no request is in flight on @bs (and its
 * children) / on any node.  Not from a coroutine. */
void bdrv_drain(BlockDriverState *bs);
void bdrv_drain_all(void);
/* Begin/end a drained section: new requests of BlockBackends on @bs wait
 * in blk_* until the section ends. */
void bdrv_drained_begin(BlockDriverState *bs);
void bdrv_drained_end(BlockDriverState *bs);

/* Migration switchover: flush every node, drop write permissions and
 * locks (BDRV_O_INACTIVE).  Returns false with @errp set on failure. */
bool bdrv_inactivate_all(GError **errp);
/* Destination completion / failed migration on the source. */
bool bdrv_activate_all(GError **errp);

/**
 * bdrv_child_try_set_perm:
 * @c: an edge
 * @perm: the permissions the parent needs on c->bs
 * @shared: the permissions it lets others have
 * @errp: error: "Conflicts with use by %s as '%s', which does not allow
 *        '%s' on %s" (QEMU's text) or "Block node is read-only"
 *
 * Returns: false with @errp set and nothing changed.
 */
bool bdrv_child_try_set_perm(BdrvChild *c, uint64_t perm, uint64_t shared,
                             GError **errp);

/* Returns: the node's cumulative permissions (OR of its parents'). */
void bdrv_get_cumulative_perm(BlockDriverState *bs, uint64_t *perm,
                              uint64_t *shared);

/* Closes every node (at exit): drains, drops monitor-owned references. */
void bdrv_close_all(void);

/* Returns: the name of @perm (one BLK_PERM_* bit), as QEMU's. */
const char *bdrv_perm_name(uint64_t perm);

/**
 * bdrv_change_backing_file:
 * @bs: an image node opened read-write
 * @backing_file: (nullable): the new backing file name, stored as
 *                given (relative names are relative to the image's
 *                directory); NULL or "" for none
 * @backing_fmt: (nullable): its format; NULL records none
 * @require: whether a @backing_file needs a @backing_fmt
 *
 * Rewrites the backing file name and format in the image's metadata
 * (QEMU's bdrv_change_backing_file).  The graph is not changed: a
 * backing node already attached stays attached.  On success
 * bs->backing_file and bs->backing_format hold the new values.  Main
 * loop thread, not in a coroutine.
 *
 * Returns: 0, or -ENOTSUP when the driver cannot record a backing
 * file, -EINVAL for a format without a file (or no format when
 * @require), -ENOSPC when the name does not fit, another -errno.
 */
int bdrv_change_backing_file(BlockDriverState *bs, const char *backing_file,
                             const char *backing_fmt, bool require);

/* ---- requests ---- */

int coroutine_fn bdrv_co_preadv(BdrvChild *child, int64_t offset,
                                int64_t bytes, QEMUIOVector *qiov,
                                BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pwritev(BdrvChild *child, int64_t offset,
                                 int64_t bytes, QEMUIOVector *qiov,
                                 BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pwrite_zeroes(BdrvChild *child, int64_t offset,
                                       int64_t bytes, BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pdiscard(BdrvChild *child, int64_t offset,
                                  int64_t bytes);
int coroutine_fn bdrv_co_flush(BlockDriverState *bs);
/* Node-level variants (no edge): used by BlockBackend and by drivers on
 * themselves. */
int coroutine_fn bdrv_co_preadv_bs(BlockDriverState *bs, int64_t offset,
                                   int64_t bytes, QEMUIOVector *qiov,
                                   BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pwritev_bs(BlockDriverState *bs, int64_t offset,
                                    int64_t bytes, QEMUIOVector *qiov,
                                    BdrvRequestFlags flags);
int coroutine_fn bdrv_co_pdiscard_bs(BlockDriverState *bs, int64_t offset,
                                     int64_t bytes);

/**
 * bdrv_co_block_status:
 * @bs: the node
 * @offset: start
 * @bytes: length to look at
 * @pnum: (out): length of the run with the same status (> 0 unless at
 *        or past the end)
 * @map: (out) (nullable): host offset in *@file when OFFSET_VALID
 * @file: (out) (nullable): the node holding the data
 *
 * Returns: BDRV_BLOCK_* flags of the node alone (ALLOCATED when @bs
 * itself defines the content), or -errno.
 */
int coroutine_fn bdrv_co_block_status(BlockDriverState *bs, int64_t offset,
                                      int64_t bytes, int64_t *pnum,
                                      int64_t *map, BlockDriverState **file);
/* Same through the backing chain from @bs down to (not including) @base
 * (NULL: the whole chain): unallocated ranges are looked up below; past
 * the end of a shorter backing node reads as zeroes. */
int coroutine_fn bdrv_co_block_status_above(BlockDriverState *bs,
                                            BlockDriverState *base,
                                            int64_t offset, int64_t bytes,
                                            int64_t *pnum, int64_t *map,
                                            BlockDriverState **file);
/* Returns: 1 if [offset, +*pnum) is allocated in a node from @top down to
 * @base (@base included if @include_base), 0 if not, -errno. */
int coroutine_fn bdrv_co_is_allocated_above(BlockDriverState *top,
                                            BlockDriverState *base,
                                            bool include_base, int64_t offset,
                                            int64_t bytes, int64_t *pnum);
int coroutine_fn bdrv_co_truncate(BdrvChild *child, int64_t offset,
                                  bool exact, PreallocMode prealloc,
                                  BdrvRequestFlags flags, GError **errp);
int coroutine_fn bdrv_co_truncate_bs(BlockDriverState *bs, int64_t offset,
                                     bool exact, PreallocMode prealloc,
                                     BdrvRequestFlags flags, GError **errp);
/* Returns: the length in bytes, or -errno. */
int64_t coroutine_fn bdrv_co_getlength(BlockDriverState *bs);

/* Synchronous wrappers (not in a coroutine): run the request in a
 * coroutine and poll the main loop until it completes.  0 or -errno. */
int bdrv_pread(BdrvChild *child, int64_t offset, int64_t bytes, void *buf,
               BdrvRequestFlags flags);
int bdrv_pwrite(BdrvChild *child, int64_t offset, int64_t bytes,
                const void *buf, BdrvRequestFlags flags);
int bdrv_pwrite_sync(BdrvChild *child, int64_t offset, int64_t bytes,
                     const void *buf, BdrvRequestFlags flags);
int bdrv_pwrite_zeroes(BdrvChild *child, int64_t offset, int64_t bytes,
                       BdrvRequestFlags flags);
int bdrv_pdiscard(BdrvChild *child, int64_t offset, int64_t bytes);
int bdrv_flush(BlockDriverState *bs);
int64_t bdrv_getlength(BlockDriverState *bs);
int bdrv_block_status(BlockDriverState *bs, int64_t offset, int64_t bytes,
                      int64_t *pnum, int64_t *map, BlockDriverState **file);
int bdrv_block_status_above(BlockDriverState *bs, BlockDriverState *base,
                            int64_t offset, int64_t bytes, int64_t *pnum,
                            int64_t *map, BlockDriverState **file);
int bdrv_is_allocated_above(BlockDriverState *top, BlockDriverState *base,
                            bool include_base, int64_t offset, int64_t bytes,
                            int64_t *pnum);
int bdrv_truncate(BdrvChild *child, int64_t offset, bool exact,
                  PreallocMode prealloc, BdrvRequestFlags flags,
                  GError **errp);

/**
 * bdrv_run_co:
 * @entry: coroutine body; it must set *@done = true last
 * @opaque: its argument
 * @done: the completion flag
 *
 * Runs @entry in a new coroutine (or directly when already in one) and
 * polls the main loop until *@done.  The helper behind the sync wrappers.
 */
void bdrv_run_co(CoroutineEntry *entry, void *opaque, bool *done);

/* ---- write notifiers ---- */

typedef enum {
    BDRV_TRACKED_READ = 0,
    BDRV_TRACKED_WRITE = 1,
    BDRV_TRACKED_ZERO = 2,
    BDRV_TRACKED_DISCARD = 3,
    BDRV_TRACKED_TRUNCATE = 4,
} BdrvTrackedRequestType;

typedef struct BdrvTrackedRequest {
    BlockDriverState *bs;
    int64_t offset;             /* as asked */
    int64_t bytes;
    int type;                   /* BdrvTrackedRequestType */
    BdrvRequestFlags flags;
    QEMUIOVector *qiov;         /* writes: the data, else NULL */
    /* private to block/io.c */
    int64_t overlap_offset;     /* aligned range, for serialising */
    int64_t overlap_bytes;
    bool serialising;
    Coroutine *co;
    CoQueue wait_queue;
    struct BdrvTrackedRequest *waiting_for;
    GList link;                 /* in bs->tracked_requests */
} BdrvTrackedRequest;

typedef int coroutine_fn BdrvWriteNotifyFunc(void *opaque,
                                             BdrvTrackedRequest *req);
typedef struct BdrvWriteNotifier BdrvWriteNotifier;

/**
 * bdrv_add_before_write_notifier:
 * @bs: the node
 * @fn: called in the request's coroutine before a write, zero write or
 *      discard reaches @bs; may yield; a negative return fails the request
 *      with that value
 * @opaque: its argument
 *
 * Returns: the notifier, owned by @bs until removed.
 */
BdrvWriteNotifier *bdrv_add_before_write_notifier(BlockDriverState *bs,
                                                  BdrvWriteNotifyFunc *fn,
                                                  void *opaque);
void bdrv_remove_before_write_notifier(BdrvWriteNotifier *n);

/* ---- aligned buffers ---- */

/* Returns: @size bytes aligned for @bs (at least 4096), freed with
 * qemu_vfree().  @bs may be NULL. */
void *qemu_blockalign(BlockDriverState *bs, size_t size);
void *qemu_blockalign0(BlockDriverState *bs, size_t size);
void qemu_vfree(void *ptr);

#endif /* BLOCK_BLOCK_H */
