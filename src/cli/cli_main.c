/*
 * cli_main.c - the `ogem` executable: global flags and subcommand dispatch.
 *
 * Subcommands are rows of a table (name, entry point, one-line summary); each
 * entry point lives in its own cli_NAME.c and is declared in cli_NAME.h. This
 * file alone is the executable: everything else is the ogem_cli library, which
 * the tests link too.
 * `ogem CMD ARGS...` calls the entry with argv = {CMD, ARGS...}.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_args.h"
#include "cli/cli_compare.h"
#include "cli/cli_escape.h"
#include "cli/cli_experiment.h"
#include "cli/cli_info.h"
#include "cli/cli_mpi.h"
#include "cli/cli_paper.h"
#include "cli/cli_run.h"
#include "ogem/ogem.h"

typedef struct subcommand {
    const char *name;
    int (*entry)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand commands[] = {
    { "run", cli_run_main, "gradient EM / EM from a batch of initializations; writes CSVs and run.json" },
    { "paper", cli_paper_main, "reproduce the paper's experiments: data, report.md and figures" },
    { "compare", cli_compare_main, "compare two runs' outputs within tolerances" },
    { "info", cli_info_main, "devices, memory and build settings" },
    { "escape", cli_escape_main, "escape times from bad regions (far:K:RADIUS), with sweeps and growth fits" },
    { "experiment", cli_experiment_main, "mixture-truth experiments (floor, separation, recovery): data, report, figures" },
};
static const int n_commands = (int)(sizeof commands / sizeof commands[0]);

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ogem COMMAND [FLAGS]\n"
            "       ogem --help | --version\n"
            "\n"
            "ogem solves gradient EM (and EM) for over-parameterized Gaussian mixtures:\n"
            "truth N(mu*, I_d), model sum_i pi_i N(mu_i, I_d), many initializations at once.\n"
            "\n"
            "commands:\n");
    for (int i = 0; i < n_commands; i++) fprintf(out, "  %-10s  %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n"
            "'ogem COMMAND --help' describes a command's flags.\n"
            "exit status: 0 success, 1 the run failed, 2 bad input, 130 interrupted.\n");
}

static void version(void)
{
    printf("ogem %s\n", OGEM_VERSION);
#ifdef OGEM_HAVE_CUDA
    printf("built with CUDA; usable GPUs: %d\n", ogem_gpu_count());
#else
    printf("built without CUDA (CPU backend only)\n");
#endif
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        /* `ogem help run` is the same as `ogem run --help`. */
        if (strcmp(cmd, "help") == 0 && argc >= 3) {
            for (int i = 0; i < n_commands; i++) {
                if (strcmp(argv[2], commands[i].name) == 0) {
                    char *args[] = { argv[2], (char *)"--help", NULL };
                    return commands[i].entry(2, args);
                }
            }
            cli_error(NULL, "unknown command '%s' (see 'ogem --help')", argv[2]);
            return CLI_EXIT_USAGE;
        }
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        version();
        return CLI_EXIT_OK;
    }
    for (int i = 0; i < n_commands; i++)
        if (strcmp(cmd, commands[i].name) == 0) return commands[i].entry(argc - 1, argv + 1);

    if (cmd[0] == '-') cli_error(NULL, "unknown flag '%s' (see 'ogem --help')", cmd);
    else cli_error(NULL, "unknown command '%s' (see 'ogem --help')", cmd);
    return CLI_EXIT_USAGE;
}

/* Under mpirun or srun every rank runs the same command (cli_mpi.h). */
int main(int argc, char **argv)
{
    cli_mpi_init(&argc, &argv);
    int rc = dispatch(argc, argv);
    cli_mpi_finalize(rc);
    return rc;
}
