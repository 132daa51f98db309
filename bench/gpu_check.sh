#!/usr/bin/env bash
# gpu_check.sh - every GPU check of issue 3, in one run on a lent H200, in
# under 8 minutes (a time budget skips what would not fit):
#
#   1. configure (-DCMAKE_CUDA_ARCHITECTURES=90, warnings as errors) and build
#   2. ogem info (devices, build settings)
#   3. the GPU tests: ogem_tests --filter 'gpu*/*' (GPU vs CPU backends and
#      solvers, bitwise samples, determinism, ...), and 'compare/*'
#   4. compute-sanitizer memcheck and racecheck on small `ogem run --device gpu`
#      runs (fused and gemm paths) and memcheck on bench_gpu --sanitize (every
#      estimator, precision and path)
#   5. a CPU run and a GPU run of one config, checked with `ogem compare`
#   6. the benchmark: bench_gpu (SCI/s, % of FP32 FMA peak) and the PyTorch
#      baseline bench/torch_step.py (same batched step, CUDA events)
#   7. a short table, printed last (also summary.txt)
#
# Logs go to $OUT (if set, else ./gpu-check-out): env.log build.log tests.log
# sanitizer.log compare.log bench.log summary.txt (7 files: the device tool
# returns at most 8).
#
# On the device machine (its CUDA image lacks Criterion and GSL), run
# bench/gpu_check_deps.sh here first and carry .gpucheck-deps:
#   device run: command "bash bench/gpu_check.sh", carry [".gpucheck-deps"], timeout_s 540
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
BUILD=${OGEM_GPU_BUILD:-$root/build-gpucheck}
DEPS=${OGEM_GPU_DEPS:-$root/.gpucheck-deps}
BUDGET=${OGEM_GPU_BUDGET:-465}   # seconds for everything, table included
JOBS=${OGEM_GPU_JOBS:-$(nproc 2>/dev/null || echo 8)}
t0=$(date +%s)
summary=()
ogem_build_ok=0

log() { echo "[$(($(date +%s) - t0))s] $*" >&2; }
left() { echo $((BUDGET - ($(date +%s) - t0))); }
note() { summary+=("$1|$2"); }

# run_to LOGFILE LIMIT CMD...: appends to LOGFILE, limited to LIMIT s and to
# the budget; returns the command's status (124: out of time, 99: skipped).
run_to() {
  local file=$1 limit=$2
  shift 2
  local l
  l=$(left)
  if [ "$l" -lt 15 ]; then
    echo "### SKIPPED (time budget): $*" >> "$OUT/$file"
    return 99
  fi
  [ "$limit" -gt "$l" ] && limit=$l
  echo "### $* (limit ${limit}s)" >> "$OUT/$file"
  local s rc
  s=$(date +%s)
  timeout --kill-after=5 "$limit" "$@" >> "$OUT/$file" 2>&1
  rc=$?
  echo "### exit $rc after $(($(date +%s) - s))s" >> "$OUT/$file"
  return $rc
}

status_word() { case $1 in 0) echo PASS ;; 99) echo "SKIPPED (time budget)" ;; 124|137) echo "TIMEOUT" ;; *) echo "FAIL (exit $1)" ;; esac; }

# ---- 0. environment ---------------------------------------------------------------
: > "$OUT/env.log"
{
  date -u
  uname -a
  nvidia-smi 2>&1 || echo "nvidia-smi: not available"
  nvcc --version 2>&1 | tail -2
  cmake --version 2>&1 | head -1
  command -v compute-sanitizer >/dev/null && compute-sanitizer --version 2>&1 | head -2 || echo "compute-sanitizer: not on PATH"
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2>&1 | tail -1
} >> "$OUT/env.log" 2>&1
SAN=$(command -v compute-sanitizer || true)
[ -z "$SAN" ] && [ -x /usr/local/cuda/bin/compute-sanitizer ] && SAN=/usr/local/cuda/bin/compute-sanitizer

# ---- 1. configure and build ---------------------------------------------------------
: > "$OUT/build.log"
cmake_extra=()
if [ -d "$DEPS" ]; then
  export CPATH="$DEPS/include${CPATH:+:$CPATH}"
  export LIBRARY_PATH="$DEPS/lib${LIBRARY_PATH:+:$LIBRARY_PATH}"
  cmake_extra+=("-DCMAKE_LIBRARY_PATH=$DEPS/lib")
  export LD_LIBRARY_PATH="$DEPS/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
