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

ogem_status ogem_km_curve(const long *t, long R, long *times, double *surv, long *count)
{
    if (!count || R < 0 || (R > 0 && (!t || !times || !surv))) return OGEM_ERR_INVALID;
    /* The event times are sorted in times[] itself, then compressed in place
     * into the distinct ones (a group is written at or before where it was
     * read), so nothing is allocated and nothing can run out of memory. */
    long m = 0;
    for (long r = 0; r < R; r++)
        if (t[r] >= 0) times[m++] = t[r];
    if (m > 1) qsort(times, (size_t)m, sizeof(long), cmp_long);
    /* Censored runs stay at risk through every event time. */
    long at_risk = R, out = 0;
    double S = 1.0;
    for (long q = 0; q < m;) {
        long tt = times[q], deaths = 0;
        while (q < m && times[q] == tt) { deaths++; q++; }
        S *= 1.0 - (double)deaths / (double)at_risk;
        at_risk -= deaths;
        times[out] = tt;
        surv[out] = S;
        out++;
    }
    *count = out;
    return OGEM_OK;
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
