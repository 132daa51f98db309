/* host_points.c - draws the CPU backend's points with cuRAND's host API.
 *
 * Why keep one mc generator for the run: every change of a host generator's
 * seed or offset costs milliseconds (it re-primes its buffers), while
 * consecutive draws simply continue. A step that is not the next one in order
 * (a resumed run, a seek) sets the offset explicitly to step * count, which is
 * where the uninterrupted sequence would be.
 *
 * Caveat, measured with cuRAND 13's host Philox generator: consecutive draws
 * equal "set the offset, then draw" only for the first 2^18 values after an
 * offset was set; past that the continuing stream differs. So the offset is
 * set again before any draw that would cross 2^18 values since the last one
 * (once every 2^18 / count steps): the draws then stay exactly the plan's
 * (offset step * count, as the GPU sets it every step), whatever step a run
 * was resumed or sought at. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host_points.h"
#include "sample_math.h"

/* Values a host Philox stream may run on after its offset was set before it
 * stops matching a freshly set offset (see above). */
#define OGEM_HOST_STREAM_BLOCK (1ull << 18)

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
    double *buf = malloc(sizeof(double) * (size_t)count);
    if (!buf) return fail_nomem(msg, len);
    curandGenerator_t g;
    if (curandCreateGeneratorHost(&g, CURAND_RNG_PSEUDO_PHILOX4_32_10) != CURAND_STATUS_SUCCESS) {
        free(buf);
        if (msg) snprintf(msg, len, "cannot create the cuRAND host generator");
        return OGEM_ERR_CURAND;
    }
    curandStatus_t st = curandSetGeneratorOrdering(g, CURAND_ORDERING_PSEUDO_DEFAULT);
    if (!st) st = curandSetPseudoRandomGeneratorSeed(g, ogem_stream_seed(hp->seed, OGEM_STREAM_FIXED));
    if (!st) st = curandSetGeneratorOffset(g, 0);
    if (!st) st = curandGenerateNormalDouble(g, buf, (size_t)count, 0.0, 1.0);
    curandDestroyGenerator(g);
    if (st) {
        free(buf);
        if (msg) snprintf(msg, len, "cuRAND host generator failed drawing fixed samples (status %d)", (int)st);
        return OGEM_ERR_CURAND;
    }
    memcpy(hp->p, buf, sizeof(double) * (size_t)hp->N * hp->K);
    free(buf);
    return OGEM_OK;
}

/* pt = p transposed, once per draw rather than once per initialization. */
static void transpose(ogem_host_points *hp)
{
    for (long j = 0; j < hp->N; j++)
        for (int k = 0; k < hp->K; k++) hp->pt[(size_t)k * hp->N + j] = hp->p[(size_t)j * hp->K + k];
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
    hp->p = malloc(sizeof(double) * (size_t)hp->N * hp->K);
    hp->pt = malloc(sizeof(double) * (size_t)hp->N * hp->K);
    if (!hp->p || !hp->pt) return fail_nomem(msg, len);

    switch (spec->kind) {
    case OGEM_EST_DATA:
        memcpy(hp->p, spec->data, sizeof(double) * (size_t)hp->N * hp->K);
        transpose(hp);
        return OGEM_OK;
    case OGEM_EST_FIXED: {
        ogem_status st = draw_fixed(hp, msg, len);
        if (!st) transpose(hp);
        return st;
    }
    case OGEM_EST_MC:
        hp->draw = malloc(sizeof(double) * (size_t)ogem_mc_draw_count(hp->N, hp->K));
        if (!hp->draw) return fail_nomem(msg, len);
        CURAND_TRY(curandCreateGeneratorHost(&hp->gen, CURAND_RNG_PSEUDO_PHILOX4_32_10));
        CURAND_TRY(curandSetGeneratorOrdering(hp->gen, CURAND_ORDERING_PSEUDO_DEFAULT));
        CURAND_TRY(curandSetPseudoRandomGeneratorSeed(hp->gen, ogem_stream_seed(hp->seed, OGEM_STREAM_MC)));
        CURAND_TRY(curandSetGeneratorOffset(hp->gen, 0));
        hp->next_step = 0;
        hp->offset_step = 0;
        return OGEM_OK;
    case OGEM_EST_QMC: {
        hp->sobol = malloc(sizeof(unsigned long long) * (size_t)hp->N * hp->K);
        if (!hp->sobol) return fail_nomem(msg, len);
        curandGenerator_t g;
        CURAND_TRY(curandCreateGeneratorHost(&g, CURAND_RNG_QUASI_SCRAMBLED_SOBOL64));
        curandStatus_t st = curandSetQuasiRandomGeneratorDimensions(g, (unsigned)hp->K);
        if (!st) st = curandGenerateLongLong(g, hp->sobol, (size_t)hp->N * hp->K);
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
        long count = ogem_mc_draw_count(hp->N, hp->K), half = (hp->N / 2) * hp->K;
        const unsigned long long since = (unsigned long long)(step + 1 - hp->offset_step) * (unsigned long long)count;
        if (step != hp->next_step || since > OGEM_HOST_STREAM_BLOCK) {
            CURAND_TRY(curandSetGeneratorOffset(hp->gen, (unsigned long long)step * (unsigned long long)count));
            hp->offset_step = step;
        }
        CURAND_TRY(curandGenerateNormalDouble(hp->gen, hp->draw, (size_t)count, 0.0, 1.0));
        hp->next_step = step + 1;
        /* antithetic pairs: rows N/2 + j are the negated rows j */
        for (long q = 0; q < half; q++) {
            hp->p[q] = hp->draw[q];
            hp->p[half + q] = -hp->draw[q];
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
