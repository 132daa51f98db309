/*
 * cli_run.c - `ogem run`: gradient EM / EM on a batch of initializations.
 *
 * Order of business, chosen so that bad input never leaves anything behind:
 *   1. parse flags (and --config), validate everything, read input files,
 *      create the solver and the initial means        -> errors exit 2;
 *   2. create --out and temporary files in it;
 *   3. step t = 0..T: evaluate at mu_t (metrics of row t), update unless t = T,
 *      streaming logged rows into the temporary files;
 *   4. write final.csv and run.json, fsync, rename everything into place;
 *   5. print a summary on stdout.
 * Any failure in 2-4 removes the temporary files (and the directory if we
 * created it). SIGINT/SIGTERM stop the loop between two steps: a checkpoint
 * (cli_ckpt.h) and the partial results (the rows logged so far, final.csv at
 * the current means, run.json with "status": "interrupted") are committed,
 * and the exit code is 130. --checkpoint-every K also checkpoints every K
 * steps; --resume DIR continues from DIR/checkpoint.ogem and writes exactly
 * what the uninterrupted run writes. The rows logged so far travel in the
 * checkpoint, read back from the temporary files.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_ckpt.h"
#include "cli/cli_run.h"
#include "util/json.h"

const cli_flag cli_run_flags[RF_COUNT] = {
    [RF_DIM] = { "--dim", CLI_FLAG_VALUE, "D", "2", "dimension d >= 1" },
    [RF_COMPONENTS] = { "--components", CLI_FLAG_VALUE, "N", "5", "mixture components n >= 1" },
    [RF_WEIGHTS] = { "--weights", CLI_FLAG_VALUE, "SPEC", "uniform",
                     "uniform | w1,w2,... (positive, sum 1 within 1e-9) | geometric:r (pi_i ~ r^i)" },
    [RF_MU_STAR] = { "--mu-star", CLI_FLAG_VALUE, "LIST", "0", "truth mean: d values, or one for every coordinate" },
    [RF_INITS] = { "--inits", CLI_FLAG_VALUE, "R", "256", "initializations run together" },
    [RF_STEPS] = { "--steps", CLI_FLAG_VALUE, "T", "1000", "updates per initialization (T + 1 evaluations)" },
    [RF_ETA] = { "--eta", CLI_FLAG_VALUE, "ETA", "1", "gradient EM step size, > 0 (em ignores it)" },
    [RF_ALGO] = { "--algo", CLI_FLAG_VALUE, "gem|em", "gem", "gradient EM, or EM" },
    [RF_ESTIMATOR] = { "--estimator", CLI_FLAG_VALUE, "SPEC", "mc:8192",
                       "mc:N (fresh, N even) | fixed:N | qmc:N | data:PATH | exact" },
    [RF_SUBSPACE] = { "--subspace", CLI_FLAG_SWITCH, NULL, NULL, "sample in span{mu_i - mu_1} instead of R^d" },
    [RF_INIT] = { "--init", CLI_FLAG_VALUE, "SPEC", "random:3",
                  "random:S (N(mu*, S^2 I)) | far:K:RADIUS | file:PATH (final.csv layout)" },
    [RF_SEED] = { "--seed", CLI_FLAG_VALUE, "S", "1", "seed of every random draw (0 .. 2^64-1)" },
    [RF_LOG] = { "--log", CLI_FLAG_VALUE, "SPEC", "log", "logged steps: log (20 per decade) | log:P | every:K" },
    [RF_TRACE_INITS] = { "--trace-inits", CLI_FLAG_VALUE, "K", "16", "initializations written to trajectory.csv" },
    [RF_DEVICE] = { "--device", CLI_FLAG_VALUE, "auto|cpu|gpu", "auto", "where to compute" },
    [RF_PRECISION] = { "--precision", CLI_FLAG_VALUE, "double|float", "double", "float: GPU only" },
    [RF_GPU_PATH] = { "--gpu-path", CLI_FLAG_VALUE, "auto|fused|gemm", "auto", "GPU kernel path" },
    [RF_THREADS] = { "--threads", CLI_FLAG_VALUE, "K", "0", "CPU threads, 0 = all" },
    [RF_OUT] = { "--out", CLI_FLAG_VALUE, "DIR", "ogem-out", "output directory (created if missing)" },
    [RF_CONFIG] = { "--config", CLI_FLAG_VALUE, "DIR/run.json", NULL,
                    "replay a run (its run.json or its directory); flags given here override it" },
    [RF_QUIET] = { "--quiet", CLI_FLAG_SWITCH, NULL, NULL, "no progress line, no summary" },
    [RF_CHECKPOINT_EVERY] = { "--checkpoint-every", CLI_FLAG_VALUE, "K", "0",
                              "write DIR/checkpoint.ogem every K steps (0: only on SIGINT/SIGTERM)" },
    [RF_RESUME] = { "--resume", CLI_FLAG_VALUE, "DIR", NULL,
                    "continue the run checkpointed in DIR with its settings (writes to DIR unless --out)" },
};

const unsigned char cli_run_replayable[RF_COUNT] = {
    [RF_DIM] = 1, [RF_COMPONENTS] = 1, [RF_WEIGHTS] = 1, [RF_MU_STAR] = 1, [RF_INITS] = 1,
    [RF_STEPS] = 1, [RF_ETA] = 1, [RF_ALGO] = 1, [RF_ESTIMATOR] = 1, [RF_SUBSPACE] = 1,
    [RF_INIT] = 1, [RF_SEED] = 1, [RF_LOG] = 1, [RF_TRACE_INITS] = 1, [RF_DEVICE] = 1,
    [RF_PRECISION] = 1, [RF_GPU_PATH] = 1, [RF_THREADS] = 1, [RF_CHECKPOINT_EVERY] = 1,
};

static const char *const run_intro =
    "Runs gradient EM (or EM) on a batch of initializations of the model\n"
    "sum_i pi_i N(mu_i, I_d) against the truth N(mu*, I_d), logging the loss and the\n"
    "distances to mu* at log-spaced steps.";

static const char *const run_epilogue =
    "outputs in --out:\n"
    "  trajectory.csv  step,init,loss,max_dist,mean_dist2,update_norm (first --trace-inits inits)\n"
    "  aggregate.csv   step, then min,q1,median,q3,max over all inits of each metric\n"
    "  final.csv       init,component,mu_1..mu_d (a valid --init file:PATH)\n"
    "  run.json        settings (replayable with --config), backend, timing, status\n"
    "  checkpoint.ogem only while a run is unfinished: --resume DIR continues it\n"
    "\n"
    "SIGINT/SIGTERM stop between two steps, commit the rows so far with a checkpoint,\n"
    "and exit 130; 'ogem run --resume DIR' then writes what an uninterrupted run writes.\n"
    "\n"
    "examples:\n"
    "  ogem run --dim 10 --components 5 --inits 1024 --steps 10000 --out runs/a\n"
    "  ogem run --weights 0.5,0.3,0.2 --components 3 --algo em --estimator exact --subspace\n"
    "  ogem run --config runs/a/run.json --out runs/a-replay\n"
    "  ogem run --steps 1000000 --checkpoint-every 10000 --out runs/long; ogem run --resume runs/long";

/* Statuses that mean "your request cannot be done as given" exit 2, like any
 * other bad input; the rest are failures of the run itself. */
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

