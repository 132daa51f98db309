/* test_escape.c - the escape loop, survival statistics, and checkpoints: a
 * run stopped, written to disk, read back and resumed must end exactly where
 * the uninterrupted run ends. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ogem/ogem.h"

Test(survival, kaplan_meier_by_hand)
{
    /* events at 2, 2, 5, and two censored: S(2) = 3/5, S(5) = 3/5 * 2/3 = 2/5 */
    long t[5] = {5, -1, 2, -1, 2}, times[5];
    double surv[5];
    long m = -1;
    cr_assert_eq(ogem_km_curve(t, 5, times, surv, &m), OGEM_OK);
    cr_assert_eq(m, 2);
    cr_assert_eq(times[0], 2);
    cr_assert_eq(times[1], 5);
    cr_assert_float_eq(surv[0], 0.6, 1e-15);
    cr_assert_float_eq(surv[1], 0.4, 1e-15);
    cr_assert_eq(ogem_km_quantile(times, surv, m, 0.25), 2);
    cr_assert_eq(ogem_km_quantile(times, surv, m, 0.5), 5);
    cr_assert_eq(ogem_km_quantile(times, surv, m, 0.75), -1, "75% never escape: undefined");
}

Test(survival, linear_fit_recovers_a_line)
{
    double x[5] = {1, 2, 3, 4, 5}, y[5], a, b, r2;
    for (int j = 0; j < 5; j++) y[j] = 0.5 + 2.25 * x[j];
    y[2] = NAN;   /* skipped */
    cr_assert_eq(ogem_linear_fit(x, y, 5, &a, &b, &r2), 4);
    cr_assert_float_eq(a, 0.5, 1e-12);
    cr_assert_float_eq(b, 2.25, 1e-12);
    cr_assert_float_eq(r2, 1.0, 1e-12);
}

static ogem_solver *far_solver(int R, double radius, double *mu)
{
    static double w[2] = {0.5, 0.5};
    ogem_settings s;
    ogem_settings_default(&s);
    s.dim = 2; s.components = 2; s.weights = w; s.inits = R; s.samples = 256;
    s.device = OGEM_DEVICE_CPU; s.threads = 2; s.seed = 5;
    ogem_solver *sv;
    char msg[256];
    cr_assert_eq(ogem_solver_create(&sv, &s, msg, sizeof msg), OGEM_OK, "%s", msg);
    ogem_init_far(mu, 0, R, 2, 2, NULL, 1, radius, 5);
    ogem_solver_set_means(sv, mu);
    return sv;
}

static int stop_at_40(long step, long running, void *user)
{
    (void)running; (void)user;
    return step + 1 >= 40;
}

Test(escape, resume_from_checkpoint_is_exact)
{
    enum { R = 12 };
    double mu[R * 4];
    long e1[R], e2[R];
    double l1[R], l2[R];
    for (int r = 0; r < R; r++) { e1[r] = e2[r] = -1; l1[r] = l2[r] = NAN; }

    ogem_solver *a = far_solver(R, 6.0, mu);
    cr_assert_eq(ogem_escape_run(a, OGEM_UNTIL_DIST, 1.0, 3000, e1, l1, NULL, NULL), OGEM_OK);

    ogem_solver *b = far_solver(R, 6.0, mu);
    cr_assert_eq(ogem_escape_run(b, OGEM_UNTIL_DIST, 1.0, 3000, e2, l2, stop_at_40, NULL), OGEM_OK);
    cr_assert_eq(ogem_solver_step_index(b), 40);
    ogem_checkpoint ck = {0}, back;
    cr_assert_eq(ogem_checkpoint_capture(b, &ck), OGEM_OK);
    ck.fingerprint = 42;
    ck.blob = e2;
    ck.blob_len = sizeof e2;
    char path[] = "/tmp/ogem-ckpt-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    char msg[256];
    cr_assert_eq(ogem_checkpoint_write(path, &ck, msg, sizeof msg), OGEM_OK, "%s", msg);
    ck.blob = NULL;
    ogem_checkpoint_free(&ck);
    ogem_solver_destroy(b);

    cr_assert_eq(ogem_checkpoint_read(path, &back, msg, sizeof msg), OGEM_OK, "%s", msg);
    cr_assert_eq(back.fingerprint, 42);
    cr_assert_eq(back.blob_len, sizeof e2);
    long e3[R];
    memcpy(e3, back.blob, sizeof e3);
    ogem_solver *c = far_solver(R, 6.0, mu);
    cr_assert_eq(ogem_checkpoint_restore(c, &back), OGEM_OK);
    cr_assert_eq(ogem_escape_run(c, OGEM_UNTIL_DIST, 1.0, 3000, e3, l2, NULL, NULL), OGEM_OK);
    int escaped = 0;
    for (int r = 0; r < R; r++) {
        cr_assert_eq(e3[r], e1[r], "init %d: resumed %ld vs straight %ld", r, e3[r], e1[r]);
        escaped += e1[r] >= 0;
        cr_assert(e1[r] < 0 || e1[r] > 40, "init %d escaped before the checkpoint (%ld)", r, e1[r]);
    }
    cr_assert(escaped > 0, "radius 6 should escape within 3000 steps");
    double ma[R * 4], mc[R * 4];
    ogem_solver_get_means(a, ma);
    ogem_solver_get_means(c, mc);
    cr_assert_arr_eq(ma, mc, sizeof ma, "means must match bit for bit");
    ogem_checkpoint_free(&back);
    ogem_solver_destroy(a);
    ogem_solver_destroy(c);

    /* a flipped byte is caught by the checksum */
    FILE *f = fopen(path, "r+b");
    fseek(f, 40, SEEK_SET);
    int ch = fgetc(f);
    fseek(f, 40, SEEK_SET);
    fputc(ch ^ 1, f);
    fclose(f);
    cr_assert_eq(ogem_checkpoint_read(path, &back, msg, sizeof msg), OGEM_ERR_PARSE);
    cr_assert(strstr(msg, "corrupt") != NULL);
    remove(path);
}

