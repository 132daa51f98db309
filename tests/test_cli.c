/*
 * test_cli.c - the `ogem` command line, run as a user would run it: the built
 * binary (OGEM_CLI_PATH) is spawned in a fresh temporary directory and its
 * exit code, stderr and output files are checked.
 *
 * Sizes are tiny (a few inits, a few hundred samples, a few steps): these tests
 * check the plumbing (validation, files, determinism, replay), not the maths,
 * which test_solver.c covers.
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/json.h"
#include "cli_test_util.h" /* tu_*: temporary dirs, spawning the binary, reading outputs */


#define SMALL "--dim", "2", "--components", "3", "--inits", "5", "--steps", "12", "--estimator", "mc:256", "--quiet"

/* Bad-input test body: `ogem run ARGS --out TMP/out --quiet`. */
#define BAD_INPUT_TEST(name, needle, ...)                                           \
    Test(cli_bad_input, name)                                                       \
    {                                                                               \
        char *tmp = tu_tmpdir();                                                  \
        char *out = tu_path(tmp, "out");                                            \
        const char *args[] = { "run", __VA_ARGS__, "--out", out, "--quiet", NULL }; \
        tu_expect_bad_input(tmp, out, args, needle);                                   \
        tu_rm_rf(tmp);                                                                 \
        free(out);                                                                  \
        free(tmp);                                                                  \
    }

BAD_INPUT_TEST(unknown_flag, "--bogus", "--bogus", "1")
BAD_INPUT_TEST(zero_components, "--components", "--components", "0")
BAD_INPUT_TEST(zero_dim, "--dim", "--dim", "0")
BAD_INPUT_TEST(negative_weights, "--weights", "--components", "2", "--weights", "-0.5,1.5")
BAD_INPUT_TEST(non_summing_weights, "--weights", "--components", "2", "--weights", "0.3,0.3")
BAD_INPUT_TEST(weights_count, "--weights", "--components", "3", "--weights", "0.5,0.5")
BAD_INPUT_TEST(eta_zero, "--eta", "--eta", "0")
BAD_INPUT_TEST(eta_negative, "--eta", "--eta", "-0.5")
BAD_INPUT_TEST(odd_mc_samples, "--estimator", "--estimator", "mc:7")
BAD_INPUT_TEST(bad_estimator, "--estimator", "--estimator", "sometimes:3")
BAD_INPUT_TEST(bad_init, "--init", "--init", "far:1")
BAD_INPUT_TEST(bad_log, "--log", "--log", "every:0")
BAD_INPUT_TEST(bad_algo, "--algo", "--algo", "newton")
BAD_INPUT_TEST(missing_value, "--steps", "--steps")
BAD_INPUT_TEST(repeated_flag, "--dim", "--dim", "2", "--dim", "3")
BAD_INPUT_TEST(unreadable_data, "/nonexistent/ogem-data.csv", "--estimator", "data:/nonexistent/ogem-data.csv")
BAD_INPUT_TEST(unreadable_config, "--config", "--config", "/nonexistent/run.json")

/* A data file with a malformed number on line 4 (after a comment line). */
Test(cli_bad_input, malformed_data_names_line)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "out"), *data = tu_path(tmp, "data.csv");
    tu_spit(data, "# x, y\n1.0,2.0\n-0.5,0.25\n3.0,1.2.3\n4,5\n");
    char spec[600];
    snprintf(spec, sizeof spec, "data:%s", data);
    const char *args[] = { "run", "--dim", "2", "--estimator", spec, "--out", out, NULL };
    tu_expect_bad_input(tmp, out, args, "data.csv:4:");
    tu_rm_rf(tmp);
    free(out); free(data); free(tmp);
}

