#!/usr/bin/env bash
# Sanitizers and fuzzing for the code that reads untrusted snapshot files:
#  (a) the unit tests of util/bolt/etcd built with ASan+UBSan (build-asan; no gRPC, so neither
#      the binary nor the integration tests are built there), run once;
#  (b) the libFuzzer targets built with clang (build-fuzz), seeded with tests/data and small
#      generated files, sharing FUZZ_SECONDS (default 60): bolt_fuzz (Check with etcd's status
#      and schema) and cursor_fuzz (the bare cursor over every bucket), half each.
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

echo "== test-sanitize: bolt_fuzz and cursor_fuzz for ${FUZZ_SECONDS}s in all (build-fuzz)"
CC_BIN=$(command -v clang || command -v clang-14 || true)
CXX_BIN=$(command -v clang++ || command -v clang++-14 || true)
[ -n "$CXX_BIN" ] || { echo "test-sanitize: clang++ not found (apt-get install clang)" >&2; exit 1; }
SAN="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DETCDSNAP_FUZZ=ON \
  -DETCDSNAP_WITH_GRPC=OFF -DETCDSNAP_BUILD_TESTS=OFF \
  -DCMAKE_C_COMPILER="$CC_BIN" -DCMAKE_CXX_COMPILER="$CXX_BIN" \
  -DCMAKE_C_FLAGS="$SAN" -DCMAKE_CXX_FLAGS="$SAN" >/dev/null
cmake --build build-fuzz -j"$JOBS" --target bolt_fuzz cursor_fuzz bolt_fuzz_seeds

SEEDS=build-fuzz/seeds
rm -rf "$SEEDS" && mkdir -p "$SEEDS"
cp tests/data/s1.db tests/data/default-restore-db tests/data/etcd-branches.db "$SEEDS"/
build-fuzz/fuzz/bolt_fuzz_seeds "$SEEDS"
for target in bolt_fuzz cursor_fuzz; do
  corpus=build-fuzz/corpus-$target
  mkdir -p "$corpus"
  build-fuzz/fuzz/$target "$corpus" "$SEEDS" \
    -max_total_time=$((FUZZ_SECONDS / 2)) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix=build-fuzz/$target- -print_final_stats=1 2>build-fuzz/$target.log \
    || { tail -50 build-fuzz/$target.log >&2; echo "test-sanitize: $target failed" >&2; exit 1; }
  echo "$target:"
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)" build-fuzz/$target.log || true
done
echo "== test-sanitize: ok"
