/* ops.c - the op table and the op rules (ir.h, IR_OP_LIST): one shape rule per op and
 * ir_node_check, through which the verifier, the interpreter and the batched evaluator
 * all accept a node, so no consumer restates what a well-formed node is. */
#include "ir.h"

#include <stdarg.h>
#include <string.h>

/* ---- tables ------------------------------------------------------------ */

const ir_slot_info ir_slot_table[IR_SLOT_COUNT] = {
#define X(n, s, k, dt) {s, k, dt},
    IR_SLOT_LIST(X)
#undef X
};

#define OUT_F32 IR_DT_F32
#define OUT_Q8A IR_DT_Q8A
#define OUT_NONE (-1)
#define USED(s) (IR_SLOT_##s != IR_SLOT_NONE)

const ir_op_info ir_op_table[IR_OP_COUNT] = {
#define X(n, s, out, se, rule, i0, i1, i2, i3, i4)                                                      \
    {s, USED(i0) + USED(i1) + USED(i2) + USED(i3) + USED(i4), OUT_##out != -1, OUT_##out, se,             \
     IR_SLOT_##i1 == IR_SLOT_MATRIX, {IR_SLOT_##i0, IR_SLOT_##i1, IR_SLOT_##i2, IR_SLOT_##i3, IR_SLOT_##i4}},
    IR_OP_LIST(X)
#undef X
};

static int op_valid(int op) { return op >= 0 && op < IR_OP_COUNT; }

const char *ir_op_name(int op) { return op_valid(op) ? ir_op_table[op].name : "?"; }

int ir_op_from_name(const char *s) {
    if (!s) return -1;
    for (int i = 0; i < IR_OP_COUNT; i++)
        if (strcmp(ir_op_table[i].name, s) == 0) return i;
    return -1;
}

/* ---- shape rules ------------------------------------------------------- */

/* A rule reads its node's inputs (already of the right kinds and dtypes, with sane
 * shapes) and attributes, and either gives the output's shape or says what is wrong. */
typedef struct rule {
    const ir_graph *g;
    const ir_node *n;
    const ir_attrs *a;
    const ir_tensor *in[IR_MAX_INPUTS];
    int ndim;                  /* the output shape it gives (0: no output) */
    int64_t shape[IR_MAX_DIMS];
    char *msg;
    size_t cap;
} rule;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int rule_fail(rule *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, r->cap, fmt, ap);
    va_end(ap);
    return -1;
}

static int rule_give1(rule *r, int64_t n) {
    r->ndim = 1;
    r->shape[0] = n;
    return 0;
}

static int rule_give_like(rule *r, const ir_tensor *t) {
    r->ndim = t->ndim;
    memcpy(r->shape, t->shape, sizeof r->shape);
    return 0;
}

static int64_t elems(const ir_tensor *t) { return ir_tensor_elems(t); }
static int64_t last_dim(const ir_tensor *t) { return t->shape[t->ndim - 1]; }

static int check_heads(rule *r, int kv) {
    const ir_attrs *a = r->a;
    if (a->n_heads <= 0 || a->head_dim <= 0 || (kv && a->n_kv_heads <= 0))
        return rule_fail(r, "n_heads %d, %shead_dim %d must be > 0", a->n_heads, kv ? "n_kv_heads, " : "",
                         a->head_dim);
    if (kv && a->n_heads % a->n_kv_heads)
        return rule_fail(r, "n_heads %d not a multiple of n_kv_heads %d", a->n_heads, a->n_kv_heads);
    return 0;
}

/* the rope attributes and a rope_table's rows [rope_dim/2][2], shared by rope and qkv */
static int check_rope(rule *r, const ir_tensor *tb) {
    const ir_attrs *a = r->a;
    if (a->rope_dim <= 0 || a->rope_dim % 2 || a->rope_dim > a->head_dim)
        return rule_fail(r, "rope_dim %d must be even, > 0 and <= head_dim %d", a->rope_dim, a->head_dim);
    if (tb->ndim != 2 || tb->shape[0] != a->rope_dim / 2 || tb->shape[1] != 2)
        return rule_fail(r, "rope rows \"%s\" must be [%d][2]", tb->name, a->rope_dim / 2);
    return 0;
}

