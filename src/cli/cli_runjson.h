/*
 * cli_runjson.h - the parts of run.json and summary.json that `ogem run` and
 * `ogem escape` write alike (cli_runjson.c): the head, how the run ended, the
 * resolved options, the backend, the settings every batch shares, and the
 * names the settings are spelled with.
 */
#ifndef OGEM_CLI_RUNJSON_H
#define OGEM_CLI_RUNJSON_H

#include "cli/cli_run_opts.h"
#include "util/json.h"
#include "ogem/ogem.h"

/* How a run ended: complete, or interrupted by a signal (a checkpoint in
 * --out continues it); resumed_from is --resume DIR, or NULL. */
typedef struct cli_outcome {
    int interrupted;
    const char *signal_name; /* "SIGINT" or "SIGTERM" */
    const char *resumed_from;
} cli_outcome;

const char *cli_algo_name(ogem_algo a);         /* gem, em            */
const char *cli_device_name(ogem_device d);     /* auto, cpu, gpu     */
const char *cli_precision_name(ogem_precision p);
const char *cli_path_name(ogem_gpu_path p);     /* auto, fused, gemm  */

/* "ogem_version" and "command" (w's object is open). */
void cli_json_head(ogem_json_writer *w, const char *command);
/* "argv": ["ogem", argv...]. */
void cli_json_argv(ogem_json_writer *w, int argc, char **argv);
/* "status" and what goes with it: "interrupted_by", "steps_done" (when
 * steps_done >= 0), "resume" (the command that continues in out_dir), and
 * "resumed_from". how may be NULL (complete). */
void cli_json_status(ogem_json_writer *w, const char *command, const char *out_dir, const cli_outcome *how,
                     long steps_done);
/* Opens "resolved" with what every batch resolves (weights spec, samples per
 * step, what the loss is); the caller adds its own and closes it. */
void cli_json_resolved_begin(ogem_json_writer *w, const cli_run_opts *o);
void cli_json_backend(ogem_json_writer *w, const ogem_solver_info *info);
/* The settings of the method, in every command's "settings": eta, algo,
 * estimator, subspace. */
void cli_json_method_settings(ogem_json_writer *w, const cli_run_opts *o);
/* The last settings of every command's "settings": device, precision,
 * gpu_path, and (unless for_fingerprint: they cannot change the results)
 * threads and checkpoint_every. */
void cli_json_device_settings(ogem_json_writer *w, const cli_run_opts *o, long checkpoint_every,
                              int for_fingerprint);
/* w's text as a malloc'd string (NULL when out of memory); frees w. */
char *cli_json_take(ogem_json_writer *w);

#endif /* OGEM_CLI_RUNJSON_H */
