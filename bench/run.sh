#!/usr/bin/env bash
# The benchmark matrix of issue #14: etcdsnap against etcdctl 3.4 on realistic data. For each
# data shape and size: save over mutual TLS, status with a warm and a cold page cache, verify
# (etcdsnap only) and restore, the two tools taking turns, BENCH_RUNS runs each. Writes into
# BENCH_OUT:
#   results.csv  a row per run: shape,size_mb,op,tool,run,wall_s,cpu_s,rss_kib,snapshot_bytes,note
#   checks.txt   per shape and size: status -w json identical between the tools, saved bytes
#   machine.md   CPU, cores, memory, kernel, BENCH_DIR's disk and file system, versions
#   summary.md, time-<size>MB.svg, rss-<size>MB.svg   medians, ratios, targets (bench/charts.sh)
#
#   bench/run.sh                 run the matrix
#   bench/run.sh --publish       run it, then copy the tables and charts into docs/performance*
#   bench/run.sh --publish DIR   only publish an earlier run's results
#                                (the same as bench/charts.sh DIR --publish)
#
# Environment:
#   BENCH_SHAPES   "kube 4k 256k"  kube: Kubernetes-like (bench/kube_shape.h); 4k and 256k:
#                                  incompressible values of 4 KiB and of 256 KiB (overflow pages)
#   BENCH_SIZE_MB  1024            the etcd backend's size per shape, MiB; a list runs each
#                                  ("1024 8192"; 8192 is opt-in: about 45 GiB of disk, hours)
#   BENCH_RUNS     5
#   BENCH_DIR      /tmp/etcdsnap-bench   filled data dirs (kept: each shape and size is filled
#                                  once), certificates, and while a shape runs its snapshot, a
#                                  saved copy and a restored data dir
#   BENCH_OUT      bench/results/<date>-<host>
#   BENCH_PORT     43379           etcd's client port (the peer port is the next one)
#   BUILD_DIR      build           etcdsnap: the static release build (scripts/build.sh); the
#                                  bench helper etcdsnap-fill is built there if missing
#   BENCH_OPS      "save status verify restore"   the operations to run (status: warm and cold);
#                                  "fill" alone only fills the data dirs that are not filled yet
#                                  (every run fills first anyway), to fill before a quiet hour
#   BENCH_BASELINE (none)          another etcdsnap binary (say, main's build) whose saves are
#                                  measured in the same turns, as tool "baseline" in results.csv
#                                  (the summary and charts compare etcdsnap and etcdctl only)
# Cold runs drop the page cache (sync; echo 3 >/proc/sys/vm/drop_caches) before each run; where
# that is not permitted (not root, a container) they are recorded as "cold: not permitted", and
# BENCH_COLD=0 leaves them out on purpose ("cold: skipped").
# Needs etcd, etcdctl, openssl, /usr/bin/time and gnuplot: bash scripts/deps.sh --bench.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh

PUBLISH=0
case ${1:-} in
  "") ;;
  --publish)
    [ -z "${2:-}" ] || exec bash bench/charts.sh "$2" --publish
    PUBLISH=1 ;;
  *) die "usage: bench/run.sh [--publish [RESULTS_DIR]]" ;;
esac

SHAPES=${BENCH_SHAPES:-kube 4k 256k}
SIZES=${BENCH_SIZE_MB:-1024}
RUNS=${BENCH_RUNS:-5}
BENCH_DIR=${BENCH_DIR:-/tmp/etcdsnap-bench}
BENCH_OUT=${BENCH_OUT:-bench/results/$(date +%Y%m%d-%H%M)-$(hostname -s)}
PORT=${BENCH_PORT:-43379}
OPS=" ${BENCH_OPS:-save status verify restore} "
BASELINE=${BENCH_BASELINE:-}
for op in $OPS; do
  case $op in
    save | status | verify | restore) ;;
    fill) [ "$OPS" = " fill " ] || die "BENCH_OPS: fill goes alone (the other operations fill first)" ;;
    *) die "unknown operation '$op' in BENCH_OPS (save, status, verify, restore, or fill alone)" ;;
  esac
