/*
 * test_faults.c - crash safety of checkpointing runs: `ogem run` and
 * `ogem escape --sweep` are killed with SIGKILL at pseudo-random moments (and,
 * in some trials, their first resume too), then continued with --resume until
 * they complete; the CSVs must be byte-identical to an uninterrupted run's and
 * --out must hold exactly the files of a completed run.
 *
 * The kill moments are fractions of the uninterrupted run's wall time, drawn
 * from a fixed seed (FAULT_SEED, or OGEM_FAULT_SEED=N in the environment to
 * try others): the same fractions on every machine, so a failure names its
 * seed, trial and moment and reruns with the same fractions, while a slower
 * machine (a sanitizer build, a busy CI runner) still gets its kills spread
 * over the whole run rather than bunched at its start (and a machine that
 * speeds up mid-test shrinks the time scale, see kill_until_done). A kill can land before the
 * first checkpoint (then nothing may be committed, and the run starts over),
 * while a checkpoint is being written, between the renames of the commit, or
 * after the run completed; each of these must end in the same bytes.
 *
 * Whether --resume also removes the `.NAME.tmp-XXXXXX` files a killed run
 * left behind is checked by its own tests (faults/no_stale_temporaries_*).
 */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <stdint.h>
#include <time.h>

#include "cli_test_util.h"

#define FAULT_SEED 0x6f67656d2d39ULL /* "ogem-9" (issue 9) */
#define KILLS_PER_COMMAND 12
#define CHECKPOINT "checkpoint.ogem" /* the name users see (ogem run --help) */

/* A command under test: its settings (without --out), the files a completed
 * run writes and, among them, the ones whose bytes must match (run.json and
 * summary.json hold timings and resume notes). */
typedef struct fault_cmd {
    const char *name;
    const char *const *flags;
    const char *const *outputs;
    const char *const *compared;
} fault_cmd;

/* ~0.6 s each on one core: small enough for the suite, long enough that a
 * few hundred checkpoints (every 9 or 7 steps) are written along the way. */
static const char *const run_flags[] = { "--dim", "2", "--components", "3", "--inits", "4", "--steps", "3000",
                                         "--estimator", "mc:1024", "--log", "every:10", "--trace-inits", "2",
                                         "--checkpoint-every", "9", "--device", "cpu", "--threads", "1", "--quiet",
                                         NULL };
static const char *const run_outputs[] = { "trajectory.csv", "aggregate.csv", "final.csv", "run.json", NULL };
static const char *const run_compared[] = { "trajectory.csv", "aggregate.csv", "final.csv", NULL };
static const fault_cmd run_cmd = { "run", run_flags, run_outputs, run_compared };

/* Radii 2..7 escape (5 to ~540 steps), radius 8 is censored at 3000 steps. */
static const char *const escape_flags[] = { "--estimator", "mc:256", "--inits", "4", "--sweep", "radius=2:8:1",
                                            "--max-steps", "3000", "--checkpoint-every", "7", "--device", "cpu",
                                            "--threads", "1", "--quiet", NULL };
static const char *const escape_outputs[] = { "escapes.csv", "sweep.csv", "summary.json", "run.json", NULL };
static const char *const escape_compared[] = { "escapes.csv", "sweep.csv", NULL };
static const fault_cmd escape_cmd = { "escape", escape_flags, escape_outputs, escape_compared };

/* ---- deterministic kill moments ---------------------------------------------------------- */

static uint64_t fault_seed(void)
{
    const char *env = getenv("OGEM_FAULT_SEED");
    return env && *env ? strtoull(env, NULL, 0) : FAULT_SEED;
}

/* splitmix64: a tiny generator whose stream depends on nothing but the seed. */
static uint64_t next_u64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double next_unit(uint64_t *state) { return (double)(next_u64(state) >> 11) * 0x1p-53; }

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

/* Sleeps up to ms while the child runs; the ms it took if it exited sooner
 * (left unreaped for tu_wait: WNOWAIT), else -1. */
static double sleep_unless_exited(pid_t pid, double ms)
{
    const struct timespec slice = { 0, 2 * 1000 * 1000 };
    double t0 = now_ms(), t;
    while ((t = now_ms() - t0) < ms) {
        siginfo_t info;
        info.si_pid = 0;
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) return t;
        nanosleep(&slice, NULL);
    }
    return -1;
}

/* ---- running the commands ------------------------------------------------------------------ */

/* `ogem CMD FLAGS... --out DIR`, or `ogem CMD --resume DIR --quiet`, in argv. */
static void fresh_args(const fault_cmd *c, const char *dir, const char **argv, int cap)
{
    int n = 0;
    argv[n++] = c->name;
    for (int i = 0; c->flags[i]; i++) {
        cr_assert_lt(n, cap - 3);
        argv[n++] = c->flags[i];
    }
    argv[n++] = "--out";
    argv[n++] = dir;
    argv[n] = NULL;
}

