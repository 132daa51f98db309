/*
 * emu_rt.cpp - the host-side stand-in for the CUDA runtime and cuBLAS used by
 * the emulator (see emu_pre.h). One emulated device: 132 SMs, 227 KiB opt-in
 * shared memory, compute capability 9.0. Device memory is malloc'ed memory;
 * streams are synchronous. Shared memory is filled with 0xFF bytes (NaN for
 * floating point) at each block start, so a read before a write shows up.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmath>
#include <functional>
#include <thread>
#include <vector>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <curand.h>

struct emu_uint3 {
    unsigned x, y, z;
};
thread_local emu_uint3 emu_threadIdx, emu_blockIdx, emu_blockDim, emu_gridDim;

namespace {

struct block_ctx {
    pthread_barrier_t bar;
    std::vector<pthread_barrier_t> warp_bar;
    std::vector<double> warp_buf;
    std::vector<char> smem;
};
block_ctx *g_blk = nullptr;
thread_local unsigned t_linear = 0;
cudaError_t g_last = cudaSuccess;

} // namespace

void emu_syncthreads() { pthread_barrier_wait(&g_blk->bar); }

double emu_shfl_xor_d(double v, int lanemask)
{
    const unsigned lane = t_linear & 31, warp = t_linear >> 5;
    g_blk->warp_buf[warp * 32 + lane] = v;
    pthread_barrier_wait(&g_blk->warp_bar[warp]);
    const double r = g_blk->warp_buf[warp * 32 + (lane ^ (unsigned)lanemask)];
    pthread_barrier_wait(&g_blk->warp_bar[warp]);
    return r;
}

void *emu_dyn_smem() { return g_blk->smem.empty() ? nullptr : g_blk->smem.data(); }

/* A pool of worker threads, one per emulated CUDA thread of a block; blocks
 * run one after another. */
namespace {
struct pool {
    unsigned size = 0;
    std::vector<std::thread> th;
    pthread_barrier_t start, end;
    const std::function<void()> *body = nullptr;
    unsigned nt = 0;
    dim3 grid, block, bidx;
    bool quit = false;
};
pool g_pool;

void worker(unsigned id)
{
    for (;;) {
        pthread_barrier_wait(&g_pool.start);
        if (g_pool.quit) return;
        if (id < g_pool.nt) {
            const dim3 b = g_pool.block;
            t_linear = id;
            emu_threadIdx = {id % b.x, (id / b.x) % b.y, id / (b.x * b.y)};
            emu_blockIdx = {g_pool.bidx.x, g_pool.bidx.y, g_pool.bidx.z};
            emu_blockDim = {b.x, b.y, b.z};
            emu_gridDim = {g_pool.grid.x, g_pool.grid.y, g_pool.grid.z};
            (*g_pool.body)();
        }
        pthread_barrier_wait(&g_pool.end);
    }
}

void pool_stop()
{
    if (!g_pool.size) return;
    g_pool.quit = true;
    pthread_barrier_wait(&g_pool.start);
    for (auto &t : g_pool.th) t.join();
    g_pool.th.clear();
    pthread_barrier_destroy(&g_pool.start);
    pthread_barrier_destroy(&g_pool.end);
    g_pool.size = 0;
    g_pool.quit = false;
}

void pool_ensure(unsigned n)
{
    if (g_pool.size >= n) return;
    pool_stop();
    pthread_barrier_init(&g_pool.start, nullptr, n + 1);
    pthread_barrier_init(&g_pool.end, nullptr, n + 1);
    g_pool.size = n;
    for (unsigned i = 0; i < n; i++) g_pool.th.emplace_back(worker, i);
}

struct pool_guard {
    ~pool_guard() { pool_stop(); }
} g_pool_guard;
} // namespace

