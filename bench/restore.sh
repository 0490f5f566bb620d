#!/usr/bin/env bash
# Benchmarks `etcdsnap snapshot restore` against `etcdctl snapshot restore` on a ~1 GiB snapshot,
# side by side: wall time, CPU (user+sys) and peak RSS (/usr/bin/time), BENCH_RUNS runs each
# (alternating, each into a fresh data dir on the same file system), medians and ratios.
#
#   bench/restore.sh           uses $SNAP, making it first if needed (bench/save.sh --fill-only)
#
# The snapshot is read from the page cache (the first, untimed run of each tool warms it); the
# restored data dirs are written to $BENCH_DIR. Both tools fsync what they write.
# Environment: BENCH_DIR (/tmp/etcdsnap-bench), BUILD_DIR (build), BENCH_RUNS (3), SNAP.
# Targets: wall <= 0.3x etcdctl's; peak RSS <= 64 MiB whatever the snapshot size.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_DIR=${BENCH_DIR:-/tmp/etcdsnap-bench}
BUILD_DIR=${BUILD_DIR:-build}
RUNS=${BENCH_RUNS:-3}
SNAP=${SNAP:-$BENCH_DIR/snap.db}
ETCDSNAP=$BUILD_DIR/etcdsnap
ETCDCTL=$(command -v etcdctl || true)
TIME=/usr/bin/time

. bench/common.sh
[ -x "$ETCDSNAP" ] || die "$ETCDSNAP not built (scripts/build.sh)"
[ -n "$ETCDCTL" ] || die "etcdctl not found: nothing to compare with"
[ -x "$TIME" ] || die "/usr/bin/time not found (apt-get install time)"
mkdir -p "$BENCH_DIR"
if [ ! -f "$SNAP" ]; then
  [ "$SNAP" = "$BENCH_DIR/snap.db" ] || die "$SNAP does not exist"
  BENCH_DIR=$BENCH_DIR BUILD_DIR=$BUILD_DIR bash bench/save.sh --fill-only
fi

OUT=$BENCH_DIR/restore-out
# One restore into a fresh data dir: prints "wall cpu rss_kib".
timed() {
  rm -rf "$OUT"
  "$TIME" -f "%e %U %S %M" -o "$BENCH_DIR/time.txt" "$@" snapshot restore "$SNAP" \
    --data-dir "$OUT" >/dev/null 2>"$BENCH_DIR/last.err" \
    || { cat "$BENCH_DIR/last.err" >&2; die "$1 failed"; }
  awk '{ printf "%.2f %.2f %d\n", $1, $2 + $3, $4 }' "$BENCH_DIR/time.txt"
}

timed "$ETCDSNAP" >/dev/null  # warm the page cache with the snapshot
: >"$BENCH_DIR/restore-ours.txt"
: >"$BENCH_DIR/restore-theirs.txt"
printf '%-4s %-9s %8s %8s %10s\n' run tool wall_s cpu_s rss_MiB
for i in $(seq 1 "$RUNS"); do
  read -r w c m < <(timed "$ETCDSNAP")
  echo "$w $c $m" >>"$BENCH_DIR/restore-ours.txt"
  printf '%-4s %-9s %8s %8s %10.1f\n' "$i" etcdsnap "$w" "$c" "$(calc "$m / 1024")"
  read -r w c m < <(timed "$ETCDCTL")
  echo "$w $c $m" >>"$BENCH_DIR/restore-theirs.txt"
  printf '%-4s %-9s %8s %8s %10.1f\n' "$i" etcdctl "$w" "$c" "$(calc "$m / 1024")"
done
rm -rf "$OUT"

echo
echo "snapshot: $(stat -c %s "$SNAP") bytes; medians of $RUNS runs each"
printf '%-12s %10s %10s %8s  %s\n' metric etcdsnap etcdctl ratio target
for spec in "1 wall_s ratio<=0.3" "2 cpu_s -" "3 rss_MiB etcdsnap<=64MiB"; do
  read -r col name goal <<<"$spec"
  a=$(median "$col" "$BENCH_DIR/restore-ours.txt")
  b=$(median "$col" "$BENCH_DIR/restore-theirs.txt")
  if [ "$name" = rss_MiB ]; then a=$(calc "$a / 1024"); b=$(calc "$b / 1024"); fi
  printf '%-12s %10.2f %10.2f %8.2f  %s\n' "$name" "$a" "$b" "$(calc "$a / $b")" "$goal"
done
