/*
 * cli_run_opts.c - `ogem run`'s flag table, and its flag texts turned into
 * validated options (see cli_run_opts.h).
 *
 * All validation happens here, before anything is created on disk, and each
 * problem is reported as one line naming the flag (and, for files, the file
 * and line). The compound specs (--weights, --estimator, --init, --log) are
 * parsed here too, and given canonical spellings for run.json.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_run_opts.h"
#include "ogem/ogem.h"
#include "math/checked.h"
#include "util/csv_read.h"

const cli_flag cli_run_flags[RF_COUNT] = {
    [RF_DIM] = { "--dim", CLI_FLAG_VALUE, "D", "2", "dimension d >= 1" },
    [RF_COMPONENTS] = { "--components", CLI_FLAG_VALUE, "N", "5", "mixture components n >= 1" },
    [RF_WEIGHTS] = { "--weights", CLI_FLAG_VALUE, "SPEC", "uniform",
                     "uniform | w1,w2,... (positive, sum 1 within 1e-9) | geometric:r (pi_i ~ r^i)" },
    [RF_LEARN_WEIGHTS] = { "--learn-weights", CLI_FLAG_SWITCH, NULL, NULL,
                           "learn the weights, pi_i <- E[psi_i] every step, starting from --weights" },
    /* No default text: an absent --mu-star (the origin) is told apart from a
     * given one, which --truth refuses; the help line shows the default. */
    [RF_MU_STAR] = { "--mu-star", CLI_FLAG_VALUE, "LIST", NULL,
                     "truth mean: d values, or one for every coordinate [0]" },
    [RF_TRUTH] = { "--truth", CLI_FLAG_VALUE, "SPEC", NULL,
                   "mixture truth: file:PATH (rows weight,x_1..x_d) | w:x1,...,xd;w:... (not with --mu-star)" },
    [RF_INITS] = { "--inits", CLI_FLAG_VALUE, "R", "256", "initializations run together" },
    [RF_STEPS] = { "--steps", CLI_FLAG_VALUE, "T", "1000", "updates per initialization (T + 1 evaluations)" },
    [RF_ETA] = { "--eta", CLI_FLAG_VALUE, "ETA", "1", "gradient EM step size, > 0 (em ignores it)" },
    [RF_ALGO] = { "--algo", CLI_FLAG_VALUE, "gem|em", "gem", "gradient EM, or EM" },
    [RF_ESTIMATOR] = { "--estimator", CLI_FLAG_VALUE, "SPEC", "mc:8192",
                       "mc:N (fresh, N even) | fixed:N | qmc:N | data:PATH | exact" },
    [RF_SUBSPACE] = { "--subspace", CLI_FLAG_SWITCH, NULL, NULL, "sample in span{mu_i - mu_1} instead of R^d" },
    [RF_INIT] = { "--init", CLI_FLAG_VALUE, "SPEC", "random:3",
                  "random:S (N(mu*, S^2 I)) | far:K:RADIUS | truth-sample[:S] | file:PATH (final.csv layout)" },
    [RF_SEED] = { "--seed", CLI_FLAG_VALUE, "S", "1", "seed of every random draw (0 .. 2^64-1)" },
    [RF_LOG] = { "--log", CLI_FLAG_VALUE, "SPEC", "log", "logged steps: log (20 per decade) | log:P | every:K" },
    [RF_TRACE_INITS] = { "--trace-inits", CLI_FLAG_VALUE, "K", "16", "initializations written to trajectory.csv" },
    [RF_ACTIVE_WEIGHT] = { "--active-weight", CLI_FLAG_VALUE, "T", "0.01",
                           "with --learn-weights: a component is active when its weight is >= T" },
    [RF_FIT_RADIUS] = { "--fit-radius", CLI_FLAG_VALUE, "R", "1",
                        "truth_fit.csv: the model weight within R of each truth mean" },
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

static char *dup_str(const char *s)
{
    char *c = malloc(strlen(s) + 1);
    if (c) strcpy(c, s);
    return c;
}

void cli_run_opts_free(cli_run_opts *o)
{
    free(o->weights);
    free(o->weights_spec);
    free(o->mu_star);
    cli_truth_free(&o->truth);
    free(o->data);
    free(o->estimator_text);
    free(o->init_means);
    free(o->init_text);
    free(o->log_steps);
    free(o->log_text);
    memset(o, 0, sizeof *o);
}

