/* options.h - the command line as data.
 *
 * One table of commands and one table of options (names, argument type and
 * range, default, the commands that take it, help) drive everything: a
 * single parser for every command fills one lmcc_config, ranges and choices
 * are checked there, and `lmcc --help` / `lmcc CMD --help` and the usage in
 * option errors are generated from the same rows.  An option a command does
 * not take is an error naming the commands that do.  Meaning that needs more
 * than one option or the model file (weight formats, the quantizer's default
 * from LMCC_QUANT, required options) is checked by compiler/main.c before it
 * does any work.
 */
#ifndef LMCC_OPTIONS_H
#define LMCC_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

/* X(id, name, operands, required options, summary) */
#define LMCC_COMMAND_LIST(X)                                                                                        \
    X(COMPILE, "compile", "MODEL", "-o OUTDIR",                                                                     \
      "write OUTDIR/NAME.h, NAME.c, NAME.weights (+ NAME_weights.S or NAME_weights.c)")                            \
    X(RUN, "run", "MODEL", "", "compile into a temporary directory, build with $CC (default cc), generate text")   \
    X(EVAL, "eval", "MODEL", "--ids FILE --logits OUT.f32",                                                         \
      "teacher forcing: the logits after each id as float32 [n][vocab]")                                            \
    X(BENCH, "bench", "MODEL", "",                                                                                  \
      "prefill and decode tok/s, peak RSS, arena, decode weight bytes/s against a read-bandwidth probe")           \
    X(QUALITY, "quality", "MODEL", "",                                                                              \
      "mean/p99 KL, top-1 agreement and perplexities of the compiled C against the float model")                   \
    X(DUMP_IR, "dump-ir", "MODEL", "", "print the IR (after the passes up to --after)")                            \
    X(TOKENIZE, "tokenize", "MODEL TEXT", "", "print the ids of TEXT (works on vocab-only GGUF files)")            \
    X(VERIFY, "verify", "FILE.c", "", "libclang-check a (generated) C file as compile --verify does")

typedef enum lmcc_command {
#define X(id, name, operands, required, summary) LMCC_CMD_##id,
    LMCC_COMMAND_LIST(X)
#undef X
    LMCC_N_COMMANDS
} lmcc_command;

#define LMCC_ON(id) (1u << LMCC_CMD_##id)
/* commands that compile a model into C */
#define LMCC_ON_BUILD (LMCC_ON(COMPILE) | LMCC_ON(RUN) | LMCC_ON(EVAL) | LMCC_ON(BENCH) | LMCC_ON(QUALITY))
/* ... and dump-ir, which runs the same passes without codegen */
#define LMCC_ON_GRAPH (LMCC_ON_BUILD | LMCC_ON(DUMP_IR))
/* commands that build a program in a temporary directory and run it */
#define LMCC_ON_PROGRAM (LMCC_ON(RUN) | LMCC_ON(EVAL) | LMCC_ON(BENCH) | LMCC_ON(QUALITY))

typedef enum lmcc_arg {
    LMCC_ARG_FLAG,   /* no value; int field set to 1 */
    LMCC_ARG_STR,    /* const char * */
    LMCC_ARG_FILE,   /* const char *: an existing regular file (never a FIFO that blocks on open) */
    LMCC_ARG_CHOICE, /* int: values[k] for the k-th word of the metavar "a|b|c"; -1 when not given */
    LMCC_ARG_INT,    /* long in lo..hi (hi = HUGE_VAL: up to LONG_MAX) */
    LMCC_ARG_REAL,   /* double in lo..hi, finite (hi = HUGE_VAL: no upper bound) */
    LMCC_ARG_BYTES   /* long long >= 1, with K/M/G suffixes (K = 1024) */
} lmcc_arg;

/* The options, grouped by the commands that take them (--help prints a
 * group header where the set changes).  Two rows may share a name when no
 * command takes both (`-p TEXT` of run, `-p N` of bench).
 * X(id, names, metavar, type, lo, hi, default, values, commands, field, help, limit):
 *   type      LMCC_ARG_<type>; lo..hi bound INT and REAL values
 *   default   parsed like a given value (NULL: none; the help says what happens)
 *   values    for a CHOICE, what each word of the metavar stores (LMCC_CHOICES)
 *   field     the lmcc_config member that receives the value
 *   limit     when not NULL, why the range ends where it does (shown in the error) */
