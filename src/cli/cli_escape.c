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
 * It follows `ogem run` in everything else: the shared flags mean the same
 * and are validated by the same code (cli_run_opts_build, once per grid
 * point, all before anything is written), outputs are committed atomically
 * (ogem_outdir), --config replays a run.json, and SIGINT/SIGTERM or
 * --checkpoint-every leave a checkpoint that --resume continues exactly
 * (cli_ckpt.h). The checkpoint's payload is the grid position and every
 * escape step and loss so far.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_ckpt.h"
#include "cli/cli_escape.h"
#include "util/json.h"

/* ---- flags ------------------------------------------------------------------------- */

enum cli_escape_flag {
    EF_DIM, EF_COMPONENTS, EF_WEIGHTS, EF_MU_STAR, EF_INITS, EF_RADIUS, EF_INIT, EF_UNTIL, EF_MAX_STEPS,
    EF_ETA, EF_ALGO, EF_ESTIMATOR, EF_SUBSPACE, EF_SWEEP, EF_RADIUS_PER_SQRT_DIM, EF_SEED, EF_DEVICE,
    EF_PRECISION, EF_GPU_PATH, EF_THREADS, EF_OUT, EF_CONFIG, EF_CHECKPOINT_EVERY, EF_RESUME, EF_QUIET,
    EF_COUNT
};

/* The `ogem run` flag each escape flag is (-1: escape's own). */
static const int run_flag_of[EF_COUNT] = {
    [EF_DIM] = RF_DIM, [EF_COMPONENTS] = RF_COMPONENTS, [EF_WEIGHTS] = RF_WEIGHTS, [EF_MU_STAR] = RF_MU_STAR,
    [EF_INITS] = RF_INITS, [EF_RADIUS] = -1, [EF_INIT] = RF_INIT, [EF_UNTIL] = -1, [EF_MAX_STEPS] = -1,
    [EF_ETA] = RF_ETA, [EF_ALGO] = RF_ALGO, [EF_ESTIMATOR] = RF_ESTIMATOR, [EF_SUBSPACE] = RF_SUBSPACE,
    [EF_SWEEP] = -1, [EF_RADIUS_PER_SQRT_DIM] = -1, [EF_SEED] = RF_SEED, [EF_DEVICE] = RF_DEVICE,
    [EF_PRECISION] = RF_PRECISION, [EF_GPU_PATH] = RF_GPU_PATH, [EF_THREADS] = RF_THREADS, [EF_OUT] = RF_OUT,
    [EF_CONFIG] = RF_CONFIG, [EF_CHECKPOINT_EVERY] = RF_CHECKPOINT_EVERY, [EF_RESUME] = RF_RESUME,
    [EF_QUIET] = RF_QUIET,
};

static const unsigned char escape_replayable[EF_COUNT] = {
    [EF_DIM] = 1, [EF_COMPONENTS] = 1, [EF_WEIGHTS] = 1, [EF_MU_STAR] = 1, [EF_INITS] = 1, [EF_INIT] = 1,
    [EF_UNTIL] = 1, [EF_MAX_STEPS] = 1, [EF_ETA] = 1, [EF_ALGO] = 1, [EF_ESTIMATOR] = 1, [EF_SUBSPACE] = 1,
    [EF_SWEEP] = 1, [EF_RADIUS_PER_SQRT_DIM] = 1, [EF_SEED] = 1, [EF_DEVICE] = 1, [EF_PRECISION] = 1,
    [EF_GPU_PATH] = 1, [EF_THREADS] = 1, [EF_CHECKPOINT_EVERY] = 1,
};

/* Built from `ogem run`'s table (same names, help and checks), with escape's
 * own flags and defaults. */
static cli_flag escape_flags[EF_COUNT];

