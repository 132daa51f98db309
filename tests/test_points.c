/* test_points.c - the sample plan: fresh samples every mc step (no value of
 * one step reappears in the next, also across a group boundary and for
 * draws of 2^18 values, where offset-based plans overlapped), antithetic
 * pairs, and qmc points that are normal quantiles of shifted Sobol points. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/backend.h"
#include "cpu/host_points.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Number of values of a[0..n) that also occur in b[0..n). */
static long shared_values(const double *a, const double *b, long n)
{
    double *x = malloc(sizeof(double) * n), *y = malloc(sizeof(double) * n);
    memcpy(x, a, sizeof(double) * n);
    memcpy(y, b, sizeof(double) * n);
    qsort(x, n, sizeof(double), cmp_double);
    qsort(y, n, sizeof(double), cmp_double);
    long i = 0, j = 0, same = 0;
    while (i < n && j < n) {
        if (x[i] < y[j]) i++;
        else if (y[j] < x[i]) j++;
        else { same++; i++; j++; }
    }
    free(x);
    free(y);
    return same;
}

static void consecutive_steps_fresh(long N, int K, long step)
{
    ogem_point_spec spec = {.kind = OGEM_EST_MC, .N = N, .K = K, .seed = 4};
    ogem_host_points hp;
    char msg[256];
    cr_assert_eq(ogem_host_points_init(&hp, &spec, msg, sizeof msg), OGEM_OK, "%s", msg);
    const long half = (N / 2) * K;
    double *first = malloc(sizeof(double) * half);
    cr_assert_eq(ogem_host_points_prepare(&hp, step, msg, sizeof msg), OGEM_OK, "%s", msg);
    memcpy(first, hp.p, sizeof(double) * half);
    for (long q = 0; q < half; q++) cr_assert_eq(hp.p[half + q], -hp.p[q], "antithetic pair %ld", q);
    cr_assert_eq(ogem_host_points_prepare(&hp, step + 1, msg, sizeof msg), OGEM_OK, "%s", msg);
    long same = shared_values(first, hp.p, half);
    cr_assert_eq(same, 0, "N=%ld K=%d: steps %ld and %ld share %ld of %ld values", N, K, step, step + 1, same, half);
    double mean = 0, var = 0;
    for (long q = 0; q < half; q++) { mean += hp.p[q] / half; var += hp.p[q] * hp.p[q] / half; }
    cr_assert(fabs(mean) < 6 / sqrt((double)half) && fabs(var - 1) < 0.05, "not standard normal: mean %g var %g", mean, var);
    free(first);
    ogem_host_points_free(&hp);
}

Test(points, mc_steps_fresh_within_a_group) { consecutive_steps_fresh(1000, 3, 0); }
Test(points, mc_steps_fresh_across_groups) { consecutive_steps_fresh(1000, 3, ogem_mc_group_steps(1000, 3) - 1); }
Test(points, mc_steps_fresh_at_block_size) { consecutive_steps_fresh(1L << 16, 8, 0); }

Test(points, mc_resume_mid_group_equals_straight)
{
    ogem_point_spec spec = {.kind = OGEM_EST_MC, .N = 64, .K = 2, .seed = 8};
    ogem_host_points a, b;
    char msg[256];
    ogem_host_points_init(&a, &spec, msg, sizeof msg);
    ogem_host_points_init(&b, &spec, msg, sizeof msg);
    const long G = ogem_mc_group_steps(64, 2), t = G + 3;
    for (long s = 0; s <= t; s++) ogem_host_points_prepare(&a, s, msg, sizeof msg);
    ogem_host_points_prepare(&b, t, msg, sizeof msg);
    cr_assert_arr_eq(a.p, b.p, sizeof(double) * 64 * 2);
    ogem_host_points_free(&a);
    ogem_host_points_free(&b);
}
