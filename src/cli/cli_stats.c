/* cli_stats.c - quantiles, Kaplan-Meier summaries and least-squares fits of
 * the commands' reports; see cli_stats.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_stats.h"

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    int na = isnan(a), nb = isnan(b);
    if (na || nb) return na - nb; /* NaN last, so min/quartiles stay meaningful */
    return (a > b) - (a < b);
}

void cli_quantiles5(double *x, long n, double q[5])
{
    if (n <= 0) {
        for (int i = 0; i < 5; i++) q[i] = NAN;
        return;
    }
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    static const double p[5] = { 0.0, 0.25, 0.5, 0.75, 1.0 };
    for (int i = 0; i < 5; i++) {
        double h = p[i] * (double)(n - 1);
        long lo = (long)floor(h);
        long hi = lo + 1 < n ? lo + 1 : lo;
        double f = h - (double)lo;
        /* Written so that f == 0 returns x[lo] exactly (no 0 * inf). */
        q[i] = f == 0.0 ? x[lo] : x[lo] + f * (x[hi] - x[lo]);
    }
}

const char *const cli_metric_names[CLI_METRIC_ALL] = { "loss",       "max_dist", "mean_dist2", "update_norm",
                                                       "cover_dist", "voronoi",  "active" };

static double metric(const ogem_metrics *m, int k)
{
    switch (k) {
    case CLI_METRIC_LOSS: return m->loss;
    case CLI_METRIC_MAX_DIST: return m->max_dist;
    case CLI_METRIC_MEAN_DIST2: return m->mean_dist2;
    case CLI_METRIC_COVER_DIST: return m->cover_dist;
    case CLI_METRIC_VORONOI: return m->voronoi;
    default: return m->update_norm;
    }
}

void cli_metric_quantiles(const ogem_metrics *m, long R, int k, double *scratch, double q[5])
{
    for (long r = 0; r < R; r++) scratch[r] = metric(&m[r], k);
    cli_quantiles5(scratch, R, q);
}

int cli_km_summary_of(const long *steps, long R, cli_km_summary *st)
{
    memset(st, 0, sizeof *st);
    st->count = R;
    st->times = malloc((size_t)(R > 0 ? R : 1) * sizeof *st->times);
    st->surv = malloc((size_t)(R > 0 ? R : 1) * sizeof *st->surv);
    if (!st->times || !st->surv) {
        cli_km_summary_free(st);
        return -1;
    }
    for (long r = 0; r < R; r++) st->escaped += steps[r] >= 0;
    st->censored_fraction = R > 0 ? (double)(R - st->escaped) / (double)R : 0.0;
    /* The one call of the library's Kaplan-Meier estimator in the command line. */
    if (ogem_km_curve(steps, R, st->times, st->surv, &st->m) != OGEM_OK) {
        cli_km_summary_free(st);
        return -1;
    }
    static const double p[3] = { 0.25, 0.5, 0.75 };
    for (int j = 0; j < 3; j++) st->q[j] = ogem_km_quantile(st->times, st->surv, st->m, p[j]);
    return 0;
}

void cli_km_summary_free(cli_km_summary *st)
{
    free(st->times);
    free(st->surv);
    st->times = NULL;
    st->surv = NULL;
}

cli_fit cli_linear_fit(const double *x, const double *y, long m)
{
    cli_fit f = { 0, NAN, NAN, NAN };
    f.points = ogem_linear_fit(x, y, (int)m, &f.intercept, &f.slope, &f.r2);
    return f;
}

int cli_growth_fit(const double *x, const long *median, long m, cli_fit *fit)
{
    double *y = malloc((size_t)(m > 0 ? m : 1) * sizeof *y);
    if (!y) {
        *fit = (cli_fit){ 0, NAN, NAN, NAN };
        return -1;
    }
    for (long g = 0; g < m; g++) y[g] = median[g] > 0 ? log((double)median[g]) : NAN; /* NaN: left out */
    *fit = cli_linear_fit(x, y, m);
    free(y);
    return 0;
}
