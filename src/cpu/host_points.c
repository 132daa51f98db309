/* host_points.c - draws the CPU backend's points with cuRAND's host API,
 * following the plan in backend.h. mc draws a whole group of steps at once
 * (one reseed per 2^18 values: a reseed of the host generator costs a block of
 * that size, about 4.5 ms, whatever is drawn), and serves each step its slice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/host_points.h"
#include "math/checked.h"
#include "math/sample_math.h"

#define CURAND_TRY(call)                                                              \
    do {                                                                              \
        curandStatus_t st_ = (call);                                                  \
        if (st_ != CURAND_STATUS_SUCCESS) {                                           \
            if (msg) snprintf(msg, len, "cuRAND host generator failed (%s: status %d)", #call, (int)st_); \
            return OGEM_ERR_CURAND;                                                   \
        }                                                                             \
    } while (0)

static ogem_status fail_nomem(char *msg, size_t len)
{
    if (msg) snprintf(msg, len, "out of memory allocating the sample points");
    return OGEM_ERR_NOMEM;
}

static ogem_status draw_fixed(ogem_host_points *hp, char *msg, size_t len)
{
    long count = ogem_fixed_draw_count(hp->N, hp->K);
    double *buf = malloc(ogem_size_mul(sizeof(double), ogem_count(count)));
    if (!buf) return fail_nomem(msg, len);
    curandGenerator_t g;
    if (curandCreateGeneratorHost(&g, CURAND_RNG_PSEUDO_PHILOX4_32_10) != CURAND_STATUS_SUCCESS) {
        free(buf);
        if (msg) snprintf(msg, len, "cannot create the cuRAND host generator");
        return OGEM_ERR_CURAND;
    }
    curandStatus_t st = curandSetGeneratorOrdering(g, OGEM_CURAND_ORDERING);
    if (!st) st = curandSetPseudoRandomGeneratorSeed(g, ogem_stream_seed(hp->seed, OGEM_STREAM_FIXED));
    if (!st) st = curandSetGeneratorOffset(g, 0);
    if (!st) st = curandGenerateNormalDouble(g, buf, (size_t)count, 0.0, 1.0);
    curandDestroyGenerator(g);
    if (st) {
        free(buf);
        if (msg) snprintf(msg, len, "cuRAND host generator failed drawing fixed samples (status %d)", (int)st);
        return OGEM_ERR_CURAND;
    }
    memcpy(hp->p, buf, sizeof(double) * hp->nk);
    free(buf);
    return OGEM_OK;
}

/* pt = p transposed, once per draw rather than once per initialization; in
 * tiles of 32 x 32, so that for large K the writes, 8 N bytes apart, touch 32
 * rows at a time instead of all K (each row its own page). */
static void transpose(ogem_host_points *hp)
{
    const long N = hp->N, T = 32;
    const int K = hp->K;
    for (long j0 = 0; j0 < N; j0 += T)
        for (int k0 = 0; k0 < K; k0 += (int)T)
            for (int k = k0; k < K && k < k0 + T; k++)
                for (long j = j0; j < N && j < j0 + T; j++) hp->pt[(size_t)k * N + j] = hp->p[(size_t)j * K + k];
}

/* Values in one mc group's draw: count values per step, group_steps steps. */
static size_t mc_draw_len(long N, int K)
{
    return ogem_size_mul(ogem_count(ogem_mc_draw_count(N, K)), ogem_count(ogem_mc_group_steps(N, K)));
}

size_t ogem_host_points_bytes(const ogem_point_spec *spec)
{
    if (spec->kind == OGEM_EST_EXACT) return 0;
    const size_t nk = ogem_size_mul(ogem_count(spec->N), ogem_count(spec->K));
    size_t extra;   /* beyond p and pt */
    switch (spec->kind) {
    case OGEM_EST_MC: extra = ogem_size_mul(sizeof(double), mc_draw_len(spec->N, spec->K)); break;
    case OGEM_EST_FIXED: extra = ogem_size_mul(sizeof(double), ogem_count(ogem_fixed_draw_count(spec->N, spec->K))); break;
    case OGEM_EST_QMC: extra = ogem_size_mul(sizeof(unsigned long long), nk); break;
    default: extra = 0; break;
    }
    return ogem_size_add(ogem_size_mul3(2, sizeof(double), nk), extra);
}

