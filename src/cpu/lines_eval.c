/* lines_eval.c - the CPU reference kernel (double precision throughout).
 *
 * For a chunk of points it computes the scores component-major, so the inner
 * loops run over contiguous points and vectorise; then per point the
 * log-sum-exp, and per component the sums of psi and psi * p. Each component
 * accumulates in the log-scaled form of sample_math.h: a chunk whose largest
 * log-responsibility is above OGEM_RESCALE_BELOW adds plain psi (the common
 * case: one exp per score), a chunk below it is rescaled by its own maximum so
 * that responsibilities of 1e-300, or 1e-3000, still count. Chunks are merged
 * with math/log_sum.h, the merge the GPU kernels use too.
 *
 * The reductions carry `omp simd reduction` so the compiler may split them into
 * vector lanes (without it, strict IEEE order forces one scalar add per point).
 * The split is fixed at compile time, so results stay bitwise reproducible. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cpu/lines_eval.h"
#include "math/checked.h"
#include "math/log_sum.h"
#include "math/sample_math.h"

/* Scratch layout, in doubles (C = OGEM_CHUNK):
 * S[n*C] scores, then log psi; E[n*C] exp, then psi;
 * MX, SUM, L, W, LW[C]; m[n]; acc[n*(K+1)]; t[K+1]. acc and t are log-scaled
 * sums (log_sum.h) of component i: slots k < K hold sum psi * p_k, slot K
 * holds sum psi. */
int ogem_eval_scratch_init(ogem_eval_scratch *ws, int n, int K)
{
    const size_t C = OGEM_CHUNK, nn = ogem_count(n), k1 = ogem_size_add(ogem_count(K), 1);
    size_t len = ogem_size_add(ogem_size_mul3(2, nn, C), 5 * C);
    len = ogem_size_add(len, ogem_size_add(ogem_size_add(nn, ogem_size_mul(nn, k1)), k1));
    ws->n = n;
    ws->K = K;
    ws->buf = malloc(ogem_size_mul(len, sizeof(double)));
    return ws->buf ? 0 : -1;
}

void ogem_eval_scratch_free(ogem_eval_scratch *ws)
{
    free(ws->buf);
    ws->buf = NULL;
}

