/* options.c - the option and command tables, the parser, --help (see options.h). */
#include "options.h"

#include "arch.h"
#include "codegen.h"
#include "diag.h"
#include "ir.h"
#include "stage.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const lmcc_option lmcc_options[LMCC_N_OPTIONS] = {
#define X(id, names, metavar, type, lo, hi, def, values, cmds, field, help, limit) \
    {names, metavar, LMCC_ARG_##type, lo, hi, def, values, cmds, offsetof(lmcc_config, field), help, limit},
    LMCC_OPTION_LIST(X)
#undef X
};

const lmcc_command_info lmcc_commands[LMCC_N_COMMANDS] = {
#define X(id, name, operands, required, summary) {name, operands, required, summary},
    LMCC_COMMAND_LIST(X)
#undef X
};

int lmcc_command_find(const char *s) {
    for (int i = 0; i < LMCC_N_COMMANDS; i++)
        if (!strcmp(s, lmcc_commands[i].name)) return i;
    return -1;
}

/* does the '|'-separated list have the word w (of length n)?  Its index, or -1 */
static int list_index(const char *list, const char *w, size_t n) {
    int i = 0;
    for (const char *p = list; *p; i++) {
        size_t m = strcspn(p, "|");
        if (m == n && !strncmp(p, w, n)) return i;
        p += m + (p[m] == '|');
    }
    return -1;
}

/* "usage: lmcc CMD OPERANDS REQUIRED [options]" as an error hint */
static const char *usage_hint(int cmd, char *buf, size_t cap) {
    const lmcc_command_info *ci = &lmcc_commands[cmd];
    snprintf(buf, cap, "usage: lmcc %s %s%s%s [options]; lmcc %s --help lists them", ci->name, ci->operands,
             ci->required[0] ? " " : "", ci->required, ci->name);
    return buf;
}

/* "a, b or c" from the '|'-separated list "a|b|c" */
static const char *word_list(const char *list, const char *last, char *buf, size_t cap) {
    size_t n = 0;
    int left = 1;
    for (const char *p = list; *p; p++) left += *p == '|';
    buf[0] = 0;
    for (const char *p = list; *p && n < cap;) {
        size_t m = strcspn(p, "|");
        left--;
        n += (size_t)snprintf(buf + n, cap - n, "%.*s%s%s%s", (int)m, p, left > 1 ? ", " : left ? " " : "",
                              left == 1 ? last : "", left == 1 ? " " : "");
        p += m + (p[m] == '|');
    }
    return buf;
}

/* "compile, run and eval" for a command mask */
static const char *command_names(unsigned mask, char *buf, size_t cap) {
    char list[160];
    size_t n = 0;
    list[0] = 0;
    for (int i = 0; i < LMCC_N_COMMANDS && n < sizeof list; i++)
        if ((mask >> i) & 1) n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? "|" : "", lmcc_commands[i].name);
    return word_list(list, "and", buf, cap);
}

static const char *range_text(const lmcc_option *o, char *buf, size_t cap) {
    if ((o->type == LMCC_ARG_INT || o->type == LMCC_ARG_REAL) && o->hi == HUGE_VAL) snprintf(buf, cap, ">= %g", o->lo);
    else if (o->type == LMCC_ARG_INT) snprintf(buf, cap, "%.0f..%.0f", o->lo, o->hi);
    else if (o->type == LMCC_ARG_REAL) snprintf(buf, cap, "%g..%g", o->lo, o->hi);
    else if (o->type == LMCC_ARG_BYTES) snprintf(buf, cap, "a byte count like 262144, 256K, 4M or 1G");
    else buf[0] = 0;
    return buf;
}

/* the first name of the option ("--target" for "-t|--target" is the long one) */
static const char *option_label(const lmcc_option *o, char *buf, size_t cap) {
    const char *bar = strrchr(o->names, '|');
    snprintf(buf, cap, "%s", bar ? bar + 1 : o->names);
    return buf;
}

/* Stores value v of option o into c; -1 after lmcc_error.  The defaults of
 * the table go through here too, so a default obeys its own range. */
