/* bench_driver.h - the hosted benchmark program that `lmcc bench` builds next
 * to a generated model (NAME.h / NAME.c). */
#ifndef LMCC_BENCH_DRIVER_H
#define LMCC_BENCH_DRIVER_H

#include <stddef.h>

/* Writes the bench main.c (codegen/templates/bench.c) to path for the model prefix name.  The program:
 *   prog [--json] [-p P] [-n N] [--repeat R] [--threads T] [--probe-mib M]
 *        [--target NAME] [--weights FILE]
 * runs R times (read-bandwidth probe with T threads, prefill of P random
 * tokens in one forward call, N greedy single-token decode steps) and prints
 * the medians: a table, or one JSON object with the keys prefill_tok_s,
 * decode_tok_s, peak_rss_bytes, arena_bytes, kv_bytes, weight_bytes,
 * probe_gb_s, bw_fraction (+ threads, prompt, n, repeat, target, ...).
 * Threaded builds (NAME_THREADS defined) get NAME_set_threads / NAME_release
 * calls.  Returns 0, or -1 with a message in err. */
int lmcc_emit_bench_driver(const char *path, const char *name, char *err, size_t errlen);

#endif
