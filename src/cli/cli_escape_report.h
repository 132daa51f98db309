/*
 * cli_escape_report.h - the contents of `ogem escape`'s outputs
 * (cli_escape_report.c): escapes.csv, sweep.csv, summary.json (Kaplan-Meier
 * summaries, the growth fit), run.json and the summary on stdout.
 */
#ifndef OGEM_CLI_ESCAPE_REPORT_H
#define OGEM_CLI_ESCAPE_REPORT_H

#include <stdio.h>
#include "cli/cli_escape_opts.h"
#include "cli/cli_runjson.h"
#include "cli/cli_stats.h"
#include "util/json.h"
#include "ogem/ogem.h"

typedef struct cli_escape_timing {
    double wall_seconds, solve_seconds;
} cli_escape_timing;

/* The growth fit over the grid points done (cli_growth_fit: points without a
 * positive median are left out), x = radius^2 (radius sweep) or d (dim
 * sweep); NaN without a sweep. -1 when out of memory. */
int cli_escape_fit_of(const cli_escape_opts *e, const cli_escape_results *res, cli_fit *fit);

/* The "settings" object of run.json, as cli_run_settings_json for `ogem run`. */
void cli_escape_settings_json(ogem_json_writer *w, const char *key, const cli_escape_opts *e, int for_fingerprint);
void cli_escape_csv(FILE *f, const cli_escape_opts *e, const cli_escape_results *res);
void cli_escape_sweep_csv(FILE *f, const cli_escape_opts *e, const cli_escape_results *res);
/* summary.json's and run.json's text (malloc'd), or NULL if out of memory. */
char *cli_escape_summary_json(const cli_escape_opts *e, const cli_escape_results *res, const ogem_solver_info *info,
                              const cli_escape_timing *tm, const cli_outcome *how);
char *cli_escape_run_json(const cli_escape_opts *e, const cli_escape_results *res, const ogem_solver_info *info,
                          const cli_escape_timing *tm, const cli_outcome *how, int argc, char **argv);
void cli_escape_print_summary(const cli_escape_opts *e, const cli_escape_results *res, const ogem_solver_info *info,
                              const cli_escape_timing *tm);

#endif /* OGEM_CLI_ESCAPE_REPORT_H */
