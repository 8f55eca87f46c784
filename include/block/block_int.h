/*
 * block_int.h: the BlockDriver interface and the node structure, for
 * drivers (block/file-posix.c, raw-format.c, qcow2*.c) and the core.
 *
 * All driver callbacks run in the main loop thread; the coroutine_fn ones
 * in a coroutine there, called by block/io.c after alignment, tracking
 * and write notifiers (offsets and lengths are aligned to
 * bs->bl.request_alignment and lie inside the node, except past-EOF reads
 * of the tail which the core zero-fills).
 */
#ifndef BLOCK_BLOCK_INT_H
#define BLOCK_BLOCK_INT_H

#include "block/block.h"

#ifndef ROUND_UP
/* @n rounded up / down to a multiple of @d (d > 0) */
#define ROUND_UP(n, d) ((((n) + (d) - 1) / (d)) * (d))
#define ROUND_DOWN(n, d) (((n) / (d)) * (d))
#endif

typedef struct BlockLimits {
    uint32_t request_alignment;     /* 1 unless O_DIRECT-like (e.g. 4096) */
    uint64_t max_transfer;          /* 0: no limit */
    uint64_t opt_transfer;
    size_t min_mem_alignment;       /* 0: the default 4096 */
} BlockLimits;

typedef struct BlockDriverInfo {
    int cluster_size;
    bool is_dirty;
    int64_t vm_state_offset;
} BlockDriverInfo;

typedef enum {
    BDRV_FIX_LEAKS = 1,
    BDRV_FIX_ERRORS = 2,
} BdrvCheckMode;

typedef struct BlockFragInfo {
    uint64_t allocated_clusters;
    uint64_t total_clusters;
    uint64_t fragmented_clusters;
    uint64_t compressed_clusters;
} BlockFragInfo;

typedef struct BdrvCheckResult {
    int corruptions;
    int leaks;
    int check_errors;
    int corruptions_fixed;
    int leaks_fixed;
    int64_t image_end_offset;
    BlockFragInfo bfi;
} BdrvCheckResult;

