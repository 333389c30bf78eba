/* test_gguf_stream.c - the GGUF writer's streaming mode (add_tensor_info,
 * begin, put_data, end): byte-identical to the in-memory writer for any
 * chunking, and its misuse / error paths leave no file behind. */
#include "diag.h"
#include "gguf.h"
#include "gguf_write.h"
#include "lmrt_quant.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* three tensors whose sizes are not multiples of the alignment */
#define N_T 3
static const char *const t_name[N_T] = {"a.weight", "b.weight", "c"};
static const uint32_t t_type[N_T] = {LMRT_GGML_F32, LMRT_GGML_Q8_0, LMRT_GGML_F16};
static const uint64_t t_ne[N_T][2] = {{5, 1}, {64, 3}, {7, 3}};
static const uint32_t t_dims[N_T] = {1, 2, 2};
static const uint64_t t_bytes[N_T] = {20, 2 * 3 * 34, 42};

static gguf_writer *make_writer(int stream, const uint8_t *data) {
    gguf_writer *w = gguf_writer_new();
    CHECK(w && gguf_writer_add_str(w, "general.architecture", "llama") == 0 &&
              gguf_writer_add_u32(w, "x.count", 3) == 0, "keys");
    uint64_t off = 0;
    for (int i = 0; i < N_T; i++) {
        int rc = stream ? gguf_writer_add_tensor_info(w, t_name[i], t_type[i], t_dims[i], t_ne[i], t_bytes[i])
                        : gguf_writer_add_tensor(w, t_name[i], t_type[i], t_dims[i], t_ne[i], data + off, t_bytes[i]);
        CHECK(rc == 0, "add %s: %s", t_name[i], lmcc_error_text());
        off += t_bytes[i];
    }
    return w;
}

static void test_identical(void) {
    uint8_t data[20 + 204 + 42];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7 + 3);
    /* q8_0 scales must be finite halves for the reader: put 1.0 there */
    for (int b = 0; b < 6; b++) {
        data[20 + 34 * b] = 0;
        data[20 + 34 * b + 1] = 0x3c;
    }
    gguf_writer *w = make_writer(0, data);
    CHECK(gguf_writer_write(w, test_path("mem.gguf")) == 0, "write: %s", lmcc_error_text());
    /* the in-memory writer can write again after streaming was added */
    CHECK(gguf_writer_write(w, test_path("mem2.gguf")) == 0, "write again: %s", lmcc_error_text());
    gguf_writer_free(w);
    size_t n_ref = 0, n2 = 0;
    uint8_t *ref = test_read_file(test_path("mem.gguf"), &n_ref), *ref2 = test_read_file(test_path("mem2.gguf"), &n2);
    CHECK(ref && ref2 && n_ref == n2 && !memcmp(ref, ref2, n_ref), "two writes differ");
    free(ref2);

    static const size_t chunks[] = {1, 7, 20, 31, 32, 33, 100, sizeof data};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        unlink(test_path("s.gguf"));
        w = make_writer(1, NULL);
        CHECK(gguf_writer_write(w, test_path("x.gguf")) != 0 && strstr(lmcc_error_text(), "without data"),
              "write() of declared-only tensors must refuse: %s", lmcc_error_text());
        lmcc_error_clear();
        CHECK(gguf_writer_begin(w, test_path("s.gguf")) == 0, "begin: %s", lmcc_error_text());
        CHECK(test_exists(test_path("s.gguf.tmp")) && !test_exists(test_path("s.gguf")), "writes to .tmp first");
        for (size_t off = 0; off < sizeof data; off += chunks[c]) {
            size_t k = sizeof data - off < chunks[c] ? sizeof data - off : chunks[c];
            CHECK(gguf_writer_put_data(w, data + off, k) == 0, "put_data: %s", lmcc_error_text());
        }
        CHECK(gguf_writer_end(w) == 0, "end: %s", lmcc_error_text());
        CHECK(gguf_writer_add_u32(w, "late", 1) != 0, "key after begin accepted");
        lmcc_error_clear();
        gguf_writer_free(w);
        size_t n = 0;
        uint8_t *got = test_read_file(test_path("s.gguf"), &n);
        CHECK(got && ref && n == n_ref && !memcmp(got, ref, n), "chunk %zu: streamed file differs (%zu vs %zu bytes)",
              chunks[c], n, n_ref);
        free(got);
        CHECK(!test_exists(test_path("s.gguf.tmp")), "tmp left behind");
    }
    free(ref);

    gguf_file *f = gguf_open(test_path("s.gguf"));
    CHECK(f && f->n_tensors == N_T, "reopen: %s", lmcc_error_text());
    for (int i = 0; f && i < N_T; i++) {
        const gguf_tensor *t = gguf_find_tensor(f, t_name[i]);
        uint64_t off = 0;
        for (int j = 0; j < i; j++) off += t_bytes[j];
        CHECK(t && t->nbytes == t_bytes[i] && t->offset % 32 == 0 && !memcmp(t->data, data + off, t_bytes[i]),
              "tensor %s", t_name[i]);
    }
    gguf_close(f);
    unlink(test_path("mem.gguf"));
    unlink(test_path("mem2.gguf"));
    unlink(test_path("s.gguf"));
}

