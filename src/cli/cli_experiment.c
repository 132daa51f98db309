/*
 * cli_experiment.c - `ogem experiment NAME`: the follow-up experiments of a
 * mixture truth and learned weights, end to end.
 *
 *   floor       finite-sample EM: the symmetric model of Dwivedi et al. (2020),
 *               pi_1 N(theta, I) + pi_2 N(-theta, I) (--symmetric), fitted to
 *               N(0, I_2) on a fixed sample of N points (fixed:N),
 *               N = 10^2 .. 10^6; the final distance against N with fitted
 *               log-log slopes, for equal and unequal weights (they find
 *               N^-1/4 and N^-1/2);
 *   separation  n = 10 components with learned weights, started at truth
 *               draws, against 0.3 N(+s/2 e1, I) + 0.7 N(-s/2 e1, I): s = 6 in
 *               d = 10 (fits both) and d = 500 (underfits), then d = 10^6 with
 *               s = d^0.45 against s = 10 sqrt(d);
 *   recovery    m = 3..5 separated components, n = ceil(c m ln m) components
 *               started at truth draws, EM with learned weights: the fraction
 *               of the initializations that recovers every truth component,
 *               against c.
 *   all         the three, into one directory.
 *
 * Each run is what `ogem run` would do with the same settings: its options
 * are built from flag texts by cli_run_opts_build (so every validation is
 * shared), its solver by cli_solver_open, its steps by cli_run_steps. Outputs
 * (written atomically by cli_experiment_report.c into --out, then figures by
 * tools/plot_experiment.py when matplotlib is available): floor.csv,
 * floor_samples.csv, separation.csv, separation_traj.csv, recovery.csv,
 * recovery_inits.csv (those of the experiments run), summary.json, report.md,
 * fig_*.png.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "cli/cli_datadir.h"
#include "cli/cli_experiment.h"
#include "cli/cli_experiment_report.h"
#include "cli/cli_progress.h"
#include "cli/cli_run.h"
#include "cli/cli_solver.h"
#include "cli/cli_stats.h"
#include "cli/cli_stop.h"
#include "cli/cli_study.h"
#include "util/outdir.h"
#include "ogem/ogem.h"

static const char CMD[] = "experiment";
static const char SCRIPT[] = "plot_experiment.py";

/* What the experiments return when a signal asked them to stop. */
enum { XP_STOPPED = 1 };

enum { XF_OUT, XF_QUICK, XF_DEVICE, XF_THREADS, XF_SEED, XF_NO_PLOTS, XF_PLOTTER, XF_QUIET, XF_COUNT };
static const cli_flag xp_flags[XF_COUNT] = {
    {"--out", CLI_FLAG_VALUE, "DIR", "ogem-experiment", "output directory (created; files replaced atomically)"},
    {"--quick", CLI_FLAG_SWITCH, NULL, NULL, "small sizes: about a minute on a 2-core CPU"},
    {"--device", CLI_FLAG_VALUE, "auto|cpu|gpu", "auto", "where to compute"},
    {"--threads", CLI_FLAG_VALUE, "N", "0", "CPU threads (0: all cores)"},
    {"--seed", CLI_FLAG_VALUE, "S", "0", "first seed: the runs use S, S+1, ..."},
    {"--no-plots", CLI_FLAG_SWITCH, NULL, NULL, "write data and report only"},
    {"--plotter", CLI_FLAG_VALUE, "PATH", NULL, "plotting script (default: plot_experiment.py in " CLI_DATA_FILE_PLACES ")"},
    {"--quiet", CLI_FLAG_SWITCH, NULL, NULL, "no progress lines on stderr"},
};

static const char *const NAMES[] = {"floor", "separation", "recovery", "all", NULL};
enum { NAME_FLOOR, NAME_SEPARATION, NAME_RECOVERY, NAME_ALL };

typedef struct xp {
    const char *const *value;   /* experiment's flags                             */
    int quick, quiet;
    uint64_t seed;
    double t0;
    cli_xp_floor floor;
    cli_xp_sep sep;
    cli_xp_rec rec;
} xp;

