/*
 * trace-control.c: the tracing runtime: registered event groups, enabling
 * by name, glob or file, the -trace option and the log backend.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/trace.h"

#include <sys/time.h>

/* Registered groups (NULL-terminated arrays); written before main(). */
static TraceEvent ***trace_groups;
static size_t trace_n_groups;

/*
 * Where trace lines go.  Read by every tracing thread, changed by the main
 * thread (atomics).  A file descriptor that was once the log is never
 * closed: trace_set_output_file() dup3()s a new file over it instead, so a
 * racing writer never hits a closed or reused descriptor.
 */
static int trace_log_fd = STDERR_FILENO;
/* A former log descriptor, kept for reuse after a switch back to stderr. */
static int trace_spare_fd = -1;

void trace_event_register_group(TraceEvent **events)
{
    trace_groups = g_renew(TraceEvent **, trace_groups, trace_n_groups + 1);
    trace_groups[trace_n_groups++] = events;
}

void trace_event_iter_init(TraceEventIter *iter, const char *pattern)
{
    iter->group = 0;
    iter->event = 0;
    iter->pattern = pattern;
}

TraceEvent *trace_event_iter_next(TraceEventIter *iter)
{
    while (iter->group < trace_n_groups) {
        TraceEvent *ev = trace_groups[iter->group][iter->event];

        if (!ev) {
            iter->group++;
            iter->event = 0;
            continue;
        }
        iter->event++;
        if (!iter->pattern ||
            g_pattern_match_simple(iter->pattern, ev->name)) {
            return ev;
        }
    }
    return NULL;
}

TraceEvent *trace_event_find(const char *name)
{
    TraceEventIter iter;
    TraceEvent *ev;

    trace_event_iter_init(&iter, NULL);
    while ((ev = trace_event_iter_next(&iter))) {
        if (strcmp(ev->name, name) == 0) {
            return ev;
        }
    }
    return NULL;
}

bool trace_event_get_state(const TraceEvent *ev)
{
    return __atomic_load_n(ev->dstate, __ATOMIC_RELAXED);
}

bool trace_event_set_state(TraceEvent *ev, bool enable)
{
    if (!ev->sstate) {
        return false;
    }
    __atomic_store_n(ev->dstate, enable, __ATOMIC_RELAXED);
    return true;
}

bool trace_enable_pattern(const char *pattern, bool enable)
{
    TraceEventIter iter;
    TraceEvent *ev;
    bool matched = false;

    trace_event_iter_init(&iter, pattern);
    while ((ev = trace_event_iter_next(&iter))) {
        matched |= trace_event_set_state(ev, enable);
    }
    return matched;
}

/* One -trace PATTERN or events-file line: '-' disables; warn on no match. */
static void trace_enable_line(const char *line)
{
    bool enable = line[0] != '-';
    const char *pattern = enable ? line : line + 1;
    TraceEvent *ev;

    if (trace_enable_pattern(pattern, enable)) {
        return;
    }
    ev = trace_event_find(pattern);
    if (ev && !ev->sstate) {
        warn_report("trace event '%s' is not traceable", pattern);
    } else {
        warn_report("trace event '%s' does not exist", pattern);
    }
}

bool trace_enable_events_file(const char *path, GError **errp)
{
    g_autofree char *buf = NULL;
    size_t size = 0;
    FILE *f = fopen(path, "re");
    bool ok;

    if (!f) {
        error_setg_errno(errp, errno, "could not open trace events file '%s'",
                         path);
        return false;
    }
    while (getline(&buf, &size, f) >= 0) {
        char *line = g_strstrip(buf);

        if (line[0] && line[0] != '#') {
            trace_enable_line(line);
        }
    }
    ok = !ferror(f);
    if (!ok) {
        error_setg(errp, "could not read trace events file '%s'", path);
    }
    fclose(f);
    return ok;
}

void trace_list_events(FILE *out)
{
    TraceEventIter iter;
    TraceEvent *ev;

    trace_event_iter_init(&iter, NULL);
    while ((ev = trace_event_iter_next(&iter))) {
        fprintf(out, "%s\n", ev->name);
    }
}

bool trace_set_output_file(const char *path, GError **errp)
{
    int cur = __atomic_load_n(&trace_log_fd, __ATOMIC_RELAXED);
    int fd;

    if (!path) {
        if (cur != STDERR_FILENO) {
            __atomic_store_n(&trace_log_fd, STDERR_FILENO, __ATOMIC_RELEASE);
            trace_spare_fd = cur;
        }
        return true;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
              0644);
    if (fd < 0) {
        error_setg_errno(errp, errno, "could not open trace file '%s'", path);
        return false;
    }
    if (cur == STDERR_FILENO && trace_spare_fd < 0) {
        __atomic_store_n(&trace_log_fd, fd, __ATOMIC_RELEASE);
        return true;
    }
    /* Replace the file behind a descriptor writers may hold. */
    if (cur == STDERR_FILENO) {
        cur = trace_spare_fd;
    }
    if (dup3(fd, cur, O_CLOEXEC) < 0) {
        error_setg_errno(errp, errno, "could not open trace file '%s'", path);
        close(fd);
        return false;
    }
    close(fd);
    if (cur == trace_spare_fd) {
        trace_spare_fd = -1;
        __atomic_store_n(&trace_log_fd, cur, __ATOMIC_RELEASE);
    }
    return true;
}

