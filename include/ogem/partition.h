/*
 * ogem/partition.h - running one batch of initializations on P cooperating
 * processes (MPI ranks, or anything else that can exchange doubles): the
 * exchange a caller provides, and how the solver splits the batch. Part of
 * ogem/ogem.h, which callers include.
 *
 * The library itself never links MPI: the caller (the `ogem` command line's
 * cli_mpi.c) fills an ogem_exchange with callbacks over its communicator and
 * sets ogem_settings.exchange on every rank, with the same settings
 * otherwise. Every rank then holds all R initializations' means, draws the
 * same samples for every step (the sampling plan depends only on the seed and
 * the step), but evaluates only the initializations it owns: a contiguous
 * block of indices. After each step the ranks exchange what every one needs
 * to stay in the same state: one status (so a failure on one rank is the
 * same failure, with the same message, on all), the metrics of every
 * running initialization, and the largest subspace dimension. The updated
 * means are exchanged lazily: only ogem_solver_get_means (and so
 * ogem_checkpoint_capture), ogem_solver_moments and a rebalance need them, so
 * a step costs O(R) doubles of communication, not O(R n d).
 *
 * Results do not depend on P: an initialization's arithmetic involves only
 * its own means and the shared samples, whichever rank does it.
 *
 * Collective calls: with an exchange, ogem_solver_step, ogem_solver_moments,
 * ogem_solver_get_means, ogem_solver_set_active and ogem_checkpoint_capture
 * must be called by every rank, in the same order, with the same arguments
 * (SPMD). Creating, set_means, seek and the rest are local.
 */
#ifndef OGEM_PARTITION_H
#define OGEM_PARTITION_H

#include "ogem/solver.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the caller's communicator does for the solver. Every callback returns
 * 0 on success and non-zero when the communication failed (the solver then
 * fails with OGEM_ERR_IO). ctx is passed back unchanged. */
typedef struct ogem_exchange {
    int rank, size;  /* 0 <= rank < size                                           */
    void *ctx;
    /* In place: on entry rank p's count[p] doubles are at buf + displ[p] (the
     * blocks are disjoint and in rank order); on return every rank's buf holds
     * every block (MPI_Allgatherv with MPI_IN_PLACE). */
    int (*allgatherv)(void *ctx, double *buf, const long *count, const long *displ);
    /* In place, elementwise: v[j] becomes the largest v[j] over the ranks. */
    int (*max_int)(void *ctx, int *v, int len);
    /* root's len bytes at buf to every rank's buf. */
    int (*broadcast)(void *ctx, void *buf, long len, int root);
} ogem_exchange;

/* The first index and the count of rank p's block when `items` items are
 * split into `size` contiguous blocks by index: [p items / size, (p + 1)
 * items / size). Deterministic: it depends on nothing but its arguments. */
void ogem_partition_block(long items, int size, int p, long *first, long *count);

/* How a solver with an exchange has split its batch right now: bounds[p] ..
 * bounds[p + 1] - 1 are rank p's initializations (bounds has size + 1
 * entries), and how many times it has moved the bounds to rebalance the
 * running initializations. OGEM_ERR_INVALID for a solver without exchange. */
ogem_status ogem_solver_partition(const ogem_solver *s, long *bounds, int max_bounds, long *rebalances);

#ifdef __cplusplus
}
#endif
#endif /* OGEM_PARTITION_H */
