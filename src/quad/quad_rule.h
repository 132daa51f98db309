/*
 * quad_rule.h - the deterministic quadrature behind the `exact` estimator.
 *
 * Problem. Lines s_i(w) = a_i + <c_i, w>, i < n, on w ~ N(0, I_k), k <= 2;
 * psi = softmax(s), lse = log-sum-exp(s). Wanted: E[psi_i], E[psi_i w] and
 * E[lse], with absolute error <= 1e-12 and, for a far component whose mass
 * E[psi_i] is 1e-30 or e^-125000, the same RELATIVE accuracy.
 *
 * API. One function, ogem_quad_rule (below): the rule, as nodes and
 * LOG-weights. The expectations are then sums over the nodes, which each
 * backend computes with the kernel it uses for sample points (with log-scaled
 * sums, math/log_sum.h): src/cpu/backend_cpu.c on the host,
 * cuda/kernels_exact.cu on the device.
 *
 * Code. Declarations here; the implementation is src/quad/quad_rule.inc,
 * written once as OGEM_HD functions (no malloc, no recursion, fixed-size
 * arrays bounded by the limits below) and compiled twice: for the host by
 * src/quad/quad_rule.c, which exports ogem_quad_rule, and for the device by
 * cuda/kernels_exact.cu, which includes it and calls ogem_q_rule. The limits
 * and tuning macros may be overridden only for the whole build (both copies
 * must agree). The tables a rule is built in (~23 KB with the default limits)
 * live on the host's stack; the device builder passes them in global memory.
 *
 * k = 0, or all c_i equal (in k = 2: all c_i - c_0 collinear reduces to
 * k = 1 along that direction): the single node w = 0 with weight 1 (log 0),
 * which is exact because psi is then constant and lse affine in w.
 *
 * Method, k = 1. Each integrand psi_i phi is log-concave: g_i = s_i - lse -
 * w^2/2 has g_i'' = -1 - Var_psi(c) <= -1. So per component: find the mode
 * (safeguarded Newton from a guess read off the upper envelope), the interval
 * where g_i is within OGEM_QUAD_T = 40 of its peak (Newton from outside), and
 * cover the union of these intervals (plus [-W, W] for E[lse], W ~ 9-10) with
 * Gauss-Legendre panels (OGEM_QUAD_GL_M = 16 nodes each). Panels are marched
 * left to right; the width is the smallest of these demands, checked at both
 * ends of the tentative panel:
 *   - switch points b_jl (pairwise intersections of lines that come within
 *     OGEM_QUAD_MARGIN of the envelope), scale eps = 2 / |c_j - c_l|: width
 *     <= sigma * max(distance to b, eps), sigma = 2 (geometric grading; the
 *     narrowest panel is centred on b);
 *   - exponential rate: width <= C(l) / |g_i'| for each component whose
 *     interval the panel meets, C(l) from the GL error of exp(lambda x) at
 *     1e-16 e^l, l the level below the component's peak (so the far tails of
 *     a component, which matter less, get wider panels);
 *   - curvature: width <= H / sqrt(-g_i''), H = 4.7 (GL-16 on exp(-x^2/2)).
 * Weights carry the Gaussian and are returned as logs: where a far
 * component's mass lives they underflow (phi(500) ~ e^-125000), and a
 * backend's log-scaled sums of psi_i times them then give an exact log mass.
 * Method, k = 2. Nested: outer over w1, inner over w2 with the k = 1
 * construction applied to the lines restricted to each outer node (resolving
 * only the components whose outer interval contains the node). The outer
 * panels come from the same march applied to the profiles P_i(w1) =
 * max_w2 g_i(w1, w2) (concave, P'' <= -1, computed by the inner mode search),
 * with switch points at the w1 of: the point of each 2-D boundary line
 * {s_j = s_l} where a component's (or the Gaussian's) log integrand peaks, and
 * the triple points; scale 2 / |c_j1 - c_l1|.
 * Method, k = 2, nearly equal slopes (every |c_i - c_j| <= OGEM_QUAD_GH_DMAX
 * = 1, which every over-parameterized run reaches as its means gather at
 * mu*): the 32 x 32 tensor Gauss-Hermite rule for N(0, I_2), 1024 fixed
 * nodes, no construction. Why it is accurate there: a sum of exponentials
 * whose phases lie within an interval shorter than pi has no zero, and the
 * phases Im s_j = <c_j, Im w> spread by at most max|c_i - c_j| |Im w|; so
 * psi_i, psi_i w and lse are analytic for |Im w| < pi / max|c_i - c_j| >= pi
 * (in particular in that strip along each coordinate), and Gauss-Hermite
 * converges geometrically in sqrt(N) for such functions; measured against a
 * dense long-double Gauss-Legendre sum (n = 5, random geometries at
 * max|c_i - c_j| = 1): 6e-12 with 20 nodes per axis, 5e-17 with 28, so 32
 * leaves a margin. The masses keep their relative accuracy (psi_i divided by
 * its value at 0 is analytic and bounded the same way). At the switch-over
 * the two k = 2 rules agree to the tests' 5e-13 (tests/test_quad_rule.c).
 *
 * Measured: the exact estimator as the CPU backend computes it, this rule
 * summed by its reference kernel (GCC 12, x86-64; references: GSL adaptive
 * Gauss-Kronrod; tests/test_quad_rule.c logs these; abs = absolute, rel =
 * relative):
 *   k = 1, n = 2 and 3, distances 0..12, equal and uneven weights:
 *     abs <= 1.5e-15 (E[psi], E[psi w]), 2.7e-15 (E[lse]); rel mass <= 3.7e-15.
 *   k = 1, far component, distances 13..40 (masses down to 1e-89):
 *     rel mass <= 2.8e-14, cond mean <= 6e-16; at distance 1000 (a = -5e5):
 *     finite, rel ~3e-11, which is the rounding of a_i itself (ulp(5e5)).
 *   k = 1, 300 random line sets (n = 2..6, means in [-30, 30]): rel mass
 *     <= 2.8e-14, cond mean <= 2.3e-15, E[lse] abs <= 1.2e-13 (|lse| ~ 1e2).
 *   k = 2, n = 3, 8 geometries (means up to 12 away): rel mass <= 3.2e-14,
 *     cond mean <= 1.5e-15, abs <= 3.1e-14 (mass), 3e-15 (first moment),
 *     2.9e-14 (E[lse]). Most of it is the kernel's plain double summation of
 *     10^4-10^5 weighted nodes (normalised by their summed weight): the same
 *     rule summed with partial sums per outer node was within 2e-15 of GSL,
 *     and the kernel's sums differ from long double ones by up to 3e-14.
 *   symmetric recursion theta <- E[X tanh(theta X)]: per step <= 3.1e-14;
 *     1000 steps of em and of gem, deviation from the GSL trajectory <= 2.8e-14.
 * Nodes and cost (one core, thread CPU time, bench/bench_quad.c; a step is
 * the CPU backend's work for one initialization: build the rule, sum it):
 *   k = 1, n = 2, m = (0, d): d = 0.5..1: 80 nodes, ~3.5 us per step (~2 us
 *     of it the rule); d = 4..9: 128-144 nodes, ~5 us; d = 12: 160; d = 20:
 *     192; d = 1000: 224 nodes, ~10 us. k = 1, n <= 8 random: <= 61 panels
 *     (976 nodes).
 *   k = 2, n = 3: 14k-61k nodes, 0.8-3.9 ms per step (0.35-1.4 ms the rule);
 *     n = 8: up to ~7e5 nodes. Gauss-Hermite (k = 2, slopes within 1): 1024
 *     nodes, 22 us per step at n = 5 (was 4096-6400 nested nodes, ~660 us).
 *   k = 2 Gauss-Hermite, n = 3 and 5, max|c_i - c_j| = 1, weights down to
 *     1e-6: abs <= 8.4e-15, rel mass <= 1.3e-14, cond mean <= 1.9e-14.
 * CPU vs GPU: the same code, but libm and CUDA's exp/log differ in the last
 * ulp and nvcc contracts to FMA by default, so results agree to ~1e-15, not
 * bit for bit (a panel-width tie may even resolve differently).
 */
