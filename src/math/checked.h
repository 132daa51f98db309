/*
 * checked.h - overflow-checked size arithmetic, the one place where products
 * and sums of counts (samples x dimension, inits x components x dimension,
 * rows x columns) are formed before they become allocation sizes or loop
 * bounds. Header-only: static inline C11, usable from the library, the file
 * helpers and host code compiled by nvcc.
 *
 * Sizes are bounded by OGEM_SIZE_MAX = PTRDIFF_MAX, the largest size an object
 * can have in C (pointer differences must be representable; GCC and glibc
 * refuse larger allocations). Two flavours:
 *   ogem_mul_ok / ogem_add_ok     return 1 and store the exact result, or
 *                                 return 0 (result untouched) when it exceeds
 *                                 OGEM_SIZE_MAX;
 *   ogem_size_mul / _mul3 / _add  saturate at OGEM_SIZE_MAX. A chain of them
 *                                 is OGEM_SIZE_MAX exactly when some step
 *                                 overflowed (or the true value is that), so
 *                                 one comparison at the end of a size formula
 *                                 checks the whole formula, and a saturated
 *                                 size passed to malloc fails cleanly instead
 *                                 of wrapping around to a small buffer.
 * ogem_count turns a signed count into a size, negatives saturating, so they
 * cannot sneak through either.
 */
#ifndef OGEM_CHECKED_H
#define OGEM_CHECKED_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define OGEM_SIZE_MAX ((size_t)PTRDIFF_MAX)

static inline int ogem_mul_ok(size_t a, size_t b, size_t *out)
{
    if (b != 0 && a > OGEM_SIZE_MAX / b) return 0;
    *out = a * b;
    return 1;
}

static inline int ogem_add_ok(size_t a, size_t b, size_t *out)
{
    if (a > OGEM_SIZE_MAX || b > OGEM_SIZE_MAX - a) return 0;
    *out = a + b;
    return 1;
}

static inline size_t ogem_size_mul(size_t a, size_t b)
{
    size_t r;
    return ogem_mul_ok(a, b, &r) ? r : OGEM_SIZE_MAX;
}

static inline size_t ogem_size_mul3(size_t a, size_t b, size_t c) { return ogem_size_mul(ogem_size_mul(a, b), c); }

static inline size_t ogem_size_add(size_t a, size_t b)
{
    size_t r;
    return ogem_add_ok(a, b, &r) ? r : OGEM_SIZE_MAX;
}

/* A signed count (long, int) as a size; negative counts saturate. */
static inline size_t ogem_count(long long v)
{
    return v < 0 || (unsigned long long)v > OGEM_SIZE_MAX ? OGEM_SIZE_MAX : (size_t)v;
}

/* A saturating product of two signed counts as a long: LONG_MAX when the true
 * product does not fit (the sampling plan's counts, which the solver has
 * already bounded by its memory budget, so this never triggers in a run). */
static inline long ogem_long_mul(long a, long b)
{
    size_t r = ogem_size_mul(ogem_count(a), ogem_count(b));
    return r > (size_t)LONG_MAX ? LONG_MAX : (long)r;
}

#endif /* OGEM_CHECKED_H */
