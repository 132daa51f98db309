/* solver.c - the host driver: owns the batch of means, turns each
 * initialization into a line set (backend.h), asks a backend for the
 * expectations, and applies the gradient EM or EM update.
 *
 * Means are stored relative to mu* (m = mu - mu*): every formula is simplest
 * there, and distances to the truth are plain norms. With a mixture truth
 * sum_j w_j N(mu*_j, I), mu* is its first mean and toff_j = mu*_j - mu*_1.
 *
 * A mixture truth is integrated over its component exactly (stratified):
 * E[f(x)] = sum_j w_j E[f(mu*_j + z)], z ~ N(0, I), each stratum j on the
 * step's points. In stratum j the model's scores are lines again,
 *     s_i(z) = log pi_i - |m_i - toff_j|^2 / 2 + <m_i - toff_j, z>,
 * so initialization r becomes m line sets q = r m + j (strata.c's layout
 * below), and the truth's own density log p*(x) is one more line set per
 * stratum, t_l(z) = log w_l - |toff_l - toff_j|^2 / 2 + <toff_l - toff_j, z>:
 *     KL(truth || model) = sum_j w_j (E_j[lse_l t_l] - E_j[lse_i s_i]),
 * both from the same points, so the -|z|^2/2 terms cancel point by point.
 * Why strata rather than sampled labels: the estimate is unbiased, its
 * variance given the normals is below that of sampled labels, the sampling
 * plan (backend.h) stays the one both backends already follow, and the
 * exact estimator needs it anyway (a rule per stratum). It costs m
 * evaluations per point. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/backend.h"
#include "ogem/ogem.h"
#include "core/mixture.h"
#include "core/split.h"
#include "core/strata.h"
#include "core/subspace.h"
#include "math/checked.h"

struct ogem_solver {
    ogem_settings set;            /* copy; pointers below are owned copies   */
    double *weights, *logpi, *mu_star, *data;   /* weights, logpi: R x n  */
    int R, n, d, K;
    size_t Rnd;                   /* R * n * d, checked at create            */
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
    /* The truth: m components, toff_j = mu*_j - mu*_1 (m x d). strata = m
     * line sets per init for a mixture truth on a sampled or exact
     * estimator, else 1 (one truth Gaussian, or data: the data set is the
     * distribution, and the truth enters only the metrics). */
    int mt, strata;
    double *tw, *tlogw, *toff;
    ogem_strata sb;
    double *mu_abs, *pi_row;      /* d, n: scratch of the metrics        */
    /* With an exchange (ogem/partition.h): this rank evaluates and updates
     * only the inits it owns (work = active and owned); the others' means
     * here lag behind until a gather (dirty: updated by its owner since the
     * last one); mbuf carries the metrics of a step to every rank. */
    ogem_split split;
    unsigned char *work, *dirty;  /* R                                        */
    double *mbuf;                 /* R x 4: the metrics, as rows of doubles   */
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
    if (p->truth_components < 0) BAD("truth_components: must be >= 0 (got %d)", p->truth_components);
    if (p->truth_components == 0 && (p->truth_weights || p->truth_means))
        BAD("truth_components: is 0 but truth weights or means are given");
    if (p->truth_components > 0) {
        if (p->mu_star) BAD("truth_means: give mu_star or truth_means, not both");
        if (!p->truth_weights || !p->truth_means) BAD("truth_means: a mixture truth needs its weights and means");
        char why[200];
        if (ogem_weights_check(p->truth_components, p->truth_weights, why, sizeof why))
            BAD("truth_weights: %s", why);
        for (size_t q = 0, nq = ogem_size_mul(ogem_count(p->truth_components), ogem_count(p->dim)); q < nq; q++)
            if (!isfinite(p->truth_means[q]))
                BAD("truth_means: component %zu, coordinate %zu is not finite", q / (size_t)p->dim + 1,
                    q % (size_t)p->dim + 1);
    }
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
        for (size_t q = 0, nq = ogem_size_mul(ogem_count(p->data_rows), ogem_count(p->dim)); q < nq; q++)
            if (!isfinite(p->data[q])) BAD("data row %zu has a non-finite value", q / (size_t)p->dim + 1);
        break;
    case OGEM_EST_EXACT:
        break;
    default:
        BAD("unknown estimator");
    }
    if (p->subspace && p->estimator != OGEM_EST_MC && p->estimator != OGEM_EST_QMC && p->estimator != OGEM_EST_EXACT)
        BAD("the subspace reduction applies to mc and qmc (samples of the truth), not to fixed or data");
    if (p->threads < 0) BAD("threads must be >= 0 (got %d)", p->threads);
    if (p->symmetric && (p->components != 2 || p->truth_components > 1))
        BAD("symmetric: the tied model has n = 2 components against one truth Gaussian (got n = %d, m = %d)",
            p->components, p->truth_components > 1 ? p->truth_components : 1);
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
    free(s->work); free(s->dirty); free(s->mbuf);
    free(s->tw); free(s->tlogw); free(s->toff); free(s->mu_abs); free(s->pi_row);
    ogem_strata_free(&s->sb);
    ogem_split_free(&s->split);
    free(s);
}

