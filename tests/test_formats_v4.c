/* test_formats_v4.c - test_formats.c's checks on the x86-64-v4 kernel set (AVX-512 VNNI) */
#define FMT_V4 1
#include "test_formats.c"
