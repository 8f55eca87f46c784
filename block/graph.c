/*
 * graph.c: edges, references, permissions, reopen, drain, activation.
 *
 * Main loop thread only.  See docs/devel/block.md.
 */
#include "util/osdep.h"
#include "util/main-loop.h"
#include "block/block_int.h"
#include "block/block-backend.h"
#include "block/dirty-bitmap.h"
#include "qapi/qapi-visit-block-core.h"
#include "graph-int.h"
#include "trace-block.h"

#define BDRV_PROBE_BYTES 2048

/* ---- open by file name ---- */

/* Copies @extra's options for the node at @prefix ("" or "file.") into
 * @dst: dotted keys "file.x" and nested objects "file": {...}. */
static void bdrv_copy_extra(JsonObject *dst, JsonObject *extra,
                            const char *prefix)
{
    g_autoptr(GList) members = NULL;
    size_t plen = strlen(prefix);
    GList *l;

    if (!extra) {
        return;
    }
    members = json_object_get_members(extra);
    for (l = members; l; l = l->next) {
        const char *key = l->data;
        JsonNode *val = json_object_get_member(extra, key);

        if (plen && !strcmp(key, "file") && JSON_NODE_HOLDS_OBJECT(val)) {
            bdrv_copy_extra(dst, json_node_get_object(val), "");
        } else if (plen && !strncmp(key, prefix, plen)) {
            json_object_set_member(dst, key + plen, json_node_copy(val));
        } else if (!plen && !g_str_has_prefix(key, "file.") &&
                   strcmp(key, "file")) {
            json_object_set_member(dst, key, json_node_copy(val));
        }
    }
}

static BlockDriverState *bdrv_open_json(JsonObject *obj, int flags,
                                        GError **errp)
{
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), obj);
    g_autoptr(BlockdevOptions) opts = NULL;

    opts = qapi_BlockdevOptions_from_json(node, QAPI_INPUT_KEYVAL, errp);
    if (!opts) {
        return NULL;
    }
    return bdrv_open_blockdev(opts, flags, errp);
}

/* Returns: the format name the first bytes of @file suggest. */
static const char *bdrv_probe_format(BlockDriverState *file,
                                     const char *filename)
{
    g_autofree uint8_t *buf = g_malloc0(BDRV_PROBE_BYTES);
    int64_t len = bdrv_getlength(file);
    BlockDriver *drv = NULL, *best = NULL;
    int best_score = 0;
    int n = len < 0 ? 0 : (int)MIN(len, BDRV_PROBE_BYTES);

    if (n > 0 && bdrv_pread_bs(file, 0, n, buf) < 0) {
        n = 0;
    }
    while ((drv = bdrv_next_driver(drv))) {
        int score = drv->bdrv_probe ? drv->bdrv_probe(buf, n, filename) : 0;

        if (score > best_score) {
            best_score = score;
            best = drv;
        }
    }
    return best ? best->format_name : "raw";
}

BlockDriverState *bdrv_open_image(const char *filename, const char *fmt,
                                  int flags, JsonObject *extra,
                                  GError **errp)
{
    JsonObject *fo = json_object_new();
    JsonObject *o;
    BlockDriverState *file, *bs;

    json_object_set_string_member(fo, "driver", "file");
    json_object_set_string_member(fo, "filename", filename);
    bdrv_copy_extra(fo, extra, "file.");
    file = bdrv_open_json(fo, flags, errp);
    if (!file) {
        return NULL;
    }
    if (fmt && !strcmp(fmt, "file")) {
        return file;
    }
    if (!fmt) {
        fmt = bdrv_probe_format(file, filename);
        if (!strcmp(fmt, "raw")) {
            warn_report("Image format was not specified for '%s' and "
                        "probing guessed raw.\n"
                        "         Automatically detecting the format is "
                        "dangerous for raw images, write operations on "
                        "block 0 will be restricted.\n"
                        "         Specify the 'raw' format explicitly to "
                        "remove the restrictions.", filename);
        }
    }
    o = json_object_new();
    json_object_set_string_member(o, "driver", fmt);
    json_object_set_string_member(o, "file", file->node_name);
    bdrv_copy_extra(o, extra, "");
    bs = bdrv_open_json(o, flags, errp);
    bdrv_unref(file);
    return bs;
}

