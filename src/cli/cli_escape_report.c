/*
 * cli_escape_report.c - the contents of `ogem escape`'s output files: the
 * escape steps (escapes.csv), one row per grid point (sweep.csv), the
 * Kaplan-Meier summaries and the growth fit (summary.json), and run.json.
 *
 * As with `ogem run`, the CSVs are a pure function of the computation (no
 * times, no machine), so a replay or a resumed run gives the same bytes;
 * timings live in the JSON files.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_ckpt.h"
#include "cli/cli_escape.h"
#include "util/json.h"

/* ---- statistics -------------------------------------------------------------------- */

int cli_escape_stats_of(const long *steps, long R, cli_escape_stats *st)
{
    memset(st, 0, sizeof *st);
    st->count = R;
    st->times = malloc((size_t)(R > 0 ? R : 1) * sizeof *st->times);
    st->surv = malloc((size_t)(R > 0 ? R : 1) * sizeof *st->surv);
    if (!st->times || !st->surv) {
        cli_escape_stats_free(st);
        return -1;
    }
    for (long r = 0; r < R; r++) st->escaped += steps[r] >= 0;
    st->censored_fraction = R > 0 ? (double)(R - st->escaped) / (double)R : 0.0;
    if (ogem_km_curve(steps, R, st->times, st->surv, &st->m) != OGEM_OK) {
        cli_escape_stats_free(st);
        return -1;
    }
    static const double p[3] = { 0.25, 0.5, 0.75 };
    for (int j = 0; j < 3; j++) st->q[j] = ogem_km_quantile(st->times, st->surv, st->m, p[j]);
    return 0;
}

void cli_escape_stats_free(cli_escape_stats *st)
{
    free(st->times);
    free(st->surv);
    st->times = NULL;
    st->surv = NULL;
}

void cli_escape_fit_of(const cli_escape_opts *e, const cli_escape_results *res, cli_escape_fit *fit)
{
    memset(fit, 0, sizeof *fit);
    fit->exponent = fit->intercept = fit->r2 = NAN;
    if (e->sweep == CLI_SWEEP_NONE || res->done < 1) return;
    double *x = malloc((size_t)res->done * sizeof *x), *y = malloc((size_t)res->done * sizeof *y);
    if (x && y) {
        for (long g = 0; g < res->done; g++) {
            const cli_escape_point *p = &e->points[g];
            cli_escape_stats st;
            long med = -1;
            if (cli_escape_stats_of(res->steps + (size_t)g * (size_t)e->R, e->R, &st) == 0) med = st.q[1];
            cli_escape_stats_free(&st);
            x[g] = e->sweep == CLI_SWEEP_RADIUS ? p->radius * p->radius : (double)p->dim;
            y[g] = med > 0 ? log((double)med) : NAN; /* undefined, or escaped at once: no logarithm */
        }
        fit->used = ogem_linear_fit(x, y, (int)res->done, &fit->intercept, &fit->exponent, &fit->r2);
    }
    free(x);
    free(y);
}

/* The shortest text that reads back as v (0.3, not 0.29999999999999999). */
static void fmt_double(char *buf, size_t len, double v)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

/* ---- settings ----------------------------------------------------------------------- */

static const char *algo_name(ogem_algo a) { return a == OGEM_ALGO_EM ? "em" : "gem"; }
static const char *device_name(ogem_device d)
{
    return d == OGEM_DEVICE_CPU ? "cpu" : d == OGEM_DEVICE_GPU ? "gpu" : "auto";
}
static const char *path_name(ogem_gpu_path p)
{
    return p == OGEM_PATH_FUSED ? "fused" : p == OGEM_PATH_GEMM ? "gemm" : "auto";
}

