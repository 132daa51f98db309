/* escape.c - the escape-time loop: step all running initializations, retire
 * each one the first time it meets the escape condition. Retired inits are
 * frozen in the solver, so the remaining cost is proportional to the number
 * still trapped. */
#include <math.h>
#include <stdlib.h>
#include "ogem/ogem.h"

ogem_status ogem_escape_run(ogem_solver *s, ogem_until until, double threshold, long max_steps,
                            long *escape_step, double *final_loss,
                            ogem_step_callback cb, void *user)
{
    int R;
    ogem_solver_shape(s, &R, NULL, NULL);
    unsigned char *active = malloc((size_t)R);
    ogem_metrics *m = malloc(sizeof(ogem_metrics) * (size_t)R);
    if (!active || !m) { free(active); free(m); return OGEM_ERR_NOMEM; }
    long running = 0;
    for (int r = 0; r < R; r++) {
        active[r] = escape_step[r] < 0;
        running += active[r];
    }
    ogem_solver_set_active(s, active);
    ogem_status st = OGEM_OK;
    while (running > 0 && ogem_solver_step_index(s) < max_steps) {
        const long t = ogem_solver_step_index(s);
        st = ogem_solver_step(s, 1, m);
        if (st) break;
        int changed = 0;
        for (int r = 0; r < R; r++) {
            if (!active[r]) continue;
            final_loss[r] = m[r].loss;
            double v = until == OGEM_UNTIL_DIST ? m[r].max_dist : m[r].loss;
            if (v <= threshold) {
                escape_step[r] = t;
                active[r] = 0;
                running--;
                changed = 1;
            }
        }
        if (changed) ogem_solver_set_active(s, active);
        if (cb && cb(t, running, user)) break;
    }
    free(active);
    free(m);
    return st;
}
