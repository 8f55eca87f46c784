/*
 * multifd.c: RAM packets and the multifd sender and receiver threads.
 *
 * The packet code is shared by the main channel (ram.c) and the multifd
 * channels: one format, one engine.  See multifd-int.h for the layout and
 * docs/devel/migration-ram.md for the threads and the SYNC barrier.
 */
#include "util/osdep.h"
#include "util/buffer-is-zero.h"
#include "util/crc32c.h"
#include "util/error.h"
#include "io/channel.h"
#include "migration/qemu-file.h"
#include "migration/migration-stats.h"
#include "migration/multifd.h"
#include "migration/multifd-int.h"
#include "trace-migration.h"

/* ---- packets ---- */

static void put_be16(uint8_t *p, uint16_t v)
{
    v = GUINT16_TO_BE(v);
    memcpy(p, &v, sizeof(v));
}

static void put_be32(uint8_t *p, uint32_t v)
{
    v = GUINT32_TO_BE(v);
    memcpy(p, &v, sizeof(v));
}

static void put_be64(uint8_t *p, uint64_t v)
{
    v = GUINT64_TO_BE(v);
    memcpy(p, &v, sizeof(v));
}

static uint16_t get_be16(const uint8_t *p)
{
    uint16_t v;

    memcpy(&v, p, sizeof(v));
    return GUINT16_FROM_BE(v);
}

static uint32_t get_be32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, sizeof(v));
    return GUINT32_FROM_BE(v);
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return GUINT64_FROM_BE(v);
}

static void ram_packet_put_hdr(uint8_t *p, RamPacketType type,
                               uint16_t count, uint32_t block, uint64_t seq)
{
    p[0] = type;
    p[1] = 0;
    put_be16(p + 2, count);
    put_be32(p + 4, block);
    put_be64(p + 8, seq);
}

RamBatch *ram_batch_new(void)
{
    RamBatch *b = g_new0(RamBatch, 1);

    b->bounce = g_aligned_alloc(RAM_BATCH_MAX_PAGES, TARGET_PAGE_SIZE,
                                TARGET_PAGE_SIZE);
    return b;
}

void ram_batch_free(RamBatch *b)
{
    if (b) {
        g_aligned_free(b->bounce);
        g_free(b);
    }
}

void ram_batch_encode(RamBatch *b, uint64_t seq)
{
    uint8_t *ent = b->hdr + RAM_PKT_HDR_SIZE;
    uint32_t crc;

    g_assert(b->count > 0 && b->count <= RAM_BATCH_MAX_PAGES);
    ram_packet_put_hdr(b->hdr, RAM_PKT_PAGES, b->count, b->block, seq);
    b->niov = 1;
    b->normal = 0;
    b->zero = 0;
    for (unsigned i = 0; i < b->count; i++) {
        uint8_t *host = b->rb->host + (b->page[i] << TARGET_PAGE_BITS);

        if (buffer_is_zero(host, TARGET_PAGE_SIZE)) {
            put_be64(ent + 8 * i, b->page[i] | RAM_PKT_ZERO_FLAG);
            b->zero++;
            continue;
        }
        put_be64(ent + 8 * i, b->page[i]);
        if (b->copy) {
            uint8_t *dst = b->bounce + b->normal * TARGET_PAGE_SIZE;

            memcpy(dst, host, TARGET_PAGE_SIZE);
            host = dst;
        }
        b->iov[b->niov].iov_base = host;
        b->iov[b->niov].iov_len = TARGET_PAGE_SIZE;
        b->niov++;
        b->normal++;
    }
    b->iov[0].iov_base = b->hdr;
    b->iov[0].iov_len = RAM_PKT_HDR_SIZE + 8 * b->count;
    crc = crc32c(0, b->hdr, b->iov[0].iov_len);
    for (unsigned i = 1; i < b->niov; i++) {
        crc = crc32c(crc, b->iov[i].iov_base, TARGET_PAGE_SIZE);
    }
    put_be32(b->crc, crc);
    b->iov[b->niov].iov_base = b->crc;
    b->iov[b->niov].iov_len = sizeof(b->crc);
    b->niov++;
    b->bytes = b->iov[0].iov_len + b->normal * TARGET_PAGE_SIZE +
               sizeof(b->crc);
}

