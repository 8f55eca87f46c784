/*
 * channel-buffer.h: QIOChannel over growable memory, for tests and for
 * serialising device state.
 *
 * One offset serves reads and writes (as a file's): writes store at the
 * offset and extend the data; reads consume from the offset up to the end
 * of the data, then return end of file.  The channel is seekable and
 * always ready.  One thread at a time.
 */
#ifndef IO_CHANNEL_BUFFER_H
#define IO_CHANNEL_BUFFER_H

#include "io/channel.h"

/**
 * qio_channel_buffer_new:
 * @capacity: initial allocation (grows as needed)
 *
 * Returns: a new empty, writable channel (the caller's reference).
 */
QIOChannel *qio_channel_buffer_new(size_t capacity);

/**
 * qio_channel_buffer_new_data:
 * @data: bytes to read (copied)
 * @len: their number
 *
 * Returns: a new read-only channel positioned at 0; writes fail.
 */
QIOChannel *qio_channel_buffer_new_data(const uint8_t *data, size_t len);

/**
 * qio_channel_buffer_data:
 * @ioc: a buffer channel
 * @len: receives the number of bytes held (everything written so far)
 *
 * Returns: the bytes, owned by @ioc, valid until the next write or unref.
 */
const uint8_t *qio_channel_buffer_data(QIOChannel *ioc, size_t *len);

/**
 * qio_channel_buffer_rewind:
 *
 * Moves the offset back to 0 (to read what was written).
 */
void qio_channel_buffer_rewind(QIOChannel *ioc);

/**
 * qio_channel_is_buffer:
 *
 * Returns: whether @ioc is a buffer channel.
 */
bool qio_channel_is_buffer(QIOChannel *ioc);

#endif /* IO_CHANNEL_BUFFER_H */
