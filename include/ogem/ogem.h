/*
 * ogem.h - public C API of ogem, a solver for gradient EM on over-parameterized
 * Gaussian mixtures.
 *
 * Ground truth N(mu*, I_d); model sum_i pi_i N(mu_i, I_d) with fixed weights pi_i.
 * A solver handle owns a batch of R initializations (an R x n x d array of means,
 * row-major: mu[(r * n + i) * d + k]) and advances all of them together.
 *
 * Conventions (after cuBLAS and GSL): every function returns an ogem_status;
 * the library never prints and never exits; the last error message of a handle
 * is available from ogem_solver_error().
 *
 * This header includes the whole API, split by concern: ogem/solver.h (status,
 * settings, the solver, initializations), ogem/escape.h (escape runs and their
 * statistics), ogem/checkpoint.h, ogem/gpu.h (capabilities of the GPU backend),
 * ogem/partition.h (one batch on several cooperating processes, e.g. MPI ranks).
 */
#ifndef OGEM_OGEM_H
#define OGEM_OGEM_H

#include "ogem/solver.h"
#include "ogem/escape.h"
#include "ogem/checkpoint.h"
#include "ogem/gpu.h"
#include "ogem/partition.h"

#endif /* OGEM_OGEM_H */
