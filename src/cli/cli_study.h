/*
 * cli_study.h - the life of a command that runs a set of studies end to end
 * and writes their report (cli_study.c): `ogem paper` and `ogem experiment`.
 * Written once so that both stop, commit and draw the same way:
 *
 *   the plotter is resolved before any work (a bad --plotter fails fast);
 *   SIGINT/SIGTERM from there to the commit only ask to stop, between two
 *   steps or runs, and --out is then left as it was (exit 130: studies do
 *   not resume, they are run again); the outputs are committed atomically
 *   (util/outdir.h); a signal during the final write lets it finish and says
 *   so; then the figures (the plotter is a child: Ctrl-C stops it and the
 *   command alike) and the summary.
 */
#ifndef OGEM_CLI_STUDY_H
#define OGEM_CLI_STUDY_H

#include "util/outdir.h"

/* What run returns when a signal asked it to stop. */
enum { CLI_STUDY_STOPPED = 1 };

typedef struct cli_study {
    const char *cmd;          /* "paper": messages                               */
    const char *no_resume;    /* "paper does not resume": the interrupted line   */
    const char *script;       /* the plotting script, e.g. "plot_paper.py"       */
    const char *plotter;      /* --plotter PATH, or NULL                         */
    int no_plots;             /* --no-plots                                      */
    const char *out;          /* --out                                           */
    void *ctx;
    /* the studies: 0, CLI_STUDY_STOPPED, or -1 after the one line */
    int (*run)(void *ctx);
    /* the outputs into od: 0, or -1 after the one line */
    int (*write)(void *ctx, ogem_outdir *od);
    /* one progress line (may be NULL) */
    void (*note)(void *ctx, const char *line);
    void (*summary)(void *ctx);
} cli_study;

/* Runs s; its exit code (CLI_EXIT_*). */
int cli_study_main(const cli_study *s);

#endif
