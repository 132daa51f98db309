/* solver.c - the host driver: owns the batch of means, turns each
 * initialization into a line set (backend.h), asks a backend for the
 * expectations, and applies the gradient EM or EM update.
 *
 * Means are stored relative to mu* (m = mu - mu*): every formula is simplest
 * there, and distances to the truth are plain norms. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/backend.h"
#include "ogem/ogem.h"
#include "core/subspace.h"

struct ogem_solver {
    ogem_settings set;            /* copy; pointers below are owned copies   */
    double *weights, *logpi, *mu_star, *data;
    int R, n, d, K;
    int use_subspace;             /* lines in span{m_i - m_1} (exact, --subspace) */
    double *m;                    /* R x n x d, relative to mu*              */
    unsigned char *active;        /* R                                       */
    long step;
    ogem_backend *be;
    double *a, *c, *Q;            /* R*n, R*n*K, R*d*K                        */
    int *kdim;                    /* R                                       */
    double *log_mass, *cond_mean, *mean_lse, *xbar; /* R*n, R*n*K, R, R*n*d  */
    double data_const;            /* data: d/2 log(2 pi) + mean |x - mu*|^2 / 2 */
    int max_k;
    char err[512];
};

static ogem_status fail(ogem_solver *s, ogem_status st, const char *what)
{
    snprintf(s->err, sizeof s->err, "%s", what);
    return st;
}

const char *ogem_solver_error(const ogem_solver *s) { return s ? s->err : ""; }

static ogem_status validate(const ogem_settings *p, char *msg, size_t len)
{
#define BAD(...) do { if (msg) snprintf(msg, len, __VA_ARGS__); return OGEM_ERR_INVALID; } while (0)
    if (p->dim < 1) BAD("dimension must be at least 1 (got %d)", p->dim);
    if (p->components < 1) BAD("number of components must be at least 1 (got %d)", p->components);
    if (p->inits < 1) BAD("number of initializations must be at least 1 (got %d)", p->inits);
    if (!p->weights) BAD("weights are missing");
    ogem_status st = ogem_weights_check(p->components, p->weights, msg, len);
    if (st) return st;
    if (p->mu_star)
        for (int k = 0; k < p->dim; k++)
            if (!isfinite(p->mu_star[k])) BAD("mu* coordinate %d is not finite", k + 1);
    if (p->algo != OGEM_ALGO_GEM && p->algo != OGEM_ALGO_EM) BAD("unknown algorithm");
    if (p->algo == OGEM_ALGO_GEM && !(isfinite(p->eta) && p->eta > 0)) BAD("step size eta must be positive and finite (got %g)", p->eta);
    switch (p->estimator) {
    case OGEM_EST_MC:
        if (p->samples < 2 || p->samples % 2) BAD("mc needs an even number of samples >= 2 (antithetic pairs; got %ld)", p->samples);
        break;
    case OGEM_EST_FIXED:
    case OGEM_EST_QMC:
        if (p->samples < 1) BAD("the number of samples must be at least 1 (got %ld)", p->samples);
        break;
    case OGEM_EST_DATA:
        if (!p->data || p->data_rows < 1) BAD("the data set is empty");
        for (long q = 0; q < p->data_rows * p->dim; q++)
            if (!isfinite(p->data[q])) BAD("data row %ld has a non-finite value", q / p->dim + 1);
        break;
    case OGEM_EST_EXACT:
        break;
    default:
        BAD("unknown estimator");
    }
    if (p->subspace && p->estimator != OGEM_EST_MC && p->estimator != OGEM_EST_QMC && p->estimator != OGEM_EST_EXACT)
        BAD("the subspace reduction applies to mc and qmc (samples of the truth), not to fixed or data");
    if (p->threads < 0) BAD("threads must be >= 0 (got %d)", p->threads);
    return OGEM_OK;
#undef BAD
}

void ogem_solver_destroy(ogem_solver *s)
{
    if (!s) return;
    if (s->be) s->be->destroy(s->be);
    free(s->weights); free(s->logpi); free(s->mu_star); free(s->data);
    free(s->m); free(s->active); free(s->a); free(s->c); free(s->Q); free(s->kdim);
    free(s->log_mass); free(s->cond_mean); free(s->mean_lse); free(s->xbar);
    free(s);
}