/* a cache [n_kv][slots][head_dim], slots <= ctx (position p in slot p % slots); n_kv, hd <= 0 = any */
static int check_cache(rule *r, const ir_tensor *c, int n_kv, int hd) {
    if (c->ndim != 3)
        return rule_fail(r, "cache \"%s\" must be [n_kv][slots][head_dim], has %d dims", c->name, c->ndim);
    if ((n_kv > 0 && c->shape[0] != n_kv) || (hd > 0 && c->shape[2] != hd))
        return rule_fail(r, "cache \"%s\" is [%lld][%lld][%lld], expected [%d][slots][%d]", c->name,
                         (long long)c->shape[0], (long long)c->shape[1], (long long)c->shape[2], n_kv, hd);
    if (r->g->cfg.ctx > 0 && c->shape[1] > r->g->cfg.ctx)
        return rule_fail(r, "cache \"%s\" has %lld slots, ctx is %d", c->name, (long long)c->shape[1],
                         r->g->cfg.ctx);
    return 0;
}

/* the k and v caches in input slots k and k + 1: [n_kv_heads][slots][head_dim] each, two tensors of one dtype */
static int check_caches(rule *r, int k) {
    const ir_tensor *kc = r->in[k], *vc = r->in[k + 1];
    if (check_cache(r, kc, r->a->n_kv_heads, r->a->head_dim) || check_cache(r, vc, r->a->n_kv_heads, r->a->head_dim))
        return -1;
    if (r->n->inputs[k] == r->n->inputs[k + 1]) return rule_fail(r, "k and v caches are the same tensor");
    if (kc->dtype != vc->dtype)
        return rule_fail(r, "k cache %s, v cache %s", ir_dtype_name(kc->dtype), ir_dtype_name(vc->dtype));
    if (kc->shape[1] != vc->shape[1])
        return rule_fail(r, "k cache has %lld slots, v cache %lld", (long long)kc->shape[1],
                         (long long)vc->shape[1]);
    return 0;
}

/* x (slot 0) times w[N][K] (slot 1); returns N or -1 */
static int64_t check_matmul(rule *r) {
    const ir_tensor *x = r->in[0], *w = r->in[1];
    if (w->ndim != 2) return rule_fail(r, "weight \"%s\" must be [N][K], has %d dims", w->name, w->ndim);
    if (elems(x) != w->shape[1])
        return rule_fail(r, "x has %lld elements, weight \"%s\" is [%lld][%lld]", (long long)elems(x), w->name,
                         (long long)w->shape[0], (long long)w->shape[1]);
    return w->shape[0];
}

static int rule_embed(rule *r) {
    const ir_tensor *tb = r->in[0], *tok = r->in[1];
    if (tb->ndim != 2) return rule_fail(r, "table \"%s\" must be [V][D], has %d dims", tb->name, tb->ndim);
    if (elems(tok) != 1) return rule_fail(r, "token must be i32[1], has %lld elements", (long long)elems(tok));
    return rule_give1(r, tb->shape[1]);
}

static int check_eps(rule *r) {
    return r->a->eps >= 0.0f ? 0 : rule_fail(r, "eps %g must be >= 0", (double)r->a->eps);
}

static int rule_rmsnorm(rule *r) {
    const ir_tensor *x = r->in[0], *w = r->in[1];
    if (check_eps(r)) return -1;
    if (elems(w) != last_dim(x))
        return rule_fail(r, "weight has %lld elements, rows of x have %lld", (long long)elems(w),
                         (long long)last_dim(x));
    return rule_give_like(r, x);
}

static int check_heads_in(rule *r, int kv, const char *x);

static int rule_head_norm(rule *r) {
    if (check_eps(r) || check_heads_in(r, 0, "x")) return -1;
    if (elems(r->in[1]) != r->a->head_dim)
        return rule_fail(r, "weight has %lld elements, head_dim is %d", (long long)elems(r->in[1]), r->a->head_dim);
    return rule_give_like(r, r->in[0]);
}

