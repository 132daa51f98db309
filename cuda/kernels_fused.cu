/*
 * kernels_fused.cu - the block fused kernel: one block computes, for one
 * initialization and one chunk of points, the scores, the log-sum-exp, the log
 * responsibilities and the per-component sums, without writing any per-point
 * value to global memory; a second kernel merges the chunk partials of each
 * initialization in a fixed order (also for kernels_stationary.cu, the hot
 * path for small shapes; this kernel takes every other shape up to
 * OGEM_FUSED_MAX_N components and the exact estimator's per-init rules).
 *
 * Block (init rb, chunk ch), OGEM_FUSED_THREADS threads, tiles of TP points:
 *   A  thread t <-> point t of the tile: p from global (coalesced, SoA), in T
 *      (float mode: the points' float copy, made once per step, or the exact
 *      rules narrowed once per batch: no per-tile conversion), kept in a
 *      shared row; dots t_i = <c_i, p> accumulated from 0 in registers (T =
 *      float or double); lse of s_i = a_i + t_i; l_i = t_i - lse (+ log w_j
 *      for quadrature rules) to shared: log psi_i = a_i + l_i with the bias
 *      a_i (double) kept out of the T values, so that a far component's
 *      a_i ~ -450 costs no float digits (its ulp would be 3e-5).
 *   B  per component, the tile maximum of l (warp reductions; max is exact,
 *      so order does not matter); the tile's scale is a_i + that max, in
 *      double.
 *   C  w_ij = exp(l_ij - tilemax_i), in place.
 *   D  slot (i, k), k < K: sum_j w_ij p_jk; slot (i, K): sum_j w_ij - in double,
 *      threads split over slots and (when slots are few) over interleaved point
 *      groups, each group summing in a fixed order, groups added in a fixed
 *      order; then merged into the block's running log-scaled sums
 *      (math/log_sum.h: scale = the running maximum; one thread per slot).
 * Partials per (rb, ch): m[n] | acc[n*(K+1)] | sum w*lse | sum w.
 * Merge kernel: per init, chunks in increasing order. No float atomics anywhere:
 * results are bitwise reproducible for a given device and chunking (which
 * depends only on the point count, K and n, never on R or the active set).
 */
#include <math.h>
#include <stdio.h>

#include "gpu_internal.cuh"
#include "math/log_sum.h"

