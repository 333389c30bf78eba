/* test_kernels_v2.c - kernel contract v2 (docs/KERNELS.md) through the lmrt_k_* names of
 * lmrt_kernels_generic.h: every kernel against naive double references written here, n = 1 and 5,
 * the thread split (tid = 0..nth-1 for nth = 2, 3 gives the nth = 1 result bit for bit, in-place
 * kernels show a double write), fused kernels bit-equal to their unfused sequence, q8a against
 * float within quantization error, and a freestanding compile + nm check of the headers. */
#define _POSIX_C_SOURCE 200809L /* popen */
#include "check.h"
#include "lmrt_kernels_generic.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>



/* sentinel: a NaN payload no kernel produces */
static const uint32_t SENT = 0x7fc0dead;
static void fill_sent(void *p, size_t bytes) {
    for (size_t i = 0; i + 4 <= bytes; i += 4) memcpy((char *)p + i, &SENT, 4);
}
static int same(const void *a, const void *b, size_t bytes) { return memcmp(a, b, bytes) == 0; }

/* ---- weight formats ------------------------------------------------------ */

enum { W_F32, W_F16, W_Q8, W_Q4, W_Q8T, W_Q4T };
static int plain_of(int w) { return w == W_Q8T ? W_Q8 : w == W_Q4T ? W_Q4 : w; }

static size_t row_bytes(int w, int K) {
    switch (plain_of(w)) {
    case W_F32: return (size_t)K * 4;
    case W_F16: return (size_t)K * 2;
    case W_Q8: return (size_t)((K + 31) / 32) * 34;
    default: return (size_t)((K + 31) / 32) * 18;
    }
}

/* random plain rows; the padding of a partial last block is random too */
static uint8_t *make_plain(int w, int rows, int K) {
    size_t rb = row_bytes(w, K);
    uint8_t *m = malloc(rb * (size_t)rows + 1);
    for (int r = 0; r < rows; r++) {
        uint8_t *row = m + (size_t)r * rb;
        if (plain_of(w) == W_F32) {
            for (int j = 0; j < K; j++) { float v = rnd_sym(); memcpy(row + 4 * j, &v, 4); }
        } else if (plain_of(w) == W_F16) {
            for (int j = 0; j < K; j++) { uint16_t h = rnd_half(10, 16); memcpy(row + 2 * j, &h, 2); }
        } else {
            int bb = plain_of(w) == W_Q8 ? 34 : 18;
            for (size_t k = 0; k < rb; k++) row[k] = (uint8_t)rnd_u64();
            for (int b = 0; b < (K + 31) / 32; b++) {
                uint16_t d = rnd_half(5, 14);
                row[b * bb] = (uint8_t)d;
                row[b * bb + 1] = (uint8_t)(d >> 8);
            }
        }
    }
    return m;
}

/* element (r, j) decoded from the GGUF block description */
static double ref_elem(int w, const uint8_t *m, int K, int r, int j) {
    const uint8_t *row = m + (size_t)r * row_bytes(w, K);
    float f;
    uint16_t h;
    switch (plain_of(w)) {
    case W_F32: memcpy(&f, row + 4 * j, 4); return f;
    case W_F16: memcpy(&h, row + 2 * j, 2); return ref_half(h);
    case W_Q8: {
        const uint8_t *b = row + (j / 32) * 34;
        return ref_half((uint16_t)(b[0] | b[1] << 8)) * (double)(int8_t)b[2 + j % 32];
    }
    default: {
        const uint8_t *b = row + (j / 32) * 18;
        int k = j % 32, nib = k < 16 ? (b[2 + k] & 15) : (b[2 + k - 16] >> 4);
        return ref_half((uint16_t)(b[0] | b[1] << 8)) * (nib - 8);
    }
    }
}

/* the kernel's view of the weight: plain rows, or repacked into tiles of R rows */
static void *kernel_weight(int w, const uint8_t *plain, int rows, int K, int R) {
    if (w != W_Q8T && w != W_Q4T) {
        void *c = malloc(row_bytes(w, K) * (size_t)rows + 1);
        memcpy(c, plain, row_bytes(w, K) * (size_t)rows);
        return c;
    }
    int type = w == W_Q8T ? LMRT_GGML_Q8_0 : LMRT_GGML_Q4_0;
    void *t = malloc(lmrt_tiled_bytes(type, R, rows, K));
    CHECK(lmrt_tile_weights(type, R, plain, rows, K, t) == 0, "tile_weights");
    return t;
}

/* ---- q8a activations ------------------------------------------------------ */

static size_t q8a_row(int K) { return (size_t)((K + 31) / 32) * 36; }

/* independent quantizer: d = amax/127, q = roundf(x/d) (libm), zero padding */
static void ref_quantize(uint8_t *dst, const float *x, int K) {
    for (int b = 0; b * 32 < K; b++, dst += 36) {
        float amax = 0;
        for (int j = 0; j < 32 && b * 32 + j < K; j++) amax = fmaxf(amax, fabsf(x[b * 32 + j]));
        float d = amax / 127.0f;
        memcpy(dst, &d, 4);
        for (int j = 0; j < 32; j++) {
            int q = b * 32 + j < K && d != 0 ? (int)roundf(x[b * 32 + j] / d) : 0;
            dst[4 + j] = (uint8_t)(int8_t)q;
        }
    }
}
static double q8a_elem(const uint8_t *row, int j) {
    float d;
    memcpy(&d, row + (j / 32) * 36, 4);
    return (double)d * (int8_t)row[(j / 32) * 36 + 4 + j % 32];
}

/* ---- the combinations under test ------------------------------------------ */

typedef void (*mm_fn)(float *, const void *, const void *, int, int, int, int, int, int);
typedef void (*mma_fn)(float *, const void *, const void *, const float *, int, int, int, int, int, int);
typedef void (*qkv_fn)(float *, const void *, const void *, int, int, int, int, int, int, int, const float *, void *,
                       void *, int, int, int, int, int);
