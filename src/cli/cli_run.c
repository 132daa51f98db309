/*
 * cli_run.c - `ogem run`: gradient EM / EM on a batch of initializations.
 *
 * A user of the command runner (cli_runner.h), which validates, creates the
 * solver, opens --out, checkpoints, stops on signals and commits. The
 * command's own part: its flags (cli_run_opts.h), the step loop (evaluate at
 * mu_t, the metrics of row t, update unless t = T), the rows logged so far
 * streamed into trajectory.csv and aggregate.csv, and final.csv, run.json and
 * the summary at the end; with a mixture truth or learned weights also
 * truth_fit.csv, weights.csv (streamed like the two) and final_weights.csv.
 * Its checkpoint payload is what the streamed files hold so far, read back
 * from the temporary files, so that --resume DIR writes exactly what the
 * uninterrupted run writes.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_run.h"
#include "cli/cli_run_report.h"
#include "cli/cli_solver.h"
#include "math/checked.h"

/* 1 for the flags that define the computation and so are stored in run.json's
 * "settings" and replayed by --config (--out, --config, --quiet, --resume are
 * not). */
static const unsigned char run_replayable[RF_COUNT] = {
    [RF_DIM] = 1, [RF_COMPONENTS] = 1, [RF_WEIGHTS] = 1, [RF_LEARN_WEIGHTS] = 1, [RF_MU_STAR] = 1,
    [RF_TRUTH] = 1, [RF_INITS] = 1, [RF_STEPS] = 1, [RF_ETA] = 1, [RF_ALGO] = 1, [RF_ESTIMATOR] = 1,
    [RF_SUBSPACE] = 1, [RF_INIT] = 1, [RF_SEED] = 1, [RF_LOG] = 1, [RF_TRACE_INITS] = 1,
    [RF_ACTIVE_WEIGHT] = 1, [RF_FIT_RADIUS] = 1, [RF_DEVICE] = 1,
    [RF_PRECISION] = 1, [RF_GPU_PATH] = 1, [RF_THREADS] = 1, [RF_CHECKPOINT_EVERY] = 1,
};

static const char run_intro[] =
    "Runs gradient EM (or EM) on a batch of initializations of the model\n"
    "sum_i pi_i N(mu_i, I_d) against the truth N(mu*, I_d), or a mixture truth\n"
    "sum_j w_j N(mu*_j, I_d) (--truth), logging the loss and the distances to the\n"
    "truth at log-spaced steps; with --learn-weights the weights are learned too.";

static const char run_epilogue[] =
    "outputs in --out:\n"
    "  trajectory.csv  step,init,loss,max_dist,mean_dist2,update_norm (first --trace-inits inits)\n"
    "  aggregate.csv   step, then min,q1,median,q3,max over all inits of each metric\n"
    "  final.csv       init,component,mu_1..mu_d (a valid --init file:PATH)\n"
    "  run.json        settings (replayable with --config), backend, timing, status\n"
    "  checkpoint.ogem only while a run is unfinished: --resume DIR continues it\n"
    "with a truth of m >= 2 components or --learn-weights also (README: Output files):\n"
    "  trajectory.csv, aggregate.csv gain cover_dist (max_j min_i |mu_i - mu*_j|),\n"
    "                  voronoi (Voronoi loss) and, learning weights, active (weights >= T)\n"
    "  truth_fit.csv   step,init,truth_component,nearest_dist,weight_within (--fit-radius)\n"
    "  weights.csv     step,init,component,weight (learned weights, traced inits)\n"
    "  final_weights.csv init,component,weight (learned weights)\n"
    "\n"
    "SIGINT/SIGTERM stop between two steps, commit the rows so far with a checkpoint,\n"
    "and exit 130; 'ogem run --resume DIR' then writes what an uninterrupted run writes.\n"
    "\n"
    "numbers: integers -?DIGITS, reals -?DIGITS[.DIGITS] or -?.DIGITS with an optional\n"
    "exponent e[+-]DIGITS; no '+', spaces, hex, inf or nan.\n"
    "\n"
    "examples:\n"
    "  ogem run --dim 10 --components 5 --inits 1024 --steps 10000 --out runs/a\n"
    "  ogem run --weights 0.5,0.3,0.2 --components 3 --algo em --estimator exact --subspace\n"
    "  ogem run --components 10 --truth '0.3:3,0;0.7:-3,0' --learn-weights --init truth-sample:1\n"
    "  ogem run --dim 3 --truth file:truth.csv --estimator qmc:4096 --out runs/mix\n"
    "  ogem run --config runs/a/run.json --out runs/a-replay\n"
    "  ogem run --steps 1000000 --checkpoint-every 10000 --out runs/long; ogem run --resume runs/long";

