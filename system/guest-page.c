/*
 * guest-page.c: the workload's self-checking page pattern, the pass
 * consistency rule, and the RAM digest.
 *
 * Page layout (little-endian u64 words):
 *   word 0        GUEST_PAGE_MAGIC
 *   word 1        page index in its block
 *   word 2        pass (low 32 bits) | block index (high 32 bits)
 *   word 3        seed
 *   words 4..510  fill: splitmix64 stream keyed by (seed, block, page, pass)
 *   word 511      checksum of words 0..510
 */
#include "util/osdep.h"
#include "system/workload.h"

#define PAGE_WORDS (TARGET_PAGE_SIZE / sizeof(uint64_t))
#define HEADER_WORDS 4
#define SUM_WORD (PAGE_WORDS - 1)
#define GOLDEN UINT64_C(0x9e3779b97f4a7c15)

/* Digest chunk: 1 MiB of a block. */
#define DIGEST_CHUNK_PAGES (256)
#define DIGEST_MAX_THREADS 8

static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t page_key(uint64_t seed, uint32_t block, uint64_t index,
                         uint32_t pass)
{
    uint64_t k = mix64(seed + GOLDEN);

    k = mix64(k ^ (index * GOLDEN));
    return mix64(k ^ (((uint64_t)block << 32) | pass));
}

static inline uint64_t sum_step(uint64_t h, uint64_t w)
{
    return (h ^ w) * UINT64_C(0x100000001b3) + (h >> 29);
}

void guest_page_write(uint8_t *page, uint64_t seed, uint32_t block,
                      uint64_t index, uint32_t pass)
{
    uint64_t words[PAGE_WORDS];
    uint64_t s = page_key(seed, block, index, pass);
    uint64_t h = 0;

    words[0] = GUEST_PAGE_MAGIC;
    words[1] = index;
    words[2] = ((uint64_t)block << 32) | pass;
    words[3] = seed;
    for (size_t i = HEADER_WORDS; i < SUM_WORD; i++) {
        s += GOLDEN;
        words[i] = mix64(s);
    }
    for (size_t i = 0; i < SUM_WORD; i++) {
        h = sum_step(h, words[i]);
    }
    words[SUM_WORD] = h;
    for (size_t i = 0; i < PAGE_WORDS; i++) {
        words[i] = GUINT64_TO_LE(words[i]);
    }
    memcpy(page, words, sizeof(words));
}

static bool page_is_zero(const uint64_t *words)
{
    uint64_t acc = 0;

    for (size_t i = 0; i < PAGE_WORDS; i++) {
        acc |= words[i];
    }
    return acc == 0;
}

int64_t guest_page_check(const uint8_t *page, uint32_t block,
                         uint64_t index)
{
    uint64_t w[PAGE_WORDS];
    uint64_t s, h = 0;
    uint32_t pass;

    memcpy(w, page, sizeof(w));
    if (page_is_zero(w)) {
        return 0;
    }
    for (size_t i = 0; i < PAGE_WORDS; i++) {
        w[i] = GUINT64_FROM_LE(w[i]);
    }
    pass = (uint32_t)w[2];
    if (w[0] != GUEST_PAGE_MAGIC || w[1] != index ||
        (w[2] >> 32) != block || pass == 0) {
        return -1;
    }
    s = page_key(w[3], block, index, pass);
    for (size_t i = 0; i < SUM_WORD; i++) {
        if (i >= HEADER_WORDS) {
            s += GOLDEN;
            if (w[i] != mix64(s)) {
                return -1;
            }
        }
        h = sum_step(h, w[i]);
    }
    return h == w[SUM_WORD] ? (int64_t)pass : -1;
}

void guest_pass_run_init(GuestPassRun *run)
{
    *run = (GuestPassRun) { .empty = true };
}

/* Accounts for the pass going from @run->last to @pass. */
static void pass_run_step(GuestPassRun *run, uint32_t pass)
{
    if (pass > run->last || run->last - pass > 1) {
        run->bad = true;
    } else if (pass < run->last) {
        run->steps++;
    }
}

