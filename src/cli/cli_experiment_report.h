/*
 * cli_experiment_report.h - what `ogem experiment` found and how it is
 * written (cli_experiment_report.c): the CSVs of each experiment,
 * summary.json, report.md (the numbers, the published qualitative result each
 * experiment should show and whether it did) and the summary on stdout.
 *
 * The verdicts are computed here, once, so that summary.json, report.md and
 * stdout say the same thing.
 */
#ifndef OGEM_CLI_EXPERIMENT_REPORT_H
#define OGEM_CLI_EXPERIMENT_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include "cli/cli_stats.h"

/* ---- finite-sample floor: n = 2 fitted to N(0, I_d) from fixed:N samples ---- */

enum { CLI_XP_FLOOR_WEIGHTINGS = 2 };
typedef struct cli_xp_floor {
    int d, n, seeds, inits;       /* per sample size: `seeds` samples, `inits` inits on each */
    int G;                        /* sample sizes                                  */
    long *sizes, *steps;          /* G: N, and the EM steps run at N               */
    const char *weights[CLI_XP_FLOOR_WEIGHTINGS]; /* --weights texts              */
    /* W x G x seeds: the final max_i |mu_i - mu*| and update norm of each
     * sample (the median over its inits) */
    double *dist, *update;
    double *q;                    /* W x G x 3: q1, median, q3 of dist over seeds  */
    double *seconds;              /* W x G                                         */
    cli_fit fit[CLI_XP_FLOOR_WEIGHTINGS]; /* log median dist against log N        */
} cli_xp_floor;

/* ---- separation: n = 10 with learned weights against 0.3 N(+s/2 e1) + 0.7 N(-s/2 e1) ---- */

typedef struct cli_xp_sep_run {
    const char *group;            /* "low-d" or "high-d"                           */
    char label[48];               /* "d=10, s=6", "d=100000, s=d^0.45", ...     */
    int d, n;
    int reduced;                  /* run in the span of the means and the truth   */
    int run_dim;                  /* the dimension it computed in: d, or that span's */
    uint64_t seed;
    double separation;            /* |mu*_1 - mu*_2|                               */
    long steps;
    double cell[2];               /* model weight whose nearest truth mean is j    */
    double near[2];               /* min_i |mu_i - mu*_j|                          */
    double max_weight;            /* max_i pi_i                                    */
    double cover_dist, voronoi;   /* final metrics                                 */
    int fits, underfits;          /* the verdicts of this run (see the report)    */
    double seconds;
    long n_traj;                  /* logged points of the trajectory               */
    long *traj_step;              /* n_traj: the step of the means recorded         */
    double *traj;                 /* n_traj x n x 3: x = mu_i1, y = |mu_i,2..d|, pi_i */
} cli_xp_sep_run;

typedef struct cli_xp_sep {
    int n_runs;
    cli_xp_sep_run *runs;
    double eta, init_noise, fit_tol, fit_radius, underfit_mass;
    long samples;                 /* mc:N                                          */
    double high_d_exponent, high_d_factor; /* s = d^e against s = F sqrt(d)       */
} cli_xp_sep;

/* ---- random-init recovery: m separated components, n = ceil(c m ln m) ---- */

typedef struct cli_xp_rec_point {
    int m, n;
    double c;
    long inits;
    double recovered, covered;    /* fractions of the inits                       */
    double coupon;                /* P(n uniform draws cover all m components)    */
    double seconds;
    unsigned char *rec, *cov;     /* inits: recovered; covered at the start       */
    double *cover_dist;           /* inits: final max_j min_i |mu_i - mu*_j|       */
} cli_xp_rec_point;

typedef struct cli_xp_rec {
    int n_points;
    cli_xp_rec_point *points;
    int d;
    double separation, radius, mass_frac;
    long steps, samples;
} cli_xp_rec;

/* ---- the report ---- */

typedef struct cli_xp_report {
    int quick;
    uint64_t seed;
    const char *backend, *precision;
    double wall_seconds;
    const cli_xp_floor *floor;    /* NULL: not run                                 */
    const cli_xp_sep *sep;
    const cli_xp_rec *rec;
} cli_xp_report;

/* The fraction of n uniform draws from m classes that leaves none empty. */
double cli_xp_coupon(int m, int n);
/* Fills f->q and f->fit from f->dist. -1 when out of memory. */
int cli_xp_floor_summarize(cli_xp_floor *f);

void cli_xp_floor_csv(FILE *f, FILE *runs, const cli_xp_floor *x);
void cli_xp_sep_csv(FILE *f, FILE *traj, const cli_xp_sep *x);
void cli_xp_rec_csv(FILE *f, FILE *inits, const cli_xp_rec *x);
/* summary.json's text (malloc'd, with a final newline), or NULL. */
char *cli_xp_summary_json(const cli_xp_report *p);
void cli_xp_report_md(FILE *f, const cli_xp_report *p);
void cli_xp_print_summary(const cli_xp_report *p, const char *out_dir);

void cli_xp_floor_free(cli_xp_floor *f);
void cli_xp_sep_free(cli_xp_sep *s);
void cli_xp_rec_free(cli_xp_rec *r);

#endif /* OGEM_CLI_EXPERIMENT_REPORT_H */