/* ---- the stepping loop (also `ogem paper`'s) ------------------------------------- */

static void show_progress(cli_runner *r, long done, long total)
{
    double el = cli_runner_progress_due(r, done >= total);
    if (el < 0) return;
    double frac = (double)done / (double)total;
    double left = frac > 0 ? el * (1.0 - frac) / frac : 0.0;
    cli_runner_progress(r, "  step %ld/%ld  %5.1f%%  elapsed %.1f s  left ~%.0f s   ", done, total, 100.0 * frac, el,
                        left);
}

ogem_status cli_run_steps_peek(cli_runner *r, const cli_run_opts *o, ogem_solver *s, ogem_metrics *m,
                               cli_run_peek_fn peek, cli_run_log_fn log, void *user, long *t_end)
{
    long t = ogem_solver_step_index(s), next = 0;
    while (next < o->n_log_steps && o->log_steps[next] < t) next++;
    ogem_status st = OGEM_OK;
    for (; t <= o->steps && !cli_runner_stopping(r); t++) {
        /* The metrics are read at the logged steps and, for the summary, at
         * the last one: only those steps ask for them, which under MPI spares
         * the other steps the metrics' gather (ogem/partition.h). */
        const int logged = next < o->n_log_steps && o->log_steps[next] == t;
        if (logged && peek && (st = peek(user, t, s)) != OGEM_OK) break;
        st = ogem_solver_step(s, t < o->steps, logged || t == o->steps ? m : NULL);
        if (st != OGEM_OK) break;
        if (logged) {
            log(user, t, m);
            next++;
        }
        show_progress(r, t + 1, o->steps + 1);
        if (t < o->steps && cli_runner_step_done(r, t + 1, 1) != 0) {
            st = OGEM_ERR_IO;
            break;
        }
    }
    *t_end = t;
    return st;
}

ogem_status cli_run_steps(cli_runner *r, const cli_run_opts *o, ogem_solver *s, ogem_metrics *m,
                          cli_run_log_fn log, void *user, long *t_end)
{
    return cli_run_steps_peek(r, o, s, m, NULL, log, user, t_end);
}

/* ---- the command ----------------------------------------------------------------- */

/* The files streamed at the logged steps (and carried by checkpoints), in
 * the order the payload holds them; weights.csv and truth_fit.csv only
 * where their metrics are (cli_run_mixture_metrics, --learn-weights). */
enum { LF_TRAJ, LF_AGG, LF_WEIGHTS, LF_FIT, LF_COUNT };

typedef struct logged_file {
    FILE *f;                        /* NULL: not written by these settings */
    const unsigned char *resumed;   /* the rows logged before --resume     */
    size_t resumed_len;
} logged_file;

typedef struct run_cmd {
    cli_run_opts o;
    int cols;               /* metric columns (cli_run_metric_columns) */
    int logs[LF_COUNT];     /* 1: the file is written                 */
    /* R x n x d: the initial means, the means before a logged step
     * (truth_fit.csv), the final means. */
    double *mu, *scratch;   /* scratch: R                              */
    double *w, *active;     /* R x n weights before a logged step; R   */
    double *near, *mass;    /* m: one init's truth_fit.csv rows        */
    ogem_metrics *metrics;  /* R, at the latest step                 */
    logged_file lf[LF_COUNT];
    FILE *fin, *finw, *js;
    long t;                 /* where the steps ended                 */
    cli_run_timing tm;
    ogem_solver_info info;
} run_cmd;

