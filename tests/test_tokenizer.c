/* test_tokenizer.c - lmrt_encode against llama.cpp's vocab test vectors
 * (X.gguf.inp / X.gguf.out, tokenized with add_special=false,
 * parse_special=false) and against llama.cpp's ids for texts with special
 * tokens under every add_special/parse_special combination, on real and
 * derived vocabularies (data/vocab/special_refs.txt, tools/tokenizer_refs.py),
 * llama.cpp's end-of-generation sets, chat formats recognised in real
 * templates (data/chat), decode(encode(text)) == text, codepoint classes
 * against known values, error paths, and that emitted vocab C compiles
 * freestanding and tokenizes like the in-memory tables.
 *
 * `test_tokenizer --write-vocabs DIR` writes the derived vocabularies (what
 * tools/tokenizer_refs.py and tests/chat.sh tokenize). */
#include "chat.h"
#include "diag.h"
#include "emit_vocab.h"
#include "gguf.h"
#include "gguf_write.h"
#include "vocab.h"
#include "test_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int *encode_alloc(const lmrt_vocab *v, const char *s, size_t len, int flags, int *n) {
    size_t cap = LMRT_TOK_CAP(len);
    int32_t *ids = malloc(cap * sizeof *ids);
    *n = lmrt_encode(v, s, len, flags, ids, (int)cap);
    return (int *)ids;
}

/* decode(encode(text, bos)) with prev-token context; returns malloc'd bytes */
static char *roundtrip(const lmrt_vocab *v, const char *s, size_t len, size_t *out_len) {
    int n;
    int *ids = encode_alloc(v, s, len, 1, &n);
    char *out = malloc(8 * len + 64);
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        int k = lmrt_decode_piece(v, i ? ids[i - 1] : -1, ids[i], out + o, (int)(8 * len + 64 - o));
        if (k < 0) { o = (size_t)-1; break; }
        o += (size_t)k;
    }
    free(ids);
    *out_len = o;
    return out;
}

static const char SEP[] = "\n__ggml_vocab_test__\n";

/* returns 1 if all vectors passed, 0 if some failed, -1 if the files are missing */
static int run_vectors(const char *dir, const char *name, int must_pass) {
    char p[1200], pi[1300], po[1300];
    snprintf(p, sizeof p, "%s/ggml-vocab-%s.gguf", dir, name);
    snprintf(pi, sizeof pi, "%s.inp", p);
    snprintf(po, sizeof po, "%s.out", p);
    if (access(p, R_OK) || access(pi, R_OK) || access(po, R_OK)) {
        printf("SKIP: %s: %s not found\n", name, p);
        return -1;
    }
    gguf_file *f = gguf_open(p);
    CHECK(f, "gguf_open %s: %s", p, lmcc_error_text());
    if (!f) return 0;
    lmrt_vocab *v = lmcc_vocab_from_gguf(f, p);
    CHECK(v, "vocab %s: %s", name, lmcc_error_text());
    if (!v) { gguf_close(f); return 0; }
    size_t ilen, olen;
    char *inp = test_read_file(pi, &ilen), *out = test_read_file(po, &olen);
    int n_text = 0, n_pass = 0, n_rt = 0, n_rt_pass = 0;
    char *ip = inp, *op = out;
    for (;;) {
        char *sep = strstr(ip, SEP);
        char *nl = strchr(op, '\n');
        if (!sep || !nl) break;
        size_t len = (size_t)(sep - ip);
        *nl = 0;
        int expect[4096], ne = 0;
        for (char *q = op, *e; ne < 4096; q = e) {
            long x = strtol(q, &e, 10);
            if (e == q) break;
            expect[ne++] = (int)x;
        }
        int n;
        int *ids = encode_alloc(v, ip, len, 0, &n);
        int ok = n == ne;
        for (int i = 0; ok && i < n; i++) ok = ids[i] == expect[i];
        n_text++;
        n_pass += ok;
        if (!ok && must_pass) {
            fprintf(stderr, "%s: text %d '%.*s'\n  got:   ", name, n_text, (int)len, ip);
            for (int i = 0; i < n; i++) fprintf(stderr, " %d", ids[i]);
            fprintf(stderr, "\n  want: %s\n", op);
        }
        free(ids);
        size_t rl;
        char *rt = roundtrip(v, ip, len, &rl);
        n_rt++;
        int rok = rl == len && memcmp(rt, ip, len) == 0;
        n_rt_pass += rok;
        if (!rok) fprintf(stderr, "%s: text %d does not round-trip: '%.*s'\n", name, n_text, (int)len, ip);
        free(rt);
        ip = sep + sizeof SEP - 1;
        op = nl + 1;
    }
    printf("%s: %d/%d texts match llama.cpp, %d/%d round-trip\n", name, n_pass, n_text, n_rt_pass, n_rt);
    CHECK(n_text >= 40, "%s: only %d test texts parsed", name, n_text);
    if (must_pass) {
        CHECK(n_pass == n_text, "%s: %d mismatches", name, n_text - n_pass);
        CHECK(n_rt_pass == n_rt, "%s: %d round-trip failures", name, n_rt - n_rt_pass);
    }
    free(inp);
    free(out);
    lmcc_vocab_free(v);
    gguf_close(f);
    return n_pass == n_text;
}

