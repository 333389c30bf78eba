/* ir.c - graph construction, the dtype and kind tables, the verifier and the text dump
 * (the op table and the per-node rules: ops.c). */
#include "ir.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- tables ------------------------------------------------------------ */

static const char *const kind_names[IR_KIND_COUNT] = {
#define X(n, s) s,
    IR_KIND_LIST(X)
#undef X
};

static int dtype_valid(ir_dtype t) { return (int)t >= 0 && t < IR_DT_COUNT; }
static int op_valid(ir_opcode op) { return (int)op >= 0 && op < IR_OP_COUNT; }

const char *ir_kind_name(ir_kind k) {
    return ((int)k >= 0 && k < IR_KIND_COUNT) ? kind_names[k] : "?";
}

int64_t ir_weight_params(const ir_tensor *t) {
    int64_t n = ir_tensor_elems(t);
    if (t->ndim < 1 || t->pad_cols <= 0) return n;
    int64_t cols = t->shape[t->ndim - 1];
    return n - n / cols * t->pad_cols;
}

/* ---- construction ------------------------------------------------------ */

ir_graph *ir_graph_new(void) {
    ir_graph *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->token_input = -1;
    g->logits = -1;
    g->scratch_offset = -1;
    g->cfg.kv_dtype = IR_DT_F32;
    return g;
}

void ir_graph_free(ir_graph *g) {
    if (!g) return;
    for (int i = 0; i < g->n_tensors; i++) free(g->tensors[i].owned);
    free(g->tensors);
    free(g->nodes);
    free(g);
}

static int grow(void **arr, int *cap, int need, size_t elem) {
    if (need <= *cap) return 0;
    int nc = *cap ? *cap * 2 : 64;
    while (nc < need) nc *= 2;
    void *p = realloc(*arr, (size_t)nc * elem);
    if (!p) return -1;
    *arr = p;
    *cap = nc;
    return 0;
}

int ir_tensor_add(ir_graph *g, const char *name, ir_kind kind, ir_dtype dt,
                  int ndim, const int64_t *shape) {
    if (!g || ndim < 0 || ndim > IR_MAX_DIMS || (ndim > 0 && !shape)) return -1;
    if (grow((void **)&g->tensors, &g->cap_tensors, g->n_tensors + 1, sizeof *g->tensors)) return -1;
    ir_tensor *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name ? name : "");
    t->kind = kind;
    t->dtype = dt;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    t->arena_offset = -1;
    t->blob_offset = -1;
    t->first_use = t->last_use = -1;
    t->want_dtype = -1;
    return g->n_tensors++;
}

int ir_weight_add(ir_graph *g, const char *name, ir_dtype dt, int ndim,
                  const int64_t *shape, const void *data, size_t nbytes) {
    int id = ir_tensor_add(g, name, IR_KIND_WEIGHT, dt, ndim, shape);
    if (id < 0) return -1;
    g->tensors[id].data = data;
    g->tensors[id].nbytes = nbytes;
    return id;
}

ir_attrs ir_attrs_none(void) {
    ir_attrs a;
    memset(&a, 0, sizeof a);
    a.layer = -1;
    return a;
}

int64_t ir_kv_slots(const ir_config *cfg, int window) {
    int64_t batch = cfg->batch > 1 ? cfg->batch : 1;
    if (window <= 0) return cfg->ctx;
    int64_t ring = (int64_t)window + batch - 1;
    return cfg->ctx > 0 && ring > cfg->ctx ? cfg->ctx : ring;
}

int ir_kv_slides(const ir_graph *g, int cache) {
    if (!g->cfg.kv_slide) return 0;
    for (int k = 0; k < g->n_nodes; k++) {
        const ir_node *n = &g->nodes[k];
        if (!n->dead && n->op == IR_OP_ATTENTION && (n->inputs[1] == cache || n->inputs[2] == cache))
            return n->attrs.window <= 0;
    }
    return 0;
}

int64_t ir_kv_rows(const ir_config *cfg, int64_t n) {
    return n + (cfg->kv_slide && cfg->batch > 1 ? cfg->batch - 1 : 0);
}

int64_t ir_sink_query_floats(const ir_graph *g, int64_t *rope) {
    int64_t q = 0, hd = 0;
    for (int k = 0; g->cfg.kv_slide && k < g->n_nodes; k++) {
        const ir_node *n = &g->nodes[k];
        if (n->dead || n->op != IR_OP_ATTENTION || n->attrs.window > 0) continue;
        const ir_tensor *t = &g->tensors[n->inputs[0]];
        if (t->shape[t->ndim - 1] > q) q = t->shape[t->ndim - 1];
        if (n->attrs.head_dim > hd) hd = n->attrs.head_dim;
    }
    if (rope) *rope = q ? hd : 0;
    return q;
}