static void resume_args(const fault_cmd *c, const char *dir, const char **argv)
{
    argv[0] = c->name;
    argv[1] = "--resume";
    argv[2] = dir;
    argv[3] = "--quiet";
    argv[4] = NULL;
}

/* An uninterrupted run into DIR; returns its wall time in ms. */
static double reference_run(const char *tmp, const fault_cmd *c, const char *dir)
{
    const char *argv[64];
    fresh_args(c, dir, argv, 64);
    double t0 = now_ms();
    tu_result r = tu_run(tmp, argv);
    double ms = now_ms() - t0;
    cr_assert_eq(r.status, 0, "uninterrupted ogem %s: exit %d: %s", c->name, r.status, r.err);
    tu_free_result(&r);
    return ms;
}

static int in_list(const char *const *list, const char *name)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(list[i], name) == 0) return 1;
    return 0;
}

/* How many of the completed-run files exist in DIR. */
static int committed_outputs(const fault_cmd *c, const char *dir)
{
    int n = 0;
    for (int i = 0; c->outputs[i]; i++) {
        char *p = tu_path(dir, c->outputs[i]);
        n += tu_exists(p);
        free(p);
    }
    return n;
}

/* DIR holds exactly the files of a completed run (hidden temporaries aside,
 * which the no_stale_temporaries tests check): no checkpoint.ogem, no
 * checkpoint.ogem.tmp, nothing missing. */
static void expect_completed_files(const fault_cmd *c, const char *dir, const char *where)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s: %s missing", where, dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        cr_expect(in_list(c->outputs, e->d_name), "%s: unexpected %s/%s after the run completed", where, dir,
                  e->d_name);
    }
    closedir(d);
    for (int i = 0; c->outputs[i]; i++) {
        char *p = tu_path(dir, c->outputs[i]);
        cr_expect(tu_exists(p), "%s: %s missing after the run completed", where, p);
        free(p);
    }
}

typedef struct fault_stats {
    int resumes;       /* --resume runs started from a killed run's checkpoint */
    int restarts;      /* kills before any checkpoint: started over          */
    int done_anyway;   /* kills that came after the run had committed        */
} fault_stats;

/* One trial: start the run and kill it after fractions[0] of *scale_ms; kill
 * each continuation (a resume, or a fresh start if there was no checkpoint)
 * in turn after fractions[k] of what was left, until nkills kills are done;
 * then let the last one finish. A fresh run that finishes before its kill
 * shows that the machine got faster than *scale_ms: the scale shrinks to its
 * time, so that the next kills land inside the run again. */
static void kill_until_done(const char *tmp, const fault_cmd *c, const char *dir, const double *fractions, int nkills,
                            double *scale_ms, const char *where, fault_stats *st)
{
    double left = 1; /* the fraction of the run still to do, roughly */
    char *ck = tu_path(dir, CHECKPOINT), *js = tu_path(dir, "run.json");
    const char *argv[64];
    for (int k = 0;; k++) {
        int resume = tu_exists(ck);
        if (k > 0 && !resume) {
            if (tu_exists(js)) { /* the kill came after the commit: complete */
                st->done_anyway++;
                break;
            }
            /* Killed before the first checkpoint: nothing may be committed. */
            cr_assert_eq(committed_outputs(c, dir), 0,
                         "%s, kill %d: no checkpoint, yet some outputs were committed in %s", where, k, dir);
            st->restarts++;
        }
        if (resume) {
            resume_args(c, dir, argv);
            st->resumes++;
        } else {
            fresh_args(c, dir, argv, 64);
        }
        pid_t pid = tu_spawn(tmp, NULL, argv);
        if (k < nkills) {
            double early = sleep_unless_exited(pid, fractions[k] * left * *scale_ms);
            if (early < 0) kill(pid, SIGKILL);
            else if (!resume && early < *scale_ms) *scale_ms = early;
            left *= 1 - fractions[k];
        }
        tu_result r = tu_wait(tmp, pid);
        if (k < nkills) {
            cr_assert(r.status == 128 + SIGKILL || r.status == 0, "%s, kill %d (ogem %s%s): exit %d: %s", where, k,
                      c->name, resume ? " --resume" : "", r.status, r.err);
        } else {
            cr_assert_eq(r.status, 0, "%s: the final ogem %s%s: exit %d: %s", where, c->name,
                         resume ? " --resume" : "", r.status, r.err);
        }
        int finished = r.status == 0;
        tu_free_result(&r);
        if (finished && k < nkills) st->done_anyway++;
        if (finished) break;
    }
    free(ck);
    free(js);
}

