/*
 * memory-backend.h: host memory for guest RAM, and building the RAM-block
 * list.
 *
 * A memory backend (`-object memory-backend-ram|memfd|file,id=,size=,...`)
 * maps host memory when it is created.  At machine init the machine's RAM
 * becomes one RAMBlock (include/system/ramblock.h): the backend named by
 * `-machine memory-backend=ID` (the block's idstr is the backend's id), or
 * an anonymous private "pc.ram" of the -m size.
 *
 * Threads: everything here is main loop thread only, and runs before the
 * guest starts (the RAM-block list is immutable afterwards).
 */
#ifndef SYSTEM_MEMORY_BACKEND_H
#define SYSTEM_MEMORY_BACKEND_H

#include "util/osdep.h"
#include "system/ramblock.h"

/* The kinds of host memory a block can live in. */
typedef enum MemoryBackendKind {
    MEMORY_BACKEND_RAM,      /* anonymous (MAP_SHARED with share=on) */
    MEMORY_BACKEND_MEMFD,    /* memfd_create(); share defaults to on */
    MEMORY_BACKEND_FILE,     /* mem-path: a file, or a directory */
} MemoryBackendKind;

/* What a backend is made of; the parsed -object properties. */
typedef struct MemoryBackendConfig {
    MemoryBackendKind kind;
    uint64_t size;           /* bytes, > 0 */
    bool share;
    bool prealloc;           /* touch every page at creation */
    const char *mem_path;    /* MEMORY_BACKEND_FILE only */
} MemoryBackendConfig;

/* A host mapping for guest RAM, before or after it becomes a block. */
typedef struct RAMHostMap {
    uint8_t *host;           /* mmap()ed, size bytes */
    uint64_t size;           /* a multiple of TARGET_PAGE_SIZE */
    int fd;                  /* memfd or file, else -1 */
    bool shared;             /* MAP_SHARED */
} RAMHostMap;

/**
 * ram_host_map:
 * @id: the memory's name, for messages
 * @cfg: what to map
 * @map: (out caller-allocates): the mapping
 * @errp: `cannot set up guest memory 'ID': REASON` (a size above host
 *     memory + swap, an open or mmap failure)
 *
 * Maps host memory as @cfg says (the size rounded up to whole pages) and
 * preallocates it when asked.
 *
 * Returns: whether @map was filled in.
 */
bool ram_host_map(const char *id, const MemoryBackendConfig *cfg,
                  RAMHostMap *map, GError **errp);

/**
 * ram_host_unmap:
 * @map: a mapping from ram_host_map(); its members are released
 */
void ram_host_unmap(RAMHostMap *map);

/**
 * ram_block_add_mapped:
 * @idstr: the block's id (1 to 255 bytes), unique
 * @map: (transfer full): the memory; cleared on success
 * @errp: `RAM block 'ID' already exists`, or an invalid id
 *
 * Appends a block for @map to the RAM-block list (before the guest
 * starts).
 *
 * Returns: (transfer none): the block, or NULL on error (@map untouched).
 */
RAMBlock *ram_block_add_mapped(const char *idstr, RAMHostMap *map,
                               GError **errp);

/**
 * ram_block_add:
 * @idstr: the block's id
 * @cfg: the host memory to map
 * @errp: an error of ram_host_map() or ram_block_add_mapped()
 *
 * ram_host_map() then ram_block_add_mapped().
 *
 * Returns: (transfer none): the block, or NULL on error.
 */
RAMBlock *ram_block_add(const char *idstr, const MemoryBackendConfig *cfg,
                        GError **errp);

/**
 * ram_block_list_reset:
 *
 * Unmaps every block and empties the list.  Only when no thread uses guest
 * RAM (process exit, tests).
 */
void ram_block_list_reset(void);

/**
 * ram_block_page_host:
 * @rb: a block
 * @page: a page index below @rb->pages
 *
 * Returns: the host address of the page.  Any thread.
 */
static inline uint8_t *ram_block_page_host(RAMBlock *rb, uint64_t page)
{
    return rb->host + (page << TARGET_PAGE_BITS);
}

/**
 * memory_backend_register_types:
 *
 * Registers memory-backend-ram, -memfd and -file with the -object registry
 * (include/system/user-creatable.h).  Call once before parsing the command
 * line.
 */
void memory_backend_register_types(void);

/**
 * memory_backend_new:
 * @id: the object id
 * @cfg: what to map
 * @errp: `Duplicate ID 'ID' for object`, `can't create backend with size
 *     0`, `mem-path property not set`, or a mapping error
 *
 * Creates a backend and maps its memory (QEMU allocates at creation too).
 *
 * Returns: whether it was created.
 */
bool memory_backend_new(const char *id, const MemoryBackendConfig *cfg,
                        GError **errp);

/**
 * memory_backend_get_size:
 * @id: a backend id
 *
 * Returns: its size in bytes, or 0 if there is no backend @id.
 */
uint64_t memory_backend_get_size(const char *id);

/**
 * machine_ram_init:
 * @backend_id: (nullable): `-machine memory-backend=ID`
 * @ram_size: (inout): the -m size; set to the backend's size when
 *     @ram_size_set is false
 * @ram_size_set: whether -m was given
 * @errp: `Memory backend 'ID' not found`, `Size specified by -m option
 *     must match size of explicitly specified 'memory-backend' property`,
 *     `memory backend 'ID' can't be used multiple times`, or a mapping
 *     error
 *
 * Builds the machine's RAM-block list: the backend's block, or "pc.ram".
 *
 * Returns: whether the guest RAM exists.
 */
bool machine_ram_init(const char *backend_id, uint64_t *ram_size,
                      bool ram_size_set, GError **errp);

/**
 * memory_backend_reset:
 *
 * Forgets every backend (unmapping those not used by a block).  Tests and
 * process exit.
 */
void memory_backend_reset(void);

#endif /* SYSTEM_MEMORY_BACKEND_H */
