/* bench_cpu.c - throughput of the CPU reference backend in sample x component
 * x init updates per second (SCI/s), one full gradient EM step at a time
 * (sampling included). Usage: bench_cpu [n d R N steps threads]. Prints one
 * machine-readable line: "ogem-cpu n=.. d=.. R=.. N=.. threads=.. sci_per_s=..". */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "ogem/ogem.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 5, d = argc > 2 ? atoi(argv[2]) : 10;
    int R = argc > 3 ? atoi(argv[3]) : 64;
    long N = argc > 4 ? atol(argv[4]) : 8192;
    int steps = argc > 5 ? atoi(argv[5]) : 30, threads = argc > 6 ? atoi(argv[6]) : 0;
    double *w = malloc(sizeof(double) * n), *mu = malloc(sizeof(double) * (size_t)R * n * d);
    for (int i = 0; i < n; i++) w[i] = 1.0 / n;
    ogem_settings s;
    ogem_settings_default(&s);
    s.dim = d; s.components = n; s.inits = R; s.samples = N; s.weights = w;
    s.device = OGEM_DEVICE_CPU; s.threads = threads;
    ogem_solver *sv;
    char msg[256];
    if (ogem_solver_create(&sv, &s, msg, sizeof msg)) { fprintf(stderr, "bench_cpu: %s\n", msg); return 2; }
    ogem_init_random(mu, 0, R, n, d, NULL, 1.0, 1);
    ogem_solver_set_means(sv, mu);
    ogem_solver_step(sv, 1, NULL);                       /* warm-up */
    double best = 0.0;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now();
        for (int t = 0; t < steps; t++) ogem_solver_step(sv, 1, NULL);
        double rate = (double)steps * N * n * R / (now() - t0);
        best = rate > best ? rate : best;
    }
    ogem_solver_info info;
    ogem_solver_get_info(sv, &info);
    printf("ogem-cpu n=%d d=%d R=%d N=%ld threads=%d precision=double sci_per_s=%.4g\n", n, d, R, N, info.threads, best);
    ogem_solver_destroy(sv);
    free(w);
    free(mu);
    return 0;
}