Test(cli_bad_input, nan_in_data)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "out"), *data = tu_path(tmp, "data.csv");
    tu_spit(data, "1.0,2.0\nNaN,0.25\n");
    char spec[600];
    snprintf(spec, sizeof spec, "data:%s", data);
    const char *args[] = { "run", "--dim", "2", "--estimator", spec, "--out", out, NULL };
    tu_expect_bad_input(tmp, out, args, "data.csv:2:");
    tu_rm_rf(tmp);
    free(out); free(data); free(tmp);
}

Test(cli_bad_input, inf_in_data)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "out"), *data = tu_path(tmp, "data.csv");
    tu_spit(data, "1.0,2.0\n0.5,1e999\n");
    char spec[600];
    snprintf(spec, sizeof spec, "data:%s", data);
    const char *args[] = { "run", "--dim", "2", "--estimator", spec, "--out", out, NULL };
    tu_expect_bad_input(tmp, out, args, "not finite");
    tu_rm_rf(tmp);
    free(out); free(data); free(tmp);
}

Test(cli_bad_input, data_dimension_mismatch)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "out"), *data = tu_path(tmp, "data.csv");
    tu_spit(data, "1,2,3\n4,5,6\n");
    char spec[600];
    snprintf(spec, sizeof spec, "data:%s", data);
    const char *args[] = { "run", "--dim", "2", "--estimator", spec, "--out", out, NULL };
    tu_expect_bad_input(tmp, out, args, "data.csv:1:");
    tu_rm_rf(tmp);
    free(out); free(data); free(tmp);
}

Test(cli_bad_input, mu_star_dimension_mismatch)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "out");
    const char *args[] = { "run", "--dim", "2", "--mu-star", "1,2,3", "--out", out, NULL };
    tu_expect_bad_input(tmp, out, args, "--mu-star");
    tu_rm_rf(tmp);
    free(out); free(tmp);
}

/* An init file made for 3 components given to a 2-component run, and one
 * whose row has a coordinate too few (named by its line). */
Test(cli_bad_input, init_file_mismatch)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "out"), *init = tu_path(tmp, "init.csv");
    tu_spit(init, "init,component,mu_1,mu_2\n0,0,1,2\n0,1,3,4\n0,2,5,6\n");
    char spec[600];
    snprintf(spec, sizeof spec, "file:%s", init);
    const char *args[] = { "run", "--dim", "2", "--components", "2", "--inits", "1", "--init", spec, "--out", out, NULL };
    tu_expect_bad_input(tmp, out, args, "--components");

    tu_spit(init, "init,component,mu_1,mu_2\n0,0,1,2\n0,1,3\n");
    const char *args2[] = { "run", "--dim", "2", "--components", "2", "--inits", "1", "--init", spec, "--out", out, NULL };
    tu_expect_bad_input(tmp, out, args2, "init.csv:3:");
    tu_rm_rf(tmp);
    free(out); free(init); free(tmp);
}

/* Bad input with an --out that already tu_exists: left exactly as it was. */
Test(cli_bad_input, existing_out_untouched)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "out");
    cr_assert_eq(mkdir(out, 0755), 0);
    const char *args[] = { "run", "--eta", "-1", "--out", out, NULL };
    tu_expect_bad_input(tmp, out, args, "--eta");
    cr_expect(tu_exists(out));
    tu_rm_rf(tmp);
    free(out); free(tmp);
}

/* A failure after the output files were opened (the exact estimator refuses
 * more than two directions of difference at the first step) still leaves
 * nothing behind: no partial CSV, no temporary file, no directory. */
Test(cli, failed_run_leaves_nothing)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "deep/out");
    const char *args[] = { "run", "--dim", "8", "--components", "8", "--inits", "2", "--steps", "2",
                           "--estimator", "exact", "--out", out, "--quiet", NULL };
    tu_result r = tu_run(tmp, args);
    cr_expect_neq(r.status, 0);
    cr_expect_eq(tu_count_lines(r.err), 1, "stderr: [%s]", r.err);
    cr_expect_not(tu_exists(out));
    char *deep = tu_path(tmp, "deep");
    cr_expect_not(tu_exists(deep), "created parent directory left behind");
    free(deep);
    tu_free_result(&r);
    tu_rm_rf(tmp);
    free(out); free(tmp);
}