gen=()
[ ! -f "$BUILD/CMakeCache.txt" ] && command -v ninja >/dev/null && gen=(-G Ninja)
log "configure + build ($JOBS jobs)"
tests_built=1
run_to build.log 120 cmake -S "$root" -B "$BUILD" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DOGEM_CUDA=ON -DOGEM_WERROR=ON -DOGEM_TESTS=ON "${cmake_extra[@]}"
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 99 ]; then
  log "configure failed; retrying without the Criterion tests"
  tests_built=0
  run_to build.log 120 cmake -S "$root" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DOGEM_CUDA=ON -DOGEM_WERROR=ON -DOGEM_TESTS=OFF
  rc=$?
fi
werror_note=""
if [ $rc -eq 0 ]; then
  run_to build.log 300 cmake --build "$BUILD" -j "$JOBS"
  rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 99 ] && [ $rc -ne 124 ]; then
    # another compiler may warn where ours does not: salvage the run without -Werror
    log "build failed with -Werror; retrying without it"
    werror_note=", only WITHOUT -Werror (see build.log)"
    run_to build.log 30 cmake -S "$root" -B "$BUILD" -DOGEM_WERROR=OFF &&
      run_to build.log 240 cmake --build "$BUILD" -j "$JOBS"
    rc=$?
  fi
fi
[ $rc -eq 0 ] && ogem_build_ok=1
note "build (sm_90, -Werror)" "$(status_word $rc)${werror_note}$([ $tests_built -eq 0 ] && echo ', tests not built: Criterion/GSL missing')"
OGEM="$BUILD/ogem"

# ---- 2. info --------------------------------------------------------------------------
if [ $ogem_build_ok -eq 1 ]; then
  run_to env.log 30 "$OGEM" info
  note "ogem info" "$(status_word $?)"
fi

# ---- 3. GPU tests ---------------------------------------------------------------------
: > "$OUT/tests.log"
if [ $ogem_build_ok -eq 1 ] && [ -x "$BUILD/ogem_tests" ]; then
  log "GPU tests"
  run_to tests.log 200 "$BUILD/ogem_tests" --filter 'gpu*/*' -j4 --verbose
  rc=$?
  syn=$(grep -a 'Synthesis' "$OUT/tests.log" | tail -1 | sed 's/.*Synthesis: //')
  skips=$(grep -ac 'SKIP.*no GPU' "$OUT/tests.log")
  note "GPU tests (gpu*/*)" "$(status_word $rc): ${syn:-no synthesis line}| skipped for no GPU: $skips"
  run_to tests.log 60 "$BUILD/ogem_tests" --filter 'compare/*' -j4
  rc=$?
  syn=$(grep -a 'Synthesis' "$OUT/tests.log" | tail -1 | sed 's/.*Synthesis: //')
  note "compare tests" "$(status_word $rc): ${syn:-no synthesis line}"
else
  note "GPU tests" "NOT RUN (no ogem_tests binary)"
fi

# ---- 4. compute-sanitizer -------------------------------------------------------------
: > "$OUT/sanitizer.log"
work=$(mktemp -d)
small=(--dim 4 --components 3 --inits 4 --steps 3 --estimator mc:2000 --seed 5 --quiet)
if [ $ogem_build_ok -eq 1 ] && [ -n "$SAN" ]; then
  log "compute-sanitizer"
  san_all=0
  for spec in "memcheck fused double" "memcheck gemm float" "racecheck fused double" "racecheck gemm double" \
              "racecheck fused float"; do
    set -- $spec
    run_to sanitizer.log 60 "$SAN" --tool "$1" --error-exitcode 3 "$OGEM" run "${small[@]}" --device gpu \
      --gpu-path "$2" --precision "$3" --out "$work/san-$1-$2-$3"
    rc=$?
    note "sanitizer $1, ogem run ($2, $3)" "$(status_word $rc)"
    [ $rc -ne 0 ] && san_all=1
  done
  run_to sanitizer.log 90 "$SAN" --tool memcheck --error-exitcode 3 "$BUILD/bench_gpu" --sanitize
  note "sanitizer memcheck, every estimator/path" "$(status_word $?)"
  grep -a "ERROR SUMMARY\|RACECHECK SUMMARY" "$OUT/sanitizer.log" | sort | uniq -c >> "$OUT/sanitizer.log"
else
  note "compute-sanitizer" "NOT RUN ($([ -z "$SAN" ] && echo 'not installed' || echo 'no build'))"
fi

