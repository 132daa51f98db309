/*
 * test_compare.c - `ogem compare DIR_A DIR_B`, run as a user would: the built
 * binary (OGEM_CLI_PATH) on run directories written here.
 *   identical dirs -> 0; a perturbed value -> 1 naming file, line and column;
 *   within --rtol -> 0; a missing file or directory -> 2 with one stderr line;
 *   and two real `ogem run`s of one config (CPU) compare equal.
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

typedef struct cmp_result {
    int status;
    char out[8192], err[8192];
} cmp_result;

static void read_into(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f) return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f, "cannot write %s", p);
    fputs(text, f);
    fclose(f);
}

static char *tmpdir(void)
{
    char tmpl[] = "/tmp/ogem-compare-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    cr_assert_not_null(d);
    return strdup(d);
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void rm_tree(const char *d) { nftw(d, rm_one, 16, FTW_DEPTH | FTW_PHYS); }

/* Runs `ogem ARGS...` (NULL-terminated) with stdout/stderr captured in work. */
static cmp_result run_ogem(const char *work, const char *const *args)
{
    cmp_result r;
    char outp[1024], errp[1024];
    snprintf(outp, sizeof outp, "%s/stdout.txt", work);
    snprintf(errp, sizeof errp, "%s/stderr.txt", work);
    const char *argv[32];
    int n = 0;
    argv[n++] = OGEM_CLI_PATH;
    for (; args[n - 1] && n < 31; n++) argv[n] = args[n - 1];
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int rc = posix_spawn(&pid, OGEM_CLI_PATH, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    cr_assert_eq(rc, 0, "cannot start %s", OGEM_CLI_PATH);
    int st = 0;
    waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    read_into(outp, r.out, sizeof r.out);
    read_into(errp, r.err, sizeof r.err);
    return r;
}

static const char *TRAJ = "step,init,loss,max_dist,mean_dist2,update_norm\n"
                          "0,0,0.5,1.25,0.75,0.125\n"
                          "0,1,0.25,2.5,1.5,0.0625\n"
                          "1,0,0.375,1.125,0.5,0.0999999999999999\n"
                          "1,1,0.1875,2.25,1.25,0.05\n";
static const char *AGG = "step,loss_min,loss_max\n0,0.25,0.5\n1,0.1875,0.375\n";
static const char *FINAL = "init,component,mu_1,mu_2\n0,0,1.5,-0.5\n0,1,nan,inf\n";

static void make_run_dir(const char *dir, const char *traj, const char *agg, const char *fin)
{
    mkdir(dir, 0755);
    if (traj) write_file(dir, "trajectory.csv", traj);
    if (agg) write_file(dir, "aggregate.csv", agg);
    if (fin) write_file(dir, "final.csv", fin);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

Test(compare, identical_dirs_agree)
{
    char *w = tmpdir(), a[1024], b[1024];
    snprintf(a, sizeof a, "%s/a", w);
    snprintf(b, sizeof b, "%s/b", w);
    make_run_dir(a, TRAJ, AGG, FINAL);
    make_run_dir(b, TRAJ, AGG, FINAL);
    const char *args[] = {"compare", a, b, NULL};
    cmp_result r = run_ogem(w, args);
    cr_assert_eq(r.status, 0, "stdout: %s stderr: %s", r.out, r.err);
    cr_assert_str_empty(r.err);
    rm_tree(w);
    free(w);
}

Test(compare, perturbed_value_names_file_line_column)
{
    char *w = tmpdir(), a[1024], b[1024];
    snprintf(a, sizeof a, "%s/a", w);
    snprintf(b, sizeof b, "%s/b", w);
    make_run_dir(a, TRAJ, AGG, FINAL);
    char *t2 = strdup(TRAJ);
    char *p = strstr(t2, "0.375,1.125"); /* line 4, column loss */
    cr_assert_not_null(p);
    p[4] = '6';                          /* 0.375 -> 0.376 */
    make_run_dir(b, t2, AGG, FINAL);
    const char *args[] = {"compare", a, b, NULL};
    cmp_result r = run_ogem(w, args);
    cr_assert_eq(r.status, 1, "stdout: %s stderr: %s", r.out, r.err);
    cr_assert(strstr(r.out, "trajectory.csv line 4") != NULL, "names the file and line: %s", r.out);
    cr_assert(strstr(r.out, "column loss") != NULL, "names the column: %s", r.out);

    /* within a loose tolerance it agrees */
    const char *args2[] = {"compare", a, b, "--rtol", "1e-2", NULL};
    r = run_ogem(w, args2);
    cr_assert_eq(r.status, 0, "rtol 1e-2: %s %s", r.out, r.err);
    /* or when the column is ignored */
    const char *args3[] = {"compare", a, b, "--ignore=loss", NULL};
    r = run_ogem(w, args3);
    cr_assert_eq(r.status, 0, "--ignore loss: %s %s", r.out, r.err);
    free(t2);
    rm_tree(w);
    free(w);
}

Test(compare, structural_differences)
{
    char *w = tmpdir(), a[1024], b[1024];
    snprintf(a, sizeof a, "%s/a", w);
    snprintf(b, sizeof b, "%s/b", w);
    make_run_dir(a, TRAJ, AGG, FINAL);
    /* a missing row, a changed header, a NaN turned into a number */
    char *t2 = strdup(TRAJ);
    t2[strlen(t2) - 1] = '\0';
    strrchr(t2, '\n')[1] = '\0'; /* drop the last row */
    make_run_dir(b, t2, "step,loss_min,loss_MAX\n0,0.25,0.5\n1,0.1875,0.375\n",
                 "init,component,mu_1,mu_2\n0,0,1.5,-0.5\n0,1,1.0,inf\n");
    const char *args[] = {"compare", a, b, NULL};
    cmp_result r = run_ogem(w, args);
    cr_assert_eq(r.status, 1, "%s %s", r.out, r.err);
    cr_assert(strstr(r.out, "trajectory.csv line 5") != NULL, "missing row named: %s", r.out);
    cr_assert(strstr(r.out, "aggregate.csv line 1") != NULL, "header difference named: %s", r.out);
    cr_assert(strstr(r.out, "final.csv line 3, column mu_1") != NULL, "NaN vs number named: %s", r.out);
    free(t2);
    rm_tree(w);
    free(w);
}

Test(compare, bad_input_exits_2)
{
    char *w = tmpdir(), a[1024], b[1024], nodir[1024];
    snprintf(a, sizeof a, "%s/a", w);
    snprintf(b, sizeof b, "%s/b", w);
    snprintf(nodir, sizeof nodir, "%s/nope", w);
    make_run_dir(a, TRAJ, AGG, FINAL);
    make_run_dir(b, TRAJ, AGG, NULL); /* final.csv missing */
    const char *args[] = {"compare", a, b, NULL};
    cmp_result r = run_ogem(w, args);
    cr_assert_eq(r.status, 2, "%s %s", r.out, r.err);
    cr_assert(strstr(r.err, "final.csv") != NULL, "names the missing file: %s", r.err);
    cr_assert_eq(count_lines(r.err), 1, "one line on stderr: %s", r.err);

    const char *args2[] = {"compare", a, nodir, NULL};
    r = run_ogem(w, args2);
    cr_assert_eq(r.status, 2);
    cr_assert_eq(count_lines(r.err), 1, "one line on stderr: %s", r.err);

    const char *args3[] = {"compare", a, NULL};
    r = run_ogem(w, args3);
    cr_assert_eq(r.status, 2);
    const char *args4[] = {"compare", a, a, "--rtol", "abc", NULL};
    r = run_ogem(w, args4);
    cr_assert_eq(r.status, 2);
    cr_assert_eq(count_lines(r.err), 1, "one line on stderr: %s", r.err);
    rm_tree(w);
    free(w);
}

/* Two CPU runs of one config agree exactly; `ogem info` prints build settings. */
Test(compare, real_runs_and_info, .timeout = 120)
{
    char *w = tmpdir(), a[1024], b[1024];
    snprintf(a, sizeof a, "%s/a", w);
    snprintf(b, sizeof b, "%s/b", w);
    const char *run_a[] = {"run", "--dim", "3", "--components", "2", "--inits", "4", "--steps", "5",
                           "--estimator", "mc:256", "--device", "cpu", "--threads", "1", "--quiet", "--out", a, NULL};
    cmp_result r = run_ogem(w, run_a);
    cr_assert_eq(r.status, 0, "run a: %s", r.err);
    const char *run_b[] = {"run", "--dim", "3", "--components", "2", "--inits", "4", "--steps", "5",
                           "--estimator", "mc:256", "--device", "cpu", "--threads", "2", "--quiet", "--out", b, NULL};
    r = run_ogem(w, run_b);
    cr_assert_eq(r.status, 0, "run b: %s", r.err);
    const char *cmp[] = {"compare", a, b, "--rtol", "0", "--atol", "0", NULL};
    r = run_ogem(w, cmp);
    cr_assert_eq(r.status, 0, "identical configs differ: %s %s", r.out, r.err);

    const char *info[] = {"info", NULL};
    r = run_ogem(w, info);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "CUDA backend") != NULL, "info: %s", r.out);
    cr_assert(strstr(r.out, "usable GPUs") != NULL, "info: %s", r.out);
    rm_tree(w);
    free(w);
}
