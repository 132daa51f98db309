/*
 * quad_rule.h - the deterministic quadrature behind the `exact` estimator.
 *
 * Problem. Lines s_i(w) = a_i + <c_i, w>, i < n, on w ~ N(0, I_k), k <= 2;
 * psi = softmax(s), lse = log-sum-exp(s). Wanted: E[psi_i], E[psi_i w] and
 * E[lse], with absolute error <= 1e-12 and, for a far component whose mass
 * E[psi_i] is 1e-30 or e^-125000, the same RELATIVE accuracy.
 *
 * API (all OGEM_HD static inline: C11 and CUDA device code alike; no malloc,
 * no recursion, fixed-size arrays bounded by the macros below):
 *   int ogem_quad_moments(k, n, a, c, log_mass, cond_mean, mean_lse)
 *       c: n x k row-major. Writes log E[psi_i] (log domain: never underflows),
 *       E[psi_i w] / E[psi_i] (n x k) and E[lse]; returns the number of nodes
 *       (integrand evaluations: each evaluates all n components), or -1 when
 *       k > 2, n > OGEM_QUAD_MAX_LINES or a table overflows (outputs are then
 *       untouched). This is what a backend calls: it streams the rule.
 *   int ogem_quad_moments_k1(n, a, c, ...), ogem_quad_moments_k2(n, a, c, ...)
 *       the same for a fixed k. GPU stack frames (sm_90, default limits):
 *       ~4.3 KB for the k1 form or ogem_quad_rule with a literal k = 1, ~18 KB
 *       when the k = 2 code is reachable (k known only at run time).
 *   int ogem_quad_rule(k, n, a, c, nodes, logw, cap)
 *       the rule itself: nodes (cap x k) and LOG-weights log W_j, W_j
 *       including the N(0, I_k) density, E[f] ~ sum_j exp(logw_j) f(w_j).
 *       Log-weights because the weights where a far component's mass lives
 *       underflow. nodes = logw = NULL counts only. -1 if cap is too small.
 *       k = 1 needs at most OGEM_QUAD_MAX_POINTS points; k = 2: count first.
 *   k = 0, or all c_i equal (in k = 2: all c_i - c_0 collinear reduces to
 *   k = 1 along that direction): the single node w = 0 with weight 1 (log 0),
 *   which is exact because psi is then constant and lse affine in w.
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
 * Weights carry the Gaussian; sums are scaled per component by its peak, so
 * a mass of e^-125000 comes out as an exact log_mass.
 * Method, k = 2. Nested: outer over w1, inner over w2 with the k = 1
 * construction applied to the lines restricted to each outer node (resolving
 * only the components whose outer interval contains the node). The outer
 * panels come from the same march applied to the profiles P_i(w1) =
 * max_w2 g_i(w1, w2) (concave, P'' <= -1, computed by the inner mode search),
 * with switch points at the w1 of: the point of each 2-D boundary line
 * {s_j = s_l} where a component's (or the Gaussian's) log integrand peaks, and
 * the triple points; scale 2 / |c_j1 - c_l1|.
 *
 * Measured (GCC 12, x86-64; references: GSL adaptive Gauss-Kronrod, see
 * tests/test_quad_rule.c; abs = absolute, rel = relative):
 *   k = 1, n = 2 and 3, distances 0..12, equal and uneven weights:
 *     abs <= 1.7e-15 (E[psi], E[psi w]), 4e-15 (E[lse]); rel mass <= 3.6e-15.
 *   k = 1, far component, distances 13..40 (masses down to 1e-89):
 *     rel mass <= 2.8e-14, cond mean <= 8e-16; at distance 1000 (a = -5e5):
 *     finite, rel ~3e-11, which is the rounding of a_i itself (ulp(5e5)).
 *   k = 1, 300 random line sets (n = 2..6, means in [-30, 30]): rel mass
 *     <= 2.8e-14, cond mean <= 9e-15, E[lse] abs <= 4e-13 (|lse| ~ 1e2..1e3).
 *   k = 2, n = 3..6, 8 fixed + 120 random geometries (means up to 25 away):
 *     rel mass <= 2.8e-14, cond mean <= 1.8e-15, abs <= 1.3e-15.
 *   symmetric recursion theta <- E[X tanh(theta X)]: per step <= 3.1e-14;
 *     1000 steps of em and of gem, deviation from the GSL trajectory <= 2.8e-14.
 * Nodes and cost (one core, thread CPU time, bench/bench_quad.c):
 *   k = 1, n = 2, m = (0, d): d = 0.5..1: 80 nodes, ~2.7 us per step (rule +
 *     evaluation); d = 4..9: 128-144 nodes, ~4 us; d = 12: 160; d = 20: 192;
 *     d = 1000: 224 nodes, ~8 us. k = 1, n <= 8 random: <= 61 panels (976 nodes).
 *   k = 2, n = 3: 14k-61k nodes, 0.6-2.4 ms per step; n = 8: up to ~7e5 nodes.
 * CPU vs GPU: the same code, but libm and CUDA's exp/log differ in the last
 * ulp and nvcc contracts to FMA by default, so results agree to ~1e-15, not
 * bit for bit (a panel-width tie may even resolve differently).
 */
#ifndef OGEM_QUAD_RULE_H
#define OGEM_QUAD_RULE_H

#include "math/sample_math.h"

/* ---- compile-time limits and tuning -------------------------------------- */
#ifndef OGEM_QUAD_MAX_LINES
#define OGEM_QUAD_MAX_LINES 12        /* components; the paper's runs use up to 10 */
#endif
#ifndef OGEM_QUAD_GL_M
#define OGEM_QUAD_GL_M 16
#endif
#ifndef OGEM_QUAD_MAX_PANELS_1D
#define OGEM_QUAD_MAX_PANELS_1D 128   /* a k = 1 rule, and each inner rule of k = 2 */
#endif
#ifndef OGEM_QUAD_MAX_PANELS_2D
#define OGEM_QUAD_MAX_PANELS_2D 256   /* the outer rule of k = 2                    */
#endif
/* Most nodes of a k = 1 rule (what a caller of ogem_quad_rule(1, ...) allocates). */
#define OGEM_QUAD_MAX_POINTS (OGEM_QUAD_MAX_PANELS_1D * OGEM_QUAD_GL_M)
/* switch points: one per pair of lines (dim 1); (n+1) per boundary line plus
 * one per triple point (dim 2) */
#define OGEM_QUAD_MAX_FEATURES_1D (OGEM_QUAD_MAX_LINES * (OGEM_QUAD_MAX_LINES - 1) / 2 + 1)
#define OGEM_QUAD_MAX_FEATURES \
    (OGEM_QUAD_MAX_LINES * (OGEM_QUAD_MAX_LINES - 1) / 2 * (OGEM_QUAD_MAX_LINES + 1) + \
     OGEM_QUAD_MAX_LINES * (OGEM_QUAD_MAX_LINES - 1) * (OGEM_QUAD_MAX_LINES - 2) / 6 + 8)

