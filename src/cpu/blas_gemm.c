/* blas_gemm.c - DGEMM through the BLAS's Fortran interface, and OpenBLAS's
 * thread setting (see blas_gemm.h). OGEM_HAVE_BLAS and OGEM_HAVE_OPENBLAS come
 * from CMake (OGEM_BLAS). */
#include "cpu/blas_gemm.h"

#ifdef OGEM_HAVE_BLAS
/* The reference BLAS interface: every argument by address, 32-bit integers
 * (Debian's OpenBLAS and BLIS are LP64), hidden string lengths unused for
 * one-character options. */
void dgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k, const double *alpha,
            const double *A, const int *lda, const double *B, const int *ldb, const double *beta, double *C,
            const int *ldc);

int ogem_blas_available(void) { return 1; }

void ogem_dgemm(char ta, char tb, int m, int n, int k, double alpha, const double *A, long lda, const double *B,
                long ldb, double beta, double *C, long ldc)
{
    const int la = (int)lda, lb = (int)ldb, lc = (int)ldc;   /* callers check the int range */
    dgemm_(&ta, &tb, &m, &n, &k, &alpha, A, &la, B, &lb, &beta, C, &lc);
}
#else
int ogem_blas_available(void) { return 0; }

void ogem_dgemm(char ta, char tb, int m, int n, int k, double alpha, const double *A, long lda, const double *B,
                long ldb, double beta, double *C, long ldc)
{
    (void)ta; (void)tb; (void)m; (void)n; (void)k; (void)alpha; (void)A; (void)lda;
    (void)B; (void)ldb; (void)beta; (void)C; (void)ldc;   /* unreachable: available() is 0 */
}
#endif

#ifdef OGEM_HAVE_OPENBLAS
int openblas_get_num_threads(void);
void openblas_set_num_threads(int num_threads);

int ogem_blas_serial_begin(void)
{
    const int saved = openblas_get_num_threads();
    if (saved != 1) openblas_set_num_threads(1);
    return saved;
}

void ogem_blas_serial_end(int saved)
{
    if (saved != 1) openblas_set_num_threads(saved);
}
#else
/* BLIS is single-threaded unless told otherwise (BLIS_NUM_THREADS), and a
 * BLAS built on OpenMP runs single-threaded inside an active parallel region. */
int ogem_blas_serial_begin(void) { return 0; }
void ogem_blas_serial_end(int saved) { (void)saved; }
#endif
