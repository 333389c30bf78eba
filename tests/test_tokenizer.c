/* test_tokenizer.c - lmrt_encode against llama.cpp's vocab test vectors
 * (X.gguf.inp / X.gguf.out, tokenized with add_special=false,
 * parse_special=false), decode(encode(text)) == text, codepoint classes
 * against known values, error paths, and that emitted vocab C compiles
 * freestanding and tokenizes like the in-memory tables. */
#include "diag.h"
#include "emit_vocab.h"
#include "gguf.h"
#include "vocab.h"
#include "test_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int *encode_alloc(const lmrt_vocab *v, const char *s, size_t len, int add_bos, int *n) {
    size_t cap = LMRT_TOK_CAP(len);
    int32_t *ids = malloc(cap * sizeof *ids);
    *n = lmrt_encode(v, s, len, add_bos, ids, (int)cap);
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

int main(void) {
    const char *src = getenv("LMCC_SOURCE_DIR"), *shared = getenv("LMCC_SHARED_DIR");
    if (!src) return test_finish("test_tokenizer", "everything: LMCC_SOURCE_DIR not set");
    char repo[1024], sh[1024];
    snprintf(repo, sizeof repo, "%s/tests/data/vocab", src);
    snprintf(sh, sizeof sh, "%s/vocab", shared ? shared : "/nonexistent");
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
