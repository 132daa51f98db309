/*
 * cli_escape_opts.c - `ogem escape`'s flag table and options (see
 * cli_escape_opts.h): --until, --max-steps, --sweep and --radius checked
 * here, everything else by `ogem run`'s own validation (cli_run_opts_build),
 * once for the base settings and once per grid point, so that every grid
 * point is known to be valid before anything is written.
 */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_escape_opts.h"
#include "math/checked.h"

/* ---- flags ------------------------------------------------------------------------------- */

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

/* Filled on first use: C cannot initialize it from run's table at compile time. */
static cli_flag escape_flags[EF_COUNT];

const cli_flag *cli_escape_flags(void)
{
    static int built;
    if (built) return escape_flags;
    built = 1;
    for (int i = 0; i < EF_COUNT; i++)
        if (run_flag_of[i] >= 0) escape_flags[i] = cli_run_flags[run_flag_of[i]];
    escape_flags[EF_COMPONENTS].def = "2";
    escape_flags[EF_INITS].def = "64";
    escape_flags[EF_ESTIMATOR].def = "exact";
    /* run's --mu-star has no default text, so that it can refuse one given
     * with --truth; escape has no --truth, and the origin as its default. */
    escape_flags[EF_MU_STAR].def = "0";
    escape_flags[EF_MU_STAR].help = "truth mean: d values, or one for every coordinate";
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
    return escape_flags;
}

/* ---- options ------------------------------------------------------------------------------ */

void cli_escape_opts_free(cli_escape_opts *e)
{
    for (long g = 0; g < e->G; g++) cli_run_opts_free(&e->grid[g]);
    free(e->grid);
    free(e->points);
    free(e->mu_star);
    memset(e, 0, sizeof *e);
}