void cli_escape_settings_json(struct ogem_json_writer *w, const char *key, const cli_escape_opts *e,
                              int for_fingerprint)
{
    const cli_run_opts *o = &e->grid[0];
    ogem_jw_begin_object(w, key);
    if (e->sweep != CLI_SWEEP_DIM) ogem_jw_int(w, "dim", e->dim);
    ogem_jw_int(w, "components", o->components);
    ogem_jw_double_array(w, "weights", o->weights, o->components);
    ogem_jw_double_array(w, "mu_star", e->mu_star, e->mu_star_count);
    ogem_jw_int(w, "inits", o->inits);
    ogem_jw_string(w, "init", e->init_text);
    ogem_jw_string(w, "until", e->until_text);
    ogem_jw_int(w, "max_steps", e->max_steps);
    ogem_jw_double(w, "eta", o->eta);
    ogem_jw_string(w, "algo", algo_name(o->algo));
    ogem_jw_string(w, "estimator", o->estimator_text);
    ogem_jw_bool(w, "subspace", o->subspace);
    if (e->sweep_text) ogem_jw_string(w, "sweep", e->sweep_text);
    if (e->radius_per_sqrt_dim > 0) ogem_jw_double(w, "radius_per_sqrt_dim", e->radius_per_sqrt_dim);
    ogem_jw_uint(w, "seed", o->seed);
    ogem_jw_string(w, "device", device_name(o->device));
    ogem_jw_string(w, "precision", o->precision == OGEM_PREC_FLOAT ? "float" : "double");
    ogem_jw_string(w, "gpu_path", path_name(o->gpu_path));
    if (!for_fingerprint) {
        ogem_jw_int(w, "threads", o->threads);
        ogem_jw_int(w, "checkpoint_every", e->checkpoint_every);
    }
    ogem_jw_end_object(w);
}

/* ---- CSVs --------------------------------------------------------------------------- */

static void grid_value(char *buf, size_t len, const cli_escape_opts *e, long g)
{
    if (e->sweep == CLI_SWEEP_DIM) snprintf(buf, len, "%d", e->points[g].dim);
    else fmt_double(buf, len, e->points[g].radius);
}

void cli_escape_csv(FILE *f, const cli_escape_opts *e, const cli_escape_results *res)
{
    const int sweep = e->sweep != CLI_SWEEP_NONE;
    fputs(sweep ? "grid,init,escape_step,censored,final_loss\n" : "init,escape_step,censored,final_loss\n", f);
    char gv[64];
    for (long g = 0; g < res->done; g++) {
        grid_value(gv, sizeof gv, e, g);
        for (long r = 0; r < e->R; r++) {
            const size_t q = (size_t)g * (size_t)e->R + (size_t)r;
            if (sweep) fprintf(f, "%s,", gv);
            fprintf(f, "%ld,", r);
            if (res->steps[q] >= 0) fprintf(f, "%ld,0,", res->steps[q]);
            else fputs(",1,", f);
            if (isfinite(res->loss[q])) fprintf(f, "%.17g", res->loss[q]);
            fputc('\n', f);
        }
    }
}

static void put_quantile(FILE *f, long q)
{
    if (q >= 0) fprintf(f, ",%ld", q);
    else fputc(',', f);
}

void cli_escape_sweep_csv(FILE *f, const cli_escape_opts *e, const cli_escape_results *res)
{
    fputs("grid,radius,inits,escaped,censored_fraction,q1,median,q3\n", f);
    char gv[64], rad[64];
    for (long g = 0; g < res->done; g++) {
        cli_escape_stats st;
        if (cli_escape_stats_of(res->steps + (size_t)g * (size_t)e->R, e->R, &st) != 0) continue;
        grid_value(gv, sizeof gv, e, g);
        fmt_double(rad, sizeof rad, e->points[g].radius);
        fprintf(f, "%s,%s,%ld,%ld,%.17g", gv, rad, st.count, st.escaped, st.censored_fraction);
        for (int j = 0; j < 3; j++) put_quantile(f, st.q[j]);
        fputc('\n', f);
        cli_escape_stats_free(&st);
    }
}

/* ---- JSON ------------------------------------------------------------------------------ */

static void quantile_json(ogem_json_writer *w, const char *key, long q)
{
    if (q >= 0) ogem_jw_int(w, key, q);
    else ogem_jw_null(w, key);
}

