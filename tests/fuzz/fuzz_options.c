/* fuzz_options.c - the CLI option parser: the input split at NUL bytes is argv (the command first). */
#include "fuzz_util.h"
#include "options.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    char *buf = malloc(size + 1);
    char **argv = malloc((size + 2) * sizeof *argv);
    if (!buf || !argv) { free(buf); free(argv); return 0; }
    memcpy(buf, data, size);
    buf[size] = 0;
    int argc = 0;
    for (size_t i = 0; i <= size; i += strlen(buf + i) + 1) argv[argc++] = buf + i;
    argv[argc] = NULL;
    lmcc_config c;
    int st = lmcc_config_parse(argc, argv, &c);
    fuzz_expect_said(st < 0);
    free(argv);
    free(buf);
    return 0;
}
