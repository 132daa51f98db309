/*
 * bench_quad.c - cost of the `exact` estimator's quadrature (src/quad/).
 *
 * For k = 1, n = 2 (truth N(0,1), equal weights, one component at the truth
 * and one at distance d) it prints the integrand evaluations per component
 * per step (the number of nodes: every node evaluates every component once),
 * the time to build the rule alone (ogem_quad_rule), and the steps per second
 * per initialization of one CPU core, where a step is what the CPU backend
 * does for one initialization of the exact estimator (build the rule, sum it
 * with the reference kernel), plus the gem update for the trajectory:
 *   static: the same line set every step;
 *   gem:    a gem trajectory (eta = 1) started at distance d, so the rule is
 *           rebuilt for lines that move, as in `ogem escape`.
 * Then the same for k = 2, n = 3 (nested rule) at a few geometries, and the
 * workload of `ogem paper` panel (a) in d = 2: n = 5 (k = 2), a gem
 * trajectory from mu_i ~ N(0, I) (seed 1), CPU microseconds per
 * initialization-step over steps [0, 100) and [100, T] (T = 2000, or the
 * second argument), and the node count at the end.
 *
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so a busy
 * machine does not inflate them; on an idle core wall time is the same.
 *
 * usage: bench_quad [CPU seconds per measurement, default 0.3] [T]
 * (the k = 2, n = 5 trajectory alone when T is given: for valgrind)
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/backend.h"
#include "ogem/ogem.h"
#include "quad/quad_rule.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static volatile double sink;

/* The CPU backend's exact estimator for k-dimensional line sets, one thread. */
static ogem_backend *exact_backend(int k)
{
    ogem_point_spec sp = {.kind = OGEM_EST_EXACT, .K = k, .precision = OGEM_PREC_DOUBLE, .threads = 1};
    ogem_backend *b = NULL;
    char msg[256] = "";
    if (ogem_backend_cpu_create(&b, &sp, msg, sizeof msg) != OGEM_OK || b->prepare(b, 0) != OGEM_OK) {
        fprintf(stderr, "bench_quad: CPU backend: %s\n", msg);
        exit(1);
    }
    return b;
}

/* One initialization's exact moments, as the backend computes them (0, or -1). */
static int exact_moments(ogem_backend *b, int k, int n, const double *a, const double *c, double *lm, double *cm,
                         double *el)
{
    ogem_lines L = {.R = 1, .n = n, .K = k, .a = a, .c = c, .k = NULL, .active = NULL};
    ogem_moments M = {.log_mass = lm, .cond_mean = cm, .mean_lse = el};
    return b->eval(b, &L, &M) == OGEM_OK ? 0 : -1;
}

/* Lines of n components in k dims, truth N(0, I): a_i = log pi_i - |m_i|^2 / 2, c_i = m_i. */
static void lines_of(int k, int n, const double *pi, const double *m, double *a, double *c)
{
    for (int i = 0; i < n; i++) {
        double r2 = 0.0;
        for (int d = 0; d < k; d++) { c[i * k + d] = m[i * k + d]; r2 += m[i * k + d] * m[i * k + d]; }
        a[i] = log(pi[i]) - 0.5 * r2;
    }
}

/* One gem step (eta = 1) of n components in k dims on the exact moments. */
static void gem_step(ogem_backend *b, int k, int n, const double *pi, double *m)
{
    double a[OGEM_QUAD_MAX_LINES], c[2 * OGEM_QUAD_MAX_LINES], lm[OGEM_QUAD_MAX_LINES] = {0},
           cm[2 * OGEM_QUAD_MAX_LINES] = {0}, el = 0.0;
    lines_of(k, n, pi, m, a, c);
    if (exact_moments(b, k, n, a, c, lm, cm, &el) < 0) return;
    for (int i = 0; i < n; i++) {
        double w = exp(lm[i]);
        for (int d = 0; d < k; d++) m[i * k + d] += w * (cm[i * k + d] - m[i * k + d]);
    }
    sink = el;
}

/* Microseconds per call of ogem_quad_rule building the rule into nodes/logw. */
static double rule_us(int k, int n, const double *a, const double *c, double *nodes, double *logw, int cap, double secs)
{
    long reps = 0;
    double t0 = now(), t1;
    do {
        for (int r = 0; r < 10; r++) sink = ogem_quad_rule(k, n, a, c, nodes, logw, cap);
        reps += 10;
        t1 = now();
    } while (t1 - t0 < secs);
    return 1e6 * (t1 - t0) / (double)reps;
}

/* Microseconds per exact evaluation of one initialization's line set. */
static double step_us(ogem_backend *b, int k, int n, const double *a, const double *c, double secs)
{
    double lm[OGEM_QUAD_MAX_LINES], cm[2 * OGEM_QUAD_MAX_LINES], el;
    long reps = 0;
    double t0 = now(), t1;
    do {
        for (int r = 0; r < 10; r++) {
            exact_moments(b, k, n, a, c, lm, cm, &el);
            sink = lm[n - 1] + el;
        }
        reps += 10;
        t1 = now();
    } while (t1 - t0 < secs);
    return 1e6 * (t1 - t0) / (double)reps;
}