static void test_unicode(void) {
    static const struct { uint32_t cpt; int cls; } known[] = {
        {'a', LMRT_UC_LETTER}, {'Z', LMRT_UC_LETTER}, {'0', LMRT_UC_NUMBER}, {' ', LMRT_UC_SPACE},
        {'\t', LMRT_UC_SPACE}, {'\r', LMRT_UC_SPACE}, {0x1c, LMRT_UC_OTHER}, {'!', LMRT_UC_PUNCT},
        {'$', LMRT_UC_OTHER}, {0xa0, LMRT_UC_SPACE}, {0x85, LMRT_UC_SPACE}, {0xe9, LMRT_UC_LETTER},
        {0x0301, LMRT_UC_MARK}, {0x0663, LMRT_UC_NUMBER}, {0x00bd, LMRT_UC_NUMBER},
        {0x2163, LMRT_UC_NUMBER}, {0x3000, LMRT_UC_SPACE}, {0x200b, LMRT_UC_OTHER},
        {0x4e2d, LMRT_UC_LETTER}, {0x1780, LMRT_UC_LETTER}, {0x17b6, LMRT_UC_MARK},
        {0x1f600, LMRT_UC_OTHER}, {0x10ffff, LMRT_UC_OTHER}, {0x110000, LMRT_UC_OTHER},
        {0x2028, LMRT_UC_SPACE}, {0x180e, LMRT_UC_OTHER}, {0x20000, LMRT_UC_LETTER},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        CHECK(lmrt_unicode_class(known[i].cpt) == known[i].cls, "class of U+%04X = %d, want %d",
              known[i].cpt, lmrt_unicode_class(known[i].cpt), known[i].cls);
    static const struct { const char *s; size_t len; uint32_t cpt; size_t used; } dec[] = {
        {"A", 1, 'A', 1}, {"\xc3\xa9", 2, 0xe9, 2}, {"\xe2\x96\x81", 3, 0x2581, 3},
        {"\xf0\x9f\x98\x80", 4, 0x1f600, 4}, {"\xc3", 1, 0xfffd, 1}, {"\x80", 1, 0xfffd, 1},
        {"\xe2\x28\xa1", 3, 0xfffd, 1}, {"\xff", 1, 0xfffd, 1}, {"\xc0\x80", 2, 0, 2},
    };
    for (size_t i = 0; i < sizeof dec / sizeof dec[0]; i++) {
        size_t pos = 0;
        uint32_t c = lmrt_utf8_decode((const uint8_t *)dec[i].s, dec[i].len, &pos);
        CHECK(c == dec[i].cpt && pos == dec[i].used, "decode case %zu: U+%04X used %zu", i, c, pos);
    }
    for (uint32_t c = 0; c < 0x110000; c += 97) {
        uint8_t u[4];
        size_t pos = 0;
        int k = lmrt_utf8_encode(c, u);
        CHECK(lmrt_utf8_decode(u, (size_t)k, &pos) == c && pos == (size_t)k, "utf8 round trip U+%04X", c);
    }
    int bytes_ok = 1;
    for (int b = 0; b < 256; b++) bytes_ok &= lmrt_bytelevel_byte(lmrt_bytelevel_cpt((uint8_t)b)) == b;
    CHECK(bytes_ok, "byte-level map is not a bijection");
    CHECK(lmrt_bytelevel_cpt(' ') == 0x120 && lmrt_bytelevel_cpt('\n') == 0x10a, "GPT-2 byte chars");
}

static void test_placeholder(void) {
    lmrt_vocab *v = lmcc_vocab_placeholder(512);
    CHECK(v != NULL, "placeholder");
    if (!v) return;
    char buf[16];
    int k = lmrt_decode_piece(v, 5, 300, buf, sizeof buf);
    CHECK(k == 5 && memcmp(buf, "[300]", 5) == 0, "placeholder piece 300: %d", k);
    CHECK(lmrt_decode_piece(v, 5, 1, buf, sizeof buf) == 0, "BOS decodes to nothing");
    CHECK(lmrt_decode_piece(v, 5, 512, buf, sizeof buf) == LMRT_TOK_ERR_INPUT, "id out of range");
    CHECK(lmrt_decode_piece(v, 5, 300, buf, 3) == LMRT_TOK_ERR_SPACE, "small piece buffer");
    int32_t ids[64];
    /* no single characters and no byte tokens: "[3]" cannot be built by
     * merging, every escaped byte of "\u2581[3]" falls back to <unk> */
    int n = lmrt_encode(v, "[3]", 3, 1, ids, 64);
    int all_unk = n == 7 && ids[0] == 1;
    for (int i = 1; i < n; i++) all_unk &= ids[i] == 0;
    CHECK(all_unk, "placeholder encode: n=%d", n);
    CHECK(lmrt_encode(v, "[3]", 3, 1, ids, 8) == LMRT_TOK_ERR_SPACE, "scratch too small is reported");
    lmcc_vocab_free(v);
}

/* the placeholder must equal what llama.cpp's converter wrote into stories260K.gguf */
static void test_placeholder_vs_gguf(void) {
    gguf_file *f = test_open_model("stories260K.gguf", "placeholder vs stories260K.gguf");
    if (!f) return;
    lmrt_vocab *g = lmcc_vocab_from_gguf(f, f->path), *v = lmcc_vocab_placeholder(512);
    CHECK(g && v, "stories260K vocab: %s", lmcc_error_text());
    if (g && v) {
        int same = g->n_tokens == v->n_tokens && g->type == v->type && g->bos_id == v->bos_id &&
                   g->eos_id == v->eos_id && g->unk_id == v->unk_id && g->add_space_prefix == v->add_space_prefix;
        for (int i = 0; same && i <= v->n_tokens; i++) same = g->text_off[i] == v->text_off[i];
        for (int i = 0; same && i < v->n_tokens; i++)
            same = g->types[i] == v->types[i] && g->scores[i] == v->scores[i];
        same = same && memcmp(g->text, v->text, v->text_off[v->n_tokens]) == 0;
        CHECK(same, "placeholder differs from stories260K.gguf's vocabulary");
        printf("placeholder vocabulary == stories260K.gguf's: %s\n", same ? "yes" : "NO");
    }
    lmcc_vocab_free(g);
    lmcc_vocab_free(v);
    gguf_close(f);
}

/* invalid UTF-8, too-small buffers, and the error codes on real vocabs */
static void test_edges(const char *dir) {
    const char *names[] = {"llama-spm", "gpt-2"};
    for (int t = 0; t < 2; t++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/ggml-vocab-%s.gguf", dir, names[t]);
        gguf_file *f = gguf_open(p);
        if (!f) continue;
        lmrt_vocab *v = lmcc_vocab_from_gguf(f, p);
        if (!v) { gguf_close(f); continue; }
        static const char bad[] = "a\xff\xc3 b\xe2\x82 \xed\xa0\x80z";
        int n;
        int *ids = encode_alloc(v, bad, sizeof bad - 1, 0, &n);
        CHECK(n > 0, "%s: invalid UTF-8 encodes (%d)", names[t], n);
        free(ids);
        int32_t small[8];
        CHECK(lmrt_encode(v, "Hello world", 11, 0, small, 8) == LMRT_TOK_ERR_SPACE, "%s: small ids", names[t]);
        /* the worst cases of LMRT_TOK_CAP: every byte tripled (SPM spaces, BPE
         * invalid UTF-8), many pieces between special tokens */
        static const char *const unit[] = {" ", "\xff", "a<s>", "<s> ", " <|endoftext|>", "\xe2\x96"};
        for (size_t u = 0; u < sizeof unit / sizeof unit[0]; u++) {
            size_t ul = strlen(unit[u]), len = 0;
            char *big = malloc(4000);
            while (len + ul < 4000) memcpy(big + len, unit[u], ul), len += ul;
            for (int flags = 0; flags < 4; flags++) {
                int got;
                int *worst = encode_alloc(v, big, len, flags, &got);
                CHECK(got > 0, "%s: %zu bytes of '%s' (flags %d) within LMRT_TOK_CAP: %d", names[t], len, unit[u],
                      flags, got);
                free(worst);
            }
            free(big);
        }
        if (v->type == LMRT_VOCAB_BPE)
            CHECK(lmrt_encode(v, "\xf5\x80\x80\x80", 4, 0, (ids = malloc(4096)), 1024) == LMRT_TOK_ERR_INPUT,
                  "%s: codepoint beyond U+10FFFF", names[t]);
        else
            ids = NULL;
        free(ids);
        lmcc_vocab_free(v);
        gguf_close(f);
    }
}

/* Emits vocab name as C, compiles it freestanding with a tokenize function,
 * links it to a hosted main and compares its output with the in-memory tables. */
static void test_emit(const char *dir, const char *name) {
    char p[1200], tmp[] = "/tmp/lmcc_tok_XXXXXX";
    snprintf(p, sizeof p, "%s/ggml-vocab-%s.gguf", dir, name);
    gguf_file *f = gguf_open(p);
    lmrt_vocab *v = f ? lmcc_vocab_from_gguf(f, p) : NULL;
    CHECK(v && mkdtemp(tmp), "emit setup %s", name);
    if (!v) { if (f) gguf_close(f); return; }
    const char *src = getenv("LMCC_SOURCE_DIR");
    char path[600], cmd[4096];
    snprintf(path, sizeof path, "%s/vocab.c", tmp);
    FILE *out = fopen(path, "w");
    fprintf(out, "#include \"lmrt_tokenizer.h\"\n");
    CHECK(lmcc_emit_vocab(out, v, "tst_") == 0, "emit %s", name);
    fprintf(out, "int tst_encode(const char *s, size_t n, int32_t *ids, int cap);\n"
                 "int tst_encode(const char *s, size_t n, int32_t *ids, int cap) {\n"
                 "    return lmrt_encode(&tst_vocab, s, n, 1, ids, cap);\n}\n");
    fclose(out);
    static const char *texts[] = {"Hello world", " this is \xf0\x9f\xa6\x99.cpp", "3333 I've 'RE  x\t\n\n y",
                                  "\xd0\xbd\xd0\xb5\xd1\x89\xd0\xbe"};
    snprintf(path, sizeof path, "%s/main.c", tmp);
    out = fopen(path, "w");
    fprintf(out, "#include <stdio.h>\n#include <stdint.h>\n#include <string.h>\n"
                 "int tst_encode(const char *s, size_t n, int32_t *ids, int cap);\n"
                 "static const char *texts[] = {\n");
    for (int t = 0; t < 4; t++) { /* octal escapes: never run into the next character */
        fputs("    \"", out);
        for (const char *c = texts[t]; *c; c++) fprintf(out, "\\%03o", (unsigned char)*c);
        fputs("\",\n", out);
    }
    fprintf(out, "};\nint main(void) {\n    static int32_t ids[1 << 16];\n"
                 "    for (int a = 0; a < 4; a++) {\n"
                 "        int n = tst_encode(texts[a], strlen(texts[a]), ids, 1 << 16);\n"
                 "        for (int i = 0; i < n; i++) printf(\" %%d\", (int)ids[i]);\n"
                 "        printf(\"\\n\");\n    }\n    return 0;\n}\n");
    fclose(out);
    snprintf(cmd, sizeof cmd,
             "cd %s && cc -std=c11 -ffreestanding -Wall -Wextra -Werror -Wshadow -O1 -I%s/runtime-min -c vocab.c "
             "&& cc -std=c11 -Wall -Wextra -Werror -c main.c && cc -o prog main.o vocab.o", tmp, src);
    int rc = system(cmd);
    CHECK(rc == 0, "emitted vocab %s does not compile: %s", name, cmd);
    if (rc == 0) {
        snprintf(cmd, sizeof cmd, "%s/prog > %s/ids.txt", tmp, tmp);
        CHECK(system(cmd) == 0, "running %s", cmd);
        snprintf(path, sizeof path, "%s/ids.txt", tmp);
        size_t len;
        char *got = test_read_file(path, &len), expect[8192];
        size_t e = 0;
        for (int t = 0; t < 4; t++) {
            int n;
            int *ids = encode_alloc(v, texts[t], strlen(texts[t]), 1, &n);
            for (int i = 0; i < n && e < sizeof expect - 16; i++) e += (size_t)sprintf(expect + e, " %d", ids[i]);
            expect[e++] = '\n';
            free(ids);
        }
        expect[e] = 0;
        CHECK(got && strcmp(got, expect) == 0, "%s: emitted tokenizer gives\n%s\nwant\n%s", name, got, expect);
        free(got);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmp);
    printf("%s: emitted C vocabulary compiles freestanding and tokenizes identically%s\n", name,
           rc == 0 ? "" : " -- FAILED");
    lmcc_vocab_free(v);
    gguf_close(f);
}

/* ---- derived vocabularies ------------------------------------------------ */

typedef struct derive_kv { const char *key; int type; const char *str; } derive_kv; /* type: 's', 'b' (str "0"/"1"), 'd' delete */
typedef struct derive_tok { const char *text; int type; } derive_tok;

/* src with the keys of set replaced, added or deleted and tokens appended (score 0) as dst */
static int derive_vocab(const char *src, const char *dst, const derive_kv *set, int n_set, const derive_tok *add,
                        int n_add) {
    gguf_file *f = gguf_open(src);
    if (!f) return -1;
    gguf_writer *w = gguf_writer_new();
    int rc = w ? 0 : -1;
    for (uint64_t i = 0; !rc && i < f->n_kv; i++) {
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)f->kv[i].key.len, f->kv[i].key.ptr);
        int skip = !strcmp(key, "general.alignment");
        for (int k = 0; k < n_set; k++) skip |= !strcmp(key, set[k].key);
        const gguf_value *val = &f->kv[i].val;
        gguf_value grown;
        gguf_value *items = NULL;
        int arr = n_add && val->type == GGUF_T_ARRAY &&
                  (!strcmp(key, "tokenizer.ggml.tokens") || !strcmp(key, "tokenizer.ggml.scores") ||
                   !strcmp(key, "tokenizer.ggml.token_type"));
        if (arr) { /* the array with the new tokens' entries appended */
            uint64_t n = val->v.arr.n;
            items = calloc(n + (uint64_t)n_add, sizeof *items);
            for (uint64_t j = 0; items && j < n; j++) gguf_arr_get(val, j, &items[j]); /* scalars stay packed */
            for (int t = 0; t < n_add; t++) {
                gguf_value *it = &items[n + (uint64_t)t];
                it->type = val->v.arr.type;
                if (it->type == GGUF_T_STRING) it->v.s.ptr = add[t].text, it->v.s.len = strlen(add[t].text);
                else if (it->type == GGUF_T_FLOAT32) it->v.f = 0.0;
                else it->v.i = add[t].type;
            }
            grown = *val;
            grown.v.arr.n = n + (uint64_t)n_add;
            grown.v.arr.items = items;
            val = &grown;
        }
        if (!skip) rc = gguf_writer_add_value(w, key, val);
        free(items);
    }
    for (int k = 0; !rc && k < n_set; k++) {
        if (set[k].type == 's') rc = gguf_writer_add_str(w, set[k].key, set[k].str);
        else if (set[k].type == 'b') rc = gguf_writer_add_bool(w, set[k].key, set[k].str[0] == '1');
    }
    if (!rc) rc = gguf_writer_write(w, dst);
    gguf_writer_free(w);
    gguf_close(f);
    return rc;
}

