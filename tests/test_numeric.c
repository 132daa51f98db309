/* test_numeric.c - numerical breakdown is reported, never written out: a step
 * whose loss, metrics or update are not finite fails with OGEM_ERR_NUMERIC and
 * a message naming the initialization, means whose squared distance to mu*
 * overflows are refused, and a diverging exact run is a NUMERIC failure, not
 * a request the estimator "cannot do". */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include "ogem/ogem.h"

static ogem_solver *make(int n, ogem_estimator e, long N, double eta)
{
    static const double w5[5] = {0.2, 0.2, 0.2, 0.2, 0.2};
    static const double w2[2] = {0.5, 0.5};
    ogem_settings s;
    ogem_settings_default(&s);
    s.dim = 2; s.components = n; s.weights = n == 2 ? w2 : w5; s.inits = 4;
    s.estimator = e; s.samples = N; s.eta = eta; s.device = OGEM_DEVICE_CPU; s.threads = 2; s.seed = 1;
    ogem_solver *sv = NULL;
    char msg[256] = "";
    cr_assert_eq(ogem_solver_create(&sv, &s, msg, sizeof msg), OGEM_OK, "%s", msg);
    return sv;
}

/* far:1:1e300: the squared distance is inf. Before, every metric was inf and
 * the run exited 0; now the means are refused where they enter. */
Test(numeric, means_too_far_are_refused)
{
    ogem_estimator est[] = {OGEM_EST_EXACT, OGEM_EST_MC, OGEM_EST_QMC, OGEM_EST_FIXED};
    for (int e = 0; e < 4; e++) {
        ogem_solver *sv = make(5, est[e], 64, 1.0);
        double mu[4 * 5 * 2];
        cr_assert_eq(ogem_init_far(mu, 0, 4, 5, 2, NULL, 1, 1e300, 1), OGEM_OK);
        cr_expect_eq(ogem_solver_set_means(sv, mu), OGEM_ERR_INVALID, "estimator %d", e);
        const char *m = ogem_solver_error(sv);
        cr_expect_not_null(strstr(m, "initialization 0, component 0"), "message: %s", m);
        cr_expect_not_null(strstr(m, "too far from mu*"), "message: %s", m);
        /* 1e150 squares to 1e300: still a double, accepted, and every metric finite. */
        cr_assert_eq(ogem_init_far(mu, 0, 4, 5, 2, NULL, 1, 1e150, 1), OGEM_OK);
        cr_assert_eq(ogem_solver_set_means(sv, mu), OGEM_OK, "%s", ogem_solver_error(sv));
        ogem_metrics met[4];
        for (int t = 0; t < 3; t++) {
            cr_assert_eq(ogem_solver_step(sv, 1, met), OGEM_OK, "%s", ogem_solver_error(sv));
            for (int r = 0; r < 4; r++)
                cr_expect(isfinite(met[r].loss) && isfinite(met[r].max_dist) && isfinite(met[r].mean_dist2) &&
                          isfinite(met[r].update_norm), "estimator %d step %d init %d", e, t, r);
        }
        ogem_solver_destroy(sv);
    }
}

/* eta 1e300: the update overflows. The step fails, names the initialization,
 * and changes no mean (a failed step is all or nothing). */
Test(numeric, overflowing_update_fails_the_step)
{
    ogem_solver *sv = make(5, OGEM_EST_MC, 64, 1e300);
    double mu[4 * 5 * 2], before[4 * 5 * 2], after[4 * 5 * 2];
    ogem_init_random(mu, 0, 4, 5, 2, NULL, 2.0, 3);
    cr_assert_eq(ogem_solver_set_means(sv, mu), OGEM_OK);
    ogem_solver_get_means(sv, before);
    ogem_metrics met[4];
    cr_assert_eq(ogem_solver_step(sv, 1, met), OGEM_ERR_NUMERIC);
    const char *m = ogem_solver_error(sv);
    cr_expect_eq(strncmp(m, "initialization 0: ", 18), 0, "message: %s", m);
    cr_expect_not_null(strstr(m, "inf"), "message: %s", m);
    cr_expect_not_null(strstr(m, "eta"), "message: %s", m);
    ogem_solver_get_means(sv, after);
    cr_expect_eq(memcmp(before, after, sizeof before), 0, "a failed step moved the means");
    cr_expect_eq(ogem_solver_step_index(sv), 0, "a failed step advanced t");
    ogem_solver_destroy(sv);
}

/* gem with eta 100 on two components diverges (means 10x farther per step).
 * The exact rule then fails once the scores lose their units; that was
 * reported as UNSUPPORTED ("span 1 directions ... handles at most 2"). */
Test(numeric, diverging_exact_run_is_numeric)
{
    ogem_solver *sv = make(2, OGEM_EST_EXACT, 0, 100.0);
    double mu[4 * 2 * 2];
    ogem_init_random(mu, 0, 4, 2, 2, NULL, 1.0, 1);
    cr_assert_eq(ogem_solver_set_means(sv, mu), OGEM_OK);
    ogem_status st = OGEM_OK;
    int t = 0;
    for (; t < 40 && st == OGEM_OK; t++) st = ogem_solver_step(sv, 1, NULL);
    cr_expect_eq(st, OGEM_ERR_NUMERIC, "status %d after %d steps: %s", st, t, ogem_solver_error(sv));
    const char *m = ogem_solver_error(sv);
    cr_expect_eq(strncmp(m, "initialization ", 15), 0, "message: %s", m);
    cr_expect_not_null(strstr(m, "diverged"), "message: %s", m);
    cr_expect_null(strstr(m, "at most 2"), "no contradiction: %s", m);
    ogem_solver_destroy(sv);
}
