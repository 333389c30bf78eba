/* lmrt_tokenizer.h - SentencePiece-BPE and byte-level BPE tokenizers.
 *
 * Both match llama.cpp's tokenizers token for token (llama_vocab::tokenize:
 * llm_tokenizer_spm, llm_tokenizer_bpe with the pre-tokenizer splitters of
 * unicode.cpp), tested against llama.cpp's ids.  The vocabulary is plain
 * const data (built by lmcc's compiler/vocab.c, emitted by codegen/emit_vocab.c):
 * token texts, an open-addressing hash table text -> id (FNV-1a, linear
 * probing) and, for BPE, the merges indexed by rank plus a hash table
 * (left id, right id) -> rank.  The texts and merges are the model file's,
 * so whoever wrote it picks their hashes: no entry of a table sits more than
 * LMRT_TOK_MAX_PROBE slots past its hash (the builder refuses a vocabulary
 * made to collide), and a lookup looks no further.
 *
 * Encoding first splits special tokens out of the text, as llama.cpp's
 * tokenizer_st_partition does: user-defined tokens always, control and
 * unknown tokens only under LMRT_TOK_PARSE_SPECIAL; longer tokens first, so
 * "<|reserved_special_token_10|>" wins over "<|reserved_special_token_1|>"
 * (among tokens of one length the leftmost occurrence wins, where llama.cpp's
 * order is that of an unstable sort).  The text between them is tokenized
 * piece by piece: SPM prefixes every piece with a space when the vocabulary
 * asks for one; BPE runs the pre-tokenizer's splitters (LMRT_PRE_LIST), then
 * the merges.
 *
 * Merging picks the best adjacent pair (SPM: highest score of the merged
 * token; BPE: lowest merge rank), leftmost on ties, through an indexed heap,
 * so encoding is O(n log n).  No heap memory: the scratch space is the tail of
 * the caller's ids array, which must hold LMRT_TOK_CAP(len) entries.
 */
#ifndef LMRT_TOKENIZER_H
#define LMRT_TOKENIZER_H

#include "lmrt_base.h"
#include "lmrt_unicode.h"

#define LMRT_VOCAB_SPM 1    /* tokenizer.ggml.model "llama" */
#define LMRT_VOCAB_BPE 2    /* tokenizer.ggml.model "gpt2" */

/* Splitters: one regex of llama.cpp's pre-tokenizers each, run on a piece of
 * the text; the pieces it cuts go to the next splitter of the chain. */
#define LMRT_SPLIT_END    0 /* end of a chain */
#define LMRT_SPLIT_GPT2   1 /* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
#define LMRT_SPLIT_LLAMA3 2 /* (?i:'s|...)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
#define LMRT_SPLIT_QWEN2  3 /* as LLAMA3 with \p{N} instead of \p{N}{1,3} */
#define LMRT_SPLIT_GPT4O  4 /* [^\r\n\p{L}\p{N}]?\p{Lu}*\p{Ll}+('s|..)?|[^\r\n\p{L}\p{N}]?\p{Lu}+\p{Ll}*('s|..)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+ */
#define LMRT_SPLIT_DIGIT  5 /* \p{N}: every digit alone */
#define LMRT_SPLIT_DIGITS 6 /* \p{N}+ */
#define LMRT_SPLIT_PUNCT  7 /* [\p{P}\$\+<=>\^~\|]+ */
#define LMRT_SPLIT_DIGIT3 8 /* [0-9][0-9][0-9] */

/* Pre-tokenizers (tokenizer.ggml.pre, mapped by compiler/vocab.c): X(id, value, splitters in order). */
#define LMRT_PRE_LIST(X)                                                                          \
    X(NONE, 0, LMRT_SPLIT_END, LMRT_SPLIT_END, LMRT_SPLIT_END, LMRT_SPLIT_END) /* SPM */          \
    X(GPT2, 1, LMRT_SPLIT_GPT2, LMRT_SPLIT_END, LMRT_SPLIT_END, LMRT_SPLIT_END)                   \
    X(LLAMA3, 2, LMRT_SPLIT_LLAMA3, LMRT_SPLIT_END, LMRT_SPLIT_END, LMRT_SPLIT_END)               \
    X(QWEN2, 3, LMRT_SPLIT_QWEN2, LMRT_SPLIT_END, LMRT_SPLIT_END, LMRT_SPLIT_END)                 \
    X(SMOLLM, 4, LMRT_SPLIT_DIGIT, LMRT_SPLIT_GPT2, LMRT_SPLIT_END, LMRT_SPLIT_END)               \
    X(GPT4O, 5, LMRT_SPLIT_GPT4O, LMRT_SPLIT_END, LMRT_SPLIT_END, LMRT_SPLIT_END)                 \
    X(DEFAULT, 6, LMRT_SPLIT_PUNCT, LMRT_SPLIT_GPT2, LMRT_SPLIT_DIGITS, LMRT_SPLIT_DIGIT3)

#define X(id, value, s0, s1, s2, s3) LMRT_PRE_##id = value,
enum { LMRT_PRE_LIST(X) LMRT_PRE_COUNT };
#undef X

#define LMRT_PRE_STAGES 4

/* Splitter k (0-based) of pre-tokenizer pre, LMRT_SPLIT_END past its chain. */
LMRT_INLINE int lmrt_pre_splitter(int pre, int k) {
    switch (pre) {
#define X(id, value, s0, s1, s2, s3) \
    case value: return k == 0 ? s0 : k == 1 ? s1 : k == 2 ? s2 : k == 3 ? s3 : LMRT_SPLIT_END;
    LMRT_PRE_LIST(X)
#undef X
    }
    return LMRT_SPLIT_END;
}

