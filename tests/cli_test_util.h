/*
 * cli_test_util.h - helpers for the tests that run the built `ogem` binary
 * (OGEM_CLI_PATH) as a user would: temporary directories, spawning with
 * captured stdout/stderr and extra environment variables, reading files.
 *
 * Header-only (static inline), shared by test_cli.c and test_cli_escape.c.
 * Include after <criterion/criterion.h>, with _XOPEN_SOURCE 700 defined.
 */
#ifndef OGEM_CLI_TEST_UTIL_H
#define OGEM_CLI_TEST_UTIL_H

#include <dirent.h>
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
 * may be NULL). Returns the child's pid. */
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
    pid_t pid;
    int rc = posix_spawn(&pid, OGEM_CLI_PATH, &fa, NULL, (char *const *)argv, (char *const *)envp);
    posix_spawn_file_actions_destroy(&fa);
    free(out_path);
    free(err_path);
    cr_assert_eq(rc, 0, "cannot run %s: %s", OGEM_CLI_PATH, strerror(rc));
    return pid;
}

/* Waits for a child started by tu_spawn and collects its result. */
static inline tu_result tu_wait(const char *tmp, pid_t pid)
{
    int ws;
    cr_assert_eq(waitpid(pid, &ws, 0), pid);
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
