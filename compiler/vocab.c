/* vocab.c - lmrt_vocab from GGUF tokenizer metadata (or the llama2.c placeholder).
 *
 * Mirrors llama_vocab::impl::load of llama.cpp: the pre-tokenizer a name
 * stands for, the default special ids and flags per tokenizer model, then the
 * token attributes llama.cpp derives from token texts (control-looking tokens
 * become control tokens, the end-of-generation set, Phi-3's RSTRIP), and from
 * those the tables that split special tokens out of the text. */
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
    uint8_t *types;           /* LMRT_TOKEN_* | attributes; the attribute pass edits them */
    size_t n_merges;
    const vb_str *merges;     /* "left right" */
    int bos, eos, unk, add_bos, add_eos, add_space_prefix, ignore_merges;
} vocab_spec;

/* tokenizer.ggml.pre names llama.cpp maps to the regexes of one lmrt
 * pre-tokenizer: X(name, LMRT_PRE_*, ignore_merges, add_bos by default).
 * A BPE vocabulary without the key gets DEFAULT, as in llama.cpp. */
#define VOCAB_PRE_LIST(X)                                                                                        \
    X("default", DEFAULT, 0, 0)                                                                                  \
    X("llama3", LLAMA3, 1, 1) X("llama-v3", LLAMA3, 1, 1) X("llama-bpe", LLAMA3, 1, 1)                           \
    X("falcon3", LLAMA3, 1, 1) X("falcon-h1", LLAMA3, 1, 1) X("pixtral", LLAMA3, 1, 1)                           \
    X("midm-2.0", LLAMA3, 1, 1) X("lfm2", LLAMA3, 1, 1) X("jina-v5-nano", LLAMA3, 1, 1)                          \
    X("dbrx", LLAMA3, 0, 0) X("smaug-bpe", LLAMA3, 0, 0)                                                          \
    X("qwen2", QWEN2, 0, 0) X("deepseek-r1-qwen", QWEN2, 0, 0) X("kormo", QWEN2, 0, 0)                           \
    X("f2llmv2", QWEN2, 0, 0) X("stablelm2", QWEN2, 0, 0) X("megrez", QWEN2, 0, 0)                               \
    X("hunyuan", QWEN2, 0, 0) X("solar-open", QWEN2, 0, 0)                                                        \
    X("gpt-2", GPT2, 0, 0) X("phi-2", GPT2, 0, 0) X("mpt", GPT2, 0, 0) X("olmo", GPT2, 0, 0)                     \
    X("jais", GPT2, 0, 0) X("trillion", GPT2, 0, 0) X("granite-docling", GPT2, 0, 0) X("exaone4", GPT2, 0, 0)   \
    X("jina-es", GPT2, 0, 0) X("jina-de", GPT2, 0, 0) X("jina-v2-es", GPT2, 0, 0) X("jina-v2-de", GPT2, 0, 0)   \
    X("jina-v1-en", GPT2, 0, 0) X("jina-v2-code", GPT2, 0, 0) X("roberta-bpe", GPT2, 0, 0)                       \
    X("gigachat", GPT2, 0, 0) X("a.x-4.0", GPT2, 0, 0) X("mellum", GPT2, 0, 0) X("modern-bert", GPT2, 0, 0)     \
    X("smollm", SMOLLM, 0, 0) X("starcoder", SMOLLM, 0, 0) X("refact", SMOLLM, 0, 0)                             \
    X("command-r", SMOLLM, 0, 0) X("codeshell", SMOLLM, 0, 0) X("exaone", SMOLLM, 0, 0)                          \
    X("minerva-7b", SMOLLM, 0, 0) X("mellum2", SMOLLM, 0, 0)                                                     \
    X("gpt-4o", GPT4O, 0, 0) X("llama4", GPT4O, 0, 0) X("kanana2", GPT4O, 0, 0) X("talkie", GPT4O, 0, 0)         \
    X("minimax-m2", GPT4O, 0, 0)

typedef struct vocab_pre { const char *name; int pre, ignore_merges, add_bos; } vocab_pre;
static const vocab_pre vocab_pres[] = {
#define X(name, pre, ignore_merges, add_bos) {name, LMRT_PRE_##pre, ignore_merges, add_bos},
    VOCAB_PRE_LIST(X)
#undef X
};

