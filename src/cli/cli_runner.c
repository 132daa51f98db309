/*
 * cli_runner.c - the command runner: flags, --config and --resume, the
 * fingerprint, solvers, --out, checkpoints, signals, progress, the commit and
 * the cleanup of `ogem run` and `ogem escape`; see cli_runner.h for the order
 * of business and the hooks a command provides.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_config.h"
#include "cli/cli_mpi.h"
#include "cli/cli_runner.h"
#include "cli/cli_solver.h"
#include "cli/cli_stop.h"

/* ---- for the hooks -------------------------------------------------------------------- */

void cli_runner_use(cli_runner *r, const cli_run_opts *o, long checkpoint_every)
{
    r->problem = o;
    r->out_dir = o->out_dir;
    r->quiet = o->quiet;
    r->checkpoint_every = checkpoint_every;
}

int cli_runner_fail(cli_runner *r, int rc, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cli_progress_done(&r->progress);
    cli_error(r->cmd->name, "%s", line);
    r->rc = rc;
    return -1;
}

int cli_runner_library_error(cli_runner *r, const cli_run_opts *o, ogem_status st, const char *where)
{
    cli_progress_done(&r->progress);
    cli_library_error(r->cmd->name, o, NULL, where, cli_solver_message(r->solver, st));
    r->rc = cli_exit_code_for(st);
    return -1;
}

int cli_runner_corrupt(cli_runner *r)
{
    cli_error(r->cmd->name, "--resume: %s is inconsistent with its own settings (corrupt?)", r->resume.path);
    return -1;
}

int cli_runner_bad_value(cli_runner *r, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    cli_error(r->cmd->name, "--resume: %s: %s", r->resume.path, what);
    r->rc = CLI_EXIT_USAGE;
    return -1;
}

int cli_runner_resume_fits(cli_runner *r, const cli_reader *payload, const cli_run_opts *o, long last_step)
{
    const ogem_checkpoint *ck = &r->resume.ck;
    if (payload->failed || ck->R != o->inits || ck->n != o->components || ck->d != o->dim || ck->step > last_step)
        return cli_runner_corrupt(r);
    return 0;
}

int cli_runner_solver(cli_runner *r, const cli_run_opts *o, double *means)
{
    /* The previous one goes first: two solvers need not fit in memory. */
    if (r->solver) ogem_solver_destroy(r->solver);
    r->solver = NULL;
    int rc = cli_solver_open(r->cmd->name, o, means, &r->solver);
    if (rc == 0) return 0;
    r->rc = rc;
    return -1;
}

static int out_error(cli_runner *r)
{
    cli_error(r->cmd->name, "%s: %s", r->label[r->cmd->out_flag], r->msg);
    return -1;
}

FILE *cli_runner_create(cli_runner *r, const char *name)
{
    FILE *f = ogem_outdir_create(r->out, name, r->msg, sizeof r->msg);
    if (!f) out_error(r);
    return f;
}

double cli_runner_progress_due(cli_runner *r, int force) { return r ? cli_progress_due(&r->progress, force) : -1.0; }

void cli_runner_progress(cli_runner *r, const char *fmt, ...)
{
    if (!r || !r->progress.enabled) return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cli_progress_show(&r->progress, "%s", line);
}

/* For r == NULL too: `ogem paper` has no runner but installs the handlers. */
int cli_runner_stopping(const cli_runner *r)
{
    (void)r;
    return cli_stop_requested();
}

int cli_runner_failed(const cli_runner *r) { return r && r->failed; }

/* DIR/checkpoint.ogem: the frame (command, run.json text), the command's
 * payload, and the solver's state. */
static int checkpoint(cli_runner *r)
{
    cli_buf blob = { 0 };
    cli_ckpt_begin_blob(&blob, r->cmd->name, r->config);
    r->ckpt_written = 1; /* perhaps half-way when it fails: cleaned up then */
    int rc = r->cmd->payload(r, &blob, r->msg, sizeof r->msg);
    if (rc == 0) rc = cli_ckpt_write(r->out_dir, r->solver, r->fingerprint, &blob, r->msg, sizeof r->msg);
    cli_buf_free(&blob);
    return rc;
}