static void *xdup(const void *p, size_t bytes)
{
    void *q = malloc(bytes ? bytes : 1);
    if (q && p) memcpy(q, p, bytes);
    return q;
}

ogem_status ogem_solver_create(ogem_solver **out, const ogem_settings *p, char *msg, size_t len)
{
    *out = NULL;
    ogem_status st = validate(p, msg, len);
    if (st) return st;
    ogem_solver *s = calloc(1, sizeof *s);
    if (!s) return OGEM_ERR_NOMEM;
    const int n = p->components, d = p->dim, R = p->inits;
    s->set = *p;
    s->R = R; s->n = n; s->d = d;
    s->use_subspace = p->subspace || p->estimator == OGEM_EST_EXACT;
    if (s->use_subspace) {
        int k = n - 1 < d ? n - 1 : d;
        if (p->estimator == OGEM_EST_EXACT && k > 2) k = 2;
        s->K = k < 1 ? 1 : k;   /* a zero-width point set is awkward; an unused column is free */
    } else {
        s->K = d;
    }
    const size_t Rn = (size_t)R * n, K = (size_t)s->K;
    s->weights = xdup(p->weights, sizeof(double) * n);
    s->logpi = malloc(sizeof(double) * n);
    s->mu_star = calloc(d, sizeof(double));
    s->m = calloc(Rn * d, sizeof(double));
    s->active = malloc(R);
    s->a = malloc(sizeof(double) * Rn);
    s->c = calloc(Rn * K, sizeof(double));
    s->kdim = calloc(R, sizeof(int));
    s->Q = s->use_subspace ? calloc((size_t)R * d * K, sizeof(double)) : NULL;
    s->log_mass = malloc(sizeof(double) * Rn);
    s->cond_mean = malloc(sizeof(double) * Rn * K);
    s->mean_lse = malloc(sizeof(double) * R);
    s->xbar = malloc(sizeof(double) * Rn * d);
    if (!s->weights || !s->logpi || !s->mu_star || !s->m || !s->active || !s->a || !s->c || !s->kdim ||
        (s->use_subspace && !s->Q) || !s->log_mass || !s->cond_mean || !s->mean_lse || !s->xbar) {
        ogem_solver_destroy(s);
        if (msg) snprintf(msg, len, "out of memory for %d initializations", R);
        return OGEM_ERR_NOMEM;
    }
    for (int i = 0; i < n; i++) s->logpi[i] = log(p->weights[i]);
    if (p->mu_star) memcpy(s->mu_star, p->mu_star, sizeof(double) * d);
    s->set.weights = s->weights;
    s->set.mu_star = s->mu_star;
    memset(s->active, 1, R);

    ogem_point_spec spec = {.kind = p->estimator, .N = p->samples, .K = s->K, .seed = p->seed,
                            .precision = p->precision, .gpu_path = p->gpu_path, .threads = p->threads};
    if (p->estimator == OGEM_EST_DATA) {
        /* Centre the data on mu* once; the NLL's constant part is fixed too. */
        s->data = malloc(sizeof(double) * (size_t)p->data_rows * d);
        if (!s->data) { ogem_solver_destroy(s); return OGEM_ERR_NOMEM; }
        double sq = 0.0;
        for (long j = 0; j < p->data_rows; j++)
            for (int k = 0; k < d; k++) {
                double z = p->data[j * d + k] - s->mu_star[k];
                s->data[j * d + k] = z;
                sq += z * z;
            }
        s->data_const = 0.5 * d * log(2.0 * 3.14159265358979323846) + 0.5 * sq / (double)p->data_rows;
        spec.N = p->data_rows;
        spec.data = s->data;
        s->set.data = s->data;
    } else {
        s->set.data = NULL;
        s->set.data_rows = 0;
    }

    ogem_device dev = p->device;
    if (dev == OGEM_DEVICE_AUTO) dev = ogem_gpu_count() > 0 ? OGEM_DEVICE_GPU : OGEM_DEVICE_CPU;
    st = dev == OGEM_DEVICE_GPU ? ogem_backend_gpu_create(&s->be, &spec, msg, len)
                                : ogem_backend_cpu_create(&s->be, &spec, msg, len);
    if (st) { ogem_solver_destroy(s); return st; }
    *out = s;
    return OGEM_OK;
}