static void progress(const xp *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void progress(const xp *c, const char *fmt, ...)
{
    if (c->quiet) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[experiment %6.1fs] ", cli_now() - c->t0);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int no_memory(void)
{
    cli_error(CMD, "out of memory");
    return -1;
}

/* ---- one batch of runs, as `ogem run` would make it ------------------------------------ */

typedef struct xp_batch {
    cli_run_opts o;
    ogem_solver *sv;
    ogem_metrics *met;          /* R: at the last step once xp_steps returned 0   */
    double seconds;
} xp_batch;

/* `ogem run` with experiment's --device, --threads and --out (labelled with
 * their names), its --quiet, and the settings the experiment fixes (name,
 * text pairs, NULL-terminated); the solver at the initial means. 0, or -1
 * after the one line. */
static int xp_open(const xp *c, const char *const *fixed, xp_batch *b)
{
    const char *const mine[] = { "--device", c->value[XF_DEVICE], "--threads", c->value[XF_THREADS],
                                 "--out", c->value[XF_OUT], NULL };
    const char *value[RF_COUNT], *label[RF_COUNT];
    memset(b, 0, sizeof *b);
    cli_flag_fill(cli_run_flags, RF_COUNT, mine, fixed, value, label);
    value[RF_QUIET] = c->quiet ? "1" : NULL;
    if (cli_run_opts_build(CMD, value, label, &b->o) != 0) return -1;
    b->met = malloc(sizeof *b->met * (size_t)b->o.inits);
    if (!b->met) return no_memory();
    return cli_solver_open(CMD, &b->o, NULL, &b->sv) != 0 ? -1 : 0;
}

/* The settings of one batch that the experiments vary; the rest are
 * `ogem run`'s defaults. */
typedef struct xp_spec {
    int d, n;
    long inits, steps;
    const char *weights;        /* --weights                                      */
    const char *truth;          /* --truth text, or NULL (N(0, I))                */
    int learn;                  /* --learn-weights                                */
    int symmetric;              /* --symmetric                                    */
    const char *algo;
    double eta;
    const char *estimator;      /* mc:N, fixed:N                                  */
    int subspace;
    const char *init;
    uint64_t seed;
    const char *log;            /* --log, or NULL: the first and last steps only  */
} xp_spec;

/* xp_open for the flag texts of sp (--trace-inits 0: the experiments read the
 * metrics and means themselves). */
static int xp_open_spec(const xp *c, const xp_spec *sp, xp_batch *b)
{
    char dim[16], comps[16], R[24], T[24], eta[40], seed[24], log[40];
    snprintf(dim, sizeof dim, "%d", sp->d);
    snprintf(comps, sizeof comps, "%d", sp->n);
    snprintf(R, sizeof R, "%ld", sp->inits);
    snprintf(T, sizeof T, "%ld", sp->steps);
    snprintf(eta, sizeof eta, "%.17g", sp->eta);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)sp->seed);
    snprintf(log, sizeof log, "every:%ld", sp->steps > 0 ? sp->steps : 1);
    const char *fixed[40] = { "--dim", dim, "--components", comps, "--weights", sp->weights, "--inits", R,
                              "--steps", T, "--algo", sp->algo, "--eta", eta, "--estimator", sp->estimator,
                              "--init", sp->init, "--seed", seed, "--log", sp->log ? sp->log : log,
                              "--trace-inits", "0" };
    int k = 24;
    if (sp->truth) {
        fixed[k++] = "--truth";
        fixed[k++] = sp->truth;
    }
    if (sp->learn) {
        fixed[k++] = "--learn-weights";
        fixed[k++] = "1";
    }
    if (sp->subspace) {
        fixed[k++] = "--subspace";
        fixed[k++] = "1";
    }
    if (sp->symmetric) {
        fixed[k++] = "--symmetric";
        fixed[k++] = "1";
    }
    fixed[k] = NULL;
    return xp_open(c, fixed, b);
}

static void no_log(void *user, long t, const ogem_metrics *m)
{
    (void)user;
    (void)t;
    (void)m;
}

/* The batch's steps (log at its logged steps, may be NULL). 0, -1 after the
 * one line, or XP_STOPPED. */
static int xp_steps(xp_batch *b, cli_run_log_fn log, void *user)
{
    const double t0 = cli_now();
    long t;
    ogem_status st = cli_run_steps(NULL, &b->o, b->sv, b->met, log ? log : no_log, user, &t);
    if (st != OGEM_OK) {
        cli_library_error(CMD, &b->o, NULL, NULL, cli_solver_message(b->sv, st));
        return -1;
    }
    if (cli_stop_requested()) return XP_STOPPED;
    b->seconds = cli_now() - t0;
    return 0;
}

/* A failed ogem_solver_get_means / get_weights (never expected of a solver
 * that has just stepped). */
static int read_failed(const ogem_solver *sv)
{
    cli_error(CMD, "reading the solver's means or weights failed: %s", ogem_solver_error(sv));
    return -1;
}

static void xp_batch_free(xp_batch *b)
{
    ogem_solver_destroy(b->sv);
    free(b->met);
    cli_run_opts_free(&b->o);
    memset(b, 0, sizeof *b);
}

/* The --truth text of m components of dimension d (weights w, means m x d),
 * every number with %.17g: malloc'd, NULL when out of memory. */
static char *truth_text(int m, int d, const double *w, const double *means)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    for (int j = 0; j < m; j++) {
        fprintf(f, "%s%.17g:", j ? ";" : "", w[j]);
        for (int k = 0; k < d; k++) {
            const double v = means[(size_t)j * (size_t)d + (size_t)k];
            if (v == 0) fputs(k ? ",0" : "0", f); /* most coordinates: keeps d = 10^6 texts short */
            else fprintf(f, "%s%.17g", k ? "," : "", v);
        }
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* The model weight in each truth component's Voronoi cell (cell[j]: the sum of
 * pi_i over the i whose nearest truth mean is j; ties to the lowest j). */
