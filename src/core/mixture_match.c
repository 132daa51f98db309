/* mixture_match.c - distances between a model sum_i pi_i N(mu_i, I) and a
 * mixture truth sum_j w_j N(mu*_j, I) (mixture.h, solver.h's
 * ogem_mixture_match).
 *
 * Why these. An over-parameterized model never matches the truth component
 * for component: several model means share one truth mean, and with learned
 * weights some components keep no weight at all. So distances go to the
 * NEAREST truth mean (max_dist, mean_dist2: for one truth Gaussian the
 * distances to mu* as before, bit for bit), each truth component asks for its
 * nearest model mean (cover_dist: a truth component nobody fits shows up
 * here), and the Voronoi loss of Manole and Ho (2022), the parameter
 * distance under which over-specified mixtures have their known rates, puts
 * the weights in: it is 0 exactly when the model is the truth. */
#include <math.h>
#include "core/mixture.h"
#include "ogem/ogem.h"

/* The truth component whose mean is nearest x (the first of equals): x's
 * Voronoi cell; *best gets the squared distance. */
static int cell_of(const double *x, int d, int m, const double *tmu, double *best)
{
    int cj = 0;
    *best = INFINITY;
    for (int j = 0; j < m; j++) {
        const double s = ogem_sqdist(x, tmu + (size_t)j * d, d);
        if (s < *best) { *best = s; cj = j; }
    }
    return cj;
}

void ogem_mixture_fit(int n, int d, const double *mu, const double *pi, int m, const double *tmu, const double *tw,
                      double radius, double *near, double *mass, ogem_fit *out)
{
    double maxd = 0.0, md2 = 0.0, cover = 0.0, wdev = 0.0;
    for (int i = 0; i < n; i++) {
        double best;
        (void)cell_of(mu + (size_t)i * d, d, m, tmu, &best);
        maxd = fmax(maxd, sqrt(best));
        md2 += pi[i] * best;
    }
    /* Per truth component: its nearest model mean, the weight within radius,
     * and the weight of its cell (cells are recomputed per j rather than
     * kept: m and n are small, and no buffer means no allocation to fail). */
    for (int j = 0; j < m; j++) {
        const double *y = tmu + (size_t)j * d;
        double nearest = INFINITY, within = 0.0, cell = 0.0, best;
        for (int i = 0; i < n; i++) {
            const double *x = mu + (size_t)i * d;
            const double s = sqrt(ogem_sqdist(x, y, d));
            nearest = fmin(nearest, s);
            if (s <= radius) within += pi[i];
            if (cell_of(x, d, m, tmu, &best) == j) cell += pi[i];
        }
        if (near) near[j] = nearest;
        if (mass) mass[j] = within;
        cover = fmax(cover, nearest);
        wdev += fabs(cell - tw[j]);
    }
    out->max_dist = maxd;
    out->mean_dist2 = md2;
    out->cover_dist = cover;
    /* sum_j sum_{i in V_j} pi_i |mu_i - mu*_j|^2 is mean_dist2: within its
     * cell a component's distance is the one to its nearest truth mean. */
    out->voronoi = wdev + md2;
}

double ogem_mixture_match(int n, int d, const double *mu, const double *pi, int m, const double *truth_means,
                          const double *w, double radius, double *near, double *mass)
{
    ogem_fit f;
    ogem_mixture_fit(n, d, mu, pi, m, truth_means, w, radius, near, mass, &f);
    return f.voronoi;
}
