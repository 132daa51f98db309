/*
 * test_cli_truth.c - issue 12 through the built `ogem` as a user runs it: a
 * mixture truth (--truth file:PATH or inline), learned weights
 * (--learn-weights), truth-sample initializations and the metrics of a
 * mixture truth. Bad input exits 2 with one line naming the flag (and the
 * file and line) and writes nothing; the two spellings of a truth, and
 * --truth with one component against --mu-star, give the same bytes;
 * --config replays and --resume continues byte for byte.
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_test_util.h"
#include "ogem/ogem.h"

/* A small mixture run: d = 2, n = 4, mc:256, every step logged. */
#define SMALL_RUN "run", "--dim", "2", "--components", "4", "--inits", "5", "--steps", "30", "--estimator", \
                  "mc:256", "--log", "every:1", "--trace-inits", "3", "--threads", "1", "--quiet"

static const char MIX_INLINE[] = "0.3:3,0;0.7:-3,0";
static const char MIX_CSV[] = "# weight,x_1,x_2\n0.3,3,0\n\n0.7,-3,0\n";

static void run_ok(const char *tmp, const char *const *args)
{
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    tu_free_result(&r);
}

/* Each of the files `names` (NULL-terminated) has the same bytes in a and b. */
static void expect_same_files(const char *a, const char *b, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        cr_expect(tu_same_in(a, b, names[i]), "%s differs between %s and %s", names[i], a, b);
}

static const char *const MIX_FILES[] = { "trajectory.csv", "aggregate.csv", "final.csv", "truth_fit.csv", NULL };
static const char *const LEARN_FILES[] = { "trajectory.csv", "aggregate.csv", "final.csv", "truth_fit.csv",
                                           "weights.csv", "final_weights.csv", NULL };

/* ---- bad input ---------------------------------------------------------------------- */

/* Each bad --truth (and its companions) exits 2 with one line holding the
 * flag and, for a file, FILE:LINE; nothing is written in --out. */
Test(cli_truth, bad_input_is_one_line_naming_flag_file_and_line)
{
    static const struct {
        const char *csv;    /* written to t.csv when not NULL; the spec is then file:t.csv */
        const char *spec;   /* else the inline spec (or extra flags below)               */
        const char *needle; /* after "ogem run: "                                      */
    } cases[] = {
        { "0.3,3,0\n0.7,-3,x\n", NULL, "--truth: %s:2: field 3 is not a number" },
        { "# c\n0.3,3,0\n0.6,-3,0\n", NULL, "--truth: %s: weights sum to 0.8999" },
        { "0.3,3,0\n0.7,-3\n", NULL, "--truth: %s:2: expected 3 values (a weight and --dim 2 coordinates)" },
        { "0.3,3,0,1\n0.7,-3,0,1\n", NULL, "--truth: %s:1: expected 3 values" },
        { "1.2,3,0\n\n-0.2,1,1\n", NULL, "--truth: %s:3: weight -0.2 is not positive" },
        { "# only a comment\n", NULL, "--truth: %s: " },
        { NULL, "0.3:3,0;0.7:-3", "--truth: component 2: 1 coordinate given, but --dim is 2" },
        { NULL, "0.3:3,0;0.6:-3,0", "--truth: weights sum to 0.8999" },
        { NULL, "0.3:3,0;x:-3,0", "--truth: component 2: the weight is not a number: 'x'" },
        { NULL, "0.3:3,0;0.7", "--truth: component 2: expected W:X1,...,XD" },
        { NULL, "0.5:3,0;0.5:1,1;", "--truth: component 3: expected W:X1,...,XD" },
        { NULL, "1:3,0x", "--truth: component 1: coordinate 2 is not a number: '0x'" },
        { NULL, "0:3,0;1:1,1", "--truth: component 1: weight 0 is not positive" },
        { NULL, "file:", "--truth: file:PATH needs a file name" },
        { NULL, "file:/nonexistent/ogem-truth.csv", "--truth: /nonexistent/ogem-truth.csv: cannot open" },
    };
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o"), *csv = tu_path(tmp, "t.csv");
    char spec[512], needle[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].csv) {
            tu_spit(csv, cases[i].csv);
            snprintf(spec, sizeof spec, "file:%s", csv);
        } else {
            snprintf(spec, sizeof spec, "%s", cases[i].spec);
        }
        snprintf(needle, sizeof needle, "ogem run: ");
        snprintf(needle + strlen(needle), sizeof needle - strlen(needle), cases[i].needle, csv);
        const char *args[] = { "run", "--dim", "2", "--truth", spec, "--steps", "2", "--inits", "2", "--out", out,
                               NULL };
        tu_expect_bad_input(tmp, out, args, needle);
    }
    tu_rm_rf(tmp);
    free(csv);
    free(out);
    free(tmp);
}

