/* main.c - the lmcc command line: one driver that calls the frontend, the
 * passes in order, and codegen; and run/eval/tokenize/dump-ir on top. */
#include "arch.h"
#include "baremetal.h"
#include "bench.h"
#include "bench_driver.h"
#include "codegen.h"
#include "driver_baremetal.h"
#include "diag.h"
#include "gguf.h"
#include "interp.h"
#include "ir.h"
#include "lmrt_tokenizer.h"
#include "model.h"
#include "passes.h"
#include "proc.h"
#include "quality.h"
#include "target.h"
#include "vocab.h"
#include "sizes.h"
#include "stage.h"
#include "verify.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef LMCC_VERSION
#define LMCC_VERSION "0.0.0"
#endif
#ifndef LMCC_SOURCE_TARGETS_DIR
#define LMCC_SOURCE_TARGETS_DIR ""
#endif

#define LMCC_MAX_CTX (1 << 20)
/* fusion + int8 activations: on once codegen speaks the v2 kernel contract */
#define LMCC_FUSE_DEFAULT 1
/* the quantization algorithm with the lowest KL in `lmcc quality` (README table) */
#define LMCC_QUANT_DEFAULT_NAME "auto"

static const char usage_text[] =
    "usage: lmcc COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  compile MODEL -t TARGET -o OUTDIR [--name NAME] [compile options]\n"
    "        write OUTDIR/NAME.h, NAME.c, NAME.weights (+ NAME_weights.S or NAME_weights.c)\n"
    "  run MODEL [compile options] [-p TEXT | --ids \"1 2 3\"] [-n N] [--temp T] [--top-k K]\n"
    "        [--top-p P] [--seed S] [--print-ids]\n"
    "        compile, build with $CC (default cc), generate; tokens/s on stderr\n"
    "  eval MODEL [compile options] --ids FILE --logits OUT.f32 [--reference]\n"
    "        teacher forcing: logits after each id as float32 [n][vocab];\n"
    "        --reference evaluates the float IR interpreter instead of the compiled C\n"
    "  tokenize MODEL TEXT [--bos]   ids of TEXT (works on vocab-only GGUF files)\n"
    "  verify FILE.c [-t TARGET]     libclang-check a (generated) C file as --verify does\n"
    "  dump-ir MODEL [--after=PASS|all] [compile options]   print the IR\n"
    "  bench MODEL [compile options] [-p 128] [-n 64] [--threads N] [--repeat R] [--json]\n"
    "        prefill and decode tok/s, peak RSS, arena, and decode weight bytes/s as a\n"
    "        fraction of a read-bandwidth probe run in the same process just before\n"
    "  --list-targets   --help   --version\n"
    "\n"
    "compile options:\n"
    "  -t, --target T      target name (see --list-targets) or a .target file (default generic)\n"
    "  --weights F         f32 | f16 | q8 | q4 | keep (default: f32 for float models, keep otherwise)\n"
    "                      | q4_1 | q4_g16 | q4_g64 | q4_g128 | nf4 | nf4_g64 (4-bit variants)\n"
    "                      | q5_0 | q5_1 (GGUF 5-bit blocks: 5.5 / 6.0 bits per weight)\n"
    "                      | q3_g64 | q5_g64 | q6_g64 (3/5/6-bit groups of 64: 3.25 / 5.25 / 6.25)\n"
    "  --group N           group size for --weights q4 (16|32|64|128) or nf4 (32|64)\n"
    "  --bpw B             mixed precision: a format per linear weight by measured sensitivity, <= B bits/weight\n"
    "  --kv F              f32 | f16 KV-cache element type (default f32)\n"
    "  --ctx N             context length (default: the model's)\n"
    "  --embed E           incbin | array | external (default incbin)\n"
    "  --name NAME         C prefix of every generated symbol (default: model)\n"
    "  --act A             q8 | f32: linear inputs as int8 blocks (default q8 for q8/q4 weights)\n"
    "  --embedding E       f16 | same: the token-embedding table (read one row per token) stays f16\n"
    "                      under int --weights formats (default f16), or takes the --weights format\n"
    "  --threads N         worker threads compiled in (default 1: no threading code at all)\n"
    "  --batch N           tokens per forward chunk for prompts (default: the target's)\n"
    "  --no-fuse           skip the fusion passes (debugging)\n"
    "  --quant M           plain | rtn | awq | gptq | auto: how quantized values are chosen (default auto:\n"
    "                      gptq up to 50M weights, plain above; plain = llama.cpp's absmax rounding;\n"
    "                      the environment's LMCC_QUANT, when set, replaces auto as the default)\n"
    "  --calib FILE        calibration for awq/gptq: token ids (a sequence per line) or text\n"
    "                      (default: 128-token sequences sampled from the float model, 96 of\n"
    "                      them for gptq (24 for awq), fewer for larger models: at most ~0.4\n"
    "                      TFLOP of calibration forward and LMCC_CALIB_MIB (default 2048) MiB\n"
    "                      of activations, at least 3; -v prints the estimate)\n"
    "  --rotate on|off     rotate the residual stream (an orthogonal transform folded into\n"
    "                      the weights, exact in float) before int quantization (default on)\n"
    "  -v                  print what the passes did (planned arena vs naive sum, ...)\n"
    "  --verify            parse NAME.c with libclang for the target (-Wall -Wextra); any\n"
    "                      warning fails the compile and nothing is written\n"
    "  --compress=zstd[:L] NAME.weights as one zstd frame (level 1..22, default 19; hosted\n"
    "                      targets; NAME_decompress_weights, link -lzstd)\n"
    "  --budget-ram N      fail unless NAME_ARENA_BYTES <= N (K/M/G suffixes)\n"
    "  --budget-flash N    fail unless NAME.weights + code bytes <= N (needs the target cc)\n"
    "\n"
    "Model files: GGUF v2/v3 (also zstd-compressed, MODEL.gguf.zst), llama2.c .bin checkpoints.\n";

