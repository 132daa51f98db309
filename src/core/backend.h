/*
 * backend.h - the contract between the host driver (solver.c) and a compute
 * backend (backend_cpu.c, cuda/backend_gpu.cu).
 *
 * The driver reduces every initialization to a "line set" (sample_math.h):
 * n affine scores s_i(p) = a_i + <c_i, p> over points p in R^K. A backend owns
 * the points, cuRAND's numbers either way (the GPU draws them with a
 * generator made by curandCreateGenerator, which generates into device
 * memory; the CPU gets those of a curandCreateGeneratorHost generator of the
 * same type, seeds, offsets, counts and ordering, and computes its mc and
 * fixed normals itself, bit for bit, src/cpu/philox_normal.c; so both see the
 * same samples) and
 * returns, per initialization r and component i,
 *     log_mass  = log E[psi_i]             (log domain: never underflows)
 *     cond_mean = E[psi_i p] / E[psi_i]     (K values)
 * and per initialization  mean_lse = E[lse_i s_i(p)].
 * The expectation is the point set's: an equally weighted mean over samples, or
 * a quadrature rule for the exact estimator.
 */
#ifndef OGEM_BACKEND_H
#define OGEM_BACKEND_H

#include "ogem/ogem.h"

typedef struct ogem_lines {
    int R, n, K;
    const double *a;              /* R*n                                        */
    const double *c;              /* R*n*K                                      */
    const int *k;                 /* R: used dims of each init (exact), or NULL */
    const unsigned char *active;  /* R: 0 = skip this init                      */
    /* For messages only (core/strata.h): strata > 1 when set q stands for
     * initialization q / strata in truth component q % strata; truth = 1
     * when the sets are the truth's own density. */
    int strata, truth;
} ogem_lines;

typedef struct ogem_moments {
    double *log_mass;   /* R*n   */
    double *cond_mean;  /* R*n*K */
    double *mean_lse;   /* R     */
} ogem_moments;

/* Which points a backend evaluates on. Data rows are already centred (x - mu*). */
typedef struct ogem_point_spec {
    ogem_estimator kind;
    long N;               /* mc: N (even, N/2 antithetic pairs); fixed, qmc: N; data: rows */
    int K;                /* dimension of the points (d, or the subspace bound)            */
    uint64_t seed;        /* run seed                                                      */
    const double *data;   /* data: N x K, copied by the backend                            */
    ogem_precision precision;
    ogem_gpu_path gpu_path;
    int threads;
} ogem_point_spec;

typedef struct ogem_backend ogem_backend;
struct ogem_backend {
    const char *name;
    /* Makes step t's points current (mc: draw them; qmc: new digital shift). */
    ogem_status (*prepare)(ogem_backend *b, long step);
    ogem_status (*eval)(ogem_backend *b, const ogem_lines *L, ogem_moments *out);
    void (*info)(const ogem_backend *b, ogem_solver_info *info);
    void (*destroy)(ogem_backend *b);
    char err[256];
};

ogem_status ogem_backend_cpu_create(ogem_backend **out, const ogem_point_spec *spec, char *msg, size_t len);
/* Host bytes the CPU backend's point set for spec will hold (saturating), so
 * that the driver can hold a request to the memory budget before creating it. */
size_t ogem_backend_cpu_point_bytes(const ogem_point_spec *spec);
/* Defined in cuda/backend_gpu.cu when built with CUDA, else a stub that
 * returns OGEM_ERR_NO_DEVICE. */
ogem_status ogem_backend_gpu_create(ogem_backend **out, const ogem_point_spec *spec, char *msg, size_t len);

/* The exact estimator could not build initialization r's quadrature rule:
 * why = OGEM_EXACT_NO_KIND when no rule of its kind exists (more than 2
 * directions of difference, or more components than the rule's tables take),
 * OGEM_EXACT_NO_RULE when the builder failed on these lines. Writes the
 * message and returns the status, the same on every backend: OGEM_ERR_NUMERIC
 * when the scores show that the iteration diverged, else
 * OGEM_ERR_UNSUPPORTED (exact_failure.c). */
enum { OGEM_EXACT_NO_KIND = 1, OGEM_EXACT_NO_RULE = 2 };
ogem_status ogem_exact_failure(const ogem_lines *L, int r, int why, char *err, size_t len);

/* ---- the sampling plan both backends follow (sample_plan.c) ----------------
 * mc:    steps come in groups of G = ogem_mc_group_steps(N, K); group g is one
 *        draw of G * ogem_mc_draw_count(N, K) standard normal doubles from a
 *        Philox4_32_10 generator seeded with ogem_mc_group_seed(seed, g), offset
 *        0, ordering OGEM_CURAND_ORDERING; step t = g G + j takes the
 *        j-th slice of count values, whose first (N/2) K fill the first half of
 *        an N x K row-major array; row N/2 + j = -row j (antithetic pairs).
 *        Why groups: cuRAND's generators produce blocks of 2^18 values, so
 *        every reseed cost a whole block through the host generator (the CPU
 *        now computes just the values a step takes, src/cpu/philox_normal.c;
 *        the plan stays, for the GPU and the samples of earlier releases);
 *        and draws at offsets t * count overlap for counts near 2^18
 *        (measured: 50% shared at 2^18), so each group gets its own seed
 *        instead of an offset.
 * fixed: the same with stream FIXED, one draw of N * K (rounded up to even) at
 *        offset 0.
 * qmc:   CURAND_RNG_QUASI_SCRAMBLED_SOBOL64 in K dimensions, the first N points
 *        (generated once, dimension-major as cuRAND returns them); step t XORs
 *        dimension k with the 64-bit digital shift ogem_qmc_shift(seed, t, k)
 *        and maps through ogem_u64_to_open01 and ogem_norm_quantile.           */
/* The ordering both backends set on their Philox generators: cuRAND's LEGACY
 * ordering is the one curand.h guarantees to stay the same in every cuRAND
 * release (DEFAULT is "same as BEST", which may change for speed). For
 * Philox4_32_10 it gives today the numbers DEFAULT gave (checked on the host
 * generator), so choosing it changed no output. Only files that include
 * curand.h use it. */
#define OGEM_CURAND_ORDERING CURAND_ORDERING_PSEUDO_LEGACY
enum { OGEM_STREAM_MC = 1, OGEM_STREAM_FIXED = 2, OGEM_STREAM_QMC = 3, OGEM_STREAM_INIT = 4 };
uint64_t ogem_stream_seed(uint64_t seed, int stream);
long ogem_mc_draw_count(long N, int K);     /* (N/2) * K rounded up to even */
long ogem_mc_group_steps(long N, int K);    /* max(1, 2^18 / count)         */
uint64_t ogem_mc_group_seed(uint64_t seed, long group);
long ogem_fixed_draw_count(long N, int K);  /* N * K rounded up to even     */
uint64_t ogem_qmc_shift(uint64_t seed, long step, int dim);

#endif /* OGEM_BACKEND_H */
