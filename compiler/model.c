/* model.c - model container detection by magic. */
#include "model.h"

#include "diag.h"
#include "llama2c.h"

#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef LMCC_HAVE_ZSTD
#include <zstd.h>
#endif

/* MODEL.gguf.zst: stream-decompress into an unlinked temporary file (so a
 * model larger than RAM still works) and parse its mapping.  Weights do not
 * compress by more than a few times; a stream that grows past ZSTD_MAX_RATIO
 * times its size (plus a floor for tiny test models) is refused before it
 * fills the disk. */
#define ZSTD_MAX_RATIO 256
#define ZSTD_FLOOR_BYTES ((size_t)64 << 20)
#define XSTR_(x) #x
#define XSTR(x) XSTR_(x)
static gguf_file *open_zstd(const char *path) {
#ifdef LMCC_HAVE_ZSTD
    FILE *in = fopen(path, "rb");
    if (!in) { lmcc_error(path, "cannot open: %s", strerror(errno)); return NULL; }
    const char *dir = getenv("TMPDIR");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/lmcc-unzstd-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmp);
    if (fd >= 0) unlink(tmp);
    ZSTD_DStream *ds = ZSTD_createDStream();
    size_t in_cap = ZSTD_DStreamInSize(), out_cap = ZSTD_DStreamOutSize();
    char *ibuf = malloc(in_cap), *obuf = malloc(out_cap);
    size_t total = 0, left = 1, got;
    const char *why = NULL;
    struct stat st;
    size_t max_total = ZSTD_FLOOR_BYTES;
    if (fstat(fileno(in), &st) == 0 && (size_t)st.st_size < (SIZE_MAX - ZSTD_FLOOR_BYTES) / ZSTD_MAX_RATIO)
        max_total += (size_t)st.st_size * ZSTD_MAX_RATIO;
    if (fd < 0 || !ds || !ibuf || !obuf) why = "cannot set up decompression (temporary file or memory)";
    while (!why && (got = fread(ibuf, 1, in_cap, in)) > 0) {
        ZSTD_inBuffer ib = {ibuf, got, 0};
        while (!why && ib.pos < ib.size) {
            ZSTD_outBuffer ob = {obuf, out_cap, 0};
            left = ZSTD_decompressStream(ds, &ob, &ib);
            if (ZSTD_isError(left)) why = ZSTD_getErrorName(left);
            else if (write(fd, obuf, ob.pos) != (ssize_t)ob.pos) why = "write error on the temporary file (disk full?)";
            total += ob.pos;
            if (!why && total > max_total) why = "it grows past " XSTR(ZSTD_MAX_RATIO) " times its size (not a model)";
        }
    }
    if (!why && ferror(in)) why = strerror(errno);
    if (!why && left != 0) why = "truncated zstd frame";
    if (!why && total < 4) why = "decompresses to almost nothing";
    ZSTD_freeDStream(ds);
    free(ibuf);
    free(obuf);
    fclose(in);
    void *map = MAP_FAILED;
    if (!why) {
        map = mmap(NULL, total, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) why = strerror(errno);
    }
    if (fd >= 0) close(fd);
    if (why) {
        lmcc_error(path, "cannot decompress the zstd model: %s", why);
        return NULL;
    }
    if (memcmp(map, "GGUF", 4) != 0) {
        munmap(map, total);
        lmcc_error(path, "the zstd stream does not hold a GGUF file (compressed llama2.c checkpoints: decompress first)");
        return NULL;
    }
    return gguf_open_map(path, map, total);
#else
    lmcc_error(path, "a zstd-compressed model, but this lmcc was built without libzstd (decompress it with zstd -d)");
    return NULL;
#endif
}

gguf_file *lmcc_model_open(const char *path) {
    if (!path || !path[0]) {
        lmcc_error(NULL, "no model file given (pass a .gguf or llama2.c .bin file)");
        return NULL;
    }
    /* O_NONBLOCK: a FIFO or a device must be refused, not waited on (open
     * blocks on a FIFO until a writer appears); regular files ignore it */
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) {
        lmcc_error(path, "cannot open: %s (check the path)", strerror(errno));
        return NULL;
    }
    struct stat st;
    char magic[4];
    int is_reg = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    ssize_t got = is_reg && st.st_size > 0 ? read(fd, magic, sizeof magic) : 0;
    close(fd);
    if (!is_reg) {
        lmcc_error(path, "not a regular file (give a .gguf or llama2.c .bin model file)");
        return NULL;
    }
    if (st.st_size == 0) {
        lmcc_error(path, "file is empty (expected a GGUF or llama2.c .bin model)");
        return NULL;
    }
    if (got == (ssize_t)sizeof magic && memcmp(magic, "GGUF", 4) == 0) return gguf_open(path);
    if (got == (ssize_t)sizeof magic && memcmp(magic, "\x28\xb5\x2f\xfd", 4) == 0) return open_zstd(path);
    return llama2c_open(path);
}
