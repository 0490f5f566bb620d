#!/usr/bin/env bash
# The end-to-end demo: installs what is missing, builds, starts a throwaway etcd on loopback with
# its own CA and certificates (mutual TLS), writes some keys, backs it up with
# `etcdsnap snapshot save`, checks the file (`status`, `verify`), stops that etcd, restores the
# snapshot into a new data dir with `etcdsnap snapshot restore` and boots a new etcd from it,
# which must serve the same keys. Both etcds are stopped at the end; the PKI, the snapshot and
# the restored data dir stay in $DEMO_DIR (default /tmp/etcdsnap-demo) for you to look at.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh
ETCDSNAP=$PWD/build/etcdsnap

DEMO_DIR=${DEMO_DIR:-/tmp/etcdsnap-demo}
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR/pki"
cd "$DEMO_DIR"

free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 20000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

echo "== generating a CA, a server and a client certificate (openssl) in $DEMO_DIR/pki"
(
  cd pki
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 \
    -subj "/CN=etcdsnap-demo-ca" 2>/dev/null
  for who in server client; do
    openssl req -newkey rsa:2048 -nodes -keyout $who.key -out $who.csr -subj "/CN=$who" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' > $who.ext
    openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $who.crt \
      -days 1 -extfile $who.ext 2>/dev/null
  done
  chmod 600 ./*.key
)

ETCD_PID=
RESTORED_PID=
stop_all() {
  for pid in $ETCD_PID $RESTORED_PID; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}
trap stop_all EXIT
export ETCDCTL_API=3

# start_etcd NAME DATA_DIR [PEER_PORT]: a one-member etcd on loopback (fresh ports unless the
# peer port is given), https with client certificates required; sets STARTED_PID and TLS
# (etcdctl's flags for it) and waits until it answers.
start_etcd() {
  local name=$1 data=$2 peer_port=${3:-} client_port
  client_port=$(free_port)
  [ -n "$peer_port" ] || peer_port=$(free_port)
  etcd --name "$name" --data-dir "$data" \
    --listen-client-urls "https://127.0.0.1:$client_port" \
    --advertise-client-urls "https://127.0.0.1:$client_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "$name=http://127.0.0.1:$peer_port" \
    --cert-file pki/server.crt --key-file pki/server.key \
    --trusted-ca-file pki/ca.crt --client-cert-auth \
    >"$DEMO_DIR/$name-etcd.log" 2>&1 &
  STARTED_PID=$!
  TLS=(--endpoints "https://127.0.0.1:$client_port" --cacert pki/ca.crt --cert pki/client.crt --key pki/client.key)
  for _ in $(seq 1 100); do
    etcdctl "${TLS[@]}" endpoint health >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "etcd $name did not start; see $DEMO_DIR/$name-etcd.log" >&2
  exit 1
}

echo "== starting etcd (client certificates required)"
start_etcd demo "$DEMO_DIR/data"
ETCD_PID=$STARTED_PID
ENDPOINT=${TLS[1]}

echo "== writing 100 keys"
seq 1 100 | xargs -P 4 -I{} etcdctl "${TLS[@]}" put "/demo/key-{}" "value-{}" >/dev/null

echo "== etcdsnap snapshot save (mutual TLS)"
set -x
"$ETCDSNAP" --endpoints "$ENDPOINT" \
  --cacert pki/ca.crt --cert pki/client.crt --key pki/client.key \
  snapshot save "$DEMO_DIR/backup.db"
set +x

echo "== the file it wrote"
ls -l "$DEMO_DIR/backup.db"
"$ETCDSNAP" snapshot status -w table "$DEMO_DIR/backup.db"
"$ETCDSNAP" snapshot verify "$DEMO_DIR/backup.db"

echo "== disaster: the etcd is gone; restore the snapshot as a new member and boot etcd from it"
kill "$ETCD_PID"; wait "$ETCD_PID" 2>/dev/null || true
PEER_PORT=$(free_port)
set -x
"$ETCDSNAP" snapshot restore "$DEMO_DIR/backup.db" --name restored \
  --data-dir "$DEMO_DIR/restored.etcd" \
  --initial-cluster "restored=http://127.0.0.1:$PEER_PORT" \
  --initial-cluster-token "demo-restore-$$" \
  --initial-advertise-peer-urls "http://127.0.0.1:$PEER_PORT"
set +x
start_etcd restored "$DEMO_DIR/restored.etcd" "$PEER_PORT"
RESTORED_PID=$STARTED_PID
etcdctl "${TLS[@]}" member list -w table
KEYS=$(etcdctl "${TLS[@]}" get /demo/ --prefix --keys-only | grep -c '^/demo/')
echo "the restored etcd serves $KEYS keys under /demo/"
[ "$KEYS" = 100 ] || { echo "demo: expected 100 keys; see $DEMO_DIR/restored-etcd.log" >&2; exit 1; }
echo "demo done: snapshot at $DEMO_DIR/backup.db, restored data dir at $DEMO_DIR/restored.etcd"
