/* main.c - the lmcc command line: parses the options (compiler/options.h),
 * checks what the table cannot check alone, and runs the command: one
 * compile pipeline (frontend, the passes in order, codegen) under compile,
 * run, eval, bench, quality and dump-ir; tokenize and verify beside it.
 * The only place that prints the error line and picks the exit status. */
#include "arch.h"
#include "baremetal.h"
#include "bench.h"
#include "chat.h"
#include "codegen.h"
#include "diag.h"
#include "driver_baremetal.h"
#include "gguf.h"
#include "interp.h"
#include "ir.h"
#include "lmrt_tokenizer.h"
#include "model.h"
#include "options.h"
#include "passes.h"
#include "proc.h"
#include "quality.h"
#include "stage.h"
#include "target.h"
#include "target_find.h"
#include "verify.h"
#include "vocab.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef LMCC_VERSION
#define LMCC_VERSION "0.0.0"
#endif

/* ---- the checks the option table cannot do alone ---------------------- */

static int valid_c_name(const char *s) {
    if (!s || !*s || strlen(s) > 48) return 0;
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

/* Everything about the options that needs no model file, before any work. */
static int check_config(lmcc_config *c) {
    if (c->cmd == LMCC_CMD_COMPILE && !c->outdir)
        return lmcc_error(c->model, "no output directory (add -o OUTDIR)");
    if (c->cmd == LMCC_CMD_COMPILE && !valid_c_name(c->name))
        return lmcc_error(NULL, "--name '%s' is not a C identifier (letters, digits, _; at most 48)", c->name);
    if (c->cmd == LMCC_CMD_EVAL && (!c->ids_file || !c->logits))
        return lmcc_error(c->model, "eval needs --ids FILE and --logits OUT.f32");
    if (c->cmd == LMCC_CMD_RUN && c->prompt && c->ids) return lmcc_error(NULL, "give either -p TEXT or --ids, not both");
    if (c->draft && c->lookup) return lmcc_error(NULL, "give either --lookup or --draft, not both");
    if (c->given[LMCC_OPT_SPEC_K] == 1 && !c->draft) return lmcc_error(NULL, "-k is the guesses per pass of --draft (add --draft DRAFT)");
    if (c->given[LMCC_OPT_GUESS_COST] && !c->draft && !c->lookup)
        return lmcc_error(NULL, "--guess-cost prices the guesses of --lookup or --draft (add one)");
    if (c->draft && c->embed == LMCC_EMBED_EXTERNAL && c->cmd != LMCC_CMD_COMPILE)
        return lmcc_error(NULL, "--draft: run and bench link both blobs in (drop --embed external)");
    if (c->draft && (c->compress || c->verify || c->given[LMCC_OPT_BUDGET_FLASH]))
        return lmcc_error(NULL, "--draft does not combine with --compress, --verify or --budget-flash (yet)");
    if ((c->lookup || c->draft) && c->load_state)
        return lmcc_error(NULL, "--lookup and --draft need the session's tokens, which --load-state does not keep "
                                "(run without one of them)");
    if (c->cmd == LMCC_CMD_RUN && c->chat && c->ids)
        return lmcc_error(NULL, "--chat formats the text of -p as a chat turn; it does not apply to --ids");
    if (c->weights || c->given[LMCC_OPT_GROUP]) {
        char group[16], why[256];
        snprintf(group, sizeof group, "%d", c->group);
        c->weights_mode = IR_WEIGHTS_KEEP;
        if (ir_weights_from_cli(c->weights, c->given[LMCC_OPT_GROUP] ? group : NULL, &c->weights_mode, why,
                                sizeof why))
            return lmcc_error(NULL, "%s", why);
        c->weights_given = 1;
    } else if (c->given[LMCC_OPT_BPW]) { /* q4 for what mixprec does not choose */
        c->weights_mode = IR_DT_Q4_0;
        c->weights_given = 1;
    }
    const char *env = getenv("LMCC_QUANT");
    if (c->given[LMCC_OPT_QUANT] == 2 && env && *env && lmcc_config_set(c, LMCC_OPT_QUANT, env, "LMCC_QUANT"))
        return -1;
    if (lmcc_parse_compress(c->compress, &c->zstd_level)) return -1;
    if (lmcc_parse_kv_policy(c->kv_policy, &c->kv_sink)) return -1;
    if (c->after && strcmp(c->after, "all")) {
        int found = 0;
        for (int i = 0; i < lmcc_n_passes; i++) found |= !strcmp(lmcc_passes[i].name, c->after);
        if (!found) {
            char list[512];
            size_t n = 0;
            for (int i = 0; i < lmcc_n_passes && n < sizeof list; i++)
                n += (size_t)snprintf(list + n, sizeof list - n, "%s ", lmcc_passes[i].name);
            return lmcc_error(NULL, "unknown pass '%s' for --after (passes: %sall)", c->after, list);
        }
    }
    return 0;
}

/* ---- the compile pipeline ----------------------------------------------- */

typedef struct session {
    gguf_file *file;
    lmrt_vocab *vocab;
    ir_graph *g;
    const lmcc_chat_format *chat; /* the model's chat format, when its vocabulary can carry it */
} session;

static void session_free(session *s) {
    if (s->g) ir_graph_free(s->g);
    if (s->vocab) lmcc_vocab_free(s->vocab);
    if (s->file) gguf_close(s->file);
    memset(s, 0, sizeof *s);
}

/* The chat format of the model for NAME.h and --chat.  Without one --chat
 * takes the raw text, with a note; a format the vocabulary cannot carry is an
 * error under --chat (and left out of NAME.h otherwise). */
static int find_chat(const lmcc_config *c, const gguf_file *f, const lmrt_vocab *v, const lmcc_chat_format **out) {
    const char *why = NULL;
    char buf[256];
    *out = lmcc_chat_from_gguf(f, &why);
    if (*out && lmcc_chat_check(*out, v, buf, sizeof buf)) {
        if (c->chat) return lmcc_error(c->model, "--chat: %s", buf);
        *out = NULL;
        why = buf;
    }
    if (!*out && c->chat) fprintf(stderr, "lmcc: note: %s %s: --chat uses the raw text\n", c->model, why);
    else if (!*out && c->verbose) fprintf(stderr, "lmcc: note: %s %s: NAME.h has no NAME_CHAT_*\n", c->model, why);
    else if (*out && c->verbose) fprintf(stderr, "lmcc: chat format %s (tokenizer.chat_template)\n", (*out)->name);
    return 0;
}

/* The prompt of run and the text of tokenize as ids: as a chat turn under
 * --chat, and as llama.cpp's tools tokenize.  malloc'd ids and their count in
 * *n, or NULL after lmcc_error. */
static int32_t *tokenize_text(const lmcc_config *c, const lmrt_vocab *v, const lmcc_chat_format *chat,
                              const char *text, int flags, int *n) {
    char *formatted = NULL;
    if (chat) {
        if (!(text = formatted = lmcc_chat_format_turn(chat, text))) {
            lmcc_error(NULL, "out of memory");
            return NULL;
        }
        flags = LMRT_TOK_ADD_SPECIAL | LMRT_TOK_PARSE_SPECIAL;
    }
    size_t len = strlen(text);
    int32_t *ids = malloc(LMRT_TOK_CAP(len) * sizeof *ids);
    *n = ids ? lmrt_encode(v, text, len, flags, ids, (int)LMRT_TOK_CAP(len)) : -1;
    free(formatted);
    if (!ids) lmcc_error(NULL, "out of memory");
    else if (*n < 0) lmcc_error(c->model, "cannot tokenize the text (error %d)", *n);
    if (*n < 0) {
        free(ids);
        return NULL;
    }
    return ids;
}

/* frontend: file -> graph with vocabulary */
static int load_model(const lmcc_config *c, session *s, const lmcc_target *t) {
    s->file = lmcc_model_open(c->model);
    if (!s->file) return -1;
    ir_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.ctx = lmcc_arch_ctx(s->file, c->ctx);
    int all_float = 1;
    for (uint64_t i = 0; i < s->file->n_tensors; i++) {
        uint32_t ty = s->file->tensors[i].type;
        if (ty != 0 && ty != 1 && ty != 30) all_float = 0;
    }
    cfg.weights_mode = c->weights_given ? c->weights_mode : all_float ? IR_DT_F32 : IR_WEIGHTS_KEEP;
    cfg.bpw = c->given[LMCC_OPT_BPW] ? (float)c->bpw : 0.0f;
    cfg.fuse = !c->no_fuse;
    cfg.act_q8 = c->act_q8 >= 0 ? c->act_q8 : ir_weights_act_q8_default(cfg.weights_mode, !all_float);
    cfg.quant = c->quant;
    cfg.calib_path = c->calib;
    cfg.rotate = c->rotate;
    cfg.tile_rows = t && t->tile_rows > 1 ? t->tile_rows : 0;
    cfg.tile_rows_q8 = t && t->tile_rows_q8 ? t->tile_rows_q8 : 0;
    cfg.batch = c->batch ? (int)c->batch : t ? t->batch : 1;
    long guesses = c->lookup ? c->lookup : c->draft ? c->spec_k : 0;
    if (!c->batch && guesses + 1 > cfg.batch) cfg.batch = (int)guesses + 1; /* one verification pass, one chunk */
    cfg.threads = (int)c->threads;
    cfg.embed_f16 = c->embed_f16;
    cfg.kv_dtype = c->kv_dtype;
    cfg.kv_slide = c->kv_sink >= 0;
    if (cfg.kv_slide && cfg.ctx <= c->kv_sink)
        return lmcc_error(c->model, "--kv-policy %s keeps %d positions: the context of %d has no room for a ring "
                          "(pass a larger --ctx)", c->kv_policy, c->kv_sink, cfg.ctx);
    cfg.kv_sink = c->kv_sink >= 0 ? c->kv_sink : 0;
    if (cfg.threads > 1 && t && !t->hosted)
        return lmcc_error(c->model, "--threads %d: target %s is bare metal (no threads)", cfg.threads, t->name);
    s->g = lmcc_build_graph(s->file, c->model, &cfg);
    if (!s->g) return -1;
    if (gguf_find(s->file, "tokenizer.ggml.model")) {
        s->vocab = lmcc_vocab_from_gguf(s->file, c->model);
        if (!s->vocab) return -1;
    } else {
        s->vocab = lmcc_vocab_placeholder(s->g->info.vocab_size);
        if (!s->vocab) return lmcc_error(c->model, "out of memory");
    }
    if (s->vocab->n_tokens != s->g->info.vocab_size)
        return lmcc_error(c->model, "the tokenizer has %d tokens but the model's vocabulary is %d (mismatched file)",
                          s->vocab->n_tokens, s->g->info.vocab_size);
    s->g->vocab = s->vocab;
    if (find_chat(c, s->file, s->vocab, &s->chat)) return -1;
    char err[512];
    if (ir_verify(s->g, err, sizeof err)) return lmcc_bug("frontend produced an invalid graph: %s", err);
    return 0;
}

static int run_passes(const lmcc_config *c, session *s, const char *stop_after) {
    lmcc_diag pc;
    memset(&pc, 0, sizeof pc);
    pc.verbose = c->verbose;
    pc.log = stderr;
    int rc = lmcc_run_passes(s->g, &pc, stop_after);
    if (rc == LMCC_PASS_BUG) return lmcc_bug("%s", pc.err);
    if (rc) return lmcc_error(c->model, "%s", pc.err);
    /* a sanity bound: nobody wants a 64 GiB arena by accident */
    if (s->g->arena_bytes > (int64_t)64 << 30)
        return lmcc_error(c->model, "the arena would need %lld bytes (reduce --ctx or use --kv f16)",
                          (long long)s->g->arena_bytes);
    return 0;
}

/* The ids of an eval --ids file. */
static int read_ids(const char *path, int **ids, int *n) {
    FILE *f = fopen(path, "r");
    if (!f) return lmcc_error(path, "cannot read the ids file: %s", strerror(errno));
    int cap = 256, got = EOF, oom = 0;
    *ids = malloc((size_t)cap * sizeof **ids);
    *n = 0;
    long v;
    while (*ids && !oom && (got = fscanf(f, "%ld", &v)) == 1) {
        if (*n == cap) {
            int *p = realloc(*ids, (size_t)cap * 2 * sizeof **ids);
            if (p) *ids = p, cap *= 2;
            else oom = 1;
        }
        if (!oom) (*ids)[(*n)++] = v < INT_MIN || v > INT_MAX ? -1 : (int)v; /* -1: outside every vocabulary */
    }
    fclose(f);
    if (!*ids || oom) return lmcc_error(path, "out of memory");
    if (got != EOF) return lmcc_error(path, "expected whitespace-separated token ids");
    if (*n == 0) return lmcc_error(path, "no token ids in the file");
    return 0;
}

/* slides: the ids may pass the context of a --kv-policy slide build (eval feeds them one by one) */
static int check_ids(const char *what, const int *ids, int n, const ir_graph *g, int slides) {
    for (int i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= g->info.vocab_size)
            return lmcc_error(what, "token id %d at index %d is outside the vocabulary [0, %d)", ids[i], i,
                              g->info.vocab_size);
    if (n > g->cfg.ctx && !(g->cfg.kv_slide && slides))
        return lmcc_error(what, "%d ids do not fit the context of %d (pass --ctx)", n, g->cfg.ctx);
    return 0;
}

/* The prompt of run and the ids of eval against the model, so the generated
 * program (whose own checks would add a second error line) never fails on them. */
static int check_inputs(const lmcc_config *c, const session *s) {
    int *ids = NULL, n = 0, rc = 0;
    if (c->cmd == LMCC_CMD_EVAL) {
        rc = read_ids(c->ids_file, &ids, &n) || check_ids(c->ids_file, ids, n, s->g, 1) ? -1 : 0;
    } else if (c->cmd == LMCC_CMD_RUN && c->ids) {
        ids = malloc((strlen(c->ids) / 2 + 1) * sizeof *ids);
        if (!ids) return lmcc_error(NULL, "out of memory");
        for (const char *p = c->ids;;) {
            char *end;
            p += strspn(p, " \t\n");
            if (!*p) break;
            errno = 0;
            long v = strtol(p, &end, 10);
            if (end == p || errno || !strchr(" \t\n", *end)) {
                free(ids);
                return lmcc_error(NULL, "--ids '%s': want token ids separated by spaces", c->ids);
            }
            ids[n++] = v < INT_MIN || v > INT_MAX ? -1 : (int)v;
            p = end;
        }
        rc = n == 0 ? lmcc_error(NULL, "--ids: no token ids given") : check_ids("--ids", ids, n, s->g, 0);
    } else if (c->cmd == LMCC_CMD_RUN) {
        int32_t *tok = tokenize_text(c, s->vocab, c->chat ? s->chat : NULL, c->prompt ? c->prompt : "",
                                     LMRT_TOK_ADD_SPECIAL | LMRT_TOK_PARSE_SPECIAL, &n);
        if (!tok) rc = -1;
        else if (n == 0)
            rc = lmcc_error(c->model, "-p: the prompt is empty and the model adds no BOS (give -p TEXT)");
        else if (n > s->g->cfg.ctx)
            rc = lmcc_error(NULL, "-p: the prompt is %d tokens, longer than the context of %d (pass --ctx)", n,
                            s->g->cfg.ctx);
        free(tok);
    }
    free(ids);
    return rc;
}

/* The draft of --draft: the target's vocabulary, token for token (its guesses are the target's ids). */
static int draft_vocab_check(const char *draft, const lmrt_vocab *target, const lmrt_vocab *v) {
    char why[256];
    if (lmcc_vocab_same(target, v, why, sizeof why))
        return lmcc_error(draft, "the draft's vocabulary is not the target's: %s (a draft must share its tokenizer)", why);
    return 0;
}

static int draft_check(const lmcc_config *c, const session *s, const lmrt_vocab *target) {
    return draft_vocab_check(c->draft, target, s->vocab);
}

/* The same check before any work, when both files carry a tokenizer (placeholder vocabularies of
 * llama2.c files are compared once built, by draft_check). */
static int draft_vocab_early(const lmcc_config *c) {
    gguf_file *ft = lmcc_model_open(c->model), *fd = ft ? lmcc_model_open(c->draft) : NULL;
    lmrt_vocab *vt = NULL, *vd = NULL;
    int rc = ft && fd ? 0 : -1;
    if (rc == 0 && gguf_find(ft, "tokenizer.ggml.model") && gguf_find(fd, "tokenizer.ggml.model")) {
        vt = lmcc_vocab_from_gguf(ft, c->model);
        vd = vt ? lmcc_vocab_from_gguf(fd, c->draft) : NULL;
        rc = !vt || !vd ? -1 : draft_vocab_check(c->draft, vt, vd);
    }
    if (vt) lmcc_vocab_free(vt);
    if (vd) lmcc_vocab_free(vd);
    if (fd) gguf_close(fd);
    if (ft) gguf_close(ft);
    return rc;
}

/* Compiles the model into outdir (created when missing, and removed again
 * when the compile fails): all or nothing, through a staging directory. */
/* draft_of: compiling the draft of a target whose vocabulary this is (NULL: a model of its own) */
static int compile_to(const lmcc_config *c, session *s, const char *outdir, const char *name, lmcc_target *t,
                      const lmrt_vocab *draft_of) {
    if (lmcc_target_load(c->target, t)) return -1;
    if (c->zstd_level && !t->hosted)
        return lmcc_error(c->model, "--compress=zstd: target %s is bare metal (decompression needs libzstd; use "
                          "it on hosted targets)", t->name);
    struct stat st;
    int made = 0;
    if (stat(outdir, &st) != 0) {
        if (mkdir(outdir, 0777) != 0) return lmcc_error(outdir, "cannot create output directory: %s", strerror(errno));
        made = 1;
    } else if (!S_ISDIR(st.st_mode)) {
        return lmcc_error(outdir, "not a directory (give -o a directory)");
    }
    int compile = c->cmd == LMCC_CMD_COMPILE;
    /* a target with a draft includes NAME_draft.h, which is not staged with it: its C is not built alone */
    int alone = !c->draft || draft_of;
    /* the code bytes cost a C compile of NAME.c (1-2 s for a small model): LMCC_CODE_SIZE=0 skips it in
     * the size line, not for --budget-flash, which needs them */
    const char *code_env = getenv("LMCC_CODE_SIZE");
    int measure = c->given[LMCC_OPT_BUDGET_FLASH] || (compile && !(code_env && !strcmp(code_env, "0")));
    lmcc_stage_check chk = {c->model, name, c->verify && alone, measure && alone,
                            c->given[LMCC_OPT_BUDGET_RAM] ? c->budget_ram : 0,
                            c->given[LMCC_OPT_BUDGET_FLASH] ? c->budget_flash : 0, compile ? stderr : NULL};
    char stage[PATH_MAX];
    stage[0] = 0;
    if (access(outdir, W_OK) != 0) { lmcc_error(outdir, "output directory is not writable"); goto fail; }
    if (load_model(c, s, t) || (draft_of ? draft_check(c, s, draft_of) : check_inputs(c, s)) || run_passes(c, s, NULL))
        goto fail;
    if (lmcc_stage_open(outdir, stage, sizeof stage)) { stage[0] = 0; goto fail; }
    lmcc_codegen_opts co;
    memset(&co, 0, sizeof co);
    co.zstd_level = c->zstd_level;
    co.outdir = stage;
    co.name = name;
    co.embed = c->embed;
    co.model_path = c->model;
    co.version = LMCC_VERSION;
    co.verbose = c->verbose;
    co.log = stderr;
    co.chat = s->chat;
    char draft_name[80];
    snprintf(draft_name, sizeof draft_name, "%s_draft", name);
    co.draft_name = c->draft && !draft_of ? draft_name : NULL;
    char err[512];
    if (lmcc_codegen(s->g, t, &co, err, sizeof err)) { lmcc_error(NULL, "%s", err); goto fail; }
    if (getenv("LMCC_VERIFY_INJECT")) { /* tests/verify.sh: prove --verify rejects bad emitted code */
        char cpath[PATH_MAX + 64];
        snprintf(cpath, sizeof cpath, "%s/%s.c", stage, name);
        FILE *f = fopen(cpath, "a");
        if (f) { fputs("static int lmcc_injected_unused(void) { return 0; }\n", f); fclose(f); }
    }
    if (lmcc_stage_check_build(t, stage, outdir, &chk)) goto fail;
    if (lmcc_stage_commit(stage, outdir) == 0) return 0;
    stage[0] = 0;
fail:
    if (stage[0]) lmcc_stage_abort(stage);
    if (made) rmdir(outdir);
    return -1;
}

/* The target and, with --draft, the draft as NAME_draft into outdir: the target first (its
 * vocabulary is the draft's check); a failed draft takes the target's files out again. */
static int compile_pair(const lmcc_config *c, session *s, const char *outdir, const char *name, lmcc_target *t) {
    struct stat st;
    int existed = stat(outdir, &st) == 0;
    if ((c->draft && draft_vocab_early(c)) || compile_to(c, s, outdir, name, t, NULL)) return -1;
    if (!c->draft) return 0;
    lmcc_config dc = *c;
    dc.model = c->draft;
    dc.weights_given = 0; /* the draft file's own format: quantize it beforehand for a cheaper draft */
    dc.given[LMCC_OPT_BPW] = 0;
    session ds = {0};
    char dname[80];
    snprintf(dname, sizeof dname, "%s_draft", name);
    lmcc_target dt;
    int rc = compile_to(&dc, &ds, outdir, dname, &dt, s->vocab);
    session_free(&ds);
    if (rc) {
        static const char *const ext[] = {".h", ".c", ".weights", "_weights.S", "_weights.c"};
        char path[PATH_MAX + 64];
        for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
            snprintf(path, sizeof path, "%s/%s%s", outdir, name, ext[i]);
            remove(path);
        }
        if (!existed) rmdir(outdir);
    }
    return rc;
}

