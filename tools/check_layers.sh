#!/usr/bin/env bash
# tools/check_layers.sh - the layering rule of README "Layout": a file in
# src/ or cuda/ includes headers of its own layer or of a lower one only.
# Layers, lowest first: math, quad, core, cpu = cuda, util, cli. The public
# headers (ogem/...) may be included anywhere. Prints each violation as
# FILE:LINE and exits 1 if there is one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rank() {
  case "$1" in
    math) echo 0 ;; quad) echo 1 ;; core) echo 2 ;; cpu | cuda) echo 3 ;; util) echo 4 ;; cli) echo 5 ;;
    *) echo -1 ;;
  esac
}
bad=0
while IFS= read -r f; do
  case "$f" in cuda/*) layer=cuda ;; *) layer=$(echo "$f" | cut -d/ -f2) ;; esac
  mine=$(rank "$layer")
  while IFS=: read -r line inc; do
    dep=${inc%%/*}
    # same-folder includes without a layer prefix (cuda's own headers)
    [ "$dep" != "$inc" ] || continue
    [ "$dep" != ogem ] || continue
    theirs=$(rank "$dep")
    if [ "$theirs" -lt 0 ] || [ "$theirs" -gt "$mine" ]; then
      echo "$f:$line: $layer includes \"$inc\" (layer $dep)"
      bad=1
    fi
  done < <(grep -n -o -E '^#include "[^"]+"' "$f" | sed -E 's/^([0-9]+):#include "(.*)"/\1:\2/')
done < <(git ls-files 'src/*' 'cuda/*' | grep -E '\.(c|h|cu|cuh|inc)$')
[ "$bad" -eq 0 ] && echo "check_layers: every include of src/ and cuda/ points to its own layer or a lower one"
exit "$bad"
