/*
 * test_cli_hardening.c - the reliability review's reproductions, run through
 * the built `ogem` as a user would: sizes past the memory (D1), inf and NaN
 * (D6), a diverging exact run (D7), endless or binary input files (D8), a
 * commit that fails halfway (D2), temporaries of killed runs (D5), and a test
 * killed by its timeout (D12). Each failed before its fix.
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_test_util.h"
#include "ogem/ogem.h"

/* ---- D1: sizes ------------------------------------------------------------------ */

#define SIZE_TEST(name, spec)                                                                          \
    Test(cli_limits, name)                                                                             \
    {                                                                                                  \
        char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o");                                             \
        const char *args[] = { "run", "--device", "cpu", "--inits", "2", "--steps", "2", "--estimator", \
                               spec, "--out", out, NULL };                                             \
        tu_expect_bad_input(tmp, out, args, "--estimator: ");   /* the flag, mapped from "samples: " */ \
        tu_rm_rf(tmp);                                                                                 \
        free(out);                                                                                     \
        free(tmp);                                                                                     \
    }

/* Each crashed with SIGSEGV (heap overflow in the point buffers). */
SIZE_TEST(fixed_2_60, "fixed:1152921504606846976")
SIZE_TEST(qmc_2_60, "qmc:1152921504606846976")
SIZE_TEST(mc_2_61, "mc:2305843009213693952")
SIZE_TEST(mc_past_memory, "mc:200000000000")

/* A log set past the memory budget: every:1 with --steps 2^61 overflowed the
 * heap (the list's size wrapped), with 2^63 - 2 the size was a signed
 * overflow, and 2^40 asked for 8 TiB. */
Test(cli_limits, log_set_past_memory)
{
    static const char *const steps[] = { "2305843009213693952", "9223372036854775806", "1099511627776" };
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o");
    for (int i = 0; i < 3; i++) {
        const char *args[] = { "run", "--device", "cpu", "--inits", "2", "--steps", steps[i], "--log", "every:1",
                               "--out", out, NULL };
        tu_expect_bad_input(tmp, out, args, "--log: every:1 with --steps ");
        tu_expect_bad_input(tmp, out, args, "of memory");
    }
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

/* ---- D6, D7: numerical breakdown ------------------------------------------------- */

/* A failed run: exit 1, one line on stderr containing needle, no stdout, and
 * nothing written at out. */
static void expect_failure(const char *tmp, const char *out, const char *const *args, const char *needle)
{
    tu_result r = tu_run(tmp, args);
    cr_expect_eq(r.status, 1, "exit %d, expected 1; stderr: %s", r.status, r.err);
    cr_expect_eq(tu_count_lines(r.err), 1, "expected one line on stderr, got: [%s]", r.err);
    cr_expect_not_null(strstr(r.err, needle), "stderr lacks '%s': %s", needle, r.err);
    cr_expect_eq(strlen(r.out), 0, "unexpected stdout: %s", r.out);
    cr_expect_eq(tu_dir_entries(out), 0, "--out %s is not empty", out);
    tu_free_result(&r);
}

/* far:1:1e300 exited 0 with inf in every distance and -nan in aggregate.csv. */
Test(cli_numeric, means_too_far_are_refused)
{
    static const char *const est[] = { "exact", "mc:64", "qmc:64", "fixed:64" };
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o");
    for (int e = 0; e < 4; e++) {
        const char *args[] = { "run", "--device", "cpu", "--inits", "4", "--steps", "20", "--init", "far:1:1e300",
                               "--estimator", est[e], "--out", out, NULL };
        tu_expect_bad_input(tmp, out, args, "too far from mu*");
    }
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

Test(cli_numeric, overflowing_update_fails)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o");
    const char *args[] = { "run", "--device", "cpu", "--inits", "4", "--steps", "20", "--eta", "1e300",
                           "--estimator", "mc:64", "--out", out, NULL };
    expect_failure(tmp, out, args, "step 0: initialization 0: the update of component 0 is inf");
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

/* Both stopped at step 7 or 9 with exit 2 and "span 1 directions ... handles
 * at most 2". */
Test(cli_numeric, diverging_exact_run_and_escape)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o");
    const char *run[] = { "run", "--device", "cpu", "--inits", "4", "--steps", "20", "--eta", "100",
                          "--estimator", "exact", "--components", "2", "--out", out, NULL };
    expect_failure(tmp, out, run, "the iteration has diverged");
    const char *esc[] = { "escape", "--device", "cpu", "--eta", "100", "--radius", "5", "--out", out, NULL };
    expect_failure(tmp, out, esc, "the iteration has diverged");
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

/* ---- D8: unbounded reads ---------------------------------------------------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* data:/dev/zero grew to 2.25 GB in 9 s before "no data rows". */
Test(cli_input, dev_zero_data_and_init)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o");
    const char *data[] = { "run", "--device", "cpu", "--estimator", "data:/dev/zero", "--out", out, NULL };
    double t0 = now();
    tu_expect_bad_input(tmp, out, data, "/dev/zero:1: NUL byte: not a text file");
    cr_expect_lt(now() - t0, 5.0, "took %.1f s", now() - t0);
    const char *init[] = { "run", "--device", "cpu", "--init", "file:/dev/zero", "--out", out, NULL };
    tu_expect_bad_input(tmp, out, init, "/dev/zero:1: NUL byte: not a text file");
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

/* --config /dev/zero and compare on links to /dev/zero grew without bound
 * (cli_config.c's read_file, cli_compare.c's getline loop). */
Test(cli_input, dev_zero_config)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o");
    const char *args[] = { "run", "--config", "/dev/zero", "--out", out, NULL };
    tu_expect_bad_input(tmp, out, args, "/dev/zero:1: NUL byte: not a text file");
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

Test(cli_input, dev_zero_compare)
{
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a"), *b = tu_path(tmp, "b");
    const char *run[] = { "run", "--device", "cpu", "--inits", "2", "--steps", "2", "--quiet", "--out", a, NULL };
    tu_result r = tu_run(tmp, run);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_free_result(&r);
    cr_assert_eq(mkdir(b, 0755), 0);
    static const char *const names[] = { "trajectory.csv", "aggregate.csv", "final.csv" };
    for (int i = 0; i < 3; i++) {
        char *p = tu_path(b, names[i]);
        cr_assert_eq(symlink("/dev/zero", p), 0);
        free(p);
    }
    const char *cmp[] = { "compare", a, b, NULL };
    r = tu_run(tmp, cmp);
    cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
    cr_expect_not_null(strstr(r.err, "NUL byte: not a text file"), "%s", r.err);
    tu_free_result(&r);
    tu_rm_rf(tmp);
    free(a); free(b); free(tmp);
}

/* ---- D3, D11: one line naming the flag -------------------------------------------------- */

/* Under --device auto without a GPU the fallback notice came before the error:
 * two lines on stderr for one bad --out. */
Test(cli_lines, bad_out_under_device_auto_is_one_line)
{
    char *tmp = tu_tmpdir();
    const char *run[] = { "run", "--inits", "2", "--steps", "2", "--estimator", "mc:64", "--out", "/proc/x", NULL };
    tu_expect_bad_input(tmp, "/proc/x", run, "--out: ");
    const char *esc[] = { "escape", "--inits", "2", "--max-steps", "2", "--out", "/proc/x", NULL };
    tu_expect_bad_input(tmp, "/proc/x", esc, "--out: ");
    tu_rm_rf(tmp);
    free(tmp);
}

/* --device gpu without a GPU said "no usable CUDA device: ..." without naming
 * --device; float on the CPU and a span past exact's reach must name theirs. */
Test(cli_lines, refused_settings_name_their_flag)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o");
    if (ogem_gpu_count() < 1) {
        const char *gpu[] = { "run", "--device", "gpu", "--inits", "2", "--steps", "2", "--out", out, NULL };
        tu_expect_bad_input(tmp, out, gpu, "ogem run: --device: ");
        const char *esc[] = { "escape", "--device", "gpu", "--inits", "2", "--max-steps", "2", "--out", out, NULL };
        tu_expect_bad_input(tmp, out, esc, "ogem escape: --device: ");
        const char *fl[] = { "run", "--precision", "float", "--inits", "2", "--steps", "2", "--out", out, NULL };
        tu_expect_bad_input(tmp, out, fl, "ogem run: --precision: ");
    }
    const char *fl[] = { "run", "--device", "cpu", "--precision", "float", "--inits", "2", "--steps", "2",
                         "--out", out, NULL };
    tu_expect_bad_input(tmp, out, fl, "ogem run: --precision: ");
    const char *ex[] = { "run", "--device", "cpu", "--estimator", "exact", "--dim", "5", "--components", "4",
                         "--inits", "2", "--steps", "2", "--out", out, NULL };
    tu_expect_bad_input(tmp, out, ex, "ogem run: --estimator: ");
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

/* --no-plots with --plotter was accepted, and the plotter never checked. */
Test(cli_lines, paper_plotter_conflict_and_missing_plotter)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o");
    const char *both[] = { "paper", "--quick", "--no-plots", "--plotter", "nope.py", "--out", out, NULL };
    tu_expect_bad_input(tmp, out, both, "ogem paper: --plotter: cannot be combined with --no-plots");
    const char *gone[] = { "paper", "--quick", "--plotter", "nope.py", "--out", out, NULL };
    tu_expect_bad_input(tmp, out, gone, "ogem paper: --plotter: cannot read 'nope.py'");
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

/* ---- one number grammar ------------------------------------------------------------------ */

/* --eta 0x10 ran with eta 16 and --steps +3 with 3 steps, while --seed +1 was
 * refused: strtod and strtol's own grammars leaked through. */
Test(cli_numbers, one_grammar_for_every_number)
{
    static const struct { const char *flag, *value; } bad[] = {
        { "--eta", "0x10" },   { "--eta", "0x1p4" },      { "--eta", "+1" },        { "--eta", " 1" },
        { "--eta", "1 " },     { "--eta", "inf" },        { "--eta", "nan" },       { "--eta", "1e" },
        { "--steps", "+3" },   { "--steps", "0x3" },      { "--steps", " 3" },      { "--steps", "-0" },
        { "--steps", "3.0" },  { "--seed", "+1" },        { "--inits", "+2" },      { "--estimator", "mc:+64" },
        { "--estimator", "mc:0x40" }, { "--log", "every:+1" }, { "--mu-star", "+1" }, { "--weights", "geometric:0x1" },
    };
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o");
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char needle[64];
        snprintf(needle, sizeof needle, "ogem run: %s: ", bad[k].flag);
        const char *args[] = { "run", "--device", "cpu", bad[k].flag, bad[k].value, "--quiet", "--out", out, NULL };
        tu_expect_bad_input(tmp, out, args, needle);
    }
    /* what the grammar keeps: exponents with a sign (JSON writes 1e+300), a
     * point without digits on one side, a leading '-' where negatives go */
    static const struct { const char *flag, *value; } good[] = {
        { "--eta", "1e+0" }, { "--eta", ".5" }, { "--eta", "2." }, { "--eta", "5E-1" }, { "--mu-star", "-1.5" },
    };
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        const char *args[] = { "run", "--device", "cpu", "--inits", "2", "--steps", "2", "--estimator", "mc:64",
                               good[k].flag, good[k].value, "--quiet", "--out", out, NULL };
        tu_result r = tu_run(tmp, args);
        cr_expect_eq(r.status, 0, "%s %s: exit %d: %s", good[k].flag, good[k].value, r.status, r.err);
        tu_free_result(&r);
        tu_rm_rf(out);
    }
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

/* compare --ignore accepted a column no file has (a typo skips nothing). */
Test(cli_numbers, compare_ignore_names_a_column)
{
    char *tmp = tu_tmpdir(), *a = tu_path(tmp, "a");
    const char *run[] = { "run", "--device", "cpu", "--inits", "2", "--steps", "2", "--estimator", "mc:64", "--quiet",
                          "--out", a, NULL };
    tu_result r = tu_run(tmp, run);
    cr_assert_eq(r.status, 0, "%s", r.err);
    tu_free_result(&r);
    const char *typo[] = { "compare", a, a, "--ignore", "loss,los", NULL };
    r = tu_run(tmp, typo);
    cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
    cr_expect_eq(tu_count_lines(r.err), 1, "[%s]", r.err);
    cr_expect_not_null(strstr(r.err, "ogem compare: --ignore: 'los' is not a column"), "%s", r.err);
    cr_expect_eq(strlen(r.out), 0, "stdout: %s", r.out);
    tu_free_result(&r);
    /* a column of one of the files is enough (mu_1 is only in final.csv) */
    const char *known[] = { "compare", a, a, "--ignore", "loss,mu_1", NULL };
    r = tu_run(tmp, known);
    cr_expect_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    tu_free_result(&r);
    tu_rm_rf(tmp);
    free(a);
    free(tmp);
}

/* ---- D2, D5: output directories ----------------------------------------------------- */

/* Exited 1 after trajectory.csv and aggregate.csv had been replaced. */
Test(cli_outdir, directory_in_the_way_replaces_nothing)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o"), *fin = tu_path(out, "final.csv");
    char *traj = tu_path(out, "trajectory.csv"), *agg = tu_path(out, "aggregate.csv");
    cr_assert_eq(mkdir(out, 0755), 0);
    cr_assert_eq(mkdir(fin, 0755), 0);
    tu_spit(traj, "old\n");
    const char *args[] = { "run", "--device", "cpu", "--inits", "2", "--steps", "2", "--estimator", "mc:64",
                           "--out", out, NULL };
    tu_result r = tu_run(tmp, args);
    cr_expect_neq(r.status, 0, "%s", r.err);
    cr_expect_eq(tu_count_lines(r.err), 1, "%s", r.err);
    cr_expect_not_null(strstr(r.err, "it is a directory"), "%s", r.err);
    tu_free_result(&r);
    char *text = tu_slurp(traj, NULL);
    cr_expect(text && strcmp(text, "old\n") == 0, "trajectory.csv was replaced: %s", text ? text : "(gone)");
    free(text);
    cr_expect_not(tu_exists(agg), "aggregate.csv was written");
    cr_expect_eq(tu_dir_entries(out), 2, "only final.csv/ and trajectory.csv");
    tu_rm_rf(tmp);
    free(out); free(fin); free(traj); free(agg); free(tmp);
}

static int count_temporaries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += strstr(e->d_name, ".tmp-") != NULL;
    closedir(d);
    return n;
}