/* Token texts llama.cpp gives a meaning (llama-vocab.cpp, "auto-detect special
 * tokens by text" and the EOG list): X(role, text).  A token of one of these
 * texts that is not a control token becomes one; EOG tokens end generation. */
#define VOCAB_TEXT_LIST(X)                                                                                      \
    X(EOT, "<|eot_id|>") X(EOT, "<|im_end|>") X(EOT, "<|end|>") X(EOT, "<end_of_turn>")                        \
    X(EOT, "<|endoftext|>") X(EOT, "<|end_of_text|>") X(EOT, "<EOT>") X(EOT, "_<EOT>") X(EOT, "[EOT]")          \
    X(EOT, "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>") X(EOT, "<end_of_utterance>")    \
    X(EOM, "<|eom_id|>")                                                                                        \
    X(FIM_PRE, "<|fim_prefix|>") X(FIM_PRE, "<fim-prefix>") X(FIM_PRE, "<fim_prefix>")                          \
    X(FIM_PRE, "<\xef\xbd\x9c" "fim\xe2\x96\x81" "begin\xef\xbd\x9c>") X(FIM_PRE, "<PRE>")                      \
    X(FIM_PRE, "\xe2\x96\x81<PRE>") X(FIM_PRE, "<|code_prefix|>") X(FIM_PRE, "<|prefix|>")                      \
    X(FIM_SUF, "<|fim_suffix|>") X(FIM_SUF, "<fim-suffix>") X(FIM_SUF, "<fim_suffix>")                          \
    X(FIM_SUF, "<\xef\xbd\x9c" "fim\xe2\x96\x81hole\xef\xbd\x9c>") X(FIM_SUF, "<SUF>")                          \
    X(FIM_SUF, "\xe2\x96\x81<SUF>") X(FIM_SUF, "<|code_suffix|>") X(FIM_SUF, "<|suffix|>")                      \
    X(FIM_MID, "<|fim_middle|>") X(FIM_MID, "<fim-middle>") X(FIM_MID, "<fim_middle>")                          \
    X(FIM_MID, "<\xef\xbd\x9c" "fim\xe2\x96\x81" "end\xef\xbd\x9c>") X(FIM_MID, "<MID>")                        \
    X(FIM_MID, "\xe2\x96\x81<MID>") X(FIM_MID, "<|code_middle|>") X(FIM_MID, "<|middle|>")                      \
    X(FIM_PAD, "<|fim_pad|>") X(FIM_PAD, "<fim-pad>") X(FIM_PAD, "<fim_pad>") X(FIM_PAD, "<PAD>")               \
    X(FIM_PAD, "[PAD]")                                                                                         \
    X(FIM_REP, "<|fim_repo|>") X(FIM_REP, "<|repo_name|>") X(FIM_REP, "<fim-repo>") X(FIM_REP, "<REPO>")        \
    X(FIM_REP, "<reponame>")                                                                                    \
    X(FIM_SEP, "<|file_sep|>")                                                                                  \
    X(EOG, "<|eot_id|>") X(EOG, "<|im_end|>") X(EOG, "<|end|>") X(EOG, "<|return|>") X(EOG, "<|call|>")          \
    X(EOG, "<|flush|>") X(EOG, "<|calls|>") X(EOG, "<end_of_turn>") X(EOG, "<|endoftext|>") X(EOG, "</s>")       \
    X(EOG, "<|eom_id|>") X(EOG, "<EOT>") X(EOG, "_<EOT>") X(EOG, "[EOT]") X(EOG, "[EOS]")                        \
    X(EOG, "<|end_of_text|>") X(EOG, "<end_of_utterance>") X(EOG, "<eos>") X(EOG, "<turn|>")                    \
    X(EOG, "<|tool_response>") X(EOG, "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>")      \
    X(EOG, "[e~[")                                                                                              \
    X(RENDER, "<|channel|>") X(RENDER, "<|message|>") X(RENDER, "<|start|>") X(RENDER, "<|constrain|>")

