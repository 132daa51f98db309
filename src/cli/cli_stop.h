/*
 * cli_stop.h - stopping between two steps (cli_stop.c): SIGINT and SIGTERM
 * only raise a flag that the command runner checks after every step, so an
 * interrupted run can still write its partial results and a checkpoint.
 */
#ifndef OGEM_CLI_STOP_H
#define OGEM_CLI_STOP_H

/* Installs SIGINT/SIGTERM handlers that only set a flag (SA_RESETHAND: a
 * second signal acts at once); restore() puts the old ones back. */
void cli_stop_install(void);
void cli_stop_restore(void);
/* The signal that asked us to stop, or 0. */
int cli_stop_requested(void);
const char *cli_stop_name(void); /* "SIGINT", "SIGTERM" */
/* Called once per step the process takes. Test hook: when the environment
 * variable OGEM_TEST_STOP_AFTER_STEP is N >= 1, the N-th call acts as if
 * SIGINT had arrived then (deterministic interruptions for the tests). */
void cli_stop_count_step(void);

#endif /* OGEM_CLI_STOP_H */
