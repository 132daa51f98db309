/* weights.c - validation of mixing weights. A list that does not sum to one is
 * an error, never silently normalised: a silently changed model would make a
 * published figure describe a different experiment than the one asked for. */
#include <math.h>
#include <stdio.h>
#include "ogem/ogem.h"

ogem_status ogem_weights_check(int n, const double *w, char *msg, size_t msglen)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(w[i]) || !(w[i] > 0.0)) {
            if (msg) snprintf(msg, msglen, "weight %d is %g; weights must be positive and finite", i + 1, w[i]);
            return OGEM_ERR_INVALID;
        }
        sum += w[i];
    }
    if (fabs(sum - 1.0) > 1e-9) {
        if (msg) snprintf(msg, msglen, "weights sum to %.17g, not 1 (within 1e-9)", sum);
        return OGEM_ERR_INVALID;
    }
    return OGEM_OK;
}
