/* fuzz_target.c - the .target file parser. */
#include "fuzz_util.h"
#include "target_find.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    const char *path = fuzz_file(".target", data, size);
    if (!path) return 0;
    lmcc_target t;
    memset(&t, 0, sizeof t);
    fuzz_expect_said(lmcc_target_load(path, &t) != 0);
    unlink(path);
    return 0;
}