enum vocab_role { R_EOT, R_EOM, R_FIM_PRE, R_FIM_SUF, R_FIM_MID, R_FIM_PAD, R_FIM_REP, R_FIM_SEP, R_EOG, R_RENDER };
typedef struct vocab_text { int role; const char *text; } vocab_text;
static const vocab_text vocab_texts[] = {
#define X(role, text) {R_##role, text},
    VOCAB_TEXT_LIST(X)
#undef X
};
#define N_VOCAB_TEXTS (sizeof vocab_texts / sizeof vocab_texts[0])

/* "[EMPTY_<id>]": llama.cpp's name for an empty token, room for a 20-digit id */
#define VOCAB_EMPTY_NAME_BYTES 32

/* Special ids from metadata (X(field, key)): a key overrides the default when
 * it names a token; the deprecated prefix/suffix/middle keys come last. */
typedef struct vocab_ids { int bos, eos, eot, eom, unk, fim_pre, fim_suf, fim_mid, fim_pad, fim_rep, fim_sep; } vocab_ids;
#define VOCAB_ID_KEYS(X)                                                                                        \
    X(bos, "bos_token_id") X(eos, "eos_token_id") X(eot, "eot_token_id") X(eom, "eom_token_id")                 \
    X(unk, "unknown_token_id") X(fim_pre, "fim_pre_token_id") X(fim_suf, "fim_suf_token_id")                    \
    X(fim_mid, "fim_mid_token_id") X(fim_pad, "fim_pad_token_id") X(fim_rep, "fim_rep_token_id")                \
    X(fim_sep, "fim_sep_token_id") X(fim_pre, "prefix_token_id") X(fim_suf, "suffix_token_id")                  \
    X(fim_mid, "middle_token_id")

static uint32_t pow2_at_least(uint64_t n) {
    uint32_t p = 16;
    while (p < n) p <<= 1;
    return p;
}

static size_t align8(size_t x) { return (x + 7) & ~(size_t)7; }

static int is_special_type(uint8_t t) {
    t &= LMRT_TOKEN_TYPE_MASK;
    return t == LMRT_TOKEN_CONTROL || t == LMRT_TOKEN_USER_DEFINED || t == LMRT_TOKEN_UNKNOWN;
}

static const uint8_t *tok_text(const lmrt_vocab *v, int32_t id, size_t *n) {
    *n = v->text_off[id + 1] - v->text_off[id];
    return v->text + v->text_off[id];
}

/* an entry that would sit more than LMRT_TOK_MAX_PROBE slots past its hash */
static int collided(const char *path, const char *what, int32_t at) {
    return lmcc_error(path, "tokenizer: %s %d lands more than %u slots past its hash (texts made to collide?)", what,
                      (int)at, LMRT_TOK_MAX_PROBE);
}

/* Inserts id into an open-addressing table keyed by token text; a text
 * already present keeps its entry unless last_wins (llama.cpp's token_to_id
 * maps a duplicate text to its last id).  -1 (an error said) when the slot is
 * more than LMRT_TOK_MAX_PROBE past the text's hash: texts made to collide,
 * which would make building and every lookup linear in their number. */
static int hash_insert(const lmrt_vocab *v, int32_t *hash, uint32_t mask, int32_t id, int last_wins, const char *path) {
    size_t n;
    const uint8_t *t = tok_text(v, id, &n);
    uint32_t i = lmrt_tok_hash(t, n) & mask, probe = 0;
    for (;; i = (i + 1) & mask, probe++) {
        if (probe > LMRT_TOK_MAX_PROBE) return collided(path, "token", id);
        int32_t o = hash[i];
        if (o < 0) break;
        size_t m;
        const uint8_t *u = tok_text(v, o, &m);
        if (m == n && memcmp(u, t, n) == 0) {
            if (!last_wins) return 0;
            break;
        }
    }
    hash[i] = id;
    return 0;
}

