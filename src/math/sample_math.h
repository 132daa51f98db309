/*
 * sample_math.h - per-point arithmetic shared by the CPU reference and the CUDA
 * kernels. Everything here is an OGEM_HD function (math/hd.h), compiled both as
 * C11 and as CUDA device code, so the two backends cannot drift apart. The
 * sums over points are merged with math/log_sum.h.
 *
 * Notation. Work in coordinates relative to the truth mean: z = x - mu*,
 * m_i = mu_i - mu*. The responsibilities are a softmax of the affine scores
 *     s_i(z) = log pi_i + <z, m_i> - |m_i|^2 / 2                      (1)
 * (the score of the issue minus the i-independent term -|z|^2/2 - const), and
 *     KL(truth || model) = -E[ lse_i s_i(z) ].                           (2)
 * A "line set" generalises (1): s_i(p) = a_i + <c_i, p> for points p in R^K;
 * with a subspace basis Q the points are p = Q^T z and c_i = Q^T (m_i - m_1).
 */
#ifndef OGEM_SAMPLE_MATH_H
#define OGEM_SAMPLE_MATH_H

#include <math.h>
#include <stdint.h>

#include "math/hd.h"

/* log(sum_i exp(s_i)) without overflow or underflow; s must hold n >= 1 values. */
OGEM_HD double ogem_lse(const double *s, int n)
{
    double mx = s[0];
    for (int i = 1; i < n; i++) mx = s[i] > mx ? s[i] : mx;
    double acc = 0.0;
    for (int i = 0; i < n; i++) acc += exp(s[i] - mx);
    return mx + log(acc);
}

/* a * b + c with one rounding where the target fuses it in hardware (CUDA
 * devices; hosts compiled with FMA, e.g. -march=native or x86-64-v3), else
 * with two: fma() in software is slow, so a generic build keeps the plain
 * multiply and add. Either way the choice is fixed per binary. */
#if defined(__CUDA_ARCH__) || defined(__FMA__)
#define OGEM_MADD(a, b, c) fma(a, b, c)
#else
#define OGEM_MADD(a, b, c) ((a) * (b) + (c))
#endif

/* exp(x) for x <= 0, branch-free so that compilers vectorise it: Cody-Waite
 * reduction x = j ln2 + r, |r| <= ln2/2 (ln2hi has 21 trailing zero bits, so
 * j ln2hi and x - j ln2hi are exact for |j| <= 1022); a degree-12 polynomial
 * in Horner form, 1 + r + r^2 q(r) with q a Chebyshev fit of
 * (e^r - 1 - r) / r^2 (relative truncation error < 4e-19, one degree less
 * than Taylor needs); and 2^j built in the exponent bits: the low bits of
 * t = x log2e + 1.5 * 2^52 hold j, so no double-to-integer conversion is
 * needed (AVX2 has none for vectors of doubles). Within 1.15 ulp of exp
 * (tests/test_kernel_math.c). Results below exp(-708) (the normal range) are
 * flushed to 0 and exp(-inf) = 0; NaN propagates. Used by the CPU
 * reference's hot loop. */
OGEM_HD double ogem_exp_nonpos(double x)
{
    const double log2e = 1.4426950408889634074, ln2hi = 6.93147180369123816490e-01,
                 ln2lo = 1.90821492927058770002e-10, shifter = 6755399441055744.0; /* 1.5 * 2^52 */
    const double xc = x < -708.0 ? -708.0 : x;
    const double t = OGEM_MADD(xc, log2e, shifter);
    const double j = t - shifter;                        /* round to nearest integer */
    const double r = OGEM_MADD(j, -ln2lo, OGEM_MADD(j, -ln2hi, xc));
    double p = 2.0914679376583935e-09;
    p = OGEM_MADD(p, r, 2.5105206373957011e-08);
    p = OGEM_MADD(p, r, 2.7557273661348637e-07);
    p = OGEM_MADD(p, r, 2.7557255425746435e-06);
    p = OGEM_MADD(p, r, 2.4801587325533363e-05);
    p = OGEM_MADD(p, r, 1.9841269874800493e-04);
    p = OGEM_MADD(p, r, 1.3888888888883752e-03);
    p = OGEM_MADD(p, r, 8.3333333333261411e-03);
    p = OGEM_MADD(p, r, 4.1666666666666671e-02);
    p = OGEM_MADD(p, r, 1.6666666666666671e-01);
    p = OGEM_MADD(p, r, 0.5);
    p = OGEM_MADD(p, r, 1.0);
    p = OGEM_MADD(p, r, 1.0);
    union { double d; uint64_t i; } u, s;
    u.d = t;                                             /* bits: those of 1.5 * 2^52, plus j */
    /* 2^j, j in [-1022, 0], or +0 to flush x < -708. The flush masks bits
     * rather than choosing between results: GCC would move the arithmetic
     * into the branch that uses it, and then not vectorise it without the
     * masks of AVX-512. A NaN x made p NaN already. */
    s.i = ((u.i + 1023) << 52) & (x < -708.0 ? 0 : ~(uint64_t)0);
    return p * s.d;
}