struct BlockDriver {
    const char *format_name;        /* "file", "raw", "qcow2", "testmem" */
    size_t instance_size;           /* bytes of bs->opaque, zeroed */
    bool is_format;                 /* false for protocols ("file") */
    bool supports_backing;
    /* Returns: a probe score 0..100 for the image's first bytes. */
    int (*bdrv_probe)(const uint8_t *buf, int buf_size, const char *filename);
    /* Opens children with bdrv_open_child(); sets bs->total_sectors or
     * implements bdrv_co_getlength. */
    bool (*bdrv_open)(BlockDriverState *bs, BlockdevOptions *opts, int flags,
                      GError **errp);
    void (*bdrv_close)(BlockDriverState *bs);
    void (*bdrv_refresh_limits)(BlockDriverState *bs);
    int coroutine_fn (*bdrv_co_preadv)(BlockDriverState *bs, int64_t offset,
                                       int64_t bytes, QEMUIOVector *qiov,
                                       BdrvRequestFlags flags);
    int coroutine_fn (*bdrv_co_pwritev)(BlockDriverState *bs, int64_t offset,
                                        int64_t bytes, QEMUIOVector *qiov,
                                        BdrvRequestFlags flags);
    /* -ENOTSUP: the core writes a zeroed buffer (unless NO_FALLBACK) */
    int coroutine_fn (*bdrv_co_pwrite_zeroes)(BlockDriverState *bs,
                                              int64_t offset, int64_t bytes,
                                              BdrvRequestFlags flags);
    int coroutine_fn (*bdrv_co_pdiscard)(BlockDriverState *bs, int64_t offset,
                                         int64_t bytes);
    int coroutine_fn (*bdrv_co_flush_to_os)(BlockDriverState *bs);
    int coroutine_fn (*bdrv_co_flush_to_disk)(BlockDriverState *bs);
    /* NULL: protocols report all DATA|OFFSET_VALID; formats with a file
     * child report BDRV_BLOCK_RAW (passthrough).  May return
     * BDRV_BLOCK_RAW: the core asks *file at *map. */
    int coroutine_fn (*bdrv_co_block_status)(BlockDriverState *bs,
                                             bool want_zero, int64_t offset,
                                             int64_t bytes, int64_t *pnum,
                                             int64_t *map,
                                             BlockDriverState **file);
    int coroutine_fn (*bdrv_co_truncate)(BlockDriverState *bs, int64_t offset,
                                         bool exact, PreallocMode prealloc,
                                         BdrvRequestFlags flags,
                                         GError **errp);
    /* NULL: bs->total_sectors * 512 */
    int64_t coroutine_fn (*bdrv_co_getlength)(BlockDriverState *bs);
    int64_t (*bdrv_get_allocated_file_size)(BlockDriverState *bs);
    bool (*bdrv_get_info)(BlockDriverState *bs, BlockDriverInfo *bdi);
    struct ImageInfoSpecific *(*bdrv_get_specific_info)(BlockDriverState *bs,
                                                        GError **errp);
    /* Image creation: qemu-img -o keys as string members of @opts. */
    bool (*bdrv_create)(const char *filename, JsonObject *opts,
                        GError **errp);
    const char *const *create_opts;     /* NULL-terminated */
    int coroutine_fn (*bdrv_co_check)(BlockDriverState *bs,
                                      BdrvCheckResult *result,
                                      BdrvCheckMode fix);
    /* Permissions @bs needs on child @c given its parents' cumulative
     * ones; NULL: bdrv_default_child_perm(). */
    void (*bdrv_child_perm)(BlockDriverState *bs, BdrvChild *c,
                            const char *role, uint64_t parent_perm,
                            uint64_t parent_shared, uint64_t *nperm,
                            uint64_t *nshared);
    /* Protocols: take the new cumulative perms (image locking). */
    bool (*bdrv_set_perm)(BlockDriverState *bs, uint64_t perm,
                          uint64_t shared, GError **errp);
    bool (*bdrv_reopen_prepare)(BlockDriverState *bs, int new_flags,
                                GError **errp);
    void (*bdrv_reopen_commit)(BlockDriverState *bs);
    void (*bdrv_reopen_abort)(BlockDriverState *bs);
    bool (*bdrv_inactivate)(BlockDriverState *bs, GError **errp);
    bool (*bdrv_activate)(BlockDriverState *bs, GError **errp);
    /* Rewrite the backing file name and format recorded in the image
     * (NULL: none; the core has checked that a format comes with a
     * file).  Returns: 0 or -errno (-ENOSPC: does not fit in the
     * header), the image unchanged on failure.  NULL: -ENOTSUP. */
    int (*bdrv_change_backing_file)(BlockDriverState *bs,
                                    const char *backing_file,
                                    const char *backing_fmt);
};

struct BdrvChild;

/* Who holds an edge: a node (parent_bs) or a root user (BlockBackend). */
typedef struct BdrvChildClass {
    /* Returns: a description of the parent for permission errors, e.g.
     * "node 'top'" or "block device 'drive0'" (caller frees). */
    char *(*get_parent_desc)(BdrvChild *c);
    /* The parent's notion of drained sections (BlockBackend queues). */
    void (*drained_begin)(BdrvChild *c);
    void (*drained_end)(BdrvChild *c);
} BdrvChildClass;

struct BdrvChild {
    BlockDriverState *bs;           /* the child node (a reference) */
    char *name;                     /* role: "file", "backing", "root" */
    const BdrvChildClass *klass;
    void *opaque;                   /* parent: BlockDriverState * or
                                     * BlockBackend * */
    BlockDriverState *parent_bs;    /* NULL for root users */
    uint64_t perm;                  /* what the parent needs */
    uint64_t shared_perm;           /* what it lets others have */
};

struct BlockDriverState {
    BlockDriver *drv;
    void *opaque;                   /* drv->instance_size bytes */
    char node_name[32];
    bool auto_node_name;            /* generated "#blockNNN" */
    char filename[4096];
    char backing_file[4096];        /* from the image header */
    char backing_format[16];
    int open_flags;                 /* BDRV_O_* */
    bool read_only;
    int detect_zeroes;              /* BlockdevDetectZeroesOptions */
    bool force_share;
    int64_t total_sectors;          /* set by drivers without getlength */
    BlockLimits bl;
    BdrvChild *file;
    BdrvChild *backing;
    GList *children;                /* BdrvChild * (file, backing) */
    GList *parents;                 /* BdrvChild * whose bs is this */
    int refcnt;
    bool monitor_owned;             /* blockdev-add'ed: blockdev-del drops */
    unsigned in_flight;             /* requests in progress (main loop) */
    int quiesce_counter;            /* drained sections */
    uint64_t perm;                  /* cumulative, granted */
    uint64_t shared_perm;
    GQueue tracked_requests;        /* BdrvTrackedRequest.link, oldest first */
    unsigned serialising_in_flight; /* tracked requests with .serialising */
    GList *write_notifiers;         /* BdrvWriteNotifier * */
    GList *dirty_bitmaps;           /* BdrvDirtyBitmap * */
    CoMutex reqs_lock;
    uint64_t write_gen;             /* bumped by each write (flush skip) */
    uint64_t flushed_gen;
};

