#!/usr/bin/env bash
# gpu_check.sh - every GPU check of issue 10, in one prepared run on a lent
# H200, in under 8 minutes (each stage has a time limit, and a budget for the
# whole run skips what would not fit; stages in order of value):
#
#   stage                                                      limit (s)
#   0. a GPU must be present (else: a clear message, exit 3)         5
#   1. configure (-DCMAKE_CUDA_ARCHITECTURES=90, -Werror) and build  40 + 200
#   2. ogem info (devices, build settings)                          15
#   3. the GPU tests: ogem_tests --filter 'gpu*/*' (GPU vs CPU,      90
#      bitwise samples: device generator == host generator,
#      determinism, active-set independence, ...), 'compare/*'      30
#   4. the benchmark: bench_gpu (SCI/s, % of FP32 FMA peak)          90
#      and PyTorch on the same steps (bench/torch_step.py)           75
#   5. a CPU run and a GPU run of three configs, `ogem compare`      3 x (20 + 20 + 10)
#   6. compute-sanitizer memcheck and racecheck on bench_gpu        2 x 75
#      --sanitize (every estimator, precision and path)
#   7. `ogem paper` with its defaults on the GPU, timed (target 60)  90
#   8. the table: every check, the ratios against PyTorch and the targets
#
# The limits are caps: expected times on an H200 add up to about 6.5 minutes;
# the budget (OGEM_GPU_BUDGET, 465 s) stops the run in time if they do not.
# Logs go to $OUT if set (the device tool returns that folder), else to
# ./gpu-check-out (created only once a GPU is found): env.log build.log tests.log bench.log compare.log
# sanitizer.log paper.log summary.txt (8 files: the most the device tool
# returns). Copy summary.txt's figures into bench/RESULTS.md with the date,
# the device and the precision of each row.
#
# On the device machine (its CUDA image lacks Criterion and GSL), run
# bench/gpu_check_deps.sh here first and carry .gpucheck-deps:
#   device run: command "bash bench/gpu_check.sh", carry [".gpucheck-deps"], timeout_s 540
#   bash bench/gpu_check.sh --plan    prints the stages and limits, runs nothing
set -u
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ "${1:-}" = --plan ]; then
  sed -n '/^#   stage/,/^#   8\./p' "${BASH_SOURCE[0]}" | sed 's/^# //'
  exit 0
fi
[ $# -eq 0 ] || { echo "usage: bench/gpu_check.sh [--plan]" >&2; exit 2; }
OUT=${OUT:-$PWD/gpu-check-out}
BUILD=${OGEM_GPU_BUILD:-$root/build-gpucheck}
DEPS=${OGEM_GPU_DEPS:-$root/.gpucheck-deps}
BUDGET=${OGEM_GPU_BUDGET:-465}   # seconds for everything, table included (8 min = 480)
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

status_word() {
  case $1 in
    0) echo PASS ;;
    99) echo "SKIPPED (time budget)" ;;
    124 | 137) echo "TIMEOUT" ;;
    *) echo "FAIL (exit $1)" ;;
  esac
}

# Criterion's synthesis line of the last run in a log, and one test's verdict.
synthesis() { grep -a 'Synthesis' "$OUT/$1" | tail -1 | sed 's/.*Synthesis: //'; }
verdict() {
  local v
  v=$(grep -a -o "^\[\(PASS\|FAIL\|SKIP\)\] gpu::$2\b" "$OUT/$1" | tail -1 | cut -c2-5)
  echo "${v:-not run}"
}

# ---- 0. a GPU, or nothing to do ------------------------------------------------------
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L 2>/dev/null | grep -q '^GPU '; then
  echo "gpu_check: no NVIDIA GPU on this machine (nvidia-smi lists none): nothing to check." >&2
  echo "gpu_check: without a GPU, run the emulated suite instead: tools/emu_ci.sh" >&2
  exit 3
fi
mkdir -p "$OUT"
: > "$OUT/env.log"
{
  date -u
  uname -a
  nvidia-smi 2>&1
  nvcc --version 2>&1 | tail -2
  cmake --version 2>&1 | head -1
  command -v compute-sanitizer >/dev/null && compute-sanitizer --version 2>&1 | head -2 || echo "compute-sanitizer: not on PATH"
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2>&1 | tail -1
} >> "$OUT/env.log" 2>&1
SAN=$(command -v compute-sanitizer || true)
[ -z "$SAN" ] && [ -x /usr/local/cuda/bin/compute-sanitizer ] && SAN=/usr/local/cuda/bin/compute-sanitizer
gpu_name=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)

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
run_to build.log 40 cmake -S "$root" -B "$BUILD" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CUDA_ARCHITECTURES=90 -DOGEM_CUDA=ON -DOGEM_WERROR=ON -DOGEM_TESTS=ON "${cmake_extra[@]}"
rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 99 ]; then
  log "configure failed; retrying without the Criterion tests"
  tests_built=0
  run_to build.log 40 cmake -S "$root" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DOGEM_CUDA=ON -DOGEM_WERROR=ON -DOGEM_TESTS=OFF
  rc=$?