done
[ -z "$BASELINE" ] || [ -x "$BASELINE" ] || die "BENCH_BASELINE $BASELINE is not an executable"
has_op() { [[ $OPS == *" $1 "* ]]; }
BUILD_DIR=${BUILD_DIR:-build}
ETCDSNAP=$BUILD_DIR/etcdsnap
TIME=/usr/bin/time

for shape in $SHAPES; do
  case $shape in
    kube | 4k | 256k) ;;
    *) die "unknown shape '$shape' in BENCH_SHAPES (kube, 4k, 256k)" ;;
  esac
done
for size in $SIZES; do
  [[ $size =~ ^[1-9][0-9]*$ ]] || die "BENCH_SIZE_MB takes whole MiB, not '$size'"
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS takes a positive whole number, not '$RUNS'"
missing=()
for cmd in etcd etcdctl openssl gnuplot lscpu; do
  command -v $cmd >/dev/null || missing+=("$cmd")
done
[ -x "$TIME" ] || missing+=("$TIME")
[ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}: run bash scripts/deps.sh --bench"
ETCDCTL=$(command -v etcdctl)
[ -x "$ETCDSNAP" ] || die "$ETCDSNAP not built (BUILD_DIR=$BUILD_DIR bash scripts/build.sh)"
bench_build_tool etcdsnap-fill
bench_lock

# Disk: each shape and size not filled yet needs its data dir (the size and etcd's WAL), and
# the runs a snapshot and either a saved copy or a restored data dir at a time (2x the largest).
need_mb=0 largest=0
for size in $SIZES; do
  [ "$size" -gt "$largest" ] && largest=$size
  for shape in $SHAPES; do
    [ -f "$BENCH_DIR/$shape-${size}MB/filled" ] || need_mb=$((need_mb + size * 11 / 10 + 400))
  done
done
need_mb=$((need_mb + largest * 2 + 1024))
free_mb=$(df -Pm "$BENCH_DIR" | awk 'NR == 2 { print $4 }')
[ "$free_mb" -ge "$need_mb" ] ||
  die "$BENCH_DIR needs about $need_mb MiB free for this matrix, has $free_mb MiB (set BENCH_DIR)"

# Cold runs: when dropping the page cache works now (and BENCH_COLD is not 0).
drop_caches() { sync && (echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null; }
COLD=1 COLD_NOTE=""
if [ "${BENCH_COLD:-1}" = 0 ]; then
  COLD=0 COLD_NOTE="cold: skipped (BENCH_COLD=0)"
elif ! drop_caches; then
  COLD=0 COLD_NOTE="cold: not permitted"
  echo "bench: cannot drop the page cache here: cold: not permitted" >&2
fi

mkdir -p "$BENCH_OUT"
BENCH_OUT=$(cd "$BENCH_OUT" && pwd)
CSV=$BENCH_OUT/results.csv
CHECKS=$BENCH_OUT/checks.txt
echo "shape,size_mb,op,tool,run,wall_s,cpu_s,rss_kib,snapshot_bytes,note" >"$CSV"
: >"$CHECKS"
PKI=$BENCH_DIR/pki
bench_pki "$PKI"

# machine.md: what the numbers were measured on.
# first_line_after PREFIX CMD...: CMD's first line starting with PREFIX, without it.
first_line_after() {
  local prefix=$1
  shift
  "$@" | sed -n "s/^$prefix//p" | head -1
}
{
  echo "# Machine"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC');" \
    "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores online"
  echo "- memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "- kernel: $(uname -srm)"
  read -r dev fstype < <(df -PT "$BENCH_DIR" | awk 'NR == 2 { print $1, $2 }')
  disk=$(lsblk -ndo SIZE,ROTA,MODEL "$dev" 2>/dev/null |
    awk '{ s = $1; r = $2; $1 = $2 = ""; sub(/^ +/, ""); if ($0 != "") s = s " " $0
           print s ", " (r ? "rotational" : "non-rotational") " as the kernel says" }' || true)
  echo "- BENCH_DIR $BENCH_DIR: $fstype on $dev${disk:+ ($disk)}"
  echo "- etcd: $(first_line_after 'etcd Version: ' etcd --version);" \
    "etcdctl: $(first_line_after 'etcdctl version: ' "$ETCDCTL" version)"
  echo "- etcdsnap: $(first_line_after 'etcdsnap version: ' "$ETCDSNAP" version)" \
    "($(first_line_after 'Git SHA: ' "$ETCDSNAP" version), $ETCDSNAP," \
    "$(bench_binary_kind "$ETCDSNAP"))"
  echo "- cold page cache: ${COLD_NOTE:-dropped before each cold run}"
  echo "- runs: $RUNS per tool and operation, the tools taking turns" \
    "(each run swaps which goes first)"
} >"$BENCH_OUT/machine.md"

# measure OP TOOL RUN CMD...: runs CMD under /usr/bin/time; appends its row to the CSV.
measure() {
  local op=$1 tool=$2 run=$3 wall user sys rss cpu
  shift 3
  "$TIME" -f "%e %U %S %M" -o "$WORK/time.txt" "$@" >"$WORK/last.out" 2>&1 ||
    { tail -5 "$WORK/last.out" >&2; die "$op by $tool failed in run $run: $*"; }
  read -r wall user sys rss <"$WORK/time.txt"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  echo "$SHAPE,$SIZE,$op,$tool,$run,$wall,$cpu,$rss,$SNAP_BYTES," >>"$CSV"
  printf '  %-12s %-8s run %-2s wall %7ss  cpu %7ss  rss %7.1f MiB\n' "$op" "$tool" "$run" \
    "$wall" "$cpu" "$(calc "$rss / 1024")"
}
bin() {
  case $1 in
    etcdsnap) echo "$ETCDSNAP" ;;
    baseline) echo "$BASELINE" ;;
    *) echo "$ETCDCTL" ;;
  esac
}
warm() { cat "$@" >/dev/null; }