/* id of the text a[0..na) b[0..nb), or -1 */
static int32_t find_concat(const lmrt_vocab *v, const char *a, size_t na, const char *b, size_t nb) {
    uint32_t h = LMRT_TOK_HASH_INIT;
    for (size_t i = 0; i < na; i++) h = lmrt_tok_hash_step(h, (uint8_t)a[i]);
    for (size_t i = 0; i < nb; i++) h = lmrt_tok_hash_step(h, (uint8_t)b[i]);
    for (uint32_t i = h & v->hash_mask, probe = 0; probe <= LMRT_TOK_MAX_PROBE; i = (i + 1) & v->hash_mask, probe++) {
        int32_t id = v->hash[i];
        if (id < 0) return -1;
        const uint8_t *t = v->text + v->text_off[id];
        if (v->text_off[id + 1] - v->text_off[id] == na + nb && memcmp(t, a, na) == 0 && memcmp(t + na, b, nb) == 0)
            return id;
    }
    return -1;
}

/* The tables of sp in one allocation; with_merges 0 skips the merge table (a
 * vocabulary only looked up by text). */
static lmrt_vocab *vocab_build(const vocab_spec *sp, const char *path, int with_merges) {
    size_t n = (size_t)sp->n_tokens, text_bytes = 0, n_special = 0, n_eog = 0;
    for (size_t i = 0; i < n; i++) {
        text_bytes += sp->toks[i].n;
        n_special += is_special_type(sp->types[i]);
        n_eog += (sp->types[i] & LMRT_TOKEN_EOG) != 0;
    }
    if (text_bytes > 0xffffffffu) {
        lmcc_error(path, "tokenizer texts take %zu bytes (lmcc's limit is 4 GiB)", text_bytes);
        return NULL;
    }
    size_t n_merges = with_merges ? sp->n_merges : 0;
    uint32_t hslots = pow2_at_least(2 * (uint64_t)n);
    uint32_t mslots = n_merges ? pow2_at_least(2 * (uint64_t)n_merges) : 1;
    uint32_t sslots = n_special ? pow2_at_least(2 * (uint64_t)n_special) : 1;
    size_t off_v = 0;
    size_t off_hash = align8(off_v + sizeof(lmrt_vocab));
    size_t off_mh = align8(off_hash + 4 * (size_t)hslots);
    size_t off_m = align8(off_mh + 4 * (size_t)mslots);
    size_t off_bt = align8(off_m + 12 * n_merges);
    size_t off_to = align8(off_bt + 4 * 256);
    size_t off_sc = align8(off_to + 4 * (n + 1));
    size_t off_ty = align8(off_sc + (sp->type == LMRT_VOCAB_SPM ? 4 * n : 0));
    size_t off_sh = align8(off_ty + n);
    size_t off_sl = align8(off_sh + 4 * (size_t)sslots);
    size_t off_sf = align8(off_sl + 4 * (n_special + 1));
    size_t off_eog = align8(off_sf + 32);
    size_t off_tx = align8(off_eog + 4 * (n_eog + 1));
    size_t total = off_tx + text_bytes + 1;
    char *mem = calloc(1, total);
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
    int32_t *shash = (int32_t *)(mem + off_sh), *slens = (int32_t *)(mem + off_sl), *eog = (int32_t *)(mem + off_eog);
    uint8_t *sfirst = (uint8_t *)(mem + off_sf);

    v->type = sp->type; v->pre = sp->pre; v->n_tokens = sp->n_tokens;
    v->bos_id = sp->bos; v->eos_id = sp->eos; v->unk_id = sp->unk;
    v->add_bos = sp->add_bos; v->add_eos = sp->add_eos; v->add_space_prefix = sp->add_space_prefix;
    v->ignore_merges = sp->ignore_merges;
    v->hash_mask = hslots - 1; v->merge_mask = mslots - 1; v->special_mask = sslots - 1;
    v->text = text; v->text_off = text_off; v->scores = scores; v->types = types;
    v->hash = hash; v->merges = merges; v->merge_hash = mhash; v->byte_tok = byte_tok;
    v->special_hash = shash; v->special_lens = slens; v->special_first = sfirst; v->eog_ids = eog;

    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        text_off[i] = (uint32_t)pos;
        memcpy(text + pos, sp->toks[i].s, sp->toks[i].n);
        pos += sp->toks[i].n;
        types[i] = sp->types[i];
        if (scores) scores[i] = sp->scores ? sp->scores[i] : 0.0f;
    }
    text_off[n] = (uint32_t)pos;
    for (uint32_t i = 0; i < hslots; i++) hash[i] = -1;
    for (size_t i = 0; i < n; i++)
        if (hash_insert(v, hash, v->hash_mask, (int32_t)i, 1, path)) {
            free(mem);
            return NULL;
        }

    /* special tokens: a text table of their own (a normal token of the same
     * text does not hide one), their lengths longest first, their first bytes */
    for (uint32_t i = 0; i < sslots; i++) shash[i] = -1;
    int n_lens = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_special_type(types[i]) || sp->toks[i].n == 0) continue;
        if (hash_insert(v, shash, v->special_mask, (int32_t)i, 0, path)) {
            free(mem);
            return NULL;
        }
        int32_t len = (int32_t)sp->toks[i].n, at = 0;
        while (at < n_lens && slens[at] > len) at++;
        if (at < n_lens && slens[at] == len) continue;
        memmove(slens + at + 1, slens + at, sizeof *slens * (size_t)(n_lens - at));
        slens[at] = len;
        n_lens++;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_special_type(types[i]) || sp->toks[i].n == 0) continue;
        uint8_t b = (uint8_t)sp->toks[i].s[0];
        sfirst[b >> 3] |= (uint8_t)(1u << (b & 7));
    }
    v->n_special_lens = n_lens;
    for (size_t i = 0; i < n; i++)
        if (types[i] & LMRT_TOKEN_EOG) eog[v->n_eog++] = (int32_t)i;

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
    for (size_t i = 0; i < n_merges; i++) {
        const char *s = sp->merges[i].s;
        size_t len = sp->merges[i].n, sp_at = 1;
        while (sp_at < len && s[sp_at] != ' ') sp_at++;
        if (len < 3 || sp_at >= len) continue;
        int32_t a = lmrt_vocab_find(v, (const uint8_t *)s, sp_at);
        int32_t b = lmrt_vocab_find(v, (const uint8_t *)s + sp_at + 1, len - sp_at - 1);
        int32_t m = find_concat(v, s, sp_at, s + sp_at + 1, len - sp_at - 1);
        if (a < 0 || b < 0 || m < 0 || lmrt_vocab_merge_rank(v, a, b) >= 0) continue;
        merges[3 * nm] = a; merges[3 * nm + 1] = b; merges[3 * nm + 2] = m;
        uint32_t h = lmrt_merge_hash(a, b) & v->merge_mask, probe = 0;
        for (; mhash[h] >= 0; h = (h + 1) & v->merge_mask)
            if (++probe > LMRT_TOK_MAX_PROBE) {
                collided(path, "merge", (int32_t)i);
                free(mem);
                return NULL;
            }
        mhash[h] = nm;
        v->n_merges = ++nm; /* lmrt_vocab_merge_rank above sees the merges so far */
    }
    return v;
}