static void kill_and_resume(const fault_cmd *c)
{
    const uint64_t seed = fault_seed();
    uint64_t rng = seed ^ (uint64_t)(unsigned char)c->name[0] << 56; /* one stream per command */
    char *tmp = tu_tmpdir(), *ref = tu_path(tmp, "ref"), *ref2 = tu_path(tmp, "ref2");
    /* Two uninterrupted runs: they must agree (else a difference below would
     * not be the kills' doing), and the faster one sets the time scale. */
    double ms = reference_run(tmp, c, ref), ms2 = reference_run(tmp, c, ref2);
    if (ms2 < ms) ms = ms2;
    for (int i = 0; c->compared[i]; i++)
        cr_assert(tu_same_in(ref, ref2, c->compared[i]), "two uninterrupted ogem %s runs differ in %s", c->name,
                  c->compared[i]);
    tu_rm_rf(ref2);

    fault_stats st = { 0, 0, 0 };
    for (int trial = 0; trial < KILLS_PER_COMMAND; trial++) {
        /* Half of the trials also kill the first continuation. */
        int nkills = 1 + (int)(next_u64(&rng) & 1);
        double fractions[2] = { next_unit(&rng), next_unit(&rng) };
        if (trial == 0) fractions[0] *= 0.01; /* usually before the first checkpoint: the restart path */
        char where[160], name[16];
        if (nkills == 1)
            snprintf(where, sizeof where, "ogem %s, seed %#llx, trial %d (kill at %.3f x %.0f ms)", c->name,
                     (unsigned long long)seed, trial, fractions[0], ms);
        else
            snprintf(where, sizeof where,
                     "ogem %s, seed %#llx, trial %d (kills at %.3f x %.0f ms, then %.3f of the rest)", c->name,
                     (unsigned long long)seed, trial, fractions[0], ms, fractions[1]);
        snprintf(name, sizeof name, "k%02d", trial);
        char *dir = tu_path(tmp, name);
        kill_until_done(tmp, c, dir, fractions, nkills, &ms, where, &st);
        for (int i = 0; c->compared[i]; i++)
            cr_expect(tu_same_in(ref, dir, c->compared[i]), "%s: %s differs from the uninterrupted run's", where,
                      c->compared[i]);
        expect_completed_files(c, dir, where);
        tu_rm_rf(dir);
        free(dir);
    }
    cr_log_info("ogem %s, seed %#llx: %d trials, %d resumes, %d restarts before a checkpoint, %d kills after the "
                "commit",
                c->name, (unsigned long long)seed, KILLS_PER_COMMAND, st.resumes, st.restarts, st.done_anyway);
    /* Else the kills all missed the checkpoints, and nothing was tested. */
    cr_expect_gt(st.resumes, 0, "ogem %s, seed %#llx: no kill left a checkpoint to resume from", c->name,
                 (unsigned long long)seed);
    tu_rm_rf(tmp);
    free(ref);
    free(ref2);
    free(tmp);
}

Test(faults, run_killed_then_resumed_is_byte_identical, .timeout = 300) { kill_and_resume(&run_cmd); }

Test(faults, escape_sweep_killed_then_resumed_is_byte_identical, .timeout = 300) { kill_and_resume(&escape_cmd); }

/* ---- leftovers of a kill ------------------------------------------------------------------ */

/* Hidden `.NAME.tmp-XXXXXX` entries (outdir.c's temporaries) in DIR. */
static int hidden_temporaries(const char *dir, char *first, size_t len)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.' || !strstr(e->d_name, ".tmp-")) continue;
        if (n++ == 0) snprintf(first, len, "%s", e->d_name);
    }
    closedir(d);
    return n;
}

/* SIGKILL just after the first checkpoint appeared (so the killed run's
 * temporaries are there), then --resume to completion: none may be left. */
static void stale_temporaries_removed(const fault_cmd *c)
{
    char *tmp = tu_tmpdir(), *dir = tu_path(tmp, "out"), *ck = tu_path(dir, CHECKPOINT);
    const char *argv[64];
    fresh_args(c, dir, argv, 64);
    pid_t pid = tu_spawn(tmp, NULL, argv);
    int seen = tu_wait_for_file(ck, 60);
    kill(pid, SIGKILL);
    tu_result r = tu_wait(tmp, pid);
    cr_assert(seen, "ogem %s: no checkpoint within 60 s: %s", c->name, r.err);
    cr_assert_eq(r.status, 128 + SIGKILL, "ogem %s finished before the kill (exit %d)", c->name, r.status);
    tu_free_result(&r);
    char first[256] = "";
    cr_assert_gt(hidden_temporaries(dir, first, sizeof first), 0, "the kill left no temporaries: nothing to test");

    resume_args(c, dir, argv);
    r = tu_run(tmp, argv);
    cr_assert_eq(r.status, 0, "ogem %s --resume: exit %d: %s", c->name, r.status, r.err);
    tu_free_result(&r);
    int left = hidden_temporaries(dir, first, sizeof first);
    cr_expect_eq(left, 0, "ogem %s --resume left %d temporaries of the killed run, e.g. %s", c->name, left, first);
    expect_completed_files(c, dir, c->name);
    free(ck);
    tu_rm_rf(tmp);
    free(dir);
    free(tmp);
}

Test(faults, no_stale_temporaries_after_run_resume, .timeout = 120) { stale_temporaries_removed(&run_cmd); }

Test(faults, no_stale_temporaries_after_escape_resume, .timeout = 120) { stale_temporaries_removed(&escape_cmd); }