/* kill -9 leaves a temporary per output; neither a later run nor --resume
 * removed them. */
Test(cli_outdir, killed_runs_temporaries_are_removed, .timeout = 120)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o"), *ck = tu_path(out, "checkpoint.ogem");
    const char *args[] = { "run", "--device", "cpu", "--inits", "2", "--steps", "100000000", "--estimator", "mc:64",
                           "--checkpoint-every", "5", "--threads", "1", "--quiet", "--out", out, NULL };
    pid_t pid = tu_spawn(tmp, NULL, args);
    cr_assert(tu_wait_for_file(ck, 60), "no checkpoint within 60 s");
    kill(pid, SIGKILL);
    tu_result r = tu_wait(tmp, pid);
    tu_free_result(&r);
    cr_assert_eq(count_temporaries(out), 4, "kill -9 leaves the four temporaries");
    /* --resume, stopped (as by Ctrl-C) after 3 more steps: commits, and cleans */
    const char *resume[] = { "run", "--resume", out, "--quiet", NULL };
    const char *env[] = { "OGEM_TEST_STOP_AFTER_STEP=3", NULL };
    r = tu_run_env(tmp, env, resume);
    cr_expect_eq(r.status, 130, "exit %d: %s", r.status, r.err);
    tu_free_result(&r);
    cr_expect_eq(count_temporaries(out), 0, "--resume left temporaries");
    /* again killed, then a fresh run into the same directory */
    pid = tu_spawn(tmp, NULL, args);
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    for (int i = 0; i < 3000 && count_temporaries(out) < 4; i++) nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    r = tu_wait(tmp, pid);
    tu_free_result(&r);
    cr_assert_eq(count_temporaries(out), 4);
    const char *fresh[] = { "run", "--device", "cpu", "--inits", "2", "--steps", "2", "--quiet", "--out", out, NULL };
    r = tu_run(tmp, fresh);
    cr_expect_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    tu_free_result(&r);
    cr_expect_eq(count_temporaries(out), 0, "a later run left temporaries");
    tu_rm_rf(tmp);
    free(out); free(ck); free(tmp);
}

