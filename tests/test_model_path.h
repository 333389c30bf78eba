/* test_model_path.h - where the C tests find a bundled model file: the repository's examples/models
 * ($LMCC_SOURCE_DIR), else the shared directory's models ($LMCC_SHARED_DIR, default ../shared). */
#ifndef LMCC_TEST_MODEL_PATH_H
#define LMCC_TEST_MODEL_PATH_H

#include <stdio.h>
#include <stdlib.h>

/* 0 and out = a readable path to `file`, or -1 */
static inline int find_model(char *out, size_t cap, const char *file) {
    const char *src = getenv("LMCC_SOURCE_DIR"), *sh = getenv("LMCC_SHARED_DIR");
    FILE *fp;
    if (src) {
        snprintf(out, cap, "%s/examples/models/%s", src, file);
        if ((fp = fopen(out, "rb"))) { fclose(fp); return 0; }
    }
    snprintf(out, cap, "%s/models/%s", sh ? sh : "../shared", file);
    if ((fp = fopen(out, "rb"))) { fclose(fp); return 0; }
    return -1;
}

#endif