static int rule_add_bias(rule *r) {
    if (elems(r->in[1]) != last_dim(r->in[0]))
        return rule_fail(r, "bias has %lld elements, rows of x have %lld", (long long)elems(r->in[1]),
                         (long long)last_dim(r->in[0]));
    return rule_give_like(r, r->in[0]);
}

static int rule_normalize(rule *r) { return check_eps(r) ? -1 : rule_give_like(r, r->in[0]); }

static int rule_unary(rule *r) { return rule_give_like(r, r->in[0]); }

static int rule_binary(rule *r) {
    if (elems(r->in[0]) != elems(r->in[1]))
        return rule_fail(r, "operands have %lld and %lld elements", (long long)elems(r->in[0]),
                         (long long)elems(r->in[1]));
    return rule_give_like(r, r->in[0]);
}

static int rule_linear(rule *r) {
    int64_t N = check_matmul(r);
    return N < 0 ? -1 : rule_give1(r, N);
}

static int rule_linear_add(rule *r) {
    int64_t N = check_matmul(r);
    if (N < 0) return -1;
    if (elems(r->in[2]) != N)
        return rule_fail(r, "residual has %lld elements, the weight %lld rows", (long long)elems(r->in[2]),
                         (long long)N);
    return rule_give1(r, N);
}

/* gate rows, then as many up rows */
static int rule_linear_swiglu(rule *r) {
    int64_t N = check_matmul(r);
    if (N < 0) return -1;
    if (N % 2) return rule_fail(r, "weight has %lld rows, gate and up need an even number", (long long)N);
    return rule_give1(r, N / 2);
}

static int rule_qkv(rule *r) {
    const ir_attrs *a = r->a;
    int64_t N = check_matmul(r);
    if (N < 0 || check_heads(r, 1)) return -1;
    int64_t want = (int64_t)(a->n_heads + 2 * a->n_kv_heads) * a->head_dim;
    if (N != want)
        return rule_fail(r, "weight has %lld rows, (heads + 2 kv heads) x head_dim = %lld", (long long)N,
                         (long long)want);
    if (check_rope(r, r->in[2]) || check_caches(r, 3)) return -1;
    return rule_give1(r, (int64_t)a->n_heads * a->head_dim);
}

/* heads as check_heads, and input 0 (named x) n_heads heads of head_dim */
static int check_heads_in(rule *r, int kv, const char *x) {
    const ir_attrs *a = r->a;
    if (check_heads(r, kv)) return -1;
    if ((int64_t)a->n_heads * a->head_dim != elems(r->in[0]))
        return rule_fail(r, "n_heads*head_dim = %d, %s has %lld elements", a->n_heads * a->head_dim, x,
                         (long long)elems(r->in[0]));
    return 0;
}

/* freqs[half] -> [half][2] */
static int rule_rope_table(rule *r) {
    const ir_tensor *f = r->in[0];
    if (f->ndim != 1 || f->dtype != IR_DT_F32)
        return rule_fail(r, "frequencies \"%s\" must be an f32 vector, is %s with %d dims", f->name,
                         ir_dtype_name(f->dtype), f->ndim);
    r->ndim = 2;
    r->shape[0] = f->shape[0];
    r->shape[1] = 2;
    return 0;
}

static int rule_rope(rule *r) {
    return check_heads_in(r, 0, "x") || check_rope(r, r->in[1]) ? -1 : rule_give_like(r, r->in[0]);
}

static int rule_kv_store(rule *r) {
    const ir_tensor *x = r->in[0], *c = r->in[1];
    if (check_cache(r, c, 0, 0)) return -1;
    if (elems(x) != c->shape[0] * c->shape[2])
        return rule_fail(r, "x has %lld elements, cache \"%s\" holds %lld per position", (long long)elems(x), c->name,
                         (long long)(c->shape[0] * c->shape[2]));
    return 0;
}

/* the window and softcap, and caches that hold every key the window reads: all ctx positions
 * without a window, a ring of at least ir_kv_slots with one */
