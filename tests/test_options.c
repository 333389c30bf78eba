/* test_options.c - the option table against the parser: every option (each
 * of its names) is accepted by exactly the commands its row says and
 * rejected by every other command with one error line naming the option and
 * the command's usage; values land in their field; ranges and choices reject
 * what is outside them; the help of each command lists exactly its options;
 * and the error model: a compiler bug is recorded (exit status 2 via
 * lmcc_report), never an exit from library code. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "ir.h"
#include "options.h"

static int failures, checks;
#define CHECK(c, ...) do { checks++; if (!(c)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

static char regular_file[64];

/* a value the option's type accepts (the first choice, the low end of a range) */
static const char *valid_value(const lmcc_option *o, char *buf, size_t cap) {
    switch (o->type) {
    case LMCC_ARG_FLAG: return NULL;
    case LMCC_ARG_FILE: return regular_file;
    case LMCC_ARG_CHOICE: snprintf(buf, cap, "%.*s", (int)strcspn(o->metavar, "|"), o->metavar); return buf;
    case LMCC_ARG_INT: snprintf(buf, cap, "%ld", (long)o->lo); return buf;
    case LMCC_ARG_REAL: snprintf(buf, cap, "%g", o->lo); return buf;
    case LMCC_ARG_BYTES: return "4K";
    case LMCC_ARG_STR: return "value";
    }
    return "value";
}

/* parses: CMD [operands] [extra...]; the error text (one line) or "" */
static int parse(const char *cmd, lmcc_config *c, int n_extra, const char *const *extra) {
    const char *argv[16];
    int argc = 0;
    argv[argc++] = cmd;
    argv[argc++] = "model.gguf";
    if (!strcmp(cmd, "tokenize")) argv[argc++] = "text";
    for (int i = 0; i < n_extra; i++) argv[argc++] = extra[i];
    argv[argc] = NULL;
    lmcc_error_clear();
    return lmcc_config_parse(argc, (char **)argv, c);
}

static void check_field(const lmcc_config *c, const lmcc_option *o, const char *v, const char *what) {
    const char *field = (const char *)c + o->offset;
    switch (o->type) {
    case LMCC_ARG_FLAG: CHECK(*(const int *)field == 1, "%s: flag not set", what); break;
    case LMCC_ARG_STR:
    case LMCC_ARG_FILE: CHECK(*(const char *const *)field == v, "%s: string not stored", what); break;
    case LMCC_ARG_CHOICE: CHECK(*(const int *)field == o->values[0], "%s: choice stores %d", what, *(const int *)field); break;
    case LMCC_ARG_INT: CHECK(*(const long *)field == (long)o->lo, "%s: integer stores %ld", what, *(const long *)field); break;
    case LMCC_ARG_REAL: CHECK(*(const double *)field == o->lo, "%s: number stores %g", what, *(const double *)field); break;
    case LMCC_ARG_BYTES: CHECK(*(const long long *)field == 4096, "%s: bytes store %lld", what, *(const long long *)field); break;
    }
}

