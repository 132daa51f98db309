/* test_solver.c - the solver's mathematics against closed forms, finite
 * differences, symmetry, and a 1-D population recursion. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ogem/ogem.h"

static ogem_solver *make(ogem_settings *s)
{
    ogem_solver *sv = NULL;
    char msg[256] = "";
    ogem_status st = ogem_solver_create(&sv, s, msg, sizeof msg);
    cr_assert_eq(st, OGEM_OK, "create failed: %s", msg);
    return sv;
}

static ogem_settings base(int d, int n, const double *w, ogem_estimator e, long N)
{
    ogem_settings s;
    ogem_settings_default(&s);
    s.dim = d; s.components = n; s.weights = w; s.estimator = e; s.samples = N;
    s.device = OGEM_DEVICE_CPU; s.threads = 2; s.seed = 7;
    return s;
}

/* n = 1, mc: antithetic pairs make the sample mean exactly zero, so the loss is
 * exactly |m|^2 / 2 and gem contracts by exactly (1 - eta). */
Test(solver, single_component_mc_exact_contraction)
{
    double w[1] = {1.0}, mu[3] = {1.5, -2.0, 0.25};
    ogem_settings s = base(3, 1, w, OGEM_EST_MC, 512);
    s.eta = 0.3;
    ogem_solver *sv = make(&s);
    ogem_solver_set_means(sv, mu);
    for (int t = 0; t < 5; t++) {
        ogem_metrics m;
        double cur[3];
        ogem_solver_get_means(sv, cur);
        double sq = cur[0] * cur[0] + cur[1] * cur[1] + cur[2] * cur[2];
        cr_assert_eq(ogem_solver_step(sv, 1, &m), OGEM_OK);
        cr_assert_float_eq(m.loss, 0.5 * sq, 1e-12 * (1 + sq));
        double nxt[3];
        ogem_solver_get_means(sv, nxt);
        for (int k = 0; k < 3; k++) cr_assert_float_eq(nxt[k], 0.7 * cur[k], 1e-13);
    }
    ogem_solver_destroy(sv);
}

/* n = 1, fixed samples: the sample formula L = |m|^2/2 - <zbar, m> and
 * contraction towards the sample mean zbar. */
Test(solver, single_component_fixed_sample_formula)
{
    double w[1] = {1.0}, mu[2] = {2.0, 1.0}, mu0[2], mu1[2], xb[2];
    ogem_settings s = base(2, 1, w, OGEM_EST_FIXED, 1000);
    s.eta = 0.5;
    ogem_solver *sv = make(&s);
    ogem_solver_set_means(sv, mu);
    double loss, lm;
    cr_assert_eq(ogem_solver_moments(sv, &loss, &lm, xb), OGEM_OK);
    cr_assert_float_eq(lm, 0.0, 1e-15);      /* E[psi] = 1 */
    double expect = 0.5 * (mu[0] * mu[0] + mu[1] * mu[1]) - (xb[0] * mu[0] + xb[1] * mu[1]);
    cr_assert_float_eq(loss, expect, 1e-12);
    cr_assert(fabs(xb[0]) > 1e-6, "sample mean should not be exactly zero");
    for (int t = 0; t < 4; t++) {
        ogem_solver_get_means(sv, mu0);
        cr_assert_eq(ogem_solver_step(sv, 1, NULL), OGEM_OK);
        ogem_solver_get_means(sv, mu1);
        for (int k = 0; k < 2; k++) cr_assert_float_eq(mu1[k] - xb[k], 0.5 * (mu0[k] - xb[k]), 1e-13);
    }
    ogem_solver_destroy(sv);
}

/* The gem update is -eta times the gradient of the sample loss (central
 * differences on fixed samples); em is gem with per-component step 1/E[psi_i]. */
