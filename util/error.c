/*
 * GError helpers following QEMU's error rules.
 */
#include "util/osdep.h"
#include "util/error.h"

static const char *const error_class_names[ERROR_CLASS__MAX] = {
    [ERROR_CLASS_GENERIC_ERROR] = "GenericError",
    [ERROR_CLASS_COMMAND_NOT_FOUND] = "CommandNotFound",
    [ERROR_CLASS_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
    [ERROR_CLASS_DEVICE_NOT_FOUND] = "DeviceNotFound",
    [ERROR_CLASS_KVM_MISSING_CAP] = "KVMMissingCap",
};

static char *progname;
static char *location;

G_DEFINE_QUARK(tern-error-quark, tern_error)

static void error_setv(GError **errp, ErrorClass cls, const char *suffix,
                       const char *fmt, va_list ap)
{
    if (!errp) {
        return;
    }
    g_assert(*errp == NULL);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    if (suffix) {
        *errp = g_error_new(TERN_ERROR, cls, "%s: %s", msg, suffix);
    } else {
        *errp = g_error_new_literal(TERN_ERROR, cls, msg);
    }
}

void error_setg(GError **errp, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_setv(errp, ERROR_CLASS_GENERIC_ERROR, NULL, fmt, ap);
    va_end(ap);
}

void error_setg_errno(GError **errp, int errnum, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_setv(errp, ERROR_CLASS_GENERIC_ERROR, g_strerror(errnum), fmt, ap);
    va_end(ap);
}

void error_set(GError **errp, ErrorClass cls, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_setv(errp, cls, NULL, fmt, ap);
    va_end(ap);
}

void error_prepend(GError **errp, const char *fmt, ...)
{
    va_list ap;

    if (!errp || !*errp) {
        return;
    }
    va_start(ap, fmt);
    g_autofree char *prefix = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_prefix_error(errp, "%s", prefix);
}

void error_propagate(GError **dst, GError *src)
{
    if (!src) {
        return;
    }
    if (dst && !*dst) {
        *dst = src;
    } else {
        g_error_free(src);
    }
}

ErrorClass error_get_class(const GError *err)
{
    if (err->domain == TERN_ERROR && err->code >= 0 &&
        err->code < ERROR_CLASS__MAX) {
        return err->code;
    }
    return ERROR_CLASS_GENERIC_ERROR;
}

const char *error_class_name(ErrorClass cls)
{
    g_assert(cls >= 0 && cls < ERROR_CLASS__MAX);
    return error_class_names[cls];
}

void error_set_progname(const char *argv0)
{
    g_free(progname);
    progname = g_path_get_basename(argv0);
}

const char *error_get_progname(void)
{
    return progname ? progname : "tern";
}

void error_set_location(const char *loc)
{
    g_free(location);
    location = g_strdup(loc);
}

static void report(const char *kind, const char *msg)
{
    if (location) {
        fprintf(stderr, "%s: %s: %s%s\n", error_get_progname(), location,
                kind, msg);
    } else {
        fprintf(stderr, "%s: %s%s\n", error_get_progname(), kind, msg);
    }
}

void error_report_err(GError *err)
{
    report("", err->message);
    g_error_free(err);
}

void error_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    report("", msg);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    report("warning: ", msg);
}
