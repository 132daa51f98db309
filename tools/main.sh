#!/usr/bin/env bash
# tools/main.sh - the README's main command: sets up and builds like
# tools/test.sh, then runs the main job on its embedded default and prints a
# short summary. For now that job is one `ogem run` with ogem's defaults
# (256 initializations of a 5-component mixture in 2 dimensions, 1000 gradient
# EM steps, 8192 fresh samples per step), on the GPU when there is one and on
# the CPU otherwise. Results go to out/main (or --out DIR); any other `ogem run`
# flag can be appended, e.g. `bash tools/main.sh --inits 1024 --dim 10`.
set -euo pipefail
# shellcheck source=tools/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
ogem_setup
cd "$ogem_root"

args=("$@")
has_out=0
for a in "${args[@]+"${args[@]}"}"; do
  case "$a" in --out | --out=*) has_out=1 ;; esac
done
[ "$has_out" -eq 1 ] || args+=(--out out/main)

ogem_log "running: ogem run ${args[*]}"
exec "$ogem_build/ogem" run "${args[@]}"
