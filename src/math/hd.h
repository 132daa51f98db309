/*
 * hd.h - OGEM_HD, the storage class of every function compiled both as C11
 * (the CPU backend, tests, benchmarks) and as CUDA device code: static inline
 * for C, and __host__ __device__ in addition under nvcc. Functions declared
 * with it are written once and compiled by both backends, so the two cannot
 * drift apart.
 */
#ifndef OGEM_HD_H
#define OGEM_HD_H

#ifdef __CUDACC__
#define OGEM_HD static inline __host__ __device__
#else
#define OGEM_HD static inline
#endif

#endif /* OGEM_HD_H */