/* Panel (a) in d = 2, n = 5: us per init-step over [0, 100) and [100, T]. */
static void paper_trajectory(long T)
{
    enum { n = 5 };
    ogem_backend *b = exact_backend(2);
    double pi[n], m[2 * n], a[n], c[2 * n];
    for (int i = 0; i < n; i++) pi[i] = 1.0 / n;
    if (ogem_init_random(m, 0, 1, n, 2, NULL, 1.0, 1) != OGEM_OK) exit(1);
    double t0 = now(), t1 = t0;
    for (long t = 0; t < T; t++) {
        if (t == 100) t1 = now();
        gem_step(b, 2, n, pi, m);
    }
    double t2 = now();
    lines_of(2, n, pi, m, a, c);
    printf("\nk = 2, n = 5, gem from mu_i ~ N(0, I) (paper panel (a), d = 2):\n");
    printf("  steps [0, 100): %.1f us/step; [100, %ld): %.1f us/step; %d nodes at the end\n",
           1e6 * (t1 - t0) / 100.0, T, 1e6 * (t2 - t1) / (double)(T - 100), ogem_quad_rule(2, n, a, c, NULL, NULL, 0));
    b->destroy(b);
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.3;
    if (!(secs > 0.0)) secs = 0.3;
    if (argc > 2) {
        long T = atol(argv[2]);
        paper_trajectory(T > 100 ? T : 101);
        return 0;
    }
    ogem_backend *b1 = exact_backend(1), *b2 = exact_backend(2);
    const int cap = 1 << 20;
    double *nodes = malloc(sizeof(double) * 2 * (size_t)cap), *logw = malloc(sizeof(double) * (size_t)cap);
    if (!nodes || !logw) return 1;
    printf("ogem quad_rule benchmark: GL order %d, one core\n\n", OGEM_QUAD_GL_M);
    printf("k = 1, n = 2, equal weights, m = (0, d):\n");
    printf("%8s %10s %10s %14s %14s %16s\n", "d", "evals/comp", "rule us", "us/step", "steps/s/init",
           "gem steps/s/init");
    static const double ds[] = {0.5, 1.0, 2.0, 4.0, 6.0, 8.0, 9.0, 12.0, 20.0, 50.0, 100.0, 1000.0};
    for (size_t q = 0; q < sizeof ds / sizeof ds[0]; q++) {
        double d = ds[q], pi[2] = {0.5, 0.5}, m0[2] = {0.0, d}, a[2], c[2];
        lines_of(1, 2, pi, m0, a, c);
        int np = ogem_quad_rule(1, 2, a, c, NULL, NULL, 0);
        double ru = rule_us(1, 2, a, c, nodes, logw, cap, secs);
        double us = step_us(b1, 1, 2, a, c, secs);
        /* gem trajectory from distance d */
        double m[2] = {0.0, d};
        long steps = 0;
        double t0 = now(), t1;
        do {
            for (int r = 0; r < 100; r++) gem_step(b1, 1, 2, pi, m);
            steps += 100;
            t1 = now();
        } while (t1 - t0 < secs);
        double gps = (double)steps / (t1 - t0);
        printf("%8.1f %10d %10.2f %14.2f %14.0f %16.0f\n", d, np, ru, us, 1e6 / us, gps);
    }

    printf("\nk = 2, n = 3 (nested rule):\n");
    printf("%-40s %10s %10s %12s %14s\n", "pi; m_1; m_2; m_3", "evals", "rule ms", "ms/step", "steps/s/init");
    static const double cases[][9] = {
        {1.0 / 3, 0, 0, 1.0 / 3, 2, 0, 1.0 / 3, 0, 2},
        {0.5, 0, 0, 0.25, 6, 0, 0.25, 0, 7},
        {0.6, 0.2, -0.1, 0.3, 9, 3, 0.1, -4, 10},
        {0.98, 0, 0, 0.01, 0.3, 11, 0.01, -0.2, 11.5},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        double pi[3], m[6], a[3], c[6];
        for (int i = 0; i < 3; i++) {
            pi[i] = cases[t][3 * i];
            m[2 * i] = cases[t][3 * i + 1];
            m[2 * i + 1] = cases[t][3 * i + 2];
        }
        lines_of(2, 3, pi, m, a, c);
        int ev = ogem_quad_rule(2, 3, a, c, NULL, NULL, 0);
        double ru = rule_us(2, 3, a, c, nodes, logw, cap, secs);
        double us = step_us(b2, 2, 3, a, c, secs);
        char label[1100];
        snprintf(label, sizeof label, "%.2f/%.2f/%.2f; (%g,%g); (%g,%g); (%g,%g)", cases[t][0], cases[t][3], cases[t][6],
                 cases[t][1], cases[t][2], cases[t][4], cases[t][5], cases[t][7], cases[t][8]);
        printf("%-40s %10d %10.3f %12.3f %14.0f\n", label, ev, 1e-3 * ru, 1e-3 * us, 1e6 / us);
    }
    b1->destroy(b1);
    b2->destroy(b2);
    paper_trajectory(2000);
    free(nodes);
    free(logw);
    return 0;
}
