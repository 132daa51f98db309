/*
 * cli_mpi.h - the command line as one process of an MPI job (cli_mpi.c, built
 * with OGEM_MPI) or as the only process (cli_mpi_none.c, every other build,
 * and an OGEM_MPI build not started by mpirun or srun).
 *
 * Under MPI every rank runs the same command (SPMD); the solvers split their
 * batch through cli_mpi_exchange (ogem/partition.h), so every rank holds the
 * same results. Only rank 0 touches the file system and the terminal: the
 * others' stdout and stderr go to /dev/null and their output directories are
 * sinks (ogem_outdir_discard). A step that rank 0 alone can fail (opening
 * --out, writing a checkpoint) is agreed with cli_mpi_any_failed, so that
 * every rank stops there together.
 */
#ifndef OGEM_CLI_MPI_H
#define OGEM_CLI_MPI_H

#include <stddef.h>
#include "ogem/ogem.h"

/* Joins the job when a launcher started this process (MPI_Init); else
 * nothing happens and the process is a job of one. Call first in main. */
void cli_mpi_init(int *argc, char ***argv);
/* Leaves the job with the command's exit code rc: MPI_Finalize after a
 * success or an interruption (130), which every rank reaches together; after
 * a failure MPI_Abort(rc), because a failure one rank met alone (a --out only
 * rank 0 opens, say) leaves the others in the middle of the run, where
 * MPI_Finalize would wait for them forever. A no-op outside a job. */
void cli_mpi_finalize(int rc);

int cli_mpi_rank(void);        /* 0 outside a job                              */
int cli_mpi_size(void);        /* 1 outside a job                              */
int cli_mpi_local_rank(void);  /* among the ranks of this node (shared memory) */
/* The exchange for ogem_settings.exchange; NULL for a job of one. */
const ogem_exchange *cli_mpi_exchange(void);
/* 1 when failed is non-zero on any rank (collective; failed outside a job). */
int cli_mpi_any_failed(int failed);
/* A failure (code != 0) of any rank becomes every rank's: returns the code
 * of the lowest failing rank, and its message in msg (len bytes), prefixed
 * "rank p of P: " when p is not 0 (rank 0's is the one a single process
 * gives). 0 when no rank failed. Collective; code outside a job. */
int cli_mpi_agree(int code, char *msg, size_t len);
/* The largest v over the ranks (collective; v outside a job). */
int cli_mpi_max(int v);
/* Rank 0 gets every rank's line (up to 255 bytes each), one per line, in
 * rank order, in all (len bytes); other ranks get "". Collective. */
void cli_mpi_gather_lines(const char *mine, char *all, size_t len);

#endif /* OGEM_CLI_MPI_H */
