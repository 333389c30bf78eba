/* vocab.c - lmrt_vocab from GGUF tokenizer metadata (or the llama2.c placeholder). */
#include "vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

typedef struct vb_str { const char *s; size_t n; } vb_str;

typedef struct vocab_spec {
    int type, pre, n_tokens;
    const vb_str *toks;
    const float *scores;      /* NULL: all 0 */
    const uint8_t *types;     /* NULL: all normal */
    size_t n_merges;
    const vb_str *merges;     /* "left right" */
    int bos, eos, unk, add_bos, add_space_prefix, ignore_merges;
} vocab_spec;

static uint32_t pow2_at_least(uint64_t n) {
    uint32_t p = 16;
    while (p < n) p <<= 1;
    return p;
}

static size_t align8(size_t x) { return (x + 7) & ~(size_t)7; }

static void hash_insert(lmrt_vocab *v, int32_t *hash, int32_t id) {
    const uint8_t *t = v->text + v->text_off[id];
    size_t n = v->text_off[id + 1] - v->text_off[id];
    uint32_t i = lmrt_tok_hash(t, n) & v->hash_mask;
    for (;; i = (i + 1) & v->hash_mask) {
        int32_t o = hash[i];
        if (o < 0) break;
        /* a duplicate text maps to its last id, as in llama.cpp's token_to_id */
        if (v->text_off[o + 1] - v->text_off[o] == n && memcmp(v->text + v->text_off[o], t, n) == 0) break;
    }
    hash[i] = id;
}

/* id of the text a[0..na) b[0..nb), or -1 */
static int32_t find_concat(const lmrt_vocab *v, const char *a, size_t na, const char *b, size_t nb) {
    uint32_t h = LMRT_TOK_HASH_INIT;
    for (size_t i = 0; i < na; i++) h = lmrt_tok_hash_step(h, (uint8_t)a[i]);
    for (size_t i = 0; i < nb; i++) h = lmrt_tok_hash_step(h, (uint8_t)b[i]);
    for (uint32_t i = h & v->hash_mask;; i = (i + 1) & v->hash_mask) {
        int32_t id = v->hash[i];
        if (id < 0) return -1;
        const uint8_t *t = v->text + v->text_off[id];
        if (v->text_off[id + 1] - v->text_off[id] == na + nb && memcmp(t, a, na) == 0 && memcmp(t + na, b, nb) == 0)
            return id;
    }
}

