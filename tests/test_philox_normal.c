/* test_philox_normal.c - src/cpu/philox_normal.c against cuRAND itself: its
 * values are those of curandGenerateNormalDouble on a host Philox4_32_10
 * generator (ordering LEGACY, offset 0) bit for bit, for several seeds, counts
 * across cuRAND's blocks of 2^18 values and any window; and the CPU backend's
 * mc and fixed points, which it computes, are cuRAND's numbers laid out as
 * backend.h says, the same on one thread and on two. */
#include <criterion/criterion.h>
#include <curand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/backend.h"
#include "cpu/host_points.h"
#include "cpu/philox_normal.h"

#define BLOCK (1L << 18)   /* cuRAND's host block, in values */

/* out[0 .. n) from cuRAND's host generator, n even. */
static void curand_normals(uint64_t seed, size_t n, double *out)
{
    curandGenerator_t g;
    cr_assert_eq(curandCreateGeneratorHost(&g, CURAND_RNG_PSEUDO_PHILOX4_32_10), CURAND_STATUS_SUCCESS);
    cr_assert_eq(curandSetGeneratorOrdering(g, OGEM_CURAND_ORDERING), CURAND_STATUS_SUCCESS);
    cr_assert_eq(curandSetPseudoRandomGeneratorSeed(g, seed), CURAND_STATUS_SUCCESS);
    cr_assert_eq(curandSetGeneratorOffset(g, 0), CURAND_STATUS_SUCCESS);
    cr_assert_eq(curandGenerateNormalDouble(g, out, n, 0.0, 1.0), CURAND_STATUS_SUCCESS);
    curandDestroyGenerator(g);
}

/* Index of the first value where a and b differ in any bit, or -1. */
static long first_difference(const double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(a + i, b + i, sizeof(double))) return (long)i;
    return -1;
}

/* The whole sequence from 0: counts inside one block, exactly one, and
 * several with tails (cuRAND's passes start again every 2^18 values). */
Test(philox, equals_curand_from_zero)
{
    const uint64_t seeds[] = {0, 1, 0xFFFFFFFFFFFFFFFFull, 0x0123456789ABCDEFull, ogem_mc_group_seed(4, 0),
                              ogem_mc_group_seed(4, 7), ogem_stream_seed(9, OGEM_STREAM_FIXED)};
    const size_t counts[] = {2, 6, 10240, BLOCK, BLOCK + 2, 3 * BLOCK + 1000, 5 * BLOCK + 6};
    const int nseeds = sizeof seeds / sizeof *seeds, ncounts = sizeof counts / sizeof *counts;
    double *ref = malloc(sizeof(double) * counts[ncounts - 1]), *ours = malloc(sizeof(double) * counts[ncounts - 1]);
    for (int s = 0; s < nseeds; s++)
        for (int c = 0; c < ncounts; c++) {
            if (counts[c] > 2 * BLOCK && s % 3) continue;   /* the long draws for three of the seeds */
            curand_normals(seeds[s], counts[c], ref);
            ogem_philox_normal(seeds[s], 0, counts[c], ours);
            long at = first_difference(ref, ours, counts[c]);
            cr_assert_eq(at, -1, "seed %d, %zu values: value %ld is %.17g, cuRAND's %.17g", s, counts[c], at,
                         ours[at < 0 ? 0 : at], ref[at < 0 ? 0 : at]);
        }
    free(ref);
    free(ours);
}

/* Any window [start, start + count): odd starts and ends, windows inside a
 * pair, across cuRAND's threads (4 values each) and across its blocks. */
Test(philox, windows_equal_curand_slices)
{
    const uint64_t seed = ogem_mc_group_seed(11, 3);
    const size_t n = 3 * BLOCK + 10;
    const struct { size_t start, count; } w[] = {
        {0, 1}, {1, 1}, {1, 2}, {2, 2}, {3, 5}, {5, 0}, {7, 4096}, {65535 * 4 + 1, 9},
        {BLOCK - 1, 3}, {BLOCK - 3, 7}, {BLOCK + 1, BLOCK}, {12345, 54321}, {2 * BLOCK - 5, BLOCK + 14}, {0, n}};
    double *ref = malloc(sizeof(double) * n), *ours = malloc(sizeof(double) * (n + 1));
    curand_normals(seed, n, ref);
    for (size_t q = 0; q < sizeof w / sizeof *w; q++) {
        ours[w[q].count] = 42.0;   /* a guard: nothing written past count */
        ogem_philox_normal(seed, w[q].start, w[q].count, ours);
        long at = first_difference(ref + w[q].start, ours, w[q].count);
        cr_assert_eq(at, -1, "window [%zu, +%zu): value %ld differs from cuRAND's", w[q].start, w[q].count, at);
        cr_assert_eq(ours[w[q].count], 42.0, "window [%zu, +%zu) wrote past its end", w[q].start, w[q].count);
    }
    /* The comparison can tell: the window one value on is not cuRAND's. */
    ogem_philox_normal(seed, 1, 4096, ours);
    cr_assert_neq(first_difference(ref, ours, 4096), -1);
    free(ref);
    free(ours);
}