void cli_run_fill_settings(const cli_run_opts *o, ogem_settings *s)
{
    ogem_settings_default(s);
    s->dim = o->dim;
    s->components = o->components;
    s->weights = o->weights;
    s->mu_star = o->mu_star;
    s->inits = (int)o->inits;
    s->algo = o->algo;
    s->eta = o->eta;
    s->estimator = o->estimator;
    s->samples = o->estimator == OGEM_EST_DATA ? 0 : o->samples;
    s->data = o->data;
    s->data_rows = o->estimator == OGEM_EST_DATA ? o->samples : 0;
    s->subspace = o->subspace;
    s->seed = o->seed;
    s->device = o->device;
    s->precision = o->precision;
    s->gpu_path = o->gpu_path;
    s->threads = o->threads;
}

ogem_status cli_run_initial_means(const cli_run_opts *o, double *mu)
{
    switch (o->init_kind) {
    case CLI_INIT_FILE:
        memcpy(mu, o->init_means, (size_t)o->inits * (size_t)o->components * (size_t)o->dim * sizeof *mu);
        return OGEM_OK;
    case CLI_INIT_FAR:
        return ogem_init_far(mu, 0, o->inits, o->components, o->dim, o->mu_star, o->far_k, o->far_radius, o->seed);
    default:
        return ogem_init_random(mu, 0, o->inits, o->components, o->dim, o->mu_star, o->init_scale, o->seed);
    }
}

