/*
 * backend_gpu.cu - the CUDA backend (contract: src/core/backend.h).
 *
 * Points live on the device (gpu_internal.cuh's SoA layout) and are drawn
 * there by cuRAND's host API generating into device memory (a generator made
 * by curandCreateGenerator; the CPU backend computes the numbers of the same
 * generator on the host, src/cpu/philox_normal.c), following backend.h's
 * sampling plan exactly as the CPU backend does, so both see the same
 * samples (bit for bit where cuRAND's device and host Box-Muller agree: see
 * README, GPU backend):
 *   mc     Philox4_32_10, ordering OGEM_CURAND_ORDERING (LEGACY: the one
 *          cuRAND keeps across releases); steps in groups of
 *          G = ogem_mc_group_steps(N, K), one draw of G * ogem_mc_draw_count
 *          normal doubles per group (seed ogem_mc_group_seed(seed, group),
 *          offset 0); step t's slice = the first N/2 rows (row-major);
 *          rows N/2 + j = -rows j.
 *   fixed  the same with stream FIXED, one draw of ogem_fixed_draw_count at 0.
 *   data   uploaded (already centred by the driver).
 *   qmc    scrambled Sobol64 integers in K dims, first N points, once; step t
 *          XORs dim k with ogem_qmc_shift(seed, t, k), then open01 + quantile.
 *   exact  no shared points: per-init quadrature rules (kernels_exact.cu).
 * One Philox generator serves mc (reseeded per group) and fixed (one draw).
 * eval() uploads the active inits' lines (in float or double: the compute
 * type), runs the fused or the GEMM path, and copies back log_mass, cond_mean
 * and mean_lse, through page-locked host staging (gpu_host_reserve; plain
 * memory if pinning is refused). Every device allocation goes through
 * gpu_buf_reserve, which keeps the peak that info() reports (cuBLAS's
 * workspace included; cuRAND's and the CUDA context's own memory are not ours
 * to count). Sizes formed from the caller's R, n, K and N go through
 * math/checked.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_internal.cuh"
#include "math/checked.h"
#include "ogem_gpu.h"
#include "quad/quad_rule.h"

/* ---- device buffers ------------------------------------------------------------ */

ogem_status gpu_buf_reserve(gpu_backend *b, gpu_buf *buf, size_t bytes, const char *what)
{
    if (bytes < 16) bytes = 16;
    if (buf->p && buf->bytes >= bytes) return OGEM_OK;
    gpu_buf_release(b, buf);
    void *p = NULL;
    cudaError_t e = cudaMalloc(&p, bytes);
    if (e != cudaSuccess) {
        cudaGetLastError();
        snprintf(b->base.err, sizeof b->base.err,
                 "out of GPU memory: %zu bytes for %s (%zu bytes already held by this run): %s", bytes, what,
                 b->mem_cur, cudaGetErrorString(e));
        return e == cudaErrorMemoryAllocation ? OGEM_ERR_NOMEM : OGEM_ERR_CUDA;
    }
    buf->p = p;
    buf->bytes = bytes;
    b->mem_cur += bytes;
    if (b->mem_cur > b->mem_peak) b->mem_peak = b->mem_cur;
    return OGEM_OK;
}

void gpu_buf_release(gpu_backend *b, gpu_buf *buf)
{
    if (buf->p) {
        cudaFree(buf->p);
        b->mem_cur -= buf->bytes;
    }
    buf->p = NULL;
    buf->bytes = 0;
}

/* The handle is configured completely before it is kept: a handle that
 * failed half way (no stream set: it would run on the legacy stream, racing
 * our kernels on b->stream) is destroyed, and the next call starts over. */
