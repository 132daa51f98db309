#!/usr/bin/env bash
# tools/test_python.sh - builds and tests the Python package (tools/test.sh runs
# it after the Criterion suite, on the build it made):
#   1. a virtual environment in BUILD/python-venv (tools/setup.sh ogem_python_venv);
#   2. `pip install .` into it, CPU-only (-DOGEM_CUDA=OFF: the tests compare
#      with the binary on the CPU, and nvcc would cost minutes), with the same
#      OGEM_CMAKE_ARGS as the binary (the same code generation, so the same
#      bits) and an incremental build directory BUILD/python-build;
#   3. `import ogem` prints the project's version;
#   4. pytest tests/python, comparing with BUILD/ogem (OGEM_BIN).
# Extra arguments go to pytest (for example -k escape). Exits non-zero on failure.
set -euo pipefail
# shellcheck source=tools/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ogem_root"
[ -x "$ogem_build/ogem" ] || ogem_die "no $ogem_build/ogem: run tools/test.sh (it builds it)"
ogem_install_packages  # a no-op after tools/test.sh; picks the cmake to use
ogem_find_cuda         # cuRAND: CMake's find_package(CUDAToolkit)
case "$ogem_cmake" in */*) PATH="$(dirname "$ogem_cmake"):$PATH" ;; esac  # the cmake scikit-build-core runs
venv="$ogem_build/python-venv"
ogem_python_venv "$venv"
ogem_log "pip install . (CPU-only extension) into ${venv#"$ogem_root"/}"
# shellcheck disable=SC2086  # OGEM_CMAKE_ARGS is a list of arguments
CMAKE_ARGS="-DOGEM_CUDA=OFF -DOGEM_WERROR=ON ${OGEM_CMAKE_ARGS:-}" \
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation \
  -C build-dir="$ogem_build/python-build" . ||
  ogem_die "pip install . failed"
want=$(sed -n 's/^project(ogem VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
# From outside the tree, so that the installed package is the one imported.
got=$(cd / && "$venv/bin/python" -c 'import ogem; print(ogem.__version__)')
[ "$got" = "$want" ] || ogem_die "import ogem gives version '$got', CMakeLists.txt says '$want'"
ogem_log "import ogem: version $got; running pytest tests/python"
OGEM_BIN="$ogem_build/ogem" "$venv/bin/python" -m pytest -q -p no:cacheprovider --import-mode=importlib \
  tests/python "$@"