/* Element counts of the per-batch arrays, formed once with checked (saturating)
 * arithmetic: create() sizes its allocations from them, and the memory budget
 * adds them up, so the two cannot disagree. */
typedef struct batch_sizes {
    size_t R, Rn, Rnd, RnK, RdK;
} batch_sizes;

static batch_sizes batch_sizes_of(int R, int n, int d, int K, int subspace)
{
    batch_sizes b;
    b.R = ogem_count(R);
    b.Rn = ogem_size_mul(b.R, ogem_count(n));
    b.Rnd = ogem_size_mul(b.Rn, ogem_count(d));
    b.RnK = ogem_size_mul(b.Rn, ogem_count(K));
    b.RdK = subspace ? ogem_size_mul3(b.R, ogem_count(d), ogem_count(K)) : 0;
    return b;
}

/* m, xbar (Rnd); c, cond_mean (RnK); a, log_mass, weights, logpi (Rn); Q;
 * mean_lse; kdim; active, work, dirty (a byte each). */
static size_t batch_bytes(const batch_sizes *b)
{
    size_t doubles = ogem_size_add(ogem_size_add(ogem_size_mul(2, b->Rnd), ogem_size_mul(2, b->RnK)),
                                   ogem_size_add(ogem_size_add(ogem_size_mul(4, b->Rn), b->RdK), b->R));
    return ogem_size_add(ogem_size_mul(sizeof(double), doubles), ogem_size_mul(sizeof(int) + 3, b->R));
}

/* Refuses a request whose host buffers exceed the budget (budget.h): batch
 * bytes for the arrays above, points for the samples or data the host holds.
 * The setting blamed is the larger part; its ogem_settings name leads the
 * message, so a front end can map it to its own option name. */
static ogem_status check_budget(const ogem_settings *p, int K, size_t batch, size_t points, char *msg, size_t len)
{
    const size_t budget = ogem_host_memory_bytes(), need = ogem_size_add(batch, points);
    if (need < OGEM_SIZE_MAX && need <= budget) return OGEM_OK;   /* OGEM_SIZE_MAX: saturated */
    char nb[32], bb[32];
    ogem_format_bytes(need, nb, sizeof nb);
    ogem_format_bytes(budget, bb, sizeof bb);
    if (!msg) return OGEM_ERR_INVALID;
    if (points < batch)
        snprintf(msg, len, "inits: %d initializations of %d components in dimension %d need %s; "
                 "more than this machine's %s of memory", p->inits, p->components, p->dim, nb, bb);
    else if (p->estimator == OGEM_EST_DATA)
        snprintf(msg, len, "data_rows: %ld data rows of dimension %d need %s; more than this machine's %s of memory",
                 p->data_rows, p->dim, nb, bb);
    else
        snprintf(msg, len, "samples: %ld samples of dimension %d need %s; more than this machine's %s of memory",
                 p->samples, K, nb, bb);
    return OGEM_ERR_INVALID;
}

