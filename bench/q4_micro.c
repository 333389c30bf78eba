/* q4_micro.c - one-thread decode kernel of x86-64-v4 (q4_0t or q8_0t x q8a, one token) against a read
 * probe of the same bytes, in one process, alternating: how much of what one core can read the kernel
 * reads.  Copies of a TinyLlama matrix (N x K), MiB in all, are swept in turn so that every pass streams
 * from DRAM (one copy would sit in the last-level cache), as decode does; huge = 1 asks for
 * transparent huge pages (madvise), 0 keeps 4 KiB pages like the embedded weights of a built program.
 *
 *   cc -O2 -march=x86-64-v4 -mavx512vnni -Iruntime-min bench/q4_micro.c -o q4_micro [-DKNOB=..]
 *   ./q4_micro [N K [rounds [q8 [MiB [huge [R]]]]]]   (defaults 5632 2048 15 0 512 0 16)
 *
 * Prints the median and min..max of the per-round ratios kernel GB/s / probe GB/s.  Kernel knobs
 * (LMRT_V4_SU, LMRT_V4_PF, ...) are the header's own macros, set with -D; bench/q4_micro.sh builds
 * variants and runs them alternately. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE /* clock_gettime, madvise */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "lmrt_kernels_x86_64_v4.h"


static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnext(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

/* eight independent sums over n 64-bit words (as bench.c's probe) */
static uint64_t probe(const uint64_t *p, size_t n) {
    uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        a0 += p[i], a1 += p[i + 1], a2 += p[i + 2], a3 += p[i + 3];
        a4 += p[i + 4], a5 += p[i + 5], a6 += p[i + 6], a7 += p[i + 7];
    }
    return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int N = argc > 1 ? atoi(argv[1]) : 5632, K = argc > 2 ? atoi(argv[2]) : 2048;
    int rounds = argc > 3 ? atoi(argv[3]) : 15, q8 = argc > 4 ? atoi(argv[4]) : 0;
    int mib = argc > 5 ? atoi(argv[5]) : 512, huge = argc > 6 ? atoi(argv[6]) : 0;
    int R = argc > 7 ? atoi(argv[7]) : 16;
    if (N < 16 || N % 64 || R < 16 || R % 16 || N % R || K < 32 || K % 32 || rounds < 1 || rounds > 1000) {
        fprintf(stderr, "usage: q4_micro [N K [rounds [q8 [MiB [huge [R]]]]]] (R %% 16 == 0, N %% 64 == 0, N %% R == 0, K %% 32 == 0)\n");
        return 2;
    }
    int type = q8 ? LMRT_GGML_Q8_0 : LMRT_GGML_Q4_0, P = lmrt_tiled_payload(type), nb = K / 32;
    size_t bytes = lmrt_tiled_bytes(type, R, N, K), blk = (size_t)(2 + P);
    uint8_t *plain = malloc((size_t)N * (size_t)nb * blk);
    int COPIES = (int)(((size_t)mib << 20) / bytes);
    if (COPIES < 1) COPIES = 1;
    size_t wall = (bytes * (size_t)COPIES + (2u << 20)) & ~(size_t)((2u << 20) - 1);
    uint8_t *W = aligned_alloc(2u << 20, wall);
    if (W) madvise(W, wall, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    uint8_t *x = aligned_alloc(64, (size_t)nb * LMRT_Q8A_BYTES + 64);
    float *y = aligned_alloc(64, sizeof(float) * (size_t)N);
    if (!plain || !W || !x || !y) return 1;
    for (size_t i = 0; i < (size_t)N * (size_t)nb; i++) {
        uint8_t *b = plain + i * blk;
        uint16_t d = (uint16_t)(0x2000 + rnext() % 0x800); /* small positive f16 scales */
        memcpy(b, &d, 2);
        for (int j = 0; j < P; j++) b[2 + j] = (uint8_t)rnext();
    }
    for (int c = 0; c < COPIES; c++)
        if (lmrt_tile_weights(type, R, plain, N, K, W + (size_t)c * bytes)) return 1;
    for (int b = 0; b < nb; b++) {
        float d = 0.01f;
        memcpy(x + (size_t)b * LMRT_Q8A_BYTES, &d, 4);
        for (int j = 0; j < 32; j++) x[(size_t)b * LMRT_Q8A_BYTES + 4 + (size_t)j] = (uint8_t)(rnext() % 255);
    }
    double *rk = malloc(sizeof(double) * (size_t)rounds), *rp = malloc(sizeof(double) * (size_t)rounds);
    double *rr = malloc(sizeof(double) * (size_t)rounds);
    uint64_t sink = 0;
    float ysum = 0;
    for (int r = -1; r < rounds; r++) { /* round -1 warms up */
        double t0 = now_s();
        for (int c = 0; c < COPIES; c++) sink += probe((const uint64_t *)(W + (size_t)c * bytes), bytes / 8);
        double t1 = now_s();
        for (int c = 0; c < COPIES; c++) {
            if (q8) lmrt_v4_rows_q8_0t_q8a_(y, N, W + (size_t)c * bytes, x, 1, K, R, 0, N, NULL);
            else lmrt_v4_rows_q4_0t_q8a_(y, N, W + (size_t)c * bytes, x, 1, K, R, 0, N, NULL);
            ysum += y[c];
        }
        double t2 = now_s();
        if (r < 0) continue;
        rp[r] = (double)bytes * COPIES / (t1 - t0) * 1e-9;
        rk[r] = (double)bytes * COPIES / (t2 - t1) * 1e-9;
        rr[r] = rk[r] / rp[r];
    }
    qsort(rk, (size_t)rounds, sizeof *rk, cmp_d);
    qsort(rp, (size_t)rounds, sizeof *rp, cmp_d);
    qsort(rr, (size_t)rounds, sizeof *rr, cmp_d);
    printf("%s %dx%d R %d: kernel %.1f GB/s, probe %.1f GB/s, fraction %.3f (%.3f..%.3f)  [%g %llu]\n", q8 ? "q8_0t" : "q4_0t",
           N, K, R, rk[rounds / 2], rp[rounds / 2], rr[rounds / 2], rr[0], rr[rounds - 1], (double)ysum,
           (unsigned long long)(sink & 1));
    free(plain), free(W), free(x), free(y), free(rk), free(rp), free(rr);
    return 0;
}
