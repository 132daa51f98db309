/* test_exact.c - the exact estimator through the solver: population
 * recursions reproduced to 1e-10 over 1000 steps, and the sampling estimators
 * (mc, qmc, with and without the subspace reduction) within their stated
 * errors of it. */
#include <criterion/criterion.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ogem/ogem.h"

static double xtanh(double x, void *p)
{
    double th = *(double *)p;
    return x * tanh(th * x) * exp(-0.5 * x * x) / sqrt(2 * 3.14159265358979323846);
}

/* E[X tanh(theta X)], X ~ N(0, 1), by GSL's adaptive quadrature. */
static double tanh_moment(double theta)
{
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
    gsl_function f = {xtanh, &theta};
    double res, err;
    gsl_set_error_handler_off();
    gsl_integration_qagi(&f, 1e-15, 1e-14, 1000, ws, &res, &err);
    gsl_integration_workspace_free(ws);
    return res;
}

static ogem_solver *solver(int d, int n, const double *w, ogem_estimator e, long N, int subspace, ogem_algo algo, double eta)
{
    ogem_settings s;
    ogem_settings_default(&s);
    s.dim = d; s.components = n; s.weights = w; s.estimator = e; s.samples = N; s.subspace = subspace;
    s.algo = algo; s.eta = eta; s.device = OGEM_DEVICE_CPU; s.threads = 1; s.seed = 3;
    ogem_solver *sv;
    char msg[256];
    cr_assert_eq(ogem_solver_create(&sv, &s, msg, sizeof msg), OGEM_OK, "%s", msg);
    return sv;
}

/* Symmetric two components in d = 3, truth N(0, I): em follows
 * theta <- E[X tanh(theta X)] and gem (step eta) follows
 * theta <- theta + eta/2 (E[X tanh(theta X)] - theta), to 1e-10 for 1000 steps. */
static void recursion(ogem_algo algo, double eta)
{
    double w[2] = {0.5, 0.5}, u[3] = {0.48, 0.6, 0.64}, theta = 2.5, mu[6];
    for (int k = 0; k < 3; k++) { mu[k] = theta * u[k]; mu[3 + k] = -theta * u[k]; }
    ogem_solver *sv = solver(3, 2, w, OGEM_EST_EXACT, 0, 0, algo, eta);
    ogem_solver_set_means(sv, mu);
    double worst = 0.0;
    for (int t = 0; t < 1000; t++) {
        cr_assert_eq(ogem_solver_step(sv, 1, NULL), OGEM_OK);
        double m = tanh_moment(theta);
        theta = algo == OGEM_ALGO_EM ? m : theta + 0.5 * eta * (m - theta);
        ogem_solver_get_means(sv, mu);
        for (int k = 0; k < 3; k++) {
            worst = fmax(worst, fabs(mu[k] - theta * u[k]));
            worst = fmax(worst, fabs(mu[3 + k] + theta * u[k]));
        }
    }
    cr_assert(worst <= 1e-10, "largest deviation from the recursion over 1000 steps: %g", worst);
    cr_assert(theta < 0.2, "the recursion should have contracted (theta = %g)", theta);
    ogem_solver_destroy(sv);
}

Test(exact, em_symmetric_recursion_1000_steps) { recursion(OGEM_ALGO_EM, 1.0); }
Test(exact, gem_symmetric_recursion_1000_steps) { recursion(OGEM_ALGO_GEM, 0.8); }

/* mc (antithetic, plain and subspace) and qmc agree with exact within
 * their errors: mc within 5 standard errors estimated from 8 independent
 * steps; qmc (N = 2^14) within 1e-4, far below mc's error at that N. */