static void test_misuse(void) {
    uint8_t data[300] = {0};
    /* too little data: end refuses and removes the tmp file */
    gguf_writer *w = make_writer(1, NULL);
    CHECK(gguf_writer_begin(w, test_path("short.gguf")) == 0, "begin");
    CHECK(gguf_writer_put_data(w, data, 100) == 0, "put");
    CHECK(gguf_writer_end(w) != 0 && strstr(lmcc_error_text(), "b.weight"), "short: %s", lmcc_error_text());
    lmcc_error_clear();
    CHECK(!test_exists(test_path("short.gguf")) && !test_exists(test_path("short.gguf.tmp")), "short file left behind");
    gguf_writer_free(w);

    /* too much data */
    w = make_writer(1, NULL);
    CHECK(gguf_writer_begin(w, test_path("long.gguf")) == 0, "begin");
    CHECK(gguf_writer_put_data(w, data, 267) != 0 && strstr(lmcc_error_text(), "more tensor data"), "long: %s",
          lmcc_error_text());
    lmcc_error_clear();
    CHECK(gguf_writer_end(w) != 0, "end after failure");
    CHECK(!test_exists(test_path("long.gguf")) && !test_exists(test_path("long.gguf.tmp")), "long file left behind");
    gguf_writer_free(w);

    /* abandoned stream: free removes the tmp file */
    w = make_writer(1, NULL);
    CHECK(gguf_writer_begin(w, test_path("gone.gguf")) == 0, "begin");
    CHECK(gguf_writer_add_tensor_info(w, "late", LMRT_GGML_F32, 1, t_ne[0], 20) != 0, "tensor after begin");
    CHECK(gguf_writer_begin(w, test_path("gone.gguf")) != 0, "begin twice");
    lmcc_error_clear();
    gguf_writer_free(w);
    CHECK(!test_exists(test_path("gone.gguf.tmp")) && !test_exists(test_path("gone.gguf")), "abandoned tmp left behind");

    /* unwritable directory; put/end before begin */
    w = make_writer(1, NULL);
    CHECK(gguf_writer_put_data(w, data, 1) != 0, "put before begin");
    CHECK(gguf_writer_end(w) != 0, "end before begin");
    lmcc_error_clear();
    CHECK(gguf_writer_begin(w, "/nonexistent-dir-lmcc/x.gguf") != 0 && strstr(lmcc_error_text(), "cannot create"),
          "unwritable: %s", lmcc_error_text());
    lmcc_error_clear();
    gguf_writer_free(w);

    /* declared size must match the shape */
    w = gguf_writer_new();
    CHECK(gguf_writer_add_tensor_info(w, "bad", LMRT_GGML_Q8_0, 2, t_ne[1], 205) != 0, "wrong nbytes accepted");
    lmcc_error_clear();
    gguf_writer_free(w);
}

int main(void) {
    if (!test_tmpdir("test_gguf_stream")) return 1;
    test_identical();
    test_misuse();
    if (rmdir(test_dir) != 0) CHECK(0, "leftover files in %s", test_dir);
    return test_finish("test_gguf_stream", NULL);
}
