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

/* A uniform in (0, 1) for (seed, stream, index): one Philox draw, 64 bits. */
static double init_uniform(uint64_t seed, uint64_t stream, uint64_t index)
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    const uint32_t ctr[4] = {(uint32_t)index, (uint32_t)(index >> 32), (uint32_t)stream, (uint32_t)(stream >> 32)};
    uint32_t r[4];
    ogem_philox4x32_10(ctr, key, r);
    return ogem_u64_to_open01(((uint64_t)r[1] << 32) | r[0]);
}

/* Per init: component i's truth component from uniform i of the label
 * stream (the first j whose cumulative weight exceeds it), its normal from
 * values [i d, (i+1) d) of the init stream, its noise from the n d values
 * after those; so a draw depends on (seed, r, i) only. */
ogem_status ogem_init_truth_sample(double *out, long first, long count, int n, int d, int m,
                                   const double *truth_weights, const double *truth_means,
                                   const double *mu_star, double noise, uint64_t seed)
{
    if (check_shape(out, count, n, d) || m < 0 || (m > 0 && (!truth_weights || !truth_means || mu_star)) ||
        !isfinite(noise) || noise < 0 || first < 0)
        return OGEM_ERR_INVALID;
    if (m > 0 && ogem_weights_check(m, truth_weights, NULL, 0)) return OGEM_ERR_INVALID;
    uint64_t s = ogem_derive_seed(seed, OGEM_STREAM_INIT);
    const uint64_t label_stream = (uint64_t)1 << 47;
    for (long q = 0; q < count; q++) {
        const uint64_t stream = init_stream(first + q);
        double *mu = out + (size_t)q * n * d;
        for (int i = 0; i < n; i++) {
            const double *centre = mu_star;
            if (m > 0) {
                const double u = init_uniform(s, stream ^ label_stream, (uint64_t)i);
                int j = 0;
                double cum = truth_weights[0];
                while (j < m - 1 && u >= cum) cum += truth_weights[++j];
                centre = truth_means + (size_t)j * d;
            }
            double *v = mu + (size_t)i * d;
            ogem_normals(s, stream, (uint64_t)i * d, v, d);
            for (int k = 0; k < d; k++) {
                double e;
                ogem_normals(s, stream, (uint64_t)n * d + (uint64_t)i * d + k, &e, 1);
                v[k] += (centre ? centre[k] : 0.0) + noise * e;
            }
        }
    }
    return OGEM_OK;
}
