/*
 * cli_escape.c - `ogem escape`: how long do components that start far from
 * mu* stay trapped?
 *
 * R initializations start from a bad-region preset (--init far:K:RADIUS; by
 * default far:1:--radius) and each one is stepped until it escapes (--until
 * dist<=r: max_i |mu_i - mu*| <= r, or loss<=x) or reaches --max-steps,
 * where it is censored; escaped ones stop costing work (ogem_escape_run).
 * --sweep radius=A:B:STEP or --sweep dim=LIST (with --radius-per-sqrt-dim c:
 * radius c sqrt(d)) repeats the experiment over a grid, one solver per grid
 * point, and fits the growth of the median escape step.
 *
 * A user of the command runner (cli_runner.h), like `ogem run`: the shared
 * flags mean the same and are validated by the same code
 * (cli_escape_opts.h), outputs are committed atomically, --config replays a
 * run.json, and SIGINT/SIGTERM or --checkpoint-every leave a checkpoint that
 * --resume continues exactly. The checkpoint's payload is the grid position
 * and every escape step and loss so far. The outputs are written by
 * cli_escape_report.c.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_escape.h"
#include "cli/cli_escape_report.h"

/* The flags stored in run.json's "settings" and replayed by --config. */
static const unsigned char escape_replayable[EF_COUNT] = {
    [EF_DIM] = 1, [EF_COMPONENTS] = 1, [EF_WEIGHTS] = 1, [EF_MU_STAR] = 1, [EF_INITS] = 1, [EF_INIT] = 1,
    [EF_UNTIL] = 1, [EF_MAX_STEPS] = 1, [EF_ETA] = 1, [EF_ALGO] = 1, [EF_ESTIMATOR] = 1, [EF_SUBSPACE] = 1,
    [EF_SWEEP] = 1, [EF_RADIUS_PER_SQRT_DIM] = 1, [EF_SEED] = 1, [EF_DEVICE] = 1, [EF_PRECISION] = 1,
    [EF_GPU_PATH] = 1, [EF_THREADS] = 1, [EF_CHECKPOINT_EVERY] = 1,
};

static const char escape_intro[] =
    "Escape times from bad regions: R initializations start with K components far from\n"
    "mu* (--init far:K:RADIUS) and each is stepped until it escapes (--until) or reaches\n"
    "--max-steps (censored). Reports Kaplan-Meier medians and quartiles of the escape\n"
    "step; --sweep repeats the experiment over radii or dimensions and fits the growth.";

static const char escape_epilogue[] =
    "outputs in --out:\n"
    "  escapes.csv   [grid,]init,escape_step,censored,final_loss (escape_step empty if censored)\n"
    "  sweep.csv     grid,radius,inits,escaped,censored_fraction,q1,median,q3 (with --sweep)\n"
    "  summary.json  counts, censored fraction, KM quartiles and curve; growth fit with --sweep\n"
    "  run.json      settings (replayable with --config), backend, timing, status\n"
    "  checkpoint.ogem  only while unfinished: --resume DIR continues it\n"
    "\n"
    "SIGINT/SIGTERM stop between two steps, commit the results so far (still-running\n"
    "inits counted as censored) with a checkpoint, and exit 130.\n"
    "\n"
    "examples:\n"
    "  ogem escape --radius 6 --inits 64 --out esc/r6\n"
    "  ogem escape --sweep radius=4:9:1 --inits 256 --checkpoint-every 1000 --out esc/radius\n"
    "  ogem escape --sweep dim=1,2,4,8,16 --radius-per-sqrt-dim 2 --out esc/dim\n"
    "  ogem escape --resume esc/radius";

/* ---- one grid point (also `ogem paper`'s) ----------------------------------------------- */

typedef struct point_run {
    cli_runner *r;
    const cli_escape_opts *e;
    cli_escape_results *res;
    long g;
} point_run;

static void show_progress(const point_run *p, long step, long running)
{
    double el = cli_runner_progress_due(p->r, 0);
    if (el < 0) return;
    const cli_escape_opts *e = p->e;
    const cli_escape_point *pt = &e->points[p->g];
    char where[96] = "";
    if (e->sweep == CLI_SWEEP_RADIUS) snprintf(where, sizeof where, "radius %g (%ld/%ld)  ", pt->radius, p->g + 1, e->G);
    else if (e->sweep == CLI_SWEEP_DIM) snprintf(where, sizeof where, "dim %d (%ld/%ld)  ", pt->dim, p->g + 1, e->G);
    cli_runner_progress(p->r, "  %sstep %ld/%ld  running %ld/%ld  elapsed %.1f s   ", where, step + 1, e->max_steps,
                        running, e->R, el);
}

static int on_step(long step, long running, void *user)
{
    point_run *p = user;
    show_progress(p, step, running);
    p->res->reached[p->g] = step + 1;
    if (cli_runner_step_done(p->r, step + 1, running > 0 && step + 1 < p->e->max_steps) != 0) return 1;
    return cli_runner_stopping(p->r);
}

