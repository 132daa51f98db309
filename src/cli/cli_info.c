/*
 * cli_info.c - `ogem info`: version, CUDA devices (memory, compute
 * capability, peaks) and build settings (ogem_gpu_describe).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/cli_info.h"
#include "cli/cli_args.h"
#include "ogem/ogem.h"

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