ogem_status ogem_host_points_init(ogem_host_points *hp, const ogem_point_spec *spec, char *msg, size_t len)
{
    memset(hp, 0, sizeof *hp);
    hp->kind = spec->kind;
    hp->N = spec->N;
    hp->K = spec->K;
    hp->seed = spec->seed;
    hp->current_step = -1;
    if (spec->kind == OGEM_EST_EXACT) return OGEM_OK;       /* quadrature: no points */
    hp->nk = ogem_size_mul(ogem_count(hp->N), ogem_count(hp->K));
    /* A saturated nk makes these mallocs fail rather than wrap (checked.h). */
    hp->p = malloc(ogem_size_mul(sizeof(double), hp->nk));
    hp->pt = malloc(ogem_size_mul(sizeof(double), hp->nk));
    if (!hp->p || !hp->pt) return fail_nomem(msg, len);

    switch (spec->kind) {
    case OGEM_EST_DATA:
        memcpy(hp->p, spec->data, sizeof(double) * hp->nk);
        transpose(hp);
        return OGEM_OK;
    case OGEM_EST_FIXED: {
        ogem_status st = draw_fixed(hp, msg, len);
        if (!st) transpose(hp);
        return st;
    }
    case OGEM_EST_MC:
        hp->group_steps = ogem_mc_group_steps(hp->N, hp->K);
        hp->draw_len = mc_draw_len(hp->N, hp->K);
        hp->draw = malloc(ogem_size_mul(sizeof(double), hp->draw_len));
        if (!hp->draw) return fail_nomem(msg, len);
        CURAND_TRY(curandCreateGeneratorHost(&hp->gen, CURAND_RNG_PSEUDO_PHILOX4_32_10));
        CURAND_TRY(curandSetGeneratorOrdering(hp->gen, OGEM_CURAND_ORDERING));
        hp->group = -1;
        return OGEM_OK;
    case OGEM_EST_QMC: {
        hp->sobol = malloc(ogem_size_mul(sizeof(unsigned long long), hp->nk));
        if (!hp->sobol) return fail_nomem(msg, len);
        curandGenerator_t g;
        CURAND_TRY(curandCreateGeneratorHost(&g, CURAND_RNG_QUASI_SCRAMBLED_SOBOL64));
        curandStatus_t st = curandSetQuasiRandomGeneratorDimensions(g, (unsigned)hp->K);
        if (!st) st = curandGenerateLongLong(g, hp->sobol, hp->nk);
        curandDestroyGenerator(g);
        if (st) {
            if (msg) snprintf(msg, len, "cuRAND Sobol generator failed (status %d)", (int)st);
            return OGEM_ERR_CURAND;
        }
        return OGEM_OK;
    }
    default:
        break;
    }
    if (msg) snprintf(msg, len, "unknown estimator");
    return OGEM_ERR_INVALID;
}

ogem_status ogem_host_points_prepare(ogem_host_points *hp, long step, char *msg, size_t len)
{
    if (hp->kind == OGEM_EST_MC && step != hp->current_step) {
        /* Both fit: init allocated draw_len and nk values. */
        const size_t count = (size_t)ogem_mc_draw_count(hp->N, hp->K), half = hp->nk / 2;
        const long group = step / hp->group_steps;
        if (group != hp->group) {
            CURAND_TRY(curandSetPseudoRandomGeneratorSeed(hp->gen, ogem_mc_group_seed(hp->seed, group)));
            CURAND_TRY(curandSetGeneratorOffset(hp->gen, 0));
            CURAND_TRY(curandGenerateNormalDouble(hp->gen, hp->draw, hp->draw_len, 0.0, 1.0));
            hp->group = group;
        }
        const double *slice = hp->draw + (size_t)(step % hp->group_steps) * count;
        /* antithetic pairs: rows N/2 + j are the negated rows j */
        for (size_t q = 0; q < half; q++) {
            hp->p[q] = slice[q];
            hp->p[half + q] = -slice[q];
        }
        transpose(hp);
    } else if (hp->kind == OGEM_EST_QMC && step != hp->current_step) {
        for (int k = 0; k < hp->K; k++) {
            uint64_t shift = ogem_qmc_shift(hp->seed, step, k);
            const unsigned long long *col = hp->sobol + (size_t)k * hp->N;
            for (long j = 0; j < hp->N; j++)
                hp->p[(size_t)j * hp->K + k] = ogem_norm_quantile(ogem_u64_to_open01((uint64_t)col[j] ^ shift));
        }
        transpose(hp);
    }
    hp->current_step = step;
    return OGEM_OK;
}

void ogem_host_points_free(ogem_host_points *hp)
{
    if (hp->gen) curandDestroyGenerator(hp->gen);
    free(hp->p);
    free(hp->pt);
    free(hp->draw);
    free(hp->sobol);
    memset(hp, 0, sizeof *hp);
}