ogem_status gpu_blas_ready(gpu_backend *b)
{
    if (b->blas) return OGEM_OK;
    GPU_TRY(gpu_buf_reserve(b, &b->blas_ws, OGEM_CUBLAS_WS_BYTES, "cuBLAS workspace"));
    cublasHandle_t h = NULL;
    GPU_TRY_CUBLAS(b, cublasCreate(&h));
    cublasStatus_t st = CUBLAS_STATUS_SUCCESS;
    const char *what = "";
#define BLAS_STEP(call)                                                                                         \
    if (st == CUBLAS_STATUS_SUCCESS) {                                                                          \
        st = (call);                                                                                            \
        what = #call;                                                                                           \
    }
    BLAS_STEP(cublasSetStream(h, b->stream));
    BLAS_STEP(cublasSetWorkspace(h, b->blas_ws.p, b->blas_ws.bytes));
    /* no TF32 or other reduced-precision shortcuts; deterministic algorithms */
    BLAS_STEP(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
    BLAS_STEP(cublasSetAtomicsMode(h, CUBLAS_ATOMICS_NOT_ALLOWED));
#undef BLAS_STEP
    if (st != CUBLAS_STATUS_SUCCESS) {
        cublasDestroy(h);
        return gpu_fail_cublas(b->base.err, sizeof b->base.err, st, what);
    }
    b->blas = h;
    return OGEM_OK;
}

/* ---- host staging ------------------------------------------------------------- */

/* Page-locked staging makes cudaMemcpyAsync a DMA that runs while the host
 * stages the next array (pageable memory is first copied by the driver into
 * its own pinned bounce buffer, synchronously). Pinning can fail where plain
 * memory does not (a locked-memory limit, a container without the right,
 * a driver that cannot map more): then malloc, and the copies are only as
 * async as pageable memory allows - same bytes, same results. Host memory:
 * not counted in peak_device_bytes. */
void *gpu_host_reserve(host_buf *hb, size_t bytes, int pin)
{
    if (!bytes) bytes = 1;
    if (hb->p && hb->bytes >= bytes) return hb->p;
    gpu_host_release(hb);
    if (pin) {
        if (cudaMallocHost(&hb->p, bytes) == cudaSuccess) {
            hb->pinned = 1;
        } else {
            cudaGetLastError(); /* the failure is not the stream's: clear it */
            hb->p = NULL;
        }
    }
    if (!hb->p) hb->p = malloc(bytes);
    hb->bytes = hb->p ? bytes : 0;
    return hb->p;
}

void gpu_host_release(host_buf *hb)
{
    if (hb->p) {
        if (hb->pinned) cudaFreeHost(hb->p);
        else free(hb->p);
    }
    hb->p = NULL;
    hb->bytes = 0;
    hb->pinned = 0;
}

static ogem_status host_nomem(gpu_backend *b)
{
    snprintf(b->base.err, sizeof b->base.err, "out of host memory in the GPU backend");
    return OGEM_ERR_NOMEM;
}

/* Sub-buffers of one host staging block start at multiples of STAGE_ALIGN
 * from its (malloc-aligned) start, whatever the sizes before them: a double
 * area placed after a float one must not land on a 4-byte boundary. 256 is
 * also what cudaMalloc guarantees, so host and device offsets look alike. */
static const size_t STAGE_ALIGN = 256;

/* Reserves `bytes` at the end of a block of *end bytes; returns its offset.
 * Saturates: *end becomes OGEM_SIZE_MAX once any size overflowed. */
static size_t stage_slot(size_t *end, size_t bytes)
{
    if (*end > OGEM_SIZE_MAX - STAGE_ALIGN) {
        *end = OGEM_SIZE_MAX;
        return 0;
    }
    const size_t at = (*end + STAGE_ALIGN - 1) / STAGE_ALIGN * STAGE_ALIGN;
    *end = ogem_size_add(at, bytes);
    return at;
}

/* ---- the backend ------------------------------------------------------------- */

static void gpu_info(const ogem_backend *ob, ogem_solver_info *info);

static int is_gpu_backend(const ogem_backend *ob) { return ob && ob->info == gpu_info; }

static const char *choose_path(const gpu_backend *b, int n, int K, char *why, size_t len)
{
    if (b->kind == OGEM_EST_EXACT) {
        if (b->path_req == OGEM_PATH_GEMM) {
            if (why) snprintf(why, len, "the exact estimator runs on the fused kernel only (each initialization has "
                                        "its own quadrature points); do not force the gemm path");
            return NULL;
        }
        return gpu_fused_supported(b, n, K, why, len) ? "fused" : NULL;
    }
    if (b->path_req == OGEM_PATH_GEMM) return "gemm";
    if (b->path_req == OGEM_PATH_FUSED) return gpu_fused_supported(b, n, K, why, len) ? "fused" : NULL;
    if (K >= OGEM_GEMM_MIN_K) return "gemm";
    return gpu_fused_supported(b, n, K, NULL, 0) ? "fused" : "gemm";
}

/* The backend's one cuRAND generator (host API, generating into device
 * memory on b->stream): Philox for mc (kept, reseeded per group) and fixed
 * (one draw), scrambled Sobol64 for qmc (one draw). */
static ogem_status gen_create(gpu_backend *b, curandRngType_t type)
{
    curandGenerator_t g = NULL;
    GPU_TRY_CURAND(b, curandCreateGenerator(&g, type));
    b->gen = g;
    GPU_TRY_CURAND(b, curandSetStream(b->gen, b->stream));
    if (type == CURAND_RNG_PSEUDO_PHILOX4_32_10)
        GPU_TRY_CURAND(b, curandSetGeneratorOrdering(b->gen, OGEM_CURAND_ORDERING));
    return OGEM_OK;
}

static void gen_release(gpu_backend *b)
{
    if (b->gen) curandDestroyGenerator(b->gen);
    b->gen = NULL;
}

/* backend.h's draw: count standard normal doubles from seed, offset 0. */
static ogem_status draw_normals(gpu_backend *b, uint64_t seed, double *dst, size_t count)
{
    GPU_TRY_CURAND(b, curandSetPseudoRandomGeneratorSeed(b->gen, seed));
    GPU_TRY_CURAND(b, curandSetGeneratorOffset(b->gen, 0));
    GPU_TRY_CURAND(b, curandGenerateNormalDouble(b->gen, dst, count, 0.0, 1.0));
    return OGEM_OK;
}

static ogem_status prepare_step(gpu_backend *b, long step)
{
    if (step < 0) {
        snprintf(b->base.err, sizeof b->base.err, "step index must be >= 0 (got %ld)", step);
        return OGEM_ERR_INVALID;
    }
    if (step == b->cur_step) return OGEM_OK;
    if (b->kind == OGEM_EST_MC) {
        /* the plan of backend.h: one seeded draw per group of steps, a slice per step */
        const long count = ogem_mc_draw_count(b->N, b->K), group = step / b->group_steps;
        if (group != b->group) {
            GPU_TRY(draw_normals(b, ogem_mc_group_seed(b->seed, group), (double *)b->raw.p,
                                 ogem_size_mul(ogem_count(count), ogem_count(b->group_steps))));
            b->group = group;
        }
        const double *slice = (const double *)b->raw.p + (size_t)(step % b->group_steps) * count;
        GPU_TRY(gpu_points_from_rowmajor(b, slice, 1));
        b->pts_version++;
    } else if (b->kind == OGEM_EST_QMC) {
        unsigned long long *h =
            (unsigned long long *)gpu_host_reserve(&b->h_lines, sizeof(unsigned long long) * (size_t)b->K, 1);
        if (!h) return host_nomem(b);
        for (int k = 0; k < b->K; k++) h[k] = (unsigned long long)ogem_qmc_shift(b->seed, step, k);
        GPU_TRY_CUDA(b, cudaMemcpyAsync(b->shift.p, h, sizeof(unsigned long long) * (size_t)b->K,
                                        cudaMemcpyHostToDevice, b->stream));
        GPU_TRY(gpu_points_qmc(b));
        GPU_TRY_CUDA(b, cudaStreamSynchronize(b->stream)); /* h is reused by the next eval */
        b->pts_version++;
    }
    b->cur_step = step;
    return OGEM_OK;
}

/* The active inits' biases into a and (unless c is NULL) slopes into c. */
template <typename T>
static void stage_lines(const ogem_lines *L, const int *map, int Ra, T *a, T *c)
{
    const int n = L->n, K = L->K;
    for (int q = 0; q < Ra; q++) {
        const int r = map[q];
        for (int i = 0; i < n; i++) a[(size_t)q * n + i] = (T)L->a[(size_t)r * n + i];
        if (!c) continue;
        const double *cr = L->c + (size_t)r * n * K;
        T *cq = c + (size_t)q * n * K;
        for (size_t u = 0; u < (size_t)n * K; u++) cq[u] = (T)cr[u];
    }
}

static ogem_status eval_lines(gpu_backend *b, const ogem_lines *L, ogem_moments *out)
{
    const int n = L->n, K = L->K, R = L->R;
    if (K != b->K || n < 1 || R < 0) {
        snprintf(b->base.err, sizeof b->base.err,
                 "GPU backend: lines have K = %d, n = %d, R = %d; its points have K = %d", K, n, R, b->K);
        return OGEM_ERR_INVALID;
    }
    if ((b->kind == OGEM_EST_MC || b->kind == OGEM_EST_QMC) && b->cur_step < 0) {
        snprintf(b->base.err, sizeof b->base.err, "GPU backend: eval before prepare (no points drawn yet)");
        return OGEM_ERR_INVALID;
    }
    const int exact = b->kind == OGEM_EST_EXACT;
    const char *path = choose_path(b, n, K, b->base.err, sizeof b->base.err);
    if (!path) return OGEM_ERR_UNSUPPORTED;

    /* active inits, compact */
    int *map = (int *)gpu_host_reserve(&b->h_map, ogem_size_mul(sizeof(int), ogem_count(R > 0 ? R : 1)), 0);
    if (!map) return host_nomem(b);
    int Ra = 0;
    for (int r = 0; r < R; r++)
        if (!L->active || L->active[r]) map[Ra++] = r;
    if (Ra == 0) return OGEM_OK;

    const int flt = b->prec == OGEM_PREC_FLOAT;
    const size_t tsize = flt ? sizeof(float) : sizeof(double);
    const size_t na = ogem_size_mul(ogem_count(Ra), ogem_count(n)), nc = ogem_size_mul(na, ogem_count(K));
    /* double lines in float mode: the fused kernels take the biases in double
     * (a far component's a_i has no float digits to spare); only exact needs
     * the slopes in double too (it builds its rules from double lines), every
     * other estimator reads them in float alone */
    const int need_ad = flt, need_cd = flt && exact;
    /* the staging block: lines in the compute type, [biases, [slopes] in
     * double], [dims] */
    size_t hbytes = 0, off_ad = 0, off_cd = 0, off_k = 0;
    const size_t off_a = stage_slot(&hbytes, ogem_size_mul(na, tsize));
    const size_t off_c = stage_slot(&hbytes, ogem_size_mul(nc, tsize));
    if (need_ad) off_ad = stage_slot(&hbytes, ogem_size_mul(na, sizeof(double)));
    if (need_cd) off_cd = stage_slot(&hbytes, ogem_size_mul(nc, sizeof(double)));
    if (exact) off_k = stage_slot(&hbytes, ogem_size_mul(sizeof(int), ogem_count(Ra)));
    const size_t nout = ogem_size_add(ogem_size_add(na, nc), ogem_count(Ra));
    if (hbytes == OGEM_SIZE_MAX || ogem_size_mul(nout, sizeof(double)) == OGEM_SIZE_MAX) {
        snprintf(b->base.err, sizeof b->base.err, "GPU backend: %d inits x %d components x %d dims do not fit in memory",
                 Ra, n, K);
        return OGEM_ERR_NOMEM;
    }
    char *h = (char *)gpu_host_reserve(&b->h_lines, hbytes, 1);
    if (!h) return host_nomem(b);

    GPU_TRY(gpu_buf_reserve(b, &b->la, na * tsize, "lines"));
    GPU_TRY(gpu_buf_reserve(b, &b->lc, nc * tsize, "lines"));
    void *ha = h + off_a, *hc = h + off_c;
    if (flt) stage_lines<float>(L, map, Ra, (float *)ha, (float *)hc);
    else stage_lines<double>(L, map, Ra, (double *)ha, (double *)hc);
    GPU_TRY_CUDA(b, cudaMemcpyAsync(b->la.p, ha, na * tsize, cudaMemcpyHostToDevice, b->stream));
    GPU_TRY_CUDA(b, cudaMemcpyAsync(b->lc.p, hc, nc * tsize, cudaMemcpyHostToDevice, b->stream));
    const double *lad = (const double *)b->la.p, *lcd = (const double *)b->lc.p;
    int *kd_dev = NULL;
    if (need_ad) {
        double *hda = (double *)(h + off_ad), *hdc = need_cd ? (double *)(h + off_cd) : NULL;
        stage_lines<double>(L, map, Ra, hda, hdc);
        GPU_TRY(gpu_buf_reserve(b, &b->lad, na * sizeof(double), "lines"));
        GPU_TRY_CUDA(b, cudaMemcpyAsync(b->lad.p, hda, na * sizeof(double), cudaMemcpyHostToDevice, b->stream));
        lad = (const double *)b->lad.p;
        if (need_cd) {
            GPU_TRY(gpu_buf_reserve(b, &b->lcd, nc * sizeof(double), "lines"));
            GPU_TRY_CUDA(b, cudaMemcpyAsync(b->lcd.p, hdc, nc * sizeof(double), cudaMemcpyHostToDevice, b->stream));
            lcd = (const double *)b->lcd.p;
        }
    }
    if (exact) {
        int *hk = (int *)(h + off_k);
        for (int q = 0; q < Ra; q++) hk[q] = L->k ? L->k[map[q]] : K;
        GPU_TRY(gpu_buf_reserve(b, &b->kd, sizeof(int) * (size_t)Ra, "subspace dims"));
        GPU_TRY_CUDA(b, cudaMemcpyAsync(b->kd.p, hk, sizeof(int) * (size_t)Ra, cudaMemcpyHostToDevice, b->stream));
        kd_dev = (int *)b->kd.p;
    }

    GPU_TRY(gpu_buf_reserve(b, &b->out, nout * sizeof(double), "results"));
    double *lm = (double *)b->out.p, *cm = lm + na, *lse = cm + nc;

    ogem_status st;
    if (exact) {
        int bad = -1;
        st = gpu_eval_exact(b, Ra, n, K, lad, lcd, kd_dev, b->lc.p, lm, cm, lse, &bad);
        if (st == OGEM_ERR_UNSUPPORTED && bad >= 0) {
            /* the CPU backend's decision (core/exact_failure.c): a diverged
             * iteration is NUMERIC on both, whatever rule failed */
            const int r = map[bad], k = L->k ? L->k[r] : K;
            st = ogem_exact_failure(L, r, k > 2 || n > OGEM_QUAD_MAX_LINES ? OGEM_EXACT_NO_KIND : OGEM_EXACT_NO_RULE,
                                    b->base.err, sizeof b->base.err);
        }
    } else if (path[0] == 'g') {
        st = gpu_eval_gemm(b, R, Ra, n, K, b->la.p, b->lc.p, lm, cm, lse);
    } else if (!b->block_only && gpu_stationary_supported(b, n, K)) {
        st = gpu_eval_stationary(b, Ra, n, K, lad, b->lc.p, lm, cm, lse);
    } else {
        if (flt) GPU_TRY(gpu_points_float(b));
        fused_points pts;
        pts.P = flt ? b->ptsf.p : b->pts.p;
        pts.sj = 1;
        pts.sk = b->N;
        pts.p_init_stride = 0;
        pts.LW = NULL;
        pts.w_init_stride = 0;
        pts.counts = NULL;
        pts.npts = b->N;
        st = gpu_eval_fused(b, Ra, n, K, lad, b->lc.p, &pts, lm, cm, lse);
    }
    if (st) return st;

    double *ho = (double *)gpu_host_reserve(&b->h_out, nout * sizeof(double), 1);
    if (!ho) return host_nomem(b);
    GPU_TRY_CUDA(b, cudaMemcpyAsync(ho, b->out.p, nout * sizeof(double), cudaMemcpyDeviceToHost, b->stream));
    GPU_TRY_CUDA(b, cudaStreamSynchronize(b->stream));
    const double *hlm = ho, *hcm = ho + na, *hlse = hcm + nc;
    for (int q = 0; q < Ra; q++) {
        const int r = map[q];
        if (out->log_mass) memcpy(out->log_mass + (size_t)r * n, hlm + (size_t)q * n, sizeof(double) * n);
        if (out->cond_mean)
            memcpy(out->cond_mean + (size_t)r * n * K, hcm + (size_t)q * n * K, sizeof(double) * (size_t)n * K);
        if (out->mean_lse) out->mean_lse[r] = hlse[q];
    }
    b->last_path = path;
    return OGEM_OK;
}

/* A failed step may leave copies from the pinned staging (and kernels)
 * queued on the stream: wait for them, so that the next call may rewrite,
 * grow or free the staging; the error they raise is the one already in err. */
static ogem_status settle(gpu_backend *b, ogem_status st)
{
    if (st != OGEM_OK) {
        cudaStreamSynchronize(b->stream);
        cudaGetLastError();
    }
    return st;
}

static ogem_status gpu_prepare(ogem_backend *ob, long step)
{
    gpu_backend *b = (gpu_backend *)ob;
    return settle(b, prepare_step(b, step));
}

static ogem_status gpu_eval(ogem_backend *ob, const ogem_lines *L, ogem_moments *out)
{
    gpu_backend *b = (gpu_backend *)ob;
    return settle(b, eval_lines(b, L, out));
}

static void gpu_info(const ogem_backend *ob, ogem_solver_info *info)
{
    const gpu_backend *b = (const gpu_backend *)ob;
    info->backend = "gpu";
    info->precision = b->prec == OGEM_PREC_FLOAT ? "float" : "double";
    if (b->last_path) info->gpu_path = b->last_path;
    else if (b->path_req == OGEM_PATH_FUSED || b->kind == OGEM_EST_EXACT) info->gpu_path = "fused";
    else if (b->path_req == OGEM_PATH_GEMM || b->K >= OGEM_GEMM_MIN_K) info->gpu_path = "gemm";
    else info->gpu_path = "fused";
    info->peak_device_bytes = b->mem_peak;
    info->threads = 1;
}

static void gpu_destroy(ogem_backend *ob)
{
    gpu_backend *b = (gpu_backend *)ob;
    if (!b) return;
    if (b->stream) cudaStreamSynchronize(b->stream);
    gpu_buf *bufs[] = {&b->pts, &b->ptsf, &b->raw, &b->shift, &b->la, &b->lc, &b->lad, &b->lcd, &b->kd, &b->out,
                       &b->part, &b->gS, &b->gPsi, &b->gLSE, &b->gOUT, &b->gRun, &b->gM, &b->gCmax, &b->gLchunk,
                       &b->gLrun, &b->gLa, &b->gLc, &b->qnodes, &b->qnodesf, &b->qw, &b->qcnt, &b->qscr};
    if (b->blas) cublasDestroy(b->blas);
    gpu_buf_release(b, &b->blas_ws);
    for (size_t q = 0; q < sizeof bufs / sizeof bufs[0]; q++) gpu_buf_release(b, bufs[q]);
    gen_release(b);
    if (b->stream) cudaStreamDestroy(b->stream);
    cudaGetLastError();
    host_buf *hbufs[] = {&b->h_lines, &b->h_out, &b->h_cnt, &b->h_map};
    for (size_t q = 0; q < sizeof hbufs / sizeof hbufs[0]; q++) gpu_host_release(hbufs[q]);
    free(b);
}

/* Draws or uploads the point set at creation (everything but per-step draws). */
static ogem_status gpu_setup_points(gpu_backend *b, const ogem_point_spec *spec)
{
    const long N = b->N;
    const int K = b->K;
    if (b->kind == OGEM_EST_EXACT) return OGEM_OK;
    const size_t nk = ogem_size_mul(ogem_count(N), ogem_count(K));
    GPU_TRY(gpu_buf_reserve(b, &b->pts, ogem_size_mul3(sizeof(double), ogem_count((long long)K + 1), ogem_count(N)),
                            "sample points"));
    GPU_TRY(gpu_points_ones(b));
    switch (b->kind) {
    case OGEM_EST_MC: {
        b->group_steps = ogem_mc_group_steps(N, K);
        b->group = -1;
        GPU_TRY(gpu_buf_reserve(b, &b->raw,
                                ogem_size_mul3(sizeof(double), ogem_count(ogem_mc_draw_count(N, K)),
                                               ogem_count(b->group_steps)),
                                "normal draws"));
        return gen_create(b, CURAND_RNG_PSEUDO_PHILOX4_32_10);
    }
    case OGEM_EST_FIXED: {
        const size_t count = ogem_count(ogem_fixed_draw_count(N, K));
        GPU_TRY(gpu_buf_reserve(b, &b->raw, ogem_size_mul(sizeof(double), count), "normal draws"));
        GPU_TRY(gen_create(b, CURAND_RNG_PSEUDO_PHILOX4_32_10));
        GPU_TRY(draw_normals(b, ogem_stream_seed(b->seed, OGEM_STREAM_FIXED), (double *)b->raw.p, count));
        GPU_TRY(gpu_points_from_rowmajor(b, (const double *)b->raw.p, 0));
        break;
    }
    case OGEM_EST_DATA: {
        if (!spec->data) {
            snprintf(b->base.err, sizeof b->base.err, "GPU backend: the data set is missing");
            return OGEM_ERR_INVALID;
        }
        GPU_TRY(gpu_buf_reserve(b, &b->raw, ogem_size_mul(sizeof(double), nk), "data upload"));
        GPU_TRY_CUDA(b, cudaMemcpyAsync(b->raw.p, spec->data, sizeof(double) * nk, cudaMemcpyHostToDevice, b->stream));
        GPU_TRY(gpu_points_from_rowmajor(b, (const double *)b->raw.p, 0));
        break;
    }
    case OGEM_EST_QMC: {
        GPU_TRY(gpu_buf_reserve(b, &b->raw, ogem_size_mul(sizeof(unsigned long long), nk), "Sobol points"));
        GPU_TRY(gpu_buf_reserve(b, &b->shift, sizeof(unsigned long long) * (size_t)K, "qmc shifts"));
        GPU_TRY(gen_create(b, CURAND_RNG_QUASI_SCRAMBLED_SOBOL64));
        GPU_TRY_CURAND(b, curandSetQuasiRandomGeneratorDimensions(b->gen, (unsigned)K));
        GPU_TRY_CURAND(b, curandGenerateLongLong(b->gen, (unsigned long long *)b->raw.p, nk));
        GPU_TRY_CUDA(b, cudaStreamSynchronize(b->stream));
        gen_release(b); /* raw keeps the integers; each step shifts them */
        return OGEM_OK;
    }
    default:
        snprintf(b->base.err, sizeof b->base.err, "GPU backend: unknown estimator %d", (int)b->kind);
        return OGEM_ERR_INVALID;
    }
    /* fixed and data: the points are final; drop the staging and the generator */
    GPU_TRY_CUDA(b, cudaStreamSynchronize(b->stream));
    gpu_buf_release(b, &b->raw);
    gen_release(b);
    b->have_points = 1;
    b->pts_version++;
    return OGEM_OK;
}

extern "C" ogem_status ogem_backend_gpu_create(ogem_backend **out, const ogem_point_spec *spec, char *msg, size_t len)
{
    *out = NULL;
#define BAD(code, ...)                                                                                            \
    do {                                                                                                          \
        if (msg) snprintf(msg, len, __VA_ARGS__);                                                                 \
        return code;                                                                                              \
    } while (0)
    if (!spec) BAD(OGEM_ERR_INVALID, "GPU backend: no point specification");
    if (spec->K < 1) BAD(OGEM_ERR_INVALID, "GPU backend: point dimension must be >= 1 (got %d)", spec->K);
    if (spec->kind != OGEM_EST_EXACT) {
        if (spec->N < 1) BAD(OGEM_ERR_INVALID, "GPU backend: at least one point is needed (got %ld)", spec->N);
        if (spec->kind == OGEM_EST_MC && (spec->N < 2 || spec->N % 2))
            BAD(OGEM_ERR_INVALID, "GPU backend: mc needs an even number of samples (got %ld)", spec->N);
        if ((double)spec->N * ((double)spec->K + 1) > 9.0e15 || spec->N > 2147483647L)
            BAD(OGEM_ERR_INVALID, "GPU backend: %ld points do not fit its 32-bit GEMM indexing", spec->N);
    }
    if (spec->kind == OGEM_EST_QMC && spec->K > 20000)
        BAD(OGEM_ERR_UNSUPPORTED, "GPU backend: cuRAND's Sobol generator has at most 20000 dimensions (got %d)",
            spec->K);
    if (spec->precision != OGEM_PREC_DOUBLE && spec->precision != OGEM_PREC_FLOAT)
        BAD(OGEM_ERR_INVALID, "GPU backend: unknown precision %d", (int)spec->precision);
    if (ogem_gpu_count() < 1) {
        int nd = 0;
        cudaError_t e = cudaGetDeviceCount(&nd);
        cudaGetLastError();
        if (e != cudaSuccess)
            BAD(OGEM_ERR_NO_DEVICE, "no usable CUDA device: %s", cudaGetErrorString(e));
        BAD(OGEM_ERR_NO_DEVICE, "no usable CUDA device (%d found, none runs this build's kernels)", nd);
    }
#undef BAD

    gpu_backend *b = (gpu_backend *)calloc(1, sizeof *b);
    if (!b) {
        if (msg) snprintf(msg, len, "out of host memory creating the GPU backend");
        return OGEM_ERR_NOMEM;
    }
    b->base.name = "gpu";
    b->base.prepare = gpu_prepare;
    b->base.eval = gpu_eval;
    b->base.info = gpu_info;
    b->base.destroy = gpu_destroy;
    b->kind = spec->kind;
    b->N = spec->kind == OGEM_EST_EXACT ? 0 : spec->N;
    b->K = spec->K;
    b->seed = spec->seed;
    b->prec = spec->precision;
    b->path_req = spec->gpu_path;
    b->cur_step = -1;
    b->ptsf_version = -1;

    ogem_status st = OGEM_OK;
    cudaError_t e = cudaGetDevice(&b->device);
    int sms = 0, optin = 0;
    if (e == cudaSuccess) e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, b->device);
    if (e == cudaSuccess) e = cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, b->device);
    if (e == cudaSuccess) e = cudaStreamCreateWithFlags(&b->stream, cudaStreamNonBlocking);
    if (e != cudaSuccess) st = gpu_fail_cuda(b->base.err, sizeof b->base.err, e, "device setup");
    b->sm_count = sms;
    b->smem_optin = (size_t)optin;
    if (!st) st = gpu_setup_points(b, spec);
    if (st) {
        if (msg) snprintf(msg, len, "%s", b->base.err);
        gpu_destroy(&b->base);
        return st;
    }
    b->base.err[0] = '\0';
    *out = &b->base;
    return OGEM_OK;
}

