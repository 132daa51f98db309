/* cli_runjson.c - what run.json and summary.json of every command share; see
 * cli_runjson.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_mpi.h"
#include "cli/cli_ckpt.h"
#include "cli/cli_runjson.h"

const char *cli_algo_name(ogem_algo a) { return a == OGEM_ALGO_EM ? "em" : "gem"; }

const char *cli_device_name(ogem_device d)
{
    return d == OGEM_DEVICE_CPU ? "cpu" : d == OGEM_DEVICE_GPU ? "gpu" : "auto";
}

const char *cli_precision_name(ogem_precision p) { return p == OGEM_PREC_FLOAT ? "float" : "double"; }

const char *cli_path_name(ogem_gpu_path p)
{
    return p == OGEM_PATH_FUSED ? "fused" : p == OGEM_PATH_GEMM ? "gemm" : "auto";
}

void cli_json_head(ogem_json_writer *w, const char *command)
{
    ogem_jw_string(w, "ogem_version", OGEM_VERSION);
    ogem_jw_string(w, "command", command);
}

void cli_json_argv(ogem_json_writer *w, int argc, char **argv)
{
    ogem_jw_begin_array(w, "argv", 1);
    ogem_jw_string(w, NULL, "ogem");
    for (int a = 0; a < argc; a++) ogem_jw_string(w, NULL, argv[a]);
    ogem_jw_end_array(w);
}

void cli_json_status(ogem_json_writer *w, const char *command, const char *out_dir, const cli_outcome *how,
                     long steps_done)
{
    if (how && how->interrupted) {
        ogem_jw_string(w, "status", "interrupted");
        ogem_jw_string(w, "interrupted_by", how->signal_name ? how->signal_name : "signal");
        if (steps_done >= 0) ogem_jw_int(w, "steps_done", steps_done);
        char *hint = cli_resume_hint(command, out_dir), fallback[64];
        snprintf(fallback, sizeof fallback, "ogem %s --resume DIR", command);
        ogem_jw_string(w, "resume", hint ? hint : fallback);
        free(hint);
    } else {
        ogem_jw_string(w, "status", "complete");
    }
    if (how && how->resumed_from) ogem_jw_string(w, "resumed_from", how->resumed_from);
}

void cli_json_resolved_begin(ogem_json_writer *w, const cli_run_opts *o)
{
    ogem_jw_begin_object(w, "resolved");
    ogem_jw_string(w, "weights_spec", o->weights_spec);
    if (o->samples > 0) ogem_jw_int(w, "samples_per_step", o->samples);
    else ogem_jw_null(w, "samples_per_step");
    ogem_jw_string(w, "loss", o->estimator == OGEM_EST_DATA ? "mean negative log-likelihood of the data"
                                                              : "KL(truth || model) estimate");
}

void cli_json_backend(ogem_json_writer *w, const ogem_solver_info *info)
{
    ogem_jw_begin_object(w, "backend");
    ogem_jw_string(w, "name", info->backend ? info->backend : "");
    ogem_jw_string(w, "precision", info->precision ? info->precision : "");
    ogem_jw_string(w, "gpu_path", info->gpu_path ? info->gpu_path : "");
    ogem_jw_int(w, "threads", info->threads);
    ogem_jw_uint(w, "peak_device_bytes", (uint64_t)info->peak_device_bytes);
    ogem_jw_int(w, "max_subspace_dim", info->max_subspace_dim);
    /* One process, or an MPI job of P ranks sharing the batch (cli_mpi.h);
     * a reader can tell that from P copies of one job. */
    ogem_jw_int(w, "ranks", cli_mpi_size());
    ogem_jw_string(w, "split", cli_mpi_size() > 1
                                   ? "initializations in contiguous blocks by index, rank p of P: [p R/P, (p+1) R/P); "
                                     "rebalanced by index over the running ones when the busiest rank holds more than "
                                     "5/4 of its share; results identical to one process"
                                   : "none: one process");
    ogem_jw_end_object(w);
}

void cli_json_method_settings(ogem_json_writer *w, const cli_run_opts *o)
{
    ogem_jw_double(w, "eta", o->eta);
    ogem_jw_string(w, "algo", cli_algo_name(o->algo));
    ogem_jw_string(w, "estimator", o->estimator_text);
    ogem_jw_bool(w, "subspace", o->subspace);
}

void cli_json_device_settings(ogem_json_writer *w, const cli_run_opts *o, long checkpoint_every,
                              int for_fingerprint)
{
    ogem_jw_string(w, "device", cli_device_name(o->device));
    ogem_jw_string(w, "precision", cli_precision_name(o->precision));
    ogem_jw_string(w, "gpu_path", cli_path_name(o->gpu_path));
    if (!for_fingerprint) {
        ogem_jw_int(w, "threads", o->threads);
        ogem_jw_int(w, "checkpoint_every", checkpoint_every);
    }
}

char *cli_json_take(ogem_json_writer *w)
{
    size_t len;
    const char *text = ogem_jw_text(w, &len);
    char *copy = text ? malloc(len + 1) : NULL;
    if (copy) memcpy(copy, text, len + 1);
    ogem_jw_free(w);
    return copy;
}