void cli_run_fill_settings(const cli_run_opts *o, ogem_settings *s)
{
    ogem_settings_default(s);
    s->dim = o->dim;
    s->components = o->components;
    s->weights = o->weights;
    s->learn_weights = o->learn_weights;
    /* The library takes the one Gaussian or the mixture, not both. */
    s->mu_star = o->truth.m ? NULL : o->mu_star;
    s->truth_components = o->truth.m;
    s->truth_weights = o->truth.weights;
    s->truth_means = o->truth.means;
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
        memcpy(mu, o->init_means,
               ogem_size_mul(ogem_size_mul3(ogem_count(o->inits), ogem_count(o->components), ogem_count(o->dim)),
                             sizeof *mu));
        return OGEM_OK;
    case CLI_INIT_FAR:
        return ogem_init_far(mu, 0, o->inits, o->components, o->dim, o->mu_star, o->far_k, o->far_radius, o->seed);
    case CLI_INIT_TRUTH_SAMPLE:
        return ogem_init_truth_sample(mu, 0, o->inits, o->components, o->dim, o->truth.m, o->truth.weights,
                                      o->truth.means, o->truth.m ? NULL : o->mu_star, o->init_noise, o->seed);
    default:
        return ogem_init_random(mu, 0, o->inits, o->components, o->dim, o->mu_star, o->init_scale, o->seed);
    }
}

int cli_run_mixture_metrics(const cli_run_opts *o) { return o->truth.m >= 2 || o->learn_weights; }

int cli_run_truth_of(const cli_run_opts *o, const double **weights, const double **means)
{
    static const double one = 1.0;
    if (o->truth.m == 0) {
        *weights = &one;
        *means = o->mu_star;
        return 1;
    }
    *weights = o->truth.weights;
    *means = o->truth.means;
    return o->truth.m;
}

size_t cli_run_data_count(const cli_run_opts *o)
{
    return o->estimator == OGEM_EST_DATA ? ogem_size_mul(ogem_count(o->samples), ogem_count(o->dim)) : 0;
}

/* ---- --log --------------------------------------------------------------------- */

int cli_log_steps(const char *spec, long T, long **steps, long *count, char **canonical, char *msg, size_t len)
{
    *steps = NULL;
    *count = 0;
    *canonical = NULL;
    long every = 0, per_decade = 0;
    if (strcmp(spec, "log") == 0) {
        per_decade = 20;
    } else if (strncmp(spec, "log:", 4) == 0) {
        if (cli_strtol(spec + 4, &per_decade) != 0 || per_decade < 1 || per_decade > 1000) {
            snprintf(msg, len, "log:P needs P (steps per decade) from 1 to 1000, got '%s'", spec);
            return -1;
        }
    } else if (strncmp(spec, "every:", 6) == 0) {
        if (cli_strtol(spec + 6, &every) != 0 || every < 1) {
            snprintf(msg, len, "every:K needs an integer K >= 1, got '%s'", spec);
            return -1;
        }
    } else {
        snprintf(msg, len, "expected log, log:P or every:K, got '%s'", spec);
        return -1;
    }

    /* 0, the multiples of K up to T, and T itself; in size_t, as T / 1 + 2
     * overflows a long for T near LONG_MAX. 10^19 > LONG_MAX bounds log:P. */
    size_t cap = every > 0 ? ogem_size_add(ogem_count(T / every), 2) : ogem_count(per_decade * 20 + 2);
    size_t bytes = ogem_size_mul(cap, sizeof(long)), budget = ogem_host_memory_bytes();
    if (bytes == OGEM_SIZE_MAX || bytes > budget) {
        char nb[32], bb[32];
        ogem_format_bytes(bytes, nb, sizeof nb);
        ogem_format_bytes(budget, bb, sizeof bb);
        const unsigned long long n = every > 0 ? (unsigned long long)(T / every) + 2 : (unsigned long long)cap;
        snprintf(msg, len, "%s with --steps %ld logs up to %llu steps, whose list needs %s; "
                 "more than this machine's %s of memory (use a larger K)", spec, T, n, nb, bb);
        return -1;
    }
    long *s = malloc(bytes);
    if (!s) {
        snprintf(msg, len, "out of memory for the %zu logged steps of %s", cap, spec);
        return -1;
    }
    long n = 0;
    s[n++] = 0;
    if (every > 0) {
        /* t <= T - every first: t + every must not overflow */
        for (long t = every; t <= T; t += every) {
            s[n++] = t;
            if (t > T - every) break;
        }
    } else {
        /* round(10^(j/P)) for j = 0, 1, ...: about P points per decade once
         * the decade holds that many integers, every integer before. */
        for (long j = 0; (size_t)n + 1 < cap; j++) {
            double v = floor(pow(10.0, (double)j / (double)per_decade) + 0.5);
            if (v > (double)T) break;
            if ((long)v > s[n - 1]) s[n++] = (long)v;
        }
    }
    if (s[n - 1] != T) s[n++] = T; /* the last step is always logged */
    *steps = s;
    *count = n;
    if (every > 0) *canonical = cli_dup_printf("every:%ld", every);
    else if (strcmp(spec, "log") == 0) *canonical = dup_str("log");
    else *canonical = cli_dup_printf("log:%ld", per_decade);
    if (!*canonical) {
        free(s);
        *steps = NULL;
        snprintf(msg, len, "out of memory");
        return -1;
    }
    return 0;
}