/* ---- options ------------------------------------------------------------ */

typedef struct opts {
    const char *cmd, *model, *target, *outdir, *name, *weights, *kv, *embed, *after, *act, *embedding;
    long ctx, threads, batch;
    int no_fuse;
    const char *quant, *calib; /* quantization algorithm and its calibration data (issue 5) */
    const char *rotate;        /* on | off: residual-stream rotation before int quantization */
    int verbose;
    /* run / eval */
    const char *prompt, *ids, *logits_out;
    const char *n, *temp, *top_k, *top_p, *seed;
    int print_ids, reference, bos, keep_temp;
    const char *text;
    const char *group, *bpw; /* 4-bit group size, mixed-precision budget (issue 5) */
    int verify;              /* issue 4: libclang check, zstd blob, budgets */
    const char *compress, *budget_ram, *budget_flash;
} opts;

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "lmcc: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see lmcc --help)\n");
    return 1;
}

static int parse_opts(int argc, char **argv, opts *o) {
    int npos = 0;
    for (int i = 2; i < argc; i++) {
        char *a = argv[i];
        char *val = NULL;
        char key[64];
        if (a[0] == '-' && a[1] == '-' && strchr(a, '=')) {
            size_t k = (size_t)(strchr(a, '=') - a);
            if (k >= sizeof key) return usage_error("unknown option '%s'", a);
            memcpy(key, a, k);
            key[k] = 0;
            val = a + k + 1;
        } else {
            snprintf(key, sizeof key, "%s", a);
        }
#define FLAG(s, field) if (!strcmp(key, s)) { if (val) return usage_error("option '%s' takes no value", key); o->field = 1; continue; }
        FLAG("-v", verbose) FLAG("--verbose", verbose) FLAG("--print-ids", print_ids)
        FLAG("--reference", reference) FLAG("--bos", bos) FLAG("--keep-temp", keep_temp) FLAG("--no-fuse", no_fuse)
        FLAG("--verify", verify)
#undef FLAG
        const char **dst = NULL;
        if (!strcmp(key, "-t") || !strcmp(key, "--target")) dst = &o->target;
        else if (!strcmp(key, "-o") || !strcmp(key, "--output")) dst = &o->outdir;
        else if (!strcmp(key, "--name")) dst = &o->name;
        else if (!strcmp(key, "--weights")) dst = &o->weights;
        else if (!strcmp(key, "--kv")) dst = &o->kv;
        else if (!strcmp(key, "--embed")) dst = &o->embed;
        else if (!strcmp(key, "--after")) dst = &o->after;
        else if (!strcmp(key, "--act")) dst = &o->act;
        else if (!strcmp(key, "--embedding")) dst = &o->embedding;
        else if (!strcmp(key, "--quant")) dst = &o->quant;
        else if (!strcmp(key, "--calib")) dst = &o->calib;
        else if (!strcmp(key, "--rotate")) dst = &o->rotate;
        else if (!strcmp(key, "--group")) dst = &o->group;
        else if (!strcmp(key, "--bpw")) dst = &o->bpw;
        else if (!strcmp(key, "--compress")) dst = &o->compress;
        else if (!strcmp(key, "--budget-ram")) dst = &o->budget_ram;
        else if (!strcmp(key, "--budget-flash")) dst = &o->budget_flash;
        else if (!strcmp(key, "-p") || !strcmp(key, "--prompt")) dst = &o->prompt;
        else if (!strcmp(key, "--ids")) dst = &o->ids;
        else if (!strcmp(key, "--logits")) dst = &o->logits_out;
        else if (!strcmp(key, "-n")) dst = &o->n;
        else if (!strcmp(key, "--temp")) dst = &o->temp;
        else if (!strcmp(key, "--top-k")) dst = &o->top_k;
        else if (!strcmp(key, "--top-p")) dst = &o->top_p;
        else if (!strcmp(key, "--seed")) dst = &o->seed;
        else if (!strcmp(key, "--threads") || !strcmp(key, "--batch")) {
            const char *v = val ? val : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) return usage_error("option '%s' needs a value", key);
            char *end;
            errno = 0;
            long x = strtol(v, &end, 10);
            if (*end || errno || end == v || x < 1 || x > (key[2] == 't' ? 64 : 1024))
                return usage_error(key[2] == 't' ? "--threads wants 1..64, got '%s'" : "--batch wants 1..1024, got '%s'", v);
            if (key[2] == 't') o->threads = x;
            else o->batch = x;
            continue;
        } else if (!strcmp(key, "--ctx")) {
            const char *v = val ? val : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) return usage_error("option '%s' needs a value", key);
            char *end;
            errno = 0;
            o->ctx = strtol(v, &end, 10);
            if (*end || errno || end == v) return usage_error("--ctx wants a number, got '%s'", v);
            if (o->ctx <= 0) return usage_error("--ctx %s: the context must hold at least one position", v);
            if (o->ctx > LMCC_MAX_CTX) return usage_error("--ctx %s is absurdly large (at most 1048576)", v);
            continue;
        }
        if (dst) {
            const char *v = val ? val : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) return usage_error("option '%s' needs a value", key);
            *dst = v;
            continue;
        }
        if (a[0] == '-' && a[1]) return usage_error("unknown option '%s'", a);
        if (npos == 0) o->model = a;
        else if (npos == 1 && !strcmp(o->cmd, "tokenize")) o->text = a;
        else return usage_error("unexpected argument '%s'", a);
        npos++;
    }
    return 0;
}

