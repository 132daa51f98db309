#!/usr/bin/env bash
# tools/fuzz.sh [SECONDS] - builds the libFuzzer harnesses of tests/fuzz with
# clang (-DOGEM_FUZZ=ON, in build-fuzz, or $OGEM_FUZZ_BUILD) and runs each for
# SECONDS (default 60), starting from its committed seeds
# (tests/fuzz/corpus/NAME) and a working corpus that grows in the build dir;
# then replays both corpora once. Exits 1 if any harness found a crash, a
# leak or a sanitizer report; the input that did it is saved in
# build-fuzz/artifacts/NAME/. One line per harness reports executions.
#   Reproduce a finding:   build-fuzz/fuzz_NAME build-fuzz/artifacts/NAME/crash-...
#   Keep a new seed:       cp INPUT tests/fuzz/corpus/NAME/
set -euo pipefail
secs=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${OGEM_FUZZ_BUILD:-$root/build-fuzz}
harnesses=(csv json checkpoint)
jobs=${OGEM_FUZZ_JOBS:-2}

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="${CC:-clang}" -DOGEM_FUZZ=ON -DOGEM_CUDA=OFF \
      -DOGEM_TESTS=OFF -DOGEM_NATIVE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$jobs" --target "${harnesses[@]/#/fuzz_}" >/dev/null

fail=0
for h in "${harnesses[@]}"; do
  seeds=$root/tests/fuzz/corpus/$h work=$build/corpus/$h art=$build/artifacts/$h
  mkdir -p "$work" "$art"
  log=$build/fuzz_$h.log
  # -malloc_limit_mb: a reader must not allocate what a short input cannot
  # justify; 256 MiB is far above what any seed needs.
  if ! "$build/fuzz_$h" -max_total_time="$secs" -print_final_stats=1 -malloc_limit_mb=256 -rss_limit_mb=1024 \
       -timeout=10 -artifact_prefix="$art/" "$work" "$seeds" >"$log" 2>&1; then
    echo "fuzz_$h: FOUND A PROBLEM (see $log, inputs in $art)"
    fail=1
    continue
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if ! "$build/fuzz_$h" -runs=0 -malloc_limit_mb=256 "$work" "$seeds" >"$log.replay" 2>&1; then
    echo "fuzz_$h: replaying the corpus FAILED (see $log.replay)"
    fail=1
    continue
  fi
  echo "fuzz_$h: ${execs:-?} executions in ${secs} s, corpus $(ls "$work" | wc -l) inputs, replay clean, no crash"
done
exit $fail
