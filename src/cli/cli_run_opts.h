/*
 * cli_run_opts.h - one batch of runs as the command line describes it
 * (cli_run_opts.c): `ogem run`'s flag table, the validated options built from
 * its flag texts, and what the library needs from them (settings, initial
 * means). `ogem escape` builds one option set per grid point from the same
 * table, and `ogem paper` one per experiment, so that every command accepts
 * and refuses the same things.
 */
#ifndef OGEM_CLI_RUN_OPTS_H
#define OGEM_CLI_RUN_OPTS_H

#include <stddef.h>
#include "cli/cli_args.h"
#include "cli/cli_truth.h"
#include "ogem/ogem.h"

/* Flag indices into cli_run_flags; the order is the order of `ogem run --help`. */
enum cli_run_flag {
    RF_DIM, RF_COMPONENTS, RF_WEIGHTS, RF_LEARN_WEIGHTS, RF_MU_STAR, RF_TRUTH, RF_INITS, RF_STEPS, RF_ETA,
    RF_ALGO, RF_ESTIMATOR, RF_SUBSPACE, RF_INIT, RF_SEED, RF_LOG, RF_TRACE_INITS, RF_ACTIVE_WEIGHT,
    RF_FIT_RADIUS, RF_DEVICE,
    RF_PRECISION, RF_GPU_PATH, RF_THREADS, RF_OUT, RF_CONFIG, RF_QUIET,
    RF_CHECKPOINT_EVERY, RF_RESUME,
    RF_COUNT
};
extern const cli_flag cli_run_flags[RF_COUNT];

typedef enum cli_init_kind {
    CLI_INIT_RANDOM = 0, CLI_INIT_FAR = 1, CLI_INIT_FILE = 2, CLI_INIT_TRUTH_SAMPLE = 3
} cli_init_kind;

/* Everything one batch of runs needs, validated. Owned arrays are freed by
 * cli_run_opts_free. The *_text fields are the canonical spellings written to
 * run.json (paths made absolute, numbers printed with %.17g) so that --config
 * reproduces the run from any working directory. */
typedef struct cli_run_opts {
    int dim, components;
    double *weights;         /* n                                       */
    char *weights_spec;      /* as given: "uniform", "geometric:0.5", a list */
    int learn_weights;       /* --learn-weights: --weights is the start */
    /* d: --mu-star; with --truth the truth's mean sum_j w_j mu*_j, where
     * random:S and far:K:RADIUS centre their initializations. */
    double *mu_star;
    cli_truth truth;         /* --truth; m = 0: the one Gaussian at mu_star */
    long inits, steps;
    double eta;
    ogem_algo algo;

    ogem_estimator estimator;
    long samples;            /* mc/fixed/qmc: N; data: rows; exact: 0   */
    double *data;            /* data: rows x d, as read (not centred)   */
    char *estimator_text;
    int subspace;

    cli_init_kind init_kind;
    double init_scale;       /* random:S                                */
    int far_k;               /* far:K:RADIUS                            */
    double far_radius;
    double *init_means;      /* file:PATH, R x n x d                    */
    double init_noise;       /* truth-sample:S                          */
    char *init_text;

    uint64_t seed;
    long *log_steps;         /* sorted, distinct, first 0, last steps   */
    long n_log_steps;
    char *log_text;
    long trace_inits;        /* --trace-inits as given                  */
    long traced;             /* min(--trace-inits, R)                   */
    double active_weight;    /* --active-weight: the `active` threshold */
    double fit_radius;       /* --fit-radius: truth_fit.csv's radius    */

    ogem_device device;
    ogem_precision precision;
    ogem_gpu_path gpu_path;
    int threads;

    const char *out_dir;
    int quiet;
    long checkpoint_every;   /* 0: checkpoints only on SIGINT/SIGTERM   */

    /* How each setting is named in messages that come later (a library
     * message about it, a bad initialization): the label it was built with,
     * or NULL where no flag set it (a command's fixed choice). */
    const char *label[RF_COUNT];
} cli_run_opts;

/* Validates the flag texts (value[i] for flag i; label[i] names it in
 * messages, the flag's name where label[i] is NULL) and reads the data/init
 * files. The labels must outlive o. 0 on success; else the one error line has
 * been printed and -1 is returned. Creates nothing on disk. */
int cli_run_opts_build(const char *cmd, const char *const *value, const char *const *label, cli_run_opts *o);
void cli_run_opts_free(cli_run_opts *o);

/* The solver settings of o (pointers into o), and its initial means
 * (R x n x d). */
void cli_run_fill_settings(const cli_run_opts *o, ogem_settings *s);
ogem_status cli_run_initial_means(const cli_run_opts *o, double *mu);
/* Nonzero when the outputs carry the metrics of a mixture truth
 * (cover_dist, voronoi, truth_fit.csv): a truth of m >= 2 components, or
 * learned weights. Otherwise every output is that of one Gaussian truth. */
int cli_run_mixture_metrics(const cli_run_opts *o);
/* The truth the metrics compare with, as m components (returned), their
 * weights and means: --truth, or the one Gaussian at mu_star (m = 1). */
int cli_run_truth_of(const cli_run_opts *o, const double **weights, const double **means);
/* The number of data values the results depend on (rows x d for data:PATH,
 * else 0), for fingerprints. */
size_t cli_run_data_count(const cli_run_opts *o);

/* The n weights of a --weights spec (uniform | w1,...,wn | geometric:r),
 * checked; malloc'd. NULL after printing the one error line. */
double *cli_weights_parse(const char *cmd, const char *label, const char *text, int n);

/* The log set: steps 0 and T, plus round(10^(j/P)) for j = 0, 1, ... up to T
 * (spec "log" = 20 per decade, "log:P"), or every K-th step ("every:K").
 * Returns 0, or -1 with a message (without the flag name) in msg. */
int cli_log_steps(const char *spec, long T, long **steps, long *count, char **canonical, char *msg, size_t len);

#endif /* OGEM_CLI_RUN_OPTS_H */