/* ---- D9: values in a checkpoint ---------------------------------------------------------- */

/* Offset in the blob of a checkpoint at which the command's payload starts:
 * "OGEMCLI1", then the command and run.json texts, each as u64 length + bytes. */
static size_t payload_offset(const ogem_checkpoint *ck)
{
    size_t pos = 8;
    for (int k = 0; k < 2; k++) {
        uint64_t n;
        cr_assert_leq(pos + sizeof n, ck->blob_len);
        memcpy(&n, (const unsigned char *)ck->blob + pos, sizeof n);
        pos += sizeof n + (size_t)n;
    }
    cr_assert_leq(pos, ck->blob_len);
    return pos;
}

/* Overwrites `len` bytes of the checkpoint's payload at `at` and writes the
 * file again: the checksum is the one the new contents have. */
static void forge(const char *path, size_t at, const void *bytes, size_t len)
{
    ogem_checkpoint ck;
    char msg[512];
    memset(&ck, 0, sizeof ck);
    cr_assert_eq(ogem_checkpoint_read(path, &ck, msg, sizeof msg), OGEM_OK, "%s", msg);
    size_t pos = payload_offset(&ck) + at;
    cr_assert_leq(pos + len, ck.blob_len);
    memcpy((unsigned char *)ck.blob + pos, bytes, len);
    cr_assert_eq(ogem_checkpoint_write(path, &ck, msg, sizeof msg), OGEM_OK, "%s", msg);
    ogem_checkpoint_free(&ck);
}

