#!/usr/bin/env bash
# The whole test suite under AddressSanitizer and UBSan, and a bounded fuzz run, from ONE build:
# clang, everything of ours that ships (libraries, gRPC client, the binary) and the fuzz targets
# compiled with -fsanitize=address,undefined plus libFuzzer's coverage hooks (fuzzer-no-link),
# into build-san. The tests' own code links the sanitizer runtimes but is not instrumented, and
# Debian's gRPC, protobuf and OpenSSL are not either; they need not be.
#  (a) every CTest test, unit and integration (real etcd servers), runs against the sanitized
#      binary and libraries;
#  (b) the fuzz targets run two at a time for FUZZ_SECONDS of wall time (default 15: 5 s for
#      each of 6 targets, to keep CI under 15 minutes; FUZZ_SECONDS=600 for a longer run),
#      seeded with tests/data and small generated files.
# Fails when a test fails, a sanitizer reports, or a fuzzer finds a crash, leak or timeout
# (artifacts in build-san/).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
BUILD=${SAN_BUILD_DIR:-build-san}

CC_BIN=$(command -v clang || command -v clang-14 || true)
CXX_BIN=$(command -v clang++ || command -v clang++-14 || true)
[ -n "$CXX_BIN" ] || { echo "test-sanitize: clang++ not found (apt-get install clang)" >&2; exit 1; }

echo "== test-sanitize: build ($BUILD: clang, ASan+UBSan, gRPC, tests, fuzz targets)"
SAN="-fsanitize=fuzzer-no-link"
# The code under test is optimised (-O2, as released) and instrumented; the tests' own code is
# neither: -O0 with line tables halved its compile time, and leaving out the instrumentation
# (-fno-sanitize=all) cuts it by another ~60% (check_test.cc: 9.7 s -> 3.6 s under clang). What
# the sanitizers check is the code defined in our libraries' .cc files, which the tests call;
# what is given up: bad reads in the tests' own code (ASan's memcpy/memcmp interceptors still
# see some), and inline or template code of our headers when the linker keeps a test object's
# uninstrumented copy (no header of ours holds parsing logic that a test instantiates).
# -gline-tables-only for the code under test as well: reports still name file and line, and
# without full debug info its compile takes ~11% less (client.cc: 18.4 s -> 16.4 s).
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DETCDSNAP_SANITIZE=ON -DETCDSNAP_FUZZ=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only -DNDEBUG" \
  -DETCDSNAP_TEST_COMPILE_OPTIONS="-O0;-gline-tables-only;-fno-sanitize=all" \
  -DCMAKE_C_COMPILER="$CC_BIN" -DCMAKE_CXX_COMPILER="$CXX_BIN" \
  -DCMAKE_C_FLAGS="$SAN" -DCMAKE_CXX_FLAGS="$SAN" >/dev/null
cmake --build "$BUILD" -j"$JOBS"

echo "== test-sanitize: fuzz targets, two at a time, ${FUZZ_SECONDS}s in all"
SEEDS=$BUILD/seeds
rm -rf "$SEEDS" && mkdir -p "$SEEDS"
cp tests/data/s1.db tests/data/default-restore-db tests/data/etcd-branches.db "$SEEDS"/
"$BUILD"/fuzz/bolt_fuzz_seeds "$SEEDS"
# Compressed snapshots, for the decompressors (and as hostile input to the others).
zstd -q -c tests/data/s1.db >"$SEEDS/s1.db.zst"
gzip -c tests/data/s1.db >"$SEEDS/s1.db.gz"
mapfile -t TARGETS < <(find "$BUILD/fuzz" -maxdepth 1 -type f -name '*_fuzz' -perm -u+x | sort)
[ ${#TARGETS[@]} -gt 0 ] || { echo "test-sanitize: no fuzz targets built" >&2; exit 1; }
# Two targets at a time (each fuzzer is one process on one core): each gets
# 2 * FUZZ_SECONDS / targets seconds, and the step takes FUZZ_SECONDS of wall time.
PER_TARGET=$(( 2 * FUZZ_SECONDS / ${#TARGETS[@]} ))
[ "$PER_TARGET" -ge 1 ] || PER_TARGET=1
fuzz_one() {
  local t=$1 name corpus
  name=$(basename "$t")
  corpus=$BUILD/corpus-$name
  mkdir -p "$corpus"
  "$t" "$corpus" "$SEEDS" -max_total_time="$PER_TARGET" -max_len=65536 -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$BUILD/$name-" -print_final_stats=1 \
    2>"$BUILD/$name.log" \
    || { tail -50 "$BUILD/$name.log" >&2; echo "test-sanitize: $name failed" >&2; return 1; }
  echo "$name: $(grep -E '^stat::number_of_executed_units' "$BUILD/$name.log" | awk '{print $2}') runs in ${PER_TARGET}s"
}
for ((i = 0; i < ${#TARGETS[@]}; i += 2)); do
  pids=()
  for t in "${TARGETS[@]:i:2}"; do
    fuzz_one "$t" & pids+=($!)
  done
  failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done  # both finish; both logs shown
  [ "$failed" -eq 0 ] || exit 1
done

echo "== test-sanitize: the whole CTest suite under ASan+UBSan"
# exitcode=99: a report must not read as etcdsnap's own exit 1 ("error"), which is what verify
# and status answer a damaged file with; etcdsnap never exits 99 (tests/inspect/forked_cli.h).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1:exitcode=99}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=99}
cd "$BUILD"
# One test more than cores: the integration tests spend part of their time waiting for etcd (at
# -j2 on 2 cores the tests kept the cores 78% busy; -j3 took the suite from ~400 s to 360 s).
ctest --output-on-failure -j"$((JOBS + 1))" --timeout 900