ogem_status ogem_solver_set_means(ogem_solver *s, const double *mu)
{
    const size_t total = (size_t)s->R * s->n * s->d;
    for (size_t q = 0; q < total; q++)
        if (!isfinite(mu[q]))
            return fail(s, OGEM_ERR_INVALID, "initial means must be finite");
    for (size_t q = 0; q < total; q++) s->m[q] = mu[q] - s->mu_star[q % s->d];
    return OGEM_OK;
}

ogem_status ogem_solver_get_means(const ogem_solver *s, double *mu)
{
    const size_t total = (size_t)s->R * s->n * s->d;
    for (size_t q = 0; q < total; q++) mu[q] = s->m[q] + s->mu_star[q % s->d];
    return OGEM_OK;
}

ogem_status ogem_solver_set_active(ogem_solver *s, const unsigned char *active)
{
    for (int r = 0; r < s->R; r++) s->active[r] = active ? (active[r] != 0) : 1;
    return OGEM_OK;
}

ogem_status ogem_solver_get_active(const ogem_solver *s, unsigned char *active)
{
    memcpy(active, s->active, s->R);
    return OGEM_OK;
}

void ogem_solver_shape(const ogem_solver *s, int *R, int *n, int *d)
{
    if (R) *R = s->R;
    if (n) *n = s->n;
    if (d) *d = s->d;
}

long ogem_solver_step_index(const ogem_solver *s) { return s->step; }

ogem_status ogem_solver_seek(ogem_solver *s, long t)
{
    if (t < 0) return fail(s, OGEM_ERR_INVALID, "step index must be >= 0");
    s->step = t;
    return OGEM_OK;
}

/* The line set of initialization r (see sample_math.h). */
static int build_lines(ogem_solver *s, int r)
{
    const int n = s->n, d = s->d, K = s->K;
    const double *m = s->m + (size_t)r * n * d;
    double *a = s->a + (size_t)r * n, *c = s->c + (size_t)r * n * K;
    for (int i = 0; i < n; i++) {
        double sq = 0.0;
        for (int k = 0; k < d; k++) sq += m[i * d + k] * m[i * d + k];
        a[i] = s->logpi[i] - 0.5 * sq;
    }
    if (!s->use_subspace) {
        memcpy(c, m, sizeof(double) * n * d);
        s->kdim[r] = d;
        return 0;
    }
    double *Q = s->Q + (size_t)r * d * K;
    int k = ogem_subspace_basis(n, d, m, K, Q);
    if (k < 0) return -1;
    s->kdim[r] = k;
    for (int i = 0; i < n; i++)
        for (int q = 0; q < K; q++) {
            double dot = 0.0;
            if (q < k)
                for (int j = 0; j < d; j++) dot += Q[j * K + q] * (m[i * d + j] - m[j]);
            c[(size_t)i * K + q] = dot;
        }
    return 0;
}

/* Expectations at the current means for step s->step: fills log_mass, xbar
 * (E[psi_i z] / E[psi_i], relative to mu*) and mean_lse of active inits. */
