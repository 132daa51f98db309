#!/usr/bin/env bash
# run_emu.sh - build the CUDA backend as host C++ against the emulator
# (emu_pre.h, emu_rt.cpp) and run the GPU test suite (tests/test_gpu.c) on it.
# For machines without a GPU: it checks the kernels' logic, indexing and
# barriers, not their speed or device rounding.
#
#   tools/cuda_emu/run_emu.sh [asan|tsan|plain] [criterion args...]
#   tools/cuda_emu/run_emu.sh [asan|tsan|plain] bench [bench_gpu args, e.g. --sanitize]
#
# asan (default): AddressSanitizer + UBSan, the analogue of compute-sanitizer
# memcheck; tsan: ThreadSanitizer over the emulated threads of each block, the
# analogue of racecheck (both run each CUDA thread as an OS thread); plain: no
# sanitizer, each CUDA thread a fiber (tens of times faster: what CI runs). Criterion cannot start under ThreadSanitizer (its
# arena mapping collides), so use `tsan bench --sanitize` (every estimator,
# precision and path, without Criterion).
#
# What is compiled comes from CMakeLists.txt (OGEM_CUDA_EMU=ON, OGEM_SANITIZE):
# this script only configures a build directory ($OGEM_EMU_BUILD, default
# /tmp/ogem-emu-MODE), builds one target (ogem_emu_tests, or bench_gpu) with
# $OGEM_EMU_JOBS jobs (default: all cores) and runs it, with $OGEM_CMAKE
# (default: cmake on PATH). tools/emu_ci.sh is what CI runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mode=${1:-asan}
[ $# -gt 0 ] && shift
case "$mode" in
  asan|tsan) san=$mode ;;
  plain) san= ;;
  *) echo "usage: $0 [asan|tsan|plain] [bench] [args...]" >&2; exit 2 ;;
esac
target=ogem_emu_tests
if [ "${1:-}" = bench ]; then
  shift
  target=bench_gpu
fi
out=${OGEM_EMU_BUILD:-/tmp/ogem-emu-$mode}
cm=${OGEM_CMAKE:-cmake}
"$cm" -S "$root" -B "$out" -DOGEM_CUDA=OFF -DOGEM_CUDA_EMU=ON -DOGEM_SANITIZE="$san" -DOGEM_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
"$cm" --build "$out" --target "$target" -j "${OGEM_EMU_JOBS:-$(nproc)}" >&2
echo "built $out/$target" >&2
exec "$out/$target" "$@"
