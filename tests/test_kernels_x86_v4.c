/* test_kernels_x86_v4.c - test_kernels_x86.c's checks on the x86-64-v4 kernel set (AVX-512 VNNI) */
#define LMRT_TEST_X86_V4 1
#include "test_kernels_x86.c"