/* the text of file (NUL-terminated, malloc'd) or NULL */
static char *read_text(const char *dir, const char *name) {
    char p[1200];
    size_t n;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return test_read_file(p, &n);
}

/* The vocabularies tools/tokenizer_refs.py and the tests tokenize besides the
 * real ones: gpt-2 under other pre-tokenizers, gpt-2 with an LSTRIP token
 * (llama.cpp gives modern-bert's [MASK] that), a Gemma-like SentencePiece
 * vocabulary (no space prefix, control and user-defined tokens, Gemma 2's
 * template) and Llama 3's with Llama 3.1's template.  0, or -1 after a
 * message. */
static int write_vocabs(const char *src, const char *shared, const char *dir) {
    char repo[1100], chat[1100], in[1300], out[1300];
    snprintf(repo, sizeof repo, "%s/tests/data/vocab", src);
    snprintf(chat, sizeof chat, "%s/tests/data/chat", src);
    int rc = 0;
    static const struct { const char *name, *pre; } pres[] = {
        {"gpt2-smollm", "smollm"}, {"gpt2-gpt4o", "gpt-4o"}, {"gpt2-default", NULL}};
    snprintf(in, sizeof in, "%s/ggml-vocab-gpt-2.gguf", repo);
    for (size_t i = 0; i < sizeof pres / sizeof pres[0]; i++) {
        derive_kv kv = {"tokenizer.ggml.pre", pres[i].pre ? 's' : 'd', pres[i].pre};
        snprintf(out, sizeof out, "%s/%s.gguf", dir, pres[i].name);
        rc |= derive_vocab(in, out, &kv, 1, NULL, 0);
    }
    derive_kv lstrip = {"general.name", 's', "modern-bert-test"};
    derive_tok mask = {"[MASK]", LMRT_TOKEN_USER_DEFINED};
    snprintf(out, sizeof out, "%s/gpt2-lstrip.gguf", dir);
    rc |= derive_vocab(in, out, &lstrip, 1, &mask, 1);

    char *gemma_tmpl = read_text(chat, "google-gemma-2-2b-it.jinja");
    derive_kv gemma[] = {{"general.name", 's', "gemma-synthetic"},
                         {"tokenizer.ggml.add_space_prefix", 'b', "0"},
                         {"tokenizer.chat_template", 's', gemma_tmpl ? gemma_tmpl : ""}};
    static const derive_tok gemma_toks[] = {
        {"<start_of_turn>", LMRT_TOKEN_CONTROL}, {"<end_of_turn>", LMRT_TOKEN_CONTROL},
        {"<eos>", LMRT_TOKEN_CONTROL},           {"<unused0>", LMRT_TOKEN_CONTROL},
        {"\n\n", LMRT_TOKEN_USER_DEFINED},       {"\t\t", LMRT_TOKEN_USER_DEFINED},
        {"<table>", LMRT_TOKEN_USER_DEFINED}};
    snprintf(in, sizeof in, "%s/ggml-vocab-llama-spm.gguf", repo);
    snprintf(out, sizeof out, "%s/gemma.gguf", dir);
    rc |= !gemma_tmpl || derive_vocab(in, out, gemma, 3, gemma_toks, (int)(sizeof gemma_toks / sizeof gemma_toks[0]));
    free(gemma_tmpl);

    char *llama3_tmpl = read_text(chat, "meta-llama-Llama-3.1-8B-Instruct.jinja");
    derive_kv llama3 = {"tokenizer.chat_template", 's', llama3_tmpl ? llama3_tmpl : ""};
    snprintf(in, sizeof in, "%s/vocab/ggml-vocab-llama-bpe.gguf", shared ? shared : "/nonexistent");
    snprintf(out, sizeof out, "%s/llama-bpe-chat.gguf", dir);
    if (test_exists(in)) rc |= !llama3_tmpl || derive_vocab(in, out, &llama3, 1, NULL, 0);
    else printf("SKIP: llama-bpe-chat: %s not found\n", in);
    free(llama3_tmpl);
    if (rc) fprintf(stderr, "writing the derived vocabularies into %s failed: %s\n", dir, lmcc_error_text());
    return rc ? -1 : 0;
}

