/* test_mixture_ref.c - a mixture truth and learned weights (issue 12) against
 * references computed outside ogem, in NumPy/SciPy, by
 * tests/reference/make_mixture_refs.py (its header documents the fixtures and
 * how to regenerate them; the committed CSVs are read here, so the suite needs
 * no Python):
 *   - learned_{gem,em}: a finite-sample trajectory with learned weights on a
 *     data set of 400 rows drawn from 0.3 N(a, I) + 0.7 N(b, I) in d = 3, n = 3,
 *     two initializations with different starting weights, 50 steps: means to
 *     1e-9 and weights to 1e-12 after every step (the acceptance of issue 12
 *     asks it after 50), metrics to 1e-9;
 *   - quad1d_{gem,em}: the population (exact) run in d = 1 against the truth
 *     0.4 N(-2, 1) + 0.6 N(1.5, 1) with fixed weights, 30 steps, against a fine
 *     quadrature: means and the loss KL(truth || model) to 1e-9 at every step.
 * All tolerances are absolute (every compared value is O(1)). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ogem/ogem.h"
#include "util/csv_read.h"

#define METRIC_COLS 7 /* step,init,loss,max_dist,mean_dist2,cover_dist,voronoi */

/* A fixture of tests/reference, all rows of `cols` numbers. */
static ogem_csv load(const char *name, int cols)
{
    char path[4096], msg[512] = "";
    snprintf(path, sizeof path, "%s/tests/reference/%s", OGEM_SOURCE_DIR, name);
    ogem_csv_options opt = {.cols = cols};
    ogem_csv c;
    ogem_status st = ogem_csv_read(path, &opt, &c, msg, sizeof msg);
    cr_assert_eq(st, OGEM_OK, "fixture %s: %s", name, msg);
    return c;
}

/* One reference run (make_mixture_refs.py's case of the same name). */
typedef struct ref_case {
    const char *name;  /* <name>_traj.csv, <name>_metrics.csv       */
    const char *truth; /* <truth>_truth.csv                         */
    const char *data;  /* data set (estimator data) or NULL (exact) */
    ogem_algo algo;
    double eta;
    int learn, d, n, R, steps;
    double tol_mu, tol_pi, tol_metric;
} ref_case;

/* The trajectory file as arrays: mu[((t R + r) n + i) d + k], pi[(t R + r) n + i]. */
typedef struct traj {
    double *mu, *pi;
} traj;

static traj load_traj(const ref_case *c)
{
    char name[256];
    snprintf(name, sizeof name, "%s_traj.csv", c->name);
    ogem_csv f = load(name, 4 + c->d);
    const long T = c->steps + 1, cells = T * c->R * c->n;
    cr_assert_eq(f.rows, cells, "%s: %ld rows, expected %ld", name, f.rows, cells);
    traj tr = {calloc((size_t)cells * c->d, sizeof(double)), calloc((size_t)cells, sizeof(double))};
    cr_assert(tr.mu && tr.pi);
    for (long q = 0; q < f.rows; q++) {
        const double *row = f.values + q * f.cols;
        const long t = (long)row[0], r = (long)row[1], i = (long)row[2];
        cr_assert(t >= 0 && t < T && r >= 0 && r < c->R && i >= 0 && i < c->n, "%s line %ld", name, f.lines[q]);
        const long at = (t * c->R + r) * c->n + i;
        tr.pi[at] = row[3];
        memcpy(tr.mu + at * c->d, row + 4, sizeof(double) * (size_t)c->d);
    }
    ogem_csv_free(&f);
    return tr;
}

static void compare(const char *what, const ref_case *c, long t, long r, long q, double got, double want, double tol,
                    double *worst)
{
    const double err = fabs(got - want);
    *worst = fmax(*worst, err);
    cr_assert(err <= tol, "%s %s after step %ld, init %ld, entry %ld: ogem %.17g, NumPy %.17g (|diff| %.3g > %g)",
              c->name, what, t, r, q, got, want, err, tol);
}

