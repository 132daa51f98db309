/* csv_read.c - the numeric CSV reader declared in csv_read.h. Lines come
 * from the bounded reader (text_read.h): a line is at most 1 MiB, the file at
 * most 16 GiB, and a NUL byte ends the read. */
#include "util/csv_read.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "math/checked.h"
#include "util/text_read.h"

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

/* A field's text, trimmed, for messages: at most 40 characters so one bad
 * line cannot produce an unreadable message. */
static void field_text(const char *s, size_t n, char *buf, size_t len)
{
    while (n > 0 && is_blank(*s)) s++, n--;
    while (n > 0 && is_blank(s[n - 1])) n--;
    size_t keep = n < 40 ? n : 40;
    snprintf(buf, len, "%.*s%s", (int)keep, s, n > keep ? "..." : "");
}

static int count_fields(const char *line)
{
    int n = 1;
    for (const char *p = line; *p; p++) n += *p == ',';
    return n;
}

typedef struct growing {
    double *values;
    long *lines;
    long rows, cap_rows;
    int cols;
} growing;

static int grow(growing *g)
{
    if (g->rows < g->cap_rows) return 1;
    long cap = g->cap_rows ? g->cap_rows * 2 : 256;
    double *v = realloc(g->values, ogem_size_mul3(ogem_count(cap), ogem_count(g->cols), sizeof *v));
    if (!v) return 0;
    g->values = v;
    long *l = realloc(g->lines, ogem_size_mul(ogem_count(cap), sizeof *l));
    if (!l) return 0;
    g->lines = l;
    g->cap_rows = cap;
    return 1;
}

/* Parses the fields of one data line into row[0..cols). Returns 0 on success,
 * else writes the message. The line has had its trailing newline removed. */
static int parse_row(const char *path, long lineno, char *line, double *row, int cols,
                     const char *cols_what, char *msg, size_t msglen)
{
    int found = count_fields(line);
    if (found != cols) {
        ogem_text_msg(msg, msglen, "%s:%ld: expected %d value%s%s%s%s, found %d", path, lineno, cols,
                cols == 1 ? "" : "s", cols_what ? " (" : "", cols_what ? cols_what : "",
                cols_what ? ")" : "", found);
        return -1;
    }
    char *p = line;
    for (int k = 0; k < cols; k++) {
        char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char shown[64];
        field_text(p, n, shown, sizeof shown);
        if (shown[0] == '\0') {
            ogem_text_msg(msg, msglen, "%s:%ld: field %d is empty", path, lineno, k + 1);
            return -1;
        }
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        while (end < p + n && is_blank(*end)) end++;
        if (end == p || end != p + n) {
            ogem_text_msg(msg, msglen, "%s:%ld: field %d is not a number: '%s'", path, lineno, k + 1, shown);
            return -1;
        }
        /* strtod accepts "nan" and "inf", and turns 1e999 into HUGE_VAL: none of
         * them is a usable sample or mean. (Underflow to a tiny value is fine.) */
        if (!isfinite(v)) {
            ogem_text_msg(msg, msglen, "%s:%ld: field %d is not finite: '%s'", path, lineno, k + 1, shown);
            return -1;
        }
        row[k] = v;
        p = comma ? comma + 1 : p + n;
    }
    return 0;
}

ogem_status ogem_csv_read(const char *path, const ogem_csv_options *opt, ogem_csv *out,
                          char *msg, size_t msglen)
{
    static const ogem_csv_options defaults = { 0, 0, NULL, 0 };
    if (!opt) opt = &defaults;
    memset(out, 0, sizeof *out);
    if (msg && msglen) msg[0] = '\0';

    ogem_text_reader rd;
    ogem_status st = ogem_text_open(&rd, path, OGEM_TEXT_MAX_DATA, msg, msglen);
    if (st) return st;

    growing g = { NULL, NULL, 0, 0, opt->cols };
    int need_header = opt->header;
    double *row = NULL;

    for (;;) {
        char *line;
        size_t got;
        int more = ogem_text_next(&rd, &line, &got, &st, msg, msglen);
        if (more <= 0) break;
        const long lineno = rd.lineno;
        char *s = line;
        if (lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0) s += 3; /* UTF-8 BOM */
        while (got > 0 && line[got - 1] == '\r') line[--got] = '\0';
        const char *first = s;
        while (*first && is_blank(*first)) first++;
        if (*first == '\0' || *first == '#') continue;

        if (need_header) {
            need_header = 0;
            int found = count_fields(s);
            if (g.cols > 0 && found != g.cols) {
                ogem_text_msg(msg, msglen, "%s:%ld: header has %d column%s, expected %d%s%s%s", path, lineno,
                        found, found == 1 ? "" : "s", g.cols, opt->cols_what ? " (" : "",
                        opt->cols_what ? opt->cols_what : "", opt->cols_what ? ")" : "");
                st = OGEM_ERR_PARSE;
                break;
            }
            if (g.cols == 0) g.cols = found;
            continue;
        }
        if (g.cols == 0) g.cols = count_fields(s);
        if (!row) {
            row = malloc((size_t)g.cols * sizeof *row);
            if (!row) { ogem_text_msg(msg, msglen, "%s: out of memory", path); st = OGEM_ERR_NOMEM; break; }
        }
        if (parse_row(path, lineno, s, row, g.cols, opt->cols_what, msg, msglen) != 0) {
            st = OGEM_ERR_PARSE;
            break;
        }
        if (!grow(&g)) { ogem_text_msg(msg, msglen, "%s: out of memory", path); st = OGEM_ERR_NOMEM; break; }
        memcpy(g.values + (size_t)g.rows * (size_t)g.cols, row, (size_t)g.cols * sizeof *row);
        g.lines[g.rows++] = lineno;
    }
    free(row);
    ogem_text_close(&rd);

    if (st == OGEM_OK && g.rows == 0 && !opt->allow_empty) {
        ogem_text_msg(msg, msglen, "%s: no data rows", path);
        st = OGEM_ERR_PARSE;
    }
    if (st != OGEM_OK) {
        free(g.values);
        free(g.lines);
        return st;
    }
    out->values = g.values;
    out->lines = g.lines;
    out->rows = g.rows;
    out->cols = g.cols;
    return OGEM_OK;
}

void ogem_csv_free(ogem_csv *c)
{
    if (!c) return;
    free(c->values);
    free(c->lines);
    memset(c, 0, sizeof *c);
}
