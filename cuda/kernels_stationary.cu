/*
 * kernels_stationary.cu - the init-stationary fused kernel: the hot path for
 * small shapes (n components in K dims with n (K + 1) <= OGEM_STAT_SLOTS).
 *
 * Why. The block kernel of kernels_fused.cu gives a whole block to one
 * initialization and one chunk of points: every tile goes through shared
 * memory four times (scores, maxima, exponentials, sums), slots are predicated
 * up to NMAX components, and a point is re-read from L2 once per init. For
 * n = 5, K = 10 that is ~34 instructions per (point, k) for 5 useful FMAs.
 * Here the roles are swapped: the initialization stays put and the points
 * stream past it.
 *
 * Design.
 *   - One thread owns one initialization. Its n K coefficients, its n
 *     per-component scales and its n (K + 1) partial sums live in registers
 *     (arrays indexed by compile-time constants: N, the component count, is a
 *     template parameter; loops over k run to the compile-time bound KM(N) and
 *     stop at the runtime K, a uniform branch).
 *   - A block is OGEM_STAT_THREADS initializations x one chunk of points. The
 *     chunk streams through shared memory in tiles of OGEM_STAT_TILE points,
 *     double-buffered (cp.async: the next tile loads while this one is used);
 *     every thread reads the same point at the same time, so shared loads are
 *     broadcasts. Points are read in the compute type T from global memory
 *     (float mode: the float copy of the step's points, made once per step).
 *   - Base 2: coefficients and biases are scaled by log2(e) once, so every
 *     exponential is one exp2 (MUFU.EX2 in float) and the lse one log2.
 *   - Lazily updated per-component log scale m_i (double): a point's weight is
 *     w = exp2(x), x = (b_i + t_i) - L with b_i = a_i - m_i and t_i = <c_i, p>
 *     accumulated from 0; only when x > 0 (a new maximum, O(log N) times per
 *     chunk) are the partial sums rescaled and m_i moved. The large bias a_i
 *     (-450 for a component 30 away) never enters a float sum: it cancels
 *     between the point and the scale, and m_i is computed in double.
 *   - Partial sums in T over one tile, then flushed into double log-scaled
 *     sums (math/log_sum.h) kept in shared memory per thread; the chunk's
 *     partial (scales, sums, sum of lse, point count) goes to global memory in
 *     kernels_fused.cu's layout and is merged by its merge kernel in increasing
 *     chunk order. No atomics. The chunking depends on N only, and an init's
 *     thread does the same operations in the same order whatever its position
 *     in the block: results do not depend on R, the active set or the launch.
 *
 * Accuracy in float (u = 2^-24; the bound the tests assert, README's GPU
 * section): for point j, component i, |delta log psi_ij| <= gamma_{K+3}
 * sum_k |c_ik p_jk| + delta lse_j + 4u (|t_ij| + |lse_j| + max_j' |t_ij' -
 * lse_j'| + |x_ij| + 26), x relative to the scale, delta lse_j <= the same dot
 * and rounding terms of the dominant components; tile sums add gamma_64
 * relative. Everything after the tile is double.
 *
 * Shapes that do not fit (n not in the template set, K > KM(n), per-init point
 * sets of the exact estimator) take the block kernel.
 */
#include <math.h>
#include <stdio.h>

#ifndef OGEM_EMU_PRE_H
#include <cuda_pipeline.h>
#endif

#include "gpu_internal.cuh"
#include "math/log_sum.h"

