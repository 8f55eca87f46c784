/*
 * physmem.c: guest RAM blocks, their host mappings and dirty bitmaps.
 *
 * The block list is built in the main thread before the guest starts and
 * never changes afterwards, so readers in any thread walk it without a
 * lock.  Dirty bits are set and fetched with atomics (see ramblock.h for
 * the release/acquire pairing that keeps a page from being lost or torn).
 */
#include "util/osdep.h"
#include "util/error.h"
#include "system/memory-backend.h"
#include "trace-system.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define BITS_PER_LONG (sizeof(unsigned long) * CHAR_BIT)
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)

/* The list; written only before the guest starts (main thread). */
static RAMBlock *ram_list_head;
static RAMBlock *ram_list_tail;

/* Whether guest writers set dirty bits; atomic. */
static bool dirty_tracking;

RAMBlock *ram_block_first(void)
{
    return ram_list_head;
}

RAMBlock *ram_block_by_name(const char *idstr)
{
    RAMBLOCK_FOREACH(rb) {
        if (g_str_equal(rb->idstr, idstr)) {
            return rb;
        }
    }
    return NULL;
}

unsigned ram_block_count(void)
{
    unsigned n = 0;

    RAMBLOCK_FOREACH(rb) {
        n++;
    }
    return n;
}

uint64_t ram_bytes_total(void)
{
    uint64_t total = 0;

    RAMBLOCK_FOREACH(rb) {
        total += rb->used_length;
    }
    return total;
}

/* The most bytes @cfg can sensibly map: host RAM + swap, or the file's
 * filesystem size for file-backed memory. */
static uint64_t ram_host_limit(const MemoryBackendConfig *cfg, int fd)
{
    struct sysinfo si;
    struct statvfs vfs;

    if (cfg->kind == MEMORY_BACKEND_FILE && fd >= 0 &&
        fstatvfs(fd, &vfs) == 0 && vfs.f_blocks) {
        return (uint64_t)vfs.f_blocks * vfs.f_frsize;
    }
    if (sysinfo(&si) < 0) {
        return UINT64_MAX;
    }
    return ((uint64_t)si.totalram + si.totalswap) * si.mem_unit;
}

/* Opens @cfg->mem_path: a file, or a new unlinked file in a directory. */
static int ram_file_open(const MemoryBackendConfig *cfg, GError **errp)
{
    struct stat st;
    int fd;

    if (stat(cfg->mem_path, &st) == 0 && S_ISDIR(st.st_mode)) {
        g_autofree char *tmpl = g_build_filename(cfg->mem_path,
                                                 "tern_back_mem.XXXXXX", NULL);

        fd = g_mkstemp_full(tmpl, O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0) {
            error_setg_errno(errp, errno, "unable to create backing store "
                             "for path '%s'", cfg->mem_path);
            return -1;
        }
        unlink(tmpl);
        return fd;
    }
    fd = open(cfg->mem_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        error_setg_errno(errp, errno, "can't open backing store %s",
                         cfg->mem_path);
    }
    return fd;
}

/* Gives @fd its size: grows an empty file, refuses a short one. */
static bool ram_fd_size(int fd, uint64_t size, GError **errp)
{
    struct stat st;

    if (fstat(fd, &st) < 0) {
        error_setg_errno(errp, errno, "cannot stat backing store");
        return false;
    }
    if (st.st_size > 0 && (uint64_t)st.st_size < size) {
        error_setg(errp, "backing store size 0x%" PRIx64 " does not match "
                   "'size' option 0x%" PRIx64, (uint64_t)st.st_size, size);
        return false;
    }
    if ((uint64_t)st.st_size < size && ftruncate(fd, size) < 0) {
        error_setg_errno(errp, errno, "cannot resize backing store");
        return false;
    }
    return true;
}

/* An fd for @cfg (-1 for anonymous memory), sized. */
static int ram_host_fd(const char *id, const MemoryBackendConfig *cfg,
                       uint64_t size, GError **errp)
{
    int fd;

    switch (cfg->kind) {
    case MEMORY_BACKEND_RAM:
        return -1;
    case MEMORY_BACKEND_MEMFD:
        fd = memfd_create(id, MFD_CLOEXEC);
        if (fd < 0) {
            error_setg_errno(errp, errno, "cannot create memfd");
            return -2;
        }
        break;
    default:
        fd = ram_file_open(cfg, errp);
        if (fd < 0) {
            return -2;
        }
        break;
    }
    if (!ram_fd_size(fd, size, errp)) {
        close(fd);
        return -2;
    }
    return fd;
}