# fill SHAPE SIZE_MB: loads the running etcd. The target is the backend file's size: bbolt puts
# two values at least on a leaf, so two 4 KiB values take three pages and two 256 KiB ones 129
# (bench/kube_shape.cc sizes its own plan).
fill() {
  local bytes=$(($2 * 1024 * 1024)) args=(--endpoint "${ENDPOINT#https://}" "${ETCDCTL_TLS[@]}")
  case $1 in
    kube) args+=(--shape kube --bytes "$bytes" --concurrency 64) ;;
    4k) args+=(--value-size 4096 --bytes $((bytes * 2 / 3)) --concurrency 32) ;;
    256k) args+=(--value-size 262144 --bytes $((bytes * 128 / 129)) --concurrency 16) ;;
  esac
  "$BUILD_DIR/etcdsnap-fill" "${args[@]}" || die "filling $1 failed"
}
# fingerprint SHAPE SIZE_MB: what a fill writes, kept in the data dir's marker: a data dir filled
# by another plan (an edited bench/kube_shape.cc, other sizes) is filled again, not reused.
fingerprint() {
  local bytes=$(($2 * 1024 * 1024))
  case $1 in
    kube) "$BUILD_DIR/etcdsnap-fill" --shape kube --bytes "$bytes" --dry-run | sha256sum ;;
    *) echo "$1 $2" ;;
  esac
}

