/*
 * cli_run.c - `ogem run`: gradient EM / EM on a batch of initializations.
 *
 * A user of the command runner (cli_runner.h), which validates, creates the
 * solver, opens --out, checkpoints, stops on signals and commits. The
 * command's own part: its flags (cli_run_opts.h), the step loop (evaluate at
 * mu_t, the metrics of row t, update unless t = T), the rows logged so far
 * streamed into trajectory.csv and aggregate.csv, and final.csv, run.json and
 * the summary at the end. Its checkpoint payload is what those two files hold
 * so far, read back from the temporary files, so that --resume DIR writes
 * exactly what the uninterrupted run writes.
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
    [RF_DIM] = 1, [RF_COMPONENTS] = 1, [RF_WEIGHTS] = 1, [RF_MU_STAR] = 1, [RF_INITS] = 1,
    [RF_STEPS] = 1, [RF_ETA] = 1, [RF_ALGO] = 1, [RF_ESTIMATOR] = 1, [RF_SUBSPACE] = 1,
    [RF_INIT] = 1, [RF_SEED] = 1, [RF_LOG] = 1, [RF_TRACE_INITS] = 1, [RF_DEVICE] = 1,
    [RF_PRECISION] = 1, [RF_GPU_PATH] = 1, [RF_THREADS] = 1, [RF_CHECKPOINT_EVERY] = 1,
};

static const char run_intro[] =
    "Runs gradient EM (or EM) on a batch of initializations of the model\n"
    "sum_i pi_i N(mu_i, I_d) against the truth N(mu*, I_d), logging the loss and the\n"
    "distances to mu* at log-spaced steps.";

static const char run_epilogue[] =
    "outputs in --out:\n"
    "  trajectory.csv  step,init,loss,max_dist,mean_dist2,update_norm (first --trace-inits inits)\n"
    "  aggregate.csv   step, then min,q1,median,q3,max over all inits of each metric\n"
    "  final.csv       init,component,mu_1..mu_d (a valid --init file:PATH)\n"
    "  run.json        settings (replayable with --config), backend, timing, status\n"
    "  checkpoint.ogem only while a run is unfinished: --resume DIR continues it\n"
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

ogem_status cli_run_steps(cli_runner *r, const cli_run_opts *o, ogem_solver *s, ogem_metrics *m,
                          cli_run_log_fn log, void *user, long *t_end)
{
    long t = ogem_solver_step_index(s), next = 0;
    while (next < o->n_log_steps && o->log_steps[next] < t) next++;
    ogem_status st = OGEM_OK;
    for (; t <= o->steps && !cli_runner_stopping(r); t++) {
        /* The metrics are read at the logged steps and, for the summary, at
         * the last one: only those steps ask for them, which under MPI spares
         * the other steps the metrics' gather (ogem/partition.h). */
        const int logged = next < o->n_log_steps && o->log_steps[next] == t;
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

/* ---- the command ----------------------------------------------------------------- */

typedef struct run_cmd {
    cli_run_opts o;
    double *mu, *scratch;   /* R x n x d; R                          */
    ogem_metrics *metrics;  /* R, at the latest step                 */
    const unsigned char *resumed_traj, *resumed_agg; /* rows logged before --resume */
    size_t resumed_traj_len, resumed_agg_len;
    FILE *traj, *agg, *fin, *js;
    long t;                 /* where the steps ended                 */
    cli_run_timing tm;
    ogem_solver_info info;
} run_cmd;

static int run_build(cli_runner *r)
{
    run_cmd *c = r->ctx;
    if (cli_run_opts_build(r->cmd->name, r->value, r->label, &c->o) != 0) return -1;
    cli_runner_use(r, &c->o, c->o.checkpoint_every);
    return 0;
}