/* ---- --weights, --mu-star -------------------------------------------------------------- */

double *cli_weights_parse(const char *cmd, const char *label, const char *text, int n)
{
    double *w = NULL;
    if (strcmp(text, "uniform") == 0) {
        w = malloc((size_t)n * sizeof *w);
        if (!w) { cli_error(cmd, "%s: out of memory", label); return NULL; }
        for (int i = 0; i < n; i++) w[i] = 1.0 / n;
    } else if (strncmp(text, "geometric:", 10) == 0) {
        /* pi_i proportional to r^i: a named family, normalized by definition
         * (unlike an explicit list, which must already sum to 1). */
        double r;
        if (cli_strtod(text + 10, &r) != 0 || !(r > 0)) {
            cli_error(cmd, "%s: geometric:r needs a positive finite ratio r, got '%s'", label, text);
            return NULL;
        }
        w = malloc((size_t)n * sizeof *w);
        if (!w) { cli_error(cmd, "%s: out of memory", label); return NULL; }
        double sum = 0, p = 1;
        for (int i = 0; i < n; i++, p *= r) sum += (w[i] = p);
        for (int i = 0; i < n; i++) w[i] /= sum;
    } else {
        int count;
        if (cli_parse_double_list(cmd, label, text, &w, &count) != 0) return NULL;
        if (count != n) {
            cli_error(cmd, "%s: %d weight%s given, but --components is %d", label, count, count == 1 ? "" : "s", n);
            free(w);
            return NULL;
        }
    }
    char msg[256];
    if (ogem_weights_check(n, w, msg, sizeof msg) != OGEM_OK) {
        cli_error(cmd, "%s: %s", label, msg);
        free(w);
        return NULL;
    }
    return w;
}

static int parse_weights(const char *cmd, const char *label, const char *text, int n, cli_run_opts *o)
{
    o->weights = cli_weights_parse(cmd, label, text, n);
    if (!o->weights) return -1;
    o->weights_spec = dup_str(text);
    if (!o->weights_spec) { cli_error(cmd, "%s: out of memory", label); return -1; }
    return 0;
}

static int parse_mu_star(const char *cmd, const char *label, const char *text, int d, cli_run_opts *o)
{
    double *v;
    int count;
    if (cli_parse_double_list(cmd, label, text, &v, &count) != 0) return -1;
    if (count != d && count != 1) {
        cli_error(cmd, "%s: %d values given, but --dim is %d (give %d, or one for all)", label, count, d, d);
        free(v);
        return -1;
    }
    double *m = malloc((size_t)d * sizeof *m);
    if (!m) { free(v); cli_error(cmd, "%s: out of memory", label); return -1; }
    for (int k = 0; k < d; k++) m[k] = v[count == 1 ? 0 : k];
    free(v);
    o->mu_star = m;
    return 0;
}

/* --truth, and mu_star as the truth's mean (where random:S and far:K:RADIUS
 * centre): mu*_1 itself for m = 1, so that --truth 1:X runs exactly as
 * --mu-star X (a weight of 1 within 1e-9 would move a weighted sum). */
