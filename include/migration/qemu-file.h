/*
 * qemu-file.h: the buffered migration stream over a QIOChannel.
 *
 * A QEMUFile is either an output or an input stream.  Writers put bytes
 * into a buffer (or queue caller memory for a zero-copy writev, e.g. guest
 * pages) that is flushed to the channel when full and at qemu_fflush().
 * Readers get bytes from a read-ahead buffer.
 *
 * Errors are sticky (QEMU's rule): the first failure is recorded with its
 * GError; later puts are dropped and gets return zeroes, so callers check
 * qemu_file_get_error() at section boundaries instead of after every call.
 * An unexpected end of input is an error ("unexpected end of migration
 * stream").
 *
 * CRC32C: qemu_file_crc_begin() starts a checksum over every byte put or
 * got after it; qemu_file_put_crc() appends it (BE u32) and
 * qemu_file_check_crc() reads one and compares, failing with
 * "migration stream checksum mismatch ...".
 *
 * Threads: one QEMUFile is used by one thread at a time.
 */
#ifndef MIGRATION_QEMU_FILE_H
#define MIGRATION_QEMU_FILE_H

#include "util/osdep.h"
#include <sys/uio.h>

typedef struct QEMUFile QEMUFile;
typedef struct QIOChannel QIOChannel;

/* Returns: (transfer full) a stream holding a reference to @ioc. */
QEMUFile *qemu_file_new_output(QIOChannel *ioc);
QEMUFile *qemu_file_new_input(QIOChannel *ioc);

/*
 * Flush (output), drop the channel reference and free @f.  Returns false
 * with the stream's first error (or the flush error) in errp.
 */
bool qemu_fclose(QEMUFile *f, GError **errp);

/* Returns: (transfer none) the underlying channel. */
QIOChannel *qemu_file_get_ioc(QEMUFile *f);

void qemu_put_buffer(QEMUFile *f, const uint8_t *buf, size_t size);
/* Queue @buf without copying; it must stay valid until qemu_fflush(). */
void qemu_put_buffer_nocopy(QEMUFile *f, const uint8_t *buf, size_t size);
void qemu_put_byte(QEMUFile *f, uint8_t v);
void qemu_put_be16(QEMUFile *f, uint16_t v);
void qemu_put_be32(QEMUFile *f, uint32_t v);
void qemu_put_be64(QEMUFile *f, uint64_t v);
/* A string of at most 255 bytes, length-prefixed (u8). */
void qemu_put_counted_string(QEMUFile *f, const char *str);
void qemu_fflush(QEMUFile *f);

/* Returns the number of bytes read; short only on error/EOF (then set). */
size_t qemu_get_buffer(QEMUFile *f, uint8_t *buf, size_t size);
uint8_t qemu_get_byte(QEMUFile *f);
uint16_t qemu_get_be16(QEMUFile *f);
uint32_t qemu_get_be32(QEMUFile *f);
uint64_t qemu_get_be64(QEMUFile *f);
/* Reads a counted string into buf[256] (NUL-terminated); false on error. */
bool qemu_get_counted_string(QEMUFile *f, char buf[256]);
/* Peek whether input is at a clean end (no more bytes); blocks to find out. */
bool qemu_file_at_eof(QEMUFile *f);

/* Returns: 0, or the first error's negative errno (-EIO if it had none). */
int qemu_file_get_error(QEMUFile *f);
/* Returns true (copying the first error into errp) if the stream failed. */
bool qemu_file_get_error_obj(QEMUFile *f, GError **errp);
/* Record an error unless one is recorded already; takes @err. */
void qemu_file_set_error(QEMUFile *f, int ret, GError *err);

/* Bytes put (output, including unflushed) or got (input) so far. */
uint64_t qemu_file_transferred(QEMUFile *f);

void qemu_file_crc_begin(QEMUFile *f);
void qemu_file_put_crc(QEMUFile *f);
bool qemu_file_check_crc(QEMUFile *f, GError **errp);

/* Shut the channel down both ways so a thread blocked on it returns. */
void qemu_file_shutdown(QEMUFile *f);

#endif /* MIGRATION_QEMU_FILE_H */
