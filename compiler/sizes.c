#define _POSIX_C_SOURCE 200809L
#include "sizes.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "proc.h"
#include "target_find.h"

/* is the first word of cc an executable on PATH (or a path)? */
static int cc_exists(const char *cc) {
    char name[256];
    size_t n = strcspn(cc, " \t");
    if (n == 0 || n >= sizeof name) return 0;
    memcpy(name, cc, n);
    name[n] = 0;
    if (strchr(name, '/')) return access(name, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path) return 0;
    char buf[4096];
    while (*path) {
        size_t m = strcspn(path, ":");
        snprintf(buf, sizeof buf, "%.*s/%s", (int)m, path, name);
        if (access(buf, X_OK) == 0) return 1;
        path += m + (path[m] == ':');
    }
    return 0;
}

static uint64_t rd(const unsigned char *p, int bytes, int be) {
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)p[be ? bytes - 1 - i : i] << (8 * i);
    return v;
}

/* sums SHF_ALLOC sections of an ELF object (32/64-bit, either byte order) */
static int elf_sizes(const unsigned char *b, size_t n, long long *text, long long *data) {
    if (n < 52 || memcmp(b, "\177ELF", 4) != 0) return -1;
    int is64 = b[4] == 2, be = b[5] == 2, w = is64 ? 8 : 4;
    uint64_t shoff = rd(b + (is64 ? 0x28 : 0x20), w, be);
    unsigned shentsize = (unsigned)rd(b + (is64 ? 0x3A : 0x2E), 2, be);
    unsigned shnum = (unsigned)rd(b + (is64 ? 0x3C : 0x30), 2, be);
    if (shoff > n || (uint64_t)shnum * shentsize > n - shoff || shentsize < (is64 ? 64u : 40u)) return -1;
    long long tx = 0, dt = 0;
    for (unsigned i = 0; i < shnum; i++) {
        const unsigned char *s = b + shoff + (uint64_t)i * shentsize;
        uint32_t type = (uint32_t)rd(s + 4, 4, be);
        uint64_t flags = rd(s + 8, w, be);
        uint64_t size = rd(s + (is64 ? 0x20 : 0x14), w, be);
        if (!(flags & 0x2) || type == 8 /* NOBITS */) continue;
        if (flags & 0x4) tx += (long long)size;
        else dt += (long long)size;
    }
    *text = tx;
    *data = dt;
    return 0;
}

int lmcc_code_bytes(const lmcc_target *t, const char *c_path, const char *inc_dir, long long *text, long long *data) {
    const char *cc = lmcc_target_cc(t); /* as run/eval build */
    if (!cc_exists(cc)) return 1;
    const char *tmp = getenv("TMPDIR");
    char obj[4096];
    snprintf(obj, sizeof obj, "%s/lmcc-size-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(obj);
    if (fd < 0) return lmcc_error(obj, "cannot create a temporary file");
    close(fd);
    lmcc_argv cmd;
    lmcc_argv_init(&cmd);
    lmcc_argv_split(&cmd, cc);
    lmcc_argv_split(&cmd, t->cflags);
    lmcc_argv_add(&cmd, "-I%s", inc_dir);
    lmcc_argv_add(&cmd, "-c");
    lmcc_argv_add(&cmd, "%s", c_path);
    lmcc_argv_add(&cmd, "-o");
    lmcc_argv_add(&cmd, "%s", obj);
    int st = lmcc_argv_run(&cmd, NULL);
    if (st != 0) {
        remove(obj);
        if (st < 0) return lmcc_error(c_path, "cannot run %s for the size report: %s", cc, strerror(errno));
        return lmcc_error(c_path, "compiling for the size report failed (%s exited with %d)", cc, st);
    }
    FILE *fp = fopen(obj, "rb");
    unsigned char *buf = NULL;
    long sz = -1;
    if (fp && fseek(fp, 0, SEEK_END) == 0 && (sz = ftell(fp)) > 0 && fseek(fp, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)sz)) && fread(buf, 1, (size_t)sz, fp) != (size_t)sz)
        sz = -1;
    if (fp) fclose(fp);
    remove(obj);
    int rc = buf && sz > 0 ? elf_sizes(buf, (size_t)sz, text, data) : -1;
    free(buf);
    if (rc) return lmcc_error(c_path, "the compiled object is not a readable ELF file");
    return 0;
}