static int cmd_compile(const lmcc_config *c) {
    session s = {0};
    lmcc_target t;
    int rc = compile_pair(c, &s, c->outdir, c->name, &t);
    if (rc == 0)
        fprintf(stderr, "lmcc: wrote %s/%s.{h,c,weights}: weights %lld bytes, arena %lld bytes (kv %lld, act %lld, "
                        "scratch %lld, control %lld), target %s\n",
                c->outdir, c->name, (long long)s.g->weights_bytes, (long long)lmcc_arena_total(s.g),
                (long long)lmcc_kv_bytes(s.g), (long long)s.g->act_bytes, (long long)s.g->scratch_bytes,
                (long long)(lmcc_arena_total(s.g) - lmcc_kv_bytes(s.g) - s.g->act_bytes - s.g->scratch_bytes), t.name);
    session_free(&s);
    return rc;
}

/* ---- run / eval / bench / quality: compile into a temporary directory, build, execute */

/* Compiles into a fresh temporary directory, writes DIR/main.c with the
 * request's driver and builds DIR/prog (bare metal: DIR/prog.elf).  On
 * failure nothing is left behind. */
static int build_program(const lmcc_config *c, const lmcc_build_req *req, char *dir, size_t cap, lmcc_target *t) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, cap, "%s/lmcc-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return lmcc_error(dir, "cannot create a temporary directory: %s", strerror(errno));
    session s = {0};
    int rc = -1;
    char err[512], path[PATH_MAX + 32];
    if (compile_pair(c, &s, dir, req->name, t)) goto out;
    if (req->on_graph) req->on_graph(req->on_graph_user, s.g);
    snprintf(path, sizeof path, "%s/main.c", dir);
    if (!t->hosted) { /* bare metal: semihosting driver, startup + linker script, DIR/prog.elf */
        if (req->emit_driver != lmcc_emit_driver || c->embed == LMCC_EMBED_EXTERNAL || c->zstd_level || c->lookup || c->draft) {
            lmcc_error(NULL, "target %s is bare metal: only run/eval with embedded, uncompressed weights (and no "
                             "--lookup or --draft)", t->name);
            goto out;
        }
        if (lmcc_emit_driver_baremetal(path, req->name, err, sizeof err)) { lmcc_error(NULL, "%s", err); goto out; }
        if (lmcc_baremetal_build(t, dir, lmcc_blob_stub_suffix(c->embed), c->verbose)) goto out;
        rc = 0;
        goto out;
    }
    if (req->emit_driver(path, req->name, err, sizeof err)) { lmcc_error(NULL, "%s", err); goto out; }
    const char *cc = lmcc_target_cc(t), *stub = lmcc_blob_stub_suffix(c->embed);
    lmcc_argv cmd;
    lmcc_argv_init(&cmd);
    lmcc_argv_split(&cmd, cc);
    lmcc_argv_split(&cmd, t->cflags);
    if (s.g->cfg.threads > 1) lmcc_argv_add(&cmd, "-pthread");
    lmcc_argv_split(&cmd, req->extra_cflags);
    lmcc_argv_add(&cmd, "-I%s", dir);
    lmcc_argv_add(&cmd, "%s/%s.c", dir, req->name);
    if (stub) lmcc_argv_add(&cmd, "%s/%s%s", dir, req->name, stub);
    if (c->draft) {
        lmcc_argv_add(&cmd, "%s/%s_draft.c", dir, req->name);
        if (stub) lmcc_argv_add(&cmd, "%s/%s_draft%s", dir, req->name, stub);
    }
    lmcc_argv_add(&cmd, "%s/main.c", dir);
    lmcc_argv_add(&cmd, "-o");
    lmcc_argv_add(&cmd, "%s/prog", dir);
    if (c->zstd_level) lmcc_argv_add(&cmd, "-lzstd");
    if (c->verbose) {
        fputs("lmcc: ", stderr);
        lmcc_argv_print(stderr, &cmd);
    }
    int st = lmcc_argv_run(&cmd, NULL);
    if (st < 0) lmcc_error(NULL, "cannot run %s: %s", cc, strerror(errno));
    else if (st != 0)
        lmcc_error(NULL, "building the generated C failed (%s exited with %d; rerun with -v --keep-temp)", cc, st);
    else if (snprintf(path, sizeof path, "%s/prog", dir), lmcc_rewrite_file(path) != 0)
        lmcc_error(path, "cannot rewrite the built program: %s", strerror(errno));
    else rc = 0;