/* ---- successful runs ------------------------------------------------------------------ */

/* The first column of every data row of a CSV, as longs. */
static int first_column(const char *path, long *v, int max)
{
    char *text = tu_slurp(path, NULL);
    cr_assert_not_null(text);
    int n = 0;
    char *p = strchr(text, '\n');
    while (p && p[1] && n < max) {
        v[n++] = strtol(p + 1, NULL, 10);
        p = strchr(p + 1, '\n');
    }
    free(text);
    return n;
}

Test(cli, small_run_writes_all_files)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "a/b");
    const char *args[] = { "run", "--device", "cpu", "--dim", "2", "--components", "3", "--inits", "5", "--steps", "20",
                           "--estimator", "mc:256", "--trace-inits", "3", "--log", "every:5", "--out", out,
                           "--quiet", NULL };
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    cr_expect_eq(strlen(r.err), 0, "stderr: %s", r.err);
    cr_expect_eq(strlen(r.out), 0, "--quiet printed: %s", r.out);
    tu_free_result(&r);

    char *traj = tu_path(out, "trajectory.csv"), *agg = tu_path(out, "aggregate.csv");
    char *fin = tu_path(out, "final.csv"), *js = tu_path(out, "run.json");
    tu_expect_header(traj, "step,init,loss,max_dist,mean_dist2,update_norm");
    tu_expect_header(agg, "step,loss_min,loss_q1,loss_median,loss_q3,loss_max,"
                       "max_dist_min,max_dist_q1,max_dist_median,max_dist_q3,max_dist_max,"
                       "mean_dist2_min,mean_dist2_q1,mean_dist2_median,mean_dist2_q3,mean_dist2_max,"
                       "update_norm_min,update_norm_q1,update_norm_median,update_norm_q3,update_norm_max");
    tu_expect_header(fin, "init,component,mu_1,mu_2");
    cr_expect_eq(tu_file_lines(traj), 1 + 5 * 3, "trajectory: 5 logged steps x 3 traced inits");
    cr_expect_eq(tu_file_lines(agg), 1 + 5);
    cr_expect_eq(tu_file_lines(fin), 1 + 5 * 3, "final: 5 inits x 3 components");
    cr_expect_eq(tu_dir_entries(out), 4, "only the four outputs (no temporary files)");

    long steps[16];
    int n = first_column(agg, steps, 16);
    cr_expect_eq(n, 5);
    for (int i = 0; i < n; i++) cr_expect_eq(steps[i], 5 * i);

    ogem_json *root = tu_load_json(js);
    const ogem_json *settings = ogem_json_get(root, "settings");
    cr_expect_not_null(settings);
    cr_expect_eq(ogem_json_get(settings, "dim")->number, 2);
    cr_expect_str_eq(ogem_json_get(settings, "estimator")->text, "mc:256");
    cr_expect_not_null(ogem_json_get(root, "ogem_version"));
    cr_expect_not_null(ogem_json_get(ogem_json_get(root, "backend"), "name"));
    cr_expect_not_null(ogem_json_get(ogem_json_get(root, "backend"), "peak_device_bytes"));
    cr_expect_not_null(ogem_json_get(ogem_json_get(root, "timing"), "wall_seconds"));
    cr_expect_not_null(ogem_json_get(ogem_json_get(root, "timing"), "sci_per_second"));
    ogem_json_free(root);

    free(traj); free(agg); free(fin); free(js);
    tu_rm_rf(tmp);
    free(out); free(tmp);
}

/* Default log set: 0, then about 20 per decade, then the last step. For
 * T = 100: 0, 1..11, 13, 14, 16, 18, 20, 22, 25, 28, 32, 35, 40, 45, 50, 56,
 * 63, 71, 79, 89, 100. */