static int parse_truth(const char *cmd, const char *label, const char *text, cli_run_opts *o)
{
    if (cli_truth_parse(cmd, label, text, o->dim, &o->truth) != 0) return -1;
    const size_t d = (size_t)o->dim;
    o->mu_star = calloc(d, sizeof *o->mu_star);
    if (!o->mu_star) {
        cli_error(cmd, "%s: out of memory", label);
        return -1;
    }
    if (o->truth.m == 1) {
        memcpy(o->mu_star, o->truth.means, d * sizeof *o->mu_star);
        return 0;
    }
    for (int j = 0; j < o->truth.m; j++)
        for (size_t k = 0; k < d; k++) o->mu_star[k] += o->truth.weights[j] * o->truth.means[(size_t)j * d + k];
    return 0;
}

/* The PATH of a KIND:PATH spec, which is read once the other flags are known
 * valid. */
static int file_spec(const char *cmd, const char *label, const char *kind, const char *path, const char **out)
{
    if (!*path) {
        cli_error(cmd, "%s: %s:PATH needs a file name", label, kind);
        return -1;
    }
    *out = path;
    return 0;
}

/* ---- --estimator --------------------------------------------------------------- */

static int parse_estimator(const char *cmd, const char *label, const char *text, cli_run_opts *o, const char **data_path)
{
    *data_path = NULL;
    long N = 0;
    const char *colon = strchr(text, ':');
    size_t kl = colon ? (size_t)(colon - text) : strlen(text);
    const char *arg = colon ? colon + 1 : NULL;
    if (strcmp(text, "exact") == 0) {
        o->estimator = OGEM_EST_EXACT;
        o->samples = 0;
        o->estimator_text = dup_str("exact");
    } else if (kl == 2 && strncmp(text, "mc", 2) == 0 && arg) {
        /* Antithetic pairs (z, -z): N must be even. */
        if (cli_strtol(arg, &N) != 0 || N < 2 || N % 2 != 0) {
            cli_error(cmd, "%s: mc:N needs an even sample count N >= 2 (antithetic pairs), got '%s'", label, text);
            return -1;
        }
        o->estimator = OGEM_EST_MC;
    } else if ((kl == 5 && strncmp(text, "fixed", 5) == 0 && arg) || (kl == 3 && strncmp(text, "qmc", 3) == 0 && arg)) {
        if (cli_strtol(arg, &N) != 0 || N < 1) {
            cli_error(cmd, "%s: %.*s:N needs a sample count N >= 1, got '%s'", label, (int)kl, text, text);
            return -1;
        }
        o->estimator = kl == 5 ? OGEM_EST_FIXED : OGEM_EST_QMC;
    } else if (kl == 4 && strncmp(text, "data", 4) == 0 && arg) {
        o->estimator = OGEM_EST_DATA;
        return file_spec(cmd, label, "data", arg, data_path);
    } else {
        cli_error(cmd, "%s: expected mc:N, fixed:N, qmc:N, data:PATH or exact, got '%s'", label, text);
        return -1;
    }
    if (o->estimator != OGEM_EST_EXACT) {
        o->samples = N;
        const char *name = o->estimator == OGEM_EST_MC ? "mc" : o->estimator == OGEM_EST_FIXED ? "fixed" : "qmc";
        o->estimator_text = cli_dup_printf("%s:%ld", name, N);
    }
    if (!o->estimator_text) { cli_error(cmd, "%s: out of memory", label); return -1; }
    return 0;
}

static int read_data(const char *cmd, const char *label, const char *path, cli_run_opts *o)
{
    char what[64], msg[512];
    snprintf(what, sizeof what, "--dim %d", o->dim);
    ogem_csv_options opt = { o->dim, 0, what, 0 };
    ogem_csv csv;
    if (ogem_csv_read(path, &opt, &csv, msg, sizeof msg) != OGEM_OK) {
        cli_error(cmd, "%s data: %s", label, msg);
        return -1;
    }
    o->data = csv.values;
    o->samples = csv.rows;
    csv.values = NULL;
    ogem_csv_free(&csv);
    /* Absolute, so that run.json replays from any directory. */
    char *abs = realpath(path, NULL);
    o->estimator_text = cli_dup_printf("data:%s", abs ? abs : path);
    free(abs);
    if (!o->estimator_text) { cli_error(cmd, "%s: out of memory", label); return -1; }
    return 0;
}

/* ---- --init -------------------------------------------------------------------- */

