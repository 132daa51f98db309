/*
 * emu_rt.cpp - the host-side stand-in for the CUDA runtime and cuBLAS used by
 * the emulator (see emu_pre.h). One emulated device: 132 SMs, 227 KiB opt-in
 * shared memory, compute capability 9.0. Device and pinned host memory are
 * malloc'ed memory; streams are synchronous. Shared memory is filled with
 * 0xFF bytes (NaN for floating point) at each block start, so a read before a
 * write shows up.
 *
 * Checks a device would not make, for the project's own rules: a cuBLAS GEMM
 * on a handle without a stream set (it would run on the legacy stream, racing
 * the backend's kernels) fails. Tests can make one call of a named function
 * fail (emu_inject.h) to exercise the error paths.
 */
#include <pthread.h>
#include <stdio.h>
#if defined(__SANITIZE_THREAD__)
#define EMU_FIBERS 0 /* see "block execution" */
#else
#define EMU_FIBERS 1
#include <sys/mman.h>
#include <ucontext.h>
#endif
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
/* AddressSanitizer must be told of every stack switch (its fake stacks) */
#define EMU_START_SWITCH(save, bottom, size) __sanitizer_start_switch_fiber((save), (bottom), (size))
#define EMU_FINISH_SWITCH(save, bottom, size) __sanitizer_finish_switch_fiber((save), (bottom), (size))
#else
#define EMU_START_SWITCH(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define EMU_FINISH_SWITCH(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#endif
#include <stdlib.h>
#include <string.h>

#include <cmath>
#include <functional>
#include <thread>
#include <vector>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <curand.h>

#include "emu_inject.h"

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

/* ---- failure injection (emu_inject.h) ---------------------------------------- */
namespace {
char g_fail_name[64];
int g_fail_skip = -1;

/* Whether this call of `name` is the one to fail (then the injection is spent). */
bool emu_fails(const char *name)
{
    if (g_fail_skip < 0 || strcmp(name, g_fail_name) != 0) return false;
    if (g_fail_skip-- > 0) return false;
    g_fail_name[0] = '\0';
    return true;
}
} // namespace

extern "C" void emu_inject_failure(const char *name, int skip)
{
    snprintf(g_fail_name, sizeof g_fail_name, "%s", name ? name : "");
    g_fail_skip = name && skip >= 0 ? skip : -1;
}

/* ---- block execution ------------------------------------------------------------ */
/* Two ways to run the threads of a block, with the same semantics:
 *   fibers (plain and ASan builds): every emulated thread is a ucontext
 *     fiber on the calling thread; a barrier (__syncthreads, a warp's
 *     shuffle) switches to the next runnable fiber. No OS scheduling: about
 *     5 times less CPU than threads on a 2-core machine, and a barrier that
 *     can never complete (some threads returned, others wait) is reported
 *     instead of hanging. Each switch is announced to AddressSanitizer;
 *   threads (TSan builds): one OS thread per emulated thread and real
 *     pthread barriers, so that ThreadSanitizer sees the block's threads as
 *     threads and checks their synchronisation. */
