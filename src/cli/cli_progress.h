/*
 * cli_progress.h - the clock and the \r-updated progress line of long runs
 * (cli_progress.c). The line goes to stderr and only to a terminal: logs and
 * pipes stay clean, and stdout keeps just the summary. Each command words its
 * own line; this module decides when it is shown and erases it.
 */
#ifndef OGEM_CLI_PROGRESS_H
#define OGEM_CLI_PROGRESS_H

double cli_now(void); /* monotonic seconds */

typedef struct cli_progress {
    int enabled;
    int width;          /* columns erased by cli_progress_done */
    double start, last; /* last: when the line was last shown, -1 never */
} cli_progress;

/* Enabled only when stderr is a terminal and quiet is 0; the clock starts now. */
void cli_progress_init(cli_progress *p, int quiet, int width);
/* Seconds since init when the line is due for an update (a few times a
 * second, or at once with force), else -1: then the caller shows it. */
double cli_progress_due(cli_progress *p, int force);
/* Replaces the line with the printf-formatted text. */
void cli_progress_show(cli_progress *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Erases the line, so that what follows starts on a clean one. */
void cli_progress_done(cli_progress *p);

#endif /* OGEM_CLI_PROGRESS_H */