static void voronoi_cells(int n, int d, const double *mu, const double *pi, int m, const double *truth, double *cell)
{
    for (int j = 0; j < m; j++) cell[j] = 0;
    for (int i = 0; i < n; i++) {
        int best = 0;
        double best_d2 = INFINITY;
        for (int j = 0; j < m; j++) {
            double d2 = 0;
            for (int k = 0; k < d; k++) {
                const double e = mu[(size_t)i * (size_t)d + (size_t)k] - truth[(size_t)j * (size_t)d + (size_t)k];
                d2 += e * e;
            }
            if (d2 < best_d2) {
                best_d2 = d2;
                best = j;
            }
        }
        cell[best] += pi[i];
    }
}

/* ---- floor ------------------------------------------------------------------------------- */

/* EM on a fixed sample converges geometrically once the sample's own
 * (non-degenerate) fixed point is near; from mu_i ~ N(0, I) the over-
 * specified approach takes about sqrt(N) steps (the population recursion
 * theta <- theta (1 - theta^2) reaches N^-1/4 in ~ sqrt(N) / 2 steps).
 * Measured at N = 10^4 (one sample): 100, 300 and 1000 steps leave the
 * distance 4e-3, 2e-5 and 1e-9 above its value after 10^4 steps (0.1000),
 * against a spread between samples of about 0.05. So sqrt(N) steps: a bias
 * of at most ~4% at every N, which moves a slope over four decades by less
 * than 0.005, and the N = 10^6 samples (the cost: N^1.5) stay affordable. */
static long floor_steps(long N)
{
    const long t = (long)ceil(sqrt((double)N));
    return t > 100 ? t : 100;
}

static int floor_experiment(xp *c)
{
    cli_xp_floor *f = &c->floor;
    f->d = 2;
    f->n = 2;
    f->inits = 2;
    f->seeds = c->quick ? 3 : 5;
    f->G = c->quick ? 5 : 9; /* N = 10^(2 + g/2) */
    f->weights[0] = "0.5,0.5";
    f->weights[1] = "0.3,0.7";
    const size_t cells = (size_t)CLI_XP_FLOOR_WEIGHTINGS * (size_t)f->G;
    f->sizes = malloc(sizeof(long) * (size_t)f->G);
    f->steps = malloc(sizeof(long) * (size_t)f->G);
    f->dist = malloc(sizeof(double) * cells * (size_t)f->seeds);
    f->update = malloc(sizeof(double) * cells * (size_t)f->seeds);
    f->seconds = calloc(cells, sizeof(double));
    if (!f->sizes || !f->steps || !f->dist || !f->update || !f->seconds) return no_memory();
    for (int g = 0; g < f->G; g++) {
        f->sizes[g] = lround(pow(10.0, 2.0 + 0.5 * g));
        f->steps[g] = floor_steps(f->sizes[g]);
    }
    for (int w = 0; w < CLI_XP_FLOOR_WEIGHTINGS; w++)
        for (int g = 0; g < f->G; g++) {
            progress(c, "floor: weights %s, N = %ld: %d samples x %d inits, %ld EM steps", f->weights[w],
                     f->sizes[g], f->seeds, f->inits, f->steps[g]);
            for (int s = 0; s < f->seeds; s++) {
                if (cli_stop_requested()) return XP_STOPPED;
                char est[40];
                snprintf(est, sizeof est, "fixed:%ld", f->sizes[g]);
                const xp_spec sp = { .d = f->d, .n = f->n, .inits = f->inits, .steps = f->steps[g],
                                     .weights = f->weights[w], .algo = "em", .eta = 1, .estimator = est,
                                     .symmetric = 1,
                                     .init = "random:1", .seed = c->seed + (uint64_t)s };
                xp_batch b;
                int rc = xp_open_spec(c, &sp, &b);
                if (rc == 0) rc = xp_steps(&b, NULL, NULL);
                if (rc == 0) {
                    double scratch[64], q[5];
                    const size_t at = ((size_t)w * (size_t)f->G + (size_t)g) * (size_t)f->seeds + (size_t)s;
                    cli_metric_quantiles(b.met, b.o.inits, CLI_METRIC_MAX_DIST, scratch, q);
                    f->dist[at] = q[2];
                    cli_metric_quantiles(b.met, b.o.inits, CLI_METRIC_UPDATE_NORM, scratch, q);
                    f->update[at] = q[2];
                    f->seconds[(size_t)w * (size_t)f->G + (size_t)g] += b.seconds;
                }
                xp_batch_free(&b);
                if (rc != 0) return rc;
            }
        }
    return cli_xp_floor_summarize(f) == 0 ? 0 : no_memory();
}

/* ---- separation -------------------------------------------------------------------------- */

typedef struct sep_trace {
    cli_xp_sep_run *run;
    ogem_solver *sv;
    int dim;                    /* the run's dimension (run->run_dim)              */
    const double *u;            /* e_1 in the run's coordinates (dim)             */
    double a;                   /* e_1's coordinate of the run's origin           */
    double *mu, *pi;            /* n x dim, n (R = 1)                             */
    int failed;
} sep_trace;

