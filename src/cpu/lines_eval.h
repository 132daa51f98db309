/* lines_eval.h - the CPU reference kernel: expectations of one initialization's
 * line set over a weighted point set. See backend.h for what is computed. */
#ifndef OGEM_LINES_EVAL_H
#define OGEM_LINES_EVAL_H

#include <stddef.h>

/* Points are processed in chunks of this many; the scratch is O(chunk * n). */
#define OGEM_CHUNK 256

typedef struct ogem_eval_scratch {
    int n, K;
    double *buf;
} ogem_eval_scratch;

int ogem_eval_scratch_init(ogem_eval_scratch *ws, int n, int K);
void ogem_eval_scratch_free(ogem_eval_scratch *ws);

/* One initialization: n lines a[i] + <c[i*K .. i*K+K), p>, points stored
 * dimension-major (coordinate k of point j at pts[k * ldp + j], so the inner
 * loops over points are contiguous; ldp >= P), and log-weights logw (P
 * values, or NULL for equal weights; logs, so that quadrature weights deep in
 * the Gaussian's tail cannot underflow). Writes log_mass[n], cond_mean[n*K]
 * and *mean_lse. A component with no mass at all
 * gets log_mass = -inf and cond_mean = NaN. */
void ogem_eval_lines(int n, int K, const double *a, const double *c,
                     const double *pts, long ldp, long P, const double *logw, ogem_eval_scratch *ws,
                     double *log_mass, double *cond_mean, double *mean_lse);

#endif