Test(cli, default_log_is_log_spaced)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "out");
    const char *args[] = { "run", "--dim", "1", "--components", "2", "--inits", "3", "--steps", "100",
                           "--estimator", "mc:64", "--out", out, "--quiet", NULL };
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    tu_free_result(&r);
    char *agg = tu_path(out, "aggregate.csv");
    long steps[64];
    int n = first_column(agg, steps, 64);
    static const long want[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 16, 18, 20, 22, 25, 28, 32,
                                 35, 40, 45, 50, 56, 63, 71, 79, 89, 100 };
    cr_assert_eq(n, (int)(sizeof want / sizeof want[0]));
    for (int i = 0; i < n; i++) cr_expect_eq(steps[i], want[i], "row %d: step %ld, expected %ld", i, steps[i], want[i]);
    free(agg);
    tu_rm_rf(tmp);
    free(out); free(tmp);
}

static void expect_same_csvs(const char *a, const char *b)
{
    static const char *const names[] = { "trajectory.csv", "aggregate.csv", "final.csv" };
    for (int i = 0; i < 3; i++) {
        char *pa = tu_path(a, names[i]), *pb = tu_path(b, names[i]);
        cr_expect(tu_same_file(pa, pb), "%s differs between %s and %s", names[i], a, b);
        free(pa);
        free(pb);
    }
}

Test(cli, same_seed_is_byte_identical)
{
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a"), *b = tu_path(tmp, "b"), *c = tu_path(tmp, "c");
    /* Same seed, different thread counts: still the same bytes. */
    const char *args_a[] = { "run", SMALL, "--seed", "42", "--threads", "2", "--out", a, NULL };
    const char *args_b[] = { "run", SMALL, "--seed", "42", "--threads", "1", "--out", b, NULL };
    const char *args_c[] = { "run", SMALL, "--seed", "43", "--out", c, NULL };
    tu_result r;
    r = tu_run(tmp, args_a); cr_assert_eq(r.status, 0, "%s", r.err); tu_free_result(&r);
    r = tu_run(tmp, args_b); cr_assert_eq(r.status, 0, "%s", r.err); tu_free_result(&r);
    r = tu_run(tmp, args_c); cr_assert_eq(r.status, 0, "%s", r.err); tu_free_result(&r);
    expect_same_csvs(a, b);
    char *fa = tu_path(a, "final.csv"), *fc = tu_path(c, "final.csv");
    cr_expect_not(tu_same_file(fa, fc), "a different seed gave the same final.csv");
    free(fa); free(fc);
    tu_rm_rf(tmp);
    free(a); free(b); free(c); free(tmp);
}

/* Replay of a run with every non-default setting, including a 64-bit seed and
 * non-round doubles, and then a replay with one setting overridden. */
Test(cli, config_replay_is_byte_identical)
{
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a"), *b = tu_path(tmp, "b"), *c = tu_path(tmp, "c");
    const char *args_a[] = { "run", "--dim", "3", "--components", "3", "--weights", "0.5,0.3,0.2",
                             "--mu-star", "1,0,-0.1", "--inits", "4", "--steps", "10", "--eta", "0.7",
                             "--estimator", "fixed:300", "--init", "far:1:4.1", "--seed", "18446744073709551557",
                             "--log", "every:3", "--trace-inits", "2", "--threads", "1", "--out", a, "--quiet",
                             NULL };
    tu_result r = tu_run(tmp, args_a);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_free_result(&r);
    char *cfg = tu_path(a, "run.json");
    const char *args_b[] = { "run", "--config", cfg, "--out", b, "--quiet", NULL };
    r = tu_run(tmp, args_b);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_free_result(&r);
    expect_same_csvs(a, b);

    ogem_json *root = tu_load_json(cfg);
    cr_expect_str_eq(ogem_json_get(ogem_json_get(root, "settings"), "seed")->text, "18446744073709551557");
    ogem_json_free(root);

    /* Flags on the command line override the file; a run's directory stands
     * for its run.json. */
    const char *args_c[] = { "run", "--config", a, "--steps", "4", "--out", c, "--quiet", NULL };
    r = tu_run(tmp, args_c);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_free_result(&r);
    char *agg = tu_path(c, "aggregate.csv");
    long steps[8];
    int n = first_column(agg, steps, 8);
    cr_expect_eq(n, 3, "steps 0, 3, 4");
    cr_expect_eq(steps[n - 1], 4);
    free(agg);

    free(cfg);
    tu_rm_rf(tmp);
    free(a); free(b); free(c); free(tmp);
}

