/* host_points.h - the CPU backend's point sets, exactly as backend.h
 * prescribes (so the GPU draws the same): mc and fixed normals computed as
 * cuRAND's host Philox generator would return them (philox_normal.h), qmc
 * from cuRAND's host Sobol generator. */
#ifndef OGEM_HOST_POINTS_H
#define OGEM_HOST_POINTS_H

#include "core/backend.h"

typedef struct ogem_host_points {
    ogem_estimator kind;
    long N;
    int K;
    size_t nk;               /* N * K, formed once with checked arithmetic */
    uint64_t seed;
    double *p;               /* N x K row-major: the canonical layout      */
    double *pt;              /* K x N: the same points dimension-major,
                                the layout the kernel streams through     */
    unsigned long long *sobol; /* qmc: K x N raw Sobol integers          */
    long group_steps;        /* mc: steps per draw (backend.h)            */
    int threads;             /* OpenMP threads drawing and transposing
                                (spec->threads, 0: OpenMP's default)     */
    long current_step;       /* step whose points p holds (-1: none)      */
} ogem_host_points;

/* Host bytes ogem_host_points_init allocates for spec (the largest it holds
 * at once), saturating at SIZE_MAX (checked.h); ogem_solver_create compares
 * it with the memory budget before anything is allocated. */
size_t ogem_host_points_bytes(const ogem_point_spec *spec);
ogem_status ogem_host_points_init(ogem_host_points *hp, const ogem_point_spec *spec, char *msg, size_t len);
ogem_status ogem_host_points_prepare(ogem_host_points *hp, long step, char *msg, size_t len);
void ogem_host_points_free(ogem_host_points *hp);

#endif
