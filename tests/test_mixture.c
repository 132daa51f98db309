/* test_mixture.c - the library's side of a mixture truth and learned weights:
 * the metrics against a mixture by hand, truth-sample initializations, the
 * settings' checks, checkpoints that carry learned weights through a file,
 * and the stratified estimators against each other (the references written
 * outside ogem are in test_mixture_reference.c). */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ogem/ogem.h"

/* Two truth components in d = 2 and a model of three. */
static const double TW[2] = {0.3, 0.7}, TM[4] = {3, 0, -3, 0};

static ogem_settings mixture_settings(ogem_estimator e, long N, int n, const double *w)
{
    ogem_settings s;
    ogem_settings_default(&s);
    s.dim = 2; s.components = n; s.weights = w; s.inits = 2;
    s.estimator = e; s.samples = N; s.device = OGEM_DEVICE_CPU; s.threads = 1; s.seed = 9;
    s.truth_components = 2; s.truth_weights = TW; s.truth_means = TM;
    return s;
}

static ogem_solver *make(const ogem_settings *s)
{
    ogem_solver *sv = NULL;
    char msg[512] = "";
    cr_assert_eq(ogem_solver_create(&sv, s, msg, sizeof msg), OGEM_OK, "%s", msg);
    return sv;
}

Test(mixture, match_by_hand)
{
    /* truth means (0,0) w .5 and (4,0) w .5; model: (1,0) .2, (0,1) .3, (10,0) .5 */
    const double tm[4] = {0, 0, 4, 0}, tw[2] = {0.5, 0.5};
    const double mu[6] = {1, 0, 0, 1, 10, 0}, pi[3] = {0.2, 0.3, 0.5};
    double near[2], mass[2];
    const double v = ogem_mixture_match(3, 2, mu, pi, 2, tm, tw, 1.0, near, mass);
    cr_expect_float_eq(near[0], 1.0, 1e-15);
    cr_expect_float_eq(near[1], 3.0, 1e-15);
    cr_expect_float_eq(mass[0], 0.5, 1e-15, "both (1,0) and (0,1) lie within 1 of the origin");
    cr_expect_float_eq(mass[1], 0.0, 1e-15);
    /* cells: {0, 1} -> truth 0 (weight .5), {2} -> truth 1 (.5): |.5-.5| + |.5-.5|
     * + .2*1 + .3*1 + .5*36 */
    cr_expect_float_eq(v, 0.2 + 0.3 + 18.0, 1e-13);
    /* a model that is the truth: 0 */
    const double same[4] = {0, 0, 4, 0};
    cr_expect_eq(ogem_mixture_match(2, 2, same, tw, 2, tm, tw, 0.0, NULL, NULL), 0.0);
}

Test(mixture, truth_sample_is_per_init_and_follows_the_weights)
{
    enum { n = 400, d = 2 };
    static double a[3 * n * d], b[n * d];
    cr_assert_eq(ogem_init_truth_sample(a, 0, 3, n, d, 2, TW, TM, NULL, 0.0, 4), OGEM_OK);
    cr_assert_eq(ogem_init_truth_sample(b, 2, 1, n, d, 2, TW, TM, NULL, 0.0, 4), OGEM_OK);
    cr_expect_eq(memcmp(a + 2 * n * d, b, sizeof b), 0, "init 2 depends on the batch it was drawn in");
    /* labels: the fraction near +3 is about 0.3 (1200 draws: sd 0.013) */
    int right = 0;
    for (int q = 0; q < 3 * n; q++) right += a[q * d] > 0;
    const double frac = right / (3.0 * n);
    cr_expect(fabs(frac - 0.3) < 0.05, "fraction from the first component %g, weight 0.3", frac);
    /* noise adds N(0, S^2): the spread of the second coordinate grows from 1 to sqrt(1 + 4) */
    static double c[3 * n * d];
    cr_assert_eq(ogem_init_truth_sample(c, 0, 3, n, d, 2, TW, TM, NULL, 2.0, 4), OGEM_OK);
    double s2 = 0.0;
    for (int q = 0; q < 3 * n; q++) s2 += c[q * d + 1] * c[q * d + 1];
    cr_expect(fabs(s2 / (3.0 * n) - 5.0) < 0.8, "variance %g, want 5", s2 / (3.0 * n));
    cr_expect_eq(ogem_init_truth_sample(c, 0, 1, n, d, 2, TW, TM, TM, 0.0, 4), OGEM_ERR_INVALID,
                 "a mixture and mu* at once");
}