size_t ram_packet_encode_ctrl(uint8_t buf[RAM_PKT_HDR_SIZE + 4],
                              RamPacketType type, uint64_t seq)
{
    ram_packet_put_hdr(buf, type, 0, 0, seq);
    put_be32(buf + RAM_PKT_HDR_SIZE, crc32c(0, buf, RAM_PKT_HDR_SIZE));
    return RAM_PKT_HDR_SIZE + 4;
}

bool ram_packet_parse_hdr(const uint8_t raw[RAM_PKT_HDR_SIZE],
                          RamPacketHdr *h, GError **errp)
{
    h->type = raw[0];
    h->count = get_be16(raw + 2);
    h->block = get_be32(raw + 4);
    h->seq = get_be64(raw + 8);
    if (h->type >= RAM_PKT__MAX || raw[1] != 0) {
        error_setg(errp, "invalid RAM packet (type %u, flags 0x%x)",
                   raw[0], raw[1]);
        return false;
    }
    if (h->type == RAM_PKT_PAGES &&
        (h->count == 0 || h->count > RAM_BATCH_MAX_PAGES)) {
        error_setg(errp, "invalid RAM packet page count %u", h->count);
        return false;
    }
    if (h->type != RAM_PKT_PAGES && (h->count || h->block)) {
        error_setg(errp, "invalid RAM packet (type %u with pages)", h->type);
        return false;
    }
    return true;
}

bool ram_packet_read_qemufile(void *opaque, const struct iovec *iov,
                              unsigned niov, GError **errp)
{
    QEMUFile *f = opaque;

    for (unsigned i = 0; i < niov; i++) {
        if (qemu_get_buffer(f, iov[i].iov_base, iov[i].iov_len) !=
            iov[i].iov_len) {
            if (!qemu_file_get_error_obj(f, errp)) {
                error_setg(errp, "unexpected end of migration stream");
            }
            return false;
        }
    }
    return true;
}

bool ram_packet_read_channel(void *opaque, const struct iovec *iov,
                             unsigned niov, GError **errp)
{
    return qio_channel_readv_all(opaque, iov, niov, errp) == 0;
}

static bool ram_packet_check_crc(uint32_t crc, const uint8_t *raw,
                                 GError **errp)
{
    if (crc != get_be32(raw)) {
        error_setg(errp, "RAM packet checksum mismatch "
                   "(computed 0x%08" PRIx32 ", stream has 0x%08" PRIx32 ")",
                   crc, get_be32(raw));
        return false;
    }
    return true;
}

bool ram_packet_check_ctrl_crc(const uint8_t raw[RAM_PKT_HDR_SIZE],
                               RamPacketReadFn *read, void *opaque,
                               GError **errp)
{
    uint8_t crcbuf[4];
    struct iovec iov = { .iov_base = crcbuf, .iov_len = sizeof(crcbuf) };

    return read(opaque, &iov, 1, errp) &&
           ram_packet_check_crc(crc32c(0, raw, RAM_PKT_HDR_SIZE), crcbuf,
                                errp);
}

/* Bounds-checks the entries; fills @iov (data + CRC) and @zero. */
static bool ram_packet_map_entries(const RamPacketHdr *h, const uint8_t *ent,
                                   RAMBlock *rb, struct iovec *iov,
                                   unsigned *niov, uint64_t *zero,
                                   unsigned *nzero, GError **errp)
{
    *niov = 0;
    *nzero = 0;
    for (unsigned i = 0; i < h->count; i++) {
        uint64_t e = get_be64(ent + 8 * i);
        uint64_t page = e & ~RAM_PKT_ZERO_FLAG;

        if (page >= rb->pages) {
            error_setg(errp, "RAM page %" PRIu64 " is out of range of "
                       "block '%s' (%" PRIu64 " pages)",
                       page, rb->idstr, rb->pages);
            return false;
        }
        if (e & RAM_PKT_ZERO_FLAG) {
            zero[(*nzero)++] = page;
        } else {
            iov[*niov].iov_base = rb->host + (page << TARGET_PAGE_BITS);
            iov[*niov].iov_len = TARGET_PAGE_SIZE;
            (*niov)++;
        }
    }
    return true;
}

