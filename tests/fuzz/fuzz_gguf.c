/* fuzz_gguf.c - the GGUF reader, then the graph builder (every architecture the file names) and
 * the tokenizer builder over whatever it accepts. */
#include "arch.h"
#include "fuzz_util.h"
#include "gguf.h"
#include "ir.h"
#include "vocab.h"

#include <sys/mman.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    if (size == 0) return 0;
    void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED) return 0;
    memcpy(map, data, size);
    gguf_file *f = gguf_open_map("fuzz.gguf", map, size); /* owns map */
    fuzz_expect_said(!f);
    if (!f) return 0;
    static const ir_config cfg = {.ctx = 8, .kv_dtype = IR_DT_F32, .weights_mode = IR_WEIGHTS_KEEP};
    ir_graph *g = lmcc_build_graph(f, "fuzz.gguf", &cfg);
    fuzz_expect_said(!g);
    ir_graph_free(g);
    lmrt_vocab *v = lmcc_vocab_from_gguf(f, "fuzz.gguf");
    lmcc_error_clear(); /* a file without a tokenizer is NULL without an error */
    lmcc_vocab_free(v);
    gguf_close(f);
    return 0;
}