static lmrt_vocab *vocab_build(const vocab_spec *sp, const char *path) {
    size_t n = (size_t)sp->n_tokens, text_bytes = 0;
    for (size_t i = 0; i < n; i++) text_bytes += sp->toks[i].n;
    if (text_bytes > 0xffffffffu) {
        lmcc_error(path, "tokenizer texts take %zu bytes (lmcc's limit is 4 GiB)", text_bytes);
        return NULL;
    }
    uint32_t hslots = pow2_at_least(2 * (uint64_t)n);
    uint32_t mslots = sp->n_merges ? pow2_at_least(2 * (uint64_t)sp->n_merges) : 1;
    size_t off_v = 0;
    size_t off_hash = align8(off_v + sizeof(lmrt_vocab));
    size_t off_mh = align8(off_hash + 4 * (size_t)hslots);
    size_t off_m = align8(off_mh + 4 * (size_t)mslots);
    size_t off_bt = align8(off_m + 12 * sp->n_merges);
    size_t off_to = align8(off_bt + 4 * 256);
    size_t off_sc = align8(off_to + 4 * (n + 1));
    size_t off_ty = align8(off_sc + (sp->type == LMRT_VOCAB_SPM ? 4 * n : 0));
    size_t off_tx = align8(off_ty + n);
    size_t total = off_tx + text_bytes + 1;
    char *mem = malloc(total);
    if (!mem) {
        lmcc_error(path, "out of memory building the vocabulary (%zu bytes)", total);
        return NULL;
    }
    lmrt_vocab *v = (lmrt_vocab *)mem;
    int32_t *hash = (int32_t *)(mem + off_hash), *mhash = (int32_t *)(mem + off_mh);
    int32_t *merges = (int32_t *)(mem + off_m), *byte_tok = (int32_t *)(mem + off_bt);
    uint32_t *text_off = (uint32_t *)(mem + off_to);
    float *scores = sp->type == LMRT_VOCAB_SPM ? (float *)(mem + off_sc) : NULL;
    uint8_t *types = (uint8_t *)(mem + off_ty), *text = (uint8_t *)(mem + off_tx);

    memset(v, 0, sizeof *v);
    v->type = sp->type; v->pre = sp->pre; v->n_tokens = sp->n_tokens;
    v->bos_id = sp->bos; v->eos_id = sp->eos; v->unk_id = sp->unk;
    v->add_bos = sp->add_bos; v->add_space_prefix = sp->add_space_prefix;
    v->ignore_merges = sp->ignore_merges;
    v->hash_mask = hslots - 1; v->merge_mask = mslots - 1;
    v->text = text; v->text_off = text_off; v->scores = scores; v->types = types;
    v->hash = hash; v->merges = merges; v->merge_hash = mhash; v->byte_tok = byte_tok;

    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        text_off[i] = (uint32_t)pos;
        memcpy(text + pos, sp->toks[i].s, sp->toks[i].n);
        pos += sp->toks[i].n;
        types[i] = sp->types ? sp->types[i] : LMRT_TOKEN_NORMAL;
        if (scores) scores[i] = sp->scores ? sp->scores[i] : 0.0f;
    }
    text_off[n] = (uint32_t)pos;
    text[pos] = 0;
    for (uint32_t i = 0; i < hslots; i++) hash[i] = -1;
    for (size_t i = 0; i < n; i++) hash_insert(v, hash, (int32_t)i);

    for (int b = 0; b < 256; b++) {
        uint8_t s[8];
        int32_t id;
        if (sp->type == LMRT_VOCAB_SPM) {
            snprintf((char *)s, sizeof s, "<0x%02X>", b);
            id = lmrt_vocab_find(v, s, 6);
            if (id < 0) { s[0] = (uint8_t)b; id = lmrt_vocab_find(v, s, 1); }
        } else {
            int k = lmrt_utf8_encode(lmrt_bytelevel_cpt((uint8_t)b), s);
            id = lmrt_vocab_find(v, s, (size_t)k);
        }
        byte_tok[b] = id;
    }

    /* merges whose parts or result are not tokens cannot apply to token ids:
     * dropped; ranks keep their order */
    for (uint32_t i = 0; i < mslots; i++) mhash[i] = -1;
    int32_t nm = 0;
    for (size_t i = 0; i < sp->n_merges; i++) {
        const char *s = sp->merges[i].s;
        size_t len = sp->merges[i].n, sp_at = 1;
        while (sp_at < len && s[sp_at] != ' ') sp_at++;
        if (len < 3 || sp_at >= len) continue;
        int32_t a = lmrt_vocab_find(v, (const uint8_t *)s, sp_at);
        int32_t b = lmrt_vocab_find(v, (const uint8_t *)s + sp_at + 1, len - sp_at - 1);
        int32_t m = find_concat(v, s, sp_at, s + sp_at + 1, len - sp_at - 1);
        if (a < 0 || b < 0 || m < 0 || lmrt_vocab_merge_rank(v, a, b) >= 0) continue;
        merges[3 * nm] = a; merges[3 * nm + 1] = b; merges[3 * nm + 2] = m;
        uint32_t h = lmrt_merge_hash(a, b) & v->merge_mask;
        while (mhash[h] >= 0) h = (h + 1) & v->merge_mask;
        mhash[h] = nm;
        v->n_merges = ++nm; /* lmrt_vocab_merge_rank above sees the merges so far */
    }
    return v;
}

void lmcc_vocab_free(lmrt_vocab *v) { free(v); }

