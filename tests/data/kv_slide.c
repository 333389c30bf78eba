/* kv_slide.c - --kv-policy slide of the generated API on stories260K (tests/kv_slide.sh): m is the
 * slide build, s the same model and options with --kv-policy stop.  Checks: 4x the context runs in
 * the arena it was given (finite logits at every position), the first M_CTX positions' logits equal
 * the stop build's bit for bit, forward_all, step_run slices and batched prompts past the context
 * equal token-by-token forward (chunks of M_BATCH tokens past the context: the caches hold
 * M_BATCH - 1 rows more), rewind past the wrap (M_BATCH positions: allowed and re-fed bit for bit;
 * one more: refused, nothing changed), a state saved past the wrap continues bit for bit in another
 * arena and is foreign to a context of another size. */
#define _POSIX_C_SOURCE 200809L
#include "m.h"
#include "s.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CTX = M_CTX, N = 4 * M_CTX, PROMPT = 5 };
static int32_t toks[N];
static float ref[N][M_VOCAB_SIZE];
static int fails;

#define APP_CHECK_FEED
#include "app_check.h"

int main(void) {
    _Static_assert(M_KV_SLIDE == 1 && S_KV_SLIDE == 0, "m slides, s stops");
    /* the slide build's caches hold M_BATCH - 1 rows more (stories260K has no sliding-window rings) */
    _Static_assert(M_KV_BYTES == (CTX + M_BATCH - 1) * M_KV_ROW_BYTES && S_KV_BYTES == CTX * S_KV_ROW_BYTES &&
                       M_ARENA_BYTES == M_ARENA_BYTES_FOR(CTX), "KV bytes");
    unsigned char *a1 = arena_new(M_ARENA_BYTES), *a2 = arena_new(M_ARENA_BYTES), *a3 = arena_new(S_ARENA_BYTES);
    unsigned char *a4 = arena_new(M_ARENA_BYTES);
    m_ctx A, B, C;
    s_ctx S;
    if (m_init(&A, a1, M_ARENA_BYTES, NULL, 0) || m_init(&B, a2, M_ARENA_BYTES, NULL, 0) ||
        m_init(&C, a4, M_ARENA_BYTES, NULL, 0) || s_init(&S, a3, S_ARENA_BYTES, NULL, 0)) {
        printf("FAIL: init\n");
        return 1;
    }
    /* greedy generation from a prompt, 4x the context, in A's arena */
    static const int32_t prompt[PROMPT] = {1, 403, 407, 261, 378};
    memcpy(toks, prompt, sizeof prompt);
    const float *l = m_forward(&A, toks, PROMPT);
    int finite = l != NULL;
    if (l) memcpy(ref[PROMPT - 1], l, sizeof ref[0]);
    for (int i = PROMPT; i < N && l; i++) {
        int best = 0;
        for (int v = 1; v < M_VOCAB_SIZE; v++) best = l[v] > l[best] ? v : best;
        toks[i] = best;
        if (!(l = m_forward(&A, &toks[i], 1))) break;
        memcpy(ref[i], l, sizeof ref[0]);
        for (int v = 0; v < M_VOCAB_SIZE; v++) finite &= isfinite(l[v]);
    }
    CHECK(l && finite && m_position(&A) == N, "%d positions (4x the context of %d) in one arena: finite logits, status %d",
          m_position(&A), CTX, m_last_error(&A));

    /* the stop build: the same logits up to its context, then CONTEXT_FULL */
    int same = 1;
    const float *sl = s_forward(&S, toks, PROMPT);
    same &= sl && !memcmp(sl, ref[PROMPT - 1], sizeof ref[0]);
    for (int i = PROMPT; i < CTX && same; i++) same &= (sl = s_forward(&S, &toks[i], 1)) && !memcmp(sl, ref[i], sizeof ref[0]);
    CHECK(same, "positions 0..%d: the stop build's logits bit for bit", CTX - 1);
    CHECK(!s_forward(&S, &toks[CTX], 1) && s_last_error(&S) == S_ERR_CONTEXT_FULL, "the stop build stops at %d", CTX);

    /* forward_all over everything in one call (batched to the context, then one token at a time) */
    float *all = malloc(sizeof(float) * (size_t)N * M_VOCAB_SIZE);
    int st = m_forward_all(&B, toks, PROMPT, all);
    st = st ? st : m_forward_all(&B, toks + PROMPT, N - PROMPT, all + (size_t)PROMPT * M_VOCAB_SIZE);
    CHECK(st == M_OK && !memcmp(all + (size_t)(PROMPT - 1) * M_VOCAB_SIZE, ref[PROMPT - 1],
                                sizeof(float) * (size_t)(N - PROMPT + 1) * M_VOCAB_SIZE),
          "forward_all of %d tokens past the context: forward's logits bit for bit", N - PROMPT);
    /* a prompt that crosses the context in one call */
    m_reset(&B);
    l = m_forward(&B, toks, CTX + 3);
    CHECK(l && !memcmp(l, ref[CTX + 2], sizeof ref[0]), "a %d-token prompt in one forward: the last row bit for bit", CTX + 3);

    /* step_run in slices of one section past the context: position P = CTX + M_BATCH - 1 (the
     * caches' rows) goes to the ring's first slot after the sinks, so 3 tokens there are one chunk */
    _Static_assert(M_BATCH >= 3, "a chunk of 3");
    enum { P = CTX + M_BATCH - 1 };
    m_reset(&B);
    m_forward(&B, toks, P);
    int left = m_step_begin(&B, toks + P, 3), runs = 0, expect = M_STEP_SECTIONS, counted = left == M_OK;
    do {
        left = m_step_run(&B, 1);
        counted &= left == expect - ++runs;
    } while (left > 0 && runs <= expect);
    CHECK(counted && left == 0 && runs == expect && !memcmp(m_logits(&B), ref[P + 2], sizeof ref[0]),
          "step_run: %d slices of one section for 3 tokens past the context (one chunk), forward's logits", runs);

    /* rewind past the wrap: M_BATCH positions back keep every key the re-fed queries see; one more does not */
    int pos = m_position(&B);
    CHECK(m_rewind(&B, pos - M_BATCH - 1) == M_ERR_ARG && m_position(&B) == pos,
          "rewind by %d past the wrap: ERR_ARG, position %d", M_BATCH + 1, pos);
    CHECK(m_rewind(&B, pos - M_BATCH) == M_OK && feed_same(&B, pos - M_BATCH, pos + 4),
          "rewind by %d past the wrap, re-fed: bit for bit", M_BATCH);

    /* a state saved past the wrap: all M_CTX rows; it goes on bit for bit in another arena */
    pos = m_position(&B);
    int64_t sb = m_state_bytes(&B);
    m_reset(&C);
    m_forward(&C, toks, 1);
    int64_t row = m_state_bytes(&C) - 64;
    CHECK(sb == 64 + row * (CTX + M_BATCH - 1), "state_bytes past the wrap: %lld (the header and %d rows)", (long long)sb,
          CTX + M_BATCH - 1);
    unsigned char *buf = malloc((size_t)sb);
    st = m_state_save(&B, buf, (size_t)sb);
    int ld = m_state_load(&C, buf, (size_t)sb);
    CHECK(st == M_OK && ld == M_OK && m_position(&C) == pos && feed_same(&C, pos, N) && feed_same(&B, pos, N),
          "state saved at %d, loaded into another arena: positions %d..%d bit for bit", pos, pos, N - 1);
    /* into a context of another size, its ring would be read wrongly: foreign, nothing changed */
    m_ctx D;
    size_t db = M_ARENA_BYTES_FOR(CTX - 2);
    unsigned char *a5 = arena_new(db);
    st = m_init_ctx(&D, a5, db, NULL, 0, CTX - 2);
    ld = st ? st : m_state_load(&D, buf, (size_t)sb);
    CHECK(ld == M_ERR_STATE_FOREIGN && m_position(&D) == 0, "that state into init_ctx(%d): %s, position 0", CTX - 2,
          m_strerror(ld));
    /* a shorter context slides too: its logits up to its size are the full one's */
    same = (l = m_forward(&D, toks, PROMPT)) && !memcmp(l, ref[PROMPT - 1], sizeof ref[0]);
    for (int i = PROMPT; i < N && l; i++) {
        l = m_forward(&D, &toks[i], 1);
        if (i < CTX - 2) same &= l && !memcmp(l, ref[i], sizeof ref[0]);
    }
    CHECK(same && l && m_position(&D) == N, "init_ctx(%d) slides to %d positions", CTX - 2, N);
    CHECK(m_init_ctx(&D, a5, db, NULL, 0, M_CTX_MIN - 1) == M_ERR_ARG, "init_ctx(%d): ERR_ARG (no ring)", M_CTX_MIN - 1);

    /* prompt lookup with free guesses (every pass with a match guesses, up to M_BATCH - 1 past the
     * context: a pass is one chunk, its rewind within the ring's spare rows): the greedy tokens */
    static int32_t got[N];
    static float work[M_SPEC_WORK_BYTES(M_SPEC_K_MAX) / sizeof(float)];
    m_sampler smp;
    m_spec sp;
    m_sampler_init(&smp, 0.0f, 0, 1.0f, 1);
    m_reset(&B);
    memcpy(got, toks, sizeof(int32_t) * PROMPT);
    int n = PROMPT, ok = m_forward(&B, toks, PROMPT - 1) && m_spec_init(&sp, M_SPEC_K_MAX, 3) == M_OK;
    sp.cost = 0.0f;
    while (ok && n < N && (n = m_generate_lookup(&B, &smp, &sp, got, n, N, work, sizeof work)) > 0) {}
    CHECK(ok && n == N && !memcmp(got, toks, sizeof toks) && sp.guessed > 0,
          "generate_lookup to %d (4x the context): the greedy tokens (%lld passes, %lld guessed, %lld accepted)", N,
          (long long)sp.passes, (long long)sp.guessed, (long long)sp.accepted);
    free(all), free(buf), free(a1), free(a2), free(a3), free(a4), free(a5);
    printf("%d failed\n", fails);
    return fails != 0;
}
