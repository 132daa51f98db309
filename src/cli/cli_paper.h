/*
 * cli_paper.h - `ogem paper` (cli_paper.c): the paper's three experiments end
 * to end, run through the same option sets, solvers, stepping loops and
 * statistics as `ogem run` and `ogem escape`.
 */
#ifndef OGEM_CLI_PAPER_H
#define OGEM_CLI_PAPER_H

int cli_paper_main(int argc, char **argv);

#endif /* OGEM_CLI_PAPER_H */
