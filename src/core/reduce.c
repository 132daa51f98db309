/* reduce.c - a run in d dimensions as the same run in the span of its means
 * (solver.h, ogem_reduce_to_span).
 *
 * Why this is exact. The responsibilities depend on x only through
 * <x, mu_i>; the truth is rotation invariant about its means; and the
 * updates keep every mean in the affine span A of the initial means and the
 * truth means (E[psi_i x] / E[psi_i] lies in A, since the part of x - mu*_j
 * orthogonal to A is independent of psi and has mean 0). So the run, its
 * losses and every distance are those of the run on coordinates in an
 * orthonormal basis of A - mu*_1: k <= n + m - 1 dimensions however large d
 * is. Only the samples differ (they are drawn in k dimensions), which is the
 * subspace estimator's point. */
#include <stdlib.h>
#include <string.h>
#include "core/subspace.h"
#include "math/checked.h"
#include "ogem/ogem.h"

int ogem_reduce_to_span(int n, int d, const double *mu, int m, const double *truth_means, int kmax, double *mu_out,
                        double *truth_out)
{
    if (n < 1 || d < 1 || m < 1 || kmax < 1 || !mu || !truth_means || !mu_out || !truth_out) return -1;
    const int rows = n + m; /* a zero row first: the differences from it are the vectors */
    double *v = malloc(ogem_size_mul(sizeof(double), ogem_size_mul(ogem_count(rows), ogem_count(d))));
    double *Q = calloc(ogem_size_mul(ogem_count(d), ogem_count(kmax)), sizeof(double));
    if (!v || !Q) {
        free(v); free(Q);
        return -1;
    }
    memset(v, 0, sizeof(double) * d);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < d; k++) v[(size_t)(1 + i) * d + k] = mu[(size_t)i * d + k] - truth_means[k];
    for (int j = 1; j < m; j++)
        for (int k = 0; k < d; k++) v[(size_t)(n + j) * d + k] = truth_means[(size_t)j * d + k] - truth_means[k];
    const int rank = ogem_subspace_basis(rows, d, v, kmax, Q);
    if (rank >= 0) {
        for (int row = 0; row < n + m; row++) {
            /* row 0 of v is mu*_1 itself (zero); rows 1..n the means, then the other truth means */
            double *out = row < m ? truth_out + (size_t)row * kmax : mu_out + (size_t)(row - m) * kmax;
            const double *x = row == 0 ? v : row < m ? v + (size_t)(n + row) * d : v + (size_t)(1 + row - m) * d;
            for (int q = 0; q < kmax; q++) {
                double dot = 0.0;
                if (q < rank)
                    for (int k = 0; k < d; k++) dot += Q[(size_t)k * kmax + q] * x[k];
                out[q] = dot;
            }
        }
    }
    free(v);
    free(Q);
    return rank < 0 ? -1 : (rank > 0 ? rank : 1);
}