/* ---- references ---- */

void bdrv_ref(BlockDriverState *bs)
{
    bs->refcnt++;
}

void bdrv_unref(BlockDriverState *bs)
{
    if (!bs) {
        return;
    }
    g_assert(bs->refcnt > 0);
    if (--bs->refcnt == 0) {
        bdrv_close_node(bs);
    }
}

void bdrv_close_node(BlockDriverState *bs)
{
    g_assert(!bs->parents);
    trace_bdrv_close(bs, bs->node_name);
    bdrv_drain(bs);
    if (bs->drv && bs->drv->bdrv_close) {
        bs->drv->bdrv_close(bs);
    }
    bdrv_release_all_dirty_bitmaps(bs);
    bdrv_detach_all_children(bs);
    g_list_free_full(bs->write_notifiers, g_free);
    bdrv_forget_node(bs);
    g_free(bs->opaque);
    g_free(bs);
}

void bdrv_detach_all_children(BlockDriverState *bs)
{
    while (bs->children) {
        bdrv_unref_child(bs, bs->children->data);
    }
}

/* ---- permissions ---- */

static const struct {
    uint64_t perm;
    const char *name;
} bdrv_perm_table[] = {
    { BLK_PERM_CONSISTENT_READ, "consistent read" },
    { BLK_PERM_WRITE, "write" },
    { BLK_PERM_WRITE_UNCHANGED, "write unchanged" },
    { BLK_PERM_RESIZE, "resize" },
    { BLK_PERM_GRAPH_MOD, "change children" },
};

const char *bdrv_perm_name(uint64_t perm)
{
    size_t i;

    for (i = 0; i < ARRAY_SIZE(bdrv_perm_table); i++) {
        if (bdrv_perm_table[i].perm == perm) {
            return bdrv_perm_table[i].name;
        }
    }
    return "unknown";
}

static char *bdrv_perm_names(uint64_t perm)
{
    GString *s = g_string_new(NULL);
    size_t i;

    for (i = 0; i < ARRAY_SIZE(bdrv_perm_table); i++) {
        if (perm & bdrv_perm_table[i].perm) {
            g_string_append_printf(s, "%s%s", s->len ? ", " : "",
                                   bdrv_perm_table[i].name);
        }
    }
    return g_string_free(s, FALSE);
}

static char *bdrv_child_of_bds_desc(BdrvChild *c)
{
    return g_strdup_printf("node '%s'", c->parent_bs->node_name);
}

static const BdrvChildClass child_of_bds = {
    .get_parent_desc = bdrv_child_of_bds_desc,
};

void bdrv_get_cumulative_perm(BlockDriverState *bs, uint64_t *perm,
                              uint64_t *shared)
{
    GList *l;

    *perm = 0;
    *shared = BLK_PERM_ALL;
    for (l = bs->parents; l; l = l->next) {
        BdrvChild *c = l->data;

        *perm |= c->perm;
        *shared &= c->shared_perm;
    }
}

