#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char g_err[1024];

int lmcc_error(const char *file, const char *fmt, ...) {
    if (g_err[0]) return -1;
    size_t n = 0;
    if (file) n = (size_t)snprintf(g_err, sizeof g_err, "%s: ", file);
    if (n >= sizeof g_err) n = sizeof g_err - 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_err + n, sizeof g_err - n, fmt, ap);
    va_end(ap);
    return -1;
}

const char *lmcc_error_text(void) { return g_err; }
void lmcc_error_clear(void) { g_err[0] = 0; }

void lmcc_bug(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("lmcc: internal error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n", stderr);
    va_end(ap);
    exit(2);
}