static int parse_until(const char *cmd, const char *label, const char *text, cli_strings *pool, cli_escape_opts *e)
{
    double x;
    if (strncmp(text, "dist<=", 6) == 0 && cli_strtod(text + 6, &x) == 0 && x >= 0) {
        e->until = OGEM_UNTIL_DIST;
        e->until_text = cli_strings_keep(pool, cli_dup_printf("dist<=%.17g", x));
    } else if (strncmp(text, "loss<=", 6) == 0 && cli_strtod(text + 6, &x) == 0) {
        e->until = OGEM_UNTIL_LOSS;
        e->until_text = cli_strings_keep(pool, cli_dup_printf("loss<=%.17g", x));
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

static int parse_sweep(const char *cmd, const char *label, const char *text, cli_strings *pool, cli_escape_opts *e)
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
        e->sweep_text = cli_strings_keep(pool, cli_dup_printf("radius=%.17g:%.17g:%.17g", a, b, step));
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
        char *spec = malloc(cap);
        if (!e->points || !spec) {
            free(v);
            free(spec);
            goto nomem;
        }
        k += (size_t)snprintf(spec, cap, "dim=");
        for (int j = 0; j < count; j++) {
            e->points[j].value = v[j];
            e->points[j].dim = (int)v[j];
            k += (size_t)snprintf(spec + k, cap - k, "%s%d", j ? "," : "", (int)v[j]);
        }
        e->sweep_text = cli_strings_keep(pool, spec);
        if (!e->sweep_text) {
            free(v);
            goto nomem;
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

int cli_escape_opts_build(const char *cmd, const char *const *value, const unsigned char *given,
                          const unsigned char *from_config, const char *const *label, cli_strings *pool,
                          cli_escape_opts *e)
{
    memset(e, 0, sizeof *e);
    /* rv, rl: the texts and labels of `ogem run`'s flags for the option sets. */
    const char *rv[RF_COUNT], *rl[RF_COUNT], *lab[EF_COUNT];
    cli_run_opts base;
    int have_base = 0;
    const cli_flag *flags = cli_escape_flags();
    for (int i = 0; i < EF_COUNT; i++) lab[i] = label[i] ? label[i] : flags[i].name;
    for (int i = 0; i < RF_COUNT; i++) rv[i] = rl[i] = NULL;
    for (int i = 0; i < EF_COUNT; i++) {
        if (run_flag_of[i] < 0) continue;
        rv[run_flag_of[i]] = value[i];
        rl[run_flag_of[i]] = label[i];
    }
    rv[RF_CHECKPOINT_EVERY] = rv[RF_RESUME] = NULL; /* handled here */
    rv[RF_LOG] = "log";
    rv[RF_TRACE_INITS] = "0";

    if (parse_until(cmd, lab[EF_UNTIL], value[EF_UNTIL], pool, e) ||
        cli_parse_long(cmd, lab[EF_MAX_STEPS], value[EF_MAX_STEPS], 1, LONG_MAX - 1, &e->max_steps) ||
        cli_parse_long(cmd, lab[EF_CHECKPOINT_EVERY], value[EF_CHECKPOINT_EVERY], 0, LONG_MAX,
                       &e->checkpoint_every))
        goto fail;
    rv[RF_STEPS] = value[EF_MAX_STEPS];
    rl[RF_STEPS] = label[EF_MAX_STEPS];
    if (value[EF_SWEEP]) {
        if (parse_sweep(cmd, lab[EF_SWEEP], value[EF_SWEEP], pool, e)) goto fail;
    } else {
        e->G = 1;
        e->points = calloc(1, sizeof *e->points);
        if (!e->points) { cli_error(cmd, "out of memory"); goto fail; }
    }
    if (value[EF_RADIUS_PER_SQRT_DIM]) {
        if (e->sweep != CLI_SWEEP_DIM) {
            cli_error(cmd, "%s: only with --sweep dim=LIST", lab[EF_RADIUS_PER_SQRT_DIM]);
            goto fail;
        }
        if (cli_parse_double(cmd, lab[EF_RADIUS_PER_SQRT_DIM], value[EF_RADIUS_PER_SQRT_DIM], 1,
                             &e->radius_per_sqrt_dim))
            goto fail;
    }
    if (e->sweep == CLI_SWEEP_DIM && given[EF_DIM]) {
        cli_error(cmd, "%s: --sweep dim=LIST sets the dimension; drop --dim", lab[EF_DIM]);
        goto fail;
    }

    /* The initializations: --radius R is --init far:1:R. */
    double radius;
    if (cli_parse_double(cmd, lab[EF_RADIUS], value[EF_RADIUS], 0, &radius)) goto fail;
    if (radius < 0) {
        cli_error(cmd, "%s: expected a finite number >= 0, got '%s'", lab[EF_RADIUS], value[EF_RADIUS]);
        goto fail;
    }
    if (given[EF_RADIUS]) {
        if (given[EF_INIT]) {
            cli_error(cmd, "%s: give either --radius R or --init far:K:RADIUS, not both", lab[EF_RADIUS]);
            goto fail;
        }
        if (e->sweep == CLI_SWEEP_RADIUS) {
            cli_error(cmd, "%s: --sweep radius=A:B:STEP sets the radius; drop --radius", lab[EF_RADIUS]);
            goto fail;
        }
        if (e->radius_per_sqrt_dim > 0) {
            cli_error(cmd, "%s: --radius-per-sqrt-dim sets the radius of a dim sweep; drop --radius",
                      lab[EF_RADIUS]);
            goto fail;
        }
    }
    const char *init = value[EF_INIT];
    char buf[160], dimbuf[32];
    if (!init || (given[EF_RADIUS] && from_config[EF_INIT])) {
        long k = init ? far_k_of(init) : 1;
        if (k < 0) {
            cli_error(cmd, "%s: the replayed --init '%s' is not far:K:RADIUS", lab[EF_RADIUS], init);
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
    e->init_text = cli_strings_add(pool, base.init_text);
    if (!e->init_text) { cli_error(cmd, "out of memory"); goto fail; }
    if (e->sweep != CLI_SWEEP_NONE && base.init_kind != CLI_INIT_FAR) {
        cli_error(cmd, "%s: a sweep needs --init far:K:RADIUS, got '%s'", lab[EF_INIT], base.init_text);
        goto fail;
    }
    {
        double *mu;
        int count;
        if (cli_parse_double_list(cmd, lab[EF_MU_STAR], value[EF_MU_STAR], &mu, &count)) goto fail;
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
        /* e->G counts the built ones, for cli_escape_opts_free. */
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
    cli_escape_opts_free(e);
    return -1;
}

/* ---- results ----------------------------------------------------------------------------- */

int cli_escape_results_alloc(cli_escape_results *res, const cli_escape_opts *e)
{
    const size_t GR = ogem_size_mul(ogem_count(e->G), ogem_count(e->R));
    memset(res, 0, sizeof *res);
    if (GR > OGEM_SIZE_MAX / sizeof(double)) return -1;   /* saturated: no array that large */
    res->steps = malloc(ogem_size_mul(GR, sizeof *res->steps));
    res->loss = malloc(ogem_size_mul(GR, sizeof *res->loss));
    res->reached = calloc((size_t)e->G, sizeof *res->reached);
    res->seconds = calloc((size_t)e->G, sizeof *res->seconds);
    if (!res->steps || !res->loss || !res->reached || !res->seconds) {
        cli_escape_results_free(res);
        return -1;
    }
    for (size_t q = 0; q < GR; q++) {
        res->steps[q] = -1;
        res->loss[q] = NAN;
    }
    return 0;
}

void cli_escape_results_free(cli_escape_results *res)
{
    free(res->steps);
    free(res->loss);
    free(res->reached);
    free(res->seconds);
    memset(res, 0, sizeof *res);
}