static int run_build(cli_runner *r)
{
    run_cmd *c = r->ctx;
    /* --truth and --mu-star describe the one truth: given here, either
     * overrides the other replayed by --config (--mu-star X is --truth 1:X),
     * as any flag given here overrides its replayed value. */
    if (r->given[RF_TRUTH] && r->from_config[RF_MU_STAR]) r->value[RF_MU_STAR] = NULL;
    if (r->given[RF_MU_STAR] && r->from_config[RF_TRUTH]) r->value[RF_TRUTH] = NULL;
    if (cli_run_opts_build(r->cmd->name, r->value, r->label, &c->o) != 0) return -1;
    cli_runner_use(r, &c->o, c->o.checkpoint_every);
    c->cols = cli_run_metric_columns(&c->o);
    c->logs[LF_TRAJ] = c->logs[LF_AGG] = 1;
    c->logs[LF_WEIGHTS] = c->o.learn_weights;
    c->logs[LF_FIT] = cli_run_mixture_metrics(&c->o);
    return 0;
}

/* The header of logged file k for c's settings. */
static void logged_header(const run_cmd *c, int k, FILE *f)
{
    switch (k) {
    case LF_TRAJ: cli_trajectory_header_cols(f, c->cols); break;
    case LF_AGG: cli_aggregate_header_cols(f, c->cols); break;
    case LF_WEIGHTS: cli_weights_header(f); break;
    default: cli_truth_fit_header(f); break;
    }
}

/* Rows of logged file k per traced init and logged step (aggregate.csv: one
 * per step, without an init). */
static long rows_per_init(const run_cmd *c, int k)
{
    const double *w, *means;
    return k == LF_WEIGHTS ? c->o.components : k == LF_FIT ? cli_run_truth_of(&c->o, &w, &means) : 1;
}

