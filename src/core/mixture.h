/* mixture.h - how far a model is from a mixture truth (mixture_match.c): the
 * one computation behind the metrics of a step (solver.c) and the public
 * ogem_mixture_match, so that the two cannot define them differently. */
#ifndef OGEM_MIXTURE_H
#define OGEM_MIXTURE_H

/* |x - y|^2 in d dimensions, summed in coordinate order (the metrics and the
 * stratified intercepts use this one sum). */
static inline double ogem_sqdist(const double *x, const double *y, int d)
{
    double s = 0.0;
    for (int k = 0; k < d; k++) s += (x[k] - y[k]) * (x[k] - y[k]);
    return s;
}

typedef struct ogem_fit {
    double max_dist;    /* max_i min_j |mu_i - mu*_j|                    */
    double mean_dist2;  /* sum_i pi_i min_j |mu_i - mu*_j|^2             */
    double cover_dist;  /* max_j min_i |mu_i - mu*_j|                    */
    double voronoi;     /* the Voronoi loss of solver.h                  */
} ogem_fit;

/* mu: n x d, pi: n, tmu: m x d, tw: m, in any one frame (the solver passes
 * coordinates relative to mu*_1). near, mass: m or NULL (as in
 * ogem_mixture_match; mass needs radius). */
void ogem_mixture_fit(int n, int d, const double *mu, const double *pi, int m, const double *tmu, const double *tw,
                      double radius, double *near, double *mass, ogem_fit *out);

#endif