int64_t ir_cache_positions(const ir_graph *g, const ir_tensor *cache) {
    return g->cfg.ctx > 0 ? g->cfg.ctx : cache->ndim == 3 ? cache->shape[1] : 0;
}

int ir_node_add(ir_graph *g, ir_opcode op, const int *inputs, const ir_attrs *attrs,
                const char *out_name, int out_ndim, const int64_t *out_shape) {
    if (!g || !op_valid(op)) return -1;
    const ir_op_info *oi = &ir_op_table[op];
    int out = -1;
    if (oi->has_output) {
        out = ir_tensor_add(g, out_name, IR_KIND_ACT, IR_DT_F32, out_ndim, out_shape);
        if (out < 0) return -1;
    }
    if (grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes)) {
        if (out >= 0) g->n_tensors--;
        return -1;
    }
    ir_node *n = &g->nodes[g->n_nodes++];
    memset(n, 0, sizeof *n);
    n->op = op;
    for (int i = 0; i < IR_MAX_INPUTS; i++)
        n->inputs[i] = (i < oi->n_inputs && inputs) ? inputs[i] : -1;
    n->attrs = attrs ? *attrs : ir_attrs_none();
    n->output = out;
    return out;
}

int ir_tensor_find(const ir_graph *g, const char *name) {
    if (!g || !name) return -1;
    for (int i = 0; i < g->n_tensors; i++)
        if (strcmp(g->tensors[i].name, name) == 0) return i;
    return -1;
}

