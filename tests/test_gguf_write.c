/* test_gguf_write.c - GGUF writer: every value type, nested arrays and
 * several tensors round-trip through gguf_open; a tiny file is compared with
 * bytes assembled by hand from the GGUF spec; tokenizer.* keys copied from a
 * real file read back identical; bad input is refused. */
#include "diag.h"
#include "gguf.h"
#include "gguf_write.h"
#include "lmrt_quant.h"
#include "test_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* element i of an array value, scalar arrays included (the reader keeps those packed) */
static gguf_value arr_at(const gguf_value *v, uint64_t i) {
    gguf_value e;
    memset(&e, 0, sizeof e);
    CHECK(gguf_arr_get(v, i, &e) == 0, "array element %llu", (unsigned long long)i);
    return e;
}

static void test_roundtrip(void) {
    gguf_writer *w = gguf_writer_new();
    CHECK(w != NULL, "new");
    CHECK(gguf_writer_add_u8(w, "t.u8", 200) == 0, "u8");
    CHECK(gguf_writer_add_i8(w, "t.i8", -100) == 0, "i8");
    CHECK(gguf_writer_add_u16(w, "t.u16", 60000) == 0, "u16");
    CHECK(gguf_writer_add_i16(w, "t.i16", -30000) == 0, "i16");
    CHECK(gguf_writer_add_u32(w, "t.u32", 4000000000u) == 0, "u32");
    CHECK(gguf_writer_add_i32(w, "t.i32", -2000000000) == 0, "i32");
    CHECK(gguf_writer_add_u64(w, "t.u64", (1ull << 63) + 5) == 0, "u64");
    CHECK(gguf_writer_add_i64(w, "t.i64", -(1ll << 62) - 7) == 0, "i64");
    CHECK(gguf_writer_add_f32(w, "t.f32", 1.1f) == 0, "f32");
    CHECK(gguf_writer_add_f64(w, "t.f64", 3.141592653589793) == 0, "f64");
    CHECK(gguf_writer_add_bool(w, "t.bool", 1) == 0, "bool");
    CHECK(gguf_writer_add_bool(w, "t.bool0", 0) == 0, "bool");
    CHECK(gguf_writer_add_str(w, "t.str", "h\xc3\xa9llo") == 0, "str");
    CHECK(gguf_writer_add_strn(w, "t.strn", "ab\0cd", 5) == 0, "strn with NUL");
    CHECK(gguf_writer_add_str(w, "t.empty", "") == 0, "empty str");
    uint32_t alignment = 64;
    CHECK(gguf_writer_add_u32(w, "general.alignment", alignment) == 0, "alignment");
    int32_t ai[5] = {1, -2, 3, INT32_MIN, INT32_MAX};
    float af[3] = {0.5f, -1e-30f, INFINITY};
    double ad[2] = {-0.0, 1e300};
    uint8_t ab[4] = {1, 0, 7, 0}; /* 7 is normalized to 1 */
    uint16_t au[3] = {1, 2, 65535};
    int64_t al[2] = {INT64_MIN, 42};
    const char *as[4] = {"<unk>", "", "\xe2\x96\x81the", "[3]"};
    CHECK(gguf_writer_add_arr(w, "a.i32", GGUF_T_INT32, ai, 5) == 0, "arr i32");
    CHECK(gguf_writer_add_arr(w, "a.f32", GGUF_T_FLOAT32, af, 3) == 0, "arr f32");
    CHECK(gguf_writer_add_arr(w, "a.f64", GGUF_T_FLOAT64, ad, 2) == 0, "arr f64");
    CHECK(gguf_writer_add_arr(w, "a.bool", GGUF_T_BOOL, ab, 4) == 0, "arr bool");
    CHECK(gguf_writer_add_arr(w, "a.u16", GGUF_T_UINT16, au, 3) == 0, "arr u16");
    CHECK(gguf_writer_add_arr(w, "a.i64", GGUF_T_INT64, al, 2) == 0, "arr i64");
    CHECK(gguf_writer_add_arr(w, "a.empty", GGUF_T_UINT8, NULL, 0) == 0, "empty arr");
    CHECK(gguf_writer_add_str_arr(w, "a.str", as, 4) == 0, "arr str");
    /* nested: [[1, 2], [3]] of int32 and [["x"], []] of strings */
    gguf_value in1[2], in2[1], outer[2], s1[1], souter[2], nested, snested;
    memset(in1, 0, sizeof in1);
    memset(in2, 0, sizeof in2);
    for (int i = 0; i < 2; i++) { in1[i].type = GGUF_T_INT32; in1[i].v.i = i + 1; }
    in2[0].type = GGUF_T_INT32;
    in2[0].v.i = 3;
    memset(outer, 0, sizeof outer);
    outer[0].type = outer[1].type = GGUF_T_ARRAY;
    outer[0].v.arr.type = outer[1].v.arr.type = GGUF_T_INT32;
    outer[0].v.arr.n = 2; outer[0].v.arr.items = in1;
    outer[1].v.arr.n = 1; outer[1].v.arr.items = in2;
    memset(&nested, 0, sizeof nested);
    nested.type = GGUF_T_ARRAY;
    nested.v.arr.type = GGUF_T_ARRAY;
    nested.v.arr.n = 2;
    nested.v.arr.items = outer;
    CHECK(gguf_writer_add_value(w, "a.nested", &nested) == 0, "nested: %s", lmcc_error_text());
    memset(s1, 0, sizeof s1);
    s1[0].type = GGUF_T_STRING;
    s1[0].v.s = (gguf_str){1, "x"};
    memset(souter, 0, sizeof souter);
    souter[0].type = souter[1].type = GGUF_T_ARRAY;
    souter[0].v.arr.type = souter[1].v.arr.type = GGUF_T_STRING;
    souter[0].v.arr.n = 1; souter[0].v.arr.items = s1;
    memset(&snested, 0, sizeof snested);
    snested.type = GGUF_T_ARRAY;
    snested.v.arr.type = GGUF_T_ARRAY;
    snested.v.arr.n = 2;
    snested.v.arr.items = souter;
    CHECK(gguf_writer_add_value(w, "a.snested", &snested) == 0, "nested strings");

    /* tensors of several types; odd sizes so padding matters */
    float f32[5 * 3];
    for (int i = 0; i < 15; i++) f32[i] = (float)i * 0.25f - 1.0f;
    uint16_t f16[7];
    for (int i = 0; i < 7; i++) f16[i] = lmrt_f32_to_f16((float)i - 3.0f);
    float src[64 * 2];
    for (int i = 0; i < 128; i++) src[i] = sinf((float)i);
    uint8_t q8[4 * 34], q4[18], qk[144];
    lmrt_quantize_row_q8_0(src, q8, 128);
    lmrt_quantize_row_q4_0(src, q4, 32);
    for (int i = 0; i < 144; i++) qk[i] = (uint8_t)(i * 37 + 11);
    int32_t i32[3] = {7, -8, 9};
    uint8_t unknown[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    struct { const char *name; uint32_t type, n_dims; uint64_t ne[4]; const void *data; uint64_t nbytes; } ts[] = {
        {"w.f32", 0, 2, {5, 3}, f32, sizeof f32},
        {"w.f16", 1, 1, {7}, f16, sizeof f16},
        {"w.q8_0", 8, 2, {64, 2}, q8, sizeof q8},
        {"w.q4_0", 2, 1, {32}, q4, sizeof q4},
        {"w.q4_k", 12, 1, {256}, qk, sizeof qk},
        {"w.i32", 26, 3, {3, 1, 1}, i32, sizeof i32},
        {"w.4d", 0, 4, {1, 1, 3, 5}, f32, sizeof f32},
    };
    size_t nts = sizeof ts / sizeof ts[0];
    for (size_t i = 0; i < nts; i++)
        CHECK(gguf_writer_add_tensor(w, ts[i].name, ts[i].type, ts[i].n_dims, ts[i].ne, ts[i].data,
                                     ts[i].nbytes) == 0, "tensor %s: %s", ts[i].name, lmcc_error_text());
    (void)unknown;
    const char *path = test_path("all.gguf");
    CHECK(gguf_writer_write(w, path) == 0, "write: %s", lmcc_error_text());
    gguf_writer_free(w);
    CHECK(access(test_path("all.gguf.tmp"), F_OK) != 0, "temporary file left behind");

    gguf_file *f = gguf_open(path);
    CHECK(f != NULL, "reopen: %s", lmcc_error_text());
    if (!f) return;
    CHECK(f->version == 3, "version");
    CHECK(f->n_kv == 16 + 8 + 2, "n_kv %llu", (unsigned long long)f->n_kv);
    CHECK(f->alignment == 64 && f->data_offset % 64 == 0, "alignment honoured");
    const gguf_value *v;
    if ((v = test_gguf_val(f, "t.u8", GGUF_T_UINT8))) CHECK(v->v.u == 200, "u8");
    if ((v = test_gguf_val(f, "t.i8", GGUF_T_INT8))) CHECK(v->v.i == -100, "i8");
    if ((v = test_gguf_val(f, "t.u16", GGUF_T_UINT16))) CHECK(v->v.u == 60000, "u16");
    if ((v = test_gguf_val(f, "t.i16", GGUF_T_INT16))) CHECK(v->v.i == -30000, "i16");
    if ((v = test_gguf_val(f, "t.u32", GGUF_T_UINT32))) CHECK(v->v.u == 4000000000u, "u32");
    if ((v = test_gguf_val(f, "t.i32", GGUF_T_INT32))) CHECK(v->v.i == -2000000000, "i32");
    if ((v = test_gguf_val(f, "t.u64", GGUF_T_UINT64))) CHECK(v->v.u == (1ull << 63) + 5, "u64");
    if ((v = test_gguf_val(f, "t.i64", GGUF_T_INT64))) CHECK(v->v.i == -(1ll << 62) - 7, "i64");
    if ((v = test_gguf_val(f, "t.f32", GGUF_T_FLOAT32))) CHECK((float)v->v.f == 1.1f, "f32");
    if ((v = test_gguf_val(f, "t.f64", GGUF_T_FLOAT64))) CHECK(v->v.f == 3.141592653589793, "f64");
    if ((v = test_gguf_val(f, "t.bool", GGUF_T_BOOL))) CHECK(v->v.b == 1, "bool");
    if ((v = test_gguf_val(f, "t.bool0", GGUF_T_BOOL))) CHECK(v->v.b == 0, "bool0");
    if ((v = test_gguf_val(f, "t.str", GGUF_T_STRING))) CHECK(gguf_str_eq(v->v.s, "h\xc3\xa9llo"), "str");
    if ((v = test_gguf_val(f, "t.strn", GGUF_T_STRING))) CHECK(v->v.s.len == 5 && memcmp(v->v.s.ptr, "ab\0cd", 5) == 0, "strn");
    if ((v = test_gguf_val(f, "t.empty", GGUF_T_STRING))) CHECK(v->v.s.len == 0, "empty");
    if ((v = test_gguf_val(f, "general.alignment", GGUF_T_UINT32))) CHECK(v->v.u == 64, "alignment key");
    if ((v = test_gguf_val(f, "a.i32", GGUF_T_ARRAY))) {
        CHECK(v->v.arr.type == GGUF_T_INT32 && v->v.arr.n == 5, "a.i32 shape");
        for (int i = 0; i < 5 && v->v.arr.n == 5; i++) CHECK(arr_at(v, (uint64_t)i).v.i == ai[i], "a.i32[%d]", i);
    }
    if ((v = test_gguf_val(f, "a.f32", GGUF_T_ARRAY))) {
        CHECK(v->v.arr.type == GGUF_T_FLOAT32 && v->v.arr.n == 3, "a.f32 shape");
        for (int i = 0; i < 3 && v->v.arr.n == 3; i++) CHECK((float)arr_at(v, (uint64_t)i).v.f == af[i], "a.f32[%d]", i);
    }
    if ((v = test_gguf_val(f, "a.f64", GGUF_T_ARRAY))) {
        CHECK(v->v.arr.type == GGUF_T_FLOAT64 && v->v.arr.n == 2, "a.f64 shape");
        for (int i = 0; i < 2 && v->v.arr.n == 2; i++)
            CHECK(memcmp(&(double){arr_at(v, (uint64_t)i).v.f}, &ad[i], 8) == 0, "a.f64[%d]", i);
    }
    if ((v = test_gguf_val(f, "a.bool", GGUF_T_ARRAY))) {
        CHECK(v->v.arr.type == GGUF_T_BOOL && v->v.arr.n == 4, "a.bool shape");
        for (int i = 0; i < 4 && v->v.arr.n == 4; i++) CHECK(arr_at(v, (uint64_t)i).v.b == (ab[i] != 0), "a.bool[%d]", i);
    }
    if ((v = test_gguf_val(f, "a.u16", GGUF_T_ARRAY)))
        for (int i = 0; i < 3 && v->v.arr.n == 3; i++) CHECK(arr_at(v, (uint64_t)i).v.u == au[i], "a.u16[%d]", i);
    if ((v = test_gguf_val(f, "a.i64", GGUF_T_ARRAY)))
        for (int i = 0; i < 2 && v->v.arr.n == 2; i++) CHECK(arr_at(v, (uint64_t)i).v.i == al[i], "a.i64[%d]", i);
    if ((v = test_gguf_val(f, "a.empty", GGUF_T_ARRAY))) CHECK(v->v.arr.n == 0 && v->v.arr.type == GGUF_T_UINT8, "empty");
    if ((v = test_gguf_val(f, "a.str", GGUF_T_ARRAY))) {
        CHECK(v->v.arr.type == GGUF_T_STRING && v->v.arr.n == 4, "a.str shape");
        for (int i = 0; i < 4 && v->v.arr.n == 4; i++) CHECK(gguf_str_eq(arr_at(v, (uint64_t)i).v.s, as[i]), "a.str[%d]", i);
    }
    if ((v = test_gguf_val(f, "a.nested", GGUF_T_ARRAY))) CHECK(test_gguf_value_eq(v, &nested), "nested int arrays");
    if ((v = test_gguf_val(f, "a.snested", GGUF_T_ARRAY))) CHECK(test_gguf_value_eq(v, &snested), "nested string arrays");
    /* copying everything leaves general.alignment to the new writer */
    gguf_writer *w2 = gguf_writer_new();
    CHECK(gguf_writer_copy_kv(w2, f, "") == 0, "copy all: %s", lmcc_error_text());
    CHECK(gguf_writer_add_u32(w2, "general.alignment", 128) == 0, "alignment not copied: %s", lmcc_error_text());
    CHECK(gguf_writer_write(w2, test_path("copy.gguf")) == 0, "write copy: %s", lmcc_error_text());
    gguf_writer_free(w2);
    gguf_file *f2 = gguf_open(test_path("copy.gguf"));
    CHECK(f2 && f2->alignment == 128 && f2->n_kv == f->n_kv, "copy reopened");
    for (uint64_t i = 0; f2 && i < f->n_kv; i++) {
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)f->kv[i].key.len, f->kv[i].key.ptr);
        const gguf_kv *c = gguf_find(f2, key);
        if (strcmp(key, "general.alignment") != 0) CHECK(c && test_gguf_value_eq(&c->val, &f->kv[i].val), "copy %s", key);
    }
    gguf_close(f2);
    /* keys keep their order */
    CHECK(gguf_str_eq(f->kv[0].key, "t.u8") && gguf_str_eq(f->kv[f->n_kv - 1].key, "a.snested"), "key order");

    CHECK(f->n_tensors == nts, "n_tensors");
    for (size_t i = 0; i < nts && i < f->n_tensors; i++) {
        const gguf_tensor *t = &f->tensors[i];
        CHECK(strcmp(t->name, ts[i].name) == 0, "tensor order %s", t->name);
        CHECK(t->type == ts[i].type && t->n_dims == ts[i].n_dims, "%s type/dims", t->name);
        for (uint32_t d = 0; d < 4; d++)
            CHECK(t->ne[d] == (d < ts[i].n_dims ? ts[i].ne[d] : 1), "%s ne[%u]", t->name, d);
        CHECK(t->offset % 64 == 0, "%s offset %llu not aligned", t->name, (unsigned long long)t->offset);
        CHECK(t->nbytes == ts[i].nbytes, "%s nbytes", t->name);
        CHECK(t->data && memcmp(t->data, ts[i].data, ts[i].nbytes) == 0, "%s bytes", t->name);
    }
    gguf_close(f);
}

