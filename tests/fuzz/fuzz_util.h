/* fuzz_util.h - what the libFuzzer harnesses share: the input as a file (the readers under test
 * take paths, as lmcc's commands do). */
#ifndef LMCC_FUZZ_UTIL_H
#define LMCC_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

/* Writes data to a file of this process ending in suffix (the readers look at the extension);
 * returns its path, or NULL. */
static inline const char *fuzz_file(const char *suffix, const unsigned char *data, size_t size) {
    static char path[512];
    const char *dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/lmcc-fuzz-%ld%s", dir && *dir ? dir : "/tmp", (long)getpid(), suffix);
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    size_t n = size ? fwrite(data, 1, size, f) : 0;
    if (fclose(f) != 0 || n != size) return NULL;
    return path;
}

/* An error is the expected answer to most inputs: the harness checks that nothing else happens
 * (no crash, no sanitizer report, no leak) and that a failure was said (one recorded error). */
static inline void fuzz_expect_said(int failed) {
    if (failed && !lmcc_error_text()[0]) {
        fprintf(stderr, "failed without an error\n");
        abort();
    }
    if (lmcc_error_is_bug()) {
        fprintf(stderr, "internal error: %s\n", lmcc_error_text());
        abort();
    }
    lmcc_error_clear();
}

#endif