/* A run.json with a setting ogem does not know is refused, naming it. */
Test(cli_bad_input, config_unknown_setting)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "out"), *cfg = tu_path(tmp, "run.json");
    tu_spit(cfg, "{\"command\": \"run\", \"settings\": {\"dim\": 2,\n \"colour\": \"blue\"}}\n");
    const char *args[] = { "run", "--config", cfg, "--out", out, NULL };
    tu_expect_bad_input(tmp, out, args, "colour");
    tu_spit(cfg, "{\"command\": \"run\", \"settings\": {\"dim\": 0}}\n");
    tu_expect_bad_input(tmp, out, args, "--dim (from");
    tu_rm_rf(tmp);
    free(out); free(cfg); free(tmp);
}

/* final.csv seeds another run exactly: with --steps 0 the means are unchanged,
 * so the second final.csv is the first, byte for byte. */
Test(cli, init_file_round_trip)
{
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a"), *b = tu_path(tmp, "b");
    const char *args_a[] = { "run", SMALL, "--out", a, NULL };
    tu_result r = tu_run(tmp, args_a);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_free_result(&r);
    char *fa = tu_path(a, "final.csv"), *fb = tu_path(b, "final.csv");
    char spec[600];
    snprintf(spec, sizeof spec, "file:%s", fa);
    /* Like SMALL, but with --steps 0. */
    const char *args_b2[] = { "run", "--dim", "2", "--components", "3", "--inits", "5", "--steps", "0",
                              "--estimator", "mc:256", "--init", spec, "--out", b, "--quiet", NULL };
    r = tu_run(tmp, args_b2);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_free_result(&r);
    cr_expect(tu_same_file(fa, fb), "final.csv did not survive a round trip through --init file:");
    char *agg = tu_path(b, "aggregate.csv");
    cr_expect_eq(tu_file_lines(agg), 2, "--steps 0 logs step 0 only");
    free(agg);
    free(fa); free(fb);
    tu_rm_rf(tmp);
    free(a); free(b); free(tmp);
}

Test(cli, data_estimator_run)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "out"), *data = tu_path(tmp, "data.csv");
    tu_spit(data, "# two clusters\n-1.5,0.1\n1.4,-0.2\n\n-1.6,0.3\r\n1.5,0.0\n-1.4,-0.1\n1.6,0.2\n");
    char spec[600];
    snprintf(spec, sizeof spec, "data:%s", data);
    const char *args[] = { "run", "--dim", "2", "--components", "2", "--inits", "3", "--steps", "5",
                           "--estimator", spec, "--algo", "em", "--out", out, NULL };
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_not_null(strstr(r.out, "NLL"), "summary should label the loss as an NLL: %s", r.out);
    tu_free_result(&r);
    char *js = tu_path(out, "run.json");
    ogem_json *root = tu_load_json(js);
    const ogem_json *resolved = ogem_json_get(root, "resolved");
    cr_expect_eq(ogem_json_get(resolved, "samples_per_step")->number, 6);
    cr_expect_not_null(strstr(ogem_json_get(resolved, "loss")->text, "log-likelihood"));
    ogem_json_free(root);
    free(js);
    tu_rm_rf(tmp);
    free(out); free(data); free(tmp);
}