void guest_pass_run_add(GuestPassRun *run, int64_t pass)
{
    if (pass < 0 || pass > UINT32_MAX) {
        run->bad = true;
        return;
    }
    if (run->empty) {
        run->empty = false;
        run->first = pass;
    } else {
        pass_run_step(run, pass);
    }
    run->last = pass;
}

void guest_pass_run_join(GuestPassRun *run, const GuestPassRun *next)
{
    if (next->empty) {
        run->bad |= next->bad;
        return;
    }
    if (run->empty) {
        bool bad = run->bad;

        *run = *next;
        run->bad |= bad;
        return;
    }
    pass_run_step(run, next->first);
    run->bad |= next->bad;
    run->steps += next->steps;
    run->last = next->last;
}

bool guest_pass_run_consistent(const GuestPassRun *run)
{
    return !run->bad && run->steps <= 1;
}

/* One chunk of the digest and its result. */
typedef struct DigestChunk {
    RAMBlock *rb;
    uint32_t block;
    uint64_t first_page;
    uint64_t npages;
    uint8_t sha[32];
    GuestPassRun run;
} DigestChunk;

typedef struct DigestJob {
    DigestChunk *chunks;
    size_t nchunks;
    size_t next;             /* atomic: the next chunk to take */
} DigestJob;

static void digest_chunk(DigestChunk *c)
{
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    gsize len = sizeof(c->sha);
    const uint8_t *host = c->rb->host + (c->first_page << TARGET_PAGE_BITS);

    g_checksum_update(sum, host, c->npages << TARGET_PAGE_BITS);
    g_checksum_get_digest(sum, c->sha, &len);
    g_checksum_free(sum);
    guest_pass_run_init(&c->run);
    for (uint64_t i = 0; i < c->npages; i++) {
        guest_pass_run_add(&c->run,
                           guest_page_check(host + (i << TARGET_PAGE_BITS),
                                            c->block, c->first_page + i));
    }
}

static gpointer digest_worker(gpointer opaque)
{
    DigestJob *job = opaque;
    size_t i;

    while ((i = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED)) <
           job->nchunks) {
        digest_chunk(&job->chunks[i]);
    }
    return NULL;
}

/* Splits guest RAM into chunks, in RAM-block order. */
static DigestChunk *digest_chunks(size_t *nchunks)
{
    size_t n = 0, i = 0;
    uint32_t block = 0;
    DigestChunk *chunks;

    RAMBLOCK_FOREACH(rb) {
        n += (rb->pages + DIGEST_CHUNK_PAGES - 1) / DIGEST_CHUNK_PAGES;
    }
    chunks = g_new0(DigestChunk, n);
    RAMBLOCK_FOREACH(rb) {
        for (uint64_t p = 0; p < rb->pages; p += DIGEST_CHUNK_PAGES) {
            chunks[i++] = (DigestChunk) {
                .rb = rb, .block = block, .first_page = p,
                .npages = MIN(DIGEST_CHUNK_PAGES, rb->pages - p),
            };
        }
        block++;
    }
    *nchunks = n;
    return chunks;
}

char *guest_ram_digest(bool *consistent)
{
    DigestJob job = { 0 };
    GThread *threads[DIGEST_MAX_THREADS];
    unsigned nthreads;
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    GuestPassRun run;
    char *hex;

    job.chunks = digest_chunks(&job.nchunks);
    nthreads = MIN(MIN(g_get_num_processors(), DIGEST_MAX_THREADS),
                   MAX(job.nchunks, 1));
    for (unsigned t = 1; t < nthreads; t++) {
        threads[t] = g_thread_new("ram-digest", digest_worker, &job);
    }
    digest_worker(&job);
    for (unsigned t = 1; t < nthreads; t++) {
        g_thread_join(threads[t]);
    }
    guest_pass_run_init(&run);
    for (size_t i = 0; i < job.nchunks; i++) {
        g_checksum_update(sum, job.chunks[i].sha, sizeof(job.chunks[i].sha));
        guest_pass_run_join(&run, &job.chunks[i].run);
    }
    if (consistent) {
        *consistent = guest_pass_run_consistent(&run);
    }
    hex = g_strdup(g_checksum_get_string(sum));
    g_checksum_free(sum);
    g_free(job.chunks);
    return hex;
}