/* --resume DIR of a forged checkpoint: exit 2 and one line naming the file. */
static void expect_refused(const char *tmp, const char *cmd, const char *dir, const char *needle)
{
    const char *args[] = { cmd, "--resume", dir, "--quiet", NULL };
    tu_result r = tu_run(tmp, args);
    char *ck = tu_path(dir, "checkpoint.ogem"), want[512];
    snprintf(want, sizeof want, "ogem %s: --resume: %s: ", cmd, ck);
    cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
    cr_expect_eq(tu_count_lines(r.err), 1, "[%s]", r.err);
    cr_expect_not_null(strstr(r.err, want), "stderr lacks '%s': %s", want, r.err);
    cr_expect_not_null(strstr(r.err, needle), "stderr lacks '%s': %s", needle, r.err);
    cr_expect(tu_exists(ck), "the checkpoint is gone");
    tu_free_result(&r);
    free(ck);
}

/* Stops `args` after 3 steps, as Ctrl-C would: exit 130 and a checkpoint. */
static void interrupted(const char *tmp, const char *const *args, const char *dir)
{
    const char *env[] = { "OGEM_TEST_STOP_AFTER_STEP=3", NULL };
    tu_rm_rf(dir);
    tu_result r = tu_run_env(tmp, env, args);
    cr_assert_eq(r.status, 130, "exit %d: %s", r.status, r.err);
    tu_free_result(&r);
    char *ck = tu_path(dir, "checkpoint.ogem");
    cr_assert(tu_exists(ck));
    free(ck);
}

