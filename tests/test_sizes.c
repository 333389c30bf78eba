/* lmcc_code_bytes: section sums of a compiled object, and "no compiler" is not an error. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sizes.h"

int main(void) {
    const char *tmp = getenv("TMPDIR");
    char path[600];
    snprintf(path, sizeof path, "%s/lmcc_sizes_%ld.c", tmp && *tmp ? tmp : "/tmp", (long)getpid());
    FILE *fp = fopen(path, "w");
    if (!fp) return 1;
    /* 4000 bytes of const data, and code that cannot be folded away */
    fputs("const int table[1000] = {1, 2, 3};\n"
          "int f(int i, int j) { return table[i] * j + table[j] / (i | 1); }\n", fp);
    fclose(fp);
    lmcc_target t;
    memset(&t, 0, sizeof t);
    strcpy(t.name, "test");
    strcpy(t.cc, "cc");
    strcpy(t.cflags, "-O1");
    long long text = -1, data = -1;
    int rc = lmcc_code_bytes(&t, path, ".", &text, &data);
    int fails = 0;
    if (rc != 0 || text <= 0 || text > 4000 || data < 4000 || data > 8000) {
        printf("FAIL: rc %d text %lld data %lld (want code > 0, data ~4000)\n", rc, text, data);
        fails++;
    } else printf("ok: cc: text %lld data %lld\n", text, data);
    strcpy(t.cc, "lmcc-no-such-compiler-xyz");
    if (lmcc_code_bytes(&t, path, ".", &text, &data) != 1) { printf("FAIL: missing cc not reported as 1\n"); fails++; }
    else printf("ok: missing compiler -> 1\n");
    strcpy(t.cc, "cc");
    strcpy(t.cflags, "-DBROKEN=(");
    FILE *bp = fopen(path, "w");
    if (bp) { fputs("int g(void) { return BROKEN; }\n", bp); fclose(bp); }
    if (lmcc_code_bytes(&t, path, ".", &text, &data) != -1) { printf("FAIL: a failing compile not reported\n"); fails++; }
    else printf("ok: failing compile -> -1\n");
    remove(path);
    return fails ? 1 : 0;
}