static int store_value(lmcc_config *c, const lmcc_option *o, const char *v, const char *source) {
    char label[32], range[64];
    void *field = (char *)c + o->offset;
    if (source) snprintf(label, sizeof label, "%s", source);
    else option_label(o, label, sizeof label);
    char *end;
    switch (o->type) {
    case LMCC_ARG_FLAG: *(int *)field = 1; return 0;
    case LMCC_ARG_STR: *(const char **)field = v; return 0;
    case LMCC_ARG_FILE: {
        struct stat st;
        /* stat, not open: open blocks on a FIFO until a writer appears */
        if (stat(v, &st) != 0) return lmcc_error(v, "cannot read the %s file: %s (check the path)", label, strerror(errno));
        if (!S_ISREG(st.st_mode)) return lmcc_error(v, "%s wants a regular file (not a directory, FIFO or device)", label);
        *(const char **)field = v;
        return 0;
    }
    case LMCC_ARG_CHOICE: {
        int k = list_index(o->metavar, v, strlen(v));
        if (k < 0) {
            char list[128];
            return lmcc_error(NULL, "unknown %s '%s' (use %s)", label, v, word_list(o->metavar, "or", list, sizeof list));
        }
        *(int *)field = o->values[k];
        return 0;
    }
    case LMCC_ARG_INT: {
        errno = 0;
        long x = strtol(v, &end, 10);
        if (end == v || *end || errno || (double)x < o->lo || (double)x > o->hi)
            return lmcc_error(NULL, "%s wants an integer %s%s, got '%s'%s%s%s", label, o->hi == HUGE_VAL ? "" : "in ",
                              range_text(o, range, sizeof range), v, o->limit ? " (" : "", o->limit ? o->limit : "",
                              o->limit ? ")" : "");
        *(long *)field = x;
        return 0;
    }
    case LMCC_ARG_REAL: {
        errno = 0;
        double x = strtod(v, &end);
        if (end == v || *end || errno || !isfinite(x) || x < o->lo || x > o->hi)
            return lmcc_error(NULL, "%s wants a number %s%s, got '%s'", label, o->hi == HUGE_VAL ? "" : "in ",
                              range_text(o, range, sizeof range), v);
        *(double *)field = x;
        return 0;
    }
    case LMCC_ARG_BYTES: {
        long long x = lmcc_parse_bytes(v);
        if (x < (long long)o->lo) return lmcc_error(NULL, "%s '%s': want %s", label, v, range_text(o, range, sizeof range));
        *(long long *)field = x;
        return 0;
    }
    }
    return lmcc_bug("option %s has no argument type", label);
}

int lmcc_config_set(lmcc_config *c, lmcc_option_id id, const char *v, const char *source) {
    if (store_value(c, &lmcc_options[id], v, source)) return -1;
    c->given[id] = 1;
    return 0;
}

/* the row of option `name` for command cmd; -1 when the command has none
 * (*elsewhere: the mask of the commands that do, 0 when none) */
static int option_find(const char *name, size_t n, int cmd, unsigned *elsewhere) {
    *elsewhere = 0;
    for (int i = 0; i < LMCC_N_OPTIONS; i++) {
        if (list_index(lmcc_options[i].names, name, n) < 0) continue;
        if ((lmcc_options[i].cmds >> cmd) & 1) return i;
        *elsewhere |= lmcc_options[i].cmds;
    }
    return -1;
}

static int operand_count(int cmd) {
    int n = 0;
    for (const char *p = lmcc_commands[cmd].operands; *p; p += strspn(p, " ")) {
        n++;
        p += strcspn(p, " ");
    }
    return n;
}

int lmcc_config_parse(int argc, char **argv, lmcc_config *c) {
    memset(c, 0, sizeof *c);
    char hint[256], names[128];
    int cmd = argc > 0 ? lmcc_command_find(argv[0]) : -1;
    if (cmd < 0)
        return lmcc_error(NULL, "unknown command '%s' (commands: %s; lmcc --help)", argc > 0 ? argv[0] : "",
                          command_names((1u << LMCC_N_COMMANDS) - 1, names, sizeof names));
    c->cmd = (lmcc_command)cmd;
    usage_hint(cmd, hint, sizeof hint);
    for (int i = 0; i < LMCC_N_OPTIONS; i++) {
        const lmcc_option *o = &lmcc_options[i];
        if (o->type == LMCC_ARG_CHOICE) *(int *)((char *)c + o->offset) = -1;
        if (!((o->cmds >> cmd) & 1) || !o->def) continue;
        if (store_value(c, o, o->def, NULL)) return -1;
        c->given[i] = 2;
    }
    int nops = 0, max_ops = operand_count(cmd), only_operands = 0;
    const char *operands[2] = {NULL, NULL}; /* lmcc_config has model and text */
    if (max_ops > 2) return lmcc_bug("command %s has %d operands, lmcc_config holds 2", argv[0], max_ops);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_operands || a[0] != '-' || !a[1]) {
            if (nops >= max_ops) return lmcc_error(NULL, "%s: unexpected argument '%s' (%s)", argv[0], a, hint);
            operands[nops++] = a;
            continue;
        }
        if (!strcmp(a, "--")) { only_operands = 1; continue; }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return LMCC_PARSE_HELP;
        /* --name=value (long options only: "-p=x" stays an unknown option) */
        const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
        size_t klen = eq ? (size_t)(eq - a) : strlen(a);
        unsigned elsewhere;
        int id = option_find(a, klen, cmd, &elsewhere);
        if (id < 0 && elsewhere)
            return lmcc_error(NULL, "%s: option '%.*s' is for %s, not %s (%s)", argv[0], (int)klen, a,
                              command_names(elsewhere, names, sizeof names), argv[0], hint);
        if (id < 0) return lmcc_error(NULL, "%s: unknown option '%.*s' (%s)", argv[0], (int)klen, a, hint);
        const lmcc_option *o = &lmcc_options[id];
        const char *v = eq ? eq + 1 : NULL;
        if (o->type == LMCC_ARG_FLAG && v)
            return lmcc_error(NULL, "%s: option '%.*s' takes no value (%s)", argv[0], (int)klen, a, hint);
        if (o->type != LMCC_ARG_FLAG && !v) {
            if (i + 1 >= argc) return lmcc_error(NULL, "%s: option '%s' needs a value %s (%s)", argv[0], a, o->metavar, hint);
            v = argv[++i];
        }
        if (store_value(c, o, v, NULL)) return -1;
        c->given[id] = 1;
    }
    if (nops < max_ops) {
        const char *ops = lmcc_commands[cmd].operands;
        for (int k = 0; k < nops; k++) ops += strcspn(ops, " ") + (ops[strcspn(ops, " ")] == ' ');
        return lmcc_error(NULL, "%s: no %.*s given (%s)", argv[0], (int)strcspn(ops, " "), ops, hint);
    }
    c->model = operands[0];
    c->text = operands[1];
    c->weights_mode = IR_WEIGHTS_KEEP;
    return LMCC_PARSE_OK;
}

