/* init.c - initial means. Every draw is a pure function of (seed, init index,
 * value index) through counter-based Philox, so initialization r is the same
 * whatever the batch size R is, and a batch can be generated in any order. */
#include <math.h>
#include <string.h>
#include "ogem/ogem.h"
#include "core/backend.h"
#include "math/sample_math.h"

void ogem_normals(uint64_t seed, uint64_t stream, uint64_t index, double *out, long count)
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    for (long q = 0; q < count; q++) {
        uint64_t j = index + (uint64_t)q, block = j >> 1;
        uint32_t ctr[4] = {(uint32_t)block, (uint32_t)(block >> 32), (uint32_t)stream, (uint32_t)(stream >> 32)};
        uint32_t r[4];
        ogem_philox4x32_10(ctr, key, r);
        /* Box-Muller on two 64-bit uniforms in (0, 1). */
        double u1 = ogem_u64_to_open01(((uint64_t)r[1] << 32) | r[0]);
        double u2 = ogem_u64_to_open01(((uint64_t)r[3] << 32) | r[2]);
        double rad = sqrt(-2.0 * log(u1)), ang = 6.283185307179586476925 * u2;
        out[q] = (j & 1) ? rad * sin(ang) : rad * cos(ang);
    }
}

static uint64_t init_stream(long r) { return ((uint64_t)OGEM_STREAM_INIT << 48) ^ (uint64_t)r; }

static ogem_status check_shape(const double *out, long count, int n, int d)
{
    return (out && count >= 0 && n >= 1 && d >= 1) ? OGEM_OK : OGEM_ERR_INVALID;
}

ogem_status ogem_init_random(double *out, long first, long count, int n, int d,
                             const double *mu_star, double scale, uint64_t seed)
{
    if (check_shape(out, count, n, d) || !isfinite(scale) || scale < 0 || first < 0) return OGEM_ERR_INVALID;
    uint64_t s = ogem_derive_seed(seed, OGEM_STREAM_INIT);
    for (long q = 0; q < count; q++) {
        double *mu = out + (size_t)q * n * d;
        ogem_normals(s, init_stream(first + q), 0, mu, (long)n * d);
        for (int i = 0; i < n; i++)
            for (int k = 0; k < d; k++)
                mu[i * d + k] = (mu_star ? mu_star[k] : 0.0) + scale * mu[i * d + k];
    }
    return OGEM_OK;
}

ogem_status ogem_init_far(double *out, long first, long count, int n, int d,
                          const double *mu_star, int K, double radius, uint64_t seed)
{
    if (check_shape(out, count, n, d) || K < 0 || K > n || !isfinite(radius) || radius < 0 || first < 0)
        return OGEM_ERR_INVALID;
    uint64_t s = ogem_derive_seed(seed, OGEM_STREAM_INIT);
    for (long q = 0; q < count; q++) {
        double *mu = out + (size_t)q * n * d;
        for (int i = 0; i < n; i++) {
            double *v = mu + (size_t)i * d, norm2 = 0.0;
            if (i < K) {
                /* A uniform direction: a normalised Gaussian vector (redrawn in
                 * the astronomically unlikely case that it is zero). */
                uint64_t idx = (uint64_t)i * d;
                do {
                    ogem_normals(s, init_stream(first + q), idx, v, d);
                    norm2 = 0.0;
                    for (int k = 0; k < d; k++) norm2 += v[k] * v[k];
                    idx += (uint64_t)n * d;
                } while (!(norm2 > 0.0));
                double f = radius / sqrt(norm2);
                for (int k = 0; k < d; k++) v[k] *= f;
            } else {
                memset(v, 0, sizeof(double) * d);
            }
            for (int k = 0; k < d; k++) v[k] += mu_star ? mu_star[k] : 0.0;
        }
    }
    return OGEM_OK;
}
