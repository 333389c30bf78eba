/* spec.c - speculative decoding by prompt lookup (m_generate_lookup) on stories260K compiled as m
 * (tests/spec.sh).  Greedy: token for token the tokens of plain greedy decoding (forward + argmax)
 * on several prompts, for every guess count and n-gram length, up to the end of a short context;
 * the guesses must be accepted on a copying prompt (or the test proves nothing).  Sampling: the
 * first two tokens after a prompt whose last n-gram repeats (so both are guessed) over SAMPLES
 * seeds, against their exact distributions computed from the logits (softmax(l / T); the second
 * token's marginal sums over every first token): a chi-square statistic per marginal must stay
 * below the 1e-6 quantile of its distribution.  A rule that keeps a guess too often or draws the
 * correction from p instead of max(0, p - q) moves the marginals by far more. */
#define _POSIX_C_SOURCE 200809L
#include "m.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { V = M_VOCAB_SIZE, GEN = 96, SHORT = 48, SAMPLES = 8000, MAXN = M_CTX + 1 };
static int fails;

#include "app_check.h"

static int argmax(const float *x) {
    int b = 0;
    for (int i = 1; i < V; i++)
        if (x[i] > x[b]) b = i;
    return b;
}

/* plain greedy decoding: prompt p[0..np), then tokens until cap or the context's end; the count */
static int plain_greedy(m_ctx *c, const int32_t *p, int np, int cap, int32_t *out) {
    m_reset(c);
    memcpy(out, p, (size_t)np * sizeof *out);
    const float *lg = m_forward(c, p, np);
    int n = np;
    while (lg && n < cap) {
        out[n] = argmax(lg);
        if (m_is_eog(out[n])) break;
        n++;
        if (n == cap || m_position(c) == c->n_ctx) break;
        lg = m_forward(c, &out[n - 1], 1);
    }
    return n;
}

/* the same by prompt lookup, a guess costing `cost` decode steps (< 0: the compiled estimate); the
 * count, or a negative status */
static int lookup_greedy(m_ctx *c, const int32_t *p, int np, int cap, int k, int ngram, float cost, int32_t *out,
                         m_spec *sp) {
    static float work[M_SPEC_WORK_BYTES(M_SPEC_K_MAX) / sizeof(float)];
    m_sampler s;
    m_sampler_init(&s, 0.0f, 0, 1.0f, 1);
    m_reset(c);
    memcpy(out, p, (size_t)np * sizeof *out);
    if ((np > 1 && !m_forward(c, p, np - 1)) || m_spec_init(sp, k, ngram)) return -100;
    if (cost >= 0.0f) sp->cost = cost;
    int n = np;
    while (n < cap) {
        int m = m_generate_lookup(c, &s, sp, out, n, cap, work, sizeof work);
        if (m == M_ERR_CONTEXT_FULL) break;
        if (m < 0) return m;
        if (m_is_eog(out[m - 1])) return m - 1;
        n = m;
    }
    return n;
}

static void greedy_identity(m_ctx *c, const char *what, const int32_t *p, int np, int cap, int want_accepted) {
    static int32_t ref[MAXN], got[MAXN];
    int nr = plain_greedy(c, p, np, cap, ref), bad = 0, checked = 0;
    long long accepted = 0, passes = 0, tokens = 0;
    for (int k = 1; k <= M_SPEC_K_MAX; k = k < 4 ? k + 1 : k * 2)
        for (int g = 1; g <= 3; g++) {
            m_spec sp;
            int ng = lookup_greedy(c, p, np, cap, k, g, 0.0f, got, &sp); /* free guesses: every pass guesses */
            checked++;
            if (ng != nr || memcmp(ref, got, (size_t)nr * sizeof *ref)) {
                int at = 0;
                while (at < nr && at < ng && ref[at] == got[at]) at++;
                if (!bad) printf("  k %d, ngram %d: %d tokens (plain %d), first difference at %d\n", k, g, ng, nr, at);
                bad++;
            }
            accepted += sp.accepted, passes += sp.passes, tokens += sp.tokens;
        }
    CHECK(!bad, "%s: %d tokens, the same as plain greedy decoding for %d guess counts x n-grams", what, nr - np, checked);
    if (want_accepted)
        CHECK(accepted > 0 && tokens > passes, "%s: guesses accepted (%lld; %.2f tokens per pass)", what, accepted,
              (double)tokens / (double)passes);
}

