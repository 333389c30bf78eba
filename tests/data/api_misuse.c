/* api_misuse.c - every public function of the generated API against every bad argument, one table
 * row each (tests/api_misuse.sh builds it with ASan+UBSan against tiny compiled models).  A row is
 * a call, the status the API documents for it, and whether it is made on the live context.  After
 * every row: the status is the documented one, the live context (but for its recorded status), its
 * arena, a released context's arena and the sampler are byte for byte what they were, and ASan/UBSan
 * saw nothing.  At the end the live context must still compute the logits of an undisturbed one.
 *
 * Built once per model with -DPREFIX=m -DUPREFIX=M -DMODEL_H='"m.h"' and EMBEDDED / THREADED / ZSTD /
 * DRAFT (0 or 1) saying how the model was compiled (DRAFT: with --draft, its blob linked in);
 * argv[1] is NAME.weights. */
#define _POSIX_C_SOURCE 200809L
#include MODEL_H

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define F(x) CAT(PREFIX, x)  /* F(_init) = m_init */
#define C(x) CAT(UPREFIX, x) /* C(_OK) = M_OK */

typedef F(_ctx) ctx_t;
typedef F(_sampler) sampler_t;
typedef F(_spec) spec_t;

static unsigned char *arena, *arena_rel, *arena_aux, *arena_snap, *rel_snap;
static unsigned char *raw;           /* this model's blob, uncompressed, aligned */
static unsigned char *wbuf, *wmis;   /* a copy to damage, and one misaligned by 8 bytes */
#if ZSTD
static unsigned char *zframe;        /* NAME.weights as read */
static size_t zbytes;
#endif
static ctx_t live, rel, zero, junk, aux;
static sampler_t smp;
static float good[C(_VOCAB_SIZE)], nan_lg[C(_VOCAB_SIZE)], ninf[C(_VOCAB_SIZE)];
static const int32_t ok3[3] = {1, 7, 9};
static const int32_t tok_ok = 5;

/* the blob init takes in this build: NULL, 0 when linked in and usable as is */
#if EMBEDDED && !ZSTD
#define W NULL
#define WN 0
#else
#define W raw
#define WN ((size_t)C(_WEIGHTS_BYTES))
#endif

/* forward's status: OK, or what last_error records */
static int fwd(ctx_t *c, const int32_t *t, int n) {
    return F(_forward)(c, t, n) ? C(_OK) : F(_last_error)(c);
}

/* a copy of the blob with one kind of damage */
enum { DMG_NONE, DMG_MAGIC, DMG_SIZE, DMG_HASH, DMG_SUM, DMG_RESERVED, DMG_BIT, DMG_LAST, DMG_ERASED, DMG_ZERO };
static const void *damaged(int how) {
    size_t n = C(_WEIGHTS_BYTES);
    memcpy(wbuf, raw, n);
    switch (how) {
    case DMG_MAGIC: wbuf[3] ^= 1; break;
    case DMG_SIZE: wbuf[8] ^= 64; break;
    case DMG_HASH: wbuf[20] ^= 4; break;
    case DMG_SUM: wbuf[30] ^= 2; break;
    case DMG_RESERVED: wbuf[50] = 1; break;
    case DMG_BIT: wbuf[n / 3] ^= 0x08; break;
    case DMG_LAST: wbuf[n - 1] ^= 0x01; break;
    case DMG_ERASED: memset(wbuf + n / 2, 0xff, n - n / 2); break;
    case DMG_ZERO: memset(wbuf, 0, n); break;
    }
    return wbuf;
}

static int init_with(int how, size_t bytes) { return F(_init)(&live, arena_aux, C(_ARENA_BYTES), damaged(how), bytes); }
static int verify_with(int how, size_t bytes) { return F(_verify_weights)(damaged(how), bytes); }

/* a failed init leaves a fresh (here: garbage) context unusable, not half made */
static int init_fail_then_forward(void) {
    F(_init)(&junk, arena_aux, C(_ARENA_BYTES) - 1, W, WN);
    return fwd(&junk, &tok_ok, 1);
}

/* single-threaded builds rebind a live context: position 0 afterwards */
static int reinit_live_aux(void) {
    if (F(_init)(&aux, arena_aux, C(_ARENA_BYTES), W, WN) || fwd(&aux, ok3, 3)) return -100;
    int st = F(_init)(&aux, arena_aux, C(_ARENA_BYTES), W, WN);
    int pos = F(_position)(&aux);
    F(_release)(&aux);
    return st ? st : pos;
}

static int sample_status(ctx_t *c, sampler_t *s, const float *lg) {
    int id = F(_sample)(c, s, lg);
    return id >= 0 ? C(_OK) : id;
}

static int encode_st(const char *text, size_t len, int32_t *ids, int cap) {
    int n = F(_encode)(text, len, 1, ids, cap);
    return n >= 0 ? C(_OK) : n;
}

static int decode_st(int prev, int id, char *buf, int cap) {
    int n = F(_decode)(prev, id, buf, cap);
    return n >= 0 ? C(_OK) : n;
}

static int strerror_all(void) {
    /* every status has its own text; anything else a fixed one, never NULL */
    static const int codes[] = {C(_OK), C(_ERR_ARG), C(_ERR_ARENA), C(_ERR_WEIGHTS), C(_ERR_CONTEXT_FULL),
                                C(_ERR_TOKEN), C(_ERR_STATE), C(_ERR_BUFFER), C(_ERR_THREADS), C(_ERR_LOGITS),
                                C(_ERR_STATE_FOREIGN), C(_ERR_STATE_DATA)};
    int n = (int)(sizeof codes / sizeof codes[0]);
    const char *unknown = F(_strerror)(INT_MIN);
    if (!unknown || F(_strerror)(1) != unknown || F(_strerror)(INT_MAX) != unknown || F(_strerror)(-12) != unknown)
        return -100;
    for (int i = 0; i < n; i++) {
        const char *s = F(_strerror)(codes[i]);
        if (!s || s == unknown) return -101;
        for (int j = 0; j < i; j++)
            if (!strcmp(s, F(_strerror)(codes[j]))) return -102;
    }
    return C(_OK);
}

#if ZSTD
static int unzstd(void *dst, size_t dst_bytes, const void *src, size_t src_bytes) {
    return F(_decompress_weights)(dst, dst_bytes, src, src_bytes);
}
static int unzstd_damaged(size_t at) {
    unsigned char *z = malloc(zbytes);
    memcpy(z, zframe, zbytes);
    z[at] ^= 0x41;
    int st = F(_decompress_weights)(wbuf, C(_WEIGHTS_RAW_BYTES), z, zbytes);
    free(z);
    return st;
}
#define ZLEN zbytes
#define ZFRAME zframe
#else
static int unzstd(void *dst, size_t dst_bytes, const void *src, size_t src_bytes) {
    (void)dst, (void)dst_bytes, (void)src, (void)src_bytes;
    return C(_OK);
}
static int unzstd_damaged(size_t at) { return (void)at, C(_OK); }
#define ZLEN 0
#define ZFRAME NULL
#endif