/* log(x) for finite x >= 1 (the sums of exponentials it is used on lie in
 * [1, n]), branch-free so that it vectorises: x = 2^e f with f in
 * [sqrt(1/2), sqrt(2)), then log f = 2 atanh(s), s = (f - 1) / (f + 1),
 * |s| <= 0.1716, by its odd series to s^25 (truncation < 1e-19): within 3 ulp
 * (tests/test_kernel_math.c; the relative error of a log near 0). e and f
 * are made in the integer bits (e as the double 2^52 + e, minus 2^52), for
 * the same reasons as the flush of ogem_exp_nonpos and its 2^j. */
OGEM_HD double ogem_log_ge1(double x)
{
    const uint64_t sqrt2 = 0x6A09E667F3BCDull;              /* the fraction bits of sqrt(2) */
    union { double d; uint64_t i; } u, eb;
    u.d = x;
    const uint64_t frac = u.i & 0x000FFFFFFFFFFFFFull, big = frac > sqrt2;
    eb.i = ((u.i >> 52) + big) | 0x4330000000000000ull;   /* 2^52 + biased e (x > 0) */
    u.i = frac | (0x3FF0000000000000ull - (big << 52));     /* f in [1, sqrt 2] or (sqrt 1/2, 1) */
    const double f = u.d, ed = eb.d - (4503599627370496.0 + 1023.0);
    const double s = (f - 1.0) / (f + 1.0), s2 = s * s;
    double p = 1.0 / 25;
    p = OGEM_MADD(p, s2, 1.0 / 23); p = OGEM_MADD(p, s2, 1.0 / 21); p = OGEM_MADD(p, s2, 1.0 / 19);
    p = OGEM_MADD(p, s2, 1.0 / 17); p = OGEM_MADD(p, s2, 1.0 / 15); p = OGEM_MADD(p, s2, 1.0 / 13);
    p = OGEM_MADD(p, s2, 1.0 / 11); p = OGEM_MADD(p, s2, 1.0 / 9);  p = OGEM_MADD(p, s2, 1.0 / 7);
    p = OGEM_MADD(p, s2, 1.0 / 5);  p = OGEM_MADD(p, s2, 1.0 / 3);  p = OGEM_MADD(p, s2, 1.0);
    return OGEM_MADD(ed, 6.93147180559945309417e-01, 2.0 * s * p);
}

/* Chunks whose largest log-responsibility for a component is at least this use
 * plain psi = exp(s - max) / sum; below it the chunk is rescaled by its own
 * maximum. The margin to the flush point of ogem_exp_nonpos (-708) means the
 * values flushed in a plain chunk are below exp(-48) of its largest one: less
 * than 1e-18 relative even for a full chunk. */
#define OGEM_RESCALE_BELOW (-660.0)
/* A psi at least this large (2^-950 = e^-658.5) has its log surely above
 * OGEM_RESCALE_BELOW: psi and its log, each computed in doubles, agree far
 * closer than the margin of e^1.5 (tests/test_kernel_math.c). The CPU kernel
 * tests psi against it and falls back to the logs only below it. */
#define OGEM_PLAIN_PSI_MIN 0x1p-950

/* ---- random numbers ------------------------------------------------------ */

/* SplitMix64 finaliser: derives independent 64-bit seeds from (seed, stream). */
OGEM_HD uint64_t ogem_mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

OGEM_HD uint64_t ogem_derive_seed(uint64_t seed, uint64_t stream)
{
    return ogem_mix64(ogem_mix64(seed) ^ ogem_mix64(stream + 0x5851F42D4C957F2Dull));
}

/* Philox4x32-10 (Salmon et al., SC'11): a counter-based generator, so the
 * draw for (key, counter) needs no state and no sequence position. */
OGEM_HD void ogem_philox4x32_10(const uint32_t ctr_in[4], const uint32_t key_in[2], uint32_t out[4])
{
    uint32_t c0 = ctr_in[0], c1 = ctr_in[1], c2 = ctr_in[2], c3 = ctr_in[3];
    uint32_t k0 = key_in[0], k1 = key_in[1];
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c0;
        uint64_t p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        uint32_t n1 = (uint32_t)p1;
        uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        uint32_t n3 = (uint32_t)p0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* A double in (0, 1) from 64 random bits: 53 bits, offset by half an ulp so
 * neither 0 nor 1 can occur (both would give infinite normals). */
OGEM_HD double ogem_u64_to_open01(uint64_t u)
{
    return ((double)(u >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Inverse of the standard normal CDF, Wichura's AS241 (PPND16): relative
 * accuracy about 1e-16 over (0, 1). Used for quasi-random points on both
 * backends so that they map uniforms to normals identically. */
OGEM_HD double ogem_norm_quantile(double p)
{
    double q = p - 0.5, r, x;
    if (fabs(q) <= 0.425) {
        r = 0.180625 - q * q;
        return q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r
                     + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r
                     + 133.14166789178437745) * r + 3.387132872796366608)
               / (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r
                     + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r
                     + 42.313330701600911252) * r + 1.0);
    }
    r = q < 0 ? p : 1.0 - p;
    r = sqrt(-log(r));
    if (r <= 5.0) {
        r -= 1.6;
        x = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
                + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734)
            / (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
                + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r
                + 2.05319162663775882187) * r + 1.0);
    } else {
        r -= 5.0;
        x = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
                + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772)
            / (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
                + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
                + 0.59983220655588793769) * r + 1.0);
    }
    return q < 0 ? -x : x;
}

#endif /* OGEM_SAMPLE_MATH_H */
