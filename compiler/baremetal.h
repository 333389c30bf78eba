/* baremetal.h - `lmcc run` / `lmcc eval` for bare-metal targets (hosted = no): cross-build the
 * generated model with the target's startup file and linker script, run it under the target's
 * emulator (QEMU system emulation with semihosting), exchange requests and results as files. */
#ifndef LMCC_BAREMETAL_H
#define LMCC_BAREMETAL_H

#include "target.h"

/* Builds DIR/prog.elf from DIR/model.c, DIR/model<stub_suffix> (NULL: none) and DIR/main.c (the
 * bare-metal driver) with t->cc, t->cflags, t->startup, t->linker_script, t->ldflags; also writes
 * DIR/prog.map.  Returns 0, or -1 with lmcc_error set. */
int lmcc_baremetal_build(const lmcc_target *t, const char *dir, const char *stub_suffix, int verbose);

/* Runs DIR/prog.elf under t->emulator in DIR with the hosted driver's arguments (args[0] = "gen" or
 * "eval"; eval's file names may be relative to the caller's directory), then copies the program's
 * stdout.txt / stderr.txt to stdout / stderr.  Returns the program's exit status (128 + signal if
 * the emulator died), or -1 with lmcc_error set when it could not be started. */
int lmcc_baremetal_run(const lmcc_target *t, const char *dir, char **args, int nargs, int verbose);

#endif
