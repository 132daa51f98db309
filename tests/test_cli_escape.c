/*
 * test_cli_escape.c - `ogem escape` run as a user would run it: output files
 * and their columns, censoring, sweeps and the growth fit, --config replay,
 * checkpoints and --resume (byte-identical to an uninterrupted run), and the
 * bad-input contract (exit 2, one line, nothing written).
 *
 * Sizes are tiny: n = 2, d = 2, a few inits, radii 2..4 (escapes in 5, 10 and
 * 19 steps). Most tests use the default `exact` estimator (deterministic,
 * and every init of far:1:R escapes at the same step); the resume tests also
 * use mc:256, whose samples come from a random stream that must continue
 * exactly across a checkpoint.
 */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <math.h>

#include "cli_test_util.h"

#define EST "--estimator", "exact"
#define MC "--estimator", "mc:256"
#define FAST EST, "--inits", "4", "--threads", "1", "--quiet"
#define FAST_MC MC, "--inits", "4", "--threads", "1", "--quiet"

static const ogem_json *member(const ogem_json *obj, const char *key)
{
    const ogem_json *v = ogem_json_get(obj, key);
    cr_assert_not_null(v, "missing \"%s\"", key);
    return v;
}

/* The fields of escapes.csv's data rows: escape_step text and censored flag. */
static int escape_rows(const char *path, int grid_column, char steps[][32], int *censored, int max)
{
    char *text = tu_slurp(path, NULL);
    cr_assert_not_null(text, "%s missing", path);
    int n = 0;
    char *line = strchr(text, '\n');
    while (line && line[1] && n < max) {
        line++;
        char *f = line;
        if (grid_column) f = strchr(f, ',') + 1;
        f = strchr(f, ',') + 1; /* past init */
        char *comma = strchr(f, ',');
        size_t len = (size_t)(comma - f);
        memcpy(steps[n], f, len);
        steps[n][len] = '\0';
        censored[n] = atoi(comma + 1);
        n++;
        line = strchr(line, '\n');
    }
    free(text);
    return n;
}

Test(cli_escape, writes_files_with_columns)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "e");
    const char *args[] = { "escape", FAST, "--radius", "3", "--max-steps", "300", "--out", out, NULL };
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    cr_expect_eq(strlen(r.err), 0, "stderr: %s", r.err);
    cr_expect_eq(strlen(r.out), 0, "--quiet printed: %s", r.out);
    tu_free_result(&r);

    char *esc = tu_path(out, "escapes.csv"), *sum = tu_path(out, "summary.json"), *js = tu_path(out, "run.json");
    tu_expect_header(esc, "init,escape_step,censored,final_loss");
    cr_expect_eq(tu_file_lines(esc), 1 + 4);
    cr_expect_eq(tu_dir_entries(out), 3, "escapes.csv, summary.json, run.json and nothing else");
    char steps[8][32];
    int cens[8];
    cr_assert_eq(escape_rows(esc, 0, steps, cens, 8), 4);
    for (int i = 0; i < 4; i++) {
        cr_expect_eq(cens[i], 0, "radius 3 escapes within 300 steps");
        cr_expect_gt(atol(steps[i]), 2, "escape step %s", steps[i]);
    }

    ogem_json *root = tu_load_json(sum);
    cr_expect_str_eq(member(root, "status")->text, "complete");
    cr_expect_eq(member(root, "count")->number, 4);
    cr_expect_eq(member(root, "escaped")->number, 4);
    cr_expect_eq(member(root, "censored_fraction")->number, 0);
    cr_expect_eq(member(root, "median")->type, OGEM_JSON_NUMBER);
    cr_expect_eq(member(root, "q1")->type, OGEM_JSON_NUMBER);
    cr_expect_eq(member(root, "q3")->type, OGEM_JSON_NUMBER);
    const ogem_json *km = member(root, "km");
    cr_expect_eq(member(km, "step")->type, OGEM_JSON_ARRAY);
    cr_expect_eq(member(km, "survival")->count, member(km, "step")->count);
    cr_expect_gt(member(km, "step")->count, 0);
    cr_expect_not_null(ogem_json_get(member(root, "timing"), "wall_seconds"));
    cr_expect_not_null(ogem_json_get(member(root, "backend"), "name"));
    cr_expect_str_eq(member(member(root, "settings"), "init")->text, "far:1:3");
    ogem_json_free(root);

    root = tu_load_json(js);
    cr_expect_str_eq(member(root, "command")->text, "escape");
    const ogem_json *settings = member(root, "settings");
    cr_expect_str_eq(member(settings, "until")->text, "dist<=1");
    cr_expect_eq(member(settings, "max_steps")->number, 300);
    cr_expect_str_eq(member(settings, "estimator")->text, "exact");
    ogem_json_free(root);
    free(esc); free(sum); free(js);
    tu_rm_rf(tmp);
    free(out); free(tmp);
}

