/*
 * cli_solver.h - a solver for a validated option set, and the library's
 * messages put in the command line's terms (cli_solver.c). Every command
 * that computes (run, escape, paper) creates its solvers here.
 *
 * The library names the setting a refused request is about: its message
 * starts with the ogem_settings field and ": " ("precision: the CPU backend
 * computes in double only; ..."). The command line prints the label of the
 * flag that set that field instead ("ogem run: --precision: the CPU backend
 * ..."); messages without such a prefix are printed as they are.
 */
#ifndef OGEM_CLI_SOLVER_H
#define OGEM_CLI_SOLVER_H

#include "cli/cli_run_opts.h"
#include "ogem/ogem.h"

/* Exit code for a library status: 2 for requests that cannot be done as given
 * (invalid, unsupported, no device, I/O), 1 for failures of the run itself. */
int cli_exit_code_for(ogem_status st);

/* Creates the solver for o and sets its initial means (computed in means, R x
 * n x d doubles, or in a buffer of its own when means is NULL). 0; else the
 * one line has been printed, *out is NULL and the exit code is returned.
 * --device auto that ends up on the CPU says so once per process (unless
 * o->quiet), but only from cli_solver_notices_start on. */
int cli_solver_open(const char *cmd, const cli_run_opts *o, double *means, ogem_solver **out);

/* The input has been accepted (--out is open): the CPU-fallback notice of a
 * solver opened so far is printed now, later ones at once. Until then it is
 * held back, so that bad input prints exactly one line. */
void cli_solver_notices_start(void);

/* The solver's error text after status st, or the status's own text. */
const char *cli_solver_message(const ogem_solver *s, ogem_status st);

/* Prints the library message msg as the one error line of cmd:
 * "LABEL: [WHERE: ]REST" when msg starts with the name of a settings field
 * that a flag of o set (o->label), else "[FALLBACK: ][WHERE: ]MSG". where
 * and fallback may be NULL; so may o (no field is then recognized). */
void cli_library_error(const char *cmd, const cli_run_opts *o, const char *fallback, const char *where,
                       const char *msg);

#endif /* OGEM_CLI_SOLVER_H */
