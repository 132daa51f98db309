/*
 * cli_run_report.h - the contents of `ogem run`'s outputs (cli_run_report.c):
 * trajectory.csv, aggregate.csv, final.csv, run.json and the summary on
 * stdout, and with a mixture truth or learned weights truth_fit.csv,
 * weights.csv and final_weights.csv.
 */
#ifndef OGEM_CLI_RUN_REPORT_H
#define OGEM_CLI_RUN_REPORT_H

#include <stdio.h>
#include "cli/cli_run_opts.h"
#include "cli/cli_runjson.h"
#include "util/json.h"
#include "ogem/ogem.h"

/* The metric columns of trajectory.csv and aggregate.csv for o, in
 * cli_stats.h's order: CLI_METRIC_COUNT with one Gaussian truth, through
 * voronoi with a mixture truth (cli_run_mixture_metrics), CLI_METRIC_ALL
 * (with active) when the weights are learned. */
int cli_run_metric_columns(const cli_run_opts *o);

/* trajectory.csv: the header and the rows of the first count inits with
 * `cols` metric columns; active[r] (the `active` column) is read only when
 * cols includes it. The plain forms have the CLI_METRIC_COUNT columns of one
 * Gaussian truth (the Python package writes those). */
void cli_trajectory_header_cols(FILE *f, int cols);
void cli_trajectory_rows_cols(FILE *f, long step, const ogem_metrics *m, const double *active, long count, int cols);
void cli_trajectory_header(FILE *f);
void cli_trajectory_rows(FILE *f, long step, const ogem_metrics *m, long count);
/* aggregate.csv: one row of quantiles over all R inits; scratch holds R
 * doubles. */
void cli_aggregate_header_cols(FILE *f, int cols);
void cli_aggregate_row_cols(FILE *f, long step, const ogem_metrics *m, const double *active, long R,
                            double *scratch, int cols);
void cli_aggregate_header(FILE *f);
void cli_aggregate_row(FILE *f, long step, const ogem_metrics *m, long R, double *scratch);
/* Its two halves, for callers that keep the numbers (the Python package):
 * the 20 values of a row (min, q1, median, q3, max of loss, max_dist,
 * mean_dist2, update_norm in that order), and the row printed from them. */
void cli_aggregate_quantiles(const ogem_metrics *m, long R, double *scratch, double q[20]);
void cli_aggregate_row_of(FILE *f, long step, const double q[20]);

/* active[r]: how many of init r's n weights (w, R x n) are >= threshold. */
void cli_active_counts(const double *w, long R, int n, double threshold, double *active);
/* weights.csv: step,init,component,weight for the first count inits of w
 * (R x n), the weights at step's means. */
void cli_weights_header(FILE *f);
void cli_weights_rows(FILE *f, long step, const double *w, long count, int n);
/* truth_fit.csv: step,init,truth_component,nearest_dist,weight_within for
 * the first count inits of mu (R x n x d) and w (R x n), against o's truth
 * (cli_run_truth_of) with radius --fit-radius (ogem_mixture_match); near
 * and mass hold m doubles each. */
void cli_truth_fit_header(FILE *f);
void cli_truth_fit_rows(FILE *f, long step, const cli_run_opts *o, const double *mu, const double *w, long count,
                        double *near, double *mass);
/* final_weights.csv: init,component,weight of every init (w, R x n). */
void cli_final_weights_csv(FILE *f, const double *w, long R, int n);
void cli_final_csv(FILE *f, const double *mu, long R, int n, int d);

typedef struct cli_run_timing {
    double wall_seconds;   /* the whole command                    */
    double solve_seconds;  /* the stepping loop                    */
    long evaluations;      /* steps + 1                            */
} cli_run_timing;

/* The "settings" object of run.json (what --config and --resume replay),
 * written as member `key` of w's open object (key NULL: a top-level value).
 * With for_fingerprint, the settings that cannot change the results
 * (--threads, --checkpoint-every) are left out. */
void cli_run_settings_json(ogem_json_writer *w, const char *key, const cli_run_opts *o, int for_fingerprint);

/* run.json's text (malloc'd, NUL-terminated), or NULL if out of memory. how
 * says how the run ended, after steps_done steps. */
char *cli_run_json(const cli_run_opts *o, const ogem_solver_info *info, const cli_run_timing *tm, int argc,
                   char **argv, const cli_outcome *how, long steps_done);

/* The summary on stdout: the method, final loss and max_dist quantiles over
 * the inits (with a mixture truth also cover_dist, with learned weights
 * active: active[R]), times and throughput. scratch holds R doubles. */
void cli_run_print_summary(const cli_run_opts *o, const ogem_solver_info *info, const ogem_metrics *m,
                           const double *active, const cli_run_timing *tm, double *scratch);

#endif /* OGEM_CLI_RUN_REPORT_H */