fi
werror_note=""
if [ $rc -eq 0 ]; then
  run_to build.log 200 cmake --build "$BUILD" -j "$JOBS"
  rc=$?
  if [ $rc -ne 0 ] && [ $rc -ne 99 ] && [ $rc -ne 124 ]; then
    # another compiler may warn where ours does not: salvage the run without -Werror
    log "build failed with -Werror; retrying without it"
    werror_note=", only WITHOUT -Werror (see build.log)"
    run_to build.log 20 cmake -S "$root" -B "$BUILD" -DOGEM_WERROR=OFF &&
      run_to build.log 150 cmake --build "$BUILD" -j "$JOBS"
    rc=$?
  fi
fi
[ $rc -eq 0 ] && ogem_build_ok=1
note "build (sm_90, -Werror)" "$(status_word $rc)${werror_note}$([ $tests_built -eq 0 ] && echo ', tests not built: Criterion/GSL missing')"
OGEM="$BUILD/ogem"

# ---- 2. info --------------------------------------------------------------------------
if [ $ogem_build_ok -eq 1 ]; then
  run_to env.log 15 "$OGEM" info
  note "ogem info" "$(status_word $?)"
fi

# ---- 3. GPU tests ---------------------------------------------------------------------
: > "$OUT/tests.log"
if [ $ogem_build_ok -eq 1 ] && [ -x "$BUILD/ogem_tests" ]; then
  log "GPU tests"
  run_to tests.log 90 "$BUILD/ogem_tests" --filter 'gpu*/*' -j4 --verbose
  rc=$?
  skips=$(grep -ac 'SKIP.*no GPU' "$OUT/tests.log")
  note "GPU tests (gpu*/*)" "$(status_word $rc): $(synthesis tests.log)| skipped for no GPU: $skips"
  note "  device generator == host generator" "$(verdict tests.log curand_device_equals_host)"
  note "  mc / fixed samples bitwise = host plan" \
    "$(verdict tests.log mc_samples_bitwise_equal_host_generator) / $(verdict tests.log fixed_samples_bitwise_equal_host_generator)"
  note "  results independent of the active set" "$(verdict tests.log results_independent_of_active_set)"
  run_to tests.log 30 "$BUILD/ogem_tests" --filter 'compare/*' -j4
  rc=$?
  note "compare tests" "$(status_word $rc): $(synthesis tests.log)"
else
  note "GPU tests" "NOT RUN (no ogem_tests binary)"
fi

# ---- 4. benchmark -----------------------------------------------------------------------
: > "$OUT/bench.log"
if [ $ogem_build_ok -eq 1 ]; then
  log "benchmark"
  run_to bench.log 90 "$BUILD/bench_gpu"
  note "bench_gpu" "$(status_word $?)"
fi
if python3 -c 'import torch; assert torch.cuda.is_available()' >/dev/null 2>&1; then
  run_to bench.log 75 env PYTHONUNBUFFERED=1 python3 "$root/bench/torch_step.py"
  note "PyTorch baseline" "$(status_word $?)"
else
  note "PyTorch baseline" "NOT RUN (no torch with CUDA)"
fi

# ---- 5. CPU run vs GPU run: ogem compare --------------------------------------------------
: > "$OUT/compare.log"
work=$(mktemp -d)
if [ $ogem_build_ok -eq 1 ]; then
  log "CPU vs GPU runs"
  # compare_runs LABEL RTOL ATOL GPU-OPTIONS -- CONFIG...: a CPU run and a GPU run, compared
  compare_runs() {
    local label=$1 rtol=$2 atol=$3 gopt=()
    shift 3
    while [ "$1" != -- ]; do gopt+=("$1"); shift; done
    shift
    local d="$work/cmp$((${#summary[@]}))"
    run_to compare.log 20 "$OGEM" run "$@" --device cpu --out "$d-cpu" &&
      run_to compare.log 20 "$OGEM" run "$@" --device gpu "${gopt[@]}" --out "$d-gpu" &&
      run_to compare.log 10 "$OGEM" compare "$d-cpu" "$d-gpu" --rtol "$rtol" --atol "$atol"
    note "ogem compare, CPU vs GPU: $label" "$(status_word $?)"
  }
  cfg=(--dim 3 --components 3 --inits 16 --steps 20 --estimator mc:4096 --seed 11 --quiet)
  compare_runs "mc double (rtol 1e-9)" 1e-9 1e-12 -- "${cfg[@]}"
  compare_runs "mc float (rtol 1e-3)" 1e-3 1e-5 --precision float -- "${cfg[@]}"
  compare_runs "em d=96, gemm path (rtol 1e-9)" 1e-9 1e-12 -- \
    --dim 96 --components 4 --inits 8 --steps 10 --estimator fixed:3000 --algo em --seed 12 --quiet
