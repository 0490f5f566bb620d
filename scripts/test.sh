#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (unit + integration against a
# real etcd started on loopback). Exit status is CTest's.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 600
