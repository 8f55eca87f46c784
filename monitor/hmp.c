/*
 * hmp.c: the human monitor: readline sessions, command tables, dispatch
 * and help.  Main thread only.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "monitor/monitor-int.h"
#include "monitor/hmp.h"
#include "trace-monitor.h"

#define HMP_BANNER "QEMU 10.0.0 monitor - type 'help' for more information\n"
#define HMP_PROMPT "(qemu) "

static GPtrArray *hmp_cmds;         /* const HMPCommand*, top level */
static GPtrArray *hmp_info_cmds;    /* const HMPCommand*, `info X` */

/* The `info` entry: its handler is the sub-table. */
static const HMPCommand hmp_info_entry = {
    .name = "info",
    .args_type = "item:s?",
    .params = "[subcommand]",
    .help = "show various information about the system state",
};

static void table_add(GPtrArray **table, const HMPCommand *cmds, size_t n)
{
    if (!*table) {
        *table = g_ptr_array_new();
    }
    for (size_t i = 0; i < n; i++) {
        g_ptr_array_add(*table, (gpointer)&cmds[i]);
    }
}

void hmp_register_commands(const HMPCommand *cmds, size_t n)
{
    table_add(&hmp_cmds, cmds, n);
}

void hmp_register_info_commands(const HMPCommand *cmds, size_t n)
{
    table_add(&hmp_info_cmds, cmds, n);
}

void monitor_hmp_init_globals(void)
{
    if (hmp_cmds) {
        return;
    }
    hmp_register_builtin_commands();
    table_add(&hmp_cmds, &hmp_info_entry, 1);
}

void monitor_hmp_cleanup_globals(void)
{
    g_clear_pointer(&hmp_cmds, g_ptr_array_unref);
    g_clear_pointer(&hmp_info_cmds, g_ptr_array_unref);
}

/* Whether @word is one of the '|'-separated names of @names. */
static bool cmd_name_matches(const char *names, const char *word)
{
    size_t wlen = strlen(word);

    for (const char *p = names; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);

        if (len == wlen && !strncmp(p, word, len)) {
            return true;
        }
        p += len + (bar ? 1 : 0);
    }
    return false;
}

/* The latest registration of @word wins. */
static const HMPCommand *table_find(GPtrArray *table, const char *word)
{
    for (guint i = table ? table->len : 0; i > 0; i--) {
        const HMPCommand *cmd = g_ptr_array_index(table, i - 1);

        if (cmd_name_matches(cmd->name, word)) {
            return cmd;
        }
    }
    return NULL;
}

static void help_dump_one(Monitor *mon, const HMPCommand *cmd,
                          const char *prefix)
{
    g_autoptr(GString) s = g_string_new(prefix);

    g_string_append_printf(s, "%s %s -- ", cmd->name,
                           cmd->params ? cmd->params : "");
    for (const char *p = cmd->help ? cmd->help : ""; *p; p++) {
        g_string_append_c(s, *p);
        if (*p == '\n') {
            g_string_append(s, "\t\t\t");
        }
    }
    g_string_append_c(s, '\n');
    monitor_puts(mon, s->str);
}

static void help_dump_table(Monitor *mon, GPtrArray *table,
                            const char *prefix)
{
    for (guint i = 0; table && i < table->len; i++) {
        help_dump_one(mon, g_ptr_array_index(table, i), prefix);
    }
}

/* `help [NAME [SUB]]` */
static void hmp_help(Monitor *mon, const char *name)
{
    g_auto(GStrv) words = g_strsplit_set(name ? name : "", " \t", 3);
    const HMPCommand *cmd;
    int n = 0;

    for (int i = 0; words[i]; i++) {
        if (*words[i]) {
            words[n++] = words[i];
        }
    }
    words[n] = NULL;
    if (n == 0) {
        help_dump_table(mon, hmp_cmds, "");
        return;
    }
    cmd = table_find(hmp_cmds, words[0]);
    if (cmd == &hmp_info_entry && n > 1) {
        const HMPCommand *sub = table_find(hmp_info_cmds, words[1]);

        if (!sub) {
            monitor_printf(mon, "unknown command: 'info %s'\n", words[1]);
            return;
        }
        help_dump_one(mon, sub, "info ");
    } else if (cmd == &hmp_info_entry) {
        help_dump_table(mon, hmp_info_cmds, "info ");
    } else if (cmd) {
        help_dump_one(mon, cmd, "");
    } else {
        monitor_printf(mon, "unknown command: '%s'\n", words[0]);
    }
}

/*
 * The built-in `help` is here because it reads the tables; it is added
 * by hmp-cmds.c with the other built-ins.
 */
void hmp_help_cmd(Monitor *mon, JsonObject *args)
{
    hmp_help(mon, json_object_get_string_member_with_default(args, "name",
                                                             NULL));
}

bool hmp_handle_error(Monitor *mon, GError *err)
{
    if (!err) {
        return false;
    }
    monitor_printf(mon, "Error: %s\n", err->message);
    g_error_free(err);
    return true;
}

/* Copy the next word of *pp into a new string (NULL at the end). */
static char *next_word(const char **pp)
{
    const char *p = *pp;
    const char *start;

    while (g_ascii_isspace(*p)) {
        p++;
    }
    start = p;
    while (*p && !g_ascii_isspace(*p)) {
        p++;
    }
    *pp = p;
    return p > start ? g_strndup(start, p - start) : NULL;
}

