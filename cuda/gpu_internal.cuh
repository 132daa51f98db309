/*
 * gpu_internal.cuh - what the files of the CUDA backend share: the backend
 * object, device-buffer bookkeeping (for the peak reported by info()), error
 * mapping, and the host entry points of each kernel file.
 *
 * Files (one job each):
 *   backend_gpu.cu     the ogem_backend object: create, prepare, eval, info
 *   gpu_info.cu        ogem_gpu_count, ogem_gpu_get_caps, peak FLOP/s
 *   kernels_points.cu  point sets: antithetic normals, qmc shifts, layouts
 *   kernels_stationary.cu  the init-stationary fused kernel (small n and K)
 *   kernels_fused.cu   the block fused kernel (every other shape, exact rules),
 *                      and the merge of fused chunk partials both kernels use
 *   kernels_gemm.cu    the cuBLAS path: GEMM, softmax, column scale, GEMM, merge
 *   kernels_exact.cu   per-initialization quadrature rules (exact estimator)
 *
 * Device layout of a shared point set: "SoA", (K + 1) columns of N doubles,
 * element (j, k) at pts[k * N + j]; column K holds ones (the GEMM path reads
 * sum psi from it). In cuBLAS terms: a column-major N x (K + 1) matrix, ld N.
 */
#ifndef OGEM_GPU_INTERNAL_CUH
#define OGEM_GPU_INTERNAL_CUH

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <curand.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {
#include "core/backend.h"
}
#include "math/sample_math.h"

/* Kernel launches and dynamic shared memory go through these two macros, so
 * that the kernels can also be compiled for a host-side emulation (tests of
 * the kernel logic on machines without a GPU: tools/cuda_emu/). */
#ifndef OGEM_LAUNCH
#define OGEM_LAUNCH(kern, grid, block, smem, stream) kern<<<(grid), (block), (smem), (stream)>>>
#endif
#ifndef OGEM_DYN_SHARED
#define OGEM_DYN_SHARED(type, name) extern __shared__ type name[]
#endif

/* Threads of a fused block (a power of two; tile points TP <= this). */
#define OGEM_FUSED_THREADS 128
/* The fused kernel keeps the n scores of a point in registers: n <= this. */
#define OGEM_FUSED_MAX_N 32
/* Stationary kernel: initializations (threads) per block, points per shared
 * tile (and per float partial sum), and its register budget: n (K + 1)
 * partial sums at most (float; double takes two registers per value). */
#define OGEM_STAT_THREADS 64
#define OGEM_STAT_TILE 64
#define OGEM_STAT_SLOTS 64
#define OGEM_STAT_SLOTS_D 32
/* Auto path: the cuBLAS path from this many point dimensions on. */
#define OGEM_GEMM_MIN_K 64
/* At most this many point chunks per initialization (fused partials). */
#define OGEM_FUSED_MAX_CHUNKS 64
/* GEMM path: points per chunk (the bounded piece of the R x N x n tensor). */
#define OGEM_GEMM_CHUNK 4096
/* GEMM path: at most this many score columns (inits x components) per batch,
 * so that a padded last batch wastes little (kernels_gemm.cu). */
#define OGEM_GEMM_BATCH_COLS 1024
/* Workspace budgets (bytes) for fused partials and the GEMM score matrices. */
#define OGEM_FUSED_PART_BUDGET ((size_t)256 << 20)
#define OGEM_GEMM_WS_BUDGET ((size_t)512 << 20)
/* cuBLAS workspace we hand it (fixed, so its algorithms stay deterministic). */
#define OGEM_CUBLAS_WS_BYTES ((size_t)32 << 20)

typedef struct gpu_buf {
    void *p;
    size_t bytes;
} gpu_buf;

/* A host staging buffer (grown on demand, kept): page-locked when it is the
 * end of a cudaMemcpyAsync, so that the copy is a DMA the stream overlaps;
 * pinned says which allocator it came from (cudaMallocHost, or malloc when
 * pinning failed or was not asked for: gpu_host_reserve). */
typedef struct host_buf {
    void *p;
    size_t bytes;
    int pinned;
} host_buf;