/* Trapped for longer than --max-steps: every init censored, escape_step
 * empty, and the median (more than half censored) null. */
Test(cli_escape, censored_when_max_steps_is_tiny)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "e");
    const char *args[] = { "escape", FAST, "--radius", "4", "--max-steps", "3", "--out", out, NULL };
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    tu_free_result(&r);
    char *esc = tu_path(out, "escapes.csv"), *sum = tu_path(out, "summary.json");
    char steps[8][32];
    int cens[8];
    cr_assert_eq(escape_rows(esc, 0, steps, cens, 8), 4);
    for (int i = 0; i < 4; i++) {
        cr_expect_eq(cens[i], 1);
        cr_expect_str_eq(steps[i], "", "a censored init has no escape step");
    }
    ogem_json *root = tu_load_json(sum);
    cr_expect_eq(member(root, "escaped")->number, 0);
    cr_expect_eq(member(root, "censored_fraction")->number, 1);
    cr_expect_eq(member(root, "median")->type, OGEM_JSON_NULL);
    cr_expect_eq(member(root, "q1")->type, OGEM_JSON_NULL);
    cr_expect_eq(member(root, "steps_run")->number, 3);
    ogem_json_free(root);
    free(esc); free(sum);
    tu_rm_rf(tmp);
    free(out); free(tmp);
}

/* A loss threshold works too: a far component costs KL, so loss<=0.5 is
 * reached later than step 0 and earlier than the cap. */
Test(cli_escape, until_loss)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "e");
    const char *args[] = { "escape", FAST, "--radius", "3", "--until", "loss<=0.2", "--max-steps", "300", "--out", out,
                           NULL };
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    tu_free_result(&r);
    char *sum = tu_path(out, "summary.json");
    ogem_json *root = tu_load_json(sum);
    cr_expect_str_eq(member(root, "until")->text, "loss<=0.20000000000000001");
    cr_expect_eq(member(root, "escaped")->number, 4);
    cr_expect_gt(member(root, "median")->number, 0);
    ogem_json_free(root);
    free(sum);
    tu_rm_rf(tmp);
    free(out); free(tmp);
}

Test(cli_escape, radius_sweep_fits_positive_growth)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "s");
    const char *args[] = { "escape", FAST, "--sweep", "radius=2:4:1", "--max-steps", "400", "--out", out, NULL };
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    tu_free_result(&r);
    char *sw = tu_path(out, "sweep.csv"), *esc = tu_path(out, "escapes.csv"), *sum = tu_path(out, "summary.json");
    tu_expect_header(sw, "grid,radius,inits,escaped,censored_fraction,q1,median,q3");
    tu_expect_header(esc, "grid,init,escape_step,censored,final_loss");
    cr_expect_eq(tu_file_lines(sw), 1 + 3);
    cr_expect_eq(tu_file_lines(esc), 1 + 3 * 4);
    char *text = tu_slurp(sw, NULL);
    /* exact: every init of far:1:R escapes at the same step (5, 10, 19) */
    cr_expect(strstr(text, "\n2,2,4,4,0,5,5,5\n3,3,4,4,0,10,10,10\n4,4,4,4,0,19,19,19\n") != NULL,
              "sweep.csv: %s", text);
    free(text);

    ogem_json *root = tu_load_json(sum);
    const ogem_json *sweep = member(root, "sweep");
    cr_expect_str_eq(member(sweep, "parameter")->text, "radius");
    cr_expect_eq(member(sweep, "values")->count, 3);
    const ogem_json *points = member(root, "points");
    cr_assert_eq(points->count, 3);
    double prev = 0;
    for (long g = 0; g < 3; g++) {
        const ogem_json *p = ogem_json_at(points, g);
        double med = member(p, "median")->number;
        cr_expect_gt(med, prev, "median escape step grows with the radius");
        prev = med;
    }
    const ogem_json *growth = member(root, "growth");
    cr_expect_str_eq(member(growth, "x")->text, "radius^2");
    cr_expect_eq(member(growth, "points_used")->number, 3);
    double b = member(growth, "exponent")->number;
    cr_expect_gt(b, 0.05, "growth exponent %g (about 1/8 expected)", b);
    cr_expect_lt(b, 0.3, "growth exponent %g (about 1/8 expected)", b);
    cr_expect_gt(member(growth, "r2")->number, 0.9);
    cr_expect_eq(member(growth, "intercept")->type, OGEM_JSON_NUMBER);
    ogem_json_free(root);
    free(sw); free(esc); free(sum);
    tu_rm_rf(tmp);
    free(out); free(tmp);
}

