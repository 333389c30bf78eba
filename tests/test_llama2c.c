/* test_llama2c.c - llama2.c frontend: stories260K.bin must present the same
 * metadata and the very same tensor bytes as stories260K.gguf (written by
 * llama.cpp's converter from the same weights); a hand-built checkpoint with
 * an unshared classifier checks every tensor's offset; bad files fail. */
#include "diag.h"
#include "gguf.h"
#include "llama2c.h"
#include "test_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* expect failure with an error text containing `needle` */
static void expect_error(const char *path, const char *needle) {
    lmcc_error_clear();
    gguf_file *f = llama2c_open(path);
    CHECK(f == NULL, "%s should be rejected", path);
    if (f) gguf_close(f);
    CHECK(strstr(lmcc_error_text(), needle) != NULL, "error '%s' lacks '%s'", lmcc_error_text(), needle);
}

static void test_stories(const char *bin, const char *gg) {
    gguf_file *b = llama2c_open(bin);
    CHECK(b != NULL, "open %s: %s", bin, lmcc_error_text());
    gguf_file *g = gguf_open(gg);
    CHECK(g != NULL, "open %s: %s", gg, lmcc_error_text());
    if (!b || !g) exit(1);

    char s[64];
    CHECK(gguf_get_str(b, "general.architecture", s, sizeof s) == 0 && strcmp(s, "llama") == 0, "arch %s", s);
    CHECK(gguf_get_str(b, "general.name", s, sizeof s) == 0 && strcmp(s, "stories260K") == 0, "name %s", s);
    /* the header: 64, 172, 5, 8, 4, 512, 512 */
    CHECK(test_gguf_int(b, "llama.embedding_length") == 64, "dim");
    CHECK(test_gguf_int(b, "llama.feed_forward_length") == 172, "hidden");
    CHECK(test_gguf_int(b, "llama.block_count") == 5, "layers");
    CHECK(test_gguf_int(b, "llama.attention.head_count") == 8, "heads");
    CHECK(test_gguf_int(b, "llama.attention.head_count_kv") == 4, "kv heads");
    CHECK(test_gguf_int(b, "llama.context_length") == 512, "seq_len from the header");
    CHECK(test_gguf_int(b, "llama.rope.dimension_count") == 8, "head size");
    float eps = 0, theta = 0;
    CHECK(gguf_get_f32(b, "llama.attention.layer_norm_rms_epsilon", &eps) == 0 && eps == 1e-5f, "eps");
    CHECK(gguf_get_f32(b, "llama.rope.freq_base", &theta) == 0 && theta == 10000.0f, "theta");
    /* the same hyperparameters as the converter wrote (context_length differs:
     * the converter takes it from its command line, 128) */
    static const char *same[] = {"llama.embedding_length", "llama.feed_forward_length", "llama.block_count",
                                 "llama.attention.head_count", "llama.attention.head_count_kv",
                                 "llama.rope.dimension_count"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        CHECK(test_gguf_int(b, same[i]) == test_gguf_int(g, same[i]), "%s differs from the gguf", same[i]);
    float geps = 0;
    CHECK(gguf_get_f32(g, "llama.attention.layer_norm_rms_epsilon", &geps) == 0 && geps == eps, "gguf eps");

    /* shared classifier: no output.weight; everything else matches the gguf */
    CHECK(b->n_tensors == 2 + 9 * 5, "n_tensors %llu", (unsigned long long)b->n_tensors);
    CHECK(gguf_find_tensor(b, "output.weight") == NULL, "shared classifier must not produce output.weight");
    CHECK(g->n_tensors == b->n_tensors + 1, "gguf has output.weight in addition");
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        const gguf_tensor *gt = &g->tensors[i];
        const char *name = strcmp(gt->name, "output.weight") == 0 ? "token_embd.weight" : gt->name;
        const gguf_tensor *bt = gguf_find_tensor(b, name);
        CHECK(bt != NULL, "%s missing", name);
        if (!bt) continue;
        CHECK(bt->n_dims == gt->n_dims, "%s n_dims %u vs %u", name, bt->n_dims, gt->n_dims);
        for (int d = 0; d < 4; d++)
            CHECK(bt->ne[d] == gt->ne[d], "%s ne[%d] %llu vs %llu", name, d, (unsigned long long)bt->ne[d],
                  (unsigned long long)gt->ne[d]);
        CHECK(bt->type == 0 && gt->type == 0, "%s type", name);
        CHECK(bt->nbytes == gt->nbytes, "%s nbytes", name);
        CHECK(bt->data && gt->data && memcmp(bt->data, gt->data, gt->nbytes) == 0, "%s bytes differ", gt->name);
        CHECK((const uint8_t *)bt->data == b->map + b->data_offset + bt->offset, "%s data/offset", name);
        CHECK((uint64_t)((const uint8_t *)bt->data - b->map) + bt->nbytes <= b->size, "%s inside the file", name);
    }
    /* tensor names are unique */
    for (uint64_t i = 0; i < b->n_tensors; i++)
        for (uint64_t j = 0; j < i; j++) CHECK(strcmp(b->tensors[i].name, b->tensors[j].name) != 0, "dup");

    /* a truncated copy and one with trailing bytes are rejected */
    size_t n = b->size;
    uint8_t *copy = malloc(n + 4);
    memcpy(copy, b->map, n);
    memset(copy + n, 0, 4);
    CHECK(test_write_file(test_path("trunc.bin"), copy, n - 4) == 0, "cannot write");
    expect_error(test_path("trunc.bin"), "truncated");
    expect_error(test_path("trunc.bin"), "needs 1056540");
    CHECK(test_write_file(test_path("trail.bin"), copy, n + 4) == 0, "cannot write");
    expect_error(test_path("trail.bin"), "4 more");
    CHECK(test_write_file(test_path("short.bin"), copy, 20) == 0, "cannot write");
    expect_error(test_path("short.bin"), "too short");
    free(copy);
    expect_error(gg, "GGUF");
    gguf_close(b);
    gguf_close(g);
}