/* X(function, bad argument, documented status, flags, call giving a status) */
enum { ON_LIVE = 1, ONLY_THREADED = 2, ONLY_SINGLE = 4, ONLY_ZSTD = 8, ONLY_EXTERNAL = 16, ONLY_LINKED = 32, ONLY_DRAFT = 64 };
#define MAXI INT_MAX
#define CASES(X)                                                                                                     \
    X(init, "ctx NULL", C(_ERR_ARG), 0, F(_init)(NULL, arena_aux, C(_ARENA_BYTES), W, WN))                            \
    X(init, "arena NULL", C(_ERR_ARENA), ON_LIVE, F(_init)(&live, NULL, C(_ARENA_BYTES), W, WN))                      \
    X(init, "arena_bytes 0", C(_ERR_ARENA), ON_LIVE, F(_init)(&live, arena_aux, 0, W, WN))                            \
    X(init, "arena one byte short", C(_ERR_ARENA), ON_LIVE, F(_init)(&live, arena_aux, C(_ARENA_BYTES) - 1, W, WN))   \
    X(init, "arena misaligned by 1", C(_ERR_ARENA), ON_LIVE, F(_init)(&live, arena_aux + 1, C(_ARENA_BYTES), W, WN))  \
    X(init, "arena misaligned by 16", C(_ERR_ARENA), ON_LIVE, F(_init)(&live, arena_aux + 16, C(_ARENA_BYTES), W, WN)) \
    X(init, "weights misaligned", C(_ERR_WEIGHTS), ON_LIVE, F(_init)(&live, arena_aux, C(_ARENA_BYTES), wmis, C(_WEIGHTS_BYTES))) \
    X(init, "weights_bytes one short", C(_ERR_WEIGHTS), ON_LIVE, F(_init)(&live, arena_aux, C(_ARENA_BYTES), raw, C(_WEIGHTS_BYTES) - 1)) \
    X(init, "weights_bytes 0 with a pointer", C(_ERR_WEIGHTS), ON_LIVE, F(_init)(&live, arena_aux, C(_ARENA_BYTES), raw, 0)) \
    X(init, "weights_bytes 64 (header only)", C(_ERR_WEIGHTS), ON_LIVE, F(_init)(&live, arena_aux, C(_ARENA_BYTES), raw, 64)) \
    X(init, "weights NULL with a length", C(_ERR_ARG), ON_LIVE, F(_init)(&live, arena_aux, C(_ARENA_BYTES), NULL, 100)) \
    X(init, "weights NULL, no blob linked in", C(_ERR_WEIGHTS), ON_LIVE | ONLY_EXTERNAL, F(_init)(&live, arena_aux, C(_ARENA_BYTES), NULL, 0)) \
    X(init, "bad magic", C(_ERR_WEIGHTS), ON_LIVE, init_with(DMG_MAGIC, C(_WEIGHTS_BYTES)))                          \
    X(init, "size field", C(_ERR_WEIGHTS), ON_LIVE, init_with(DMG_SIZE, C(_WEIGHTS_BYTES)))                          \
    X(init, "model hash", C(_ERR_WEIGHTS), ON_LIVE, init_with(DMG_HASH, C(_WEIGHTS_BYTES)))                          \
    X(init, "all zero", C(_ERR_WEIGHTS), ON_LIVE, init_with(DMG_ZERO, C(_WEIGHTS_BYTES)))                            \
    X(init, "a live context (threaded: release it first)", C(_ERR_STATE), ON_LIVE | ONLY_THREADED, F(_init)(&live, arena_aux, C(_ARENA_BYTES), W, WN)) \
    X(init, "a live context (single-threaded: rebound, position 0)", 0, ONLY_SINGLE, reinit_live_aux())            \
    X(init, "failed on a fresh context, then forward", C(_ERR_STATE), 0, init_fail_then_forward())                 \
    X(init_ctx, "ctx NULL", C(_ERR_ARG), 0, F(_init_ctx)(NULL, arena_aux, C(_ARENA_BYTES), W, WN, 4))                 \
    X(init_ctx, "n_ctx 0", C(_ERR_ARG), ON_LIVE, F(_init_ctx)(&live, arena_aux, C(_ARENA_BYTES), W, WN, 0))           \
    X(init_ctx, "n_ctx -1", C(_ERR_ARG), ON_LIVE, F(_init_ctx)(&live, arena_aux, C(_ARENA_BYTES), W, WN, -1))         \
    X(init_ctx, "n_ctx CTX + 1", C(_ERR_ARG), ON_LIVE, F(_init_ctx)(&live, arena_aux, C(_ARENA_BYTES), W, WN, C(_CTX) + 1)) \
    X(init_ctx, "n_ctx INT_MAX", C(_ERR_ARG), ON_LIVE, F(_init_ctx)(&live, arena_aux, C(_ARENA_BYTES), W, WN, MAXI))  \
    X(init_ctx, "arena one byte short of ARENA_BYTES_FOR(4)", C(_ERR_ARENA), ON_LIVE, F(_init_ctx)(&live, arena_aux, C(_ARENA_BYTES_FOR)(4) - 1, W, WN, 4)) \
    X(init_ctx, "arena ARENA_BYTES_FOR(4), n_ctx 5", C(_ERR_ARENA), ON_LIVE, F(_init_ctx)(&live, arena_aux, C(_ARENA_BYTES_FOR)(4), W, WN, 5)) \
    X(init_ctx, "arena misaligned", C(_ERR_ARENA), ON_LIVE, F(_init_ctx)(&live, arena_aux + 8, C(_ARENA_BYTES_FOR)(4), W, WN, 4)) \
    X(verify_weights, "intact", C(_OK), 0, F(_verify_weights)(W, WN))                                               \
    X(verify_weights, "intact, given as a pointer", C(_OK), 0, verify_with(DMG_NONE, C(_WEIGHTS_BYTES)))            \
    X(verify_weights, "NULL with a length", C(_ERR_ARG), 0, F(_verify_weights)(NULL, 8))                           \
    X(verify_weights, "NULL, no blob linked in", C(_ERR_WEIGHTS), ONLY_EXTERNAL, F(_verify_weights)(NULL, 0))      \
    X(verify_weights, "one byte short", C(_ERR_WEIGHTS), 0, verify_with(DMG_NONE, C(_WEIGHTS_BYTES) - 1))           \
    X(verify_weights, "length 0", C(_ERR_WEIGHTS), 0, verify_with(DMG_NONE, 0))                                     \
    X(verify_weights, "misaligned", C(_ERR_WEIGHTS), 0, F(_verify_weights)(wmis, C(_WEIGHTS_BYTES)))               \
    X(verify_weights, "bad magic", C(_ERR_WEIGHTS), 0, verify_with(DMG_MAGIC, C(_WEIGHTS_BYTES)))                   \
    X(verify_weights, "size field", C(_ERR_WEIGHTS), 0, verify_with(DMG_SIZE, C(_WEIGHTS_BYTES)))                   \
    X(verify_weights, "model hash", C(_ERR_WEIGHTS), 0, verify_with(DMG_HASH, C(_WEIGHTS_BYTES)))                   \
    X(verify_weights, "checksum field", C(_ERR_WEIGHTS), 0, verify_with(DMG_SUM, C(_WEIGHTS_BYTES)))                \
    X(verify_weights, "reserved header byte", C(_ERR_WEIGHTS), 0, verify_with(DMG_RESERVED, C(_WEIGHTS_BYTES)))     \
    X(verify_weights, "one data bit", C(_ERR_WEIGHTS), 0, verify_with(DMG_BIT, C(_WEIGHTS_BYTES)))                  \
    X(verify_weights, "last byte", C(_ERR_WEIGHTS), 0, verify_with(DMG_LAST, C(_WEIGHTS_BYTES)))                    \
    X(verify_weights, "second half erased (0xff)", C(_ERR_WEIGHTS), 0, verify_with(DMG_ERASED, C(_WEIGHTS_BYTES)))  \
    X(forward, "ctx NULL", C(_ERR_ARG), 0, fwd(NULL, &tok_ok, 1))                                                    \
    X(forward, "zeroed ctx", C(_ERR_STATE), 0, fwd(&zero, &tok_ok, 1))                                               \
    X(forward, "released ctx", C(_ERR_STATE), 0, fwd(&rel, &tok_ok, 1))                                              \
    X(forward, "garbage ctx", C(_ERR_STATE), 0, fwd(&junk, &tok_ok, 1))                                              \
    X(forward, "tokens NULL", C(_ERR_ARG), ON_LIVE, fwd(&live, NULL, 1))                                             \
    X(forward, "n 0", C(_ERR_ARG), ON_LIVE, fwd(&live, ok3, 0))                                                      \
    X(forward, "n -1", C(_ERR_ARG), ON_LIVE, fwd(&live, ok3, -1))                                                    \
    X(forward, "n INT_MIN", C(_ERR_ARG), ON_LIVE, fwd(&live, ok3, INT_MIN))                                          \
    X(forward, "n one past the context", C(_ERR_CONTEXT_FULL), ON_LIVE, fwd(&live, ok3, C(_CTX) - 3 + 1))          \
    X(forward, "n INT_MAX", C(_ERR_CONTEXT_FULL), ON_LIVE, fwd(&live, ok3, MAXI))                                   \
    X(forward, "token -1", C(_ERR_TOKEN), ON_LIVE, fwd(&live, (const int32_t[]){-1}, 1))                           \
    X(forward, "token VOCAB_SIZE", C(_ERR_TOKEN), ON_LIVE, fwd(&live, (const int32_t[]){C(_VOCAB_SIZE)}, 1))       \
    X(forward, "token INT32_MIN", C(_ERR_TOKEN), ON_LIVE, fwd(&live, (const int32_t[]){INT32_MIN}, 1))             \
    X(forward, "token INT32_MAX", C(_ERR_TOKEN), ON_LIVE, fwd(&live, (const int32_t[]){INT32_MAX}, 1))             \
    X(forward, "last of 3 tokens out of range", C(_ERR_TOKEN), ON_LIVE, fwd(&live, (const int32_t[]){1, 2, C(_VOCAB_SIZE) + 5}, 3)) \
    X(forward_all, "ctx NULL", C(_ERR_ARG), 0, F(_forward_all)(NULL, &tok_ok, 1, all_lg))                             \
    X(forward_all, "zeroed ctx", C(_ERR_STATE), 0, F(_forward_all)(&zero, &tok_ok, 1, all_lg))                        \
    X(forward_all, "released ctx", C(_ERR_STATE), 0, F(_forward_all)(&rel, &tok_ok, 1, all_lg))                       \
    X(forward_all, "tokens NULL", C(_ERR_ARG), ON_LIVE, F(_forward_all)(&live, NULL, 1, all_lg))                      \
    X(forward_all, "logits NULL", C(_ERR_ARG), ON_LIVE, F(_forward_all)(&live, ok3, 3, NULL))                         \
    X(forward_all, "n 0", C(_ERR_ARG), ON_LIVE, F(_forward_all)(&live, ok3, 0, all_lg))                               \
    X(forward_all, "n -1", C(_ERR_ARG), ON_LIVE, F(_forward_all)(&live, ok3, -1, all_lg))                             \
    X(forward_all, "n one past the context", C(_ERR_CONTEXT_FULL), ON_LIVE, F(_forward_all)(&live, ok3, C(_CTX) - 3 + 1, all_lg)) \
    X(forward_all, "token VOCAB_SIZE", C(_ERR_TOKEN), ON_LIVE, F(_forward_all)(&live, (const int32_t[]){C(_VOCAB_SIZE)}, 1, all_lg)) \
    X(rewind, "ctx NULL", C(_ERR_ARG), 0, F(_rewind)(NULL, 0))                                                        \
    X(rewind, "zeroed ctx", C(_ERR_STATE), 0, F(_rewind)(&zero, 0))                                                   \
    X(rewind, "released ctx", C(_ERR_STATE), 0, F(_rewind)(&rel, 0))                                                 \
    X(rewind, "pos -1", C(_ERR_ARG), ON_LIVE, F(_rewind)(&live, -1))                                                  \
    X(rewind, "pos past the position", C(_ERR_ARG), ON_LIVE, F(_rewind)(&live, 4))                                    \
    X(rewind, "pos INT_MAX", C(_ERR_ARG), ON_LIVE, F(_rewind)(&live, MAXI))                                           \
    X(rewind, "pos INT_MIN", C(_ERR_ARG), ON_LIVE, F(_rewind)(&live, INT_MIN))                                        \
    X(rewind, "to the position it has", C(_OK), ON_LIVE, F(_rewind)(&live, 3))                                        \
    X(step_begin, "ctx NULL", C(_ERR_ARG), 0, F(_step_begin)(NULL, &tok_ok, 1))                                       \
    X(step_begin, "zeroed ctx", C(_ERR_STATE), 0, F(_step_begin)(&zero, &tok_ok, 1))                                  \
    X(step_begin, "released ctx", C(_ERR_STATE), 0, F(_step_begin)(&rel, &tok_ok, 1))                                 \
    X(step_begin, "tokens NULL", C(_ERR_ARG), ON_LIVE, F(_step_begin)(&live, NULL, 1))                                \
    X(step_begin, "n 0", C(_ERR_ARG), ON_LIVE, F(_step_begin)(&live, ok3, 0))                                         \
    X(step_begin, "n -1", C(_ERR_ARG), ON_LIVE, F(_step_begin)(&live, ok3, -1))                                       \
    X(step_begin, "n one past the context", C(_ERR_CONTEXT_FULL), ON_LIVE, F(_step_begin)(&live, ok3, C(_CTX) - 3 + 1)) \
    X(step_begin, "n INT_MAX", C(_ERR_CONTEXT_FULL), ON_LIVE, F(_step_begin)(&live, ok3, MAXI))                       \
    X(step_begin, "token -1", C(_ERR_TOKEN), ON_LIVE, F(_step_begin)(&live, (const int32_t[]){-1}, 1))               \
    X(step_begin, "token VOCAB_SIZE", C(_ERR_TOKEN), ON_LIVE, F(_step_begin)(&live, (const int32_t[]){C(_VOCAB_SIZE)}, 1)) \
    X(step_run, "ctx NULL", C(_ERR_ARG), 0, F(_step_run)(NULL, 1))                                                    \
    X(step_run, "zeroed ctx", C(_ERR_STATE), 0, F(_step_run)(&zero, 1))                                               \
    X(step_run, "released ctx", C(_ERR_STATE), 0, F(_step_run)(&rel, 1))                                              \
    X(step_run, "garbage ctx", C(_ERR_STATE), 0, F(_step_run)(&junk, 1))                                              \
    X(step_run, "no step begun", C(_ERR_STATE), ON_LIVE, F(_step_run)(&live, 1))                                      \
    X(step_run, "no step begun, max_layers 0", C(_ERR_STATE), ON_LIVE, F(_step_run)(&live, 0))                        \
    X(logits, "ctx NULL: NULL", C(_OK), 0, F(_logits)(NULL) ? C(_ERR_ARG) : C(_OK))                                    \
    X(logits, "zeroed ctx: NULL", C(_OK), 0, F(_logits)(&zero) ? C(_ERR_ARG) : C(_OK))                                 \
    X(logits, "released ctx: NULL", C(_OK), 0, F(_logits)(&rel) ? C(_ERR_ARG) : C(_OK))                               \
    X(state_bytes, "ctx NULL", C(_ERR_STATE), 0, (int)F(_state_bytes)(NULL))                                          \
    X(state_bytes, "zeroed ctx", C(_ERR_STATE), 0, (int)F(_state_bytes)(&zero))                                       \
    X(state_bytes, "released ctx", C(_ERR_STATE), 0, (int)F(_state_bytes)(&rel))                                      \
    X(state_save, "ctx NULL", C(_ERR_ARG), 0, F(_state_save)(NULL, state, sizeof state))                              \
    X(state_save, "zeroed ctx", C(_ERR_STATE), 0, F(_state_save)(&zero, state, sizeof state))                         \
    X(state_save, "released ctx", C(_ERR_STATE), 0, F(_state_save)(&rel, state, sizeof state))                        \
    X(state_save, "buf NULL", C(_ERR_ARG), ON_LIVE, F(_state_save)(&live, NULL, sizeof state))                        \
    X(state_save, "cap 0", C(_ERR_BUFFER), ON_LIVE, F(_state_save)(&live, state, 0))                                  \
    X(state_save, "cap one byte short", C(_ERR_BUFFER), ON_LIVE, F(_state_save)(&live, state, state_n - 1))           \
    X(state_save, "cap SIZE_MAX (writes state_bytes)", C(_OK), ON_LIVE, F(_state_save)(&live, state, (size_t)-1))     \
    X(state_load, "ctx NULL", C(_ERR_ARG), 0, F(_state_load)(NULL, state, state_n))                                   \
    X(state_load, "zeroed ctx", C(_ERR_STATE), 0, F(_state_load)(&zero, state, state_n))                              \
    X(state_load, "released ctx", C(_ERR_STATE), 0, F(_state_load)(&rel, state, state_n))                             \
    X(state_load, "buf NULL", C(_ERR_ARG), ON_LIVE, F(_state_load)(&live, NULL, state_n))                             \
    X(state_load, "bytes 0", C(_ERR_STATE_DATA), ON_LIVE, F(_state_load)(&live, state, 0))                            \
    X(state_load, "one byte short", C(_ERR_STATE_DATA), ON_LIVE, F(_state_load)(&live, state, state_n - 1))           \
    X(state_load, "all zero", C(_ERR_STATE_DATA), ON_LIVE, load_damaged(-1))                                          \
    X(state_load, "bad magic", C(_ERR_STATE_DATA), ON_LIVE, load_damaged(0))                                          \
    X(state_load, "another model's hash", C(_ERR_STATE_FOREIGN), ON_LIVE, load_damaged(9))                            \
    X(state_load, "another KV type", C(_ERR_STATE_FOREIGN), ON_LIVE, load_damaged(17))                                \
    X(state_load, "another row size", C(_ERR_STATE_FOREIGN), ON_LIVE, load_damaged(25))                               \
    X(state_load, "position field", C(_ERR_STATE_DATA), ON_LIVE, load_damaged(32))                                    \
    X(state_load, "size field", C(_ERR_STATE_DATA), ON_LIVE, load_damaged(41))                                        \
    X(state_load, "checksum", C(_ERR_STATE_DATA), ON_LIVE, load_damaged(49))                                          \
    X(state_load, "reserved header byte", C(_ERR_STATE_DATA), ON_LIVE, load_damaged(60))                              \
    X(state_load, "a bit of the last row", C(_ERR_STATE_DATA), ON_LIVE, load_damaged((int)state_n - 1))               \
    X(state_load, "its own state", C(_OK), ON_LIVE, F(_state_load)(&live, state, state_n))                            \
    X(reset, "ctx NULL", C(_OK), 0, (F(_reset)(NULL), C(_OK)))                                                       \
    X(reset, "zeroed ctx", C(_ERR_STATE), 0, (F(_reset)(&zero), F(_last_error)(&zero)))                              \
    X(reset, "released ctx", C(_ERR_STATE), 0, (F(_reset)(&rel), F(_last_error)(&rel)))                              \
    X(position, "ctx NULL", C(_ERR_STATE), 0, F(_position)(NULL))                                                    \
    X(position, "zeroed ctx", C(_ERR_STATE), 0, F(_position)(&zero))                                                 \
    X(position, "released ctx", C(_ERR_STATE), 0, F(_position)(&rel))                                               \
    X(last_error, "ctx NULL", C(_ERR_ARG), 0, F(_last_error)(NULL))                                                  \
    X(strerror, "every status and INT_MIN, -12, 1, INT_MAX", C(_OK), 0, strerror_all())                             \
    X(set_threads, "ctx NULL", C(_ERR_ARG), 0, F(_set_threads)(NULL, 1))                                             \
    X(set_threads, "zeroed ctx", C(_ERR_STATE), 0, F(_set_threads)(&zero, 1))                                        \
    X(set_threads, "released ctx", C(_ERR_STATE), 0, F(_set_threads)(&rel, 1))                                      \
    X(set_threads, "0", C(_ERR_ARG), ON_LIVE, F(_set_threads)(&live, 0))                                             \
    X(set_threads, "-1", C(_ERR_ARG), ON_LIVE, F(_set_threads)(&live, -1))                                           \
    X(set_threads, "INT_MIN", C(_ERR_ARG), ON_LIVE, F(_set_threads)(&live, INT_MIN))                                 \
    X(set_threads, "INT_MAX", C(_ERR_ARG), ON_LIVE, F(_set_threads)(&live, MAXI))                                    \
    X(set_threads, "2 in a single-threaded build", C(_ERR_ARG), ON_LIVE | ONLY_SINGLE, F(_set_threads)(&live, 2))    \
    X(set_threads, "the count it has", C(_OK), ON_LIVE, F(_set_threads)(&live, THREADS_NOW))                         \
    X(release, "ctx NULL", C(_OK), 0, (F(_release)(NULL), C(_OK)))                                                   \
    X(release, "zeroed ctx", C(_ERR_STATE), 0, (F(_release)(&zero), F(_position)(&zero)))                            \
    X(release, "released ctx again", C(_ERR_STATE), 0, (F(_release)(&rel), F(_position)(&rel)))                      \
    X(release, "garbage ctx", C(_ERR_STATE), 0, (F(_release)(&junk), F(_position)(&junk)))                           \
    X(sampler_init, "sampler NULL", C(_OK), 0, (F(_sampler_init)(NULL, 1.0f, 40, 0.9f, 1), C(_OK)))                  \
    X(sampler_init, "temperature NaN, top_p NaN: greedy, off", C(_OK), ON_LIVE, sampler_nan())                       \
    X(sample, "ctx NULL", C(_ERR_ARG), 0, sample_status(NULL, &smp, good))                                           \
    X(sample, "zeroed ctx", C(_ERR_STATE), 0, sample_status(&zero, &smp, good))                                      \
    X(sample, "released ctx", C(_ERR_STATE), 0, sample_status(&rel, &smp, good))                                     \
    X(sample, "sampler NULL", C(_ERR_ARG), ON_LIVE, sample_status(&live, NULL, good))                                \
    X(sample, "logits NULL", C(_ERR_ARG), ON_LIVE, sample_status(&live, &smp, NULL))                                 \
    X(sample, "a NaN logit", C(_ERR_LOGITS), ON_LIVE, sample_status(&live, &smp, nan_lg))                            \
    X(sample, "all logits -inf", C(_ERR_LOGITS), ON_LIVE, sample_status(&live, &smp, ninf))                          \
    X(spec_init, "spec NULL", C(_ERR_ARG), 0, F(_spec_init)(NULL, 4, 3))                                               \
    X(spec_init, "k 0", C(_ERR_ARG), 0, spec_init_st(0, 3))                                                           \
    X(spec_init, "k SPEC_K_MAX + 1", C(_ERR_ARG), 0, spec_init_st(C(_SPEC_K_MAX) + 1, 3))                             \
    X(spec_init, "ngram 0", C(_ERR_ARG), 0, spec_init_st(4, 0))                                                       \
    X(spec_init, "ngram SPEC_NGRAM_MAX + 1", C(_ERR_ARG), 0, spec_init_st(4, C(_SPEC_NGRAM_MAX) + 1))                 \
    X(generate_lookup, "ctx NULL", C(_ERR_ARG), 0, lookup_st(NULL, &smp, &sp_ok, spec_toks, 4, 8, spec_work, WB))        \
    X(generate_lookup, "zeroed ctx", C(_ERR_STATE), 0, lookup_st(&zero, &smp, &sp_ok, spec_toks, 4, 8, spec_work, WB))   \
    X(generate_lookup, "released ctx", C(_ERR_STATE), 0, lookup_st(&rel, &smp, &sp_ok, spec_toks, 4, 8, spec_work, WB))  \
    X(generate_lookup, "sampler NULL", C(_ERR_ARG), ON_LIVE, lookup_st(&live, NULL, &sp_ok, spec_toks, 4, 8, spec_work, WB)) \
    X(generate_lookup, "spec NULL", C(_ERR_ARG), ON_LIVE, lookup_st(&live, &smp, NULL, spec_toks, 4, 8, spec_work, WB))  \
    X(generate_lookup, "toks NULL", C(_ERR_ARG), ON_LIVE, lookup_st(&live, &smp, &sp_ok, NULL, 4, 8, spec_work, WB))     \
    X(generate_lookup, "work NULL", C(_ERR_ARG), ON_LIVE, lookup_st(&live, &smp, &sp_ok, spec_toks, 4, 8, NULL, WB))     \
    X(generate_lookup, "work misaligned", C(_ERR_ARG), ON_LIVE, lookup_st(&live, &smp, &sp_ok, spec_toks, 4, 8, (char *)spec_work + 2, WB)) \
    X(generate_lookup, "work one byte short", C(_ERR_BUFFER), ON_LIVE, lookup_st(&live, &smp, &sp_ok, spec_toks, 4, 8, spec_work, WB - 1)) \
    X(generate_lookup, "n 0", C(_ERR_ARG), ON_LIVE, lookup_st(&live, &smp, &sp_ok, spec_toks, 0, 8, spec_work, WB))      \
    X(generate_lookup, "n -1", C(_ERR_ARG), ON_LIVE, lookup_st(&live, &smp, &sp_ok, spec_toks, -1, 8, spec_work, WB))    \
    X(generate_lookup, "n 3 (the position is not n - 1)", C(_ERR_ARG), ON_LIVE, lookup_st(&live, &smp, &sp_ok, spec_toks, 3, 8, spec_work, WB)) \
    X(generate_lookup, "cap n (no room)", C(_ERR_ARG), ON_LIVE, lookup_st(&live, &smp, &sp_ok, spec_toks, 4, 4, spec_work, WB)) \
    X(generate_lookup, "cap INT_MIN", C(_ERR_ARG), ON_LIVE, lookup_st(&live, &smp, &sp_ok, spec_toks, 4, INT_MIN, spec_work, WB)) \
    X(generate_lookup, "a token of toks outside the vocabulary", C(_ERR_TOKEN), ON_LIVE, lookup_st(&live, &smp, &sp_ok, bad_toks, 4, 8, spec_work, WB)) \
    X(generate_lookup, "spec with k 0", C(_ERR_ARG), ON_LIVE, lookup_bad_spec(0))                                       \
    X(generate_lookup, "spec with next > k", C(_ERR_ARG), ON_LIVE, lookup_bad_spec(1))                                  \
    X(generate_lookup, "spec with ngram 0", C(_ERR_ARG), ON_LIVE, lookup_bad_spec(2))                                   \
    X(generate_lookup, "spec with hit NaN", C(_ERR_ARG), ON_LIVE, lookup_bad_spec(3))                                   \
    X(generate_lookup, "spec with hit 1.5", C(_ERR_ARG), ON_LIVE, lookup_bad_spec(4))                                   \
    X(generate_lookup, "spec with cost -0.5", C(_ERR_ARG), ON_LIVE, lookup_bad_spec(5))                                 \
    X(generate_lookup, "context full", C(_ERR_CONTEXT_FULL), 0, lookup_full())                                          \
    X(generate_draft, "ctx NULL", C(_ERR_ARG), ONLY_DRAFT, draft_st(NULL, &smp, &sp_ok, spec_toks, 4, 8, WB, D_LIVE))     \
    X(generate_draft, "zeroed ctx", C(_ERR_STATE), ONLY_DRAFT, draft_st(&zero, &smp, &sp_ok, spec_toks, 4, 8, WB, D_LIVE)) \
    X(generate_draft, "sampler NULL", C(_ERR_ARG), ON_LIVE | ONLY_DRAFT, draft_st(&live, NULL, &sp_ok, spec_toks, 4, 8, WB, D_LIVE)) \
    X(generate_draft, "spec NULL", C(_ERR_ARG), ON_LIVE | ONLY_DRAFT, draft_st(&live, &smp, NULL, spec_toks, 4, 8, WB, D_LIVE)) \
    X(generate_draft, "toks NULL", C(_ERR_ARG), ON_LIVE | ONLY_DRAFT, draft_st(&live, &smp, &sp_ok, NULL, 4, 8, WB, D_LIVE)) \
    X(generate_draft, "work one byte short", C(_ERR_BUFFER), ON_LIVE | ONLY_DRAFT, draft_st(&live, &smp, &sp_ok, spec_toks, 4, 8, WB - 1, D_LIVE)) \
    X(generate_draft, "n 3 (the position is not n - 1)", C(_ERR_ARG), ON_LIVE | ONLY_DRAFT, draft_st(&live, &smp, &sp_ok, spec_toks, 3, 8, WB, D_LIVE)) \
    X(generate_draft, "cap n (no room)", C(_ERR_ARG), ON_LIVE | ONLY_DRAFT, draft_st(&live, &smp, &sp_ok, spec_toks, 4, 4, WB, D_LIVE)) \
    X(generate_draft, "a token of toks outside the vocabulary", C(_ERR_TOKEN), ON_LIVE | ONLY_DRAFT, draft_st(&live, &smp, &sp_ok, bad_toks, 4, 8, WB, D_LIVE)) \
    X(generate_draft, "draft ctx NULL", C(_ERR_ARG), ON_LIVE | ONLY_DRAFT, draft_st(&live, &smp, &sp_ok, spec_toks, 4, 8, WB, D_NULL)) \
    X(generate_draft, "zeroed draft ctx", C(_ERR_STATE), ON_LIVE | ONLY_DRAFT, draft_st(&live, &smp, &sp_ok, spec_toks, 4, 8, WB, D_ZERO)) \
    X(generate_draft, "released draft ctx", C(_ERR_STATE), ON_LIVE | ONLY_DRAFT, draft_st(&live, &smp, &sp_ok, spec_toks, 4, 8, WB, D_RELEASED)) \
    X(generate_draft, "draft ctx past toks (position 4 > n - 1)", C(_ERR_ARG), ON_LIVE | ONLY_DRAFT, draft_st(&live, &smp, &sp_ok, spec_toks, 4, 8, WB, D_AHEAD)) \
    X(generate_draft, "spec with k 0", C(_ERR_ARG), ON_LIVE | ONLY_DRAFT, draft_bad_spec(0))                           \
    X(generate_draft, "spec with idle -1", C(_ERR_ARG), ON_LIVE | ONLY_DRAFT, draft_bad_spec(1))                       \
    X(generate_draft, "spec with backoff -1", C(_ERR_ARG), ON_LIVE | ONLY_DRAFT, draft_bad_spec(2))                    \
    X(generate_draft, "spec with dcost NaN", C(_ERR_ARG), ON_LIVE | ONLY_DRAFT, draft_bad_spec(3))                     \
    X(generate_draft, "spec with dcost -1", C(_ERR_ARG), ON_LIVE | ONLY_DRAFT, draft_bad_spec(4))                      \
    X(generate_draft, "spec with dskip -1", C(_ERR_ARG), ON_LIVE | ONLY_DRAFT, draft_bad_spec(5))                      \
    X(generate_draft, "spec with dskip past toks (n)", C(_ERR_ARG), ON_LIVE | ONLY_DRAFT, draft_bad_spec(6))           \
    X(generate_draft, "spec with dkeep past the draft", C(_ERR_ARG), ON_LIVE | ONLY_DRAFT, draft_bad_spec(7))          \
    X(generate_draft, "context full", C(_ERR_CONTEXT_FULL), ONLY_DRAFT, draft_full())                                  \
    X(encode, "text NULL with a length", C(_ERR_ARG), 0, encode_st(NULL, 3, ids, IDS_CAP))                          \
    X(encode, "ids NULL", C(_ERR_ARG), 0, encode_st("abc", 3, NULL, IDS_CAP))                                        \
    X(encode, "cap -1", C(_ERR_ARG), 0, encode_st("abc", 3, ids, -1))                                                \
    X(encode, "cap 0", C(_ERR_BUFFER), 0, encode_st("abc", 3, ids, 0))                                               \
    X(encode, "cap 1 for 3 bytes", C(_ERR_BUFFER), 0, encode_st("abc", 3, ids, 1))                                   \
    X(encode, "len SIZE_MAX (text not read)", C(_ERR_ARG), 0, encode_st("abc", (size_t)-1, ids, IDS_CAP))            \
    X(encode, "len 2^31", C(_ERR_ARG), 0, encode_st("abc", (size_t)1 << 31, ids, IDS_CAP))                           \
    X(encode, "text NULL, len 0 (empty text)", C(_OK), 0, encode_st(NULL, 0, ids, IDS_CAP))                          \
    X(decode, "buf NULL", C(_ERR_ARG), 0, decode_st(-1, 5, NULL, 16))                                                \
    X(decode, "cap -1", C(_ERR_ARG), 0, decode_st(-1, 5, piece, -1))                                                 \
    X(decode, "cap 0 for a non-empty piece", C(_ERR_BUFFER), 0, decode_st(-1, 300, piece, 0))                       \
    X(decode, "id -1", C(_ERR_TOKEN), 0, decode_st(-1, -1, piece, 16))                                               \
    X(decode, "id VOCAB_SIZE", C(_ERR_TOKEN), 0, decode_st(-1, C(_VOCAB_SIZE), piece, 16))                           \
    X(decode, "id INT_MIN", C(_ERR_TOKEN), 0, decode_st(-1, INT_MIN, piece, 16))                                     \
    X(decode, "prev INT_MIN (any prev is fine)", C(_OK), 0, decode_st(INT_MIN, 300, piece, 16))                     \
    X(decode, "prev VOCAB_SIZE", C(_OK), 0, decode_st(C(_VOCAB_SIZE), 300, piece, 16))                              \
    X(decompress_weights, "dst NULL", C(_ERR_ARG), ONLY_ZSTD, unzstd(NULL, C(_WEIGHTS_BYTES), ZFRAME, ZLEN))        \
    X(decompress_weights, "dst one byte short", C(_ERR_ARG), ONLY_ZSTD, unzstd(wbuf, C(_WEIGHTS_BYTES) - 1, ZFRAME, ZLEN)) \
    X(decompress_weights, "src NULL with a length", C(_ERR_ARG), ONLY_ZSTD, unzstd(wbuf, C(_WEIGHTS_BYTES), NULL, 5)) \
    X(decompress_weights, "src NULL, 0: the linked-in frame", C(_OK), ONLY_ZSTD, unzstd(wbuf, C(_WEIGHTS_BYTES), NULL, 0)) \
    X(decompress_weights, "src cut short", C(_ERR_WEIGHTS), ONLY_ZSTD, unzstd(wbuf, C(_WEIGHTS_BYTES), ZFRAME, ZLEN - 1)) \
    X(decompress_weights, "src length 0", C(_ERR_WEIGHTS), ONLY_ZSTD, unzstd(wbuf, C(_WEIGHTS_BYTES), ZFRAME, 0))    \
    X(decompress_weights, "src a raw blob", C(_ERR_WEIGHTS), ONLY_ZSTD, unzstd(wbuf, C(_WEIGHTS_BYTES), raw, C(_WEIGHTS_BYTES))) \
    X(decompress_weights, "src damaged at 12", C(_ERR_WEIGHTS), ONLY_ZSTD, unzstd_damaged(12))                      \
    X(decompress_weights, "src damaged in the middle", C(_ERR_WEIGHTS), ONLY_ZSTD, unzstd_damaged(ZLEN / 2))

