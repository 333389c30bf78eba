/* fuzz_llama2c.c - the llama2.c checkpoint reader (a GGUF in memory) and the graph built from it.
 * run.sh caps inputs at 64 KiB: a valid header must match the file's size, so that bounds the
 * model and keeps every execution fast. */
#include "arch.h"
#include "fuzz_util.h"
#include "gguf.h"
#include "ir.h"
#include "llama2c.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    const char *path = fuzz_file(".bin", data, size);
    if (!path) return 0;
    gguf_file *f = llama2c_open(path);
    fuzz_expect_said(!f);
    if (f) {
        static const ir_config cfg = {.ctx = 8, .kv_dtype = IR_DT_F32, .weights_mode = IR_WEIGHTS_KEEP};
        ir_graph *g = lmcc_build_graph(f, path, &cfg);
        fuzz_expect_said(!g);
        ir_graph_free(g);
        gguf_close(f);
    }
    unlink(path);
    return 0;
}