/* The summary goes to stdout (not with --quiet) and there is no progress line
 * when stderr is not a terminal. */
Test(cli, summary_on_stdout)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "out");
    const char *args[] = { "run", "--device", "cpu", "--dim", "2", "--components", "2", "--inits", "3", "--steps", "3",
                           "--estimator", "mc:64", "--out", out, NULL };
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_not_null(strstr(r.out, "median"), "summary: %s", r.out);
    cr_expect_not_null(strstr(r.out, "SCI/s"), "summary: %s", r.out);
    cr_expect_eq(strlen(r.err), 0, "stderr not a terminal, yet: %s", r.err);
    tu_free_result(&r);
    tu_rm_rf(tmp);
    free(out); free(tmp);
}

/* ---- top level ----------------------------------------------------------------------------- */

Test(cli, version_and_help)
{
    char *tmp = tu_tmpdir();
    const char *v[] = { "--version", NULL };
    tu_result r = tu_run(tmp, v);
    cr_expect_eq(r.status, 0);
    cr_expect(strncmp(r.out, "ogem " OGEM_VERSION, strlen("ogem " OGEM_VERSION)) == 0, "%s", r.out);
    tu_free_result(&r);

    const char *h[] = { "--help", NULL };
    r = tu_run(tmp, h);
    cr_expect_eq(r.status, 0);
    cr_expect_not_null(strstr(r.out, "run"));
    tu_free_result(&r);

    const char *rh[] = { "run", "--help", NULL };
    r = tu_run(tmp, rh);
    cr_expect_eq(r.status, 0);
    static const char *const flags[] = { "--dim", "--components", "--weights", "--mu-star", "--inits",
                                         "--steps", "--eta", "--algo", "--estimator", "--subspace", "--init",
                                         "--seed", "--log", "--out", "--threads", "--trace-inits", "--device",
                                         "--precision", "--gpu-path", "--config", "--quiet" };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        cr_expect_not_null(strstr(r.out, flags[i]), "run --help lacks %s", flags[i]);
    tu_free_result(&r);

    const char *none[] = { NULL };
    r = tu_run(tmp, none);
    cr_expect_eq(r.status, 2);
    tu_free_result(&r);

    const char *bogus[] = { "frobnicate", NULL };
    r = tu_run(tmp, bogus);
    cr_expect_eq(r.status, 2);
    cr_expect_eq(tu_count_lines(r.err), 1, "%s", r.err);
    tu_free_result(&r);
    tu_rm_rf(tmp);
    free(tmp);
}

/* ---- checkpoints, interruptions, --resume ----------------------------------------------- */

/* Interrupted after step 17 of 40 (the test hook acts like SIGINT there):
 * exit 130, the partial results and a checkpoint are committed; --resume
 * then writes exactly the bytes of the uninterrupted run. */