/* When guesses pay: never at a cost of a whole decode step per guess (a pass guesses nothing);
 * at the compiled estimate (stories260K stays in the caches: almost a step, where a pass must
 * expect about ten tokens from 16 guesses) only where the text repeats, found while not guessing
 * by checking the guess a pass would have made; more at a lower cost.  Always the tokens of plain
 * decoding. */
static void guess_policy(m_ctx *c, const char *what, const int32_t *p, int np, int cap, int repeats) {
    static int32_t ref[MAXN], got[MAXN];
    int nr = plain_greedy(c, p, np, cap, ref), same = 1;
    const float costs[3] = {1.0f, -1.0f, 0.1f};
    m_spec sp[3];
    for (int i = 0; i < 3; i++) {
        int ng = lookup_greedy(c, p, np, cap, M_SPEC_K_MAX, 3, costs[i], got, &sp[i]);
        same &= ng == nr && !memcmp(ref, got, (size_t)nr * sizeof *ref);
    }
    CHECK(same, "%s: plain decoding's tokens at a guess cost of 1, %.2f and 0.1 steps", what, (double)M_SPEC_GUESS_COST);
    CHECK(sp[0].guessed == 0 && sp[0].passes == nr - np, "%s, a guess costs a step: %lld passes, %lld guesses", what,
          (long long)sp[0].passes, (long long)sp[0].guessed);
    CHECK(sp[2].guessed > sp[1].guessed, "%s: %lld guesses at a cost of 0.1, %lld at %.2f", what,
          (long long)sp[2].guessed, (long long)sp[1].guessed, (double)M_SPEC_GUESS_COST);
    if (repeats)
        CHECK(sp[1].accepted > 0 && sp[1].tokens > sp[1].passes, "%s, cost %.2f: guessing resumed (%lld of %lld accepted, "
              "%.2f tokens per pass)", what, (double)M_SPEC_GUESS_COST, (long long)sp[1].accepted,
              (long long)sp[1].guessed, (double)sp[1].tokens / (double)sp[1].passes);
}

/* the sampler's distribution at temperature t (no top-k/top-p), in double */
static void softmax(const float *lg, double t, double *p) {
    double mx = lg[argmax(lg)], sum = 0;
    for (int i = 0; i < V; i++) sum += p[i] = exp((lg[i] - mx) / t);
    for (int i = 0; i < V; i++) p[i] /= sum;
}

/* chi-square of counts against n * p over the cells expected >= 5 (the rest pooled into one);
 * *df = cells - 1 */
static double chi2(const long *count, const double *p, long n, int *df) {
    double stat = 0, rest_e = 0, rest_o = 0;
    int cells = 0;
    for (int i = 0; i < V; i++) {
        double e = p[i] * (double)n;
        if (e >= 5) {
            stat += (count[i] - e) * (count[i] - e) / e;
            cells++;
        } else {
            rest_e += e;
            rest_o += (double)count[i];
        }
    }
    if (rest_e > 0) stat += (rest_o - rest_e) * (rest_o - rest_e) / rest_e, cells++;
    *df = cells - 1;
    return stat;
}

/* the 1e-6 upper quantile of chi-square with df degrees of freedom (Wilson-Hilferty) */
static double chi2_bound(int df) {
    double z = 4.753, a = 2.0 / (9.0 * df);
    return df * pow(1 - a + z * sqrt(a), 3);
}