/* Registers @drv (start-up; a constructor in the driver file is fine). */
void bdrv_register(BlockDriver *drv);
/* Returns: the driver named @name, or NULL. */
BlockDriver *bdrv_find_format(const char *name);
/* Iterates the registered drivers (probing, help); NULL starts. */
BlockDriver *bdrv_next_driver(BlockDriver *drv);

/* QEMU's default permissions for a child by role (file: storage; backing:
 * copy-on-write). */
void bdrv_default_child_perm(BlockDriverState *bs, BdrvChild *c,
                             const char *role, uint64_t parent_perm,
                             uint64_t parent_shared, uint64_t *nperm,
                             uint64_t *nshared);

/**
 * bdrv_root_attach_child:
 * @child_bs: the node (the edge takes a new reference)
 * @name: role name ("root")
 * @klass: the parent's class
 * @opaque: the parent object
 * @perm: permissions the parent needs
 * @shared: permissions it shares
 * @errp: error (permission conflict)
 *
 * Attaches a non-node parent (BlockBackend, job).
 *
 * Returns: the edge, or NULL with @errp set.
 */
BdrvChild *bdrv_root_attach_child(BlockDriverState *child_bs,
                                  const char *name,
                                  const BdrvChildClass *klass, void *opaque,
                                  uint64_t perm, uint64_t shared,
                                  GError **errp);
/* Detaches a root edge and drops its reference. */
void bdrv_root_unref_child(BdrvChild *child);

/* Marks the node's enabled dirty bitmaps for a completed write. */
void bdrv_set_dirty(BlockDriverState *bs, int64_t offset, int64_t bytes);

/* Recomputes bs->total_sectors and limits from the driver. */
void bdrv_refresh_limits(BlockDriverState *bs);

/* Returns: whether @bs may be written (open read-write and active). */
bool bdrv_is_writable(BlockDriverState *bs);

/* Returns: a new name for an unnamed node ("#blockNNNNN"). */
char *bdrv_generate_node_name(void);

/* Returns: @backing resolved against the directory of @base_filename
 * (absolute @backing unchanged); caller frees. */
char *bdrv_path_combine(const char *base_filename, const char *backing);


/**
 * bdrv_new_open_driver:
 * @drv: a registered (or test) driver
 * @node_name: (nullable): the node name; NULL generates one
 * @flags: BDRV_O_*
 * @errp: error
 *
 * Opens a node of @drv with no options (drv->bdrv_open gets NULL opts):
 * for drivers not in BlockdevDriver, such as test drivers.
 *
 * Returns: a new reference, or NULL with @errp set.
 */
BlockDriverState *bdrv_new_open_driver(BlockDriver *drv,
                                       const char *node_name, int flags,
                                       GError **errp);

/**
 * bdrv_lookup_bs:
 * @device: (nullable): a BlockBackend name
 * @node_name: (nullable): a node name
 * @errp: error: "Cannot find device='%s' nor node-name='%s'"
 *
 * Returns: the root node of backend @device, else node @node_name
 * (borrowed), or NULL with @errp set.
 */
BlockDriverState *bdrv_lookup_bs(const char *device, const char *node_name,
                                 GError **errp);

/**
 * bdrv_open_backing:
 * @bs: a node just opened by its driver
 * @opt: (nullable): the "backing" option: NULL when absent (then the
 *       image header's backing file is opened, resolved against @bs's
 *       directory, unless BDRV_O_NO_BACKING), null for none, else a node
 * @errp: error
 *
 * Called by the core after drv->bdrv_open for formats with
 * supports_backing (does nothing if the driver attached one itself).
 *
 * Returns: false with @errp set.
 */
bool bdrv_open_backing(BlockDriverState *bs, BlockdevRefOrNull *opt,
                       GError **errp);

#endif /* BLOCK_BLOCK_INT_H */