Test(cli_checkpoint, run_resume_is_byte_identical)
{
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a"), *b = tu_path(tmp, "b");
    const char *args_a[] = { "run", "--dim", "2", "--components", "3", "--inits", "5", "--steps", "40", "--estimator",
                             "mc:256", "--log", "every:1", "--trace-inits", "3", "--checkpoint-every", "5",
                             "--threads", "1", "--quiet", "--out", a, NULL };
    tu_result r = tu_run(tmp, args_a);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_free_result(&r);
    char *ck_a = tu_path(a, "checkpoint.ogem");
    cr_expect_not(tu_exists(ck_a), "a completed run keeps no checkpoint");
    free(ck_a);

    const char *args_b[] = { "run", "--dim", "2", "--components", "3", "--inits", "5", "--steps", "40", "--estimator",
                             "mc:256", "--log", "every:1", "--trace-inits", "3", "--checkpoint-every", "5",
                             "--threads", "1", "--quiet", "--out", b, NULL };
    const char *env[] = { "OGEM_TEST_STOP_AFTER_STEP=17", NULL };
    r = tu_run_env(tmp, env, args_b);
    cr_assert_eq(r.status, 130, "exit %d: %s", r.status, r.err);
    cr_expect_eq(tu_count_lines(r.err), 1, "%s", r.err);
    cr_expect_not_null(strstr(r.err, "--resume"), "%s", r.err);
    tu_free_result(&r);
    char *ck = tu_path(b, "checkpoint.ogem"), *js = tu_path(b, "run.json"), *agg = tu_path(b, "aggregate.csv");
    char *fin = tu_path(b, "final.csv");
    cr_assert(tu_exists(ck));
    cr_expect_eq(tu_file_lines(agg), 1 + 17, "rows for steps 0..16");
    cr_expect_eq(tu_file_lines(fin), 1 + 5 * 3, "final.csv at the current means");
    ogem_json *root = tu_load_json(js);
    cr_expect_str_eq(ogem_json_get(root, "status")->text, "interrupted");
    cr_expect_eq(ogem_json_get(root, "steps_done")->number, 17);
    cr_expect_not_null(strstr(ogem_json_get(root, "resume")->text, "ogem run --resume"));
    ogem_json_free(root);

    const char *resume[] = { "run", "--resume", b, "--quiet", NULL };
    r = tu_run(tmp, resume);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    tu_free_result(&r);
    cr_expect(tu_same_in(a, b, "trajectory.csv"), "trajectory.csv differs after resume");
    cr_expect(tu_same_in(a, b, "aggregate.csv"), "aggregate.csv differs after resume");
    cr_expect(tu_same_in(a, b, "final.csv"), "final.csv differs after resume");
    cr_expect_not(tu_exists(ck), "checkpoint left after the run completed");
    root = tu_load_json(js);
    cr_expect_str_eq(ogem_json_get(root, "status")->text, "complete");
    ogem_json_free(root);
    free(ck); free(js); free(agg); free(fin);
    tu_rm_rf(tmp);
    free(a); free(b); free(tmp);
}

/* SIGTERM to a running `ogem run --checkpoint-every 5`: exit 130 with a
 * checkpoint and the partial results; resuming it with another setting is
 * refused (exit 2, naming the setting) and leaves it as it was. */
Test(cli_checkpoint, sigterm_leaves_checkpoint_and_partial_results)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "out");
    const char *args[] = { "run", "--dim", "2", "--components", "2", "--inits", "2", "--steps", "100000000",
                           "--estimator", "mc:64", "--checkpoint-every", "5", "--threads", "1", "--quiet", "--out", out,
                           NULL };
    pid_t pid = tu_spawn(tmp, NULL, args);
    char *ck = tu_path(out, "checkpoint.ogem");
    cr_expect(tu_wait_for_file(ck, 60), "no checkpoint within 60 s");
    kill(pid, SIGTERM);
    tu_result r = tu_wait(tmp, pid);
    cr_assert_eq(r.status, 130, "exit %d: %s", r.status, r.err);
    cr_expect_not_null(strstr(r.err, "SIGTERM"), "%s", r.err);
    tu_free_result(&r);
    static const char *const names[] = { "trajectory.csv", "aggregate.csv", "final.csv", "run.json" };
    for (int i = 0; i < 4; i++) {
        char *p = tu_path(out, names[i]);
        cr_expect(tu_exists(p), "%s missing after SIGTERM", names[i]);
        free(p);
    }
    cr_expect(tu_exists(ck));
    cr_expect_eq(tu_dir_entries(out), 5, "four outputs and the checkpoint, no temporary files");
    char *js = tu_path(out, "run.json");
    ogem_json *root = tu_load_json(js);
    cr_expect_str_eq(ogem_json_get(root, "status")->text, "interrupted");
    cr_expect_str_eq(ogem_json_get(root, "interrupted_by")->text, "SIGTERM");
    cr_expect_gt(ogem_json_get(root, "steps_done")->number, 4);
    ogem_json_free(root);

    size_t before_len = 0;
    char *before = tu_slurp(ck, &before_len);
    const char *mismatch[] = { "run", "--resume", out, "--eta", "0.5", "--quiet", NULL };
    r = tu_run(tmp, mismatch);
    cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
    cr_expect_eq(tu_count_lines(r.err), 1, "%s", r.err);
    cr_expect_not_null(strstr(r.err, "--eta"), "%s", r.err);
    tu_free_result(&r);
    size_t after_len = 0;
    char *after = tu_slurp(ck, &after_len);
    cr_expect(before && after && before_len == after_len && memcmp(before, after, before_len) == 0,
              "a refused resume changed the checkpoint");
    free(before);
    free(after);

    /* Resuming with the same settings continues; stop it again at once. */
    const char *resume[] = { "run", "--resume", out, "--quiet", NULL };
    const char *env[] = { "OGEM_TEST_STOP_AFTER_STEP=3", NULL };
    r = tu_run_env(tmp, env, resume);
    cr_expect_eq(r.status, 130, "exit %d: %s", r.status, r.err);
    tu_free_result(&r);
    root = tu_load_json(js);
    cr_expect_not_null(ogem_json_get(root, "resumed_from"));
    ogem_json_free(root);
    free(js);
    free(ck);
    tu_rm_rf(tmp);
    free(out); free(tmp);
}

