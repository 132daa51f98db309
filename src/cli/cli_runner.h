/*
 * cli_runner.h - the command runner (cli_runner.c): everything a long-running
 * command does around its own steps, written once for `ogem run` and
 * `ogem escape`.
 *
 * A command is a flag table and a few hooks (cli_command); cli_runner_main
 * does, in order, and each failure ends in ONE line "ogem CMD: --flag: what is
 * wrong" with nothing left behind:
 *
 *   1. parse the flags (`--help` prints the table), replay --config or
 *      --resume DIR (flags given here win; a replayed flag is labelled
 *      "--flag (from FILE)" in messages);
 *   2. build: the command validates its options              -> exit 2;
 *   3. the replayable settings (hook `settings`) become the run.json text a
 *      checkpoint carries and a fingerprint; --resume refuses a checkpoint
 *      made with other settings;
 *   4. start: the command allocates, takes back its checkpoint payload, and
 *      creates its first solver (cli_runner_solver); the runner restores the
 *      checkpoint's solver state;
 *   5. --out is opened and the command creates its files in it (open);
 *   6. solve: the command's steps, between which the runner checkpoints every
 *      --checkpoint-every K steps and stops on SIGINT/SIGTERM
 *      (cli_runner_step_done, cli_runner_stopping); progress on a terminal;
 *   7. stopped by a signal: a checkpoint (payload hook);
 *   8. finish: the command writes its outputs' contents; the runner commits
 *      them atomically (ogem_outdir), removes the checkpoint of a complete
 *      run or says how to continue an interrupted one (exit 130). The
 *      SIGINT/SIGTERM handlers of step 6 stay installed until the commit is
 *      done: a signal during the final write lets it finish, and a complete
 *      run so committed exits 130 saying so (a second signal kills at once);
 *   9. summary on stdout unless --quiet; cleanup always.
 *
 * Hooks return 0, or -1 after printing their one line. The exit code of a
 * failure is 2 up to and including step 5 and 1 afterwards, unless the hook
 * chose another (cli_runner_fail, or a library status through
 * cli_runner_solver / cli_runner_library_error).
 */
#ifndef OGEM_CLI_RUNNER_H
#define OGEM_CLI_RUNNER_H

#include <stdio.h>
#include "cli/cli_args.h"
#include "cli/cli_ckpt.h"
#include "cli/cli_progress.h"
#include "cli/cli_run_opts.h"
#include "cli/cli_runjson.h"
#include "util/json.h"
#include "util/outdir.h"
#include "ogem/ogem.h"

typedef struct cli_runner cli_runner;

/* What solve returns when it ends without failing. */
enum { CLI_SOLVE_DONE = 0, CLI_SOLVE_STOPPED = 1 };

typedef struct cli_command {
    const char *name;                /* "run": messages, run.json, checkpoints  */
    const cli_flag *flags;
    const unsigned char *replayable; /* 1: a setting, kept in run.json and replayed */
    int nflags;
    int out_flag, config_flag, resume_flag;
    const char *usage, *intro, *epilogue; /* --help                            */
    int progress_width;              /* columns of its progress line           */

    int (*build)(cli_runner *r);     /* then cli_runner_use                       */
    void (*settings)(const cli_runner *r, ogem_json_writer *w, const char *key, int for_fingerprint);
    int (*start)(cli_runner *r, cli_reader *payload); /* payload NULL unless --resume */
    int (*open)(cli_runner *r);
    int (*solve)(cli_runner *r);     /* CLI_SOLVE_DONE, CLI_SOLVE_STOPPED or -1 */
    /* The command's own checkpoint state, appended to b; -1 with msg. */
    int (*payload)(cli_runner *r, cli_buf *b, char *msg, size_t len);
    int (*finish)(cli_runner *r, const cli_outcome *how);
    void (*summary)(cli_runner *r);
    void (*cleanup)(cli_runner *r);  /* also after a failure, or when build never ran */
} cli_command;

struct cli_runner {
    const cli_command *cmd;
    void *ctx;                    /* the command's own state                  */
    int argc;
    char **argv;                  /* the command's: argv[0] is its name        */
    double t_start;               /* when the command started                  */

