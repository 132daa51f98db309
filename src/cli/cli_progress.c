/* cli_progress.c - the clock and the progress line of long runs; see
 * cli_progress.h. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_progress.h"

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_init(cli_progress *p, int quiet, int width)
{
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->width = width;
    p->start = cli_now();
    p->last = -1.0;
}

double cli_progress_due(cli_progress *p, int force)
{
    if (!p->enabled) return -1.0;
    double now = cli_now();
    /* A few updates a second: the terminal costs nothing measurable then. */
    if (!force && p->last >= 0 && now - p->last < 0.2) return -1.0;
    p->last = now;
    return now - p->start;
}

void cli_progress_show(cli_progress *p, const char *fmt, ...)
{
    if (!p->enabled) return;
    va_list ap;
    va_start(ap, fmt);
    fputc('\r', stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fflush(stderr);
}

void cli_progress_done(cli_progress *p)
{
    if (!p->enabled) return;
    fprintf(stderr, "\r%*s\r", p->width, "");
    fflush(stderr);
}