/* With --checkpoint-every, a run that fails after --out was opened (the
 * exact estimator refuses more than two directions of difference at the first
 * step) still leaves nothing behind: no checkpoint, no directory. */
Test(cli_checkpoint, failed_run_with_checkpoints_leaves_nothing)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "deep/out");
    const char *args[] = { "run", "--dim", "8", "--components", "8", "--inits", "2", "--steps", "2",
                           "--estimator", "exact", "--checkpoint-every", "1", "--out", out, "--quiet", NULL };
    tu_result r = tu_run(tmp, args);
    cr_expect_neq(r.status, 0);
    cr_expect_neq(r.status, 130);
    tu_free_result(&r);
    cr_expect_not(tu_exists(out));
    tu_rm_rf(tmp);
    free(out); free(tmp);
}

BAD_INPUT_TEST(checkpoint_every_negative, "--checkpoint-every", "--checkpoint-every", "-3")
BAD_INPUT_TEST(resume_missing_dir, "--resume", "--resume", "/nonexistent/ogem-run")
BAD_INPUT_TEST(resume_with_config, "--resume", "--resume", "/tmp", "--config", "/tmp")

/* --resume on a directory whose run completed (no checkpoint left). */
Test(cli_bad_input, resume_without_checkpoint)
{
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a");
    const char *args[] = { "run", SMALL, "--out", a, NULL };
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_free_result(&r);
    const char *resume[] = { "run", "--resume", a, NULL };
    r = tu_run(tmp, resume);
    cr_expect_eq(r.status, 2);
    cr_expect_eq(tu_count_lines(r.err), 1, "%s", r.err);
    cr_expect_not_null(strstr(r.err, "checkpoint.ogem"), "%s", r.err);
    tu_free_result(&r);
    tu_rm_rf(tmp);
    free(a); free(tmp);
}

/* --device auto without a GPU falls back to the CPU with one line on stderr
 * (issue 3); with --quiet it stays silent. */
Test(cli, auto_device_notice_on_cpu_fallback)
{
    if (ogem_gpu_count() > 0) cr_skip_test("a GPU is present: auto picks it, no notice");
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o");
    const char *args[] = { "run", "--dim", "1", "--components", "2", "--inits", "2", "--steps", "2",
                           "--out", out, NULL };
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_eq(tu_count_lines(r.err), 1, "stderr: [%s]", r.err);
    cr_expect_not_null(strstr(r.err, "no usable GPU"), "stderr: [%s]", r.err);
    tu_free_result(&r);
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}
