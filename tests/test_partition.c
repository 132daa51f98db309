/* test_partition.c - one batch split over P cooperating "ranks" (ogem/partition.h)
 * gives byte for byte what one process gives: P threads of this process play
 * the ranks through an in-process exchange (a barrier and a shared buffer),
 * so the library's side is tested without MPI. Covers every estimator's steps
 * and metrics, the lazy gather of the means, escape runs with their
 * rebalancing, an agreed failure, a checkpoint taken at one P and
 * continued at another, and the output sink of the ranks that write nothing. */
#define _POSIX_C_SOURCE 200809L
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ogem/ogem.h"
#include "util/outdir.h"

/* ---- the in-process exchange ----------------------------------------------------- */

#define MAX_P 4
#define HUB_DOUBLES (1 << 16)

typedef struct hub {
    int P;
    pthread_barrier_t bar;
    double data[HUB_DOUBLES];
    int ints[MAX_P][8];
    unsigned char bytes[1024];
} hub;

typedef struct fake_rank {
    ogem_exchange ex;
    hub *h;
} fake_rank;

static int fake_allgatherv(void *ctx, double *buf, const long *count, const long *displ)
{
    fake_rank *f = ctx;
    hub *h = f->h;
    const int me = f->ex.rank;
    if (displ[h->P - 1] + count[h->P - 1] > HUB_DOUBLES) return 1;
    memcpy(h->data + displ[me], buf + displ[me], sizeof(double) * (size_t)count[me]);
    pthread_barrier_wait(&h->bar);
    for (int p = 0; p < h->P; p++)
        if (p != me) memcpy(buf + displ[p], h->data + displ[p], sizeof(double) * (size_t)count[p]);
    pthread_barrier_wait(&h->bar);
    return 0;
}

static int fake_max_int(void *ctx, int *v, int len)
{
    fake_rank *f = ctx;
    hub *h = f->h;
    if (len > 8) return 1;
    memcpy(h->ints[f->ex.rank], v, sizeof(int) * (size_t)len);
    pthread_barrier_wait(&h->bar);
    for (int j = 0; j < len; j++)
        for (int p = 0; p < h->P; p++)
            if (h->ints[p][j] > v[j]) v[j] = h->ints[p][j];
    pthread_barrier_wait(&h->bar);
    return 0;
}

static int fake_broadcast(void *ctx, void *buf, long len, int root)
{
    fake_rank *f = ctx;
    hub *h = f->h;
    if (len > (long)sizeof h->bytes) return 1;
    if (f->ex.rank == root) memcpy(h->bytes, buf, (size_t)len);
    pthread_barrier_wait(&h->bar);
    if (f->ex.rank != root) memcpy(buf, h->bytes, (size_t)len);
    pthread_barrier_wait(&h->bar);
    return 0;
}

/* ---- what a rank (or the single process) does, and what it got ---------------------- */

#define R 7
#define N 3
#define D 3
#define STEPS 6

typedef struct job {
    ogem_settings set;
    const ogem_checkpoint *resume;   /* restore this first                       */
    int escape;                      /* ogem_escape_run instead of plain steps   */
    long stop_at;                    /* capture a checkpoint after this many steps */
    /* results */
    ogem_status st;
    char err[512];
    ogem_metrics met[STEPS][R];
    double means[R * N * D];
    double weights[R * N];
    long esc[R];
    double loss[R];
    long rebalances;
    ogem_checkpoint ck;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    ogem_solver *sv = NULL;
    char msg[256] = "";
    j->st = ogem_solver_create(&sv, &j->set, msg, sizeof msg);
    if (j->st) { snprintf(j->err, sizeof j->err, "create: %s", msg); return NULL; }
    double mu[R * N * D];
    ogem_init_random(mu, 0, R, N, D, NULL, 2.0, 11);
    if (j->set.estimator == OGEM_EST_EXACT) ogem_init_far(mu, 0, R, N, D, NULL, 2, 3.0, 11);
    ogem_solver_set_means(sv, mu);
    if (j->resume) ogem_checkpoint_restore(sv, j->resume);
    memset(j->met, 0, sizeof j->met);
    for (int r = 0; r < R; r++) j->esc[r] = -1;
    if (j->escape) {
        /* Escape by distance: the inits leave one by one, and the rest rebalance. */
        j->st = ogem_escape_run(sv, OGEM_UNTIL_DIST, 1.2, 40, j->esc, j->loss, NULL, NULL);
    } else {
        long end = j->stop_at > 0 ? j->stop_at : STEPS;
        for (long t = ogem_solver_step_index(sv); !j->st && t < end; t++) j->st = ogem_solver_step(sv, 1, j->met[t]);
    }
    snprintf(j->err, sizeof j->err, "%s", j->st ? ogem_solver_error(sv) : "");
    if (!j->st) j->st = ogem_solver_get_means(sv, j->means);
    if (!j->st) j->st = ogem_solver_get_weights(sv, j->weights);
    if (!j->st && j->stop_at > 0) j->st = ogem_checkpoint_capture(sv, &j->ck);
    long bounds[MAX_P + 1];
    j->rebalances = 0;
    ogem_solver_partition(sv, bounds, MAX_P + 1, &j->rebalances);
    ogem_solver_destroy(sv);
    return NULL;
}

