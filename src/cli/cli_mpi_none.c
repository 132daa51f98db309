/* cli_mpi_none.c - cli_mpi.h for builds without MPI: the process is a job of
 * one, and every collective is the identity. */
#include <stdio.h>
#include "cli/cli_mpi.h"

void cli_mpi_init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
}

void cli_mpi_finalize(int rc) { (void)rc; }
int cli_mpi_rank(void) { return 0; }
int cli_mpi_size(void) { return 1; }
int cli_mpi_local_rank(void) { return 0; }
const ogem_exchange *cli_mpi_exchange(void) { return NULL; }
int cli_mpi_any_failed(int failed) { return failed != 0; }
int cli_mpi_max(int v) { return v; }

int cli_mpi_agree(int code, char *msg, size_t len)
{
    (void)msg;
    (void)len;
    return code;
}

void cli_mpi_gather_lines(const char *mine, char *all, size_t len)
{
    if (len) snprintf(all, len, "%s\n", mine);
}