/* Bytes of a minimal file assembled by hand (GGUF v3 spec): one uint32 key,
 * one 1-D F32 tensor of 3 elements, default alignment 32. */
static void test_exact_bytes(void) {
    gguf_writer *w = gguf_writer_new();
    float data[3] = {1.0f, -2.0f, 0.5f};
    uint64_t ne[1] = {3};
    uint8_t seven = 7; /* bools are written as 0/1 */
    CHECK(gguf_writer_add_u32(w, "k", 0x01020304u) == 0, "add");
    CHECK(gguf_writer_add_arr(w, "b", GGUF_T_BOOL, &seven, 1) == 0, "add");
    CHECK(gguf_writer_add_tensor(w, "t", 0, 1, ne, data, sizeof data) == 0, "tensor");
    const char *path = test_path("tiny.gguf");
    CHECK(gguf_writer_write(w, path) == 0, "write: %s", lmcc_error_text());
    gguf_writer_free(w);
    uint8_t want[256];
    size_t n = 0;
#define B(...)                                                    \
    do {                                                          \
        const uint8_t b_[] = {__VA_ARGS__};                       \
        memcpy(want + n, b_, sizeof b_);                          \
        n += sizeof b_;                                           \
    } while (0)
    B('G', 'G', 'U', 'F', 3, 0, 0, 0);        /* magic, version 3 */
    B(1, 0, 0, 0, 0, 0, 0, 0);                /* n_tensors */
    B(2, 0, 0, 0, 0, 0, 0, 0);                /* n_kv */
    B(1, 0, 0, 0, 0, 0, 0, 0, 'k');           /* key */
    B(4, 0, 0, 0, 0x04, 0x03, 0x02, 0x01);    /* uint32 value */
    B(1, 0, 0, 0, 0, 0, 0, 0, 'b');           /* key */
    B(9, 0, 0, 0, 7, 0, 0, 0);                /* array of bool */
    B(1, 0, 0, 0, 0, 0, 0, 0, 1);             /* n = 1, true */
    B(1, 0, 0, 0, 0, 0, 0, 0, 't');           /* tensor name */
    B(1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0);    /* n_dims, ne[0] */
    B(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);    /* type F32, offset 0 */
    while (n % 32) want[n++] = 0;             /* pad to the data section */
    B(0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0x3f);
    while (n % 32) want[n++] = 0;             /* the last tensor is padded too */
#undef B
    uint8_t got[256];
    FILE *fp = fopen(path, "rb");
    size_t gn = fp ? fread(got, 1, sizeof got, fp) : 0;
    if (fp) fclose(fp);
    CHECK(gn == n && memcmp(got, want, n) == 0, "file bytes differ from the hand-built GGUF (%zu vs %zu bytes)", gn,
          n);
}

