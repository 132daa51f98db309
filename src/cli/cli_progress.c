/* cli_progress.c - the \r-updated progress line of long runs. It goes to
 * stderr and only to a terminal: logs and pipes stay clean, and stdout keeps
 * just the summary. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli_run.h"

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_init(cli_progress *p, int quiet, long total)
{
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->total = total > 0 ? total : 1;
    p->start = cli_now();
    p->last = -1.0;
}

void cli_progress_update(cli_progress *p, long done)
{
    if (!p->enabled) return;
    double now = cli_now();
    /* A few updates a second: the terminal costs nothing measurable then. */
    if (p->last >= 0 && now - p->last < 0.2 && done < p->total) return;
    p->last = now;
    double el = now - p->start;
    double frac = (double)done / (double)p->total;
    double left = frac > 0 ? el * (1.0 - frac) / frac : 0.0;
    fprintf(stderr, "\r  step %ld/%ld  %5.1f%%  elapsed %.1f s  left ~%.0f s   ", done, p->total,
            100.0 * frac, el, left);
    fflush(stderr);
}

void cli_progress_done(cli_progress *p)
{
    if (!p->enabled) return;
    /* Erase the line so the summary starts on a clean one. */
    fprintf(stderr, "\r%*s\r", 72, "");
    fflush(stderr);
}
