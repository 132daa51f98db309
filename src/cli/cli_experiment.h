/*
 * cli_experiment.h - `ogem experiment NAME` (cli_experiment.c): the
 * follow-up experiments of a mixture truth and learned weights (separation,
 * finite-sample floor, random-init recovery), run through the same option
 * sets, solvers and stepping loop as `ogem run`.
 */
#ifndef OGEM_CLI_EXPERIMENT_H
#define OGEM_CLI_EXPERIMENT_H

int cli_experiment_main(int argc, char **argv);

#endif /* OGEM_CLI_EXPERIMENT_H */
