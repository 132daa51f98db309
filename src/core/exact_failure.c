/* exact_failure.c - the one decision, shared by the CPU and GPU backends, of
 * what an exact-estimator initialization whose quadrature rule could not be
 * built means: a diverged iteration (OGEM_ERR_NUMERIC) or a request the
 * estimator cannot do (OGEM_ERR_UNSUPPORTED), with its one-line message.
 *
 * When the builder fails, the scores tell why: a_i = log pi_i - |m_i|^2 / 2,
 * and once some |a_i| reaches 2^52 its rounding is 1 or more, so the log
 * densities have no digit left below the units and no rule can resolve them
 * (the builder's tables overflow from about there on). That happens only when
 * the means have run away, which is a numerical failure of the iteration, not
 * a request the estimator cannot do. */
#include <math.h>
#include <stdio.h>
#include "core/backend.h"
#include "quad/quad_rule.h"

/* What set r stands for, in messages (backend.h's strata and truth). */
static void set_name(const ogem_lines *L, int r, char *buf, size_t len)
{
    if (L->truth)
        snprintf(buf, len, "the truth's density in truth component %d", (L->strata > 1 ? r % L->strata : r) + 1);
    else if (L->strata > 1)
        snprintf(buf, len, "initialization %d (truth component %d)", r / L->strata, r % L->strata + 1);
    else
        snprintf(buf, len, "initialization %d", r);
}

ogem_status ogem_exact_failure(const ogem_lines *L, int r, int why, char *err, size_t len)
{
    const int n = L->n, k = L->k ? L->k[r] : L->K;
    char who[96];
    set_name(L, r, who, sizeof who);
    double amax = 0.0;
    for (int i = 0; i < n; i++) amax = fmax(amax, fabs(L->a[(size_t)r * n + i]));
    if (why == OGEM_EXACT_NO_RULE && amax >= 0x1p52) {
        snprintf(err, len,
                 "%s: its means are about %.2g from mu*, too far for exact quadrature "
                 "(the log-densities -|mu_i - mu*|^2/2 have no digit left below 1 in double precision): "
                 "the iteration has diverged", who, sqrt(2.0 * amax));
        return OGEM_ERR_NUMERIC;
    }
    if (why == OGEM_EXACT_NO_RULE)
        snprintf(err, len,
                 "estimator: exact quadrature has no rule for %s: its %d components in %d direction%s "
                 "of difference need more panels than the rule's tables hold; use the qmc estimator with subspace "
                 "sampling",
                 who, n, k, k == 1 ? "" : "s");
    else
        snprintf(err, len,
                 "estimator: exact quadrature has no rule for %s: it handles at most %d components "
                 "whose means span at most 2 directions of difference (here %d and %d); use the qmc estimator with "
                 "subspace sampling",
                 who, OGEM_QUAD_MAX_LINES, n, k);
    return OGEM_ERR_UNSUPPORTED;
}