static void hmp_run_cmd(Monitor *mon, const HMPCommand *cmd,
                        const char *line, const char *rest)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(JsonObject) args = hmp_parse_args(cmd->args_type, rest, &err);

    if (!args) {
        monitor_printf(mon, "%s: %s\n", cmd->name, err->message);
        monitor_printf(mon, "Try \"help %.*s\" for more information\n",
                       (int)(rest - line), line);
        return;
    }
    cmd->cmd(mon, args);
}

static void hmp_run_info(Monitor *mon, const char *line, const char *rest)
{
    const char *p = rest;
    g_autofree char *word = next_word(&p);
    const HMPCommand *sub;

    if (!word) {
        help_dump_table(mon, hmp_info_cmds, "info ");
        return;
    }
    sub = table_find(hmp_info_cmds, word);
    if (!sub) {
        monitor_printf(mon, "unknown command: 'info %s'\n", word);
        return;
    }
    hmp_run_cmd(mon, sub, line, p);
}

/* Parse and run one HMP command line, output to @mon. */
void monitor_hmp_run_line(Monitor *mon, const char *line)
{
    const char *start = line;
    const char *p;
    g_autofree char *word = NULL;
    const HMPCommand *cmd;
    Monitor *old;

    while (g_ascii_isspace(*start)) {
        start++;
    }
    p = start;
    word = next_word(&p);
    if (!word) {
        return;
    }
    trace_monitor_hmp_command(mon, line);
    cmd = table_find(hmp_cmds, word);
    if (!cmd) {
        monitor_printf(mon, "unknown command: '%s'\n", word);
        return;
    }
    old = monitor_set_cur(mon);
    if (cmd == &hmp_info_entry) {
        hmp_run_info(mon, start, p);
    } else {
        hmp_run_cmd(mon, cmd, start, p);
    }
    monitor_set_cur(old);
}

/* After `quit`: no more input, no prompt. */
void monitor_hmp_suspend(Monitor *mon)
{
    if (!mon->is_qmp) {
        ((MonitorHMP *)mon)->suspended = true;
    }
}

static void monitor_hmp_line_done(MonitorHMP *mon)
{
    g_autofree char *line = g_strdup(mon->line->str);

    g_string_truncate(mon->line, 0);
    monitor_hmp_run_line(&mon->common, line);
    if (!mon->suspended) {
        monitor_puts(&mon->common, HMP_PROMPT);
    }
}

/* Line editing: CR, LF or CRLF end a line; BS/DEL erase; ESC [ ... skip. */
static void monitor_hmp_byte(MonitorHMP *mon, uint8_t c)
{
    if (mon->esc_state == 1) {
        mon->esc_state = c == '[' ? 2 : 0;
        return;
    }
    if (mon->esc_state == 2) {
        mon->esc_state = (c >= 0x40 && c <= 0x7e) ? 0 : 2;
        return;
    }
    if (c == '\n' && mon->skip_lf) {
        mon->skip_lf = false;
        return;
    }
    mon->skip_lf = c == '\r';
    if (c == '\r' || c == '\n') {
        monitor_hmp_line_done(mon);
    } else if (c == 0x7f || c == 0x08) {
        if (mon->line->len) {
            g_string_truncate(mon->line, mon->line->len - 1);
        }
    } else if (c == 0x1b) {
        mon->esc_state = 1;
    } else if (c >= 0x20 && mon->line->len < HMP_LINE_MAX) {
        g_string_append_c(mon->line, c);
    }
}

static void monitor_hmp_read(void *opaque, const uint8_t *buf, size_t len,
                             int *fds, size_t nfds)
{
    MonitorHMP *mon = opaque;

    if (!len) {
        /* end of input: a socket session ends; stdio just stops reading */
        if (!char_conn_is_stdio(mon->common.conn)) {
            char_conn_close(mon->common.conn);
        }
        return;
    }
    /* HMP has no getfd over a connection: drop passed fds */
    for (size_t i = 0; i < nfds; i++) {
        close(fds[i]);
    }
    for (size_t i = 0; i < len && !mon->suspended; i++) {
        monitor_hmp_byte(mon, buf[i]);
    }
}

static void monitor_hmp_free(MonitorHMP *mon)
{
    monitor_list_remove(&mon->common);
    monitor_common_destroy(&mon->common);
    g_string_free(mon->line, true);
    g_free(mon);
}

static void monitor_hmp_close(void *opaque)
{
    monitor_hmp_free(opaque);
}

static MonitorHMP *monitor_hmp_alloc(CharConn *conn)
{
    MonitorHMP *mon = g_new0(MonitorHMP, 1);

    monitor_common_init(&mon->common, false, false, conn);
    mon->line = g_string_new("");
    monitor_list_add(&mon->common);
    return mon;
}

/* A new connection on a readline-mode chardev. */
void monitor_hmp_open(MonitorConfig *cfg, CharConn *conn)
{
    MonitorHMP *mon = monitor_hmp_alloc(conn);

    monitor_puts(&mon->common, HMP_BANNER HMP_PROMPT);
    char_conn_set_handlers(conn, monitor_hmp_read, monitor_hmp_close, mon);
}

/* A temporary HMP monitor whose output collects in a buffer. */
Monitor *monitor_hmp_new_buffered(void)
{
    return &monitor_hmp_alloc(NULL)->common;
}

/* Free a temporary monitor; returns its output. */
char *monitor_hmp_free_buffered(Monitor *mon)
{
    char *out = g_strdup(mon->outbuf->str);

    monitor_hmp_free((MonitorHMP *)mon);
    return out;
}