namespace {

const double ST_LOG2E = 1.4426950408889634074, ST_LN2 = 0.69314718055994530942;
const int BT = OGEM_STAT_THREADS, TILE = OGEM_STAT_TILE;

__device__ __forceinline__ float st_exp2(float x) { return exp2f(x); }
__device__ __forceinline__ double st_exp2(double x) { return exp2(x); }
__device__ __forceinline__ float st_log2(float x) { return log2f(x); }
__device__ __forceinline__ double st_log2(double x) { return log2(x); }

/* Register budget: partial sums n (K + 1) <= SLOTS (float: 4-byte registers;
 * double takes two each, hence fewer). KM: the largest K for N components. */
template <typename T> struct st_slots;
template <> struct st_slots<float> { static const int value = OGEM_STAT_SLOTS; };
template <> struct st_slots<double> { static const int value = OGEM_STAT_SLOTS_D; };
template <typename T, int N> struct st_km { static const int value = st_slots<T>::value / N - 1; };

template <typename T> struct st_args {
    int R, n, K, ks, nch;   /* ks: shared row stride (odd: conflict-free stores)    */
    long N, CH, ld;         /* points, per chunk (a multiple of TILE), SoA stride   */
    const T *P;             /* element (j, k) at P[k * ld + j]                      */
    const double *a;        /* R x n, double                                        */
    const T *c;             /* R x n x K                                            */
    double *part;
    int pstride;
};

/* Copies tile points [base, base + cnt) into buf (row j at buf + j * ks). */
template <typename T>
__device__ __forceinline__ void st_load_tile(const st_args<T> &A, T *buf, long base, int cnt, int t)
{
    for (int q = t; q < TILE * A.K; q += BT) {
        const int k = q / TILE, j = q % TILE;   /* consecutive threads: consecutive points (coalesced) */
        if (j < cnt) __pipeline_memcpy_async(buf + (size_t)j * A.ks + k, A.P + (size_t)k * A.ld + base + j, sizeof(T));
    }
    __pipeline_commit();
}

template <typename T, int N>
__global__ void __launch_bounds__(OGEM_STAT_THREADS) stationary_kernel(st_args<T> A)
{
    const int KM = st_km<T, N>::value;
    OGEM_DYN_SHARED(double, smem);
    const int t = threadIdx.x, K = A.K, S = N * (K + 1);
    const int r = blockIdx.y * BT + t, ch = blockIdx.x;
    const bool live = r < A.R;
    double *D = smem;                                   /* S x BT: slot s of thread t at D[s * BT + t] */
    T *tiles = (T *)(smem + (size_t)S * BT);            /* 2 x TILE rows of ks                         */
    const long j0 = (long)ch * A.CH, j1 = j0 + A.CH < A.N ? j0 + A.CH : A.N;

    T c[N][KM], sp[N][KM], sw[N], aT[N], bT[N];
    double a2[N], m[N], M[N];
#pragma unroll
    for (int i = 0; i < N; i++) {
        a2[i] = live ? A.a[(size_t)r * N + i] * ST_LOG2E : 0.0;
        aT[i] = (T)a2[i];
        bT[i] = (T)INFINITY;    /* so that the first point sets the scale  */
        m[i] = OGEM_LOG_ZERO;   /* chunk scale (base 2) of sp, sw: none yet */
        M[i] = OGEM_LOG_ZERO;   /* scale (natural) of the double sums in D  */
        sw[i] = (T)0;
#pragma unroll
        for (int k = 0; k < KM; k++) {
            c[i][k] = (live && k < K) ? (T)((double)A.c[((size_t)r * N + i) * K + k] * ST_LOG2E) : (T)0;
            sp[i][k] = (T)0;
        }
    }
    for (int s = 0; s < S; s++) D[(size_t)s * BT + t] = 0.0;
    double lse_acc = 0.0;

    const long ntile = (j1 - j0 + TILE - 1) / TILE;
    if (ntile > 0) st_load_tile(A, tiles, j0, (int)(j1 - j0 < TILE ? j1 - j0 : TILE), t);
    for (long q = 0; q < ntile; q++) {
        const long base = j0 + q * TILE;
        const int cnt = (int)(j1 - base < TILE ? j1 - base : TILE);
        const T *buf = tiles + (size_t)(q & 1) * TILE * A.ks;
        __pipeline_wait_prior(0);
        __syncthreads(); /* tile q is in; everyone is done with the other buffer (tile q - 1) */
        if (q + 1 < ntile) {
            const long nb = base + TILE;
            st_load_tile(A, tiles + (size_t)((q + 1) & 1) * TILE * A.ks, nb, (int)(j1 - nb < TILE ? j1 - nb : TILE),
                         t);
        }
        if (!live) continue;
        for (int j = 0; j < cnt; j++) {
            const T *row = buf + (size_t)j * A.ks;
            T p[KM], tt[N];
#pragma unroll
            for (int i = 0; i < N; i++) tt[i] = (T)0;
#pragma unroll
            for (int k = 0; k < KM; k++) {
                if (k >= K) break;
                p[k] = row[k];
#pragma unroll
                for (int i = 0; i < N; i++) tt[i] = fma(c[i][k], p[k], tt[i]);
            }
            /* lse (base 2) */
            T mx = aT[0] + tt[0];
#pragma unroll
            for (int i = 1; i < N; i++) mx = aT[i] + tt[i] > mx ? aT[i] + tt[i] : mx;
            T sum = (T)0;
#pragma unroll
            for (int i = 0; i < N; i++) sum += st_exp2((aT[i] + tt[i]) - mx);
            const T L = mx + st_log2(sum);
            lse_acc += (double)L;
            /* weights relative to the per-component scale */
            T w[N];
#pragma unroll
            for (int i = 0; i < N; i++) {
                T x = (bT[i] + tt[i]) - L;
                if (!(x <= (T)0)) { /* a new maximum (or the first point): move the scale up */
                    const double mn = a2[i] + (double)tt[i] - (double)L;
                    const T f = ogem_lsum_empty(m[i]) ? (T)0 : st_exp2((T)(m[i] - mn));
                    sw[i] *= f;
#pragma unroll
                    for (int k = 0; k < KM; k++) sp[i][k] *= f;
                    m[i] = mn;
                    bT[i] = (T)(a2[i] - mn);
                    x = (bT[i] + tt[i]) - L;
                }
                w[i] = st_exp2(x);
                sw[i] += w[i];
            }
#pragma unroll
            for (int k = 0; k < KM; k++) {
                if (k >= K) break;
#pragma unroll
                for (int i = 0; i < N; i++) sp[i][k] = fma(w[i], p[k], sp[i][k]);
            }
        }
        /* flush the tile's sums (scale m_i, base 2) into the double sums (scale
         * M_i): one merge per component, so one exp per component and tile */
#pragma unroll
        for (int i = 0; i < N; i++) {
            const double mb = ogem_lsum_empty(m[i]) ? OGEM_LOG_ZERO : m[i] * ST_LN2;
            double v[KM + 1];
#pragma unroll
            for (int k = 0; k < KM; k++) {
                v[k] = (double)sp[i][k];
                sp[i][k] = (T)0;
            }
            v[K] = (double)sw[i];
            sw[i] = (T)0;
            M[i] = ogem_lsum_merge(M[i], D + (size_t)i * (K + 1) * BT + t, BT, mb, v, 1, K + 1);
        }
    }
    if (!live) return;
    double *out = A.part + ((size_t)r * A.nch + ch) * A.pstride;
#pragma unroll
    for (int i = 0; i < N; i++) out[i] = M[i];
    for (int s = 0; s < S; s++) out[N + s] = D[(size_t)s * BT + t];
    out[N + S] = lse_acc * ST_LN2;
    out[N + S + 1] = (double)(j1 - j0);
}

struct st_plan {
    int ks, nch, pstride;
    long CH;
    size_t smem;
};

void plan_stationary(const gpu_backend *b, int n, int K, st_plan *pl)
{
    const size_t tsize = b->prec == OGEM_PREC_FLOAT ? sizeof(float) : sizeof(double);
    pl->ks = K | 1;
    pl->smem = sizeof(double) * (size_t)n * (K + 1) * BT + tsize * 2 * (size_t)TILE * pl->ks;
    /* chunking from N alone (never R): the same partials whatever the batch */
    const long tiles = (b->N + TILE - 1) / TILE;
    const long per = (tiles + OGEM_FUSED_MAX_CHUNKS - 1) / OGEM_FUSED_MAX_CHUNKS;
    pl->CH = (per < 1 ? 1 : per) * TILE;
    pl->nch = (int)((b->N + pl->CH - 1) / pl->CH);
    if (pl->nch < 1) pl->nch = 1;
    pl->pstride = n + n * (K + 1) + 2;
}

template <typename T, int N> int st_fits(int K) { return K >= 1 && K <= st_km<T, N>::value; }

template <typename T, int N>
cudaError_t launch_st(const st_plan &pl, int RB, const st_args<T> &args, cudaStream_t st)
{
    auto kern = stationary_kernel<T, N>;
    if (pl.smem > 48 * 1024) {
        cudaError_t e = cudaFuncSetAttribute(kern, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)pl.smem);
        if (e != cudaSuccess) return e;
    }
    dim3 grid((unsigned)pl.nch, (unsigned)((RB + BT - 1) / BT));
    OGEM_LAUNCH(kern, grid, BT, pl.smem, st)(args);
    return cudaGetLastError();
}