    /* The flags after --config/--resume, indexed like cmd->flags. */
    const char **value;
    const char **label;           /* "--dim", or "--dim (from DIR/run.json)"  */
    unsigned char *given, *from_config;
    cli_strings pool;             /* owns replayed texts and labels; build may add */

    /* Set by build (cli_runner_use). */
    const cli_run_opts *problem;  /* its data set is part of the fingerprint  */
    const char *out_dir;
    int quiet;
    long checkpoint_every;

    /* Set by start (cli_runner_solver): the solver the steps run on. */
    ogem_solver *solver;
    /* Set by solve when it stops early: how far it got, for the message
     * "interrupted (SIGINT)NOTE; ...", e.g. " after 5 of 10 steps". */
    char stop_note[96];

    /* The runner's own. */
    cli_progress progress;
    int rc, failed, resuming, ckpt_written, ckpt_preexisting;
    cli_resume resume;
    char *config;                 /* {"command": ..., "settings": {...}}     */
    uint64_t fingerprint;
    ogem_outdir *out;
    char msg[1024];
};

/* Runs the command; its exit code. ctx is the command's state, zeroed. */
int cli_runner_main(const cli_command *cmd, void *ctx, int argc, char **argv);

/* ---- for the hooks -------------------------------------------------------------- */

/* build: the options are valid; o is the batch (the first grid point) whose
 * data set, --out and --quiet hold for the whole command. */
void cli_runner_use(cli_runner *r, const cli_run_opts *o, long checkpoint_every);

/* Prints the one error line (after erasing the progress line), sets the exit
 * code, returns -1. */
int cli_runner_fail(cli_runner *r, int rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* A failed library call on r->solver for the options o, at `where` (NULL, or
 * e.g. "step 12"): the message in the command line's terms
 * (cli_library_error), the exit code of st. Returns -1. */
int cli_runner_library_error(cli_runner *r, const cli_run_opts *o, ogem_status st, const char *where);

/* start: the checkpoint's payload does not belong to these settings; prints
 * "--resume: FILE is inconsistent with its own settings (corrupt?)", -1. */
int cli_runner_corrupt(cli_runner *r);
/* start: a value in the checkpoint's payload that the writer never writes
 * (an escape step past --max-steps, a loss of inf, a logged row that is not
 * one): prints "--resume: FILE: WHAT" (printf-style), -1; the exit code is 2. */
int cli_runner_bad_value(cli_runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* start: 0 when the payload was read without running short and the
 * checkpoint's solver state has o's shape at a step <= last_step; else as
 * cli_runner_corrupt. */
int cli_runner_resume_fits(cli_runner *r, const cli_reader *payload, const cli_run_opts *o, long last_step);

/* Replaces r->solver by a new one for o at its initial means (means: as in
 * cli_solver_open). 0, or -1 after printing, with the exit code set. */
int cli_runner_solver(cli_runner *r, const cli_run_opts *o, double *means);

/* open: a file in --out, renamed into place at the commit. NULL after printing. */
FILE *cli_runner_create(cli_runner *r, const char *name);

/* solve: the elapsed seconds when the progress line is due, else -1; then
 * cli_runner_progress shows it. Both accept r == NULL (do nothing). */
double cli_runner_progress_due(cli_runner *r, int force);
void cli_runner_progress(cli_runner *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* solve: nonzero once SIGINT/SIGTERM asked to stop (r may be NULL: the
 * handlers' flag, for `ogem paper`, which installs them itself). */
int cli_runner_stopping(const cli_runner *r);
/* solve: call after each step that leaves the run unfinished, steps_done
 * being the solver's step index afterwards; writes the checkpoint every
 * --checkpoint-every steps when may_checkpoint. 0, or -1 after printing when
 * the checkpoint failed (then cli_runner_failed is 1 and solve returns -1).
 * r == NULL: only counts the step for OGEM_TEST_STOP_AFTER_STEP, 0. */
int cli_runner_step_done(cli_runner *r, long steps_done, int may_checkpoint);
int cli_runner_failed(const cli_runner *r);

#endif /* OGEM_CLI_RUNNER_H */