/* A header as its writer prints it (malloc'd), or NULL. */
static char *header_text(void (*header)(FILE *))
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    header(f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* The rows a checkpoint carries for one file are what the run had written
 * there: its header, then for each logged step before the checkpoint's, in
 * order, `per_step` lines starting "STEP," (and "STEP,INIT," when per_step
 * counts inits), printable text ending in '\n'. NULL when they are, else
 * what is wrong (static text). */
static const char *rows_problem(const unsigned char *text, size_t len, void (*header)(FILE *), const long *steps,
                                long nsteps, long per_step, int with_init)
{
    char *head = header_text(header);
    if (!head) return "out of memory checking the logged rows";
    const size_t hl = strlen(head);
    int ok = len >= hl && memcmp(text, head, hl) == 0;
    free(head);
    if (!ok) return "the logged rows do not start with their header";
    size_t pos = hl;
    for (long j = 0; j < nsteps; j++)
        for (long i = 0; i < per_step; i++) {
            char prefix[48];
            int n = with_init ? snprintf(prefix, sizeof prefix, "%ld,%ld,", steps[j], i)
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

static int check_resumed_rows(cli_runner *r, const run_cmd *c)
{
    const cli_run_opts *o = &c->o;
    long logged = 0; /* the steps logged before the checkpoint's */
    while (logged < o->n_log_steps && o->log_steps[logged] < r->resume.ck.step) logged++;
    const char *why = rows_problem(c->resumed_traj, c->resumed_traj_len, cli_trajectory_header, o->log_steps, logged,
                                   o->traced, 1);
    if (why) return cli_runner_bad_value(r, "trajectory.csv: %s", why);
    why = rows_problem(c->resumed_agg, c->resumed_agg_len, cli_aggregate_header, o->log_steps, logged, 1, 0);
    if (why) return cli_runner_bad_value(r, "aggregate.csv: %s", why);
    return 0;
}

static int run_start(cli_runner *r, cli_reader *payload)
{
    run_cmd *c = r->ctx;
    const cli_run_opts *o = &c->o;
    if (payload) {
        /* The rows the interrupted run had logged, headers included. */
        c->resumed_traj = cli_rd_str(payload, &c->resumed_traj_len);
        c->resumed_agg = cli_rd_str(payload, &c->resumed_agg_len);
        if (cli_runner_resume_fits(r, payload, o, o->steps) != 0 || check_resumed_rows(r, c) != 0) return -1;
    }
    const long R = o->inits;
    const size_t rnd = ogem_size_mul3(ogem_count(R), ogem_count(o->components), ogem_count(o->dim));
    c->mu = malloc(ogem_size_mul(rnd, sizeof *c->mu)); /* saturated: fails, never wraps */
    c->metrics = calloc((size_t)R, sizeof *c->metrics);
    c->scratch = malloc((size_t)R * sizeof *c->scratch);
    if (!c->mu || !c->metrics || !c->scratch)
        return cli_runner_fail(r, CLI_EXIT_FAILURE, "out of memory for %ld initializations", R);
    return cli_runner_solver(r, o, c->mu);
}

static int run_open(cli_runner *r)
{
    run_cmd *c = r->ctx;
    c->traj = cli_runner_create(r, "trajectory.csv");
    c->agg = c->traj ? cli_runner_create(r, "aggregate.csv") : NULL;
    c->fin = c->agg ? cli_runner_create(r, "final.csv") : NULL;
    c->js = c->fin ? cli_runner_create(r, "run.json") : NULL;
    if (!c->js) return -1;
    static char traj_buf[1 << 16];
    setvbuf(c->traj, traj_buf, _IOFBF, sizeof traj_buf);
    if (c->resumed_traj) {
        fwrite(c->resumed_traj, 1, c->resumed_traj_len, c->traj);
        fwrite(c->resumed_agg, 1, c->resumed_agg_len, c->agg);
    } else {
        cli_trajectory_header(c->traj);
        cli_aggregate_header(c->agg);
    }
    return 0;
}

static void log_rows(void *user, long t, const ogem_metrics *m)
{
    run_cmd *c = user;
    cli_trajectory_rows(c->traj, t, m, c->o.traced);
    cli_aggregate_row(c->agg, t, m, c->o.inits, c->scratch);
}

static int run_solve(cli_runner *r)
{
    run_cmd *c = r->ctx;
    double t0 = cli_now();
    ogem_status st = cli_run_steps(r, &c->o, r->solver, c->metrics, log_rows, c, &c->t);
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
    if (put_file_so_far(b, c->traj) == 0 && put_file_so_far(b, c->agg) == 0) return 0;
    snprintf(msg, len, "cannot read back the rows logged so far");
    return -1;
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
    if (st != OGEM_OK) return cli_runner_fail(r, CLI_EXIT_FAILURE, "%s", cli_solver_message(r->solver, st));
    cli_final_csv(c->fin, c->mu, c->o.inits, c->o.components, c->o.dim);
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
    cli_run_print_summary(&c->o, &c->info, c->metrics, &c->tm, c->scratch);
}

static void run_cleanup(cli_runner *r)
{
    run_cmd *c = r->ctx;
    free(c->mu);
    free(c->metrics);
    free(c->scratch);
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