typedef struct {
    const char *name;
    int w, q8a;
    mm_fn mm;
    mma_fn mma;
    mm_fn mms;
    qkv_fn qkv[3]; /* kv f32, f16, q8 */
} combo;
#define COMBO(W, A, wt, q)                                                                              \
    {#W "_" #A, wt, q, lmrt_k_matmul_##W##_##A, lmrt_k_matmul_add_##W##_##A, lmrt_k_matmul_swiglu_##W##_##A, \
     {lmrt_k_qkv_##W##_##A##_f32, lmrt_k_qkv_##W##_##A##_f16, lmrt_k_qkv_##W##_##A##_q8}}
static const combo combos[] = {
    COMBO(f32, f32, W_F32, 0),    COMBO(f16, f32, W_F16, 0),    COMBO(q8_0, f32, W_Q8, 0),
    COMBO(q4_0, f32, W_Q4, 0),    COMBO(q8_0t, f32, W_Q8T, 0),  COMBO(q4_0t, f32, W_Q4T, 0),
    COMBO(q8_0, q8a, W_Q8, 1),    COMBO(q4_0, q8a, W_Q4, 1),    COMBO(q8_0t, q8a, W_Q8T, 1),
    COMBO(q4_0t, q8a, W_Q4T, 1),
};
#define NCOMBO ((int)(sizeof combos / sizeof combos[0]))

/* activations: n rows of K floats, and the kernel input (the floats or their q8a form) */
static void *make_input(const combo *c, const float *x, int n, int K) {
    if (!c->q8a) {
        float *xf = malloc(sizeof(float) * (size_t)n * (size_t)K);
        memcpy(xf, x, sizeof(float) * (size_t)n * (size_t)K);
        return xf;
    }
    uint8_t *xq = malloc(q8a_row(K) * (size_t)n);
    lmrt_k_quantize_q8a(xq, x, n, K, 0, 1);
    return xq;
}
/* the activation the kernel computes with, element (t, k) */
static double act_elem(const combo *c, const void *xin, int K, int t, int k) {
    if (!c->q8a) return ((const float *)xin)[(size_t)t * K + k];
    return q8a_elem((const uint8_t *)xin + (size_t)t * q8a_row(K), k);
}

/* ---- linear family ---------------------------------------------------------- */

static void test_linear(const combo *c, int n, int N, int K, int R) {
    int rows = 2 * N; /* swiglu uses 2N rows; matmul the first N */
    uint8_t *plain = make_plain(c->w, rows, K);
    void *W = kernel_weight(c->w, plain, rows, K, R);
    float *x = malloc(sizeof(float) * (size_t)n * K), *res = malloc(sizeof(float) * (size_t)n * N);
    for (int i = 0; i < n * K; i++) x[i] = rnd_sym();
    if (K > 40) for (int k = 32; k < 40 && k < K; k++) x[k] = 0; /* a partly zero block */
    for (int i = 0; i < n * N; i++) res[i] = rnd_sym();
    void *xin = make_input(c, x, n, K);
    size_t ny = (size_t)n * 2 * N + 4;
    float *y1 = malloc(sizeof(float) * ny), *y = malloc(sizeof(float) * ny), *y2 = malloc(sizeof(float) * ny);

    /* matmul vs double, over 2N rows so the swiglu check below has gate and up */
    fill_sent(y1, sizeof(float) * ny);
    c->mm(y1, W, xin, n, 2 * N, K, R, 0, 1);
    int bad = 0;
    double maxq = 0;
    for (int t = 0; t < n; t++)
        for (int r = 0; r < 2 * N; r++) {
            double ref = 0, mag = 0, reff = 0, qerr = 0;
            for (int k = 0; k < K; k++) {
                double wv = ref_elem(c->w, plain, K, r, k), a = act_elem(c, xin, K, t, k);
                ref += wv * a;
                mag += fabs(wv * a);
                reff += wv * x[(size_t)t * K + k];
                if (c->q8a) { /* |x - d q| <= d/2 */
                    float d;
                    memcpy(&d, (const uint8_t *)xin + (size_t)t * q8a_row(K) + (k / 32) * 36, 4);
                    qerr += fabs(wv) * d * 0.5;
                }
            }
            double got = y1[(size_t)t * 2 * N + r];
            if (!(fabs(got - ref) <= (K + 8) * 1.2e-7 * mag + 1e-30) && bad++ < 3)
                CHECK(0, "matmul_%s n=%d N=%d K=%d R=%d [%d][%d]: %.9g vs %.9g", c->name, n, N, K, R, t, r, got, ref);
            if (c->q8a) {
                if (!(fabs(got - reff) <= qerr * 1.0001 + (K + 8) * 1.2e-7 * mag + 1e-30) && bad++ < 3)
                    CHECK(0, "matmul_%s vs float x: %.9g vs %.9g (bound %g)", c->name, got, reff, qerr);
                if (mag > 0) maxq = fmax(maxq, fabs(got - reff) / mag);
            }
        }
    CHECK(bad == 0, "matmul_%s: %d bad", c->name, bad);
    CHECK(memcmp(y1 + (size_t)n * 2 * N, &SENT, 4) == 0, "matmul_%s wrote past y", c->name);

    /* threaded matmul: the union of the shares is the nth = 1 result */
    for (int nth = 2; nth <= 3; nth++) {
        fill_sent(y, sizeof(float) * ny);
        for (int tid = 0; tid < nth; tid++) c->mm(y, W, xin, n, 2 * N, K, R, tid, nth);
        CHECK(same(y, y1, sizeof(float) * ny), "matmul_%s nth=%d differs from nth=1", c->name, nth);
    }

    /* matmul_add (N rows) == matmul + add, bit for bit; in place y == res, threaded */
    float *mmN = malloc(sizeof(float) * (size_t)n * N);
    c->mm(mmN, W, xin, n, N, K, R, 0, 1);
    for (int i = 0; i < n * N; i++) mmN[i] = mmN[i] + res[i];
    for (int nth = 1; nth <= 3; nth++) {
        fill_sent(y, sizeof(float) * ny);
        for (int tid = 0; tid < nth; tid++) c->mma(y, W, xin, res, n, N, K, R, tid, nth);
        CHECK(same(y, mmN, sizeof(float) * (size_t)n * N), "matmul_add_%s nth=%d != matmul + add", c->name, nth);
        CHECK(memcmp(y + (size_t)n * N, &SENT, 4) == 0, "matmul_add_%s wrote past y", c->name);
        memcpy(y2, res, sizeof(float) * (size_t)n * N);
        for (int tid = 0; tid < nth; tid++) c->mma(y2, W, xin, y2, n, N, K, R, tid, nth);
        CHECK(same(y2, mmN, sizeof(float) * (size_t)n * N), "matmul_add_%s in place nth=%d", c->name, nth);
    }

    /* matmul_swiglu == swiglu(gate rows, up rows) of the 2N-row matmul, bit for bit */
    float *sw = malloc(sizeof(float) * (size_t)n * N);
    for (int t = 0; t < n; t++)
        lmrt_k_swiglu(sw + (size_t)t * N, y1 + (size_t)t * 2 * N, y1 + (size_t)t * 2 * N + N, N, 0, 1);
    for (int nth = 1; nth <= 3; nth++) {
        fill_sent(y, sizeof(float) * ny);
        for (int tid = 0; tid < nth; tid++) c->mms(y, W, xin, n, N, K, R, tid, nth);
        CHECK(same(y, sw, sizeof(float) * (size_t)n * N), "matmul_swiglu_%s nth=%d != swiglu(matmul)", c->name, nth);
        CHECK(memcmp(y + (size_t)n * N, &SENT, 4) == 0, "matmul_swiglu_%s wrote past y", c->name);
    }
    if (c->q8a && n == 5 && N == 13 && K == 72 && R != 8) printf("q8a %s: max |W xq - W x| / sum|W x| = %.2e\n", c->name, maxq);
    free(plain); free(W); free(x); free(res); free(xin); free(y1); free(y); free(y2); free(mmN); free(sw);
}

/* ---- qkv ---------------------------------------------------------------------- */

static float *make_rope(int ctx, int rope_dim) {
    float *t = malloc(sizeof(float) * (size_t)ctx * rope_dim);
    for (int p = 0; p < ctx; p++)
        for (int i = 0; i < rope_dim / 2; i++) {
            double ang = p * pow(10000.0, -2.0 * i / rope_dim);
            t[p * rope_dim + 2 * i] = (float)cos(ang);
            t[p * rope_dim + 2 * i + 1] = (float)sin(ang);
        }
    return t;
}

static void ref_rope(double *v, int rope_dim, int neox, const float *cs) {
    int half = rope_dim / 2;
    for (int i = 0; i < half; i++) {
        int i0 = neox ? i : 2 * i, i1 = neox ? i + half : 2 * i + 1;
        double a = v[i0], b = v[i1];
        v[i0] = a * cs[2 * i] - b * cs[2 * i + 1];
        v[i1] = a * cs[2 * i + 1] + b * cs[2 * i];
    }
}

static const char *const kv_names[3] = {"f32", "f16", "q8"};

/* element i of cache row `row` (h * slots + slot) of a cache of kind LMRT_KV_* */
static double kv_elem(const void *cache, int kind, size_t row, int hd, int i) {
    const uint8_t *r = (const uint8_t *)cache + row * lmrt_kv_row_bytes_(kind, hd);
    float f;
    if (kind == LMRT_KV_Q8) {
        memcpy(&f, r, 4);
        return (double)f * (int8_t)r[4 + i];
    }
    if (kind == LMRT_KV_F16) {
        uint16_t h;
        memcpy(&h, r + 2 * i, 2);
        return ref_half(h);
    }
    memcpy(&f, r + 4 * i, 4);
    return f;
}

/* caches of S slots (S < ctx: a ring, position p in slot p % S; S >= n) of kind LMRT_KV_* */
static void test_qkv(const combo *c, int n, int neox, int kind, int R, int H, int Hkv, int hd, int K, int S) {
    enum { rd = 6, ctx = 12, pos = 3 };
    int rows = (H + 2 * Hkv) * hd;
    size_t csz = (size_t)Hkv * S * lmrt_kv_row_bytes_(kind, hd);
    uint8_t *plain = make_plain(c->w, rows, K);
    void *W = kernel_weight(c->w, plain, rows, K, R);
    float *x = malloc(sizeof(float) * n * K), *rope = make_rope(ctx, rd);
    for (int i = 0; i < n * K; i++) x[i] = rnd_sym();
    void *xin = make_input(c, x, n, K);
    float *q1 = malloc(sizeof(float) * (n * H * hd + 1)), *q = malloc(sizeof(float) * (n * H * hd + 1));
    void *k1 = malloc(csz), *v1 = malloc(csz), *kc = malloc(csz), *vc = malloc(csz);

    fill_sent(q1, sizeof(float) * (n * H * hd + 1));
    fill_sent(k1, csz);
    fill_sent(v1, csz);
    c->qkv[kind](q1, W, xin, n, K, H, Hkv, hd, rd, neox, rope + pos * rd, k1, v1, S, pos, R, 0, 1);

    /* vs double: rope applied to the exact projection */
    int bad = 0;
    for (int t = 0; t < n; t++)
        for (int u = 0; u < H + 2 * Hkv; u++) {
            double *v = malloc(sizeof(double) * 2 * hd), *mag = v + hd;
            for (int i = 0; i < hd; i++) {
                v[i] = mag[i] = 0;
                for (int k = 0; k < K; k++) {
                    double p = ref_elem(c->w, plain, K, u * hd + i, k) * act_elem(c, xin, K, t, k);
                    v[i] += p;
                    mag[i] += fabs(p);
                }
            }
            double mx = 0, amax = 0;
            for (int i = 0; i < hd; i++) mx = fmax(mx, mag[i]);
            if (u < H + Hkv) ref_rope(v, rd, neox, rope + (pos + t) * rd);
            for (int i = 0; i < hd; i++) amax = fmax(amax, fabs(v[i]));
            for (int i = 0; i < hd; i++) {
                double got;
                if (u < H) got = q1[(t * H + u) * hd + i];
                else {
                    int h = u < H + Hkv ? u - H : u - H - Hkv;
                    got = kv_elem(u < H + Hkv ? k1 : v1, kind, (size_t)h * S + (size_t)((pos + t) % S), hd, i);
                }
                /* f16: half an ulp of 11 bits; q8: half a step of amax/127 (amax rounded too) */
                double qtol = u < H ? 0 : kind == LMRT_KV_F16 ? fabs(v[i]) / 1024 : kind == LMRT_KV_Q8 ? amax / 250 : 0;
                double tol = 2 * (K + 8) * 1.2e-7 * mx + qtol + 1e-30;
                if (!(fabs(got - v[i]) <= tol) && bad++ < 3)
                    CHECK(0, "qkv_%s_%s neox=%d n=%d hd=%d t=%d u=%d i=%d: %.9g vs %.9g", c->name, kv_names[kind],
                          neox, n, hd, t, u, i, got, v[i]);
            }
            free(v);
        }
    CHECK(bad == 0, "qkv_%s: %d bad", c->name, bad);
    CHECK(memcmp(q1 + n * H * hd, &SENT, 4) == 0, "qkv_%s wrote past q", c->name);

    /* == matmul, rope, copy q, kv_store (unfused), bit for bit; other cache rows untouched */
    float *mm = malloc(sizeof(float) * n * rows), *qq = malloc(sizeof(float) * n * H * hd);
    float *kk = malloc(sizeof(float) * n * Hkv * hd), *vv = malloc(sizeof(float) * n * Hkv * hd);
    c->mm(mm, W, xin, n, rows, K, R, 0, 1);
    for (int t = 0; t < n; t++) {
        lmrt_k_copy(qq + t * H * hd, mm + t * rows, H * hd, 0, 1);
        lmrt_k_copy(kk + t * Hkv * hd, mm + t * rows + H * hd, Hkv * hd, 0, 1);
        lmrt_k_copy(vv + t * Hkv * hd, mm + t * rows + (H + Hkv) * hd, Hkv * hd, 0, 1);
    }
    lmrt_k_rope(qq, n, H, hd, rd, neox, rope + pos * rd, 0, 1);
    lmrt_k_rope(kk, n, Hkv, hd, rd, neox, rope + pos * rd, 0, 1);
    fill_sent(kc, csz);
    fill_sent(vc, csz);
    void (*store)(void *, const float *, int, int, int, int, int, int, int) =
        kind == LMRT_KV_Q8 ? lmrt_k_kv_store_q8 : kind == LMRT_KV_F16 ? lmrt_k_kv_store_f16 : lmrt_k_kv_store_f32;
    store(kc, kk, n, Hkv, S, hd, pos, 0, 1);
    store(vc, vv, n, Hkv, S, hd, pos, 0, 1);
    CHECK(same(q1, qq, sizeof(float) * n * H * hd), "qkv_%s q != matmul+rope", c->name);
    CHECK(same(k1, kc, csz) && same(v1, vc, csz), "qkv_%s_%s caches != matmul+rope+kv_store", c->name, kv_names[kind]);

    for (int nth = 2; nth <= 3; nth++) {
        fill_sent(q, sizeof(float) * (n * H * hd + 1));
        fill_sent(kc, csz);
        fill_sent(vc, csz);
        for (int tid = 0; tid < nth; tid++)
            c->qkv[kind](q, W, xin, n, K, H, Hkv, hd, rd, neox, rope + pos * rd, kc, vc, S, pos, R, tid, nth);
        CHECK(same(q, q1, sizeof(float) * (n * H * hd + 1)) && same(kc, k1, csz) && same(vc, v1, csz),
              "qkv_%s nth=%d differs from nth=1", c->name, nth);
    }
    free(plain); free(W); free(x); free(rope); free(xin); free(q1); free(q); free(k1); free(v1); free(kc);
    free(vc); free(mm); free(qq); free(kk); free(vv);
}

/* ---- attention ------------------------------------------------------------------ */

/* a chunk of n queries at positions pos.. over caches of S slots (position j in slot j % S), the last
 * `win` positions each (0: all), scores softcapped by `cap` (0: none) */
static void test_attention(int kind, int n, int hd, int S, int win, float cap) {
    enum { H = 6, Hkv = 2, pos = 9 };
    int f16 = kind == LMRT_KV_F16, np = pos + n; /* positions written so far */
    size_t csz = (size_t)Hkv * S * hd, hsz = (size_t)Hkv * np * hd, rb = lmrt_kv_row_bytes_(LMRT_KV_Q8, hd);
    float *q = malloc(sizeof(float) * n * H * hd), *o1 = malloc(sizeof(float) * (n * H * hd + 1));
    float *o = malloc(sizeof(float) * (n * H * hd + 1)), *scratch = malloc(sizeof(float) * 3 * S);
    float *kf = malloc(sizeof(float) * csz), *vf = malloc(sizeof(float) * csz);
    float *kx = malloc(sizeof(float) * hsz), *vx = malloc(sizeof(float) * hsz); /* [h][position][i] */
    uint16_t *kh = malloc(2 * csz), *vh = malloc(2 * csz);
    uint8_t *kq = malloc(rb * Hkv * S), *vq = malloc(rb * Hkv * S), *hq = malloc(2 * rb * Hkv * np);
    for (int i = 0; i < n * H * hd; i++) q[i] = 2 * rnd_sym();
    for (size_t i = 0; i < hsz; i++) {
        kx[i] = rnd_sym(), vx[i] = rnd_sym();
        if (f16) kx[i] = (float)ref_half(lmrt_f32_to_f16(kx[i])), vx[i] = (float)ref_half(lmrt_f32_to_f16(vx[i]));
    }
    /* q8: each position's rows quantized (hq: k rows, then v rows), the reference reads their values */
    for (size_t r = 0; kind == LMRT_KV_Q8 && r < (size_t)Hkv * np; r++) {
        lmrt_scalar_kv_store_q8(hq + 2 * rb * r, kx + r * hd, 1, 1, 1, hd, 0, 0, 1);
        lmrt_scalar_kv_store_q8(hq + 2 * rb * r + rb, vx + r * hd, 1, 1, 1, hd, 0, 0, 1);
        for (int i = 0; i < hd; i++) kx[r * hd + i] = (float)kv_elem(hq + 2 * rb * r, LMRT_KV_Q8, 0, hd, i),
                                     vx[r * hd + i] = (float)kv_elem(hq + 2 * rb * r + rb, LMRT_KV_Q8, 0, hd, i);
    }
    /* each slot holds the last position written to it; a slot nothing was written to is NaN */
    for (int h = 0; h < Hkv; h++)
        for (int sl = 0; sl < S; sl++)
            for (int i = 0; i < hd; i++) {
                size_t j = ((size_t)h * S + sl) * hd + i;
                int p = sl + (np - 1 - sl) / S * S;
                size_t qr = ((size_t)h * S + sl) * rb; /* the q8 row */
                if (sl >= np) {
                    memcpy(&kf[j], &SENT, 4);
                    vf[j] = kf[j];
                    kh[j] = vh[j] = 0x7e00;
                    if (i == 0) fill_sent(kq + qr, rb), fill_sent(vq + qr, rb);
                    continue;
                }
                kf[j] = kx[((size_t)h * np + p) * hd + i], vf[j] = vx[((size_t)h * np + p) * hd + i];
                kh[j] = lmrt_f32_to_f16(kf[j]), vh[j] = lmrt_f32_to_f16(vf[j]);
                if (i == 0 && kind == LMRT_KV_Q8)
                    memcpy(kq + qr, hq + 2 * rb * ((size_t)h * np + p), rb),
                    memcpy(vq + qr, hq + 2 * rb * ((size_t)h * np + p) + rb, rb);
            }
    const void *kc = kind == LMRT_KV_Q8 ? (const void *)kq : f16 ? (const void *)kh : kf;
    const void *vc = kind == LMRT_KV_Q8 ? (const void *)vq : f16 ? (const void *)vh : vf;
    void (*att)(float *, const float *, const void *, const void *, int, int, int, int, int, int, int, int, const float *, float,
                float, float *, int, int) =
        kind == LMRT_KV_Q8 ? lmrt_k_attention_q8 : f16 ? lmrt_k_attention_f16 : lmrt_k_attention_f32;
    float scale = 1.0f / sqrtf((float)hd);
    fill_sent(o1, sizeof(float) * (n * H * hd + 1));
    att(o1, q, kc, vc, n, H, Hkv, hd, S, pos, win, 0, NULL, scale, cap, scratch, 0, 1);
    int bad = 0;
    for (int t = 0; t < n; t++)
        for (int h = 0; h < H; h++) {
            const float *qh = q + (t * H + h) * hd;
            int kvh = h / (H / Hkv), last = pos + t, lo = win > 0 && last - win + 1 > 0 ? last - win + 1 : 0;
            double s[32], mx = -INFINITY, z = 0;
            for (int j = lo; j <= last; j++) {
                s[j] = 0;
                for (int i = 0; i < hd; i++) s[j] += (double)qh[i] * kx[((size_t)kvh * np + j) * hd + i];
                s[j] *= scale;
                if (cap > 0) s[j] = cap * tanh(s[j] / cap);
                mx = fmax(mx, s[j]);
            }
            for (int j = lo; j <= last; j++) z += (s[j] = exp(s[j] - mx));
            for (int i = 0; i < hd; i++) {
                double ref = 0;
                for (int j = lo; j <= last; j++) ref += s[j] / z * vx[((size_t)kvh * np + j) * hd + i];
                double got = o1[(t * H + h) * hd + i];
                if (!(fabs(got - ref) <= 2e-6) && bad++ < 3)
                    CHECK(0, "attention_%s n=%d hd=%d slots=%d window=%d softcap=%g t=%d h=%d i=%d: %.9g vs %.9g",
                          kv_names[kind], n, hd, S, win, (double)cap, t, h, i, got, ref);
            }
        }
    CHECK(bad == 0, "attention: %d bad", bad);
    CHECK(memcmp(o1 + n * H * hd, &SENT, 4) == 0, "attention wrote past out");
    for (int nth = 2; nth <= 3; nth++) {
        fill_sent(o, sizeof(float) * (n * H * hd + 1));
        for (int tid = 0; tid < nth; tid++)
            att(o, q, kc, vc, n, H, Hkv, hd, S, pos, win, 0, NULL, scale, cap, scratch, tid, nth);
        CHECK(same(o, o1, sizeof(float) * (n * H * hd + 1)), "attention nth=%d differs", nth);
    }
    free(q); free(o1); free(o); free(scratch); free(kf); free(vf); free(kx); free(vx); free(kh); free(vh);
    free(kq); free(vq); free(hq);
}

/* ---- row kernels, elementwise, unfused ops ------------------------------------------ */

static void test_rows(int n) {
    enum { D = 72 };
    float x[5 * D], w[D], y1[5 * D + 1], y[5 * D + 1];
    for (int i = 0; i < n * D; i++) x[i] = 3 * rnd_sym();
    for (int i = 0; i < D; i++) w[i] = rnd_sym();
    for (int i = 32; i < 64; i++) x[i] = 0; /* an all-zero q8a block (d = 0) */
    for (int kind = 0; kind < 2; kind++) {
        fill_sent(y1, sizeof y1);
        if (kind) lmrt_k_rmsnorm(y1, x, w, n, D, 1e-5f, 0, 1);
        else lmrt_k_normalize(y1, x, n, D, 1e-5f, 0, 1);
        for (int t = 0; t < n; t++) {
            double ss = 0;
            for (int i = 0; i < D; i++) ss += (double)x[t * D + i] * x[t * D + i];
            double inv = 1 / sqrt(ss / D + 1e-5);
            for (int i = 0; i < D; i++) {
                double ref = x[t * D + i] * inv * (kind ? w[i] : 1);
                CHECK(fabs(y1[t * D + i] - ref) <= 2e-6 * fabs(x[t * D + i] * inv) + 1e-30, "%s n=%d t=%d i=%d",
                      kind ? "rmsnorm" : "normalize", n, t, i);
            }
        }
        CHECK(memcmp(y1 + n * D, &SENT, 4) == 0, "norm wrote past y");
        for (int nth = 2; nth <= 3; nth++) {
            fill_sent(y, sizeof y);
            for (int tid = 0; tid < nth; tid++) {
                if (kind) lmrt_k_rmsnorm(y, x, w, n, D, 1e-5f, tid, nth);
                else lmrt_k_normalize(y, x, n, D, 1e-5f, tid, nth);
            }
            CHECK(same(y, y1, sizeof y), "norm nth=%d differs", nth);
        }
    }
    /* quantize_q8a: exactly the independent quantizer, padding zero; K = 72 has a partial block */
    uint8_t q1[5 * 108 + 4], q[5 * 108 + 4], qr[5 * 108];
    for (int t = 0; t < n; t++) ref_quantize(qr + t * 108, x + t * D, D);
    for (int nth = 1; nth <= 3; nth++) {
        memset(q, 0xa5, sizeof q);
        for (int tid = 0; tid < nth; tid++) lmrt_k_quantize_q8a(q, x, n, D, tid, nth);
        CHECK(same(q, qr, (size_t)n * 108), "quantize_q8a n=%d nth=%d != reference", n, nth);
        CHECK(q[n * 108] == 0xa5, "quantize_q8a wrote past the rows");
        if (nth == 1) memcpy(q1, q, sizeof q);
    }
    float d;
    memcpy(&d, q1 + 36, 4);
    CHECK(d == 0.0f, "zero block scale %g", d);
    for (int t = 0; t < n; t++)
        for (int i = 0; i < D; i++) { /* |x - d q| <= d/2 */
            memcpy(&d, q1 + t * 108 + (i / 32) * 36, 4);
            CHECK(fabs(q8a_elem(q1 + t * 108, i) - x[t * D + i]) <= d * 0.5000001, "q8a error t=%d i=%d", t, i);
        }
    /* softmax rows, in place: a double application would show */
    float s1[5 * D], s[5 * D];
    for (int i = 0; i < n * D; i++) s1[i] = 20 * rnd_sym();
    memcpy(x, s1, sizeof(float) * n * D);
    lmrt_k_softmax(s1, n, D, 0, 1);
    for (int t = 0; t < n; t++) {
        double mx = -INFINITY, z = 0;
        for (int i = 0; i < D; i++) mx = fmax(mx, x[t * D + i]);
        for (int i = 0; i < D; i++) z += exp(x[t * D + i] - mx);
        for (int i = 0; i < D; i++) {
            double ref = exp(x[t * D + i] - mx) / z;
            CHECK(fabs(s1[t * D + i] - ref) <= (mx - x[t * D + i]) * 6e-8 * ref + 1e-6 * ref + 1e-30, "softmax");
        }
    }
    for (int nth = 2; nth <= 3; nth++) {
        memcpy(s, x, sizeof(float) * n * D);
        for (int tid = 0; tid < nth; tid++) lmrt_k_softmax(s, n, D, tid, nth);
        CHECK(same(s, s1, sizeof(float) * n * D), "softmax nth=%d differs", nth);
    }
    /* take_last */
    fill_sent(y, sizeof y);
    lmrt_k_take_last(y, x, n, D);
    CHECK(same(y, x + (n - 1) * D, sizeof(float) * D) && memcmp(y + D, &SENT, 4) == 0, "take_last n=%d", n);
}

/* add_bias: every row plus b, whatever the thread split (a split inside a row included), in place too */
static void test_add_bias(void) {
    enum { NT = 3, N = 37 };
    float x[NT * N], b[N], y1[NT * N + 1], y[NT * N + 1];
    for (int i = 0; i < NT * N; i++) x[i] = 10 * rnd_sym();
    for (int i = 0; i < N; i++) b[i] = 10 * rnd_sym();
    for (int nth = 1; nth <= 4; nth++) {
        fill_sent(y, sizeof y);
        for (int tid = 0; tid < nth; tid++) lmrt_k_add_bias(y, x, b, NT, N, tid, nth);
        for (int t = 0; t < NT; t++)
            for (int i = 0; i < N; i++)
                CHECK(y[t * N + i] == x[t * N + i] + b[i], "add_bias nth=%d t=%d i=%d", nth, t, i);
        CHECK(memcmp(y + NT * N, &SENT, 4) == 0, "add_bias wrote past y");
        if (nth == 1) memcpy(y1, y, sizeof y1);
        memcpy(y, x, sizeof x);
        for (int tid = 0; tid < nth; tid++) lmrt_k_add_bias(y, y, b, NT, N, tid, nth);
        CHECK(same(y, y1, sizeof x), "add_bias in place nth=%d differs", nth);
    }
}

static void test_eltwise(void) {
    enum { L = 101 };
    float a[L], b[L], a0[L], y1[L + 1], y[L + 1];
    for (int i = 0; i < L; i++) { a0[i] = 10 * rnd_sym(); b[i] = 10 * rnd_sym(); }
    a0[0] = -100; a0[1] = 100; a0[2] = -89;
    for (int op = 0; op < 8; op++) {
        static const char *nm[] = {"add", "mul", "swiglu", "silu", "geglu", "scale", "softcap", "copy"};
        for (int nth = 1; nth <= 3; nth++) {
            memcpy(a, a0, sizeof a);
            fill_sent(y, sizeof y);
            for (int tid = 0; tid < nth; tid++) { /* out of place, then in place y == a */
                switch (op) {
                case 0: lmrt_k_add(y, a, b, L, tid, nth); break;
                case 1: lmrt_k_mul(y, a, b, L, tid, nth); break;
                case 2: lmrt_k_swiglu(y, a, b, L, tid, nth); break;
                case 3: lmrt_k_silu(y, a, L, tid, nth); break;
                case 4: lmrt_k_geglu(y, a, b, L, tid, nth); break;
                case 5: lmrt_k_scale(y, a, 0.375f, L, tid, nth); break;
                case 6: lmrt_k_softcap(y, a, 7.5f, L, tid, nth); break;
                default: lmrt_k_copy(y, a, L, tid, nth); break;
                }
            }
            for (int tid = 0; tid < nth; tid++) {
                switch (op) {
                case 0: lmrt_k_add(a, a, b, L, tid, nth); break;
                case 1: lmrt_k_mul(a, a, b, L, tid, nth); break;
                case 2: lmrt_k_swiglu(a, a, b, L, tid, nth); break;
                case 3: lmrt_k_silu(a, a, L, tid, nth); break;
                case 4: lmrt_k_geglu(a, a, b, L, tid, nth); break;
                case 5: lmrt_k_scale(a, a, 0.375f, L, tid, nth); break;
                case 6: lmrt_k_softcap(a, a, 7.5f, L, tid, nth); break;
                default: break;
                }
            }
            if (nth == 1) memcpy(y1, y, sizeof y);
            CHECK(same(y, y1, sizeof y), "%s nth=%d differs", nm[op], nth);
            CHECK(memcmp(y + L, &SENT, 4) == 0, "%s wrote past y", nm[op]);
            if (op < 7) CHECK(same(a, y, sizeof a), "%s in place nth=%d differs", nm[op], nth);
        }
        for (int i = 0; i < L; i++) {
            double x = a0[i], sg = 1 / (1 + exp(-x));
            double gelu = 0.5 * x * (1 + tanh(0.7978845608028654 /* sqrt(2/pi) */ * (x + 0.044715 * x * x * x)));
            double ref = op == 0 ? x + b[i] : op == 1 ? x * b[i] : op == 2 ? x * sg * b[i] : op == 3 ? x * sg
                       : op == 4 ? gelu * b[i] : op == 5 ? x * 0.375 : op == 6 ? 7.5 * tanh(x / 7.5) : x;
            /* gelu and softcap go through lmrt_tanhf (2.5 ulp) of a rounded argument */
            double tol = op == 4 || op == 6 ? 2e-6 * fabs(ref) + 2e-7 * fabs(x * b[i]) : 4e-7 * fabs(ref);
            CHECK(fabs(y1[i] - ref) <= tol + 1e-37, "%s i=%d %.9g vs %.9g", nm[op], i, y1[i], ref);
        }
    }
}

/* rope_table: the chunk's cos/sin rows against double precision, at positions up to a million
 * either side of 0 (the angles then reach 10^6 radians) and with frequencies below and above one; every other
 * position with a magnitude (YaRN's / LongRoPE's m) that must scale both */
static void test_rope_table(void) {
    enum { half = 24, n = 5 };
    float freqs[half], cs[n * half * 2 + 1];
    for (int i = 0; i < half; i++) freqs[i] = (float)(pow(10000.0, -2.0 * i / (2 * half)) / (1.0 + 3.0 * rnd_unit()));
    freqs[half - 1] = 2.75f; /* more than a radian per position */
    /* negative ones: --kv-policy slide rotates a query back by nc - 1 - pos */
    static const int positions[] = {0, 1, 95, 4093, 131071, 999995, -2, -65536, -999999};
    double worst = 0;
    for (size_t k = 0; k < sizeof positions / sizeof positions[0]; k++) {
        int pos = positions[k];
        float m = k % 2 ? 1.2772f : 1.0f;
        fill_sent(cs, sizeof cs);
        lmrt_k_rope_table(cs, freqs, half, n, pos, m);
        for (int t = 0; t < n; t++)
            for (int i = 0; i < half; i++) {
                double ang = (double)(pos + t) * (double)freqs[i];
                double ec = fabs(cs[(t * half + i) * 2] - m * cos(ang)), es = fabs(cs[(t * half + i) * 2 + 1] - m * sin(ang));
                worst = fmax(worst, fmax(ec, es));
            }
        CHECK(memcmp(cs + n * half * 2, &SENT, 4) == 0, "rope_table wrote past its rows");
    }
    CHECK(worst <= 6e-7, "rope_table: max |error| %.3g", worst);
}

/* unfused rope (in place, split by (token, head)) and kv_store */
static void test_rope_kv(int n) {
    enum { H = 3, hd = 10, ctx = 9, pos = 2 };
    float *rope = make_rope(ctx, 8);
    float x0[5 * H * hd], x1[5 * H * hd], x[5 * H * hd];
    for (int neox = 0; neox < 2; neox++)
        for (int rd = 4; rd <= 8; rd += 4) {
            float *tab = make_rope(ctx, rd);
            for (int i = 0; i < n * H * hd; i++) x0[i] = x1[i] = rnd_sym();
            lmrt_k_rope(x1, n, H, hd, rd, neox, tab + pos * rd, 0, 1);
            for (int t = 0; t < n; t++)
                for (int h = 0; h < H; h++) {
                    double v[hd];
                    for (int i = 0; i < hd; i++) v[i] = x0[(t * H + h) * hd + i];
                    ref_rope(v, rd, neox, tab + (pos + t) * rd);
                    for (int i = 0; i < hd; i++)
                        CHECK(fabs(x1[(t * H + h) * hd + i] - v[i]) <= 3e-7, "rope neox=%d rd=%d t=%d h=%d i=%d", neox,
                              rd, t, h, i);
                }
            for (int nth = 2; nth <= 3; nth++) {
                memcpy(x, x0, sizeof(float) * n * H * hd);
                for (int tid = 0; tid < nth; tid++) lmrt_k_rope(x, n, H, hd, rd, neox, tab + pos * rd, tid, nth);
                CHECK(same(x, x1, sizeof(float) * n * H * hd), "rope nth=%d differs", nth);
            }
            free(tab);
        }
    free(rope);
    for (int f16 = 0; f16 < 2; f16++)
        for (int nth = 1; nth <= 3; nth++) {
            size_t es = f16 ? 2 : 4, csz = (size_t)H * ctx * hd * es;
            uint8_t *c = malloc(csz), *e = malloc(csz);
            fill_sent(c, csz);
            fill_sent(e, csz);
            for (int t = 0; t < n; t++)
                for (int h = 0; h < H; h++)
                    for (int i = 0; i < hd; i++) {
                        size_t j = ((size_t)h * ctx + pos + t) * hd + i;
                        float v = x0[(t * H + h) * hd + i];
                        if (f16) { uint16_t hv = lmrt_f32_to_f16(v); memcpy(e + 2 * j, &hv, 2); }
                        else memcpy(e + 4 * j, &v, 4);
                    }
            for (int tid = 0; tid < nth; tid++)
                (f16 ? lmrt_k_kv_store_f16 : lmrt_k_kv_store_f32)(c, x0, n, H, ctx, hd, pos, tid, nth);
            CHECK(same(c, e, csz), "kv_store_%s n=%d nth=%d", f16 ? "f16" : "f32", n, nth);
            free(c);
            free(e);
        }
}

static void test_embed(void) {
    static const int dims[] = {72, 32, 5};
    for (int w = W_F32; w <= W_Q4; w++)
        for (int di = 0; di < 3; di++) {
            int D = dims[di], V = 9;
            uint8_t *tab = make_plain(w, V, D);
            int32_t tok[5] = {3, 0, 8, 3, 5};
            float y[5 * 72 + 1];
            fill_sent(y, sizeof y);
            void (*fn)(float *, const void *, const int32_t *, int, int) =
                w == W_F32 ? lmrt_k_embed_f32 : w == W_F16 ? lmrt_k_embed_f16 : w == W_Q8 ? lmrt_k_embed_q8_0
                                                                                          : lmrt_k_embed_q4_0;
            fn(y, tab, tok, 5, D);
            for (int t = 0; t < 5; t++)
                for (int i = 0; i < D; i++)
                    CHECK((double)y[t * D + i] == ref_elem(w, tab, D, tok[t], i), "embed w=%d D=%d t=%d i=%d", w, D, t, i);
            CHECK(memcmp(y + 5 * D, &SENT, 4) == 0, "embed wrote past y");
            free(tab);
        }
}

/* ---- freestanding compile ------------------------------------------------------------- */

static const char *const v2_names[] = {
#define N1(x) "lmrt_k_" #x,
    N1(embed_f32) N1(embed_f16) N1(embed_q8_0) N1(embed_q4_0) N1(normalize) N1(rmsnorm) N1(quantize_q8a)
    N1(attention_f32) N1(attention_f16) N1(attention_q8) N1(add) N1(swiglu) N1(take_last) N1(copy) N1(rope) N1(rope_table)
    N1(kv_store_f32) N1(kv_store_f16) N1(kv_store_q8) N1(mul) N1(add_bias) N1(silu) N1(softmax) N1(geglu) N1(scale) N1(softcap)
#define NL(W, A) N1(matmul_##W##_##A) N1(matmul_add_##W##_##A) N1(matmul_swiglu_##W##_##A) \
    N1(qkv_##W##_##A##_f32) N1(qkv_##W##_##A##_f16) N1(qkv_##W##_##A##_q8)
    NL(f32, f32) NL(f16, f32) NL(q8_0, f32) NL(q4_0, f32) NL(q8_0t, f32) NL(q4_0t, f32)
    NL(q8_0, q8a) NL(q4_0, q8a) NL(q8_0t, q8a) NL(q4_0t, q8a)
    "lmrt_tile_weights", "lmrt_tiled_dequant_row", "lmrt_tiled_matmul_rows",
};

static int test_standalone(void) {
    static const char *const headers[] = {"lmrt_kernels_scalar.h", "lmrt_kernels_generic.h", NULL};
    char use[16384];
    size_t n = (size_t)snprintf(use, sizeof use, "#include \"lmrt_kernels_generic.h\"\nvoid (*const use_all[])(void) = {\n");
    for (size_t i = 0; i < sizeof v2_names / sizeof v2_names[0] && n < sizeof use; i++)
        n += (size_t)snprintf(use + n, sizeof use - n, "(void (*)(void))%s,\n", v2_names[i]);
    CHECK(n + 4 < sizeof use, "use-all source too long");
    snprintf(use + n, sizeof use - n, "};\n");
    return check_freestanding("test_kernels_v2", use, headers);
}

int main(void) {
    static const int Ns[] = {13, 8}, Ks[] = {72, 64, 5};
    for (int ci = 0; ci < NCOMBO; ci++) {
        const combo *c = &combos[ci];
        int tiled = c->w == W_Q8T || c->w == W_Q4T;
        for (int R = tiled ? 4 : 0; R <= (tiled ? 8 : 0); R += 4)
            for (int n = 1; n <= 5; n += 4) {
                for (int ni = 0; ni < 2; ni++)
                    for (int ki = 0; ki < 3; ki++) test_linear(c, n, Ns[ni], Ks[ki], R);
                for (int neox = 0; neox < 2; neox++)
                    for (int kind = 0; kind < 3; kind++) {
                        test_qkv(c, n, neox, kind, R, 4, 2, 8, 40, 12);
                        test_qkv(c, n, neox, kind, R, 4, 2, 8, 40, 6); /* a ring: positions 3.. wrap past slot 5 */
                        if (n == 5 && R != 8) test_qkv(c, n, neox, kind, R, 1, 1, 520, 8, 6); /* wider than the buffer */
                    }
            }
        if (g_fail > 40) break;
    }
    for (int n = 1; n <= 5; n += 4) {
        for (int kind = 0; kind < 3; kind++) {
            test_attention(kind, n, 8, 16, 0, 0.0f);
            test_attention(kind, n, 10, 16, 0, 0.0f);
            test_attention(kind, n, 8, 4 + n - 1, 4, 0.0f);   /* a ring: window + chunk - 1 slots, wrapped */
            test_attention(kind, n, 10, 16, 3, 0.7f);         /* a window and a softcap on a full cache */
        }
        test_rows(n);
        test_rope_kv(n);
    }
    test_eltwise();
    test_add_bias();
    test_embed();
    test_rope_table();
    return check_exit(test_standalone());
}