fi

# ---- 6. compute-sanitizer -------------------------------------------------------------
: > "$OUT/sanitizer.log"
if [ $ogem_build_ok -eq 1 ] && [ -n "$SAN" ]; then
  log "compute-sanitizer"
  for tool in memcheck racecheck; do
    run_to sanitizer.log 75 "$SAN" --tool "$tool" --error-exitcode 3 "$BUILD/bench_gpu" --sanitize
    note "compute-sanitizer $tool, every estimator/path" "$(status_word $?)"
  done
  counts=$(grep -a "ERROR SUMMARY\|RACECHECK SUMMARY" "$OUT/sanitizer.log" | sort | uniq -c)
  echo "$counts" >> "$OUT/sanitizer.log"
else
  note "compute-sanitizer" "NOT RUN ($([ -z "$SAN" ] && echo 'not installed' || echo 'no build'))"
fi

# ---- 7. ogem paper, defaults, on the GPU ---------------------------------------------------
: > "$OUT/paper.log"
paper_s=""
if [ $ogem_build_ok -eq 1 ]; then
  log "ogem paper (defaults, GPU)"
  s=$(date +%s)
  run_to paper.log 90 "$OGEM" paper --device gpu --out "$work/paper" --no-plots
  rc=$?
  paper_s=$(($(date +%s) - s))
  note "ogem paper, defaults, --device gpu" "$(status_word $rc), ${paper_s} s (target < 60 s)"
  [ $rc -eq 0 ] || paper_s=""
fi
rm -rf "$work"

# ---- 8. the table -------------------------------------------------------------------------
{
  echo "ogem GPU check, $(date -u '+%Y-%m-%d %H:%M UTC'), ${gpu_name:-unknown GPU}, $(($(date +%s) - t0)) s"
  echo
  printf '%-46s %s\n' "check" "result"
  for s in "${summary[@]}"; do printf '%-46s %s\n' "${s%%|*}" "${s#*|}"; done
  echo
  awk -F, -v paper_s="$paper_s" '
    /^RESULT,ogem,/  { n=$3; o_name[++no]=n; o_prec[n]=$4; o_path[n]=$5; o_dims[n]="n=" $6 " d=" $7 " R=" $8 " N=" $9; o_sec[n]=$10; o_sci[n]=$11; o_pct[n]=$12 }
    /^RESULT,torch,/ { t_sec[$3]=$10; t_sci[$3]=$11 }
    function key(n) { k = n; sub(/-(fused|gemm)$/, "", k); return k }
    function ratio(n) { return (key(n) in t_sec && (n in o_sec) && o_sec[n] > 0) ? t_sec[key(n)] / o_sec[n] : -1 }
    function target(what, ok, got) { printf "  %-58s %-6s %s\n", what, ok ? "MET" : "MISSED", got }
    END {
      if (no == 0) { print "no benchmark rows"; exit }
      printf "%-18s %-6s %-5s %-26s %10s %11s %7s %10s %8s\n", "row", "prec", "path", "size", "ms/step", "SCI/s", "%FP32", "torch ms", "speedup"
      for (q = 1; q <= no; q++) {
        n = o_name[q]; r = ratio(n)
        tm = (key(n) in t_sec) ? sprintf("%.3f", 1e3 * t_sec[key(n)]) : "-"
        sp = r > 0 ? sprintf("%.2fx", r) : "-"
        printf "%-18s %-6s %-5s %-26s %10.3f %11.3e %6.1f%% %10s %8s\n", n, o_prec[n], o_path[n], o_dims[n], 1e3 * o_sec[n], o_sci[n], o_pct[n], tm, sp
      }
      print ""
      print "targets (issue 10; FLOPs counted: 4 d per sample x component x init):"
      if ("small-float" in o_sec) {
        target("small-float >= 40% of the FP32 FMA peak", o_pct["small-float"] >= 40, sprintf("%.1f%%", o_pct["small-float"]))
        r = ratio("small-float"); target("small-float >= 5x PyTorch float32 SCI/s", r >= 5, r > 0 ? sprintf("%.2fx", r) : "no torch row")
      }
      if ("small-double" in o_sec) { r = ratio("small-double"); target("small-double >= 2x PyTorch float64", r >= 2, r > 0 ? sprintf("%.2fx", r) : "no torch row") }
      split("d256-float-gemm d256-double-gemm", dr, " ")
      for (q = 1; q <= 2; q++) if (dr[q] in o_sec) { r = ratio(dr[q]); target(dr[q] " (the auto path) >= 1.2x PyTorch", r >= 1.2, r > 0 ? sprintf("%.2fx", r) : "no torch row") }
      if (paper_s != "") target("ogem paper (defaults, GPU) under 60 s", paper_s + 0 < 60, paper_s " s")
      else print "  ogem paper: no time (not run, or it failed)"
    }' "$OUT/bench.log"
} > "$OUT/summary.txt"
cat "$OUT/summary.txt"
