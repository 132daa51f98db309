/* lines_eval.h - the CPU reference kernel: expectations of initializations'
 * line sets over a weighted point set, one initialization at a time or a
 * block of them sharing each chunk of points. See backend.h for what is
 * computed. */
#ifndef OGEM_LINES_EVAL_H
#define OGEM_LINES_EVAL_H

#include <stddef.h>

/* Points are processed in chunks of this many; the scratch is O(chunk * n).
 * The chunk boundaries are part of the arithmetic (each chunk is one
 * log-scaled partial sum), so changing this changes results in the last bits. */
#define OGEM_CHUNK 256

/* The most initializations a block holds (ogem_eval_block_size). */
#define OGEM_EVAL_MAX_BLOCK 8

/* From this many dimensions on, sampled points go through the BLAS GEMM path
 * when one is built in: below it the plain kernel is as fast (the scores are
 * a few products per point) and keeps the reference arithmetic. */
#define OGEM_GEMM_MIN_K 48

typedef struct ogem_eval_scratch {
    int n, K, nb;   /* components, dimensions, initializations per block */
    int gemm;       /* sized for the GEMM path */
    double *buf;
} ogem_eval_scratch;

/* Scratch for blocks of up to nb <= OGEM_EVAL_MAX_BLOCK initializations of n
 * lines in K dimensions, for the GEMM path when gemm is set. */
int ogem_eval_scratch_init_block(ogem_eval_scratch *ws, int n, int K, int nb, int gemm);
/* The same for one initialization at a time (nb = 1). */
int ogem_eval_scratch_init(ogem_eval_scratch *ws, int n, int K);
void ogem_eval_scratch_free(ogem_eval_scratch *ws);

/* One initialization: n lines a[i] + <c[i*K .. i*K+K), p>, points stored
 * dimension-major (coordinate k of point j at pts[k * ldp + j], so the inner
 * loops over points are contiguous; ldp >= P), and log-weights logw (P
 * values, or NULL for equal weights; logs, so that quadrature weights deep in
 * the Gaussian's tail cannot underflow). Writes log_mass[n], cond_mean[n*K]
 * and *mean_lse. A component with no mass at all
 * gets log_mass = -inf and cond_mean = NaN. */
void ogem_eval_lines(int n, int K, const double *a, const double *c,
                     const double *pts, long ldp, long P, const double *logw, ogem_eval_scratch *ws,
                     double *log_mass, double *cond_mean, double *mean_lse);

/* How many initializations of a batch of R go in one block: a quarter of
 * them, so that two or three threads have several blocks each, between 1 and
 * OGEM_EVAL_MAX_BLOCK. A function of the shape only, never of the threads. */
int ogem_eval_block_size(int R);

/* 1 when sampled points (no weights) of this shape take the GEMM path: BLAS
 * built in (cpu/blas_gemm.h) and K >= OGEM_GEMM_MIN_K. A function of the
 * shape only. */
int ogem_eval_use_gemm(int n, int K, long P);

/* nb <= ws->nb initializations rs[0..nb) of a batch laid out like ogem_lines
 * (init r's a at a[r*n], c at c[r*n*K], outputs at log_mass[r*n],
 * cond_mean[r*n*K], mean_lse[r]), each chunk of points read once for the
 * whole block. With a plain scratch, every initialization's arithmetic is
 * exactly that of ogem_eval_lines on its own, bit for bit, whatever block it
 * is put in. With a GEMM scratch (logw must be NULL), the scores and the sums
 * are two BLAS products over the block per chunk of points, with the
 * log-sum-exp and the log-scaled sums of lines_eval.c between them: the same
 * chunks and merges, products summed in the BLAS's order, which depends on
 * the block's shape (nb) but not on where the block lies.
 * mirrored (with logw NULL): the points are antithetic pairs, point P/2 + j
 * the negation of point j (P even; mc's points, backend.h). Only the first
 * half is read: each chunk holds C/2 points and their negations, whose
 * scores a -/+ <c, p> share one product and whose sums fold into one,
 * (psi(p) - psi(-p)) p, so the products run over half the points. Results
 * differ from the unmirrored kernel's in the last bits; blocking still
 * changes none on the plain path. */
void ogem_eval_lines_block(int n, int K, int nb, const int *rs, const double *a, const double *c,
                           const double *pts, long ldp, long P, int mirrored, const double *logw,
                           ogem_eval_scratch *ws, double *log_mass, double *cond_mean, double *mean_lse);

#endif