void bdrv_default_child_perm(BlockDriverState *bs, BdrvChild *c,
                             const char *role, uint64_t parent_perm,
                             uint64_t parent_shared, uint64_t *nperm,
                             uint64_t *nshared)
{
    (void)c;
    if (!strcmp(role, "backing")) {
        /* copy-on-write: read only, let others write if our users do */
        *nperm = parent_perm & BLK_PERM_CONSISTENT_READ;
        *nshared = (parent_shared & BLK_PERM_WRITE)
                   ? BLK_PERM_WRITE | BLK_PERM_RESIZE : 0;
        *nshared |= BLK_PERM_CONSISTENT_READ | BLK_PERM_GRAPH_MOD |
                    BLK_PERM_WRITE_UNCHANGED;
        return;
    }
    *nperm = parent_perm;
    *nshared = parent_shared;
    if (bs->drv && bs->drv->supports_backing) {
        /* metadata storage: the format writes it even if nobody else
         * does, and nobody else may write or resize it */
        if (bdrv_is_writable(bs)) {
            *nperm |= BLK_PERM_WRITE | BLK_PERM_RESIZE;
        }
        *nperm |= BLK_PERM_CONSISTENT_READ;
        *nshared &= ~(BLK_PERM_WRITE | BLK_PERM_RESIZE);
    }
    if (bs->force_share) {
        *nshared = BLK_PERM_ALL;
    }
}

/* Checks @perm/@shared of edge @self against @bs's other parents. */
static bool bdrv_check_parents(BlockDriverState *bs, BdrvChild *self,
                               uint64_t perm, uint64_t shared,
                               GError **errp)
{
    GList *l;

    if (bdrv_is_inactive(bs)) {
        return true;
    }
    for (l = bs->parents; l; l = l->next) {
        BdrvChild *c = l->data;
        g_autofree char *user = NULL;
        g_autofree char *names = NULL;

        if (c == self) {
            continue;
        }
        if (perm & ~c->shared_perm) {
            user = c->klass->get_parent_desc(c);
            names = bdrv_perm_names(perm & ~c->shared_perm);
            error_setg(errp, "Conflicts with use by %s as '%s', which does "
                       "not allow '%s' on %s", user, c->name, names,
                       bs->node_name);
            return false;
        }
        if (c->perm & ~shared) {
            user = c->klass->get_parent_desc(c);
            names = bdrv_perm_names(c->perm & ~shared);
            error_setg(errp, "Conflicts with use by %s as '%s', which uses "
                       "'%s' on %s", user, c->name, names, bs->node_name);
            return false;
        }
    }
    return true;
}

static bool bdrv_refresh_perms(BlockDriverState *bs, GError **errp);

static void bdrv_child_perm(BlockDriverState *bs, BdrvChild *c,
                            uint64_t *nperm, uint64_t *nshared)
{
    if (bs->drv && bs->drv->bdrv_child_perm) {
        bs->drv->bdrv_child_perm(bs, c, c->name, bs->perm, bs->shared_perm,
                                 nperm, nshared);
    } else {
        bdrv_default_child_perm(bs, c, c->name, bs->perm, bs->shared_perm,
                                nperm, nshared);
    }
}

static bool bdrv_child_set_perm(BdrvChild *c, uint64_t perm,
                                uint64_t shared, GError **errp)
{
    if (!bdrv_check_parents(c->bs, c, perm, shared, errp)) {
        return false;
    }
    c->perm = perm;
    c->shared_perm = shared;
    return bdrv_refresh_perms(c->bs, errp);
}

/* Recomputes @bs's cumulative permissions and pushes them down. */
static bool bdrv_refresh_perms(BlockDriverState *bs, GError **errp)
{
    uint64_t perm, shared;
    GList *l;

    bdrv_get_cumulative_perm(bs, &perm, &shared);
    if ((perm & BLK_PERM_WRITE) && bs->read_only) {
        error_setg(errp, "Block node is read-only");
        return false;
    }
    if (bs->drv && bs->drv->bdrv_set_perm) {
        bool inactive = bdrv_is_inactive(bs);

        if (!bs->drv->bdrv_set_perm(bs, inactive ? 0 : perm,
                                    inactive ? BLK_PERM_ALL : shared,
                                    errp)) {
            return false;
        }
    }
    bs->perm = perm;
    bs->shared_perm = shared;
    for (l = bs->children; l; l = l->next) {
        BdrvChild *c = l->data;
        uint64_t nperm, nshared;

        bdrv_child_perm(bs, c, &nperm, &nshared);
        if (!bdrv_child_set_perm(c, nperm, nshared, errp)) {
            return false;
        }
    }
    return true;
}

