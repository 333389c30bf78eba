/* lmrt_sampler.h - temperature / top-k / top-p sampling with a seeded RNG.
 *
 * Logits that cannot be sampled are an error (-1, the RNG untouched): a NaN
 * anywhere, or every logit -inf.  +inf logits share all the probability
 * equally (the limit of softmax as they grow together); -inf ones have none.
 * temperature <= 0 or NaN: argmax (lowest index among equal maxima).  Otherwise
 * softmax(logits / T), then top-k (k <= 0 or k >= n: off), then top-p on the
 * renormalized survivors (p >= 1, p <= 0 or NaN: off; keeps the smallest prefix,
 * by probability then index, whose mass >= p), then one draw.
 * Cost: O(n) + O(n log k) for top-k; top-p without top-k is O(n + K log n)
 * for a nucleus of K tokens.  No allocation: scratch holds n (prob, index)
 * pairs (n * 8 bytes, 4-byte aligned).
 */
#ifndef LMRT_SAMPLER_H
#define LMRT_SAMPLER_H

#include "lmrt_base.h"
#include "lmrt_math.h"

typedef struct lmrt_sampler {
    float temperature;
    int top_k;
    float top_p;
    uint64_t rng;
} lmrt_sampler;

typedef struct lmrt_cand_ {
    float p;
    int32_t i;
} lmrt_cand_;

