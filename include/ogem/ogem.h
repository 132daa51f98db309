/*
 * ogem.h - public C API of ogem, a solver for gradient EM on over-parameterized
 * Gaussian mixtures.
 *
 * Ground truth N(mu*, I_d); model sum_i pi_i N(mu_i, I_d) with fixed weights pi_i.
 * A solver handle owns a batch of R initializations (an R x n x d array of means,
 * row-major: mu[(r * n + i) * d + k]) and advances all of them together.
 *
 * Conventions (after cuBLAS and GSL): every function returns an ogem_status;
 * the library never prints and never exits; the last error message of a handle
 * is available from ogem_solver_error().
 */
#ifndef OGEM_OGEM_H
#define OGEM_OGEM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OGEM_VERSION "0.1.0"

typedef enum ogem_status {
    OGEM_OK = 0,
    OGEM_ERR_INVALID = 1,     /* a setting or argument is out of range          */
    OGEM_ERR_IO = 2,          /* a file could not be read or written            */
    OGEM_ERR_PARSE = 3,       /* a file or spec is malformed                    */
    OGEM_ERR_NOMEM = 4,       /* host or device allocation failed               */
    OGEM_ERR_NO_DEVICE = 5,   /* a GPU was required and none is usable          */
    OGEM_ERR_CUDA = 6,        /* the CUDA runtime or cuBLAS reported an error   */
    OGEM_ERR_CURAND = 7,      /* cuRAND reported an error                       */
    OGEM_ERR_UNSUPPORTED = 8, /* valid request this build or estimator can't do */
    OGEM_ERR_NUMERIC = 9      /* a NaN or Inf appeared where none may           */
} ogem_status;

const char *ogem_status_string(ogem_status s);

typedef enum ogem_algo { OGEM_ALGO_GEM = 0, OGEM_ALGO_EM = 1 } ogem_algo;

/* How the expectations E[psi_i], E[psi_i x] and the loss are estimated. */
typedef enum ogem_estimator {
    OGEM_EST_MC = 0,    /* N fresh truth samples per step (antithetic pairs)      */
    OGEM_EST_FIXED = 1, /* N truth samples drawn once, reused (finite-sample EM)  */
    OGEM_EST_DATA = 2,  /* the user's data set, reused every step                 */
    OGEM_EST_QMC = 3,   /* N scrambled Sobol points, fresh digital shift per step */
    OGEM_EST_EXACT = 4  /* deterministic quadrature in the mean-difference span   */
} ogem_estimator;

typedef enum ogem_device { OGEM_DEVICE_AUTO = 0, OGEM_DEVICE_CPU = 1, OGEM_DEVICE_GPU = 2 } ogem_device;
typedef enum ogem_precision { OGEM_PREC_DOUBLE = 0, OGEM_PREC_FLOAT = 1 } ogem_precision;
typedef enum ogem_gpu_path { OGEM_PATH_AUTO = 0, OGEM_PATH_FUSED = 1, OGEM_PATH_GEMM = 2 } ogem_gpu_path;

/* Everything that defines a run. Pointers are copied by ogem_solver_create. */
typedef struct ogem_settings {
    int dim;                  /* d >= 1                                              */
    int components;           /* n >= 1                                              */
    const double *weights;    /* n positive weights summing to 1 within 1e-9         */
    const double *mu_star;    /* d entries, or NULL for the origin                   */
    int inits;                /* R >= 1                                              */
    ogem_algo algo;
    double eta;               /* gem step, > 0 (ignored by em)                       */
    ogem_estimator estimator;
    long samples;             /* N for mc (even), fixed and qmc                      */
    const double *data;       /* data: row-major data_rows x dim                     */
    long data_rows;
    int subspace;             /* mc/qmc: sample in span{mu_i - mu_1} (k <= n-1 dims) */
    uint64_t seed;
    ogem_device device;
    ogem_precision precision; /* float: GPU only; computes in float, sums in double */
    ogem_gpu_path gpu_path;
    int threads;              /* CPU threads, 0 = all available                      */
} ogem_settings;

/* Fills s with the defaults: gem, eta 1, mc:8192, seed 1, auto device, double. */
void ogem_settings_default(ogem_settings *s);

/* Per initialization, per step. Distances are to mu*. */
typedef struct ogem_metrics {
    double loss;        /* KL(truth || model) estimate; data: mean negative log-likelihood */
    double max_dist;    /* max_i |mu_i - mu*|                                              */
    double mean_dist2;  /* sum_i pi_i |mu_i - mu*|^2                                       */
    double update_norm; /* Frobenius norm of the update taken at this step                 */
} ogem_metrics;

typedef struct ogem_solver ogem_solver;

/* Creates a solver; on failure *out is NULL and msg (if not NULL) holds one line. */
ogem_status ogem_solver_create(ogem_solver **out, const ogem_settings *s, char *msg, size_t msglen);
void ogem_solver_destroy(ogem_solver *s);

/* Last error message of this handle ("" if none). */
const char *ogem_solver_error(const ogem_solver *s);

