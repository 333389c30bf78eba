/* template.c - writes the templates of codegen/templates/ into generated files.
 *
 * A template is real C written for a model called `name`: functions name_init, macros
 * NAME_ARENA_BYTES, the header "name.h".  Writing it for a model renames those (and nothing else:
 * a template uses no other identifier that starts with name_ or NAME_), inlines the templates it
 * includes and resolves its TEMPLATE_<X> conditions, like rt_stitch resolves runtime-min's includes.
 */
#include "template.h"

#include "bench_driver.h"
#include "codegen.h"
#include "driver_baremetal.h"

#include <string.h>

typedef struct { const char *name; const char *text; size_t len; } lmcc_rt_file;
extern const lmcc_rt_file lmcc_template_files[];

static const char *const flag_names[] = {
#define X(f) #f,
    TEMPLATE_FLAG_LIST(X)
#undef X
};

static const lmcc_rt_file *template_find(const char *name) {
    for (const lmcc_rt_file *f = lmcc_template_files; f->name; f++)
        if (!strcmp(f->name, name)) return f;
    return NULL;
}

static int is_ident(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* One line with the placeholders replaced. */
static void put_line(FILE *out, const char *p, size_t n, const char *name, const char *up) {
    for (size_t i = 0; i < n; i++) {
        int start = i == 0 || !is_ident(p[i - 1]);
        if (start && n - i >= 5 && (!memcmp(p + i, "name_", 5) || !memcmp(p + i, "NAME_", 5))) {
            fputs(p[i] == 'n' ? name : up, out);
            i += 3; /* the '_' is written by the next iteration */
        } else if (start && i > 0 && p[i - 1] == '"' && n - i >= 5 && !memcmp(p + i, "name", 4) &&
                   (p[i + 4] == '"' || (n - i >= 7 && !memcmp(p + i + 4, ".h\"", 3)))) {
            fputs(name, out);
            i += 3;
        } else {
            fputc(p[i], out);
        }
    }
}

/* the flag a `#if TEMPLATE_X` line names, or -1 */
static int template_flag(const char *d, const char *end) {
    if (end - d < 13 || memcmp(d, "if TEMPLATE_", 12)) return -1;
    d += 12;
    for (int f = 0; f < (int)(sizeof flag_names / sizeof *flag_names); f++) {
        size_t l = strlen(flag_names[f]);
        if ((size_t)(end - d) >= l && !memcmp(d, flag_names[f], l) && (d + l == end || !is_ident(d[l]))) return f;
    }
    return -1;
}

#define MAX_DEPTH 32

static int write_text(FILE *out, const lmcc_rt_file *f, const char *name, const char *up, unsigned flags, int depth,
                      char *err, size_t errlen) {
    /* per open #if: 1 = a template condition, and whether its current branch is kept */
    int mine[MAX_DEPTH], keep[MAX_DEPTH], top = 0;
    const char *p = f->text, *end = f->text + f->len;
    if (depth > 4) return snprintf(err, errlen, "templates include each other too deeply (%s)", f->name), -1;
    if (end - p > 2 && !memcmp(p, "/*", 2)) { /* the template's own description */
        const char *c = strstr(p, "*/");
        if (c) p = c + 2 + (c[2] == '\n');
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        const char *d = p;
        while (d < le && (*d == ' ' || *d == '\t')) d++;
        int active = 1;
        for (int i = 0; i < top; i++) active &= keep[i];
        int own = 0; /* a template-condition line: never written */
        if (*d == '#') {
            d++;
            while (d < le && *d == ' ') d++;
            int flag = template_flag(d, le);
            if (flag >= 0 || !strncmp(d, "if", 2)) {
                if (top == MAX_DEPTH) return snprintf(err, errlen, "%s: #if nested too deeply", f->name), -1;
                mine[top] = flag >= 0;
                keep[top++] = flag >= 0 ? (flags >> flag) & 1u : 1;
                own = flag >= 0;
            } else if (!strncmp(d, "elif", 4) && top && mine[top - 1]) {
                return snprintf(err, errlen, "%s: #elif after a template condition", f->name), -1;
            } else if (!strncmp(d, "else", 4) && top && mine[top - 1]) {
                keep[top - 1] = !keep[top - 1];
                own = 1;
            } else if (!strncmp(d, "endif", 5)) {
                if (!top) return snprintf(err, errlen, "%s: #endif without #if", f->name), -1;
                own = mine[--top];
            } else if (!strncmp(d, "include \"", 9) && active) {
                const char *s = d + 9, *e = memchr(s, '"', (size_t)(le - s));
                char inc[64];
                if (e && (size_t)(e - s) < sizeof inc) {
                    memcpy(inc, s, (size_t)(e - s));
                    inc[e - s] = 0;
                    const lmcc_rt_file *t = template_find(inc);
                    if (t) {
                        if (write_text(out, t, name, up, flags, depth + 1, err, errlen)) return -1;
                        own = 1;
                    }
                }
            }
        }
        if (active && !own) put_line(out, p, n, name, up);
        p += n;
    }
    if (top) return snprintf(err, errlen, "%s: #if without #endif", f->name), -1;
    return 0;
}

int lmcc_template_write(FILE *out, const char *tpl, const char *name, unsigned flags, char *err, size_t errlen) {
    const lmcc_rt_file *f = template_find(tpl);
    char up[128];
    if (!f) return snprintf(err, errlen, "template '%s' is not built into lmcc", tpl), -1;
    lmcc_upper_name(name, up, sizeof up);
    if (write_text(out, f, name, up, flags, 0, err, errlen)) return -1;
    return ferror(out) ? (snprintf(err, errlen, "write error"), -1) : 0;
}

/* ---- the drivers: one template each, nothing model-specific but the name ---- */

static int template_to_file(const char *path, const char *tpl, const char *name, char *err, size_t errlen) {
    FILE *fp = fopen(path, "w");
    if (!fp) return snprintf(err, errlen, "%s: cannot write", path), -1;
    int rc = lmcc_template_write(fp, tpl, name, 0, err, errlen);
    if (fclose(fp) != 0 && !rc) rc = (snprintf(err, errlen, "%s: write error", path), -1);
    return rc;
}

int lmcc_emit_driver(const char *path, const char *name, char *err, size_t errlen) {
    return template_to_file(path, "driver.c", name, err, errlen);
}

int lmcc_emit_bench_driver(const char *path, const char *name, char *err, size_t errlen) {
    return template_to_file(path, "bench.c", name, err, errlen);
}

int lmcc_emit_driver_baremetal(const char *path, const char *name, char *err, size_t errlen) {
    return template_to_file(path, "driver_baremetal.c", name, err, errlen);
}
