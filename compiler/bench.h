/* bench.h - `lmcc bench`: compile a model, build it with the benchmark driver
 * (codegen/bench_driver.h), run it, print its table or JSON.
 *
 * bench.c does not compile anything itself: it calls a builder that
 * compiler/main.c provides (it owns the compile pipeline), passed in as a
 * function pointer so the libraries have no link-time dependency on main.c. */
#ifndef LMCC_BENCH_H
#define LMCC_BENCH_H

#include <stddef.h>

struct ir_graph;

typedef int (*lmcc_emit_driver_fn)(const char *path, const char *name, char *err, size_t errlen);

typedef struct lmcc_build_req {
    /* MODEL and compile options in lmcc compile's syntax and order (-t,
     * --weights, --kv, --ctx, --embed, --threads, --batch, ...; no -o or
     * --name), e.g. {"m.gguf", "-t", "x86-64-v3", "--threads", "2"}. */
    int argc;
    char **argv;
    const char *name;                /* C prefix of the generated model, e.g. "model" */
    lmcc_emit_driver_fn emit_driver; /* writes DIR/main.c, e.g. lmcc_emit_bench_driver */
    const char *extra_cflags;        /* appended to the target's cflags (bench: "-pthread"); NULL: none */
    int verbose;                     /* print the build command */
    /* when set: called with the compiled graph (after the passes, codegen done) */
    void (*on_graph)(void *user, const struct ir_graph *g);
    void *on_graph_user;
} lmcc_build_req;

/* The builder (implemented in compiler/main.c): parses req->argv like
 * `lmcc compile`, compiles into a fresh temporary directory DIR, writes
 * DIR/main.c with req->emit_driver, and builds DIR/prog from DIR/NAME.c (+ the
 * blob stub) and DIR/main.c with the target's cc and cflags plus
 * extra_cflags.  Returns 0 and DIR in dir_out (the caller runs DIR/prog and
 * removes DIR); or -1 with lmcc_error() set and nothing left behind. */
int lmcc_build_program(const lmcc_build_req *req, char *dir_out, size_t cap);

typedef int (*lmcc_build_program_fn)(const lmcc_build_req *req, char *dir_out, size_t cap);

/* `lmcc bench MODEL [compile options] [-p P] [-n N] [--threads T]
 *  [--repeat R] [--json] [--probe-mib M] [--keep-temp]`; argv[0] is the first
 * argument after "bench".  --threads goes both to the compiler (threads
 * compiled in) and to the program (probe and run threads).  Returns 0, or -1
 * with lmcc_error() set (main prints it). */
int lmcc_bench_main(int argc, char **argv, lmcc_build_program_fn build);

#endif