/* Write all of buf with as few write(2) calls as the kernel allows. */
static void trace_log_write(const char *buf, size_t len)
{
    int fd = __atomic_load_n(&trace_log_fd, __ATOMIC_ACQUIRE);

    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        buf += n;
        len -= n;
    }
}

void trace_log_printf(const char *fmt, ...)
{
    char stack_buf[512];
    struct timeval now;
    int saved_errno = errno;
    va_list ap;
    int head;
    int len;

    gettimeofday(&now, NULL);
    head = snprintf(stack_buf, sizeof(stack_buf), "%d@%zu.%06zu:",
                    (int)gettid(), (size_t)now.tv_sec,
                    (size_t)now.tv_usec);
    va_start(ap, fmt);
    len = vsnprintf(stack_buf + head, sizeof(stack_buf) - head, fmt, ap);
    va_end(ap);
    if (len < 0) {
        errno = saved_errno;
        return;
    }
    if ((size_t)head + len < sizeof(stack_buf)) {
        trace_log_write(stack_buf, head + len);
    } else {
        g_autofree char *msg = NULL;
        g_autofree char *line = NULL;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        stack_buf[head] = '\0';
        line = g_strconcat(stack_buf, msg, NULL);
        trace_log_write(line, strlen(line));
    }
    /* Tracing must not disturb the caller's errno. */
    errno = saved_errno;
}

/* The keys of the -trace option. */
typedef struct TraceOpts {
    char *enable;
    char *events;
    char *file;
} TraceOpts;

static const struct {
    const char *key;
    size_t offset;
} trace_opt_keys[] = {
    { "enable", offsetof(TraceOpts, enable) },
    { "events", offsetof(TraceOpts, events) },
    { "file", offsetof(TraceOpts, file) },
};

static void trace_opts_clear(TraceOpts *opts)
{
    g_free(opts->enable);
    g_free(opts->events);
    g_free(opts->file);
}

static char **trace_opts_field(TraceOpts *opts, const char *key)
{
    for (size_t i = 0; i < ARRAY_SIZE(trace_opt_keys); i++) {
        if (strcmp(trace_opt_keys[i].key, key) == 0) {
            return (char **)((char *)opts + trace_opt_keys[i].offset);
        }
    }
    return NULL;
}

/* Copy a value up to an unescaped ','; ",," stands for one comma. */
static const char *trace_opts_value(const char *p, char **value)
{
    GString *s = g_string_new(NULL);

    while (*p && !(p[0] == ',' && p[1] != ',')) {
        if (*p == ',') {
            p++;
        }
        g_string_append_c(s, *p++);
    }
    *value = g_string_free(s, FALSE);
    return *p ? p + 1 : p;
}

/* QemuOpts-style parse of [enable=]PATTERN[,events=FILE][,file=FILE]. */
static bool trace_opts_parse(const char *optarg, TraceOpts *opts,
                             GError **errp)
{
    const char *p = optarg;

    while (*p) {
        size_t len = strcspn(p, "=,");
        bool implied = p == optarg && len && p[len] != '=';
        g_autofree char *key = g_strndup(implied ? "enable" : p,
                                         implied ? strlen("enable") : len);
        char **field = trace_opts_field(opts, key);
        char *value;

        if (!field) {
            error_setg(errp, "Invalid parameter '%s'", key);
            return false;
        }
        if (!implied && p[len] != '=') {
            error_setg(errp, "Expected '=' after parameter '%s'", key);
            return false;
        }
        p = trace_opts_value(implied ? p : p + len + 1, &value);
        g_free(*field);
        *field = value;
    }
    return true;
}

static bool trace_is_help_option(const char *s)
{
    return s && (strcmp(s, "help") == 0 || strcmp(s, "?") == 0);
}

bool trace_opt_is_help(const char *optarg)
{
    TraceOpts opts = { 0 };
    bool help = trace_opts_parse(optarg, &opts, NULL) &&
                trace_is_help_option(opts.enable);

    trace_opts_clear(&opts);
    return help;
}

bool trace_opt_parse(const char *optarg, GError **errp)
{
    TraceOpts opts = { 0 };
    bool ok = trace_opts_parse(optarg, &opts, errp);

    if (ok && trace_is_help_option(opts.enable)) {
        trace_list_events(stdout);
        fflush(stdout);
    } else if (ok) {
        ok = !opts.file || trace_set_output_file(opts.file, errp);
        if (ok && opts.enable) {
            trace_enable_line(opts.enable);
        }
        if (ok && opts.events) {
            ok = trace_enable_events_file(opts.events, errp);
        }
    }
    trace_opts_clear(&opts);
    return ok;
}
