#!/usr/bin/env bash
# Benchmarks `etcdsnap snapshot hashkv`: wall time and peak RSS (/usr/bin/time -f "%e %M"),
# BENCH_RUNS runs each, medians, warm page cache, on
#  1. the ~1 GiB snapshot the other benchmarks use ($SNAP, else $BENCH_DIR/snap.db as left by
#     `bench/save.sh --fill-only`; 256 KiB values, few keys), beside `snapshot status` on it;
#  2. a file with BENCH_KEYS (1000000) keys written twice each (etcdsnap-keysdb, no server),
#     where the per-key index is what costs memory. Target: peak RSS <= 256 MiB for 1 M keys.
# Environment: BENCH_DIR (/tmp/etcdsnap-bench), BUILD_DIR (build), BENCH_RUNS (3), BENCH_KEYS.
# Makes no snapshot itself: without one at $SNAP, part 1 is skipped (run bench/save.sh first).
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_DIR=${BENCH_DIR:-/tmp/etcdsnap-bench}
BUILD_DIR=${BUILD_DIR:-build}
RUNS=${BENCH_RUNS:-3}
KEYS=${BENCH_KEYS:-1000000}
SNAP=${SNAP:-$BENCH_DIR/snap.db}
ETCDSNAP=$BUILD_DIR/etcdsnap
KEYSDB=$BUILD_DIR/etcdsnap-keysdb
TIME=/usr/bin/time

. bench/common.sh
[ -x "$ETCDSNAP" ] || die "$ETCDSNAP not built (scripts/build.sh)"
[ -x "$TIME" ] || die "/usr/bin/time not found (apt-get install time)"
bench_build_tool etcdsnap-keysdb
mkdir -p "$BENCH_DIR"
# No etcd is started, so bench/common.sh's lock (held by a bench etcd for as long as it runs) is
# not taken: check `uptime` first, timings beside another heavy job are worth little.

# measure NAME CMD...: appends "wall rss_kib" to $BENCH_DIR/NAME.times
measure() {
  local name=$1
  shift
  "$TIME" -f "%e %M" -o "$BENCH_DIR/$name.last" "$@" >"$BENCH_DIR/$name.out" 2>&1 ||
    die "$name failed: $* ($(cat "$BENCH_DIR/$name.out"))"
  cat "$BENCH_DIR/$name.last" >>"$BENCH_DIR/$name.times"
  local wall rss
  read -r wall rss <"$BENCH_DIR/$name.last"
  printf "  %-22s wall %6ss  peak RSS %8s KiB  %s\n" "$name" "$wall" "$rss" \
    "$(head -c 80 "$BENCH_DIR/$name.out")"
}

names=()
if [ -f "$SNAP" ]; then
  echo "snapshot: $SNAP ($(stat -c %s "$SNAP") bytes)"
  cat "$SNAP" >/dev/null
  rm -f "$BENCH_DIR"/{hashkv-snapshot,status-snapshot}.times
  for i in $(seq "$RUNS"); do
    echo "run $i"
    measure hashkv-snapshot "$ETCDSNAP" snapshot hashkv "$SNAP"
    measure status-snapshot "$ETCDSNAP" snapshot status "$SNAP"
  done
  names+=(hashkv-snapshot status-snapshot)
else
  echo "no snapshot at $SNAP: skipping the 1 GiB run (bench/save.sh --fill-only makes it)"
fi

KEYS_FILE=$BENCH_DIR/keys-$KEYS.db
if [ ! -f "$KEYS_FILE" ]; then
  "$KEYSDB" --out "$KEYS_FILE.part" --keys "$KEYS" --revisions 2 --value-size 100 >/dev/null
  mv "$KEYS_FILE.part" "$KEYS_FILE"
fi
echo "many keys: $KEYS_FILE ($KEYS keys x 2 revisions, $(stat -c %s "$KEYS_FILE") bytes)"
cat "$KEYS_FILE" >/dev/null
rm -f "$BENCH_DIR"/hashkv-keys*.times
for i in $(seq "$RUNS"); do
  echo "run $i"
  measure hashkv-keys "$ETCDSNAP" snapshot hashkv "$KEYS_FILE"
  measure hashkv-keys-compacted "$ETCDSNAP" snapshot hashkv "$KEYS_FILE" --compact-rev "$((KEYS + 1))"
done
names+=(hashkv-keys hashkv-keys-compacted)
echo
bench_report "${names[@]}"
echo "RSS target: <= 256 MiB for $KEYS keys"
