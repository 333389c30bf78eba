/* lmrt_kernels_aarch64_dotprod.h - kernel contract v2 for ARMv8.2-A+dotprod (and +i8mm).
 *
 * The aarch64 set compiled with the dot product extension: the q4_0t / q8_0t x q8a dots of
 * lmrt_kernels_aarch64.h take their SDOT path (__ARM_FEATURE_DOTPROD), and, when the compiler
 * also targets i8mm (__ARM_FEATURE_MATMUL_INT8), token pairs of a batch go through SMMLA.
 * Compile with -march=armv8.2-a+dotprod (optionally +i8mm).
 */
#ifndef LMRT_KERNELS_AARCH64_DOTPROD_H
#define LMRT_KERNELS_AARCH64_DOTPROD_H

#if !defined(__ARM_FEATURE_DOTPROD)
#error "kernels aarch64_dotprod need the dot product extension (-march=armv8.2-a+dotprod)"
#endif

#include "lmrt_kernels_aarch64.h"

#endif