static void test_copy_kv(void) {
    gguf_file *src = test_open_model("stories260K.gguf", "copy_kv");
    if (!src) return;
    gguf_writer *w = gguf_writer_new();
    CHECK(gguf_writer_add_str(w, "general.architecture", "test") == 0, "add");
    CHECK(gguf_writer_copy_kv(w, src, "tokenizer.") == 0, "copy: %s", lmcc_error_text());
    const char *path = test_path("tok.gguf");
    CHECK(gguf_writer_write(w, path) == 0, "write: %s", lmcc_error_text());
    gguf_writer_free(w);
    gguf_file *f = gguf_open(path);
    CHECK(f != NULL, "reopen: %s", lmcc_error_text());
    if (f) {
        uint64_t n_tok = 0;
        for (uint64_t i = 0; i < src->n_kv; i++) {
            const gguf_kv *kv = &src->kv[i];
            char key[256];
            snprintf(key, sizeof key, "%.*s", (int)kv->key.len, kv->key.ptr);
            const gguf_kv *c = gguf_find(f, key);
            if (strncmp(key, "tokenizer.", 10) == 0) {
                n_tok++;
                CHECK(c && test_gguf_value_eq(&c->val, &kv->val), "%s not copied exactly", key);
            } else if (strcmp(key, "general.architecture") != 0) {
                CHECK(c == NULL, "%s copied although it lacks the prefix", key);
            }
        }
        CHECK(n_tok >= 9 && f->n_kv == n_tok + 1, "copied %llu keys", (unsigned long long)n_tok);
        const gguf_value *toks = test_gguf_val(f, "tokenizer.ggml.tokens", GGUF_T_ARRAY);
        CHECK(toks && toks->v.arr.n == 512 && gguf_str_eq(toks->v.arr.items[1].v.s, "<s>"), "tokens");
        char arch[32] = "";
        CHECK(gguf_get_str(f, "general.architecture", arch, sizeof arch) == 0 && strcmp(arch, "test") == 0, "arch");
        gguf_close(f);
    }
    /* copying a key that is already there is a duplicate */
    w = gguf_writer_new();
    CHECK(gguf_writer_copy_kv(w, src, "") == 0, "copy all: %s", lmcc_error_text());
    lmcc_error_clear();
    CHECK(gguf_writer_copy_kv(w, src, "general.") == -1, "second copy must collide");
    CHECK(strstr(lmcc_error_text(), "duplicate key") != NULL, "error: %s", lmcc_error_text());
    gguf_writer_free(w);
    gguf_close(src);
}

