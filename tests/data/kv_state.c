/* kv_state.c - saved state, rewind and forward_all of the generated API, on stories260K compiled
 * twice (tests/kv_state.sh): m with the KV type under test, o with another one (a state o saves is
 * foreign to m).  Checks: a state saved at position k and loaded into a fresh context in another
 * arena continues with bit-identical logits; rewind + re-feed gives the same logits bit for bit;
 * forward_all's rows are the logits forward gives; a corrupted, truncated or foreign state is
 * rejected with its status and changes neither the position nor a byte of the arena.  Runtime
 * context: m with init_ctx(SHORT) in an arena of exactly M_ARENA_BYTES_FOR(SHORT) gives the logits
 * of e, the same model compiled with --ctx SHORT, and their states load into each other. */
#define _POSIX_C_SOURCE 200809L
#include "m.h"
#include "o.h"
#include "e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N = 12, PROMPT = 5, K = 7, SHORT = E_CTX };
static const int32_t toks[N] = {1, 403, 407, 261, 378, 455, 473, 456, 435, 299, 362, 409};
static float ref[N][M_VOCAB_SIZE];
static int fails;

#define APP_CHECK_FEED
#include "app_check.h"

/* a state load that must fail with want: the position, the saved state and (single-threaded
 * builds: threaded ones keep their workers' pool in the arena) every arena byte stay the same */
static void load_rejected(m_ctx *c, const unsigned char *arena, size_t arena_bytes, const void *st, size_t bytes, int want, const char *what) {
    size_t sb = (size_t)m_state_bytes(c);
    unsigned char *snap = malloc(arena_bytes), *s0 = malloc(sb), *s1 = malloc(sb);
    memcpy(snap, arena, arena_bytes);
    m_state_save(c, s0, sb);
    int pos = m_position(c), got = m_state_load(c, st, bytes), rec = m_last_error(c);
    int same = rec == want && m_position(c) == pos && m_state_save(c, s1, sb) == M_OK && !memcmp(s0, s1, sb);
#ifndef M_THREADS
    same &= !memcmp(snap, arena, arena_bytes);
#endif
    CHECK(got == want && same, "state_load of %s: %d (%s, recorded), nothing changed", what, got, m_strerror(got));
    free(snap), free(s0), free(s1);
}

