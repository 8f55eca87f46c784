/*
 * multifd-int.h: RAM packets and the sender/receiver interface between
 * ram.c and multifd.c.  Private to migration/.
 *
 * A RAM packet (the same on the main channel and on multifd channels):
 *
 *   u8 type, u8 flags (0), BE u16 count, BE u32 block, BE u64 seq
 *   count x BE u64 page entry (page index; bit 63 set = zero page)
 *   the data of the non-zero pages, TARGET_PAGE_SIZE each, entry order
 *   BE u32 CRC32C of everything above
 *
 * Only PAGES packets have entries and data (count 1..RAM_BATCH_MAX_PAGES);
 * the others have count 0 and block 0.
 */
#ifndef MIGRATION_MULTIFD_INT_H
#define MIGRATION_MULTIFD_INT_H

#include "util/osdep.h"
#include <sys/uio.h>
#include "system/ramblock.h"

typedef struct QEMUFile QEMUFile;

typedef enum RamPacketType {
    RAM_PKT_END = 0,    /* main channel: end of this section payload */
    RAM_PKT_PAGES = 1,  /* a page batch */
    RAM_PKT_SYNC = 2,   /* barrier number seq (both kinds of channel) */
    RAM_PKT_EOS = 3,    /* multifd channel: no more packets */
    RAM_PKT__MAX,
} RamPacketType;

#define RAM_PKT_HDR_SIZE 16
#define RAM_PKT_ZERO_FLAG (1ULL << 63)
#define RAM_BATCH_MAX_PAGES 128
#define RAM_PKT_MAX_HDR (RAM_PKT_HDR_SIZE + 8 * RAM_BATCH_MAX_PAGES)

#define MULTIFD_MAGIC "TERNMFD\n"
#define MULTIFD_VERSION 1
#define MULTIFD_HDR_SIZE 16

/* The parsed fixed header of a packet. */
typedef struct RamPacketHdr {
    uint8_t type;
    uint16_t count;
    uint32_t block;
    uint64_t seq;
} RamPacketHdr;

/*
 * A batch of pages of one block.  ram.c fills block/rb/count/page[], then
 * ram_batch_encode() detects zero pages and builds the packet as iovecs
 * (header, page data from guest RAM or the bounce buffer, CRC).
 */
typedef struct RamBatch {
    uint32_t block;                     /* index in the block list */
    RAMBlock *rb;
    unsigned count;
    uint64_t page[RAM_BATCH_MAX_PAGES]; /* page indexes */
    bool copy;       /* guest may run: copy pages into the bounce buffer */

    /* Filled by ram_batch_encode(). */
    uint8_t hdr[RAM_PKT_MAX_HDR];
    uint8_t crc[4];
    struct iovec iov[RAM_BATCH_MAX_PAGES + 2];
    unsigned niov;
    unsigned normal;                    /* pages sent with data */
    unsigned zero;                      /* pages sent as a flag */
    size_t bytes;                       /* whole packet */
    uint8_t *bounce;                    /* RAM_BATCH_MAX_PAGES pages */
} RamBatch;

/* Returns: (transfer full) an empty batch with its bounce buffer. */
RamBatch *ram_batch_new(void);
void ram_batch_free(RamBatch *b);

/*
 * Builds the PAGES packet of @b (sequence number @seq): zero detection,
 * copies when b->copy, the CRC.  Any thread (one batch, one thread).
 */
void ram_batch_encode(RamBatch *b, uint64_t seq);

/* Writes a packet without pages (END, SYNC, EOS) into @buf, CRC included. */
size_t ram_packet_encode_ctrl(uint8_t buf[RAM_PKT_HDR_SIZE + 4],
                              RamPacketType type, uint64_t seq);

/* Parses and checks a fixed header; false + errp when malformed. */
bool ram_packet_parse_hdr(const uint8_t raw[RAM_PKT_HDR_SIZE],
                          RamPacketHdr *h, GError **errp);

/*
 * Reads @niov buffers completely, false + errp on failure.  The two
 * readers: a QEMUFile (main channel) and a QIOChannel (multifd).
 */
typedef bool RamPacketReadFn(void *opaque, const struct iovec *iov,
                             unsigned niov, GError **errp);
bool ram_packet_read_qemufile(void *opaque, const struct iovec *iov,
                              unsigned niov, GError **errp);
bool ram_packet_read_channel(void *opaque, const struct iovec *iov,
                             unsigned niov, GError **errp);

/*
 * ram_packet_load_pages:
 * After the header @h (raw bytes @raw) of a PAGES packet: reads the
 * entries, bounds-checks them against @rb, reads page data straight into
 * guest RAM, checks the CRC, then clears the zero pages.  @rb NULL means
 * the block takes no pages (an error).  Incoming or receiver thread.
 */
bool ram_packet_load_pages(const RamPacketHdr *h,
                           const uint8_t raw[RAM_PKT_HDR_SIZE],
                           RAMBlock *rb, RamPacketReadFn *read,
                           void *opaque, GError **errp);

/* Reads the CRC of a header-only packet and checks it. */
bool ram_packet_check_ctrl_crc(const uint8_t raw[RAM_PKT_HDR_SIZE],
                               RamPacketReadFn *read, void *opaque,
                               GError **errp);

/*
 * Counts @b's normal and zero pages and, for a multifd channel (@multifd),
 * its bytes (rate limit, transferred, multifd bytes).  Main-channel bytes
 * are counted by the migration core from the QEMUFile.  Any thread.
 */
void ram_batch_account(const RamBatch *b, bool multifd);

/* Source, migration thread (ram.c). */

/*
 * Hands *@batch to an idle sender (waiting for one) and gives back that
 * sender's previous, empty batch in *@batch.  False + errp when a sender
 * failed or the migration is being cancelled.
 */
bool multifd_send_batch(RamBatch **batch, GError **errp);
/* Queues a SYNC packet with barrier number @seq on every channel. */
bool multifd_send_sync(uint64_t seq, GError **errp);
/* Queues EOS on every channel and waits until all is written. */
bool multifd_send_finish(GError **errp);
/* Waits until every queued packet has been written. */
bool multifd_send_flush(GError **errp);

/* Destination. */

/*
 * Publishes the stream's block list (index -> local block, NULL = no
 * pages accepted) to the receivers, which wait for it before their first
 * batch.  @blocks is borrowed until multifd_recv_shutdown() or the next
 * call.  Incoming thread.
 */
void multifd_recv_set_blocks(RAMBlock **blocks, uint32_t n);
/* The channel count given to multifd_recv_setup() (0 = none). */
int multifd_recv_channels(void);
/*
 * On RAM_SYNC @seq from the main channel: waits until every receiver has
 * reached its SYNC @seq, then lets them continue.  False + errp when a
 * receiver failed or shut down.  Incoming thread.
 */
bool multifd_recv_sync_main(uint64_t seq, GError **errp);

#endif /* MIGRATION_MULTIFD_INT_H */
