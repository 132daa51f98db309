/* test_outdir.c - output directories (util/outdir.h): a failed commit leaves
 * every file as it was, temporaries of killed runs are cleaned up, and a
 * second writer of the same directory is refused. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/outdir.h"
#include "cli_test_util.h" /* tu_tmpdir, tu_path, tu_spit, tu_slurp, tu_rm_rf, tu_exists */

static const char *const NAMES[3] = {"trajectory.csv", "aggregate.csv", "final.csv"};

/* Opens DIR and writes "new NAME\n" into each of the three names. */
static ogem_outdir *write_three(const char *dir)
{
    char msg[256] = "";
    ogem_outdir *o = ogem_outdir_open(dir, msg, sizeof msg);
    cr_assert_not_null(o, "%s", msg);
    for (int i = 0; i < 3; i++) {
        FILE *f = ogem_outdir_create(o, NAMES[i], msg, sizeof msg);
        cr_assert_not_null(f, "%s", msg);
        fprintf(f, "new %s\n", NAMES[i]);
    }
    return o;
}

/* Entries of dir whose name contains needle. */
static int count_entries(const char *dir, const char *needle)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += strstr(e->d_name, needle) != NULL;
    closedir(d);
    return n;
}

static void expect_content(const char *dir, const char *name, const char *want)
{
    char *p = tu_path(dir, name), *text = tu_slurp(p, NULL);
    if (!want) cr_expect_null(text, "%s exists", p);
    else cr_expect(text && strcmp(text, want) == 0, "%s holds [%s], expected [%s]", p, text ? text : "(none)", want);
    free(text);
    free(p);
}

/* The review's case: final.csv is a directory, trajectory.csv an old file.
 * Before, trajectory.csv and aggregate.csv were replaced and the commit
 * failed on final.csv. */
Test(outdir, directory_in_the_way_replaces_nothing)
{
    char *tmp = tu_tmpdir(), *fin = tu_path(tmp, "final.csv"), *traj = tu_path(tmp, "trajectory.csv");
    char msg[256] = "";
    ogem_outdir *o = write_three(tmp);
    cr_assert_eq(mkdir(fin, 0755), 0);   /* appears during the run */
    tu_spit(traj, "old\n");
    cr_expect_eq(ogem_outdir_commit(o, msg, sizeof msg), -1);
    cr_expect_not_null(strstr(msg, "final.csv': it is a directory"), "%s", msg);
    expect_content(tmp, "trajectory.csv", "old\n");
    expect_content(tmp, "aggregate.csv", NULL);
    cr_expect_eq(count_entries(tmp, ".tmp-") + count_entries(tmp, ".old-"), 0, "temporaries left");
    /* and create() reports it up front */
    o = ogem_outdir_open(tmp, msg, sizeof msg);
    cr_assert_not_null(o, "%s", msg);
    cr_expect_null(ogem_outdir_create(o, "final.csv", msg, sizeof msg));
    cr_expect_not_null(strstr(msg, "it is a directory"), "%s", msg);
    ogem_outdir_abort(o);
    tu_rm_rf(tmp);
    free(fin); free(traj); free(tmp);
}

static int renames_left;
static int failing_rename(const char *from, const char *to)
{
    if (renames_left-- == 0) { errno = EIO; return -1; }
    return rename(from, to);
}

/* The third rename fails: the two done are undone, old contents back. */
Test(outdir, failed_rename_is_rolled_back)
{
    char *tmp = tu_tmpdir();
    char msg[256] = "";
    for (int i = 0; i < 2; i++) {   /* trajectory and aggregate exist, final does not */
        char *p = tu_path(tmp, NAMES[i]);
        tu_spit(p, "old\n");
        free(p);
    }
    ogem_outdir *o = write_three(tmp);
    renames_left = 2;
    ogem_outdir_rename = failing_rename;
    int rc = ogem_outdir_commit(o, msg, sizeof msg);
    ogem_outdir_rename = rename;
    cr_expect_eq(rc, -1);
    cr_expect_not_null(strstr(msg, "previous files are back"), "%s", msg);
    expect_content(tmp, "trajectory.csv", "old\n");
    expect_content(tmp, "aggregate.csv", "old\n");
    expect_content(tmp, "final.csv", NULL);
    cr_expect_eq(count_entries(tmp, ".tmp-") + count_entries(tmp, ".old-"), 0, "temporaries left");
    /* and a commit that succeeds replaces all three, leaving no backup */
    o = write_three(tmp);
    cr_assert_eq(ogem_outdir_commit(o, msg, sizeof msg), 0, "%s", msg);
    expect_content(tmp, "trajectory.csv", "new trajectory.csv\n");
    expect_content(tmp, "final.csv", "new final.csv\n");
    cr_expect_eq(count_entries(tmp, ".tmp-") + count_entries(tmp, ".old-"), 0, "temporaries left");
    tu_rm_rf(tmp);
    free(tmp);
}

/* What kill -9 leaves: one temporary per file. The next writer removes the
 * ones of the names it writes, exactly that pattern, and nothing else. */
Test(outdir, stale_temporaries_are_removed)
{
    char *tmp = tu_tmpdir();
    static const char *const stale[] = {".trajectory.csv.tmp-Ab3dE9", ".final.csv.tmp-zzzzzz", ".final.csv.old-Q1w2e3"};
    static const char *const kept[] = {".escapes.csv.tmp-Ab3dE9", ".final.csv.tmp-abc", ".final.csv.tmp-abcdefg",
                                       ".final.csv.tmp-ab.def", "final.csv.tmp-abcdef", ".notes.tmp-abcdef"};
    for (size_t i = 0; i < sizeof stale / sizeof *stale; i++) {
        char *p = tu_path(tmp, stale[i]);
        tu_spit(p, "stale\n");
        free(p);
    }
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
        char *p = tu_path(tmp, kept[i]);
        tu_spit(p, "keep\n");
        free(p);
    }
    char msg[256] = "";
    ogem_outdir *o = write_three(tmp);
    for (size_t i = 0; i < sizeof stale / sizeof *stale; i++) {
        char *p = tu_path(tmp, stale[i]);
        cr_expect_not(tu_exists(p), "%s is still there", stale[i]);
        free(p);
    }
    cr_assert_eq(ogem_outdir_commit(o, msg, sizeof msg), 0, "%s", msg);
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
        char *p = tu_path(tmp, kept[i]);
        cr_expect(tu_exists(p), "%s was removed", kept[i]);
        free(p);
    }
    tu_rm_rf(tmp);
    free(tmp);
}

/* While one writer holds the directory, a second is refused (in this
 * process too: flock locks belong to the open file, not the process), and
 * the first writer's temporaries survive. */
Test(outdir, one_writer_at_a_time)
{
    char *tmp = tu_tmpdir();
    char msg[256] = "";
    ogem_outdir *a = write_three(tmp);
    cr_expect_null(ogem_outdir_open(tmp, msg, sizeof msg));
    cr_expect_not_null(strstr(msg, "another ogem process"), "%s", msg);
    cr_expect_eq(count_entries(tmp, ".tmp-"), 3);
    cr_assert_eq(ogem_outdir_commit(a, msg, sizeof msg), 0, "%s", msg);
    ogem_outdir *b = ogem_outdir_open(tmp, msg, sizeof msg);
    cr_expect_not_null(b, "the lock is released by commit: %s", msg);
    ogem_outdir_abort(b);
    tu_rm_rf(tmp);
    free(tmp);
}
