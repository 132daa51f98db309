#!/usr/bin/env bash
# tools/emu_ci.sh - the GPU suite on the CUDA emulator, for CI (no GPU needed):
#   1. tools/cuda_emu/run_emu.sh plain: the CUDA backend compiled as host C++
#      against tools/cuda_emu (optimised, no sanitizer) and every test of
#      tests/test_gpu.c run on it with Criterion (-j$OGEM_EMU_JOBS);
#   2. tools/cuda_emu/run_emu.sh tsan bench --sanitize: ThreadSanitizer over
#      the emulated threads of each block, on tiny runs of every estimator,
#      precision and path (Criterion cannot start under TSan).
# The suite's result is printed on its own line, as emulated: these are the
# kernels' logic run on the CPU, never GPU tests passed (on a machine without
# a GPU, tools/test.sh reports the real GPU tests as SKIPPED).
#   tools/emu_ci.sh                        both steps
#   tools/emu_ci.sh --no-tsan              the suite only
#   tools/emu_ci.sh [--no-tsan] ARGS...    ARGS to Criterion (e.g. --filter 'gpu/exact*')
# Build directories: build-emu-plain/ and build-emu-tsan/ (OGEM_EMU_BUILD_ROOT
# overrides the prefix). Measured on a 2-core machine shared with other jobs:
# the suite takes about 4 minutes of CPU (fibers), so 2-3 minutes on 2 free
# cores; each build about 1 minute; CI prints the times.
# Exits 1 if a step failed or a test failed or crashed.
set -uo pipefail
# shellcheck source=tools/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

tsan=1
if [ "${1:-}" = --no-tsan ]; then
  tsan=0
  shift
fi
jobs=${OGEM_EMU_JOBS:-$(ogem_nproc)}
prefix=${OGEM_EMU_BUILD_ROOT:-$ogem_root/build-emu}
ogem_install_packages
ogem_find_cuda # the emulated build links cuRAND's host library
export OGEM_CMAKE="$ogem_cmake" OGEM_EMU_JOBS="$jobs"
failed=0
log=$(mktemp "${TMPDIR:-/tmp}/ogem-emu-ci.XXXXXX") || ogem_die "cannot create a temporary file"

# ---- 1. the suite, plain --------------------------------------------------------------
ogem_log "emulated GPU suite (plain build in ${prefix#"$ogem_root"/}-plain, Criterion -j$jobs)"
t0=$SECONDS
rc=0
OGEM_EMU_BUILD="$prefix-plain" bash "$ogem_root/tools/cuda_emu/run_emu.sh" plain -j"$jobs" --verbose "$@" >"$log" 2>&1 ||
  rc=$?
syn=$(grep -a 'Synthesis:' "$log" | tail -1)
num() { printf '%s\n' "$syn" | sed -n "s/.*$1: \([0-9]*\).*/\1/p"; }
tested=$(num Tested) passing=$(num Passing) failing=$(num Failing) crashing=$(num Crashing)
skipped=$(grep -a '^\[SKIP\]' "$log" | grep -vc 'Test is disabled' || true)
if [ -z "$syn" ]; then
  printf 'emulated GPU suite: no result (exit %d; build or start failed)\n' "$rc"
  tail -n 30 "$log" | sed 's/^/    /'
  failed=1
else
  bad=$((failing + crashing))
  printf 'emulated GPU suite: Tested %s | Passing %s | Failing %s (emulator on CPU, not a GPU; %s skipped, %ds)\n' \
    "$tested" "$passing" "$bad" "$skipped" $((SECONDS - t0))
  if [ "$rc" -ne 0 ] || [ "$bad" -ne 0 ]; then
    grep -a -B2 -A12 '^\[FAIL\]\|CRASH' "$log" | head -n 80 | sed 's/^/    /'
    failed=1
  fi
fi

# ---- 2. ThreadSanitizer over the emulated threads ----------------------------------------
if [ "$tsan" -eq 1 ]; then
  ogem_log "ThreadSanitizer: bench_gpu --sanitize on the emulator (${prefix#"$ogem_root"/}-tsan)"
  t0=$SECONDS
  rc=0
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" OGEM_EMU_BUILD="$prefix-tsan" \
    bash "$ogem_root/tools/cuda_emu/run_emu.sh" tsan bench --sanitize >"$log" 2>&1 || rc=$?
  if [ "$rc" -eq 0 ] && ! grep -aq 'WARNING: ThreadSanitizer' "$log"; then
    printf 'PASS emulated kernels under ThreadSanitizer: %s (%ds)\n' \
      "$(grep -a 'sanitize runs:' "$log" | tail -1)" $((SECONDS - t0))
  else
    printf 'FAIL emulated kernels under ThreadSanitizer: exit %d (%ds)\n' "$rc" $((SECONDS - t0))
    grep -a -A20 'WARNING: ThreadSanitizer' "$log" | head -n 40 | sed 's/^/    /'
    tail -n 10 "$log" | sed 's/^/    /'
    failed=1
  fi
fi
rm -f "$log"
exit "$failed"
