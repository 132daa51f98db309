/*
 * cli_paper.c - `ogem paper`: the paper's three experiments end to end.
 *
 *  (a) convergence: loss and parametric distance over t for n = 2, 5, 10
 *      components with equal weights;
 *  (b) mixing weights: n = 5 with equal and two uneven weight vectors;
 *  (c) bad regions: escape steps of a far component against its radius, and
 *      against d with the radius c sqrt(d), with fitted exponential growth.
 *
 * Every run uses the `exact` estimator (deterministic quadrature in the span
 * of the mean differences, no sampling noise): (a) works in d = 2, where that
 * span is two-dimensional for n > 2 (the k = 2 rule), (b) in d = 1; n = 2 and
 * (c) are one-dimensional in any d, since the responsibilities of two
 * components depend on x only through its projection on mu_1 - mu_2.
 *
 * Each experiment is what `ogem run` or `ogem escape --sweep` would do with
 * the same settings: its options are built from flag texts by their own
 * validation (cli_run_opts_build, cli_escape_opts_build), its solvers by
 * cli_solver_open, its steps by cli_run_steps and cli_escape_run_point. Outputs
 * (written atomically by cli_paper_report.c, then figures by
 * tools/plot_paper.py when matplotlib is available): convergence.csv,
 * escape_radius.csv, escape_radius_inits.csv, escape_dim.csv,
 * escape_dim_inits.csv, summary.json, report.md, fig_*.png.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "cli/cli_datadir.h"
#include "cli/cli_escape.h"
#include "cli/cli_paper.h"
#include "cli/cli_paper_report.h"
#include "cli/cli_progress.h"
#include "cli/cli_run.h"
#include "cli/cli_solver.h"
#include "cli/cli_stats.h"
#include "cli/cli_stop.h"
#include "cli/cli_study.h"
#include "util/outdir.h"
#include "ogem/ogem.h"

static const char CMD[] = "paper";

/* What the experiments return when a signal asked them to stop. */
enum { PAPER_STOPPED = 1 };

enum { PF_OUT, PF_QUICK, PF_SCALE, PF_DEVICE, PF_THREADS, PF_SEED, PF_NO_PLOTS, PF_PLOTTER, PF_QUIET, PF_COUNT };
static const cli_flag paper_flags[PF_COUNT] = {
    {"--out", CLI_FLAG_VALUE, "DIR", "ogem-paper", "output directory (created; files replaced atomically)"},
    {"--quick", CLI_FLAG_SWITCH, NULL, NULL, "small sizes: under a minute on a 2-core CPU"},
    {"--scale", CLI_FLAG_VALUE, "X", "1", "multiply initializations and step budgets by X (e.g. 8 on a GPU)"},
    {"--device", CLI_FLAG_VALUE, "auto|cpu|gpu", "auto", "where to compute"},
    {"--threads", CLI_FLAG_VALUE, "N", "0", "CPU threads (0: all cores)"},
    {"--seed", CLI_FLAG_VALUE, "S", "1", "seed of the random initializations"},
    {"--no-plots", CLI_FLAG_SWITCH, NULL, NULL, "write data and report only"},
    {"--plotter", CLI_FLAG_VALUE, "PATH", NULL, "plotting script (default: plot_paper.py in " CLI_DATA_FILE_PLACES ")"},
    {"--quiet", CLI_FLAG_SWITCH, NULL, NULL, "no progress lines on stderr"},
};

static const cli_paper_plan QUICK_PLAN = {
    .conv_inits = 32, .conv_steps = 5000, .init_scale = 1.0, .esc_inits = 32, .esc_max_steps = 50000,
    .r_lo = 3.0, .r_hi = 7.0, .r_step = 1.0, .dims = "1,2,3,4,5,6", .c_sqrt_d = 2.5,
};
static const cli_paper_plan DEFAULT_PLAN = {
    .conv_inits = 256, .conv_steps = 50000, .init_scale = 1.0, .esc_inits = 256, .esc_max_steps = 400000,
    .r_lo = 4.0, .r_hi = 9.0, .r_step = 0.5, .dims = "2,4,6,8,10,12", .c_sqrt_d = 2.5,
};