/* An escape step of 2^62 or -7 in a checkpoint whose checksum fits was
 * accepted and landed in escapes.csv and summary.json. */
Test(cli_resume, forged_escape_values_are_refused, .timeout = 60)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o");
    const char *args[] = { "escape", "--device", "cpu", "--inits", "4", "--max-steps", "1000", "--quiet",
                           "--out", out, NULL };
    /* the payload: grid point, G, R (u64 each), steps run per point (G = 1),
     * escape steps (R), losses (R doubles) */
    const size_t steps_at = 4 * 8, loss_at = steps_at + 4 * 8;
    const int64_t bad_steps[] = { (int64_t)1 << 62, -7, 1001 };
    char *ck = tu_path(out, "checkpoint.ogem");
    for (int k = 0; k < 3; k++) {
        interrupted(tmp, args, out);
        forge(ck, steps_at + 8, &bad_steps[k], sizeof bad_steps[k]);
        expect_refused(tmp, "escape", out, "initialization 1: escape step");
    }
    interrupted(tmp, args, out);
    const double inf = 1.0 / 0.0;
    forge(ck, loss_at, &inf, sizeof inf);
    expect_refused(tmp, "escape", out, "initialization 0: a loss of inf");
    const int64_t ran = 5000;
    interrupted(tmp, args, out);
    forge(ck, 3 * 8, &ran, sizeof ran);
    expect_refused(tmp, "escape", out, "5000 steps run");
    free(ck);
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