static void init_flags(void)
{
    for (int i = 0; i < EF_COUNT; i++)
        if (run_flag_of[i] >= 0) escape_flags[i] = cli_run_flags[run_flag_of[i]];
    escape_flags[EF_COMPONENTS].def = "2";
    escape_flags[EF_INITS].def = "64";
    escape_flags[EF_ESTIMATOR].def = "exact";
    escape_flags[EF_INIT].def = NULL;
    escape_flags[EF_INIT].help = "far:K:RADIUS (K components at RADIUS, the rest at mu*) | random:S | file:PATH "
                                 "[far:1:--radius]";
    escape_flags[EF_OUT].def = "ogem-escape";
    escape_flags[EF_CONFIG].help = "replay an escape run (its run.json or its directory); flags given here override it";
    escape_flags[EF_RESUME].help = "continue the experiment checkpointed in DIR with its settings "
                                   "(writes to DIR unless --out)";
    escape_flags[EF_RADIUS] = (cli_flag){ "--radius", CLI_FLAG_VALUE, "RADIUS", "4",
                                          "distance of the far component from mu* (--init far:1:RADIUS)" };
    escape_flags[EF_UNTIL] = (cli_flag){
        "--until", CLI_FLAG_VALUE, "COND", "dist<=1",
        "escaped at the first step with dist<=r (max_i |mu_i - mu*| <= r) or loss<=x" };
    escape_flags[EF_MAX_STEPS] = (cli_flag){ "--max-steps", CLI_FLAG_VALUE, "T", "100000",
                                             "steps before an initialization counts as censored" };
    escape_flags[EF_SWEEP] = (cli_flag){ "--sweep", CLI_FLAG_VALUE, "SPEC", NULL,
                                         "radius=A:B:STEP | dim=D1,D2,... : repeat over a grid, fit the growth" };
    escape_flags[EF_RADIUS_PER_SQRT_DIM] = (cli_flag){ "--radius-per-sqrt-dim", CLI_FLAG_VALUE, "C", NULL,
                                                       "dim sweep: radius C sqrt(d) at each d" };
}

static const char *const escape_intro =
    "Escape times from bad regions: R initializations start with K components far from\n"
    "mu* (--init far:K:RADIUS) and each is stepped until it escapes (--until) or reaches\n"
    "--max-steps (censored). Reports Kaplan-Meier medians and quartiles of the escape\n"
    "step; --sweep repeats the experiment over radii or dimensions and fits the growth.";

static const char *const escape_epilogue =
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

/* ---- options --------------------------------------------------------------------------- */


static void escape_opts_free(cli_escape_opts *e)
{
    for (long g = 0; g < e->G; g++) cli_run_opts_free(&e->grid[g]);
    free(e->grid);
    free(e->points);
    free(e->until_text);
    free(e->sweep_text);
    free(e->init_text);
    free(e->mu_star);
    memset(e, 0, sizeof *e);
}

static int parse_until(const char *cmd, const char *label, const char *text, cli_escape_opts *e)
{
    double x;
    if (strncmp(text, "dist<=", 6) == 0 && cli_strtod(text + 6, &x) == 0 && x >= 0) {
        e->until = OGEM_UNTIL_DIST;
        e->until_text = cli_dup_printf("dist<=%.17g", x);
    } else if (strncmp(text, "loss<=", 6) == 0 && cli_strtod(text + 6, &x) == 0) {
        e->until = OGEM_UNTIL_LOSS;
        e->until_text = cli_dup_printf("loss<=%.17g", x);
    } else {
        cli_error(cmd, "%s: expected dist<=r (r >= 0) or loss<=x, got '%s'", label, text);
        return -1;
    }
    e->threshold = x;
    if (!e->until_text) {
        cli_error(cmd, "%s: out of memory", label);
        return -1;
    }
    return 0;
}

#define MAX_GRID 1000

/* Rounded to 12 significant digits, so that 0.1 steps give 0.3, not
 * 0.30000000000000004. */
static double grid_round(double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.12g", v);
    return strtod(buf, NULL);
}

