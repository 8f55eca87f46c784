/*
 * error.h: tern's error conventions on top of GLib's GError.
 *
 * Rules (QEMU's, see STYLE.md):
 * - `GError **errp` is the last parameter of a function that can fail;
 * - the function also returns bool (true = ok), a pointer (NULL = failed)
 *   or a negative int, and sets *errp exactly when it fails;
 * - errp may be NULL (the caller does not care about the message);
 * - a message is one phrase, no trailing period or newline.
 *
 * Errors raised by tern live in the TERN_ERROR domain and their code is the
 * QMP error class.  Errors of any other domain (GIO, GFile, ...) are
 * reported to QMP clients as GenericError.
 *
 * All functions are safe to call from any thread.
 */
#ifndef UTIL_ERROR_H
#define UTIL_ERROR_H

#include "util/osdep.h"

/* QMP error classes, in the order of QEMU's QapiErrorClass. */
typedef enum ErrorClass {
    ERROR_CLASS_GENERIC_ERROR,
    ERROR_CLASS_COMMAND_NOT_FOUND,
    ERROR_CLASS_DEVICE_NOT_ACTIVE,
    ERROR_CLASS_DEVICE_NOT_FOUND,
    ERROR_CLASS_KVM_MISSING_CAP,
    ERROR_CLASS__MAX,
} ErrorClass;

#define TERN_ERROR (tern_error_quark())
GQuark tern_error_quark(void);

/* Set *errp (when errp is not NULL) to a GenericError with a message. */
void error_setg(GError **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* As error_setg(), with ": strerror(errnum)" appended. */
void error_setg_errno(GError **errp, int errnum, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* Set *errp to an error of a given QMP class. */
void error_set(GError **errp, ErrorClass cls, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* Prefix the message of *errp (no-op when errp or *errp is NULL). */
void error_prepend(GError **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Move src into *dst (freeing src if dst is NULL or *dst is already set). */
void error_propagate(GError **dst, GError *src);

/* The QMP class of an error: TERN_ERROR's code, else GenericError. */
ErrorClass error_get_class(const GError *err);

/* The QMP spelling of a class: "GenericError", "CommandNotFound", ... */
const char *error_class_name(ErrorClass cls);

/* Print "PROG: message" to stderr (the start-up error format). */
void error_report_err(GError *err);
void error_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void warn_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* The program name used by error_report(); set once in main(). */
void error_set_progname(const char *argv0);
const char *error_get_progname(void);

/*
 * An optional location prefix for error_report() (e.g. "-m 1X" while the
 * command line is parsed); NULL clears it.  Main thread only.
 */
void error_set_location(const char *loc);

#endif /* UTIL_ERROR_H */
