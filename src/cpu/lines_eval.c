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
 * A block of initializations shares each chunk of points while it is in cache
 * (ogem_eval_lines_block); each initialization's arithmetic is the same as on
 * its own, in the same order, so blocking changes speed, never bits.
 *
 * mc's points are antithetic pairs (backend.h: point P/2 + j = -point j), and
 * with `mirrored` only the first half is read: a pair chunk holds C/2 points
 * and their negations, whose scores a -/+ <c, p> share one product and whose
 * slopes' sums fold into one, (psi(p) - psi(-p)) p (fold_mirrored). That
 * halves the products of both paths; the log-sum-exp still sees every point.
 *
 * This file is compiled with -ffp-contract=fast (CMakeLists.txt): on a target
 * with fused multiply-add (FMA) each product that feeds an add (scores, sums,
 * the log-sum-exp's weights, the merges) becomes one instruction with one
 * rounding; ogem_exp_nonpos and ogem_log_ge1 fuse explicitly. Which operations
 * fuse is decided at compile time, and every initialization, block and
 * thread runs the same code, so a binary stays bitwise reproducible and
 * independent of blocking and thread count; builds for different targets
 * (with or without FMA, or other vector widths) differ in the last bits.
 *
 * The scores are written with GCC/Clang vector types (OGEM_VL points per
 * vector): element-wise operations round exactly like the scalar ones, so the
 * order of operations per point is spelled out (a, then each group of four
 * dimensions summed left to right, then the remaining dimensions one by one;
 * with FMA each add absorbs one of its products) while each score stays in a
 * register over all K dimensions.
 *
 * The reductions carry `omp simd reduction` so the compiler may split them into
 * vector lanes (without it, strict IEEE order forces one scalar add per point).
 * The split is fixed at compile time, so results stay bitwise reproducible.
 * Each reduction loop carries the sums of two components over up to five
 * dimensions (the masses with the first ones, missing dimensions reading a
 * row of zeros), so that no loop waits on the latency of a single chain of
 * adds and each point load serves two products; each sum is still the same
 * lane-split sum over the chunk, whichever loop carries it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include "cpu/blas_gemm.h"
#include "cpu/lines_eval.h"
#include "math/checked.h"
#include "math/log_sum.h"
#include "math/sample_math.h"

/* The widest vector of doubles the target has (GCC/Clang lower a wider one
 * to pieces through memory, which is slow): 8 lanes with AVX-512, 4 with
 * AVX, else 2. */
#if defined(__AVX512F__)
#define OGEM_VL 8
#elif defined(__AVX__)
#define OGEM_VL 4
#else
#define OGEM_VL 2
#endif
typedef double ogem_vd __attribute__((vector_size(OGEM_VL * sizeof(double))));
/* The same vector at any double's address (an unaligned load or store, and
 * allowed to alias the doubles it covers). A macro rather than a function:
 * a vector passed by value changes the ABI between targets. */
typedef double ogem_vdu __attribute__((vector_size(OGEM_VL * sizeof(double)), aligned(8), may_alias));
#define OGEM_VLOAD(p) (*(const ogem_vdu *)(p))

/* Scratch layout, in doubles (C = OGEM_CHUNK, rows = n, or nb*n for the
 * GEMM path, which scores the whole block at once):
 * S[rows*C] scores (then log(w psi), in a chunk that tests its scale in logs);
 * E[rows*C] exp, then psi;
 * MX, SUM, L, W, LW, Z[C] (Z: zeros); PB[K*C] a last chunk padded to a
 * multiple of sixteen points; t[rows*(K+1)] chunk sums (two components' for
 * the plain path, the block's for the GEMM path); sc[rows] the chunk's scale
 * per component; G[rows*K] the block's slopes and then its a[rows] (GEMM
 * path only);
 * then per initialization of the block: m[n], acc[n*(K+1)], lse[1]. acc and t
 * are log-scaled sums (log_sum.h) of component i: slots k < K hold
 * sum psi * p_k, slot K holds sum psi. */
typedef struct scratch_view {
    double *S, *E, *MX, *SUM, *L, *W, *LW, *Z, *PB, *t, *sc, *G, *inits;
} scratch_view;

static size_t per_init_len(int n, int K)
{
    return ogem_size_add(ogem_size_mul(ogem_count(n), ogem_size_add(ogem_count(K), 2)), 1);
}

static size_t scratch_rows(int n, int nb, int gemm)
{
    return gemm ? ogem_size_mul(ogem_count(n), ogem_count(nb)) : ogem_count(n);
}

int ogem_eval_scratch_init_block(ogem_eval_scratch *ws, int n, int K, int nb, int gemm)
{
    const size_t C = OGEM_CHUNK, rows = scratch_rows(n, nb, gemm), kk = ogem_count(K);
    const size_t k1 = ogem_size_add(kk, 1);
    size_t len = ogem_size_add(ogem_size_mul3(2, rows, C), 6 * C);
    len = ogem_size_add(len, ogem_size_mul(kk, C));
    len = ogem_size_add(len, ogem_size_mul(rows, ogem_size_add(ogem_size_add(k1, 1), gemm ? k1 : 0)));
    len = ogem_size_add(len, ogem_size_mul(ogem_count(nb), per_init_len(n, K)));
    ws->n = n;
    ws->K = K;
    ws->nb = nb;
    ws->gemm = gemm;
    /* 64-byte aligned, like every row in it (C is a multiple of 8): a vector
     * of eight doubles that straddles two cache lines costs two loads. */
    ws->buf = aligned_alloc(64, ogem_size_mul(ogem_size_add(len, 7) & ~(size_t)7, sizeof(double)));
    if (ws->buf) memset(ws->buf + 2 * rows * C + 5 * C, 0, sizeof(double) * C);   /* Z */
    return ws->buf ? 0 : -1;
}

int ogem_eval_scratch_init(ogem_eval_scratch *ws, int n, int K)
{
    return ogem_eval_scratch_init_block(ws, n, K, 1, 0);
}

void ogem_eval_scratch_free(ogem_eval_scratch *ws)
{
    free(ws->buf);
    ws->buf = NULL;
}

static scratch_view view(const ogem_eval_scratch *ws)
{
    const size_t C = OGEM_CHUNK, rows = scratch_rows(ws->n, ws->nb, ws->gemm), K = (size_t)ws->K;
    scratch_view v;
    v.S = ws->buf;
    v.E = v.S + rows * C;
    v.MX = v.E + rows * C;
    v.SUM = v.MX + C;
    v.L = v.SUM + C;
    v.W = v.L + C;
    v.LW = v.W + C;
    v.Z = v.LW + C;
    v.PB = v.Z + C;
    v.t = v.PB + K * C;
    v.sc = v.t + rows * (K + 1);
    v.G = v.sc + rows;
    v.inits = v.G + (ws->gemm ? rows * (K + 1) : 0);
    return v;
}

/* Scores of components i0 .. i0+NC (NC = 1 or 2, a constant once inlined) at
 * the 2 * OGEM_VL points from pj: each point vector and each slope serve two
 * products. */
static inline __attribute__((always_inline)) void score_tile(int nc, int K, const double *a, const double *c,
                                                            const double *pj, long ld, double *S)
{
    const long C = OGEM_CHUNK;
    ogem_vd s[2][2];
    for (int q = 0; q < nc; q++)
        for (int h = 0; h < 2; h++) s[q][h] = a[q] - (ogem_vd){0};   /* a in every lane (x - +0 is x, -0 too) */
    int k = 0;
    for (; k + 4 <= K; k += 4)
        for (int h = 0; h < 2; h++) {
            const double *p0 = pj + k * ld + OGEM_VL * h;
            const ogem_vd x0 = OGEM_VLOAD(p0), x1 = OGEM_VLOAD(p0 + ld), x2 = OGEM_VLOAD(p0 + 2 * ld),
                          x3 = OGEM_VLOAD(p0 + 3 * ld);
            for (int q = 0; q < nc; q++) {
                const double *cq = c + (size_t)q * K + k;
                s[q][h] = s[q][h] + (((cq[0] * x0 + cq[1] * x1) + cq[2] * x2) + cq[3] * x3);
            }
        }
    for (; k < K; k++)
        for (int h = 0; h < 2; h++) {
            const ogem_vd x = OGEM_VLOAD(pj + k * ld + OGEM_VL * h);
            for (int q = 0; q < nc; q++) s[q][h] = s[q][h] + c[(size_t)q * K + k] * x;
        }
    for (int q = 0; q < nc; q++)
        for (int h = 0; h < 2; h++) *(ogem_vdu *)(S + q * C + OGEM_VL * h) = s[q][h];
}

/* Scores S[i*C + j] = a[i] + <c_i, p_j> for j < cnt rounded up to 16 (PT must
 * hold that many points per dimension); a NULL: the products alone. */
static void chunk_scores(int n, int K, const double *a, const double *c, const double *PT, long ld, long cnt,
                         double *S)
{
    static const double zero[2] = {0.0, 0.0};
    const long C = OGEM_CHUNK, cnt16 = (cnt + 15) & ~15L;
    for (long j = 0; j < cnt16; j += 2 * OGEM_VL) {
        int i = 0;
        for (; i + 2 <= n; i += 2) score_tile(2, K, a ? a + i : zero, c + (size_t)i * K, PT + j, ld, S + i * C + j);
        if (i < n) score_tile(1, K, a ? a + i : zero, c + (size_t)i * K, PT + j, ld, S + i * C + j);
    }
}

/* Rows i < rows of a mirrored pair chunk's scores, holding the products
 * D = <c_i, p_j> after their first cnt_p slots: S[i*C + j] = a[i] + D,
 * S[i*C + cnt_p + j] = a[i] - D. */
static void unfold_mirrored_scores(int rows, const double *a, long cnt_p, double *S)
{
    const long C = OGEM_CHUNK;
    for (int i = 0; i < rows; i++) {
        double *Si = S + i * C;
        for (long j = 0; j < cnt_p; j++) {
            const double dot = Si[cnt_p + j];
            Si[j] = a[i] + dot;
            Si[cnt_p + j] = a[i] - dot;
        }
    }
}

/* Scores of a mirrored pair chunk, the cnt_p points of PT and then their
 * negations: each product D = <c_i, p_j> once. */
static void chunk_scores_mirrored(int n, int K, const double *a, const double *c, const double *PT, long ld,
                                  long cnt_p, double *S)
{
    chunk_scores(n, K, NULL, c, PT, ld, cnt_p, S + cnt_p);   /* cnt_p <= C/2: the tiles stay in the row */
    unfold_mirrored_scores(n, a, cnt_p, S);
}

/* A mirrored pair chunk's psi row Ei (2 cnt_p values): returns its mass and
 * leaves psi(p) - psi(-p) in its first cnt_p values, the weights of the
 * slopes' sums, since psi(p) p + psi(-p) (-p) = (psi(p) - psi(-p)) p. */
static double fold_mirrored(double *Ei, long cnt_p)
{
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (long j = 0; j < 2 * cnt_p; j++) s += Ei[j];
    for (long j = 0; j < cnt_p; j++) Ei[j] -= Ei[cnt_p + j];
    return s;
}

/* One pass of chunk_sums over the points: for dimensions k .. k+w (w <= 5;
 * dimensions past K read the zero row Z) and, when `mass`, the masses.
 * nc, w and mass are constants once inlined, and the sums they leave unused
 * are dead code, so each use compiles to a loop with only its own sums. */
static inline __attribute__((always_inline)) void sums_pass(int nc, int w, int mass, int K, int k, const double *E0,
                                                           const double *E1, const double *PT, long ld, long cnt,
                                                           const double *Z, double *t)
{
    const double *p[5];
    for (int h = 0; h < 5; h++) p[h] = h < w && k + h < K ? PT + (k + h) * ld : Z;
    double s0 = 0.0, a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, a4 = 0.0;
    double s1 = 0.0, b0 = 0.0, b1 = 0.0, b2 = 0.0, b3 = 0.0, b4 = 0.0;
    const double *p0 = p[0], *p1 = p[1], *p2 = p[2], *p3 = p[3], *p4 = p[4];
#pragma omp simd reduction(+ : s0, a0, a1, a2, a3, a4, s1, b0, b1, b2, b3, b4)
    for (long j = 0; j < cnt; j++) {
        s0 += E0[j];
        a0 += E0[j] * p0[j];
        a1 += E0[j] * p1[j];
        a2 += E0[j] * p2[j];
        a3 += E0[j] * p3[j];
        a4 += E0[j] * p4[j];
        s1 += E1[j];
        b0 += E1[j] * p0[j];
        b1 += E1[j] * p1[j];
        b2 += E1[j] * p2[j];
        b3 += E1[j] * p3[j];
        b4 += E1[j] * p4[j];
    }
    const double u[2][6] = {{a0, a1, a2, a3, a4, s0}, {b0, b1, b2, b3, b4, s1}};
    for (int q = 0; q < nc; q++) {
        for (int h = 0; h < w && k + h < K; h++) t[q * (K + 1) + k + h] = u[q][h];
        if (mass) t[q * (K + 1) + K] = u[q][5];
    }
}

/* For the NC = 1 or 2 (a constant once inlined) components whose psi are E0
 * and E1: t[q*(K+1) + k] = sum_j Eq[j] * p_k[j] for k < K and
 * t[q*(K+1) + K] = sum_j Eq[j], j < cnt. Two components share each point
 * load; the masses ride along with the first dimensions; passes of five
 * dimensions, then one of the rest. */
static inline __attribute__((always_inline)) void chunk_sums(int nc, int K, const double *E0, const double *E1,
                                                            const double *PT, long ld, long cnt, const double *Z,
                                                            double *t)
{
    if (nc == 1) E1 = E0;
    if (K <= 2) {
        sums_pass(nc, 2, 1, K, 0, E0, E1, PT, ld, cnt, Z, t);
        return;
    }
    sums_pass(nc, 5, 1, K, 0, E0, E1, PT, ld, cnt, Z, t);
    int k = 5;
    for (; k + 3 < K; k += 5) sums_pass(nc, 5, 0, K, k, E0, E1, PT, ld, cnt, Z, t);
    if (k < K) sums_pass(nc, 3, 0, K, k, E0, E1, PT, ld, cnt, Z, t);
}

/* One initialization's responsibilities over one chunk, from its scores S
 * (n rows of stride C): adds its weighted log-sum-exp into *lse, turns E
 * into psi (w * responsibility) or, for a component whose largest one is
 * below OGEM_RESCALE_BELOW, into psi rescaled by that largest log, and sets
 * sc[i] to the scale (0, the log, or -inf for a component without mass in
 * this chunk). W, LW, MX, SUM and L are the chunk's weights and per-point
 * work space. */
static void chunk_resp(int n, long cnt, const scratch_view *v, double *restrict S, double *restrict E, double *sc,
                       double *lse)
{
    const long C = OGEM_CHUNK;
    /* separate rows of the scratch (restrict: no loop needs an overlap test) */
    double *restrict MX = v->MX, *restrict SUM = v->SUM, *restrict L = v->L;
    const double *restrict W = v->W, *restrict LW = v->LW;

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
    *lse += lse_chunk;
    /* per component: psi, or psi rescaled, and the chunk's scale. First
     * psi = E * (w / sum) and its largest value: one that large leaves no
     * doubt that the largest log(w psi) is above OGEM_RESCALE_BELOW, the
     * common case, without a pass in logs; else the logs decide. */
    for (int i = 0; i < n; i++) {
        double *restrict Si = S + i * C, *restrict Ei = E + i * C, pmax = 0.0, cmax = OGEM_LOG_ZERO;
#pragma omp simd reduction(max : pmax)
        for (long j = 0; j < cnt; j++) {
            Ei[j] *= SUM[j];
            pmax = Ei[j] > pmax ? Ei[j] : pmax;
        }
        sc[i] = 0.0;
        if (pmax >= OGEM_PLAIN_PSI_MIN) continue;
#pragma omp simd reduction(max : cmax)
        for (long j = 0; j < cnt; j++) {
            Si[j] = Si[j] - L[j] + LW[j];     /* log(w psi) */
            cmax = Si[j] > cmax ? Si[j] : cmax;
        }
        if (cmax >= OGEM_RESCALE_BELOW) continue;
        if (!ogem_lsum_empty(cmax)) {
            for (long j = 0; j < cnt; j++) Ei[j] = ogem_exp_nonpos(Si[j] - cmax);
            sc[i] = cmax;
        } else {
            sc[i] = OGEM_LOG_ZERO;            /* no mass in this chunk */
        }
    }
}

/* One initialization over one chunk, plain path: scores, responsibilities,
 * then the sums of the components with mass two at a time, each merged into
 * its log-scaled sums (m[n], acc[n*(K+1)]). The chunk is the cnt points of
 * PT, or (cnt_p < cnt) a mirrored pair chunk: its cnt_p points and their
 * negations, which share the products of the scores and of the sums. */
static void chunk_one(int n, int K, const double *a, const double *c, const double *PT, long ld, long cnt,
                      long cnt_p, const scratch_view *v, double *m, double *acc, double *lse)
{
    const long C = OGEM_CHUNK;
    double *E = v->E, *t = v->t, *sc = v->sc;
    int live[2], nl = 0;
    const int mirrored = cnt_p < cnt;

    if (mirrored)
        chunk_scores_mirrored(n, K, a, c, PT, ld, cnt_p, v->S);
    else
        chunk_scores(n, K, a, c, PT, ld, cnt, v->S);
    chunk_resp(n, cnt, v, v->S, E, sc, lse);
    for (int i = 0; i <= n; i++) {
        if (i < n && ogem_lsum_empty(sc[i])) continue;
        if (i < n) live[nl++] = i;
        if (nl == 0 || (nl == 1 && i < n)) continue;    /* wait for a partner, unless none is left */
        double mass[2];
        for (int q = 0; mirrored && q < nl; q++) mass[q] = fold_mirrored(E + live[q] * C, cnt_p);
        if (nl == 2)
            chunk_sums(2, K, E + live[0] * C, E + live[1] * C, PT, ld, cnt_p, v->Z, t);
        else
            chunk_sums(1, K, E + live[0] * C, NULL, PT, ld, cnt_p, v->Z, t);
        for (int q = 0; q < nl; q++) {
            if (mirrored) t[q * (K + 1) + K] = mass[q];   /* chunk_sums summed the differences */
            m[live[q]] = ogem_lsum_merge(m[live[q]], acc + (size_t)live[q] * (K + 1), 1, sc[live[q]],
                                         t + q * (K + 1), 1, K + 1);
        }
        nl = 0;
    }
}

/* The GEMM path's sums once the block's responsibilities are in E: the
 * masses t[i*(K+1) + K] = sum of row i over its cnt psi, then the slopes
 * t[i*(K+1) + k] = sum_j E'[i, j] p_k[j] over the cnt_p points of PT (one
 * GEMM) with E' = E, or for a mirrored pair chunk (cnt = 2 cnt_p, psi of the
 * negated points after cnt_p) E'[i, j] = E[i, j] - E[i, cnt_p + j]; then each
 * component's chunk sums are merged into its initialization's. */
static void chunk_gemm_sums(int n, int K, int nb, const double *PT, long ld, long cnt, long cnt_p,
                            const scratch_view *v, double *const *inits)
{
    const long C = OGEM_CHUNK;
    const int M = nb * n;
    double *E = v->E, *t = v->t, *sc = v->sc;
    for (int i = 0; i < M; i++) {
        double *Ei = E + i * C, s0 = 0.0;
        if (ogem_lsum_empty(sc[i])) memset(Ei, 0, sizeof(double) * cnt);   /* adds nothing below */
        if (cnt_p < cnt) {
            s0 = fold_mirrored(Ei, cnt_p);
        } else {
#pragma omp simd reduction(+ : s0)
            for (long j = 0; j < cnt; j++) s0 += Ei[j];
        }
        t[(size_t)i * (K + 1) + K] = s0;
    }
    /* column-major: t (K x M, ld K+1) = P (K x cnt_p, ld ld, transposed) E'^T (cnt_p x M, ld C) */
    ogem_dgemm('T', 'N', K, M, (int)cnt_p, 1.0, PT, ld, E, C, 0.0, t, K + 1);
    for (int i = 0; i < M; i++) {
        double *m = inits[i / n], *acc = m + n;
        const int ii = i % n;
        m[ii] = ogem_lsum_merge(m[ii], acc + (size_t)ii * (K + 1), 1, sc[i], t + (size_t)i * (K + 1), 1, K + 1);
    }
}

/* The GEMM path over one chunk for the whole block: S = a + G P (one GEMM),
 * each initialization's responsibilities, then the sums t = E P^T (a second
 * GEMM) and the masses, merged per component. The chunk is the cnt points of
 * PT, or (cnt_p < cnt) a mirrored pair chunk: its cnt_p points and their
 * negations (mc's antithetic pairs), whose scores a -/+ <c, p> come from one
 * product D = G P and whose sums fold into one, so both GEMMs run over half
 * the points. */
static void chunk_gemm(int n, int K, int nb, const double *PT, long ld, long cnt, long cnt_p,
                       const scratch_view *v, double *const *inits)
{
    const long C = OGEM_CHUNK;
    const int M = nb * n;
    double *S = v->S;
    const double *ab = v->G + (size_t)M * K;   /* the block's a, after its slopes */

    if (cnt_p < cnt) {
        /* column-major: D^T (cnt_p x M, ld C) = P^T G^T, in the second cnt_p slots of each row */
        ogem_dgemm('N', 'N', (int)cnt_p, M, K, 1.0, PT, ld, v->G, K, 0.0, S + cnt_p, C);
        unfold_mirrored_scores(M, ab, cnt_p, S);
    } else {
        for (int i = 0; i < M; i++)
            for (long j = 0; j < cnt; j++) S[i * C + j] = ab[i];
        /* column-major: S^T (cnt x M, ld C) += P^T (cnt x K, ld ld) G^T (K x M, ld K) */
        ogem_dgemm('N', 'N', (int)cnt, M, K, 1.0, PT, ld, v->G, K, 1.0, S, C);
    }
    for (int q = 0; q < nb; q++) {
        double *lse = inits[q] + n + (size_t)n * (K + 1);
        chunk_resp(n, cnt, v, S + (size_t)q * n * C, v->E + (size_t)q * n * C, v->sc + q * n, lse);
    }
    chunk_gemm_sums(n, K, nb, PT, ld, cnt, cnt_p, v, inits);
}

void ogem_eval_lines_block(int n, int K, int nb, const int *rs, const double *a, const double *c,
                           const double *pts, long ldp, long P, int mirrored, const double *logw,
                           ogem_eval_scratch *ws, double *log_mass, double *cond_mean, double *mean_lse)
{
    const long C = OGEM_CHUNK;
    const scratch_view v = view(ws);
    const size_t stride = per_init_len(n, K);
    double wsum = 0.0, *inits[OGEM_EVAL_MAX_BLOCK];
    const int gemm = ws->gemm;

    for (int q = 0; q < nb; q++) {
        double *m = inits[q] = v.inits + q * stride, *acc = m + n;
        for (int i = 0; i < n; i++) m[i] = OGEM_LOG_ZERO;
        memset(acc, 0, sizeof(double) * ((size_t)n * (K + 1) + 1));   /* and lse */
        if (gemm) {                              /* the block's slopes G[M x K], then its a[M] */
            const size_t r = (size_t)rs[q];
            double *ab = v.G + (size_t)nb * n * K;
            memcpy(v.G + (size_t)q * n * K, c + r * n * K, sizeof(double) * n * K);
            memcpy(ab + (size_t)q * n, a + r * n, sizeof(double) * n);
        }
    }
    /* Mirrored points: pair chunks of C/2 points of the first half with
     * their negations (mc's points, whose weights are equal: logw NULL). */
    const long half = mirrored && !logw ? P / 2 : 0, span = half ? half : P, step = half ? C / 2 : C;
    for (long base = 0; base < span; base += step) {
        const long cnt_src = span - base < step ? span - base : step, cnt = half ? 2 * cnt_src : cnt_src;
        const double *PT = pts + base;           /* dimension k of point j: PT[k * ld + j] */
        long ld = ldp;
        if (!gemm && cnt_src % 16) {             /* the scores read whole tiles of sixteen */
            for (int k = 0; k < K; k++)
                for (long j = 0; j < C; j++) v.PB[k * C + j] = j < cnt_src ? PT[k * ldp + j] : 0.0;
            PT = v.PB;
            ld = C;
        }
        for (long j = 0; j < cnt; j++) {
            v.LW[j] = logw ? logw[base + j] : 0.0;
            v.W[j] = logw ? exp(v.LW[j]) : 1.0;
            wsum += v.W[j];
        }
        if (gemm) {
            chunk_gemm(n, K, nb, PT, ld, cnt, cnt_src, &v, inits);
            continue;
        }
        for (int q = 0; q < nb; q++) {
            const size_t r = (size_t)rs[q];
            double *m = inits[q], *acc = m + n, *lse = acc + (size_t)n * (K + 1);
            chunk_one(n, K, a + r * n, c + r * n * K, PT, ld, cnt, cnt_src, &v, m, acc, lse);
        }
    }

    const double lwsum = log(wsum);
    for (int q = 0; q < nb; q++) {
        const size_t r = (size_t)rs[q];
        const double *m = inits[q], *acc = m + n, *lse = acc + (size_t)n * (K + 1);
        for (int i = 0; i < n; i++) {
            const double *ai = acc + (size_t)i * (K + 1);
            log_mass[r * n + i] = ogem_lsum_log(m[i], ai[K], lwsum);
            for (int k = 0; k < K; k++)
                cond_mean[(r * n + i) * K + k] = ogem_lsum_ratio(m[i], ai[k], ai[K]);
        }
        mean_lse[r] = *lse / wsum;
    }
}

void ogem_eval_lines(int n, int K, const double *a, const double *c,
                     const double *pts, long ldp, long P, const double *logw, ogem_eval_scratch *ws,
                     double *log_mass, double *cond_mean, double *mean_lse)
{
    static const int zero = 0;
    ogem_eval_lines_block(n, K, 1, &zero, a, c, pts, ldp, P, 0, logw, ws, log_mass, cond_mean, mean_lse);
}

int ogem_eval_block_size(int R)
{
    const int b = R / 4;
    return b < 1 ? 1 : b > OGEM_EVAL_MAX_BLOCK ? OGEM_EVAL_MAX_BLOCK : b;
}

int ogem_eval_use_gemm(int n, int K, long P)
{
    /* The GEMM interface counts in int; below OGEM_GEMM_MIN_K the plain
     * kernel keeps up (and keeps the reference arithmetic). */
    return ogem_blas_available() && K >= OGEM_GEMM_MIN_K && P <= INT_MAX &&
           (long)n * OGEM_EVAL_MAX_BLOCK <= INT_MAX / OGEM_CHUNK;
}