#ifndef OGEM_QUAD_T
#define OGEM_QUAD_T 40.0          /* relevance: level below a component's peak   */
#endif
#ifndef OGEM_QUAD_MARGIN
#define OGEM_QUAD_MARGIN 40.0     /* a line within this of the envelope matters  */
#endif
#ifndef OGEM_QUAD_SIGMA
#define OGEM_QUAD_SIGMA 2.0       /* panel width / distance to a switch point     */
#endif
#ifndef OGEM_QUAD_EPS
#define OGEM_QUAD_EPS 2.0         /* switch half-scale = OGEM_QUAD_EPS / |c_i-c_j| */
#endif
#ifndef OGEM_QUAD_RATE_SAFETY
#define OGEM_QUAD_RATE_SAFETY 1.5
#endif
#ifndef OGEM_QUAD_CURV_SAFETY
#define OGEM_QUAD_CURV_SAFETY 1.0
#endif
#ifndef OGEM_QUAD_LEVEL_CAP
#define OGEM_QUAD_LEVEL_CAP 24.0
#endif

#define OGEM_QUAD_LOG_SQRT_2PI 0.91893853320467274178

/* ---- Gauss-Legendre tables (half rules on [-1, 1], x > 0 descending) ----- */
/* OGEM_QUAD_H: widest panel for exp(-x^2/2) at relative error 1e-16;
 * OGEM_QUAD_CTAB: largest lambda*h for exp(lambda x) at 1e-16 * e^l, l = 0,4,..,48 */
#if OGEM_QUAD_GL_M == 8
#define OGEM_QUAD_GLX 0.96028985649753623168, 0.79666647741362673959, 0.52553240991632898582, 0.18343464249564980494
#define OGEM_QUAD_GLW 0.10122853629037625915, 0.22238103445337447054, 0.31370664587788728734, 0.36268378337836198297
#define OGEM_QUAD_H 1.070
#define OGEM_QUAD_CTAB 2.693, 3.493, 4.558, 6.001, 8.011, 10.921, 15.401, 23.089, 39.642, 118.744, 200.0, 200.0, 200.0
#elif OGEM_QUAD_GL_M == 10
#define OGEM_QUAD_GLX 0.97390652851717172008, 0.86506336668898451073, 0.67940956829902440623, 0.4333953941292471908, 0.14887433898163121088
#define OGEM_QUAD_GLW 0.066671344308688137594, 0.14945134915058059315, 0.219086362515982044, 0.26926671930999635509, 0.29552422471475287017
#define OGEM_QUAD_H 1.874
#define OGEM_QUAD_CTAB 5.397, 6.726, 8.449, 10.730, 13.837, 18.256, 24.972, 36.429, 61.190, 181.016, 200.0, 200.0, 200.0
#elif OGEM_QUAD_GL_M == 12
#define OGEM_QUAD_GLX 0.98156063424671925069, 0.90411725637047485668, 0.76990267419430468704, 0.5873179542866174473, 0.36783149899818019375, 0.12523340851146891547
#define OGEM_QUAD_GLW 0.047175336386511827195, 0.10693932599531843096, 0.16007832854334622633, 0.20316742672306592175, 0.23349253653835480876, 0.249147045813402785
#define OGEM_QUAD_H 2.773
#define OGEM_QUAD_CTAB 9.069, 11.026, 13.522, 16.781, 21.167, 27.350, 36.699, 52.644, 87.287, 200.0, 200.0, 200.0, 200.0
#elif OGEM_QUAD_GL_M == 16
#define OGEM_QUAD_GLX 0.9894009349916499326, 0.94457502307323257608, 0.86563120238783174388, 0.7554044083550030339, \
    0.61787624440264374845, 0.45801677765722738634, 0.28160355077925891323, 0.095012509837637440185
#define OGEM_QUAD_GLW 0.027152459411754094852, 0.062253523938647892863, 0.09515851168249278481, 0.12462897125553387205, \
    0.14959598881657673208, 0.16915651939500253819, 0.18260341504492358887, 0.18945061045506849629
#define OGEM_QUAD_H 4.698
#define OGEM_QUAD_CTAB 19.246, 22.719, 27.079, 32.693, 40.178, 50.664, 66.505, 93.638, 153.116, 200.0, 200.0, 200.0, 200.0
#elif OGEM_QUAD_GL_M == 20
#define OGEM_QUAD_GLX 0.99312859918509492479, 0.96397192727791379127, 0.91223442825132590587, 0.83911697182221882339, \
    0.74633190646015079261, 0.63605368072651502545, 0.510867001950827098, 0.37370608871541956067, 0.22778585114164507808, \
    0.076526521133497333755
#define OGEM_QUAD_GLW 0.017614007139152118312, 0.040601429800386941331, 0.06267204833410906357, 0.083276741576704748725, \
    0.10193011981724043504, 0.11819453196151841731, 0.1316886384491766269, 0.14209610931838205133, 0.14917298647260374679, \
    0.1527533871307258507
#define OGEM_QUAD_H 6.690
#define OGEM_QUAD_CTAB 33.053, 38.372, 45.007, 53.513, 64.827, 80.678, 104.686, 146.002, 200.0, 200.0, 200.0, 200.0, 200.0
#else
#error "OGEM_QUAD_GL_M must be 8, 10, 12, 16 or 20"
#endif

/* Node j (0 <= j < M) of the GL rule on [-1, 1], ascending, and its weight. */
OGEM_HD void ogem_quad_gl(int j, double *t, double *w)
{
    const double X[OGEM_QUAD_GL_M / 2] = {OGEM_QUAD_GLX};
    const double W[OGEM_QUAD_GL_M / 2] = {OGEM_QUAD_GLW};
    if (j < OGEM_QUAD_GL_M / 2) { *t = -X[j]; *w = W[j]; }
    else { *t = X[OGEM_QUAD_GL_M - 1 - j]; *w = W[OGEM_QUAD_GL_M - 1 - j]; }
}

/* Largest lambda*h allowed at level l (e-folds below the component's peak). */
OGEM_HD double ogem_quad_ctab(double l)
{
    const double C[13] = {OGEM_QUAD_CTAB};
    if (l > OGEM_QUAD_LEVEL_CAP) l = OGEM_QUAD_LEVEL_CAP;
    if (!(l > 0.0)) return OGEM_QUAD_RATE_SAFETY * C[0];
    double u = l * 0.25;
    int k = (int)u;
    if (k >= 12) return OGEM_QUAD_RATE_SAFETY * C[12];
    double f = u - k;
    return OGEM_QUAD_RATE_SAFETY * ((1.0 - f) * C[k] + f * C[k + 1]);
}

/* ---- data ------------------------------------------------------------------ */
typedef struct ogem_qprob {
    int dim;                          /* 1: lines a + c x; 2: profile over w1     */
    int n;
    double a[OGEM_QUAD_MAX_LINES];
    double c[OGEM_QUAD_MAX_LINES];    /* slope in x (dim 2: c_i1)                 */
    double c2[OGEM_QUAD_MAX_LINES];   /* dim 2: c_i2                              */
    unsigned char act[OGEM_QUAD_MAX_LINES]; /* components whose mass is resolved */
    int actG;                         /* resolve the Gaussian (E[lse])            */
    double lscale;                    /* log(1 + typical |lse|)                   */
} ogem_qprob;

typedef struct ogem_qpt {
    double x;
    double g[OGEM_QUAD_MAX_LINES];    /* log integrand (no 2 pi constant)         */
    double dg[OGEM_QUAD_MAX_LINES];
    double d2g[OGEM_QUAD_MAX_LINES];
} ogem_qpt;

