/* diag.h - lmcc's one error model for the compiler.
 *
 * User errors (bad model file, bad option, unwritable directory) are reported
 * as one line `lmcc: error: FILE: what is wrong (hint)` and make the command
 * exit with status 1.  Library code never exits: it records the error with
 * lmcc_error() and returns -1 / NULL; main() prints it.  Compiler bugs (a
 * verifier failure after a pass) go through lmcc_bug(), which prints
 * `lmcc: internal error: ...` and aborts with status 2.
 */
#ifndef LMCC_DIAG_H
#define LMCC_DIAG_H

#include <stddef.h>

#if defined(__GNUC__)
#define LMCC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LMCC_PRINTF(a, b)
#endif

/* Records "FILE: message (hint)"; file may be NULL. Returns -1. The first
 * error wins until lmcc_error_clear(). */
int lmcc_error(const char *file, const char *fmt, ...) LMCC_PRINTF(2, 3);
const char *lmcc_error_text(void);   /* "" if none */
void lmcc_error_clear(void);
void lmcc_bug(const char *fmt, ...) LMCC_PRINTF(1, 2);

#endif