#ifndef OGEM_QUAD_RULE_H
#define OGEM_QUAD_RULE_H

#ifdef __cplusplus
extern "C" {
#endif

/* ---- compile-time limits ---------------------------------------------------- */
#ifndef OGEM_QUAD_MAX_LINES
#define OGEM_QUAD_MAX_LINES 12        /* components; the paper's runs use up to 10 */
#endif
#ifndef OGEM_QUAD_GL_M
#define OGEM_QUAD_GL_M 16             /* nodes per panel: 8, 10, 12, 16 or 20       */
#endif
#ifndef OGEM_QUAD_MAX_PANELS_1D
#define OGEM_QUAD_MAX_PANELS_1D 128   /* a k = 1 rule, and each inner rule of k = 2 */
#endif
#ifndef OGEM_QUAD_MAX_PANELS_2D
#define OGEM_QUAD_MAX_PANELS_2D 256   /* the outer rule of k = 2                    */
#endif
/* Most nodes of a k = 1 rule (what a caller of ogem_quad_rule(1, ...) allocates). */
#define OGEM_QUAD_MAX_POINTS (OGEM_QUAD_MAX_PANELS_1D * OGEM_QUAD_GL_M)

/*
 * ogem_quad_rule: the rule for the line set s_i = a_i + <c_i, w> (c: n x k
 * row-major). nodes: cap x k (row-major), logw: cap LOG-weights log(W_j),
 * where W_j includes the N(0, I_k) density, so that
 * E[f] ~ sum_j exp(logw[j]) f(nodes_j). With nodes == logw == NULL it
 * returns the count only. Returns the number of points, or -1 (cap too
 * small, k > 2, n > OGEM_QUAD_MAX_LINES, or a panel table overflow). For
 * k = 1 at most OGEM_QUAD_MAX_POINTS points; for k = 2 count first.
 */
int ogem_quad_rule(int k, int n, const double *a, const double *c, double *nodes, double *logw, int cap);

#ifdef __cplusplus
}
#endif
#endif /* OGEM_QUAD_RULE_H */