/* GGUF tokenizer.ggml.token_type values: the low bits of lmrt_vocab.types */
#define LMRT_TOKEN_UNDEFINED    0
#define LMRT_TOKEN_NORMAL       1
#define LMRT_TOKEN_UNKNOWN      2
#define LMRT_TOKEN_CONTROL      3
#define LMRT_TOKEN_USER_DEFINED 4
#define LMRT_TOKEN_UNUSED       5
#define LMRT_TOKEN_BYTE         6
#define LMRT_TOKEN_TYPE_MASK 0x07
/* and the attributes llama.cpp gives tokens beyond their type */
#define LMRT_TOKEN_LSTRIP 0x10  /* a split-out occurrence takes the whitespace before it along */
#define LMRT_TOKEN_RSTRIP 0x20  /* ... and after it (llama.cpp gives Phi-3's special tokens this) */
#define LMRT_TOKEN_EOG    0x40  /* generating this token ends the generation */

/* lmrt_encode flags (llama_tokenize's add_special and parse_special) */
#define LMRT_TOK_ADD_SPECIAL   1 /* BOS (and EOS) where the vocabulary's add_bos (add_eos) asks for them */
#define LMRT_TOK_PARSE_SPECIAL 2 /* control tokens written in the text ("<|im_start|>") become their ids */

#define LMRT_TOK_ERR_SPACE (-1)  /* ids / buf too small */
#define LMRT_TOK_ERR_INPUT (-2)  /* invalid text (codepoint > 0x10FFFF) or token id */

/* ids capacity lmrt_encode needs for len bytes of text: the output plus six
 * ints of scratch per byte of (space-escaped or UTF-8-repaired) text, which
 * can be 3x the input, and a byte per input byte marking special tokens:
 * at most 21.75 len + len / 4 + 40 ints (see lmrt_encode). */
#define LMRT_TOK_CAP_PER_BYTE 23
#define LMRT_TOK_CAP_BASE 48
#define LMRT_TOK_CAP(len) (LMRT_TOK_CAP_PER_BYTE * (size_t)(len) + LMRT_TOK_CAP_BASE)

typedef struct lmrt_vocab {
    int type;               /* LMRT_VOCAB_* */
    int pre;                /* LMRT_PRE_* */
    int n_tokens;
    int bos_id, eos_id, unk_id;     /* -1 if absent */
    int add_bos, add_eos;   /* tokenizer.ggml.add_bos_token / add_eos_token: LMRT_TOK_ADD_SPECIAL adds them */
    int add_space_prefix;   /* SPM: prefix every piece of text with a space */
    int ignore_merges;      /* BPE: a pre-token that is a whole token is not merged (llama3) */
    int n_merges;
    uint32_t hash_mask;     /* hash has hash_mask + 1 slots (a power of two) */
    uint32_t merge_mask;
    const uint8_t *text;        /* all token texts, concatenated */
    const uint32_t *text_off;   /* [n_tokens + 1]: token i is text[text_off[i] .. text_off[i + 1]) */
    const float *scores;        /* [n_tokens], SPM only (NULL for BPE) */
    const uint8_t *types;       /* [n_tokens] LMRT_TOKEN_* type | attributes */
    const int32_t *hash;        /* [hash_mask + 1]: token id or -1 */
    const int32_t *merges;      /* [n_merges][3]: left id, right id, merged id; index = rank */
    const int32_t *merge_hash;  /* [merge_mask + 1]: rank or -1 */
    const int32_t *byte_tok;    /* [256]: token of a raw byte (SPM <0xNN>, BPE its byte-level char), or -1 */
    /* the tokens split out of the text before tokenizing (user-defined, control, unknown) */
    int n_special_lens;
    uint32_t special_mask;
    const int32_t *special_lens;  /* [n_special_lens]: their distinct byte lengths, longest first */
    const int32_t *special_hash;  /* [special_mask + 1]: text -> id of such a token, or -1 */
    const uint8_t *special_first; /* [32]: bit b set when some such token starts with byte b */
    int n_eog;
    const int32_t *eog_ids;       /* [n_eog]: the LMRT_TOKEN_EOG tokens, ascending */
} lmrt_vocab;

/* The most slots an entry of a vocabulary table may sit past its hash.  Tables
 * are at most half full; in real vocabularies no entry is more than 38 slots
 * out (llama3's 128k texts, 49% full; gpt-2, qwen2, llama, phi-3: 13-25), while
 * texts that collide on purpose cost the builder at most this many probes
 * each before it refuses them. */
#define LMRT_TOK_MAX_PROBE 256u

#define LMRT_TOK_HASH_INIT 2166136261u
LMRT_INLINE uint32_t lmrt_tok_hash_step(uint32_t h, uint8_t b) { return (h ^ b) * 16777619u; }

LMRT_INLINE uint32_t lmrt_tok_hash(const uint8_t *s, size_t n) {
    uint32_t h = LMRT_TOK_HASH_INIT;
    for (size_t i = 0; i < n; i++) h = lmrt_tok_hash_step(h, s[i]);
    return h;
}

LMRT_INLINE uint32_t lmrt_merge_hash(int32_t a, int32_t b) {
    uint32_t h = (uint32_t)a * 0x9E3779B1u ^ ((uint32_t)b + 0x7F4A7C15u) * 0x85EBCA77u;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    return h ^ (h >> 13);
}

/* The id table[] (a text hash of mask + 1 slots) holds for the text s[0..n), or -1. */
LMRT_API int32_t lmrt_vocab_lookup_(const lmrt_vocab *v, const int32_t *table, uint32_t mask, const uint8_t *s,
                                    size_t n) {
    for (uint32_t i = lmrt_tok_hash(s, n) & mask, probe = 0; probe <= LMRT_TOK_MAX_PROBE; i = (i + 1) & mask, probe++) {
        int32_t id = table[i];
        if (id < 0) return -1;
        const uint8_t *t = v->text + v->text_off[id];
        if ((size_t)(v->text_off[id + 1] - v->text_off[id]) != n) continue;
        size_t k = 0;
        while (k < n && t[k] == s[k]) k++;
        if (k == n) return id;
    }
    return -1;
}

