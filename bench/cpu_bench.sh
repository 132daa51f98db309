#!/usr/bin/env bash
# CPU benchmark: the ogem CPU backend against the NumPy peer, measured in the
# same run, same sizes, double precision, sampling included.
# Usage: bench/cpu_bench.sh [BUILD_DIR]
# For each size "n d R N" (OGEM_BENCH_SIZES: sizes separated by ';') it prints
# ogem's SCI/s (sample x component x init updates per second, best of three),
# NumPy's, their ratio, and the instructions ogem executes per SCI over three
# steps on one thread: wall-clock on a shared machine is noisy, the
# instruction count is not, so a regression shows in one run. The count comes
# from `perf stat -e instructions` on BUILD_DIR's bench_cpu where the CPU
# exposes the counter; else from callgrind (valgrind), which cannot decode
# AVX-512, on a second build of bench_cpu for x86-64-v3 (AVX2, FMA) in
# OGEM_BENCH_CG_BUILD (default BUILD_DIR-cg), at N = OGEM_BENCH_CG_N (2048),
# less for large n R (about 2^20 SCI per step, at least 256 points).
# OGEM_BENCH_BASE_SRC=DIR adds the count of another source tree (an older
# kernel; its counting build goes to DIR/build-cg) per row; OGEM_BENCH_CG=0
# skips the counts.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
sizes=${OGEM_BENCH_SIZES:-"5 10 64 8192;10 256 16 8192;2 2 1024 8192"}
cg_n=${OGEM_BENCH_CG_N:-2048}
[ -x "$build/bench_cpu" ] || { echo "cpu_bench: $build/bench_cpu not built (cmake --build $build)" >&2; exit 2; }
python3 -c 'import numpy' 2>/dev/null || python3 -m pip install -q numpy >/dev/null 2>&1 || true
have_numpy=1; python3 -c 'import numpy' 2>/dev/null || have_numpy=0
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores; precision double"
if [ "$have_numpy" = 1 ]; then
  python3 -c 'import numpy as np; print("numpy peer: NumPy", np.__version__, "from", np.__file__.rsplit("/", 2)[0])'
else
  echo "numpy peer unavailable (python3 -m pip install numpy); no ratio"
fi

# How instructions are counted: perf, callgrind or none.
counter=none
if [ "${OGEM_BENCH_CG:-1}" != 0 ]; then
  if perf stat -x, -e instructions:u true 2>&1 >/dev/null | grep -q '^[0-9]'; then
    counter=perf
  elif command -v valgrind >/dev/null; then
    counter=callgrind
  fi
fi

# A bench_cpu that valgrind can run: source tree $1, build dir $2.
cg_build() {
  cmake -S "$1" -B "$2" -DOGEM_CUDA=OFF -DOGEM_TESTS=OFF -DOGEM_NATIVE=OFF -DCMAKE_C_FLAGS=-march=x86-64-v3 \
    >/dev/null && cmake --build "$2" -j "$(nproc)" --target bench_cpu >/dev/null
}

# Instructions of one bench_cpu run (binary $1, arguments after).
count_run() {
  local bin=$1; shift
  if [ "$counter" = perf ]; then
    perf stat -x, -e instructions:u "$bin" "$@" 2>&1 >/dev/null | awk -F, '/instructions/ { print $1 }'
  else
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$@" 2>&1 >/dev/null |
      sed -n 's/.*Collected : *\([0-9]*\).*/\1/p'
  fi
}

# Instructions bench_cpu ($1) executes per SCI at size n d R, N = $5: it runs
# one warm-up step and three timed repetitions of `steps` steps, so steps=2
# minus steps=1 is exactly three steps, set-up excluded.
instr_per_sci() {
  local bin=$1 n=$2 d=$3 R=$4 N=$5 ir1 ir2
  ir1=$(count_run "$bin" "$n" "$d" "$R" "$N" 1 1)
  ir2=$(count_run "$bin" "$n" "$d" "$R" "$N" 2 1)
  python3 -c "print(f'{($ir2 - $ir1) / (3.0 * $N * $n * $R):.1f}')"
}

cg_bin=$build/bench_cpu base_bin= count_n=
case $counter in
  perf) echo "instructions: perf stat, this build, full N" ;;
  callgrind)
    cg_dir=${OGEM_BENCH_CG_BUILD:-$build-cg}
    cg_build "$here/.." "$cg_dir" || { echo "cpu_bench: counting build in $cg_dir failed" >&2; exit 2; }
    cg_bin=$cg_dir/bench_cpu count_n=$cg_n
    echo "instructions: callgrind, x86-64-v3 build ($cg_dir), N <= $cg_n" ;;
  none) echo "no instruction counts (no perf counter and no valgrind, or OGEM_BENCH_CG=0)" ;;
esac
if [ "$counter" != none ] && [ -n "${OGEM_BENCH_BASE_SRC:-}" ]; then
  base_bin=$OGEM_BENCH_BASE_SRC/build/bench_cpu
  if [ "$counter" = callgrind ]; then
    cg_build "$OGEM_BENCH_BASE_SRC" "$OGEM_BENCH_BASE_SRC/build-cg" || { echo "cpu_bench: base build failed" >&2; exit 2; }
    base_bin=$OGEM_BENCH_BASE_SRC/build-cg/bench_cpu
  fi
fi

printf '%-24s %12s %12s %8s %10s%s\n' "size (n d R N)" "ogem SCI/s" "numpy SCI/s" "ratio" "instr/SCI" \
  "${base_bin:+  base instr/SCI}"
IFS=';' read -ra rows <<<"$sizes"
for row in "${rows[@]}"; do
  read -r n d R N <<<"$row"
  ours=$("$build/bench_cpu" "$n" "$d" "$R" "$N"); a=${ours##*sci_per_s=}
  b=-; ratio=-; ipc=-; base=
  if [ "$have_numpy" = 1 ] && peer=$(python3 "$here/numpy_step.py" "$n" "$d" "$R" "$N" 2>/dev/null); then
    b=${peer##*sci_per_s=}
    ratio=$(python3 -c "print(f'{float(\"$a\") / float(\"$b\"):.2f}x')")
  fi
  if [ "$counter" != none ]; then
    cn=$N
    if [ -n "$count_n" ]; then
      cn=$(( (1 << 20) / (n * R) / 256 * 256 ))
      cn=$(( cn < 256 ? 256 : cn > count_n ? count_n : cn ))
    fi
    ipc=$(instr_per_sci "$cg_bin" "$n" "$d" "$R" "$cn")
    [ -z "$base_bin" ] || base="  $(instr_per_sci "$base_bin" "$n" "$d" "$R" "$cn")"
  fi
  printf '%-24s %12s %12s %8s %10s%s\n' "$n $d $R $N" "$a" "$b" "$ratio" "$ipc" "$base"
done
