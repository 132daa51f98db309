/*
 * cli_run_report.h - the contents of `ogem run`'s outputs (cli_run_report.c):
 * trajectory.csv, aggregate.csv, final.csv, run.json and the summary on
 * stdout.
 */
#ifndef OGEM_CLI_RUN_REPORT_H
#define OGEM_CLI_RUN_REPORT_H

#include <stdio.h>
#include "cli/cli_run_opts.h"
#include "cli/cli_runjson.h"
#include "util/json.h"
#include "ogem/ogem.h"

void cli_trajectory_header(FILE *f);
void cli_trajectory_rows(FILE *f, long step, const ogem_metrics *m, long count);
void cli_aggregate_header(FILE *f);
/* One row of quantiles over all R inits; scratch holds R doubles. */
void cli_aggregate_row(FILE *f, long step, const ogem_metrics *m, long R, double *scratch);
/* Its two halves, for callers that keep the numbers (the Python package):
 * the 20 values of a row (min, q1, median, q3, max of loss, max_dist,
 * mean_dist2, update_norm in that order), and the row printed from them. */
void cli_aggregate_quantiles(const ogem_metrics *m, long R, double *scratch, double q[20]);
void cli_aggregate_row_of(FILE *f, long step, const double q[20]);
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
 * the inits, times and throughput. scratch holds R doubles. */
void cli_run_print_summary(const cli_run_opts *o, const ogem_solver_info *info, const ogem_metrics *m,
                           const cli_run_timing *tm, double *scratch);

#endif /* OGEM_CLI_RUN_REPORT_H */
