/* fuzz_api.c - the generated API under random call sequences.  A one-layer model of dim 16 with
 * stories260K's vocabulary is made and compiled at build time by the built tools (generic target,
 * single-threaded, external weights, --ctx 16: see CMakeLists.txt) into fz.c / fz.h / fz.weights,
 * which this harness links.  An input is a sequence
 * of calls, one opcode byte and its arguments each, on two contexts with their own arenas:
 * init / init_ctx (any arena offset and size, weights pointer, length and header damage, n_ctx),
 * forward / forward_all (any token ids and counts), rewind, reset, state_bytes, state_save (any
 * capacity) / state_load (saved states cut, extended or with a byte flipped), sample (any sampler
 * parameters, the context's logits or any floats), set_threads, release, encode / decode,
 * verify_weights (the blob with any byte flipped), and contexts zeroed or filled with garbage.
 *
 * Each call is checked against a model of the contexts (live, position, size): the status is one
 * the header documents for that call, it is OK exactly when the arguments are valid, and when it
 * is not one of the failures whose condition holds is reported; a failed call changes neither
 * context (but for the status it records), nor the arenas, nor the sampler; last_error says what
 * the call returned; logits after a valid forward are not NaN; a sample is a token the logits
 * allow (greedy: the first maximum).  Any difference aborts, as does a sanitizer report. */
#include "fz.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 2
#define SLACK 128 /* readable bytes past the arenas and the blob: lengths above the need are legal */
#define MAX_TOKENS (FZ_CTX + 8)
#define MAX_OPS 48
#define V FZ_VOCAB_SIZE
#define STATE_CAP (64 + (size_t)FZ_KV_BYTES + 64)
#define ARENA_ALLOC (FZ_ARENA_BYTES + SLACK)

typedef struct slot {
    int live, pos, n_ctx;
    unsigned char *arena;             /* ARENA_ALLOC bytes, 64-aligned: its context's arena is in it */
    const float *logits;              /* of its last forward, while valid */
} slot;

static fz_ctx ctx[SLOTS];
static slot sl[SLOTS];
static unsigned char *snap[SLOTS];
static unsigned char *blob, *blob_dmg; /* the weights: intact, and a copy to damage */
static size_t blob_bytes;
static uint32_t live_magic;            /* the magic field of a live context (garbage must not fake it) */
static unsigned char *states[2];       /* saved states */
static size_t state_len[2];
static int state_pos[2];               /* -1: nothing saved */
static unsigned char *loadbuf;
static int32_t tokens[MAX_TOKENS];
static float *all_logits, crafted[V];
static fz_sampler smp;

typedef struct in { const unsigned char *p; size_t n; } in;

static uint32_t take(in *s, int bytes) {
    uint32_t v = 0;
    for (int i = 0; i < bytes; i++) {
        v |= (uint32_t)(s->n ? *s->p : 0) << (8 * i);
        if (s->n) s->p++, s->n--;
    }
    return v;
}

