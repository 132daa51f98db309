/*
 * bench_gpu.c - throughput of the GPU backend's batched step (draw N fresh
 * samples, evaluate R initializations of n components in d dimensions), in
 * SCI/s (samples x components x initializations per second), and its share of
 * the FP32 FMA peak counting 4 n d FLOPs per (sample, initialization), i.e.
 * 4 d per SCI: the score <c_i, p> (2 d) and the sums psi_i p (2 d).
 *
 *   bench_gpu                 the table of bench/RESULTS.md (H200 sizes)
 *   bench_gpu --quick         smaller sizes (a smoke test)
 *   bench_gpu --sanitize      tiny runs of every estimator and path, for
 *                             compute-sanitizer (no timing)
 *   bench_gpu --only NAME     one row of the table (see the names printed)
 *
 * The fused path runs the stationary kernel where it has a version for the
 * shape (n (d + 1) <= 64 in float, <= 32 in double) and the block kernel
 * otherwise; the "-block" rows force the block kernel on the same shapes, so
 * that the two designs are timed side by side (the KERNEL column).
 *
 * Every row prints a machine-readable line
 *   RESULT,ogem,NAME,PREC,PATH,n,d,R,N,sec_per_step,sci_per_s,pct_fp32_peak,KERNEL
 * that bench/gpu_check.sh collects next to bench/torch_step.py's lines.
 * Built in every configuration; without CUDA it says so and exits 0.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/backend.h"
#include "ogem/ogem.h"
#ifdef OGEM_HAVE_CUDA
#include "../cuda/ogem_gpu.h"
#endif

typedef struct row {
    const char *name;
    ogem_precision prec;
    ogem_gpu_path path;
    int block_only; /* fused path: the block kernel even where the stationary one fits */
    int n, d, R;
    long N;
} row;

/* The sizes: n = 5, d = 10, R = 1024, N = 65536 (float and double),
 * and d = 256 at the same n, R, N on both paths. */
