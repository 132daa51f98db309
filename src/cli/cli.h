/*
 * cli.h - the subcommands of the `ogem` executable.
 *
 * Each subcommand lives in its own src/cli_NAME.c and exposes one entry point
 * with main()'s shape; argv[0] is the subcommand's name. cli_main.c lists them
 * in its dispatch table. To add `ogem escape`: write src/cli_escape.c with
 * cli_escape_main(), declare it here, and add one row to the table.
 *
 * Exit codes shared by every subcommand (documented in README.md).
 */
#ifndef OGEM_CLI_H
#define OGEM_CLI_H

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILURE = 1,     /* the run itself failed (device, memory, disk)  */
    CLI_EXIT_USAGE = 2,       /* bad input: a flag, a value, a file            */
    CLI_EXIT_INTERRUPTED = 130 /* SIGINT/SIGTERM: partial results + checkpoint */
};

int cli_run_main(int argc, char **argv);
int cli_paper_main(int argc, char **argv);
int ogem_cli_compare(int argc, char **argv); /* cli_compare.c */
int ogem_cli_info(int argc, char **argv);    /* cli_info.c    */
int cli_escape_main(int argc, char **argv); /* cli_escape.c */

#endif /* OGEM_CLI_H */
