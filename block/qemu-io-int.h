/*
 * qemu-io-int.h: what the qemu-io command files share — the argument
 * helpers of qemu-io-cmds.c (command table, dispatch, requests) and the
 * commands of qemu-io-image-cmds.c that the table lists.
 *
 * Main loop thread only, as qemuio_command().  See docs/devel/tools.md
 * and docs/devel/block.md.
 */
#ifndef BLOCK_QEMU_IO_INT_H
#define BLOCK_QEMU_IO_INT_H

#include "block/qemu-io.h"

/* ---- qemu-io-cmds.c ---- */

/* Prints the usage line of command @name ("name args -- oneline") */
void qemuio_usage(const char *name);
/* Parses a size argument ("4k"); prints qemu-io's complaint when invalid */
bool qemuio_parse_num(const char *text, int64_t *value);

/* ---- qemu-io-image-cmds.c: commands, called from the command table ---- */

/* length: prints the length of the image */
int length_f(BlockBackend *blk, int argc, char **argv);
/* truncate [-m prealloc_mode] off: resizes the image */
int truncate_f(BlockBackend *blk, int argc, char **argv);
/* info: format, cluster size, format specific information */
int info_f(BlockBackend *blk, int argc, char **argv);
/* map: prints the allocated and unallocated areas */
int map_f(BlockBackend *blk, int argc, char **argv);
/* reopen [-r|-w]: reopens the node read-only or read-write */
int reopen_f(BlockBackend *blk, int argc, char **argv);

#endif /* BLOCK_QEMU_IO_INT_H */
