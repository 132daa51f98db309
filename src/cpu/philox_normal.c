/* philox_normal.c - the normal doubles of cuRAND's host Philox4_32_10
 * generator (ordering PSEUDO_LEGACY, offset 0), computed from their index.
 *
 * Why it exists: the sampling plan (core/backend.h) is defined by cuRAND, and
 * the GPU backend draws with it on the device. On the host, cuRAND's
 * generator runs on one thread, at about 28 ns a value, and every reseed
 * costs a block of 2^18 values whatever is asked for. Philox is counter-based,
 * so any value can be computed from its index alone: this file computes the
 * values a step needs, and only those, on all the backend's threads.
 *
 * It must match cuRAND bit for bit, or the CPU and GPU backends (and older
 * outputs) would see different samples: tests/test_philox_normal.c compares it
 * with curandGenerateNormalDouble over several seeds, counts crossing cuRAND's
 * blocks and arbitrary windows. The layout it reproduces: value i is element
 * i % 2 of the Box-Muller pair of the 4 x 32 bits
 *     Philox4x32-10(counter = {pass lo, pass hi, t, 0}, key = {seed lo, seed hi}),
 * quad = i / 4, t = quad % 65536, pass = 2 (quad / 65536) + (i % 4) / 2:
 * cuRAND's host generator fills each block of 2^18 values as 65536 "threads"
 * t of 4 values, two counters (one per pair) per thread and block. The Box-Muller is the
 * host branch of curand_normal.h's _curand_box_muller_double, with log, sqrt,
 * sin and cos of the C library, which cuRAND's host library calls too: the
 * bits match where both use the same libm.
 *
 * Compiled with -ffp-contract=off (CMakeLists.txt), whatever flags the rest
 * of the library gets: the arithmetic the test checked against cuRAND is the
 * unfused one. (Today a fused u or v would round the same, the products being
 * exact; a change to this file must not have to rely on that.) */
#include <math.h>
#include "cpu/philox_normal.h"
#include "math/sample_math.h"

/* cuRAND's host generator runs this many "threads" per pass. */
#define THREADS_PER_PASS 65536u
/* Pairs computed together: Philox's integer rounds and the conversions to
 * double vectorise over a batch (measured: the whole 1.4x as fast as one pair
 * at a time, AVX-512, one thread); the C library's log and sin/cos stay one
 * call each, and take most of the time. */
enum { BATCH = 64 };

/* out[0 .. 2 n) = pairs j0 .. j0 + n - 1 of the sequence, n <= BATCH; pair j
 * is values 2 j and 2 j + 1. */
static void normal_pairs(const uint32_t key[2], uint64_t j0, int n, double *out)
{
    uint32_t x0[BATCH], x1[BATCH], x2[BATCH], x3[BATCH];
    for (int l = 0; l < n; l++) {
        const uint64_t j = j0 + (uint64_t)l, quad = j / 2, pass = 2 * (quad / THREADS_PER_PASS) + j % 2;
        const uint32_t ctr[4] = {(uint32_t)pass, (uint32_t)(pass >> 32), (uint32_t)(quad % THREADS_PER_PASS), 0};
        uint32_t x[4];
        ogem_philox4x32_10(ctr, key, x);
        x0[l] = x[0]; x1[l] = x[1]; x2[l] = x[2]; x3[l] = x[3];
    }
    /* curand_normal.h, _curand_box_muller_double: 53 bits each for u in
     * (0, 1) and v in (0, 2); both products are exact (an integer below 2^53
     * times a power of two), and so is the conversion. */
    double u[BATCH], a[BATCH];
    for (int l = 0; l < n; l++) {
        const uint64_t zx = (uint64_t)x0[l] ^ ((uint64_t)x1[l] << 21);
        const uint64_t zy = (uint64_t)x2[l] ^ ((uint64_t)x3[l] << 21);
        u[l] = (double)zx * 0x1p-53 + 0x1p-54;
        a[l] = ((double)zy * 0x1p-52 + 0x1p-53) * 3.1415926535897932;   /* v pi */
    }
    for (int l = 0; l < n; l++) {
        const double s = sqrt(-2.0 * log(u[l]));
        out[2 * l] = sin(a[l]) * s;
        out[2 * l + 1] = cos(a[l]) * s;
    }
}

void ogem_philox_normal(uint64_t seed, uint64_t start, size_t count, double *out)
{
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    const uint64_t end = start + count;
    double edge[2];
    uint64_t i = start;
    if (count > 0 && i % 2) {                /* odd start: the second of a pair */
        normal_pairs(key, i / 2, 1, edge);
        *out++ = edge[1];
        i++;
    }
    while (end - i >= 2) {                   /* whole pairs, straight into out */
        const uint64_t pairs = (end - i) / 2;
        const int n = pairs < BATCH ? (int)pairs : BATCH;
        normal_pairs(key, i / 2, n, out);
        out += 2 * n;
        i += 2 * (uint64_t)n;
    }
    if (i < end) {                           /* odd end: the first of a pair */
        normal_pairs(key, i / 2, 1, edge);
        *out = edge[0];
    }
}
