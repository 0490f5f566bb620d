#!/usr/bin/env bash
# Opt-in, as root, with Debian's mirror reachable: the release binary in a FRESH Debian 12 root
# made by debootstrap (--variant=minbase: no gRPC, protobuf, abseil, c-ares, re2 or OpenSSL
# library, no -dev package; dpkg and apt bring libstdc++, libgcc_s and libzstd). Against an
# etcd on the host (mutual TLS, loopback), the binary saves from inside the chroot, checks the file (status, verify) and restores a data dir there; the host's etcd
# then boots from that data dir and must serve every key. The suite's own test of the same
# (tests/release, run by scripts/test.sh) uses a root made of glibc's files alone and needs no
# network; this one is the real distribution, and takes a few minutes the first time.
#
#   bash scripts/test-debootstrap.sh
#
# Environment: ETCDSNAP_RELEASE_BINARY (build/etcdsnap; scripts/build.sh makes it),
# DEBOOTSTRAP_DIR (/var/tmp/etcdsnap-debootstrap: the root, made once and reused),
# DEBOOTSTRAP_MIRROR (debootstrap's default when unset), WORK_DIR (a fresh temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${ETCDSNAP_RELEASE_BINARY:-$PWD/build/etcdsnap}
ROOT=${DEBOOTSTRAP_DIR:-/var/tmp/etcdsnap-debootstrap}
WORK=${WORK_DIR:-$(mktemp -d /tmp/etcdsnap-debootstrap-test.XXXXXX)}
die() { echo "test-debootstrap: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (debootstrap and chroot)"
[ -x "$BIN" ] || die "$BIN not built: bash scripts/build.sh"
for tool in etcd etcdctl openssl; do
  command -v "$tool" >/dev/null || die "$tool not found (bash scripts/deps.sh)"
done
if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

if [ ! -f "$ROOT/.etcdsnap-complete" ]; then
  echo "== debootstrap --variant=minbase bookworm $ROOT (once)"
  rm -rf "$ROOT"
  debootstrap --variant=minbase bookworm "$ROOT" ${DEBOOTSTRAP_MIRROR:+"$DEBOOTSTRAP_MIRROR"} \
    >"$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; die "debootstrap failed"; }
  touch "$ROOT/.etcdsnap-complete"
fi
# debootstrap writes no /etc/hosts (the installer does): without one, c-ares asks DNS for
# localhost, as on any machine that lacks it.
[ -f "$ROOT/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost\n' >"$ROOT/etc/hosts"
echo "== the root has none of the libraries a dynamic build needs:"
if chroot "$ROOT" dpkg-query -W -f '${Package}\n' |
    grep -E '^lib(grpc|protobuf|absl|ssl|c-ares|re2|spdlog|fmt)'; then
  die "$ROOT has one of them installed"
fi
echo "   (no libgrpc, libprotobuf, libabsl, libssl, libc-ares, libre2, libspdlog, libfmt)"

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$ROOT/etcdsnap-test"
}
trap cleanup EXIT

echo "== a CA, server and client certificates; etcd with client certificates required"
mkdir -p "$WORK/pki"
(
  cd "$WORK/pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
    -out ca.crt -days 1 -subj "/CN=etcdsnap-debootstrap-ca" 2>/dev/null
  for who in server client; do
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $who.key \
      -out $who.csr -subj "/CN=$who" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >$who.ext
    openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $who.crt \
      -days 1 -extfile $who.ext 2>/dev/null
  done
)
# start_etcd NAME DATA_DIR PEER_PORT CLIENT_PORT: waits until it answers.
start_etcd() {
  etcd --name "$1" --data-dir "$2" \
    --listen-client-urls "https://127.0.0.1:$4" --advertise-client-urls "https://127.0.0.1:$4" \
    --listen-peer-urls "http://127.0.0.1:$3" --initial-advertise-peer-urls "http://127.0.0.1:$3" \
    --initial-cluster "$1=http://127.0.0.1:$3" \
    --cert-file "$WORK/pki/server.crt" --key-file "$WORK/pki/server.key" \
    --trusted-ca-file "$WORK/pki/ca.crt" --client-cert-auth >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  CTL=(etcdctl --endpoints "https://127.0.0.1:$4" --cacert "$WORK/pki/ca.crt"
       --cert "$WORK/pki/client.crt" --key "$WORK/pki/client.key")
  for _ in $(seq 1 100); do
    "${CTL[@]}" endpoint health >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  die "etcd $1 did not start; see $WORK/$1.log"
}
PORT=$(free_port)
start_etcd source "$WORK/source.etcd" "$(free_port)" "$PORT"
seq 1 100 | xargs -P 4 -I{} "${CTL[@]}" put "/debootstrap/key-{}" "value-{}" >/dev/null

echo "== in the chroot: save over mutual TLS, status, verify, restore"
T=$ROOT/etcdsnap-test
rm -rf "$T" && mkdir -p "$T/pki"
cp "$BIN" "$T/etcdsnap"
cp "$WORK/pki/ca.crt" "$WORK/pki/client.crt" "$WORK/pki/client.key" "$T/pki/"
IN=(chroot "$ROOT" /etcdsnap-test/etcdsnap)
set -x
"${IN[@]}" --endpoints "https://localhost:$PORT" --cacert /etcdsnap-test/pki/ca.crt \
  --cert /etcdsnap-test/pki/client.crt --key /etcdsnap-test/pki/client.key \
  snapshot save /etcdsnap-test/snap.db
"${IN[@]}" snapshot status /etcdsnap-test/snap.db -w table
"${IN[@]}" snapshot verify /etcdsnap-test/snap.db
RESTORED_PEER=$(free_port)
"${IN[@]}" snapshot restore /etcdsnap-test/snap.db --data-dir /etcdsnap-test/restored.etcd \
  --name restored --initial-cluster "restored=http://127.0.0.1:$RESTORED_PEER" \
  --initial-advertise-peer-urls "http://127.0.0.1:$RESTORED_PEER"
set +x

echo "== etcd on the host boots from the data dir restored in the chroot"
start_etcd restored "$T/restored.etcd" "$RESTORED_PEER" "$(free_port)"
KEYS=$("${CTL[@]}" get /debootstrap/ --prefix --keys-only | grep -c '^/debootstrap/' || true)
[ "$KEYS" = 100 ] || die "the restored etcd serves $KEYS keys, not 100 (see $WORK/restored.log)"
echo "test-debootstrap: passed (the restored etcd serves all 100 keys; logs in $WORK)"
