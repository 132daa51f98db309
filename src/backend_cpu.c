/* backend_cpu.c - the CPU reference backend: host-drawn points (host_points.c)
 * and the double-precision kernel (lines_eval.c), threaded over
 * initializations. Each initialization is computed by one thread in a fixed
 * order, so results do not depend on the thread count. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "backend.h"
#include "host_points.h"
#include "lines_eval.h"
#if defined(__has_include)
#if __has_include("quad_rule.h")
#include "quad_rule.h"
#define OGEM_HAVE_QUAD 1
#endif
#endif
#ifndef OGEM_HAVE_QUAD /* TEMPORARY until quad_rule.h lands */
#define OGEM_QUAD_MAX_POINTS 1
static int ogem_quad_rule(int k, int n, const double *a, const double *c, double *x, double *w, int cap) { return -1; }
#endif

typedef struct cpu_backend {
    ogem_backend base;
    ogem_host_points pts;
    int threads;
} cpu_backend;

static ogem_status cpu_prepare(ogem_backend *b, long step)
{
    cpu_backend *cb = (cpu_backend *)b;
    return ogem_host_points_prepare(&cb->pts, step, b->err, sizeof b->err);
}

/* One initialization of the exact estimator: build its quadrature rule in its
 * own k-dimensional subspace, then evaluate like a weighted point set. */
static int eval_exact_one(int n, int K, int k, const double *a, const double *c, ogem_eval_scratch *ws,
                          double *nodes, double *weights, double *ck,
                          double *log_mass, double *cond_mean, double *mean_lse)
{
    for (int i = 0; i < n; i++)
        for (int q = 0; q < k; q++) ck[i * k + q] = c[(size_t)i * K + q];
    int P = ogem_quad_rule(k, n, a, ck, nodes, weights, OGEM_QUAD_MAX_POINTS);
    if (P <= 0) return -1;
    double *nt = nodes + (size_t)2 * OGEM_QUAD_MAX_POINTS;   /* the nodes dimension-major */
    for (int j = 0; j < P; j++)
        for (int q = 0; q < k; q++) nt[(size_t)q * P + j] = nodes[(size_t)j * k + q];
    double *cm = ck + (size_t)n * k;   /* n x k conditional means */
    ogem_eval_lines(n, k, a, ck, nt, P, P, weights, ws, log_mass, cm, mean_lse);
    for (int i = 0; i < n; i++)
        for (int q = 0; q < K; q++) cond_mean[(size_t)i * K + q] = q < k ? cm[i * k + q] : 0.0;
    return 0;
}

static ogem_status cpu_eval(ogem_backend *b, const ogem_lines *L, ogem_moments *out)
{
    cpu_backend *cb = (cpu_backend *)b;
    const int n = L->n, K = L->K;
    const int exact = cb->pts.kind == OGEM_EST_EXACT;
    int failed = 0, failed_r = -1;

#pragma omp parallel num_threads(cb->threads)
    {
        ogem_eval_scratch ws = {0};
        double *nodes = NULL, *weights = NULL, *ck = NULL;
        int ok = ogem_eval_scratch_init(&ws, n, K) == 0;
        if (ok && exact) {
            nodes = malloc(sizeof(double) * OGEM_QUAD_MAX_POINTS * 4);
            weights = malloc(sizeof(double) * OGEM_QUAD_MAX_POINTS);
            ck = malloc(sizeof(double) * (size_t)n * 4);
            ok = nodes && weights && ck;
        }
        if (!ok) {
#pragma omp atomic write
            failed = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (int r = 0; r < L->R; r++) {
            if (!ok || (L->active && !L->active[r])) continue;
            const double *a = L->a + (size_t)r * n, *c = L->c + (size_t)r * n * K;
            double *lm = out->log_mass + (size_t)r * n, *cm = out->cond_mean + (size_t)r * n * K;
            if (exact) {
                if (eval_exact_one(n, K, L->k ? L->k[r] : K, a, c, &ws, nodes, weights, ck, lm, cm,
                                   out->mean_lse + r)) {
#pragma omp critical(ogem_cpu_fail)
                    if (!failed) { failed = 2; failed_r = r; }
                }
            } else {
                ogem_eval_lines(n, K, a, c, cb->pts.pt, cb->pts.N, cb->pts.N, NULL, &ws, lm, cm, out->mean_lse + r);
            }
        }
        ogem_eval_scratch_free(&ws);
        free(nodes);
        free(weights);
        free(ck);
    }
    if (failed == 1) {
        snprintf(b->err, sizeof b->err, "out of memory in the CPU backend");
        return OGEM_ERR_NOMEM;
    }
    if (failed == 2) {
        snprintf(b->err, sizeof b->err,
                 "exact quadrature cannot handle initialization %d (its means span more than 2 directions "
                 "of difference); use qmc:N with --subspace", failed_r);
        return OGEM_ERR_UNSUPPORTED;
    }
    return OGEM_OK;
}

static void cpu_info(const ogem_backend *b, ogem_solver_info *info)
{
    const cpu_backend *cb = (const cpu_backend *)b;
    info->backend = "cpu";
    info->precision = "double";
    info->gpu_path = "";
    info->peak_device_bytes = 0;
    info->threads = cb->threads;
}

static void cpu_destroy(ogem_backend *b)
{
    cpu_backend *cb = (cpu_backend *)b;
    ogem_host_points_free(&cb->pts);
    free(cb);
}

ogem_status ogem_backend_cpu_create(ogem_backend **out, const ogem_point_spec *spec, char *msg, size_t len)
{
    *out = NULL;
    if (spec->precision != OGEM_PREC_DOUBLE) {
        if (msg) snprintf(msg, len, "the CPU backend computes in double only; float precision needs --device gpu");
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
    cb->threads = spec->threads > 0 ? spec->threads : omp_get_max_threads();
    cb->base.name = "cpu";
    cb->base.prepare = cpu_prepare;
    cb->base.eval = cpu_eval;
    cb->base.info = cpu_info;
    cb->base.destroy = cpu_destroy;
    *out = &cb->base;
    return OGEM_OK;
}
