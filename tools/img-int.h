/*
 * img-int.h: what the tern-img commands share (tools/tern-img.c) and
 * the command entry points (tools/img-*.c).
 */
#ifndef TOOLS_IMG_INT_H
#define TOOLS_IMG_INT_H

#include "block/block-backend.h"
#include "block/block_int.h"

/* qemu-img's exit status for "check" when the format has no checker. */
#define IMG_EXIT_NO_CHECK 63

/* Every command: argv[0] is the command name; returns the exit status. */
typedef int ImgCmdFunc(int argc, char **argv);

ImgCmdFunc img_create;
ImgCmdFunc img_info;
ImgCmdFunc img_check;
ImgCmdFunc img_convert;
ImgCmdFunc img_compare;
ImgCmdFunc img_map;
ImgCmdFunc img_resize;
ImgCmdFunc img_rebase;

/**
 * img_open:
 * @filename: the image
 * @fmt: (nullable): its format; NULL probes
 * @flags: BDRV_O_* (BDRV_O_RDWR for writers)
 * @quiet: on failure print nothing (the caller reports)
 *
 * Open @filename in a BlockBackend for a tool.  On failure prints
 * "Could not open 'FILE': REASON" as qemu-img does, unless @quiet.
 *
 * Returns: (transfer full): the backend, or NULL
 */
BlockBackend *img_open(const char *filename, const char *fmt, int flags,
                       bool quiet);

/*
 * img_parse_cache: a -t/-T cache mode (none, off, directsync, writeback,
 * writethrough, unsafe) into BDRV_O_* @flags (or-ed in); false for an
 * unknown mode.  writethrough behaves as writeback.
 */
bool img_parse_cache(const char *mode, int *flags);

/* Print a usage error: "MESSAGE" then qemu-img's "Try --help" line. */
void img_error_usage(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Parse --output=human|json; false (and a message) on anything else. */
bool img_parse_output(const char *text, bool *json);

/* qemu-img's human size: "196 KiB", "2 MiB", "1.5 GiB", "0 B". */
char *img_size_to_str(uint64_t value);

/* The progress bar of -p: "    (NN.NN/100%)\r", final newline. */
void img_progress_init(bool enabled);
void img_progress_print(double percent);
void img_progress_end(void);

/**
 * img_parse_size:
 * @text: a size with optional suffix (k, M, G, T, P, E)
 * @value: (out): the size in bytes
 *
 * Returns: true, or false after printing qemu-img's messages
 */
bool img_parse_size(const char *text, int64_t *value);

/* Whether @len bytes at @buf are all zero. */
bool img_is_zero(const void *buf, size_t len);

/* The actual size on disk of @filename (st_blocks * 512), or -1. */
int64_t img_actual_size(const char *filename);

/**
 * img_resolve_backing:
 * @image: the overlay's file name
 * @backing: the backing file name from its header
 *
 * Returns: (transfer full): @backing resolved against the overlay's
 * directory when relative (qemu-img's full-backing-filename)
 */
char *img_resolve_backing(const char *image, const char *backing);

#endif /* TOOLS_IMG_INT_H */
