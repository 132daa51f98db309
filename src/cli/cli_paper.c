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
 * of the mean differences, no sampling noise): (a) and (b) work in d = 1 for
 * n > 2, where that span is one-dimensional; n = 2 and (c) are one-dimensional
 * in any d, since the responsibilities of two components depend on x only
 * through its projection on mu_1 - mu_2.
 *
 * Outputs (all CSV/JSON written atomically, then figures by
 * tools/plot_paper.py when matplotlib is available): convergence.csv,
 * escape_radius.csv, escape_radius_inits.csv, escape_dim.csv,
 * escape_dim_inits.csv, summary.json, report.md, fig_*.png.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "cli/cli_run.h"
#include "util/json.h"
#include "ogem/ogem.h"

static const char CMD[] = "paper";

enum { PF_OUT, PF_QUICK, PF_SCALE, PF_DEVICE, PF_THREADS, PF_SEED, PF_NO_PLOTS, PF_PLOTTER, PF_QUIET, PF_COUNT };
static const cli_flag paper_flags[PF_COUNT] = {
    {"--out", CLI_FLAG_VALUE, "DIR", "ogem-paper", "output directory (created; files replaced atomically)"},
    {"--quick", CLI_FLAG_SWITCH, NULL, NULL, "small sizes: under a minute on a 2-core CPU"},
    {"--scale", CLI_FLAG_VALUE, "X", "1", "multiply initializations and step budgets by X (e.g. 8 on a GPU)"},
    {"--device", CLI_FLAG_VALUE, "auto|cpu|gpu", "auto", "where to compute"},
    {"--threads", CLI_FLAG_VALUE, "N", "0", "CPU threads (0: all cores)"},
    {"--seed", CLI_FLAG_VALUE, "S", "1", "seed of the random initializations"},
    {"--no-plots", CLI_FLAG_SWITCH, NULL, NULL, "write data and report only"},
    {"--plotter", CLI_FLAG_VALUE, "PATH", NULL, "plotting script (default: tools/plot_paper.py beside the build)"},
    {"--quiet", CLI_FLAG_SWITCH, NULL, NULL, "no progress lines on stderr"},
};

/* Sizes of one reproduction. */
typedef struct paper_plan {
    int conv_inits;
    long conv_steps;
    double init_scale;          /* (a), (b): mu_i ~ N(0, s^2 I)         */
    int esc_inits;
    long esc_max_steps;
    double r_lo, r_hi, r_step;  /* (c) radius sweep                     */
    int dims[16], n_dims;       /* (c) dimension sweep                  */
    double c_sqrt_d;            /*     radius = c sqrt(d)               */
} paper_plan;

typedef struct conv_series {
    char panel;                 /* 'a' or 'b'                           */
    const char *name;
    int n, d;
    const char *weights_text;   /* a --weights spec                     */
} conv_series;

static const conv_series SERIES[] = {
    {'a', "n=2 (d=2)", 2, 2, "uniform"},
    {'a', "n=5 (d=1)", 5, 1, "uniform"},
    {'a', "n=10 (d=1)", 10, 1, "uniform"},
    {'b', "equal weights", 5, 1, "uniform"},
    {'b', "geometric:0.6", 5, 1, "geometric:0.6"},
    {'b', "geometric:0.3", 5, 1, "geometric:0.3"},
};
enum { N_SERIES = sizeof SERIES / sizeof SERIES[0] };

typedef struct paper_ctx {
    paper_plan plan;
    ogem_device device;
    int threads;
    uint64_t seed;
    int quiet;
    double t0;
    const char *backend, *precision;
} paper_ctx;