static void print_summary(const cli_run_opts *o, const ogem_solver_info *info, const ogem_metrics *m,
                          const cli_run_timing *tm, double *scratch)
{
    double q[5];
    printf("ogem run: %ld init%s, n = %d, d = %d, %s", o->inits, o->inits == 1 ? "" : "s", o->components, o->dim,
           o->algo == OGEM_ALGO_EM ? "em" : "gem");
    if (o->algo == OGEM_ALGO_GEM) printf(" (eta %g)", o->eta);
    printf(", %s, %ld step%s on %s (%s", o->estimator == OGEM_EST_DATA ? "data" : o->estimator_text, o->steps,
           o->steps == 1 ? "" : "s", info->backend, info->precision);
    if (info->gpu_path && *info->gpu_path) printf(", %s path", info->gpu_path);
    if (info->backend && strcmp(info->backend, "cpu") == 0) printf(", %d thread%s", info->threads, info->threads == 1 ? "" : "s");
    printf(")\n");
    for (long r = 0; r < o->inits; r++) scratch[r] = m[r].loss;
    cli_quantiles5(scratch, o->inits, q);
    printf("  final %-9s median %-12.4g quartiles [%.4g, %.4g]  range [%.4g, %.4g]\n",
           o->estimator == OGEM_EST_DATA ? "NLL" : "loss (KL)", q[2], q[1], q[3], q[0], q[4]);
    for (long r = 0; r < o->inits; r++) scratch[r] = m[r].max_dist;
    cli_quantiles5(scratch, o->inits, q);
    printf("  final %-9s median %-12.4g quartiles [%.4g, %.4g]  range [%.4g, %.4g]\n", "max_dist", q[2], q[1], q[3],
           q[0], q[4]);
    double sci = cli_run_sci(o, tm->evaluations);
    printf("  wall %.3g s (solve %.3g s)", tm->wall_seconds, tm->solve_seconds);
    if (sci > 0 && tm->solve_seconds > 0) printf(", %.3g SCI/s (samples x components x inits per second)", sci / tm->solve_seconds);
    printf("\n  wrote %s/{trajectory,aggregate,final}.csv and run.json\n", o->out_dir);
}

/* run.json's replayable part, {"command": "run", "settings": {...}}, and the
 * fingerprint of the settings that determine the results. */
static char *config_text(const cli_run_opts *o, uint64_t *fingerprint)
{
    ogem_json_writer w;
    ogem_jw_init(&w);
    cli_run_settings_json(&w, NULL, o, 1);
    const char *fp = ogem_jw_text(&w, NULL);
    size_t ndata = o->estimator == OGEM_EST_DATA ? (size_t)o->samples * (size_t)o->dim : 0;
    *fingerprint = fp ? cli_fingerprint("run", fp, o->data, ndata) : 0;
    int ok = fp != NULL;
    ogem_jw_free(&w);

    ogem_jw_init(&w);
    ogem_jw_begin_object(&w, NULL);
    ogem_jw_string(&w, "command", "run");
    cli_run_settings_json(&w, "settings", o, 0);
    ogem_jw_end_object(&w);
    size_t len;
    const char *text = ogem_jw_text(&w, &len);
    char *copy = ok && text ? malloc(len + 1) : NULL;
    if (copy) memcpy(copy, text, len + 1);
    ogem_jw_free(&w);
    return copy;
}

/* Appends what f holds so far (a temporary output being streamed) to b as a
 * str: the logged rows travel in the checkpoint. */
