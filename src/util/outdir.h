/*
 * outdir.h - all-or-nothing output directories (outdir.c): every file is
 * written under a temporary name in the target directory and renamed into
 * place only when the whole run has succeeded.
 */
#ifndef OGEM_UTIL_OUTDIR_H
#define OGEM_UTIL_OUTDIR_H

#include <stddef.h>
#include <stdio.h>

typedef struct ogem_outdir ogem_outdir;
/* Makes sure DIR exists (creating it and missing parents, which abort()
 * removes again). NULL with msg on failure. */
ogem_outdir *ogem_outdir_open(const char *dir, char *msg, size_t len);
/* A new temporary file in DIR that commit() renames to NAME. */
FILE *ogem_outdir_create(ogem_outdir *o, const char *name, char *msg, size_t len);
/* Flushes, fsyncs and closes every file, then renames each into place and
 * fsyncs DIR. Frees o. On failure, aborts (see below) and returns -1. */
int ogem_outdir_commit(ogem_outdir *o, char *msg, size_t len);
/* Closes and removes every temporary file and the directories open() created.
 * Frees o. */
void ogem_outdir_abort(ogem_outdir *o);

#endif /* OGEM_UTIL_OUTDIR_H */