/* count, escaped, censored fraction, quartiles and the KM curve of grid point g. */
static void stats_json(ogem_json_writer *w, const cli_escape_opts *e, const cli_escape_results *res, long g)
{
    cli_escape_stats st;
    if (cli_escape_stats_of(res->steps + (size_t)g * (size_t)e->R, e->R, &st) != 0) {
        w->failed = 1;
        return;
    }
    ogem_jw_int(w, "count", st.count);
    ogem_jw_int(w, "escaped", st.escaped);
    ogem_jw_int(w, "censored", st.count - st.escaped);
    ogem_jw_double(w, "censored_fraction", st.censored_fraction);
    quantile_json(w, "q1", st.q[0]);
    quantile_json(w, "median", st.q[1]);
    quantile_json(w, "q3", st.q[2]);
    ogem_jw_int(w, "steps_run", res->reached[g]);
    ogem_jw_begin_object(w, "km");
    ogem_jw_begin_array(w, "step", 1);
    for (long j = 0; j < st.m; j++) ogem_jw_int(w, NULL, st.times[j]);
    ogem_jw_end_array(w);
    ogem_jw_double_array(w, "survival", st.surv, st.m);
    ogem_jw_end_object(w);
    cli_escape_stats_free(&st);
}

static double init_steps(const cli_escape_opts *e, const cli_escape_results *res)
{
    double n = 0;
    for (long g = 0; g < res->done; g++)
        for (long r = 0; r < e->R; r++) {
            long s = res->steps[(size_t)g * (size_t)e->R + (size_t)r];
            n += s >= 0 ? (double)(s + 1) : (double)res->reached[g];
        }
    return n;
}

static void status_json(ogem_json_writer *w, const cli_escape_opts *e, const cli_escape_status *status)
{
    if (status && status->interrupted) {
        ogem_jw_string(w, "status", "interrupted");
        ogem_jw_string(w, "interrupted_by", status->signal_name ? status->signal_name : "signal");
        char *hint = cli_resume_hint("escape", e->out_dir);
        ogem_jw_string(w, "resume", hint ? hint : "ogem escape --resume DIR");
        free(hint);
    } else {
        ogem_jw_string(w, "status", "complete");
    }
    if (status && status->resumed_from) ogem_jw_string(w, "resumed_from", status->resumed_from);
}

static void backend_json(ogem_json_writer *w, const ogem_solver_info *info)
{
    ogem_jw_begin_object(w, "backend");
    ogem_jw_string(w, "name", info->backend ? info->backend : "");
    ogem_jw_string(w, "precision", info->precision ? info->precision : "");
    ogem_jw_string(w, "gpu_path", info->gpu_path ? info->gpu_path : "");
    ogem_jw_int(w, "threads", info->threads);
    ogem_jw_uint(w, "peak_device_bytes", (uint64_t)info->peak_device_bytes);
    ogem_jw_int(w, "max_subspace_dim", info->max_subspace_dim);
    ogem_jw_end_object(w);
}

static void timing_json(ogem_json_writer *w, const cli_escape_opts *e, const cli_escape_results *res,
                        const cli_escape_timing *tm)
{
    double n = init_steps(e, res);
    ogem_jw_begin_object(w, "timing");
    ogem_jw_double(w, "wall_seconds", tm->wall_seconds);
    ogem_jw_double(w, "solve_seconds", tm->solve_seconds);
    ogem_jw_double(w, "init_steps", n);
    ogem_jw_double(w, "init_steps_per_second", tm->solve_seconds > 0 ? n / tm->solve_seconds : 0.0);
    ogem_jw_end_object(w);
}

static char *finish(ogem_json_writer *w)
{
    size_t len;
    const char *text = ogem_jw_text(w, &len);
    char *copy = text ? malloc(len + 1) : NULL;
    if (copy) memcpy(copy, text, len + 1);
    ogem_jw_free(w);
    return copy;
}

