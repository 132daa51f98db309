/*
 * cli_test_util.h - helpers for the tests that run the built `ogem` binary
 * (OGEM_CLI_PATH) as a user would: temporary directories, spawning with
 * captured stdout/stderr and extra environment variables, reading files.
 *
 * Header-only (static inline), shared by test_cli.c and test_cli_escape.c.
 * Include after <criterion/criterion.h>, with _XOPEN_SOURCE 700 defined.
 *
 * Nothing outlives the test process. Criterion ends a test that passes its
 * .timeout by killing the process that runs it, so no code of the test runs
 * afterwards; instead, each test process starts one guard process (tu_guard)
 * the first time it makes a directory or a child. The guard reads what to
 * clean up from a pipe and, when the pipe reaches end-of-file (the test
 * process exited or was killed, by any signal), kills the process group of
 * every `ogem` child still running and removes every directory from
 * tu_tmpdir. Children run in their own process groups, so the guard's kill
 * reaches anything they start too. And tu_wait gives up on a child after
 * TU_CHILD_TIMEOUT_S seconds, kills its group and fails the test, for tests
 * that have no .timeout of their own.
 */
#ifndef OGEM_CLI_TEST_UTIL_H
#define OGEM_CLI_TEST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/json.h"

extern char **environ;

#ifndef TU_CHILD_TIMEOUT_S
#define TU_CHILD_TIMEOUT_S 600
#endif

/* ---- the guard ------------------------------------------------------------------
 * Protocol on the pipe, one record per line: "D PATH" (a directory to remove),
 * "P PID" (a child whose group to kill), "W PID" (that child was reaped: its
 * pid may be reused, forget it). The guard runs between fork and exit with
 * async-signal-safe calls only (read, kill, close, setsid, execve, _exit):
 * the test process may have threads, and after fork only the forking thread
 * exists, possibly with malloc's lock held by another. */

#define TU_GUARD_MAX_DIRS 64
#define TU_GUARD_MAX_PIDS 256

static int tu_guard_fd = -1;

static inline void tu_guard_main(int rd)
{
    static char dirs[TU_GUARD_MAX_DIRS][64];
    static long pids[TU_GUARD_MAX_PIDS];
    static char rec[256];
    int nd = 0, np = 0, len = 0;
    setsid();   /* out of the test's process group: a kill of that group spares us */
    for (int fd = 0; fd < 1024; fd++)
        if (fd != rd && fd != 2) close(fd);
    char c;
    for (;;) {
        ssize_t got = read(rd, &c, 1);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        if (c != '\n') {
            if (len < (int)sizeof rec - 1) rec[len++] = c;
            continue;
        }
        rec[len] = '\0';
        /* A pid for P and W records; D records carry a path, not a number. */
        long v = rec[0] == 'P' || rec[0] == 'W' ? strtol(rec + 2, NULL, 10) : 0;
        if (rec[0] == 'D' && nd < TU_GUARD_MAX_DIRS && len - 2 < 64) {
            for (int i = 2; i <= len; i++) dirs[nd][i - 2] = rec[i];
            nd++;
        } else if (rec[0] == 'P' && np < TU_GUARD_MAX_PIDS) {
            pids[np++] = v;
        } else if (rec[0] == 'W') {
            for (int i = 0; i < np; i++)
                if (pids[i] == v) pids[i] = 0;
        }
        len = 0;
    }
    for (int i = 0; i < np; i++)
        if (pids[i] > 0) kill((pid_t)-pids[i], SIGKILL);
    if (nd > 0) {
        static char *argv[TU_GUARD_MAX_DIRS + 3];
        static char rm[] = "rm", rf[] = "-rf";
        argv[0] = rm;
        argv[1] = rf;
        for (int i = 0; i < nd; i++) argv[2 + i] = dirs[i];
        argv[2 + nd] = NULL;
        static char *envp[] = { NULL };
        execve("/bin/rm", argv, envp);
    }
    _exit(0);
}

