#!/usr/bin/env bash
# tools/test.sh - the README's test command: sets up a fresh machine (packages,
# CUDA toolkit on PATH), configures and builds build/ with warnings as errors,
# then runs the whole Criterion suite and the Python package's tests
# (tools/test_python.sh). Extra arguments go to the test binary (for example
# --filter='cli/*' or --verbose). Exits non-zero on any failure.
set -euo pipefail
# shellcheck source=tools/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ogem_setup
cd "$ogem_root"
ogem_log "running ${ogem_build#"$ogem_root"/}/ogem_tests"
# Run directly (not through ctest) so that Criterion prints its synthesis line.
rc=0
bash tools/check_layers.sh || rc=1   # README "Layout": no include of a higher layer
"$ogem_build/ogem_tests" "$@" || rc=$?
bash tools/test_python.sh || rc=1   # the Python package: pip install ., pytest tests/python
# Criterion leaves skipped tests out of its synthesis line: say how many GPU
# tests were skipped for want of a device, so that none reads as passed.
skipped=$("$ogem_build/ogem_tests" --filter 'gpu*/*' --verbose 2>&1 | grep -c '^\[SKIP\].*no GPU' || true)
[ "${skipped:-0}" -eq 0 ] || ogem_log "$skipped GPU tests SKIPPED: no usable GPU on this machine (they run where one is present)"
exit "$rc"
