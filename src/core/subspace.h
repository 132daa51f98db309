/* subspace.h - orthonormal bases of span{m_i - m_1}, the only directions the
 * responsibilities depend on (sample_math.h). */
#ifndef OGEM_SUBSPACE_H
#define OGEM_SUBSPACE_H

/* m: n x d means relative to mu*. Writes Q (d x kmax, column q at Q[k*kmax+q])
 * and returns its rank k (<= kmax), or -1 when the rank exceeds kmax.
 * Directions whose residual is below 1e-12 of the spread are dropped. */
int ogem_subspace_basis(int n, int d, const double *m, int kmax, double *Q);

#endif