bool ram_packet_load_pages(const RamPacketHdr *h,
                           const uint8_t raw[RAM_PKT_HDR_SIZE],
                           RAMBlock *rb, RamPacketReadFn *read,
                           void *opaque, GError **errp)
{
    uint8_t ent[8 * RAM_BATCH_MAX_PAGES];
    struct iovec iov[RAM_BATCH_MAX_PAGES + 1];
    uint64_t zero[RAM_BATCH_MAX_PAGES];
    struct iovec eiov = { .iov_base = ent, .iov_len = 8 * h->count };
    uint8_t crcbuf[4];
    unsigned niov;
    unsigned nzero;
    uint32_t crc;

    if (!rb) {
        error_setg(errp, "RAM pages for block %u, which takes none",
                   h->block);
        return false;
    }
    if (!read(opaque, &eiov, 1, errp) ||
        !ram_packet_map_entries(h, ent, rb, iov, &niov, zero, &nzero,
                                errp)) {
        return false;
    }
    iov[niov].iov_base = crcbuf;
    iov[niov].iov_len = sizeof(crcbuf);
    if (!read(opaque, iov, niov + 1, errp)) {
        return false;
    }
    crc = crc32c(0, raw, RAM_PKT_HDR_SIZE);
    crc = crc32c(crc, ent, eiov.iov_len);
    for (unsigned i = 0; i < niov; i++) {
        crc = crc32c(crc, iov[i].iov_base, TARGET_PAGE_SIZE);
    }
    if (!ram_packet_check_crc(crc, crcbuf, errp)) {
        g_prefix_error(errp, "RAM block '%s': ", rb->idstr);
        return false;
    }
    for (unsigned i = 0; i < nzero; i++) {
        uint8_t *host = rb->host + (zero[i] << TARGET_PAGE_BITS);

        if (!buffer_is_zero(host, TARGET_PAGE_SIZE)) {
            memset(host, 0, TARGET_PAGE_SIZE);
        }
    }
    return true;
}

void ram_batch_account(const RamBatch *b, bool multifd)
{
    if (multifd) {
        migration_rate_account(b->bytes);
        mig_stats_add(multifd_bytes, b->bytes);
    }
    mig_stats_add(normal_pages, b->normal);
    mig_stats_add(zero_pages, b->zero);
}

/* ---- source: sender threads ---- */

typedef enum MultiFDJob {
    MFD_IDLE,
    MFD_PAGES,
    MFD_SYNC,
    MFD_EOS,
} MultiFDJob;

typedef struct MultiFDSendChannel {
    uint32_t index;
    QIOChannel *ioc;        /* immutable while the threads run */
    GThread *thread;
    GCond cond;             /* a job was posted, or quit */
    MultiFDJob job;         /* send.lock */
    uint64_t seq;           /* send.lock: SYNC number of the job */
    RamBatch *batch;        /* send.lock; the sender's while job != IDLE */
    uint64_t packets;       /* sender thread only */
} MultiFDSendChannel;

static struct {
    GMutex lock;
    GCond idle;             /* a job finished, or a sender failed */
    MultiFDSendChannel *ch; /* n entries; set up/torn down by one thread */
    int n;
    int next;               /* migration thread: round robin */
    bool quit;              /* lock */
    GError *error;          /* lock: the first sender error */
} send_state;

int multifd_send_channels(void)
{
    return send_state.n;
}

static void multifd_send_fail_locked(GError *err)
{
    if (!send_state.error) {
        send_state.error = g_error_copy(err);
        migration_set_error(g_error_copy(err));
    }
    g_cond_broadcast(&send_state.idle);
}

