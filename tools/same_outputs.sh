#!/usr/bin/env bash
# tools/same_outputs.sh OLD_OGEM NEW_OGEM - runs both binaries on a fixed set
# of configurations and compares every CSV they write byte for byte (run.json
# and summary.json hold timings, so only their "settings" are compared).
# For refactors that must not change a single output byte. Exits 1 on the
# first difference, naming the configuration and the file.
#   configurations: run mc, run exact (--subspace), run data, run qmc,
#   escape --sweep (exact), escape mc, paper --quick --no-plots.
set -euo pipefail
old=$(realpath "$1") new=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/ogem-same-XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 - "$work/data.csv" <<'PY'
import random, sys
random.seed(7)
with open(sys.argv[1], "w") as f:
    for _ in range(500):
        f.write(",".join("%.6f" % random.gauss(0.5, 1) for _ in range(3)) + "\n")
PY
configs=(
  "run_mc|run --dim 3 --components 4 --inits 32 --steps 60 --estimator mc:512 --log every:5 --trace-inits 4 --device cpu --quiet"
  "run_exact|run --dim 4 --components 3 --inits 16 --steps 200 --estimator exact --subspace --weights 0.5,0.3,0.2 --device cpu --quiet"
  "run_data|run --dim 3 --components 2 --inits 8 --steps 40 --algo em --estimator data:$work/data.csv --device cpu --quiet"
  "run_qmc|run --dim 2 --components 3 --inits 8 --steps 30 --estimator qmc:1024 --init far:1:5 --device cpu --quiet"
  "escape_sweep|escape --sweep radius=3:5:1 --inits 16 --max-steps 3000 --device cpu --quiet"
  "escape_mc|escape --radius 4 --inits 8 --estimator mc:256 --max-steps 500 --device cpu --quiet"
  "paper_quick|paper --quick --no-plots --device cpu --quiet"
)
fail=0
for c in "${configs[@]}"; do
  name=${c%%|*} args=${c#*|}
  for which in old new; do
    bin=$old; [ "$which" = new ] && bin=$new
    # shellcheck disable=SC2086  # args is a word list
    (cd "$work" && "$bin" $args --out "$work/$which-$name" >/dev/null 2>"$work/$which-$name.err") || {
      echo "$name: $which binary failed: $(head -1 "$work/$which-$name.err")"; fail=1; continue 2; }
  done
  files=$(cd "$work/old-$name" && find . -name '*.csv' -o -name '*.md' | sort)
  [ "$(cd "$work/new-$name" && find . -name '*.csv' -o -name '*.md' | sort)" = "$files" ] ||
    { echo "$name: the two write different file sets"; fail=1; continue; }
  for f in $files; do
    case "$f" in *report.md) continue ;; esac   # report.md quotes wall-clock times
    cmp -s "$work/old-$name/$f" "$work/new-$name/$f" || { echo "$name: $f differs"; fail=1; }
  done
  for j in run.json summary.json; do
    [ -f "$work/old-$name/$j" ] || continue
    python3 - "$work/old-$name/$j" "$work/new-$name/$j" "$name/$j" <<'PY' || fail=1
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("settings", "command", "status"):
    if a.get(k) != b.get(k):
        print("%s: %s differs" % (sys.argv[3], k)); sys.exit(1)
PY
  done
  [ $fail -ne 0 ] || echo "$name: identical ($(echo $files | wc -w) files)"
done
exit $fail
