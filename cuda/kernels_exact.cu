/*
 * kernels_exact.cu - the exact estimator on the device: every initialization
 * builds its own quadrature rule in its k <= 2 dimensional subspace, one
 * thread per initialization, with the device copy of the code the CPU runs
 * (src/quad/quad_rule.inc, included below and compiled here for the device);
 * the rules are then evaluated by the fused kernel as per-initialization,
 * log-weighted point sets (nodes padded with zeros to K dimensions, so the
 * conditional means of unused dimensions come out as 0, as on the CPU).
 *
 * Two passes per step: the first counts each rule's nodes (k = 1: a few
 * hundred; k = 2: 1024 Gauss-Hermite nodes once the slopes are within 1 of
 * each other, 10^4-10^5 for the nested rule before), the second builds the
 * rules into buffers of the largest count (rounded up to a power of two, at
 * least OGEM_QUAD_MAX_POINTS), in batches that fit QUAD_BUDGET. The builder's
 * tables (ogem_qtables, ~23 KB) are in global memory, one set per thread of
 * a pass, and no stack-size limit is raised; every buffer goes through
 * gpu_buf_reserve and is counted in peak_device_bytes. ptxas -v (CUDA 13.0,
 * sm_90): quad_build_kernel has a 9,968-byte stack frame (the builder's
 * evaluation points and per-call arrays, inlined without overlap) and 170
 * registers, down from 29,904 bytes with the tables on the stack; the frame
 * is the driver's to size (static, no recursion).
 * The fused kernel's chunking follows the buffer size, so an initialization's
 * result can change in the last bits with the largest rule of the step (not
 * with the batch split); it agrees with the CPU to ~1e-15.
 */
#include <stdio.h>

#include "gpu_internal.cuh"

#include "quad/quad_rule.h"
#include "quad/quad_rule.inc"

namespace {

/* Budget for the node buffers of one batch of initializations, and for the
 * builder's tables of one pass. */
const size_t QUAD_BUDGET = (size_t)256 << 20;
const size_t QUAD_TABLE_BUDGET = (size_t)64 << 20;

/* One thread per init of the batch; tables: one ogem_qtables each. With
 * nodes == NULL it only counts. nodes: cap x K (padded), logw: cap. */
__global__ void quad_build_kernel(int RB, int n, int K, const double *a, const double *c, const int *kd, int cap,
                                  ogem_qtables *tables, double *nodes, double *logw, int *counts)
{
    const int rb = blockIdx.x * blockDim.x + threadIdx.x;
    if (rb >= RB) return;
    const int k = kd[rb];
    if (k < 0 || k > 2 || k > K || n > OGEM_QUAD_MAX_LINES) {
        counts[rb] = -1;
        return;
    }
    double ck[2 * OGEM_QUAD_MAX_LINES];
    const double *ar = a + (size_t)rb * n, *cr = c + (size_t)rb * n * K;
    for (int i = 0; i < n; i++)
        for (int q = 0; q < k; q++) ck[i * k + q] = cr[(size_t)i * K + q];
    if (!nodes) {
        counts[rb] = ogem_q_rule_in(k, n, ar, ck, tables + rb, NULL, NULL, 0);
        return;
    }
    /* built k-dimensional into the start of this init's K-dimensional slots,
     * then spread in place from the last node down (node j's k values are
     * read before its K slots, which only reach nodes >= j, are written) */
    double *nd = nodes + (size_t)rb * cap * K;
    const int P = ogem_q_rule_in(k, n, ar, ck, tables + rb, nd, logw + (size_t)rb * cap, cap);
    counts[rb] = P;
    for (int j = P - 1; j >= 0 && K > k; j--) {
        double x0 = k > 0 ? nd[(size_t)j * k] : 0.0, x1 = k > 1 ? nd[(size_t)j * k + 1] : 0.0;
        for (int q = 0; q < K; q++) nd[(size_t)j * K + q] = q == 0 ? x0 : q == 1 ? x1 : 0.0;
    }
}

} /* namespace */

/* A launch of quad_build_kernel over inits [b0, b0 + cnt), then a check. */
static ogem_status quad_pass(gpu_backend *b, int b0, int cnt, int n, int K, const double *lad, const double *lcd,
                             const int *kd, int cap, double *nodes, double *logw, const char *what)
{
    OGEM_LAUNCH(quad_build_kernel, (cnt + 31) / 32, 32, 0, b->stream)(
        cnt, n, K, lad + (size_t)b0 * n, lcd + (size_t)b0 * n * K, kd + b0, cap, (ogem_qtables *)b->qscr.p, nodes,
        logw, (int *)b->qcnt.p + b0);
    cudaError_t e = cudaGetLastError();
    return e == cudaSuccess ? OGEM_OK : gpu_fail_cuda(b->base.err, sizeof b->base.err, e, what);
}