# ---- 5. CPU run vs GPU run: ogem compare --------------------------------------------------
: > "$OUT/compare.log"
if [ $ogem_build_ok -eq 1 ]; then
  log "CPU vs GPU runs"
  cfg=(--dim 3 --components 3 --inits 16 --steps 20 --estimator mc:4096 --seed 11 --quiet)
  run_to compare.log 60 "$OGEM" run "${cfg[@]}" --device cpu --out "$work/cpu"
  run_to compare.log 60 "$OGEM" run "${cfg[@]}" --device gpu --out "$work/gpu"
  run_to compare.log 30 "$OGEM" compare "$work/cpu" "$work/gpu" --rtol 1e-9 --atol 1e-12
  note "ogem compare, CPU vs GPU double (rtol 1e-9)" "$(status_word $?)"
  run_to compare.log 60 "$OGEM" run "${cfg[@]}" --device gpu --precision float --out "$work/gpuf"
  run_to compare.log 30 "$OGEM" compare "$work/cpu" "$work/gpuf" --rtol 1e-3 --atol 1e-5
  note "ogem compare, CPU vs GPU float (rtol 1e-3)" "$(status_word $?)"
  cfg2=(--dim 96 --components 4 --inits 8 --steps 10 --estimator fixed:3000 --algo em --seed 12 --quiet)
  run_to compare.log 60 "$OGEM" run "${cfg2[@]}" --device cpu --out "$work/cpu2"
  run_to compare.log 60 "$OGEM" run "${cfg2[@]}" --device gpu --out "$work/gpu2"
  run_to compare.log 30 "$OGEM" compare "$work/cpu2" "$work/gpu2" --rtol 1e-9 --atol 1e-12
  note "ogem compare, CPU vs GPU em d=96 (gemm path)" "$(status_word $?)"
fi

# ---- 6. benchmark -----------------------------------------------------------------------
: > "$OUT/bench.log"
if [ $ogem_build_ok -eq 1 ]; then
  log "benchmark"
  run_to bench.log 150 "$BUILD/bench_gpu"
  note "bench_gpu" "$(status_word $?)"
fi
if python3 -c 'import torch' >/dev/null 2>&1; then
  run_to bench.log 100 env PYTHONUNBUFFERED=1 python3 "$root/bench/torch_step.py"
  note "PyTorch baseline" "$(status_word $?)"
else
  note "PyTorch baseline" "NOT RUN (no torch)"
fi
rm -rf "$work"

# ---- 7. the table -------------------------------------------------------------------------
{
  echo "ogem GPU check, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1), $(($(date +%s) - t0)) s"
  echo
  printf '%-46s %s\n' "check" "result"
  for s in "${summary[@]}"; do printf '%-46s %s\n' "${s%%|*}" "${s#*|}"; done
  echo
  awk -F, '
    /^RESULT,ogem,/  { n=$3; o_name[++no]=n; o_prec[n]=$4; o_path[n]=$5; o_dims[n]="n=" $6 " d=" $7 " R=" $8 " N=" $9; o_sec[n]=$10; o_sci[n]=$11; o_pct[n]=$12 }
    /^RESULT,torch,/ { t_sec[$3]=$10; t_sci[$3]=$11 }
    END {
      if (no == 0) { print "no benchmark rows"; exit }
      printf "%-18s %-6s %-5s %-26s %10s %11s %7s %10s %8s\n", "row", "prec", "path", "size", "ms/step", "SCI/s", "%FP32", "torch ms", "speedup"
      for (k = 1; k <= no; k++) {
        n = o_name[k]; key = n; sub(/-(fused|gemm)$/, "", key)
        tm = (key in t_sec) ? sprintf("%.3f", 1e3 * t_sec[key]) : "-"
        sp = (key in t_sec) ? sprintf("%.2fx", t_sec[key] / o_sec[n]) : "-"
        printf "%-18s %-6s %-5s %-26s %10.3f %11.3e %6.1f%% %10s %8s\n", n, o_prec[n], o_path[n], o_dims[n], 1e3 * o_sec[n], o_sci[n], o_pct[n], tm, sp
      }
      print ""
      print "targets (issue 3): small-float >= 3x torch and >= 40% FP32 peak; small-double >= 1.5x torch float64;"
      print "d256 gemm >= 1x torch. FLOPs counted: 4 d per SCI (4 n d per sample and init)."
    }' "$OUT/bench.log"
} > "$OUT/summary.txt"
cat "$OUT/summary.txt"