void emu_run(dim3 grid, dim3 block, size_t smem, const std::function<void()> &body)
{
    const unsigned nt = block.x * block.y * block.z;
    if (nt == 0 || nt > 1024 || grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535 || grid.z > 65535 ||
        smem > 227 * 1024) {
        g_last = cudaErrorInvalidConfiguration;
        return;
    }
    pool_ensure(nt);
    const unsigned nw = (nt + 31) / 32;
    block_ctx ctx;
    pthread_barrier_init(&ctx.bar, nullptr, nt);
    ctx.warp_bar.resize(nw);
    for (unsigned w = 0; w < nw; w++)
        pthread_barrier_init(&ctx.warp_bar[w], nullptr, w + 1 < nw ? 32 : nt - 32 * (nw - 1));
    ctx.warp_buf.assign((size_t)nw * 32, 0.0);
    g_blk = &ctx;
    g_pool.body = &body;
    g_pool.nt = nt;
    g_pool.grid = grid;
    g_pool.block = block;
    for (unsigned bz = 0; bz < grid.z; bz++)
        for (unsigned by = 0; by < grid.y; by++)
            for (unsigned bx = 0; bx < grid.x; bx++) {
                ctx.smem.assign(smem, (char)0xFF);
                g_pool.bidx = dim3(bx, by, bz);
                pthread_barrier_wait(&g_pool.start);
                pthread_barrier_wait(&g_pool.end);
            }
    pthread_barrier_destroy(&ctx.bar);
    for (auto &b : ctx.warp_bar) pthread_barrier_destroy(&b);
    g_blk = nullptr;
}

curandStatus_t emu_curandSetStream(curandGenerator_t, cudaStream_t) { return CURAND_STATUS_SUCCESS; }

/* ---- CUDA runtime ---------------------------------------------------------------- */
extern "C" {

cudaError_t cudaGetDeviceCount(int *n)
{
    *n = 1;
    return cudaSuccess;
}
cudaError_t cudaGetDevice(int *d)
{
    *d = 0;
    return cudaSuccess;
}
cudaError_t cudaSetDevice(int) { return cudaSuccess; }
cudaError_t cudaFuncGetAttributes(struct cudaFuncAttributes *a, const void *)
{
    memset(a, 0, sizeof *a);
    return cudaSuccess;
}
cudaError_t cudaFuncSetAttribute(const void *, enum cudaFuncAttribute, int value)
{
    return value <= 227 * 1024 ? cudaSuccess : cudaErrorInvalidValue;
}
const char *cudaGetErrorString(cudaError_t e) { return e == cudaSuccess ? "no error" : "emulated CUDA error"; }
const char *cudaGetErrorName(cudaError_t e) { return e == cudaSuccess ? "cudaSuccess" : "cudaErrorEmulated"; }
cudaError_t cudaGetLastError(void)
{
    cudaError_t e = g_last;
    g_last = cudaSuccess;
    return e;
}
cudaError_t cudaPeekAtLastError(void) { return g_last; }
cudaError_t cudaDeviceGetAttribute(int *v, enum cudaDeviceAttr a, int)
{
    switch (a) {
    case cudaDevAttrMultiProcessorCount: *v = 132; break;
    case cudaDevAttrMaxSharedMemoryPerBlockOptin: *v = 227 * 1024; break;
    case cudaDevAttrClockRate: *v = 1980000; break;
    case cudaDevAttrComputeCapabilityMajor: *v = 9; break;
    case cudaDevAttrComputeCapabilityMinor: *v = 0; break;
    default: *v = 0; break;
    }
    return cudaSuccess;
}
cudaError_t cudaRuntimeGetVersion(int *v)
{
    *v = 13000;
    return cudaSuccess;
}
cudaError_t cudaDriverGetVersion(int *v)
{
    *v = 13000;
    return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *p, int)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "emulated device");
    p->major = 9;
    p->minor = 0;
    p->multiProcessorCount = 132;
    p->totalGlobalMem = (size_t)16 << 30;
    p->l2CacheSize = 50 << 20;
    return cudaSuccess;
}
cudaError_t cudaMemGetInfo(size_t *f, size_t *t)
{
    *f = (size_t)16 << 30;
    *t = (size_t)16 << 30;
    return cudaSuccess;
}
cudaError_t cudaMalloc(void **p, size_t n)
{
    *p = malloc(n);
    if (!*p) return cudaErrorMemoryAllocation;
    memset(*p, 0xFF, n); /* like fresh device memory: garbage */
    return cudaSuccess;
}
cudaError_t cudaFree(void *p)
{
    free(p);
    return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void *d, const void *s, size_t n, enum cudaMemcpyKind, cudaStream_t)
{
    memcpy(d, s, n);
    return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return g_last; }
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned)
{
    *s = (cudaStream_t)malloc(1);
    return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t s)
{
    free((void *)s);
    return cudaSuccess;
}
cudaError_t cudaDeviceGetLimit(size_t *v, enum cudaLimit)
{
    *v = 1024;
    return cudaSuccess;
}
cudaError_t cudaDeviceSetLimit(enum cudaLimit, size_t) { return cudaSuccess; }

