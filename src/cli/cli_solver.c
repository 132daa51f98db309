/* cli_solver.c - solvers for validated option sets, the exit code of a
 * library status, and library messages relabelled with the flag that set the
 * field they name; see cli_solver.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_mpi.h"
#include "cli/cli_solver.h"
#include "math/checked.h"

int cli_exit_code_for(ogem_status st)
{
    switch (st) {
    case OGEM_ERR_INVALID:
    case OGEM_ERR_IO:
    case OGEM_ERR_PARSE:
    case OGEM_ERR_UNSUPPORTED:
    case OGEM_ERR_NO_DEVICE: return CLI_EXIT_USAGE;
    default: return CLI_EXIT_FAILURE;
    }
}

/* The ogem_settings fields and the flag that sets each: the samples and the
 * data set come with --estimator (mc:N, data:PATH), the truth's parts with
 * --truth. */
static const struct {
    const char *field;
    int flag;
} fields[] = {
    { "dim", RF_DIM },           { "components", RF_COMPONENTS }, { "weights", RF_WEIGHTS },
    { "mu_star", RF_MU_STAR },   { "inits", RF_INITS },           { "algo", RF_ALGO },
    { "eta", RF_ETA },           { "estimator", RF_ESTIMATOR },   { "samples", RF_ESTIMATOR },
    { "data", RF_ESTIMATOR },    { "data_rows", RF_ESTIMATOR },   { "subspace", RF_SUBSPACE },
    { "seed", RF_SEED },         { "truth_components", RF_TRUTH }, { "truth_weights", RF_TRUTH },
    { "truth_means", RF_TRUTH }, { "learn_weights", RF_LEARN_WEIGHTS },
    { "device", RF_DEVICE },     { "precision", RF_PRECISION },   { "gpu_path", RF_GPU_PATH },
    { "threads", RF_THREADS },
};

void cli_library_error(const char *cmd, const cli_run_opts *o, const char *fallback, const char *where,
                       const char *msg)
{
    const char *label = fallback, *rest = msg;
    for (size_t i = 0; o && i < sizeof fields / sizeof fields[0]; i++) {
        size_t n = strlen(fields[i].field);
        if (strncmp(msg, fields[i].field, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ') {
            if (o->label[fields[i].flag]) {
                label = o->label[fields[i].flag];
                rest = msg + n + 2;
            }
            break;
        }
    }
    cli_error(cmd, "%s%s%s%s%s", label ? label : "", label ? ": " : "", where ? where : "", where ? ": " : "", rest);
}

const char *cli_solver_message(const ogem_solver *s, ogem_status st)
{
    const char *e = s ? ogem_solver_error(s) : NULL;
    return e && *e ? e : ogem_status_string(st);
}

/* --device auto fell back to the CPU: one line on stderr, once per process,
 * unless quiet (issue 3's notice). Held back until cli_solver_notices_start:
 * a command refused for bad input (an --out that cannot be opened, a value
 * checked after the solver exists) prints its one error line and nothing
 * else. */
static struct {
    int said, pending, started;
    const char *cmd;
} notice;

static void say_notice(void)
{
    fprintf(stderr, "ogem %s: no usable GPU found; computing on the CPU (--device cpu says so explicitly)\n",
            notice.cmd);
    notice.said = 1;
    notice.pending = 0;
}

static void device_notice(const char *cmd, ogem_device requested, const ogem_solver *solver, int quiet)
{
    ogem_solver_info info;
    if (notice.said || notice.pending || quiet || requested != OGEM_DEVICE_AUTO ||
        ogem_solver_get_info(solver, &info) != OGEM_OK || strcmp(info.backend, "cpu") != 0)
        return;
    notice.cmd = cmd; /* a command's name: a static string */
    notice.pending = 1;
    if (notice.started) say_notice();
}

void cli_solver_notices_start(void)
{
    notice.started = 1;
    if (notice.pending) say_notice();
}

int cli_solver_open(const char *cmd, const cli_run_opts *o, double *means, ogem_solver **out)
{
    ogem_settings s;
    char msg[1024] = "";
    cli_run_fill_settings(o, &s);
    *out = NULL;
    s.exchange = cli_mpi_exchange();
    /* Under MPI each rank takes a GPU of its node by its node-local rank; with
     * none, auto falls back to the CPU as in one process. */
    if (s.exchange && s.device != OGEM_DEVICE_CPU) (void)ogem_gpu_select(cli_mpi_local_rank());
    ogem_status st = ogem_solver_create(out, &s, msg, sizeof msg);
    /* One rank's failure (its device, its memory) is every rank's. */
    st = (ogem_status)cli_mpi_agree((int)st, msg, sizeof msg);
    if (st != OGEM_OK) {
        ogem_solver_destroy(*out);
        cli_library_error(cmd, o, NULL, NULL, msg[0] ? msg : ogem_status_string(st));
        *out = NULL;
        return cli_exit_code_for(st);
    }
    device_notice(cmd, s.device, *out, o->quiet);
    const size_t rnd = ogem_size_mul3(ogem_count(o->inits), ogem_count(o->components), ogem_count(o->dim));
    double *mu = means ? means : malloc(ogem_size_mul(rnd, sizeof *mu)); /* saturated: fails, never wraps */
    st = mu ? cli_run_initial_means(o, mu) : OGEM_ERR_NOMEM;
    if (st == OGEM_OK) st = ogem_solver_set_means(*out, mu);
    if (mu != means) free(mu);
    if (st != OGEM_OK) {
        /* The means come from --init (or what stands for it: --radius, --sweep). */
        cli_library_error(cmd, o, o->label[RF_INIT], NULL, cli_solver_message(*out, st));
        ogem_solver_destroy(*out);
        *out = NULL;
        return cli_exit_code_for(st);
    }
    return 0;
}
