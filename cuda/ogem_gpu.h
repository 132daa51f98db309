/*
 * ogem_gpu.h - extras of the CUDA backend for tests and benchmarks (C API).
 * Defined only in CUDA builds (OGEM_HAVE_CUDA); callers guard with #ifdef.
 */
#ifndef OGEM_GPU_H
#define OGEM_GPU_H

#include <stddef.h>
#include "core/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Copies the GPU backend's current point set, N x K row-major doubles (the
 * layout of backend.h's sampling plan), into out (cap values). The points of
 * the last prepare(); fixed/data/qmc as created. OGEM_ERR_INVALID for a backend
 * that is not the GPU one, for exact (no shared points), or cap < N*K. */
ogem_status ogem_backend_gpu_copy_points(ogem_backend *b, double *out, size_t cap);

/* Fused path: 1 = always the block kernel (kernels_fused.cu), 0 = the
 * stationary kernel wherever it has a version for the shape (the default).
 * For benchmarks and tests comparing the two; OGEM_ERR_INVALID for a backend
 * that is not the GPU one. */
ogem_status ogem_backend_gpu_set_block_only(ogem_backend *b, int block_only);

/* The fused path's kernel for n components in K dims: "stationary" or
 * "block"; NULL if neither can run it (or b is not the GPU backend). */
const char *ogem_backend_gpu_fused_kernel(const ogem_backend *b, int n, int K);

/* Number of points of the backend's shared point set (0 for exact). */
long ogem_backend_gpu_point_count(const ogem_backend *b);

/* FP32 FMA peak of a device in FLOP/s (2 per FMA lane per clock), 0 if unknown. */
double ogem_gpu_fp32_peak(int device);
/* Same for FP64 (non-tensor) FMA lanes. */
double ogem_gpu_fp64_peak(int device);

/* Path the GPU backend chooses (or would choose) for n components in K dims:
 * "fused" or "gemm"; NULL if none can run. */
const char *ogem_backend_gpu_path(const ogem_backend *b, int n, int K);

#ifdef __cplusplus
}
#endif
#endif /* OGEM_GPU_H */
