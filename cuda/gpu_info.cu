/*
 * gpu_info.cu - what the machine and the build offer: ogem_gpu_count,
 * ogem_gpu_describe, FLOP/s peaks for the benchmark, and the error mapping
 * shared by the backend files (every CUDA, cuRAND and cuBLAS failure becomes
 * an ogem_status with one line of text; nothing is printed).
 */
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <curand.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gpu_internal.cuh"
#include "ogem_gpu.h"

ogem_status gpu_fail_cuda(char *msg, size_t len, cudaError_t e, const char *what)
{
    if (msg) snprintf(msg, len, "CUDA error in %s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
    if (e == cudaErrorMemoryAllocation) return OGEM_ERR_NOMEM;
    if (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver) return OGEM_ERR_NO_DEVICE;
    return OGEM_ERR_CUDA;
}

static const char *curand_name(curandStatus_t e)
{
    switch (e) {
    case CURAND_STATUS_VERSION_MISMATCH: return "CURAND_STATUS_VERSION_MISMATCH";
    case CURAND_STATUS_NOT_INITIALIZED: return "CURAND_STATUS_NOT_INITIALIZED";
    case CURAND_STATUS_ALLOCATION_FAILED: return "CURAND_STATUS_ALLOCATION_FAILED";
    case CURAND_STATUS_TYPE_ERROR: return "CURAND_STATUS_TYPE_ERROR";
    case CURAND_STATUS_OUT_OF_RANGE: return "CURAND_STATUS_OUT_OF_RANGE";
    case CURAND_STATUS_LENGTH_NOT_MULTIPLE: return "CURAND_STATUS_LENGTH_NOT_MULTIPLE";
    case CURAND_STATUS_DOUBLE_PRECISION_REQUIRED: return "CURAND_STATUS_DOUBLE_PRECISION_REQUIRED";
    case CURAND_STATUS_LAUNCH_FAILURE: return "CURAND_STATUS_LAUNCH_FAILURE";
    case CURAND_STATUS_PREEXISTING_FAILURE: return "CURAND_STATUS_PREEXISTING_FAILURE";
    case CURAND_STATUS_INITIALIZATION_FAILED: return "CURAND_STATUS_INITIALIZATION_FAILED";
    case CURAND_STATUS_ARCH_MISMATCH: return "CURAND_STATUS_ARCH_MISMATCH";
    case CURAND_STATUS_INTERNAL_ERROR: return "CURAND_STATUS_INTERNAL_ERROR";
    default: return "unknown cuRAND status";
    }
}

ogem_status gpu_fail_curand(char *msg, size_t len, curandStatus_t e, const char *what)
{
    if (msg) snprintf(msg, len, "cuRAND error in %s: %s (%d)", what, curand_name(e), (int)e);
    return e == CURAND_STATUS_ALLOCATION_FAILED ? OGEM_ERR_NOMEM : OGEM_ERR_CURAND;
}

ogem_status gpu_fail_cublas(char *msg, size_t len, cublasStatus_t e, const char *what)
{
    if (msg) snprintf(msg, len, "cuBLAS error in %s: %s (%s)", what, cublasGetStatusString(e), cublasGetStatusName(e));
    return e == CUBLAS_STATUS_ALLOC_FAILED ? OGEM_ERR_NOMEM : OGEM_ERR_CUDA;
}

/* ---- devices ------------------------------------------------------------------ */

namespace {

__global__ void probe_kernel(int *x)
{
    if (x) *x = 1;
}

/* Whether this binary has code for the device (and the runtime can use it). */
int device_runs_our_code(int dev, char *why, size_t len)
{
    int cur = 0;
    if (cudaGetDevice(&cur) != cudaSuccess) cur = 0;
    cudaError_t e = cudaSetDevice(dev);
    cudaFuncAttributes fa;
    if (e == cudaSuccess) e = cudaFuncGetAttributes(&fa, probe_kernel);
    cudaSetDevice(cur);
    if (e != cudaSuccess) {
        if (why) snprintf(why, len, "%s", cudaGetErrorString(e));
        cudaGetLastError();
        return 0;
    }
    return 1;
}

int fp32_lanes_per_sm(int major, int minor)
{
    if (major >= 8 && !(major == 8 && minor == 0)) return 128; /* 8.6/8.7/8.9, 9.x, 10.x, 12.x */
    if (major >= 5) return 64;                                /* 6.0, 7.x, 8.0 (and 5.x: 128, rare) */
    return 0;
}

int fp64_lanes_per_sm(int major, int minor)
{
    if ((major == 6 && minor == 0) || (major == 7 && minor == 0)) return 32;
    if (major == 8 && minor == 0) return 32;
    if (major == 9 && minor == 0) return 64;
    if (major == 10 && minor == 0) return 64;
    return 2; /* consumer parts: 1/64 rate */
}

double peak(int dev, int fp64)
{
    int sms = 0, khz = 0, major = 0, minor = 0;
    if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) != cudaSuccess) {
        cudaGetLastError();
        return 0.0;
    }
    const int lanes = fp64 ? fp64_lanes_per_sm(major, minor) : fp32_lanes_per_sm(major, minor);
    return 2.0 * lanes * (double)sms * (double)khz * 1e3;
}