/* --truth with --mu-star, and the new flags' own values. */
Test(cli_truth, conflicting_and_bad_companion_flags)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o");
    static const char *const cases[][5] = {
        { "--truth", "1:3,0", "--mu-star", "3,0",
          "ogem run: --truth: cannot be combined with --mu-star: give one truth" },
        { "--mu-star", "0", "--truth", "0.5:1,0;0.5:-1,0", "ogem run: --truth: cannot be combined with --mu-star" },
        { "--init", "truth-sample:-1", "--seed", "1", "ogem run: --init: truth-sample:S needs" },
        { "--init", "truth-sample:", "--seed", "1", "ogem run: --init: truth-sample:S needs" },
        { "--init", "truth-samples", "--seed", "1", "ogem run: --init: expected random:S" },
        { "--active-weight", "0", "--learn-weights", NULL, "ogem run: --active-weight: " },
        { "--active-weight", "1.5", "--learn-weights", NULL, "ogem run: --active-weight: " },
        { "--fit-radius", "-1", "--seed", "1", "ogem run: --fit-radius: " },
        { "--learn-weights", "--truth", "0.5:1,0;0.5:2", NULL, "ogem run: --truth: component 2" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[12] = { "run", "--dim", "2", "--steps", "2", "--out", out };
        int k = 7;
        for (int j = 0; j < 4 && cases[i][j]; j++) args[k++] = cases[i][j];
        args[k] = NULL;
        tu_expect_bad_input(tmp, out, args, cases[i][4]);
    }
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

/* ---- the same run, spelled differently ---------------------------------------------- */

/* An inline truth and the same truth in a file: the same bytes in every CSV,
 * and run.json stores the file's absolute path. */
Test(cli_truth, inline_and_file_truth_agree, .timeout = 120)
{
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a"), *b = tu_path(tmp, "b"), *csv = tu_path(tmp, "truth.csv");
    tu_spit(csv, MIX_CSV);
    char spec[512];
    snprintf(spec, sizeof spec, "file:%s", csv);
    const char *args_a[] = { SMALL_RUN, "--truth", MIX_INLINE, "--out", a, NULL };
    const char *args_b[] = { SMALL_RUN, "--truth", spec, "--out", b, NULL };
    run_ok(tmp, args_a);
    run_ok(tmp, args_b);
    expect_same_files(a, b, MIX_FILES);

    char *js = tu_path(b, "run.json"), *ja = tu_path(a, "run.json");
    ogem_json *root = tu_load_json(js);
    const ogem_json *truth = ogem_json_get(ogem_json_get(root, "settings"), "truth");
    cr_assert_not_null(truth);
    cr_expect(strncmp(truth->text, "file:/", 6) == 0, "truth stored as '%s'", truth->text);
    cr_expect_null(ogem_json_get(ogem_json_get(root, "settings"), "mu_star"), "a truth run stores no mu_star");
    cr_expect_eq(ogem_json_get(ogem_json_get(root, "resolved"), "truth_components")->number, 2);
    ogem_json_free(root);
    root = tu_load_json(ja);
    cr_expect_str_eq(ogem_json_get(ogem_json_get(root, "settings"), "truth")->text,
                     "0.29999999999999999:3,0;0.69999999999999996:-3,0");
    ogem_json_free(root);

    /* The mixture's columns and files. */
    char *traj = tu_path(a, "trajectory.csv"), *agg = tu_path(a, "aggregate.csv"), *fit = tu_path(a, "truth_fit.csv");
    tu_expect_header(traj, "step,init,loss,max_dist,mean_dist2,update_norm,cover_dist,voronoi");
    tu_expect_header(fit, "step,init,truth_component,nearest_dist,weight_within");
    cr_expect_eq(tu_file_lines(fit), 1 + 31 * 3 * 2, "31 logged steps x 3 traced inits x 2 truth components");
    char *text = tu_slurp(agg, NULL);
    cr_expect_not_null(strstr(text, ",cover_dist_median,"), "aggregate.csv lacks cover_dist");
    cr_expect_not_null(strstr(text, ",voronoi_max\n"), "aggregate.csv lacks voronoi");
    cr_expect_null(strstr(text, "active"), "fixed weights: no active column");
    free(text);
    char *fw = tu_path(a, "final_weights.csv");
    cr_expect_not(tu_exists(fw), "fixed weights: no final_weights.csv");
    free(fw);
    free(traj); free(agg); free(fit); free(js); free(ja);
    tu_rm_rf(tmp);
    free(csv); free(a); free(b); free(tmp);
}

/* --truth 1:X is --mu-star X: every CSV the same bytes, and no file of a
 * mixture truth; for a sampled and an exact estimator, and an init around
 * the truth's mean. */
Test(cli_truth, one_component_truth_is_mu_star_byte_for_byte, .timeout = 120)
{
    static const char *const est[][2] = { { "mc:256", "random:2" }, { "exact", "far:1:4" }, { "qmc:128", "random:1" } };
    static const char *const files[] = { "trajectory.csv", "aggregate.csv", "final.csv", NULL };
    char *tmp = tu_tmpdir();
    for (int e = 0; e < 3; e++) {
        char *a = tu_path(tmp, "a"), *b = tu_path(tmp, "b");
        const char *args_a[] = { "run", "--dim", "2", "--components", "3", "--inits", "4", "--steps", "20",
                                 "--estimator", est[e][0], "--init", est[e][1], "--mu-star", "1.5,-0.5",
                                 "--threads", "1", "--quiet", "--out", a, NULL };
        const char *args_b[] = { "run", "--dim", "2", "--components", "3", "--inits", "4", "--steps", "20",
                                 "--estimator", est[e][0], "--init", est[e][1], "--truth", "1:1.5,-0.5",
                                 "--threads", "1", "--quiet", "--out", b, NULL };
        run_ok(tmp, args_a);
        run_ok(tmp, args_b);
        expect_same_files(a, b, files);
        cr_expect_eq(tu_dir_entries(b), 4, "%s: one truth component writes the files of --mu-star", est[e][0]);
        /* The --mu-star run's settings hold none of issue 12's keys (its
         * run.json and fingerprint stay what they were). */
        char *js = tu_path(a, "run.json");
        ogem_json *root = tu_load_json(js);
        const ogem_json *set = ogem_json_get(root, "settings");
        static const char *const keys[] = { "truth", "learn_weights", "active_weight", "fit_radius" };
        for (int k = 0; k < 4; k++) cr_expect_null(ogem_json_get(set, keys[k]), "settings hold \"%s\"", keys[k]);
        cr_expect_not_null(ogem_json_get(set, "mu_star"));
        ogem_json_free(root);
        free(js);
        char *traj = tu_path(b, "trajectory.csv");
        tu_expect_header(traj, "step,init,loss,max_dist,mean_dist2,update_norm");
        free(traj);
        tu_rm_rf(a);
        tu_rm_rf(b);
        free(a);
        free(b);
    }
    tu_rm_rf(tmp);
    free(tmp);
}

/* ---- learned weights --------------------------------------------------------------- */

/* Sums of final_weights.csv's weights per init, which must be R x n rows
 * init,component,weight in order. */
static void expect_weights_sum_to_one(const char *path, int R, int n)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s missing", path);
    char line[256];
    cr_assert_not_null(fgets(line, sizeof line, f));
    cr_expect_str_eq(line, "init,component,weight\n");
    for (int r = 0; r < R; r++) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            int rr, ii;
            double w;
            cr_assert_not_null(fgets(line, sizeof line, f), "%s ends at init %d component %d", path, r, i);
            cr_assert_eq(sscanf(line, "%d,%d,%lf", &rr, &ii, &w), 3, "%s: bad row '%s'", path, line);
            cr_expect(rr == r && ii == i, "%s: row for %d,%d where %d,%d was due", path, rr, ii, r, i);
            cr_expect(w > 0 && w <= 1, "%s: weight %g", path, w);
            sum += w;
        }
        cr_expect(fabs(sum - 1.0) <= 1e-12, "init %d: weights sum to %.17g", r, sum);
    }
    cr_expect_null(fgets(line, sizeof line, f), "%s: rows past R x n", path);
    fclose(f);
}

