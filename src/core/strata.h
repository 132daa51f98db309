/* strata.h - a mixture truth's expectations, one line set per truth component
 * (strata.c; the reasoning is at the top of solver.c). The driver owns the
 * means and weights; this module owns the stratified line sets and turns a
 * backend's moments for them back into one initialization's. */
#ifndef OGEM_STRATA_H
#define OGEM_STRATA_H

#include <stddef.h>
#include "core/backend.h"

/* How the points of a stratum are laid out:
 *   FULL   K = d: the points are z itself (mc, qmc, fixed without --subspace);
 *   SUB    K = min(d, n + m - 1): coordinates in an orthonormal basis of
 *          span{m_i, toff_l} per init (mc, qmc with --subspace);
 *   EXACT  K <= 2: the model's lines in span{m_i - m_1} per init, the truth's
 *          in span{toff_l} (quadrature; dropped common terms have mean 0). */
typedef enum { OGEM_STRATA_FULL = 0, OGEM_STRATA_SUB = 1, OGEM_STRATA_EXACT = 2 } ogem_strata_mode;

typedef struct ogem_strata {
    int R, n, m, d, K, T;         /* T truth line sets: R m (SUB) or m      */
    ogem_strata_mode mode;
    int truth_const, truth_done;  /* the truth sets' results do not change  */
    /* model sets q = r m + j: a (R m n), c (R m n K), k, work (R m),
     * moments lm (R m n), cm (R m n K), lse (R m); Q: R x d x K */
    double *a, *c, *lm, *cm, *lse, *Q;
    int *k;
    unsigned char *work;
    /* truth sets: T sets of m lines, same layout */
    double *ta, *tc, *tlm, *tcm, *tlse, *P;   /* P: d x K (EXACT) */
    int *tk;
    unsigned char *twork;
    double *vbuf, *acc;           /* (n + m) x d (d x ... scratch), 2 (d + 1) */
} ogem_strata;

/* Bytes init allocates (saturating), for the memory budget. */
size_t ogem_strata_bytes(int R, int n, int m, int d, int K, ogem_strata_mode mode);
/* truth_const: the truth sets' points never change (exact, fixed). */
ogem_status ogem_strata_init(ogem_strata *b, int R, int n, int m, int d, int K, ogem_strata_mode mode,
                             int truth_const);
void ogem_strata_free(ogem_strata *b);

/* The truth, relative to mu*_1: toff (m x d, row 0 zero), log weights and
 * weights (m). */
typedef struct ogem_truth_rel {
    int m;
    const double *toff, *logw, *w;
} ogem_truth_rel;

/* Expectations of the inits marked in work (R) at means m (R x n x d,
 * relative to mu*_1) with log weights logpi (R x n), on the points the
 * backend has prepared: log_mass (R x n), xbar (R x n x d, relative to mu*_1)
 * and mean_lse (R; -KL(truth || model)). max_k: raised to the largest
 * subspace rank seen. Errors: the status, the message in err. */
ogem_status ogem_strata_eval(ogem_strata *b, ogem_backend *be, const ogem_truth_rel *t, const double *m,
                             const double *logpi, const unsigned char *work, double *log_mass, double *xbar,
                             double *mean_lse, int *max_k, char *err, size_t len);

#endif
