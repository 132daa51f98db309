#!/usr/bin/env bash
# CPU benchmark: the ogem CPU backend against the NumPy peer, measured in the
# same run, same sizes, double precision. Usage: bench/cpu_bench.sh [BUILD_DIR]
# Prints each figure and the ratio ogem / numpy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
sizes=${OGEM_BENCH_SIZES:-"5 10 64 8192"}
[ -x "$build/bench_cpu" ] || { echo "cpu_bench: $build/bench_cpu not built (cmake --build $build)" >&2; exit 2; }
python3 -c 'import numpy' 2>/dev/null || python3 -m pip install -q numpy >/dev/null 2>&1 || true
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) cores"
ours=$("$build/bench_cpu" $sizes)
echo "$ours"
if peer=$(python3 "$here/numpy_step.py" $sizes 2>/dev/null); then
  echo "$peer"
  a=${ours##*sci_per_s=}; b=${peer##*sci_per_s=}
  python3 -c "print(f'ratio ogem/numpy = {float(\"$a\")/float(\"$b\"):.2f}')"
else
  echo "numpy peer unavailable (pip install numpy); no ratio"
fi