int main(void) {
    unsigned char *a1 = arena_new(M_ARENA_BYTES), *a2 = arena_new(M_ARENA_BYTES), *a3 = arena_new(M_ARENA_BYTES);
    m_ctx A, B, C;
    if (m_init(&A, a1, M_ARENA_BYTES, NULL, 0) || m_init(&B, a2, M_ARENA_BYTES, NULL, 0) ||
        m_init(&C, a3, M_ARENA_BYTES, NULL, 0)) { printf("FAIL: init\n"); return 1; }

    /* the uninterrupted run: a prompt, then one token at a time */
    const float *l = m_forward(&A, toks, PROMPT);
    if (!l) { printf("FAIL: forward\n"); return 1; }
    memcpy(ref[PROMPT - 1], l, sizeof ref[0]);
    for (int i = PROMPT; i < N; i++) {
        if (!(l = m_forward(&A, &toks[i], 1))) { printf("FAIL: forward\n"); return 1; }
        memcpy(ref[i], l, sizeof ref[0]);
    }

    /* save at K, load into a fresh context in another arena, go on */
    CHECK(m_state_bytes(&B) == 64, "state_bytes at position 0: %lld (the header)", (long long)m_state_bytes(&B));
    m_forward(&B, toks, PROMPT);
    int64_t row = m_state_bytes(&B) - 64;
    CHECK(row > 0 && row % PROMPT == 0, "state_bytes grows by a fixed row per position (%lld)", (long long)(row / PROMPT));
    feed_same(&B, PROMPT, K);
    int64_t sb = m_state_bytes(&B);
    CHECK(sb == 64 + row / PROMPT * K, "state_bytes at %d: %lld", K, (long long)sb);
    unsigned char *st = malloc((size_t)sb + 16), *bad = malloc((size_t)sb + 16);
    CHECK(m_state_save(&B, st, (size_t)sb - 1) == M_ERR_BUFFER, "state_save into one byte too few: ERR_BUFFER");
    CHECK(m_state_save(&B, st, (size_t)sb) == M_OK, "state_save at position %d", K);
    int got = m_state_load(&C, st, (size_t)sb);
    CHECK(got == M_OK && m_position(&C) == K, "state_load into a fresh context: %d, position %d", got, m_position(&C));
    CHECK(feed_same(&C, K, N), "after the load: positions %d..%d bit-identical to the uninterrupted run", K, N - 1);
    CHECK(feed_same(&B, K, N), "the saving context goes on unchanged");

    /* rewind and re-feed */
    CHECK(m_rewind(&A, N + 1) == M_ERR_ARG && m_position(&A) == N, "rewind past the position: ERR_ARG, no change");
    CHECK(m_rewind(&A, K) == M_OK && m_position(&A) == K, "rewind to %d", K);
    CHECK(feed_same(&A, K, N), "rewind + re-feed: bit-identical logits");
    m_rewind(&A, 0);
    l = m_forward(&A, toks, PROMPT);
    CHECK(l && !memcmp(l, ref[PROMPT - 1], sizeof ref[0]) && feed_same(&A, PROMPT, N), "rewind to 0 + the whole run again: bit-identical");

    /* forward_all: the prompt's last row is forward's; the decode rows are those of one-token forwards */
    static float all[N][M_VOCAB_SIZE];
    m_reset(&A);
    CHECK(m_forward_all(&A, toks, PROMPT, &all[0][0]) == M_OK && m_position(&A) == PROMPT, "forward_all of the prompt");
    CHECK(!memcmp(all[PROMPT - 1], ref[PROMPT - 1], sizeof ref[0]), "its last row is forward's logits, bit for bit");
    int same = 1;
    for (int i = PROMPT; i < N; i++) same &= m_forward_all(&A, &toks[i], 1, all[i]) == M_OK && !memcmp(all[i], ref[i], sizeof ref[0]);
    CHECK(same, "forward_all of one token = forward, bit for bit");
    m_reset(&A);
    m_forward_all(&A, toks, N, &all[0][0]);
    float worst = 0;
    for (int i = 0; i < N; i++) {
        /* row i against forward over toks[0..i] in one chunk */
        m_reset(&B);
        l = m_forward(&B, toks, i + 1);
        for (int v = 0; v < M_VOCAB_SIZE; v++) {
            float d = all[i][v] - l[v];
            if (d < 0) d = -d;
            if (d > worst) worst = d;
        }
    }
    CHECK(worst == 0, "forward_all of %d tokens: row i = forward of tokens 0..i (max |diff| %g)", N, (double)worst);

    /* rejected states: C is at N, its arena must stay as it is */
    memcpy(bad, st, (size_t)sb);
    bad[64 + (sb - 64) / 2] ^= 0x10;
    load_rejected(&C, a3, M_ARENA_BYTES, bad, (size_t)sb, M_ERR_STATE_DATA, "a state with one bit flipped in its rows");
    memcpy(bad, st, (size_t)sb);
    bad[50] ^= 1;
    load_rejected(&C, a3, M_ARENA_BYTES, bad, (size_t)sb, M_ERR_STATE_DATA, "a state with a damaged checksum");
    load_rejected(&C, a3, M_ARENA_BYTES, st, (size_t)sb - 1, M_ERR_STATE_DATA, "a truncated state");
    load_rejected(&C, a3, M_ARENA_BYTES, st, 63, M_ERR_STATE_DATA, "63 bytes");
    memcpy(bad, st, (size_t)sb);
    bad[2] ^= 1;
    load_rejected(&C, a3, M_ARENA_BYTES, bad, (size_t)sb, M_ERR_STATE_DATA, "a state with a bad magic");
    memcpy(bad, st, (size_t)sb);
    bad[12] ^= 1;
    load_rejected(&C, a3, M_ARENA_BYTES, bad, (size_t)sb, M_ERR_STATE_FOREIGN, "a state of another model (weights hash)");
    memcpy(bad, st, (size_t)sb);
    bad[34] = 0x7f;
    load_rejected(&C, a3, M_ARENA_BYTES, bad, (size_t)sb, M_ERR_STATE_DATA, "a state claiming another position");
    load_rejected(&C, a3, M_ARENA_BYTES, NULL, (size_t)sb, M_ERR_ARG, "NULL");

    /* a state of the other build (another KV type) */
    unsigned char *ao = arena_new(O_ARENA_BYTES);
    o_ctx D;
    if (o_init(&D, ao, O_ARENA_BYTES, NULL, 0) || !o_forward(&D, toks, PROMPT)) { printf("FAIL: init o\n"); return 1; }
    int64_t ob = o_state_bytes(&D);
    unsigned char *ost = malloc((size_t)ob);
    CHECK(o_state_save(&D, ost, (size_t)ob) == O_OK, "the other build saves its state (%lld bytes)", (long long)ob);
    load_rejected(&C, a3, M_ARENA_BYTES, ost, (size_t)ob, M_ERR_STATE_FOREIGN, "the other KV type's state");
    CHECK(o_state_load(&D, st, (size_t)sb) == O_ERR_STATE_FOREIGN, "and the other way round");

    /* loading more bytes than the state is fine; loading it back over a used context replaces everything */
    CHECK(m_state_load(&C, st, (size_t)sb + 16) == M_OK && m_position(&C) == K && feed_same(&C, K, N),
          "state_load over a used context (buffer larger than the state): the run from %d again", K);

    /* runtime context: SHORT positions in an arena of exactly ARENA_BYTES_FOR(SHORT) */
    size_t fixed = M_ARENA_BYTES_FOR(0), kv_short = M_ARENA_BYTES_FOR(SHORT) - fixed, kv_full = M_ARENA_BYTES - fixed;
    CHECK(M_ARENA_BYTES == M_ARENA_BYTES_FOR(M_CTX) && kv_full == M_KV_BYTES && kv_short == (size_t)SHORT * M_KV_ROW_BYTES,
          "ARENA_BYTES_FOR(%d) = %zu + %zu KV bytes (%d: %zu)", SHORT, fixed, kv_short, M_CTX, kv_full);
    unsigned char *as = arena_new(M_ARENA_BYTES_FOR(SHORT)), *ae = arena_new(E_ARENA_BYTES);
    m_ctx S;
    e_ctx E;
    CHECK(m_init_ctx(&S, as, M_ARENA_BYTES_FOR(SHORT) - 1, NULL, 0, SHORT) == M_ERR_ARENA, "init_ctx with an arena one byte short: ERR_ARENA");
    CHECK(m_init_ctx(&S, as, M_ARENA_BYTES_FOR(SHORT), NULL, 0, 0) == M_ERR_ARG, "init_ctx n_ctx 0: ERR_ARG");
    CHECK(m_init_ctx(&S, as, M_ARENA_BYTES, NULL, 0, M_CTX + 1) == M_ERR_ARG, "init_ctx n_ctx CTX + 1: ERR_ARG");
    if (m_init_ctx(&S, as, M_ARENA_BYTES_FOR(SHORT), NULL, 0, SHORT) || e_init(&E, ae, E_ARENA_BYTES, NULL, 0)) {
        printf("FAIL: init_ctx / init e\n");
        return 1;
    }
    const float *ls = m_forward(&S, toks, 3), *le = e_forward(&E, toks, 3);
    same = ls && le && !memcmp(ls, le, sizeof ref[0]);
    for (int i = 3; i < SHORT; i++) {
        ls = m_forward(&S, &toks[i], 1), le = e_forward(&E, &toks[i], 1);
        same &= ls && le && !memcmp(ls, le, sizeof ref[0]);
    }
    CHECK(same, "init_ctx(%d) = the build compiled with --ctx %d, bit for bit, over %d positions", SHORT, SHORT, SHORT);
    CHECK(!m_forward(&S, toks, 1) && m_last_error(&S) == M_ERR_CONTEXT_FULL, "and its context is full at %d", SHORT);
    int64_t cb = m_state_bytes(&C); /* C is at N > SHORT */
    unsigned char *cst = malloc((size_t)cb);
    m_state_save(&C, cst, (size_t)cb);
    m_rewind(&S, 2);
    load_rejected(&S, as, M_ARENA_BYTES_FOR(SHORT), cst, (size_t)cb, M_ERR_CONTEXT_FULL, "a state past the context");
    free(cst);
    int64_t eb = e_state_bytes(&E);
    unsigned char *est = malloc((size_t)eb);
    e_rewind(&E, PROMPT);
    eb = e_state_bytes(&E);
    CHECK(e_state_save(&E, est, (size_t)eb) == E_OK && m_state_load(&C, est, (size_t)eb) == M_OK && m_position(&C) == PROMPT &&
          feed_same(&C, PROMPT, N), "a state of the --ctx %d build goes on in the --ctx %d one (the rows do not depend on the context)", SHORT, M_CTX);
    m_release(&A), m_release(&B), m_release(&C), m_release(&S), o_release(&D), e_release(&E);
    free(est), free(as), free(ae);
    free(st), free(bad), free(ost), free(a1), free(a2), free(a3), free(ao);
    printf("%d failed\n", fails);
    return fails != 0;
}