static int parse_init(const char *cmd, const char *label, const char *text, cli_run_opts *o, const char **file_path)
{
    *file_path = NULL;
    if (strncmp(text, "random:", 7) == 0) {
        double s;
        if (cli_strtod(text + 7, &s) != 0 || s < 0) {
            cli_error(cmd, "%s: random:S needs a finite scale S >= 0, got '%s'", label, text);
            return -1;
        }
        o->init_kind = CLI_INIT_RANDOM;
        o->init_scale = s;
        o->init_text = cli_dup_printf("random:%.17g", s);
    } else if (strncmp(text, "far:", 4) == 0) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", text + 4);
        char *colon = strchr(buf, ':');
        long K;
        double rad;
        if (colon) *colon = '\0';
        if (!colon || cli_strtol(buf, &K) != 0 || cli_strtod(colon + 1, &rad) != 0 || K < 0 || rad < 0) {
            cli_error(cmd, "%s: far:K:RADIUS needs an integer K >= 0 and a finite RADIUS >= 0, got '%s'", label, text);
            return -1;
        }
        if (K > o->components) {
            cli_error(cmd, "%s: far:K:RADIUS with K = %ld, but --components is %d", label, K, o->components);
            return -1;
        }
        o->init_kind = CLI_INIT_FAR;
        o->far_k = (int)K;
        o->far_radius = rad;
        o->init_text = cli_dup_printf("far:%ld:%.17g", K, rad);
    } else if (strcmp(text, "truth-sample") == 0 || strncmp(text, "truth-sample:", 13) == 0) {
        double s = 0;
        if (text[12] == ':' && (cli_strtod(text + 13, &s) != 0 || s < 0)) {
            cli_error(cmd, "%s: truth-sample:S needs a finite noise scale S >= 0, got '%s'", label, text);
            return -1;
        }
        o->init_kind = CLI_INIT_TRUTH_SAMPLE;
        o->init_noise = s;
        o->init_text = cli_dup_printf("truth-sample:%.17g", s);
    } else if (strncmp(text, "file:", 5) == 0) {
        o->init_kind = CLI_INIT_FILE;
        return file_spec(cmd, label, "file", text + 5, file_path);
    } else {
        cli_error(cmd, "%s: expected random:S, far:K:RADIUS, truth-sample, truth-sample:S or file:PATH, got '%s'",
                  label, text);
        return -1;
    }
    if (!o->init_text) { cli_error(cmd, "%s: out of memory", label); return -1; }
    return 0;
}

/* A non-negative integer stored in a double (final.csv's init and component). */
static int as_index(double v, long *out)
{
    if (!(v >= 0) || v != floor(v) || v > 9007199254740992.0) return -1;
    *out = (long)v;
    return 0;
}

/* file:PATH: final.csv's layout (init,component,mu_1..mu_d with a header),
 * which must describe exactly R inits x n components in d dimensions. */
