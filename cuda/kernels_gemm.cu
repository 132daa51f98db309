/*
 * kernels_gemm.cu - the cuBLAS path, for many point dimensions.
 *
 * Active inits are processed in batches of RB (so the score matrices fit a
 * fixed workspace), points in chunks of at most OGEM_GEMM_CHUNK (CB) rows. RB
 * is fixed for a run: it comes from the workspace budget, OGEM_GEMM_BATCH_COLS
 * and the number R of inits, never from how many are active, and the last
 * batch is padded to RB with zero lines. So every GEMM has the same shape
 * whatever the active set (cuBLAS may choose another algorithm, with another
 * order of summation, for another shape), and an init's results do not change
 * bitwise when others deactivate. With cols = RB * n (column r * n + i is
 * component i of batch init r), per chunk:
 *   1. GEMM   S (CB x cols) = P_chunk (CB x K) * C^T (K x cols)         [T]
 *   2. kernel softmax per (point, init): S += a; lse; S := log psi; LSE (double)
 *   3. kernel per column: cmax = max_j log psi; Psi := exp(log psi - cmax)
 *      (the chunk's own scale, so psi of 1e-300 or 1e-3000 keeps its digits);
 *      per init: sum_j lse, a fixed tree
 *   4. DGEMM  OUT (cols x (K+1)) = Psi^T (cols x CB) * [P_chunk, 1]     [double]
 *      column K of the point matrix holds ones, so OUT[:, K] = sum psi
 *   5. kernel per column: (cmax, OUT) merged into the running log-scaled sum
 *      (math/log_sum.h); per init: running lse sum. Chunks in order:
 *      deterministic.
 * Finally: log_mass, cond_mean, mean_lse per column / init.
 * T = float in float precision (SGEMM on a float copy of the points); the
 * second GEMM and every sum are double in both precisions.
 */
#include <math.h>
#include <stdio.h>

#include "gpu_internal.cuh"
#include "math/log_sum.h"