static void progress(const paper_ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void progress(const paper_ctx *c, const char *fmt, ...)
{
    if (c->quiet) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[paper %6.1fs] ", cli_now() - c->t0);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static ogem_solver *make_solver(const paper_ctx *c, int d, int n, const double *w, int R, char *msg, size_t len)
{
    ogem_settings s;
    ogem_settings_default(&s);
    s.dim = d; s.components = n; s.weights = w; s.inits = R;
    s.algo = OGEM_ALGO_GEM; s.eta = 1.0;
    s.estimator = OGEM_EST_EXACT; s.samples = 0;
    s.seed = c->seed; s.device = c->device; s.threads = c->threads;
    ogem_solver *sv = NULL;
    if (ogem_solver_create(&sv, &s, msg, len) != OGEM_OK) return NULL;
    return sv;
}

/* ---- (a), (b): convergence --------------------------------------------------- */

typedef struct fit { double slope, intercept, r2; int points; } fit;

/* Least squares of log y against log t over t in [t_end / 100, t_end]. */
static fit loglog_fit(const long *t, const double *y, long m)
{
    double *lx = malloc(sizeof(double) * (size_t)m), *ly = malloc(sizeof(double) * (size_t)m);
    fit f = {NAN, NAN, NAN, 0};
    if (!lx || !ly) { free(lx); free(ly); return f; }
    long t_end = t[m - 1], k = 0;
    for (long j = 0; j < m; j++)
        if (t[j] >= t_end / 100 && t[j] > 0 && y[j] > 0) {
            lx[k] = log((double)t[j]);
            ly[k] = log(y[j]);
            k++;
        }
    f.points = ogem_linear_fit(lx, ly, (int)k, &f.intercept, &f.slope, &f.r2);
    free(lx);
    free(ly);
    return f;
}

typedef struct conv_result {
    long *steps;                      /* logged steps                  */
    double *q;                        /* per logged step: loss q1 med q3, dist q1 med q3 */
    long m;
    fit loss_fit, dist_fit;
    double seconds;
} conv_result;

static int run_convergence(const paper_ctx *c, const conv_series *s, conv_result *res, char *msg, size_t len)
{
    const paper_plan *p = &c->plan;
    const int R = p->conv_inits, n = s->n, d = s->d;
    const long T = p->conv_steps;
    double *mu = malloc(sizeof(double) * (size_t)R * n * d), *scratch = malloc(sizeof(double) * (size_t)R);
    ogem_metrics *met = malloc(sizeof(ogem_metrics) * (size_t)R);
    long *logs = NULL, nlog = 0;
    char *canon = NULL;
    memset(res, 0, sizeof *res);
    if (!mu || !scratch || !met || cli_log_steps("log", T, &logs, &nlog, &canon, msg, len)) {
        free(mu); free(scratch); free(met); free(logs); free(canon);
        if (!msg[0]) snprintf(msg, len, "out of memory");
        return -1;
    }
    free(canon);
    double *w = cli_weights_parse(CMD, "weights", s->weights_text, n);   /* prints its own error */
    ogem_solver *sv = w ? make_solver(c, d, n, w, R, msg, len) : NULL;
    free(w);
    int rc = -1;
    res->steps = logs;
    res->q = malloc(sizeof(double) * 6 * (size_t)nlog);
    if (!sv || !res->q) goto done;
    ogem_init_random(mu, 0, R, n, d, NULL, p->init_scale, c->seed);
    ogem_solver_set_means(sv, mu);
    double start = cli_now();
    long next = 0;
    for (long t = 0; t <= T; t++) {
        if (ogem_solver_step(sv, t < T, met) != OGEM_OK) {
            snprintf(msg, len, "%s", ogem_solver_error(sv));
            goto done;
        }
        if (next < nlog && logs[next] == t) {
            double q5[5];
            for (int r = 0; r < R; r++) scratch[r] = met[r].loss;
            cli_quantiles5(scratch, R, q5);
            res->q[6 * next + 0] = q5[1]; res->q[6 * next + 1] = q5[2]; res->q[6 * next + 2] = q5[3];
            for (int r = 0; r < R; r++) scratch[r] = met[r].max_dist;
            cli_quantiles5(scratch, R, q5);
            res->q[6 * next + 3] = q5[1]; res->q[6 * next + 4] = q5[2]; res->q[6 * next + 5] = q5[3];
            next++;
        }
    }
    res->m = nlog;
    res->seconds = cli_now() - start;
    {
        double *ml = malloc(sizeof(double) * (size_t)nlog), *md = malloc(sizeof(double) * (size_t)nlog);
        if (!ml || !md) { free(ml); free(md); goto done; }
        for (long j = 0; j < nlog; j++) { ml[j] = res->q[6 * j + 1]; md[j] = res->q[6 * j + 4]; }
        res->loss_fit = loglog_fit(logs, ml, nlog);
        res->dist_fit = loglog_fit(logs, md, nlog);
        free(ml);
        free(md);
    }
    rc = 0;
done:
    ogem_solver_destroy(sv);
    free(mu); free(scratch); free(met);
    return rc;
}

/* ---- (c): escape ---------------------------------------------------------------- */

typedef struct esc_point {
    int d;
    double radius;
    long *steps;          /* per init, -1 censored */
    int R;
    long escaped;
    long q1, median, q3;  /* -1: undefined         */
    double seconds;
} esc_point;

static int run_escape(const paper_ctx *c, int d, double radius, esc_point *e, char *msg, size_t len)
{
    const int R = c->plan.esc_inits, n = 2;
    double w[2] = {0.5, 0.5}, *mu = malloc(sizeof(double) * (size_t)R * n * d), *loss = malloc(sizeof(double) * R);
    long *times = malloc(sizeof(long) * (size_t)R);
    double *surv = malloc(sizeof(double) * (size_t)R);
    memset(e, 0, sizeof *e);
    e->d = d; e->radius = radius; e->R = R;
    e->steps = malloc(sizeof(long) * (size_t)R);
    ogem_solver *sv = NULL;
    int rc = -1;
    if (!mu || !loss || !times || !surv || !e->steps) { snprintf(msg, len, "out of memory"); goto done; }
    sv = make_solver(c, d, n, w, R, msg, len);
    if (!sv) goto done;
    ogem_init_far(mu, 0, R, n, d, NULL, 1, radius, c->seed);
    ogem_solver_set_means(sv, mu);
    for (int r = 0; r < R; r++) e->steps[r] = -1;
    double start = cli_now();
    if (ogem_escape_run(sv, OGEM_UNTIL_DIST, 1.0, c->plan.esc_max_steps, e->steps, loss, NULL, NULL) != OGEM_OK) {
        snprintf(msg, len, "%s", ogem_solver_error(sv));
        goto done;
    }
    e->seconds = cli_now() - start;
    for (int r = 0; r < R; r++) e->escaped += e->steps[r] >= 0;
    long m = 0;
    ogem_status kst = ogem_km_curve(e->steps, R, times, surv, &m);
    if (kst != OGEM_OK) {
        snprintf(msg, len, "Kaplan-Meier curve: %s", ogem_status_string(kst));
        goto done;
    }
    e->q1 = ogem_km_quantile(times, surv, m, 0.25);
    e->median = ogem_km_quantile(times, surv, m, 0.5);
    e->q3 = ogem_km_quantile(times, surv, m, 0.75);
    rc = 0;
done:
    ogem_solver_destroy(sv);
    free(mu); free(loss); free(times); free(surv);
    return rc;
}

static fit escape_fit(const esc_point *e, int m, int against_dim)
{
    double x[64], y[64];
    int k = 0;
    for (int j = 0; j < m && k < 64; j++) {
        if (e[j].median < 0) continue;
        x[k] = against_dim ? e[j].d : e[j].radius * e[j].radius;
        y[k] = log((double)(e[j].median > 0 ? e[j].median : 1));
        k++;
    }
    fit f = {NAN, NAN, NAN, 0};
    f.points = ogem_linear_fit(x, y, k, &f.intercept, &f.slope, &f.r2);
    return f;
}

/* ---- writing ---------------------------------------------------------------------- */

static void put_q(FILE *f, long v)
{
    if (v >= 0) fprintf(f, "%ld", v);
}

static void write_escape_csv(FILE *f, FILE *fi, const esc_point *e, int m, int by_dim)
{
    fprintf(f, "%s,radius,radius2,inits,escaped,censored_fraction,q1,median,q3\n", by_dim ? "dim" : "d");
    fprintf(fi, "%s,radius,init,escape_step,censored\n", by_dim ? "dim" : "d");
    for (int j = 0; j < m; j++) {
        fprintf(f, "%d,%.17g,%.17g,%d,%ld,%.17g,", e[j].d, e[j].radius, e[j].radius * e[j].radius, e[j].R, e[j].escaped,
                1.0 - (double)e[j].escaped / e[j].R);
        put_q(f, e[j].q1); fputc(',', f); put_q(f, e[j].median); fputc(',', f); put_q(f, e[j].q3); fputc('\n', f);
        for (int r = 0; r < e[j].R; r++) {
            fprintf(fi, "%d,%.17g,%d,", e[j].d, e[j].radius, r);
            put_q(fi, e[j].steps[r]);
            fprintf(fi, ",%d\n", e[j].steps[r] < 0);
        }
    }
}

static void jw_fit(ogem_json_writer *w, const char *key, fit f)
{
    ogem_jw_begin_object(w, key);
    if (isfinite(f.slope)) {
        ogem_jw_double(w, "slope", f.slope);
        ogem_jw_double(w, "intercept", f.intercept);
        ogem_jw_double(w, "r2", f.r2);
    } else {
        ogem_jw_null(w, "slope");
        ogem_jw_null(w, "intercept");
        ogem_jw_null(w, "r2");
    }
    ogem_jw_int(w, "points", f.points);
    ogem_jw_end_object(w);
}

static void fmt_fit(char *buf, size_t len, fit f)
{
    if (isfinite(f.slope)) snprintf(buf, len, "%.3f", f.slope);
    else snprintf(buf, len, "n/a");
}

/* Directory of this executable, for the default plotter path. */
static char *exe_dir(void)
{
    char buf[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (k <= 0) return NULL;
    buf[k] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash) return NULL;
    *slash = '\0';
    return strdup(buf);
}

/* Runs `python3 PLOTTER DIR`; returns its exit status (127: not started). */
static int run_plotter(const char *plotter, const char *dir)
{
    pid_t pid = fork();
    if (pid < 0) return 127;
    if (pid == 0) {
        execlp("python3", "python3", plotter, dir, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) return 127;
    return WEXITSTATUS(status);
}

int cli_paper_main(int argc, char **argv)
{
    const char *value[PF_COUNT];
    unsigned char given[PF_COUNT];
    int pr = cli_parse_flags(CMD, paper_flags, PF_COUNT, argc, argv, value, given);
    if (pr == CLI_PARSE_HELP) {
        cli_print_help(stdout, "usage: ogem paper [FLAGS]",
                       "Reproduces the evidence for gradient EM on over-parameterized Gaussian mixtures:\n"
                       "(a) sublinear convergence for n = 2, 5, 10; (b) uneven weights slow it;\n"
                       "(c) escape steps from bad regions grow exponentially in the squared radius.\n"
                       "All runs use the exact (quadrature) estimator. Writes CSV, JSON, report.md and PNG figures.",
                       paper_flags, PF_COUNT,
                       "The default takes a few minutes on a 2-core CPU; --quick under a minute.");
        return CLI_EXIT_OK;
    }
    if (pr == CLI_PARSE_ERROR) return CLI_EXIT_USAGE;

    paper_ctx c;
    memset(&c, 0, sizeof c);
    c.t0 = cli_now();
    c.quiet = given[PF_QUIET];
    double scale = 1.0;
    int dev = 0;
    static const char *const devices[] = {"auto", "cpu", "gpu", NULL};
    if (cli_parse_double(CMD, "--scale", value[PF_SCALE], 1, &scale) ||
        cli_parse_choice(CMD, "--device", value[PF_DEVICE], devices, &dev) ||
        cli_parse_int(CMD, "--threads", value[PF_THREADS], 0, 4096, &c.threads) ||
        cli_parse_u64(CMD, "--seed", value[PF_SEED], &c.seed))
        return CLI_EXIT_USAGE;
    if (scale > 1e4) {
        cli_error(CMD, "--scale: %g is too large (at most 1e4)", scale);
        return CLI_EXIT_USAGE;
    }
    c.device = (ogem_device)dev;
    if (c.device == OGEM_DEVICE_GPU && ogem_gpu_count() == 0) {
        cli_error(CMD, "--device: gpu was requested but no usable CUDA device was found (use auto or cpu)");
        return CLI_EXIT_USAGE;
    }
    if (given[PF_QUICK]) {
        c.plan = (paper_plan){.conv_inits = 32, .conv_steps = 5000, .init_scale = 1.0, .esc_inits = 32,
                              .esc_max_steps = 50000, .r_lo = 3.0, .r_hi = 7.0, .r_step = 1.0,
                              .dims = {1, 2, 3, 4, 5, 6}, .n_dims = 6, .c_sqrt_d = 2.5};
    } else {
        c.plan = (paper_plan){.conv_inits = 256, .conv_steps = 50000, .init_scale = 1.0, .esc_inits = 256,
                              .esc_max_steps = 400000, .r_lo = 4.0, .r_hi = 9.0, .r_step = 0.5,
                              .dims = {2, 4, 6, 8, 10, 12}, .n_dims = 6, .c_sqrt_d = 2.5};
    }
    c.plan.conv_inits = (int)fmin(1e7, ceil(c.plan.conv_inits * scale));
    c.plan.esc_inits = (int)fmin(1e7, ceil(c.plan.esc_inits * scale));
    c.plan.conv_steps = (long)ceil(c.plan.conv_steps * scale);

    /* Resolve the plotter before any work, so a bad --plotter fails fast. */
    char *plotter = NULL;
    if (!given[PF_NO_PLOTS]) {
        if (given[PF_PLOTTER]) {
            if (access(value[PF_PLOTTER], R_OK) != 0) {
                cli_error(CMD, "--plotter: cannot read '%s': %s", value[PF_PLOTTER], strerror(errno));
                return CLI_EXIT_USAGE;
            }
            plotter = strdup(value[PF_PLOTTER]);
        } else {
            char *dir = exe_dir();
            const char *rel[] = {"/../tools/plot_paper.py", "/../../tools/plot_paper.py"};
            for (int j = 0; dir && j < 2 && !plotter; j++) {
                size_t L = strlen(dir) + strlen(rel[j]) + 1;
                char *cand = malloc(L);
                if (cand) {
                    snprintf(cand, L, "%s%s", dir, rel[j]);
                    if (access(cand, R_OK) == 0) plotter = cand;
                    else free(cand);
                }
            }
            free(dir);
        }
    }

    char msg[512] = "";
    ogem_outdir *od = ogem_outdir_open(value[PF_OUT], msg, sizeof msg);
    if (!od) {
        cli_error(CMD, "--out: %s", msg);
        free(plotter);
        return CLI_EXIT_USAGE;
    }
    int exit_code = CLI_EXIT_FAILURE;
    conv_result conv[N_SERIES];
    memset(conv, 0, sizeof conv);
    esc_point erad[64], edim[16];
    int n_rad = 0, n_dim = 0;
    memset(erad, 0, sizeof erad);
    memset(edim, 0, sizeof edim);

    {   /* which backend and precision the runs get (and the CPU-fallback notice) */
        ogem_solver_info info;
        double w2[2] = {0.5, 0.5};
        ogem_solver *probe = make_solver(&c, 1, 2, w2, 1, msg, sizeof msg);
        if (!probe) { cli_error(CMD, "%s", msg); goto out; }
        ogem_solver_get_info(probe, &info);
        cli_device_notice(CMD, c.device, probe, c.quiet);
        c.backend = info.backend;
        c.precision = info.precision;
        ogem_solver_destroy(probe);
    }
    /* (a), (b); panel b's equal-weight series is the same run as a's n = 5 */
    for (int j = 0; j < N_SERIES; j++) {
        if (SERIES[j].panel == 'b' && strcmp(SERIES[j].weights_text, "uniform") == 0) continue;
        progress(&c, "(%c) %s: %d inits, %ld gradient EM steps, exact", SERIES[j].panel, SERIES[j].name,
                 c.plan.conv_inits, c.plan.conv_steps);
        msg[0] = '\0';
        if (run_convergence(&c, &SERIES[j], &conv[j], msg, sizeof msg)) {
            if (msg[0]) cli_error(CMD, "%s", msg);   /* else the weights parser already said why */
            goto out;
        }
    }
    for (int j = 0; j < N_SERIES; j++)
        if (SERIES[j].panel == 'b' && strcmp(SERIES[j].weights_text, "uniform") == 0) {
            for (int q = 0; q < N_SERIES; q++)
                if (SERIES[q].panel == 'a' && SERIES[q].n == SERIES[j].n && SERIES[q].d == SERIES[j].d) {
                    conv[j] = conv[q];   /* shares steps and q: freed once, through conv[q] */
                }
        }
    /* (c) radius sweep, then dimension sweep */
    for (double r = c.plan.r_lo; r <= c.plan.r_hi + 1e-9 && n_rad < 64; r += c.plan.r_step) {
        progress(&c, "(c) radius %.2f: %d inits, at most %ld steps", r, c.plan.esc_inits, c.plan.esc_max_steps);
        if (run_escape(&c, 2, r, &erad[n_rad], msg, sizeof msg)) { cli_error(CMD, "%s", msg); goto out; }
        n_rad++;
    }
    for (int j = 0; j < c.plan.n_dims; j++) {
        double r = c.plan.c_sqrt_d * sqrt((double)c.plan.dims[j]);
        progress(&c, "(c) d = %d, radius %.3f: %d inits", c.plan.dims[j], r, c.plan.esc_inits);
        if (run_escape(&c, c.plan.dims[j], r, &edim[n_dim], msg, sizeof msg)) { cli_error(CMD, "%s", msg); goto out; }
        n_dim++;
    }
    fit frad = escape_fit(erad, n_rad, 0), fdim = escape_fit(edim, n_dim, 1);
    double total = cli_now() - c.t0;

    FILE *fc = ogem_outdir_create(od, "convergence.csv", msg, sizeof msg);
    FILE *fr = fc ? ogem_outdir_create(od, "escape_radius.csv", msg, sizeof msg) : NULL;
    FILE *fri = fr ? ogem_outdir_create(od, "escape_radius_inits.csv", msg, sizeof msg) : NULL;
    FILE *fd = fri ? ogem_outdir_create(od, "escape_dim.csv", msg, sizeof msg) : NULL;
    FILE *fdi = fd ? ogem_outdir_create(od, "escape_dim_inits.csv", msg, sizeof msg) : NULL;
    FILE *fs = fdi ? ogem_outdir_create(od, "summary.json", msg, sizeof msg) : NULL;
    FILE *fm = fs ? ogem_outdir_create(od, "report.md", msg, sizeof msg) : NULL;
    if (!fm) { cli_error(CMD, "--out: %s", msg); goto out; }

    fprintf(fc, "panel,series,n,d,weights,step,loss_q1,loss_median,loss_q3,dist_q1,dist_median,dist_q3\n");
    for (int j = 0; j < N_SERIES; j++)
        for (long q = 0; q < conv[j].m; q++) {
            const double *v = conv[j].q + 6 * q;
            fprintf(fc, "%c,%s,%d,%d,%s,%ld,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n", SERIES[j].panel, SERIES[j].name,
                    SERIES[j].n, SERIES[j].d, SERIES[j].weights_text, conv[j].steps[q], v[0], v[1], v[2], v[3], v[4], v[5]);
        }
    write_escape_csv(fr, fri, erad, n_rad, 0);
    write_escape_csv(fd, fdi, edim, n_dim, 1);

    char notes_a[256], notes_c[256];
    snprintf(notes_a, sizeof notes_a, "exact estimator (quadrature, no sampling); %d random inits mu_i ~ N(0, I); eta = 1; %s, %s",
             c.plan.conv_inits, c.backend, c.precision);
    snprintf(notes_c, sizeof notes_c, "exact estimator; n = 2, equal weights, one component at mu*, one at the radius; "
             "%d inits per point; censored at %ld steps", c.plan.esc_inits, c.plan.esc_max_steps);

    ogem_json_writer w;
    ogem_jw_init(&w);
    ogem_jw_begin_object(&w, NULL);
    ogem_jw_string(&w, "ogem_version", OGEM_VERSION);
    ogem_jw_string(&w, "backend", c.backend);
    ogem_jw_string(&w, "precision", c.precision);
    ogem_jw_string(&w, "estimator", "exact");
    ogem_jw_bool(&w, "quick", given[PF_QUICK]);
    ogem_jw_double(&w, "scale", scale);
    ogem_jw_uint(&w, "seed", c.seed);
    ogem_jw_double(&w, "wall_seconds", total);
    ogem_jw_begin_object(&w, "notes");
    ogem_jw_string(&w, "a", notes_a);
    ogem_jw_string(&w, "b", notes_a);
    ogem_jw_string(&w, "c", notes_c);
    ogem_jw_end_object(&w);
    ogem_jw_begin_array(&w, "convergence", 0);
    for (int j = 0; j < N_SERIES; j++) {
        ogem_jw_begin_object(&w, NULL);
        ogem_jw_string(&w, "panel", SERIES[j].panel == 'a' ? "a" : "b");
        ogem_jw_string(&w, "series", SERIES[j].name);
        ogem_jw_int(&w, "n", SERIES[j].n);
        ogem_jw_int(&w, "d", SERIES[j].d);
        ogem_jw_string(&w, "weights", SERIES[j].weights_text);
        ogem_jw_int(&w, "inits", c.plan.conv_inits);
        ogem_jw_int(&w, "steps", c.plan.conv_steps);
        ogem_jw_int(&w, "fit_from_step", c.plan.conv_steps / 100);
        jw_fit(&w, "loss_loglog", conv[j].loss_fit);
        jw_fit(&w, "dist_loglog", conv[j].dist_fit);
        ogem_jw_double(&w, "seconds", conv[j].seconds);
        ogem_jw_end_object(&w);
    }
    ogem_jw_end_array(&w);
    ogem_jw_begin_object(&w, "escape");
    jw_fit(&w, "radius", frad);
    jw_fit(&w, "dim", fdim);
    ogem_jw_double(&w, "radius_per_sqrt_dim", c.plan.c_sqrt_d);
    ogem_jw_int(&w, "inits", c.plan.esc_inits);
    ogem_jw_int(&w, "max_steps", c.plan.esc_max_steps);
    ogem_jw_end_object(&w);
    ogem_jw_end_object(&w);
    size_t jlen;
    const char *jtext = ogem_jw_text(&w, &jlen);
    if (!jtext) { ogem_jw_free(&w); cli_error(CMD, "out of memory writing summary.json"); goto out; }
    fwrite(jtext, 1, jlen, fs);
    fputc('\n', fs);
    ogem_jw_free(&w);

    /* report.md */
    fprintf(fm, "# ogem paper: gradient EM on over-parameterized Gaussian mixtures\n\n");
    fprintf(fm, "Backend **%s**, precision **%s**, estimator **exact** (deterministic quadrature in the span of the "
            "mean differences; absolute error <= 1e-12 per expectation), %s sizes (scale %g), seed %llu, "
            "wall time %.1f s, ogem %s.\n\n", c.backend, c.precision, given[PF_QUICK] ? "quick" : "default", scale,
            (unsigned long long)c.seed, total, OGEM_VERSION);
    fprintf(fm, "## (a), (b) Convergence rates\n\n");
    fprintf(fm, "Truth N(0, I_d); gradient EM with eta = 1 from %d random initializations mu_i ~ N(0, I) per series, "
            "%ld steps. Slopes are least-squares fits of log(median over inits) against log t over the last two "
            "decades, t in [%ld, %ld]. The theory predicts -2 for the loss and -1/2 for the distance.\n\n",
            c.plan.conv_inits, c.plan.conv_steps, c.plan.conv_steps / 100, c.plan.conv_steps);
    fprintf(fm, "| panel | series | n | d | weights | slope of L | slope of max_i dist | R^2 (L) | time (s) |\n");
    fprintf(fm, "|---|---|---|---|---|---|---|---|---|\n");
    for (int j = 0; j < N_SERIES; j++) {
        char a[32], b[32];
        fmt_fit(a, sizeof a, conv[j].loss_fit);
        fmt_fit(b, sizeof b, conv[j].dist_fit);
        fprintf(fm, "| %c | %s | %d | %d | %s | %s | %s | %.4f | %.1f |\n", SERIES[j].panel, SERIES[j].name, SERIES[j].n,
                SERIES[j].d, SERIES[j].weights_text, a, b, conv[j].loss_fit.r2, conv[j].seconds);
    }
    fprintf(fm, "\nFinal median loss per series: ");
    for (int j = 0; j < N_SERIES; j++)
        if (conv[j].m) fprintf(fm, "%s%s = %.3g", j ? ", " : "", SERIES[j].name, conv[j].q[6 * (conv[j].m - 1) + 1]);
    fprintf(fm, ".\n\n## (c) Escape from bad regions\n\n");
    fprintf(fm, "n = 2, equal weights, gradient EM with eta = 1; one component at mu*, the other at the given radius "
            "in a random direction; escape = first step with max_i |mu_i - mu*| <= 1; censored at %ld steps; %d "
            "initializations per point. In exact mode the initializations of one preset are rotations of each "
            "other, so their escape steps coincide (a check of rotation invariance); the quartiles show it.\n\n",
            c.plan.esc_max_steps, c.plan.esc_inits);
    fprintf(fm, "| fit | growth exponent | intercept | R^2 | points |\n|---|---|---|---|---|\n");
    fprintf(fm, "| log(median steps) vs radius^2 | %.4f | %.3f | %.5f | %d |\n", frad.slope, frad.intercept, frad.r2, frad.points);
    fprintf(fm, "| log(median steps) vs d (radius %.2f sqrt(d)) | %.4f | %.3f | %.5f | %d |\n\n", c.plan.c_sqrt_d,
            fdim.slope, fdim.intercept, fdim.r2, fdim.points);
    fprintf(fm, "For orientation, steps growing like exp(a^2/8) would give an exponent of 0.125 against a^2 and "
            "%.3f against d.\n\n", c.plan.c_sqrt_d * c.plan.c_sqrt_d / 8);
    fprintf(fm, "| radius | median escape step | censored fraction | time (s) |\n|---|---|---|---|\n");
    for (int j = 0; j < n_rad; j++)
        fprintf(fm, "| %.2f | %ld | %.2f | %.2f |\n", erad[j].radius, erad[j].median,
                1.0 - (double)erad[j].escaped / erad[j].R, erad[j].seconds);
    fprintf(fm, "\n| d | radius | median escape step | censored fraction | time (s) |\n|---|---|---|---|---|\n");
    for (int j = 0; j < n_dim; j++)
        fprintf(fm, "| %d | %.3f | %ld | %.2f | %.2f |\n", edim[j].d, edim[j].radius, edim[j].median,
                1.0 - (double)edim[j].escaped / edim[j].R, edim[j].seconds);
    fprintf(fm, "\n## Figures\n\n(Made by tools/plot_paper.py when matplotlib is installed.)\n\n![convergence](fig_convergence.png)\n\n![weights](fig_weights.png)\n\n"
            "![escape](fig_escape.png)\n\nData behind every panel: convergence.csv, escape_radius.csv, "
            "escape_radius_inits.csv, escape_dim.csv, escape_dim_inits.csv, summary.json.\n");

    if (ogem_outdir_commit(od, msg, sizeof msg)) {
        od = NULL;
        cli_error(CMD, "--out: %s", msg);
        goto out;
    }
    od = NULL;
    exit_code = CLI_EXIT_OK;

    /* Figures come last, from the committed data; their absence is reported, not fatal. */
    if (given[PF_NO_PLOTS]) {
        progress(&c, "figures skipped (--no-plots)");
    } else if (!plotter) {
        fprintf(stderr, "ogem paper: no figures: tools/plot_paper.py not found (give --plotter PATH)\n");
    } else {
        int st = run_plotter(plotter, value[PF_OUT]);
        if (st == 3) fprintf(stderr, "ogem paper: no figures: matplotlib is not installed (python3 -m pip install matplotlib)\n");
        else if (st != 0) fprintf(stderr, "ogem paper: no figures: the plotter failed (exit %d)\n", st);
        else progress(&c, "figures written");
    }
    printf("ogem paper: %s in %.1f s (%s, %s)\n", value[PF_OUT], cli_now() - c.t0, c.backend, c.precision);
    for (int j = 0; j < N_SERIES; j++)
        printf("  (%c) %-16s slope of L %7.3f, of distance %7.3f\n", SERIES[j].panel, SERIES[j].name,
               conv[j].loss_fit.slope, conv[j].dist_fit.slope);
    printf("  (c) escape growth: %.4f per unit radius^2 (R^2 %.4f), %.4f per dimension (R^2 %.4f)\n", frad.slope,
           frad.r2, fdim.slope, fdim.r2);
out:
    if (od) ogem_outdir_abort(od);
    for (int j = 0; j < N_SERIES; j++) {
        int shared = 0;
        for (int q = 0; q < j; q++) shared |= conv[q].steps == conv[j].steps;
        if (!shared) { free(conv[j].steps); free(conv[j].q); }
    }
    for (int j = 0; j < n_rad; j++) free(erad[j].steps);
    for (int j = 0; j < n_dim; j++) free(edim[j].steps);
    free(plotter);
    return exit_code;
}
