/* bench.h - `lmcc bench`: compile a model, build it with the benchmark driver
 * (codegen/bench_driver.h), run it, print its table or JSON.
 *
 * bench.c does not compile anything itself: it calls a builder that
 * compiler/main.c provides (it owns the compile pipeline), passed in as a
 * function pointer so the libraries have no link-time dependency on main.c.
 * Options come parsed (compiler/options.h), the same table for every command. */
#ifndef LMCC_BENCH_H
#define LMCC_BENCH_H

#include <stddef.h>

struct ir_graph;

typedef int (*lmcc_emit_driver_fn)(const char *path, const char *name, char *err, size_t errlen);

struct lmcc_config;

typedef struct lmcc_build_req {
    /* the command's parsed options: MODEL and the compile options (target,
     * weights, ctx, threads, ...) are what is built */
    const struct lmcc_config *cfg;
    const char *name;                /* C prefix of the generated model, e.g. "model" */
    lmcc_emit_driver_fn emit_driver; /* writes DIR/main.c, e.g. lmcc_emit_bench_driver */
    const char *extra_cflags;        /* appended to the target's cflags (bench: "-pthread"); NULL: none */
    /* when set: called with the compiled graph (after the passes, codegen done) */
    void (*on_graph)(void *user, const struct ir_graph *g);
    void *on_graph_user;
} lmcc_build_req;

/* The builder (implemented in compiler/main.c): compiles req->cfg's model
 * with its compile options into a fresh temporary directory DIR, writes
 * DIR/main.c with req->emit_driver, and builds DIR/prog from DIR/NAME.c (+ the
 * blob stub) and DIR/main.c with the target's cc and cflags plus
 * extra_cflags.  Returns 0 and DIR in dir_out (the caller runs DIR/prog and
 * removes DIR); or -1 with lmcc_error() set and nothing left behind. */
int lmcc_build_program(const lmcc_build_req *req, char *dir_out, size_t cap);

typedef int (*lmcc_build_program_fn)(const lmcc_build_req *req, char *dir_out, size_t cap);

/* `lmcc bench MODEL [compile options] [-p P] [-n N] [--threads T]
 *  [--repeat R] [--json] [--probe-mib M] [--keep-temp]`.  --threads goes both
 * to the compiler (threads compiled in) and to the program (probe and run
 * threads).  Returns 0, or -1 with lmcc_error() set (main prints it). */
int lmcc_bench_main(const struct lmcc_config *c, lmcc_build_program_fn build);

#endif
