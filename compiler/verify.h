/* verify.h - `lmcc compile --verify`: parse emitted C with libclang for the
 * target's triple and flags, so every target is checked even where its cross
 * compiler is not installed (clang ships arm_neon.h, arm_mve.h, immintrin.h). */
#ifndef LMCC_VERIFY_H
#define LMCC_VERIFY_H

#include "target.h"

/* Parses c_path (-target TRIPLE, the target's cflags without -O*, -std=c11
 * -ffreestanding -Wall -Wextra -I inc_dir, clang's resource dir).  Any
 * diagnostic of severity warning or worse fails: returns -1 after
 * lmcc_error("SHOWN_DIR/FILE:LINE:COL: message (emitted code failed --verify
 * for target T)"), where paths under inc_dir are shown under shown_dir (the
 * files are verified in a staging directory before they are moved into
 * place).  Returns 0 when clean; -1 with a message when lmcc was built
 * without libclang. */
int lmcc_verify_c(const lmcc_target *t, const char *c_path, const char *inc_dir, const char *shown_dir);

/* 1 when this lmcc was built with libclang. */
int lmcc_verify_available(void);

#endif
