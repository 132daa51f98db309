#!/usr/bin/env bash
# tools/mpi_check.sh [OGEM] - ogem under MPI gives byte for byte what one
# process gives (README "Running under MPI"). With Open MPI on this machine
# (localhost, --oversubscribe: CI has 2 cores), for P = 1, 2 and 3:
#   run with mc, qmc, fixed and exact; escape --sweep; paper --quick
#   (OGEM_MPI_CHECK_PAPER=0 leaves paper out while iterating);
# every CSV is compared with the plain single-process run's, and run.json's
# backend must say "ranks": P. Then the faults:
#   kill -9 of one rank mid-run: the job ends, not 0, mpirun names the rank,
#     and nothing is committed in --out;
#   a failure rank 0 meets alone (an --out it cannot create): exit 2, no hang;
#   a run stopped at P = 2 (a checkpoint every 4 steps, then the stop hook
#     that stands for SIGINT) resumes at P = 3 and at P = 1 to the
#     uninterrupted run's bytes; a signal sent to one rank stops all with a
#     checkpoint and exit 130.
# OGEM defaults to build/ogem and must be built with OGEM_MPI. Exits 0 with a
# notice when there is no mpirun (the caller, .ci/run, installs Open MPI).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ogem=$(realpath "${1:-build/ogem}")
say() { printf '[mpi_check] %s\n' "$*" >&2; }
die() { say "FAIL: $*"; exit 1; }
# The pid of the last rank of mpirun job $1 (the ranks are its children),
# preferably once the run has created its output directory $2 (waits up to
# 10 s for it); fails when no rank has started by then.
last_rank() {
  local pid=""
  for _ in $(seq 1 100); do
    pid=$(pgrep -P "$1" -x ogem | tail -1 || true)
    [ -n "$pid" ] && [ -d "$2" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] && echo "$pid"
}

command -v mpirun >/dev/null 2>&1 || { say "no mpirun: skipped (tools/setup.sh installs Open MPI)"; exit 0; }
# Open MPI refuses root unless told; CI containers run as root.
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
# Ranks get time to checkpoint when mpirun passes a SIGINT/SIGTERM on as
# SIGTERM (Open MPI 4 sends SIGKILL after odls_base_sigkill_timeout).
mpi=(mpirun --oversubscribe --mca odls_base_sigkill_timeout 30 -x OGEM_TEST_STOP_AFTER_STEP)
unset OGEM_TEST_STOP_AFTER_STEP
"${mpi[@]}" -np 2 "$ogem" info 2>/dev/null | grep -q '^MPI job: 2 ranks' ||
  die "$ogem was built without MPI (configure with -DOGEM_MPI=ON), or mpirun cannot start 2 ranks here"

work=$(mktemp -d "${TMPDIR:-/tmp}/ogem-mpi-XXXXXX")
trap 'rm -rf "$work"' EXIT
common="--device cpu --threads 1 --quiet"
configs=(
  "run_mc|run --dim 3 --components 4 --inits 10 --steps 30 --estimator mc:512 --log every:5 --trace-inits 4"
  "run_qmc|run --dim 2 --components 3 --inits 8 --steps 30 --estimator qmc:1024 --init far:1:5"
  "run_fixed|run --dim 3 --components 3 --inits 7 --steps 30 --estimator fixed:500 --algo em"
  "run_exact|run --dim 4 --components 3 --inits 16 --steps 100 --estimator exact --subspace --weights 0.5,0.3,0.2"
  "escape_sweep|escape --sweep radius=3:5:1 --inits 16 --max-steps 3000"
)
[ "${OGEM_MPI_CHECK_PAPER:-1}" = 0 ] || configs+=("paper_quick|paper --quick --no-plots")