/* ---- help ---------------------------------------------------------------- */

/* "  -t, --target T      help\n" with continuation lines and the range/default */
static void help_option(FILE *f, const lmcc_option *o) {
    char left[96], range[64];
    size_t n = 2;
    snprintf(left, sizeof left, "  ");
    for (const char *p = o->names; *p && n < sizeof left;) {
        size_t m = strcspn(p, "|");
        n += (size_t)snprintf(left + n, sizeof left - n, "%.*s%s", (int)m, p, p[m] == '|' ? ", " : "");
        p += m + (p[m] == '|');
    }
    if (o->metavar && n < sizeof left) snprintf(left + n, sizeof left - n, " %s", o->metavar);
    enum { COL = 26 };
    if (strlen(left) < COL) fprintf(f, "%-*s", COL, left);
    else fprintf(f, "%s\n%*s", left, COL, "");
    for (const char *p = o->help; *p;) {
        size_t m = strcspn(p, "\n");
        fprintf(f, "%.*s", (int)m, p);
        p += m;
        if (*p) fprintf(f, "\n%*s", COL, ""), p++;
    }
    range_text(o, range, sizeof range);
    int show_range = range[0] && o->type != LMCC_ARG_BYTES, show_def = o->def && o->type != LMCC_ARG_FLAG;
    if (show_range || show_def)
        fprintf(f, " (%s%s%s%s)", show_range ? range : "", show_range && show_def ? ", " : "",
                show_def ? "default " : "", show_def ? o->def : "");
    fprintf(f, "\n");
}

void lmcc_help(FILE *f, int cmd) {
    char names[160];
    if (cmd >= 0) {
        const lmcc_command_info *ci = &lmcc_commands[cmd];
        fprintf(f, "usage: lmcc %s %s%s%s [options]\n  %s\n\noptions:\n", ci->name, ci->operands,
                ci->required[0] ? " " : "", ci->required, ci->summary);
        for (int i = 0; i < LMCC_N_OPTIONS; i++)
            if ((lmcc_options[i].cmds >> cmd) & 1) help_option(f, &lmcc_options[i]);
        fprintf(f, "  -h, --help              this text\n");
        return;
    }
    fprintf(f, "usage: lmcc COMMAND [options]    (lmcc COMMAND --help: the options of COMMAND)\n\ncommands:\n");
    for (int i = 0; i < LMCC_N_COMMANDS; i++) {
        const lmcc_command_info *ci = &lmcc_commands[i];
        char use[96];
        snprintf(use, sizeof use, "%s %s%s%s", ci->name, ci->operands, ci->required[0] ? " " : "", ci->required);
        if (strlen(use) < 23) fprintf(f, "  %-24s%s\n", use, ci->summary);
        else fprintf(f, "  %s\n  %-24s%s\n", use, "", ci->summary);
    }
    fprintf(f, "  --list-targets --version --help\n");
    unsigned prev = 0;
    for (int i = 0; i < LMCC_N_OPTIONS; i++) {
        if (lmcc_options[i].cmds != prev)
            fprintf(f, "\noptions of %s:\n", command_names(prev = lmcc_options[i].cmds, names, sizeof names));
        help_option(f, &lmcc_options[i]);
    }
    fprintf(f, "\nenvironment:\n");
#define X(name, help) fprintf(f, "  %-24s%s\n", name, help);
    LMCC_ENV_LIST(X)
#undef X
    fprintf(f, "\nModel files: GGUF v2/v3 (also zstd-compressed, MODEL.gguf.zst), llama2.c .bin checkpoints.\n");
}
