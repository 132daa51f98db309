/*
 * cli_report.c - the contents of `ogem run`'s output files.
 *
 * Every number in a CSV is printed with %.17g: it round-trips the double
 * exactly (final.csv can seed another run bit for bit) and it makes the files
 * a pure function of the computation, so replays compare byte for byte.
 * Nothing time- or machine-dependent goes into a CSV; that lives in run.json.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_ckpt.h"
#include "cli/cli_run.h"
#include "util/json.h"

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

static const char *const metric_names[4] = { "loss", "max_dist", "mean_dist2", "update_norm" };

static double metric(const ogem_metrics *m, int k)
{
    switch (k) {
    case 0: return m->loss;
    case 1: return m->max_dist;
    case 2: return m->mean_dist2;
    default: return m->update_norm;
    }
}

void cli_trajectory_header(FILE *f)
{
    fputs("step,init,loss,max_dist,mean_dist2,update_norm\n", f);
}

void cli_trajectory_rows(FILE *f, long step, const ogem_metrics *m, long count)
{
    for (long r = 0; r < count; r++)
        fprintf(f, "%ld,%ld,%.17g,%.17g,%.17g,%.17g\n", step, r, m[r].loss, m[r].max_dist, m[r].mean_dist2,
                m[r].update_norm);
}

void cli_aggregate_header(FILE *f)
{
    static const char *const stat[5] = { "min", "q1", "median", "q3", "max" };
    fputs("step", f);
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 5; j++) fprintf(f, ",%s_%s", metric_names[k], stat[j]);
    fputc('\n', f);
}

void cli_aggregate_row(FILE *f, long step, const ogem_metrics *m, long R, double *scratch)
{
    fprintf(f, "%ld", step);
    for (int k = 0; k < 4; k++) {
        for (long r = 0; r < R; r++) scratch[r] = metric(&m[r], k);
        double q[5];
        cli_quantiles5(scratch, R, q);
        for (int j = 0; j < 5; j++) fprintf(f, ",%.17g", q[j]);
    }
    fputc('\n', f);
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

double cli_run_sci(const cli_run_opts *o, long evaluations)
{
    if (o->samples <= 0) return 0.0;
    return (double)o->samples * (double)o->components * (double)o->inits * (double)evaluations;
}

static const char *algo_name(ogem_algo a) { return a == OGEM_ALGO_EM ? "em" : "gem"; }
static const char *device_name(ogem_device d)
{
    return d == OGEM_DEVICE_CPU ? "cpu" : d == OGEM_DEVICE_GPU ? "gpu" : "auto";
}
static const char *path_name(ogem_gpu_path p)
{
    return p == OGEM_PATH_FUSED ? "fused" : p == OGEM_PATH_GEMM ? "gemm" : "auto";
}

void cli_run_settings_json(struct ogem_json_writer *w, const char *key, const cli_run_opts *o, int for_fingerprint)
{
    ogem_jw_begin_object(w, key);
    ogem_jw_int(w, "dim", o->dim);
    ogem_jw_int(w, "components", o->components);
    ogem_jw_double_array(w, "weights", o->weights, o->components);
    ogem_jw_double_array(w, "mu_star", o->mu_star, o->dim);
    ogem_jw_int(w, "inits", o->inits);
    ogem_jw_int(w, "steps", o->steps);
    ogem_jw_double(w, "eta", o->eta);
    ogem_jw_string(w, "algo", algo_name(o->algo));
    ogem_jw_string(w, "estimator", o->estimator_text);
    ogem_jw_bool(w, "subspace", o->subspace);
    ogem_jw_string(w, "init", o->init_text);
    ogem_jw_uint(w, "seed", o->seed);
    ogem_jw_string(w, "log", o->log_text);
    ogem_jw_int(w, "trace_inits", o->trace_inits);
    ogem_jw_string(w, "device", device_name(o->device));
    ogem_jw_string(w, "precision", o->precision == OGEM_PREC_FLOAT ? "float" : "double");
    ogem_jw_string(w, "gpu_path", path_name(o->gpu_path));
    if (!for_fingerprint) {
        ogem_jw_int(w, "threads", o->threads);
        ogem_jw_int(w, "checkpoint_every", o->checkpoint_every);
    }
    ogem_jw_end_object(w);
}

char *cli_run_json(const cli_run_opts *o, const ogem_solver_info *info, const cli_run_timing *tm,
                   int argc, char **argv)
{
    return cli_run_json_status(o, info, tm, argc, argv, NULL);
}

char *cli_run_json_status(const cli_run_opts *o, const ogem_solver_info *info, const cli_run_timing *tm,
                          int argc, char **argv, const cli_run_status *status)
{
    ogem_json_writer w;
    ogem_jw_init(&w);
    ogem_jw_begin_object(&w, NULL);
    ogem_jw_string(&w, "ogem_version", OGEM_VERSION);
    ogem_jw_string(&w, "command", "run");

    ogem_jw_begin_array(&w, "argv", 1);
    ogem_jw_string(&w, NULL, "ogem");
    for (int a = 0; a < argc; a++) ogem_jw_string(&w, NULL, argv[a]);
    ogem_jw_end_array(&w);

    /* complete, or interrupted with a checkpoint to continue from */
    if (status && status->interrupted) {
        ogem_jw_string(&w, "status", "interrupted");
        ogem_jw_string(&w, "interrupted_by", status->signal_name ? status->signal_name : "signal");
        ogem_jw_int(&w, "steps_done", status->steps_done);
        char *hint = cli_resume_hint("run", o->out_dir);
        ogem_jw_string(&w, "resume", hint ? hint : "ogem run --resume DIR");
        free(hint);
    } else {
        ogem_jw_string(&w, "status", "complete");
    }
    if (status && status->resumed_from) ogem_jw_string(&w, "resumed_from", status->resumed_from);

    /* Replayed by --config: keys are the flag names with '_' for '-'. */
    cli_run_settings_json(&w, "settings", o, 0);

    ogem_jw_begin_object(&w, "resolved");
    ogem_jw_string(&w, "weights_spec", o->weights_spec);
    if (o->samples > 0) ogem_jw_int(&w, "samples_per_step", o->samples);
    else ogem_jw_null(&w, "samples_per_step");
    ogem_jw_string(&w, "loss", o->estimator == OGEM_EST_DATA ? "mean negative log-likelihood of the data"
                                                               : "KL(truth || model) estimate");
    ogem_jw_int(&w, "logged_steps", o->n_log_steps);
    ogem_jw_int(&w, "traced_inits", o->traced);
    ogem_jw_end_object(&w);

    ogem_jw_begin_object(&w, "backend");
    ogem_jw_string(&w, "name", info->backend ? info->backend : "");
    ogem_jw_string(&w, "precision", info->precision ? info->precision : "");
    ogem_jw_string(&w, "gpu_path", info->gpu_path ? info->gpu_path : "");
    ogem_jw_int(&w, "threads", info->threads);
    ogem_jw_uint(&w, "peak_device_bytes", (uint64_t)info->peak_device_bytes);
    ogem_jw_int(&w, "max_subspace_dim", info->max_subspace_dim);
    ogem_jw_end_object(&w);

    double sci = cli_run_sci(o, tm->evaluations);
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
    ogem_jw_end_object(&w);
    ogem_jw_end_object(&w);

    size_t len;
    const char *text = ogem_jw_text(&w, &len);
    char *copy = text ? malloc(len + 1) : NULL;
    if (copy) memcpy(copy, text, len + 1);
    ogem_jw_free(&w);
    return copy;
}