enum { IDS_CAP = 128 };
static float all_lg[C(_CTX) * C(_VOCAB_SIZE)];
static unsigned char state[1 << 16], state_bad[sizeof state]; /* the live context's state (3 positions) */
static size_t state_n;

/* the live context's saved state with byte at flipped (-1: all zero), loaded back into it */
static int load_damaged(int at) {
    memcpy(state_bad, state, state_n);
    if (at < 0) memset(state_bad, 0, state_n);
    else state_bad[at] ^= 0x04;
    return F(_state_load)(&live, state_bad, state_n);
}
static spec_t sp_ok;
static float spec_work[C(_SPEC_WORK_BYTES)(4) / sizeof(float) + 1];
#define WB ((size_t)C(_SPEC_WORK_BYTES)(4))
static int32_t spec_toks[8] = {1, 7, 9, 5}, bad_toks[8] = {1, C(_VOCAB_SIZE), 9, 5};

/* a failed spec_init leaves the spec as it was */
static int spec_init_st(int k, int ngram) {
    spec_t s = sp_ok;
    int st = F(_spec_init)(&s, k, ngram);
    return memcmp(&s, &sp_ok, sizeof s) ? -200 : st;
}

/* generate_lookup's status; a failed call leaves the spec as it was */
static int lookup_st(ctx_t *c, sampler_t *s, spec_t *sp, int32_t *toks, int n, int cap, void *work, size_t wb) {
    spec_t keep = sp_ok;
    int st = F(_generate_lookup)(c, s, sp, toks, n, cap, work, wb);
    return memcmp(&keep, &sp_ok, sizeof keep) ? -200 : st;
}