lmrt_vocab *lmcc_vocab_placeholder(int n_vocab) {
    if (n_vocab < 3) {
        lmcc_error(NULL, "placeholder vocabulary needs at least 3 tokens, got %d", n_vocab);
        return NULL;
    }
    vb_str *toks = malloc(sizeof *toks * (size_t)n_vocab);
    char *names = malloc(16 * (size_t)n_vocab);
    uint8_t *types = malloc((size_t)n_vocab);
    if (!toks || !names || !types) {
        free(toks); free(names); free(types);
        lmcc_error(NULL, "out of memory building the placeholder vocabulary");
        return NULL;
    }
    static const char *fixed[3] = {"<unk>", "<s>", "</s>"};
    for (int i = 0; i < n_vocab; i++) {
        char *s = names + 16 * (size_t)i;
        if (i < 3) snprintf(s, 16, "%s", fixed[i]);
        else snprintf(s, 16, "[%d]", i);
        toks[i].s = s;
        toks[i].n = strlen(s);
        types[i] = i == 0 ? LMRT_TOKEN_UNKNOWN : i < 3 ? LMRT_TOKEN_CONTROL : LMRT_TOKEN_NORMAL;
    }
    vocab_spec sp = {
        .type = LMRT_VOCAB_SPM, .pre = LMRT_PRE_NONE, .n_tokens = n_vocab, .toks = toks,
        .types = types, .bos = 1, .eos = 2, .unk = 0, .add_bos = 1, .add_space_prefix = 1,
    };
    lmrt_vocab *v = vocab_build(&sp, NULL);
    free(toks); free(names); free(types);
    return v;
}

/* Array key, checking the element type; NULL with *n = 0 if absent. */
static const gguf_value *get_array(const gguf_file *f, const char *path, const char *key,
                                   enum gguf_vtype want, uint64_t *n, int *bad) {
    const gguf_kv *kv = gguf_find(f, key);
    *n = 0;
    if (!kv) return NULL;
    if (kv->val.type != GGUF_T_ARRAY || kv->val.v.arr.type != want) {
        lmcc_error(path, "%s is not an array of %s", key, gguf_vtype_name(want));
        *bad = 1;
        return NULL;
    }
    *n = kv->val.v.arr.n;
    return &kv->val;
}

static int get_id(const gguf_file *f, const char *key, int n_tokens, int dflt) {
    int64_t x;
    if (gguf_get_i64(f, key, &x) != 0) return dflt;
    return x >= 0 && x < n_tokens ? (int)x : -1; /* 0xffffffff means "none" */
}

static int get_flag(const gguf_file *f, const char *key, int dflt) {
    int64_t x;
    return gguf_get_i64(f, key, &x) == 0 ? x != 0 : dflt;
}

