// etcdsnap-keysdb: writes an etcd-shaped bbolt file (buckets key and meta) holding N keys of
// Kubernetes-like names, each written R times (R revisions per key, the last ones live), with
// values of V bytes: a file with many keys for benchmarks that depend on the key count
// (hashkv's per-key index), made in seconds instead of a fill through a server. The keys are
// pods in --namespaces namespaces; --resources R spreads them over R resources instead (r-0,
// r-1, ...): with a namespace or a resource per key, the file inspect's caps are measured on.
//
//   etcdsnap-keysdb --out F [--keys 1000000] [--revisions 2] [--value-size 100]
//                   [--namespaces 1000] [--resources 0]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "etcdsnap/bolt/builder.h"
#include "test_history.h"  // the bytes etcd writes in bucket key

namespace {

using etcdsnap::etcd::testing::MarshalKeyValue;
using etcdsnap::etcd::testing::RevisionKey;

int Fail(const std::string& m) {
  std::fprintf(stderr, "etcdsnap-keysdb: %s\n", m.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out;
  uint64_t keys = 1000000, revisions = 2, value_size = 100, namespaces = 1000, resources = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--out") out = argv[i + 1];
    else if (flag == "--keys") keys = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--revisions") revisions = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--value-size") value_size = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--namespaces") namespaces = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--resources") resources = std::strtoull(argv[i + 1], nullptr, 10);
    else return Fail("unknown flag " + flag);
  }
  if (out.empty() || keys == 0 || revisions == 0 || namespaces == 0) {
    return Fail("usage: --out FILE [--keys N] [--revisions R] [--value-size V] [--namespaces N] "
                "[--resources R]");
  }
  auto b = etcdsnap::bolt::Builder::Create(out, {.persist_freelist = false, .sync = false});
  if (!b.ok()) return Fail(b.status().message());
  auto check = [](const etcdsnap::Status& s) {
    if (!s.ok()) {
      std::fprintf(stderr, "etcdsnap-keysdb: %s\n", s.message().c_str());
      std::exit(1);
    }
  };
  check((*b)->BeginBucket("key"));
  const std::string value(value_size, 'v');
  // Revision 2 + r*keys + k: every key once per round, in revision (and so key) order.
  for (uint64_t r = 0; r < revisions; ++r) {
    for (uint64_t k = 0; k < keys; ++k) {
      const uint64_t main = 2 + r * keys + k;
      const std::string resource = resources == 0 ? "pods" : "r-" + std::to_string(k % resources);
      const std::string key = "/registry/" + resource + "/ns-" + std::to_string(k % namespaces) +
                              "/pod-" + std::to_string(k);
      check((*b)->Put(RevisionKey(static_cast<int64_t>(main), 0, false),
                       MarshalKeyValue(key, static_cast<int64_t>(2 + k), static_cast<int64_t>(main),
                                       static_cast<int64_t>(r + 1), value)));
    }
  }
  check((*b)->EndBucket());
  check((*b)->BeginBucket("meta"));
  check((*b)->Put("consistent_index", std::string(8, '\0')));
  check((*b)->EndBucket());
  check((*b)->Finish());
  std::printf("%s: %llu keys, %llu revisions\n", out.c_str(),
              static_cast<unsigned long long>(keys),
              static_cast<unsigned long long>(keys * revisions));
  return 0;
}
