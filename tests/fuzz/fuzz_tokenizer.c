/* fuzz_tokenizer.c - encode then decode on every vocabulary in $LMCC_FUZZ_VOCABS (a directory of
 * GGUF vocab files, run.sh: ../shared/vocab): the first input byte picks the vocabulary, the second
 * the encode flags, the rest is the text.  Valid UTF-8 without NUL must come back as it went in
 * when encoded with ADD_SPECIAL alone (the round trip llama.cpp's vocab tests check); any other
 * input must be handled without a crash. */
#include "fuzz_util.h"
#include "gguf.h"
#include "vocab.h"

#include <dirent.h>

#define MAX_VOCABS 32
static lmrt_vocab *vocabs[MAX_VOCABS];
static gguf_file *files[MAX_VOCABS]; /* open for the whole run (reachable: no leak report) */
static char names[MAX_VOCABS][256];
static int n_vocabs;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *dir = getenv("LMCC_FUZZ_VOCABS");
    DIR *d = dir ? opendir(dir) : NULL;
    if (!d) {
        fprintf(stderr, "fuzz_tokenizer: set LMCC_FUZZ_VOCABS to a directory of ggml-vocab-*.gguf\n");
        exit(1);
    }
    struct dirent *e;
    while ((e = readdir(d)) && n_vocabs < MAX_VOCABS) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 5, ".gguf")) continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        gguf_file *f = gguf_open(p);
        lmrt_vocab *v = f ? lmcc_vocab_from_gguf(f, p) : NULL;
        if (!v) { fprintf(stderr, "fuzz_tokenizer: %s: %s\n", p, lmcc_error_text()); exit(1); }
        snprintf(names[n_vocabs], sizeof names[0], "%s", e->d_name);
        files[n_vocabs] = f;
        vocabs[n_vocabs++] = v;
    }
    closedir(d);
    if (!n_vocabs) { fprintf(stderr, "fuzz_tokenizer: no .gguf in %s\n", dir); exit(1); }
    return 0;
}

static int utf8_valid(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned c = s[i], k = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 9;
        if (c == 0 || k == 9 || i + k >= n + (k == 0)) return 0;
        unsigned cp = k == 0 ? c : c & (0x3f >> k);
        for (unsigned j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += k + 1;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size < 2) return 0;
    const lmrt_vocab *v = vocabs[data[0] % n_vocabs];
    int flags = data[1] & 3;
    const char *text = (const char *)data + 2;
    size_t len = size - 2;
    size_t cap = LMRT_TOK_CAP(len);
    int32_t *ids = malloc(cap * sizeof *ids);
    size_t out_cap = 64 * cap + 64;
    char *out = malloc(out_cap);
    if (!ids || !out) { free(ids); free(out); return 0; }
    int n = lmrt_encode(v, text, len, flags, ids, (int)cap);
    if (n < 0 && n != LMRT_TOK_ERR_INPUT) {
        fprintf(stderr, "%s: encode of %zu bytes failed with %d at capacity LMRT_TOK_CAP\n", names[data[0] % n_vocabs], len, n);
        abort();
    }
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        int k = lmrt_decode_piece(v, i ? ids[i - 1] : -1, ids[i], out + o, (int)(out_cap - o));
        if (k < 0) { fprintf(stderr, "decode of id %d failed with %d\n", ids[i], k); abort(); }
        o += (size_t)k;
    }
    if (n >= 0 && flags == LMRT_TOK_ADD_SPECIAL && utf8_valid(data + 2, len) &&
        (o != len || memcmp(out, text, len) != 0)) {
        fprintf(stderr, "%s: '%.*s' decodes to '%.*s'\n", names[data[0] % n_vocabs], (int)len, text, (int)o, out);
        abort();
    }
    free(ids);
    free(out);
    return 0;
}
