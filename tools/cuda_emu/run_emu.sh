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
# analogue of racecheck. Criterion cannot start under ThreadSanitizer (its
# arena mapping collides), so use `tsan bench --sanitize` (every estimator,
# precision and path, without Criterion).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mode=${1:-asan}
[ $# -gt 0 ] && shift
out=${OGEM_EMU_BUILD:-/tmp/ogem-emu-$mode}
cuda=${CUDA_HOME:-/usr/local/cuda}
mkdir -p "$out"
case "$mode" in
  asan) san="-fsanitize=address,undefined -fno-omit-frame-pointer" ;;
  tsan) san="-fsanitize=thread" ;;
  plain) san="" ;;
  *) echo "usage: $0 [asan|tsan|plain] [criterion args]" >&2; exit 2 ;;
esac
inc="-I$root/include -I$root/src -I$cuda/include"
cflags="-O1 -g $san -std=c11 -D_POSIX_C_SOURCE=200809L -fopenmp $inc -DOGEM_VERSION_STRING=\"emu\""
cxxflags="-O1 -g $san -std=c++17 -x c++ -include $here/emu_pre.h $inc -Wno-unknown-pragmas"
objs=()
for f in "$root"/cuda/*.cu; do
  o="$out/$(basename "$f" .cu).cu.o"
  g++ $cxxflags -c "$f" -o "$o"
  objs+=("$o")
done
g++ -O1 -g $san -std=c++17 -I"$cuda/include" -c "$here/emu_rt.cpp" -o "$out/emu_rt.o"
objs+=("$out/emu_rt.o")
for f in "$root"/src/core/*.c "$root"/src/cpu/*.c "$root"/src/util/*.c; do
  case "$(basename "$f")" in backend_gpu_stub.c) continue ;; esac
  o="$out/$(basename "$f" .c).o"
  gcc $cflags -c "$f" -o "$o"
  objs+=("$o")
done
if [ "${1:-}" = bench ]; then
  shift
  gcc $cflags -DOGEM_HAVE_CUDA=1 -c "$root/bench/bench_gpu.c" -o "$out/bench_gpu.o"
  g++ $san -fopenmp "${objs[@]}" "$out/bench_gpu.o" -L"$cuda/lib64" -Wl,-rpath,"$cuda/lib64" -lcurand -lm \
    -o "$out/bench_gpu_emu"
  echo "built $out/bench_gpu_emu" >&2
  exec "$out/bench_gpu_emu" "$@"
fi
gcc $cflags -DOGEM_HAVE_CUDA=1 -I"$root/tests" -DOGEM_SOURCE_DIR="\"$root\"" -DOGEM_CLI_PATH="\"/nonexistent\"" \
  -c "$root/tests/test_gpu.c" -o "$out/test_gpu.o"
objs+=("$out/test_gpu.o")
g++ $san -fopenmp "${objs[@]}" -L"$cuda/lib64" -Wl,-rpath,"$cuda/lib64" -lcurand -lcriterion -lgsl -lgslcblas -lm \
  -o "$out/ogem_emu_tests"
echo "built $out/ogem_emu_tests" >&2
exec "$out/ogem_emu_tests" "$@"