typedef struct ogem_qpanels {
    int np, cap;
    double *lo, *h;                   /* caller's storage, cap panels each          */
    /* per component: peak of the log integrand and its relevance interval */
    double gmax[OGEM_QUAD_MAX_LINES];
    double mu[OGEM_QUAD_MAX_LINES];
    double L[OGEM_QUAD_MAX_LINES], R[OGEM_QUAD_MAX_LINES];
    double W;                         /* Gaussian relevance [-W, W]                */
    int trivial;                      /* all slopes equal: one node x = 0, weight 1 */
} ogem_qpanels;

/* ---- 1-D line evaluation ----------------------------------------------------- */

/* Softmax statistics of lines (a, c) at x. Fills g_i = s_i - lse - x^2/2,
 * dg_i = c_i - cbar - x, d2g = -1 - Var_psi(c). Returns lse. */
OGEM_HD double ogem_q_eval1(int n, const double *a, const double *c, double x,
                            double *g, double *dg, double *d2g)
{
    double s[OGEM_QUAD_MAX_LINES];
    int im = 0;
    for (int i = 0; i < n; i++) {
        s[i] = a[i] + c[i] * x;
        if (s[i] > s[im]) im = i;
    }
    double mx = s[im], cr = c[im];
    double sum = 0.0, m1 = 0.0, m2 = 0.0;
    for (int i = 0; i < n; i++) {
        double e = exp(s[i] - mx), dc = c[i] - cr;
        sum += e; m1 += e * dc; m2 += e * dc * dc;
    }
    m1 /= sum; m2 /= sum;
    double var = m2 - m1 * m1;
    if (var < 0.0) var = 0.0;
    double cbar = cr + m1;
    double lse = mx + log(sum);
    double hx = 0.5 * x * x;
    for (int i = 0; i < n; i++) {
        if (g) g[i] = s[i] - lse - hx;
        if (dg) dg[i] = c[i] - cbar - x;
    }
    if (d2g) *d2g = -1.0 - var;
    return lse;
}

/* Upper envelope of lines (a, c): hull line indices idx[0..h) from x = -inf to
 * +inf and breakpoints brk[0..h-1). Returns h. */
OGEM_HD int ogem_q_envelope(int n, const double *a, const double *c, int *idx, double *brk)
{
    int ord[OGEM_QUAD_MAX_LINES];
    for (int i = 0; i < n; i++) ord[i] = i;
    for (int i = 1; i < n; i++) {               /* insertion sort by (c, a) */
        int v = ord[i], j = i - 1;
        while (j >= 0 && (c[ord[j]] > c[v] || (c[ord[j]] == c[v] && a[ord[j]] > a[v]))) {
            ord[j + 1] = ord[j]; j--;
        }
        ord[j + 1] = v;
    }
    int h = 0;
    for (int q = 0; q < n; q++) {
        int l = ord[q];
        if (h > 0 && c[idx[h - 1]] == c[l]) { h--; }          /* same slope: higher a wins */
        while (h >= 2) {
            int p = idx[h - 2], r = idx[h - 1];
            /* x where l overtakes p vs where r overtakes p */
            double xl = (a[p] - a[l]) / (c[l] - c[p]);
            double xr = (a[p] - a[r]) / (c[r] - c[p]);
            if (xl <= xr) h--; else break;
        }
        idx[h++] = l;
    }
    for (int q = 0; q + 1 < h; q++) {
        int p = idx[q], r = idx[q + 1];
        brk[q] = (a[p] - a[r]) / (c[r] - c[p]);
    }
    return h;
}

/* Mode of g_i = s_i - lse - x^2/2 (concave). env/brk from ogem_q_envelope. */
OGEM_HD double ogem_q_mode1(int n, const double *a, const double *c, int i,
                            const int *env, const double *brk, int nenv, double *gmax)
{
    double cmin = c[0], cmax = c[0];
    for (int j = 1; j < n; j++) { cmin = c[j] < cmin ? c[j] : cmin; cmax = c[j] > cmax ? c[j] : cmax; }
    double lo = c[i] - cmax, hi = c[i] - cmin;
    /* guess from the envelope: dg ~ c_i - c_win - x, decreasing with downward jumps */
    double x = lo;
    for (int q = 0; q < nenv; q++) {
        double d = c[i] - c[env[q]];
        double right = q + 1 < nenv ? brk[q] : INFINITY;
        if (d - right < 0.0) {
            double left = q > 0 ? brk[q - 1] : -INFINITY;
            x = (d - left > 0.0) ? d : left;
            break;
        }
    }
    if (!(x >= lo)) x = lo;
    if (!(x <= hi)) x = hi;
    double g[OGEM_QUAD_MAX_LINES], dg[OGEM_QUAD_MAX_LINES], d2g;
    double scale = 1e-13 * (1.0 + fabs(x) + (cmax - cmin));
    for (int it = 0; it < 100; it++) {
        ogem_q_eval1(n, a, c, x, g, dg, &d2g);
        double f = dg[i];
        if (f > 0.0) lo = x; else hi = x;
        if (fabs(f) <= scale || hi - lo <= 1e-15 * (1.0 + fabs(x))) break;
        double xn = x - f / d2g;
        if (!(xn > lo && xn < hi)) xn = 0.5 * (lo + hi);
        x = xn;
    }
    ogem_q_eval1(n, a, c, x, g, dg, &d2g);
    *gmax = g[i];
    return x;
}

/* ---- the problem evaluator (1-D lines, or profile of 2-D lines over w1) ---- */

/* Inner lines at w1 = x: a_i + c_i1 x, slopes c_i2. */
OGEM_HD void ogem_q_inner_lines(const ogem_qprob *P, double x, double *ai)
{
    for (int i = 0; i < P->n; i++) ai[i] = P->a[i] + P->c[i] * x;
}

/* Evaluates at x. For dim 2 only components with want[i] set are filled
 * (want == NULL: the active ones). */
OGEM_HD void ogem_q_eval(const ogem_qprob *P, double x, ogem_qpt *pt, const unsigned char *want)
{
    int n = P->n;
    pt->x = x;
    if (P->dim == 1) {
        double d2;
        ogem_q_eval1(n, P->a, P->c, x, pt->g, pt->dg, &d2);
        for (int i = 0; i < n; i++) pt->d2g[i] = d2;
        return;
    }
    double ai[OGEM_QUAD_MAX_LINES];
    int env[OGEM_QUAD_MAX_LINES];
    double brk[OGEM_QUAD_MAX_LINES];
    for (int i = 0; i < OGEM_QUAD_MAX_LINES; i++) ai[i] = 0.0;
    ogem_q_inner_lines(P, x, ai);
    int ne = ogem_q_envelope(n, ai, P->c2, env, brk);
    for (int i = 0; i < n; i++) {
        int w = want ? want[i] : P->act[i];
        if (!w) { pt->g[i] = -INFINITY; pt->dg[i] = 0.0; pt->d2g[i] = -1.0; continue; }
        double gm;
        double t = ogem_q_mode1(n, ai, P->c2, i, env, brk, ne, &gm);
        /* softmax moments at (x, t) */
        double s[OGEM_QUAD_MAX_LINES];
        int im = 0;
        for (int j = 0; j < n; j++) { s[j] = ai[j] + P->c2[j] * t; if (s[j] > s[im]) im = j; }
        double sum = 0.0, m1 = 0.0, m2 = 0.0, n1 = 0.0, n2 = 0.0, x12 = 0.0;
        for (int j = 0; j < n; j++) {
            double e = exp(s[j] - s[im]);
            double d1 = P->c[j] - P->c[im], e2 = P->c2[j] - P->c2[im];
            sum += e; m1 += e * d1; m2 += e * d1 * d1; n1 += e * e2; n2 += e * e2 * e2; x12 += e * d1 * e2;
        }
        m1 /= sum; m2 /= sum; n1 /= sum; n2 /= sum; x12 /= sum;
        double v1 = m2 - m1 * m1, v2 = n2 - n1 * n1, cv = x12 - m1 * n1;
        if (v1 < 0.0) v1 = 0.0;
        if (v2 < 0.0) v2 = 0.0;
        double g11 = -1.0 - v1, g22 = -1.0 - v2, g12 = -cv;
        pt->g[i] = gm - 0.5 * x * x;
        pt->dg[i] = P->c[i] - (P->c[im] + m1) - x;
        double d2 = g11 - g12 * g12 / g22;
        pt->d2g[i] = d2 < -1.0 ? d2 : -1.0;
    }
}