/* Appends the solver's current means and weights, projected, to the run's
 * trajectory; the step is the solver's (the means after the logged step's
 * update, at the last step the final ones). With mu = origin + r, r in the
 * run's coordinates: x = mu_1 = a + <u, r>, y = |mu_2..d| = |r - <u, r> u|
 * (the origin lies on the e_1 axis: 0, or mu*_1 = s/2 e_1 after a reduction). */
static void sep_record(sep_trace *tr)
{
    cli_xp_sep_run *run = tr->run;
    const int n = run->n, d = tr->dim;
    if (ogem_solver_get_means(tr->sv, tr->mu) != OGEM_OK || ogem_solver_get_weights(tr->sv, tr->pi) != OGEM_OK) {
        tr->failed = 1;
        return;
    }
    double *row = run->traj + (size_t)run->n_traj * (size_t)n * 3;
    for (int i = 0; i < n; i++) {
        const double *r = tr->mu + (size_t)i * (size_t)d;
        double t = 0, y2 = 0;
        for (int k = 0; k < d; k++) t += tr->u[k] * r[k];
        for (int k = 0; k < d; k++) y2 += (r[k] - t * tr->u[k]) * (r[k] - t * tr->u[k]);
        row[3 * i] = tr->a + t;
        row[3 * i + 1] = sqrt(y2);
        row[3 * i + 2] = tr->pi[i];
    }
    run->traj_step[run->n_traj++] = ogem_solver_step_index(tr->sv);
}

static void sep_log(void *user, long t, const ogem_metrics *m)
{
    (void)t;
    (void)m;
    sep_record(user);
}

/* The problem of one separation run: its truth (2 x dim: weights 0.3 at
 * +s/2 e_1, 0.7 at -s/2 e_1), the e_1 frame of sep_record, and with reduce the
 * initial means. Without reduce dim = d and the CLI's --init truth-sample
 * draws the means. With reduce the means are drawn in d dimensions
 * (ogem_init_truth_sample: the draw --init truth-sample:S makes for init 0)
 * and the run moves to the k <= n + 1 dimensions of span{mu_i - mu*_1,
 * mu*_2 - mu*_1} (ogem_reduce_to_span; mu*_1 at the origin), where the same
 * run costs what k dimensions cost: x and y, distances and cells are the
 * same in both coordinates. */
typedef struct sep_problem {
    int dim;
    double *truth, *u, *mu0;    /* 2 x dim, dim, n x dim (reduce only)            */
    double a;
} sep_problem;

static int sep_problem_make(const cli_xp_sep *x, const cli_xp_sep_run *run, int reduce, sep_problem *p)
{
    const int d = run->d, n = run->n, K = n + 1;
    const double w[2] = { 0.3, 0.7 }, s = run->separation;
    memset(p, 0, sizeof *p);
    double *full = calloc((size_t)2 * (size_t)d, sizeof(double));
    if (!full) return no_memory();
    full[0] = s / 2;
    full[d] = -s / 2;
    if (!reduce) {
        p->dim = d;
        p->truth = full;
        p->u = calloc((size_t)d, sizeof(double));
        if (!p->u) return no_memory();
        p->u[0] = 1;
        return 0;
    }
    double *mu = malloc(sizeof(double) * (size_t)n * (size_t)d);
    p->dim = K;
    p->truth = calloc((size_t)2 * (size_t)K, sizeof(double));
    p->u = calloc((size_t)K, sizeof(double));
    p->mu0 = calloc((size_t)n * (size_t)K, sizeof(double));
    int rc = mu && p->truth && p->u && p->mu0 ? 0 : no_memory();
    if (rc == 0 && ogem_init_truth_sample(mu, 0, 1, n, d, 2, w, full, NULL, x->init_noise, run->seed) != OGEM_OK) {
        cli_error(CMD, "separation: the truth-sample initialization in d = %d failed", d);
        rc = -1;
    }
    if (rc == 0 && ogem_reduce_to_span(n, d, mu, 2, full, K, p->mu0, p->truth) < 0) rc = no_memory();
    if (rc == 0) {
        /* mu*_1 - mu*_2 = s e_1, so e_1 = (truth_1 - truth_2) / s here, and the
         * origin mu*_1 has e_1-coordinate s/2 */
        for (int k = 0; k < K; k++) p->u[k] = (p->truth[k] - p->truth[K + k]) / s;
        p->a = s / 2;
    }
    free(mu);
    free(full);
    return rc;
}

static void sep_problem_free(sep_problem *p)
{
    free(p->truth);
    free(p->u);
    free(p->mu0);
    memset(p, 0, sizeof *p);
}

/* One run of the separation experiment (run's d, n, seed, separation and
 * steps set): trajectory, final cells and verdicts. 0, -1 after the one line,
 * or XP_STOPPED. */
