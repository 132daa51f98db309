/*
 * cli_info.c - `ogem info`: version, CUDA devices (memory, compute
 * capability, peaks) and build settings (ogem_gpu_describe); under MPI,
 * every rank with its node and the device its solvers would use.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_info.h"
#include "cli/cli_args.h"
#include "cli/cli_mpi.h"
#include "ogem/ogem.h"

/* One line per rank, printed by rank 0: where it runs and what it computes
 * on (the GPU its node-local rank selects, as cli_solver_open does, or the
 * CPU). */
static void print_ranks(void)
{
    char host[128] = "?", mine[256];
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    const int local = cli_mpi_local_rank();
    ogem_gpu_caps *caps = malloc(sizeof *caps);
    int dev = -1;
    if (caps && ogem_gpu_select(local) == OGEM_OK && ogem_gpu_get_caps(caps) == OGEM_OK && caps->device_count > 0)
        dev = local % caps->device_count;
    if (dev >= 0 && dev < OGEM_GPU_MAX_DEVICES && caps->devices[dev].usable)
        snprintf(mine, sizeof mine, "rank %d: host %s, node-local rank %d, GPU %d (%s)", cli_mpi_rank(), host, local,
                 dev, caps->devices[dev].name);
    else
        snprintf(mine, sizeof mine, "rank %d: host %s, node-local rank %d, CPU (no usable GPU)", cli_mpi_rank(), host,
                 local);
    free(caps);
    /* The gather is collective: every rank joins it, with room or without. */
    const size_t len = (size_t)cli_mpi_size() * 260 + 1;
    char *all = malloc(len), none[1];
    cli_mpi_gather_lines(mine, all ? all : none, all ? len : sizeof none);
    printf("MPI job: %d ranks\n%s", cli_mpi_size(), all ? all : "");
    free(all);
}

int cli_info_main(int argc, char **argv)
{
    const char *value[1];
    unsigned char given[1];
    int pr = cli_parse_flags("info", NULL, 0, argc, argv, value, given);
    if (pr == CLI_PARSE_HELP) {
        cli_print_help(stdout, "ogem info", "Prints the version, the CUDA devices ogem can use (memory, compute\n"
                                            "capability, peak FLOP/s) and the build settings.",
                       NULL, 0, NULL);
        return CLI_EXIT_OK;
    }
    if (pr != CLI_PARSE_OK) return CLI_EXIT_USAGE;
    if (cli_mpi_size() > 1) print_ranks();
    size_t len = 16384;
    char *buf = malloc(len);
    if (!buf) {
        cli_error("info", "out of memory");
        return CLI_EXIT_FAILURE;
    }
    ogem_status st = ogem_gpu_describe(buf, len);
    printf("ogem %s\n", OGEM_VERSION);
#ifdef OGEM_HAVE_CUDA
    printf("build: with CUDA\n");
#else
    printf("build: without CUDA (CPU backend only)\n");
#endif
    fputs(buf, stdout);
    printf("usable GPUs: %d\n", ogem_gpu_count());
    free(buf);
    if (st != OGEM_OK) {
        cli_error("info", "could not describe the devices: %s", ogem_status_string(st));
        return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_OK;
}
