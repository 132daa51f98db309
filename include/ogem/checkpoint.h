/*
 * ogem/checkpoint.h - checkpoints: a solver's whole state plus the caller's blob, written
 * atomically and read back. Part of ogem/ogem.h, which callers include.
 */
#ifndef OGEM_CHECKPOINT_H
#define OGEM_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include "ogem/solver.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- checkpoints (checkpoint.c) --------------------------------------------------- */

/* A solver's whole state plus an opaque blob the caller owns (its own logs).
 * Written atomically: temporary file, fsync, rename, fsync of the directory. */
typedef struct ogem_checkpoint {
    uint64_t fingerprint;     /* caller's hash of the settings: resume refuses a mismatch */
    long step;
    int R, n, d;
    double *means;            /* R x n x d: mu - mu* when relative, else mu              */
    int relative;             /* capture sets 1; files of ogem 0.1.0 hold absolute means  */
    unsigned char *active;    /* R                                                       */
    double *log_weights;      /* R x n, or NULL: the weights are the settings' (not learned) */
    void *blob;               /* caller's state                                          */
    size_t blob_len;
} ogem_checkpoint;

/* capture allocates means, active and, when the solver learns its weights, log_weights. */
ogem_status ogem_checkpoint_capture(ogem_solver *s, ogem_checkpoint *ck);
ogem_status ogem_checkpoint_restore(ogem_solver *s, const ogem_checkpoint *ck);
ogem_status ogem_checkpoint_write(const char *path, const ogem_checkpoint *ck, char *msg, size_t msglen);
/* Reads into ck (allocating means, active, log_weights, blob); ogem_checkpoint_free releases them. */
ogem_status ogem_checkpoint_read(const char *path, ogem_checkpoint *ck, char *msg, size_t msglen);
void ogem_checkpoint_free(ogem_checkpoint *ck);
/* Removes the checkpoint at path (and a temporary a killed write left beside
 * it), then fsyncs its directory. OGEM_OK also when there was none. */
ogem_status ogem_checkpoint_remove(const char *path);
/* FNV-1a 64 of a byte string, for fingerprints. */
uint64_t ogem_fnv1a64(const void *data, size_t len, uint64_t h);

#ifdef __cplusplus
}
#endif
#endif /* OGEM_CHECKPOINT_H */