static int sep_run(const xp *c, cli_xp_sep_run *run, int reduce)
{
    const cli_xp_sep *x = &c->sep;
    const int n = run->n;
    const double w[2] = { 0.3, 0.7 };
    sep_problem pb;
    xp_batch b;
    memset(&b, 0, sizeof b);
    int rc = sep_problem_make(x, run, reduce, &pb);
    const int d = pb.dim;
    run->run_dim = d;
    char *spec = rc == 0 ? truth_text(2, d, w, pb.truth) : NULL;
    if (rc == 0 && !spec) rc = no_memory();
    char est[40], init[48];
    snprintf(est, sizeof est, "mc:%ld", x->samples);
    snprintf(init, sizeof init, "truth-sample:%.17g", x->init_noise);
    const xp_spec sp = { .d = d, .n = n, .inits = 1, .steps = run->steps, .weights = "uniform", .truth = spec,
                         .learn = 1, .algo = "gem", .eta = x->eta, .estimator = est, .subspace = 1, .init = init,
                         .seed = run->seed, .log = "log:10" };
    sep_trace tr = { run, NULL, d, pb.u, pb.a, NULL, NULL, 0 };
    if (rc == 0) rc = xp_open_spec(c, &sp, &b);
    free(spec);
    if (rc == 0 && pb.mu0) {
        ogem_status st = ogem_solver_set_means(b.sv, pb.mu0);
        if (st != OGEM_OK) {
            cli_library_error(CMD, &b.o, NULL, NULL, cli_solver_message(b.sv, st));
            rc = -1;
        }
    }
    if (rc == 0) {
        tr.sv = b.sv;
        tr.mu = malloc(sizeof(double) * (size_t)n * (size_t)d);
        tr.pi = malloc(sizeof(double) * (size_t)n);
        run->traj_step = malloc(sizeof(long) * (size_t)(b.o.n_log_steps + 1));
        run->traj = malloc(sizeof(double) * 3 * (size_t)n * (size_t)(b.o.n_log_steps + 1));
        if (!tr.mu || !tr.pi || !run->traj_step || !run->traj) rc = no_memory();
    }
    if (rc == 0) {
        sep_record(&tr); /* the initial means */
        rc = xp_steps(&b, sep_log, &tr);
    }
    if (rc == 0 && tr.failed) rc = read_failed(b.sv);
    if (rc == 0) {
        /* sep_record left the final means and weights in tr */
        voronoi_cells(n, d, tr.mu, tr.pi, 2, pb.truth, run->cell);
        ogem_mixture_match(n, d, tr.mu, tr.pi, 2, pb.truth, w, x->fit_radius, run->near, NULL);
        run->max_weight = 0;
        for (int i = 0; i < n; i++) run->max_weight = fmax(run->max_weight, tr.pi[i]);
        run->cover_dist = b.met[0].cover_dist;
        run->voronoi = b.met[0].voronoi;
        run->fits = 1;
        for (int j = 0; j < 2; j++)
            if (!(fabs(run->cell[j] - w[j]) <= x->fit_tol && run->near[j] <= x->fit_radius)) run->fits = 0;
        run->underfits = fmax(run->cell[0], run->cell[1]) >= x->underfit_mass;
        run->seconds = b.seconds;
    }
    free(tr.mu);
    free(tr.pi);
    sep_problem_free(&pb);
    xp_batch_free(&b);
    return rc;
}

/* The separation runs, three seeds each (--quick: one), all the steps: d = 10 and d = 500 at
 * s = 6 (the truth), computed in d dimensions with --subspace; then
 * d = 10^6 at s = d^0.45 and at s = 10 sqrt(d), reduced to the span of the
 * initial means and the truth (sep_problem_make): in d = 10^6 itself a
 * subspace step costs O(d K^2) on the host (the basis of the span and the
 * projections, measured 0.19 s per step at d = 10^5), the reduced run what
 * d = 11 costs, after O((n + m)^2 d) once. */