static int check_numeric(const char *what, const char *v, int integer) {
    if (!v) return 0;
    char *end;
    errno = 0;
    if (integer) (void)strtoll(v, &end, 10);
    else (void)strtod(v, &end);
    if (end == v || *end || errno) return usage_error(what, v);
    return 0;
}

/* ---- targets ------------------------------------------------------------ */

static int targets_dir(char *out, size_t cap) {
    const char *env = getenv("LMCC_TARGETS_DIR");
    struct stat st;
    if (env && *env && stat(env, &st) == 0) { snprintf(out, cap, "%s", env); return 0; }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            const char *rel[] = {"/../share/lmcc/targets", "/../targets"};
            for (int i = 0; i < 2; i++) {
                snprintf(out, cap, "%s%s", exe, rel[i]);
                if (stat(out, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
            }
        }
    }
    if (LMCC_SOURCE_TARGETS_DIR[0] && stat(LMCC_SOURCE_TARGETS_DIR, &st) == 0) {
        snprintf(out, cap, "%s", LMCC_SOURCE_TARGETS_DIR);
        return 0;
    }
    return -1;
}

static int load_target(const char *name, lmcc_target *t) {
    char path[PATH_MAX + 64], dir[PATH_MAX], err[256];
    if (strchr(name, '/') || strstr(name, ".target")) {
        snprintf(path, sizeof path, "%s", name);
    } else {
        if (targets_dir(dir, sizeof dir)) return lmcc_error(name, "no targets directory found (set LMCC_TARGETS_DIR)");
        snprintf(path, sizeof path, "%s/%s.target", dir, name);
        struct stat st;
        if (stat(path, &st) != 0) return lmcc_error(name, "unknown target (lmcc --list-targets shows the known ones)");
    }
    if (lmcc_target_parse(path, t, err, sizeof err)) return lmcc_error(path, "%s (bad target file)", err);
    return 0;
}

static int cmp_names(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

static int list_targets(void) {
    char dir[PATH_MAX];
    if (targets_dir(dir, sizeof dir)) {
        fprintf(stderr, "lmcc: error: no targets directory found (set LMCC_TARGETS_DIR)\n");
        return 1;
    }
    DIR *d = opendir(dir);
    if (!d) { fprintf(stderr, "lmcc: error: %s: cannot read\n", dir); return 1; }
    struct dirent *e;
    char names[64][256];
    int n = 0;
    while ((e = readdir(d)) && n < 64) {
        size_t l = strlen(e->d_name);
        if (l > 7 && !strcmp(e->d_name + l - 7, ".target")) snprintf(names[n++], 256, "%s", e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp_names);
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX + 300], err[256];
        lmcc_target t;
        snprintf(path, sizeof path, "%s/%.255s", dir, names[i]);
        if (lmcc_target_parse(path, &t, err, sizeof err)) { printf("%-16s (invalid: %s)\n", names[i], err); continue; }
        printf("%-16s %s\n", t.name, t.description);
    }
    return 0;
}

/* ---- the compile pipeline ----------------------------------------------- */

typedef struct session {
    gguf_file *file;
    lmrt_vocab *vocab;
    ir_graph *g;
} session;

static void session_free(session *s) {
    if (s->g) ir_graph_free(s->g);
    if (s->vocab) lmcc_vocab_free(s->vocab);
    if (s->file) gguf_close(s->file);
    memset(s, 0, sizeof *s);
}