char *cli_escape_summary_json(const cli_escape_opts *e, const cli_escape_results *res, const ogem_solver_info *info,
                              const cli_escape_timing *tm, const cli_escape_status *status)
{
    ogem_json_writer w;
    ogem_jw_init(&w);
    ogem_jw_begin_object(&w, NULL);
    ogem_jw_string(&w, "ogem_version", OGEM_VERSION);
    ogem_jw_string(&w, "command", "escape");
    status_json(&w, e, status);
    ogem_jw_string(&w, "until", e->until_text);
    ogem_jw_int(&w, "max_steps", e->max_steps);
    if (e->sweep == CLI_SWEEP_NONE) {
        if (res->done > 0) {
            stats_json(&w, e, res, 0);
        }
    } else {
        ogem_jw_begin_object(&w, "sweep");
        ogem_jw_string(&w, "parameter", e->sweep == CLI_SWEEP_RADIUS ? "radius" : "dim");
        ogem_jw_string(&w, "spec", e->sweep_text);
        ogem_jw_begin_array(&w, "values", 1);
        for (long g = 0; g < e->G; g++) {
            if (e->sweep == CLI_SWEEP_DIM) ogem_jw_int(&w, NULL, e->points[g].dim);
            else ogem_jw_double(&w, NULL, e->points[g].radius);
        }
        ogem_jw_end_array(&w);
        ogem_jw_int(&w, "completed", status && status->interrupted ? res->done - 1 : res->done);
        ogem_jw_end_object(&w);

        ogem_jw_begin_array(&w, "points", 0);
        for (long g = 0; g < res->done; g++) {
            ogem_jw_begin_object(&w, NULL);
            if (e->sweep == CLI_SWEEP_DIM) ogem_jw_int(&w, "grid", e->points[g].dim);
            else ogem_jw_double(&w, "grid", e->points[g].radius);
            ogem_jw_double(&w, "radius", e->points[g].radius);
            ogem_jw_int(&w, "dim", e->points[g].dim);
            stats_json(&w, e, res, g);
            ogem_jw_end_object(&w);
        }
        ogem_jw_end_array(&w);

        cli_escape_fit fit;
        cli_escape_fit_of(e, res, &fit);
        ogem_jw_begin_object(&w, "growth");
        ogem_jw_string(&w, "model", e->sweep == CLI_SWEEP_RADIUS
                                        ? "log(median escape step) = intercept + exponent * radius^2"
                                        : "log(median escape step) = intercept + exponent * dim");
        ogem_jw_string(&w, "x", e->sweep == CLI_SWEEP_RADIUS ? "radius^2" : "dim");
        ogem_jw_double(&w, "exponent", fit.exponent); /* NaN -> null */
        ogem_jw_double(&w, "intercept", fit.intercept);
        ogem_jw_double(&w, "r2", fit.r2);
        ogem_jw_int(&w, "points_used", fit.used);
        ogem_jw_end_object(&w);
    }
    cli_escape_settings_json(&w, "settings", e, 0);
    backend_json(&w, info);
    timing_json(&w, e, res, tm);
    ogem_jw_end_object(&w);
    return finish(&w);
}

char *cli_escape_run_json(const cli_escape_opts *e, const cli_escape_results *res, const ogem_solver_info *info,
                          const cli_escape_timing *tm, const cli_escape_status *status, int argc, char **argv)
{
    const cli_run_opts *o = &e->grid[0];
    ogem_json_writer w;
    ogem_jw_init(&w);
    ogem_jw_begin_object(&w, NULL);
    ogem_jw_string(&w, "ogem_version", OGEM_VERSION);
    ogem_jw_string(&w, "command", "escape");
    ogem_jw_begin_array(&w, "argv", 1);
    ogem_jw_string(&w, NULL, "ogem");
    for (int a = 0; a < argc; a++) ogem_jw_string(&w, NULL, argv[a]);
    ogem_jw_end_array(&w);
    status_json(&w, e, status);

    /* Replayed by --config and --resume: keys are the flag names with '_' for '-'. */
    cli_escape_settings_json(&w, "settings", e, 0);

    ogem_jw_begin_object(&w, "resolved");
    ogem_jw_string(&w, "weights_spec", o->weights_spec);
    if (o->samples > 0) ogem_jw_int(&w, "samples_per_step", o->samples);
    else ogem_jw_null(&w, "samples_per_step");
    ogem_jw_string(&w, "loss", o->estimator == OGEM_EST_DATA ? "mean negative log-likelihood of the data"
                                                               : "KL(truth || model) estimate");
    ogem_jw_int(&w, "grid_points", e->G);
    ogem_jw_end_object(&w);

    backend_json(&w, info);
    timing_json(&w, e, res, tm);

    ogem_jw_begin_object(&w, "files");
    ogem_jw_string(&w, "escapes", "escapes.csv");
    if (e->sweep != CLI_SWEEP_NONE) ogem_jw_string(&w, "sweep", "sweep.csv");
    ogem_jw_string(&w, "summary", "summary.json");
    ogem_jw_end_object(&w);
    ogem_jw_end_object(&w);
    return finish(&w);
}

