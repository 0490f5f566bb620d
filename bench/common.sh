# shellcheck shell=bash
# Shared by the benchmarks (sourced): errors, arithmetic without bc, medians, certificates, and
# starting a local etcd.
die() { echo "bench: $*" >&2; exit 1; }
calc() { awk "BEGIN { printf \"%.4f\", $* }"; }
# median COLUMN FILE: the median of a whitespace-separated column (the mean of the middle two
# for an even count).
median() {
  awk -v c="$1" '{ print $c }' "$2" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench_measure NAME CMD...: runs CMD under /usr/bin/time ($TIME), appends "wall rss_kib cpu"
# (cpu: user + sys seconds) to $BENCH_DIR/NAME.times and prints the run; CMD's output goes to
# $BENCH_DIR/NAME.out. CPU time is what to compare on a shared machine; wall time also waits for
# the other jobs.
bench_measure() {
  local name=$1 wall rss user sys cpu
  shift
  "$TIME" -f "%e %M %U %S" -o "$BENCH_DIR/$name.last" "$@" >"$BENCH_DIR/$name.out" 2>&1 ||
    die "$name failed: $* ($(tail -c 300 "$BENCH_DIR/$name.out"))"
  read -r wall rss user sys <"$BENCH_DIR/$name.last"
  cpu=$(calc "$user + $sys")
  echo "$wall $rss $cpu" >>"$BENCH_DIR/$name.times"
  printf "  %-22s wall %6ss  cpu %6ss  peak RSS %8s KiB\n" "$name" "$wall" "$cpu" "$rss"
}
# bench_report NAME...: the median wall time, CPU time and peak RSS of each NAME's runs (CPU "-"
# for runs measured without it).
bench_report() {
  local n f cpu
  printf "%-22s %10s %10s %14s\n" "median" "wall (s)" "cpu (s)" "peak RSS (MiB)"
  for n in "$@"; do
    f=$BENCH_DIR/$n.times
    [ -f "$f" ] || continue
    cpu=-
    if awk 'NF < 3 { exit 1 }' "$f"; then cpu=$(median 3 "$f"); fi
    printf "%-22s %10s %10s %14.1f\n" "$n" "$(median 1 "$f")" "$cpu" \
      "$(calc "$(median 2 "$f") / 1024")"
  done
}

# bench_binary_kind BINARY: "static release build" when it needs nothing but glibc, else
# "dynamic build".
bench_binary_kind() {
  local foreign
  foreign=$(readelf --dynamic --wide "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
    grep -Ev '^(libc|libm|libresolv|libpthread|libdl|librt)\.so\.[0-9]+$|^ld-linux' || true)
  if [ -z "$foreign" ]; then echo "static release build"; else echo "dynamic build"; fi
}

# bench_build_tool TARGET: builds a bench helper (etcdsnap-fill, etcdsnap-keysdb) into
# $BUILD_DIR, or brings it up to date (an edited shape must not run as the old one): the release
# and test builds leave bench/ out, so this turns it on in $BUILD_DIR.
bench_build_tool() {
  local tool=$BUILD_DIR/$1
  if [ ! -x "$tool" ]; then
    cmake -S . -B "$BUILD_DIR" -DETCDSNAP_BUILD_BENCH=ON >/dev/null
  fi
  cmake --build "$BUILD_DIR" -j"$(nproc)" --target "$1" >/dev/null
  [ -x "$tool" ] ||
    die "$tool not built (cmake -DETCDSNAP_BUILD_BENCH=ON; cmake --build $BUILD_DIR --target $1)"
}

# bench_lock: one bench at a time per $BENCH_DIR (runs share its data dirs and ports); held
# until the script exits.
bench_lock() {
  mkdir -p "$BENCH_DIR"
  exec 9>"$BENCH_DIR/lock"
  flock -n 9 || { echo "bench: waiting for another bench on $BENCH_DIR" >&2; flock 9; }
}

# bench_pki DIR: a throwaway CA, a server certificate for 127.0.0.1 and localhost and a client
# certificate (EC P-256, as tests/support/pki.cc makes them), made once per DIR.
bench_pki() {
  local dir=$1
  [ -f "$dir/client.crt" ] && return 0
  command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"
  mkdir -p "$dir.part"
  (
    cd "$dir.part"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key \
      -out ca.crt -days 3650 -subj /CN=etcdsnap-bench-ca \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" \
      "extendedKeyUsage=serverAuth,clientAuth" >server.ext
    printf '%s\n' "extendedKeyUsage=clientAuth" >client.ext
    for leaf in server client; do
      openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout $leaf.key -out $leaf.csr -subj /CN=etcdsnap-bench-$leaf
      openssl x509 -req -in $leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $leaf.crt \
        -days 3650 -extfile $leaf.ext
    done
    chmod 600 ./*.key
  ) >"$dir.part.log" 2>&1 ||
    { cat "$dir.part.log" >&2; die "making the bench certificates failed"; }
  rm -rf "$dir" "$dir.part.log"
  mv "$dir.part" "$dir"
}

# bench_start_etcd DATA PORT QUOTA_BYTES LOG [PKI_DIR]: starts etcd over DATA on 127.0.0.1:PORT
# (peer PORT+1), with mutual TLS when PKI_DIR (bench_pki) is given, and returns once it answers
# a read (etcdctl endpoint health); stops it when the script exits, also on SIGINT or SIGTERM
# (or on bench_stop_etcd).
# Sets ENDPOINT and ETCDCTL_TLS (the client flags, empty without TLS).
bench_start_etcd() {
  local data=$1 port=$2 quota=$3 log=$4 pki=${5:-} etcd etcdctl scheme=http
  local peer=127.0.0.1:$(($2 + 1)) tls=()
  etcd=$(command -v etcd || true)
  etcdctl=$(command -v etcdctl || true)
  [ -n "$etcd" ] || die "etcd not found (apt-get install etcd-server)"
  [ -n "$etcdctl" ] || die "etcdctl not found (apt-get install etcd-client)"
  ETCDCTL_TLS=()
  if [ -n "$pki" ]; then
    scheme=https
    tls=(--cert-file "$pki/server.crt" --key-file "$pki/server.key"
      --trusted-ca-file "$pki/ca.crt" --client-cert-auth)
    ETCDCTL_TLS=(--cacert "$pki/ca.crt" --cert "$pki/client.crt" --key "$pki/client.key")
  fi
  ENDPOINT=$scheme://127.0.0.1:$port
  "$etcd" --name bench --data-dir "$data" \
    --listen-client-urls "$ENDPOINT" --advertise-client-urls "$ENDPOINT" "${tls[@]}" \
    --listen-peer-urls "http://$peer" --initial-advertise-peer-urls "http://$peer" \
    --initial-cluster "bench=http://$peer" \
    --quota-backend-bytes "$quota" --max-request-bytes $((8 * 1024 * 1024)) \
    --snapshot-count 1000 >"$log" 2>&1 9>&- &  # not holding bench_lock's fd
  BENCH_ETCD_PID=$!
  trap bench_stop_etcd EXIT
  trap 'exit 130' INT  # bash runs no EXIT trap on a signal it has no trap for
  trap 'exit 143' TERM
  local deadline=$((SECONDS + 120))
  until "$etcdctl" --endpoints "$ENDPOINT" "${ETCDCTL_TLS[@]}" --dial-timeout 1s \
      --command-timeout 2s endpoint health >/dev/null 2>&1; do
    kill -0 "$BENCH_ETCD_PID" 2>/dev/null || { tail -20 "$log" >&2; die "etcd exited (log: $log)"; }
    [ $SECONDS -lt $deadline ] ||
      { tail -20 "$log" >&2; die "etcd not ready in 120 s (log: $log)"; }
    sleep 0.1  # between polls
  done
}

bench_stop_etcd() {
  if [ -n "${BENCH_ETCD_PID:-}" ]; then
    kill "$BENCH_ETCD_PID" 2>/dev/null || true
    wait "$BENCH_ETCD_PID" 2>/dev/null || true
    BENCH_ETCD_PID=
  fi
}

# bench_etcd_with_data: starts a local etcd on BENCH_PORT (42379; plaintext) over a data dir
# filled once with BENCH_SIZE_MB (1024) MiB of BENCH_CONTENT (random) values of BENCH_VALUE_SIZE
# bytes by etcdsnap-fill (cached in $BENCH_DIR, reused by later runs), waits until it answers,
# and stops it on exit. Sets ENDPOINT (host:port), DATA and SNAP (where a snapshot of it is kept).
bench_etcd_with_data() {
  SIZE_MB=${BENCH_SIZE_MB:-1024}
  local port=${BENCH_PORT:-42379} content=${BENCH_CONTENT:-random}
  local value_size=${BENCH_VALUE_SIZE:-262144} suffix=""
  [ "$content" = random ] || suffix="-$content"
  bench_build_tool etcdsnap-fill
  DATA=$BENCH_DIR/etcd-data$suffix
  SNAP=$BENCH_DIR/snap$suffix.db
  local marker=$BENCH_DIR/filled-${SIZE_MB}MB$suffix
  bench_lock
  # An unfinished fill is not trusted: start again from an empty data dir.
  if [ ! -f "$marker" ]; then rm -rf "$DATA" "$SNAP"; fi
  bench_start_etcd "$DATA" "$port" $((8 * 1024 * 1024 * 1024)) "$BENCH_DIR/etcd.log"
  ENDPOINT=${ENDPOINT#http://}
  if [ ! -f "$marker" ]; then
    echo "bench: filling etcd with ${SIZE_MB} MiB of $content values (once; cached in $DATA)" >&2
    "$BUILD_DIR/etcdsnap-fill" --endpoint "$ENDPOINT" --bytes $((SIZE_MB * 1024 * 1024)) \
      --value-size "$value_size" --content "$content" --concurrency 16
    touch "$marker"
  fi
}