int64_t ir_tensor_elems(const ir_tensor *t) {
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

size_t ir_tensor_bytes(const ir_tensor *t) {
    if (t->ndim == 0) return ir_row_bytes(t->dtype, 1);
    int64_t row = t->shape[t->ndim - 1];
    if (row <= 0) return 0;
    int64_t rows = ir_tensor_elems(t) / row;
    if (t->kind == IR_KIND_WEIGHT && t->tile_rows > 1)
        rows = (rows + t->tile_rows - 1) / t->tile_rows * t->tile_rows;
    return (size_t)rows * ir_row_bytes(t->dtype, row);
}

int ir_act_rows(const ir_graph *g, int id) {
    int batch = g->cfg.batch > 1 ? g->cfg.batch : 1;
    if (batch == 1) return 1;
    int tl = -1, prod = -1;
    for (int i = 0; i < g->n_nodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        if (tl < 0 && n->op == IR_OP_TAKE_LAST) tl = i;
        if (n->output == id) prod = i;
    }
    return (tl >= 0 && prod >= tl) ? 1 : batch;
}

int64_t ir_act_bytes(const ir_graph *g, int id) {
    return (int64_t)ir_act_rows(g, id) * (int64_t)ir_tensor_bytes(&g->tensors[id]);
}

/* ---- verifier ---------------------------------------------------------- */

typedef struct {
    char *buf;
    size_t cap, len;
    int n;
} errbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void err_add(errbuf *e, const char *fmt, ...) {
    e->n++;
    if (!e->buf || e->cap == 0 || e->len + 1 >= e->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(e->buf + e->len, e->cap - e->len, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    e->len += (size_t)k;
    if (e->len + 1 >= e->cap) {
        e->len = e->cap - 1;
        return;
    }
    e->buf[e->len++] = '\n';
    e->buf[e->len] = 0;
}

static int ranges_overlap(int64_t a0, int64_t an, int64_t b0, int64_t bn) {
    return a0 < b0 + bn && b0 < a0 + an;
}

static void check_arena(const ir_graph *g, errbuf *e, const int *producer) {
    int nt = g->n_tensors;
    /* buffer sizes once: ir_act_bytes scans the nodes */
    int64_t *size = malloc(((size_t)nt + 1) * sizeof *size);
    if (!size) {
        err_add(e, "out of memory");
        return;
    }
    for (int i = 0; i < nt; i++) {
        const ir_tensor *t = &g->tensors[i];
        size[i] = t->dead ? 0 : t->kind == IR_KIND_ACT ? ir_act_bytes(g, i) : (int64_t)ir_tensor_bytes(t);
    }
    /* intervals must cover every live use, or the overlap check below means nothing */
    for (int i = 0; i < g->n_nodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead) continue;
        for (int k = 0; k < ir_op_table[n->op].n_inputs; k++) {
            const ir_tensor *t = &g->tensors[n->inputs[k]];
            if (t->kind == IR_KIND_ACT && t->arena_offset != -1 &&
                (t->first_use > i || t->last_use < i))
                err_add(e, "node %d (%s): input \"%s\" read outside its live range %d..%d", i,
                        ir_op_table[n->op].name, t->name, t->first_use, t->last_use);
        }
    }
    for (int i = 0; i < nt; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (t->dead || (t->kind != IR_KIND_ACT && t->kind != IR_KIND_STATE) || t->arena_offset == -1)
            continue;
        int64_t sz = size[i];
        /* kvlayout sizes the KV region before memplan sizes the whole arena */
        int64_t limit = t->kind == IR_KIND_STATE ? g->kv_bytes : g->arena_bytes;
        if (t->arena_offset < 0 || t->arena_offset + sz > limit)
            err_add(e, "tensor %d \"%s\": arena@%lld+%lld outside the %s (%lld bytes)", i, t->name,
                    (long long)t->arena_offset, (long long)sz,
                    t->kind == IR_KIND_STATE ? "kv region" : "arena", (long long)limit);
        if (t->kind == IR_KIND_ACT) {
            if (t->first_use < 0 || t->last_use < t->first_use)
                err_add(e, "tensor %d \"%s\": planned without a live range", i, t->name);
            else if (producer[i] >= 0 && t->first_use > producer[i])
                err_add(e, "tensor %d \"%s\": live range %d..%d starts after its producer %d", i,
                        t->name, t->first_use, t->last_use, producer[i]);
            if (i == g->logits && t->last_use < g->n_nodes - 1)
                err_add(e, "tensor %d \"%s\": logits must live to the end of the step (last_use %d)",
                        i, t->name, t->last_use);
        }
        if (g->scratch_bytes > 0 && g->scratch_offset >= 0 &&
            ranges_overlap(t->arena_offset, sz, g->scratch_offset, g->scratch_bytes))
            err_add(e, "tensor %d \"%s\": overlaps the scratch region", i, t->name);
        for (int j = i + 1; j < nt; j++) {
            const ir_tensor *u = &g->tensors[j];
            if (u->dead || (u->kind != IR_KIND_ACT && u->kind != IR_KIND_STATE) ||
                u->arena_offset == -1)
                continue;
            /* state lives forever; activations only over [first_use, last_use] */
            int both_act = t->kind == IR_KIND_ACT && u->kind == IR_KIND_ACT;
            if (both_act && (t->last_use < u->first_use || u->last_use < t->first_use)) continue;
            if (ranges_overlap(t->arena_offset, sz, u->arena_offset, size[j]))
                err_add(e, "tensor %d \"%s\" and tensor %d \"%s\": overlapping arena memory while both live",
                        i, t->name, j, u->name);
        }
    }
    free(size);
    if (g->arena_bytes > 0 && g->kv_bytes > g->arena_bytes)
        err_add(e, "kv region (%lld bytes) larger than the arena (%lld bytes)", (long long)g->kv_bytes,
                (long long)g->arena_bytes);
    if (g->scratch_bytes > 0 && g->scratch_offset >= 0 &&
        g->scratch_offset + g->scratch_bytes > g->arena_bytes)
        err_add(e, "scratch @%lld+%lld outside the arena (%lld bytes)", (long long)g->scratch_offset,
                (long long)g->scratch_bytes, (long long)g->arena_bytes);
}

int ir_verify(const ir_graph *g, char *err, size_t errlen) {
    errbuf e = {err, errlen, 0, 0};
    if (err && errlen) err[0] = 0;
    if (!g) {
        err_add(&e, "graph is NULL");
        return -1;
    }
    int nt = g->n_tensors;
    int *producer = malloc(((size_t)nt + 1) * sizeof *producer);
    if (!producer) {
        err_add(&e, "out of memory");
        return -1;
    }
    for (int i = 0; i < nt; i++) producer[i] = -1;

    for (int i = 0; i < nt; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (t->dead) continue;
        if ((int)t->kind < 0 || t->kind >= IR_KIND_COUNT)
            err_add(&e, "tensor %d \"%s\": invalid kind %d", i, t->name, (int)t->kind);
        if (!dtype_valid(t->dtype)) {
            err_add(&e, "tensor %d \"%s\": invalid dtype %d", i, t->name, (int)t->dtype);
            continue;
        }
        if (t->ndim < 1 || t->ndim > IR_MAX_DIMS) {
            err_add(&e, "tensor %d \"%s\": ndim %d not in 1..%d", i, t->name, t->ndim, IR_MAX_DIMS);
            continue;
        }
        int bad = 0;
        for (int d = 0; d < t->ndim; d++) bad |= t->shape[d] <= 0;
        if (bad) {
            err_add(&e, "tensor %d \"%s\": non-positive dimension", i, t->name);
            continue;
        }
        if (t->kind == IR_KIND_WEIGHT) {
            if (!t->data)
                err_add(&e, "tensor %d \"%s\": weight has no data", i, t->name);
            if (t->nbytes != ir_tensor_bytes(t))
                err_add(&e, "tensor %d \"%s\": weight has %zu bytes, %s%s needs %zu", i, t->name,
                        t->nbytes, ir_dtype_name(t->dtype), t->ndim == 1 ? "[n]" : "[..]",
                        ir_tensor_bytes(t));
        }
        if (t->kind == IR_KIND_ACT && t->dtype != IR_DT_F32 && t->dtype != IR_DT_Q8A)
            err_add(&e, "tensor %d \"%s\": activation dtype %s, must be f32 or q8a", i, t->name,
                    ir_dtype_name(t->dtype));
        if (t->tile_rows > 1 && (t->kind != IR_KIND_WEIGHT || t->ndim != 2 || !ir_dtype_kernel_name(t->dtype, 1)))
            err_add(&e, "tensor %d \"%s\": tile_rows %d on a %s %s tensor (only 2-D weights of a tiled format)",
                    i, t->name, t->tile_rows, ir_kind_name(t->kind), ir_dtype_name(t->dtype));
    }

    char line[512];
    for (int i = 0; i < g->n_nodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead) {
            if (n->output >= 0 && n->output < nt && !g->tensors[n->output].dead)
                err_add(&e, "node %d (%s): dead node with live output \"%s\"", i, ir_op_name(n->op),
                        g->tensors[n->output].name);
            continue;
        }
        if (ir_node_check(g, i, line, sizeof line)) err_add(&e, "%s", line);
        if (!op_valid(n->op)) continue;
        /* what spans nodes: every activation defined before it is read, by one node */
        const ir_op_info *oi = &ir_op_table[n->op];
        for (int k = 0; k < oi->n_inputs; k++) {
            int id = n->inputs[k];
            if (id >= 0 && id < nt && !g->tensors[id].dead && g->tensors[id].kind == IR_KIND_ACT && producer[id] < 0)
                err_add(&e, "node %d (%s): input %d \"%s\" used before it is defined", i, oi->name, k,
                        g->tensors[id].name);
        }
        int o = n->output;
        if (oi->has_output && o >= 0 && o < nt && g->tensors[o].kind == IR_KIND_ACT) {
            if (producer[o] >= 0)
                err_add(&e, "node %d (%s): output \"%s\" already assigned by node %d", i, oi->name,
                        g->tensors[o].name, producer[o]);
            else
                producer[o] = i;
        }
    }

    if (g->token_input >= 0) {
        if (g->token_input >= nt || g->tensors[g->token_input].kind != IR_KIND_INPUT)
            err_add(&e, "token input %d is not an input tensor", g->token_input);
    }
    if (g->logits < 0 || g->logits >= nt) {
        err_add(&e, "logits tensor id %d is not a tensor", g->logits);
    } else {
        const ir_tensor *t = &g->tensors[g->logits];
        if (t->dead || t->kind != IR_KIND_ACT || producer[g->logits] < 0)
            err_add(&e, "logits tensor \"%s\" is not produced by a live node", t->name);
    }

    if (e.n == 0) check_arena(g, &e, producer);
    free(producer);
    return e.n ? -1 : 0;
}

/* ---- dump -------------------------------------------------------------- */

static void print_ref(const ir_graph *g, int id, FILE *out) {
    if (id < 0 || id >= g->n_tensors) {
        fprintf(out, "%%?%d", id);
        return;
    }
    switch (g->tensors[id].kind) {
    case IR_KIND_WEIGHT: fprintf(out, "%%w%d", id); break;
    case IR_KIND_STATE: fprintf(out, "%%s%d", id); break;
    case IR_KIND_INPUT: fprintf(out, "%%in%d", id); break;
    default: fprintf(out, "%%%d", id); break;
    }
}

static void print_type(const ir_tensor *t, FILE *out) {
    fputs(ir_dtype_name(t->dtype), out);
    for (int d = 0; d < t->ndim; d++) fprintf(out, "[%lld]", (long long)t->shape[d]);
    if (t->tile_rows > 1) fprintf(out, " tile %d", t->tile_rows);
}

static void print_attrs(const ir_node *n, FILE *out) {
    const ir_attrs *a = &n->attrs;
    switch (n->op) {
    case IR_OP_RMSNORM:
    case IR_OP_NORMALIZE: fprintf(out, " {eps %g}", (double)a->eps); break;
    case IR_OP_HADAMARD: fprintf(out, " {block %d}", a->block); break;
    case IR_OP_SCALE: fprintf(out, " {scale %g}", (double)a->scale); break;
    case IR_OP_SOFTCAP: fprintf(out, " {softcap %g}", (double)a->softcap); break;
    case IR_OP_HEAD_NORM: fprintf(out, " {eps %g, heads %d, head_dim %d}", (double)a->eps, a->n_heads, a->head_dim); break;
    case IR_OP_QKV:
        fprintf(out, " {heads %d/%d, head_dim %d, rope_dim %d, %s}", a->n_heads, a->n_kv_heads, a->head_dim,
                a->rope_dim, a->rope_neox ? "neox" : "norm");
        break;
    case IR_OP_ROPE:
        fprintf(out, " {heads %d, head_dim %d, rope_dim %d, %s}", a->n_heads, a->head_dim, a->rope_dim,
                a->rope_neox ? "neox" : "norm");
        break;
    case IR_OP_ATTENTION:
        fprintf(out, " {heads %d/%d, head_dim %d, scale %g", a->n_heads, a->n_kv_heads,
                a->head_dim, (double)a->scale);
        if (a->window > 0) fprintf(out, ", window %d", a->window);
        if (a->softcap > 0) fprintf(out, ", softcap %g", (double)a->softcap);
        fprintf(out, "}");
        break;
    default: break;
    }
}

void ir_dump(const ir_graph *g, FILE *out) {
    const ir_model_info *m = &g->info;
    fprintf(out,
            "model %s \"%s\": dim %d, layers %d, heads %d/%d, head_dim %d, ffn %d, vocab %d, ctx %d\n",
            m->arch, m->name, m->dim, m->n_layers, m->n_heads, m->n_kv_heads, m->head_dim,
            m->hidden_dim, m->vocab_size, g->cfg.ctx > 0 ? g->cfg.ctx : m->ctx_len);
    for (int i = 0; i < g->n_tensors; i++) {
        const ir_tensor *t = &g->tensors[i];
        if (t->dead || t->kind == IR_KIND_ACT) continue;
        fprintf(out, "%-6s ", ir_kind_name(t->kind));
        print_ref(g, i, out);
        fprintf(out, " \"%s\" ", t->name);
        print_type(t, out);
        if (t->kind == IR_KIND_WEIGHT && t->want_dtype >= 0 && t->want_dtype != (int)t->dtype)
            fprintf(out, " -> %s", ir_dtype_name((ir_dtype)t->want_dtype)); /* weightfmt's choice, not applied yet */
        if (t->kind == IR_KIND_WEIGHT) {
            fprintf(out, "  %zu bytes", t->nbytes);
            if (t->blob_offset >= 0) fprintf(out, " blob@%lld", (long long)t->blob_offset);
        }
        if (t->kind == IR_KIND_STATE && t->arena_offset >= 0)
            fprintf(out, " arena@%lld", (long long)t->arena_offset);
        fputc('\n', out);
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const ir_node *n = &g->nodes[i];
        if (n->dead || !op_valid(n->op)) continue;
        const ir_op_info *oi = &ir_op_table[n->op];
        if (n->output >= 0 && n->output < g->n_tensors) {
            const ir_tensor *t = &g->tensors[n->output];
            print_ref(g, n->output, out);
            fprintf(out, " \"%s\" ", t->name);
            print_type(t, out);
            fputs(" = ", out);
        }
        fputs(oi->name, out);
        for (int k = 0; k < oi->n_inputs; k++) {
            fputs(k ? ", " : " ", out);
            print_ref(g, n->inputs[k], out);
        }
        print_attrs(n, out);
        int semi = 0;
        if (n->output >= 0 && n->output < g->n_tensors) {
            const ir_tensor *t = &g->tensors[n->output];
            if (t->arena_offset >= 0) {
                fprintf(out, "  ; arena@%lld live %d..%d", (long long)t->arena_offset,
                        t->first_use, t->last_use);
                semi = 1;
            }
            if (n->output == g->logits) {
                fputs(semi ? ", logits" : "  ; logits", out);
                semi = 1;
            }
        }
        if (n->attrs.layer >= 0) fprintf(out, "%slayer %d", semi ? ", " : "  ; ", n->attrs.layer);
        fputc('\n', out);
    }
    if (g->arena_bytes > 0)
        fprintf(out, "arena: %lld bytes (act %lld, kv %lld, scratch %lld; naive %lld)\n",
                (long long)g->arena_bytes, (long long)g->act_bytes, (long long)g->kv_bytes,
                (long long)g->scratch_bytes, (long long)g->naive_bytes);
}