/* a spec a caller damaged: k, next, ngram, hit or cost out of range */
static int lookup_bad_spec(int how) {
    spec_t b = sp_ok;
    if (how == 0) b.k = 0;
    else if (how == 1) b.next = b.k + 1;
    else if (how == 2) b.ngram = 0;
    else if (how == 3) b.hit = NAN;
    else if (how == 4) b.hit = 1.5f;
    else b.cost = -0.5f;
    return F(_generate_lookup)(&live, &smp, &b, spec_toks, 4, 8, spec_work, WB);
}

/* generate_draft's fixtures (DRAFT builds; the rows run only there): a live draft context that has
 * consumed 2 tokens of spec_toks, one 4 (past n - 1 = 3), a released one, a zeroed one */
enum { D_LIVE, D_NULL, D_ZERO, D_RELEASED, D_AHEAD };
#if DRAFT
typedef F(_draft_ctx) dctx_t;
static dctx_t dlive, dahead, drel, dzero;
static unsigned char *darena, *darena_ahead, *darena_rel, *dsnap;

static int draft_setup(void) {
    return F(_draft_init)(&dlive, darena, C(_DRAFT_ARENA_BYTES), NULL, 0) || !F(_draft_forward)(&dlive, spec_toks, 2) ||
           F(_draft_init)(&dahead, darena_ahead, C(_DRAFT_ARENA_BYTES), NULL, 0) ||
           !F(_draft_forward)(&dahead, spec_toks, 4) ||
           F(_draft_init)(&drel, darena_rel, C(_DRAFT_ARENA_BYTES), NULL, 0) || (F(_draft_release)(&drel), 0);
}
#endif