/* The logged rows travel in a run's checkpoint and were written back as they
 * were: a control byte, or a row of another step, went into trajectory.csv. */
Test(cli_resume, forged_run_rows_are_refused, .timeout = 60)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o");
    const char *args[] = { "run", "--device", "cpu", "--inits", "2", "--steps", "20", "--log", "every:1",
                           "--estimator", "mc:64", "--quiet", "--out", out, NULL };
    const char *header = "step,init,loss,max_dist,mean_dist2,update_norm\n";
    const size_t row0 = 8 + strlen(header); /* after the text's u64 length and its header */
    char *ck = tu_path(out, "checkpoint.ogem");
    interrupted(tmp, args, out);
    forge(ck, row0 + 4, "\x01", 1);
    expect_refused(tmp, "run", out, "trajectory.csv: a logged row holds a byte that is not text");
    interrupted(tmp, args, out);
    forge(ck, row0, "7", 1); /* step 0's first row said to be step 7's */
    expect_refused(tmp, "run", out, "trajectory.csv: a logged row is missing or is not of its step");
    free(ck);
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

/* ---- D4: signals during the final write ---------------------------------------------------- */

/* Bytes in DIR's temporary of name (".NAME.tmp-XXXXXX"), or -1 when none. */
static long long temporary_size(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    char prefix[128];
    snprintf(prefix, sizeof prefix, ".%s.tmp-", name);
    long long size = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && size < 0) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
        char *p = tu_path(dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0) size = (long long)st.st_size;
        free(p);
    }
    closedir(d);
    return size;
}

/* 1 once the child pid has exited; it stays to be reaped by tu_wait. */
static int exited(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
}

/* SIGTERM while final.csv was being written killed the process: no
 * checkpoint, four temporaries. The handlers now hold the signal until the
 * commit: complete results, no temporaries, exit 130 saying so. */
Test(cli_signals, sigterm_during_the_final_write, .timeout = 120)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "big"), *fin = tu_path(out, "final.csv");
    const char *args[] = { "run", "--inits", "20000", "--components", "10", "--dim", "20", "--steps", "0",
                           "--estimator", "mc:2", "--trace-inits", "20000", "--device", "cpu", "--quiet",
                           "--out", out, NULL };
    struct timespec ts = { 0, 1000 * 1000 };
    int caught = 0;
    tu_result r = { 0 };
    for (int attempt = 0; attempt < 3 && !caught; attempt++) {
        tu_rm_rf(out);
        pid_t pid = tu_spawn(tmp, NULL, args);
        /* final.csv's temporary exists from the start; it grows at the end */
        for (int i = 0; i < 60000 && !caught; i++) {
            if (temporary_size(out, "final.csv") > 0) caught = 1;
            else if (exited(pid)) break;
            else nanosleep(&ts, NULL);
        }
        if (caught) kill(pid, SIGTERM);
        r = tu_wait(tmp, pid);
        if (!caught) tu_free_result(&r);
    }
    cr_assert(caught, "never saw final.csv being written");
    cr_expect_eq(r.status, 130, "exit %d: %s", r.status, r.err);
    cr_expect_eq(tu_count_lines(r.err), 1, "[%s]", r.err);
    cr_expect_not_null(strstr(r.err, "SIGTERM during the final write: the run had completed"), "%s", r.err);
    tu_free_result(&r);
    cr_expect_eq(tu_file_lines(fin), 20000 * 10 + 1, "final.csv is incomplete");
    cr_expect_eq(count_temporaries(out), 0, "temporaries left");
    char *ck = tu_path(out, "checkpoint.ogem");
    cr_expect_not(tu_exists(ck), "a complete run keeps no checkpoint");
    free(ck);
    tu_rm_rf(tmp);
    free(out); free(fin); free(tmp);
}

