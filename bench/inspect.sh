#!/usr/bin/env bash
# Benchmarks `etcdsnap snapshot inspect` and `diff`: wall and CPU time and peak RSS (/usr/bin/time),
# BENCH_RUNS runs each, medians, warm page cache, on
#  1. a Kubernetes-shaped file of BENCH_SIZE_MB (1024) MiB of keys and values written by
#     etcdsnap-k8sdb (no server): pods, events on leases, configmaps, encrypted secrets, node
#     leases renewed many times, a JSON custom resource; hundreds of thousands of keys, each
#     with a few revisions, which is what the per-key table costs;
#  2. a file with BENCH_KEYS (1000000) keys written twice each with 100-byte values
#     (etcdsnap-keysdb, as bench/hashkv.sh): the per-key table at its largest for the bytes;
#  3. bench/run.sh's Kubernetes-like etcd of that size, when there is one (its member's db file,
#     $BENCH_DIR/kube-<BENCH_SIZE_MB>MB/etcd-data/member/snap/db: a real server's file, with
#     history, compactions, tombstones and free pages);
#  4. the ~1 GiB snapshot the other benchmarks use, when there is one ($SNAP, else
#     $BENCH_DIR/snap.db as left by `bench/save.sh --fill-only`: 256 KiB values, few keys).
# Beside each, `snapshot diff` of the file with itself (two key tables, every key compared) and
# `snapshot status` on the same file (the same walk, without the report).
# Targets: a 1 GiB file in seconds; memory one record per key (docs/inspect.md).
# Environment: BENCH_DIR (/tmp/etcdsnap-bench), BUILD_DIR (build), BENCH_RUNS (3),
# BENCH_SIZE_MB (1024), BENCH_KEYS (1000000; 0 skips part 2).
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_DIR=${BENCH_DIR:-/tmp/etcdsnap-bench}
BUILD_DIR=${BUILD_DIR:-build}
RUNS=${BENCH_RUNS:-3}
SIZE_MB=${BENCH_SIZE_MB:-1024}
SNAP=${SNAP:-$BENCH_DIR/snap.db}
ETCDSNAP=$BUILD_DIR/etcdsnap
K8SDB=$BUILD_DIR/etcdsnap-k8sdb
KEYSDB=$BUILD_DIR/etcdsnap-keysdb
KEYS=${BENCH_KEYS:-1000000}
TIME=/usr/bin/time

. bench/common.sh
[ -x "$ETCDSNAP" ] || die "$ETCDSNAP not built (scripts/build.sh)"
[ -x "$TIME" ] || die "/usr/bin/time not found (apt-get install time)"
bench_build_tool etcdsnap-k8sdb
bench_build_tool etcdsnap-keysdb
# One bench at a time on $BENCH_DIR: bench/run.sh's etcd may be writing the kube data dir read
# below. No etcd is started here: check `uptime` first, timings beside another heavy job are
# worth little.
bench_lock

K8S_FILE=$BENCH_DIR/k8s-${SIZE_MB}MB.db
if [ ! -f "$K8S_FILE" ]; then
  "$K8SDB" --out "$K8S_FILE.part" --size-mb "$SIZE_MB" >"$BENCH_DIR/k8sdb.out"
  mv "$K8S_FILE.part" "$K8S_FILE"
fi
names=()
# time_file LABEL FILE [JSON]: inspect (and inspect -w json with JSON) beside status on FILE,
# $RUNS times each, page cache warm.
time_file() {
  local label=$1 file=$2 json=${3:-} i
  cat "$file" >/dev/null
  rm -f "$BENCH_DIR"/{inspect,inspect-json,diff,status}-"$label".times
  for i in $(seq "$RUNS"); do
    echo "run $i"
    bench_measure "inspect-$label" "$ETCDSNAP" snapshot inspect "$file"
    [ -z "$json" ] || bench_measure "inspect-json-$label" "$ETCDSNAP" snapshot inspect "$file" -w json
    # diff of the file with itself: both key tables, every key looked up in the other.
    bench_measure "diff-$label" "$ETCDSNAP" snapshot diff "$file" "$file"
    bench_measure "status-$label" "$ETCDSNAP" snapshot status "$file"
  done
  names+=("inspect-$label")
  [ -z "$json" ] || names+=("inspect-json-$label")
  names+=("diff-$label" "status-$label")
}

echo "kubernetes-shaped: $K8S_FILE ($(stat -c %s "$K8S_FILE") bytes)"
time_file k8s "$K8S_FILE" json
"$ETCDSNAP" snapshot inspect "$K8S_FILE" -w json >"$BENCH_DIR/inspect-k8s.json"
keys=$(grep -o '"distinct":[0-9]*' "$BENCH_DIR/inspect-k8s.json" | head -1 | cut -d: -f2)
revs=$(grep -o '"revisions":[0-9]*' "$BENCH_DIR/inspect-k8s.json" | head -1 | cut -d: -f2)
echo "  ($keys keys, $revs revisions)"

if [ "$KEYS" -gt 0 ]; then
  KEYS_FILE=$BENCH_DIR/keys-$KEYS.db
  if [ ! -f "$KEYS_FILE" ]; then
    "$KEYSDB" --out "$KEYS_FILE.part" --keys "$KEYS" --revisions 2 --value-size 100 >/dev/null
    mv "$KEYS_FILE.part" "$KEYS_FILE"
  fi
  echo "many keys: $KEYS_FILE ($KEYS keys x 2 revisions, $(stat -c %s "$KEYS_FILE") bytes)"
  time_file keys "$KEYS_FILE"
fi

KUBE_DB=$BENCH_DIR/kube-${SIZE_MB}MB/etcd-data/member/snap/db
if [ -f "$KUBE_DB" ]; then
  echo "kube shape (bench/run.sh): $KUBE_DB ($(stat -c %s "$KUBE_DB") bytes)"
  time_file kube "$KUBE_DB"
fi

if [ -f "$SNAP" ]; then
  echo "snapshot: $SNAP ($(stat -c %s "$SNAP") bytes)"
  time_file snap "$SNAP"
else
  echo "no snapshot at $SNAP: skipping it (bench/save.sh --fill-only makes one)"
fi
echo
bench_report "${names[@]}"
