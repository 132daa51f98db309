/*
 * cli_plot.h - the figures of `ogem paper` and `ogem experiment` (cli_plot.c):
 * which plotting script to run, and running it on a committed output
 * directory. Figures are optional: when the script or matplotlib is missing
 * the command says so on one line and succeeds with its data alone.
 */
#ifndef OGEM_CLI_PLOT_H
#define OGEM_CLI_PLOT_H

/* The plotter of a command whose shipped script is `script` (found by
 * cli_data_file): --plotter PATH (given: PATH, else NULL), checked readable;
 * none with --no-plots. *out is malloc'd, or NULL when there is nothing to
 * run (--no-plots, or the script not found: cli_plot_run says so). 0, or -1
 * after printing the one line (an unreadable PATH, --plotter with --no-plots). */
int cli_plot_resolve(const char *cmd, const char *script, const char *plotter, int no_plots, char **out);

/* Runs `python3 PLOTTER DIR` (PLOTTER NULL: the script was not found) and
 * explains on stderr when no figures came of it: the script missing,
 * matplotlib missing (the script's exit status 3), the script failing.
 * Returns 0 when the figures were written. */
int cli_plot_run(const char *cmd, const char *script, const char *plotter, const char *dir);

#endif /* OGEM_CLI_PLOT_H */