static float take_float(in *s) {
    uint32_t b = take(s, 4);
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

/* a count or position around [lo, hi], sometimes far outside it */
static int take_int(in *s, int lo, int hi) {
    uint32_t k = take(s, 1);
    if (k < 8) return INT_MIN + (int)k;
    if (k < 16) return INT_MAX - (int)(k - 8);
    if (k < 24) return (int)take(s, 4);
    return lo + (int)((k - 24) % (uint32_t)(hi - lo + 1));
}

static void fail(const char *call, const char *what, long got) {
    fprintf(stderr, "fuzz_api: %s: %s (got %ld)\n", call, what, got);
    abort();
}

static int in_set(int st, const int *set, int n) {
    for (int i = 0; i < n; i++)
        if (st == set[i]) return 1;
    return 0;
}
#define IN(st, ...) in_set(st, (const int[]){__VA_ARGS__}, (int)(sizeof((const int[]){__VA_ARGS__}) / sizeof(int)))

/* ---- no change on failure ---- */
static fz_ctx ctx0[SLOTS];
static fz_sampler smp0;

static void snapshot(void) {
    for (int i = 0; i < SLOTS; i++) {
        ctx0[i] = ctx[i];
        memcpy(snap[i], sl[i].arena, ARENA_ALLOC);
    }
    smp0 = smp;
}

/* the call on slot c failed: nothing may have changed but c's recorded status (a context that
 * was not live may also have been marked as not one) */
static void unchanged(const char *call, int c) {
    for (int i = 0; i < SLOTS; i++) {
        fz_ctx a = ctx0[i], b = ctx[i];
        if (i == c) a.status = b.status;
        if (i == c && !sl[i].live) a.magic = b.magic;
        if (memcmp(&a, &b, sizeof a)) fail(call, i == c ? "a failed call changed its context" : "a failed call changed the other context", i);
        if (memcmp(snap[i], sl[i].arena, ARENA_ALLOC)) fail(call, "a failed call changed an arena", i);
    }
    if (memcmp(&smp0, &smp, sizeof smp)) fail(call, "a failed call changed the sampler", 0);
}

/* a call on slot c that succeeded: the other context and its arena are untouched */
static void others_unchanged(const char *call, int c) {
    for (int i = 0; i < SLOTS; i++)
        if (i != c && (memcmp(&ctx0[i], &ctx[i], sizeof ctx[i]) || memcmp(snap[i], sl[i].arena, ARENA_ALLOC)))
            fail(call, "a call changed the other context", i);
}

/* the common end of a call on slot c that records its status: st is what it returned */
static void recorded(const char *call, int c, int st, int ok) {
    if (fz_last_error(&ctx[c]) != st) fail(call, "last_error differs from the returned status", fz_last_error(&ctx[c]));
    if (ok && st != FZ_OK) fail(call, "valid arguments, failed", st);
    if (!ok && st == FZ_OK) fail(call, "invalid arguments, succeeded", st);
    if (st != FZ_OK) unchanged(call, c);
    else others_unchanged(call, c);
    if (fz_position(&ctx[c]) != (sl[c].live ? sl[c].pos : FZ_ERR_STATE))
        fail(call, "position differs from the model's", fz_position(&ctx[c]));
}

/* ---- the calls ---- */
static void op_init(in *s, int c, int with_n_ctx) {
    const char *call = with_n_ctx ? "init_ctx" : "init";
    int n_ctx = with_n_ctx ? take_int(s, -1, FZ_CTX + 1) : FZ_CTX;
    uint32_t a = take(s, 1), w = take(s, 1);
    size_t aoff = (a & 7) == 7 ? 64 : (size_t)(a & 7) * ((a >> 3) & 1 ? 1 : 8); /* 0, 1..6 or 8..48, 64 */
    unsigned char *arena = (a & 0xf0) == 0xf0 ? NULL : sl[c].arena + aoff;
    size_t need = n_ctx >= 1 && n_ctx <= FZ_CTX ? FZ_ARENA_BYTES_FOR(n_ctx) : FZ_ARENA_BYTES;
    long ad = (long)(int8_t)take(s, 1);
    size_t abytes = (a & 0xf0) == 0xe0 ? (size_t)take(s, 4) : need + (size_t)ad;
    if (arena && abytes > ARENA_ALLOC - aoff) abytes = ARENA_ALLOC - aoff; /* never a length past the memory */
    /* the weights: intact, misaligned, NULL, or with a header byte damaged */
    const unsigned char *wp = blob;
    size_t wbytes = FZ_WEIGHTS_BYTES, dmg = (size_t)-1;
    switch (w & 3) {
    case 1: wp = blob + 1 + (w >> 2 & 15); break;
    case 2: wp = NULL; break;
    case 3: dmg = (w >> 2) % 64; break;
    }
    if (dmg != (size_t)-1) {
        memcpy(blob_dmg, blob, 64);
        blob_dmg[dmg] ^= (unsigned char)(take(s, 1) | 1);
        wp = blob_dmg;
    }
    long wd = (long)(int8_t)take(s, 1);
    if (w & 0x80) wbytes = wd == -128 ? 0 : (size_t)((long)FZ_WEIGHTS_BYTES + wd);
    if (wp && wbytes > blob_bytes - (size_t)(wp - (wp == blob_dmg ? blob_dmg : blob)))
        wbytes = blob_bytes - (size_t)(wp - (wp == blob_dmg ? blob_dmg : blob));
    int arg = n_ctx < 1 || n_ctx > FZ_CTX || (!wp && wbytes);
    int bad_arena = !arena || abytes < need || (uintptr_t)arena % FZ_ARENA_ALIGN;
    int shifted = wp && wp != blob && wp != blob_dmg; /* not where a blob starts, even if aligned */
    int bad_weights = !wp || shifted || (uintptr_t)wp % FZ_WEIGHTS_ALIGN || wbytes < FZ_WEIGHTS_BYTES || dmg < 24;
    snapshot();
    int st = with_n_ctx ? fz_init_ctx(&ctx[c], arena, abytes, wp, wbytes, n_ctx) : fz_init(&ctx[c], arena, abytes, wp, wbytes);
    if (!IN(st, FZ_OK, FZ_ERR_ARG, FZ_ERR_ARENA, FZ_ERR_WEIGHTS)) fail(call, "undocumented status", st);
    if ((st == FZ_ERR_ARG && !arg) || (st == FZ_ERR_ARENA && !bad_arena) || (st == FZ_ERR_WEIGHTS && !bad_weights))
        fail(call, "an error whose condition does not hold", st);
    if (st == FZ_OK) {
        sl[c].live = 1, sl[c].pos = 0, sl[c].n_ctx = n_ctx, sl[c].logits = NULL;
        live_magic = ctx[c].magic;
    }
    recorded(call, c, st, !arg && !bad_arena && !bad_weights);
    if (st == FZ_OK && fz_init(NULL, arena, abytes, wp, wbytes) != FZ_ERR_ARG) fail(call, "ctx NULL", 0);
}

/* n tokens from the input, mostly in the vocabulary; 0 if one is not */
static int take_tokens(in *s, int n) {
    int ok = 1;
    for (int i = 0; i < n && i < MAX_TOKENS; i++) {
        uint32_t t = take(s, 2);
        tokens[i] = (t & 0xf000) == 0xf000 ? (int32_t)take(s, 4) : (int32_t)(t % V);
        ok &= tokens[i] >= 0 && tokens[i] < V;
    }
    return ok;
}

static void op_forward(in *s, int c, int all) {
    const char *call = all ? "forward_all" : "forward";
    int n = take_int(s, -1, MAX_TOKENS);
    if (n > MAX_TOKENS && n != INT_MAX) n = MAX_TOKENS; /* the array holds MAX_TOKENS: a larger n is a lie */
    uint32_t f = take(s, 1);
    int toks_ok = take_tokens(s, n);
    const int32_t *tp = (f & 15) == 15 ? NULL : tokens;
    float *out = all && (f & 0xf0) == 0xf0 ? NULL : all_logits;
    int not_live = !sl[c].live, arg = !tp || n < 1 || (all && !out);
    int full = !not_live && n > sl[c].n_ctx - sl[c].pos, bad_tok = n >= 1 && !toks_ok;
    int ok = !not_live && !arg && !full && !bad_tok;
    snapshot();
    int st;
    const float *lg = NULL;
    if (all) st = fz_forward_all(&ctx[c], tp, n, out);
    else st = (lg = fz_forward(&ctx[c], tp, n)) ? FZ_OK : fz_last_error(&ctx[c]);
    if (!IN(st, FZ_OK, FZ_ERR_ARG, FZ_ERR_STATE, FZ_ERR_CONTEXT_FULL, FZ_ERR_TOKEN)) fail(call, "undocumented status", st);
    if ((st == FZ_ERR_STATE && !not_live) || (st == FZ_ERR_ARG && !arg) || (st == FZ_ERR_CONTEXT_FULL && !full) ||
        (st == FZ_ERR_TOKEN && !bad_tok))
        fail(call, "an error whose condition does not hold", st);
    if (st == FZ_OK) {
        sl[c].pos += n;
        if (all) {
            for (size_t i = 0; i < (size_t)n * V; i++)
                if (isnan(all_logits[i])) fail(call, "a NaN logit", (long)i);
            sl[c].logits = NULL;
        } else {
            for (int i = 0; i < V; i++)
                if (isnan(lg[i])) fail(call, "a NaN logit", i);
            sl[c].logits = lg;
        }
    }
    recorded(call, c, st, ok);
    if (fz_forward(NULL, tokens, 1) || fz_forward_all(NULL, tokens, 1, all_logits) != FZ_ERR_ARG) fail(call, "ctx NULL", 0);
}

static void op_rewind(in *s, int c) {
    int pos = take_int(s, -1, FZ_CTX + 1);
    int ok = sl[c].live && pos >= 0 && pos <= sl[c].pos;
    snapshot();
    int st = fz_rewind(&ctx[c], pos);
    if (!IN(st, FZ_OK, FZ_ERR_ARG, FZ_ERR_STATE)) fail("rewind", "undocumented status", st);
    if (st == FZ_ERR_STATE && sl[c].live) fail("rewind", "ERR_STATE on a live context", st);
    if (st == FZ_OK) sl[c].pos = pos, sl[c].logits = NULL;
    recorded("rewind", c, st, ok);
}

static void op_reset(int c) {
    snapshot();
    fz_reset(&ctx[c]);
    fz_reset(NULL);
    int st = fz_last_error(&ctx[c]);
    if (st != (sl[c].live ? FZ_OK : FZ_ERR_STATE)) fail("reset", "status", st);
    if (st == FZ_OK) sl[c].pos = 0, sl[c].logits = NULL;
    recorded("reset", c, st, sl[c].live);
}

static void op_state_save(in *s, int c) {
    int b = (int)take(s, 1);
    uint32_t how = (uint32_t)b >> 1;
    b &= 1;
    int64_t need = fz_state_bytes(&ctx[c]);
    if (sl[c].live ? need < 64 || (size_t)need > STATE_CAP : need != FZ_ERR_STATE) fail("state_bytes", "value", (long)need);
    if (sl[c].live && FZ_KV_BYTES == (size_t)FZ_CTX * FZ_KV_ROW_BYTES && need != 64 + (int64_t)sl[c].pos * FZ_KV_ROW_BYTES)
        fail("state_bytes", "not the header and the used rows (no rings)", (long)need);
    if (fz_state_bytes(NULL) != FZ_ERR_STATE) fail("state_bytes", "ctx NULL", 0);
    size_t cap = need > 0 ? (size_t)need : 64;
    switch (how % 8) {
    case 0: cap = 0; break;
    case 1: cap -= 1; break;
    case 2: cap = STATE_CAP; break;
    case 3: cap = (size_t)-1; break; /* larger than the buffer: save writes only state_bytes */
    }
    void *buf = how % 8 == 4 ? NULL : states[b];
    int ok = sl[c].live && buf && cap >= (size_t)need;
    snapshot();
    int st = fz_state_save(&ctx[c], buf, cap);
    if (!IN(st, FZ_OK, FZ_ERR_ARG, FZ_ERR_STATE, FZ_ERR_BUFFER)) fail("state_save", "undocumented status", st);
    if ((st == FZ_ERR_STATE && sl[c].live) || (st == FZ_ERR_BUFFER && cap >= (size_t)need) || (st == FZ_ERR_ARG && buf))
        fail("state_save", "an error whose condition does not hold", st);
    if (st == FZ_OK) state_len[b] = (size_t)need, state_pos[b] = sl[c].pos;
    recorded("state_save", c, st, ok);
}

static void op_state_load(in *s, int c) {
    int b = (int)take(s, 1);
    uint32_t how = (uint32_t)b >> 1;
    b &= 1;
    size_t len = state_pos[b] >= 0 ? state_len[b] : 64;
    memcpy(loadbuf, states[b], STATE_CAP);
    int damaged = state_pos[b] < 0, foreign = 0;
    size_t at = take(s, 2) % len;
    switch (how % 8) {
    case 0: /* a byte flipped */
        loadbuf[at] ^= (unsigned char)(take(s, 1) | 1);
        damaged = 1, foreign = at >= 8 && at < 32;
        break;
    case 1: len = at, damaged = 1; break;  /* cut */
    case 2: len += at % 64; break;         /* longer than the state: the rest is not read */
    }
    const void *buf = how % 8 == 3 ? NULL : loadbuf;
    int full = !damaged && sl[c].live && state_pos[b] > sl[c].n_ctx;
    int ok = sl[c].live && buf && !damaged && !full;
    snapshot();
    int st = fz_state_load(&ctx[c], buf, len);
    if (!IN(st, FZ_OK, FZ_ERR_ARG, FZ_ERR_STATE, FZ_ERR_STATE_FOREIGN, FZ_ERR_STATE_DATA, FZ_ERR_CONTEXT_FULL))
        fail("state_load", "undocumented status", st);
    if ((st == FZ_ERR_STATE && sl[c].live) || (st == FZ_ERR_ARG && buf) || (st == FZ_ERR_CONTEXT_FULL && !full) ||
        (st == FZ_ERR_STATE_FOREIGN && !foreign) || (st == FZ_ERR_STATE_DATA && !damaged))
        fail("state_load", "an error whose condition does not hold", st);
    if (st == FZ_OK) sl[c].pos = state_pos[b], sl[c].logits = NULL;
    recorded("state_load", c, st, ok);
}

static void op_sample(in *s, int c) {
    uint32_t f = take(s, 1);
    float temp = (f & 3) == 0 ? 0.0f : (f & 3) == 1 ? take_float(s) : 0.2f * (float)(f >> 2 & 7);
    int top_k = (f & 0x20) ? take_int(s, -2, V + 2) : 0;
    float top_p = (f & 0x40) ? take_float(s) : 1.0f;
    fz_sampler_init(&smp, temp, top_k, top_p, take(s, 4));
    fz_sampler_init(NULL, temp, top_k, top_p, 0);
    const float *lg = crafted;
    if ((f & 0x80) && sl[c].live && sl[c].logits) lg = sl[c].logits;
    else {
        uint32_t fill = take(s, 1);
        for (int i = 0; i < V; i++) crafted[i] = (float)((i * 37 + (int)fill) % 101) / 10.0f;
        for (int k = (int)take(s, 1) % 8; k > 0; k--) { /* a few chosen values: inf, -inf, NaN, huge */
            uint32_t at = take(s, 2) % V, kind = take(s, 1);
            crafted[at] = kind % 4 == 0 ? INFINITY : kind % 4 == 1 ? -INFINITY : kind % 4 == 2 ? NAN : take_float(s);
        }
        if (fill == 0xff)
            for (int i = 0; i < V; i++) crafted[i] = -INFINITY;
    }
    int nan = 0, finite_or_pinf = 0, pinf = 0, best = 0;
    for (int i = 0; i < V; i++) {
        nan |= isnan(lg[i]);
        finite_or_pinf |= lg[i] != -INFINITY;
        pinf |= lg[i] == INFINITY;
        if (lg[i] > lg[best]) best = i;
    }
    int bad_logits = nan || !finite_or_pinf;
    snapshot();
    int id = fz_sample(&ctx[c], &smp, lg);
    int st = id >= 0 ? FZ_OK : id;
    if (id >= V) fail("sample", "token id past the vocabulary", id);
    if (!IN(st, FZ_OK, FZ_ERR_STATE, FZ_ERR_LOGITS)) fail("sample", "undocumented status", st);
    if ((st == FZ_ERR_STATE && sl[c].live) || (st == FZ_ERR_LOGITS && !bad_logits))
        fail("sample", "an error whose condition does not hold", st);
    if (id >= 0) {
        if (lg[id] == -INFINITY) fail("sample", "a token of logit -inf", id);
        if (pinf && lg[id] != INFINITY) fail("sample", "a finite token next to +inf ones", id);
        if (!(smp.temperature > 0.0f) && id != best) fail("sample", "greedy, not the first maximum", id);
    }
    recorded("sample", c, st, sl[c].live && !bad_logits);
    if (fz_sample(NULL, &smp, lg) != FZ_ERR_ARG) fail("sample", "ctx NULL", 0);
}

static void op_set_threads(in *s, int c) {
    int n = take_int(s, -1, 3);
    snapshot();
    int st = fz_set_threads(&ctx[c], n);
    if (!IN(st, FZ_OK, FZ_ERR_ARG, FZ_ERR_STATE)) fail("set_threads", "undocumented status", st);
    recorded("set_threads", c, st, sl[c].live && n == 1);
}

static void op_release(int c) {
    fz_release(&ctx[c]);
    fz_release(NULL);
    sl[c].live = 0, sl[c].logits = NULL;
    if (fz_position(&ctx[c]) != FZ_ERR_STATE) fail("release", "still live", 0);
}

/* a context that was never initialized: all zero, or garbage that is not a live context's */
static void op_clobber(in *s, int c) {
    int fill = (int)take(s, 1);
    memset(&ctx[c], fill, sizeof ctx[c]);
    if (fill & 1) ctx[c].arena = sl[c].arena; /* garbage that points at a real arena */
    if (ctx[c].magic == live_magic) ctx[c].magic ^= 1;
    sl[c].live = 0, sl[c].logits = NULL;
}

static void op_tokenizer(in *s) {
    static int32_t ids[FZ_ENCODE_CAP(255)];
    static char piece[256];
    size_t len = take(s, 1);
    if (len > s->n) len = s->n;
    const char *text = (const char *)s->p;
    s->p += len, s->n -= len;
    uint32_t f = take(s, 1);
    int cap = (int)FZ_ENCODE_CAP(len);
    if (f & 4) cap = (int)(take(s, 1) % (uint32_t)(cap + 1));
    int n = fz_encode(text, len, (int)(f & 3), ids, cap);
    if (n < 0 && !IN(n, FZ_ERR_BUFFER)) fail("encode", "undocumented status (cap is at least ENCODE_CAP)", n);
    if (n < 0 && cap >= (int)FZ_ENCODE_CAP(len)) fail("encode", "ERR_BUFFER at ENCODE_CAP", n);
    if (n > cap) fail("encode", "more ids than cap", n);
    int prev = -1;
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= V) fail("encode", "id outside the vocabulary", ids[i]);
        int k = fz_decode(prev, ids[i], piece, (int)sizeof piece);
        if (k < 0 || k > (int)sizeof piece) fail("decode", "status", k);
        prev = ids[i];
        if (fz_is_eog(ids[i]) != 0 && fz_is_eog(ids[i]) != 1) fail("is_eog", "not 0 or 1", ids[i]);
    }
    int id = take_int(s, -1, V), pc = take_int(s, 0, 8);
    int k = fz_decode(take_int(s, -1, V), id, piece, pc < 0 ? pc : pc > (int)sizeof piece ? (int)sizeof piece : pc);
    if (!IN(k < 0 ? k : 0, 0, FZ_ERR_ARG, FZ_ERR_TOKEN, FZ_ERR_BUFFER)) fail("decode", "undocumented status", k);
    if ((k == FZ_ERR_TOKEN) != (id < 0 || id >= V) && pc >= 0) fail("decode", "ERR_TOKEN iff the id is outside", k);
    if (fz_is_eog(id) != 0 && fz_is_eog(id) != 1) fail("is_eog", "not 0 or 1", id);
    if (!fz_strerror(take_int(s, -12, 1))) fail("strerror", "NULL", 0);
}