/* frontend: file -> graph with vocabulary */
static int load_model(const opts *o, session *s, const lmcc_target *t) {
    if (!o->model) return lmcc_error(NULL, "no model file given (lmcc %s MODEL ...)", o->cmd);
    s->file = lmcc_model_open(o->model);
    if (!s->file) return -1;
    ir_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.kv_dtype = IR_DT_F32;
    cfg.weights_mode = IR_DT_F32;
    char arch[64] = "", key[128];
    gguf_get_str(s->file, "general.architecture", arch, sizeof arch);
    snprintf(key, sizeof key, "%s.context_length", arch);
    int64_t ctx_len = 0;
    if (o->ctx > 0) cfg.ctx = (int)o->ctx;
    else if (gguf_get_i64(s->file, key, &ctx_len) == 0 && ctx_len > 0 && ctx_len <= LMCC_MAX_CTX) cfg.ctx = (int)ctx_len;
    else if (arch[0] && ctx_len > LMCC_MAX_CTX)
        return lmcc_error(o->model, "%s = %lld is larger than lmcc supports (pass --ctx N)", key, (long long)ctx_len);
    else cfg.ctx = 2048;
    /* default weights: keep what a quantized file has, f32 for float files */
    int all_float = 1;
    for (uint64_t i = 0; i < s->file->n_tensors; i++) {
        uint32_t ty = s->file->tensors[i].type;
        if (ty != 0 && ty != 1 && ty != 30) all_float = 0;
    }
    cfg.weights_mode = all_float ? IR_DT_F32 : IR_WEIGHTS_KEEP;
    char why[256];
    if (ir_weights_from_cli(o->weights, o->group, &cfg.weights_mode, why, sizeof why))
        return lmcc_error(o->model, "%s", why);
    if (o->bpw) { /* mixprec chooses per tensor; q4 is the default for what it does not choose */
        char *end;
        cfg.bpw = strtof(o->bpw, &end);
        if (*end || end == o->bpw || !(cfg.bpw >= 4.0f && cfg.bpw <= 32.0f))
            return lmcc_error(o->model, "--bpw '%s': need a number of bits per weight in [4, 32]", o->bpw);
        if (!o->weights) cfg.weights_mode = IR_DT_Q4_0;
    }
    /* performance: fusion, int8 activations for int weights, the target's
     * tile and batch, threads */
    cfg.fuse = LMCC_FUSE_DEFAULT && !o->no_fuse;
    cfg.act_q8 = ir_weights_act_q8_default(cfg.weights_mode, !all_float);
    if (o->act) {
        if (!strcmp(o->act, "q8")) cfg.act_q8 = 1;
        else if (!strcmp(o->act, "f32")) cfg.act_q8 = 0;
        else return lmcc_error(o->model, "unknown --act '%s' (use q8 or f32)", o->act);
    }
    cfg.act_q8 = cfg.act_q8 && LMCC_FUSE_DEFAULT;
    {
        static const char *qn[] = {"plain", "rtn", "awq", "gptq", "auto"}; /* indexed by IR_QUANT_* */
        /* LMCC_QUANT sets the default: e.g. plain for fast functional builds (the test suite's) */
        const char *env = getenv("LMCC_QUANT");
        const char *q = o->quant ? o->quant : env && *env ? env : LMCC_QUANT_DEFAULT_NAME;
        cfg.quant = -1;
        for (int i = 0; i < 5; i++)
            if (!strcmp(q, qn[i])) cfg.quant = i;
        if (cfg.quant < 0)
            return lmcc_error(o->model, "unknown %s '%s' (use plain, rtn, awq, gptq or auto)",
                              o->quant ? "--quant" : "LMCC_QUANT", q);
        cfg.calib_path = o->calib;
    }
    cfg.rotate = 1;
    if (o->rotate) {
        if (!strcmp(o->rotate, "on")) cfg.rotate = 1;
        else if (!strcmp(o->rotate, "off")) cfg.rotate = 0;
        else return lmcc_error(o->model, "unknown --rotate '%s' (use on or off)", o->rotate);
    }
    cfg.tile_rows = t && t->tile_rows > 1 ? t->tile_rows : 0;
    cfg.batch = o->batch ? (int)o->batch : t ? t->batch : 1;
    cfg.threads = o->threads ? (int)o->threads : 1;
    cfg.embed_f16 = 1;
    if (o->embedding) {
        if (!strcmp(o->embedding, "f16")) cfg.embed_f16 = 1;
        else if (!strcmp(o->embedding, "same")) cfg.embed_f16 = 0;
        else return lmcc_error(o->model, "unknown --embedding '%s' (use f16 or same)", o->embedding);
    }
    if (cfg.threads > 1 && t && !t->hosted)
        return lmcc_error(o->model, "--threads %d: target %s is bare metal (no threads)", cfg.threads, t->name);
    if (o->kv) {
        if (!strcmp(o->kv, "f32")) cfg.kv_dtype = IR_DT_F32;
        else if (!strcmp(o->kv, "f16")) cfg.kv_dtype = IR_DT_F16;
        else return lmcc_error(o->model, "unknown --kv '%s' (use f32 or f16)", o->kv);
    }
    s->g = lmcc_build_graph(s->file, o->model, &cfg);
    if (!s->g) return -1;
    if (gguf_find(s->file, "tokenizer.ggml.model")) {
        s->vocab = lmcc_vocab_from_gguf(s->file, o->model);
        if (!s->vocab) return -1;
    } else {
        s->vocab = lmcc_vocab_placeholder(s->g->info.vocab_size);
        if (!s->vocab) return lmcc_error(o->model, "out of memory");
    }
    if (s->vocab->n_tokens != s->g->info.vocab_size)
        return lmcc_error(o->model, "the tokenizer has %d tokens but the model's vocabulary is %d (mismatched file)",
                          s->vocab->n_tokens, s->g->info.vocab_size);
    s->g->vocab = s->vocab;
    char err[512];
    if (ir_verify(s->g, err, sizeof err)) lmcc_bug("frontend produced an invalid graph:\n%s", err);
    return 0;
}

