#!/usr/bin/env bash
# Benchmarks `etcdsnap snapshot save --compress` against the plain save followed by the
# compression tool (`zstd -T0`, `gzip`), on a ~1 GiB etcd of Pod-like JSON values (compressible,
# as a Kubernetes etcd is): compression ratio, throughput (raw MB per second of wall time) and
# client CPU (user+sys), medians of BENCH_RUNS runs (3) each.
#
#   bench/compress.sh          fills (once, cached) a second bench etcd, then times
#
# Environment: BENCH_DIR (/tmp/etcdsnap-bench), BUILD_DIR (build), BENCH_RUNS (3),
# BENCH_SIZE_MB (1024), BENCH_VALUE_SIZE (4096), BENCH_PORT (42379).
# Target: `save --compress zstd` wall <= plain save + `zstd` afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH_DIR=${BENCH_DIR:-/tmp/etcdsnap-bench}
BUILD_DIR=${BUILD_DIR:-build}
RUNS=${BENCH_RUNS:-3}
export BENCH_CONTENT=kube BENCH_VALUE_SIZE=${BENCH_VALUE_SIZE:-4096}
ETCDSNAP=$BUILD_DIR/etcdsnap
TIME=/usr/bin/time

. bench/common.sh
[ -x "$ETCDSNAP" ] || die "$ETCDSNAP not built (scripts/build.sh)"
for tool in zstd gzip; do command -v $tool >/dev/null || die "$tool not found (apt-get install $tool)"; done
bench_etcd_with_data

OUT=$BENCH_DIR/compress
mkdir -p "$OUT"
# timed LABEL CMD...: runs CMD, appends "wall cpu" to $OUT/LABEL.txt.
timed() {
  local label=$1; shift
  "$TIME" -f "%e %U %S" -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/last.err" \
    || { cat "$OUT/last.err" >&2; die "$label failed"; }
  awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$OUT/time.txt" >>"$OUT/$label.txt"
}
SAVE=("$ETCDSNAP" --endpoints "$ENDPOINT" snapshot save)

rm -f "$OUT"/*.txt
for i in $(seq 1 "$RUNS"); do
  rm -f "$OUT"/*.db "$OUT"/*.zst "$OUT"/*.gz
  timed plain "${SAVE[@]}" "$OUT/plain.db"
  timed zstd_after zstd -q -3 -T0 "$OUT/plain.db" -o "$OUT/after.zst"
  timed gzip_after sh -c "gzip -6 -c '$OUT/plain.db' > '$OUT/after.gz'"
  timed save_zstd "${SAVE[@]}" "$OUT/inline.zst" --compress zstd
  timed save_gzip "${SAVE[@]}" "$OUT/inline.gz" --compress gzip
  echo "run $i done" >&2
done

raw=$(stat -c %s "$OUT/plain.db")
mb() { calc "$1 / 1000000"; }
echo "snapshot: $raw bytes of Pod-like JSON values; medians of $RUNS runs"
printf '%-28s %9s %9s %9s %10s\n' "" wall_s cpu_s ratio raw_MB/s
row() {  # label wall cpu compressed_file
  local ratio="-"
  [ -n "$4" ] && ratio=$(awk "BEGIN { printf \"%.2f\", $raw / $(stat -c %s "$4") }")
  printf '%-28s %9.2f %9.2f %9s %10.1f\n' "$1" "$2" "$3" "$ratio" "$(calc "$(mb "$raw") / $2")"
}
P_W=$(median 1 "$OUT/plain.txt"); P_C=$(median 2 "$OUT/plain.txt")
row "save (plain)" "$P_W" "$P_C" ""
for algo in zstd gzip; do
  A_W=$(median 1 "$OUT/${algo}_after.txt"); A_C=$(median 2 "$OUT/${algo}_after.txt")
  S_W=$(median 1 "$OUT/save_${algo}.txt"); S_C=$(median 2 "$OUT/save_${algo}.txt")
  ext=zst; [ "$algo" = gzip ] && ext=gz
  row "save, then $algo" "$(calc "$P_W + $A_W")" "$(calc "$P_C + $A_C")" "$OUT/after.$ext"
  row "save --compress $algo" "$S_W" "$S_C" "$OUT/inline.$ext"
  verdict=met; awk "BEGIN { exit !($S_W > $P_W + $A_W) }" && verdict=MISSED
  echo "  target (--compress $algo wall <= save + $algo): $verdict"
done