/* ---- llama.cpp's ids for texts with special tokens (special_refs.txt) ---- */

typedef struct ref_line { char *vocab, *text; size_t len; int flags, n_ids, *ids, is_eog; } ref_line;

/* C escapes \n \t \r \\ \xHH of s, in place; the byte count */
static size_t unescape(char *s) {
    size_t o = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] != '\\' || !s[i + 1]) { s[o++] = s[i]; continue; }
        char c = s[++i];
        if (c == 'x') {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            s[o++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            s[o++] = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
        }
    }
    s[o] = 0;
    return o;
}

/* the lines of special_refs.txt (in buf, edited in place); their count */
static int parse_refs(char *buf, ref_line **out) {
    int n = 0, cap = 64;
    ref_line *r = malloc(sizeof *r * (size_t)cap);
    for (char *line = buf, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        if (line[0] == '#' || !line[0]) continue;
        char *f[4] = {line, NULL, NULL, NULL};
        for (int k = 1; k < 4 && f[k - 1]; k++) {
            f[k] = strchr(f[k - 1], '\t');
            if (f[k]) *f[k]++ = 0;
        }
        if (n == cap) r = realloc(r, sizeof *r * (size_t)(cap *= 2));
        ref_line *l = &r[n++];
        memset(l, 0, sizeof *l);
        l->is_eog = !strcmp(f[0], "eog");
        l->vocab = l->is_eog ? f[1] : f[0];
        char *ids = l->is_eog ? f[2] : f[3];
        if (!l->is_eog) {
            l->flags = f[1] ? atoi(f[1]) : 0;
            l->text = f[2] ? f[2] : (char *)"";
            l->len = unescape(l->text);
        }
        l->ids = malloc(sizeof(int) * (strlen(ids ? ids : "") / 2 + 1));
        for (char *q = ids, *e; q && *q; q = e) {
            long x = strtol(q, &e, 10);
            if (e == q) break;
            l->ids[l->n_ids++] = (int)x;
        }
    }
    *out = r;
    return n;
}