Test(mixture, settings_are_checked)
{
    static const double w[3] = {0.2, 0.3, 0.5}, bad_w[2] = {0.3, 0.6}, mu_star[2] = {0, 0};
    char msg[512];
    ogem_solver *sv = NULL;
    ogem_settings s = mixture_settings(OGEM_EST_MC, 64, 3, w);
    s.mu_star = mu_star;
    cr_expect_eq(ogem_solver_create(&sv, &s, msg, sizeof msg), OGEM_ERR_INVALID);
    cr_expect(strncmp(msg, "truth_means: ", 13) == 0, "%s", msg);
    s = mixture_settings(OGEM_EST_MC, 64, 3, w);
    s.truth_weights = bad_w;
    cr_expect_eq(ogem_solver_create(&sv, &s, msg, sizeof msg), OGEM_ERR_INVALID);
    cr_expect(strstr(msg, "truth_weights: weights sum to") == msg, "%s", msg);
    /* exact: three truth means spanning 2 directions are fine, four spanning 3 are not (d = 3) */
    static const double tw4[4] = {0.25, 0.25, 0.25, 0.25}, tm4[12] = {0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0, 5};
    s = mixture_settings(OGEM_EST_EXACT, 0, 3, w);
    s.dim = 3; s.truth_components = 4; s.truth_weights = tw4; s.truth_means = tm4; s.inits = 1;
    sv = make(&s);
    double mu[9] = {1, 1, 0, 2, 0, 0, 0, 2, 0};
    cr_assert_eq(ogem_solver_set_means(sv, mu), OGEM_OK);
    cr_expect_eq(ogem_solver_step(sv, 1, NULL), OGEM_ERR_UNSUPPORTED);
    cr_expect(strstr(ogem_solver_error(sv), "truth whose means span at most 2") != NULL, "%s", ogem_solver_error(sv));
    ogem_solver_destroy(sv);
}

Test(mixture, learned_weights_stay_a_distribution_and_reach_the_truths)
{
    /* n = m, started near the truth, em with learned weights on the exact
     * estimator: the weights go to (0.3, 0.7) and the means to the truth's. */
    static const double w[2] = {0.5, 0.5};
    ogem_settings s = mixture_settings(OGEM_EST_EXACT, 0, 2, w);
    s.algo = OGEM_ALGO_EM; s.learn_weights = 1;
    ogem_solver *sv = make(&s);
    double mu[8] = {2, 0.5, -2, -0.5, 1, 1, -1, -1};
    cr_assert_eq(ogem_solver_set_means(sv, mu), OGEM_OK);
    ogem_metrics met[2];
    double wt[4];
    for (int t = 0; t < 300; t++) {
        cr_assert_eq(ogem_solver_step(sv, 1, met), OGEM_OK, "%s", ogem_solver_error(sv));
        ogem_solver_get_weights(sv, wt);
        for (int r = 0; r < 2; r++) cr_assert(fabs(wt[2 * r] + wt[2 * r + 1] - 1.0) < 1e-12, "step %d", t);
    }
    for (int r = 0; r < 2; r++) {
        cr_expect(fabs(wt[2 * r] - 0.3) < 1e-6, "init %d: weight %g, want 0.3", r, wt[2 * r]);
        cr_expect(met[r].voronoi < 1e-6, "init %d: Voronoi loss %g", r, met[r].voronoi);
        cr_expect(met[r].loss < 1e-10 && met[r].loss > -1e-12, "init %d: KL %g", r, met[r].loss);
    }
    ogem_solver_destroy(sv);
}

Test(mixture, log_weights_are_checked)
{
    static const double w[3] = {0.2, 0.3, 0.5};
    ogem_settings s = mixture_settings(OGEM_EST_MC, 64, 3, w);
    ogem_solver *sv = make(&s);
    double lw[6] = {log(0.2), log(0.3), log(0.5), log(0.5), log(0.5), -INFINITY};
    cr_expect_eq(ogem_solver_set_log_weights(sv, lw), OGEM_OK, "a zero weight is allowed: %s", ogem_solver_error(sv));
    lw[5] = NAN;
    cr_expect_eq(ogem_solver_set_log_weights(sv, lw), OGEM_ERR_INVALID);
    lw[5] = log(0.1);
    cr_expect_eq(ogem_solver_set_log_weights(sv, lw), OGEM_ERR_INVALID, "sums to 1.1");
    cr_expect(strstr(ogem_solver_error(sv), "initialization 1: weights sum to") != NULL, "%s", ogem_solver_error(sv));
    ogem_solver_destroy(sv);
}

