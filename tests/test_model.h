/* test_model.h - models in the tests: a bundled model opened, a graph built and run through
 * the passes, GGUF keys and values.  Header-only, test code. */
#ifndef LMCC_TESTS_TEST_MODEL_H
#define LMCC_TESTS_TEST_MODEL_H

#include <string.h>

#include "arch.h"
#include "diag.h"
#include "gguf.h"
#include "model.h"
#include "passes.h"
#include "test_util.h"

/* the bundled model `file` (find_model) opened, or NULL: absent (printed: `part` is skipped)
 * or unreadable (a failed check) */
TEST_API gguf_file *test_open_model(const char *file, const char *part) {
    char path[1024];
    if (find_model(path, sizeof path, file)) {
        printf("skipped %s: %s not found (set LMCC_SHARED_DIR)\n", part, file);
        return NULL;
    }
    lmcc_error_clear();
    gguf_file *f = lmcc_model_open(path);
    CHECK(f, "open %s: %s", path, lmcc_error_text());
    return f;
}

/* stop for test_build_graph: no pass at all */
#define TEST_NO_PASSES ""

/* the graph of f for cfg (`what` names it in messages), run through the passes up to stop (NULL:
 * all of them, TEST_NO_PASSES: none); NULL with a failed check */
TEST_API ir_graph *test_build_graph(const gguf_file *f, const char *what, const ir_config *cfg, const char *stop) {
    lmcc_error_clear();
    ir_graph *g = lmcc_build_graph(f, what, cfg);
    CHECK(g, "build %s: %s", what, lmcc_error_text());
    if (!g || (stop && !stop[0])) return g;
    lmcc_diag pc;
    memset(&pc, 0, sizeof pc);
    if (lmcc_run_passes(g, &pc, stop) != 0) {
        CHECK(0, "passes on %s: %s", what, pc.err);
        ir_graph_free(g);
        return NULL;
    }
    return g;
}

/* key's value when it has type t; else a failed check and NULL */
TEST_API const gguf_value *test_gguf_val(const gguf_file *f, const char *key, enum gguf_vtype t) {
    const gguf_kv *kv = gguf_find(f, key);
    CHECK(kv != NULL, "%s: key %s missing", f->path, key);
    if (!kv) return NULL;
    CHECK(kv->val.type == t, "key %s has type %s, want %s", key, gguf_vtype_name(kv->val.type), gguf_vtype_name(t));
    return kv->val.type == t ? &kv->val : NULL;
}

/* an integer key's value; a failed check and -1 when absent */
TEST_API int64_t test_gguf_int(const gguf_file *f, const char *key) {
    int64_t v = -1;
    CHECK(gguf_get_i64(f, key, &v) == 0, "%s: key %s missing", f->path, key);
    return v;
}

/* same type and value (floats bit for bit), arrays element by element */
TEST_API int test_gguf_value_eq(const gguf_value *a, const gguf_value *b) {
    if (a->type != b->type) return 0;
    switch (a->type) {
    case GGUF_T_STRING: return a->v.s.len == b->v.s.len && memcmp(a->v.s.ptr, b->v.s.ptr, a->v.s.len) == 0;
    case GGUF_T_ARRAY:
        if (a->v.arr.type != b->v.arr.type || a->v.arr.n != b->v.arr.n) return 0;
        for (uint64_t i = 0; i < a->v.arr.n; i++) {
            gguf_value x, y;
            if (gguf_arr_get(a, i, &x) || gguf_arr_get(b, i, &y) || !test_gguf_value_eq(&x, &y)) return 0;
        }
        return 1;
    case GGUF_T_FLOAT32: case GGUF_T_FLOAT64: return memcmp(&a->v.f, &b->v.f, sizeof a->v.f) == 0;
    case GGUF_T_BOOL: return !!a->v.b == !!b->v.b;
    case GGUF_T_INT8: case GGUF_T_INT16: case GGUF_T_INT32: case GGUF_T_INT64: return a->v.i == b->v.i;
    default: return a->v.u == b->v.u;
    }
}

#endif
