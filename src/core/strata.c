/* strata.c - a mixture truth, one line set per truth component (strata.h;
 * the derivation is at the top of solver.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mixture.h"
#include "core/strata.h"
#include "core/subspace.h"
#include "math/checked.h"
#include "math/log_sum.h"

typedef struct sizes { size_t Rm, Rmn, RmnK, RdK, T, Tm, TmK, dK, vb; } sizes;

static sizes sizes_of(int R, int n, int m, int d, int K, ogem_strata_mode mode)
{
    sizes z;
    z.Rm = ogem_size_mul(ogem_count(R), ogem_count(m));
    z.Rmn = ogem_size_mul(z.Rm, ogem_count(n));
    z.RmnK = ogem_size_mul(z.Rmn, ogem_count(K));
    z.RdK = mode == OGEM_STRATA_FULL ? 0 : ogem_size_mul3(ogem_count(R), ogem_count(d), ogem_count(K));
    z.T = mode == OGEM_STRATA_SUB ? z.Rm : ogem_count(m);
    z.Tm = ogem_size_mul(z.T, ogem_count(m));
    z.TmK = ogem_size_mul(z.Tm, ogem_count(K));
    z.dK = ogem_size_mul(ogem_count(d), ogem_count(K));
    z.vb = ogem_size_mul(ogem_size_add(ogem_count(n), ogem_count(m)), ogem_size_add(ogem_count(d), ogem_count(K)));
    return z;
}

size_t ogem_strata_bytes(int R, int n, int m, int d, int K, ogem_strata_mode mode)
{
    const sizes z = sizes_of(R, n, m, d, K, mode);
    size_t dbl = ogem_size_add(ogem_size_add(ogem_size_mul(2, z.Rmn), ogem_size_mul(2, z.RmnK)), z.Rm);
    dbl = ogem_size_add(dbl, ogem_size_add(ogem_size_add(ogem_size_mul(2, z.Tm), ogem_size_mul(2, z.TmK)), z.T));
    dbl = ogem_size_add(dbl, ogem_size_add(ogem_size_add(z.RdK, z.dK), ogem_size_add(z.vb, 2 * (size_t)d + 2)));
    return ogem_size_add(ogem_size_mul(sizeof(double), dbl), ogem_size_mul(sizeof(int) + 1, ogem_size_add(z.Rm, z.T)));
}

void ogem_strata_free(ogem_strata *b)
{
    free(b->a); free(b->c); free(b->lm); free(b->cm); free(b->lse); free(b->Q); free(b->k); free(b->work);
    free(b->ta); free(b->tc); free(b->tlm); free(b->tcm); free(b->tlse); free(b->P); free(b->tk); free(b->twork);
    free(b->vbuf); free(b->acc);
    memset(b, 0, sizeof *b);
}

static void *dalloc(size_t count) { return malloc(ogem_size_mul(sizeof(double), count ? count : 1)); }

ogem_status ogem_strata_init(ogem_strata *b, int R, int n, int m, int d, int K, ogem_strata_mode mode,
                             int truth_const)
{
    const sizes z = sizes_of(R, n, m, d, K, mode);
    *b = (ogem_strata){.R = R, .n = n, .m = m, .d = d, .K = K, .T = (int)z.T, .mode = mode,
                       .truth_const = truth_const};
    b->a = dalloc(z.Rmn); b->c = calloc(z.RmnK ? z.RmnK : 1, sizeof(double));
    b->lm = dalloc(z.Rmn); b->cm = dalloc(z.RmnK); b->lse = dalloc(z.Rm);
    b->Q = mode == OGEM_STRATA_FULL ? NULL : calloc(z.RdK, sizeof(double));
    b->k = calloc(z.Rm, sizeof(int)); b->work = calloc(z.Rm, 1);
    b->ta = dalloc(z.Tm); b->tc = calloc(z.TmK ? z.TmK : 1, sizeof(double));
    b->tlm = dalloc(z.Tm); b->tcm = dalloc(z.TmK); b->tlse = dalloc(z.T);
    b->P = mode == OGEM_STRATA_EXACT ? calloc(z.dK, sizeof(double)) : NULL;
    b->tk = calloc(z.T, sizeof(int)); b->twork = calloc(z.T, 1);
    b->vbuf = dalloc(z.vb); b->acc = dalloc(2 * (size_t)d + 2);
    if (!b->a || !b->c || !b->lm || !b->cm || !b->lse || (mode != OGEM_STRATA_FULL && !b->Q) || !b->k || !b->work ||
        !b->ta || !b->tc || !b->tlm || !b->tcm || !b->tlse || (mode == OGEM_STRATA_EXACT && !b->P) || !b->tk ||
        !b->twork || !b->vbuf || !b->acc) {
        ogem_strata_free(b);
        return OGEM_ERR_NOMEM;
    }
    return OGEM_OK;
}

/* y = B^T x for the first kq columns of the d x K basis B (the rest 0). */
static void project(const double *B, int d, int K, int kq, const double *x, double *y)
{
    for (int q = 0; q < K; q++) {
        double dot = 0.0;
        if (q < kq)
            for (int k = 0; k < d; k++) dot += B[(size_t)k * K + q] * x[k];
        y[q] = dot;
    }
}