/* Token id of the text s[0..n), or -1. */
LMRT_API int32_t lmrt_vocab_find(const lmrt_vocab *v, const uint8_t *s, size_t n) {
    return lmrt_vocab_lookup_(v, v->hash, v->hash_mask, s, n);
}

/* Rank of the merge (a, b), or -1. */
LMRT_API int32_t lmrt_vocab_merge_rank(const lmrt_vocab *v, int32_t a, int32_t b) {
    if (v->n_merges == 0 || a < 0 || b < 0) return -1;
    for (uint32_t i = lmrt_merge_hash(a, b) & v->merge_mask, probe = 0; probe <= LMRT_TOK_MAX_PROBE;
         i = (i + 1) & v->merge_mask, probe++) {
        int32_t r = v->merge_hash[i];
        if (r < 0) return -1;
        if (v->merges[3 * r] == a && v->merges[3 * r + 1] == b) return r;
    }
    return -1;
}

/* GPT-2's bytes_to_unicode(): printable Latin-1 bytes map to themselves, the
 * other 68 to U+0100.. in byte order. */
LMRT_INLINE uint32_t lmrt_bytelevel_cpt(uint8_t b) {
    if ((b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae) return b;
    if (b <= 0x20) return 256u + b;
    if (b <= 0xa0) return 256u + 33u + (uint32_t)(b - 0x7f);
    return 256u + 67u; /* 0xad */
}

/* Inverse of lmrt_bytelevel_cpt; -1 if cpt is not a byte-level char. */
LMRT_INLINE int lmrt_bytelevel_byte(uint32_t cpt) {
    if ((cpt >= 0x21 && cpt <= 0x7e) || (cpt >= 0xa1 && cpt <= 0xac) || (cpt >= 0xae && cpt <= 0xff))
        return (int)cpt;
    if (cpt >= 256u && cpt <= 288u) return (int)(cpt - 256u);
    if (cpt >= 289u && cpt <= 322u) return (int)(cpt - 289u + 0x7fu);
    if (cpt == 323u) return 0xad;
    return -1;
}

/* Token id of the byte-level encoding of raw[0..n), or -1. */
LMRT_API int32_t lmrt_vocab_find_bytelevel(const lmrt_vocab *v, const uint8_t *raw, size_t n) {
    uint32_t h = LMRT_TOK_HASH_INIT;
    size_t enc_len = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t u[4];
        int k = lmrt_utf8_encode(lmrt_bytelevel_cpt(raw[i]), u);
        for (int j = 0; j < k; j++) h = lmrt_tok_hash_step(h, u[j]);
        enc_len += (size_t)k;
    }
    for (uint32_t i = h & v->hash_mask, probe = 0; probe <= LMRT_TOK_MAX_PROBE; i = (i + 1) & v->hash_mask, probe++) {
        int32_t id = v->hash[i];
        if (id < 0) return -1;
        if ((size_t)(v->text_off[id + 1] - v->text_off[id]) != enc_len) continue;
        const uint8_t *t = v->text + v->text_off[id];
        size_t pos = 0, r = 0;
        for (; r < n; r++) {
            uint8_t u[4];
            int k = lmrt_utf8_encode(lmrt_bytelevel_cpt(raw[r]), u), j = 0;
            while (j < k && t[pos + (size_t)j] == u[j]) j++;
            if (j < k) break;
            pos += (size_t)k;
        }
        if (r == n) return id;
    }
    return -1;
}

/* ---- merge engine: symbols are indexed by their first byte in buf[0..n);
 * nxt/prv link live symbols (-1 at the ends); pair[i] describes the pair
 * (i, nxt[i]): SPM the merged token, BPE the merge rank, -1 if none. */
typedef struct lmrt_tok_work_ {
    const lmrt_vocab *v;
    const uint8_t *buf;
    int32_t n;
    int32_t *nxt, *prv, *pair, *tok, *heap, *hpos;
    int32_t heap_n;
} lmrt_tok_work_;

LMRT_INLINE int lmrt_tok_better_(const lmrt_tok_work_ *w, int32_t a, int32_t b) {
    int32_t pa = w->pair[a], pb = w->pair[b];
    if (w->v->type == LMRT_VOCAB_SPM) {
        float sa = w->v->scores[pa], sb = w->v->scores[pb];
        if (sa != sb) return sa > sb;
    } else if (pa != pb) {
        return pa < pb;
    }
    return a < b;
}

LMRT_INLINE void lmrt_tok_heap_set_(lmrt_tok_work_ *w, int32_t at, int32_t sym) {
    w->heap[at] = sym;
    w->hpos[sym] = at;
}

LMRT_API void lmrt_tok_heap_fix_(lmrt_tok_work_ *w, int32_t at) {
    int32_t sym = w->heap[at];
    while (at > 0 && lmrt_tok_better_(w, sym, w->heap[(at - 1) / 2])) {
        lmrt_tok_heap_set_(w, at, w->heap[(at - 1) / 2]);
        at = (at - 1) / 2;
    }
    for (;;) {
        int32_t c = 2 * at + 1;
        if (c >= w->heap_n) break;
        if (c + 1 < w->heap_n && lmrt_tok_better_(w, w->heap[c + 1], w->heap[c])) c++;
        if (!lmrt_tok_better_(w, w->heap[c], sym)) break;
        lmrt_tok_heap_set_(w, at, w->heap[c]);
        at = c;
    }
    lmrt_tok_heap_set_(w, at, sym);
}

LMRT_API void lmrt_tok_heap_remove_(lmrt_tok_work_ *w, int32_t sym) {
    int32_t at = w->hpos[sym];
    if (at < 0) return;
    w->hpos[sym] = -1;
    int32_t last = w->heap[--w->heap_n];
    if (at < w->heap_n) {
        w->heap[at] = last;
        lmrt_tok_heap_fix_(w, at);
    }
}