/* Means of the whole batch, absolute coordinates, R x n x d. */
ogem_status ogem_solver_set_means(ogem_solver *s, const double *mu);
ogem_status ogem_solver_get_means(const ogem_solver *s, double *mu);

/* Initializations taking part in the next steps (1) or frozen (0); default all 1.
 * Frozen initializations cost no work and their metrics are left untouched. */
ogem_status ogem_solver_set_active(ogem_solver *s, const unsigned char *active);

ogem_status ogem_solver_get_active(const ogem_solver *s, unsigned char *active);

/* Batch shape: inits R, components n, dimension d (any pointer may be NULL). */
void ogem_solver_shape(const ogem_solver *s, int *R, int *n, int *d);

/* The step counter t: which samples the next step draws. */
long ogem_solver_step_index(const ogem_solver *s);
ogem_status ogem_solver_seek(ogem_solver *s, long t);

/* Evaluates the expectations at the current means with step t's samples, writes
 * the metrics of every active initialization into m[R] (may be NULL), applies
 * the update if apply != 0, and then advances t. */
ogem_status ogem_solver_step(ogem_solver *s, int apply, ogem_metrics *m);

/* Raw expectations at the current means for step t (t is not advanced):
 * loss[R]; log_mass[R*n] = log E[psi_i]; cond_mean[R*n*d] = E[psi_i x] / E[psi_i]
 * (well defined even when E[psi_i] underflows). Any pointer may be NULL. */
ogem_status ogem_solver_moments(ogem_solver *s, double *loss, double *log_mass, double *cond_mean);

typedef struct ogem_solver_info {
    const char *backend;       /* "cpu" or "gpu"                                  */
    const char *precision;     /* "double" or "float"                             */
    const char *gpu_path;      /* "fused", "gemm" or "" on the CPU                */
    size_t peak_device_bytes;  /* 0 on the CPU                                    */
    int threads;               /* CPU threads used                                */
    int max_subspace_dim;      /* largest k seen so far (subspace/exact), else 0  */
} ogem_solver_info;
ogem_status ogem_solver_get_info(const ogem_solver *s, ogem_solver_info *info);

/* ---- initializations (host, deterministic in (seed, init index)) ------------ */

/* mu_i ~ N(mu*, scale^2 I) for inits first .. first+count-1; out is count x n x d. */
ogem_status ogem_init_random(double *out, long first, long count, int n, int d,
                             const double *mu_star, double scale, uint64_t seed);
/* Components 0..K-1 at distance radius from mu* in uniform random directions,
 * the others exactly at mu*. */
ogem_status ogem_init_far(double *out, long first, long count, int n, int d,
                          const double *mu_star, int K, double radius, uint64_t seed);

/* Standard normals for (seed, stream, index): a counter-based Philox4x32-10 draw,
 * the same on every machine and for any batch size. Writes count values. */
void ogem_normals(uint64_t seed, uint64_t stream, uint64_t index, double *out, long count);

/* ---- weights ------------------------------------------------------------------ */

/* Checks n weights: positive, finite, summing to 1 within 1e-9. */
ogem_status ogem_weights_check(int n, const double *w, char *msg, size_t msglen);

/* ---- escape from bad regions (escape.c) -------------------------------------- */

typedef enum ogem_until { OGEM_UNTIL_DIST = 0, OGEM_UNTIL_LOSS = 1 } ogem_until;

/* Called after every step with the step just taken and the number of
 * initializations still running; a non-zero return stops the loop cleanly
 * (between steps, so the state can be checkpointed and resumed exactly). */
typedef int (*ogem_step_callback)(long step, long running, void *user);

/* Steps every still-running initialization until it escapes or the solver's
 * step index reaches max_steps. Initialization r escapes at the first step t
 * whose metrics (at mu_t) satisfy max_dist <= threshold (OGEM_UNTIL_DIST) or
 * loss <= threshold (OGEM_UNTIL_LOSS); escape_step[r] = t and final_loss[r] is
 * that step's loss, and r stops costing work. escape_step[r] = -1 marks an
 * initialization still running (censored if the loop ended at max_steps);
 * final_loss[r] then holds its latest loss. Resumable: call again with the
 * same arrays after restoring means, step index and these arrays. */
ogem_status ogem_escape_run(ogem_solver *s, ogem_until until, double threshold, long max_steps,
                            long *escape_step, double *final_loss,
                            ogem_step_callback cb, void *user);

/* ---- survival statistics (survival.c) ------------------------------------------ */

/* Kaplan-Meier estimate for event times t[r] >= 0, or censored (t[r] < 0) at
 * the end of the run, after every event. Writes the distinct event times and
 * the survival just after each into times[], surv[] (capacity R) and their
 * count into *count (0 when nothing escaped). Allocates nothing.
 * OGEM_ERR_INVALID for R < 0 or a NULL pointer (t, times, surv may be NULL
 * when R = 0). */
ogem_status ogem_km_curve(const long *t, long R, long *times, double *surv, long *count);
/* The q-quantile (0 < q < 1) of the event time from the KM curve: the first
 * time where survival drops to 1 - q or below; -1 if it never does (too many
 * censored). */
