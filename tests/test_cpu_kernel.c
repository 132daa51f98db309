/* test_cpu_kernel.c - the CPU backend's blocked kernel (lines_eval.c): a block
 * of initializations gives each one the same bits as computing it alone;
 * the moments do not depend on the thread count (threads 1, 2, 3, with 37
 * initializations, so blocks and threads do not divide evenly), on the plain
 * path and on the BLAS GEMM path; and the GEMM path agrees with the plain
 * kernel within a stated tolerance. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/blas_gemm.h"
#include "cpu/lines_eval.h"
#include "ogem/ogem.h"

/* Moments (loss, log_mass, cond_mean) of step 0 for R x n x d random means,
 * mc samples, on `threads` CPU threads; returns them in one allocation. */
static double *cpu_moments(int R, int n, int d, long N, int threads)
{
    double *w = malloc(sizeof(double) * n), *mu = malloc(sizeof(double) * (size_t)R * n * d);
    for (int i = 0; i < n; i++) w[i] = 1.0 / n;
    ogem_settings s;
    ogem_settings_default(&s);
    s.dim = d; s.components = n; s.inits = R; s.samples = N; s.weights = w;
    s.device = OGEM_DEVICE_CPU; s.threads = threads;
    ogem_solver *sv;
    char msg[256];
    cr_assert_eq(ogem_solver_create(&sv, &s, msg, sizeof msg), OGEM_OK, "%s", msg);
    cr_assert_eq(ogem_init_random(mu, 0, R, n, d, NULL, 1.0, 7), OGEM_OK);
    cr_assert_eq(ogem_solver_set_means(sv, mu), OGEM_OK);
    /* some frozen initializations, so that blocks have holes */
    unsigned char *act = malloc((size_t)R);
    for (int r = 0; r < R; r++) act[r] = r % 5 != 3;
    cr_assert_eq(ogem_solver_set_active(sv, act), OGEM_OK);
    double *out = calloc((size_t)R * (1 + n + (size_t)n * d), sizeof(double));
    cr_assert_eq(ogem_solver_moments(sv, out, out + R, out + R + (size_t)R * n), OGEM_OK, "%s",
                 ogem_solver_error(sv));
    ogem_solver_destroy(sv);
    free(w); free(mu); free(act);
    return out;
}

static void check_thread_independence(int n, int d)
{
    const int R = 37;
    const long N = 1000;   /* not a multiple of the chunk (256) nor of 16 */
    const size_t len = (size_t)R * (1 + n + (size_t)n * d);
    double *one = cpu_moments(R, n, d, N, 1);
    for (int t = 2; t <= 3; t++) {
        double *many = cpu_moments(R, n, d, N, t);
        cr_expect(memcmp(one, many, sizeof(double) * len) == 0, "n=%d d=%d: threads 1 and %d differ", n, d, t);
        free(many);
    }
    free(one);
}

Test(cpu_kernel, plain_path_is_thread_count_independent)
{
    cr_assert(!ogem_eval_use_gemm(5, 10, 1000));
    check_thread_independence(5, 10);
}

Test(cpu_kernel, gemm_path_is_thread_count_independent)
{
    if (!ogem_blas_available()) cr_skip_test("built without BLAS (OGEM_BLAS=OFF or none found)");
    cr_assert(ogem_eval_use_gemm(4, 64, 1000));
    check_thread_independence(4, 64);
}

/* Random lines a_i = -|m_i|^2/2 - log n, c_i = m_i, m ~ N(0, s^2), points
 * N(0, 1) dimension-major, for R initializations. */
typedef struct kernel_case {
    int R, n, K;
    long P;
    double *a, *c, *pts;
} kernel_case;

