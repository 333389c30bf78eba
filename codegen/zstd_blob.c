/* zstd_blob.c - streaming zstd compression of the weights blob. */
#include "zstd_blob.h"

#include <stdlib.h>

#ifdef LMCC_HAVE_ZSTD
#include <zstd.h>

int lmcc_zstd_max_level(void) { return ZSTD_maxCLevel(); }

long long lmcc_zstd_compress(FILE *in, FILE *out, long long raw_bytes, int level, char *err, size_t errlen) {
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t in_cap = ZSTD_CStreamInSize(), out_cap = ZSTD_CStreamOutSize();
    char *ibuf = malloc(in_cap), *obuf = malloc(out_cap);
    long long total = -1, written = 0;
    if (!cc || !ibuf || !obuf) { snprintf(err, errlen, "zstd: out of memory"); goto out; }
    if (ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(cc, (unsigned long long)raw_bytes))) {
        snprintf(err, errlen, "zstd: cannot use level %d", level);
        goto out;
    }
    /* two workers halve big models' compress time; single-threaded builds
     * of libzstd reject the parameter, which is fine */
    (void)ZSTD_CCtx_setParameter(cc, ZSTD_c_nbWorkers, 2);
    for (;;) {
        size_t got = fread(ibuf, 1, in_cap, in);
        if (ferror(in)) { snprintf(err, errlen, "zstd: read error on the raw blob"); goto out; }
        int last = got < in_cap;
        ZSTD_inBuffer ib = {ibuf, got, 0};
        size_t left;
        do {
            ZSTD_outBuffer ob = {obuf, out_cap, 0};
            left = ZSTD_compressStream2(cc, &ob, &ib, last ? ZSTD_e_end : ZSTD_e_continue);
            if (ZSTD_isError(left)) { snprintf(err, errlen, "zstd: %s", ZSTD_getErrorName(left)); goto out; }
            if (fwrite(obuf, 1, ob.pos, out) != ob.pos) { snprintf(err, errlen, "zstd: write error"); goto out; }
            written += (long long)ob.pos;
        } while (last ? left != 0 : ib.pos < ib.size);
        if (last) break;
    }
    total = written;
out:
    ZSTD_freeCCtx(cc);
    free(ibuf);
    free(obuf);
    return total;
}

#else

int lmcc_zstd_max_level(void) { return 0; }

long long lmcc_zstd_compress(FILE *in, FILE *out, long long raw_bytes, int level, char *err, size_t errlen) {
    (void)in, (void)out, (void)raw_bytes, (void)level;
    snprintf(err, errlen, "this lmcc was built without libzstd, so --compress=zstd is unavailable "
                          "(apt-get install libzstd-dev and rebuild)");
    return -1;
}

#endif