/* Runs the job on P threads sharing one hub (P = 0: the plain single process,
 * no exchange at all). Every rank's results are kept in out[0..P-1]. */
static void run_ranks(const job *proto, int P, job *out)
{
    static hub h;
    fake_rank f[MAX_P];
    if (P == 0) {
        out[0] = *proto;
        out[0].set.exchange = NULL;
        run_job(&out[0]);
        return;
    }
    h.P = P;
    pthread_barrier_init(&h.bar, NULL, (unsigned)P);
    pthread_t th[MAX_P];
    for (int p = 0; p < P; p++) {
        f[p] = (fake_rank){.ex = {.rank = p, .size = P, .allgatherv = fake_allgatherv, .max_int = fake_max_int,
                                  .broadcast = fake_broadcast}, .h = &h};
        f[p].ex.ctx = &f[p];
        out[p] = *proto;
        out[p].set.exchange = &f[p].ex;
        cr_assert_eq(pthread_create(&th[p], NULL, run_job, &out[p]), 0);
    }
    for (int p = 0; p < P; p++) pthread_join(th[p], NULL);
    pthread_barrier_destroy(&h.bar);
}

static job proto_for(ogem_estimator e, long samples)
{
    static const double w[N] = {0.5, 0.3, 0.2};
    job j;
    memset(&j, 0, sizeof j);
    ogem_settings_default(&j.set);
    j.set.dim = D; j.set.components = N; j.set.weights = w; j.set.inits = R;
    j.set.estimator = e; j.set.samples = samples; j.set.eta = 0.8;
    j.set.device = OGEM_DEVICE_CPU; j.set.threads = 1; j.set.seed = 5;
    return j;
}

static void expect_same(const job *a, const job *b, const char *what, int P, int p)
{
    cr_assert_eq(a->st, OGEM_OK, "%s single: %s", what, a->err);
    cr_assert_eq(b->st, OGEM_OK, "%s P=%d rank %d: %s", what, P, p, b->err);
    cr_expect_eq(memcmp(a->met, b->met, sizeof a->met), 0, "%s: metrics differ at P=%d rank %d", what, P, p);
    cr_expect_eq(memcmp(a->means, b->means, sizeof a->means), 0, "%s: means differ at P=%d rank %d", what, P, p);
    cr_expect_eq(memcmp(a->weights, b->weights, sizeof a->weights), 0, "%s: weights differ at P=%d rank %d", what,
                 P, p);
    cr_expect_eq(memcmp(a->esc, b->esc, sizeof a->esc), 0, "%s: escape steps differ at P=%d rank %d", what, P, p);
}

static job single[1], ranks[MAX_P];

Test(partition, blocks_cover_the_batch_in_order)
{
    for (long items = 0; items < 20; items++)
        for (int P = 1; P <= 5; P++) {
            long next = 0;
            for (int p = 0; p < P; p++) {
                long first, count;
                ogem_partition_block(items, P, p, &first, &count);
                cr_assert_eq(first, next, "items %ld P %d p %d", items, P, p);
                cr_assert(count == items / P || count == items / P + 1, "uneven block: %ld of %ld", count, items);
                next = first + count;
            }
            cr_assert_eq(next, items);
        }
}

