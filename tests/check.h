/* check.h - what the C unit tests share: CHECK (counts checks and failures, prints where one
 * failed), a splitmix64 stream (seed: define CHECK_SEED before including), an independent IEEE
 * half decoder, and the freestanding compile of runtime-min headers.  Header-only, hosted C11;
 * also built for aarch64 by tests/test_kernels_aarch64.sh. */
#ifndef LMCC_TEST_CHECK_H
#define LMCC_TEST_CHECK_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_fail, g_checks;
#define CHECK(cond, ...)                                              \
    do {                                                              \
        g_checks++;                                                   \
        if (!(cond)) {                                                \
            g_fail++;                                                 \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);      \
            fprintf(stderr, __VA_ARGS__);                             \
            fputc('\n', stderr);                                      \
        }                                                             \
    } while (0)

#ifndef CHECK_SEED
#define CHECK_SEED 0x243f6a8885a308d3ull
#endif
static uint64_t g_rs = CHECK_SEED;
static inline uint64_t rnd_u64(void) { /* splitmix64 */
    uint64_t z = (g_rs += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline double rnd_unit(void) { return (double)(rnd_u64() >> 11) * (1.0 / 9007199254740992.0); }
static inline float rnd_sym(void) { return (float)(2.0 * rnd_unit() - 1.0); }

/* IEEE half, decoded without the code under test */
static inline double ref_half(uint16_t h) {
    int e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m + 1024, e - 25);
    return (h >> 15) ? -v : v;
}
/* a random finite half with its exponent field in [elo, ehi] */
static inline uint16_t rnd_half(int elo, int ehi) {
    uint64_t r = rnd_u64();
    int e = elo + (int)(r % (uint64_t)(ehi - elo + 1));
    return (uint16_t)(((r >> 20) & 1) << 15 | (uint64_t)e << 10 | ((r >> 32) & 1023));
}

/* main's exit status: 1 after a failed check, else 77 (ctest: skipped) if the part that needs the
 * build environment did not run, else 0 */
static inline int check_exit(int complete) {
    if (g_fail) {
        fprintf(stderr, "%d failures\n", g_fail);
        return 1;
    }
    if (!complete) return 77;
    printf("ok\n");
    return 0;
}

#ifdef _POSIX_C_SOURCE /* popen, getpid: not in strict C11 builds (the aarch64 check) */
#include <unistd.h>

/* Compiles each runtime-min header of `headers` (NULL-ended) alone at -O2, then `use` (a C file
 * that takes the address of every function it wants emitted: unused static functions are not,
 * so only this shows e.g. a memset call) at -O0 and -O2, freestanding with -Werror, with cc and
 * clang if present, and checks with nm that no object needs an undefined symbol.  Returns 0
 * (skipped: no LMCC_SOURCE_DIR or no cc) or 1. */
static inline int check_freestanding(const char *tag, const char *use, const char *const *headers) {
    const char *src = getenv("LMCC_SOURCE_DIR");
    if (!src) { printf("skip standalone compile: LMCC_SOURCE_DIR unset\n"); return 0; }
    if (system("command -v cc >/dev/null 2>&1") != 0) { printf("skip standalone compile: no cc\n"); return 0; }
    const char *tmp = getenv("LMCC_BUILD_DIR") ? getenv("LMCC_BUILD_DIR") : "/tmp";
    char use_c[1024], obj[1024], cmd[8192];
    snprintf(use_c, sizeof use_c, "%s/%s_use_%ld.c", tmp, tag, (long)getpid());
    snprintf(obj, sizeof obj, "%s/%s_%ld.o", tmp, tag, (long)getpid());
    FILE *f = fopen(use_c, "w");
    CHECK(f != NULL, "cannot write %s", use_c);
    if (!f) return 0;
    fputs(use, f);
    fclose(f);
    static const char *const ccs[] = {"cc", "clang"};
    static const char *const opts[] = {"-O0", "-O2"};
    for (int ci = 0; ci < 2; ci++) {
        snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", ccs[ci]);
        if (ci > 0 && system(cmd) != 0) continue;
        for (int ii = 0;; ii++) {
            const char *h = headers[ii];
            for (int oi = h ? 1 : 0; oi < 2; oi++) { /* headers alone: -O2 only */
                char in[2100];
                if (h) snprintf(in, sizeof in, "-x c '%s/runtime-min/%s'", src, h);
                else snprintf(in, sizeof in, "'%s'", use_c);
                snprintf(cmd, sizeof cmd,
                         "%s -std=c11 -ffreestanding %s -Wall -Wextra -Werror -Wshadow -I'%s/runtime-min' -c %s -o '%s'",
                         ccs[ci], opts[oi], src, in, obj);
                CHECK(system(cmd) == 0, "freestanding compile failed: %s", cmd);
                snprintf(cmd, sizeof cmd, "nm -u '%s'", obj);
                FILE *p = popen(cmd, "r");
                char line[256];
                int undef = 0;
                while (p && fgets(line, sizeof line, p)) {
                    undef++;
                    fprintf(stderr, "%s %s %s: undefined %s", ccs[ci], opts[oi], h ? h : "use-all", line);
                }
                CHECK(p && pclose(p) == 0 && undef == 0, "%s %s %s needs %d undefined symbols", ccs[ci], opts[oi],
                      h ? h : "use-all", undef);
                remove(obj);
            }
            if (!h) break;
        }
    }
    remove(use_c);
    return 1;
}
#endif

#endif