static bool multifd_send_write(MultiFDSendChannel *c, const struct iovec *iov,
                               unsigned niov, GError **errp)
{
    if (qio_channel_writev_all(c->ioc, iov, niov, errp) < 0) {
        g_prefix_error(errp, "multifd channel %u: ", c->index);
        return false;
    }
    return true;
}

static bool multifd_send_channel_header(MultiFDSendChannel *c, GError **errp)
{
    uint8_t hdr[MULTIFD_HDR_SIZE];
    struct iovec iov = { .iov_base = hdr, .iov_len = sizeof(hdr) };

    memcpy(hdr, MULTIFD_MAGIC, 8);
    put_be32(hdr + 8, MULTIFD_VERSION);
    put_be32(hdr + 12, c->index);
    if (!multifd_send_write(c, &iov, 1, errp)) {
        return false;
    }
    migration_rate_account(sizeof(hdr));
    mig_stats_add(multifd_bytes, sizeof(hdr));
    return true;
}

static bool multifd_send_job(MultiFDSendChannel *c, MultiFDJob job,
                             uint64_t seq, GError **errp)
{
    uint8_t buf[RAM_PKT_HDR_SIZE + 4];
    struct iovec iov;

    if (job == MFD_PAGES) {
        RamBatch *b = c->batch;

        ram_batch_encode(b, ++c->packets);
        if (!multifd_send_write(c, b->iov, b->niov, errp)) {
            return false;
        }
        ram_batch_account(b, true);
        return true;
    }
    iov.iov_base = buf;
    iov.iov_len = ram_packet_encode_ctrl(buf, job == MFD_SYNC ?
                                         RAM_PKT_SYNC : RAM_PKT_EOS, seq);
    if (!multifd_send_write(c, &iov, 1, errp)) {
        return false;
    }
    trace_multifd_send_ctrl(c->index, job, seq);
    migration_rate_account(iov.iov_len);
    mig_stats_add(multifd_bytes, iov.iov_len);
    return true;
}

static gpointer multifd_send_thread(gpointer opaque)
{
    MultiFDSendChannel *c = opaque;
    GError *err = NULL;
    bool ok = multifd_send_channel_header(c, &err);

    trace_multifd_send_thread_start(c->index);
    g_mutex_lock(&send_state.lock);
    while (ok) {
        MultiFDJob job;
        uint64_t seq;

        while (c->job == MFD_IDLE && !send_state.quit) {
            g_cond_wait(&c->cond, &send_state.lock);
        }
        if (c->job == MFD_IDLE) {
            break;
        }
        job = c->job;
        seq = c->seq;
        g_mutex_unlock(&send_state.lock);
        ok = multifd_send_job(c, job, seq, &err);
        g_mutex_lock(&send_state.lock);
        c->job = MFD_IDLE;
        g_cond_broadcast(&send_state.idle);
    }
    if (!ok) {
        multifd_send_fail_locked(err);
    }
    g_mutex_unlock(&send_state.lock);
    trace_multifd_send_thread_end(c->index, c->packets, ok);
    g_clear_error(&err);
    return NULL;
}

bool multifd_send_setup(QIOChannel **channels, int n, GError **errp)
{
    if (send_state.ch) {
        error_setg(errp, "multifd channels are already set up");
        return false;
    }
    if (n < 1 || n > 255) {
        error_setg(errp, "invalid multifd channel count %d", n);
        return false;
    }
    send_state.ch = g_new0(MultiFDSendChannel, n);
    send_state.next = 0;
    send_state.quit = false;
    for (int i = 0; i < n; i++) {
        MultiFDSendChannel *c = &send_state.ch[i];

        c->index = i;
        c->ioc = qio_channel_ref(channels[i]);
        c->batch = ram_batch_new();
        g_cond_init(&c->cond);
    }
    send_state.n = n;
    for (int i = 0; i < n; i++) {
        MultiFDSendChannel *c = &send_state.ch[i];
        g_autofree char *name = g_strdup_printf("mig/send_%d", i);

        c->thread = g_thread_try_new(name, multifd_send_thread, c, errp);
        if (!c->thread) {
            multifd_send_shutdown();
            return false;
        }
    }
    return true;
}