out:
    session_free(&s);
    if (rc != 0) {
        if (c->keep_temp) fprintf(stderr, "lmcc: kept %s\n", dir);
        else lmcc_remove_dir(dir);
    }
    return rc;
}

int lmcc_build_program(const lmcc_build_req *req, char *dir_out, size_t cap) {
    lmcc_target t;
    return build_program(req->cfg, req, dir_out, cap, &t);
}

static int build_and_exec(const lmcc_config *c, char **extra, int n_extra) {
    char dir[PATH_MAX];
    lmcc_target t;
    lmcc_build_req req;
    memset(&req, 0, sizeof req);
    req.cfg = c;
    req.name = "model";
    req.emit_driver = lmcc_emit_driver;
    if (build_program(c, &req, dir, sizeof dir, &t)) return -1;
    int st, rc = -1;
    if (!t.hosted) {
        st = lmcc_baremetal_run(&t, dir, extra, n_extra, c->verbose);
    } else {
        lmcc_argv cmd;
        lmcc_argv_init(&cmd);
        lmcc_argv_split(&cmd, t.emulator); /* a command prefix: "qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu" */
        lmcc_argv_add(&cmd, "%s/prog", dir);
        for (int i = 0; i < n_extra; i++) lmcc_argv_add(&cmd, "%s", extra[i]);
        if (c->embed == LMCC_EMBED_EXTERNAL) {
            lmcc_argv_add(&cmd, "--weights");
            lmcc_argv_add(&cmd, "%s/model.weights", dir);
        }
        st = lmcc_argv_run(&cmd, NULL);
        if (st < 0) lmcc_error(NULL, "cannot run %s: %s", cmd.v[0] ? cmd.v[0] : "the program", strerror(errno));
    }
    if (st > 128) lmcc_bug("the generated program died with signal %d (kept in %s)", st - 128, dir);
    else if (st > 0) lmcc_error(NULL, "the generated program failed under %s (exit %d)", t.name, st);
    else if (st == 0) rc = 0;
    if (c->keep_temp || st > 128) fprintf(stderr, "lmcc: kept %s\n", dir);
    else lmcc_remove_dir(dir);
    return rc;
}

