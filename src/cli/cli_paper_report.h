/*
 * cli_paper_report.h - what `ogem paper` found and how it is written
 * (cli_paper_report.c): convergence.csv, the escape CSVs, summary.json,
 * report.md and the summary on stdout.
 *
 * Panel (c)'s statistics are `ogem escape`'s own: the Kaplan-Meier summary of
 * each grid point and the growth fit over the grid (cli_escape_fit_of), so
 * that the two commands report the same numbers from the same escape steps.
 */
#ifndef OGEM_CLI_PAPER_REPORT_H
#define OGEM_CLI_PAPER_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include "cli/cli_escape_opts.h"
#include "cli/cli_stats.h"
#include "util/json.h"

/* The sizes of one reproduction. */
typedef struct cli_paper_plan {
    int conv_inits;
    long conv_steps;
    double init_scale;          /* (a), (b): mu_i ~ N(0, s^2 I)          */
    int esc_inits;
    long esc_max_steps;
    double r_lo, r_hi, r_step;  /* (c) radius sweep                      */
    const char *dims;           /* (c) dimension sweep, "D1,D2,..."       */
    double c_sqrt_d;            /*     radius = c sqrt(d)                */
} cli_paper_plan;

/* One convergence series of panel (a) or (b). */
typedef struct cli_paper_series {
    char panel;                 /* 'a' or 'b'                            */
    const char *name;
    int n, d;
    const char *weights_text;   /* a --weights spec                      */
    int inits_div;              /* runs plan.conv_inits / inits_div inits */
} cli_paper_series;

/* The initializations series s runs under plan (at least 1). */
int cli_paper_series_inits(const cli_paper_plan *plan, const cli_paper_series *s);

/* Its results: q1, median, q3 of the loss and of max_dist over the inits at
 * each logged step, and log-log fits of the medians. */
typedef struct cli_paper_conv {
    const long *steps;          /* m logged steps (the options' own)      */
    double *q;                  /* 6 per logged step                      */
    long m;
    cli_fit loss_fit, dist_fit;
    double seconds;
} cli_paper_conv;

/* One escape sweep of panel (c): `ogem escape`'s options and results, and
 * their summaries (stats: G Kaplan-Meier summaries; fit: the growth fit). */
typedef struct cli_paper_sweep {
    cli_escape_opts e;
    cli_escape_results res;
    cli_km_summary *stats;
    cli_fit fit;
} cli_paper_sweep;

/* Fills stats and fit from the results of the grid points done. -1 when out
 * of memory. */
int cli_paper_sweep_summarize(cli_paper_sweep *s);
/* Frees everything s holds (also a zeroed or half-built s). */
void cli_paper_sweep_free(cli_paper_sweep *s);

typedef struct cli_paper_report {
    cli_paper_plan plan;
    int quick;
    double scale;
    uint64_t seed;
    const char *backend, *precision;
    double wall_seconds;
    const cli_paper_series *series;
    const cli_paper_conv *const *conv; /* n_series: series j's results      */
    int n_series;
    const cli_paper_sweep *radius, *dim; /* summarized                     */
} cli_paper_report;

/* The fit of log y against log t over t in [t_end / 100, t_end] (y > 0). -1
 * when out of memory. */
int cli_paper_loglog_fit(const long *t, const double *y, long m, cli_fit *fit);

/* A fit as a JSON object {slope, intercept, r2, points} (nulls where the fit
 * had too few points); `ogem experiment` writes its fits with it too. */
void cli_paper_jw_fit(ogem_json_writer *w, const char *key, cli_fit f);

void cli_paper_convergence_csv(FILE *f, const cli_paper_report *p);
/* escape_radius.csv / escape_dim.csv (f) and their per-init companions. */
void cli_paper_escape_csv(FILE *f, FILE *inits, const cli_paper_sweep *s, int by_dim);
/* summary.json's text (malloc'd, with a final newline), or NULL. */
char *cli_paper_summary_json(const cli_paper_report *p);
void cli_paper_report_md(FILE *f, const cli_paper_report *p);
void cli_paper_print_summary(const cli_paper_report *p, const char *out_dir, double seconds);

#endif /* OGEM_CLI_PAPER_REPORT_H */