static int rule_attention(rule *r) {
    const ir_attrs *a = r->a;
    if (check_heads_in(r, 1, "q") || check_caches(r, 1)) return -1;
    if (a->window < 0) return rule_fail(r, "window %d must be >= 0 (0: every position)", a->window);
    if (!(a->softcap >= 0.0f) || a->softcap > 3.0e38f)
        return rule_fail(r, "softcap %g must be finite and >= 0 (0: none)", (double)a->softcap);
    int64_t need = ir_kv_slots(&r->g->cfg, a->window), slots = r->in[1]->shape[1];
    if (a->window == 0 && r->g->cfg.ctx > 0 && slots != need)
        return rule_fail(r, "caches have %lld slots; attention over every position needs ctx = %lld", (long long)slots,
                         (long long)need);
    if (a->window > 0 && slots < need)
        return rule_fail(r, "caches have %lld slots; a window of %d with chunks of %d tokens needs %lld",
                         (long long)slots, a->window, r->g->cfg.batch > 1 ? r->g->cfg.batch : 1, (long long)need);
    return rule_give_like(r, r->in[0]);
}

static int rule_scale(rule *r) {
    if (!(r->a->scale > -3.0e38f && r->a->scale < 3.0e38f)) return rule_fail(r, "scale %g must be finite", (double)r->a->scale);
    return rule_give_like(r, r->in[0]);
}

static int rule_softcap(rule *r) {
    if (!(r->a->softcap > 0.0f) || r->a->softcap > 3.0e38f)
        return rule_fail(r, "softcap %g must be finite and > 0", (double)r->a->softcap);
    return rule_give_like(r, r->in[0]);
}

static int rule_hadamard(rule *r) {
    int b = r->a->block;
    if (b < 2 || (b & (b - 1))) return rule_fail(r, "block %d must be a power of two >= 2", b);
    return rule_give1(r, (elems(r->in[0]) + b - 1) / b * b);
}

typedef int (*rule_fn)(rule *r);
static const rule_fn rule_table[IR_OP_COUNT] = {
#define X(n, s, out, se, rule, i0, i1, i2, i3, i4) rule,
    IR_OP_LIST(X)
#undef X
};