Test(partition, every_estimator_is_identical_at_any_P)
{
    const struct { ogem_estimator e; long n; const char *name; } cases[] = {
        { OGEM_EST_MC, 256, "mc" }, { OGEM_EST_QMC, 128, "qmc" }, { OGEM_EST_FIXED, 200, "fixed" },
        { OGEM_EST_EXACT, 0, "exact" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        job proto = proto_for(cases[c].e, cases[c].n);
        run_ranks(&proto, 0, single);
        for (int P = 1; P <= 3; P++) {
            run_ranks(&proto, P, ranks);
            for (int p = 0; p < P; p++) expect_same(single, &ranks[p], cases[c].name, P, p);
        }
    }
}

/* A two-component truth with learned weights: the strata and the weights'
 * gather (they travel with the means) keep every rank's results identical. */
Test(partition, mixture_truth_with_learned_weights_is_identical_at_any_P)
{
    static const double tw[2] = {0.4, 0.6}, tm[2 * D] = {1.5, 0, 0, -1.0, 0.5, 0};
    const struct { ogem_estimator e; long n; int sub; const char *name; } cases[] = {
        { OGEM_EST_MC, 256, 0, "mc" }, { OGEM_EST_QMC, 128, 1, "qmc --subspace" }, { OGEM_EST_EXACT, 0, 0, "exact" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        job proto = proto_for(cases[c].e, cases[c].n);
        proto.set.truth_components = 2; proto.set.truth_weights = tw; proto.set.truth_means = tm;
        proto.set.learn_weights = 1; proto.set.subspace = cases[c].sub;
        run_ranks(&proto, 0, single);
        cr_assert_eq(single->st, OGEM_OK, "%s: %s", cases[c].name, single->err);
        cr_assert(single->weights[0] != 0.5, "%s: the weights were not learned", cases[c].name);
        for (int P = 2; P <= 3; P++) {
            run_ranks(&proto, P, ranks);
            for (int p = 0; p < P; p++) expect_same(single, &ranks[p], cases[c].name, P, p);
        }
    }
}

Test(partition, escape_runs_rebalance_and_stay_identical)
{
    job proto = proto_for(OGEM_EST_MC, 256);
    proto.escape = 1;
    run_ranks(&proto, 0, single);
    long escaped = 0;
    for (int r = 0; r < R; r++) escaped += single->esc[r] >= 0;
    cr_assert(escaped >= 2 && escaped < R, "the test needs inits escaping at different times (%ld of %d)", escaped, R);
    long rebalanced = 0;
    for (int P = 2; P <= 3; P++) {
        run_ranks(&proto, P, ranks);
        for (int p = 0; p < P; p++) {
            expect_same(single, &ranks[p], "escape", P, p);
            cr_expect_eq(memcmp(single->loss, ranks[p].loss, sizeof single->loss), 0, "final losses differ");
            cr_expect_eq(ranks[p].rebalances, ranks[0].rebalances, "ranks disagree on the split");
        }
        rebalanced += ranks[0].rebalances;
    }
    cr_expect_gt(rebalanced, 0, "the escapes never moved the split");
}

/* Init 5 alone overflows (means at 1e150, eta 1e10): rank 2 of 3 owns it
 * ([4, 7)), and every rank fails with the message one process gives, named. */
static void *run_failing(void *arg)
{
    job *j = arg;
    ogem_solver *sv = NULL;
    j->st = ogem_solver_create(&sv, &j->set, j->err, sizeof j->err);
    if (j->st) return NULL;
    double mu[R * N * D];
    ogem_init_random(mu, 0, R, N, D, NULL, 1.0, 3);
    for (int q = 5 * N * D; q < 6 * N * D; q++) mu[q] = 1e150;
    ogem_solver_set_means(sv, mu);
    j->st = ogem_solver_step(sv, 1, j->met[0]);
    snprintf(j->err, sizeof j->err, "%s", ogem_solver_error(sv));
    ogem_solver_destroy(sv);
    return NULL;
}

Test(partition, one_ranks_failure_is_every_ranks)
{
    static const double w[N] = {0.5, 0.3, 0.2};
    job one;
    memset(&one, 0, sizeof one);
    ogem_settings_default(&one.set);
    one.set.dim = D; one.set.components = N; one.set.weights = w; one.set.inits = R;
    one.set.samples = 64; one.set.eta = 1e10; one.set.device = OGEM_DEVICE_CPU; one.set.threads = 1;
    run_failing(&one);
    cr_assert_eq(one.st, OGEM_ERR_NUMERIC, "%s", one.err);
    cr_assert_eq(strncmp(one.err, "initialization 5: ", 18), 0, "%s", one.err);

    static hub h;
    h.P = 3;
    pthread_barrier_init(&h.bar, NULL, 3);
    fake_rank f[3];
    pthread_t th[3];
    for (int p = 0; p < 3; p++) {
        f[p] = (fake_rank){.ex = {.rank = p, .size = 3, .allgatherv = fake_allgatherv, .max_int = fake_max_int,
                                  .broadcast = fake_broadcast}, .h = &h};
        f[p].ex.ctx = &f[p];
        ranks[p] = one;
        ranks[p].set.exchange = &f[p].ex;
        pthread_create(&th[p], NULL, run_failing, &ranks[p]);
    }
    for (int p = 0; p < 3; p++) pthread_join(th[p], NULL);
    pthread_barrier_destroy(&h.bar);
    char want[600];
    snprintf(want, sizeof want, "rank 2 of 3: %s", one.err);
    for (int p = 0; p < 3; p++) {
        cr_expect_eq(ranks[p].st, OGEM_ERR_NUMERIC, "rank %d: status %d", p, ranks[p].st);
        cr_expect_str_eq(ranks[p].err, want, "rank %d", p);
    }
}

/* A checkpoint captured after 3 steps at P = 2 continues at P = 3 and in one
 * process to exactly the uninterrupted run's means. */
static void resume_at_another_P(job proto)
{
    run_ranks(&proto, 0, single);
    cr_assert_eq(single->st, OGEM_OK, "%s", single->err);
    double want[R * N * D];
    memcpy(want, single->means, sizeof want);

    job stop = proto;
    stop.stop_at = 3;
    run_ranks(&stop, 2, ranks);
    cr_assert_eq(ranks[0].st, OGEM_OK, "%s", ranks[0].err);
    ogem_checkpoint ck = ranks[0].ck;
    cr_expect_eq(memcmp(ranks[0].ck.means, ranks[1].ck.means, sizeof want), 0, "ranks captured different states");
    ogem_checkpoint_free(&ranks[1].ck);

    job cont = proto;
    cont.resume = &ck;
    for (int P = 0; P <= 3; P += 3) {
        run_ranks(&cont, P, ranks);
        for (int p = 0; p < (P ? P : 1); p++) {
            cr_assert_eq(ranks[p].st, OGEM_OK, "%s", ranks[p].err);
            cr_expect_eq(memcmp(ranks[p].means, want, sizeof want), 0, "resumed at P=%d rank %d differs", P, p);
            cr_expect_eq(memcmp(ranks[p].weights, single->weights, sizeof single->weights), 0,
                         "resumed at P=%d rank %d: weights differ", P, p);
            cr_expect_eq(memcmp(ranks[p].met[STEPS - 1], single->met[STEPS - 1], sizeof single->met[0]), 0,
                         "last step's metrics differ at P=%d", P);
        }
    }
    ogem_checkpoint_free(&ck);
}

Test(partition, checkpoint_resumes_at_another_P)
{
    resume_at_another_P(proto_for(OGEM_EST_QMC, 128));
}

/* The learned weights are part of the state a checkpoint carries. */
Test(partition, learned_weights_resume_at_another_P)
{
    static const double tw[2] = {0.4, 0.6}, tm[2 * D] = {1.5, 0, 0, -1.0, 0.5, 0};
    job proto = proto_for(OGEM_EST_MC, 256);
    proto.set.truth_components = 2; proto.set.truth_weights = tw; proto.set.truth_means = tm;
    proto.set.learn_weights = 1;
    resume_at_another_P(proto);
}

/* What ranks other than 0 write: nothing. Under ogem_outdir_discard an
 * output directory is a sink, so the code that writes outputs runs unchanged
 * and the directory is never even created. */
Test(partition, discarded_outdir_touches_no_file_system)
{
    char dir[] = "/tmp/ogem-sink-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char target[64];
    snprintf(target, sizeof target, "%s/sub", dir);
    char msg[256] = "";
    ogem_outdir_discard(1);
    ogem_outdir *o = ogem_outdir_open(target, msg, sizeof msg);
    cr_assert_not_null(o, "%s", msg);
    FILE *f = ogem_outdir_create(o, "a.csv", msg, sizeof msg);
    cr_assert_not_null(f, "%s", msg);
    cr_expect_gt(fprintf(f, "x,y\n1,2\n"), 0);
    cr_expect_eq(ogem_outdir_commit(o, msg, sizeof msg), 0, "%s", msg);
    ogem_outdir_discard(0);
    struct stat st;
    cr_expect_neq(stat(target, &st), 0, "the sink created %s", target);
    /* And an ordinary directory again afterwards. */
    o = ogem_outdir_open(target, msg, sizeof msg);
    cr_assert_not_null(o, "%s", msg);
    f = ogem_outdir_create(o, "a.csv", msg, sizeof msg);
    cr_assert_not_null(f, "%s", msg);
    fputs("x\n", f);
    cr_expect_eq(ogem_outdir_commit(o, msg, sizeof msg), 0, "%s", msg);
    char file[96];
    snprintf(file, sizeof file, "%s/a.csv", target);
    cr_expect_eq(stat(file, &st), 0, "no a.csv after a real commit");
    unlink(file);
    rmdir(target);
    rmdir(dir);
}