static ogem_status evaluate(ogem_solver *s)
{
    ogem_status st = s->be->prepare(s->be, s->step);
    if (st) return fail(s, st, s->be->err);
    const int n = s->n, d = s->d, K = s->K;
    for (int r = 0; r < s->R; r++) {
        if (!s->active[r]) continue;
        if (build_lines(s, r)) {
            snprintf(s->err, sizeof s->err,
                     "estimator: exact quadrature handles means spanning at most 2 directions of difference; "
                     "initialization %d spans more: use the qmc estimator with subspace sampling", r);
            return OGEM_ERR_UNSUPPORTED;
        }
        if (s->kdim[r] > s->max_k) s->max_k = s->kdim[r];
    }
    ogem_lines L = {.R = s->R, .n = n, .K = K, .a = s->a, .c = s->c,
                    .k = s->use_subspace ? s->kdim : NULL, .active = s->active};
    ogem_moments mo = {.log_mass = s->log_mass, .cond_mean = s->cond_mean, .mean_lse = s->mean_lse};
    st = s->be->eval(s->be, &L, &mo);
    if (st) return fail(s, st, s->be->err);
    for (int r = 0; r < s->R; r++) {
        if (!s->active[r]) continue;
        for (int i = 0; i < n; i++) {
            const double *cm = s->cond_mean + ((size_t)r * n + i) * K;
            double *xb = s->xbar + ((size_t)r * n + i) * d;
            if (!s->use_subspace) {
                memcpy(xb, cm, sizeof(double) * d);
            } else {
                const double *Q = s->Q + (size_t)r * d * K;
                for (int j = 0; j < d; j++) {
                    double v = 0.0;
                    for (int q = 0; q < s->kdim[r]; q++) v += Q[j * K + q] * cm[q];
                    xb[j] = v;
                }
            }
        }
    }
    return OGEM_OK;
}

static double loss_of(const ogem_solver *s, int r)
{
    double L = -s->mean_lse[r];
    return s->set.estimator == OGEM_EST_DATA ? s->data_const + L : L;
}

ogem_status ogem_solver_step(ogem_solver *s, int apply, ogem_metrics *met)
{
    ogem_status st = evaluate(s);
    if (st) return st;
    const int n = s->n, d = s->d;
    for (int r = 0; r < s->R; r++) {
        if (!s->active[r]) continue;
        double *m = s->m + (size_t)r * n * d;
        double maxd = 0.0, md2 = 0.0, upd2 = 0.0;
        for (int i = 0; i < n; i++) {
            double sq = 0.0;
            for (int k = 0; k < d; k++) sq += m[i * d + k] * m[i * d + k];
            maxd = fmax(maxd, sqrt(sq));
            md2 += s->weights[i] * sq;
        }
        for (int i = 0; i < n; i++) {
            const double lm = s->log_mass[(size_t)r * n + i];
            const double *xb = s->xbar + ((size_t)r * n + i) * d;
            double *mi = m + (size_t)i * d;
            if (!(lm > -INFINITY)) continue;   /* no mass at all: nothing moves it */
            const double f = s->set.algo == OGEM_ALGO_GEM ? s->set.eta * exp(lm) : 1.0;
            for (int k = 0; k < d; k++) {
                double delta = f * (xb[k] - mi[k]);
                upd2 += delta * delta;
                if (apply) mi[k] += delta;
            }
        }
        double loss = loss_of(s, r);
        if (!isfinite(loss) || !isfinite(upd2)) {
            snprintf(s->err, sizeof s->err, "non-finite loss or update at step %ld, initialization %d", s->step, r);
            return OGEM_ERR_NUMERIC;
        }
        if (met) met[r] = (ogem_metrics){.loss = loss, .max_dist = maxd, .mean_dist2 = md2, .update_norm = sqrt(upd2)};
    }
    s->step++;
    return OGEM_OK;
}

ogem_status ogem_solver_moments(ogem_solver *s, double *loss, double *log_mass, double *cond_mean)
{
    ogem_status st = evaluate(s);
    if (st) return st;
    const int n = s->n, d = s->d;
    for (int r = 0; r < s->R; r++) {
        if (!s->active[r]) continue;
        if (loss) loss[r] = loss_of(s, r);
        for (int i = 0; i < n; i++) {
            size_t ri = (size_t)r * n + i;
            if (log_mass) log_mass[ri] = s->log_mass[ri];
            if (cond_mean)
                for (int k = 0; k < d; k++) cond_mean[ri * d + k] = s->xbar[ri * d + k] + s->mu_star[k];
        }
    }
    return OGEM_OK;
}

ogem_status ogem_solver_get_info(const ogem_solver *s, ogem_solver_info *info)
{
    memset(info, 0, sizeof *info);
    s->be->info(s->be, info);
    info->max_subspace_dim = s->use_subspace ? s->max_k : 0;
    return OGEM_OK;
}
