/*
 * EventNotifier: an eventfd (or a pipe) used as a wake-up flag.
 */
#include "util/osdep.h"
#include "util/event-notifier.h"

#include <sys/eventfd.h>

static int event_notifier_open_pipe(EventNotifier *e)
{
    int fds[2];

    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
        return -errno;
    }
    e->rfd = fds[0];
    e->wfd = fds[1];
    return 0;
}

int event_notifier_init(EventNotifier *e, bool active)
{
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int ret;

    e->rfd = e->wfd = -1;
    if (fd >= 0) {
        e->rfd = e->wfd = fd;
    } else if (errno == ENOSYS || errno == EINVAL) {
        ret = event_notifier_open_pipe(e);
        if (ret < 0) {
            return ret;
        }
    } else {
        return -errno;
    }
    if (active) {
        ret = event_notifier_set(e);
        if (ret < 0) {
            event_notifier_cleanup(e);
            return ret;
        }
    }
    return 0;
}

void event_notifier_cleanup(EventNotifier *e)
{
    if (e->wfd >= 0 && e->wfd != e->rfd) {
        close(e->wfd);
    }
    if (e->rfd >= 0) {
        close(e->rfd);
    }
    e->rfd = e->wfd = -1;
}

int event_notifier_set(EventNotifier *e)
{
    static const uint64_t one = 1;
    ssize_t len;

    do {
        /* an eventfd takes 8 bytes; a pipe takes any, the first is read */
        len = write(e->wfd, &one, sizeof(one));
    } while (len < 0 && errno == EINTR);

    /* EAGAIN: the counter or the pipe is full, so it is set already */
    if (len < 0 && errno != EAGAIN) {
        return -errno;
    }
    return 0;
}

bool event_notifier_test_and_clear(EventNotifier *e)
{
    char buf[512];
    bool value = false;
    ssize_t len;

    /* one read empties an eventfd; a pipe may need several */
    do {
        len = read(e->rfd, buf, sizeof(buf));
        value |= len > 0;
    } while ((len < 0 && errno == EINTR) || len == sizeof(buf));

    return value;
}

int event_notifier_get_fd(const EventNotifier *e)
{
    return e->rfd;
}