long ogem_km_quantile(const long *times, const double *surv, long m, double q);

/* Least squares y = a + b x over the m points with finite y; writes a, b and
 * the coefficient of determination r2. Returns the number of points used. */
int ogem_linear_fit(const double *x, const double *y, int m, double *a, double *b, double *r2);

/* ---- checkpoints (checkpoint.c) --------------------------------------------------- */

/* A solver's whole state plus an opaque blob the caller owns (its own logs).
 * Written atomically: temporary file, fsync, rename, fsync of the directory. */
typedef struct ogem_checkpoint {
    uint64_t fingerprint;     /* caller's hash of the settings: resume refuses a mismatch */
    long step;
    int R, n, d;
    double *means;            /* R x n x d                                               */
    unsigned char *active;    /* R                                                       */
    void *blob;               /* caller's state                                          */
    size_t blob_len;
} ogem_checkpoint;

ogem_status ogem_checkpoint_capture(ogem_solver *s, ogem_checkpoint *ck);  /* allocates means, active */
ogem_status ogem_checkpoint_restore(ogem_solver *s, const ogem_checkpoint *ck);
ogem_status ogem_checkpoint_write(const char *path, const ogem_checkpoint *ck, char *msg, size_t msglen);
/* Reads into ck (allocating means, active, blob); ogem_checkpoint_free releases them. */
ogem_status ogem_checkpoint_read(const char *path, ogem_checkpoint *ck, char *msg, size_t msglen);
void ogem_checkpoint_free(ogem_checkpoint *ck);
/* FNV-1a 64 of a byte string, for fingerprints. */
uint64_t ogem_fnv1a64(const void *data, size_t len, uint64_t h);

/* ---- GPU ------------------------------------------------------------------------ */

/* Number of usable CUDA devices (0 when the build has no CUDA or none is present). */
int ogem_gpu_count(void);

#define OGEM_GPU_MAX_DEVICES 16

/* One CUDA device, as the runtime reports it. */
typedef struct ogem_gpu_device {
    char name[256];
    int cc_major, cc_minor;          /* compute capability                               */
    int sm_count;
    double clock_ghz;
    size_t total_bytes, free_bytes;  /* global memory                                    */
    size_t l2_bytes;
    size_t smem_optin_bytes;         /* dynamic shared memory per block (opt-in)         */
    double fp32_peak, fp64_peak;     /* FMA FLOP/s (2 per lane per clock), 0 if unknown  */
    int usable;                      /* this build has code that runs on it              */
    char unusable_reason[128];       /* why not, when usable == 0                        */
} ogem_gpu_device;

/* What this build's GPU backend can do, and the devices it sees. */
typedef struct ogem_gpu_caps {
    int built;                       /* 1: the build has the CUDA backend (else all 0)   */
    /* the build */
    int nvcc_major, nvcc_minor;
    char architectures[64];          /* compiled for, as nvcc lists them ("800,900")     */
    int runtime_version;             /* CUDA runtime, 1000 * major + 10 * minor          */
    int driver_version;              /* CUDA version the driver supports; 0: no driver   */
    int cublas_major, cublas_minor, cublas_patch;
    int curand_version;
    /* what the backend computes, on any device */
    int float_supported;             /* precision float: float scores, double sums       */
    int gemm_path;                   /* the cuBLAS GEMM path exists                      */
    int fused_max_components;        /* the fused kernel handles n <= this               */
    int gemm_min_dim;                /* the auto path takes GEMM from this many dims on  */
    int fused_threads;               /* threads per fused block                          */
    int fused_max_chunks;            /* point chunks per initialization (fused)          */
    int gemm_chunk;                  /* points per GEMM chunk                            */
    int exact_max_k;                 /* exact estimator: subspace dims it handles; 0: no */
    int exact_max_components;        /* exact estimator: components it handles           */
    /* the devices */
    int device_count;                /* as reported; devices[] holds the first
                                        OGEM_GPU_MAX_DEVICES of them                    */
    int usable_count;                /* entries of devices[] with usable = 1             */
    char device_error[128];          /* why the runtime found none ("" otherwise)        */
    ogem_gpu_device devices[OGEM_GPU_MAX_DEVICES];
} ogem_gpu_caps;

/* Fills *caps. OGEM_OK whenever it could: a build without CUDA (built = 0 and
 * everything else 0) and a machine without a device (device_count = 0,
 * device_error says why) are answers, not errors; creating a GPU solver is
 * what fails with OGEM_ERR_NO_DEVICE then. OGEM_ERR_INVALID for caps == NULL.
 * Queries every device, its free memory too: ogem_gpu_count is the cheaper
 * question when only that is wanted. */
ogem_status ogem_gpu_get_caps(ogem_gpu_caps *caps);
/* The same as text: the build, the backend's limits, one line per device
 * (what `ogem info` prints), truncated to fit buf. */
ogem_status ogem_gpu_describe(char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* OGEM_OGEM_H */
