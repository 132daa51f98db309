/* subspace.c - Gram-Schmidt on the mean differences, twice ("twice is
 * enough", Kahan-Parlett), so the basis stays orthonormal to rounding even
 * when differences are nearly parallel. */
#include <math.h>
#include <stdlib.h>
#include "core/subspace.h"

int ogem_subspace_basis(int n, int d, const double *m, int kmax, double *Q)
{
    double spread = 0.0;
    for (int i = 1; i < n; i++) {
        double s = 0.0;
        for (int k = 0; k < d; k++) {
            double v = m[i * d + k] - m[k];
            s += v * v;
        }
        spread = fmax(spread, sqrt(s));
    }
    if (spread == 0.0) return 0;
    double *v = malloc(sizeof(double) * d);
    if (!v) return -1;
    int rank = 0;
    for (int i = 1; i < n; i++) {
        for (int k = 0; k < d; k++) v[k] = m[i * d + k] - m[k];
        for (int pass = 0; pass < 2; pass++)
            for (int q = 0; q < rank && q < kmax; q++) {
                double dot = 0.0;
                for (int k = 0; k < d; k++) dot += Q[k * kmax + q] * v[k];
                for (int k = 0; k < d; k++) v[k] -= dot * Q[k * kmax + q];
            }
        double norm = 0.0;
        for (int k = 0; k < d; k++) norm += v[k] * v[k];
        norm = sqrt(norm);
        if (norm <= 1e-12 * spread) continue;
        if (rank == kmax) { free(v); return -1; }
        for (int k = 0; k < d; k++) Q[k * kmax + rank] = v[k] / norm;
        rank++;
    }
    free(v);
    return rank;
}
