/*
 * cli_escape.h - `ogem escape`: its validated options, its results, and the
 * writers of its output files (cli_escape.c, cli_escape_report.c).
 */
#ifndef OGEM_CLI_ESCAPE_H
#define OGEM_CLI_ESCAPE_H

#include <stdio.h>
#include "cli/cli_run.h"
#include "ogem/ogem.h"

typedef enum cli_sweep_kind { CLI_SWEEP_NONE = 0, CLI_SWEEP_RADIUS = 1, CLI_SWEEP_DIM = 2 } cli_sweep_kind;

/* One experiment of a sweep (the single experiment when there is none). */
typedef struct cli_escape_point {
    double value;  /* the grid value: the radius, or the dimension */
    double radius; /* distance of the far components from mu*     */
    int dim;
} cli_escape_point;

typedef struct cli_escape_opts {
    long G;                  /* grid points (1 without --sweep)               */
    cli_run_opts *grid;      /* G validated option sets, one solver each       */
    cli_escape_point *points;/* G                                              */
    long R;                  /* initializations per grid point                 */

    ogem_until until;
    double threshold;
    char *until_text;        /* canonical: dist<=%.17g | loss<=%.17g           */
    long max_steps;

    cli_sweep_kind sweep;
    char *sweep_text;        /* canonical, NULL without --sweep                */
    double radius_per_sqrt_dim; /* > 0 when given                              */

    char *init_text;         /* the --init the settings replay (base radius)   */
    double *mu_star;         /* as given: 1 value, or d                        */
    int mu_star_count;
    int dim;                 /* --dim (unused by a dim sweep)                  */

    long checkpoint_every;
    const char *out_dir;
    int quiet;
} cli_escape_opts;

/* What the experiments found; the grid points 0 .. done-1 have results (the
 * last one partial when the run was interrupted). */
typedef struct cli_escape_results {
    long *steps;    /* G x R: escape step, -1 while running / censored       */
    double *loss;   /* G x R: loss at the escape step, or the latest loss     */
    long *reached;  /* G: steps taken by each grid point's solver             */
    long done;
} cli_escape_results;

typedef struct cli_escape_timing {
    double wall_seconds, solve_seconds;
} cli_escape_timing;

typedef struct cli_escape_status {
    int interrupted;
    const char *signal_name;
    const char *resumed_from;
} cli_escape_status;

/* ---- cli_escape_report.c ----------------------------------------------------------- */

/* Kaplan-Meier summary of one grid point. times/surv have capacity R; q[] is
 * q1, median, q3, each -1 when undefined. */
typedef struct cli_escape_stats {
    long count, escaped;
    double censored_fraction;
    long q[3];
    long m;         /* points of the KM curve */
    long *times;
    double *surv;
} cli_escape_stats;
int cli_escape_stats_of(const long *steps, long R, cli_escape_stats *st); /* -1: out of memory */
void cli_escape_stats_free(cli_escape_stats *st);

/* The growth fit over grid points with a defined median: log(median) =
 * intercept + exponent * x, x = radius^2 (radius sweep) or d (dim sweep). */
typedef struct cli_escape_fit {
    int used;
    double exponent, intercept, r2;
} cli_escape_fit;
void cli_escape_fit_of(const cli_escape_opts *e, const cli_escape_results *res, cli_escape_fit *fit);

void cli_escape_settings_json(struct ogem_json_writer *w, const char *key, const cli_escape_opts *e,
                              int for_fingerprint);
void cli_escape_csv(FILE *f, const cli_escape_opts *e, const cli_escape_results *res);
void cli_escape_sweep_csv(FILE *f, const cli_escape_opts *e, const cli_escape_results *res);
char *cli_escape_summary_json(const cli_escape_opts *e, const cli_escape_results *res, const ogem_solver_info *info,
                              const cli_escape_timing *tm, const cli_escape_status *status);
char *cli_escape_run_json(const cli_escape_opts *e, const cli_escape_results *res, const ogem_solver_info *info,
                          const cli_escape_timing *tm, const cli_escape_status *status, int argc, char **argv);
void cli_escape_print_summary(const cli_escape_opts *e, const cli_escape_results *res, const ogem_solver_info *info,
                              const cli_escape_timing *tm);

#endif /* OGEM_CLI_ESCAPE_H */