/* Recomputes the pair starting at symbol l and its heap entry. */
LMRT_API void lmrt_tok_update_pair_(lmrt_tok_work_ *w, int32_t l) {
    if (l < 0) return;
    int32_t r = w->nxt[l], p = -1;
    if (r >= 0) {
        if (w->v->type == LMRT_VOCAB_SPM) {
            int32_t end = w->nxt[r] < 0 ? w->n : w->nxt[r];
            p = lmrt_vocab_find(w->v, w->buf + l, (size_t)(end - l));
        } else {
            p = lmrt_vocab_merge_rank(w->v, w->tok[l], w->tok[r]);
        }
    }
    w->pair[l] = p;
    if (p < 0) {
        lmrt_tok_heap_remove_(w, l);
    } else if (w->hpos[l] < 0) {
        lmrt_tok_heap_set_(w, w->heap_n, l);
        w->heap_n++;
        lmrt_tok_heap_fix_(w, w->heap_n - 1);
    } else {
        lmrt_tok_heap_fix_(w, w->hpos[l]);
    }
}

/* Merges until no pair is left.  Symbols must be linked and hpos[] = -1. */
LMRT_API void lmrt_tok_merge_(lmrt_tok_work_ *w, int32_t first) {
    w->heap_n = 0;
    for (int32_t i = first; i >= 0; i = w->nxt[i]) lmrt_tok_update_pair_(w, i);
    while (w->heap_n > 0) {
        int32_t l = w->heap[0], r = w->nxt[l];
        if (w->v->type == LMRT_VOCAB_BPE) w->tok[l] = w->v->merges[3 * w->pair[l] + 2];
        lmrt_tok_heap_remove_(w, r);
        w->nxt[l] = w->nxt[r];
        if (w->nxt[r] >= 0) w->prv[w->nxt[r]] = l;
        lmrt_tok_update_pair_(w, w->prv[l]);
        lmrt_tok_update_pair_(w, l);
    }
}

/* Points the six scratch arrays (n + 1 ints each) and a byte buffer of n
 * bytes at the tail of ids; returns the byte buffer or NULL if ids[used..cap)
 * cannot also take max_out more tokens. */
LMRT_API uint8_t *lmrt_tok_scratch_(lmrt_tok_work_ *w, int32_t *ids, size_t cap, size_t used,
                                    size_t n, size_t max_out) {
    size_t need = 6 * (n + 1) + (n + 3) / 4;
    if (cap < used || cap - used < need || cap - used - need < max_out) return NULL;
    int32_t *s = ids + (cap - need);
    w->nxt = s; w->prv = s + (n + 1); w->pair = s + 2 * (n + 1); w->tok = s + 3 * (n + 1);
    w->heap = s + 4 * (n + 1); w->hpos = s + 5 * (n + 1);
    return (uint8_t *)(s + 6 * (n + 1));
}

LMRT_API int lmrt_encode_spm_(const lmrt_vocab *v, const uint8_t *text, size_t len, int32_t *ids,
                              size_t cap, size_t nout) {
    int prefix = v->add_space_prefix && len > 0;
    size_t e = (size_t)prefix * 3;
    for (size_t i = 0; i < len; i++) e += text[i] == ' ' ? 3 : 1;
    if (e > 0x3fffffff) return LMRT_TOK_ERR_INPUT;
    lmrt_tok_work_ w;
    /* byte fallback: at most one token per escaped byte */
    uint8_t *buf = lmrt_tok_scratch_(&w, ids, cap, nout, e, e);
    if (!buf) return LMRT_TOK_ERR_SPACE;
    size_t k = 0;
    for (size_t i = 0; i < len + (size_t)prefix; i++) {
        uint8_t c = prefix && i == 0 ? ' ' : text[i - (size_t)prefix];
        if (c == ' ') { buf[k++] = 0xe2; buf[k++] = 0x96; buf[k++] = 0x81; } /* U+2581 */
        else buf[k++] = c;
    }
    w.v = v; w.buf = buf; w.n = (int32_t)e;
    if (e == 0) return (int)nout;
    int32_t prev = -1;
    for (size_t i = 0; i < e;) {
        size_t l = (size_t)lmrt_utf8_len(buf[i]);
        if (l > e - i) l = e - i;
        w.prv[i] = prev;
        w.nxt[i] = i + l < e ? (int32_t)(i + l) : -1;
        w.hpos[i] = -1;
        prev = (int32_t)i;
        i += l;
    }
    lmrt_tok_merge_(&w, 0);
    for (int32_t i = 0; i >= 0; i = w.nxt[i]) {
        int32_t end = w.nxt[i] < 0 ? w.n : w.nxt[i];
        int32_t id = lmrt_vocab_find(v, buf + i, (size_t)(end - i));
        if (id >= 0) {
            ids[nout++] = id;
            continue;
        }
        for (int32_t j = i; j < end; j++) {
            int32_t b = v->byte_tok[buf[j]];
            if (b < 0) b = v->unk_id;
            if (b >= 0) ids[nout++] = b;
        }
    }
    return (int)nout;
}

LMRT_INLINE uint32_t lmrt_pre_cpt_(const uint8_t *s, size_t len, size_t pos, size_t *next) {
    *next = pos;
    if (pos >= len) return 0xFFFFFFFFu;
    return lmrt_utf8_decode(s, len, next);
}

/* class at pos, -1 past the end */
LMRT_INLINE int lmrt_pre_cls_(const uint8_t *s, size_t len, size_t pos) {
    size_t n;
    if (pos >= len) return -1;
    return lmrt_unicode_class(lmrt_pre_cpt_(s, len, pos, &n));
}

LMRT_INLINE size_t lmrt_pre_skip_(const uint8_t *s, size_t len, size_t pos) {
    size_t n;
    lmrt_pre_cpt_(s, len, pos, &n);
    return n;
}