/* --learn-weights: the weight files, the active column, weights that move
 * and sum to one; --config replays the run byte for byte, including
 * --active-weight and --fit-radius. */
Test(cli_truth, learned_weights_outputs_and_config_replay, .timeout = 120)
{
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a"), *b = tu_path(tmp, "b"), *csv = tu_path(tmp, "truth.csv");
    tu_spit(csv, MIX_CSV);
    char spec[512];
    snprintf(spec, sizeof spec, "file:%s", csv);
    const char *args_a[] = { SMALL_RUN, "--truth", spec, "--learn-weights", "--init", "truth-sample:1",
                             "--active-weight", "0.05", "--fit-radius", "1.5", "--eta", "0.5", "--out", a, NULL };
    run_ok(tmp, args_a);
    char *fw = tu_path(a, "final_weights.csv"), *ws = tu_path(a, "weights.csv"), *traj = tu_path(a, "trajectory.csv");
    expect_weights_sum_to_one(fw, 5, 4);
    tu_expect_header(traj, "step,init,loss,max_dist,mean_dist2,update_norm,cover_dist,voronoi,active");
    tu_expect_header(ws, "step,init,component,weight");
    cr_expect_eq(tu_file_lines(ws), 1 + 31 * 3 * 4, "31 logged steps x 3 traced inits x 4 components");
    /* Step 0 holds --weights (uniform); the learned ones have moved from it. */
    static const char start[] = "step,init,component,weight\n0,0,0,0.25\n0,0,1,0.25\n";
    char *text = tu_slurp(ws, NULL);
    cr_expect(strncmp(text, start, strlen(start)) == 0, "%.80s", text);
    free(text);
    text = tu_slurp(fw, NULL);
    cr_expect_null(strstr(text, ",0.25\n"), "the learned weights never moved: %s", text);
    free(text);

    const char *replay[] = { "run", "--config", a, "--quiet", "--out", b, NULL };
    run_ok(tmp, replay);
    expect_same_files(a, b, LEARN_FILES);
    char *js = tu_path(b, "run.json");
    ogem_json *root = tu_load_json(js);
    const ogem_json *s = ogem_json_get(root, "settings");
    cr_expect(ogem_json_get(s, "learn_weights") && ogem_json_get(s, "learn_weights")->boolean);
    cr_expect_eq(ogem_json_get(s, "active_weight")->number, 0.05);
    cr_expect_eq(ogem_json_get(s, "fit_radius")->number, 1.5);
    cr_expect_str_eq(ogem_json_get(s, "init")->text, "truth-sample:1");
    ogem_json_free(root);
    free(js); free(fw); free(ws); free(traj);
    tu_rm_rf(tmp);
    free(csv); free(a); free(b); free(tmp);
}

