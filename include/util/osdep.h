/*
 * osdep.h: the first include of every tern source file.
 *
 * Pulls in the configuration, the C library basics and GLib so that every
 * file starts from the same ground.
 */
#ifndef UTIL_OSDEP_H
#define UTIL_OSDEP_H

#include "config-host.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <glib.h>

/* Marks a function that may yield: call it only from a coroutine. */
#define coroutine_fn

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))
#endif

#define TERN_PACKAGE "tern " TERN_VERSION

#endif /* UTIL_OSDEP_H */