/* ---- stdout ---------------------------------------------------------------------------- */

static void print_quartiles(const cli_escape_stats *st)
{
    char q[3][32];
    for (int j = 0; j < 3; j++) {
        if (st->q[j] >= 0) snprintf(q[j], sizeof q[j], "%ld", st->q[j]);
        else snprintf(q[j], sizeof q[j], "undefined");
    }
    printf("escaped %ld/%ld (censored %.3g), median %s steps, quartiles [%s, %s]\n", st->escaped, st->count,
           st->censored_fraction, q[1], q[0], q[2]);
}

void cli_escape_print_summary(const cli_escape_opts *e, const cli_escape_results *res, const ogem_solver_info *info,
                              const cli_escape_timing *tm)
{
    const cli_run_opts *o = &e->grid[0];
    printf("ogem escape: %ld init%s, n = %d, ", e->R, e->R == 1 ? "" : "s", o->components);
    if (e->sweep != CLI_SWEEP_DIM) printf("d = %d, ", e->dim);
    printf("%s", o->algo == OGEM_ALGO_EM ? "em" : "gem");
    if (o->algo == OGEM_ALGO_GEM) printf(" (eta %g)", o->eta);
    printf(", %s, until %s, at most %ld steps, on %s (%s)\n",
           o->estimator == OGEM_EST_DATA ? "data" : o->estimator_text, e->until_text, e->max_steps, info->backend ? info->backend : "?", info->precision ? info->precision : "?");
    for (long g = 0; g < res->done; g++) {
        cli_escape_stats st;
        if (cli_escape_stats_of(res->steps + (size_t)g * (size_t)e->R, e->R, &st) != 0) continue;
        if (e->sweep == CLI_SWEEP_RADIUS) printf("  radius %-8g ", e->points[g].radius);
        else if (e->sweep == CLI_SWEEP_DIM) printf("  dim %-5d radius %-8.4g ", e->points[g].dim, e->points[g].radius);
        else printf("  %s: ", e->init_text);
        print_quartiles(&st);
        cli_escape_stats_free(&st);
    }
    if (e->sweep != CLI_SWEEP_NONE) {
        cli_escape_fit fit;
        cli_escape_fit_of(e, res, &fit);
        if (fit.used >= 2 && isfinite(fit.exponent))
            printf("  growth: log(median) = %.4g + %.4g * %s  (R^2 %.4f, %d points)\n", fit.intercept, fit.exponent,
                   e->sweep == CLI_SWEEP_RADIUS ? "radius^2" : "d", fit.r2, fit.used);
        else
            printf("  growth: fewer than two grid points with a median; no fit\n");
    }
    double n = init_steps(e, res);
    printf("  wall %.3g s (solve %.3g s), %.3g init-steps/s\n", tm->wall_seconds, tm->solve_seconds,
           tm->solve_seconds > 0 ? n / tm->solve_seconds : 0.0);
    printf("  wrote %s/{escapes.csv,%ssummary.json,run.json}\n", e->out_dir,
           e->sweep != CLI_SWEEP_NONE ? "sweep.csv," : "");
}