/* Interrupted after step 17 of 30 and resumed: every file, the weight
 * trajectory and the final weights included, is what the uninterrupted run
 * writes; with the truth in a file that then changes, the resume is refused.
 * The first truth mean is not the origin (the solver's centre is mu*_1). */
Test(cli_truth, learned_weights_resume_is_byte_identical, .timeout = 120)
{
    static const char truth[] = "0.3,3,0.5\n0.7,-3,0\n";
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a"), *b = tu_path(tmp, "b"), *csv = tu_path(tmp, "truth.csv");
    tu_spit(csv, truth);
    char spec[512];
    snprintf(spec, sizeof spec, "file:%s", csv);
    const char *args_a[] = { SMALL_RUN, "--truth", spec, "--learn-weights", "--checkpoint-every", "4", "--out", a,
                             NULL };
    const char *args_b[] = { SMALL_RUN, "--truth", spec, "--learn-weights", "--checkpoint-every", "4", "--out", b,
                             NULL };
    run_ok(tmp, args_a);
    const char *env[] = { "OGEM_TEST_STOP_AFTER_STEP=17", NULL };
    tu_result r = tu_run_env(tmp, env, args_b);
    cr_assert_eq(r.status, 130, "exit %d: %s", r.status, r.err);
    tu_free_result(&r);
    char *ws = tu_path(b, "weights.csv"), *ck = tu_path(b, "checkpoint.ogem");
    cr_expect_eq(tu_file_lines(ws), 1 + 17 * 3 * 4, "weights.csv: steps 0..16 so far");
    cr_assert(tu_exists(ck));

    /* A changed truth file: other results, so the checkpoint is refused. */
    tu_spit(csv, "0.4,3,0.5\n0.6,-3,0\n");
    const char *resume[] = { "run", "--resume", b, "--quiet", NULL };
    r = tu_run(tmp, resume);
    cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
    cr_expect_eq(tu_count_lines(r.err), 1, "%s", r.err);
    cr_expect_not_null(strstr(r.err, "--resume"), "%s", r.err);
    tu_free_result(&r);

    tu_spit(csv, truth);
    run_ok(tmp, resume);
    expect_same_files(a, b, LEARN_FILES);
    cr_expect_not(tu_exists(ck), "checkpoint left after the run completed");
    free(ws); free(ck);
    tu_rm_rf(tmp);
    free(csv); free(a); free(b); free(tmp);
}

