/*
 * csv_read.h - reads a numeric matrix from a CSV file: one row per line,
 * comma-separated numbers (blanks around them allowed), lines whose first
 * non-blank character is '#' and blank lines ignored, CRLF endings accepted.
 *
 * Used for the data:PATH estimator (one sample per line, d numbers) and for
 * file:PATH initializations (final.csv's layout, which has a header line).
 *
 * Library code: no printing. Every problem is reported in msg as one line
 * starting with "PATH:LINE: " (or "PATH: " when it concerns the whole file):
 * a malformed or empty field, a wrong number of columns, NaN or Inf, and the
 * limits of text_read.h (a line over 1 MiB, a file over 16 GiB, a NUL byte).
 */
#ifndef OGEM_CSV_READ_H
#define OGEM_CSV_READ_H

#include <stddef.h>
#include "ogem/ogem.h"

typedef struct ogem_csv {
    double *values; /* rows x cols, row-major                         */
    long *lines;    /* rows: 1-based line number of each row           */
    long rows;
    int cols;
} ogem_csv;

typedef struct ogem_csv_options {
    int cols;              /* required columns per row; 0: set by the first row     */
    int header;            /* 1: the first non-comment line is a header: its field  */
                           /*    count is checked, its text ignored                  */
    const char *cols_what; /* shown with a column-count error, e.g. "--dim 3"; NULL */
    int allow_empty;       /* 1: a file with no rows is not an error                */
} ogem_csv_options;

/* On success fills *out (free with ogem_csv_free). On failure *out is zeroed and
 * the status is OGEM_ERR_IO (cannot open or read) or OGEM_ERR_PARSE. */
ogem_status ogem_csv_read(const char *path, const ogem_csv_options *opt, ogem_csv *out,
                          char *msg, size_t msglen);
void ogem_csv_free(ogem_csv *c);

#endif /* OGEM_CSV_READ_H */