/* The template set: every n with a register version (OGEM_STAT_COMPONENTS). */
#define OGEM_STAT_CASES(X) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(10) X(12) X(16)

template <typename T> int st_supported(int n, int K)
{
    switch (n) {
#define ST_FITS_CASE(NN) case NN: return st_fits<T, NN>(K);
        OGEM_STAT_CASES(ST_FITS_CASE)
#undef ST_FITS_CASE
    default: return 0;
    }
}

template <typename T> cudaError_t st_dispatch(int n, const st_plan &pl, int RB, const st_args<T> &args, cudaStream_t s)
{
    switch (n) {
#define ST_LAUNCH_CASE(NN) case NN: return launch_st<T, NN>(pl, RB, args, s);
        OGEM_STAT_CASES(ST_LAUNCH_CASE)
#undef ST_LAUNCH_CASE
    default: return cudaErrorInvalidValue;
    }
}

template <typename T>
ogem_status st_run(gpu_backend *b, int Ra, int n, int K, const double *ad, const T *lc, const T *P, double *lm,
                   double *cm, double *lse)
{
    st_plan pl;
    plan_stationary(b, n, K, &pl);
    const size_t per_init = (size_t)pl.nch * pl.pstride * sizeof(double);
    size_t cap = OGEM_FUSED_PART_BUDGET / per_init;
    if (cap < (size_t)BT) cap = BT;
    if (cap > (size_t)65535 * BT) cap = (size_t)65535 * BT;
    const int RBb = (size_t)Ra < cap ? Ra : (int)cap;
    GPU_TRY(gpu_buf_reserve(b, &b->part, per_init * RBb, "fused partial sums"));
    for (int b0 = 0; b0 < Ra; b0 += RBb) {
        const int cnt = Ra - b0 < RBb ? Ra - b0 : RBb;
        st_args<T> A;
        A.R = cnt;
        A.n = n;
        A.K = K;
        A.ks = pl.ks;
        A.nch = pl.nch;
        A.N = b->N;
        A.CH = pl.CH;
        A.ld = b->N;
        A.P = P;
        A.a = ad + (size_t)b0 * n;
        A.c = lc + (size_t)b0 * n * K;
        A.part = (double *)b->part.p;
        A.pstride = pl.pstride;
        cudaError_t e = st_dispatch<T>(n, pl, cnt, A, b->stream);
        if (e != cudaSuccess) return gpu_fail_cuda(b->base.err, sizeof b->base.err, e, "stationary kernel launch");
        GPU_TRY(gpu_fused_merge(b, (const double *)b->part.p, pl.nch, pl.pstride, cnt, n, K, lm + (size_t)b0 * n,
                                cm + (size_t)b0 * n * K, lse + b0));
    }
    return OGEM_OK;
}

} /* namespace */

int gpu_stationary_supported(const gpu_backend *b, int n, int K)
{
    if (b->kind == OGEM_EST_EXACT || b->N < 1) return 0;
    return b->prec == OGEM_PREC_FLOAT ? st_supported<float>(n, K) : st_supported<double>(n, K);
}

ogem_status gpu_eval_stationary(gpu_backend *b, int Ra, int n, int K, const double *ad, const void *lc, double *lm,
                                double *cm, double *lse)
{
    if (!gpu_stationary_supported(b, n, K)) {
        snprintf(b->base.err, sizeof b->base.err,
                 "the stationary GPU kernel has no version for %d components in %d dimensions", n, K);
        return OGEM_ERR_UNSUPPORTED;
    }
    if (b->prec == OGEM_PREC_FLOAT) {
        GPU_TRY(gpu_points_float(b)); /* float points once per step, not narrowed per use */
        return st_run<float>(b, Ra, n, K, ad, (const float *)lc, (const float *)b->ptsf.p, lm, cm, lse);
    }
    return st_run<double>(b, Ra, n, K, ad, (const double *)lc, (const double *)b->pts.p, lm, cm, lse);
}
