/*
 * consumer.c - a program outside the project that uses only the installed
 * public API (tools/install_check.sh builds it against an install, with CMake
 * and with pkg-config): 4 initializations of 3 components in d = 2, a few
 * exact gradient EM steps on the CPU; the mean loss over the inits must fall.
 */
#include <ogem/ogem.h>
#include <stdio.h>

enum { R = 4, N = 3, D = 2, STEPS = 20 };

int main(void)
{
    const double w[N] = {0.5, 0.3, 0.2};
    ogem_settings s;
    ogem_settings_default(&s);
    s.dim = D; s.components = N; s.weights = w; s.inits = R;
    s.estimator = OGEM_EST_EXACT; s.device = OGEM_DEVICE_CPU;
    ogem_solver *sv = NULL;
    char msg[256] = "";
    if (ogem_solver_create(&sv, &s, msg, sizeof msg) != OGEM_OK) return fprintf(stderr, "consumer: %s\n", msg), 1;
    double mu[R * N * D];
    ogem_metrics m[R];
    double first = 0, last = 0;
    ogem_status st = ogem_init_random(mu, 0, R, N, D, NULL, 2.0, s.seed);
    if (st == OGEM_OK) st = ogem_solver_set_means(sv, mu);
    for (int t = 0; st == OGEM_OK && t <= STEPS; t++) {
        st = ogem_solver_step(sv, t < STEPS, m);
        double sum = 0;
        for (int r = 0; r < R; r++) sum += m[r].loss / R;
        if (t == 0) first = sum;
        last = sum;
    }
    if (st != OGEM_OK) fprintf(stderr, "consumer: %s: %s\n", ogem_status_string(st), ogem_solver_error(sv));
    ogem_solver_destroy(sv);
    printf("consumer: ogem %s, mean loss %.6g at t = 0, %.6g at t = %d\n", OGEM_VERSION, first, last, STEPS);
    return st == OGEM_OK && last < first ? 0 : 1;
}
