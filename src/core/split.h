/* split.h - how a solver with an exchange (ogem/partition.h) splits its batch
 * over the ranks and keeps them in the same state (split.c): the contiguous
 * block each rank owns, the agreed step status, the gathers of per-init rows,
 * and the deterministic rebalance over the running initializations. Without
 * an exchange every function is the identity of one process owning all. */
#ifndef OGEM_CORE_SPLIT_H
#define OGEM_CORE_SPLIT_H

#include <stddef.h>
#include "ogem/ogem.h"

typedef struct ogem_split {
    const ogem_exchange *ex;  /* NULL: one process                          */
    int P, me;
    long R;
    long *bound;              /* P + 1: rank p owns [bound[p], bound[p+1]) */
    long *count, *displ;      /* P: scratch of a gather                     */
    double *buf;              /* scratch of a gather, grown on demand       */
    size_t buf_cap;
    long rebalances;
} ogem_split;

/* The split of R inits for ex (NULL: one process owning all). */
ogem_status ogem_split_init(ogem_split *sp, const ogem_exchange *ex, long R);
void ogem_split_free(ogem_split *sp);
/* This rank's block [*lo, *hi). */
void ogem_split_own(const ogem_split *sp, long *lo, long *hi);
/* Bytes a gather of rows of `width` doubles over all R inits may need. */
size_t ogem_split_bytes(long R, size_t width, int P);

/* Every rank's status st of the same step becomes one: the failure of the
 * lowest failing rank in the earlier phase (1: evaluation, before any
 * metric; 0: the metrics), with that rank's message in err, prefixed "rank
 * p of P: " when P > 1. *max_k becomes the largest over the ranks. */
ogem_status ogem_split_agree(ogem_split *sp, ogem_status st, int phase, char *err, size_t errlen, int *max_k);

/* rows is R x width doubles; afterwards every rank holds, for every r with
 * which[r] != 0, the row r of the rank that owns r. */
ogem_status ogem_split_gather(ogem_split *sp, double *rows, size_t width, const unsigned char *which);

/* 1 when the running inits (active) have become so unevenly spread that the
 * busiest rank holds more than 5/4 of its fair share; the new bounds then
 * split them evenly by index (ogem_split_rebalance). Depends only on active
 * and the bounds, which every rank holds alike: deterministic. */
int ogem_split_unbalanced(const ogem_split *sp, const unsigned char *active);
void ogem_split_rebalance(ogem_split *sp, const unsigned char *active);

#endif /* OGEM_CORE_SPLIT_H */