typedef struct open_vocab { char name[64]; gguf_file *f; lmrt_vocab *v; } open_vocab;

/* vocabulary name from dirs (derived, repo, shared), opened once; NULL when absent */
static open_vocab *get_vocab(open_vocab *cache, int *n, const char *name, const char *const *dirs) {
    for (int i = 0; i < *n; i++)
        if (!strcmp(cache[i].name, name)) return cache[i].v ? &cache[i] : NULL;
    open_vocab *o = &cache[(*n)++];
    memset(o, 0, sizeof *o);
    snprintf(o->name, sizeof o->name, "%s", name);
    for (int d = 0; d < 3 && !o->f; d++) {
        char p[1300];
        snprintf(p, sizeof p, d ? "%s/ggml-vocab-%s.gguf" : "%s/%s.gguf", dirs[d], name);
        if (test_exists(p)) {
            o->f = gguf_open(p);
            o->v = o->f ? lmcc_vocab_from_gguf(o->f, p) : NULL;
            CHECK(o->v, "vocabulary %s: %s", p, lmcc_error_text());
        }
    }
    if (!o->f) printf("SKIP: vocabulary %s not found (special-token texts and EOG set not checked)\n", name);
    return o->v ? o : NULL;
}

/* Every line of the references through lmrt_encode (and the EOG sets); then,
 * for each vocabulary with a chat template, that lmcc's format of one turn is
 * a text of the references with flags 3 and tokenizes to llama.cpp's ids. */
