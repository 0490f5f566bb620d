# Shared by the benchmarks (sourced): errors, arithmetic without bc, medians.
die() { echo "bench: $*" >&2; exit 1; }
calc() { awk "BEGIN { printf \"%.4f\", $* }"; }
# median COLUMN FILE: the median of a whitespace-separated column (the mean of the middle two
# for an even count).
median() {
  awk -v c="$1" '{ print $c }' "$2" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# measure NAME CMD...: runs CMD under /usr/bin/time ($TIME), appends "wall rss_kib" to
# $BENCH_DIR/NAME.times and prints the run; its output goes to $BENCH_DIR/NAME.out.
measure() {
  local name=$1
  shift
  "$TIME" -f "%e %M" -o "$BENCH_DIR/$name.last" "$@" >"$BENCH_DIR/$name.out" 2>&1 ||
    die "$name failed: $* ($(tail -c 300 "$BENCH_DIR/$name.out"))"
  cat "$BENCH_DIR/$name.last" >>"$BENCH_DIR/$name.times"
  printf "  %-22s wall %6ss  peak RSS %8s KiB\n" "$name" $(cat "$BENCH_DIR/$name.last")
}
# report NAME...: the medians of each NAME's runs.
report() {
  printf "%-22s %10s %14s\n" "median" "wall (s)" "peak RSS (MiB)"
  for n in "$@"; do
    f=$BENCH_DIR/$n.times
    [ -f "$f" ] || continue
    printf "%-22s %10s %14.1f\n" "$n" "$(median 1 "$f")" "$(calc "$(median 2 "$f") / 1024")"
  done
}

# bench_etcd_with_data: starts a local etcd on BENCH_PORT (42379) over a data dir filled once
# with BENCH_SIZE_MB (1024) MiB of BENCH_CONTENT (random) values of BENCH_VALUE_SIZE bytes by
# etcdsnap-fill (cached in $BENCH_DIR, reused by later runs), waits until it takes writes, and
# stops it on exit. Sets ENDPOINT, DATA and SNAP (where a snapshot of it is kept).
bench_etcd_with_data() {
  SIZE_MB=${BENCH_SIZE_MB:-1024}
  local port=${BENCH_PORT:-42379} content=${BENCH_CONTENT:-random}
  local value_size=${BENCH_VALUE_SIZE:-262144} suffix=""
  [ "$content" = random ] || suffix="-$content"
  local peer_port=$((port + 1)) etcd fill=$BUILD_DIR/etcdsnap-fill
  etcd=$(command -v etcd || true)
  [ -n "$etcd" ] || die "etcd not found (apt-get install etcd-server)"
  if [ ! -x "$fill" ]; then  # the test build leaves bench/ out; turn it on here
    cmake -S . -B "$BUILD_DIR" -DETCDSNAP_BUILD_BENCH=ON >/dev/null
    cmake --build "$BUILD_DIR" -j"$(nproc)" --target etcdsnap-fill >/dev/null
  fi
  [ -x "$fill" ] || die "$fill not built (cmake -DETCDSNAP_BUILD_BENCH=ON; cmake --build $BUILD_DIR --target etcdsnap-fill)"
  ENDPOINT=127.0.0.1:$port
  DATA=$BENCH_DIR/etcd-data$suffix
  SNAP=$BENCH_DIR/snap$suffix.db
  local marker=$BENCH_DIR/filled-${SIZE_MB}MB$suffix
  mkdir -p "$BENCH_DIR"
  # One bench at a time: runs share the data dir and the ports.
  exec 9>"$BENCH_DIR/lock"
  flock 9
  # An unfinished fill is not trusted: start again from an empty data dir.
  if [ ! -f "$marker" ]; then rm -rf "$DATA" "$SNAP"; fi
  "$etcd" --name bench --data-dir "$DATA" \
    --listen-client-urls "http://$ENDPOINT" --advertise-client-urls "http://$ENDPOINT" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "bench=http://127.0.0.1:$peer_port" \
    --quota-backend-bytes $((8 * 1024 * 1024 * 1024)) --max-request-bytes $((8 * 1024 * 1024)) \
    --snapshot-count 1000 >"$BENCH_DIR/etcd.log" 2>&1 &
  BENCH_ETCD_PID=$!
  trap 'kill $BENCH_ETCD_PID 2>/dev/null || true; wait $BENCH_ETCD_PID 2>/dev/null || true' EXIT
  # Ready when a Put goes through (the fill tool with one tiny value).
  for _ in $(seq 1 100); do
    if "$fill" --endpoint "$ENDPOINT" --bytes 1 --value-size 1 --prefix bench-ready/ \
         2>/dev/null; then break; fi
    kill -0 "$BENCH_ETCD_PID" 2>/dev/null || { tail -20 "$BENCH_DIR/etcd.log"; die "etcd exited"; }
    sleep 0.2
  done
  if [ ! -f "$marker" ]; then
    echo "bench: filling etcd with ${SIZE_MB} MiB of $content values (once; cached in $DATA)" >&2
    "$fill" --endpoint "$ENDPOINT" --bytes $((SIZE_MB * 1024 * 1024)) \
      --value-size "$value_size" --content "$content" --concurrency 16
    touch "$marker"
  fi
}