/* Stopped at step 4, through a file, resumed: the same means and weights as
 * the run that never stopped, bit for bit (the means relative to mu* = (3, 0),
 * the weights learned). */
Test(mixture, learned_weights_resume_through_a_file)
{
    static const double w[3] = {0.2, 0.3, 0.5};
    ogem_settings s = mixture_settings(OGEM_EST_MC, 256, 3, w);
    s.learn_weights = 1; s.eta = 0.7;
    double mu[12];
    ogem_init_truth_sample(mu, 0, 2, 3, 2, 2, TW, TM, NULL, 1.0, 2);
    ogem_solver *a = make(&s), *b = make(&s);
    ogem_solver_set_means(a, mu);
    ogem_solver_set_means(b, mu);
    for (int t = 0; t < 4; t++) ogem_solver_step(a, 1, NULL);
    ogem_checkpoint ck;
    memset(&ck, 0, sizeof ck);
    cr_assert_eq(ogem_checkpoint_capture(a, &ck), OGEM_OK);
    cr_assert(ck.log_weights != NULL && ck.relative == 1);
    char path[] = "/tmp/ogem-mixture-ckpt-XXXXXX", msg[512];
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    cr_assert_eq(ogem_checkpoint_write(path, &ck, msg, sizeof msg), OGEM_OK, "%s", msg);
    ogem_checkpoint_free(&ck);
    ogem_checkpoint back;
    cr_assert_eq(ogem_checkpoint_read(path, &back, msg, sizeof msg), OGEM_OK, "%s", msg);
    unlink(path);
    cr_assert_eq(ogem_checkpoint_restore(b, &back), OGEM_OK, "%s", ogem_solver_error(b));
    ogem_checkpoint_free(&back);
    for (int t = 4; t < 10; t++) {
        ogem_solver_step(a, 1, NULL);
        cr_assert_eq(ogem_solver_step(b, 1, NULL), OGEM_OK);
    }
    double ma[12], mb[12], wa[6], wb[6];
    ogem_solver_get_means(a, ma); ogem_solver_get_means(b, mb);
    ogem_solver_get_weights(a, wa); ogem_solver_get_weights(b, wb);
    cr_expect_eq(memcmp(ma, mb, sizeof ma), 0, "means differ after the resume");
    cr_expect_eq(memcmp(wa, wb, sizeof wa), 0, "weights differ after the resume");
    /* a checkpoint without weights is refused by a run that learns them */
    ogem_settings plain = s;
    plain.learn_weights = 0;
    ogem_solver *c = make(&plain);
    memset(&ck, 0, sizeof ck);
    cr_assert_eq(ogem_checkpoint_capture(c, &ck), OGEM_OK);
    cr_expect_eq(ogem_checkpoint_restore(b, &ck), OGEM_ERR_INVALID);
    ogem_checkpoint_free(&ck);
    ogem_solver_destroy(a); ogem_solver_destroy(b); ogem_solver_destroy(c);
}

/* The three point layouts of strata.h estimate one thing: in d = 5 with the
 * model in 2 directions, qmc in full d and with --subspace agree with exact
 * within 2e-5 (KL), 5e-5 (log mass), 5e-4 (conditional means) with 2^16 points; measured:
 * 3e-7, 2e-6 and below 1e-4. */
