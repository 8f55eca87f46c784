/*
 * event-notifier.h: a counter-less wake-up flag backed by an eventfd.
 *
 * An EventNotifier is a file descriptor that becomes readable when the
 * notifier is set and stops being readable when it is cleared.  It is how
 * other threads (aio_notify(), I/O backends) wake a thread blocked in
 * poll().  On systems without eventfd a non-blocking pipe is used; rfd and
 * wfd are then different descriptors.
 *
 * Threads: event_notifier_set() may be called from any thread; the other
 * functions by the thread that owns the notifier.
 */
#ifndef UTIL_EVENT_NOTIFIER_H
#define UTIL_EVENT_NOTIFIER_H

#include "util/osdep.h"

typedef struct EventNotifier {
    int rfd;    /* the descriptor to poll for reading */
    int wfd;    /* the descriptor written by event_notifier_set() */
} EventNotifier;

/**
 * event_notifier_init:
 * @e: the notifier to initialise (caller-owned storage)
 * @active: whether the notifier starts out set
 *
 * Opens the descriptors (close-on-exec, non-blocking).
 *
 * Returns: 0 on success, a negative errno value on failure (then @e holds
 * -1 in both descriptors).
 */
int event_notifier_init(EventNotifier *e, bool active);

/**
 * event_notifier_cleanup:
 * @e: an initialised notifier, or one whose init failed
 *
 * Closes the descriptors and sets them to -1.  Safe to call twice.
 */
void event_notifier_cleanup(EventNotifier *e);

/**
 * event_notifier_set:
 * @e: the notifier
 *
 * Makes the read descriptor readable.  Any thread; async-signal-safe.
 *
 * Returns: 0 on success (also when it was already set), a negative errno
 * value on failure.
 */
int event_notifier_set(EventNotifier *e);

/**
 * event_notifier_test_and_clear:
 * @e: the notifier
 *
 * Returns: whether the notifier was set; it is clear afterwards.
 */
bool event_notifier_test_and_clear(EventNotifier *e);

/**
 * event_notifier_get_fd:
 * @e: the notifier
 *
 * Returns: the descriptor to poll for reading (still owned by @e).
 */
int event_notifier_get_fd(const EventNotifier *e);

#endif /* UTIL_EVENT_NOTIFIER_H */
