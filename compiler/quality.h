/* quality.h - `lmcc quality`: how far a compiled build is from the float model.
 *
 * Sequences (sampled from the float model by the interpreter, or --ids) are
 * evaluated teacher-forced by the compiled C (the eval driver, built through
 * lmcc_build_program like bench) and by the float interpreter; printed:
 * mean and p99 KL(float || compiled) per position, top-1 agreement, the
 * perplexity of both on the sequences, and bits per weight of the linear
 * weights in the compiled graph. */
#ifndef LMCC_QUALITY_H
#define LMCC_QUALITY_H

#include "bench.h"

/* `lmcc quality MODEL [compile options] [--ids FILE | --samples N --len L
 *  --seed S] [--json] [--save-logits DIR] [--keep-temp]`, parsed into c.
 * Sequences are cut at (sampled: no longer than) the compiled model's
 * context.  Returns 0, or -1 with lmcc_error() set. */
int lmcc_quality_main(const struct lmcc_config *c, lmcc_build_program_fn build);

#endif
