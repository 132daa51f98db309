/* quad_rule.c - the host copy of the exact estimator's quadrature: compiles
 * the one implementation, quad_rule.inc, as C11 and exports its entry point
 * as ogem_quad_rule (quad_rule.h). The device copy is compiled from the same
 * file by cuda/kernels_exact.cu. */
#include "quad/quad_rule.h"
#include "quad/quad_rule.inc"

int ogem_quad_rule(int k, int n, const double *a, const double *c, double *nodes, double *logw, int cap)
{
    return ogem_q_rule(k, n, a, c, nodes, logw, cap);
}