Test(cli_escape, dim_sweep_scales_radius)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "s");
    const char *args[] = { "escape", FAST, "--sweep", "dim=1,4", "--radius-per-sqrt-dim", "1.5", "--max-steps", "400",
                           "--out", out, NULL };
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    tu_free_result(&r);
    char *sw = tu_path(out, "sweep.csv"), *sum = tu_path(out, "summary.json");
    char *text = tu_slurp(sw, NULL);
    cr_assert_not_null(text);
    char *row1 = strchr(text, '\n') + 1, *row2 = strchr(row1, '\n') + 1;
    cr_expect(strncmp(row1, "1,1.5,4,", 8) == 0, "dim 1: radius 1.5: %s", text);
    cr_expect(strncmp(row2, "4,3,4,", 6) == 0, "dim 4: radius 3: %s", text);
    free(text);
    ogem_json *root = tu_load_json(sum);
    cr_expect_str_eq(member(member(root, "growth"), "x")->text, "dim");
    cr_expect_null(ogem_json_get(member(root, "settings"), "dim"), "a dim sweep has no --dim setting");
    ogem_json_free(root);
    free(sw); free(sum);
    tu_rm_rf(tmp);
    free(out); free(tmp);
}

Test(cli_escape, config_replay_is_byte_identical)
{
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a"), *b = tu_path(tmp, "b");
    const char *args_a[] = { "escape", FAST, "--sweep", "radius=2:3:1", "--weights", "0.6,0.4", "--seed",
                             "18446744073709551557", "--max-steps", "200", "--out", a, NULL };
    tu_result r = tu_run(tmp, args_a);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_free_result(&r);
    const char *args_b[] = { "escape", "--config", a, "--out", b, "--quiet", NULL };
    r = tu_run(tmp, args_b);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_free_result(&r);
    cr_expect(tu_same_in(a, b, "escapes.csv"));
    cr_expect(tu_same_in(a, b, "sweep.csv"));
    tu_rm_rf(tmp);
    free(a); free(b); free(tmp);
}

/* Interrupted (test hook: as if SIGINT arrived after the N-th step), then
 * resumed: the same bytes as the uninterrupted run, and the checkpoint is
 * gone once the run completes. */