/* ---- panel construction ---------------------------------------------------- */

typedef struct ogem_qfeat { double f, eps; } ogem_qfeat;

/* Largest admissible panel width starting at x given the two end evaluations
 * px (at x) and py (at the tentative end). */
OGEM_HD double ogem_q_demand(const ogem_qprob *P, const ogem_qpanels *Q,
                             const ogem_qpt *px, const ogem_qpt *py,
                             const ogem_qfeat *F, int nf)
{
    double x = px->x, y = py->x;
    double h = OGEM_QUAD_H * OGEM_QUAD_CURV_SAFETY;
    for (int i = 0; i < P->n; i++) {
        if (!P->act[i]) continue;
        if (y < Q->L[i] || x > Q->R[i]) continue;
        double lx = Q->gmax[i] - px->g[i], ly = Q->gmax[i] - py->g[i];
        double l = lx < ly ? lx : ly;
        if (x <= Q->mu[i] && y >= Q->mu[i]) l = 0.0;
        double r = fmax(fabs(px->dg[i]), fabs(py->dg[i]));
        double hr = ogem_quad_ctab(l) / r;
        if (hr < h) h = hr;
        double k2 = -fmin(px->d2g[i], py->d2g[i]);
        double hc = OGEM_QUAD_H * OGEM_QUAD_CURV_SAFETY / sqrt(k2);
        if (hc < h) h = hc;
    }
    if (P->actG && !(y < -Q->W || x > Q->W)) {
        double ax = fabs(x), ay = fabs(y);
        double l = 0.5 * fmin(ax, ay) * fmin(ax, ay);
        if (x <= 0.0 && y >= 0.0) l = 0.0;
        l -= P->lscale;
        double r = fmax(ax, ay);
        if (r > 0.0) {
            double hr = ogem_quad_ctab(l) / r;
            if (hr < h) h = hr;
        }
    }
    const double sg = OGEM_QUAD_SIGMA;
    for (int q = 0; q < nf; q++) {
        double f = F[q].f, e = sg * F[q].eps, hf;
        if (f > x) { hf = sg * (f - x) / (1.0 + sg); if (hf < e) hf = e; }
        else { hf = sg * (x - f); if (hf < e) hf = e; }
        if (hf < h) h = hf;
    }
    return h;
}

/* x where the (concave) g_i falls to target, searched from the side dir = +-1. */
OGEM_HD double ogem_q_level_end(const ogem_qprob *P, int i, double mu, double target, int dir)
{
    ogem_qpt pt;
    unsigned char want[OGEM_QUAD_MAX_LINES];
    for (int j = 0; j < P->n; j++) want[j] = (unsigned char)(j == i);
    double x = mu + dir * sqrt(2.0 * (OGEM_QUAD_T + 2.0));
    for (int it = 0; it < 60; it++) {
        ogem_q_eval(P, x, &pt, want);
        double gap = target - pt.g[i];
        if (gap <= 1.0) break;
        double d = pt.dg[i];
        if (!(dir * d < 0.0)) break;
        double xn = x - (pt.g[i] - target) / d;
        if ((xn - mu) * dir < 0.0) break;
        x = xn;
    }
    return x;
}

/* Mode of the profile (dim 2) by safeguarded Newton. */
OGEM_HD double ogem_q_mode_prof(const ogem_qprob *P, int i, double *gmax)
{
    double cmin = P->c[0], cmax = P->c[0];
    for (int j = 1; j < P->n; j++) { cmin = fmin(cmin, P->c[j]); cmax = fmax(cmax, P->c[j]); }
    double lo = P->c[i] - cmax, hi = P->c[i] - cmin;
    unsigned char want[OGEM_QUAD_MAX_LINES];
    for (int j = 0; j < P->n; j++) want[j] = (unsigned char)(j == i);
    ogem_qpt pt;
    double x = 0.0;
    if (x < lo) x = lo;
    if (x > hi) x = hi;
    double scale = 1e-13 * (1.0 + fabs(x) + (cmax - cmin));
    for (int it = 0; it < 100; it++) {
        ogem_q_eval(P, x, &pt, want);
        double f = pt.dg[i];
        if (f > 0.0) lo = x; else hi = x;
        if (fabs(f) <= scale || hi - lo <= 1e-15 * (1.0 + fabs(x))) break;
        double xn = x - f / pt.d2g[i];
        if (!(xn > lo && xn < hi)) xn = 0.5 * (lo + hi);
        x = xn;
    }
    ogem_q_eval(P, x, &pt, want);
    *gmax = pt.g[i];
    return x;
}