/* every name of every row, with "--name value" and "--name=value", on every command */
static void test_table(void) {
    for (int id = 0; id < LMCC_N_OPTIONS; id++) {
        const lmcc_option *o = &lmcc_options[id];
        for (const char *p = o->names; *p;) {
            char name[32], val[64], eq[128];
            size_t m = strcspn(p, "|");
            snprintf(name, sizeof name, "%.*s", (int)m, p);
            p += m + (p[m] == '|');
            /* the commands any row with this name belongs to */
            unsigned takers = 0;
            for (int k = 0; k < LMCC_N_OPTIONS; k++) {
                const char *q = lmcc_options[k].names;
                for (size_t n; *q; q += n + (q[n] == '|'))
                    if ((n = strcspn(q, "|")) == strlen(name) && !strncmp(q, name, n)) takers |= lmcc_options[k].cmds;
            }
            const char *v = valid_value(o, val, sizeof val);
            for (int cmd = 0; cmd < LMCC_N_COMMANDS; cmd++) {
                const char *cn = lmcc_commands[cmd].name;
                lmcc_config c;
                const char *extra[2] = {name, v};
                int rc = parse(cn, &c, v ? 2 : 1, extra);
                char what[96];
                snprintf(what, sizeof what, "%s %s", cn, name);
                if ((o->cmds >> cmd) & 1) {
                    CHECK(rc == 0 && c.given[id] == 1, "%s: rejected: %s", what, lmcc_error_text());
                    if (rc == 0) check_field(&c, o, v, what);
                    if (v && name[1] == '-') { /* --name=value */
                        snprintf(eq, sizeof eq, "%s=%s", name, v);
                        const char *one[1] = {eq};
                        CHECK(parse(cn, &c, 1, one) == 0 && c.given[id] == 1, "%s=: rejected: %s", what, lmcc_error_text());
                    }
                } else if (!((takers >> cmd) & 1)) {
                    const char *e = lmcc_error_text();
                    char usage[64];
                    snprintf(usage, sizeof usage, "usage: lmcc %s ", cn);
                    CHECK(rc == -1, "%s: accepted", what);
                    CHECK(!strchr(e, '\n') && strstr(e, name) && strstr(e, usage), "%s: error '%s'", what, e);
                }
            }
        }
    }
    /* two rows share a name only where no command takes both */
    for (int a = 0; a < LMCC_N_OPTIONS; a++)
        for (int b = a + 1; b < LMCC_N_OPTIONS; b++) {
            const char *q = lmcc_options[a].names;
            for (size_t n; *q; q += n + (q[n] == '|')) {
                n = strcspn(q, "|");
                char name[32];
                snprintf(name, sizeof name, "|%.*s|", (int)n, q);
                char other[64];
                snprintf(other, sizeof other, "|%s|", lmcc_options[b].names);
                CHECK(!strstr(other, name) || !(lmcc_options[a].cmds & lmcc_options[b].cmds),
                      "rows %d and %d share %s on a command", a, b, name);
            }
        }
}

/* the ends of every range, NaN and infinity, unknown choices */
static void test_ranges(void) {
    for (int id = 0; id < LMCC_N_OPTIONS; id++) {
        const lmcc_option *o = &lmcc_options[id];
        int cmd = 0;
        while (!((o->cmds >> cmd) & 1)) cmd++;
        const char *cn = lmcc_commands[cmd].name, *name = o->names + (strchr(o->names, '|') ? strcspn(o->names, "|") + 1 : 0);
        char v[64];
        lmcc_config c;
        const char *extra[2] = {name, v};
        if (o->type == LMCC_ARG_INT || o->type == LMCC_ARG_REAL) {
            int isint = o->type == LMCC_ARG_INT;
            snprintf(v, sizeof v, isint ? "%.0f" : "%.17g", o->lo - 1);
            CHECK(parse(cn, &c, 2, extra) == -1 && strstr(lmcc_error_text(), name), "%s %s accepted", name, v);
            if (o->hi != HUGE_VAL) {
                snprintf(v, sizeof v, isint ? "%.0f" : "%.17g", o->hi);
                CHECK(parse(cn, &c, 2, extra) == 0, "%s %s (the top of the range) rejected", name, v);
                snprintf(v, sizeof v, isint ? "%.0f" : "%.17g", isint ? o->hi + 1 : o->hi * 1.001 + 1e-9);
                CHECK(parse(cn, &c, 2, extra) == -1, "%s %s accepted", name, v);
            }
            static const char *const junk[] = {"nan", "inf", "abc", "", "1x"};
            for (int j = 0; j < 5; j++) {
                snprintf(v, sizeof v, "%s", junk[j]);
                CHECK(parse(cn, &c, 2, extra) == -1 && !strchr(lmcc_error_text(), '\n'), "%s '%s' accepted", name, v);
            }
        }
        if (o->type == LMCC_ARG_CHOICE) {
            snprintf(v, sizeof v, "nosuch");
            CHECK(parse(cn, &c, 2, extra) == -1 && strstr(lmcc_error_text(), "'nosuch'"), "%s nosuch accepted", name);
        }
        if (o->type == LMCC_ARG_FILE) {
            snprintf(v, sizeof v, "/");
            CHECK(parse(cn, &c, 2, extra) == -1 && strstr(lmcc_error_text(), "regular file"), "%s / accepted", name);
        }
        if (o->type == LMCC_ARG_FLAG && name[1] == '-') {
            snprintf(v, sizeof v, "%s=1", name);
            const char *one[1] = {v};
            CHECK(parse(cn, &c, 1, one) == -1 && strstr(lmcc_error_text(), "takes no value"), "%s=1 accepted", name);
        }
        if (o->type != LMCC_ARG_FLAG) {
            const char *one[1] = {name};
            CHECK(parse(cn, &c, 1, one) == -1 && strstr(lmcc_error_text(), "needs a value"), "%s without value", name);
        }
    }
}

