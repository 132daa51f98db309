/*
 * kernels_exact.cu - the exact estimator on the device: every initialization
 * builds its own quadrature rule in its k <= 2 dimensional subspace, one
 * thread per initialization, with the device copy of the code the CPU runs
 * (src/quad/quad_rule.inc, included below and compiled here for the device);
 * the rules are then evaluated by the fused kernel as per-initialization,
 * log-weighted point sets (nodes padded with zeros to K dimensions, so the
 * conditional means of unused dimensions come out as 0, as on the CPU).
 *
 * Limit: rules are built into buffers of OGEM_QUAD_MAX_POINTS nodes, enough
 * for k = 1 (at most a few hundred) but not for the nested k = 2 rules (10^4
 * and more), which are reported as unsupported (ogem_gpu_get_caps says so:
 * OGEM_GPU_EXACT_MAX_K); accumulating the nodes per thread as they are
 * generated, instead of storing them, would lift this.
 */
#include <stdio.h>
#include <stdlib.h>

#include "gpu_internal.cuh"

#include "quad/quad_rule.h"
#include "quad/quad_rule.inc"

namespace {

/* Budget for the rules of one batch of initializations. */
const size_t QUAD_BUDGET = (size_t)256 << 20;

/* One thread per init of the batch. scratch: per init n*2 (compressed slopes)
 * + cap*2 (nodes in k dims). nodes: cap x K (padded), logw: cap. */
__global__ void quad_build_kernel(int RB, int n, int K, const double *a, const double *c, const int *kd, int cap,
                                  double *scratch, double *nodes, double *logw, int *counts)
{
    const int rb = blockIdx.x * blockDim.x + threadIdx.x;
    if (rb >= RB) return;
    const int k = kd[rb];
    double *ck = scratch + (size_t)rb * (2 * (size_t)n + 2 * (size_t)cap);
    double *xk = ck + 2 * (size_t)n;
    const double *ar = a + (size_t)rb * n, *cr = c + (size_t)rb * n * K;
    if (k < 0 || k > 2 || k > K) {
        counts[rb] = -1;
        return;
    }
    for (int i = 0; i < n; i++)
        for (int q = 0; q < k; q++) ck[i * k + q] = cr[(size_t)i * K + q];
    double *lw = logw + (size_t)rb * cap;
    const int P = ogem_q_rule(k, n, ar, ck, xk, lw, cap);
    counts[rb] = P;
    if (P <= 0) return;
    double *nd = nodes + (size_t)rb * cap * K;
    for (int j = 0; j < P; j++)
        for (int q = 0; q < K; q++) nd[(size_t)j * K + q] = q < k ? xk[(size_t)j * k + q] : 0.0;
}

} /* namespace */

ogem_status gpu_eval_exact(gpu_backend *b, int Ra, int n, int K, const double *lad, const double *lcd, const int *kd,
                           const void *lc, double *lm, double *cm, double *lse, int *bad_init)
{
    *bad_init = -1;
    const int cap = OGEM_QUAD_MAX_POINTS;
    const size_t per_init = sizeof(double) * ((size_t)cap * K + (size_t)cap + 2 * (size_t)n + 2 * (size_t)cap) +
                            sizeof(int);
    size_t capR = QUAD_BUDGET / per_init;
    if (capR < 1) capR = 1;
    const int RB = (size_t)Ra < capR ? Ra : (int)capR;
    GPU_TRY(gpu_buf_reserve(b, &b->qnodes, sizeof(double) * (size_t)RB * cap * K, "quadrature nodes"));
    GPU_TRY(gpu_buf_reserve(b, &b->qw, sizeof(double) * (size_t)RB * cap, "quadrature weights"));
    GPU_TRY(gpu_buf_reserve(b, &b->qscr, sizeof(double) * (size_t)RB * (2 * (size_t)n + 2 * (size_t)cap),
                            "quadrature scratch"));
    GPU_TRY(gpu_buf_reserve(b, &b->qcnt, sizeof(int) * (size_t)RB, "quadrature counts"));
    int *hcnt = (int *)malloc(sizeof(int) * (size_t)RB);
    if (!hcnt) {
        snprintf(b->base.err, sizeof b->base.err, "out of host memory for quadrature counts");
        return OGEM_ERR_NOMEM;
    }
    const size_t tsize = b->prec == OGEM_PREC_FLOAT ? sizeof(float) : sizeof(double);
    /* The rule builder keeps its panel tables on the stack (several KiB per
     * thread): make sure the per-thread stack holds them. */
    cudaFuncAttributes fa;
    size_t stack = 0;
    if (cudaFuncGetAttributes(&fa, quad_build_kernel) == cudaSuccess &&
        cudaDeviceGetLimit(&stack, cudaLimitStackSize) == cudaSuccess && stack < fa.localSizeBytes + 1024) {
        cudaError_t e = cudaDeviceSetLimit(cudaLimitStackSize, fa.localSizeBytes + 1024);
        if (e != cudaSuccess) {
            free(hcnt);
            return gpu_fail_cuda(b->base.err, sizeof b->base.err, e, "raising the stack size for quadrature");
        }
    }
    cudaGetLastError();
    ogem_status st = OGEM_OK;
    for (int b0 = 0; b0 < Ra && st == OGEM_OK; b0 += RB) {
        const int cnt = Ra - b0 < RB ? Ra - b0 : RB;
        OGEM_LAUNCH(quad_build_kernel, (cnt + 31) / 32, 32, 0, b->stream)(
            cnt, n, K, lad + (size_t)b0 * n, lcd + (size_t)b0 * n * K, kd + b0, cap, (double *)b->qscr.p,
            (double *)b->qnodes.p, (double *)b->qw.p, (int *)b->qcnt.p);
        cudaError_t e = cudaGetLastError();
        if (e == cudaSuccess)
            e = cudaMemcpyAsync(hcnt, b->qcnt.p, sizeof(int) * cnt, cudaMemcpyDeviceToHost, b->stream);
        if (e == cudaSuccess) e = cudaStreamSynchronize(b->stream);
        if (e != cudaSuccess) {
            st = gpu_fail_cuda(b->base.err, sizeof b->base.err, e, "building quadrature rules");
            break;
        }
        for (int r = 0; r < cnt; r++) {
            if (hcnt[r] <= 0) {
                *bad_init = b0 + r;
                st = OGEM_ERR_UNSUPPORTED;
                break;
            }
        }
        if (st) break;
        fused_points pts;
        pts.P = (const double *)b->qnodes.p;
        pts.sj = K;
        pts.sk = 1;
        pts.p_init_stride = (long)cap * K;
        pts.LW = (const double *)b->qw.p;
        pts.w_init_stride = cap;
        pts.counts = (const int *)b->qcnt.p;
        pts.npts = cap;   /* chunking from the capacity: independent of the batch */
        st = gpu_eval_fused(b, cnt, n, K, lad + (size_t)b0 * n, (const char *)lc + (size_t)b0 * n * K * tsize, &pts,
                            lm + (size_t)b0 * n,
                            cm + (size_t)b0 * n * K, lse + b0);
    }
    free(hcnt);
    return st;
}