/* Whether the senders can take work; false + errp if not.  Lock held. */
static bool multifd_send_usable_locked(GError **errp)
{
    if (send_state.error) {
        g_propagate_error(errp, g_error_copy(send_state.error));
        return false;
    }
    if (send_state.quit || migration_is_cancelling()) {
        error_setg(errp, "migration cancelled");
        return false;
    }
    return true;
}

/*
 * Waits for a sender to finish something.  The timeout only bounds how
 * late a cancel that shut no channel down is noticed.
 */
static void multifd_send_wait_locked(void)
{
    g_cond_wait_until(&send_state.idle, &send_state.lock,
                      g_get_monotonic_time() + 100 * G_TIME_SPAN_MILLISECOND);
}

/* Waits until channel @c is idle (or failure).  Lock held. */
static bool multifd_send_wait_idle_locked(MultiFDSendChannel *c,
                                          GError **errp)
{
    while (multifd_send_usable_locked(errp)) {
        if (c->job == MFD_IDLE) {
            return true;
        }
        multifd_send_wait_locked();
    }
    return false;
}

static MultiFDSendChannel *multifd_send_find_idle_locked(void)
{
    for (int i = 0; i < send_state.n; i++) {
        MultiFDSendChannel *c =
            &send_state.ch[(send_state.next + i) % send_state.n];

        if (c->job == MFD_IDLE) {
            return c;
        }
    }
    return NULL;
}

bool multifd_send_batch(RamBatch **batch, GError **errp)
{
    MultiFDSendChannel *c = NULL;
    RamBatch *tmp;

    g_mutex_lock(&send_state.lock);
    while (multifd_send_usable_locked(errp)) {
        c = multifd_send_find_idle_locked();
        if (c) {
            tmp = c->batch;
            c->batch = *batch;
            *batch = tmp;
            c->job = MFD_PAGES;
            send_state.next = (c->index + 1) % send_state.n;
            g_cond_signal(&c->cond);
            break;
        }
        multifd_send_wait_locked();
    }
    g_mutex_unlock(&send_state.lock);
    return c != NULL;
}

static bool multifd_send_ctrl_all(MultiFDJob job, uint64_t seq, GError **errp)
{
    bool ok = true;

    g_mutex_lock(&send_state.lock);
    for (int i = 0; ok && i < send_state.n; i++) {
        MultiFDSendChannel *c = &send_state.ch[i];

        ok = multifd_send_wait_idle_locked(c, errp);
        if (ok) {
            c->job = job;
            c->seq = seq;
            g_cond_signal(&c->cond);
        }
    }
    g_mutex_unlock(&send_state.lock);
    return ok;
}

bool multifd_send_sync(uint64_t seq, GError **errp)
{
    trace_multifd_send_sync(seq);
    return multifd_send_ctrl_all(MFD_SYNC, seq, errp);
}

bool multifd_send_flush(GError **errp)
{
    bool ok = true;

    g_mutex_lock(&send_state.lock);
    for (int i = 0; ok && i < send_state.n; i++) {
        ok = multifd_send_wait_idle_locked(&send_state.ch[i], errp);
    }
    g_mutex_unlock(&send_state.lock);
    return ok;
}

bool multifd_send_finish(GError **errp)
{
    return multifd_send_ctrl_all(MFD_EOS, 0, errp) && multifd_send_flush(errp);
}