static int separation_experiment(xp *c)
{
    cli_xp_sep *x = &c->sep;
    x->eta = 0.05;
    x->init_noise = 1;
    x->samples = 4096;
    x->fit_tol = 0.1;
    x->fit_radius = 1;
    x->underfit_mass = 0.9;
    x->high_d_exponent = 0.45;
    x->high_d_factor = 10;
    const long steps = c->quick ? 500 : 2000;
    const struct { const char *group; int d, kind; } plan[] = {
        { "low-d", 10, 0 }, { "low-d", 500, 0 }, { "high-d", 1000000, 1 }, { "high-d", 1000000, 2 },
    };
    enum { N_PLAN = sizeof plan / sizeof plan[0] };
    const int seeds = c->quick ? 1 : 3;
    x->n_runs = N_PLAN * seeds;
    x->runs = calloc((size_t)x->n_runs, sizeof *x->runs);
    if (!x->runs) return no_memory();
    int k = 0;
    for (int g = 0; g < N_PLAN; g++)
        for (int s = 0; s < seeds; s++, k++) {
            cli_xp_sep_run *run = &x->runs[k];
            const double d = plan[g].d;
            run->group = plan[g].group;
            run->d = plan[g].d;
            run->n = 10;
            run->seed = c->seed + (uint64_t)s;
            run->steps = steps;
            run->reduced = plan[g].kind != 0;
            if (plan[g].kind == 0) {
                run->separation = 6;
                snprintf(run->label, sizeof run->label, "d=%d, s=6", run->d);
            } else if (plan[g].kind == 1) {
                run->separation = pow(d, x->high_d_exponent);
                snprintf(run->label, sizeof run->label, "d=%d, s=d^%.2f", run->d, x->high_d_exponent);
            } else {
                run->separation = x->high_d_factor * sqrt(d);
                snprintf(run->label, sizeof run->label, "d=%d, s=%g sqrt(d)", run->d, x->high_d_factor);
            }
        }
    for (k = 0; k < x->n_runs; k++) {
        if (cli_stop_requested()) return XP_STOPPED;
        cli_xp_sep_run *run = &x->runs[k];
        progress(c, "separation: %s (separation %.4g), seed %llu: n = %d, learned weights, %ld steps", run->label,
                 run->separation, (unsigned long long)run->seed, run->n, run->steps);
        int rc = sep_run(c, run, run->reduced);
        if (rc != 0) return rc;
    }
    return 0;
}

/* ---- recovery ---------------------------------------------------------------------------- */

/* m truth components of equal weight on a circle in d = 2 whose neighbours
 * are `separation` apart: means (m x 2) and weights (m). */
static void circle_truth(int m, double separation, double *means, double *w)
{
    const double pi = 3.14159265358979323846, r = separation / 2 / sin(pi / m);
    for (int j = 0; j < m; j++) {
        means[2 * j] = r * cos(2 * pi * j / m);
        means[2 * j + 1] = r * sin(2 * pi * j / m);
        w[j] = 1.0 / m;
    }
}

/* One (m, c) point: R inits of n = ceil(c m ln m) components, EM with learned
 * weights from truth draws. An init recovers the truth when every truth
 * component j holds model weight >= mass_frac w_j within radius of mu*_j; it
 * covered the truth at the start when every truth component's Voronoi cell
 * held an initial mean (what n uniform draws do with probability coupon). */
static int rec_point(const xp *c, cli_xp_rec_point *pt)
{
    const cli_xp_rec *x = &c->rec;
    const int m = pt->m, n = pt->n, d = x->d;
    double truth[2 * 8], w[8], mass[8], cell[8];
    circle_truth(m, x->separation, truth, w);
    char *spec = truth_text(m, d, w, truth);
    char est[40];
    snprintf(est, sizeof est, "mc:%ld", x->samples);
    const xp_spec sp = { .d = d, .n = n, .inits = pt->inits, .steps = x->steps, .weights = "uniform", .truth = spec,
                         .learn = 1, .algo = "em", .eta = 1, .estimator = est, .init = "truth-sample",
                         .seed = c->seed };
    const size_t rn = (size_t)pt->inits * (size_t)n;
    double *mu = malloc(sizeof(double) * rn * (size_t)d), *pi = malloc(sizeof(double) * rn);
    double *ones = malloc(sizeof(double) * (size_t)n);
    pt->rec = calloc((size_t)pt->inits, 1);
    pt->cov = calloc((size_t)pt->inits, 1);
    pt->cover_dist = calloc((size_t)pt->inits, sizeof(double));
    xp_batch b;
    memset(&b, 0, sizeof b);
    int rc = spec && mu && pi && ones && pt->rec && pt->cov && pt->cover_dist ? 0 : no_memory();
    if (rc == 0) rc = xp_open_spec(c, &sp, &b);
    free(spec); /* the options keep their canonical copy */
    if (rc == 0 && ogem_solver_get_means(b.sv, mu) != OGEM_OK) rc = read_failed(b.sv);
    if (rc == 0) {
        for (int i = 0; i < n; i++) ones[i] = 1;
        for (long r = 0; r < pt->inits; r++) {
            voronoi_cells(n, d, mu + (size_t)r * (size_t)n * (size_t)d, ones, m, truth, cell);
            pt->cov[r] = 1;
            for (int j = 0; j < m; j++)
                if (cell[j] == 0) pt->cov[r] = 0;
        }
        rc = xp_steps(&b, NULL, NULL);
    }
    if (rc == 0 && (ogem_solver_get_means(b.sv, mu) != OGEM_OK || ogem_solver_get_weights(b.sv, pi) != OGEM_OK))
        rc = read_failed(b.sv);
    if (rc == 0) {
        long nrec = 0, ncov = 0;
        for (long r = 0; r < pt->inits; r++) {
            ogem_mixture_match(n, d, mu + (size_t)r * (size_t)n * (size_t)d, pi + (size_t)r * (size_t)n, m, truth, w,
                               x->radius, NULL, mass);
            pt->rec[r] = 1;
            for (int j = 0; j < m; j++)
                if (!(mass[j] >= x->mass_frac * w[j])) pt->rec[r] = 0;
            pt->cover_dist[r] = b.met[r].cover_dist;
            nrec += pt->rec[r];
            ncov += pt->cov[r];
        }
        pt->recovered = (double)nrec / (double)pt->inits;
        pt->covered = (double)ncov / (double)pt->inits;
        pt->coupon = cli_xp_coupon(m, n);
        pt->seconds = b.seconds;
    }
    xp_batch_free(&b);
    free(mu);
    free(pi);
    free(ones);
    return rc;
}