/* The m line sets of initialization r: the intercepts of stratum j,
 * a_i = log pi_i - |m_i - toff_j|^2 / 2, and slopes by mode (strata.h).
 * SUB also writes the truth's sets of r. -1: EXACT's model needs more than K
 * directions; -2: out of memory. */
static int build_init(ogem_strata *b, const ogem_truth_rel *t, int r, const double *mr, const double *lp)
{
    const int n = b->n, m = b->m, d = b->d, K = b->K;
    double *Q = b->Q ? b->Q + (size_t)r * d * K : NULL;
    int rank = d;
    double *proj = b->vbuf + (size_t)(n + m) * d;   /* (n + m) x K projections */
    if (b->mode == OGEM_STRATA_SUB) {
        /* the differences from a zero row are the vectors themselves */
        double *v = b->vbuf;
        memset(v, 0, sizeof(double) * d);
        memcpy(v + d, mr, sizeof(double) * n * d);
        memcpy(v + (size_t)(n + 1) * d, t->toff + d, sizeof(double) * (size_t)(m - 1) * d);
        rank = ogem_subspace_basis(n + m, d, v, K, Q);
        if (rank < 0) return -2;   /* K = min(d, n + m - 1) always fits: only malloc fails */
        for (int i = 0; i < n; i++) project(Q, d, K, rank, mr + (size_t)i * d, proj + (size_t)i * K);
        for (int l = 0; l < m; l++) project(Q, d, K, rank, t->toff + (size_t)l * d, proj + (size_t)(n + l) * K);
    } else if (b->mode == OGEM_STRATA_EXACT) {
        rank = ogem_subspace_basis(n, d, mr, K, Q);
        if (rank < 0) return -1;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < d; k++) b->vbuf[k] = mr[(size_t)i * d + k] - mr[k];
            project(Q, d, K, rank, b->vbuf, proj + (size_t)i * K);
        }
    }
    for (int j = 0; j < m; j++) {
        const size_t q = (size_t)r * m + j;
        const double *tj = t->toff + (size_t)j * d;
        double *a = b->a + q * n, *c = b->c + q * n * K;
        b->k[q] = rank;
        for (int i = 0; i < n; i++) {
            const double *mi = mr + (size_t)i * d;
            a[i] = lp[i] - 0.5 * ogem_sqdist(mi, tj, d);
            double *ci = c + (size_t)i * K;
            if (b->mode == OGEM_STRATA_FULL)
                for (int k = 0; k < d; k++) ci[k] = mi[k] - tj[k];
            else if (b->mode == OGEM_STRATA_SUB)
                for (int k = 0; k < K; k++) ci[k] = proj[(size_t)i * K + k] - proj[(size_t)(n + j) * K + k];
            else
                memcpy(ci, proj + (size_t)i * K, sizeof(double) * K);
        }
        if (b->mode != OGEM_STRATA_SUB) continue;
        double *ta = b->ta + q * m, *tc = b->tc + q * m * K;
        b->tk[q] = rank;
        for (int l = 0; l < m; l++) {
            ta[l] = t->logw[l] - 0.5 * ogem_sqdist(t->toff + (size_t)l * d, tj, d);
            for (int k = 0; k < K; k++) tc[(size_t)l * K + k] = proj[(size_t)(n + l) * K + k] - proj[(size_t)(n + j) * K + k];
        }
    }
    return 0;
}

/* The truth's sets shared by every init (FULL, EXACT): stratum j's lines
 * t_l = log w_l - |toff_l - toff_j|^2 / 2 + <slope_l, .>, slopes
 * toff_l - toff_j (FULL) or P^T toff_l (EXACT, the common -toff_j dropped).
 * -1: EXACT's truth needs more than K directions. */
static int build_truth(ogem_strata *b, const ogem_truth_rel *t)
{
    const int m = b->m, d = b->d, K = b->K;
    int rank = d;
    if (b->mode == OGEM_STRATA_EXACT) {
        rank = ogem_subspace_basis(m, d, t->toff, K, b->P);
        if (rank < 0) return -1;
    }
    for (int j = 0; j < m; j++) {
        const double *tj = t->toff + (size_t)j * d;
        double *ta = b->ta + (size_t)j * m, *tc = b->tc + (size_t)j * m * K;
        b->tk[j] = rank;
        b->twork[j] = 1;
        for (int l = 0; l < m; l++) {
            const double *tl = t->toff + (size_t)l * d;
            ta[l] = t->logw[l] - 0.5 * ogem_sqdist(tl, tj, d);
            if (b->mode == OGEM_STRATA_FULL)
                for (int k = 0; k < d; k++) tc[(size_t)l * K + k] = tl[k] - tj[k];
            else
                project(b->P, d, K, rank, tl, tc + (size_t)l * K);
        }
    }
    return 0;
}