static const row TABLE[] = {
    {"small-float", OGEM_PREC_FLOAT, OGEM_PATH_AUTO, 0, 5, 10, 1024, 65536},
    {"small-float-block", OGEM_PREC_FLOAT, OGEM_PATH_FUSED, 1, 5, 10, 1024, 65536},
    {"small-double", OGEM_PREC_DOUBLE, OGEM_PATH_AUTO, 0, 5, 10, 1024, 65536},
    {"small-float-gemm", OGEM_PREC_FLOAT, OGEM_PATH_GEMM, 0, 5, 10, 1024, 65536},
    {"d5-double", OGEM_PREC_DOUBLE, OGEM_PATH_AUTO, 0, 5, 5, 1024, 65536},
    {"d5-double-block", OGEM_PREC_DOUBLE, OGEM_PATH_FUSED, 1, 5, 5, 1024, 65536},
    {"d256-float-fused", OGEM_PREC_FLOAT, OGEM_PATH_FUSED, 0, 5, 256, 1024, 65536},
    {"d256-float-gemm", OGEM_PREC_FLOAT, OGEM_PATH_GEMM, 0, 5, 256, 1024, 65536},
    {"d256-double-fused", OGEM_PREC_DOUBLE, OGEM_PATH_FUSED, 0, 5, 256, 1024, 65536},
    {"d256-double-gemm", OGEM_PREC_DOUBLE, OGEM_PATH_GEMM, 0, 5, 256, 1024, 65536},
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Lines of R inits: |m_i| ~ 2 around the truth, a_i = log(1/n) - |m_i|^2 / 2. */
static void make_lines(int R, int n, int K, double *a, double *c)
{
    ogem_normals(2024, 7, 0, c, (long)R * n * K);
    const double s = 2.0 / sqrt((double)K);
    for (size_t q = 0; q < (size_t)R * n; q++) {
        double sq = 0.0;
        for (int k = 0; k < K; k++) {
            c[q * K + k] *= s;
            sq += c[q * K + k] * c[q * K + k];
        }
        a[q] = log(1.0 / n) - 0.5 * sq;
    }
}

#ifdef OGEM_HAVE_CUDA
static int run_row(const row *w, double min_seconds, int min_steps, double peak)
{
    ogem_point_spec sp = {.kind = OGEM_EST_MC, .N = w->N, .K = w->d, .seed = 1, .precision = w->prec,
                          .gpu_path = w->path, .threads = 1};
    ogem_backend *b = NULL;
    char msg[256] = "";
    ogem_status st = ogem_backend_gpu_create(&b, &sp, msg, sizeof msg);
    if (st) {
        printf("%-18s  cannot create the GPU backend: %s\n", w->name, msg);
        return 1;
    }
    ogem_backend_gpu_set_block_only(b, w->block_only);
    const char *kernel = ogem_backend_gpu_fused_kernel(b, w->n, w->d);
    const size_t Rn = (size_t)w->R * w->n;
    double *a = malloc(sizeof(double) * Rn), *c = malloc(sizeof(double) * Rn * w->d);
    double *lm = malloc(sizeof(double) * Rn), *cm = malloc(sizeof(double) * Rn * w->d);
    double *lse = malloc(sizeof(double) * w->R);
    if (!a || !c || !lm || !cm || !lse) {
        printf("%-18s  out of host memory\n", w->name);
        return 1;
    }
    make_lines(w->R, w->n, w->d, a, c);
    ogem_lines L = {.R = w->R, .n = w->n, .K = w->d, .a = a, .c = c, .k = NULL, .active = NULL};
    ogem_moments mo = {.log_mass = lm, .cond_mean = cm, .mean_lse = lse};
    int rc = 0;
    /* warm-up step (allocations, cuBLAS handle, module loading) */
    if ((st = b->prepare(b, 0)) || (st = b->eval(b, &L, &mo))) {
        printf("%-18s  failed: %s\n", w->name, b->err);
        rc = 1;
    } else {
        double t0 = now(), tp = 0.0;
        int steps = 0;
        while (steps < min_steps || now() - t0 < min_seconds) {
            double ta = now();
            if ((st = b->prepare(b, 1 + steps))) break;
            tp += now() - ta;
            if ((st = b->eval(b, &L, &mo))) break;
            steps++;
        }
        if (st) {
            printf("%-18s  failed: %s\n", w->name, b->err);
            rc = 1;
        } else {
            const double sec = (now() - t0) / steps;
            const double sci = (double)w->N * (double)w->n * (double)w->R / sec;
            const double pct = peak > 0 ? 100.0 * 4.0 * w->d * sci / peak : 0.0;
            ogem_solver_info info;
            memset(&info, 0, sizeof info);
            b->info(b, &info);
            const char *kname = strcmp(info.gpu_path, "fused") == 0 && kernel ? kernel : "-";
            printf("%-18s  %-6s %-5s %-10s n=%-2d d=%-4d R=%-5d N=%-6ld  %9.3f ms/step (draw %.3f)  %9.3e SCI/s  "
                   "%5.1f%% FP32 peak  peak mem %.1f MiB\n",
                   w->name, w->prec == OGEM_PREC_FLOAT ? "float" : "double", info.gpu_path, kname, w->n, w->d, w->R,
                   w->N, 1e3 * sec, 1e3 * tp / steps, sci, pct, info.peak_device_bytes / 1048576.0);
            printf("RESULT,ogem,%s,%s,%s,%d,%d,%d,%ld,%.6e,%.6e,%.2f,%s\n", w->name,
                   w->prec == OGEM_PREC_FLOAT ? "float" : "double", info.gpu_path, w->n, w->d, w->R, w->N, sec, sci,
                   pct, kname);
        }
    }
    fflush(stdout);
    b->destroy(b);
    free(a);
    free(c);
    free(lm);
    free(cm);
    free(lse);
    return rc;
}

/* Tiny runs of every estimator, precision and path (compute-sanitizer). */
static int sanitize_runs(void)
{
    enum { n = 3, K = 4, R = 5, N = 1000 };
    double a[R * n], c[R * n * K], lm[R * n], cm[R * n * K], lse[R], data[N * K];
    int kd[R];
    make_lines(R, n, K, a, c);
    ogem_normals(3, 3, 0, data, N * K);
    unsigned char act[R] = {1, 0, 1, 1, 1};
    int fails = 0;
    const ogem_estimator ests[] = {OGEM_EST_MC, OGEM_EST_FIXED, OGEM_EST_DATA, OGEM_EST_QMC};
    for (int e = 0; e < 4; e++)
        for (int prec = 0; prec < 2; prec++)
            for (int path = 1; path <= 3; path++) { /* fused (stationary), gemm, fused (block kernel) */
                ogem_point_spec sp = {.kind = ests[e], .N = N, .K = K, .seed = 9, .data = data,
                                      .precision = (ogem_precision)prec,
                                      .gpu_path = path == 2 ? OGEM_PATH_GEMM : OGEM_PATH_FUSED, .threads = 1};
                ogem_backend *b = NULL;
                char msg[256];
                if (ogem_backend_gpu_create(&b, &sp, msg, sizeof msg)) {
                    printf("sanitize: create failed (est %d prec %d path %d): %s\n", e, prec, path, msg);
                    fails++;
                    continue;
                }
                ogem_backend_gpu_set_block_only(b, path == 3);
                ogem_lines L = {.R = R, .n = n, .K = K, .a = a, .c = c, .k = NULL, .active = act};
                ogem_moments mo = {.log_mass = lm, .cond_mean = cm, .mean_lse = lse};
                for (long t = 0; t < 2; t++)
                    if (b->prepare(b, t) || b->eval(b, &L, &mo)) {
                        printf("sanitize: est %d prec %d path %d step %ld: %s\n", e, prec, path, t, b->err);
                        fails++;
                        break;
                    }
                b->destroy(b);
            }
    /* exact: lines in k <= 1 dims (n = 2, K = 1) */
    {
        enum { n2 = 2, K2 = 1 };
        double a2[R * n2], c2[R * n2 * K2], lm2[R * n2], cm2[R * n2 * K2], lse2[R];
        make_lines(R, n2, K2, a2, c2);
        for (int r = 0; r < R; r++) kd[r] = 1;
        for (int prec = 0; prec < 2; prec++) {
            ogem_point_spec sp = {.kind = OGEM_EST_EXACT, .N = 0, .K = K2, .seed = 9, .precision = (ogem_precision)prec,
                                  .gpu_path = OGEM_PATH_AUTO, .threads = 1};
            ogem_backend *b = NULL;
            char msg[256];
            if (ogem_backend_gpu_create(&b, &sp, msg, sizeof msg)) {
                printf("sanitize: exact create failed: %s\n", msg);
                fails++;
                continue;
            }
            ogem_lines L = {.R = R, .n = n2, .K = K2, .a = a2, .c = c2, .k = kd, .active = NULL};
            ogem_moments mo = {.log_mass = lm2, .cond_mean = cm2, .mean_lse = lse2};
            ogem_status st = b->prepare(b, 0);
            if (!st) st = b->eval(b, &L, &mo);
            if (st && st != OGEM_ERR_UNSUPPORTED) {
                printf("sanitize: exact prec %d: %s\n", prec, b->err);
                fails++;
            } else if (st) {
                printf("sanitize: exact unsupported on the GPU in this build: %s\n", b->err);
            }
            b->destroy(b);
        }
    }
    printf("sanitize runs: %d failures\n", fails);
    return fails ? 1 : 0;
}
#endif

int main(int argc, char **argv)
{
    int quick = 0, sanitize = 0;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) quick = 1;
        else if (strcmp(argv[i], "--sanitize") == 0) sanitize = 1;
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
        else {
            fprintf(stderr, "usage: bench_gpu [--quick] [--sanitize] [--only NAME]\n");
            return 2;
        }
    }
#ifndef OGEM_HAVE_CUDA
    (void)quick;
    (void)sanitize;
    (void)only;
    printf("bench_gpu: this build has no CUDA backend\n");
    return 0;
#else
    if (ogem_gpu_count() < 1) {
        printf("bench_gpu: no usable GPU\n");
        return 0;
    }
    if (sanitize) return sanitize_runs();
    char desc[8192];
    ogem_gpu_describe(desc, sizeof desc);
    fputs(desc, stdout);
    const double peak = ogem_gpu_fp32_peak(0);
    printf("FP32 FMA peak (device 0): %.1f TFLOP/s; FLOPs counted: 4 d per SCI (4 n d per sample and init)\n",
           peak / 1e12);
    int rc = 0;
    for (size_t q = 0; q < sizeof TABLE / sizeof TABLE[0]; q++) {
        row w = TABLE[q];
        if (only && strcmp(only, w.name) != 0) continue;
        if (quick) {
            w.R = w.R > 64 ? 64 : w.R;
            w.N = 8192;
        }
        rc |= run_row(&w, quick ? 0.2 : 1.0, 3, peak);
    }
    return rc;
#endif
}