LMRT_INLINE int lmrt_pre_punct_(int k) {
    return k >= 0 && k != LMRT_UC_SPACE && k != LMRT_UC_LETTER && k != LMRT_UC_NUMBER;
}

LMRT_INLINE uint32_t lmrt_ascii_lower_(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* 's 't 're 've 'm 'll 'd (any case when icase) at pos: its end, or pos */
LMRT_API size_t lmrt_pre_contraction_(const uint8_t *s, size_t len, size_t pos, int icase) {
    size_t p1, p2, p3;
    if (lmrt_pre_cpt_(s, len, pos, &p1) != '\'' || p1 >= len) return pos;
    uint32_t c1 = lmrt_pre_cpt_(s, len, p1, &p2);
    if (icase) c1 = lmrt_ascii_lower_(c1);
    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return p2;
    if (p2 < len) {
        uint32_t c2 = lmrt_pre_cpt_(s, len, p2, &p3);
        if (icase) c2 = lmrt_ascii_lower_(c2);
        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return p3;
    }
    return pos;
}

/* The whitespace alternatives at pos (a whitespace codepoint): \s*[\r\n]+
 * (when rn), \s+(?!\S), \s+; len is the end of the piece being split, which
 * counts as the end of the text. */
LMRT_API size_t lmrt_pre_spaces_(const uint8_t *s, size_t len, size_t pos, int rn) {
    size_t n_ws = 0, last = pos, end_rn = 0, q = pos;
    while (lmrt_pre_cls_(s, len, q) == LMRT_UC_SPACE) {
        size_t nx;
        uint32_t w = lmrt_pre_cpt_(s, len, q, &nx);
        if (w == '\r' || w == '\n') end_rn = nx;
        last = q;
        q = nx;
        n_ws++;
    }
    if (rn && end_rn > 0) return end_rn;
    if (n_ws > 1 && q < len) return last;
    return q;
}

/* End of the piece starting at pos (< len) for GPT2, LLAMA3 and QWEN2: a
 * hand-written scanner per regex, mirroring llama.cpp's unicode_regex_split_custom_*. */
LMRT_API size_t lmrt_pre_next_(int split, const uint8_t *s, size_t len, size_t pos) {
    size_t p1, q = lmrt_pre_contraction_(s, len, pos, split != LMRT_SPLIT_GPT2);
    if (q != pos) return q;
    uint32_t c = lmrt_pre_cpt_(s, len, pos, &p1);
    int k = lmrt_pre_cls_(s, len, pos);
    if (split == LMRT_SPLIT_GPT2) {
        q = c == ' ' ? p1 : pos;
        int k2 = lmrt_pre_cls_(s, len, q);
        if (k2 == LMRT_UC_LETTER || k2 == LMRT_UC_NUMBER) {  /* ' ?\p{L}+', ' ?\p{N}+' */
            while (lmrt_pre_cls_(s, len, q) == k2) q = lmrt_pre_skip_(s, len, q);
            return q;
        }
        if (lmrt_pre_punct_(k2)) {                             /* ' ?[^\s\p{L}\p{N}]+' */
            while (lmrt_pre_punct_(lmrt_pre_cls_(s, len, q))) q = lmrt_pre_skip_(s, len, q);
            return q;
        }
    } else {
        if (!(c == '\r' || c == '\n' || k == LMRT_UC_NUMBER)) {  /* [^\r\n\p{L}\p{N}]?\p{L}+ */
            if (k == LMRT_UC_LETTER || lmrt_pre_cls_(s, len, p1) == LMRT_UC_LETTER) {
                q = p1;
                while (lmrt_pre_cls_(s, len, q) == LMRT_UC_LETTER) q = lmrt_pre_skip_(s, len, q);
                return q;
            }
        }
        if (k == LMRT_UC_NUMBER) {                              /* \p{N}{1,3} or \p{N} */
            int max = split == LMRT_SPLIT_LLAMA3 ? 3 : 1;
            q = pos;
            for (int i = 0; i < max && lmrt_pre_cls_(s, len, q) == LMRT_UC_NUMBER; i++)
                q = lmrt_pre_skip_(s, len, q);
            return q;
        }
        q = c == ' ' ? p1 : pos;                                /* ' ?[^\s\p{L}\p{N}]+[\r\n]*' */
        int k2 = lmrt_pre_cls_(s, len, q);
        if (k2 < 0 || lmrt_pre_punct_(k2)) {
            while (lmrt_pre_punct_(lmrt_pre_cls_(s, len, q))) q = lmrt_pre_skip_(s, len, q);
            while (q < len && (s[q] == '\r' || s[q] == '\n')) q++;
            return q;
        }
    }
    q = lmrt_pre_spaces_(s, len, pos, split != LMRT_SPLIT_GPT2);
    return q > pos ? q : p1;
}

/* Classes of the splitters llama.cpp runs through std::regex on its
 * "collapsed" text (every codepoint >= 128 replaced by one byte for its class):
 * there only ASCII letters have a case, any other letter is upper and lower
 * case at once, and \s is C's isspace for ASCII. */
#define LMRT_RX_UPPER  1  /* (?=\p{L})[^a-z] */
#define LMRT_RX_LOWER  2  /* (?=\p{L})[^A-Z] */
#define LMRT_RX_NUMBER 4  /* \p{N} */
#define LMRT_RX_SPACE  8  /* \s */
#define LMRT_RX_PUNCT  16 /* [\p{P}\$\+<=>\^~\|] */

LMRT_API int lmrt_rx_class_(uint32_t c) {
    if (c < 128) {
        if (c >= 'A' && c <= 'Z') return LMRT_RX_UPPER;
        if (c >= 'a' && c <= 'z') return LMRT_RX_LOWER;
        if (c >= '0' && c <= '9') return LMRT_RX_NUMBER;
        if (c == ' ' || (c >= '\t' && c <= '\r')) return LMRT_RX_SPACE;
        /* ASCII \p{P} plus the symbols the default pre-tokenizer lists ('`' is in neither) */
        if ((c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '_') || (c >= '{' && c <= '~'))
            return LMRT_RX_PUNCT;
        return 0;
    }
    switch (lmrt_unicode_class(c)) {
    case LMRT_UC_LETTER: return LMRT_RX_UPPER | LMRT_RX_LOWER;
    case LMRT_UC_NUMBER: return LMRT_RX_NUMBER;
    case LMRT_UC_SPACE: return LMRT_RX_SPACE;
    case LMRT_UC_PUNCT: return LMRT_RX_PUNCT;
    default: return 0;
    }
}

/* class of the codepoint at pos, whose end goes to *next; -1 past the end */
LMRT_INLINE int lmrt_rx_at_(const uint8_t *s, size_t len, size_t pos, size_t *next) {
    *next = pos;
    if (pos >= len) return -1;
    return lmrt_rx_class_(lmrt_utf8_decode(s, len, next));
}

/* 1 if the codepoint at pos (< len) has one of the class bits m */
LMRT_INLINE int lmrt_rx_is_(const uint8_t *s, size_t len, size_t pos, int m, size_t *next) {
    int k = lmrt_rx_at_(s, len, pos, next);
    return k >= 0 && (k & m) != 0;
}

/* End of the run of codepoints at pos whose class has (want) or lacks (!want) the bits m. */
LMRT_API size_t lmrt_rx_run_(const uint8_t *s, size_t len, size_t pos, int m, int want) {
    size_t nx;
    for (int k; (k = lmrt_rx_at_(s, len, pos, &nx)) >= 0 && ((k & m) != 0) == want;) pos = nx;
    return pos;
}

/* gpt-4o's regex as ECMAScript runs it (first alternative that matches, greedy with backtracking). */
LMRT_API size_t lmrt_pre_gpt4o_(const uint8_t *s, size_t len, size_t pos) {
    const int letter = LMRT_RX_UPPER | LMRT_RX_LOWER;
    size_t p1, nx;
    uint32_t c = lmrt_pre_cpt_(s, len, pos, &p1);
    int k = lmrt_rx_class_(c);
    /* [^\r\n\p{L}\p{N}]? before the letters; backtracking to no prefix cannot
     * help either alternative, as then a non-letter would have to start them */
    size_t q = (k & (letter | LMRT_RX_NUMBER)) || c == '\r' || c == '\n' ? pos : p1;
    /* \p{Lu}*\p{Ll}+: the longest upper-case run, given back until a lower-case letter follows */
    size_t at = q, lower_at = len + 1;
    for (int kk; (kk = lmrt_rx_at_(s, len, at, &nx)) >= 0 && (kk & LMRT_RX_UPPER); at = nx)
        if (kk & LMRT_RX_LOWER) lower_at = at;
    if (lmrt_rx_is_(s, len, at, LMRT_RX_LOWER, &nx)) lower_at = at;
    if (lower_at <= len)
        return lmrt_pre_contraction_(s, len, lmrt_rx_run_(s, len, lower_at, LMRT_RX_LOWER, 1), 1);
    /* \p{Lu}+\p{Ll}* */
    if (at > q) return lmrt_pre_contraction_(s, len, lmrt_rx_run_(s, len, at, LMRT_RX_LOWER, 1), 1);
    if (k & LMRT_RX_NUMBER) {                                   /* \p{N}{1,3} */
        q = pos;
        for (int i = 0; i < 3 && lmrt_rx_is_(s, len, q, LMRT_RX_NUMBER, &nx); i++) q = nx;
        return q;
    }
    q = c == ' ' ? p1 : pos;                                    /* ' ?[^\s\p{L}\p{N}]+[\r\n/]*' */
    int k2 = lmrt_rx_at_(s, len, q, &nx);
    if (k2 >= 0 && !(k2 & (letter | LMRT_RX_NUMBER | LMRT_RX_SPACE))) {
        q = lmrt_rx_run_(s, len, q, letter | LMRT_RX_NUMBER | LMRT_RX_SPACE, 0);
        while (q < len && (s[q] == '\r' || s[q] == '\n' || s[q] == '/')) q++;
        return q;
    }
    q = lmrt_pre_spaces_(s, len, pos, 1);
    return q > pos ? q : p1;
}

/* End of the piece starting at pos (< len) under splitter split: a match of
 * its regex or, for the std::regex ones, the text up to the next match. */
LMRT_API size_t lmrt_split_next_(int split, const uint8_t *s, size_t len, size_t pos) {
    size_t nx;
    int k = lmrt_rx_at_(s, len, pos, &nx);
    switch (split) {
    case LMRT_SPLIT_GPT2:
    case LMRT_SPLIT_LLAMA3:
    case LMRT_SPLIT_QWEN2: return lmrt_pre_next_(split, s, len, pos);
    case LMRT_SPLIT_GPT4O: return lmrt_pre_gpt4o_(s, len, pos);
    case LMRT_SPLIT_DIGIT: return k & LMRT_RX_NUMBER ? nx : lmrt_rx_run_(s, len, pos, LMRT_RX_NUMBER, 0);
    case LMRT_SPLIT_DIGITS: return lmrt_rx_run_(s, len, pos, LMRT_RX_NUMBER, (k & LMRT_RX_NUMBER) != 0);
    case LMRT_SPLIT_PUNCT: return lmrt_rx_run_(s, len, pos, LMRT_RX_PUNCT, (k & LMRT_RX_PUNCT) != 0);
    case LMRT_SPLIT_DIGIT3: {
        size_t q = pos;
        for (;;) {
            size_t e = q;
            while (e < len && e - q < 3 && s[e] >= '0' && s[e] <= '9') e++;
            if (e - q == 3) return q == pos ? e : q;
            if (q >= len) return len;
            q = lmrt_pre_skip_(s, len, q);
        }
    }
    default: return len;
    }
}

/* One pre-token: merged into ids[*nout..]. */
LMRT_API int lmrt_bpe_word_(const lmrt_vocab *v, const uint8_t *text, size_t len, int32_t *ids, size_t cap,
                            size_t *nout) {
    /* llama.cpp re-encodes the decoded codepoints: malformed bytes become U+FFFD */
    size_t n = 0;
    for (size_t p = 0; p < len;) {
        uint32_t cpt = lmrt_utf8_decode(text, len, &p);
        uint8_t u[4];
        int k = lmrt_utf8_encode(cpt, u);
        if (k == 0) return LMRT_TOK_ERR_INPUT;
        n += (size_t)k;
    }
    lmrt_tok_work_ w;
    uint8_t *raw = lmrt_tok_scratch_(&w, ids, cap, *nout, n, n);
    if (!raw) return LMRT_TOK_ERR_SPACE;
    n = 0;
    for (size_t p = 0; p < len;) n += (size_t)lmrt_utf8_encode(lmrt_utf8_decode(text, len, &p), raw + n);
    if (v->ignore_merges) {
        int32_t id = lmrt_vocab_find_bytelevel(v, raw, n);
        if (id >= 0) { ids[(*nout)++] = id; return 0; }
    }
    w.v = v; w.buf = raw; w.n = (int32_t)n;
    for (size_t i = 0; i < n; i++) {
        w.prv[i] = (int32_t)i - 1;
        w.nxt[i] = i + 1 < n ? (int32_t)(i + 1) : -1;
        w.tok[i] = v->byte_tok[raw[i]];
        w.hpos[i] = -1;
    }
    lmrt_tok_merge_(&w, 0);
    /* a byte without a token is dropped, as llama.cpp does */
    for (int32_t i = 0; i >= 0; i = w.nxt[i])
        if (w.tok[i] >= 0) ids[(*nout)++] = w.tok[i];
    return 0;
}

/* text[0..len) through splitters stage.. of the pre-tokenizer, then merged:
 * every splitter cuts the pieces of the one before (depth LMRT_PRE_STAGES). */
LMRT_API int lmrt_encode_bpe_(const lmrt_vocab *v, const uint8_t *text, size_t len, int stage, int32_t *ids,
                              size_t cap, size_t *nout) {
    int split = stage < LMRT_PRE_STAGES ? lmrt_pre_splitter(v->pre, stage) : LMRT_SPLIT_END;
    if (split == LMRT_SPLIT_END) return len ? lmrt_bpe_word_(v, text, len, ids, cap, nout) : 0;
    for (size_t pos = 0; pos < len;) {
        size_t end = lmrt_split_next_(split, text, len, pos);
        int rc = lmrt_encode_bpe_(v, text + pos, end - pos, stage + 1, ids, cap, nout);
        if (rc < 0) return rc;
        pos = end;
    }
    return 0;
}

/* Token id of the special token (user-defined, control, unknown) with text s[0..n), or -1. */
LMRT_API int32_t lmrt_vocab_find_special(const lmrt_vocab *v, const uint8_t *s, size_t n) {
    return v->n_special_lens ? lmrt_vocab_lookup_(v, v->special_hash, v->special_mask, s, n) : -1;
}

/* states of the text's bytes while special tokens are split out */
#define LMRT_SPLIT_FREE 0    /* text to tokenize */
#define LMRT_SPLIT_TOKEN 1   /* first byte of a special token */
#define LMRT_SPLIT_COVERED 2 /* the rest of it */
#define LMRT_SPLIT_DROPPED 3 /* whitespace an LSTRIP/RSTRIP token took along */

LMRT_INLINE int lmrt_isspace_(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/* Marks the special tokens of text[0..len) in mark[0..len), longest first. */
LMRT_API void lmrt_split_special_(const lmrt_vocab *v, const uint8_t *s, size_t len, int parse, uint8_t *mark) {
    for (int li = 0; li < v->n_special_lens; li++) {
        size_t L = (size_t)v->special_lens[li];
        for (size_t i = 0; L <= len && i <= len - L; i++) {
            if (mark[i] != LMRT_SPLIT_FREE || !((v->special_first[s[i] >> 3] >> (s[i] & 7)) & 1)) continue;
            size_t k = 1;
            while (k < L && mark[i + k] == LMRT_SPLIT_FREE) k++;
            if (k < L) { i += k; continue; }
            int32_t id = lmrt_vocab_find_special(v, s + i, L);
            if (id < 0) continue;
            int ty = v->types[id];
            if ((ty & LMRT_TOKEN_TYPE_MASK) != LMRT_TOKEN_USER_DEFINED && !parse) continue;
            mark[i] = LMRT_SPLIT_TOKEN;
            for (k = 1; k < L; k++) mark[i + k] = LMRT_SPLIT_COVERED;
            if (ty & LMRT_TOKEN_LSTRIP)
                for (size_t j = i; j > 0 && mark[j - 1] == LMRT_SPLIT_FREE && lmrt_isspace_(s[j - 1]); j--)
                    mark[j - 1] = LMRT_SPLIT_DROPPED;
            if (ty & LMRT_TOKEN_RSTRIP)
                for (size_t j = i + L; j < len && mark[j] == LMRT_SPLIT_FREE && lmrt_isspace_(s[j]); j++)
                    mark[j] = LMRT_SPLIT_DROPPED;
            i += L - 1;
        }
    }
}

/* Tokenizes text[0..len) into ids; returns the number of ids or LMRT_TOK_ERR_*.
 * flags: LMRT_TOK_ADD_SPECIAL, LMRT_TOK_PARSE_SPECIAL (1 alone = BOS as the
 * model wants, the usual call).  cap must be at least LMRT_TOK_CAP(len): the
 * tail of ids is scratch space (a byte per text byte marking the special
 * tokens, and the scratch of one piece at a time; every piece's output ends
 * before the scratch of the next). */
LMRT_API int lmrt_encode(const lmrt_vocab *v, const char *text, size_t len, int flags, int32_t *ids, int cap) {
    if (cap < 0 || len > 0x3fffffff || (!text && len)) return LMRT_TOK_ERR_INPUT;
    const uint8_t *s = (const uint8_t *)text;
    size_t nout = 0, mark_ints = v->n_special_lens ? (len + 3) / 4 : 0;
    if ((size_t)cap < mark_ints) return LMRT_TOK_ERR_SPACE;
    size_t room = (size_t)cap - mark_ints; /* ids[room..cap) holds the marks */
    uint8_t *mark = (uint8_t *)(ids + room);
    if ((flags & LMRT_TOK_ADD_SPECIAL) && v->add_bos && v->bos_id >= 0) {
        if (nout >= room) return LMRT_TOK_ERR_SPACE;
        ids[nout++] = v->bos_id;
    }
    if (mark_ints) {
        for (size_t i = 0; i < len; i++) mark[i] = LMRT_SPLIT_FREE;
        lmrt_split_special_(v, s, len, (flags & LMRT_TOK_PARSE_SPECIAL) != 0, mark);
    }
    for (size_t pos = 0; pos < len;) {
        size_t end = pos + 1;
        if (mark_ints && mark[pos] == LMRT_SPLIT_DROPPED) { pos = end; continue; }
        if (mark_ints && mark[pos] == LMRT_SPLIT_TOKEN) {
            while (end < len && mark[end] == LMRT_SPLIT_COVERED) end++;
            if (nout >= room) return LMRT_TOK_ERR_SPACE;
            ids[nout++] = lmrt_vocab_find_special(v, s + pos, end - pos);
            pos = end;
            continue;
        }
        end = len;
        if (mark_ints) for (end = pos; end < len && mark[end] == LMRT_SPLIT_FREE;) end++;
        int rc;
        if (v->type == LMRT_VOCAB_SPM) rc = lmrt_encode_spm_(v, s + pos, end - pos, ids, room, nout);
        else if (v->type == LMRT_VOCAB_BPE) rc = lmrt_encode_bpe_(v, s + pos, end - pos, 0, ids, room, &nout);
        else return LMRT_TOK_ERR_INPUT;
        if (rc < 0) return rc;
        if (v->type == LMRT_VOCAB_SPM) nout = (size_t)rc;
        pos = end;
    }
    if ((flags & LMRT_TOK_ADD_SPECIAL) && v->add_eos && v->eos_id >= 0) {
        if (nout >= room) return LMRT_TOK_ERR_SPACE;
        ids[nout++] = v->eos_id;
    }
    return (int)nout;
}

/* 1 if generating id ends the generation (eos, eot, eom and the rest of llama.cpp's EOG set). */
LMRT_API int lmrt_token_is_eog(const lmrt_vocab *v, int id) {
    return id >= 0 && id < v->n_tokens && (v->types[id] & LMRT_TOKEN_EOG) != 0;
}

/* Writes the bytes of token id into buf (no NUL); returns their count or
 * LMRT_TOK_ERR_*.  Control, unknown and unused tokens give "".  SPM: U+2581 ->
 * ' ', <0xNN> -> the byte, and a leading space after BOS (prev_id) is dropped,
 * like llama2.c.  BPE: byte-level chars -> bytes. */
LMRT_API int lmrt_decode_piece(const lmrt_vocab *v, int prev_id, int id, char *buf, int cap) {
    if (id < 0 || id >= v->n_tokens || cap < 0) return LMRT_TOK_ERR_INPUT;
    int type = v->types ? v->types[id] & LMRT_TOKEN_TYPE_MASK : LMRT_TOKEN_NORMAL;
    const uint8_t *t = v->text + v->text_off[id];
    size_t n = v->text_off[id + 1] - v->text_off[id];
    int out = 0;
    if (type == LMRT_TOKEN_USER_DEFINED) {
        if (n > (size_t)cap) return LMRT_TOK_ERR_SPACE;
        lmrt_memcpy(buf, t, n);
        return (int)n;
    }
    if (type != LMRT_TOKEN_NORMAL && !(type == LMRT_TOKEN_BYTE && v->type == LMRT_VOCAB_SPM)) return 0;
    if (type == LMRT_TOKEN_BYTE) {
        int b = -1;
        for (int i = 0; i < 256 && b < 0; i++) if (v->byte_tok[i] == id) b = i;
        if (b < 0) return 0;
        if (cap < 1) return LMRT_TOK_ERR_SPACE;
        buf[0] = (char)b;
        return 1;
    }
    if (v->type == LMRT_VOCAB_SPM) {
        size_t i = 0;
        if (prev_id == v->bos_id && v->bos_id >= 0) {
            if (n >= 3 && t[0] == 0xe2 && t[1] == 0x96 && t[2] == 0x81) i = 3;
            else if (n >= 1 && t[0] == ' ') i = 1;
        }
        while (i < n) {
            if (out >= cap) return LMRT_TOK_ERR_SPACE;
            if (i + 3 <= n && t[i] == 0xe2 && t[i + 1] == 0x96 && t[i + 2] == 0x81) {
                buf[out++] = ' ';
                i += 3;
            } else {
                buf[out++] = (char)t[i++];
            }
        }
        return out;
    }
    for (size_t p = 0; p < n;) {
        size_t start = p;
        int b = lmrt_bytelevel_byte(lmrt_utf8_decode(t, n, &p));
        if (b >= 0) {
            if (out >= cap) return LMRT_TOK_ERR_SPACE;
            buf[out++] = (char)b;
        } else { /* not byte-level: keep the text */
            if ((size_t)(cap - out) < p - start) return LMRT_TOK_ERR_SPACE;
            while (start < p) buf[out++] = (char)t[start++];
        }
    }
    return out;
}

#endif