ogem_status ogem_solver_create(ogem_solver **out, const ogem_settings *p, char *msg, size_t len)
{
    *out = NULL;
    ogem_status st = validate(p, msg, len);
    if (st) return st;
    const int n = p->components, d = p->dim, R = p->inits;
    const int use_subspace = p->subspace || p->estimator == OGEM_EST_EXACT;
    const int mt = p->truth_components > 1 ? p->truth_components : 1;
    /* A mixture truth on the data estimator changes only the metrics. */
    const int strata = p->estimator == OGEM_EST_DATA ? 1 : mt;
    int K = d;
    if (use_subspace) {
        /* directions the lines need (strata.h): the model's n - 1; with
         * strata, sampled points also span the truth means (n + m - 1), and
         * exact's separate truth rule needs m - 1 */
        int k = n - 1;
        if (strata > 1) k = p->estimator == OGEM_EST_EXACT ? (mt - 1 > k ? mt - 1 : k) : n + mt - 1;
        if (k > d) k = d;
        if (p->estimator == OGEM_EST_EXACT && k > 2) k = 2;
        K = k < 1 ? 1 : k;   /* a zero-width point set is awkward; an unused column is free */
    }
    const ogem_strata_mode smode = p->estimator == OGEM_EST_EXACT ? OGEM_STRATA_EXACT
                                   : use_subspace                  ? OGEM_STRATA_SUB
                                                                   : OGEM_STRATA_FULL;
    ogem_point_spec spec = {.kind = p->estimator, .N = p->samples, .K = K, .seed = p->seed,
                            .precision = p->precision, .gpu_path = p->gpu_path, .threads = p->threads};
    if (p->estimator == OGEM_EST_DATA) spec.N = p->data_rows;
    ogem_device dev = p->device;
    if (dev == OGEM_DEVICE_AUTO) dev = ogem_gpu_count() > 0 ? OGEM_DEVICE_GPU : OGEM_DEVICE_CPU;

    /* The budget before the first allocation: the solver's own arrays, its
     * centred copy of the data, and the points a CPU backend holds (a GPU
     * holds them in device memory, which its backend checks). */
    const batch_sizes bs = batch_sizes_of(R, n, d, K, use_subspace);
    const size_t data_bytes = p->estimator == OGEM_EST_DATA
                                  ? ogem_size_mul3(sizeof(double), ogem_count(p->data_rows), ogem_count(d)) : 0;
    const size_t point_bytes = ogem_size_add(data_bytes, dev == OGEM_DEVICE_CPU ? ogem_backend_cpu_point_bytes(&spec) : 0);
    /* An exchange adds the metrics rows and, for a gather of the means, one
     * more copy of them (split.c). */
    const int ranks = p->exchange ? p->exchange->size : 1;
    const size_t split_bytes = ogem_size_add(ogem_split_bytes(R, ogem_size_mul(ogem_count(n), ogem_count(d)), ranks),
                                             ogem_split_bytes(R, 6, ranks));
    const size_t strata_bytes = strata > 1 ? ogem_strata_bytes(R, n, strata, d, K, smode) : 0;
    st = check_budget(p, K, ogem_size_add(ogem_size_add(batch_bytes(&bs), split_bytes), strata_bytes), point_bytes,
                      msg, len);
    if (st) return st;

    ogem_solver *s = calloc(1, sizeof *s);
    if (!s) return OGEM_ERR_NOMEM;
    s->set = *p;
    s->R = R; s->n = n; s->d = d; s->K = K;
    s->Rnd = bs.Rnd;
    s->use_subspace = use_subspace;
    s->weights = malloc(ogem_size_mul(sizeof(double), bs.Rn));
    s->logpi = malloc(ogem_size_mul(sizeof(double), bs.Rn));
    s->mu_star = calloc(d, sizeof(double));
    s->mt = mt;
    s->strata = strata;
    s->tw = malloc(sizeof(double) * mt);
    s->tlogw = malloc(sizeof(double) * mt);
    s->toff = calloc(ogem_size_mul(ogem_count(mt), ogem_count(d)), sizeof(double));
    s->mu_abs = malloc(sizeof(double) * d);
    s->pi_row = malloc(sizeof(double) * n);
    s->m = calloc(bs.Rnd, sizeof(double));
    s->active = malloc(bs.R);
    s->a = malloc(ogem_size_mul(sizeof(double), bs.Rn));
    s->c = calloc(bs.RnK, sizeof(double));
    s->kdim = calloc(bs.R, sizeof(int));
    s->Q = s->use_subspace ? calloc(bs.RdK, sizeof(double)) : NULL;
    s->log_mass = malloc(ogem_size_mul(sizeof(double), bs.Rn));
    s->cond_mean = malloc(ogem_size_mul(sizeof(double), bs.RnK));
    s->mean_lse = malloc(ogem_size_mul(sizeof(double), bs.R));
    s->xbar = malloc(ogem_size_mul(sizeof(double), bs.Rnd));
    s->work = malloc(bs.R);
    s->dirty = calloc(bs.R, 1);
    s->mbuf = ranks > 1 ? malloc(ogem_size_mul(6 * sizeof(double), bs.R)) : NULL; /* split_bytes */
    st = ogem_split_init(&s->split, p->exchange, R);
    if (st == OGEM_ERR_INVALID) {
        ogem_solver_destroy(s);
        if (msg) snprintf(msg, len, "exchange: rank and size must satisfy 0 <= rank < size, with every callback set");
        return st;
    }
    if (st || !s->work || !s->dirty || (ranks > 1 && !s->mbuf) ||
        !s->weights || !s->logpi || !s->mu_star || !s->tw || !s->tlogw || !s->toff || !s->mu_abs || !s->pi_row ||
        (strata > 1 && ogem_strata_init(&s->sb, R, n, strata, d, K, smode,
                                        smode == OGEM_STRATA_EXACT || p->estimator == OGEM_EST_FIXED) != OGEM_OK) ||
        !s->m || !s->active || !s->a || !s->c || !s->kdim ||
        (s->use_subspace && !s->Q) || !s->log_mass || !s->cond_mean || !s->mean_lse || !s->xbar) {
        ogem_solver_destroy(s);
        if (msg) snprintf(msg, len, "out of memory for %d initializations", R);
        return OGEM_ERR_NOMEM;
    }
    /* Every init starts from the settings' weights (learn_weights then
     * changes its own row). */
    for (size_t q = 0; q < bs.Rn; q++) {
        s->weights[q] = p->weights[q % (size_t)n];
        s->logpi[q] = log(p->weights[q % (size_t)n]);
    }
    if (p->mu_star) memcpy(s->mu_star, p->mu_star, sizeof(double) * d);
    if (p->truth_components > 0) {
        /* mu* is the first truth mean; the others as offsets from it */
        memcpy(s->mu_star, p->truth_means, sizeof(double) * d);
        for (int j = 0; j < mt; j++) {
            s->tw[j] = p->truth_weights[j];
            for (int k = 0; k < d; k++) s->toff[(size_t)j * d + k] = p->truth_means[(size_t)j * d + k] - s->mu_star[k];
        }
    } else {
        s->tw[0] = 1.0;
    }
    for (int j = 0; j < mt; j++) s->tlogw[j] = log(s->tw[j]);
    s->set.weights = s->weights;   /* the first init's row: the settings' weights until learned */
    s->set.mu_star = s->mu_star;
    s->set.truth_weights = s->tw;
    s->set.truth_means = NULL;     /* not kept: toff and mu_star hold them */
    memset(s->active, 1, bs.R);

    if (p->estimator == OGEM_EST_DATA) {
        /* Centre the data on mu* once; the NLL's constant part is fixed too. */
        s->data = malloc(data_bytes);
        if (!s->data) { ogem_solver_destroy(s); return OGEM_ERR_NOMEM; }
        double sq = 0.0;
        for (long j = 0; j < p->data_rows; j++)
            for (int k = 0; k < d; k++) {
                double z = p->data[j * d + k] - s->mu_star[k];
                s->data[j * d + k] = z;
                sq += z * z;
            }
        s->data_const = 0.5 * d * log(2.0 * 3.14159265358979323846) + 0.5 * sq / (double)p->data_rows;
        spec.data = s->data;
        s->set.data = s->data;
    } else {
        s->set.data = NULL;
        s->set.data_rows = 0;
    }

    st = dev == OGEM_DEVICE_GPU ? ogem_backend_gpu_create(&s->be, &spec, msg, len)
                                : ogem_backend_cpu_create(&s->be, &spec, msg, len);
    if (st == OGEM_ERR_NO_DEVICE && msg && len > 0 && strncmp(msg, "device: ", 8) != 0) {
        /* No GPU is the device setting's fault: its name leads, as for every
         * other setting (the backends describe only what they found). */
        char why[512];
        snprintf(why, sizeof why, "%s", msg[0] ? msg : ogem_status_string(st));
        snprintf(msg, len, "device: %s", why);
    }
    if (st) { ogem_solver_destroy(s); return st; }
    *out = s;
    return OGEM_OK;
}