/* generate_draft's status with the draft context `which`; a failed call leaves the spec and the
 * live draft context (and its arena) as they were */
static int draft_st(ctx_t *c, sampler_t *s, spec_t *sp, int32_t *toks, int n, int cap, size_t wb, int which) {
#if DRAFT
    spec_t keep = sp_ok;
    dctx_t d0 = dlive, *d = which == D_LIVE ? &dlive : which == D_ZERO ? &dzero : which == D_RELEASED ? &drel
                                            : which == D_AHEAD ? &dahead : NULL;
    memset(&dzero, 0, sizeof dzero);
    memcpy(dsnap, darena, C(_DRAFT_ARENA_BYTES));
    int st = F(_generate_draft)(c, d, s, sp, toks, n, cap, spec_work, wb);
    d0.status = dlive.status;
    if (memcmp(&keep, &sp_ok, sizeof keep)) return -200;
    if (memcmp(&d0, &dlive, sizeof d0) || memcmp(dsnap, darena, C(_DRAFT_ARENA_BYTES))) return -201;
    return st;
#else
    (void)c, (void)s, (void)sp, (void)toks, (void)n, (void)cap, (void)wb, (void)which;
    return -999;
#endif
}

/* a spec a caller damaged: k, idle, backoff, dcost, dskip or dkeep out of range */
static int draft_bad_spec(int how) {
#if DRAFT
    spec_t b = sp_ok;
    if (how == 0) b.k = 0;
    else if (how == 1) b.idle = -1;
    else if (how == 2) b.backoff = -1;
    else if (how == 5) b.dskip = -1;
    else if (how == 6) b.dskip = 4;
    else if (how == 7) b.dkeep = 5;
    else b.dcost = how == 3 ? NAN : -1.0f;
    return F(_generate_draft)(&live, &dlive, &smp, &b, spec_toks, 4, 8, spec_work, WB);
#else
    (void)how;
    return -999;
#endif
}

