/* host_points.c - the CPU backend's points, following the plan in backend.h.
 * mc and fixed normals are cuRAND's host Philox numbers, computed by
 * philox_normal.c from their index rather than drawn through cuRAND's
 * generator: each mc step computes only its own slice of its group's
 * sequence, on the backend's threads; qmc's Sobol points still come from
 * cuRAND's host generator, once per run. */
#include <curand.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/host_points.h"
#include "cpu/philox_normal.h"
#include "math/checked.h"
#include "math/sample_math.h"

static ogem_status fail_nomem(char *msg, size_t len)
{
    if (msg) snprintf(msg, len, "out of memory allocating the sample points");
    return OGEM_ERR_NOMEM;
}

/* Rows per piece of the parallel work on `rows` rows: a multiple of 32, so
 * that each row of pt is written in runs of at least 256 bytes (for large K,
 * 32 rows of p at a time, not all of them: each row its own page); about
 * 32768 values (256 KB of p, which stays in cache from its computation to
 * its transposition; measured at K = 256 on one thread: pieces of 8192
 * values took 20% longer, of 2^17 no less), but no more than an eighth of
 * the rows, so that two threads balance on small steps too. A function of
 * the shape alone. */
static long piece_rows(long rows, int K)
{
    const long by_size = 32768 / (32L * K), by_count = (rows + 8 * 32 - 1) / (8 * 32);
    const long r = by_size < by_count ? by_size : by_count;
    return 32 * (r > 1 ? r : 1);
}

/* Rows [0, rows) of p, and their columns of pt (p transposed, once per draw
 * rather than once per initialization), in pieces of piece_rows on
 * hp->threads threads. With a seed, the rows are first computed: row j =
 * values [start + j K, + K) of the Philox normals of *seed
 * (philox_normal.h). mirror > 0: also row mirror + j = -row j (antithetic
 * pairs), in p and pt. The pieces are cut by the shape alone and a value
 * depends on its index alone: the same bits on any number of threads. */
static void fill_rows(ogem_host_points *hp, long rows, const uint64_t *seed, uint64_t start, long mirror)
{
    const long N = hp->N, per = piece_rows(rows, hp->K), pieces = (rows + per - 1) / per;
    const int K = hp->K, threads = pieces < hp->threads ? (int)pieces : hp->threads;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1)
    for (long q = 0; q < pieces; q++) {
        const long j0 = q * per, j1 = rows - j0 < per ? rows : j0 + per;
        double *const p = hp->p;
        const size_t n = (size_t)(j1 - j0) * K, at = (size_t)j0 * K, flip = (size_t)mirror * K;
        if (seed) ogem_philox_normal(*seed, start + at, n, p + at);
        if (mirror)
            for (size_t i = at; i < at + n; i++) p[flip + i] = -p[i];
        for (int k = 0; k < K; k++) {
            double *const col = hp->pt + (size_t)k * N;
            for (long j = j0; j < j1; j++) col[j] = p[(size_t)j * K + k];
            if (mirror)
                for (long j = j0; j < j1; j++) col[mirror + j] = -p[(size_t)j * K + k];
        }
    }
}

static void transpose(ogem_host_points *hp) { fill_rows(hp, hp->N, NULL, 0, 0); }

size_t ogem_host_points_bytes(const ogem_point_spec *spec)
{
    if (spec->kind == OGEM_EST_EXACT) return 0;
    const size_t nk = ogem_size_mul(ogem_count(spec->N), ogem_count(spec->K));
    /* mc and fixed compute their normals straight into p: nothing more. */
    const size_t extra = spec->kind == OGEM_EST_QMC ? ogem_size_mul(sizeof(unsigned long long), nk) : 0;
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
    hp->threads = spec->threads > 0 ? spec->threads : omp_get_max_threads();
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
    case OGEM_EST_FIXED: {   /* the first N K values of stream FIXED's sequence */
        const uint64_t seed = ogem_stream_seed(hp->seed, OGEM_STREAM_FIXED);
        fill_rows(hp, hp->N, &seed, 0, 0);
        return OGEM_OK;
    }
    case OGEM_EST_MC:
        hp->group_steps = ogem_mc_group_steps(hp->N, hp->K);
        return OGEM_OK;
    case OGEM_EST_QMC: {
        hp->sobol = malloc(ogem_size_mul(sizeof(unsigned long long), hp->nk));
        if (!hp->sobol) return fail_nomem(msg, len);
        curandGenerator_t g;
        if (curandCreateGeneratorHost(&g, CURAND_RNG_QUASI_SCRAMBLED_SOBOL64) != CURAND_STATUS_SUCCESS) {
            if (msg) snprintf(msg, len, "cannot create the cuRAND host generator");
            return OGEM_ERR_CURAND;
        }
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
        /* Step t's slice of its group's draw (backend.h): values
         * [(t % G) count, + (N/2) K) of the group's sequence; the rows
         * N/2 + j are the negated rows j (antithetic pairs). */
        const uint64_t count = (uint64_t)ogem_mc_draw_count(hp->N, hp->K);
        const uint64_t seed = ogem_mc_group_seed(hp->seed, step / hp->group_steps);
        fill_rows(hp, hp->N / 2, &seed, (uint64_t)(step % hp->group_steps) * count, hp->N / 2);
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
    free(hp->p);
    free(hp->pt);
    free(hp->sobol);
    memset(hp, 0, sizeof *hp);
}
