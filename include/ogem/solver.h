/*
 * ogem/solver.h - ogem's core API: status codes, the settings of a run, the solver
 * handle (a batch of initializations stepped together), initializations,
 * normals and weight checks. Part of ogem/ogem.h, which callers include.
 */
#ifndef OGEM_SOLVER_H
#define OGEM_SOLVER_H

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
    /* A mixture truth sum_j w_j N(mu*_j, I_d) (0 = the one Gaussian N(mu*, I)
     * of mu_star; then truth_weights and truth_means must be NULL). With m >= 1,
     * mu_star must be NULL; m = 1 is the same run as mu_star = truth_means.
     * Expectations integrate over the truth's component exactly: every truth
     * component sees the step's points, weighted by w_j (stratified sampling;
     * see the README's "Mixture truth"). */
    int truth_components;     /* m                                                   */
    const double *truth_weights; /* m positive weights summing to 1 within 1e-9      */
    const double *truth_means;   /* m x d, row-major                                 */
    /* Nonzero: after each step's expectations the weights become
     * pi_i <- E[psi_i] (the EM weight update), per initialization, starting
     * from weights; the means' update uses the expectations at the old ones. */
    int learn_weights;
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
    /* NULL (the default): this process runs the whole batch. Otherwise the
     * caller's communicator, which splits the batch over its ranks with
     * results identical to one process (ogem/partition.h); not copied. */
    const struct ogem_exchange *exchange;
} ogem_settings;

/* Fills s with the defaults: gem, eta 1, mc:8192, seed 1, auto device, double. */
void ogem_settings_default(ogem_settings *s);

/* Per initialization, per step, at the means (and weights) before the step's
 * update. Distances are to the nearest truth mean: with one truth Gaussian,
 * to mu*. */
typedef struct ogem_metrics {
    double loss;        /* KL(truth || model) estimate; data: mean negative log-likelihood */
    double max_dist;    /* max_i min_j |mu_i - mu*_j|   (one truth: max_i |mu_i - mu*|)     */
    double mean_dist2;  /* sum_i pi_i min_j |mu_i - mu*_j|^2                                */
    double update_norm; /* Frobenius norm of the update taken at this step                 */
    double cover_dist;  /* max_j min_i |mu_i - mu*_j|: the worst-fitted truth component    */
    double voronoi;     /* Voronoi loss (ogem_mixture_match)                               */
} ogem_metrics;

typedef struct ogem_solver ogem_solver;

/* The memory budget ogem_solver_create holds a request to: this machine's
 * physical memory in bytes (sysconf), or SIZE_MAX when it cannot be told
 * (then only sizes that overflow are refused). Physical, not currently
 * available, memory: a request that could never fit is refused up front,
 * rather than left to malloc or, with Linux's overcommit, to the OOM killer
 * halfway through the run; one that fits only later is left to malloc.
 * Callers that allocate per-run buffers of their own hold them to it too. */
size_t ogem_host_memory_bytes(void);
/* A byte count for messages, in binary units: "512 B", "3.5 MiB", "22.9 GiB";
 * a saturated size (SIZE_MAX) reads "over 8 EiB". */
void ogem_format_bytes(size_t bytes, char *buf, size_t len);

/* Creates a solver; on failure *out is NULL and msg (if not NULL) holds one line.
 * A message about one setting starts with its field name above and ": ", e.g.
 * "samples: ... need 32 GiB; more than this machine's 23 GiB of memory": a
 * request whose host buffers would exceed the machine's physical memory is
 * refused here (OGEM_ERR_INVALID), before anything is allocated. */
ogem_status ogem_solver_create(ogem_solver **out, const ogem_settings *s, char *msg, size_t msglen);
void ogem_solver_destroy(ogem_solver *s);

/* Last error message of this handle ("" if none). */
const char *ogem_solver_error(const ogem_solver *s);

/* Means of the whole batch, absolute coordinates, R x n x d. set_means refuses
 * (OGEM_ERR_INVALID) means that are not finite or whose squared distance to
 * mu* overflows a double (distances beyond about 1.3e154). */