static int cmd_run(const lmcc_config *c) {
    char n[32], temp[32], top_k[32], top_p[32], seed[32], lookup[32], spec_k[32], cost[32];
    snprintf(n, sizeof n, "%ld", c->steps);
    snprintf(temp, sizeof temp, "%.9g", c->temp);
    snprintf(top_k, sizeof top_k, "%ld", c->top_k);
    snprintf(top_p, sizeof top_p, "%.9g", c->top_p);
    snprintf(seed, sizeof seed, "%ld", c->seed);
    char *extra[32] = {"gen", "-n", n, "--temp", temp, "--top-k", top_k, "--top-p", top_p, "--seed", seed};
    int na = 11;
    if (c->prompt) { extra[na++] = "-p"; extra[na++] = (char *)c->prompt; }
    if (c->ids) { extra[na++] = "--ids"; extra[na++] = (char *)c->ids; }
    if (c->print_ids) extra[na++] = "--print-ids";
    if (c->chat) extra[na++] = "--chat"; /* a driver built without a chat format takes the raw text */
    if (c->load_state) { extra[na++] = "--load-state"; extra[na++] = (char *)c->load_state; }
    if (c->save_state) { extra[na++] = "--save-state"; extra[na++] = (char *)c->save_state; }
    if (c->lookup) {
        snprintf(lookup, sizeof lookup, "%ld", c->lookup);
        extra[na++] = "--lookup";
        extra[na++] = lookup;
    }
    if (c->draft) {
        snprintf(spec_k, sizeof spec_k, "%ld", c->spec_k);
        extra[na++] = "--draft";
        extra[na++] = spec_k;
    }
    if (c->given[LMCC_OPT_GUESS_COST]) {
        snprintf(cost, sizeof cost, "%.9g", c->guess_cost);
        extra[na++] = "--guess-cost";
        extra[na++] = cost;
    }
    return build_and_exec(c, extra, na);
}

