/* A small app of the generated API, built by tests/api_app.sh with two models
 * compiled from the same file under the names a and b (a: embedded weights,
 * b: external weights).  Checks the contract of the generated code. */
#define _POSIX_C_SOURCE 200809L
#include "a.h"
#include "b.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fails;
#define CHECK(c, ...) do { if (c) printf("ok: " __VA_ARGS__); else { fails++; printf("FAIL: " __VA_ARGS__); } printf("\n"); } while (0)

static void *load(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    void *p = NULL;
    if (posix_memalign(&p, 64, B_WEIGHTS_BYTES) != 0) { fclose(f); return NULL; }
    size_t n = fread(p, 1, B_WEIGHTS_BYTES, f);
    fclose(f);
    if (n != B_WEIGHTS_BYTES) { free(p); return NULL; }
    return p;
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    void *wb = load(argv[1]);
    CHECK(wb != NULL, "loaded b.weights");
    unsigned char *arena1 = aligned_alloc(A_ARENA_ALIGN, A_ARENA_BYTES);
    unsigned char *arena2 = aligned_alloc(A_ARENA_ALIGN, A_ARENA_BYTES);
    unsigned char *arenab = aligned_alloc(B_ARENA_ALIGN, B_ARENA_BYTES + 64);
    a_ctx c1, c2;
    b_ctx cb;
    memset(&c1, 0x5a, sizeof c1); /* stack garbage */
    CHECK(a_init(&c1, arena1, A_ARENA_BYTES - 1, NULL, 0) == A_ERR_ARENA, "arena one byte short -> ERR_ARENA");
    CHECK(a_init(&c1, arena1 + 4, A_ARENA_BYTES, NULL, 0) == A_ERR_ARENA, "misaligned arena -> ERR_ARENA");
    CHECK(a_forward(&c1, (const int32_t[]){1}, 1) == NULL && a_last_error(&c1) == A_ERR_STATE,
          "forward on a failed init -> NULL, ERR_STATE");
    CHECK(b_init(&cb, arenab, B_ARENA_BYTES, NULL, 0) == B_ERR_WEIGHTS, "external build without weights -> ERR_WEIGHTS");
    unsigned char *junk = aligned_alloc(64, 4096);
    memset(junk, 0x5a, 4096);
    CHECK(b_init(&cb, arenab, B_ARENA_BYTES, junk, 4096) == B_ERR_WEIGHTS, "foreign blob -> ERR_WEIGHTS");
    CHECK(b_init(&cb, arenab, B_ARENA_BYTES, wb, B_WEIGHTS_BYTES - 64) == B_ERR_WEIGHTS,
          "the right blob cut short -> ERR_WEIGHTS (its header is fine)");
    CHECK(a_init(&c1, arena1, A_ARENA_BYTES, NULL, 0) == A_OK, "init a (embedded weights)");
    CHECK(a_init(&c2, arena2, A_ARENA_BYTES, NULL, 0) == A_OK, "second context of a");
    CHECK(b_init(&cb, arenab, B_ARENA_BYTES, wb, B_WEIGHTS_BYTES) == B_OK, "init b (external weights)");
    CHECK(sizeof a_weights_blob == A_WEIGHTS_BYTES, "the linked-in blob's size is in its type");

    /* verify_weights: every byte; init looks at the header only */
    CHECK(a_verify_weights(NULL, 0) == A_OK && b_verify_weights(wb, B_WEIGHTS_BYTES) == B_OK, "verify_weights: intact");
    unsigned char *wc = aligned_alloc(64, B_WEIGHTS_BYTES);
    memcpy(wc, wb, B_WEIGHTS_BYTES);
    wc[B_WEIGHTS_BYTES / 2] ^= 0x10;
    CHECK(b_verify_weights(wc, B_WEIGHTS_BYTES) == B_ERR_WEIGHTS, "verify_weights: one bit flipped -> ERR_WEIGHTS");
    memcpy(wc, wb, B_WEIGHTS_BYTES);
    memset(wc + B_WEIGHTS_BYTES / 2, 0xff, B_WEIGHTS_BYTES - B_WEIGHTS_BYTES / 2); /* half-erased flash */
    CHECK(b_verify_weights(wc, B_WEIGHTS_BYTES) == B_ERR_WEIGHTS, "verify_weights: half erased -> ERR_WEIGHTS");
    memcpy(wc, wb, B_WEIGHTS_BYTES);
    wc[B_WEIGHTS_BYTES - 1] ^= 1; /* the last padding byte is summed too */
    CHECK(b_verify_weights(wc, B_WEIGHTS_BYTES) == B_ERR_WEIGHTS, "verify_weights: last byte -> ERR_WEIGHTS");
    memcpy(wc, wb, B_WEIGHTS_BYTES);
    wc[40] = 1; /* reserved header bytes */
    CHECK(b_verify_weights(wc, B_WEIGHTS_BYTES) == B_ERR_WEIGHTS, "verify_weights: reserved header byte -> ERR_WEIGHTS");
    CHECK(b_verify_weights(wb, B_WEIGHTS_BYTES - 1) == B_ERR_WEIGHTS, "verify_weights: one byte short -> ERR_WEIGHTS");
    CHECK(b_verify_weights(NULL, 0) == B_ERR_WEIGHTS && a_verify_weights(NULL, 5) == A_ERR_ARG,
          "verify_weights: no linked-in blob, NULL with a length");
    free(wc);
    /* the arena is the only memory written: fill past its end with a canary */
    memset(arenab + B_ARENA_BYTES, 0xa5, 64);

    /* two contexts interleaved give the same logits as one context alone */
    int32_t seq[16] = {1, 400, 22, 7, 511, 300, 3, 3, 90, 128, 256, 1, 2, 17, 450, 33};
    float l1[A_VOCAB_SIZE], l2[A_VOCAB_SIZE];
    int same = 1, same_b = 1;
    for (int i = 0; i < 16; i++) {
        const float *p1 = a_forward(&c1, &seq[i], 1);
        memcpy(l1, p1, sizeof l1);
        int32_t other = seq[15 - i];
        (void)a_forward(&c2, &other, 1); /* disturb a neighbour context */
        const float *pb = b_forward(&cb, &seq[i], 1);
        for (int k = 0; k < A_VOCAB_SIZE; k++) if (pb[k] != l1[k]) same_b = 0;
    }
    a_reset(&c2);
    const float *p2 = a_forward(&c2, seq, 16); /* the whole sequence as a prompt */
    memcpy(l2, p2, sizeof l2);
    for (int k = 0; k < A_VOCAB_SIZE; k++) if (l1[k] != l2[k]) same = 0;
    CHECK(same, "interleaved contexts are independent; prompt of 16 == 16 single steps");
    CHECK(same_b, "model b (external weights) == model a (embedded) in the same program");
    CHECK(a_position(&c1) == 16, "position after 16 tokens");

    /* the context refuses to run past its end, and changes nothing when it does */
    a_reset(&c1);
    int32_t t = 5;
    int okc = 1;
    for (int i = 0; i < A_CTX; i++) if (!a_forward(&c1, &t, 1)) okc = 0;
    CHECK(okc && a_position(&c1) == A_CTX, "fill the context (%d positions)", A_CTX);
    CHECK(a_forward(&c1, &t, 1) == NULL && a_last_error(&c1) == A_ERR_CONTEXT_FULL, "position past ctx -> ERR_CONTEXT_FULL");
    CHECK(a_position(&c1) == A_CTX, "failed forward left the position alone");
    a_reset(&c1);
    int32_t bad[2] = {1, A_VOCAB_SIZE};
    CHECK(a_forward(&c1, bad, 2) == NULL && a_last_error(&c1) == A_ERR_TOKEN && a_position(&c1) == 0,
          "token out of range -> ERR_TOKEN, nothing consumed");
    CHECK(a_forward(&c1, bad, 0) == NULL && a_last_error(&c1) == A_ERR_ARG, "n = 0 -> ERR_ARG");
    int canary = 1;
    for (int i = 0; i < 64; i++) if (arenab[B_ARENA_BYTES + i] != 0xa5) canary = 0;
    CHECK(canary, "nothing written past the arena");
    CHECK(strcmp(a_strerror(A_ERR_CONTEXT_FULL), "context is full") == 0, "strerror");

    /* sampler: greedy = argmax; seeded sampling reproducible */
    a_reset(&c1);
    const float *lg = a_forward(&c1, (const int32_t[]){1}, 1);
    int arg = 0;
    for (int k = 1; k < A_VOCAB_SIZE; k++) if (lg[k] > lg[arg]) arg = k;
    a_sampler s;
    a_sampler_init(&s, 0.0f, 0, 1.0f, 1);
    CHECK(a_sample(&c1, &s, lg) == arg, "greedy sample = argmax (%d)", arg);
    a_sampler s1, s2;
    a_sampler_init(&s1, 1.0f, 40, 0.9f, 99);
    a_sampler_init(&s2, 1.0f, 40, 0.9f, 99);
    int rep = 1;
    for (int i = 0; i < 50; i++) if (a_sample(&c1, &s1, lg) != a_sample(&c1, &s2, lg)) rep = 0;
    CHECK(rep, "same seed, same samples");

    /* tokenizer: the placeholder vocabulary round-trips through decode */
    char buf[64];
    int n = a_decode(1, 461, buf, sizeof buf);
    CHECK(n == 5 && memcmp(buf, "[461]", 5) == 0, "decode 461 -> [461] (%.*s)", n > 0 ? n : 0, buf);
    int32_t ids[32];
    n = a_encode("", 0, 1, ids, 32);
    CHECK(n == 1 && ids[0] == A_BOS, "encode of empty text with BOS -> [BOS]");
    CHECK(a_encode("abc", 3, 1, ids, 2) < 0, "encode into a too small buffer fails");

    /* sampler on logits that are not a distribution */
    static float lx[A_VOCAB_SIZE];
    for (int k = 0; k < A_VOCAB_SIZE; k++) lx[k] = (float)(k % 7);
    lx[300] = INFINITY;
    a_sampler_init(&s1, 1.0f, 0, 1.0f, 5);
    CHECK(a_sample(&c1, &s1, lx) == 300 && a_last_error(&c1) == A_OK, "one +inf logit is sampled");
    lx[100] = NAN;
    memset(&s1, 0, sizeof s1); /* the padding after top_p too: the samplers are compared byte for byte */
    memset(&s2, 0, sizeof s2);
    a_sampler_init(&s1, 1.0f, 0, 1.0f, 5);
    a_sampler_init(&s2, 1.0f, 0, 1.0f, 5);
    CHECK(a_sample(&c1, &s1, lx) == A_ERR_LOGITS && a_last_error(&c1) == A_ERR_LOGITS, "a NaN logit -> ERR_LOGITS");
    CHECK(memcmp(&s1, &s2, sizeof s1) == 0, "the sampler is unchanged by the failure");
    printf("%d failed\n", fails);
    free(arena1); free(arena2); free(arenab); free(junk); free(wb);
    return fails != 0;
}
