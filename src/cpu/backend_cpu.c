/* backend_cpu.c - the CPU reference backend: host-drawn points (host_points.c)
 * and the double-precision kernel (lines_eval.c), threaded over
 * initializations: sampled points in blocks of initializations that share
 * each chunk of points (for many dimensions, through BLAS GEMMs), the exact
 * estimator one initialization at a time. Each initialization is computed by
 * one thread in a fixed order, and the blocks are cut by the batch's shape
 * alone, so results do not depend on the thread count. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/backend.h"
#include "cpu/blas_gemm.h"
#include "cpu/host_points.h"
#include "cpu/lines_eval.h"
#include "quad/quad_rule.h"

typedef struct cpu_backend {
    ogem_backend base;
    ogem_host_points pts;   /* pts.threads: the backend's threads too */
} cpu_backend;

static ogem_status cpu_prepare(ogem_backend *b, long step)
{
    cpu_backend *cb = (cpu_backend *)b;
    return ogem_host_points_prepare(&cb->pts, step, b->err, sizeof b->err);
}

/* A thread's quadrature buffers; they grow to the largest rule met (a nested
 * k = 2 rule can hold ten thousand nodes, a k = 1 rule a few hundred). */
typedef struct quad_buf {
    int cap;
    double *nodes, *nt, *logw;   /* cap*2, cap*2, cap */
} quad_buf;

static void quad_buf_free(quad_buf *q)
{
    free(q->nodes); free(q->nt); free(q->logw);
    memset(q, 0, sizeof *q);
}

static int quad_buf_reserve(quad_buf *q, int cap)
{
    if (cap <= q->cap) return 0;
    quad_buf_free(q);
    q->nodes = malloc(sizeof(double) * 2 * (size_t)cap);
    q->nt = malloc(sizeof(double) * 2 * (size_t)cap);
    q->logw = malloc(sizeof(double) * (size_t)cap);
    q->cap = cap;
    return q->nodes && q->nt && q->logw ? 0 : -1;
}

enum { EXACT_UNSUPPORTED = -1, EXACT_NOMEM = -2, EXACT_NO_RULE = -3 };

/* One initialization of the exact estimator: build its quadrature rule in its
 * own k-dimensional subspace, then evaluate it like a weighted point set with
 * the same kernel as the samples. Returns EXACT_UNSUPPORTED when the rule's
 * kind does not exist (k > 2, too many components), EXACT_NO_RULE when the
 * builder fails on these lines (a table overflows), EXACT_NOMEM. */
static int eval_exact_one(int n, int K, int k, const double *a, const double *c, ogem_eval_scratch *ws,
                          quad_buf *qb, double *log_mass, double *cond_mean, double *mean_lse)
{
    if (k > 2 || n > OGEM_QUAD_MAX_LINES) return EXACT_UNSUPPORTED;
    double ck[2 * OGEM_QUAD_MAX_LINES], cm[2 * OGEM_QUAD_MAX_LINES];   /* n x k slopes, conditional means */
    for (int i = 0; i < n; i++)
        for (int q = 0; q < k; q++) ck[i * k + q] = c[(size_t)i * K + q];
    if (quad_buf_reserve(qb, 1024)) return EXACT_NOMEM;
    int P = ogem_quad_rule(k, n, a, ck, qb->nodes, qb->logw, qb->cap);
    if (P < 0) {                       /* maybe only too small a buffer: count, grow, retry */
        int need = ogem_quad_rule(k, n, a, ck, NULL, NULL, 0);
        if (need <= 0) return EXACT_NO_RULE;
        if (quad_buf_reserve(qb, need)) return EXACT_NOMEM;
        P = ogem_quad_rule(k, n, a, ck, qb->nodes, qb->logw, qb->cap);
        if (P <= 0) return EXACT_NO_RULE;
    }
    for (int j = 0; j < P; j++)
        for (int q = 0; q < k; q++) qb->nt[(size_t)q * P + j] = qb->nodes[(size_t)j * k + q];
    ogem_eval_lines(n, k, a, ck, qb->nt, P, P, qb->logw, ws, log_mass, cm, mean_lse);
    for (int i = 0; i < n; i++)
        for (int q = 0; q < K; q++) cond_mean[(size_t)i * K + q] = q < k ? cm[i * k + q] : 0.0;
    return 0;
}

/* Sampled points: fixed blocks of ogem_eval_block_size(R) consecutive
 * initializations (the inactive ones left out), one thread per block. */
