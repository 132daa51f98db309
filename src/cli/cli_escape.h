/*
 * cli_escape.h - `ogem escape` (cli_escape.c): escape times from bad regions,
 * and the experiment at one grid point, which `ogem paper` runs too.
 */
#ifndef OGEM_CLI_ESCAPE_H
#define OGEM_CLI_ESCAPE_H

#include "cli/cli_escape_opts.h"
#include "cli/cli_runner.h"
#include "ogem/ogem.h"

int cli_escape_main(int argc, char **argv);

/* Steps s (a solver for e->grid[g] at its initial means, or restored from a
 * checkpoint) until every init of grid point g has escaped or max_steps is
 * reached, writing its escape steps and losses into res, its step count into
 * res->reached[g], the time it took into res->seconds[g], and done = g + 1.
 * With a runner r: progress, checkpoints, and a stop on SIGINT/SIGTERM
 * (after a failed checkpoint cli_runner_failed(r) is 1); r may be NULL.
 * Returns the library's status. */
ogem_status cli_escape_run_point(cli_runner *r, const cli_escape_opts *e, long g, ogem_solver *s,
                             cli_escape_results *res);

#endif /* OGEM_CLI_ESCAPE_H */
