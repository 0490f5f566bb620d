#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite: every unit and integration
# test (against real etcd servers started on loopback) in one build instrumented with
# AddressSanitizer and UBSan, and a bounded libFuzzer run of the fuzz targets from that build.
# Its last line is CTest's summary. First it builds the release binary (scripts/build.sh: the
# static build into build/, what the demo and the benchmarks use), which one test of the suite
# runs in a root file system holding nothing but glibc (tests/release); the suite itself runs
# on the sanitized build, which finds more.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
RELEASE_DIR=$(realpath -m "${BUILD_DIR:-build}")
echo "== test: the release binary (scripts/build.sh: static, into $RELEASE_DIR)"
bash scripts/build.sh
export ETCDSNAP_RELEASE_BINARY=${ETCDSNAP_RELEASE_BINARY:-$RELEASE_DIR/etcdsnap}
exec bash scripts/test-sanitize.sh
