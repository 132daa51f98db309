/*
 * emu_inject.h - failure injection into the emulated CUDA runtime and cuBLAS
 * (tools/cuda_emu/emu_rt.cpp), for tests of the GPU backend's error paths.
 * Only the emulated build (OGEM_CUDA_EMU) has it.
 */
#ifndef OGEM_EMU_INJECT_H
#define OGEM_EMU_INJECT_H

#ifdef __cplusplus
extern "C" {
#endif

/* Makes one call of the function `name` fail: the first one after `skip`
 * others. Names: "cudaMalloc", "cudaMallocHost", "cublasCreate", "cublasSetStream",
 * "cublasSetWorkspace", "cublasSetMathMode", "cublasSetAtomicsMode".
 * NULL cancels a pending injection. */
void emu_inject_failure(const char *name, int skip);

#ifdef __cplusplus
}
#endif

#endif /* OGEM_EMU_INJECT_H */
