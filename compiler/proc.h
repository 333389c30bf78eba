/* proc.h - running the programs lmcc builds, and cleaning up after them. */
#ifndef LMCC_PROC_H
#define LMCC_PROC_H

/* Runs argv[0] (looked up in PATH) with stdout/stderr inherited and waits.
 * Returns its exit status, 128 + signal if it died, -1 if it could not run. */
int lmcc_run_argv(char **argv);

/* Removes the files of a flat directory, then the directory (best effort). */
void lmcc_remove_dir(const char *dir);

#endif
