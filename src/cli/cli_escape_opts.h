/*
 * cli_escape_opts.h - an escape experiment as the command line describes it
 * (cli_escape_opts.c): `ogem escape`'s flag table, its validated options (one
 * `ogem run` option set per grid point of a sweep), and the arrays its
 * results live in. `ogem paper` builds its escape sweeps through the same
 * functions.
 */
#ifndef OGEM_CLI_ESCAPE_OPTS_H
#define OGEM_CLI_ESCAPE_OPTS_H

#include "cli/cli_args.h"
#include "cli/cli_run_opts.h"
#include "ogem/ogem.h"

/* Flag indices into cli_escape_flags(); the order is the order of `--help`. */
enum cli_escape_flag {
    EF_DIM, EF_COMPONENTS, EF_WEIGHTS, EF_MU_STAR, EF_INITS, EF_RADIUS, EF_INIT, EF_UNTIL, EF_MAX_STEPS,
    EF_ETA, EF_ALGO, EF_ESTIMATOR, EF_SUBSPACE, EF_SWEEP, EF_RADIUS_PER_SQRT_DIM, EF_SEED, EF_DEVICE,
    EF_PRECISION, EF_GPU_PATH, EF_THREADS, EF_OUT, EF_CONFIG, EF_CHECKPOINT_EVERY, EF_RESUME, EF_QUIET,
    EF_COUNT
};
/* The table: `ogem run`'s flags where they mean the same (same names, help
 * and checks), with escape's defaults, and escape's own flags. */
const cli_flag *cli_escape_flags(void);

typedef enum cli_sweep_kind { CLI_SWEEP_NONE = 0, CLI_SWEEP_RADIUS = 1, CLI_SWEEP_DIM = 2 } cli_sweep_kind;

/* One experiment of a sweep (the single experiment when there is none). */
typedef struct cli_escape_point {
    double value;  /* the grid value: the radius, or the dimension */
    double radius; /* distance of the far components from mu*     */
    int dim;
} cli_escape_point;

typedef struct cli_escape_opts {
    long G;                  /* grid points (1 without --sweep)               */
    cli_run_opts *grid;      /* G validated option sets, one solver each       */
    cli_escape_point *points;/* G                                              */
    long R;                  /* initializations per grid point                 */

    ogem_until until;
    double threshold;
    const char *until_text;  /* canonical: dist<=%.17g | loss<=%.17g (in pool) */
    long max_steps;

    cli_sweep_kind sweep;
    const char *sweep_text;  /* canonical (in pool), NULL without --sweep      */
    double radius_per_sqrt_dim; /* > 0 when given                              */

    const char *init_text;   /* the --init the settings replay (in pool)       */
    double *mu_star;         /* as given: 1 value, or d                        */
    int mu_star_count;
    int dim;                 /* --dim (unused by a dim sweep)                  */

    long checkpoint_every;
    const char *out_dir;
    int quiet;
} cli_escape_opts;

/* Validates the flag texts (value[i], given[i] and from_config[i] for flag i
 * of cli_escape_flags(); label[i] names it in messages, the flag's name where
 * NULL) and builds one option set per grid point, all before anything is
 * written. The texts it makes (the *_text fields, the grid points' specs)
 * are kept in pool, which must outlive e. 0, or -1 after printing one line. */
int cli_escape_opts_build(const char *cmd, const char *const *value, const unsigned char *given,
                          const unsigned char *from_config, const char *const *label, cli_strings *pool,
                          cli_escape_opts *e);
void cli_escape_opts_free(cli_escape_opts *e);

/* What the experiments found; the grid points 0 .. done-1 have results (the
 * last one partial when the run was interrupted). */
typedef struct cli_escape_results {
    long *steps;    /* G x R: escape step, -1 while running / censored       */
    double *loss;   /* G x R: loss at the escape step, or the latest loss     */
    long *reached;  /* G: steps taken by each grid point's solver             */
    double *seconds;/* G: time spent stepping it in this process              */
    long done;
} cli_escape_results;

/* Every init running, nothing reached yet. -1 when out of memory. */
int cli_escape_results_alloc(cli_escape_results *res, const cli_escape_opts *e);
void cli_escape_results_free(cli_escape_results *res);

#endif /* OGEM_CLI_ESCAPE_OPTS_H */