static void interrupted_then_resumed(const char *const *flags, int nflags, const char *stop_after, int sweep)
{
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a"), *b = tu_path(tmp, "b");
    const char *args[48];
    int n = 0;
    args[n++] = "escape";
    for (int i = 0; i < nflags; i++) args[n++] = flags[i];
    args[n++] = "--out";
    args[n++] = a;
    args[n] = NULL;
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_free_result(&r);

    args[n - 1] = b;
    char env_stop[64];
    snprintf(env_stop, sizeof env_stop, "OGEM_TEST_STOP_AFTER_STEP=%s", stop_after);
    const char *env[] = { env_stop, NULL };
    r = tu_run_env(tmp, env, args);
    cr_assert_eq(r.status, 130, "exit %d: %s", r.status, r.err);
    cr_expect_eq(tu_count_lines(r.err), 1, "one line: %s", r.err);
    cr_expect_not_null(strstr(r.err, "--resume"), "says how to resume: %s", r.err);
    tu_free_result(&r);
    char *ck = tu_path(b, "checkpoint.ogem"), *js = tu_path(b, "run.json"), *esc = tu_path(b, "escapes.csv");
    cr_assert(tu_exists(ck), "no checkpoint after the interruption");
    cr_assert(tu_exists(esc), "no partial escapes.csv");
    ogem_json *root = tu_load_json(js);
    cr_expect_str_eq(member(root, "status")->text, "interrupted");
    cr_expect_not_null(strstr(member(root, "resume")->text, "--resume"));
    ogem_json_free(root);
    cr_expect_not(tu_same_in(a, b, "escapes.csv"), "the partial results should differ from the full ones");

    /* Other settings are refused, and leave the checkpoint alone. */
    const char *mismatch[] = { "escape", "--resume", b, "--max-steps", "111", "--quiet", NULL };
    r = tu_run(tmp, mismatch);
    cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
    cr_expect_not_null(strstr(r.err, "--max-steps"), "%s", r.err);
    cr_expect_eq(tu_count_lines(r.err), 1, "%s", r.err);
    tu_free_result(&r);
    cr_expect(tu_exists(ck));

    /* A different thread count is fine: it cannot change the results. */
    const char *resume[] = { "escape", "--resume", b, "--threads", "2", "--quiet", NULL };
    r = tu_run(tmp, resume);
    cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    tu_free_result(&r);
    cr_expect(tu_same_in(a, b, "escapes.csv"), "resumed escapes.csv differs from the uninterrupted one");
    if (sweep) cr_expect(tu_same_in(a, b, "sweep.csv"), "resumed sweep.csv differs");
    cr_expect_not(tu_exists(ck), "checkpoint left after the run completed");
    root = tu_load_json(js);
    cr_expect_str_eq(member(root, "status")->text, "complete");
    ogem_json_free(root);
    free(ck); free(js); free(esc);
    tu_rm_rf(tmp);
    free(a); free(b); free(tmp);
}

Test(cli_escape, resume_single_is_byte_identical)
{
    /* Radius 4 escapes near step 19: stop at 7, with checkpoints every 3. */
    const char *flags[] = { FAST_MC, "--radius", "4", "--max-steps", "300", "--checkpoint-every", "3" };
    interrupted_then_resumed(flags, (int)(sizeof flags / sizeof flags[0]), "7", 0);
}

Test(cli_escape, resume_exact_is_byte_identical)
{
    const char *flags[] = { FAST, "--radius", "5", "--max-steps", "300", "--checkpoint-every", "10" };
    interrupted_then_resumed(flags, (int)(sizeof flags / sizeof flags[0]), "25", 0);
}

Test(cli_escape, resume_sweep_is_byte_identical)
{
    /* Radius 2 escapes near step 5 (6 steps), so step 9 is inside radius 3. */
    const char *flags[] = { FAST, "--sweep", "radius=2:4:1", "--max-steps", "300", "--checkpoint-every", "4" };
    interrupted_then_resumed(flags, (int)(sizeof flags / sizeof flags[0]), "9", 1);
}

/* A hard kill leaves no run.json, only the last periodic checkpoint; it is
 * self-contained, and resuming from it still gives the uninterrupted bytes. */
Test(cli_escape, resume_after_sigkill)
{
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a"), *b = tu_path(tmp, "b");
    const char *args_a[] = { "escape", MC, "--inits", "2", "--threads", "1", "--quiet", "--radius", "9",
                             "--max-steps", "1500", "--checkpoint-every", "20", "--out", a, NULL };
    tu_result r = tu_run(tmp, args_a);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_free_result(&r);
    const char *args_b[] = { "escape", MC, "--inits", "2", "--threads", "1", "--quiet", "--radius", "9",
                             "--max-steps", "1500", "--checkpoint-every", "20", "--out", b, NULL };
    pid_t pid = tu_spawn(tmp, NULL, args_b);
    char *ck = tu_path(b, "checkpoint.ogem");
    int seen = tu_wait_for_file(ck, 60);
    kill(pid, SIGKILL);
    r = tu_wait(tmp, pid);
    tu_free_result(&r);
    if (r.status == 0) {
        /* It finished before the kill: nothing to test on this machine. */
        cr_log_warn("escape run completed before SIGKILL; skipping the resume half");
    } else {
        cr_assert(seen, "no checkpoint appeared");
        char *js = tu_path(b, "run.json");
        cr_expect_not(tu_exists(js), "a killed run commits nothing");
        free(js);
        const char *resume[] = { "escape", "--resume", b, "--quiet", NULL };
        r = tu_run(tmp, resume);
        cr_assert_eq(r.status, 0, "exit %d: %s", r.status, r.err);
        tu_free_result(&r);
        cr_expect(tu_same_in(a, b, "escapes.csv"));
    }
    free(ck);
    tu_rm_rf(tmp);
    free(a); free(b); free(tmp);
}

