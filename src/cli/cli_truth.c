/*
 * cli_truth.c - `--truth SPEC`, a mixture truth, parsed, checked and given
 * its canonical spelling for run.json; see cli_truth.h.
 *
 * A file is read with the CSV reader of data:PATH, so its messages have the
 * same "PATH:LINE: " form; a row's weight is checked where the row is, the
 * sum of the weights with the library's own rule (ogem_weights_check).
 */
#define _XOPEN_SOURCE 700 /* realpath, open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_args.h"
#include "cli/cli_truth.h"
#include "math/checked.h"
#include "util/csv_read.h"
#include "ogem/ogem.h"

void cli_truth_free(cli_truth *t)
{
    free(t->weights);
    free(t->means);
    free(t->text);
    memset(t, 0, sizeof *t);
}

const char *cli_truth_file(const char *spec) { return strncmp(spec, "file:", 5) == 0 ? spec + 5 : NULL; }

/* Room for m components in d dimensions; -1 after printing. */
static int alloc_truth(const char *cmd, const char *label, long m, int d, cli_truth *t)
{
    const size_t md = ogem_size_mul(ogem_count(m), ogem_count(d));
    if (m > 1000000 || md > OGEM_SIZE_MAX / sizeof(double) ||
        ogem_size_mul(md, sizeof(double)) > ogem_host_memory_bytes()) {
        cli_error(cmd, "%s: %ld components in %d dimensions: too large", label, m, d);
        return -1;
    }
    t->m = (int)m;
    t->weights = malloc((size_t)m * sizeof *t->weights);
    t->means = malloc(md * sizeof *t->means);
    if (!t->weights || !t->means) {
        cli_error(cmd, "%s: out of memory", label);
        return -1;
    }
    return 0;
}

/* Every weight positive (where: the file and line of each row, or NULL for
 * the inline list's component numbers), then their sum 1 within 1e-9. */
static int check_weights(const char *cmd, const char *label, const cli_truth *t, const char *path,
                         const long *lines)
{
    for (int j = 0; j < t->m; j++) {
        if (t->weights[j] > 0) continue;
        if (path)
            cli_error(cmd, "%s: %s:%ld: weight %g is not positive", label, path, lines[j], t->weights[j]);
        else
            cli_error(cmd, "%s: component %d: weight %g is not positive", label, j + 1, t->weights[j]);
        return -1;
    }
    char msg[256];
    if (ogem_weights_check(t->m, t->weights, msg, sizeof msg) != OGEM_OK) {
        cli_error(cmd, "%s: %s%s%s; they are never normalized for you", label, path ? path : "", path ? ": " : "", msg);
        return -1;
    }
    return 0;
}

/* ---- inline: W:X1,...,XD;W:... ------------------------------------------------------ */

/* The coordinates of component j (1-based) in text, d of them, into x. */
static int parse_coords(const char *cmd, const char *label, int j, char *text, int d, double *x)
{
    int count = 0;
    for (char *p = text, *next;; p = next + 1) {
        next = strchr(p, ',');
        if (next) *next = '\0';
        if (count < d && cli_strtod(p, &x[count]) != 0) {
            cli_error(cmd, "%s: component %d: coordinate %d is not a number: '%s'", label, j, count + 1, p);
            return -1;
        }
        count++;
        if (!next) break;
    }
    if (count != d) {
        cli_error(cmd, "%s: component %d: %d coordinate%s given, but --dim is %d", label, j, count,
                  count == 1 ? "" : "s", d);
        return -1;
    }
    return 0;
}

static int parse_inline(const char *cmd, const char *label, const char *spec, int d, cli_truth *t)
{
    long m = 1;
    for (const char *p = spec; *p; p++) m += *p == ';';
    char *copy = malloc(strlen(spec) + 1);
    if (!copy) {
        cli_error(cmd, "%s: out of memory", label);
        return -1;
    }
    strcpy(copy, spec);
    int rc = alloc_truth(cmd, label, m, d, t);
    char *p = copy, *next;
    for (int j = 0; rc == 0 && j < t->m; j++, p = next + 1) {
        next = strchr(p, ';');
        if (next) *next = '\0';
        char *colon = strchr(p, ':');
        if (!colon) {
            cli_error(cmd, "%s: component %d: expected W:X1,...,XD (a weight, ':', then --dim %d coordinates), "
                      "got '%s'", label, j + 1, d, p);
            rc = -1;
            break;
        }
        *colon = '\0';
        if (cli_strtod(p, &t->weights[j]) != 0) {
            cli_error(cmd, "%s: component %d: the weight is not a number: '%s'", label, j + 1, p);
            rc = -1;
            break;
        }
        rc = parse_coords(cmd, label, j + 1, colon + 1, d, t->means + (size_t)j * (size_t)d);
    }
    free(copy);
    if (rc != 0) return -1;
    if (check_weights(cmd, label, t, NULL, NULL) != 0) return -1;

    /* The canonical text: every number with %.17g, which reads back exactly. */
    size_t len = 0;
    FILE *f = open_memstream(&t->text, &len);
    if (!f) {
        cli_error(cmd, "%s: out of memory", label);
        return -1;
    }
    for (int j = 0; j < t->m; j++) {
        fprintf(f, "%s%.17g:", j ? ";" : "", t->weights[j]);
        for (int k = 0; k < d; k++) fprintf(f, "%s%.17g", k ? "," : "", t->means[(size_t)j * (size_t)d + (size_t)k]);
    }
    if (fclose(f) != 0 || !t->text) {
        cli_error(cmd, "%s: out of memory", label);
        return -1;
    }
    return 0;
}

/* ---- file:PATH ------------------------------------------------------------------------- */

static int read_file(const char *cmd, const char *label, const char *path, int d, cli_truth *t)
{
    if (!*path) {
        cli_error(cmd, "%s: file:PATH needs a file name", label);
        return -1;
    }
    char what[64], msg[512];
    snprintf(what, sizeof what, "a weight and --dim %d coordinates", d);
    ogem_csv_options opt = { 1 + d, 0, what, 0 };
    ogem_csv csv;
    if (ogem_csv_read(path, &opt, &csv, msg, sizeof msg) != OGEM_OK) {
        cli_error(cmd, "%s: %s", label, msg);
        return -1;
    }
    int rc = alloc_truth(cmd, label, csv.rows, d, t);
    for (int j = 0; rc == 0 && j < t->m; j++) {
        const double *row = csv.values + (size_t)j * (size_t)csv.cols;
        t->weights[j] = row[0];
        memcpy(t->means + (size_t)j * (size_t)d, row + 1, (size_t)d * sizeof(double));
    }
    if (rc == 0) rc = check_weights(cmd, label, t, path, csv.lines);
    ogem_csv_free(&csv);
    if (rc != 0) return -1;
    /* Absolute, so that run.json replays from any directory. */
    char *abs = realpath(path, NULL);
    t->text = cli_dup_printf("file:%s", abs ? abs : path);
    free(abs);
    t->from_file = 1;
    if (!t->text) {
        cli_error(cmd, "%s: out of memory", label);
        return -1;
    }
    return 0;
}

int cli_truth_parse(const char *cmd, const char *label, const char *spec, int d, cli_truth *t)
{
    memset(t, 0, sizeof *t);
    const char *path = cli_truth_file(spec);
    int rc = path ? read_file(cmd, label, path, d, t) : parse_inline(cmd, label, spec, d, t);
    if (rc != 0) cli_truth_free(t);
    return rc;
}
