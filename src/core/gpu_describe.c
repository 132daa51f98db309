/* gpu_describe.c - ogem_gpu_describe: the text of `ogem info`, written from
 * ogem_gpu_caps (so the text and the struct cannot disagree), in builds with
 * and without CUDA alike. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "ogem/ogem.h"

typedef struct text_buf {
    char *p;
    size_t len, pos;
} text_buf;

/* Appends to b, truncating at its end (which stays NUL-terminated). */
static void tb_printf(text_buf *b, const char *fmt, ...)
{
    if (b->pos + 1 >= b->len) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b->p + b->pos, b->len - b->pos, fmt, ap);
    va_end(ap);
    if (w > 0) b->pos += (size_t)w;
    if (b->pos >= b->len) b->pos = b->len - 1;
}

static void describe_build(text_buf *b, const ogem_gpu_caps *c)
{
    tb_printf(b, "CUDA backend: built\n");
    tb_printf(b, "  compiler: nvcc %d.%d", c->nvcc_major, c->nvcc_minor);
    if (c->architectures[0]) tb_printf(b, ", architectures %s", c->architectures);
    tb_printf(b, "\n");
    tb_printf(b, "  libraries: CUDA runtime %d.%d, cuBLAS %d.%d.%d, cuRAND %d\n", c->runtime_version / 1000,
              (c->runtime_version % 1000) / 10, c->cublas_major, c->cublas_minor, c->cublas_patch, c->curand_version);
    if (c->driver_version > 0)
        tb_printf(b, "  driver: supports CUDA %d.%d\n", c->driver_version / 1000, (c->driver_version % 1000) / 10);
    else
        tb_printf(b, "  driver: none found\n");
    tb_printf(b, "  kernels: fused for K < %d and n <= %d (%d threads/block, <= %d point chunks per init), ",
              c->gemm_min_dim, c->fused_max_components, c->fused_threads, c->fused_max_chunks);
    if (c->gemm_path) tb_printf(b, "cuBLAS GEMM path otherwise (%d-point chunks); ", c->gemm_chunk);
    tb_printf(b, "%s scores, double sums\n", c->float_supported ? "float or double" : "double");
    if (c->exact_max_k > 0)
        tb_printf(b, "  exact estimator on the GPU: k <= %d directions, n <= %d components (larger k: CPU backend)\n",
                  c->exact_max_k, c->exact_max_components);
    else
        tb_printf(b, "  exact estimator on the GPU: no (CPU backend only)\n");
}

static void describe_device(text_buf *b, int d, const ogem_gpu_device *g)
{
    tb_printf(b,
              "  [%d] %s: compute capability %d.%d, %d SMs at %.2f GHz, memory %.1f GiB (%.1f GiB free), "
              "L2 %.0f MiB, shared memory/block %zu KiB (opt-in), FP32 peak %.1f TFLOP/s, FP64 %.1f TFLOP/s%s%s\n",
              d, g->name, g->cc_major, g->cc_minor, g->sm_count, g->clock_ghz, (double)g->total_bytes / 1073741824.0,
              (double)g->free_bytes / 1073741824.0, (double)g->l2_bytes / 1048576.0, g->smem_optin_bytes / 1024,
              g->fp32_peak / 1e12, g->fp64_peak / 1e12, g->usable ? "" : "; NOT usable by this build: ",
              g->usable ? "" : g->unusable_reason);
}

ogem_status ogem_gpu_describe(char *buf, size_t len)
{
    if (!buf || len == 0) return OGEM_ERR_INVALID;
    buf[0] = '\0';
    ogem_gpu_caps *c = malloc(sizeof *c);   /* several KiB: not on the caller's stack */
    if (!c) return OGEM_ERR_NOMEM;
    ogem_status st = ogem_gpu_get_caps(c);
    if (st == OGEM_OK) {
        text_buf b = {buf, len, 0};
        if (!c->built) {
            tb_printf(&b, "CUDA backend: not built\n");
        } else {
            describe_build(&b, c);
            if (c->device_error[0]) tb_printf(&b, "devices: none (%s)\n", c->device_error);
            else tb_printf(&b, "devices: %d\n", c->device_count);
            const int shown = c->device_count < OGEM_GPU_MAX_DEVICES ? c->device_count : OGEM_GPU_MAX_DEVICES;
            for (int d = 0; d < shown; d++) describe_device(&b, d, &c->devices[d]);
        }
    }
    free(c);
    return st;
}