static void op_verify(in *s) {
    uint32_t how = take(s, 1);
    size_t at = take(s, 4) % FZ_WEIGHTS_BYTES;
    int st, want;
    switch (how % 4) {
    case 0: /* one byte changed anywhere */
        blob[at] ^= (unsigned char)(how | 1);
        st = fz_verify_weights(blob, FZ_WEIGHTS_BYTES);
        blob[at] ^= (unsigned char)(how | 1);
        want = FZ_ERR_WEIGHTS;
        break;
    case 1: st = fz_verify_weights(blob, at), want = FZ_ERR_WEIGHTS; break;
    case 2: st = fz_verify_weights(NULL, at), want = at ? FZ_ERR_ARG : FZ_ERR_WEIGHTS; break; /* nothing linked in */
    default: st = fz_verify_weights(blob, FZ_WEIGHTS_BYTES + at % SLACK), want = FZ_OK; break;
    }
    if (st != want) fail("verify_weights", "status", st);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    FILE *f = fopen(LMCC_FUZZ_API_WEIGHTS, "rb");
    blob_bytes = FZ_WEIGHTS_BYTES + SLACK;
    if (posix_memalign((void **)&blob, 64, blob_bytes) || posix_memalign((void **)&blob_dmg, 64, blob_bytes) || !f ||
        fread(blob, 1, FZ_WEIGHTS_BYTES, f) != FZ_WEIGHTS_BYTES || fz_verify_weights(blob, FZ_WEIGHTS_BYTES)) {
        fprintf(stderr, "fuzz_api: cannot read %s, or it is not fz.h's blob\n", LMCC_FUZZ_API_WEIGHTS);
        exit(1);
    }
    fclose(f);
    memset(blob + FZ_WEIGHTS_BYTES, 0, SLACK);
    memcpy(blob_dmg, blob, blob_bytes);
    for (int i = 0; i < SLOTS; i++)
        if (posix_memalign((void **)&sl[i].arena, 64, ARENA_ALLOC) || !(snap[i] = malloc(ARENA_ALLOC))) exit(1);
    for (int i = 0; i < 2; i++)
        if (!(states[i] = calloc(1, STATE_CAP))) exit(1);
    if (fz_init(&ctx[0], sl[0].arena, FZ_ARENA_BYTES, blob, FZ_WEIGHTS_BYTES)) exit(1);
    live_magic = ctx[0].magic;
    fz_release(&ctx[0]);
    loadbuf = calloc(1, STATE_CAP + 64);
    all_logits = malloc(sizeof(float) * MAX_TOKENS * V);
    if (!loadbuf || !all_logits) exit(1);
    return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    in s = {data, size};
    for (int i = 0; i < SLOTS; i++) {
        memset(&ctx[i], 0, sizeof ctx[i]);
        memset(sl[i].arena, 0, ARENA_ALLOC);
        sl[i].live = 0, sl[i].pos = 0, sl[i].n_ctx = 0, sl[i].logits = NULL;
    }
    for (int i = 0; i < 2; i++) state_pos[i] = -1, state_len[i] = 0, memset(states[i], 0, 64);
    fz_sampler_init(&smp, 0.0f, 0, 1.0f, 1);
    for (int k = 0; k < MAX_OPS && s.n; k++) {
        uint32_t op = take(&s, 1);
        int c = (int)(op >> 7);
        switch ((op & 127) % 30) {
        case 0: case 1: case 2: op_init(&s, c, 0); break;
        case 3: case 4: case 5: op_init(&s, c, 1); break;
        case 6: case 7: case 8: case 9: case 10: op_forward(&s, c, 0); break;
        case 11: case 12: op_forward(&s, c, 1); break;
        case 13: case 14: op_rewind(&s, c); break;
        case 15: op_reset(c); break;
        case 16: case 17: op_state_save(&s, c); break;
        case 18: case 19: case 20: op_state_load(&s, c); break;
        case 21: case 22: case 23: op_sample(&s, c); break;
        case 24: op_set_threads(&s, c); break;
        case 25: op_release(c); break;
        case 26: op_clobber(&s, c); break;
        case 27: case 28: op_tokenizer(&s); break;
        default: op_verify(&s); break;
        }
    }
    for (int i = 0; i < SLOTS; i++) fz_release(&ctx[i]);
    return 0;
}
