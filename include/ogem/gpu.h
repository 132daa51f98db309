/*
 * ogem/gpu.h - what the GPU backend of this build can do and the devices it sees:
 * ogem_gpu_count, ogem_gpu_get_caps and its text, ogem_gpu_describe. Part of
 * ogem/ogem.h, which callers include.
 */
#ifndef OGEM_GPU_API_H
#define OGEM_GPU_API_H

#include <stddef.h>
#include "ogem/solver.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- GPU ------------------------------------------------------------------------ */

/* Number of usable CUDA devices (0 when the build has no CUDA or none is present). */
int ogem_gpu_count(void);

/* Makes CUDA device (index modulo the number of devices) the calling thread's
 * current device, which GPU solvers created afterwards use: one process per
 * GPU, e.g. an MPI rank passing its node-local rank. OGEM_ERR_NO_DEVICE when
 * the build has no CUDA or the machine no device (then nothing changes). */
ogem_status ogem_gpu_select(int index);

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
#endif /* OGEM_GPU_API_H */