/* a context of 3 positions holding 3 tokens: no room to verify anything */
static int lookup_full(void) {
    if (F(_init_ctx)(&aux, arena_aux, C(_ARENA_BYTES_FOR)(3), W, WN, 3) || fwd(&aux, ok3, 3)) return -100;
    int st = F(_generate_lookup)(&aux, &smp, &sp_ok, spec_toks, 4, 8, spec_work, WB);
    int pos = F(_position)(&aux);
    F(_release)(&aux);
    return pos == 3 ? st : -101;
}

static int draft_full(void) {
#if DRAFT
    if (F(_init_ctx)(&aux, arena_aux, C(_ARENA_BYTES_FOR)(3), W, WN, 3) || fwd(&aux, ok3, 3)) return -100;
    int st = F(_generate_draft)(&aux, &dlive, &smp, &sp_ok, spec_toks, 4, 8, spec_work, WB);
    int pos = F(_position)(&aux);
    F(_release)(&aux);
    return pos == 3 ? st : -101;
#else
    return -999;
#endif
}
static int32_t ids[IDS_CAP];
static char piece[64];
#if THREADED
#define THREADS_NOW C(_THREADS)
#else
#define THREADS_NOW 1
#endif

static int sampler_nan(void) {
    /* NaN parameters are documented defaults, not errors: greedy and no top-p */
    sampler_t s;
    F(_sampler_init)(&s, NAN, 0, NAN, 3);
    int a = F(_sample)(&live, &s, good), best = 0;
    for (int i = 1; i < C(_VOCAB_SIZE); i++)
        if (good[i] > good[best]) best = i;
    return a == best ? C(_OK) : -100;
}

