/* proc.h - running the programs lmcc builds and the compilers it calls, and
 * cleaning up after them.
 *
 * Commands are argument vectors, never shell strings: a path goes in as one
 * word whatever it contains (quotes, spaces, $), and nothing is re-parsed by
 * /bin/sh.  Only the words of the target file and $CC (cc, cflags, ldflags,
 * emulator) are split at whitespace. */
#ifndef LMCC_PROC_H
#define LMCC_PROC_H

#include <stddef.h>
#include <stdio.h>

#include "diag.h"

typedef struct lmcc_argv {
    char *v[128];
    int n;
    int full; /* a word did not fit: lmcc_argv_run refuses to run */
    char buf[32768];
    size_t used;
} lmcc_argv;

void lmcc_argv_init(lmcc_argv *a);
/* Appends one word, printf-formatted. */
void lmcc_argv_add(lmcc_argv *a, const char *fmt, ...) LMCC_PRINTF(2, 3);
/* Appends the whitespace-separated words of s (a target's cflags, $CC). */
void lmcc_argv_split(lmcc_argv *a, const char *s);
/* The command as a shell would need it typed (for -v and messages). */
void lmcc_argv_print(FILE *f, const lmcc_argv *a);

typedef struct lmcc_run_opts {
    const char *cwd;      /* run in this directory (NULL: ours) */
    int stdin_null;       /* stdin from /dev/null */
    int stdout_to_stderr; /* the program's stdout goes to our stderr */
} lmcc_run_opts;

/* Runs argv[0] (looked up in PATH) with stdout/stderr inherited and waits.
 * Returns its exit status, 128 + signal if it died, or -1 with errno set
 * when it could not be started (nothing printed). */
int lmcc_run_argv(char **argv, const lmcc_run_opts *o);
/* lmcc_run_argv of a built command; -1 with errno = E2BIG when it was too long. */
int lmcc_argv_run(lmcc_argv *a, const lmcc_run_opts *o);

/* Rewrites the file at path in 64 KiB writes (same bytes, same mode).  The page
 * cache keeps a file in folios about as large as the writes that made it; a
 * program from the linker, or one written in MiB pieces, mapped back (its
 * .incbin weights are most of it) read 3-15x slower on the development VM than
 * the same bytes written in 64-128 KiB pieces (measured: 64K, 128K fast; 512K,
 * 1M, ld slow), so bench measured the page cache instead of the kernels.
 * Returns 0, or -1 with errno set (the file is then unchanged). */
int lmcc_rewrite_file(const char *path);

/* Removes the files of a flat directory, then the directory (best effort). */
void lmcc_remove_dir(const char *dir);

#endif