/* `ogem paper` installed no handlers: SIGTERM left an empty --out. */
Test(cli_signals, paper_stops_cleanly, .timeout = 120)
{
    char *tmp = tu_tmpdir(), *out = tu_path(tmp, "p");
    const char *args[] = { "paper", "--quick", "--no-plots", "--device", "cpu", "--quiet", "--out", out, NULL };
    /* the test hook: a stop after 3 steps of the first series */
    const char *env[] = { "OGEM_TEST_STOP_AFTER_STEP=3", NULL };
    tu_result r = tu_run_env(tmp, env, args);
    cr_expect_eq(r.status, 130, "exit %d: %s", r.status, r.err);
    cr_expect_eq(tu_count_lines(r.err), 1, "[%s]", r.err);
    cr_expect_not_null(strstr(r.err, "ogem paper: interrupted (SIGINT): nothing was written"), "%s", r.err);
    tu_free_result(&r);
    cr_expect_not(tu_exists(out), "paper left %s behind", out);
    /* a real SIGTERM, once paper has made --out */
    pid_t pid = tu_spawn(tmp, NULL, args);
    cr_assert(tu_wait_for_file(out, 60), "no --out within 60 s");
    struct timespec ts = { 0, 200 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    kill(pid, SIGTERM);
    r = tu_wait(tmp, pid);
    cr_expect_eq(r.status, 130, "exit %d: %s", r.status, r.err);
    cr_expect_eq(tu_count_lines(r.err), 1, "[%s]", r.err);
    cr_expect_not_null(strstr(r.err, "interrupted (SIGTERM)"), "%s", r.err);
    tu_free_result(&r);
    cr_expect_not(tu_exists(out), "paper left %s behind", out);
    /* a directory that was there stays, without temporaries */
    cr_assert_eq(mkdir(out, 0755), 0);
    r = tu_run_env(tmp, env, args);
    cr_expect_eq(r.status, 130, "exit %d: %s", r.status, r.err);
    tu_free_result(&r);
    cr_expect(tu_exists(out));
    cr_expect_eq(tu_dir_entries(out), 0, "--out holds what paper left");
    tu_rm_rf(tmp);
    free(out);
    free(tmp);
}

/* ---- D12: a test killed by its timeout ------------------------------------------------ */

/* 1 while pid is a live process (not gone, not a zombie). */
static int alive(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] == ' ' && close_paren[2] != 'Z' && close_paren[2] != 'X';
}

/* A stand-in for a test process: makes a directory, starts a long ogem, and
 * is then killed with SIGKILL as Criterion kills a test past its .timeout.
 * The ogem child used to run on and the directory to stay. */
Test(cli_guard, killed_test_leaves_nothing_behind, .timeout = 60)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    fflush(NULL);
    pid_t w = fork();
    cr_assert_geq(w, 0);
    if (w == 0) {
        close(p[0]);
        tu_guard_reset();
        char *tmp = tu_tmpdir(), *out = tu_path(tmp, "o");
        const char *args[] = { "run", "--device", "cpu", "--inits", "1", "--steps", "1000000000", "--estimator",
                               "exact", "--quiet", "--out", out, NULL };
        pid_t c = tu_spawn(tmp, NULL, args);
        char line[256];
        int n = snprintf(line, sizeof line, "%ld %s\n", (long)c, tmp);
        if (write(p[1], line, (size_t)n) != n) _exit(3);
        for (;;) pause();
    }
    close(p[1]);
    char line[256] = "";
    size_t n = 0;
    /* up to the newline: the stand-in keeps its end of the pipe open */
    while (n < sizeof line - 1 && (n == 0 || line[n - 1] != '\n') && read(p[0], line + n, 1) == 1) n++;
    close(p[0]);
    long c = 0;
    char dir[200] = "";
    cr_assert_eq(sscanf(line, "%ld %199s", &c, dir), 2, "from the stand-in: [%s]", line);
    cr_assert(alive((pid_t)c), "ogem is running");
    cr_assert(tu_exists(dir));
    kill(w, SIGKILL);
    waitpid(w, NULL, 0);
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    for (int i = 0; i < 500 && (alive((pid_t)c) || tu_exists(dir)); i++) nanosleep(&ts, NULL);
    int still = alive((pid_t)c), kept = tu_exists(dir);
    if (still) kill((pid_t)c, SIGKILL);   /* do not leave it behind ourselves */
    if (kept) tu_rm_rf(dir);
    cr_expect_not(still, "ogem (pid %ld) still runs after its test was killed", c);
    cr_expect_not(kept, "%s remains after its test was killed", dir);
}