/* Means are accepted when every squared distance |mu_i - mu*|^2 is a finite
 * double (distances below about 1.3e154): each step forms it, in the scores
 * a_i = log pi_i - |m_i|^2 / 2 and in the metrics, so a mean beyond that
 * would make every later number inf or NaN. The check is the same one a step
 * applies to the means it produces (ogem_solver_step). */
/* symmetric: component 2 of init r, at mu (relative to mu* when rel), must
 * mirror component 1 about mu*: exactly for the solver's own relative means
 * (a checkpoint), within 1e-9 of the scale for absolute ones, whose
 * subtraction of mu* rounds. Then m_2 is set to exactly -m_1 (tie_means), so
 * that the tied update keeps the two mirrored bit for bit. */
static ogem_status check_mirrored(ogem_solver *s, const double *mu, int rel)
{
    const int d = s->d;
    for (int r = 0; r < s->R; r++) {
        const double *u1 = mu + (size_t)r * 2 * d, *u2 = u1 + d;
        double off = 0.0, scale = 1.0;
        for (int k = 0; k < d; k++) {
            const double c = rel ? 0.0 : s->mu_star[k], m1 = u1[k] - c, m2 = u2[k] - c;
            off = fmax(off, fabs(m1 + m2));
            scale = fmax(scale, fmax(fabs(m1), fabs(s->mu_star[k])));
        }
        if (off > (rel ? 0.0 : 1e-9 * scale)) {
            snprintf(s->err, sizeof s->err, "initialization %d: symmetric: component 2 is not component 1 mirrored "
                     "about mu* (off by %.3g)", r, off);
            return OGEM_ERR_INVALID;
        }
    }
    return OGEM_OK;
}