/* Makes every page of @map resident and writable without changing data. */
static bool ram_host_prealloc(RAMHostMap *map, GError **errp)
{
    if (map->fd >= 0) {
        int ret = posix_fallocate(map->fd, 0, map->size);

        if (ret != 0 && ret != EOPNOTSUPP && ret != EINVAL) {
            error_setg_errno(errp, ret, "preallocation failed");
            return false;
        }
    }
    if (madvise(map->host, map->size, MADV_POPULATE_WRITE) == 0) {
        return true;
    }
    if (map->fd >= 0) {
        /* Shared with others maybe: read-fault only, never write. */
        for (uint64_t off = 0; off < map->size; off += TARGET_PAGE_SIZE) {
            (void)*(volatile uint8_t *)(map->host + off);
        }
        return true;
    }
    for (uint64_t off = 0; off < map->size; off += TARGET_PAGE_SIZE) {
        *(volatile uint8_t *)(map->host + off) = 0;
    }
    return true;
}

/*
 * Anonymous guest RAM: aligned to 2 MiB and marked MADV_HUGEPAGE (as QEMU
 * does), so the kernel can back it with transparent huge pages.  A guest
 * page is then faulted in 2 MiB at a time, and reading RAM the guest never
 * touched (zero-page detection in a migration) maps the huge zero page
 * instead of taking one fault per 4 KiB page.
 */
#define RAM_HOST_ALIGN (2 * 1024 * 1024)

static void *ram_host_map_anon(uint64_t size, int flags)
{
    uint64_t total = size + RAM_HOST_ALIGN;
    uint8_t *raw = mmap(NULL, total, PROT_READ | PROT_WRITE,
                        flags | MAP_ANONYMOUS, -1, 0);
    uint8_t *host;
    uint64_t head;

    if (raw == MAP_FAILED) {
        return MAP_FAILED;
    }
    host = (uint8_t *)(((uintptr_t)raw + RAM_HOST_ALIGN - 1) &
                       ~(uintptr_t)(RAM_HOST_ALIGN - 1));
    head = host - raw;
    if (head) {
        munmap(raw, head);
    }
    munmap(host + size, total - head - size);
    /* only a hint: kernels without THP simply say no */
    (void)madvise(host, size, MADV_HUGEPAGE);
    return host;
}

bool ram_host_map(const char *id, const MemoryBackendConfig *cfg,
                  RAMHostMap *map, GError **errp)
{
    uint64_t size;
    int flags = cfg->share ? MAP_SHARED : MAP_PRIVATE;
    int fd;
    void *host;

    memset(map, 0, sizeof(*map));
    map->fd = -1;
    if (cfg->size == 0 || cfg->size > UINT64_MAX - TARGET_PAGE_SIZE) {
        error_setg(errp, "cannot set up guest memory '%s': invalid size "
                   "0x%" PRIx64, id, cfg->size);
        return false;
    }
    size = (cfg->size + TARGET_PAGE_SIZE - 1) & TARGET_PAGE_MASK;
    fd = ram_host_fd(id, cfg, cfg->kind == MEMORY_BACKEND_FILE ? 0 : size,
                     errp);
    if (fd == -2) {
        error_prepend(errp, "cannot set up guest memory '%s': ", id);
        return false;
    }
    if (size > ram_host_limit(cfg, fd)) {
        error_setg(errp, "cannot set up guest memory '%s': size 0x%" PRIx64
                   " exceeds what the host can provide", id, size);
        goto fail;
    }
    if (fd >= 0 && cfg->kind == MEMORY_BACKEND_FILE &&
        !ram_fd_size(fd, size, errp)) {
        error_prepend(errp, "cannot set up guest memory '%s': ", id);
        goto fail;
    }
    host = fd < 0 ? ram_host_map_anon(size, flags)
                  : mmap(NULL, size, PROT_READ | PROT_WRITE, flags, fd, 0);
    if (host == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot set up guest memory '%s'", id);
        goto fail;
    }
    *map = (RAMHostMap) {
        .host = host, .size = size, .fd = fd, .shared = cfg->share,
    };
    if (cfg->prealloc && !ram_host_prealloc(map, errp)) {
        error_prepend(errp, "cannot set up guest memory '%s': ", id);
        ram_host_unmap(map);
        return false;
    }
    return true;

fail:
    if (fd >= 0) {
        close(fd);
    }
    return false;
}