#define LMCC_CHOICES(...) ((const int[]){__VA_ARGS__})
#define LMCC_OPTION_LIST(X)                                                                                            \
    X(TARGET, "-t|--target", "T", STR, 0, 0, "generic", NULL, LMCC_ON_GRAPH | LMCC_ON(VERIFY), target,                 \
      "target name (lmcc --list-targets), a .target file, or native (the\n"                                            \
      "best target whose code runs on this machine)", NULL)                                                            \
    X(OUTPUT, "-o|--output", "OUTDIR", STR, 0, 0, NULL, NULL, LMCC_ON(COMPILE), outdir,                                \
      "output directory (created when missing)", NULL)                                                                 \
    X(NAME, "--name", "NAME", STR, 0, 0, "model", NULL, LMCC_ON(COMPILE), name,                                        \
      "C prefix of every generated symbol", NULL)                                                                      \
    X(WEIGHTS, "--weights", "F", STR, 0, 0, NULL, NULL, LMCC_ON_GRAPH, weights,                                        \
      "f32 | f16 | q8 | q4 | keep (default: f32 for float models, keep otherwise)\n"                                   \
      "| q4_1 | q4_g16 | q4_g64 | q4_g128 | nf4 | nf4_g64 (4-bit variants)\n"                                          \
      "| q5_0 | q5_1 (GGUF 5-bit blocks: 5.5 / 6.0 bits per weight)\n"                                                 \
      "| q3_g64 | q5_g64 | q6_g64 (3/5/6-bit groups of 64: 3.25 / 5.25 / 6.25)", NULL)                                 \
    X(GROUP, "--group", "16|32|64|128", CHOICE, 0, 0, NULL, LMCC_CHOICES(16, 32, 64, 128), LMCC_ON_GRAPH, group,       \
      "group size for --weights q4 (16|32|64|128) or nf4 (32|64)", NULL)                                               \
    X(BPW, "--bpw", "B", REAL, 4, 32, NULL, NULL, LMCC_ON_GRAPH, bpw,                                                  \
      "mixed precision: a format per linear weight by measured sensitivity,\n"                                         \
      "at most B bits per weight on average", NULL)                                                                    \
    X(QUANT, "--quant", "plain|rtn|awq|gptq|auto", CHOICE, 0, 0, "auto",                                               \
      LMCC_CHOICES(IR_QUANT_PLAIN, IR_QUANT_RTN, IR_QUANT_AWQ, IR_QUANT_GPTQ, IR_QUANT_AUTO), LMCC_ON_GRAPH, quant,    \
      "how quantized values are chosen (auto: gptq up to 50M weights,\n"                                               \
      "plain above; plain = llama.cpp's absmax rounding; LMCC_QUANT,\n"                                                \
      "when set, replaces auto as the default)", NULL)                                                                 \
    X(CALIB, "--calib", "FILE", FILE, 0, 0, NULL, NULL, LMCC_ON_GRAPH, calib,                                          \
      "calibration for awq/gptq: token ids (a sequence per line) or text\n"                                            \
      "(default: 128-token sequences sampled from the float model, 96 of\n"                                            \
      "them for gptq (24 for awq), fewer for larger models: at most ~0.4\n"                                            \
      "TFLOP of calibration forward and LMCC_CALIB_MIB MiB of activations,\n"                                          \
      "at least 3; -v prints the estimate)", NULL)                                                                     \
    X(ROTATE, "--rotate", "on|off", CHOICE, 0, 0, "on", LMCC_CHOICES(1, 0), LMCC_ON_GRAPH, rotate,                     \
      "rotate the residual stream (an orthogonal transform folded into\n"                                              \
      "the weights, exact in float) before int quantization", NULL)                                                    \
    X(ACT, "--act", "q8|f32", CHOICE, 0, 0, NULL, LMCC_CHOICES(1, 0), LMCC_ON_GRAPH, act_q8,                           \
      "linear inputs as int8 blocks or f32 (default q8 for int weights)", NULL)                                        \
    X(EMBEDDING, "--embedding", "f16|same", CHOICE, 0, 0, "f16", LMCC_CHOICES(1, 0), LMCC_ON_GRAPH, embed_f16,         \
      "under int --weights formats the token-embedding table (read one row\n"                                          \
      "per token) stays f16, or takes the --weights format", NULL)                                                     \
    X(KV, "--kv", "f32|f16|q8", CHOICE, 0, 0, "f32", LMCC_CHOICES(IR_DT_F32, IR_DT_F16, IR_DT_Q8_KV), LMCC_ON_GRAPH,    \
      kv_dtype, "KV-cache element type (q8: int8 with one f32 scale per token and KV head)", NULL)                     \
    X(KV_POLICY, "--kv-policy", "stop|slide[:SINK]", STR, 0, 0, "stop", NULL, LMCC_ON_GRAPH, kv_policy,               \
      "when the context is full: stop (forward fails), or slide: keep the\n"                                            \
      "first SINK positions (default 4) and a ring of the latest ones, so\n"                                           \
      "generation goes on in the same arena", NULL)                                                                    \
    X(CTX, "--ctx", "N", INT, 1, LMCC_CTX_MAX, NULL, NULL, LMCC_ON_GRAPH, ctx,                                         \
      "context length (default: the model's, at most 4096)", LMCC_CTX_MAX_WHY)                                                       \
    X(THREADS, "--threads", "N", INT, 1, 64, "1", NULL, LMCC_ON_GRAPH, threads,                                        \
      "worker threads compiled in (1: no threading code at all); bench\n"                                              \
      "also runs its probe with N threads", NULL)                                                                      \
    X(BATCH, "--batch", "N", INT, 1, 1024, NULL, NULL, LMCC_ON_GRAPH, batch,                                           \
      "tokens per forward chunk for prompts (default: the target's)", NULL)                                            \
    X(NO_FUSE, "--no-fuse", NULL, FLAG, 0, 0, NULL, NULL, LMCC_ON_GRAPH, no_fuse,                                      \
      "skip the fusion passes (debugging)", NULL)                                                                      \
    X(VERBOSE, "-v|--verbose", NULL, FLAG, 0, 0, NULL, NULL, LMCC_ON_GRAPH, verbose,                                   \
      "print what the passes did (planned arena vs naive sum, ...)", NULL)                                             \
    X(EMBED, "--embed", "incbin|array|external", CHOICE, 0, 0, "incbin",                                               \
      LMCC_CHOICES(LMCC_EMBED_INCBIN, LMCC_EMBED_ARRAY, LMCC_EMBED_EXTERNAL), LMCC_ON_BUILD, embed,                    \
      "how the app gets the weights: NAME_weights.S (.incbin), a C array\n"                                            \
      "in NAME_weights.c, or a pointer it passes to NAME_init", NULL)                                                  \
    X(VERIFY, "--verify", NULL, FLAG, 0, 0, NULL, NULL, LMCC_ON_BUILD, verify,                                         \
      "parse NAME.c with libclang for the target (-Wall -Wextra); any\n"                                               \
      "warning fails the compile and nothing is written", NULL)                                                        \
    X(BUDGET_RAM, "--budget-ram", "N", BYTES, 1, 0, NULL, NULL, LMCC_ON_BUILD, budget_ram,                             \
      "fail unless NAME_ARENA_BYTES <= N (K/M/G suffixes)", NULL)                                                      \
    X(BUDGET_FLASH, "--budget-flash", "N", BYTES, 1, 0, NULL, NULL, LMCC_ON_BUILD, budget_flash,                       \
      "fail unless NAME.weights + code bytes <= N (needs the target cc)", NULL)                                        \
    X(COMPRESS, "--compress", "zstd[:L]", STR, 0, 0, NULL, NULL,                                                       \
      LMCC_ON(COMPILE) | LMCC_ON(RUN) | LMCC_ON(EVAL) | LMCC_ON(QUALITY), compress,                                    \
      "NAME.weights as one zstd frame (level 1..22, default 19; hosted\n"                                              \
      "targets; NAME_decompress_weights, link -lzstd)", NULL)                                                          \
    X(KEEP_TEMP, "--keep-temp", NULL, FLAG, 0, 0, NULL, NULL, LMCC_ON_PROGRAM, keep_temp,                              \
      "keep the temporary build directory (its path goes to stderr)", NULL)                                            \
    X(PROMPT, "-p|--prompt", "TEXT", STR, 0, 0, NULL, NULL, LMCC_ON(RUN), prompt,                                      \
      "the prompt, tokenized as llama.cpp's completion tool does: BOS\n"                                               \
      "where the model wants it, control tokens in TEXT parsed (default:\n"                                            \
      "empty)", NULL)                                                                                                  \
    X(IDS_TEXT, "--ids", "\"1 2 3\"", STR, 0, 0, NULL, NULL, LMCC_ON(RUN), ids,                                        \
      "the prompt as token ids instead of -p", NULL)                                                                   \
    X(CHAT, "--chat", NULL, FLAG, 0, 0, NULL, NULL, LMCC_ON(RUN) | LMCC_ON(TOKENIZE), chat,                            \
      "the text as one user turn of the model's chat format (chatml,\n"                                                \
      "llama3, gemma, phi3, phi4 from tokenizer.chat_template, as\n"                                                   \
      "llama.cpp writes them) with the start of the reply, which ends\n"                                               \
      "at the end of the turn; no known format: the raw text", NULL)                                                   \
    X(LOAD_STATE, "--load-state", "FILE", FILE, 0, 0, NULL, NULL, LMCC_ON(RUN), load_state,                          \
      "continue the session a --save-state FILE holds: the prompt (no BOS)\n"                                         \
      "follows its tokens (the same model and compile options)", NULL)                                                 \
    X(SAVE_STATE, "--save-state", "FILE", STR, 0, 0, NULL, NULL, LMCC_ON(RUN), save_state,                             \
      "write the session (position and KV cache, NAME_state_save) to FILE\n"                                           \
      "after the last generated token", NULL)                                                                          \
    X(TEMP, "--temp", "T", REAL, 0, HUGE_VAL, "1", NULL, LMCC_ON(RUN), temp,                                           \
      "sampling temperature (0: greedy)", NULL)                                                                        \
    X(TOP_K, "--top-k", "K", INT, 0, 1 << 24, "0", NULL, LMCC_ON(RUN), top_k,                                          \
      "sample among the K most likely tokens (0: all)", NULL)                                                          \
    X(TOP_P, "--top-p", "P", REAL, 0, 1, "1", NULL, LMCC_ON(RUN), top_p,                                               \
      "sample from the smallest set with probability >= P (1: all)", NULL)                                             \
    X(SEED, "--seed", "S", INT, 0, HUGE_VAL, "0", NULL, LMCC_ON(RUN), seed, "the sampler's seed", NULL)                \
    X(PRINT_IDS, "--print-ids", NULL, FLAG, 0, 0, NULL, NULL, LMCC_ON(RUN), print_ids,                                 \
      "print the generated ids instead of text", NULL)                                                                 \
    X(STEPS, "-n", "N", INT, 1, 1 << 20, "64", NULL, LMCC_ON(RUN) | LMCC_ON(BENCH), steps,                             \
      "tokens to generate (run; it stops early at an end-of-generation\n"                                              \
      "token or when the context is full), decode steps timed (bench)", NULL)                                          \
    X(DRAFT, "--draft", "DRAFT", FILE, 0, 0, NULL, NULL, LMCC_ON(COMPILE) | LMCC_ON(RUN) | LMCC_ON(BENCH), draft,     \
      "speculative decoding with a draft model: DRAFT (same vocabulary,\n"                                              \
      "compiled in its file's format with the other options) is emitted\n"                                            \
      "as NAME_draft.{h,c,weights} next to NAME, whose NAME_generate_draft\n"                                        \
      "verifies its guesses; run/bench generate with it (-k guesses)", NULL)                                           \
    X(SPEC_K, "-k", "K", INT, 1, 16, "4", NULL, LMCC_ON(RUN) | LMCC_ON(BENCH), spec_k,                                  \
      "guesses per pass at most with --draft", NULL)                                                                    \
    X(GUESS_COST, "--guess-cost", "C", REAL, 0, 16, NULL, NULL, LMCC_ON(RUN), guess_cost,                              \
      "the price of a guessed token with --lookup or --draft, in decode\n"                                               \
      "steps, draft step included (default: the compiler's estimate)", NULL)                                         \
    X(LOOKUP, "--lookup", "K", INT, 1, 16, NULL, NULL, LMCC_ON(RUN) | LMCC_ON(BENCH), lookup,                           \
      "speculative decoding by prompt lookup: up to K guessed tokens per\n"                                              \
      "pass (the continuation of the last 3-, 2- or 1-gram's latest earlier\n"                                           \
      "occurrence) verified in one batched pass; the same tokens as plain\n"                                             \
      "decoding (greedy), the same distribution (sampling).  Raises the\n"                                              \
      "target's batch to K + 1 unless --batch is given; bench: a copying\n"                                             \
      "workload, the speedup and the cost of verifying 1..16 guesses", NULL)                                            \
    X(IDS_FILE, "--ids", "FILE", FILE, 0, 0, NULL, NULL, LMCC_ON(EVAL) | LMCC_ON(QUALITY), ids_file,                   \
      "token ids, whitespace-separated (quality: a sequence per line)", NULL)                                          \
    X(LOGITS, "--logits", "OUT.f32", STR, 0, 0, NULL, NULL, LMCC_ON(EVAL), logits, "where the logits go", NULL)        \
    X(REFERENCE, "--reference", NULL, FLAG, 0, 0, NULL, NULL, LMCC_ON(EVAL), reference,                                \
      "evaluate lmcc's float32 IR interpreter instead of the compiled C", NULL)                                        \
    X(BENCH_PROMPT, "-p", "N", INT, 1, 1 << 20, "128", NULL, LMCC_ON(BENCH), bench_prompt,                             \
      "prompt tokens timed in prefill", NULL)                                                                          \
    X(REPEAT, "--repeat", "R", INT, 1, 1000, "3", NULL, LMCC_ON(BENCH), repeat, "runs (the median is shown)", NULL)    \
    X(PROBE_MIB, "--probe-mib", "M", INT, 0, 1 << 20, "512", NULL, LMCC_ON(BENCH), probe_mib,                          \
      "MiB read by the bandwidth probe (0: no probe)", NULL)                                                           \
    X(JSON, "--json", NULL, FLAG, 0, 0, NULL, NULL, LMCC_ON(BENCH) | LMCC_ON(QUALITY), json,                           \
      "one JSON object instead of the table", NULL)                                                                    \
    X(SAMPLES, "--samples", "N", INT, 1, 10000, "3", NULL, LMCC_ON(QUALITY), samples,                                  \
      "sequences sampled from the float model (without --ids)", NULL)                                                  \
    X(LEN, "--len", "L", INT, 2, LMCC_CTX_MAX, "128", NULL, LMCC_ON(QUALITY), len,                                     \
      "length of each sampled sequence", LMCC_CTX_MAX_WHY)                                                             \
    X(SAMPLE_SEED, "--seed", "S", INT, 0, HUGE_VAL, "1", NULL, LMCC_ON(QUALITY), sample_seed,                          \
      "seed of the sampled sequences", NULL)                                                                           \
    X(SAVE_LOGITS, "--save-logits", "DIR", STR, 0, 0, NULL, NULL, LMCC_ON(QUALITY), save_logits,                       \
      "also write DIR/float.f32 and DIR/compiled.f32", NULL)                                                           \
    X(AFTER, "--after", "PASS|all", STR, 0, 0, NULL, NULL, LMCC_ON(DUMP_IR), after,                                    \
      "run the passes up to PASS (all: every pass) before printing", NULL)                                             \
    X(BOS, "--bos", NULL, FLAG, 0, 0, NULL, NULL, LMCC_ON(TOKENIZE), bos,                                              \
      "add BOS (and EOS) where the model's tokenizer asks for them", NULL)                                             \
    X(SPECIAL, "--special", NULL, FLAG, 0, 0, NULL, NULL, LMCC_ON(TOKENIZE), special,                                  \
      "control tokens written in TEXT (<|im_start|>) become their ids,\n"                                              \
      "as in run's prompt (llama.cpp's parse_special)", NULL)

