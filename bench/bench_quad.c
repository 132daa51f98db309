/*
 * bench_quad.c - cost of the `exact` estimator's quadrature (src/quad_rule.h).
 *
 * For k = 1, n = 2 (truth N(0,1), equal weights, one component at the truth
 * and one at distance d) it prints the integrand evaluations per component
 * per step (the number of nodes: every node evaluates every component once)
 * and the steps per second per initialization of one CPU core, where a step is
 * ogem_quad_moments (rule construction + evaluation) plus the gem update:
 *   static: the same line set every step;
 *   gem:    a gem trajectory (eta = 1) started at distance d, so the rule is
 *           rebuilt for lines that move, as in `ogem escape`.
 * Then the same for k = 2, n = 3 (nested rule) at a few geometries.
 *
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so a busy
 * machine does not inflate them; on an idle core wall time is the same.
 *
 * usage: bench_quad [CPU seconds per measurement, default 0.3]
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "quad/quad_rule.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static volatile double sink;

/* One gem step (eta = 1) of n components in k dims on the exact moments. */
static int gem_step(int k, int n, const double *pi, double *m)
{
    double a[OGEM_QUAD_MAX_LINES], c[2 * OGEM_QUAD_MAX_LINES], lm[OGEM_QUAD_MAX_LINES] = {0}, cm[2 * OGEM_QUAD_MAX_LINES] = {0}, el = 0.0;
    for (int i = 0; i < n; i++) {
        double r2 = 0.0;
        for (int d = 0; d < k; d++) { c[i * k + d] = m[i * k + d]; r2 += m[i * k + d] * m[i * k + d]; }
        a[i] = log(pi[i]) - 0.5 * r2;
    }
    int ev = ogem_quad_moments(k, n, a, c, lm, cm, &el);
    if (ev < 0) return ev;
    for (int i = 0; i < n; i++) {
        double w = exp(lm[i]);
        for (int d = 0; d < k; d++) m[i * k + d] += w * (cm[i * k + d] - m[i * k + d]);
    }
    sink = el;
    return ev;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.3;
    if (!(secs > 0.0)) secs = 0.3;
    printf("ogem quad_rule benchmark: GL order %d, one core\n\n", OGEM_QUAD_GL_M);
    printf("k = 1, n = 2, equal weights, m = (0, d):\n");
    printf("%8s %10s %14s %14s %16s\n", "d", "evals/comp", "us/step", "steps/s/init", "gem steps/s/init");
    static const double ds[] = {0.5, 1.0, 2.0, 4.0, 6.0, 8.0, 9.0, 12.0, 20.0, 50.0, 100.0, 1000.0};
    for (size_t q = 0; q < sizeof ds / sizeof ds[0]; q++) {
        double d = ds[q], pi[2] = {0.5, 0.5};
        double a[2] = {log(0.5), log(0.5) - 0.5 * d * d}, c[2] = {0.0, d};
        int np = ogem_quad_rule(1, 2, a, c, NULL, NULL, 0);
        /* static line set */
        long reps = 0;
        double t0 = now(), t1;
        do {
            for (int r = 0; r < 100; r++) {
                double lm[2] = {0.0, 0.0}, cm[2] = {0.0, 0.0}, el = 0.0;
                ogem_quad_moments(1, 2, a, c, lm, cm, &el);
                sink = lm[1] + cm[1] + el;
            }
            reps += 100;
            t1 = now();
        } while (t1 - t0 < secs);
        double us = 1e6 * (t1 - t0) / (double)reps;
        /* gem trajectory from distance d */
        double m[2] = {0.0, d};
        long steps = 0;
        t0 = now();
        do {
            for (int r = 0; r < 100; r++) gem_step(1, 2, pi, m);
            steps += 100;
            t1 = now();
        } while (t1 - t0 < secs);
        double gps = (double)steps / (t1 - t0);
        printf("%8.1f %10d %14.2f %14.0f %16.0f\n", d, np, us, 1e6 / us, gps);
    }

    printf("\nk = 2, n = 3 (nested rule):\n");
    printf("%-40s %10s %12s %14s\n", "pi; m_1; m_2; m_3", "evals", "ms/step", "steps/s/init");
    static const double cases[][9] = {
        {1.0 / 3, 0, 0, 1.0 / 3, 2, 0, 1.0 / 3, 0, 2},
        {0.5, 0, 0, 0.25, 6, 0, 0.25, 0, 7},
        {0.6, 0.2, -0.1, 0.3, 9, 3, 0.1, -4, 10},
        {0.98, 0, 0, 0.01, 0.3, 11, 0.01, -0.2, 11.5},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        double a[3], c[6], lm[3] = {0}, cm[6] = {0}, el = 0.0;
        for (int i = 0; i < 3; i++) {
            double p = cases[t][3 * i], m1 = cases[t][3 * i + 1], m2 = cases[t][3 * i + 2];
            a[i] = log(p) - 0.5 * (m1 * m1 + m2 * m2);
            c[2 * i] = m1;
            c[2 * i + 1] = m2;
        }
        int ev = 0;
        long reps = 0;
        double t0 = now(), t1;
        do {
            ev = ogem_quad_moments(2, 3, a, c, lm, cm, &el);
            sink = el;
            reps++;
            t1 = now();
        } while (t1 - t0 < secs);
        double ms = 1e3 * (t1 - t0) / (double)reps;
        char label[1100];
        snprintf(label, sizeof label, "%.2f/%.2f/%.2f; (%g,%g); (%g,%g); (%g,%g)", cases[t][0], cases[t][3], cases[t][6],
                 cases[t][1], cases[t][2], cases[t][4], cases[t][5], cases[t][7], cases[t][8]);
        printf("%-40s %10d %12.3f %14.0f\n", label, ev, ms, 1e3 / ms);
    }
    return 0;
}
