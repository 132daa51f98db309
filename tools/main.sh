#!/usr/bin/env bash
# tools/main.sh - the README's main command: sets up and builds like
# tools/test.sh, installs matplotlib for the figures when it is missing (the
# run still writes its CSVs and report.md without it), then runs
# `ogem paper`: the paper's three experiments on the embedded default, on the
# GPU when there is one and on the CPU otherwise. Results go to out/paper (or
# --out DIR); other `ogem paper` flags can be appended, e.g. --quick or --scale 8.
set -euo pipefail
# shellcheck source=tools/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ogem_setup
cd "$ogem_root"

if ! python3 -c 'import matplotlib' >/dev/null 2>&1; then
  ogem_log "installing matplotlib for the figures (python3 -m pip install matplotlib)"
  python3 -m pip install -q matplotlib >/dev/null 2>&1 ||
    ogem_log "could not install matplotlib: the run writes data and report.md without figures"
fi

args=("$@")
has_out=0
for a in "${args[@]+"${args[@]}"}"; do
  case "$a" in --out | --out=*) has_out=1 ;; esac
done
[ "$has_out" -eq 1 ] || args+=(--out out/paper)

ogem_log "running: ogem paper ${args[*]}"
exec "$ogem_build/ogem" paper "${args[@]}"
