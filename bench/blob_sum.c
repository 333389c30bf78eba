/* blob_sum.c - lmcc-blobsum: the cost of NAME_verify_weights, which is one lmrt_blob_sum over the
 * blob.  Sums a buffer of M MiB (default 1: cache-resident, and 256: from DRAM) 7 times and prints
 * the best time per MiB.
 *   lmcc-blobsum [MIB...] */
#define _POSIX_C_SOURCE 200809L
#include "lmrt_blob.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int measure(long mib) {
    size_t n = (size_t)mib << 20;
    unsigned char *p = malloc(n);
    if (!p) return fprintf(stderr, "lmcc-blobsum: cannot allocate %ld MiB\n", mib), 1;
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)((i * 2654435761u) >> 13);
    uint64_t h = 0;
    double best = 1e30;
    for (int r = 0; r < 7; r++) {
        double t0 = now_s();
        h ^= lmrt_blob_sum(p, n);
        double dt = now_s() - t0;
        best = dt < best ? dt : best;
    }
    printf("%5ld MiB: %.4f ms per MiB, %.2f GB/s (best of 7; sum %016llx)\n", mib, best * 1e3 / (double)mib,
           (double)n / best / 1e9, (unsigned long long)h);
    free(p);
    return 0;
}

int main(int argc, char **argv) {
    int rc = 0;
    if (argc < 2) return measure(1) | measure(256);
    for (int i = 1; i < argc; i++) {
        long m = strtol(argv[i], NULL, 10);
        if (m < 1 || m > 65536) return fprintf(stderr, "usage: lmcc-blobsum [MIB...] (1..65536)\n"), 2;
        rc |= measure(m);
    }
    return rc;
}
