/*
 * test-multifd.c: RAM over multifd channels (socketpairs).
 *
 * A whole migration with several channels and re-dirtied pages between
 * passes, the destination being a forked child with its own RAM: its RAM
 * checksum equals the source's.  The SYNC barrier keeps a page's copies
 * in pass order across channels.  Bad channels fail cleanly.
 */
#include "util/osdep.h"
#include "util/crc32c.h"
#include "util/error.h"
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "io/channel.h"
#include "io/channel-socket.h"
#include "migration/qemu-file.h"
#include "migration/multifd.h"
#include "migration/multifd-int.h"
#include "migration/ram.h"
#include "system/memory-backend.h"
#include "system/ramblock.h"
#include "tern-check.h"

#define PS TARGET_PAGE_SIZE
#define NCH 3

static RAMBlock *add_block(const char *id, uint64_t size)
{
    MemoryBackendConfig cfg = { .kind = MEMORY_BACKEND_RAM, .size = size };
    GError *err = NULL;
    RAMBlock *rb = ram_block_add(id, &cfg, &err);

    ck_assert_msg(rb, "%s", err ? err->message : "?");
    return rb;
}

static void fill_page(RAMBlock *rb, uint64_t page, uint32_t seed)
{
    uint32_t *w = (uint32_t *)(rb->host + page * PS);

    for (size_t i = 0; i < PS / 4; i++) {
        w[i] = seed * 2654435761u + (uint32_t)(page * 1024 + i);
    }
}

static uint32_t ram_crc(void)
{
    uint32_t crc = 0;

    RAMBLOCK_FOREACH(rb) {
        crc = crc32c(crc, rb->host, rb->used_length);
    }
    return crc;
}

static QIOChannel *sock_channel(int fd)
{
    GError *err = NULL;
    QIOChannel *ioc = qio_channel_socket_new_fd(fd, &err);

    ck_assert_msg(ioc, "%s", err ? err->message : "?");
    return ioc;
}