ogem_status gpu_eval_exact(gpu_backend *b, int Ra, int n, int K, const double *lad, const double *lcd, const int *kd,
                           const void *lc, double *lm, double *cm, double *lse, int *bad_init)
{
    *bad_init = -1;
    size_t capT = QUAD_TABLE_BUDGET / sizeof(ogem_qtables);
    if (capT < 1) capT = 1;
    const int RT = (size_t)Ra < capT ? Ra : (int)capT;
    GPU_TRY(gpu_buf_reserve(b, &b->qscr, sizeof(ogem_qtables) * (size_t)RT, "quadrature tables"));
    GPU_TRY(gpu_buf_reserve(b, &b->qcnt, sizeof(int) * (size_t)Ra, "quadrature counts"));
    int *hcnt = (int *)gpu_host_reserve(&b->h_cnt, sizeof(int) * (size_t)Ra, 1);
    if (!hcnt) {
        snprintf(b->base.err, sizeof b->base.err, "out of host memory for quadrature counts");
        return OGEM_ERR_NOMEM;
    }
    /* pass 1: count */
    ogem_status st = OGEM_OK;
    for (int b0 = 0; b0 < Ra && st == OGEM_OK; b0 += RT)
        st = quad_pass(b, b0, Ra - b0 < RT ? Ra - b0 : RT, n, K, lad, lcd, kd, 0, NULL, NULL,
                       "counting quadrature nodes");
    if (st == OGEM_OK) {
        cudaError_t e = cudaMemcpyAsync(hcnt, b->qcnt.p, sizeof(int) * (size_t)Ra, cudaMemcpyDeviceToHost, b->stream);
        if (e == cudaSuccess) e = cudaStreamSynchronize(b->stream);
        if (e != cudaSuccess) st = gpu_fail_cuda(b->base.err, sizeof b->base.err, e, "counting quadrature nodes");
    }
    long most = 0;
    for (int r = 0; r < Ra && st == OGEM_OK; r++) {
        if (hcnt[r] <= 0) {
            *bad_init = r;
            st = OGEM_ERR_UNSUPPORTED;
        }
        if (hcnt[r] > most) most = hcnt[r];
    }
    if (st) return st;
    int cap = OGEM_QUAD_MAX_POINTS;
    while (cap < most) cap *= 2;
    /* pass 2: build and sum, in batches of nodes within QUAD_BUDGET; float
     * mode narrows the nodes once per batch (the fused kernel reads T) */
    const int flt = b->prec == OGEM_PREC_FLOAT;
    const size_t per_init = sizeof(double) * ((size_t)cap * K + (size_t)cap) + (flt ? sizeof(float) * cap * K : 0);
    size_t capR = QUAD_BUDGET / per_init;
    if (capR < 1) capR = 1;
    const int RB = (size_t)RT < capR ? RT : (int)capR;
    GPU_TRY(gpu_buf_reserve(b, &b->qnodes, sizeof(double) * (size_t)RB * cap * K, "quadrature nodes"));
    GPU_TRY(gpu_buf_reserve(b, &b->qw, sizeof(double) * (size_t)RB * cap, "quadrature weights"));
    if (flt) GPU_TRY(gpu_buf_reserve(b, &b->qnodesf, sizeof(float) * (size_t)RB * cap * K, "float quadrature nodes"));
    const size_t tsize = flt ? sizeof(float) : sizeof(double);
    for (int b0 = 0; b0 < Ra && st == OGEM_OK; b0 += RB) {
        const int cnt = Ra - b0 < RB ? Ra - b0 : RB;
        st = quad_pass(b, b0, cnt, n, K, lad, lcd, kd, cap, (double *)b->qnodes.p, (double *)b->qw.p,
                       "building quadrature rules");
        if (st == OGEM_OK && flt)
            st = gpu_narrow(b, (const double *)b->qnodes.p, (float *)b->qnodesf.p, (size_t)cnt * cap * K);
        if (st) break;
        fused_points pts;
        pts.P = flt ? b->qnodesf.p : b->qnodes.p;
        pts.sj = K;
        pts.sk = 1;
        pts.p_init_stride = (long)cap * K;
        pts.LW = (const double *)b->qw.p;
        pts.w_init_stride = cap;
        pts.counts = (const int *)b->qcnt.p + b0;
        pts.npts = cap;   /* chunking from the capacity: independent of the batch */
        st = gpu_eval_fused(b, cnt, n, K, lad + (size_t)b0 * n, (const char *)lc + (size_t)b0 * n * K * tsize, &pts,
                            lm + (size_t)b0 * n,
                            cm + (size_t)b0 * n * K, lse + b0);
    }
    return st;
}