bool bdrv_child_try_set_perm(BdrvChild *c, uint64_t perm, uint64_t shared,
                             GError **errp)
{
    uint64_t old_perm = c->perm, old_shared = c->shared_perm;

    if (bdrv_child_set_perm(c, perm, shared, errp)) {
        return true;
    }
    c->perm = old_perm;
    c->shared_perm = old_shared;
    bdrv_refresh_perms(c->bs, NULL);
    return false;
}

/* ---- edges ---- */

static BdrvChild *bdrv_attach_edge(BlockDriverState *child_bs,
                                   const char *name,
                                   const BdrvChildClass *klass, void *opaque,
                                   BlockDriverState *parent_bs,
                                   uint64_t perm, uint64_t shared,
                                   GError **errp)
{
    BdrvChild *c;

    if (!bdrv_check_parents(child_bs, NULL, perm, shared, errp)) {
        return NULL;
    }
    c = g_new0(BdrvChild, 1);
    c->bs = child_bs;
    c->name = g_strdup(name);
    c->klass = klass;
    c->opaque = opaque;
    c->parent_bs = parent_bs;
    c->perm = perm;
    c->shared_perm = shared;
    bdrv_ref(child_bs);
    child_bs->parents = g_list_append(child_bs->parents, c);
    if (!bdrv_refresh_perms(child_bs, errp)) {
        child_bs->parents = g_list_remove(child_bs->parents, c);
        bdrv_refresh_perms(child_bs, NULL);
        bdrv_unref(child_bs);
        g_free(c->name);
        g_free(c);
        return NULL;
    }
    return c;
}

static void bdrv_detach_edge(BdrvChild *c)
{
    BlockDriverState *child_bs = c->bs;

    child_bs->parents = g_list_remove(child_bs->parents, c);
    bdrv_refresh_perms(child_bs, NULL);
    g_free(c->name);
    g_free(c);
    bdrv_unref(child_bs);
}

BdrvChild *bdrv_attach_child(BlockDriverState *parent,
                             BlockDriverState *child, const char *role,
                             GError **errp)
{
    BdrvChild *c;
    uint64_t perm, shared;
    BdrvChild tmp = { .bs = child, .name = (char *)role };

    if (bdrv_chain_contains(child, parent)) {
        error_setg(errp, "Making '%s' a %s child of '%s' would create a "
                   "cycle", child->node_name, role, parent->node_name);
        return NULL;
    }
    bdrv_child_perm(parent, &tmp, &perm, &shared);
    c = bdrv_attach_edge(child, role, &child_of_bds, parent, parent, perm,
                         shared, errp);
    if (!c) {
        return NULL;
    }
    parent->children = g_list_append(parent->children, c);
    if (!strcmp(role, "file")) {
        parent->file = c;
    } else if (!strcmp(role, "backing")) {
        parent->backing = c;
    }
    trace_bdrv_attach_child(parent, child, role);
    return c;
}

void bdrv_unref_child(BlockDriverState *parent, BdrvChild *child)
{
    if (!child) {
        return;
    }
    parent->children = g_list_remove(parent->children, child);
    if (parent->file == child) {
        parent->file = NULL;
    }
    if (parent->backing == child) {
        parent->backing = NULL;
    }
    bdrv_detach_edge(child);
}

BdrvChild *bdrv_root_attach_child(BlockDriverState *child_bs,
                                  const char *name,
                                  const BdrvChildClass *klass, void *opaque,
                                  uint64_t perm, uint64_t shared,
                                  GError **errp)
{
    return bdrv_attach_edge(child_bs, name, klass, opaque, NULL, perm,
                            shared, errp);
}

void bdrv_root_unref_child(BdrvChild *child)
{
    if (child) {
        bdrv_detach_edge(child);
    }
}