/* Adds the switch points of the problem to F. Returns the new count, or -1. */
OGEM_HD int ogem_q_features(const ogem_qprob *P, const ogem_qpanels *Q, ogem_qfeat *F, int fcap)
{
    int n = P->n, nf = 0;
    const double M = OGEM_QUAD_MARGIN;
    const double emax = OGEM_QUAD_H / OGEM_QUAD_SIGMA;
    if (P->dim == 1) {
        for (int j = 0; j < n; j++)
            for (int l = j + 1; l < n; l++) {
                double dc = P->c[l] - P->c[j];
                if (dc == 0.0) continue;
                double e = OGEM_QUAD_EPS / fabs(dc);
                if (e >= emax) continue;
                double b = (P->a[j] - P->a[l]) / dc;
                double sj = P->a[j] + P->c[j] * b, mx = sj;
                for (int q = 0; q < n; q++) mx = fmax(mx, P->a[q] + P->c[q] * b);
                if (sj < mx - M) continue;
                if (nf >= fcap) return -1;
                F[nf].f = b; F[nf].eps = e; nf++;
            }
        return nf;
    }
    /* dim 2: boundary lines {a_jl + D . w = 0}; features at the w1 of the
     * point of each boundary where a component's (or the Gaussian's) log
     * integrand peaks, and at the triple points. */
    for (int j = 0; j < n; j++)
        for (int l = j + 1; l < n; l++) {
            double D1 = P->c[l] - P->c[j], D2 = P->c2[l] - P->c2[j];
            double nrm = sqrt(D1 * D1 + D2 * D2);
            if (nrm == 0.0 || D1 == 0.0) continue;
            double e = OGEM_QUAD_EPS / fabs(D1);
            if (e >= emax) continue;
            double A = P->a[l] - P->a[j];          /* boundary: A + D . w = 0 */
            double v1 = -D2 / nrm, v2 = D1 / nrm;   /* unit direction along it */
            double p1 = -A * D1 / (nrm * nrm), p2 = -A * D2 / (nrm * nrm);
            /* lines restricted to the boundary, parameter t */
            double ar[OGEM_QUAD_MAX_LINES], cr[OGEM_QUAD_MAX_LINES];
            for (int q = 0; q < n; q++) {
                ar[q] = P->a[q] + P->c[q] * p1 + P->c2[q] * p2;
                cr[q] = P->c[q] * v1 + P->c2[q] * v2;
            }
            /* relevant at all? some t where j is within M of the envelope */
            double tlo = -INFINITY, thi = INFINITY;
            int ok = 1;
            for (int q = 0; q < n && ok; q++) {
                double d0 = ar[j] - ar[q], d1 = cr[j] - cr[q];   /* d0 + d1 t >= -M */
                if (d1 == 0.0) { if (d0 < -M) ok = 0; }
                else if (d1 > 0.0) tlo = fmax(tlo, (-M - d0) / d1);
                else thi = fmin(thi, (-M - d0) / d1);
            }
            if (!ok || tlo > thi) continue;
            int env[OGEM_QUAD_MAX_LINES];
            double brk[OGEM_QUAD_MAX_LINES];
            int ne = ogem_q_envelope(n, ar, cr, env, brk);
            double hp = 0.5 * (p1 * p1 + p2 * p2);
            for (int i = 0; i <= n; i++) {
                double t;
                if (i < n) {
                    if (!P->act[i]) continue;
                    double gm;
                    t = ogem_q_mode1(n, ar, cr, i, env, brk, ne, &gm);
                    if (gm - hp < Q->gmax[i] - OGEM_QUAD_T - 4.0) continue;
                } else {
                    if (!P->actG) continue;
                    t = 0.0;
                    if (hp > 0.5 * Q->W * Q->W + 2.0) continue;
                }
                if (nf >= fcap) return -1;
                F[nf].f = p1 + t * v1; F[nf].eps = e; nf++;
            }
            /* triple points with a third line q */
            for (int q = l + 1; q < n; q++) {
                double E1 = P->c[q] - P->c[j], E2 = P->c2[q] - P->c2[j], B = P->a[q] - P->a[j];
                double det = D1 * E2 - D2 * E1;
                if (det == 0.0) continue;
                double w1 = (-A * E2 + B * D2) / det, w2 = (-D1 * B + E1 * A) / det;
                double sj = P->a[j] + P->c[j] * w1 + P->c2[j] * w2, mx = sj;
                for (int r = 0; r < n; r++) mx = fmax(mx, P->a[r] + P->c[r] * w1 + P->c2[r] * w2);
                if (sj < mx - M) continue;
                if (0.5 * (w1 * w1 + w2 * w2) > 0.5 * Q->W * Q->W + 2.0) {
                    /* far in the tail: only if some component cares */
                    int care = 0;
                    for (int i = 0; i < n && !care; i++)
                        if (P->act[i] && w1 >= Q->L[i] && w1 <= Q->R[i]) care = 1;
                    if (!care) continue;
                }
                double e3 = e;
                if (E1 != 0.0) e3 = fmin(e3, OGEM_QUAD_EPS / fabs(E1));
                if (nf >= fcap) return -1;
                F[nf].f = w1; F[nf].eps = e3; nf++;
            }
        }
    return nf;
}

/* Builds the panels of problem P (its act[] and actG say what to resolve)
 * into Q (whose lo/h storage holds Q->cap panels), using F (fcap entries) as
 * scratch for the switch points. Returns the number of panels, or -1 when
 * either table is too small. Q->trivial = 1 (and 0 panels) when all slopes
 * are equal. */
OGEM_HD int ogem_q_panels(const ogem_qprob *P, ogem_qpanels *Q, ogem_qfeat *F, int fcap)
{
    int n = P->n;
    Q->np = 0;
    Q->trivial = 0;
    int allsame = 1;
    for (int i = 1; i < n; i++) if (P->c[i] != P->c[0]) allsame = 0;
    if (allsame) { Q->trivial = 1; return 0; }

    /* modes and relevance intervals */
    int env[OGEM_QUAD_MAX_LINES];
    double brk[OGEM_QUAD_MAX_LINES];
    int ne = 0;
    if (P->dim == 1) ne = ogem_q_envelope(n, P->a, P->c, env, brk);
    for (int i = 0; i < n; i++) {
        if (!P->act[i]) continue;
        double gm, mu;
        if (P->dim == 1) mu = ogem_q_mode1(n, P->a, P->c, i, env, brk, ne, &gm);
        else mu = ogem_q_mode_prof(P, i, &gm);
        Q->mu[i] = mu; Q->gmax[i] = gm;
        Q->L[i] = ogem_q_level_end(P, i, mu, gm - OGEM_QUAD_T, -1);
        Q->R[i] = ogem_q_level_end(P, i, mu, gm - OGEM_QUAD_T, +1);
    }
    Q->W = sqrt(2.0 * (OGEM_QUAD_T + P->lscale));
    /* switch points */
    int nf = ogem_q_features(P, Q, F, fcap);
    if (nf < 0) return -1;
    /* sort by position and merge near-duplicates (same point seen from
     * several components), keeping the narrowest scale */
    for (int r = 1; r < nf; r++) {
        ogem_qfeat v = F[r];
        int t = r - 1;
        while (t >= 0 && F[t].f > v.f) { F[t + 1] = F[t]; t--; }
        F[t + 1] = v;
    }
    if (nf > 1) {
        int w = 0;
        for (int r = 1; r < nf; r++) {
            double e = fmin(F[w].eps, F[r].eps);
            if (F[r].f - F[w].f <= 0.25 * e) F[w].eps = e;
            else F[++w] = F[r];
        }
        nf = w + 1;
    }
    /* intervals to cover, sorted by start */
    double s0[OGEM_QUAD_MAX_LINES + 1], s1[OGEM_QUAD_MAX_LINES + 1];
    int ni = 0;
    if (P->actG) { s0[ni] = -Q->W; s1[ni] = Q->W; ni++; }
    for (int i = 0; i < n; i++) if (P->act[i]) { s0[ni] = Q->L[i]; s1[ni] = Q->R[i]; ni++; }
    for (int q = 1; q < ni; q++) {
        double u0 = s0[q], u1 = s1[q];
        int r = q - 1;
        while (r >= 0 && s0[r] > u0) { s0[r + 1] = s0[r]; s1[r + 1] = s1[r]; r--; }
        s0[r + 1] = u0; s1[r + 1] = u1;
    }
    ogem_qpt pa, pb, pc;
    int q = 0;
    while (q < ni) {
        double S = s0[q], E = s1[q];
        q++;
        while (q < ni && s0[q] <= E) { E = fmax(E, s1[q]); q++; }
        double x = S;
        ogem_q_eval(P, x, &pa, 0);
        while (x < E) {
            double h0 = ogem_q_demand(P, Q, &pa, &pa, F, nf);
            double y = x + h0;
            if (y > E) { y = E; h0 = E - x; }
            ogem_q_eval(P, y, &pb, 0);
            double h1 = ogem_q_demand(P, Q, &pa, &pb, F, nf);
            double h = h0;
            int reuse = 1;
            if (h1 < h0) {
                h = h1; reuse = 0;
                /* one more check at the shortened end */
                ogem_q_eval(P, x + h, &pc, 0);
                double h2 = ogem_q_demand(P, Q, &pa, &pc, F, nf);
                if (h2 < h) h = h2;
            }
            /* do not end a panel just short of (or just past) a switch point:
             * centre the narrowest panel on it instead */
            for (int r = 0; r < nf; r++) {
                double e = OGEM_QUAD_SIGMA * F[r].eps, f = F[r].f;
                double hs = f - 0.5 * e - x;
                if (x + h > f - 1.5 * e && x + h < f + 0.5 * e && hs < h && hs > 0.3 * h) h = hs;
            }
            if (Q->np >= Q->cap) return -1;
            Q->lo[Q->np] = x; Q->h[Q->np] = h; Q->np++;
            double xn = x + h;
            if (!(xn > x)) return -1;
            x = xn;
            if (x >= E) break;
            if (reuse) pa = pb;
            else ogem_q_eval(P, x, &pa, 0);
        }
    }
    return Q->np;
}

