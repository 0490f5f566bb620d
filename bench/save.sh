#!/usr/bin/env bash
# Benchmarks `etcdsnap snapshot save` against `etcdctl snapshot save` on a ~1 GiB etcd.
#
#   bench/save.sh              fill (once, cached) and time each tool, taking turns
#   bench/save.sh --fill-only  only make sure the filled etcd and a snapshot of it exist
#
# What is benched: $BUILD_DIR/etcdsnap, by default build/etcdsnap, the release build that
# scripts/build.sh makes (static: -DETCDSNAP_STATIC=ON); the first line says which kind of
# binary it is. COMPARE_BUILD_DIR adds another build as a third column, e.g. a dynamic one:
#   cmake -S . -B build-dyn -DETCDSNAP_BUILD_TESTS=OFF && cmake --build build-dyn
#   COMPARE_BUILD_DIR=build-dyn bench/save.sh
# Leaves, for other benchmarks (e.g. `snapshot status`):
#   $BENCH_DIR/snap.db         a snapshot of the filled etcd (~1 GiB), saved by etcdsnap
#                              (by etcdctl if etcdsnap is not built)
#   $BENCH_DIR/etcd-data       the filled etcd data dir (reused by later runs)
# Environment: BENCH_DIR (/tmp/etcdsnap-bench), BUILD_DIR (build), COMPARE_BUILD_DIR (none),
# BENCH_SIZE_MB (1024), BENCH_RUNS (3), BENCH_PORT (42379; the peer port is BENCH_PORT+1),
# BENCH_VALUE_SIZE (262144), BENCH_CONTENT (random: incompressible values; kube: Pod-like JSON,
# see bench/compress.sh).
# Prints wall, user+sys CPU and peak RSS of each run, then medians side by side with ratios to
# etcdctl's and the targets (wall <= etcdctl's, CPU <= 0.5x etcdctl's, RSS <= 16 MiB).
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
[ -x "$ETCDSNAP" ] || die "$ETCDSNAP not built (bash scripts/build.sh)"
[ -n "$ETCDCTL" ] || die "etcdctl not found: nothing to compare with"

# The tools, each as "name binary"; etcdctl last, the reference of the ratios.
TOOLS=("etcdsnap $ETCDSNAP")
echo "etcdsnap: $ETCDSNAP ($(bench_binary_kind "$ETCDSNAP"))"
if [ -n "${COMPARE_BUILD_DIR:-}" ]; then
  [ -x "$COMPARE_BUILD_DIR/etcdsnap" ] || die "$COMPARE_BUILD_DIR/etcdsnap not built"
  TOOLS+=("$(basename "$COMPARE_BUILD_DIR") $COMPARE_BUILD_DIR/etcdsnap")
  echo "$(basename "$COMPARE_BUILD_DIR"): $COMPARE_BUILD_DIR/etcdsnap ($(bench_binary_kind "$COMPARE_BUILD_DIR/etcdsnap"))"
fi
TOOLS+=("etcdctl $ETCDCTL")

# One timed save: prints "wall cpu rss_kib".
timed() {
  local out=$1; shift
  rm -f "$out"
  /usr/bin/time -f "%e %U %S %M" -o "$BENCH_DIR/time.txt" "$@" snapshot save "$out" \
    >/dev/null 2>"$BENCH_DIR/last.err" || { cat "$BENCH_DIR/last.err" >&2; die "$1 failed"; }
  awk '{ printf "%.2f %.2f %d\n", $1, $2 + $3, $4 }' "$BENCH_DIR/time.txt"
}

printf '%-4s %-10s %8s %8s %10s\n' run tool wall_s cpu_s rss_MiB
# Timed runs write their own files: $SNAP stays stable for whoever reads it meanwhile.
for t in "${TOOLS[@]}"; do : >"$BENCH_DIR/runs-${t%% *}.txt"; done
for i in $(seq 1 "$RUNS"); do
  for t in "${TOOLS[@]}"; do
    name=${t%% *} bin=${t#* }
    read -r w c m < <(timed "$BENCH_DIR/run-$name.db" "$bin" --endpoints "$ENDPOINT")
    echo "$w $c $m" >>"$BENCH_DIR/runs-$name.txt"
    printf '%-4s %-10s %8s %8s %10.1f\n' "$i" "$name" "$w" "$c" "$(calc "$m / 1024")"
  done
done
if [ -f "$SNAP" ]; then rm -f "$BENCH_DIR/run-etcdsnap.db"; else mv "$BENCH_DIR/run-etcdsnap.db" "$SNAP"; fi
for t in "${TOOLS[@]}"; do rm -f "$BENCH_DIR/run-${t%% *}.db"; done

echo
echo "snapshot: $(stat -c %s "$SNAP") bytes; medians of $RUNS runs each; ratios to etcdctl"
header=$(printf '%-10s' metric)
for t in "${TOOLS[@]}"; do header+=$(printf ' %10s' "${t%% *}"); done
for t in "${TOOLS[@]}"; do
  [ "${t%% *}" = etcdctl ] || header+=$(printf ' %14s' "${t%% *}/etcdctl")
done
echo "$header  target"
for spec in "1 wall_s" "2 cpu_s" "3 rss_MiB"; do
  read -r col name <<<"$spec"
  line=$(printf '%-10s' "$name") ref=$(median "$col" "$BENCH_DIR/runs-etcdctl.txt") ratios=""
  for t in "${TOOLS[@]}"; do
    v=$(median "$col" "$BENCH_DIR/runs-${t%% *}.txt")
    [ "$name" = rss_MiB ] && v=$(calc "$v / 1024")
    line+=$(printf ' %10.2f' "$v")
    if [ "${t%% *}" != etcdctl ]; then
      r=$ref; [ "$name" = rss_MiB ] && r=$(calc "$ref / 1024")
      ratios+=$(printf ' %14.2f' "$(calc "$v / $r")")
    fi
  done
  case $name in
    wall_s) goal="ratio <= 1.0" ;;
    cpu_s) goal="ratio <= 0.5" ;;
    rss_MiB) goal="etcdsnap <= 16 MiB" ;;
  esac
  echo "$line$ratios  $goal"
done
echo "bench: snapshot left at $SNAP" >&2
