#!/usr/bin/env bash
# Sanitizers and fuzzing for the code that reads untrusted snapshot files:
#  (a) the unit tests of util/bolt/etcd built with ASan+UBSan (build-asan; no gRPC, so neither
#      the binary nor the integration tests are built there), run once;
#  (b) the bolt_fuzz libFuzzer target built with clang (build-fuzz), run for FUZZ_SECONDS
#      (default 60) seeded with tests/data and small generated files.
# Fails when a test fails or the fuzzer finds a crash, leak or timeout (artifacts in build-fuzz/).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}

echo "== test-sanitize: unit tests under ASan+UBSan (build-asan)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DETCDSNAP_SANITIZE=ON \
  -DETCDSNAP_WITH_GRPC=OFF >/dev/null
cmake --build build-asan -j"$JOBS"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j"$JOBS" --timeout 300)

echo "== test-sanitize: bolt_fuzz for ${FUZZ_SECONDS}s (build-fuzz)"
CC_BIN=$(command -v clang || command -v clang-14 || true)
CXX_BIN=$(command -v clang++ || command -v clang++-14 || true)
[ -n "$CXX_BIN" ] || { echo "test-sanitize: clang++ not found (apt-get install clang)" >&2; exit 1; }
SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DETCDSNAP_FUZZ=ON \
  -DETCDSNAP_WITH_GRPC=OFF -DETCDSNAP_BUILD_TESTS=OFF \
  -DCMAKE_C_COMPILER="$CC_BIN" -DCMAKE_CXX_COMPILER="$CXX_BIN" \
  -DCMAKE_C_FLAGS="$SAN" -DCMAKE_CXX_FLAGS="$SAN" >/dev/null
cmake --build build-fuzz -j"$JOBS" --target bolt_fuzz bolt_fuzz_seeds

SEEDS=build-fuzz/seeds
CORPUS=build-fuzz/corpus
rm -rf "$SEEDS" && mkdir -p "$SEEDS" "$CORPUS"
cp tests/data/s1.db tests/data/default-restore-db "$SEEDS"/
build-fuzz/fuzz/bolt_fuzz_seeds "$SEEDS"
build-fuzz/fuzz/bolt_fuzz "$CORPUS" "$SEEDS" \
  -max_total_time="$FUZZ_SECONDS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix=build-fuzz/ -print_final_stats=1 2>build-fuzz/fuzz.log \
  || { tail -50 build-fuzz/fuzz.log >&2; echo "test-sanitize: bolt_fuzz failed" >&2; exit 1; }
grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)" build-fuzz/fuzz.log || true
echo "== test-sanitize: ok"
