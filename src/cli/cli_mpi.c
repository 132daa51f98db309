/* cli_mpi.c - cli_mpi.h over MPI (built with OGEM_MPI): joins the job when a
 * launcher started the process, gives the solvers an exchange over
 * MPI_COMM_WORLD, and keeps ranks other than 0 off the file system.
 *
 * Why the launcher test: an OGEM_MPI build started by hand must behave as
 * today's single process, at no cost and without needing an MPI runtime that
 * works on the machine (Open MPI's singleton start spawns a helper daemon). */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_mpi.h"
#include "util/outdir.h"

#define LINE 256

static struct {
    int on, rank, size, local;
    int *count, *displ;   /* size: MPI's int counts of a gather */
    ogem_exchange ex;
} job = { 0, 0, 1, 0, NULL, NULL, { 0 } };

/* mpirun (Open MPI, MPICH's hydra) and srun (PMI-1/2, PMIx) leave these. */
static int launched(void)
{
    static const char *const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE",
                                        "MPI_LOCALNRANKS" };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

static int ex_allgatherv(void *ctx, double *buf, const long *count, const long *displ)
{
    (void)ctx;
    for (int p = 0; p < job.size; p++) {
        /* MPI counts are ints: a block past 2^31 doubles is refused, not wrapped. */
        if (count[p] > INT_MAX || displ[p] > INT_MAX) return 1;
        job.count[p] = (int)count[p];
        job.displ[p] = (int)displ[p];
    }
    return MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, job.count, job.displ, MPI_DOUBLE,
                          MPI_COMM_WORLD) != MPI_SUCCESS;
}

static int ex_max_int(void *ctx, int *v, int len)
{
    (void)ctx;
    return MPI_Allreduce(MPI_IN_PLACE, v, len, MPI_INT, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS;
}

static int ex_broadcast(void *ctx, void *buf, long len, int root)
{
    (void)ctx;
    if (len > INT_MAX) return 1;
    return MPI_Bcast(buf, (int)len, MPI_BYTE, root, MPI_COMM_WORLD) != MPI_SUCCESS;
}

void cli_mpi_init(int *argc, char ***argv)
{
    if (!launched() || MPI_Init(argc, argv) != MPI_SUCCESS) return;
    job.on = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &job.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &job.size);
    /* The node-local rank picks the GPU: an MPI-3 split by shared memory
     * works under any launcher (OMPI_COMM_WORLD_LOCAL_RANK is Open MPI's). */
    MPI_Comm node;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, job.rank, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
        MPI_Comm_rank(node, &job.local);
        MPI_Comm_free(&node);
    }
    job.count = malloc(sizeof(int) * (size_t)job.size);
    job.displ = malloc(sizeof(int) * (size_t)job.size);
    if (!job.count || !job.displ) MPI_Abort(MPI_COMM_WORLD, 1);
    job.ex = (ogem_exchange){ .rank = job.rank, .size = job.size, .ctx = NULL, .allgatherv = ex_allgatherv,
                              .max_int = ex_max_int, .broadcast = ex_broadcast };
    if (job.rank != 0) {
        /* Rank 0 speaks for the job: every rank holds the same results and,
         * through the agreed statuses, the same errors. */
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            MPI_Abort(MPI_COMM_WORLD, 1);
        ogem_outdir_discard(1);
    }
}

void cli_mpi_finalize(int rc)
{
    if (!job.on) return;
    fflush(stdout);
    fflush(stderr);
    if (rc != CLI_EXIT_OK && rc != CLI_EXIT_INTERRUPTED && job.size > 1) MPI_Abort(MPI_COMM_WORLD, rc); /* does not return */
    MPI_Finalize();
    free(job.count);
    free(job.displ);
    job.on = 0;
}

int cli_mpi_rank(void) { return job.rank; }
int cli_mpi_size(void) { return job.size; }
int cli_mpi_local_rank(void) { return job.local; }
const ogem_exchange *cli_mpi_exchange(void) { return job.on && job.size > 1 ? &job.ex : NULL; }

int cli_mpi_max(int v)
{
    if (job.on) MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return v;
}

int cli_mpi_any_failed(int failed) { return cli_mpi_max(failed != 0); }

int cli_mpi_agree(int code, char *msg, size_t len)
{
    if (!job.on || job.size == 1) return code;
    const int P = job.size, key = cli_mpi_max(code ? P - job.rank : 0);
    if (!key) return 0;
    const int root = P - key;
    struct { int code; char msg[1024]; } pkt;
    memset(&pkt, 0, sizeof pkt);
    if (root == job.rank) {
        pkt.code = code;
        snprintf(pkt.msg, sizeof pkt.msg, "%s", msg);
    }
    MPI_Bcast(&pkt, (int)sizeof pkt, MPI_BYTE, root, MPI_COMM_WORLD);
    pkt.msg[sizeof pkt.msg - 1] = '\0';
    if (root == 0) snprintf(msg, len, "%s", pkt.msg);
    else snprintf(msg, len, "rank %d of %d: %s", root, P, pkt.msg);
    return pkt.code;
}

void cli_mpi_gather_lines(const char *mine, char *all, size_t len)
{
    if (len) all[0] = '\0';
    char line[LINE];
    snprintf(line, sizeof line, "%s", mine);
    if (!job.on) {
        if (len) snprintf(all, len, "%s\n", line);
        return;
    }
    char *lines = job.rank == 0 ? malloc((size_t)job.size * LINE) : NULL;
    if (job.rank == 0 && !lines) MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Gather(line, LINE, MPI_CHAR, lines, LINE, MPI_CHAR, 0, MPI_COMM_WORLD);
    size_t used = 0;
    for (int p = 0; lines && p < job.size && used + 1 < len; p++) {
        int k = snprintf(all + used, len - used, "%.*s\n", LINE - 1, lines + (size_t)p * LINE);
        if (k < 0) break;
        used += (size_t)k < len - used ? (size_t)k : len - used - 1;
    }
    free(lines);
}
