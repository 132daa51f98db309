/* split.c - a batch split over the ranks of an exchange (split.h,
 * ogem/partition.h): blocks by index, the agreed status, gathers of
 * per-initialization rows, and the rebalance over the running ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/split.h"
#include "math/checked.h"

void ogem_partition_block(long items, int size, int p, long *first, long *count)
{
    /* In long long: p * items cannot overflow for any batch a solver
     * accepts (items and size below 2^31). */
    const long a = (long)((long long)p * items / size), b = (long)((long long)(p + 1) * items / size);
    if (first) *first = a;
    if (count) *count = b - a;
}

ogem_status ogem_split_init(ogem_split *sp, const ogem_exchange *ex, long R)
{
    memset(sp, 0, sizeof *sp);
    sp->ex = ex && ex->size > 1 ? ex : NULL; /* one rank is one process */
    sp->P = sp->ex ? ex->size : 1;
    sp->me = sp->ex ? ex->rank : 0;
    sp->R = R;
    if (ex && (ex->size < 1 || ex->rank < 0 || ex->rank >= ex->size ||
               (sp->ex && (!ex->allgatherv || !ex->max_int || !ex->broadcast))))
        return OGEM_ERR_INVALID;
    sp->bound = malloc(sizeof(long) * ((size_t)sp->P + 1));
    sp->count = malloc(sizeof(long) * (size_t)sp->P);
    sp->displ = malloc(sizeof(long) * (size_t)sp->P);
    if (!sp->bound || !sp->count || !sp->displ) { ogem_split_free(sp); return OGEM_ERR_NOMEM; }
    for (int p = 0; p < sp->P; p++) ogem_partition_block(R, sp->P, p, &sp->bound[p], NULL);
    sp->bound[sp->P] = R;
    return OGEM_OK;
}

void ogem_split_free(ogem_split *sp)
{
    free(sp->bound); free(sp->count); free(sp->displ); free(sp->buf);
    memset(sp, 0, sizeof *sp);
}

void ogem_split_own(const ogem_split *sp, long *lo, long *hi)
{
    *lo = sp->bound[sp->me];
    *hi = sp->bound[sp->me + 1];
}

size_t ogem_split_bytes(long R, size_t width, int P)
{
    if (P <= 1) return 0;
    return ogem_size_add(ogem_size_mul3(sizeof(double), ogem_count(R), width),
                         ogem_size_mul(3 * sizeof(long), ogem_count(P) + 1));
}

/* The step status as one int for the max: 0 success; a failure of rank p
 * ranks above every later phase and, within its phase, above higher ranks:
 * the result is what one process stepping all inits in index order reports
 * (evaluation first, then the metrics, lowest initialization first). */
ogem_status ogem_split_agree(ogem_split *sp, ogem_status st, int phase, char *err, size_t errlen, int *max_k)
{
    if (!sp->ex) return st;
    const int P = sp->P;
    int v[2] = { st ? (phase ? 2 * P - sp->me : P - sp->me) : 0, *max_k };
    if (sp->ex->max_int(sp->ex->ctx, v, 2)) {
        snprintf(err, errlen, "rank %d of %d: the exchange between ranks failed", sp->me, P);
        return OGEM_ERR_IO;
    }
    *max_k = v[1];
    if (!v[0]) return OGEM_OK;
    const int root = v[0] > P ? 2 * P - v[0] : P - v[0];
    struct { int status; char msg[512]; } pkt;
    memset(&pkt, 0, sizeof pkt);
    if (root == sp->me) {
        pkt.status = (int)st;
        snprintf(pkt.msg, sizeof pkt.msg, "%s", err);
    }
    if (sp->ex->broadcast(sp->ex->ctx, &pkt, (long)sizeof pkt, root)) {
        snprintf(err, errlen, "rank %d of %d: the exchange between ranks failed", sp->me, P);
        return OGEM_ERR_IO;
    }
    pkt.msg[sizeof pkt.msg - 1] = '\0';
    snprintf(err, errlen, "rank %d of %d: %s", root, P, pkt.msg);
    return (ogem_status)pkt.status;
}

static long count_in(const unsigned char *which, long lo, long hi)
{
    long k = 0;
    for (long r = lo; r < hi; r++) k += which[r] != 0;
    return k;
}

/* Copies the rows r of [lo, hi) with which[r] between rows and the packed
 * block at packed (to_packed: rows -> packed). */
static void pack(double *rows, double *packed, size_t width, const unsigned char *which, long lo, long hi,
                 int to_packed)
{
    for (long r = lo; r < hi; r++) {
        if (!which[r]) continue;
        double *row = rows + (size_t)r * width;
        if (to_packed) memcpy(packed, row, sizeof(double) * width);
        else memcpy(row, packed, sizeof(double) * width);
        packed += width;
    }
}

ogem_status ogem_split_gather(ogem_split *sp, double *rows, size_t width, const unsigned char *which)
{
    if (!sp->ex) return OGEM_OK;
    size_t total = 0;
    for (int p = 0; p < sp->P; p++) {
        sp->displ[p] = (long)total;
        sp->count[p] = count_in(which, sp->bound[p], sp->bound[p + 1]) * (long)width;
        total += (size_t)sp->count[p];
    }
    if (total == 0) return OGEM_OK;
    if (total > sp->buf_cap) {
        double *nb = realloc(sp->buf, sizeof(double) * total);
        if (!nb) return OGEM_ERR_NOMEM;
        sp->buf = nb;
        sp->buf_cap = total;
    }
    const int me = sp->me;
    pack(rows, sp->buf + sp->displ[me], width, which, sp->bound[me], sp->bound[me + 1], 1);
    if (sp->ex->allgatherv(sp->ex->ctx, sp->buf, sp->count, sp->displ)) return OGEM_ERR_IO;
    for (int p = 0; p < sp->P; p++)
        if (p != me) pack(rows, sp->buf + sp->displ[p], width, which, sp->bound[p], sp->bound[p + 1], 0);
    return OGEM_OK;
}

int ogem_split_unbalanced(const ogem_split *sp, const unsigned char *active)
{
    if (!sp->ex) return 0;
    long A = 0, busiest = 0;
    for (int p = 0; p < sp->P; p++) {
        long k = count_in(active, sp->bound[p], sp->bound[p + 1]);
        A += k;
        if (k > busiest) busiest = k;
    }
    const long fair = (A + sp->P - 1) / sp->P;
    return A > 0 && 4 * busiest > 5 * fair;
}

void ogem_split_rebalance(ogem_split *sp, const unsigned char *active)
{
    long A = count_in(active, 0, sp->R);
    /* bound[p] = index of the running init with ordinal floor(p A / P): the
     * same block formula as at the start, over the running ones only. */
    long ord = 0, r = 0;
    for (int p = 1; p < sp->P; p++) {
        long target;
        ogem_partition_block(A, sp->P, p, &target, NULL);
        while (r < sp->R && (ord < target || !active[r])) {
            ord += active[r] != 0;
            r++;
        }
        sp->bound[p] = r;
    }
    sp->rebalances++;
}