static void run_case(const ref_case *c)
{
    char name[256];
    snprintf(name, sizeof name, "%s_truth.csv", c->truth);
    ogem_csv truth = load(name, 1 + c->d);
    const int m = (int)truth.rows;
    double *tw = malloc(sizeof(double) * (size_t)m), *tm = malloc(sizeof(double) * (size_t)m * c->d);
    cr_assert(tw && tm);
    for (int j = 0; j < m; j++) {
        tw[j] = truth.values[j * truth.cols];
        memcpy(tm + (size_t)j * c->d, truth.values + j * truth.cols + 1, sizeof(double) * (size_t)c->d);
    }
    ogem_csv_free(&truth);
    ogem_csv data = {0};
    if (c->data) data = load(c->data, c->d);
    traj ref = load_traj(c);
    snprintf(name, sizeof name, "%s_metrics.csv", c->name);
    ogem_csv mets = load(name, METRIC_COLS);
    cr_assert_eq(mets.rows, (long)c->steps * c->R, "%s: %ld rows", name, mets.rows);

    ogem_settings s;
    ogem_settings_default(&s);
    s.dim = c->d;
    s.components = c->n;
    s.weights = ref.pi; /* init 0's starting weights; per init below when learning */
    s.truth_components = m;
    s.truth_weights = tw;
    s.truth_means = tm;
    s.learn_weights = c->learn;
    s.inits = c->R;
    s.algo = c->algo;
    s.eta = c->eta;
    s.estimator = c->data ? OGEM_EST_DATA : OGEM_EST_EXACT;
    s.data = data.values;
    s.data_rows = data.rows;
    s.device = OGEM_DEVICE_CPU;
    s.threads = 2;
    ogem_solver *sv = NULL;
    char msg[256] = "";
    cr_assert_eq(ogem_solver_create(&sv, &s, msg, sizeof msg), OGEM_OK, "%s: %s", c->name, msg);
    const size_t Rn = (size_t)c->R * c->n, Rnd = Rn * c->d;
    double *mu = malloc(sizeof(double) * Rnd), *pi = malloc(sizeof(double) * Rn);
    cr_assert(mu && pi);
    cr_assert_eq(ogem_solver_set_means(sv, ref.mu), OGEM_OK, "%s", ogem_solver_error(sv));
    if (c->learn) {
        for (size_t q = 0; q < Rn; q++) pi[q] = log(ref.pi[q]);
        cr_assert_eq(ogem_solver_set_log_weights(sv, pi), OGEM_OK, "%s", ogem_solver_error(sv));
    }
    ogem_metrics *got = malloc(sizeof(ogem_metrics) * (size_t)c->R);
    cr_assert_not_null(got);
    double worst_mu = 0.0, worst_pi = 0.0, worst_loss = 0.0, worst_metric = 0.0, moved = 0.0;
    for (long t = 0; t < c->steps; t++) {
        cr_assert_eq(ogem_solver_step(sv, 1, got), OGEM_OK, "%s step %ld: %s", c->name, t, ogem_solver_error(sv));
        for (long q = 0; q < mets.rows; q++) {
            const double *row = mets.values + q * mets.cols;
            if ((long)row[0] != t) continue;
            const long r = (long)row[1];
            const ogem_metrics *g = &got[r];
            const double have[5] = {g->loss, g->max_dist, g->mean_dist2, g->cover_dist, g->voronoi};
            static const char *const names[5] = {"loss", "max_dist", "mean_dist2", "cover_dist", "voronoi"};
            for (int k = 0; k < 5; k++)
                compare(names[k], c, t, r, k, have[k], row[2 + k], c->tol_metric, k ? &worst_metric : &worst_loss);
        }
        const double *want_mu = ref.mu + (size_t)(t + 1) * Rnd, *want_pi = ref.pi + (size_t)(t + 1) * Rn;
        cr_assert_eq(ogem_solver_get_means(sv, mu), OGEM_OK);
        cr_assert_eq(ogem_solver_get_weights(sv, pi), OGEM_OK);
        for (size_t q = 0; q < Rnd; q++)
            compare("mean", c, t, (long)(q / (c->n * c->d)), (long)q, mu[q], want_mu[q], c->tol_mu, &worst_mu);
        for (size_t q = 0; q < Rn; q++)
            compare("weight", c, t, (long)(q / c->n), (long)q, pi[q], want_pi[q], c->tol_pi, &worst_pi);
    }
    /* The run moved (means and, when learned, weights): agreeing while
     * standing still would prove little. */
    for (size_t q = 0; q < Rnd; q++) moved = fmax(moved, fabs(mu[q] - ref.mu[q]));
    cr_assert(moved > 0.1, "%s: the means moved only %g", c->name, moved);
    if (c->learn) {
        double wmoved = 0.0;
        for (size_t q = 0; q < Rn; q++) wmoved = fmax(wmoved, fabs(pi[q] - ref.pi[q]));
        cr_assert(wmoved > 0.05, "%s: the weights moved only %g", c->name, wmoved);
    }
    cr_log_info("%s, %d steps: largest |ogem - NumPy| means %.3g, weights %.3g, loss %.3g, other metrics %.3g",
                c->name, c->steps, worst_mu, worst_pi, worst_loss, worst_metric);
    ogem_solver_destroy(sv);
    free(got); free(mu); free(pi); free(tw); free(tm); free(ref.mu); free(ref.pi);
    ogem_csv_free(&mets);
    ogem_csv_free(&data);
}

/* ---- a finite-sample trajectory with learned weights (data estimator) ----------- */

static const ref_case LEARNED_GEM = {"learned_gem", "learned", "mixture_data3.csv", OGEM_ALGO_GEM, 0.7, 1, 3, 3, 2, 50,
                                     1e-9, 1e-12, 1e-9};
static const ref_case LEARNED_EM = {"learned_em", "learned", "mixture_data3.csv", OGEM_ALGO_EM, 1.0, 1, 3, 3, 2, 50,
                                    1e-9, 1e-12, 1e-9};

Test(mixture_ref, learned_weights_gem_data_50_steps) { run_case(&LEARNED_GEM); }
Test(mixture_ref, learned_weights_em_data_50_steps) { run_case(&LEARNED_EM); }

/* ---- the 1-D population run by fine quadrature (exact estimator) ----------------- */

/* The weights are fixed: they stay the settings' ones, up to the rounding of
 * pi = exp(log pi) in ogem_solver_get_weights (a few ulp of 0.5: 1e-15). */
static const ref_case QUAD1D_GEM = {"quad1d_gem", "quad1d", NULL, OGEM_ALGO_GEM, 0.8, 0, 1, 3, 1, 30,
                                    1e-9, 1e-15, 1e-9};
static const ref_case QUAD1D_EM = {"quad1d_em", "quad1d", NULL, OGEM_ALGO_EM, 1.0, 0, 1, 3, 1, 30,
                                   1e-9, 1e-15, 1e-9};

Test(mixture_ref, population_1d_gem_fine_quadrature) { run_case(&QUAD1D_GEM); }
Test(mixture_ref, population_1d_em_fine_quadrature) { run_case(&QUAD1D_EM); }