typedef enum lmcc_option_id {
#define X(id, names, metavar, type, lo, hi, def, values, cmds, field, help, limit) LMCC_OPT_##id,
    LMCC_OPTION_LIST(X)
#undef X
    LMCC_N_OPTIONS
} lmcc_option_id;

/* Environment variables lmcc reads: X(name, what it changes).  They stay
 * variables (not options) because they are set once for every lmcc a script,
 * a CMake build or the test suite runs, including the compiles that bench
 * and quality do on their own. */
#define LMCC_ENV_LIST(X)                                                                                            \
    X("LMCC_QUANT", "the default of --quant (plain: fast functional builds, the test suite's)")                    \
    X("LMCC_CALIB_SEQS", "number of sampled calibration sequences (default: from the model size, 3..96)")          \
    X("LMCC_CALIB_MIB", "MiB of calibration activations at most (default 2048); fewer sequences above")            \
    X("LMCC_QUANT_GENERIC", "1: the quantizers' portable loops instead of AVX2 (last-bit differences)")            \
    X("LMCC_TARGETS_DIR", "directory of .target files (default: next to lmcc, then the source tree's)")            \
    X("CC", "compiler for the programs run/eval/bench/quality build, and cc targets' size report")                 \
    X("LMCC_CODE_SIZE", "0: compile's size line skips the code bytes (a C compile of NAME.c; the test suite's)")  \
    X("TMPDIR", "where temporary directories go (default /tmp)")                                                   \
    X("LMCC_CLANG_RESOURCE_DIR", "clang's resource directory for --verify (its intrinsic headers)")

