/*
 * test_cli_internals.c - the command line's shared pieces, called directly
 * (the ogem_cli library) and through the binary:
 *   - library messages that name a settings field come out labelled with the
 *     flag that set it ("ogem run: --precision: ..."), also a replayed one;
 *   - `ogem paper` and `ogem escape` summarize the same escape steps into the
 *     same growth fit, and both leave out a grid point whose median escape
 *     step is 0 (no logarithm), instead of counting it as log 1.
 */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <math.h>

#include "cli/cli_escape_opts.h"
#include "cli/cli_escape_report.h"
#include "cli/cli_paper_report.h"
#include "cli/cli_solver.h"
#include "cli_test_util.h"

/* ---- library messages in the command line's terms -------------------------------------- */

/* Options whose settings were all set by flags named as in `ogem run`. */
static cli_run_opts labelled(void)
{
    cli_run_opts o;
    memset(&o, 0, sizeof o);
    for (int i = 0; i < RF_COUNT; i++) o.label[i] = cli_run_flags[i].name;
    return o;
}

/* One call of cli_library_error and the line it must print. */
typedef struct message_case {
    const char *cmd, *fallback, *where, *msg;
    const char *line;
} message_case;

static void expect_lines(const cli_run_opts *o, const message_case *cases, size_t n)
{
    size_t total = 1;
    for (size_t i = 0; i < n; i++) {
        cli_library_error(cases[i].cmd, o, cases[i].fallback, cases[i].where, cases[i].msg);
        total += strlen(cases[i].line);
    }
    fflush(stderr);
    char *expected = calloc(total, 1);
    cr_assert_not_null(expected);
    for (size_t i = 0; i < n; i++) strcat(expected, cases[i].line);
    cr_assert_stderr_eq_str(expected);
    free(expected);
}

Test(cli_messages, field_prefix_becomes_the_flag, .init = cr_redirect_stderr)
{
    cli_run_opts o = labelled();
    o.label[RF_PRECISION] = "--precision (from a/run.json)";
    static const message_case cases[] = {
        { "run", NULL, NULL, "precision: float needs a GPU device",
          "ogem run: --precision (from a/run.json): float needs a GPU device\n" },
        { "run", NULL, "step 3", "estimator: exact quadrature cannot",
          "ogem run: --estimator: step 3: exact quadrature cannot\n" },
        { "escape", "--init", NULL, "mu_star: coordinate 2 is not finite",
          "ogem escape: --mu-star: coordinate 2 is not finite\n" },
        { "run", NULL, NULL, "samples: too few", "ogem run: --estimator: too few\n" },
        { "run", NULL, NULL, "data: row 3 is not finite", "ogem run: --estimator: row 3 is not finite\n" },
        { "run", NULL, NULL, "gpu_path: gemm needs a GPU", "ogem run: --gpu-path: gemm needs a GPU\n" },
    };
    expect_lines(&o, cases, sizeof cases / sizeof cases[0]);
}

Test(cli_messages, other_messages_are_printed_as_they_are, .init = cr_redirect_stderr)
{
    cli_run_opts o = labelled();
    o.label[RF_DEVICE] = NULL; /* a setting the command chose itself (`ogem paper`) */
    static const message_case cases[] = {
        { "run", NULL, NULL, "out of memory in the CPU backend", "ogem run: out of memory in the CPU backend\n" },
        { "run", NULL, "step 7", "the run diverged", "ogem run: step 7: the run diverged\n" },
        { "run", "--init", NULL, "bad means", "ogem run: --init: bad means\n" },
        { "paper", NULL, NULL, "device: no GPU", "ogem paper: device: no GPU\n" },
        { "run", NULL, NULL, "precisions: not a field", "ogem run: precisions: not a field\n" },
        { "run", NULL, NULL, "precision:no space", "ogem run: precision:no space\n" },
    };
    expect_lines(&o, cases, sizeof cases / sizeof cases[0]);
}

Test(cli_messages, without_options_nothing_is_relabelled, .init = cr_redirect_stderr)
{
    static const message_case cases[] = {
        { "run", NULL, NULL, "precision: no options", "ogem run: precision: no options\n" },
    };
    expect_lines(NULL, cases, 1);
}

/* The binary: a float request on the CPU is refused with the flag's name, as
 * one line, exit 2, nothing written. */
Test(cli_messages, cpu_float_names_precision)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "out");
    const char *run[] = { "run", "--device", "cpu", "--precision", "float", "--steps", "2", "--out", out, "--quiet",
                          NULL };
    tu_expect_bad_input(tmp, out, run,
                        "ogem run: --precision: the CPU backend computes in double only; float needs a GPU device\n");
    const char *esc[] = { "escape", "--device", "cpu", "--precision", "float", "--max-steps", "2", "--out", out,
                          "--quiet", NULL };
    tu_expect_bad_input(tmp, out, esc, "ogem escape: --precision: the CPU backend computes in double only");
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

/* A replayed setting is named as replayed. */
Test(cli_messages, replayed_precision_names_its_file)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "out"), *cfg = tu_path(tmp, "run.json");
    tu_spit(cfg, "{\"command\": \"run\", \"settings\": {\"device\": \"cpu\", \"precision\": \"float\", \"steps\": 2}}\n");
    char needle[700];
    snprintf(needle, sizeof needle, "ogem run: --precision (from %s): the CPU backend computes in double only", cfg);
    const char *args[] = { "run", "--config", cfg, "--out", out, "--quiet", NULL };
    tu_expect_bad_input(tmp, out, args, needle);
    tu_rm_rf(tmp);
    free(out);
    free(cfg);
    free(tmp);
}

/* Exact quadrature refuses means spanning three directions at step 0: the
 * estimator is named, then where it happened. */