Test(escape, censored_when_trapped)
{
    enum { R = 3 };
    double mu[R * 4];
    long e[R] = {-1, -1, -1};
    double l[R];
    ogem_solver *s = far_solver(R, 9.0, mu);   /* exp(81/8) ~ 2.5e4 steps: trapped for 30 */
    cr_assert_eq(ogem_escape_run(s, OGEM_UNTIL_DIST, 1.0, 30, e, l, NULL, NULL), OGEM_OK);
    for (int r = 0; r < R; r++) {
        cr_assert_eq(e[r], -1);
        cr_assert(isfinite(l[r]) && l[r] > 0);
    }
    cr_assert_eq(ogem_solver_step_index(s), 30);
    ogem_solver_destroy(s);
}

/* mc draws follow the plan whatever step a run starts at: with 8192 values
 * per step, a group holds 32 steps, so a run resumed at step 5 (inside the
 * first group) must still match the straight run through step 45 (second). */
Test(escape, long_mc_stream_resumes_exactly)
{
    static double w[2] = {0.5, 0.5};
    ogem_settings s;
    ogem_settings_default(&s);
    s.dim = 2; s.components = 2; s.weights = w; s.inits = 2; s.samples = 8192;
    s.device = OGEM_DEVICE_CPU; s.threads = 1; s.seed = 9;
    double mu[8], ma[8], mb[8];
    ogem_init_far(mu, 0, 2, 2, 2, NULL, 1, 9.0, 9);
    ogem_solver *a, *b;
    char msg[256];
    cr_assert_eq(ogem_solver_create(&a, &s, msg, sizeof msg), OGEM_OK, "%s", msg);
    cr_assert_eq(ogem_solver_create(&b, &s, msg, sizeof msg), OGEM_OK, "%s", msg);
    ogem_solver_set_means(a, mu);
    for (int t = 0; t < 45; t++) cr_assert_eq(ogem_solver_step(a, 1, NULL), OGEM_OK);
    /* b: the first 5 steps, then a fresh solver seeks to 5 from b's means */
    ogem_solver_set_means(b, mu);
    for (int t = 0; t < 5; t++) cr_assert_eq(ogem_solver_step(b, 1, NULL), OGEM_OK);
    ogem_solver_get_means(b, mb);
    ogem_solver_destroy(b);
    cr_assert_eq(ogem_solver_create(&b, &s, msg, sizeof msg), OGEM_OK, "%s", msg);
    ogem_solver_set_means(b, mb);
    ogem_solver_seek(b, 5);
    for (int t = 5; t < 45; t++) cr_assert_eq(ogem_solver_step(b, 1, NULL), OGEM_OK);
    ogem_solver_get_means(a, ma);
    ogem_solver_get_means(b, mb);
    cr_assert_arr_eq(ma, mb, sizeof ma, "resumed mc run drifted from the straight one");
    ogem_solver_destroy(a);
    ogem_solver_destroy(b);
}