/* Panel (a) runs in d = 2, where the span of the mean differences is
 * two-dimensional for n > 2: an exact step of n = 5 (n = 10) costs about 20
 * (40) us per initialization once the means are within 1 of each other (the
 * Gauss-Hermite rule) and 1-8 ms before (the nested rule), against ~4-15 us
 * for k = 1; so n = 5 runs half and n = 10 an eighth of the initializations,
 * all the steps, which keeps the default near its old time (about 4 minutes
 * on 2 cores). Panel (b) stays in d = 1. */
static const cli_paper_series SERIES[] = {
    {'a', "n=2 (d=2)", 2, 2, "uniform", 1},
    {'a', "n=5 (d=2)", 5, 2, "uniform", 2},
    {'a', "n=10 (d=2)", 10, 2, "uniform", 8},
    {'b', "equal weights", 5, 1, "uniform", 1},
    {'b', "geometric:0.6", 5, 1, "geometric:0.6", 1},
    {'b', "geometric:0.3", 5, 1, "geometric:0.3", 1},
};
enum { N_SERIES = sizeof SERIES / sizeof SERIES[0] };

typedef struct paper {
    const char *const *value;   /* paper's flags                                  */
    cli_paper_plan plan;
    int quiet;
    double t0;
    cli_strings pool;           /* texts of the option sets built here            */
    int shares[N_SERIES];       /* -1, or the series whose run this one is        */
    cli_run_opts opts[N_SERIES];
    cli_paper_conv conv[N_SERIES];
    cli_paper_sweep radius, dim;
} paper;

