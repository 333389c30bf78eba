/* test_util.h - what the C test programs share: the check macros and the verdict, where
 * the bundled files are, a scratch directory and whole-file reads and writes.
 * Header-only, test code (every function static and possibly unused). */
#ifndef LMCC_TESTS_TEST_UTIL_H
#define LMCC_TESTS_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#if defined(__GNUC__) || defined(__clang__)
#define TEST_API static __attribute__((unused))
#else
#define TEST_API static
#endif

/* ---- checks ---------------------------------------------------------------
 * CHECK(cond, "fmt", ...) counts a failure and prints where, the condition and
 * the message (the first TEST_MAX_PRINTED of them: a broken loop does not flood
 * the log); CHECK_TRUE(cond) the same without a message. */
static int test_failures;
#define TEST_MAX_PRINTED 50

#define CHECK(c, ...)                                                                \
    do {                                                                             \
        if (!(c) && test_failures++ < TEST_MAX_PRINTED) {                            \
            fprintf(stderr, "%s:%d: FAIL %s:", __FILE__, __LINE__, #c);              \
            fprintf(stderr, " " __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                     \
        }                                                                            \
    } while (0)
#define CHECK_TRUE(c) CHECK(c, "%s", "")

/* main's exit status: 1 after a failure; else 77 (ctest's skip) when `skipped` says what
 * could not run; else 0 */
TEST_API int test_finish(const char *name, const char *skipped) {
    if (test_failures) {
        fprintf(stderr, "%s: %d failure(s)\n", name, test_failures);
        return 1;
    }
    if (skipped) {
        printf("%s: skipped %s\n", name, skipped);
        return 77;
    }
    printf("%s: ok\n", name);
    return 0;
}

/* ---- files ------------------------------------------------------------------ */

/* 0 and out = a readable path to the bundled model `file`: the repository's examples/models
 * ($LMCC_SOURCE_DIR), else the shared directory's models ($LMCC_SHARED_DIR, default ../shared); or -1 */
TEST_API int find_model(char *out, size_t cap, const char *file) {
    const char *src = getenv("LMCC_SOURCE_DIR"), *sh = getenv("LMCC_SHARED_DIR");
    FILE *fp;
    if (src) {
        snprintf(out, cap, "%s/examples/models/%s", src, file);
        if ((fp = fopen(out, "rb"))) { fclose(fp); return 0; }
    }
    snprintf(out, cap, "%s/models/%s", sh ? sh : "../shared", file);
    if ((fp = fopen(out, "rb"))) { fclose(fp); return 0; }
    return -1;
}

TEST_API int test_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* the whole file, NUL-terminated (*n bytes before the NUL), malloc'd; NULL if unreadable */
TEST_API void *test_read_file(const char *path, size_t *n) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    long len = fseek(fp, 0, SEEK_END) == 0 ? ftell(fp) : -1;
    char *d = len >= 0 && fseek(fp, 0, SEEK_SET) == 0 ? malloc((size_t)len + 1) : NULL;
    if (d && fread(d, 1, (size_t)len, fp) != (size_t)len) {
        free(d);
        d = NULL;
    }
    fclose(fp);
    if (d) d[len] = 0, *n = (size_t)len;
    return d;
}

TEST_API int test_write_file(const char *path, const void *data, size_t n) {
    FILE *fp = fopen(path, "wb");
    int ok = fp && fwrite(data, 1, n, fp) == n;
    if (fp && fclose(fp) != 0) ok = 0;
    return ok ? 0 : -1;
}

/* what was written to the stream f (a tmpfile, say) from its start, NUL-terminated and malloc'd
 * ("" when unreadable); closes f */
TEST_API char *test_read_stream(FILE *f) {
    long n = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    char *s = calloc((size_t)(n > 0 ? n : 0) + 1, 1);
    if (s && n > 0 && (fseek(f, 0, SEEK_SET) != 0 || fread(s, 1, (size_t)n, f) != (size_t)n)) s[0] = 0;
    if (f) fclose(f);
    return s;
}

/* ---- a scratch directory ------------------------------------------------------ */

static char test_dir[512];

/* creates $TMPDIR/lmcc_<tag>_XXXXXX once; its path, or NULL (perror'd) */
TEST_API const char *test_tmpdir(const char *tag) {
    if (test_dir[0]) return test_dir;
    const char *tmp = getenv("TMPDIR");
    snprintf(test_dir, sizeof test_dir, "%s/lmcc_%s_XXXXXX", tmp ? tmp : "/tmp", tag);
    if (!mkdtemp(test_dir)) {
        perror("mkdtemp");
        test_dir[0] = 0;
        return NULL;
    }
    return test_dir;
}

/* test_dir/name, in one of four rotating buffers (so a call can take two or three of them) */
TEST_API const char *test_path(const char *name) {
    static char buf[4][640];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", test_dir, name);
    return buf[k];
}

#endif
