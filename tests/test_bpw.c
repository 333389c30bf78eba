/* test_bpw.c - issue 5 mixed precision: lmcc compile --bpw 5.0 -v on stories260K.  The bits per
 * weight are recomputed here from the printed shapes and formats (own block-size table; bytes from the
 * stored width where a hadamard padded the rows, parameters from the model's) and must
 * match the printed per-tensor and total values, be <= 5.0, and fit in NAME.weights; then the mean
 * KL vs float over 3 sequences x 128 positions sampled from the float model (lmcc run --temp 1) is
 * measured and printed (with LMCC_QUANT=plain unless set; asserted: below q4_0's KL on the same tokens). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { SEQS = 3, POS = 128, V = 512 };

static const struct { const char *name; int be, bb; } fmts[] = {
    {"q4_g128", 128, 66}, {"q4_g64", 64, 34}, {"q4_0", 32, 18}, {"q4_g16", 16, 10},
    {"q8_0", 32, 34},     {"f16", 1, 2},      {"q4_1", 32, 20}, {"f32", 1, 4},
    {"q5_0", 32, 22},     {"q5_1", 32, 24},   {"q3_g64", 64, 26}, {"q5_g64", 64, 42},
    {"q6_g64", 64, 50},
};

static int run(const char *cmd) {
    int rc = system(cmd);
    if (rc) fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
    return rc;
}

/* mean KL(p_ref || p) per position over logits files of n positions */
static double mean_kl(const char *ref, const char *got, int n) {
    FILE *a = fopen(ref, "rb"), *b = fopen(got, "rb");
    double kl = 0;
    float x[V], y[V];
    for (int p = 0; p < n; p++) {
        if (!a || !b || fread(x, 4, V, a) != V || fread(y, 4, V, b) != V) { kl = -1; break; }
        double mx = x[0], my = y[0], sx = 0, sy = 0;
        for (int i = 1; i < V; i++) mx = fmax(mx, x[i]), my = fmax(my, y[i]);
        for (int i = 0; i < V; i++) sx += exp(x[i] - mx), sy += exp(y[i] - my);
        for (int i = 0; i < V; i++) {
            double lp = x[i] - mx - log(sx), lq = y[i] - my - log(sy);
            kl += exp(lp) * (lp - lq);
        }
    }
    if (a) fclose(a);
    if (b) fclose(b);
    return kl < 0 ? -1 : kl / n;
}