/* Sends one record to the guard, starting it first if need be. */
static inline void tu_guard_note(char kind, const char *text)
{
    if (tu_guard_fd < 0) {
        int p[2];
        cr_assert_eq(pipe(p), 0, "pipe: %s", strerror(errno));
        fflush(NULL);
        pid_t g = fork();
        cr_assert_geq(g, 0, "fork: %s", strerror(errno));
        if (g == 0) {
            close(p[1]);
            tu_guard_main(p[0]);
        }
        close(p[0]);
        /* Not inherited by the ogem children: only this process's end counts. */
        fcntl(p[1], F_SETFD, FD_CLOEXEC);
        tu_guard_fd = p[1];
    }
    char rec[256];
    int n = snprintf(rec, sizeof rec, "%c %s\n", kind, text);
    cr_assert(n > 0 && n < (int)sizeof rec);
    cr_assert_eq(write(tu_guard_fd, rec, (size_t)n), (ssize_t)n);
}

/* In a process forked from a test: forget the parent's guard, so that this
 * process gets one of its own and its death alone triggers the cleanup. */
static inline void tu_guard_reset(void)
{
    if (tu_guard_fd >= 0) close(tu_guard_fd);
    tu_guard_fd = -1;
}

static inline void tu_guard_pid(char kind, pid_t pid)
{
    char num[32];
    snprintf(num, sizeof num, "%ld", (long)pid);
    tu_guard_note(kind, num);
}

typedef struct tu_result {
    int status; /* exit code, or 128 + signal */
    char *out;  /* stdout */
    char *err;  /* stderr */
} tu_result;

static inline char *tu_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 12, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, 2 * cap + 1);
            if (!b) { free(buf); buf = NULL; break; }
            buf = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

static inline void tu_spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static inline char *tu_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static inline char *tu_tmpdir(void)
{
    char tmpl[] = "/tmp/ogem-cli-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    cr_assert_not_null(d, "mkdtemp failed");
    char *copy = malloc(strlen(d) + 1);
    strcpy(copy, d);
    tu_guard_note('D', copy);
    return copy;
}

static inline int tu_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path);
}