namespace {

__device__ __forceinline__ float gx_exp(float x) { return __expf(x); }
__device__ __forceinline__ double gx_exp(double x) { return exp(x); }
__device__ __forceinline__ float gx_log(float x) { return __logf(x); }
__device__ __forceinline__ double gx_log(double x) { return log(x); }

const int GEMM_THREADS = 256;

/* 2. One thread per (point j, batch init r). S column-major, ld = ldS. */
template <typename T>
__global__ void gemm_softmax_kernel(T *S, int ldS, int cnt, int n, const T *a, double *LSE)
{
    const int j = blockIdx.x * blockDim.x + threadIdx.x, r = blockIdx.y;
    if (j >= cnt) return;
    T *col = S + (size_t)r * n * ldS + j;
    const T *ar = a + (size_t)r * n;
    T mx = -INFINITY;
    for (int i = 0; i < n; i++) {
        const T v = col[(size_t)i * ldS] + ar[i];
        col[(size_t)i * ldS] = v;
        mx = v > mx ? v : mx;
    }
    T sum = (T)0;
    for (int i = 0; i < n; i++) sum += gx_exp(col[(size_t)i * ldS] - mx);
    const T lse = mx + gx_log(sum);
    for (int i = 0; i < n; i++) col[(size_t)i * ldS] -= lse;
    LSE[(size_t)r * ldS + j] = (double)lse;
}

/* 3. Blocks [0, cols): column maximum and Psi; blocks [cols, cols + RB): lse sums. */
template <typename T>
__global__ void __launch_bounds__(GEMM_THREADS)
    gemm_colexp_kernel(const T *S, int ldS, int cnt, int cols, double *Psi, double *cmax, const double *LSE,
                       double *lse_chunk)
{
    __shared__ double red[GEMM_THREADS];
    const int bcol = blockIdx.x, t = threadIdx.x, bd = blockDim.x;
    if (bcol < cols) {
        const T *col = S + (size_t)bcol * ldS;
        T m = -INFINITY;
        for (int j = t; j < cnt; j += bd) m = col[j] > m ? col[j] : m;
        red[t] = (double)m;
        __syncthreads();
        for (int h = bd / 2; h > 0; h >>= 1) {
            if (t < h && red[t + h] > red[t]) red[t] = red[t + h];
            __syncthreads();
        }
        const double M = red[0];
        double *pc = Psi + (size_t)bcol * ldS;
        if (!ogem_lsum_empty(M)) {
            const T Mt = (T)M;
            for (int j = t; j < cnt; j += bd) pc[j] = (double)gx_exp(col[j] - Mt);
        } else {
            for (int j = t; j < cnt; j += bd) pc[j] = 0.0;
        }
        if (t == 0) cmax[bcol] = M;
    } else {
        const int r = bcol - cols;
        const double *L = LSE + (size_t)r * ldS;
        double acc = 0.0;
        for (int j = t; j < cnt; j += bd) acc += L[j];
        red[t] = acc;
        __syncthreads();
        for (int h = bd / 2; h > 0; h >>= 1) {
            if (t < h) red[t] += red[t + h];
            __syncthreads();
        }
        if (t == 0) lse_chunk[r] = red[0];
    }
}

/* Running accumulators: M[cols] = -inf, Run[cols x (K+1)] = 0, Lrun[RB] = 0. */
__global__ void gemm_reset_kernel(double *M, double *Run, int cols, int K, double *Lrun, int RB)
{
    const size_t q = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (q < (size_t)cols) M[q] = OGEM_LOG_ZERO;
    if (q < (size_t)cols * (K + 1)) Run[q] = 0.0;
    if (q < (size_t)RB) Lrun[q] = 0.0;
}

/* 5. One thread per column (and per init for the lse sum). OUT and Run are
 * column-major cols x (K+1), ld cols. */
__global__ void gemm_merge_kernel(const double *OUT, const double *cmax, double *M, double *Run, int cols, int K,
                                  const double *lse_chunk, double *Lrun, int RB)
{
    const int q = blockIdx.x * blockDim.x + threadIdx.x;
    if (q < cols) M[q] = ogem_lsum_merge(M[q], Run + q, cols, cmax[q], OUT + q, cols, K + 1);
    if (q < RB) Lrun[q] += lse_chunk[q];
}

/* Outputs of the batch's first rb inits (the rest is padding): lm[cols],
 * cm[cols x K] (row-major, init-major), lse[rb]; Run has leading dimension ld. */
__global__ void gemm_final_kernel(const double *M, const double *Run, int ld, int cols, int K, const double *Lrun,
                                  int rb, double N, double *lm, double *cm, double *lse)
{
    const int q = blockIdx.x * blockDim.x + threadIdx.x;
    if (q < cols) {
        const double s0 = Run[q + (size_t)K * ld], m = M[q];
        lm[q] = ogem_lsum_log(m, s0, log(N));
        for (int k = 0; k < K; k++) cm[(size_t)q * K + k] = ogem_lsum_ratio(m, Run[q + (size_t)k * ld], s0);
    }
    if (q < rb) lse[q] = Lrun[q] / N;
}

inline unsigned blocks_for(size_t work, int threads) { return (unsigned)((work + threads - 1) / threads); }

inline cublasStatus_t gemm_nn(cublasHandle_t h, int m, int n, int k, const float *A, int lda, const float *B, int ldb,
                              float *C, int ldc)
{
    const float one = 1.0f, zero = 0.0f;
    return cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &one, A, lda, B, ldb, &zero, C, ldc);
}

inline cublasStatus_t gemm_nn(cublasHandle_t h, int m, int n, int k, const double *A, int lda, const double *B,
                              int ldb, double *C, int ldc)
{
    const double one = 1.0, zero = 0.0;
    return cublasDgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &one, A, lda, B, ldb, &zero, C, ldc);
}

