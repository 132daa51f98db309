/*
 * cli_run.h - shared pieces of `ogem run`: its flag table, the validated
 * options built from the flags, and the helpers the run is assembled from
 * (cli_run_opts.c, cli_config.c, cli_report.c, cli_progress.c).
 */
#ifndef OGEM_CLI_RUN_H
#define OGEM_CLI_RUN_H

#include <stdio.h>
#include "cli/cli_args.h"
#include "util/outdir.h"
#include "ogem/ogem.h"

/* Flag indices into cli_run_flags; the order is the order of `--help`. */
enum cli_run_flag {
    RF_DIM, RF_COMPONENTS, RF_WEIGHTS, RF_MU_STAR, RF_INITS, RF_STEPS, RF_ETA, RF_ALGO,
    RF_ESTIMATOR, RF_SUBSPACE, RF_INIT, RF_SEED, RF_LOG, RF_TRACE_INITS, RF_DEVICE,
    RF_PRECISION, RF_GPU_PATH, RF_THREADS, RF_OUT, RF_CONFIG, RF_QUIET,
    RF_CHECKPOINT_EVERY, RF_RESUME,
    RF_COUNT
};
extern const cli_flag cli_run_flags[RF_COUNT];
/* 1 for the flags that define the computation and so are stored in run.json's
 * "settings" and replayed by --config (--out, --config, --quiet are not). */
extern const unsigned char cli_run_replayable[RF_COUNT];

typedef enum cli_init_kind { CLI_INIT_RANDOM = 0, CLI_INIT_FAR = 1, CLI_INIT_FILE = 2 } cli_init_kind;

/* Everything `ogem run` does, validated. Owned arrays are freed by
 * cli_run_opts_free. The *_text fields are the canonical spellings written to
 * run.json (paths made absolute, numbers printed with %.17g) so that --config
 * reproduces the run from any working directory. */
typedef struct cli_run_opts {
    int dim, components;
    double *weights;         /* n                                       */
    char *weights_spec;      /* as given: "uniform", "geometric:0.5", a list */
    double *mu_star;         /* d                                       */
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
    char *init_text;

    uint64_t seed;
    long *log_steps;         /* sorted, distinct, first 0, last steps   */
    long n_log_steps;
    char *log_text;
    long trace_inits;        /* --trace-inits as given                  */
    long traced;             /* min(--trace-inits, R)                   */

    ogem_device device;
    ogem_precision precision;
    ogem_gpu_path gpu_path;
    int threads;

    const char *out_dir;
    const char *config_path; /* NULL unless --config                    */
    int quiet;
    long checkpoint_every;   /* 0: checkpoints only on SIGINT/SIGTERM   */
    const char *resume_dir;  /* NULL unless --resume                    */
} cli_run_opts;

/* The solver settings of o (pointers into o), and its initial means. */
void cli_run_fill_settings(const cli_run_opts *o, ogem_settings *s);
ogem_status cli_run_initial_means(const cli_run_opts *o, double *mu);
/* Exit code for a library status: 2 for requests that cannot be done as given
 * (invalid, unsupported, no device, I/O), 1 for failures of the run itself. */
int cli_exit_code_for(ogem_status st);

/* Validates the flag texts (value[i] for flag i; label[i] names it in
 * messages) and reads the data/init files. 0 on success; else the one error
 * line has been printed and -1 is returned. Creates nothing on disk. */
int cli_run_opts_build(const char *cmd, const char *const *value, const char *const *label, cli_run_opts *o);
void cli_run_opts_free(cli_run_opts *o);

/* The n weights of a --weights spec (uniform | w1,...,wn | geometric:r),
 * checked; malloc'd. NULL after printing the one error line. */
double *cli_weights_parse(const char *cmd, const char *label, const char *text, int n);

/* The log set: steps 0 and T, plus round(10^(j/P)) for j = 0, 1, ... up to T
 * (spec "log" = 20 per decade, "log:P"), or every K-th step ("every:K").
 * Returns 0, or -1 with a message (without the flag name) in msg. */
int cli_log_steps(const char *spec, long T, long **steps, long *count, char **canonical, char *msg, size_t len);

/* ---- --config replay (cli_config.c) ------------------------------------------ */

