/* fuzz_zstd.c - the MODEL.gguf.zst input path: stream decompression into a temporary file, its
 * bound, then the GGUF reader. */
#include "fuzz_util.h"
#include "gguf.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    const char *path = fuzz_file(".gguf.zst", data, size);
    if (!path) return 0;
    gguf_file *f = lmcc_model_open(path);
    fuzz_expect_said(!f);
    if (f) gguf_close(f);
    unlink(path);
    return 0;
}