namespace {

__device__ __forceinline__ float fx_exp(float x) { return __expf(x); }
__device__ __forceinline__ double fx_exp(double x) { return exp(x); }
__device__ __forceinline__ float fx_log(float x) { return __logf(x); }
__device__ __forceinline__ double fx_log(double x) { return log(x); }
template <typename T> __device__ __forceinline__ T fx_ninf();
template <> __device__ __forceinline__ float fx_ninf<float>() { return -INFINITY; }
template <> __device__ __forceinline__ double fx_ninf<double>() { return -INFINITY; }

struct fused_args {
    int n, K, TP, ks;      /* ks: stride of a shared point row (odd: no bank conflicts) */
    long CH;               /* points per chunk (a multiple of TP)                     */
    int nch;
    fused_points pts;      /* already offset to the batch                             */
    const double *ad;      /* biases, double, offset to the batch                     */
    const void *c;         /* coefficients in T, offset to the batch                  */
    double *part;
    int pstride;
};

/* Shared memory of one block, in bytes (doubles first, then T arrays). */
size_t fused_smem_bytes(int n, int K, int TP, int nmax, size_t tsize)
{
    const int bd = OGEM_FUSED_THREADS, S = n * (K + 1), ks = K | 1;
    const int red = S > 2 * bd ? S : 2 * bd;
    return sizeof(double) * ((size_t)S + 3 * (size_t)nmax + (size_t)red) +
           tsize * ((size_t)K * nmax + nmax + (size_t)TP * ks + (size_t)nmax * TP);
}

template <typename T, int NMAX>
__global__ void __launch_bounds__(OGEM_FUSED_THREADS) fused_kernel(fused_args A)
{
    OGEM_DYN_SHARED(double, smem);
    const int n = A.n, K = A.K, TP = A.TP, ks = A.ks, S = n * (K + 1);
    const int bd = OGEM_FUSED_THREADS, t = threadIdx.x;
    const int rb = blockIdx.y, ch = blockIdx.x;
    const int RED = S > 2 * bd ? S : 2 * bd;

    double *run = smem;                  /* S     running sums (scale run_m)     */
    double *run_m = run + S;             /* NMAX  running scale per component    */
    double *tmax = run_m + NMAX;         /* NMAX  tile maximum of l (log psi - a) */
    double *ad_sh = tmax + NMAX;         /* NMAX  biases a_i                     */
    double *red = ad_sh + NMAX;          /* RED   tile sums by group, reductions */
    T *c_sh = (T *)(red + RED);          /* K x NMAX, [k][i]                     */
    T *a_sh = c_sh + (size_t)K * NMAX;   /* NMAX                                 */
    T *pt = a_sh + NMAX;                 /* TP rows of ks                        */
    T *lp = pt + (size_t)TP * ks;        /* NMAX x TP: log psi, then weights     */

    const fused_points &Pp = A.pts;
    const long npts = Pp.counts ? (long)Pp.counts[rb] : Pp.npts;
    const long j0 = (long)ch * A.CH;
    const long j1 = j0 + A.CH < npts ? j0 + A.CH : npts;
    const T *P = (const T *)Pp.P + (size_t)rb * Pp.p_init_stride;
    const double *LW = Pp.LW ? Pp.LW + (size_t)rb * Pp.w_init_stride : NULL;
    const double *ad = A.ad + (size_t)rb * n;
    const T *c = (const T *)A.c + (size_t)rb * n * K;

    for (int q = t; q < K * NMAX; q += bd) {
        const int k = q / NMAX, i = q % NMAX;
        c_sh[q] = i < n ? c[(size_t)i * K + k] : (T)0;
    }
    for (int i = t; i < NMAX; i += bd) {
        ad_sh[i] = i < n ? ad[i] : 0.0;
        a_sh[i] = (T)ad_sh[i];
        run_m[i] = OGEM_LOG_ZERO;
    }
    for (int s = t; s < S; s += bd) run[s] = 0.0;
    double lse_acc = 0.0, w_acc = 0.0;
    const int grouped = S < bd;
    const int G = grouped ? bd / S : 1;
    __syncthreads();

    for (long base = j0; base < j1; base += TP) {
        const int cnt = (int)(j1 - base < TP ? j1 - base : TP);

        /* A: scores, lse, log psi of point t */
        if (t < TP) {
            if (t < cnt) {
                const long j = base + t;
                T *prow = pt + (size_t)t * ks;
                T s[NMAX];
#pragma unroll
                for (int i = 0; i < NMAX; i++) s[i] = (T)0;
                for (int k = 0; k < K; k++) {
                    const T p = P[j * Pp.sj + k * Pp.sk];
                    prow[k] = p;
                    const T *ck = c_sh + (size_t)k * NMAX;
#pragma unroll
                    for (int i = 0; i < NMAX; i++)
                        if (i < n) s[i] = ck[i] * p + s[i];
                }
                T mx = a_sh[0] + s[0];
#pragma unroll
                for (int i = 1; i < NMAX; i++)
                    if (i < n) mx = a_sh[i] + s[i] > mx ? a_sh[i] + s[i] : mx;
                T sum = (T)0;
#pragma unroll
                for (int i = 0; i < NMAX; i++)
                    if (i < n) sum += fx_exp((a_sh[i] + s[i]) - mx);
                const T lse = mx + fx_log(sum);
                const double lwj = LW ? LW[j] : 0.0;
                const double wj = LW ? exp(lwj) : 1.0;
                const T lw = (T)lwj;
                lse_acc += wj * (double)lse;
                w_acc += wj;
#pragma unroll
                for (int i = 0; i < NMAX; i++)
                    if (i < n) lp[(size_t)i * TP + t] = (s[i] - lse) + lw;
            } else {
                for (int i = 0; i < n; i++) lp[(size_t)i * TP + t] = fx_ninf<T>();
            }
        }
        __syncthreads();

        /* B: tile maximum per component */
        {
            const int warp = t >> 5, lane = t & 31, nw = bd >> 5;
            for (int i = warp; i < n; i += nw) {
                T m = fx_ninf<T>();
                for (int q = lane; q < TP; q += 32) {
                    const T v = lp[(size_t)i * TP + q];
                    m = v > m ? v : m;
                }
                for (int off = 16; off > 0; off >>= 1) {
                    const T o = __shfl_xor_sync(0xffffffffu, m, off);
                    m = o > m ? o : m;
                }
                if (lane == 0) tmax[i] = (double)m;
            }
        }
        __syncthreads();

        /* C: weights relative to the tile maximum */
        if (t < TP) {
            for (int i = 0; i < n; i++) {
                const double tm = tmax[i];
                T *v = lp + (size_t)i * TP + t;
                *v = ogem_lsum_empty(tm) ? (T)0 : fx_exp(*v - (T)tm);
            }
        }
        __syncthreads();

        /* D: tile sums per slot, by group */
        if (grouped) {
            if (t < G * S) {
                const int slot = t % S, g = t / S, i = slot / (K + 1), k = slot % (K + 1);
                const T *wi = lp + (size_t)i * TP;
                double acc = 0.0;
                if (k < K)
                    for (int q = g; q < cnt; q += G) acc += (double)wi[q] * (double)pt[(size_t)q * ks + k];
                else
                    for (int q = g; q < cnt; q += G) acc += (double)wi[q];
                red[g * S + slot] = acc;
            }
        } else {
            for (int slot = t; slot < S; slot += bd) {
                const int i = slot / (K + 1), k = slot % (K + 1);
                const T *wi = lp + (size_t)i * TP;
                double acc = 0.0;
                if (k < K)
                    for (int q = 0; q < cnt; q++) acc += (double)wi[q] * (double)pt[(size_t)q * ks + k];
                else
                    for (int q = 0; q < cnt; q++) acc += (double)wi[q];
                red[slot] = acc;
            }
        }
        __syncthreads();

        /* merge the tile (scale tmax) into the running sums (scale run_m) */
        for (int slot = t; slot < S; slot += bd) {
            const int i = slot / (K + 1);
            double ts = 0.0;
            for (int g = 0; g < G; g++) ts += red[g * S + slot];
            ogem_lsum_merge(run_m[i], &run[slot], 0, ad_sh[i] + tmax[i], &ts, 0, 1);
        }
        __syncthreads();
        /* the scales change only once every slot has been merged with the old ones */
        for (int i = t; i < n; i += bd) run_m[i] = ogem_lsum_scale(run_m[i], ad_sh[i] + tmax[i]);
        __syncthreads();
    }

    /* sums of w * lse and of w: a fixed tree */
    red[t] = lse_acc;
    red[bd + t] = w_acc;
    __syncthreads();
    for (int h = bd / 2; h > 0; h >>= 1) {
        if (t < h) {
            red[t] += red[t + h];
            red[bd + t] += red[bd + t + h];
        }
        __syncthreads();
    }
    double *out = A.part + ((size_t)rb * A.nch + ch) * A.pstride;
    for (int i = t; i < n; i += bd) out[i] = run_m[i];
    for (int s = t; s < S; s += bd) out[n + s] = run[s];
    if (t == 0) {
        out[n + S] = red[0];
        out[n + S + 1] = red[bd];
    }
}

/* One block per init: merge its chunk partials in increasing chunk order. */
__global__ void __launch_bounds__(OGEM_FUSED_THREADS)
    fused_merge_kernel(const double *part, int nch, int pstride, int n, int K, double *lm, double *cm, double *lse)
{
    __shared__ double M_sh[OGEM_FUSED_MAX_N], S0_sh[OGEM_FUSED_MAX_N], wsum_sh;
    const int rb = blockIdx.x, t = threadIdx.x, bd = blockDim.x, S = n * (K + 1);
    const double *base = part + (size_t)rb * nch * pstride;
    double *cmr = cm + (size_t)rb * n * K;

    for (int slot = t; slot < S; slot += bd) {
        const int i = slot / (K + 1), k = slot % (K + 1);
        double M = OGEM_LOG_ZERO, acc = 0.0;
        for (int c = 0; c < nch; c++) {
            const double *pp = base + (size_t)c * pstride;
            M = ogem_lsum_merge(M, &acc, 0, pp[i], &pp[n + slot], 0, 1);
        }
        if (k == K) {
            M_sh[i] = M;
            S0_sh[i] = acc;
        } else {
            cmr[(size_t)i * K + k] = acc;   /* unnormalised for now */
        }
    }
    if (t == 0) {
        double L = 0.0, Wt = 0.0;
        for (int c = 0; c < nch; c++) {
            const double *pp = base + (size_t)c * pstride;
            L += pp[n + S];
            Wt += pp[n + S + 1];
        }
        wsum_sh = Wt;
        lse[rb] = L / Wt;
    }
    __syncthreads();
    const double lw = log(wsum_sh);
    for (int slot = t; slot < S; slot += bd) {
        const int i = slot / (K + 1), k = slot % (K + 1);
        if (k == K) lm[(size_t)rb * n + i] = ogem_lsum_log(M_sh[i], S0_sh[i], lw);
        else cmr[(size_t)i * K + k] = ogem_lsum_ratio(M_sh[i], cmr[(size_t)i * K + k], S0_sh[i]);
    }
}

struct fused_plan {
    int nmax, TP, ks, nch, pstride;
    long CH;
    size_t smem;
};

int plan_fused(const gpu_backend *b, int n, int K, long npts, fused_plan *pl)
{
    if (n > OGEM_FUSED_MAX_N) return -1;
    pl->nmax = n <= 8 ? 8 : OGEM_FUSED_MAX_N;
    const size_t tsize = b->prec == OGEM_PREC_FLOAT ? sizeof(float) : sizeof(double);
    pl->TP = 0;
    for (int TP = OGEM_FUSED_THREADS; TP >= 32; TP /= 2) {
        if (fused_smem_bytes(n, K, TP, pl->nmax, tsize) <= b->smem_optin) {
            pl->TP = TP;
            break;
        }
    }
    if (!pl->TP) return -2;
    pl->ks = K | 1;
    pl->smem = fused_smem_bytes(n, K, pl->TP, pl->nmax, tsize);
    const long tiles = (npts + pl->TP - 1) / pl->TP;
    const long per = (tiles + OGEM_FUSED_MAX_CHUNKS - 1) / OGEM_FUSED_MAX_CHUNKS;
    pl->CH = (per < 1 ? 1 : per) * pl->TP;
    pl->nch = (int)((npts + pl->CH - 1) / pl->CH);
    if (pl->nch < 1) pl->nch = 1;
    pl->pstride = n + n * (K + 1) + 2;
    return 0;
}

template <typename T, int NMAX>
cudaError_t launch_fused(const fused_plan &pl, int RB, const fused_args &args, cudaStream_t st)
{
    auto kern = fused_kernel<T, NMAX>;
    if (pl.smem > 48 * 1024) {
        cudaError_t e = cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)pl.smem);
        if (e != cudaSuccess) return e;
    }
    dim3 grid((unsigned)pl.nch, (unsigned)RB);
    OGEM_LAUNCH(kern, grid, OGEM_FUSED_THREADS, pl.smem, st)(args);
    return cudaGetLastError();
}

} /* namespace */

