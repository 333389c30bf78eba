/* kv_sink_check.h - a kernel set's attention under --kv-policy slide against the portable one
 * (include after the kernel headers: lmrt_k_attention_* and lmrt_scalar_*).  A cache of S slots
 * holds positions 0..sink-1 in slots 0.. and the later ones in a ring (slot sink + (p - sink) %
 * (S - sink)); a chunk of n queries at pos.. (pos >= S - n + 1: past the context, the ring's n - 1
 * spare slots hold the chunk's keys) each sees the sinks, scored with its own sink query, and the
 * last S - sink - (n - 1) positions.  Returns max |accelerated - portable| over the outputs (nth
 * threads), or -1 when the arguments do not fit. */
#ifndef KV_SINK_CHECK_H
#define KV_SINK_CHECK_H

#include <stdlib.h>
#include <string.h>

static float kv_sink_rand_(unsigned *s) {
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / 8388608.0f - 1.0f;
}

static double kv_sink_check(int kind, int H, int Hkv, int hd, int S, int sink, int pos, int n, int nth) {
    typedef void (*att_fn)(float *, const float *, const void *, const void *, int, int, int, int, int, int, int, int,
                           const float *, float, float, float *, int, int);
    typedef void (*store_fn)(void *, const float *, int, int, int, int, int, int, int);
    static const att_fn acc[3] = {lmrt_k_attention_f32, lmrt_k_attention_f16, lmrt_k_attention_q8};
    static const att_fn por[3] = {lmrt_scalar_attention_f32, lmrt_scalar_attention_f16, lmrt_scalar_attention_q8};
    static const store_fn store[3] = {lmrt_scalar_kv_store_f32, lmrt_scalar_kv_store_f16, lmrt_scalar_kv_store_q8};
    int win = S - sink - (n - 1);
    if (hd > 256 || n < 1 || win < 1 || pos < S - n + 1) return -1;
    unsigned seed = (unsigned)(kind * 7919 + hd * 131 + pos);
    size_t rb = lmrt_kv_row_bytes_(kind, hd), cb = (size_t)Hkv * (size_t)S * rb, qn = (size_t)n * (size_t)H * (size_t)hd;
    unsigned char *kc = malloc(cb), *vc = malloc(cb);
    float *q = malloc(4 * qn), *qs = malloc(4 * qn), *o1 = malloc(4 * qn), *o2 = malloc(4 * qn), x[256 * 64];
    float *scr = malloc(sizeof(float) * (size_t)nth * (size_t)S);
    if ((size_t)Hkv * (size_t)hd > sizeof x / sizeof x[0]) return -1;
    for (int p = 0; p < pos + n; p++) {
        int slot = p < sink ? p : sink + (p - sink) % (S - sink);
        for (int i = 0; i < Hkv * hd; i++) x[i] = 2.0f * kv_sink_rand_(&seed);
        store[kind](kc, x, 1, Hkv, S, hd, slot, 0, 1);
        for (int i = 0; i < Hkv * hd; i++) x[i] = kv_sink_rand_(&seed);
        store[kind](vc, x, 1, Hkv, S, hd, slot, 0, 1);
    }
    for (size_t i = 0; i < qn; i++) q[i] = kv_sink_rand_(&seed), qs[i] = kv_sink_rand_(&seed);
    float scale = 1.0f / (float)hd;
    for (int tid = 0; tid < nth; tid++) acc[kind](o1, q, kc, vc, n, H, Hkv, hd, S, pos, win, sink, qs, scale, 0.0f, scr, tid, nth);
    por[kind](o2, q, kc, vc, n, H, Hkv, hd, S, pos, win, sink, qs, scale, 0.0f, scr, 0, 1);
    double worst = 0;
    for (size_t i = 0; i < qn; i++) {
        double d = o1[i] > o2[i] ? o1[i] - o2[i] : o2[i] - o1[i];
        worst = d > worst || d != d ? d : worst;
    }
    free(kc), free(vc), free(q), free(qs), free(o1), free(o2), free(scr);
    return worst;
}

/* every KV kind over sink / ring shapes (hd 64 and 40: whole vector blocks and tails; a ring that
 * wraps mid-span; one sink; pos = slots, the first wrap; chunks of 3 and 4 queries past the context,
 * across the ring's end): the worst difference, -1 if a case did not fit */
static double kv_sink_check_all(void) {
    static const struct { int H, Hkv, hd, S, sink, pos, n; } cases[] = {
        {4, 2, 64, 21, 4, 50, 1}, {4, 2, 64, 21, 4, 41, 1}, {8, 2, 24, 13, 1, 40, 1}, {2, 1, 8, 12, 3, 12, 1},
        {4, 4, 40, 30, 5, 119, 1}, {4, 2, 64, 23, 4, 21, 3}, {4, 2, 64, 23, 4, 40, 3}, {8, 2, 24, 16, 1, 44, 4},
        {2, 1, 8, 15, 3, 13, 4},
    };
    double worst = 0;
    for (int kind = 0; kind < 3; kind++)
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            double d = kv_sink_check(kind, cases[c].H, cases[c].Hkv, cases[c].hd, cases[c].S, cases[c].sink, cases[c].pos,
                                     cases[c].n, 2);
            if (d < 0) return -1;
            worst = d > worst || d != d ? d : worst;
        }
    return worst;
}

#endif