/* Stratum j's moment of component i of set q, as a log-scaled sum
 * (log_sum.h) of scale log w_j + log E_j[psi_i] and values
 * (1, toff_j + B cm): merged over j it gives E[psi_i] and E[psi_i x] / E[psi_i]. */
static double merge_stratum(const ogem_strata *b, const ogem_truth_rel *t, int r, int j, int i, double scale,
                            double *acc, double *in)
{
    const int n = b->n, d = b->d, K = b->K;
    const size_t q = (size_t)r * b->m + j, qi = q * n + i;
    const double *cm = b->cm + qi * K, *tj = t->toff + (size_t)j * d;
    in[0] = 1.0;
    if (b->mode == OGEM_STRATA_FULL) {
        for (int k = 0; k < d; k++) in[1 + k] = tj[k] + cm[k];
    } else {
        const double *Q = b->Q + (size_t)r * d * K;
        for (int k = 0; k < d; k++) {
            double v = 0.0;
            for (int u = 0; u < b->k[q]; u++) v += Q[(size_t)k * K + u] * cm[u];
            in[1 + k] = tj[k] + v;
        }
    }
    return ogem_lsum_merge(scale, acc, 1, t->logw[j] + b->lm[qi], in, 1, d + 1);
}

ogem_status ogem_strata_eval(ogem_strata *b, ogem_backend *be, const ogem_truth_rel *t, const double *m,
                             const double *logpi, const unsigned char *work, double *log_mass, double *xbar,
                             double *mean_lse, int *max_k, char *err, size_t len)
{
    const int R = b->R, n = b->n, M = b->m, d = b->d, K = b->K;
    for (int r = 0; r < R; r++) {
        for (int j = 0; j < M; j++) b->work[(size_t)r * M + j] = work[r];
        if (b->mode == OGEM_STRATA_SUB)
            for (int j = 0; j < M; j++) b->twork[(size_t)r * M + j] = work[r];
        if (!work[r]) continue;
        int rc = build_init(b, t, r, m + (size_t)r * n * d, logpi + (size_t)r * n);
        if (rc == -2) {
            snprintf(err, len, "out of memory for the subspace basis");
            return OGEM_ERR_NOMEM;
        }
        if (rc == -1) {
            snprintf(err, len,
                     "estimator: exact quadrature handles means spanning at most %d directions of difference; "
                     "initialization %d spans more: use the qmc estimator with subspace sampling", K, r);
            return OGEM_ERR_UNSUPPORTED;
        }
        if (b->mode != OGEM_STRATA_FULL && b->k[(size_t)r * M] > *max_k) *max_k = b->k[(size_t)r * M];
    }
    const int sets_k = b->mode != OGEM_STRATA_FULL;
    ogem_lines L = {.R = R * M, .n = n, .K = K, .a = b->a, .c = b->c, .k = sets_k ? b->k : NULL,
                    .active = b->work, .strata = M};
    ogem_moments mo = {.log_mass = b->lm, .cond_mean = b->cm, .mean_lse = b->lse};
    ogem_status st = be->eval(be, &L, &mo);
    if (st) {
        snprintf(err, len, "%s", be->err);
        return st;
    }
    if (b->mode != OGEM_STRATA_SUB && !b->truth_done && build_truth(b, t) != 0) {
        snprintf(err, len,
                 "estimator: exact quadrature handles a truth whose means span at most %d directions; these %d "
                 "means span more: use the qmc estimator", K, M);
        return OGEM_ERR_UNSUPPORTED;
    }
    if (!b->truth_done) {
        ogem_lines T = {.R = b->T, .n = M, .K = K, .a = b->ta, .c = b->tc, .k = sets_k ? b->tk : NULL,
                        .active = b->twork, .strata = b->mode == OGEM_STRATA_SUB ? M : 0, .truth = 1};
        ogem_moments tm = {.log_mass = b->tlm, .cond_mean = b->tcm, .mean_lse = b->tlse};
        st = be->eval(be, &T, &tm);
        if (st) {
            snprintf(err, len, "%s", be->err);
            return st;
        }
        b->truth_done = b->truth_const;
    }
    double *acc = b->acc, *in = b->acc + d + 1;
    for (int r = 0; r < R; r++) {
        if (!work[r]) continue;
        for (int i = 0; i < n; i++) {
            double scale = OGEM_LOG_ZERO;
            for (int j = 0; j < M; j++) scale = merge_stratum(b, t, r, j, i, scale, acc, in);
            const size_t ri = (size_t)r * n + i;
            log_mass[ri] = ogem_lsum_log(scale, acc[0], 0.0);
            for (int k = 0; k < d; k++)
                xbar[ri * d + k] = ogem_lsum_empty(scale) ? 0.0 : ogem_lsum_ratio(scale, acc[1 + k], acc[0]);
        }
        double L2 = 0.0;
        for (int j = 0; j < M; j++) {
            const size_t q = (size_t)r * M + j, tq = b->mode == OGEM_STRATA_SUB ? q : (size_t)j;
            L2 += t->w[j] * (b->lse[q] - b->tlse[tq]);
        }
        mean_lse[r] = L2;
    }
    return OGEM_OK;
}
