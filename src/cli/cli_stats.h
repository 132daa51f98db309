/*
 * cli_stats.h - the statistics the commands report (cli_stats.c), one rule
 * each, shared by `ogem run`, `ogem escape` and `ogem paper`: quantiles of a
 * metric over the initializations, the Kaplan-Meier summary of escape steps,
 * and least-squares fits, among them the growth fit of median escape steps.
 */
#ifndef OGEM_CLI_STATS_H
#define OGEM_CLI_STATS_H

#include "ogem/ogem.h"

/* Linear-interpolation quantiles (numpy's default) of x[0..n): min, q1,
 * median, q3, max. Sorts x in place; NaN sorts last. */
void cli_quantiles5(double *x, long n, double q[5]);

/* The per-initialization metrics, in the column order of the outputs: the
 * CLI_METRIC_COUNT of one Gaussian truth, then those of a mixture truth or
 * learned weights (cover_dist, voronoi), then `active` (learned weights: the
 * number of components with weight >= --active-weight), which the command
 * line counts itself and so is not a field of ogem_metrics. */
enum {
    CLI_METRIC_LOSS, CLI_METRIC_MAX_DIST, CLI_METRIC_MEAN_DIST2, CLI_METRIC_UPDATE_NORM,
    CLI_METRIC_COVER_DIST, CLI_METRIC_VORONOI, CLI_METRIC_ACTIVE, CLI_METRIC_ALL
};
#define CLI_METRIC_COUNT CLI_METRIC_COVER_DIST /* one Gaussian truth's */
extern const char *const cli_metric_names[CLI_METRIC_ALL]; /* "loss", "max_dist", ... */
/* cli_quantiles5 of one metric (< CLI_METRIC_ACTIVE) over m[0..R); scratch
 * holds R doubles. */
void cli_metric_quantiles(const ogem_metrics *m, long R, int metric, double *scratch, double q[5]);

/* Kaplan-Meier summary of R escape steps (-1: censored): counts, the
 * censored fraction, the quartiles q1, median, q3 (-1 where undefined) and
 * the curve (times/surv, m points). */
typedef struct cli_km_summary {
    long count, escaped;
    double censored_fraction;
    long q[3];
    long m;
    long *times;
    double *surv;
} cli_km_summary;
int cli_km_summary_of(const long *steps, long R, cli_km_summary *st); /* -1: out of memory */
void cli_km_summary_free(cli_km_summary *st);

/* y = intercept + slope x by least squares over the points with finite
 * values; slope, intercept and r2 are NaN below two usable points. */
typedef struct cli_fit {
    int points; /* points used */
    double slope, intercept, r2;
} cli_fit;
cli_fit cli_linear_fit(const double *x, const double *y, long m);

/* The growth fit of escape steps: log(median) = intercept + slope x over the
 * m grid points. A point whose median is undefined (-1) or 0 (escaped at
 * once) is left out: log 0 does not exist, and counting it as log 1 would
 * bend the fit toward a point that measured nothing. -1 when out of memory. */
int cli_growth_fit(const double *x, const long *median, long m, cli_fit *fit);

#endif /* OGEM_CLI_STATS_H */