static int run_passes(const opts *o, session *s, const char *stop_after) {
    lmcc_diag pc;
    memset(&pc, 0, sizeof pc);
    pc.verbose = o->verbose;
    pc.log = stderr;
    if (lmcc_run_passes(s->g, &pc, stop_after)) return lmcc_error(o->model, "%s", pc.err);
    /* a sanity bound: nobody wants a 64 GiB arena by accident */
    if (s->g->arena_bytes > (int64_t)64 << 30)
        return lmcc_error(o->model, "the arena would need %lld bytes (reduce --ctx or use --kv f16)",
                          (long long)s->g->arena_bytes);
    return 0;
}

static int valid_c_name(const char *s) {
    if (!s || !*s || strlen(s) > 48) return 0;
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static int parse_embed(const char *s, int *e) {
    if (!s || !strcmp(s, "incbin")) *e = LMCC_EMBED_INCBIN;
    else if (!strcmp(s, "array")) *e = LMCC_EMBED_ARRAY;
    else if (!strcmp(s, "external")) *e = LMCC_EMBED_EXTERNAL;
    else return lmcc_error(NULL, "unknown --embed '%s' (use incbin, array or external)", s);
    return 0;
}

static int compile_to(const opts *o, session *s, const char *outdir, const char *name, lmcc_target *t) {
    int embed = LMCC_EMBED_INCBIN;
    if (!valid_c_name(name)) return lmcc_error(NULL, "--name '%s' is not a C identifier", name);
    if (parse_embed(o->embed, &embed)) return -1;
    if (load_target(o->target ? o->target : "generic", t)) return -1;
    struct stat st;
    if (stat(outdir, &st) != 0) {
        if (mkdir(outdir, 0777) != 0)
            return lmcc_error(outdir, "cannot create output directory: %s", strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return lmcc_error(outdir, "not a directory (give -o a directory)");
    }
    if (access(outdir, W_OK) != 0) return lmcc_error(outdir, "output directory is not writable");
    lmcc_stage_check chk = {o->model, name, o->verify, !strcmp(o->cmd, "compile") || o->budget_flash, 0, 0,
                            !strcmp(o->cmd, "compile") ? stderr : NULL};
    int zlevel = 0;
    if (lmcc_parse_compress(o->compress, &zlevel)) return -1;
    if (zlevel && !t->hosted)
        return lmcc_error(o->model, "--compress=zstd: target %s is bare metal (decompression needs libzstd; use "
                          "it on hosted targets)", t->name);
    if ((o->budget_ram && (chk.budget_ram = lmcc_parse_bytes(o->budget_ram)) <= 0) ||
        (o->budget_flash && (chk.budget_flash = lmcc_parse_bytes(o->budget_flash)) <= 0))
        return lmcc_error(NULL, "--budget-%s '%s': want a byte count like 262144, 256K, 4M or 1G",
                          o->budget_ram && chk.budget_ram <= 0 ? "ram" : "flash",
                          o->budget_ram && chk.budget_ram <= 0 ? o->budget_ram : o->budget_flash);
    if (load_model(o, s, t) || run_passes(o, s, NULL)) return -1;
    /* all or nothing: write into a staging dir, check there, then move */
    char stage[PATH_MAX];
    if (lmcc_stage_open(outdir, stage, sizeof stage)) return -1;
    lmcc_codegen_opts co;
    memset(&co, 0, sizeof co);
    co.zstd_level = zlevel;
    co.outdir = stage;
    co.name = name;
    co.embed = embed;
    co.model_path = o->model;
    co.version = LMCC_VERSION;
    co.verbose = o->verbose;
    co.log = stderr;
    char err[512];
    if (lmcc_codegen(s->g, t, &co, err, sizeof err)) {
        lmcc_stage_abort(stage);
        return lmcc_error(NULL, "%s", err);
    }
    if (getenv("LMCC_VERIFY_INJECT")) { /* tests/verify.sh: prove --verify rejects bad emitted code */
        char cpath[PATH_MAX + 64];
        snprintf(cpath, sizeof cpath, "%s/%s.c", stage, name);
        FILE *f = fopen(cpath, "a");
        if (f) { fputs("static int lmcc_injected_unused(void) { return 0; }\n", f); fclose(f); }
    }
    if (lmcc_stage_check_build(t, stage, outdir, &chk)) { lmcc_stage_abort(stage); return -1; }
    return lmcc_stage_commit(stage, outdir);
}

static int cmd_compile(const opts *o) {
    session s = {0};
    lmcc_target t;
    if (!o->outdir) return lmcc_error(o->model, "no output directory (add -o OUTDIR)");
    const char *name = o->name ? o->name : "model";
    int rc = compile_to(o, &s, o->outdir, name, &t);
    if (rc == 0)
        fprintf(stderr, "lmcc: wrote %s/%s.{h,c,weights}: weights %lld bytes, arena %lld bytes (kv %lld, act %lld, "
                        "scratch %lld, control %lld), target %s\n",
                o->outdir, name, (long long)s.g->weights_bytes, (long long)lmcc_arena_total(s.g),
                (long long)s.g->kv_bytes, (long long)s.g->act_bytes, (long long)s.g->scratch_bytes,
                (long long)(lmcc_arena_total(s.g) - s.g->arena_bytes), t.name);
    session_free(&s);
    return rc;
}

/* ---- run / eval: compile into a temporary directory, build, execute ------- */

static void sh_quote(char *dst, size_t cap, const char *s) {
    size_t n = 0;
    if (cap < 3) return;
    dst[n++] = '\'';
    for (; *s && n + 5 < cap; s++) {
        if (*s == '\'') { memcpy(dst + n, "'\\''", 4); n += 4; }
        else dst[n++] = *s;
    }
    dst[n++] = '\'';
    dst[n] = 0;
}



/* the request being built by lmcc_build_program (its on_graph sees the compiled graph) */
static const lmcc_build_req *build_inspect;

/* Compiles into a fresh temporary directory, writes DIR/main.c with `emit`
 * and builds DIR/prog.  On failure nothing is left behind. */
static int build_program(const opts *o, lmcc_emit_driver_fn emit, const char *extra_cflags, char *dir, size_t cap,
                         lmcc_target *t, int *embed) {
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, cap, "%s/lmcc-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return lmcc_error(dir, "cannot create a temporary directory: %s", strerror(errno));
    session s = {0};
    int rc = -1;
    char err[512], path[PATH_MAX + 32];
    static char cmd[65536]; /* five quoted paths of up to PATH_MAX * 2 */
    if (compile_to(o, &s, dir, "model", t)) goto out;
    if (build_inspect && build_inspect->on_graph) build_inspect->on_graph(build_inspect->on_graph_user, s.g);
    snprintf(path, sizeof path, "%s/main.c", dir);
    if (!t->hosted) { /* bare metal: semihosting driver, startup + linker script, DIR/prog.elf */
        parse_embed(o->embed, embed);
        if (emit != lmcc_emit_driver || *embed == LMCC_EMBED_EXTERNAL || o->compress) {
            lmcc_error(NULL, "target %s is bare metal: only run/eval with embedded, uncompressed weights", t->name);
            goto out;
        }
        if (lmcc_emit_driver_baremetal(path, "model", err, sizeof err)) { lmcc_error(NULL, "%s", err); goto out; }
        if (lmcc_baremetal_build(t, dir, lmcc_blob_stub_suffix(*embed), o->verbose)) goto out;
        rc = 0;
        goto out;
    }
    if (emit(path, "model", err, sizeof err)) { lmcc_error(NULL, "%s", err); goto out; }
    const char *cc = getenv("CC");
    if (!cc || !*cc || strcmp(t->cc, "cc") != 0) cc = t->cc;
    char qdir[PATH_MAX * 2];
    sh_quote(qdir, sizeof qdir, dir);
    parse_embed(o->embed, embed);
    const char *stub = lmcc_blob_stub_suffix(*embed);
    int len = snprintf(cmd, sizeof cmd, "%s %s %s%s -I %s %s/model.c %s%s%s %s/main.c -o %s/prog", cc, t->cflags,
                       s.g->cfg.threads > 1 ? "-pthread " : "", extra_cflags ? extra_cflags : "", qdir, qdir,
                       stub ? qdir : "", stub ? "/model" : "", stub ? stub : "", qdir, qdir);
    if (len < 0 || (size_t)len + 16 >= sizeof cmd) { lmcc_error(dir, "build command too long"); goto out; }
    if (o->compress) strncat(cmd, " -lzstd", sizeof cmd - strlen(cmd) - 1);
    if (o->verbose) fprintf(stderr, "lmcc: %s\n", cmd);
    char *sh[] = {"/bin/sh", "-c", cmd, NULL};
    int st = lmcc_run_argv(sh);
    if (st != 0) {
        lmcc_error(NULL, "building the generated C failed (%s exited with %d; rerun with -v --keep-temp)", cc, st);
        goto out;
    }
    rc = 0;
out:
    session_free(&s);
    if (rc != 0) {
        if (o->keep_temp) fprintf(stderr, "lmcc: kept %s\n", dir);
        else lmcc_remove_dir(dir);
    }
    return rc;
}

int lmcc_build_program(const lmcc_build_req *req, char *dir_out, size_t cap) {
    char *argv[96];
    int argc = 0;
    argv[argc++] = "lmcc";
    argv[argc++] = "compile";
    for (int i = 0; i < req->argc && argc < 95; i++) argv[argc++] = req->argv[i];
    argv[argc] = NULL;
    opts o;
    memset(&o, 0, sizeof o);
    o.cmd = "compile";
    if (parse_opts(argc, argv, &o)) return lmcc_error(NULL, "bad compile options for bench");
    o.cmd = "build"; /* not `compile`: the program is built anyway, no separate code-size build */
    o.verbose = o.verbose || req->verbose;
    lmcc_target t;
    int embed = LMCC_EMBED_INCBIN;
    build_inspect = req;
    int rc = build_program(&o, req->emit_driver, req->extra_cflags, dir_out, cap, &t, &embed);
    build_inspect = NULL;
    return rc;
}

static int build_and_exec(const opts *o, char **extra, int n_extra) {
    char dir[PATH_MAX];
    lmcc_target t;
    int embed = LMCC_EMBED_INCBIN;
    if (build_program(o, lmcc_emit_driver, NULL, dir, sizeof dir, &t, &embed)) return -1;
    if (!t.hosted) {
        int bst = lmcc_baremetal_run(&t, dir, extra, n_extra, o->verbose);
        if (bst > 0) lmcc_error(NULL, "the generated program failed under %s (exit %d)", t.name, bst);
        if (o->keep_temp) fprintf(stderr, "lmcc: kept %s\n", dir);
        else lmcc_remove_dir(dir);
        return bst == 0 ? 0 : -1;
    }
    char path[PATH_MAX + 32], wpath[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/prog", dir);
    snprintf(wpath, sizeof wpath, "%s/model.weights", dir);
    char *argv[64];
    int na = 0, rc = -1;
    /* the emulator is a command prefix: "qemu-aarch64 -cpu max -L /usr/aarch64-linux-gnu" */
    char emu[sizeof t.emulator];
    memcpy(emu, t.emulator, sizeof emu);
    for (char *tok = strtok(emu, " \t"); tok && na < 16; tok = strtok(NULL, " \t")) argv[na++] = tok;
    argv[na++] = path;
    for (int i = 0; i < n_extra && na < 60; i++) argv[na++] = extra[i];
    if (embed == LMCC_EMBED_EXTERNAL) { argv[na++] = "--weights"; argv[na++] = wpath; }
    argv[na] = NULL;
    int st = lmcc_run_argv(argv);
    if (st != 0) {
        if (st > 128) lmcc_bug("the generated program died with signal %d (kept in %s)", st - 128, dir);
        lmcc_error(NULL, "the generated program failed (exit %d)", st);
    } else {
        rc = 0;
    }
    if (o->keep_temp) fprintf(stderr, "lmcc: kept %s\n", dir);
    else lmcc_remove_dir(dir);
    return rc;
}

static int cmd_run(const opts *o) {
    if (o->prompt && o->ids) return lmcc_error(NULL, "give either -p TEXT or --ids, not both");
    if (check_numeric("-n wants a number, got '%s'", o->n, 1) ||
        check_numeric("--temp wants a number, got '%s'", o->temp, 0) ||
        check_numeric("--top-k wants a number, got '%s'", o->top_k, 1) ||
        check_numeric("--top-p wants a number, got '%s'", o->top_p, 0) ||
        check_numeric("--seed wants a number, got '%s'", o->seed, 1))
        return 1;
    char *extra[32];
    int n = 0;
    extra[n++] = "gen";
#define PASS(flag, field) if (o->field) { extra[n++] = flag; extra[n++] = (char *)o->field; }
    PASS("-p", prompt) PASS("--ids", ids) PASS("-n", n) PASS("--temp", temp) PASS("--top-k", top_k)
    PASS("--top-p", top_p) PASS("--seed", seed)
#undef PASS
    if (o->print_ids) extra[n++] = "--print-ids";
    return build_and_exec(o, extra, n);
}

static int read_ids(const char *path, int **ids, int *n) {
    FILE *f = fopen(path, "r");
    if (!f) return lmcc_error(path, "cannot read the ids file: %s", strerror(errno));
    int cap = 256;
    *ids = malloc((size_t)cap * sizeof **ids);
    *n = 0;
    long v;
    int c;
    while ((c = fscanf(f, "%ld", &v)) == 1) {
        if (*n == cap) {
            cap *= 2;
            int *p = realloc(*ids, (size_t)cap * sizeof **ids);
            if (!p) break;
            *ids = p;
        }
        (*ids)[(*n)++] = (int)v;
    }
    int bad = c != EOF;
    fclose(f);
    if (bad) return lmcc_error(path, "expected whitespace-separated token ids");
    if (*n == 0) return lmcc_error(path, "no token ids in the file");
    return 0;
}

static int cmd_eval(const opts *o) {
    if (!o->ids || !o->logits_out) return lmcc_error(o->model, "eval needs --ids FILE and --logits OUT.f32");
    int *ids = NULL, n = 0, rc = -1;
    if (read_ids(o->ids, &ids, &n)) { free(ids); return -1; }
    if (!o->reference) {
        /* validate here too so errors name the ids file */
        session s = {0};
        if (load_model(o, &s, NULL) == 0) {
            for (int i = 0; i < n && rc == -1; i++)
                if (ids[i] < 0 || ids[i] >= s.g->info.vocab_size)
                    rc = lmcc_error(o->ids, "token id %d at index %d is outside the vocabulary [0, %d)", ids[i], i,
                                    s.g->info.vocab_size);
            if (rc == -1 && n > s.g->cfg.ctx)
                rc = lmcc_error(o->ids, "%d ids do not fit the context of %d (pass --ctx)", n, s.g->cfg.ctx);
        }
        session_free(&s);
        free(ids);
        if (rc != -1 || lmcc_error_text()[0]) return -1;
        char tmpname[PATH_MAX];
        snprintf(tmpname, sizeof tmpname, "%s.tmp%ld", o->logits_out, (long)getpid());
        char *extra[] = {"eval", (char *)o->ids, tmpname};
        if (build_and_exec(o, extra, 3)) { remove(tmpname); return -1; }
        if (rename(tmpname, o->logits_out) != 0) {
            remove(tmpname);
            return lmcc_error(o->logits_out, "cannot write: %s", strerror(errno));
        }
        return 0;
    }
    session s = {0};
    lmcc_interp *it = NULL;
    FILE *out = NULL;
    char tmpname[PATH_MAX];
    snprintf(tmpname, sizeof tmpname, "%s.tmp%ld", o->logits_out, (long)getpid());
    if (load_model(o, &s, NULL)) goto done;
    if (n > s.g->cfg.ctx) { lmcc_error(o->ids, "%d ids do not fit the context of %d (pass --ctx)", n, s.g->cfg.ctx); goto done; }
    it = lmcc_interp_new(s.g);
    if (!it) { lmcc_error(o->model, "the interpreter cannot evaluate this graph"); goto done; }
    out = fopen(tmpname, "wb");
    if (!out) { lmcc_error(o->logits_out, "cannot write: %s", strerror(errno)); goto done; }
    for (int i = 0; i < n; i++) {
        const float *lg = lmcc_interp_step(it, ids[i], i);
        if (!lg) { lmcc_error(o->ids, "token id %d at index %d is out of range", ids[i], i); goto done; }
        if (fwrite(lg, sizeof(float), (size_t)s.g->info.vocab_size, out) != (size_t)s.g->info.vocab_size) {
            lmcc_error(o->logits_out, "write error");
            goto done;
        }
    }
    if (fclose(out) != 0) { out = NULL; lmcc_error(o->logits_out, "write error"); goto done; }
    out = NULL;
    if (rename(tmpname, o->logits_out) != 0) { lmcc_error(o->logits_out, "cannot write: %s", strerror(errno)); goto done; }
    rc = 0;
done:
    if (out) fclose(out);
    if (rc) remove(tmpname);
    if (it) lmcc_interp_free(it);
    session_free(&s);
    free(ids);
    return rc;
}

static int cmd_tokenize(const opts *o) {
    if (!o->model || !o->text) return lmcc_error(NULL, "usage: lmcc tokenize MODEL TEXT [--bos]");
    gguf_file *f = lmcc_model_open(o->model);
    if (!f) return -1;
    if (!gguf_find(f, "tokenizer.ggml.model")) {
        gguf_close(f);
        return lmcc_error(o->model, "the file has no tokenizer (tokenizer.ggml.model missing)");
    }
    lmrt_vocab *v = lmcc_vocab_from_gguf(f, o->model);
    if (!v) { gguf_close(f); return -1; }
    size_t len = strlen(o->text);
    int cap = (int)LMRT_TOK_CAP(len);
    int32_t *ids = malloc((size_t)cap * sizeof *ids);
    int n = ids ? lmrt_encode(v, o->text, len, o->bos, ids, cap) : -1;
    int rc = 0;
    if (n < 0) rc = lmcc_error(o->model, "cannot tokenize the text (error %d)", n);
    for (int i = 0; i < n; i++) printf("%s%d", i ? " " : "", ids[i]);
    if (n >= 0) printf("\n");
    free(ids);
    lmcc_vocab_free(v);
    gguf_close(f);
    return rc;
}

static int cmd_dump_ir(const opts *o) {
    session s = {0};
    lmcc_target t;
    if (load_target(o->target ? o->target : "generic", &t)) return -1;
    int rc = load_model(o, &s, &t);
    if (rc == 0 && o->after) rc = run_passes(o, &s, strcmp(o->after, "all") ? o->after : NULL);
    if (rc == 0) ir_dump(s.g, stdout);
    session_free(&s);
    return rc;
}

static int cmd_verify(const opts *o) {
    lmcc_target t;
    if (!o->model) return lmcc_error(NULL, "usage: lmcc verify FILE.c [-t TARGET]");
    if (load_target(o->target ? o->target : "generic", &t)) return -1;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", o->model);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    if (lmcc_verify_c(&t, o->model, dir, NULL)) return -1;
    fprintf(stderr, "lmcc: %s: clean for target %s\n", o->model, t.name);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? 1 : 0;
    }
    if (!strcmp(argv[1], "--version")) { printf("lmcc %s\n", LMCC_VERSION); return 0; }
    if (!strcmp(argv[1], "--list-targets")) return list_targets();
    if (!strcmp(argv[1], "quality")) {
        if (lmcc_quality_main(argc - 2, argv + 2, lmcc_build_program) == 0) return 0;
        const char *e = lmcc_error_text();
        fprintf(stderr, "lmcc: error: %s\n", e[0] ? e : "quality failed");
        return 1;
    }
    if (!strcmp(argv[1], "bench")) {
        if (lmcc_bench_main(argc - 2, argv + 2, lmcc_build_program) == 0) return 0;
        const char *e = lmcc_error_text();
        fprintf(stderr, "lmcc: error: %s\n", e[0] ? e : "bench failed");
        return 1;
    }
    opts o;
    memset(&o, 0, sizeof o);
    o.cmd = argv[1];
    int (*fn)(const opts *) = NULL;
    if (!strcmp(o.cmd, "compile")) fn = cmd_compile;
    else if (!strcmp(o.cmd, "run")) fn = cmd_run;
    else if (!strcmp(o.cmd, "eval")) fn = cmd_eval;
    else if (!strcmp(o.cmd, "tokenize")) fn = cmd_tokenize;
    else if (!strcmp(o.cmd, "dump-ir")) fn = cmd_dump_ir;
    else if (!strcmp(o.cmd, "verify")) fn = cmd_verify;
    else return usage_error("unknown command '%s'", o.cmd);
    if (parse_opts(argc, argv, &o)) return 1;
    if (fn(&o) != 0) {
        const char *e = lmcc_error_text();
        fprintf(stderr, "lmcc: error: %s\n", e[0] ? e : "failed");
        return 1;
    }
    return 0;
}