/* the cases, spelled out */
static void test_cases(void) {
    lmcc_config c;
    const char *emb[] = {"--embedding", "f16"};
    CHECK(parse("quality", &c, 2, emb) == 0 && c.embed_f16 == 1 && !strcmp(c.model, "model.gguf"),
          "quality --embedding f16: %s", lmcc_error_text());
    const char *emb_same[] = {"--embedding=same", "--weights", "q4"};
    CHECK(parse("quality", &c, 3, emb_same) == 0 && c.embed_f16 == 0 && !strcmp(c.weights, "q4"), "--embedding=same");
    const char *ctx[] = {"--ctx", "1048577"};
    CHECK(parse("compile", &c, 2, ctx) == -1 && strstr(lmcc_error_text(), "1..1048576") &&
          strstr(lmcc_error_text(), "sized by the context"), "--ctx limit: %s", lmcc_error_text());
    const char *ctx_ok[] = {"--ctx", "1048576"};
    CHECK(parse("dump-ir", &c, 2, ctx_ok) == 0 && c.ctx == 1048576, "--ctx 1048576");
    const char *len[] = {"--len", "1048577"};
    CHECK(parse("quality", &c, 2, len) == -1 && strstr(lmcc_error_text(), "2..1048576") &&
          strstr(lmcc_error_text(), "sized by the context"), "--len shares the limit: %s", lmcc_error_text());
    /* defaults come from the table */
    CHECK(parse("run", &c, 0, NULL) == 0 && c.steps == 64 && c.temp == 1.0 && c.top_p == 1.0 && c.top_k == 0 &&
          c.given[LMCC_OPT_STEPS] == 2 && !strcmp(c.target, "generic") && c.kv_dtype == IR_DT_F32 && c.rotate == 1,
          "run defaults");
    CHECK(parse("compile", &c, 0, NULL) == 0 && c.act_q8 == -1 && c.weights == NULL && !strcmp(c.name, "model"),
          "compile defaults");
    /* same name, other meaning: -p is text for run and a count for bench */
    const char *p_text[] = {"-p", "Once upon"};
    CHECK(parse("run", &c, 2, p_text) == 0 && !strcmp(c.prompt, "Once upon"), "run -p TEXT");
    CHECK(parse("bench", &c, 2, p_text) == -1 && strstr(lmcc_error_text(), "-p wants an integer"), "bench -p TEXT");
    const char *seeds[] = {"--seed", "7"};
    CHECK(parse("quality", &c, 2, seeds) == 0 && c.sample_seed == 7 && c.seed == 0, "quality --seed");
    CHECK(parse("run", &c, 2, seeds) == 0 && c.seed == 7 && c.sample_seed == 0, "run --seed");
    /* operands */
    const char *two[] = {"stray"};
    CHECK(parse("compile", &c, 1, two) == -1 && strstr(lmcc_error_text(), "unexpected argument 'stray'"), "stray");
    const char *tok[] = {"tokenize", "m.gguf", "--", "-text", NULL};
    CHECK(lmcc_config_parse(4, (char **)tok, &c) == 0 && !strcmp(c.text, "-text"), "-- ends the options");
    const char *none[] = {"compile", NULL};
    lmcc_error_clear();
    CHECK(lmcc_config_parse(1, (char **)none, &c) == -1 && strstr(lmcc_error_text(), "no MODEL given"), "no MODEL");
    const char *help[] = {"eval", "--help", NULL};
    CHECK(lmcc_config_parse(2, (char **)help, &c) == LMCC_PARSE_HELP && c.cmd == LMCC_CMD_EVAL, "eval --help");
    const char *unknown[] = {"frobnicate", NULL};
    lmcc_error_clear();
    CHECK(lmcc_config_parse(1, (char **)unknown, &c) == -1 && strstr(lmcc_error_text(), "unknown command"), "command");
}

