/*
 * cli_run_report.c - the contents of `ogem run`'s output files and of its
 * summary on stdout; see cli_run_report.h.
 *
 * Every number in a CSV is printed with %.17g: it round-trips the double
 * exactly (final.csv can seed another run bit for bit) and it makes the files
 * a pure function of the computation, so replays compare byte for byte.
 * Nothing time- or machine-dependent goes into a CSV; that lives in run.json.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_run_report.h"
#include "cli/cli_stats.h"

int cli_run_metric_columns(const cli_run_opts *o)
{
    if (o->learn_weights) return CLI_METRIC_ALL;
    return cli_run_mixture_metrics(o) ? CLI_METRIC_ACTIVE : CLI_METRIC_COUNT;
}

void cli_trajectory_header_cols(FILE *f, int cols)
{
    fputs("step,init", f);
    for (int k = 0; k < cols; k++) fprintf(f, ",%s", cli_metric_names[k]);
    fputc('\n', f);
}

void cli_trajectory_header(FILE *f) { cli_trajectory_header_cols(f, CLI_METRIC_COUNT); }

void cli_trajectory_rows_cols(FILE *f, long step, const ogem_metrics *m, const double *active, long count, int cols)
{
    for (long r = 0; r < count; r++) {
        fprintf(f, "%ld,%ld,%.17g,%.17g,%.17g,%.17g", step, r, m[r].loss, m[r].max_dist, m[r].mean_dist2,
                m[r].update_norm);
        if (cols > CLI_METRIC_COUNT) fprintf(f, ",%.17g,%.17g", m[r].cover_dist, m[r].voronoi);
        if (cols > CLI_METRIC_ACTIVE) fprintf(f, ",%.17g", active[r]);
        fputc('\n', f);
    }
}

void cli_trajectory_rows(FILE *f, long step, const ogem_metrics *m, long count)
{
    cli_trajectory_rows_cols(f, step, m, NULL, count, CLI_METRIC_COUNT);
}

void cli_aggregate_header_cols(FILE *f, int cols)
{
    static const char *const stat[5] = { "min", "q1", "median", "q3", "max" };
    fputs("step", f);
    for (int k = 0; k < cols; k++)
        for (int j = 0; j < 5; j++) fprintf(f, ",%s_%s", cli_metric_names[k], stat[j]);
    fputc('\n', f);
}

void cli_aggregate_header(FILE *f) { cli_aggregate_header_cols(f, CLI_METRIC_COUNT); }

void cli_aggregate_quantiles(const ogem_metrics *m, long R, double *scratch, double q[20])
{
    for (int k = 0; k < CLI_METRIC_COUNT; k++) cli_metric_quantiles(m, R, k, scratch, q + 5 * k);
}

/* The row's numbers after its step: 5 quantiles per column. */
static void aggregate_values(FILE *f, const double *q, int cols)
{
    for (int j = 0; j < cols * 5; j++) fprintf(f, ",%.17g", q[j]);
    fputc('\n', f);
}

void cli_aggregate_row_of(FILE *f, long step, const double q[20])
{
    fprintf(f, "%ld", step);
    aggregate_values(f, q, CLI_METRIC_COUNT);
}

void cli_aggregate_row_cols(FILE *f, long step, const ogem_metrics *m, const double *active, long R,
                            double *scratch, int cols)
{
    double q[CLI_METRIC_ALL * 5];
    for (int k = 0; k < cols && k < CLI_METRIC_ACTIVE; k++) cli_metric_quantiles(m, R, k, scratch, q + 5 * k);
    if (cols > CLI_METRIC_ACTIVE) {
        memcpy(scratch, active, (size_t)R * sizeof *scratch);
        cli_quantiles5(scratch, R, q + 5 * CLI_METRIC_ACTIVE);
    }
    fprintf(f, "%ld", step);
    aggregate_values(f, q, cols);
}

void cli_aggregate_row(FILE *f, long step, const ogem_metrics *m, long R, double *scratch)
{
    cli_aggregate_row_cols(f, step, m, NULL, R, scratch, CLI_METRIC_COUNT);
}

void cli_active_counts(const double *w, long R, int n, double threshold, double *active)
{
    for (long r = 0; r < R; r++) {
        long k = 0;
        for (int i = 0; i < n; i++) k += w[(size_t)r * (size_t)n + (size_t)i] >= threshold;
        active[r] = (double)k;
    }
}

void cli_weights_header(FILE *f) { fputs("step,init,component,weight\n", f); }

