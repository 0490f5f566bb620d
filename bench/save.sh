#!/usr/bin/env bash
# Benchmarks `etcdsnap snapshot save` against `etcdctl snapshot save` on a ~1 GiB etcd.
#
#   bench/save.sh              fill (once, cached) and time both tools alternately
#   bench/save.sh --fill-only  only make sure the filled etcd and a snapshot of it exist
#
# Leaves, for other benchmarks (e.g. `snapshot status`):
#   $BENCH_DIR/snap.db         a snapshot of the filled etcd (~1 GiB), saved by etcdsnap
#                              (by etcdctl if etcdsnap is not built)
#   $BENCH_DIR/etcd-data       the filled etcd data dir (reused by later runs)
# Environment: BENCH_DIR (/tmp/etcdsnap-bench), BUILD_DIR (build), BENCH_SIZE_MB (1024),
# BENCH_RUNS (3), BENCH_PORT (42379; the peer port is BENCH_PORT+1), BENCH_VALUE_SIZE (262144),
# BENCH_CONTENT (random: incompressible values; kube: Pod-like JSON, see bench/compress.sh).
# Prints wall, user+sys CPU and peak RSS of each run, then medians side by side with ratios
# and the targets (wall <= etcdctl's, CPU <= 0.5x etcdctl's, RSS <= 16 MiB).
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_DIR=${BENCH_DIR:-/tmp/etcdsnap-bench}
BUILD_DIR=${BUILD_DIR:-build}
RUNS=${BENCH_RUNS:-3}
FILL_ONLY=0
[ "${1:-}" = "--fill-only" ] && FILL_ONLY=1

ETCDCTL=$(command -v etcdctl || true)
ETCDSNAP=$BUILD_DIR/etcdsnap
. bench/common.sh
bench_etcd_with_data

SAVER=$ETCDSNAP
[ -x "$SAVER" ] || SAVER=$ETCDCTL
if [ "$FILL_ONLY" = 1 ]; then
  if [ ! -f "$SNAP" ]; then "$SAVER" --endpoints "$ENDPOINT" snapshot save "$SNAP" >/dev/null; fi
  echo "bench: snapshot of the filled etcd at $SNAP ($(stat -c %s "$SNAP") bytes)" >&2
  exit 0
fi
[ -x "$ETCDSNAP" ] || die "$ETCDSNAP not built"
[ -n "$ETCDCTL" ] || die "etcdctl not found: nothing to compare with"

# One timed save: prints "wall cpu rss_kib".
timed() {
  local out=$1; shift
  rm -f "$out"
  /usr/bin/time -f "%e %U %S %M" -o "$BENCH_DIR/time.txt" "$@" snapshot save "$out" \
    >/dev/null 2>"$BENCH_DIR/last.err" || { cat "$BENCH_DIR/last.err" >&2; die "$1 failed"; }
  awk '{ printf "%.2f %.2f %d\n", $1, $2 + $3, $4 }' "$BENCH_DIR/time.txt"
}

: >"$BENCH_DIR/ours.txt"
: >"$BENCH_DIR/theirs.txt"
printf '%-4s %-9s %8s %8s %10s\n' run tool wall_s cpu_s rss_MiB
# Timed runs write their own files: $SNAP stays stable for whoever reads it meanwhile.
OURS_DB=$BENCH_DIR/run-etcdsnap.db
for i in $(seq 1 "$RUNS"); do
  read -r w c m < <(timed "$OURS_DB" "$ETCDSNAP" --endpoints "$ENDPOINT")
  echo "$w $c $m" >>"$BENCH_DIR/ours.txt"
  printf '%-4s %-9s %8s %8s %10.1f\n' "$i" etcdsnap "$w" "$c" "$(calc "$m / 1024")"
  read -r w c m < <(timed "$BENCH_DIR/etcdctl.db" "$ETCDCTL" --endpoints "$ENDPOINT")
  echo "$w $c $m" >>"$BENCH_DIR/theirs.txt"
  printf '%-4s %-9s %8s %8s %10.1f\n' "$i" etcdctl "$w" "$c" "$(calc "$m / 1024")"
done
rm -f "$BENCH_DIR/etcdctl.db"
if [ -f "$SNAP" ]; then rm -f "$OURS_DB"; else mv "$OURS_DB" "$SNAP"; fi

echo
echo "snapshot: $(stat -c %s "$SNAP") bytes; medians of $RUNS runs each"
printf '%-12s %10s %10s %8s  %s\n' metric etcdsnap etcdctl ratio target
for spec in "1 wall_s 1.0" "2 cpu_s 0.5" "3 rss_MiB -"; do
  read -r col name target <<<"$spec"
  a=$(median "$col" "$BENCH_DIR/ours.txt")
  b=$(median "$col" "$BENCH_DIR/theirs.txt")
  if [ "$name" = rss_MiB ]; then
    a=$(calc "$a / 1024"); b=$(calc "$b / 1024")
    goal="etcdsnap <= 16 MiB"
  else
    goal="ratio <= $target"
  fi
  printf '%-12s %10.2f %10.2f %8.2f  %s\n' "$name" "$a" "$b" "$(calc "$a / $b")" "$goal"
done
echo "bench: snapshot left at $SNAP" >&2
