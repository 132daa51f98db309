/* test_text_read.c - the bounded text reader (util/text_read.h) and the CSV
 * reader on top of it: endless, binary and oversized inputs end in one
 * PATH:LINE message, quickly and in bounded memory. */
#define _XOPEN_SOURCE 700 /* mkstemp */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/csv_read.h"
#include "util/text_read.h"

static char *temp_file(const void *bytes, size_t n)
{
    char tmpl[] = "/tmp/ogem-text-test-XXXXXX";
    int fd = mkstemp(tmpl);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, bytes, n), (ssize_t)n);
    close(fd);
    char *p = malloc(strlen(tmpl) + 1);
    strcpy(p, tmpl);
    return p;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* data:/dev/zero grew to 2.25 GB in 9 s before "no data rows". */
Test(text_read, dev_zero_is_not_a_text_file)
{
    ogem_csv c;
    char msg[256] = "";
    double t0 = now();
    cr_expect_eq(ogem_csv_read("/dev/zero", NULL, &c, msg, sizeof msg), OGEM_ERR_PARSE);
    cr_expect_lt(now() - t0, 1.0, "took %.2f s", now() - t0);
    cr_expect_str_eq(msg, "/dev/zero:1: NUL byte: not a text file");
    size_t len = 0;
    char *text = (char *)1;
    cr_expect_eq(ogem_text_read_file("/dev/zero", OGEM_TEXT_MAX_CONFIG, &text, &len, msg, sizeof msg), OGEM_ERR_PARSE);
    cr_expect_null(text);
    cr_expect_str_eq(msg, "/dev/zero:1: NUL byte: not a text file");
}

Test(text_read, nul_byte_names_its_line)
{
    static const char bytes[] = "1,2\n3,4\n5,\0006\n";
    char *path = temp_file(bytes, sizeof bytes - 1);
    ogem_csv c;
    char msg[256] = "", want[300];
    cr_expect_eq(ogem_csv_read(path, NULL, &c, msg, sizeof msg), OGEM_ERR_PARSE);
    snprintf(want, sizeof want, "%s:3: NUL byte: not a text file", path);
    cr_expect_str_eq(msg, want);
    char *text;
    cr_expect_eq(ogem_text_read_file(path, 0, &text, NULL, msg, sizeof msg), OGEM_ERR_PARSE);
    cr_expect_str_eq(msg, want);
    unlink(path);
    free(path);
}

/* A line of 1 MiB + 1 byte without NULs: refused at the limit, not read on. */
Test(text_read, line_longer_than_the_limit)
{
    size_t n = OGEM_TEXT_MAX_LINE + 1;
    char *big = malloc(n + 8);
    memcpy(big, "1,2\n", 4);
    memset(big + 4, '7', n);
    big[4 + n] = '\n';
    char *path = temp_file(big, n + 5);
    free(big);
    ogem_csv c;
    char msg[256] = "", want[300];
    cr_expect_eq(ogem_csv_read(path, NULL, &c, msg, sizeof msg), OGEM_ERR_PARSE);
    snprintf(want, sizeof want, "%s:2: line longer than 1 MiB (not a text file?)", path);
    cr_expect_str_eq(msg, want);
    unlink(path);
    free(path);
}

/* Exactly at the limit is fine; the last line may lack its newline. */
Test(text_read, lines_up_to_the_limit)
{
    size_t n = OGEM_TEXT_MAX_LINE;
    char *big = malloc(n + 8);
    memset(big, 'x', n);
    memcpy(big + n, "\nend", 4);
    char *path = temp_file(big, n + 4);
    ogem_text_reader r;
    char msg[256] = "", *line;
    size_t len;
    ogem_status st = OGEM_OK;
    cr_assert_eq(ogem_text_open(&r, path, 0, msg, sizeof msg), OGEM_OK, "%s", msg);
    cr_expect_eq(ogem_text_next(&r, &line, &len, &st, msg, sizeof msg), 1, "%s", msg);
    cr_expect_eq(len, n);
    cr_expect_eq(memcmp(line, big, n), 0);
    cr_expect_eq(ogem_text_next(&r, &line, &len, &st, msg, sizeof msg), 1);
    cr_expect_str_eq(line, "end");
    cr_expect_eq(r.lineno, 2);
    cr_expect_eq(ogem_text_next(&r, &line, &len, &st, msg, sizeof msg), 0);
    ogem_text_close(&r);
    free(big);
    unlink(path);
    free(path);
}

Test(text_read, file_budget)
{
    static const char text[] = "{\"a\": 1,\n \"b\": 2}\n";
    char *path = temp_file(text, sizeof text - 1);
    char msg[256] = "", want[300], *out;
    size_t len;
    cr_expect_eq(ogem_text_read_file(path, 10, &out, &len, msg, sizeof msg), OGEM_ERR_PARSE);
    snprintf(want, sizeof want, "%s:2: the file is larger than the 10 bytes this reader accepts", path);
    cr_expect_str_eq(msg, want);
    cr_assert_eq(ogem_text_read_file(path, sizeof text - 1, &out, &len, msg, sizeof msg), OGEM_OK, "%s", msg);
    cr_expect_eq(len, sizeof text - 1);
    cr_expect_str_eq(out, text);
    free(out);
    ogem_text_reader r;
    char *line;
    ogem_status st = OGEM_OK;
    cr_assert_eq(ogem_text_open(&r, path, 10, msg, sizeof msg), OGEM_OK);
    cr_expect_eq(ogem_text_next(&r, &line, &len, &st, msg, sizeof msg), 1, "line 1 is within the limit");
    cr_expect_eq(ogem_text_next(&r, &line, &len, &st, msg, sizeof msg), -1);
    cr_expect_eq(st, OGEM_ERR_PARSE);
    cr_expect_str_eq(msg, want);
    ogem_text_close(&r);
    unlink(path);
    free(path);
}

Test(text_read, open_and_read_errors)
{
    char msg[256] = "", *text;
    cr_expect_eq(ogem_text_read_file("/nonexistent/x.json", 0, &text, NULL, msg, sizeof msg), OGEM_ERR_IO);
    cr_expect_not_null(strstr(msg, "/nonexistent/x.json: cannot open: "), "%s", msg);
    cr_expect_eq(ogem_text_read_file("/tmp", 0, &text, NULL, msg, sizeof msg), OGEM_ERR_IO);
    cr_expect_not_null(strstr(msg, "/tmp: read error: "), "%s", msg);
}
