#!/usr/bin/env bash
# bench/mpi_bench.sh [BUILD] - what MPI costs per step, and 1 -> 2 rank
# scaling, on this machine (README "Running under MPI"): bench_mpi (built with
# OGEM_MPI) under Open MPI's mpirun on localhost.
#   1. the exchanges of one step at R = 10^5, n = 10, d = 10, at P = 1 and 2:
#      the status and stop allreduces, the metrics allgatherv, and the means
#      gather that get_means and checkpoints do instead of every step;
#   2. seconds per step of R = 1000, n = 10, d = 10, mc:1024 at P = 1 and 2
#      (one CPU thread per rank), best of 3 runs, and the speedup.
# On a machine with fewer than 2 free cores the scaling says so, not MPI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${1:-build}/bench_mpi"
[ -x "$bin" ] || { echo "mpi_bench: $bin missing (configure with -DOGEM_MPI=ON)" >&2; exit 1; }
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
mpi=(mpirun --oversubscribe)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "mpirun: $(mpirun --version 2>&1 | head -1)"
for P in 1 2; do "${mpi[@]}" -np "$P" "$bin" gather 100000 10 10; done
best() { # P: the smallest ms/step of 3 runs
  for _ in 1 2 3; do "${mpi[@]}" -np "$1" "$bin" step 1000 10 10 1024 5; done |
    awk '{ for (i = 1; i <= NF; i++) if ($(i + 1) == "ms/step") print $i }' | sort -g | head -1
}
t1=$(best 1)
t2=$(best 2)
echo "step R=1000 n=10 d=10 mc:1024, best of 3: P=1 $t1 ms, P=2 $t2 ms, speedup $(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", a / b }')"