int gpu_fused_supported(const gpu_backend *b, int n, int K, char *why, size_t len)
{
    fused_plan pl;
    int r = plan_fused(b, n, K, 1, &pl);
    if (r == -1) {
        if (why) snprintf(why, len, "the fused GPU kernel handles at most %d components (got %d); use the gemm path",
                          OGEM_FUSED_MAX_N, n);
        return 0;
    }
    if (r == -2) {
        if (why) snprintf(why, len, "the fused GPU kernel does not fit %d components in %d dimensions in shared "
                          "memory (%zu bytes per block); use the gemm path", n, K, b->smem_optin);
        return 0;
    }
    return 1;
}

ogem_status gpu_fused_merge(gpu_backend *b, const double *part, int nch, int pstride, int RB, int n, int K,
                            double *lm, double *cm, double *lse)
{
    OGEM_LAUNCH(fused_merge_kernel, RB, OGEM_FUSED_THREADS, 0, b->stream)(part, nch, pstride, n, K, lm, cm, lse);
    GPU_TRY_LAUNCH(b, "fused merge kernel");
    return OGEM_OK;
}

ogem_status gpu_eval_fused(gpu_backend *b, int RB, int n, int K, const double *ad, const void *lc,
                           const fused_points *pts, double *lm, double *cm, double *lse)
{
    fused_plan pl;
    if (plan_fused(b, n, K, pts->npts, &pl)) {
        gpu_fused_supported(b, n, K, b->base.err, sizeof b->base.err);
        return OGEM_ERR_UNSUPPORTED;
    }
    const size_t per_init = (size_t)pl.nch * pl.pstride * sizeof(double);
    size_t cap = OGEM_FUSED_PART_BUDGET / per_init;
    if (cap < 1) cap = 1;
    if (cap > 65535) cap = 65535;
    const int RBb = (size_t)RB < cap ? RB : (int)cap;
    GPU_TRY(gpu_buf_reserve(b, &b->part, per_init * RBb, "fused partial sums"));
    const size_t tsize = b->prec == OGEM_PREC_FLOAT ? sizeof(float) : sizeof(double);

    for (int b0 = 0; b0 < RB; b0 += RBb) {
        const int cnt = RB - b0 < RBb ? RB - b0 : RBb;
        fused_args A;
        A.n = n;
        A.K = K;
        A.TP = pl.TP;
        A.ks = pl.ks;
        A.CH = pl.CH;
        A.nch = pl.nch;
        A.pts = *pts;
        A.pts.P = (const char *)pts->P + (size_t)b0 * pts->p_init_stride * tsize;
        A.pts.LW = pts->LW ? pts->LW + (size_t)b0 * pts->w_init_stride : NULL;
        A.pts.counts = pts->counts ? pts->counts + b0 : NULL;
        A.ad = ad + (size_t)b0 * n;
        A.c = (const char *)lc + (size_t)b0 * n * K * tsize;
        A.part = (double *)b->part.p;
        A.pstride = pl.pstride;
        cudaError_t e;
        if (b->prec == OGEM_PREC_FLOAT)
            e = pl.nmax == 8 ? launch_fused<float, 8>(pl, cnt, A, b->stream)
                             : launch_fused<float, OGEM_FUSED_MAX_N>(pl, cnt, A, b->stream);
        else
            e = pl.nmax == 8 ? launch_fused<double, 8>(pl, cnt, A, b->stream)
                             : launch_fused<double, OGEM_FUSED_MAX_N>(pl, cnt, A, b->stream);
        if (e != cudaSuccess) return gpu_fail_cuda(b->base.err, sizeof b->base.err, e, "fused kernel launch");
        GPU_TRY(gpu_fused_merge(b, (const double *)b->part.p, pl.nch, pl.pstride, cnt, n, K, lm + (size_t)b0 * n,
                                cm + (size_t)b0 * n * K, lse + b0));
    }
    return OGEM_OK;
}