void cli_weights_rows(FILE *f, long step, const double *w, long count, int n)
{
    for (long r = 0; r < count; r++)
        for (int i = 0; i < n; i++) fprintf(f, "%ld,%ld,%d,%.17g\n", step, r, i, w[(size_t)r * (size_t)n + (size_t)i]);
}

void cli_truth_fit_header(FILE *f) { fputs("step,init,truth_component,nearest_dist,weight_within\n", f); }

void cli_truth_fit_rows(FILE *f, long step, const cli_run_opts *o, const double *mu, const double *w, long count,
                        double *near, double *mass)
{
    const double *tw, *tm;
    const int m = cli_run_truth_of(o, &tw, &tm), n = o->components, d = o->dim;
    for (long r = 0; r < count; r++) {
        const size_t rn = (size_t)r * (size_t)n;
        (void)ogem_mixture_match(n, d, mu + rn * (size_t)d, w + rn, m, tm, tw, o->fit_radius, near, mass);
        for (int j = 0; j < m; j++) fprintf(f, "%ld,%ld,%d,%.17g,%.17g\n", step, r, j, near[j], mass[j]);
    }
}

void cli_final_weights_csv(FILE *f, const double *w, long R, int n)
{
    fputs("init,component,weight\n", f);
    for (long r = 0; r < R; r++)
        for (int i = 0; i < n; i++) fprintf(f, "%ld,%d,%.17g\n", r, i, w[(size_t)r * (size_t)n + (size_t)i]);
}

void cli_final_csv(FILE *f, const double *mu, long R, int n, int d)
{
    fputs("init,component", f);
    for (int k = 0; k < d; k++) fprintf(f, ",mu_%d", k + 1);
    fputc('\n', f);
    for (long r = 0; r < R; r++) {
        for (int i = 0; i < n; i++) {
            fprintf(f, "%ld,%d", r, i);
            const double *row = mu + ((size_t)r * (size_t)n + (size_t)i) * (size_t)d;
            for (int k = 0; k < d; k++) fprintf(f, ",%.17g", row[k]);
            fputc('\n', f);
        }
    }
}

/* samples x components x inits x evaluations, or 0 when there is no sample
 * count (exact). */
static double run_sci(const cli_run_opts *o, long evaluations)
{
    if (o->samples <= 0) return 0.0;
    return (double)o->samples * (double)o->components * (double)o->inits * (double)evaluations;
}

void cli_run_settings_json(ogem_json_writer *w, const char *key, const cli_run_opts *o, int for_fingerprint)
{
    ogem_jw_begin_object(w, key);
    ogem_jw_int(w, "dim", o->dim);
    ogem_jw_int(w, "components", o->components);
    ogem_jw_double_array(w, "weights", o->weights, o->components);
    /* The keys of issue 12's flags appear only where they are used: the
     * settings of a run with neither stay what they were (and so do their
     * fingerprints: older checkpoints resume). */
    if (o->learn_weights) ogem_jw_bool(w, "learn_weights", 1);
    if (o->truth.m) {
        ogem_jw_string(w, "truth", o->truth.text);
        /* A file's name does not say what it holds: its values go into the
         * fingerprint, as a data set's do, so that --resume refuses a truth
         * file that has changed. */
        if (for_fingerprint && o->truth.from_file) {
            ogem_jw_double_array(w, "truth_weights", o->truth.weights, o->truth.m);
            ogem_jw_double_array(w, "truth_means", o->truth.means, (long)o->truth.m * o->dim);
        }
    } else {
        ogem_jw_double_array(w, "mu_star", o->mu_star, o->dim);
    }
    ogem_jw_int(w, "inits", o->inits);
    ogem_jw_int(w, "steps", o->steps);
    cli_json_method_settings(w, o);
    ogem_jw_string(w, "init", o->init_text);
    ogem_jw_uint(w, "seed", o->seed);
    ogem_jw_string(w, "log", o->log_text);
    ogem_jw_int(w, "trace_inits", o->trace_inits);
    if (o->learn_weights) ogem_jw_double(w, "active_weight", o->active_weight);
    if (cli_run_mixture_metrics(o)) ogem_jw_double(w, "fit_radius", o->fit_radius);
    cli_json_device_settings(w, o, o->checkpoint_every, for_fingerprint);
    ogem_jw_end_object(w);
}

