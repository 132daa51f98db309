# shellcheck shell=bash
# tools/setup.sh - the set-up shared by tools/test.sh and tools/main.sh.
# Sourced, not run: defines ogem_setup, which on a fresh machine
#   1. installs what is missing (cmake >= 3.25, a C compiler, make, Criterion,
#      GSL, OpenBLAS for the CPU backend's GEMM path, Open MPI for the
#      OGEM_MPI build) with apt-get, running
#      `apt-get update` only when something is;
#   2. puts the CUDA toolkit's nvcc on PATH (PATH first, /usr/local/cuda/bin
#      as the fallback): cuRAND is needed on every build, even without a GPU;
#   3. configures build/ with warnings as errors and builds it on all cores.
# Extra CMake arguments can be passed in OGEM_CMAKE_ARGS (for example
# "-DCMAKE_CUDA_ARCHITECTURES=90"), another build directory in OGEM_BUILD_DIR.

ogem_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ogem_build="${OGEM_BUILD_DIR:-$ogem_root/build}"  # overridable, e.g. for parallel checkouts
ogem_cmake=cmake

ogem_log() { printf '[ogem] %s\n' "$*" >&2; }
ogem_die() { printf '[ogem] error: %s\n' "$*" >&2; exit 1; }

ogem_nproc() { nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2; }

# Runs a command as root: directly when we are root, else through sudo.
ogem_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    ogem_die "need root (or sudo) to run: $*"
  fi
}

# True when the linker can find libLIB.so (the -dev package's link, not only the runtime's libLIB.so.N).
ogem_has_lib() {
  # grep reads everything (no -q): with pipefail, an early exit of grep -q
  # would kill ldconfig with SIGPIPE and make a present library look missing.
  { ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null; } | grep "lib$1\.so (" >/dev/null
}

# True when the C compiler finds HEADER.
ogem_has_header() {
  printf '#include <%s>\n' "$1" | "${CC:-cc}" -E -x c - >/dev/null 2>&1
}

# cmake's version as a number (3.25.1 -> 325), 0 when there is none.
ogem_cmake_version() {
  "$1" --version 2>/dev/null | awk 'NR == 1 { split($3, v, "."); print v[1] * 100 + v[2]; exit }' || echo 0
}

# Installs the Debian/Ubuntu packages named (also used by tools/install_check.sh).
ogem_apt_install() {
  command -v apt-get >/dev/null 2>&1 ||
    ogem_die "missing: $* (Debian/Ubuntu names); install them with your package manager"
  ogem_log "installing $*"
  ogem_as_root apt-get update -q
  ogem_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

ogem_install_packages() {
  # Look for the capabilities, not for package names, so a machine that has
  # them from elsewhere is left alone.
  local missing=()
  command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || missing+=(gcc)
  command -v make >/dev/null 2>&1 || missing+=(make)
  command -v cmake >/dev/null 2>&1 || missing+=(cmake)
  if command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1; then
    [ -n "${CC:-}" ] || { command -v cc >/dev/null 2>&1 || export CC=gcc; }
    ogem_has_header criterion/criterion.h || missing+=(libcriterion-dev)
    ogem_has_header gsl/gsl_math.h || missing+=(libgsl-dev)
    # Open MPI (README "Running under MPI"): mpicc for CMake's FindMPI, mpirun for tools/mpi_check.sh.
    { command -v mpicc && command -v mpirun; } >/dev/null 2>&1 || missing+=(libopenmpi-dev openmpi-bin)
  else
    missing+=(libcriterion-dev libgsl-dev)
  fi
  # A BLAS for the CPU backend's GEMM path (CMake OGEM_BLAS=AUTO finds it).
  ogem_has_lib openblas || ogem_has_lib blis || missing+=(libopenblas-dev)
  [ ${#missing[@]} -eq 0 ] || ogem_apt_install "${missing[@]}"
  # CMake 3.25 or newer (older distributions ship 3.22): fall back to pip's.
  if [ "$(ogem_cmake_version cmake)" -lt 325 ]; then
    local user_cmake="$HOME/.local/bin/cmake"
    if [ "$(ogem_cmake_version "$user_cmake")" -lt 325 ]; then
      ogem_log "cmake is older than 3.25; installing a newer one with pip (--user)"
      python3 -m pip install -q --user 'cmake>=3.25' ||
        ogem_die "need cmake >= 3.25 (found $(cmake --version | head -1))"
    fi
    ogem_cmake="$user_cmake"
  fi
}

ogem_find_cuda() {
  if ! command -v nvcc >/dev/null 2>&1; then
    if [ -x /usr/local/cuda/bin/nvcc ]; then
      export PATH="/usr/local/cuda/bin:$PATH"
    else
      ogem_die "the CUDA toolkit (nvcc, cuRAND) was not found on PATH or in /usr/local/cuda; ogem needs it even without a GPU"
    fi
  fi
  ogem_log "CUDA toolkit: $(command -v nvcc)"
}

ogem_setup() {
  ogem_install_packages
  ogem_find_cuda
  ogem_log "configuring $ogem_build"
  # shellcheck disable=SC2086  # OGEM_CMAKE_ARGS is a list of arguments
  "$ogem_cmake" -S "$ogem_root" -B "$ogem_build" -DOGEM_WERROR=ON ${OGEM_CMAKE_ARGS:-} >/dev/null
  ogem_log "building with $(ogem_nproc) jobs"
  "$ogem_cmake" --build "$ogem_build" -j "$(ogem_nproc)"
}

# ---- the Python package (tools/test_python.sh) --------------------------------------
# ogem_python_venv DIR: a virtual environment in DIR (made once, with python3)
# holding what building and testing the package needs: scikit-build-core,
# NumPy and pytest, and, when they install, pandas and tqdm (their tests are
# skipped without them). Installs the Debian packages for venv and Python's
# headers when python3 lacks them.
ogem_python_venv() {
  local venv=$1 missing=()
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  if [ ${#missing[@]} -eq 0 ]; then
    python3 -c 'import ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
    [ -f "$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')/Python.h" ] || missing+=(python3-dev)
  else
    missing+=(python3-venv python3-dev)
  fi
  [ ${#missing[@]} -eq 0 ] || ogem_apt_install "${missing[@]}"
  if [ ! -x "$venv/bin/python" ]; then
    ogem_log "creating the virtual environment $venv"
    python3 -m venv "$venv" || ogem_die "python3 -m venv $venv failed"
  fi
  "$venv/bin/python" -m pip install -q --disable-pip-version-check 'scikit-build-core>=0.10' numpy pytest ||
    ogem_die "could not install scikit-build-core, numpy and pytest into $venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check pandas tqdm >/dev/null 2>&1 ||
    ogem_log "pandas/tqdm did not install: their tests are skipped"
}
