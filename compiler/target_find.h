/* target_find.h - where target files are and which compiler a target uses.
 *
 * A target name is looked up as NAME.target in, in order: $LMCC_TARGETS_DIR,
 * EXE/../share/lmcc/targets (installed), EXE/../targets (a build directory
 * inside the source tree), and the source tree's targets/ this lmcc was
 * built from (any build directory). */
#ifndef LMCC_TARGET_FIND_H
#define LMCC_TARGET_FIND_H

#include "target.h"

#include <stddef.h>
#include <stdio.h>

/* The directory of the target files into out; 0, or -1 when there is none. */
int lmcc_targets_dir(char *out, size_t cap);
/* A target by name (or a path to a .target file; "native": the best target whose code runs on this
 * machine, host_cpu.h); 0, or -1 after lmcc_error. */
int lmcc_target_load(const char *name, lmcc_target *t);
/* Prints "NAME  HERE  description" for every target file (HERE: native = what -t native picks,
 * runs = its code runs on this machine, - = not here); 0, or -1 after lmcc_error. */
int lmcc_target_list(FILE *f);
/* The compiler command of t: $CC (when set) for targets whose cc is plain
 * `cc`, else the target's own cross compiler. */
const char *lmcc_target_cc(const lmcc_target *t);

#endif