bool bdrv_set_backing_hd(BlockDriverState *bs, BlockDriverState *backing,
                         GError **errp)
{
    BdrvChild *old = bs->backing;

    if (backing && !bs->drv->supports_backing) {
        error_setg(errp, "Driver '%s' of node '%s' does not support backing "
                   "files", bs->drv->format_name, bs->node_name);
        return false;
    }
    bs->backing = NULL;
    if (backing && !bdrv_attach_child(bs, backing, "backing", errp)) {
        bs->backing = old;
        return false;
    }
    if (old) {
        bs->children = g_list_remove(bs->children, old);
        bdrv_detach_edge(old);
    }
    if (backing) {
        g_strlcpy(bs->backing_file, backing->filename,
                  sizeof(bs->backing_file));
    }
    return true;
}

/* ---- reopen ---- */

/* The nodes a reopen of @bs changes: @bs and its file chain. */
static GList *bdrv_reopen_list(BlockDriverState *bs)
{
    GList *list = NULL;

    for (; bs; bs = bdrv_file_bs(bs)) {
        list = g_list_append(list, bs);
    }
    return list;
}

static void bdrv_reopen_set_mode(GList *list, bool read_only)
{
    GList *l;

    for (l = list; l; l = l->next) {
        BlockDriverState *bs = l->data;

        bs->read_only = read_only;
        bs->open_flags = read_only ? bs->open_flags & ~BDRV_O_RDWR
                                   : bs->open_flags | BDRV_O_RDWR;
    }
}

static void bdrv_reopen_abort_list(GList *list, GList *upto)
{
    GList *l;

    for (l = list; l && l != upto; l = l->next) {
        BlockDriverState *bs = l->data;

        if (bs->drv->bdrv_reopen_abort) {
            bs->drv->bdrv_reopen_abort(bs);
        }
    }
}

bool bdrv_reopen_set_read_only(BlockDriverState *bs, bool read_only,
                               GError **errp)
{
    g_autoptr(GList) list = NULL;
    GList *l;

    if (bs->read_only == read_only) {
        return true;
    }
    list = bdrv_reopen_list(bs);
    bdrv_drain(bs);
    for (l = list; l; l = l->next) {
        BlockDriverState *n = l->data;
        int nflags = read_only ? n->open_flags & ~BDRV_O_RDWR
                               : n->open_flags | BDRV_O_RDWR;

        if (n->drv->bdrv_reopen_prepare &&
            !n->drv->bdrv_reopen_prepare(n, nflags, errp)) {
            bdrv_reopen_abort_list(list, l);
            return false;
        }
    }
    bdrv_reopen_set_mode(list, read_only);
    if (!bdrv_refresh_perms(bs, errp)) {
        bdrv_reopen_set_mode(list, !read_only);
        bdrv_refresh_perms(bs, NULL);
        bdrv_reopen_abort_list(list, NULL);
        return false;
    }
    for (l = list; l; l = l->next) {
        BlockDriverState *n = l->data;

        if (n->drv->bdrv_reopen_commit) {
            n->drv->bdrv_reopen_commit(n);
        }
    }
    trace_bdrv_reopen(bs, read_only);
    return true;
}

/* ---- drain ---- */

unsigned bdrv_in_flight_recursive(BlockDriverState *bs)
{
    unsigned n = bs->in_flight;
    GList *l;

    for (l = bs->children; l; l = l->next) {
        BdrvChild *c = l->data;

        n += bdrv_in_flight_recursive(c->bs);
    }
    return n;
}

void bdrv_drain(BlockDriverState *bs)
{
    g_assert(!qemu_in_coroutine());
    while (bdrv_in_flight_recursive(bs) > 0) {
        aio_poll(qemu_get_aio_context(), true);
    }
}

void bdrv_drain_all(void)
{
    BlockDriverState *bs = NULL;

    while ((bs = bdrv_next_node(bs))) {
        bdrv_drain(bs);
    }
}

void bdrv_drained_begin(BlockDriverState *bs)
{
    GList *l;

    if (bs->quiesce_counter++ == 0) {
        for (l = bs->parents; l; l = l->next) {
            BdrvChild *c = l->data;

            if (c->klass->drained_begin) {
                c->klass->drained_begin(c);
            }
        }
    }
    bdrv_drain(bs);
}