static int read_init_file(const char *cmd, const char *label, const char *path, cli_run_opts *o)
{
    const long R = o->inits;
    const int n = o->components, d = o->dim;
    char what[96], msg[512];
    snprintf(what, sizeof what, "init, component and --dim %d coordinates", d);
    ogem_csv_options opt = { 2 + d, 1, what, 0 };
    ogem_csv csv;
    if (ogem_csv_read(path, &opt, &csv, msg, sizeof msg) != OGEM_OK) {
        cli_error(cmd, "%s file: %s", label, msg);
        return -1;
    }
    int rc = -1;
    unsigned char *seen = NULL;
    long max_r = -1, max_i = -1;
    for (long row = 0; row < csv.rows; row++) {
        const double *v = csv.values + (size_t)row * (size_t)csv.cols;
        long r, i;
        if (as_index(v[0], &r) != 0 || as_index(v[1], &i) != 0) {
            cli_error(cmd, "%s file: %s:%ld: init and component must be integers >= 0", label, path, csv.lines[row]);
            goto done;
        }
        if (r > max_r) max_r = r;
        if (i > max_i) max_i = i;
    }
    if (max_i + 1 != n) {
        cli_error(cmd, "%s file: %s holds %ld component%s per initialization, but --components is %d", label, path,
                  max_i + 1, max_i == 0 ? "" : "s", n);
        goto done;
    }
    if (max_r + 1 != R) {
        cli_error(cmd, "%s file: %s holds %ld initialization%s, but --inits is %ld", label, path, max_r + 1,
                  max_r == 0 ? "" : "s", R);
        goto done;
    }
    seen = calloc(ogem_size_mul(ogem_count(R), ogem_count(n)), 1);
    o->init_means = malloc(ogem_size_mul(ogem_size_mul3(ogem_count(R), ogem_count(n), ogem_count(d)), sizeof(double)));
    if (!seen || !o->init_means) {
        cli_error(cmd, "%s file: out of memory", label);
        goto done;
    }
    for (long row = 0; row < csv.rows; row++) {
        const double *v = csv.values + (size_t)row * (size_t)csv.cols;
        size_t ri = (size_t)v[0] * (size_t)n + (size_t)v[1];
        if (seen[ri]) {
            cli_error(cmd, "%s file: %s:%ld: a second row for init %.0f, component %.0f", label, path,
                      csv.lines[row], v[0], v[1]);
            goto done;
        }
        seen[ri] = 1;
        memcpy(o->init_means + ri * (size_t)d, v + 2, (size_t)d * sizeof(double));
    }
    for (size_t ri = 0; ri < (size_t)R * (size_t)n; ri++) {
        if (!seen[ri]) {
            cli_error(cmd, "%s file: %s has no row for init %zu, component %zu", label, path, ri / (size_t)n,
                      ri % (size_t)n);
            goto done;
        }
    }
    char *abs = realpath(path, NULL);
    o->init_text = cli_dup_printf("file:%s", abs ? abs : path);
    free(abs);
    if (!o->init_text) {
        cli_error(cmd, "%s: out of memory", label);
        goto done;
    }
    rc = 0;
done:
    free(seen);
    ogem_csv_free(&csv);
    return rc;
}

/* ---- everything ------------------------------------------------------------------ */

