/* step_slices.c - preemptible decode of the generated API (tests/step_slices.sh): step_begin +
 * step_run in slices of 1, 2, 3 and all sections give forward's logits bit for bit (a prompt of
 * several chunks, then one token at a time), step_run reports the sections left, and a pending
 * step is dropped by forward and refused when nothing is pending. */
#define _POSIX_C_SOURCE 200809L
#include "m.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N = 11, PROMPT = 7, S = M_STEP_SECTIONS };
static const int32_t toks[N] = {1, 403, 407, 261, 378, 455, 473, 456, 435, 299, 362};
static float ref[N][M_VOCAB_SIZE];
static int fails;

#include "app_check.h"

/* the sections a step of n tokens runs: S per chunk of M_BATCH */
static int sections_of(int n) { return (n + M_BATCH - 1) / M_BATCH * S; }

/* tokens [from, to) through step_run(slice) until done; 1 if the calls report the sections left
 * and the logits after them are ref[to - 1] bit for bit */
static int stepped(m_ctx *c, int from, int to, int slice, int *calls) {
    int left = sections_of(to - from), ok = m_step_begin(c, toks + from, to - from) == M_OK;
    *calls = 0;
    while (ok && left > 0) {
        int got = m_step_run(c, slice);
        left = left > slice ? left - slice : 0;
        ok &= got == left;
        ++*calls;
    }
    return ok && m_position(c) == to && !memcmp(m_logits(c), ref[to - 1], sizeof ref[0]);
}

int main(void) {
    unsigned char *a1 = arena_new(M_ARENA_BYTES), *a2 = arena_new(M_ARENA_BYTES);
    m_ctx A, B;
    if (m_init(&A, a1, M_ARENA_BYTES, NULL, 0) || m_init(&B, a2, M_ARENA_BYTES, NULL, 0)) {
        printf("FAIL: init\n");
        return 1;
    }
    const float *l = m_forward(&A, toks, PROMPT);
    if (!l) { printf("FAIL: forward\n"); return 1; }
    memcpy(ref[PROMPT - 1], l, sizeof ref[0]);
    for (int i = PROMPT; i < N; i++) {
        if (!(l = m_forward(&A, &toks[i], 1))) { printf("FAIL: forward\n"); return 1; }
        memcpy(ref[i], l, sizeof ref[0]);
    }
    CHECK(m_logits(&A) == l, "logits: where forward returned them");
    int slices[] = {1, 2, 3, S, 1000};
    for (int k = 0; k < 5; k++) {
        int total = 0, c, ok;
        m_reset(&B);
        ok = stepped(&B, 0, PROMPT, slices[k], &c);
        total += c;
        for (int i = PROMPT; i < N && ok; i++) ok = stepped(&B, i, i + 1, slices[k], &c), total += c;
        CHECK(ok, "step_run(%d): a prompt of %d (batch %d) and %d tokens, %d calls: forward's logits bit for bit",
              slices[k], PROMPT, M_BATCH, N - PROMPT, total);
    }
    /* a pending step: forward drops it, step_run then has nothing to run */
    m_reset(&B);
    CHECK(m_step_begin(&B, toks, PROMPT) == M_OK && m_step_run(&B, 1) == sections_of(PROMPT) - 1 &&
              m_position(&B) == 0, "step_run(1) ran the embedding only: position 0");
    l = m_forward(&B, toks, PROMPT);
    CHECK(l && !memcmp(l, ref[PROMPT - 1], sizeof ref[0]) && m_step_run(&B, 1) == M_ERR_STATE,
          "forward after a partial step: forward's logits; the step is dropped (step_run: %s)",
          m_strerror(m_last_error(&B)));
    CHECK(m_step_run(&B, 1) == M_ERR_STATE && m_step_begin(&B, toks, 0) == M_ERR_ARG &&
              m_step_run(&B, 1) == M_ERR_STATE, "step_begin of 0 tokens fails and begins nothing");
    CHECK(m_step_begin(&B, toks, 1) == M_OK && m_step_run(&B, 0) == M_ERR_ARG && m_step_run(&B, -5) == M_ERR_ARG &&
              m_step_run(&B, 1000) == 0 && m_position(&B) == PROMPT + 1,
          "step_run(0): an error that leaves the step pending; the next call finishes it");
    m_release(&A), m_release(&B);
    free(a1), free(a2);
    printf("%s\n", fails ? "FAIL" : "ok");
    return fails != 0;
}