/* Strings owned on behalf of value[] / label[]. */
typedef struct cli_strings {
    char **items;
    int n, cap;
} cli_strings;
char *cli_strings_add(cli_strings *s, const char *text); /* copy kept until free; NULL: no memory */
void cli_strings_free(cli_strings *s);

/* Reads PATH (a run.json) and fills every replayable flag not given on the
 * command line from its "settings"; from_config[i] is set for those. -1 after
 * printing one line if the file is unreadable or not a run.json. */
int cli_config_apply(const char *cmd, const char *path, const char **value, const unsigned char *given,
                     unsigned char *from_config, cli_strings *pool);
/* The same for any subcommand's flag table: PATH's "command" must be
 * command_name ("run", "escape"). */
int cli_config_apply_table(const char *cmd, const char *path, const char *command_name, const cli_flag *flags,
                           const unsigned char *replayable, int nflags, const char **value,
                           const unsigned char *given, unsigned char *from_config, cli_strings *pool);
/* The same from a run.json's text held in memory (a checkpoint's copy);
 * `flag` and `origin` name it in messages ("--resume", "DIR/checkpoint.ogem"). */
int cli_config_apply_text(const char *cmd, const char *flag, const char *origin, const char *text, size_t len,
                          const char *command_name, const cli_flag *flags, const unsigned char *replayable,
                          int nflags, const char **value, const unsigned char *given, unsigned char *from_config,
                          cli_strings *pool);

/* ---- outputs (cli_report.c) ---------------------------------------------------- */

/* Linear-interpolation quantiles (numpy's default) of x[0..n): min, q1,
 * median, q3, max. Sorts x in place; NaN sorts last. */
void cli_quantiles5(double *x, long n, double q[5]);

void cli_trajectory_header(FILE *f);
void cli_trajectory_rows(FILE *f, long step, const ogem_metrics *m, long count);
void cli_aggregate_header(FILE *f);
/* One row of quantiles over all R inits; scratch holds R doubles. */
void cli_aggregate_row(FILE *f, long step, const ogem_metrics *m, long R, double *scratch);
void cli_final_csv(FILE *f, const double *mu, long R, int n, int d);

typedef struct cli_run_timing {
    double wall_seconds;   /* the whole command                    */
    double solve_seconds;  /* the stepping loop                    */
    long evaluations;      /* steps + 1                            */
} cli_run_timing;

/* run.json's text (malloc'd, NUL-terminated), or NULL if out of memory. */
char *cli_run_json(const cli_run_opts *o, const ogem_solver_info *info, const cli_run_timing *tm,
                   int argc, char **argv);

/* How a run ended, for run.json: complete, or interrupted after steps_done
 * steps (a checkpoint in --out continues it). */
typedef struct cli_run_status {
    int interrupted;         /* 0: complete                             */
    const char *signal_name; /* "SIGINT" or "SIGTERM"                   */
    long steps_done;
    const char *resumed_from;/* --resume DIR, or NULL                   */
} cli_run_status;
char *cli_run_json_status(const cli_run_opts *o, const ogem_solver_info *info, const cli_run_timing *tm,
                          int argc, char **argv, const cli_run_status *status);

/* The "settings" object of run.json (what --config and --resume replay),
 * written as member `key` of w's open object (key NULL: a top-level value).
 * With for_fingerprint, the settings that cannot change the results
 * (--threads, --checkpoint-every) are left out. */
struct ogem_json_writer;
void cli_run_settings_json(struct ogem_json_writer *w, const char *key, const cli_run_opts *o, int for_fingerprint);
/* samples x components x inits x evaluations, or 0 when there is no sample
 * count (exact). */
double cli_run_sci(const cli_run_opts *o, long evaluations);

/* ---- progress line (cli_progress.c) --------------------------------------------- */

double cli_now(void); /* monotonic seconds */

typedef struct cli_progress {
    int enabled;
    long total;
    double start, last;
} cli_progress;
/* Enabled only when stderr is a terminal and quiet is 0. */
void cli_progress_init(cli_progress *p, int quiet, long total);
void cli_progress_update(cli_progress *p, long done);
void cli_progress_done(cli_progress *p);

/* --device auto fell back to the CPU: one line on stderr, once per process,
 * unless quiet (issue 3's notice). */
void cli_device_notice(const char *cmd, ogem_device requested, const ogem_solver *solver, int quiet);

#endif /* OGEM_CLI_RUN_H */