int cli_run_opts_build(const char *cmd, const char *const *value, const char *const *label, cli_run_opts *o)
{
    static const char *const algos[] = { "gem", "em", NULL };
    static const char *const devices[] = { "auto", "cpu", "gpu", NULL };
    static const char *const precisions[] = { "double", "float", NULL };
    static const char *const paths[] = { "auto", "fused", "gemm", NULL };
    const char *data_path = NULL, *init_path = NULL;
    int choice;
    /* The flags `ogem escape` does not have come as NULL: their defaults. */
#define VD(f) (value[f] ? value[f] : cli_run_flags[f].def)

    memset(o, 0, sizeof *o);
    memcpy(o->label, label, sizeof o->label);
#define V(f) value[f]
#define L(f) (label[f] ? label[f] : cli_run_flags[f].name)
    if (cli_parse_int(cmd, L(RF_DIM), V(RF_DIM), 1, INT_MAX, &o->dim) ||
        cli_parse_int(cmd, L(RF_COMPONENTS), V(RF_COMPONENTS), 1, INT_MAX, &o->components) ||
        cli_parse_long(cmd, L(RF_INITS), V(RF_INITS), 1, INT_MAX, &o->inits) ||
        cli_parse_long(cmd, L(RF_STEPS), V(RF_STEPS), 0, LONG_MAX - 1, &o->steps))
        goto fail;
    /* The batch is one R x n x d array of doubles; refuse sizes no machine
     * holds before trying to allocate them (2^44 doubles = 128 TiB). */
    if ((double)o->inits * (double)o->components * (double)o->dim > 17592186044416.0) {
        cli_error(cmd, "--inits x --components x --dim = %.3g means: too large", (double)o->inits *
                  (double)o->components * (double)o->dim);
        goto fail;
    }
    if (parse_weights(cmd, L(RF_WEIGHTS), V(RF_WEIGHTS), o->components, o)) goto fail;
    o->learn_weights = V(RF_LEARN_WEIGHTS) != NULL;
    /* --mu-star is the one-Gaussian shortcut of --truth: one or the other. */
    const char *truth = V(RF_TRUTH);
    if (truth && V(RF_MU_STAR)) {
        cli_error(cmd, "%s: cannot be combined with %s: give one truth (--mu-star X is --truth 1:X)", L(RF_TRUTH),
                  L(RF_MU_STAR));
        goto fail;
    }
    /* An inline truth now, a file with the other files. */
    if (truth) {
        if (!cli_truth_file(truth) && parse_truth(cmd, L(RF_TRUTH), truth, o)) goto fail;
    } else if (parse_mu_star(cmd, L(RF_MU_STAR), V(RF_MU_STAR) ? V(RF_MU_STAR) : "0", o->dim, o)) {
        goto fail;
    }
    if (cli_parse_double(cmd, L(RF_ETA), V(RF_ETA), 1, &o->eta)) goto fail;
    if (cli_parse_choice(cmd, L(RF_ALGO), V(RF_ALGO), algos, &choice)) goto fail;
    o->algo = choice == 1 ? OGEM_ALGO_EM : OGEM_ALGO_GEM;
    if (parse_estimator(cmd, L(RF_ESTIMATOR), V(RF_ESTIMATOR), o, &data_path)) goto fail;
    o->subspace = V(RF_SUBSPACE) != NULL;
    if (parse_init(cmd, L(RF_INIT), V(RF_INIT), o, &init_path) ||
        cli_parse_u64(cmd, L(RF_SEED), V(RF_SEED), &o->seed))
        goto fail;
    {
        char msg[256];
        if (cli_log_steps(V(RF_LOG), o->steps, &o->log_steps, &o->n_log_steps, &o->log_text, msg, sizeof msg)) {
            cli_error(cmd, "%s: %s", L(RF_LOG), msg);
            goto fail;
        }
    }
    if (cli_parse_long(cmd, L(RF_TRACE_INITS), V(RF_TRACE_INITS), 0, LONG_MAX, &o->trace_inits)) goto fail;
    o->traced = o->trace_inits < o->inits ? o->trace_inits : o->inits;
    if (cli_parse_double(cmd, L(RF_ACTIVE_WEIGHT), VD(RF_ACTIVE_WEIGHT), 1, &o->active_weight)) goto fail;
    if (o->active_weight > 1) {
        cli_error(cmd, "%s: expected a threshold in (0, 1], got '%s'", L(RF_ACTIVE_WEIGHT), VD(RF_ACTIVE_WEIGHT));
        goto fail;
    }
    if (cli_parse_double(cmd, L(RF_FIT_RADIUS), VD(RF_FIT_RADIUS), 0, &o->fit_radius)) goto fail;
    if (o->fit_radius < 0) {
        cli_error(cmd, "%s: expected a radius >= 0, got '%s'", L(RF_FIT_RADIUS), VD(RF_FIT_RADIUS));
        goto fail;
    }
    if (cli_parse_choice(cmd, L(RF_DEVICE), V(RF_DEVICE), devices, &choice)) goto fail;
    o->device = choice == 1 ? OGEM_DEVICE_CPU : choice == 2 ? OGEM_DEVICE_GPU : OGEM_DEVICE_AUTO;
    if (cli_parse_choice(cmd, L(RF_PRECISION), V(RF_PRECISION), precisions, &choice)) goto fail;
    o->precision = choice == 1 ? OGEM_PREC_FLOAT : OGEM_PREC_DOUBLE;
    if (cli_parse_choice(cmd, L(RF_GPU_PATH), V(RF_GPU_PATH), paths, &choice)) goto fail;
    o->gpu_path = choice == 1 ? OGEM_PATH_FUSED : choice == 2 ? OGEM_PATH_GEMM : OGEM_PATH_AUTO;
    if (cli_parse_int(cmd, L(RF_THREADS), V(RF_THREADS), 0, 4096, &o->threads)) goto fail;
    if (!V(RF_OUT) || !*V(RF_OUT)) {
        cli_error(cmd, "%s: needs a directory name", L(RF_OUT));
        goto fail;
    }
    o->out_dir = V(RF_OUT);
    o->quiet = V(RF_QUIET) != NULL;
    /* NULL (a caller that fills only some flags) means the default: none. */
    if (V(RF_CHECKPOINT_EVERY) &&
        cli_parse_long(cmd, L(RF_CHECKPOINT_EVERY), V(RF_CHECKPOINT_EVERY), 0, LONG_MAX, &o->checkpoint_every))
        goto fail;

    /* Files last: every cheap check has passed by now. */
    if (truth && cli_truth_file(truth) && parse_truth(cmd, L(RF_TRUTH), truth, o)) goto fail;
    if (data_path && read_data(cmd, L(RF_ESTIMATOR), data_path, o)) goto fail;
    if (init_path && read_init_file(cmd, L(RF_INIT), init_path, o)) goto fail;
#undef V
#undef VD
#undef L
    return 0;
fail:
    cli_run_opts_free(o);
    return -1;
}