Test(solver, gem_is_gradient_descent_and_em_is_scaled_gem)
{
    enum { n = 3, d = 2 };
    double w[n] = {0.5, 0.3, 0.2};
    double mu[n * d] = {0.3, -0.2, -1.0, 0.7, 1.2, 1.1};
    ogem_settings s = base(d, n, w, OGEM_EST_FIXED, 2000);
    s.eta = 0.7;
    ogem_solver *sv = make(&s);
    ogem_solver_set_means(sv, mu);
    double lm[n], xb[n * d], L0;
    ogem_solver_moments(sv, &L0, lm, xb);
    const double h = 1e-5;
    for (int q = 0; q < n * d; q++) {
        double p[n * d], Lp, Lm;
        memcpy(p, mu, sizeof p); p[q] += h; ogem_solver_set_means(sv, p); ogem_solver_moments(sv, &Lp, NULL, NULL);
        memcpy(p, mu, sizeof p); p[q] -= h; ogem_solver_set_means(sv, p); ogem_solver_moments(sv, &Lm, NULL, NULL);
        double grad = (Lp - Lm) / (2 * h);
        int i = q / d;
        double update = s.eta * exp(lm[i]) * (xb[q] - mu[q]);
        cr_assert_float_eq(update, -s.eta * grad, 1e-8, "coordinate %d: update %g vs -eta grad %g", q, update, -s.eta * grad);
    }
    /* em: one step lands on xbar_i, which is gem with eta_i = 1 / E[psi_i] */
    ogem_solver_destroy(sv);
    s.algo = OGEM_ALGO_EM;
    sv = make(&s);
    ogem_solver_set_means(sv, mu);
    ogem_solver_step(sv, 1, NULL);
    double after[n * d];
    ogem_solver_get_means(sv, after);
    for (int q = 0; q < n * d; q++) {
        int i = q / d;
        double gem_scaled = mu[q] + (1.0 / exp(lm[i])) * exp(lm[i]) * (xb[q] - mu[q]);
        cr_assert_float_eq(after[q], gem_scaled, 1e-12);
    }
    ogem_solver_destroy(sv);
}

/* E[X tanh(theta X)], X ~ N(0,1), by composite Simpson on [-12, 12]. */
static double tanh_moment(double theta)
{
    const int M = 20000;
    const double lo = -12, hi = 12, h = (hi - lo) / M;
    double acc = 0.0;
    for (int q = 0; q <= M; q++) {
        double x = lo + q * h, f = x * tanh(theta * x) * exp(-0.5 * x * x) / sqrt(2 * 3.14159265358979323846);
        acc += f * (q == 0 || q == M ? 1 : (q % 2 ? 4 : 2));
    }
    return acc * h / 3;
}

/* Symmetric two components, truth N(0, I), d = 3: em keeps mu_2 = -mu_1 on a
 * line and follows theta <- E[X tanh(theta X)] (population recursion) within
 * the Monte Carlo error of N = 2^17 antithetic samples. */
Test(solver, symmetric_two_components_follow_population_recursion)
{
    double w[2] = {0.5, 0.5}, mu[6] = {1.2, 0.9, -0.5, -1.2, -0.9, 0.5};
    const double len = sqrt(1.2 * 1.2 + 0.9 * 0.9 + 0.25);
    ogem_settings s = base(3, 2, w, OGEM_EST_MC, 1 << 17);
    s.algo = OGEM_ALGO_EM;
    ogem_solver *sv = make(&s);
    ogem_solver_set_means(sv, mu);
    double theta = len;
    for (int t = 0; t < 6; t++) {
        ogem_solver_step(sv, 1, NULL);
        theta = tanh_moment(theta);
        double cur[6];
        ogem_solver_get_means(sv, cur);
        double dot = 0, n1 = 0;
        for (int k = 0; k < 3; k++) { dot += cur[k] * mu[k] / len; n1 += cur[k] * cur[k]; }
        /* stays on the line through the initial direction, to Monte Carlo error */
        cr_assert(sqrt(fmax(n1 - dot * dot, 0)) < 0.02, "left the line at step %d", t);
        cr_assert_float_eq(dot, theta, 0.01, "step %d: %g vs recursion %g", t, dot, theta);
        for (int k = 0; k < 3; k++) cr_assert_float_eq(cur[3 + k], -cur[k], 0.02);
    }
    ogem_solver_destroy(sv);
}