static void set_type(uint8_t *types, int32_t id, int type) {
    types[id] = (uint8_t)((types[id] & ~LMRT_TOKEN_TYPE_MASK) | type);
}

/* A control-looking token that is not a control token becomes one (llama.cpp
 * warns and overrides the type). */
static void make_control(uint8_t *types, int32_t id) {
    if ((types[id] & LMRT_TOKEN_TYPE_MASK) != LMRT_TOKEN_CONTROL) set_type(types, id, LMRT_TOKEN_CONTROL);
}

static int32_t find_text(const lmrt_vocab *v, const char *s) {
    return lmrt_vocab_find(v, (const uint8_t *)s, strlen(s));
}

static int has_text(const lmrt_vocab *v, int32_t id, const char *s) {
    size_t n;
    const uint8_t *t = tok_text(v, id, &n);
    return n == strlen(s) && memcmp(t, s, n) == 0;
}

/* what llama.cpp keys per-model token attributes on ("" when absent) */
typedef struct vocab_model { const char *name, *pre, *arch; } vocab_model;

/* The token attributes of llama_vocab::impl::load, into sp->types; v is sp
 * built without merges (for lookups by text). */
static void vocab_attributes(vocab_spec *sp, const lmrt_vocab *v, vocab_ids *ids, const vocab_model *m) {
    uint8_t *types = sp->types;
    /* roles found by text fill ids the metadata left empty */
    int *role_id[] = {[R_EOT] = &ids->eot, [R_EOM] = &ids->eom, [R_FIM_PRE] = &ids->fim_pre,
                      [R_FIM_SUF] = &ids->fim_suf, [R_FIM_MID] = &ids->fim_mid, [R_FIM_PAD] = &ids->fim_pad,
                      [R_FIM_REP] = &ids->fim_rep, [R_FIM_SEP] = &ids->fim_sep};
    for (size_t i = 0; i < N_VOCAB_TEXTS; i++) {
        int r = vocab_texts[i].role;
        int32_t id = find_text(v, vocab_texts[i].text);
        if (id < 0 || r > R_FIM_SEP || *role_id[r] >= 0) continue;
        *role_id[r] = id;
        make_control(types, id);
    }
    /* the end-of-generation set */
    int eog_ids[] = {ids->fim_pad, ids->fim_rep, ids->fim_sep, ids->eos, ids->eot, ids->eom};
    for (size_t i = 0; i < sizeof eog_ids / sizeof eog_ids[0]; i++)
        if (eog_ids[i] >= 0) types[eog_ids[i]] |= LMRT_TOKEN_EOG;
    for (size_t i = 0; i < N_VOCAB_TEXTS; i++) {
        int32_t id = find_text(v, vocab_texts[i].text);
        if (id < 0) continue;
        if (vocab_texts[i].role == R_EOG) {
            types[id] |= LMRT_TOKEN_EOG;
            make_control(types, id);
        } else if (vocab_texts[i].role == R_RENDER) { /* gpt-oss: always rendered */
            set_type(types, id, LMRT_TOKEN_USER_DEFINED);
        }
    }
    /* o200k_harmony and solar-open: "<|end|>" is no end of generation there */
    int has_return = 0, has_call = 0, has_flush = 0;
    int32_t end_id = -1, s_id = -1, has_tool_response = 0;
    for (int32_t i = 0; i < sp->n_tokens; i++) {
        if (!(types[i] & LMRT_TOKEN_EOG)) continue;
        has_return |= has_text(v, i, "<|return|>");
        has_call |= has_text(v, i, "<|call|>") || has_text(v, i, "<|calls|>");
        has_flush |= has_text(v, i, "<|flush|>");
        has_tool_response |= has_text(v, i, "<|tool_response>");
        if (has_text(v, i, "<|end|>")) end_id = i;
        if (has_text(v, i, "</s>")) s_id = i;
    }
    if (end_id >= 0 && has_call && (has_return || has_flush)) {
        types[end_id] &= (uint8_t)~LMRT_TOKEN_EOG;
        set_type(types, end_id, LMRT_TOKEN_USER_DEFINED);
    }
    /* gemma4 and paddleocr: "</s>" is plain text there */
    if (has_tool_response && s_id >= 0) {
        types[s_id] &= (uint8_t)~LMRT_TOKEN_EOG;
        set_type(types, s_id, LMRT_TOKEN_NORMAL);
    }
    /* attributes by model: jina's <mask> (by pre-tokenizer or architecture) and
     * modern-bert's [MASK] (by general.name) take the whitespace before them
     * along, Phi-3's special tokens (by general.name) the whitespace after them */
    char lower[256];
    size_t k = 0;
    for (; m->name[k] && k + 1 < sizeof lower; k++)
        lower[k] = (char)(m->name[k] >= 'A' && m->name[k] <= 'Z' ? m->name[k] + 32 : m->name[k]);
    lower[k] = 0;
    int32_t id;
    if (strstr(m->pre, "jina-v2-de") || strstr(m->pre, "jina-v2-es") || strstr(m->pre, "jina-v2-code") ||
        strstr(m->arch, "nomic-bert-moe") || strstr(m->arch, "jina-bert-v3")) {
        if ((id = find_text(v, "<mask>")) >= 0) types[id] |= LMRT_TOKEN_LSTRIP;
    } else if (strstr(lower, "phi-3") || strstr(lower, "phi3")) {
        for (int32_t i = 0; i < sp->n_tokens; i++)
            if (is_special_type(types[i])) types[i] |= LMRT_TOKEN_RSTRIP;
        static const char *const keep[] = {"<unk>", "<s>", "<|endoftext|>"};
        if ((id = find_text(v, "</s>")) >= 0) types[id] |= LMRT_TOKEN_RSTRIP;
        for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
            if ((id = find_text(v, keep[i])) >= 0) types[id] &= (uint8_t)~LMRT_TOKEN_RSTRIP;
    } else if (strstr(lower, "modern-bert")) {
        if ((id = find_text(v, "[MASK]")) >= 0) types[id] |= LMRT_TOKEN_LSTRIP;
    }
}