namespace {
#if EMU_FIBERS

enum fib_state { FIB_READY, FIB_WAIT_BLOCK, FIB_WAIT_WARP, FIB_DONE };
struct fiber {
    ucontext_t ctx;
    void *stack = nullptr;
    fib_state state = FIB_DONE;
    void *fake = nullptr; /* ASan's fake stack while switched out */
};
const size_t FIB_STACK = (size_t)1 << 20; /* mapped lazily: only what a thread touches is committed */
struct fib_sched {
    std::vector<fiber> f;
    ucontext_t main;
    unsigned cur = 0, nt = 0, block_arrived = 0;
    std::vector<unsigned> warp_arrived, warp_size;
    const std::function<void()> *body = nullptr;
    void *main_fake = nullptr;
    const void *main_bottom = nullptr;
    size_t main_size = 0;
};
fib_sched g_fs;

void fib_entry()
{
    EMU_FINISH_SWITCH(nullptr, &g_fs.main_bottom, &g_fs.main_size);
    (*g_fs.body)();
    g_fs.f[g_fs.cur].state = FIB_DONE;
    /* uc_link returns to the scheduler; this fiber's stack is done with */
    EMU_START_SWITCH(nullptr, g_fs.main_bottom, g_fs.main_size);
}

/* The current fiber waits (state st); the last to arrive (count reaches
 * want) makes every fiber waiting in that state (and group) runnable. */
void fib_wait(fib_state st, unsigned *arrived, unsigned want, unsigned warp)
{
    fiber &me = g_fs.f[g_fs.cur];
    me.state = st;
    if (++*arrived == want) {
        *arrived = 0;
        for (unsigned i = 0; i < g_fs.nt; i++)
            if (g_fs.f[i].state == st && (st == FIB_WAIT_BLOCK || (i >> 5) == warp)) g_fs.f[i].state = FIB_READY;
    }
    EMU_START_SWITCH(&me.fake, g_fs.main_bottom, g_fs.main_size);
    swapcontext(&me.ctx, &g_fs.main);
    EMU_FINISH_SWITCH(me.fake, &g_fs.main_bottom, &g_fs.main_size);
}

void block_barrier() { fib_wait(FIB_WAIT_BLOCK, &g_fs.block_arrived, g_fs.nt, 0); }
void warp_barrier(unsigned w) { fib_wait(FIB_WAIT_WARP, &g_fs.warp_arrived[w], g_fs.warp_size[w], w); }

void set_indices(unsigned id, dim3 grid, dim3 b, dim3 bidx);

/* Runs one block: every fiber to its end, switching at barriers. */
void fib_block(dim3 grid, dim3 block, dim3 bidx)
{
    const unsigned nt = g_fs.nt;
    for (unsigned i = 0; i < nt; i++) {
        fiber &f = g_fs.f[i];
        getcontext(&f.ctx);
        f.ctx.uc_stack.ss_sp = f.stack;
        f.ctx.uc_stack.ss_size = FIB_STACK;
        f.ctx.uc_link = &g_fs.main;
        makecontext(&f.ctx, fib_entry, 0);
        f.state = FIB_READY;
    }
    unsigned done = 0;
    while (done < nt) {
        bool ran = false;
        for (unsigned i = 0; i < nt; i++) {
            if (g_fs.f[i].state != FIB_READY) continue;
            g_fs.cur = i;
            set_indices(i, grid, block, bidx);
            EMU_START_SWITCH(&g_fs.main_fake, g_fs.f[i].stack, FIB_STACK);
            swapcontext(&g_fs.main, &g_fs.f[i].ctx);
            EMU_FINISH_SWITCH(g_fs.main_fake, nullptr, nullptr);
            ran = true;
            if (g_fs.f[i].state == FIB_DONE) done++;
        }
        if (!ran) {
            fprintf(stderr, "cuda emulator: block (%u,%u,%u): a barrier can never complete (%u of %u threads "
                            "returned, the others wait)\n", bidx.x, bidx.y, bidx.z, done, nt);
            abort();
        }
    }
}

void fib_ensure(unsigned nt)
{
    while (g_fs.f.size() < nt) {
        g_fs.f.emplace_back();
        void *st = mmap(nullptr, FIB_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (st == MAP_FAILED) {
            fprintf(stderr, "cuda emulator: cannot map a fiber stack\n");
            abort();
        }
        g_fs.f.back().stack = st;
    }
    g_fs.nt = nt;
    const unsigned nw = (nt + 31) / 32;
    g_fs.warp_arrived.assign(nw, 0);
    g_fs.warp_size.assign(nw, 32);
    g_fs.warp_size[nw - 1] = nt - 32 * (nw - 1);
    g_fs.block_arrived = 0;
}
#else
void block_barrier() { pthread_barrier_wait(&g_blk->bar); }
void warp_barrier(unsigned w) { pthread_barrier_wait(&g_blk->warp_bar[w]); }
#endif

void set_indices(unsigned id, dim3 grid, dim3 b, dim3 bidx)
{
    t_linear = id;
    emu_threadIdx = {id % b.x, (id / b.x) % b.y, id / (b.x * b.y)};
    emu_blockIdx = {bidx.x, bidx.y, bidx.z};
    emu_blockDim = {b.x, b.y, b.z};
    emu_gridDim = {grid.x, grid.y, grid.z};
}
} // namespace

void emu_syncthreads() { block_barrier(); }

double emu_shfl_xor_d(double v, int lanemask)
{
    const unsigned lane = t_linear & 31, warp = t_linear >> 5;
    g_blk->warp_buf[warp * 32 + lane] = v;
    warp_barrier(warp);
    const double r = g_blk->warp_buf[warp * 32 + (lane ^ (unsigned)lanemask)];
    warp_barrier(warp);
    return r;
}

void *emu_dyn_smem() { return g_blk->smem.empty() ? nullptr : g_blk->smem.data(); }

#if !EMU_FIBERS
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
            set_indices(id, g_pool.grid, g_pool.block, g_pool.bidx);
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
#endif

void emu_run(dim3 grid, dim3 block, size_t smem, const std::function<void()> &body)
{
    const unsigned nt = block.x * block.y * block.z;
    if (nt == 0 || nt > 1024 || grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535 || grid.z > 65535 ||
        smem > 227 * 1024) {
        g_last = cudaErrorInvalidConfiguration;
        return;
    }
    const unsigned nw = (nt + 31) / 32;
    block_ctx ctx;
    ctx.warp_buf.assign((size_t)nw * 32, 0.0);
    g_blk = &ctx;
#if EMU_FIBERS
    fib_ensure(nt);
    g_fs.body = &body;
#else
    pool_ensure(nt);
    pthread_barrier_init(&ctx.bar, nullptr, nt);
    ctx.warp_bar.resize(nw);
    for (unsigned w = 0; w < nw; w++)
        pthread_barrier_init(&ctx.warp_bar[w], nullptr, w + 1 < nw ? 32 : nt - 32 * (nw - 1));
    g_pool.body = &body;
    g_pool.nt = nt;
    g_pool.grid = grid;
    g_pool.block = block;
#endif
    for (unsigned bz = 0; bz < grid.z; bz++)
        for (unsigned by = 0; by < grid.y; by++)
            for (unsigned bx = 0; bx < grid.x; bx++) {
                ctx.smem.assign(smem, (char)0xFF);
#if EMU_FIBERS
                fib_block(grid, block, dim3(bx, by, bz));
#else
                g_pool.bidx = dim3(bx, by, bz);
                pthread_barrier_wait(&g_pool.start);
                pthread_barrier_wait(&g_pool.end);
#endif
            }
#if !EMU_FIBERS
    pthread_barrier_destroy(&ctx.bar);
    for (auto &b : ctx.warp_bar) pthread_barrier_destroy(&b);
#endif
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
    if (emu_fails("cudaMalloc")) return cudaErrorMemoryAllocation;
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
/* Page-locked host memory is host memory here too, but it starts
 * EMU_PIN_PAD bytes into its malloc'ed block: free() of a pinned buffer, or
 * cudaFreeHost of a malloc'ed one, is then a bad free that AddressSanitizer
 * reports (a device would corrupt or leak silently). */
const size_t EMU_PIN_PAD = 64;
cudaError_t cudaMallocHost(void **p, size_t n)
{
    *p = NULL;
    if (emu_fails("cudaMallocHost")) return cudaErrorMemoryAllocation;
    char *q = (char *)malloc(n + EMU_PIN_PAD);
    if (!q) return cudaErrorMemoryAllocation;
    memset(q + EMU_PIN_PAD, 0xFF, n); /* no promise of zeros */
    *p = q + EMU_PIN_PAD;
    return cudaSuccess;
}
cudaError_t cudaFreeHost(void *p)
{
    if (p) free((char *)p - EMU_PIN_PAD);
    return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void *d, const void *s, size_t n, enum cudaMemcpyKind, cudaStream_t)
{
    memcpy(d, s, n);
    return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void *d, int v, size_t n, cudaStream_t)
{
    memset(d, v, n);
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
    cudaStream_t stream; /* NULL: the legacy stream (never set) */
};

#define EMU_BLAS_FAIL(name)                                                                                        \
    if (emu_fails(name)) return CUBLAS_STATUS_INTERNAL_ERROR
cublasStatus_t cublasCreate_v2(cublasHandle_t *h)
{
    if (emu_fails("cublasCreate")) return CUBLAS_STATUS_NOT_INITIALIZED;
    *h = (cublasHandle_t)calloc(1, sizeof(cublasContext));
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy_v2(cublasHandle_t h)
{
    free(h);
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream_v2(cublasHandle_t h, cudaStream_t s)
{
    EMU_BLAS_FAIL("cublasSetStream");
    h->stream = s;
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t, void *, size_t)
{
    EMU_BLAS_FAIL("cublasSetWorkspace");
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetMathMode(cublasHandle_t, cublasMath_t)
{
    EMU_BLAS_FAIL("cublasSetMathMode");
    return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetAtomicsMode(cublasHandle_t, cublasAtomicsMode_t)
{
    EMU_BLAS_FAIL("cublasSetAtomicsMode");
    return CUBLAS_STATUS_SUCCESS;
}
#undef EMU_BLAS_FAIL
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
                           const T *A, int lda, const T *B, int ldb, const T *beta, T *C, int ldc, int split = 1)
{
    /* the sum over k in `split` consecutive pieces, added in order */
    const int piece = split > 1 ? (k + split - 1) / split : (k > 0 ? k : 1);
    /* column-major: C = alpha op(A) op(B) + beta C; checks the leading dimensions like cuBLAS */
    const int ra = ta == CUBLAS_OP_N ? m : k, rb = tb == CUBLAS_OP_N ? k : n;
    if (m < 0 || n < 0 || k < 0 || lda < (ra > 1 ? ra : 1) || ldb < (rb > 1 ? rb : 1) || ldc < (m > 1 ? m : 1))
        return CUBLAS_STATUS_INVALID_VALUE;
    /* Accumulates in T with fused multiply-adds, as cuBLAS does: SGEMM sums in
     * float (not double), so the float paths' tests see float's dot products. */
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            T acc = (T)0, part = (T)0;
            for (int q = 0; q < k; q++) {
                const T a = ta == CUBLAS_OP_N ? A[i + (size_t)q * lda] : A[q + (size_t)i * lda];
                const T b = tb == CUBLAS_OP_N ? B[q + (size_t)j * ldb] : B[j + (size_t)q * ldb];
                part = std::fma(a, b, part);
                if ((q + 1) % piece == 0) {
                    acc += part;
                    part = (T)0;
                }
            }
            acc += part;
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

/* cuBLAS picks its kernel (tiles, split-K) from the shape, so GEMMs of two
 * shapes can sum in two orders; the emulated DGEMM does too (the number of
 * pieces of the sum over k depends on m and n), so that a result that
 * depended on a GEMM's shape would show it here. */
extern "C" cublasStatus_t cublasDgemm_v2(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                         int k, const double *alpha, const double *A, int lda, const double *B,
                                         int ldb, const double *beta, double *C, int ldc)
{
    if (!h || !h->stream) return CUBLAS_STATUS_NOT_INITIALIZED; /* see the top: no legacy stream */
    const int split = 1 + (int)(((unsigned)m + 3u * (unsigned)n) % 4u);
    return gemm<double>(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, split);
}