/* Sets up a 1-D problem from lines (a_i, c_i = c[i * cs]). */
OGEM_HD void ogem_q_setup1(ogem_qprob *P, int n, const double *a, const double *c, int cs)
{
    double amax = 0.0, cmx = 0.0;
    P->dim = 1; P->n = n;
    for (int i = 0; i < n; i++) {
        P->a[i] = a[i]; P->c[i] = c[i * cs]; P->c2[i] = 0.0; P->act[i] = 1;
        amax = fmax(amax, fabs(a[i])); cmx = fmax(cmx, fabs(P->c[i]));
    }
    P->actG = 1;
    P->lscale = log(1.0 + amax + 12.0 * cmx + log((double)n));
}

/* Sets up the outer (profile) problem of 2-D lines, c n x 2 row-major. */
OGEM_HD void ogem_q_setup2(ogem_qprob *P, int n, const double *a, const double *c)
{
    double amax = 0.0, cmx = 0.0;
    P->dim = 2; P->n = n;
    for (int i = 0; i < n; i++) {
        P->a[i] = a[i]; P->c[i] = c[2 * i]; P->c2[i] = c[2 * i + 1]; P->act[i] = 1;
        amax = fmax(amax, fabs(a[i]));
        cmx = fmax(cmx, fabs(P->c[i]) + fabs(P->c2[i]));
    }
    P->actG = 1;
    P->lscale = log(1.0 + amax + 12.0 * cmx + log((double)n));
}

/* The inner problem at outer node x: lines a_i + c_i1 x in w2, resolving the
 * components (and the Gaussian) that matter at x. */
OGEM_HD void ogem_q_inner(const ogem_qprob *P2, const ogem_qpanels *Q2, double x, ogem_qprob *P1)
{
    int n = P2->n;
    double amax = 0.0, cmx = 0.0;
    P1->dim = 1; P1->n = n;
    for (int i = 0; i < n; i++) {
        P1->a[i] = P2->a[i] + P2->c[i] * x;
        P1->c[i] = P2->c2[i];
        P1->c2[i] = 0.0;
        P1->act[i] = (unsigned char)(P2->act[i] && x >= Q2->L[i] && x <= Q2->R[i]);
        amax = fmax(amax, fabs(P1->a[i])); cmx = fmax(cmx, fabs(P1->c[i]));
    }
    P1->actG = P2->actG && fabs(x) <= Q2->W;
    P1->lscale = log(1.0 + amax + 12.0 * cmx + log((double)n));
}

/* Node m of panel p of Q: position and log-weight (GL weight times the
 * standard normal density). */
OGEM_HD double ogem_q_node(const ogem_qpanels *Q, int p, int m, double *lw)
{
    double t, w, hh = 0.5 * Q->h[p];
    ogem_quad_gl(m, &t, &w);
    double x = Q->lo[p] + hh * (1.0 + t);
    *lw = log(hh * w) - 0.5 * x * x - OGEM_QUAD_LOG_SQRT_2PI;
    return x;
}

/* Accumulates one node (point w of dimension kd, log-weight lw, weight
 * wlin = exp(lw)) into the per-component sums: S0_i += psi_i e^(lw - gsh_i),
 * S1_i += that times w, SL += wlin lse. Components with islin[i] use
 * lin[i] = e^-gsh_i and no extra exp. */
OGEM_HD void ogem_q_accum(int n, int kd, const double *a, const double *c, const double *w,
                          double lw, double wlin, const double *gsh, const double *lin,
                          const unsigned char *islin, double *S0, double *S1, double *SL)
{
    double s[OGEM_QUAD_MAX_LINES], e[OGEM_QUAD_MAX_LINES];
    int im = 0;
    double mx = -INFINITY, sum = 0.0;
    for (int i = 0; i < n; i++) {
        double v = a[i];
        for (int d = 0; d < kd; d++) v += c[i * kd + d] * w[d];
        s[i] = v;
        if (v > mx) { mx = v; im = i; }
    }
    for (int i = 0; i < n; i++) { e[i] = i == im ? 1.0 : exp(s[i] - mx); sum += e[i]; }
    double lse = mx + log(sum);
    *SL += wlin * lse;
    double inv = 1.0 / sum;
    for (int i = 0; i < n; i++) {
        double v = islin[i] ? e[i] * inv * wlin * lin[i] : exp(s[i] - lse + lw - gsh[i]);
        S0[i] += v;
        for (int d = 0; d < kd; d++) S1[i * kd + d] += v * w[d];
    }
}

/* Per-component scale: gsh_i ~ the log of the largest term, so the sums
 * neither overflow nor underflow whatever the component's mass. */
OGEM_HD void ogem_q_scales(int n, const double *gpeak, double *gsh, double *lin, unsigned char *islin)
{
    for (int i = 0; i < n && i < OGEM_QUAD_MAX_LINES; i++) {
        gsh[i] = gpeak[i];
        islin[i] = (unsigned char)(gsh[i] > -600.0);
        lin[i] = islin[i] ? exp(-gsh[i]) : 0.0;
    }
}

/* All slopes equal: psi is constant and lse affine in w, so E[psi_i] =
 * exp(a_i - lse(a)), E[psi_i w] = 0 and E[lse] = lse(a): the one node w = 0,
 * weight 1, is exact. */
OGEM_HD void ogem_q_moments0(int k, int n, const double *a, double *log_mass, double *cond_mean, double *mean_lse)
{
    double lse = ogem_lse(a, n);
    for (int i = 0; i < n; i++) {
        log_mass[i] = a[i] - lse;
        for (int d = 0; d < k; d++) cond_mean[i * k + d] = 0.0;
    }
    *mean_lse = lse;
}

/* 1-D moments of lines (a, cu) in the coordinate x = <u, w>; cond_mean is
 * written as m1 * u (k values per component). Returns the node count. */