/* 1 if the arena differs from its snapshot.  Threaded builds: not counting the workers' pool
 * (NAME_POOL_BYTES at NAME_POOL_OFFSET), whose mutex and condition variables the idle workers touch
 * every 2 ms whatever the API calls do. */
static int arena_changed(const unsigned char *snap, const unsigned char *a) {
#if THREADED
    size_t pool = C(_POOL_OFFSET), pool_end = pool + C(_POOL_BYTES);
    return memcmp(snap, a, pool) || memcmp(snap + pool_end, a + pool_end, C(_ARENA_BYTES) - pool_end);
#else
    return memcmp(snap, a, C(_ARENA_BYTES)) != 0;
#endif
}

static int run_case(int k) {
    int i = 0;
#define X(fn, what, want, flags, call) if (k == i++) return (call);
    CASES(X)
#undef X
    return -999;
}

static const struct { const char *fn, *what; int want, flags; } rows[] = {
#define X(fn, what, want, flags, call) {#fn, what, want, flags},
    CASES(X)
#undef X
};

static unsigned char *alloc_aligned(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 64, n + 64) != 0) { perror("posix_memalign"); exit(2); }
    memset(p, 0, n + 64);
    return p;
}

static size_t read_file(const char *path, unsigned char **out) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *out = alloc_aligned((size_t)n);
    if (fread(*out, 1, (size_t)n, f) != (size_t)n) { perror(path); exit(2); }
    fclose(f);
    return (size_t)n;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s NAME.weights\n", argv[0]); return 2; }
    int have = THREADED ? ONLY_THREADED : ONLY_SINGLE;
    have |= ZSTD ? ONLY_ZSTD : 0;
    have |= EMBEDDED ? ONLY_LINKED : ONLY_EXTERNAL;
    have |= DRAFT ? ONLY_DRAFT : 0;
    arena = alloc_aligned(C(_ARENA_BYTES));
    arena_rel = alloc_aligned(C(_ARENA_BYTES));
    arena_aux = alloc_aligned(C(_ARENA_BYTES));
    arena_snap = alloc_aligned(C(_ARENA_BYTES));
    rel_snap = alloc_aligned(C(_ARENA_BYTES));
    wbuf = alloc_aligned(C(_WEIGHTS_BYTES));
    wmis = alloc_aligned(C(_WEIGHTS_BYTES) + 8) + 8;