/* "\n  -t, --target T" as help_option starts the line of o */
static void help_line(const lmcc_option *o, char *line, size_t cap) {
    size_t n = (size_t)snprintf(line, cap, "\n  ");
    for (const char *p = o->names; *p;) {
        size_t m = strcspn(p, "|");
        n += (size_t)snprintf(line + n, cap - n, "%.*s%s", (int)m, p, p[m] == '|' ? ", " : "");
        p += m + (p[m] == '|');
    }
    if (o->metavar) snprintf(line + n, cap - n, " %s", o->metavar);
}

/* lmcc CMD --help lists exactly the options CMD takes */
static void test_help(void) {
    for (int cmd = 0; cmd < LMCC_N_COMMANDS; cmd++) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        lmcc_help(f, cmd);
        fclose(f);
        for (int id = 0; id < LMCC_N_OPTIONS; id++) {
            char line[160], other[160];
            help_line(&lmcc_options[id], line, sizeof line);
            int takes = 0; /* rows that look alike (--seed S of run and of quality) print the same line */
            for (int k = 0; k < LMCC_N_OPTIONS; k++) {
                help_line(&lmcc_options[k], other, sizeof other);
                takes |= !strcmp(line, other) && ((lmcc_options[k].cmds >> cmd) & 1);
            }
            int listed = strstr(text, line) != NULL;
            CHECK(listed == takes, "lmcc %s --help %s '%s'", lmcc_commands[cmd].name, takes ? "lacks" : "lists", line + 3);
        }
        free(text);
    }
}

/* bugs are recorded, reported with status 2, and win over a user error */
static void test_error_model(void) {
    lmcc_error_clear();
    lmcc_error("f.gguf", "bad %s", "thing");
    lmcc_error("g.gguf", "second");
    CHECK(!strcmp(lmcc_error_text(), "f.gguf: bad thing") && !lmcc_error_is_bug(), "first error wins");
    FILE *f = tmpfile();
    CHECK(lmcc_report(f, "compile") == 1, "user error: status 1");
    lmcc_bug("after pass %s: node 3", "dce");
    CHECK(lmcc_error_is_bug() && !strcmp(lmcc_error_text(), "after pass dce: node 3"), "a bug replaces it");
    CHECK(lmcc_report(f, "compile") == 2, "bug: status 2");
    lmcc_error_clear();
    CHECK(lmcc_report(f, "compile") == 1, "nothing recorded: status 1");
    char out[512] = {0};
    rewind(f);
    size_t got = fread(out, 1, sizeof out - 1, f);
    out[got] = 0;
    fclose(f);
    CHECK(!strcmp(out, "lmcc: error: f.gguf: bad thing\nlmcc: internal error: after pass dce: node 3\n"
                       "lmcc: error: compile failed\n"), "report lines:\n%s", out);
}

int main(void) {
    const char *tmp = getenv("TMPDIR");
    snprintf(regular_file, sizeof regular_file, "%s/lmcc-opt-XXXXXX", tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    int fd = mkstemp(regular_file);
    if (fd < 0) { printf("FAIL: mkstemp\n"); return 1; }
    close(fd);
    test_table();
    test_ranges();
    test_cases();
    test_help();
    test_error_model();
    remove(regular_file);
    printf("%d checks, %d failures (%d options, %d commands)\n", checks, failures, LMCC_N_OPTIONS, LMCC_N_COMMANDS);
    return failures ? 1 : 0;
}