static void run_refs(const char *src, const char *derived, const char *shared_vocab) {
    char path[1200], repo[1100];
    snprintf(path, sizeof path, "%s/tests/data/vocab/special_refs.txt", src);
    snprintf(repo, sizeof repo, "%s/tests/data/vocab", src);
    size_t len;
    char *buf = test_read_file(path, &len);
    CHECK(buf, "cannot read %s", path);
    if (!buf) return;
    ref_line *refs;
    int n = parse_refs(buf, &refs), n_vocabs = 0;
    const char *dirs[3] = {derived, repo, shared_vocab};
    open_vocab cache[32];
    struct ref_sum { const char *name; int texts, ok, eog; } sum[32];
    int n_sum = 0;
    for (int i = 0; i < n; i++) {
        ref_line *r = &refs[i];
        open_vocab *o = get_vocab(cache, &n_vocabs, r->vocab, dirs);
        if (!o) continue;
        int k = 0;
        while (k < n_sum && strcmp(sum[k].name, r->vocab)) k++;
        if (k == n_sum) sum[n_sum++] = (struct ref_sum){r->vocab, 0, 0, -1};
        if (r->is_eog) {
            int same = o->v->n_eog == r->n_ids;
            for (int j = 0; same && j < r->n_ids; j++) same = o->v->eog_ids[j] == r->ids[j];
            CHECK(same, "%s: EOG set differs from llama.cpp's (%d tokens, llama.cpp %d)", r->vocab, o->v->n_eog,
                  r->n_ids);
            sum[k].eog = same;
            continue;
        }
        int got;
        int *ids = encode_alloc(o->v, r->text, r->len, r->flags, &got);
        int ok = got == r->n_ids;
        for (int j = 0; ok && j < got; j++) ok = ids[j] == r->ids[j];
        if (!ok) {
            fprintf(stderr, "%s flags %d: '%s'\n  got: ", r->vocab, r->flags, r->text);
            for (int j = 0; j < got; j++) fprintf(stderr, " %d", ids[j]);
            fprintf(stderr, "\n  want:");
            for (int j = 0; j < r->n_ids; j++) fprintf(stderr, " %d", r->ids[j]);
            fputc('\n', stderr);
        }
        CHECK(ok, "%s: text %d differs from llama.cpp", r->vocab, i);
        sum[k].texts++;
        sum[k].ok += ok;
        free(ids);
    }
    for (int k = 0; k < n_sum; k++)
        printf("%s: %d/%d texts (special tokens, pre-tokenizer) match llama.cpp, EOG set %s\n", sum[k].name,
               sum[k].ok, sum[k].texts, sum[k].eog < 0 ? "not listed" : sum[k].eog ? "matches" : "DIFFERS");
    CHECK(n_sum >= 7, "only %d vocabularies in %s", n_sum, path);

    /* the chat formats of the vocabularies that carry a template */
    static const struct { const char *vocab, *family; } chats[] = {
        {"phi-3", "phi3"}, {"qwen2", "chatml"}, {"gemma", "gemma"}, {"llama-bpe-chat", "llama3"}};
    for (size_t c = 0; c < sizeof chats / sizeof chats[0]; c++) {
        open_vocab *o = get_vocab(cache, &n_vocabs, chats[c].vocab, dirs);
        if (!o) continue;
        const char *why = "";
        char err[256];
        const lmcc_chat_format *fmt = lmcc_chat_from_gguf(o->f, &why);
        CHECK(fmt && !strcmp(fmt->name, chats[c].family), "%s: chat format %s, want %s (%s)", chats[c].vocab,
              fmt ? fmt->name : "none", chats[c].family, why);
        if (!fmt) continue;
        CHECK(lmcc_chat_check(fmt, o->v, err, sizeof err) == 0, "%s: %s", chats[c].vocab, err);
        char *text = lmcc_chat_format_turn(fmt, "  Hello\n");
        int found = 0;
        for (int i = 0; i < n && !found; i++)
            found = !refs[i].is_eog && refs[i].flags == 3 && !strcmp(refs[i].vocab, chats[c].vocab) &&
                    !strcmp(refs[i].text, text);
        CHECK(found == fmt->trim, "%s: one turn of \"  Hello\\n\" in %s is%s a text of the references: '%s'",
              chats[c].vocab, fmt->name, found ? "" : " not", text);
        free(text);
        text = lmcc_chat_format_turn(fmt, "Hello");
        for (int i = 0; i < n && !found; i++)
            found = !refs[i].is_eog && refs[i].flags == 3 && !strcmp(refs[i].vocab, chats[c].vocab) &&
                    !strcmp(refs[i].text, text);
        CHECK(found, "%s: one turn of \"Hello\" in %s is no text of the references: '%s'", chats[c].vocab,
              fmt->name, text);
        printf("%s: chat format %s, one turn is a text llama.cpp tokenized: %s\n", chats[c].vocab, fmt->name,
               found ? "yes" : "NO");
        free(text);
    }
    for (int i = 0; i < n_vocabs; i++) {
        lmcc_vocab_free(cache[i].v);
        if (cache[i].f) gguf_close(cache[i].f);
    }
    for (int i = 0; i < n; i++) free(refs[i].ids);
    free(refs);
    free(buf);
}

