/*
 * cli_compare.c - `ogem compare DIR_A DIR_B [--rtol R] [--atol A]`.
 *
 * Compares the CSV outputs of two runs (trajectory.csv, aggregate.csv,
 * final.csv by default): the same header, the same number of rows, and field
 * by field either the same text or two numbers a, b with
 *     |a - b| <= atol + rtol * |b|
 * (two NaNs agree; an infinity agrees only with the same infinity). This is
 * what a CI host with a GPU runs after a CPU run and a GPU run of one config.
 *
 * Exit status: 0 all files agree; 1 a difference (for each differing file the
 * first difference is named: file, line, column - and the number of differing
 * fields); 2 bad input (a missing directory or file, a bad flag: one line on
 * stderr).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/cli_compare.h"
#include "cli/cli_args.h"
#include "util/text_read.h"

enum { F_RTOL, F_ATOL, F_FILES, F_IGNORE, F_COUNT };

static const cli_flag flags[F_COUNT] = {
    [F_RTOL] = { "--rtol", CLI_FLAG_VALUE, "R", "1e-9", "relative tolerance (against DIR_B's value)" },
    [F_ATOL] = { "--atol", CLI_FLAG_VALUE, "A", "1e-12", "absolute tolerance" },
    [F_FILES] = { "--files", CLI_FLAG_VALUE, "LIST", "trajectory.csv,aggregate.csv,final.csv",
                  "comma-separated CSV files to compare" },
    [F_IGNORE] = { "--ignore", CLI_FLAG_VALUE, "COLS", NULL,
                   "comma-separated column names not to compare (each a column of a compared file)" },
};

static const char *CMD = "compare";

/* One CSV line split in place at commas; fields point into the line. */
typedef struct csv_row {
    char **f;
    int n, cap;
} csv_row;