static void tie_means(ogem_solver *s)
{
    for (int r = 0; s->set.symmetric && r < s->R; r++)
        for (int k = 0; k < s->d; k++) s->m[((size_t)r * 2 + 1) * s->d + k] = -s->m[(size_t)r * 2 * s->d + k];
}

/* The check of set_means on means mu relative to mu* (rel) or absolute. */
static ogem_status check_means(ogem_solver *s, const double *mu, int rel)
{
    const int n = s->n, d = s->d;
    for (size_t q = 0; q < s->Rnd; q++)
        if (!isfinite(mu[q]))
            return fail(s, OGEM_ERR_INVALID, "initial means must be finite");
    for (size_t q = 0; q < s->Rnd; q += (size_t)d) {
        double sq = 0.0;
        for (int k = 0; k < d; k++) {
            const double v = rel ? mu[q + k] : mu[q + k] - s->mu_star[k];
            sq += v * v;
        }
        if (!isfinite(sq)) {
            const size_t ri = q / (size_t)d;
            snprintf(s->err, sizeof s->err,
                     "initialization %zu, component %zu: the mean is too far from mu* (its squared distance "
                     "overflows a double; distances must stay below about 1.3e154)", ri / (size_t)n, ri % (size_t)n);
            return OGEM_ERR_INVALID;
        }
    }
    return s->set.symmetric ? check_mirrored(s, mu, rel) : OGEM_OK;
}

ogem_status ogem_solver_set_means(ogem_solver *s, const double *mu)
{
    ogem_status st = check_means(s, mu, 0);
    if (st) return st;
    for (size_t q = 0; q < s->Rnd; q++) s->m[q] = mu[q] - s->mu_star[q % s->d];
    tie_means(s);
    memset(s->dirty, 0, (size_t)s->R); /* every rank was given the same */
    return OGEM_OK;
}

ogem_status ogem_solver_set_means_relative(ogem_solver *s, const double *m)
{
    ogem_status st = check_means(s, m, 1);
    if (st) return st;
    memcpy(s->m, m, sizeof(double) * s->Rnd);
    memset(s->dirty, 0, (size_t)s->R);
    return OGEM_OK;
}

/* Brings every rank's copy of the means up to date: each dirty init's means
 * come from the rank that owns it. Collective. */
static ogem_status sync_means(ogem_solver *s)
{
    if (!s->split.ex) return OGEM_OK;
    ogem_status st = ogem_split_gather(&s->split, s->m, (size_t)s->n * (size_t)s->d, s->dirty);
    if (!st && s->set.learn_weights) {
        /* learned weights travel with the means; pi is exp(log pi) on every rank */
        st = ogem_split_gather(&s->split, s->logpi, (size_t)s->n, s->dirty);
        for (size_t q = 0; !st && q < (size_t)s->R * (size_t)s->n; q++) s->weights[q] = exp(s->logpi[q]);
    }
    if (st) return fail(s, st, st == OGEM_ERR_NOMEM ? "out of memory gathering the means from the ranks"
                                                     : "the exchange between ranks failed gathering the means");
    memset(s->dirty, 0, (size_t)s->R);
    return OGEM_OK;
}

ogem_status ogem_solver_get_means(const ogem_solver *s, double *mu)
{
    /* The gather only refreshes a cache of the same state (the owners' means
     * are the truth): the solver is not const-defined, so this is defined. */
    ogem_status st = sync_means((ogem_solver *)s);
    if (st) return st;
    for (size_t q = 0; q < s->Rnd; q++) mu[q] = s->m[q] + s->mu_star[q % s->d];
    return OGEM_OK;
}

ogem_status ogem_solver_get_means_relative(const ogem_solver *s, double *m)
{
    ogem_status st = sync_means((ogem_solver *)s);
    if (!st) memcpy(m, s->m, sizeof(double) * s->Rnd);
    return st;
}

ogem_status ogem_solver_set_active(ogem_solver *s, const unsigned char *active)
{
    for (int r = 0; r < s->R; r++) s->active[r] = active ? (active[r] != 0) : 1;
    if (ogem_split_unbalanced(&s->split, s->active)) {
        /* The owners change: the new ones need the latest means first. */
        ogem_status st = sync_means(s);
        if (st) return st;
        ogem_split_rebalance(&s->split, s->active);
    }
    return OGEM_OK;
}

