/* cli_compare.h - `ogem compare DIR_A DIR_B` (cli_compare.c): two runs' CSV
 * outputs compared within tolerances. */
#ifndef OGEM_CLI_COMPARE_H
#define OGEM_CLI_COMPARE_H

int cli_compare_main(int argc, char **argv);

#endif /* OGEM_CLI_COMPARE_H */
