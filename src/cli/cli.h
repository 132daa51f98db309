/*
 * cli.h - the exit codes shared by every subcommand of `ogem` (documented in
 * README.md). Each subcommand's entry point, with main()'s shape (argv[0] is
 * the subcommand's name), is declared in its own header (cli_run.h,
 * cli_escape.h, cli_paper.h, cli_compare.h, cli_info.h); cli_main.c lists
 * them in its dispatch table.
 */
#ifndef OGEM_CLI_H
#define OGEM_CLI_H

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILURE = 1,     /* the run itself failed (device, memory, disk)  */
    CLI_EXIT_USAGE = 2,       /* bad input: a flag, a value, a file            */
    CLI_EXIT_INTERRUPTED = 130 /* SIGINT/SIGTERM: partial results + checkpoint */
};

#endif /* OGEM_CLI_H */
