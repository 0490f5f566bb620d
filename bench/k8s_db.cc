// etcdsnap-k8sdb: writes an etcd-shaped bbolt file (buckets key, lease, meta) that looks like a
// Kubernetes cluster's etcd: pods, events on etcd leases, configmaps, secrets encrypted with
// two aescbc keys, node leases renewed many times, deployments in two storage versions and a
// custom resource in JSON, across namespaces, several revisions per object, with values of
// Kubernetes-like sizes; for benchmarking `snapshot inspect` on a given size without a server.
// Deterministic (a fixed pseudo-random sequence).
//
//   etcdsnap-k8sdb --out F [--size-mb 1024]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "etcdsnap/bolt/builder.h"
#include "test_kubernetes.h"  // the bytes etcd and kube-apiserver write

namespace {

using etcdsnap::etcd::testing::Encrypted;
using etcdsnap::etcd::testing::MarshalKeyValue;
using etcdsnap::etcd::testing::ProtobufEnvelope;
using etcdsnap::etcd::testing::RevisionKey;
using etcdsnap::etcd::testing::Varint;

void Check(const etcdsnap::Status& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "etcdsnap-k8sdb: %s\n", s.message().c_str());
    std::exit(1);
  }
}

struct Rng {
  uint64_t s = 0x9e3779b97f4a7c15ULL;
  uint64_t Next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
};

// One object kind of the mix: its share of objects, its key and value shapes.
struct Kind {
  const char* path;   // under /registry
  int share;          // per 100 objects
  size_t min_size, max_size;
  int revisions;      // at most this many (1 + random)
  enum { kProto, kJson, kSecret } format;
  const char* api_version;
  const char* kind;
  bool leased;
};

const Kind kKinds[] = {
    {"pods", 35, 1500, 6000, 3, Kind::kProto, "v1", "Pod", false},
    {"events", 25, 300, 700, 1, Kind::kProto, "v1", "Event", true},
    {"configmaps", 10, 300, 8000, 2, Kind::kProto, "v1", "ConfigMap", false},
    {"secrets", 10, 200, 3000, 2, Kind::kSecret, "", "", false},
    {"deployments", 6, 2000, 6000, 3, Kind::kProto, "apps/v1", "Deployment", false},
    {"leases", 4, 250, 350, 12, Kind::kProto, "coordination.k8s.io/v1", "Lease", false},
    {"example.com/widgets", 10, 500, 2500, 2, Kind::kJson, "example.com/v1", "Widget", false},
};

}  // namespace

int main(int argc, char** argv) {
  std::string out;
  uint64_t size_mb = 1024;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--out") {
      out = argv[i + 1];
    } else if (flag == "--size-mb") {
      size_mb = std::strtoull(argv[i + 1], nullptr, 10);
    } else {
      std::fprintf(stderr, "etcdsnap-k8sdb: unknown flag %s\n", flag.c_str());
      return 1;
    }
  }
  if (out.empty() || size_mb == 0) {
    std::fprintf(stderr, "usage: etcdsnap-k8sdb --out FILE [--size-mb N]\n");
    return 1;
  }
  auto b = etcdsnap::bolt::Builder::Create(out, {.persist_freelist = false, .sync = false});
  Check(b.status());
  Check((*b)->BeginBucket("key"));
  Rng rng;
  const std::string filler(8000, 'x');
  const uint64_t target = size_mb << 20;
  uint64_t written = 0, objects = 0, entries = 0;
  int64_t rev = 1;
  constexpr int kLeases = 64;  // events share leases, as the apiserver's lease manager does
  // Objects are written in rounds: each object's revisions go in as it is made (keys are
  // unique per object, so the revision order is the bucket's key order).
  while (written < target) {
    uint64_t pick = rng.Below(100);
    const Kind* k = kKinds;
    for (; pick >= static_cast<uint64_t>(k->share); ++k) pick -= static_cast<uint64_t>(k->share);
    const std::string ns = "ns-" + std::to_string(rng.Below(200));
    const std::string key = std::string("/registry/") + k->path + "/" + ns + "/obj-" +
                            std::to_string(objects++);
    const int revisions = 1 + static_cast<int>(rng.Below(static_cast<uint64_t>(k->revisions)));
    const int64_t create = rev + 1;
    for (int r = 0; r < revisions; ++r) {
      const size_t size = k->min_size + rng.Below(k->max_size - k->min_size + 1);
      const std::string body = filler.substr(0, size);
      std::string value;
      if (k->format == Kind::kProto) {
        value = ProtobufEnvelope(k->api_version, k->kind, body);
        if (k->kind == std::string("Deployment") && rng.Below(4) == 0) {
          value = ProtobufEnvelope("extensions/v1beta1", k->kind, body);
        }
      } else if (k->format == Kind::kJson) {
        value = std::string(R"({"apiVersion":")") + k->api_version + R"(","kind":")" + k->kind +
                R"(","metadata":{"name":"x"},"spec":{"blob":")" + body + "\"}}";
      } else {
        value = Encrypted("aescbc", rng.Below(3) == 0 ? "key1" : "key2", body);
      }
      const int64_t lease = k->leased ? 0x1000 + static_cast<int64_t>(rng.Below(kLeases)) : 0;
      ++rev;
      Check((*b)->Put(RevisionKey(rev, 0, false),
                      MarshalKeyValue(key, create, rev, r + 1, value, lease)));
      written += key.size() + value.size();
      ++entries;
    }
  }
  Check((*b)->EndBucket());
  Check((*b)->BeginBucket("lease"));
  for (int64_t id = 0x1000; id < 0x1000 + kLeases; ++id) {
    std::string k(8, '\0');
    for (int i = 0; i < 8; ++i) k[i] = static_cast<char>(static_cast<uint64_t>(id) >> (56 - 8 * i));
    Check((*b)->Put(k, "\x08" + Varint(static_cast<uint64_t>(id)) + "\x10" + Varint(3660)));
  }
  Check((*b)->EndBucket());
  Check((*b)->BeginBucket("meta"));
  Check((*b)->Put("consistent_index", std::string(8, '\0')));
  Check((*b)->EndBucket());
  Check((*b)->Finish());
  std::printf("%s: %llu objects, %llu revisions, %llu bytes of keys and values\n", out.c_str(),
              static_cast<unsigned long long>(objects), static_cast<unsigned long long>(entries),
              static_cast<unsigned long long>(written));
  return 0;
}