/* The family of real templates (data/chat, from llama.cpp's models/templates),
 * as llama.cpp's llm_chat_detect_template finds it; a template of a family lmcc
 * does not format is none. */
static void test_chat_detect(const char *src) {
    static const struct { const char *file, *family; } cases[] = {
        {"Qwen-Qwen2.5-7B-Instruct.jinja", "chatml"},
        {"Qwen-Qwen3-0.6B.jinja", "chatml"},
        {"HuggingFaceTB-SmolLM3-3B.jinja", "chatml"},
        {"meta-llama-Llama-3.1-8B-Instruct.jinja", "llama3"},
        {"meta-llama-Llama-3.2-3B-Instruct.jinja", "llama3"},
        {"google-gemma-2-2b-it.jinja", "gemma"},
        {"microsoft-Phi-3.5-mini-instruct.jinja", "phi3"},
        {"mistralai-Mistral-Nemo-Instruct-2407.jinja", NULL},
        {"deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", NULL},
        {"google-gemma-4-31B-it.jinja", NULL},
    };
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/tests/data/chat", src);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *t = read_text(dir, cases[i].file);
        CHECK(t, "cannot read %s/%s", dir, cases[i].file);
        if (!t) continue;
        const lmcc_chat_format *f = lmcc_chat_detect(t, strlen(t));
        const char *got = f ? f->name : NULL;
        CHECK(got == cases[i].family || (got && cases[i].family && !strcmp(got, cases[i].family)),
              "%s: family %s, want %s", cases[i].file, got ? got : "none", cases[i].family ? cases[i].family : "none");
        free(t);
    }
    /* a template may be a family's name; a marker alone decides nothing */
    static const struct { const char *tmpl, *family; } named[] = {
        {"chatml", "chatml"}, {"phi4", "phi4"}, {"gemma", "gemma"}, {"<|im_start|>x<|im_sep|>", "phi4"},
        {"<|im_start|><end_of_utterance>", NULL}, {"mistral <|im_start|>", "chatml"}, {"[INST]<start_of_turn>", NULL},
        {"<|start_header_id|>", NULL}, {"", NULL}};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        const lmcc_chat_format *f = lmcc_chat_detect(named[i].tmpl, strlen(named[i].tmpl));
        const char *got = f ? f->name : NULL;
        CHECK(got == named[i].family || (got && named[i].family && !strcmp(got, named[i].family)),
              "template '%s': family %s, want %s", named[i].tmpl, got ? got : "none",
              named[i].family ? named[i].family : "none");
    }
    printf("chat templates: %zu real templates and %zu markers give llama.cpp's families\n",
           sizeof cases / sizeof cases[0], sizeof named / sizeof named[0]);
}