typedef struct gpu_backend {
    ogem_backend base;
    int device;
    ogem_estimator kind;
    long N;                 /* points (0 for exact)                                  */
    int K;
    uint64_t seed;
    ogem_precision prec;
    ogem_gpu_path path_req;
    const char *last_path;  /* path of the last eval ("fused"/"gemm")                */
    int block_only;         /* fused path: never the stationary kernel (benchmarks)   */

    cudaStream_t stream;
    cublasHandle_t blas;    /* created on first use of the GEMM path                 */
    curandGenerator_t gen;  /* mc: the Philox generator                              */

    size_t mem_cur, mem_peak;
    int sm_count;
    size_t smem_optin;      /* max dynamic shared memory per block (opt-in)          */

    gpu_buf pts;            /* double SoA (K+1) x N, column K = 1                    */
    gpu_buf ptsf;           /* float copy of pts (float mode: every fused and GEMM read) */
    long pts_version;       /* bumped whenever pts changes                           */
    long ptsf_version;      /* pts_version the float copy was made from (-1: none)   */
    gpu_buf raw;            /* mc: one group's normals; qmc: K x N Sobol integers    */
    gpu_buf shift;          /* qmc: K digital shifts                                 */
    long cur_step;          /* step whose points pts holds (-1: none yet)            */
    long group_steps;       /* mc: steps per seeded draw (backend.h)                 */
    long group;             /* mc: the group whose draw raw holds (-1: none)         */
    int have_points;        /* fixed/data: drawn at create                           */

    /* eval workspaces (grown on demand, kept) */
    gpu_buf la, lc;         /* lines in the compute type: Ra*n, Ra*n*K               */
    gpu_buf lad, lcd;       /* float mode, in double: biases; slopes (exact only:
                               its quadrature is built from double lines)      */
    gpu_buf kd;             /* exact: used dims per active init                      */
    gpu_buf out;            /* log_mass Ra*n | cond_mean Ra*n*K | mean_lse Ra         */
    gpu_buf part;           /* fused partials                                        */
    gpu_buf gS, gPsi, gLSE, gOUT, gRun, gM, gCmax, gLchunk, gLrun; /* GEMM path      */
    gpu_buf gLa, gLc;       /* GEMM path: lines of a padded last batch               */
    gpu_buf qnodes, qw, qcnt, qscr; /* exact: rules of a batch, counts, builder tables */
    gpu_buf qnodesf;        /* exact in float: the batch's nodes narrowed once       */
    gpu_buf blas_ws;

    /* host staging: h_lines (lines up; qmc shifts), h_out (results down) and
     * h_cnt (exact: rule sizes down) are pinned; h_map (the active inits) never
     * leaves the host, so it is plain memory */
    host_buf h_lines, h_out, h_cnt, h_map;
} gpu_backend;

/* ---- errors (gpu_info.cu) ------------------------------------------------- */
ogem_status gpu_fail_cuda(char *msg, size_t len, cudaError_t e, const char *what);
ogem_status gpu_fail_curand(char *msg, size_t len, curandStatus_t e, const char *what);
ogem_status gpu_fail_cublas(char *msg, size_t len, cublasStatus_t e, const char *what);