static void progress(const paper *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void progress(const paper *c, const char *fmt, ...)
{
    if (c->quiet) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[paper %6.1fs] ", cli_now() - c->t0);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- option sets, as `ogem run` and `ogem escape` would build them ------------------ */

/* value[i] and label[i] for a flag table (cli_flag_fill): paper's own flags
 * that are settings of every run too (the same names in all three tables),
 * then the settings paper fixes (overrides: name, text pairs, NULL-terminated). */
static void fill_values(const paper *c, const cli_flag *flags, int nflags, const char **value, const char **label,
                        const char *const *overrides)
{
    const char *const mine[] = { "--seed", c->value[PF_SEED], "--device", c->value[PF_DEVICE],
                                 "--threads", c->value[PF_THREADS], "--out", c->value[PF_OUT], NULL };
    cli_flag_fill(flags, nflags, mine, overrides, value, label);
    value[cli_flag_index(flags, nflags, "--quiet")] = c->quiet ? "1" : NULL;
}

/* `ogem run --dim d --components n --weights W --inits R --steps T
 * --estimator exact --init random:S --trace-inits 0`. */
static int run_options(const paper *c, int d, int n, const char *weights, int inits, long steps, cli_run_opts *o)
{
    char dim[16], comps[16], R[16], T[24], init[40];
    snprintf(dim, sizeof dim, "%d", d);
    snprintf(comps, sizeof comps, "%d", n);
    snprintf(R, sizeof R, "%d", inits);
    snprintf(T, sizeof T, "%ld", steps);
    snprintf(init, sizeof init, "random:%.17g", c->plan.init_scale);
    const char *const overrides[] = { "--dim", dim, "--components", comps, "--weights", weights, "--inits", R,
                                      "--steps", T, "--estimator", "exact", "--init", init, "--trace-inits", "0",
                                      NULL };
    const char *value[RF_COUNT], *label[RF_COUNT];
    fill_values(c, cli_run_flags, RF_COUNT, value, label, overrides);
    return cli_run_opts_build(CMD, value, label, o);
}

/* `ogem escape --sweep SPEC [--dim 2 | --radius-per-sqrt-dim C] --inits R
 * --max-steps T` (n = 2, equal weights, exact, until dist<=1). */
static int sweep_options(paper *c, int by_dim, cli_paper_sweep *s)
{
    const cli_paper_plan *p = &c->plan;
    const char *spec = cli_strings_keep(&c->pool, by_dim ? cli_dup_printf("dim=%s", p->dims)
                                                         : cli_dup_printf("radius=%.17g:%.17g:%.17g", p->r_lo,
                                                                          p->r_hi, p->r_step));
    const char *rpsd = cli_strings_keep(&c->pool, cli_dup_printf("%.17g", p->c_sqrt_d));
    const char *R = cli_strings_keep(&c->pool, cli_dup_printf("%d", p->esc_inits));
    const char *T = cli_strings_keep(&c->pool, cli_dup_printf("%ld", p->esc_max_steps));
    if (!spec || !rpsd || !R || !T) {
        cli_error(CMD, "out of memory");
        return -1;
    }
    const char *const overrides[] = { "--sweep", spec, "--inits", R, "--max-steps", T,
                                      by_dim ? "--radius-per-sqrt-dim" : "--dim", by_dim ? rpsd : "2", NULL };
    const cli_flag *flags = cli_escape_flags();
    const char *value[EF_COUNT], *label[EF_COUNT];
    unsigned char none[EF_COUNT] = { 0 };
    fill_values(c, flags, EF_COUNT, value, label, overrides);
    return cli_escape_opts_build(CMD, value, none, none, label, &c->pool, &s->e);
}

/* ---- the experiments ------------------------------------------------------------------ */

/* Collects q1, median, q3 of the loss and of max_dist at each logged step. */
typedef struct conv_log {
    cli_paper_conv *res;
    double *scratch;
    long R, next;
} conv_log;

static void log_quantiles(void *user, long t, const ogem_metrics *m)
{
    conv_log *lg = user;
    double q5[5], *q = lg->res->q + 6 * lg->next++;
    (void)t;
    cli_metric_quantiles(m, lg->R, CLI_METRIC_LOSS, lg->scratch, q5);
    q[0] = q5[1]; q[1] = q5[2]; q[2] = q5[3];
    cli_metric_quantiles(m, lg->R, CLI_METRIC_MAX_DIST, lg->scratch, q5);
    q[3] = q5[1]; q[4] = q5[2]; q[5] = q5[3];
}

/* The log-log fits of the median loss and distance. */
static int conv_fits(cli_paper_conv *res)
{
    double *ml = malloc(sizeof(double) * (size_t)(res->m > 0 ? res->m : 1));
    double *md = malloc(sizeof(double) * (size_t)(res->m > 0 ? res->m : 1));
    int rc = ml && md ? 0 : -1;
    for (long j = 0; rc == 0 && j < res->m; j++) {
        ml[j] = res->q[6 * j + 1];
        md[j] = res->q[6 * j + 4];
    }
    if (rc == 0) rc = cli_paper_loglog_fit(res->steps, ml, res->m, &res->loss_fit);
    if (rc == 0) rc = cli_paper_loglog_fit(res->steps, md, res->m, &res->dist_fit);
    free(ml);
    free(md);
    return rc;
}

/* Panel (a) or (b): `ogem run`'s steps, quantiles at its logged steps. 0, -1
 * (failed, the line printed) or PAPER_STOPPED. */
static int run_series(const cli_run_opts *o, cli_paper_conv *res)
{
    ogem_solver *sv = NULL;
    if (cli_solver_open(CMD, o, NULL, &sv) != 0) return -1;
    const long R = o->inits;
    double *scratch = malloc(sizeof(double) * (size_t)R);
    ogem_metrics *met = malloc(sizeof(ogem_metrics) * (size_t)R);
    res->q = malloc(sizeof(double) * 6 * (size_t)o->n_log_steps);
    int rc = -1;
    if (!scratch || !met || !res->q) {
        cli_error(CMD, "out of memory");
        goto done;
    }
    conv_log lg = { res, scratch, R, 0 };
    double start = cli_now();
    long t;
    ogem_status st = cli_run_steps(NULL, o, sv, met, log_quantiles, &lg, &t);
    if (st != OGEM_OK) {
        cli_library_error(CMD, o, NULL, NULL, cli_solver_message(sv, st));
        goto done;
    }
    if (cli_stop_requested()) {
        rc = PAPER_STOPPED;
        goto done;
    }
    res->steps = o->log_steps;
    res->m = o->n_log_steps;
    res->seconds = cli_now() - start;
    if (conv_fits(res) != 0) {
        cli_error(CMD, "out of memory");
        goto done;
    }
    rc = 0;
done:
    ogem_solver_destroy(sv);
    free(scratch);
    free(met);
    return rc;
}

/* Panel (c): `ogem escape --sweep`'s grid points, one solver each; returns
 * as run_series. */
static int run_sweep(const paper *c, cli_paper_sweep *s, int by_dim)
{
    const cli_escape_opts *e = &s->e;
    if (cli_escape_results_alloc(&s->res, e) != 0) {
        cli_error(CMD, "out of memory");
        return -1;
    }
    for (long g = 0; g < e->G; g++) {
        const cli_escape_point *pt = &e->points[g];
        if (by_dim) progress(c, "(c) d = %d, radius %.3f: %ld inits", pt->dim, pt->radius, e->R);
        else progress(c, "(c) radius %.2f: %ld inits, at most %ld steps", pt->radius, e->R, e->max_steps);
        ogem_solver *sv = NULL;
        if (cli_solver_open(CMD, &e->grid[g], NULL, &sv) != 0) return -1;
        ogem_status st = cli_escape_run_point(NULL, e, g, sv, &s->res);
        if (st != OGEM_OK) cli_library_error(CMD, &e->grid[g], NULL, NULL, cli_solver_message(sv, st));
        ogem_solver_destroy(sv);
        if (st != OGEM_OK) return -1;
        if (cli_stop_requested()) return PAPER_STOPPED;
    }
    if (cli_paper_sweep_summarize(s) != 0) {
        cli_error(CMD, "out of memory");
        return -1;
    }
    return 0;
}

/* The backend and precision the runs get (and the CPU-fallback notice). */
static int probe(paper *c, cli_paper_report *rep)
{
    cli_run_opts o;
    if (run_options(c, 1, 2, "uniform", 1, 0, &o) != 0) return -1;
    ogem_solver *sv = NULL;
    ogem_solver_info info;
    int rc = cli_solver_open(CMD, &o, NULL, &sv) != 0 ? -1 : 0;
    ogem_status st = rc == 0 ? ogem_solver_get_info(sv, &info) : OGEM_OK;
    if (st != OGEM_OK) {
        cli_library_error(CMD, &o, NULL, NULL, cli_solver_message(sv, st));
        rc = -1;
    }
    if (rc == 0) {
        /* Names the backends keep as static strings. */
        rep->backend = info.backend;
        rep->precision = info.precision;
    }
    ogem_solver_destroy(sv);
    cli_run_opts_free(&o);
    return rc;
}

/* 0, -1 after the one line of a failure, or PAPER_STOPPED when SIGINT or
 * SIGTERM asked to stop (checked between steps, in run_series and
 * run_sweep, and between the runs). */
static int experiments(paper *c, cli_paper_report *rep)
{
    if (probe(c, rep) != 0) return -1;
    /* (a), (b); panel b's equal-weight series is the same run as a's n = 5 */
    for (int j = 0; j < N_SERIES; j++) {
        c->shares[j] = -1;
        if (SERIES[j].panel == 'b' && strcmp(SERIES[j].weights_text, "uniform") == 0)
            for (int q = 0; q < j && c->shares[j] < 0; q++)
                if (SERIES[q].panel == 'a' && SERIES[q].n == SERIES[j].n && SERIES[q].d == SERIES[j].d) c->shares[j] = q;
        if (c->shares[j] >= 0) continue;
        if (cli_stop_requested()) return PAPER_STOPPED;
        const int inits = cli_paper_series_inits(&c->plan, &SERIES[j]);
        progress(c, "(%c) %s: %d inits, %ld gradient EM steps, exact", SERIES[j].panel, SERIES[j].name, inits,
                 c->plan.conv_steps);
        if (run_options(c, SERIES[j].d, SERIES[j].n, SERIES[j].weights_text, inits, c->plan.conv_steps,
                        &c->opts[j]) != 0)
            return -1;
        int rc = run_series(&c->opts[j], &c->conv[j]);
        if (rc != 0) return rc;
    }
    /* (c) radius sweep, then dimension sweep */
    for (int by_dim = 0; by_dim < 2; by_dim++) {
        cli_paper_sweep *s = by_dim ? &c->dim : &c->radius;
        if (cli_stop_requested()) return PAPER_STOPPED;
        if (sweep_options(c, by_dim, s) != 0) return -1;
        int rc = run_sweep(c, s, by_dim);
        if (rc != 0) return rc;
    }
    return 0;
}

/* ---- outputs ---------------------------------------------------------------------------- */

static int write_outputs(ogem_outdir *od, const cli_paper_report *rep)
{
    char msg[512];
    FILE *fc = ogem_outdir_create(od, "convergence.csv", msg, sizeof msg);
    FILE *fr = fc ? ogem_outdir_create(od, "escape_radius.csv", msg, sizeof msg) : NULL;
    FILE *fri = fr ? ogem_outdir_create(od, "escape_radius_inits.csv", msg, sizeof msg) : NULL;
    FILE *fd = fri ? ogem_outdir_create(od, "escape_dim.csv", msg, sizeof msg) : NULL;
    FILE *fdi = fd ? ogem_outdir_create(od, "escape_dim_inits.csv", msg, sizeof msg) : NULL;
    FILE *fs = fdi ? ogem_outdir_create(od, "summary.json", msg, sizeof msg) : NULL;
    FILE *fm = fs ? ogem_outdir_create(od, "report.md", msg, sizeof msg) : NULL;
    if (!fm) {
        cli_error(CMD, "--out: %s", msg);
        return -1;
    }
    char *json = cli_paper_summary_json(rep);
    if (!json) {
        cli_error(CMD, "out of memory writing summary.json");
        return -1;
    }
    cli_paper_convergence_csv(fc, rep);
    cli_paper_escape_csv(fr, fri, rep->radius, 0);
    cli_paper_escape_csv(fd, fdi, rep->dim, 1);
    fputs(json, fs);
    free(json);
    cli_paper_report_md(fm, rep);
    return 0;
}

/* Figures come last, from the committed data; their absence is reported, not fatal. */
/* The hooks of cli_study (cli_study.h). */
typedef struct paper_job {
    paper *c;
    cli_paper_report *rep;
    const cli_paper_conv *conv[N_SERIES];   /* rep->conv: the summary reads it too */
} paper_job;

static int job_run(void *ctx)
{
    paper_job *j = ctx;
    const int rc = experiments(j->c, j->rep);
    return rc == PAPER_STOPPED ? CLI_STUDY_STOPPED : rc;
}

static int job_write(void *ctx, ogem_outdir *od)
{
    paper_job *j = ctx;
    paper *c = j->c;
    cli_paper_report *rep = j->rep;
    for (int i = 0; i < N_SERIES; i++) j->conv[i] = &c->conv[c->shares[i] >= 0 ? c->shares[i] : i];
    rep->series = SERIES;
    rep->conv = j->conv;
    rep->n_series = N_SERIES;
    rep->radius = &c->radius;
    rep->dim = &c->dim;
    rep->wall_seconds = cli_now() - c->t0;
    return write_outputs(od, rep);
}

static void job_note(void *ctx, const char *line)
{
    progress(((paper_job *)ctx)->c, "%s", line);
}

static void job_summary(void *ctx)
{
    paper_job *j = ctx;
    cli_paper_print_summary(j->rep, j->c->value[PF_OUT], cli_now() - j->c->t0);
}

/* ---- the command ------------------------------------------------------------------------ */

/* Validates paper's flags into c and rep; the plan scaled by --scale. */
static int paper_options(paper *c, cli_paper_report *rep, const unsigned char *given)
{
    static const char *const devices[] = {"auto", "cpu", "gpu", NULL};
    int dev = 0, threads = 0;
    if (cli_parse_double(CMD, "--scale", c->value[PF_SCALE], 1, &rep->scale) ||
        cli_parse_choice(CMD, "--device", c->value[PF_DEVICE], devices, &dev) ||
        cli_parse_int(CMD, "--threads", c->value[PF_THREADS], 0, 4096, &threads) ||
        cli_parse_u64(CMD, "--seed", c->value[PF_SEED], &rep->seed))
        return -1;
    if (rep->scale > 1e4) {
        cli_error(CMD, "--scale: %g is too large (at most 1e4)", rep->scale);
        return -1;
    }
    if ((ogem_device)dev == OGEM_DEVICE_GPU && ogem_gpu_count() == 0) {
        cli_error(CMD, "--device: gpu was requested but no usable CUDA device was found (use auto or cpu)");
        return -1;
    }
    rep->quick = given[PF_QUICK];
    c->plan = rep->quick ? QUICK_PLAN : DEFAULT_PLAN;
    c->plan.conv_inits = (int)fmin(1e7, ceil(c->plan.conv_inits * rep->scale));
    c->plan.esc_inits = (int)fmin(1e7, ceil(c->plan.esc_inits * rep->scale));
    c->plan.conv_steps = (long)ceil(c->plan.conv_steps * rep->scale);
    rep->plan = c->plan;
    return 0;
}

static void paper_free(paper *c)
{
    for (int j = 0; j < N_SERIES; j++) {
        free(c->conv[j].q);
        cli_run_opts_free(&c->opts[j]);
    }
    cli_paper_sweep_free(&c->radius);
    cli_paper_sweep_free(&c->dim);
    cli_strings_free(&c->pool);
}

int cli_paper_main(int argc, char **argv)
{
    const char *value[PF_COUNT];
    unsigned char given[PF_COUNT];
    int pr = cli_parse_flags(CMD, paper_flags, PF_COUNT, argc, argv, value, given);
    if (pr == CLI_PARSE_HELP) {
        cli_print_help(stdout, "ogem paper [FLAGS]",
                       "Reproduces the evidence for gradient EM on over-parameterized Gaussian mixtures:\n"
                       "(a) sublinear convergence for n = 2, 5, 10; (b) uneven weights slow it;\n"
                       "(c) escape steps from bad regions grow exponentially in the squared radius.\n"
                       "All runs use the exact (quadrature) estimator. Writes CSV, JSON, report.md and PNG figures.",
                       paper_flags, PF_COUNT,
                       "The default takes a few minutes on a 2-core CPU; --quick under a minute.");
        return CLI_EXIT_OK;
    }
    if (pr == CLI_PARSE_ERROR) return CLI_EXIT_USAGE;

    paper c;
    memset(&c, 0, sizeof c);
    cli_paper_report rep;
    memset(&rep, 0, sizeof rep);
    c.value = value;
    c.t0 = cli_now();
    c.quiet = given[PF_QUIET];
    if (paper_options(&c, &rep, given) != 0) return CLI_EXIT_USAGE;

    paper_job job = { &c, &rep, { NULL } };
    const cli_study st = { CMD, "paper does not resume", "plot_paper.py", given[PF_PLOTTER] ? value[PF_PLOTTER] : NULL,
                           given[PF_NO_PLOTS], value[PF_OUT], &job, job_run, job_write, job_note, job_summary };
    const int exit_code = cli_study_main(&st);
    paper_free(&c);
    return exit_code;
}
