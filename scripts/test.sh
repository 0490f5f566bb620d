#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite: unit and integration tests
# (against real etcd servers started on loopback), then the unit tests again under ASan+UBSan
# and a bounded libFuzzer run. Fails on the first failing stage.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

# --- stage: sanitizers and fuzzing (owned by the bbolt reader work) ---
[ -f scripts/test-sanitize.sh ] && bash scripts/test-sanitize.sh

# --- stage: main build and the whole CTest suite (its summary is the run's closing line) ---
bash scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" --timeout 900
