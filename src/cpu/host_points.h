/* host_points.h - the CPU backend's point sets, drawn with cuRAND's host
 * generators exactly as backend.h prescribes (so the GPU draws the same). */
#ifndef OGEM_HOST_POINTS_H
#define OGEM_HOST_POINTS_H

#include <curand.h>
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
    double *draw;            /* mc: one group's normals                   */
    size_t draw_len;         /* mc: values in draw                        */
    unsigned long long *sobol; /* qmc: K x N raw Sobol integers          */
    curandGenerator_t gen;   /* mc only                                   */
    long group_steps;        /* mc: steps per draw (backend.h)            */
    long group;              /* mc: the group held in draw (-1: none)     */
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