/* Learned weights with the one Gaussian of --mu-star (m = 0), with EM and
 * an init drawn from the truth: the mixture's files, against that Gaussian. */
Test(cli_truth, learned_weights_with_mu_star, .timeout = 60)
{
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a");
    const char *args[] = { "run", "--dim", "3", "--components", "3", "--inits", "4", "--steps", "10", "--algo", "em",
                           "--estimator", "mc:128", "--mu-star", "1", "--learn-weights", "--init", "truth-sample",
                           "--weights", "0.5,0.3,0.2", "--threads", "1", "--quiet", "--out", a, NULL };
    run_ok(tmp, args);
    char *fw = tu_path(a, "final_weights.csv"), *fit = tu_path(a, "truth_fit.csv");
    expect_weights_sum_to_one(fw, 4, 3);
    /* The default log (0..10 every step) x 4 traced inits x 1 truth component. */
    cr_expect_eq(tu_file_lines(fit), 1 + 11 * 4, "truth_fit.csv against the one Gaussian");
    /* Within a radius of 1 of mu* the model weight is at most 1. */
    FILE *f = fopen(fit, "r");
    char line[256];
    cr_assert_not_null(fgets(line, sizeof line, f));
    while (fgets(line, sizeof line, f)) {
        long t, r;
        int j;
        double near, mass;
        cr_assert_eq(sscanf(line, "%ld,%ld,%d,%lf,%lf", &t, &r, &j, &near, &mass), 5, "%s", line);
        cr_expect(j == 0 && near >= 0 && mass >= 0 && mass <= 1 + 1e-12, "%s", line);
    }
    fclose(f);
    free(fw); free(fit);
    tu_rm_rf(tmp);
    free(a); free(tmp);
}

/* Replaying a run, --truth given here replaces the replayed --mu-star and
 * --mu-star the replayed --truth: the run is then the one spelled here. */
Test(cli_truth, given_truth_overrides_replayed_mu_star, .timeout = 60)
{
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a"), *b = tu_path(tmp, "b"), *c = tu_path(tmp, "c");
    char *d = tu_path(tmp, "d");
    const char *one[] = { SMALL_RUN, "--mu-star", "1,2", "--out", a, NULL };
    const char *mix[] = { SMALL_RUN, "--truth", MIX_INLINE, "--out", b, NULL };
    run_ok(tmp, one);
    run_ok(tmp, mix);
    const char *to_mix[] = { "run", "--config", a, "--truth", MIX_INLINE, "--quiet", "--out", c, NULL };
    const char *to_one[] = { "run", "--config", b, "--mu-star", "1,2", "--quiet", "--out", d, NULL };
    run_ok(tmp, to_mix);
    run_ok(tmp, to_one);
    expect_same_files(b, c, MIX_FILES);
    static const char *const files[] = { "trajectory.csv", "aggregate.csv", "final.csv", NULL };
    expect_same_files(a, d, files);
    cr_expect_eq(tu_dir_entries(d), 4, "back to one Gaussian: no truth_fit.csv");
    tu_rm_rf(tmp);
    free(a); free(b); free(c); free(d); free(tmp);
}
