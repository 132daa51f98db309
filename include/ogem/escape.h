/*
 * ogem/escape.h - escape from bad regions (ogem_escape_run) and the statistics of
 * escape times: Kaplan-Meier curves, their quantiles, a least-squares line.
 * Part of ogem/ogem.h, which callers include.
 */
#ifndef OGEM_ESCAPE_H
#define OGEM_ESCAPE_H

#include "ogem/solver.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- escape from bad regions (escape.c) -------------------------------------- */

typedef enum ogem_until { OGEM_UNTIL_DIST = 0, OGEM_UNTIL_LOSS = 1 } ogem_until;

/* Called after every step with the step just taken and the number of
 * initializations still running; a non-zero return stops the loop cleanly
 * (between steps, so the state can be checkpointed and resumed exactly). */
typedef int (*ogem_step_callback)(long step, long running, void *user);

/* Steps every still-running initialization until it escapes or the solver's
 * step index reaches max_steps. Initialization r escapes at the first step t
 * whose metrics (at mu_t) satisfy max_dist <= threshold (OGEM_UNTIL_DIST) or
 * loss <= threshold (OGEM_UNTIL_LOSS); escape_step[r] = t and final_loss[r] is
 * that step's loss, and r stops costing work. escape_step[r] = -1 marks an
 * initialization still running (censored if the loop ended at max_steps);
 * final_loss[r] then holds its latest loss. Resumable: call again with the
 * same arrays after restoring means, step index and these arrays. */
ogem_status ogem_escape_run(ogem_solver *s, ogem_until until, double threshold, long max_steps,
                            long *escape_step, double *final_loss,
                            ogem_step_callback cb, void *user);

/* ---- survival statistics (survival.c) ------------------------------------------ */

/* Kaplan-Meier estimate for event times t[r] >= 0, or censored (t[r] < 0) at
 * the end of the run, after every event. Writes the distinct event times and
 * the survival just after each into times[], surv[] (capacity R) and their
 * count into *count (0 when nothing escaped). Allocates nothing.
 * OGEM_ERR_INVALID for R < 0 or a NULL pointer (t, times, surv may be NULL
 * when R = 0). */
ogem_status ogem_km_curve(const long *t, long R, long *times, double *surv, long *count);
/* The q-quantile (0 < q < 1) of the event time from the KM curve: the first
 * time where survival drops to 1 - q or below; -1 if it never does (too many
 * censored). */
long ogem_km_quantile(const long *times, const double *surv, long m, double q);

/* Least squares y = a + b x over the m points with finite y; writes a, b and
 * the coefficient of determination r2. Returns the number of points used. */
int ogem_linear_fit(const double *x, const double *y, int m, double *a, double *b, double *r2);

#ifdef __cplusplus
}
#endif
#endif /* OGEM_ESCAPE_H */