static int put_file_so_far(cli_buf *b, FILE *f)
{
    if (fflush(f) != 0) return -1;
    long end = ftell(f);
    if (end < 0) return -1;
    cli_buf_put_u64(b, (uint64_t)end);
    char chunk[1 << 15];
    for (off_t pos = 0; pos < (off_t)end;) {
        size_t want = (size_t)((off_t)end - pos) < sizeof chunk ? (size_t)((off_t)end - pos) : sizeof chunk;
        ssize_t got = pread(fileno(f), chunk, want, pos);
        if (got <= 0) return -1;
        cli_buf_put(b, chunk, (size_t)got);
        pos += got;
    }
    return b->failed ? -1 : 0;
}

static int write_checkpoint(const cli_run_opts *o, ogem_solver *solver, uint64_t fp, const char *config, FILE *traj,
                            FILE *agg, char *msg, size_t len)
{
    cli_buf blob = { 0 };
    cli_ckpt_begin_blob(&blob, "run", config);
    int rc = put_file_so_far(&blob, traj) || put_file_so_far(&blob, agg) ? -1 : 0;
    if (rc) snprintf(msg, len, "cannot read back the rows logged so far");
    else rc = cli_ckpt_write(o->out_dir, solver, fp, &blob, msg, len);
    cli_buf_free(&blob);
    return rc;
}