static inline void tu_rm_rf(const char *dir) { nftw(dir, tu_rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* Starts `ogem ARGS...` (NULL-terminated) with stdout/stderr going to files
 * in tmp and the extra environment entries env ("NAME=VALUE", NULL-terminated,
 * may be NULL), in a process group of its own that the guard knows about.
 * Returns the child's pid (= its process group). */
static inline pid_t tu_spawn(const char *tmp, const char *const *env, const char *const *args)
{
    const char *argv[96];
    int argc = 0;
    argv[argc++] = OGEM_CLI_PATH;
    for (int i = 0; args[i]; i++) {
        cr_assert_lt(argc, 95);
        argv[argc++] = args[i];
    }
    argv[argc] = NULL;
    const char *envp[512];
    int ne = 0;
    for (int i = 0; env && env[i]; i++) envp[ne++] = env[i];
    for (int i = 0; environ[i] && ne < 511; i++) envp[ne++] = environ[i];
    envp[ne] = NULL;

    char *out_path = tu_path(tmp, ".stdout"), *err_path = tu_path(tmp, ".stderr");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, OGEM_CLI_PATH, &fa, &at, (char *const *)argv, (char *const *)envp);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    free(out_path);
    free(err_path);
    cr_assert_eq(rc, 0, "cannot run %s: %s", OGEM_CLI_PATH, strerror(rc));
    tu_guard_pid('P', pid);
    return pid;
}

/* Reaps a child of tu_spawn, giving up after TU_CHILD_TIMEOUT_S: then its
 * process group is killed and the test fails. Returns the wait status. */
static inline int tu_reap(pid_t pid)
{
    int ws = 0;
    struct timespec ts = { 0, 5 * 1000 * 1000 };
    for (long waited_ms = 0;; waited_ms += 5) {
        pid_t got = waitpid(pid, &ws, WNOHANG);
        if (got == pid) break;
        cr_assert(got == 0 || (got < 0 && errno == EINTR), "waitpid: %s", strerror(errno));
        if (waited_ms >= TU_CHILD_TIMEOUT_S * 1000L) {
            kill(-pid, SIGKILL);
            waitpid(pid, &ws, 0);
            tu_guard_pid('W', pid);
            cr_assert_fail("ogem (pid %ld) did not finish within %d s; killed", (long)pid, TU_CHILD_TIMEOUT_S);
        }
        nanosleep(&ts, NULL);
    }
    tu_guard_pid('W', pid);
    return ws;
}

/* Waits for a child started by tu_spawn and collects its result. */
static inline tu_result tu_wait(const char *tmp, pid_t pid)
{
    int ws = tu_reap(pid);
    char *out_path = tu_path(tmp, ".stdout"), *err_path = tu_path(tmp, ".stderr");
    tu_result r;
    r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    r.out = tu_slurp(out_path, NULL);
    r.err = tu_slurp(err_path, NULL);
    unlink(out_path);
    unlink(err_path);
    free(out_path);
    free(err_path);
    if (!r.out) r.out = calloc(1, 1);
    if (!r.err) r.err = calloc(1, 1);
    return r;
}

static inline tu_result tu_run_env(const char *tmp, const char *const *env, const char *const *args)
{
    return tu_wait(tmp, tu_spawn(tmp, env, args));
}

static inline tu_result tu_run(const char *tmp, const char *const *args) { return tu_run_env(tmp, NULL, args); }

static inline void tu_free_result(tu_result *r)
{
    free(r->out);
    free(r->err);
}

static inline int tu_count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static inline int tu_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Entries of a directory other than . and .. (0 if it does not exist). */
static inline int tu_dir_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static inline int tu_same_file(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    char *x = tu_slurp(a, &la), *y = tu_slurp(b, &lb);
    int same = x && y && la == lb && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

/* Same bytes in NAME under both directories. */
static inline int tu_same_in(const char *a, const char *b, const char *name)
{
    char *pa = tu_path(a, name), *pb = tu_path(b, name);
    int same = tu_same_file(pa, pb);
    free(pa);
    free(pb);
    return same;
}

static inline int tu_file_lines(const char *path)
{
    char *text = tu_slurp(path, NULL);
    cr_assert_not_null(text, "%s missing", path);
    int n = tu_count_lines(text);
    free(text);
    return n;
}

static inline void tu_expect_header(const char *path, const char *header)
{
    char *text = tu_slurp(path, NULL);
    cr_assert_not_null(text, "%s missing", path);
    size_t n = strlen(header);
    cr_expect(strncmp(text, header, n) == 0 && text[n] == '\n', "%s: header is not '%s'", path, header);
    free(text);
}

static inline ogem_json *tu_load_json(const char *path)
{
    size_t len;
    char *text = tu_slurp(path, &len);
    cr_assert_not_null(text, "%s missing", path);
    ogem_json *root;
    char msg[256];
    cr_assert_eq(ogem_json_parse(text, len, &root, msg, sizeof msg), OGEM_OK, "%s: %s", path, msg);
    free(text);
    return root;
}

/* The contract for bad input: exit 2, exactly one non-empty line on stderr
 * (containing `needle` when given), no stdout, and nothing at `out`. */
static inline void tu_expect_bad_input(const char *tmp, const char *out, const char *const *args, const char *needle)
{
    tu_result r = tu_run(tmp, args);
    cr_expect_eq(r.status, 2, "exit %d, expected 2; stderr: %s", r.status, r.err);
    cr_expect_eq(tu_count_lines(r.err), 1, "expected one line on stderr, got: [%s]", r.err);
    cr_expect_gt(strlen(r.err), 12, "stderr too short: [%s]", r.err);
    if (needle) cr_expect_not_null(strstr(r.err, needle), "stderr lacks '%s': %s", needle, r.err);
    cr_expect_eq(strlen(r.out), 0, "unexpected stdout: %s", r.out);
    cr_expect_eq(tu_dir_entries(out), 0, "--out %s is not empty", out);
    tu_free_result(&r);
}

/* Polls for a file for up to `seconds`; 1 when it appeared. */
static inline int tu_wait_for_file(const char *path, double seconds)
{
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    for (double waited = 0; waited < seconds; waited += 0.01) {
        if (tu_exists(path)) return 1;
        nanosleep(&ts, NULL);
    }
    return tu_exists(path);
}

#endif /* OGEM_CLI_TEST_UTIL_H */