/* --reference: the float interpreter, token by token */
static int eval_reference(const lmcc_config *c, const char *out_path) {
    session s = {0};
    lmcc_interp *it = NULL;
    FILE *out = NULL;
    int *ids = NULL, n = 0, rc = -1;
    if (load_model(c, &s, NULL) || read_ids(c->ids_file, &ids, &n) || check_ids(c->ids_file, ids, n, s.g, 0)) goto done;
    it = lmcc_interp_new(s.g);
    if (!it) { lmcc_error(c->model, "the interpreter cannot evaluate this graph"); goto done; }
    out = fopen(out_path, "wb");
    if (!out) { lmcc_error(c->logits, "cannot write: %s", strerror(errno)); goto done; }
    for (int i = 0; i < n; i++) {
        const float *lg = lmcc_interp_step(it, ids[i], i);
        if (!lg) { lmcc_bug("the interpreter failed at position %d of %s", i, c->ids_file); goto done; }
        if (fwrite(lg, sizeof(float), (size_t)s.g->info.vocab_size, out) != (size_t)s.g->info.vocab_size) {
            lmcc_error(c->logits, "write error");
            goto done;
        }
    }
    rc = fclose(out) == 0 ? 0 : lmcc_error(c->logits, "write error");
    out = NULL;
done:
    if (out) fclose(out);
    if (it) lmcc_interp_free(it);
    session_free(&s);
    free(ids);
    return rc;
}

