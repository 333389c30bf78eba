/* driver_baremetal.h - the bare-metal test driver `lmcc run` / `lmcc eval` build for hosted = no
 * targets (see templates/driver_baremetal.c for its protocol with compiler/baremetal.c). */
#ifndef LMCC_DRIVER_BAREMETAL_H
#define LMCC_DRIVER_BAREMETAL_H

#include <stddef.h>

/* Writes PATH (main.c): a semihosting driver for the model NAME.h.  Returns 0, or -1 with a
 * message in err. */
int lmcc_emit_driver_baremetal(const char *path, const char *name, char *err, size_t errlen);

/* Files the driver exchanges with the host, relative to its working directory (the emulator's). */
#define LMCC_BM_REQUEST "request.txt" /* the hosted driver's argv[1..], one per line */
#define LMCC_BM_STDOUT "stdout.txt"
#define LMCC_BM_STDERR "stderr.txt"

#endif