void bdrv_drained_end(BlockDriverState *bs)
{
    GList *l;

    g_assert(bs->quiesce_counter > 0);
    if (--bs->quiesce_counter == 0) {
        for (l = bs->parents; l; l = l->next) {
            BdrvChild *c = l->data;

            if (c->klass->drained_end) {
                c->klass->drained_end(c);
            }
        }
    }
}

/* ---- activation (migration) ---- */

/* Inactivates @bs, then its children (parents flush into children). */
static bool bdrv_inactivate_recurse(BlockDriverState *bs, GError **errp)
{
    GList *l;
    int ret;

    if (!bdrv_is_inactive(bs)) {
        ret = bdrv_flush(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to flush node '%s'",
                             bs->node_name);
            return false;
        }
        if (bs->drv->bdrv_inactivate && !bs->drv->bdrv_inactivate(bs, errp)) {
            return false;
        }
        bs->open_flags |= BDRV_O_INACTIVE;
        trace_bdrv_inactivate(bs, bs->node_name);
    }
    for (l = bs->children; l; l = l->next) {
        BdrvChild *c = l->data;

        if (!bdrv_inactivate_recurse(c->bs, errp)) {
            return false;
        }
    }
    return true;
}

/* Whether @bs has no node parent (a root of the graph). */
static bool bdrv_is_root(BlockDriverState *bs)
{
    GList *l;

    for (l = bs->parents; l; l = l->next) {
        BdrvChild *c = l->data;

        if (c->parent_bs) {
            return false;
        }
    }
    return true;
}

static void bdrv_refresh_all_perms(void)
{
    BlockDriverState *bs = NULL;

    while ((bs = bdrv_next_node(bs))) {
        if (bdrv_is_root(bs)) {
            bdrv_refresh_perms(bs, NULL);
        }
    }
}

bool bdrv_inactivate_all(GError **errp)
{
    BlockDriverState *bs = NULL;
    bool ok = true;

    bdrv_drain_all();
    while (ok && (bs = bdrv_next_node(bs))) {
        if (bdrv_is_root(bs)) {
            ok = bdrv_inactivate_recurse(bs, errp);
        }
    }
    bdrv_refresh_all_perms();
    return ok;
}

/* Activates the children of @bs, then @bs. */
static bool bdrv_activate_recurse(BlockDriverState *bs, GError **errp)
{
    GList *l;

    for (l = bs->children; l; l = l->next) {
        BdrvChild *c = l->data;

        if (!bdrv_activate_recurse(c->bs, errp)) {
            return false;
        }
    }
    if (!bdrv_is_inactive(bs)) {
        return true;
    }
    bs->open_flags &= ~BDRV_O_INACTIVE;
    if (!bdrv_refresh_perms(bs, errp) ||
        (bs->drv->bdrv_activate && !bs->drv->bdrv_activate(bs, errp))) {
        bs->open_flags |= BDRV_O_INACTIVE;
        bdrv_refresh_perms(bs, NULL);
        return false;
    }
    trace_bdrv_activate(bs, bs->node_name);
    return true;
}

bool bdrv_activate_all(GError **errp)
{
    BlockDriverState *bs = NULL;

    while ((bs = bdrv_next_node(bs))) {
        if (bdrv_is_root(bs) && !bdrv_activate_recurse(bs, errp)) {
            return false;
        }
    }
    return true;
}

/* ---- shutdown ---- */

void bdrv_close_all(void)
{
    BlockDriverState *bs;

    bdrv_drain_all();
    blk_remove_all_names();
    do {
        for (bs = bdrv_next_node(NULL); bs; bs = bdrv_next_node(bs)) {
            if (bs->monitor_owned) {
                bs->monitor_owned = false;
                bdrv_unref(bs);
                break;
            }
        }
    } while (bs);
}
