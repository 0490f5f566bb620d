#!/usr/bin/env bash
# Builds the release binary into ./build/etcdsnap (or $BUILD_DIR): -DETCDSNAP_STATIC=ON links
# gRPC, protobuf, abseil, OpenSSL, zstd, zlib and libstdc++ statically, so the binary needs
# nothing but glibc (cmake/Static.cmake; the build fails if it would need more). The demo, the
# benchmarks and the test of the release binary (tests/release) use it. Tests are not built
# here: scripts/test.sh builds and runs them in their own sanitized tree. Extra args go to
# cmake (e.g. -DETCDSNAP_STATIC=OFF for a build against Debian's shared libraries).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
# -g1: line tables and function names (what perf and a backtrace need), not the full debug info
# of every local: a quarter less compile time, and the .deb strips it anyway.
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DETCDSNAP_STATIC=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  -DETCDSNAP_BUILD_TESTS=OFF "$@" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