/* A tiny checkpoint whose float k is the value k, with an unshared
 * classifier: each tensor's first float is then its offset, which is checked
 * against a layout written out here in run.c's order. */
static void test_synthetic(void) {
    const int dim = 8, hid = 12, L = 2, H = 2, KV = 1, V = 10, seq = 4;
    const int head = dim / H, kvd = head * KV;
    struct { const char *kind; int per_layer; int n; } order[] = {
        {"token_embd", 0, V * dim}, {"attn_norm", 1, dim},  {"attn_q", 1, dim * dim}, {"attn_k", 1, kvd * dim},
        {"attn_v", 1, kvd * dim},   {"attn_output", 1, dim * dim}, {"ffn_norm", 1, dim}, {"ffn_gate", 1, hid * dim},
        {"ffn_down", 1, dim * hid}, {"ffn_up", 1, hid * dim}, {"output_norm", 0, dim}, {"freq_cis", 0, seq * head},
        {"output", 0, V * dim},
    };
    int total = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) total += order[i].n * (order[i].per_layer ? L : 1);
    size_t bytes = 28 + (size_t)total * 4;
    uint8_t *buf = malloc(bytes);
    int32_t hdr[7] = {dim, hid, L, H, KV, -V, seq};
    memcpy(buf, hdr, 28);
    for (int k = 0; k < total; k++) {
        float v = (float)k;
        memcpy(buf + 28 + 4 * k, &v, 4);
    }
    const char *p = test_path("tiny.bin");
    CHECK(test_write_file(p, buf, bytes) == 0, "cannot write");
    gguf_file *f = llama2c_open(p);
    CHECK(f != NULL, "tiny: %s", lmcc_error_text());
    if (!f) { free(buf); return; }
    CHECK(f->n_tensors == 3 + 9 * 2, "tiny n_tensors %llu", (unsigned long long)f->n_tensors);
    CHECK(test_gguf_int(f, "llama.context_length") == seq && test_gguf_int(f, "llama.rope.dimension_count") == head, "tiny kv");
    int at = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        for (int l = 0; l < (order[i].per_layer ? L : 1); l++, at += order[i].n) {
            if (strcmp(order[i].kind, "freq_cis") == 0) continue;
            char name[64];
            if (order[i].per_layer) snprintf(name, sizeof name, "blk.%d.%s.weight", l, order[i].kind);
            else snprintf(name, sizeof name, "%s.weight", order[i].kind);
            const gguf_tensor *t = gguf_find_tensor(f, name);
            CHECK(t != NULL, "tiny: %s missing", name);
            if (!t) continue;
            float first, last;
            memcpy(&first, t->data, 4);
            memcpy(&last, (const uint8_t *)t->data + t->nbytes - 4, 4);
            CHECK(first == (float)at && last == (float)(at + order[i].n - 1), "tiny: %s at %g..%g, want %d", name,
                  first, last, at);
            CHECK(t->ne[0] * t->ne[1] == (uint64_t)order[i].n, "tiny: %s size", name);
        }
    }
    const gguf_tensor *o = gguf_find_tensor(f, "output.weight");
    CHECK(o && o->ne[0] == (uint64_t)dim && o->ne[1] == (uint64_t)V, "tiny: output ne");
    const gguf_tensor *dn = gguf_find_tensor(f, "blk.1.ffn_down.weight");
    CHECK(dn && dn->ne[0] == (uint64_t)hid && dn->ne[1] == (uint64_t)dim, "tiny: ffn_down ne = {hidden, dim}");
    const gguf_tensor *k = gguf_find_tensor(f, "blk.0.attn_k.weight");
    CHECK(k && k->ne[0] == (uint64_t)dim && k->ne[1] == (uint64_t)kvd, "tiny: attn_k ne = {dim, kv_dim}");
    gguf_close(f);

    /* bad headers */
    int32_t bad[7];
    memcpy(bad, hdr, 28);
    bad[0] = 0;
    memcpy(buf, bad, 28);
    CHECK(test_write_file(p, buf, bytes) == 0, "cannot write");
    expect_error(p, "dim = 0");
    memcpy(bad, hdr, 28);
    bad[4] = 3; /* 2 heads not a multiple of 3 kv heads */
    memcpy(buf, bad, 28);
    CHECK(test_write_file(p, buf, bytes) == 0, "cannot write");
    expect_error(p, "n_kv_heads");
    memcpy(bad, hdr, 28);
    bad[5] = INT32_MIN;
    memcpy(buf, bad, 28);
    CHECK(test_write_file(p, buf, bytes) == 0, "cannot write");
    expect_error(p, "vocab_size");
    uint32_t magic = 0x616b3432u; /* export.py: struct.pack('I', 0x616b3432) */
    memcpy(buf, &magic, 4);
    CHECK(test_write_file(p, buf, bytes) == 0, "cannot write");
    expect_error(p, "ak42");
    free(buf);
    expect_error(test_path("does-not-exist.bin"), "cannot open");
}

int main(void) {
    char bin[1024], gg[1024];
    if (find_model(bin, sizeof bin, "stories260K.bin") || find_model(gg, sizeof gg, "stories260K.gguf"))
        return test_finish("test_llama2c", "everything: stories260K.bin/.gguf not found (set LMCC_SOURCE_DIR or LMCC_SHARED_DIR)");
    if (!test_tmpdir("test_llama2c")) return 1;
    test_stories(bin, gg);
    test_synthetic();
    static const char *files[] = {"trunc.bin", "trail.bin", "short.bin", "tiny.bin"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) unlink(test_path(files[i]));
    rmdir(test_dir);
    return test_finish("test_llama2c", NULL);
}
