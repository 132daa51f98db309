#!/usr/bin/env bash
# tools/sanitize.sh - the whole Criterion suite and a handful of CLI runs under
# AddressSanitizer + UndefinedBehaviorSanitizer (with LeakSanitizer):
#   1. configures and builds ogem and ogem_tests in build-asan/ (OGEM_ASAN_BUILD_DIR
#      overrides it): CUDA off (the sanitizers cannot see into the GPU, and the
#      CUDA runtime's own allocations would drown the reports), RelWithDebInfo
#      (-O2 -g: line numbers in the reports at a bearable speed), with
#      -DOGEM_SANITIZE=asan (ASan + UBSan, every UBSan finding fatal);
#   2. runs ogem_tests (whose CLI tests spawn the sanitized ogem) and
#      run mc / exact / data / checkpoint+resume, escape --sweep,
#      paper --quick --no-plots, compare (agreeing and differing), info and one
#      bad input, each checked for its exit status;
#   3. collects every sanitizer report (they go to files, one per process, in
#      BUILD/sanitizer-logs, since the tests capture the children's stderr) and
#      prints the first lines and top frames of each.
# Leaks are detected (detect_leaks=1); tools/lsan.supp suppresses the one leak
# of Criterion's own runner. Prints one PASS/FAIL line per step; exits 1 if a
# step failed or any sanitizer reported anything.
# Takes 3-7 minutes on 2 cores: the build about 1, the suite 2-5 (most of it
# paper::quick_reproduction), the CLI runs under 1.
set -uo pipefail
# shellcheck source=tools/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

build="${OGEM_ASAN_BUILD_DIR:-$ogem_root/build-asan}"

ogem_install_packages
ogem_find_cuda # cuRAND is linked even without the CUDA backend
ogem_log "configuring ${build#"$ogem_root"/} (ASan + UBSan, CUDA off)"
# OGEM_SANITIZE=asan (CMakeLists.txt): ASan + UBSan on every target, every
# UBSan finding fatal, UBSan linked statically so that it honours log_path.
"$ogem_cmake" -S "$ogem_root" -B "$build" -DOGEM_CUDA=OFF -DOGEM_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DOGEM_SANITIZE=asan >/dev/null ||
  ogem_die "configuring $build failed"
ogem_log "building ogem and ogem_tests with $(ogem_nproc) jobs"
"$ogem_cmake" --build "$build" -j "$(ogem_nproc)" --target ogem ogem_tests || ogem_die "building $build failed"

logs="$build/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs" || ogem_die "cannot create $logs"
# fast_unwind_on_malloc=0: full allocation stacks, which tools/lsan.supp needs
# (and which make the reports readable through uninstrumented libraries).
export ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0:strict_string_checks=1:detect_stack_use_after_return=1:log_path=$logs/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
export LSAN_OPTIONS="suppressions=$ogem_root/tools/lsan.supp:print_suppressions=0"

work=$(mktemp -d "${TMPDIR:-/tmp}/ogem-sanitize.XXXXXX") || ogem_die "cannot create a temporary directory"
failed=0

# step NAME STATUS COMMAND...: runs COMMAND in $work with its output in
# $work/NAME.log and prints PASS when it exits with STATUS, else FAIL and the
# log's last lines.
step() {
  local name=$1 want=$2 rc=0 t0=$SECONDS
  shift 2
  (cd "$work" && "$@") >"$work/$name.log" 2>&1 || rc=$?
  if [ "$rc" -eq "$want" ]; then
    printf 'PASS %s (%ds)\n' "$name" $((SECONDS - t0))
  else
    printf 'FAIL %s: exit %d, expected %d (log: %s)\n' "$name" "$rc" "$want" "$work/$name.log"
    tail -n 15 "$work/$name.log" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
}

ogem=$build/ogem
ogem_log "running the suite under the sanitizers"
t0=$SECONDS
rc=0
"$build/ogem_tests" -j "$(ogem_nproc)" || rc=$?
if [ "$rc" -eq 0 ]; then
  printf 'PASS ogem_tests (%ds)\n' $((SECONDS - t0))
else
  printf 'FAIL ogem_tests: exit %d (%ds)\n' "$rc" $((SECONDS - t0))
  failed=$((failed + 1))
fi

ogem_log "running the CLI under the sanitizers (in $work)"
# 500 points in R^3 for --estimator data: (Box-Muller from awk's fixed seed).
awk 'BEGIN { srand(7); for (i = 0; i < 500; i++) { line = "";
  for (j = 0; j < 3; j++) { u = 1 - rand(); v = rand();
    line = line (j ? "," : "") sprintf("%.6f", 0.5 + sqrt(-2 * log(u)) * cos(6.283185307179586 * v)) }
  print line } }' >"$work/data.csv"
cpu=(--device cpu --quiet)
step run_mc 0 "$ogem" run --dim 3 --components 4 --inits 32 --steps 60 --estimator mc:512 --log every:5 \
  --trace-inits 4 --threads 2 "${cpu[@]}" --out run_mc
step run_replay 0 "$ogem" run --config run_mc/run.json --out run_mc2 --quiet
step run_exact 0 "$ogem" run --dim 4 --components 3 --inits 16 --steps 200 --estimator exact --subspace \
  --weights 0.5,0.3,0.2 "${cpu[@]}" --out run_exact
step run_data 0 "$ogem" run --dim 3 --components 2 --inits 8 --steps 40 --algo em --estimator data:data.csv \
  "${cpu[@]}" --out run_data
step run_interrupted 130 env OGEM_TEST_STOP_AFTER_STEP=12 "$ogem" run --dim 2 --components 3 --inits 4 --steps 30 \
  --estimator mc:256 --checkpoint-every 5 "${cpu[@]}" --out run_ck
step run_resume 0 "$ogem" run --resume run_ck --quiet
step escape_sweep 0 "$ogem" escape --sweep radius=3:5:1 --inits 16 --max-steps 3000 --checkpoint-every 100 \
  "${cpu[@]}" --out escape_sweep
step paper_quick 0 "$ogem" paper --quick --scale 0.25 --no-plots "${cpu[@]}" --out paper
step compare_same 0 "$ogem" compare run_mc run_mc2
step compare_differ 1 "$ogem" compare run_mc run_exact
step info 0 "$ogem" info
step bad_input 2 "$ogem" run --dim 0 --out bad --quiet

# Every report, with the lines that say what and where.
reports=("$logs"/*)
if [ -e "${reports[0]}" ]; then
  printf 'FAIL sanitizers: %d report(s) in %s\n' "${#reports[@]}" "$logs"
  for f in "${reports[@]}"; do
    printf '  %s:\n' "${f##*/}"
    grep -E 'ERROR:|runtime error:|^ *#[0-4] |SUMMARY:' "$f" | head -n 12 | sed 's/^/    /'
  done
  failed=$((failed + 1))
else
  printf 'PASS sanitizers: no reports\n'
fi

if [ "$failed" -ne 0 ]; then
  ogem_log "$failed step(s) failed; the CLI outputs are kept in $work"
  exit 1
fi
rm -rf "$work"
ogem_log "sanitizers: all clean"