# same_csvs REF DIR: every CSV of REF is in DIR with the same bytes, and no other.
same_csvs() {
  local f n=0
  for f in "$1"/*.csv; do
    cmp -s "$f" "$2/$(basename "$f")" || die "$2/$(basename "$f") differs from the single process's"
    n=$((n + 1))
  done
  [ "$n" -gt 0 ] || die "$1 holds no CSV"
  [ "$(find "$2" -maxdepth 1 -name '*.csv' | wc -l)" -eq "$n" ] || die "$2 holds other CSVs than $1"
}

for c in "${configs[@]}"; do
  name=${c%%|*} args=${c#*|}
  # shellcheck disable=SC2086
  "$ogem" $args $common --out "$work/$name/ref" >/dev/null || die "$name: the single process failed"
  for P in 1 2 3; do
    # shellcheck disable=SC2086
    "${mpi[@]}" -np "$P" "$ogem" $args $common --out "$work/$name/p$P" >"$work/$name.p$P.log" 2>&1 ||
      { cat "$work/$name.p$P.log" >&2; die "$name: mpirun -np $P failed"; }
    same_csvs "$work/$name/ref" "$work/$name/p$P"
    if [ -f "$work/$name/p$P/run.json" ]; then
      grep -q "\"ranks\": $P," "$work/$name/p$P/run.json" || die "$name: run.json does not say \"ranks\": $P"
    fi
  done
  say "$name: P = 1, 2, 3 identical to one process"
done

# ---- kill -9 of one rank mid-run --------------------------------------------------------
long="run --dim 3 --components 4 --inits 60 --steps 1000000 --estimator mc:2048 $common"
# shellcheck disable=SC2086
"${mpi[@]}" -np 3 "$ogem" $long --out "$work/killed" >"$work/killed.log" 2>&1 &
job=$!
victim=$(last_rank "$job" "$work/killed") || die "kill -9: the ranks did not start"
sleep 1
kill -9 "$victim"
rc=0
wait "$job" || rc=$?
[ "$rc" -ne 0 ] || die "kill -9 of a rank: mpirun exited 0"
grep -q "exited on signal 9" "$work/killed.log" || { cat "$work/killed.log" >&2; die "kill -9: no message naming the rank"; }
for f in run.json final.csv aggregate.csv trajectory.csv checkpoint.ogem; do
  [ ! -e "$work/killed/$f" ] || die "kill -9: $f was committed"
done
say "kill -9 of one rank: the job ended (exit $rc), mpirun named it, nothing committed"

# ---- a failure of rank 0 alone (its --out) ends every rank, exit 2 ------------------------
touch "$work/not-a-dir"
rc=0
timeout 120 "${mpi[@]}" -np 2 "$ogem" paper --quick --no-plots $common --out "$work/not-a-dir/out" \
  >"$work/rank0.log" 2>&1 || rc=$?
[ "$rc" -eq 2 ] || { cat "$work/rank0.log" >&2; die "rank 0's --out failure: exit $rc, not 2 (124: the job hung)"; }
grep -q "^ogem paper: --out: " "$work/rank0.log" || die "rank 0's --out failure: no one-line error"
say "a failure of rank 0 alone: the job ended with exit 2 and one ogem line"

# ---- a checkpoint written at P = 2 resumes at P = 3 and in one process -------------------
run="run --dim 3 --components 4 --inits 10 --steps 30 --estimator mc:512 --log every:5 --trace-inits 4"
for P in 3 1; do
  # shellcheck disable=SC2086
  rc=0; OGEM_TEST_STOP_AFTER_STEP=10 "${mpi[@]}" -np 2 "$ogem" $run $common --checkpoint-every 4 \
    --out "$work/resume$P" >"$work/stop$P.log" 2>&1 || rc=$?
  [ "$rc" -eq 130 ] || { cat "$work/stop$P.log" >&2; die "stopped run: exit $rc, not 130"; }
  [ -f "$work/resume$P/checkpoint.ogem" ] || die "stopped run: no checkpoint"
  grep -q "interrupted (SIGINT) after 10 of 30 steps" "$work/stop$P.log" || die "stopped run: no interrupted line"
  if [ "$P" -eq 1 ]; then "$ogem" run --resume "$work/resume$P" --quiet >/dev/null || die "resume in one process failed"
  else "${mpi[@]}" -np "$P" "$ogem" run --resume "$work/resume$P" --quiet >/dev/null 2>&1 || die "resume at P = $P failed"
  fi
  same_csvs "$work/run_mc/ref" "$work/resume$P"
  [ ! -e "$work/resume$P/checkpoint.ogem" ] || die "resumed run left its checkpoint"
done
say "checkpoint at P = 2 resumed at P = 3 and P = 1: identical to the uninterrupted run"

# ---- SIGINT to one rank: every rank checkpoints and the job exits 130 ---------------------
# shellcheck disable=SC2086
"${mpi[@]}" -np 2 "$ogem" $long --out "$work/signalled" >"$work/signalled.log" 2>&1 &
job=$!
victim=$(last_rank "$job" "$work/signalled") || die "SIGINT: the ranks did not start"
sleep 1
kill -INT "$victim"
rc=0
wait "$job" || rc=$?
[ "$rc" -eq 130 ] || { cat "$work/signalled.log" >&2; die "SIGINT to one rank: exit $rc, not 130"; }
[ -f "$work/signalled/checkpoint.ogem" ] || die "SIGINT to one rank: no checkpoint"
grep -q "^ogem run: interrupted (SIGINT)" "$work/signalled.log" || die "SIGINT to one rank: no interrupted line"
say "SIGINT to one rank: all stopped, checkpoint written, exit 130"
say "all MPI checks passed"