static int split(char *line, csv_row *row)
{
    size_t len = strlen(line);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
    row->n = 0;
    char *p = line;
    for (;;) {
        if (row->n == row->cap) {
            int cap = row->cap ? 2 * row->cap : 16;
            char **f = realloc(row->f, sizeof(char *) * (size_t)cap);
            if (!f) return -1;
            row->f = f;
            row->cap = cap;
        }
        row->f[row->n++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = '\0';
        p = c + 1;
    }
    return 0;
}

static int parse_number(const char *s, double *v)
{
    if (!*s) return 0;
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *end == '\0';
}

static int fields_agree(const char *a, const char *b, double rtol, double atol)
{
    if (strcmp(a, b) == 0) return 1;
    double x, y;
    if (!parse_number(a, &x) || !parse_number(b, &y)) return 0;
    if (isnan(x) || isnan(y)) return isnan(x) && isnan(y);
    if (isinf(x) || isinf(y)) return x == y;
    return fabs(x - y) <= atol + rtol * fabs(y);
}

static int in_list(const char *name, const char *list)
{
    if (!list) return 0;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) return 1;
        if (!c) break;
        p = c + 1;
    }
    return 0;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Each --ignore name must be a column of one of the files compared (in
 * DIR_A's headers): a misspelt name would otherwise compare what it was meant
 * to skip, or skip nothing, silently. 0, or 2 with the one line printed. A
 * file that cannot be read is left to the comparison to report. */
static int check_ignore(const char *da, char *const *file, int nfiles, const char *ignore)
{
    if (!ignore) return 0;
    for (const char *p = ignore;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        int found = 0;
        for (int i = 0; !found && len > 0 && i < nfiles; i++) {
            char path[4096], msg[512], *line;
            size_t n;
            ogem_status st;
            ogem_text_reader rd;
            snprintf(path, sizeof path, "%s/%s", da, file[i]);
            if (ogem_text_open(&rd, path, 0, msg, sizeof msg) != OGEM_OK) continue;
            if (ogem_text_next(&rd, &line, &n, &st, msg, sizeof msg) == 1) {
                csv_row head = { 0 };
                if (split(line, &head) == 0)
                    for (int k = 0; !found && k < head.n; k++)
                        found = strlen(head.f[k]) == len && strncmp(head.f[k], p, len) == 0;
                free(head.f);
            }
            ogem_text_close(&rd);
        }
        if (!found) {
            cli_error(CMD, "--ignore: '%.*s' is not a column of any compared file", (int)len, p);
            return 2;
        }
        if (!c) return 0;
        p = c + 1;
    }
}

/* Compares one file. Returns 0 (agree), 1 (differ: reported on stdout), 2 (bad input: stderr). */
static int compare_file(const char *da, const char *db, const char *name, double rtol, double atol,
                        const char *ignore)
{
    char pa[4096], pb[4096];
    snprintf(pa, sizeof pa, "%s/%s", da, name);
    snprintf(pb, sizeof pb, "%s/%s", db, name);
    /* Bounded line readers (text_read.h): /dev/zero or a binary file is a
     * one-line error, not a line that grows until memory runs out. */
    char msg[512];
    ogem_text_reader fa, fb;
    if (ogem_text_open(&fa, pa, 0, msg, sizeof msg) != OGEM_OK) {
        cli_error(CMD, "%s", msg);
        return 2;
    }
    if (ogem_text_open(&fb, pb, 0, msg, sizeof msg) != OGEM_OK) {
        cli_error(CMD, "%s", msg);
        ogem_text_close(&fa);
        return 2;
    }
    char *la = NULL, *lb = NULL, *header = NULL;
    csv_row ra = {0}, rb = {0}, head = {0};
    long line = 0, ndiff = 0;
    int status = 0;
    for (;;) {
        size_t len;
        ogem_status st;
        int na = ogem_text_next(&fa, &la, &len, &st, msg, sizeof msg);
        int nb = na < 0 ? 0 : ogem_text_next(&fb, &lb, &len, &st, msg, sizeof msg);
        line++;
        if (na < 0 || nb < 0) {
            cli_error(CMD, "%s", msg);
            status = 2;
            break;
        }
        if (na == 0 && nb == 0) break;
        if (na == 0 || nb == 0) {
            printf("%s line %ld: %s ends at line %ld, %s has more rows\n", name, line, na == 0 ? "DIR_A" : "DIR_B",
                   line - 1, na == 0 ? "DIR_B" : "DIR_A");
            status = 1;
            ndiff++;
            break;
        }
        if (split(la, &ra) || split(lb, &rb)) {
            cli_error(CMD, "out of memory reading %s", name);
            status = 2;
            break;
        }
        if (line == 1) {
            /* the header: must be identical */
            int same = ra.n == rb.n;
            for (int i = 0; same && i < ra.n; i++) same = strcmp(ra.f[i], rb.f[i]) == 0;
            if (!same) {
                printf("%s line 1: the headers differ (%d vs %d columns)\n", name, ra.n, rb.n);
                status = 1;
                ndiff++;
                break;
            }
            /* keep the column names */
            size_t total = 0;
            for (int i = 0; i < ra.n; i++) total += strlen(ra.f[i]) + 1;
            header = malloc(total ? total : 1);
            head.f = malloc(sizeof(char *) * (size_t)(ra.n ? ra.n : 1));
            if (!header || !head.f) {
                cli_error(CMD, "out of memory reading %s", name);
                status = 2;
                break;
            }
            char *p = header;
            for (int i = 0; i < ra.n; i++) {
                size_t l = strlen(ra.f[i]);
                memcpy(p, ra.f[i], l + 1);
                head.f[i] = p;
                p += l + 1;
            }
            head.n = head.cap = ra.n;
            continue;
        }
        if (ra.n != rb.n || ra.n != head.n) {
            if (!status)
                printf("%s line %ld: %d fields in DIR_A, %d in DIR_B (header has %d)\n", name, line, ra.n, rb.n,
                       head.n);
            status = 1;
            ndiff++;
            continue;
        }
        for (int i = 0; i < ra.n; i++) {
            if (in_list(head.f[i], ignore)) continue;
            if (fields_agree(ra.f[i], rb.f[i], rtol, atol)) continue;
            if (!status) {
                double x, y;
                if (parse_number(ra.f[i], &x) && parse_number(rb.f[i], &y))
                    printf("%s line %ld, column %s (#%d): %s vs %s (|diff| %.3g > %.3g)\n", name, line, head.f[i],
                           i + 1, ra.f[i], rb.f[i], fabs(x - y), atol + rtol * fabs(y));
                else
                    printf("%s line %ld, column %s (#%d): '%s' vs '%s'\n", name, line, head.f[i], i + 1, ra.f[i],
                           rb.f[i]);
            }
            status = 1;
            ndiff++;
        }
    }
    if (status == 1 && ndiff > 1) printf("%s: %ld differing fields or rows in all\n", name, ndiff);
    free(ra.f);
    free(rb.f);
    free(head.f);
    free(header);
    ogem_text_close(&fa);
    ogem_text_close(&fb);
    return status;
}

int cli_compare_main(int argc, char **argv)
{
    /* the two directories are the positional arguments; the rest are flags */
    const char *dirs[2] = { NULL, NULL };
    int nd = 0;
    char **fargv = malloc(sizeof(char *) * (size_t)(argc + 1));
    if (!fargv) {
        cli_error(CMD, "out of memory");
        return CLI_EXIT_FAILURE;
    }
    int fargc = 0;
    fargv[fargc++] = argv[0];
    for (int a = 1; a < argc; a++) {
        const char *s = argv[a];
        if (strncmp(s, "--", 2) == 0 || strcmp(s, "-h") == 0) {
            fargv[fargc++] = argv[a];
            /* a value flag given as "--flag VALUE" takes the next word */
            const char *eq = strchr(s, '=');
            if (!eq) {
                int idx = cli_flag_index(flags, F_COUNT, s);
                if (idx >= 0 && flags[idx].kind == CLI_FLAG_VALUE && a + 1 < argc) fargv[fargc++] = argv[++a];
            }
        } else if (nd < 2) {
            dirs[nd++] = s;
        } else {
            cli_error(CMD, "unexpected argument '%s' (usage: ogem compare DIR_A DIR_B [--rtol R] [--atol A])", s);
            free(fargv);
            return CLI_EXIT_USAGE;
        }
    }
    fargv[fargc] = NULL;
    const char *value[F_COUNT];
    unsigned char given[F_COUNT];
    int pr = cli_parse_flags(CMD, flags, F_COUNT, fargc, fargv, value, given);
    free(fargv);
    if (pr == CLI_PARSE_HELP) {
        cli_print_help(stdout, "ogem compare DIR_A DIR_B [--rtol R] [--atol A] [--files LIST] [--ignore COLS]",
                       "Compares the CSV outputs of two runs: same headers, same rows, and numbers within\n"
                       "atol + rtol * |value in DIR_B|. Exits 0 when they agree, 1 naming the first\n"
                       "difference of each differing file (line and column), 2 on bad input.",
                       flags, F_COUNT, NULL);
        return CLI_EXIT_OK;
    }
    if (pr != CLI_PARSE_OK) return CLI_EXIT_USAGE;
    if (nd != 2) {
        cli_error(CMD, "two run directories are needed (usage: ogem compare DIR_A DIR_B [--rtol R] [--atol A])");
        return CLI_EXIT_USAGE;
    }
    double rtol, atol;
    if (cli_parse_double(CMD, "--rtol", value[F_RTOL], 0, &rtol)) return CLI_EXIT_USAGE;
    if (cli_parse_double(CMD, "--atol", value[F_ATOL], 0, &atol)) return CLI_EXIT_USAGE;
    if (rtol < 0 || atol < 0) {
        cli_error(CMD, "%s must be >= 0", rtol < 0 ? "--rtol" : "--atol");
        return CLI_EXIT_USAGE;
    }
    for (int i = 0; i < 2; i++)
        if (!is_dir(dirs[i])) {
            cli_error(CMD, "%s is not a directory", dirs[i]);
            return CLI_EXIT_USAGE;
        }
    const char *list = value[F_FILES];
    if (!list || !*list) {
        cli_error(CMD, "--files: the list is empty");
        return CLI_EXIT_USAGE;
    }
    /* the file names, split once: the --ignore check reads their headers first */
    int nfiles = 1;
    for (const char *p = list; *p; p++) nfiles += *p == ',';
    if (list[strlen(list) - 1] == ',') nfiles--; /* a trailing comma, as before */
    char *names = malloc(strlen(list) + 1);
    char **file = calloc((size_t)nfiles, sizeof(char *));
    if (!names || !file) {
        free(names);
        free(file);
        cli_error(CMD, "out of memory");
        return CLI_EXIT_FAILURE;
    }
    strcpy(names, list);
    int rc = -1;
    char *p = names;
    for (int i = 0; rc < 0 && i < nfiles; i++) {
        char *c = strchr(p, ',');
        if (c) *c = '\0';
        file[i] = p;
        if (!*p || strlen(p) >= 1024) {
            cli_error(CMD, "--files: bad file name in '%s'", list);
            rc = CLI_EXIT_USAGE;
        }
        p = c ? c + 1 : p + strlen(p);
    }
    if (rc < 0 && check_ignore(dirs[0], file, nfiles, value[F_IGNORE]) != 0) rc = CLI_EXIT_USAGE;
    int worst = 0;
    for (int i = 0; rc < 0 && i < nfiles; i++) {
        int r = compare_file(dirs[0], dirs[1], file[i], rtol, atol, value[F_IGNORE]);
        if (r == 2) rc = CLI_EXIT_USAGE;
        if (r > worst) worst = r;
    }
    free(names);
    free(file);
    if (rc >= 0) return rc;
    if (worst == 0) printf("%d files agree (rtol %g, atol %g)\n", nfiles, rtol, atol);
    return worst ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