static int parse_sweep(const char *cmd, const char *label, const char *text, cli_escape_opts *e)
{
    if (strncmp(text, "radius=", 7) == 0) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", text + 7);
        char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        double a, b, step;
        if (c1) *c1 = '\0';
        if (c2) *c2 = '\0';
        if (!c1 || !c2 || cli_strtod(buf, &a) || cli_strtod(c1 + 1, &b) || cli_strtod(c2 + 1, &step) || a < 0 ||
            b < a || !(step > 0)) {
            cli_error(cmd, "%s: radius=A:B:STEP needs 0 <= A <= B and STEP > 0, got '%s'", label, text);
            return -1;
        }
        double count = floor((b - a) / step + 1e-9) + 1;
        if (count > MAX_GRID) {
            cli_error(cmd, "%s: '%s' has %.0f grid points; at most %d", label, text, count, MAX_GRID);
            return -1;
        }
        e->sweep = CLI_SWEEP_RADIUS;
        e->G = (long)count;
        e->points = calloc((size_t)e->G, sizeof *e->points);
        e->sweep_text = cli_dup_printf("radius=%.17g:%.17g:%.17g", a, b, step);
        if (!e->points || !e->sweep_text) goto nomem;
        for (long j = 0; j < e->G; j++) e->points[j].value = e->points[j].radius = grid_round(a + (double)j * step);
        return 0;
    }
    if (strncmp(text, "dim=", 4) == 0) {
        double *v;
        int count;
        char what[64];
        snprintf(what, sizeof what, "%s dim=", label);
        if (cli_parse_double_list(cmd, what, text + 4, &v, &count) != 0) return -1;
        for (int j = 0; j < count; j++) {
            if (!(v[j] >= 1 && v[j] <= INT_MAX && v[j] == floor(v[j]))) {
                cli_error(cmd, "%s: dim=LIST needs integers >= 1, got '%s'", label, text);
                free(v);
                return -1;
            }
        }
        if (count > MAX_GRID) {
            cli_error(cmd, "%s: %d grid points; at most %d", label, count, MAX_GRID);
            free(v);
            return -1;
        }
        e->sweep = CLI_SWEEP_DIM;
        e->G = count;
        e->points = calloc((size_t)count, sizeof *e->points);
        size_t cap = 8 + 12 * (size_t)count, k = 0;
        e->sweep_text = malloc(cap);
        if (!e->points || !e->sweep_text) {
            free(v);
            goto nomem;
        }
        k += (size_t)snprintf(e->sweep_text, cap, "dim=");
        for (int j = 0; j < count; j++) {
            e->points[j].value = v[j];
            e->points[j].dim = (int)v[j];
            k += (size_t)snprintf(e->sweep_text + k, cap - k, "%s%d", j ? "," : "", (int)v[j]);
        }
        free(v);
        return 0;
    }
    cli_error(cmd, "%s: expected radius=A:B:STEP or dim=D1,D2,..., got '%s'", label, text);
    return -1;
nomem:
    cli_error(cmd, "%s: out of memory", label);
    return -1;
}

/* K of a far:K:RADIUS spec (already validated), or -1. */
static long far_k_of(const char *spec)
{
    long k;
    char buf[64];
    if (strncmp(spec, "far:", 4) != 0) return -1;
    snprintf(buf, sizeof buf, "%s", spec + 4);
    char *colon = strchr(buf, ':');
    if (!colon) return -1;
    *colon = '\0';
    return cli_strtol(buf, &k) == 0 ? k : -1;
}