void multifd_send_shutdown(void)
{
    bool clean;

    if (!send_state.ch) {
        return;
    }
    g_mutex_lock(&send_state.lock);
    clean = !send_state.error && !migration_is_cancelling();
    for (int i = 0; i < send_state.n; i++) {
        clean = clean && send_state.ch[i].job == MFD_IDLE;
    }
    send_state.quit = true;
    for (int i = 0; i < send_state.n; i++) {
        g_cond_signal(&send_state.ch[i].cond);
    }
    g_mutex_unlock(&send_state.lock);

    for (int i = 0; i < send_state.n; i++) {
        MultiFDSendChannel *c = &send_state.ch[i];

        if (!clean) {
            qio_channel_shutdown(c->ioc, QIO_CHANNEL_SHUTDOWN_BOTH, NULL);
        }
        if (c->thread) {
            g_thread_join(c->thread);
        }
        qio_channel_unref(c->ioc);
        ram_batch_free(c->batch);
        g_cond_clear(&c->cond);
    }
    g_clear_pointer(&send_state.ch, g_free);
    send_state.n = 0;
    send_state.quit = false;
    g_clear_error(&send_state.error);
}

/* ---- destination: receiver threads ---- */

typedef struct MultiFDRecvChannel {
    uint32_t index;
    QIOChannel *ioc;        /* recv_state.lock; set once */
    GThread *thread;        /* recv_state.lock; set once */
    uint64_t synced;        /* recv_state.lock: last SYNC reached */
    bool finished;          /* recv_state.lock: EOS or error */
} MultiFDRecvChannel;

static struct {
    GMutex lock;
    GCond cond;             /* any change of the fields below */
    MultiFDRecvChannel *ch; /* n entries */
    int n;
    RAMBlock **blocks;      /* lock: the stream's blocks, once published */
    uint32_t nblocks;
    bool have_blocks;
    uint64_t released;      /* lock: last SYNC the main thread released */
    bool quit;              /* lock */
    GError *error;          /* lock: the first receiver error */
} recv_state;

int multifd_recv_channels(void)
{
    return recv_state.n;
}

bool multifd_recv_setup(int n, GError **errp)
{
    if (recv_state.ch) {
        error_setg(errp, "multifd receive is already set up");
        return false;
    }
    if (n < 1 || n > 255) {
        error_setg(errp, "invalid multifd channel count %d", n);
        return false;
    }
    g_mutex_lock(&recv_state.lock);
    recv_state.ch = g_new0(MultiFDRecvChannel, n);
    for (int i = 0; i < n; i++) {
        recv_state.ch[i].index = i;
    }
    recv_state.n = n;
    recv_state.released = 0;
    recv_state.quit = false;
    g_mutex_unlock(&recv_state.lock);
    return true;
}

/* Shuts every connected channel down so that blocked readers return. */
static void multifd_recv_kick_locked(void)
{
    for (int i = 0; i < recv_state.n; i++) {
        if (recv_state.ch[i].ioc) {
            qio_channel_shutdown(recv_state.ch[i].ioc,
                                 QIO_CHANNEL_SHUTDOWN_BOTH, NULL);
        }
    }
    g_cond_broadcast(&recv_state.cond);
}

/* Whether receivers may go on; false + errp on failure or shutdown. */
static bool multifd_recv_usable_locked(GError **errp)
{
    if (recv_state.error) {
        g_propagate_error(errp, g_error_copy(recv_state.error));
        return false;
    }
    if (recv_state.quit) {
        error_setg(errp, "multifd receive was shut down");
        return false;
    }
    return true;
}

static bool multifd_recv_channel_header(MultiFDRecvChannel *c, GError **errp)
{
    uint8_t hdr[MULTIFD_HDR_SIZE];

    if (qio_channel_read_all(c->ioc, (char *)hdr, sizeof(hdr), errp) < 0) {
        return false;
    }
    if (memcmp(hdr, MULTIFD_MAGIC, 8) != 0) {
        error_setg(errp, "not a tern multifd channel");
        return false;
    }
    if (get_be32(hdr + 8) != MULTIFD_VERSION) {
        error_setg(errp, "unsupported multifd channel version %" PRIu32,
                   get_be32(hdr + 8));
        return false;
    }
    if (get_be32(hdr + 12) != c->index) {
        error_setg(errp, "multifd channel header says index %" PRIu32,
                   get_be32(hdr + 12));
        return false;
    }
    return true;
}

