/* blas_gemm.h - the one BLAS routine the CPU backend uses (DGEMM, column-major,
 * through the Fortran interface every BLAS exports), and keeping the BLAS
 * single-threaded while the backend's own threads call it. Built with BLAS
 * when CMake finds OpenBLAS or BLIS (OGEM_BLAS); without, available() is 0
 * and nothing else may be called. */
#ifndef OGEM_BLAS_GEMM_H
#define OGEM_BLAS_GEMM_H

/* 1 when a BLAS is linked in. */
int ogem_blas_available(void);

/* C = alpha op(A) op(B) + beta C, op = 'N' or 'T'; column-major, m x n result,
 * inner dimension k (beta = 0: C is not read). */
void ogem_dgemm(char ta, char tb, int m, int n, int k, double alpha, const double *A, long lda, const double *B,
                long ldb, double beta, double *C, long ldc);

/* Around a parallel region whose threads call ogem_dgemm: makes the BLAS run
 * each call on the calling thread alone (OpenBLAS would otherwise split every
 * call over its own pool, and serialise concurrent callers on it), and
 * restores its setting after. Returns the setting to pass back. */
int ogem_blas_serial_begin(void);
void ogem_blas_serial_end(int saved);

#endif