/* p and pt of a point set as backend.h lays out cuRAND's draw ref: rows
 * [0, N/2) (all N for fixed) the draw's values, row N/2 + j = -row j for mc,
 * pt the transpose. */
static void assert_layout(const ogem_host_points *hp, const double *ref, int mirror, const char *what)
{
    const long N = hp->N, rows = mirror ? N / 2 : N;
    const int K = hp->K;
    for (long j = 0; j < N; j++)
        for (int k = 0; k < K; k++) {
            const size_t at = (size_t)j * K + k;
            const double want = j < rows ? ref[at] : -ref[at - (size_t)rows * K];
            cr_assert(!memcmp(&hp->p[at], &want, sizeof want), "%s: p[%ld][%d] = %.17g, cuRAND's %.17g", what, j, k,
                      hp->p[at], want);
            cr_assert(!memcmp(&hp->pt[(size_t)k * N + j], &want, sizeof want), "%s: pt[%d][%ld] differs", what, k, j);
        }
}

/* The mc points of steps around a group boundary, on one thread and on two,
 * against cuRAND's draw for the step's group, sliced as backend.h says. Sizes:
 * 4098 values a step (63 steps a group; odd steps start mid-counter, 2 values
 * into a Philox counter's 4), an odd (N/2) K = 2565 (the count rounds up to
 * 2566: each step leaves out the second value of its last pair), and a step
 * of exactly 2^18 values (one step a group, a seed each). */
static void mc_matches_curand(long N, int K)
{
    const uint64_t seed = 21;
    const long count = ogem_mc_draw_count(N, K), G = ogem_mc_group_steps(N, K);
    const long steps[] = {0, 1, G - 1, G, G + 1, 3 * G + 2};
    double *group = malloc(sizeof(double) * (size_t)(count * G));
    ogem_host_points hp[2];
    char msg[256];
    for (int t = 0; t < 2; t++) {
        ogem_point_spec spec = {.kind = OGEM_EST_MC, .N = N, .K = K, .seed = seed, .threads = t + 1};
        cr_assert_eq(ogem_host_points_init(&hp[t], &spec, msg, sizeof msg), OGEM_OK, "%s", msg);
        cr_assert_eq(hp[t].threads, t + 1);
    }
    for (size_t s = 0; s < sizeof steps / sizeof *steps; s++) {
        curand_normals(ogem_mc_group_seed(seed, steps[s] / G), (size_t)(count * G), group);
        for (int t = 0; t < 2; t++) {
            cr_assert_eq(ogem_host_points_prepare(&hp[t], steps[s], msg, sizeof msg), OGEM_OK, "%s", msg);
            char what[64];
            snprintf(what, sizeof what, "N=%ld K=%d step %ld, %d thread(s)", N, K, steps[s], t + 1);
            assert_layout(&hp[t], group + (size_t)(steps[s] % G) * count, 1, what);
        }
    }
    for (int t = 0; t < 2; t++) ogem_host_points_free(&hp[t]);
    free(group);
}

Test(philox, mc_points_equal_curand_on_one_and_two_threads) { mc_matches_curand(2732, 3); }
Test(philox, mc_points_odd_half_equal_curand) { mc_matches_curand(1026, 5); }
Test(philox, mc_points_whole_block_equal_curand) { mc_matches_curand(1L << 13, 64); }

Test(philox, fixed_points_equal_curand_on_one_and_two_threads)
{
    const long N = 3001;
    const int K = 7;
    const long count = ogem_fixed_draw_count(N, K);
    double *ref = malloc(sizeof(double) * (size_t)count);
    curand_normals(ogem_stream_seed(5, OGEM_STREAM_FIXED), (size_t)count, ref);
    for (int t = 1; t <= 2; t++) {
        ogem_point_spec spec = {.kind = OGEM_EST_FIXED, .N = N, .K = K, .seed = 5, .threads = t};
        ogem_host_points hp;
        char msg[256];
        cr_assert_eq(ogem_host_points_init(&hp, &spec, msg, sizeof msg), OGEM_OK, "%s", msg);
        assert_layout(&hp, ref, 0, t == 1 ? "fixed, 1 thread" : "fixed, 2 threads");
        ogem_host_points_free(&hp);
    }
    free(ref);
}