lmrt_vocab *lmcc_vocab_from_gguf(const gguf_file *f, const char *path) {
    char model[64] = "", pre[64] = "";
    if (!gguf_find(f, "tokenizer.ggml.model")) {
        lmcc_error(path, "no tokenizer (tokenizer.ggml.model is absent)");
        return NULL;
    }
    gguf_get_str(f, "tokenizer.ggml.model", model, sizeof model);
    int have_pre = gguf_get_str(f, "tokenizer.ggml.pre", pre, sizeof pre) == 0;
    vocab_spec sp;
    memset(&sp, 0, sizeof sp);
    if (strcmp(model, "llama") == 0) {
        sp.type = LMRT_VOCAB_SPM;
        sp.pre = LMRT_PRE_NONE;
    } else if (strcmp(model, "gpt2") == 0) {
        sp.type = LMRT_VOCAB_BPE;
        if (!have_pre || !strcmp(pre, "default") || !strcmp(pre, "gpt2") || !strcmp(pre, "gpt-2") ||
            !strcmp(pre, "phi-2")) {
            sp.pre = LMRT_PRE_GPT2;
        } else if (!strcmp(pre, "llama-bpe") || !strcmp(pre, "llama3") || !strcmp(pre, "llama-v3")) {
            sp.pre = LMRT_PRE_LLAMA3;
            sp.ignore_merges = 1;
        } else if (!strcmp(pre, "qwen2")) {
            sp.pre = LMRT_PRE_QWEN2;
        } else {
            lmcc_error(path, "unsupported tokenizer pre-tokenizer '%s' (lmcc supports gpt2, llama-bpe, qwen2)", pre);
            return NULL;
        }
    } else {
        lmcc_error(path, "unsupported tokenizer model '%s' (lmcc supports llama (SentencePiece) and gpt2 "
                   "(byte-level BPE))", model);
        return NULL;
    }

    int bad = 0;
    uint64_t n_tok, n_sc, n_ty, n_me;
    const gguf_value *tv = get_array(f, path, "tokenizer.ggml.tokens", GGUF_T_STRING, &n_tok, &bad);
    const gguf_value *sv = get_array(f, path, "tokenizer.ggml.scores", GGUF_T_FLOAT32, &n_sc, &bad);
    const gguf_value *yv = get_array(f, path, "tokenizer.ggml.token_type", GGUF_T_INT32, &n_ty, &bad);
    const gguf_value *mv = get_array(f, path, "tokenizer.ggml.merges", GGUF_T_STRING, &n_me, &bad);
    if (bad) return NULL;
    if (!tv || n_tok == 0 || n_tok > (1u << 30)) {
        lmcc_error(path, "tokenizer.ggml.tokens is absent or has %llu entries", (unsigned long long)n_tok);
        return NULL;
    }
    if ((sv && n_sc != n_tok) || (yv && n_ty != n_tok)) {
        lmcc_error(path, "tokenizer.ggml.scores/token_type lengths (%llu, %llu) differ from the %llu tokens",
                   (unsigned long long)n_sc, (unsigned long long)n_ty, (unsigned long long)n_tok);
        return NULL;
    }
    if (sp.type == LMRT_VOCAB_BPE && !mv) {
        lmcc_error(path, "gpt2 tokenizer without tokenizer.ggml.merges");
        return NULL;
    }
    sp.n_tokens = (int)n_tok;
    vb_str *toks = malloc(sizeof *toks * (size_t)n_tok);
    vb_str *merges = malloc(sizeof *merges * (size_t)(n_me ? n_me : 1));
    float *scores = malloc(sizeof *scores * (size_t)n_tok);
    uint8_t *types = malloc((size_t)n_tok);
    lmrt_vocab *v = NULL;
    if (!toks || !merges || !scores || !types) {
        lmcc_error(path, "out of memory reading the tokenizer");
        goto done;
    }
    for (uint64_t i = 0; i < n_tok; i++) {
        gguf_value e;
        toks[i].s = tv->v.arr.items[i].v.s.ptr;
        toks[i].n = (size_t)tv->v.arr.items[i].v.s.len;
        scores[i] = sv && gguf_arr_get(sv, i, &e) == 0 ? (float)e.v.f : 0.0f;
        int64_t t = yv && gguf_arr_get(yv, i, &e) == 0 ? e.v.i : LMRT_TOKEN_NORMAL;
        types[i] = (uint8_t)(t >= 0 && t <= LMRT_TOKEN_BYTE ? t : LMRT_TOKEN_UNDEFINED);
    }
    for (uint64_t i = 0; i < n_me; i++) {
        merges[i].s = mv->v.arr.items[i].v.s.ptr;
        merges[i].n = (size_t)mv->v.arr.items[i].v.s.len;
    }
    sp.toks = toks; sp.scores = scores; sp.types = types;
    sp.merges = merges; sp.n_merges = sp.type == LMRT_VOCAB_BPE ? (size_t)n_me : 0;
    int spm = sp.type == LMRT_VOCAB_SPM;
    sp.bos = get_id(f, "tokenizer.ggml.bos_token_id", sp.n_tokens, spm && n_tok > 1 ? 1 : -1);
    sp.eos = get_id(f, "tokenizer.ggml.eos_token_id", sp.n_tokens, spm && n_tok > 2 ? 2 : -1);
    sp.unk = get_id(f, "tokenizer.ggml.unknown_token_id", sp.n_tokens, spm ? 0 : -1);
    sp.add_bos = get_flag(f, "tokenizer.ggml.add_bos_token", spm || sp.pre == LMRT_PRE_LLAMA3);
    sp.add_space_prefix = get_flag(f, "tokenizer.ggml.add_space_prefix", spm);
    v = vocab_build(&sp, path);
done:
    free(toks); free(merges); free(scores); free(types);
    return v;
}