/* Validates everything and builds one cli_run_opts per grid point. */
static int build_opts(const char *cmd, const char **value, const unsigned char *given, const unsigned char *from_config,
                      const char *const *label, cli_strings *pool, cli_escape_opts *e)
{
    memset(e, 0, sizeof *e);
    const char *rv[RF_COUNT], *rl[RF_COUNT];
    cli_run_opts base;
    int have_base = 0;
    for (int i = 0; i < RF_COUNT; i++) {
        rv[i] = NULL;
        rl[i] = cli_run_flags[i].name;
    }
    for (int i = 0; i < EF_COUNT; i++) {
        if (run_flag_of[i] < 0) continue;
        rv[run_flag_of[i]] = value[i];
        rl[run_flag_of[i]] = label[i];
    }
    rv[RF_CHECKPOINT_EVERY] = rv[RF_RESUME] = NULL; /* handled here */
    rv[RF_LOG] = "log";
    rv[RF_TRACE_INITS] = "0";

    if (parse_until(cmd, label[EF_UNTIL], value[EF_UNTIL], e) ||
        cli_parse_long(cmd, label[EF_MAX_STEPS], value[EF_MAX_STEPS], 1, LONG_MAX - 1, &e->max_steps) ||
        cli_parse_long(cmd, label[EF_CHECKPOINT_EVERY], value[EF_CHECKPOINT_EVERY], 0, LONG_MAX,
                       &e->checkpoint_every))
        goto fail;
    rv[RF_STEPS] = value[EF_MAX_STEPS];
    rl[RF_STEPS] = label[EF_MAX_STEPS];
    if (value[EF_SWEEP]) {
        if (parse_sweep(cmd, label[EF_SWEEP], value[EF_SWEEP], e)) goto fail;
    } else {
        e->G = 1;
        e->points = calloc(1, sizeof *e->points);
        if (!e->points) { cli_error(cmd, "out of memory"); goto fail; }
    }
    if (value[EF_RADIUS_PER_SQRT_DIM]) {
        if (e->sweep != CLI_SWEEP_DIM) {
            cli_error(cmd, "%s: only with --sweep dim=LIST", label[EF_RADIUS_PER_SQRT_DIM]);
            goto fail;
        }
        if (cli_parse_double(cmd, label[EF_RADIUS_PER_SQRT_DIM], value[EF_RADIUS_PER_SQRT_DIM], 1,
                             &e->radius_per_sqrt_dim))
            goto fail;
    }
    if (e->sweep == CLI_SWEEP_DIM && given[EF_DIM]) {
        cli_error(cmd, "%s: --sweep dim=LIST sets the dimension; drop --dim", label[EF_DIM]);
        goto fail;
    }

    /* The initializations: --radius R is --init far:1:R. */
    double radius;
    if (cli_parse_double(cmd, label[EF_RADIUS], value[EF_RADIUS], 0, &radius)) goto fail;
    if (radius < 0) {
        cli_error(cmd, "%s: expected a finite number >= 0, got '%s'", label[EF_RADIUS], value[EF_RADIUS]);
        goto fail;
    }
    if (given[EF_RADIUS]) {
        if (given[EF_INIT]) {
            cli_error(cmd, "%s: give either --radius R or --init far:K:RADIUS, not both", label[EF_RADIUS]);
            goto fail;
        }
        if (e->sweep == CLI_SWEEP_RADIUS) {
            cli_error(cmd, "%s: --sweep radius=A:B:STEP sets the radius; drop --radius", label[EF_RADIUS]);
            goto fail;
        }
        if (e->radius_per_sqrt_dim > 0) {
            cli_error(cmd, "%s: --radius-per-sqrt-dim sets the radius of a dim sweep; drop --radius",
                      label[EF_RADIUS]);
            goto fail;
        }
    }
    const char *init = value[EF_INIT];
    char buf[160], dimbuf[32];
    if (!init || (given[EF_RADIUS] && from_config[EF_INIT])) {
        long k = init ? far_k_of(init) : 1;
        if (k < 0) {
            cli_error(cmd, "%s: the replayed --init '%s' is not far:K:RADIUS", label[EF_RADIUS], init);
            goto fail;
        }
        snprintf(buf, sizeof buf, "far:%ld:%.17g", k, radius);
        init = buf;
    }
    rv[RF_INIT] = init;
    if (e->sweep == CLI_SWEEP_DIM) {
        snprintf(dimbuf, sizeof dimbuf, "%d", e->points[0].dim);
        rv[RF_DIM] = dimbuf;
        rl[RF_DIM] = label[EF_SWEEP];
    }
    /* The base set: every check of `ogem run`, and the canonical texts. */
    if (cli_run_opts_build(cmd, rv, rl, &base) != 0) goto fail;
    have_base = 1;
    e->R = base.inits;
    e->dim = base.dim;
    e->out_dir = base.out_dir;
    e->quiet = base.quiet;
    e->init_text = cli_dup_printf("%s", base.init_text);
    if (!e->init_text) { cli_error(cmd, "out of memory"); goto fail; }
    if (e->sweep != CLI_SWEEP_NONE && base.init_kind != CLI_INIT_FAR) {
        cli_error(cmd, "%s: a sweep needs --init far:K:RADIUS, got '%s'", label[EF_INIT], base.init_text);
        goto fail;
    }
    {
        double *mu;
        int count;
        if (cli_parse_double_list(cmd, label[EF_MU_STAR], value[EF_MU_STAR], &mu, &count)) goto fail;
        e->mu_star = mu;
        e->mu_star_count = count;
    }

    e->grid = calloc((size_t)e->G, sizeof *e->grid);
    if (!e->grid) { cli_error(cmd, "out of memory"); goto fail; }
    if (e->sweep == CLI_SWEEP_NONE) {
        e->grid[0] = base;
        have_base = 0;
        e->points[0].radius = base.init_kind == CLI_INIT_FAR ? base.far_radius : NAN;
        e->points[0].dim = base.dim;
        e->points[0].value = NAN;
        return 0;
    }
    /* One option set per grid point, all checked now: nothing is written
     * before every grid point is known to be valid. */
    for (long g = 0; g < e->G; g++) {
        cli_escape_point *p = &e->points[g];
        if (e->sweep == CLI_SWEEP_DIM) {
            p->radius = e->radius_per_sqrt_dim > 0 ? e->radius_per_sqrt_dim * sqrt((double)p->dim) : base.far_radius;
            snprintf(dimbuf, sizeof dimbuf, "%d", p->dim);
            rv[RF_DIM] = cli_strings_add(pool, dimbuf);
            rl[RF_DIM] = label[EF_SWEEP];
        } else {
            p->dim = base.dim;
        }
        snprintf(buf, sizeof buf, "far:%d:%.17g", base.far_k, p->radius);
        rv[RF_INIT] = cli_strings_add(pool, buf);
        rl[RF_INIT] = label[EF_SWEEP];
        if (!rv[RF_DIM] || !rv[RF_INIT]) { cli_error(cmd, "out of memory"); goto fail; }
        /* e->G counts the built ones, for escape_opts_free. */
        long G = e->G;
        e->G = g;
        int bad = cli_run_opts_build(cmd, rv, rl, &e->grid[g]) != 0;
        e->G = bad ? g : G;
        if (bad) goto fail;
    }
    cli_run_opts_free(&base);
    return 0;
fail:
    if (have_base) cli_run_opts_free(&base);
    if (!e->grid) e->G = 0;
    escape_opts_free(e);
    return -1;
}