static int cmd_eval(const lmcc_config *c) {
    char tmpname[PATH_MAX];
    snprintf(tmpname, sizeof tmpname, "%s.tmp%ld", c->logits, (long)getpid());
    char *extra[] = {"eval", (char *)c->ids_file, tmpname};
    /* an unwritable --logits is found before compiling, not by the program (a second error line) */
    FILE *probe = fopen(tmpname, "wb");
    if (!probe) return lmcc_error(c->logits, "cannot write: %s", strerror(errno));
    fclose(probe);
    int rc = c->reference ? eval_reference(c, tmpname) : build_and_exec(c, extra, 3);
    if (rc == 0 && rename(tmpname, c->logits) != 0) rc = lmcc_error(c->logits, "cannot write: %s", strerror(errno));
    if (rc) remove(tmpname);
    return rc;
}

static int cmd_bench(const lmcc_config *c) { return lmcc_bench_main(c, lmcc_build_program); }
static int cmd_quality(const lmcc_config *c) { return lmcc_quality_main(c, lmcc_build_program); }

static int cmd_tokenize(const lmcc_config *c) {
    gguf_file *f = lmcc_model_open(c->model);
    if (!f) return -1;
    if (!gguf_find(f, "tokenizer.ggml.model")) {
        gguf_close(f);
        return lmcc_error(c->model, "the file has no tokenizer (tokenizer.ggml.model missing)");
    }
    lmrt_vocab *v = lmcc_vocab_from_gguf(f, c->model);
    if (!v) { gguf_close(f); return -1; }
    const lmcc_chat_format *chat = NULL;
    int n = 0, rc = c->chat ? find_chat(c, f, v, &chat) : 0;
    int32_t *ids = rc ? NULL : tokenize_text(c, v, chat, c->text,
                                             (c->bos ? LMRT_TOK_ADD_SPECIAL : 0) | (c->special ? LMRT_TOK_PARSE_SPECIAL : 0), &n);
    if (!ids) rc = -1;
    for (int i = 0; ids && i < n; i++) printf("%s%d", i ? " " : "", ids[i]);
    if (ids) printf("\n");
    free(ids);
    lmcc_vocab_free(v);
    gguf_close(f);
    return rc;
}

