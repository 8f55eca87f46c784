/*
 * AioContext fd handlers and aio_poll() on POSIX poll().
 */
#include "util/osdep.h"
#include "aio-int.h"

#include <poll.h>

#define AIO_READ_EVENTS (G_IO_IN | G_IO_HUP | G_IO_ERR)
#define AIO_WRITE_EVENTS (G_IO_OUT | G_IO_ERR)

void aio_handlers_init(AioContext *ctx)
{
    ctx->pollfds = g_array_new(false, false, sizeof(struct pollfd));
    ctx->pollnodes = g_ptr_array_new();
}

static AioHandler *aio_find_handler(AioContext *ctx, int fd)
{
    for (AioHandler *node = ctx->handlers; node; node = node->next) {
        if (node->pfd.fd == fd && !node->deleted) {
            return node;
        }
    }
    return NULL;
}

/* Frees the handlers removed while the list was being walked. */
static void aio_purge_deleted(AioContext *ctx)
{
    AioHandler **prev = &ctx->handlers;

    while (*prev) {
        AioHandler *node = *prev;

        if (node->deleted) {
            *prev = node->next;
            g_free(node);
        } else {
            prev = &node->next;
        }
    }
}

static void aio_remove_handler(AioContext *ctx, AioHandler *node)
{
    g_source_remove_poll(&ctx->source, &node->pfd);
    node->deleted = true;
    node->pfd.events = 0;
    node->pfd.revents = 0;
    if (ctx->walking_handlers == 0) {
        aio_purge_deleted(ctx);
    }
}

void aio_set_fd_handler(AioContext *ctx, int fd, IOHandler *io_read,
                        IOHandler *io_write, void *opaque)
{
    AioHandler *node = aio_find_handler(ctx, fd);

    if (!io_read && !io_write) {
        if (node) {
            aio_remove_handler(ctx, node);
        }
        return;
    }
    if (!node) {
        node = g_new0(AioHandler, 1);
        node->pfd.fd = fd;
        node->next = ctx->handlers;
        ctx->handlers = node;
        g_source_add_poll(&ctx->source, &node->pfd);
    }
    node->io_read = io_read;
    node->io_write = io_write;
    node->opaque = opaque;
    node->pfd.events = (io_read ? G_IO_IN | G_IO_HUP | G_IO_ERR : 0) |
                       (io_write ? G_IO_OUT | G_IO_ERR : 0);
    /* a poll in progress in another thread must see the new events */
    aio_notify(ctx);
}

bool aio_handlers_ready(AioContext *ctx)
{
    for (AioHandler *node = ctx->handlers; node; node = node->next) {
        if (node->pfd.revents & node->pfd.events) {
            return true;
        }
    }
    return false;
}

/* Runs the handlers of one node; returns whether that was progress. */
static bool aio_dispatch_node(AioHandler *node)
{
    int revents = node->pfd.revents & node->pfd.events;
    bool progress = false;

    node->pfd.revents = 0;
    if (!node->deleted && node->io_read && (revents & AIO_READ_EVENTS)) {
        node->io_read(node->opaque);
        progress = !node->is_notifier;
    }
    if (!node->deleted && node->io_write && (revents & AIO_WRITE_EVENTS)) {
        node->io_write(node->opaque);
        progress = true;
    }
    return progress;
}

bool aio_dispatch_handlers(AioContext *ctx)
{
    bool progress = false;

    ctx->walking_handlers++;
    for (AioHandler *node = ctx->handlers; node; node = node->next) {
        progress |= aio_dispatch_node(node);
    }
    if (--ctx->walking_handlers == 0) {
        aio_purge_deleted(ctx);
    }
    return progress;
}

void aio_handlers_free(AioContext *ctx)
{
    /* the GSource is being finalized: GLib drops its poll list itself */
    while (ctx->handlers) {
        AioHandler *node = ctx->handlers;

        ctx->handlers = node->next;
        g_free(node);
    }
    g_array_free(ctx->pollfds, true);
    g_ptr_array_free(ctx->pollnodes, true);
}

/* poll() with a timeout in nanoseconds (-1: forever). */
static int aio_poll_ns(struct pollfd *fds, nfds_t nfds, int64_t timeout)
{
    struct timespec ts;

    if (timeout < 0) {
        return ppoll(fds, nfds, NULL, NULL);
    }
    ts.tv_sec = timeout / NANOSECONDS_PER_SECOND;
    ts.tv_nsec = timeout % NANOSECONDS_PER_SECOND;
    return ppoll(fds, nfds, &ts, NULL);
}

static void aio_fill_pollfds(AioContext *ctx)
{
    g_array_set_size(ctx->pollfds, 0);
    g_ptr_array_set_size(ctx->pollnodes, 0);
    for (AioHandler *node = ctx->handlers; node; node = node->next) {
        struct pollfd pfd = { .fd = node->pfd.fd };

        if (node->deleted || !node->pfd.events) {
            continue;
        }
        pfd.events = (node->io_read ? POLLIN : 0) |
                     (node->io_write ? POLLOUT : 0);
        g_array_append_val(ctx->pollfds, pfd);
        g_ptr_array_add(ctx->pollnodes, node);
    }
}

static void aio_store_revents(AioContext *ctx)
{
    for (guint i = 0; i < ctx->pollfds->len; i++) {
        struct pollfd *pfd = &g_array_index(ctx->pollfds, struct pollfd, i);
        AioHandler *node = g_ptr_array_index(ctx->pollnodes, i);

        node->pfd.revents = (pfd->revents & POLLIN ? G_IO_IN : 0) |
                            (pfd->revents & POLLOUT ? G_IO_OUT : 0) |
                            (pfd->revents & POLLHUP ? G_IO_HUP : 0) |
                            (pfd->revents & POLLERR ? G_IO_ERR : 0) |
                            (pfd->revents & POLLNVAL ? G_IO_NVAL : 0);
    }
}

bool aio_poll(AioContext *ctx, bool blocking)
{
    AioContext *prev = aio_context_set_current(ctx);
    int64_t timeout;
    bool progress;
    int ret;

    ctx->walking_handlers++;
    aio_fill_pollfds(ctx);
    timeout = blocking ? aio_compute_timeout(ctx) : 0;
    ret = aio_poll_ns((struct pollfd *)ctx->pollfds->data,
                      ctx->pollfds->len, timeout);
    if (ret > 0) {
        aio_store_revents(ctx);
    }
    ctx->walking_handlers--;

    progress = aio_dispatch(ctx);
    aio_context_set_current(prev);
    return progress;
}