int cli_run_main(int argc, char **argv)
{
    const char *cmd = "run";
    double t_start = cli_now();
    const char *value[RF_COUNT], *label[RF_COUNT];
    unsigned char given[RF_COUNT], from_config[RF_COUNT] = { 0 };
    cli_strings pool = { 0 };
    cli_run_opts o;
    cli_resume res;
    ogem_solver *solver = NULL;
    double *mu = NULL, *scratch = NULL;
    ogem_metrics *metrics = NULL;
    ogem_outdir *out = NULL;
    char *config = NULL;
    char msg[1024];
    int rc = CLI_EXIT_USAGE;
    int have_opts = 0, have_resume = 0, ckpt_written = 0, ckpt_preexisting = 1;

    int pr = cli_parse_flags(cmd, cli_run_flags, RF_COUNT, argc, argv, value, given);
    if (pr == CLI_PARSE_HELP) {
        cli_print_help(stdout, "ogem run [FLAGS]", run_intro, cli_run_flags, RF_COUNT, run_epilogue);
        return CLI_EXIT_OK;
    }
    if (pr != CLI_PARSE_OK) return CLI_EXIT_USAGE;

    /* ---- 1. validate everything ------------------------------------------------- */
    const char *origin = value[RF_CONFIG];
    if (value[RF_RESUME]) {
        /* The checkpoint holds the settings; flags given here must agree. */
        if (value[RF_CONFIG]) {
            cli_error(cmd, "--resume: cannot be combined with --config (the checkpoint holds the settings)");
            goto done;
        }
        if (cli_resume_load(cmd, value[RF_RESUME], &res) != 0) goto done;
        have_resume = 1;
        origin = res.path;
        if (cli_config_apply_text(cmd, "--resume", res.path, res.config, res.config_len, "run", cli_run_flags,
                                  cli_run_replayable, RF_COUNT, value, given, from_config, &pool) != 0)
            goto done;
        if (!given[RF_OUT]) value[RF_OUT] = value[RF_RESUME];
    } else if (value[RF_CONFIG] && cli_config_apply(cmd, value[RF_CONFIG], value, given, from_config, &pool) != 0) {
        goto done;
    }
    for (int i = 0; i < RF_COUNT; i++) {
        label[i] = cli_run_flags[i].name;
        if (from_config[i]) {
            snprintf(msg, sizeof msg, "%s (from %s)", cli_run_flags[i].name, origin);
            const char *l = cli_strings_add(&pool, msg);
            if (l) label[i] = l;
        }
    }
    if (cli_run_opts_build(cmd, value, label, &o) != 0) goto done;
    have_opts = 1;

    uint64_t fingerprint = 0;
    config = config_text(&o, &fingerprint);
    if (!config) {
        cli_error(cmd, "out of memory");
        rc = CLI_EXIT_FAILURE;
        goto done;
    }
    const unsigned char *traj_text = NULL, *agg_text = NULL;
    size_t traj_len = 0, agg_len = 0;
    if (have_resume) {
        if (cli_resume_check(cmd, &res, fingerprint, config) != 0) goto done;
        traj_text = cli_rd_str(&res.payload, &traj_len);
        agg_text = cli_rd_str(&res.payload, &agg_len);
        if (res.payload.failed || res.ck.R != o.inits || res.ck.n != o.components || res.ck.d != o.dim ||
            res.ck.step > o.steps) {
            cli_error(cmd, "--resume: %s is inconsistent with its own settings (corrupt?)", res.path);
            goto done;
        }
    }

    const long R = o.inits;
    const size_t nmu = (size_t)R * (size_t)o.components * (size_t)o.dim;
    mu = malloc(nmu * sizeof *mu);
    metrics = calloc((size_t)R, sizeof *metrics);
    scratch = malloc((size_t)R * sizeof *scratch);
    if (!mu || !metrics || !scratch) {
        cli_error(cmd, "out of memory for %ld initializations", R);
        rc = CLI_EXIT_FAILURE;
        goto done;
    }

    ogem_settings s;
    cli_run_fill_settings(&o, &s);
    msg[0] = '\0';
    ogem_status st = ogem_solver_create(&solver, &s, msg, sizeof msg);
    if (st != OGEM_OK) {
        cli_error(cmd, "%s", msg[0] ? msg : ogem_status_string(st));
        rc = cli_exit_code_for(st);
        goto done;
    }
    cli_device_notice(cmd, s.device, solver, o.quiet);
    st = cli_run_initial_means(&o, mu);
    if (st == OGEM_OK) st = ogem_solver_set_means(solver, mu);
    if (st != OGEM_OK) {
        const char *e = ogem_solver_error(solver);
        cli_error(cmd, "%s: %s", label[RF_INIT], e && *e ? e : ogem_status_string(st));
        rc = cli_exit_code_for(st);
        goto done;
    }
    if (have_resume && ogem_checkpoint_restore(solver, &res.ck) != OGEM_OK) {
        cli_error(cmd, "--resume: %s does not fit these settings", res.path);
        goto done;
    }

    /* ---- 2. the output directory ------------------------------------------------- */
    out = ogem_outdir_open(o.out_dir, msg, sizeof msg);
    if (!out) {
        cli_error(cmd, "%s: %s", label[RF_OUT], msg);
        goto done;
    }
    ckpt_preexisting = cli_ckpt_exists(o.out_dir);
    FILE *traj = ogem_outdir_create(out, "trajectory.csv", msg, sizeof msg);
    FILE *agg = traj ? ogem_outdir_create(out, "aggregate.csv", msg, sizeof msg) : NULL;
    FILE *fin = agg ? ogem_outdir_create(out, "final.csv", msg, sizeof msg) : NULL;
    FILE *js = fin ? ogem_outdir_create(out, "run.json", msg, sizeof msg) : NULL;
    if (!js) {
        cli_error(cmd, "%s: %s", label[RF_OUT], msg);
        goto done;
    }
    static char traj_buf[1 << 16];
    setvbuf(traj, traj_buf, _IOFBF, sizeof traj_buf);
    if (have_resume) {
        /* The rows the interrupted run had logged, headers included. */
        fwrite(traj_text, 1, traj_len, traj);
        fwrite(agg_text, 1, agg_len, agg);
    } else {
        cli_trajectory_header(traj);
        cli_aggregate_header(agg);
    }

    /* ---- 3. the run -------------------------------------------------------------------- */
    rc = CLI_EXIT_FAILURE;
    const long t0 = ogem_solver_step_index(solver);
    long next_log = 0;
    while (next_log < o.n_log_steps && o.log_steps[next_log] < t0) next_log++;
    cli_stop_install();
    cli_progress progress;
    cli_progress_init(&progress, o.quiet, o.steps + 1);
    double t_solve = cli_now();
    int failed = 0;
    long t;
    for (t = t0; t <= o.steps; t++) {
        if (cli_stop_requested()) break;
        st = ogem_solver_step(solver, t < o.steps, metrics);
        if (st != OGEM_OK) {
            cli_progress_done(&progress);
            const char *e = ogem_solver_error(solver);
            cli_error(cmd, "step %ld: %s", t, e && *e ? e : ogem_status_string(st));
            rc = cli_exit_code_for(st);
            failed = 1;
            break;
        }
        if (next_log < o.n_log_steps && o.log_steps[next_log] == t) {
            cli_trajectory_rows(traj, t, metrics, o.traced);
            cli_aggregate_row(agg, t, metrics, R, scratch);
            next_log++;
        }
        cli_progress_update(&progress, t + 1);
        if (t < o.steps) {
            if (o.checkpoint_every > 0 && (t + 1) % o.checkpoint_every == 0) {
                if (write_checkpoint(&o, solver, fingerprint, config, traj, agg, msg, sizeof msg) != 0) {
                    cli_progress_done(&progress);
                    cli_error(cmd, "%s", msg);
                    failed = 1;
                    ckpt_written = 1; /* perhaps half-way: clean up */
                    break;
                }
                ckpt_written = 1;
            }
            cli_stop_count_step();
        }
    }
    cli_run_timing tm = { 0, cli_now() - t_solve, o.steps + 1 };
    cli_progress_done(&progress);
    cli_stop_restore();
    if (failed) goto done;
    const int interrupted = t <= o.steps;
    if (interrupted) {
        /* Between steps t - 1 and t: the state continues exactly from here. */
        ckpt_written = 1;
        if (write_checkpoint(&o, solver, fingerprint, config, traj, agg, msg, sizeof msg) != 0) {
            cli_error(cmd, "interrupted, and %s", msg);
            goto done;
        }
    }

    /* ---- 4. final state, run.json, commit -------------------------------------------------- */
    st = ogem_solver_get_means(solver, mu);
    ogem_solver_info info;
    memset(&info, 0, sizeof info);
    if (st == OGEM_OK) st = ogem_solver_get_info(solver, &info);
    if (st != OGEM_OK) {
        const char *e = ogem_solver_error(solver);
        cli_error(cmd, "%s", e && *e ? e : ogem_status_string(st));
        goto done;
    }
    cli_final_csv(fin, mu, R, o.components, o.dim);
    tm.wall_seconds = cli_now() - t_start;
    cli_run_status status = { interrupted, cli_stop_name(), t, have_resume ? res.dir : NULL };
    char *json = cli_run_json_status(&o, &info, &tm, argc, argv, &status);
    if (!json) {
        cli_error(cmd, "out of memory writing run.json");
        goto done;
    }
    fputs(json, js);
    free(json);
    int committed = ogem_outdir_commit(out, msg, sizeof msg);
    out = NULL; /* commit frees it, whatever the outcome */
    if (committed != 0) {
        cli_error(cmd, "%s: %s", label[RF_OUT], msg);
        goto done;
    }
    if (interrupted) {
        char *hint = cli_resume_hint("run", o.out_dir);
        cli_error(cmd, "interrupted (%s) after %ld of %ld steps; partial results and a checkpoint are in %s; "
                  "continue with: %s", cli_stop_name(), t, o.steps, o.out_dir, hint ? hint : "--resume");
        free(hint);
        rc = CLI_EXIT_INTERRUPTED;
        goto done;
    }
    /* Complete: the checkpoint has served its purpose. */
    cli_ckpt_remove(o.out_dir);
    rc = CLI_EXIT_OK;

    /* ---- 5. summary ------------------------------------------------------------------------ */
    if (!o.quiet) print_summary(&o, &info, metrics, &tm, scratch);

done:
    if (rc != CLI_EXIT_OK && rc != CLI_EXIT_INTERRUPTED && ckpt_written && !ckpt_preexisting)
        cli_ckpt_remove(o.out_dir); /* a failed run leaves nothing behind */
    if (out) ogem_outdir_abort(out);
    if (solver) ogem_solver_destroy(solver);
    free(mu);
    free(metrics);
    free(scratch);
    free(config);
    if (have_opts) cli_run_opts_free(&o);
    if (have_resume) cli_resume_free(&res);
    cli_strings_free(&pool);
    return rc;
}

void cli_device_notice(const char *cmd, ogem_device requested, const ogem_solver *solver, int quiet)
{
    static int said;
    ogem_solver_info info;
    if (said || quiet || requested != OGEM_DEVICE_AUTO || ogem_solver_get_info(solver, &info) != OGEM_OK) return;
    if (strcmp(info.backend, "cpu") == 0) {
        fprintf(stderr, "ogem %s: no usable GPU found; computing on the CPU (--device cpu says so explicitly)\n", cmd);
        said = 1;
    }
}
