#!/usr/bin/env bash
# The worked example of docs/inspect.md ("why is my etcd 6 GB?"), at a hundredth of the size:
# starts a throwaway etcd, writes what a small Kubernetes cluster stores (pods, configmaps,
# secrets encrypted with an old and a new aescbc key, events on an etcd lease, node leases)
# the way kube-apiserver writes it, plus an operator's custom resource whose 250 kB status is
# rewritten in a hot loop, with the apiserver's compaction in the middle; saves a snapshot and
# prints `etcdsnap snapshot inspect` of it.
#
#   scripts/inspect-example.sh [BUILD_DIR]     (default build-dev; needs etcd, etcdctl, python3)
#
# EXAMPLE_KEEP=<path> keeps the snapshot there.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build-dev}
ETCDSNAP=$BUILD_DIR/etcdsnap
[ -x "$ETCDSNAP" ] || { echo "no $ETCDSNAP" >&2; exit 1; }
WORK=$(mktemp -d /tmp/etcdsnap-inspect-example.XXXXXX)
PORT=${EXAMPLE_PORT:-42579}
EP=127.0.0.1:$PORT
etcd --name example --data-dir "$WORK/data" \
  --listen-client-urls "http://$EP" --advertise-client-urls "http://$EP" \
  --listen-peer-urls "http://127.0.0.1:$((PORT + 1))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((PORT + 1))" \
  --initial-cluster "example=http://127.0.0.1:$((PORT + 1))" >"$WORK/etcd.log" 2>&1 &
ETCD_PID=$!
trap 'kill $ETCD_PID 2>/dev/null; wait $ETCD_PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do etcdctl --endpoints "$EP" endpoint health >/dev/null 2>&1 && break; sleep 0.1; done

EP=$EP python3 - <<'PY'
import os, random, subprocess
ep = os.environ["EP"]
random.seed(6)

def ctl(*args, value=None):
    r = subprocess.run(["etcdctl", "--endpoints", ep, *args], input=value,
                       stdout=subprocess.PIPE, check=True)
    return r.stdout.decode()

def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7f | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)

def field(num, data):
    return bytes([num << 3 | 2]) + varint(len(data)) + data

def proto(api_version, kind, size):
    type_meta = field(1, api_version.encode()) + field(2, kind.encode())
    return b"k8s\0" + field(1, type_meta) + field(2, os.urandom(size)) + field(3, b"") + field(4, b"")

def put(key, value, lease=None):
    ctl("put", *(["--lease=" + lease] if lease else []), key, value=value)

events_lease = ctl("lease", "grant", "3660").split()[1]
for i in range(400):
    put(f"/registry/pods/ns-{i % 12}/web-{i}", proto("v1", "Pod", random.randint(2500, 5500)))
for i in range(150):
    put(f"/registry/configmaps/ns-{i % 12}/cm-{i}", proto("v1", "ConfigMap", random.randint(500, 4000)))
for i in range(80):
    key = "key1" if i < 30 else "key2"
    put(f"/registry/secrets/ns-{i % 12}/s-{i}",
        f"k8s:enc:aescbc:v1:{key}:".encode() + os.urandom(random.randint(300, 1500)))
for i in range(600):
    put(f"/registry/events/ns-{i % 12}/web-{i}.17a", proto("v1", "Event", random.randint(400, 800)),
        events_lease)
status = "x" * 250000
def reconcile(n):
    put("/registry/example.com/backups/prod/nightly",
        ('{"apiVersion":"example.com/v1","kind":"Backup","metadata":{"name":"nightly",'
         '"namespace":"prod"},"status":{"attempt":%d,"log":"%s"}}' % (n, status)).encode())
for n in range(230):
    reconcile(n)
    if n % 7 == 0:
        put(f"/registry/leases/kube-node-lease/node-{n % 20}",
            proto("coordination.k8s.io/v1", "Lease", 300))
# The apiserver's compaction: compact_rev_key, then etcd compacts at that revision.
rev = int(ctl("get", "compact_rev_key", "-w", "fields").split('"Revision" : ')[1].split()[0]) + 1
put("compact_rev_key", str(rev).encode())
ctl("compaction", str(rev))
for n in range(230, 290):
    reconcile(n)
    if n % 7 == 0:
        put(f"/registry/leases/kube-node-lease/node-{n % 20}",
            proto("coordination.k8s.io/v1", "Lease", 300))
PY

"$ETCDSNAP" --endpoints "$EP" snapshot save "$WORK/etcd.db" >/dev/null 2>&1
[ -z "${EXAMPLE_KEEP:-}" ] || cp "$WORK/etcd.db" "$EXAMPLE_KEEP"
echo "\$ etcdsnap snapshot inspect etcd.db"
"$ETCDSNAP" snapshot inspect "$WORK/etcd.db" | sed "s|$WORK/||"