/* ---- the node check ------------------------------------------------------ */

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static int node_fail(char *err, size_t errlen, int ni, int op, const char *fmt, ...) {
    if (!err || !errlen) return -1;
    int k = op_valid(op) ? snprintf(err, errlen, "node %d (%s): ", ni, ir_op_table[op].name)
                         : snprintf(err, errlen, "node %d: ", ni);
    if (k >= 0 && (size_t)k < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + k, errlen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* what the rules assume of any tensor they read: a known kind and dtype, 1..IR_MAX_DIMS positive dims */
static const char *tensor_insane(const ir_tensor *t) {
    if ((int)t->kind < 0 || t->kind >= IR_KIND_COUNT) return "invalid kind";
    if ((int)t->dtype < 0 || t->dtype >= IR_DT_COUNT) return "invalid dtype";
    if (t->ndim < 1 || t->ndim > IR_MAX_DIMS) return "ndim not in 1..IR_MAX_DIMS";
    for (int d = 0; d < t->ndim; d++)
        if (t->shape[d] <= 0) return "non-positive dimension";
    return NULL;
}

/* the dtypes of a mask, as "f32 or f16" */
static void dtype_list(unsigned mask, char *buf, size_t cap) {
    size_t k = 0;
    buf[0] = 0;
    for (int t = 0; t < IR_DT_COUNT && k < cap; t++)
        if (mask & (1u << t)) {
            int w = snprintf(buf + k, cap - k, "%s%s", k ? " or " : "", ir_dtype_name((ir_dtype)t));
            if (w < 0) break;
            k += (size_t)w;
        }
}

int ir_node_check(const ir_graph *g, int ni, char *err, size_t errlen) {
    char msg[320], dts[64];
    const char *why;
    if (err && errlen) err[0] = 0;
    if (!g || ni < 0 || ni >= g->n_nodes) return node_fail(err, errlen, ni, -1, "not a node of the graph");
    const ir_node *n = &g->nodes[ni];
    int op = (int)n->op;
    if (!op_valid(op)) return node_fail(err, errlen, ni, op, "op %d is not in IR_OP_LIST", op);
    const ir_op_info *oi = &ir_op_table[op];
    rule r = {g, n, &n->attrs, {0}, 0, {0}, msg, sizeof msg};
    for (int k = 0; k < IR_MAX_INPUTS; k++) {
        int id = n->inputs[k];
        if (k >= oi->n_inputs) {
            if (id != -1) return node_fail(err, errlen, ni, op, "%s takes %d inputs, input %d is set", oi->name,
                                           oi->n_inputs, k);
            continue;
        }
        if (id < 0 || id >= g->n_tensors) return node_fail(err, errlen, ni, op, "input %d is not a tensor id (%d)", k, id);
        const ir_tensor *t = &g->tensors[id];
        const ir_slot_info *si = &ir_slot_table[oi->slot[k]];
        if (t->dead) return node_fail(err, errlen, ni, op, "input %d \"%s\" is dead", k, t->name);
        if ((why = tensor_insane(t))) return node_fail(err, errlen, ni, op, "input %d \"%s\": %s", k, t->name, why);
        if (t->kind != si->kind)
            return node_fail(err, errlen, ni, op, "input %d \"%s\" is %s, expected %s (the %s)", k, t->name,
                             ir_kind_name(t->kind), ir_kind_name(si->kind), si->name);
        if (si->dtypes && !(si->dtypes & (1u << t->dtype))) {
            dtype_list(si->dtypes, dts, sizeof dts);
            return node_fail(err, errlen, ni, op, "input %d \"%s\" is %s, the %s must be %s", k, t->name,
                             ir_dtype_name(t->dtype), si->name, dts);
        }
        if (t->tile_rows > 1 && oi->slot[k] != IR_SLOT_MATRIX)
            return node_fail(err, errlen, ni, op, "input %d \"%s\" is tiled; only a matrix (a linear's weight) may be",
                             k, t->name);
        r.in[k] = t;
    }
    const ir_tensor *out = NULL;
    if (oi->has_output) {
        int o = n->output;
        if (o < 0 || o >= g->n_tensors) return node_fail(err, errlen, ni, op, "output is not a tensor id (%d)", o);
        out = &g->tensors[o];
        if (out->dead) return node_fail(err, errlen, ni, op, "live node with dead output \"%s\"", out->name);
        if ((why = tensor_insane(out))) return node_fail(err, errlen, ni, op, "output \"%s\": %s", out->name, why);
        if (out->kind != IR_KIND_ACT)
            return node_fail(err, errlen, ni, op, "output \"%s\" is %s, must be act", out->name, ir_kind_name(out->kind));
        if ((int)out->dtype != oi->out_dtype)
            return node_fail(err, errlen, ni, op, "output \"%s\" is %s, must be %s", out->name,
                             ir_dtype_name(out->dtype), ir_dtype_name((ir_dtype)oi->out_dtype));
        for (int k = 0; k < oi->n_inputs; k++)
            if (n->inputs[k] == o) return node_fail(err, errlen, ni, op, "output \"%s\" is also an input", out->name);
    } else if (n->output != -1) {
        return node_fail(err, errlen, ni, op, "%s has no output, output is %d", oi->name, n->output);
    }
    msg[0] = 0;
    if (rule_table[op](&r)) return node_fail(err, errlen, ni, op, "%s", msg);
    if (out && (out->ndim != r.ndim || memcmp(out->shape, r.shape, (size_t)r.ndim * sizeof r.shape[0]) != 0)) {
        char have[96], want[96];
        size_t h = 0, w = 0;
        for (int d = 0; d < out->ndim; d++) h += (size_t)snprintf(have + h, sizeof have - h, "[%lld]", (long long)out->shape[d]);
        for (int d = 0; d < r.ndim; d++) w += (size_t)snprintf(want + w, sizeof want - w, "[%lld]", (long long)r.shape[d]);
        return node_fail(err, errlen, ni, op, "output \"%s\" is %s, the op gives %s", out->name, have, want);
    }
    return 0;
}