ogem_status ogem_solver_partition(const ogem_solver *s, long *bounds, int max_bounds, long *rebalances)
{
    if (!s->split.ex || !bounds || max_bounds < s->split.P + 1) return OGEM_ERR_INVALID;
    memcpy(bounds, s->split.bound, sizeof(long) * ((size_t)s->split.P + 1));
    if (rebalances) *rebalances = s->split.rebalances;
    return OGEM_OK;
}

ogem_status ogem_solver_get_active(const ogem_solver *s, unsigned char *active)
{
    memcpy(active, s->active, s->R);
    return OGEM_OK;
}

ogem_status ogem_solver_get_weights(const ogem_solver *s, double *w)
{
    ogem_status st = sync_means((ogem_solver *)s);   /* as get_means: a cache refresh */
    if (!st) memcpy(w, s->weights, sizeof(double) * (size_t)s->R * (size_t)s->n);
    return st;
}

ogem_status ogem_solver_get_log_weights(const ogem_solver *s, double *logw)
{
    ogem_status st = sync_means((ogem_solver *)s);
    if (!st) memcpy(logw, s->logpi, sizeof(double) * (size_t)s->R * (size_t)s->n);
    return st;
}

ogem_status ogem_solver_set_log_weights(ogem_solver *s, const double *logw)
{
    const int n = s->n;
    for (int r = 0; r < s->R; r++) {
        double sum = 0.0;
        for (int i = 0; i < n; i++) {
            const double v = logw[(size_t)r * n + i];
            if (isnan(v) || v == INFINITY) {
                snprintf(s->err, sizeof s->err, "initialization %d, component %d: log weight %g is not a number "
                         "below +inf", r, i, v);
                return OGEM_ERR_INVALID;
            }
            sum += exp(v);
        }
        if (!(fabs(sum - 1.0) <= 1e-9)) {
            snprintf(s->err, sizeof s->err, "initialization %d: weights sum to %.17g, not 1 (within 1e-9)", r, sum);
            return OGEM_ERR_INVALID;
        }
    }
    for (size_t q = 0; q < (size_t)s->R * (size_t)n; q++) {
        s->logpi[q] = logw[q];
        s->weights[q] = exp(logw[q]);
    }
    return OGEM_OK;
}

int ogem_solver_learns_weights(const ogem_solver *s) { return s->set.learn_weights != 0; }

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
        a[i] = s->logpi[(size_t)r * n + i] - 0.5 * sq;
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
 * (E[psi_i z] / E[psi_i], relative to mu*) and mean_lse of the active inits
 * this rank owns (all of them without an exchange), marked in work. */