Test(cli_messages, exact_limit_names_estimator_and_step)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "out");
    const char *run[] = { "run", "--dim", "3", "--components", "4", "--inits", "2", "--steps", "2", "--estimator",
                          "exact", "--device", "cpu", "--out", out, "--quiet", NULL };
    tu_expect_bad_input(tmp, out, run, "ogem run: --estimator: step 0: exact quadrature handles means spanning");
    const char *esc[] = { "escape", "--dim", "3", "--components", "4", "--init", "random:2", "--inits", "2",
                          "--max-steps", "3", "--device", "cpu", "--out", out, "--quiet", NULL };
    tu_expect_bad_input(tmp, out, esc, "ogem escape: --estimator: step 0: exact quadrature");
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

/* ---- one growth fit for `ogem escape` and `ogem paper` ------------------------------------ */

/* A radius sweep 1, 2, 3, 4 with R = 3, built by escape's own validation,
 * with made-up escape steps: radius 1 escapes at step 0 (median 0), the
 * others have medians 5, 11 and 22 (one init censored at radius 4). */
static void made_up_sweep(cli_strings *pool, cli_escape_opts *e, cli_escape_results *res)
{
    const cli_flag *flags = cli_escape_flags();
    const char *value[EF_COUNT], *label[EF_COUNT];
    unsigned char none[EF_COUNT] = { 0 };
    for (int i = 0; i < EF_COUNT; i++) {
        value[i] = flags[i].def;
        label[i] = NULL;
    }
    value[EF_SWEEP] = "radius=1:4:1";
    value[EF_INITS] = "3";
    value[EF_MAX_STEPS] = "30";
    cr_assert_eq(cli_escape_opts_build("test", value, none, none, label, pool, e), 0);
    cr_assert_eq(e->G, 4);
    cr_assert_eq(cli_escape_results_alloc(res, e), 0);
    static const long steps[4][3] = { { 0, 0, 0 }, { 5, 5, 6 }, { 10, 11, 12 }, { 20, 22, -1 } };
    for (long g = 0; g < 4; g++) {
        for (int r = 0; r < 3; r++) res->steps[g * 3 + r] = steps[g][r];
        res->reached[g] = 30;
    }
    res->done = 4;
}

static double number(const ogem_json *obj, const char *key)
{
    const ogem_json *v = ogem_json_get(obj, key);
    cr_assert(v && v->type == OGEM_JSON_NUMBER, "\"%s\" is not a number", key);
    return v->number;
}

static ogem_json *parse(const char *text)
{
    ogem_json *root = NULL;
    char msg[256];
    cr_assert_not_null(text);
    cr_assert_eq(ogem_json_parse(text, strlen(text), &root, msg, sizeof msg), OGEM_OK, "%s", msg);
    return root;
}

Test(cli_growth_fit, paper_and_escape_agree_and_drop_a_zero_median)
{
    cli_strings pool = { 0 };
    cli_paper_sweep s;
    memset(&s, 0, sizeof s);
    made_up_sweep(&pool, &s.e, &s.res);

    /* escape's summary.json */
    ogem_solver_info info;
    memset(&info, 0, sizeof info);
    cli_escape_timing tm = { 1.0, 1.0 };
    char *esc_text = cli_escape_summary_json(&s.e, &s.res, &info, &tm, NULL);
    ogem_json *esc = parse(esc_text);
    const ogem_json *growth = ogem_json_get(esc, "growth");
    cr_assert_not_null(growth);
    const ogem_json *points = ogem_json_get(esc, "points");
    cr_assert_eq(number(ogem_json_at(points, 0), "median"), 0, "radius 1 escapes at once");

    /* paper's summary of the same steps, and its summary.json */
    cr_assert_eq(cli_paper_sweep_summarize(&s), 0);
    cli_paper_report rep;
    memset(&rep, 0, sizeof rep);
    rep.backend = rep.precision = "cpu";
    rep.radius = rep.dim = &s;
    char *paper_text = cli_paper_summary_json(&rep);
    ogem_json *paper = parse(paper_text);
    const ogem_json *pfit = ogem_json_get(ogem_json_get(paper, "escape"), "radius");
    cr_assert_not_null(pfit);

    /* The same fit, bit for bit (both print %.17g). */
    cr_expect_eq(number(growth, "exponent"), number(pfit, "slope"));
    cr_expect_eq(number(growth, "intercept"), number(pfit, "intercept"));
    cr_expect_eq(number(growth, "r2"), number(pfit, "r2"));
    cr_expect_eq(number(growth, "points_used"), 3, "the zero median is left out");
    cr_expect_eq(number(pfit, "points"), 3, "the zero median is left out");

    /* ... and it is the fit of log(median) against radius^2 over radii 2, 3, 4. */
    const double x[3] = { 4, 9, 16 }, y[3] = { log(5.0), log(11.0), log(22.0) };
    double a, b, r2;
    cr_assert_eq(ogem_linear_fit(x, y, 3, &a, &b, &r2), 3);
    cr_expect_float_eq(number(growth, "exponent"), b, 1e-15);
    cr_expect_float_eq(number(growth, "intercept"), a, 1e-15);
    /* Counting radius 1 as log 1 = 0 would give another exponent. */
    const double x4[4] = { 1, 4, 9, 16 }, y4[4] = { 0, log(5.0), log(11.0), log(22.0) };
    double a4, b4, r24;
    ogem_linear_fit(x4, y4, 4, &a4, &b4, &r24);
    cr_expect_gt(fabs(b4 - b), 1e-3, "the test cannot tell the two rules apart");

    ogem_json_free(esc);
    ogem_json_free(paper);
    free(esc_text);
    free(paper_text);
    cli_paper_sweep_free(&s);
    cli_strings_free(&pool);
}