/* ---- the loop -------------------------------------------------------------------------------- */

typedef struct escape_ctx {
    const cli_escape_opts *e;
    cli_escape_results *res;
    ogem_solver *solver;
    long g;
    uint64_t fingerprint;
    const char *config;
    int ckpt_failed, ckpt_written;
    char msg[1024];
    /* progress line */
    int progress;
    double start, last;
} escape_ctx;

static int write_checkpoint(escape_ctx *c)
{
    const cli_escape_opts *e = c->e;
    const cli_escape_results *res = c->res;
    const size_t GR = (size_t)e->G * (size_t)e->R;
    cli_buf blob = { 0 };
    cli_ckpt_begin_blob(&blob, "escape", c->config);
    cli_buf_put_u64(&blob, (uint64_t)c->g);
    cli_buf_put_u64(&blob, (uint64_t)e->G);
    cli_buf_put_u64(&blob, (uint64_t)e->R);
    for (long g = 0; g < e->G; g++) cli_buf_put_u64(&blob, (uint64_t)(int64_t)res->reached[g]);
    for (size_t q = 0; q < GR; q++) cli_buf_put_u64(&blob, (uint64_t)(int64_t)res->steps[q]);
    cli_buf_put(&blob, res->loss, GR * sizeof *res->loss);
    c->ckpt_written = 1;
    int rc = cli_ckpt_write(e->out_dir, c->solver, c->fingerprint, &blob, c->msg, sizeof c->msg);
    cli_buf_free(&blob);
    return rc;
}

static void progress_line(escape_ctx *c, long step, long running, int force)
{
    if (!c->progress) return;
    double now = cli_now();
    if (!force && c->last >= 0 && now - c->last < 0.2) return;
    c->last = now;
    const cli_escape_point *p = &c->e->points[c->g];
    char where[96] = "";
    if (c->e->sweep == CLI_SWEEP_RADIUS)
        snprintf(where, sizeof where, "radius %g (%ld/%ld)  ", p->radius, c->g + 1, c->e->G);
    else if (c->e->sweep == CLI_SWEEP_DIM)
        snprintf(where, sizeof where, "dim %d (%ld/%ld)  ", p->dim, c->g + 1, c->e->G);
    fprintf(stderr, "\r  %sstep %ld/%ld  running %ld/%ld  elapsed %.1f s   ", where, step + 1, c->e->max_steps,
            running, c->e->R, now - c->start);
    fflush(stderr);
}

static int on_step(long step, long running, void *user)
{
    escape_ctx *c = user;
    const cli_escape_opts *e = c->e;
    progress_line(c, step, running, 0);
    c->res->reached[c->g] = step + 1;
    if (e->checkpoint_every > 0 && (step + 1) % e->checkpoint_every == 0 && running > 0 && step + 1 < e->max_steps) {
        if (write_checkpoint(c) != 0) {
            c->ckpt_failed = 1;
            return 1;
        }
    }
    cli_stop_count_step();
    return cli_stop_requested() != 0;
}

