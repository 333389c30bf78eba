/* lmrt_kernels_generic.h - kernel set `generic`: every kernel of the contract (docs/KERNELS.md) is
 * the portable one of lmrt_kernels_scalar.h, plain C11 loops written so gcc/clang vectorize them
 * without -ffast-math. */
#ifndef LMRT_KERNELS_GENERIC_H
#define LMRT_KERNELS_GENERIC_H

#include "lmrt_kernels_fallback.h"

#endif
