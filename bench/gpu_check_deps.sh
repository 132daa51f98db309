#!/usr/bin/env bash
# gpu_check_deps.sh - run on the development machine BEFORE a device call:
# copies Criterion and GSL (headers and shared libraries, with the libraries
# Criterion needs that a CUDA image usually lacks) into .gpucheck-deps/, so
# that bench/gpu_check.sh can build and run ogem_tests on the lent H200, whose
# CUDA image has CMake and nvcc but not these two.
#
#   bench/gpu_check_deps.sh          # then call the device with
#   carry: [".gpucheck-deps"]        # and command: bash bench/gpu_check.sh
#
# The folder is added to .git/info/exclude (never committed).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
d="$root/.gpucheck-deps"
for h in /usr/include/criterion/criterion.h /usr/include/gsl/gsl_math.h; do
  [ -e "$h" ] || { echo "gpu_check_deps: $h is missing here (install libcriterion-dev and libgsl-dev)" >&2; exit 1; }
done
rm -rf "$d"
mkdir -p "$d/include" "$d/lib"
cp -r /usr/include/criterion "$d/include/"
cp -r /usr/include/gsl "$d/include/"
libdir=/usr/lib/x86_64-linux-gnu
# Criterion, GSL, and Criterion's less common dependencies. Deliberately not
# copied: glibc, zlib, OpenSSL, Kerberos, libffi, PCRE2 (base libraries the
# device image has; copies could shadow its own for other programs).
want="libcriterion.so.3 libgsl.so.27 libgslcblas.so.0 libgit2.so.1.5 libnanomsg.so.5 libmbedtls.so.14
      libmbedx509.so.1 libmbedcrypto.so.7 libhttp_parser.so.2.9 libssh2.so.1"
for l in $want; do
  for dir in "$libdir" /lib/x86_64-linux-gnu; do
    if [ -e "$dir/$l" ]; then cp -L "$dir/$l" "$d/lib/"; break; fi
  done
done
ln -sf libcriterion.so.3 "$d/lib/libcriterion.so"
ln -sf libgsl.so.27 "$d/lib/libgsl.so"
ln -sf libgslcblas.so.0 "$d/lib/libgslcblas.so"
if [ -d "$root/.git/info" ] && ! grep -qx '/.gpucheck-deps/' "$root/.git/info/exclude" 2>/dev/null; then
  echo '/.gpucheck-deps/' >> "$root/.git/info/exclude"
fi
du -sh "$d"
ls "$d/lib"