for SIZE in $SIZES; do
  # Above the backend's size with room for the history a fill writes before compacting.
  quota=$(((SIZE * 2 + 1024) * 1024 * 1024))
  [ "$quota" -ge $((8 * 1024 * 1024 * 1024)) ] || quota=$((8 * 1024 * 1024 * 1024))
  for SHAPE in $SHAPES; do
    WORK=$BENCH_DIR/$SHAPE-${SIZE}MB
    DATA=$WORK/etcd-data
    SNAP=$WORK/snap.db
    echo "== $SHAPE, $SIZE MiB"
    plan=$(fingerprint "$SHAPE" "$SIZE") || die "cannot make the $SHAPE plan"
    # An unfinished fill, or one of another plan, is not trusted: start again.
    if [ ! -f "$WORK/filled" ] || [ "$(cat "$WORK/filled")" != "$plan" ]; then
      rm -rf "$WORK"
      mkdir -p "$WORK"
    fi
    bench_start_etcd "$DATA" "$PORT" "$quota" "$WORK/etcd.log" "$PKI"
    SAVE=(--endpoints "$ENDPOINT" "${ETCDCTL_TLS[@]}" snapshot save)
    if [ ! -f "$WORK/filled" ]; then
      echo "bench: filling $SHAPE to $SIZE MiB (once; kept in $WORK)" >&2
      start=$SECONDS
      fill "$SHAPE" "$SIZE"
      echo "bench: filled in $((SECONDS - start)) s" >&2
      echo "$plan" >"$WORK/filled"
    fi
    if has_op fill; then
      bench_stop_etcd
      continue
    fi
    # The snapshot that status, verify and restore read: etcdctl's, made anew (the same bytes
    # while the data dir is unchanged), removed after the shape's runs to save disk.
    "$ETCDCTL" "${SAVE[@]}" "$SNAP" >"$WORK/last.out" 2>&1 ||
      { tail -5 "$WORK/last.out" >&2; die "saving the snapshot of $SHAPE failed"; }
    SNAP_BYTES=$(stat -c %s "$SNAP")
    # Parity, once per shape and size: both tools read the snapshot the same.
    ours=$("$ETCDSNAP" snapshot status -w json "$SNAP") || die "etcdsnap snapshot status $SNAP failed"
    theirs=$("$ETCDCTL" snapshot status -w json "$SNAP" 2>/dev/null) ||
      die "etcdctl snapshot status $SNAP failed"
    if [ "$ours" = "$theirs" ]; then
      echo "$SHAPE $SIZE status -w json identical between the tools: $ours" >>"$CHECKS"
    else
      echo "$SHAPE $SIZE status -w json DIFFERS: etcdsnap $ours, etcdctl $theirs" >>"$CHECKS"
      die "status -w json differs on $SNAP: etcdsnap $ours, etcdctl $theirs"
    fi

    for run in $(seq 1 "$RUNS"); do
      tools=(etcdsnap etcdctl)
      [ $((run % 2)) = 1 ] || tools=(etcdctl etcdsnap)  # neither always goes first
      save_tools=("${tools[@]}")
      if [ -n "$BASELINE" ]; then  # the baseline goes between the two, or first and last
        save_tools=("${tools[0]}" baseline "${tools[1]}")
      fi
      if has_op save; then
        warm "$DATA/member/snap/db"  # what etcd sends, after the last run's dropped cache
        sums=()
        for t in "${save_tools[@]}"; do
          rm -f "$WORK/saved.db"
          measure save "$t" "$run" "$(bin "$t")" "${SAVE[@]}" "$WORK/saved.db"
          [ "$run" != 1 ] || sums+=("$(sha256sum <"$WORK/saved.db")")
          rm -f "$WORK/saved.db"
        done
        if [ "$run" = 1 ]; then
          same="different (etcd's file changed between the saves)"
          [ "$(printf '%s\n' "${sums[@]}" | sort -u | wc -l)" != 1 ] || same="identical (sha256)"
          echo "$SHAPE $SIZE save: the tools' snapshots are $same" >>"$CHECKS"
        fi
      fi
      warm "$SNAP"
      if has_op status; then
        for t in "${tools[@]}"; do
          measure status-warm "$t" "$run" "$(bin "$t")" snapshot status "$SNAP"
        done
      fi
      has_op verify && measure verify etcdsnap "$run" "$ETCDSNAP" snapshot verify "$SNAP"
      if has_op restore; then
        for t in "${tools[@]}"; do
          rm -rf "$WORK/restored"
          measure restore "$t" "$run" "$(bin "$t")" snapshot restore "$SNAP" \
            --data-dir "$WORK/restored"
        done
      fi
      rm -rf "$WORK/restored"
      has_op status || continue
      for t in "${tools[@]}"; do
        if [ "$COLD" = 1 ]; then
          drop_caches || die "dropping the page cache stopped working"
          measure status-cold "$t" "$run" "$(bin "$t")" snapshot status "$SNAP"
        elif [ "$run" = 1 ]; then
          echo "$SHAPE,$SIZE,status-cold,$t,0,,,,$SNAP_BYTES,$COLD_NOTE" >>"$CSV"
        fi
      done
    done
    bench_stop_etcd
    rm -f "$SNAP"
  done
done

if has_op fill; then
  echo "bench: filled (BENCH_OPS=fill measures nothing)"
  exit 0
fi
bash bench/charts.sh "$BENCH_OUT"
[ "$PUBLISH" = 0 ] || bash bench/charts.sh "$BENCH_OUT" --publish
echo "bench: results in $BENCH_OUT (summary.md, results.csv, machine.md, charts)"
