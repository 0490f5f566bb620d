#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite: every unit and integration
# test (against real etcd servers started on loopback) in one build instrumented with
# AddressSanitizer and UBSan, and a bounded libFuzzer run of the fuzz targets from that build.
# Its last line is CTest's summary. (scripts/build.sh makes the plain, optimized binary that the
# demo and the benchmarks use; the suite runs on the sanitized one, which finds more.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
exec bash scripts/test-sanitize.sh