ogem_status cli_escape_run_point(cli_runner *r, const cli_escape_opts *e, long g, ogem_solver *s,
                             cli_escape_results *res)
{
    point_run p = { r, e, res, g };
    const size_t first = (size_t)g * (size_t)e->R;
    double t0 = cli_now();
    ogem_status st = ogem_escape_run(s, e->until, e->threshold, e->max_steps, res->steps + first, res->loss + first,
                                     on_step, &p); /* r may be NULL (paper): on_step still stops */
    res->seconds[g] += cli_now() - t0;
    res->reached[g] = ogem_solver_step_index(s);
    res->done = g + 1;
    return st;
}

/* ---- the command ------------------------------------------------------------------------ */

typedef struct escape_cmd {
    cli_escape_opts e;
    cli_escape_results res;
    long g0, g;           /* the first grid point of this process, the current one */
    FILE *esc, *swp, *sum, *js;
    ogem_solver_info info;
    cli_escape_timing tm;
} escape_cmd;

static int escape_build(cli_runner *r)
{
    escape_cmd *c = r->ctx;
    if (cli_escape_opts_build(r->cmd->name, r->value, r->given, r->from_config, r->label, &r->pool, &c->e) != 0)
        return -1;
    cli_runner_use(r, &c->e.grid[0], c->e.checkpoint_every);
    return 0;
}

/* Every value of an escape payload is one the writer can have written: steps
 * run in [0, --max-steps] (none at the grid points after the current one),
 * escape steps in [-1, --max-steps] (-1: not escaped; none after the current
 * point), losses finite or NaN (not recorded). The checksum only says the
 * file is whole; these go into escapes.csv and summary.json as they are. */
static int check_payload(cli_runner *r, const cli_escape_opts *e, const cli_escape_results *res, long gg)
{
    for (long g = 0; g < e->G; g++) {
        const long reached = res->reached[g];
        if (reached < 0 || reached > e->max_steps || (g > gg && reached != 0))
            return cli_runner_bad_value(r, "grid point %ld: %ld steps run, outside [0, %ld]", g, reached,
                                        g > gg ? 0 : e->max_steps);
        for (long i = 0; i < e->R; i++) {
            const size_t q = (size_t)g * (size_t)e->R + (size_t)i;
            const long s = res->steps[q];
            if (s < -1 || s > e->max_steps || (g > gg && s != -1))
                return cli_runner_bad_value(r, "grid point %ld, initialization %ld: escape step %ld, outside [-1, %ld]",
                                            g, i, s, g > gg ? -1 : e->max_steps);
            if (isinf(res->loss[q]))
                return cli_runner_bad_value(r, "grid point %ld, initialization %ld: a loss of %g", g, i, res->loss[q]);
        }
    }
    return 0;
}

/* The payload of an escape checkpoint, checked against the options. */
static int read_payload(cli_runner *r, cli_reader *rd)
{
    escape_cmd *c = r->ctx;
    const cli_escape_opts *e = &c->e;
    cli_escape_results *res = &c->res;
    uint64_t gg = cli_rd_u64(rd), G = cli_rd_u64(rd), R = cli_rd_u64(rd);
    const size_t GR = (size_t)e->G * (size_t)e->R;
    if (rd->failed || G != (uint64_t)e->G || R != (uint64_t)e->R || gg >= G) return cli_runner_corrupt(r);
    for (long q = 0; q < e->G; q++) res->reached[q] = (long)(int64_t)cli_rd_u64(rd);
    for (size_t q = 0; q < GR; q++) res->steps[q] = (long)(int64_t)cli_rd_u64(rd);
    const unsigned char *loss = cli_rd_bytes(rd, GR * sizeof *res->loss);
    if (!loss) return cli_runner_corrupt(r);
    memcpy(res->loss, loss, GR * sizeof *res->loss);
    c->g0 = (long)gg;
    if (cli_runner_resume_fits(r, rd, &e->grid[gg], e->max_steps) != 0) return -1;
    return check_payload(r, e, res, (long)gg);
}

static int escape_start(cli_runner *r, cli_reader *payload)
{
    escape_cmd *c = r->ctx;
    if (cli_escape_results_alloc(&c->res, &c->e) != 0)
        return cli_runner_fail(r, CLI_EXIT_FAILURE, "out of memory for %ld x %ld initializations", c->e.G, c->e.R);
    if (payload && read_payload(r, payload) != 0) return -1;
    return cli_runner_solver(r, &c->e.grid[c->g0], NULL);
}

static int escape_open(cli_runner *r)
{
    escape_cmd *c = r->ctx;
    c->esc = cli_runner_create(r, "escapes.csv");
    c->swp = c->esc && c->e.sweep != CLI_SWEEP_NONE ? cli_runner_create(r, "sweep.csv") : c->esc;
    c->sum = c->swp ? cli_runner_create(r, "summary.json") : NULL;
    c->js = c->sum ? cli_runner_create(r, "run.json") : NULL;
    return c->js ? 0 : -1;
}