/* A header as its writer prints it (malloc'd), or NULL. */
static char *header_text(const run_cmd *c, int k)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    logged_header(c, k, f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* The rows a checkpoint carries for one file are what the run had written
 * there: its header, then for each logged step before the checkpoint's, in
 * order, `inits` x `per_init` lines starting "STEP," (and "STEP,INIT," when
 * with_init), printable text ending in '\n'. NULL when they are, else what
 * is wrong (static text). */
static const char *rows_problem(const unsigned char *text, size_t len, const char *head, const long *steps,
                                long nsteps, long inits, long per_init, int with_init)
{
    const size_t hl = strlen(head);
    if (len < hl || memcmp(text, head, hl) != 0) return "the logged rows do not start with their header";
    size_t pos = hl;
    for (long j = 0; j < nsteps; j++)
        for (long i = 0; i < inits * per_init; i++) {
            char prefix[48];
            int n = with_init ? snprintf(prefix, sizeof prefix, "%ld,%ld,", steps[j], i / per_init)
                              : snprintf(prefix, sizeof prefix, "%ld,", steps[j]);
            if (len - pos < (size_t)n || memcmp(text + pos, prefix, (size_t)n) != 0)
                return "a logged row is missing or is not of its step";
            while (pos < len && text[pos] != '\n') {
                if (text[pos] < 0x20 || text[pos] > 0x7e) return "a logged row holds a byte that is not text";
                pos++;
            }
            if (pos == len) return "the last logged row is cut short";
            pos++;
        }
    return pos == len ? NULL : "more rows are logged than steps have been run";
}

static const char *const logged_name[LF_COUNT] = { "trajectory.csv", "aggregate.csv", "weights.csv",
                                                   "truth_fit.csv" };

static int check_resumed_rows(cli_runner *r, const run_cmd *c)
{
    const cli_run_opts *o = &c->o;
    long logged = 0; /* the steps logged before the checkpoint's */
    while (logged < o->n_log_steps && o->log_steps[logged] < r->resume.ck.step) logged++;
    for (int k = 0; k < LF_COUNT; k++) {
        if (!c->logs[k]) continue;
        char *head = header_text(c, k);
        if (!head) return cli_runner_fail(r, CLI_EXIT_FAILURE, "out of memory checking the logged rows");
        const int per_init = k != LF_AGG;
        const char *why = rows_problem(c->lf[k].resumed, c->lf[k].resumed_len, head, o->log_steps, logged,
                                       per_init ? o->traced : 1, rows_per_init(c, k), per_init);
        free(head);
        if (why) return cli_runner_bad_value(r, "%s: %s", logged_name[k], why);
    }
    return 0;
}

static int run_start(cli_runner *r, cli_reader *payload)
{
    run_cmd *c = r->ctx;
    const cli_run_opts *o = &c->o;
    if (payload) {
        /* The rows the interrupted run had logged, headers included. */
        for (int k = 0; k < LF_COUNT; k++)
            if (c->logs[k]) c->lf[k].resumed = cli_rd_str(payload, &c->lf[k].resumed_len);
        if (cli_runner_resume_fits(r, payload, o, o->steps) != 0 || check_resumed_rows(r, c) != 0) return -1;
    }
    const long R = o->inits;
    const size_t rnd = ogem_size_mul3(ogem_count(R), ogem_count(o->components), ogem_count(o->dim));
    const size_t rn = ogem_size_mul(ogem_count(R), ogem_count(o->components));
    const double *tw, *tm;
    const size_t m = (size_t)cli_run_truth_of(o, &tw, &tm);
    c->mu = malloc(ogem_size_mul(rnd, sizeof *c->mu)); /* saturated: fails, never wraps */
    c->metrics = calloc((size_t)R, sizeof *c->metrics);
    c->scratch = malloc((size_t)R * sizeof *c->scratch);
    c->w = malloc(ogem_size_mul(rn, sizeof *c->w));
    c->active = calloc((size_t)R, sizeof *c->active);
    c->near = malloc(m * sizeof *c->near);
    c->mass = malloc(m * sizeof *c->mass);
    if (!c->mu || !c->metrics || !c->scratch || !c->w || !c->active || !c->near || !c->mass)
        return cli_runner_fail(r, CLI_EXIT_FAILURE, "out of memory for %ld initializations", R);
    return cli_runner_solver(r, o, c->mu);
}

static int run_open(cli_runner *r)
{
    run_cmd *c = r->ctx;
    for (int k = 0; k < LF_COUNT; k++)
        if (c->logs[k] && !(c->lf[k].f = cli_runner_create(r, logged_name[k]))) return -1;
    c->fin = cli_runner_create(r, "final.csv");
    c->finw = c->fin && c->o.learn_weights ? cli_runner_create(r, "final_weights.csv") : NULL;
    c->js = c->fin && (c->finw || !c->o.learn_weights) ? cli_runner_create(r, "run.json") : NULL;
    if (!c->js) return -1;
    static char traj_buf[1 << 16];
    setvbuf(c->lf[LF_TRAJ].f, traj_buf, _IOFBF, sizeof traj_buf);
    for (int k = 0; k < LF_COUNT; k++) {
        if (!c->logs[k]) continue;
        if (c->lf[k].resumed) fwrite(c->lf[k].resumed, 1, c->lf[k].resumed_len, c->lf[k].f);
        else logged_header(c, k, c->lf[k].f);
    }
    return 0;
}

/* Before a logged step: the weights (and, for truth_fit.csv's traced inits,
 * the means) that the step's metrics describe. */
static ogem_status peek_state(void *user, long t, ogem_solver *s)
{
    run_cmd *c = user;
    (void)t;
    if (!c->logs[LF_FIT]) return OGEM_OK;
    ogem_status st = ogem_solver_get_weights(s, c->w);
    if (st == OGEM_OK && c->o.traced > 0) st = ogem_solver_get_means(s, c->mu);
    return st;
}

static void log_rows(void *user, long t, const ogem_metrics *m)
{
    run_cmd *c = user;
    const cli_run_opts *o = &c->o;
    if (o->learn_weights) cli_active_counts(c->w, o->inits, o->components, o->active_weight, c->active);
    cli_trajectory_rows_cols(c->lf[LF_TRAJ].f, t, m, c->active, o->traced, c->cols);
    cli_aggregate_row_cols(c->lf[LF_AGG].f, t, m, c->active, o->inits, c->scratch, c->cols);
    if (c->logs[LF_WEIGHTS]) cli_weights_rows(c->lf[LF_WEIGHTS].f, t, c->w, o->traced, o->components);
    if (c->logs[LF_FIT]) cli_truth_fit_rows(c->lf[LF_FIT].f, t, o, c->mu, c->w, o->traced, c->near, c->mass);
}

static int run_solve(cli_runner *r)
{
    run_cmd *c = r->ctx;
    double t0 = cli_now();
    ogem_status st = cli_run_steps_peek(r, &c->o, r->solver, c->metrics, peek_state, log_rows, c, &c->t);
    c->tm = (cli_run_timing){ 0, cli_now() - t0, c->o.steps + 1 };
    if (cli_runner_failed(r)) return -1;
    if (st != OGEM_OK) {
        char where[48];
        snprintf(where, sizeof where, "step %ld", c->t);
        return cli_runner_library_error(r, &c->o, st, where);
    }
    if (c->t > c->o.steps) return CLI_SOLVE_DONE;
    /* Between steps t - 1 and t: the checkpoint continues exactly from here. */
    snprintf(r->stop_note, sizeof r->stop_note, " after %ld of %ld steps", c->t, c->o.steps);
    return CLI_SOLVE_STOPPED;
}

/* Appends what f holds so far (a temporary output being streamed) to b as a
 * str: the logged rows travel in the checkpoint. */
static int put_file_so_far(cli_buf *b, FILE *f)
{
    if (fflush(f) != 0) return -1;
    long end = ftell(f);
    if (end < 0) return -1;
    cli_buf_put_u64(b, (uint64_t)end);
    char chunk[1 << 15];
    for (off_t pos = 0; pos < (off_t)end;) {
        size_t want = (size_t)((off_t)end - pos) < sizeof chunk ? (size_t)((off_t)end - pos) : sizeof chunk;
        ssize_t got = pread(fileno(f), chunk, want, pos);
        if (got <= 0) return -1;
        cli_buf_put(b, chunk, (size_t)got);
        pos += got;
    }
    return b->failed ? -1 : 0;
}

static int run_payload(cli_runner *r, cli_buf *b, char *msg, size_t len)
{
    run_cmd *c = r->ctx;
    for (int k = 0; k < LF_COUNT; k++) {
        if (c->logs[k] && put_file_so_far(b, c->lf[k].f) != 0) {
            snprintf(msg, len, "cannot read back the rows logged so far");
            return -1;
        }
    }
    return 0;
}

/* run.json's "settings": what --config and --resume replay, and the fingerprint. */
static void run_settings(const cli_runner *r, ogem_json_writer *w, const char *key, int for_fingerprint)
{
    const run_cmd *c = r->ctx;
    cli_run_settings_json(w, key, &c->o, for_fingerprint);
}

static int run_finish(cli_runner *r, const cli_outcome *how)
{
    run_cmd *c = r->ctx;
    ogem_status st = ogem_solver_get_means(r->solver, c->mu);
    if (st == OGEM_OK) st = ogem_solver_get_info(r->solver, &c->info);
    if (st == OGEM_OK && c->finw) st = ogem_solver_get_weights(r->solver, c->w);
    if (st != OGEM_OK) return cli_runner_fail(r, CLI_EXIT_FAILURE, "%s", cli_solver_message(r->solver, st));
    cli_final_csv(c->fin, c->mu, c->o.inits, c->o.components, c->o.dim);
    if (c->finw) cli_final_weights_csv(c->finw, c->w, c->o.inits, c->o.components);
    c->tm.wall_seconds = cli_now() - r->t_start;
    char *json = cli_run_json(&c->o, &c->info, &c->tm, r->argc, r->argv, how, c->t);
    if (!json) return cli_runner_fail(r, CLI_EXIT_FAILURE, "out of memory writing run.json");
    fputs(json, c->js);
    free(json);
    return 0;
}

static void run_summary(cli_runner *r)
{
    run_cmd *c = r->ctx;
    cli_run_print_summary(&c->o, &c->info, c->metrics, c->active, &c->tm, c->scratch);
}

static void run_cleanup(cli_runner *r)
{
    run_cmd *c = r->ctx;
    free(c->mu);
    free(c->metrics);
    free(c->scratch);
    free(c->w);
    free(c->active);
    free(c->near);
    free(c->mass);
    cli_run_opts_free(&c->o);
}

static const cli_command run_command = {
    /* name, flags, replayable, their count, --out, --config, --resume */
    "run", cli_run_flags, run_replayable, RF_COUNT, RF_OUT, RF_CONFIG, RF_RESUME,
    /* --help, width of the progress line */
    "ogem run [FLAGS]", run_intro, run_epilogue, 72,
    /* the hooks, in the order they are called */
    run_build, run_settings, run_start, run_open, run_solve, run_payload, run_finish, run_summary, run_cleanup,
};

int cli_run_main(int argc, char **argv)
{
    run_cmd c;
    memset(&c, 0, sizeof c);
    return cli_runner_main(&run_command, &c, argc, argv);
}