/* ---- cuBLAS ------------------------------------------------------------------------ */

struct cublasContext {
    int dummy;
};

cublasStatus_t cublasCreate_v2(cublasHandle_t *h)
{
    *h = (cublasHandle_t)calloc(1, sizeof(cublasContext));
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy_v2(cublasHandle_t h)
{
    free(h);
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream_v2(cublasHandle_t, cudaStream_t) { return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t, void *, size_t) { return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasSetMathMode(cublasHandle_t, cublasMath_t) { return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasSetAtomicsMode(cublasHandle_t, cublasAtomicsMode_t) { return CUBLAS_STATUS_SUCCESS; }
const char *cublasGetStatusString(cublasStatus_t) { return "emulated cuBLAS status"; }
const char *cublasGetStatusName(cublasStatus_t) { return "CUBLAS_STATUS_EMULATED"; }
cublasStatus_t cublasGetProperty(libraryPropertyType t, int *v)
{
    *v = t == MAJOR_VERSION ? 13 : 0;
    return CUBLAS_STATUS_SUCCESS;
}

} // extern "C"

template <typename T>
static cublasStatus_t gemm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, const T *alpha,
                           const T *A, int lda, const T *B, int ldb, const T *beta, T *C, int ldc)
{
    /* column-major: C = alpha op(A) op(B) + beta C; checks the leading dimensions like cuBLAS */
    const int ra = ta == CUBLAS_OP_N ? m : k, rb = tb == CUBLAS_OP_N ? k : n;
    if (m < 0 || n < 0 || k < 0 || lda < (ra > 1 ? ra : 1) || ldb < (rb > 1 ? rb : 1) || ldc < (m > 1 ? m : 1))
        return CUBLAS_STATUS_INVALID_VALUE;
    /* Accumulates in T with fused multiply-adds, as cuBLAS does: SGEMM sums in
     * float (not double), so the float paths' tests see float's dot products. */
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            T acc = (T)0;
            for (int q = 0; q < k; q++) {
                const T a = ta == CUBLAS_OP_N ? A[i + (size_t)q * lda] : A[q + (size_t)i * lda];
                const T b = tb == CUBLAS_OP_N ? B[q + (size_t)j * ldb] : B[j + (size_t)q * ldb];
                acc = std::fma(a, b, acc);
            }
            T &c = C[i + (size_t)j * ldc];
            c = *beta == (T)0 ? *alpha * acc : std::fma(*alpha, acc, *beta * c);
        }
    return CUBLAS_STATUS_SUCCESS;
}

extern "C" cublasStatus_t cublasSgemm_v2(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                         int k, const float *alpha, const float *A, int lda, const float *B, int ldb,
                                         const float *beta, float *C, int ldc)
{
    return gemm<float>(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

extern "C" cublasStatus_t cublasDgemm_v2(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                         int k, const double *alpha, const double *A, int lda, const double *B,
                                         int ldb, const double *beta, double *C, int ldc)
{
    return gemm<double>(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
