/* host_cpu.h - which targets' code runs on the machine lmcc runs on.
 *
 * A target file names its instruction-set `features`; lmcc checks each against the build machine
 * (cpuid and the OS's saved register state on x86-64, the kernel's hwcaps on aarch64), so `-t
 * native` can pick the best target that runs here and `--list-targets` can mark them.  Cross builds
 * name their target explicitly and never consult this. */
#ifndef LMCC_HOST_CPU_H
#define LMCC_HOST_CPU_H

#include "target.h"

/* 1 if this machine has the target-file feature `name` (usable by the OS), else 0; a name this
 * file does not know is 0. */
int lmcc_host_has_feature(const char *name);
/* 1 if code built for t runs natively here: hosted, its triple's architecture is this machine's
 * (an empty triple is portable C), and every feature is present. */
int lmcc_target_runs_here(const lmcc_target *t);
/* Of two targets that both run here, 1 if a is the better one: wider vectors, then more features
 * (a superset of instructions), then the name, so the choice does not depend on directory order. */
int lmcc_target_better(const lmcc_target *a, const lmcc_target *b);

#endif