void ogem_eval_lines(int n, int K, const double *a, const double *c,
                     const double *pts, long ldp, long P, const double *logw, ogem_eval_scratch *ws,
                     double *log_mass, double *cond_mean, double *mean_lse)
{
    const long C = OGEM_CHUNK;
    double *S = ws->buf, *E = S + n * C;
    double *MX = E + n * C, *SUM = MX + C, *L = SUM + C, *W = L + C, *LW = W + C;
    double *m = LW + C, *acc = m + n, *t = acc + (size_t)n * (K + 1);
    double lse_acc = 0.0, wsum = 0.0;

    for (int i = 0; i < n; i++) m[i] = OGEM_LOG_ZERO;
    memset(acc, 0, sizeof(double) * (size_t)n * (K + 1));

    for (long base = 0; base < P; base += C) {
        const long cnt = P - base < C ? P - base : C;
        const double *PT = pts + base;           /* dimension k of point j: PT[k * ldp + j] */

        for (long j = 0; j < cnt; j++) {
            LW[j] = logw ? logw[base + j] : 0.0;
            W[j] = logw ? exp(LW[j]) : 1.0;
            wsum += W[j];
        }

        /* scores */
        for (int i = 0; i < n; i++) {
            double *Si = S + i * C;
            const double *ci = c + (size_t)i * K;
            for (long j = 0; j < cnt; j++) Si[j] = a[i];
            int k = 0;
            for (; k + 4 <= K; k += 4) {          /* four dimensions per pass over Si */
                const double c0 = ci[k], c1 = ci[k + 1], c2 = ci[k + 2], c3 = ci[k + 3];
                const double *p0 = PT + k * ldp, *p1 = p0 + ldp, *p2 = p1 + ldp, *p3 = p2 + ldp;
                for (long j = 0; j < cnt; j++) Si[j] += c0 * p0[j] + c1 * p1[j] + c2 * p2[j] + c3 * p3[j];
            }
            for (; k < K; k++) {
                const double cik = ci[k], *pk = PT + k * ldp;
                for (long j = 0; j < cnt; j++) Si[j] += cik * pk[j];
            }
        }
        /* log-sum-exp per point */
        for (long j = 0; j < cnt; j++) { MX[j] = S[j]; SUM[j] = 0.0; }
        for (int i = 1; i < n; i++)
            for (long j = 0; j < cnt; j++) MX[j] = S[i * C + j] > MX[j] ? S[i * C + j] : MX[j];
        for (int i = 0; i < n; i++)
            for (long j = 0; j < cnt; j++) {
                E[i * C + j] = ogem_exp_nonpos(S[i * C + j] - MX[j]);
                SUM[j] += E[i * C + j];
            }
        for (long j = 0; j < cnt; j++) {
            L[j] = MX[j] + ogem_log_ge1(SUM[j]);   /* SUM >= 1: the max term is 1 */
            SUM[j] = W[j] / SUM[j];               /* now the factor turning E into w * psi */
        }
        double lse_chunk = 0.0;
#pragma omp simd reduction(+ : lse_chunk)
        for (long j = 0; j < cnt; j++) lse_chunk += W[j] * L[j];
        lse_acc += lse_chunk;
        /* per component sums */
        for (int i = 0; i < n; i++) {
            double *Si = S + i * C, *Ei = E + i * C, cmax = OGEM_LOG_ZERO;
#pragma omp simd reduction(max : cmax)
            for (long j = 0; j < cnt; j++) {
                Si[j] = Si[j] - L[j] + LW[j];     /* log(w psi) */
                cmax = Si[j] > cmax ? Si[j] : cmax;
            }
            double scale;
            if (cmax >= OGEM_RESCALE_BELOW) {
                for (long j = 0; j < cnt; j++) Ei[j] *= SUM[j];
                scale = 0.0;
            } else if (!ogem_lsum_empty(cmax)) {
                for (long j = 0; j < cnt; j++) Ei[j] = ogem_exp_nonpos(Si[j] - cmax);
                scale = cmax;
            } else {
                continue;                         /* no mass in this chunk */
            }
            double t0 = 0.0;
#pragma omp simd reduction(+ : t0)
            for (long j = 0; j < cnt; j++) t0 += Ei[j];
            int k = 0;
            for (; k + 4 <= K; k += 4) {          /* four dimensions per pass over Ei */
                const double *p0 = PT + k * ldp, *p1 = p0 + ldp, *p2 = p1 + ldp, *p3 = p2 + ldp;
                double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
#pragma omp simd reduction(+ : a0, a1, a2, a3)
                for (long j = 0; j < cnt; j++) {
                    a0 += Ei[j] * p0[j];
                    a1 += Ei[j] * p1[j];
                    a2 += Ei[j] * p2[j];
                    a3 += Ei[j] * p3[j];
                }
                t[k] = a0; t[k + 1] = a1; t[k + 2] = a2; t[k + 3] = a3;
            }
            for (; k < K; k++) {
                const double *pk = PT + k * ldp;
                double sum = 0.0;
#pragma omp simd reduction(+ : sum)
                for (long j = 0; j < cnt; j++) sum += Ei[j] * pk[j];
                t[k] = sum;
            }
            t[K] = t0;
            m[i] = ogem_lsum_merge(m[i], acc + (size_t)i * (K + 1), 1, scale, t, 1, K + 1);
        }
    }

    const double lwsum = log(wsum);
    for (int i = 0; i < n; i++) {
        const double *ai = acc + (size_t)i * (K + 1);
        log_mass[i] = ogem_lsum_log(m[i], ai[K], lwsum);
        for (int k = 0; k < K; k++) cond_mean[(size_t)i * K + k] = ogem_lsum_ratio(m[i], ai[k], ai[K]);
    }
    *mean_lse = lse_acc / wsum;
}