struct sbuf {
    char *p;
    size_t len, pos;
};

void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (!b->p || b->len == 0) return;
    if (b->pos >= b->len) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b->p + b->pos, b->len - b->pos, fmt, ap);
    va_end(ap);
    if (w > 0) b->pos += (size_t)w;
    if (b->pos >= b->len) b->pos = b->len - 1;
}

#define OGEM_STR2(...) #__VA_ARGS__
#define OGEM_STR(...) OGEM_STR2(__VA_ARGS__)

} /* namespace */

extern "C" int ogem_gpu_count(void)
{
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    int usable = 0;
    for (int d = 0; d < n; d++) usable += device_runs_our_code(d, NULL, 0);
    return usable;
}

extern "C" double ogem_gpu_fp32_peak(int device) { return peak(device, 0); }
extern "C" double ogem_gpu_fp64_peak(int device) { return peak(device, 1); }

extern "C" ogem_status ogem_gpu_describe(char *buf, size_t len)
{
    if (!buf || len == 0) return OGEM_ERR_INVALID;
    buf[0] = '\0';
    sbuf sb = {buf, len, 0};

    int rt = 0, drv = 0, cub = 0, cur = 0;
    cudaRuntimeGetVersion(&rt);
    cudaError_t de = cudaDriverGetVersion(&drv);
    curandGetVersion(&cur);
    cublasGetProperty(MAJOR_VERSION, &cub);
    int cubmin = 0, cubpatch = 0;
    cublasGetProperty(MINOR_VERSION, &cubmin);
    cublasGetProperty(PATCH_LEVEL, &cubpatch);
    cudaGetLastError();

    sb_printf(&sb, "CUDA backend: built\n");
    sb_printf(&sb, "  compiler: nvcc %d.%d", __CUDACC_VER_MAJOR__, __CUDACC_VER_MINOR__);
#ifdef __CUDA_ARCH_LIST__
    sb_printf(&sb, ", architectures %s", OGEM_STR(__CUDA_ARCH_LIST__));
#endif
    sb_printf(&sb, "\n");
    sb_printf(&sb, "  libraries: CUDA runtime %d.%d, cuBLAS %d.%d.%d, cuRAND %d\n", rt / 1000, (rt % 1000) / 10, cub,
              cubmin, cubpatch, cur);
    if (de == cudaSuccess && drv > 0)
        sb_printf(&sb, "  driver: supports CUDA %d.%d\n", drv / 1000, (drv % 1000) / 10);
    else
        sb_printf(&sb, "  driver: none found\n");
    sb_printf(&sb,
              "  kernels: fused for K < %d and n <= %d (%d threads/block, <= %d point chunks per init), "
              "cuBLAS GEMM path otherwise (%d-point chunks); float or double scores, double sums\n",
              OGEM_GEMM_MIN_K, OGEM_FUSED_MAX_N, OGEM_FUSED_THREADS, OGEM_FUSED_MAX_CHUNKS, OGEM_GEMM_CHUNK);
    sb_printf(&sb, "  exact estimator on the GPU: k = 1 only (k = 2 needs --device cpu)\n");

    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        sb_printf(&sb, "devices: none (%s)\n", cudaGetErrorString(e));
        cudaGetLastError();
        return OGEM_OK;
    }
    sb_printf(&sb, "devices: %d\n", n);
    for (int d = 0; d < n; d++) {
        cudaDeviceProp p;
        if (cudaGetDeviceProperties(&p, d) != cudaSuccess) {
            cudaGetLastError();
            sb_printf(&sb, "  [%d] (properties unavailable)\n", d);
            continue;
        }
        int optin = 0, khz = 0;
        cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, d);
        cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, d);
        size_t fr = 0, tot = 0;
        int cur_dev = 0;
        cudaGetDevice(&cur_dev);
        if (cudaSetDevice(d) == cudaSuccess) cudaMemGetInfo(&fr, &tot);
        cudaSetDevice(cur_dev);
        cudaGetLastError();
        char why[128] = "";
        const int ok = device_runs_our_code(d, why, sizeof why);
        sb_printf(&sb,
                  "  [%d] %s: compute capability %d.%d, %d SMs at %.2f GHz, memory %.1f GiB (%.1f GiB free), "
                  "L2 %.0f MiB, shared memory/block %d KiB (opt-in), FP32 peak %.1f TFLOP/s, FP64 %.1f TFLOP/s%s%s\n",
                  d, p.name, p.major, p.minor, p.multiProcessorCount, khz / 1e6,
                  (double)p.totalGlobalMem / 1073741824.0,
                  (double)fr / 1073741824.0, p.l2CacheSize / 1048576.0, optin / 1024, peak(d, 0) / 1e12,
                  peak(d, 1) / 1e12, ok ? "" : "; NOT usable by this build: ", ok ? "" : why);
    }
    return OGEM_OK;
}