/* Everything a command line says, after parsing.  Choice fields hold the
 * value the table gives the word (IR_DT_F16 for --kv f16); given[id] is 1
 * for an option on the command line, 2 for one set from its default. */
typedef struct lmcc_config {
    lmcc_command cmd;
    const char *model, *text; /* operands: MODEL (FILE.c for verify), TEXT for tokenize */
    const char *target, *outdir, *name, *weights, *calib, *compress, *prompt, *ids, *ids_file, *logits,
        *save_logits, *after, *load_state, *save_state, *draft, *kv_policy;
    long ctx, threads, batch, top_k, seed, steps, bench_prompt, repeat, probe_mib, samples, len,
        sample_seed, lookup, spec_k;
    double bpw, temp, top_p, guess_cost;
    int group, quant, rotate, act_q8, embed_f16, kv_dtype, embed; /* -1: not given */
    long long budget_ram, budget_flash;
    int no_fuse, verbose, verify, keep_temp, print_ids, reference, json, bos, special, chat;
    unsigned char given[LMCC_N_OPTIONS];
    /* derived by compiler/main.c's checks before any work */
    int weights_mode;  /* --weights: an ir_dtype or IR_WEIGHTS_KEEP, when weights_given */
    int weights_given; /* 0: the model's default (f32 for float files, keep otherwise) */
    int zstd_level;   /* --compress: 0 = off */
    int kv_sink;      /* --kv-policy: -1 = stop, else slide with this many sink positions */
} lmcc_config;