static ogem_status eval_sampled(cpu_backend *cb, const ogem_lines *L, ogem_moments *out)
{
    const int n = L->n, K = L->K, B = ogem_eval_block_size(L->R), nblocks = (L->R + B - 1) / B;
    const int gemm = ogem_eval_use_gemm(n, K, cb->pts.N);
    const int mirrored = cb->pts.kind == OGEM_EST_MC;   /* antithetic pairs (backend.h) */
    int failed = 0, busy = 0;
    for (int b = 0; b < nblocks; b++) {
        int any = 0;
        for (int r = b * B; r < L->R && r < (b + 1) * B; r++) any |= !L->active || L->active[r];
        busy += any;
    }
    /* No more threads than blocks with work: an idle OpenMP thread still
     * costs a wake-up per step. */
    const int threads = busy < cb->pts.threads ? (busy > 0 ? busy : 1) : cb->pts.threads;
    const int blas_saved = gemm ? ogem_blas_serial_begin() : 0;

#pragma omp parallel num_threads(threads)
    {
        ogem_eval_scratch ws = {0};
        int rs[OGEM_EVAL_MAX_BLOCK];
        int ok = ogem_eval_scratch_init_block(&ws, n, K, B, gemm) == 0;
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int b = 0; b < nblocks; b++) {
            int nb = 0;
            for (int r = b * B; ok && r < L->R && r < (b + 1) * B; r++)
                if (!L->active || L->active[r]) rs[nb++] = r;
            if (nb > 0)
                ogem_eval_lines_block(n, K, nb, rs, L->a, L->c, cb->pts.pt, cb->pts.N, cb->pts.N, mirrored, NULL, &ws,
                                      out->log_mass, out->cond_mean, out->mean_lse);
        }
        ogem_eval_scratch_free(&ws);
    }
    if (gemm) ogem_blas_serial_end(blas_saved);
    if (failed) {
        snprintf(cb->base.err, sizeof cb->base.err, "out of memory in the CPU backend");
        return OGEM_ERR_NOMEM;
    }
    return OGEM_OK;
}

static ogem_status cpu_eval(ogem_backend *b, const ogem_lines *L, ogem_moments *out)
{
    cpu_backend *cb = (cpu_backend *)b;
    const int n = L->n, K = L->K;
    if (cb->pts.kind != OGEM_EST_EXACT) return eval_sampled(cb, L, out);
    int failed = 0, failed_r = -1, failed_rc = 0;
    /* No more threads than initializations with work: an idle OpenMP thread
     * still costs a wake-up per step, which dominates small exact steps. */
    int active = 0;
    for (int r = 0; r < L->R; r++) active += !L->active || L->active[r];
    const int threads = active < cb->pts.threads ? (active > 0 ? active : 1) : cb->pts.threads;

#pragma omp parallel num_threads(threads)
    {
        ogem_eval_scratch ws = {0};
        quad_buf qb = {0};
        int ok = ogem_eval_scratch_init(&ws, n, K) == 0;
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int r = 0; r < L->R; r++) {
            if (!ok || (L->active && !L->active[r])) continue;
            const double *a = L->a + (size_t)r * n, *c = L->c + (size_t)r * n * K;
            double *lm = out->log_mass + (size_t)r * n, *cm = out->cond_mean + (size_t)r * n * K;
            int rc = eval_exact_one(n, K, L->k ? L->k[r] : K, a, c, &ws, &qb, lm, cm, out->mean_lse + r);
            if (rc) {
                /* The lowest failing r, whatever the thread timing. */
#pragma omp critical(ogem_cpu_fail)
                if (failed != 1 && (!failed || r < failed_r)) {
                    failed = rc == EXACT_NOMEM ? 1 : 2;
                    failed_r = r;
                    failed_rc = rc;
                }
            }
        }
        ogem_eval_scratch_free(&ws);
        quad_buf_free(&qb);
    }
    if (failed == 1) {
        snprintf(b->err, sizeof b->err, "out of memory in the CPU backend");
        return OGEM_ERR_NOMEM;
    }
    if (failed == 2)   /* the decision shared with the GPU backend (core/exact_failure.c) */
        return ogem_exact_failure(L, failed_r, failed_rc == EXACT_NO_RULE ? OGEM_EXACT_NO_RULE : OGEM_EXACT_NO_KIND,
                                  b->err, sizeof b->err);
    return OGEM_OK;
}

static void cpu_info(const ogem_backend *b, ogem_solver_info *info)
{
    const cpu_backend *cb = (const cpu_backend *)b;
    info->backend = "cpu";
    info->precision = "double";
    info->gpu_path = "";
    info->peak_device_bytes = 0;
    info->threads = cb->pts.threads;
}

static void cpu_destroy(ogem_backend *b)
{
    cpu_backend *cb = (cpu_backend *)b;
    ogem_host_points_free(&cb->pts);
    free(cb);
}

size_t ogem_backend_cpu_point_bytes(const ogem_point_spec *spec)
{
    return ogem_host_points_bytes(spec);
}

ogem_status ogem_backend_cpu_create(ogem_backend **out, const ogem_point_spec *spec, char *msg, size_t len)
{
    *out = NULL;
    if (spec->precision != OGEM_PREC_DOUBLE) {
        if (msg) snprintf(msg, len, "precision: the CPU backend computes in double only; float needs a GPU device");
        return OGEM_ERR_UNSUPPORTED;
    }
    cpu_backend *cb = calloc(1, sizeof *cb);
    if (!cb) return OGEM_ERR_NOMEM;
    ogem_status st = ogem_host_points_init(&cb->pts, spec, msg, len);
    if (st) {
        ogem_host_points_free(&cb->pts);
        free(cb);
        return st;
    }
    cb->base.name = "cpu";
    cb->base.prepare = cpu_prepare;
    cb->base.eval = cpu_eval;
    cb->base.info = cpu_info;
    cb->base.destroy = cpu_destroy;
    *out = &cb->base;
    return OGEM_OK;
}