Test(exact, sampling_estimators_agree_with_exact)
{
    enum { n = 3, d = 4 };
    double w[n] = {0.5, 0.3, 0.2}, mu[n * d];
    ogem_init_random(mu, 0, 1, n, d, NULL, 1.0, 21);
    /* keep k <= 2 for exact: put the means in a 2-D plane through mu* */
    for (int i = 0; i < n; i++) { mu[i * d + 2] = 0.0; mu[i * d + 3] = 0.0; }
    double ex_loss, ex_lm[n], ex_x[n * d];
    ogem_solver *ex = solver(d, n, w, OGEM_EST_EXACT, 0, 0, OGEM_ALGO_GEM, 1.0);
    ogem_solver_set_means(ex, mu);
    cr_assert_eq(ogem_solver_moments(ex, &ex_loss, ex_lm, ex_x), OGEM_OK, "%s", ogem_solver_error(ex));
    ogem_solver_destroy(ex);
    double sum = 0;
    for (int i = 0; i < n; i++) sum += exp(ex_lm[i]);
    cr_assert_float_eq(sum, 1.0, 1e-12, "sum of E[psi_i] is %.17g", sum);
    cr_assert(ex_loss > 0, "KL must be positive, got %g", ex_loss);

    for (int sub = 0; sub < 2; sub++) {
        enum { S = 8 };
        double loss[S], mass[S][n];
        ogem_solver *mc = solver(d, n, w, OGEM_EST_MC, 1 << 14, sub, OGEM_ALGO_GEM, 1.0);
        ogem_solver_set_means(mc, mu);
        for (int t = 0; t < S; t++) {
            double lm[n];
            ogem_solver_seek(mc, t);
            cr_assert_eq(ogem_solver_moments(mc, &loss[t], lm, NULL), OGEM_OK);
            for (int i = 0; i < n; i++) mass[t][i] = exp(lm[i]);
        }
        ogem_solver_destroy(mc);
        double ml = 0, vl = 0;
        for (int t = 0; t < S; t++) ml += loss[t] / S;
        for (int t = 0; t < S; t++) vl += (loss[t] - ml) * (loss[t] - ml) / (S - 1);
        double se = sqrt(vl / S);
        cr_assert(fabs(ml - ex_loss) <= 5 * se + 1e-12, "mc%s loss %g vs exact %g (se %g)", sub ? " subspace" : "", ml, ex_loss, se);
        for (int i = 0; i < n; i++) {
            double mm = 0, vm = 0;
            for (int t = 0; t < S; t++) mm += mass[t][i] / S;
            for (int t = 0; t < S; t++) vm += (mass[t][i] - mm) * (mass[t][i] - mm) / (S - 1);
            cr_assert(fabs(mm - exp(ex_lm[i])) <= 5 * sqrt(vm / S) + 1e-12, "mc E[psi_%d] %g vs exact %g", i, mm, exp(ex_lm[i]));
        }
    }
    ogem_solver *q = solver(d, n, w, OGEM_EST_QMC, 1 << 14, 1, OGEM_ALGO_GEM, 1.0);
    ogem_solver_set_means(q, mu);
    double ql, qm[n], qx[n * d];
    cr_assert_eq(ogem_solver_moments(q, &ql, qm, qx), OGEM_OK);
    ogem_solver_destroy(q);
    cr_assert(fabs(ql - ex_loss) < 1e-4, "qmc loss error %g", fabs(ql - ex_loss));
    for (int i = 0; i < n; i++) {
        cr_assert(fabs(exp(qm[i]) - exp(ex_lm[i])) < 1e-4, "qmc E[psi_%d] error %g", i, fabs(exp(qm[i]) - exp(ex_lm[i])));
        for (int k = 0; k < d; k++)
            cr_assert(fabs(qx[i * d + k] - ex_x[i * d + k]) < 1e-3, "qmc conditional mean error %g", fabs(qx[i * d + k] - ex_x[i * d + k]));
    }
}

/* A span of three directions is a clear error that points to qmc. */
Test(exact, three_directions_rejected)
{
    double w[4] = {0.25, 0.25, 0.25, 0.25}, mu[4 * 3];
    ogem_init_random(mu, 0, 1, 4, 3, NULL, 1.0, 2);
    ogem_solver *sv = solver(3, 4, w, OGEM_EST_EXACT, 0, 0, OGEM_ALGO_GEM, 1.0);
    ogem_solver_set_means(sv, mu);
    cr_assert_eq(ogem_solver_step(sv, 1, NULL), OGEM_ERR_UNSUPPORTED);
    cr_assert(strstr(ogem_solver_error(sv), "qmc") != NULL, "message: %s", ogem_solver_error(sv));
    ogem_solver_destroy(sv);
}