/* A solver for grid point g at its initial means. Prints the error. */
static int make_solver(const char *cmd, const cli_run_opts *o, const char *init_label, ogem_solver **out, int *rc)
{
    ogem_settings s;
    char msg[1024];
    cli_run_fill_settings(o, &s);
    msg[0] = '\0';
    ogem_status st = ogem_solver_create(out, &s, msg, sizeof msg);
    if (st != OGEM_OK) {
        cli_error(cmd, "%s", msg[0] ? msg : ogem_status_string(st));
        *rc = cli_exit_code_for(st);
        return -1;
    }
    cli_device_notice(cmd, s.device, *out, o->quiet);
    double *mu = malloc((size_t)o->inits * (size_t)o->components * (size_t)o->dim * sizeof *mu);
    st = mu ? cli_run_initial_means(o, mu) : OGEM_ERR_NOMEM;
    if (st == OGEM_OK) st = ogem_solver_set_means(*out, mu);
    free(mu);
    if (st != OGEM_OK) {
        const char *e = ogem_solver_error(*out);
        cli_error(cmd, "%s: %s", init_label, e && *e ? e : ogem_status_string(st));
        *rc = cli_exit_code_for(st);
        ogem_solver_destroy(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

static char *config_text(const cli_escape_opts *e, uint64_t *fingerprint)
{
    ogem_json_writer w;
    ogem_jw_init(&w);
    cli_escape_settings_json(&w, NULL, e, 1);
    const char *fp = ogem_jw_text(&w, NULL);
    const cli_run_opts *o = &e->grid[0];
    size_t ndata = o->estimator == OGEM_EST_DATA ? (size_t)o->samples * (size_t)o->dim : 0;
    *fingerprint = fp ? cli_fingerprint("escape", fp, o->data, ndata) : 0;
    int ok = fp != NULL;
    ogem_jw_free(&w);

    ogem_jw_init(&w);
    ogem_jw_begin_object(&w, NULL);
    ogem_jw_string(&w, "command", "escape");
    cli_escape_settings_json(&w, "settings", e, 0);
    ogem_jw_end_object(&w);
    size_t len;
    const char *text = ogem_jw_text(&w, &len);
    char *copy = ok && text ? malloc(len + 1) : NULL;
    if (copy) memcpy(copy, text, len + 1);
    ogem_jw_free(&w);
    return copy;
}

/* The payload of an escape checkpoint, checked against the options. */
static int read_payload(const char *cmd, cli_resume *r, const cli_escape_opts *e, cli_escape_results *res, long *g)
{
    cli_reader *rd = &r->payload;
    uint64_t gg = cli_rd_u64(rd), G = cli_rd_u64(rd), R = cli_rd_u64(rd);
    const size_t GR = (size_t)e->G * (size_t)e->R;
    if (rd->failed || G != (uint64_t)e->G || R != (uint64_t)e->R || gg >= G) goto bad;
    for (long q = 0; q < e->G; q++) res->reached[q] = (long)(int64_t)cli_rd_u64(rd);
    for (size_t q = 0; q < GR; q++) res->steps[q] = (long)(int64_t)cli_rd_u64(rd);
    const unsigned char *loss = cli_rd_bytes(rd, GR * sizeof *res->loss);
    if (rd->failed || !loss) goto bad;
    memcpy(res->loss, loss, GR * sizeof *res->loss);
    const cli_run_opts *o = &e->grid[gg];
    if (r->ck.R != o->inits || r->ck.n != o->components || r->ck.d != o->dim || r->ck.step > e->max_steps) goto bad;
    *g = (long)gg;
    return 0;
bad:
    cli_error(cmd, "--resume: %s is inconsistent with its own settings (corrupt?)", r->path);
    return -1;
}

int cli_escape_main(int argc, char **argv)
{
    const char *cmd = "escape";
    double t_start = cli_now();
    const char *value[EF_COUNT], *label[EF_COUNT];
    unsigned char given[EF_COUNT], from_config[EF_COUNT] = { 0 };
    cli_strings pool = { 0 };
    cli_escape_opts e;
    cli_escape_results res = { 0 };
    cli_resume resume;
    ogem_solver *solver = NULL;
    ogem_outdir *out = NULL;
    char *config = NULL;
    char msg[1024];
    int rc = CLI_EXIT_USAGE;
    int have_opts = 0, have_resume = 0, ckpt_preexisting = 1;
    escape_ctx ctx;
    memset(&ctx, 0, sizeof ctx);

    init_flags();
    int pr = cli_parse_flags(cmd, escape_flags, EF_COUNT, argc, argv, value, given);
    if (pr == CLI_PARSE_HELP) {
        cli_print_help(stdout, "ogem escape [FLAGS]", escape_intro, escape_flags, EF_COUNT, escape_epilogue);
        return CLI_EXIT_OK;
    }
    if (pr != CLI_PARSE_OK) return CLI_EXIT_USAGE;

    /* ---- 1. validate everything --------------------------------------------------------- */
    const char *origin = value[EF_CONFIG];
    if (value[EF_RESUME]) {
        if (value[EF_CONFIG]) {
            cli_error(cmd, "--resume: cannot be combined with --config (the checkpoint holds the settings)");
            goto done;
        }
        if (cli_resume_load(cmd, value[EF_RESUME], &resume) != 0) goto done;
        have_resume = 1;
        origin = resume.path;
        if (cli_config_apply_text(cmd, "--resume", resume.path, resume.config, resume.config_len, "escape",
                                  escape_flags, escape_replayable, EF_COUNT, value, given, from_config, &pool) != 0)
            goto done;
        if (!given[EF_OUT]) value[EF_OUT] = value[EF_RESUME];
    } else if (value[EF_CONFIG] &&
               cli_config_apply_table(cmd, value[EF_CONFIG], "escape", escape_flags, escape_replayable, EF_COUNT,
                                      value, given, from_config, &pool) != 0) {
        goto done;
    }
    for (int i = 0; i < EF_COUNT; i++) {
        label[i] = escape_flags[i].name;
        if (from_config[i]) {
            snprintf(msg, sizeof msg, "%s (from %s)", escape_flags[i].name, origin);
            const char *l = cli_strings_add(&pool, msg);
            if (l) label[i] = l;
        }
    }
    if (build_opts(cmd, value, given, from_config, label, &pool, &e) != 0) goto done;
    have_opts = 1;

    uint64_t fingerprint = 0;
    config = config_text(&e, &fingerprint);
    const size_t GR = (size_t)e.G * (size_t)e.R;
    res.steps = malloc(GR * sizeof *res.steps);
    res.loss = malloc(GR * sizeof *res.loss);
    res.reached = calloc((size_t)e.G, sizeof *res.reached);
    if (!config || !res.steps || !res.loss || !res.reached) {
        cli_error(cmd, "out of memory for %ld x %ld initializations", e.G, e.R);
        rc = CLI_EXIT_FAILURE;
        goto done;
    }
    for (size_t q = 0; q < GR; q++) {
        res.steps[q] = -1;
        res.loss[q] = NAN;
    }
    long g0 = 0;
    if (have_resume) {
        if (cli_resume_check(cmd, &resume, fingerprint, config) != 0) goto done;
        if (read_payload(cmd, &resume, &e, &res, &g0) != 0) goto done;
    }
    const char *init_label = e.sweep != CLI_SWEEP_NONE ? label[EF_SWEEP] : label[EF_INIT];
    if (make_solver(cmd, &e.grid[g0], init_label, &solver, &rc) != 0) goto done;
    if (have_resume && ogem_checkpoint_restore(solver, &resume.ck) != OGEM_OK) {
        cli_error(cmd, "--resume: %s does not fit these settings", resume.path);
        goto done;
    }

    /* ---- 2. the output directory --------------------------------------------------------- */
    out = ogem_outdir_open(e.out_dir, msg, sizeof msg);
    if (!out) {
        cli_error(cmd, "%s: %s", label[EF_OUT], msg);
        goto done;
    }
    ckpt_preexisting = cli_ckpt_exists(e.out_dir);
    FILE *esc = ogem_outdir_create(out, "escapes.csv", msg, sizeof msg);
    FILE *swp = esc && e.sweep != CLI_SWEEP_NONE ? ogem_outdir_create(out, "sweep.csv", msg, sizeof msg) : esc;
    FILE *sum = swp ? ogem_outdir_create(out, "summary.json", msg, sizeof msg) : NULL;
    FILE *js = sum ? ogem_outdir_create(out, "run.json", msg, sizeof msg) : NULL;
    if (!js) {
        cli_error(cmd, "%s: %s", label[EF_OUT], msg);
        goto done;
    }

    /* ---- 3. the experiments ------------------------------------------------------------------ */
    rc = CLI_EXIT_FAILURE;
    ctx.e = &e;
    ctx.res = &res;
    ctx.fingerprint = fingerprint;
    ctx.config = config;
    ctx.progress = !e.quiet && isatty(STDERR_FILENO);
    ctx.start = cli_now();
    ctx.last = -1;
    ogem_solver_info info;
    memset(&info, 0, sizeof info);
    int max_k = 0;
    double solve = 0.0;
    int interrupted = 0, failed = 0;
    cli_stop_install();
    for (long g = g0; g < e.G; g++) {
        if (g > g0 && make_solver(cmd, &e.grid[g], init_label, &solver, &rc) != 0) {
            failed = 1;
            break;
        }
        ctx.solver = solver;
        ctx.g = g;
        long *steps = res.steps + (size_t)g * (size_t)e.R;
        double *loss = res.loss + (size_t)g * (size_t)e.R;
        double t0 = cli_now();
        ogem_status st = ogem_escape_run(solver, e.until, e.threshold, e.max_steps, steps, loss, on_step, &ctx);
        solve += cli_now() - t0;
        res.reached[g] = ogem_solver_step_index(solver);
        res.done = g + 1;
        if (st != OGEM_OK) {
            const char *m = ogem_solver_error(solver);
            if (ctx.progress) fprintf(stderr, "\r%*s\r", 78, "");
            char where[96] = "";
            if (e.sweep == CLI_SWEEP_RADIUS) snprintf(where, sizeof where, "radius %.17g: ", e.points[g].radius);
            if (e.sweep == CLI_SWEEP_DIM) snprintf(where, sizeof where, "dim %d: ", e.points[g].dim);
            cli_error(cmd, "%sstep %ld: %s", where, ogem_solver_step_index(solver),
                      m && *m ? m : ogem_status_string(st));
            rc = cli_exit_code_for(st);
            failed = 1;
            break;
        }
        if (ctx.ckpt_failed) {
            if (ctx.progress) fprintf(stderr, "\r%*s\r", 78, "");
            cli_error(cmd, "%s", ctx.msg);
            failed = 1;
            break;
        }
        ogem_solver_get_info(solver, &info);
        if (info.max_subspace_dim > max_k) max_k = info.max_subspace_dim;
        long running = 0;
        for (long r = 0; r < e.R; r++) running += steps[r] < 0;
        if (running > 0 && res.reached[g] < e.max_steps) {
            interrupted = 1; /* the callback stopped it: a signal */
            break;
        }
        if (g + 1 < e.G) {
            ogem_solver_destroy(solver);
            solver = NULL;
        }
    }
    info.max_subspace_dim = max_k;
    if (ctx.progress) {
        fprintf(stderr, "\r%*s\r", 78, "");
        fflush(stderr);
    }
    cli_stop_restore();
    if (failed) goto done;
    if (interrupted && write_checkpoint(&ctx) != 0) {
        cli_error(cmd, "interrupted, and %s", ctx.msg);
        goto done;
    }

    /* ---- 4. outputs, commit -------------------------------------------------------------------- */
    cli_escape_timing tm = { cli_now() - t_start, solve };
    cli_escape_status status = { interrupted, cli_stop_name(), have_resume ? resume.dir : NULL };
    cli_escape_csv(esc, &e, &res);
    if (e.sweep != CLI_SWEEP_NONE) cli_escape_sweep_csv(swp, &e, &res);
    char *summary = cli_escape_summary_json(&e, &res, &info, &tm, &status);
    char *runjs = summary ? cli_escape_run_json(&e, &res, &info, &tm, &status, argc, argv) : NULL;
    if (!runjs) {
        free(summary);
        cli_error(cmd, "out of memory writing summary.json");
        goto done;
    }
    fputs(summary, sum);
    fputs(runjs, js);
    free(summary);
    free(runjs);
    int committed = ogem_outdir_commit(out, msg, sizeof msg);
    out = NULL;
    if (committed != 0) {
        cli_error(cmd, "%s: %s", label[EF_OUT], msg);
        goto done;
    }
    if (interrupted) {
        char *hint = cli_resume_hint("escape", e.out_dir);
        cli_error(cmd, "interrupted (%s); partial results and a checkpoint are in %s; continue with: %s",
                  cli_stop_name(), e.out_dir, hint ? hint : "--resume");
        free(hint);
        rc = CLI_EXIT_INTERRUPTED;
        goto done;
    }
    cli_ckpt_remove(e.out_dir);
    rc = CLI_EXIT_OK;
    if (!e.quiet) cli_escape_print_summary(&e, &res, &info, &tm);

done:
    if (rc != CLI_EXIT_OK && rc != CLI_EXIT_INTERRUPTED && ctx.ckpt_written && !ckpt_preexisting)
        cli_ckpt_remove(e.out_dir); /* a failed run leaves nothing behind */
    if (out) ogem_outdir_abort(out);
    if (solver) ogem_solver_destroy(solver);
    free(res.steps);
    free(res.loss);
    free(res.reached);
    free(config);
    if (have_opts) escape_opts_free(&e);
    if (have_resume) cli_resume_free(&resume);
    cli_strings_free(&pool);
    return rc;
}