static void expect_fail(int rc, const char *needle) {
    CHECK(rc == -1, "call should fail (%s)", needle);
    CHECK(strstr(lmcc_error_text(), needle) != NULL, "error '%s' lacks '%s'", lmcc_error_text(), needle);
    lmcc_error_clear();
}

static void test_errors(void) {
    float x[64] = {0};
    uint64_t ne[2] = {64, 1}, bad_ne[1] = {33};
    gguf_writer *w;
    lmcc_error_clear();

    w = gguf_writer_new();
    CHECK(gguf_writer_add_u32(w, "a", 1) == 0, "a");
    expect_fail(gguf_writer_add_i32(w, "a", 2), "duplicate key 'a'");
    /* a failed add poisons the writer: no half-written file */
    expect_fail(gguf_writer_write(w, test_path("poison.gguf")), "earlier gguf writer call failed");
    CHECK(access(test_path("poison.gguf"), F_OK) != 0, "poisoned writer wrote a file");
    gguf_writer_free(w);

    w = gguf_writer_new();
    CHECK(gguf_writer_add_tensor(w, "t", 0, 1, ne, x, 256) == 0, "t");
    expect_fail(gguf_writer_add_tensor(w, "t", 0, 1, ne, x, 256), "duplicate tensor 't'");
    gguf_writer_free(w);

    /* a fresh writer `fw` refuses `call` with an error containing needle */
#define EXPECT_FAIL_FRESH(call, needle)                                                                    \
    do {                                                                                                 \
        gguf_writer *fw = gguf_writer_new();                                                             \
        expect_fail(call, needle);                                                                       \
        gguf_writer_free(fw);                                                                            \
    } while (0)
    EXPECT_FAIL_FRESH(gguf_writer_add_tensor(fw, "t", 0, 1, ne, x, 200), "nbytes does not match");
    EXPECT_FAIL_FRESH(gguf_writer_add_tensor(fw, "t", 8, 1, bad_ne, x, 34), "whole number of blocks");
    EXPECT_FAIL_FRESH(gguf_writer_add_tensor(fw, "t", 0, 0, ne, x, 4), "dimensions");
    EXPECT_FAIL_FRESH(gguf_writer_add_u32(fw, "general.alignment", 48), "power of two");
    EXPECT_FAIL_FRESH(gguf_writer_add_str(fw, "general.alignment", "32"), "power of two");
#undef EXPECT_FAIL_FRESH

    w = gguf_writer_new();
    CHECK(gguf_writer_add_u32(w, "a", 1) == 0, "a");
    expect_fail(gguf_writer_write(w, "/nonexistent-dir-lmcc/x.gguf"), "cannot create");
    gguf_writer_free(w);
}

int main(void) {
    if (!test_tmpdir("test_gguf_write")) return 1;
    test_roundtrip();
    test_exact_bytes();
    test_copy_kv();
    test_errors();
    static const char *files[] = {"all.gguf", "tiny.gguf", "tok.gguf", "copy.gguf"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) unlink(test_path(files[i]));
    if (rmdir(test_dir) != 0) CHECK(0, "leftover files in %s", test_dir);
    return test_finish("test_gguf_write", NULL);
}
