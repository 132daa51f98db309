#!/usr/bin/env bash
# tools/install_check.sh [BUILD_DIR] - checks that a built ogem installs and is
# usable like a C library, from outside the source tree:
#   1. `cmake --install BUILD_DIR --prefix TMP` lays out bin/ogem, libogem.a,
#      include/ogem/ogem.h, the CMake package, ogem.pc and share/ogem/plot_paper.py
#      (and not the internal ogem_util library);
#   2. tests/consumer builds with find_package(ogem) (CMAKE_PREFIX_PATH=TMP) and runs;
#   3. the same program builds with `cc ... $(pkg-config --cflags --libs ogem)`
#      (PKG_CONFIG_PATH) and runs;
#   4. the installed `ogem paper --quick --device cpu`, started in an empty
#      directory outside the source tree, writes its three figures (so it found
#      the installed plotter).
# BUILD_DIR defaults to build/ (OGEM_BUILD_DIR), built by tools/test.sh. Installs
# pkg-config and matplotlib when they are missing. Prints one PASS/FAIL line per
# check; exits 1 if any failed (the temporary directory is then kept for a look).
# shellcheck disable=SC2317  # the check functions are called through check()
set -uo pipefail
# shellcheck source=tools/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

build=$(cd "${1:-$ogem_build}" 2>/dev/null && pwd) || ogem_die "no build directory ${1:-$ogem_build} (run tools/test.sh first)"
if [ ! -f "$build/CMakeCache.txt" ] || [ ! -x "$build/ogem" ]; then
  ogem_die "$build is not a built ogem tree (run tools/test.sh first)"
fi
ogem_install_packages # nothing to do after tools/test.sh; picks the cmake to use
ogem_find_cuda        # the consumer's find_package(CUDAToolkit) looks on PATH
command -v pkg-config >/dev/null 2>&1 || ogem_apt_install pkg-config
if ! python3 -c 'import matplotlib' >/dev/null 2>&1; then
  ogem_log "installing matplotlib for the figures (python3 -m pip install matplotlib)"
  python3 -m pip install -q matplotlib >/dev/null 2>&1 || ogem_log "could not install matplotlib: the figures check will fail"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ogem-install-check.XXXXXX") || ogem_die "cannot create a temporary directory"
case "$tmp/" in "$ogem_root"/*) ogem_die "the temporary directory $tmp is inside the source tree (set TMPDIR)" ;; esac
prefix="$tmp/prefix"
failed=0

# check NAME COMMAND...: runs COMMAND with its output in $tmp/NAME.log and
# prints PASS or FAIL (with the log's last lines).
check() {
  local name=$1 log="$tmp/$1.log"
  shift
  if "$@" >"$log" 2>&1; then
    printf 'PASS %s\n' "$name"
  else
    printf 'FAIL %s (log: %s)\n' "$name" "$log"
    tail -n 15 "$log" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
}

installed_layout() {
  "$ogem_cmake" --install "$build" --prefix "$prefix" || return 1
  local pc
  pc=$(find "$prefix" -name ogem.pc -path '*/pkgconfig/*' -print -quit)
  [ -n "$pc" ] || { echo "no pkgconfig/ogem.pc under $prefix"; return 1; }
  libdir=$(dirname "$(dirname "$pc")")   # lib, lib64 or lib/<arch>, as GNUInstallDirs chose
  local f ok=0
  for f in "$prefix/bin/ogem" "$libdir/libogem.a" "$prefix/include/ogem/ogem.h" \
    "$libdir/cmake/ogem/ogemConfig.cmake" "$libdir/cmake/ogem/ogemConfigVersion.cmake" \
    "$libdir/cmake/ogem/ogemTargets.cmake" "$prefix/share/ogem/plot_paper.py"; do
    [ -s "$f" ] || { echo "missing: ${f#"$prefix"/}"; ok=1; }
  done
  if [ -n "$(find "$prefix" -name '*ogem_util*' -print -quit)" ]; then
    echo "ogem_util is installed but is not part of the API"
    ok=1
  fi
  find "$prefix" -type f | sort
  return "$ok"
}

consumer_cmake() {
  "$ogem_cmake" -S "$ogem_root/tests/consumer" -B "$tmp/consumer-cmake" -DCMAKE_PREFIX_PATH="$prefix" &&
    "$ogem_cmake" --build "$tmp/consumer-cmake" &&
    "$tmp/consumer-cmake/consumer"
}

consumer_pkgconfig() {
  local flags
  flags=$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs ogem) || return 1
  echo "pkg-config --cflags --libs ogem: $flags"
  # shellcheck disable=SC2086  # the flags are a list of words
  "${CC:-cc}" -std=c11 -Wall -Wextra -Werror -o "$tmp/consumer-pc" "$ogem_root/tests/consumer/consumer.c" $flags &&
    "$tmp/consumer-pc"
}

installed_paper() ( # a subshell: it changes directory
  mkdir -p "$tmp/empty" && cd "$tmp/empty" || return 1
  "$prefix/bin/ogem" paper --quick --device cpu --out paper || return 1
  local png ok=0
  for png in fig_convergence.png fig_weights.png fig_escape.png; do # tools/plot_paper.py's names
    [ -s "paper/$png" ] || { echo "missing: paper/$png"; ok=1; }
  done
  return "$ok"
)

t0=$SECONDS
ogem_log "installing $build into $prefix"
check install installed_layout
if [ -n "${libdir:-}" ]; then
  check consumer-find_package consumer_cmake
  check consumer-pkg-config consumer_pkgconfig
  check installed-paper-figures installed_paper
else
  failed=$((failed + 3))
  printf 'FAIL %s (not installed)\n' consumer-find_package consumer-pkg-config installed-paper-figures
fi

if [ "$failed" -eq 0 ]; then
  rm -rf "$tmp"
  printf 'install_check: all 4 checks passed in %d s\n' $((SECONDS - t0))
  exit 0
fi
printf 'install_check: %d of 4 checks FAILED (kept %s)\n' "$failed" "$tmp"
exit 1