/* Attributes, then the final tables. */
static lmrt_vocab *vocab_finish(vocab_spec *sp, vocab_ids *ids, const vocab_model *m, const char *path) {
    lmrt_vocab *look = vocab_build(sp, path, 0);
    if (!look) return NULL;
    vocab_attributes(sp, look, ids, m);
    free(look);
    sp->bos = ids->bos;
    sp->eos = ids->eos;
    sp->unk = ids->unk;
    return vocab_build(sp, path, 1);
}

void lmcc_vocab_free(lmrt_vocab *v) { free(v); }

/* token id's text for a one-line message: at most 24 bytes, control bytes as '?' */
static const char *token_shown(const lmrt_vocab *v, int id, char *buf, size_t cap) {
    uint32_t n = v->text_off[id + 1] - v->text_off[id];
    size_t k = 0;
    for (uint32_t i = 0; i < n && i < 24 && k + 1 < cap; i++) {
        uint8_t b = v->text[v->text_off[id] + i];
        buf[k++] = b < 0x20 || b == 0x7f ? '?' : (char)b;
    }
    buf[k] = 0;
    return buf;
}

int lmcc_vocab_same(const lmrt_vocab *a, const lmrt_vocab *b, char *why, size_t cap) {
    char ta[32], tb[32];
    if (a->n_tokens != b->n_tokens)
        return snprintf(why, cap, "%d tokens, the target's %d", b->n_tokens, a->n_tokens), -1;
    if (a->type != b->type) return snprintf(why, cap, "another tokenizer model"), -1;
    for (int i = 0; i < a->n_tokens; i++) {
        uint32_t la = a->text_off[i + 1] - a->text_off[i], lb = b->text_off[i + 1] - b->text_off[i];
        if (la != lb || memcmp(a->text + a->text_off[i], b->text + b->text_off[i], la))
            return snprintf(why, cap, "token %d is '%s', the target's '%s'", i, token_shown(b, i, tb, sizeof tb),
                            token_shown(a, i, ta, sizeof ta)), -1;
        if (a->types[i] != b->types[i])
            return snprintf(why, cap, "token %d ('%s') has another type or attributes", i, token_shown(a, i, ta, sizeof ta)), -1;
    }
    if (a->bos_id != b->bos_id || a->eos_id != b->eos_id || a->n_eog != b->n_eog)
        return snprintf(why, cap, "other BOS/EOS/end-of-generation tokens"), -1;
    for (int i = 0; i < a->n_eog; i++)
        if (a->eog_ids[i] != b->eog_ids[i]) return snprintf(why, cap, "other end-of-generation tokens"), -1;
    return 0;
}

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
        .types = types, .add_bos = 1, .add_space_prefix = 1,
    };
    vocab_ids ids = {.bos = 1, .eos = 2, .eot = -1, .eom = -1, .unk = 0, .fim_pre = -1, .fim_suf = -1,
                     .fim_mid = -1, .fim_pad = -1, .fim_rep = -1, .fim_sep = -1};
    vocab_model m = {"", "", ""};
    lmrt_vocab *v = vocab_finish(&sp, &ids, &m, NULL);
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

