/* diag.c - the recorded diagnostic (see diag.h). */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* a verifier report can run to several lines; a user error is one */
static char g_err[4096];
static int g_bug;

static void record(const char *file, const char *fmt, va_list ap) {
    size_t n = 0;
    if (file) n = (size_t)snprintf(g_err, sizeof g_err, "%s: ", file);
    if (n >= sizeof g_err) n = sizeof g_err - 1;
    vsnprintf(g_err + n, sizeof g_err - n, fmt, ap);
}

int lmcc_error(const char *file, const char *fmt, ...) {
    if (g_err[0]) return -1;
    va_list ap;
    va_start(ap, fmt);
    record(file, fmt, ap);
    va_end(ap);
    return -1;
}

int lmcc_bug(const char *fmt, ...) {
    if (g_bug) return -1;
    va_list ap;
    va_start(ap, fmt);
    record(NULL, fmt, ap);
    va_end(ap);
    g_bug = 1;
    return -1;
}

const char *lmcc_error_text(void) { return g_err; }
int lmcc_error_is_bug(void) { return g_bug; }

void lmcc_error_clear(void) {
    g_err[0] = 0;
    g_bug = 0;
}

int lmcc_report(FILE *f, const char *what) {
    if (g_bug) {
        fprintf(f, "lmcc: internal error: %s\n", g_err);
        return 2;
    }
    if (g_err[0]) fprintf(f, "lmcc: error: %s\n", g_err);
    else fprintf(f, "lmcc: error: %s failed\n", what);
    return 1;
}