static int recovery_experiment(xp *c)
{
    cli_xp_rec *x = &c->rec;
    static const double all_c[] = { 0.25, 0.5, 0.75, 1, 1.5, 2 }, quick_c[] = { 0.5, 0.75, 1, 2 };
    const double *cs = c->quick ? quick_c : all_c;
    const int n_c = c->quick ? (int)(sizeof quick_c / sizeof quick_c[0]) : (int)(sizeof all_c / sizeof all_c[0]);
    const int m_lo = 3, m_hi = 5;
    x->d = 2;
    x->separation = 8;
    x->radius = 1;
    x->mass_frac = 0.5;
    x->steps = c->quick ? 100 : 200;
    x->samples = 2048;
    x->n_points = (m_hi - m_lo + 1) * n_c;
    x->points = calloc((size_t)x->n_points, sizeof *x->points);
    if (!x->points) return no_memory();
    int k = 0;
    for (int m = m_lo; m <= m_hi; m++)
        for (int j = 0; j < n_c; j++, k++) {
            cli_xp_rec_point *pt = &x->points[k];
            pt->m = m;
            pt->c = cs[j];
            pt->n = (int)ceil(cs[j] * m * log((double)m) - 1e-9);
            if (pt->n < 1) pt->n = 1;
            pt->inits = c->quick ? 16 : 64;
        }
    for (k = 0; k < x->n_points; k++) {
        if (cli_stop_requested()) return XP_STOPPED;
        cli_xp_rec_point *pt = &x->points[k];
        progress(c, "recovery: m = %d, c = %g: n = %d components, %ld inits, %ld EM steps", pt->m, pt->c, pt->n,
                 pt->inits, x->steps);
        int rc = rec_point(c, pt);
        if (rc != 0) return rc;
    }
    return 0;
}

/* ---- the command ------------------------------------------------------------------------- */

/* The backend and precision the runs get (and the CPU-fallback notice). */
static int probe(const xp *c, cli_xp_report *rep)
{
    const char *const fixed[] = { "--dim", "1", "--components", "1", "--inits", "1", "--steps", "0", NULL };
    xp_batch b;
    ogem_solver_info info;
    int rc = xp_open(c, fixed, &b);
    ogem_status st = rc == 0 ? ogem_solver_get_info(b.sv, &info) : OGEM_OK;
    if (st != OGEM_OK) {
        cli_library_error(CMD, &b.o, NULL, NULL, cli_solver_message(b.sv, st));
        rc = -1;
    }
    if (rc == 0) {
        /* names the backends keep as static strings */
        rep->backend = info.backend;
        rep->precision = info.precision;
    }
    xp_batch_free(&b);
    return rc;
}

static int experiments(xp *c, int name, cli_xp_report *rep)
{
    int rc = probe(c, rep);
    if (rc == 0 && (name == NAME_FLOOR || name == NAME_ALL)) {
        rc = floor_experiment(c);
        rep->floor = &c->floor;
    }
    if (rc == 0 && (name == NAME_SEPARATION || name == NAME_ALL)) {
        rc = separation_experiment(c);
        rep->sep = &c->sep;
    }
    if (rc == 0 && (name == NAME_RECOVERY || name == NAME_ALL)) {
        rc = recovery_experiment(c);
        rep->rec = &c->rec;
    }
    return rc;
}

static int write_outputs(ogem_outdir *od, const cli_xp_report *rep)
{
    char msg[512];
    const char *names[] = { rep->floor ? "floor.csv" : NULL, rep->floor ? "floor_samples.csv" : NULL,
                            rep->sep ? "separation.csv" : NULL, rep->sep ? "separation_traj.csv" : NULL,
                            rep->rec ? "recovery.csv" : NULL, rep->rec ? "recovery_inits.csv" : NULL,
                            "summary.json", "report.md" };
    enum { N_FILES = sizeof names / sizeof names[0] };
    FILE *f[N_FILES] = { NULL };
    for (int k = 0; k < N_FILES; k++)
        if (names[k] && !(f[k] = ogem_outdir_create(od, names[k], msg, sizeof msg))) {
            cli_error(CMD, "--out: %s", msg);
            return -1;
        }
    char *json = cli_xp_summary_json(rep);
    if (!json) return no_memory();
    if (rep->floor) cli_xp_floor_csv(f[0], f[1], rep->floor);
    if (rep->sep) cli_xp_sep_csv(f[2], f[3], rep->sep);
    if (rep->rec) cli_xp_rec_csv(f[4], f[5], rep->rec);
    fputs(json, f[6]);
    free(json);
    cli_xp_report_md(f[7], rep);
    return 0;
}