int main(int argc, char **argv) {
    const char *src = getenv("LMCC_SOURCE_DIR"), *shared = getenv("LMCC_SHARED_DIR");
    if (!src) return test_finish("test_tokenizer", "everything: LMCC_SOURCE_DIR not set");
    if (argc == 3 && !strcmp(argv[1], "--write-vocabs")) return write_vocabs(src, shared, argv[2]) ? 1 : 0;
    char repo[1024], sh[1024];
    snprintf(repo, sizeof repo, "%s/tests/data/vocab", src);
    snprintf(sh, sizeof sh, "%s/vocab", shared ? shared : "/nonexistent");
    char derived[] = "/tmp/lmcc_vocabs_XXXXXX";
    CHECK(mkdtemp(derived) != NULL, "mkdtemp");
    CHECK(write_vocabs(src, shared, derived) == 0, "derived vocabularies");
    run_refs(src, derived, sh);
    test_chat_detect(src);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", derived);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", derived);
    test_unicode();
    test_placeholder();
    test_placeholder_vs_gguf();
    test_edges(repo);
    CHECK(run_vectors(repo, "llama-spm", 1) == 1, "llama-spm");
    CHECK(run_vectors(repo, "gpt-2", 1) == 1, "gpt-2");
    CHECK(run_vectors(repo, "phi-3", 1) == 1, "phi-3");
    run_vectors(sh, "llama-bpe", 1);
    run_vectors(sh, "qwen2", 1);
    test_emit(repo, "llama-spm");
    test_emit(repo, "gpt-2");
    return test_finish("test_tokenizer", NULL);
}