/* Permuting components (with their weights) permutes the results; an
 * orthogonal rotation of the problem and of the fixed samples rotates them. */
Test(solver, permutation_equivariance)
{
    enum { n = 3, d = 2, R = 2 };
    double w[n] = {0.2, 0.5, 0.3}, wp[n] = {0.3, 0.2, 0.5};   /* perm (2, 0, 1) */
    double mu[R * n * d], mup[R * n * d];
    ogem_init_random(mu, 0, R, n, d, NULL, 2.0, 3);
    const int perm[n] = {2, 0, 1};
    for (int r = 0; r < R; r++)
        for (int i = 0; i < n; i++)
            for (int k = 0; k < d; k++) mup[(r * n + i) * d + k] = mu[(r * n + perm[i]) * d + k];
    ogem_settings s = base(d, n, w, OGEM_EST_FIXED, 3000);
    s.inits = R;
    ogem_solver *a = make(&s);
    s.weights = wp;
    ogem_solver *b = make(&s);
    ogem_solver_set_means(a, mu);
    ogem_solver_set_means(b, mup);
    for (int t = 0; t < 10; t++) { ogem_solver_step(a, 1, NULL); ogem_solver_step(b, 1, NULL); }
    double ea[R * n * d], eb[R * n * d];
    ogem_solver_get_means(a, ea);
    ogem_solver_get_means(b, eb);
    for (int r = 0; r < R; r++)
        for (int i = 0; i < n; i++)
            for (int k = 0; k < d; k++)
                cr_assert_float_eq(eb[(r * n + i) * d + k], ea[(r * n + perm[i]) * d + k], 1e-12);
    ogem_solver_destroy(a);
    ogem_solver_destroy(b);
}

/* Initialization r does not depend on the batch size, and a seed fixes it. */
Test(solver, init_independent_of_batch)
{
    double big[50 * 2 * 3], small[2 * 3];
    ogem_init_random(big, 0, 50, 2, 3, NULL, 1.5, 11);
    ogem_init_random(small, 37, 1, 2, 3, NULL, 1.5, 11);
    cr_assert_arr_eq(small, big + 37 * 6, sizeof small);
    double far[4 * 3 * 5];
    ogem_init_far(far, 0, 4, 3, 5, NULL, 1, 7.0, 11);
    for (int r = 0; r < 4; r++) {
        double sq = 0;
        for (int k = 0; k < 5; k++) sq += far[r * 15 + k] * far[r * 15 + k];
        cr_assert_float_eq(sqrt(sq), 7.0, 1e-12);
        for (int k = 5; k < 15; k++) cr_assert_eq(far[r * 15 + k], 0.0);
    }
}

/* A component 1000 units away: no NaN or Inf, gem leaves it (its mass is
 * below the smallest double) and em still gets a finite conditional mean. */
Test(solver, far_component_stays_finite)
{
    double w[2] = {0.5, 0.5}, mu[4] = {0.1, 0.0, 1000.0, 0.0};
    for (int algo = 0; algo < 2; algo++) {
        ogem_settings s = base(2, 2, w, OGEM_EST_MC, 4096);
        s.algo = algo;
        ogem_solver *sv = make(&s);
        ogem_solver_set_means(sv, mu);
        double lm[2], xb[4], loss;
        cr_assert_eq(ogem_solver_moments(sv, &loss, lm, xb), OGEM_OK);
        cr_assert(isfinite(loss) && isfinite(lm[0]) && isfinite(lm[1]));
        cr_assert(lm[1] < -1e5, "log mass of the far component should be about -5e5, got %g", lm[1]);
        for (int q = 0; q < 4; q++) cr_assert(isfinite(xb[q]));
        ogem_metrics m;
        cr_assert_eq(ogem_solver_step(sv, 1, &m), OGEM_OK);
        cr_assert(isfinite(m.loss) && isfinite(m.update_norm));
        ogem_solver_destroy(sv);
    }
}

