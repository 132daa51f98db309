/*
 * kernels_points.cu - device point sets in the SoA layout of gpu_internal.cuh.
 * The random draws themselves are cuRAND's (backend_gpu.cu); these kernels
 * only rearrange them: antithetic mirroring, row-major -> SoA, the qmc digital
 * shift and normal quantile (sample_math.h, the CPU's exact formulas), and the
 * float copy every kernel reads in float mode.
 */
#include "gpu_internal.cuh"

namespace {

const int PT_THREADS = 256;

/* One thread per element q = j * K + k of the first `rows` rows (coalesced reads). */
__global__ void rowmajor_to_soa_kernel(const double *raw, long rows, int K, long N, double *pts, int antithetic)
{
    const size_t q = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (q >= (size_t)rows * K) return;
    const long j = (long)(q / K);
    const int k = (int)(q % K);
    const double v = raw[q];
    pts[(size_t)k * N + j] = v;
    if (antithetic) pts[(size_t)k * N + rows + j] = -v;
}

__global__ void ones_kernel(double *col, long N)
{
    const size_t j = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (j < (size_t)N) col[j] = 1.0;
}

/* qmc: same layout in and out (dimension-major), shift per dimension. */
__global__ void qmc_kernel(const unsigned long long *sobol, const unsigned long long *shift, long N, int K,
                           double *pts)
{
    const size_t q = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (q >= (size_t)N * K) return;
    const int k = (int)(q / N);
    const uint64_t u = (uint64_t)sobol[q] ^ (uint64_t)shift[k];
    pts[q] = ogem_norm_quantile(ogem_u64_to_open01(u));
}

__global__ void to_float_kernel(const double *in, float *out, size_t count)
{
    const size_t q = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (q < count) out[q] = (float)in[q];
}

inline unsigned nblocks(size_t work) { return (unsigned)((work + PT_THREADS - 1) / PT_THREADS); }

} /* namespace */

ogem_status gpu_points_ones(gpu_backend *b)
{
    double *col = (double *)b->pts.p + (size_t)b->K * b->N;
    OGEM_LAUNCH(ones_kernel, nblocks(b->N), PT_THREADS, 0, b->stream)(col, b->N);
    GPU_TRY_LAUNCH(b, "ones kernel");
    return OGEM_OK;
}

ogem_status gpu_points_from_rowmajor(gpu_backend *b, const double *raw, int antithetic)
{
    const long rows = antithetic ? b->N / 2 : b->N;
    if (rows < 1) return OGEM_OK;
    OGEM_LAUNCH(rowmajor_to_soa_kernel, nblocks((size_t)rows * b->K), PT_THREADS, 0, b->stream)(raw, rows, b->K, b->N,
                                                                                       (double *)b->pts.p, antithetic);
    GPU_TRY_LAUNCH(b, "point layout kernel");
    return OGEM_OK;
}

ogem_status gpu_points_qmc(gpu_backend *b)
{
    OGEM_LAUNCH(qmc_kernel, nblocks((size_t)b->N * b->K), PT_THREADS, 0, b->stream)(
        (const unsigned long long *)b->raw.p, (const unsigned long long *)b->shift.p, b->N, b->K, (double *)b->pts.p);
    GPU_TRY_LAUNCH(b, "qmc kernel");
    return OGEM_OK;
}

ogem_status gpu_narrow(gpu_backend *b, const double *in, float *out, size_t count)
{
    if (!count) return OGEM_OK;
    OGEM_LAUNCH(to_float_kernel, nblocks(count), PT_THREADS, 0, b->stream)(in, out, count);
    GPU_TRY_LAUNCH(b, "float copy kernel");
    return OGEM_OK;
}

ogem_status gpu_points_float(gpu_backend *b)
{
    if (b->ptsf_version == b->pts_version) return OGEM_OK;
    const size_t count = ((size_t)b->K + 1) * (size_t)b->N; /* bounded at create (N (K + 1) <= 9e15) */
    GPU_TRY(gpu_buf_reserve(b, &b->ptsf, count * sizeof(float), "float point copy"));
    GPU_TRY(gpu_narrow(b, (const double *)b->pts.p, (float *)b->ptsf.p, count));
    b->ptsf_version = b->pts_version;
    return OGEM_OK;
}