#define GPU_TRY_CUDA(b, call)                                                          \
    do {                                                                               \
        cudaError_t e_ = (call);                                                       \
        if (e_ != cudaSuccess) return gpu_fail_cuda((b)->base.err, sizeof (b)->base.err, e_, #call); \
    } while (0)
#define GPU_TRY_CURAND(b, call)                                                        \
    do {                                                                               \
        curandStatus_t e_ = (call);                                                    \
        if (e_ != CURAND_STATUS_SUCCESS) return gpu_fail_curand((b)->base.err, sizeof (b)->base.err, e_, #call); \
    } while (0)
#define GPU_TRY_CUBLAS(b, call)                                                        \
    do {                                                                               \
        cublasStatus_t e_ = (call);                                                    \
        if (e_ != CUBLAS_STATUS_SUCCESS) return gpu_fail_cublas((b)->base.err, sizeof (b)->base.err, e_, #call); \
    } while (0)
/* After a kernel launch: launch-configuration errors surface here. */
#define GPU_TRY_LAUNCH(b, what)                                                        \
    do {                                                                               \
        cudaError_t e_ = cudaGetLastError();                                           \
        if (e_ != cudaSuccess) return gpu_fail_cuda((b)->base.err, sizeof (b)->base.err, e_, "launch of " what); \
    } while (0)
#define GPU_TRY(expr)                                                                  \
    do {                                                                               \
        ogem_status s_ = (expr);                                                       \
        if (s_ != OGEM_OK) return s_;                                                  \
    } while (0)

/* ---- device buffers (backend_gpu.cu) ------------------------------------- */
/* Makes buf hold at least bytes (contents are lost when it grows). */
ogem_status gpu_buf_reserve(gpu_backend *b, gpu_buf *buf, size_t bytes, const char *what);
void gpu_buf_release(gpu_backend *b, gpu_buf *buf);
/* Makes hb hold at least bytes (contents are lost when it grows); NULL when
 * out of host memory. pin: page-locked if the driver grants it, else malloc.
 * A buffer must not grow or be released while a copy on b->stream uses it
 * (gpu_eval and gpu_prepare leave none in flight, even when they fail). */
void *gpu_host_reserve(host_buf *hb, size_t bytes, int pin);
void gpu_host_release(host_buf *hb);
/* cuBLAS on first use. */
ogem_status gpu_blas_ready(gpu_backend *b);

/* ---- kernels_points.cu ----------------------------------------------------- */
/* pts column K := 1. */
ogem_status gpu_points_ones(gpu_backend *b);
/* raw (row-major, at least half*K values) -> pts; antithetic: rows N/2+j = -rows j. */
ogem_status gpu_points_from_rowmajor(gpu_backend *b, const double *raw, int antithetic);
/* qmc: pts from the K x N Sobol integers in b->raw and the shifts in b->shift. */
ogem_status gpu_points_qmc(gpu_backend *b);
/* Float mode: b->ptsf := (float) b->pts unless it already holds this step's
 * points (pts_version): one narrowing per step, whichever kernels read it. */
ogem_status gpu_points_float(gpu_backend *b);
/* out[q] := (float) in[q], q < count, on b->stream. */
ogem_status gpu_narrow(gpu_backend *b, const double *in, float *out, size_t count);

/* ---- kernels_fused.cu ------------------------------------------------------ */
/* A point set seen by the fused kernel, in its compute type T (float mode:
 * b->ptsf, or the exact rules narrowed once; never narrowed per tile):
 * element (j, k) of batch init rb at
 * P[rb * p_init_stride + j * sj + k * sk]; optional LOG-weights
 * LW[rb * w_init_stride + j] (a quadrature rule; NULL: equal weights);
 * counts[rb] points (or npts for all when counts is NULL). */
typedef struct fused_points {
    const void *P;      /* T = float or double per b->prec                      */
    long sj, sk, p_init_stride;
    const double *LW;
    long w_init_stride;
    const int *counts;
    long npts;          /* points (or the largest count)                        */
} fused_points;

/* Whether the block kernel can run n components in K dims (shared memory). */
int gpu_fused_supported(const gpu_backend *b, int n, int K, char *why, size_t len);
/* Evaluates RB inits (biases ad in double, coefficients lc in T = float or
 * double per b->prec; compact, rb-major) over pts with the block kernel;
 * writes lm[RB*n], cm[RB*n*K], lse[RB] on the device. */
ogem_status gpu_eval_fused(gpu_backend *b, int RB, int n, int K, const double *ad, const void *lc,
                           const fused_points *pts, double *lm, double *cm, double *lse);
/* Merges chunk partials (per init nch chunks of pstride doubles: scales[n] |
 * sums[n*(K+1)] | sum of w lse | sum of w) in increasing chunk order. */
ogem_status gpu_fused_merge(gpu_backend *b, const double *part, int nch, int pstride, int RB, int n, int K,
                            double *lm, double *cm, double *lse);

/* ---- kernels_stationary.cu ------------------------------------------------- */
/* Whether the stationary kernel has a version for n components in K dims
 * (shared point sets only: not the exact estimator). */
int gpu_stationary_supported(const gpu_backend *b, int n, int K);
/* Evaluates Ra inits over the backend's shared points (ad: biases in double,
 * lc: coefficients in T); outputs as gpu_eval_fused. */
ogem_status gpu_eval_stationary(gpu_backend *b, int Ra, int n, int K, const double *ad, const void *lc, double *lm,
                                double *cm, double *lse);

/* ---- kernels_gemm.cu ------------------------------------------------------- */
/* Ra active inits (compact lines la/lc) out of R: batches depend on R, never
 * on Ra, so an init's results do not depend on the active set. */
ogem_status gpu_eval_gemm(gpu_backend *b, int R, int Ra, int n, int K, const void *la, const void *lc,
                          double *lm, double *cm, double *lse);

/* ---- kernels_exact.cu ------------------------------------------------------ */
/* Largest subspace dimension k of the exact estimator on the GPU (reported by
 * ogem_gpu_get_caps): the rules are counted first and built into buffers of
 * the largest count (kernels_exact.cu), so k = 2 as on the CPU. */
#define OGEM_GPU_EXACT_MAX_K 2
/* Builds the rules of Ra inits (double lines lad/lcd, used dims kd) and
 * evaluates them with the block fused kernel (biases lad, coefficients lc in
 * T). bad_init receives the compact index of an init whose rule could not be
 * built (then OGEM_ERR_UNSUPPORTED). */
ogem_status gpu_eval_exact(gpu_backend *b, int Ra, int n, int K, const double *lad, const double *lcd,
                           const int *kd, const void *lc, double *lm, double *cm, double *lse, int *bad_init);

#endif /* OGEM_GPU_INTERNAL_CUH */