/* xorshift64*: a zero state would stick at zero, so it is replaced by a constant */
LMRT_API uint32_t lmrt_rng_u32(uint64_t *state) {
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

LMRT_API float lmrt_rng_f32(uint64_t *state) {
    return (float)(lmrt_rng_u32(state) >> 8) * (1.0f / 16777216.0f);
}

LMRT_API void lmrt_sampler_init(lmrt_sampler *s, float temperature, int top_k, float top_p, uint64_t seed) {
    s->temperature = temperature;
    s->top_k = top_k;
    s->top_p = top_p;
    s->rng = seed;
}

/* total order: higher probability first, then lower index */
LMRT_INLINE int lmrt_cand_worse_(const lmrt_cand_ *a, const lmrt_cand_ *b) {
    return a->p < b->p || (a->p == b->p && a->i > b->i);
}

/* binary heap with the worst (best_root = 0) or the best (best_root = 1) candidate at the root */
LMRT_API void lmrt_cand_sift_(lmrt_cand_ *c, int n, int i, int best_root) {
    lmrt_cand_ v = c[i];
    for (;;) {
        int l = 2 * i + 1;
        if (l >= n) break;
        if (l + 1 < n && lmrt_cand_worse_(best_root ? &c[l] : &c[l + 1], best_root ? &c[l + 1] : &c[l])) l++;
        if (!lmrt_cand_worse_(best_root ? &v : &c[l], best_root ? &c[l] : &v)) break;
        c[i] = c[l];
        i = l;
    }
    c[i] = v;
}

LMRT_API void lmrt_cand_heapify_(lmrt_cand_ *c, int n, int best_root) {
    for (int i = n / 2 - 1; i >= 0; i--) lmrt_cand_sift_(c, n, i, best_root);
}

/* moves the root of a heap of n to c[n-1] and restores the heap on n-1 */
LMRT_API void lmrt_cand_pop_(lmrt_cand_ *c, int n, int best_root) {
    lmrt_cand_ t = c[0];
    c[0] = c[n - 1];
    c[n - 1] = t;
    lmrt_cand_sift_(c, n - 1, 0, best_root);
}

LMRT_API int lmrt_argmax(const float *x, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

/* lmrt_argmax, or -1 when the logits have a NaN or are all -inf (no distribution) or n < 1 */
LMRT_API int lmrt_argmax_valid(const float *x, int n) {
    int best = 0, nan = n < 1;
    for (int i = 0; i < n; i++) {
        nan |= x[i] != x[i];
        if (x[i] > x[best]) best = i;
    }
    return nan || !(x[best] >= -3.40282347e38f) ? -1 : best;
}

/* The candidates lmrt_sample draws from: *out = c[0..m) with unnormalized weights summing to *total.
 * Returns m >= 1, or 0 when there is nothing to draw (greedy, or a single token) and *best is the
 * token, or -1 for logits without a distribution (*best = -1 too). */
LMRT_API int lmrt_sample_cands_(const lmrt_sampler *s, const float *logits, int n, void *scratch, lmrt_cand_ **out,
                                float *total, int *best_out) {
    int best = lmrt_argmax_valid(logits, n);
    *best_out = best;
    if (best < 0) return -1;
    if (n == 1 || !(s->temperature > 0.0f)) return 0;
    lmrt_cand_ *c = (lmrt_cand_ *)scratch;
    float mx = logits[best];
    float inv_t = 1.0f / s->temperature;
    if (!(inv_t <= 3.0e38f)) return 0; /* subnormal T: 0 * inf below */
    int inf = mx > 3.40282347e38f;
    float sum = 0.0f;
    for (int i = 0; i < n; i++) {
        /* exp((x - mx) / T): 1 for the +inf logits when mx is +inf (inf - inf is NaN), 0 for -inf */
        float d = logits[i] - mx;
        c[i].p = inf ? (float)(logits[i] == mx) : d < -3.40282347e38f ? 0.0f : lmrt_expf(d * inv_t);
        c[i].i = i;
        sum += c[i].p;
    }
    int m = n;
    int sorted = 0; /* c[0..m) best first */
    if (s->top_k > 0 && s->top_k < n) {
        /* keep the k best in a worst-at-root heap, then heapsort them best first */
        m = s->top_k;
        lmrt_cand_heapify_(c, m, 0);
        for (int i = m; i < n; i++)
            if (lmrt_cand_worse_(&c[0], &c[i])) {
                c[0] = c[i];
                lmrt_cand_sift_(c, m, 0, 0);
            }
        for (int end = m; end > 1; end--) lmrt_cand_pop_(c, end, 0);
        sorted = 1;
        sum = 0.0f;
        for (int i = 0; i < m; i++) sum += c[i].p;
    }
    if (s->top_p > 0.0f && s->top_p < 1.0f) {
        float target = s->top_p * sum, cum = 0.0f;
        int keep = m;
        if (sorted) {
            for (int i = 0; i < m; i++) {
                cum += c[i].p;
                if (cum >= target) { keep = i + 1; break; }
            }
        } else {
            /* a candidate below (1-p)/(m-1) of the mass cannot be in the nucleus
             * unless it is the maximum (p = 1 here); 0.99 is slack for rounding */
            float cut = 0.99f * (1.0f - s->top_p) / (float)(m - 1) * sum;
            if (cut > 1.0f) cut = 1.0f;
            int k = 0;
            for (int i = 0; i < m; i++)
                if (c[i].p >= cut) c[k++] = c[i];
            m = k;
            /* pop the best until the mass is reached: O(m + keep log m), the
             * popped ones collect at the end of the array */
            lmrt_cand_heapify_(c, m, 1);
            keep = 0;
            while (keep < m) {
                lmrt_cand_pop_(c, m - keep, 1);
                cum += c[m - 1 - keep].p;
                keep++;
                if (cum >= target) break;
            }
            c += m - keep;
        }
        m = keep;
        sum = 0.0f;
        for (int i = 0; i < m; i++) sum += c[i].p;
    }
    *out = c;
    *total = sum;
    return m;
}

LMRT_API int lmrt_sample(lmrt_sampler *s, const float *logits, int n, void *scratch) {
    lmrt_cand_ *c = 0;
    float sum = 0.0f;
    int best, m = lmrt_sample_cands_(s, logits, n, scratch, &c, &sum, &best);
    if (m <= 0) return best;
    float r = lmrt_rng_f32(&s->rng) * sum, cum = 0.0f;
    for (int i = 0; i < m; i++) {
        cum += c[i].p;
        if (r < cum) return c[i].i;
    }
    /* rounding left r >= the summed mass: take the last candidate with p > 0 */
    for (int i = m - 1; i > 0; i--)
        if (c[i].p > 0.0f) return c[i].i;
    return c[0].i;
}

/* The distribution lmrt_sample draws from, as probabilities prob[n] summing to 1 (greedy: 1 on
 * the argmax); 0, or -1 for logits without a distribution (prob unwritten).  The RNG is not used. */
LMRT_API int lmrt_sample_probs(const lmrt_sampler *s, const float *logits, int n, void *scratch, float *prob) {
    lmrt_cand_ *c = 0;
    float sum = 0.0f;
    int best, m = lmrt_sample_cands_(s, logits, n, scratch, &c, &sum, &best);
    if (best < 0) return -1;
    for (int i = 0; i < n; i++) prob[i] = 0.0f;
    if (m <= 0 || !(sum > 0.0f)) {
        prob[best] = 1.0f;
        return 0;
    }
    float inv = 1.0f / sum;
    for (int i = 0; i < m; i++) prob[c[i].i] = c[i].p * inv;
    return 0;
}

/* One draw from weights w[n] >= 0 summing to total > 0 (need not be 1). */
LMRT_API int lmrt_sample_weights(const float *w, int n, float total, uint64_t *rng) {
    float r = lmrt_rng_f32(rng) * total, cum = 0.0f;
    int last = 0;
    for (int i = 0; i < n; i++) {
        if (!(w[i] > 0.0f)) continue;
        cum += w[i];
        last = i;
        if (r < cum) return i;
    }
    return last; /* rounding left r >= the summed weights */
}

#endif