int main(void) {
    const char *lmcc = getenv("LMCC"), *src = getenv("LMCC_SOURCE_DIR");
    if (!lmcc || !src) { printf("skip: LMCC / LMCC_SOURCE_DIR not set\n"); return 77; }
    char model[1024], dir[] = "/tmp/lmcc-bpw.XXXXXX", cmd[4096], path[1200], line[512];
    snprintf(model, sizeof model, "%s/examples/models/stories260K.gguf", src);
    if (access(model, R_OK) || !mkdtemp(dir)) { printf("skip: no %s\n", model); return 77; }
    int fails = 0;
    /* the accounting and the ordering are what is checked here; plain rounding keeps the 7 compiles fast
     * (with gptq's calibration and tuning each takes ~20 s, minutes under ASan); quality.sh and the README
     * measure the default quantizer */
    setenv("LMCC_QUANT", "plain", 0);
    snprintf(cmd, sizeof cmd, "%s compile %s --bpw 5.0 -v -o %s/out 2> %s/log", lmcc, model, dir, dir);
    if (run(cmd)) return 1;
    snprintf(path, sizeof path, "%s/log", dir);
    FILE *f = fopen(path, "r");
    double bits = 0, elems = 0, total_printed = -1, extra_bytes = 0;
    int n_w = 0;
    while (f && fgets(line, sizeof line, f)) {
        char name[128], dt[32];
        long long r, k;
        double bpw;
        if (sscanf(line, "mixprec: %127s [%lld x %lld] %31s %lf bpw", name, &r, &k, dt, &bpw) == 5) {
            int fi = -1;
            for (int i = 0; i < (int)(sizeof fmts / sizeof fmts[0]); i++)
                if (!strcmp(fmts[i].name, dt)) fi = i;
            if (fi < 0) { fprintf(stderr, "FAIL: unknown format %s\n", dt); fails++; continue; }
            /* a weight behind a hadamard node stores padded rows: "(stored K')" */
            const char *st = strstr(line, "(stored ");
            long long ks = st ? atoll(st + 8) : k;
            if (ks < k || ks >= k + 64) { fprintf(stderr, "FAIL: %s stored width %lld\n", name, ks); fails++; }
            double b = 8.0 * (double)r * (double)((ks + fmts[fi].be - 1) / fmts[fi].be) * fmts[fi].bb;
            if (fabs(b / ((double)r * k) - bpw) > 1e-3) {
                fprintf(stderr, "FAIL: %s printed %.3f bpw, recomputed %.4f\n", name, bpw, b / ((double)r * k));
                fails++;
            }
            bits += b, elems += (double)r * k, n_w++;
        } else if (sscanf(line, "mixprec: total %lf bpw", &total_printed) == 1) {
        } else if (strstr(line, "(embedding table, not counted)") &&
                   sscanf(line, "mixprec: %127s [%lld x %lld] %31s", name, &r, &k, dt) == 4) {
            /* outside the budget, but in the blob */
            if (strcmp(dt, "f16") != 0) { fprintf(stderr, "FAIL: embedding table is %s, want f16\n", dt); fails++; }
            extra_bytes += 2.0 * (double)r * (double)k;
        }
    }
    if (f) fclose(f);
    double bpw = elems > 0 ? bits / elems : 99;
    printf("%d weights, recomputed %.4f bpw, printed %.4f\n", n_w, bpw, total_printed);
    if (n_w < 10 || !(bpw <= 5.0) || fabs(bpw - total_printed) > 1e-3) { fprintf(stderr, "FAIL: bpw\n"); fails++; }
    struct stat st;
    snprintf(path, sizeof path, "%s/out/model.weights", dir);
    /* the blob holds these weights, the embedding table, the norms and the rope frequencies */
    if (stat(path, &st) || (double)st.st_size < bits / 8 + extra_bytes ||
        (double)st.st_size > bits / 8 + extra_bytes + 64 * 1024) {
        fprintf(stderr, "FAIL: model.weights size %lld vs linear weights %.0f bytes\n", (long long)st.st_size,
                bits / 8);
        fails++;
    }
    /* KL on sequences sampled from the float model */
    double kl_mix = 0, kl_q4 = 0;
    for (int s = 0; s < SEQS; s++) {
        snprintf(cmd, sizeof cmd, "(echo 1; %s run %s --weights f32 --ids 1 -n %d --temp 1 --seed %d --print-ids "
                 "2>/dev/null) | tr '\\n' ' ' > %s/ids%d.txt", lmcc, model, POS - 1, 11 + s, dir, s);
        if (run(cmd)) return 1;
        static const char *modes[3][2] = {{"ref", "--reference"}, {"mix", "--bpw 5.0"}, {"q4", "--weights q4"}};
        for (int m = 0; m < 3; m++) {
            snprintf(cmd, sizeof cmd, "%s eval %s %s --ids %s/ids%d.txt --logits %s/%s%d.f32 2>/dev/null", lmcc, model,
                     modes[m][1], dir, s, dir, modes[m][0], s);
            if (run(cmd)) return 1;
        }
        char a[1300], b[1300], c[1300];
        snprintf(a, sizeof a, "%s/ref%d.f32", dir, s);
        snprintf(b, sizeof b, "%s/mix%d.f32", dir, s);
        snprintf(c, sizeof c, "%s/q4%d.f32", dir, s);
        kl_mix += mean_kl(a, b, POS) / SEQS;
        kl_q4 += mean_kl(a, c, POS) / SEQS;
    }
    printf("mean KL vs float over %d x %d sampled positions: --bpw 5.0 %.4f, --weights q4 %.4f (issue target 0.2)\n",
           SEQS, POS, kl_mix, kl_q4);
    if (!(kl_mix >= 0 && kl_mix < kl_q4)) { fprintf(stderr, "FAIL: --bpw 5.0 not better than q4_0\n"); fails++; }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (!fails) (void)!system(cmd);
    printf(fails ? "%d failures\n" : "ok\n", fails);
    return fails ? 1 : 0;
}