static int cmd_dump_ir(const lmcc_config *c) {
    session s = {0};
    lmcc_target t;
    if (lmcc_target_load(c->target, &t)) return -1;
    int rc = load_model(c, &s, &t);
    if (rc == 0 && c->after) rc = run_passes(c, &s, strcmp(c->after, "all") ? c->after : NULL);
    if (rc == 0) ir_dump(s.g, stdout);
    session_free(&s);
    return rc;
}

static int cmd_verify(const lmcc_config *c) {
    lmcc_target t;
    struct stat st;
    if (stat(c->model, &st) != 0) return lmcc_error(c->model, "cannot read: %s", strerror(errno));
    if (!S_ISREG(st.st_mode)) return lmcc_error(c->model, "not a regular file (want a C file)");
    if (lmcc_target_load(c->target, &t)) return -1;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", c->model);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    if (lmcc_verify_c(&t, c->model, dir, NULL)) return -1;
    fprintf(stderr, "lmcc: %s: clean for target %s\n", c->model, t.name);
    return 0;
}

static int (*const commands[LMCC_N_COMMANDS])(const lmcc_config *) = {
    [LMCC_CMD_COMPILE] = cmd_compile, [LMCC_CMD_RUN] = cmd_run,         [LMCC_CMD_EVAL] = cmd_eval,
    [LMCC_CMD_BENCH] = cmd_bench,     [LMCC_CMD_QUALITY] = cmd_quality, [LMCC_CMD_DUMP_IR] = cmd_dump_ir,
    [LMCC_CMD_TOKENIZE] = cmd_tokenize, [LMCC_CMD_VERIFY] = cmd_verify,
};

int main(int argc, char **argv) {
    if (argc < 2) {
        lmcc_help(stderr, -1);
        return 1;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        int cmd = argc > 2 ? lmcc_command_find(argv[2]) : -1;
        if (argc > 2 && cmd < 0) {
            lmcc_error(NULL, "help: unknown command '%s' (lmcc --help lists them)", argv[2]);
            return lmcc_report(stderr, "help");
        }
        lmcc_help(stdout, cmd);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("lmcc %s\n", LMCC_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "--list-targets")) return lmcc_target_list(stdout) ? lmcc_report(stderr, "--list-targets") : 0;
    lmcc_config c;
    int rc = lmcc_config_parse(argc - 1, argv + 1, &c);
    if (rc == LMCC_PARSE_HELP) {
        lmcc_help(stdout, c.cmd);
        return 0;
    }
    if (rc != 0 || check_config(&c) != 0 || commands[c.cmd](&c) != 0) return lmcc_report(stderr, argv[1]);
    return 0;
}
