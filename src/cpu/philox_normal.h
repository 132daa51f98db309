/* philox_normal.h - any window of the normal doubles that cuRAND's host
 * Philox4_32_10 generator returns, computed directly (philox_normal.c). */
#ifndef OGEM_PHILOX_NORMAL_H
#define OGEM_PHILOX_NORMAL_H

#include <stddef.h>
#include <stdint.h>

/* out[0..count) = values [start, start + count) of what
 * curandGenerateNormalDouble(g, out, n, 0.0, 1.0) writes for a generator made
 * by curandCreateGeneratorHost(&g, CURAND_RNG_PSEUDO_PHILOX4_32_10) with
 * ordering CURAND_ORDERING_PSEUDO_LEGACY, seed `seed` and offset 0, for any
 * n >= start + count (cuRAND asks n to be even; its values do not depend on
 * n). Bit for bit (tests/test_philox_normal.c). Any start, odd ones too; only
 * the values asked for are computed. */
void ogem_philox_normal(uint64_t seed, uint64_t start, size_t count, double *out);

#endif