static void sampling(m_ctx *c, const int32_t *p, int np, float temp) {
    static double p1[V], p2[V], cond[V];
    static long c1[V], c2[V];
    static float work[M_SPEC_WORK_BYTES(4) / sizeof(float)];
    memset(c1, 0, sizeof c1), memset(c2, 0, sizeof c2), memset(p2, 0, sizeof p2);
    /* exact: p1 from the prompt's logits, p2 = sum over t1 of p1(t1) p(. | t1) */
    m_reset(c);
    const float *lg = m_forward(c, p, np);
    softmax(lg, temp, p1);
    for (int t = 0; t < V; t++) {
        if (p1[t] < 1e-9) continue;
        int32_t tok = t;
        m_rewind(c, np);
        softmax(m_forward(c, &tok, 1), temp, cond);
        for (int i = 0; i < V; i++) p2[i] += p1[t] * cond[i];
    }
    /* drawn: the first two tokens by prompt lookup, one seed each */
    m_rewind(c, np - 1);
    static int32_t toks[MAXN];
    memcpy(toks, p, (size_t)np * sizeof *toks);
    long long guessed = 0, accepted = 0;
    for (long s = 0; s < SAMPLES; s++) {
        m_sampler smp;
        m_spec sp;
        m_sampler_init(&smp, temp, 0, 1.0f, (uint64_t)s * 7919u + 1);
        m_spec_init(&sp, 4, 3);
        sp.cost = 0.0f;
        int n = np;
        while (n < np + 2) { /* room for 3: the first pass guesses both */
            n = m_generate_lookup(c, &smp, &sp, toks, n, np + 3, work, sizeof work);
            if (n < 0) { printf("FAIL: generate_lookup: %s\n", m_strerror(n)); fails++; return; }
        }
        c1[toks[np]]++, c2[toks[np + 1]]++;
        guessed += sp.guessed, accepted += sp.accepted;
        m_rewind(c, np - 1);
        memcpy(toks, p, (size_t)np * sizeof *toks);
    }
    int df1, df2;
    double x1 = chi2(c1, p1, SAMPLES, &df1), x2 = chi2(c2, p2, SAMPLES, &df2);
    CHECK(guessed > 0 && accepted > 0 && accepted < guessed,
          "temperature %.1f: %lld of %lld guesses accepted (both branches of the rule ran)", temp, accepted, guessed);
    CHECK(x1 < chi2_bound(df1), "temperature %.1f: first token over %d seeds: chi2 %.1f, df %d (bound %.1f)", temp,
          SAMPLES, x1, df1, chi2_bound(df1));
    CHECK(x2 < chi2_bound(df2), "temperature %.1f: second token: chi2 %.1f, df %d (bound %.1f)", temp, x2, df2,
          chi2_bound(df2));
}

int main(void) {
    unsigned char *a = arena_new(M_ARENA_BYTES), *as = arena_new(M_ARENA_BYTES_FOR(SHORT));
    m_ctx c, cs;
    if (m_init(&c, a, M_ARENA_BYTES, NULL, 0) || m_init_ctx(&cs, as, M_ARENA_BYTES_FOR(SHORT), NULL, 0, SHORT)) {
        printf("FAIL: init\n");
        return 1;
    }
    /* the model's own greedy text from BOS, then that text as a prompt: the continuation copies */
    static int32_t own[MAXN];
    const int32_t bos[1] = {1};
    int n_own = plain_greedy(&c, bos, 1, 40, own);
    greedy_identity(&c, "prompt = the model's greedy text", own, n_own, n_own + GEN, 1);
    const int32_t fixed[] = {1, 403, 407, 261, 378, 455, 473, 456, 435, 299, 362, 409};
    greedy_identity(&c, "a story prompt", fixed, 12, 12 + GEN, 0);
    const int32_t rep[] = {1, 300, 301, 302, 303, 300, 301, 302, 303, 300, 301};
    greedy_identity(&c, "a repeating prompt", rep, 11, 11 + GEN, 0);
    greedy_identity(&cs, "to the end of a 48-position context", own, 20, MAXN, 0);
    guess_policy(&c, "a story prompt", fixed, 12, 12 + GEN, 0);
    guess_policy(&c, "a repeating prompt", rep, 11, 11 + GEN, 1);
    const int32_t one[1] = {1};
    greedy_identity(&c, "from BOS alone", one, 1, 1 + GEN, 0);

    /* sampling: the model's text into its run of one repeated token, so the last n-gram has earlier
     * occurrences and both tokens are guessed (the repetition, likely enough to be accepted often) */
    sampling(&c, own, 27, 1.0f);
    sampling(&c, own, 27, 0.6f);
    m_release(&c), m_release(&cs);
    free(a), free(as);
    printf("%d failed\n", fails);
    return fails != 0;
}