Test(cli_escape, resume_refuses_a_run_checkpoint)
{
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a");
    const char *args[] = { "run", "--dim", "2", "--components", "2", "--inits", "2", "--steps", "30", "--estimator",
                           "mc:64", "--quiet", "--out", a, NULL };
    const char *env[] = { "OGEM_TEST_STOP_AFTER_STEP=5", NULL };
    tu_result r = tu_run_env(tmp, env, args);
    cr_assert_eq(r.status, 130, "%s", r.err);
    tu_free_result(&r);
    const char *resume[] = { "escape", "--resume", a, NULL };
    r = tu_run(tmp, resume);
    cr_expect_eq(r.status, 2);
    cr_expect_not_null(strstr(r.err, "ogem run"), "%s", r.err);
    cr_expect_eq(tu_count_lines(r.err), 1, "%s", r.err);
    tu_free_result(&r);
    tu_rm_rf(tmp);
    free(a); free(tmp);
}

/* The same escape steps from the CPU and the GPU in exact mode (skipped
 * without a usable GPU). */
Test(cli_escape, exact_steps_same_on_cpu_and_gpu)
{
    if (ogem_gpu_count() < 1) cr_skip_test("no usable GPU");
    char *tmp = tu_tmpdir(), *c = tu_path(tmp, "cpu"), *g = tu_path(tmp, "gpu");
    const char *args_c[] = { "escape", FAST, "--sweep", "radius=2:6:1", "--max-steps", "1000", "--device", "cpu",
                             "--out", c, NULL };
    const char *args_g[] = { "escape", FAST, "--sweep", "radius=2:6:1", "--max-steps", "1000", "--device", "gpu",
                             "--out", g, NULL };
    tu_result r = tu_run(tmp, args_c);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_free_result(&r);
    r = tu_run(tmp, args_g);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_free_result(&r);
    char *ec = tu_path(c, "escapes.csv"), *eg = tu_path(g, "escapes.csv");
    char sc[32][32], sg[32][32];
    int cc[32], cg[32];
    int n = escape_rows(ec, 1, sc, cc, 32);
    cr_assert_eq(n, 5 * 4);
    cr_assert_eq(escape_rows(eg, 1, sg, cg, 32), n);
    for (int i = 0; i < n; i++) {
        cr_expect_str_eq(sc[i], sg[i], "row %d: escape step %s on the CPU, %s on the GPU", i, sc[i], sg[i]);
        cr_expect_eq(cc[i], cg[i]);
    }
    cr_expect(tu_same_in(c, g, "sweep.csv"), "sweep.csv differs between CPU and GPU");
    free(ec); free(eg);
    tu_rm_rf(tmp);
    free(c); free(g); free(tmp);
}

/* Without --quiet: the summary (with the fit) on stdout, and no progress
 * line since stderr is not a terminal. */
Test(cli_escape, summary_on_stdout)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "s");
    const char *args[] = { "escape", EST, "--device", "cpu", "--inits", "2", "--threads", "1", "--sweep", "radius=2:3:1", "--out", out,
                           NULL };
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect_not_null(strstr(r.out, "median 5 steps"), "%s", r.out);
    cr_expect_not_null(strstr(r.out, "growth"), "%s", r.out);
    cr_expect_eq(strlen(r.err), 0, "stderr not a terminal, yet: %s", r.err);
    tu_free_result(&r);
    tu_rm_rf(tmp);
    free(out); free(tmp);
}

Test(cli_escape, help_lists_flags)
{
    char *tmp = tu_tmpdir();
    const char *h[] = { "escape", "--help", NULL };
    tu_result r = tu_run(tmp, h);
    cr_expect_eq(r.status, 0);
    static const char *const flags[] = { "--dim", "--components", "--weights", "--inits", "--eta", "--algo",
                                         "--estimator", "--subspace", "--seed", "--device", "--precision",
                                         "--threads", "--out", "--quiet", "--config", "--radius", "--until",
                                         "--max-steps", "--sweep", "--radius-per-sqrt-dim", "--checkpoint-every",
                                         "--resume", "--init" };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        cr_expect_not_null(strstr(r.out, flags[i]), "escape --help lacks %s", flags[i]);
    cr_expect_not_null(strstr(r.out, "[exact]"), "default estimator is exact");
    tu_free_result(&r);
    tu_rm_rf(tmp);
    free(tmp);
}

