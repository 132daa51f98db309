/*
 * gpu_info.cu - what the machine and the build offer: ogem_gpu_count,
 * ogem_gpu_get_caps (whose text is ogem_gpu_describe, src/core/gpu_describe.c),
 * FLOP/s peaks for the benchmark, and the error mapping shared by the backend
 * files (every CUDA, cuRAND and cuBLAS failure becomes an ogem_status with one
 * line of text; nothing is printed).
 */
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <curand.h>
#include <stdio.h>
#include <string.h>

#include "gpu_internal.cuh"
#include "ogem_gpu.h"
#include "quad/quad_rule.h"

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

#define OGEM_STR2(...) #__VA_ARGS__
#define OGEM_STR(...) OGEM_STR2(__VA_ARGS__)

/* Device d's entry of ogem_gpu_caps. */
void fill_device(int d, ogem_gpu_device *g)
{
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, d) != cudaSuccess) {
        cudaGetLastError();
        snprintf(g->name, sizeof g->name, "(properties unavailable)");
        snprintf(g->unusable_reason, sizeof g->unusable_reason, "its properties cannot be read");
        return;
    }
    snprintf(g->name, sizeof g->name, "%s", p.name);
    g->cc_major = p.major;
    g->cc_minor = p.minor;
    g->sm_count = p.multiProcessorCount;
    g->total_bytes = p.totalGlobalMem;
    g->l2_bytes = (size_t)p.l2CacheSize;
    int optin = 0, khz = 0;
    cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, d);
    cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, d);
    g->smem_optin_bytes = (size_t)optin;
    g->clock_ghz = khz / 1e6;
    size_t fr = 0, tot = 0;
    int cur_dev = 0;
    cudaGetDevice(&cur_dev);
    if (cudaSetDevice(d) == cudaSuccess) cudaMemGetInfo(&fr, &tot);
    cudaSetDevice(cur_dev);
    cudaGetLastError();
    g->free_bytes = fr;
    g->fp32_peak = peak(d, 0);
    g->fp64_peak = peak(d, 1);
    g->usable = device_runs_our_code(d, g->unusable_reason, sizeof g->unusable_reason);
}

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

extern "C" ogem_status ogem_gpu_select(int index)
{
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess || n < 1 || index < 0) {
        cudaGetLastError();
        return OGEM_ERR_NO_DEVICE;
    }
    if (cudaSetDevice(index % n) != cudaSuccess) {
        cudaGetLastError();
        return OGEM_ERR_NO_DEVICE;
    }
    return OGEM_OK;
}

extern "C" double ogem_gpu_fp32_peak(int device) { return peak(device, 0); }
extern "C" double ogem_gpu_fp64_peak(int device) { return peak(device, 1); }

extern "C" ogem_status ogem_gpu_get_caps(ogem_gpu_caps *caps)
{
    if (!caps) return OGEM_ERR_INVALID;
    memset(caps, 0, sizeof *caps);
    caps->built = 1;
    caps->nvcc_major = __CUDACC_VER_MAJOR__;
    caps->nvcc_minor = __CUDACC_VER_MINOR__;
#ifdef __CUDA_ARCH_LIST__
    snprintf(caps->architectures, sizeof caps->architectures, "%s", OGEM_STR(__CUDA_ARCH_LIST__));
#endif
    cudaRuntimeGetVersion(&caps->runtime_version);
    if (cudaDriverGetVersion(&caps->driver_version) != cudaSuccess) caps->driver_version = 0;
    curandGetVersion(&caps->curand_version);
    cublasGetProperty(MAJOR_VERSION, &caps->cublas_major);
    cublasGetProperty(MINOR_VERSION, &caps->cublas_minor);
    cublasGetProperty(PATCH_LEVEL, &caps->cublas_patch);
    cudaGetLastError();

    caps->float_supported = 1;
    caps->gemm_path = 1;
    caps->fused_max_components = OGEM_FUSED_MAX_N;
    caps->gemm_min_dim = OGEM_GEMM_MIN_K;
    caps->fused_threads = OGEM_FUSED_THREADS;
    caps->fused_max_chunks = OGEM_FUSED_MAX_CHUNKS;
    caps->gemm_chunk = OGEM_GEMM_CHUNK;
    caps->exact_max_k = OGEM_GPU_EXACT_MAX_K;
    caps->exact_max_components = OGEM_QUAD_MAX_LINES < OGEM_FUSED_MAX_N ? OGEM_QUAD_MAX_LINES : OGEM_FUSED_MAX_N;

    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        snprintf(caps->device_error, sizeof caps->device_error, "%s", cudaGetErrorString(e));
        cudaGetLastError();
        return OGEM_OK;
    }
    caps->device_count = n;
    for (int d = 0; d < n && d < OGEM_GPU_MAX_DEVICES; d++) {
        fill_device(d, &caps->devices[d]);
        caps->usable_count += caps->devices[d].usable;
    }
    return OGEM_OK;
}
