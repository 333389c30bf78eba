/* diag.h - lmcc's one error model for the compiler.
 *
 * User errors (bad model file, bad option, unwritable directory) are reported
 * as one line `lmcc: error: FILE: what is wrong (hint)` and make the command
 * exit with status 1.  Compiler bugs (a graph that fails the verifier, a
 * generated program that crashes) are recorded with lmcc_bug() and reported
 * as `lmcc: internal error: ...` with exit status 2.  Library code never
 * prints or exits: it records the one diagnostic and returns -1 / NULL;
 * only main() turns it into the line and the exit status (lmcc_report).
 */
#ifndef LMCC_DIAG_H
#define LMCC_DIAG_H

#include <stdio.h>

#if defined(__GNUC__)
#define LMCC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LMCC_PRINTF(a, b)
#endif

/* Records "FILE: message (hint)"; file may be NULL. Returns -1. The first
 * error wins until lmcc_error_clear(), so the root cause is what is shown. */
int lmcc_error(const char *file, const char *fmt, ...) LMCC_PRINTF(2, 3);
/* Records a compiler bug; it replaces a user error recorded before it (the
 * user error may be a consequence).  Returns -1. */
int lmcc_bug(const char *fmt, ...) LMCC_PRINTF(1, 2);
const char *lmcc_error_text(void);   /* "" if none */
int lmcc_error_is_bug(void);
void lmcc_error_clear(void);
/* Prints the recorded diagnostic as its one line to f and returns the exit
 * status: 2 for a bug, 1 for a user error (or none recorded: "what" failed). */
int lmcc_report(FILE *f, const char *what);

#endif
