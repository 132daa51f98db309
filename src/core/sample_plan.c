/* sample_plan.c - seeds, counts and offsets of the draws; see backend.h. One
 * place, so the CPU and GPU backends consume the same random numbers. */
#include "core/backend.h"
#include "math/checked.h"
#include "math/sample_math.h"

uint64_t ogem_stream_seed(uint64_t seed, int stream) { return ogem_derive_seed(seed, (uint64_t)stream); }

/* cuRAND's normal generators produce pairs (Box-Muller), so counts are even.
 * The products saturate (checked.h) instead of overflowing: a saturated count
 * only arises for requests ogem_solver_create refuses before any point is
 * drawn, and then must merely not be undefined behaviour. */
static long round_even(long x) { return x < LONG_MAX ? x + (x & 1) : x; }

long ogem_mc_draw_count(long N, int K) { return round_even(ogem_long_mul(N / 2, K)); }
long ogem_fixed_draw_count(long N, int K) { return round_even(ogem_long_mul(N, K)); }

long ogem_mc_group_steps(long N, int K)
{
    long count = ogem_mc_draw_count(N, K), block = 1L << 18;
    return count >= block ? 1 : block / count;
}

uint64_t ogem_mc_group_seed(uint64_t seed, long group)
{
    return ogem_derive_seed(ogem_stream_seed(seed, OGEM_STREAM_MC), (uint64_t)group);
}

uint64_t ogem_qmc_shift(uint64_t seed, long step, int dim)
{
    return ogem_mix64(ogem_derive_seed(seed, OGEM_STREAM_QMC) ^ ogem_mix64(((uint64_t)step << 20) ^ (uint64_t)dim));
}