static bool multifd_recv_get_block(uint32_t idx, RAMBlock **rb, GError **errp)
{
    bool ok;

    g_mutex_lock(&recv_state.lock);
    while ((ok = multifd_recv_usable_locked(errp)) && !recv_state.have_blocks) {
        g_cond_wait(&recv_state.cond, &recv_state.lock);
    }
    if (ok && idx >= recv_state.nblocks) {
        error_setg(errp, "RAM block index %" PRIu32 " out of range", idx);
        ok = false;
    }
    *rb = ok ? recv_state.blocks[idx] : NULL;
    g_mutex_unlock(&recv_state.lock);
    return ok;
}

/* A receiver reached SYNC @seq: wait for the main thread's release. */
static bool multifd_recv_sync_thread(MultiFDRecvChannel *c, uint64_t seq,
                                     GError **errp)
{
    bool ok = true;

    g_mutex_lock(&recv_state.lock);
    if (seq != c->synced + 1) {
        error_setg(errp, "SYNC %" PRIu64 " out of order (expected %" PRIu64
                   ")", seq, c->synced + 1);
        ok = false;
    } else {
        c->synced = seq;
        g_cond_broadcast(&recv_state.cond);
        while ((ok = multifd_recv_usable_locked(errp)) &&
               recv_state.released < seq) {
            g_cond_wait(&recv_state.cond, &recv_state.lock);
        }
    }
    g_mutex_unlock(&recv_state.lock);
    trace_multifd_recv_sync(c->index, seq);
    return ok;
}

/* One packet.  Returns 1 to go on, 0 after EOS, -1 on error. */
static int multifd_recv_packet(MultiFDRecvChannel *c, GError **errp)
{
    uint8_t raw[RAM_PKT_HDR_SIZE];
    struct iovec iov = { .iov_base = raw, .iov_len = sizeof(raw) };
    RamPacketHdr h;
    RAMBlock *rb;

    if (!ram_packet_read_channel(c->ioc, &iov, 1, errp) ||
        !ram_packet_parse_hdr(raw, &h, errp)) {
        return -1;
    }
    switch (h.type) {
    case RAM_PKT_PAGES:
        return multifd_recv_get_block(h.block, &rb, errp) &&
               ram_packet_load_pages(&h, raw, rb, ram_packet_read_channel,
                                     c->ioc, errp) ? 1 : -1;
    case RAM_PKT_SYNC:
        return ram_packet_check_ctrl_crc(raw, ram_packet_read_channel,
                                         c->ioc, errp) &&
               multifd_recv_sync_thread(c, h.seq, errp) ? 1 : -1;
    case RAM_PKT_EOS:
        return ram_packet_check_ctrl_crc(raw, ram_packet_read_channel,
                                         c->ioc, errp) ? 0 : -1;
    default:
        error_setg(errp, "unexpected RAM packet type %u", h.type);
        return -1;
    }
}

static gpointer multifd_recv_thread(gpointer opaque)
{
    MultiFDRecvChannel *c = opaque;
    GError *err = NULL;
    int ret = multifd_recv_channel_header(c, &err) ? 1 : -1;
    uint64_t packets = 0;

    trace_multifd_recv_thread_start(c->index);
    while (ret > 0) {
        ret = multifd_recv_packet(c, &err);
        packets++;
    }
    g_mutex_lock(&recv_state.lock);
    c->finished = true;
    if (ret < 0 && !recv_state.error && !recv_state.quit) {
        g_prefix_error(&err, "multifd channel %u: ", c->index);
        recv_state.error = g_steal_pointer(&err);
        multifd_recv_kick_locked();
    }
    g_cond_broadcast(&recv_state.cond);
    g_mutex_unlock(&recv_state.lock);
    trace_multifd_recv_thread_end(c->index, packets, ret == 0);
    g_clear_error(&err);
    return NULL;
}