static double unit_normal(unsigned *state)
{
    double u = (rand_r(state) + 1.0) / (RAND_MAX + 2.0), v = (rand_r(state) + 1.0) / (RAND_MAX + 2.0);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

static kernel_case make_case(int R, int n, int K, long P, double spread)
{
    kernel_case kc = {R, n, K, P, malloc(sizeof(double) * R * n), malloc(sizeof(double) * R * n * K),
                      malloc(sizeof(double) * K * P)};
    unsigned st = 12345;
    for (long q = 0; q < K * P; q++) kc.pts[q] = unit_normal(&st);
    for (int i = 0; i < R * n; i++) {
        double sq = 0.0;
        for (int k = 0; k < K; k++) {
            const double m = spread * unit_normal(&st);
            kc.c[(size_t)i * K + k] = m;
            sq += m * m;
        }
        kc.a[i] = -0.5 * sq - log((double)n);
    }
    return kc;
}

static void free_case(kernel_case *kc) { free(kc->a); free(kc->c); free(kc->pts); }

/* out: log_mass[R*n], cond_mean[R*n*K], mean_lse[R]. Blocks of nb, gemm or not. */
static double *run_case(const kernel_case *kc, int nb, int gemm, int mirrored)
{
    const int R = kc->R, n = kc->n, K = kc->K;
    double *out = malloc(sizeof(double) * R * (n + (size_t)n * K + 1));
    ogem_eval_scratch ws;
    cr_assert_eq(ogem_eval_scratch_init_block(&ws, n, K, nb, gemm), 0);
    int rs[OGEM_EVAL_MAX_BLOCK];
    for (int b = 0; b < R; b += nb) {
        int cnt = 0;
        for (int r = b; r < R && r < b + nb; r++) rs[cnt++] = R - 1 - r;   /* any order, any grouping */
        ogem_eval_lines_block(n, K, cnt, rs, kc->a, kc->c, kc->pts, kc->P, kc->P, mirrored, NULL, &ws, out,
                              out + R * n, out + R * n + (size_t)R * n * K);
    }
    ogem_eval_scratch_free(&ws);
    return out;
}

/* Point P/2 + j := -point j: mc's antithetic pairs. */
static void mirror_points(kernel_case *kc)
{
    for (int k = 0; k < kc->K; k++)
        for (long j = 0; j < kc->P / 2; j++) kc->pts[k * kc->P + kc->P / 2 + j] = -kc->pts[k * kc->P + j];
}

Test(cpu_kernel, blocks_give_each_initialization_its_own_bits)
{
    for (int mirrored = 0; mirrored <= 1; mirrored++) {
        kernel_case kc = make_case(11, 3, 7, mirrored ? 778 : 777, 1.0);   /* 389 pairs: a tail of 5 */
        if (mirrored) mirror_points(&kc);
        const size_t len = (size_t)kc.R * (kc.n + kc.n * kc.K + 1);
        double *alone = run_case(&kc, 1, 0, mirrored);
        for (int nb = 2; nb <= OGEM_EVAL_MAX_BLOCK; nb += 3) {
            double *blocked = run_case(&kc, nb, 0, mirrored);
            cr_expect(memcmp(alone, blocked, sizeof(double) * len) == 0, "blocks of %d differ from one at a time%s",
                      nb, mirrored ? " (mirrored)" : "");
            free(blocked);
        }
        free(alone);
        free_case(&kc);
    }
}

/* The mirrored plain path (scores a -/+ <c, p> from one product, slopes
 * summed over psi(p) - psi(-p)) against the plain kernel reading every
 * point of the same mirrored set: other roundings only, so the bounds and
 * the reasoning of the GEMM comparison below apply (|a| + |c||p| ~ 10 here). */
Test(cpu_kernel, mirrored_plain_path_matches_plain_kernel)
{
    kernel_case kc = make_case(9, 5, 10, 1234, 1.0);   /* 617 pairs: 4 pair chunks of 128, then 105 */
    mirror_points(&kc);
    const int R = kc.R, n = kc.n, K = kc.K;
    double *plain = run_case(&kc, 1, 0, 0), *mirr = run_case(&kc, 3, 0, 1), worst = 0.0;
    const size_t len = (size_t)R * (n + (size_t)n * K + 1);
    for (size_t q = 0; q < len; q++) {
        const double scale = q >= (size_t)R * n * (K + 1) ? fabs(plain[q]) : 1.0;   /* mean_lse: relative */
        worst = fmax(worst, fabs(mirr[q] - plain[q]) / scale);
    }
    cr_log_info("mirrored plain vs plain: %.3g", worst);
    cr_expect(worst <= 1e-12, "mirrored plain path differs by %g", worst);
    cr_expect(worst > 0.0, "the mirrored path was not taken (no difference at all)");
    free(plain); free(mirr);
    free_case(&kc);
}

/* The GEMM path sums the same products in another order: the scores differ
 * by a few ulps of their size (|a| + |c||p| ~ 1e2 here, so ~1e-13), which
 * moves each psi by as much relatively, and the sums of 2000 points by
 * ~sqrt(2000) ulps more. Relative 1e-12 on the masses and absolute 1e-12 on
 * the conditional means (which are O(1)) leave a margin of 1e3 over what is
 * observed (about 1e-15 on this machine), while an error in the fusion between the two
 * products (a wrong row, chunk or scale) is off by O(1). The mirrored path
 * (antithetic pairs: half the points in each product, psi(p) - psi(-p) in
 * the second) is held to the same bounds on a mirrored point set. */
static void check_gemm_against_plain(int mirrored)
{
    if (!ogem_blas_available()) cr_skip_test("built without BLAS (OGEM_BLAS=OFF or none found)");
    kernel_case kc = make_case(13, 6, 64, 2000, 0.3);   /* 1000 pairs: 7 pair chunks of 128, then 104 */
    const int R = kc.R, n = kc.n, K = kc.K;
    if (mirrored) mirror_points(&kc);
    double *plain = run_case(&kc, 1, 0, 0), *gemm = run_case(&kc, 4, 1, mirrored), worst_m = 0.0, worst_c = 0.0;
    for (int i = 0; i < R * n; i++) worst_m = fmax(worst_m, fabs(gemm[i] - plain[i]));
    for (size_t q = 0; q < (size_t)R * n * K; q++) worst_c = fmax(worst_c, fabs(gemm[R * n + q] - plain[R * n + q]));
    for (int r = 0; r < R; r++) {
        const size_t q = (size_t)R * n * (K + 1) + r;
        cr_expect(fabs(gemm[q] - plain[q]) <= 1e-12 * fabs(plain[q]), "mean_lse of %d: %.17g vs %.17g", r, gemm[q],
                  plain[q]);
    }
    cr_log_info("GEMM%s vs plain: log masses %.3g, conditional means %.3g", mirrored ? " (mirrored)" : "", worst_m,
                worst_c);
    cr_expect(worst_m <= 1e-12, "log masses differ by %g", worst_m);
    cr_expect(worst_c <= 1e-12, "conditional means differ by %g", worst_c);
    cr_expect(worst_c > 0.0 || worst_m > 0.0, "the GEMM path was not taken (no difference at all)");
    free(plain); free(gemm);
    free_case(&kc);
}

Test(cpu_kernel, gemm_path_matches_plain_kernel) { check_gemm_against_plain(0); }

Test(cpu_kernel, mirrored_gemm_path_matches_plain_kernel) { check_gemm_against_plain(1); }