typedef struct lmcc_option {
    const char *names, *metavar;
    lmcc_arg type;
    double lo, hi;
    const char *def;
    const int *values;
    unsigned cmds;
    size_t offset;
    const char *help, *limit;
} lmcc_option;

typedef struct lmcc_command_info {
    const char *name, *operands, *required, *summary;
} lmcc_command_info;

extern const lmcc_option lmcc_options[LMCC_N_OPTIONS];
extern const lmcc_command_info lmcc_commands[LMCC_N_COMMANDS];

/* The command named s, or -1. */
int lmcc_command_find(const char *s);

enum { LMCC_PARSE_OK = 0, LMCC_PARSE_HELP = 1 };

/* Parses `lmcc CMD ARGS...` (argv[0] = CMD) into c: options by the table,
 * defaults from the table, operands counted against the command's.
 * Returns LMCC_PARSE_OK, LMCC_PARSE_HELP (--help or -h given: print
 * lmcc_help for c->cmd), or -1 after lmcc_error (one line with the
 * command's usage as the hint). */
int lmcc_config_parse(int argc, char **argv, lmcc_config *c);

/* Sets option id from value v as if given on the command line (source, when
 * not NULL, names where v came from in an error, e.g. "LMCC_QUANT").  0, or
 * -1 after lmcc_error. */
int lmcc_config_set(lmcc_config *c, lmcc_option_id id, const char *v, const char *source);

/* `lmcc --help` (cmd < 0) or `lmcc CMD --help`, from the tables. */
void lmcc_help(FILE *f, int cmd);

#endif
