/* test_csv_read.c - the numeric CSV reader behind data:PATH and file:PATH:
 * what it accepts, and that every rejection names the file and line. */
#define _XOPEN_SOURCE 700 /* mkstemp */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/csv_read.h"

/* Writes text to a fresh temporary file; returns its malloc'd path. */
static char *temp_csv(const char *text)
{
    char tmpl[] = "/tmp/ogem-csv-test-XXXXXX";
    int fd = mkstemp(tmpl);
    cr_assert_geq(fd, 0);
    size_t n = strlen(text);
    cr_assert_eq(write(fd, text, n), (ssize_t)n);
    close(fd);
    char *p = malloc(strlen(tmpl) + 1);
    strcpy(p, tmpl);
    return p;
}

static void expect_error(const char *text, int cols, int header, const char *needle, ogem_status want)
{
    char *path = temp_csv(text);
    ogem_csv_options opt = { cols, header, "--dim 2", 0 };
    ogem_csv c;
    char msg[512] = "";
    ogem_status st = ogem_csv_read(path, &opt, &c, msg, sizeof msg);
    cr_expect_eq(st, want, "status %d for [%s] (%s)", st, text, msg);
    cr_expect_null(c.values);
    char full[600];
    snprintf(full, sizeof full, "%s%s", path, needle);
    cr_expect_not_null(strstr(msg, full), "message '%s' lacks '%s'", msg, full);
    unlink(path);
    free(path);
}

Test(csv_read, reads_comments_blanks_crlf_bom)
{
    char *path = temp_csv("\xEF\xBB\xBF# header comment\n1, 2.5\n\n  # indented comment\n-3e-2 ,4\r\n 0x1p-2,\t7\n");
    ogem_csv c;
    char msg[256] = "";
    cr_assert_eq(ogem_csv_read(path, NULL, &c, msg, sizeof msg), OGEM_OK, "%s", msg);
    cr_assert_eq(c.rows, 3);
    cr_assert_eq(c.cols, 2);
    double want[] = { 1, 2.5, -0.03, 4, 0.25, 7 };
    for (int i = 0; i < 6; i++) cr_expect_eq(c.values[i], want[i], "value %d", i);
    cr_expect_eq(c.lines[0], 2);
    cr_expect_eq(c.lines[1], 5);
    cr_expect_eq(c.lines[2], 6);
    ogem_csv_free(&c);
    unlink(path);
    free(path);
}

Test(csv_read, header_line_is_skipped_and_checked)
{
    char *path = temp_csv("init,component,mu_1\n0,0,1.5\n0,1,-1.5\n");
    ogem_csv_options opt = { 3, 1, NULL, 0 };
    ogem_csv c;
    char msg[256] = "";
    cr_assert_eq(ogem_csv_read(path, &opt, &c, msg, sizeof msg), OGEM_OK, "%s", msg);
    cr_expect_eq(c.rows, 2);
    cr_expect_eq(c.values[5], -1.5);
    ogem_csv_free(&c);
    unlink(path);
    free(path);
    expect_error("init,component\n0,0,1\n", 3, 1, ":1: header has 2 columns", OGEM_ERR_PARSE);
}

Test(csv_read, rejections_name_file_and_line)
{
    expect_error("1,2\n3,x\n", 2, 0, ":2: field 2 is not a number: 'x'", OGEM_ERR_PARSE);
    expect_error("1,2\n# c\n3,4,5\n", 2, 0, ":3: expected 2 values (--dim 2), found 3", OGEM_ERR_PARSE);
    expect_error("1,2\n3\n", 2, 0, ":2: expected 2 values", OGEM_ERR_PARSE);
    expect_error("1,2\nnan,1\n", 2, 0, ":2: field 1 is not finite", OGEM_ERR_PARSE);
    expect_error("1,-inf\n", 2, 0, ":1: field 2 is not finite", OGEM_ERR_PARSE);
    expect_error("1,1e999\n", 2, 0, ":1: field 2 is not finite", OGEM_ERR_PARSE);
    expect_error("1,,\n", 0, 0, ":1: field 2 is empty", OGEM_ERR_PARSE);
    expect_error("1,2 3\n", 2, 0, ":1: field 2 is not a number", OGEM_ERR_PARSE);
    expect_error("# only comments\n\n", 2, 0, ": no data rows", OGEM_ERR_PARSE);
    expect_error("1,2\n5,6\n7\n", 0, 0, ":3: expected 2 values", OGEM_ERR_PARSE);
}

Test(csv_read, missing_file_is_io_error)
{
    ogem_csv c;
    char msg[256] = "";
    cr_expect_eq(ogem_csv_read("/nonexistent/x.csv", NULL, &c, msg, sizeof msg), OGEM_ERR_IO);
    cr_expect_not_null(strstr(msg, "/nonexistent/x.csv: cannot open"), "%s", msg);
    cr_expect_eq(ogem_csv_read("/tmp", NULL, &c, msg, sizeof msg), OGEM_ERR_IO, "a directory: %s", msg);
}
