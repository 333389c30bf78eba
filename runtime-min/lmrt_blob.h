/* lmrt_blob.h - the weights blob's header and its content checksum, shared by lmcc (which writes
 * the blob) and the generated code (whose init and verify_weights read it).
 *
 * Header (LMRT_BLOB_HEADER_BYTES, little endian): bytes 0-7 "LMCCWTS1", 8-15 the blob's size in
 * bytes (header included), 16-23 a hash of every tensor's name, type, shape and bytes (lmcc's: it
 * names the model the code was compiled for), 24-31 lmrt_blob_sum of bytes 64..size, 32-63 zero.
 * init checks magic, size and hash (64 bytes: constant time); verify_weights checks every byte.
 *
 * lmrt_blob_sum is a 64-bit checksum against corruption (bit flips, an erased or half-written
 * flash image, a truncated copy), not against an adversary: four independent lanes of a
 * multiply-rotate round over 32-byte stripes (xxHash64's round and constants, not its output), so
 * a core keeps four multiplies in flight and the sum runs at about memory speed.  Streaming (init,
 * update with any pieces, final) gives the value of one update over the concatenation: lmcc sums
 * the blob tensor by tensor while it lays it out, the generated code in one call.
 */
#ifndef LMRT_BLOB_H
#define LMRT_BLOB_H

#include "lmrt_base.h"

#define LMRT_BLOB_HEADER_BYTES 64
enum { LMRT_BLOB_SIZE_AT = 8, LMRT_BLOB_HASH_AT = 16, LMRT_BLOB_SUM_AT = 24, LMRT_BLOB_ZERO_AT = 32 };

#define LMRT_SUM_P1_ 0x9e3779b185ebca87ull
#define LMRT_SUM_P2_ 0xc2b2ae3d27d4eb4full
#define LMRT_SUM_P3_ 0x165667b19e3779f9ull
#define LMRT_SUM_P4_ 0x85ebca77c2b2ae63ull

typedef struct lmrt_sum {
    uint64_t v[4];
    uint64_t len;
    unsigned char tail[32]; /* a stripe not yet complete */
    unsigned ntail;
} lmrt_sum;

/* byte loads, so any alignment and either byte order work (compilers merge them into one load) */
LMRT_INLINE uint64_t lmrt_le64(const unsigned char *p) {
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

LMRT_INLINE void lmrt_put_le64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

LMRT_INLINE uint64_t lmrt_sum_round_(uint64_t acc, uint64_t w) {
    acc += w * LMRT_SUM_P2_;
    acc = acc << 31 | acc >> 33;
    return acc * LMRT_SUM_P1_;
}

LMRT_API void lmrt_sum_init(lmrt_sum *s) {
    s->v[0] = LMRT_SUM_P1_ + LMRT_SUM_P2_;
    s->v[1] = LMRT_SUM_P2_;
    s->v[2] = 0;
    s->v[3] = 0 - LMRT_SUM_P1_;
    s->len = 0;
    s->ntail = 0;
}

LMRT_INLINE void lmrt_sum_stripe_(uint64_t v[4], const unsigned char *p) {
    v[0] = lmrt_sum_round_(v[0], lmrt_le64(p));
    v[1] = lmrt_sum_round_(v[1], lmrt_le64(p + 8));
    v[2] = lmrt_sum_round_(v[2], lmrt_le64(p + 16));
    v[3] = lmrt_sum_round_(v[3], lmrt_le64(p + 24));
}

LMRT_API void lmrt_sum_update(lmrt_sum *s, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    unsigned t = s->ntail < 32 ? s->ntail : 0; /* always < 32: said so for the compiler's bounds */
    s->len += n;
    if (t) {
        for (; n && t < 32; n--) s->tail[t++] = *p++;
        if (t < 32) { s->ntail = t; return; }
        lmrt_sum_stripe_(s->v, s->tail);
    }
    /* the lanes in locals: the loop keeps them in registers */
    uint64_t v[4] = {s->v[0], s->v[1], s->v[2], s->v[3]};
    for (; n >= 32; p += 32, n -= 32) lmrt_sum_stripe_(v, p);
    for (int i = 0; i < 4; i++) s->v[i] = v[i];
    for (t = 0; t < n; t++) s->tail[t] = p[t]; /* n < 32 */
    s->ntail = (unsigned)n;
}

LMRT_API uint64_t lmrt_sum_final(const lmrt_sum *s) {
    uint64_t v[4] = {s->v[0], s->v[1], s->v[2], s->v[3]};
    if (s->ntail) { /* zero-padded; the length below tells the padding from data */
        unsigned char last[32]; /* a loop, not "= {0}": that is a memset call at -O0 */
        for (unsigned i = 0; i < 32; i++) last[i] = i < s->ntail ? s->tail[i] : 0;
        lmrt_sum_stripe_(v, last);
    }
    uint64_t h = (v[0] << 1 | v[0] >> 63) + (v[1] << 7 | v[1] >> 57) + (v[2] << 12 | v[2] >> 52) +
                 (v[3] << 18 | v[3] >> 46);
    for (int i = 0; i < 4; i++) h = (h ^ lmrt_sum_round_(0, v[i])) * LMRT_SUM_P1_ + LMRT_SUM_P4_;
    h ^= s->len;
    h ^= h >> 33;
    h *= LMRT_SUM_P2_;
    h ^= h >> 29;
    h *= LMRT_SUM_P3_;
    return h ^ (h >> 32);
}

LMRT_API uint64_t lmrt_blob_sum(const void *data, size_t n) {
    lmrt_sum s;
    lmrt_sum_init(&s);
    lmrt_sum_update(&s, data, n);
    return lmrt_sum_final(&s);
}

LMRT_API void lmrt_blob_header(unsigned char h[LMRT_BLOB_HEADER_BYTES], uint64_t size, uint64_t hash, uint64_t sum) {
    static const char magic[8] = {'L', 'M', 'C', 'C', 'W', 'T', 'S', '1'};
    for (int i = 0; i < LMRT_BLOB_HEADER_BYTES; i++) h[i] = i < 8 ? (unsigned char)magic[i] : 0;
    lmrt_put_le64(h + LMRT_BLOB_SIZE_AT, size);
    lmrt_put_le64(h + LMRT_BLOB_HASH_AT, hash);
    lmrt_put_le64(h + LMRT_BLOB_SUM_AT, sum);
}

/* What init checks: magic, size and hash (the first 24 bytes).  1 = this model's blob. */
LMRT_API int lmrt_blob_header_ok(const unsigned char *w, uint64_t size, uint64_t hash) {
    unsigned char want[LMRT_BLOB_HEADER_BYTES];
    lmrt_blob_header(want, size, hash, 0);
    for (int i = 0; i < LMRT_BLOB_SUM_AT; i++)
        if (w[i] != want[i]) return 0;
    return 1;
}

/* What verify_weights checks: the whole header, then every byte after it against sum.  1 = intact. */
LMRT_API int lmrt_blob_intact(const unsigned char *w, uint64_t size, uint64_t hash, uint64_t sum) {
    unsigned char want[LMRT_BLOB_HEADER_BYTES];
    lmrt_blob_header(want, size, hash, sum);
    for (int i = 0; i < LMRT_BLOB_HEADER_BYTES; i++)
        if (w[i] != want[i]) return 0;
    return size >= LMRT_BLOB_HEADER_BYTES &&
           lmrt_blob_sum(w + LMRT_BLOB_HEADER_BYTES, (size_t)(size - LMRT_BLOB_HEADER_BYTES)) == sum;
}

#endif