OGEM_HD int ogem_q_moments1(int n, const double *a, const double *cu, const double *u, int k,
                            double *log_mass, double *cond_mean, double *mean_lse)
{
    ogem_qprob P;
    ogem_qpanels Q;
    double plo[OGEM_QUAD_MAX_PANELS_1D], ph[OGEM_QUAD_MAX_PANELS_1D];
    ogem_qfeat F[OGEM_QUAD_MAX_FEATURES_1D];
    Q.lo = plo; Q.h = ph; Q.cap = OGEM_QUAD_MAX_PANELS_1D;
    ogem_q_setup1(&P, n, a, cu, 1);
    if (ogem_q_panels(&P, &Q, F, OGEM_QUAD_MAX_FEATURES_1D) < 0) return -1;
    if (Q.trivial) { ogem_q_moments0(k, n, a, log_mass, cond_mean, mean_lse); return 1; }
    double S0[OGEM_QUAD_MAX_LINES], S1[OGEM_QUAD_MAX_LINES], SL = 0.0;
    double gp[OGEM_QUAD_MAX_LINES], gsh[OGEM_QUAD_MAX_LINES], lin[OGEM_QUAD_MAX_LINES];
    unsigned char islin[OGEM_QUAD_MAX_LINES];
    for (int i = 0; i < n; i++) { S0[i] = 0.0; S1[i] = 0.0; gp[i] = Q.gmax[i] - OGEM_QUAD_LOG_SQRT_2PI; }
    ogem_q_scales(n, gp, gsh, lin, islin);
    int evals = 0;
    for (int p = 0; p < Q.np; p++)
        for (int m = 0; m < OGEM_QUAD_GL_M; m++, evals++) {
            double lw, x = ogem_q_node(&Q, p, m, &lw);
            ogem_q_accum(n, 1, a, cu, &x, lw, exp(lw), gsh, lin, islin, S0, S1, &SL);
        }
    for (int i = 0; i < n; i++) {
        log_mass[i] = gsh[i] + log(S0[i]);
        double m1 = S1[i] / S0[i];
        for (int d = 0; d < k; d++) cond_mean[i * k + d] = m1 * u[d];
    }
    *mean_lse = SL;
    return evals;
}

/* k = 2 with all c_i - c_0 on one line through 0: returns 1 and the unit
 * direction u (the problem is then 1-D in <u, w>: the orthogonal part of w
 * enters every score equally); 2 when all c_i are equal; 0 otherwise. */
OGEM_HD int ogem_q_rank1(int n, const double *c, double *u)
{
    double best = 0.0;
    u[0] = 1.0; u[1] = 0.0;
    for (int i = 1; i < n; i++) {
        double d1 = c[2 * i] - c[0], d2 = c[2 * i + 1] - c[1];
        double r = sqrt(d1 * d1 + d2 * d2);
        if (r > best) { best = r; u[0] = d1 / r; u[1] = d2 / r; }
    }
    if (best == 0.0) return 2;
    for (int i = 1; i < n; i++) {
        double d1 = c[2 * i] - c[0], d2 = c[2 * i + 1] - c[1];
        if (fabs(d1 * u[1] - d2 * u[0]) > 1e-14 * best) return 0;
    }
    return 1;
}

/* ---- public API ------------------------------------------------------------ */

/*
 * ogem_quad_moments_k1: the k = 1 case of ogem_quad_moments (c: n slopes).
 * Uses no k = 2 machinery, so a kernel calling only this keeps a small
 * frame (about 5 KB with the default limits).
 */
OGEM_HD int ogem_quad_moments_k1(int n, const double *a, const double *c,
                                 double *log_mass, double *cond_mean, double *mean_lse)
{
    if (n < 1 || n > OGEM_QUAD_MAX_LINES) return -1;
    const double u[1] = {1.0};
    return ogem_q_moments1(n, a, c, u, 1, log_mass, cond_mean, mean_lse);
}

/* ogem_quad_moments_k2: the k = 2 case (c: n x 2 row-major). */
OGEM_HD int ogem_quad_moments_k2(int n, const double *a, const double *c,
                                 double *log_mass, double *cond_mean, double *mean_lse)
{
    if (n < 1 || n > OGEM_QUAD_MAX_LINES) return -1;
    double u[2];
    int r = ogem_q_rank1(n, c, u);
    if (r == 2) { ogem_q_moments0(2, n, a, log_mass, cond_mean, mean_lse); return 1; }
    if (r == 1) {
        double cu[OGEM_QUAD_MAX_LINES];
        for (int i = 0; i < n; i++) cu[i] = c[2 * i] * u[0] + c[2 * i + 1] * u[1];
        return ogem_q_moments1(n, a, cu, u, 2, log_mass, cond_mean, mean_lse);
    }
    ogem_qprob P, P1;
    ogem_qpanels Q, Q1;
    double plo[OGEM_QUAD_MAX_PANELS_2D], ph[OGEM_QUAD_MAX_PANELS_2D];
    double qlo[OGEM_QUAD_MAX_PANELS_1D], qh[OGEM_QUAD_MAX_PANELS_1D];
    ogem_qfeat F[OGEM_QUAD_MAX_FEATURES];     /* scratch, reused by the inner rules */
    Q.lo = plo; Q.h = ph; Q.cap = OGEM_QUAD_MAX_PANELS_2D;
    Q1.lo = qlo; Q1.h = qh; Q1.cap = OGEM_QUAD_MAX_PANELS_1D;
    ogem_q_setup2(&P, n, a, c);
    if (ogem_q_panels(&P, &Q, F, OGEM_QUAD_MAX_FEATURES) < 0) return -1;
    /* Q.trivial (all c_i1 equal, c_i2 not) is the rank-1 case handled above */
    double S0[OGEM_QUAD_MAX_LINES], S1[2 * OGEM_QUAD_MAX_LINES], SL = 0.0;
    double gp[OGEM_QUAD_MAX_LINES], gsh[OGEM_QUAD_MAX_LINES], lin[OGEM_QUAD_MAX_LINES];
    unsigned char islin[OGEM_QUAD_MAX_LINES];
    for (int i = 0; i < n; i++) {
        S0[i] = 0.0; S1[2 * i] = S1[2 * i + 1] = 0.0;
        gp[i] = Q.gmax[i] - 2.0 * OGEM_QUAD_LOG_SQRT_2PI;
    }
    ogem_q_scales(n, gp, gsh, lin, islin);
    int evals = 0;
    for (int p = 0; p < Q.np; p++)
        for (int m = 0; m < OGEM_QUAD_GL_M; m++) {
            double lwo, x = ogem_q_node(&Q, p, m, &lwo);
            ogem_q_inner(&P, &Q, x, &P1);
            if (ogem_q_panels(&P1, &Q1, F, OGEM_QUAD_MAX_FEATURES) < 0) return -1;
            /* partial sums per outer node keep the rounding of ~1e5 terms small */
            double T0[OGEM_QUAD_MAX_LINES], T1[2 * OGEM_QUAD_MAX_LINES], TL = 0.0;
            for (int i = 0; i < n; i++) { T0[i] = 0.0; T1[2 * i] = T1[2 * i + 1] = 0.0; }
            if (Q1.trivial) {         /* inner slopes equal: one node w2 = 0, weight 1 */
                double wv[2] = {x, 0.0};
                ogem_q_accum(n, 2, a, c, wv, lwo, exp(lwo), gsh, lin, islin, T0, T1, &TL);
                evals++;
            } else {
                for (int q = 0; q < Q1.np; q++)
                    for (int j = 0; j < OGEM_QUAD_GL_M; j++, evals++) {
                        double lwi, wv[2];
                        wv[0] = x;
                        wv[1] = ogem_q_node(&Q1, q, j, &lwi);
                        double lw = lwo + lwi;
                        ogem_q_accum(n, 2, a, c, wv, lw, exp(lw), gsh, lin, islin, T0, T1, &TL);
                    }
            }
            for (int i = 0; i < n; i++) { S0[i] += T0[i]; S1[2 * i] += T1[2 * i]; S1[2 * i + 1] += T1[2 * i + 1]; }
            SL += TL;
        }
    for (int i = 0; i < n; i++) {
        log_mass[i] = gsh[i] + log(S0[i]);
        cond_mean[2 * i] = S1[2 * i] / S0[i];
        cond_mean[2 * i + 1] = S1[2 * i + 1] / S0[i];
    }
    *mean_lse = SL;
    return evals;
}