ogem_status ogem_solver_set_means(ogem_solver *s, const double *mu);
ogem_status ogem_solver_get_means(const ogem_solver *s, double *mu);
/* The means as the solver holds them, m = mu - mu* (R x n x d): what a
 * checkpoint stores, since mu* + m followed by set_means' mu - mu* need not
 * give m back to the last bit when mu* is not 0. Same checks as set_means. */
ogem_status ogem_solver_get_means_relative(const ogem_solver *s, double *m);
ogem_status ogem_solver_set_means_relative(ogem_solver *s, const double *m);

/* The weights of the whole batch, R x n: the settings' weights, or the
 * learned ones (learn_weights). get_weights gives pi = exp(log pi); the log
 * weights are the state (a weight far below 1e-308 keeps its log), which is
 * what checkpoints hold. set_log_weights refuses values that are NaN or +inf
 * or whose exponentials do not sum to 1 within 1e-9 per initialization. */
ogem_status ogem_solver_get_weights(const ogem_solver *s, double *w);
ogem_status ogem_solver_get_log_weights(const ogem_solver *s, double *logw);
ogem_status ogem_solver_set_log_weights(ogem_solver *s, const double *logw);
/* Nonzero when the solver learns its weights (settings.learn_weights). */
int ogem_solver_learns_weights(const ogem_solver *s);

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
 * the update if apply != 0, and then advances t. If a loss, metric or update
 * is NaN or Inf, or the updated means would leave set_means' range, it fails
 * with OGEM_ERR_NUMERIC ("initialization r: ...") before changing any mean or
 * t; so does an exact step whose means have run too far for double precision. */
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

/* mu_i drawn from the truth mixture (a component j with probability w_j,
 * then N(mu*_j, I)), plus N(0, noise^2 I), for inits first .. first+count-1;
 * m = 0 means the one Gaussian N(mu*, I) (mu_star, NULL for the origin). */
ogem_status ogem_init_truth_sample(double *out, long first, long count, int n, int d, int m,
                                   const double *truth_weights, const double *truth_means,
                                   const double *mu_star, double noise, uint64_t seed);

/* ---- a model against a mixture truth (mixture_match.c) -----------------------
 * One initialization's means mu (n x d) and weights pi (n) against the truth's
 * m means (m x d) and weights w. V_j, the Voronoi cell of truth component j,
 * holds the model components whose nearest truth mean is mu*_j (ties: the
 * lowest j). Fills, for each j (any pointer may be NULL):
 *   near[j]   min_i |mu_i - mu*_j|
 *   mass[j]   the model weight within radius of mu*_j: sum of pi_i over
 *             |mu_i - mu*_j| <= radius
 * and returns the Voronoi loss (Manole and Ho, 2022)
 *   D = sum_j |sum_{i in V_j} pi_i - w_j| + sum_j sum_{i in V_j} pi_i |mu_i - mu*_j|^2,
 * which is 0 exactly when every model component with weight sits on a truth
 * mean and the weights in each cell add up to the truth's. */
double ogem_mixture_match(int n, int d, const double *mu, const double *pi, int m, const double *truth_means,
                          const double *w, double radius, double *near, double *mass);

/* One initialization in d dimensions, means mu (n x d) against a truth with
 * means truth_means (m x d), as the same run in k <= n + m - 1 dimensions:
 * coordinates in an orthonormal basis of span{mu_i - mu*_1, mu*_j - mu*_1},
 * mu*_1 at the origin (reduce.c says why this is exact). Writes mu_out
 * (n x kmax) and truth_out (m x kmax), zero beyond column k, and returns k
 * (at least 1), or -1 when kmax < k or memory runs out. Costs O((n + m)^2 d)
 * once; a run in d = 10^6 then costs what one in k dimensions does. */
int ogem_reduce_to_span(int n, int d, const double *mu, int m, const double *truth_means, int kmax, double *mu_out,
                        double *truth_out);

/* ---- weights ------------------------------------------------------------------ */

/* Checks n weights: positive, finite, summing to 1 within 1e-9. */
ogem_status ogem_weights_check(int n, const double *w, char *msg, size_t msglen);

#ifdef __cplusplus
}
#endif
#endif /* OGEM_SOLVER_H */
