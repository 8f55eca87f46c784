/*
 * qemu-io.h: the qemu-io command set as a library.
 *
 * One command line ("read -P 0xab 0 512", "aio_write 0 4k", "map", ...)
 * runs against a BlockBackend exactly as QEMU's qemu-io runs it: results
 * go to stdout, qemu-io's own error messages to stderr.  tern-io reads
 * such lines from -c options or stdin; HMP's "qemu-io" runs one inside
 * the daemon.
 */
#ifndef BLOCK_QEMU_IO_H
#define BLOCK_QEMU_IO_H

#include "block/block-backend.h"

/**
 * qemuio_command:
 * @blk: the backend the command works on (borrowed)
 * @cmd: one command line, words separated by blanks, optionally quoted
 *
 * Parse and run one qemu-io command.  Synchronous commands complete
 * before this returns (the calling thread polls the main AioContext);
 * aio_read and aio_write start a coroutine and return at once, their
 * report printed when the request completes (aio_flush waits for all).
 * Main loop thread only.
 *
 * Returns: 0 when the command succeeded; non-zero when it failed (an
 * unknown command, bad arguments, an I/O error, a pattern mismatch), the
 * reason already printed to stderr or stdout as qemu-io prints it
 */
int qemuio_command(BlockBackend *blk, const char *cmd);

/**
 * qemuio_print_specific_info:
 * @spec: (nullable): format specific information (borrowed)
 * @fp: where to print
 *
 * Print "Format specific information:" and the members of @spec one per
 * line, indented, names with blanks instead of dashes, in the order
 * qemu-img and qemu-io print them.  Nothing when @spec is NULL.  Any
 * thread.
 */
void qemuio_print_specific_info(ImageInfoSpecific *spec, FILE *fp);

/**
 * qemuio_size_str:
 * @value: a size in bytes
 *
 * qemu-io's size spelling: "512 bytes", "1.500 KiB", "4 KiB", "2 MiB".
 *
 * Returns: (transfer full): the text
 */
char *qemuio_size_str(double value);

#endif /* BLOCK_QEMU_IO_H */