int cli_runner_step_done(cli_runner *r, long steps_done, int may_checkpoint)
{
    if (!r) {
        cli_stop_count_step(); /* the test hook counts paper's steps too */
        return 0;
    }
    /* Under MPI only rank 0 can fail the write; every rank stops with it. */
    if (may_checkpoint && r->checkpoint_every > 0 && steps_done % r->checkpoint_every == 0 &&
        cli_mpi_any_failed(checkpoint(r) != 0)) {
        r->failed = 1;
        return cli_runner_fail(r, CLI_EXIT_FAILURE, "%s", r->msg);
    }
    cli_stop_count_step();
    return 0;
}

/* ---- the order of business --------------------------------------------------------------- */

/* --resume DIR or --config FILE fill the flags not given here; then the labels. */
static int replay(cli_runner *r)
{
    const cli_command *c = r->cmd;
    const char *origin = r->value[c->config_flag];
    if (r->value[c->resume_flag]) {
        /* The checkpoint holds the settings; flags given here must agree. */
        if (r->value[c->config_flag]) {
            cli_error(c->name, "--resume: cannot be combined with --config (the checkpoint holds the settings)");
            return -1;
        }
        if (cli_resume_load(c->name, r->value[c->resume_flag], &r->resume) != 0) return -1;
        r->resuming = 1;
        origin = r->resume.path;
        if (cli_config_apply_text(c->name, "--resume", r->resume.path, r->resume.config, r->resume.config_len,
                                  c->name, c->flags, c->replayable, c->nflags, r->value, r->given, r->from_config,
                                  &r->pool) != 0)
            return -1;
        if (!r->given[c->out_flag]) r->value[c->out_flag] = r->value[c->resume_flag];
    } else if (origin && cli_config_apply_file(c->name, origin, c->name, c->flags, c->replayable, c->nflags,
                                               r->value, r->given, r->from_config, &r->pool) != 0) {
        return -1;
    }
    for (int i = 0; i < c->nflags; i++) {
        const char *l = r->from_config[i] ? cli_strings_keep(&r->pool, cli_dup_printf("%s (from %s)",
                                                                                      c->flags[i].name, origin))
                                          : NULL;
        r->label[i] = l ? l : c->flags[i].name;
    }
    return 0;
}

/* run.json's replayable part, {"command": ..., "settings": {...}}, and the
 * fingerprint of the settings that determine the results. */
static int make_config(cli_runner *r)
{
    ogem_json_writer w;
    ogem_jw_init(&w);
    r->cmd->settings(r, &w, NULL, 1);
    const char *fp = ogem_jw_text(&w, NULL);
    const cli_run_opts *o = r->problem;
    if (fp) r->fingerprint = cli_fingerprint(r->cmd->name, fp, o->data, cli_run_data_count(o));
    int ok = fp != NULL;
    ogem_jw_free(&w);

    ogem_jw_init(&w);
    ogem_jw_begin_object(&w, NULL);
    ogem_jw_string(&w, "command", r->cmd->name);
    r->cmd->settings(r, &w, "settings", 0);
    ogem_jw_end_object(&w);
    r->config = cli_json_take(&w);
    if (ok && r->config) return 0;
    return cli_runner_fail(r, CLI_EXIT_FAILURE, "out of memory");
}

static int open_out_here(cli_runner *r)
{
    r->out = ogem_outdir_open(r->out_dir, r->msg, sizeof r->msg);
    if (!r->out) return out_error(r);
    r->ckpt_preexisting = cli_ckpt_exists(r->out_dir);
    return r->cmd->open(r);
}

static int open_out(cli_runner *r)
{
    /* Under MPI only rank 0 opens --out for real: the others stop with it
     * when it cannot (it said why). */
    if (cli_mpi_any_failed(open_out_here(r) != 0)) return -1;
    cli_solver_notices_start(); /* the input is accepted: its notices may show */
    return 0;
}

static int solve(cli_runner *r)
{
    cli_stop_install();
    cli_progress_init(&r->progress, r->quiet, r->cmd->progress_width);
    int how = r->cmd->solve(r);
    cli_progress_done(&r->progress);
    return how; /* the handlers stay until the commit is done (cli_runner_main) */
}

