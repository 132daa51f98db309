/* cli_stop.c - stopping cleanly between two steps on SIGINT/SIGTERM, and the
 * test hook that fakes a signal at a given step; see cli_stop.h. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_args.h"
#include "cli/cli_mpi.h"
#include "cli/cli_stop.h"

static volatile sig_atomic_t stop_signal = 0;
static struct sigaction old_int, old_term;
static int installed = 0;
static long steps_taken = 0, stop_after = -1;
/* Under MPI a signal reaches the ranks at different moments: they act on the
 * largest one seen by any rank, agreed once per step (cli_stop_count_step),
 * so that all stop after the same step and checkpoint the same state. */
static int agreed = 0;

static int requested(void) { return cli_mpi_size() > 1 ? agreed : (int)stop_signal; }

static void on_signal(int sig) { stop_signal = sig; }

void cli_stop_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C kills at once */
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    installed = 1;
    const char *env = getenv("OGEM_TEST_STOP_AFTER_STEP");
    long n;
    stop_after = env && cli_strtol(env, &n) == 0 && n >= 1 ? n : -1;
    steps_taken = 0;
    agreed = 0;
}

void cli_stop_restore(void)
{
    if (!installed) return;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    installed = 0;
}

int cli_stop_requested(void) { return requested(); }

const char *cli_stop_name(void)
{
    const int sig = requested();
    return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "signal";
}

void cli_stop_count_step(void)
{
    steps_taken++;
    if (stop_after > 0 && steps_taken == stop_after && !stop_signal) stop_signal = SIGINT;
    if (cli_mpi_size() > 1) agreed = cli_mpi_max((int)stop_signal);
}
