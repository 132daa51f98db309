/* survival.c - Kaplan-Meier curves, their quantiles, and a least-squares line:
 * the statistics behind escape-time summaries and growth-exponent fits. */
#include <math.h>
#include <stdlib.h>
#include "ogem/ogem.h"

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

long ogem_km_curve(const long *t, long R, long *times, double *surv)
{
    long *ev = malloc(sizeof(long) * (size_t)(R > 0 ? R : 1));
    if (!ev) return 0;
    long m = 0;
    for (long r = 0; r < R; r++)
        if (t[r] >= 0) ev[m++] = t[r];
    qsort(ev, (size_t)m, sizeof(long), cmp_long);
    /* Censored runs stay at risk through every event time. */
    long at_risk = R, out = 0;
    double S = 1.0;
    for (long q = 0; q < m;) {
        long tt = ev[q], deaths = 0;
        while (q < m && ev[q] == tt) { deaths++; q++; }
        S *= 1.0 - (double)deaths / (double)at_risk;
        at_risk -= deaths;
        times[out] = tt;
        surv[out] = S;
        out++;
    }
    free(ev);
    return out;
}

long ogem_km_quantile(const long *times, const double *surv, long m, double q)
{
    for (long j = 0; j < m; j++)
        if (surv[j] <= 1.0 - q + 1e-12) return times[j];
    return -1;
}

int ogem_linear_fit(const double *x, const double *y, int m, double *a, double *b, double *r2)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
    int k = 0;
    for (int j = 0; j < m; j++) {
        if (!isfinite(x[j]) || !isfinite(y[j])) continue;
        sx += x[j]; sy += y[j]; sxx += x[j] * x[j]; sxy += x[j] * y[j]; syy += y[j] * y[j];
        k++;
    }
    *a = *b = *r2 = NAN;
    if (k < 2) return k;
    double vx = sxx - sx * sx / k, vy = syy - sy * sy / k, cxy = sxy - sx * sy / k;
    if (!(vx > 0)) return k;
    *b = cxy / vx;
    *a = (sy - *b * sx) / k;
    *r2 = vy > 0 ? cxy * cxy / (vx * vy) : 1.0;
    return k;
}