/* A special id from metadata: an id outside the vocabulary keeps the default, as in llama.cpp. */
static void get_id(const gguf_file *f, const char *key, int n_tokens, int *id) {
    int64_t x;
    char full[96];
    snprintf(full, sizeof full, "tokenizer.ggml.%s", key);
    if (gguf_get_i64(f, full, &x) == 0 && x >= 0 && x < n_tokens) *id = (int)x;
}

static int get_flag(const gguf_file *f, const char *key, int dflt) {
    int64_t x;
    return gguf_get_i64(f, key, &x) == 0 ? x != 0 : dflt;
}

lmrt_vocab *lmcc_vocab_from_gguf(const gguf_file *f, const char *path) {
    char model[64] = "", pre[64] = "", name[256] = "", arch[64] = "";
    if (!gguf_find(f, "tokenizer.ggml.model")) {
        lmcc_error(path, "no tokenizer (tokenizer.ggml.model is absent)");
        return NULL;
    }
    gguf_get_str(f, "tokenizer.ggml.model", model, sizeof model);
    int have_pre = gguf_get_str(f, "tokenizer.ggml.pre", pre, sizeof pre) == 0;
    gguf_get_str(f, "general.name", name, sizeof name);
    gguf_get_str(f, "general.architecture", arch, sizeof arch);
    vocab_spec sp;
    memset(&sp, 0, sizeof sp);
    vocab_ids ids = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
    if (strcmp(model, "llama") == 0) {
        sp.type = LMRT_VOCAB_SPM;
        sp.pre = LMRT_PRE_NONE;
        ids.bos = 1, ids.eos = 2, ids.unk = 0;
        sp.add_bos = 1;
        sp.add_space_prefix = 1;
    } else if (strcmp(model, "gpt2") == 0) {
        sp.type = LMRT_VOCAB_BPE;
        ids.bos = ids.eos = 11; /* llama.cpp's defaults for BPE */
        const vocab_pre *p = NULL;
        for (size_t i = 0; i < sizeof vocab_pres / sizeof vocab_pres[0] && !p; i++)
            if (!strcmp(vocab_pres[i].name, have_pre ? pre : "default")) p = &vocab_pres[i];
        if (!p) {
            lmcc_error(path, "unsupported tokenizer pre-tokenizer '%s' (lmcc supports llama.cpp's llama-bpe, qwen2, "
                       "gpt-2, smollm, gpt-4o, default and the names it maps to those)", pre);
            return NULL;
        }
        sp.pre = p->pre;
        sp.ignore_merges = p->ignore_merges;
        sp.add_bos = p->add_bos;
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
    if (ids.bos >= sp.n_tokens) ids.bos = -1;
    if (ids.eos >= sp.n_tokens) ids.eos = -1;
    if (ids.unk >= sp.n_tokens) ids.unk = -1;
#define X(field, key) get_id(f, key, sp.n_tokens, &ids.field);
    VOCAB_ID_KEYS(X)
#undef X
    sp.add_bos = get_flag(f, "tokenizer.ggml.add_bos_token", sp.add_bos);
    sp.add_eos = get_flag(f, "tokenizer.ggml.add_eos_token", 0);
    if (sp.type == LMRT_VOCAB_SPM)
        sp.add_space_prefix = get_flag(f, "tokenizer.ggml.add_space_prefix", sp.add_space_prefix);

    vb_str *toks = malloc(sizeof *toks * (size_t)n_tok);
    vb_str *merges = malloc(sizeof *merges * (size_t)(n_me ? n_me : 1));
    float *scores = malloc(sizeof *scores * (size_t)n_tok);
    uint8_t *types = malloc((size_t)n_tok);
    size_t n_empty = 0;
    for (uint64_t i = 0; tv && i < n_tok; i++) n_empty += tv->v.arr.items[i].v.s.len == 0;
    char *empty_names = malloc(VOCAB_EMPTY_NAME_BYTES * (n_empty ? n_empty : 1));
    lmrt_vocab *v = NULL;
    if (!toks || !merges || !scores || !types || !empty_names) {
        lmcc_error(path, "out of memory reading the tokenizer");
        goto done;
    }
    n_empty = 0;
    for (uint64_t i = 0; i < n_tok; i++) {
        gguf_value e;
        toks[i].s = tv->v.arr.items[i].v.s.ptr;
        toks[i].n = (size_t)tv->v.arr.items[i].v.s.len;
        if (toks[i].n == 0) { /* llama.cpp names an empty token */
            char *s = empty_names + VOCAB_EMPTY_NAME_BYTES * n_empty++;
            snprintf(s, VOCAB_EMPTY_NAME_BYTES, "[EMPTY_%llu]", (unsigned long long)i);
            toks[i].s = s;
            toks[i].n = strlen(s);
        }
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
    vocab_model m = {name, pre, arch};
    v = vocab_finish(&sp, &ids, &m, path);
done:
    free(toks); free(merges); free(scores); free(types); free(empty_names);
    return v;
}