static int escape_solve(cli_runner *r)
{
    escape_cmd *c = r->ctx;
    const cli_escape_opts *e = &c->e;
    int max_k = 0;
    for (c->g = c->g0; c->g < e->G; c->g++) {
        const long g = c->g;
        if (g > c->g0 && cli_runner_solver(r, &e->grid[g], NULL) != 0) return -1;
        ogem_status st = cli_escape_run_point(r, e, g, r->solver, &c->res);
        if (st != OGEM_OK) {
            char where[96];
            if (e->sweep == CLI_SWEEP_RADIUS)
                snprintf(where, sizeof where, "radius %.17g: step %ld", e->points[g].radius, c->res.reached[g]);
            else if (e->sweep == CLI_SWEEP_DIM)
                snprintf(where, sizeof where, "dim %d: step %ld", e->points[g].dim, c->res.reached[g]);
            else
                snprintf(where, sizeof where, "step %ld", c->res.reached[g]);
            return cli_runner_library_error(r, &e->grid[g], st, where);
        }
        if (cli_runner_failed(r)) return -1;
        st = ogem_solver_get_info(r->solver, &c->info);
        if (st != OGEM_OK) return cli_runner_library_error(r, &e->grid[g], st, NULL);
        if (c->info.max_subspace_dim > max_k) max_k = c->info.max_subspace_dim;
        c->info.max_subspace_dim = max_k;
        long running = 0;
        for (long i = 0; i < e->R; i++) running += c->res.steps[(size_t)g * (size_t)e->R + (size_t)i] < 0;
        if (running > 0 && c->res.reached[g] < e->max_steps) return CLI_SOLVE_STOPPED; /* by a signal */
    }
    return CLI_SOLVE_DONE;
}

static int escape_payload(cli_runner *r, cli_buf *b, char *msg, size_t len)
{
    const escape_cmd *c = r->ctx;
    const cli_escape_opts *e = &c->e;
    const cli_escape_results *res = &c->res;
    const size_t GR = (size_t)e->G * (size_t)e->R;
    cli_buf_put_u64(b, (uint64_t)c->g);
    cli_buf_put_u64(b, (uint64_t)e->G);
    cli_buf_put_u64(b, (uint64_t)e->R);
    for (long g = 0; g < e->G; g++) cli_buf_put_u64(b, (uint64_t)(int64_t)res->reached[g]);
    for (size_t q = 0; q < GR; q++) cli_buf_put_u64(b, (uint64_t)(int64_t)res->steps[q]);
    cli_buf_put(b, res->loss, GR * sizeof *res->loss);
    return 0; /* a buffer out of memory is reported by the runner */
}

/* run.json's "settings": what --config and --resume replay, and the fingerprint. */
static void escape_settings(const cli_runner *r, ogem_json_writer *w, const char *key, int for_fingerprint)
{
    const escape_cmd *c = r->ctx;
    cli_escape_settings_json(w, key, &c->e, for_fingerprint);
}

static int escape_finish(cli_runner *r, const cli_outcome *how)
{
    escape_cmd *c = r->ctx;
    double solve = 0.0;
    for (long g = c->g0; g < c->res.done; g++) solve += c->res.seconds[g];
    c->tm = (cli_escape_timing){ cli_now() - r->t_start, solve };
    cli_escape_csv(c->esc, &c->e, &c->res);
    if (c->e.sweep != CLI_SWEEP_NONE) cli_escape_sweep_csv(c->swp, &c->e, &c->res);
    char *summary = cli_escape_summary_json(&c->e, &c->res, &c->info, &c->tm, how);
    char *runjs = summary ? cli_escape_run_json(&c->e, &c->res, &c->info, &c->tm, how, r->argc, r->argv) : NULL;
    if (!runjs) {
        free(summary);
        return cli_runner_fail(r, CLI_EXIT_FAILURE, "out of memory writing summary.json");
    }
    fputs(summary, c->sum);
    fputs(runjs, c->js);
    free(summary);
    free(runjs);
    return 0;
}

static void escape_summary(cli_runner *r)
{
    escape_cmd *c = r->ctx;
    cli_escape_print_summary(&c->e, &c->res, &c->info, &c->tm);
}

static void escape_cleanup(cli_runner *r)
{
    escape_cmd *c = r->ctx;
    cli_escape_results_free(&c->res);
    cli_escape_opts_free(&c->e);
}

int cli_escape_main(int argc, char **argv)
{
    const cli_command command = {
        /* name, flags (built at run time), replayable, their count, --out, --config, --resume */
        "escape", cli_escape_flags(), escape_replayable, EF_COUNT, EF_OUT, EF_CONFIG, EF_RESUME,
        /* --help, width of the progress line */
        "ogem escape [FLAGS]", escape_intro, escape_epilogue, 78,
        /* the hooks, in the order they are called */
        escape_build, escape_settings, escape_start, escape_open, escape_solve, escape_payload, escape_finish,
        escape_summary, escape_cleanup,
    };
    escape_cmd c;
    memset(&c, 0, sizeof c);
    return cli_runner_main(&command, &c, argc, argv);
}
