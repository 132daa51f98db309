/*
 * outdir.h - all-or-nothing output directories (outdir.c): every file is
 * written under a temporary name in the target directory and renamed into
 * place only when the whole run has succeeded. One process writes a
 * directory at a time (an flock held from open to commit or abort), which
 * lets create() remove the temporaries that killed runs left behind.
 */
#ifndef OGEM_UTIL_OUTDIR_H
#define OGEM_UTIL_OUTDIR_H

#include <stddef.h>
#include <stdio.h>

typedef struct ogem_outdir ogem_outdir;
/* Makes sure DIR exists (creating it and missing parents, which abort()
 * removes again) and takes its writer's lock. NULL with msg on failure,
 * including when another process is writing DIR. */
ogem_outdir *ogem_outdir_open(const char *dir, char *msg, size_t len);
/* A new temporary file in DIR that commit() renames to NAME; first removes
 * the stale temporaries of NAME (".NAME.tmp-XXXXXX", ".NAME.old-XXXXXX")
 * that runs killed before their commit left there. */
FILE *ogem_outdir_create(ogem_outdir *o, const char *name, char *msg, size_t len);
/* Flushes, fsyncs and closes every file, checks that every NAME can be
 * replaced, then renames each into place and fsyncs DIR. Frees o. On failure
 * returns -1 with every NAME as it was before (the renames already done are
 * undone) and the temporaries removed. */
int ogem_outdir_commit(ogem_outdir *o, char *msg, size_t len);
/* Closes and removes every temporary file and the directories open() created.
 * Frees o. */
void ogem_outdir_abort(ogem_outdir *o);

/* From now on (on != 0) every open() gives a sink: no directory is made,
 * locked or written; create() returns a stream to /dev/null, so the code that
 * writes the outputs runs unchanged, and commit() and abort() only close.
 * For the processes of a job that must write nothing (MPI ranks but 0). */
void ogem_outdir_discard(int on);

/* The rename(2) commit() uses; tests swap it to make the k-th rename fail. */
extern int (*ogem_outdir_rename)(const char *from, const char *to);

#endif /* OGEM_UTIL_OUTDIR_H */
