/*
 * cli_plot.c - running a command's plotting script; see cli_plot.h.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "cli/cli_datadir.h"
#include "cli/cli_plot.h"

int cli_plot_resolve(const char *cmd, const char *script, const char *plotter, int no_plots, char **out)
{
    *out = NULL;
    if (no_plots && plotter) {
        cli_error(cmd, "--plotter: cannot be combined with --no-plots (which draws no figures)");
        return -1;
    }
    if (plotter) {
        if (access(plotter, R_OK) != 0) {
            cli_error(cmd, "--plotter: cannot read '%s': %s", plotter, strerror(errno));
            return -1;
        }
        *out = cli_dup_printf("%s", plotter);
    } else if (!no_plots) {
        *out = cli_data_file(script);
    }
    return 0;
}

/* Runs `python3 PLOTTER DIR`; returns its exit status (127: not started). */
static int run_python(const char *plotter, const char *dir)
{
    pid_t pid = fork();
    if (pid < 0) return 127;
    if (pid == 0) {
        execlp("python3", "python3", plotter, dir, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) return 127;
    return WEXITSTATUS(status);
}

int cli_plot_run(const char *cmd, const char *script, const char *plotter, const char *dir)
{
    if (!plotter) {
        fprintf(stderr, "ogem %s: no figures: %s not found in " CLI_DATA_FILE_PLACES " (give --plotter PATH)\n", cmd,
                script);
        return -1;
    }
    int st = run_python(plotter, dir);
    if (st == 3) fprintf(stderr, "ogem %s: no figures: matplotlib is not installed (python3 -m pip install matplotlib)\n", cmd);
    else if (st != 0) fprintf(stderr, "ogem %s: no figures: the plotter failed (exit %d)\n", cmd, st);
    return st == 0 ? 0 : -1;
}