Test(mixture, full_subspace_and_exact_agree)
{
    static const double w[3] = {0.2, 0.3, 0.5}, tw[2] = {0.4, 0.6};
    static const double tm[10] = {1, 0, 0, 0, 0, -1, 1, 0, 0, 0};
    const double mu[15] = {0.5, 0.5, 0, 0, 0, -1.5, 0, 0, 0, 0, 0, 1.5, 0, 0, 0};
    double loss[3][1], lm[3][3], cm[3][15];
    const struct { ogem_estimator e; int sub; } how[3] = {{OGEM_EST_EXACT, 0}, {OGEM_EST_QMC, 0}, {OGEM_EST_QMC, 1}};
    for (int h = 0; h < 3; h++) {
        ogem_settings s;
        ogem_settings_default(&s);
        s.dim = 5; s.components = 3; s.weights = w; s.inits = 1; s.device = OGEM_DEVICE_CPU; s.threads = 1;
        s.estimator = how[h].e; s.samples = 1 << 16; s.subspace = how[h].sub;
        s.truth_components = 2; s.truth_weights = tw; s.truth_means = tm;
        ogem_solver *sv = make(&s);
        cr_assert_eq(ogem_solver_set_means(sv, mu), OGEM_OK);
        cr_assert_eq(ogem_solver_moments(sv, loss[h], lm[h], cm[h]), OGEM_OK, "%s", ogem_solver_error(sv));
        ogem_solver_destroy(sv);
    }
    for (int h = 1; h < 3; h++) {
        cr_expect(fabs(loss[h][0] - loss[0][0]) < 2e-5, "layout %d: KL %.10f, exact %.10f", h, loss[h][0], loss[0][0]);
        for (int i = 0; i < 3; i++) {
            cr_expect(fabs(lm[h][i] - lm[0][i]) < 5e-5, "layout %d: log mass %d %.8f vs %.8f", h, i, lm[h][i], lm[0][i]);
            for (int k = 0; k < 5; k++)
                cr_expect(fabs(cm[h][i * 5 + k] - cm[0][i * 5 + k]) < 5e-4, "layout %d: cond mean %d,%d %.8f vs %.8f",
                          h, i, k, cm[h][i * 5 + k], cm[0][i * 5 + k]);
        }
    }
    /* and the exact KL of this model is not small, so the comparison means something */
    cr_expect_gt(loss[0][0], 0.05);
    cr_log_info("KL exact %.10f qmc %.10f qmc-sub %.10f; log mass 0: %.8f %.8f %.8f", loss[0][0], loss[1][0], loss[2][0], lm[0][0], lm[1][0], lm[2][0]);
}

/* A run in d = 40 and the same run reduced to the span of its means
 * (ogem_reduce_to_span): with the exact estimator, which depends only on the
 * geometry, the two trajectories agree to rounding (1e-11 over 30 steps). */
Test(mixture, reduced_run_is_the_same_run)
{
    enum { d = 40, n = 3, m = 2, kmax = n + m - 1 };
    static const double w[n] = {0.2, 0.3, 0.5}, tw[m] = {0.4, 0.6};
    double tm[m * d], mu[n * d], rmu[n * kmax], rtm[m * kmax];
    ogem_normals(3, 1, 0, tm, m * d);
    ogem_init_truth_sample(mu, 0, 1, n, d, m, tw, tm, NULL, 0.5, 3);
    /* the exact rule takes at most 2 directions: put the model means on a line through mu*_1 */
    for (int i = 0; i < n; i++)
        for (int k = 0; k < d; k++) mu[i * d + k] = tm[k] + (i - 1.0) * 0.7 * (tm[d + k] - tm[k]) + (i == 2) * 0.3;
    const int k = ogem_reduce_to_span(n, d, mu, m, tm, kmax, rmu, rtm);
    cr_assert(k >= 2 && k <= kmax, "rank %d", k);
    ogem_metrics full[30], red[30];
    for (int pass = 0; pass < 2; pass++) {
        ogem_settings s;
        ogem_settings_default(&s);
        s.components = n; s.weights = w; s.inits = 1; s.device = OGEM_DEVICE_CPU; s.threads = 1;
        s.estimator = OGEM_EST_EXACT; s.eta = 1.0; s.learn_weights = 1;
        s.truth_components = m; s.truth_weights = tw;
        s.dim = pass ? kmax : d;
        s.truth_means = pass ? rtm : tm;
        ogem_solver *sv = make(&s);
        cr_assert_eq(ogem_solver_set_means(sv, pass ? rmu : mu), OGEM_OK);
        for (int t = 0; t < 30; t++)
            cr_assert_eq(ogem_solver_step(sv, 1, pass ? &red[t] : &full[t]), OGEM_OK, "%s", ogem_solver_error(sv));
        ogem_solver_destroy(sv);
    }
    for (int t = 0; t < 30; t++) {
        cr_expect(fabs(full[t].loss - red[t].loss) < 1e-11, "step %d: KL %.15g vs %.15g", t, full[t].loss, red[t].loss);
        cr_expect(fabs(full[t].max_dist - red[t].max_dist) < 1e-11, "step %d: max_dist", t);
        cr_expect(fabs(full[t].voronoi - red[t].voronoi) < 1e-11, "step %d: voronoi", t);
    }
    cr_expect_gt(fabs(full[29].loss - full[0].loss), 1e-3, "the run moved");
}
