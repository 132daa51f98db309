/*
 * log_sum.h - log-scaled sums: how every backend accumulates the per-component
 * sums of psi and psi * p over chunks of points, written once for the CPU
 * reference (src/cpu/lines_eval.c) and both GPU kernels (cuda/kernels_fused.cu,
 * cuda/kernels_gemm.cu).
 *
 * A log-scaled sum is a scale m and values v[0..cnt), representing the sums
 * exp(m) * v[k]. Keeping the scale apart means that a component whose
 * responsibilities are all around 1e-300, or far below the smallest double,
 * still contributes its exact ratio v[k] / v[K] (which is what EM needs)
 * instead of flushing to 0/0.
 *
 * Empty. A sum is empty (holds no mass at all) exactly when its scale is -inf
 * (or NaN): ogem_lsum_empty is the one test, used for the accumulators, for
 * the chunks merged into them and for the final outputs. Whoever produces a
 * chunk sets its scale to -inf when the chunk has no mass, and otherwise to a
 * finite value with a positive mass in it (the chunk's largest log term, whose
 * own term is then 1; or 0 for a chunk kept unscaled). The test looks at the
 * scale only, so a kernel that merges one value per thread can decide it
 * without reading a mass another thread is updating.
 *
 * Everything is double: the GPU kernels score in float or double but always
 * sum in double, so no float variant is needed.
 */
#ifndef OGEM_LOG_SUM_H
#define OGEM_LOG_SUM_H

#include <math.h>
#include "math/hd.h"

/* The scale of an empty sum (what accumulators start from). */
#define OGEM_LOG_ZERO (-INFINITY)

/* 1 when the log-scaled sum with scale m holds no mass. */
OGEM_HD int ogem_lsum_empty(double m) { return !(m > OGEM_LOG_ZERO); }

/* The scale of the merge of sums with scales m and mb: the larger one, so
 * that neither side is ever multiplied by more than 1. */
OGEM_HD double ogem_lsum_scale(double m, double mb)
{
    return ogem_lsum_empty(mb) || mb <= m ? m : mb;
}

/* Adds the sum (mb; vb[k * sb], k < cnt) into (m; v[k * sv]) and returns the
 * new scale, ogem_lsum_scale(m, mb). The side with the smaller scale is
 * multiplied by exp(smaller - larger) <= 1, so neither side overflows. A
 * stride of 0 with cnt = 1 merges one value (a kernel thread per value, the
 * scale being updated separately with ogem_lsum_scale). */
OGEM_HD double ogem_lsum_merge(double m, double *v, long sv, double mb, const double *vb, long sb, int cnt)
{
    if (ogem_lsum_empty(mb)) return m;
    if (ogem_lsum_empty(m)) {
        for (int k = 0; k < cnt; k++) v[k * sv] = vb[k * sb];
    } else if (mb <= m) {
        const double f = exp(mb - m);
        for (int k = 0; k < cnt; k++) v[k * sv] += f * vb[k * sb];
    } else {
        const double f = exp(m - mb);
        for (int k = 0; k < cnt; k++) v[k * sv] = f * v[k * sv] + vb[k * sb];
    }
    return ogem_lsum_scale(m, mb);
}

/* log(exp(m) * s0) - log_norm: the log of the normalised mass of a sum whose
 * mass value is s0; -inf when the sum is empty. */
OGEM_HD double ogem_lsum_log(double m, double s0, double log_norm)
{
    return ogem_lsum_empty(m) ? OGEM_LOG_ZERO : m + log(s0) - log_norm;
}

/* The ratio v / s0 of two values of one sum (a conditional mean); NaN when
 * the sum is empty, since no mass means no mean. */
OGEM_HD double ogem_lsum_ratio(double m, double v, double s0)
{
    return ogem_lsum_empty(m) ? NAN : v / s0;
}

#endif /* OGEM_LOG_SUM_H */