static void make_pair(QIOChannel **a, QIOChannel **b)
{
    int sv[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    *a = sock_channel(sv[0]);
    *b = sock_channel(sv[1]);
}

/* The destination (forked child): load, then report the RAM checksum. */
static G_NORETURN void run_destination(QIOChannel *main_ioc, QIOChannel **ch,
                                       int result_fd, uint64_t size)
{
    const SaveVMHandlers *h = ram_savevm_handlers();
    GError *err = NULL;
    QEMUFile *f;
    uint32_t crc;
    bool ok;

    ram_block_list_reset();
    add_block("pc.ram", size);
    add_block("pc.extra", size / 4);
    ok = multifd_recv_setup(NCH, &err);
    for (int i = 0; ok && i < NCH; i++) {
        ok = multifd_recv_new_channel(ch[i], i, &err);
    }
    f = qemu_file_new_input(main_ioc);
    ok = ok && h->load_setup(f, NULL, &err) &&
         h->load_state(f, NULL, RAM_SECTION_VERSION, &err);
    while (ok && !qemu_file_at_eof(f)) {
        ok = h->load_state(f, NULL, RAM_SECTION_VERSION, &err);
    }
    h->load_cleanup(NULL);
    multifd_recv_shutdown();
    qemu_fclose(f, NULL);
    if (!ok) {
        fprintf(stderr, "destination: %s\n", err ? err->message : "?");
        _exit(1);
    }
    crc = ram_crc();
    _exit(write(result_fd, &crc, sizeof(crc)) == sizeof(crc) ? 0 : 2);
}

/* Source passes: everything, then @passes rounds of re-dirtied pages. */
static void run_source(QIOChannel *main_ioc, int passes)
{
    const SaveVMHandlers *h = ram_savevm_handlers();
    QEMUFile *f = qemu_file_new_output(main_ioc);
    RAMBlock *rb = ram_block_by_name("pc.ram");
    GError *err = NULL;
    uint64_t pending;

    ck_assert_msg(h->save_setup(f, NULL, &err), "%s",
                  err ? err->message : "?");
    for (int pass = 0; pass <= passes; pass++) {
        int ret;

        if (pass) {
            /* The same pages, again and again: the barrier's case. */
            for (uint64_t p = 0; p < rb->pages; p += 7) {
                fill_page(rb, p, 100 + pass);
                ram_block_mark_dirty(rb, p);
            }
            h->state_pending_exact(NULL, &pending);
            ck_assert_uint_gt(pending, 0);
        }
        do {
            ret = h->save_live_iterate(f, NULL);
            ck_assert_int_ge(ret, 0);
        } while (ret == 0);
    }
    fill_page(rb, 1, 999);
    ram_block_mark_dirty(rb, 1);
    ck_assert_msg(h->save_live_complete_precopy(f, NULL, &err), "%s",
                  err ? err->message : "?");
    h->save_cleanup(NULL);
    ck_assert(qemu_fclose(f, &err));
}

START_TEST(test_multifd_migration)
{
    const uint64_t size = 8 << 20;
    QIOChannel *src_main, *dst_main, *src[NCH], *dst[NCH];
    RAMBlock *rb = add_block("pc.ram", size);
    RAMBlock *extra = add_block("pc.extra", size / 4);
    int result[2];
    uint32_t child_crc = 0;
    int status;
    pid_t pid;
    GError *err = NULL;

    for (uint64_t p = 0; p < rb->pages; p++) {
        if (p % 3) {
            fill_page(rb, p, 1);
        }
    }
    fill_page(extra, 5, 2);
    make_pair(&src_main, &dst_main);
    for (int i = 0; i < NCH; i++) {
        make_pair(&src[i], &dst[i]);
    }
    ck_assert_int_eq(pipe(result), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* Drop the source's ends, or EOF never comes. */
        close(result[0]);
        qio_channel_unref(src_main);
        for (int i = 0; i < NCH; i++) {
            qio_channel_unref(src[i]);
        }
        run_destination(dst_main, dst, result[1], size);
    }
    close(result[1]);
    qio_channel_unref(dst_main);
    for (int i = 0; i < NCH; i++) {
        qio_channel_unref(dst[i]);
    }
    ck_assert_msg(multifd_send_setup(src, NCH, &err), "%s",
                  err ? err->message : "?");
    ck_assert_int_eq(multifd_send_channels(), NCH);
    run_source(src_main, 6);
    qio_channel_unref(src_main);    /* EOF for the destination */
    multifd_send_shutdown();
    for (int i = 0; i < NCH; i++) {
        qio_channel_unref(src[i]);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "destination failed (status 0x%x)", status);
    ck_assert_int_eq(read(result[0], &child_crc, sizeof(child_crc)),
                     sizeof(child_crc));
    close(result[0]);
    ck_assert_uint_eq(child_crc, ram_crc());
}
END_TEST

/* ---- receivers driven by hand-made packets ---- */

static void put_channel_header(QIOChannel *ioc, uint32_t index)
{
    uint8_t hdr[MULTIFD_HDR_SIZE];
    uint32_t v;

    memcpy(hdr, MULTIFD_MAGIC, 8);
    v = GUINT32_TO_BE(MULTIFD_VERSION);
    memcpy(hdr + 8, &v, 4);
    v = GUINT32_TO_BE(index);
    memcpy(hdr + 12, &v, 4);
    ck_assert_int_eq(qio_channel_write_all(ioc, (char *)hdr, sizeof(hdr),
                                           NULL), 0);
}

static void put_ctrl(QIOChannel *ioc, RamPacketType type, uint64_t seq)
{
    uint8_t buf[RAM_PKT_HDR_SIZE + 4];
    size_t len = ram_packet_encode_ctrl(buf, type, seq);

    ck_assert_int_eq(qio_channel_write_all(ioc, (char *)buf, len, NULL), 0);
}

static void put_batch(QIOChannel *ioc, RamBatch *b)
{
    ck_assert_int_eq(qio_channel_writev_all(ioc, b->iov, b->niov, NULL), 0);
}

/* A one-page batch of @src page @page with its current content. */
static RamBatch *batch_of(RAMBlock *src, uint64_t page)
{
    RamBatch *b = ram_batch_new();

    b->rb = src;
    b->block = 0;
    b->count = 1;
    b->page[0] = page;
    b->copy = true;
    ram_batch_encode(b, 1);
    return b;
}

static void recv_start(QIOChannel **src, int n, RAMBlock **dst_blocks)
{
    GError *err = NULL;

    ck_assert(multifd_recv_setup(n, &err));
    for (int i = 0; i < n; i++) {
        QIOChannel *dst;

        make_pair(&src[i], &dst);
        ck_assert_msg(multifd_recv_new_channel(dst, i, &err), "%s",
                      err ? err->message : "?");
        qio_channel_unref(dst);
    }
    ck_assert(multifd_recv_all_channels_created());
    multifd_recv_set_blocks(dst_blocks, 1);
}

/*
 * Page 2 goes in pass 1 on channel 1 (old) and in pass 2 on channel 0
 * (new); channel 0's data is written first.  The receivers must still
 * apply old before new.
 */
START_TEST(test_sync_order)
{
    RAMBlock *src = add_block("src", 4 * PS);
    RAMBlock *dst = add_block("dst", 4 * PS);
    RAMBlock *blocks[1] = { dst };
    QIOChannel *ch[2];
    RamBatch *old_b, *new_b;
    GError *err = NULL;

    fill_page(src, 2, 1);
    old_b = batch_of(src, 2);
    fill_page(src, 2, 2);
    new_b = batch_of(src, 2);
    recv_start(ch, 2, blocks);
    put_channel_header(ch[0], 0);
    put_channel_header(ch[1], 1);
    put_ctrl(ch[0], RAM_PKT_SYNC, 1);
    put_batch(ch[0], new_b);
    put_ctrl(ch[0], RAM_PKT_SYNC, 2);
    put_batch(ch[1], old_b);
    put_ctrl(ch[1], RAM_PKT_SYNC, 1);
    put_ctrl(ch[1], RAM_PKT_SYNC, 2);
    ck_assert_msg(multifd_recv_sync_main(1, &err), "%s",
                  err ? err->message : "?");
    ck_assert(multifd_recv_sync_main(2, &err));
    /* Both receivers are past SYNC 2: every page is applied. */
    ck_assert(memcmp(dst->host + 2 * PS, src->host + 2 * PS, PS) == 0);
    put_ctrl(ch[0], RAM_PKT_EOS, 0);
    put_ctrl(ch[1], RAM_PKT_EOS, 0);
    multifd_recv_shutdown();
    ram_batch_free(old_b);
    ram_batch_free(new_b);
    qio_channel_unref(ch[0]);
    qio_channel_unref(ch[1]);
}
END_TEST

/* Runs one channel with a bad start and expects @msg from the barrier. */
static void check_bad_channel(const char *msg, void (*feed)(QIOChannel *,
                                                          RAMBlock *))
{
    RAMBlock *src = add_block("src", 4 * PS);
    RAMBlock *dst = add_block("dst", 4 * PS);
    RAMBlock *blocks[1] = { dst };
    QIOChannel *ch[1];
    GError *err = NULL;

    recv_start(ch, 1, blocks);
    feed(ch[0], src);
    ck_assert(!multifd_recv_sync_main(1, &err));
    ck_assert_msg(err && strstr(err->message, msg), "'%s' lacks '%s'",
                  err ? err->message : "(none)", msg);
    g_error_free(err);
    multifd_recv_shutdown();
    qio_channel_unref(ch[0]);
}

static void feed_bad_magic(QIOChannel *ioc, RAMBlock *src)
{
    ck_assert_int_eq(qio_channel_write_all(ioc, "NOTTERN!12345678", 16,
                                           NULL), 0);
}

static void feed_flipped_page(QIOChannel *ioc, RAMBlock *src)
{
    RamBatch *b;

    fill_page(src, 1, 7);
    b = batch_of(src, 1);
    ((uint8_t *)b->iov[1].iov_base)[100] ^= 4;
    put_channel_header(ioc, 0);
    put_batch(ioc, b);
    ram_batch_free(b);
}

static void feed_page_out_of_range(QIOChannel *ioc, RAMBlock *src)
{
    RamBatch *b;

    fill_page(src, 3, 7);
    b = batch_of(src, 3);
    b->hdr[RAM_PKT_HDR_SIZE + 7] = 9;   /* page 9 of a 4-page block */
    put_channel_header(ioc, 0);
    put_batch(ioc, b);
    ram_batch_free(b);
}

static void feed_eof(QIOChannel *ioc, RAMBlock *src)
{
    put_channel_header(ioc, 0);
    qio_channel_shutdown(ioc, QIO_CHANNEL_SHUTDOWN_BOTH, NULL);
}

START_TEST(test_bad_magic)
{
    check_bad_channel("not a tern multifd channel", feed_bad_magic);
}
END_TEST

START_TEST(test_flipped_page)
{
    check_bad_channel("checksum mismatch", feed_flipped_page);
}
END_TEST

START_TEST(test_page_out_of_range)
{
    check_bad_channel("out of range", feed_page_out_of_range);
}
END_TEST

START_TEST(test_channel_eof)
{
    check_bad_channel("multifd channel 0", feed_eof);
}
END_TEST

START_TEST(test_recv_channel_errors)
{
    QIOChannel *a, *b;
    GError *err = NULL;

    make_pair(&a, &b);
    ck_assert(!multifd_recv_new_channel(b, 0, &err));   /* not set up */
    g_clear_error(&err);
    ck_assert(multifd_recv_setup(1, &err));
    ck_assert(!multifd_recv_setup(1, &err));
    g_clear_error(&err);
    ck_assert(!multifd_recv_new_channel(b, 1, &err));
    ck_assert(strstr(err->message, "out of range"));
    g_clear_error(&err);
    ck_assert(!multifd_recv_all_channels_created());
    ck_assert(multifd_recv_new_channel(b, 0, &err));
    ck_assert(!multifd_recv_new_channel(b, 0, &err));
    ck_assert(strstr(err->message, "twice"));
    g_clear_error(&err);
    multifd_recv_shutdown();
    multifd_recv_shutdown();
    qio_channel_unref(a);
    qio_channel_unref(b);
}
END_TEST

/* A sender whose peer is gone: batches fail, shutdown does not hang. */
START_TEST(test_send_peer_gone)
{
    RAMBlock *rb = add_block("pc.ram", 64 * PS);
    QIOChannel *a, *b;
    RamBatch *batch = ram_batch_new();
    GError *err = NULL;
    bool ok = true;

    signal(SIGPIPE, SIG_IGN);
    make_pair(&a, &b);
    qio_channel_unref(b);
    for (uint64_t p = 0; p < rb->pages; p++) {
        fill_page(rb, p, 3);
    }
    ck_assert(multifd_send_setup(&a, 1, &err));
    for (int i = 0; ok && i < 1000; i++) {
        batch->rb = rb;
        batch->count = 64;
        for (int j = 0; j < 64; j++) {
            batch->page[j] = j;
        }
        batch->copy = true;
        ok = multifd_send_batch(&batch, &err);
    }
    ck_assert(!ok);
    ck_assert(err);
    g_error_free(err);
    multifd_send_shutdown();
    ck_assert_int_eq(multifd_send_channels(), 0);
    multifd_send_shutdown();
    ram_batch_free(batch);
    qio_channel_unref(a);
}
END_TEST

static void multifd_teardown(void)
{
    ram_block_list_reset();
}

static Suite *multifd_suite(void)
{
    Suite *s = suite_create("multifd");
    TCase *tc;

    tc = tcase_create("migration");
    tcase_add_checked_fixture(tc, NULL, multifd_teardown);
    tcase_add_test(tc, test_multifd_migration);
    suite_add_tcase(s, tc);

    tc = tcase_create("sync");
    tcase_add_checked_fixture(tc, NULL, multifd_teardown);
    tcase_add_test(tc, test_sync_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, NULL, multifd_teardown);
    tcase_add_test(tc, test_bad_magic);
    tcase_add_test(tc, test_flipped_page);
    tcase_add_test(tc, test_page_out_of_range);
    tcase_add_test(tc, test_channel_eof);
    tcase_add_test(tc, test_recv_channel_errors);
    tcase_add_test(tc, test_send_peer_gone);
    suite_add_tcase(s, tc);
    return s;
}

TERN_CHECK_MAIN(multifd_suite)