#if ZSTD
    zbytes = read_file(argv[1], &zframe);
    raw = alloc_aligned(C(_WEIGHTS_BYTES));
    if (F(_decompress_weights)(raw, C(_WEIGHTS_BYTES), zframe, zbytes)) { fprintf(stderr, "decompress\n"); return 2; }
#else
    size_t n = read_file(argv[1], &raw);
    if (n != C(_WEIGHTS_BYTES)) { fprintf(stderr, "%s: %zu bytes\n", argv[1], n); return 2; }
#endif
    memcpy(wmis, raw, C(_WEIGHTS_BYTES));
    for (int i = 0; i < C(_VOCAB_SIZE); i++) {
        good[i] = (float)((i * 37) % 101) / 10.0f;
        nan_lg[i] = good[i];
        ninf[i] = -INFINITY;
    }
    nan_lg[C(_VOCAB_SIZE) / 2] = NAN;
    F(_sampler_init)(&smp, 0.9f, 20, 0.95f, 77);
    F(_spec_init)(&sp_ok, 4, 3);
#if DRAFT
    darena = alloc_aligned(C(_DRAFT_ARENA_BYTES));
    darena_ahead = alloc_aligned(C(_DRAFT_ARENA_BYTES));
    darena_rel = alloc_aligned(C(_DRAFT_ARENA_BYTES));
    dsnap = alloc_aligned(C(_DRAFT_ARENA_BYTES));
    if (draft_setup()) { fprintf(stderr, "draft setup failed\n"); return 2; }
#endif

    /* the live context: 3 tokens in; a released one; a reference that sees only valid calls */
    ctx_t ref;
    unsigned char *arena_ref = alloc_aligned(C(_ARENA_BYTES));
    if (F(_init)(&live, arena, C(_ARENA_BYTES), W, WN) || fwd(&live, ok3, 3) ||
        F(_init)(&ref, arena_ref, C(_ARENA_BYTES), W, WN) || fwd(&ref, ok3, 3) ||
        F(_init)(&rel, arena_rel, C(_ARENA_BYTES), W, WN) || fwd(&rel, ok3, 2)) {
        fprintf(stderr, "setup failed: %s\n", F(_strerror)(F(_last_error)(&live)));
        return 2;
    }
    F(_release)(&rel);
    state_n = (size_t)F(_state_bytes)(&live);
    if (state_n > sizeof state || F(_state_save)(&live, state, sizeof state)) { fprintf(stderr, "state_save failed\n"); return 2; }

    int n_rows = (int)(sizeof rows / sizeof rows[0]), ran = 0, bad = 0;
    for (int k = 0; k < n_rows; k++) {
        if ((rows[k].flags & ~ON_LIVE) && !(rows[k].flags & have)) continue;
        memset(&zero, 0, sizeof zero);
        memset(&junk, 0x5a, sizeof junk);
        ctx_t live0 = live, rel0 = rel, keep = live, rel_keep = rel;
        sampler_t smp0 = smp;
        memcpy(arena_snap, arena, C(_ARENA_BYTES));
        memcpy(rel_snap, arena_rel, C(_ARENA_BYTES));
        int got = run_case(k);
        ran++;
        int recorded = F(_last_error)(&live);
        live0.status = live.status; /* the one field a call may write */
        rel0.status = rel.status;
        const char *why = got != rows[k].want ? "status"
                          : (rows[k].flags & ON_LIVE) && recorded != rows[k].want ? "last_error"
                          : memcmp(&live0, &live, sizeof live) ? "live ctx changed"
                          : arena_changed(arena_snap, arena) ? "live arena changed"
                          : memcmp(&rel0, &rel, sizeof rel) ? "released ctx changed"
                          : memcmp(rel_snap, arena_rel, C(_ARENA_BYTES)) ? "released ctx's arena changed"
                          : memcmp(&smp0, &smp, sizeof smp) ? "sampler changed"
                                                            : NULL;
        if (why) { /* put the fixtures back, so the rows after it test their own call */
            bad++;
            live = keep;
            rel = rel_keep;
            smp = smp0;
            memcpy(arena, arena_snap, C(_ARENA_BYTES));
            memcpy(arena_rel, rel_snap, C(_ARENA_BYTES));
        }
        printf("%s: %-18s %-55s -> %d (%s)%s%s\n", why ? "FAIL" : "ok", rows[k].fn, rows[k].what, got,
               F(_strerror)(got), why ? ": " : "", why ? why : "");
        live.status = C(_OK);
    }
    /* the live context still computes what the undisturbed one does */
    const float *a = F(_forward)(&live, &tok_ok, 1), *b = F(_forward)(&ref, &tok_ok, 1);
    int same = a && b && !memcmp(a, b, sizeof(float) * C(_VOCAB_SIZE)) && F(_position)(&live) == 4;
    printf("%s: the live context after %d misuses gives the logits of an undisturbed one\n", same ? "ok" : "FAIL", ran);
    bad += !same;
    F(_release)(&live);
    F(_release)(&ref);
    printf("%d rows, %d failed\n", ran, bad);
    free(arena); free(arena_rel); free(arena_aux); free(arena_snap); free(rel_snap); free(arena_ref);
    free(wbuf); free(wmis - 8); free(raw);
#if ZSTD
    free(zframe);
#endif
#if DRAFT
    F(_draft_release)(&dlive), F(_draft_release)(&dahead);
    free(darena), free(darena_ahead), free(darena_rel), free(dsnap);
#endif
    return bad != 0;
}
