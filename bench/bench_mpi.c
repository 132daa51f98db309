/* bench_mpi.c - what running under MPI costs per step (built with OGEM_MPI;
 * bench/mpi_bench.sh runs it at 1 and 2 ranks and prints the table).
 *
 *   mpirun -np P build/bench_mpi gather R n d      the exchanges of one step
 *   mpirun -np P build/bench_mpi step R n d N S    S solver steps, CPU backend
 *
 * gather: the messages a step of a solver with an exchange sends
 * (ogem/partition.h): one MPI_Allreduce of 2 ints (the agreed status and the
 * subspace bound), one of 1 int (the agreed stop flag, cli_stop.c), and the
 * MPI_Allgatherv of the metrics, 4 doubles per running initialization; and,
 * for comparison, the gather of all R n d means that get_means and a
 * checkpoint do (lazily, not per step). Median of 50 repetitions each.
 * step: seconds per gradient EM step of R inits split over the ranks, mc:N,
 * one CPU thread per rank, through the same exchange the command line uses
 * (cli_mpi.c), after one warm-up step; rank 0 prints one line per figure. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_mpi.h"
#include "ogem/ogem.h"

#define REPS 50

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median seconds of REPS runs of an allgatherv of `per_init` doubles for
 * each of R inits, split in blocks as the solver splits them. */
static double time_allgatherv(long R, long per_init, int P, int me)
{
    long *count = malloc(sizeof(long) * (size_t)P), *displ = malloc(sizeof(long) * (size_t)P);
    int *ic = malloc(sizeof(int) * (size_t)P), *id = malloc(sizeof(int) * (size_t)P);
    double *buf = calloc((size_t)(R * per_init), sizeof(double)), t[REPS];
    if (!count || !displ || !ic || !id || !buf) MPI_Abort(MPI_COMM_WORLD, 1);
    for (int p = 0; p < P; p++) {
        ogem_partition_block(R, P, p, &displ[p], &count[p]);
        ic[p] = (int)(count[p] * per_init);
        id[p] = (int)(displ[p] * per_init);
    }
    for (int k = 0; k < REPS; k++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, ic, id, MPI_DOUBLE, MPI_COMM_WORLD);
        t[k] = MPI_Wtime() - t0;
    }
    (void)me;
    free(count); free(displ); free(ic); free(id); free(buf);
    qsort(t, REPS, sizeof t[0], cmp_double);
    return t[REPS / 2];
}

static double time_allreduce(int len)
{
    int v[2] = { 0, 0 };
    double t[REPS];
    for (int k = 0; k < REPS; k++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, v, len, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        t[k] = MPI_Wtime() - t0;
    }
    qsort(t, REPS, sizeof t[0], cmp_double);
    return t[REPS / 2];
}

static void gather(long R, int n, int d, int P, int me)
{
    const double ar2 = time_allreduce(2), ar1 = time_allreduce(1);
    const double met = time_allgatherv(R, 4, P, me);
    const double means = time_allgatherv(R, (long)n * d, P, me);
    if (me == 0)
        printf("gather P=%d R=%ld n=%d d=%d: per step %.1f us (status allreduce %.1f, stop allreduce %.1f, "
               "metrics allgatherv %.1f = %.2f MB); means gather (get_means, checkpoint) %.1f us = %.1f MB\n",
               P, R, n, d, 1e6 * (ar2 + ar1 + met), 1e6 * ar2, 1e6 * ar1, 1e6 * met, 4.0 * 8 * R / 1e6,
               1e6 * means, 8.0 * R * n * d / 1e6);
}

static void step(long R, int n, int d, long N, int S, int P, int me)
{
    double *w = malloc(sizeof(double) * (size_t)n), *mu = malloc(sizeof(double) * (size_t)(R * n * d));
    if (!w || !mu) MPI_Abort(MPI_COMM_WORLD, 1);
    for (int i = 0; i < n; i++) w[i] = 1.0 / n;
    ogem_settings s;
    ogem_settings_default(&s);
    s.dim = d; s.components = n; s.weights = w; s.inits = (int)R; s.samples = N;
    s.device = OGEM_DEVICE_CPU; s.threads = 1; s.exchange = cli_mpi_exchange();
    ogem_solver *sv = NULL;
    char msg[256] = "";
    if (ogem_solver_create(&sv, &s, msg, sizeof msg) != OGEM_OK) {
        fprintf(stderr, "bench_mpi: %s\n", msg);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    ogem_init_random(mu, 0, R, n, d, NULL, 3.0, 1);
    ogem_solver_set_means(sv, mu);
    ogem_metrics *m = malloc(sizeof *m * (size_t)R);
    if (!m || ogem_solver_step(sv, 1, m) != OGEM_OK) MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = MPI_Wtime();
    for (int k = 0; k < S; k++)
        if (ogem_solver_step(sv, 1, m) != OGEM_OK) MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Barrier(MPI_COMM_WORLD);
    const double per = (MPI_Wtime() - t0) / S;
    if (me == 0) printf("step P=%d R=%ld n=%d d=%d N=%ld: %.3f ms/step\n", P, R, n, d, N, 1e3 * per);
    ogem_solver_destroy(sv);
    free(w); free(mu); free(m);
}

int main(int argc, char **argv)
{
    cli_mpi_init(&argc, &argv);
    int on = 0;
    MPI_Initialized(&on);
    if (!on) {
        fprintf(stderr, "bench_mpi: start it with mpirun or srun\n");
        return 2;
    }
    const int P = cli_mpi_size(), me = cli_mpi_rank();
    if (argc >= 5 && strcmp(argv[1], "gather") == 0) {
        gather(atol(argv[2]), atoi(argv[3]), atoi(argv[4]), P, me);
    } else if (argc >= 7 && strcmp(argv[1], "step") == 0) {
        step(atol(argv[2]), atoi(argv[3]), atoi(argv[4]), atol(argv[5]), atoi(argv[6]), P, me);
    } else {
        if (me == 0) fprintf(stderr, "usage: bench_mpi gather R n d | bench_mpi step R n d N STEPS\n");
        cli_mpi_finalize(0); /* every rank is here: no abort needed */
        return 2;
    }
    cli_mpi_finalize(0);
    return 0;
}