/* Validates experiment's flags into c. */
static int xp_options(xp *c, const unsigned char *given)
{
    static const char *const devices[] = {"auto", "cpu", "gpu", NULL};
    int dev = 0, threads = 0;
    if (cli_parse_choice(CMD, "--device", c->value[XF_DEVICE], devices, &dev) ||
        cli_parse_int(CMD, "--threads", c->value[XF_THREADS], 0, 4096, &threads) ||
        cli_parse_u64(CMD, "--seed", c->value[XF_SEED], &c->seed))
        return -1;
    if ((ogem_device)dev == OGEM_DEVICE_GPU && ogem_gpu_count() == 0) {
        cli_error(CMD, "--device: gpu was requested but no usable CUDA device was found (use auto or cpu)");
        return -1;
    }
    c->quick = given[XF_QUICK];
    c->quiet = given[XF_QUIET];
    return 0;
}

static void xp_free(xp *c)
{
    cli_xp_floor_free(&c->floor);
    cli_xp_sep_free(&c->sep);
    cli_xp_rec_free(&c->rec);
}

static void help(void)
{
    cli_print_help(stdout, "ogem experiment NAME [FLAGS]     NAME: floor | separation | recovery | all",
                   "Follow-up experiments with a mixture truth and learned weights:\n"
                   "  floor       finite-sample EM, n = 2 on fixed:N, N = 1e2..1e6: distance vs N\n"
                   "              (slopes -1/4 for equal weights, -1/2 for unequal in Dwivedi et al. 2020)\n"
                   "  separation  n = 10, learned weights, 0.3 N(3 e1, I) + 0.7 N(-3 e1, I) in d = 10, 500,\n"
                   "              then d = 1e6 with separation d^0.45 against 10 sqrt(d)\n"
                   "  recovery    m = 3..5 separated components, n = ceil(c m ln m) from truth draws:\n"
                   "              the fraction of inits recovering every component against c\n"
                   "  all         the three into one directory\n"
                   "Writes CSV, summary.json, report.md and PNG figures into --out.",
                   xp_flags, XF_COUNT,
                   "Each default takes a few minutes on a 2-core CPU; --quick about a minute for all.");
}

/* The hooks of cli_study (cli_study.h). */
typedef struct xp_job {
    xp *c;
    int name;
    cli_xp_report *rep;
} xp_job;

static int job_run(void *ctx)
{
    xp_job *j = ctx;
    const int rc = experiments(j->c, j->name, j->rep);
    return rc == XP_STOPPED ? CLI_STUDY_STOPPED : rc;
}

static int job_write(void *ctx, ogem_outdir *od)
{
    xp_job *j = ctx;
    j->rep->wall_seconds = cli_now() - j->c->t0;
    return write_outputs(od, j->rep);
}

static void job_note(void *ctx, const char *line)
{
    progress(((xp_job *)ctx)->c, "%s", line);
}

static void job_summary(void *ctx)
{
    xp_job *j = ctx;
    cli_xp_print_summary(j->rep, j->c->value[XF_OUT]);
}

int cli_experiment_main(int argc, char **argv)
{
    /* NAME comes first; the flags follow it (argv[0] is skipped by the parser). */
    const int named = argc >= 2 && argv[1][0] != '-';
    const char *value[XF_COUNT];
    unsigned char given[XF_COUNT];
    int pr = cli_parse_flags(CMD, xp_flags, XF_COUNT, named ? argc - 1 : argc, named ? argv + 1 : argv, value, given);
    if (pr == CLI_PARSE_HELP) {
        help();
        return CLI_EXIT_OK;
    }
    if (pr == CLI_PARSE_ERROR) return CLI_EXIT_USAGE;
    int name = 0;
    if (!named) {
        cli_error(CMD, "NAME: missing (floor, separation, recovery or all; see 'ogem experiment --help')");
        return CLI_EXIT_USAGE;
    }
    if (cli_parse_choice(CMD, "NAME", argv[1], NAMES, &name) != 0) return CLI_EXIT_USAGE;

    xp c;
    memset(&c, 0, sizeof c);
    cli_xp_report rep;
    memset(&rep, 0, sizeof rep);
    c.value = value;
    c.t0 = cli_now();
    if (xp_options(&c, given) != 0) return CLI_EXIT_USAGE;
    rep.quick = c.quick;
    rep.seed = c.seed;

    xp_job job = { &c, name, &rep };
    const cli_study st = { CMD, "experiments do not resume", SCRIPT, given[XF_PLOTTER] ? value[XF_PLOTTER] : NULL,
                           given[XF_NO_PLOTS], value[XF_OUT], &job, job_run, job_write, job_note, job_summary };
    const int exit_code = cli_study_main(&st);
    xp_free(&c);
    return exit_code;
}
