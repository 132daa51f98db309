#!/usr/bin/env bash
# tools/fuzz.sh [SECONDS] - builds the libFuzzer harnesses of tests/fuzz
# (every tests/fuzz/fuzz_NAME.c: the file readers and the command line's spec
# parsers) with clang (-DOGEM_FUZZ=ON, in build-fuzz, or $OGEM_FUZZ_BUILD),
# installing clang and libFuzzer when missing, and runs each for SECONDS
# (default 60), $OGEM_FUZZ_JOBS at a time (default: the cores), starting from
# its committed seeds (tests/fuzz/corpus/NAME) and a working corpus that grows
# in the build dir; then replays both corpora once. Exits 1 if any harness
# found a crash, a leak or a sanitizer report; the input that did it is saved
# in build-fuzz/artifacts/NAME/. One line per harness reports executions.
#   Reproduce a finding:   build-fuzz/fuzz_NAME build-fuzz/artifacts/NAME/crash-...
#   Keep a new seed:       cp INPUT tests/fuzz/corpus/NAME/
set -euo pipefail
secs=${1:-60}
# shellcheck source=tools/setup.sh
source "$(dirname "$0")/setup.sh"
root=$ogem_root
build=${OGEM_FUZZ_BUILD:-$root/build-fuzz}
jobs=${OGEM_FUZZ_JOBS:-$(ogem_nproc)}
export CC=${CC:-clang}

# clang, and libFuzzer's runtime (a package of its own on Debian 12,
# libclang-rt-14-dev, only recommended by clang): test by linking a harness.
fuzzer_links() {
  local t
  t=$(mktemp -d)
  printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$t/f.c"
  local rc=0
  "$CC" -fsanitize=fuzzer,address,undefined "$t/f.c" -o "$t/f" >/dev/null 2>&1 || rc=1
  rm -rf "$t"
  return $rc
}
command -v "$CC" >/dev/null 2>&1 || ogem_apt_install clang
fuzzer_links || ogem_apt_install libclang-rt-dev
fuzzer_links || ogem_die "$CC cannot link -fsanitize=fuzzer (libFuzzer's runtime is missing)"
command -v cmake >/dev/null 2>&1 || ogem_apt_install cmake make

harnesses=()
for src in "$root"/tests/fuzz/fuzz_*.c; do
  name=${src##*/fuzz_}
  harnesses+=("${name%.c}")
done

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER="$CC" -DOGEM_FUZZ=ON -DOGEM_CUDA=OFF \
      -DOGEM_TESTS=OFF -DOGEM_NATIVE=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(ogem_nproc)" --target "${harnesses[@]/#/fuzz_}" >/dev/null

# Fuzzes one harness, then replays its corpora; the verdict line goes to
# $build/fuzz_NAME.result, and the status says whether it is clean.
# -malloc_limit_mb: a reader must not allocate what a short input cannot
# justify; 256 MiB is far above what any seed needs. -close_fd_mask=2: the
# spec parsers print one error line per bad input (libFuzzer's own report,
# and a sanitizer's, still come through).
fuzz_one() {
  local h=$1
  local seeds=$root/tests/fuzz/corpus/$h work=$build/corpus/$h art=$build/artifacts/$h log=$build/fuzz_$h.log
  local opts=(-malloc_limit_mb=256 -rss_limit_mb=1024 -timeout=10 -close_fd_mask=2)
  mkdir -p "$work" "$art"
  rm -f "$log.result"
  if ! "$build/fuzz_$h" -max_total_time="$secs" -print_final_stats=1 "${opts[@]}" \
       -artifact_prefix="$art/" "$work" "$seeds" >"$log" 2>&1; then
    echo "fuzz_$h: FOUND A PROBLEM (see $log, inputs in $art)" >"$log.result"
    return 1
  fi
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if ! "$build/fuzz_$h" -runs=0 "${opts[@]}" "$work" "$seeds" >"$log.replay" 2>&1; then
    echo "fuzz_$h: replaying the corpus FAILED (see $log.replay)" >"$log.result"
    return 1
  fi
  echo "fuzz_$h: ${execs:-?} executions in ${secs} s, corpus $(find "$work" -type f | wc -l) inputs, replay clean, no crash" \
    >"$log.result"
}

fail=0
running=0
for h in "${harnesses[@]}"; do
  if [ "$running" -ge "$jobs" ]; then
    wait -n || fail=1
    running=$((running - 1))
  fi
  fuzz_one "$h" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || fail=1
  running=$((running - 1))
done
for h in "${harnesses[@]}"; do cat "$build/fuzz_$h.log.result"; done
exit $fail