bool multifd_recv_new_channel(QIOChannel *ioc, uint32_t index, GError **errp)
{
    MultiFDRecvChannel *c;
    g_autofree char *name = g_strdup_printf("mig/recv_%u", index);
    bool ok = false;

    g_mutex_lock(&recv_state.lock);
    if (!recv_state.ch || recv_state.quit) {
        error_setg(errp, "unexpected multifd channel %u", index);
    } else if (index >= recv_state.n) {
        error_setg(errp, "multifd channel index %u out of range (%d "
                   "channels)", index, recv_state.n);
    } else if (recv_state.ch[index].ioc) {
        error_setg(errp, "multifd channel %u connected twice", index);
    } else {
        c = &recv_state.ch[index];
        c->ioc = qio_channel_ref(ioc);
        c->thread = g_thread_try_new(name, multifd_recv_thread, c, errp);
        if (!c->thread) {
            g_clear_pointer(&c->ioc, qio_channel_unref);
        }
        ok = c->thread != NULL;
        g_cond_broadcast(&recv_state.cond);
    }
    g_mutex_unlock(&recv_state.lock);
    return ok;
}

bool multifd_recv_all_channels_created(void)
{
    bool all = true;

    g_mutex_lock(&recv_state.lock);
    for (int i = 0; i < recv_state.n; i++) {
        all = all && recv_state.ch[i].ioc;
    }
    g_mutex_unlock(&recv_state.lock);
    return all;
}

void multifd_recv_set_blocks(RAMBlock **blocks, uint32_t n)
{
    g_mutex_lock(&recv_state.lock);
    recv_state.blocks = blocks;
    recv_state.nblocks = n;
    recv_state.have_blocks = true;
    g_cond_broadcast(&recv_state.cond);
    g_mutex_unlock(&recv_state.lock);
}

/* Whether every channel is connected and has reached SYNC @seq. */
static bool multifd_recv_all_synced_locked(uint64_t seq, GError **errp)
{
    for (int i = 0; i < recv_state.n; i++) {
        MultiFDRecvChannel *c = &recv_state.ch[i];

        if (c->ioc && c->synced >= seq) {
            continue;
        }
        if (c->finished) {
            error_setg(errp, "multifd channel %d ended before SYNC %" PRIu64,
                       i, seq);
        }
        return false;
    }
    return true;
}

bool multifd_recv_sync_main(uint64_t seq, GError **errp)
{
    GError *err = NULL;
    bool ok;

    if (!recv_state.n) {
        return true;
    }
    g_mutex_lock(&recv_state.lock);
    while ((ok = multifd_recv_usable_locked(&err)) &&
           !multifd_recv_all_synced_locked(seq, &err)) {
        if (err) {
            ok = false;
            break;
        }
        g_cond_wait(&recv_state.cond, &recv_state.lock);
    }
    if (ok) {
        recv_state.released = seq;
        g_cond_broadcast(&recv_state.cond);
    }
    g_mutex_unlock(&recv_state.lock);
    trace_multifd_recv_sync_main(seq, ok);
    if (err) {
        g_propagate_error(errp, err);
    }
    return ok;
}

void multifd_recv_shutdown(void)
{
    if (!recv_state.ch) {
        return;
    }
    g_mutex_lock(&recv_state.lock);
    recv_state.quit = true;
    multifd_recv_kick_locked();
    g_mutex_unlock(&recv_state.lock);
    for (int i = 0; i < recv_state.n; i++) {
        MultiFDRecvChannel *c = &recv_state.ch[i];

        if (c->thread) {
            g_thread_join(c->thread);
        }
        if (c->ioc) {
            qio_channel_unref(c->ioc);
        }
    }
    g_mutex_lock(&recv_state.lock);
    g_clear_pointer(&recv_state.ch, g_free);
    recv_state.n = 0;
    recv_state.blocks = NULL;
    recv_state.nblocks = 0;
    recv_state.have_blocks = false;
    recv_state.released = 0;
    recv_state.quit = false;
    g_clear_error(&recv_state.error);
    g_mutex_unlock(&recv_state.lock);
}