/* Steps 1-3 for one chunk of cnt points (P: its first row, ld = b->N). */
template <typename T>
ogem_status chunk_weights(gpu_backend *b, const T *P, const T *c, const T *a, T *S, int CB, int cnt, int cols, int rb,
                          int n, int K, double *Psi, double *Cmax, double *LSE, double *Lch)
{
    GPU_TRY_CUBLAS(b, gemm_nn(b->blas, cnt, cols, K, P, (int)b->N, c, K, S, CB));
    OGEM_LAUNCH(gemm_softmax_kernel<T>, dim3(blocks_for(cnt, GEMM_THREADS), rb), GEMM_THREADS, 0, b->stream)(
        S, CB, cnt, n, a, LSE);
    GPU_TRY_LAUNCH(b, "GEMM softmax kernel");
    OGEM_LAUNCH(gemm_colexp_kernel<T>, cols + rb, GEMM_THREADS, 0, b->stream)(S, CB, cnt, cols, Psi, Cmax, LSE, Lch);
    GPU_TRY_LAUNCH(b, "GEMM column kernel");
    return OGEM_OK;
}

} /* namespace */

ogem_status gpu_eval_gemm(gpu_backend *b, int R, int Ra, int n, int K, const void *la, const void *lc,
                          double *lm, double *cm, double *lse)
{
    const int flt = b->prec == OGEM_PREC_FLOAT;
    const size_t tsize = flt ? sizeof(float) : sizeof(double);
    const long N = b->N;
    const int CB = N < OGEM_GEMM_CHUNK ? (int)N : OGEM_GEMM_CHUNK;

    GPU_TRY(gpu_blas_ready(b));
    if (flt) GPU_TRY(gpu_points_float(b));

    /* the batch (see the top): S (T) + Psi (double) per column, LSE per init */
    const size_t per_init = (size_t)CB * ((size_t)n * (tsize + sizeof(double)) + sizeof(double));
    size_t cap = OGEM_GEMM_WS_BUDGET / per_init;
    if (cap > (size_t)(OGEM_GEMM_BATCH_COLS / n)) cap = (size_t)(OGEM_GEMM_BATCH_COLS / n);
    if (cap > (size_t)R) cap = (size_t)R;
    if (cap < 1) cap = 1;
    const int RB = (int)cap, cols = RB * n;
    const size_t colsz = (size_t)cols;

    GPU_TRY(gpu_buf_reserve(b, &b->gS, colsz * CB * tsize, "GEMM scores"));
    GPU_TRY(gpu_buf_reserve(b, &b->gPsi, colsz * CB * sizeof(double), "GEMM responsibilities"));
    GPU_TRY(gpu_buf_reserve(b, &b->gLSE, (size_t)RB * CB * sizeof(double), "GEMM log-sum-exp"));
    GPU_TRY(gpu_buf_reserve(b, &b->gOUT, colsz * (K + 1) * sizeof(double), "GEMM sums"));
    GPU_TRY(gpu_buf_reserve(b, &b->gRun, colsz * (K + 1) * sizeof(double), "GEMM running sums"));
    GPU_TRY(gpu_buf_reserve(b, &b->gM, colsz * sizeof(double), "GEMM running scales"));
    GPU_TRY(gpu_buf_reserve(b, &b->gCmax, colsz * sizeof(double), "GEMM chunk maxima"));
    GPU_TRY(gpu_buf_reserve(b, &b->gLchunk, (size_t)RB * sizeof(double), "GEMM lse sums"));
    GPU_TRY(gpu_buf_reserve(b, &b->gLrun, (size_t)RB * sizeof(double), "GEMM lse sums"));
    if (Ra % RB) { /* the padded last batch */
        GPU_TRY(gpu_buf_reserve(b, &b->gLa, colsz * tsize, "GEMM padded lines"));
        GPU_TRY(gpu_buf_reserve(b, &b->gLc, colsz * K * tsize, "GEMM padded lines"));
    }

    double *S_d = (double *)b->gS.p;
    float *S_f = (float *)b->gS.p;
    double *Psi = (double *)b->gPsi.p, *LSE = (double *)b->gLSE.p, *OUT = (double *)b->gOUT.p;
    double *Run = (double *)b->gRun.p, *M = (double *)b->gM.p, *Cmax = (double *)b->gCmax.p;
    double *Lch = (double *)b->gLchunk.p, *Lrun = (double *)b->gLrun.p;
    const double *Pd = (const double *)b->pts.p;
    const float *Pf = (const float *)b->ptsf.p;

    for (int b0 = 0; b0 < Ra; b0 += RB) {
        const int rb = Ra - b0 < RB ? Ra - b0 : RB;
        const void *ab = (const char *)la + (size_t)b0 * n * tsize;
        const void *cb = (const char *)lc + (size_t)b0 * n * K * tsize;
        if (rb < RB) {
            /* the same shapes as a full batch: rb inits, then zero lines (finite scores) */
            const size_t ua = (size_t)rb * n * tsize, uc = ua * K;
            GPU_TRY_CUDA(b, cudaMemcpyAsync(b->gLa.p, ab, ua, cudaMemcpyDeviceToDevice, b->stream));
            GPU_TRY_CUDA(b, cudaMemcpyAsync(b->gLc.p, cb, uc, cudaMemcpyDeviceToDevice, b->stream));
            GPU_TRY_CUDA(b, cudaMemsetAsync((char *)b->gLa.p + ua, 0, colsz * tsize - ua, b->stream));
            GPU_TRY_CUDA(b, cudaMemsetAsync((char *)b->gLc.p + uc, 0, colsz * K * tsize - uc, b->stream));
            ab = b->gLa.p;
            cb = b->gLc.p;
        }

        OGEM_LAUNCH(gemm_reset_kernel, blocks_for(colsz * (K + 1), GEMM_THREADS), GEMM_THREADS, 0, b->stream)(
            M, Run, cols, K, Lrun, RB);
        GPU_TRY_LAUNCH(b, "GEMM reset kernel");

        for (long j0 = 0; j0 < N; j0 += CB) {
            const int cnt = N - j0 < CB ? (int)(N - j0) : CB;
            /* 1-3. scores, log psi, chunk scales, Psi */
            if (flt)
                GPU_TRY(chunk_weights<float>(b, Pf + j0, (const float *)cb, (const float *)ab, S_f, CB, cnt, cols, RB,
                                             n, K, Psi, Cmax, LSE, Lch));
            else
                GPU_TRY(chunk_weights<double>(b, Pd + j0, (const double *)cb, (const double *)ab, S_d, CB, cnt, cols,
                                              RB, n, K, Psi, Cmax, LSE, Lch));
            /* 4. sums: OUT = Psi^T [P, 1] */
            const double one = 1.0, zero = 0.0;
            GPU_TRY_CUBLAS(b, cublasDgemm(b->blas, CUBLAS_OP_T, CUBLAS_OP_N, cols, K + 1, cnt, &one, Psi, CB, Pd + j0,
                                          (int)N, &zero, OUT, cols));
            /* 5. merge */
            OGEM_LAUNCH(gemm_merge_kernel, blocks_for(colsz, GEMM_THREADS), GEMM_THREADS, 0, b->stream)(
                OUT, Cmax, M, Run, cols, K, Lch, Lrun, RB);
            GPU_TRY_LAUNCH(b, "GEMM merge kernel");
        }
        OGEM_LAUNCH(gemm_final_kernel, blocks_for((size_t)rb * n, GEMM_THREADS), GEMM_THREADS, 0, b->stream)(
            M, Run, cols, rb * n, K, Lrun, rb, (double)N, lm + (size_t)b0 * n, cm + (size_t)b0 * n * K, lse + b0);
        GPU_TRY_LAUNCH(b, "GEMM final kernel");
    }
    return OGEM_OK;
}