/* ---- bad input: exit 2, one line naming the flag, nothing written ---------------------- */

#define ESCAPE_BAD_INPUT(name, needle, ...)                                                           \
    Test(cli_escape_bad_input, name)                                                                  \
    {                                                                                                 \
        char *tmp = tu_tmpdir();                                                                      \
        char *out = tu_path(tmp, "out");                                                              \
        const char *args[] = { "escape", EST, __VA_ARGS__, "--out", out, "--quiet", NULL };          \
        tu_expect_bad_input(tmp, out, args, needle);                                                  \
        cr_expect_not(tu_exists(out), "--out was created");                                           \
        tu_rm_rf(tmp);                                                                                \
        free(out);                                                                                    \
        free(tmp);                                                                                    \
    }

ESCAPE_BAD_INPUT(until_syntax, "--until", "--until", "dist<1")
ESCAPE_BAD_INPUT(until_negative, "--until", "--until", "dist<=-1")
ESCAPE_BAD_INPUT(max_steps_zero, "--max-steps", "--max-steps", "0")
ESCAPE_BAD_INPUT(radius_negative, "--radius", "--radius", "-2")
ESCAPE_BAD_INPUT(radius_and_init, "--radius", "--radius", "3", "--init", "far:1:3")
ESCAPE_BAD_INPUT(sweep_syntax, "--sweep", "--sweep", "radius=4:2")
ESCAPE_BAD_INPUT(sweep_backwards, "--sweep", "--sweep", "radius=4:2:1")
ESCAPE_BAD_INPUT(sweep_zero_step, "--sweep", "--sweep", "radius=2:4:0")
ESCAPE_BAD_INPUT(sweep_unknown, "--sweep", "--sweep", "eta=1:2:1")
ESCAPE_BAD_INPUT(sweep_bad_dim, "--sweep", "--sweep", "dim=2,0")
ESCAPE_BAD_INPUT(sweep_with_dim, "--dim", "--sweep", "dim=1,2", "--dim", "3")
ESCAPE_BAD_INPUT(sweep_with_radius, "--radius", "--sweep", "radius=2:3:1", "--radius", "3")
ESCAPE_BAD_INPUT(sweep_needs_far, "--init", "--sweep", "radius=2:3:1", "--init", "random:2")
ESCAPE_BAD_INPUT(rpsd_without_dim_sweep, "--radius-per-sqrt-dim", "--radius-per-sqrt-dim", "2")
ESCAPE_BAD_INPUT(rpsd_negative, "--radius-per-sqrt-dim", "--sweep", "dim=1,2", "--radius-per-sqrt-dim", "-1")
ESCAPE_BAD_INPUT(far_k_too_large, "--init", "--init", "far:3:2")
ESCAPE_BAD_INPUT(checkpoint_every_negative, "--checkpoint-every", "--checkpoint-every", "-1")
ESCAPE_BAD_INPUT(weights, "--weights", "--weights", "0.3,0.3")
ESCAPE_BAD_INPUT(components_zero, "--components", "--components", "0")
ESCAPE_BAD_INPUT(unknown_flag, "--steps", "--steps", "10")
ESCAPE_BAD_INPUT(resume_missing, "--resume", "--resume", "/nonexistent/ogem-escape")
ESCAPE_BAD_INPUT(resume_with_config, "--resume", "--resume", "/tmp", "--config", "/tmp")
ESCAPE_BAD_INPUT(config_unreadable, "--config", "--config", "/nonexistent/run.json")

/* --resume on a directory without a checkpoint (a completed run). */
Test(cli_escape_bad_input, resume_completed_run)
{
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a");
    const char *args[] = { "escape", FAST, "--radius", "2", "--max-steps", "50", "--out", a, NULL };
    tu_result r = tu_run(tmp, args);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_free_result(&r);
    const char *resume[] = { "escape", "--resume", a, NULL };
    r = tu_run(tmp, resume);
    cr_expect_eq(r.status, 2);
    cr_expect_not_null(strstr(r.err, "checkpoint.ogem"), "%s", r.err);
    cr_expect_eq(tu_count_lines(r.err), 1, "%s", r.err);
    tu_free_result(&r);
    tu_rm_rf(tmp);
    free(a); free(tmp);
}