char *cli_run_json(const cli_run_opts *o, const ogem_solver_info *info, const cli_run_timing *tm, int argc,
                   char **argv, const cli_outcome *how, long steps_done)
{
    ogem_json_writer w;
    ogem_jw_init(&w);
    ogem_jw_begin_object(&w, NULL);
    cli_json_head(&w, "run");
    cli_json_argv(&w, argc, argv);
    /* complete, or interrupted with a checkpoint to continue from */
    cli_json_status(&w, "run", o->out_dir, how, steps_done);

    /* Replayed by --config: keys are the flag names with '_' for '-'. */
    cli_run_settings_json(&w, "settings", o, 0);

    cli_json_resolved_begin(&w, o);
    ogem_jw_int(&w, "logged_steps", o->n_log_steps);
    ogem_jw_int(&w, "traced_inits", o->traced);
    if (o->truth.m) ogem_jw_int(&w, "truth_components", o->truth.m);
    ogem_jw_end_object(&w);

    cli_json_backend(&w, info);

    double sci = run_sci(o, tm->evaluations);
    ogem_jw_begin_object(&w, "timing");
    ogem_jw_double(&w, "wall_seconds", tm->wall_seconds);
    ogem_jw_double(&w, "solve_seconds", tm->solve_seconds);
    ogem_jw_int(&w, "evaluations", tm->evaluations);
    if (sci > 0) {
        ogem_jw_double(&w, "sample_component_inits", sci);
        ogem_jw_double(&w, "sci_per_second", tm->solve_seconds > 0 ? sci / tm->solve_seconds : 0.0);
    } else {
        ogem_jw_null(&w, "sample_component_inits");
        ogem_jw_null(&w, "sci_per_second");
    }
    ogem_jw_end_object(&w);

    ogem_jw_begin_object(&w, "files");
    ogem_jw_string(&w, "trajectory", "trajectory.csv");
    ogem_jw_string(&w, "aggregate", "aggregate.csv");
    ogem_jw_string(&w, "final", "final.csv");
    if (cli_run_mixture_metrics(o)) ogem_jw_string(&w, "truth_fit", "truth_fit.csv");
    if (o->learn_weights) {
        ogem_jw_string(&w, "weights", "weights.csv");
        ogem_jw_string(&w, "final_weights", "final_weights.csv");
    }
    ogem_jw_end_object(&w);
    ogem_jw_end_object(&w);
    return cli_json_take(&w);
}

/* One line of the summary: the quantiles q of a final metric. */
static void print_quantiles(const char *name, const double q[5])
{
    printf("  final %-9s median %-12.4g quartiles [%.4g, %.4g]  range [%.4g, %.4g]\n", name, q[2], q[1], q[3], q[0],
           q[4]);
}

void cli_run_print_summary(const cli_run_opts *o, const ogem_solver_info *info, const ogem_metrics *m,
                           const double *active, const cli_run_timing *tm, double *scratch)
{
    double q[5];
    printf("ogem run: %ld init%s, n = %d, d = %d, %s", o->inits, o->inits == 1 ? "" : "s", o->components, o->dim,
           cli_algo_name(o->algo));
    if (o->algo == OGEM_ALGO_GEM) printf(" (eta %g)", o->eta);
    printf(", %s, %ld step%s on %s (%s", o->estimator == OGEM_EST_DATA ? "data" : o->estimator_text, o->steps,
           o->steps == 1 ? "" : "s", info->backend, info->precision);
    if (info->gpu_path && *info->gpu_path) printf(", %s path", info->gpu_path);
    if (info->backend && strcmp(info->backend, "cpu") == 0) printf(", %d thread%s", info->threads, info->threads == 1 ? "" : "s");
    printf(")\n");
    cli_metric_quantiles(m, o->inits, CLI_METRIC_LOSS, scratch, q);
    print_quantiles(o->estimator == OGEM_EST_DATA ? "NLL" : "loss (KL)", q);
    cli_metric_quantiles(m, o->inits, CLI_METRIC_MAX_DIST, scratch, q);
    print_quantiles("max_dist", q);
    if (cli_run_mixture_metrics(o)) {
        cli_metric_quantiles(m, o->inits, CLI_METRIC_COVER_DIST, scratch, q);
        print_quantiles("cover_dist", q);
    }
    if (o->learn_weights) {
        memcpy(scratch, active, (size_t)o->inits * sizeof *scratch);
        cli_quantiles5(scratch, o->inits, q);
        print_quantiles("active", q);
    }
    double sci = run_sci(o, tm->evaluations);
    printf("  wall %.3g s (solve %.3g s)", tm->wall_seconds, tm->solve_seconds);
    if (sci > 0 && tm->solve_seconds > 0) printf(", %.3g SCI/s (samples x components x inits per second)", sci / tm->solve_seconds);
    printf("\n  wrote %s/{trajectory,aggregate,final%s%s}.csv and run.json\n", o->out_dir,
           cli_run_mixture_metrics(o) ? ",truth_fit" : "", o->learn_weights ? ",weights,final_weights" : "");
}
