#!/usr/bin/env bash
# Benchmarks `etcdsnap snapshot status` and `snapshot verify` against `etcdctl snapshot status`
# on a ~1 GiB snapshot, warm page cache, side by side: wall time and peak RSS
# (/usr/bin/time -f "%e %M"), BENCH_RUNS runs each (alternating), medians and ratios.
#
#   bench/status.sh            uses $SNAP, making it first if needed
#
# The snapshot: $SNAP if set, else $BENCH_DIR/snap.db as left by `bench/save.sh --fill-only`
# (etcdsnap-fill, 256 KiB values); when that loader is not built, this script fills its own
# etcd with 1 MiB values through `etcdctl put` (4 in parallel) and saves with etcdctl.
# Environment: BENCH_DIR (/tmp/etcdsnap-bench), BUILD_DIR (build), BENCH_RUNS (3),
# BENCH_SIZE_MB (1024), BENCH_PORT (42479; peer port +1, for the fallback fill only).
# Targets: status wall <= 0.5x etcdctl's; peak RSS <= 64 MiB for status and verify.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_DIR=${BENCH_DIR:-/tmp/etcdsnap-bench}
BUILD_DIR=${BUILD_DIR:-build}
RUNS=${BENCH_RUNS:-3}
SIZE_MB=${BENCH_SIZE_MB:-1024}
PORT=${BENCH_PORT:-42479}
SNAP=${SNAP:-$BENCH_DIR/snap.db}
ETCDSNAP=$BUILD_DIR/etcdsnap
ETCDCTL=$(command -v etcdctl || true)
TIME=/usr/bin/time

. bench/common.sh
[ -x "$ETCDSNAP" ] || die "$ETCDSNAP not built (scripts/build.sh)"
[ -x "$TIME" ] || die "/usr/bin/time not found (apt-get install time)"
mkdir -p "$BENCH_DIR"

fill_with_etcdctl() {
  local data=$BENCH_DIR/status-etcd-data ep=127.0.0.1:$PORT peer=127.0.0.1:$((PORT + 1))
  [ -n "$ETCDCTL" ] || die "neither etcdsnap-fill nor etcdctl is available to make a snapshot"
  rm -rf "$data"
  etcd --name bench --data-dir "$data" \
    --listen-client-urls "http://$ep" --advertise-client-urls "http://$ep" \
    --listen-peer-urls "http://$peer" --initial-advertise-peer-urls "http://$peer" \
    --initial-cluster "bench=http://$peer" --quota-backend-bytes 8589934592 \
    --max-request-bytes 2097152 >"$BENCH_DIR/status-etcd.log" 2>&1 &
  local pid=$!
  trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
  for _ in $(seq 100); do
    "$ETCDCTL" --endpoints "$ep" endpoint health >/dev/null 2>&1 && break
    sleep 0.1
  done
  head -c 1048576 /dev/urandom >"$BENCH_DIR/value.bin"
  seq 1 "$SIZE_MB" | xargs -P4 -I{} sh -c \
    "\"$ETCDCTL\" --endpoints $ep put bench/{} < \"$BENCH_DIR/value.bin\" >/dev/null"
  "$ETCDCTL" --endpoints "$ep" snapshot save "$SNAP.part" >/dev/null
  mv "$SNAP.part" "$SNAP"
  kill $pid; wait $pid 2>/dev/null || true
  trap - EXIT
  rm -rf "$data"
}

if [ ! -f "$SNAP" ]; then
  if [ -x "$BUILD_DIR/etcdsnap-fill" ] && [ "$SNAP" = "$BENCH_DIR/snap.db" ]; then
    BENCH_DIR=$BENCH_DIR BUILD_DIR=$BUILD_DIR bash bench/save.sh --fill-only
  else
    fill_with_etcdctl
  fi
fi
[ -f "$SNAP" ] || die "no snapshot at $SNAP"

echo "snapshot: $SNAP ($(stat -c %s "$SNAP") bytes)"
cat "$SNAP" >/dev/null  # warm the page cache

if [ -n "$ETCDCTL" ]; then
  ours=$("$ETCDSNAP" snapshot status -w json "$SNAP")
  theirs=$("$ETCDCTL" snapshot status -w json "$SNAP" 2>/dev/null)
  [ "$ours" = "$theirs" ] || die "outputs differ: etcdsnap $ours, etcdctl $theirs"
  echo "status output identical to etcdctl's: $ours"
fi

# run NAME CMD...: appends "wall rss_kib" to $BENCH_DIR/NAME.times
measure() {
  local name=$1
  shift
  "$TIME" -f "%e %M" -o "$BENCH_DIR/$name.last" "$@" >/dev/null 2>&1 || die "$name failed: $*"
  cat "$BENCH_DIR/$name.last" >>"$BENCH_DIR/$name.times"
  local wall rss
  read -r wall rss <"$BENCH_DIR/$name.last"
  printf "  %-16s wall %6ss  peak RSS %8s KiB\n" "$name" "$wall" "$rss"
}
rm -f "$BENCH_DIR"/{etcdsnap-status,etcdsnap-verify,etcdctl-status}.times
for i in $(seq "$RUNS"); do
  echo "run $i"
  measure etcdsnap-status "$ETCDSNAP" snapshot status "$SNAP"
  [ -n "$ETCDCTL" ] && measure etcdctl-status "$ETCDCTL" snapshot status "$SNAP"
  measure etcdsnap-verify "$ETCDSNAP" snapshot verify "$SNAP"
done

div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'; }
median() { sort -n -k"$2" "$1" | awk -v c="$2" '{v[NR]=$c} END {print v[int((NR+1)/2)]}'; }
echo
printf "%-16s %10s %14s\n" "median" "wall (s)" "peak RSS (MiB)"
for n in etcdsnap-status etcdctl-status etcdsnap-verify; do
  f=$BENCH_DIR/$n.times
  [ -f "$f" ] || continue
  printf "%-16s %10s %14.1f\n" "$n" "$(median "$f" 1)" "$(div "$(median "$f" 2)" 1024)"
done
if [ -f "$BENCH_DIR/etcdctl-status.times" ]; then
  ow=$(median "$BENCH_DIR/etcdsnap-status.times" 1); tw=$(median "$BENCH_DIR/etcdctl-status.times" 1)
  orss=$(median "$BENCH_DIR/etcdsnap-status.times" 2); trss=$(median "$BENCH_DIR/etcdctl-status.times" 2)
  vw=$(median "$BENCH_DIR/etcdsnap-verify.times" 1)
  echo
  echo "status wall ratio etcdsnap/etcdctl: $(div "$ow" "$tw") (target <= 0.5)"
  echo "status RSS ratio etcdsnap/etcdctl:  $(div "$orss" "$trss")"
  echo "verify wall / etcdctl status wall:  $(div "$vw" "$tw")"
fi
echo "RSS target: <= 64 MiB for etcdsnap status and verify"
