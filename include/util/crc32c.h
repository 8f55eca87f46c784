/*
 * crc32c.h: CRC-32C (Castagnoli), the checksum of tern's migration stream.
 *
 * The polynomial is 0x1EDC6F41 (reflected 0x82F63B78), the one SSE4.2's
 * `crc32` instruction, iSCSI, ext4 and btrfs use.  The check value of the
 * nine bytes "123456789" is 0xE3069283.
 *
 * Threads: pure functions, safe from any thread.
 */
#ifndef UTIL_CRC32C_H
#define UTIL_CRC32C_H

#include "util/osdep.h"

/**
 * crc32c:
 * @crc: the running CRC; 0 to start (conventional pre/post inversion is
 *     done inside, so crc32c(crc32c(0, a, n), b, m) is the CRC of a then b)
 * @buf: bytes, any alignment
 * @len: their number
 *
 * Uses the CPU's crc32 instruction when it has one (x86 SSE4.2, detected
 * at run time), else a slicing-by-8 table.
 *
 * Returns: the CRC-32C of the bytes seen so far.
 */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/*
 * The two implementations, for tests and benchmarks.  crc32c_hw() must
 * only be called when crc32c_hw_available() is true.
 */
uint32_t crc32c_table(uint32_t crc, const void *buf, size_t len);
uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len);
bool crc32c_hw_available(void);

#endif /* UTIL_CRC32C_H */