/*
 * ogem_quad_moments: the expectations of the line set s_i = a_i + <c_i, w>
 * (c: n x k row-major) over w ~ N(0, I_k), on the rule of ogem_quad_rule
 * but without storing it:
 *   log_mass[i]          = log E[psi_i]          (finite even far below 1e-300)
 *   cond_mean[i * k + d] = E[psi_i w_d] / E[psi_i]
 *   *mean_lse            = E[lse_i s_i(w)]
 * Returns the number of integrand evaluations (nodes), or -1 (k > 2,
 * n > OGEM_QUAD_MAX_LINES, or a panel table overflow); outputs are then
 * untouched.
 */
OGEM_HD int ogem_quad_moments(int k, int n, const double *a, const double *c,
                              double *log_mass, double *cond_mean, double *mean_lse)
{
    if (n < 1 || n > OGEM_QUAD_MAX_LINES) return -1;
    if (k == 0) { ogem_q_moments0(0, n, a, log_mass, cond_mean, mean_lse); return 1; }
    if (k == 1) return ogem_quad_moments_k1(n, a, c, log_mass, cond_mean, mean_lse);
    if (k == 2) return ogem_quad_moments_k2(n, a, c, log_mass, cond_mean, mean_lse);
    return -1;
}

/*
 * ogem_quad_rule: the rule itself. nodes: cap x k (row-major), logw: cap
 * LOG-weights, log(W_j), where W_j includes the N(0, I_k) density, so that
 * E[f] ~ sum_j exp(logw[j]) f(nodes_j). Log-weights because the weights where
 * a far component's mass lives underflow (phi(500) ~ e^-125000). With nodes
 * == logw == NULL it returns the count only. Returns the number of points, or
 * -1 (cap too small, k > 2, n > OGEM_QUAD_MAX_LINES, or a table overflow).
 * For k = 1 at most OGEM_QUAD_MAX_POINTS points; for k = 2 count first.
 */
OGEM_HD int ogem_quad_rule(int k, int n, const double *a, const double *c,
                           double *nodes, double *logw, int cap)
{
    if (n < 1 || n > OGEM_QUAD_MAX_LINES || k < 0 || k > 2) return -1;
    int count = !nodes && !logw;
    double u[2] = {1.0, 0.0};
    int kk = k;
    if (k == 2) {
        int r = ogem_q_rank1(n, c, u);
        if (r == 2) kk = 0;
        else if (r == 1) kk = 1;
    }
    if (kk == 0) {
        if (!count && cap < 1) return -1;
        for (int d = 0; d < k && nodes; d++) nodes[d] = 0.0;
        if (logw) logw[0] = 0.0;
        return 1;
    }
    ogem_qprob P;
    ogem_qpanels Q;
    if (kk == 1) {
        double plo[OGEM_QUAD_MAX_PANELS_1D], ph[OGEM_QUAD_MAX_PANELS_1D];
        ogem_qfeat F1[OGEM_QUAD_MAX_FEATURES_1D];
        Q.lo = plo; Q.h = ph; Q.cap = OGEM_QUAD_MAX_PANELS_1D;
        double cu[OGEM_QUAD_MAX_LINES];
        for (int i = 0; i < n; i++) cu[i] = k == 1 ? c[i] : c[2 * i] * u[0] + c[2 * i + 1] * u[1];
        ogem_q_setup1(&P, n, a, cu, 1);
        if (ogem_q_panels(&P, &Q, F1, OGEM_QUAD_MAX_FEATURES_1D) < 0) return -1;
        if (Q.trivial) {           /* k == 1 with equal slopes */
            if (!count && cap < 1) return -1;
            if (nodes) nodes[0] = 0.0;
            if (logw) logw[0] = 0.0;
            return 1;
        }
        int np = Q.np * OGEM_QUAD_GL_M;
        if (count) return np;
        if (np > cap) return -1;
        for (int p = 0, j = 0; p < Q.np; p++)
            for (int m = 0; m < OGEM_QUAD_GL_M; m++, j++) {
                double lw, x = ogem_q_node(&Q, p, m, &lw);
                if (nodes) for (int d = 0; d < k; d++) nodes[j * k + d] = x * u[d];
                if (logw) logw[j] = lw;
            }
        return np;
    }
    /* nested rule: outer over w1, inner over w2 */
    ogem_qprob P1;
    ogem_qpanels Q1;
    ogem_qfeat F[OGEM_QUAD_MAX_FEATURES];     /* scratch, reused by the inner rules */
    double plo[OGEM_QUAD_MAX_PANELS_2D], ph[OGEM_QUAD_MAX_PANELS_2D];
    double qlo[OGEM_QUAD_MAX_PANELS_1D], qh[OGEM_QUAD_MAX_PANELS_1D];
    Q.lo = plo; Q.h = ph; Q.cap = OGEM_QUAD_MAX_PANELS_2D;
    Q1.lo = qlo; Q1.h = qh; Q1.cap = OGEM_QUAD_MAX_PANELS_1D;
    ogem_q_setup2(&P, n, a, c);
    if (ogem_q_panels(&P, &Q, F, OGEM_QUAD_MAX_FEATURES) < 0) return -1;
    int j = 0;
    for (int p = 0; p < Q.np; p++)
        for (int m = 0; m < OGEM_QUAD_GL_M; m++) {
            double lwo, x = ogem_q_node(&Q, p, m, &lwo);
            ogem_q_inner(&P, &Q, x, &P1);
            if (ogem_q_panels(&P1, &Q1, F, OGEM_QUAD_MAX_FEATURES) < 0) return -1;
            int ni = Q1.trivial ? 1 : Q1.np * OGEM_QUAD_GL_M;
            if (count) { j += ni; continue; }
            if (j + ni > cap) return -1;
            for (int q = 0; q < ni; q++, j++) {
                double y = 0.0, lwi = 0.0;
                if (!Q1.trivial) y = ogem_q_node(&Q1, q / OGEM_QUAD_GL_M, q % OGEM_QUAD_GL_M, &lwi);
                if (nodes) { nodes[2 * j] = x; nodes[2 * j + 1] = y; }
                if (logw) logw[j] = lwo + lwi;
            }
        }
    return j;
}

#endif /* OGEM_QUAD_RULE_H */
