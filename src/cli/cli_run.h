/*
 * cli_run.h - `ogem run` (cli_run.c): gradient EM / EM on a batch of
 * initializations, and its stepping loop, which `ogem paper` runs too.
 */
#ifndef OGEM_CLI_RUN_H
#define OGEM_CLI_RUN_H

#include "cli/cli_run_opts.h"
#include "cli/cli_runner.h"
#include "ogem/ogem.h"

int cli_run_main(int argc, char **argv);

/* Called at each logged step t with the metrics of every init at mu_t. */
typedef void (*cli_run_log_fn)(void *user, long t, const ogem_metrics *m);

/* Steps s from its step index to o->steps: an evaluation at every step t
 * (metrics into m, R of them), an update after each but the last, and log()
 * at o's logged steps. With a runner r: progress, checkpoints, and a stop on
 * SIGINT/SIGTERM; r may be NULL. *t is where it ended: o->steps + 1 when
 * complete, less when stopped, the failing step on failure. Returns the
 * library's status; after a failed checkpoint cli_runner_failed(r) is 1 (the
 * line has been printed). */
ogem_status cli_run_steps(cli_runner *r, const cli_run_opts *o, ogem_solver *s, ogem_metrics *m,
                          cli_run_log_fn log, void *user, long *t);

/* Called at each logged step t before the step runs: the state its metrics
 * describe (means, weights) is the solver's now, and no longer after the
 * update. A status other than OGEM_OK ends the steps with it. */
typedef ogem_status (*cli_run_peek_fn)(void *user, long t, ogem_solver *s);
/* cli_run_steps with peek(user, t, s) before each logged step (peek may be
 * NULL). */
ogem_status cli_run_steps_peek(cli_runner *r, const cli_run_opts *o, ogem_solver *s, ogem_metrics *m,
                               cli_run_peek_fn peek, cli_run_log_fn log, void *user, long *t);

#endif /* OGEM_CLI_RUN_H */
