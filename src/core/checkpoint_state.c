/* checkpoint_state.c - a solver's state into and out of an ogem_checkpoint
 * (the file format is checkpoint.c's). */
#include <stdlib.h>
#include "math/checked.h"
#include "ogem/ogem.h"

ogem_status ogem_checkpoint_capture(ogem_solver *s, ogem_checkpoint *ck)
{
    int R, n, d;
    ogem_solver_shape(s, &R, &n, &d);
    ck->R = R; ck->n = n; ck->d = d;
    ck->step = ogem_solver_step_index(s);
    ck->means = malloc(ogem_size_mul(sizeof(double), ogem_size_mul3(ogem_count(R), ogem_count(n), ogem_count(d))));
    ck->active = malloc((size_t)R);
    if (!ck->means || !ck->active) return OGEM_ERR_NOMEM;
    ck->log_weights = NULL;
    if (ogem_solver_learns_weights(s)) {
        ck->log_weights = malloc(ogem_size_mul(sizeof(double), ogem_size_mul(ogem_count(R), ogem_count(n))));
        if (!ck->log_weights) return OGEM_ERR_NOMEM;
    }
    ck->relative = 1;   /* the solver's own frame: a restore gives its bits back */
    ogem_status st = ogem_solver_get_means_relative(s, ck->means);
    if (!st) st = ogem_solver_get_active(s, ck->active);
    if (!st && ck->log_weights) st = ogem_solver_get_log_weights(s, ck->log_weights);
    return st;
}

ogem_status ogem_checkpoint_restore(ogem_solver *s, const ogem_checkpoint *ck)
{
    int R, n, d;
    ogem_solver_shape(s, &R, &n, &d);
    if (R != ck->R || n != ck->n || d != ck->d) return OGEM_ERR_INVALID;
    /* A checkpoint of a run that learns its weights holds them, and only such
     * a run may take one. */
    if (!ck->log_weights != !ogem_solver_learns_weights(s)) return OGEM_ERR_INVALID;
    ogem_status st = ck->relative ? ogem_solver_set_means_relative(s, ck->means) : ogem_solver_set_means(s, ck->means);
    if (!st && ck->log_weights) st = ogem_solver_set_log_weights(s, ck->log_weights);
    if (!st) st = ogem_solver_set_active(s, ck->active);
    if (!st) st = ogem_solver_seek(s, ck->step);
    return st;
}
