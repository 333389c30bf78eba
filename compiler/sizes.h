/* sizes.h - code size of a generated NAME.c for a target, measured by compiling it. */
#ifndef LMCC_SIZES_H
#define LMCC_SIZES_H

#include "target.h"

/* Compiles c_path with t->cc and t->cflags (-I inc_dir) into a temporary object and sums its
 * allocated sections from the ELF section headers: *text = executable ones, *data = the other
 * initialized ones (.rodata, .data; the weights blob is a separate file and not included).
 * Returns 0; 1 when t->cc is not installed (nothing measured, no error); -1 with lmcc_error set
 * when the compile fails or the object is not ELF. */
int lmcc_code_bytes(const lmcc_target *t, const char *c_path, const char *inc_dir, long long *text, long long *data);

#endif