void ram_host_unmap(RAMHostMap *map)
{
    if (map->host) {
        munmap(map->host, map->size);
    }
    if (map->fd >= 0) {
        close(map->fd);
    }
    memset(map, 0, sizeof(*map));
    map->fd = -1;
}

RAMBlock *ram_block_add_mapped(const char *idstr, RAMHostMap *map,
                               GError **errp)
{
    RAMBlock *rb;
    size_t len = strlen(idstr);

    if (len == 0 || len >= sizeof(rb->idstr)) {
        error_setg(errp, "invalid RAM block id '%s'", idstr);
        return NULL;
    }
    if (ram_block_by_name(idstr)) {
        error_setg(errp, "RAM block '%s' already exists", idstr);
        return NULL;
    }
    rb = g_new0(RAMBlock, 1);
    memcpy(rb->idstr, idstr, len + 1);
    rb->host = map->host;
    rb->used_length = map->size;
    rb->pages = map->size >> TARGET_PAGE_BITS;
    rb->fd = map->fd;
    rb->shared = map->shared;
    rb->dirty = g_new0(unsigned long, BITS_TO_LONGS(rb->pages));
    if (ram_list_tail) {
        ram_list_tail->next = rb;
    } else {
        ram_list_head = rb;
    }
    ram_list_tail = rb;
    memset(map, 0, sizeof(*map));
    map->fd = -1;
    trace_ram_block_add(rb->idstr, rb->used_length, rb->fd, rb->shared);
    return rb;
}

RAMBlock *ram_block_add(const char *idstr, const MemoryBackendConfig *cfg,
                        GError **errp)
{
    RAMHostMap map;
    RAMBlock *rb;

    if (!ram_host_map(idstr, cfg, &map, errp)) {
        return NULL;
    }
    rb = ram_block_add_mapped(idstr, &map, errp);
    if (!rb) {
        ram_host_unmap(&map);
    }
    return rb;
}

void ram_block_list_reset(void)
{
    RAMBlock *rb = ram_list_head;

    while (rb) {
        RAMBlock *next = rb->next;
        RAMHostMap map = {
            .host = rb->host, .size = rb->used_length, .fd = rb->fd,
        };

        ram_host_unmap(&map);
        g_free(rb->dirty);
        g_free(rb);
        rb = next;
    }
    ram_list_head = ram_list_tail = NULL;
    __atomic_store_n(&dirty_tracking, false, __ATOMIC_SEQ_CST);
}

void ram_block_mark_dirty(RAMBlock *rb, uint64_t page)
{
    unsigned long mask = 1UL << (page % BITS_PER_LONG);

    g_assert(page < rb->pages);
    if (!__atomic_load_n(&dirty_tracking, __ATOMIC_SEQ_CST)) {
        return;
    }
    /* Release: the page's contents are visible to whoever fetches this. */
    __atomic_fetch_or(&rb->dirty[page / BITS_PER_LONG], mask,
                      __ATOMIC_RELEASE);
}

uint64_t ram_block_sync_dirty(RAMBlock *rb, unsigned long *dest)
{
    uint64_t newly = 0;
    size_t words = BITS_TO_LONGS(rb->pages);

    for (size_t i = 0; i < words; i++) {
        unsigned long bits;

        if (!__atomic_load_n(&rb->dirty[i], __ATOMIC_RELAXED)) {
            continue;
        }
        /* Acquire: pairs with the writer's release in mark_dirty. */
        bits = __atomic_exchange_n(&rb->dirty[i], 0, __ATOMIC_ACQUIRE);
        newly += __builtin_popcountl(bits & ~dest[i]);
        dest[i] |= bits;
    }
    return newly;
}

void ram_dirty_tracking_start(void)
{
    RAMBLOCK_FOREACH(rb) {
        size_t words = BITS_TO_LONGS(rb->pages);

        for (size_t i = 0; i < words; i++) {
            __atomic_store_n(&rb->dirty[i], 0, __ATOMIC_RELAXED);
        }
    }
    __atomic_store_n(&dirty_tracking, true, __ATOMIC_SEQ_CST);
    trace_ram_dirty_tracking(true);
}

void ram_dirty_tracking_stop(void)
{
    __atomic_store_n(&dirty_tracking, false, __ATOMIC_SEQ_CST);
    trace_ram_dirty_tracking(false);
}

bool ram_dirty_tracking_enabled(void)
{
    return __atomic_load_n(&dirty_tracking, __ATOMIC_SEQ_CST);
}
