/* cli_study.c - the life of `ogem paper` and `ogem experiment` after their
 * flags are checked (cli_study.h). */
#include <stdio.h>
#include <stdlib.h>
#include "cli/cli.h"
#include "cli/cli_plot.h"
#include "cli/cli_solver.h"
#include "cli/cli_stop.h"
#include "cli/cli_study.h"

static void note(const cli_study *s, const char *line)
{
    if (s->note) s->note(s->ctx, line);
}

int cli_study_main(const cli_study *s)
{
    char *plotter = NULL;
    if (cli_plot_resolve(s->cmd, s->script, s->plotter, s->no_plots, &plotter) != 0) return CLI_EXIT_USAGE;
    /* Installed before --out exists, so that no signal finds it half made. */
    cli_stop_install();
    char msg[512] = "";
    ogem_outdir *od = ogem_outdir_open(s->out, msg, sizeof msg);
    if (!od) {
        cli_error(s->cmd, "--out: %s", msg);
        cli_stop_restore();
        free(plotter);
        return CLI_EXIT_USAGE;
    }
    cli_solver_notices_start();
    /* Every failure from here is one of the runs (the flags are checked):
     * exit 1, and --out is left as it was. */
    int exit_code = CLI_EXIT_FAILURE;
    const int how = cli_stop_requested() ? CLI_STUDY_STOPPED : s->run(s->ctx);
    if (how == CLI_STUDY_STOPPED) {
        cli_error(s->cmd, "interrupted (%s): nothing was written to %s (%s; run it again)", cli_stop_name(), s->out,
                  s->no_resume);
        exit_code = CLI_EXIT_INTERRUPTED;
    }
    if (how != 0) goto out;
    if (s->write(s->ctx, od) != 0) goto out;
    int committed = ogem_outdir_commit(od, msg, sizeof msg);
    od = NULL; /* commit frees it, whatever the outcome */
    if (committed != 0) {
        cli_error(s->cmd, "--out: %s", msg);
        goto out;
    }
    exit_code = CLI_EXIT_OK;
    if (cli_stop_requested()) {
        /* during the final write, which the handlers let finish */
        cli_error(s->cmd, "%s during the final write: the results are complete and committed in %s (no figures)",
                  cli_stop_name(), s->out);
        exit_code = CLI_EXIT_INTERRUPTED;
        goto out;
    }
    cli_stop_restore(); /* the plotter is a child: Ctrl-C stops it and the command alike */
    if (s->no_plots) note(s, "figures skipped (--no-plots)");
    else if (cli_plot_run(s->cmd, s->script, plotter, s->out) == 0) note(s, "figures written");
    if (s->summary) s->summary(s->ctx);
out:
    if (od) ogem_outdir_abort(od);
    cli_stop_restore();
    free(plotter);
    return exit_code;
}
