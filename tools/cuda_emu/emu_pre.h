/*
 * emu_pre.h - force-included (g++ -include) before each cuda/*.cu when the
 * CUDA backend is compiled as plain host C++ for the emulator (run_emu.sh).
 *
 * The emulator runs every kernel launch block by block, each CUDA thread a
 * fiber (plain builds: fast, no OS scheduling) or an OS thread (ASan and TSan
 * builds), with barriers for __syncthreads and per-warp barriers for
 * shuffles (emu_rt.cpp, "block execution"); device memory is host memory; cuRAND's host API generating into
 * device memory (curandCreateGenerator) becomes the same API generating into
 * host memory (curandCreateGeneratorHost: same seeds, offsets and ordering;
 * that the two agree is checked on a device by gpu::curand_device_equals_host);
 * cuBLAS GEMMs are naive loops. It checks the kernels' logic, indexing and
 * synchronisation (with AddressSanitizer or ThreadSanitizer) on machines
 * without a GPU. It says nothing about speed, and nothing about device-only
 * behaviour (FMA contraction, device exp/log rounding, warp scheduling).
 */
#ifndef OGEM_EMU_PRE_H
#define OGEM_EMU_PRE_H

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <curand.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <functional>

#undef __global__
#undef __device__
#undef __host__
#undef __shared__
#undef __forceinline__
#undef __launch_bounds__
#define __global__
#define __device__
#define __host__
#define __shared__ static
#define __forceinline__ inline
#define __launch_bounds__(...)
#ifndef __CUDACC_VER_MAJOR__
#define __CUDACC_VER_MAJOR__ 0
#define __CUDACC_VER_MINOR__ 0
#endif

struct emu_uint3 {
    unsigned x, y, z;
};
extern thread_local emu_uint3 emu_threadIdx, emu_blockIdx, emu_blockDim, emu_gridDim;
#define threadIdx emu_threadIdx
#define blockIdx emu_blockIdx
#define blockDim emu_blockDim
#define gridDim emu_gridDim

void emu_syncthreads();
#define __syncthreads() emu_syncthreads()
double emu_shfl_xor_d(double v, int lanemask);
template <typename T> static inline T __shfl_xor_sync(unsigned, T v, int lanemask)
{
    return (T)emu_shfl_xor_d((double)v, lanemask);
}
#define __expf expf
#define __logf logf

/* cp.async (cuda_pipeline.h): a synchronous copy here; the kernels' waits
 * and barriers are what makes it visible on a device. */
static inline void __pipeline_memcpy_async(void *dst, const void *src, size_t bytes) { memcpy(dst, src, bytes); }
static inline void __pipeline_commit() {}
static inline void __pipeline_wait_prior(size_t) {}

void *emu_dyn_smem();
#define OGEM_DYN_SHARED(type, name) type *name = (type *)emu_dyn_smem()

void emu_run(dim3 grid, dim3 block, size_t smem, const std::function<void()> &body);
template <typename K> struct emu_launcher {
    K k;
    dim3 g, b;
    size_t s;
    template <typename... A> void operator()(A... a) { emu_run(g, b, s, [&] { k(a...); }); }
};
template <typename K> static inline emu_launcher<K> emu_launch(K k, dim3 g, dim3 b, size_t s)
{
    return emu_launcher<K>{k, g, b, s};
}
#define OGEM_LAUNCH(kern, grid, block, smem, stream) emu_launch(kern, dim3(grid), dim3(block), (size_t)(smem))

/* cuda_runtime.h's C++ overloads exist only for nvcc */
template <typename T> static inline cudaError_t cudaFuncGetAttributes(struct cudaFuncAttributes *a, T *f)
{
    return cudaFuncGetAttributes(a, reinterpret_cast<const void *>(f));
}
template <typename T> static inline cudaError_t cudaFuncSetAttribute(T *f, enum cudaFuncAttribute at, int v)
{
    return cudaFuncSetAttribute(reinterpret_cast<const void *>(f), at, v);
}

/* generators into device memory -> generators into host memory (same numbers) */
curandStatus_t emu_curandSetStream(curandGenerator_t g, cudaStream_t s);
#define curandCreateGenerator curandCreateGeneratorHost
#define curandSetStream emu_curandSetStream

#endif