/* ---- extras (ogem_gpu.h) ---------------------------------------------------------- */

extern "C" ogem_status ogem_backend_gpu_copy_points(ogem_backend *ob, double *out, size_t cap)
{
    if (!is_gpu_backend(ob)) return OGEM_ERR_INVALID;
    gpu_backend *b = (gpu_backend *)ob;
    const size_t count = ogem_size_mul(ogem_count(b->N), ogem_count(b->K));
    if (b->kind == OGEM_EST_EXACT || !out || cap < count) {
        snprintf(b->base.err, sizeof b->base.err, "copy_points: no shared point set, or the buffer is too small");
        return OGEM_ERR_INVALID;
    }
    if ((b->kind == OGEM_EST_MC || b->kind == OGEM_EST_QMC) && b->cur_step < 0) {
        snprintf(b->base.err, sizeof b->base.err, "copy_points: no points drawn yet (call prepare)");
        return OGEM_ERR_INVALID;
    }
    double *tmp = (double *)malloc(sizeof(double) * (count ? count : 1));
    if (!tmp) return host_nomem(b);
    cudaError_t e = cudaMemcpyAsync(tmp, b->pts.p, sizeof(double) * count, cudaMemcpyDeviceToHost, b->stream);
    if (e == cudaSuccess) e = cudaStreamSynchronize(b->stream);
    if (e != cudaSuccess) {
        free(tmp);
        return gpu_fail_cuda(b->base.err, sizeof b->base.err, e, "copying points");
    }
    for (long j = 0; j < b->N; j++)
        for (int k = 0; k < b->K; k++) out[(size_t)j * b->K + k] = tmp[(size_t)k * b->N + j];
    free(tmp);
    return OGEM_OK;
}

extern "C" ogem_status ogem_backend_gpu_set_block_only(ogem_backend *ob, int block_only)
{
    if (!is_gpu_backend(ob)) return OGEM_ERR_INVALID;
    ((gpu_backend *)ob)->block_only = block_only != 0;
    return OGEM_OK;
}

extern "C" const char *ogem_backend_gpu_fused_kernel(const ogem_backend *ob, int n, int K)
{
    if (!is_gpu_backend(ob)) return NULL;
    const gpu_backend *b = (const gpu_backend *)ob;
    if (!b->block_only && gpu_stationary_supported(b, n, K)) return "stationary";
    return gpu_fused_supported(b, n, K, NULL, 0) ? "block" : NULL;
}

extern "C" long ogem_backend_gpu_point_count(const ogem_backend *ob)
{
    return is_gpu_backend(ob) ? ((const gpu_backend *)ob)->N : 0;
}

extern "C" const char *ogem_backend_gpu_path(const ogem_backend *ob, int n, int K)
{
    if (!is_gpu_backend(ob)) return NULL;
    return choose_path((const gpu_backend *)ob, n, K, NULL, 0);
}