static int commit(cli_runner *r, const cli_outcome *how)
{
    int committed = ogem_outdir_commit(r->out, r->msg, sizeof r->msg);
    r->out = NULL; /* commit frees it, whatever the outcome */
    if (committed != 0) return out_error(r);
    if (how->interrupted) {
        char *hint = cli_resume_hint(r->cmd->name, r->out_dir);
        cli_error(r->cmd->name, "interrupted (%s)%s; partial results and a checkpoint are in %s; continue with: %s",
                  cli_stop_name(), r->stop_note, r->out_dir, hint ? hint : "--resume");
        free(hint);
        r->rc = CLI_EXIT_INTERRUPTED;
        return 0;
    }
    /* Complete: the checkpoint has served its purpose. */
    cli_ckpt_remove(r->out_dir);
    r->rc = CLI_EXIT_OK;
    if (cli_stop_requested()) {
        /* The signal came after the last step, while the outputs were being
         * written: the handlers held it until the commit, so the directory
         * holds the complete results, and the exit status says a signal was
         * honoured. */
        cli_error(r->cmd->name, "%s during the final write: the run had completed, and its results are committed "
                  "in %s", cli_stop_name(), r->out_dir);
        r->rc = CLI_EXIT_INTERRUPTED;
    }
    return 0;
}

static int run_all(cli_runner *r)
{
    const cli_command *c = r->cmd;
    int pr = cli_parse_flags(c->name, c->flags, c->nflags, r->argc, r->argv, r->value, r->given);
    if (pr == CLI_PARSE_HELP) {
        cli_print_help(stdout, c->usage, c->intro, c->flags, c->nflags, c->epilogue);
        r->rc = CLI_EXIT_OK;
        return 0;
    }
    if (pr != CLI_PARSE_OK || replay(r) != 0 || c->build(r) != 0 || make_config(r) != 0) return -1;
    if (r->resuming && cli_resume_check(c->name, &r->resume, r->fingerprint, r->config) != 0) return -1;
    if (c->start(r, r->resuming ? &r->resume.payload : NULL) != 0) return -1;
    if (r->resuming && ogem_checkpoint_restore(r->solver, &r->resume.ck) != OGEM_OK) {
        cli_error(c->name, "--resume: %s does not fit these settings", r->resume.path);
        return -1;
    }
    if (open_out(r) != 0) return -1;

    r->rc = CLI_EXIT_FAILURE;
    int how = solve(r);
    if (how < 0) return -1;
    cli_outcome outcome = { how == CLI_SOLVE_STOPPED, cli_stop_name(), r->resuming ? r->resume.dir : NULL };
    if (outcome.interrupted && cli_mpi_any_failed(checkpoint(r) != 0)) {
        /* Between two steps: the state continues exactly from here. */
        cli_error(c->name, "interrupted, and %s", r->msg);
        return -1;
    }
    if (c->finish(r, &outcome) != 0 || commit(r, &outcome) != 0) return -1;
    if (r->rc == CLI_EXIT_OK && !r->quiet) c->summary(r);
    return 0;
}

int cli_runner_main(const cli_command *cmd, void *ctx, int argc, char **argv)
{
    cli_runner r;
    memset(&r, 0, sizeof r);
    r.cmd = cmd;
    r.ctx = ctx;
    r.argc = argc;
    r.argv = argv;
    r.t_start = cli_now();
    r.rc = CLI_EXIT_USAGE;
    r.ckpt_preexisting = 1; /* until --out is open: never remove what we did not write */
    const size_t n = (size_t)cmd->nflags;
    r.value = calloc(n, sizeof *r.value);
    r.label = calloc(n, sizeof *r.label);
    r.given = calloc(n, 1);
    r.from_config = calloc(n, 1);
    if (!r.value || !r.label || !r.given || !r.from_config) {
        cli_error(cmd->name, "out of memory");
        r.rc = CLI_EXIT_FAILURE;
    } else {
        run_all(&r);
    }

    if (r.rc != CLI_EXIT_OK && r.rc != CLI_EXIT_INTERRUPTED && r.ckpt_written && !r.ckpt_preexisting)
        cli_ckpt_remove(r.out_dir); /* a failed run leaves nothing behind */
    if (r.out) ogem_outdir_abort(r.out);
    cli_stop_restore(); /* installed by solve; a no-op when it never ran */
    if (r.solver) ogem_solver_destroy(r.solver);
    cmd->cleanup(&r);
    free(r.config);
    if (r.resuming) cli_resume_free(&r.resume);
    cli_strings_free(&r.pool);
    free(r.value);
    free(r.label);
    free(r.given);
    free(r.from_config);
    return r.rc;
}