static ogem_status evaluate(ogem_solver *s)
{
    long lo, hi;
    ogem_split_own(&s->split, &lo, &hi);
    for (long r = 0; r < s->R; r++) s->work[r] = s->active[r] && r >= lo && r < hi;
    ogem_status st = s->be->prepare(s->be, s->step);
    if (st) return fail(s, st, s->be->err);
    if (s->strata > 1) {
        const ogem_truth_rel t = {.m = s->mt, .toff = s->toff, .logw = s->tlogw, .w = s->tw};
        return ogem_strata_eval(&s->sb, s->be, &t, s->m, s->logpi, s->work, s->log_mass, s->xbar, s->mean_lse,
                                &s->max_k, s->err, sizeof s->err);
    }
    const int n = s->n, d = s->d, K = s->K;
    for (int r = (int)lo; r < hi; r++) {
        if (!s->work[r]) continue;
        if (build_lines(s, r)) {
            snprintf(s->err, sizeof s->err,
                     "estimator: exact quadrature handles means spanning at most 2 directions of difference; "
                     "initialization %d spans more: use the qmc estimator with subspace sampling", r);
            return OGEM_ERR_UNSUPPORTED;
        }
        if (s->kdim[r] > s->max_k) s->max_k = s->kdim[r];
    }
    ogem_lines L = {.R = s->R, .n = n, .K = K, .a = s->a, .c = s->c,
                    .k = s->use_subspace ? s->kdim : NULL, .active = s->work};
    ogem_moments mo = {.log_mass = s->log_mass, .cond_mean = s->cond_mean, .mean_lse = s->mean_lse};
    st = s->be->eval(s->be, &L, &mo);
    if (st) return fail(s, st, s->be->err);
    for (int r = (int)lo; r < hi; r++) {
        if (!s->work[r]) continue;
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

/* The update's factor for component ri = r n + i: gem moves m_i by
 * f (xbar_i - m_i) with f = eta E[psi_i], em all the way (f = 1). Returns 0
 * for a component without any mass at all: nothing moves it. */
static int has_mass(const ogem_solver *s, size_t ri) { return s->log_mass[ri] > -INFINITY; }

static int update_factor(const ogem_solver *s, size_t ri, double *f)
{
    if (!has_mass(s, ri)) return 0;
    *f = s->set.algo == OGEM_ALGO_GEM ? s->set.eta * exp(s->log_mass[ri]) : 1.0;
    return 1;
}

/* symmetric: the tied model's new means of init r, put where the update
 * reads its targets (xbar) with a factor of 1: theta' = g for EM and
 * theta + eta (g - theta) for gradient EM, g = E[psi_1 z] - E[psi_2 z]
 * = e_1 xbar_1 - e_2 xbar_2 (e_i = E[psi_i], which sum to 1); component 2's
 * target is -theta'. Then m_2 + (-theta' - m_2) is exactly the negation of
 * m_1 + (theta' - m_1): the two stay mirrored bit for bit. */
static void tied_targets(ogem_solver *s, int r)
{
    const int d = s->d;
    const size_t r2 = (size_t)r * 2;
    const double *th = s->m + r2 * d;
    double *x1 = s->xbar + r2 * d, *x2 = x1 + d;
    const double e1 = exp(s->log_mass[r2]), e2 = exp(s->log_mass[r2 + 1]);
    for (int k = 0; k < d; k++) {
        /* a component without mass has no conditional mean (NaN): its term is 0 */
        const double g = (e1 > 0 ? e1 * x1[k] : 0.0) - (e2 > 0 ? e2 * x2[k] : 0.0);
        const double t = s->set.algo == OGEM_ALGO_GEM ? th[k] + s->set.eta * (g - th[k]) : g;
        x1[k] = t;
        x2[k] = -t;
    }
}

/* "inf", "-inf" or "NaN", for messages about a non-finite value. */
static const char *nonfinite_name(double v) { return isnan(v) ? "NaN" : v > 0 ? "inf" : "-inf"; }

/* Metrics of initialization r at its current means, and the update a step
 * takes, checked: every one of them finite, and the means after the update
 * still within set_means' range, so that a step either succeeds with numbers
 * a caller can trust or fails before touching any mean. The updated means go
 * into xbar (which the update consumes, and the next evaluation refills), so
 * applying them is a copy. O(n d) per initialization, next to O(N n K) for
 * the expectations. */
static ogem_status step_metrics(ogem_solver *s, int r, ogem_metrics *out)
{
    const int n = s->n, d = s->d;
    const double *m = s->m + (size_t)r * n * d;
    double upd2 = 0.0;
    const char *what = NULL;
    double bad = 0.0;
    int bad_i = -1;
    ogem_fit fit;
    ogem_mixture_fit(n, d, m, s->weights + (size_t)r * n, s->mt, s->toff, s->tw, 0.0, NULL, NULL, &fit);
    const double md2 = fit.mean_dist2;
    if (s->set.symmetric) tied_targets(s, r);
    for (int i = 0; i < n && !what; i++) {
        const size_t ri = (size_t)r * n + i;
        const double *mi = m + (size_t)i * d;
        double *xb = s->xbar + ri * d;
        if (isnan(s->log_mass[ri])) { what = "log-mass E[psi] of component"; bad = s->log_mass[ri]; bad_i = i; break; }
        double f = 1.0, after = 0.0;
        if (!s->set.symmetric && !update_factor(s, ri, &f)) continue;
        for (int k = 0; k < d; k++) {
            const double delta = f * (xb[k] - mi[k]);
            upd2 += delta * delta;
            xb[k] = mi[k] + delta;   /* the mean after the update */
            after += xb[k] * xb[k];
        }
        if (!isfinite(upd2)) { what = "update of component"; bad = upd2; bad_i = i; }
        else if (!isfinite(after)) { what = "squared distance to mu* after the update of component"; bad = after; bad_i = i; }
    }
    const double loss = loss_of(s, r);
    if (!what && !isfinite(loss)) { what = "loss"; bad = loss; }
    if (!what && !isfinite(md2)) { what = "mean squared distance to mu*"; bad = md2; }
    if (what) {
        const char *hint = s->set.algo == OGEM_ALGO_GEM ? "; a smaller eta may keep it stable" : "";
        if (bad_i >= 0)
            snprintf(s->err, sizeof s->err, "initialization %d: the %s %d is %s (the iteration has broken down%s)",
                     r, what, bad_i, nonfinite_name(bad), hint);
        else
            snprintf(s->err, sizeof s->err, "initialization %d: the %s is %s (the iteration has broken down%s)", r,
                     what, nonfinite_name(bad), hint);
        return OGEM_ERR_NUMERIC;
    }
    *out = (ogem_metrics){.loss = loss, .max_dist = fit.max_dist, .mean_dist2 = md2, .update_norm = sqrt(upd2),
                          .cover_dist = fit.cover_dist, .voronoi = fit.voronoi};
    return OGEM_OK;
}

/* A step's status agreed by every rank (identity without an exchange):
 * phase 1 for a failure of the evaluation, 0 for one of the metrics. */
static ogem_status agree(ogem_solver *s, ogem_status st, int phase)
{
    return ogem_split_agree(&s->split, st, phase, s->err, sizeof s->err, &s->max_k);
}

/* The metrics as a row of doubles, for the exchange between ranks. */
enum { METRICS_ROW = 6 };

static void metrics_row(const ogem_metrics *m, double *row)
{
    row[0] = m->loss; row[1] = m->max_dist; row[2] = m->mean_dist2; row[3] = m->update_norm;
    row[4] = m->cover_dist; row[5] = m->voronoi;
}

static ogem_metrics metrics_of_row(const double *row)
{
    return (ogem_metrics){.loss = row[0], .max_dist = row[1], .mean_dist2 = row[2], .update_norm = row[3],
                          .cover_dist = row[4], .voronoi = row[5]};
}

/* The EM weight update of init r, pi_i <- E[psi_i], in the log domain:
 * log pi_i = log E[psi_i] - lse_l log E[psi_l]. The masses sum to 1 up to
 * rounding (the responsibilities do at every point); dividing by their sum
 * keeps the weights a distribution exactly, to rounding, step after step,
 * instead of letting the rounding drift. */
static void learn_weights(ogem_solver *s, int r)
{
    const int n = s->n;
    const double *lm = s->log_mass + (size_t)r * n;
    double mx = -INFINITY, acc = 0.0;
    for (int i = 0; i < n; i++) mx = fmax(mx, lm[i]);
    for (int i = 0; i < n; i++) acc += exp(lm[i] - mx);
    const double lse = mx + log(acc);
    for (int i = 0; i < n; i++) {
        const size_t ri = (size_t)r * n + i;
        s->logpi[ri] = lm[i] - lse;
        s->weights[ri] = exp(s->logpi[ri]);
    }
}

ogem_status ogem_solver_step(ogem_solver *s, int apply, ogem_metrics *met)
{
    ogem_status st = evaluate(s);
    int phase = st != OGEM_OK;
    const int n = s->n, d = s->d;
    const int split = s->split.ex != NULL;
    /* All checks before any update: a failing step changes no mean. With an
     * exchange the metrics go into mbuf, and to met once every rank has them. */
    for (int r = 0; !st && r < s->R; r++) {
        if (!s->work[r]) continue;
        ogem_metrics one;
        st = step_metrics(s, r, &one);
        if (st) break;
        if (split) metrics_row(&one, s->mbuf + (size_t)r * METRICS_ROW);
        else if (met) met[r] = one;
    }
    st = agree(s, st, phase);
    if (st) return st;
    if (split && met) {
        st = ogem_split_gather(&s->split, s->mbuf, METRICS_ROW, s->active);
        if (st) return fail(s, st, "the exchange between ranks failed gathering the metrics");
        for (int r = 0; r < s->R; r++)
            if (s->active[r]) met[r] = metrics_of_row(s->mbuf + (size_t)r * METRICS_ROW);
    }
    for (int r = 0; apply && r < s->R; r++) {
        if (!s->active[r]) continue;
        s->dirty[r] = (unsigned char)split; /* its owner's means are now ahead */
        if (!s->work[r]) continue;
        for (int i = 0; i < n; i++) {
            const size_t ri = (size_t)r * n + i;
            if (s->set.symmetric || has_mass(s, ri)) memcpy(s->m + ri * d, s->xbar + ri * d, sizeof(double) * d);
        }
        if (s->set.learn_weights) learn_weights(s, r);
    }
    s->step++;
    return OGEM_OK;
}

ogem_status ogem_solver_moments(ogem_solver *s, double *loss, double *log_mass, double *cond_mean)
{
    ogem_status st = agree(s, evaluate(s), 1);
    if (st) return st;
    const int n = s->n, d = s->d;
    /* Every rank's own rows to all (a no-op without an exchange). */
    if (!st) st = ogem_split_gather(&s->split, s->mean_lse, 1, s->active);
    if (!st) st = ogem_split_gather(&s->split, s->log_mass, (size_t)n, s->active);
    if (!st) st = ogem_split_gather(&s->split, s->xbar, (size_t)n * (size_t)d, s->active);
    if (st) return fail(s, st, "the exchange between ranks failed gathering the moments");
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