/* Tiny responsibilities are not lost: at distance 37 E[psi_far] is ~1e-300
 * scale per sample; the log-scaled sums keep log E[psi] finite and accurate
 * against the same estimate computed with a shifted (better conditioned) mean. */
Test(solver, tiny_responsibilities_kept)
{
    double w[2] = {0.5, 0.5}, mu[2] = {0.0, 38.0};
    ogem_settings s = base(1, 2, w, OGEM_EST_FIXED, 2000);
    ogem_solver *sv = make(&s);
    ogem_solver_set_means(sv, mu);
    double lm[2], xb[2];
    ogem_solver_moments(sv, NULL, lm, xb);
    cr_assert(isfinite(lm[1]) && lm[1] < -300 && lm[1] > -1000, "log E[psi_far] = %g", lm[1]);
    cr_assert(xb[1] > 2.0, "conditional mean of the far component sits in the upper tail, got %g", xb[1]);
    ogem_solver_destroy(sv);
}

/* Rotating the problem (mu*, the samples and the initial means) by an
 * orthogonal matrix rotates the whole trajectory, to 1e-12. Fixed samples are
 * supplied as a data set so that they can be rotated. */
Test(solver, rotation_equivariance)
{
    enum { n = 3, d = 3, N = 500 };
    double w[n] = {0.4, 0.35, 0.25}, mu[n * d], star[d] = {0.5, -0.25, 1.0};
    double X[N * d];
    ogem_normals(99, 1, 0, X, N * d);
    ogem_init_random(mu, 0, 1, n, d, star, 1.5, 5);
    /* a rotation: Householder product, orthogonal to rounding */
    double U[d] = {0.48, -0.6, 0.64}, V[d] = {0.0, 0.6, 0.8}, Rm[d * d];
    for (int i = 0; i < d; i++)
        for (int j = 0; j < d; j++) {
            double acc = 0;
            for (int k = 0; k < d; k++) {
                double h1 = (i == k) - 2 * U[i] * U[k], h2 = (k == j) - 2 * V[k] * V[j];
                acc += h1 * h2;
            }
            Rm[i * d + j] = acc;
        }
#define ROT(dst, src, rows) \
    for (int q = 0; q < (rows); q++) \
        for (int i = 0; i < d; i++) { \
            double acc = 0; \
            for (int k = 0; k < d; k++) acc += Rm[i * d + k] * (src)[q * d + k]; \
            (dst)[q * d + i] = acc; \
        }
    double Xr[N * d], mur[n * d], starr[d];
    ROT(Xr, X, N);
    ROT(mur, mu, n);
    ROT(starr, star, 1);
    ogem_settings s = base(d, n, w, OGEM_EST_DATA, 0);
    s.data = X; s.data_rows = N; s.mu_star = star; s.eta = 0.9;
    ogem_solver *a = make(&s);
    s.data = Xr; s.mu_star = starr;
    ogem_solver *b = make(&s);
    ogem_solver_set_means(a, mu);
    ogem_solver_set_means(b, mur);
    for (int t = 0; t < 20; t++) {
        ogem_metrics ma, mb;
        ogem_solver_step(a, 1, &ma);
        ogem_solver_step(b, 1, &mb);
        cr_assert_float_eq(ma.loss, mb.loss, 1e-12);
        cr_assert_float_eq(ma.max_dist, mb.max_dist, 1e-12);
    }
    double ea[n * d], eb[n * d], rea[n * d];
    ogem_solver_get_means(a, ea);
    ogem_solver_get_means(b, eb);
    ROT(rea, ea, n);
    for (int q = 0; q < n * d; q++) cr_assert_float_eq(eb[q], rea[q], 1e-12);
#undef ROT
    ogem_solver_destroy(a);
    ogem_solver_destroy(b);
}
